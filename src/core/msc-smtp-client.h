/* msc-smtp-client.h — the SMTP client engine (RFC 5321), sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MSC_TYPE_SMTP_CLIENT (msc_smtp_client_get_type ())

G_DECLARE_FINAL_TYPE (MscSmtpClient, msc_smtp_client, MSC, SMTP_CLIENT, GObject)

#define MSC_SMTP_CLIENT_ERROR (msc_smtp_client_error_quark ())

/* Every code ends the attempt to send: the outcome (DONE) carries it.
 * Codes marked "close" also end the session at once, without QUIT, and
 * feed() or check_timeout() report them; after the others the client
 * still says QUIT politely. */
typedef enum
{
  MSC_SMTP_CLIENT_ERROR_CLOSED,               /* bytes fed after the session ended */
  MSC_SMTP_CLIENT_ERROR_TIMEOUT,              /* close: RFC 5321 §4.5.3.2 */
  MSC_SMTP_CLIENT_ERROR_PROTOCOL,             /* close: a reply that is not SMTP, or out of turn */
  MSC_SMTP_CLIENT_ERROR_LINE_TOO_LONG,        /* close: a reply line or reply past the limits */
  MSC_SMTP_CLIENT_ERROR_SERVICE_UNAVAILABLE,  /* 554 greeting; a 421 at any time (close) */
  MSC_SMTP_CLIENT_ERROR_INVALID_ADDRESS,      /* the envelope holds something not a mailbox */
  MSC_SMTP_CLIENT_ERROR_HELO_REFUSED,         /* EHLO and HELO refused */
  MSC_SMTP_CLIENT_ERROR_TLS_UNAVAILABLE,      /* close: encryption required, STARTTLS missing
                                               * or refused (RFC 3207 §4.1) */
  MSC_SMTP_CLIENT_ERROR_AUTH_INSECURE,        /* the password would travel unencrypted */
  MSC_SMTP_CLIENT_ERROR_AUTH_UNAVAILABLE,     /* no PLAIN or LOGIN offered (RFC 4954 §3) */
  MSC_SMTP_CLIENT_ERROR_AUTH_FAILED,          /* AUTH refused: 535 and its kin */
  MSC_SMTP_CLIENT_ERROR_SMTPUTF8_UNSUPPORTED, /* UTF-8 envelope or header, no SMTPUTF8 */
  MSC_SMTP_CLIENT_ERROR_8BITMIME_UNSUPPORTED, /* 8-bit message, no 8BITMIME (RFC 6152 §3) */
  MSC_SMTP_CLIENT_ERROR_MESSAGE_TOO_BIG,      /* larger than the advertised SIZE (RFC 1870) */
  MSC_SMTP_CLIENT_ERROR_SENDER_REFUSED,       /* MAIL refused */
  MSC_SMTP_CLIENT_ERROR_RECIPIENTS_REFUSED,   /* every RCPT refused */
  MSC_SMTP_CLIENT_ERROR_MESSAGE_REFUSED,      /* DATA or the end of data refused */
} MscSmtpClientError;

typedef enum
{
  MSC_SMTP_CLIENT_ROLE_SUBMIT,  /* a mail app to its provider (RFC 6409): AUTH when configured */
  MSC_SMTP_CLIENT_ROLE_RELAY,   /* an MTA to another domain's MX, port 25: never AUTH */
} MscSmtpClientRole;

typedef enum
{
  MSC_SMTP_CLIENT_TLS_NONE,                 /* plaintext, even when STARTTLS is offered */
  MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED,  /* opportunistic: plaintext when not offered */
  MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED,    /* fail rather than go on in plaintext */
  MSC_SMTP_CLIENT_TLS_IMPLICIT,             /* the layer around encrypts from the start (465) */
} MscSmtpClientTlsMode;

typedef enum
{
  MSC_SMTP_CLIENT_AUTH_AUTO,   /* PLAIN when offered, else LOGIN */
  MSC_SMTP_CLIENT_AUTH_PLAIN,  /* only PLAIN (RFC 4616) */
  MSC_SMTP_CLIENT_AUTH_LOGIN,  /* only LOGIN (draft-murchison-sasl-login) */
} MscSmtpClientAuthMechanism;

/* A zero field means the documented default.  Strings and the message
 * are copied or referenced; the caller keeps its own. */
