/* test-smtp-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-smtp-server"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "msc-directory.h"
#include "msc-test-directory.h"
#include "msc-smtp-server.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

/* ---- Servers ---- */

typedef enum
{
  MX,            /* port 25, STARTTLS offered */
  MX_NO_TLS,     /* port 25, no certificate */
  MX_TLS,        /* port 25 after TLS: AUTH offered */
  MX_STRICT,     /* three errors and out */
  SUB,           /* port 465: implicit TLS */
  SUB_PLAIN,     /* port 587 before STARTTLS */
  SUB_INSECURE,  /* port 587, "insecure teaching server" */
} Variant;

static void
config_for_variant (Variant              variant,
                    MscSmtpServerConfig *config)
{
  memset (config, 0, sizeof *config);

  config->hostname = variant >= SUB ? "smtp.example.com" : "mx.example.com";
  config->role = variant >= SUB ? MSC_SMTP_SERVER_ROLE_SUBMISSION : MSC_SMTP_SERVER_ROLE_MX;
  config->max_message_size = 1000;
  config->max_recipients = 3;
  config->peer_name = "client.example.net";
  config->peer_address = "192.0.2.10";
  config->tls_available = variant != MX_NO_TLS;
  config->tls_active = variant == MX_TLS || variant == SUB;
  config->allow_insecure_auth = variant == SUB_INSECURE;
  config->max_errors = variant == MX_STRICT ? 3 : 0;
}

