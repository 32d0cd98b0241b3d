/* msc-smtp-server.h — the SMTP server engine (RFC 5321), sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-directory.h"

G_BEGIN_DECLS

#define MSC_TYPE_SMTP_SERVER (msc_smtp_server_get_type ())

G_DECLARE_FINAL_TYPE (MscSmtpServer, msc_smtp_server, MSC, SMTP_SERVER, GObject)

#define MSC_SMTP_SERVER_ERROR (msc_smtp_server_error_quark ())

/* Every code is fatal: the session is over (is_closed() is TRUE).  Any
 * final reply (a 421) is already queued in the output. */
typedef enum
{
  MSC_SMTP_SERVER_ERROR_CLOSED,           /* bytes fed after the session ended */
  MSC_SMTP_SERVER_ERROR_TIMEOUT,          /* RFC 5321 §4.5.3.2.7 */
  MSC_SMTP_SERVER_ERROR_TOO_MANY_ERRORS,  /* config.max_errors reached */
  MSC_SMTP_SERVER_ERROR_INPUT_OVERFLOW,   /* too much pipelined while a reply was pending */
} MscSmtpServerError;

typedef enum
{
  MSC_SMTP_SERVER_ROLE_MX,          /* port 25: mail for local domains from anyone */
  MSC_SMTP_SERVER_ROLE_SUBMISSION,  /* ports 587/465 (RFC 6409): AUTH first, any recipient */
} MscSmtpServerRole;

/* A zero field means the documented default.  Strings are copied. */
typedef struct
{
  const char        *hostname;           /* required: the greeting, EHLO and Received */
  MscSmtpServerRole  role;
  guint64            max_message_size;   /* SIZE (RFC 1870); default 10 MiB */
  gsize              max_line_length;    /* any line, its CRLF included; default 12288,
                                          * the AUTH minimum of RFC 4954 §4 */
  guint              max_recipients;     /* default 100, RFC 5321 §4.5.3.1.8 */
  guint              max_errors;         /* 4xx/5xx replies before 421 and close; default 20 */
  gboolean           tls_active;         /* implicit TLS from the start (port 465) */
  gboolean           tls_available;      /* offer STARTTLS */
  gboolean           allow_insecure_auth;/* offer AUTH PLAIN/LOGIN without TLS (teaching only) */
  const char        *peer_name;          /* for Received; NULL when unknown */
  const char        *peer_address;       /* "192.0.2.1" or "2001:db8::1"; NULL when unknown */
  gint64             command_timeout_usec; /* waiting for a command; default 5 min */
  gint64             data_timeout_usec;    /* waiting for message text; default 5 min */
} MscSmtpServerConfig;

/* One enum, one names table, one setter: every transition is an event. */
typedef enum
{
  MSC_SMTP_SERVER_STATE_GREETING,    /* created; start() not called yet */
  MSC_SMTP_SERVER_STATE_HELO,        /* greeted (or TLS just started): waiting for EHLO/HELO */
  MSC_SMTP_SERVER_STATE_READY,       /* no mail transaction */
  MSC_SMTP_SERVER_STATE_AUTH,        /* in an AUTH exchange: lines are SASL responses */
  MSC_SMTP_SERVER_STATE_MAIL,        /* MAIL accepted, no recipient yet */
  MSC_SMTP_SERVER_STATE_RCPT,        /* at least one recipient accepted */
  MSC_SMTP_SERVER_STATE_DATA,        /* reading message text */
  MSC_SMTP_SERVER_STATE_WAIT_STORE,  /* MESSAGE raised: waiting for message_done() */
  MSC_SMTP_SERVER_STATE_STARTTLS,    /* 220 sent: waiting for tls_started() */
  MSC_SMTP_SERVER_STATE_CLOSED,
  MSC_SMTP_SERVER_N_STATES
} MscSmtpServerState;

typedef enum
{
  MSC_SMTP_SERVER_EVENT_COMMAND,
  MSC_SMTP_SERVER_EVENT_REPLY,
  MSC_SMTP_SERVER_EVENT_STARTTLS,
  MSC_SMTP_SERVER_EVENT_STATE_CHANGED,
  MSC_SMTP_SERVER_EVENT_AUTHENTICATED,
  MSC_SMTP_SERVER_EVENT_MESSAGE,
  MSC_SMTP_SERVER_EVENT_CLOSED,
  MSC_SMTP_SERVER_N_EVENT_KINDS
} MscSmtpServerEventKind;

