/* test-imap-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-imap-server"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "msc-imap-message.h"
#include "msc-imap-server.h"
#include "msc-mail-store.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

/* Alice's INBOX: UIDs 1, 2, 3 in a memory store, UIDVALIDITY 1; Sent,
 * Drafts, Trash and Junk have UIDVALIDITY 2 to 5.  The internal dates are
 * 1, 2 and 3 January 2026, 09:30 +0800. */
#define M1 "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: one\r\n" \
           "Date: Thu, 01 Jan 2026 09:00:00 +0800\r\n\r\nHello.\r\n"
#define M2 "From: Carol <carol@example.com>\r\nSubject: two\r\n" \
           "Date: Fri, 02 Jan 2026 23:30:00 -0500\r\n\r\nSecond\r\nmessage\r\n"
#define M3 "Subject: three\r\n\r\nline 1\r\n"
/* Delivered during a session */
#define M4 "Subject: new\r\n\r\nnew mail\r\n"

#define ALICE "alice@example.com"

/* ---- The store ---- */

static void
append_message (MscMailStore *store,
                const char   *address,
                const char   *mailbox_name,
                const char   *text,
                gsize         len,
                int           day)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MscMailbox) mailbox = msc_mail_store_get_mailbox (store, address, mailbox_name, &error);
  g_autoptr(GBytes) bytes = g_bytes_new (text, len);
  g_autoptr(GTimeZone) zone = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) date = g_date_time_new (zone, 2026, 1, day, 9, 30, 0);

  g_assert_no_error (error);
  g_assert_cmpuint (msc_mail_store_append (store, mailbox, bytes, MSC_MESSAGE_FLAG_NONE, NULL, date, &error),
                    >, 0);
  g_assert_no_error (error);
}

static void
deliver (MscMailStore *store,
         const char   *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  g_assert_cmpuint (msc_mail_store_deliver (store, ALICE, bytes, &error), >, 0);
  g_assert_no_error (error);
}

static MscMailStore *
make_store (void)
{
  g_autoptr(GError) error = NULL;
  MscMailStore *store = msc_mail_store_new ();

  msc_mail_store_set_password_iterations (store, 1000);

  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, ALICE, "Alice", "secret", &error));
  g_assert_true (msc_mail_store_add_account (store, "bob@example.com", "Bob", "correct horse", &error));
  g_assert_no_error (error);

  append_message (store, ALICE, "INBOX", M1, strlen (M1), 1);
  append_message (store, ALICE, "INBOX", M2, strlen (M2), 2);
  append_message (store, ALICE, "INBOX", M3, strlen (M3), 3);

  return store;
}

/* The UIDs in a mailbox, "1 2 3". */
static char *
mailbox_uids (MscMailStore *store,
              const char   *name)
{
  g_autoptr(MscMailbox) mailbox = msc_mail_store_get_mailbox (store, ALICE, name, NULL);
  g_autoptr(GString) uids = g_string_new (NULL);

  if (mailbox == NULL)
    return g_strdup ("-");

  for (guint i = 0; i < msc_mailbox_get_n_messages (mailbox); i++)
    g_string_append_printf (uids, "%s%u", i > 0 ? " " : "",
                            msc_message_get_uid (msc_mailbox_get_message (mailbox, i)));

  return g_string_free (g_steal_pointer (&uids), FALSE);
}

/* ---- Servers ---- */

typedef enum
{
  TLS,       /* port 993, or after STARTTLS */
  PLAIN,     /* port 143: STARTTLS offered, no password in the clear */
  NO_TLS,    /* port 143 without a certificate */
  INSECURE,  /* port 143, "insecure teaching server" */
  STRICT,    /* TLS, three errors and out */
  SHORT,     /* TLS, 200-octet lines, depth 8, 1000-octet literals */
} Variant;

static void
config_for_variant (Variant              variant,
                    MscImapServerConfig *config)
{
  memset (config, 0, sizeof *config);

  config->hostname = "imap.example.com";
  config->tls_available = variant == PLAIN || variant == INSECURE;
  config->tls_active = variant == TLS || variant == STRICT || variant == SHORT;
  config->allow_insecure_auth = variant == INSECURE;
  config->max_errors = variant == STRICT ? 3 : 0;
  if (variant == SHORT)
    {
      config->limits.max_line_length = 200;
      config->limits.max_depth = 8;
      config->limits.max_literal_size = 1000;
    }
}

static MscImapServer *
start_server (MscMailStore *store,
              Variant       variant)
{
  MscImapServerConfig config;
  MscImapServer *server;

  config_for_variant (variant, &config);
  server = msc_imap_server_new (&config, store);
  msc_imap_server_set_now (server, T0);
  msc_imap_server_start (server);

  return server;
}