typedef struct
{
  TestDirectory *directory;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  fixture->directory = g_object_new (TEST_TYPE_DIRECTORY, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_assert_finalize_object (g_steal_pointer (&fixture->directory));
}

static MscSmtpServer *
start_server (Fixture *fixture,
              Variant  variant)
{
  MscSmtpServerConfig config;
  MscSmtpServer *server;

  config_for_variant (variant, &config);
  server = msc_smtp_server_new (&config, MSC_DIRECTORY (fixture->directory));
  msc_smtp_server_set_now (server, T0);
  msc_smtp_server_start (server);

  return server;
}

static void
log_event (GString                  *log,
           const MscSmtpServerEvent *event)
{
  switch (event->kind)
    {
    case MSC_SMTP_SERVER_EVENT_COMMAND:
      g_string_append_printf (log, "C %s%s%s %s\n", event->verb ? event->verb : "-",
                              event->secret ? " secret" : "",
                              event->truncated ? " truncated" : "",
                              event->truncated ? "" : event->line);
      break;
    case MSC_SMTP_SERVER_EVENT_REPLY:
      g_string_append_printf (log, "S %u %s\n", event->code, event->enhanced ? event->enhanced : "-");
      break;
    case MSC_SMTP_SERVER_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;
    case MSC_SMTP_SERVER_EVENT_STATE_CHANGED:
      g_string_append_printf (log, "STATE %s>%s\n",
                              msc_smtp_server_state_get_name (event->old_state),
                              msc_smtp_server_state_get_name (event->new_state));
      break;
    case MSC_SMTP_SERVER_EVENT_AUTHENTICATED:
      g_string_append_printf (log, "AUTH %s %s\n", event->user, event->mechanism);
      break;
    case MSC_SMTP_SERVER_EVENT_MESSAGE:
      g_string_append_printf (log, "MESSAGE <%s> %u %" G_GSIZE_FORMAT "\n", event->reverse_path,
                              event->recipients->len, g_bytes_get_size (event->message));
      break;
    case MSC_SMTP_SERVER_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %s\n", event->error ? event->error->message : "-");
      break;
    case MSC_SMTP_SERVER_N_EVENT_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Moves the output and the events out of the server, checking that the
 * REPLY events carry exactly the bytes that went out. */
static void
drain (MscSmtpServer *server,
       GString       *output,
       GString       *log,
       GPtrArray     *events)
{
  g_autoptr(GBytes) bytes = msc_smtp_server_take_output (server);
  g_autoptr(GString) replies = g_string_new (NULL);
  MscSmtpServerEvent *event;

  while ((event = msc_smtp_server_next_event (server)) != NULL)
    {
      if (event->kind == MSC_SMTP_SERVER_EVENT_REPLY)
        g_string_append_len (replies, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      log_event (log, event);
      if (events != NULL)
        g_ptr_array_add (events, event);
      else
        msc_smtp_server_event_free (event);
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
feed (MscSmtpServer *server,
      const guint8  *data,
      gsize          len,
      gboolean       trickle)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_smtp_server_is_closed (server); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_smtp_server_feed (server, data + i, MIN (step, len - i), &error))
        {
          /* Only an abnormal end fails a feed. */
          g_assert_true (msc_smtp_server_is_closed (server));
          g_assert_error (error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_TOO_MANY_ERRORS);
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
  STEP_STORED,
  STEP_STORE_FAILED,   /* value: the GIOErrorEnum */
  STEP_NOW,            /* value: seconds after T0 */
  STEP_CHECK_TIMEOUT,  /* value: what check_timeout() must return */
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
  MscSmtpServerState  final_state;
} Conversation;

#define SEND(s)           { STEP_SEND, s, sizeof (s) - 1, 0 }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0 }
#define STORED            { STEP_STORED, NULL, 0, 0 }
#define STORE_FAILED(e)   { STEP_STORE_FAILED, NULL, 0, e }
#define NOW(s)            { STEP_NOW, NULL, 0, s }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b }
#define END               { STEP_END, NULL, 0, 0 }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }

/* What the client says */
#define C_EHLO        "EHLO client.example.org\r\n"
#define C_QUIT        "QUIT\r\n"
#define C_MAIL        "MAIL FROM:<sender@remote.example>\r\n"
#define C_RCPT        "RCPT TO:<alice@example.com>\r\n"
#define C_BODY        "Subject: hi\r\n\r\nHello Alice.\r\n.\r\n"
#define PLAIN_ALICE   "AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA=="
#define LINE100       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
#define LINES1000     LINE100 LINE100 LINE100 LINE100 LINE100 LINE100 LINE100 LINE100 LINE100 LINE100

/* What the server says */
#define GREET_MX      "220 mx.example.com ESMTP Mailscope\r\n"
#define GREET_SUB     "220 smtp.example.com ESMTP Mailscope\r\n"
#define BYE_MX        "221 2.0.0 mx.example.com Service closing transmission channel\r\n"
#define BYE_SUB       "221 2.0.0 smtp.example.com Service closing transmission channel\r\n"
#define EHLO_HEAD(h)  "250-" h "\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
#define EHLO_TAIL     "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
#define R_STARTTLS    "250-STARTTLS\r\n"
#define R_AUTH        "250-AUTH PLAIN LOGIN\r\n"
#define EHLO_MX       EHLO_HEAD ("mx.example.com") R_STARTTLS EHLO_TAIL
#define EHLO_MX_PLAIN EHLO_HEAD ("mx.example.com") EHLO_TAIL
#define EHLO_MX_TLS   EHLO_HEAD ("mx.example.com") R_AUTH EHLO_TAIL
#define EHLO_SUB      EHLO_HEAD ("smtp.example.com") R_AUTH EHLO_TAIL
#define EHLO_SUB_PLAIN EHLO_HEAD ("smtp.example.com") R_STARTTLS EHLO_TAIL
#define EHLO_SUB_INSECURE EHLO_HEAD ("smtp.example.com") R_STARTTLS R_AUTH EHLO_TAIL
#define OK            "250 2.0.0 OK\r\n"
#define SENDER_OK     "250 2.1.0 Sender OK\r\n"
#define RCPT_OK       "250 2.1.5 Recipient OK\r\n"
#define GO_AHEAD      "354 End data with <CR><LF>.<CR><LF>\r\n"
#define ACCEPTED      "250 2.0.0 Message accepted for delivery\r\n"
#define AUTH_OK       "235 2.7.0 Authentication successful\r\n"
#define AUTH_BAD      "535 5.7.8 Authentication credentials invalid\r\n"
#define ASK_USER      "334 VXNlcm5hbWU6\r\n"
#define ASK_PASSWORD  "334 UGFzc3dvcmQ6\r\n"
#define BAD_SEQUENCE  "503 5.5.1 Send HELO/EHLO first\r\n"
#define UNKNOWN       "500 5.5.1 Command unrecognized\r\n"
#define TLS_GO        "220 2.0.0 Ready to start TLS\r\n"
#define TOO_BIG       "552 5.3.4 Message size exceeds fixed maximum message size\r\n"

#define DELIVERY      C_MAIL C_RCPT "DATA\r\n" C_BODY
#define DELIVERED     SENDER_OK RCPT_OK GO_AHEAD

static const Conversation conversations[] = {
  /* The basics */
  { "quit", MX, STEPS (SEND (C_QUIT)), GREET_MX BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "ehlo", MX, STEPS (SEND (C_EHLO C_QUIT)), GREET_MX EHLO_MX BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "ehlo-lower-case", MX, STEPS (SEND ("ehlo client.example.org\r\nquit\r\n")),
    GREET_MX EHLO_MX BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "ehlo-no-tls", MX_NO_TLS, STEPS (SEND (C_EHLO)), GREET_MX EHLO_MX_PLAIN, MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-implicit-tls", MX_TLS, STEPS (SEND (C_EHLO)), GREET_MX EHLO_MX_TLS, MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-submission", SUB, STEPS (SEND (C_EHLO)), GREET_SUB EHLO_SUB, MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-submission-plain", SUB_PLAIN, STEPS (SEND (C_EHLO)),
    GREET_SUB EHLO_SUB_PLAIN, MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-submission-insecure", SUB_INSECURE, STEPS (SEND (C_EHLO)),
    GREET_SUB EHLO_SUB_INSECURE, MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-address-literal", MX, STEPS (SEND ("EHLO [192.0.2.10]\r\n")), GREET_MX EHLO_MX,
    MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-syntax", MX,
    STEPS (SEND ("EHLO\r\nEHLO two words\r\nEHLO 例子.公司\r\nEHLO (evil)\r\nHELO\r\n")),
    GREET_MX "501 5.5.4 Syntax: EHLO hostname\r\n" "501 5.5.2 Invalid domain name\r\n"
    "501 5.5.2 Invalid domain name\r\n" "501 5.5.2 Invalid domain name\r\n"
    "501 5.5.4 Syntax: HELO hostname\r\n", MSC_SMTP_SERVER_STATE_HELO },
  { "helo", MX, STEPS (SEND ("HELO client.example.org\r\n" DELIVERY), STORED),
    GREET_MX "250 mx.example.com\r\n" DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },
  { "helo-no-extensions", MX,
    STEPS (SEND ("HELO client.example.org\r\nMAIL FROM:<a@b.example> SIZE=10\r\n"
                 "STARTTLS\r\nAUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET_MX "250 mx.example.com\r\n" "555 5.5.4 MAIL parameters need EHLO\r\n"
    "503 5.5.1 Send EHLO first\r\n" "503 5.5.1 Send EHLO first\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "noop-rset-vrfy-help", MX,
    STEPS (SEND ("NOOP\r\nNOOP anything\r\nRSET\r\nVRFY alice\r\nVRFY\r\nHELP\r\n" C_EHLO "HELP DATA\r\n")),
    GREET_MX OK OK OK
    "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
    "501 5.5.4 Syntax: VRFY address\r\n"
    "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS\r\n"
    "214 2.0.0 See RFC 5321 for what each one does\r\n"
    EHLO_MX
    "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS\r\n"
    "214 2.0.0 See RFC 5321 for what each one does\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "not-implemented", MX, STEPS (SEND (C_EHLO "EXPN staff\r\nBDAT 10 LAST\r\nETRN example.com\r\nTURN\r\n")),
    GREET_MX EHLO_MX "502 5.5.1 Command not implemented\r\n" "502 5.5.1 Command not implemented\r\n"
    "502 5.5.1 Command not implemented\r\n" "502 5.5.1 Command not implemented\r\n",
    MSC_SMTP_SERVER_STATE_READY },
  { "unknown", MX, STEPS (SEND ("FOO\r\nGET / HTTP/1.1\r\n NOOP\r\nMAIL-FROM:<a@b.c>\r\nNOOP\r\n")),
    GREET_MX UNKNOWN UNKNOWN UNKNOWN UNKNOWN OK, MSC_SMTP_SERVER_STATE_HELO },
  { "quit-then-nothing", MX, STEPS (SEND ("QUIT\r\nNOOP\r\nMAIL FROM:<a@b.c>\r\n")),
    GREET_MX BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "quit-syntax", MX, STEPS (SEND ("QUIT now\r\nRSET all\r\n" C_QUIT)),
    GREET_MX "501 5.5.4 Syntax: QUIT\r\n" "501 5.5.4 Syntax: RSET\r\n" BYE_MX,
    MSC_SMTP_SERVER_STATE_CLOSED },
  { "bare-lf-commands", MX, STEPS (SEND ("EHLO client.example.org\nNOOP\nQUIT\n")),
    GREET_MX EHLO_MX OK BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "trailing-spaces", MX, STEPS (SEND ("NOOP   \r\nRSET \t\r\n")), GREET_MX OK OK, MSC_SMTP_SERVER_STATE_HELO },

  /* Garbage */
  { "empty-line", MX, STEPS (SEND ("\r\n\n")),
    GREET_MX "500 5.5.2 Syntax error: empty command\r\n" "500 5.5.2 Syntax error: empty command\r\n",
    MSC_SMTP_SERVER_STATE_HELO },
  { "nul-byte", MX, STEPS (SEND ("NOOP\0\r\nEHLO client.example.org\0evil\r\nNOOP\r\n")),
    GREET_MX "500 5.5.2 Syntax error: NUL byte in command\r\n"
    "500 5.5.2 Syntax error: NUL byte in command\r\n" OK, MSC_SMTP_SERVER_STATE_HELO },
  { "binary-garbage", MX,
    STEPS (SEND ("\xff\xfe\xfd\r\n\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\x1b[31m\r\nNOOP\r\n")),
    GREET_MX "500 5.5.2 Syntax error: command is not UTF-8\r\n"
    "500 5.5.2 Syntax error: NUL byte in command\r\n"
    "500 5.5.2 Syntax error: control character in command\r\n" OK, MSC_SMTP_SERVER_STATE_HELO },
  { "too-many-errors", MX_STRICT, STEPS (SEND ("FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n")),
    GREET_MX UNKNOWN UNKNOWN UNKNOWN "421 4.7.0 mx.example.com Error: too many errors\r\n",
    MSC_SMTP_SERVER_STATE_CLOSED },

  /* Sequence */
  { "bad-sequence", MX,
    STEPS (SEND (C_MAIL C_RCPT "DATA\r\n" C_EHLO C_RCPT "DATA\r\n" C_MAIL C_MAIL "DATA\r\n")),
    GREET_MX BAD_SEQUENCE "503 5.5.1 Need MAIL before RCPT\r\n" "503 5.5.1 Need MAIL command\r\n"
    EHLO_MX "503 5.5.1 Need MAIL before RCPT\r\n" "503 5.5.1 Need MAIL command\r\n"
    SENDER_OK "503 5.5.1 Nested MAIL command\r\n" "554 5.5.1 No valid recipients\r\n",
    MSC_SMTP_SERVER_STATE_MAIL },
  { "rset-ends-transaction", MX, STEPS (SEND (C_EHLO C_MAIL C_RCPT "RSET\r\n" C_RCPT "DATA\r\n")),
    GREET_MX EHLO_MX SENDER_OK RCPT_OK OK "503 5.5.1 Need MAIL before RCPT\r\n"
    "503 5.5.1 Need MAIL command\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "ehlo-ends-transaction", MX, STEPS (SEND (C_EHLO C_MAIL C_EHLO C_RCPT)),
    GREET_MX EHLO_MX SENDER_OK EHLO_MX "503 5.5.1 Need MAIL before RCPT\r\n", MSC_SMTP_SERVER_STATE_READY },

  /* A delivery, and pipelining (RFC 2920) */
  { "delivery", MX,
    STEPS (SEND (C_EHLO), SEND (C_MAIL), SEND (C_RCPT), SEND ("DATA\r\n"), SEND (C_BODY), STORED,
           SEND (C_QUIT)),
    GREET_MX EHLO_MX DELIVERED ACCEPTED BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "pipelining", MX, STEPS (SEND (C_EHLO DELIVERY C_MAIL C_RCPT "DATA\r\n" C_BODY C_QUIT), STORED, STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED DELIVERED ACCEPTED BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "pipelined-rejections", MX,
    STEPS (SEND (C_EHLO C_MAIL "RCPT TO:<nobody@example.com>\r\nRCPT TO:<x@remote.example>\r\n"
                 C_RCPT "DATA\r\n" C_BODY "RSET\r\n")),
    GREET_MX EHLO_MX SENDER_OK "550 5.1.1 Mailbox unavailable\r\n" "550 5.7.1 Relay access denied\r\n"
    RCPT_OK GO_AHEAD, MSC_SMTP_SERVER_STATE_WAIT_STORE },
  { "dot-stuffing", MX, STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\n..\r\n...x\r\n.x\r\n.\r\n"), STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },
  { "empty-message", MX, STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\n.\r\n"), STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },
  { "null-sender", MX, STEPS (SEND (C_EHLO "MAIL FROM:<>\r\n" C_RCPT)),
    GREET_MX EHLO_MX SENDER_OK RCPT_OK, MSC_SMTP_SERVER_STATE_RCPT },
  { "data-syntax", MX, STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA now\r\n")),
    GREET_MX EHLO_MX SENDER_OK RCPT_OK "501 5.5.4 Syntax: DATA\r\n", MSC_SMTP_SERVER_STATE_RCPT },
  /* "\n.\n" and "\n.\r\n" end nothing (SMTP smuggling): only CRLF.CRLF does */
  { "smuggling", MX,
    STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\nhello\n.\nMAIL FROM:<evil@x.example>\n.\r\nRCPT TO:<bob@example.com>\r\n.\r\n"),
           STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },

  /* Addresses */
  { "address-syntax", MX,
    STEPS (SEND (C_EHLO "MAIL\r\nMAIL TO:<a@b.example>\r\nMAIL FROM:a@b.example\r\nMAIL FROM:<a@b.example\r\n"
                 "MAIL FROM:<a..b@c.example>\r\nMAIL FROM:<a@-b.example>\r\nMAIL FROM:<a@b.example>x\r\n"
                 "MAIL FROM: <a@b.example>\r\nRCPT\r\nRCPT TO:<postmaster>x\r\nRCPT TO:<a@@example.com>\r\n"
                 "RCPT TO:<>\r\nRCPT TO:<alice>\r\n")),
    GREET_MX EHLO_MX "501 5.5.4 Syntax: MAIL FROM:<address>\r\n" "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
    "501 5.1.7 Bad sender address syntax\r\n" "501 5.1.7 Bad sender address syntax\r\n"
    "501 5.1.7 Bad sender address syntax\r\n" "501 5.1.7 Bad sender address syntax\r\n"
    "501 5.1.7 Bad sender address syntax\r\n" SENDER_OK "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
    "501 5.1.3 Bad recipient address syntax\r\n" "501 5.1.3 Bad recipient address syntax\r\n"
    "501 5.1.3 Bad recipient address syntax\r\n" "501 5.1.3 Bad recipient address syntax\r\n",
    MSC_SMTP_SERVER_STATE_MAIL },
  { "address-forms", MX,
    STEPS (SEND (C_EHLO "MAIL FROM:<\"john smith\"@remote.example>\r\n"
                 "RCPT TO:<@relay.example,@two.example:alice@example.com>\r\n"
                 "RCPT TO:<Postmaster>\r\nRCPT TO:<postmaster@EXAMPLE.COM>\r\nRSET\r\n"
                 "MAIL FROM:<user@[192.0.2.10]>\r\n")),
    GREET_MX EHLO_MX SENDER_OK RCPT_OK RCPT_OK RCPT_OK OK SENDER_OK, MSC_SMTP_SERVER_STATE_MAIL },

  /* MAIL parameters (RFC 1870, 6152, 6531, 4954 §5) */
  { "mail-parameters", MX,
    STEPS (SEND (C_EHLO "MAIL FROM:<a@b.example> FOO=1\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\n"
                 "MAIL FROM:<a@b.example> SIZE=abc\r\nMAIL FROM:<a@b.example> SIZE=\r\n"
                 "MAIL FROM:<a@b.example> SMTPUTF8=yes\r\nMAIL FROM:<a@b.example> SIZE=1 SIZE=2\r\n"
                 "MAIL FROM:<a@b.example> =x\r\nMAIL FROM:<a@b.example> AUTH=<>\r\n"
                 "MAIL FROM:<a@b.example>  size=1000  body=8bitmime smtputf8\r\n"
                 "RCPT TO:<alice@example.com> NOTIFY=NEVER\r\n")),
    GREET_MX EHLO_MX "555 5.5.4 Unsupported MAIL parameter\r\n" "555 5.5.4 Unsupported BODY type\r\n"
    "501 5.5.4 Bad SIZE parameter\r\n" "501 5.5.4 Syntax error in MAIL parameters\r\n"
    "501 5.5.4 Bad SMTPUTF8 parameter\r\n" "501 5.5.4 Bad SIZE parameter\r\n"
    "501 5.5.4 Syntax error in MAIL parameters\r\n" "555 5.5.4 Unsupported MAIL parameter\r\n"
    SENDER_OK "555 5.5.4 Unsupported RCPT parameter\r\n", MSC_SMTP_SERVER_STATE_MAIL },
  { "mail-auth-parameter", MX_TLS, STEPS (SEND (C_EHLO "MAIL FROM:<a@b.example> AUTH=<>\r\n")),
    GREET_MX EHLO_MX_TLS SENDER_OK, MSC_SMTP_SERVER_STATE_MAIL },
  { "size-at-mail", MX,
    STEPS (SEND (C_EHLO "MAIL FROM:<a@b.example> SIZE=1001\r\n"
                 "MAIL FROM:<a@b.example> SIZE=99999999999999999999\r\n"
                 "MAIL FROM:<a@b.example> SIZE=1000\r\n")),
    GREET_MX EHLO_MX TOO_BIG TOO_BIG SENDER_OK, MSC_SMTP_SERVER_STATE_MAIL },
  { "size-exact", MX, STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\n" LINES1000 ".\r\n"), STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },
  { "size-at-end-of-data", MX,
    STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\n" LINES1000 "x\r\n.\r\n" C_RCPT)),
    GREET_MX EHLO_MX DELIVERED TOO_BIG "503 5.5.1 Need MAIL before RCPT\r\n", MSC_SMTP_SERVER_STATE_READY },

  /* Recipients */
  { "relay-refused", MX, STEPS (SEND (C_EHLO C_MAIL "RCPT TO:<friend@remote.example>\r\n")),
    GREET_MX EHLO_MX SENDER_OK "550 5.7.1 Relay access denied\r\n", MSC_SMTP_SERVER_STATE_MAIL },
  { "unknown-mailbox", MX, STEPS (SEND (C_EHLO C_MAIL "RCPT TO:<nobody@example.com>\r\n")),
    GREET_MX EHLO_MX SENDER_OK "550 5.1.1 Mailbox unavailable\r\n", MSC_SMTP_SERVER_STATE_MAIL },
  { "too-many-recipients", MX,
    STEPS (SEND (C_EHLO C_MAIL C_RCPT "RCPT TO:<bob@example.com>\r\nRCPT TO:<Alice@Example.COM>\r\n"
                 "RCPT TO:<bob@example.com>\r\n")),
    GREET_MX EHLO_MX SENDER_OK RCPT_OK RCPT_OK RCPT_OK "452 4.5.3 Too many recipients\r\n",
    MSC_SMTP_SERVER_STATE_RCPT },
  { "authenticated-relay", MX_TLS,
    STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nMAIL FROM:<alice@example.com>\r\n"
                 "RCPT TO:<friend@remote.example>\r\n")),
    GREET_MX EHLO_MX_TLS AUTH_OK SENDER_OK RCPT_OK, MSC_SMTP_SERVER_STATE_RCPT },

  /* SMTPUTF8 (RFC 6531 §3.5: 550 at MAIL, 553 at RCPT) */
  { "smtputf8", MX,
    STEPS (SEND (C_EHLO "MAIL FROM:<李四@示例.中国> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<张三@例子.公司>\r\n"
                 "DATA\r\nFrom: 李四 <李四@示例.中国>\r\nTo: 张三 <张三@例子.公司>\r\nSubject: 你好\r\n\r\n"
                 "周末见。\r\n.\r\n"), STORED),
    GREET_MX EHLO_MX DELIVERED ACCEPTED, MSC_SMTP_SERVER_STATE_READY },
  { "smtputf8-missing", MX,
    STEPS (SEND (C_EHLO "MAIL FROM:<李四@示例.中国>\r\n" C_MAIL "RCPT TO:<张三@例子.公司>\r\n")),
    GREET_MX EHLO_MX "550 5.6.7 Non-ASCII addresses not permitted for that sender\r\n" SENDER_OK
    "553 5.6.7 Non-ASCII addresses not permitted for that recipient\r\n", MSC_SMTP_SERVER_STATE_MAIL },

  /* AUTH (RFC 4954, RFC 4616) */
  { "auth-plain-initial", SUB,
    STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nMAIL FROM:<alice@example.com>\r\n"
                 "RCPT TO:<friend@remote.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n" C_BODY),
           STORED, SEND (C_QUIT)),
    GREET_SUB EHLO_SUB AUTH_OK SENDER_OK RCPT_OK RCPT_OK GO_AHEAD ACCEPTED BYE_SUB,
    MSC_SMTP_SERVER_STATE_CLOSED },
  { "auth-plain-challenge", SUB, STEPS (SEND (C_EHLO "AUTH PLAIN\r\n" PLAIN_ALICE "\r\n")),
    GREET_SUB EHLO_SUB "334 \r\n" AUTH_OK, MSC_SMTP_SERVER_STATE_READY },
  { "auth-plain-wrong", SUB,
    STEPS (SEND (C_EHLO "AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n\r\n"
                 "AUTH PLAIN AGJvYkBleGFtcGxlLmNvbQBodW50ZXIy\r\n")),
    GREET_SUB EHLO_SUB AUTH_BAD AUTH_OK, MSC_SMTP_SERVER_STATE_READY },
  { "auth-plain-malformed", SUB,
    STEPS (SEND (C_EHLO "AUTH PLAIN =\r\nAUTH PLAIN YWxpY2U=\r\n"
                 "AUTH PLAIN Ym9iQGV4YW1wbGUuY29tAGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n")),
    GREET_SUB EHLO_SUB AUTH_BAD AUTH_BAD AUTH_BAD, MSC_SMTP_SERVER_STATE_READY },
  { "auth-login", SUB, STEPS (SEND (C_EHLO "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\nc2VjcmV0\r\n")),
    GREET_SUB EHLO_SUB ASK_USER ASK_PASSWORD AUTH_OK, MSC_SMTP_SERVER_STATE_READY },
  { "auth-login-initial", SUB, STEPS (SEND (C_EHLO "auth login YWxpY2VAZXhhbXBsZS5jb20=\r\nc2VjcmV0\r\n")),
    GREET_SUB EHLO_SUB ASK_PASSWORD AUTH_OK, MSC_SMTP_SERVER_STATE_READY },
  { "auth-login-wrong", SUB, STEPS (SEND (C_EHLO "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\nd3Jvbmc=\r\n")),
    GREET_SUB EHLO_SUB ASK_USER ASK_PASSWORD AUTH_BAD, MSC_SMTP_SERVER_STATE_READY },
  { "auth-cancel", SUB,
    STEPS (SEND (C_EHLO "AUTH LOGIN\r\n*\r\nAUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\n*\r\nAUTH PLAIN\r\n*\r\nNOOP\r\n")),
    GREET_SUB EHLO_SUB ASK_USER "501 5.0.0 Authentication cancelled\r\n" ASK_USER ASK_PASSWORD
    "501 5.0.0 Authentication cancelled\r\n" "334 \r\n" "501 5.0.0 Authentication cancelled\r\n" OK,
    MSC_SMTP_SERVER_STATE_READY },
  { "auth-bad-base64", SUB,
    STEPS (SEND (C_EHLO "AUTH PLAIN\r\nnot base64!\r\nAUTH PLAIN @@@@\r\nAUTH LOGIN YWxp\r\n*\r\n"
                 "AUTH PLAIN\r\nAGFs=WNlQGV4\r\nAUTH PLAIN\r\nAGFs\0aWNl\r\n")),
    GREET_SUB EHLO_SUB "334 \r\n" "501 5.5.2 Cannot Base64-decode Client responses\r\n"
    "501 5.5.2 Cannot Base64-decode Client responses\r\n" ASK_PASSWORD "501 5.0.0 Authentication cancelled\r\n"
    "334 \r\n" "501 5.5.2 Cannot Base64-decode Client responses\r\n"
    "334 \r\n" "501 5.5.2 Cannot Base64-decode Client responses\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "auth-syntax", SUB, STEPS (SEND (C_EHLO "AUTH\r\nAUTH PLAIN a b\r\nAUTH CRAM-MD5\r\n")),
    GREET_SUB EHLO_SUB "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n"
    "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n" "504 5.5.4 Unrecognized authentication type\r\n",
    MSC_SMTP_SERVER_STATE_READY },
  { "auth-twice", SUB, STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nAUTH LOGIN\r\n")),
    GREET_SUB EHLO_SUB AUTH_OK "503 5.5.1 Already authenticated\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "auth-in-transaction", MX_TLS, STEPS (SEND (C_EHLO C_MAIL "AUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET_MX EHLO_MX_TLS SENDER_OK "503 5.5.1 AUTH not permitted during a mail transaction\r\n",
    MSC_SMTP_SERVER_STATE_MAIL },
  { "auth-before-ehlo", SUB, STEPS (SEND ("AUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET_SUB "503 5.5.1 Send EHLO first\r\n", MSC_SMTP_SERVER_STATE_HELO },
  { "auth-insecure-refused", SUB_PLAIN, STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nAUTH LOGIN\r\n")),
    GREET_SUB EHLO_SUB_PLAIN "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
    "538 5.7.11 Encryption required for requested authentication mechanism\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "auth-insecure-allowed", SUB_INSECURE, STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\n")),
    GREET_SUB EHLO_SUB_INSECURE AUTH_OK, MSC_SMTP_SERVER_STATE_READY },
  { "auth-chinese", SUB, STEPS (SEND (C_EHLO "AUTH PLAIN AOW8oOS4iUDkvovlrZAu5YWs5Y+4AOWvhueggQ==\r\n")),
    GREET_SUB EHLO_SUB AUTH_OK, MSC_SMTP_SERVER_STATE_READY },

  /* Submission (RFC 6409) */
  { "submission-needs-auth", SUB, STEPS (SEND (C_EHLO "MAIL FROM:<alice@example.com>\r\n")),
    GREET_SUB EHLO_SUB "530 5.7.0 Authentication required\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "submission-sender-check", SUB,
    STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nMAIL FROM:<bob@example.com>\r\nMAIL FROM:<>\r\n"
                 "MAIL FROM:<Alice@Example.COM>\r\nRCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\n")),
    GREET_SUB EHLO_SUB AUTH_OK
    "553 5.7.1 Sender address rejected: not owned by the authenticated user\r\n"
    "553 5.7.1 Sender address rejected: not owned by the authenticated user\r\n"
    SENDER_OK "550 5.1.1 Mailbox unavailable\r\n" RCPT_OK, MSC_SMTP_SERVER_STATE_RCPT },

  /* STARTTLS (RFC 3207) */
  { "starttls", MX, STEPS (SEND (C_EHLO "STARTTLS\r\n"), TLS_STARTED, SEND (C_EHLO C_QUIT)),
    GREET_MX EHLO_MX TLS_GO EHLO_MX_TLS BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "starttls-injection", MX,
    STEPS (SEND (C_EHLO "STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n" C_RCPT),
           SEND ("DATA\r\n"), TLS_STARTED, SEND (C_MAIL C_EHLO C_RCPT C_QUIT)),
    GREET_MX EHLO_MX TLS_GO BAD_SEQUENCE EHLO_MX_TLS "503 5.5.1 Need MAIL before RCPT\r\n" BYE_MX,
    MSC_SMTP_SERVER_STATE_CLOSED },
  { "starttls-partial-injection", MX,
    STEPS (SEND (C_EHLO "STARTTLS\r\nNO"), TLS_STARTED, SEND ("OP\r\n")),
    GREET_MX EHLO_MX TLS_GO UNKNOWN, MSC_SMTP_SERVER_STATE_HELO },
  { "starttls-refused", MX,
    STEPS (SEND ("STARTTLS\r\n" C_EHLO "STARTTLS now\r\n"), SEND ("STARTTLS\r\n"), TLS_STARTED,
           SEND (C_EHLO "STARTTLS\r\n")),
    GREET_MX "503 5.5.1 Send EHLO first\r\n" EHLO_MX "501 5.5.4 Syntax error (no parameters allowed)\r\n"
    TLS_GO EHLO_MX_TLS "503 5.5.1 TLS already active\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "starttls-unavailable", MX_NO_TLS, STEPS (SEND (C_EHLO "STARTTLS\r\n")),
    GREET_MX EHLO_MX_PLAIN "502 5.5.1 STARTTLS not available\r\n", MSC_SMTP_SERVER_STATE_READY },
  { "starttls-forgets-auth", SUB_INSECURE,
    STEPS (SEND (C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nMAIL FROM:<alice@example.com>\r\nSTARTTLS\r\n"),
           TLS_STARTED, SEND (C_EHLO "MAIL FROM:<alice@example.com>\r\n" C_RCPT)),
    GREET_SUB EHLO_SUB_INSECURE AUTH_OK SENDER_OK TLS_GO EHLO_SUB "530 5.7.0 Authentication required\r\n"
    "503 5.5.1 Need MAIL before RCPT\r\n", MSC_SMTP_SERVER_STATE_READY },

  /* The reply to DATA waits for the store */
  { "store-failed", MX,
    STEPS (SEND (C_EHLO DELIVERY C_QUIT), STORE_FAILED (G_IO_ERROR_FAILED)),
    GREET_MX EHLO_MX DELIVERED "451 4.3.0 Local error in processing\r\n" BYE_MX, MSC_SMTP_SERVER_STATE_CLOSED },
  { "store-no-space", MX,
    STEPS (SEND (C_EHLO DELIVERY), STORE_FAILED (G_IO_ERROR_NO_SPACE), SEND (DELIVERY), STORED),
    GREET_MX EHLO_MX DELIVERED "452 4.3.1 Insufficient system storage\r\n" DELIVERED ACCEPTED,
    MSC_SMTP_SERVER_STATE_READY },
  { "store-too-large", MX, STEPS (SEND (C_EHLO DELIVERY), STORE_FAILED (G_IO_ERROR_MESSAGE_TOO_LARGE)),
    GREET_MX EHLO_MX DELIVERED "552 5.3.4 Message too big for system\r\n", MSC_SMTP_SERVER_STATE_READY },

  /* Timeouts (RFC 5321 §4.5.3.2.7) */
  { "timeout-idle", MX,
    STEPS (SEND (C_EHLO), NOW (299), CHECK_TIMEOUT (FALSE), NOW (300), CHECK_TIMEOUT (TRUE)),
    GREET_MX EHLO_MX "421 4.4.2 mx.example.com Error: timeout exceeded\r\n", MSC_SMTP_SERVER_STATE_CLOSED },
  { "timeout-greeting", MX, STEPS (NOW (301), CHECK_TIMEOUT (TRUE), CHECK_TIMEOUT (FALSE)),
    GREET_MX "421 4.4.2 mx.example.com Error: timeout exceeded\r\n", MSC_SMTP_SERVER_STATE_CLOSED },
  { "timeout-activity", MX,
    STEPS (NOW (200), SEND ("NOOP\r\n"), NOW (450), CHECK_TIMEOUT (FALSE), NOW (500), CHECK_TIMEOUT (TRUE)),
    GREET_MX OK "421 4.4.2 mx.example.com Error: timeout exceeded\r\n", MSC_SMTP_SERVER_STATE_CLOSED },
  { "timeout-data", MX,
    STEPS (SEND (C_EHLO C_MAIL C_RCPT "DATA\r\nSubject: x\r\n"), NOW (299), CHECK_TIMEOUT (FALSE),
           SEND ("more\r\n"), NOW (598), CHECK_TIMEOUT (FALSE), NOW (599), CHECK_TIMEOUT (TRUE)),
    GREET_MX EHLO_MX DELIVERED "421 4.4.2 mx.example.com Error: timeout exceeded\r\n",
    MSC_SMTP_SERVER_STATE_CLOSED },
  { "timeout-not-while-storing", MX,
    STEPS (SEND (C_EHLO DELIVERY), NOW (3600), CHECK_TIMEOUT (FALSE), STORED, CHECK_TIMEOUT (FALSE),
           NOW (3900), CHECK_TIMEOUT (TRUE)),
    GREET_MX EHLO_MX DELIVERED ACCEPTED "421 4.4.2 mx.example.com Error: timeout exceeded\r\n",
    MSC_SMTP_SERVER_STATE_CLOSED },
  { "timeout-not-during-handshake", MX,
    STEPS (SEND (C_EHLO "STARTTLS\r\n"), NOW (3600), CHECK_TIMEOUT (FALSE), TLS_STARTED,
           NOW (3899), CHECK_TIMEOUT (FALSE), NOW (3900), CHECK_TIMEOUT (TRUE)),
    GREET_MX EHLO_MX TLS_GO "421 4.4.2 mx.example.com Error: timeout exceeded\r\n",
    MSC_SMTP_SERVER_STATE_CLOSED },
};

static void
run_conversation (Fixture            *fixture,
                  const Conversation *conversation,
                  gboolean            trickle,
                  GString            *output,
                  GString            *log)
{
  g_autoptr(MscSmtpServer) server = start_server (fixture, conversation->variant);

  drain (server, output, log, NULL);

  for (const Step *step = conversation->steps; step->kind != STEP_END; step++)
    {
      switch (step->kind)
        {
        case STEP_SEND:
          feed (server, (const guint8 *) step->data, step->len, trickle);
          break;

        case STEP_TLS_STARTED:
          msc_smtp_server_tls_started (server);
          break;

        case STEP_STORED:
          msc_smtp_server_message_done (server, NULL);
          break;

        case STEP_STORE_FAILED:
          {
            g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, step->value, "磁盘出错了");

            msc_smtp_server_message_done (server, error);
          }
          break;

        case STEP_NOW:
          msc_smtp_server_set_now (server, T0 + step->value * G_USEC_PER_SEC);
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_smtp_server_check_timeout (server), ==, step->value);
          break;

        case STEP_END:
        default:
          g_assert_not_reached ();
        }

      drain (server, output, log, NULL);
    }

  g_assert_cmpstr (msc_smtp_server_state_get_name (msc_smtp_server_get_state (server)), ==,
                   msc_smtp_server_state_get_name (conversation->final_state));
  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
test_conversation (Fixture       *fixture,
                   gconstpointer  data)
{
  const Conversation *conversation = data;
  g_autoptr(GString) whole_output = g_string_new (NULL);
  g_autoptr(GString) whole_log = g_string_new (NULL);
  g_autoptr(GString) trickled_output = g_string_new (NULL);
  g_autoptr(GString) trickled_log = g_string_new (NULL);

  run_conversation (fixture, conversation, FALSE, whole_output, whole_log);
  g_test_message ("events:\n%s", whole_log->str);
  g_assert_cmpstr (whole_output->str, ==, conversation->expected);

  run_conversation (fixture, conversation, TRUE, trickled_output, trickled_log);
  g_assert_cmpstr (trickled_output->str, ==, conversation->expected);
  g_assert_cmpstr (trickled_log->str, ==, whole_log->str);
}

/* ---- Events ---- */

/* Runs a conversation, whole or trickled, and keeps its events. */
static GPtrArray *
collect (Fixture    *fixture,
         Variant     variant,
         const char *input,
         gsize       len,
         gboolean    trickle,
         GString    *output)
{
  g_autoptr(MscSmtpServer) server = start_server (fixture, variant);
  g_autoptr(GString) log = g_string_new (NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_server_event_free);

  feed (server, (const guint8 *) input, len, trickle);
  drain (server, output, log, events);
  if (msc_smtp_server_get_state (server) == MSC_SMTP_SERVER_STATE_WAIT_STORE)
    {
      msc_smtp_server_message_done (server, NULL);
      drain (server, output, log, events);
    }

  g_assert_finalize_object (g_steal_pointer (&server));

  return events;
}

static const MscSmtpServerEvent *
find_event (GPtrArray              *events,
            MscSmtpServerEventKind  kind,
            guint                   nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscSmtpServerEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && nth-- == 0)
        return event;
    }

  return NULL;
}

static void
assert_recipient (const MscSmtpServerEvent *message,
                  guint                     i,
                  const char               *address,
                  gboolean                  local)
{
  const MscSmtpRecipient *recipient = g_ptr_array_index (message->recipients, i);

  g_assert_cmpstr (recipient->address, ==, address);
  g_assert_cmpint (recipient->local, ==, local);
}

static void
test_message_event (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] =
    C_EHLO "MAIL FROM:<sender@remote.example> BODY=8BITMIME\r\n" C_RCPT
    "DATA\r\nSubject: dots\r\n\r\n..\r\n...x\r\n.x\r\nbare\nline\r\n\r\n.\r\n"
    "MAIL FROM:<>\r\n" C_RCPT "RCPT TO:<bob@example.com>\r\nDATA\r\n.\r\n";

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GPtrArray) events = collect (fixture, MX, input, sizeof input - 1, trickle, output);
      const MscSmtpServerEvent *message = find_event (events, MSC_SMTP_SERVER_EVENT_MESSAGE, 0);
      const MscSmtpServerEvent *second = find_event (events, MSC_SMTP_SERVER_EVENT_MESSAGE, 1);

      g_assert_nonnull (message);
      g_assert_cmpstr (message->reverse_path, ==, "sender@remote.example");
      g_assert_cmpuint (message->recipients->len, ==, 1);
      assert_recipient (message, 0, "alice@example.com", TRUE);
      g_assert_true (message->body_8bitmime);
      g_assert_false (message->smtputf8);
      g_assert_null (message->user);
      /* Unstuffed, bare LF stored as CRLF, terminator not included */
      g_assert_cmpmem (g_bytes_get_data (message->message, NULL), g_bytes_get_size (message->message),
                       "Subject: dots\r\n\r\n.\r\n..x\r\nx\r\nbare\r\nline\r\n\r\n", 42);
      g_assert_cmpstr (message->received, ==,
                       "Received: from client.example.org (client.example.net [192.0.2.10])\r\n"
                       "\tby mx.example.com with ESMTP\r\n"
                       "\tfor <alice@example.com>; Thu, 1 Jan 2026 00:00:00 +0000\r\n");

      /* Several recipients: no "for", which would disclose Bcc */
      g_assert_nonnull (second);
      g_assert_cmpstr (second->reverse_path, ==, "");
      g_assert_cmpuint (second->recipients->len, ==, 2);
      assert_recipient (second, 0, "alice@example.com", TRUE);
      assert_recipient (second, 1, "bob@example.com", TRUE);
      g_assert_cmpuint (g_bytes_get_size (second->message), ==, 0);
      g_assert_cmpstr (second->received, ==,
                       "Received: from client.example.org (client.example.net [192.0.2.10])\r\n"
                       "\tby mx.example.com with ESMTP; Thu, 1 Jan 2026 00:00:00 +0000\r\n");
    }
}

static void
test_smtputf8_event (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] =
    C_EHLO "MAIL FROM:<李四@示例.中国> SMTPUTF8\r\nRCPT TO:<张三@例子.公司>\r\n"
    "DATA\r\nSubject: 你好\r\n\r\n周末见。\r\n.\r\n";

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GPtrArray) events = collect (fixture, MX, input, sizeof input - 1, trickle, output);
      const MscSmtpServerEvent *message = find_event (events, MSC_SMTP_SERVER_EVENT_MESSAGE, 0);

      g_assert_nonnull (message);
      g_assert_true (message->smtputf8);
      g_assert_cmpstr (message->reverse_path, ==, "李四@示例.中国");
      assert_recipient (message, 0, "张三@例子.公司", TRUE);
      g_assert_cmpmem (g_bytes_get_data (message->message, NULL), g_bytes_get_size (message->message),
                       "Subject: 你好\r\n\r\n周末见。\r\n", strlen ("Subject: 你好\r\n\r\n周末见。\r\n"));
      g_assert_cmpstr (message->received, ==,
                       "Received: from client.example.org (client.example.net [192.0.2.10])\r\n"
                       "\tby mx.example.com with UTF8SMTP\r\n"
                       "\tfor <张三@例子.公司>; Thu, 1 Jan 2026 00:00:00 +0000\r\n");
    }
}

