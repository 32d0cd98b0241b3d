/* test-line-reader.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-line-reader"

#include "config.h"

#include <string.h>

#include "msc-line-reader.h"

#define MAX_LINE 16

typedef struct
{
  MscLineReader *reader;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  fixture->reader = msc_line_reader_new (MAX_LINE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_clear_pointer (&fixture->reader, msc_line_reader_free);
}

static void
append_escaped (GString      *log,
                const guint8 *data,
                gsize         len)
{
  g_string_append_c (log, '\'');
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\' && data[i] != '\'')
        g_string_append_c (log, data[i]);
      else
        g_string_append_printf (log, "\\x%02x", data[i]);
    }
  g_string_append_c (log, '\'');
}

static const char *
ending_name (MscLineEnding ending)
{
  switch (ending)
    {
    case MSC_LINE_ENDING_CRLF:
      return "CRLF";
    case MSC_LINE_ENDING_LF:
      return "LF";
    case MSC_LINE_ENDING_NONE:
    default:
      return "NONE";
    }
}

/* Reads one chunk to exhaustion, logging every item.  Like an IMAP
 * parser, a line ending in {N} asks for an N-byte literal next. */
static void
read_chunk (MscLineReader *reader,
            const guint8  *input,
            gsize          len,
            GString       *log)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      MscLine line;
      MscLineReaderResult result;

      result = msc_line_reader_next (reader, &input, &len, &line, &error);
      /* Lines never hold more than max; a literal is bounded by its caller. */
      if (!msc_line_reader_is_raw (reader))
        g_assert_cmpuint (msc_line_reader_get_buffered (reader), <=, MAX_LINE);

      if (result == MSC_LINE_READER_RESULT_NEED_MORE)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (len, ==, 0);
          return;
        }

      if (result == MSC_LINE_READER_RESULT_ERROR)
        {
          g_assert_error (error, MSC_LINE_READER_ERROR, MSC_LINE_READER_ERROR_LINE_TOO_LONG);
          g_assert_true (line.truncated);
          g_string_append_printf (log, "TOOLONG %s ", ending_name (line.ending));
          append_escaped (log, line.data, line.len);
          g_string_append_c (log, '\n');
          continue;
        }

      g_assert_cmpint (result, ==, MSC_LINE_READER_RESULT_LINE);
      g_assert_no_error (error);
      g_assert_false (line.truncated);
      g_assert_cmpint (line.has_nul, ==, line.len > 0 && memchr (line.data, 0, line.len) != NULL);

      if (line.ending == MSC_LINE_ENDING_NONE)
        g_string_append_printf (log, "RAW(%" G_GSIZE_FORMAT ") ", line.len);
      else
        g_string_append_printf (log, "LINE %s ", ending_name (line.ending));
      append_escaped (log, line.data, line.len);
      g_string_append (log, line.has_nul ? " NUL\n" : "\n");

      if (line.ending != MSC_LINE_ENDING_NONE && line.len >= 3 && line.data[line.len - 1] == '}')
        {
          const guint8 *open = memchr (line.data, '{', line.len);

          if (open != NULL)
            {
              g_autofree char *digits = g_strndup ((const char *) open + 1,
                                                   line.data + line.len - 1 - open - 1);
              guint64 n;

              g_assert_true (g_ascii_string_to_unsigned (digits, 10, 0, 1000, &n, NULL));
              msc_line_reader_expect_raw (reader, n);
              g_assert_true (msc_line_reader_is_raw (reader));
            }
        }
    }
}

static char *
run (MscLineReader *reader,
     const guint8  *input,
     gsize          len,
     gboolean       trickle)
{
  GString *log = g_string_new (NULL);

  if (trickle)
    {
      for (gsize i = 0; i < len; i++)
        read_chunk (reader, input + i, 1, log);
    }
  else
    {
      read_chunk (reader, input, len, log);
    }

  return g_string_free (log, FALSE);
}

typedef struct
{
  const char *name;
  const char *input;
  gsize       len;
  const char *expected;
  gsize       buffered;  /* left over at the end */
} Case;

