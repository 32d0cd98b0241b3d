/* test-pop3-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-pop3-server"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "msc-mail-store.h"
#include "msc-pop3-server.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

/* Alice's INBOX: UIDs 1, 2, 3 in a memory store, UIDVALIDITY 1.  The
 * second has lines that start with the termination octet. */
#define M1 "Subject: one\r\n\r\nHello.\r\n"
#define M2 "Subject: two\r\n\r\n.dot\r\n..dots\r\n.\r\nend\r\n"
#define M3 "Subject: three\r\nX-Test: yes\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"
#define M2_STUFFED "Subject: two\r\n\r\n..dot\r\n...dots\r\n..\r\nend\r\n"
/* Delivered during a session */
#define M4 "From: someone\r\n\r\nnew mail\r\n"

#define ALICE       "alice@example.com"
#define APOP_SECRET "tanstaaf"

/* ---- The store ---- */

typedef enum
{
  PLAIN,        /* port 110: STLS offered, no password in the clear */
  NO_TLS,       /* port 110 without a certificate */
  TLS,          /* port 995, or after STLS */
  INSECURE,     /* port 110, "insecure teaching server" */
  STRICT,       /* TLS, three errors and out */
  APOP,         /* TLS, and Alice opted in to APOP */
  APOP_PLAIN,   /* port 110 with STLS, Alice opted in to APOP */
  APOP_NO_TLS,  /* no TLS at all, Alice opted in: APOP can never succeed */
} Variant;

static gboolean
variant_has_apop (Variant variant)
{
  return variant == APOP || variant == APOP_PLAIN || variant == APOP_NO_TLS;
}

static void
add_message (MscMailStore *store,
             const char   *address,
             const char   *text,
             gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (text, len);

  g_assert_cmpuint (msc_mail_store_deliver (store, address, bytes, &error), >, 0);
  g_assert_no_error (error);
}

/* Accounts and mail, into a new store of either backend. */
static void
populate_store (MscMailStore *store,
                gboolean      apop)
{
  g_autoptr(GError) error = NULL;

  msc_mail_store_set_password_iterations (store, 1000);

  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, ALICE, "Alice", "secret", &error));
  g_assert_true (msc_mail_store_add_account (store, "bob@example.com", "Bob", "correct horse", &error));
  g_assert_no_error (error);

  add_message (store, ALICE, M1, strlen (M1));
  add_message (store, ALICE, M2, strlen (M2));
  add_message (store, ALICE, M3, strlen (M3));

  if (apop)
    {
      g_assert_true (msc_mail_store_set_apop_secret (store, ALICE, APOP_SECRET, &error));
      g_assert_no_error (error);
    }
}

static MscMailStore *
make_store (gboolean apop)
{
  MscMailStore *store = msc_mail_store_new ();

  populate_store (store, apop);

  return store;
}

/* The UIDs in Alice's INBOX, "1 2 3". */
static char *
inbox_uids (MscMailStore *store,
            const char   *address)
{
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, address, "INBOX", NULL);
  g_autoptr(GString) uids = g_string_new (NULL);

  for (guint i = 0; i < msc_mailbox_get_n_messages (inbox); i++)
    g_string_append_printf (uids, "%s%u", i > 0 ? " " : "",
                            msc_message_get_uid (msc_mailbox_get_message (inbox, i)));

  return g_string_free (g_steal_pointer (&uids), FALSE);
}

/* ---- Servers ---- */

static void
config_for_variant (Variant              variant,
                    MscPop3ServerConfig *config)
{
  memset (config, 0, sizeof *config);

  config->hostname = "pop.example.com";
  config->tls_available = variant == PLAIN || variant == INSECURE || variant == APOP_PLAIN;
  config->tls_active = variant == TLS || variant == STRICT || variant == APOP;
  config->allow_insecure_auth = variant == INSECURE;
  config->max_errors = variant == STRICT ? 3 : 0;
  config->apop_pid = 4242;
  config->apop_clock = 1767225600;
}

static MscPop3Server *
start_server (MscMailStore *store,
              Variant       variant)
{
  MscPop3ServerConfig config;
  MscPop3Server *server;

  config_for_variant (variant, &config);
  server = msc_pop3_server_new (&config, store);
  msc_pop3_server_set_now (server, T0);
  msc_pop3_server_start (server);

  return server;
}