static void
log_event (GString                  *log,
           const MscImapServerEvent *event)
{
  switch (event->kind)
    {
    case MSC_IMAP_SERVER_EVENT_COMMAND:
      g_string_append_printf (log, "C %s %s%s%s%s%s %s\n", event->tag ? event->tag : "-",
                              event->name ? event->name : "-",
                              event->subcommand ? " " : "", event->subcommand ? event->subcommand : "",
                              event->secret ? " secret" : "", event->incomplete ? " incomplete" : "",
                              event->secret ? "" : event->line);
      break;
    case MSC_IMAP_SERVER_EVENT_RESPONSE:
      g_string_append_printf (log, "S %s %s %s", msc_imap_server_response_kind_get_name (event->response),
                              event->tag ? event->tag : "-", event->name ? event->name : "-");
      if (event->has_number)
        g_string_append_printf (log, " #%u", event->number);
      if (event->code != NULL)
        g_string_append_printf (log, " [%s|%s]", event->code, event->code_data ? event->code_data : "");
      g_string_append_printf (log, " %s\n", event->text);
      break;
    case MSC_IMAP_SERVER_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;
    case MSC_IMAP_SERVER_EVENT_STATE_CHANGED:
      g_string_append_printf (log, "STATE %s>%s\n",
                              msc_imap_server_state_get_name (event->old_state),
                              msc_imap_server_state_get_name (event->new_state));
      break;
    case MSC_IMAP_SERVER_EVENT_AUTHENTICATED:
      g_string_append_printf (log, "AUTH %s %s\n", event->user, event->mechanism);
      break;
    case MSC_IMAP_SERVER_EVENT_IDLE_STARTED:
      g_string_append_printf (log, "IDLE+ %s\n", event->tag);
      break;
    case MSC_IMAP_SERVER_EVENT_IDLE_ENDED:
      g_string_append_printf (log, "IDLE- %s\n", event->tag);
      break;
    case MSC_IMAP_SERVER_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %s\n", event->error ? event->error->message : "-");
      break;
    case MSC_IMAP_SERVER_N_EVENT_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Moves the output and the events out of the server, checking that the
 * RESPONSE events carry exactly the bytes that went out, and that
 * has_output() told the truth. */
static void
drain (MscImapServer *server,
       GString       *output,
       GString       *log,
       GPtrArray     *events)
{
  gboolean has_output = msc_imap_server_has_output (server);
  g_autoptr(GBytes) bytes = msc_imap_server_take_output (server);
  g_autoptr(GString) responses = g_string_new (NULL);
  MscImapServerEvent *event;

  g_assert_cmpint (has_output, ==, bytes != NULL);
  g_assert_false (msc_imap_server_has_output (server));

  while ((event = msc_imap_server_next_event (server)) != NULL)
    {
      if (event->kind == MSC_IMAP_SERVER_EVENT_RESPONSE)
        g_string_append_len (responses, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      if (log != NULL)
        log_event (log, event);
      if (events != NULL)
        g_ptr_array_add (events, event);
      else
        msc_imap_server_event_free (event);
    }

  if (bytes != NULL)
    {
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                       responses->str, responses->len);
      g_string_append_len (output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else
    {
      g_assert_cmpuint (responses->len, ==, 0);
    }
}

static void
feed (MscImapServer *server,
      const guint8  *data,
      gsize          len,
      gboolean       trickle)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_imap_server_is_closed (server); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_imap_server_feed (server, data + i, MIN (step, len - i), &error))
        {
          /* Only an abnormal end fails a feed. */
          g_assert_true (msc_imap_server_is_closed (server));
          g_assert_true (g_error_matches (error, MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_TOO_MANY_ERRORS)
                         || g_error_matches (error, MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_PROTOCOL));
        }
      else
        {
          g_assert_no_error (error);
        }
    }
}

static void
feed_string (MscImapServer *server,
             const char    *text)
{
  feed (server, (const guint8 *) text, strlen (text), FALSE);
}

/* ---- Conversations ---- */

typedef enum
{
  STEP_END,
  STEP_SEND,
  STEP_OTHER,          /* to a second session: Alice, INBOX selected */
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
  MscImapServerState  final_state;
  const char         *remaining;       /* Alice's INBOX afterwards */
  const char         *other_expected;  /* the second session's output, if any */
} Conversation;

#define SEND(s)           { STEP_SEND, s, sizeof (s) - 1, 0 }
#define OTHER(s)          { STEP_OTHER, s, sizeof (s) - 1, 0 }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0 }
#define NOW(s)            { STEP_NOW, NULL, 0, s }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b }
#define DELIVER           { STEP_DELIVER, NULL, 0, 0 }
#define ABORT             { STEP_ABORT, NULL, 0, 0 }
#define END               { STEP_END, NULL, 0, 0 }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }

/* What the client says */
#define C_LOGIN       "a LOGIN alice@example.com secret\r\n"
#define C_SELECT      "s SELECT INBOX\r\n"
#define C_EXAMINE     "e EXAMINE INBOX\r\n"
#define PLAIN_ALICE   "AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA=="
#define PLAIN_WRONG   "AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n"
#define PLAIN_AUTHZID "YWxpY2VAZXhhbXBsZS5jb20AYWxpY2VAZXhhbXBsZS5jb20Ac2VjcmV0"

/* What the server says */
#define CAPS_TAIL     "LITERAL+ ENABLE IDLE NAMESPACE ID UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE"
#define CAPS_TLS      "IMAP4rev1 AUTH=PLAIN SASL-IR " CAPS_TAIL
#define CAPS_PLAIN    "IMAP4rev1 STARTTLS LOGINDISABLED " CAPS_TAIL
#define CAPS_NO_TLS   "IMAP4rev1 LOGINDISABLED " CAPS_TAIL
#define CAPS_INSECURE "IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR " CAPS_TAIL
#define CAPS_AUTH     "IMAP4rev1 " CAPS_TAIL
#define GREET_WITH(c) "* OK [CAPABILITY " c "] imap.example.com IMAP4rev1 server ready\r\n"
#define GREET         GREET_WITH (CAPS_TLS)
#define LOGGED_IN     "a OK [CAPABILITY " CAPS_AUTH "] LOGIN completed\r\n"
#define AUTHENTICATED(tag) tag " OK [CAPABILITY " CAPS_AUTH "] AUTHENTICATE completed\r\n"
#define SYSTEM_FLAGS  "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
#define FLAGS_RW      "* FLAGS (" SYSTEM_FLAGS ")\r\n" \
                      "* OK [PERMANENTFLAGS (" SYSTEM_FLAGS " \\*)] Flags permitted\r\n"
#define FLAGS_RO      "* FLAGS (" SYSTEM_FLAGS ")\r\n" \
                      "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
#define MAILBOX_TAIL(unseen, validity, next) \
                      "* OK [UNSEEN " unseen "] Message " unseen " is first unseen\r\n" \
                      "* OK [UIDVALIDITY " validity "] UIDs valid\r\n" \
                      "* OK [UIDNEXT " next "] Predicted next UID\r\n"
#define SELECTED      FLAGS_RW "* 3 EXISTS\r\n* 3 RECENT\r\n" MAILBOX_TAIL ("1", "1", "4") \
                      "s OK [READ-WRITE] SELECT completed\r\n"
#define EXAMINED(recent) FLAGS_RO "* 3 EXISTS\r\n* " recent " RECENT\r\n" MAILBOX_TAIL ("1", "1", "4") \
                      "e OK [READ-ONLY] EXAMINE completed\r\n"
#define SESSION       GREET LOGGED_IN SELECTED
#define CONTINUE      "+ Ready for literal data\r\n"
#define AUTH_FAILED(tag) tag " NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
#define NEED_TLS(tag) tag " NO [PRIVACYREQUIRED] Use STARTTLS first: no password without encryption\r\n"
#define LOG_IN_FIRST(tag) tag " BAD Log in first\r\n"
#define NO_MAILBOX(tag) tag " BAD No mailbox selected\r\n"
#define OK(tag, name) tag " OK " name " completed\r\n"
#define BYE_LOGOUT(tag) "* BYE Logging out\r\n" tag " OK LOGOUT completed\r\n"
#define BYE_AUTOLOGOUT "* BYE Autologout; idle for too long\r\n"
#define LIST_DEFAULT  "* LIST (\\HasNoChildren) \"/\" INBOX\r\n" \
                      "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n" \
                      "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n" \
                      "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n" \
                      "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
#define TOO_MANY      "* BYE Too many errors, closing connection\r\n"
#define TOOBIG        "[TOOBIG] Literal of 2147483648 octets is larger than the 67108864 octets allowed"

/* "已发送" (Sent, in Chinese) and "项目/归档" (Project/Archive) */
#define SENT_ZH       "&XfJT0ZAB-"
#define PROJECT       "&mHl27g-"
#define ARCHIVE       "&X1JoYw-"

static const Conversation conversations[] = {
  /* Any state (RFC 3501 §6.1) and the greeting's capabilities (§7.2.1) */
  { "capability-tls", TLS, STEPS (SEND ("c CAPABILITY\r\n")),
    GREET "* CAPABILITY " CAPS_TLS "\r\n" OK ("c", "CAPABILITY"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "capability-plain", PLAIN, STEPS (SEND ("c CAPABILITY\r\n")),
    GREET_WITH (CAPS_PLAIN) "* CAPABILITY " CAPS_PLAIN "\r\n" OK ("c", "CAPABILITY"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "capability-no-tls", NO_TLS, STEPS (SEND ("c CAPABILITY\r\n")),
    GREET_WITH (CAPS_NO_TLS) "* CAPABILITY " CAPS_NO_TLS "\r\n" OK ("c", "CAPABILITY"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "capability-insecure", INSECURE, STEPS (SEND ("c CAPABILITY\r\n")),
    GREET_WITH (CAPS_INSECURE) "* CAPABILITY " CAPS_INSECURE "\r\n" OK ("c", "CAPABILITY"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "capability-after-login", TLS, STEPS (SEND (C_LOGIN "c CAPABILITY\r\n")),
    GREET LOGGED_IN "* CAPABILITY " CAPS_AUTH "\r\n" OK ("c", "CAPABILITY"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "capability-syntax", TLS, STEPS (SEND ("c CAPABILITY now\r\n")),
    GREET "c BAD CAPABILITY takes no arguments\r\n", MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "noop-logout", TLS, STEPS (SEND ("n NOOP\r\nl LOGOUT\r\n")),
    GREET OK ("n", "NOOP") BYE_LOGOUT ("l"), MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "logout-then-nothing", TLS, STEPS (SEND ("l LOGOUT\r\nn NOOP\r\n")),
    GREET BYE_LOGOUT ("l"), MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "lower-case", TLS, STEPS (SEND ("a login alice@example.com secret\r\ns select inbox\r\nl logout\r\n")),
    SESSION BYE_LOGOUT ("l"), MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "unknown", TLS, STEPS (SEND ("x FOO\r\ny XYZZY 1 (2)\r\nz UID FOO 1\r\n")),
    GREET "x BAD Unknown command\r\ny BAD Unknown command\r\nz BAD Log in first\r\n",
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },

  /* LOGIN (§6.2.3) */
  { "login", TLS, STEPS (SEND (C_LOGIN)), GREET LOGGED_IN, MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "login-any-case", TLS, STEPS (SEND ("a LOGIN ALICE@Example.COM secret\r\n")),
    GREET LOGGED_IN, MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "login-wrong", TLS,
    STEPS (SEND ("a LOGIN alice@example.com wrong\r\nb LOGIN nobody@example.com secret\r\n"
                 "c LOGIN \"\" \"\"\r\n")),
    GREET AUTH_FAILED ("a") AUTH_FAILED ("b") AUTH_FAILED ("c"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "login-strings", TLS, STEPS (SEND ("b LOGIN \"bob@example.com\" {13}\r\ncorrect horse\r\n")),
    GREET CONTINUE "b OK [CAPABILITY " CAPS_AUTH "] LOGIN completed\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "login-literal-plus", TLS, STEPS (SEND ("a LOGIN {17+}\r\nalice@example.com {6+}\r\nsecret\r\n")),
    GREET LOGGED_IN, MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "login-syntax", TLS, STEPS (SEND ("a LOGIN alice@example.com\r\nb LOGIN\r\nc LOGIN a b c\r\n")),
    GREET "a BAD Syntax: LOGIN user password\r\nb BAD Syntax: LOGIN user password\r\n"
    "c BAD Syntax: LOGIN user password\r\n", MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "login-twice", TLS, STEPS (SEND (C_LOGIN "b LOGIN alice@example.com secret\r\n")),
    GREET LOGGED_IN "b BAD Already logged in\r\n", MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* No password without TLS (§6.2.3, §11.2; RFC 5530 PRIVACYREQUIRED) */
  { "login-disabled", PLAIN, STEPS (SEND (C_LOGIN)),
    GREET_WITH (CAPS_PLAIN) NEED_TLS ("a"), MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  /* Refused before the password is on the wire */
  { "login-disabled-literal", PLAIN, STEPS (SEND ("a LOGIN alice@example.com {6}\r\n"), SEND ("b NOOP\r\n")),
    GREET_WITH (CAPS_PLAIN) NEED_TLS ("a") OK ("b", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "login-no-tls", NO_TLS, STEPS (SEND (C_LOGIN "b AUTHENTICATE PLAIN\r\n")),
    GREET_WITH (CAPS_NO_TLS) "a NO [PRIVACYREQUIRED] No password is accepted without encryption\r\n"
    "b NO [PRIVACYREQUIRED] No password is accepted without encryption\r\n",
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  /* A teaching server says when a password went in the clear (§7.1 ALERT) */
  { "login-insecure", INSECURE, STEPS (SEND (C_LOGIN)),
    GREET_WITH (CAPS_INSECURE) "* OK [ALERT] Your password was sent without encryption\r\n" LOGGED_IN,
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* AUTHENTICATE PLAIN (§6.2.2, RFC 4616), with SASL-IR (RFC 4959) */
  { "authenticate-initial-response", TLS, STEPS (SEND ("p AUTHENTICATE PLAIN " PLAIN_ALICE "\r\n")),
    GREET AUTHENTICATED ("p"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "authenticate-continuation", TLS, STEPS (SEND ("p authenticate plain\r\n" PLAIN_ALICE "\r\n")),
    GREET "+ \r\n" AUTHENTICATED ("p"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "authenticate-authzid", TLS, STEPS (SEND ("p AUTHENTICATE PLAIN " PLAIN_AUTHZID "\r\n")),
    GREET AUTHENTICATED ("p"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "authenticate-cancel", TLS, STEPS (SEND ("p AUTHENTICATE PLAIN\r\n*\r\nn NOOP\r\n")),
    GREET "+ \r\np BAD AUTHENTICATE cancelled\r\n" OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "authenticate-wrong", TLS,
    STEPS (SEND ("p AUTHENTICATE PLAIN " PLAIN_WRONG "\r\nq AUTHENTICATE PLAIN\r\n" PLAIN_WRONG "\r\n"
                 "r AUTHENTICATE PLAIN =\r\ns AUTHENTICATE PLAIN\r\n\r\n")),
    GREET AUTH_FAILED ("p") "+ \r\n" AUTH_FAILED ("q") AUTH_FAILED ("r") "+ \r\n" AUTH_FAILED ("s"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "authenticate-bad-base64", TLS, STEPS (SEND ("p AUTHENTICATE PLAIN !!!!\r\nq AUTHENTICATE PLAIN\r\nnot base64\r\n")),
    GREET "p BAD Invalid base64 in the SASL response\r\n+ \r\nq BAD Invalid base64 in the SASL response\r\n",
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "authenticate-unsupported", TLS, STEPS (SEND ("p AUTHENTICATE CRAM-MD5\r\nq AUTHENTICATE\r\n")),
    GREET "p NO [CANNOT] Unsupported authentication mechanism\r\n"
    "q BAD Syntax: AUTHENTICATE mechanism [initial-response]\r\n",
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "authenticate-disabled", PLAIN, STEPS (SEND ("p AUTHENTICATE PLAIN\r\n")),
    GREET_WITH (CAPS_PLAIN) NEED_TLS ("p"), MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },

  /* STARTTLS (§6.2.1) */
  { "starttls", PLAIN, STEPS (SEND ("t STARTTLS\r\n"), TLS_STARTED, SEND ("c CAPABILITY\r\n" C_LOGIN)),
    GREET_WITH (CAPS_PLAIN) "t OK Begin TLS negotiation now\r\n* CAPABILITY " CAPS_TLS "\r\n"
    OK ("c", "CAPABILITY") LOGGED_IN, MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  /* Bytes behind STARTTLS in the clear are never read (CVE-2011-0411) */
  { "starttls-injection", PLAIN, STEPS (SEND ("t STARTTLS\r\n" C_LOGIN), TLS_STARTED, SEND ("n NOOP\r\n")),
    GREET_WITH (CAPS_PLAIN) "t OK Begin TLS negotiation now\r\n" OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "starttls-partial-injection", PLAIN, STEPS (SEND ("t STARTTLS\r\nx LOGIN al"), TLS_STARTED, SEND ("n NOOP\r\n")),
    GREET_WITH (CAPS_PLAIN) "t OK Begin TLS negotiation now\r\n" OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "starttls-active", TLS, STEPS (SEND ("t STARTTLS\r\n")),
    GREET "t BAD TLS is already active\r\n", MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "starttls-unavailable", NO_TLS, STEPS (SEND ("t STARTTLS\r\n")),
    GREET_WITH (CAPS_NO_TLS) "t BAD STARTTLS is not available\r\n",
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "starttls-after-login", INSECURE, STEPS (SEND (C_LOGIN "t STARTTLS\r\n")),
    GREET_WITH (CAPS_INSECURE) "* OK [ALERT] Your password was sent without encryption\r\n" LOGGED_IN
    "t BAD Already logged in\r\n", MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* Commands in the wrong state */
  { "wrong-state", TLS,
    STEPS (SEND ("s SELECT INBOX\r\nf FETCH 1 FLAGS\r\nl LIST \"\" *\r\ni IDLE\r\n" C_LOGIN
                 "f FETCH 1 FLAGS\r\nc CLOSE\r\nu UID FETCH 1 FLAGS\r\nx EXPUNGE\r\n")),
    GREET LOG_IN_FIRST ("s") LOG_IN_FIRST ("f") LOG_IN_FIRST ("l") LOG_IN_FIRST ("i") LOGGED_IN
    NO_MAILBOX ("f") NO_MAILBOX ("c") NO_MAILBOX ("u") NO_MAILBOX ("x"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* NAMESPACE (RFC 2342), ID (RFC 2971), ENABLE (RFC 5161) */
  { "namespace-id-enable", TLS,
    STEPS (SEND ("i ID (\"name\" \"test\" \"version\" NIL)\r\nj ID NIL\r\nk ID (\"name\")\r\n" C_LOGIN
                 "n NAMESPACE\r\ne ENABLE CONDSTORE UTF8=ACCEPT\r\nf ENABLE\r\n")),
    GREET "* ID (\"name\" \"Mailscope\" \"version\" \"" PACKAGE_VERSION "\")\r\n" OK ("i", "ID")
    "* ID (\"name\" \"Mailscope\" \"version\" \"" PACKAGE_VERSION "\")\r\n" OK ("j", "ID")
    "k BAD ID takes field and value pairs\r\n" LOGGED_IN
    "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n" OK ("n", "NAMESPACE")
    "* ENABLED\r\n" OK ("e", "ENABLE") "f BAD Syntax: ENABLE capability ...\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* SELECT and EXAMINE (§6.3.1, §6.3.2): \Recent goes to the first SELECT */
  { "select", TLS, STEPS (SEND (C_LOGIN C_SELECT)), SESSION, MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "examine-keeps-recent", TLS, STEPS (SEND (C_LOGIN C_EXAMINE C_EXAMINE C_SELECT C_SELECT)),
    GREET LOGGED_IN EXAMINED ("3") EXAMINED ("3") SELECTED
    FLAGS_RW "* 3 EXISTS\r\n* 0 RECENT\r\n" MAILBOX_TAIL ("1", "1", "4") "s OK [READ-WRITE] SELECT completed\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "select-missing-deselects", TLS, STEPS (SEND (C_LOGIN C_SELECT "t SELECT Nope\r\nf FETCH 1 FLAGS\r\n")),
    SESSION "t NO [NONEXISTENT] No such mailbox\r\n" NO_MAILBOX ("f"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "select-empty", TLS, STEPS (SEND (C_LOGIN "s SELECT Sent\r\nf FETCH 1:* FLAGS\r\ng UID FETCH 1:* FLAGS\r\n")),
    GREET LOGGED_IN FLAGS_RW "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 2] UIDs valid\r\n"
    "* OK [UIDNEXT 1] Predicted next UID\r\ns OK [READ-WRITE] SELECT completed\r\n"
    "f BAD Message number out of range\r\n" OK ("g", "UID FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "select-syntax", TLS, STEPS (SEND (C_LOGIN "s SELECT\r\nt SELECT a b\r\nu SELECT &Jjo\r\n")),
    GREET LOGGED_IN "s BAD Syntax: SELECT mailbox\r\nt BAD Syntax: SELECT mailbox\r\n"
    "u BAD Mailbox name is not valid modified UTF-7\r\n", MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* CREATE, DELETE, RENAME (§6.3.3–§6.3.5), names in modified UTF-7 */
  { "create-chinese", TLS,
    STEPS (SEND (C_LOGIN "c CREATE " SENT_ZH "\r\nd CREATE \"" PROJECT "/" ARCHIVE "\"\r\nl LIST \"\" *\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") OK ("d", "CREATE") LIST_DEFAULT
    "* LIST (\\HasNoChildren) \"/\" " SENT_ZH "\r\n"
    "* LIST (\\HasChildren) \"/\" " PROJECT "\r\n"
    "* LIST (\\HasNoChildren) \"/\" " PROJECT "/" ARCHIVE "\r\n" OK ("l", "LIST"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "create-errors", TLS,
    STEPS (SEND (C_LOGIN "c CREATE INBOX\r\nd CREATE Sent\r\ne CREATE \"a//b\"\r\nf CREATE &Jjo\r\n"
                 "g CREATE foo/\r\nh LIST \"\" foo*\r\ni CREATE\r\n")),
    GREET LOGGED_IN "c NO [ALREADYEXISTS] Mailbox already exists\r\n"
    "d NO [ALREADYEXISTS] Mailbox already exists\r\ne NO [CANNOT] Invalid mailbox name\r\n"
    "f BAD Mailbox name is not valid modified UTF-7\r\n" OK ("g", "CREATE")
    "* LIST (\\HasNoChildren) \"/\" foo\r\n" OK ("h", "LIST") "i BAD Syntax: CREATE mailbox\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "delete", TLS,
    STEPS (SEND (C_LOGIN "c CREATE x\r\nd DELETE x\r\ne DELETE x\r\nf DELETE INBOX\r\ng CREATE p/q\r\n"
                 "h DELETE p\r\ni DELETE p/q\r\nj DELETE p\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") OK ("d", "DELETE") "e NO [NONEXISTENT] No such mailbox\r\n"
    "f NO [CANNOT] INBOX cannot be deleted\r\n" OK ("g", "CREATE")
    "h NO [CANNOT] Mailbox has child mailboxes, delete them first\r\n" OK ("i", "DELETE") OK ("j", "DELETE"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  /* Deleting the mailbox this session has selected closes it, as Dovecot does */
  { "delete-selected", TLS, STEPS (SEND (C_LOGIN "c CREATE x\r\nt SELECT x\r\nd DELETE x\r\nn NOOP\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") FLAGS_RW "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 11] UIDs valid\r\n"
    "* OK [UIDNEXT 1] Predicted next UID\r\nt OK [READ-WRITE] SELECT completed\r\n" OK ("d", "DELETE")
    OK ("n", "NOOP"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "rename", TLS,
    STEPS (SEND (C_LOGIN "c CREATE a/b\r\nr RENAME a c\r\nl LIST \"\" c*\r\ns RENAME Nope x\r\n"
                 "t RENAME c Sent\r\nu RENAME c\r\nv STATUS c/b (UIDVALIDITY)\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") OK ("r", "RENAME")
    "* LIST (\\HasChildren) \"/\" c\r\n* LIST (\\HasNoChildren) \"/\" c/b\r\n" OK ("l", "LIST")
    "s NO [NONEXISTENT] No such mailbox\r\nt NO [ALREADYEXISTS] Mailbox already exists\r\n"
    "u BAD Syntax: RENAME mailbox new-name\r\n* STATUS c/b (UIDVALIDITY 12)\r\n" OK ("v", "STATUS"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  /* §6.3.5: renaming INBOX moves its messages and leaves it empty */
  { "rename-inbox", TLS,
    STEPS (SEND (C_LOGIN "r RENAME INBOX Old\r\nt STATUS INBOX (MESSAGES)\r\nu STATUS Old (MESSAGES UIDNEXT)\r\n")),
    GREET LOGGED_IN OK ("r", "RENAME") "* STATUS INBOX (MESSAGES 0)\r\n" OK ("t", "STATUS")
    "* STATUS Old (MESSAGES 3 UIDNEXT 4)\r\n" OK ("u", "STATUS"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "" },

  /* LIST (§6.3.8) with CHILDREN (RFC 3348) and SPECIAL-USE (RFC 6154) */
  { "list-patterns", TLS,
    STEPS (SEND (C_LOGIN "c CREATE p/q/r\r\nl LIST \"\" %\r\nm LIST \"\" S*\r\nn LIST \"\" inbox\r\n"
                 "o LIST \"\" \"\"\r\np LIST p/ %\r\nq LIST \"\" p/%\r\nr LIST \"\" *q*\r\ns LIST \"\" Nothing*\r\n"
                 "t LIST p/q \"\"\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") LIST_DEFAULT "* LIST (\\HasChildren) \"/\" p\r\n" OK ("l", "LIST")
    "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n" OK ("m", "LIST")
    "* LIST (\\HasNoChildren) \"/\" INBOX\r\n" OK ("n", "LIST")
    "* LIST (\\Noselect) \"/\" \"\"\r\n" OK ("o", "LIST")
    "* LIST (\\HasChildren) \"/\" p/q\r\n" OK ("p", "LIST")
    "* LIST (\\HasChildren) \"/\" p/q\r\n" OK ("q", "LIST")
    "* LIST (\\HasChildren) \"/\" p/q\r\n* LIST (\\HasNoChildren) \"/\" p/q/r\r\n" OK ("r", "LIST")
    OK ("s", "LIST") "* LIST (\\Noselect) \"/\" p/\r\n" OK ("t", "LIST"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "list-extended", TLS,
    STEPS (SEND (C_LOGIN "l LIST (SPECIAL-USE) \"\" *\r\nm LIST \"\" Sent RETURN (SPECIAL-USE SUBSCRIBED)\r\n"
                 "n LIST (FOO) \"\" *\r\no LIST \"\"\r\n")),
    GREET LOGGED_IN "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n"
    "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
    "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n" OK ("l", "LIST")
    "* LIST (\\HasNoChildren \\Sent \\Subscribed) \"/\" Sent\r\n" OK ("m", "LIST")
    "n BAD Unsupported LIST selection option\r\no BAD Syntax: LIST reference mailbox\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* SUBSCRIBE, UNSUBSCRIBE, LSUB (§6.3.6, §6.3.7, §6.3.9) */
  { "lsub", TLS,
    STEPS (SEND (C_LOGIN "l LSUB \"\" *\r\nc CREATE p/q\r\nd SUBSCRIBE p/q\r\ne SUBSCRIBE Gone\r\n"
                 "f UNSUBSCRIBE Junk\r\ng UNSUBSCRIBE Junk\r\nm LSUB \"\" %\r\nn LSUB \"\" p/*\r\n")),
    GREET LOGGED_IN "* LSUB () \"/\" INBOX\r\n* LSUB () \"/\" Drafts\r\n* LSUB () \"/\" Junk\r\n"
    "* LSUB () \"/\" Sent\r\n* LSUB () \"/\" Trash\r\n" OK ("l", "LSUB") OK ("c", "CREATE")
    OK ("d", "SUBSCRIBE") OK ("e", "SUBSCRIBE") OK ("f", "UNSUBSCRIBE") OK ("g", "UNSUBSCRIBE")
    "* LSUB () \"/\" INBOX\r\n* LSUB () \"/\" Drafts\r\n* LSUB (\\Noselect) \"/\" Gone\r\n"
    "* LSUB () \"/\" Sent\r\n* LSUB () \"/\" Trash\r\n* LSUB (\\Noselect) \"/\" p\r\n" OK ("m", "LSUB")
    "* LSUB () \"/\" p/q\r\n" OK ("n", "LSUB"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },

  /* STATUS (§6.3.10): it "MUST NOT cause messages to lose the \Recent flag" */
  { "status", TLS,
    STEPS (SEND (C_LOGIN "t STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n"
                 "u STATUS inbox (unseen)\r\nv STATUS Nope (MESSAGES)\r\nw STATUS INBOX (FOO)\r\n"
                 "x STATUS INBOX ()\r\n" C_SELECT "y STATUS INBOX (RECENT)\r\n")),
    GREET LOGGED_IN "* STATUS INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY 1 UNSEEN 3)\r\n"
    OK ("t", "STATUS") "* STATUS INBOX (UNSEEN 3)\r\n" OK ("u", "STATUS")
    "v NO [NONEXISTENT] No such mailbox\r\nw BAD Unknown STATUS item\r\nx BAD Syntax: STATUS mailbox (items)\r\n"
    SELECTED "* STATUS INBOX (RECENT 3)\r\n" OK ("y", "STATUS"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },

  /* APPEND (§6.3.11) with UIDPLUS's APPENDUID (RFC 4315) and LITERAL+ (RFC 7888) */
  { "append", TLS,
    STEPS (SEND (C_LOGIN "p APPEND Sent (\\Seen $Work) \"05-Jan-2026 10:00:00 +0100\" {14}\r\n"),
           SEND ("Subject: x\r\n\r\n\r\n"),
           SEND ("e EXAMINE Sent\r\nf FETCH 1 (FLAGS INTERNALDATE UID RFC822.SIZE BODY[])\r\n")),
    GREET LOGGED_IN CONTINUE "p OK [APPENDUID 2 1] APPEND completed\r\n"
    "* FLAGS (" SYSTEM_FLAGS " $Work)\r\n* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
    "* 1 EXISTS\r\n* 1 RECENT\r\n* OK [UIDVALIDITY 2] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\n"
    "e OK [READ-ONLY] EXAMINE completed\r\n"
    "* 1 FETCH (FLAGS (\\Seen $Work \\Recent) INTERNALDATE \"05-Jan-2026 10:00:00 +0100\" UID 1 "
    "RFC822.SIZE 14 BODY[] {14}\r\nSubject: x\r\n\r\n)\r\n" OK ("f", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "append-literal-plus", TLS,
    STEPS (SEND (C_LOGIN "p APPEND INBOX {8+}\r\nSubject:\r\nq APPEND INBOX () {0+}\r\n\r\n")),
    GREET LOGGED_IN "p OK [APPENDUID 1 4] APPEND completed\r\nq OK [APPENDUID 1 5] APPEND completed\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3 4 5" },
  /* Into the selected mailbox: EXISTS before the OK */
  { "append-selected", TLS, STEPS (SEND (C_LOGIN C_SELECT "p APPEND INBOX {8+}\r\nSubject:\r\n")),
    SESSION "* 4 EXISTS\r\n* 4 RECENT\r\np OK [APPENDUID 1 4] APPEND completed\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3 4" },
  /* [TRYCREATE] before the literal is sent when it can be */
  { "append-trycreate", TLS,
    STEPS (SEND (C_LOGIN "p APPEND Nope {5}\r\nq APPEND Nope {5+}\r\nhello\r\nr APPEND \"No\" (\\Seen) {5}\r\n")),
    GREET LOGGED_IN "p NO [TRYCREATE] No such mailbox\r\nq NO [TRYCREATE] No such mailbox\r\n"
    "r NO [TRYCREATE] No such mailbox\r\n", MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "append-syntax", TLS,
    STEPS (SEND (C_LOGIN "p APPEND INBOX\r\nq APPEND INBOX (\\Recent) {1+}\r\nx\r\n"
                 "r APPEND INBOX \"5-Jan-2026\" {1+}\r\nx\r\ns APPEND INBOX (\\Foo) {1+}\r\nx\r\n"
                 "t APPEND INBOX \"x\"\r\nu APPEND INBOX {1+}\r\nx {1+}\r\nx\r\n")),
    GREET LOGGED_IN "p BAD Syntax: APPEND mailbox [(flags)] [date-time] literal\r\n"
    "q BAD \\Recent cannot be set by a client\r\nr BAD Invalid date-time\r\ns BAD Unknown system flag\r\n"
    "t BAD Syntax: APPEND mailbox [(flags)] [date-time] literal\r\n"
    "u BAD Syntax: APPEND mailbox [(flags)] [date-time] literal\r\n",
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "append-literal-refused-command", TLS, STEPS (SEND ("x BLURDYBLOOP {102856}\r\ny NOOP\r\n")),
    GREET "x BAD Unknown command\r\n" OK ("y", "NOOP"), MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },

  /* FETCH (§6.4.5) */
  { "fetch", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "f FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)\r\n")),
    SESSION "* 1 FETCH (FLAGS (\\Recent) UID 1 RFC822.SIZE 115 INTERNALDATE \"01-Jan-2026 09:30:00 +0800\")\r\n"
    "* 2 FETCH (FLAGS (\\Recent) UID 2 RFC822.SIZE 105 INTERNALDATE \"02-Jan-2026 09:30:00 +0800\")\r\n"
    "* 3 FETCH (FLAGS (\\Recent) UID 3 RFC822.SIZE 26 INTERNALDATE \"03-Jan-2026 09:30:00 +0800\")\r\n"
    OK ("f", "FETCH"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "fetch-fast", TLS, STEPS (SEND (C_LOGIN C_SELECT "f FETCH 3 FAST\r\n")),
    SESSION "* 3 FETCH (FLAGS (\\Recent) INTERNALDATE \"03-Jan-2026 09:30:00 +0800\" RFC822.SIZE 26)\r\n"
    OK ("f", "FETCH"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  /* A body fetch sets \Seen and says so (§6.4.5) */
  { "fetch-sets-seen", TLS, STEPS (SEND (C_LOGIN C_SELECT "f FETCH 3 BODY[TEXT]\r\ng FETCH 3 (FLAGS BODY[])\r\n"
                                        "h FETCH 2 (FLAGS RFC822.TEXT)\r\n")),
    SESSION "* 3 FETCH (BODY[TEXT] {8}\r\nline 1\r\n FLAGS (\\Seen \\Recent))\r\n" OK ("f", "FETCH")
    "* 3 FETCH (FLAGS (\\Seen \\Recent) BODY[] {26}\r\n" M3 ")\r\n" OK ("g", "FETCH")
    "* 2 FETCH (FLAGS (\\Seen \\Recent) RFC822.TEXT {17}\r\nSecond\r\nmessage\r\n)\r\n" OK ("h", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "fetch-peek", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "f FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject DATE)] RFC822.HEADER)\r\n"
                 "g FETCH 1 FLAGS\r\nh FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (From To Date)]\r\n")),
    SESSION "* 1 FETCH (BODY[HEADER.FIELDS (subject DATE)] {55}\r\nSubject: one\r\n"
    "Date: Thu, 01 Jan 2026 09:00:00 +0800\r\n\r\n RFC822.HEADER {107}\r\nFrom: Bob <bob@example.com>\r\n"
    "To: alice@example.com\r\nSubject: one\r\nDate: Thu, 01 Jan 2026 09:00:00 +0800\r\n\r\n)\r\n" OK ("f", "FETCH")
    "* 1 FETCH (FLAGS (\\Recent))\r\n" OK ("g", "FETCH")
    "* 1 FETCH (BODY[HEADER.FIELDS.NOT (From To Date)] {16}\r\nSubject: one\r\n\r\n)\r\n" OK ("h", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "fetch-partial", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "f FETCH 3 (BODY.PEEK[]<0.7> BODY.PEEK[TEXT]<2.100> BODY.PEEK[1]<99.5>)\r\n")),
    SESSION "* 3 FETCH (BODY[]<0> {7}\r\nSubject BODY[TEXT]<2> {6}\r\nne 1\r\n BODY[1]<99> {0}\r\n)\r\n"
    OK ("f", "FETCH"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "fetch-read-only", TLS, STEPS (SEND (C_LOGIN C_EXAMINE "f FETCH 3 (BODY[TEXT])\r\ng FETCH 3 FLAGS\r\n")),
    GREET LOGGED_IN EXAMINED ("3") "* 3 FETCH (BODY[TEXT] {8}\r\nline 1\r\n)\r\n" OK ("f", "FETCH")
    "* 3 FETCH (FLAGS (\\Recent))\r\n" OK ("g", "FETCH"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "fetch-errors", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "f FETCH 4 FLAGS\r\ng FETCH 1 (FOO)\r\nh FETCH 1 BODY[XYZ]\r\n"
                 "i FETCH 1 ()\r\nj FETCH 1 BINARY[]\r\nk FETCH x FLAGS\r\nl FETCH 1\r\nm FETCH 1 (ALL)\r\n"
                 "n FETCH 0 FLAGS\r\no FETCH 1 BODY.PEEK\r\n")),
    SESSION "f BAD Message number out of range\r\ng BAD Invalid FETCH item\r\nh BAD Invalid FETCH item\r\n"
    "i BAD Invalid FETCH item\r\nj BAD Invalid FETCH item\r\nk BAD Invalid sequence set\r\n"
    "l BAD Syntax: FETCH sequence-set items\r\nm BAD Invalid FETCH item\r\nn BAD Invalid sequence set\r\n"
    "o BAD Invalid FETCH item\r\n", MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  /* §6.4.8: UID FETCH answers with UIDs; a UID that is not there is no error */
  { "uid-fetch", TLS, STEPS (SEND (C_LOGIN C_SELECT "u UID FETCH 2:* FLAGS\r\nv UID FETCH 9 FLAGS\r\n"
                                   "w UID FETCH 9:* (UID)\r\n")),
    SESSION "* 2 FETCH (FLAGS (\\Recent) UID 2)\r\n* 3 FETCH (FLAGS (\\Recent) UID 3)\r\n" OK ("u", "UID FETCH")
    OK ("v", "UID FETCH") "* 3 FETCH (UID 3)\r\n" OK ("w", "UID FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },

  /* STORE (§6.4.6) */
  { "store", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "a STORE 1 +FLAGS (\\Flagged)\r\nb STORE 1:2 -FLAGS \\Flagged \\Seen\r\n"
                 "c STORE 2 FLAGS.SILENT (\\Deleted \\Answered)\r\nd STORE 3 +FLAGS ($Work)\r\n"
                 "e STORE 3 -FLAGS.SILENT ($Work)\r\nf FETCH 2:3 FLAGS\r\n")),
    SESSION "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n" OK ("a", "STORE")
    "* 1 FETCH (FLAGS (\\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\n" OK ("b", "STORE") OK ("c", "STORE")
    "* FLAGS (" SYSTEM_FLAGS " $Work)\r\n* OK [PERMANENTFLAGS (" SYSTEM_FLAGS " $Work \\*)] Flags permitted\r\n"
    "* 3 FETCH (FLAGS ($Work \\Recent))\r\n" OK ("d", "STORE") OK ("e", "STORE")
    "* 2 FETCH (FLAGS (\\Answered \\Deleted \\Recent))\r\n* 3 FETCH (FLAGS (\\Recent))\r\n" OK ("f", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "store-errors", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "a STORE 1 FLAGS (\\Recent)\r\nb STORE 1 COLOUR (\\Seen)\r\n"
                 "c STORE 1 +FLAGS (\\Bogus)\r\nd STORE 9 +FLAGS (\\Seen)\r\ne STORE 1 +FLAGS\r\n"
                 "f STORE 1 +FLAGS (a%b)\r\n" C_EXAMINE "g STORE 1 +FLAGS (\\Seen)\r\n")),
    SESSION "a BAD \\Recent cannot be set by a client\r\n"
    "b BAD Syntax: STORE sequence-set [+|-]FLAGS[.SILENT] (flags)\r\nc BAD Unknown system flag\r\n"
    "d BAD Message number out of range\r\ne BAD Syntax: STORE sequence-set [+|-]FLAGS[.SILENT] (flags)\r\n"
    "f BAD Invalid keyword\r\n"
    FLAGS_RO "* 3 EXISTS\r\n* 0 RECENT\r\n" MAILBOX_TAIL ("1", "1", "4") "e OK [READ-ONLY] EXAMINE completed\r\n"
    "g NO [READ-ONLY] Mailbox is read-only\r\n", MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "uid-store", TLS, STEPS (SEND (C_LOGIN C_SELECT "u UID STORE 1,3 +FLAGS (\\Seen)\r\n")),
    SESSION "* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)\r\n* 3 FETCH (FLAGS (\\Seen \\Recent) UID 3)\r\n"
    OK ("u", "UID STORE"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },

  /* SEARCH (§6.4.4): every key */
  { "search", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "a STORE 2 +FLAGS.SILENT (\\Seen \\Answered $Work)\r\n"
                 "b SEARCH ALL\r\nc SEARCH SEEN\r\nd SEARCH UNSEEN\r\ne SEARCH ANSWERED\r\nf SEARCH UNANSWERED\r\n"
                 "g SEARCH DELETED\r\nh SEARCH UNDELETED\r\ni SEARCH DRAFT\r\nj SEARCH UNDRAFT\r\n"
                 "k SEARCH FLAGGED\r\nl SEARCH UNFLAGGED\r\nm SEARCH KEYWORD $work\r\nn SEARCH UNKEYWORD $Work\r\n"
                 "o SEARCH RECENT\r\np SEARCH NEW\r\nq SEARCH OLD\r\nr SEARCH SUBJECT TWO\r\n"
                 "s SEARCH FROM bob\r\nt SEARCH TO alice CC nobody\r\nu SEARCH BCC x\r\n"
                 "v SEARCH OR SUBJECT one SUBJECT three\r\nw SEARCH NOT 2\r\nx SEARCH 2:*\r\ny SEARCH UID 1,3\r\n"
                 "z SEARCH LARGER 100\r\nA SEARCH SMALLER 100\r\nB SEARCH BEFORE 2-Jan-2026\r\n"
                 "C SEARCH ON \"02-Jan-2026\"\r\nD SEARCH SINCE 2-Jan-2026\r\nE SEARCH SENTBEFORE 2-Jan-2026\r\n"
                 "F SEARCH SENTON 2-Jan-2026\r\nG SEARCH SENTSINCE 2-Jan-2026\r\nH SEARCH HEADER Date \"\"\r\n"
                 "I SEARCH BODY message\r\nJ SEARCH TEXT ONE\r\nK SEARCH (FROM bob SUBJECT one) 1\r\n"
                 "L SEARCH CHARSET us-ascii NOT (OR 1 3)\r\nM UID SEARCH 2:3\r\nN SEARCH 9\r\n")),
    SESSION "* FLAGS (" SYSTEM_FLAGS " $Work)\r\n* OK [PERMANENTFLAGS (" SYSTEM_FLAGS " $Work \\*)] Flags permitted\r\n"
    OK ("a", "STORE") "* SEARCH 1 2 3\r\n" OK ("b", "SEARCH") "* SEARCH 2\r\n" OK ("c", "SEARCH")
    "* SEARCH 1 3\r\n" OK ("d", "SEARCH") "* SEARCH 2\r\n" OK ("e", "SEARCH") "* SEARCH 1 3\r\n" OK ("f", "SEARCH")
    "* SEARCH\r\n" OK ("g", "SEARCH") "* SEARCH 1 2 3\r\n" OK ("h", "SEARCH") "* SEARCH\r\n" OK ("i", "SEARCH")
    "* SEARCH 1 2 3\r\n" OK ("j", "SEARCH") "* SEARCH\r\n" OK ("k", "SEARCH") "* SEARCH 1 2 3\r\n" OK ("l", "SEARCH")
    "* SEARCH 2\r\n" OK ("m", "SEARCH") "* SEARCH 1 3\r\n" OK ("n", "SEARCH") "* SEARCH 1 2 3\r\n" OK ("o", "SEARCH")
    "* SEARCH 1 3\r\n" OK ("p", "SEARCH") "* SEARCH\r\n" OK ("q", "SEARCH") "* SEARCH 2\r\n" OK ("r", "SEARCH")
    "* SEARCH 1\r\n" OK ("s", "SEARCH") "* SEARCH\r\n" OK ("t", "SEARCH") "* SEARCH\r\n" OK ("u", "SEARCH")
    "* SEARCH 1 3\r\n" OK ("v", "SEARCH") "* SEARCH 1 3\r\n" OK ("w", "SEARCH") "* SEARCH 2 3\r\n" OK ("x", "SEARCH")
    "* SEARCH 1 3\r\n" OK ("y", "SEARCH") "* SEARCH 1 2\r\n" OK ("z", "SEARCH") "* SEARCH 3\r\n" OK ("A", "SEARCH")
    "* SEARCH 1\r\n" OK ("B", "SEARCH") "* SEARCH 2\r\n" OK ("C", "SEARCH") "* SEARCH 2 3\r\n" OK ("D", "SEARCH")
    "* SEARCH 1\r\n" OK ("E", "SEARCH") "* SEARCH 2\r\n" OK ("F", "SEARCH") "* SEARCH 2\r\n" OK ("G", "SEARCH")
    "* SEARCH 1 2\r\n" OK ("H", "SEARCH") "* SEARCH 2\r\n" OK ("I", "SEARCH") "* SEARCH 1\r\n" OK ("J", "SEARCH")
    "* SEARCH 1\r\n" OK ("K", "SEARCH") "* SEARCH 2\r\n" OK ("L", "SEARCH") "* SEARCH 2 3\r\n" OK ("M", "UID SEARCH")
    "* SEARCH\r\n" OK ("N", "SEARCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "search-errors", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "a SEARCH\r\nb SEARCH FOO\r\nc SEARCH CHARSET GBK ALL\r\nd SEARCH BEFORE 32-Jan-2026\r\n"
                 "e SEARCH LARGER x\r\nf SEARCH ()\r\ng SEARCH OR ALL\r\nh SEARCH CHARSET\r\ni SEARCH SUBJECT\r\n"
                 "j SEARCH KEYWORD \\Seen\r\nk SEARCH UID x\r\nl SEARCH NOT\r\n")),
    SESSION "a BAD Syntax: SEARCH [CHARSET charset] keys\r\nb BAD Unknown search key\r\n"
    "c NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\nd BAD Invalid search date\r\n"
    "e BAD Invalid size\r\nf BAD Empty search key list\r\ng BAD Missing search key\r\n"
    "h BAD Syntax: SEARCH [CHARSET charset] keys\r\ni BAD Missing or invalid search string\r\n"
    "j BAD Invalid keyword\r\nk BAD Invalid UID set\r\nl BAD Missing search key\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "search-chinese", TLS,
    STEPS (SEND (C_LOGIN "p APPEND INBOX {50+}\r\nSubject: =?utf-8?b?5Lya6K6u?=\r\n\r\n"
                 "\xe4\xb8\x8b\xe5\x91\xa8\xe4\xba\x8c\xe5\xbc\x80\xe4\xbc\x9a\r\n\r\n" C_SELECT
                 "a SEARCH CHARSET UTF-8 SUBJECT {6}\r\n\xe4\xbc\x9a\xe8\xae\xae\r\n"
                 "b SEARCH CHARSET UTF-8 BODY {6+}\r\n\xe5\xbc\x80\xe4\xbc\x9a TEXT {3+}\r\n\xe4\xbc\x9a\r\n"
                 "c SEARCH CHARSET UTF-8 BODY {3}\r\n\xff\xfe\xfd\r\n")),
    GREET LOGGED_IN "p OK [APPENDUID 1 4] APPEND completed\r\n"
    FLAGS_RW "* 4 EXISTS\r\n* 4 RECENT\r\n" MAILBOX_TAIL ("1", "1", "5") "s OK [READ-WRITE] SELECT completed\r\n"
    CONTINUE "* SEARCH 4\r\n" OK ("a", "SEARCH") "* SEARCH 4\r\n" OK ("b", "SEARCH")
    CONTINUE "c BAD Search string is not UTF-8\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3 4" },

  /* COPY and MOVE with COPYUID (RFC 4315, RFC 6851) */
  { "copy", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "c COPY 1:2 Trash\r\nd UID COPY 3 Trash\r\ne COPY 1 Nope\r\n"
                 "f UID COPY 9 Trash\r\ng COPY 3 INBOX\r\nh STATUS Trash (MESSAGES)\r\n")),
    SESSION "c OK [COPYUID 4 1:2 1:2] COPY completed\r\nd OK [COPYUID 4 3 3] UID COPY completed\r\n"
    "e NO [TRYCREATE] No such mailbox\r\nf OK No matching messages\r\n"
    "* 4 EXISTS\r\n* 4 RECENT\r\ng OK [COPYUID 1 3 4] COPY completed\r\n"
    "* STATUS Trash (MESSAGES 3)\r\n" OK ("h", "STATUS"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3 4" },
  { "move", TLS, STEPS (SEND (C_LOGIN C_SELECT "m MOVE 2 Trash\r\nn UID MOVE 1:3 Junk\r\no MOVE 1 Nope\r\n")),
    SESSION "* OK [COPYUID 4 2 1] Moved UIDs\r\n* 2 EXPUNGE\r\n" OK ("m", "MOVE")
    "* OK [COPYUID 5 1,3 1:2] Moved UIDs\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n" OK ("n", "UID MOVE")
    "o BAD Message number out of range\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "" },
  { "move-read-only", TLS, STEPS (SEND (C_LOGIN C_EXAMINE "m MOVE 1 Trash\r\n")),
    GREET LOGGED_IN EXAMINED ("3") "m NO [READ-ONLY] Mailbox is read-only\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },

  /* EXPUNGE, UID EXPUNGE (RFC 4315 §2.1), CLOSE, UNSELECT (RFC 3691), CHECK */
  { "expunge", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1,3 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n"
                                 "y EXPUNGE\r\nz FETCH 1 UID\r\n")),
    SESSION OK ("d", "STORE") "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n" OK ("x", "EXPUNGE") OK ("y", "EXPUNGE")
    "* 1 FETCH (UID 2)\r\n" OK ("z", "FETCH"), MSC_IMAP_SERVER_STATE_SELECTED, "2" },
  { "uid-expunge", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n"
                                     "x UID EXPUNGE 2:3\r\ny UID EXPUNGE\r\n")),
    SESSION OK ("d", "STORE") "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n" OK ("x", "UID EXPUNGE")
    "y BAD Syntax: UID EXPUNGE sequence-set\r\n", MSC_IMAP_SERVER_STATE_SELECTED, "1" },
  { "expunge-read-only", TLS, STEPS (SEND (C_LOGIN C_EXAMINE "x EXPUNGE\r\n")),
    GREET LOGGED_IN EXAMINED ("3") "x NO [READ-ONLY] Mailbox is read-only\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "close", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\nc CLOSE\r\nf FETCH 1 UID\r\n")),
    SESSION OK ("d", "STORE") OK ("c", "CLOSE") NO_MAILBOX ("f"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "2 3" },
  { "close-read-only", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"
                                         C_EXAMINE "c CLOSE\r\n")),
    SESSION OK ("d", "STORE") FLAGS_RO "* 3 EXISTS\r\n* 0 RECENT\r\n" MAILBOX_TAIL ("1", "1", "4")
    "e OK [READ-ONLY] EXAMINE completed\r\n" OK ("c", "CLOSE"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "unselect", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\nu UNSELECT\r\n"
                                  "v UNSELECT\r\n")),
    SESSION OK ("d", "STORE") OK ("u", "UNSELECT") NO_MAILBOX ("v"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  { "check", TLS, STEPS (SEND (C_LOGIN C_SELECT "c CHECK\r\nd CHECK now\r\n")),
    SESSION OK ("c", "CHECK") "d BAD CHECK takes no arguments\r\n", MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },

  /* IDLE (RFC 2177): a delivery shows up at once */
  { "idle-delivery", TLS, STEPS (SEND (C_LOGIN C_SELECT "i IDLE\r\n"), DELIVER, SEND ("DONE\r\n")),
    SESSION "+ idling\r\n* 4 EXISTS\r\n* 4 RECENT\r\n" "i OK IDLE terminated\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3 4" },
  { "idle-authenticated", TLS, STEPS (SEND (C_LOGIN "i IDLE\r\n"), DELIVER, SEND ("done\r\nn NOOP\r\n")),
    GREET LOGGED_IN "+ idling\r\ni OK IDLE terminated\r\n" OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3 4" },
  { "idle-not-done", TLS, STEPS (SEND (C_LOGIN C_SELECT "i IDLE\r\nn NOOP\r\nm NOOP\r\n")),
    SESSION "+ idling\r\ni BAD Expected DONE\r\n" OK ("m", "NOOP"), MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  { "idle-syntax", TLS, STEPS (SEND (C_LOGIN "i IDLE now\r\n")),
    GREET LOGGED_IN "i BAD IDLE takes no arguments\r\n", MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  /* RFC 2177: clients re-issue IDLE every 29 minutes; 30 is the minimum */
  { "idle-timeout", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "i IDLE\r\n"), NOW (1799), CHECK_TIMEOUT (FALSE), SEND ("DONE\r\nj IDLE\r\n"),
           NOW (3598), CHECK_TIMEOUT (FALSE), NOW (3599), CHECK_TIMEOUT (TRUE)),
    SESSION "+ idling\r\ni OK IDLE terminated\r\n+ idling\r\n" BYE_AUTOLOGOUT,
    MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },

  /* Two sessions on one mailbox (RFC 3501 §5.2, §7.4.1) */
  { "other-store-at-noop", TLS,
    STEPS (SEND (C_LOGIN C_SELECT), OTHER ("o STORE 1 +FLAGS (\\Seen)\r\n"), SEND ("f FETCH 2 UID\r\nn NOOP\r\n")),
    SESSION "* 2 FETCH (UID 2)\r\n* 1 FETCH (FLAGS (\\Seen \\Recent))\r\n" OK ("f", "FETCH") OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3", "* 1 FETCH (FLAGS (\\Seen))\r\n" OK ("o", "STORE") },
  { "other-store-in-idle", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "i IDLE\r\n"), OTHER ("o STORE 2 +FLAGS.SILENT (\\Flagged)\r\n"),
           SEND ("DONE\r\n")),
    SESSION "+ idling\r\n* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\ni OK IDLE terminated\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3", OK ("o", "STORE") },
  /* No EXPUNGE during FETCH, STORE or SEARCH; after NOOP, and in UID commands */
  { "other-expunge", TLS,
    STEPS (SEND (C_LOGIN C_SELECT), OTHER ("o STORE 2 +FLAGS.SILENT (\\Deleted)\r\np EXPUNGE\r\n"),
           SEND ("f FETCH 2 (UID FLAGS BODY.PEEK[TEXT])\r\ng STORE 2 +FLAGS (\\Seen)\r\nh SEARCH ALL\r\n"
                 "c COPY 2 Trash\r\nn NOOP\r\nf FETCH 2 UID\r\n")),
    SESSION "* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent) BODY[TEXT] {17}\r\nSecond\r\nmessage\r\n)\r\n"
    OK ("f", "FETCH") OK ("g", "STORE") "* SEARCH 1 2 3\r\n" OK ("h", "SEARCH")
    "* 2 EXPUNGE\r\nc NO [EXPUNGEISSUED] Some of the messages no longer exist\r\n" OK ("n", "NOOP")
    "* 2 FETCH (UID 3)\r\n" OK ("f", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 3", OK ("o", "STORE") "* 2 EXPUNGE\r\n" OK ("p", "EXPUNGE") },
  { "other-expunge-uid-fetch", TLS,
    STEPS (SEND (C_LOGIN C_SELECT), OTHER ("o STORE 1 +FLAGS.SILENT (\\Deleted)\r\np EXPUNGE\r\n"),
           SEND ("u UID FETCH 3 UID\r\n")),
    SESSION "* 3 FETCH (UID 3)\r\n* 1 EXPUNGE\r\n" OK ("u", "UID FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "2 3", OK ("o", "STORE") "* 1 EXPUNGE\r\n" OK ("p", "EXPUNGE") },
  { "other-expunge-in-idle", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "i IDLE\r\n"), OTHER ("o MOVE 1 Trash\r\n"), SEND ("DONE\r\n")),
    SESSION "+ idling\r\n* 1 EXPUNGE\r\ni OK IDLE terminated\r\n",
    MSC_IMAP_SERVER_STATE_SELECTED, "2 3", "* OK [COPYUID 4 1 1] Moved UIDs\r\n* 1 EXPUNGE\r\n" OK ("o", "MOVE") },
  /* EXISTS after any command, even FETCH; \Recent to the first to hear */
  { "other-delivery", TLS,
    STEPS (SEND (C_LOGIN C_SELECT), OTHER ("n NOOP\r\n"), DELIVER, SEND ("f FETCH 1 UID\r\n"), OTHER ("m NOOP\r\n")),
    SESSION "* 1 FETCH (UID 1)\r\n* 4 EXISTS\r\n* 4 RECENT\r\n" OK ("f", "FETCH"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3 4", OK ("n", "NOOP") "* 4 EXISTS\r\n* 0 RECENT\r\n" OK ("m", "NOOP") },
  { "other-new-keyword", TLS,
    STEPS (SEND (C_LOGIN C_SELECT), OTHER ("o STORE 3 +FLAGS.SILENT ($Later)\r\n"), SEND ("n NOOP\r\n")),
    SESSION "* FLAGS (" SYSTEM_FLAGS " $Later)\r\n* OK [PERMANENTFLAGS (" SYSTEM_FLAGS " $Later \\*)] Flags permitted\r\n"
    "* 3 FETCH (FLAGS ($Later \\Recent))\r\n" OK ("n", "NOOP"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3",
    "* FLAGS (" SYSTEM_FLAGS " $Later)\r\n* OK [PERMANENTFLAGS (" SYSTEM_FLAGS " $Later \\*)] Flags permitted\r\n"
    OK ("o", "STORE") },
  /* The selected mailbox deleted elsewhere: Dovecot's BYE */
  { "other-deletes-mailbox", TLS,
    STEPS (SEND (C_LOGIN "c CREATE x\r\nt SELECT x\r\n"), OTHER ("d DELETE x\r\n"), SEND ("n NOOP\r\n")),
    GREET LOGGED_IN OK ("c", "CREATE") FLAGS_RW "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 11] UIDs valid\r\n"
    "* OK [UIDNEXT 1] Predicted next UID\r\nt OK [READ-WRITE] SELECT completed\r\n"
    "* BYE Selected mailbox was deleted, have to disconnect\r\n",
    MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3", OK ("d", "DELETE") },

  /* The autologout timer (RFC 3501 §5.4): at least 30 minutes, then BYE */
  { "timeout", TLS, STEPS (NOW (1799), CHECK_TIMEOUT (FALSE), NOW (1800), CHECK_TIMEOUT (TRUE), CHECK_TIMEOUT (FALSE)),
    GREET BYE_AUTOLOGOUT, MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-activity", TLS,
    STEPS (SEND (C_LOGIN), NOW (1000), SEND ("n NOOP\r\n"), NOW (2799), CHECK_TIMEOUT (FALSE),
           NOW (2800), CHECK_TIMEOUT (TRUE)),
    GREET LOGGED_IN OK ("n", "NOOP") BYE_AUTOLOGOUT, MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  /* A literal that never arrives */
  { "timeout-literal", TLS,
    STEPS (SEND (C_LOGIN "p APPEND INBOX {100}\r\nSubject: x"), NOW (1800), CHECK_TIMEOUT (TRUE)),
    GREET LOGGED_IN CONTINUE BYE_AUTOLOGOUT, MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "timeout-not-during-handshake", PLAIN,
    STEPS (SEND ("t STARTTLS\r\n"), NOW (5000), CHECK_TIMEOUT (FALSE), TLS_STARTED, NOW (6799),
           CHECK_TIMEOUT (FALSE), NOW (6800), CHECK_TIMEOUT (TRUE)),
    GREET_WITH (CAPS_PLAIN) "t OK Begin TLS negotiation now\r\n" BYE_AUTOLOGOUT,
    MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "abort", TLS, STEPS (SEND (C_LOGIN C_SELECT "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"), ABORT),
    SESSION OK ("d", "STORE"), MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },

  /* Bad input: BAD for each, the session goes on */
  { "garbage", TLS,
    STEPS (SEND ("\x01\x02\xff garbage\r\na NO\0OP\r\n\r\n  \r\n+ x\r\nb\r\nc NOOP \r\nd\tNOOP\r\ne NOOP\r\n")),
    GREET "* BAD Control character outside a quoted string or literal\r\na BAD NUL octet outside a literal\r\n"
    "* BAD Empty line\r\n* BAD Invalid character in tag\r\n* BAD Invalid character in tag\r\n"
    "b BAD Missing command name\r\nc BAD Unexpected SP at end of line\r\n"
    "* BAD Control character outside a quoted string or literal\r\n" OK ("e", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "unbalanced", TLS,
    STEPS (SEND (C_LOGIN C_SELECT "a FETCH 1 (FLAGS\r\nb FETCH 1 FLAGS)\r\nc FETCH 1 (FLAGS (UID\r\n"
                 "d SEARCH \"unterminated\r\ne NOOP\r\n")),
    SESSION "a BAD Missing \")\"\r\nb BAD Unexpected \")\"\r\nc BAD Missing \")\"\r\n"
    "d BAD Quoted string not closed before end of line\r\n" OK ("e", "NOOP"),
    MSC_IMAP_SERVER_STATE_SELECTED, "1 2 3" },
  /* A synchronizing literal over the limit is refused before any octet
   * of it; the client sends none (RFC 3501 §7.5, RFC 7888 §4) */
  { "literal-2gb", TLS, STEPS (SEND (C_LOGIN "p APPEND INBOX {2147483648}\r\nn NOOP\r\n")),
    GREET LOGGED_IN "p BAD " TOOBIG "\r\n" OK ("n", "NOOP"), MSC_IMAP_SERVER_STATE_AUTHENTICATED, "1 2 3" },
  /* …but a non-synchronizing one is already on its way: BYE */
  { "literal-2gb-non-sync", TLS, STEPS (SEND (C_LOGIN "p APPEND INBOX {2147483648+}\r\nxxxx")),
    GREET LOGGED_IN "* BYE " TOOBIG "\r\n", MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  /* The limits come from the configuration */
  { "limits", SHORT,
    STEPS (SEND ("a LOGIN alice@example.com {1001}\r\nb SEARCH " "((((((((((ALL))))))))))" "\r\n"
                 "c NOOP\r\n")),
    GREET "a BAD [TOOBIG] Literal of 1001 octets is larger than the 1000 octets allowed\r\n"
    "b BAD Too deeply nested: more than 8 levels\r\n" OK ("c", "NOOP"),
    MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED, "1 2 3" },
  { "too-many-errors", STRICT, STEPS (SEND ("x FOO\r\ny BAR\r\nz BAZ\r\nn NOOP\r\n")),
    GREET "x BAD Unknown command\r\ny BAD Unknown command\r\nz BAD Unknown command\r\n" TOO_MANY,
    MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
  { "password-guessing", STRICT,
    STEPS (SEND ("a LOGIN alice@example.com a\r\nb LOGIN alice@example.com b\r\nc LOGIN alice@example.com c\r\n"
                 C_LOGIN)),
    GREET AUTH_FAILED ("a") AUTH_FAILED ("b") AUTH_FAILED ("c") TOO_MANY, MSC_IMAP_SERVER_STATE_CLOSED, "1 2 3" },
};

static void
run_conversation (const Conversation *conversation,
                  gboolean            trickle,
                  GString            *output,
                  GString            *log,
                  GString            *other_output)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) server = start_server (store, conversation->variant);
  g_autoptr(MscImapServer) other = NULL;
  g_autofree char *remaining = NULL;

  drain (server, output, log, NULL);

  for (const Step *step = conversation->steps; step->kind != STEP_END; step++)
    {
      switch (step->kind)
        {
        case STEP_SEND:
          feed (server, (const guint8 *) step->data, step->len, trickle);
          break;

        case STEP_OTHER:
          if (other == NULL)
            {
              g_autoptr(GString) ignored = g_string_new (NULL);

              other = start_server (store, TLS);
              feed_string (other, "o1 LOGIN alice@example.com secret\r\no2 SELECT INBOX\r\n");
              drain (other, ignored, NULL, NULL);
            }
          feed (other, (const guint8 *) step->data, step->len, trickle);
          break;

        case STEP_TLS_STARTED:
          msc_imap_server_tls_started (server);
          break;

        case STEP_NOW:
          msc_imap_server_set_now (server, T0 + step->value * G_USEC_PER_SEC);
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_imap_server_check_timeout (server), ==, step->value);
          break;

        case STEP_DELIVER:
          deliver (store, M4);
          break;

        case STEP_ABORT:
          msc_imap_server_abort (server);
          break;

        case STEP_END:
        default:
          g_assert_not_reached ();
        }

      drain (server, output, log, NULL);
      if (other != NULL)
        drain (other, other_output, NULL, NULL);
    }

  g_assert_cmpstr (msc_imap_server_state_get_name (msc_imap_server_get_state (server)), ==,
                   msc_imap_server_state_get_name (conversation->final_state));
  g_assert_finalize_object (g_steal_pointer (&server));
  if (other != NULL)
    g_assert_finalize_object (g_steal_pointer (&other));

  remaining = mailbox_uids (store, "INBOX");
  g_assert_cmpstr (remaining, ==, conversation->remaining);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_conversation (gconstpointer data)
{
  const Conversation *conversation = data;
  g_autoptr(GString) whole_output = g_string_new (NULL);
  g_autoptr(GString) whole_log = g_string_new (NULL);
  g_autoptr(GString) whole_other = g_string_new (NULL);
  g_autoptr(GString) trickled_output = g_string_new (NULL);
  g_autoptr(GString) trickled_log = g_string_new (NULL);
  g_autoptr(GString) trickled_other = g_string_new (NULL);

  run_conversation (conversation, FALSE, whole_output, whole_log, whole_other);
  g_test_message ("events:\n%s", whole_log->str);
  g_assert_cmpstr (whole_output->str, ==, conversation->expected);
  g_assert_cmpstr (whole_other->str, ==, conversation->other_expected ? conversation->other_expected : "");

  run_conversation (conversation, TRUE, trickled_output, trickled_log, trickled_other);
  g_assert_cmpstr (trickled_output->str, ==, conversation->expected);
  g_assert_cmpstr (trickled_log->str, ==, whole_log->str);
  g_assert_cmpstr (trickled_other->str, ==, whole_other->str);
}

/* ---- Events ---- */

/* Runs @input through a new server on @store, whole or trickled, and
 * returns its event log. */
static char *
event_log (MscMailStore *store,
           Variant       variant,
           const char   *input,
           gsize         len,
           gboolean      trickle,
           GString      *output)
{
  g_autoptr(MscImapServer) server = start_server (store, variant);
  g_autoptr(GString) log = g_string_new (NULL);

  feed (server, (const guint8 *) input, len, trickle);
  drain (server, output, log, NULL);
  g_assert_finalize_object (g_steal_pointer (&server));

  return g_string_free (g_steal_pointer (&log), FALSE);
}

#define CODE_CAPS_TLS  "[CAPABILITY|" CAPS_TLS "]"
#define CODE_CAPS_AUTH "[CAPABILITY|" CAPS_AUTH "]"

/* One event per thing on the wire, in wire order: a command with a
 * synchronizing literal comes in two parts around the "+". */
static void
test_event_log (void)
{
  static const char input[] =
    "a LOGIN alice@example.com {6}\r\nsecret\r\n"
    "s SELECT INBOX\r\nu UID FETCH 1 (FLAGS)\r\ni IDLE\r\nDONE\r\n"
    "p AUTHENTICATE PLAIN\r\nbad\r\nl LOGOUT\r\n";
  static const char expected[] =
    "S untagged - OK " CODE_CAPS_TLS " imap.example.com IMAP4rev1 server ready\n"
    "STATE greeting>not-authenticated\n"
    "C a LOGIN secret incomplete \n"
    "S continuation - - Ready for literal data\n"
    "C a LOGIN secret \n"
    "AUTH alice@example.com LOGIN\n"
    "STATE not-authenticated>authenticated\n"
    "S ok a OK " CODE_CAPS_AUTH " LOGIN completed\n"
    "C s SELECT s SELECT INBOX\n"
    "STATE authenticated>selected\n"
    "S untagged - FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n"
    "S untagged - OK [PERMANENTFLAGS|(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\n"
    "S untagged - EXISTS #3 \n"
    "S untagged - RECENT #3 \n"
    "S untagged - OK [UNSEEN|1] Message 1 is first unseen\n"
    "S untagged - OK [UIDVALIDITY|1] UIDs valid\n"
    "S untagged - OK [UIDNEXT|4] Predicted next UID\n"
    "S ok s OK [READ-WRITE|] SELECT completed\n"
    "C u UID FETCH u UID FETCH 1 (FLAGS)\n"
    "S untagged - FETCH #1 (FLAGS (\\Recent) UID 1)\n"
    "S ok u OK UID FETCH completed\n"
    "C i IDLE i IDLE\n"
    "S continuation - - idling\n"
    "STATE selected>idle\n"
    "IDLE+ i\n"
    "C - DONE DONE\n"
    "STATE idle>selected\n"
    "IDLE- i\n"
    "S ok i OK IDLE terminated\n"
    "C p AUTHENTICATE p AUTHENTICATE PLAIN\n"
    "S bad p BAD Already logged in\n"
    "C bad - bad\n"
    "S bad bad BAD Missing command name\n"
    "C l LOGOUT l LOGOUT\n"
    "S untagged - BYE Logging out\n"
    "STATE selected>logout\n"
    "S ok l OK LOGOUT completed\n"
    "STATE logout>closed\n"
    "CLOSED -\n";

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscMailStore) store = make_store ();
      g_autoptr(GString) output = g_string_new (NULL);
      g_autofree char *log = event_log (store, TLS, input, sizeof input - 1, trickle, output);

      g_assert_cmpstr (log, ==, expected);
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

/* Credentials are marked, whatever shape they come in: LOGIN (even when
 * refused), AUTHENTICATE with an initial response, a SASL response. */
static void
test_secret_events (void)
{
  static const char input[] =
    "a LOGIN alice@example.com wrong\r\n"
    "b AUTHENTICATE PLAIN " PLAIN_WRONG "\r\n"
    "c AUTHENTICATE PLAIN\r\n" PLAIN_ALICE "\r\n"
    "d LOGIN \"unterminated\r\n"
    "e CAPABILITY\r\n";
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) server = start_server (store, TLS);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_imap_server_event_free);
  g_autoptr(GString) output = g_string_new (NULL);
  static const struct {
    const char *tag;
    gboolean    secret;
  } expected[] = {
    { "a", TRUE }, { "b", TRUE }, { "c", FALSE }, { NULL, TRUE }, { "d", TRUE }, { "e", FALSE },
  };
  guint n = 0;

  feed_string (server, input);
  drain (server, output, NULL, events);

  for (guint i = 0; i < events->len; i++)
    {
      const MscImapServerEvent *event = g_ptr_array_index (events, i);

      if (event->kind != MSC_IMAP_SERVER_EVENT_COMMAND)
        continue;

      g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
      g_assert_cmpstr (event->tag, ==, expected[n].tag);
      g_assert_cmpint (event->secret, ==, expected[n].secret);
      g_assert_nonnull (event->wire);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));

  g_ptr_array_set_size (events, 0);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_closed_events (void)
{
  static const struct {
    const char *input;
    gboolean    abort;
    gint64      timeout;
    int         code;   /* -1: no error */
  } cases[] = {
    { "l LOGOUT\r\n", FALSE, 0, -1 },
    { "n NOOP\r\n", TRUE, 0, MSC_IMAP_SERVER_ERROR_ABORTED },
    { "n NOOP\r\n", FALSE, 1800, MSC_IMAP_SERVER_ERROR_TIMEOUT },
    { "a APPEND INBOX {99999999999+}\r\n", FALSE, 0, MSC_IMAP_SERVER_ERROR_PROTOCOL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MscMailStore) store = make_store ();
      g_autoptr(MscImapServer) server = start_server (store, TLS);
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_imap_server_event_free);
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      const MscImapServerEvent *last;
      guint n_closed = 0;

      feed_string (server, cases[i].input);
      if (cases[i].abort)
        msc_imap_server_abort (server);
      if (cases[i].timeout > 0)
        {
          msc_imap_server_set_now (server, T0 + cases[i].timeout * G_USEC_PER_SEC);
          g_assert_true (msc_imap_server_check_timeout (server));
        }
      /* Closed already: nothing more happens. */
      msc_imap_server_abort (server);
      g_assert_false (msc_imap_server_check_timeout (server));
      drain (server, output, NULL, events);

      for (guint j = 0; j < events->len; j++)
        n_closed += ((MscImapServerEvent *) g_ptr_array_index (events, j))->kind == MSC_IMAP_SERVER_EVENT_CLOSED;
      g_assert_cmpuint (n_closed, ==, 1);

      last = g_ptr_array_index (events, events->len - 1);
      g_assert_cmpint (last->kind, ==, MSC_IMAP_SERVER_EVENT_CLOSED);
      if (cases[i].code < 0)
        g_assert_null (last->error);
      else
        g_assert_error (last->error, MSC_IMAP_SERVER_ERROR, cases[i].code);

      g_assert_true (msc_imap_server_is_closed (server));
      g_assert_false (msc_imap_server_want_read (server));
      g_assert_cmpint (msc_imap_server_get_deadline (server), ==, -1);
      g_assert_false (msc_imap_server_feed (server, (const guint8 *) "n NOOP\r\n", 8, &error));
      g_assert_error (error, MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_CLOSED);

      g_ptr_array_set_size (events, 0);
      g_assert_finalize_object (g_steal_pointer (&server));
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

static void
test_names (void)
{
  for (guint i = 0; i < MSC_IMAP_SERVER_N_STATES; i++)
    g_assert_nonnull (msc_imap_server_state_get_name (i));
  for (guint i = 0; i < MSC_IMAP_SERVER_N_EVENT_KINDS; i++)
    g_assert_nonnull (msc_imap_server_event_kind_get_name (i));
  for (guint i = 0; i < MSC_IMAP_SERVER_N_RESPONSE_KINDS; i++)
    g_assert_nonnull (msc_imap_server_response_kind_get_name (i));

  g_assert_cmpstr (msc_imap_server_state_get_name (MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED), ==,
                   "not-authenticated");
  g_assert_cmpstr (msc_imap_server_event_kind_get_name (MSC_IMAP_SERVER_EVENT_IDLE_STARTED), ==,
                   "idle-started");
  g_assert_cmpstr (msc_imap_server_response_kind_get_name (MSC_IMAP_SERVER_RESPONSE_CONTINUATION), ==,
                   "continuation");
}

static void
test_want_read_and_deadline (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  MscImapServerConfig config;
  g_autoptr(MscImapServer) server = NULL;
  g_autoptr(GString) output = g_string_new (NULL);

  config_for_variant (PLAIN, &config);
  /* Less than RFC 3501 §5.4's 30 minutes is raised to 30 minutes. */
  config.autologout_usec = 60 * G_USEC_PER_SEC;
  server = msc_imap_server_new (&config, store);
  msc_imap_server_set_now (server, T0);

  g_assert_cmpint (msc_imap_server_get_state (server), ==, MSC_IMAP_SERVER_STATE_GREETING);
  g_assert_false (msc_imap_server_want_read (server));
  g_assert_cmpint (msc_imap_server_get_deadline (server), ==, -1);

  msc_imap_server_start (server);
  g_assert_true (msc_imap_server_want_read (server));
  g_assert_cmpint (msc_imap_server_get_deadline (server), ==, T0 + 1800 * G_USEC_PER_SEC);

  feed_string (server, "t STARTTLS\r\n");
  g_assert_false (msc_imap_server_want_read (server));
  g_assert_cmpint (msc_imap_server_get_deadline (server), ==, -1);

  msc_imap_server_set_now (server, T0 + 10 * G_USEC_PER_SEC);
  msc_imap_server_tls_started (server);
  g_assert_true (msc_imap_server_want_read (server));
  g_assert_cmpint (msc_imap_server_get_deadline (server), ==, T0 + 1810 * G_USEC_PER_SEC);

  drain (server, output, NULL, NULL);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- Two sessions ---- */

static MscImapServer *
selected_session (MscMailStore *store,
                  const char   *more)
{
  MscImapServer *server = start_server (store, TLS);
  g_autoptr(GString) output = g_string_new (NULL);

  feed_string (server, C_LOGIN C_SELECT);
  if (more != NULL)
    feed_string (server, more);
  drain (server, output, NULL, NULL);

  return server;
}

static char *
take_text (MscImapServer *server)
{
  g_autoptr(GString) output = g_string_new (NULL);

  drain (server, output, NULL, NULL);

  return g_string_free (g_steal_pointer (&output), FALSE);
}

/* The store changes with no bytes fed: a session in IDLE has something to
 * send at once, the driver finds it with has_output(); a session between
 * commands keeps it for its next command (RFC 3501 §5.3, §7.4.1). */
static void
test_store_changes_while_idle (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) idle = selected_session (store, "i IDLE\r\n");
  g_autoptr(MscImapServer) quiet = selected_session (store, NULL);
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, ALICE, "INBOX", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint32 uid = 2;

  g_assert_false (msc_imap_server_has_output (idle));
  g_assert_false (msc_imap_server_has_output (quiet));

  /* The UI marks a message read */
  g_assert_true (msc_mail_store_update_flags (store, inbox, &uid, 1, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_SEEN, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (msc_imap_server_has_output (idle));
  g_assert_false (msc_imap_server_has_output (quiet));
  text = take_text (idle);
  g_assert_cmpstr (text, ==, "* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n");
  g_clear_pointer (&text, g_free);

  /* The SMTP server delivers */
  deliver (store, M4);
  g_assert_false (msc_imap_server_has_output (quiet));
  text = take_text (idle);
  g_assert_cmpstr (text, ==, "* 4 EXISTS\r\n* 4 RECENT\r\n");
  g_clear_pointer (&text, g_free);

  /* POP3 or another device expunges */
  g_assert_true (msc_mail_store_expunge (store, inbox, &uid, 1, &error));
  g_assert_no_error (error);
  g_assert_false (msc_imap_server_has_output (quiet));
  text = take_text (idle);
  g_assert_cmpstr (text, ==, "* 2 EXPUNGE\r\n");
  g_clear_pointer (&text, g_free);

  /* The quiet session hears it all with its next command, in order. */
  feed_string (quiet, "n NOOP\r\n");
  text = take_text (quiet);
  g_assert_cmpstr (text, ==, "* 2 EXPUNGE\r\n* 3 EXISTS\r\n* 0 RECENT\r\n" OK ("n", "NOOP"));

  g_assert_finalize_object (g_steal_pointer (&idle));
  g_assert_finalize_object (g_steal_pointer (&quiet));
  g_clear_object (&inbox);
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- Test messages: SEARCH in Chinese, ENVELOPE and BODYSTRUCTURE ---- */

static const char * const testdata_files[] = {
  "01-plain-ascii.eml",
  "02-utf8-chinese-base64.eml",
  "03-gb2312-foxmail-style.eml",
  "04-multipart-alternative.eml",
  "05-mixed-attachment-chinese-filename.eml",
  "06-forwarded-rfc822.eml",
  "07-bounce-dsn.eml",
  "08-8bit-utf8-folded-headers.eml",
};

static GBytes *
load_testdata (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MSC_TESTDATA_DIR"), name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, len);
}

/* Every test message, APPENDed by a client through the server itself:
 * UIDs 1 to 8 in a fresh store's Trash. */
static MscImapServer *
testdata_session (MscMailStore *store,
                  gboolean      trickle)
{
  MscImapServer *server = start_server (store, TLS);
  g_autoptr(GString) output = g_string_new (NULL);

  feed_string (server, C_LOGIN);
  for (guint i = 0; i < G_N_ELEMENTS (testdata_files); i++)
    {
      g_autoptr(GBytes) message = load_testdata (testdata_files[i]);
      g_autofree char *command = g_strdup_printf ("p APPEND Trash {%" G_GSIZE_FORMAT "}\r\n",
                                                  g_bytes_get_size (message));

      feed (server, (const guint8 *) command, strlen (command), trickle);
      feed (server, g_bytes_get_data (message, NULL), g_bytes_get_size (message), trickle);
      feed (server, (const guint8 *) "\r\n", 2, trickle);
    }
  feed_string (server, "s SELECT Trash\r\n");
  drain (server, output, NULL, NULL);

  g_assert_nonnull (strstr (output->str, "p OK [APPENDUID 4 8] APPEND completed\r\n"));
  g_assert_true (g_str_has_suffix (output->str, "s OK [READ-WRITE] SELECT completed\r\n"));

  return server;
}

static char *
run_search (MscImapServer *server,
            const char    *key,
            const char    *word)
{
  g_autofree char *command = g_strdup_printf ("x SEARCH CHARSET UTF-8 %s {%" G_GSIZE_FORMAT "+}\r\n%s\r\n",
                                              key, strlen (word), word);
  g_autofree char *output = NULL;
  const char *line;
  const char *end;

  feed_string (server, command);
  output = take_text (server);
  g_assert_true (g_str_has_suffix (output, "x OK SEARCH completed\r\n"));
  line = strstr (output, "* SEARCH");
  g_assert_nonnull (line);
  end = strstr (line, "\r\n");

  return g_strstrip (g_strndup (line + strlen ("* SEARCH"), end - line - strlen ("* SEARCH")));
}

/* Each message is found by its own words, whatever its charset (UTF-8,
 * GB2312/GBK) and encoding (RFC 2047 B and Q words, base64, 8bit, a
 * subject split over two encoded words): msc-imap-message decodes. */
static void
test_testdata_search (void)
{
  static const struct {
    const char *key;
    const char *word;
    const char *expected;
  } searches[] = {
    { "SUBJECT", "项目会议", "2" },
    { "FROM", "张三", "2" },
    { "TO", "李四", "2" },
    { "BODY", "三楼会议室", "2" },
    { "SUBJECT", "销售数据", "3" },
    { "FROM", "小陈", "3" },
    { "TO", "王经理", "3" },
    { "BODY", "请查收", "3" },
    { "SUBJECT", "以及编码字", "8" },
    { "BODY", "正文直接", "8" },
    { "TEXT", "王五", "8" },
    { "CC", "赵六", "8" },
    { "TEXT", "会议", "2" },
    { "BODY", "不存在的词", "" },
    { "SUBJECT", "quarterly", "1 6" },
    { "BODY", "CAFÉ", "4" },
    { "SUBJECT", "logo", "5" },
    { "FROM", "mailer-daemon", "7" },
  };

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscMailStore) store = make_store ();
      g_autoptr(MscImapServer) server = testdata_session (store, trickle);

      for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
        {
          g_autofree char *found = run_search (server, searches[i].key, searches[i].word);

          g_test_message ("SEARCH %s %s", searches[i].key, searches[i].word);
          g_assert_cmpstr (found, ==, searches[i].expected);
        }

      g_assert_finalize_object (g_steal_pointer (&server));
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

/* The server writes what msc-imap-message computes, untouched, and the
 * message bytes as they were appended. */
static void
test_testdata_fetch (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) server = testdata_session (store, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (testdata_files); i++)
    {
      g_autoptr(GBytes) data = load_testdata (testdata_files[i]);
      g_autoptr(MscImapMessage) message = msc_imap_message_new (data);
      g_autofree char *envelope = msc_imap_message_get_envelope (message);
      g_autofree char *body = msc_imap_message_get_body_structure (message, FALSE);
      g_autofree char *structure = msc_imap_message_get_body_structure (message, TRUE);
      g_autofree char *command = g_strdup_printf ("f FETCH %u (ENVELOPE BODY BODYSTRUCTURE RFC822.SIZE "
                                                  "BODY.PEEK[])\r\n", i + 1);
      g_autofree char *expected = g_strdup_printf ("* %u FETCH (ENVELOPE %s BODY %s BODYSTRUCTURE %s "
                                                   "RFC822.SIZE %" G_GSIZE_FORMAT " BODY[] {%" G_GSIZE_FORMAT
                                                   "}\r\n%s)\r\nf OK FETCH completed\r\n",
                                                   i + 1, envelope, body, structure,
                                                   msc_imap_message_get_size (message),
                                                   g_bytes_get_size (data),
                                                   (const char *) g_bytes_get_data (data, NULL));
      g_autofree char *output = NULL;

      feed_string (server, command);
      output = take_text (server);
      g_assert_cmpstr (output, ==, expected);
    }

  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- Hostile input ---- */

/* 10,000 nested parentheses: BAD, no crash, and a second session on the
 * same store does not notice. */
static void
test_deep_nesting (void)
{
  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscMailStore) store = make_store ();
      g_autoptr(MscImapServer) hostile = selected_session (store, NULL);
      g_autoptr(MscImapServer) other = selected_session (store, NULL);
      g_autoptr(GString) input = g_string_new ("a SEARCH ");
      g_autofree char *text = NULL;

      for (guint i = 0; i < 10000; i++)
        g_string_append_c (input, '(');
      g_string_append (input, "ALL");
      for (guint i = 0; i < 10000; i++)
        g_string_append_c (input, ')');
      g_string_append (input, "\r\nb SEARCH ((((ALL))))\r\n");

      feed (hostile, (const guint8 *) input->str, input->len, trickle);
      text = take_text (hostile);
      g_assert_cmpstr (text, ==, "a BAD Too deeply nested: more than 64 levels\r\n"
                                 "* SEARCH 1 2 3\r\n" OK ("b", "SEARCH"));
      g_clear_pointer (&text, g_free);

      feed_string (other, "c FETCH 1:* UID\r\n");
      text = take_text (other);
      g_assert_cmpstr (text, ==, "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n"
                                 OK ("c", "FETCH"));

      g_assert_finalize_object (g_steal_pointer (&hostile));
      g_assert_finalize_object (g_steal_pointer (&other));
      g_assert_finalize_object (g_steal_pointer (&store));
    }
}

/* A line past the parser's limit is refused and skipped to its end. */
static void
test_long_line (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) server = selected_session (store, NULL);
  g_autoptr(GString) input = g_string_new ("a SEARCH SUBJECT ");
  g_autofree char *text = NULL;

  while (input->len < 70000)
    g_string_append (input, "xxxxxxxxxx");
  g_string_append (input, "\r\nb NOOP\r\n");

  feed (server, (const guint8 *) input->str, input->len, FALSE);
  text = take_text (server);
  g_assert_cmpstr (text, ==, "a BAD Line is longer than 65536 octets\r\n" OK ("b", "NOOP"));

  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ---- The store ---- */

/* Names are UTF-8 in the store and modified UTF-7 on the wire (RFC 3501
 * §5.1.3), both ways. */
static void
test_mailbox_names (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(MscImapServer) server = start_server (store, TLS);
  g_autoptr(MscMailbox) created = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  mailbox = msc_mail_store_create_mailbox (store, ALICE, "项目/归档", MSC_SPECIAL_USE_NONE, &error);
  g_assert_no_error (error);

  feed_string (server, C_LOGIN "c CREATE " SENT_ZH "\r\nl LIST \"\" " PROJECT "*\r\n"
                       "s STATUS \"" PROJECT "/" ARCHIVE "\" (MESSAGES)\r\n");
  text = take_text (server);
  g_assert_cmpstr (text, ==, GREET LOGGED_IN OK ("c", "CREATE")
                             "* LIST (\\HasChildren) \"/\" " PROJECT "\r\n"
                             "* LIST (\\HasNoChildren) \"/\" " PROJECT "/" ARCHIVE "\r\n" OK ("l", "LIST")
                             "* STATUS " PROJECT "/" ARCHIVE " (MESSAGES 0)\r\n" OK ("s", "STATUS"));

  created = msc_mail_store_get_mailbox (store, ALICE, "已发送", &error);
  g_assert_no_error (error);
  g_assert_nonnull (created);

  g_clear_object (&created);
  g_clear_object (&mailbox);
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_subscriptions (void)
{
  g_autoptr(MscMailStore) store = make_store ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree char *joined = NULL;

  /* An account starts subscribed to what it has. */
  names = msc_mail_store_list_subscriptions (store, "Alice@Example.com", &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", names);
  g_assert_cmpstr (joined, ==, "INBOX Drafts Junk Sent Trash");
  g_clear_pointer (&names, g_strfreev);
  g_clear_pointer (&joined, g_free);

  g_assert_true (msc_mail_store_subscribe (store, ALICE, "inbox/Later", &error));
  g_assert_true (msc_mail_store_subscribe (store, ALICE, "Archive", &error));
  g_assert_true (msc_mail_store_unsubscribe (store, ALICE, "Junk", &error));
  g_assert_true (msc_mail_store_unsubscribe (store, ALICE, "Junk", &error));
  g_assert_no_error (error);

  g_assert_false (msc_mail_store_subscribe (store, ALICE, "a//b", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME);
  g_clear_error (&error);
  g_assert_null (msc_mail_store_list_subscriptions (store, "nobody@example.com", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);
  g_clear_error (&error);

  names = msc_mail_store_list_subscriptions (store, ALICE, &error);
  joined = g_strjoinv (" ", names);
  g_assert_cmpstr (joined, ==, "INBOX INBOX/Later Archive Drafts Sent Trash");

  /* Bob's are his own. */
  g_clear_pointer (&names, g_strfreev);
  g_clear_pointer (&joined, g_free);
  names = msc_mail_store_list_subscriptions (store, "bob@example.com", &error);
  joined = g_strjoinv (" ", names);
  g_assert_cmpstr (joined, ==, "INBOX Drafts Junk Sent Trash");

  g_assert_finalize_object (g_steal_pointer (&store));
}

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

/* Live mode keeps mail in a Maildir: what a session changes is on disk. */
static void
test_maildir (void)
{
  g_autofree char *root = g_dir_make_tmp ("test-imap-server-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MscMailStore) store = msc_mail_store_new_for_maildir (root, &error);
  g_autoptr(MscImapServer) server = NULL;
  g_autofree char *text = NULL;
  g_autofree char *remaining = NULL;

  g_assert_no_error (error);
  msc_mail_store_set_password_iterations (store, 1000);
  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, ALICE, "Alice", "secret", &error));
  g_assert_no_error (error);

  server = start_server (store, TLS);
  feed_string (server, C_LOGIN "p APPEND INBOX (\\Flagged) {8+}\r\nSubject:\r\nq APPEND INBOX {3+}\r\nx\r\n\r\n"
                       C_SELECT "d STORE 2 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\nl LOGOUT\r\n");
  text = take_text (server);
  g_assert_true (g_str_has_suffix (text, "* 2 EXPUNGE\r\n" OK ("x", "EXPUNGE") BYE_LOGOUT ("l")));
  g_assert_finalize_object (g_steal_pointer (&server));
  g_assert_finalize_object (g_steal_pointer (&store));

  store = msc_mail_store_new_for_maildir (root, &error);
  g_assert_no_error (error);
  remaining = mailbox_uids (store, "INBOX");
  g_assert_cmpstr (remaining, ==, "1");
  g_assert_finalize_object (g_steal_pointer (&store));

  remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/imap-server/conversation/%s", conversations[i].name);

      g_test_add_data_func (path, &conversations[i], test_conversation);
    }

  g_test_add_func ("/msc/imap-server/event/log", test_event_log);
  g_test_add_func ("/msc/imap-server/event/secret", test_secret_events);
  g_test_add_func ("/msc/imap-server/event/closed", test_closed_events);
  g_test_add_func ("/msc/imap-server/names", test_names);
  g_test_add_func ("/msc/imap-server/want-read-and-deadline", test_want_read_and_deadline);
  g_test_add_func ("/msc/imap-server/sessions/store-changes-while-idle", test_store_changes_while_idle);
  g_test_add_func ("/msc/imap-server/testdata/search", test_testdata_search);
  g_test_add_func ("/msc/imap-server/testdata/fetch", test_testdata_fetch);
  g_test_add_func ("/msc/imap-server/hostile/deep-nesting", test_deep_nesting);
  g_test_add_func ("/msc/imap-server/hostile/long-line", test_long_line);
  g_test_add_func ("/msc/imap-server/store/mailbox-names", test_mailbox_names);
  g_test_add_func ("/msc/imap-server/store/subscriptions", test_subscriptions);
  g_test_add_func ("/msc/imap-server/store/maildir", test_maildir);

  return g_test_run ();
}
