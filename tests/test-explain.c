/* test-explain.c — every command and reply has its explanation
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "msc-certs.h"
#include "msc-explain.h"
#include "msc-i18n.h"
#include "msc-mail-store.h"
#include "msc-imap-server.h"
#include "msc-openssl.h"
#include "msc-pop3-server.h"
#include "msc-smtp-server.h"
#include "msc-tls-session.h"

static gboolean
has_han (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_get_script (g_utf8_get_char (p)) == G_UNICODE_SCRIPT_HAN)
      return TRUE;

  return FALSE;
}

static void
test_table (void)
{
  g_autoptr(GPtrArray) entries = msc_explain_list_all ();

  g_assert_cmpuint (entries->len, >, 50);
  for (guint i = 0; i < entries->len; i++)
    {
      const MscExplanation *entry = entries->pdata[i];

      g_assert_true (g_str_has_prefix (entry->key, "smtp.") || g_str_has_prefix (entry->key, "pop3.") ||
                     g_str_has_prefix (entry->key, "imap.") || g_str_has_prefix (entry->key, "tls.") ||
                     g_str_has_prefix (entry->key, "net.") || g_str_has_prefix (entry->key, "dns.") ||
                     g_str_has_prefix (entry->key, "sim.") || g_str_has_prefix (entry->key, "store."));
      g_assert_cmpuint (strlen (entry->title), >, 0);
      g_assert_cmpuint (strlen (entry->text), >, 40);
      /* An entry no RFC covers has neither an RFC nor a section */
      if (entry->rfc == NULL)
        g_assert_null (entry->section);
      else
        g_assert_true (g_str_has_prefix (entry->rfc, "RFC "));
      g_assert_true (msc_explain_lookup_exact (entry->key) == entry);
    }
}

static void
test_fallbacks (void)
{
  g_autofree char *reference = NULL;

  g_assert_cmpstr (msc_explain_lookup ("smtp.reply.550.5.1.1")->key, ==, "smtp.reply.550.5.1.1");
  g_assert_cmpstr (msc_explain_lookup ("smtp.reply.550.5.1.10")->key, ==, "smtp.reply.550");
  g_assert_cmpstr (msc_explain_lookup ("smtp.reply.471.4.7.1")->key, ==, "smtp.reply.4xx");
  g_assert_cmpstr (msc_explain_lookup ("smtp.command.XYZZY")->key, ==, "smtp.command.unknown");
  g_assert_null (msc_explain_lookup ("nonsense"));

  reference = msc_explanation_get_reference (msc_explain_lookup ("smtp.command.EHLO"));
  g_assert_cmpstr (reference, ==, "RFC 5321 §4.1.1.1");

  {
    g_autofree char *key = msc_explain_smtp_command_key ("ehlo", FALSE);
    g_autofree char *sasl = msc_explain_smtp_command_key (NULL, TRUE);
    g_autofree char *reply = msc_explain_smtp_reply_key (250, "2.1.5");
    g_autofree char *bare = msc_explain_smtp_reply_key (354, NULL);

    g_assert_cmpstr (key, ==, "smtp.command.EHLO");
    g_assert_cmpstr (sasl, ==, "smtp.command.sasl-response");
    g_assert_cmpstr (reply, ==, "smtp.reply.250.2.1.5");
    g_assert_cmpstr (bare, ==, "smtp.reply.354");
  }

  {
    g_autofree char *hello = msc_explain_tls_handshake_key ("ClientHello");
    g_autofree char *odd = msc_explain_tls_handshake_key ("SupplementalData");
    g_autofree char *none = msc_explain_tls_handshake_key (NULL);
    g_autofree char *ca = msc_explain_tls_alert_key ("unknown CA");
    g_autofree char *goodbye = msc_explain_tls_alert_key ("close notify");
    g_autofree char *rfc_name = msc_explain_tls_alert_key ("bad_record_mac");
    g_autofree char *unnamed = msc_explain_tls_alert_key ("unknown");
    g_autofree char *no_text = msc_explain_tls_alert_key (NULL);

    g_assert_cmpstr (hello, ==, "tls.handshake.ClientHello");
    g_assert_cmpstr (odd, ==, "tls.handshake.unknown");
    g_assert_cmpstr (none, ==, "tls.handshake.unknown");
    g_assert_cmpstr (ca, ==, "tls.alert.unknown_ca");
    g_assert_cmpstr (goodbye, ==, "tls.alert.close_notify");
    g_assert_cmpstr (rfc_name, ==, "tls.alert.bad_record_mac");
    g_assert_cmpstr (unnamed, ==, "tls.alert");
    g_assert_cmpstr (no_text, ==, "tls.alert");
  }
  g_assert_cmpstr (msc_explain_lookup ("tls.handshake.Frob")->key, ==, "tls.handshake.unknown");
  g_assert_cmpstr (msc_explain_lookup ("tls.alert.missing_extension")->key, ==, "tls.alert");
  {
    g_autofree char *rfc8314 = msc_explanation_get_reference (msc_explain_lookup ("net.connect.implicit-tls"));

    g_assert_cmpstr (rfc8314, ==, "RFC 8314 §3");
  }
}

