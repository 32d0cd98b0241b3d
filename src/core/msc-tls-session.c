/* msc-tls-session.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-tls-session"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include <openssl/err.h>

#include "msc-certs.h"
#include "msc-openssl.h"
#include "msc-tls-session.h"
#include "msc-wire.h"

/* RFC 8446 §5.1 and §5.2, RFC 5246 §6.2.3: a record is a 5-byte header
 * and at most 2^14 bytes of fragment, plus 256 (TLS 1.3) or 2048 (TLS
 * 1.2) bytes of encryption overhead. */
#define RECORD_HEADER_LEN  5
#define MAX_FRAGMENT_LEN   (16384 + 2048)
/* One full record of plaintext per SSL_read_ex() */
#define READ_CHUNK         16384
/* How much of a non-TLS answer to quote in the error */
#define QUOTE_LEN          48

struct _MscTlsSession
{
  GObject          parent_instance;

  /* Owned references */
  SSL_CTX         *ctx;
  SSL             *ssl;              /* owns both memory BIOs */
  GByteArray      *ciphertext;       /* for the wire */
  GByteArray      *plaintext;        /* for the engine */
  GByteArray      *pending;          /* from the engine, not yet encrypted */
  GByteArray      *partial[2];       /* by MscTlsDirection: a record not yet whole */
  GByteArray      *received_start;   /* the first bytes received, to quote */
  GQueue           events;
  MscTlsInfo      *info;
  GError          *failure;
  X509            *verify_leaf;      /* what the server showed */
  X509            *verify_failed;    /* where checking it first failed */
  guint8          *alpn;             /* RFC 7301 §3.1 wire form: length-prefixed names */
  gsize            alpn_len;

  /* Borrowed references */
  BIO             *rbio;             /* ciphertext from the wire, for OpenSSL */
  BIO             *wbio;             /* ciphertext from OpenSSL, for the wire */

  /* Configuration */
  MscTlsRole       role;
  int              min_version;      /* TLS1_2_VERSION … */
  int              max_version;
  char            *server_name;
  gboolean         no_verify;

  /* Session */
  gboolean         started;
  gboolean         handshake_done;
  gboolean         shutdown_requested;
  gboolean         shutdown_sent;
  gboolean         peer_close_notify;
  gboolean         eof;
  gboolean         ccs_seen[2];      /* TLS 1.2: records after ChangeCipherSpec are encrypted */
  gboolean         not_records[2];   /* bytes that do not parse as records: stop showing them */
  guint            n_records_received;
  int              verify_error;
  gboolean         peer_alert_seen;  /* a fatal alert came: why the handshake ended */
  guint            peer_alert;       /* its description */
  gboolean         peer_sent_close;  /* a close_notify alert came */
};

G_DEFINE_FINAL_TYPE (MscTlsSession, msc_tls_session, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-tls-error-quark, msc_tls_error)

