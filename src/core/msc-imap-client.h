/* msc-imap-client.h — the IMAP client engine (RFC 3501 with IDLE, UIDPLUS,
 * MOVE, SPECIAL-USE and LITERAL+) of a mail app that keeps its device in
 * sync with the server, sans-IO
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-device-store.h"
#include "msc-imap-parser.h"

G_BEGIN_DECLS

#define MSC_TYPE_IMAP_CLIENT (msc_imap_client_get_type ())

G_DECLARE_FINAL_TYPE (MscImapClient, msc_imap_client, MSC, IMAP_CLIENT, GObject)

#define MSC_IMAP_CLIENT_ERROR (msc_imap_client_error_quark ())

/* The codes above the line end the session: the outcome (DONE) carries
 * them.  Codes marked "close" end it at once, without LOGOUT, and feed(),
 * check_timeout() or peer_closed() report them; after the others the
 * client still says LOGOUT politely.  The codes below the line are what
 * one user action met (ACTION_DONE): the session goes on. */
typedef enum
{
  MSC_IMAP_CLIENT_ERROR_CLOSED,              /* bytes fed after the session ended */
  MSC_IMAP_CLIENT_ERROR_TIMEOUT,             /* close: the server stopped answering */
  MSC_IMAP_CLIENT_ERROR_CONNECTION_LOST,     /* close: the server hung up before LOGOUT */
  MSC_IMAP_CLIENT_ERROR_PROTOCOL,            /* close: a response that is not IMAP, or out of turn */
  MSC_IMAP_CLIENT_ERROR_TOO_BIG,             /* close: a response past max_line_length or
                                              * max_message_size */
  MSC_IMAP_CLIENT_ERROR_SERVICE_UNAVAILABLE, /* close: a BYE greeting */
  MSC_IMAP_CLIENT_ERROR_SERVER_BYE,          /* close: BYE during the session (shutdown,
                                              * autologout) */
  MSC_IMAP_CLIENT_ERROR_TLS_UNAVAILABLE,     /* encryption required, STARTTLS missing or
                                              * refused, or a plaintext PREAUTH */
  MSC_IMAP_CLIENT_ERROR_AUTH_INSECURE,       /* the password would travel unencrypted */
  MSC_IMAP_CLIENT_ERROR_LOGIN_DISABLED,      /* LOGINDISABLED and no AUTH=PLAIN */
  MSC_IMAP_CLIENT_ERROR_AUTH_FAILED,         /* LOGIN or AUTHENTICATE refused */
  MSC_IMAP_CLIENT_ERROR_SERVER_FAILURE,      /* [UNAVAILABLE] (RFC 5530): try later */
  MSC_IMAP_CLIENT_ERROR_MAILBOX_MISSING,     /* SELECT refused, or a folder to sync not listed */
  MSC_IMAP_CLIENT_ERROR_NO_UIDVALIDITY,      /* SELECT without UIDVALIDITY: no UIDs to sync by */
  MSC_IMAP_CLIENT_ERROR_COMMAND_FAILED,      /* CAPABILITY, LIST or a sync FETCH refused */
  /* ---- actions ---- */
  MSC_IMAP_CLIENT_ERROR_ACTION_REFUSED,      /* the server answered NO or BAD */
  MSC_IMAP_CLIENT_ERROR_NO_SUCH_MESSAGE,     /* not on the server (any more), or from an
                                              * earlier UIDVALIDITY */
  MSC_IMAP_CLIENT_ERROR_NO_SUCH_FOLDER,      /* no Trash, no Sent, or no such target */
  MSC_IMAP_CLIENT_ERROR_NOT_DONE,            /* the session ended before the action ran */
} MscImapClientError;

