/* test-imap-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-imap-client"

#include "config.h"

#include <string.h>

#include "msc-device-store.h"
#include "msc-imap-client.h"
#include "msc-imap-server.h"
#include "msc-mail-store.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0  (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define SEC (G_GINT64_CONSTANT (1) * G_USEC_PER_SEC)
#define MINUTE (60 * SEC)

#define IMPLICIT  MSC_IMAP_CLIENT_TLS_IMPLICIT
#define TLS_REQ   MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED
#define TLS_OPT   MSC_IMAP_CLIENT_TLS_STARTTLS_IF_OFFERED

/* Short names for the log, in the order of MscImapClientError. */
static const char * const error_nicks[] = {
  "closed", "timeout", "connection-lost", "protocol", "too-big", "service-unavailable",
  "server-bye", "tls-unavailable", "auth-insecure", "login-disabled", "auth-failed",
  "server-failure", "mailbox-missing", "no-uidvalidity", "command-failed",
  "action-refused", "no-such-message", "no-such-folder", "not-done",
};

static const char *
error_nick (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == MSC_IMAP_CLIENT_ERROR);
  g_assert_cmpint (error->code, >=, 0);
  g_assert_cmpint (error->code, <, (int) G_N_ELEMENTS (error_nicks));
  /* Every message is for a person: never empty. */
  g_assert_cmpstr (error->message, !=, "");

  return error_nicks[error->code];
}

static char *
flags_nick (MscDeviceFlags flags)
{
  GString *nick = g_string_new (NULL);

  if (flags & MSC_DEVICE_FLAG_READ)
    g_string_append_c (nick, 'r');
  if (flags & MSC_DEVICE_FLAG_FLAGGED)
    g_string_append_c (nick, 'f');
  if (flags & MSC_DEVICE_FLAG_DELETED)
    g_string_append_c (nick, 'd');
  if (nick->len == 0)
    g_string_append_c (nick, '-');

  return g_string_free (nick, FALSE);
}

/* The events a lesson shows as "what happened to the mail", one a line.
 * The conversation itself is checked byte by byte elsewhere. */
static void
log_event (GString                  *log,
           const MscImapClientEvent *event)
{
  g_autofree char *flags = flags_nick (event->flags);

  switch (event->kind)
    {
    case MSC_IMAP_CLIENT_EVENT_COMMAND:
    case MSC_IMAP_CLIENT_EVENT_RESPONSE:
    case MSC_IMAP_CLIENT_EVENT_STATE_CHANGED:
      break;

    case MSC_IMAP_CLIENT_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;

    case MSC_IMAP_CLIENT_EVENT_SYNCED:
      g_string_append_printf (log, "SYNCED %s %u +%u ~%u -%u%s\n", event->mailbox, event->n_messages,
                              event->n_added, event->n_changed, event->n_removed,
                              event->reset ? " reset" : "");
      break;

    case MSC_IMAP_CLIENT_EVENT_MESSAGE_ADDED:
      g_string_append_printf (log, "ADDED %s %s %s %s %" G_GSIZE_FORMAT "\n", event->key, event->folder,
                              flags, event->complete ? "full" : "headers", event->size);
      break;

    case MSC_IMAP_CLIENT_EVENT_MESSAGE_CHANGED:
      g_string_append_printf (log, "CHANGED %s %s %s\n", event->key, flags,
                              event->complete ? "full" : "headers");
      break;

    case MSC_IMAP_CLIENT_EVENT_MESSAGE_REMOVED:
      g_string_append_printf (log, "REMOVED %s %s\n", event->key, event->folder);
      break;

    case MSC_IMAP_CLIENT_EVENT_ACTION_DONE:
      g_string_append_printf (log, "ACTION %u %s %s%s%s\n", event->action_id,
                              msc_imap_client_action_kind_get_name (event->action),
                              event->error != NULL ? error_nick (event->error) : "ok",
                              event->new_key != NULL ? " " : "",
                              event->new_key != NULL ? event->new_key : "");
      break;

    case MSC_IMAP_CLIENT_EVENT_IDLE_STARTED:
      g_string_append_printf (log, "IDLE+ %s\n", event->mailbox);
      break;

    case MSC_IMAP_CLIENT_EVENT_IDLE_ENDED:
      g_string_append_printf (log, "IDLE- %s\n", event->mailbox);
      break;

    case MSC_IMAP_CLIENT_EVENT_DONE:
      {
        const MscImapClientOutcome *outcome = event->outcome;

        g_assert_true (outcome->success == (outcome->error == NULL));
        g_string_append_printf (log, "DONE %s%s added=%u changed=%u removed=%u actions=%u/%u\n",
                                outcome->success ? "ok" : error_nick (outcome->error),
                                outcome->transient ? " transient" : "",
                                outcome->n_added, outcome->n_changed, outcome->n_removed,
                                outcome->n_actions_done, outcome->n_actions_failed);
      }
      break;

    case MSC_IMAP_CLIENT_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %s\n", event->error != NULL ? error_nick (event->error) : "-");
      break;

    case MSC_IMAP_CLIENT_N_EVENT_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* ---- A scripted server ---- */

typedef enum
{
  STEP_END,
  STEP_SERVER,         /* bytes the server sends */
  STEP_EXPECT,         /* what the client sent since the last EXPECT */
  STEP_TLS_STARTED,
  STEP_NOW,            /* value: seconds after T0 */
  STEP_CHECK_TIMEOUT,  /* value: what check_timeout() must return */
  STEP_DEADLINE,       /* value: seconds after T0 get_deadline() must say */
  STEP_PEER_CLOSED,
  STEP_ACTION,         /* value: the kind, data: the key, folder: MOVE's target */
  STEP_STOP,
} StepKind;

typedef struct
{
  StepKind    kind;
  const char *data;
  gsize       len;
  gint64      value;
  const char *folder;
} Step;

enum
{
  ALLOW_PLAINTEXT = 1 << 0,
  HEADERS_ONLY    = 1 << 1,
  USE_IDLE        = 1 << 2,
  POLL            = 1 << 3,  /* every 5 minutes */
  PEEK            = 1 << 4,
  SMALL_LIMITS    = 1 << 5,
};

typedef struct
{
  const char                 *name;
  MscImapClientTlsMode        tls_mode;
  guint                       options;
  const char                 *password;   /* NULL: secret */
  const char * const         *folders;
  const MscImapClientAction  *actions;    /* APPEND_SENT gets MSG_SENT */
  guint                       n_actions;
  void                      (*setup)      (MscDeviceStore *store);
  void                      (*verify)     (MscDeviceStore *store);
  const Step                 *steps;
  const char                 *client;     /* every byte the client sends */
  const char                 *log;
} Conversation;

#define SERVER(s)         { STEP_SERVER, s, sizeof (s) - 1, 0, NULL }
#define EXPECT(s)         { STEP_EXPECT, s, sizeof (s) - 1, 0, NULL }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0, NULL }
#define NOW(s)            { STEP_NOW, NULL, 0, s, NULL }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b, NULL }
#define DEADLINE(s)       { STEP_DEADLINE, NULL, 0, s, NULL }
#define PEER_CLOSED       { STEP_PEER_CLOSED, NULL, 0, 0, NULL }
#define ACTION(k, key)    { STEP_ACTION, key, 0, MSC_IMAP_CLIENT_ACTION_##k, NULL }
#define STOP              { STEP_STOP, NULL, 0, 0, NULL }
#define END               { STEP_END, NULL, 0, 0, NULL }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }
#define ACTIONS(...)      (const MscImapClientAction[]) { __VA_ARGS__ }, \
                          .n_actions = sizeof ((const MscImapClientAction[]) { __VA_ARGS__ }) / sizeof (MscImapClientAction)
#define DO(k, key)        { MSC_IMAP_CLIENT_ACTION_##k, key, NULL, NULL }
#define DO_MOVE(key, to)  { MSC_IMAP_CLIENT_ACTION_MOVE, key, to, NULL }
#define DO_APPEND         { MSC_IMAP_CLIENT_ACTION_APPEND_SENT, NULL, NULL, NULL }
#define FOLDERS(...)      (const char * const[]) { __VA_ARGS__, NULL }

/* Messages: 23 octets each, their header 14 */
#define MSG_A    "Subject: a\r\n\r\nHello A\r\n"
#define MSG_B    "Subject: b\r\n\r\nHello B\r\n"
#define MSG_C    "Subject: c\r\n\r\nHello C\r\n"
#define HDR_A    "Subject: a\r\n\r\n"
#define MSG_SENT "Subject: s\r\n\r\nHello S\r\n"

/* What the server says */
#define CAPS             "IMAP4rev1 SASL-IR LITERAL+ IDLE UIDPLUS MOVE SPECIAL-USE"
#define S_GREETING_C(c)  "* OK [CAPABILITY " c "] Dovecot ready.\r\n"
#define S_GREETING       S_GREETING_C (CAPS)
#define S_LOGGED_IN_C(c) "A001 OK [CAPABILITY " c "] Logged in\r\n"
#define S_LIST_LINES     "* LIST (\\HasNoChildren) \"/\" INBOX\r\n" \
                         "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n" \
                         "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n" \
                         "* LIST (\\HasNoChildren) \"/\" Work\r\n"
#define S_OK(t)          t " OK Done.\r\n"
#define S_HELLO_C(c)     S_GREETING_C (c) S_LOGGED_IN_C (c) S_LIST_LINES S_OK ("A002")
#define S_HELLO          S_HELLO_C (CAPS)
#define S_SELECT(t, n, uv) \
  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n" \
  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n" \
  "* " n " EXISTS\r\n" \
  "* 0 RECENT\r\n" \
  "* OK [UIDVALIDITY " uv "] UIDs valid\r\n" \
  t " OK [READ-WRITE] Select completed.\r\n"
#define F_FULL(seq, uid, flags, msg) \
  "* " seq " FETCH (UID " uid " FLAGS (" flags ") INTERNALDATE \"01-Jan-2026 00:00:00 +0000\" " \
  "RFC822.SIZE 23 BODY[] {23}\r\n" msg ")\r\n"
#define F_HDR(seq, uid, flags, hdr) \
  "* " seq " FETCH (UID " uid " FLAGS (" flags ") INTERNALDATE \"01-Jan-2026 00:00:00 +0000\" " \
  "RFC822.SIZE 23 BODY[HEADER] {14}\r\n" hdr ")\r\n"
#define F_FLAGS(seq, uid, flags) "* " seq " FETCH (UID " uid " FLAGS (" flags "))\r\n"
#define S_BYE(t)         "* BYE Logging out\r\n" t " OK Logout completed.\r\n"
#define S_SYNC2          S_SELECT ("A003", "2", "1700") F_FULL ("1", "1", "\\Seen", MSG_A) \
                         F_FULL ("2", "2", "", MSG_B) S_OK ("A004")
#define S_RESYNC2        S_SELECT ("A003", "2", "1700") F_FLAGS ("1", "1", "\\Seen") \
                         F_FLAGS ("2", "2", "") S_OK ("A004")

/* What the client says */
#define C_LOGIN          "A001 LOGIN alice secret\r\n"
#define C_LIST(t)        t " LIST \"\" \"*\"\r\n"
#define C_HELLO          C_LOGIN C_LIST ("A002")
#define ITEMS            "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
#define ITEMS_HDR        "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])"
#define C_SELECT(t)      t " SELECT INBOX\r\n"
#define C_FETCH(t, set)  t " UID FETCH " set " " ITEMS "\r\n"
#define C_SYNC2          C_SELECT ("A003") C_FETCH ("A004", "1:*")
#define C_RESYNC2        C_SELECT ("A003") "A004 UID FETCH 1:2 (FLAGS)\r\n"
#define C_LOGOUT(t)      t " LOGOUT\r\n"

/* What happens to the mail */
#define L_SYNC2          "ADDED INBOX/1700/1 Inbox r full 23\nADDED INBOX/1700/2 Inbox - full 23\n" \
                         "SYNCED INBOX 2 +2 ~0 -0\n"
#define L_RESYNC2        "SYNCED INBOX 2 +0 ~0 -0\n"
#define L_OK(a, c, r)    "DONE ok added=" #a " changed=" #c " removed=" #r " actions=0/0\nCLOSED -\n"

/* ---- Device stores before and after ---- */

static void
add_local (MscDeviceStore *store,
           const char     *key,
           const char     *folder,
           const char     *text,
           gboolean        complete,
           MscDeviceFlags  flags)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  if (!msc_device_store_has_folder (store, folder))
    g_assert_true (msc_device_store_create_folder (store, folder, NULL));
  g_assert_true (msc_device_store_add (store, key, folder, data, complete, flags, T0 - MINUTE, &error));
  g_assert_no_error (error);
}

static void
assert_message (MscDeviceStore *store,
                const char     *key,
                const char     *folder,
                const char     *text,
                gboolean        complete,
                MscDeviceFlags  flags)
{
  MscDeviceMessage *message = msc_device_store_lookup (store, key);
  GBytes *data;

  g_assert_nonnull (message);
  data = msc_device_message_get_data (message);
  g_assert_cmpstr (msc_device_message_get_folder (message), ==, folder);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data), text, strlen (text));
  g_assert_cmpint (msc_device_message_is_complete (message), ==, complete);
  g_assert_cmpint (msc_device_message_get_flags (message), ==, flags);
}

