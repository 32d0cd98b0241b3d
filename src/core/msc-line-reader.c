/* msc-line-reader.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-line-reader"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-line-reader.h"

/* A plain struct rather than a GObject: the reader is a private buffer
 * that exactly one engine owns for its whole life, on the hot path of
 * every byte.  Nobody shares it, watches it or introspects it, so
 * reference counting, properties and type registration would buy nothing;
 * new/free plus g_autoptr is all it needs, and a fuzz target can use it
 * without initialising the type system.
 *
 * The reader reads from the caller's buffer instead of copying input into
 * its own: a line that arrives whole is handed out in place, and a line
 * that will never fit is skipped as it streams past, so a peer cannot make
 * it hold more than max_line_length bytes however long the line. */
struct _MscLineReader
{
  gsize       max_line_length;

  /* Part of a line or raw block that spans inputs; or the item last
   * handed out when it had to be assembled here (handed_out); or the
   * start of an overlong line being skipped (skipping). */
  GByteArray *buffer;
  gsize       raw_wanted;

  guint       raw_mode : 1;
  guint       skipping : 1;
  guint       handed_out : 1;
  guint       skipped_cr : 1;  /* the last byte seen was a CR */
  guint       skipped_any : 1; /* bytes were dropped after the prefix */
};

G_DEFINE_QUARK (msc-line-reader-error-quark, msc_line_reader_error)

MscLineReader *
msc_line_reader_new (gsize max_line_length)
{
  MscLineReader *self;

  /* The shortest useful limit fits one character and its CRLF. */
  g_return_val_if_fail (max_line_length >= 3, NULL);

  self = g_new0 (MscLineReader, 1);
  self->max_line_length = max_line_length;
  self->buffer = g_byte_array_new ();

  return self;
}

void
msc_line_reader_free (MscLineReader *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->buffer);
  g_free (self);
}

gsize
msc_line_reader_get_max_line_length (MscLineReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_line_length;
}

static void
drop_handed_out (MscLineReader *self)
{
  if (self->handed_out)
    {
      g_byte_array_set_size (self->buffer, 0);
      self->handed_out = FALSE;
    }
}

gsize
msc_line_reader_get_buffered (MscLineReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->handed_out ? 0 : self->buffer->len;
}

void
msc_line_reader_set_max_line_length (MscLineReader *self,
                                     gsize          max_line_length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max_line_length >= 3);
  /* A partial line already past the new limit would break the invariant
   * that the buffer of a line being collected stays below the limit. */
  g_return_if_fail (self->raw_mode || self->skipping ||
                    msc_line_reader_get_buffered (self) < max_line_length);

  self->max_line_length = max_line_length;
}

static inline void
advance (const guint8 **input,
         gsize         *input_len,
         gsize          n)
{
  g_assert (n <= *input_len);

  *input += n;
  *input_len -= n;
}

static void
append (MscLineReader *self,
        const guint8  *data,
        gsize          len)
{
  if (len > 0)
    g_byte_array_append (self->buffer, data, len);
}

static MscLineReaderResult
next_raw (MscLineReader  *self,
          const guint8  **input,
          gsize          *input_len,
          MscLine        *line)
{
  if (self->buffer->len == 0 && *input_len >= self->raw_wanted)
    {
      /* Never NULL, even for an empty block at the end of the input. */
      line->data = *input != NULL ? *input : (const guint8 *) "";
      line->len = self->raw_wanted;
      advance (input, input_len, self->raw_wanted);
    }
  else
    {
      gsize n = MIN (self->raw_wanted - self->buffer->len, *input_len);

      append (self, *input, n);
      advance (input, input_len, n);

      if (self->buffer->len < self->raw_wanted)
        return MSC_LINE_READER_RESULT_NEED_MORE;

      line->data = self->buffer->data;
      line->len = self->buffer->len;
      self->handed_out = TRUE;
    }

  self->raw_mode = FALSE;
  self->raw_wanted = 0;
  line->ending = MSC_LINE_ENDING_NONE;
  line->has_nul = line->len > 0 && memchr (line->data, '\0', line->len) != NULL;

  return MSC_LINE_READER_RESULT_LINE;
}

