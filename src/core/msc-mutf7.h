/* msc-mutf7.h — modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3)
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSC_MUTF7_ERROR (msc_mutf7_error_quark ())

/* The messages are plain US-ASCII English, not translated: an IMAP server
 * puts them in the text of a BAD or NO response. */
typedef enum
{
  MSC_MUTF7_ERROR_INVALID_UTF8,   /* encode: the input is not UTF-8 */
  MSC_MUTF7_ERROR_INVALID_CHAR,   /* an octet outside printable US-ASCII, or U+0000 */
  MSC_MUTF7_ERROR_UNTERMINATED,   /* "&" and base64 up to the end, no "-" */
  MSC_MUTF7_ERROR_BAD_BASE64,     /* a character outside the modified base64 alphabet,
                                   * or a run that is not whole UTF-16 units */
  MSC_MUTF7_ERROR_BAD_UTF16,      /* a lone surrogate */
  MSC_MUTF7_ERROR_NOT_CANONICAL,  /* decodes, but the encoder never writes it so */
} MscMutf7Error;

GQuark  msc_mutf7_error_quark (void);

/* Printable US-ASCII (0x20–0x7e) stands for itself, "&" is written "&-",
 * and every run of other characters becomes "&" + the modified base64 of
 * its UTF-16BE + "-".
 *
 * Returns: (transfer full) (nullable): the encoding, or %NULL if @utf8 is
 *   not UTF-8 */
char   *msc_mutf7_encode      (const char  *utf8,
                               GError     **error);

/* Strict: only what msc_mutf7_encode() writes decodes, so that one
 * mailbox has exactly one name on the wire and on disk.  Refused: bytes
 * outside 0x20–0x7e, a lone "&" or one never closed by "-", characters
 * outside A–Z a–z 0–9 + "," in a run, a run that is not whole UTF-16
 * units or has non-zero padding bits, lone surrogates, U+0000, printable
 * US-ASCII written in base64, and two runs back to back.
 *
 * Returns: (transfer full) (nullable): UTF-8, or %NULL */
char   *msc_mutf7_decode      (const char  *mutf7,
                               GError     **error);

G_END_DECLS
