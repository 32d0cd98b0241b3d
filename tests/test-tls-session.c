/* test-tls-session.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-tls-session"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "msc-certs.h"
#include "msc-device-store.h"
#include "msc-mail-store.h"
#include "msc-openssl.h"
#include "msc-pop3-client.h"
#include "msc-pop3-server.h"
#include "msc-smtp-client.h"
#include "msc-smtp-server.h"
#include "msc-tls-session.h"

/* One teaching CA for the whole run, in a folder of its own */
static MscCertStore *certs;

static const char * const SERVER_NAMES[] = { "mail.example.com", "localhost", "127.0.0.1", NULL };

#define ALICE  "alice@example.com"
/* AUTH PLAIN's initial response for alice@example.com / secret */
#define ALICE_PLAIN "AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA=="

static gboolean
contains (const guint8 *haystack,
          gsize         len,
          const char   *needle)
{
  gsize needle_len = strlen (needle);

  for (gsize i = 0; i + needle_len <= len; i++)
    if (memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;

  return FALSE;
}

/* ---- Sessions ---- */

static MscTlsConfig
client_config (void)
{
  return (MscTlsConfig) {
    .role = MSC_TLS_ROLE_CLIENT,
    .server_name = "mail.example.com",
    .ca = msc_cert_store_get_ca (certs),
  };
}

static MscTlsConfig
server_config (void)
{
  return (MscTlsConfig) { .role = MSC_TLS_ROLE_SERVER };
}

static MscTlsSession *
new_session (const MscTlsConfig *config,
             MscCertKind         kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  MscTlsConfig copy = *config;
  MscTlsSession *session;

  if (config->role == MSC_TLS_ROLE_SERVER && config->certificate == NULL)
    {
      g_assert_true (msc_cert_store_get_server_identity (certs, SERVER_NAMES, kind,
                                                         &certificate, &key, &error));
      g_assert_no_error (error);
      copy.certificate = certificate;
      copy.key = key;
    }

  session = msc_tls_session_new (&copy, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  msc_tls_session_start (session);

  return session;
}

/* ---- Two sessions back to back, no socket between them ---- */

typedef struct
{
  MscTlsSession *session;
  GPtrArray     *events;     /* of MscTlsEvent */
  GByteArray    *plaintext;  /* what it decrypted */
  GByteArray    *wire;       /* every byte it sent */
  GError        *error;      /* the first failure feeding it */
} End;

typedef struct
{
  End   client;
  End   server;
  gsize chunk;               /* bytes per feed; 0 for whole flights */
} Link;

static void
end_init (End           *end,
          MscTlsSession *session)
{
  end->session = session;
  end->events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_tls_event_free);
  end->plaintext = g_byte_array_new ();
  end->wire = g_byte_array_new ();
  end->error = NULL;
}

static void
end_clear (End *end)
{
  g_assert_finalize_object (g_steal_pointer (&end->session));
  g_ptr_array_unref (end->events);
  g_byte_array_unref (end->plaintext);
  g_byte_array_unref (end->wire);
  g_clear_error (&end->error);
}

static void
end_collect (End *end)
{
  g_autoptr(GBytes) plaintext = msc_tls_session_take_plaintext (end->session);
  MscTlsEvent *event;

  if (plaintext != NULL)
    g_byte_array_append (end->plaintext, g_bytes_get_data (plaintext, NULL),
                         g_bytes_get_size (plaintext));

  while ((event = msc_tls_session_next_event (end->session)) != NULL)
    g_ptr_array_add (end->events, event);
}

static void
link_init (Link          *link,
           MscTlsSession *client,
           MscTlsSession *server,
           gsize          chunk)
{
  end_init (&link->client, client);
  end_init (&link->server, server);
  link->chunk = chunk;
}

static void
link_clear (Link *link)
{
  end_clear (&link->client);
  end_clear (&link->server);
}

/* Moves one side's ciphertext to the other.  A side that has failed or
 * closed is a closed socket: what comes for it is dropped. */
static gboolean
deliver (End   *from,
         End   *to,
         gsize  chunk)
{
  g_autoptr(GBytes) bytes = msc_tls_session_take_ciphertext (from->session);
  gsize len;
  const guint8 *data;

  if (bytes == NULL)
    return FALSE;

  data = g_bytes_get_data (bytes, &len);
  g_byte_array_append (from->wire, data, len);

  for (gsize at = 0; at < len && !msc_tls_session_is_closed (to->session);)
    {
      gsize n = chunk > 0 ? MIN (chunk, len - at) : len - at;
      g_autoptr(GError) error = NULL;

      if (!msc_tls_session_feed_ciphertext (to->session, data + at, n, &error))
        {
          g_assert_nonnull (error);
          if (to->error == NULL)
            to->error = g_steal_pointer (&error);
        }
      else
        {
          g_assert_no_error (error);
        }
      at += n;
    }

  end_collect (to);

  return TRUE;
}

static void
link_pump (Link *link)
{
  gboolean moved;

  end_collect (&link->client);
  end_collect (&link->server);

  do
    {
      moved = deliver (&link->client, &link->server, link->chunk);
      moved |= deliver (&link->server, &link->client, link->chunk);
    }
  while (moved);
}

static void
link_write (Link       *link,
            End        *end,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_tls_session_write_plaintext (end->session, (const guint8 *) text,
                                                  strlen (text), &error));
  g_assert_no_error (error);
  link_pump (link);
}

/* "> ClientHello < ServerHello …": the messages of @content_type (0 for
 * handshake messages and ChangeCipherSpec) and alerts, as one side saw
 * them. */
static char *
message_log (GPtrArray *events,
             gboolean   with_ccs)
{
  GString *log = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      const MscTlsEvent *event = g_ptr_array_index (events, i);
      const char *arrow = event->direction == MSC_TLS_DIRECTION_SENT ? ">" : "<";

      if (event->kind == MSC_TLS_EVENT_HANDSHAKE_MESSAGE &&
          (with_ccs || event->content_type == MSC_TLS_CONTENT_HANDSHAKE))
        g_string_append_printf (log, "%s%s %s", log->len > 0 ? " " : "", arrow, event->name);
      else if (event->kind == MSC_TLS_EVENT_ALERT)
        g_string_append_printf (log, "%s%s Alert(%u,%u)", log->len > 0 ? " " : "", arrow,
                                event->alert_level, event->alert_description);
    }

  return g_string_free (log, FALSE);
}

static const MscTlsEvent *
find_event (GPtrArray       *events,
            MscTlsEventKind  kind)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscTlsEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind)
        return event;
    }

  return NULL;
}

static guint
count_events (GPtrArray       *events,
              MscTlsEventKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    n += ((const MscTlsEvent *) g_ptr_array_index (events, i))->kind == kind;

  return n;
}

/* A handshake between a client and a server with @version at most */
static void
handshake (Link          *link,
           MscTlsVersion  version,
           gsize          chunk)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();

  client.max_version = version;
  server.max_version = version;
  link_init (link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, MSC_CERT_KIND_GOOD), chunk);
  link_pump (link);

  g_assert_no_error (link->client.error);
  g_assert_no_error (link->server.error);
  g_assert_true (msc_tls_session_is_handshake_done (link->client.session));
  g_assert_true (msc_tls_session_is_handshake_done (link->server.session));
}

/* ---- Handshakes ---- */

