/* msc-pop3-server.h — the POP3 server engine (RFC 1939, 2449, 2595, 5034),
 * sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-mail-store.h"

G_BEGIN_DECLS

#define MSC_TYPE_POP3_SERVER (msc_pop3_server_get_type ())

G_DECLARE_FINAL_TYPE (MscPop3Server, msc_pop3_server, MSC, POP3_SERVER, GObject)

#define MSC_POP3_SERVER_ERROR (msc_pop3_server_error_quark ())

/* Every code is fatal: the session is over (is_closed() is TRUE) and the
 * maildrop lock is released.  Only UPDATE_FAILED follows a QUIT; in every
 * other case the session never entered the UPDATE state, so nothing was
 * deleted.  Any final response is already queued in the output. */
typedef enum
{
  MSC_POP3_SERVER_ERROR_CLOSED,           /* bytes fed after the session ended */
  MSC_POP3_SERVER_ERROR_TIMEOUT,          /* RFC 1939 §3 autologout */
  MSC_POP3_SERVER_ERROR_TOO_MANY_ERRORS,  /* config.max_errors reached */
  MSC_POP3_SERVER_ERROR_ABORTED,          /* msc_pop3_server_abort(): the connection dropped */
  MSC_POP3_SERVER_ERROR_UPDATE_FAILED,    /* QUIT could not remove every deleted message */
} MscPop3ServerError;

/* A zero field means the documented default.  Strings are copied. */
typedef struct
{
  const char *hostname;            /* required: the greeting, the APOP timestamp, QUIT */
  gsize       max_line_length;     /* a command, its CRLF included; default 512, twice
                                    * the 255 of RFC 2449 §4.  SASL responses may be
                                    * longer (RFC 5034 §4): at least 2048 for them */
  guint       max_errors;          /* -ERR replies the client caused before closing; default 20 */
  gboolean    tls_active;          /* implicit TLS from the start (port 995) */
  gboolean    tls_available;       /* offer STLS (RFC 2595) */
  gboolean    allow_insecure_auth; /* USER/PASS, APOP and AUTH without TLS (teaching only) */
  /* The APOP timestamp <pid.clock@hostname> (RFC 1939 §7) must differ in
   * every greeting: the driver passes a process id and a counter or clock
   * reading here, so a lesson replays the same trace. */
  guint       apop_pid;
  guint64     apop_clock;
  gint64      autologout_usec;     /* RFC 1939 §3; default and minimum 10 min */
} MscPop3ServerConfig;

/* One enum, one names table, one setter: every transition is an event.
 * AUTHORIZATION, TRANSACTION and UPDATE are RFC 1939's states; the others
 * say what the engine waits for. */
typedef enum
{
  MSC_POP3_SERVER_STATE_GREETING,       /* created; start() not called yet */
  MSC_POP3_SERVER_STATE_AUTHORIZATION,  /* greeted: USER/PASS, APOP, AUTH, STLS, CAPA, QUIT */
  MSC_POP3_SERVER_STATE_SASL,           /* in an AUTH exchange: lines are SASL responses */
  MSC_POP3_SERVER_STATE_STLS,           /* +OK sent: waiting for tls_started() */
  MSC_POP3_SERVER_STATE_TRANSACTION,    /* the maildrop is locked and numbered */
  MSC_POP3_SERVER_STATE_UPDATE,         /* QUIT: deleted messages being removed */
  MSC_POP3_SERVER_STATE_CLOSED,
  MSC_POP3_SERVER_N_STATES
} MscPop3ServerState;

typedef enum
{
  MSC_POP3_SERVER_EVENT_COMMAND,
  MSC_POP3_SERVER_EVENT_REPLY,
  MSC_POP3_SERVER_EVENT_STARTTLS,
  MSC_POP3_SERVER_EVENT_STATE_CHANGED,
  MSC_POP3_SERVER_EVENT_AUTHENTICATED,
  MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED,
  MSC_POP3_SERVER_EVENT_CLOSED,
  MSC_POP3_SERVER_N_EVENT_KINDS
} MscPop3ServerEventKind;

