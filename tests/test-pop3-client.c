/* test-pop3-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-pop3-client"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "msc-device-store.h"
#include "msc-mail-store.h"
#include "msc-pop3-client.h"
#include "msc-pop3-server.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0  (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define SEC (G_GINT64_CONSTANT (1) * G_USEC_PER_SEC)
#define DAY (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)

#define IMPLICIT  MSC_POP3_CLIENT_TLS_IMPLICIT
#define STLS_REQ  MSC_POP3_CLIENT_TLS_STLS_REQUIRED
#define STLS_OPT  MSC_POP3_CLIENT_TLS_STLS_IF_OFFERED
#define USER_PASS MSC_POP3_CLIENT_AUTH_USER
#define PLAIN     MSC_POP3_CLIENT_AUTH_PLAIN
#define APOP      MSC_POP3_CLIENT_AUTH_APOP
#define KEEP      MSC_POP3_CLIENT_KEEP
#define KEEP_DAYS MSC_POP3_CLIENT_KEEP_DAYS
#define DEL_LOCAL MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY

/* Short names for the log, in the order of MscPop3ClientError. */
static const char * const error_nicks[] = {
  "closed", "timeout", "connection-lost", "protocol", "line-too-long",
  "message-too-big", "service-unavailable", "tls-unavailable", "auth-insecure",
  "auth-unavailable", "auth-failed", "in-use", "login-delay", "server-failure",
  "update-failed", "no-uidl", "no-copy-kept", "retrieve-failed", "delete-failed",
};

static const char *
error_nick (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == MSC_POP3_CLIENT_ERROR);
  g_assert_cmpint (error->code, >=, 0);
  g_assert_cmpint (error->code, <, (int) G_N_ELEMENTS (error_nicks));
  /* Every message is for a person: never empty, never the wire's text
   * alone. */
  g_assert_cmpstr (error->message, !=, "");

  return error_nicks[error->code];
}

/* The events a lesson shows as "what happened to the mail", one a line.
 * The conversation itself is checked byte by byte elsewhere. */
static void
log_event (GString                  *log,
           const MscPop3ClientEvent *event)
{
  switch (event->kind)
    {
    case MSC_POP3_CLIENT_EVENT_COMMAND:
    case MSC_POP3_CLIENT_EVENT_REPLY:
    case MSC_POP3_CLIENT_EVENT_STATE_CHANGED:
      break;

    case MSC_POP3_CLIENT_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;

    case MSC_POP3_CLIENT_EVENT_DOWNLOADED:
      g_string_append_printf (log, "DOWNLOADED %u %s %" G_GSIZE_FORMAT " %s\n", event->number,
                              event->key, event->size, event->complete ? "full" : "preview");
      break;

    case MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER:
      g_string_append_printf (log, "DELETED %s\n", event->key);
      break;

    case MSC_POP3_CLIENT_EVENT_WARNING:
      g_string_append_printf (log, "WARNING %s\n", error_nick (event->error));
      break;

    case MSC_POP3_CLIENT_EVENT_DONE:
      {
        const MscPop3ClientOutcome *outcome = event->outcome;

        g_assert_true (outcome->success == (outcome->error == NULL));
        g_string_append_printf (log, "DONE %s%s messages=%u new=%u downloaded=%u deleted=%u\n",
                                outcome->success ? "ok" : error_nick (outcome->error),
                                outcome->transient ? " transient" : "",
                                outcome->n_messages, outcome->n_new, outcome->n_downloaded,
                                outcome->n_deleted);
      }
      break;

    case MSC_POP3_CLIENT_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %s\n", event->error != NULL ? error_nick (event->error) : "-");
      break;

    case MSC_POP3_CLIENT_N_EVENT_KINDS:
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
  STEP_PEER_CLOSED,
} StepKind;

typedef struct
{
  StepKind    kind;
  const char *data;
  gsize       len;
  gint64      value;
} Step;

enum
{
  ALLOW_PLAINTEXT = 1 << 0,
  HEADERS_ONLY    = 1 << 1,
  NO_PIPELINING   = 1 << 2,
  SMALL_LIMITS    = 1 << 3,
};

typedef struct
{
  const char              *name;
  MscPop3ClientTlsMode     tls_mode;
  MscPop3ClientAuthMethod  auth;
  MscPop3ClientRetention   retention;
  guint                    options;
  const char              *user;       /* NULL: alice */
  const char              *password;   /* NULL: secret */
  void                   (*setup)      (MscDeviceStore *store);
  void                   (*verify)     (MscDeviceStore *store);
  const Step              *steps;
  const char              *client;     /* every byte the client sends */
  const char              *log;
} Conversation;

#define SERVER(s)         { STEP_SERVER, s, sizeof (s) - 1, 0 }
#define EXPECT(s)         { STEP_EXPECT, s, sizeof (s) - 1, 0 }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0 }
#define NOW(s)            { STEP_NOW, NULL, 0, s }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b }
#define PEER_CLOSED       { STEP_PEER_CLOSED, NULL, 0, 0 }
#define END               { STEP_END, NULL, 0, 0 }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }

/* What the server says */
#define S_GREETING    "+OK POP3 server ready\r\n"
#define S_GREETING_TS "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
#define S_CAPA_ERR    "-ERR unknown command\r\n"
#define S_CAPA(lines) "+OK Capability list follows\r\n" lines ".\r\n"
#define CAP_BASIC     "TOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\n"
#define S_USER_OK     "+OK send PASS\r\n"
#define S_PASS_OK     "+OK maildrop locked and ready\r\n"
#define S_OK          "+OK\r\n"
#define S_STAT0       "+OK 0 0\r\n"
#define S_STAT2       "+OK 2 46\r\n"
#define S_UIDL2       "+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n"
#define MSG_A         "Subject: a\r\n\r\nHello A\r\n"     /* 23 bytes */
#define MSG_B         "Subject: b\r\n\r\nHello B\r\n"     /* 23 bytes */
#define S_RETR(m)     "+OK message follows\r\n" m ".\r\n"
#define S_QUIT        "+OK bye\r\n"
#define S_LOGIN       S_GREETING S_CAPA (CAP_BASIC) S_USER_OK S_PASS_OK
#define S_TWO         S_STAT2 S_UIDL2 S_RETR (MSG_A) S_RETR (MSG_B)

/* What the client says */
#define C_LOGIN       "CAPA\r\nUSER alice\r\nPASS secret\r\n"
#define C_TWO         "STAT\r\nUIDL\r\nRETR 1\r\nRETR 2\r\n"
#define C_DELE2       "DELE 1\r\nDELE 2\r\n"

/* What happens to the mail */
#define L_TWO         "DOWNLOADED 1 uid-a 23 full\nDOWNLOADED 2 uid-b 23 full\n"
#define L_EMPTY_OK    "DONE ok messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n"

/* ---- Device stores before and after ---- */

static void
add_local (MscDeviceStore *store,
           const char     *key,
           const char     *text,
           gboolean        complete,
           gint64          when)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_device_store_add (store, key, MSC_DEVICE_STORE_INBOX, data, complete,
                                       MSC_DEVICE_FLAG_NONE, when, &error));
  g_assert_no_error (error);
  msc_device_store_mark_seen (store, key, when);
}

static void
setup_have_a (MscDeviceStore *store)
{
  add_local (store, "uid-a", MSG_A, TRUE, T0 - DAY);
}

/* A downloaded and since deleted for good, B in Trash, C kept. */
static void
setup_deleted_locally (MscDeviceStore *store)
{
  add_local (store, "uid-a", MSG_A, TRUE, T0 - DAY);
  add_local (store, "uid-b", MSG_B, TRUE, T0 - DAY);
  add_local (store, "uid-c", "Subject: c\r\n\r\n", TRUE, T0 - DAY);
  g_assert_true (msc_device_store_remove (store, "uid-a", NULL));
  g_assert_true (msc_device_store_delete_locally (store, "uid-b", NULL));
}

static void
setup_ages (MscDeviceStore *store)
{
  add_local (store, "uid-a", MSG_A, TRUE, T0 - 14 * DAY);
  add_local (store, "uid-b", MSG_B, TRUE, T0 - 14 * DAY + SEC);
}

static void
setup_preview (MscDeviceStore *store)
{
  add_local (store, "uid-a", "Subject: a\r\n\r\n", FALSE, T0 - DAY);
}

static void
setup_gone (MscDeviceStore *store)
{
  msc_device_store_mark_seen (store, "uid-gone", T0 - DAY);
  msc_device_store_mark_seen (store, "uid-a", T0 - DAY);
}