static void
test_handshake (gconstpointer data)
{
  MscTlsVersion version = GPOINTER_TO_INT (data);
  gboolean tls13 = version == MSC_TLS_VERSION_1_3;
  const MscTlsInfo *info;
  const MscTlsInfo *server_info;
  const MscTlsEvent *done;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  Link link;

  handshake (&link, version, 0);

  /* What the client learnt */
  info = msc_tls_session_get_info (link.client.session);
  g_assert_nonnull (info);
  g_test_message ("%s %s %s", info->version, info->cipher, info->group);
  g_assert_cmpstr (info->version, ==, tls13 ? "TLSv1.3" : "TLSv1.2");
  g_assert_cmpstr (info->cipher, ==, tls13 ? "TLS_AES_256_GCM_SHA384"
                                           : "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  g_assert_nonnull (info->group);
  g_assert_cmpstr (info->server_name, ==, "mail.example.com");
  g_assert_null (info->alpn);
  g_assert_true (info->peer_verified);
  g_assert_null (info->verify_result);
  g_assert_cmpstr (info->peer_subject, ==, "CN=mail.example.com,O=Mailscope");
  g_assert_true (g_str_has_prefix (info->peer_issuer, "CN=Mailscope Teaching CA "));
  g_assert_cmpstrv (info->peer_names, ((const char * const[]) {
    "DNS:mail.example.com", "DNS:localhost", "IP:127.0.0.1", NULL }));
  g_assert_cmpint (g_date_time_compare (info->peer_not_before, now), <, 0);
  g_assert_cmpint (g_date_time_compare (info->peer_not_after, now), >, 0);
  g_assert_cmpuint (strlen (info->peer_fingerprint), ==, 95);

  /* The server saw the name the client asked for, and no certificate */
  server_info = msc_tls_session_get_info (link.server.session);
  g_assert_cmpstr (server_info->version, ==, info->version);
  g_assert_cmpstr (server_info->cipher, ==, info->cipher);
  g_assert_cmpstr (server_info->group, ==, info->group);
  g_assert_cmpstr (server_info->server_name, ==, "mail.example.com");
  g_assert_null (server_info->peer_subject);
  g_assert_null (server_info->peer_names);
  g_assert_false (server_info->peer_verified);

  /* The DONE event carries the same, once on each side */
  g_assert_cmpuint (count_events (link.client.events, MSC_TLS_EVENT_HANDSHAKE_DONE), ==, 1);
  g_assert_cmpuint (count_events (link.server.events, MSC_TLS_EVENT_HANDSHAKE_DONE), ==, 1);
  done = find_event (link.client.events, MSC_TLS_EVENT_HANDSHAKE_DONE);
  g_assert_cmpstr (done->info->cipher, ==, info->cipher);
  g_assert_cmpstr (done->info->peer_fingerprint, ==, info->peer_fingerprint);
  g_assert_null (find_event (link.client.events, MSC_TLS_EVENT_ERROR));
  g_assert_null (find_event (link.server.events, MSC_TLS_EVENT_ERROR));
  g_assert_false (msc_tls_session_is_closed (link.client.session));
  g_assert_cmpint (msc_tls_session_get_role (link.client.session), ==, MSC_TLS_ROLE_CLIENT);
  g_assert_cmpint (msc_tls_session_get_role (link.server.session), ==, MSC_TLS_ROLE_SERVER);

  link_clear (&link);
}

/* RFC 8446 §2 and RFC 5246 §7.3, as OpenSSL runs them: in TLS 1.3 the
 * server sends two session tickets after the client's Finished; in TLS
 * 1.2 one ticket before its ChangeCipherSpec (RFC 5077 §3.3). */
static const char messages_13[] =
  "> ClientHello < ServerHello < EncryptedExtensions < Certificate < CertificateVerify "
  "< Finished > Finished < NewSessionTicket < NewSessionTicket";
static const char messages_13_server[] =
  "< ClientHello > ServerHello > EncryptedExtensions > Certificate > CertificateVerify "
  "> Finished < Finished > NewSessionTicket > NewSessionTicket";
static const char messages_12[] =
  "> ClientHello < ServerHello < Certificate < ServerKeyExchange < ServerHelloDone "
  "> ClientKeyExchange > ChangeCipherSpec > Finished < NewSessionTicket < ChangeCipherSpec "
  "< Finished";
static const char messages_12_server[] =
  "< ClientHello > ServerHello > Certificate > ServerKeyExchange > ServerHelloDone "
  "< ClientKeyExchange < ChangeCipherSpec < Finished > NewSessionTicket > ChangeCipherSpec "
  "> Finished";

static void
check_messages (Link          *link,
                MscTlsVersion  version)
{
  gboolean tls13 = version == MSC_TLS_VERSION_1_3;
  g_autofree char *client_log = message_log (link->client.events, !tls13);
  g_autofree char *server_log = message_log (link->server.events, !tls13);

  g_assert_cmpstr (client_log, ==, tls13 ? messages_13 : messages_12);
  g_assert_cmpstr (server_log, ==, tls13 ? messages_13_server : messages_12_server);

  /* Each message keeps its bytes: a handshake header, then the body */
  for (guint i = 0; i < link->client.events->len; i++)
    {
      const MscTlsEvent *event = g_ptr_array_index (link->client.events, i);
      const guint8 *bytes;

      if (event->kind != MSC_TLS_EVENT_HANDSHAKE_MESSAGE ||
          event->content_type != MSC_TLS_CONTENT_HANDSHAKE)
        continue;
      bytes = g_bytes_get_data (event->data, NULL);
      g_assert_cmpuint (g_bytes_get_size (event->data), ==, event->length);
      g_assert_cmpuint (bytes[0], ==, event->message_type);
      g_assert_cmpuint ((gsize) (bytes[1] << 16 | bytes[2] << 8 | bytes[3]) + 4, ==, event->length);
    }
}

static void
test_messages (gconstpointer data)
{
  MscTlsVersion version = GPOINTER_TO_INT (data);
  Link link;

  handshake (&link, version, 0);
  check_messages (&link, version);
  link_clear (&link);
}

/* The same handshake, one byte at a time, ends the same way */
static void
test_trickle (gconstpointer data)
{
  MscTlsVersion version = GPOINTER_TO_INT (data);
  Link link;

  handshake (&link, version, 1);
  check_messages (&link, version);

  link_write (&link, &link.client, "EHLO laptop.example.org\r\n");
  link_write (&link, &link.server, "250-mail.example.com\r\n250 PIPELINING\r\n");
  g_assert_cmpmem (link.server.plaintext->data, link.server.plaintext->len,
                   "EHLO laptop.example.org\r\n", 25);
  g_assert_cmpmem (link.client.plaintext->data, link.client.plaintext->len,
                   "250-mail.example.com\r\n250 PIPELINING\r\n", 38);

  link_clear (&link);
}

static void
test_round_trip (void)
{
  g_autoptr(GByteArray) big = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  Link link;

  handshake (&link, MSC_TLS_VERSION_DEFAULT, 0);

  link_write (&link, &link.client, "EHLO laptop.example.org\r\n");
  g_assert_cmpmem (link.server.plaintext->data, link.server.plaintext->len,
                   "EHLO laptop.example.org\r\n", 25);
  link_write (&link, &link.server, "250 mail.example.com\r\n");
  g_assert_cmpmem (link.client.plaintext->data, link.client.plaintext->len,
                   "250 mail.example.com\r\n", 22);

  /* More than one record's worth (2^14 bytes) each way, every byte value */
  for (guint i = 0; i < 100000; i++)
    {
      guint8 byte = (guint8) (i * 7);

      g_byte_array_append (big, &byte, 1);
    }
  g_byte_array_set_size (link.client.plaintext, 0);
  g_byte_array_set_size (link.server.plaintext, 0);
  g_assert_true (msc_tls_session_write_plaintext (link.client.session, big->data, big->len,
                                                  &error));
  g_assert_true (msc_tls_session_write_plaintext (link.server.session, big->data, big->len,
                                                  &error));
  g_assert_no_error (error);
  link_pump (&link);
  g_assert_cmpmem (link.server.plaintext->data, link.server.plaintext->len, big->data, big->len);
  g_assert_cmpmem (link.client.plaintext->data, link.client.plaintext->len, big->data, big->len);
  g_assert_cmpuint (count_events (link.client.events, MSC_TLS_EVENT_RECORD), >, 8);

  link_clear (&link);
}

/* An engine may write before the handshake is done (a client pipelining
 * right after STARTTLS): the bytes wait, then go out encrypted. */
static void
test_write_before_handshake (void)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  g_autoptr(GError) error = NULL;
  Link link;

  link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, MSC_CERT_KIND_GOOD), 0);
  g_assert_true (msc_tls_session_write_plaintext (link.client.session,
                                                  (const guint8 *) "NOOP\r\n", 6, &error));
  g_assert_no_error (error);
  g_assert_false (msc_tls_session_is_handshake_done (link.client.session));
  g_assert_null (msc_tls_session_get_info (link.client.session));

  link_pump (&link);
  g_assert_cmpmem (link.server.plaintext->data, link.server.plaintext->len, "NOOP\r\n", 6);
  g_assert_false (contains (link.client.wire->data, link.client.wire->len, "NOOP"));

  link_clear (&link);
}

/* ---- What an eavesdropper sees ---- */

static GByteArray *
join_records (GPtrArray       *events,
              MscTlsDirection  direction)
{
  GByteArray *joined = g_byte_array_new ();

  for (guint i = 0; i < events->len; i++)
    {
      const MscTlsEvent *event = g_ptr_array_index (events, i);
      gsize len;
      const guint8 *bytes;

      if (event->kind != MSC_TLS_EVENT_RECORD || event->direction != direction)
        continue;
      bytes = g_bytes_get_data (event->data, &len);
      g_assert_cmpuint (len, ==, event->length + 5);
      g_assert_cmpuint (bytes[0], ==, event->content_type);
      g_assert_cmpuint (bytes[1] << 8 | bytes[2], ==, event->version);
      g_byte_array_append (joined, bytes, len);
    }

  return joined;
}