/* Conversations that between them reach every reply the SMTP server can
 * send. Each runs on a fresh server; MESSAGE events are answered with the
 * error named after "#store:" or with success. */
static const struct {
  MscSmtpServerRole role;
  gboolean          insecure_auth;
  gboolean          tls_available;
  const char       *store_error;   /* NULL: stored; else the GIOErrorEnum name */
  const char       *input;
  guint             max_recipients;
  gsize             max_line_length;
  gboolean          then_time_out;
} conversations[] = {
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, NULL,
    "EHLO c\r\nHELP\r\nVRFY bob\r\nNOOP\r\nMAIL FROM:<x@elsewhere.test>\r\n"
    "RCPT TO:<alice@example.com>\r\nRCPT TO:<nobody@example.com>\r\nRCPT TO:<d@elsewhere.test>\r\n"
    "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nRSET\r\nQUIT\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, NULL,
    "MAIL FROM:<x@e.test>\r\nHELO c\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n"
    "MAIL FROM:<x@e.test> SIZE=10\r\nMAIL FROM:<x@e.test>\r\nMAIL FROM:<y@e.test>\r\nDATA\r\n"
    "FROB\r\n\r\nEXPN list\r\nSTARTTLS\r\nAUTH PLAIN\r\nQUIT now\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, NULL,
    "EHLO c\r\nMAIL FROM:<x@e.test> SIZE=999999999\r\nMAIL FROM:<x@e.test> BODY=BINARYMIME\r\n"
    "MAIL FROM:<x@e.test> FOO=bar\r\nMAIL FROM:<bad address>\r\nMAIL FROM:x\r\n"
    "MAIL FROM:<张三@例子.公司>\r\nMAIL FROM:<x@e.test>\r\nRCPT TO:<bad address>\r\n"
    "RCPT TO:<李四@example.com>\r\nRCPT TO:<alice@example.com> FOO=1\r\nRCPT TO:alice\r\n"
    "NO\x01OP\r\nEHLO\r\nEHLO bad..name\r\nAUTH PLAIN\r\nSTARTTLS\r\nQUIT\r\n" },
  { MSC_SMTP_SERVER_ROLE_SUBMISSION, TRUE, TRUE, NULL,
    "EHLO c\r\nMAIL FROM:<alice@example.com>\r\nAUTH CRAM-MD5\r\nAUTH PLAIN !!!\r\n"
    "AUTH LOGIN\r\n*\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n\r\n"
    "AUTH LOGIN YWxpY2VAZXhhbXBsZS5jb20=\r\nc2VjcmV0\r\nAUTH PLAIN\r\n"
    "MAIL FROM:<bob@example.com>\r\nMAIL FROM:<alice@example.com>\r\nDATA\r\nQUIT\r\n" },
  { MSC_SMTP_SERVER_ROLE_SUBMISSION, FALSE, TRUE, NULL,
    "EHLO c\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\nSTARTTLS\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, "G_IO_ERROR_FAILED",
    "EHLO c\r\nMAIL FROM:<x@e.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, "G_IO_ERROR_NO_SPACE",
    "EHLO c\r\nMAIL FROM:<x@e.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, "G_IO_ERROR_MESSAGE_TOO_LARGE",
    "EHLO c\r\nMAIL FROM:<x@e.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\n" },
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, NULL,
    "EHLO c\r\nMAIL FROM:<x@e.test>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\n",
    .max_recipients = 1, .then_time_out = TRUE },
  { MSC_SMTP_SERVER_ROLE_SUBMISSION, TRUE, FALSE, NULL,
    "EHLO c\r\nAUTH PLAIN\r\n"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
    .max_line_length = 64 },
  /* Twenty wrong commands in a row end the session with 421 4.7.0. */
  { MSC_SMTP_SERVER_ROLE_MX, FALSE, FALSE, NULL,
    "A\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\nA\r\n" },
};

static GIOErrorEnum
error_code (const char *name)
{
  GEnumClass *klass = g_type_class_ref (G_TYPE_IO_ERROR_ENUM);
  GEnumValue *value = g_enum_get_value_by_name (klass, name);

  g_assert_nonnull (value);
  g_type_class_unref (klass);

  return value->value;
}

