/* test-imap-parser.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-imap-parser"

#include "config.h"

#include <string.h>

#include "msc-imap-parser.h"
#include "msc-mutf7.h"

/* Small limits, so that the tests can cross each of them. */
static const MscImapParserLimits small_limits = {
  .max_line_length = 64,
  .max_literal_size = 16,
  .max_depth = 4,
  .max_args = 8,
};

/* ---- A log of what the parser hands out ---- */

/* Quoted strings and literals are shown between single quotes, with ',
 * \ and every octet outside printable ASCII as \xNN. */
static void
append_escaped (GString    *log,
                const char *data,
                gsize       len)
{
  g_string_append_c (log, '\'');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = data[i];

      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
        g_string_append_c (log, c);
      else
        g_string_append_printf (log, "\\x%02x", c);
    }
  g_string_append_c (log, '\'');
}

static void append_values (GString         *log,
                           const GPtrArray *values);

static void
append_value (GString            *log,
              const MscImapValue *value)
{
  g_assert_nonnull (value->data);
  g_assert_cmpint (value->data[value->len], ==, '\0');

  switch (value->kind)
    {
    case MSC_IMAP_VALUE_ATOM:
      g_string_append (log, value->data);
      if (value->has_section)
        {
          g_string_append_c (log, '[');
          append_values (log, value->children);
          g_string_append_c (log, ']');
        }
      else
        g_assert_null (value->children);
      if (value->has_partial && value->partial_length > 0)
        g_string_append_printf (log, "<%u.%u>", value->partial_offset, value->partial_length);
      else if (value->has_partial)
        g_string_append_printf (log, "<%u>", value->partial_offset);
      break;

    case MSC_IMAP_VALUE_NUMBER:
      g_assert_cmpuint (value->number, ==, g_ascii_strtoull (value->data, NULL, 10));
      g_string_append_printf (log, "#%s", value->data);
      break;

    case MSC_IMAP_VALUE_NIL:
      g_assert_cmpint (g_ascii_strcasecmp (value->data, "NIL"), ==, 0);
      g_string_append (log, "NIL");
      break;

    case MSC_IMAP_VALUE_QUOTED:
      append_escaped (log, value->data, value->len);
      break;

    case MSC_IMAP_VALUE_LITERAL:
      g_string_append_printf (log, "{%" G_GSIZE_FORMAT "%s}", value->len,
                              value->non_sync ? "+" : "");
      append_escaped (log, value->data, value->len);
      break;

    case MSC_IMAP_VALUE_LIST:
      g_string_append_c (log, '(');
      append_values (log, value->children);
      g_string_append_c (log, ')');
      break;

    case MSC_IMAP_N_VALUE_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static void
append_values (GString         *log,
               const GPtrArray *values)
{
  for (guint i = 0; i < values->len; i++)
    {
      if (i > 0)
        g_string_append_c (log, ' ');
      append_value (log, g_ptr_array_index (values, i));
    }
}

static void
append_item (GString           *log,
             const MscImapItem *item)
{
  g_autofree char *kind = g_ascii_strup (msc_imap_item_kind_get_name (item->kind), -1);

  g_string_append (log, kind);
  if (item->tag != NULL)
    g_string_append_printf (log, " %s", item->tag);
  if (item->has_number)
    g_string_append_printf (log, " #%u", item->number);
  if (item->name != NULL)
    g_string_append_printf (log, " %s", item->name);
  if (item->args->len > 0)
    {
      g_string_append_c (log, ' ');
      append_values (log, item->args);
    }
  if (item->code != NULL)
    {
      g_string_append_printf (log, " [%s", item->code);
      if (item->code_args != NULL)
        {
          g_assert_nonnull (item->code_text);
          g_string_append_c (log, ' ');
          append_values (log, item->code_args);
        }
      else if (item->code_text != NULL)
        {
          g_string_append (log, " raw=");
          append_escaped (log, item->code_text, strlen (item->code_text));
        }
      g_string_append_c (log, ']');
    }
  else
    {
      g_assert_null (item->code_text);
      g_assert_null (item->code_args);
    }
  if (item->text != NULL)
    {
      g_string_append (log, " text=");
      append_escaped (log, item->text, strlen (item->text));
    }
  g_string_append_c (log, '\n');
}

static const char *
error_code_name (int code)
{
  switch (code)
    {
    case MSC_IMAP_PARSER_ERROR_SYNTAX:
      return "syntax";
    case MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG:
      return "line-too-long";
    case MSC_IMAP_PARSER_ERROR_TOO_DEEP:
      return "too-deep";
    case MSC_IMAP_PARSER_ERROR_TOO_MANY_ARGS:
      return "too-many-args";
    case MSC_IMAP_PARSER_ERROR_LITERAL_REFUSED:
      return "literal-refused";
    case MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE:
      return "literal-too-large";
    default:
      g_assert_not_reached ();
    }
}

/* Reads @len octets to exhaustion, @chunk octets at a time (0: all at
 * once), logging every result.  The bytes held never pass the limits. */
static char *
run (MscImapParserMode          mode,
     const MscImapParserLimits *limits,
     const guint8              *input,
     gsize                      len,
     gsize                      chunk)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (mode, limits);
  GString *log = g_string_new (NULL);
  MscImapParserLimits actual;
  gsize pos = 0;

  msc_imap_parser_get_limits (parser, &actual);

  while (pos < len)
    {
      gsize n = chunk == 0 ? len - pos : MIN (chunk, len - pos);
      const guint8 *p = input + pos;
      gsize left = n;

      for (;;)
        {
          g_autoptr (MscImapItem) item = NULL;
          g_autoptr (GError) error = NULL;
          MscImapParserResult result;

          result = msc_imap_parser_next (parser, &p, &left, &item, &error);
          g_assert_cmpuint (msc_imap_parser_get_buffered (parser), <=,
                            2 * actual.max_line_length + actual.max_literal_size);

          if (result == MSC_IMAP_PARSER_RESULT_NEED_MORE)
            {
              g_assert_no_error (error);
              g_assert_null (item);
              g_assert_cmpuint (left, ==, 0);
              break;
            }

          if (result == MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION)
            {
              const MscImapItem *partial = msc_imap_parser_peek (parser);

              g_assert_no_error (error);
              g_assert_null (item);
              g_assert_nonnull (partial);
              g_string_append_printf (log, "+ %s %" G_GUINT64_FORMAT "\n", partial->tag,
                                      msc_imap_parser_get_literal_size (parser));
              continue;
            }

          if (result == MSC_IMAP_PARSER_RESULT_ERROR)
            {
              g_assert_nonnull (error);
              g_assert_true (error->domain == MSC_IMAP_PARSER_ERROR);
              g_assert_nonnull (item);
              g_assert_cmpuint (item->args->len, ==, 0);
              g_string_append_printf (log, "%s %s %s \"%s\"\n",
                                      msc_imap_parser_error_is_fatal (error) ? "BYE" : "BAD",
                                      error_code_name (error->code),
                                      item->tag != NULL ? item->tag : "-",
                                      error->message);
              continue;
            }

          g_assert_cmpint (result, ==, MSC_IMAP_PARSER_RESULT_ITEM);
          g_assert_no_error (error);
          g_assert_nonnull (item);
          g_assert_null (msc_imap_parser_peek (parser));
          append_item (log, item);
        }

      pos += n;
    }

  if (msc_imap_parser_peek (parser) != NULL)
    g_string_append (log, "(unfinished)\n");

  return g_string_free (log, FALSE);
}

typedef struct
{
  const char                *name;
  MscImapParserMode          mode;
  const MscImapParserLimits *limits;
  const char                *input;
  gsize                      len;
  const char                *expected;
} Case;

#define CMD MSC_IMAP_PARSER_MODE_COMMAND
#define RSP MSC_IMAP_PARSER_MODE_RESPONSE
/* 47 octets: "a1 SEARCH TEXT " A47 CRLF is exactly 64. */
#define A47 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
/* The input's length, so it may hold NUL. */
#define IN(s) s, sizeof (s) - 1

static const Case cases[] = {
  /* ---- Commands (RFC 3501 §6 examples) ---- */
  { "login-atoms", CMD, NULL, IN ("a001 LOGIN SMITH SESAME\r\n"),
    "COMMAND a001 LOGIN SMITH SESAME\n" },
  { "login-quoted", CMD, NULL, IN ("a002 login \"fred\" \"pa ss\\\"wo\\\\rd\"\r\n"),
    "COMMAND a002 LOGIN 'fred' 'pa ss\"wo\\x5crd'\n" },
  { "login-literals", CMD, NULL, IN ("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n"),
    "+ A001 11\n"
    "+ A001 7\n"
    "COMMAND A001 LOGIN {11}'FRED FOOBAR' {7}'fat man'\n" },
  { "login-literal-plus", CMD, NULL, IN ("A002 LOGIN {4+}\r\nfred {6+}\r\nse\r\n\0t\r\n"),
    "COMMAND A002 LOGIN {4+}'fred' {6+}'se\\x0d\\x0a\\x00t'\n" },
  { "select", CMD, NULL, IN ("A142 SELECT INBOX\r\n"),
    "COMMAND A142 SELECT INBOX\n" },
  { "no-args", CMD, NULL, IN ("a1 NOOP\r\na2 capability\r\n"),
    "COMMAND a1 NOOP\n"
    "COMMAND a2 CAPABILITY\n" },
  { "fetch-header-fields", CMD, NULL,
    IN ("A654 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.100>)\r\n"),
    "COMMAND A654 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.100>)\n" },
  { "fetch-sections", CMD, NULL,
    IN ("a2 FETCH 2,4:7,9 (BODY[] body[1.2.MIME] BINARY.SIZE[1] RFC822.SIZE "
        "BODY[HEADER.FIELDS.NOT (\"X-Spam\" {4}\r\nDate)])\r\n"),
    "+ a2 4\n"
    "COMMAND a2 FETCH 2,4:7,9 (BODY[] body[1.2.MIME] BINARY.SIZE[#1] RFC822.SIZE "
    "BODY[HEADER.FIELDS.NOT ('X-Spam' {4}'Date')])\n" },
  { "uid-store", CMD, NULL, IN ("A003 UID STORE 2:4 +FLAGS.SILENT (\\Seen)\r\n"),
    "COMMAND A003 UID STORE 2:4 +FLAGS.SILENT (\\Seen)\n" },
  { "store-empty-list", CMD, NULL, IN ("A004 STORE 1 FLAGS ()\r\n"),
    "COMMAND A004 STORE #1 FLAGS ()\n" },
  { "search-charset-literal", CMD, NULL,
    IN ("A282 SEARCH CHARSET UTF-8 SUBJECT {6}\r\n\xe4\xb8\xad\xe6\x96\x87\r\n"),
    "+ A282 6\n"
    "COMMAND A282 SEARCH CHARSET UTF-8 SUBJECT {6}'\\xe4\\xb8\\xad\\xe6\\x96\\x87'\n" },
  { "search-keys", CMD, NULL,
    IN ("A283 SEARCH OR (SINCE 1-Feb-1994 NOT FROM \"Smith\") UNSEEN UID 1:*\r\n"),
    "COMMAND A283 SEARCH OR (SINCE 1-Feb-1994 NOT FROM 'Smith') UNSEEN UID 1:*\n" },
  { "append-sync", CMD, NULL,
    IN ("A003 APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {22}\r\n"
        "Subject: hi\r\n\r\nHello\r\n\r\n"),
    "+ A003 22\n"
    "COMMAND A003 APPEND saved-messages (\\Seen) '17-Jul-1996 02:44:25 -0700' "
    "{22}'Subject: hi\\x0d\\x0a\\x0d\\x0aHello\\x0d\\x0a'\n" },
  { "append-non-sync", CMD, NULL,
    IN ("A004 APPEND INBOX (\\Seen \\Flagged) {12+}\r\nHi\r\n\r\n\xff\0body\r\n"),
    "COMMAND A004 APPEND INBOX (\\Seen \\Flagged) {12+}'Hi\\x0d\\x0a\\x0d\\x0a\\xff\\x00body'\n" },
  { "append-empty-literal", CMD, NULL, IN ("A005 APPEND INBOX {0}\r\n\r\n"),
    "+ A005 0\n"
    "COMMAND A005 APPEND INBOX {0}''\n" },
  { "list", CMD, NULL, IN ("A101 LIST \"\" *\r\nA102 LIST ~/Mail/ %\r\n"),
    "COMMAND A101 LIST '' *\n"
    "COMMAND A102 LIST ~/Mail/ %\n" },
  { "status", CMD, NULL, IN ("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n"),
    "COMMAND A042 STATUS blurdybloop (UIDNEXT MESSAGES)\n" },
  { "nil-and-numbers", CMD, NULL,
    IN ("a1 X NIL nil \"NIL\" 0 007 4294967296 18446744073709551616\r\n"),
    "COMMAND a1 X NIL NIL 'NIL' #0 #007 #4294967296 18446744073709551616\n" },
  { "brackets-in-astring", CMD, NULL, IN ("a1 SELECT foo[bar] a]b\r\n"),
    "COMMAND a1 SELECT foo[bar] a]b\n" },
  { "tag-with-bracket", CMD, NULL, IN ("]x NOOP\r\n"),
    "COMMAND ]x NOOP\n" },
  { "nested", CMD, NULL, IN ("a1 X (a (b (c \"d\")) ())\r\n"),
    "COMMAND a1 X (a (b (c 'd')) ())\n" },

  /* ---- Bad commands: BAD, then the next command reads fine ---- */
  { "empty-line", CMD, NULL, IN ("\r\na1 NOOP\r\n"),
    "BAD syntax - \"Empty line\"\n"
    "COMMAND a1 NOOP\n" },
  { "missing-name", CMD, NULL, IN ("a1\r\na2 \r\na3  NOOP\r\n"),
    "BAD syntax a1 \"Missing command name\"\n"
    "BAD syntax a2 \"Missing command name\"\n"
    "BAD syntax a3 \"Missing command name\"\n" },
  { "bad-tag", CMD, NULL, IN ("a(1 NOOP\r\n* NOOP\r\n+ NOOP\r\n"),
    "BAD syntax - \"Invalid character in tag\"\n"
    "BAD syntax - \"Invalid character in tag\"\n"
    "BAD syntax - \"Invalid character in tag\"\n" },
  { "bad-name", CMD, NULL, IN ("a1 NO\"OP\r\n"),
    "BAD syntax a1 \"Invalid character in name\"\n" },
  { "trailing-sp", CMD, NULL, IN ("a1 NOOP \r\na2 FETCH 1 \r\n"),
    "BAD syntax a1 \"Unexpected SP at end of line\"\n"
    "BAD syntax a2 \"Unexpected SP at end of line\"\n" },
  { "double-sp", CMD, NULL, IN ("a1 FETCH 1  FLAGS\r\n"),
    "BAD syntax a1 \"Unexpected SP\"\n" },
  { "unbalanced-open", CMD, NULL, IN ("a1 FETCH 1 (FLAGS (UID)\r\na2 NOOP\r\n"),
    "BAD syntax a1 \"Missing \")\"\"\n"
    "COMMAND a2 NOOP\n" },
  { "unbalanced-close", CMD, NULL, IN ("a1 FETCH 1 FLAGS)\r\na2 FETCH 1 )\r\n"),
    "BAD syntax a1 \"Unexpected \")\"\"\n"
    "BAD syntax a2 \"Unexpected \")\"\"\n" },
  { "sp-before-paren", CMD, NULL, IN ("a1 FETCH 1 (FLAGS )\r\n"),
    "BAD syntax a1 \"Unexpected SP before \")\"\"\n" },
  { "unclosed-section", CMD, NULL, IN ("a1 FETCH 1 BODY[TEXT\r\n"),
    "BAD syntax a1 \"Missing \"]\"\"\n" },
  { "bracket-in-section-list", CMD, NULL, IN ("a1 FETCH 1 BODY[HEADER.FIELDS (FROM])]\r\n"),
    "BAD syntax a1 \"Unexpected \"]\"\"\n" },
  { "missing-sp", CMD, NULL, IN ("a1 X \"abc\"def\r\na2 X (a)(b)\r\na3 X abc{3}\r\n"),
    "BAD syntax a1 \"Missing SP between arguments\"\n"
    "BAD syntax a2 \"Missing SP between arguments\"\n"
    "BAD syntax a3 \"Missing SP between arguments\"\n" },
  { "partial-bad", CMD, NULL,
    IN ("a1 FETCH 1 BODY[]<0>\r\na2 FETCH 1 BODY[]<0.0>\r\na3 FETCH 1 BODY[]<4294967296.1>\r\n"
        "a4 FETCH 1 BODY[]<1.x>\r\n"),
    "BAD syntax a1 \"Invalid <partial>\"\n"
    "BAD syntax a2 \"Invalid <partial>\"\n"
    "BAD syntax a3 \"Invalid <partial>\"\n"
    "BAD syntax a4 \"Invalid <partial>\"\n" },
  { "quoted-unterminated", CMD, NULL, IN ("a1 LOGIN \"fred\r\na2 LOGIN \"fred\\\r\n"),
    "BAD syntax a1 \"Quoted string not closed before end of line\"\n"
    "BAD syntax a2 \"Quoted string not closed before end of line\"\n" },
  { "quoted-bad-escape", CMD, NULL, IN ("a1 LOGIN \"a\\b\" x\r\n"),
    "BAD syntax a1 \"Invalid escape in quoted string\"\n" },
  { "quoted-8bit", CMD, NULL, IN ("a1 LOGIN \"caf\xc3\xa9\" x\r\n"),
    "BAD syntax a1 \"8-bit octet in a quoted string (send a literal)\"\n" },
  { "atom-8bit", CMD, NULL, IN ("a1 SELECT caf\xc3\xa9\r\n"),
    "BAD syntax a1 \"8-bit octet outside a literal\"\n" },
  { "nul", CMD, NULL, IN ("a1 LOGIN fr\0ed x\r\na2 LOGIN \"fr\0ed\" x\r\n\0\r\na3 NOOP\r\n"),
    "BAD syntax a1 \"NUL octet outside a literal\"\n"
    "BAD syntax a2 \"NUL octet outside a literal\"\n"
    "BAD syntax - \"NUL octet outside a literal\"\n"
    "COMMAND a3 NOOP\n" },
  { "control", CMD, NULL, IN ("a1 NOOP\x01\r\na2 X a\x7f\r\n"),
    "BAD syntax a1 \"Control character outside a quoted string or literal\"\n"
    "BAD syntax a2 \"Control character outside a quoted string or literal\"\n" },
  { "bare-lf", CMD, NULL, IN ("a1 NOOP\na2\na3 X (a\na4 NOOP\r\n"),
    "BAD syntax a1 \"Line ends in LF without CR\"\n"
    "BAD syntax a2 \"Line ends in LF without CR\"\n"
    "BAD syntax a3 \"Line ends in LF without CR\"\n"
    "COMMAND a4 NOOP\n" },
  { "cr-without-lf", CMD, NULL, IN ("a1 NOOP\rx\r\na2 NOOP\r\n"),
    "BAD syntax a1 \"CR not followed by LF\"\n"
    "COMMAND a2 NOOP\n" },
  /* A TLS ClientHello sent to the plain-text port */
  { "garbage-tls-hello", CMD, NULL,
    IN ("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\na1 NOOP\r\n"),
    "BAD syntax - \"Control character outside a quoted string or literal\"\n"
    "COMMAND a1 NOOP\n" },
  { "literal-bad-size", CMD, NULL, IN ("a1 X {abc}\r\na2 X {}\r\na3 X {1+2}\r\na4 X {-1}\r\n"),
    "BAD syntax a1 \"Invalid literal size\"\n"
    "BAD syntax a2 \"Invalid literal size\"\n"
    "BAD syntax a3 \"Invalid literal size\"\n"
    "BAD syntax a4 \"Invalid literal size\"\n" },
  { "literal-no-crlf", CMD, NULL, IN ("a1 X {5}x\r\na2 X {5} \r\na3 NOOP\r\n"),
    "BAD syntax a1 \"Literal announcement not followed by CRLF\"\n"
    "BAD syntax a2 \"Literal announcement not followed by CRLF\"\n"
    "COMMAND a3 NOOP\n" },
  /* A {5} line that ends badly: the client waits for "+"; the BAD is its
   * answer, and the next line is a command. */
  { "literal-sync-bare-lf", CMD, NULL, IN ("a1 X {5}\na2 NOOP\r\n"),
    "BAD syntax a1 \"Line ends in LF without CR\"\n"
    "COMMAND a2 NOOP\n" },
  /* A {5+} one: the 5 octets are coming anyway, and belong to a1. */
  { "literal-plus-bare-lf", CMD, NULL, IN ("a1 X {5+}\na2 NO\r\na3 NOOP\r\n"),
    "BAD syntax a1 \"Line ends in LF without CR\"\n"
    "COMMAND a3 NOOP\n" },
  { "skip-literal-chain", CMD, NULL,
    IN ("a1 X ) {3+}\r\n)\r\n {2+}\r\n\r\n\r\na2 NOOP\r\n"),
    "BAD syntax a1 \"Unexpected \")\"\"\n"
    "COMMAND a2 NOOP\n" },
  { "error-after-literal", CMD, NULL, IN ("a1 LOGIN {4}\r\nfred (\r\na2 NOOP\r\n"),
    "+ a1 4\n"
    "BAD syntax a1 \"Missing \")\"\"\n"
    "COMMAND a2 NOOP\n" },
  { "literal8-sync", CMD, NULL, IN ("a1 APPEND INBOX ~{5}\r\na2 NOOP\r\n"),
    "BAD syntax a1 \"Literal8 (~{n}) is not supported\"\n"
    "COMMAND a2 NOOP\n" },
  { "literal8-non-sync", CMD, NULL, IN ("a1 APPEND INBOX ~{5+}\r\nhe\r\nl\r\na2 NOOP\r\n"),
    "BAD syntax a1 \"Literal8 (~{n}) is not supported\"\n"
    "COMMAND a2 NOOP\n" },

  /* ---- Limits ---- */
  { "literal-refused", CMD, &small_limits,
    IN ("a1 APPEND INBOX {2147483648}\r\na2 APPEND INBOX {16}\r\n0123456789abcdef\r\n"),
    "BAD literal-refused a1 \"[TOOBIG] Literal of 2147483648 octets is larger than "
    "the 16 octets allowed\"\n"
    "+ a2 16\n"
    "COMMAND a2 APPEND INBOX {16}'0123456789abcdef'\n" },
  { "literal-refused-huge", CMD, &small_limits,
    IN ("a1 X {99999999999999999999999}\r\na2 NOOP\r\n"),
    "BAD literal-refused a1 \"[TOOBIG] Literal of 18446744073709551615 octets is larger "
    "than the 16 octets allowed\"\n"
    "COMMAND a2 NOOP\n" },
  { "literal-too-large-non-sync", CMD, &small_limits,
    IN ("a1 APPEND INBOX {2147483648+}\r\nFrom: x\r\na2 NOOP\r\n"),
    "BYE literal-too-large a1 \"[TOOBIG] Literal of 2147483648 octets is larger than "
    "the 16 octets allowed\"\n" },
  { "literal-budget", CMD, &small_limits,
    IN ("a1 X {10+}\r\n0123456789 {7+}\r\n0123456\r\n"),
    "BYE literal-too-large a1 \"[TOOBIG] Literal of 7 octets is larger than "
    "the 6 octets allowed\"\n" },
  { "line-too-long", CMD, &small_limits,
    IN ("a1 SEARCH TEXT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
        "a2 NOOP\r\n"),
    "BAD line-too-long a1 \"Line is longer than 64 octets\"\n"
    "COMMAND a2 NOOP\n" },
  { "line-just-fits", CMD, &small_limits,
    IN ("a1 SEARCH TEXT " A47 "\r\n"),
    "COMMAND a1 SEARCH TEXT " A47 "\n" },
  { "line-too-long-by-one", CMD, &small_limits,
    IN ("a1 SEARCH TEXT " A47 "a\r\n"),
    "BAD line-too-long a1 \"Line is longer than 64 octets\"\n" },
  /* The limit is on the whole command, its lines added up. */
  { "line-too-long-across-literals", CMD, &small_limits,
    IN ("a1 X {1+}\r\na bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"
        "a2 NOOP\r\n"),
    "BAD line-too-long a1 \"Line is longer than 64 octets\"\n"
    "COMMAND a2 NOOP\n" },
  { "line-too-long-then-literal-plus", CMD, &small_limits,
    IN ("a1 X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {5+}\r\n"
        "a2 NO\r\na3 NOOP\r\n"),
    "BAD line-too-long a1 \"Line is longer than 64 octets\"\n"
    "COMMAND a3 NOOP\n" },
  { "line-too-long-then-literal", CMD, &small_limits,
    IN ("a1 X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {5}\r\n"
        "a2 NOOP\r\n"),
    "BAD line-too-long a1 \"Line is longer than 64 octets\"\n"
    "COMMAND a2 NOOP\n" },
  { "line-too-long-then-literal-too-large", CMD, &small_limits,
    IN ("a1 X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {17+}\r\n"),
    "BYE literal-too-large a1 \"[TOOBIG] Literal of 17 octets is larger than "
    "the 16 octets allowed\"\n" },
  { "too-deep", CMD, &small_limits, IN ("a1 X ((((((a))))))\r\na2 X ((((a))))\r\n"),
    "BAD too-deep a1 \"Too deeply nested: more than 4 levels\"\n"
    "COMMAND a2 X ((((a))))\n" },
  { "too-deep-section", CMD, &small_limits, IN ("a1 FETCH 1 ((((BODY[HEADER.FIELDS (A)]))))\r\n"),
    "BAD too-deep a1 \"Too deeply nested: more than 4 levels\"\n" },
  { "too-many-args", CMD, &small_limits, IN ("a1 X 1 2 3 4 5 6 7 8 9\r\na2 X 1 2 (4 5) 6 7\r\n"),
    "BAD too-many-args a1 \"Too many arguments: more than 8\"\n"
    "COMMAND a2 X #1 #2 (#4 #5) #6 #7\n" },
  { "too-many-args-literal", CMD, &small_limits,
    IN ("a1 X 1 2 3 4 5 6 7 8 {3+}\r\nabc\r\na2 NOOP\r\n"),
    "BAD too-many-args a1 \"Too many arguments: more than 8\"\n"
    "COMMAND a2 NOOP\n" },

  /* ---- Responses (RFC 3501 §7 examples) ---- */
  { "untagged-ok-code", RSP, NULL, IN ("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
    "UNTAGGED OK [UIDVALIDITY #3857529045] text='UIDs valid'\n" },
  { "permanentflags", RSP, NULL,
    IN ("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"),
    "UNTAGGED OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] text='Limited'\n" },
  { "select-responses", RSP, NULL,
    IN ("* 172 EXISTS\r\n"
        "* 1 RECENT\r\n"
        "* OK [UNSEEN 12] Message 12 is first unseen\r\n"
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        "A142 OK [READ-WRITE] SELECT completed\r\n"),
    "UNTAGGED #172 EXISTS\n"
    "UNTAGGED #1 RECENT\n"
    "UNTAGGED OK [UNSEEN #12] text='Message 12 is first unseen'\n"
    "UNTAGGED FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n"
    "TAGGED A142 OK [READ-WRITE] text='SELECT completed'\n" },
  { "continuation", RSP, NULL,
    IN ("+ Ready for additional command text\r\n+ \r\n+\r\n+ [ALERT] go\r\n"
        "+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzM5=\r\n"),
    "CONTINUATION text='Ready for additional command text'\n"
    "CONTINUATION text=''\n"
    "CONTINUATION text=''\n"
    "CONTINUATION [ALERT] text='go'\n"
    "CONTINUATION text='YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzM5='\n" },
  { "fetch-envelope", RSP, NULL,
    IN ("* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
        "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
        "\"IMAP4rev1 WG mtg summary and minutes\" "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((NIL NIL \"imap\" \"cac.washington.edu\")) "
        "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
        "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
        "\"<B27397-0100000@cac.washington.edu>\") "
        "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"),
    "UNTAGGED #12 FETCH (FLAGS (\\Seen) INTERNALDATE '17-Jul-1996 02:44:25 -0700' "
    "RFC822.SIZE #4286 ENVELOPE ('Wed, 17 Jul 1996 02:23:25 -0700 (PDT)' "
    "'IMAP4rev1 WG mtg summary and minutes' "
    "(('Terry Gray' NIL 'gray' 'cac.washington.edu')) "
    "(('Terry Gray' NIL 'gray' 'cac.washington.edu')) "
    "(('Terry Gray' NIL 'gray' 'cac.washington.edu')) "
    "((NIL NIL 'imap' 'cac.washington.edu')) "
    "((NIL NIL 'minutes' 'CNRI.Reston.VA.US') "
    "('John Klensin' NIL 'KLENSIN' 'MIT.EDU')) NIL NIL "
    "'<B27397-0100000@cac.washington.edu>') "
    "BODY ('TEXT' 'PLAIN' ('CHARSET' 'US-ASCII') NIL NIL '7BIT' #3028 #92))\n" },
  { "fetch-bodystructure", RSP, NULL,
    IN ("* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
        "\"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
        "\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) "
        "\"MIXED\"))\r\n"),
    "UNTAGGED #1 FETCH (BODYSTRUCTURE (('TEXT' 'PLAIN' ('CHARSET' 'US-ASCII') NIL NIL "
    "'7BIT' #1152 #23) ('TEXT' 'PLAIN' ('CHARSET' 'US-ASCII' 'NAME' 'cc.diff') "
    "'<960723163407.20117h@cac.washington.edu>' 'Compiler diff' 'BASE64' #4554 #73) "
    "'MIXED'))\n" },
  { "fetch-literals", RSP, NULL,
    IN ("* 1 FETCH (UID 7 BODY[HEADER.FIELDS (FROM)] {21}\r\nFrom: a@example.com\r\n"
        " FLAGS (\\Seen))\r\n"
        "* 2 FETCH (BODY[]<0> {5}\r\nhe\0lo BODY[1] NIL)\r\n"),
    "UNTAGGED #1 FETCH (UID #7 BODY[HEADER.FIELDS (FROM)] {21}'From: a@example.com\\x0d\\x0a' "
    "FLAGS (\\Seen))\n"
    "UNTAGGED #2 FETCH (BODY[]<0> {5}'he\\x00lo' BODY[#1] NIL)\n" },
  { "capability-list-search", RSP, NULL,
    IN ("* CAPABILITY IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN\r\n"
        "* LIST (\\HasNoChildren) \"/\" \"&XfJT0ZAB-\"\r\n"
        "* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n"
        "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"
        "* SEARCH 2 84 882\r\n"
        "* SEARCH\r\n"),
    "UNTAGGED CAPABILITY IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN\n"
    "UNTAGGED LIST (\\HasNoChildren) '/' '&XfJT0ZAB-'\n"
    "UNTAGGED LIST (\\Noselect) '/' ~/Mail/foo\n"
    "UNTAGGED STATUS blurdybloop (MESSAGES #231 UIDNEXT #44292)\n"
    "UNTAGGED SEARCH #2 #84 #882\n"
    "UNTAGGED SEARCH\n" },
  { "bye-preauth", RSP, NULL,
    IN ("* PREAUTH IMAP4rev1 server logged in as Smith\r\n"
        "* BYE IMAP4rev1 Server logging out\r\n"
        "A023 OK LOGOUT completed\r\n"),
    "UNTAGGED PREAUTH text='IMAP4rev1 server logged in as Smith'\n"
    "UNTAGGED BYE text='IMAP4rev1 Server logging out'\n"
    "TAGGED A023 OK text='LOGOUT completed'\n" },
  { "resp-codes", RSP, NULL,
    IN ("* OK [ALERT] System shutdown in 10 minutes\r\n"
        "A1 OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in\r\n"
        "A2 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
        "A3 NO [BADCHARSET (UTF-8 US-ASCII)] x\r\n"
        "* OK [HIGHESTMODSEQ 715194045007]\r\n"
        "A4 OK [APPENDUID 38505 3955]APPEND completed\r\n"),
    "UNTAGGED OK [ALERT] text='System shutdown in 10 minutes'\n"
    "TAGGED A1 OK [CAPABILITY IMAP4rev1 SASL-IR] text='Logged in'\n"
    "TAGGED A2 OK [COPYUID #38505 304,319:320 3956:3958] text='Done'\n"
    "TAGGED A3 NO [BADCHARSET (UTF-8 US-ASCII)] text='x'\n"
    "UNTAGGED OK [HIGHESTMODSEQ #715194045007] text=''\n"
    "TAGGED A4 OK [APPENDUID #38505 #3955] text='APPEND completed'\n" },
  /* resp-text-code allows any text after the atom: kept raw. */
  { "resp-code-raw", RSP, NULL,
    IN ("* OK [X-WEIRD some \"text] more\r\n"
        "* NO [X-LIT {5}] no literal here\r\n"
        "* OK [X-PAREN (a] b\r\n"),
    "UNTAGGED OK [X-WEIRD raw='some \"text'] text='more'\n"
    "UNTAGGED NO [X-LIT raw='{5}'] text='no literal here'\n"
    "UNTAGGED OK [X-PAREN raw='(a'] text='b'\n" },
  /* What servers send beside the grammar, and a client must take. */
  { "lenient", RSP, NULL,
    IN ("a1 OK\r\n"
        "* LIST () \"/\" \"caf\xc3\xa9\"\r\n"
        "* SEARCH 1 2 \r\n"
        "* FLAGS (\\Seen )\r\n"
        "a2 NO \xe5\xa4\xb1\xe8\xb4\xa5\r\n"),
    "TAGGED a1 OK text=''\n"
    "UNTAGGED LIST () '/' 'caf\\xc3\\xa9'\n"
    "UNTAGGED SEARCH #1 #2\n"
    "UNTAGGED FLAGS (\\Seen)\n"
    "TAGGED a2 NO text='\\xe5\\xa4\\xb1\\xe8\\xb4\\xa5'\n" },

  /* ---- Bad responses ---- */
  { "tagged-not-status", RSP, NULL, IN ("a1 PREAUTH x\r\na2 OK done\r\n"),
    "BAD syntax a1 \"Tagged response is not OK, NO or BAD\"\n"
    "TAGGED a2 OK text='done'\n" },
  { "untagged-no-sp", RSP, NULL, IN ("*OK\r\n+x\r\n"),
    "BAD syntax - \"Missing SP after \"*\"\"\n"
    "BAD syntax - \"Missing SP after \"+\"\"\n" },
  { "untagged-number-only", RSP, NULL, IN ("* 5\r\n* 99999999999 EXISTS\r\n"),
    "BAD syntax - \"Missing response name\"\n"
    "BAD syntax - \"Invalid message number\"\n" },
  { "response-non-sync", RSP, NULL,
    IN ("* 1 FETCH (BODY[] {5+}\r\nhello)\r\n* 2 EXISTS\r\n"),
    "BAD syntax - \"Non-synchronizing literal in a response\"\n"
    "UNTAGGED #2 EXISTS\n" },
  { "response-skip-literal", RSP, NULL,
    IN ("* 1 FETCH (BODY[] (X {5}\r\nhe)\r\n)\r\n* 2 EXISTS\r\n"),
    "BAD syntax - \"Missing \")\"\"\n"
    "UNTAGGED #2 EXISTS\n" },
  { "response-literal-too-large", RSP, &small_limits,
    IN ("* 1 FETCH (BODY[] {17}\r\n01234567890123456)\r\n"),
    "BYE literal-too-large - \"[TOOBIG] Literal of 17 octets is larger than "
    "the 16 octets allowed\"\n" },
  { "resp-code-unclosed", RSP, NULL, IN ("* OK [UNSEEN 12 Message\r\n* OK [\r\n"),
    "BAD syntax - \"Missing \"]\" after the response code\"\n"
    "BAD syntax - \"Invalid response code\"\n" },
  { "response-nul", RSP, NULL, IN ("a1 OK fi\0ne\r\n"),
    "BAD syntax a1 \"NUL octet outside a literal\"\n" },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *whole = NULL;
  g_autofree char *trickled = NULL;
  g_autofree char *chunked = NULL;

  whole = run (c->mode, c->limits, (const guint8 *) c->input, c->len, 0);
  g_assert_cmpstr (whole, ==, c->expected);

  trickled = run (c->mode, c->limits, (const guint8 *) c->input, c->len, 1);
  g_assert_cmpstr (trickled, ==, c->expected);

  chunked = run (c->mode, c->limits, (const guint8 *) c->input, c->len, 7);
  g_assert_cmpstr (chunked, ==, c->expected);
}

/* ---- What a table cannot show ---- */

static MscImapParserResult
feed (MscImapParser  *parser,
      const char     *text,
      MscImapItem   **item,
      GError        **error)
{
  const guint8 *p = (const guint8 *) text;
  gsize len = strlen (text);
  MscImapParserResult result;

  result = msc_imap_parser_next (parser, &p, &len, item, error);
  if (result == MSC_IMAP_PARSER_RESULT_NEED_MORE)
    g_assert_cmpuint (len, ==, 0);

  return result;
}

static void
test_expect_line (void)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  const char *input = "a1 AUTHENTICATE PLAIN\r\n" "dGVzdAB0ZXN0AHRlc3Q=\r\n"
                      "a2 IDLE\r\n" "DONE\r\n" "a3 NOOP\r\n";
  const guint8 *p = (const guint8 *) input;
  gsize len = strlen (input);
  MscImapItem *item = NULL;

  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->name, ==, "AUTHENTICATE");
  g_clear_pointer (&item, msc_imap_item_free);

  /* The engine knows that a SASL response comes next, not a command. */
  msc_imap_parser_expect_line (parser);
  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpint (item->kind, ==, MSC_IMAP_ITEM_LINE);
  g_assert_null (item->tag);
  g_assert_null (item->name);
  g_assert_cmpstr (item->text, ==, "dGVzdAB0ZXN0AHRlc3Q=");
  g_clear_pointer (&item, msc_imap_item_free);

  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->name, ==, "IDLE");
  g_clear_pointer (&item, msc_imap_item_free);

  msc_imap_parser_expect_line (parser);
  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpint (item->kind, ==, MSC_IMAP_ITEM_LINE);
  g_assert_cmpstr (item->text, ==, "DONE");
  g_clear_pointer (&item, msc_imap_item_free);

  /* Back to commands by itself. */
  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpint (item->kind, ==, MSC_IMAP_ITEM_COMMAND);
  g_assert_cmpstr (item->name, ==, "NOOP");
  g_clear_pointer (&item, msc_imap_item_free);
  g_assert_cmpuint (len, ==, 0);
}

static void
test_expect_line_errors (void)
{
  g_autoptr (MscImapParser) parser = NULL;
  g_autoptr (MscImapItem) item = NULL;
  g_autoptr (GError) error = NULL;
  MscImapParserLimits limits = { .max_line_length = 8 };

  parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, &limits);
  msc_imap_parser_expect_line (parser);
  g_assert_cmpint (feed (parser, "123456789\r\n", &item, &error), ==,
                   MSC_IMAP_PARSER_RESULT_ERROR);
  g_assert_error (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG);
  g_assert_cmpstr (error->message, ==, "Line is longer than 8 octets");
  g_assert_cmpint (item->kind, ==, MSC_IMAP_ITEM_LINE);
  g_clear_pointer (&item, msc_imap_item_free);
  g_clear_error (&error);

  msc_imap_parser_expect_line (parser);
  g_assert_cmpint (feed (parser, "ab\ncd\r\n", &item, &error), ==,
                   MSC_IMAP_PARSER_RESULT_ERROR);
  g_assert_cmpstr (error->message, ==, "Line ends in LF without CR");
}