typedef enum
{
  MSC_POP3_SERVER_REPLY_OK,        /* "+OK" */
  MSC_POP3_SERVER_REPLY_ERR,       /* "-ERR" */
  MSC_POP3_SERVER_REPLY_CONTINUE,  /* "+ " and a SASL challenge (RFC 5034 §4) */
} MscPop3ServerReplyStatus;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscPop3ServerEventKind    kind;

  /* COMMAND: a line from the client, whether accepted or not.  @line is
   * valid UTF-8 for display (NUL and invalid bytes shown as U+FFFD);
   * @wire is the exact bytes, line end included.  @verb is upper-cased,
   * NULL for SASL responses and unparsable lines.  @secret marks a line
   * carrying credentials (PASS, APOP, an AUTH initial response, a SASL
   * response) so the trace can hide it.  @truncated: an overlong line,
   * only its start. */
  char                     *line;
  char                     *verb;
  gboolean                  secret;
  gboolean                  truncated;

  /* REPLY: @status; @code is the extended response code without its
   * brackets ("IN-USE", "SYS/TEMP"; RFC 2449 §8, RFC 3206), or NULL;
   * @text is the first line after the status indicator and the code;
   * @multiline says a body and ".\r\n" follow it.  @wire (shared with
   * COMMAND): the exact bytes, body and byte-stuffing included. */
  MscPop3ServerReplyStatus  status;
  char                     *code;
  char                     *text;
  gboolean                  multiline;
  GBytes                   *wire;

  /* STATE_CHANGED */
  MscPop3ServerState        old_state;
  MscPop3ServerState        new_state;

  /* AUTHENTICATED: @user as the client gave it, and @mechanism: "USER"
   * (USER/PASS), "APOP" or a SASL mechanism ("PLAIN").  MAILDROP_UPDATED:
   * the same @user. */
  char                     *user;
  char                     *mechanism;

  /* MAILDROP_UPDATED: the UPDATE state ran (RFC 1939 §6).  @expunged holds
   * the UIDs (guint32) it removed from the INBOX, ascending, possibly
   * none; @uid_validity is the INBOX's. */
  GArray                   *expunged;
  guint32                   uid_validity;

  /* CLOSED: NULL after a QUIT that removed what it had to, else why the
   * session ended. */
  GError                   *error;
} MscPop3ServerEvent;

GQuark              msc_pop3_server_error_quark          (void);
const char         *msc_pop3_server_state_get_name       (MscPop3ServerState     state);
const char         *msc_pop3_server_event_kind_get_name  (MscPop3ServerEventKind kind);
void                msc_pop3_server_event_free           (MscPop3ServerEvent    *event);

/* The maildrop is the INBOX of the account that logs in.  The engine
 * holds @store, takes the account's maildrop lock at login and releases
 * it when the session ends or the engine is finalized. */
MscPop3Server      *msc_pop3_server_new                  (const MscPop3ServerConfig *config,
                                                          MscMailStore              *store);

/* Queues the +OK greeting.  Call once, before feeding. */
void                msc_pop3_server_start                (MscPop3Server  *self);

/* Plaintext bytes from the client.  Consumes all of them.  Returns FALSE
 * only when the session ended abnormally during this call or was already
 * over; the output may then still hold a final response to send before
 * closing.  A QUIT whose UPDATE succeeded is a normal end: TRUE, and
 * is_closed() becomes TRUE. */
gboolean            msc_pop3_server_feed                 (MscPop3Server  *self,
                                                          const guint8   *data,
                                                          gsize           len,
                                                          GError        **error);

/* The bytes to send, in order; NULL when there are none. */
GBytes             *msc_pop3_server_take_output          (MscPop3Server  *self);

/* The next event, oldest first; NULL when there are none. */
MscPop3ServerEvent *msc_pop3_server_next_event           (MscPop3Server  *self);

/* Time, in microseconds since the Unix epoch (virtual in lessons).  It
 * drives the autologout timer; feed(), start() and tls_started() count as
 * activity at this time. */
void                msc_pop3_server_set_now              (MscPop3Server  *self,
                                                          gint64          now_usec);
/* When check_timeout() will fire, or -1 when no timer runs (before
 * start(), during the TLS handshake, closed). */
gint64              msc_pop3_server_get_deadline         (MscPop3Server  *self);
/* TRUE when the autologout timer expired.  RFC 1939 §3: the session
 * closes without a response and without entering UPDATE, so nothing is
 * deleted. */
gboolean            msc_pop3_server_check_timeout        (MscPop3Server  *self);

/* After the STARTTLS event, send the pending output (the +OK) in
 * plaintext, run the handshake, then call this.  Bytes fed in between are
 * discarded (CVE-2011-0411). */
void                msc_pop3_server_tls_started          (MscPop3Server  *self);

/* The connection dropped: the session ends without UPDATE, so nothing is
 * deleted, and the lock is released.  Finalizing the engine does the same
 * without raising events.  Nothing happens if the session is over. */
void                msc_pop3_server_abort                (MscPop3Server  *self);

MscPop3ServerState  msc_pop3_server_get_state            (MscPop3Server  *self);
/* FALSE during the TLS handshake and once closed: a driver should stop
 * reading until it is TRUE. */
gboolean            msc_pop3_server_want_read            (MscPop3Server  *self);
gboolean            msc_pop3_server_is_closed            (MscPop3Server  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscPop3ServerEvent, msc_pop3_server_event_free)

G_END_DECLS
