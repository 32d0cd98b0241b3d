/* test-serve-tls.c — mailscope-cli serve with real TLS mail clients
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server runs without --insecure-auth, as a real one would: passwords
 * only inside TLS.  Python's smtplib, poplib and imaplib, curl and openssl
 * s_client connect on the implicit-TLS ports and with STARTTLS/STLS on the
 * plain ones, trusting the teaching CA written by --ca-out; a client that
 * trusts only the system's authorities is refused, which is the lesson of
 * a mail client's certificate warning.  Mail sent is checked byte for byte
 * in the Maildir.
 */

#include "config.h"

#include <string.h>

#include "msc-test-serve.h"

typedef struct {
  MscTestServer *server;
  const char    *store;
  char          *ca;        /* what --ca-out wrote */
  char          *alice;     /* alice's Maildir */
  char          *bob;
  const char    *mx_port;
  const char    *submission_port;
  const char    *pop3_port;
  const char    *imap_port;
  const char    *smtps_port;
  const char    *pop3s_port;
  const char    *imaps_port;
} Fixture;

#define run_tls(...) msc_test_run_client ("tls-clients.py", __VA_ARGS__)

#define ALICE "alice@example.com"
#define ALICE_PASSWORD "alice-secret"

/* Dot-stuffing must survive TLS too: the lines starting with a dot. */
static const char report_message[] =
  "From: Alice <alice@example.com>\r\n"
  "To: Bob <bob@example.com>\r\n"
  "Subject: Quarterly report\r\n"
  "Date: Thu, 26 Nov 2026 12:00:00 +0800\r\n"
  "Message-ID: <report.1@example.com>\r\n"
  "\r\n"
  "The figures are in.\r\n"
  ".A line that starts with a dot\r\n"
  "..and one with two\r\n"
  ".\r\n"
  "End.\r\n";

static const char curl_message[] =
  "From: Alice <alice@example.com>\r\n"
  "To: Alice <alice@example.com>\r\n"
  "Subject: Sent by curl over TLS\r\n"
  "Message-ID: <curl.1@example.com>\r\n"
  "\r\n"
  "Nothing on the wire but TLS records.\r\n";

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->server = msc_test_server_start (NULL);
  fixture->store = msc_test_server_get_store (fixture->server);
  fixture->ca = g_build_filename (fixture->store, "teaching-ca.pem", NULL);
  fixture->alice = g_build_filename (fixture->store, "example.com", "alice", NULL);
  fixture->bob = g_build_filename (fixture->store, "example.com", "bob", NULL);
  fixture->mx_port = msc_test_server_get_port (fixture->server, "smtp");
  fixture->submission_port = msc_test_server_get_port (fixture->server, "submission");
  fixture->pop3_port = msc_test_server_get_port (fixture->server, "pop3");
  fixture->imap_port = msc_test_server_get_port (fixture->server, "imap");
  fixture->smtps_port = msc_test_server_get_port (fixture->server, "smtps");
  fixture->pop3s_port = msc_test_server_get_port (fixture->server, "pop3s");
  fixture->imaps_port = msc_test_server_get_port (fixture->server, "imaps");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  msc_test_server_stop (fixture->server);
  g_free (fixture->ca);
  g_free (fixture->alice);
  g_free (fixture->bob);
}

/* The stored message is the sent one, byte for byte, after the trace
 * fields the receiving server puts in front (Return-Path, Received). */
static void
assert_delivered (Fixture    *fixture,
                  const char *account_dir,
                  const char *sent,
                  const char *reverse_path)
{
  g_autoptr(GPtrArray) messages = msc_test_read_maildir (fixture->store, account_dir);
  g_autofree char *return_path = g_strdup_printf ("Return-Path: <%s>\r\nReceived: from ", reverse_path);
  gsize sent_len = strlen (sent);
  guint found = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      gsize size;
      const char *data = g_bytes_get_data (messages->pdata[i], &size);

      if (size >= sent_len && memcmp (data + size - sent_len, sent, sent_len) == 0)
        {
          g_assert_true (size >= strlen (return_path) + sent_len);
          g_assert_true (g_str_has_prefix (data, return_path));
          found++;
        }
    }

  g_assert_cmpuint (found, ==, 1);
}

/* Alice sends the report to herself and Bob over implicit TLS, so that
 * both have mail to download. */
static void
send_report (Fixture *fixture)
{
  g_autofree char *path = msc_test_write_file (fixture->store, "report.eml", report_message);

  run_tls ("smtps-send", "127.0.0.1", fixture->smtps_port, fixture->ca, ALICE, ALICE_PASSWORD,
           path, ALICE, ALICE, "bob@example.com", NULL);
}