static void
log_event (GString                  *log,
           const MscPop3ServerEvent *event)
{
  static const char * const statuses[] = { "+OK", "-ERR", "+" };

  switch (event->kind)
    {
    case MSC_POP3_SERVER_EVENT_COMMAND:
      g_string_append_printf (log, "C %s%s%s %s\n", event->verb ? event->verb : "-",
                              event->secret ? " secret" : "",
                              event->truncated ? " truncated" : "",
                              event->truncated || event->secret ? "" : event->line);
      break;
    case MSC_POP3_SERVER_EVENT_REPLY:
      g_string_append_printf (log, "S %s [%s]%s %s\n", statuses[event->status],
                              event->code ? event->code : "",
                              event->multiline ? " multi" : "", event->text);
      break;
    case MSC_POP3_SERVER_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;
    case MSC_POP3_SERVER_EVENT_STATE_CHANGED:
      g_string_append_printf (log, "STATE %s>%s\n",
                              msc_pop3_server_state_get_name (event->old_state),
                              msc_pop3_server_state_get_name (event->new_state));
      break;
    case MSC_POP3_SERVER_EVENT_AUTHENTICATED:
      g_string_append_printf (log, "AUTH %s %s\n", event->user, event->mechanism);
      break;
    case MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED:
      g_string_append_printf (log, "UPDATED %s %u:", event->user, event->uid_validity);
      for (guint i = 0; i < event->expunged->len; i++)
        g_string_append_printf (log, " %u", g_array_index (event->expunged, guint32, i));
      g_string_append_c (log, '\n');
      break;
    case MSC_POP3_SERVER_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %s\n", event->error ? event->error->message : "-");
      break;
    case MSC_POP3_SERVER_N_EVENT_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Moves the output and the events out of the server, checking that the
 * REPLY events carry exactly the bytes that went out. */
static void
drain (MscPop3Server *server,
       GString       *output,
       GString       *log,
       GPtrArray     *events)
{
  g_autoptr(GBytes) bytes = msc_pop3_server_take_output (server);
  g_autoptr(GString) replies = g_string_new (NULL);
  MscPop3ServerEvent *event;

  while ((event = msc_pop3_server_next_event (server)) != NULL)
    {
      if (event->kind == MSC_POP3_SERVER_EVENT_REPLY)
        g_string_append_len (replies, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      log_event (log, event);
      if (events != NULL)
        g_ptr_array_add (events, event);
      else
        msc_pop3_server_event_free (event);
    }

  if (bytes != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                       replies->str, replies->len);
      g_string_append_len (output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else
    {
      g_assert_cmpuint (replies->len, ==, 0);
    }
}

static void
feed (MscPop3Server *server,
      const guint8  *data,
      gsize          len,
      gboolean       trickle)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_pop3_server_is_closed (server); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_pop3_server_feed (server, data + i, MIN (step, len - i), &error))
        {
          /* Only an abnormal end fails a feed. */
          g_assert_true (msc_pop3_server_is_closed (server));
          g_assert_error (error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_TOO_MANY_ERRORS);
        }
      else
        {
          g_assert_no_error (error);
        }
    }
}

/* ---- Conversations ---- */

typedef enum
{
  STEP_END,
  STEP_SEND,
  STEP_TLS_STARTED,
  STEP_NOW,            /* value: seconds after T0 */
  STEP_CHECK_TIMEOUT,  /* value: what check_timeout() must return */
  STEP_DELIVER,        /* M4 arrives in Alice's INBOX */
  STEP_ABORT,
} StepKind;

typedef struct
{
  StepKind    kind;
  const char *data;
  gsize       len;
  gint64      value;
} Step;

typedef struct
{
  const char         *name;
  Variant             variant;
  const Step         *steps;
  const char         *expected;
  MscPop3ServerState  final_state;
  const char         *remaining;  /* Alice's INBOX afterwards */
} Conversation;

#define SEND(s)           { STEP_SEND, s, sizeof (s) - 1, 0 }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0 }
#define NOW(s)            { STEP_NOW, NULL, 0, s }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b }
#define DELIVER           { STEP_DELIVER, NULL, 0, 0 }
#define ABORT             { STEP_ABORT, NULL, 0, 0 }
#define END               { STEP_END, NULL, 0, 0 }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }

/* What the client says */
#define C_LOGIN       "USER alice@example.com\r\nPASS secret\r\n"
#define C_QUIT        "QUIT\r\n"
#define PLAIN_ALICE   "AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA=="
#define PLAIN_WRONG   "AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n"
#define PLAIN_AUTHZID "YWxpY2VAZXhhbXBsZS5jb20AYWxpY2VAZXhhbXBsZS5jb20Ac2VjcmV0"
/* MD5 ("<4242.1767225600@pop.example.com>" "tanstaaf") */
#define DIGEST        "a68e16e70baf6134dc14b718123c6041"

/* What the server says */
#define GREET         "+OK pop.example.com POP3 server ready\r\n"
#define GREET_APOP    "+OK POP3 server ready <4242.1767225600@pop.example.com>\r\n"
#define BYE           "+OK pop.example.com POP3 server signing off\r\n"
#define BYE_LEFT(n)   "+OK pop.example.com POP3 server signing off (" n " left)\r\n"
#define BYE_EMPTY     "+OK pop.example.com POP3 server signing off (maildrop empty)\r\n"
#define SEND_PASS     "+OK send PASS\r\n"
#define LOCKED        "+OK maildrop has 3 messages (117 octets)\r\n"
#define LOGGED_IN     SEND_PASS LOCKED
#define OK            "+OK\r\n"
#define CAPA_HEAD     "+OK Capability list follows\r\nTOP\r\nUIDL\r\n"
#define CAPA_AUTH     "USER\r\nSASL PLAIN\r\n"
#define CAPA_MID      "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
#define CAPA_STLS     "STLS\r\n"
#define CAPA_TAIL     "IMPLEMENTATION Mailscope\r\n.\r\n"
#define CAPA_PLAIN    CAPA_HEAD CAPA_MID CAPA_STLS CAPA_TAIL
#define CAPA_NO_TLS   CAPA_HEAD CAPA_MID CAPA_TAIL
#define CAPA_TLS      CAPA_HEAD CAPA_AUTH CAPA_MID CAPA_TAIL
#define CAPA_INSECURE CAPA_HEAD CAPA_AUTH CAPA_MID CAPA_STLS CAPA_TAIL
#define TLS_GO        "+OK Begin TLS negotiation\r\n"
#define CONTINUE      "+ \r\n"
#define AUTH_BAD      "-ERR [AUTH] invalid user name or password\r\n"
#define SASL_BAD      "-ERR [AUTH] authentication failed\r\n"
#define NEED_TLS      "-ERR [AUTH] encryption required: use STLS first\r\n"
#define NEED_USER     "-ERR send USER first\r\n"
#define UNKNOWN       "-ERR unknown command\r\n"
#define NOT_IN_AUTH   "-ERR command not valid in the AUTHORIZATION state\r\n"
#define NOT_IN_TRANS  "-ERR command not valid in the TRANSACTION state\r\n"
#define NO_SUCH(n)    "-ERR no such message, only " n " in maildrop\r\n"
#define DELETED(n)    "-ERR message " n " already deleted\r\n"
#define LIST_ALL      "+OK 3 messages (117 octets)\r\n1 24\r\n2 38\r\n3 55\r\n.\r\n"
#define UIDL_ALL      "+OK unique-id listing follows\r\n1 1.1\r\n2 1.2\r\n3 1.3\r\n.\r\n"
#define TOO_MANY      "-ERR too many errors, closing connection\r\n"

static const Conversation conversations[] = {
  /* The basics (RFC 1939 §4) */
  { "quit", TLS, STEPS (SEND (C_QUIT)), GREET BYE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "quit-lower-case", TLS, STEPS (SEND ("quit\r\n")), GREET BYE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "quit-syntax", TLS, STEPS (SEND ("QUIT now\r\n" C_QUIT)),
    GREET "-ERR syntax: QUIT\r\n" BYE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "quit-then-nothing", TLS, STEPS (SEND ("QUIT\r\n" C_LOGIN)),
    GREET BYE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "bare-lf", TLS, STEPS (SEND ("USER alice@example.com\nPASS secret\nQUIT\n")),
    GREET LOGGED_IN BYE_LEFT ("3 messages"), MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "trailing-spaces", TLS, STEPS (SEND ("CAPA  \r\nUSER alice@example.com \r\n")),
    GREET CAPA_TLS SEND_PASS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },

  /* CAPA (RFC 2449 §5): the same list in both states, following the connection */
  { "capa-plain", PLAIN, STEPS (SEND ("CAPA\r\n")), GREET CAPA_PLAIN,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "capa-no-tls", NO_TLS, STEPS (SEND ("CAPA\r\n")), GREET CAPA_NO_TLS,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "capa-tls", TLS, STEPS (SEND ("capa\r\n")), GREET CAPA_TLS,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "capa-insecure", INSECURE, STEPS (SEND ("CAPA\r\n")), GREET CAPA_INSECURE,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "capa-transaction", TLS, STEPS (SEND (C_LOGIN "CAPA\r\n")), GREET LOGGED_IN CAPA_TLS,
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "capa-transaction-insecure", INSECURE, STEPS (SEND (C_LOGIN "CAPA\r\n")), GREET LOGGED_IN CAPA_INSECURE,
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "capa-syntax", TLS, STEPS (SEND ("CAPA all\r\n")), GREET "-ERR syntax: CAPA\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },

  /* USER and PASS (RFC 1939 §7) */
  { "user-pass", TLS, STEPS (SEND (C_LOGIN C_QUIT)), GREET LOGGED_IN BYE_LEFT ("3 messages"),
    MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "user-pass-lower-case", TLS, STEPS (SEND ("user ALICE@Example.COM\r\npass secret\r\nstat\r\n")),
    GREET LOGGED_IN "+OK 3 117\r\n", MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "pass-wrong", TLS,
    STEPS (SEND ("USER alice@example.com\r\nPASS Secret\r\nPASS secret\r\n" C_LOGIN)),
    GREET SEND_PASS AUTH_BAD NEED_USER LOGGED_IN, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "user-unknown", TLS, STEPS (SEND ("USER nobody@example.com\r\nPASS secret\r\nUSER nobody\r\nPASS x\r\n")),
    GREET SEND_PASS AUTH_BAD SEND_PASS AUTH_BAD, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "user-pass-syntax", TLS, STEPS (SEND ("USER\r\nUSER a b\r\nPASS secret\r\nUSER alice@example.com\r\nPASS\r\n"
                                          "USER alice@example.com\r\nPASS \r\n")),
    GREET "-ERR syntax: USER name\r\n" "-ERR syntax: USER name\r\n" NEED_USER
    SEND_PASS "-ERR syntax: PASS password\r\n" SEND_PASS "-ERR syntax: PASS password\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  /* RFC 1939 §7: spaces are part of the password, trailing ones too */
  { "pass-with-spaces", TLS, STEPS (SEND ("USER bob@example.com\r\nPASS correct horse \r\n"
                                          "USER bob@example.com\r\nPASS correct horse\r\n")),
    GREET SEND_PASS AUTH_BAD SEND_PASS "+OK maildrop has 0 messages (0 octets)\r\n",
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "user-again", TLS, STEPS (SEND ("USER bob@example.com\r\n" C_LOGIN)),
    GREET SEND_PASS LOGGED_IN, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  /* RFC 2449 §4 allows 255 octets; this server takes up to 512 */
  { "long-user", TLS,
    STEPS (SEND ("USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "@example.com\r\n")),
    GREET SEND_PASS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },

  /* APOP (RFC 1939 §7) */
  { "apop", APOP, STEPS (SEND ("APOP alice@example.com " DIGEST "\r\nSTAT\r\n")),
    GREET_APOP LOCKED "+OK 3 117\r\n", MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "apop-upper-case-digest", APOP, STEPS (SEND ("APOP alice@example.com A68E16E70BAF6134DC14B718123C6041\r\n")),
    GREET_APOP LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "apop-wrong", APOP,
    STEPS (SEND ("APOP alice@example.com 00000000000000000000000000000000\r\n"
                 "APOP bob@example.com " DIGEST "\r\n"
                 "APOP nobody@example.com " DIGEST "\r\n"
                 "APOP alice@example.com xyz\r\nAPOP alice@example.com\r\n"
                 "APOP alice@example.com " DIGEST " more\r\n")),
    GREET_APOP "-ERR [AUTH] permission denied\r\n" "-ERR [AUTH] permission denied\r\n"
    "-ERR [AUTH] permission denied\r\n" "-ERR syntax: APOP name digest\r\n"
    "-ERR syntax: APOP name digest\r\n" "-ERR syntax: APOP name digest\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  /* Nobody opted in: no timestamp, no APOP */
  { "apop-not-available", TLS, STEPS (SEND ("APOP alice@example.com " DIGEST "\r\n")),
    GREET "-ERR APOP not available\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  /* A timestamp, because STLS can make APOP possible; not before it */
  { "apop-needs-tls", APOP_PLAIN,
    STEPS (SEND ("APOP alice@example.com " DIGEST "\r\nSTLS\r\n"), TLS_STARTED,
           SEND ("APOP alice@example.com " DIGEST "\r\n")),
    GREET_APOP NEED_TLS TLS_GO LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "apop-never-possible", APOP_NO_TLS, STEPS (SEND ("APOP alice@example.com " DIGEST "\r\n")),
    GREET "-ERR APOP not available\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },

  /* AUTH (RFC 5034, RFC 4616) */
  { "auth-plain-initial", TLS, STEPS (SEND ("AUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "auth-plain-continuation", TLS, STEPS (SEND ("auth plain\r\n" PLAIN_ALICE "\r\n")),
    GREET CONTINUE LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "auth-plain-authzid", TLS, STEPS (SEND ("AUTH PLAIN " PLAIN_AUTHZID "\r\n")),
    GREET LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "auth-cancel", TLS, STEPS (SEND ("AUTH PLAIN\r\n*\r\nAUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET CONTINUE "-ERR authentication cancelled\r\n" LOCKED, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "auth-wrong", TLS,
    STEPS (SEND ("AUTH PLAIN " PLAIN_WRONG "\r\nAUTH PLAIN\r\n" PLAIN_WRONG "\r\nAUTH PLAIN =\r\n"
                 "AUTH PLAIN\r\n\r\n")),
    GREET SASL_BAD CONTINUE SASL_BAD SASL_BAD CONTINUE SASL_BAD,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "auth-bad-base64", TLS, STEPS (SEND ("AUTH PLAIN !!!!\r\nAUTH PLAIN\r\nnot base64\r\nAUTH PLAIN\r\nAA\0=\r\n")),
    GREET "-ERR invalid base64 in the SASL response\r\n" CONTINUE
    "-ERR invalid base64 in the SASL response\r\n" CONTINUE
    "-ERR invalid base64 in the SASL response\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "auth-syntax", TLS, STEPS (SEND ("AUTH CRAM-MD5\r\nAUTH PLAIN a b\r\nAUTH LOGIN\r\n")),
    GREET "-ERR unsupported authentication mechanism\r\n"
    "-ERR syntax: AUTH mechanism [initial-response]\r\n" "-ERR unsupported authentication mechanism\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  /* RFC 1734's mechanism discovery, which Outlook sends */
  { "auth-list", TLS, STEPS (SEND ("AUTH\r\n")), GREET "+OK supported mechanisms follow\r\nPLAIN\r\n.\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "auth-after-login", TLS, STEPS (SEND (C_LOGIN "AUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET LOGGED_IN NOT_IN_TRANS, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },

  /* No credentials without TLS (RFC 2595 §2.1, RFC 3206 §5) */
  { "insecure-refused", PLAIN,
    STEPS (SEND ("USER alice@example.com\r\nPASS secret\r\nAUTH PLAIN " PLAIN_ALICE "\r\nAUTH PLAIN\r\nAUTH\r\n")),
    GREET NEED_TLS NEED_USER NEED_TLS NEED_TLS NEED_TLS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "insecure-no-tls", NO_TLS, STEPS (SEND ("USER alice@example.com\r\n")),
    GREET "-ERR [AUTH] authentication is not allowed without encryption\r\n",
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "insecure-allowed", INSECURE, STEPS (SEND (C_LOGIN)), GREET LOGGED_IN,
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },

  /* STLS (RFC 2595 §4) */
  { "stls", PLAIN, STEPS (SEND ("STLS\r\n"), TLS_STARTED, SEND ("CAPA\r\n" C_LOGIN)),
    GREET TLS_GO CAPA_TLS LOGGED_IN, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  /* Bytes behind STLS in the clear are never read (CVE-2011-0411) */
  { "stls-injection", PLAIN, STEPS (SEND ("STLS\r\n" C_LOGIN), TLS_STARTED, SEND ("PASS secret\r\n")),
    GREET TLS_GO NEED_USER, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-partial-injection", PLAIN, STEPS (SEND ("STLS\r\nUSER alice@exa"), TLS_STARTED, SEND ("CAPA\r\n")),
    GREET TLS_GO CAPA_TLS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-forgets-user", INSECURE, STEPS (SEND ("USER alice@example.com\r\nSTLS\r\n"), TLS_STARTED,
                                          SEND ("PASS secret\r\n")),
    GREET SEND_PASS TLS_GO NEED_USER, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-refused", TLS, STEPS (SEND ("STLS\r\n")),
    GREET "-ERR Command not permitted when TLS active\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-unavailable", NO_TLS, STEPS (SEND ("STLS\r\n")),
    GREET "-ERR STLS not available\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-syntax", PLAIN, STEPS (SEND ("STLS now\r\n")),
    GREET "-ERR syntax: STLS\r\n", MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "stls-in-transaction", INSECURE, STEPS (SEND (C_LOGIN "STLS\r\n")),
    GREET LOGGED_IN NOT_IN_TRANS, MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },

  /* The TRANSACTION state (RFC 1939 §5 and §7) */
  { "stat-list", TLS, STEPS (SEND (C_LOGIN "STAT\r\nLIST\r\nLIST 2\r\nLIST 4\r\nLIST 0\r\nLIST x\r\n"
                                   "LIST 1 2\r\nLIST 99999999999999999999999\r\nSTAT x\r\n")),
    GREET LOGGED_IN "+OK 3 117\r\n" LIST_ALL "+OK 2 38\r\n" NO_SUCH ("3 messages") NO_SUCH ("3 messages")
    "-ERR invalid message number\r\n" "-ERR syntax: LIST [msg]\r\n" NO_SUCH ("3 messages")
    "-ERR syntax: STAT\r\n", MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "uidl", TLS, STEPS (SEND (C_LOGIN "UIDL\r\nUIDL 3\r\nUIDL 9\r\nUIDL -1\r\n")),
    GREET LOGGED_IN UIDL_ALL "+OK 3 1.3\r\n" NO_SUCH ("3 messages") "-ERR invalid message number\r\n",
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "retr", TLS, STEPS (SEND (C_LOGIN "RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\nRETR\r\n")),
    GREET LOGGED_IN "+OK 24 octets\r\n" M1 ".\r\n" "+OK 38 octets\r\n" M2_STUFFED ".\r\n"
    "+OK 55 octets\r\n" M3 ".\r\n" NO_SUCH ("3 messages") "-ERR syntax: RETR msg\r\n",
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "top", TLS, STEPS (SEND (C_LOGIN "TOP 3 0\r\nTOP 3 2\r\nTOP 3 99\r\nTOP 2 2\r\nTOP 1\r\nTOP 1 -1\r\n"
                             "TOP 5 0\r\n")),
    GREET LOGGED_IN
    "+OK top of message follows\r\nSubject: three\r\nX-Test: yes\r\n\r\n.\r\n"
    "+OK top of message follows\r\nSubject: three\r\nX-Test: yes\r\n\r\nline 1\r\nline 2\r\n.\r\n"
    "+OK top of message follows\r\n" M3 ".\r\n"
    "+OK top of message follows\r\nSubject: two\r\n\r\n..dot\r\n...dots\r\n.\r\n"
    "-ERR syntax: TOP msg n\r\n" "-ERR syntax: TOP msg n\r\n" NO_SUCH ("3 messages"),
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },
  { "noop", TLS, STEPS (SEND (C_LOGIN "NOOP\r\nNOOP x\r\n")),
    GREET LOGGED_IN OK "-ERR syntax: NOOP\r\n", MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },

  /* DELE marks; only QUIT removes (RFC 1939 §6) */
  { "dele", TLS, STEPS (SEND (C_LOGIN "DELE 2\r\nSTAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nUIDL 2\r\nRETR 2\r\n"
                              "TOP 2 0\r\nDELE 2\r\nDELE\r\n" C_QUIT)),
    GREET LOGGED_IN "+OK message 2 deleted\r\n" "+OK 2 79\r\n"
    "+OK 2 messages (79 octets)\r\n1 24\r\n3 55\r\n.\r\n"
    "+OK unique-id listing follows\r\n1 1.1\r\n3 1.3\r\n.\r\n"
    DELETED ("2") DELETED ("2") DELETED ("2") DELETED ("2") DELETED ("2") "-ERR syntax: DELE msg\r\n"
    BYE_LEFT ("2 messages"), MSC_POP3_SERVER_STATE_CLOSED, "1 3" },
  { "dele-all", TLS, STEPS (SEND (C_LOGIN "DELE 1\r\nDELE 2\r\nDELE 3\r\nSTAT\r\nLIST\r\n" C_QUIT)),
    GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 2 deleted\r\n" "+OK message 3 deleted\r\n"
    "+OK 0 0\r\n" "+OK 0 messages (0 octets)\r\n.\r\n" BYE_EMPTY, MSC_POP3_SERVER_STATE_CLOSED, "" },
  { "rset", TLS, STEPS (SEND (C_LOGIN "DELE 1\r\nDELE 3\r\nRSET\r\nSTAT\r\nRSET x\r\n" C_QUIT)),
    GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 3 deleted\r\n"
    "+OK maildrop has 3 messages (117 octets)\r\n" "+OK 3 117\r\n" "-ERR syntax: RSET\r\n"
    BYE_LEFT ("3 messages"), MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "quit-in-authorization", TLS, STEPS (SEND ("USER alice@example.com\r\n" C_QUIT)),
    GREET SEND_PASS BYE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "pipelining", TLS, STEPS (SEND (C_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\nDELE 1\r\n" C_QUIT)),
    GREET LOGGED_IN "+OK 3 117\r\n" "+OK 1 24\r\n" "+OK 24 octets\r\n" M1 ".\r\n"
    "+OK message 1 deleted\r\n" BYE_LEFT ("2 messages"), MSC_POP3_SERVER_STATE_CLOSED, "2 3" },
  /* RFC 1939 §8: new mail waits for the next session; QUIT counts it */
  { "deliver-during-session", TLS,
    STEPS (SEND (C_LOGIN "DELE 1\r\n"), DELIVER, SEND ("STAT\r\nLIST 4\r\n" C_QUIT)),
    GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK 2 93\r\n" NO_SUCH ("3 messages")
    BYE_LEFT ("3 messages"), MSC_POP3_SERVER_STATE_CLOSED, "2 3 4" },

  /* Commands in the wrong state */
  { "wrong-state", TLS,
    STEPS (SEND ("STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nNOOP\r\nRSET\r\nTOP 1 1\r\nUIDL\r\nPASS secret\r\n"
                 C_LOGIN "USER alice@example.com\r\nPASS secret\r\nAPOP a b\r\nAUTH\r\n")),
    GREET NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH NOT_IN_AUTH
    NEED_USER LOGGED_IN NOT_IN_TRANS NOT_IN_TRANS NOT_IN_TRANS NOT_IN_TRANS,
    MSC_POP3_SERVER_STATE_TRANSACTION, "1 2 3" },

  /* Garbage */
  { "unknown", TLS, STEPS (SEND ("FOO\r\nGET / HTTP/1.1\r\n NOOP\r\nRETRIEVE 1\r\n\r\n   \r\nCAPA\r\n")),
    GREET UNKNOWN UNKNOWN UNKNOWN UNKNOWN "-ERR empty command\r\n" "-ERR empty command\r\n" CAPA_TLS,
    MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "nul-byte", TLS, STEPS (SEND ("NO\0OP\r\nUSER alice\0@example.com\r\n\0\r\nCAPA\r\n")),
    GREET "-ERR NUL byte in command\r\n" "-ERR NUL byte in command\r\n" "-ERR NUL byte in command\r\n"
    CAPA_TLS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "binary-garbage", TLS, STEPS (SEND ("\x80\xff\xfe\r\n\x01\x02\x03\r\nUSER \x1b[31m\r\nCAPA\r\n")),
    GREET "-ERR command is not UTF-8\r\n" "-ERR control character in command\r\n"
    "-ERR control character in command\r\n" CAPA_TLS, MSC_POP3_SERVER_STATE_AUTHORIZATION, "1 2 3" },
  { "too-many-errors", STRICT, STEPS (SEND ("FOO\r\nBAR\r\nBAZ\r\nCAPA\r\n")),
    GREET UNKNOWN UNKNOWN UNKNOWN TOO_MANY, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  /* Closed without UPDATE: the marks are dropped */
  { "too-many-errors-deletes-nothing", STRICT, STEPS (SEND (C_LOGIN "DELE 1\r\nRETR 9\r\nX\r\nDELE 1\r\n")),
    GREET LOGGED_IN "+OK message 1 deleted\r\n" NO_SUCH ("3 messages") UNKNOWN DELETED ("1") TOO_MANY,
    MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "password-guessing", STRICT,
    STEPS (SEND ("USER alice@example.com\r\nPASS a\r\nUSER alice@example.com\r\nPASS b\r\n"
                 "USER alice@example.com\r\nPASS c\r\n" C_LOGIN)),
    GREET SEND_PASS AUTH_BAD SEND_PASS AUTH_BAD SEND_PASS AUTH_BAD TOO_MANY,
    MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },

  /* The autologout timer (RFC 1939 §3): no response, no UPDATE */
  { "timeout-deletes-nothing", TLS,
    STEPS (SEND (C_LOGIN "DELE 1\r\n"), NOW (599), CHECK_TIMEOUT (FALSE), NOW (600), CHECK_TIMEOUT (TRUE),
           CHECK_TIMEOUT (FALSE)),
    GREET LOGGED_IN "+OK message 1 deleted\r\n", MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-greeting", TLS, STEPS (NOW (600), CHECK_TIMEOUT (TRUE)), GREET,
    MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-activity", TLS,
    STEPS (SEND (C_LOGIN), NOW (500), SEND ("NOOP\r\n"), NOW (1099), CHECK_TIMEOUT (FALSE),
           NOW (1100), CHECK_TIMEOUT (TRUE)),
    GREET LOGGED_IN OK, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-sasl", TLS, STEPS (SEND ("AUTH PLAIN\r\n"), NOW (600), CHECK_TIMEOUT (TRUE)),
    GREET CONTINUE, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-not-during-handshake", PLAIN,
    STEPS (SEND ("STLS\r\n"), NOW (5000), CHECK_TIMEOUT (FALSE), TLS_STARTED, NOW (5599),
           CHECK_TIMEOUT (FALSE), NOW (5600), CHECK_TIMEOUT (TRUE)),
    GREET TLS_GO, MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },

  /* A dropped connection (RFC 1939 §6): nothing deleted */
  { "abort-deletes-nothing", TLS, STEPS (SEND (C_LOGIN "DELE 1\r\nDELE 2\r\n"), ABORT),
    GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 2 deleted\r\n",
    MSC_POP3_SERVER_STATE_CLOSED, "1 2 3" },
};

static void
run_conversation (const Conversation *conversation,
                  gboolean            trickle,
                  GString            *output,
                  GString            *log)
{
  g_autoptr(MscMailStore) store = make_store (variant_has_apop (conversation->variant));
  g_autoptr(MscPop3Server) server = start_server (store, conversation->variant);
  g_autofree char *remaining = NULL;

  drain (server, output, log, NULL);

  for (const Step *step = conversation->steps; step->kind != STEP_END; step++)
    {
      switch (step->kind)
        {
        case STEP_SEND:
          feed (server, (const guint8 *) step->data, step->len, trickle);
          break;

        case STEP_TLS_STARTED:
          msc_pop3_server_tls_started (server);
          break;

        case STEP_NOW:
          msc_pop3_server_set_now (server, T0 + step->value * G_USEC_PER_SEC);
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_pop3_server_check_timeout (server), ==, step->value);
          break;

        case STEP_DELIVER:
          add_message (store, ALICE, M4, strlen (M4));
          break;

        case STEP_ABORT:
          msc_pop3_server_abort (server);
          break;

        case STEP_END:
        default:
          g_assert_not_reached ();
        }

      drain (server, output, log, NULL);
    }

  g_assert_cmpstr (msc_pop3_server_state_get_name (msc_pop3_server_get_state (server)), ==,
                   msc_pop3_server_state_get_name (conversation->final_state));
  g_assert_finalize_object (g_steal_pointer (&server));

  /* Whatever happened, the lock is free again once the engine is gone. */
  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  remaining = inbox_uids (store, ALICE);
  g_assert_cmpstr (remaining, ==, conversation->remaining);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_conversation (gconstpointer data)
{
  const Conversation *conversation = data;
  g_autoptr(GString) whole_output = g_string_new (NULL);
  g_autoptr(GString) whole_log = g_string_new (NULL);
  g_autoptr(GString) trickled_output = g_string_new (NULL);
  g_autoptr(GString) trickled_log = g_string_new (NULL);

  run_conversation (conversation, FALSE, whole_output, whole_log);
  g_test_message ("events:\n%s", whole_log->str);
  g_assert_cmpstr (whole_output->str, ==, conversation->expected);

  run_conversation (conversation, TRUE, trickled_output, trickled_log);
  g_assert_cmpstr (trickled_output->str, ==, conversation->expected);
  g_assert_cmpstr (trickled_log->str, ==, whole_log->str);
}

/* ---- Events ---- */

static GByteArray *
build_input (const char *before,
             char        fill,
             gsize       n_fill,
             const char *after)
{
  GByteArray *input = g_byte_array_new ();

  g_byte_array_append (input, (const guint8 *) before, strlen (before));
  g_byte_array_set_size (input, input->len + n_fill);
  memset (input->data + input->len - n_fill, fill, n_fill);
  g_byte_array_append (input, (const guint8 *) after, strlen (after));

  return input;
}


/* Runs input through a new server, whole or trickled, and keeps its events. */
static GPtrArray *
collect (MscMailStore *store,
         Variant       variant,
         const char   *input,
         gsize         len,
         gboolean      trickle,
         GString      *output)
{
  g_autoptr(MscPop3Server) server = start_server (store, variant);
  g_autoptr(GString) log = g_string_new (NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_pop3_server_event_free);

  feed (server, (const guint8 *) input, len, trickle);
  drain (server, output, log, events);
  g_assert_finalize_object (g_steal_pointer (&server));

  return events;
}

static const MscPop3ServerEvent *
find_event (GPtrArray              *events,
            MscPop3ServerEventKind  kind,
            guint                   nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscPop3ServerEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && nth-- == 0)
        return event;
    }

  g_assert_not_reached ();
  return NULL;
}

static void
assert_wire (GBytes     *wire,
             const char *expected)
{
  g_assert_cmpmem (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire),
                   expected, strlen (expected));
}

/* Credentials are marked secret; the verb of a SASL response is NULL. */
static void
test_command_events (void)
{
  static const char input[] =
    "USER alice@example.com\r\nPASS wrong\r\n"
    "APOP alice@example.com 00000000000000000000000000000000\r\n"
    "AUTH PLAIN " PLAIN_WRONG "\r\n"
    "AUTH PLAIN\r\n" PLAIN_ALICE "\r\nSTAT\r\n";
  g_autoptr(MscMailStore) store = make_store (TRUE);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (store, APOP, input, sizeof input - 1, FALSE, output);
  const MscPop3ServerEvent *user = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 0);
  const MscPop3ServerEvent *pass = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 1);
  const MscPop3ServerEvent *apop = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 2);
  const MscPop3ServerEvent *auth_initial = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 3);
  const MscPop3ServerEvent *auth = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 4);
  const MscPop3ServerEvent *response = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 5);
  const MscPop3ServerEvent *stat = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 6);

  g_assert_cmpstr (user->verb, ==, "USER");
  g_assert_false (user->secret);
  g_assert_cmpstr (user->line, ==, "USER alice@example.com");
  assert_wire (user->wire, "USER alice@example.com\r\n");
  g_assert_cmpstr (pass->verb, ==, "PASS");
  g_assert_true (pass->secret);
  g_assert_cmpstr (apop->verb, ==, "APOP");
  g_assert_true (apop->secret);
  g_assert_cmpstr (auth_initial->verb, ==, "AUTH");
  g_assert_true (auth_initial->secret);
  g_assert_cmpstr (auth->verb, ==, "AUTH");
  g_assert_false (auth->secret);
  g_assert_null (response->verb);
  g_assert_true (response->secret);
  assert_wire (response->wire, PLAIN_ALICE "\r\n");
  g_assert_cmpstr (stat->verb, ==, "STAT");
  g_assert_false (stat->secret);

  g_assert_finalize_object (g_steal_pointer (&store));
}

/* A credential stays hidden when its line is refused before parsing. */
static void
test_refused_secret_events (void)
{
  static const char input[] = "pass se\0cret\r\nPASS \xff\r\nAUTH PLAIN \x01\r\nAUTH CRAM-MD5  \r\nNO\0OP\r\n";
  g_autoptr(GByteArray) long_pass = build_input ("PASS ", 'p', 1000, "\r\n");
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (store, TLS, input, sizeof input - 1, FALSE, output);
  g_autoptr(GPtrArray) long_events = NULL;
  const MscPop3ServerEvent *command;

  for (guint i = 0; i < 3; i++)
    {
      command = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, i);
      g_assert_null (command->verb);
      g_assert_true (command->secret);
    }
  command = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 3);
  g_assert_cmpstr (command->verb, ==, "AUTH");
  g_assert_false (command->secret);
  command = find_event (events, MSC_POP3_SERVER_EVENT_COMMAND, 4);
  g_assert_false (command->secret);
  g_assert_cmpstr (command->line, ==, "NO\xEF\xBF\xBDOP");
  g_assert_cmpmem (g_bytes_get_data (command->wire, NULL), g_bytes_get_size (command->wire),
                   "NO\0OP\r\n", 7);

  long_events = collect (store, TLS, (const char *) long_pass->data, long_pass->len, FALSE, output);
  command = find_event (long_events, MSC_POP3_SERVER_EVENT_COMMAND, 0);
  g_assert_true (command->truncated);
  g_assert_true (command->secret);

  g_clear_pointer (&long_events, g_ptr_array_unref);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_reply_events (void)
{
  static const char input[] = "STAT\r\nAPOP alice@example.com " DIGEST "\r\nLIST\r\nAUTH\r\n";
  g_autoptr(MscMailStore) store = make_store (TRUE);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (store, APOP, input, sizeof input - 1, FALSE, output);
  const MscPop3ServerEvent *greeting = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 0);
  const MscPop3ServerEvent *wrong_state = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 1);
  const MscPop3ServerEvent *login = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 2);
  const MscPop3ServerEvent *list = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 3);
  const MscPop3ServerEvent *auth = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 4);

  g_assert_cmpint (greeting->status, ==, MSC_POP3_SERVER_REPLY_OK);
  g_assert_null (greeting->code);
  g_assert_cmpstr (greeting->text, ==, "POP3 server ready <4242.1767225600@pop.example.com>");
  g_assert_false (greeting->multiline);
  g_assert_cmpint (wrong_state->status, ==, MSC_POP3_SERVER_REPLY_ERR);
  g_assert_cmpstr (wrong_state->text, ==, "command not valid in the AUTHORIZATION state");
  g_assert_cmpstr (login->text, ==, "maildrop has 3 messages (117 octets)");
  g_assert_true (list->multiline);
  g_assert_cmpstr (list->text, ==, "3 messages (117 octets)");
  assert_wire (list->wire, LIST_ALL);
  g_assert_cmpint (auth->status, ==, MSC_POP3_SERVER_REPLY_ERR);
  assert_wire (auth->wire, NOT_IN_TRANS);

  g_assert_finalize_object (g_steal_pointer (&store));
}

/* Response codes (RFC 2449 §8, RFC 3206) and the SASL continuation */
static void
test_reply_codes (void)
{
  static const char input[] = "USER alice@example.com\r\nPASS wrong\r\nAUTH PLAIN\r\n";
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (store, TLS, input, sizeof input - 1, FALSE, output);
  const MscPop3ServerEvent *bad = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 2);
  const MscPop3ServerEvent *go_on = find_event (events, MSC_POP3_SERVER_EVENT_REPLY, 3);

  g_assert_cmpint (bad->status, ==, MSC_POP3_SERVER_REPLY_ERR);
  g_assert_cmpstr (bad->code, ==, "AUTH");
  g_assert_cmpstr (bad->text, ==, "invalid user name or password");
  assert_wire (bad->wire, AUTH_BAD);
  g_assert_cmpint (go_on->status, ==, MSC_POP3_SERVER_REPLY_CONTINUE);
  g_assert_cmpstr (go_on->text, ==, "");
  assert_wire (go_on->wire, CONTINUE);

  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_authenticated_events (void)
{
  static const struct
  {
    Variant     variant;
    const char *input;
    const char *user;
    const char *mechanism;
  } cases[] = {
    { TLS, C_LOGIN, ALICE, "USER" },
    { APOP, "APOP Alice@Example.com " DIGEST "\r\n", "Alice@Example.com", "APOP" },
    { TLS, "AUTH PLAIN " PLAIN_ALICE "\r\n", ALICE, "PLAIN" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MscMailStore) store = make_store (variant_has_apop (cases[i].variant));
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GPtrArray) events = collect (store, cases[i].variant, cases[i].input,
                                             strlen (cases[i].input), FALSE, output);
      const MscPop3ServerEvent *authenticated = find_event (events, MSC_POP3_SERVER_EVENT_AUTHENTICATED, 0);

      g_assert_cmpstr (authenticated->user, ==, cases[i].user);
      g_assert_cmpstr (authenticated->mechanism, ==, cases[i].mechanism);
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

static void
test_state_events (void)
{
  static const char input[] = "STLS\r\n";
  static const char after[] = "AUTH PLAIN\r\n" PLAIN_ALICE "\r\nDELE 2\r\nQUIT\r\n";
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, PLAIN);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GString) states = g_string_new (NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_pop3_server_event_free);
  const MscPop3ServerEvent *updated;
  const MscPop3ServerEvent *closed;

  feed (server, (const guint8 *) input, sizeof input - 1, FALSE);
  msc_pop3_server_tls_started (server);
  feed (server, (const guint8 *) after, sizeof after - 1, FALSE);
  drain (server, output, log, events);

  for (guint i = 0; i < events->len; i++)
    {
      const MscPop3ServerEvent *event = g_ptr_array_index (events, i);

      if (event->kind == MSC_POP3_SERVER_EVENT_STATE_CHANGED)
        g_string_append_printf (states, "%s ", msc_pop3_server_state_get_name (event->new_state));
    }
  g_assert_cmpstr (states->str, ==, "authorization stls authorization sasl transaction update closed ");

  /* The UPDATE state comes before the goodbye, the close after it. */
  g_assert_nonnull (strstr (log->str,
                            "C QUIT QUIT\n"
                            "STATE transaction>update\n"
                            "UPDATED alice@example.com 1: 2\n"
                            "S +OK [] pop.example.com POP3 server signing off (2 messages left)\n"
                            "STATE update>closed\n"
                            "CLOSED -\n"));
  g_assert_nonnull (strstr (log->str, "S +OK [] Begin TLS negotiation\nSTATE authorization>stls\nSTARTTLS\n"));

  updated = find_event (events, MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED, 0);
  g_assert_cmpuint (updated->expunged->len, ==, 1);
  g_assert_cmpuint (g_array_index (updated->expunged, guint32, 0), ==, 2);
  g_assert_cmpuint (updated->uid_validity, ==, 1);
  closed = find_event (events, MSC_POP3_SERVER_EVENT_CLOSED, 0);
  g_assert_no_error (closed->error);

  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* Even a QUIT that deletes nothing passes through UPDATE and says so. */
static void
test_update_nothing (void)
{
  static const char input[] = C_LOGIN C_QUIT;
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (store, TLS, input, sizeof input - 1, FALSE, output);
  const MscPop3ServerEvent *updated = find_event (events, MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED, 0);

  g_assert_cmpuint (updated->expunged->len, ==, 0);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_closed_events (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, STRICT);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_pop3_server_event_free);
  g_autoptr(GError) error = NULL;
  const MscPop3ServerEvent *closed;

  /* Too many errors */
  g_assert_false (msc_pop3_server_feed (server, (const guint8 *) "A\r\nB\r\nC\r\nD\r\n", 12, &error));
  g_assert_error (error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_TOO_MANY_ERRORS);
  g_clear_error (&error);
  drain (server, output, log, events);
  closed = find_event (events, MSC_POP3_SERVER_EVENT_CLOSED, 0);
  g_assert_error (closed->error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_TOO_MANY_ERRORS);

  /* Fed after the end */
  g_assert_false (msc_pop3_server_feed (server, (const guint8 *) "CAPA\r\n", 6, &error));
  g_assert_error (error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (msc_pop3_server_take_output (server));
  g_assert_null (msc_pop3_server_next_event (server));
  /* Nothing more to abort or time out */
  msc_pop3_server_abort (server);
  g_assert_false (msc_pop3_server_check_timeout (server));
  g_assert_null (msc_pop3_server_next_event (server));
  g_assert_finalize_object (g_steal_pointer (&server));

  /* The autologout timer */
  server = start_server (store, TLS);
  msc_pop3_server_set_now (server, T0 + 600 * G_USEC_PER_SEC);
  g_assert_true (msc_pop3_server_check_timeout (server));
  g_ptr_array_set_size (events, 0);
  drain (server, output, log, events);
  closed = find_event (events, MSC_POP3_SERVER_EVENT_CLOSED, 0);
  g_assert_error (closed->error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_TIMEOUT);
  g_assert_finalize_object (g_steal_pointer (&server));

  /* A dropped connection */
  server = start_server (store, TLS);
  msc_pop3_server_abort (server);
  g_assert_true (msc_pop3_server_is_closed (server));
  g_ptr_array_set_size (events, 0);
  drain (server, output, log, events);
  closed = find_event (events, MSC_POP3_SERVER_EVENT_CLOSED, 0);
  g_assert_error (closed->error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_ABORTED);
  g_assert_finalize_object (g_steal_pointer (&server));

  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_names (void)
{
  g_assert_cmpstr (msc_pop3_server_state_get_name (MSC_POP3_SERVER_STATE_GREETING), ==, "greeting");
  g_assert_cmpstr (msc_pop3_server_state_get_name (MSC_POP3_SERVER_STATE_AUTHORIZATION), ==, "authorization");
  g_assert_cmpstr (msc_pop3_server_state_get_name (MSC_POP3_SERVER_STATE_UPDATE), ==, "update");
  g_assert_cmpstr (msc_pop3_server_state_get_name (MSC_POP3_SERVER_STATE_CLOSED), ==, "closed");
  g_assert_cmpstr (msc_pop3_server_event_kind_get_name (MSC_POP3_SERVER_EVENT_COMMAND), ==, "command");
  g_assert_cmpstr (msc_pop3_server_event_kind_get_name (MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED), ==,
                   "maildrop-updated");
  g_assert_cmpstr (msc_pop3_server_event_kind_get_name (MSC_POP3_SERVER_EVENT_CLOSED), ==, "closed");
}

/* ---- Sessions sharing one store ---- */

/* Feeds @input, whole or trickled, and returns what the server said. */
static char *
say_full (MscPop3Server *server,
          const char    *input,
          gboolean       trickle)
{
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);

  if (input != NULL)
    feed (server, (const guint8 *) input, strlen (input), trickle);
  drain (server, output, log, NULL);

  return g_string_free (g_steal_pointer (&output), FALSE);
}

static char *
say (MscPop3Server *server,
     const char    *input)
{
  return say_full (server, input, FALSE);
}

#define ASSERT_SAYS(server, input, expected) \
  G_STMT_START { \
    g_autofree char *said_ = say (server, input); \
    g_assert_cmpstr (said_, ==, expected); \
  } G_STMT_END

/* RFC 2449 §8.1.2: one session holds the maildrop; a second one is told
 * [IN-USE] only after proving who it is, and gets in once the first quits. */
static void
test_in_use (void)
{
  g_autoptr(MscMailStore) store = make_store (TRUE);
  g_autoptr(MscPop3Server) first = start_server (store, APOP);
  g_autoptr(MscPop3Server) second = start_server (store, APOP);

  ASSERT_SAYS (first, C_LOGIN "DELE 1\r\n", GREET_APOP LOGGED_IN "+OK message 1 deleted\r\n");
  g_assert_true (msc_mail_store_is_maildrop_locked (store, ALICE));
  g_assert_true (msc_mail_store_is_maildrop_locked (store, "ALICE@EXAMPLE.COM"));

  ASSERT_SAYS (second,
               "USER alice@example.com\r\nPASS wrong\r\n" C_LOGIN
               "APOP alice@example.com " DIGEST "\r\nAUTH PLAIN " PLAIN_ALICE "\r\n",
               GREET_APOP SEND_PASS AUTH_BAD SEND_PASS
               "-ERR [IN-USE] maildrop already locked\r\n"
               "-ERR [IN-USE] maildrop already locked\r\n"
               "-ERR [IN-USE] maildrop already locked\r\n");
  g_assert_cmpint (msc_pop3_server_get_state (second), ==, MSC_POP3_SERVER_STATE_AUTHORIZATION);

  /* Bob's maildrop is another lock */
  {
    g_autoptr(MscPop3Server) bob = start_server (store, TLS);

    ASSERT_SAYS (bob, "USER bob@example.com\r\nPASS correct horse\r\n",
                 GREET_APOP SEND_PASS "+OK maildrop has 0 messages (0 octets)\r\n");
    g_assert_finalize_object (g_steal_pointer (&bob));
  }

  ASSERT_SAYS (first, C_QUIT, BYE_LEFT ("2 messages"));
  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));

  ASSERT_SAYS (second, C_LOGIN "UIDL\r\n",
               SEND_PASS "+OK maildrop has 2 messages (93 octets)\r\n"
               "+OK unique-id listing follows\r\n1 1.2\r\n2 1.3\r\n.\r\n");

  g_assert_finalize_object (g_steal_pointer (&first));
  g_assert_finalize_object (g_steal_pointer (&second));
  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* RFC 1939 §6: a connection that drops without QUIT removes nothing, and
 * the next session gets the maildrop. */