static const char * const event_kind_names[] = {
  "handshake-message", "record", "handshake-done", "alert", "closed", "error",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_TLS_N_EVENT_KINDS);

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const guint8 hello_retry_random[32] = {
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

const char *
msc_tls_event_kind_get_name (MscTlsEventKind kind)
{
  g_return_val_if_fail (kind < MSC_TLS_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

void
msc_tls_info_free (MscTlsInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->version);
  g_free (info->cipher);
  g_free (info->group);
  g_free (info->alpn);
  g_free (info->server_name);
  g_free (info->peer_subject);
  g_free (info->peer_issuer);
  g_strfreev (info->peer_names);
  g_clear_pointer (&info->peer_not_before, g_date_time_unref);
  g_clear_pointer (&info->peer_not_after, g_date_time_unref);
  g_free (info->peer_fingerprint);
  g_free (info->verify_result);
  g_free (info);
}

MscTlsInfo *
msc_tls_info_copy (const MscTlsInfo *info)
{
  MscTlsInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new0 (MscTlsInfo, 1);
  copy->version = g_strdup (info->version);
  copy->cipher = g_strdup (info->cipher);
  copy->group = g_strdup (info->group);
  copy->alpn = g_strdup (info->alpn);
  copy->server_name = g_strdup (info->server_name);
  copy->session_reused = info->session_reused;
  copy->peer_subject = g_strdup (info->peer_subject);
  copy->peer_issuer = g_strdup (info->peer_issuer);
  copy->peer_names = g_strdupv (info->peer_names);
  copy->peer_not_before = info->peer_not_before ? g_date_time_ref (info->peer_not_before) : NULL;
  copy->peer_not_after = info->peer_not_after ? g_date_time_ref (info->peer_not_after) : NULL;
  copy->peer_fingerprint = g_strdup (info->peer_fingerprint);
  copy->peer_verified = info->peer_verified;
  copy->verify_result = g_strdup (info->verify_result);

  return copy;
}

void
msc_tls_event_free (MscTlsEvent *event)
{
  if (event == NULL)
    return;

  g_clear_pointer (&event->data, g_bytes_unref);
  g_clear_pointer (&event->info, msc_tls_info_free);
  g_clear_error (&event->error);
  g_free (event);
}

static MscTlsEvent *
push_event (MscTlsSession   *self,
            MscTlsEventKind  kind)
{
  MscTlsEvent *event = g_new0 (MscTlsEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

/* ---- Describing certificates ---- */

/* RFC 2253 order and escaping, but UTF-8 left as it is for display. */
static char *
name_to_string (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;

  if (bio == NULL ||
      X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    {
      ERR_clear_error ();
      return g_strdup ("?");
    }

  len = BIO_get_mem_data (bio, &data);

  return msc_wire_display_string ((const guint8 *) data, len);
}

/* The common name alone, which is what people call an authority by; the
 * whole name when it has none. */
static char *
common_name (const X509_NAME *name)
{
  int i = X509_NAME_get_index_by_NID (name, NID_commonName, -1);
  const ASN1_STRING *value;
  guint8 *utf8 = NULL;
  int len;
  char *text;

  if (i < 0)
    return name_to_string (name);

  value = X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, i));
  len = ASN1_STRING_to_UTF8 (&utf8, value);
  if (len < 0)
    {
      ERR_clear_error ();
      return name_to_string (name);
    }

  text = msc_wire_display_string (utf8, len);
  OPENSSL_free (utf8);

  return text;
}

static char *
format_date (const ASN1_TIME *time)
{
  g_autoptr(GDateTime) date_time = msc_certificate_time_to_date_time (time);

  if (date_time == NULL)
    return g_strdup ("?");

  return g_date_time_format (date_time, "%Y-%m-%d %H:%M UTC");
}

/* "mail.example.com, 127.0.0.1", or the common name of a certificate
 * without subjectAltName (which RFC 6125 §6.4.4 no longer accepts). */
static char *
format_names (X509 *certificate)
{
  g_auto(GStrv) names = msc_certificate_get_names (certificate);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *colon = strchr (names[i], ':');

      g_string_append_printf (text, "%s“%s”", i == 0 ? "" : ", ",
                              colon != NULL ? colon + 1 : names[i]);
    }

  if (text->len == 0)
    {
      g_autofree char *cn = common_name (X509_get_subject_name (certificate));

      g_string_append_printf (text, "“%s”", cn);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- What the handshake agreed ---- */

static MscTlsInfo *
collect_info (MscTlsSession *self)
{
  MscTlsInfo *info = g_new0 (MscTlsInfo, 1);
  const SSL_CIPHER *cipher = SSL_get_current_cipher (self->ssl);
  const char *server_name = SSL_get_servername (self->ssl, TLSEXT_NAMETYPE_host_name);
  X509 *peer = SSL_get0_peer_certificate (self->ssl);
  const unsigned char *alpn = NULL;
  unsigned int alpn_len = 0;
  int group = SSL_get_negotiated_group (self->ssl);
  long verify_result = SSL_get_verify_result (self->ssl);

  info->version = g_strdup (SSL_get_version (self->ssl));
  if (cipher != NULL)
    info->cipher = g_strdup (SSL_CIPHER_standard_name (cipher));
  if (group > 0)
    {
      const char *name = SSL_group_to_name (self->ssl, group);

      info->group = g_strdup (name != NULL ? name : OBJ_nid2sn (group));
    }
  SSL_get0_alpn_selected (self->ssl, &alpn, &alpn_len);
  if (alpn_len > 0)
    info->alpn = msc_wire_display_string (alpn, alpn_len);
  if (server_name != NULL)
    info->server_name = msc_wire_display_string ((const guint8 *) server_name,
                                                 strlen (server_name));
  info->session_reused = SSL_session_reused (self->ssl);

  if (peer != NULL)
    {
      info->peer_subject = name_to_string (X509_get_subject_name (peer));
      info->peer_issuer = name_to_string (X509_get_issuer_name (peer));
      info->peer_names = msc_certificate_get_names (peer);
      info->peer_not_before = msc_certificate_time_to_date_time (X509_get0_notBefore (peer));
      info->peer_not_after = msc_certificate_time_to_date_time (X509_get0_notAfter (peer));
      info->peer_fingerprint = msc_certificate_get_fingerprint (peer);
    }

  if (self->role == MSC_TLS_ROLE_CLIENT)
    {
      info->peer_verified = peer != NULL && verify_result == X509_V_OK;
      if (verify_result != X509_V_OK)
        info->verify_result = g_strdup (X509_verify_cert_error_string (verify_result));
    }

  ERR_clear_error ();

  return info;
}

/* ---- Failures, explained ---- */

static void
fail (MscTlsSession *self,
      GError        *error)
{
  MscTlsEvent *event;

  if (self->failure != NULL)
    {
      g_error_free (error);
      return;
    }

  g_debug ("failed: %s", error->message);

  self->failure = error;
  event = push_event (self, MSC_TLS_EVENT_ERROR);
  event->error = g_error_copy (error);
}

static GError *
certificate_error (MscTlsSession *self)
{
  X509 *failed = self->verify_failed != NULL ? self->verify_failed : self->verify_leaf;

  switch (self->verify_error)
    {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return g_error_new_literal (MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_UNTRUSTED,
                                  _("The server’s certificate is not signed by a certificate "
                                    "authority this device trusts (it is self-signed). Anyone "
                                    "could have made it: this may be an attack."));

    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      {
        g_autofree char *issuer = failed != NULL ? common_name (X509_get_issuer_name (failed))
                                                 : g_strdup ("?");

        return g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_UNTRUSTED,
                            /* Translators: %s is the name of a certificate authority */
                            _("The server’s certificate was signed by “%s”, a certificate "
                              "authority this device does not trust. Anyone could have made "
                              "it: this may be an attack."),
                            issuer);
      }

    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      {
        g_autofree char *names = self->verify_leaf != NULL ? format_names (self->verify_leaf)
                                                           : g_strdup ("?");

        return g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_HOSTNAME,
                            /* Translators: the first %s is a list of quoted names, the
                             * second the server name the user asked for */
                            _("The server’s certificate is for %s, not for “%s”. The server "
                              "may be set up wrongly, or someone else may be answering in "
                              "its place."),
                            names, self->server_name);
      }

    case X509_V_ERR_CERT_HAS_EXPIRED:
      {
        g_autofree char *date = failed != NULL ? format_date (X509_get0_notAfter (failed))
                                               : g_strdup ("?");

        return g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_EXPIRED,
                            /* Translators: %s is a date and time */
                            _("The server’s certificate expired on %s. An expired certificate "
                              "can no longer be trusted: the server’s administrator must "
                              "renew it."),
                            date);
      }

    case X509_V_ERR_CERT_NOT_YET_VALID:
      {
        g_autofree char *date = failed != NULL ? format_date (X509_get0_notBefore (failed))
                                               : g_strdup ("?");

        return g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_CERT_NOT_YET_VALID,
                            /* Translators: %s is a date and time */
                            _("The server’s certificate is valid only from %s on. Either this "
                              "device’s clock is wrong, or the certificate was made with a "
                              "wrong date."),
                            date);
      }

    default:
      return g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                          /* Translators: %s is OpenSSL's reason, in English */
                          _("The server’s certificate failed the checks (%s), so this device "
                            "cannot be sure it is talking to the right server."),
                          X509_verify_cert_error_string (self->verify_error));
    }
}