static void
run_conversation (MscMailStore *store,
                  guint         index,
                  GHashTable   *replies,
                  GHashTable   *verbs)
{
  MscSmtpServerConfig config = {
    .hostname = "mail.example.com",
    .role = conversations[index].role,
    .allow_insecure_auth = conversations[index].insecure_auth,
    .tls_available = conversations[index].tls_available,
    .max_message_size = 100000,
    .max_recipients = conversations[index].max_recipients,
    .max_line_length = conversations[index].max_line_length,
  };
  g_autoptr(MscSmtpServer) server = msc_smtp_server_new (&config, MSC_DIRECTORY (store));
  const char *input = conversations[index].input;

  msc_smtp_server_set_now (server, 1000000);
  msc_smtp_server_start (server);
  msc_smtp_server_feed (server, (const guint8 *) input, strlen (input), NULL);
  if (conversations[index].then_time_out)
    {
      msc_smtp_server_set_now (server, 1000000 + (gint64) 3600 * G_USEC_PER_SEC);
      g_assert_true (msc_smtp_server_check_timeout (server));
    }

  for (;;)
    {
      g_autoptr(MscSmtpServerEvent) event = msc_smtp_server_next_event (server);

      if (event == NULL)
        break;

      if (event->kind == MSC_SMTP_SERVER_EVENT_REPLY)
        g_hash_table_add (replies, msc_explain_smtp_reply_key (event->code, event->enhanced));
      else if (event->kind == MSC_SMTP_SERVER_EVENT_COMMAND)
        g_hash_table_add (verbs, msc_explain_smtp_command_key (event->verb, event->secret));
      else if (event->kind == MSC_SMTP_SERVER_EVENT_MESSAGE)
        {
          g_autoptr(GError) error = NULL;

          if (conversations[index].store_error != NULL)
            error = g_error_new_literal (G_IO_ERROR, error_code (conversations[index].store_error), "x");
          msc_smtp_server_message_done (server, error);
        }
    }
}

static void
test_smtp_server_replies_explained (void)
{
  g_autoptr(MscMailStore) store = msc_mail_store_new ();
  g_autoptr(GHashTable) replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) verbs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  msc_mail_store_set_password_iterations (store, 1000);
  msc_mail_store_add_domain (store, "example.com", &error);
  g_assert_no_error (error);
  msc_mail_store_add_account (store, "alice@example.com", "Alice", "secret", &error);
  g_assert_no_error (error);
  msc_mail_store_add_account (store, "bob@example.com", "Bob", "secret", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    run_conversation (store, i, replies, verbs);

  g_hash_table_iter_init (&iter, replies);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_test_message ("reply %s", (const char *) key);
      if (msc_explain_lookup_exact (key) == NULL)
        g_error ("The server sends %s but no explanation has that key", (const char *) key);
    }

  g_hash_table_iter_init (&iter, verbs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_nonnull (msc_explain_lookup_exact (key));

  /* The conversations reach (at least) every reply the server has today,
   * so a new reply without an explanation fails above. */
  g_assert_cmpuint (g_hash_table_size (replies), >=, 39);
}

static const char *pop3_conversations[] = {
  "CAPA\r\nUSER alice@example.com\r\nPASS wrong\r\nPASS x\r\nUSER alice@example.com\r\n"
  "PASS secret\r\nSTAT\r\nLIST\r\nLIST 1\r\nLIST 9\r\nUIDL\r\nUIDL 9\r\nTOP 1 0\r\nTOP 9 0\r\n"
  "RETR 1\r\nRETR 9\r\nDELE 1\r\nDELE 1\r\nRSET\r\nNOOP\r\nFROB\r\nUSER x\r\nQUIT\r\n",
  "APOP alice@example.com 00000000000000000000000000000000\r\nAUTH FOO\r\nAUTH PLAIN\r\n*\r\n"
  "AUTH PLAIN !!!\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\nQUIT\r\n",
  "APOP bob@example.com 00000000000000000000000000000000\r\nAUTH\r\nAUTH PLAIN\r\nAGJvYkBleGFtcGxlLmNvbQBzZWNyZXQ=\r\n"
  "STLS\r\nQUIT\r\n",
  "STLS\r\n",
};

