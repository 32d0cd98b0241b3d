/* msc-line-reader.h — the line framing shared by SMTP, POP3 and IMAP
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSC_LINE_READER_ERROR (msc_line_reader_error_quark ())

/* MSC_LINE_READER_ERROR_LINE_TOO_LONG is not fatal for the reader: the
 * overlong line has been skipped and the next call reads the next line.
 * Whether the session goes on is the protocol's decision. */
typedef enum
{
  MSC_LINE_READER_ERROR_LINE_TOO_LONG,
} MscLineReaderError;

typedef enum
{
  MSC_LINE_READER_RESULT_LINE,
  MSC_LINE_READER_RESULT_NEED_MORE,
  MSC_LINE_READER_RESULT_ERROR,
} MscLineReaderResult;

typedef enum
{
  MSC_LINE_ENDING_NONE,  /* a raw block asked for with msc_line_reader_expect_raw() */
  MSC_LINE_ENDING_CRLF,
  MSC_LINE_ENDING_LF,    /* a bare LF: tolerated, but a protocol may care */
} MscLineEnding;

/* One item handed out.  @data is borrowed: it points either into the
 * caller's input or into the reader, and stays valid until the next call
 * on the reader and no longer than the caller's input.  It is not
 * NUL-terminated and may contain NUL bytes (@has_nul says so), so a
 * protocol can reject them instead of seeing a silently shortened line. */
typedef struct
{
  const guint8  *data;
  gsize          len;       /* without the line end */
  MscLineEnding  ending;
  gboolean       has_nul;
  gboolean       truncated; /* only with RESULT_ERROR: @data is the first
                             * max_line_length bytes of the overlong line */
} MscLine;

typedef struct _MscLineReader MscLineReader;

GQuark              msc_line_reader_error_quark         (void);

MscLineReader      *msc_line_reader_new                 (gsize           max_line_length);
void                msc_line_reader_free                (MscLineReader  *self);

gsize               msc_line_reader_get_max_line_length (MscLineReader  *self);
void                msc_line_reader_set_max_line_length (MscLineReader  *self,
                                                         gsize           max_line_length);

/* Reads the next item from *@input, advancing *@input and *@input_len
 * past what it used.  Nothing of the input is copied unless an item spans
 * two calls, and then at most max_line_length bytes are kept.
 *
 * Returns:
 *  - MSC_LINE_READER_RESULT_LINE: @line holds a complete line (its end,
 *    CRLF or bare LF, removed and reported in @line->ending) or, in raw
 *    mode, exactly the number of bytes asked for (ending NONE; the reader
 *    is back in line mode afterwards);
 *  - MSC_LINE_READER_RESULT_NEED_MORE: all the input was consumed
 *    (*@input_len is 0) and no item is complete yet; call again with more;
 *  - MSC_LINE_READER_RESULT_ERROR: a line was longer than max_line_length
 *    bytes, its end included.  This is reported once, when the end of that
 *    line arrives; the bytes between were skipped without being kept.
 *    @error is MSC_LINE_READER_ERROR_LINE_TOO_LONG and @line holds the
 *    start of the line with @line->truncated set, so a protocol can still
 *    find, say, an IMAP tag in it. */
MscLineReaderResult msc_line_reader_next                (MscLineReader  *self,
                                                         const guint8  **input,
                                                         gsize          *input_len,
                                                         MscLine        *line,
                                                         GError        **error);

/* The next item is exactly @n_bytes raw bytes, whatever they hold (an IMAP
 * literal).  The caller bounds @n_bytes: the reader keeps up to @n_bytes
 * when the block spans several inputs.  Call it between items, never
 * with part of a line buffered. */
void                msc_line_reader_expect_raw          (MscLineReader  *self,
                                                         gsize           n_bytes);
gboolean            msc_line_reader_is_raw              (MscLineReader  *self);

/* Forgets everything buffered, any raw block asked for and any overlong
 * line being skipped: what came before a STARTTLS must not be read as if
 * it came after it (CVE-2011-0411). */
void                msc_line_reader_reset               (MscLineReader  *self);

/* How many bytes of an unfinished item are held. */
gsize               msc_line_reader_get_buffered        (MscLineReader  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscLineReader, msc_line_reader_free)

G_END_DECLS