/* The peer ended the handshake with a fatal alert: RFC 8446 §6.2 names
 * the reason, and some reasons say who refused what. */
static GError *
peer_alert_error (MscTlsSession *self)
{
  const char *text = SSL_alert_desc_string_long (self->peer_alert);
  int code = self->handshake_done ? MSC_TLS_ERROR_PROTOCOL : MSC_TLS_ERROR_HANDSHAKE;

  switch (self->peer_alert)
    {
    case SSL3_AD_BAD_CERTIFICATE:
    case SSL3_AD_UNSUPPORTED_CERTIFICATE:
    case SSL3_AD_CERTIFICATE_REVOKED:
    case SSL3_AD_CERTIFICATE_EXPIRED:
    case SSL3_AD_CERTIFICATE_UNKNOWN:
    case TLS1_AD_UNKNOWN_CA:
      if (self->role == MSC_TLS_ROLE_SERVER)
        return g_error_new (MSC_TLS_ERROR, code,
                            /* Translators: %s is the name of a TLS alert, in English */
                            _("The client refused the server’s certificate (TLS alert “%s”): "
                              "it does not trust it. The client’s side tells why."),
                            text);
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The server refused this device’s certificate (TLS alert “%s”)."),
                          text);

    case TLS1_AD_PROTOCOL_VERSION:
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The other side accepts none of the TLS versions this side offered "
                            "(TLS alert “%s”). One of them may be set to allow only a newer or "
                            "an older version."),
                          text);

    case SSL3_AD_HANDSHAKE_FAILURE:
    case TLS1_AD_INSUFFICIENT_SECURITY:
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The two sides found no way of encrypting that both accept "
                            "(TLS alert “%s”)."),
                          text);

    case TLS1_AD_UNRECOGNIZED_NAME:
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The server has no certificate for the name this device asked "
                            "for (TLS alert “%s”)."),
                          text);

    case TLS1_AD_NO_APPLICATION_PROTOCOL:
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The two sides do not agree on the protocol to speak inside TLS "
                            "(TLS alert “%s”)."),
                          text);

    default:
      if (self->handshake_done)
        return g_error_new (MSC_TLS_ERROR, code,
                            /* Translators: %s is the name of a TLS alert, in English */
                            _("The other side ended the connection with the TLS alert “%s”."),
                            text);
      return g_error_new (MSC_TLS_ERROR, code,
                          /* Translators: %s is the name of a TLS alert, in English */
                          _("The other side ended the handshake with the TLS alert “%s”."),
                          text);
    }
}

static GError *
closed_in_handshake_error (void)
{
  return g_error_new_literal (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                              _("The other side closed TLS during the handshake."));
}