static void
test_dropped_connection (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, TLS);
  g_autofree char *uids = NULL;

  ASSERT_SAYS (server, C_LOGIN "DELE 1\r\nDELE 2\r\nDELE 3\r\n",
               GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 2 deleted\r\n"
               "+OK message 3 deleted\r\n");

  /* The driver just lets go of the engine, events unread. */
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  uids = inbox_uids (store, ALICE);
  g_assert_cmpstr (uids, ==, "1 2 3");

  server = start_server (store, TLS);
  ASSERT_SAYS (server, C_LOGIN, GREET LOGGED_IN);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
on_message_expunged (MscMailStore *store G_GNUC_UNUSED,
                     MscMailbox   *mailbox,
                     MscMessage   *message,
                     GString      *log)
{
  g_string_append_printf (log, "%s %u\n", msc_mailbox_get_name (mailbox), msc_message_get_uid (message));
}

/* One store: what POP3 deletes is gone for IMAP too, and announced the
 * way IMAP's own EXPUNGE is. */
static void
test_expunge_is_shared (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, TLS);
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, ALICE, "INBOX", NULL);
  g_autoptr(GString) log = g_string_new (NULL);

  g_signal_connect (store, "message-expunged", G_CALLBACK (on_message_expunged), log);

  ASSERT_SAYS (server, C_LOGIN "DELE 1\r\nDELE 3\r\n",
               GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 3 deleted\r\n");
  g_assert_cmpstr (log->str, ==, "");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 3);

  ASSERT_SAYS (server, C_QUIT, BYE_LEFT ("1 message"));
  g_assert_cmpstr (log->str, ==, "INBOX 1\nINBOX 3\n");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 2));

  g_signal_handlers_disconnect_by_data (store, log);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_clear_object (&inbox);
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* An IMAP session expunges a message the POP3 session has numbered: the
 * numbers stay, RETR still serves the snapshot, and UPDATE reports only
 * what it removed itself. */