#define IN(s) s, sizeof (s) - 1

static const Case cases[] = {
  { "crlf", IN ("abc\r\n"), "LINE CRLF 'abc'\n", 0 },
  { "bare-lf", IN ("abc\n"), "LINE LF 'abc'\n", 0 },
  { "several", IN ("a\r\nb\nc\r\n"), "LINE CRLF 'a'\nLINE LF 'b'\nLINE CRLF 'c'\n", 0 },
  { "empty-lines", IN ("\r\n\n"), "LINE CRLF ''\nLINE LF ''\n", 0 },
  { "partial", IN ("ab\r\ncd"), "LINE CRLF 'ab'\n", 2 },
  { "partial-cr", IN ("ab\r"), "", 3 },
  { "bare-cr-inside", IN ("a\rb\r\n"), "LINE CRLF 'a\\x0db'\n", 0 },
  { "double-cr", IN ("a\r\r\n"), "LINE CRLF 'a\\x0d'\n", 0 },
  { "nul", IN ("a\0b\r\n"), "LINE CRLF 'a\\x00b' NUL\n", 0 },
  { "nul-only", IN ("\0\n"), "LINE LF '\\x00' NUL\n", 0 },
  { "binary", IN ("\xff\xfe\x01\r\n"), "LINE CRLF '\\xff\\xfe\\x01'\n", 0 },
  /* max 16, the line end included */
  { "fits-crlf", IN ("14-bytes-long!\r\n"), "LINE CRLF '14-bytes-long!'\n", 0 },
  { "fits-lf", IN ("15-bytes-long!!\n"), "LINE LF '15-bytes-long!!'\n", 0 },
  { "over-crlf", IN ("15-bytes-long!!\r\nok\r\n"),
    "TOOLONG CRLF '15-bytes-long!!'\nLINE CRLF 'ok'\n", 0 },
  { "over-lf", IN ("16-bytes-long!!!\nok\n"),
    "TOOLONG LF '16-bytes-long!!!'\nLINE LF 'ok'\n", 0 },
  { "long", IN ("0123456789abcdefghijklmnopqrstuvwxyz\r\nnext\r\n"),
    "TOOLONG CRLF '0123456789abcdef'\nLINE CRLF 'next'\n", 0 },
  { "long-bare-lf", IN ("0123456789abcdefghijklmnopqrstuvwxyz\nnext\r\n"),
    "TOOLONG LF '0123456789abcdef'\nLINE CRLF 'next'\n", 0 },
  { "long-cr-inside", IN ("0123456789abcdef\rghi\r\n"),
    "TOOLONG CRLF '0123456789abcdef'\n", 0 },
  { "two-long", IN ("0123456789abcdefXYZ\r\nABCDEFGHIJKLMNOPQRS\r\n"),
    "TOOLONG CRLF '0123456789abcdef'\nTOOLONG CRLF 'ABCDEFGHIJKLMNOP'\n", 0 },
  { "long-unfinished", IN ("0123456789abcdefghijklmnop"), "", MAX_LINE },
  { "literal", IN ("A1 {5}\r\nhello world\r\n"),
    "LINE CRLF 'A1 {5}'\nRAW(5) 'hello'\nLINE CRLF ' world'\n", 0 },
  { "literal-crlf-inside", IN ("{4}\r\na\r\nb\r\n"),
    "LINE CRLF '{4}'\nRAW(4) 'a\\x0d\\x0ab'\nLINE CRLF ''\n", 0 },
  { "literal-empty", IN ("{0}\r\nx\r\n"), "LINE CRLF '{0}'\nRAW(0) ''\nLINE CRLF 'x'\n", 0 },
  { "literal-over-max", IN ("{20}\r\n0123456789abcdefghij\r\n"),
    "LINE CRLF '{20}'\nRAW(20) '0123456789abcdefghij'\nLINE CRLF ''\n", 0 },
  { "literal-nul", IN ("{3}\r\na\0b\r\n"), "LINE CRLF '{3}'\nRAW(3) 'a\\x00b' NUL\nLINE CRLF ''\n", 0 },
  { "literal-unfinished", IN ("{9}\r\nabc"), "LINE CRLF '{9}'\n", 3 },
};