static void
verify_two_unread (MscDeviceStore *store)
{
  g_autoptr(GPtrArray) inbox = msc_device_store_list_folder (store, MSC_DEVICE_STORE_INBOX);
  g_auto(GStrv) seen = msc_device_store_list_seen (store);

  g_assert_cmpuint (inbox->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      MscDeviceMessage *message = g_ptr_array_index (inbox, i);

      g_assert_cmpstr (msc_device_message_get_key (message), ==, i == 0 ? "uid-a" : "uid-b");
      /* POP3 cannot say a message was read anywhere: it arrives unread. */
      g_assert_cmpint (msc_device_message_get_flags (message), ==, MSC_DEVICE_FLAG_NONE);
      g_assert_true (msc_device_message_is_complete (message));
      g_assert_cmpint (msc_device_message_get_downloaded (message), ==, T0);
    }
  g_assert_true (g_bytes_equal (msc_device_message_get_data (g_ptr_array_index (inbox, 0)),
                                g_bytes_new_static (MSG_A, strlen (MSG_A))));

  g_assert_cmpstrv (seen, ((const char * const[]) { "uid-a", "uid-b", NULL }));
}

static void
verify_previews (MscDeviceStore *store)
{
  MscDeviceMessage *a = msc_device_store_lookup (store, "uid-a");

  g_assert_nonnull (a);
  g_assert_false (msc_device_message_is_complete (a));
  g_assert_cmpmem (g_bytes_get_data (msc_device_message_get_data (a), NULL),
                   g_bytes_get_size (msc_device_message_get_data (a)),
                   "Subject: a\r\n\r\n", 14);
  /* Seen: the preview is not fetched again. */
  g_assert_true (msc_device_store_has_seen (store, "uid-a", NULL));
}

static void
verify_completed (MscDeviceStore *store)
{
  MscDeviceMessage *a = msc_device_store_lookup (store, "uid-a");

  g_assert_true (msc_device_message_is_complete (a));
  g_assert_cmpmem (g_bytes_get_data (msc_device_message_get_data (a), NULL),
                   g_bytes_get_size (msc_device_message_get_data (a)), MSG_A, strlen (MSG_A));
  /* Still dated by its first arrival. */
  g_assert_cmpint (msc_device_message_get_downloaded (a), ==, T0 - DAY);
}

static void
verify_pruned (MscDeviceStore *store)
{
  g_auto(GStrv) seen = msc_device_store_list_seen (store);

  g_assert_cmpstrv (seen, ((const char * const[]) { "uid-a", "uid-b", NULL }));
}

static void
verify_all_forgotten (MscDeviceStore *store)
{
  g_auto(GStrv) seen = msc_device_store_list_seen (store);

  g_assert_cmpstrv (seen, ((const char * const[]) { NULL }));
}

static void
verify_nothing (MscDeviceStore *store)
{
  g_assert_cmpuint (msc_device_store_get_n_messages (store, NULL), ==, 0);
}

static void
verify_stuffed (MscDeviceStore *store)
{
  MscDeviceMessage *a = msc_device_store_lookup (store, "uid-a");
  static const char expected[] = "Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\n...\r\nend\n";

  g_assert_cmpmem (g_bytes_get_data (msc_device_message_get_data (a), NULL),
                   g_bytes_get_size (msc_device_message_get_data (a)),
                   expected, sizeof expected - 1);
}

/* ---- The conversations ---- */

