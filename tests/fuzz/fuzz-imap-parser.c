/* fuzz-imap-parser.c — libFuzzer target for msc-imap-parser and msc-mutf7
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built by meson with clang and -Dfuzzing=true:
 *
 *   CC=clang meson setup _build-fuzz -Dfuzzing=true
 *   ninja -C _build-fuzz tests/fuzz-imap-parser
 *   mkdir -p _build-fuzz/corpus
 *   _build-fuzz/tests/fuzz-imap-parser -max_total_time=120 -max_len=4096 _build-fuzz/corpus
 *
 * The first input octet picks the mode, the chunking and the limits; the
 * rest is the stream.  Besides memory errors it checks properties:
 *  - the same stream read whole and in chunks gives the same results;
 *  - NEED_MORE uses all the input, and the memory held stays in bounds;
 *  - what the writer writes, the parser reads back unchanged;
 *  - modified UTF-7 decodes only what it encodes back to the same text.
 */

#define G_LOG_DOMAIN "fuzz-imap-parser"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msc-imap-parser.h"
#include "msc-mutf7.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define CHECK(cond) \
  do { if (!(cond)) { g_printerr ("check failed: %s\n", #cond); abort (); } } while (0)

static const MscImapParserLimits small_limits = {
  .max_line_length = 128,
  .max_literal_size = 64,
  .max_depth = 6,
  .max_args = 32,
};

static void
append_value (GString            *log,
              const MscImapValue *value)
{
  g_string_append_printf (log, "%d:%" G_GSIZE_FORMAT ":", value->kind, value->len);
  g_string_append_len (log, value->data, value->len);
  if (value->has_partial)
    g_string_append_printf (log, "<%u.%u>", value->partial_offset, value->partial_length);
  if (value->children != NULL)
    {
      g_string_append_c (log, '(');
      for (guint i = 0; i < value->children->len; i++)
        append_value (log, g_ptr_array_index (value->children, i));
      g_string_append_c (log, ')');
    }
}

/* What the writer writes for @value's string, the parser reads back. */
static void
check_round_trip (const MscImapValue *value)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  g_autoptr (GString) line = g_string_new ("a X ");
  g_autoptr (MscImapItem) item = NULL;
  MscImapParserResult result;
  const guint8 *p;
  const char *s;
  gsize len;

  msc_imap_write_astring (line, value->data, value->len, MSC_IMAP_WRITE_DEFAULT);
  g_string_append (line, "\r\n");

  p = (const guint8 *) line->str;
  len = line->len;
  do
    result = msc_imap_parser_next (parser, &p, &len, &item, NULL);
  while (result == MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION);

  CHECK (result == MSC_IMAP_PARSER_RESULT_ITEM);
  CHECK (len == 0);
  CHECK (item->args->len == 1);
  s = msc_imap_value_get_astring (g_ptr_array_index (item->args, 0), &len);
  CHECK (s != NULL && len == value->len && memcmp (s, value->data, len) == 0);
}

static void
exercise_value (const MscImapValue *value)
{
  const char *s;
  gsize len;
  guint64 number;

  msc_imap_value_get_nstring (value, &s, &len);
  msc_imap_value_get_number (value, &number);
  msc_imap_value_is_atom (value, "BODY");

  s = msc_imap_value_get_astring (value, &len);
  if (s != NULL)
    {
      g_autofree char *mailbox = msc_imap_value_dup_mailbox (value, NULL);
      g_autoptr (GArray) set = NULL;
      g_autoptr (GDateTime) date = NULL;
      g_autoptr (GDateTime) date_time = NULL;

      if (mailbox != NULL)
        CHECK (g_utf8_validate (mailbox, -1, NULL));

      if (memchr (s, '\0', len) == NULL)
        {
          set = msc_imap_sequence_set_parse (s, 100, NULL);
          date = msc_imap_parse_date (s, NULL);
          date_time = msc_imap_parse_date_time (s, NULL);
          if (date_time != NULL)
            {
              g_autofree char *formatted = msc_imap_format_date_time (date_time);
              g_autoptr (GDateTime) again = msc_imap_parse_date_time (formatted, NULL);

              CHECK (again != NULL && g_date_time_equal (again, date_time));
            }
        }

      if (len < 256)
        check_round_trip (value);
    }

  if (value->children != NULL)
    for (guint i = 0; i < value->children->len; i++)
      exercise_value (g_ptr_array_index (value->children, i));
}

static char *
run (MscImapParserMode          mode,
     const MscImapParserLimits *limits,
     const guint8              *input,
     gsize                      size,
     gsize                      chunk,
     gboolean                   exercise)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (mode, limits);
  GString *log = g_string_new (NULL);
  MscImapParserLimits actual;
  gsize pos = 0;

  msc_imap_parser_get_limits (parser, &actual);

  while (pos < size)
    {
      gsize n = chunk == 0 ? size - pos : MIN (chunk, size - pos);
      const guint8 *p = input + pos;
      gsize left = n;

      for (;;)
        {
          g_autoptr (MscImapItem) item = NULL;
          g_autoptr (GError) error = NULL;
          MscImapParserResult result;

          result = msc_imap_parser_next (parser, &p, &left, &item, &error);
          CHECK (msc_imap_parser_get_buffered (parser)
                 <= 2 * actual.max_line_length + actual.max_literal_size);

          if (result == MSC_IMAP_PARSER_RESULT_NEED_MORE)
            {
              CHECK (left == 0 && item == NULL && error == NULL);
              break;
            }

          if (result == MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION)
            {
              CHECK (mode == MSC_IMAP_PARSER_MODE_COMMAND && item == NULL && error == NULL);
              CHECK (msc_imap_parser_peek (parser) != NULL);
              g_string_append_printf (log, "+%" G_GUINT64_FORMAT "\n",
                                      msc_imap_parser_get_literal_size (parser));
              continue;
            }

          if (result == MSC_IMAP_PARSER_RESULT_ERROR)
            {
              CHECK (error != NULL && item != NULL && item->args->len == 0);
              g_string_append_printf (log, "E%d %s %s\n", error->code,
                                      item->tag != NULL ? item->tag : "-", error->message);
              continue;
            }

          CHECK (result == MSC_IMAP_PARSER_RESULT_ITEM && item != NULL && error == NULL);
          g_string_append_printf (log, "I%d %s %s %u", item->kind,
                                  item->tag != NULL ? item->tag : "-",
                                  item->name != NULL ? item->name : "-", item->number);
          for (guint i = 0; i < item->args->len; i++)
            append_value (log, g_ptr_array_index (item->args, i));
          if (item->code != NULL)
            g_string_append_printf (log, " [%s %s]", item->code,
                                    item->code_text != NULL ? item->code_text : "");
          if (item->code_args != NULL)
            for (guint i = 0; i < item->code_args->len; i++)
              append_value (log, g_ptr_array_index (item->code_args, i));
          if (item->text != NULL)
            g_string_append_printf (log, " %s", item->text);
          g_string_append_c (log, '\n');

          if (exercise)
            for (guint i = 0; i < item->args->len; i++)
              exercise_value (g_ptr_array_index (item->args, i));
        }

      pos += n;
    }

  return g_string_free (log, FALSE);
}

static void
check_mutf7 (const guint8 *data,
             gsize         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *decoded = msc_mutf7_decode (text, NULL);

  if (decoded != NULL)
    {
      g_autofree char *encoded = msc_mutf7_encode (decoded, NULL);

      CHECK (encoded != NULL && strcmp (encoded, text) == 0);
    }

  if (g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *encoded = msc_mutf7_encode (text, NULL);
      g_autofree char *again = NULL;

      CHECK (encoded != NULL);
      again = msc_mutf7_decode (encoded, NULL);
      CHECK (again != NULL && strcmp (again, text) == 0);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const gsize chunks[] = { 1, 2, 3, 5, 7, 16, 64, 1000 };
  MscImapParserMode mode;
  const MscImapParserLimits *limits;
  g_autofree char *whole = NULL;
  g_autofree char *chunked = NULL;

  if (size < 1)
    return 0;

  mode = (data[0] & 1) ? MSC_IMAP_PARSER_MODE_RESPONSE : MSC_IMAP_PARSER_MODE_COMMAND;
  limits = (data[0] & 0x10) ? &small_limits : NULL;

  whole = run (mode, limits, data + 1, size - 1, 0, TRUE);
  chunked = run (mode, limits, data + 1, size - 1, chunks[(data[0] >> 1) & 7], FALSE);
  if (strcmp (whole, chunked) != 0)
    {
      g_printerr ("whole:\n%s\nchunked:\n%s\n", whole, chunked);
      abort ();
    }

  check_mutf7 (data + 1, size - 1);

  return 0;
}