typedef enum
{
  MSC_IMAP_CLIENT_TLS_NONE,                 /* plaintext (port 143), even when STARTTLS is offered */
  MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED,    /* STARTTLS (RFC 3501 §6.2.1), or fail */
  MSC_IMAP_CLIENT_TLS_STARTTLS_IF_OFFERED,  /* opportunistic: plaintext when not offered */
  MSC_IMAP_CLIENT_TLS_IMPLICIT,             /* the layer around encrypts from the start (993) */
} MscImapClientTlsMode;

/* What the user does on the device; the session carries it to the server. */
typedef enum
{
  MSC_IMAP_CLIENT_ACTION_MARK_READ,    /* UID STORE +FLAGS (\Seen) */
  MSC_IMAP_CLIENT_ACTION_MARK_UNREAD,  /* UID STORE -FLAGS (\Seen) */
  MSC_IMAP_CLIENT_ACTION_FLAG,         /* UID STORE +FLAGS (\Flagged) */
  MSC_IMAP_CLIENT_ACTION_UNFLAG,       /* UID STORE -FLAGS (\Flagged) */
  MSC_IMAP_CLIENT_ACTION_DELETE,       /* to Trash; from Trash, for good */
  MSC_IMAP_CLIENT_ACTION_MOVE,         /* to another mailbox */
  MSC_IMAP_CLIENT_ACTION_OPEN,         /* fetch the body if needed, and mark read */
  MSC_IMAP_CLIENT_ACTION_APPEND_SENT,  /* keep a copy of a sent message in Sent */
  MSC_IMAP_CLIENT_N_ACTIONS
} MscImapClientActionKind;

/* Strings and bytes are copied or referenced. */
typedef struct
{
  MscImapClientActionKind  kind;
  const char              *key;      /* the device store key: all but APPEND_SENT */
  const char              *folder;   /* MOVE: the target mailbox's name on the server, UTF-8 */
  GBytes                  *message;  /* APPEND_SENT: RFC 5322 text, CRLF line ends */
} MscImapClientAction;

/* A zero field means the documented default.  Strings are copied.
 *
 * After the sync the session either idles (IDLE, when @use_idle and the
 * server offers it: new mail is fetched the moment the server reports it),
 * or polls (every @poll_interval_usec of virtual time it sends NOOP, the
 * poll RFC 3501 §6.1.2 recommends, and fetches what that reports), or,
 * with neither, logs out.  The client owns these timers: get_deadline()
 * says when it wants check_timeout() called, and the driver needs nothing
 * else to poll or to renew IDLE. */
typedef struct
{
  const char                 *user;                    /* required: UTF-8, no CR, LF or NUL */
  const char                 *password;                /* required: UTF-8, no CR, LF or NUL */
  MscImapClientTlsMode        tls_mode;
  gboolean                    allow_auth_without_tls;  /* send a password in plaintext (teaching) */

  gboolean                    use_idle;                /* push (RFC 2177) when offered */
  gint64                      poll_interval_usec;      /* else poll; 0: log out after the sync */
  gint64                      idle_renew_usec;         /* DONE and IDLE again; default 29 min
                                                        * (RFC 2177 §3) */

  gboolean                    headers_only_first;      /* new mail as headers, the body on OPEN */
  gboolean                    open_with_peek;          /* OPEN fetches BODY.PEEK[] then stores
                                                        * \Seen, instead of BODY[] (which sets it) */
  /* More mailboxes to mirror besides INBOX, by UTF-8 name or by special
   * use ("\\Sent", "\\Trash", RFC 6154); NULL-terminated, may be NULL.
   * They are synced first, INBOX last: INBOX stays selected to idle on. */
  const char * const         *folders;

  const MscImapClientAction  *actions;                 /* queued at once, in order */
  guint                       n_actions;

  /* Limits on what the server sends */
  gsize                       max_line_length;         /* one response, literals aside; default 64 KiB */
  gsize                       max_message_size;        /* the literals of one response; default 64 MiB */
  gint64                      timeout_usec;            /* waiting for a response; default 60 s */
} MscImapClientConfig;

/* One enum, one names table, one setter: every transition is an event.
 * A waiting state is named after what it waits for. */