static const Conversation conversations[] = {
  /* The plain case: a laptop on port 995, "download and delete". */
  { .name = "user-pass", .tls_mode = IMPLICIT, .verify = verify_two_unread,
    .steps = STEPS (SERVER (S_LOGIN S_TWO S_OK S_OK S_QUIT)),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "DELETED uid-a\nDELETED uid-b\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=2\nCLOSED -\n" },

  /* RFC 1939 only: CAPA refused, USER/PASS assumed. */
  { .name = "no-capa", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA_ERR S_USER_OK S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  { .name = "auth-plain", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("UIDL\r\nSASL PLAIN LOGIN\r\n") S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  { .name = "auth-plain-no-capa", .tls_mode = IMPLICIT, .auth = PLAIN,
    .steps = STEPS (SERVER (S_GREETING S_CAPA_ERR S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  /* RFC 1939 §7's own example.  APOP sends a digest, never the password,
   * so it is allowed without TLS. */
  { .name = "apop-rfc1939", .auth = APOP, .user = "mrose", .password = "tanstaaf",
    .steps = STEPS (SERVER (S_GREETING_TS S_CAPA_ERR
                            "+OK mrose's maildrop has 0 messages (0 octets)\r\n" S_STAT0 S_QUIT)),
    .client = "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  /* Automatic over plaintext: APOP keeps the password off the wire. */
  { .name = "auto-apop-plaintext", .user = "mrose", .password = "tanstaaf",
    .steps = STEPS (SERVER (S_GREETING_TS S_CAPA (CAP_BASIC) S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  /* Automatic under TLS: SASL PLAIN before APOP and USER. */
  { .name = "auto-plain-over-tls", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING_TS S_CAPA (CAP_BASIC "SASL PLAIN\r\n") S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  { .name = "apop-unavailable", .tls_mode = IMPLICIT, .auth = APOP,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "plain-unavailable", .tls_mode = IMPLICIT, .auth = PLAIN,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "user-unavailable", .tls_mode = IMPLICIT, .auth = USER_PASS,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("UIDL\r\nSASL PLAIN\r\n") S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  /* Port 110 with STLS (RFC 2595): CAPA again once encrypted, and what
   * the server slipped in behind its +OK is never read. */
  { .name = "stls", .tls_mode = STLS_REQ,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("UIDL\r\nSTLS\r\n")),
                    EXPECT ("CAPA\r\nSTLS\r\n"),
                    SERVER ("+OK Begin TLS negotiation\r\n" S_CAPA (CAP_BASIC) S_USER_OK),
                    EXPECT (""),
                    TLS_STARTED,
                    EXPECT ("CAPA\r\n"),
                    SERVER (S_CAPA (CAP_BASIC) S_USER_OK S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nSTLS\r\nCAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n",
    .log = "STARTTLS\n" L_EMPTY_OK },

  { .name = "stls-if-offered", .tls_mode = STLS_OPT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("STLS\r\n") "+OK Begin TLS\r\n"),
                    TLS_STARTED,
                    SERVER (S_CAPA (CAP_BASIC) S_USER_OK S_PASS_OK S_STAT0 S_QUIT)),
    .client = "CAPA\r\nSTLS\r\nCAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n",
    .log = "STARTTLS\n" L_EMPTY_OK },

  { .name = "stls-absent", .tls_mode = STLS_REQ,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE tls-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "stls-absent-no-capa", .tls_mode = STLS_REQ,
    .steps = STEPS (SERVER (S_GREETING S_CAPA_ERR S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE tls-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "stls-refused", .tls_mode = STLS_REQ,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("STLS\r\n") "-ERR [SYS/TEMP] no certificate\r\n" S_QUIT)),
    .client = "CAPA\r\nSTLS\r\nQUIT\r\n",
    .log = "DONE tls-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  /* "If offered" and not offered: on in plaintext, but not the password. */
  { .name = "stls-if-offered-absent", .tls_mode = STLS_OPT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-insecure messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  /* Not even the user name goes out. */
  { .name = "plaintext-refused",
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-insecure messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "plaintext-refused-plain", .auth = PLAIN,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("SASL PLAIN\r\n") S_QUIT)),
    .client = "CAPA\r\nQUIT\r\n",
    .log = "DONE auth-insecure messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "plaintext-allowed", .options = ALLOW_PLAINTEXT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT0 S_QUIT)),
    .client = C_LOGIN "STAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  { .name = "wrong-password", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_USER_OK
                            "-ERR [AUTH] Authentication failed\r\n" S_QUIT)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE auth-failed messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "user-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) "-ERR no such user\r\n" S_QUIT)),
    .client = "CAPA\r\nUSER alice\r\nQUIT\r\n",
    .log = "DONE auth-failed messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  /* RFC 2449 §8.1.1: another device holds the maildrop. */
  { .name = "in-use", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_USER_OK
                            "-ERR [IN-USE] Do you have another POP session running?\r\n" S_QUIT)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE in-use transient messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "login-delay", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC "LOGIN-DELAY 900\r\n") S_USER_OK
                            "-ERR [LOGIN-DELAY] wait 15 minutes\r\n" S_QUIT)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE login-delay transient messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "sys-temp", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_USER_OK
                            "-ERR [SYS/TEMP] disk busy\r\n" S_QUIT)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE server-failure transient messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "sys-perm", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_USER_OK
                            "-ERR [SYS/PERM] account disabled\r\n" S_QUIT)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE server-failure messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  { .name = "stat-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN "-ERR cannot\r\n" S_QUIT)),
    .client = C_LOGIN "STAT\r\nQUIT\r\n",
    .log = "DONE server-failure messages=0 new=0 downloaded=0 deleted=0\nCLOSED -\n" },

  /* RFC 1939 §3: "." alone ends it, a leading "." was doubled.  A
   * bare-LF line stays as the server had it. */
  { .name = "byte-stuffing", .tls_mode = IMPLICIT, .retention = KEEP, .verify = verify_stuffed,
    .steps = STEPS (SERVER (S_LOGIN "+OK 1 40\r\n+OK\r\n1 uid-a\r\n.\r\n"
                            "+OK\r\nSubject: dots\r\n\r\n..one\r\n...two\r\n..\r\n....\r\nend\n.\r\n"
                            S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 1\r\nQUIT\r\n",
    .log = "DOWNLOADED 1 uid-a 42 full\nDONE ok messages=1 new=1 downloaded=1 deleted=0\nCLOSED -\n" },

  /* Batches with PIPELINING (RFC 2449 §6.6), once signed in. */
  { .name = "pipelining", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC "PIPELINING\r\n") S_USER_OK),
                    EXPECT (C_LOGIN),
                    SERVER (S_PASS_OK),
                    EXPECT ("STAT\r\nUIDL\r\n"),
                    SERVER (S_STAT2),
                    EXPECT (""),
                    SERVER (S_UIDL2),
                    EXPECT ("RETR 1\r\nRETR 2\r\n"),
                    SERVER (S_RETR (MSG_A)),
                    EXPECT (""),
                    SERVER (S_RETR (MSG_B)),
                    EXPECT (C_DELE2 "QUIT\r\n"),
                    SERVER (S_OK S_OK S_QUIT)),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "DELETED uid-a\nDELETED uid-b\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=2\nCLOSED -\n" },

  { .name = "pipelining-disabled", .tls_mode = IMPLICIT, .options = NO_PIPELINING,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC "PIPELINING\r\n") S_USER_OK S_PASS_OK),
                    EXPECT (C_LOGIN "STAT\r\n"),
                    SERVER (S_STAT2 S_UIDL2),
                    EXPECT ("UIDL\r\nRETR 1\r\n"),
                    SERVER (S_RETR (MSG_A)),
                    EXPECT ("RETR 2\r\n"),
                    SERVER (S_RETR (MSG_B) S_OK),
                    EXPECT ("DELE 1\r\nDELE 2\r\n"),
                    SERVER (S_OK S_QUIT)),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "DELETED uid-a\nDELETED uid-b\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=2\nCLOSED -\n" },

  /* ---- Retention, against what the device already has ---- */

  { .name = "keep", .tls_mode = IMPLICIT, .retention = KEEP, .verify = verify_two_unread,
    .steps = STEPS (SERVER (S_LOGIN S_TWO S_QUIT)),
    .client = C_LOGIN C_TWO "QUIT\r\n",
    .log = L_TWO "DONE ok messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  /* Never download twice. */
  { .name = "keep-seen", .tls_mode = IMPLICIT, .retention = KEEP, .setup = setup_have_a,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 S_RETR (MSG_B) S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 2\r\nQUIT\r\n",
    .log = "DOWNLOADED 2 uid-b 23 full\nDONE ok messages=2 new=1 downloaded=1 deleted=0\nCLOSED -\n" },

  /* Switching to "download and delete" deletes what was kept before. */
  { .name = "delete-seen", .tls_mode = IMPLICIT, .setup = setup_have_a,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 S_RETR (MSG_B) S_OK S_OK S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 2\r\n" C_DELE2 "QUIT\r\n",
    .log = "DOWNLOADED 2 uid-b 23 full\nDELETED uid-a\nDELETED uid-b\n"
           "DONE ok messages=2 new=1 downloaded=1 deleted=2\nCLOSED -\n" },

  /* 14 days exactly is old enough; a second less is not. */
  { .name = "keep-days", .tls_mode = IMPLICIT, .retention = KEEP_DAYS, .setup = setup_ages,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 S_OK S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nDELE 1\r\nQUIT\r\n",
    .log = "DELETED uid-a\nDONE ok messages=2 new=0 downloaded=0 deleted=1\nCLOSED -\n" },

  /* Gone from the device and in Trash both count; the one kept does not;
   * the new one is downloaded and stays. */
  { .name = "delete-when-deleted-locally", .tls_mode = IMPLICIT, .retention = DEL_LOCAL,
    .setup = setup_deleted_locally,
    .steps = STEPS (SERVER (S_LOGIN "+OK 4 92\r\n+OK\r\n1 uid-a\r\n2 uid-b\r\n3 uid-c\r\n4 uid-d\r\n.\r\n"
                            S_RETR (MSG_A) S_OK S_OK S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 4\r\n" C_DELE2 "QUIT\r\n",
    .log = "DOWNLOADED 4 uid-d 23 full\nDELETED uid-a\nDELETED uid-b\n"
           "DONE ok messages=4 new=1 downloaded=1 deleted=2\nCLOSED -\n" },

  /* What the server no longer has is forgotten. */
  { .name = "prune-seen", .tls_mode = IMPLICIT, .retention = KEEP, .setup = setup_gone,
    .verify = verify_pruned,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 S_RETR (MSG_B) S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 2\r\n" "QUIT\r\n",
    .log = "DOWNLOADED 2 uid-b 23 full\nDONE ok messages=2 new=1 downloaded=1 deleted=0\nCLOSED -\n" },

  { .name = "empty-mailbox-forgets", .tls_mode = IMPLICIT, .retention = KEEP, .setup = setup_gone,
    .verify = verify_all_forgotten,
    .steps = STEPS (SERVER (S_LOGIN S_STAT0 S_QUIT)),
    .client = C_LOGIN "STAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  /* ---- Previews ---- */

  { .name = "headers-only", .tls_mode = IMPLICIT, .options = HEADERS_ONLY, .verify = verify_previews,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 "+OK\r\nSubject: a\r\n\r\n.\r\n"
                            "+OK\r\nSubject: b\r\n\r\n.\r\n" S_QUIT)),
    /* A preview is not a download: "download and delete" waits. */
    .client = C_LOGIN "STAT\r\nUIDL\r\nTOP 1 0\r\nTOP 2 0\r\nQUIT\r\n",
    .log = "DOWNLOADED 1 uid-a 14 preview\nDOWNLOADED 2 uid-b 14 preview\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  { .name = "headers-only-top-refused", .tls_mode = IMPLICIT, .retention = KEEP,
    .options = HEADERS_ONLY,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 "-ERR no TOP here\r\n-ERR no TOP here\r\n"
                            S_RETR (MSG_A) S_RETR (MSG_B) S_QUIT)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nTOP 1 0\r\nTOP 2 0\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n",
    .log = L_TWO "DONE ok messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  { .name = "headers-only-no-top", .tls_mode = IMPLICIT, .retention = KEEP, .options = HEADERS_ONLY,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("UIDL\r\nUSER\r\n") S_USER_OK S_PASS_OK S_TWO S_QUIT)),
    .client = C_LOGIN C_TWO "QUIT\r\n",
    .log = L_TWO "DONE ok messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  /* A later full check completes the preview; it is not new. */
  { .name = "complete-preview", .tls_mode = IMPLICIT, .retention = KEEP, .setup = setup_preview,
    .verify = verify_completed,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 S_RETR (MSG_A) S_RETR (MSG_B) S_QUIT)),
    .client = C_LOGIN C_TWO "QUIT\r\n",
    .log = L_TWO "DONE ok messages=2 new=1 downloaded=2 deleted=0\nCLOSED -\n" },

  /* ---- What a server may lack ---- */

  /* Every message looks new; "keep" cannot work, and says so. */
  { .name = "no-uidl-keep", .tls_mode = IMPLICIT, .retention = KEEP,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 "-ERR unknown command\r\n"
                            S_RETR (MSG_A) S_RETR (MSG_B) S_QUIT)),
    .client = C_LOGIN C_TWO "QUIT\r\n",
    .log = "WARNING no-uidl\n"
           "DOWNLOADED 1 no-uidl/1767225600000000/1 23 full\n"
           "DOWNLOADED 2 no-uidl/1767225600000000/2 23 full\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  /* ... while "download and delete" still does what it says. */
  { .name = "no-uidl-delete", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 "-ERR unknown command\r\n"
                            S_RETR (MSG_A) S_RETR (MSG_B) S_OK S_OK S_QUIT)),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = "WARNING no-uidl\n"
           "DOWNLOADED 1 no-uidl/1767225600000000/1 23 full\n"
           "DOWNLOADED 2 no-uidl/1767225600000000/2 23 full\n"
           "DELETED no-uidl/1767225600000000/1\nDELETED no-uidl/1767225600000000/2\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=2\nCLOSED -\n" },

  { .name = "expire-0", .tls_mode = IMPLICIT, .retention = KEEP,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC "EXPIRE 0\r\n") S_USER_OK S_PASS_OK
                            S_STAT0 S_QUIT)),
    .client = C_LOGIN "STAT\r\nQUIT\r\n",
    .log = "WARNING no-copy-kept\n" L_EMPTY_OK },

  { .name = "retr-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 "-ERR message corrupt\r\n" S_RETR (MSG_B)
                            S_OK S_QUIT)),
    .client = C_LOGIN C_TWO "DELE 2\r\nQUIT\r\n",
    .log = "WARNING retrieve-failed\nDOWNLOADED 2 uid-b 23 full\nDELETED uid-b\n"
           "DONE ok messages=2 new=1 downloaded=1 deleted=1\nCLOSED -\n" },

  { .name = "dele-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_TWO "-ERR read-only\r\n" S_OK S_QUIT)),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "WARNING delete-failed\nDELETED uid-b\n"
           "DONE ok messages=2 new=2 downloaded=2 deleted=1\nCLOSED -\n" },

  /* ---- The end of the session ---- */

  /* RFC 1939 §6: -ERR from UPDATE; nothing was deleted. */
  { .name = "quit-refused", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_TWO S_OK S_OK "-ERR some deleted messages not removed\r\n")),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "DONE update-failed transient messages=2 new=2 downloaded=2 deleted=0\nCLOSED -\n" },

  /* Hung up before QUIT's reply: the device keeps what it downloaded and
   * claims no deletion. */
  { .name = "peer-closed", .tls_mode = IMPLICIT, .verify = verify_two_unread,
    .steps = STEPS (SERVER (S_LOGIN S_TWO S_OK S_OK), PEER_CLOSED),
    .client = C_LOGIN C_TWO C_DELE2 "QUIT\r\n",
    .log = L_TWO "DONE connection-lost transient messages=2 new=2 downloaded=2 deleted=0\n"
           "CLOSED connection-lost\n" },

  /* After QUIT's reply the end of the stream is expected. */
  { .name = "peer-closed-after-quit", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT0 S_QUIT), PEER_CLOSED),
    .client = C_LOGIN "STAT\r\nQUIT\r\n",
    .log = L_EMPTY_OK },

  /* ---- Malformed servers: no QUIT, so nothing can be deleted ---- */

  { .name = "garbage-greeting", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("HTTP/1.1 400 Bad Request\r\n")),
    .client = "",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "smtp-greeting", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("220 mx.example.com ESMTP\r\n")),
    .client = "",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "err-greeting", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("-ERR too many connections\r\n")),
    .client = "",
    .log = "DONE service-unavailable messages=0 new=0 downloaded=0 deleted=0\nCLOSED service-unavailable\n" },

  { .name = "garbage-reply", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING "* OK IMAP4rev1 ready\r\n")),
    .client = "CAPA\r\n",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "nul-status", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER ("\0OK hello\r\n")),
    .client = "",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "bad-stat", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN "+OK lots\r\n")),
    .client = C_LOGIN "STAT\r\n",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "bad-uidl", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 "+OK\r\n1 uid-a\r\n3 uid-c\r\n.\r\n")),
    .client = C_LOGIN "STAT\r\nUIDL\r\n",
    .log = "DONE protocol messages=2 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "duplicate-uidl", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 "+OK\r\n1 uid-a\r\n2 uid-a\r\n.\r\n")),
    .client = C_LOGIN "STAT\r\nUIDL\r\n",
    .log = "DONE protocol messages=2 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  /* A SASL challenge after PLAIN's initial response: a QUIT now would be
   * read as the answer, so the client just hangs up. */
  { .name = "auth-continuation", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA ("SASL PLAIN\r\n") "+ \r\n")),
    .client = "CAPA\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    .log = "DONE protocol messages=0 new=0 downloaded=0 deleted=0\nCLOSED protocol\n" },

  { .name = "line-too-long", .tls_mode = IMPLICIT, .options = SMALL_LIMITS,
    .steps = STEPS (SERVER ("+OK 0123456789012345678901234567890123456789012345678901234567890123456789\r\n")),
    .client = "",
    .log = "DONE line-too-long messages=0 new=0 downloaded=0 deleted=0\nCLOSED line-too-long\n" },

  { .name = "message-too-big", .tls_mode = IMPLICIT, .options = SMALL_LIMITS, .verify = verify_nothing,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 "+OK\r\n"
                            "Subject: big\r\n\r\n"
                            "0123456789012345678901234567890123456789\r\n"
                            "0123456789012345678901234567890123456789\r\n"
                            "0123456789012345678901234567890123456789\r\n"
                            "0123456789012345678901234567890123456789\r\n"
                            "0123456789012345678901234567890123456789\r\n.\r\n")),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 1\r\n",
    .log = "DONE message-too-big messages=2 new=0 downloaded=0 deleted=0\nCLOSED message-too-big\n" },

  /* The terminator never comes: the message is not stored, and the
   * session ends without QUIT. */
  { .name = "missing-terminator", .tls_mode = IMPLICIT, .verify = verify_nothing,
    .steps = STEPS (SERVER (S_LOGIN S_STAT2 S_UIDL2 "+OK\r\nSubject: a\r\n\r\nHello"),
                    NOW (59),
                    CHECK_TIMEOUT (FALSE),
                    NOW (60),
                    CHECK_TIMEOUT (TRUE),
                    CHECK_TIMEOUT (FALSE)),
    .client = C_LOGIN "STAT\r\nUIDL\r\nRETR 1\r\n",
    .log = "DONE timeout transient messages=2 new=0 downloaded=0 deleted=0\nCLOSED timeout\n" },

  { .name = "silent-server", .tls_mode = IMPLICIT,
    .steps = STEPS (NOW (60), CHECK_TIMEOUT (TRUE)),
    .client = "",
    .log = "DONE timeout transient messages=0 new=0 downloaded=0 deleted=0\nCLOSED timeout\n" },

  /* Ended while quitting after a failure: DONE keeps the first reason. */
  { .name = "timeout-while-quitting", .tls_mode = IMPLICIT,
    .steps = STEPS (SERVER (S_GREETING S_CAPA (CAP_BASIC) S_USER_OK "-ERR [AUTH] no\r\n"),
                    NOW (60), CHECK_TIMEOUT (TRUE)),
    .client = C_LOGIN "QUIT\r\n",
    .log = "DONE auth-failed messages=0 new=0 downloaded=0 deleted=0\nCLOSED timeout\n" },
};