/* An engine that will not take a literal answers NO or BAD instead of
 * "+" and resets: the client sends no literal, and its next line is a
 * new command. */
static void
test_refuse_literal (void)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  g_autoptr (MscImapItem) item = NULL;
  const MscImapItem *partial;

  g_assert_null (msc_imap_parser_peek (parser));
  g_assert_cmpint (feed (parser, "a1 APPEND \"Sent\" (\\Seen) {1000000}\r\n", &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION);
  g_assert_null (item);

  partial = msc_imap_parser_peek (parser);
  g_assert_nonnull (partial);
  g_assert_cmpstr (partial->tag, ==, "a1");
  g_assert_cmpstr (partial->name, ==, "APPEND");
  g_assert_cmpuint (partial->args->len, ==, 3);
  g_assert_cmpint (((MscImapValue *) g_ptr_array_index (partial->args, 2))->kind, ==,
                   MSC_IMAP_VALUE_LITERAL);
  g_assert_cmpuint (msc_imap_parser_get_literal_size (parser), ==, 1000000);

  msc_imap_parser_reset (parser);
  g_assert_null (msc_imap_parser_peek (parser));

  g_assert_cmpint (feed (parser, "a2 NOOP\r\n", &item, NULL), ==, MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->tag, ==, "a2");
}

