/* test-serve-pop3.c — mailscope-cli serve with real POP3 clients
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Mail arrives over SMTP, then Python's poplib and curl download it over
 * POP3: byte for byte what the Maildir holds, deleted only at QUIT.
 */

#include "config.h"

#include <string.h>

#include "msc-test-serve.h"

typedef struct {
  MscTestServer *server;
  const char    *store;
  const char    *mx_port;
  const char    *pop3_port;
  char          *alice;
} Fixture;

#define run_pop3(...) msc_test_run_client ("pop3-clients.py", __VA_ARGS__)

static const char *testdata[] = {
  "01-plain-ascii.eml",              /* lines starting with "." and ".." */
  "03-gb2312-foxmail-style.eml",
  "05-mixed-attachment-chinese-filename.eml",
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
  fixture->alice = g_build_filename (fixture->store, "example.com", "alice", NULL);

  /* The shared test messages reach Alice the way mail does: over SMTP. */
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
  g_free (fixture->alice);
}

static guint
count_stored (Fixture *fixture)
{
  g_autoptr(GPtrArray) messages = msc_test_read_maildir (fixture->store, "example.com/alice");

  return messages->len;
}

static void
test_download (Fixture       *fixture,
               gconstpointer  user_data)
{
  run_pop3 ("inspect", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret",
            fixture->alice, NULL);
  /* Downloading alone deletes nothing. */
  g_assert_cmpuint (count_stored (fixture), ==, G_N_ELEMENTS (testdata));
}

static void
test_delete_at_quit_only (Fixture       *fixture,
                          gconstpointer  user_data)
{
  run_pop3 ("dele-then-rset", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", NULL);
  g_assert_cmpuint (count_stored (fixture), ==, 3);

  run_pop3 ("drop-without-quit", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", NULL);
  run_pop3 ("count-after", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", "3", NULL);
  g_assert_cmpuint (count_stored (fixture), ==, 3);

  run_pop3 ("dele-then-quit", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", NULL);
  run_pop3 ("count-after", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", "2", NULL);
  g_assert_cmpuint (count_stored (fixture), ==, 2);
}

static void
test_in_use (Fixture       *fixture,
             gconstpointer  user_data)
{
  run_pop3 ("in-use", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", NULL);
  run_pop3 ("wrong-password", "127.0.0.1", fixture->pop3_port, "alice@example.com", NULL);
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  user_data)
{
  run_pop3 ("bad-input", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", NULL);
  run_pop3 ("count-after", "127.0.0.1", fixture->pop3_port, "alice@example.com", "alice-secret", "3", NULL);
}

static void
test_curl (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *list_url = g_strdup_printf ("pop3://127.0.0.1:%s/", fixture->pop3_port);
  g_autofree char *listing = msc_test_run_curl (list_url);
  g_auto(GStrv) lines = g_strsplit (listing, "\r\n", -1);
  g_autoptr(GPtrArray) stored = msc_test_read_maildir (fixture->store, "example.com/alice");
  guint listed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      listed++;
  g_assert_cmpuint (listed, ==, stored->len);

  /* Each message curl fetches is one of the stored files, exactly. */
  for (guint number = 1; number <= stored->len; number++)
    {
      g_autofree char *url = g_strdup_printf ("pop3://127.0.0.1:%s/%u", fixture->pop3_port, number);
      g_autofree char *message = msc_test_run_curl (url);
      gboolean found = FALSE;

      for (guint i = 0; i < stored->len; i++)
        {
          gsize size;
          const char *data = g_bytes_get_data (stored->pdata[i], &size);

          if (strlen (message) == size && memcmp (message, data, size) == 0)
            found = TRUE;
        }
      g_assert_true (found);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/serve-pop3/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("download", test_download);
  ADD ("delete-at-quit-only", test_delete_at_quit_only);
  ADD ("in-use", test_in_use);
  ADD ("bad-input", test_bad_input);
  ADD ("curl", test_curl);
#undef ADD

  return g_test_run ();
}