/* Secrets are marked, the user is known, and the trace says ESMTPSA. */
static void
test_auth_events (Fixture       *fixture,
                  gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] =
    C_EHLO "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\nc2VjcmV0\r\n"
    "MAIL FROM:<alice@example.com>\r\nRCPT TO:<friend@remote.example>\r\nDATA\r\nhi\r\n.\r\n";
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (fixture, SUB, input, sizeof input - 1, FALSE, output);
  const MscSmtpServerEvent *auth = find_event (events, MSC_SMTP_SERVER_EVENT_COMMAND, 1);
  const MscSmtpServerEvent *user = find_event (events, MSC_SMTP_SERVER_EVENT_COMMAND, 2);
  const MscSmtpServerEvent *password = find_event (events, MSC_SMTP_SERVER_EVENT_COMMAND, 3);
  const MscSmtpServerEvent *mail = find_event (events, MSC_SMTP_SERVER_EVENT_COMMAND, 4);
  const MscSmtpServerEvent *authenticated = find_event (events, MSC_SMTP_SERVER_EVENT_AUTHENTICATED, 0);
  const MscSmtpServerEvent *message = find_event (events, MSC_SMTP_SERVER_EVENT_MESSAGE, 0);

  g_assert_cmpstr (auth->verb, ==, "AUTH");
  g_assert_false (auth->secret);
  g_assert_null (user->verb);
  g_assert_true (user->secret);
  g_assert_cmpstr (user->line, ==, "YWxpY2VAZXhhbXBsZS5jb20=");
  g_assert_null (password->verb);
  g_assert_true (password->secret);
  g_assert_cmpmem (g_bytes_get_data (password->wire, NULL), g_bytes_get_size (password->wire),
                   "c2VjcmV0\r\n", 10);
  g_assert_cmpstr (mail->verb, ==, "MAIL");
  g_assert_false (mail->secret);

  g_assert_cmpstr (authenticated->user, ==, "alice@example.com");
  g_assert_cmpstr (authenticated->mechanism, ==, "LOGIN");

  g_assert_cmpstr (message->user, ==, "alice@example.com");
  assert_recipient (message, 0, "friend@remote.example", FALSE);
  g_assert_cmpstr (message->received, ==,
                   "Received: from client.example.org (client.example.net [192.0.2.10])\r\n"
                   "\tby smtp.example.com with ESMTPSA\r\n"
                   "\tfor <friend@remote.example>; Thu, 1 Jan 2026 00:00:00 +0000\r\n");

  /* An initial response is a secret on the command line itself */
  {
    static const char plain[] = C_EHLO "AUTH PLAIN " PLAIN_ALICE "\r\n";
    g_autoptr(GString) output2 = g_string_new (NULL);
    g_autoptr(GPtrArray) events2 = collect (fixture, SUB, plain, sizeof plain - 1, FALSE, output2);
    const MscSmtpServerEvent *command = find_event (events2, MSC_SMTP_SERVER_EVENT_COMMAND, 1);

    g_assert_cmpstr (command->verb, ==, "AUTH");
    g_assert_true (command->secret);
    authenticated = find_event (events2, MSC_SMTP_SERVER_EVENT_AUTHENTICATED, 0);
    g_assert_cmpstr (authenticated->mechanism, ==, "PLAIN");
  }
}

