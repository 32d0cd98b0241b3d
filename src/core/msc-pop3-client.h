/* msc-pop3-client.h — the POP3 client engine (RFC 1939, 2449, 2595, 5034)
 * of a mail app: one "check mail", sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-device-store.h"

G_BEGIN_DECLS

#define MSC_TYPE_POP3_CLIENT (msc_pop3_client_get_type ())

G_DECLARE_FINAL_TYPE (MscPop3Client, msc_pop3_client, MSC, POP3_CLIENT, GObject)

#define MSC_POP3_CLIENT_ERROR (msc_pop3_client_error_quark ())

/* The codes above the line end the check: the outcome (DONE) carries
 * them.  Codes marked "close" also end the session at once, without QUIT,
 * so the server deletes nothing (RFC 1939 §6), and feed(), check_timeout()
 * or peer_closed() report them; after the others the client still says
 * QUIT politely.  The codes below the line are warnings (WARNING events):
 * the check goes on. */
typedef enum
{
  MSC_POP3_CLIENT_ERROR_CLOSED,               /* bytes fed after the session ended */
  MSC_POP3_CLIENT_ERROR_TIMEOUT,              /* close: the server stopped answering */
  MSC_POP3_CLIENT_ERROR_CONNECTION_LOST,      /* close: the server hung up before QUIT's reply */
  MSC_POP3_CLIENT_ERROR_PROTOCOL,             /* close: a reply that is not POP3, or out of turn */
  MSC_POP3_CLIENT_ERROR_LINE_TOO_LONG,        /* close: a line past max_line_length */
  MSC_POP3_CLIENT_ERROR_MESSAGE_TOO_BIG,      /* close: a reply past max_message_size */
  MSC_POP3_CLIENT_ERROR_SERVICE_UNAVAILABLE,  /* close: -ERR greeting */
  MSC_POP3_CLIENT_ERROR_TLS_UNAVAILABLE,      /* encryption required, STLS missing or refused */
  MSC_POP3_CLIENT_ERROR_AUTH_INSECURE,        /* the password would travel unencrypted */
  MSC_POP3_CLIENT_ERROR_AUTH_UNAVAILABLE,     /* the configured method is not offered */
  MSC_POP3_CLIENT_ERROR_AUTH_FAILED,          /* USER, PASS, APOP or AUTH refused */
  MSC_POP3_CLIENT_ERROR_IN_USE,               /* [IN-USE], RFC 2449 §8.1.1 */
  MSC_POP3_CLIENT_ERROR_LOGIN_DELAY,          /* [LOGIN-DELAY], RFC 2449 §8.1.2 */
  MSC_POP3_CLIENT_ERROR_SERVER_FAILURE,       /* [SYS/TEMP], [SYS/PERM] (RFC 3206), STAT refused */
  MSC_POP3_CLIENT_ERROR_UPDATE_FAILED,        /* QUIT refused: nothing was deleted */
  /* ---- warnings ---- */
  MSC_POP3_CLIENT_ERROR_NO_UIDL,              /* UIDL refused: every message looks new */
  MSC_POP3_CLIENT_ERROR_NO_COPY_KEPT,         /* EXPIRE 0 (RFC 2449 §6.7) with a "keep" option */
  MSC_POP3_CLIENT_ERROR_RETRIEVE_FAILED,      /* one RETR or TOP refused; skipped */
  MSC_POP3_CLIENT_ERROR_DELETE_FAILED,        /* one DELE refused; left on the server */
} MscPop3ClientError;

typedef enum
{
  MSC_POP3_CLIENT_TLS_NONE,             /* plaintext (port 110), even when STLS is offered */
  MSC_POP3_CLIENT_TLS_STLS_REQUIRED,    /* STLS (RFC 2595 §4), or fail */
  MSC_POP3_CLIENT_TLS_STLS_IF_OFFERED,  /* opportunistic: plaintext when not offered */
  MSC_POP3_CLIENT_TLS_IMPLICIT,         /* the layer around encrypts from the start (995) */
} MscPop3ClientTlsMode;

typedef enum
{
  MSC_POP3_CLIENT_AUTH_AUTO,  /* chosen from CAPA and the greeting: see the .c */
  MSC_POP3_CLIENT_AUTH_USER,  /* USER and PASS (RFC 1939 §7) */
  MSC_POP3_CLIENT_AUTH_PLAIN, /* AUTH PLAIN (RFC 5034, RFC 4616) */
  MSC_POP3_CLIENT_AUTH_APOP,  /* APOP (RFC 1939 §7): an MD5 digest, not the password */
} MscPop3ClientAuthMethod;