typedef enum
{
  MSC_IMAP_CLIENT_STATE_CONNECT,        /* created; start() not called yet */
  MSC_IMAP_CLIENT_STATE_GREETING,
  MSC_IMAP_CLIENT_STATE_CAPABILITY,
  MSC_IMAP_CLIENT_STATE_STARTTLS,
  MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE,  /* STARTTLS event raised: waiting for tls_started() */
  MSC_IMAP_CLIENT_STATE_LOGIN,          /* LOGIN or AUTHENTICATE PLAIN */
  MSC_IMAP_CLIENT_STATE_LIST,
  MSC_IMAP_CLIENT_STATE_SELECT,
  MSC_IMAP_CLIENT_STATE_RESYNC,         /* UID FETCH 1:n (FLAGS): what is still there, how flagged */
  MSC_IMAP_CLIENT_STATE_FETCH,          /* UID FETCH of new (and missing) messages */
  MSC_IMAP_CLIENT_STATE_ACTION,         /* carrying out what the user did */
  MSC_IMAP_CLIENT_STATE_IDLE,
  MSC_IMAP_CLIENT_STATE_POLL,           /* waiting for the next poll, or its NOOP */
  MSC_IMAP_CLIENT_STATE_LOGOUT,
  MSC_IMAP_CLIENT_STATE_CLOSED,
  MSC_IMAP_CLIENT_N_STATES
} MscImapClientState;

typedef enum
{
  MSC_IMAP_CLIENT_EVENT_COMMAND,
  MSC_IMAP_CLIENT_EVENT_RESPONSE,
  MSC_IMAP_CLIENT_EVENT_STATE_CHANGED,
  MSC_IMAP_CLIENT_EVENT_STARTTLS,
  MSC_IMAP_CLIENT_EVENT_SYNCED,
  MSC_IMAP_CLIENT_EVENT_MESSAGE_ADDED,
  MSC_IMAP_CLIENT_EVENT_MESSAGE_CHANGED,
  MSC_IMAP_CLIENT_EVENT_MESSAGE_REMOVED,
  MSC_IMAP_CLIENT_EVENT_ACTION_DONE,
  MSC_IMAP_CLIENT_EVENT_IDLE_STARTED,
  MSC_IMAP_CLIENT_EVENT_IDLE_ENDED,
  MSC_IMAP_CLIENT_EVENT_DONE,
  MSC_IMAP_CLIENT_EVENT_CLOSED,
  MSC_IMAP_CLIENT_N_EVENT_KINDS
} MscImapClientEventKind;

/* What the session did to the device.  The counts are true even when it
 * failed: what was mirrored before the failure stays mirrored. */
typedef struct
{
  gboolean  success;
  gboolean  transient;         /* a failure a later session may not meet */
  guint     n_added;           /* messages that came to the device */
  guint     n_changed;         /* flag and body changes mirrored */
  guint     n_removed;         /* expunged on the server, or of an old UIDVALIDITY */
  guint     n_actions_done;
  guint     n_actions_failed;  /* NOT_DONE included */
  GError   *error;             /* NULL on success; a message for the user, translated */
} MscImapClientOutcome;

