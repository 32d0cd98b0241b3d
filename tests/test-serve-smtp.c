/* test-serve-smtp.c — mailscope-cli serve with real SMTP clients
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts the real program on free loopback ports, drives it with Python's
 * smtplib and with curl, and checks every accepted message byte for byte
 * in the Maildir.
 */

#include "config.h"

#include <string.h>

#include "msc-test-serve.h"

#define IDLE_TIMEOUT_SECONDS 3
#define MAX_MESSAGE_SIZE 200000

typedef struct {
  MscTestServer *server;
  const char    *store;
  const char    *mx_port;
  const char    *submission_port;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *timeout = g_strdup_printf ("%d", IDLE_TIMEOUT_SECONDS);
  g_autofree char *max_size = g_strdup_printf ("%d", MAX_MESSAGE_SIZE);
  const char *args[] = { "--insecure-auth", "--idle-timeout", timeout,
                         "--max-message-size", max_size, NULL };

  fixture->server = msc_test_server_start (args);
  fixture->store = msc_test_server_get_store (fixture->server);
  fixture->mx_port = msc_test_server_get_port (fixture->server, "smtp");
  fixture->submission_port = msc_test_server_get_port (fixture->server, "submission");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  msc_test_server_stop (fixture->server);
}

#define run_client(...) msc_test_run_client ("smtp-clients.py", __VA_ARGS__)

static char *
write_message (Fixture    *fixture,
               const char *name,
               const char *text)
{
  return msc_test_write_file (fixture->store, name, text);
}

static GPtrArray *
read_maildir (Fixture    *fixture,
              const char *folder)
{
  return msc_test_read_maildir (fixture->store, folder);
}

/* The stored message is the sent one, byte for byte, after the trace
 * fields the receiving server puts in front (Return-Path, Received). */
static void
assert_delivered (Fixture    *fixture,
                  const char *account_dir,
                  const char *sent,
                  const char *reverse_path)
{
  g_autoptr(GPtrArray) messages = read_maildir (fixture, account_dir);
  g_autofree char *return_path = g_strdup_printf ("Return-Path: <%s>\r\nReceived: from ", reverse_path);
  guint found = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      gsize size;
      const char *data = g_bytes_get_data (messages->pdata[i], &size);
      gsize sent_len = strlen (sent);

      if (size >= sent_len && memcmp (data + size - sent_len, sent, sent_len) == 0)
        {
          const char *end_of_received;

          g_assert_true (g_str_has_prefix (data, return_path));
          /* Only the Received field (with its folded lines) sits between. */
          end_of_received = data + strlen (return_path);
          g_assert_true (end_of_received <= data + size - sent_len);
          found++;
        }
    }

  g_assert_cmpuint (found, ==, 1);
}

static const char plain_message[] =
  "From: Carol <carol@elsewhere.test>\r\n"
  "To: Alice <alice@example.com>, Bob <bob@example.com>\r\n"
  "Subject: Lunch on Friday\r\n"
  "Date: Thu, 26 Nov 2026 12:00:00 +0800\r\n"
  "Message-ID: <lunch.1@elsewhere.test>\r\n"
  "\r\n"
  "Shall we meet at noon?\r\n"
  ".A line that starts with a dot\r\n"
  "..and one with two\r\n"
  ".\r\n"
  "\r\n"
  "Carol\r\n";

static void
test_mx_delivers (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *path = write_message (fixture, "plain.eml", plain_message);

  run_client ("send-mx", "127.0.0.1", fixture->mx_port, path,
              "carol@elsewhere.test", "alice@example.com", "bob@example.com", NULL);

  assert_delivered (fixture, "example.com/alice", plain_message, "carol@elsewhere.test");
  assert_delivered (fixture, "example.com/bob", plain_message, "carol@elsewhere.test");
}

static void
test_mx_refusals (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *size = g_strdup_printf ("%d", MAX_MESSAGE_SIZE);

  run_client ("refused-recipient", "127.0.0.1", fixture->mx_port,
              "carol@elsewhere.test", "nobody@example.com", "550", "5.1.1", NULL);
  run_client ("refused-recipient", "127.0.0.1", fixture->mx_port,
              "carol@elsewhere.test", "dave@elsewhere.test", "550", "5.7.1", NULL);
  run_client ("refused-sender", "127.0.0.1", fixture->mx_port,
              "carol@elsewhere.test", "alice@example.com", size, "552", "5.3.4", NULL);

  {
    g_autoptr(GPtrArray) messages = read_maildir (fixture, "example.com/alice");
    g_assert_cmpuint (messages->len, ==, 0);
  }
}