/* ---- Running a conversation ---- */

typedef struct
{
  MscDeviceStore *store;
  MscPop3Client  *client;
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
  g_autoptr(GBytes) bytes = msc_pop3_client_take_output (run->client);
  MscPop3ClientEvent *event;

  if (bytes != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_string_append_len (run->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_string_append_len (run->since_expect, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  while ((event = msc_pop3_client_next_event (run->client)) != NULL)
    {
      if (event->kind == MSC_POP3_CLIENT_EVENT_COMMAND)
        g_string_append_len (run->commands, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      if (event->kind == MSC_POP3_CLIENT_EVENT_DONE)
        {
          g_assert_cmpuint (run->n_closed, ==, 0);
          run->n_done++;
        }
      if (event->kind == MSC_POP3_CLIENT_EVENT_CLOSED)
        {
          g_assert_cmpuint (run->n_done, ==, 1);
          run->n_closed++;
        }
      log_event (run->log, event);
      msc_pop3_client_event_free (event);
    }
}

static void
run_feed (Run          *run,
          const guint8 *data,
          gsize         len,
          gboolean      trickle)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_pop3_client_is_closed (run->client); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_pop3_client_feed (run->client, data + i, MIN (step, len - i), &error))
        {
          /* Only a session ending without QUIT fails a feed. */
          g_assert_nonnull (error);
          g_assert_true (msc_pop3_client_is_closed (run->client));
          g_assert_false (g_error_matches (error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_CLOSED));
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

static MscPop3Client *
new_client (const Conversation *conversation,
            MscDeviceStore     *store)
{
  MscPop3ClientConfig config = {
    .user = conversation->user != NULL ? conversation->user : "alice",
    .password = conversation->password != NULL ? conversation->password : "secret",
    .auth_method = conversation->auth,
    .tls_mode = conversation->tls_mode,
    .retention = conversation->retention,
    .allow_auth_without_tls = (conversation->options & ALLOW_PLAINTEXT) != 0,
    .headers_only = (conversation->options & HEADERS_ONLY) != 0,
    .disable_pipelining = (conversation->options & NO_PIPELINING) != 0,
    .max_line_length = (conversation->options & SMALL_LIMITS) ? 64 : 0,
    .max_message_size = (conversation->options & SMALL_LIMITS) ? 200 : 0,
  };

  return msc_pop3_client_new (&config, store);
}

static void
run_conversation (const Conversation *conversation,
                  gboolean            trickle)
{
  Run run = { 0, };
  const MscPop3ClientOutcome *outcome;

  run.store = msc_device_store_new ();
  run.output = g_string_new (NULL);
  run.since_expect = g_string_new (NULL);
  run.commands = g_string_new (NULL);
  run.log = g_string_new (NULL);

  if (conversation->setup != NULL)
    conversation->setup (run.store);

  run.client = new_client (conversation, run.store);
  msc_pop3_client_set_now (run.client, T0);
  g_assert_cmpint (msc_pop3_client_get_deadline (run.client), ==, -1);
  g_assert_false (msc_pop3_client_want_read (run.client));
  msc_pop3_client_start (run.client);
  g_assert_true (msc_pop3_client_want_read (run.client));
  g_assert_cmpint (msc_pop3_client_get_deadline (run.client), ==, T0 + 60 * SEC);
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
          g_assert_cmpint (msc_pop3_client_get_state (run.client), ==,
                           MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE);
          g_assert_false (msc_pop3_client_want_read (run.client));
          g_assert_cmpint (msc_pop3_client_get_deadline (run.client), ==, -1);
          g_assert_false (msc_pop3_client_is_tls_active (run.client));
          msc_pop3_client_tls_started (run.client);
          g_assert_true (msc_pop3_client_is_tls_active (run.client));
          /* What came in plaintext is forgotten until CAPA answers. */
          g_assert_null (msc_pop3_client_get_capability (run.client, "STLS"));
          drain (&run);
          break;

        case STEP_NOW:
          msc_pop3_client_set_now (run.client, T0 + step->value * SEC);
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_pop3_client_check_timeout (run.client), ==, step->value);
          drain (&run);
          break;

        case STEP_PEER_CLOSED:
          {
            g_autoptr(GError) error = NULL;
            gboolean was_closed = msc_pop3_client_is_closed (run.client);

            g_assert_cmpint (msc_pop3_client_peer_closed (run.client, &error), ==, was_closed);
            g_assert_true (was_closed == (error == NULL));
            drain (&run);
          }
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

  g_assert_true (msc_pop3_client_is_closed (run.client));
  g_assert_false (msc_pop3_client_want_read (run.client));
  g_assert_cmpint (msc_pop3_client_get_deadline (run.client), ==, -1);
  g_assert_cmpuint (run.n_done, ==, 1);
  g_assert_cmpuint (run.n_closed, ==, 1);
  outcome = msc_pop3_client_get_outcome (run.client);
  g_assert_nonnull (outcome);

  /* A feed fails exactly when the session ended without QUIT, with the
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

    g_assert_false (msc_pop3_client_feed (run.client, (const guint8 *) "+OK\r\n", 5, &error));
    g_assert_error (error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_CLOSED);
    g_assert_null (msc_pop3_client_next_event (run.client));
    g_assert_null (msc_pop3_client_take_output (run.client));
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

/* ---- Byte-exact against the shared test messages ---- */

typedef struct
{
  char     *path;
  gboolean  trickle;
} ByteExact;

static void
byte_exact_free (gpointer data)
{
  ByteExact *byte_exact = data;

  g_free (byte_exact->path);
  g_free (byte_exact);
}

/* What a server sends for RETR (RFC 1939 §3). */
static GString *
stuff (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  GString *stuffed = g_string_new ("+OK message follows\r\n");
  gboolean line_start = TRUE;

  for (gsize i = 0; i < len; i++)
    {
      if (line_start && data[i] == '.')
        g_string_append_c (stuffed, '.');
      g_string_append_c (stuffed, data[i]);
      line_start = data[i] == '\n';
    }

  g_string_append (stuffed, ".\r\n");

  return stuffed;
}

static void
test_byte_exact (gconstpointer data)
{
  const ByteExact *byte_exact = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GString) script = NULL;
  g_autoptr(GString) stuffed = NULL;
  char *contents = NULL;
  gsize len = 0;
  Conversation conversation = { .tls_mode = IMPLICIT, .retention = KEEP };
  Run run = { 0, };
  MscDeviceMessage *stored;

  g_assert_true (g_file_get_contents (byte_exact->path, &contents, &len, &error));
  g_assert_no_error (error);
  message = g_bytes_new_take (contents, len);
  /* A message on the wire ends with CRLF; the shared files do. */
  g_assert_true (len >= 2 && contents[len - 2] == '\r' && contents[len - 1] == '\n');

  stuffed = stuff (message);
  script = g_string_new (S_LOGIN);
  g_string_append_printf (script, "+OK 1 %" G_GSIZE_FORMAT "\r\n", len);
  g_string_append (script, "+OK\r\n1 AbC.123_x\r\n.\r\n");
  g_string_append_len (script, stuffed->str, stuffed->len);
  g_string_append (script, S_QUIT);

  run.store = msc_device_store_new ();
  run.output = g_string_new (NULL);
  run.since_expect = g_string_new (NULL);
  run.commands = g_string_new (NULL);
  run.log = g_string_new (NULL);
  run.client = new_client (&conversation, run.store);
  msc_pop3_client_set_now (run.client, T0);
  msc_pop3_client_start (run.client);

  run_feed (&run, (const guint8 *) script->str, script->len, byte_exact->trickle);

  g_assert_true (msc_pop3_client_is_closed (run.client));
  g_assert_null (run.feed_error);
  g_assert_cmpstr (run.output->str, ==, C_LOGIN "STAT\r\nUIDL\r\nRETR 1\r\nQUIT\r\n");

  stored = msc_device_store_lookup (run.store, "AbC.123_x");
  g_assert_nonnull (stored);
  g_assert_true (msc_device_message_is_complete (stored));
  g_assert_cmpmem (g_bytes_get_data (msc_device_message_get_data (stored), NULL),
                   g_bytes_get_size (msc_device_message_get_data (stored)),
                   g_bytes_get_data (message, NULL), g_bytes_get_size (message));

  g_assert_finalize_object (g_steal_pointer (&run.client));
  g_assert_finalize_object (g_steal_pointer (&run.store));
  g_string_free (run.output, TRUE);
  g_string_free (run.since_expect, TRUE);
  g_string_free (run.commands, TRUE);
  g_string_free (run.log, TRUE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* ---- Events in detail ---- */

static GPtrArray *
collect_events (MscPop3Client *client)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_pop3_client_event_free);
  MscPop3ClientEvent *event;

  while ((event = msc_pop3_client_next_event (client)) != NULL)
    g_ptr_array_add (events, event);

  return events;
}

static const MscPop3ClientEvent *
find_event (GPtrArray              *events,
            MscPop3ClientEventKind  kind,
            guint                   nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscPop3ClientEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && nth-- == 0)
        return event;
    }

  g_assert_not_reached ();
  return NULL;
}

static void
test_events (void)
{
  static const char script[] =
    S_GREETING S_CAPA (CAP_BASIC) S_USER_OK
    "-ERR [IN-USE] Do you have another POP session running?\r\n" S_QUIT;
  g_autoptr(MscDeviceStore) store = msc_device_store_new ();
  g_autoptr(GPtrArray) events = NULL;
  Conversation conversation = { .tls_mode = IMPLICIT };
  MscPop3Client *client = new_client (&conversation, store);
  const MscPop3ClientEvent *event;
  g_autoptr(GString) states = g_string_new (NULL);

  msc_pop3_client_set_now (client, T0);
  msc_pop3_client_start (client);
  g_assert_true (msc_pop3_client_feed (client, (const guint8 *) script, sizeof script - 1, NULL));
  events = collect_events (client);

  /* Commands: the verb, the line without CRLF, and PASS marked secret. */
  event = find_event (events, MSC_POP3_CLIENT_EVENT_COMMAND, 1);
  g_assert_cmpstr (event->verb, ==, "USER");
  g_assert_cmpstr (event->line, ==, "USER alice");
  g_assert_false (event->secret);
  event = find_event (events, MSC_POP3_CLIENT_EVENT_COMMAND, 2);
  g_assert_cmpstr (event->verb, ==, "PASS");
  g_assert_true (event->secret);
  g_assert_cmpmem (g_bytes_get_data (event->wire, NULL), g_bytes_get_size (event->wire),
                   "PASS secret\r\n", 13);

  /* Replies: the greeting, then CAPA with its whole body on the wire. */
  event = find_event (events, MSC_POP3_CLIENT_EVENT_REPLY, 0);
  g_assert_true (event->ok);
  g_assert_false (event->multiline);
  g_assert_cmpstr (event->text, ==, "POP3 server ready");
  g_assert_null (event->code);
  event = find_event (events, MSC_POP3_CLIENT_EVENT_REPLY, 1);
  g_assert_true (event->multiline);
  g_assert_cmpstr (event->text, ==, "Capability list follows");
  g_assert_cmpmem (g_bytes_get_data (event->wire, NULL), g_bytes_get_size (event->wire),
                   S_CAPA (CAP_BASIC), strlen (S_CAPA (CAP_BASIC)));
  event = find_event (events, MSC_POP3_CLIENT_EVENT_REPLY, 3);
  g_assert_false (event->ok);
  g_assert_cmpstr (event->code, ==, "IN-USE");
  g_assert_cmpstr (event->text, ==, "Do you have another POP session running?");

  /* Every state, through the one setter. */
  for (guint i = 0; i < events->len; i++)
    {
      const MscPop3ClientEvent *e = g_ptr_array_index (events, i);

      if (e->kind == MSC_POP3_CLIENT_EVENT_STATE_CHANGED)
        g_string_append_printf (states, "%s>%s ", msc_pop3_client_state_get_name (e->old_state),
                                msc_pop3_client_state_get_name (e->new_state));
    }
  g_assert_cmpstr (states->str, ==, "connect>greeting greeting>capa capa>auth auth>quit quit>closed ");

  /* DONE carries the outcome, also kept by the client. */
  event = find_event (events, MSC_POP3_CLIENT_EVENT_DONE, 0);
  g_assert_false (event->outcome->success);
  g_assert_true (event->outcome->transient);
  g_assert_error (event->outcome->error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_IN_USE);
  g_assert_cmpstr (event->outcome->error->message, ==,
                   "The server says the mailbox is in use by another device ([IN-USE])");
  g_assert_error (msc_pop3_client_get_outcome (client)->error,
                  MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_IN_USE);
  event = find_event (events, MSC_POP3_CLIENT_EVENT_CLOSED, 0);
  g_assert_null (event->error);

  /* Capabilities of the latest CAPA. */
  g_assert_cmpstr (msc_pop3_client_get_capability (client, "uidl"), ==, "");
  g_assert_null (msc_pop3_client_get_capability (client, "PIPELINING"));

  {
    g_autoptr(MscPop3ClientOutcome) copy = msc_pop3_client_outcome_copy (msc_pop3_client_get_outcome (client));

    g_assert_error (copy->error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_IN_USE);
  }

  g_assert_finalize_object (client);
}

static void
test_downloaded_event (void)
{
  static const char script[] = S_LOGIN "+OK 1 23\r\n+OK\r\n1 uid-a\r\n.\r\n" S_RETR (MSG_A) S_OK S_QUIT;
  g_autoptr(MscDeviceStore) store = msc_device_store_new ();
  g_autoptr(GPtrArray) events = NULL;
  Conversation conversation = { .tls_mode = IMPLICIT };
  MscPop3Client *client = new_client (&conversation, store);
  const MscPop3ClientEvent *event;

  msc_pop3_client_set_now (client, T0 + 7);
  msc_pop3_client_start (client);
  g_assert_true (msc_pop3_client_feed (client, (const guint8 *) script, sizeof script - 1, NULL));
  events = collect_events (client);

  /* The RETR reply's wire bytes include the stuffing and the terminator. */
  event = find_event (events, MSC_POP3_CLIENT_EVENT_REPLY, 6);
  g_assert_true (event->multiline);
  g_assert_cmpmem (g_bytes_get_data (event->wire, NULL), g_bytes_get_size (event->wire),
                   S_RETR (MSG_A), strlen (S_RETR (MSG_A)));

  event = find_event (events, MSC_POP3_CLIENT_EVENT_DOWNLOADED, 0);
  g_assert_cmpstr (event->key, ==, "uid-a");
  g_assert_cmpuint (event->size, ==, strlen (MSG_A));
  g_assert_true (event->complete);
  g_assert_cmpuint (event->number, ==, 1);

  event = find_event (events, MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER, 0);
  g_assert_cmpstr (event->key, ==, "uid-a");

  /* The device dates the message by the virtual time passed in. */
  g_assert_cmpint (msc_device_message_get_downloaded (msc_device_store_lookup (store, "uid-a")),
                   ==, T0 + 7);

  g_assert_finalize_object (client);
}

static void
test_names (void)
{
  for (guint i = 0; i < MSC_POP3_CLIENT_N_STATES; i++)
    g_assert_nonnull (msc_pop3_client_state_get_name (i));
  for (guint i = 0; i < MSC_POP3_CLIENT_N_EVENT_KINDS; i++)
    g_assert_nonnull (msc_pop3_client_event_kind_get_name (i));

  g_assert_cmpstr (msc_pop3_client_state_get_name (MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE), ==,
                   "tls-handshake");
  g_assert_cmpstr (msc_pop3_client_event_kind_get_name (MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER), ==,
                   "deleted-on-server");
  g_assert_cmpuint (G_N_ELEMENTS (error_nicks), ==, MSC_POP3_CLIENT_ERROR_DELETE_FAILED + 1);
}

/* ---- Against the real POP3 server engine ---- */

#define ALICE "alice@example.com"

#define M1 "From: bob@example.com\r\nSubject: one\r\n\r\nFirst.\r\n"
#define M2 "From: bob@example.com\r\nSubject: two\r\n\r\n.starts with a dot\r\n"
#define M3 "From: bob@example.com\r\nSubject: three\r\n\r\nThird.\r\n"

typedef struct
{
  MscMailStore   *mail;
  MscDeviceStore *phone;
  MscDeviceStore *laptop;
} World;

typedef struct
{
  MscPop3ClientRetention  retention;
  guint                   keep_days;
  gboolean                headers_only;
  gboolean                disable_pipelining;
  MscPop3ClientTlsMode    tls_mode;
  MscPop3ClientAuthMethod auth;
  const char             *password;
  gboolean                server_plaintext;  /* a port 110 server with STLS */
} Check;

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
         const char *text,
         gsize       len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, len);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (msc_mail_store_deliver (w->mail, ALICE, bytes, &error), >, 0);
  g_assert_no_error (error);
}