static void
test_concurrent_expunge (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, TLS);
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, ALICE, "INBOX", NULL);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  static const char input[] = "DELE 1\r\nDELE 2\r\nQUIT\r\n";
  const guint32 uid = 2;

  ASSERT_SAYS (server, C_LOGIN, GREET LOGGED_IN);
  g_assert_true (msc_mail_store_expunge (store, inbox, &uid, 1, &error));
  g_assert_no_error (error);

  ASSERT_SAYS (server, "STAT\r\nRETR 2\r\n", "+OK 3 117\r\n" "+OK 38 octets\r\n" M2_STUFFED ".\r\n");

  feed (server, (const guint8 *) input, sizeof input - 1, FALSE);
  drain (server, output, log, NULL);
  g_assert_cmpstr (output->str, ==, "+OK message 1 deleted\r\n" "+OK message 2 deleted\r\n"
                   BYE_LEFT ("1 message"));
  g_assert_nonnull (strstr (log->str, "UPDATED alice@example.com 1: 1\n"));

  g_assert_finalize_object (g_steal_pointer (&server));
  g_clear_object (&inbox);
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* RFC 1939 §7: a unique-id persists across sessions. */
static void
test_uidl_across_sessions (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = start_server (store, TLS);

  ASSERT_SAYS (server, C_LOGIN "UIDL\r\nDELE 2\r\n" C_QUIT,
               GREET LOGGED_IN UIDL_ALL "+OK message 2 deleted\r\n" BYE_LEFT ("2 messages"));
  g_assert_finalize_object (g_steal_pointer (&server));

  add_message (store, ALICE, M4, strlen (M4));

  /* The numbers change; the unique-ids do not. */
  server = start_server (store, TLS);
  ASSERT_SAYS (server, C_LOGIN "UIDL\r\nLIST\r\n",
               GREET SEND_PASS "+OK maildrop has 3 messages (106 octets)\r\n"
               "+OK unique-id listing follows\r\n1 1.1\r\n2 1.3\r\n3 1.4\r\n.\r\n"
               "+OK 3 messages (106 octets)\r\n1 24\r\n2 55\r\n3 27\r\n.\r\n");
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* A message stored with bare LFs and no last line end still goes out as
 * CRLF lines, and LIST counts what goes out. */
static void
test_bare_lf_message (void)
{
  static const char text[] = "Subject: lf\n\n.bare\nno end";
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(MscPop3Server) server = NULL;

  add_message (store, "bob@example.com", text, sizeof text - 1);

  server = start_server (store, TLS);
  ASSERT_SAYS (server, "USER bob@example.com\r\nPASS correct horse\r\nLIST 1\r\nRETR 1\r\nTOP 1 0\r\n",
               GREET SEND_PASS "+OK maildrop has 1 message (30 octets)\r\n" "+OK 1 30\r\n"
               "+OK 30 octets\r\nSubject: lf\r\n\r\n..bare\r\nno end\r\n.\r\n"
               "+OK top of message follows\r\nSubject: lf\r\n\r\n.\r\n");
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* A backend that keeps nothing and, when told to, removes only the first
 * message of an expunge before the disk "fills up". */
#define TEST_TYPE_FLAKY_BACKEND (test_flaky_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestFlakyBackend, test_flaky_backend, TEST, FLAKY_BACKEND, GObject)

struct _TestFlakyBackend
{
  GObject  parent_instance;
  gboolean fail_expunge;
};

static gboolean
flaky_load (MscStoreBackend *backend, GPtrArray **domains, GPtrArray **accounts, GError **error)
{
  *domains = g_ptr_array_new_with_free_func (g_free);
  *accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_store_backend_account_free);
  return TRUE;
}

static gboolean
flaky_domain (MscStoreBackend *backend, const char *domain, GError **error)
{
  return TRUE;
}

static gboolean
flaky_account (MscStoreBackend *backend, const char *account, const char *address,
               const char *display_name, const char *hash, GError **error)
{
  return TRUE;
}

static gboolean
flaky_mailbox (MscStoreBackend *backend, MscMailbox *mailbox, GError **error)
{
  return TRUE;
}

static gboolean
flaky_append (MscStoreBackend *backend, MscMailbox *mailbox, MscMessage * const *messages,
              guint n, GError **error)
{
  return TRUE;
}

static gboolean
flaky_expunge (MscStoreBackend *backend, MscMailbox *mailbox, MscMessage * const *messages,
               guint n, guint *done, GError **error)
{
  if (!TEST_FLAKY_BACKEND (backend)->fail_expunge)
    {
      *done = n;
      return TRUE;
    }

  *done = MIN (n, 1);
  g_set_error_literal (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO, "No space left on device");
  return FALSE;
}

static void
flaky_iface_init (MscStoreBackendInterface *iface)
{
  iface->load = flaky_load;
  iface->add_domain = flaky_domain;
  iface->add_account = flaky_account;
  iface->update_account = flaky_account;
  iface->create_mailbox = flaky_mailbox;
  iface->append = flaky_append;
  iface->expunge = flaky_expunge;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFlakyBackend, test_flaky_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_STORE_BACKEND, flaky_iface_init))