static const char *
version_name (int version)
{
  return version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

static gboolean
reason_is_not_tls (int reason)
{
  switch (reason)
    {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_DATA_LENGTH_TOO_LONG:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_BAD_RECORD_TYPE:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_BAD_LENGTH:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_BAD_PACKET:
    case SSL_R_RECORD_TOO_SMALL:
    case SSL_R_UNEXPECTED_MESSAGE:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
reason_is_version (int reason)
{
  switch (reason)
    {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_WRONG_SSL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Why an SSL call failed, in words a learner can act on.  The OpenSSL
 * error queue is per thread and outlives this call: it is emptied here
 * so that no other session reads this one's errors. */
static void
fail_from_openssl (MscTlsSession *self)
{
  unsigned long code = ERR_peek_error ();
  int reason = ERR_GET_REASON (code);
  const char *reason_text = code != 0 ? ERR_reason_error_string (code) : NULL;
  GError *error;

  if (reason_text == NULL)
    reason_text = _("unknown error");

  if (self->role == MSC_TLS_ROLE_CLIENT && !self->no_verify && !self->handshake_done &&
      self->verify_error != X509_V_OK)
    {
      error = certificate_error (self);
    }
  else if (self->peer_alert_seen)
    {
      error = peer_alert_error (self);
    }
  else if (self->peer_sent_close && !self->handshake_done)
    {
      error = closed_in_handshake_error ();
    }
  else if (self->n_records_received == 0 && self->not_records[MSC_TLS_DIRECTION_RECEIVED])
    {
      gsize len = MIN (self->received_start->len, QUOTE_LEN);
      const guint8 *end = memchr (self->received_start->data, '\r', len);
      g_autofree char *quote = NULL;

      if (end != NULL)
        len = end - self->received_start->data;
      quote = msc_wire_display_string (self->received_start->data, len);
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL,
                           /* Translators: %s is the start of what the other side sent */
                           _("The other side does not speak TLS: it sent “%s”. It may expect "
                             "plain text first on this port (and STARTTLS later), or it is "
                             "not the server it should be."),
                           quote);
    }
  else if (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    {
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL,
                           /* Translators: %s is OpenSSL's reason, in English */
                           _("A TLS record failed its integrity check (%s): the data was "
                             "changed on the way."),
                           reason_text);
    }
  else if (reason_is_not_tls (reason))
    {
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL,
                           /* Translators: %s is OpenSSL's reason, in English */
                           _("The other side sent data that is not valid TLS (%s)."),
                           reason_text);
    }
  else if (reason_is_version (reason))
    {
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                           /* Translators: the first two %s are TLS versions ("TLS 1.2"),
                            * the third is OpenSSL's reason, in English */
                           _("The two sides have no TLS version in common: this side allows "
                             "%s to %s (%s)."),
                           version_name (self->min_version), version_name (self->max_version),
                           reason_text);
    }
  else if (reason == SSL_R_NO_SHARED_CIPHER)
    {
      error = g_error_new_literal (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                                   _("The two sides have no cipher suite in common."));
    }
  else if (!self->handshake_done)
    {
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                           /* Translators: %s is OpenSSL's reason, in English */
                           _("The TLS handshake failed: %s."), reason_text);
    }
  else
    {
      error = g_error_new (MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL,
                           /* Translators: %s is OpenSSL's reason, in English */
                           _("The TLS connection failed: %s."), reason_text);
    }

  ERR_clear_error ();
  fail (self, error);
}

/* ---- What an eavesdropper sees ---- */

/* Splits a direction's bytes into records (RFC 8446 §5.1), the way a
 * packet capture shows them: each whole record becomes a RECORD event. */
static void
scan_records (MscTlsSession   *self,
              MscTlsDirection  direction,
              const guint8    *data,
              gsize            len)
{
  GByteArray *buffer = self->partial[direction];

  if (self->not_records[direction])
    return;

  g_byte_array_append (buffer, data, len);

  while (buffer->len >= RECORD_HEADER_LEN)
    {
      const guint8 *header = buffer->data;
      guint type = header[0];
      gsize length = (gsize) header[3] << 8 | header[4];
      MscTlsEvent *event;

      /* Not a record: OpenSSL will say what is wrong; the chart just
       * stops showing records it cannot delimit. */
      if (type < MSC_TLS_CONTENT_CHANGE_CIPHER_SPEC || type > 24 || header[1] != 3 ||
          length > MAX_FRAGMENT_LEN)
        {
          self->not_records[direction] = TRUE;
          g_byte_array_set_size (buffer, 0);
          return;
        }

      if (buffer->len < RECORD_HEADER_LEN + length)
        return;

      event = push_event (self, MSC_TLS_EVENT_RECORD);
      event->direction = direction;
      event->content_type = type;
      event->version = (guint16) (header[1] << 8 | header[2]);
      event->length = length;
      /* TLS 1.3 protects everything in application_data records; TLS 1.2
       * everything after the sender's ChangeCipherSpec. */
      event->encrypted = type == MSC_TLS_CONTENT_APPLICATION_DATA ||
                         (self->ccs_seen[direction] && type != MSC_TLS_CONTENT_CHANGE_CIPHER_SPEC);
      event->data = g_bytes_new (header, RECORD_HEADER_LEN + length);

      if (type == MSC_TLS_CONTENT_CHANGE_CIPHER_SPEC)
        self->ccs_seen[direction] = TRUE;
      if (direction == MSC_TLS_DIRECTION_RECEIVED)
        self->n_records_received++;

      g_byte_array_remove_range (buffer, 0, RECORD_HEADER_LEN + length);
    }
}

/* Moves what OpenSSL wrote to the wire buffer. */
static void
collect_ciphertext (MscTlsSession *self)
{
  guint8 buf[READ_CHUNK];
  size_t n;

  while (BIO_read_ex (self->wbio, buf, sizeof buf, &n) && n > 0)
    {
      g_byte_array_append (self->ciphertext, buf, n);
      scan_records (self, MSC_TLS_DIRECTION_SENT, buf, n);
    }
}

/* ---- OpenSSL callbacks ---- */

/* RFC 8446 §4 and RFC 5246 §7.4 */
static const struct
{
  guint8      type;
  const char *name;
} handshake_names[] = {
  { SSL3_MT_HELLO_REQUEST, "HelloRequest" },
  { SSL3_MT_CLIENT_HELLO, "ClientHello" },
  { SSL3_MT_SERVER_HELLO, "ServerHello" },
  { SSL3_MT_NEWSESSION_TICKET, "NewSessionTicket" },
  { SSL3_MT_END_OF_EARLY_DATA, "EndOfEarlyData" },
  { SSL3_MT_ENCRYPTED_EXTENSIONS, "EncryptedExtensions" },
  { SSL3_MT_CERTIFICATE, "Certificate" },
  { SSL3_MT_SERVER_KEY_EXCHANGE, "ServerKeyExchange" },
  { SSL3_MT_CERTIFICATE_REQUEST, "CertificateRequest" },
  { SSL3_MT_SERVER_DONE, "ServerHelloDone" },
  { SSL3_MT_CERTIFICATE_VERIFY, "CertificateVerify" },
  { SSL3_MT_CLIENT_KEY_EXCHANGE, "ClientKeyExchange" },
  { SSL3_MT_FINISHED, "Finished" },
  { SSL3_MT_CERTIFICATE_STATUS, "CertificateStatus" },
  { SSL3_MT_KEY_UPDATE, "KeyUpdate" },
  { SSL3_MT_MESSAGE_HASH, "MessageHash" },
};

static const char *
handshake_message_name (const guint8 *message,
                        gsize         len)
{
  /* type, 3 bytes of length, legacy_version, then the random */
  if (message[0] == SSL3_MT_SERVER_HELLO && len >= 4 + 2 + 32 &&
      memcmp (message + 6, hello_retry_random, 32) == 0)
    return "HelloRetryRequest";

  for (guint i = 0; i < G_N_ELEMENTS (handshake_names); i++)
    if (handshake_names[i].type == message[0])
      return handshake_names[i].name;

  return "Unknown";
}

/* SSL_set_msg_callback(): every protocol message, sent or received, as
 * the TLS layer sees it (after decryption). */
static void
on_message_cb (int         write_p,
               int         version,
               int         content_type,
               const void *buf,
               size_t      len,
               SSL        *ssl,
               void       *user_data)
{
  MscTlsSession *self = user_data;
  const guint8 *bytes = buf;
  MscTlsEvent *event;

  switch (content_type)
    {
    case SSL3_RT_HANDSHAKE:
      if (len < 4)
        return;
      event = push_event (self, MSC_TLS_EVENT_HANDSHAKE_MESSAGE);
      event->message_type = bytes[0];
      event->name = handshake_message_name (bytes, len);
      break;

    case SSL3_RT_CHANGE_CIPHER_SPEC:
      /* OpenSSL 3.0 reports only the ChangeCipherSpec it sends; the one
       * received comes from its record header, below, so that a later
       * OpenSSL that reports both does not log it twice. */
      if (!write_p)
        return;
      event = push_event (self, MSC_TLS_EVENT_HANDSHAKE_MESSAGE);
      event->name = "ChangeCipherSpec";
      break;

    case SSL3_RT_HEADER:
      /* Called as OpenSSL reads each record, so in order with the
       * messages around it.  The body of ChangeCipherSpec is always the
       * single byte 1 (RFC 5246 §7.1). */
      if (write_p || len < RECORD_HEADER_LEN || bytes[0] != SSL3_RT_CHANGE_CIPHER_SPEC)
        return;
      event = push_event (self, MSC_TLS_EVENT_HANDSHAKE_MESSAGE);
      event->name = "ChangeCipherSpec";
      event->direction = MSC_TLS_DIRECTION_RECEIVED;
      event->content_type = MSC_TLS_CONTENT_CHANGE_CIPHER_SPEC;
      event->length = 1;
      event->data = g_bytes_new_static ("\x01", 1);
      return;

    case SSL3_RT_ALERT:
      if (len < 2)
        return;
      event = push_event (self, MSC_TLS_EVENT_ALERT);
      event->name = "Alert";
      event->alert_level = bytes[0];
      event->alert_description = bytes[1];
      event->alert_text = SSL_alert_desc_string_long (bytes[1]);
      if (!write_p && bytes[0] == SSL3_AL_FATAL && !self->peer_alert_seen)
        {
          self->peer_alert_seen = TRUE;
          self->peer_alert = bytes[1];
        }
      if (!write_p && bytes[1] == SSL3_AD_CLOSE_NOTIFY)
        self->peer_sent_close = TRUE;
      break;

    default:
      /* Other record headers and TLS 1.3 inner content types: the RECORD
       * events show the records themselves. */
      return;
    }

  event->direction = write_p ? MSC_TLS_DIRECTION_SENT : MSC_TLS_DIRECTION_RECEIVED;
  event->content_type = content_type;
  event->length = len;
  event->data = g_bytes_new (buf, len);
}

/* Keeps what the checks found, to explain a failure; OpenSSL's verdict
 * stands.  With no_verify the handshake goes on whatever it is. */
static int
on_verify_cb (int             ok,
              X509_STORE_CTX *store_ctx)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx ());
  MscTlsSession *self = SSL_get_app_data (ssl);

  if (self->verify_leaf == NULL && X509_STORE_CTX_get0_cert (store_ctx) != NULL)
    {
      self->verify_leaf = X509_STORE_CTX_get0_cert (store_ctx);
      X509_up_ref (self->verify_leaf);
    }

  if (!ok && self->verify_error == X509_V_OK)
    {
      X509 *current = X509_STORE_CTX_get_current_cert (store_ctx);

      self->verify_error = X509_STORE_CTX_get_error (store_ctx);
      if (current != NULL)
        {
          X509_up_ref (current);
          self->verify_failed = current;
        }
    }

  return ok;
}