static void
test_reply_events (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] = C_EHLO "HELP\r\nFOO\r\n";
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (fixture, MX, input, sizeof input - 1, FALSE, output);
  const MscSmtpServerEvent *greeting = find_event (events, MSC_SMTP_SERVER_EVENT_REPLY, 0);
  const MscSmtpServerEvent *ehlo = find_event (events, MSC_SMTP_SERVER_EVENT_REPLY, 1);
  const MscSmtpServerEvent *help = find_event (events, MSC_SMTP_SERVER_EVENT_REPLY, 2);
  const MscSmtpServerEvent *unknown = find_event (events, MSC_SMTP_SERVER_EVENT_REPLY, 3);

  /* RFC 2034 §4: no enhanced code on the greeting and the EHLO reply */
  g_assert_cmpuint (greeting->code, ==, 220);
  g_assert_null (greeting->enhanced);
  g_assert_cmpstr (greeting->text, ==, "mx.example.com ESMTP Mailscope");
  g_assert_null (ehlo->enhanced);
  g_assert_true (g_str_has_prefix (ehlo->text, "mx.example.com\nPIPELINING\nSIZE 1000\n"));
  g_assert_cmpuint (help->code, ==, 214);
  g_assert_cmpstr (help->enhanced, ==, "2.0.0");
  g_assert_cmpstr (help->text, ==,
                   "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS\n"
                   "See RFC 5321 for what each one does");
  g_assert_cmpuint (unknown->code, ==, 500);
  g_assert_cmpstr (unknown->enhanced, ==, "5.5.1");
  g_assert_cmpmem (g_bytes_get_data (unknown->wire, NULL), g_bytes_get_size (unknown->wire),
                   UNKNOWN, strlen (UNKNOWN));
}