static void
assert_state (MscDeviceStore *store,
              const char     *mailbox,
              guint32         uidvalidity,
              guint32         highest)
{
  guint32 stored_uidvalidity;
  guint32 stored_highest;

  g_assert_true (msc_device_store_get_mailbox_state (store, mailbox, &stored_uidvalidity, &stored_highest));
  g_assert_cmpuint (stored_uidvalidity, ==, uidvalidity);
  g_assert_cmpuint (stored_highest, ==, highest);
}

/* Two messages already mirrored: A read, B not. */
static void
setup_two (MscDeviceStore *store)
{
  add_local (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, MSG_A, TRUE, MSC_DEVICE_FLAG_READ);
  add_local (store, "INBOX/1700/2", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE, MSC_DEVICE_FLAG_NONE);
  msc_device_store_set_mailbox_state (store, "INBOX", 1700, 2);
}

static void
setup_three (MscDeviceStore *store)
{
  setup_two (store);
  add_local (store, "INBOX/1700/3", MSC_DEVICE_STORE_INBOX, MSG_C, TRUE, MSC_DEVICE_FLAG_READ);
  msc_device_store_set_mailbox_state (store, "INBOX", 1700, 3);
}

static void
setup_preview (MscDeviceStore *store)
{
  add_local (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, HDR_A, FALSE, MSC_DEVICE_FLAG_NONE);
  add_local (store, "INBOX/1700/2", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE, MSC_DEVICE_FLAG_NONE);
  msc_device_store_set_mailbox_state (store, "INBOX", 1700, 2);
}

static void
setup_in_trash (MscDeviceStore *store)
{
  setup_two (store);
  add_local (store, "Trash/1701/5", MSC_DEVICE_STORE_TRASH, MSG_C, TRUE, MSC_DEVICE_FLAG_READ);
}

static void
verify_two (MscDeviceStore *store)
{
  assert_message (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, MSG_A, TRUE, MSC_DEVICE_FLAG_READ);
  assert_message (store, "INBOX/1700/2", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE, MSC_DEVICE_FLAG_NONE);
  g_assert_cmpuint (msc_device_store_get_n_messages (store, NULL), ==, 2);
  assert_state (store, "INBOX", 1700, 2);
}

static void
verify_nothing (MscDeviceStore *store)
{
  g_assert_cmpuint (msc_device_store_get_n_messages (store, NULL), ==, 0);
  g_assert_false (msc_device_store_get_mailbox_state (store, "INBOX", NULL, NULL));
}

static void
verify_headers (MscDeviceStore *store)
{
  assert_message (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, HDR_A, FALSE, MSC_DEVICE_FLAG_NONE);
}

static void
verify_resynced (MscDeviceStore *store)
{
  /* 2 expunged elsewhere, 1 read elsewhere was unread, 3 unread now,
   * 4 new. */
  assert_message (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, MSG_A, TRUE,
                  MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_FLAGGED);
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/2"));
  assert_message (store, "INBOX/1700/3", MSC_DEVICE_STORE_INBOX, MSG_C, TRUE, MSC_DEVICE_FLAG_NONE);
  assert_message (store, "INBOX/1700/4", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE, MSC_DEVICE_FLAG_NONE);
  assert_state (store, "INBOX", 1700, 4);
}

static void
verify_reset (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/1"));
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/2"));
  assert_message (store, "INBOX/1800/1", MSC_DEVICE_STORE_INBOX, MSG_C, TRUE, MSC_DEVICE_FLAG_NONE);
  assert_state (store, "INBOX", 1800, 1);
}

static void
verify_chinese (MscDeviceStore *store)
{
  /* The device shows the names in UTF-8; Trash is its own Trash. */
  assert_message (store, "已发送/77/3", "已发送", MSG_C, TRUE, MSC_DEVICE_FLAG_READ);
  assert_state (store, "已发送", 77, 3);
  assert_message (store, "已删除/78/9", MSC_DEVICE_STORE_TRASH, MSG_B, TRUE,
                  MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_DELETED);
  assert_state (store, "INBOX", 1700, 0);
}

static void
verify_moved_to_trash (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/1"));
  assert_message (store, "Trash/1701/5", MSC_DEVICE_STORE_TRASH, MSG_A, TRUE,
                  MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_DELETED);
}

static void
verify_deleted_from_inbox (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/1"));
  g_assert_cmpuint (msc_device_store_get_n_messages (store, MSC_DEVICE_STORE_TRASH), ==, 0);
}

static void
verify_moved_to_work (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/2"));
  assert_message (store, "Work/1702/8", "Work", MSG_B, TRUE, MSC_DEVICE_FLAG_NONE);
}

static void
verify_trash_emptied (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "Trash/1701/5"));
  g_assert_cmpuint (msc_device_store_get_n_messages (store, NULL), ==, 2);
}

static void
verify_opened (MscDeviceStore *store)
{
  assert_message (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, MSG_A, TRUE, MSC_DEVICE_FLAG_READ);
}

static void
verify_sent (MscDeviceStore *store)
{
  assert_message (store, "Sent/1703/12", "Sent", MSG_SENT, TRUE, MSC_DEVICE_FLAG_READ);
}

static void
verify_flags_actions (MscDeviceStore *store)
{
  assert_message (store, "INBOX/1700/1", MSC_DEVICE_STORE_INBOX, MSG_A, TRUE, MSC_DEVICE_FLAG_FLAGGED);
  assert_message (store, "INBOX/1700/2", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE, MSC_DEVICE_FLAG_READ);
}

static void
verify_idle (MscDeviceStore *store)
{
  assert_message (store, "INBOX/1700/3", MSC_DEVICE_STORE_INBOX, MSG_C, TRUE, MSC_DEVICE_FLAG_NONE);
  assert_state (store, "INBOX", 1700, 3);
}

static void
verify_pushed_changes (MscDeviceStore *store)
{
  g_assert_null (msc_device_store_lookup (store, "INBOX/1700/1"));
  assert_message (store, "INBOX/1700/2", MSC_DEVICE_STORE_INBOX, MSG_B, TRUE,
                  MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_FLAGGED);
}

/* ---- The conversations ---- */

