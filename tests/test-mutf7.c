/* test-mutf7.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-mutf7"

#include "config.h"

#include <string.h>

#include "msc-mutf7.h"

static void
test_table (void)
{
  static const struct {
    const char *utf8;
    const char *mutf7;
  } table[] = {
    { "INBOX", "INBOX" },
    { "已发送", "&XfJT0ZAB-" },
    /* RFC 3501 §5.1.3's example */
    { "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
    { "&", "&-" },
    { "a&b", "a&-b" },
    { "&&", "&-&-" },
    { "项目", "&mHl27g-" },
    { "二〇二六", "&TowwB06MUW0-" },
    { "日本語&台北", "&ZeVnLIqe-&-&U,BTFw-" },
    { "Ünïcödé", "&ANw-n&AO8-c&APY-d&AOk-" },
    { "📬", "&2D3c7A-" },
    { "tab\there", "tab&AAk-here" },
    { "del\x7f", "del&AH8-" },
    { "~-+,/", "~-+,/" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *encoded = msc_mutf7_encode (table[i].utf8, &error);
      g_autofree char *decoded = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (encoded, ==, table[i].mutf7);

      decoded = msc_mutf7_decode (table[i].mutf7, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, table[i].utf8);
    }
}

static void
test_bad (void)
{
  static const struct {
    const char    *mutf7;
    MscMutf7Error  code;
    const char    *message;
  } bad[] = {
    { "&", MSC_MUTF7_ERROR_UNTERMINATED, "A base64 run is not closed by \"-\"" },
    { "&Jjo", MSC_MUTF7_ERROR_UNTERMINATED, "A base64 run is not closed by \"-\"" },
    { "a&U,BTFw", MSC_MUTF7_ERROR_UNTERMINATED, "A base64 run is not closed by \"-\"" },
    { "&Jjo!-", MSC_MUTF7_ERROR_BAD_BASE64,
      "A base64 run holds a character outside modified base64" },
    { "&U,BTFw=-", MSC_MUTF7_ERROR_BAD_BASE64,
      "A base64 run holds a character outside modified base64" },
    /* "/" is plain base64's, "," modified UTF-7's */
    { "&U/BTFw-", MSC_MUTF7_ERROR_BAD_BASE64,
      "A base64 run holds a character outside modified base64" },
    { "&A-", MSC_MUTF7_ERROR_BAD_BASE64, "A base64 run does not hold whole UTF-16 units" },
    { "&AAAA-", MSC_MUTF7_ERROR_BAD_BASE64, "A base64 run does not hold whole UTF-16 units" },
    { "&mHl27h-", MSC_MUTF7_ERROR_NOT_CANONICAL,
      "A base64 run ends with padding bits that are not zero" },
    { "&2D3-", MSC_MUTF7_ERROR_NOT_CANONICAL,
      "A base64 run ends with padding bits that are not zero" },
    { "&AGE-", MSC_MUTF7_ERROR_NOT_CANONICAL, "Printable US-ASCII must not be written in base64" },
    { "&ACY-", MSC_MUTF7_ERROR_NOT_CANONICAL, "Printable US-ASCII must not be written in base64" },
    { "&ZeVnLIqe-&U,BTFw-", MSC_MUTF7_ERROR_NOT_CANONICAL,
      "Two base64 runs back to back must be one" },
    { "&2D0-", MSC_MUTF7_ERROR_BAD_UTF16, "A base64 run holds a lone UTF-16 surrogate" },
    { "&3D0-", MSC_MUTF7_ERROR_BAD_UTF16, "A base64 run holds a lone UTF-16 surrogate" },
    { "&AAA-", MSC_MUTF7_ERROR_INVALID_CHAR, "The name holds U+0000" },
    { "caf\xc3\xa9", MSC_MUTF7_ERROR_INVALID_CHAR, "Modified UTF-7 holds only printable US-ASCII" },
    { "a\x7f", MSC_MUTF7_ERROR_INVALID_CHAR, "Modified UTF-7 holds only printable US-ASCII" },
    { "a\tb", MSC_MUTF7_ERROR_INVALID_CHAR, "Modified UTF-7 holds only printable US-ASCII" },
    { "&AB\x01-", MSC_MUTF7_ERROR_INVALID_CHAR, "Modified UTF-7 holds only printable US-ASCII" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *decoded = NULL;

      g_test_message ("bad: %s", bad[i].mutf7);
      decoded = msc_mutf7_decode (bad[i].mutf7, &error);
      g_assert_null (decoded);
      g_assert_error (error, MSC_MUTF7_ERROR, (gint) bad[i].code);
      g_assert_cmpstr (error->message, ==, bad[i].message);

      /* NULL for the error is fine too. */
      g_assert_null (msc_mutf7_decode (bad[i].mutf7, NULL));
    }
}

static void
test_encode_invalid (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (msc_mutf7_encode ("\xff", &error));
  g_assert_error (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_INVALID_UTF8);
  g_assert_cmpstr (error->message, ==, "The name is not valid UTF-8");
  /* An encoded surrogate (CESU-8) is not UTF-8 either. */
  g_assert_null (msc_mutf7_encode ("\xed\xa0\xbd", NULL));
}

static gunichar
random_char (void)
{
  for (;;)
    {
      gunichar c;

      switch (g_test_rand_int_range (0, 4))
        {
        case 0:
          c = g_test_rand_int_range (0x01, 0x80);
          break;
        case 1:
          c = g_test_rand_int_range (0x80, 0x800);
          break;
        case 2:
          c = g_test_rand_int_range (0x800, 0x10000);
          break;
        default:
          c = g_test_rand_int_range (0x10000, 0x110000);
          break;
        }

      if (g_unichar_validate (c))
        return c;
    }
}

/* Whatever UTF-8 goes in comes back, and the encoding is the one strict
 * decoding accepts: printable ASCII only, and encode(decode(x)) == x. */
static void
test_round_trip (void)
{
  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (GError) error = NULL;
      g_autofree char *encoded = NULL;
      g_autofree char *decoded = NULL;
      g_autofree char *again = NULL;
      guint n = g_test_rand_int_range (0, 12);

      for (guint i = 0; i < n; i++)
        g_string_append_unichar (text, random_char ());

      encoded = msc_mutf7_encode (text->str, &error);
      g_assert_no_error (error);
      for (const char *p = encoded; *p != '\0'; p++)
        g_assert_true (*p >= 0x20 && *p <= 0x7e);

      decoded = msc_mutf7_decode (encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (decoded, ==, text->str);

      again = msc_mutf7_encode (decoded, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again, ==, encoded);
    }
}

/* Every run of random modified-base64 characters either decodes to a
 * name that encodes back to exactly it, or is refused: no second
 * spelling of any name gets through. */
static void
test_canonical (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

  for (guint round = 0; round < 5000; round++)
    {
      g_autoptr (GString) text = g_string_new ("&");
      g_autofree char *decoded = NULL;
      guint n = g_test_rand_int_range (1, 12);

      for (guint i = 0; i < n; i++)
        g_string_append_c (text, alphabet[g_test_rand_int_range (0, 64)]);
      g_string_append_c (text, '-');

      decoded = msc_mutf7_decode (text->str, NULL);
      if (decoded != NULL)
        {
          g_autofree char *encoded = msc_mutf7_encode (decoded, NULL);

          g_assert_cmpstr (encoded, ==, text->str);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/mutf7/table", test_table);
  g_test_add_func ("/msc/mutf7/bad", test_bad);
  g_test_add_func ("/msc/mutf7/encode-invalid", test_encode_invalid);
  g_test_add_func ("/msc/mutf7/round-trip", test_round_trip);
  g_test_add_func ("/msc/mutf7/canonical", test_canonical);

  return g_test_run ();
}