static void
test_nul_command_event (Fixture       *fixture,
                        gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] = "NO\0OP\r\n";
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (fixture, MX, input, sizeof input - 1, FALSE, output);
  const MscSmtpServerEvent *command = find_event (events, MSC_SMTP_SERVER_EVENT_COMMAND, 0);

  g_assert_null (command->verb);
  g_assert_cmpstr (command->line, ==, "NO\xEF\xBF\xBDOP");
  g_assert_cmpmem (g_bytes_get_data (command->wire, NULL), g_bytes_get_size (command->wire),
                   "NO\0OP\r\n", 7);
}

static void
test_state_events (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  static const char input[] = C_EHLO DELIVERY "STARTTLS\r\n";
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) states = g_string_new (NULL);
  g_autoptr(GPtrArray) events = collect (fixture, MX, input, sizeof input - 1, FALSE, output);

  for (guint i = 0; i < events->len; i++)
    {
      const MscSmtpServerEvent *event = g_ptr_array_index (events, i);

      if (event->kind == MSC_SMTP_SERVER_EVENT_STATE_CHANGED)
        g_string_append_printf (states, "%s ", msc_smtp_server_state_get_name (event->new_state));
      if (event->kind == MSC_SMTP_SERVER_EVENT_STARTTLS)
        {
          const MscSmtpServerEvent *before = g_ptr_array_index (events, i - 2);

          /* Raised after the 220 went out */
          g_assert_cmpint (before->kind, ==, MSC_SMTP_SERVER_EVENT_REPLY);
          g_assert_cmpuint (before->code, ==, 220);
        }
    }

  g_assert_cmpstr (states->str, ==, "helo ready mail rcpt data wait-store ready starttls ");
}