static void
test_records (gconstpointer data)
{
  MscTlsVersion version = GPOINTER_TO_INT (data);
  gboolean tls13 = version == MSC_TLS_VERSION_1_3;
  static const char secret[] = "AUTH PLAIN " ALICE_PLAIN "\r\n";
  g_autoptr(GByteArray) client_sent = NULL;
  g_autoptr(GByteArray) server_received = NULL;
  g_autoptr(GByteArray) server_sent = NULL;
  const MscTlsEvent *first;
  guint n_before;
  guint n_secret = 0;
  Link link;

  handshake (&link, version, 0);
  n_before = link.client.events->len;
  link_write (&link, &link.client, secret);
  g_assert_cmpmem (link.server.plaintext->data, link.server.plaintext->len,
                   secret, strlen (secret));

  /* The records are exactly the bytes on the wire, seen alike from both ends */
  client_sent = join_records (link.client.events, MSC_TLS_DIRECTION_SENT);
  server_received = join_records (link.server.events, MSC_TLS_DIRECTION_RECEIVED);
  server_sent = join_records (link.server.events, MSC_TLS_DIRECTION_SENT);
  g_assert_cmpmem (client_sent->data, client_sent->len,
                   link.client.wire->data, link.client.wire->len);
  g_assert_cmpmem (server_received->data, server_received->len,
                   link.client.wire->data, link.client.wire->len);
  g_assert_cmpmem (server_sent->data, server_sent->len,
                   link.server.wire->data, link.server.wire->len);

  /* The ClientHello goes in the clear */
  first = find_event (link.client.events, MSC_TLS_EVENT_RECORD);
  g_assert_cmpint (first->direction, ==, MSC_TLS_DIRECTION_SENT);
  g_assert_cmpuint (first->content_type, ==, MSC_TLS_CONTENT_HANDSHAKE);
  g_assert_false (first->encrypted);

  /* The secret travels in application data records that do not show it */
  for (guint i = n_before; i < link.client.events->len; i++)
    {
      const MscTlsEvent *event = g_ptr_array_index (link.client.events, i);

      if (event->kind != MSC_TLS_EVENT_RECORD)
        continue;
      n_secret++;
      g_assert_cmpint (event->direction, ==, MSC_TLS_DIRECTION_SENT);
      g_assert_cmpuint (event->content_type, ==, MSC_TLS_CONTENT_APPLICATION_DATA);
      g_assert_cmphex (event->version, ==, 0x0303);
      g_assert_true (event->encrypted);
      g_assert_false (contains (g_bytes_get_data (event->data, NULL),
                                g_bytes_get_size (event->data), ALICE_PLAIN));
    }
  g_assert_cmpuint (n_secret, ==, 1);
  g_assert_false (contains (link.client.wire->data, link.client.wire->len, ALICE_PLAIN));
  g_assert_false (contains (link.client.wire->data, link.client.wire->len, "AUTH"));

  /* Both versions show the name asked for (SNI); only TLS 1.2 shows the
   * server's certificate to an eavesdropper. */
  g_assert_true (contains (link.client.wire->data, link.client.wire->len, "mail.example.com"));
  g_assert_cmpint (contains (link.server.wire->data, link.server.wire->len,
                             "Mailscope Teaching CA"), ==, !tls13);

  link_clear (&link);
}

/* ---- Certificates a careful client refuses ---- */

typedef struct
{
  const char  *name;
  MscCertKind  kind;
  const char  *server_name;
  int          code;
  const char  *words;        /* in the message */
  guint        alert;        /* what the client tells the server */
} VerifyCase;

static const VerifyCase verify_cases[] = {
  { "self-signed", MSC_CERT_KIND_SELF_SIGNED, NULL, MSC_TLS_ERROR_CERT_UNTRUSTED,
    "it is self-signed", 48 /* unknown_ca */ },
  { "wrong-name", MSC_CERT_KIND_WRONG_NAME, NULL, MSC_TLS_ERROR_CERT_HOSTNAME,
    "is for “" MSC_CERT_WRONG_NAME "”, not for “mail.example.com”", 42 /* bad_certificate */ },
  { "expired", MSC_CERT_KIND_EXPIRED, NULL, MSC_TLS_ERROR_CERT_EXPIRED,
    "expired on ", 45 /* certificate_expired */ },
  { "not-yet-valid", MSC_CERT_KIND_NOT_YET_VALID, NULL, MSC_TLS_ERROR_CERT_NOT_YET_VALID,
    "is valid only from ", 42 /* bad_certificate */ },
  { "wrong-ip", MSC_CERT_KIND_GOOD, "127.0.0.2", MSC_TLS_ERROR_CERT_HOSTNAME,
    "not for “127.0.0.2”", 42 /* bad_certificate */ },
};

static void
test_verify_failure (gconstpointer data)
{
  const VerifyCase *verify_case = data;
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  g_autofree char *client_log = NULL;
  g_autofree char *server_log = NULL;
  g_autofree char *alert = NULL;
  const MscTlsEvent *error_event;
  Link link;

  if (verify_case->server_name != NULL)
    client.server_name = verify_case->server_name;
  link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, verify_case->kind), 0);
  link_pump (&link);

  /* The client refuses, says why in words, and tells the server */
  g_assert_error (link.client.error, MSC_TLS_ERROR, verify_case->code);
  g_test_message ("client: %s", link.client.error->message);
  g_assert_nonnull (strstr (link.client.error->message, verify_case->words));
  g_assert_false (msc_tls_session_is_handshake_done (link.client.session));
  g_assert_true (msc_tls_session_is_closed (link.client.session));
  error_event = find_event (link.client.events, MSC_TLS_EVENT_ERROR);
  g_assert_nonnull (error_event);
  g_assert_error (error_event->error, MSC_TLS_ERROR, verify_case->code);
  g_assert_cmpstr (error_event->error->message, ==, link.client.error->message);

  alert = g_strdup_printf ("Alert(2,%u)", verify_case->alert);
  client_log = message_log (link.client.events, FALSE);
  server_log = message_log (link.server.events, FALSE);
  g_test_message ("client: %s", client_log);
  g_assert_true (g_str_has_suffix (client_log, alert));
  g_assert_nonnull (strstr (client_log, "< Certificate"));

  /* The server hears the alert: the client does not trust its certificate */
  g_assert_error (link.server.error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE);
  g_test_message ("server: %s", link.server.error->message);
  g_assert_nonnull (strstr (link.server.error->message,
                            "The client refused the server’s certificate"));
  g_assert_true (g_str_has_suffix (server_log, alert));
  g_assert_true (msc_tls_session_is_closed (link.server.session));

  /* Nothing more goes through */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (msc_tls_session_write_plaintext (link.client.session,
                                                     (const guint8 *) "x", 1, &error));
    g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED);
  }

  link_clear (&link);
}

/* A client that trusts another authority, or none at all */
static void
test_verify_unknown_ca (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_dir_make_tmp ("msc-tls-XXXXXX", &error);
  g_autofree char *other_dir = g_build_filename (parent, "other", NULL);
  g_autoptr(MscCertStore) other = msc_cert_store_new (other_dir, &error);
  g_autofree char *issuer = NULL;

  g_assert_no_error (error);
  issuer = X509_NAME_oneline (X509_get_subject_name (msc_cert_store_get_ca (certs)), NULL, 0);

  for (guint i = 0; i < 2; i++)
    {
      MscTlsConfig client = client_config ();
      MscTlsConfig server = server_config ();
      Link link;

      client.ca = i == 0 ? msc_cert_store_get_ca (other) : NULL;
      link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
                 new_session (&server, MSC_CERT_KIND_GOOD), 0);
      link_pump (&link);

      g_assert_error (link.client.error, MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_UNTRUSTED);
      g_test_message ("%s", link.client.error->message);
      /* Named by the authority's common name */
      g_assert_nonnull (strstr (link.client.error->message, "signed by “Mailscope Teaching CA "));
      g_assert_nonnull (strstr (issuer, "Mailscope Teaching CA "));
      g_assert_error (link.server.error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE);

      link_clear (&link);
    }

  g_assert_finalize_object (g_steal_pointer (&other));
  {
    g_autoptr(GDir) dir = g_dir_open (other_dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (other_dir, name, NULL);

        g_remove (path);
      }
  }
  g_rmdir (other_dir);
  g_rmdir (parent);
}