/* RFC 7301 §3.2: the server's choice, in its own order of preference. */
static int
on_alpn_select_cb (SSL                  *ssl,
                   const unsigned char **out,
                   unsigned char        *out_len,
                   const unsigned char  *in,
                   unsigned int          in_len,
                   void                 *user_data)
{
  MscTlsSession *self = user_data;

  if (self->alpn == NULL ||
      SSL_select_next_proto ((unsigned char **) out, out_len, self->alpn, self->alpn_len,
                             in, in_len) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;

  return SSL_TLSEXT_ERR_OK;
}

/* ---- Driving OpenSSL ---- */

static gboolean
is_want (int ssl_error)
{
  return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

static void
send_close_notify (MscTlsSession *self)
{
  int ret;

  self->shutdown_sent = TRUE;

  ERR_clear_error ();
  ret = SSL_shutdown (self->ssl);
  /* 0: sent, the peer's not yet seen; 1: both done. */
  if (ret < 0 && !is_want (SSL_get_error (self->ssl, ret)))
    fail_from_openssl (self);
  ERR_clear_error ();
}

static gboolean
write_pending (MscTlsSession *self)
{
  size_t written = 0;

  if (self->pending->len == 0 || self->shutdown_sent)
    return TRUE;

  ERR_clear_error ();
  if (!SSL_write_ex (self->ssl, self->pending->data, self->pending->len, &written))
    {
      if (is_want (SSL_get_error (self->ssl, 0)))
        return TRUE;
      fail_from_openssl (self);
      return FALSE;
    }

  g_byte_array_remove_range (self->pending, 0, written);

  return TRUE;
}

static gboolean
read_available (MscTlsSession *self)
{
  while (!self->peer_close_notify)
    {
      guint8 buf[READ_CHUNK];
      size_t n = 0;
      int ssl_error;

      ERR_clear_error ();
      if (SSL_read_ex (self->ssl, buf, sizeof buf, &n))
        {
          g_byte_array_append (self->plaintext, buf, n);
          continue;
        }

      ssl_error = SSL_get_error (self->ssl, 0);
      if (is_want (ssl_error))
        return TRUE;

      if (ssl_error == SSL_ERROR_ZERO_RETURN)
        {
          MscTlsEvent *event;

          ERR_clear_error ();
          self->peer_close_notify = TRUE;
          event = push_event (self, MSC_TLS_EVENT_CLOSED);
          event->clean = TRUE;
          return TRUE;
        }

      fail_from_openssl (self);
      return FALSE;
    }

  return TRUE;
}

/* Runs OpenSSL as far as the bytes at hand allow: the handshake, then
 * the engine's pending plaintext, then whatever can be decrypted. */
static void
advance (MscTlsSession *self)
{
  if (self->failure != NULL)
    goto out;

  if (!self->handshake_done)
    {
      MscTlsEvent *event;
      int ret;

      ERR_clear_error ();
      ret = SSL_do_handshake (self->ssl);
      if (ret != 1)
        {
          int ssl_error = SSL_get_error (self->ssl, ret);

          if (ssl_error == SSL_ERROR_ZERO_RETURN)
            {
              ERR_clear_error ();
              fail (self, closed_in_handshake_error ());
            }
          else if (!is_want (ssl_error))
            {
              fail_from_openssl (self);
            }
          goto out;
        }

      /* The last flight goes on the wire before "done" in the log. */
      collect_ciphertext (self);
      self->handshake_done = TRUE;
      self->info = collect_info (self);
      event = push_event (self, MSC_TLS_EVENT_HANDSHAKE_DONE);
      event->info = msc_tls_info_copy (self->info);
      g_debug ("handshake done: %s %s", self->info->version, self->info->cipher);
    }

  if (!write_pending (self) || !read_available (self))
    goto out;

  if (self->shutdown_requested && !self->shutdown_sent && self->pending->len == 0)
    send_close_notify (self);

out:
  collect_ciphertext (self);
}

static gboolean
is_closed (MscTlsSession *self)
{
  return self->failure != NULL || self->peer_close_notify || self->eof ||
         (self->shutdown_requested && !self->handshake_done);
}

static void
set_closed_error (GError **error)
{
  g_set_error_literal (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CLOSED,
                       _("The TLS session is already closed."));
}

/* ---- The object ---- */

static void
set_setup_error (GError **error)
{
  const char *reason = ERR_reason_error_string (ERR_peek_error ());

  g_set_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
               /* Translators: %s is OpenSSL's reason, in English */
               _("Could not set up TLS: %s"), reason != NULL ? reason : _("unknown error"));
  ERR_clear_error ();
}

static void
msc_tls_session_finalize (GObject *object)
{
  MscTlsSession *self = MSC_TLS_SESSION (object);

  g_clear_pointer (&self->ssl, SSL_free);
  g_clear_pointer (&self->ctx, SSL_CTX_free);
  g_byte_array_unref (self->ciphertext);
  g_byte_array_unref (self->plaintext);
  g_byte_array_unref (self->pending);
  g_byte_array_unref (self->partial[0]);
  g_byte_array_unref (self->partial[1]);
  g_byte_array_unref (self->received_start);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_tls_event_free);
  g_clear_pointer (&self->info, msc_tls_info_free);
  g_clear_error (&self->failure);
  g_clear_pointer (&self->verify_leaf, X509_free);
  g_clear_pointer (&self->verify_failed, X509_free);
  g_free (self->alpn);
  g_free (self->server_name);

  G_OBJECT_CLASS (msc_tls_session_parent_class)->finalize (object);
}