static const Conversation conversations[] = {
  /* ---- Signing in ---- */

  /* Port 993: capabilities in the greeting and in LOGIN's OK (Dovecot). */
  { .name = "login", .tls_mode = IMPLICIT, .verify = verify_two,
    .steps = STEPS (SERVER (S_GREETING),
                    EXPECT (C_LOGIN),
                    SERVER (S_LOGGED_IN_C (CAPS)),
                    EXPECT (C_LIST ("A002")),
                    SERVER (S_LIST_LINES S_OK ("A002")),
                    EXPECT (C_SELECT ("A003")),
                    SERVER (S_SELECT ("A003", "2", "1700")),
                    EXPECT (C_FETCH ("A004", "1:*")),
                    SERVER (F_FULL ("1", "1", "\\Seen", MSG_A) F_FULL ("2", "2", "", MSG_B) S_OK ("A004")),
                    EXPECT (C_LOGOUT ("A005")),
                    SERVER (S_BYE ("A005"))),
    .client = C_HELLO C_SYNC2 C_LOGOUT ("A005"),
    .log = L_SYNC2 L_OK (2, 0, 0) },

  /* RFC 3501 alone: ask, and ask again once signed in (§6.2.3). */
  { .name = "capability-asked", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("* OK IMAP4rev1 server ready\r\n"
                            "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" S_OK ("A001")
                            "A002 OK LOGIN completed\r\n"
                            "* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n" S_OK ("A003")
                            "* LIST () \"/\" INBOX\r\n" S_OK ("A004")
                            S_SELECT ("A005", "0", "9") S_BYE ("A006"))),
    .client = "A001 CAPABILITY\r\nA002 LOGIN alice secret\r\nA003 CAPABILITY\r\n" C_LIST ("A004")
              C_SELECT ("A005") C_LOGOUT ("A006"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* Port 143 with STARTTLS: capabilities again once encrypted, and what
   * the server slipped in behind its OK is never read. */
  { .name = "starttls", .tls_mode = TLS_REQ,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 STARTTLS LOGINDISABLED")),
                    EXPECT ("A001 STARTTLS\r\n"),
                    SERVER ("A001 OK Begin TLS negotiation now.\r\n"
                            "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" S_OK ("A002")),
                    EXPECT (""),
                    TLS_STARTED,
                    EXPECT ("A002 CAPABILITY\r\n"),
                    SERVER ("* CAPABILITY " CAPS "\r\n" S_OK ("A002")
                            "A003 OK [CAPABILITY " CAPS "] Logged in\r\n" S_LIST_LINES S_OK ("A004")
                            S_SELECT ("A005", "0", "1700") S_BYE ("A006"))),
    .client = "A001 STARTTLS\r\nA002 CAPABILITY\r\nA003 LOGIN alice secret\r\n" C_LIST ("A004")
              C_SELECT ("A005") C_LOGOUT ("A006"),
    .log = "STARTTLS\nSYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  { .name = "starttls-if-offered", .tls_mode = TLS_OPT,
    .steps = STEPS (SERVER ("* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\nA001 OK go\r\n"),
                    TLS_STARTED,
                    SERVER ("* CAPABILITY IMAP4rev1\r\n" S_OK ("A002") S_OK ("A003") S_OK ("A004")
                            S_OK ("A005") S_OK ("A006") S_BYE ("A007"))),
    .client = "A001 STARTTLS\r\nA002 CAPABILITY\r\nA003 LOGIN alice secret\r\nA004 CAPABILITY\r\n"
              C_LIST ("A005") C_SELECT ("A006") C_LOGOUT ("A007"),
    .log = "STARTTLS\nDONE no-uidvalidity added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "starttls-absent", .tls_mode = TLS_REQ, .verify = verify_nothing,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 AUTH=PLAIN") S_BYE ("A001"))),
    .client = C_LOGOUT ("A001"),
    .log = "DONE tls-unavailable added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "starttls-absent-no-capability", .tls_mode = TLS_REQ,
    .steps = STEPS (SERVER ("* OK hi\r\n* CAPABILITY IMAP4rev1\r\n" S_OK ("A001") S_BYE ("A002"))),
    .client = "A001 CAPABILITY\r\n" C_LOGOUT ("A002"),
    .log = "DONE tls-unavailable added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "starttls-refused", .tls_mode = TLS_REQ,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 STARTTLS") "A001 BAD no certificate\r\n" S_BYE ("A002"))),
    .client = "A001 STARTTLS\r\n" C_LOGOUT ("A002"),
    .log = "DONE tls-unavailable added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  /* "If offered", not offered: on in plaintext, but not the password. */
  { .name = "starttls-if-offered-absent", .tls_mode = TLS_OPT,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1") S_BYE ("A001"))),
    .client = C_LOGOUT ("A001"),
    .log = "DONE auth-insecure added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  /* Not even the user name goes out in plaintext. */
  { .name = "plaintext-refused",
    .steps = STEPS (SERVER (S_GREETING S_BYE ("A001"))),
    .client = C_LOGOUT ("A001"),
    .log = "DONE auth-insecure added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "plaintext-allowed", .options = ALLOW_PLAINTEXT, .verify = verify_two,
    .steps = STEPS (SERVER (S_HELLO S_SYNC2 S_BYE ("A005"))),
    .client = C_HELLO C_SYNC2 C_LOGOUT ("A005"),
    .log = L_SYNC2 L_OK (2, 0, 0) },

  /* RFC 3501 §6.2.3: never LOGIN after LOGINDISABLED.  AUTHENTICATE PLAIN
   * waits for the empty challenge without SASL-IR … */
  { .name = "logindisabled-plain", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 LOGINDISABLED AUTH=PLAIN")),
                    EXPECT ("A001 AUTHENTICATE PLAIN\r\n"),
                    SERVER ("+ \r\n"),
                    EXPECT ("AGFsaWNlAHNlY3JldA==\r\n"),
                    SERVER ("A001 OK [CAPABILITY IMAP4rev1] Logged in\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "5") S_BYE ("A004"))),
    .client = "A001 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n" C_LIST ("A002") C_SELECT ("A003")
              C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* … and with RFC 4959 sends it at once. */
  { .name = "logindisabled-sasl-ir", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 LOGINDISABLED AUTH=PLAIN SASL-IR")
                            "A001 OK [CAPABILITY IMAP4rev1] Logged in\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "5") S_BYE ("A004"))),
    .client = "A001 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n" C_LIST ("A002") C_SELECT ("A003")
              C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  { .name = "logindisabled", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 LOGINDISABLED AUTH=GSSAPI") S_BYE ("A001"))),
    .client = C_LOGOUT ("A001"),
    .log = "DONE login-disabled added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "wrong-password", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "A001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
                            S_BYE ("A002"))),
    .client = C_LOGIN C_LOGOUT ("A002"),
    .log = "DONE auth-failed added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "unavailable", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "A001 NO [UNAVAILABLE] Try later\r\n" S_BYE ("A002"))),
    .client = C_LOGIN C_LOGOUT ("A002"),
    .log = "DONE server-failure transient added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  /* 8-bit: a literal.  Synchronizing without LITERAL+, so the rest waits
   * for "+" (RFC 3501 §7.5) … */
  { .name = "login-literal", .tls_mode = IMPLICIT, .password = "pässwörd",
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1")),
                    EXPECT ("A001 LOGIN alice {10}\r\n"),
                    SERVER ("+ Ready for literal data\r\n"),
                    EXPECT ("pässwörd\r\n"),
                    SERVER ("A001 OK [CAPABILITY IMAP4rev1] Logged in\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "5") S_BYE ("A004"))),
    .client = "A001 LOGIN alice {10}\r\npässwörd\r\n" C_LIST ("A002") C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* … and in one go with it (RFC 7888). */
  { .name = "login-literal-plus", .tls_mode = IMPLICIT, .password = "pässwörd",
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1 LITERAL+")
                            "A001 OK [CAPABILITY IMAP4rev1] Logged in\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "5") S_BYE ("A004"))),
    .client = "A001 LOGIN alice {10+}\r\npässwörd\r\n" C_LIST ("A002") C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* A literal refused before it was sent (RFC 3501 §7.5). */
  { .name = "login-literal-refused", .tls_mode = IMPLICIT, .password = "pässwörd",
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1") "A001 NO too long\r\n" S_BYE ("A002"))),
    .client = "A001 LOGIN alice {10}\r\n" C_LOGOUT ("A002"),
    .log = "DONE auth-failed added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "preauth", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("* PREAUTH [CAPABILITY IMAP4rev1] Logged in as alice\r\n" S_OK ("A001")
                            S_SELECT ("A002", "0", "5") S_BYE ("A003"))),
    .client = C_LIST ("A001") C_SELECT ("A002") C_LOGOUT ("A003"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* A plaintext PREAUTH would get round "encryption required". */
  { .name = "preauth-plaintext", .tls_mode = TLS_REQ,
    .steps = STEPS (SERVER ("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n" S_BYE ("A001"))),
    .client = C_LOGOUT ("A001"),
    .log = "DONE tls-unavailable added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "bye-greeting", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("* BYE Too many connections\r\n")),
    .client = "",
    .log = "DONE service-unavailable added=0 changed=0 removed=0 actions=0/0\nCLOSED service-unavailable\n" },

  /* ---- Folders ---- */

  /* RFC 6154 special uses, RFC 3501 §5.1.3 names in modified UTF-7. */
  { .name = "list-chinese", .tls_mode = IMPLICIT, .folders = FOLDERS ("\\Sent", "\\Trash"),
    .verify = verify_chinese,
    .steps = STEPS (SERVER (S_GREETING S_LOGGED_IN_C (CAPS)
                            "* LIST (\\HasNoChildren) \".\" INBOX\r\n"
                            "* LIST (\\HasNoChildren \\Sent) \".\" \"&XfJT0ZAB-\"\r\n"
                            "* LIST (\\HasNoChildren \\Trash) \".\" &XfJSIJZk-\r\n"
                            "* LIST (\\Noselect \\HasChildren) \".\" &XeVPXA-\r\n"
                            S_OK ("A002")),
                    EXPECT (C_HELLO "A003 SELECT &XfJT0ZAB-\r\n"),
                    SERVER (S_SELECT ("A003", "1", "77")),
                    EXPECT ("A004 UID FETCH 1:* " ITEMS "\r\n"),
                    SERVER (F_FULL ("1", "3", "\\Seen", MSG_C) S_OK ("A004")
                            S_SELECT ("A005", "1", "78")
                            F_FULL ("1", "9", "\\Seen \\Deleted", MSG_B) S_OK ("A006")
                            S_SELECT ("A007", "0", "1700") S_BYE ("A008"))),
    .client = C_HELLO "A003 SELECT &XfJT0ZAB-\r\n" C_FETCH ("A004", "1:*") "A005 SELECT &XfJSIJZk-\r\n"
              C_FETCH ("A006", "1:*") C_SELECT ("A007") C_LOGOUT ("A008"),
    .log = "ADDED 已发送/77/3 已发送 r full 23\nSYNCED 已发送 1 +1 ~0 -0\n"
           "ADDED 已删除/78/9 Trash rd full 23\nSYNCED 已删除 1 +1 ~0 -0\n"
           "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (2, 0, 0) },

  /* Without RFC 6154, names tell: "INBOX.Trash" under a personal
   * namespace prefix (RFC 2342). */
  { .name = "trash-by-name", .tls_mode = IMPLICIT, .folders = FOLDERS ("\\Trash"),
    .steps = STEPS (SERVER (S_GREETING S_LOGGED_IN_C (CAPS)
                            "* LIST () \".\" INBOX\r\n* LIST () \".\" INBOX.Trash\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "4") S_SELECT ("A004", "0", "5") S_BYE ("A005"))),
    .client = C_HELLO "A003 SELECT INBOX.Trash\r\n" C_SELECT ("A004") C_LOGOUT ("A005"),
    .log = "SYNCED INBOX.Trash 0 +0 ~0 -0\nSYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  { .name = "folder-missing", .tls_mode = IMPLICIT, .folders = FOLDERS ("\\Junk"),
    .steps = STEPS (SERVER (S_HELLO S_BYE ("A003"))),
    .client = C_HELLO C_LOGOUT ("A003"),
    .log = "DONE mailbox-missing added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "select-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO "A003 NO [NONEXISTENT] Mailbox doesn't exist\r\n" S_BYE ("A004"))),
    .client = C_HELLO C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "DONE mailbox-missing added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  { .name = "no-uidvalidity", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO "* 1 EXISTS\r\n" S_OK ("A003") S_BYE ("A004"))),
    .client = C_HELLO C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "DONE no-uidvalidity added=0 changed=0 removed=0 actions=0/0\nCLOSED -\n" },

  /* ---- Syncing ---- */

  { .name = "headers-only", .tls_mode = IMPLICIT, .options = HEADERS_ONLY, .verify = verify_headers,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") F_HDR ("1", "1", "", HDR_A)
                            S_OK ("A004") S_BYE ("A005"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:* " ITEMS_HDR "\r\n" C_LOGOUT ("A005"),
    .log = "ADDED INBOX/1700/1 Inbox - headers 23\nSYNCED INBOX 1 +1 ~0 -0\n" L_OK (1, 0, 0) },

  /* The device had 1 to 3.  The server still has 1 (now read and flagged
   * elsewhere) and 3 (unread elsewhere), has lost 2, and has a new 4:
   * flags follow, 2 goes, only 4 is fetched. */
  { .name = "resync", .tls_mode = IMPLICIT, .setup = setup_three, .verify = verify_resynced,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "3", "1700")),
                    EXPECT (C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:3 (FLAGS)\r\n"),
                    SERVER (F_FLAGS ("1", "1", "\\Seen \\Flagged") F_FLAGS ("2", "3", "") S_OK ("A004")),
                    EXPECT (C_FETCH ("A005", "4:*")),
                    SERVER (F_FULL ("3", "4", "", MSG_B) S_OK ("A005") S_BYE ("A006"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:3 (FLAGS)\r\n" C_FETCH ("A005", "4:*")
              C_LOGOUT ("A006"),
    .log = "CHANGED INBOX/1700/1 rf full\nCHANGED INBOX/1700/3 - full\nREMOVED INBOX/1700/2 Inbox\n"
           "ADDED INBOX/1700/4 Inbox - full 23\nSYNCED INBOX 3 +1 ~2 -1\n" L_OK (1, 2, 1) },

  /* Nothing new: no UID FETCH n:*. */
  { .name = "resync-nothing-new", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 S_BYE ("A005"))),
    .client = C_HELLO C_RESYNC2 C_LOGOUT ("A005"),
    .log = L_RESYNC2 L_OK (0, 0, 0) },

  /* Deleted on the device without telling the server: it comes back,
   * since the server is the truth. */
  { .name = "refetch-missing", .tls_mode = IMPLICIT, .setup = setup_three,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "4", "1700")),
                    EXPECT (C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:3 (FLAGS)\r\n"),
                    SERVER (F_FLAGS ("1", "1", "\\Seen") F_FLAGS ("2", "2", "") F_FLAGS ("3", "3", "\\Seen")
                            S_OK ("A004")),
                    EXPECT (C_FETCH ("A005", "4:*")),
                    SERVER (F_FULL ("4", "7", "", MSG_C) S_OK ("A005") S_BYE ("A006"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:3 (FLAGS)\r\n" C_FETCH ("A005", "4:*")
              C_LOGOUT ("A006"),
    .log = "ADDED INBOX/1700/7 Inbox - full 23\nSYNCED INBOX 4 +1 ~0 -0\n" L_OK (1, 0, 0) },

  /* "UID 3:*" always matches the highest UID (RFC 3501 §6.4.8): when the
   * new message is gone before the fetch, the device does not take what
   * it has for new. */
  { .name = "uid-range-quirk", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .verify = verify_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "+ idling\r\n* 3 EXISTS\r\n" S_OK ("A005")),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\n" C_FETCH ("A006", "3:*")),
                    SERVER ("* 3 EXPUNGE\r\n" F_FULL ("2", "2", "", MSG_B) S_OK ("A006") "+ idling\r\n"),
                    STOP,
                    SERVER (S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\n" C_FETCH ("A006", "3:*") "A007 IDLE\r\nDONE\r\n"
              C_LOGOUT ("A008"),
    .log = L_RESYNC2 "IDLE+ INBOX\nIDLE- INBOX\nSYNCED INBOX 2 +0 ~0 -0\nIDLE+ INBOX\nIDLE- INBOX\n"
           L_OK (0, 0, 0) },

  /* Flags and body in separate FETCH responses, flags first. */
  { .name = "fetch-split", .tls_mode = IMPLICIT, .verify = verify_two,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700")
                            F_FLAGS ("1", "1", "\\Seen") F_FLAGS ("2", "2", "")
                            "* 1 FETCH (BODY[] {23}\r\n" MSG_A ")\r\n"
                            "* 2 FETCH (UID 2 BODY[] {23}\r\n" MSG_B ")\r\n" S_OK ("A004") S_BYE ("A005"))),
    .client = C_HELLO C_SYNC2 C_LOGOUT ("A005"),
    .log = "ADDED INBOX/1700/1 Inbox r full 0\nADDED INBOX/1700/2 Inbox - full 0\n"
           "SYNCED INBOX 2 +2 ~0 -0\n" L_OK (2, 0, 0) },

  /* RFC 3501 §2.3.1.1: a new UIDVALIDITY voids every UID the device knew. */
  { .name = "uidvalidity-changed", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_reset,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1800") F_FULL ("1", "1", "", MSG_C)
                            S_OK ("A004") S_BYE ("A005"))),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*") C_LOGOUT ("A005"),
    .log = "REMOVED INBOX/1700/1 Inbox\nREMOVED INBOX/1700/2 Inbox\nADDED INBOX/1800/1 Inbox - full 23\n"
           "SYNCED INBOX 1 +1 ~0 -2 reset\n" L_OK (1, 0, 2) },

  { .name = "emptied", .tls_mode = IMPLICIT, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "0", "1700") S_BYE ("A004"))),
    .client = C_HELLO C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "REMOVED INBOX/1700/1 Inbox\nREMOVED INBOX/1700/2 Inbox\nSYNCED INBOX 0 +0 ~0 -2\n" L_OK (0, 0, 2) },

  /* ---- Actions ---- */

  { .name = "flags", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_flags_actions,
    .actions = ACTIONS (DO (MARK_UNREAD, "INBOX/1700/1"), DO (FLAG, "INBOX/1700/1"),
                        DO (MARK_READ, "INBOX/1700/2"), DO (UNFLAG, "INBOX/1700/2")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2),
                    EXPECT (C_HELLO C_RESYNC2 "A005 UID STORE 1 -FLAGS (\\Seen)\r\n"),
                    SERVER (F_FLAGS ("1", "1", "") S_OK ("A005")),
                    EXPECT ("A006 UID STORE 1 +FLAGS (\\Flagged)\r\n"),
                    SERVER (F_FLAGS ("1", "1", "\\Flagged") S_OK ("A006")),
                    EXPECT ("A007 UID STORE 2 +FLAGS (\\Seen)\r\n"),
                    /* .SILENT-like: no FETCH; the OK is enough. */
                    SERVER (S_OK ("A007")),
                    EXPECT ("A008 UID STORE 2 -FLAGS (\\Flagged)\r\n"),
                    SERVER (F_FLAGS ("2", "2", "\\Seen") S_OK ("A008") S_BYE ("A009"))),
    .client = C_HELLO C_RESYNC2 "A005 UID STORE 1 -FLAGS (\\Seen)\r\nA006 UID STORE 1 +FLAGS (\\Flagged)\r\n"
              "A007 UID STORE 2 +FLAGS (\\Seen)\r\nA008 UID STORE 2 -FLAGS (\\Flagged)\r\n" C_LOGOUT ("A009"),
    .log = L_RESYNC2 "CHANGED INBOX/1700/1 - full\nACTION 1 mark-unread ok\n"
           "CHANGED INBOX/1700/1 f full\nACTION 2 flag ok\n"
           "CHANGED INBOX/1700/2 r full\nACTION 3 mark-read ok\nACTION 4 unflag ok\n"
           "DONE ok added=0 changed=3 removed=0 actions=4/0\nCLOSED -\n" },

  /* RFC 6851: one UID MOVE; the EXPUNGE mirrors, COPYUID names the copy. */
  { .name = "delete-move", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_moved_to_trash,
    .actions = ACTIONS (DO (DELETE, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2
                            "* OK [COPYUID 1701 1 5] Moved UIDs.\r\n* 1 EXPUNGE\r\n" S_OK ("A005")
                            S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 UID MOVE 1 Trash\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 "REMOVED INBOX/1700/1 Inbox\nADDED Trash/1701/5 Trash rd full 0\n"
           "ACTION 1 delete ok Trash/1701/5\n"
           "DONE ok added=1 changed=0 removed=1 actions=1/0\nCLOSED -\n" },

  /* RFC 4315 without MOVE: COPY, STORE \Deleted, UID EXPUNGE of that
   * message only. */
  { .name = "delete-uidplus", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_moved_to_trash,
    .actions = ACTIONS (DO (DELETE, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1 UIDPLUS") S_RESYNC2
                            "A005 OK [COPYUID 1701 1 5] Copied.\r\n"
                            F_FLAGS ("1", "1", "\\Seen \\Deleted") S_OK ("A006")
                            "* 1 EXPUNGE\r\n" S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 UID COPY 1 Trash\r\nA006 UID STORE 1 +FLAGS (\\Deleted)\r\n"
              "A007 UID EXPUNGE 1\r\n" C_LOGOUT ("A008"),
    .log = L_RESYNC2 "CHANGED INBOX/1700/1 rd full\nREMOVED INBOX/1700/1 Inbox\n"
           "ADDED Trash/1701/5 Trash rd full 0\nACTION 1 delete ok Trash/1701/5\n"
           "DONE ok added=1 changed=1 removed=1 actions=1/0\nCLOSED -\n" },

  /* RFC 3501 alone: EXPUNGE, and no COPYUID: the copy comes when Trash
   * is synced. */
  { .name = "delete-plain", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_deleted_from_inbox,
    .actions = ACTIONS (DO (DELETE, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1") S_RESYNC2 S_OK ("A005")
                            F_FLAGS ("1", "1", "\\Seen \\Deleted") S_OK ("A006")
                            "* 1 EXPUNGE\r\n" S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 UID COPY 1 Trash\r\nA006 UID STORE 1 +FLAGS (\\Deleted)\r\n"
              "A007 EXPUNGE\r\n" C_LOGOUT ("A008"),
    .log = L_RESYNC2 "CHANGED INBOX/1700/1 rd full\nREMOVED INBOX/1700/1 Inbox\nACTION 1 delete ok\n"
           "DONE ok added=0 changed=1 removed=1 actions=1/0\nCLOSED -\n" },

  /* Deleting in Trash is for good; Trash is selected for it. */
  { .name = "delete-in-trash", .tls_mode = IMPLICIT, .setup = setup_in_trash, .verify = verify_trash_emptied,
    .actions = ACTIONS (DO (DELETE, "Trash/1701/5")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 S_SELECT ("A005", "1", "1701")
                            F_FLAGS ("1", "5", "\\Seen \\Deleted") S_OK ("A006")
                            "* 1 EXPUNGE\r\n" S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 SELECT Trash\r\nA006 UID STORE 5 +FLAGS (\\Deleted)\r\n"
              "A007 UID EXPUNGE 5\r\n" C_LOGOUT ("A008"),
    .log = L_RESYNC2 "REMOVED Trash/1701/5 Trash\nACTION 1 delete ok\n"
           "DONE ok added=0 changed=0 removed=1 actions=1/0\nCLOSED -\n" },

  { .name = "move", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_moved_to_work,
    .actions = ACTIONS (DO_MOVE ("INBOX/1700/2", "Work")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2
                            "* OK [COPYUID 1702 2 8] Moved UIDs.\r\n* 2 EXPUNGE\r\n" S_OK ("A005")
                            S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 UID MOVE 2 Work\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 "REMOVED INBOX/1700/2 Inbox\nADDED Work/1702/8 Work - full 0\n"
           "ACTION 1 move ok Work/1702/8\n"
           "DONE ok added=1 changed=0 removed=1 actions=1/0\nCLOSED -\n" },

  { .name = "move-copy-store-expunge", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_moved_to_work,
    .actions = ACTIONS (DO_MOVE ("INBOX/1700/2", "Work")),
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1 UIDPLUS") S_RESYNC2
                            "A005 OK [COPYUID 1702 2 8] Copied.\r\n" S_OK ("A006")
                            "* 2 EXPUNGE\r\n" S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 UID COPY 2 Work\r\nA006 UID STORE 2 +FLAGS (\\Deleted)\r\n"
              "A007 UID EXPUNGE 2\r\n" C_LOGOUT ("A008"),
    .log = L_RESYNC2 "REMOVED INBOX/1700/2 Inbox\nADDED Work/1702/8 Work - full 0\n"
           "ACTION 1 move ok Work/1702/8\n"
           "DONE ok added=1 changed=0 removed=1 actions=1/0\nCLOSED -\n" },

  /* No command goes out for what cannot be done. */
  { .name = "action-impossible", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_two,
    .actions = ACTIONS (DO_MOVE ("INBOX/1700/2", "Nowhere"), DO (MARK_READ, "INBOX/1700/9"),
                        DO (FLAG, "INBOX/1600/1"), DO (FLAG, "not-an-imap-key"),
                        DO (FLAG, "Gone/5/1")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 S_BYE ("A005"))),
    .client = C_HELLO C_RESYNC2 C_LOGOUT ("A005"),
    .log = L_RESYNC2 "ACTION 1 move no-such-folder\nACTION 2 mark-read no-such-message\n"
           "ACTION 3 flag no-such-message\nACTION 4 flag no-such-message\nACTION 5 flag no-such-message\n"
           "DONE ok added=0 changed=0 removed=0 actions=0/5\nCLOSED -\n" },

  { .name = "action-refused", .tls_mode = IMPLICIT, .setup = setup_two, .verify = verify_two,
    .actions = ACTIONS (DO (FLAG, "INBOX/1700/1"), DO (MARK_UNREAD, "INBOX/1700/2")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "A005 NO [CANNOT] Mailbox is read-only\r\n"
                            S_OK ("A006") S_BYE ("A007"))),
    .client = C_HELLO C_RESYNC2 "A005 UID STORE 1 +FLAGS (\\Flagged)\r\nA006 UID STORE 2 -FLAGS (\\Seen)\r\n"
              C_LOGOUT ("A007"),
    .log = L_RESYNC2 "ACTION 1 flag action-refused\nACTION 2 mark-unread ok\n"
           "DONE ok added=0 changed=0 removed=0 actions=1/1\nCLOSED -\n" },

  /* Opening a headers-only copy: BODY[] brings the body and sets \Seen. */
  { .name = "open", .tls_mode = IMPLICIT, .setup = setup_preview, .verify = verify_opened,
    .actions = ACTIONS (DO (OPEN, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700") F_FLAGS ("1", "1", "")
                            F_FLAGS ("2", "2", "") S_OK ("A004")
                            "* 1 FETCH (UID 1 BODY[] {23}\r\n" MSG_A " FLAGS (\\Seen))\r\n" S_OK ("A005")
                            S_BYE ("A006"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:2 (FLAGS)\r\nA005 UID FETCH 1 (BODY[])\r\n"
              C_LOGOUT ("A006"),
    .log = "SYNCED INBOX 2 +0 ~0 -0\nCHANGED INBOX/1700/1 - full\nCHANGED INBOX/1700/1 r full\n"
           "ACTION 1 open ok\nDONE ok added=0 changed=2 removed=0 actions=1/0\nCLOSED -\n" },

  { .name = "open-peek", .tls_mode = IMPLICIT, .options = PEEK, .setup = setup_preview, .verify = verify_opened,
    .actions = ACTIONS (DO (OPEN, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700") F_FLAGS ("1", "1", "")
                            F_FLAGS ("2", "2", "") S_OK ("A004")
                            "* 1 FETCH (UID 1 BODY[] {23}\r\n" MSG_A ")\r\n" S_OK ("A005")
                            F_FLAGS ("1", "1", "\\Seen") S_OK ("A006") S_BYE ("A007"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:2 (FLAGS)\r\nA005 UID FETCH 1 (BODY.PEEK[])\r\n"
              "A006 UID STORE 1 +FLAGS (\\Seen)\r\n" C_LOGOUT ("A007"),
    .log = "SYNCED INBOX 2 +0 ~0 -0\nCHANGED INBOX/1700/1 - full\nCHANGED INBOX/1700/1 r full\n"
           "ACTION 1 open ok\nDONE ok added=0 changed=2 removed=0 actions=1/0\nCLOSED -\n" },

  /* Already here in full: only \Seen goes to the server; already read:
   * nothing at all. */
  { .name = "open-complete", .tls_mode = IMPLICIT, .setup = setup_two,
    .actions = ACTIONS (DO (OPEN, "INBOX/1700/2"), DO (OPEN, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 F_FLAGS ("2", "2", "\\Seen") S_OK ("A005") S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 UID STORE 2 +FLAGS (\\Seen)\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 "CHANGED INBOX/1700/2 r full\nACTION 1 open ok\nACTION 2 open ok\n"
           "DONE ok added=0 changed=1 removed=0 actions=2/0\nCLOSED -\n" },

  /* A UID gone from the server: OK with nothing (RFC 3501 §6.4.8). */
  { .name = "open-gone", .tls_mode = IMPLICIT, .setup = setup_preview,
    .actions = ACTIONS (DO (OPEN, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700") F_FLAGS ("1", "1", "")
                            F_FLAGS ("2", "2", "") S_OK ("A004") S_OK ("A005") S_BYE ("A006"))),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:2 (FLAGS)\r\nA005 UID FETCH 1 (BODY[])\r\n"
              C_LOGOUT ("A006"),
    .log = "SYNCED INBOX 2 +0 ~0 -0\nACTION 1 open no-such-message\n"
           "DONE ok added=0 changed=0 removed=0 actions=0/1\nCLOSED -\n" },

  /* RFC 3501 §6.3.11 APPEND with a synchronizing literal … */
  { .name = "append-sent", .tls_mode = IMPLICIT, .verify = verify_sent,
    .actions = ACTIONS (DO_APPEND),
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1 UIDPLUS") S_SELECT ("A003", "0", "1700")),
                    EXPECT (C_HELLO C_SELECT ("A003") "A004 APPEND Sent (\\Seen) {23}\r\n"),
                    SERVER ("+ Ready for literal data\r\n"),
                    EXPECT (MSG_SENT "\r\n"),
                    SERVER ("A004 OK [APPENDUID 1703 12] Append completed.\r\n" S_BYE ("A005"))),
    .client = C_HELLO C_SELECT ("A003") "A004 APPEND Sent (\\Seen) {23}\r\n" MSG_SENT "\r\n" C_LOGOUT ("A005"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\nADDED Sent/1703/12 Sent r full 23\nACTION 1 append-sent ok Sent/1703/12\n"
           "DONE ok added=1 changed=0 removed=0 actions=1/0\nCLOSED -\n" },

  /* … and a non-synchronizing one with LITERAL+ (RFC 7888). */
  { .name = "append-sent-literal-plus", .tls_mode = IMPLICIT, .verify = verify_sent,
    .actions = ACTIONS (DO_APPEND),
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "0", "1700")
                            "A004 OK [APPENDUID 1703 12] Append completed.\r\n" S_BYE ("A005"))),
    .client = C_HELLO C_SELECT ("A003") "A004 APPEND Sent (\\Seen) {23+}\r\n" MSG_SENT "\r\n" C_LOGOUT ("A005"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\nADDED Sent/1703/12 Sent r full 23\nACTION 1 append-sent ok Sent/1703/12\n"
           "DONE ok added=1 changed=0 removed=0 actions=1/0\nCLOSED -\n" },

  /* Refused before the literal went out (RFC 3501 §7.5): the session
   * goes on. */
  { .name = "append-refused", .tls_mode = IMPLICIT,
    .actions = ACTIONS (DO_APPEND),
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1") S_SELECT ("A003", "0", "1700")
                            "A004 NO [OVERQUOTA] Quota exceeded\r\n" S_BYE ("A005"))),
    .client = C_HELLO C_SELECT ("A003") "A004 APPEND Sent (\\Seen) {23}\r\n" C_LOGOUT ("A005"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\nACTION 1 append-sent action-refused\n"
           "DONE ok added=0 changed=0 removed=0 actions=0/1\nCLOSED -\n" },

  { .name = "append-no-sent", .tls_mode = IMPLICIT,
    .actions = ACTIONS (DO_APPEND),
    .steps = STEPS (SERVER (S_GREETING S_LOGGED_IN_C (CAPS) "* LIST () \"/\" INBOX\r\n" S_OK ("A002")
                            S_SELECT ("A003", "0", "1700") S_BYE ("A004"))),
    .client = C_HELLO C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\nACTION 1 append-sent no-such-folder\n"
           "DONE ok added=0 changed=0 removed=0 actions=0/1\nCLOSED -\n" },

  /* ---- Push and poll ---- */

  /* RFC 2177: EXISTS comes while idling; DONE, fetch, IDLE again. */
  { .name = "idle-new-mail", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two, .verify = verify_idle,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\n"),
                    DEADLINE (60),
                    SERVER ("+ idling\r\n"),
                    EXPECT (""),
                    DEADLINE (29 * 60),
                    NOW (600),
                    SERVER ("* 3 EXISTS\r\n* 1 RECENT\r\n"),
                    EXPECT ("DONE\r\n"),
                    SERVER (S_OK ("A005")),
                    EXPECT (C_FETCH ("A006", "3:*")),
                    SERVER (F_FULL ("3", "3", "", MSG_C) S_OK ("A006")),
                    EXPECT ("A007 IDLE\r\n"),
                    SERVER ("+ idling\r\n"),
                    STOP,
                    EXPECT ("DONE\r\n"),
                    SERVER (S_OK ("A007")),
                    EXPECT (C_LOGOUT ("A008")),
                    SERVER (S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\n" C_FETCH ("A006", "3:*") "A007 IDLE\r\nDONE\r\n"
              C_LOGOUT ("A008"),
    .log = L_RESYNC2 "IDLE+ INBOX\nIDLE- INBOX\nADDED INBOX/1700/3 Inbox - full 23\nSYNCED INBOX 3 +1 ~0 -0\n"
           "IDLE+ INBOX\nIDLE- INBOX\n" L_OK (1, 0, 0) },

  /* Expunges and flag changes need no DONE: mirrored as they come. */
  { .name = "idle-changes", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .verify = verify_pushed_changes,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "+ idling\r\n"
                            "* 2 FETCH (FLAGS (\\Seen \\Flagged))\r\n* 1 EXPUNGE\r\n"),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\n"),
                    STOP,
                    SERVER (S_OK ("A005") S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 "IDLE+ INBOX\nCHANGED INBOX/1700/2 rf full\nREMOVED INBOX/1700/1 Inbox\nIDLE- INBOX\n"
           L_OK (0, 1, 1) },

  /* The user acts while idling: DONE, the action, IDLE again. */
  { .name = "idle-action", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "+ idling\r\n"),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\n"),
                    ACTION (MARK_READ, "INBOX/1700/2"),
                    EXPECT ("DONE\r\n"),
                    SERVER (S_OK ("A005")),
                    EXPECT ("A006 UID STORE 2 +FLAGS (\\Seen)\r\n"),
                    SERVER (F_FLAGS ("2", "2", "\\Seen") S_OK ("A006")),
                    EXPECT ("A007 IDLE\r\n"),
                    SERVER ("+ idling\r\n"),
                    STOP,
                    SERVER (S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\nA006 UID STORE 2 +FLAGS (\\Seen)\r\nA007 IDLE\r\nDONE\r\n"
              C_LOGOUT ("A008"),
    .log = L_RESYNC2 "IDLE+ INBOX\nIDLE- INBOX\nCHANGED INBOX/1700/2 r full\nACTION 1 mark-read ok\n"
           "IDLE+ INBOX\nIDLE- INBOX\nDONE ok added=0 changed=1 removed=0 actions=1/0\nCLOSED -\n" },

  /* An action queued before "+" waits for it: DONE may only follow it. */
  { .name = "idle-action-early", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2),
                    ACTION (FLAG, "INBOX/1700/2"),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\n"),
                    SERVER ("+ idling\r\n"),
                    EXPECT ("DONE\r\n"),
                    SERVER (S_OK ("A005") S_OK ("A006") "+ idling\r\n"),
                    STOP,
                    SERVER (S_OK ("A007") S_BYE ("A008"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\nA006 UID STORE 2 +FLAGS (\\Flagged)\r\nA007 IDLE\r\n"
              "DONE\r\n" C_LOGOUT ("A008"),
    .log = L_RESYNC2 "IDLE+ INBOX\nIDLE- INBOX\nCHANGED INBOX/1700/2 f full\nACTION 1 flag ok\n"
           "IDLE+ INBOX\nIDLE- INBOX\nDONE ok added=0 changed=1 removed=0 actions=1/0\nCLOSED -\n" },

  /* RFC 2177 §3: re-issued before 29 minutes pass. */
  { .name = "idle-renew", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "+ idling\r\n"),
                    EXPECT (C_HELLO C_RESYNC2 "A005 IDLE\r\n"),
                    NOW (29 * 60 - 1),
                    CHECK_TIMEOUT (FALSE),
                    EXPECT (""),
                    NOW (29 * 60),
                    CHECK_TIMEOUT (FALSE),
                    EXPECT ("DONE\r\n"),
                    DEADLINE (30 * 60),
                    SERVER (S_OK ("A005")),
                    EXPECT ("A006 IDLE\r\n"),
                    SERVER ("+ idling\r\n"),
                    DEADLINE (58 * 60),
                    STOP,
                    SERVER (S_OK ("A006") S_BYE ("A007"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nDONE\r\nA006 IDLE\r\nDONE\r\n" C_LOGOUT ("A007"),
    .log = L_RESYNC2 "IDLE+ INBOX\nIDLE- INBOX\nIDLE+ INBOX\nIDLE- INBOX\n" L_OK (0, 0, 0) },

  /* Polling (RFC 3501 §6.1.2): NOOP every interval. */
  { .name = "poll", .tls_mode = IMPLICIT, .options = POLL, .setup = setup_two, .verify = verify_idle,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2),
                    EXPECT (C_HELLO C_RESYNC2),
                    DEADLINE (300),
                    NOW (299),
                    CHECK_TIMEOUT (FALSE),
                    EXPECT (""),
                    NOW (300),
                    CHECK_TIMEOUT (FALSE),
                    EXPECT ("A005 NOOP\r\n"),
                    DEADLINE (360),
                    SERVER ("* 3 EXISTS\r\n" S_OK ("A005")),
                    EXPECT (C_FETCH ("A006", "3:*")),
                    SERVER (F_FULL ("3", "3", "", MSG_C) S_OK ("A006")),
                    EXPECT (""),
                    DEADLINE (600),
                    STOP,
                    SERVER (S_BYE ("A007"))),
    .client = C_HELLO C_RESYNC2 "A005 NOOP\r\n" C_FETCH ("A006", "3:*") C_LOGOUT ("A007"),
    .log = L_RESYNC2 "ADDED INBOX/1700/3 Inbox - full 23\nSYNCED INBOX 3 +1 ~0 -0\n" L_OK (1, 0, 0) },

  /* The user acts while the device waits to poll: at once. */
  { .name = "poll-action", .tls_mode = IMPLICIT, .options = POLL, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2),
                    NOW (100),
                    ACTION (FLAG, "INBOX/1700/2"),
                    EXPECT (C_HELLO C_RESYNC2 "A005 UID STORE 2 +FLAGS (\\Flagged)\r\n"),
                    SERVER (S_OK ("A005")),
                    DEADLINE (300),
                    STOP,
                    SERVER (S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 UID STORE 2 +FLAGS (\\Flagged)\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 "CHANGED INBOX/1700/2 f full\nACTION 1 flag ok\n"
           "DONE ok added=0 changed=1 removed=0 actions=1/0\nCLOSED -\n" },

  /* Told to stop while syncing: the sync ends, no IDLE follows. */
  { .name = "stop-while-syncing", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700")),
                    STOP,
                    SERVER (F_FLAGS ("1", "1", "\\Seen") F_FLAGS ("2", "2", "") S_OK ("A004") S_BYE ("A005"))),
    .client = C_HELLO C_RESYNC2 C_LOGOUT ("A005"),
    .log = L_RESYNC2 L_OK (0, 0, 0) },

  /* IDLE asked for, not offered: polling. */
  { .name = "idle-unsupported", .tls_mode = IMPLICIT, .options = USE_IDLE | POLL, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO_C ("IMAP4rev1") S_RESYNC2),
                    NOW (300),
                    CHECK_TIMEOUT (FALSE),
                    SERVER (S_OK ("A005")),
                    STOP,
                    SERVER (S_BYE ("A006"))),
    .client = C_HELLO C_RESYNC2 "A005 NOOP\r\n" C_LOGOUT ("A006"),
    .log = L_RESYNC2 L_OK (0, 0, 0) },

  /* IDLE offered but refused: polling too. */
  { .name = "idle-refused", .tls_mode = IMPLICIT, .options = USE_IDLE | POLL, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "A005 BAD not now\r\n"),
                    NOW (300),
                    CHECK_TIMEOUT (FALSE),
                    SERVER (S_OK ("A006")),
                    STOP,
                    SERVER (S_BYE ("A007"))),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\nA006 NOOP\r\n" C_LOGOUT ("A007"),
    .log = L_RESYNC2 L_OK (0, 0, 0) },

  /* ---- Endings ---- */

  { .name = "silent-server", .tls_mode = IMPLICIT,
    .steps = STEPS (DEADLINE (60), NOW (59), CHECK_TIMEOUT (FALSE), NOW (60), CHECK_TIMEOUT (TRUE),
                    CHECK_TIMEOUT (FALSE)),
    .client = "",
    .log = "DONE timeout transient added=0 changed=0 removed=0 actions=0/0\nCLOSED timeout\n" },

  /* Ended while logging out after a failure: DONE keeps the first reason. */
  { .name = "timeout-while-logging-out", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "A001 NO [AUTHENTICATIONFAILED] no\r\n"),
                    NOW (60), CHECK_TIMEOUT (TRUE)),
    .client = C_LOGIN C_LOGOUT ("A002"),
    .log = "DONE auth-failed added=0 changed=0 removed=0 actions=0/0\nCLOSED timeout\n" },

  { .name = "connection-lost", .tls_mode = IMPLICIT, .setup = setup_two,
    .actions = ACTIONS (DO (FLAG, "INBOX/1700/1")),
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700")), PEER_CLOSED),
    .client = C_HELLO C_SELECT ("A003") "A004 UID FETCH 1:2 (FLAGS)\r\n",
    .log = "ACTION 1 flag not-done\n"
           "DONE connection-lost transient added=0 changed=0 removed=0 actions=0/1\nCLOSED connection-lost\n" },

  /* The BYE may be all that comes of LOGOUT before the server hangs up. */
  { .name = "logout-bye-only", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "0", "1") "* BYE Logging out\r\n"), PEER_CLOSED),
    .client = C_HELLO C_SELECT ("A003") C_LOGOUT ("A004"),
    .log = "SYNCED INBOX 0 +0 ~0 -0\n" L_OK (0, 0, 0) },

  /* RFC 3501 §7.1.5: a BYE outside LOGOUT is the server going away. */
  { .name = "bye-autologout", .tls_mode = IMPLICIT, .options = USE_IDLE, .setup = setup_two,
    .steps = STEPS (SERVER (S_HELLO S_RESYNC2 "+ idling\r\n* BYE Autologout; idle for too long\r\n")),
    .client = C_HELLO C_RESYNC2 "A005 IDLE\r\n",
    .log = L_RESYNC2 "IDLE+ INBOX\n"
           "DONE server-bye transient added=0 changed=0 removed=0 actions=0/0\nCLOSED server-bye\n" },

  /* ---- What a client must not take ---- */

  { .name = "not-imap", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("220 smtp.example.com ESMTP\r\n")),
    .client = "",
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "greeting-not-ok", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("* 3 EXISTS\r\n")),
    .client = "",
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "unknown-tag", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "B001 OK Logged in\r\n")),
    .client = C_LOGIN,
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "unexpected-continuation", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "+ go on\r\n")),
    .client = C_LOGIN,
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "accepted-too-early", .tls_mode = IMPLICIT, .password = "pässwörd",
    .steps = STEPS (SERVER (S_GREETING_C ("IMAP4rev1") "A001 OK Logged in\r\n")),
    .client = "A001 LOGIN alice {10}\r\n",
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "fetch-not-a-list", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") "* 1 FETCH UID 1\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "fetch-odd-items", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") "* 1 FETCH (UID 1 FLAGS)\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "fetch-bad-uid", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") "* 1 FETCH (UID 0)\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "fetch-no-such-message", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") F_FULL ("2", "2", "", MSG_B))),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "uid-changed", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") F_FLAGS ("1", "4", "")
                            F_FLAGS ("1", "5", ""))),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "expunge-no-such-message", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") "* 2 EXPUNGE\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "exists-shrinks", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "2", "1700") "* 1 EXISTS\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "exists-huge", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO "* 4294967295 EXISTS\r\n")),
    .client = C_HELLO C_SELECT ("A003"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "bad-list", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_LOGGED_IN_C (CAPS) "* LIST \"/\" INBOX\r\n")),
    .client = C_HELLO,
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "unbalanced", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_HELLO S_SELECT ("A003", "1", "1700") "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE protocol added=0 changed=0 removed=0 actions=0/0\nCLOSED protocol\n" },

  { .name = "line-too-long", .tls_mode = IMPLICIT, .options = SMALL_LIMITS,
    .steps = STEPS (SERVER ("* OK 01234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n")),
    .client = "",
    .log = "DONE too-big added=0 changed=0 removed=0 actions=0/0\nCLOSED too-big\n" },

  { .name = "literal-too-big", .tls_mode = IMPLICIT, .options = SMALL_LIMITS, .verify = verify_nothing,
    .steps = STEPS (SERVER ("* OK [CAPABILITY IMAP4rev1] hi\r\nA001 OK [CAPABILITY IMAP4rev1] ok\r\n"
                            "* LIST () \"/\" INBOX\r\n" S_OK ("A002")
                            "* 1 EXISTS\r\n* OK [UIDVALIDITY 1700] ok\r\n" S_OK ("A003")
                            "* 1 FETCH (UID 1 BODY[] {23}\r\n" MSG_A ")\r\n")),
    .client = C_HELLO C_SELECT ("A003") C_FETCH ("A004", "1:*"),
    .log = "DONE too-big added=0 changed=0 removed=0 actions=0/0\nCLOSED too-big\n" },
};

