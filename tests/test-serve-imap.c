/* test-serve-imap.c — mailscope-cli serve with real IMAP clients
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Mail arrives over SMTP; Python's imaplib and curl then work on it over
 * IMAP: every command, Chinese search, IDLE push from another session and
 * from an SMTP delivery, and a POP3 deletion seen as an EXPUNGE.
 */

#include "config.h"

#include <string.h>

#include "msc-test-serve.h"

typedef struct {
  MscTestServer *server;
  const char    *store;
  const char    *mx_port;
  const char    *pop3_port;
  const char    *imap_port;
} Fixture;

#define run_imap(...) msc_test_run_client ("imap-clients.py", __VA_ARGS__)

static const char *testdata[] = {
  "01-plain-ascii.eml",
  "02-utf8-chinese-base64.eml",             /* UTF-8, RFC 2047 B, base64 body */
  "03-gb2312-foxmail-style.eml",            /* GB2312 words, GBK base64 body */
  "08-8bit-utf8-folded-headers.eml",        /* 8bit body, a subject in two words */
};

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char *args[] = { "--insecure-auth", NULL };

  fixture->server = msc_test_server_start (args);
  fixture->store = msc_test_server_get_store (fixture->server);
  fixture->mx_port = msc_test_server_get_port (fixture->server, "smtp");
  fixture->pop3_port = msc_test_server_get_port (fixture->server, "pop3");
  fixture->imap_port = msc_test_server_get_port (fixture->server, "imap");

  for (guint i = 0; i < G_N_ELEMENTS (testdata); i++)
    {
      g_autofree char *path = g_build_filename (g_getenv ("MSC_TESTDATA_DIR"), testdata[i], NULL);

      msc_test_run_client ("smtp-clients.py", "send-mx", "127.0.0.1", fixture->mx_port, path,
                           "carol@elsewhere.test", "alice@example.com", NULL);
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  msc_test_server_stop (fixture->server);
}

static void
test_commands (Fixture       *fixture,
               gconstpointer  user_data)
{
  run_imap ("commands", "127.0.0.1", fixture->imap_port, "alice@example.com", "alice-secret", NULL);
}

static void
test_search_chinese (Fixture       *fixture,
                     gconstpointer  user_data)
{
  static const struct {
    const char *field;
    const char *word;
    const char *expected;
  } searches[] = {
    { "SUBJECT", "项目会议", "1" },   /* UTF-8, B-encoded */
    { "SUBJECT", "销售数据", "1" },   /* GB2312, B-encoded */
    { "SUBJECT", "正确，以及", "1" }, /* across two encoded words */
    { "FROM", "小陈", "1" },          /* a GB2312 display name */
    { "BODY", "会议室", "1" },        /* UTF-8 in base64 */
    { "BODY", "查收", "1" },          /* GBK in base64 */
    { "BODY", "正文直接", "1" },      /* 8bit UTF-8 */
    { "TEXT", "王经理", "1" },
    { "SUBJECT", "quarterly", "1" },  /* ASCII, any case */
    { "BODY", "不存在的词", "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    run_imap ("search-chinese", "127.0.0.1", fixture->imap_port, "alice@example.com", "alice-secret",
              searches[i].field, searches[i].word, searches[i].expected, NULL);
}

static void
test_idle (Fixture       *fixture,
           gconstpointer  user_data)
{
  run_imap ("idle-flags", "127.0.0.1", fixture->imap_port, "alice@example.com", "alice-secret", NULL);
  run_imap ("idle-delivery", "127.0.0.1", fixture->imap_port, fixture->mx_port,
            "alice@example.com", "alice-secret", NULL);
}

static void
test_pop3_deletion (Fixture       *fixture,
                    gconstpointer  user_data)
{
  run_imap ("pop3-deletion", "127.0.0.1", fixture->imap_port, fixture->pop3_port,
            "alice@example.com", "alice-secret", NULL);
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  user_data)
{
  run_imap ("bad-input", "127.0.0.1", fixture->imap_port, "alice@example.com", "alice-secret", NULL);
  /* Another session is unaffected. */
  run_imap ("search-chinese", "127.0.0.1", fixture->imap_port, "alice@example.com", "alice-secret",
            "SUBJECT", "销售数据", "1", NULL);
}

static void
test_curl (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *list_url = g_strdup_printf ("imap://127.0.0.1:%s/", fixture->imap_port);
  g_autofree char *listing = msc_test_run_curl (list_url);
  g_autoptr(GPtrArray) stored = msc_test_read_maildir (fixture->store, "example.com/alice");
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%s/INBOX;UID=1", fixture->imap_port);
  g_autofree char *message = msc_test_run_curl (url);
  gboolean found = FALSE;

  g_assert_nonnull (strstr (listing, "INBOX"));
  g_assert_nonnull (strstr (listing, "\\Sent"));

  for (guint i = 0; i < stored->len; i++)
    {
      gsize size;
      const char *data = g_bytes_get_data (stored->pdata[i], &size);

      if (strlen (message) == size && memcmp (message, data, size) == 0)
        found = TRUE;
    }
  g_assert_true (found);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/serve-imap/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("commands", test_commands);
  ADD ("search-chinese", test_search_chinese);
  ADD ("idle", test_idle);
  ADD ("pop3-deletion", test_pop3_deletion);
  ADD ("bad-input", test_bad_input);
  ADD ("curl", test_curl);
#undef ADD

  return g_test_run ();
}