static void
msc_tls_session_class_init (MscTlsSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = msc_tls_session_finalize;
}

static void
msc_tls_session_init (MscTlsSession *self)
{
  self->ciphertext = g_byte_array_new ();
  self->plaintext = g_byte_array_new ();
  self->pending = g_byte_array_new ();
  self->partial[0] = g_byte_array_new ();
  self->partial[1] = g_byte_array_new ();
  self->received_start = g_byte_array_new ();
  g_queue_init (&self->events);
  self->verify_error = X509_V_OK;
}

static int
openssl_version (MscTlsVersion version,
                 int           fallback)
{
  switch (version)
    {
    case MSC_TLS_VERSION_1_2:
      return TLS1_2_VERSION;
    case MSC_TLS_VERSION_1_3:
      return TLS1_3_VERSION;
    case MSC_TLS_VERSION_DEFAULT:
    default:
      return fallback;
    }
}

static gboolean
set_alpn (MscTlsSession       *self,
          const char * const  *protocols,
          GError             **error)
{
  g_autoptr(GByteArray) wire = g_byte_array_new ();

  for (guint i = 0; protocols[i] != NULL; i++)
    {
      gsize len = strlen (protocols[i]);
      guint8 prefix = (guint8) len;

      if (len == 0 || len > 255)
        {
          g_set_error (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
                       _("“%s” cannot be an application protocol name (RFC 7301)."),
                       protocols[i]);
          return FALSE;
        }
      g_byte_array_append (wire, &prefix, 1);
      g_byte_array_append (wire, (const guint8 *) protocols[i], len);
    }

  self->alpn_len = wire->len;
  self->alpn = g_byte_array_steal (wire, NULL);

  return TRUE;
}