/* ---- Running a conversation ---- */

typedef struct
{
  MscDeviceStore *store;
  MscImapClient  *client;
  GString        *output;        /* every byte sent */
  GString        *since_expect;  /* bytes sent since the last EXPECT */
  GString        *commands;      /* the COMMAND events' wire bytes */
  GString        *log;
  guint           n_done;
  guint           n_closed;
  GError         *feed_error;
} Run;

static void
drain (Run *run)
{
  g_autoptr(GBytes) bytes = msc_imap_client_take_output (run->client);
  MscImapClientEvent *event;

  if (bytes != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_string_append_len (run->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_string_append_len (run->since_expect, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  while ((event = msc_imap_client_next_event (run->client)) != NULL)
    {
      if (event->kind == MSC_IMAP_CLIENT_EVENT_COMMAND)
        g_string_append_len (run->commands, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      if (event->kind == MSC_IMAP_CLIENT_EVENT_DONE)
        {
          g_assert_cmpuint (run->n_closed, ==, 0);
          run->n_done++;
        }
      if (event->kind == MSC_IMAP_CLIENT_EVENT_CLOSED)
        {
          g_assert_cmpuint (run->n_done, ==, 1);
          run->n_closed++;
        }
      log_event (run->log, event);
      msc_imap_client_event_free (event);
    }
}

static void
run_feed (Run          *run,
          const guint8 *data,
          gsize         len,
          gboolean      trickle)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_imap_client_is_closed (run->client); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_imap_client_feed (run->client, data + i, MIN (step, len - i), &error))
        {
          /* Only a session ending without LOGOUT fails a feed. */
          g_assert_nonnull (error);
          g_assert_true (msc_imap_client_is_closed (run->client));
          g_assert_false (g_error_matches (error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_CLOSED));
          g_clear_error (&run->feed_error);
          run->feed_error = g_steal_pointer (&error);
        }
      else
        {
          g_assert_no_error (error);
        }
      drain (run);
    }
}

static MscImapClient *
new_client (const Conversation *conversation,
            MscDeviceStore     *store)
{
  g_autoptr(GBytes) sent = g_bytes_new_static (MSG_SENT, strlen (MSG_SENT));
  g_autofree MscImapClientAction *actions = g_memdup2 (conversation->actions,
                                                       conversation->n_actions * sizeof (MscImapClientAction));
  MscImapClientConfig config = {
    .user = "alice",
    .password = conversation->password != NULL ? conversation->password : "secret",
    .tls_mode = conversation->tls_mode,
    .allow_auth_without_tls = (conversation->options & ALLOW_PLAINTEXT) != 0,
    .use_idle = (conversation->options & USE_IDLE) != 0,
    .poll_interval_usec = (conversation->options & POLL) ? 5 * MINUTE : 0,
    .headers_only_first = (conversation->options & HEADERS_ONLY) != 0,
    .open_with_peek = (conversation->options & PEEK) != 0,
    .folders = conversation->folders,
    .actions = actions,
    .n_actions = conversation->n_actions,
    .max_line_length = (conversation->options & SMALL_LIMITS) ? 64 : 0,
    .max_message_size = (conversation->options & SMALL_LIMITS) ? 16 : 0,
  };

  for (guint i = 0; i < conversation->n_actions; i++)
    {
      if (actions[i].kind == MSC_IMAP_CLIENT_ACTION_APPEND_SENT)
        actions[i].message = sent;
    }

  return msc_imap_client_new (&config, store);
}

static void
run_conversation (const Conversation *conversation,
                  gboolean            trickle)
{
  Run run = { 0, };
  const MscImapClientOutcome *outcome;

  run.store = msc_device_store_new ();
  run.output = g_string_new (NULL);
  run.since_expect = g_string_new (NULL);
  run.commands = g_string_new (NULL);
  run.log = g_string_new (NULL);

  if (conversation->setup != NULL)
    conversation->setup (run.store);

  run.client = new_client (conversation, run.store);
  msc_imap_client_set_now (run.client, T0);
  g_assert_cmpint (msc_imap_client_get_deadline (run.client), ==, -1);
  g_assert_false (msc_imap_client_want_read (run.client));
  msc_imap_client_start (run.client);
  g_assert_true (msc_imap_client_want_read (run.client));
  g_assert_cmpint (msc_imap_client_get_deadline (run.client), ==, T0 + 60 * SEC);
  drain (&run);

  for (const Step *step = conversation->steps; step->kind != STEP_END; step++)
    {
      switch (step->kind)
        {
        case STEP_SERVER:
          run_feed (&run, (const guint8 *) step->data, step->len, trickle);
          break;

        case STEP_EXPECT:
          g_assert_cmpstr (run.since_expect->str, ==, step->data);
          g_string_truncate (run.since_expect, 0);
          break;

        case STEP_TLS_STARTED:
          g_assert_cmpint (msc_imap_client_get_state (run.client), ==, MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE);
          g_assert_false (msc_imap_client_want_read (run.client));
          g_assert_cmpint (msc_imap_client_get_deadline (run.client), ==, -1);
          g_assert_false (msc_imap_client_is_tls_active (run.client));
          msc_imap_client_tls_started (run.client);
          g_assert_true (msc_imap_client_is_tls_active (run.client));
          /* What came in plaintext is forgotten until CAPABILITY answers. */
          g_assert_false (msc_imap_client_has_capability (run.client, "STARTTLS"));
          drain (&run);
          break;

        case STEP_NOW:
          msc_imap_client_set_now (run.client, T0 + step->value * SEC);
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_imap_client_check_timeout (run.client), ==, step->value);
          drain (&run);
          break;

        case STEP_DEADLINE:
          g_assert_cmpint (msc_imap_client_get_deadline (run.client), ==, T0 + step->value * SEC);
          break;

        case STEP_PEER_CLOSED:
          {
            g_autoptr(GError) error = NULL;
            gboolean ok = msc_imap_client_peer_closed (run.client, &error);

            g_assert_true (ok == (error == NULL));
            if (error != NULL)
              run.feed_error = g_steal_pointer (&error);
            drain (&run);
          }
          break;

        case STEP_ACTION:
          {
            MscImapClientAction action = { .kind = step->value, .key = step->data, .folder = step->folder };

            g_assert_cmpuint (msc_imap_client_queue_action (run.client, &action), >, 0);
            drain (&run);
          }
          break;

        case STEP_STOP:
          msc_imap_client_stop (run.client);
          drain (&run);
          break;

        case STEP_END:
        default:
          g_assert_not_reached ();
        }
    }

  g_assert_cmpstr (run.output->str, ==, conversation->client);
  /* The COMMAND events carry exactly the bytes that went out. */
  g_assert_cmpstr (run.commands->str, ==, run.output->str);
  g_assert_cmpstr (run.log->str, ==, conversation->log);

  g_assert_true (msc_imap_client_is_closed (run.client));
  g_assert_false (msc_imap_client_want_read (run.client));
  g_assert_cmpint (msc_imap_client_get_deadline (run.client), ==, -1);
  g_assert_cmpuint (run.n_done, ==, 1);
  g_assert_cmpuint (run.n_closed, ==, 1);
  outcome = msc_imap_client_get_outcome (run.client);
  g_assert_nonnull (outcome);

  /* A feed fails exactly when the session ended without LOGOUT, with the
   * reason CLOSED gave. */
  if (run.feed_error != NULL)
    {
      g_autofree char *closed = g_strdup_printf ("CLOSED %s\n", error_nick (run.feed_error));

      g_assert_true (g_str_has_suffix (conversation->log, closed));
    }

  if (conversation->verify != NULL)
    conversation->verify (run.store);

  /* Once closed, everything else is refused. */
  {
    g_autoptr(GError) error = NULL;
    MscImapClientAction action = { .kind = MSC_IMAP_CLIENT_ACTION_FLAG, .key = "INBOX/1/1" };

    g_assert_false (msc_imap_client_feed (run.client, (const guint8 *) "* OK\r\n", 6, &error));
    g_assert_error (error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_CLOSED);
    g_assert_cmpuint (msc_imap_client_queue_action (run.client, &action), ==, 0);
    msc_imap_client_stop (run.client);
    g_assert_null (msc_imap_client_next_event (run.client));
    g_assert_null (msc_imap_client_take_output (run.client));
  }

  g_assert_finalize_object (g_steal_pointer (&run.client));
  g_assert_finalize_object (g_steal_pointer (&run.store));
  g_string_free (run.output, TRUE);
  g_string_free (run.since_expect, TRUE);
  g_string_free (run.commands, TRUE);
  g_string_free (run.log, TRUE);
  g_clear_error (&run.feed_error);
}