static void
run_pop3 (MscMailStore *store,
          const char   *input,
          gboolean      tls_available,
          GHashTable   *replies,
          GHashTable   *commands)
{
  MscPop3ServerConfig config = {
    .hostname = "mail.example.com",
    .allow_insecure_auth = TRUE,
    .tls_available = tls_available,
    .apop_pid = 1,
    .apop_clock = 1,
  };
  g_autoptr(MscPop3Server) server = msc_pop3_server_new (&config, store);
  g_autofree char *last_verb = NULL;
  gboolean seen_command = FALSE;

  msc_pop3_server_set_now (server, 1000000);
  msc_pop3_server_start (server);
  msc_pop3_server_feed (server, (const guint8 *) input, strlen (input), NULL);

  for (;;)
    {
      g_autoptr(MscPop3ServerEvent) event = msc_pop3_server_next_event (server);

      if (event == NULL)
        break;

      /* The same bookkeeping as the live service: a reply is read against
       * the last command, a SASL response continues AUTH. */
      if (event->kind == MSC_POP3_SERVER_EVENT_COMMAND)
        {
          g_hash_table_add (commands, msc_explain_pop3_command_key (event->verb, event->secret));
          if (event->verb == NULL && event->secret)
            continue;
          g_free (last_verb);
          last_verb = g_strdup (event->verb != NULL ? event->verb : "");
          seen_command = TRUE;
        }
      else if (event->kind == MSC_POP3_SERVER_EVENT_REPLY)
        {
          const char *status = event->status == MSC_POP3_SERVER_REPLY_OK ? "+OK" :
                               event->status == MSC_POP3_SERVER_REPLY_ERR ? "-ERR" : "+";

          g_hash_table_add (replies, msc_explain_pop3_reply_key (seen_command ? last_verb : NULL,
                                                                 status, event->code));
        }
    }
}

static void
test_pop3_server_replies_explained (void)
{
  g_autoptr(MscMailStore) store = msc_mail_store_new ();
  g_autoptr(GHashTable) replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: x\r\n\r\nhi\r\n", 19);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  msc_mail_store_set_password_iterations (store, 1000);
  msc_mail_store_add_domain (store, "example.com", &error);
  msc_mail_store_add_account (store, "alice@example.com", "Alice", "secret", &error);
  msc_mail_store_add_account (store, "bob@example.com", "Bob", "secret", &error);
  msc_mail_store_set_apop_secret (store, "alice@example.com", "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msc_mail_store_deliver (store, "alice@example.com", message, &error), >, 0);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (pop3_conversations); i++)
    run_pop3 (store, pop3_conversations[i], i >= 2, replies, commands);

  /* A second session while Bob's first one holds the maildrop. */
  {
    MscPop3ServerConfig config = { .hostname = "mail.example.com", .allow_insecure_auth = TRUE };
    g_autoptr(MscPop3Server) holder = msc_pop3_server_new (&config, store);
    const char *login = "USER bob@example.com\r\nPASS secret\r\n";

    msc_pop3_server_start (holder);
    msc_pop3_server_feed (holder, (const guint8 *) login, strlen (login), NULL);
    run_pop3 (store, login, FALSE, replies, commands);
  }

  g_hash_table_iter_init (&iter, replies);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *name = key;

      g_test_message ("reply %s", name);
      /* Every success and every response code has its own explanation; a
       * refusal may fall back to the general one for its command. */
      if (!g_str_has_prefix (name, "pop3.reply.err.") && msc_explain_lookup_exact (name) == NULL)
        g_error ("The POP3 server sends %s but no explanation has that key", name);
      g_assert_nonnull (msc_explain_lookup (name));
    }
  g_assert_true (g_hash_table_contains (replies, "pop3.reply.code.IN-USE"));
  g_assert_true (g_hash_table_contains (replies, "pop3.reply.code.AUTH"));
  g_assert_true (g_hash_table_contains (replies, "pop3.reply.greeting"));
  g_assert_true (g_hash_table_contains (replies, "pop3.reply.ok.RETR"));

  g_hash_table_iter_init (&iter, commands);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_nonnull (msc_explain_lookup_exact (key));
  g_assert_cmpuint (g_hash_table_size (commands), >=, 17);
}

static const char imap_conversation[] =
  "a1 CAPABILITY\r\na2 LOGIN alice@example.com wrong\r\na3 LOGIN alice@example.com secret\r\n"
  "a4 NAMESPACE\r\na5 ID NIL\r\na6 ENABLE CONDSTORE\r\na7 LIST \"\" \"*\"\r\na8 LSUB \"\" \"*\"\r\n"
  "a9 CREATE Work\r\na10 CREATE Work\r\na11 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n"
  "a12 SELECT INBOX\r\na13 FETCH 1 (FLAGS ENVELOPE BODYSTRUCTURE BODY[])\r\n"
  "a14 SEARCH CHARSET BIG5 ALL\r\na15 SEARCH ALL\r\na16 STORE 1 +FLAGS (\\Flagged)\r\n"
  "a17 COPY 1 Work\r\na18 COPY 1 Nowhere\r\na19 UID MOVE 1 Work\r\n"
  "a20 APPEND Work (\\Seen) {5+}\r\nhello\r\na21 EXAMINE Work\r\na22 FROB\r\n"
  "a23 IDLE\r\nDONE\r\na24 CLOSE\r\na25 DELETE INBOX\r\na26 LOGOUT\r\n";