/* A client told not to check goes on, but still knows what it skipped */
static void
test_no_verify (void)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  const MscTlsInfo *info;
  Link link;

  client.no_verify = TRUE;
  client.ca = NULL;
  link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, MSC_CERT_KIND_SELF_SIGNED), 0);
  link_pump (&link);

  g_assert_no_error (link.client.error);
  g_assert_no_error (link.server.error);
  info = msc_tls_session_get_info (link.client.session);
  g_assert_false (info->peer_verified);
  g_assert_cmpstr (info->verify_result, ==, "self-signed certificate");
  g_assert_cmpstr (info->peer_subject, ==, info->peer_issuer);

  link_clear (&link);
}

/* The name checked can be an IP address: no SNI then (RFC 6066 §3) */
static void
test_verify_ip (void)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  const MscTlsInfo *info;
  Link link;

  client.server_name = "127.0.0.1";
  link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, MSC_CERT_KIND_GOOD), 0);
  link_pump (&link);

  g_assert_no_error (link.client.error);
  info = msc_tls_session_get_info (link.client.session);
  g_assert_true (info->peer_verified);
  g_assert_null (msc_tls_session_get_info (link.server.session)->server_name);

  link_clear (&link);
}

static void
test_version_mismatch (void)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  g_autofree char *server_log = NULL;
  Link link;

  client.min_version = MSC_TLS_VERSION_1_3;
  server.max_version = MSC_TLS_VERSION_1_2;
  link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
             new_session (&server, MSC_CERT_KIND_GOOD), 0);
  link_pump (&link);

  g_assert_error (link.server.error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE);
  g_test_message ("server: %s", link.server.error->message);
  g_assert_nonnull (strstr (link.server.error->message, "TLS 1.2 to TLS 1.2"));
  server_log = message_log (link.server.events, FALSE);
  g_assert_cmpstr (server_log, ==, "< ClientHello > Alert(2,70)");

  g_assert_error (link.client.error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE);
  g_test_message ("client: %s", link.client.error->message);
  g_assert_nonnull (strstr (link.client.error->message, "“protocol version”"));

  link_clear (&link);
}

static void
test_alpn (void)
{
  static const char * const client_protocols[] = { "imap", "smtp", NULL };
  static const char * const server_protocols[] = { "pop3", "smtp", NULL };
  static const char * const other_protocols[] = { "pop3", NULL };

  for (guint i = 0; i < 2; i++)
    {
      MscTlsConfig client = client_config ();
      MscTlsConfig server = server_config ();
      Link link;

      client.alpn = client_protocols;
      server.alpn = i == 0 ? server_protocols : other_protocols;
      link_init (&link, new_session (&client, MSC_CERT_KIND_GOOD),
                 new_session (&server, MSC_CERT_KIND_GOOD), 0);
      link_pump (&link);

      g_assert_no_error (link.client.error);
      g_assert_cmpstr (msc_tls_session_get_info (link.client.session)->alpn, ==,
                       i == 0 ? "smtp" : NULL);
      g_assert_cmpstr (msc_tls_session_get_info (link.server.session)->alpn, ==,
                       i == 0 ? "smtp" : NULL);

      link_clear (&link);
    }
}

/* ---- Ending ---- */

static void
test_close_notify (void)
{
  g_autoptr(GError) error = NULL;
  const MscTlsEvent *closed;
  g_autofree char *client_log = NULL;
  Link link;

  handshake (&link, MSC_TLS_VERSION_DEFAULT, 0);
  link_write (&link, &link.server, "221 2.0.0 Bye\r\n");

  /* The server closes first; the client decrypts what came before */
  msc_tls_session_shutdown (link.server.session);
  g_assert_false (msc_tls_session_write_plaintext (link.server.session,
                                                   (const guint8 *) "x", 1, &error));
  g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED);
  g_clear_error (&error);
  link_pump (&link);

  g_assert_cmpmem (link.client.plaintext->data, link.client.plaintext->len,
                   "221 2.0.0 Bye\r\n", 15);
  closed = find_event (link.client.events, MSC_TLS_EVENT_CLOSED);
  g_assert_nonnull (closed);
  g_assert_true (closed->clean);
  g_assert_no_error (closed->error);
  g_assert_true (msc_tls_session_is_closed (link.client.session));
  g_assert_false (msc_tls_session_is_closed (link.server.session));
  client_log = message_log (link.client.events, FALSE);
  g_assert_true (g_str_has_suffix (client_log, "< Alert(1,0)"));

  /* The client answers in kind */
  msc_tls_session_shutdown (link.client.session);
  link_pump (&link);
  closed = find_event (link.server.events, MSC_TLS_EVENT_CLOSED);
  g_assert_nonnull (closed);
  g_assert_true (closed->clean);
  g_assert_true (msc_tls_session_is_closed (link.server.session));
  g_assert_no_error (link.client.error);
  g_assert_no_error (link.server.error);

  /* Then TCP ends: nothing was cut short */
  g_assert_true (msc_tls_session_peer_closed (link.client.session, &error));
  g_assert_no_error (error);
  g_assert_false (msc_tls_session_feed_ciphertext (link.client.session,
                                                   (const guint8 *) "x", 1, &error));
  g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED);

  link_clear (&link);
}

static void
test_truncation (void)
{
  g_autoptr(GError) error = NULL;
  const MscTlsEvent *closed;
  Link link;

  handshake (&link, MSC_TLS_VERSION_DEFAULT, 0);

  /* TCP ends without close_notify */
  g_assert_false (msc_tls_session_peer_closed (link.client.session, &error));
  g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "close_notify"));
  end_collect (&link.client);
  closed = find_event (link.client.events, MSC_TLS_EVENT_CLOSED);
  g_assert_nonnull (closed);
  g_assert_false (closed->clean);
  g_assert_error (closed->error, MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL);
  g_assert_true (msc_tls_session_is_closed (link.client.session));
  g_clear_error (&error);

  /* …and during a handshake, that is a failed handshake */
  {
    MscTlsConfig server = server_config ();
    g_autoptr(MscTlsSession) session = new_session (&server, MSC_CERT_KIND_GOOD);
    g_autoptr(MscTlsEvent) event = NULL;

    g_assert_false (msc_tls_session_peer_closed (session, &error));
    g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE);
    event = msc_tls_session_next_event (session);
    g_assert_cmpint (event->kind, ==, MSC_TLS_EVENT_ERROR);
  }

  link_clear (&link);
}

/* Shutting down before the handshake is done just ends the session */
static void
test_shutdown_early (void)
{
  MscTlsConfig client = client_config ();
  g_autoptr(MscTlsSession) session = new_session (&client, MSC_CERT_KIND_GOOD);
  g_autoptr(GBytes) hello = msc_tls_session_take_ciphertext (session);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (hello);
  msc_tls_session_shutdown (session);
  g_assert_true (msc_tls_session_is_closed (session));
  g_assert_null (msc_tls_session_take_ciphertext (session));
  g_assert_false (msc_tls_session_feed_ciphertext (session, (const guint8 *) "x", 1, &error));
  g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED);
}

/* ---- Bytes that are not TLS ---- */

static void
feed_expect_error (MscTlsSession *session,
                   const guint8  *data,
                   gsize          len,
                   int            code,
                   const char    *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;

  g_assert_false (msc_tls_session_feed_ciphertext (session, data, len, &error));
  g_assert_error (error, MSC_TLS_ERROR, code);
  g_test_message ("%s", error->message);
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
  g_assert_true (msc_tls_session_is_closed (session));

  g_assert_false (msc_tls_session_feed_ciphertext (session, data, len, &again));
  g_assert_error (again, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED);
}