/* The choice a mail app offers in its account settings. */
typedef enum
{
  MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD,       /* "download and delete" */
  MSC_POP3_CLIENT_KEEP,                        /* "leave a copy on the server" */
  MSC_POP3_CLIENT_KEEP_DAYS,                   /* "… delete from the server after N days" */
  MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY, /* "… delete from the server when I delete it here" */
} MscPop3ClientRetention;

/* A zero field means the documented default.  Strings are copied. */
typedef struct
{
  const char              *user;               /* required: no CR, LF or NUL */
  const char              *password;           /* required: no CR, LF or NUL */
  MscPop3ClientAuthMethod  auth_method;
  MscPop3ClientTlsMode     tls_mode;
  gboolean                 allow_auth_without_tls; /* send a password in plaintext (teaching) */
  gboolean                 disable_pipelining;     /* one command at a time even if offered */

  MscPop3ClientRetention   retention;
  guint                    keep_days;          /* KEEP_DAYS; default 14, as Outlook and Thunderbird */
  gboolean                 headers_only;       /* new mail as previews: TOP n preview_lines */
  guint                    preview_lines;      /* body lines in a preview; default 0 */

  /* Limits on what the server sends */
  gsize                    max_line_length;    /* any line, its CRLF included; default 64 KiB */
  gsize                    max_message_size;   /* one reply (a message); default 64 MiB */
  gint64                   timeout_usec;       /* waiting for a reply; default 60 s, as Outlook */
} MscPop3ClientConfig;

/* One enum, one names table, one setter: every transition is an event.
 * A waiting state is named after what it waits for. */
typedef enum
{
  MSC_POP3_CLIENT_STATE_CONNECT,        /* created; start() not called yet */
  MSC_POP3_CLIENT_STATE_GREETING,       /* waiting for +OK */
  MSC_POP3_CLIENT_STATE_CAPA,
  MSC_POP3_CLIENT_STATE_STLS,
  MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE,  /* STARTTLS event raised: waiting for tls_started() */
  MSC_POP3_CLIENT_STATE_AUTH,           /* USER/PASS, APOP or AUTH */
  MSC_POP3_CLIENT_STATE_LIST,           /* STAT and UIDL: what is on the server */
  MSC_POP3_CLIENT_STATE_DOWNLOAD,       /* RETR and TOP */
  MSC_POP3_CLIENT_STATE_DELETE,         /* DELE: marking, for the server to delete at QUIT */
  MSC_POP3_CLIENT_STATE_QUIT,
  MSC_POP3_CLIENT_STATE_CLOSED,
  MSC_POP3_CLIENT_N_STATES
} MscPop3ClientState;

typedef enum
{
  MSC_POP3_CLIENT_EVENT_COMMAND,
  MSC_POP3_CLIENT_EVENT_REPLY,
  MSC_POP3_CLIENT_EVENT_STATE_CHANGED,
  MSC_POP3_CLIENT_EVENT_STARTTLS,
  MSC_POP3_CLIENT_EVENT_DOWNLOADED,
  MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER,
  MSC_POP3_CLIENT_EVENT_WARNING,
  MSC_POP3_CLIENT_EVENT_DONE,
  MSC_POP3_CLIENT_EVENT_CLOSED,
  MSC_POP3_CLIENT_N_EVENT_KINDS
} MscPop3ClientEventKind;

/* What the check did.  The counts are true even when it failed: a
 * message stored before the failure stays on the device. */
typedef struct
{
  gboolean  success;
  gboolean  transient;    /* a failure a later check may not meet (IN-USE, timeout …) */
  guint     n_messages;   /* on the server when the check began (STAT); 0 before STAT */
  guint     n_new;        /* messages this device did not have before */
  guint     n_downloaded; /* RETR and TOP stored, bodies of earlier previews included */
  guint     n_deleted;    /* removed from the server by its UPDATE after QUIT */
  GError   *error;        /* NULL on success; a message for the user, translated */
} MscPop3ClientOutcome;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscPop3ClientEventKind  kind;

  /* COMMAND: @line without its CRLF, @verb upper-cased (NULL for a SASL
   * response), @secret for a line carrying credentials (PASS, APOP,
   * AUTH) so the trace can hide it; @wire is the exact bytes. */
  char                   *line;
  char                   *verb;
  gboolean                secret;

  /* REPLY: @ok (+OK or -ERR; FALSE for a SASL "+" continuation, with
   * @continuation), @code (the RFC 2449 response code without brackets,
   * "IN-USE", "SYS/TEMP", or NULL), @text (the first line after the
   * status and code, for display), @multiline, and @wire: every byte of
   * the reply, the terminating ".\r\n" included. */
  gboolean                ok;
  gboolean                continuation;
  char                   *code;
  char                   *text;
  gboolean                multiline;
  GBytes                 *wire;

  /* STATE_CHANGED */
  MscPop3ClientState      old_state;
  MscPop3ClientState      new_state;

  /* DOWNLOADED: stored in the device store under @key (the UIDL), @size
   * bytes, @complete FALSE for a TOP preview.  @number is the message
   * number in this session.  DELETED_ON_SERVER: @key, raised for each
   * DELE'd message once the server's +OK to QUIT says it is gone. */
  char                   *key;
  gsize                   size;
  gboolean                complete;
  guint                   number;

  /* DONE: raised once, when the outcome is known: after QUIT's reply, or
   * when the session ends early. */
  MscPop3ClientOutcome   *outcome;

  /* WARNING: why (a code below the line).  CLOSED: NULL after the QUIT
   * exchange, else why the session ended. */
  GError                 *error;
} MscPop3ClientEvent;