static void
test_imap_server_responses_explained (void)
{
  g_autoptr(MscMailStore) store = msc_mail_store_new ();
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: x\r\n\r\nhi\r\n", 19);
  g_autoptr(GError) error = NULL;
  MscImapServerConfig config = { .hostname = "mail.example.com", .allow_insecure_auth = TRUE };
  g_autoptr(MscImapServer) server = NULL;
  GHashTableIter iter;
  gpointer key;

  msc_mail_store_set_password_iterations (store, 1000);
  msc_mail_store_add_domain (store, "example.com", &error);
  msc_mail_store_add_account (store, "alice@example.com", "Alice", "secret", &error);
  g_assert_no_error (error);
  msc_mail_store_deliver (store, "alice@example.com", message, &error);
  g_assert_no_error (error);

  server = msc_imap_server_new (&config, store);
  msc_imap_server_set_now (server, 1000000);
  msc_imap_server_start (server);
  msc_imap_server_feed (server, (const guint8 *) imap_conversation, strlen (imap_conversation), NULL);

  for (;;)
    {
      g_autoptr(MscImapServerEvent) event = msc_imap_server_next_event (server);

      if (event == NULL)
        break;

      if (event->kind == MSC_IMAP_SERVER_EVENT_COMMAND)
        g_hash_table_add (keys, msc_explain_imap_command_key (event->name, event->secret));
      else if (event->kind == MSC_IMAP_SERVER_EVENT_RESPONSE)
        g_hash_table_add (keys, msc_explain_imap_response_key (
                            event->response != MSC_IMAP_SERVER_RESPONSE_UNTAGGED &&
                            event->response != MSC_IMAP_SERVER_RESPONSE_CONTINUATION,
                            event->response == MSC_IMAP_SERVER_RESPONSE_CONTINUATION,
                            event->name, event->code));
    }

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_test_message ("key %s", (const char *) key);
      if (msc_explain_lookup_exact (key) == NULL)
        g_error ("The IMAP server sends or reads %s but no explanation has that key", (const char *) key);
    }

  for (guint i = 0; i < 8; i++)
    {
      const char *expected[] = { "imap.untagged.EXISTS", "imap.untagged.FETCH", "imap.code.UIDVALIDITY",
                                 "imap.code.TRYCREATE", "imap.tagged.BAD", "imap.continuation",
                                 "imap.code.COPYUID", "imap.untagged.BYE" };

      if (!g_hash_table_contains (keys, expected[i]))
        g_error ("the conversation did not reach %s", expected[i]);
    }
}

/* ---- TLS: every name a session emits has its explanation ---- */

/* The teaching CA for the TLS tests, in a folder of its own */
static MscCertStore *certs;

static const char * const SERVER_NAMES[] = { "mail.example.com", "localhost", "127.0.0.1", NULL };

/* Every name msc-tls-session.c can give a HANDSHAKE_MESSAGE event (its
 * table of RFC 8446 §4 and RFC 5246 §7.4 types, HelloRetryRequest and
 * ChangeCipherSpec), those no handshake below reaches included: a
 * HelloRetryRequest needs a client whose key share the server refuses,
 * which MscTlsConfig cannot ask for. */
static const char * const handshake_names[] = {
  "HelloRequest", "ClientHello", "ServerHello", "HelloRetryRequest", "NewSessionTicket",
  "EndOfEarlyData", "EncryptedExtensions", "Certificate", "ServerKeyExchange",
  "CertificateRequest", "ServerHelloDone", "CertificateVerify", "ClientKeyExchange", "Finished",
  "CertificateStatus", "KeyUpdate", "MessageHash", "ChangeCipherSpec",
};

/* The other keys the live layer and the UI use */
static const char * const tls_keys[] = {
  "tls.alert", "tls.record.encrypted", "tls.record.plaintext", "tls.done", "tls.error.untrusted",
  "tls.error.hostname", "tls.error.expired", "tls.error.not-yet-valid", "tls.error.handshake",
  "tls.error.protocol", "net.connect.plain", "net.connect.implicit-tls", "net.close",
};

typedef struct
{
  MscTlsSession *client;
  MscTlsSession *server;
  GHashTable    *keys;    /* every explanation key the events lead to */
} TlsLink;

static MscTlsSession *
new_tls_session (MscTlsRole    role,
                 MscTlsVersion min_version,
                 MscTlsVersion max_version,
                 MscCertKind   kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  MscTlsConfig config = {
    .role = role,
    .min_version = min_version,
    .max_version = max_version,
  };
  MscTlsSession *session;

  if (role == MSC_TLS_ROLE_SERVER)
    {
      g_assert_true (msc_cert_store_get_server_identity (certs, SERVER_NAMES, kind,
                                                         &certificate, &key, &error));
      g_assert_no_error (error);
      config.certificate = certificate;
      config.key = key;
    }
  else
    {
      config.server_name = "mail.example.com";
      config.ca = msc_cert_store_get_ca (certs);
    }

  session = msc_tls_session_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  msc_tls_session_start (session);

  return session;
}