static void
test_names (void)
{
  g_assert_cmpstr (msc_smtp_server_state_get_name (MSC_SMTP_SERVER_STATE_GREETING), ==, "greeting");
  g_assert_cmpstr (msc_smtp_server_state_get_name (MSC_SMTP_SERVER_STATE_WAIT_STORE), ==, "wait-store");
  g_assert_cmpstr (msc_smtp_server_state_get_name (MSC_SMTP_SERVER_STATE_CLOSED), ==, "closed");
  g_assert_cmpstr (msc_smtp_server_event_kind_get_name (MSC_SMTP_SERVER_EVENT_COMMAND), ==, "command");
  g_assert_cmpstr (msc_smtp_server_event_kind_get_name (MSC_SMTP_SERVER_EVENT_STATE_CHANGED), ==,
                   "state-changed");
  g_assert_cmpstr (msc_smtp_server_event_kind_get_name (MSC_SMTP_SERVER_EVENT_CLOSED), ==, "closed");
}

/* ---- Limits ---- */

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

static void
run_limit_case (Fixture    *fixture,
                Variant     variant,
                GByteArray *input,
                const char *expected,
                const char *expected_log_part)
{
  g_autofree char *first_log = NULL;

  for (guint trickle = 0; trickle < 2; trickle++)
    {
      g_autoptr(MscSmtpServer) server = start_server (fixture, variant);
      g_autoptr(GString) output = g_string_new (NULL);
      g_autoptr(GString) log = g_string_new (NULL);

      feed (server, input->data, input->len, trickle);
      drain (server, output, log, NULL);
      if (msc_smtp_server_get_state (server) == MSC_SMTP_SERVER_STATE_WAIT_STORE)
        {
          msc_smtp_server_message_done (server, NULL);
          drain (server, output, log, NULL);
        }

      g_assert_cmpstr (output->str, ==, expected);
      if (expected_log_part != NULL)
        g_assert_nonnull (strstr (log->str, expected_log_part));
      if (first_log == NULL)
        first_log = g_strdup (log->str);
      else
        g_assert_cmpstr (log->str, ==, first_log);

      g_assert_finalize_object (g_steal_pointer (&server));
    }
}

