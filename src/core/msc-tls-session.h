/* msc-tls-session.h — one side of a TLS connection (RFC 8446, RFC 5246)
 * on OpenSSL memory BIOs, sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* A filter between the wire and an engine: ciphertext on one side,
 * plaintext on the other.  It owns no socket, no timer, no thread; like
 * the engines it takes bytes in and hands bytes and events out:
 *
 *   wire → feed_ciphertext()  → take_plaintext()  → engine feed()
 *   engine take_output() → write_plaintext() → take_ciphertext() → wire
 *
 * After any call, send what take_ciphertext() returns (a handshake
 * message, an alert) even when the call failed: that is how the other
 * side learns why. */

#define MSC_TYPE_TLS_SESSION (msc_tls_session_get_type ())

G_DECLARE_FINAL_TYPE (MscTlsSession, msc_tls_session, MSC, TLS_SESSION, GObject)

#define MSC_TLS_ERROR (msc_tls_error_quark ())

/* Every code is fatal: the session is over (is_closed() is TRUE), and an
 * ERROR event carries the same error (a CLOSED event, after
 * peer_closed()).  The CERT_ codes come only to a client that checks the
 * server's certificate.  The messages are for the user, translated. */
typedef enum
{
  MSC_TLS_ERROR_CONFIG,              /* new() only: a configuration that cannot work */
  MSC_TLS_ERROR_CLOSED,              /* used after the session ended */
  MSC_TLS_ERROR_CERT_UNTRUSTED,      /* self-signed, or signed by a CA this side does not trust */
  MSC_TLS_ERROR_CERT_HOSTNAME,       /* the certificate is for other names (RFC 6125) */
  MSC_TLS_ERROR_CERT_EXPIRED,
  MSC_TLS_ERROR_CERT_NOT_YET_VALID,
  MSC_TLS_ERROR_HANDSHAKE,           /* any other handshake failure, an alert from the peer */
  MSC_TLS_ERROR_PROTOCOL,            /* bytes that are not TLS, or broken records */
} MscTlsError;

typedef enum
{
  MSC_TLS_ROLE_CLIENT,
  MSC_TLS_ROLE_SERVER,
} MscTlsRole;

typedef enum
{
  MSC_TLS_VERSION_DEFAULT,  /* as low or as high as Mailscope goes: 1.2 … 1.3 */
  MSC_TLS_VERSION_1_2,
  MSC_TLS_VERSION_1_3,
} MscTlsVersion;

/* A zero field means the documented default.  Strings are copied; the
 * OpenSSL objects get a reference of their own. */
typedef struct
{
  MscTlsRole           role;
  MscTlsVersion        min_version;   /* a lesson forces 1.2 with max_version */
  MscTlsVersion        max_version;

  /* CLIENT: the name the user typed, sent as SNI (RFC 6066 §3; not for an
   * IP address) and checked against the certificate (RFC 6125, RFC 9525).
   * Required unless @no_verify. */
  const char          *server_name;
  X509                *ca;            /* CLIENT: the one authority trusted (the teaching CA) */
  gboolean             no_verify;     /* CLIENT: take any certificate (a lesson in why not);
                                       * the DONE info still says what checking would find */

  /* SERVER: required */
  X509                *certificate;
  EVP_PKEY            *key;

  /* Application protocols (RFC 7301; "smtp", "pop3", "imap" are in the
   * IANA registry), NULL-terminated, or NULL for no ALPN.  A client
   * offers them in order; a server picks its first that the client
   * offered, and goes on without ALPN when none matches. */
  const char * const  *alpn;
} MscTlsConfig;

typedef enum
{
  MSC_TLS_DIRECTION_SENT,
  MSC_TLS_DIRECTION_RECEIVED,
} MscTlsDirection;

/* The record content types of RFC 8446 §5.1 */
typedef enum
{
  MSC_TLS_CONTENT_CHANGE_CIPHER_SPEC = 20,
  MSC_TLS_CONTENT_ALERT              = 21,
  MSC_TLS_CONTENT_HANDSHAKE          = 22,
  MSC_TLS_CONTENT_APPLICATION_DATA   = 23,
} MscTlsContentType;

typedef enum
{
  MSC_TLS_EVENT_HANDSHAKE_MESSAGE,
  MSC_TLS_EVENT_RECORD,
  MSC_TLS_EVENT_HANDSHAKE_DONE,
  MSC_TLS_EVENT_ALERT,
  MSC_TLS_EVENT_CLOSED,
  MSC_TLS_EVENT_ERROR,
  MSC_TLS_N_EVENT_KINDS
} MscTlsEventKind;

/* What the handshake agreed, and who the peer says it is.  The peer
 * fields are NULL/0 when the peer sent no certificate (a mail client
 * usually does not). */