static const char *
tls_error_key (const GError *error)
{
  g_assert_true (error->domain == MSC_TLS_ERROR);

  switch ((MscTlsError) error->code)
    {
    case MSC_TLS_ERROR_CERT_UNTRUSTED:     return "tls.error.untrusted";
    case MSC_TLS_ERROR_CERT_HOSTNAME:      return "tls.error.hostname";
    case MSC_TLS_ERROR_CERT_EXPIRED:       return "tls.error.expired";
    case MSC_TLS_ERROR_CERT_NOT_YET_VALID: return "tls.error.not-yet-valid";
    case MSC_TLS_ERROR_HANDSHAKE:          return "tls.error.handshake";
    case MSC_TLS_ERROR_PROTOCOL:           return "tls.error.protocol";
    case MSC_TLS_ERROR_CONFIG:
    case MSC_TLS_ERROR_CLOSED:
    default:
      g_error ("a session event carries %s", error->message);
    }

  return NULL;
}

/* The keys the live layer will ask for, event by event */
static void
collect_tls_events (TlsLink       *link,
                    MscTlsSession *session)
{
  MscTlsEvent *next;

  while ((next = msc_tls_session_next_event (session)) != NULL)
    {
      g_autoptr(MscTlsEvent) event = next;
      char *key = NULL;

      switch (event->kind)
        {
        case MSC_TLS_EVENT_HANDSHAKE_MESSAGE:
          key = msc_explain_tls_handshake_key (event->name);
          /* Never the fallback: each message of a real handshake is named */
          if (!g_str_equal (key + strlen ("tls.handshake."), event->name))
            g_error ("The TLS session emits %s but no explanation has that name", event->name);
          break;

        case MSC_TLS_EVENT_ALERT:
          key = msc_explain_tls_alert_key (event->alert_text);
          g_test_message ("alert %u “%s”: %s", event->alert_description, event->alert_text, key);
          if (g_str_equal (key, "tls.alert"))
            g_error ("The TLS session emits the alert “%s” but no explanation has its name",
                     event->alert_text);
          break;

        case MSC_TLS_EVENT_RECORD:
          key = g_strdup (event->encrypted ? "tls.record.encrypted" : "tls.record.plaintext");
          break;

        case MSC_TLS_EVENT_HANDSHAKE_DONE:
          key = g_strdup ("tls.done");
          break;

        case MSC_TLS_EVENT_ERROR:
          key = g_strdup (tls_error_key (event->error));
          break;

        case MSC_TLS_EVENT_CLOSED:
          key = g_strdup (event->error != NULL ? tls_error_key (event->error) : "net.close");
          break;

        case MSC_TLS_N_EVENT_KINDS:
        default:
          g_assert_not_reached ();
        }

      g_hash_table_add (link->keys, key);
    }
}

/* Moves ciphertext both ways until neither side has more to say.  A side
 * that has ended is a closed socket: what comes for it is dropped. */
static void
pump_tls (TlsLink *link)
{
  gboolean moved;

  do
    {
      moved = FALSE;
      for (guint i = 0; i < 2; i++)
        {
          MscTlsSession *from = i == 0 ? link->client : link->server;
          MscTlsSession *to = i == 0 ? link->server : link->client;
          g_autoptr(GBytes) bytes = msc_tls_session_take_ciphertext (from);
          g_autoptr(GError) error = NULL;

          if (bytes == NULL)
            continue;
          moved = TRUE;
          if (!msc_tls_session_is_closed (to))
            msc_tls_session_feed_ciphertext (to, g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes), &error);
        }
      collect_tls_events (link, link->client);
      collect_tls_events (link, link->server);
    }
  while (moved);
}

static void
tls_link_init (TlsLink       *link,
               GHashTable    *keys,
               MscTlsVersion  client_min,
               MscTlsVersion  server_max,
               MscCertKind    kind)
{
  link->keys = keys;
  link->client = new_tls_session (MSC_TLS_ROLE_CLIENT, client_min, MSC_TLS_VERSION_DEFAULT,
                                  MSC_CERT_KIND_GOOD);
  link->server = new_tls_session (MSC_TLS_ROLE_SERVER, MSC_TLS_VERSION_DEFAULT, server_max, kind);
  pump_tls (link);
}

static void
tls_link_clear (TlsLink *link)
{
  g_assert_finalize_object (g_steal_pointer (&link->client));
  g_assert_finalize_object (g_steal_pointer (&link->server));
}

static void
tls_write (TlsLink       *link,
           MscTlsSession *session,
           const char    *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_tls_session_write_plaintext (session, (const guint8 *) text, strlen (text),
                                                  &error));
  g_assert_no_error (error);
  pump_tls (link);
}