static void
test_table (Fixture       *fixture,
            gconstpointer  data)
{
  const Case *c = data;

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscLineReader) reader = msc_line_reader_new (MAX_LINE);
      g_autofree char *log = NULL;

      g_test_message ("%s", trickle ? "trickled" : "whole");
      log = run (reader, (const guint8 *) c->input, c->len, trickle);
      g_assert_cmpstr (log, ==, c->expected);
      g_assert_cmpuint (msc_line_reader_get_buffered (reader), ==, c->buffered);
    }

  /* The fixture's reader, fed the same, agrees: nothing depends on a
   * fresh reader. */
  {
    g_autofree char *log = run (fixture->reader, (const guint8 *) c->input, c->len, FALSE);
    g_assert_cmpstr (log, ==, c->expected);
  }
}

/* A megabyte on one line: one error, never more than max kept, and the
 * session reads on. */
static void
test_huge_line (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  const gsize size = 1024 * 1024;
  g_autofree guint8 *input = g_malloc (size + 8);
  const gsize chunk_sizes[] = { size + 8, 4096, 1 };

  memset (input, 'x', size);
  memcpy (input + size, "\r\nok\r\n", 6);

  for (guint i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
    {
      const guint8 *p = input;
      gsize left = size + 6;
      guint n_errors = 0;
      guint n_lines = 0;

      while (left > 0)
        {
          gsize n = MIN (left, chunk_sizes[i]);
          const guint8 *chunk = p;
          gsize chunk_len = n;

          for (;;)
            {
              g_autoptr(GError) error = NULL;
              MscLine line;
              MscLineReaderResult result;

              result = msc_line_reader_next (fixture->reader, &chunk, &chunk_len, &line, &error);
              g_assert_cmpuint (msc_line_reader_get_buffered (fixture->reader), <=, MAX_LINE);

              if (result == MSC_LINE_READER_RESULT_NEED_MORE)
                break;
              if (result == MSC_LINE_READER_RESULT_ERROR)
                {
                  g_assert_error (error, MSC_LINE_READER_ERROR, MSC_LINE_READER_ERROR_LINE_TOO_LONG);
                  g_assert_cmpstr (error->message, ==, "A line was longer than 16 bytes");
                  g_assert_cmpuint (line.len, ==, MAX_LINE);
                  g_assert_cmpint (line.ending, ==, MSC_LINE_ENDING_CRLF);
                  n_errors++;
                }
              else
                {
                  g_assert_cmpuint (line.len, ==, 2);
                  g_assert_cmpmem (line.data, line.len, "ok", 2);
                  n_lines++;
                }
            }

          p += n;
          left -= n;
        }

      g_assert_cmpuint (n_errors, ==, 1);
      g_assert_cmpuint (n_lines, ==, 1);
      g_assert_cmpuint (msc_line_reader_get_buffered (fixture->reader), ==, 0);
    }
}

/* A line that arrives whole is handed out in place, not copied. */
static void
test_zero_copy (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  static const guint8 text[] = "one\r\ntwo\r\n";
  const guint8 *input = text;
  gsize len = sizeof text - 1;
  MscLine line;

  g_assert_cmpint (msc_line_reader_next (fixture->reader, &input, &len, &line, NULL),
                   ==, MSC_LINE_READER_RESULT_LINE);
  g_assert_true (line.data == text);
  g_assert_cmpint (msc_line_reader_next (fixture->reader, &input, &len, &line, NULL),
                   ==, MSC_LINE_READER_RESULT_LINE);
  g_assert_true (line.data == text + 5);
  g_assert_cmpint (msc_line_reader_next (fixture->reader, &input, &len, &line, NULL),
                   ==, MSC_LINE_READER_RESULT_NEED_MORE);
  g_assert_cmpuint (len, ==, 0);
}

static MscLineReaderResult
next_from_string (MscLineReader *reader,
                  const char    *text,
                  MscLine       *line)
{
  const guint8 *input = (const guint8 *) text;
  gsize len = strlen (text);

  return msc_line_reader_next (reader, &input, &len, line, NULL);
}

/* What was buffered before a reset never reaches a later line: the
 * STARTTLS injection guard depends on it. */
static void
test_reset (Fixture       *fixture,
            gconstpointer  data G_GNUC_UNUSED)
{
  MscLine line;

  /* A partial line */
  g_assert_cmpint (next_from_string (fixture->reader, "MAIL FROM:<evil", &line),
                   ==, MSC_LINE_READER_RESULT_NEED_MORE);
  g_assert_cmpuint (msc_line_reader_get_buffered (fixture->reader), ==, 15);
  msc_line_reader_reset (fixture->reader);
  g_assert_cmpuint (msc_line_reader_get_buffered (fixture->reader), ==, 0);
  g_assert_cmpint (next_from_string (fixture->reader, "EHLO a\r\n", &line),
                   ==, MSC_LINE_READER_RESULT_LINE);
  g_assert_cmpmem (line.data, line.len, "EHLO a", 6);

  /* A raw block asked for */
  msc_line_reader_expect_raw (fixture->reader, 10);
  g_assert_cmpint (next_from_string (fixture->reader, "abc", &line),
                   ==, MSC_LINE_READER_RESULT_NEED_MORE);
  msc_line_reader_reset (fixture->reader);
  g_assert_false (msc_line_reader_is_raw (fixture->reader));
  g_assert_cmpint (next_from_string (fixture->reader, "x\n", &line),
                   ==, MSC_LINE_READER_RESULT_LINE);
  g_assert_cmpmem (line.data, line.len, "x", 1);

  /* An overlong line being skipped */
  g_assert_cmpint (next_from_string (fixture->reader, "0123456789abcdefghij", &line),
                   ==, MSC_LINE_READER_RESULT_NEED_MORE);
  msc_line_reader_reset (fixture->reader);
  g_assert_cmpint (next_from_string (fixture->reader, "y\r\n", &line),
                   ==, MSC_LINE_READER_RESULT_LINE);
  g_assert_cmpmem (line.data, line.len, "y", 1);
}

static void
test_max_line_length (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  MscLine line;
  g_autoptr(GError) error = NULL;
  const guint8 *input = (const guint8 *) "0123456789\r\n";
  gsize len = 12;

  g_assert_cmpuint (msc_line_reader_get_max_line_length (fixture->reader), ==, MAX_LINE);
  msc_line_reader_set_max_line_length (fixture->reader, 8);
  g_assert_cmpuint (msc_line_reader_get_max_line_length (fixture->reader), ==, 8);

  g_assert_cmpint (msc_line_reader_next (fixture->reader, &input, &len, &line, &error),
                   ==, MSC_LINE_READER_RESULT_ERROR);
  g_assert_error (error, MSC_LINE_READER_ERROR, MSC_LINE_READER_ERROR_LINE_TOO_LONG);
  g_assert_cmpmem (line.data, line.len, "01234567", 8);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/line-reader/table/%s", cases[i].name);

      g_test_add (path, Fixture, &cases[i], fixture_set_up, test_table, fixture_tear_down);
    }

  g_test_add ("/msc/line-reader/huge-line", Fixture, NULL,
              fixture_set_up, test_huge_line, fixture_tear_down);
  g_test_add ("/msc/line-reader/zero-copy", Fixture, NULL,
              fixture_set_up, test_zero_copy, fixture_tear_down);
  g_test_add ("/msc/line-reader/reset", Fixture, NULL,
              fixture_set_up, test_reset, fixture_tear_down);
  g_test_add ("/msc/line-reader/max-line-length", Fixture, NULL,
              fixture_set_up, test_max_line_length, fixture_tear_down);

  return g_test_run ();
}