#define DELIVER(w, s) deliver (w, s, strlen (s))

static guint
server_count (World *w)
{
  g_autoptr(GError) error = NULL;
  MscMailbox *inbox = msc_mail_store_get_mailbox (w->mail, ALICE, "INBOX", &error);

  g_assert_no_error (error);

  return msc_mailbox_get_n_messages (inbox);
}

/* One "check mail": a client and a server engine wired back to back in
 * memory, each one's output fed to the other until both are quiet.  The
 * TLS layer is imagined: when both sides reach their STLS point, each is
 * told the handshake is done.  Returns the outcome; @log gets the events
 * log_event() writes. */
static MscPop3ClientOutcome *
check_mail (World          *w,
            MscDeviceStore *device,
            const Check    *check,
            gint64          now,
            GString        *log)
{
  MscPop3ServerConfig server_config = {
    .hostname = "pop.example.com",
    .tls_active = !check->server_plaintext,
    .tls_available = TRUE,
    .apop_pid = 4242,
    .apop_clock = (guint64) now,
  };
  MscPop3ClientConfig client_config = {
    .user = ALICE,
    .password = check->password != NULL ? check->password : "secret",
    .auth_method = check->auth,
    .tls_mode = check->server_plaintext ? check->tls_mode : MSC_POP3_CLIENT_TLS_IMPLICIT,
    .retention = check->retention,
    .keep_days = check->keep_days,
    .headers_only = check->headers_only,
    .disable_pipelining = check->disable_pipelining,
  };
  g_autoptr(MscPop3Server) server = msc_pop3_server_new (&server_config, w->mail);
  g_autoptr(MscPop3Client) client = msc_pop3_client_new (&client_config, device);
  MscPop3ClientOutcome *outcome;
  MscPop3ClientEvent *event;
  MscPop3ServerEvent *server_event;
  guint n_deleted_events = 0;

  msc_pop3_server_set_now (server, now);
  msc_pop3_client_set_now (client, now);
  msc_pop3_server_start (server);
  msc_pop3_client_start (client);

  for (;;)
    {
      g_autoptr(GBytes) from_server = msc_pop3_server_take_output (server);
      g_autoptr(GBytes) from_client = NULL;
      gboolean moved = FALSE;

      if (from_server != NULL && !msc_pop3_client_is_closed (client))
        {
          g_assert_true (msc_pop3_client_feed (client, g_bytes_get_data (from_server, NULL),
                                               g_bytes_get_size (from_server), NULL));
          moved = TRUE;
        }

      if (msc_pop3_client_get_state (client) == MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE &&
          msc_pop3_server_get_state (server) == MSC_POP3_SERVER_STATE_STLS)
        {
          msc_pop3_server_tls_started (server);
          msc_pop3_client_tls_started (client);
          moved = TRUE;
        }

      from_client = msc_pop3_client_take_output (client);
      if (from_client != NULL && !msc_pop3_server_is_closed (server))
        {
          g_assert_true (msc_pop3_server_feed (server, g_bytes_get_data (from_client, NULL),
                                               g_bytes_get_size (from_client), NULL));
          moved = TRUE;
        }

      while ((server_event = msc_pop3_server_next_event (server)) != NULL)
        msc_pop3_server_event_free (server_event);

      if (!moved)
        break;
    }

  /* The client ends every check with QUIT, and the server saw it. */
  g_assert_true (msc_pop3_client_is_closed (client));
  g_assert_true (msc_pop3_server_is_closed (server));
  g_assert_false (msc_mail_store_is_maildrop_locked (w->mail, ALICE));

  while ((event = msc_pop3_client_next_event (client)) != NULL)
    {
      if (event->kind == MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER)
        n_deleted_events++;
      if (event->kind == MSC_POP3_CLIENT_EVENT_CLOSED)
        g_assert_null (event->error);
      if (log != NULL)
        log_event (log, event);
      msc_pop3_client_event_free (event);
    }

  outcome = msc_pop3_client_outcome_copy (msc_pop3_client_get_outcome (client));
  g_assert_cmpuint (outcome->n_deleted, ==, n_deleted_events);

  g_assert_finalize_object (g_steal_pointer (&client));
  g_assert_finalize_object (g_steal_pointer (&server));

  return outcome;
}