static void
test_garbage (void)
{
  MscTlsConfig client = client_config ();
  MscTlsConfig server = server_config ();
  static const char smtp[] = "EHLO laptop.example.org\r\n";
  static const char greeting[] = "220 mail.example.com ESMTP ready\r\n";

  /* A plaintext client on a TLS port */
  {
    g_autoptr(MscTlsSession) session = new_session (&server, MSC_CERT_KIND_GOOD);

    feed_expect_error (session, (const guint8 *) smtp, strlen (smtp), MSC_TLS_ERROR_PROTOCOL,
                       "does not speak TLS: it sent “EHLO laptop.example.org”");
  }

  /* A TLS client on a plaintext port */
  {
    g_autoptr(MscTlsSession) session = new_session (&client, MSC_CERT_KIND_GOOD);
    g_autoptr(GBytes) hello = msc_tls_session_take_ciphertext (session);
    g_autoptr(MscTlsEvent) event = NULL;

    g_assert_nonnull (hello);
    feed_expect_error (session, (const guint8 *) greeting, strlen (greeting),
                       MSC_TLS_ERROR_PROTOCOL, "“220 mail.example.com ESMTP ready”");
    while ((event = msc_tls_session_next_event (session)) != NULL &&
           event->kind != MSC_TLS_EVENT_ERROR)
      g_clear_pointer (&event, msc_tls_event_free);
    g_assert_nonnull (event);
  }

  /* A close_notify in answer to the ClientHello */
  {
    g_autoptr(MscTlsSession) session = new_session (&client, MSC_CERT_KIND_GOOD);
    static const guint8 close_notify[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00 };

    feed_expect_error (session, close_notify, sizeof close_notify, MSC_TLS_ERROR_HANDSHAKE,
                       "closed TLS during the handshake");
  }

  /* Random bytes, whole and one at a time: an error, never a crash */
  for (guint seed = 0; seed < 20; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(MscTlsSession) session = new_session (seed % 2 ? &client : &server,
                                                      MSC_CERT_KIND_GOOD);
      gsize chunk = seed % 3 == 0 ? 1 : 97;
      guint8 junk[600];
      gboolean ok = TRUE;

      for (guint i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
      /* Half of them look like a handshake record at first */
      if (seed % 4 < 2)
        memcpy (junk, "\x16\x03\x01\x02\x00", 5);

      for (gsize at = 0; at < sizeof junk && ok; at += chunk)
        {
          g_autoptr(GError) error = NULL;

          ok = msc_tls_session_feed_ciphertext (session, junk + at, MIN (chunk, sizeof junk - at),
                                                &error);
          if (!ok)
            g_assert_true (error->domain == MSC_TLS_ERROR &&
                           (error->code == MSC_TLS_ERROR_PROTOCOL ||
                            error->code == MSC_TLS_ERROR_HANDSHAKE));
        }
      g_assert_false (ok && seed % 4 >= 2);
    }
}

/* A record changed on the way fails its integrity check */
static void
test_tampering (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GByteArray) changed = g_byte_array_new ();
  Link link;

  handshake (&link, MSC_TLS_VERSION_DEFAULT, 0);

  g_assert_true (msc_tls_session_write_plaintext (link.client.session,
                                                  (const guint8 *) "QUIT\r\n", 6, &error));
  record = msc_tls_session_take_ciphertext (link.client.session);
  g_byte_array_append (changed, g_bytes_get_data (record, NULL), g_bytes_get_size (record));
  changed->data[changed->len - 1] ^= 0x01;

  feed_expect_error (link.server.session, changed->data, changed->len, MSC_TLS_ERROR_PROTOCOL,
                     "integrity check");
  g_assert_cmpuint (link.server.plaintext->len, ==, 0);

  link_clear (&link);
}

static void
test_config_errors (void)
{
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) other = NULL;
  g_autoptr(EVP_PKEY) other_key = NULL;
  static const char * const localhost[] = { "localhost", NULL };
  static const char * const bad_alpn[] = { "", NULL };
  MscTlsConfig configs[5];

  g_assert_true (msc_cert_store_get_server_identity (certs, SERVER_NAMES, MSC_CERT_KIND_GOOD,
                                                     &certificate, &key, NULL));
  g_assert_true (msc_cert_store_get_server_identity (certs, localhost, MSC_CERT_KIND_GOOD,
                                                     &other, &other_key, NULL));

  configs[0] = server_config ();                       /* no certificate */
  configs[1] = server_config ();                       /* another certificate's key */
  configs[1].certificate = certificate;
  configs[1].key = other_key;
  configs[2] = client_config ();                       /* checks, but whose name? */
  configs[2].server_name = NULL;
  configs[3] = client_config ();                       /* 1.3 at least, 1.2 at most */
  configs[3].min_version = MSC_TLS_VERSION_1_3;
  configs[3].max_version = MSC_TLS_VERSION_1_2;
  configs[4] = client_config ();
  configs[4].alpn = bad_alpn;

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MscTlsSession) session = msc_tls_session_new (&configs[i], &error);

      g_assert_null (session);
      g_assert_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG);
      g_test_message ("%s", error->message);
    }
}

static void
test_names (void)
{
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_HANDSHAKE_MESSAGE), ==,
                   "handshake-message");
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_RECORD), ==, "record");
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_HANDSHAKE_DONE), ==,
                   "handshake-done");
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_ALERT), ==, "alert");
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_CLOSED), ==, "closed");
  g_assert_cmpstr (msc_tls_event_kind_get_name (MSC_TLS_EVENT_ERROR), ==, "error");
}

/* ---- The engines over TLS, as the layer around them will run them ---- */

typedef struct _Party Party;

typedef struct
{
  gboolean  (*feed)        (Party        *party,
                            const guint8 *data,
                            gsize         len);
  GBytes   *(*take_output) (Party        *party);
  void      (*tls_started) (Party        *party);
  /* Handles the engine's events; TRUE when one of them was STARTTLS */
  gboolean  (*drain)       (Party        *party);
} EngineOps;

/* One end of a connection: an engine, and TLS once STARTTLS asks for it */
struct _Party
{
  const EngineOps *ops;
  GObject         *engine;      /* NULL for a scripted peer */
  MscTlsConfig     tls_config;
  X509            *certificate;
  EVP_PKEY        *key;
  MscTlsSession   *tls;
  gboolean         tls_told;    /* tls_started() called */
  GByteArray      *outbox;      /* for the wire, not sent yet */
  GByteArray      *wire;        /* every byte sent, as an eavesdropper saw it */
  gsize            tls_from;    /* where TLS begins in @wire */
  GPtrArray       *tls_events;
  GString         *log;         /* the verbs of the commands the engine read */
  GPtrArray       *messages;    /* an SMTP server's MESSAGE events */
  GByteArray      *said;        /* a scripted peer: what to send next */
  GByteArray      *heard;       /* a scripted peer: what it received */
};

static void
party_init (Party           *party,
            const EngineOps *ops,
            gpointer         engine,
            MscTlsRole       role)
{
  memset (party, 0, sizeof *party);
  party->ops = ops;
  party->engine = engine;
  party->outbox = g_byte_array_new ();
  party->wire = g_byte_array_new ();
  party->tls_from = G_MAXSIZE;
  party->tls_events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_tls_event_free);
  party->log = g_string_new (NULL);
  party->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_server_event_free);
  party->said = g_byte_array_new ();
  party->heard = g_byte_array_new ();

  if (role == MSC_TLS_ROLE_SERVER)
    {
      party->tls_config = server_config ();
      g_assert_true (msc_cert_store_get_server_identity (certs, SERVER_NAMES, MSC_CERT_KIND_GOOD,
                                                         &party->certificate, &party->key, NULL));
      party->tls_config.certificate = party->certificate;
      party->tls_config.key = party->key;
    }
  else
    {
      party->tls_config = client_config ();
    }
}

static void
party_clear (Party *party)
{
  if (party->engine != NULL)
    g_assert_finalize_object (g_steal_pointer (&party->engine));
  if (party->tls != NULL)
    g_assert_finalize_object (g_steal_pointer (&party->tls));
  X509_free (party->certificate);
  EVP_PKEY_free (party->key);
  g_byte_array_unref (party->outbox);
  g_byte_array_unref (party->wire);
  g_ptr_array_unref (party->tls_events);
  g_string_free (party->log, TRUE);
  g_ptr_array_unref (party->messages);
  g_byte_array_unref (party->said);
  g_byte_array_unref (party->heard);
}

static void
party_collect_tls (Party *party)
{
  MscTlsEvent *event;

  while ((event = msc_tls_session_next_event (party->tls)) != NULL)
    g_ptr_array_add (party->tls_events, event);
}

/* The engine's last plaintext (the 220 or +OK to STARTTLS) goes first,
 * in the clear; everything after it through TLS. */
static void
party_start_tls (Party *party)
{
  g_autoptr(GBytes) last = party->ops->take_output (party);
  g_autoptr(GError) error = NULL;

  g_assert_null (party->tls);
  if (last != NULL)
    g_byte_array_append (party->outbox, g_bytes_get_data (last, NULL), g_bytes_get_size (last));

  party->tls = msc_tls_session_new (&party->tls_config, &error);
  g_assert_no_error (error);
  party->tls_from = party->wire->len + party->outbox->len;
  msc_tls_session_start (party->tls);
}