static void
test_conversation_whole (gconstpointer data)
{
  run_conversation (data, FALSE);
}

static void
test_conversation_trickled (gconstpointer data)
{
  run_conversation (data, TRUE);
}

/* ---- Events in detail ---- */

static GPtrArray *
collect_events (MscImapClient *client)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_imap_client_event_free);
  MscImapClientEvent *event;

  while ((event = msc_imap_client_next_event (client)) != NULL)
    g_ptr_array_add (events, event);

  return events;
}

static const MscImapClientEvent *
find_event (GPtrArray              *events,
            MscImapClientEventKind  kind,
            guint                   nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscImapClientEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && nth-- == 0)
        return event;
    }

  g_assert_not_reached ();
  return NULL;
}

static void
assert_wire (const MscImapClientEvent *event,
             const char               *expected)
{
  g_assert_cmpmem (g_bytes_get_data (event->wire, NULL), g_bytes_get_size (event->wire),
                   expected, strlen (expected));
}

static void
test_events (void)
{
  static const char script[] =
    S_GREETING_C ("IMAP4rev1 LOGINDISABLED AUTH=PLAIN") "+ \r\n"
    "A001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" S_BYE ("A002");
  g_autoptr(MscDeviceStore) store = msc_device_store_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) states = g_string_new (NULL);
  Conversation conversation = { .tls_mode = IMPLICIT };
  MscImapClient *client = new_client (&conversation, store);
  const MscImapClientEvent *event;

  msc_imap_client_set_now (client, T0);
  msc_imap_client_start (client);
  g_assert_true (msc_imap_client_feed (client, (const guint8 *) script, sizeof script - 1, NULL));
  events = collect_events (client);

  /* The command in two pieces, the SASL response marked secret. */
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_COMMAND, 0);
  g_assert_cmpstr (event->tag, ==, "A001");
  g_assert_cmpstr (event->line, ==, "A001 AUTHENTICATE PLAIN");
  g_assert_false (event->continued);
  g_assert_true (event->secret);
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_COMMAND, 1);
  g_assert_cmpstr (event->tag, ==, "A001");
  g_assert_cmpstr (event->line, ==, "AGFsaWNlAHNlY3JldA==");
  g_assert_true (event->continued);
  g_assert_true (event->secret);
  assert_wire (event, "AGFsaWNlAHNlY3JldA==\r\n");
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_COMMAND, 2);
  g_assert_cmpstr (event->line, ==, "A002 LOGOUT");
  g_assert_false (event->secret);

  /* Responses: the greeting with its code, the continuation, the tagged
   * NO, the BYE. */
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_RESPONSE, 0);
  g_assert_cmpint (event->response_kind, ==, MSC_IMAP_ITEM_UNTAGGED);
  g_assert_cmpstr (event->name, ==, "OK");
  g_assert_cmpstr (event->code, ==, "CAPABILITY");
  g_assert_cmpstr (event->code_text, ==, "IMAP4rev1 LOGINDISABLED AUTH=PLAIN");
  g_assert_cmpstr (event->text, ==, "Dovecot ready.");
  g_assert_null (event->tag);
  assert_wire (event, S_GREETING_C ("IMAP4rev1 LOGINDISABLED AUTH=PLAIN"));
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_RESPONSE, 1);
  g_assert_cmpint (event->response_kind, ==, MSC_IMAP_ITEM_CONTINUATION);
  g_assert_null (event->name);
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_RESPONSE, 2);
  g_assert_cmpint (event->response_kind, ==, MSC_IMAP_ITEM_TAGGED);
  g_assert_cmpstr (event->tag, ==, "A001");
  g_assert_cmpstr (event->name, ==, "NO");
  g_assert_cmpstr (event->code, ==, "AUTHENTICATIONFAILED");
  g_assert_cmpstr (event->text, ==, "Authentication failed.");
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_RESPONSE, 3);
  g_assert_cmpstr (event->name, ==, "BYE");

  /* Every state, through the one setter. */
  for (guint i = 0; i < events->len; i++)
    {
      const MscImapClientEvent *e = g_ptr_array_index (events, i);

      if (e->kind == MSC_IMAP_CLIENT_EVENT_STATE_CHANGED)
        g_string_append_printf (states, "%s>%s ", msc_imap_client_state_get_name (e->old_state),
                                msc_imap_client_state_get_name (e->new_state));
    }
  g_assert_cmpstr (states->str, ==, "connect>greeting greeting>login login>logout logout>closed ");

  event = find_event (events, MSC_IMAP_CLIENT_EVENT_DONE, 0);
  g_assert_false (event->outcome->success);
  g_assert_false (event->outcome->transient);
  g_assert_error (event->outcome->error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_FAILED);
  g_assert_cmpstr (event->outcome->error->message, ==, "Wrong user name or password");
  g_assert_error (msc_imap_client_get_outcome (client)->error,
                  MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_FAILED);
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_CLOSED, 0);
  g_assert_null (event->error);

  g_assert_true (msc_imap_client_has_capability (client, "auth=plain"));
  g_assert_false (msc_imap_client_has_capability (client, "IDLE"));

  {
    g_autoptr(MscImapClientOutcome) copy = msc_imap_client_outcome_copy (msc_imap_client_get_outcome (client));

    g_assert_error (copy->error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_FAILED);
  }

  g_assert_finalize_object (client);
}