/* At STARTTLS, what came in the clear after the command is forgotten
 * (CVE-2011-0411). */
static void
test_reset (void)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  const char *input = "a1 STARTTLS\r\na2 LOGIN user pa";
  const guint8 *p = (const guint8 *) input;
  gsize len = strlen (input);
  MscImapItem *item = NULL;

  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_clear_pointer (&item, msc_imap_item_free);
  g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_NEED_MORE);
  g_assert_nonnull (msc_imap_parser_peek (parser));
  g_assert_cmpuint (msc_imap_parser_get_buffered (parser), >, 0);

  msc_imap_parser_reset (parser);
  g_assert_cmpuint (msc_imap_parser_get_buffered (parser), ==, 0);

  g_assert_cmpint (feed (parser, "a3 NOOP\r\n", &item, NULL), ==, MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->tag, ==, "a3");
  g_assert_cmpstr (item->name, ==, "NOOP");
  g_clear_pointer (&item, msc_imap_item_free);
}

/* After a BYE nothing more is read, and nothing is kept. */
static void
test_dead (void)
{
  MscImapParserLimits limits = { .max_literal_size = 100 };
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, &limits);
  g_autoptr (MscImapItem) item = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (feed (parser, "a1 APPEND INBOX {101+}", &item, &error), ==,
                   MSC_IMAP_PARSER_RESULT_ERROR);
  g_assert_true (msc_imap_parser_error_is_fatal (error));
  g_assert_cmpstr (item->tag, ==, "a1");
  g_assert_cmpstr (item->name, ==, "APPEND");
  g_clear_pointer (&item, msc_imap_item_free);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (feed (parser, "a2 NOOP\r\n", &item, NULL), ==,
                       MSC_IMAP_PARSER_RESULT_NEED_MORE);
      g_assert_null (item);
      g_assert_cmpuint (msc_imap_parser_get_buffered (parser), ==, 0);
    }
}

