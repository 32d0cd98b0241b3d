/* msc-imap-server.h — the IMAP server engine (RFC 3501 with IDLE, UIDPLUS,
 * MOVE, NAMESPACE, ID, SPECIAL-USE, LITERAL+, ENABLE, UNSELECT, CHILDREN,
 * SASL-IR), sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-imap-parser.h"
#include "msc-mail-store.h"

G_BEGIN_DECLS

#define MSC_TYPE_IMAP_SERVER (msc_imap_server_get_type ())

G_DECLARE_FINAL_TYPE (MscImapServer, msc_imap_server, MSC, IMAP_SERVER, GObject)

#define MSC_IMAP_SERVER_ERROR (msc_imap_server_error_quark ())

/* Every code is fatal: the session is over (is_closed() is TRUE) and any
 * final "* BYE" is already queued in the output.  A LOGOUT is a normal
 * end and has no error. */
typedef enum
{
  MSC_IMAP_SERVER_ERROR_CLOSED,           /* bytes fed after the session ended */
  MSC_IMAP_SERVER_ERROR_TIMEOUT,          /* RFC 3501 §5.4 autologout: "* BYE" sent */
  MSC_IMAP_SERVER_ERROR_TOO_MANY_ERRORS,  /* config.max_errors reached: "* BYE" sent */
  MSC_IMAP_SERVER_ERROR_PROTOCOL,         /* input the session cannot read past (a
                                           * {n+} literal over the limit): "* BYE" sent */
  MSC_IMAP_SERVER_ERROR_MAILBOX_GONE,     /* the selected mailbox was deleted by
                                           * someone else: "* BYE" sent */
  MSC_IMAP_SERVER_ERROR_ABORTED,          /* msc_imap_server_abort(): the connection dropped */
} MscImapServerError;

/* A zero field means the documented default.  Strings are copied. */
typedef struct
{
  const char          *hostname;            /* required: the greeting and BYE texts */
  /* Handed to the parser: a command's line length, its literals, nesting
   * and values.  A zero field is the parser's default (64 KiB lines, 64 MiB
   * of literals, depth 64, 10000 values). */
  MscImapParserLimits  limits;
  guint                max_errors;          /* BAD responses and failed logins before
                                             * "* BYE"; default 20 */
  gboolean             tls_active;          /* implicit TLS from the start (port 993) */
  gboolean             tls_available;       /* offer STARTTLS (RFC 3501 §6.2.1) */
  gboolean             allow_insecure_auth; /* LOGIN and AUTHENTICATE PLAIN without TLS
                                             * (teaching only; RFC 3501 §6.2.3) */
  gint64               autologout_usec;     /* RFC 3501 §5.4: default and minimum 30 min,
                                             * also while in IDLE (RFC 2177) */
} MscImapServerConfig;

/* One enum, one names table, one setter: every transition is an event.
 * NOT_AUTHENTICATED, AUTHENTICATED, SELECTED and LOGOUT are RFC 3501 §3's
 * states; the others say what the engine waits for. */
typedef enum
{
  MSC_IMAP_SERVER_STATE_GREETING,           /* created; start() not called yet */
  MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED,
  MSC_IMAP_SERVER_STATE_AUTHENTICATE,       /* in an AUTHENTICATE exchange: the next
                                             * line is a SASL response */
  MSC_IMAP_SERVER_STATE_STARTTLS,           /* OK sent: waiting for tls_started() */
  MSC_IMAP_SERVER_STATE_AUTHENTICATED,
  MSC_IMAP_SERVER_STATE_SELECTED,
  MSC_IMAP_SERVER_STATE_IDLE,               /* "+ idling" sent: waiting for DONE
                                             * (RFC 2177), store changes go out at once */
  MSC_IMAP_SERVER_STATE_LOGOUT,             /* "* BYE" sent */
  MSC_IMAP_SERVER_STATE_CLOSED,
  MSC_IMAP_SERVER_N_STATES
} MscImapServerState;

typedef enum
{
  MSC_IMAP_SERVER_EVENT_COMMAND,
  MSC_IMAP_SERVER_EVENT_RESPONSE,
  MSC_IMAP_SERVER_EVENT_STARTTLS,
  MSC_IMAP_SERVER_EVENT_STATE_CHANGED,
  MSC_IMAP_SERVER_EVENT_AUTHENTICATED,
  MSC_IMAP_SERVER_EVENT_IDLE_STARTED,
  MSC_IMAP_SERVER_EVENT_IDLE_ENDED,
  MSC_IMAP_SERVER_EVENT_CLOSED,
  MSC_IMAP_SERVER_N_EVENT_KINDS
} MscImapServerEventKind;