static void
test_message_events (void)
{
  static const char script[] =
    S_HELLO S_SELECT ("A003", "1", "1700") F_HDR ("1", "1", "\\Flagged", HDR_A) S_OK ("A004");
  g_autoptr(MscDeviceStore) store = msc_device_store_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) signals = g_string_new (NULL);
  Conversation conversation = { .tls_mode = IMPLICIT, .options = HEADERS_ONLY | USE_IDLE };
  MscImapClient *client = new_client (&conversation, store);
  const MscImapClientEvent *event;

  msc_imap_client_set_now (client, T0 + 7);
  msc_imap_client_start (client);
  g_assert_true (msc_imap_client_feed (client, (const guint8 *) script, sizeof script - 1, NULL));
  events = collect_events (client);

  event = find_event (events, MSC_IMAP_CLIENT_EVENT_MESSAGE_ADDED, 0);
  g_assert_cmpstr (event->key, ==, "INBOX/1700/1");
  g_assert_cmpstr (event->folder, ==, MSC_DEVICE_STORE_INBOX);
  g_assert_cmpint (event->flags, ==, MSC_DEVICE_FLAG_FLAGGED);
  g_assert_false (event->complete);
  g_assert_cmpuint (event->size, ==, 23);

  /* The FETCH response's wire holds its literal. */
  event = find_event (events, MSC_IMAP_CLIENT_EVENT_RESPONSE, 13);
  g_assert_cmpstr (event->name, ==, "FETCH");
  g_assert_true (event->has_number);
  g_assert_cmpuint (event->number, ==, 1);
  assert_wire (event, F_HDR ("1", "1", "\\Flagged", HDR_A));

  event = find_event (events, MSC_IMAP_CLIENT_EVENT_SYNCED, 0);
  g_assert_cmpstr (event->mailbox, ==, "INBOX");
  g_assert_cmpuint (event->n_messages, ==, 1);
  g_assert_cmpuint (event->n_added, ==, 1);

  /* Idling now, on INBOX. */
  g_assert_cmpint (msc_imap_client_get_state (client), ==, MSC_IMAP_CLIENT_STATE_IDLE);
  g_assert_cmpstr (msc_imap_client_get_special_mailbox (client, "\\Trash"), ==, "Trash");
  g_assert_cmpstr (msc_imap_client_get_special_mailbox (client, "\\sent"), ==, "Sent");
  g_assert_null (msc_imap_client_get_special_mailbox (client, "\\Junk"));
  g_assert_null (msc_imap_client_get_special_mailbox (client, "\\Noselect"));

  /* The device dates its copy by the virtual time passed in. */
  g_assert_cmpint (msc_device_message_get_downloaded (msc_device_store_lookup (store, "INBOX/1700/1")),
                   ==, T0 + 7);

  g_assert_finalize_object (client);
}