/* A megabyte on one command line: one 500, and the session goes on. */
static void
test_long_command_line (Fixture       *fixture,
                        gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GByteArray) input = build_input (C_EHLO "MAIL FROM:<", 'a', 1024 * 1024,
                                             "@example.com>\r\n" C_MAIL C_QUIT);

  run_limit_case (fixture, MX, input,
                  GREET_MX EHLO_MX "500 5.5.2 Line too long\r\n" SENDER_OK BYE_MX,
                  "C - truncated \nS 500 5.5.2\n");
}

/* An overlong text line spoils the message, answered at its end. */
static void
test_long_data_line (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GByteArray) input = build_input (C_EHLO C_MAIL C_RCPT "DATA\r\nSubject: long\r\n\r\n", 'z',
                                             20000, "\r\n.\r\n" C_QUIT);

  run_limit_case (fixture, MX, input,
                  GREET_MX EHLO_MX DELIVERED "500 5.5.2 Line too long\r\n" BYE_MX, NULL);
}

static void
test_long_auth_line (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GByteArray) input = build_input (C_EHLO "AUTH PLAIN\r\n", 'A', 13000, "\r\nNOOP\r\n");

  run_limit_case (fixture, SUB, input,
                  GREET_SUB EHLO_SUB "334 \r\n" "500 5.5.6 Authentication Exchange line is too long\r\n" OK,
                  "C - secret truncated \n");
}