static void
assert_outcome (const MscPop3ClientOutcome *outcome,
                guint                       n_messages,
                guint                       n_new,
                guint                       n_deleted)
{
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->success);
  g_assert_cmpuint (outcome->n_messages, ==, n_messages);
  g_assert_cmpuint (outcome->n_new, ==, n_new);
  g_assert_cmpuint (outcome->n_deleted, ==, n_deleted);
}

#define CHECK(w, device, check, now, messages, new, deleted) \
  G_STMT_START { \
    g_autoptr(MscPop3ClientOutcome) outcome_ = check_mail (w, device, check, now, NULL); \
    assert_outcome (outcome_, messages, new, deleted); \
  } G_STMT_END

static void
assert_device (MscDeviceStore *device,
               const char     *folder,
               const char     *text1,
               const char     *text2)
{
  g_autoptr(GPtrArray) messages = msc_device_store_list_folder (device, folder);
  const char *texts[] = { text1, text2 };
  guint n = (text1 != NULL) + (text2 != NULL);

  g_assert_cmpuint (messages->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      GBytes *data = msc_device_message_get_data (g_ptr_array_index (messages, i));

      g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data), texts[i], strlen (texts[i]));
    }
}

static void
test_server_delete_after_download (World         *w,
                                   gconstpointer  data)
{
  Check check = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD,
                  .disable_pipelining = GPOINTER_TO_INT (data) };
  g_autoptr(GPtrArray) inbox = NULL;

  DELIVER (w, M1);
  DELIVER (w, M2);

  CHECK (w, w->phone, &check, T0, 2, 2, 2);
  g_assert_cmpuint (server_count (w), ==, 0);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M1, M2);

  /* Unread on the device: POP3 has nowhere to say otherwise. */
  inbox = msc_device_store_list_folder (w->phone, MSC_DEVICE_STORE_INBOX);
  for (guint i = 0; i < inbox->len; i++)
    g_assert_cmpint (msc_device_message_get_flags (g_ptr_array_index (inbox, i)), ==, MSC_DEVICE_FLAG_NONE);

  /* Nothing left: nothing new, and the record is forgotten. */
  CHECK (w, w->phone, &check, T0 + 60 * SEC, 0, 0, 0);
  {
    g_auto(GStrv) seen = msc_device_store_list_seen (w->phone);

    g_assert_cmpstrv (seen, ((const char * const[]) { NULL }));
  }

  DELIVER (w, M3);
  CHECK (w, w->phone, &check, T0 + 120 * SEC, 1, 1, 1);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->phone, MSC_DEVICE_STORE_INBOX), ==, 3);
  g_assert_cmpuint (server_count (w), ==, 0);
}