static void
test_ca_out (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *ca_pem = NULL;
  g_autofree char *store_pem = NULL;
  g_autofree char *store_path = g_build_filename (fixture->store, "tls", "ca.pem", NULL);
  g_autoptr(GError) error = NULL;

  g_file_get_contents (fixture->ca, &ca_pem, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (store_path, &store_pem, NULL, &error);
  g_assert_no_error (error);

  /* The certificate to import into a mail client, and never its key */
  g_assert_true (g_str_has_prefix (ca_pem, "-----BEGIN CERTIFICATE-----\n"));
  g_assert_null (strstr (ca_pem, "PRIVATE KEY"));
  g_assert_cmpstr (ca_pem, ==, store_pem);
}

static void
test_certificate (Fixture       *fixture,
                  gconstpointer  user_data)
{
  run_tls ("certificate", "127.0.0.1", fixture->ca, fixture->smtps_port, fixture->imaps_port,
           fixture->pop3s_port, NULL);
}

static void
test_smtps (Fixture       *fixture,
            gconstpointer  user_data)
{
  send_report (fixture);

  assert_delivered (fixture, "example.com/alice", report_message, ALICE);
  assert_delivered (fixture, "example.com/bob", report_message, ALICE);
}

static void
test_submission_starttls (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *path = msc_test_write_file (fixture->store, "report.eml", report_message);

  run_tls ("submission-starttls", "127.0.0.1", fixture->submission_port, fixture->ca, ALICE,
           ALICE_PASSWORD, path, ALICE, "bob@example.com", NULL);

  assert_delivered (fixture, "example.com/bob", report_message, ALICE);
}

static void
test_pop3s (Fixture       *fixture,
            gconstpointer  user_data)
{
  send_report (fixture);
  run_tls ("pop3s-retr", "127.0.0.1", fixture->pop3s_port, fixture->ca, ALICE, ALICE_PASSWORD,
           fixture->alice, NULL);
}

static void
test_pop3_stls (Fixture       *fixture,
                gconstpointer  user_data)
{
  send_report (fixture);
  run_tls ("pop3-stls", "127.0.0.1", fixture->pop3_port, fixture->ca, "bob@example.com",
           "bob-secret", fixture->bob, NULL);
}

static void
test_imaps (Fixture       *fixture,
            gconstpointer  user_data)
{
  send_report (fixture);
  run_tls ("imaps-fetch", "127.0.0.1", fixture->imaps_port, fixture->ca, ALICE, ALICE_PASSWORD,
           fixture->alice, NULL);
}

static void
test_imap_starttls (Fixture       *fixture,
                    gconstpointer  user_data)
{
  send_report (fixture);
  run_tls ("imap-starttls", "127.0.0.1", fixture->imap_port, fixture->ca, "bob@example.com",
           "bob-secret", fixture->bob, NULL);
}

static void
test_curl_implicit (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *path = msc_test_write_file (fixture->store, "curl.eml", curl_message);

  send_report (fixture);
  run_tls ("curl-implicit", "127.0.0.1", fixture->ca, fixture->smtps_port, fixture->imaps_port,
           fixture->pop3s_port, ALICE, ALICE_PASSWORD, path, ALICE, ALICE, fixture->alice, NULL);

  assert_delivered (fixture, "example.com/alice", curl_message, ALICE);
}

static void
test_curl_ssl_reqd (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *path = msc_test_write_file (fixture->store, "curl.eml", curl_message);

  run_tls ("curl-ssl-reqd", "127.0.0.1", fixture->ca, fixture->mx_port, fixture->submission_port,
           fixture->imap_port, fixture->pop3_port, ALICE, ALICE_PASSWORD, path, fixture->alice, NULL);

  assert_delivered (fixture, "example.com/alice", curl_message, "carol@elsewhere.test");
  assert_delivered (fixture, "example.com/bob", curl_message, ALICE);
}

static void
test_openssl_starttls (Fixture       *fixture,
                       gconstpointer  user_data)
{
  run_tls ("openssl-starttls", "127.0.0.1", fixture->ca, "smtp", fixture->mx_port, NULL);
  run_tls ("openssl-starttls", "127.0.0.1", fixture->ca, "smtp", fixture->submission_port, NULL);
  run_tls ("openssl-starttls", "127.0.0.1", fixture->ca, "imap", fixture->imap_port, NULL);
  run_tls ("openssl-starttls", "127.0.0.1", fixture->ca, "pop3", fixture->pop3_port, NULL);
}

static void
test_system_ca (Fixture       *fixture,
                gconstpointer  user_data)
{
  run_tls ("system-ca", "127.0.0.1", fixture->ca, fixture->smtps_port, fixture->imaps_port,
           fixture->pop3s_port, fixture->submission_port, fixture->imap_port, fixture->pop3_port,
           NULL);
}

static void
test_wrong_name (Fixture       *fixture,
                 gconstpointer  user_data)
{
  run_tls ("wrong-name", "127.0.0.1", fixture->ca, fixture->smtps_port, NULL);
  run_tls ("wrong-name", "127.0.0.1", fixture->ca, fixture->imaps_port, NULL);
}

static void
test_injection (Fixture       *fixture,
                gconstpointer  user_data)
{
  run_tls ("injection", "127.0.0.1", fixture->ca, fixture->submission_port, fixture->imap_port,
           fixture->pop3_port, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/serve-tls/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("ca-out", test_ca_out);
  ADD ("certificate", test_certificate);
  ADD ("smtps", test_smtps);
  ADD ("submission-starttls", test_submission_starttls);
  ADD ("pop3s", test_pop3s);
  ADD ("pop3-stls", test_pop3_stls);
  ADD ("imaps", test_imaps);
  ADD ("imap-starttls", test_imap_starttls);
  ADD ("curl-implicit", test_curl_implicit);
  ADD ("curl-ssl-reqd", test_curl_ssl_reqd);
  ADD ("openssl-starttls", test_openssl_starttls);
  ADD ("system-ca", test_system_ca);
  ADD ("wrong-name", test_wrong_name);
  ADD ("injection", test_injection);
#undef ADD

  return g_test_run ();
}