static void
test_keys (void)
{
  g_autofree char *key = msc_imap_client_make_key ("工作/项目", 3857529045u, 4294967295u);
  g_autofree char *mailbox = NULL;
  guint32 uidvalidity = 0;
  guint32 uid = 0;
  static const char * const bad[] = {
    "", "INBOX", "INBOX/1", "/1/2", "INBOX/0/1", "INBOX/1/0", "INBOX/01/1", "INBOX/1/+1",
    "INBOX/1/4294967296", "INBOX//1", "INBOX/1/", "INBOX/1/2x", "uid-a",
  };

  g_assert_cmpstr (key, ==, "工作/项目/3857529045/4294967295");
  g_assert_true (msc_imap_client_parse_key (key, &mailbox, &uidvalidity, &uid));
  g_assert_cmpstr (mailbox, ==, "工作/项目");
  g_assert_cmpuint (uidvalidity, ==, 3857529045u);
  g_assert_cmpuint (uid, ==, 4294967295u);
  g_assert_true (msc_imap_client_parse_key ("INBOX/1/2", NULL, NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (msc_imap_client_parse_key (bad[i], NULL, NULL, NULL));
}

static void
test_names (void)
{
  for (guint i = 0; i < MSC_IMAP_CLIENT_N_STATES; i++)
    g_assert_nonnull (msc_imap_client_state_get_name (i));
  for (guint i = 0; i < MSC_IMAP_CLIENT_N_EVENT_KINDS; i++)
    g_assert_nonnull (msc_imap_client_event_kind_get_name (i));
  for (guint i = 0; i < MSC_IMAP_CLIENT_N_ACTIONS; i++)
    g_assert_nonnull (msc_imap_client_action_kind_get_name (i));

  g_assert_cmpstr (msc_imap_client_state_get_name (MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE), ==, "tls-handshake");
  g_assert_cmpstr (msc_imap_client_event_kind_get_name (MSC_IMAP_CLIENT_EVENT_ACTION_DONE), ==, "action-done");
  g_assert_cmpstr (msc_imap_client_action_kind_get_name (MSC_IMAP_CLIENT_ACTION_APPEND_SENT), ==, "append-sent");
  g_assert_cmpuint (G_N_ELEMENTS (error_nicks), ==, MSC_IMAP_CLIENT_ERROR_NOT_DONE + 1);
}

/* ---- Against the real IMAP server engine ---- */

#define ALICE "alice@example.com"

#define M1 "From: bob@example.com\r\nSubject: one\r\n\r\nFirst.\r\n"
#define M2 "From: bob@example.com\r\nSubject: two\r\n\r\nSecond.\r\n"
#define M3 "From: bob@example.com\r\nSubject: three\r\n\r\nThird.\r\n"
#define M4 "From: alice@example.com\r\nSubject: sent\r\n\r\nMine.\r\n"

typedef struct
{
  MscMailStore   *mail;
  MscDeviceStore *phone;
  MscDeviceStore *laptop;
} World;

/* How a device's session is set up. */
typedef struct
{
  guint                       options;     /* USE_IDLE, POLL, HEADERS_ONLY, PEEK */
  const char * const         *folders;
  const MscImapClientAction  *actions;
  guint                       n_actions;
  gboolean                    starttls;    /* port 143 and STARTTLS, else 993 */
  const char                 *password;
} Setup;

/* A client and a server engine wired back to back in memory.  The TLS
 * layer is imagined: when both reach their STARTTLS point, each is told
 * the handshake is done. */
typedef struct
{
  MscImapServer *server;
  MscImapClient *client;
  GString       *log;      /* log_event() of the client's events */
} Session;

static void
world_set_up (World         *w,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;

  w->mail = msc_mail_store_new ();
  msc_mail_store_set_password_iterations (w->mail, 1000);
  g_assert_true (msc_mail_store_add_domain (w->mail, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (w->mail, ALICE, "Alice", "secret", &error));
  g_assert_no_error (error);

  w->phone = msc_device_store_new ();
  w->laptop = msc_device_store_new ();
}

static void
world_tear_down (World         *w,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_assert_finalize_object (g_steal_pointer (&w->phone));
  g_assert_finalize_object (g_steal_pointer (&w->laptop));
  g_assert_finalize_object (g_steal_pointer (&w->mail));
}

static void
deliver (World      *w,
         const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (msc_mail_store_deliver (w->mail, ALICE, bytes, &error), >, 0);
  g_assert_no_error (error);
}

static MscMailbox *
server_mailbox (World      *w,
                const char *name)
{
  g_autoptr(GError) error = NULL;
  MscMailbox *mailbox = msc_mail_store_get_mailbox (w->mail, ALICE, name, &error);

  g_assert_no_error (error);

  return mailbox;
}

/* Moves bytes both ways until both engines are quiet. */
static void
pump (Session *s)
{
  for (;;)
    {
      g_autoptr(GBytes) from_server = msc_imap_server_take_output (s->server);
      g_autoptr(GBytes) from_client = NULL;
      MscImapServerEvent *server_event;
      MscImapClientEvent *event;
      gboolean moved = FALSE;

      if (from_server != NULL && !msc_imap_client_is_closed (s->client))
        {
          g_assert_true (msc_imap_client_feed (s->client, g_bytes_get_data (from_server, NULL),
                                               g_bytes_get_size (from_server), NULL));
          moved = TRUE;
        }

      if (msc_imap_client_get_state (s->client) == MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE &&
          msc_imap_server_get_state (s->server) == MSC_IMAP_SERVER_STATE_STARTTLS)
        {
          msc_imap_server_tls_started (s->server);
          msc_imap_client_tls_started (s->client);
          moved = TRUE;
        }

      from_client = msc_imap_client_take_output (s->client);
      if (from_client != NULL && !msc_imap_server_is_closed (s->server))
        {
          g_assert_true (msc_imap_server_feed (s->server, g_bytes_get_data (from_client, NULL),
                                               g_bytes_get_size (from_client), NULL));
          moved = TRUE;
        }

      while ((server_event = msc_imap_server_next_event (s->server)) != NULL)
        msc_imap_server_event_free (server_event);
      while ((event = msc_imap_client_next_event (s->client)) != NULL)
        {
          log_event (s->log, event);
          msc_imap_client_event_free (event);
        }

      if (!moved)
        break;
    }
}

static void
set_now (Session *s,
         gint64   now)
{
  msc_imap_server_set_now (s->server, now);
  msc_imap_client_set_now (s->client, now);
}

static Session *
session_start (World          *w,
               MscDeviceStore *device,
               const Setup    *setup,
               gint64          now)
{
  MscImapServerConfig server_config = {
    .hostname = "imap.example.com",
    .tls_active = !setup->starttls,
    .tls_available = TRUE,
  };
  MscImapClientConfig client_config = {
    .user = ALICE,
    .password = setup->password != NULL ? setup->password : "secret",
    .tls_mode = setup->starttls ? MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED : MSC_IMAP_CLIENT_TLS_IMPLICIT,
    .use_idle = (setup->options & USE_IDLE) != 0,
    .poll_interval_usec = (setup->options & POLL) ? 5 * MINUTE : 0,
    .headers_only_first = (setup->options & HEADERS_ONLY) != 0,
    .open_with_peek = (setup->options & PEEK) != 0,
    .folders = setup->folders,
    .actions = setup->actions,
    .n_actions = setup->n_actions,
  };
  Session *s = g_new0 (Session, 1);

  s->server = msc_imap_server_new (&server_config, w->mail);
  s->client = msc_imap_client_new (&client_config, device);
  s->log = g_string_new (NULL);
  set_now (s, now);
  msc_imap_server_start (s->server);
  msc_imap_client_start (s->client);
  pump (s);

  return s;
}

/* Ends the session (LOGOUT) and returns the client's log. */
static char *
session_finish (Session *s)
{
  char *log;

  msc_imap_client_stop (s->client);
  pump (s);

  g_assert_true (msc_imap_client_is_closed (s->client));
  g_assert_true (msc_imap_server_is_closed (s->server));
  g_assert_nonnull (msc_imap_client_get_outcome (s->client));
  g_assert_no_error (msc_imap_client_get_outcome (s->client)->error);

  g_assert_finalize_object (s->client);
  g_assert_finalize_object (s->server);
  log = g_string_free (s->log, FALSE);
  g_free (s);

  return log;
}

/* One "check mail" that syncs and logs out. */
static char *
sync_once (World          *w,
           MscDeviceStore *device,
           const Setup    *setup,
           gint64          now)
{
  Session *s = session_start (w, device, setup, now);

  g_assert_true (msc_imap_client_is_closed (s->client));

  return session_finish (s);
}

static const char *
key_of (MscDeviceStore *device,
        const char     *folder,
        guint           position)
{
  g_autoptr(GPtrArray) messages = msc_device_store_list_folder (device, folder);

  g_assert_nonnull (messages);
  g_assert_cmpuint (position, <, messages->len);

  /* The store holds its own reference: the key outlives the list. */
  return msc_device_message_get_key (g_ptr_array_index (messages, position));
}

static MscDeviceFlags
flags_of (MscDeviceStore *device,
          const char     *key)
{
  MscDeviceMessage *message = msc_device_store_lookup (device, key);

  g_assert_nonnull (message);

  return msc_device_message_get_flags (message);
}

static void
assert_same_inbox (MscDeviceStore *a,
                   MscDeviceStore *b)
{
  g_autoptr(GPtrArray) messages_a = msc_device_store_list_folder (a, MSC_DEVICE_STORE_INBOX);
  g_autoptr(GPtrArray) messages_b = msc_device_store_list_folder (b, MSC_DEVICE_STORE_INBOX);

  g_assert_cmpuint (messages_a->len, ==, messages_b->len);
  for (guint i = 0; i < messages_a->len; i++)
    {
      MscDeviceMessage *message_a = g_ptr_array_index (messages_a, i);
      MscDeviceMessage *message_b = g_ptr_array_index (messages_b, i);

      g_assert_cmpstr (msc_device_message_get_key (message_a), ==, msc_device_message_get_key (message_b));
      g_assert_cmpint (msc_device_message_get_flags (message_a), ==, msc_device_message_get_flags (message_b));
    }
}

/* The IMAP lesson: what one device does, every device shows. */
static void
test_server_two_devices (World         *w,
                         gconstpointer  data G_GNUC_UNUSED)
{
  Setup plain = { 0, };
  g_autofree char *log = NULL;
  const char *key1;
  const char *key2;

  deliver (w, M1);
  deliver (w, M2);

  g_free (sync_once (w, w->phone, &plain, T0));
  log = sync_once (w, w->laptop, &plain, T0 + SEC);
  g_assert_true (g_str_has_suffix (log, "SYNCED INBOX 2 +2 ~0 -0\n" L_OK (2, 0, 0)));
  assert_same_inbox (w->phone, w->laptop);
  key1 = key_of (w->phone, MSC_DEVICE_STORE_INBOX, 0);
  key2 = key_of (w->phone, MSC_DEVICE_STORE_INBOX, 1);
  g_assert_cmpint (flags_of (w->laptop, key1), ==, MSC_DEVICE_FLAG_NONE);

  /* The phone reads one and deletes the other … */
  {
    MscImapClientAction actions[] = {
      { .kind = MSC_IMAP_CLIENT_ACTION_OPEN, .key = key1 },
      { .kind = MSC_IMAP_CLIENT_ACTION_DELETE, .key = key2 },
    };
    Setup acting = { .actions = actions, .n_actions = G_N_ELEMENTS (actions) };
    g_autofree char *phone_log = sync_once (w, w->phone, &acting, T0 + MINUTE);

    g_assert_nonnull (strstr (phone_log, "ACTION 1 open ok\n"));
    g_assert_nonnull (strstr (phone_log, "ACTION 2 delete ok Trash/"));
  }
  g_assert_cmpint (flags_of (w->phone, key1), ==, MSC_DEVICE_FLAG_READ);
  g_assert_null (msc_device_store_lookup (w->phone, key2));
  g_assert_cmpuint (msc_device_store_get_n_messages (w->phone, MSC_DEVICE_STORE_TRASH), ==, 1);

  /* … the server has it so … */
  g_assert_cmpuint (msc_mailbox_get_n_messages (server_mailbox (w, "INBOX")), ==, 1);
  g_assert_cmpuint (msc_mailbox_get_n_messages (server_mailbox (w, "Trash")), ==, 1);

  /* … and so does the laptop at its next sync: read, and gone. */
  g_clear_pointer (&log, g_free);
  log = sync_once (w, w->laptop, &plain, T0 + 2 * MINUTE);
  g_assert_true (g_str_has_suffix (log, "SYNCED INBOX 1 +0 ~1 -1\n" L_OK (0, 1, 1)));
  assert_same_inbox (w->phone, w->laptop);
  g_assert_cmpint (flags_of (w->laptop, key1), ==, MSC_DEVICE_FLAG_READ);
  g_assert_null (msc_device_store_lookup (w->laptop, key2));

  /* Mirroring Trash too, the laptop finds it there. */
  {
    Setup with_trash = { .folders = FOLDERS ("\\Trash") };

    g_free (sync_once (w, w->laptop, &with_trash, T0 + 3 * MINUTE));
  }
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_TRASH), ==, 1);
  g_assert_cmpstr (key_of (w->laptop, MSC_DEVICE_STORE_TRASH, 0), ==,
                   key_of (w->phone, MSC_DEVICE_STORE_TRASH, 0));
}

/* With IDLE the other device shows a change at once, without asking. */
static void
test_server_idle_push (World         *w,
                       gconstpointer  data G_GNUC_UNUSED)
{
  Setup plain = { 0, };
  Setup idling = { .options = USE_IDLE };
  Session *laptop;
  g_autofree char *log = NULL;
  const char *key1;
  const char *key2;

  deliver (w, M1);
  deliver (w, M2);
  g_free (sync_once (w, w->phone, &plain, T0));

  laptop = session_start (w, w->laptop, &idling, T0);
  g_assert_cmpint (msc_imap_client_get_state (laptop->client), ==, MSC_IMAP_CLIENT_STATE_IDLE);
  g_assert_cmpint (msc_imap_client_get_deadline (laptop->client), ==, T0 + 29 * MINUTE);
  assert_same_inbox (w->phone, w->laptop);
  key1 = key_of (w->phone, MSC_DEVICE_STORE_INBOX, 0);
  key2 = key_of (w->phone, MSC_DEVICE_STORE_INBOX, 1);

  /* The phone marks one read, flags it, deletes the other. */
  {
    MscImapClientAction actions[] = {
      { .kind = MSC_IMAP_CLIENT_ACTION_MARK_READ, .key = key1 },
      { .kind = MSC_IMAP_CLIENT_ACTION_FLAG, .key = key1 },
      { .kind = MSC_IMAP_CLIENT_ACTION_DELETE, .key = key2 },
    };
    Setup acting = { .actions = actions, .n_actions = G_N_ELEMENTS (actions) };

    g_free (sync_once (w, w->phone, &acting, T0 + MINUTE));
  }

  /* The store told the laptop's server session, which pushed it. */
  pump (laptop);
  g_assert_cmpint (flags_of (w->laptop, key1), ==, MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_FLAGGED);
  g_assert_null (msc_device_store_lookup (w->laptop, key2));
  assert_same_inbox (w->phone, w->laptop);
  g_assert_cmpint (msc_imap_client_get_state (laptop->client), ==, MSC_IMAP_CLIENT_STATE_IDLE);

  /* New mail arrives while the laptop idles: it is there at once. */
  deliver (w, M3);
  pump (laptop);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_INBOX), ==, 2);
  assert_message (w->laptop, key_of (w->laptop, MSC_DEVICE_STORE_INBOX, 1), MSC_DEVICE_STORE_INBOX,
                  M3, TRUE, MSC_DEVICE_FLAG_NONE);
  g_assert_cmpint (msc_imap_client_get_state (laptop->client), ==, MSC_IMAP_CLIENT_STATE_IDLE);

  /* The laptop acts while idling: DONE, the command, IDLE again, and
   * the phone sees it at its next sync. */
  {
    MscImapClientAction action = { .kind = MSC_IMAP_CLIENT_ACTION_MARK_READ,
                                   .key = key_of (w->laptop, MSC_DEVICE_STORE_INBOX, 1) };

    set_now (laptop, T0 + 2 * MINUTE);
    g_assert_cmpuint (msc_imap_client_queue_action (laptop->client, &action), >, 0);
    pump (laptop);
    g_assert_cmpint (msc_imap_client_get_state (laptop->client), ==, MSC_IMAP_CLIENT_STATE_IDLE);
  }
  g_free (sync_once (w, w->phone, &plain, T0 + 3 * MINUTE));
  assert_same_inbox (w->phone, w->laptop);

  log = session_finish (laptop);
  g_assert_cmpstr (log, ==,
                   "ADDED INBOX/1/1 Inbox - full 47\nADDED INBOX/1/2 Inbox - full 48\n"
                   "SYNCED INBOX 2 +2 ~0 -0\nIDLE+ INBOX\n"
                   /* pushed: no DONE needed */
                   "CHANGED INBOX/1/1 r full\nCHANGED INBOX/1/1 rf full\nREMOVED INBOX/1/2 Inbox\n"
                   /* new mail: DONE, fetch, IDLE again */
                   "IDLE- INBOX\nADDED INBOX/1/3 Inbox - full 49\nSYNCED INBOX 2 +1 ~2 -1\nIDLE+ INBOX\n"
                   /* the laptop's own action */
                   "IDLE- INBOX\nCHANGED INBOX/1/3 r full\nACTION 1 mark-read ok\nIDLE+ INBOX\n"
                   "IDLE- INBOX\nDONE ok added=3 changed=3 removed=1 actions=1/0\nCLOSED -\n");
}