typedef struct
{
  const char                 *hostname;        /* required: the EHLO argument, ASCII or [literal] */
  MscSmtpClientRole           role;
  MscSmtpClientTlsMode        tls_mode;
  const char                 *username;        /* NULL: no AUTH */
  const char                 *password;        /* required with a username */
  MscSmtpClientAuthMechanism  auth_mechanism;
  gboolean                    allow_auth_without_tls; /* send a password in plaintext (teaching) */
  gboolean                    disable_pipelining;     /* one command at a time even if offered */

  /* The envelope (RFC 5321 §2.3.1) and the message (RFC 5322 text).
   * Addresses come without <>, in UTF-8; "" is the null reverse-path. */
  const char                 *reverse_path;    /* required */
  const char * const         *recipients;      /* required: NULL-terminated, at least one */
  GBytes                     *message;         /* required; bare LF or CR are sent as CRLF */

  /* Limits on what the server sends */
  gsize                       max_line_length; /* a reply line, CRLF included; default 2048 */
  gsize                       max_reply_length;/* a whole multi-line reply; default 64 KiB */
  gsize                       data_block_size; /* message bytes per take_output(); default 64 KiB */

  /* RFC 5321 §4.5.3.2, each waiting for the server's reply */
  gint64                      greeting_timeout_usec;  /* the 220; default 5 min */
  gint64                      command_timeout_usec;   /* EHLO, HELO, STARTTLS, AUTH, QUIT; 5 min */
  gint64                      mail_timeout_usec;      /* MAIL; default 5 min */
  gint64                      rcpt_timeout_usec;      /* RCPT; default 5 min */
  gint64                      data_timeout_usec;      /* DATA initiation (the 354); default 2 min */
  gint64                      block_timeout_usec;     /* each block of text; default 3 min */
  gint64                      data_end_timeout_usec;  /* the reply after "."; default 10 min */
} MscSmtpClientConfig;

/* One enum, one names table, one setter: every transition is an event.
 * A waiting state is named after the reply it waits for. */
typedef enum
{
  MSC_SMTP_CLIENT_STATE_CONNECT,        /* created; start() not called yet */
  MSC_SMTP_CLIENT_STATE_GREETING,       /* waiting for the 220 */
  MSC_SMTP_CLIENT_STATE_EHLO,
  MSC_SMTP_CLIENT_STATE_HELO,           /* EHLO got 500/502: RFC 821 fallback */
  MSC_SMTP_CLIENT_STATE_STARTTLS,
  MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE,  /* STARTTLS event raised: waiting for tls_started() */
  MSC_SMTP_CLIENT_STATE_AUTH,           /* AUTH and its SASL exchange */
  MSC_SMTP_CLIENT_STATE_MAIL,
  MSC_SMTP_CLIENT_STATE_RCPT,
  MSC_SMTP_CLIENT_STATE_DATA,           /* waiting for the 354 */
  MSC_SMTP_CLIENT_STATE_MESSAGE,        /* handing out the text, block by block */
  MSC_SMTP_CLIENT_STATE_DATA_END,       /* "." sent: waiting for the final reply */
  MSC_SMTP_CLIENT_STATE_QUIT,
  MSC_SMTP_CLIENT_STATE_CLOSED,
  MSC_SMTP_CLIENT_N_STATES
} MscSmtpClientState;

typedef enum
{
  MSC_SMTP_CLIENT_EVENT_COMMAND,
  MSC_SMTP_CLIENT_EVENT_REPLY,
  MSC_SMTP_CLIENT_EVENT_STATE_CHANGED,
  MSC_SMTP_CLIENT_EVENT_STARTTLS,
  MSC_SMTP_CLIENT_EVENT_RECIPIENT_RESULT,
  MSC_SMTP_CLIENT_EVENT_DONE,
  MSC_SMTP_CLIENT_EVENT_CLOSED,
  MSC_SMTP_CLIENT_N_EVENT_KINDS
} MscSmtpClientEventKind;

/* What became of one recipient.  @code is 0 when no RCPT reply came. */
typedef struct
{
  char     *address;
  gboolean  accepted;  /* RCPT got 2xx: the final reply to the text applies to it */
  guint     code;
  char     *enhanced;  /* "5.1.1" (RFC 3463), or NULL */
  char     *text;
} MscSmtpClientRecipient;