static MscLineReaderResult
finish_skipped_line (MscLineReader  *self,
                     const guint8  **input,
                     gsize          *input_len,
                     MscLine        *line,
                     GError        **error)
{
  const guint8 *lf = memchr (*input, '\n', *input_len);
  gboolean cr;

  if (lf == NULL)
    {
      self->skipped_cr = (*input)[*input_len - 1] == '\r';
      self->skipped_any = TRUE;
      advance (input, input_len, *input_len);
      return MSC_LINE_READER_RESULT_NEED_MORE;
    }

  cr = lf > *input ? lf[-1] == '\r' : self->skipped_cr;
  if (lf > *input)
    self->skipped_any = TRUE;
  advance (input, input_len, lf - *input + 1);

  line->data = self->buffer->data;
  line->len = self->buffer->len;
  /* The prefix is content only: drop the CR of a CRLF that was split
   * right after it. */
  if (cr && !self->skipped_any)
    line->len--;

  self->skipping = FALSE;
  self->skipped_cr = FALSE;
  self->skipped_any = FALSE;
  self->handed_out = TRUE;

  line->ending = cr ? MSC_LINE_ENDING_CRLF : MSC_LINE_ENDING_LF;
  line->has_nul = memchr (line->data, '\0', line->len) != NULL;
  line->truncated = TRUE;

  g_set_error (error, MSC_LINE_READER_ERROR, MSC_LINE_READER_ERROR_LINE_TOO_LONG,
               ngettext ("A line was longer than %lu byte",
                         "A line was longer than %lu bytes",
                         self->max_line_length),
               (gulong) self->max_line_length);

  return MSC_LINE_READER_RESULT_ERROR;
}

MscLineReaderResult
msc_line_reader_next (MscLineReader  *self,
                      const guint8  **input,
                      gsize          *input_len,
                      MscLine        *line,
                      GError        **error)
{
  g_return_val_if_fail (self != NULL, MSC_LINE_READER_RESULT_ERROR);
  g_return_val_if_fail (input != NULL, MSC_LINE_READER_RESULT_ERROR);
  g_return_val_if_fail (input_len != NULL, MSC_LINE_READER_RESULT_ERROR);
  g_return_val_if_fail (*input != NULL || *input_len == 0, MSC_LINE_READER_RESULT_ERROR);
  g_return_val_if_fail (line != NULL, MSC_LINE_READER_RESULT_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, MSC_LINE_READER_RESULT_ERROR);

  drop_handed_out (self);
  memset (line, 0, sizeof *line);

  if (self->raw_mode)
    return next_raw (self, input, input_len, line);

  while (*input_len > 0)
    {
      const guint8 *lf;
      gsize room;
      gsize n;

      if (self->skipping)
        return finish_skipped_line (self, input, input_len, line, error);

      /* Invariant: a line being collected holds fewer than max bytes, so
       * an LF within the next `room` bytes ends a line that fits. */
      g_assert (self->buffer->len < self->max_line_length);
      room = self->max_line_length - self->buffer->len;
      n = MIN (*input_len, room);
      lf = memchr (*input, '\n', n);

      if (lf != NULL)
        {
          gsize before = lf - *input;

          if (self->buffer->len == 0)
            {
              line->data = *input;
              line->len = before;
            }
          else
            {
              append (self, *input, before);
              line->data = self->buffer->data;
              line->len = self->buffer->len;
              self->handed_out = TRUE;
            }
          advance (input, input_len, before + 1);

          if (line->len > 0 && line->data[line->len - 1] == '\r')
            {
              line->len--;
              line->ending = MSC_LINE_ENDING_CRLF;
            }
          else
            {
              line->ending = MSC_LINE_ENDING_LF;
            }
          line->has_nul = line->len > 0 && memchr (line->data, '\0', line->len) != NULL;

          return MSC_LINE_READER_RESULT_LINE;
        }

      /* Keep the start of the line either way: the rest of a line that
       * may still fit, or the prefix of one that cannot. */
      append (self, *input, n);
      self->skipped_cr = (*input)[n - 1] == '\r';
      advance (input, input_len, n);

      if (n == room)
        self->skipping = TRUE;
    }

  return MSC_LINE_READER_RESULT_NEED_MORE;
}

void
msc_line_reader_expect_raw (MscLineReader *self,
                            gsize          n_bytes)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->raw_mode);
  g_return_if_fail (!self->skipping);
  g_return_if_fail (msc_line_reader_get_buffered (self) == 0);

  drop_handed_out (self);
  self->raw_mode = TRUE;
  self->raw_wanted = n_bytes;
}

gboolean
msc_line_reader_is_raw (MscLineReader *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->raw_mode;
}

void
msc_line_reader_reset (MscLineReader *self)
{
  g_return_if_fail (self != NULL);

  g_byte_array_set_size (self->buffer, 0);
  self->raw_wanted = 0;
  self->raw_mode = FALSE;
  self->skipping = FALSE;
  self->handed_out = FALSE;
  self->skipped_cr = FALSE;
  self->skipped_any = FALSE;
}