/* A line of megabytes, with no CRLF for a long time: never held. */
static void
test_huge_line (void)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  g_autofree guint8 *block = g_malloc (65536);
  g_autoptr (MscImapItem) item = NULL;
  g_autoptr (GError) error = NULL;

  memset (block, 'x', 65536);
  memcpy (block, "a1 SEARCH TEXT ", 15);

  for (guint i = 0; i < 64; i++)
    {
      const guint8 *p = block;
      gsize len = 65536;

      g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, &error), ==,
                       MSC_IMAP_PARSER_RESULT_NEED_MORE);
      g_assert_cmpuint (msc_imap_parser_get_buffered (parser), <=, 65536);
      memset (block, 'x', 15);
    }

  g_assert_cmpint (feed (parser, "\r\n", &item, &error), ==, MSC_IMAP_PARSER_RESULT_ERROR);
  g_assert_error (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG);
  g_assert_cmpstr (error->message, ==, "Line is longer than 65536 octets");
  g_assert_false (msc_imap_parser_error_is_fatal (error));
  g_assert_cmpstr (item->tag, ==, "a1");
  g_assert_cmpstr (item->name, ==, "SEARCH");
  g_clear_pointer (&item, msc_imap_item_free);
  g_clear_error (&error);

  g_assert_cmpint (feed (parser, "a2 NOOP\r\n", &item, &error), ==, MSC_IMAP_PARSER_RESULT_ITEM);
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) input = g_string_new ("a1 X ");
  g_autofree char *log = NULL;

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (input, '(');
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (input, ')');
  g_string_append (input, "\r\na2 NOOP\r\n");

  log = run (MSC_IMAP_PARSER_MODE_COMMAND, &(MscImapParserLimits) { .max_line_length = 100000 },
             (const guint8 *) input->str, input->len, 0);
  g_assert_cmpstr (log, ==,
                   "BAD too-deep a1 \"Too deeply nested: more than 64 levels\"\n"
                   "COMMAND a2 NOOP\n");
}