GQuark                      msc_pop3_client_error_quark          (void);
const char                 *msc_pop3_client_state_get_name       (MscPop3ClientState     state);
const char                 *msc_pop3_client_event_kind_get_name  (MscPop3ClientEventKind kind);
void                        msc_pop3_client_event_free           (MscPop3ClientEvent    *event);
MscPop3ClientOutcome       *msc_pop3_client_outcome_copy         (const MscPop3ClientOutcome *outcome);
void                        msc_pop3_client_outcome_free         (MscPop3ClientOutcome  *outcome);

/* Downloads into @store's Inbox and reads its seen record. */
MscPop3Client              *msc_pop3_client_new                  (const MscPop3ClientConfig *config,
                                                                  MscDeviceStore            *store);

/* The connection is up (and, with TLS_IMPLICIT, encrypted): the wait for
 * the greeting starts.  Call once, before feeding. */
void                        msc_pop3_client_start                (MscPop3Client  *self);

/* Plaintext bytes from the server.  Consumes all of them.  Returns FALSE
 * only when the session ended without the QUIT exchange during this call
 * (a "close" code), or had already ended.  A refused password is no such
 * failure: see the DONE outcome. */
gboolean                    msc_pop3_client_feed                 (MscPop3Client  *self,
                                                                  const guint8   *data,
                                                                  gsize           len,
                                                                  GError        **error);

/* The server closed the connection (end of stream).  Before QUIT's reply
 * that ends the check with CONNECTION_LOST: the server deletes nothing
 * it did not confirm.  Returns FALSE in that case. */
gboolean                    msc_pop3_client_peer_closed          (MscPop3Client  *self,
                                                                  GError        **error);

/* The bytes to send, in order; NULL when there are none. */
GBytes                     *msc_pop3_client_take_output          (MscPop3Client  *self);

/* The next event, oldest first; NULL when there are none. */
MscPop3ClientEvent         *msc_pop3_client_next_event           (MscPop3Client  *self);

/* Time, in microseconds (virtual in lessons).  It dates the downloads,
 * decides "after N days" and drives the timeout; start(), feed() and
 * tls_started() count as activity at this time. */
void                        msc_pop3_client_set_now              (MscPop3Client  *self,
                                                                  gint64          now_usec);
/* When check_timeout() will fire, or -1 when no timer runs (before
 * start(), during the TLS handshake, closed). */
gint64                      msc_pop3_client_get_deadline         (MscPop3Client  *self);
/* TRUE when the timeout expired: the session is closed, without QUIT. */
gboolean                    msc_pop3_client_check_timeout        (MscPop3Client  *self);

/* After the STARTTLS event, run the handshake, then call this: the client
 * forgets what it learnt in plaintext and asks CAPA again (RFC 2595 §4). */
void                        msc_pop3_client_tls_started          (MscPop3Client  *self);

MscPop3ClientState          msc_pop3_client_get_state            (MscPop3Client  *self);
/* FALSE before start(), during the TLS handshake, and once closed. */
gboolean                    msc_pop3_client_want_read            (MscPop3Client  *self);
gboolean                    msc_pop3_client_is_closed            (MscPop3Client  *self);
gboolean                    msc_pop3_client_is_tls_active        (MscPop3Client  *self);
/* The parameters of a CAPA capability ("" when it has none), or NULL when
 * the latest CAPA did not list it (or CAPA failed). */
const char                 *msc_pop3_client_get_capability       (MscPop3Client  *self,
                                                                  const char     *name);
/* NULL until DONE has been raised. */
const MscPop3ClientOutcome *msc_pop3_client_get_outcome          (MscPop3Client  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscPop3ClientEvent, msc_pop3_client_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscPop3ClientOutcome, msc_pop3_client_outcome_free)

G_END_DECLS