typedef struct
{
  gboolean    success;     /* the server took the message for at least one recipient */
  gboolean    transient;   /* a failure that may go away on a later try (4xx, timeout, 421) */
  guint       code;        /* the reply that decided, or 0 when none did */
  char       *enhanced;
  char       *text;
  GPtrArray  *recipients;  /* of MscSmtpClientRecipient, in the order configured */
  GError     *error;       /* NULL on success; a message for the user, translated */
} MscSmtpClientOutcome;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscSmtpClientEventKind  kind;

  /* COMMAND: @line without its CRLF, @verb upper-cased (NULL for SASL
   * responses and message text), @secret for a line carrying credentials
   * so the trace can hide it.  @wire is the exact bytes.  The text of the
   * message itself is not a command and raises no event. */
  char                   *line;
  char                   *verb;
  gboolean                secret;

  /* REPLY: @code, @enhanced (NULL when the reply has none), @text (the
   * text of every line, '\n'-separated, without the codes), @wire (the
   * exact bytes).  RECIPIENT_RESULT: @address, @accepted, and @code,
   * @enhanced, @text of its RCPT reply. */
  guint                   code;
  char                   *enhanced;
  char                   *text;
  GBytes                 *wire;
  char                   *address;
  gboolean                accepted;

  /* STATE_CHANGED */
  MscSmtpClientState      old_state;
  MscSmtpClientState      new_state;

  /* DONE: raised once, as soon as the outcome is known (before QUIT). */
  MscSmtpClientOutcome   *outcome;

  /* CLOSED: NULL after the QUIT exchange, else why the session ended. */
  GError                 *error;
} MscSmtpClientEvent;

GQuark                      msc_smtp_client_error_quark          (void);
const char                 *msc_smtp_client_state_get_name       (MscSmtpClientState     state);
const char                 *msc_smtp_client_event_kind_get_name  (MscSmtpClientEventKind kind);
void                        msc_smtp_client_event_free           (MscSmtpClientEvent    *event);

MscSmtpClientOutcome *msc_smtp_client_outcome_copy (const MscSmtpClientOutcome *outcome);
void                  msc_smtp_client_outcome_free (MscSmtpClientOutcome       *outcome);

MscSmtpClient        *msc_smtp_client_new          (const MscSmtpClientConfig  *config);

/* The connection is up (and, with TLS_IMPLICIT, encrypted): the wait for
 * the greeting starts.  Call once, before feeding.  An envelope that
 * cannot be sent ends the session here: DONE and CLOSED, nothing sent. */
void                        msc_smtp_client_start                (MscSmtpClient  *self);

/* Plaintext bytes from the server.  Consumes all of them.  Returns FALSE
 * only when the session ended without the QUIT exchange during this call
 * (a malformed reply, a 421, required TLS missing), or had already ended.
 * A refused message is no such failure: see the DONE outcome. */
gboolean                    msc_smtp_client_feed                 (MscSmtpClient  *self,
                                                                  const guint8   *data,
                                                                  gsize           len,
                                                                  GError        **error);

/* The bytes to send, in order; NULL when there are none.  While the text
 * of the message goes out, each call hands out the next block of at most
 * about data_block_size bytes: a driver calls it again when the previous
 * block is written, and that is the "send completed" of the data block
 * timeout.  Taking the block with the final "." starts the wait for the
 * final reply. */
GBytes                     *msc_smtp_client_take_output          (MscSmtpClient  *self);

/* The next event, oldest first; NULL when there are none. */
MscSmtpClientEvent         *msc_smtp_client_next_event           (MscSmtpClient  *self);

/* Time, in microseconds (virtual in lessons).  start(), feed(),
 * take_output() of a block and tls_started() count as activity at this
 * time. */
void                        msc_smtp_client_set_now              (MscSmtpClient  *self,
                                                                  gint64          now_usec);
/* When check_timeout() will fire, or -1 when no timer runs (before
 * start(), during the TLS handshake, closed). */
gint64                      msc_smtp_client_get_deadline         (MscSmtpClient  *self);
/* TRUE when the timeout expired: the session is closed, without QUIT. */
gboolean                    msc_smtp_client_check_timeout        (MscSmtpClient  *self);

/* After the STARTTLS event, run the handshake, then call this: the client
 * forgets what it learnt in plaintext and says EHLO again (RFC 3207 §4.2).
 * Anything fed between the 220 and this call is refused as an injection
 * (the feed fails and the session closes: no handshake then). */
void                        msc_smtp_client_tls_started          (MscSmtpClient  *self);

MscSmtpClientState          msc_smtp_client_get_state            (MscSmtpClient  *self);
/* FALSE before start(), during the TLS handshake, and once closed. */
gboolean                    msc_smtp_client_want_read            (MscSmtpClient  *self);
gboolean                    msc_smtp_client_is_closed            (MscSmtpClient  *self);
gboolean                    msc_smtp_client_is_tls_active        (MscSmtpClient  *self);
/* The parameters of an EHLO keyword ("" when it has none), or NULL when
 * the server did not offer it in its latest EHLO reply. */
const char                 *msc_smtp_client_get_extension        (MscSmtpClient  *self,
                                                                  const char     *keyword);
/* NULL until DONE has been raised. */
const MscSmtpClientOutcome *msc_smtp_client_get_outcome          (MscSmtpClient  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscSmtpClientEvent, msc_smtp_client_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscSmtpClientOutcome, msc_smtp_client_outcome_free)

G_END_DECLS