static void
test_flaky_backend_class_init (TestFlakyBackendClass *klass)
{
}

static void
test_flaky_backend_init (TestFlakyBackend *self)
{
}

/* RFC 1939 §6: when removal fails part-way, "-ERR some deleted messages
 * not removed", the lock is released all the same, and the event says
 * which messages did go. */
static void
test_update_failed (void)
{
  g_autoptr(TestFlakyBackend) backend = g_object_new (TEST_TYPE_FLAKY_BACKEND, NULL);
  g_autoptr(MscMailStore) store = NULL;
  g_autoptr(MscPop3Server) server = NULL;
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_pop3_server_event_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *uids = NULL;
  static const char input[] = C_LOGIN "DELE 1\r\nDELE 3\r\n" C_QUIT;
  const MscPop3ServerEvent *event;

  store = msc_mail_store_new_with_backend (MSC_STORE_BACKEND (backend), &error);
  g_assert_no_error (error);
  populate_store (store, FALSE);
  backend->fail_expunge = TRUE;

  server = start_server (store, TLS);
  g_assert_false (msc_pop3_server_feed (server, (const guint8 *) input, sizeof input - 1, &error));
  g_assert_error (error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_UPDATE_FAILED);
  g_assert_true (msc_pop3_server_is_closed (server));
  drain (server, output, log, events);

  g_assert_cmpstr (output->str, ==, GREET LOGGED_IN "+OK message 1 deleted\r\n" "+OK message 3 deleted\r\n"
                   "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
  event = find_event (events, MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED, 0);
  g_assert_cmpuint (event->expunged->len, ==, 1);
  g_assert_cmpuint (g_array_index (event->expunged, guint32, 0), ==, 1);
  event = find_event (events, MSC_POP3_SERVER_EVENT_CLOSED, 0);
  g_assert_error (event->error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_UPDATE_FAILED);

  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  uids = inbox_uids (store, ALICE);
  g_assert_cmpstr (uids, ==, "2 3");

  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
  g_assert_finalize_object (g_steal_pointer (&backend));
}

/* ---- Real messages ---- */

static char *
testdata_dir (void)
{
  const char *dir = g_getenv ("MSC_TESTDATA_DIR");

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);

  return g_test_build_filename (G_TEST_DIST, "..", "..", "shared", "testdata", "messages", NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The .eml files, by name. */
static GPtrArray *
load_testdata (void)
{
  g_autofree char *path = testdata_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_suffix (name, ".eml"))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >=, 8);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (path, g_ptr_array_index (names, i), NULL);
      char *contents = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (file, &contents, &len, &error));
      g_assert_no_error (error);
      g_ptr_array_add (messages, g_bytes_new_take (contents, len));
    }

  return messages;
}