/* A whole session: handshake, a command and its reply, both goodbyes */
static void
run_tls_session (GHashTable    *keys,
                 MscTlsVersion  version)
{
  TlsLink link;

  tls_link_init (&link, keys, MSC_TLS_VERSION_DEFAULT, version, MSC_CERT_KIND_GOOD);
  g_assert_true (msc_tls_session_is_handshake_done (link.client));
  g_assert_cmpstr (msc_tls_session_get_info (link.client)->version, ==,
                   version == MSC_TLS_VERSION_1_3 ? "TLSv1.3" : "TLSv1.2");

  tls_write (&link, link.client, "a1 CAPABILITY\r\n");
  tls_write (&link, link.server, "* CAPABILITY IMAP4rev1\r\na1 OK done\r\n");
  msc_tls_session_shutdown (link.client);
  pump_tls (&link);
  msc_tls_session_shutdown (link.server);
  pump_tls (&link);
  g_assert_true (msc_tls_session_is_closed (link.client));
  g_assert_true (msc_tls_session_is_closed (link.server));

  tls_link_clear (&link);
}

/* A handshake that fails: a certificate the client refuses, or no TLS
 * version in common */
static void
run_tls_failure (GHashTable    *keys,
                 MscTlsVersion  client_min,
                 MscTlsVersion  server_max,
                 MscCertKind    kind)
{
  TlsLink link;

  tls_link_init (&link, keys, client_min, server_max, kind);
  g_assert_false (msc_tls_session_is_handshake_done (link.client));
  g_assert_true (msc_tls_session_is_closed (link.client));
  g_assert_true (msc_tls_session_is_closed (link.server));
  tls_link_clear (&link);
}

/* A record changed on the way: the receiver sends bad_record_mac */
static void
run_tls_tampering (GHashTable *keys)
{
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize len;
  TlsLink link;

  tls_link_init (&link, keys, MSC_TLS_VERSION_DEFAULT, MSC_TLS_VERSION_DEFAULT, MSC_CERT_KIND_GOOD);
  g_assert_true (msc_tls_session_write_plaintext (link.client, (const guint8 *) "a1 NOOP\r\n", 9,
                                                  &error));
  g_assert_no_error (error);
  record = msc_tls_session_take_ciphertext (link.client);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&record), &len);
  bytes[len - 1] ^= 0x01;
  g_assert_false (msc_tls_session_feed_ciphertext (link.server, bytes, len, &error));
  g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL);
  pump_tls (&link);
  tls_link_clear (&link);
}

static void
test_tls_session_names (void)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  static const char * const expected[] = {
    /* TLS 1.3 */
    "tls.handshake.ClientHello", "tls.handshake.ServerHello", "tls.handshake.EncryptedExtensions",
    "tls.handshake.Certificate", "tls.handshake.CertificateVerify", "tls.handshake.Finished",
    "tls.handshake.NewSessionTicket", "tls.handshake.ChangeCipherSpec",
    /* TLS 1.2 */
    "tls.handshake.ServerKeyExchange", "tls.handshake.ServerHelloDone",
    "tls.handshake.ClientKeyExchange",
    /* Ends and failures */
    "tls.alert.close_notify", "tls.alert.unknown_ca", "tls.alert.bad_certificate",
    "tls.alert.certificate_expired", "tls.alert.protocol_version", "tls.alert.bad_record_mac",
    "tls.record.plaintext", "tls.record.encrypted", "tls.done", "net.close",
    "tls.error.untrusted", "tls.error.hostname", "tls.error.expired", "tls.error.not-yet-valid",
    "tls.error.handshake", "tls.error.protocol",
  };
  GHashTableIter iter;
  gpointer key;

  run_tls_session (keys, MSC_TLS_VERSION_1_3);
  run_tls_session (keys, MSC_TLS_VERSION_1_2);
  for (MscCertKind kind = MSC_CERT_KIND_SELF_SIGNED; kind < MSC_CERT_N_KINDS; kind++)
    run_tls_failure (keys, MSC_TLS_VERSION_DEFAULT, MSC_TLS_VERSION_DEFAULT, kind);
  run_tls_failure (keys, MSC_TLS_VERSION_1_3, MSC_TLS_VERSION_1_2, MSC_CERT_KIND_GOOD);
  run_tls_tampering (keys);

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_test_message ("key %s", (const char *) key);
      if (msc_explain_lookup_exact (key) == NULL)
        g_error ("A TLS session leads to %s but no explanation has that key", (const char *) key);
    }

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (!g_hash_table_contains (keys, expected[i]))
      g_error ("the sessions did not reach %s", expected[i]);
}