typedef struct
{
  char       *version;        /* "TLSv1.3", "TLSv1.2" */
  char       *cipher;         /* the IANA name: "TLS_AES_256_GCM_SHA384" */
  char       *group;          /* the key exchange group ("X25519"), or NULL */
  char       *alpn;           /* the agreed application protocol, or NULL */
  char       *server_name;    /* SNI: what the client asked for (both sides), or NULL */
  gboolean    session_reused;

  char       *peer_subject;   /* RFC 2253: "CN=mail.example.com,O=Mailscope" */
  char       *peer_issuer;
  GStrv       peer_names;     /* subjectAltName: "DNS:mail.example.com", "IP:127.0.0.1" */
  GDateTime  *peer_not_before;
  GDateTime  *peer_not_after;
  char       *peer_fingerprint; /* SHA-256, "AB:CD:…" */

  /* CLIENT: whether the certificate passed the checks, and if not, why
   * (OpenSSL's words); with no_verify the handshake went on regardless. */
  gboolean    peer_verified;
  char       *verify_result;
} MscTlsInfo;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscTlsEventKind    kind;

  /* HANDSHAKE_MESSAGE (handshake messages and ChangeCipherSpec), ALERT
   * and RECORD: which way it went.  The chart draws one arrow for each
   * HANDSHAKE_MESSAGE and ALERT, and shows the RECORDs as what an
   * eavesdropper sees.  Order: a record received comes before the
   * messages in it; messages sent come before the records carrying them. */
  MscTlsDirection    direction;
  MscTlsContentType  content_type;

  /* HANDSHAKE_MESSAGE: @message_type (RFC 8446 §4: 1 for ClientHello; 0
   * for ChangeCipherSpec) and its @name ("ClientHello",
   * "HelloRetryRequest", "ChangeCipherSpec"…), static.  ALERT: @name is
   * "Alert", with @alert_level (1 warning, 2 fatal) and
   * @alert_description (RFC 8446 §6: 0 close_notify, 48 unknown_ca…)
   * and its @alert_text ("unknown CA").  @data: the message as the TLS
   * layer sees it (decrypted), header included; @length is its size. */
  guint              message_type;
  const char        *name;
  guint              alert_level;
  guint              alert_description;
  const char        *alert_text;

  /* RECORD: the @version on the wire (0x0303 for TLS 1.2, and for TLS 1.3
   * too: RFC 8446 §5.1), @length of the fragment, @encrypted when an
   * eavesdropper cannot read it, and @data: every byte on the wire, the
   * 5-byte header included.  A TLS 1.3 record calls itself application
   * data whatever it carries. */
  guint16            version;
  gsize              length;
  gboolean           encrypted;
  GBytes            *data;

  /* HANDSHAKE_DONE */
  MscTlsInfo        *info;

  /* CLOSED: @clean when the peer said close_notify, @error NULL; after
   * peer_closed() without close_notify, @clean is FALSE and @error says
   * why that matters.  ERROR: why the session failed. */
  gboolean           clean;
  GError            *error;
} MscTlsEvent;

GQuark             msc_tls_error_quark               (void);
const char        *msc_tls_event_kind_get_name       (MscTlsEventKind  kind);
void               msc_tls_event_free                (MscTlsEvent     *event);
MscTlsInfo        *msc_tls_info_copy                 (const MscTlsInfo *info);
void               msc_tls_info_free                 (MscTlsInfo      *info);

/* Returns NULL and sets @error when the configuration cannot work (no
 * key, a key that does not match the certificate, no server name). */
MscTlsSession     *msc_tls_session_new               (const MscTlsConfig *config,
                                                      GError            **error);

/* Call once, before anything else.  A client queues its ClientHello:
 * take_ciphertext() then has it.  A server waits for one. */
void               msc_tls_session_start             (MscTlsSession  *self);

/* Bytes from the wire, in any pieces.  Consumes all of them.  Returns
 * FALSE when the session failed now or had already ended. */
gboolean           msc_tls_session_feed_ciphertext   (MscTlsSession  *self,
                                                      const guint8   *data,
                                                      gsize           len,
                                                      GError        **error);
/* Bytes to send on the wire, in order; NULL when there are none. */
GBytes            *msc_tls_session_take_ciphertext   (MscTlsSession  *self);

/* Bytes from the engine.  Written before the handshake is done, they
 * wait and go out encrypted right after it.  FALSE once the session
 * ended or shutdown() was called. */
gboolean           msc_tls_session_write_plaintext   (MscTlsSession  *self,
                                                      const guint8   *data,
                                                      gsize           len,
                                                      GError        **error);
/* Bytes for the engine, decrypted; NULL when there are none. */
GBytes            *msc_tls_session_take_plaintext    (MscTlsSession  *self);

/* Queues close_notify (RFC 8446 §6.1): nothing more will be written;
 * plaintext written before goes out first.  What the peer still sends is
 * decrypted until its own close_notify.  Nothing is answered on the
 * engine's behalf: after a CLOSED event, the layer calls this when the
 * engine is done.  Before the handshake is done there is nothing to
 * protect: the session just ends. */
void               msc_tls_session_shutdown          (MscTlsSession  *self);

/* The wire ended (the peer closed TCP).  Without its close_notify first,
 * whatever came last may have been cut short by an attacker: returns
 * FALSE with MSC_TLS_ERROR_PROTOCOL then (the "truncation attack"). */
gboolean           msc_tls_session_peer_closed       (MscTlsSession  *self,
                                                      GError        **error);

/* The next event, oldest first; NULL when there are none. */
MscTlsEvent       *msc_tls_session_next_event        (MscTlsSession  *self);

MscTlsRole         msc_tls_session_get_role          (MscTlsSession  *self);
gboolean           msc_tls_session_is_handshake_done (MscTlsSession  *self);
/* NULL until the handshake is done. */
const MscTlsInfo  *msc_tls_session_get_info          (MscTlsSession  *self);
/* TRUE after a failure, after the peer's close_notify, after
 * peer_closed(), or after shutdown() during the handshake: nothing more
 * will be decrypted. */
gboolean           msc_tls_session_is_closed         (MscTlsSession  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscTlsEvent, msc_tls_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscTlsInfo, msc_tls_info_free)

G_END_DECLS