/* Takes one multi-line response apart: the first line, and the body with
 * the byte-stuffing undone (RFC 1939 §3). */
static GBytes *
unstuff_response (const char  *response,
                  char       **first_line)
{
  const char *body = strstr (response, "\r\n");
  gsize len = strlen (response);
  g_autoptr(GByteArray) message = g_byte_array_new ();

  g_assert_nonnull (body);
  g_assert_true (g_str_has_suffix (response, "\r\n.\r\n"));
  *first_line = g_strndup (response, body - response);
  body += 2;

  for (const char *line = body; line < response + len - 3;)
    {
      const char *end = strstr (line, "\r\n");

      g_assert_nonnull (end);
      /* A lone "." would have ended the response. */
      g_assert_false (end == line + 1 && *line == '.');
      if (*line == '.')
        line++;
      g_byte_array_append (message, (const guint8 *) line, end + 2 - line);
      line = end + 2;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&message));
}

/* RETR gives back every byte of the real messages; LIST and TOP agree. */
static void
test_testdata (void)
{
  g_autoptr(GPtrArray) messages = load_testdata ();
  g_autoptr(MscMailStore) store = msc_mail_store_new ();
  g_autoptr(GError) error = NULL;

  msc_mail_store_set_password_iterations (store, 1000);
  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, "carol@example.com", NULL, "pw", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      GBytes *message = g_ptr_array_index (messages, i);

      add_message (store, "carol@example.com", g_bytes_get_data (message, NULL), g_bytes_get_size (message));
    }

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscPop3Server) server = start_server (store, TLS);
      g_autofree char *greeting = say_full (server, NULL, trickle);
      g_autofree char *said = say_full (server, "USER carol@example.com\r\nPASS pw\r\n", trickle);
      g_autofree char *bye = NULL;
      guint64 total = 0;

      for (guint i = 0; i < messages->len; i++)
        total += g_bytes_get_size (g_ptr_array_index (messages, i));
      g_assert_cmpstr (greeting, ==, GREET);
      {
        g_autofree char *expected = g_strdup_printf (SEND_PASS "+OK maildrop has %u messages (%"
                                                     G_GUINT64_FORMAT " octets)\r\n",
                                                     messages->len, total);
        g_assert_cmpstr (said, ==, expected);
      }

      for (guint i = 0; i < messages->len; i++)
        {
          GBytes *message = g_ptr_array_index (messages, i);
          gsize size = g_bytes_get_size (message);
          const char *text = g_bytes_get_data (message, NULL);
          const char *header_end = g_strstr_len (text, size, "\r\n\r\n");
          g_autofree char *list = g_strdup_printf ("LIST %u\r\n", i + 1);
          g_autofree char *retr = g_strdup_printf ("RETR %u\r\n", i + 1);
          g_autofree char *top = g_strdup_printf ("TOP %u 0\r\n", i + 1);
          g_autofree char *listed = say_full (server, list, trickle);
          g_autofree char *retrieved = say_full (server, retr, trickle);
          g_autofree char *topped = say_full (server, top, trickle);
          g_autofree char *expected_list = g_strdup_printf ("+OK %u %" G_GSIZE_FORMAT "\r\n", i + 1, size);
          g_autofree char *expected_first = g_strdup_printf ("+OK %" G_GSIZE_FORMAT " octets", size);
          g_autofree char *first = NULL;
          g_autoptr(GBytes) body = NULL;

          g_assert_cmpstr (listed, ==, expected_list);

          body = unstuff_response (retrieved, &first);
          g_assert_cmpstr (first, ==, expected_first);
          g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), text, size);
          g_clear_pointer (&first, g_free);
          g_clear_pointer (&body, g_bytes_unref);

          g_assert_nonnull (header_end);
          body = unstuff_response (topped, &first);
          g_assert_cmpstr (first, ==, "+OK top of message follows");
          g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                           text, header_end + 4 - text);
        }

      bye = say_full (server, C_QUIT, trickle);
      g_assert_cmpstr (bye, ==, BYE_LEFT ("8 messages"));
      g_assert_finalize_object (g_steal_pointer (&server));
    }

  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- Maildir ---- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_assert_no_errno (g_unlink (child));
        }
    }

  g_assert_no_errno (g_rmdir (path));
}