/* A literal of 2 GB announced, then sent, while the parser skips it. */
static void
test_skip_big_literal (void)
{
  MscImapParserLimits limits = { .max_literal_size = G_MAXUINT32 };
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, &limits);
  g_autofree guint8 *block = g_malloc0 (1 << 20);
  g_autoptr (MscImapItem) item = NULL;
  g_autoptr (GError) error = NULL;

  /* Bad from its first argument: the literal is skipped, not kept. */
  g_assert_cmpint (feed (parser, "a1 APPEND ) {2147483648+}\r\n", &item, &error), ==,
                   MSC_IMAP_PARSER_RESULT_NEED_MORE);
  for (guint i = 0; i < 2048; i++)
    {
      const guint8 *p = block;
      gsize len = 1 << 20;

      g_assert_cmpint (msc_imap_parser_next (parser, &p, &len, &item, &error), ==,
                       MSC_IMAP_PARSER_RESULT_NEED_MORE);
      g_assert_cmpuint (msc_imap_parser_get_buffered (parser), ==, 0);
    }

  g_assert_cmpint (feed (parser, "\r\n", &item, &error), ==, MSC_IMAP_PARSER_RESULT_ERROR);
  g_assert_cmpstr (error->message, ==, "Unexpected \")\"");
  g_assert_cmpstr (item->tag, ==, "a1");
}