/* Polling: the change shows at the next poll, not before. */
static void
test_server_poll (World         *w,
                  gconstpointer  data G_GNUC_UNUSED)
{
  Setup polling = { .options = POLL };
  Session *laptop;

  deliver (w, M1);
  laptop = session_start (w, w->laptop, &polling, T0);
  g_assert_cmpint (msc_imap_client_get_state (laptop->client), ==, MSC_IMAP_CLIENT_STATE_POLL);
  g_assert_cmpint (msc_imap_client_get_deadline (laptop->client), ==, T0 + 5 * MINUTE);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_INBOX), ==, 1);

  deliver (w, M2);
  pump (laptop);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_INBOX), ==, 1);

  set_now (laptop, T0 + 5 * MINUTE);
  g_assert_false (msc_imap_client_check_timeout (laptop->client));
  pump (laptop);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_INBOX), ==, 2);
  g_assert_cmpint (msc_imap_client_get_deadline (laptop->client), ==, T0 + 10 * MINUTE);

  g_free (session_finish (laptop));
}

/* Headers first, the body when opened; sent mail kept in Sent; a move
 * to a folder; all over STARTTLS. */
static void
test_server_folders (World         *w,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GBytes) sent = g_bytes_new_static (M4, strlen (M4));
  g_autoptr(GError) error = NULL;
  Setup previews = { .options = HEADERS_ONLY, .starttls = TRUE, .folders = FOLDERS ("\\Sent", "Work") };
  const char *key;

  g_assert_nonnull (msc_mail_store_create_mailbox (w->mail, ALICE, "Work", MSC_SPECIAL_USE_NONE, &error));
  g_assert_no_error (error);
  deliver (w, M1);

  g_free (sync_once (w, w->phone, &previews, T0));
  key = key_of (w->phone, MSC_DEVICE_STORE_INBOX, 0);
  g_assert_false (msc_device_message_is_complete (msc_device_store_lookup (w->phone, key)));

  {
    MscImapClientAction actions[] = {
      { .kind = MSC_IMAP_CLIENT_ACTION_OPEN, .key = key },
      { .kind = MSC_IMAP_CLIENT_ACTION_APPEND_SENT, .message = sent },
    };
    Setup acting = previews;

    acting.actions = actions;
    acting.n_actions = G_N_ELEMENTS (actions);
    g_free (sync_once (w, w->phone, &acting, T0 + MINUTE));
  }
  assert_message (w->phone, key, MSC_DEVICE_STORE_INBOX, M1, TRUE, MSC_DEVICE_FLAG_READ);
  g_assert_cmpuint (msc_mailbox_get_n_messages (server_mailbox (w, "Sent")), ==, 1);
  assert_message (w->phone, key_of (w->phone, "Sent", 0), "Sent", M4, TRUE, MSC_DEVICE_FLAG_READ);

  {
    MscImapClientAction move = { .kind = MSC_IMAP_CLIENT_ACTION_MOVE, .key = key, .folder = "Work" };
    Setup acting = previews;

    acting.actions = &move;
    acting.n_actions = 1;
    g_free (sync_once (w, w->phone, &acting, T0 + 2 * MINUTE));
  }
  g_assert_null (msc_device_store_lookup (w->phone, key));
  g_assert_cmpuint (msc_device_store_get_n_messages (w->phone, "Work"), ==, 1);
  g_assert_cmpuint (msc_mailbox_get_n_messages (server_mailbox (w, "Work")), ==, 1);

  /* The laptop, syncing the same folders, ends up with the same. */
  g_free (sync_once (w, w->laptop, &previews, T0 + 3 * MINUTE));
  g_assert_cmpstr (key_of (w->laptop, "Work", 0), ==, key_of (w->phone, "Work", 0));
  g_assert_cmpstr (key_of (w->laptop, "Sent", 0), ==, key_of (w->phone, "Sent", 0));
  g_assert_cmpuint (msc_device_store_get_n_messages (w->laptop, MSC_DEVICE_STORE_INBOX), ==, 0);
}

static void
test_server_wrong_password (World         *w,
                            gconstpointer  data G_GNUC_UNUSED)
{
  Setup wrong = { .password = "guess" };
  Session *s = session_start (w, w->phone, &wrong, T0);
  const MscImapClientOutcome *outcome = msc_imap_client_get_outcome (s->client);

  g_assert_true (msc_imap_client_is_closed (s->client));
  g_assert_nonnull (outcome);
  g_assert_error (outcome->error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_FAILED);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->phone, NULL), ==, 0);

  g_assert_finalize_object (s->client);
  g_assert_finalize_object (s->server);
  g_string_free (s->log, TRUE);
  g_free (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *whole = g_strdup_printf ("/msc/imap-client/script/%s/whole", conversations[i].name);
      g_autofree char *trickled = g_strdup_printf ("/msc/imap-client/script/%s/trickled", conversations[i].name);

      g_test_add_data_func (whole, &conversations[i], test_conversation_whole);
      g_test_add_data_func (trickled, &conversations[i], test_conversation_trickled);
    }

  g_test_add_func ("/msc/imap-client/events", test_events);
  g_test_add_func ("/msc/imap-client/message-events", test_message_events);
  g_test_add_func ("/msc/imap-client/keys", test_keys);
  g_test_add_func ("/msc/imap-client/names", test_names);

#define ADD(path, func) \
  g_test_add ("/msc/imap-client/server/" path, World, NULL, world_set_up, func, world_tear_down)

  ADD ("two-devices", test_server_two_devices);
  ADD ("idle-push", test_server_idle_push);
  ADD ("poll", test_server_poll);
  ADD ("folders", test_server_folders);
  ADD ("wrong-password", test_server_wrong_password);

#undef ADD

  return g_test_run ();
}