/* A client that pipelines without end behind a message the store is
 * still writing is cut off; the late store result changes nothing. */
static void
test_pipelined_overflow (Fixture       *fixture,
                         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscSmtpServer) server = start_server (fixture, MX);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GByteArray) flood = build_input ("", 'n', 200 * 1024, "");
  g_autoptr(GError) error = NULL;
  static const char input[] = C_EHLO DELIVERY;

  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) input, sizeof input - 1, NULL));
  g_assert_false (msc_smtp_server_want_read (server));
  g_assert_true (msc_smtp_server_feed (server, flood->data, 1000, NULL));
  g_assert_false (msc_smtp_server_feed (server, flood->data, flood->len, &error));
  g_assert_error (error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_INPUT_OVERFLOW);
  g_assert_true (msc_smtp_server_is_closed (server));

  msc_smtp_server_message_done (server, NULL);
  drain (server, output, log, NULL);
  g_assert_cmpstr (output->str, ==,
                   GREET_MX EHLO_MX DELIVERED "421 4.7.0 mx.example.com Error: too much pipelined input\r\n");
  g_assert_nonnull (strstr (log->str, "STATE wait-store>closed\nCLOSED "));
}

static void
test_close_errors (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscSmtpServer) server = start_server (fixture, MX_STRICT);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_server_event_free);
  g_autoptr(GString) log = g_string_new (NULL);
  const MscSmtpServerEvent *closed;

  g_assert_false (msc_smtp_server_feed (server, (const guint8 *) "A\r\nB\r\nC\r\nD\r\n", 12, &error));
  g_assert_error (error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_TOO_MANY_ERRORS);
  g_clear_error (&error);

  drain (server, output, log, events);
  closed = find_event (events, MSC_SMTP_SERVER_EVENT_CLOSED, 0);
  g_assert_error (closed->error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_TOO_MANY_ERRORS);

  /* Fed after the end */
  g_assert_false (msc_smtp_server_feed (server, (const guint8 *) "NOOP\r\n", 6, &error));
  g_assert_error (error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_CLOSED);
  g_assert_null (msc_smtp_server_take_output (server));
  g_assert_null (msc_smtp_server_next_event (server));

  g_assert_finalize_object (g_steal_pointer (&server));

  /* A timeout says so in CLOSED, and QUIT ends without an error */
  server = start_server (fixture, MX);
  msc_smtp_server_set_now (server, T0 + 300 * G_USEC_PER_SEC);
  g_assert_true (msc_smtp_server_check_timeout (server));
  g_ptr_array_set_size (events, 0);
  drain (server, output, log, events);
  closed = find_event (events, MSC_SMTP_SERVER_EVENT_CLOSED, 0);
  g_assert_error (closed->error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_TIMEOUT);
  g_assert_finalize_object (g_steal_pointer (&server));

  server = start_server (fixture, MX);
  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) C_QUIT, strlen (C_QUIT), NULL));
  g_assert_true (msc_smtp_server_is_closed (server));
  g_ptr_array_set_size (events, 0);
  drain (server, output, log, events);
  closed = find_event (events, MSC_SMTP_SERVER_EVENT_CLOSED, 0);
  g_assert_null (closed->error);
  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
test_want_read_and_deadline (Fixture       *fixture,
                             gconstpointer  data G_GNUC_UNUSED)
{
  MscSmtpServerConfig config;
  g_autoptr(MscSmtpServer) server = NULL;
  static const char input[] = C_EHLO C_MAIL C_RCPT "DATA\r\n";

  config_for_variant (MX, &config);
  config.command_timeout_usec = 10 * G_USEC_PER_SEC;
  config.data_timeout_usec = 20 * G_USEC_PER_SEC;
  server = msc_smtp_server_new (&config, MSC_DIRECTORY (fixture->directory));

  g_assert_false (msc_smtp_server_want_read (server));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, -1);

  msc_smtp_server_set_now (server, T0);
  msc_smtp_server_start (server);
  g_assert_true (msc_smtp_server_want_read (server));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, T0 + 10 * G_USEC_PER_SEC);

  msc_smtp_server_set_now (server, T0 + 5 * G_USEC_PER_SEC);
  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) input, sizeof input - 1, NULL));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, T0 + 25 * G_USEC_PER_SEC);

  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) ".\r\n", 3, NULL));
  g_assert_false (msc_smtp_server_want_read (server));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, -1);

  msc_smtp_server_message_done (server, NULL);
  g_assert_true (msc_smtp_server_want_read (server));
  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) "STARTTLS\r\n", 10, NULL));
  g_assert_false (msc_smtp_server_want_read (server));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, -1);
  msc_smtp_server_tls_started (server);
  g_assert_true (msc_smtp_server_want_read (server));

  g_assert_true (msc_smtp_server_feed (server, (const guint8 *) C_QUIT, strlen (C_QUIT), NULL));
  g_assert_false (msc_smtp_server_want_read (server));
  g_assert_true (msc_smtp_server_is_closed (server));
  g_assert_cmpint (msc_smtp_server_get_deadline (server), ==, -1);
  g_assert_false (msc_smtp_server_check_timeout (server));

  g_assert_finalize_object (g_steal_pointer (&server));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/smtp-server/conversation/%s", conversations[i].name);

      g_test_add (path, Fixture, &conversations[i], fixture_set_up, test_conversation, fixture_tear_down);
    }

#define ADD(path, func) \
  g_test_add ("/msc/smtp-server/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("event/message", test_message_event);
  ADD ("event/smtputf8", test_smtputf8_event);
  ADD ("event/auth", test_auth_events);
  ADD ("event/reply", test_reply_events);
  ADD ("event/nul-command", test_nul_command_event);
  ADD ("event/state", test_state_events);
  ADD ("limit/long-command-line", test_long_command_line);
  ADD ("limit/long-data-line", test_long_data_line);
  ADD ("limit/long-auth-line", test_long_auth_line);
  ADD ("limit/pipelined-overflow", test_pipelined_overflow);
  ADD ("close-errors", test_close_errors);
  ADD ("want-read-and-deadline", test_want_read_and_deadline);
  g_test_add_func ("/msc/smtp-server/names", test_names);

#undef ADD

  return g_test_run ();
}