/* The names no session above reached, and the alert names OpenSSL words */
static void
test_tls_names (void)
{
  g_autoptr(GPtrArray) entries = msc_explain_list_all ();
  g_autoptr(GHashTable) reachable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (handshake_names); i++)
    {
      g_autofree char *key = msc_explain_tls_handshake_key (handshake_names[i]);

      g_assert_true (g_str_has_suffix (key, handshake_names[i]));
      g_assert_nonnull (msc_explain_lookup_exact (key));
    }
  g_assert_nonnull (msc_explain_lookup_exact ("tls.handshake.unknown"));

  for (guint i = 0; i < G_N_ELEMENTS (tls_keys); i++)
    if (msc_explain_lookup_exact (tls_keys[i]) == NULL)
      g_error ("no explanation for %s", tls_keys[i]);

  /* Each alert entry is one OpenSSL can name, so none is unreachable by a
   * typing mistake in its key. */
  for (int code = 0; code < 256; code++)
    g_hash_table_add (reachable, msc_explain_tls_alert_key (SSL_alert_desc_string_long (code)));
  for (guint i = 0; i < entries->len; i++)
    {
      const MscExplanation *entry = entries->pdata[i];

      if (g_str_has_prefix (entry->key, "tls.alert.") && !g_hash_table_contains (reachable, entry->key))
        g_error ("%s is not the name of an alert", entry->key);
    }
}

/* The keys the simulated world (src/sim) gives its trace events */
static const char * const world_keys[] = {
  "net.refused", "dns.mx", "dns.a", "dns.nxdomain",
  "sim.relay.retry", "sim.bounce", "sim.bounce.dropped", "sim.send.failed",
  "sim.pop3.done", "sim.pop3.failed", "sim.pop3.warning",
  "sim.imap.failed", "sim.imap.action-failed", "sim.session.lost",
  "sim.no-message", "sim.local.failed",
  "store.server.added", "store.server.removed", "store.server.flags",
  "store.device.added", "store.device.changed", "store.device.removed",
};

static void
test_world_keys (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (world_keys); i++)
    {
      const MscExplanation *entry = msc_explain_lookup_exact (world_keys[i]);
      g_autofree char *reference = NULL;

      if (entry == NULL)
        g_error ("no explanation for %s", world_keys[i]);
      g_assert_true (msc_explain_lookup (world_keys[i]) == entry);

      /* With or without an RFC, the reference reads right */
      reference = msc_explanation_get_reference (entry);
      if (entry->rfc == NULL)
        g_assert_null (reference);
      else
        g_assert_true (g_str_has_prefix (reference, entry->rfc));
    }

  {
    g_autofree char *retry = msc_explanation_get_reference (msc_explain_lookup ("sim.relay.retry"));
    g_autofree char *local = msc_explanation_get_reference (msc_explain_lookup ("store.device.changed"));

    g_assert_cmpstr (retry, ==, "RFC 5321 §4.5.4.1");
    g_assert_null (local);
  }
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

/* Run with LANGUAGE=zh_CN: every explanation reads in Chinese. */
static void
test_chinese (void)
{
  if (!g_test_subprocess ())
    {
      g_autofree char *language = g_strdup (g_getenv ("LANGUAGE"));

      g_setenv ("LANGUAGE", "zh_CN", TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_setenv ("LANGUAGE", language != NULL ? language : "", TRUE);
      g_test_trap_assert_passed ();
      return;
    }

  {
    g_autoptr(GPtrArray) entries = msc_explain_list_all ();

    for (guint i = 0; i < entries->len; i++)
      {
        const MscExplanation *entry = entries->pdata[i];
        const char *title = msc_explanation_get_title (entry);
        const char *text = msc_explanation_get_text (entry);

        if (!has_han (title) || !has_han (text))
          g_error ("%s is not translated: %s", entry->key, title);
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  msc_i18n_init ();
  g_test_init (&argc, &argv, NULL);

  dir = g_dir_make_tmp ("msc-explain-XXXXXX", &error);
  g_assert_no_error (error);
  certs = msc_cert_store_new (dir, &error);
  g_assert_no_error (error);

  g_test_add_func ("/msc/explain/table", test_table);
  g_test_add_func ("/msc/explain/fallbacks", test_fallbacks);
  g_test_add_func ("/msc/explain/smtp-server-replies", test_smtp_server_replies_explained);
  g_test_add_func ("/msc/explain/pop3-server-replies", test_pop3_server_replies_explained);
  g_test_add_func ("/msc/explain/imap-server-responses", test_imap_server_responses_explained);
  g_test_add_func ("/msc/explain/tls-session", test_tls_session_names);
  g_test_add_func ("/msc/explain/tls-names", test_tls_names);
  g_test_add_func ("/msc/explain/world", test_world_keys);
  g_test_add_func ("/msc/explain/chinese", test_chinese);

  status = g_test_run ();

  g_assert_finalize_object (g_steal_pointer (&certs));
  remove_dir (dir);

  return status;
}