static void
test_code_text (void)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_RESPONSE, NULL);
  g_autoptr (MscImapItem) item = NULL;
  MscImapValue *list;

  g_assert_cmpint (feed (parser, "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
                         &item, NULL), ==, MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->code, ==, "PERMANENTFLAGS");
  g_assert_cmpstr (item->code_text, ==, "(\\Deleted \\Seen \\*)");
  g_assert_cmpuint (item->code_args->len, ==, 1);
  list = g_ptr_array_index (item->code_args, 0);
  g_assert_cmpint (list->kind, ==, MSC_IMAP_VALUE_LIST);
  g_assert_cmpuint (list->children->len, ==, 3);
  g_assert_true (msc_imap_value_is_atom (g_ptr_array_index (list->children, 2), "\\*"));
  g_assert_cmpstr (item->text, ==, "Limited");
  g_clear_pointer (&item, msc_imap_item_free);

  g_assert_cmpint (feed (parser, "* OK [ALERT] x\r\n", &item, NULL), ==,
                   MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpstr (item->code, ==, "ALERT");
  g_assert_null (item->code_text);
  g_assert_null (item->code_args);
}

/* ---- Accessors ---- */

static MscImapItem *
parse_one (const char *line,
           gssize      line_len)
{
  g_autoptr (MscImapParser) parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, NULL);
  const guint8 *p = (const guint8 *) line;
  gsize len = line_len < 0 ? strlen (line) : (gsize) line_len;
  MscImapItem *item = NULL;
  MscImapParserResult result;

  do
    result = msc_imap_parser_next (parser, &p, &len, &item, NULL);
  while (result == MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION);
  g_assert_cmpint (result, ==, MSC_IMAP_PARSER_RESULT_ITEM);
  g_assert_cmpuint (len, ==, 0);

  return item;
}

#define ARG(item, i) ((const MscImapValue *) g_ptr_array_index ((item)->args, (i)))

static void
test_accessors (void)
{
  static const char line[] =
    "a1 X atom a]b \\Seen 1:* NIL 42 \"q s\" {3+}\r\nl\0t (x) BODY[] \"\" inbox\r\n";
  g_autoptr (MscImapItem) item = parse_one (line, sizeof line - 1);
  const char *s;
  gsize len = 0;
  guint64 number = 0;

  g_assert_cmpuint (item->args->len, ==, 12);

  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 0), &len), ==, "atom");
  g_assert_cmpuint (len, ==, 4);
  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 1), NULL), ==, "a]b");
  /* Not ASTRING-CHARs: */
  g_assert_null (msc_imap_value_get_astring (ARG (item, 2), NULL));
  g_assert_null (msc_imap_value_get_astring (ARG (item, 3), NULL));
  /* As an astring, NIL is a name. */
  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 4), NULL), ==, "NIL");
  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 5), NULL), ==, "42");
  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 6), NULL), ==, "q s");
  s = msc_imap_value_get_astring (ARG (item, 7), &len);
  g_assert_cmpuint (len, ==, 3);
  g_assert_cmpmem (s, len, "l\0t", 3);
  g_assert_null (msc_imap_value_get_astring (ARG (item, 8), NULL));
  g_assert_null (msc_imap_value_get_astring (ARG (item, 9), NULL));
  g_assert_cmpstr (msc_imap_value_get_astring (ARG (item, 10), NULL), ==, "");

  g_assert_true (msc_imap_value_get_nstring (ARG (item, 4), &s, &len));
  g_assert_null (s);
  g_assert_true (msc_imap_value_get_nstring (ARG (item, 6), &s, NULL));
  g_assert_cmpstr (s, ==, "q s");
  g_assert_false (msc_imap_value_get_nstring (ARG (item, 0), &s, NULL));

  g_assert_true (msc_imap_value_get_number (ARG (item, 5), &number));
  g_assert_cmpuint (number, ==, 42);
  g_assert_false (msc_imap_value_get_number (ARG (item, 6), &number));

  g_assert_true (msc_imap_value_is_atom (ARG (item, 2), "\\SEEN"));
  g_assert_true (msc_imap_value_is_atom (ARG (item, 4), "nil"));
  g_assert_false (msc_imap_value_is_atom (ARG (item, 6), "q s"));
  g_assert_false (msc_imap_value_is_atom (ARG (item, 9), "BODY"));

  g_assert_cmpstr (msc_imap_value_kind_get_name (ARG (item, 8)->kind), ==, "list");
  g_assert_cmpstr (msc_imap_item_kind_get_name (item->kind), ==, "command");
}