static gboolean
configure_client (MscTlsSession       *self,
                  const MscTlsConfig  *config,
                  GError             **error)
{
  /* Only the teaching CA: a lesson must not depend on what this
   * computer happens to trust, and no system root vouches for
   * mail.example.com anyway. */
  if (config->ca != NULL && !X509_STORE_add_cert (SSL_CTX_get_cert_store (self->ctx), config->ca))
    goto crypto_error;
  SSL_CTX_set_verify (self->ctx, config->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                      on_verify_cb);

  self->ssl = SSL_new (self->ctx);
  if (self->ssl == NULL)
    goto crypto_error;
  SSL_set_connect_state (self->ssl);

  if (self->server_name != NULL && g_hostname_is_ip_address (self->server_name))
    {
      /* RFC 6066 §3: no SNI for an address; RFC 6125 compares it with
       * the certificate's iPAddress entries. */
      if (!X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (self->ssl), self->server_name))
        goto crypto_error;
    }
  else if (self->server_name != NULL)
    {
      if (!SSL_set_tlsext_host_name (self->ssl, self->server_name) ||
          !SSL_set1_host (self->ssl, self->server_name))
        goto crypto_error;
      /* RFC 6125 §6.4.3: a wildcard is a whole label or nothing. */
      SSL_set_hostflags (self->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }

  if (config->alpn != NULL)
    {
      if (!set_alpn (self, config->alpn, error))
        return FALSE;
      /* The one OpenSSL call where 0 means success */
      if (SSL_set_alpn_protos (self->ssl, self->alpn, (unsigned int) self->alpn_len) != 0)
        goto crypto_error;
    }

  return TRUE;

crypto_error:
  set_setup_error (error);
  return FALSE;
}

static gboolean
configure_server (MscTlsSession       *self,
                  const MscTlsConfig  *config,
                  GError             **error)
{
  if (config->certificate == NULL || config->key == NULL)
    {
      g_set_error_literal (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
                           _("A TLS server needs a certificate and its private key."));
      return FALSE;
    }

  if (SSL_CTX_use_certificate (self->ctx, config->certificate) != 1 ||
      SSL_CTX_use_PrivateKey (self->ctx, config->key) != 1 ||
      SSL_CTX_check_private_key (self->ctx) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
                           _("The server’s private key does not belong to its certificate."));
      return FALSE;
    }

  if (config->alpn != NULL)
    {
      if (!set_alpn (self, config->alpn, error))
        return FALSE;
      SSL_CTX_set_alpn_select_cb (self->ctx, on_alpn_select_cb, self);
    }

  self->ssl = SSL_new (self->ctx);
  if (self->ssl == NULL)
    {
      set_setup_error (error);
      return FALSE;
    }
  SSL_set_accept_state (self->ssl);

  return TRUE;
}