static void
test_server_keep (World         *w,
                  gconstpointer  data)
{
  Check check = { .retention = MSC_POP3_CLIENT_KEEP, .disable_pipelining = GPOINTER_TO_INT (data) };
  g_autoptr(GPtrArray) inbox = NULL;

  DELIVER (w, M1);
  DELIVER (w, M2);

  CHECK (w, w->phone, &check, T0, 2, 2, 0);
  CHECK (w, w->phone, &check, T0 + 60 * SEC, 2, 0, 0);
  g_assert_cmpuint (server_count (w), ==, 2);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M1, M2);

  /* Deleted here for good: the server copy stays, and is never fetched
   * again. */
  inbox = msc_device_store_list_folder (w->phone, MSC_DEVICE_STORE_INBOX);
  {
    const char *key = msc_device_message_get_key (g_ptr_array_index (inbox, 0));

    g_assert_true (msc_device_store_delete_locally (w->phone, key, NULL));
    g_assert_true (msc_device_store_delete_locally (w->phone, key, NULL));
  }
  CHECK (w, w->phone, &check, T0 + 120 * SEC, 2, 0, 0);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M2, NULL);
  g_assert_cmpuint (server_count (w), ==, 2);

  DELIVER (w, M3);
  CHECK (w, w->phone, &check, T0 + 180 * SEC, 3, 1, 0);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M2, M3);
  g_assert_cmpuint (server_count (w), ==, 3);
}

static void
test_server_keep_days (World         *w,
                       gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .retention = MSC_POP3_CLIENT_KEEP_DAYS, .keep_days = 3 };

  DELIVER (w, M1);
  CHECK (w, w->phone, &check, T0, 1, 1, 0);

  DELIVER (w, M2);
  CHECK (w, w->phone, &check, T0 + 2 * DAY, 2, 1, 0);
  CHECK (w, w->phone, &check, T0 + 3 * DAY - SEC, 2, 0, 0);
  g_assert_cmpuint (server_count (w), ==, 2);

  /* Three days after it came to this device, M1 goes; M2 is one day old. */
  CHECK (w, w->phone, &check, T0 + 3 * DAY, 2, 0, 1);
  g_assert_cmpuint (server_count (w), ==, 1);

  CHECK (w, w->phone, &check, T0 + 5 * DAY, 1, 0, 1);
  g_assert_cmpuint (server_count (w), ==, 0);

  /* The device keeps its copies all along. */
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M1, M2);
}

static void
test_server_delete_when_deleted_locally (World         *w,
                                         gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .retention = MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY };
  g_autoptr(GPtrArray) inbox = NULL;

  DELIVER (w, M1);
  DELIVER (w, M2);
  DELIVER (w, M3);
  CHECK (w, w->phone, &check, T0, 3, 3, 0);
  g_assert_cmpuint (server_count (w), ==, 3);

  /* Reading changes nothing on the server; M1 to Trash and M2 gone for
   * good both count as deleted here. */
  inbox = msc_device_store_list_folder (w->phone, MSC_DEVICE_STORE_INBOX);
  g_assert_true (msc_device_store_mark_read (w->phone, msc_device_message_get_key (inbox->pdata[2]), TRUE, NULL));
  g_assert_true (msc_device_store_delete_locally (w->phone, msc_device_message_get_key (inbox->pdata[0]), NULL));
  g_assert_true (msc_device_store_remove (w->phone, msc_device_message_get_key (inbox->pdata[1]), NULL));

  CHECK (w, w->phone, &check, T0 + 60 * SEC, 3, 0, 2);
  g_assert_cmpuint (server_count (w), ==, 1);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M3, NULL);
  assert_device (w->phone, MSC_DEVICE_STORE_TRASH, M1, NULL);

  CHECK (w, w->phone, &check, T0 + 120 * SEC, 1, 0, 0);
  g_assert_cmpuint (server_count (w), ==, 1);
}

/* The core POP3 lesson: one device set to "download and delete" takes the
 * mail away from every other device. */
static void
test_server_two_devices (World         *w,
                         gconstpointer  data G_GNUC_UNUSED)
{
  Check delete = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD };
  Check keep = { .retention = MSC_POP3_CLIENT_KEEP };
  g_autoptr(GPtrArray) phone_inbox = NULL;
  g_autoptr(GPtrArray) laptop_inbox = NULL;

  DELIVER (w, M1);
  CHECK (w, w->laptop, &delete, T0, 1, 1, 1);
  CHECK (w, w->phone, &keep, T0 + 60 * SEC, 0, 0, 0);
  assert_device (w->laptop, MSC_DEVICE_STORE_INBOX, M1, NULL);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, NULL, NULL);

  /* The other way round both get it, and the server ends empty. */
  DELIVER (w, M2);
  CHECK (w, w->phone, &keep, T0 + 120 * SEC, 1, 1, 0);
  CHECK (w, w->laptop, &delete, T0 + 180 * SEC, 1, 1, 1);
  CHECK (w, w->phone, &keep, T0 + 240 * SEC, 0, 0, 0);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M2, NULL);
  assert_device (w->laptop, MSC_DEVICE_STORE_INBOX, M1, M2);
  g_assert_cmpuint (server_count (w), ==, 0);

  /* Read on the phone is still unread on the laptop. */
  phone_inbox = msc_device_store_list_folder (w->phone, MSC_DEVICE_STORE_INBOX);
  g_assert_true (msc_device_store_mark_read (w->phone, msc_device_message_get_key (phone_inbox->pdata[0]),
                                             TRUE, NULL));
  laptop_inbox = msc_device_store_list_folder (w->laptop, MSC_DEVICE_STORE_INBOX);
  g_assert_cmpint (msc_device_message_get_flags (laptop_inbox->pdata[1]), ==, MSC_DEVICE_FLAG_NONE);
}