static void
test_mailbox (void)
{
  static const struct {
    const char *line;
    gsize       len;
    const char *name;
    const char *message;
  } table[] = {
    { IN ("a SELECT inbox\r\n"), "INBOX", NULL },
    { IN ("a SELECT \"InBox\"\r\n"), "INBOX", NULL },
    { IN ("a SELECT INBOX.x\r\n"), "INBOX.x", NULL },
    { IN ("a SELECT &XfJT0ZAB-\r\n"), "已发送", NULL },
    { IN ("a SELECT \"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"\r\n"),
      "~peter/mail/台北/日本語", NULL },
    { IN ("a SELECT {10}\r\n&XfJT0ZAB-\r\n"), "已发送", NULL },
    { IN ("a SELECT &Jjo\r\n"), NULL, "A base64 run is not closed by \"-\"" },
    { IN ("a SELECT &\r\n"), NULL, "A base64 run is not closed by \"-\"" },
    { IN ("a SELECT {9}\r\n\xe5\xb7\xb2\xe5\x8f\x91\xe9\x80\x81\r\n"), NULL,
      "Modified UTF-7 holds only printable US-ASCII" },
    { IN ("a SELECT {3}\r\na\0b\r\n"), NULL, "Invalid mailbox name" },
    { IN ("a SELECT (INBOX)\r\n"), NULL, "Invalid mailbox name" },
    { IN ("a SELECT %\r\n"), NULL, "Invalid mailbox name" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (MscImapItem) item = parse_one (table[i].line, table[i].len);
      g_autoptr (GError) error = NULL;
      g_autofree char *name = msc_imap_value_dup_mailbox (ARG (item, 0), &error);

      g_assert_cmpstr (name, ==, table[i].name);
      if (table[i].message != NULL)
        g_assert_cmpstr (error->message, ==, table[i].message);
      else
        g_assert_no_error (error);
    }
}

/* ---- Sequence sets ---- */

static char *
format_set (GArray *set)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < set->len; i++)
    {
      const MscImapRange *range = &g_array_index (set, MscImapRange, i);

      g_string_append_printf (out, "%s%u-%u", i > 0 ? "," : "", range->first, range->last);
    }

  return g_string_free (out, FALSE);
}

static void
test_sequence_set (void)
{
  static const struct {
    const char *text;
    guint32     max;
    const char *ranges;
  } good[] = {
    { "1:*", 10, "1-10" },
    { "2,4:7,9", 10, "2-2,4-7,9-9" },
    { "*:3", 10, "3-10" },
    { "7:3", 10, "3-7" },
    { "*", 10, "10-10" },
    { "559:*", 100, "100-559" },
    { "1:*", 0, "0-1" },
    { "4294967295", 1, "4294967295-4294967295" },
    { "1,1,1", 3, "1-1,1-1,1-1" },
  };
  static const struct {
    const char *text;
    const char *message;
  } bad[] = {
    { "", "Invalid sequence set" },
    { "0", "Invalid sequence set: numbers start at 1" },
    { "1:0", "Invalid sequence set: numbers start at 1" },
    { "01", "Invalid sequence set: numbers start at 1" },
    { "1,", "Invalid sequence set" },
    { ",1", "Invalid sequence set" },
    { "1::2", "Invalid sequence set" },
    { "1:2:3", "Invalid sequence set" },
    { "a", "Invalid sequence set" },
    { "-1", "Invalid sequence set" },
    { " 1", "Invalid sequence set" },
    { "1 ", "Invalid sequence set" },
    { "1:*x", "Invalid sequence set" },
    { "**", "Invalid sequence set" },
    { "4294967296", "Invalid sequence set: number too large" },
    { "99999999999999999999999", "Invalid sequence set: number too large" },
  };
  g_autoptr (GArray) set = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) parsed = msc_imap_sequence_set_parse (good[i].text, good[i].max, &error);
      g_autofree char *ranges = NULL;

      g_assert_no_error (error);
      ranges = format_set (parsed);
      g_assert_cmpstr (ranges, ==, good[i].ranges);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) parsed = msc_imap_sequence_set_parse (bad[i].text, 10, &error);

      g_test_message ("bad: “%s”", bad[i].text);
      g_assert_null (parsed);
      g_assert_error (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }

  set = msc_imap_sequence_set_parse ("2,4:7,9:*", 12, NULL);
  g_assert_false (msc_imap_sequence_set_contains (set, 1));
  g_assert_true (msc_imap_sequence_set_contains (set, 2));
  g_assert_false (msc_imap_sequence_set_contains (set, 3));
  g_assert_true (msc_imap_sequence_set_contains (set, 4));
  g_assert_true (msc_imap_sequence_set_contains (set, 7));
  g_assert_false (msc_imap_sequence_set_contains (set, 8));
  g_assert_true (msc_imap_sequence_set_contains (set, 12));
  g_assert_false (msc_imap_sequence_set_contains (set, 13));
}

/* ---- Dates ---- */

static void
test_date_time (void)
{
  static const struct {
    const char *text;
    const char *iso;        /* NULL: refused */
    const char *formatted;
  } table[] = {
    { "17-Jul-1996 02:44:25 -0700", "1996-07-17T02:44:25-07", "17-Jul-1996 02:44:25 -0700" },
    { " 7-Jul-1996 02:44:25 +0000", "1996-07-07T02:44:25Z", "07-Jul-1996 02:44:25 +0000" },
    { "07-jUL-2026 23:59:59 +0530", "2026-07-07T23:59:59+05:30", "07-Jul-2026 23:59:59 +0530" },
    { "29-Feb-2024 00:00:00 -1200", "2024-02-29T00:00:00-12", "29-Feb-2024 00:00:00 -1200" },
    { "7-Jul-1996 02:44:25 -0700", NULL, NULL },
    { "17-Jul-1996 02:44:25 -0700 ", NULL, NULL },
    { "29-Feb-2023 00:00:00 +0000", NULL, NULL },
    { "31-Apr-2023 00:00:00 +0000", NULL, NULL },
    { "00-Jul-1996 02:44:25 -0700", NULL, NULL },
    { "17-Jux-1996 02:44:25 -0700", NULL, NULL },
    { "17-Jul-0000 02:44:25 -0700", NULL, NULL },
    { "17-Jul-1996 24:00:00 +0000", NULL, NULL },
    { "17-Jul-1996 02:60:00 +0000", NULL, NULL },
    { "17-Jul-1996 02:44:60 +0000", NULL, NULL },
    { "17-Jul-1996 02:44:25  0700", NULL, NULL },
    { "17-Jul-1996 02:44:25 -0760", NULL, NULL },
    { "17-Jul-1996 02:44:25 -2400", NULL, NULL },
    { "17-Jul-1996T02:44:25 -0700", NULL, NULL },
    { "", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GDateTime) date_time = msc_imap_parse_date_time (table[i].text, &error);

      g_test_message ("date-time: “%s”", table[i].text);
      if (table[i].iso == NULL)
        {
          g_assert_null (date_time);
          g_assert_error (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX);
          g_assert_cmpstr (error->message, ==, "Invalid date-time");
        }
      else
        {
          g_autofree char *iso = NULL;
          g_autofree char *formatted = NULL;
          g_autoptr (GDateTime) again = NULL;

          g_assert_no_error (error);
          iso = g_date_time_format_iso8601 (date_time);
          g_assert_cmpstr (iso, ==, table[i].iso);
          formatted = msc_imap_format_date_time (date_time);
          g_assert_cmpstr (formatted, ==, table[i].formatted);
          again = msc_imap_parse_date_time (formatted, NULL);
          g_assert_true (g_date_time_equal (again, date_time));
        }
    }
}