MscTlsSession *
msc_tls_session_new (const MscTlsConfig  *config,
                     GError             **error)
{
  g_autoptr(MscTlsSession) self = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->role == MSC_TLS_ROLE_CLIENT ||
                        config->role == MSC_TLS_ROLE_SERVER, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (MSC_TYPE_TLS_SESSION, NULL);
  self->role = config->role;
  self->min_version = openssl_version (config->min_version, TLS1_2_VERSION);
  self->max_version = openssl_version (config->max_version, TLS1_3_VERSION);
  self->server_name = g_strdup (config->server_name);
  self->no_verify = config->no_verify;

  if (self->min_version > self->max_version)
    {
      g_set_error_literal (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
                           _("The lowest TLS version allowed is above the highest."));
      return NULL;
    }

  if (self->role == MSC_TLS_ROLE_CLIENT && !self->no_verify && self->server_name == NULL)
    {
      g_set_error_literal (error, MSC_TLS_ERROR, MSC_TLS_ERROR_CONFIG,
                           _("A TLS client that checks certificates needs the server’s name."));
      return NULL;
    }

  self->ctx = SSL_CTX_new (self->role == MSC_TLS_ROLE_CLIENT ? TLS_client_method ()
                                                             : TLS_server_method ());
  if (self->ctx == NULL ||
      !SSL_CTX_set_min_proto_version (self->ctx, self->min_version) ||
      !SSL_CTX_set_max_proto_version (self->ctx, self->max_version))
    {
      set_setup_error (error);
      return NULL;
    }

  if (self->role == MSC_TLS_ROLE_CLIENT ? !configure_client (self, config, error)
                                        : !configure_server (self, config, error))
    return NULL;

  SSL_set_app_data (self->ssl, self);
  SSL_set_msg_callback (self->ssl, on_message_cb);
  SSL_set_msg_callback_arg (self->ssl, self);
  /* pending may move between a failed SSL_write_ex() and its retry. */
  SSL_set_mode (self->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  /* Two plain memory BIOs rather than a BIO pair: they grow as needed,
   * so a whole flight fits whatever its size, and an empty one means
   * "retry later", never end of stream. */
  self->rbio = BIO_new (BIO_s_mem ());
  self->wbio = BIO_new (BIO_s_mem ());
  if (self->rbio == NULL || self->wbio == NULL)
    {
      BIO_free (self->rbio);
      BIO_free (self->wbio);
      set_setup_error (error);
      return NULL;
    }
  BIO_set_mem_eof_return (self->rbio, -1);
  BIO_set_mem_eof_return (self->wbio, -1);
  SSL_set_bio (self->ssl, self->rbio, self->wbio);

  return g_steal_pointer (&self);
}

void
msc_tls_session_start (MscTlsSession *self)
{
  g_return_if_fail (MSC_IS_TLS_SESSION (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;

  if (self->role == MSC_TLS_ROLE_CLIENT)
    advance (self);
}

gboolean
msc_tls_session_feed_ciphertext (MscTlsSession  *self,
                                 const guint8   *data,
                                 gsize           len,
                                 GError        **error)
{
  size_t written = 0;

  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->started, FALSE);

  if (is_closed (self))
    {
      set_closed_error (error);
      return FALSE;
    }

  if (len == 0)
    return TRUE;

  if (self->received_start->len < QUOTE_LEN)
    g_byte_array_append (self->received_start, data,
                         MIN (len, QUOTE_LEN - self->received_start->len));
  scan_records (self, MSC_TLS_DIRECTION_RECEIVED, data, len);

  ERR_clear_error ();
  if (!BIO_write_ex (self->rbio, data, len, &written) || written != len)
    fail_from_openssl (self);
  else
    advance (self);

  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_tls_session_take_ciphertext (MscTlsSession *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), NULL);

  if (self->ciphertext->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->ciphertext));
  self->ciphertext = g_byte_array_new ();

  return bytes;
}

gboolean
msc_tls_session_write_plaintext (MscTlsSession  *self,
                                 const guint8   *data,
                                 gsize           len,
                                 GError        **error)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->started, FALSE);

  if (self->failure != NULL || self->eof || self->shutdown_requested)
    {
      set_closed_error (error);
      return FALSE;
    }

  g_byte_array_append (self->pending, data, len);

  if (self->handshake_done)
    {
      write_pending (self);
      collect_ciphertext (self);
    }

  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_tls_session_take_plaintext (MscTlsSession *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), NULL);

  if (self->plaintext->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->plaintext));
  self->plaintext = g_byte_array_new ();

  return bytes;
}

void
msc_tls_session_shutdown (MscTlsSession *self)
{
  g_return_if_fail (MSC_IS_TLS_SESSION (self));
  g_return_if_fail (self->started);

  if (self->shutdown_requested || self->failure != NULL || self->eof)
    return;

  self->shutdown_requested = TRUE;

  if (self->handshake_done)
    advance (self);
}

gboolean
msc_tls_session_peer_closed (MscTlsSession  *self,
                             GError        **error)
{
  MscTlsEvent *event;
  GError *unclean;

  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->eof || self->failure != NULL || self->peer_close_notify)
    {
      self->eof = TRUE;
      return TRUE;
    }

  self->eof = TRUE;

  if (!self->handshake_done)
    {
      fail (self, g_error_new_literal (MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                                       _("The other side hung up during the TLS handshake.")));
      g_propagate_error (error, g_error_copy (self->failure));
      return FALSE;
    }

  /* RFC 8446 §6.1: without close_notify nobody can tell the end of the
   * data from an attacker cutting the connection short.  Mail protocols
   * end their own way (QUIT and its reply), so this is worth showing but
   * rarely harmful. */
  unclean = g_error_new_literal (MSC_TLS_ERROR, MSC_TLS_ERROR_PROTOCOL,
                                 _("The other side hung up without ending TLS first (no "
                                   "close_notify): whatever came last may have been cut short."));
  event = push_event (self, MSC_TLS_EVENT_CLOSED);
  event->error = g_error_copy (unclean);
  g_propagate_error (error, unclean);

  return FALSE;
}

MscTlsEvent *
msc_tls_session_next_event (MscTlsSession *self)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), NULL);

  return g_queue_pop_head (&self->events);
}

MscTlsRole
msc_tls_session_get_role (MscTlsSession *self)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), MSC_TLS_ROLE_CLIENT);

  return self->role;
}

gboolean
msc_tls_session_is_handshake_done (MscTlsSession *self)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), FALSE);

  return self->handshake_done;
}

const MscTlsInfo *
msc_tls_session_get_info (MscTlsSession *self)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), NULL);

  return self->info;
}

gboolean
msc_tls_session_is_closed (MscTlsSession *self)
{
  g_return_val_if_fail (MSC_IS_TLS_SESSION (self), TRUE);

  return is_closed (self);
}