static void
test_submission (Fixture       *fixture,
                 gconstpointer  user_data)
{
  static const char message[] =
    "From: Alice <alice@example.com>\r\n"
    "To: Bob <bob@example.com>, Dave <dave@elsewhere.test>\r\n"
    "Subject: Contract draft\r\n"
    "\r\n"
    "The draft is attached.\r\n";
  g_autofree char *path = write_message (fixture, "submit.eml", message);
  g_autofree char *outbound = g_build_filename (fixture->store, "outbound", NULL);
  g_autoptr(GDir) dir = NULL;
  guint queued = 0;

  run_client ("submission-needs-login", "127.0.0.1", fixture->submission_port,
              "alice@example.com", "bob@example.com", NULL);
  run_client ("wrong-password", "127.0.0.1", fixture->submission_port, "alice@example.com", NULL);
  run_client ("submit", "127.0.0.1", fixture->submission_port, "alice@example.com", "alice-secret",
              "PLAIN", path, "alice@example.com", "bob@example.com", "dave@elsewhere.test", NULL);
  run_client ("submit", "127.0.0.1", fixture->submission_port, "bob@example.com", "bob-secret",
              "LOGIN", path, "bob@example.com", "alice@example.com", NULL);
  /* Sending as someone else is refused even when logged in. */
  run_client ("not-own-address", "127.0.0.1", fixture->submission_port,
              "bob@example.com", "bob-secret", "alice@example.com", NULL);

  assert_delivered (fixture, "example.com/bob", message, "alice@example.com");
  assert_delivered (fixture, "example.com/alice", message, "bob@example.com");

  /* The other domain's recipient waits in the outbound queue, never sent. */
  dir = g_dir_open (outbound, 0, NULL);
  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    queued++;
  g_assert_cmpuint (queued, ==, 1);
}

static void
test_chinese_address (Fixture       *fixture,
                      gconstpointer  user_data)
{
  static const char message[] =
    "From: =?UTF-8?B?5byg5LiJ?= <张三@例子.公司>\r\n"
    "To: Alice <alice@example.com>\r\n"
    "Subject: 项目进度\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "你好，项目进度见附件。\r\n";
  g_autofree char *path = write_message (fixture, "utf8.eml", message);

  run_client ("utf8-submit", "127.0.0.1", fixture->submission_port, "张三@例子.公司", "zhang-secret",
              path, "张三@例子.公司", "alice@example.com", NULL);
  assert_delivered (fixture, "example.com/alice", message, "张三@例子.公司");
}

static void
test_curl (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *path = write_message (fixture, "curl.eml", plain_message);
  g_autofree char *url = g_strdup_printf ("smtp://127.0.0.1:%s", fixture->mx_port);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;
  const char *argv[] = { "curl", "--silent", "--show-error", "--max-time", "20",
                         url, "--mail-from", "carol@elsewhere.test",
                         "--mail-rcpt", "alice@example.com", "-T", path, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("curl failed: %s", err);

  assert_delivered (fixture, "example.com/alice", plain_message, "carol@elsewhere.test");
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *seconds = g_strdup_printf ("%d", IDLE_TIMEOUT_SECONDS);
  g_autofree char *path = write_message (fixture, "after.eml", plain_message);
  g_autoptr(GPtrArray) messages = NULL;

  run_client ("bad-input", "127.0.0.1", fixture->mx_port, NULL);
  run_client ("drop-mid-data", "127.0.0.1", fixture->mx_port,
              "carol@elsewhere.test", "alice@example.com", "half-sent", NULL);
  run_client ("silent", "127.0.0.1", fixture->mx_port, seconds, NULL);

  /* The server still serves, and the dropped message left nothing behind. */
  run_client ("send-mx", "127.0.0.1", fixture->mx_port, path,
              "carol@elsewhere.test", "alice@example.com", NULL);
  messages = read_maildir (fixture, "example.com/alice");
  g_assert_cmpuint (messages->len, ==, 1);
  assert_delivered (fixture, "example.com/alice", plain_message, "carol@elsewhere.test");
}

static void
test_many_clients (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GPtrArray) messages = NULL;

  run_client ("many-clients", "127.0.0.1", fixture->mx_port, "25",
              "carol@elsewhere.test", "bob@example.com", NULL);
  messages = read_maildir (fixture, "example.com/bob");
  g_assert_cmpuint (messages->len, ==, 25);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/serve-smtp/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("mx-delivers", test_mx_delivers);
  ADD ("mx-refusals", test_mx_refusals);
  ADD ("submission", test_submission);
  ADD ("chinese-address", test_chinese_address);
  ADD ("curl", test_curl);
  ADD ("bad-input", test_bad_input);
  ADD ("many-clients", test_many_clients);
#undef ADD

  return g_test_run ();
}