static void
party_drain (Party *party)
{
  if (party->ops->drain (party))
    party_start_tls (party);
}

static void
party_receive (Party        *party,
               const guint8 *data,
               gsize         len)
{
  if (party->tls != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) plaintext = NULL;

      g_assert_true (msc_tls_session_feed_ciphertext (party->tls, data, len, &error));
      g_assert_no_error (error);
      party_collect_tls (party);

      /* Before the first decrypted byte reaches the engine */
      if (!party->tls_told && msc_tls_session_is_handshake_done (party->tls))
        {
          party->tls_told = TRUE;
          party->ops->tls_started (party);
        }

      plaintext = msc_tls_session_take_plaintext (party->tls);
      if (plaintext != NULL)
        party->ops->feed (party, g_bytes_get_data (plaintext, NULL), g_bytes_get_size (plaintext));
    }
  else
    {
      party->ops->feed (party, data, len);
    }

  party_drain (party);
}

static gboolean
party_send (Party *party,
            Party *peer)
{
  g_autoptr(GBytes) output = party->ops->take_output (party);
  g_autoptr(GByteArray) bytes = NULL;

  if (output != NULL && party->tls != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (msc_tls_session_write_plaintext (party->tls, g_bytes_get_data (output, NULL),
                                                      g_bytes_get_size (output), &error));
      g_assert_no_error (error);
    }
  else if (output != NULL)
    {
      g_byte_array_append (party->outbox, g_bytes_get_data (output, NULL),
                           g_bytes_get_size (output));
    }

  if (party->tls != NULL)
    {
      g_autoptr(GBytes) ciphertext = msc_tls_session_take_ciphertext (party->tls);

      if (ciphertext != NULL)
        g_byte_array_append (party->outbox, g_bytes_get_data (ciphertext, NULL),
                             g_bytes_get_size (ciphertext));
      party_collect_tls (party);
    }

  if (party->outbox->len == 0)
    return FALSE;

  bytes = g_steal_pointer (&party->outbox);
  party->outbox = g_byte_array_new ();
  g_byte_array_append (party->wire, bytes->data, bytes->len);
  party_receive (peer, bytes->data, bytes->len);

  return TRUE;
}

static void
pump (Party *client,
      Party *server)
{
  gboolean moved;

  party_drain (client);
  party_drain (server);

  do
    {
      moved = party_send (server, client);
      moved |= party_send (client, server);
    }
  while (moved);
}

/* Both ends say close_notify, the server first, as after QUIT */
static void
close_tls (Party *client,
           Party *server)
{
  const MscTlsEvent *closed;

  msc_tls_session_shutdown (server->tls);
  pump (client, server);
  g_assert_true (msc_tls_session_is_closed (client->tls));
  msc_tls_session_shutdown (client->tls);
  pump (client, server);
  g_assert_true (msc_tls_session_is_closed (server->tls));

  closed = find_event (client->tls_events, MSC_TLS_EVENT_CLOSED);
  g_assert_true (closed != NULL && closed->clean);
  closed = find_event (server->tls_events, MSC_TLS_EVENT_CLOSED);
  g_assert_true (closed != NULL && closed->clean);
}

/* The eavesdropper's view of one direction: the plaintext part shows
 * @visible, the TLS part hides each of @hidden, and the RECORD events
 * account for every byte of it. */
static void
check_wire (Party              *party,
            const char         *visible,
            const char * const *hidden)
{
  g_autoptr(GByteArray) records = join_records (party->tls_events, MSC_TLS_DIRECTION_SENT);
  const guint8 *tls_part = party->wire->data + party->tls_from;
  gsize tls_len = party->wire->len - party->tls_from;

  g_assert_cmpuint (party->tls_from, <, party->wire->len);
  g_assert_true (contains (party->wire->data, party->tls_from, visible));
  for (guint i = 0; hidden[i] != NULL; i++)
    g_assert_false (contains (party->wire->data, party->wire->len, hidden[i]));
  g_assert_cmpmem (records->data, records->len, tls_part, tls_len);
}

static void
check_tls_done (Party *party)
{
  const MscTlsEvent *done = find_event (party->tls_events, MSC_TLS_EVENT_HANDSHAKE_DONE);

  g_assert_nonnull (done);
  g_assert_cmpstr (done->info->version, ==, "TLSv1.3");
  if (msc_tls_session_get_role (party->tls) == MSC_TLS_ROLE_CLIENT)
    g_assert_true (done->info->peer_verified);
  g_assert_true (party->tls_told);
  g_assert_null (find_event (party->tls_events, MSC_TLS_EVENT_ERROR));
}

/* -- SMTP -- */

static gboolean
smtp_server_feed (Party        *party,
                  const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = msc_smtp_server_feed (MSC_SMTP_SERVER (party->engine), data, len, &error);

  g_assert_no_error (error);

  return ok;
}

static GBytes *
smtp_server_take_output (Party *party)
{
  return msc_smtp_server_take_output (MSC_SMTP_SERVER (party->engine));
}

static void
smtp_server_tls_started (Party *party)
{
  msc_smtp_server_tls_started (MSC_SMTP_SERVER (party->engine));
}

static gboolean
smtp_server_drain (Party *party)
{
  MscSmtpServer *server = MSC_SMTP_SERVER (party->engine);
  MscSmtpServerEvent *event;
  gboolean starttls = FALSE;

  while ((event = msc_smtp_server_next_event (server)) != NULL)
    {
      switch (event->kind)
        {
        case MSC_SMTP_SERVER_EVENT_COMMAND:
          g_string_append_printf (party->log, "%s ", event->verb != NULL ? event->verb : "-");
          break;
        case MSC_SMTP_SERVER_EVENT_STARTTLS:
          starttls = TRUE;
          break;
        case MSC_SMTP_SERVER_EVENT_MESSAGE:
          g_ptr_array_add (party->messages, g_steal_pointer (&event));
          msc_smtp_server_message_done (server, NULL);
          break;
        case MSC_SMTP_SERVER_EVENT_REPLY:
        case MSC_SMTP_SERVER_EVENT_STATE_CHANGED:
        case MSC_SMTP_SERVER_EVENT_AUTHENTICATED:
        case MSC_SMTP_SERVER_EVENT_CLOSED:
        case MSC_SMTP_SERVER_N_EVENT_KINDS:
        default:
          break;
        }
      msc_smtp_server_event_free (event);
    }

  return starttls;
}

static const EngineOps smtp_server_ops = {
  smtp_server_feed, smtp_server_take_output, smtp_server_tls_started, smtp_server_drain,
};

static gboolean
smtp_client_feed (Party        *party,
                  const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = msc_smtp_client_feed (MSC_SMTP_CLIENT (party->engine), data, len, &error);

  g_assert_no_error (error);

  return ok;
}

static GBytes *
smtp_client_take_output (Party *party)
{
  return msc_smtp_client_take_output (MSC_SMTP_CLIENT (party->engine));
}

static void
smtp_client_tls_started (Party *party)
{
  msc_smtp_client_tls_started (MSC_SMTP_CLIENT (party->engine));
}

static gboolean
smtp_client_drain (Party *party)
{
  MscSmtpClientEvent *event;
  gboolean starttls = FALSE;

  while ((event = msc_smtp_client_next_event (MSC_SMTP_CLIENT (party->engine))) != NULL)
    {
      if (event->kind == MSC_SMTP_CLIENT_EVENT_STARTTLS)
        starttls = TRUE;
      else if (event->kind == MSC_SMTP_CLIENT_EVENT_COMMAND)
        g_string_append_printf (party->log, "%s ", event->verb != NULL ? event->verb : "-");
      msc_smtp_client_event_free (event);
    }

  return starttls;
}

static const EngineOps smtp_client_ops = {
  smtp_client_feed, smtp_client_take_output, smtp_client_tls_started, smtp_client_drain,
};

/* -- POP3 -- */

static gboolean
pop3_server_feed (Party        *party,
                  const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = msc_pop3_server_feed (MSC_POP3_SERVER (party->engine), data, len, &error);

  g_assert_no_error (error);

  return ok;
}

static GBytes *
pop3_server_take_output (Party *party)
{
  return msc_pop3_server_take_output (MSC_POP3_SERVER (party->engine));
}

static void
pop3_server_tls_started (Party *party)
{
  msc_pop3_server_tls_started (MSC_POP3_SERVER (party->engine));
}