/* Fields not listed for an event's kind are zero/NULL. */
typedef struct
{
  MscImapClientEventKind  kind;

  /* COMMAND: what went out at once, @line without its final CRLF.  A
   * command with a synchronizing literal goes out in pieces, one event
   * each: the first with the @tag, the command line up to "{n}"; the
   * others (@continued) after the server's "+": the literal and the rest
   * of the line, a SASL response, or IDLE's "DONE" (@tag is the IDLE
   * command's).  @secret for credentials (LOGIN, AUTHENTICATE), so the
   * trace can hide them; @wire is the exact bytes. */
  char                   *tag;
  char                   *line;
  gboolean                continued;
  gboolean                secret;
  GBytes                 *wire;

  /* RESPONSE: @response_kind UNTAGGED, TAGGED or CONTINUATION; @tag for
   * a tagged one; @name upper-cased ("OK", "NO", "BAD", "BYE", "PREAUTH",
   * "FETCH", "EXISTS", "LIST", …; NULL for a continuation); @number for
   * "* 23 EXISTS"; @code (upper-cased, without brackets) and @code_text
   * (what followed it); @text the human-readable text of a status or
   * continuation; @wire every byte of it, literals included. */
  MscImapItemKind         response_kind;
  char                   *name;
  gboolean                has_number;
  guint32                 number;
  char                   *code;
  char                   *code_text;
  char                   *text;

  /* STATE_CHANGED */
  MscImapClientState      old_state;
  MscImapClientState      new_state;

  /* SYNCED: @mailbox (UTF-8) is mirrored, after its SELECT, or after an
   * update while idling or polling.  @n_messages on the server;
   * @n_added, @n_changed, @n_removed since the previous SYNCED; @reset
   * when its UIDVALIDITY changed and the local copies were dropped.
   * IDLE_STARTED and IDLE_ENDED: @mailbox. */
  char                   *mailbox;
  guint                   n_messages;
  guint                   n_added;
  guint                   n_changed;
  guint                   n_removed;
  gboolean                reset;

  /* MESSAGE_ADDED, _CHANGED, _REMOVED: the device store changed because
   * of the server (its own signals fire too).  @key, @folder (the device
   * folder), @flags and @complete as they are now (as they were for
   * REMOVED); @size is RFC822.SIZE when ADDED, the full size even of a
   * headers-only copy (0 when the server did not say). */
  char                   *key;
  char                   *folder;
  MscDeviceFlags          flags;
  gboolean                complete;
  gsize                   size;

  /* ACTION_DONE: @action_id from queue_action(), @action, @key (the
   * message acted on; NULL for APPEND_SENT), @new_key where it lives now
   * when the server said (COPYUID, APPENDUID: RFC 4315), and @error NULL
   * on success. */
  guint                   action_id;
  MscImapClientActionKind action;
  char                   *new_key;

  /* DONE: raised once, when the session ends. */
  MscImapClientOutcome   *outcome;

  /* ACTION_DONE: why it failed.  CLOSED: NULL after LOGOUT, else why
   * the session ended. */
  GError                 *error;
} MscImapClientEvent;

GQuark                      msc_imap_client_error_quark          (void);
const char                 *msc_imap_client_state_get_name       (MscImapClientState      state);
const char                 *msc_imap_client_event_kind_get_name  (MscImapClientEventKind  kind);
const char                 *msc_imap_client_action_kind_get_name (MscImapClientActionKind kind);
void                        msc_imap_client_event_free           (MscImapClientEvent     *event);
MscImapClientOutcome       *msc_imap_client_outcome_copy         (const MscImapClientOutcome *outcome);
void                        msc_imap_client_outcome_free         (MscImapClientOutcome   *outcome);

/* The device store key of a message: "mailbox/uidvalidity/uid", the
 * mailbox in UTF-8 ("INBOX" for the inbox).  The mailbox may hold "/":
 * parse from the right. */
char                       *msc_imap_client_make_key             (const char             *mailbox,
                                                                  guint32                 uidvalidity,
                                                                  guint32                 uid);
gboolean                    msc_imap_client_parse_key            (const char             *key,
                                                                  char                  **out_mailbox,
                                                                  guint32                *out_uidvalidity,
                                                                  guint32                *out_uid);

/* Mirrors into @store: INBOX into its Inbox, the Trash mailbox (\Trash,
 * else one named Trash, Deleted Items or Deleted Messages) into its
 * Trash, any other mailbox into a folder of the mailbox's UTF-8 name,
 * created when needed.  Per-mailbox UIDVALIDITY and highest UID live in
 * @store too (msc_device_store_get_mailbox_state()). */