typedef enum
{
  MSC_IMAP_SERVER_RESPONSE_UNTAGGED,      /* "* …": data, or a status (OK, NO, BAD, BYE) */
  MSC_IMAP_SERVER_RESPONSE_OK,            /* "<tag> OK" */
  MSC_IMAP_SERVER_RESPONSE_NO,            /* "<tag> NO" */
  MSC_IMAP_SERVER_RESPONSE_BAD,           /* "<tag> BAD" */
  MSC_IMAP_SERVER_RESPONSE_CONTINUATION,  /* "+ …" */
  MSC_IMAP_SERVER_N_RESPONSE_KINDS
} MscImapServerResponseKind;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscImapServerEventKind     kind;

  /* COMMAND: what the client sent, accepted or not: a command, a SASL
   * response, IDLE's DONE, or a line that is not IMAP.  @tag is NULL for
   * the last three.  @name is upper-cased ("FETCH"; "UID" for UID FETCH and
   * the others, then @subcommand is "FETCH"; "DONE"), NULL for a SASL
   * response and an unreadable line.  @line is valid UTF-8 for display
   * (controls as U+FFFD, literals included, the final CRLF left out).
   * @secret marks credentials (LOGIN, AUTHENTICATE with an initial
   * response, a SASL response) so the trace can hide them.  @wire is the
   * exact bytes, literals and line ends included.  A command with a
   * synchronizing literal {n} comes in parts, as on the wire: each part up
   * to a "+" continuation request is a COMMAND event with @incomplete set,
   * the last part (from a literal on) one without. */
  char                      *tag;
  char                      *name;
  char                      *subcommand;
  char                      *line;
  gboolean                   secret;
  gboolean                   incomplete;

  /* RESPONSE: one response, its literals included.  @tag for a tagged
   * response.  @name is "OK", "NO", "BAD", "BYE" for a status, else the
   * response ("EXISTS", "FETCH", "LIST"…), NULL for a continuation;
   * @number is the message number of "* 3 EXPUNGE" when @has_number.
   * @code is the response code's atom without brackets ("UIDVALIDITY",
   * "TRYCREATE"), @code_data what follows it ("3857529045"), or NULL.
   * @text is the human-readable text of a status or continuation, or the
   * data of any other response for display.  @wire (shared with COMMAND):
   * the exact bytes. */
  MscImapServerResponseKind  response;
  gboolean                   has_number;
  guint32                    number;
  char                      *code;
  char                      *code_data;
  char                      *text;
  GBytes                    *wire;

  /* STATE_CHANGED */
  MscImapServerState         old_state;
  MscImapServerState         new_state;

  /* AUTHENTICATED: @user as the store knows the account, and @mechanism:
   * "LOGIN" or a SASL mechanism ("PLAIN").  IDLE_STARTED and IDLE_ENDED
   * have the IDLE command's @tag. */
  char                      *user;
  char                      *mechanism;

  /* CLOSED: NULL after LOGOUT, else why the session ended. */
  GError                    *error;
} MscImapServerEvent;

GQuark              msc_imap_server_error_quark             (void);
const char         *msc_imap_server_state_get_name          (MscImapServerState        state);
const char         *msc_imap_server_event_kind_get_name     (MscImapServerEventKind    kind);
const char         *msc_imap_server_response_kind_get_name  (MscImapServerResponseKind kind);
void                msc_imap_server_event_free              (MscImapServerEvent       *event);

/* The engine holds @store and listens to its signals (it never emits
 * any): changes other sessions, the SMTP server or the UI make to the
 * selected mailbox are reported to the client as EXISTS, EXPUNGE and
 * FETCH (FLAGS) where RFC 3501 §5.2 and §7.4.1 allow, and at once while
 * the client is in IDLE.  A store change can therefore queue output
 * while no bytes are fed: after changing the store, a driver should
 * check every engine with has_output() (or call take_output()) and send
 * what is there. */
MscImapServer      *msc_imap_server_new                     (const MscImapServerConfig *config,
                                                             MscMailStore              *store);

/* Queues the "* OK [CAPABILITY …]" greeting.  Call once, before feeding. */
void                msc_imap_server_start                   (MscImapServer  *self);

/* Plaintext bytes from the client.  Consumes all of them.  Returns FALSE
 * only when the session ended abnormally during this call or was already
 * over; the output may then still hold a final "* BYE" to send before
 * closing.  A LOGOUT is a normal end: TRUE, and is_closed() is TRUE. */
gboolean            msc_imap_server_feed                    (MscImapServer  *self,
                                                             const guint8   *data,
                                                             gsize           len,
                                                             GError        **error);

/* The bytes to send, in order; NULL when there are none. */
GBytes             *msc_imap_server_take_output             (MscImapServer  *self);
/* Whether take_output() would return something: after a store change,
 * a client in IDLE (or a "* BYE") may be waiting for bytes. */
gboolean            msc_imap_server_has_output              (MscImapServer  *self);

/* The next event, oldest first; NULL when there are none. */
MscImapServerEvent *msc_imap_server_next_event              (MscImapServer  *self);

/* Time, in microseconds since the Unix epoch (virtual in lessons).  It
 * drives the autologout timer and is the internal date of an APPEND
 * without one; feed(), start() and tls_started() count as activity. */
void                msc_imap_server_set_now                 (MscImapServer  *self,
                                                             gint64          now_usec);
/* When check_timeout() will fire, or -1 when no timer runs (before
 * start(), during the TLS handshake, closed). */
gint64              msc_imap_server_get_deadline            (MscImapServer  *self);
/* TRUE when the autologout timer expired (RFC 3501 §5.4): a client that
 * sent nothing, or stopped in the middle of a command or a literal, gets
 * "* BYE Autologout; idle for too long" and the session closes. */
gboolean            msc_imap_server_check_timeout           (MscImapServer  *self);

/* After the STARTTLS event, send the pending output (the tagged OK) in
 * plaintext, run the handshake, then call this.  Bytes fed in between are
 * discarded (CVE-2011-0411). */
void                msc_imap_server_tls_started             (MscImapServer  *self);

/* The connection dropped: the session ends without output.  Finalizing
 * the engine does the same without raising events.  Nothing happens if
 * the session is over. */
void                msc_imap_server_abort                   (MscImapServer  *self);

MscImapServerState  msc_imap_server_get_state               (MscImapServer  *self);
/* FALSE during the TLS handshake and once closed: a driver should stop
 * reading until it is TRUE. */
gboolean            msc_imap_server_want_read               (MscImapServer  *self);
gboolean            msc_imap_server_is_closed               (MscImapServer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscImapServerEvent, msc_imap_server_event_free)

G_END_DECLS