static gboolean
pop3_server_drain (Party *party)
{
  MscPop3ServerEvent *event;
  gboolean starttls = FALSE;

  while ((event = msc_pop3_server_next_event (MSC_POP3_SERVER (party->engine))) != NULL)
    {
      if (event->kind == MSC_POP3_SERVER_EVENT_STARTTLS)
        starttls = TRUE;
      else if (event->kind == MSC_POP3_SERVER_EVENT_COMMAND)
        g_string_append_printf (party->log, "%s ", event->verb != NULL ? event->verb : "-");
      msc_pop3_server_event_free (event);
    }

  return starttls;
}

static const EngineOps pop3_server_ops = {
  pop3_server_feed, pop3_server_take_output, pop3_server_tls_started, pop3_server_drain,
};

static gboolean
pop3_client_feed (Party        *party,
                  const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = msc_pop3_client_feed (MSC_POP3_CLIENT (party->engine), data, len, &error);

  g_assert_no_error (error);

  return ok;
}

static GBytes *
pop3_client_take_output (Party *party)
{
  return msc_pop3_client_take_output (MSC_POP3_CLIENT (party->engine));
}

static void
pop3_client_tls_started (Party *party)
{
  msc_pop3_client_tls_started (MSC_POP3_CLIENT (party->engine));
}

static gboolean
pop3_client_drain (Party *party)
{
  MscPop3ClientEvent *event;
  gboolean starttls = FALSE;

  while ((event = msc_pop3_client_next_event (MSC_POP3_CLIENT (party->engine))) != NULL)
    {
      if (event->kind == MSC_POP3_CLIENT_EVENT_STARTTLS)
        starttls = TRUE;
      else if (event->kind == MSC_POP3_CLIENT_EVENT_COMMAND)
        g_string_append_printf (party->log, "%s ", event->verb != NULL ? event->verb : "-");
      msc_pop3_client_event_free (event);
    }

  return starttls;
}

static const EngineOps pop3_client_ops = {
  pop3_client_feed, pop3_client_take_output, pop3_client_tls_started, pop3_client_drain,
};

/* -- A scripted client: the test says each line -- */

static gboolean
script_feed (Party        *party,
             const guint8 *data,
             gsize         len)
{
  g_byte_array_append (party->heard, data, len);

  return TRUE;
}

static GBytes *
script_take_output (Party *party)
{
  GBytes *bytes;

  if (party->said->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&party->said));
  party->said = g_byte_array_new ();

  return bytes;
}

static void
script_tls_started (Party *party)
{
}

static gboolean
script_drain (Party *party)
{
  return FALSE;
}

static const EngineOps script_ops = {
  script_feed, script_take_output, script_tls_started, script_drain,
};

static void
say (Party      *client,
     Party      *server,
     const char *text)
{
  g_byte_array_append (client->said, (const guint8 *) text, strlen (text));
  pump (client, server);
}

static gboolean
heard_ends_with (Party      *party,
                 const char *text)
{
  gsize len = strlen (text);

  return party->heard->len >= len &&
         memcmp (party->heard->data + party->heard->len - len, text, len) == 0;
}

/* -- The stores behind the servers -- */

static MscMailStore *
new_mail_store (void)
{
  g_autoptr(GError) error = NULL;
  MscMailStore *store = msc_mail_store_new ();

  msc_mail_store_set_password_iterations (store, 1000);
  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, ALICE, "Alice", "secret", &error));
  g_assert_no_error (error);

  return store;
}

#define TEXT "From: bob@example.org\r\nTo: alice@example.com\r\nSubject: lunch\r\n\r\n" \
             "Noon at the usual place?\r\n.dot stuffed\r\n"

static void
test_smtp_starttls (gconstpointer data)
{
  gboolean submission = GPOINTER_TO_INT (data);
  static const char * const recipients[] = { ALICE, NULL };
  g_autoptr(MscMailStore) store = new_mail_store ();
  g_autoptr(GBytes) text = g_bytes_new_static (TEXT, strlen (TEXT));
  MscSmtpServerConfig server_config = {
    .hostname = "mail.example.com",
    .role = submission ? MSC_SMTP_SERVER_ROLE_SUBMISSION : MSC_SMTP_SERVER_ROLE_MX,
    .tls_available = TRUE,
  };
  MscSmtpClientConfig client_config = {
    .hostname = "laptop.example.org",
    .role = submission ? MSC_SMTP_CLIENT_ROLE_SUBMIT : MSC_SMTP_CLIENT_ROLE_RELAY,
    .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED,
    .username = submission ? ALICE : NULL,
    .password = submission ? "secret" : NULL,
    .auth_mechanism = MSC_SMTP_CLIENT_AUTH_PLAIN,
    .reverse_path = submission ? ALICE : "bob@example.org",
    .recipients = recipients,
    .message = text,
  };
  static const char * const client_hidden[] = {
    "AUTH", ALICE_PLAIN, "Subject: lunch", "MAIL FROM", NULL,
  };
  static const char * const server_hidden[] = { "Authentication successful", "queued", NULL };
  const MscSmtpClientOutcome *outcome;
  const MscSmtpServerEvent *message;
  Party client;
  Party server;

  party_init (&server, &smtp_server_ops,
              msc_smtp_server_new (&server_config, MSC_DIRECTORY (store)), MSC_TLS_ROLE_SERVER);
  party_init (&client, &smtp_client_ops, msc_smtp_client_new (&client_config), MSC_TLS_ROLE_CLIENT);
  msc_smtp_server_start (MSC_SMTP_SERVER (server.engine));
  msc_smtp_client_start (MSC_SMTP_CLIENT (client.engine));
  pump (&client, &server);

  outcome = msc_smtp_client_get_outcome (MSC_SMTP_CLIENT (client.engine));
  g_assert_nonnull (outcome);
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->success);
  g_assert_true (msc_smtp_client_is_tls_active (MSC_SMTP_CLIENT (client.engine)));
  g_assert_true (msc_smtp_client_is_closed (MSC_SMTP_CLIENT (client.engine)));
  g_assert_true (msc_smtp_server_is_closed (MSC_SMTP_SERVER (server.engine)));
  g_assert_cmpstr (server.log->str, ==,
                   submission ? "EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT "
                              : "EHLO STARTTLS EHLO MAIL RCPT DATA QUIT ");
  check_tls_done (&client);
  check_tls_done (&server);

  /* The message arrived byte for byte, and the server wrote down that it
   * came encrypted (RFC 3848: ESMTPS; ESMTPSA when authenticated too) */
  g_assert_cmpuint (server.messages->len, ==, 1);
  message = g_ptr_array_index (server.messages, 0);
  g_assert_cmpmem (g_bytes_get_data (message->message, NULL), g_bytes_get_size (message->message),
                   TEXT, strlen (TEXT));
  g_assert_nonnull (strstr (message->received, submission ? "with ESMTPSA" : "with ESMTPS\r\n"));

  /* An eavesdropper saw STARTTLS, then nothing readable */
  check_wire (&client, "STARTTLS\r\n", client_hidden);
  check_wire (&server, "220 2.0.0 Ready to start TLS\r\n", server_hidden);

  close_tls (&client, &server);

  party_clear (&client);
  party_clear (&server);
}

/* RFC 3207 §4.2 and CVE-2011-0411: a command pipelined behind STARTTLS
 * was sent in the clear, where anyone could have put it; the server must
 * drop it, not run it inside TLS. */
static void
test_smtp_injection (void)
{
  g_autoptr(MscMailStore) store = new_mail_store ();
  MscSmtpServerConfig server_config = {
    .hostname = "mail.example.com",
    .role = MSC_SMTP_SERVER_ROLE_MX,
    .tls_available = TRUE,
  };
  Party client;
  Party server;

  party_init (&server, &smtp_server_ops,
              msc_smtp_server_new (&server_config, MSC_DIRECTORY (store)), MSC_TLS_ROLE_SERVER);
  party_init (&client, &script_ops, NULL, MSC_TLS_ROLE_CLIENT);
  msc_smtp_server_start (MSC_SMTP_SERVER (server.engine));
  pump (&client, &server);

  say (&client, &server, "EHLO laptop.example.org\r\n");
  say (&client, &server, "STARTTLS\r\nRSET\r\n");
  g_assert_true (heard_ends_with (&client, "220 2.0.0 Ready to start TLS\r\n"));
  g_assert_nonnull (server.tls);

  party_start_tls (&client);
  pump (&client, &server);
  g_assert_true (msc_tls_session_is_handshake_done (client.tls));
  g_assert_true (server.tls_told);

  g_byte_array_set_size (client.heard, 0);
  say (&client, &server, "EHLO laptop.example.org\r\n");
  g_assert_true (g_str_has_prefix ((const char *) client.heard->data, "250-mail.example.com"));
  say (&client, &server, "QUIT\r\n");
  g_assert_true (heard_ends_with (&client, "221 2.0.0 mail.example.com Service closing "
                                           "transmission channel\r\n"));

  /* RSET never ran: not in plaintext, not in TLS */
  g_assert_cmpstr (server.log->str, ==, "EHLO STARTTLS EHLO QUIT ");

  party_clear (&client);
  party_clear (&server);
}