/* RFC 1939 §7: unique-ids persist across sessions, and a restart is just
 * a longer pause between two of them.  The deletion is on disk. */
static void
test_maildir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("mailscope-pop3-XXXXXX", &error);
  g_autoptr(MscMailStore) store = NULL;
  g_autoptr(MscMailbox) inbox = NULL;
  g_autoptr(MscPop3Server) server = NULL;
  g_autofree char *expected = NULL;
  guint32 uid_validity;

  g_assert_no_error (error);
  store = msc_mail_store_new_for_maildir (root, &error);
  g_assert_no_error (error);
  populate_store (store, TRUE);
  inbox = msc_mail_store_get_mailbox (store, ALICE, "INBOX", &error);
  g_assert_no_error (error);
  uid_validity = msc_mailbox_get_uid_validity (inbox);
  g_clear_object (&inbox);

  server = start_server (store, APOP);
  expected = g_strdup_printf (GREET_APOP LOGGED_IN
                              "+OK unique-id listing follows\r\n1 %u.1\r\n2 %u.2\r\n3 %u.3\r\n.\r\n"
                              "+OK message 2 deleted\r\n" BYE_LEFT ("2 messages"),
                              uid_validity, uid_validity, uid_validity);
  ASSERT_SAYS (server, C_LOGIN "UIDL\r\nDELE 2\r\n" C_QUIT, expected);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));

  /* After a restart: the same unique-ids, message 2 gone for good, and
   * the APOP secret forgotten (it is never written to disk). */
  store = msc_mail_store_new_for_maildir (root, &error);
  g_assert_no_error (error);
  g_assert_false (msc_mail_store_has_apop_secret (store, ALICE));
  g_assert_true (msc_mail_store_has_apop_secret (store, ALICE) == msc_mail_store_has_apop_accounts (store));

  server = start_server (store, TLS);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf (GREET SEND_PASS "+OK maildrop has 2 messages (79 octets)\r\n"
                              "+OK unique-id listing follows\r\n1 %u.1\r\n2 %u.3\r\n.\r\n"
                              "+OK 55 octets\r\n" M3 ".\r\n",
                              uid_validity, uid_validity);
  ASSERT_SAYS (server, C_LOGIN "UIDL\r\nRETR 2\r\n", expected);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));

  remove_tree (root);
}

/* ---- Limits ---- */

static void
run_limit_case (Variant     variant,
                GByteArray *input,
                const char *expected)
{
  g_autofree char *first_log = NULL;

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscMailStore) store = make_store (FALSE);
      g_autoptr(MscPop3Server) server = start_server (store, variant);
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GString) log = g_string_new (NULL);

      drain (server, output, log, NULL);
      feed (server, input->data, input->len, trickle);
      drain (server, output, log, NULL);
      g_assert_cmpstr (output->str, ==, expected);
      if (first_log == NULL)
        first_log = g_strdup (log->str);
      else
        g_assert_cmpstr (log->str, ==, first_log);

      g_assert_finalize_object (g_steal_pointer (&server));
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

/* A megabyte on one command line: one -ERR, and the session goes on. */
static void
test_long_command_line (void)
{
  g_autoptr(GByteArray) input = build_input ("USER ", 'a', 1024 * 1024, "\r\nCAPA\r\n");

  run_limit_case (TLS, input, GREET "-ERR line too long\r\n" CAPA_TLS);
}

/* 512 octets with the CRLF is the default limit. */
static void
test_line_limit (void)
{
  g_autoptr(GByteArray) fits = build_input ("USER ", 'a', 512 - 7, "\r\n");
  g_autoptr(GByteArray) too_long = build_input ("USER ", 'a', 512 - 6, "\r\n");

  run_limit_case (TLS, fits, GREET SEND_PASS);
  run_limit_case (TLS, too_long, GREET "-ERR line too long\r\n");
}

/* SASL responses may be longer than commands (RFC 5034 §4), not endless. */
static void
test_long_sasl_line (void)
{
  g_autoptr(GByteArray) longer = build_input ("AUTH PLAIN\r\n", 'A', 1500, "\r\nCAPA\r\n");
  g_autoptr(GByteArray) too_long = build_input ("AUTH PLAIN\r\n", 'A', 100000, "\r\nCAPA\r\n");

  run_limit_case (TLS, longer, GREET CONTINUE SASL_BAD CAPA_TLS);
  run_limit_case (TLS, too_long, GREET CONTINUE "-ERR SASL response too long\r\n" CAPA_TLS);
}