static void
test_server_byte_exact (World         *w,
                        gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .retention = MSC_POP3_CLIENT_KEEP };
  const char *dir = g_getenv ("MSC_TESTDATA_DIR");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) inbox = NULL;
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      if (g_str_has_suffix (name, ".eml"))
        g_ptr_array_add (names, g_build_filename (dir, name, NULL));
    }
  g_ptr_array_sort (names, compare_strings);
  g_assert_cmpuint (names->len, >, 0);

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GError) error = NULL;
      char *contents;
      gsize len;

      g_assert_true (g_file_get_contents (names->pdata[i], &contents, &len, &error));
      g_assert_no_error (error);
      deliver (w, contents, len);
      g_ptr_array_add (files, g_bytes_new_take (contents, len));
    }

  CHECK (w, w->phone, &check, T0, files->len, files->len, 0);

  inbox = msc_device_store_list_folder (w->phone, MSC_DEVICE_STORE_INBOX);
  g_assert_cmpuint (inbox->len, ==, files->len);
  for (guint i = 0; i < files->len; i++)
    {
      GBytes *stored = msc_device_message_get_data (g_ptr_array_index (inbox, i));

      g_assert_cmpmem (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored),
                       g_bytes_get_data (files->pdata[i], NULL), g_bytes_get_size (files->pdata[i]));
    }
}

static void
test_server_headers_only (World         *w,
                          gconstpointer  data G_GNUC_UNUSED)
{
  Check preview = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD, .headers_only = TRUE };
  Check full = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD };
  g_autoptr(GString) log = g_string_new (NULL);
  MscPop3ClientOutcome *outcome;

  DELIVER (w, M1);

  /* A preview does not count as downloaded: nothing is deleted yet. */
  outcome = check_mail (w, w->phone, &preview, T0, log);
  assert_outcome (outcome, 1, 1, 0);
  msc_pop3_client_outcome_free (outcome);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, "From: bob@example.com\r\nSubject: one\r\n\r\n", NULL);
  g_assert_cmpuint (server_count (w), ==, 1);

  /* Previews are not fetched twice. */
  CHECK (w, w->phone, &preview, T0 + 60 * SEC, 1, 0, 0);

  /* Without previews the body comes, and then it may go. */
  outcome = check_mail (w, w->phone, &full, T0 + 120 * SEC, log);
  assert_outcome (outcome, 1, 0, 1);
  g_assert_cmpuint (outcome->n_downloaded, ==, 1);
  msc_pop3_client_outcome_free (outcome);
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M1, NULL);
  g_assert_cmpuint (server_count (w), ==, 0);

  g_assert_true (strstr (log->str, " preview\n") != NULL);
  g_assert_true (strstr (log->str, " full\n") != NULL);
}

static void
test_server_in_use (World         *w,
                    gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD };
  g_autoptr(MscPop3ClientOutcome) outcome = NULL;

  DELIVER (w, M1);

  /* Another device's session holds the maildrop (RFC 1939 §8). */
  g_assert_true (msc_mail_store_try_lock_maildrop (w->mail, ALICE));
  {
    MscPop3ServerConfig server_config = { .hostname = "pop.example.com", .tls_active = TRUE };
    MscPop3ClientConfig client_config = { .user = ALICE, .password = "secret",
                                          .tls_mode = MSC_POP3_CLIENT_TLS_IMPLICIT };
    g_autoptr(MscPop3Server) server = msc_pop3_server_new (&server_config, w->mail);
    g_autoptr(MscPop3Client) client = msc_pop3_client_new (&client_config, w->phone);

    msc_pop3_server_start (server);
    msc_pop3_client_start (client);
    while (!msc_pop3_client_is_closed (client))
      {
        g_autoptr(GBytes) from_server = msc_pop3_server_take_output (server);
        g_autoptr(GBytes) from_client = NULL;

        g_assert_nonnull (from_server);
        g_assert_true (msc_pop3_client_feed (client, g_bytes_get_data (from_server, NULL),
                                             g_bytes_get_size (from_server), NULL));
        from_client = msc_pop3_client_take_output (client);
        if (from_client != NULL)
          msc_pop3_server_feed (server, g_bytes_get_data (from_client, NULL),
                                g_bytes_get_size (from_client), NULL);
      }

    outcome = msc_pop3_client_outcome_copy (msc_pop3_client_get_outcome (client));
  }
  msc_mail_store_unlock_maildrop (w->mail, ALICE);

  g_assert_error (outcome->error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_IN_USE);
  g_assert_true (outcome->transient);
  g_assert_cmpuint (server_count (w), ==, 1);
  g_assert_cmpuint (msc_device_store_get_n_messages (w->phone, NULL), ==, 0);

  /* Later, it works. */
  CHECK (w, w->phone, &check, T0 + 60 * SEC, 1, 1, 1);
}

static void
test_server_stls (World         *w,
                  gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .retention = MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD, .server_plaintext = TRUE,
                  .tls_mode = MSC_POP3_CLIENT_TLS_STLS_REQUIRED };
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(MscPop3ClientOutcome) outcome = NULL;

  DELIVER (w, M1);
  outcome = check_mail (w, w->phone, &check, T0, log);
  assert_outcome (outcome, 1, 1, 1);
  g_assert_true (g_str_has_prefix (log->str, "STARTTLS\n"));
  assert_device (w->phone, MSC_DEVICE_STORE_INBOX, M1, NULL);
}

static void
test_server_plaintext_refused (World         *w,
                               gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .server_plaintext = TRUE, .tls_mode = MSC_POP3_CLIENT_TLS_NONE };
  g_autoptr(MscPop3ClientOutcome) outcome = NULL;

  DELIVER (w, M1);
  outcome = check_mail (w, w->phone, &check, T0, NULL);
  g_assert_error (outcome->error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_INSECURE);
  g_assert_cmpuint (server_count (w), ==, 1);
}

static void
test_server_wrong_password (World         *w,
                            gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .password = "guess" };
  g_autoptr(MscPop3ClientOutcome) outcome = NULL;

  DELIVER (w, M1);
  outcome = check_mail (w, w->phone, &check, T0, NULL);
  g_assert_error (outcome->error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_FAILED);
  g_assert_false (outcome->transient);
  g_assert_cmpuint (server_count (w), ==, 1);
}

static void
test_server_apop (World         *w,
                  gconstpointer  data G_GNUC_UNUSED)
{
  Check check = { .auth = MSC_POP3_CLIENT_AUTH_APOP, .password = "tanstaaf" };
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_mail_store_set_apop_secret (w->mail, ALICE, "tanstaaf", &error));
  g_assert_no_error (error);
  DELIVER (w, M1);
  CHECK (w, w->phone, &check, T0, 1, 1, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) byte_exact = g_ptr_array_new_with_free_func (byte_exact_free);
  const char *dir;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *whole = g_strdup_printf ("/msc/pop3-client/script/%s/whole", conversations[i].name);
      g_autofree char *trickled = g_strdup_printf ("/msc/pop3-client/script/%s/trickled", conversations[i].name);

      g_test_add_data_func (whole, &conversations[i], test_conversation_whole);
      g_test_add_data_func (trickled, &conversations[i], test_conversation_trickled);
    }

  dir = g_getenv ("MSC_TESTDATA_DIR");
  if (dir != NULL)
    {
      g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        {
          if (g_str_has_suffix (name, ".eml"))
            g_ptr_array_add (names, g_strndup (name, strlen (name) - 4));
        }
      g_ptr_array_sort (names, compare_strings);

      for (guint i = 0; i < names->len; i++)
        {
          for (guint trickle = 0; trickle < 2; trickle++)
            {
              ByteExact *test = g_new0 (ByteExact, 1);
              g_autofree char *file = g_strconcat (names->pdata[i], ".eml", NULL);
              g_autofree char *path = g_strdup_printf ("/msc/pop3-client/byte-exact/%s/%s",
                                                       (char *) names->pdata[i],
                                                       trickle ? "trickled" : "whole");

              test->path = g_build_filename (dir, file, NULL);
              test->trickle = trickle;
              g_ptr_array_add (byte_exact, test);
              g_test_add_data_func (path, test, test_byte_exact);
            }
        }
    }

  g_test_add_func ("/msc/pop3-client/events", test_events);
  g_test_add_func ("/msc/pop3-client/downloaded-event", test_downloaded_event);
  g_test_add_func ("/msc/pop3-client/names", test_names);

#define ADD(path, data, func) \
  g_test_add ("/msc/pop3-client/server/" path, World, data, world_set_up, func, world_tear_down)

  ADD ("delete-after-download", GINT_TO_POINTER (FALSE), test_server_delete_after_download);
  ADD ("delete-after-download-no-pipelining", GINT_TO_POINTER (TRUE), test_server_delete_after_download);
  ADD ("keep", GINT_TO_POINTER (FALSE), test_server_keep);
  ADD ("keep-no-pipelining", GINT_TO_POINTER (TRUE), test_server_keep);
  ADD ("keep-days", NULL, test_server_keep_days);
  ADD ("delete-when-deleted-locally", NULL, test_server_delete_when_deleted_locally);
  ADD ("two-devices", NULL, test_server_two_devices);
  ADD ("byte-exact", NULL, test_server_byte_exact);
  ADD ("headers-only", NULL, test_server_headers_only);
  ADD ("in-use", NULL, test_server_in_use);
  ADD ("stls", NULL, test_server_stls);
  ADD ("plaintext-refused", NULL, test_server_plaintext_refused);
  ADD ("wrong-password", NULL, test_server_wrong_password);
  ADD ("apop", NULL, test_server_apop);

#undef ADD

  return g_test_run ();
}