#define POP3_TEXT "From: bob@example.org\r\nTo: alice@example.com\r\nSubject: news\r\n\r\n" \
                  "The password is not in here.\r\n"

static void
test_pop3_stls (void)
{
  g_autoptr(MscMailStore) store = new_mail_store ();
  g_autoptr(MscDeviceStore) device = msc_device_store_new ();
  g_autoptr(GBytes) text = g_bytes_new_static (POP3_TEXT, strlen (POP3_TEXT));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) downloaded = NULL;
  MscPop3ServerConfig server_config = {
    .hostname = "mail.example.com",
    .tls_available = TRUE,
    .apop_pid = 1,
    .apop_clock = 1,
  };
  MscPop3ClientConfig client_config = {
    .user = ALICE,
    .password = "secret",
    .tls_mode = MSC_POP3_CLIENT_TLS_STLS_REQUIRED,
    .retention = MSC_POP3_CLIENT_KEEP,
  };
  static const char * const client_hidden[] = { "USER", "PASS", "secret", "AUTH", "RETR", NULL };
  static const char * const server_hidden[] = {
    "The password is not in here", "Subject: news", NULL,
  };
  const MscPop3ClientOutcome *outcome;
  GBytes *got;
  Party client;
  Party server;

  g_assert_cmpuint (msc_mail_store_deliver (store, ALICE, text, &error), >, 0);
  g_assert_no_error (error);

  party_init (&server, &pop3_server_ops, msc_pop3_server_new (&server_config, store),
              MSC_TLS_ROLE_SERVER);
  party_init (&client, &pop3_client_ops, msc_pop3_client_new (&client_config, device),
              MSC_TLS_ROLE_CLIENT);
  msc_pop3_server_start (MSC_POP3_SERVER (server.engine));
  msc_pop3_client_start (MSC_POP3_CLIENT (client.engine));
  pump (&client, &server);

  outcome = msc_pop3_client_get_outcome (MSC_POP3_CLIENT (client.engine));
  g_assert_nonnull (outcome);
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->success);
  g_assert_cmpuint (outcome->n_downloaded, ==, 1);
  g_assert_true (msc_pop3_client_is_tls_active (MSC_POP3_CLIENT (client.engine)));
  g_assert_true (msc_pop3_server_is_closed (MSC_POP3_SERVER (server.engine)));
  g_assert_true (g_str_has_prefix (server.log->str, "CAPA STLS CAPA "));
  g_assert_true (g_str_has_suffix (server.log->str, "QUIT "));
  g_assert_nonnull (strstr (server.log->str, "RETR"));
  check_tls_done (&client);
  check_tls_done (&server);

  downloaded = msc_device_store_list_folder (device, MSC_DEVICE_STORE_INBOX);
  g_assert_cmpuint (downloaded->len, ==, 1);
  got = msc_device_message_get_data (g_ptr_array_index (downloaded, 0));
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
                   POP3_TEXT, strlen (POP3_TEXT));

  check_wire (&client, "STLS\r\n", client_hidden);
  check_wire (&server, "+OK", server_hidden);

  close_tls (&client, &server);

  party_clear (&client);
  party_clear (&server);
}

/* RFC 2595 §4 and CVE-2011-0411, for STLS */
static void
test_pop3_injection (void)
{
  g_autoptr(MscMailStore) store = new_mail_store ();
  MscPop3ServerConfig server_config = {
    .hostname = "mail.example.com",
    .tls_available = TRUE,
  };
  Party client;
  Party server;

  party_init (&server, &pop3_server_ops, msc_pop3_server_new (&server_config, store),
              MSC_TLS_ROLE_SERVER);
  party_init (&client, &script_ops, NULL, MSC_TLS_ROLE_CLIENT);
  msc_pop3_server_start (MSC_POP3_SERVER (server.engine));
  pump (&client, &server);

  say (&client, &server, "CAPA\r\n");
  say (&client, &server, "STLS\r\nUSER " ALICE "\r\n");
  g_assert_true (heard_ends_with (&client, "\r\n"));
  g_assert_nonnull (server.tls);

  party_start_tls (&client);
  pump (&client, &server);
  g_assert_true (msc_tls_session_is_handshake_done (client.tls));
  g_assert_true (server.tls_told);

  /* Had USER run, PASS would now be accepted; it must not be */
  g_byte_array_set_size (client.heard, 0);
  say (&client, &server, "PASS secret\r\n");
  g_assert_true (g_str_has_prefix ((const char *) client.heard->data, "-ERR"));
  say (&client, &server, "QUIT\r\n");
  g_assert_true (msc_pop3_server_is_closed (MSC_POP3_SERVER (server.engine)));

  g_assert_cmpstr (server.log->str, ==, "CAPA STLS PASS QUIT ");

  party_clear (&client);
  party_clear (&server);
}

/* ---- Setting up ---- */

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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  dir = g_dir_make_tmp ("msc-tls-session-XXXXXX", &error);
  g_assert_no_error (error);
  certs = msc_cert_store_new (dir, &error);
  g_assert_no_error (error);

#define V13 GINT_TO_POINTER (MSC_TLS_VERSION_1_3)
#define V12 GINT_TO_POINTER (MSC_TLS_VERSION_1_2)

  g_test_add_data_func ("/msc/tls-session/handshake/1.3", V13, test_handshake);
  g_test_add_data_func ("/msc/tls-session/handshake/1.2", V12, test_handshake);
  g_test_add_data_func ("/msc/tls-session/messages/1.3", V13, test_messages);
  g_test_add_data_func ("/msc/tls-session/messages/1.2", V12, test_messages);
  g_test_add_data_func ("/msc/tls-session/trickle/1.3", V13, test_trickle);
  g_test_add_data_func ("/msc/tls-session/trickle/1.2", V12, test_trickle);
  g_test_add_data_func ("/msc/tls-session/records/1.3", V13, test_records);
  g_test_add_data_func ("/msc/tls-session/records/1.2", V12, test_records);

#undef V13
#undef V12

  g_test_add_func ("/msc/tls-session/round-trip", test_round_trip);
  g_test_add_func ("/msc/tls-session/write-before-handshake", test_write_before_handshake);

  for (guint i = 0; i < G_N_ELEMENTS (verify_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/tls-session/verify/%s", verify_cases[i].name);

      g_test_add_data_func (path, &verify_cases[i], test_verify_failure);
    }
  g_test_add_func ("/msc/tls-session/verify/unknown-ca", test_verify_unknown_ca);
  g_test_add_func ("/msc/tls-session/verify/no-verify", test_no_verify);
  g_test_add_func ("/msc/tls-session/verify/ip", test_verify_ip);
  g_test_add_func ("/msc/tls-session/version-mismatch", test_version_mismatch);
  g_test_add_func ("/msc/tls-session/alpn", test_alpn);
  g_test_add_func ("/msc/tls-session/close-notify", test_close_notify);
  g_test_add_func ("/msc/tls-session/truncation", test_truncation);
  g_test_add_func ("/msc/tls-session/shutdown-early", test_shutdown_early);
  g_test_add_func ("/msc/tls-session/garbage", test_garbage);
  g_test_add_func ("/msc/tls-session/tampering", test_tampering);
  g_test_add_func ("/msc/tls-session/config-errors", test_config_errors);
  g_test_add_func ("/msc/tls-session/names", test_names);
  g_test_add_data_func ("/msc/tls-session/smtp/starttls-submission", GINT_TO_POINTER (TRUE),
                        test_smtp_starttls);
  g_test_add_data_func ("/msc/tls-session/smtp/starttls-relay", GINT_TO_POINTER (FALSE),
                        test_smtp_starttls);
  g_test_add_func ("/msc/tls-session/smtp/injection", test_smtp_injection);
  g_test_add_func ("/msc/tls-session/pop3/stls", test_pop3_stls);
  g_test_add_func ("/msc/tls-session/pop3/injection", test_pop3_injection);

  status = g_test_run ();

  g_assert_finalize_object (g_steal_pointer (&certs));
  remove_dir (dir);

  return status;
}