static void
test_want_read_and_deadline (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  MscPop3ServerConfig config;
  g_autoptr(MscPop3Server) server = NULL;
  static const char stls[] = "STLS\r\nCAPA\r\n";

  config_for_variant (PLAIN, &config);
  server = msc_pop3_server_new (&config, store);
  g_assert_false (msc_pop3_server_want_read (server));
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, -1);

  msc_pop3_server_set_now (server, T0);
  msc_pop3_server_start (server);
  g_assert_true (msc_pop3_server_want_read (server));
  /* RFC 1939 §3: at least ten minutes */
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, T0 + 600 * G_USEC_PER_SEC);

  msc_pop3_server_set_now (server, T0 + 5 * G_USEC_PER_SEC);
  g_assert_true (msc_pop3_server_feed (server, (const guint8 *) stls, sizeof stls - 1, NULL));
  g_assert_false (msc_pop3_server_want_read (server));
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, -1);
  g_assert_false (msc_pop3_server_check_timeout (server));

  msc_pop3_server_tls_started (server);
  g_assert_true (msc_pop3_server_want_read (server));
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, T0 + 605 * G_USEC_PER_SEC);

  g_assert_true (msc_pop3_server_feed (server, (const guint8 *) C_QUIT, strlen (C_QUIT), NULL));
  g_assert_false (msc_pop3_server_want_read (server));
  g_assert_true (msc_pop3_server_is_closed (server));
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, -1);
  g_assert_finalize_object (g_steal_pointer (&server));

  /* A shorter timer is raised to the minimum; a longer one is kept. */
  config.autologout_usec = 60 * G_USEC_PER_SEC;
  server = start_server (store, TLS);
  g_assert_finalize_object (g_steal_pointer (&server));
  server = msc_pop3_server_new (&config, store);
  msc_pop3_server_set_now (server, T0);
  msc_pop3_server_start (server);
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, T0 + 600 * G_USEC_PER_SEC);
  g_assert_finalize_object (g_steal_pointer (&server));

  config.autologout_usec = 1200 * G_USEC_PER_SEC;
  server = msc_pop3_server_new (&config, store);
  msc_pop3_server_set_now (server, T0);
  msc_pop3_server_start (server);
  g_assert_cmpint (msc_pop3_server_get_deadline (server), ==, T0 + 1200 * G_USEC_PER_SEC);
  g_assert_finalize_object (g_steal_pointer (&server));

  g_assert_finalize_object (g_steal_pointer (&store));
}

/* RFC 2449 §4: a first line stays within 512 octets, even with the
 * longest host name DNS allows and an APOP timestamp. */
static void
test_long_hostname (void)
{
  g_autoptr(MscMailStore) store = make_store (TRUE);
  g_autoptr(GString) hostname = g_string_new (NULL);
  g_autoptr(MscPop3Server) server = NULL;
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  MscPop3ServerConfig config;

  for (guint i = 0; i < 4; i++)
    g_string_append_printf (hostname, "%s%.*s", i > 0 ? "." : "", i < 3 ? 63 : 61,
                            "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh");
  g_assert_cmpuint (hostname->len, ==, 253);

  config_for_variant (APOP, &config);
  config.hostname = hostname->str;
  config.apop_pid = G_MAXUINT;
  config.apop_clock = G_MAXUINT64;
  server = msc_pop3_server_new (&config, store);
  msc_pop3_server_start (server);
  feed (server, (const guint8 *) C_LOGIN "DELE 1\r\n" C_QUIT, strlen (C_LOGIN "DELE 1\r\n" C_QUIT), FALSE);
  drain (server, output, log, NULL);

  g_assert_true (msc_pop3_server_is_closed (server));
  for (const char *line = output->str; *line != '\0'; line = strstr (line, "\r\n") + 2)
    g_assert_cmpint (strstr (line, "\r\n") + 2 - line, <=, 512);

  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- The store's POP3 support ---- */

static void
test_store_apop (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;

  /* RFC 1939 §7's own example */
  digest = msc_mail_store_compute_apop_digest ("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf");
  g_assert_cmpstr (digest, ==, "c4c9334bac560ecc979e58001b3e22fb");

  g_assert_false (msc_mail_store_has_apop_accounts (store));
  g_assert_false (msc_mail_store_check_apop (store, ALICE, "<1896.697170952@dbc.mtview.ca.us>", digest));

  g_assert_true (msc_mail_store_set_apop_secret (store, ALICE, "tanstaaf", &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_has_apop_accounts (store));
  g_assert_true (msc_mail_store_has_apop_secret (store, "Alice@Example.COM"));
  g_assert_false (msc_mail_store_has_apop_secret (store, "bob@example.com"));
  g_assert_true (msc_mail_store_check_apop (store, ALICE, "<1896.697170952@dbc.mtview.ca.us>", digest));
  g_assert_true (msc_mail_store_check_apop (store, ALICE, "<1896.697170952@dbc.mtview.ca.us>",
                                            "C4C9334BAC560ECC979E58001B3E22FB"));
  g_assert_false (msc_mail_store_check_apop (store, ALICE, "<1896.697170953@dbc.mtview.ca.us>", digest));
  g_assert_false (msc_mail_store_check_apop (store, ALICE, "<1896.697170952@dbc.mtview.ca.us>", "c4c9"));
  g_assert_false (msc_mail_store_check_apop (store, "bob@example.com", "<1896.697170952@dbc.mtview.ca.us>", digest));
  g_assert_false (msc_mail_store_check_apop (store, "nobody", "<1896.697170952@dbc.mtview.ca.us>", digest));

  g_assert_false (msc_mail_store_set_apop_secret (store, ALICE, "", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_PASSWORD);
  g_clear_error (&error);
  g_assert_false (msc_mail_store_set_apop_secret (store, "nobody@example.com", "x", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);
  g_clear_error (&error);

  /* Opting out */
  g_assert_true (msc_mail_store_set_apop_secret (store, ALICE, NULL, &error));
  g_assert_false (msc_mail_store_has_apop_accounts (store));
  g_assert_false (msc_mail_store_check_apop (store, ALICE, "<1896.697170952@dbc.mtview.ca.us>", digest));

  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_store_lock (void)
{
  g_autoptr(MscMailStore) store = make_store (FALSE);

  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  g_assert_true (msc_mail_store_try_lock_maildrop (store, ALICE));
  g_assert_false (msc_mail_store_try_lock_maildrop (store, "ALICE@example.com"));
  g_assert_true (msc_mail_store_is_maildrop_locked (store, ALICE));
  g_assert_false (msc_mail_store_is_maildrop_locked (store, "bob@example.com"));
  g_assert_true (msc_mail_store_try_lock_maildrop (store, "bob@example.com"));
  g_assert_false (msc_mail_store_try_lock_maildrop (store, "nobody@example.com"));
  g_assert_false (msc_mail_store_try_lock_maildrop (store, "not an address"));

  msc_mail_store_unlock_maildrop (store, "Alice@Example.com");
  g_assert_false (msc_mail_store_is_maildrop_locked (store, ALICE));
  g_assert_true (msc_mail_store_try_lock_maildrop (store, ALICE));
  msc_mail_store_unlock_maildrop (store, ALICE);
  msc_mail_store_unlock_maildrop (store, "bob@example.com");

  g_assert_finalize_object (g_steal_pointer (&store));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/pop3-server/conversation/%s", conversations[i].name);

      g_test_add_data_func (path, &conversations[i], test_conversation);
    }

  g_test_add_func ("/msc/pop3-server/event/command", test_command_events);
  g_test_add_func ("/msc/pop3-server/event/refused-secret", test_refused_secret_events);
  g_test_add_func ("/msc/pop3-server/event/reply", test_reply_events);
  g_test_add_func ("/msc/pop3-server/event/reply-codes", test_reply_codes);
  g_test_add_func ("/msc/pop3-server/event/authenticated", test_authenticated_events);
  g_test_add_func ("/msc/pop3-server/event/state", test_state_events);
  g_test_add_func ("/msc/pop3-server/event/update-nothing", test_update_nothing);
  g_test_add_func ("/msc/pop3-server/event/closed", test_closed_events);
  g_test_add_func ("/msc/pop3-server/session/in-use", test_in_use);
  g_test_add_func ("/msc/pop3-server/session/dropped-connection", test_dropped_connection);
  g_test_add_func ("/msc/pop3-server/session/expunge-is-shared", test_expunge_is_shared);
  g_test_add_func ("/msc/pop3-server/session/concurrent-expunge", test_concurrent_expunge);
  g_test_add_func ("/msc/pop3-server/session/uidl-across-sessions", test_uidl_across_sessions);
  g_test_add_func ("/msc/pop3-server/session/maildir", test_maildir);
  g_test_add_func ("/msc/pop3-server/session/update-failed", test_update_failed);
  g_test_add_func ("/msc/pop3-server/message/testdata", test_testdata);
  g_test_add_func ("/msc/pop3-server/message/bare-lf", test_bare_lf_message);
  g_test_add_func ("/msc/pop3-server/limit/long-command-line", test_long_command_line);
  g_test_add_func ("/msc/pop3-server/limit/line-limit", test_line_limit);
  g_test_add_func ("/msc/pop3-server/limit/long-sasl-line", test_long_sasl_line);
  g_test_add_func ("/msc/pop3-server/limit/long-hostname", test_long_hostname);
  g_test_add_func ("/msc/pop3-server/want-read-and-deadline", test_want_read_and_deadline);
  g_test_add_func ("/msc/pop3-server/store/apop", test_store_apop);
  g_test_add_func ("/msc/pop3-server/store/lock", test_store_lock);
  g_test_add_func ("/msc/pop3-server/names", test_names);

  return g_test_run ();
}
