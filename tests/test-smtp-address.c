/* test-smtp-address.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-smtp-address"

#include "config.h"

#include "msc-smtp-address.h"

static void
test_mailbox (void)
{
  static const struct {
    const char *address;
    gboolean    valid;
  } table[] = {
    { "user@example.com", TRUE },
    { "first.last+tag@mail.example.org", TRUE },
    { "!#$%&'*+-/=?^_`{|}~@example.com", TRUE },
    { "\"john doe\"@example.com", TRUE },
    { "\"a\\\"b\"@example.com", TRUE },
    { "\"\"@example.com", TRUE },
    { "user@[192.0.2.1]", TRUE },
    { "user@[IPv6:2001:db8::1]", TRUE },
    { "用户@例子.中国", TRUE },
    { "测试@example.com", TRUE },
    { "user@xn--fsqu00a.xn--fiqs8s", TRUE },
    { "user@a-b.example", TRUE },
    { "", FALSE },
    { "user", FALSE },
    { "@example.com", FALSE },
    { "user@", FALSE },
    { ".user@example.com", FALSE },
    { "user.@example.com", FALSE },
    { "us..er@example.com", FALSE },
    { "us er@example.com", FALSE },
    { "\"unterminated@example.com", FALSE },
    { "\"a\"b@example.com", FALSE },
    { "user@-example.com", FALSE },
    { "user@example-.com", FALSE },
    { "user@example..com", FALSE },
    { "user@example.com.", FALSE },
    { "user@exa_mple.com", FALSE },
    { "user@[]", FALSE },
    { "user@[192.0.2.1", FALSE },
    { "user@[192.0.2.1]x", FALSE },
    { "user@[a b]", FALSE },
    { "a@b@c", FALSE },
    /* Invalid UTF-8 */
    { "\xe7\x94@example.com", FALSE },
    /* Injection: nothing after the mailbox may reach the command line */
    { "a@b>\r\nRSET", FALSE },
    { "a@b.example> NOTIFY=NEVER", FALSE },
    { "a@b.example\r\nRCPT TO:<x@y>", FALSE },
    { "a@b.example\n", FALSE },
    { "\"a\r\nRSET\"@example.com", FALSE },
    { "a@[1.2.3.4]>\r\nRSET", FALSE },
    { "a\t@example.com", FALSE },
    { "<a@example.com>", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      /* Escaped: a CR or a stray byte in a TAP comment breaks the log */
      g_autofree char *shown = g_strescape (table[i].address, NULL);

      g_test_message ("%s", shown);
      g_assert_cmpint (msc_smtp_address_is_valid_mailbox (table[i].address, FALSE), ==,
                       table[i].valid);
      g_assert_cmpint (msc_smtp_address_is_valid_mailbox (table[i].address, TRUE), ==,
                       table[i].valid);
    }
}

static void
test_postmaster (void)
{
  g_assert_true (msc_smtp_address_is_valid_mailbox ("postmaster", TRUE));
  g_assert_true (msc_smtp_address_is_valid_mailbox ("PostMaster", TRUE));
  g_assert_false (msc_smtp_address_is_valid_mailbox ("postmaster", FALSE));
  g_assert_false (msc_smtp_address_is_valid_mailbox ("\"postmaster\"", TRUE));
  g_assert_false (msc_smtp_address_is_valid_mailbox ("postmasters", TRUE));
  g_assert_false (msc_smtp_address_is_valid_mailbox ("postmaster>\r\nRSET", TRUE));
}

/* The server's way in: the mailbox ends where the path's ">" is, and the
 * "@" is found for splitting off the domain. */
static void
test_skip_mailbox (void)
{
  const char *text = "user@例子.中国> SMTPUTF8";
  const char *p = text;
  const char *at = NULL;

  g_assert_true (msc_smtp_address_skip_mailbox (&p, FALSE, &at));
  g_assert_cmpstr (p, ==, "> SMTPUTF8");
  g_assert_true (at == text + 4);

  text = "Postmaster>";
  p = text;
  g_assert_true (msc_smtp_address_skip_mailbox (&p, TRUE, &at));
  g_assert_cmpstr (p, ==, ">");
  g_assert_null (at);

  text = "no-domain>";
  p = text;
  g_assert_false (msc_smtp_address_skip_mailbox (&p, TRUE, &at));
  g_assert_true (p == text);
}

static void
test_helo (void)
{
  g_assert_true (msc_smtp_address_is_valid_helo ("mail.example.com"));
  g_assert_true (msc_smtp_address_is_valid_helo ("WIN_PC-1"));
  g_assert_true (msc_smtp_address_is_valid_helo ("[192.0.2.1]"));
  g_assert_true (msc_smtp_address_is_valid_helo ("[IPv6:2001:db8::1]"));
  g_assert_false (msc_smtp_address_is_valid_helo (""));
  g_assert_false (msc_smtp_address_is_valid_helo ("例子.中国"));
  g_assert_false (msc_smtp_address_is_valid_helo ("host name"));
  g_assert_false (msc_smtp_address_is_valid_helo ("host\r\nMAIL FROM:<>"));
  g_assert_false (msc_smtp_address_is_valid_helo ("[192.0.2.1]x"));
  g_assert_false (msc_smtp_address_is_valid_helo ("[]"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/smtp-address/mailbox", test_mailbox);
  g_test_add_func ("/msc/smtp-address/postmaster", test_postmaster);
  g_test_add_func ("/msc/smtp-address/skip-mailbox", test_skip_mailbox);
  g_test_add_func ("/msc/smtp-address/helo", test_helo);

  return g_test_run ();
}