MscImapClient              *msc_imap_client_new                  (const MscImapClientConfig *config,
                                                                  MscDeviceStore            *store);

/* The connection is up (and, with TLS_IMPLICIT, encrypted): the wait for
 * the greeting starts.  Call once, before feeding. */
void                        msc_imap_client_start                (MscImapClient  *self);

/* Plaintext bytes from the server.  Consumes all of them.  Returns FALSE
 * only when the session ended without LOGOUT during this call (a "close"
 * code), or had already ended. */
gboolean                    msc_imap_client_feed                 (MscImapClient  *self,
                                                                  const guint8   *data,
                                                                  gsize           len,
                                                                  GError        **error);

/* The server closed the connection.  After LOGOUT that is the normal
 * end; before, the session ends with CONNECTION_LOST (returns FALSE). */
gboolean                    msc_imap_client_peer_closed          (MscImapClient  *self,
                                                                  GError        **error);

/* The bytes to send, in order; NULL when there are none. */
GBytes                     *msc_imap_client_take_output          (MscImapClient  *self);

/* The next event, oldest first; NULL when there are none. */
MscImapClientEvent         *msc_imap_client_next_event           (MscImapClient  *self);

/* Time, in microseconds (virtual in lessons).  It dates the copies on
 * the device and drives the timers; start(), feed() and tls_started()
 * count as activity at this time. */
void                        msc_imap_client_set_now              (MscImapClient  *self,
                                                                  gint64          now_usec);
/* When check_timeout() wants calling: a response overdue, the next poll,
 * or IDLE's renewal.  -1 when no timer runs (before start(), during the
 * TLS handshake, closed). */
gint64                      msc_imap_client_get_deadline         (MscImapClient  *self);
/* At the deadline: polls (NOOP) or renews IDLE (DONE, then IDLE again)
 * and returns FALSE; or, when a response is overdue, closes the session
 * without LOGOUT and returns TRUE. */
gboolean                    msc_imap_client_check_timeout        (MscImapClient  *self);

/* After the STARTTLS event, run the handshake, then call this: the client
 * forgets the capabilities it learnt in plaintext and asks again. */
void                        msc_imap_client_tls_started          (MscImapClient  *self);

/* Queues what the user did, to be carried out after the sync (at once
 * while idle: DONE, the commands, IDLE again; or while waiting to poll).
 * Returns the id ACTION_DONE will carry, or 0 when the session is closed
 * or logging out.  Nothing changes on the device until the server has
 * confirmed; a UI may of course show the change at once. */
guint                       msc_imap_client_queue_action         (MscImapClient             *self,
                                                                  const MscImapClientAction *action);

/* Ends the session: the actions queued are carried out, then LOGOUT
 * (after DONE, while idle).  Before start() it is a no-op. */
void                        msc_imap_client_stop                 (MscImapClient  *self);

MscImapClientState          msc_imap_client_get_state            (MscImapClient  *self);
/* FALSE before start(), during the TLS handshake, and once closed. */
gboolean                    msc_imap_client_want_read            (MscImapClient  *self);
gboolean                    msc_imap_client_is_closed            (MscImapClient  *self);
gboolean                    msc_imap_client_is_tls_active        (MscImapClient  *self);
/* TRUE if the latest capabilities list @name ("IDLE", "AUTH=PLAIN"). */
gboolean                    msc_imap_client_has_capability       (MscImapClient  *self,
                                                                  const char     *name);
/* The UTF-8 name of the mailbox LIST gave @special_use ("\\Sent",
 * "\\Trash"; the name-based guess for Sent and Trash), or NULL. */
const char                 *msc_imap_client_get_special_mailbox  (MscImapClient  *self,
                                                                  const char     *special_use);
/* NULL until DONE has been raised. */
const MscImapClientOutcome *msc_imap_client_get_outcome          (MscImapClient  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscImapClientEvent, msc_imap_client_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscImapClientOutcome, msc_imap_client_outcome_free)

G_END_DECLS