static void
test_date (void)
{
  static const struct {
    const char *text;
    const char *iso;
  } table[] = {
    { "1-Feb-1994", "1994-02-01T00:00:00Z" },
    { "01-feb-1994", "1994-02-01T00:00:00Z" },
    { "31-Dec-9999", "9999-12-31T00:00:00Z" },
    { "1-Feb-94", NULL },
    { "001-Feb-1994", NULL },
    { "1 Feb 1994", NULL },
    { "30-Feb-1994", NULL },
    { "1-Feb-1994 ", NULL },
    { "-Feb-1994", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GDateTime) date = msc_imap_parse_date (table[i].text, &error);

      g_test_message ("date: “%s”", table[i].text);
      if (table[i].iso == NULL)
        {
          g_assert_null (date);
          g_assert_cmpstr (error->message, ==, "Invalid date");
        }
      else
        {
          g_autofree char *iso = g_date_time_format_iso8601 (date);

          g_assert_no_error (error);
          g_assert_cmpstr (iso, ==, table[i].iso);
        }
    }
}

/* ---- Writing ---- */

typedef MscImapValueKind (*WriteFunc) (GString           *out,
                                       const char        *data,
                                       gssize             len,
                                       MscImapWriteFlags  flags);

static void
test_write (void)
{
  static const struct {
    WriteFunc          func;
    const char        *data;
    gssize             len;
    MscImapWriteFlags  flags;
    const char        *written;
    gsize              written_len;
    MscImapValueKind   kind;
  } table[] = {
    { msc_imap_write_astring, "INBOX", -1, 0, IN ("INBOX"), MSC_IMAP_VALUE_ATOM },
    { msc_imap_write_astring, "a]b", -1, 0, IN ("a]b"), MSC_IMAP_VALUE_ATOM },
    { msc_imap_write_astring, "", -1, 0, IN ("\"\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_astring, "a b", -1, 0, IN ("\"a b\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_astring, "nil", -1, 0, IN ("\"nil\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_astring, "\\Seen", -1, 0, IN ("\"\\\\Seen\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_astring, "1:*", -1, 0, IN ("\"1:*\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_astring, "\xe5\xb7\xb2", -1, 0, IN ("{3}\r\n\xe5\xb7\xb2"),
      MSC_IMAP_VALUE_LITERAL },
    { msc_imap_write_string, "atom", -1, 0, IN ("\"atom\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_string, "say \"hi\" \\o/", -1, 0, IN ("\"say \\\"hi\\\" \\\\o/\""),
      MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_string, "tab\there", -1, 0, IN ("\"tab\there\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_string, "two\r\nlines", -1, 0, IN ("{10}\r\ntwo\r\nlines"),
      MSC_IMAP_VALUE_LITERAL },
    { msc_imap_write_string, "two\r\nlines", -1, MSC_IMAP_WRITE_NON_SYNC,
      IN ("{10+}\r\ntwo\r\nlines"),
      MSC_IMAP_VALUE_LITERAL },
    { msc_imap_write_string, "a\0b", 3, 0, IN ("{3}\r\na\0b"), MSC_IMAP_VALUE_LITERAL },
    { msc_imap_write_nstring, NULL, -1, 0, IN ("NIL"), MSC_IMAP_VALUE_NIL },
    { msc_imap_write_nstring, "NIL", -1, 0, IN ("\"NIL\""), MSC_IMAP_VALUE_QUOTED },
    { msc_imap_write_nstring, "Re: \xe4\xbd\xa0\xe5\xa5\xbd", -1, 0,
      IN ("{10}\r\nRe: \xe4\xbd\xa0\xe5\xa5\xbd"), MSC_IMAP_VALUE_LITERAL },
  };
  static const struct {
    const char       *name;
    const char       *written;
    MscImapValueKind  kind;
  } mailboxes[] = {
    { "INBOX", "INBOX", MSC_IMAP_VALUE_ATOM },
    { "已发送", "&XfJT0ZAB-", MSC_IMAP_VALUE_ATOM },
    { "&", "&-", MSC_IMAP_VALUE_ATOM },
    { "My Mail/台北", "\"My Mail/&U,BTFw-\"", MSC_IMAP_VALUE_QUOTED },
    { "%", "\"%\"", MSC_IMAP_VALUE_QUOTED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GString) out = g_string_new ("x ");

      /* Appends: what was there stays. */
      g_assert_cmpint (table[i].func (out, table[i].data, table[i].len, table[i].flags), ==,
                       table[i].kind);
      g_assert_cmpmem (out->str, out->len - table[i].written_len, "x ", 2);
      g_assert_cmpmem (out->str + 2, out->len - 2, table[i].written, table[i].written_len);
    }

  for (guint i = 0; i < G_N_ELEMENTS (mailboxes); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);

      g_assert_cmpint (msc_imap_write_mailbox (out, mailboxes[i].name, 0), ==,
                       mailboxes[i].kind);
      g_assert_cmpstr (out->str, ==, mailboxes[i].written);
    }
}

/* Whatever the writer writes, the parser reads back as the same string. */
static void
test_write_round_trip (void)
{
  for (guint round = 0; round < 1000; round++)
    {
      g_autoptr (GString) data = g_string_new (NULL);
      g_autoptr (GString) line = g_string_new ("a1 X ");
      g_autoptr (MscImapItem) item = NULL;
      guint n = g_test_rand_int_range (0, 10);
      const char *s;
      gsize len = 0;

      for (guint i = 0; i < n; i++)
        {
          /* Mostly printable, sometimes anything. */
          if (g_test_rand_int_range (0, 4) == 0)
            g_string_append_c (data, (char) g_test_rand_int_range (0, 256));
          else
            g_string_append_c (data, (char) g_test_rand_int_range (0x20, 0x7f));
        }

      msc_imap_write_astring (line, data->str, data->len,
                              round % 2 ? MSC_IMAP_WRITE_NON_SYNC : MSC_IMAP_WRITE_DEFAULT);
      g_string_append_c (line, ' ');
      msc_imap_write_nstring (line, data->str, data->len, 0);
      g_string_append (line, "\r\n");

      item = parse_one (line->str, line->len);
      g_assert_cmpuint (item->args->len, ==, 2);
      s = msc_imap_value_get_astring (ARG (item, 0), &len);
      g_assert_nonnull (s);
      g_assert_cmpmem (s, len, data->str, data->len);
      g_assert_true (msc_imap_value_get_nstring (ARG (item, 1), &s, &len));
      g_assert_cmpmem (s, len, data->str, data->len);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/imap-parser/%s/%s",
                                               cases[i].mode == CMD ? "command" : "response",
                                               cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }

  g_test_add_func ("/msc/imap-parser/expect-line", test_expect_line);
  g_test_add_func ("/msc/imap-parser/expect-line-errors", test_expect_line_errors);
  g_test_add_func ("/msc/imap-parser/refuse-literal", test_refuse_literal);
  g_test_add_func ("/msc/imap-parser/reset", test_reset);
  g_test_add_func ("/msc/imap-parser/dead", test_dead);
  g_test_add_func ("/msc/imap-parser/huge-line", test_huge_line);
  g_test_add_func ("/msc/imap-parser/deep-nesting", test_deep_nesting);
  g_test_add_func ("/msc/imap-parser/skip-big-literal", test_skip_big_literal);
  g_test_add_func ("/msc/imap-parser/code-text", test_code_text);
  g_test_add_func ("/msc/imap-parser/accessors", test_accessors);
  g_test_add_func ("/msc/imap-parser/mailbox", test_mailbox);
  g_test_add_func ("/msc/imap-parser/sequence-set", test_sequence_set);
  g_test_add_func ("/msc/imap-parser/date-time", test_date_time);
  g_test_add_func ("/msc/imap-parser/date", test_date);
  g_test_add_func ("/msc/imap-parser/write", test_write);
  g_test_add_func ("/msc/imap-parser/write-round-trip", test_write_round_trip);

  return g_test_run ();
}