typedef struct
{
  char     *address;  /* the forward-path without <>, UTF-8 */
  gboolean  local;    /* TRUE: deliver to a local mailbox; FALSE: outbound queue */
} MscSmtpRecipient;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscSmtpServerEventKind  kind;

  /* COMMAND: a line from the client, whether accepted or not.  @line is
   * valid UTF-8 for display (NUL and invalid bytes shown as U+FFFD);
   * @wire is the exact bytes, line end included.  @verb is upper-cased,
   * NULL for SASL responses and unparsable lines.  @secret marks a line
   * carrying credentials (an AUTH initial response or a SASL response) so
   * the trace can hide it.  @truncated: an overlong line, only its start. */
  char                   *line;
  char                   *verb;
  gboolean                secret;
  gboolean                truncated;

  /* REPLY: @code, @enhanced ("2.1.0"; NULL where RFC 2034 §4 exempts:
   * the greeting, EHLO/HELO and 3xx replies), @text (the text of every
   * line, '\n'-separated, without code prefixes).  @wire: the exact bytes. */
  guint                   code;
  char                   *enhanced;
  char                   *text;
  GBytes                 *wire;

  /* STATE_CHANGED */
  MscSmtpServerState      old_state;
  MscSmtpServerState      new_state;

  /* AUTHENTICATED: @user and @mechanism.  MESSAGE: @user is the
   * authenticated submitter, or NULL. */
  char                   *user;
  char                   *mechanism;

  /* MESSAGE: the envelope and the text after dot-unstuffing.  The text is
   * byte for byte what the client sent, except that bare-LF line ends are
   * stored as CRLF.  @received is the complete trace header field
   * (RFC 5321 §4.4, with its CRLF) to put in front of it. */
  char                   *reverse_path;  /* "" for the null path <> */
  GPtrArray              *recipients;    /* of MscSmtpRecipient */
  GBytes                 *message;
  char                   *received;
  gboolean                smtputf8;
  gboolean                body_8bitmime;

  /* CLOSED: NULL after QUIT, else why the server ended the session. */
  GError                 *error;
} MscSmtpServerEvent;

GQuark              msc_smtp_server_error_quark          (void);
const char         *msc_smtp_server_state_get_name       (MscSmtpServerState     state);
const char         *msc_smtp_server_event_kind_get_name  (MscSmtpServerEventKind kind);
void                msc_smtp_server_event_free           (MscSmtpServerEvent    *event);

MscSmtpServer      *msc_smtp_server_new                  (const MscSmtpServerConfig *config,
                                                          MscDirectory              *directory);

/* Queues the 220 greeting.  Call once, before feeding. */
void                msc_smtp_server_start                (MscSmtpServer  *self);

/* Plaintext bytes from the client.  Consumes all of them.  Returns FALSE
 * only when the server ended the session abnormally during this call or
 * the session was already over; the output may then still hold a final
 * reply to send before closing.  A QUIT is a normal end: TRUE, and
 * is_closed() becomes TRUE. */
gboolean            msc_smtp_server_feed                 (MscSmtpServer  *self,
                                                          const guint8   *data,
                                                          gsize           len,
                                                          GError        **error);

/* The bytes to send, in order; NULL when there are none. */
GBytes             *msc_smtp_server_take_output          (MscSmtpServer  *self);

/* The next event, oldest first; NULL when there are none. */
MscSmtpServerEvent *msc_smtp_server_next_event           (MscSmtpServer  *self);

/* Time, in microseconds since the Unix epoch (virtual in lessons).  It
 * dates the Received field and drives the timeouts; feed(), start(),
 * tls_started() and message_done() count as activity at this time. */
void                msc_smtp_server_set_now              (MscSmtpServer  *self,
                                                          gint64          now_usec);
/* When check_timeout() will fire, or -1 when no timer runs (before
 * start(), during the TLS handshake, while the store works, closed). */
gint64              msc_smtp_server_get_deadline         (MscSmtpServer  *self);
/* TRUE when the timeout expired: 421 4.4.2 is queued and the session closed. */
gboolean            msc_smtp_server_check_timeout        (MscSmtpServer  *self);

/* After the STARTTLS event, send the pending output (the 220) in
 * plaintext, run the handshake, then call this.  Bytes fed in between are
 * discarded (CVE-2011-0411). */
void                msc_smtp_server_tls_started          (MscSmtpServer  *self);

/* The MESSAGE event's mail is durably stored (@error NULL), or not.  Only
 * then is the final reply to DATA sent, and pipelined commands read on. */
void                msc_smtp_server_message_done         (MscSmtpServer  *self,
                                                          const GError   *error);

MscSmtpServerState  msc_smtp_server_get_state            (MscSmtpServer  *self);
/* FALSE while the server waits on the layer around it (TLS handshake,
 * store) or is closed: a driver should stop reading until it is TRUE. */
gboolean            msc_smtp_server_want_read            (MscSmtpServer  *self);
gboolean            msc_smtp_server_is_closed            (MscSmtpServer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscSmtpServerEvent, msc_smtp_server_event_free)

G_END_DECLS
