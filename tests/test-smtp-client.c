/* test-smtp-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-smtp-client"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "msc-directory.h"
#include "msc-test-directory.h"
#include "msc-smtp-client.h"
#include "msc-smtp-server.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define SECONDS(s) ((gint64) (s) * G_USEC_PER_SEC)

/* ---- Envelopes and messages ---- */

static const char * const ALICE[] = { "alice@example.com", NULL };
static const char * const FRIEND[] = { "friend@remote.example", NULL };
static const char * const THREE[] = { "alice@example.com", "nobody@example.com", "bob@example.com", NULL };
static const char * const NOBODIES[] = { "nobody@example.com", "ghost@example.com", NULL };
static const char * const ZHANG[] = { "张三@例子.公司", NULL };
static const char * const INJECTION[] = { "alice@example.com>\r\nRSET", NULL };

#define MESSAGE     "From: sender@example.org\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nHello Alice.\r\n"
#define MESSAGE_LEN "78"

/* Lines starting with ".", a lone ".", bare LF and CR, no final line end */
#define DOTS        ".leading dot\r\n..two\r\n.\r\nmiddle . dot\nbare lf\rbare cr\r\nno final newline"
#define DOTS_WIRE   "..leading dot\r\n...two\r\n..\r\nmiddle . dot\r\nbare lf\r\nbare cr\r\n" \
                    "no final newline\r\n.\r\n"
#define DOTS_LEN    "74"

#define EIGHT_BIT   "Subject: menu\r\n\r\nCaf\xC3\xA9 cr\xC3\xA8me\r\n"
#define UTF8_HEADER "Subject: 你好\r\n\r\n周末见。\r\n"

/* ---- Scripts: the server's bytes in, the client's bytes out ---- */

typedef enum
{
  STEP_END,
  STEP_SERVER,         /* feed these bytes */
  STEP_CLIENT,         /* take_output() must be exactly these ("" for nothing) */
  STEP_TLS_STARTED,
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

#define NO_ERROR -1

typedef struct
{
  const char          *name;
  MscSmtpClientConfig  config;      /* hostname, envelope and message defaulted */
  const char          *message;     /* NULL: MESSAGE */
  const Step          *steps;
  MscSmtpClientState   final_state;
  gint                 error;       /* NO_ERROR, or the MscSmtpClientError of the outcome */
  gboolean             transient;
  const char          *error_text;  /* in the error message, when not NULL */
  const char          *recipients;  /* the outcome's, when not NULL */
} Conversation;

#define S(s)              { STEP_SERVER, s, sizeof (s) - 1, 0 }
#define C(s)              { STEP_CLIENT, s, sizeof (s) - 1, 0 }
#define C_NOTHING         { STEP_CLIENT, "", 0, 0 }
#define TLS_STARTED       { STEP_TLS_STARTED, NULL, 0, 0 }
#define NOW(s)            { STEP_NOW, NULL, 0, s }
#define CHECK_TIMEOUT(b)  { STEP_CHECK_TIMEOUT, NULL, 0, b }
#define END               { STEP_END, NULL, 0, 0 }
#define STEPS(...)        (const Step[]) { __VA_ARGS__, END }

/* What the server says */
#define GREET       "220 mx.example.net ESMTP Postfix\r\n"
#define X_HEAD      "250-mx.example.net\r\n"
#define X_PIPE      "250-PIPELINING\r\n"
#define X_SIZE      "250-SIZE 10240000\r\n"
#define X_TLS       "250-STARTTLS\r\n"
#define X_AUTH      "250-AUTH PLAIN LOGIN\r\n"
#define X_TAIL      "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"
#define EHLO_FULL   X_HEAD X_PIPE X_SIZE X_TAIL
#define EHLO_SERIAL X_HEAD X_SIZE X_TAIL
#define EHLO_TLS    X_HEAD X_PIPE X_SIZE X_TLS X_TAIL
#define EHLO_AUTH   X_HEAD X_PIPE X_SIZE X_AUTH X_TAIL
#define EHLO_MIN    X_HEAD "250 PIPELINING\r\n"
#define SENDER_OK   "250 2.1.0 Ok\r\n"
#define RCPT_OK     "250 2.1.5 Ok\r\n"
#define UNKNOWN     "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\r\n"
#define GHOST       "550 5.1.1 <ghost@example.com>: Recipient address rejected: User unknown\r\n"
#define NO_VALID    "554 5.5.1 Error: no valid recipients\r\n"
#define GO_AHEAD    "354 End data with <CR><LF>.<CR><LF>\r\n"
#define QUEUED      "250 2.0.0 Ok: queued as 4F2A1\r\n"
#define BYE         "221 2.0.0 Bye\r\n"
#define AUTH_OK     "235 2.7.0 Authentication successful\r\n"
#define TLS_GO      "220 2.0.0 Ready to start TLS\r\n"

/* What the client says */
#define C_EHLO      "EHLO client.example.org\r\n"
#define C_HELO      "HELO client.example.org\r\n"
#define C_MAIL      "MAIL FROM:<sender@example.org> SIZE=" MESSAGE_LEN "\r\n"
#define C_MAIL_ALICE "MAIL FROM:<alice@example.com> SIZE=" MESSAGE_LEN "\r\n"
#define C_RCPT      "RCPT TO:<alice@example.com>\r\n"
#define C_RCPT_FRIEND "RCPT TO:<friend@remote.example>\r\n"
#define C_DATA      "DATA\r\n"
#define C_QUIT      "QUIT\r\n"
#define C_TEXT      MESSAGE ".\r\n"
#define C_PLAIN     "AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n"

/* A whole delivery after the EHLO reply, pipelined */
#define DELIVER_PIPELINED(mail, rcpt) \
  C (mail rcpt C_DATA), S (SENDER_OK RCPT_OK GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)

#define RELAY       .role = MSC_SMTP_CLIENT_ROLE_RELAY
#define SUBMIT      .role = MSC_SMTP_CLIENT_ROLE_SUBMIT, .username = "alice@example.com", \
                    .password = "secret", .reverse_path = "alice@example.com", .recipients = FRIEND

#define CLOSED      MSC_SMTP_CLIENT_STATE_CLOSED
#define E(code)     MSC_SMTP_CLIENT_ERROR_ ## code

static const Conversation conversations[] = {
  /* Delivery */
  { "pipelining", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, "alice@example.com 250 2.1.5 yes" },
  { "no-pipelining", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL), S (SENDER_OK), C (C_RCPT), S (RCPT_OK),
           C (C_DATA), S (GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, "alice@example.com 250 2.1.5 yes" },
  { "pipelining-disabled", { RELAY, .disable_pipelining = TRUE }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL), S (SENDER_OK), C (C_RCPT), S (RCPT_OK),
           C (C_DATA), S (GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "helo-fallback", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S ("502 5.5.2 Error: command not recognized\r\n"), C (C_HELO),
           S ("250 mx.example.net\r\n"), C ("MAIL FROM:<sender@example.org>\r\n"), S (SENDER_OK),
           C (C_RCPT), S (RCPT_OK), C (C_DATA), S (GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "helo-fallback-500", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S ("500 Syntax error, command unrecognized\r\n"), C (C_HELO),
           S ("501 Invalid domain name\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (HELO_REFUSED), FALSE, "(501 Invalid domain name)", NULL },
  { "ehlo-refused", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S ("554 5.7.1 You are not welcome here\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (HELO_REFUSED), FALSE, "554 5.7.1 You are not welcome here", NULL },
  { "null-reverse-path", { RELAY, .reverse_path = "" }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           DELIVER_PIPELINED ("MAIL FROM:<> SIZE=" MESSAGE_LEN "\r\n", C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "bare-lf-replies", { RELAY }, NULL,
    STEPS (S ("220 mx.example.net\n"), C (C_EHLO), S ("250-mx.example.net\n250 PIPELINING\n"),
           C ("MAIL FROM:<sender@example.org>\r\n" C_RCPT C_DATA), S ("250 Ok\n250 Ok\n354 Go\n"),
           C (C_TEXT), S ("250 Ok\n"), C (C_QUIT), S ("221 Bye\n")),
    CLOSED, NO_ERROR, FALSE, NULL, "alice@example.com 250 - yes" },

  /* Recipients */
  { "one-recipient-refused", { RELAY, .recipients = THREE }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C (C_MAIL C_RCPT "RCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\n" C_DATA),
           S (SENDER_OK RCPT_OK UNKNOWN RCPT_OK GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL,
    "alice@example.com 250 2.1.5 yes; nobody@example.com 550 5.1.1 no; bob@example.com 250 2.1.5 yes" },
  { "one-recipient-refused-serial", { RELAY, .recipients = THREE }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL), S (SENDER_OK), C (C_RCPT), S (RCPT_OK),
           C ("RCPT TO:<nobody@example.com>\r\n"), S (UNKNOWN), C ("RCPT TO:<bob@example.com>\r\n"),
           S (RCPT_OK), C (C_DATA), S (GO_AHEAD), C (C_TEXT), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL,
    "alice@example.com 250 2.1.5 yes; nobody@example.com 550 5.1.1 no; bob@example.com 250 2.1.5 yes" },
  { "all-refused", { RELAY, .recipients = NOBODIES }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C (C_MAIL "RCPT TO:<nobody@example.com>\r\nRCPT TO:<ghost@example.com>\r\n" C_DATA),
           S (SENDER_OK UNKNOWN GHOST NO_VALID), C (C_QUIT), S (BYE)),
    CLOSED, E (RECIPIENTS_REFUSED), FALSE, "every recipient (550 5.1.1 <nobody@example.com>",
    "nobody@example.com 550 5.1.1 no; ghost@example.com 550 5.1.1 no" },
  { "all-refused-data-accepted", { RELAY, .recipients = NOBODIES }, NULL,
    /* RFC 2920 §3.1: a DATA accepted anyway gets an empty text */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C (C_MAIL "RCPT TO:<nobody@example.com>\r\nRCPT TO:<ghost@example.com>\r\n" C_DATA),
           S (SENDER_OK UNKNOWN GHOST GO_AHEAD), C (".\r\n"), S (NO_VALID), C (C_QUIT), S (BYE)),
    CLOSED, E (RECIPIENTS_REFUSED), FALSE, NULL, NULL },
  { "all-refused-serial", { RELAY, .recipients = NOBODIES }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL), S (SENDER_OK),
           C ("RCPT TO:<nobody@example.com>\r\n"), S (UNKNOWN), C ("RCPT TO:<ghost@example.com>\r\n"),
           S (GHOST), C (C_QUIT), S (BYE)),
    CLOSED, E (RECIPIENTS_REFUSED), FALSE, NULL, NULL },
  { "recipient-transient", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL), S (SENDER_OK), C (C_RCPT),
           S ("450 4.2.1 Mailbox busy, try later\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (RECIPIENTS_REFUSED), TRUE, "The server refused the recipient (450 4.2.1 Mailbox busy",
    "alice@example.com 450 4.2.1 no" },

  /* AUTH */
  { "auth-plain", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN), S (AUTH_OK),
           DELIVER_PIPELINED (C_MAIL_ALICE, C_RCPT_FRIEND)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "auth-login", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT,
                    .auth_mechanism = MSC_SMTP_CLIENT_AUTH_LOGIN }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C ("AUTH LOGIN\r\n"), S ("334 VXNlcm5hbWU6\r\n"),
           C ("YWxpY2VAZXhhbXBsZS5jb20=\r\n"), S ("334 UGFzc3dvcmQ6\r\n"), C ("c2VjcmV0\r\n"),
           S (AUTH_OK), DELIVER_PIPELINED (C_MAIL_ALICE, C_RCPT_FRIEND)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "auth-auto-login-only", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD X_PIPE "250 AUTH LOGIN CRAM-MD5\r\n"), C ("AUTH LOGIN\r\n"),
           S ("334 VXNlcm5hbWU6\r\n"), C ("YWxpY2VAZXhhbXBsZS5jb20=\r\n"), S ("334 UGFzc3dvcmQ6\r\n"),
           C ("c2VjcmV0\r\n"), S (AUTH_OK),
           C ("MAIL FROM:<alice@example.com>\r\n" C_RCPT_FRIEND C_DATA)),
    MSC_SMTP_CLIENT_STATE_MAIL, NO_ERROR, FALSE, NULL, NULL },
  { "auth-old-style", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD "250 AUTH=PLAIN LOGIN\r\n"), C (C_PLAIN), S (AUTH_OK),
           C ("MAIL FROM:<alice@example.com>\r\n"), S ("421 4.3.2 Shutting down\r\n")),
    CLOSED, E (SERVICE_UNAVAILABLE), TRUE, "(421 4.3.2 Shutting down)", NULL },
  { "auth-535", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN),
           S ("535 5.7.8 Error: authentication failed: authentication failure\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (AUTH_FAILED), FALSE,
    "The server refused the password (535 5.7.8 Error: authentication failed: authentication failure)",
    "friend@remote.example 0 - no" },
  { "auth-538", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN),
           S ("454 4.7.0 Temporary authentication failure\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (AUTH_FAILED), TRUE, "The server refused to log in (454 4.7.0", NULL },
  { "auth-extra-challenge", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN), S ("334 \r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, NULL, NULL },
  { "auth-insecure-refused", { SUBMIT }, NULL,
    /* The password never goes out in plaintext */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_QUIT), S (BYE)),
    CLOSED, E (AUTH_INSECURE), FALSE, "not encrypted", NULL },
  { "auth-insecure-allowed", { SUBMIT, .allow_auth_without_tls = TRUE }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN), S (AUTH_OK),
           DELIVER_PIPELINED (C_MAIL_ALICE, C_RCPT_FRIEND)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "auth-unavailable", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_QUIT), S (BYE)),
    CLOSED, E (AUTH_UNAVAILABLE), FALSE, "no AUTH", NULL },
  { "auth-mechanism-unavailable", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT,
                                    .auth_mechanism = MSC_SMTP_CLIENT_AUTH_PLAIN }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD "250 AUTH LOGIN\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (AUTH_UNAVAILABLE), FALSE, "PLAIN", NULL },
  { "relay-never-auth", { RELAY, .username = "alice@example.com", .password = "secret" }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },

  /* STARTTLS */
  { "starttls", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"), S (TLS_GO), C_NOTHING, TLS_STARTED,
           C (C_EHLO), S (EHLO_AUTH), C (C_PLAIN), S (AUTH_OK),
           DELIVER_PIPELINED (C_MAIL_ALICE, C_RCPT_FRIEND)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "starttls-required-not-offered", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    /* Perhaps stripped by an attacker: not a byte more in plaintext */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_AUTH), C_NOTHING),
    CLOSED, E (TLS_UNAVAILABLE), FALSE,
    "The server does not offer STARTTLS and this account requires encryption", NULL },
  { "starttls-required-refused", { SUBMIT, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"),
           S ("454 4.7.0 TLS not available due to local problem\r\n"), C_NOTHING),
    CLOSED, E (TLS_UNAVAILABLE), TRUE, "454 4.7.0", NULL },
  { "starttls-if-offered", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"), S (TLS_GO), TLS_STARTED,
           C (C_EHLO), S (EHLO_FULL), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "starttls-if-offered-absent", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "starttls-if-offered-refused", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"),
           S ("454 4.7.0 TLS not available due to local problem\r\n"), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "starttls-none-ignores-offer", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "starttls-injection", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    /* A reply smuggled in plaintext behind the 220 */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"), S (TLS_GO "250-fake\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, "tampering", NULL },

  /* What the message needs */
  { "size-too-big", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD X_PIPE "250 SIZE 50\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (MESSAGE_TOO_BIG), FALSE, "The message is " MESSAGE_LEN " bytes, but the server accepts at most 50",
    NULL },
  { "size-no-limit", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD X_PIPE "250 SIZE\r\n"), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "size-zero", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD X_PIPE "250 SIZE 0\r\n"), DELIVER_PIPELINED (C_MAIL, C_RCPT)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "dot-stuffing", { RELAY }, DOTS,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C ("MAIL FROM:<sender@example.org> SIZE=" DOTS_LEN "\r\n" C_RCPT C_DATA),
           S (SENDER_OK RCPT_OK GO_AHEAD), C (DOTS_WIRE), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "empty-message", { RELAY }, "",
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C ("MAIL FROM:<sender@example.org> SIZE=0\r\n" C_RCPT C_DATA),
           S (SENDER_OK RCPT_OK GO_AHEAD), C (".\r\n"), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "smtputf8", { RELAY, .reverse_path = "李四@示例.中国", .recipients = ZHANG }, UTF8_HEADER,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C ("MAIL FROM:<李四@示例.中国> SIZE=33 BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<张三@例子.公司>\r\n" C_DATA),
           S (SENDER_OK RCPT_OK GO_AHEAD), C (UTF8_HEADER ".\r\n"), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, "张三@例子.公司 250 2.1.5 yes" },
  { "smtputf8-ascii-text", { RELAY, .recipients = ZHANG }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C ("MAIL FROM:<sender@example.org> SIZE=" MESSAGE_LEN " SMTPUTF8\r\n"
              "RCPT TO:<张三@例子.公司>\r\n" C_DATA)),
    MSC_SMTP_CLIENT_STATE_MAIL, NO_ERROR, FALSE, NULL, NULL },
  { "smtputf8-unsupported", { RELAY, .recipients = ZHANG }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_MIN), C (C_QUIT), S (BYE)),
    CLOSED, E (SMTPUTF8_UNSUPPORTED), FALSE, "“张三@例子.公司”", NULL },
  { "smtputf8-header-unsupported", { RELAY }, UTF8_HEADER,
    STEPS (S (GREET), C (C_EHLO), S (X_HEAD X_PIPE "250 8BITMIME\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (SMTPUTF8_UNSUPPORTED), FALSE, "header", NULL },
  { "8bitmime", { RELAY }, EIGHT_BIT,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL),
           C ("MAIL FROM:<sender@example.org> SIZE=31 BODY=8BITMIME\r\n" C_RCPT C_DATA),
           S (SENDER_OK RCPT_OK GO_AHEAD), C (EIGHT_BIT ".\r\n"), S (QUEUED), C (C_QUIT), S (BYE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "8bitmime-unsupported", { RELAY }, EIGHT_BIT,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_MIN), C (C_QUIT), S (BYE)),
    CLOSED, E (8BITMIME_UNSUPPORTED), FALSE, NULL, NULL },
  { "8bitmime-helo", { RELAY }, EIGHT_BIT,
    STEPS (S (GREET), C (C_EHLO), S ("500 What?\r\n"), C (C_HELO), S ("250 mx\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (8BITMIME_UNSUPPORTED), FALSE, NULL, NULL },
  { "invalid-address", { RELAY, .recipients = INJECTION }, NULL,
    STEPS (C_NOTHING),
    CLOSED, E (INVALID_ADDRESS), FALSE, "“alice@example.com>", NULL },
  { "invalid-reverse-path", { RELAY, .reverse_path = "sender@example.org NOTIFY=NEVER" }, NULL,
    STEPS (C_NOTHING),
    CLOSED, E (INVALID_ADDRESS), FALSE, NULL, NULL },

  /* Refusals */
  { "mail-transient", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA),
           S ("451 4.3.0 Temporary lookup failure\r\n" "503 5.5.1 Error: need MAIL command\r\n"
              "503 5.5.1 Error: need MAIL command\r\n"),
           C (C_QUIT), S (BYE)),
    CLOSED, E (SENDER_REFUSED), TRUE, "The server refused the sender address (451 4.3.0",
    "alice@example.com 503 5.5.1 no" },
  { "mail-transient-serial", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL), S ("451 4.3.0 Temporary lookup failure\r\n"),
           C (C_QUIT), S (BYE)),
    CLOSED, E (SENDER_REFUSED), TRUE, NULL, "alice@example.com 0 - no" },
  { "mail-permanent", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_SERIAL), C (C_MAIL),
           S ("553 5.7.1 <sender@example.org>: Sender address rejected\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (SENDER_REFUSED), FALSE, NULL, NULL },
  { "data-refused", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA),
           S (SENDER_OK RCPT_OK "451 4.3.0 Try again\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (MESSAGE_REFUSED), TRUE, NULL, "alice@example.com 250 2.1.5 yes" },
  { "message-refused", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (SENDER_OK RCPT_OK GO_AHEAD),
           C (C_TEXT), S ("554-5.7.1 Message rejected as spam\r\n554 5.7.1 See the policy page\r\n"),
           C (C_QUIT), S (BYE)),
    CLOSED, E (MESSAGE_REFUSED), FALSE,
    "The server refused the message (554 5.7.1 Message rejected as spam See the policy page)", NULL },
  { "message-transient", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (SENDER_OK RCPT_OK GO_AHEAD),
           C (C_TEXT), S ("452 4.3.1 Insufficient system storage\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (MESSAGE_REFUSED), TRUE, NULL, NULL },
  { "refused-during-text", { RELAY }, NULL,
    /* The text cannot be cut short: close without sending it */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA),
           S (SENDER_OK RCPT_OK GO_AHEAD "552 5.3.4 Too much mail data\r\n"), C_NOTHING),
    CLOSED, E (MESSAGE_REFUSED), FALSE, "before it was complete", NULL },
  { "greeting-554", { RELAY }, NULL,
    STEPS (S ("554 5.7.1 No SMTP service here\r\n"), C (C_QUIT), S (BYE)),
    CLOSED, E (SERVICE_UNAVAILABLE), FALSE, "The server refused the connection (554 5.7.1", NULL },
  { "greeting-421", { RELAY }, NULL,
    STEPS (S ("421-mx.example.net is too busy\r\n421 Come back in 2040 seconds\r\n"), C_NOTHING),
    CLOSED, E (SERVICE_UNAVAILABLE), TRUE, "busy Come back", NULL },
  { "421-at-rcpt", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA),
           S (SENDER_OK "421 4.4.2 mx.example.net Error: timeout exceeded\r\n"), C_NOTHING),
    CLOSED, E (SERVICE_UNAVAILABLE), TRUE, NULL, "alice@example.com 0 - no" },
  { "quit-answered-oddly", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (SENDER_OK RCPT_OK GO_AHEAD),
           C (C_TEXT), S (QUEUED), C (C_QUIT), S ("500 5.5.2 What?\r\n")),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },

  /* Malformed replies */
  { "garbage-greeting", { RELAY }, NULL,
    STEPS (S ("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, "not an SMTP reply", NULL },
  { "bad-first-digit", { RELAY }, NULL,
    STEPS (S ("199 hello\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, NULL, NULL },
  { "bad-separator", { RELAY }, NULL,
    STEPS (S ("220mx.example.net\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, NULL, NULL },
  { "multiline-mismatch", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S ("250-mx.example.net\r\n251 PIPELINING\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, "(250, then 251)", NULL },
  { "nul-in-reply", { RELAY }, NULL,
    STEPS (S ("220 mx.example.net\0 ESMTP\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, "NUL", NULL },
  { "line-too-long", { RELAY, .max_line_length = 40 }, NULL,
    STEPS (S ("220 mx.example.net ESMTP and a very long banner after it\r\n"), C_NOTHING),
    CLOSED, E (LINE_TOO_LONG), TRUE, "longer than 40 bytes", NULL },
  { "reply-too-long", { RELAY, .max_reply_length = 100 }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C_NOTHING),
    CLOSED, E (LINE_TOO_LONG), TRUE, "reply longer than 100 bytes", NULL },
  { "unexpected-intermediate", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (GO_AHEAD), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, "makes no sense", NULL },
  { "positive-data-reply", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (SENDER_OK RCPT_OK "250 Ok\r\n"),
           C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, NULL, NULL },
  { "reply-out-of-turn", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"), S (TLS_GO), S ("250 Ok\r\n"), C_NOTHING),
    CLOSED, E (PROTOCOL), TRUE, NULL, NULL },

  /* Timeouts (RFC 5321 §4.5.3.2) */
  { "timeout-greeting", { RELAY }, NULL,
    STEPS (NOW (299), CHECK_TIMEOUT (FALSE), NOW (300), CHECK_TIMEOUT (TRUE), C_NOTHING),
    CLOSED, E (TIMEOUT), TRUE, "300 seconds", NULL },
  { "timeout-mail", { RELAY, .disable_pipelining = TRUE, .mail_timeout_usec = SECONDS (30) }, NULL,
    STEPS (S (GREET), C (C_EHLO), NOW (10), S (EHLO_FULL), C (C_MAIL), NOW (39), CHECK_TIMEOUT (FALSE),
           NOW (40), CHECK_TIMEOUT (TRUE), C_NOTHING),
    CLOSED, E (TIMEOUT), TRUE, NULL, NULL },
  { "timeout-rcpt", { RELAY, .disable_pipelining = TRUE, .rcpt_timeout_usec = SECONDS (20) }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL), NOW (10), S (SENDER_OK), C (C_RCPT), NOW (29),
           CHECK_TIMEOUT (FALSE), NOW (30), CHECK_TIMEOUT (TRUE)),
    CLOSED, E (TIMEOUT), TRUE, NULL, NULL },
  { "timeout-data-initiation", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), NOW (10),
           S (SENDER_OK RCPT_OK), NOW (129), CHECK_TIMEOUT (FALSE), NOW (130), CHECK_TIMEOUT (TRUE)),
    CLOSED, E (TIMEOUT), TRUE, NULL, NULL },
  { "timeout-data-block", { RELAY }, NULL,
    /* Nobody took the text: the "TCP SEND" never completed */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), NOW (10),
           S (SENDER_OK RCPT_OK GO_AHEAD), NOW (189), CHECK_TIMEOUT (FALSE), NOW (190), CHECK_TIMEOUT (TRUE),
           C_NOTHING),
    CLOSED, E (TIMEOUT), TRUE, "took no part of the message for 180 seconds", NULL },
  { "timeout-data-termination", { RELAY }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), NOW (10),
           S (SENDER_OK RCPT_OK GO_AHEAD), NOW (20), C (C_TEXT), NOW (619), CHECK_TIMEOUT (FALSE),
           NOW (620), CHECK_TIMEOUT (TRUE)),
    CLOSED, E (TIMEOUT), TRUE, "600 seconds", NULL },
  { "timeout-quit-after-success", { RELAY }, NULL,
    /* The message was delivered: a silent QUIT changes nothing */
    STEPS (S (GREET), C (C_EHLO), S (EHLO_FULL), C (C_MAIL C_RCPT C_DATA), S (SENDER_OK RCPT_OK GO_AHEAD),
           C (C_TEXT), S (QUEUED), C (C_QUIT), NOW (300), CHECK_TIMEOUT (TRUE)),
    CLOSED, NO_ERROR, FALSE, NULL, NULL },
  { "timeout-not-during-handshake", { RELAY, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED }, NULL,
    STEPS (S (GREET), C (C_EHLO), S (EHLO_TLS), C ("STARTTLS\r\n"), S (TLS_GO), NOW (3600),
           CHECK_TIMEOUT (FALSE), TLS_STARTED, C (C_EHLO), NOW (3899), CHECK_TIMEOUT (FALSE),
           NOW (3900), CHECK_TIMEOUT (TRUE)),
    CLOSED, E (TIMEOUT), TRUE, NULL, NULL },
};

static GBytes *
bytes_for (const char *message)
{
  return g_bytes_new_static (message, strlen (message));
}

static MscSmtpClient *
new_client (const Conversation *conversation)
{
  MscSmtpClientConfig config = conversation->config;
  g_autoptr(GBytes) message = bytes_for (conversation->message != NULL ? conversation->message : MESSAGE);

  if (config.hostname == NULL)
    config.hostname = "client.example.org";
  if (config.reverse_path == NULL)
    config.reverse_path = "sender@example.org";
  if (config.recipients == NULL)
    config.recipients = ALICE;
  config.message = message;

  return msc_smtp_client_new (&config);
}

static void
log_text (GString    *log,
          const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p++)
    g_string_append_c (log, *p == '\n' ? '|' : *p);
}

static void
log_event (GString                  *log,
           const MscSmtpClientEvent *event)
{
  switch (event->kind)
    {
    case MSC_SMTP_CLIENT_EVENT_COMMAND:
      g_string_append_printf (log, "C %s%s %s\n", event->verb ? event->verb : "-",
                              event->secret ? " secret" : "", event->line);
      break;
    case MSC_SMTP_CLIENT_EVENT_REPLY:
      g_string_append_printf (log, "S %u %s ", event->code, event->enhanced ? event->enhanced : "-");
      log_text (log, event->text);
      g_string_append_c (log, '\n');
      break;
    case MSC_SMTP_CLIENT_EVENT_STATE_CHANGED:
      g_string_append_printf (log, "STATE %s>%s\n",
                              msc_smtp_client_state_get_name (event->old_state),
                              msc_smtp_client_state_get_name (event->new_state));
      break;
    case MSC_SMTP_CLIENT_EVENT_STARTTLS:
      g_string_append (log, "STARTTLS\n");
      break;
    case MSC_SMTP_CLIENT_EVENT_RECIPIENT_RESULT:
      g_string_append_printf (log, "RCPT %s %s %u %s\n", event->address, event->accepted ? "yes" : "no",
                              event->code, event->enhanced ? event->enhanced : "-");
      break;
    case MSC_SMTP_CLIENT_EVENT_DONE:
      g_string_append_printf (log, "DONE %s %u %d%s\n", event->outcome->success ? "ok" : "failed",
                              event->outcome->code,
                              event->outcome->error ? event->outcome->error->code : -1,
                              event->outcome->transient ? " transient" : "");
      break;
    case MSC_SMTP_CLIENT_EVENT_CLOSED:
      g_string_append_printf (log, "CLOSED %d\n", event->error ? event->error->code : -1);
      break;
    case MSC_SMTP_CLIENT_N_EVENT_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Moves the events out, logging them, and keeps the wire of the replies. */
static void
drain (MscSmtpClient *client,
       GString       *log,
       GString       *replied,
       GPtrArray     *events)
{
  MscSmtpClientEvent *event;

  while ((event = msc_smtp_client_next_event (client)) != NULL)
    {
      if (event->kind == MSC_SMTP_CLIENT_EVENT_REPLY && replied != NULL)
        g_string_append_len (replied, g_bytes_get_data (event->wire, NULL),
                             g_bytes_get_size (event->wire));
      log_event (log, event);
      if (events != NULL)
        g_ptr_array_add (events, event);
      else
        msc_smtp_client_event_free (event);
    }
}

static void
feed (MscSmtpClient *client,
      const char    *data,
      gsize          len,
      gboolean       trickle,
      GString       *log)
{
  gsize step = trickle ? 1 : MAX (len, 1);

  for (gsize i = 0; i < len && !msc_smtp_client_is_closed (client); i += step)
    {
      g_autoptr(GError) error = NULL;

      if (!msc_smtp_client_feed (client, (const guint8 *) data + i, MIN (step, len - i), &error))
        {
          /* Only an end without QUIT fails a feed, and says why. */
          g_assert_true (msc_smtp_client_is_closed (client));
          g_assert_nonnull (error);
          g_assert_true (error->domain == MSC_SMTP_CLIENT_ERROR);
          g_string_append_printf (log, "FEED-FAILED %d\n", error->code);
        }
      else
        {
          g_assert_no_error (error);
        }
    }
}

static void
take_all (MscSmtpClient *client,
          GString       *output)
{
  GBytes *bytes;

  while ((bytes = msc_smtp_client_take_output (client)) != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_string_append_len (output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_bytes_unref (bytes);
    }
}

static char *
summarize_recipients (const MscSmtpClientOutcome *outcome)
{
  g_autoptr(GString) summary = g_string_new (NULL);

  for (guint i = 0; i < outcome->recipients->len; i++)
    {
      const MscSmtpClientRecipient *recipient = g_ptr_array_index (outcome->recipients, i);

      g_string_append_printf (summary, "%s%s %u %s %s", i > 0 ? "; " : "", recipient->address,
                              recipient->code, recipient->enhanced ? recipient->enhanced : "-",
                              recipient->accepted ? "yes" : "no");
    }

  return g_string_free (g_steal_pointer (&summary), FALSE);
}

static void
run_conversation (const Conversation *conversation,
                  gboolean            trickle,
                  GString            *log,
                  GPtrArray          *events)
{
  g_autoptr(MscSmtpClient) client = new_client (conversation);
  g_autoptr(GString) fed = g_string_new (NULL);
  g_autoptr(GString) replied = g_string_new (NULL);
  const MscSmtpClientOutcome *outcome;

  msc_smtp_client_set_now (client, T0);
  msc_smtp_client_start (client);
  drain (client, log, replied, events);

  for (const Step *step = conversation->steps; step->kind != STEP_END; step++)
    {
      switch (step->kind)
        {
        case STEP_SERVER:
          g_string_append_len (fed, step->data, step->len);
          feed (client, step->data, step->len, trickle, log);
          break;

        case STEP_CLIENT:
          {
            g_autoptr(GBytes) bytes = msc_smtp_client_take_output (client);
            g_autofree char *text = bytes != NULL ? g_strndup (g_bytes_get_data (bytes, NULL),
                                                               g_bytes_get_size (bytes))
                                                  : g_strdup ("");

            g_assert_cmpstr (text, ==, step->data);
          }
          break;

        case STEP_TLS_STARTED:
          msc_smtp_client_tls_started (client);
          break;

        case STEP_NOW:
          msc_smtp_client_set_now (client, T0 + SECONDS (step->value));
          break;

        case STEP_CHECK_TIMEOUT:
          g_assert_cmpint (msc_smtp_client_check_timeout (client), ==, step->value);
          break;

        case STEP_END:
        default:
          g_assert_not_reached ();
        }

      drain (client, log, replied, events);
    }

  g_assert_null (msc_smtp_client_take_output (client));
  g_assert_cmpstr (msc_smtp_client_state_get_name (msc_smtp_client_get_state (client)), ==,
                   msc_smtp_client_state_get_name (conversation->final_state));

  /* Every reply event carries exactly the bytes that came in */
  g_assert_true (g_str_has_prefix (fed->str, replied->str));
  if (conversation->error != MSC_SMTP_CLIENT_ERROR_PROTOCOL &&
      conversation->error != MSC_SMTP_CLIENT_ERROR_LINE_TOO_LONG)
    g_assert_cmpstr (fed->str, ==, replied->str);

  outcome = msc_smtp_client_get_outcome (client);
  if (conversation->final_state == MSC_SMTP_CLIENT_STATE_CLOSED)
    g_assert_nonnull (outcome);

  if (outcome != NULL)
    {
      if (conversation->error == NO_ERROR)
        {
          g_assert_no_error (outcome->error);
          g_assert_true (outcome->success);
        }
      else
        {
          g_assert_error (outcome->error, MSC_SMTP_CLIENT_ERROR, conversation->error);
          g_assert_false (outcome->success);
          g_assert_cmpint (outcome->transient, ==, conversation->transient);
          if (conversation->error_text != NULL)
            g_assert_nonnull (strstr (outcome->error->message, conversation->error_text));
        }

      if (conversation->recipients != NULL)
        {
          g_autofree char *summary = summarize_recipients (outcome);

          g_assert_cmpstr (summary, ==, conversation->recipients);
        }
    }

  g_assert_finalize_object (g_steal_pointer (&client));
}

static void
test_conversation (gconstpointer data)
{
  const Conversation *conversation = data;
  g_autoptr(GString) whole_log = g_string_new (NULL);
  g_autoptr(GString) trickled_log = g_string_new (NULL);

  run_conversation (conversation, FALSE, whole_log, NULL);
  g_test_message ("events:\n%s", whole_log->str);

  run_conversation (conversation, TRUE, trickled_log, NULL);
  g_assert_cmpstr (trickled_log->str, ==, whole_log->str);
}

static const Conversation *
find_conversation (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      if (strcmp (conversations[i].name, name) == 0)
        return &conversations[i];
    }

  g_assert_not_reached ();
}

static GPtrArray *
collect (const char *name)
{
  g_autoptr(GString) log = g_string_new (NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_client_event_free);

  run_conversation (find_conversation (name), FALSE, log, events);

  return events;
}

static const MscSmtpClientEvent *
find_event (GPtrArray              *events,
            MscSmtpClientEventKind  kind,
            guint                   nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const MscSmtpClientEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && nth-- == 0)
        return event;
    }

  return NULL;
}

/* ---- Events ---- */

static void
test_state_events (void)
{
  g_autoptr(GPtrArray) events = collect ("pipelining");
  g_autoptr(GString) states = g_string_new (NULL);
  g_autoptr(GString) kinds = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      const MscSmtpClientEvent *event = g_ptr_array_index (events, i);

      if (event->kind == MSC_SMTP_CLIENT_EVENT_STATE_CHANGED)
        g_string_append_printf (states, "%s ", msc_smtp_client_state_get_name (event->new_state));
      else
        g_string_append_printf (kinds, "%s ", msc_smtp_client_event_kind_get_name (event->kind));
    }

  g_assert_cmpstr (states->str, ==, "greeting ehlo mail rcpt data message data-end quit closed ");
  /* DONE as soon as the message is accepted, before QUIT */
  g_assert_cmpstr (kinds->str, ==,
                   "reply command reply command command command reply reply recipient-result reply "
                   "reply done command reply closed ");
}

static void
test_command_events (void)
{
  g_autoptr(GPtrArray) events = collect ("auth-login");
  g_autoptr(GPtrArray) plain = collect ("auth-plain");
  g_autoptr(GString) wire = g_string_new (NULL);
  const MscSmtpClientEvent *ehlo = find_event (events, MSC_SMTP_CLIENT_EVENT_COMMAND, 0);
  const MscSmtpClientEvent *auth = find_event (events, MSC_SMTP_CLIENT_EVENT_COMMAND, 1);
  const MscSmtpClientEvent *user = find_event (events, MSC_SMTP_CLIENT_EVENT_COMMAND, 2);
  const MscSmtpClientEvent *password = find_event (events, MSC_SMTP_CLIENT_EVENT_COMMAND, 3);
  const MscSmtpClientEvent *mail = find_event (events, MSC_SMTP_CLIENT_EVENT_COMMAND, 4);

  g_assert_cmpstr (ehlo->verb, ==, "EHLO");
  g_assert_cmpstr (ehlo->line, ==, "EHLO client.example.org");
  g_assert_cmpmem (g_bytes_get_data (ehlo->wire, NULL), g_bytes_get_size (ehlo->wire),
                   C_EHLO, strlen (C_EHLO));
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

  /* An initial response is a secret on the command line itself */
  auth = find_event (plain, MSC_SMTP_CLIENT_EVENT_COMMAND, 1);
  g_assert_cmpstr (auth->verb, ==, "AUTH");
  g_assert_true (auth->secret);

  /* The commands are the output, less the text of the message */
  for (guint i = 0; i < plain->len; i++)
    {
      const MscSmtpClientEvent *event = g_ptr_array_index (plain, i);

      if (event->kind == MSC_SMTP_CLIENT_EVENT_COMMAND)
        g_string_append_len (wire, g_bytes_get_data (event->wire, NULL), g_bytes_get_size (event->wire));
    }
  g_assert_cmpstr (wire->str, ==,
                   C_EHLO C_PLAIN C_MAIL_ALICE C_RCPT_FRIEND C_DATA C_QUIT);
}

static void
test_reply_events (void)
{
  g_autoptr(GPtrArray) events = collect ("message-refused");
  g_autoptr(GPtrArray) odd = collect ("helo-fallback");
  const MscSmtpClientEvent *greeting = find_event (events, MSC_SMTP_CLIENT_EVENT_REPLY, 0);
  const MscSmtpClientEvent *ehlo = find_event (events, MSC_SMTP_CLIENT_EVENT_REPLY, 1);
  const MscSmtpClientEvent *spam = find_event (events, MSC_SMTP_CLIENT_EVENT_REPLY, 5);
  static const char spam_wire[] = "554-5.7.1 Message rejected as spam\r\n554 5.7.1 See the policy page\r\n";
  const MscSmtpClientEvent *refusal;

  g_assert_cmpuint (greeting->code, ==, 220);
  g_assert_null (greeting->enhanced);
  g_assert_cmpstr (greeting->text, ==, "mx.example.net ESMTP Postfix");

  g_assert_cmpuint (ehlo->code, ==, 250);
  g_assert_null (ehlo->enhanced);
  g_assert_cmpstr (ehlo->text, ==,
                   "mx.example.net\nPIPELINING\nSIZE 10240000\n8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8");

  /* RFC 2034 §4: the enhanced code of every line is taken off the text */
  g_assert_cmpuint (spam->code, ==, 554);
  g_assert_cmpstr (spam->enhanced, ==, "5.7.1");
  g_assert_cmpstr (spam->text, ==, "Message rejected as spam\nSee the policy page");
  g_assert_cmpmem (g_bytes_get_data (spam->wire, NULL), g_bytes_get_size (spam->wire),
                   spam_wire, strlen (spam_wire));

  /* "5.5.2" of a 502 is an enhanced code; nothing is invented for a 250 */
  refusal = find_event (odd, MSC_SMTP_CLIENT_EVENT_REPLY, 1);
  g_assert_cmpuint (refusal->code, ==, 502);
  g_assert_cmpstr (refusal->enhanced, ==, "5.5.2");
  g_assert_cmpstr (refusal->text, ==, "Error: command not recognized");
}

static void
test_enhanced_code_parsing (void)
{
  static const struct
  {
    const char *reply;
    const char *enhanced;
    const char *text;
  } cases[] = {
    { "554 5.7.1 Spam\r\n", "5.7.1", "Spam" },
    { "554 5.7.1\r\n", "5.7.1", "" },
    { "554 2.0.0 Wrong class\r\n", NULL, "2.0.0 Wrong class" },
    { "554 5.7 Two parts\r\n", NULL, "5.7 Two parts" },
    { "554 5.1234.1 Too many digits\r\n", NULL, "5.1234.1 Too many digits" },
    { "554 5.7.1Glued\r\n", NULL, "5.7.1Glued" },
    { "554-5.7.1 First\r\n554-Second\r\n554 5.7.1 Third\r\n", "5.7.1", "First\nSecond\nThird" },
    { "554 Bell\a and \x1b[31mred\r\n", NULL, "Bell\xEF\xBF\xBD and \xEF\xBF\xBD[31mred" },
    { "554 Caf\xE9\r\n", NULL, "Caf\xEF\xBF\xBD" },
    { "554\r\n", NULL, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Conversation conversation = { "enhanced", { RELAY }, NULL, NULL, CLOSED, E (SERVICE_UNAVAILABLE),
                                    FALSE, NULL, NULL };
      Step steps[] = { { STEP_SERVER, cases[i].reply, strlen (cases[i].reply), 0 }, C (C_QUIT), S (BYE), END };
      g_autoptr(GString) log = g_string_new (NULL);
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_client_event_free);
      const MscSmtpClientEvent *reply;

      conversation.steps = steps;
      run_conversation (&conversation, FALSE, log, events);
      reply = find_event (events, MSC_SMTP_CLIENT_EVENT_REPLY, 0);
      g_assert_cmpstr (reply->enhanced, ==, cases[i].enhanced);
      g_assert_cmpstr (reply->text, ==, cases[i].text);
    }
}

static void
test_done_event (void)
{
  g_autoptr(GPtrArray) events = collect ("one-recipient-refused");
  const MscSmtpClientEvent *done = find_event (events, MSC_SMTP_CLIENT_EVENT_DONE, 0);
  const MscSmtpClientEvent *refused = find_event (events, MSC_SMTP_CLIENT_EVENT_RECIPIENT_RESULT, 1);
  const MscSmtpClientEvent *closed = find_event (events, MSC_SMTP_CLIENT_EVENT_CLOSED, 0);
  const MscSmtpClientRecipient *recipient;
  g_autoptr(MscSmtpClientOutcome) copy = NULL;

  g_assert_cmpstr (refused->address, ==, "nobody@example.com");
  g_assert_false (refused->accepted);
  g_assert_cmpuint (refused->code, ==, 550);
  g_assert_cmpstr (refused->enhanced, ==, "5.1.1");
  g_assert_cmpstr (refused->text, ==, "<nobody@example.com>: Recipient address rejected: User unknown");

  g_assert_true (done->outcome->success);
  g_assert_false (done->outcome->transient);
  g_assert_null (done->outcome->error);
  g_assert_cmpuint (done->outcome->code, ==, 250);
  g_assert_cmpstr (done->outcome->enhanced, ==, "2.0.0");
  g_assert_cmpstr (done->outcome->text, ==, "Ok: queued as 4F2A1");
  g_assert_cmpuint (done->outcome->recipients->len, ==, 3);
  recipient = g_ptr_array_index (done->outcome->recipients, 1);
  g_assert_cmpstr (recipient->text, ==, refused->text);

  copy = msc_smtp_client_outcome_copy (done->outcome);
  g_assert_cmpstr (copy->text, ==, done->outcome->text);
  g_assert_cmpuint (copy->recipients->len, ==, 3);

  /* QUIT answered: a normal end */
  g_assert_null (closed->error);

  /* A failure: the same error in DONE and CLOSED when there was no QUIT */
  {
    g_autoptr(GPtrArray) failed = collect ("starttls-required-not-offered");
    const MscSmtpClientEvent *failed_done = find_event (failed, MSC_SMTP_CLIENT_EVENT_DONE, 0);
    const MscSmtpClientEvent *failed_closed = find_event (failed, MSC_SMTP_CLIENT_EVENT_CLOSED, 0);

    g_assert_error (failed_done->outcome->error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TLS_UNAVAILABLE);
    g_assert_error (failed_closed->error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TLS_UNAVAILABLE);
    g_assert_cmpuint (failed_done->outcome->code, ==, 0);
  }
}

static void
test_names (void)
{
  g_assert_cmpstr (msc_smtp_client_state_get_name (MSC_SMTP_CLIENT_STATE_CONNECT), ==, "connect");
  g_assert_cmpstr (msc_smtp_client_state_get_name (MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE), ==, "tls-handshake");
  g_assert_cmpstr (msc_smtp_client_state_get_name (MSC_SMTP_CLIENT_STATE_DATA_END), ==, "data-end");
  g_assert_cmpstr (msc_smtp_client_state_get_name (MSC_SMTP_CLIENT_STATE_CLOSED), ==, "closed");
  g_assert_cmpstr (msc_smtp_client_event_kind_get_name (MSC_SMTP_CLIENT_EVENT_COMMAND), ==, "command");
  g_assert_cmpstr (msc_smtp_client_event_kind_get_name (MSC_SMTP_CLIENT_EVENT_RECIPIENT_RESULT), ==,
                   "recipient-result");
  g_assert_cmpstr (msc_smtp_client_event_kind_get_name (MSC_SMTP_CLIENT_EVENT_CLOSED), ==, "closed");
}

/* ---- Details ---- */

/* RFC 4954 §4: an initial response that would make the command line
 * longer than 512 octets waits for the empty challenge instead. */
static void
test_long_credentials (void)
{
  g_autofree char *password = g_strnfill (400, 'x');
  g_autofree char *sasl = g_strdup_printf ("%calice@example.com%c%s", 1, 1, password);
  g_autofree char *response = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GBytes) message = bytes_for (MESSAGE);
  MscSmtpClientConfig config = {
    .hostname = "client.example.org", .role = MSC_SMTP_CLIENT_ROLE_SUBMIT,
    .username = "alice@example.com", .password = password, .reverse_path = "alice@example.com",
    .recipients = FRIEND, .tls_mode = MSC_SMTP_CLIENT_TLS_IMPLICIT, .message = message,
  };
  g_autoptr(MscSmtpClient) client = NULL;
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GString) log = g_string_new (NULL);

  /* The NULs of RFC 4616, put in after printf */
  sasl[0] = '\0';
  sasl[strlen ("Xalice@example.com")] = '\0';
  response = g_base64_encode ((const guchar *) sasl, strlen ("Xalice@example.com") + 1 + strlen (password));
  expected = g_strdup_printf ("%s\r\n", response);

  client = msc_smtp_client_new (&config);
  msc_smtp_client_start (client);
  feed (client, GREET EHLO_AUTH, strlen (GREET EHLO_AUTH), FALSE, log);
  take_all (client, output);
  g_assert_cmpstr (output->str, ==, C_EHLO "AUTH PLAIN\r\n");

  g_string_truncate (output, 0);
  feed (client, "334 \r\n", 6, FALSE, log);
  take_all (client, output);
  g_assert_cmpstr (output->str, ==, expected);

  g_string_truncate (output, 0);
  feed (client, AUTH_OK, strlen (AUTH_OK), FALSE, log);
  take_all (client, output);
  g_assert_cmpstr (output->str, ==, C_MAIL_ALICE C_RCPT_FRIEND C_DATA);

  g_assert_finalize_object (g_steal_pointer (&client));
}

/* The text goes out in blocks, each a "send" of the data block timeout;
 * stuffing and line ends come out right across block boundaries. */
static void
test_text_blocks (void)
{
  g_autoptr(GBytes) message = bytes_for (DOTS);
  MscSmtpClientConfig config = {
    .hostname = "client.example.org", RELAY, .reverse_path = "sender@example.org",
    .recipients = ALICE, .message = message, .disable_pipelining = TRUE,
  };
  static const char * const replies[] = { GREET, EHLO_FULL, SENDER_OK, RCPT_OK, GO_AHEAD };

  for (gsize block_size = 1; block_size <= strlen (DOTS) + 1; block_size++)
    {
      g_autoptr(MscSmtpClient) client = NULL;
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GString) log = g_string_new (NULL);
      guint n_blocks = 0;
      gint64 now = T0;

      config.data_block_size = block_size;
      client = msc_smtp_client_new (&config);
      msc_smtp_client_set_now (client, now);
      msc_smtp_client_start (client);

      /* Without pipelining: each reply answers the command just taken */
      for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
        {
          g_autoptr(GBytes) command = msc_smtp_client_take_output (client);

          g_assert_true ((command != NULL) == (i > 0));
          feed (client, replies[i], strlen (replies[i]), FALSE, log);
        }

      g_assert_cmpint (msc_smtp_client_get_state (client), ==, MSC_SMTP_CLIENT_STATE_MESSAGE);

      while (msc_smtp_client_get_state (client) == MSC_SMTP_CLIENT_STATE_MESSAGE)
        {
          g_autoptr(GBytes) block = NULL;

          now += SECONDS (60);
          msc_smtp_client_set_now (client, now);
          block = msc_smtp_client_take_output (client);
          g_assert_nonnull (block);
          g_string_append_len (text, g_bytes_get_data (block, NULL), g_bytes_get_size (block));
          n_blocks++;

          if (msc_smtp_client_get_state (client) == MSC_SMTP_CLIENT_STATE_MESSAGE)
            g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, now + SECONDS (180));
          else
            g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, now + SECONDS (600));
        }

      g_assert_cmpstr (text->str, ==, DOTS_WIRE);
      /* A block that is only a CR waits for the next byte to say CRLF */
      g_assert_cmpuint (n_blocks, <=, (strlen (DOTS) + block_size - 1) / block_size);
      g_assert_cmpuint (n_blocks, >=, (strlen (DOTS) + 2 * block_size - 1) / (2 * block_size));
      if (block_size >= strlen (DOTS))
        g_assert_cmpuint (n_blocks, ==, 1);
      g_assert_null (msc_smtp_client_take_output (client));
      g_assert_finalize_object (g_steal_pointer (&client));
    }
}

static void
test_state_queries (void)
{
  g_autoptr(GBytes) message = bytes_for (MESSAGE);
  MscSmtpClientConfig config = {
    .hostname = "client.example.org", RELAY, .reverse_path = "sender@example.org",
    .recipients = ALICE, .message = message, .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED,
    .command_timeout_usec = SECONDS (10), .greeting_timeout_usec = SECONDS (20),
  };
  g_autoptr(MscSmtpClient) client = msc_smtp_client_new (&config);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  static const char after_tls[] = X_HEAD X_PIPE "250 SIZE 20000\r\n";

  g_assert_cmpint (msc_smtp_client_get_state (client), ==, MSC_SMTP_CLIENT_STATE_CONNECT);
  g_assert_false (msc_smtp_client_want_read (client));
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, -1);
  g_assert_null (msc_smtp_client_get_outcome (client));
  g_assert_null (msc_smtp_client_take_output (client));

  msc_smtp_client_set_now (client, T0);
  msc_smtp_client_start (client);
  g_assert_true (msc_smtp_client_want_read (client));
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, T0 + SECONDS (20));
  g_assert_null (msc_smtp_client_take_output (client));

  msc_smtp_client_set_now (client, T0 + SECONDS (5));
  feed (client, GREET EHLO_TLS, strlen (GREET EHLO_TLS), FALSE, log);
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, T0 + SECONDS (15));
  g_assert_cmpstr (msc_smtp_client_get_extension (client, "size"), ==, "10240000");
  g_assert_cmpstr (msc_smtp_client_get_extension (client, "StartTLS"), ==, "");
  g_assert_null (msc_smtp_client_get_extension (client, "CHUNKING"));
  g_assert_false (msc_smtp_client_is_tls_active (client));

  feed (client, TLS_GO, strlen (TLS_GO), FALSE, log);
  g_assert_cmpint (msc_smtp_client_get_state (client), ==, MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE);
  g_assert_false (msc_smtp_client_want_read (client));
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, -1);
  take_all (client, output);
  g_assert_cmpstr (output->str, ==, C_EHLO "STARTTLS\r\n");

  msc_smtp_client_set_now (client, T0 + SECONDS (100));
  msc_smtp_client_tls_started (client);
  g_assert_true (msc_smtp_client_is_tls_active (client));
  g_assert_true (msc_smtp_client_want_read (client));
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, T0 + SECONDS (110));
  /* RFC 3207 §4.2: what was learnt in plaintext is forgotten */
  g_assert_null (msc_smtp_client_get_extension (client, "SIZE"));

  feed (client, after_tls, strlen (after_tls), FALSE, log);
  g_assert_cmpstr (msc_smtp_client_get_extension (client, "SIZE"), ==, "20000");
  g_assert_null (msc_smtp_client_get_extension (client, "STARTTLS"));
  g_assert_cmpint (msc_smtp_client_get_state (client), ==, MSC_SMTP_CLIENT_STATE_MAIL);

  feed (client, "421 4.3.2 Bye\r\n", 15, FALSE, log);
  g_assert_true (msc_smtp_client_is_closed (client));
  g_assert_false (msc_smtp_client_want_read (client));
  g_assert_cmpint (msc_smtp_client_get_deadline (client), ==, -1);
  g_assert_false (msc_smtp_client_check_timeout (client));
  g_assert_nonnull (msc_smtp_client_get_outcome (client));

  /* Fed after the end */
  g_assert_false (msc_smtp_client_feed (client, (const guint8 *) "250 Ok\r\n", 8, &error));
  g_assert_error (error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_CLOSED);

  /* tls_started() after the end is harmless */
  msc_smtp_client_tls_started (client);

  drain (client, log, NULL, NULL);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* ---- The client and the real server, no socket between them ---- */

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

typedef struct
{
  MscSmtpServer *server;
  MscSmtpClient *client;
  GPtrArray     *messages;         /* MESSAGE events of the server */
  GPtrArray     *client_events;
  GString       *server_log;       /* verbs of the commands the server read */
  GString       *transcript;       /* "C: …" and "S: …", as on the wire */
  char          *authenticated;
  guint          n_handshakes;
} Pair;

static void
pair_init (Pair                      *pair,
           Fixture                   *fixture,
           const MscSmtpServerConfig *server_config,
           const MscSmtpClientConfig *client_config)
{
  memset (pair, 0, sizeof *pair);
  pair->server = msc_smtp_server_new (server_config, MSC_DIRECTORY (fixture->directory));
  pair->client = msc_smtp_client_new (client_config);
  pair->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_server_event_free);
  pair->client_events = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_smtp_client_event_free);
  pair->server_log = g_string_new (NULL);
  pair->transcript = g_string_new (NULL);

  msc_smtp_server_set_now (pair->server, T0);
  msc_smtp_client_set_now (pair->client, T0);
  msc_smtp_server_start (pair->server);
  msc_smtp_client_start (pair->client);
}

static void
pair_clear (Pair *pair)
{
  g_assert_finalize_object (g_steal_pointer (&pair->client));
  g_assert_finalize_object (g_steal_pointer (&pair->server));
  g_ptr_array_unref (pair->messages);
  g_ptr_array_unref (pair->client_events);
  g_string_free (pair->server_log, TRUE);
  g_string_free (pair->transcript, TRUE);
  g_free (pair->authenticated);
}

static void
append_transcript (GString    *transcript,
                   const char *who,
                   GBytes     *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_string_append (transcript, who);
  g_string_append_len (transcript, data, len);
}

/* Moves bytes both ways until neither side has anything more to say.
 * A STARTTLS raised on both sides "completes" at once: no TLS yet. */
static void
pump (Pair *pair)
{
  gboolean server_tls = FALSE;
  gboolean client_tls = FALSE;
  gboolean moved;

  do
    {
      g_autoptr(GBytes) up = msc_smtp_client_take_output (pair->client);
      g_autoptr(GBytes) down = msc_smtp_server_take_output (pair->server);
      MscSmtpServerEvent *server_event;
      MscSmtpClientEvent *client_event;

      moved = FALSE;

      if (up != NULL)
        {
          g_autoptr(GError) error = NULL;

          append_transcript (pair->transcript, "C: ", up);
          g_assert_true (msc_smtp_server_feed (pair->server, g_bytes_get_data (up, NULL),
                                               g_bytes_get_size (up), &error));
          g_assert_no_error (error);
          moved = TRUE;
        }

      if (down != NULL)
        {
          g_autoptr(GError) error = NULL;

          append_transcript (pair->transcript, "S: ", down);
          g_assert_true (msc_smtp_client_feed (pair->client, g_bytes_get_data (down, NULL),
                                               g_bytes_get_size (down), &error));
          g_assert_no_error (error);
          moved = TRUE;
        }

      while ((server_event = msc_smtp_server_next_event (pair->server)) != NULL)
        {
          switch (server_event->kind)
            {
            case MSC_SMTP_SERVER_EVENT_COMMAND:
              g_string_append_printf (pair->server_log, "%s ", server_event->verb ? server_event->verb : "-");
              break;
            case MSC_SMTP_SERVER_EVENT_AUTHENTICATED:
              g_free (pair->authenticated);
              pair->authenticated = g_strdup (server_event->user);
              break;
            case MSC_SMTP_SERVER_EVENT_STARTTLS:
              server_tls = TRUE;
              break;
            case MSC_SMTP_SERVER_EVENT_MESSAGE:
              g_ptr_array_add (pair->messages, g_steal_pointer (&server_event));
              msc_smtp_server_message_done (pair->server, NULL);
              moved = TRUE;
              break;
            case MSC_SMTP_SERVER_EVENT_REPLY:
            case MSC_SMTP_SERVER_EVENT_STATE_CHANGED:
            case MSC_SMTP_SERVER_EVENT_CLOSED:
            case MSC_SMTP_SERVER_N_EVENT_KINDS:
            default:
              break;
            }
          msc_smtp_server_event_free (server_event);
        }

      while ((client_event = msc_smtp_client_next_event (pair->client)) != NULL)
        {
          if (client_event->kind == MSC_SMTP_CLIENT_EVENT_STARTTLS)
            client_tls = TRUE;
          g_ptr_array_add (pair->client_events, client_event);
        }

      if (server_tls && client_tls)
        {
          g_assert_null (msc_smtp_server_take_output (pair->server));
          g_assert_null (msc_smtp_client_take_output (pair->client));
          msc_smtp_server_tls_started (pair->server);
          msc_smtp_client_tls_started (pair->client);
          server_tls = client_tls = FALSE;
          pair->n_handshakes++;
          moved = TRUE;
        }
    }
  while (moved);

  g_assert_false (server_tls || client_tls);
}

static const MscSmtpClientRecipient *
outcome_recipient (const MscSmtpClientOutcome *outcome,
                   guint                       i)
{
  return g_ptr_array_index (outcome->recipients, i);
}

static void
assert_server_recipient (const MscSmtpServerEvent *message,
                         guint                     i,
                         const char               *address,
                         gboolean                  local)
{
  const MscSmtpRecipient *recipient = g_ptr_array_index (message->recipients, i);

  g_assert_cmpstr (recipient->address, ==, address);
  g_assert_cmpint (recipient->local, ==, local);
}

static void
assert_message_bytes (const MscSmtpServerEvent *message,
                      const char               *text)
{
  g_assert_cmpmem (g_bytes_get_data (message->message, NULL), g_bytes_get_size (message->message),
                   text, strlen (text));
}

/* The message both sides see; it ends in CRLF, so it arrives unchanged. */
#define PAIR_TEXT "From: alice@example.com\r\nSubject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend\r\n"

static void
test_pair_submission (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  static const char * const recipients[] = {
    "friend@remote.example", "bob@example.com", "nobody@example.com", NULL,
  };
  g_autoptr(GBytes) text = bytes_for (PAIR_TEXT);
  MscSmtpServerConfig server_config = {
    .hostname = "smtp.example.com", .role = MSC_SMTP_SERVER_ROLE_SUBMISSION,
    .tls_available = TRUE, .allow_insecure_auth = TRUE,
  };

  for (guint variant = 0; variant < 2; variant++)
    {
      /* PLAIN pipelined in one block; LOGIN one command at a time in small blocks */
      MscSmtpClientConfig client_config = {
        .hostname = "laptop.example.org", .role = MSC_SMTP_CLIENT_ROLE_SUBMIT,
        .username = "alice@example.com", .password = "secret", .allow_auth_without_tls = TRUE,
        .auth_mechanism = variant == 0 ? MSC_SMTP_CLIENT_AUTH_PLAIN : MSC_SMTP_CLIENT_AUTH_LOGIN,
        .disable_pipelining = variant == 1, .data_block_size = variant == 1 ? 3 : 0,
        .reverse_path = "alice@example.com", .recipients = recipients, .message = text,
      };
      const MscSmtpClientOutcome *outcome;
      const MscSmtpServerEvent *message;
      Pair pair;

      pair_init (&pair, fixture, &server_config, &client_config);
      pump (&pair);
      g_test_message ("%s", pair.transcript->str);

      g_assert_true (msc_smtp_client_is_closed (pair.client));
      g_assert_true (msc_smtp_server_is_closed (pair.server));
      g_assert_cmpstr (pair.authenticated, ==, "alice@example.com");
      g_assert_cmpstr (pair.server_log->str, ==,
                       variant == 0 ? "EHLO AUTH MAIL RCPT RCPT RCPT DATA QUIT "
                                    : "EHLO AUTH - - MAIL RCPT RCPT RCPT DATA QUIT ");

      /* The server kept the envelope and exactly the text */
      g_assert_cmpuint (pair.messages->len, ==, 1);
      message = g_ptr_array_index (pair.messages, 0);
      g_assert_cmpstr (message->reverse_path, ==, "alice@example.com");
      g_assert_cmpstr (message->user, ==, "alice@example.com");
      g_assert_cmpuint (message->recipients->len, ==, 2);
      assert_server_recipient (message, 0, "friend@remote.example", FALSE);
      assert_server_recipient (message, 1, "bob@example.com", TRUE);
      assert_message_bytes (message, PAIR_TEXT);

      /* …and the client agrees on who got it */
      outcome = msc_smtp_client_get_outcome (pair.client);
      g_assert_true (outcome->success);
      g_assert_no_error (outcome->error);
      g_assert_cmpuint (outcome->code, ==, 250);
      g_assert_true (outcome_recipient (outcome, 0)->accepted);
      g_assert_true (outcome_recipient (outcome, 1)->accepted);
      g_assert_false (outcome_recipient (outcome, 2)->accepted);
      g_assert_cmpuint (outcome_recipient (outcome, 2)->code, ==, 550);
      g_assert_cmpstr (outcome_recipient (outcome, 2)->enhanced, ==, "5.1.1");

      pair_clear (&pair);
    }
}

static void
test_pair_relay (Fixture       *fixture,
                 gconstpointer  data G_GNUC_UNUSED)
{
  static const char * const recipients[] = {
    "alice@example.com", "nobody@example.com", "someone@elsewhere.example", NULL,
  };
  g_autoptr(GBytes) text = bytes_for (PAIR_TEXT);
  MscSmtpServerConfig server_config = {
    .hostname = "mx.example.com", .role = MSC_SMTP_SERVER_ROLE_MX, .tls_available = TRUE,
  };
  MscSmtpClientConfig client_config = {
    .hostname = "mta.remote.example", .role = MSC_SMTP_CLIENT_ROLE_RELAY,
    .reverse_path = "sender@remote.example", .recipients = recipients, .message = text,
  };
  const MscSmtpClientOutcome *outcome;
  const MscSmtpServerEvent *message;
  Pair pair;

  pair_init (&pair, fixture, &server_config, &client_config);
  pump (&pair);
  g_test_message ("%s", pair.transcript->str);

  g_assert_cmpuint (pair.n_handshakes, ==, 0);
  g_assert_cmpstr (pair.server_log->str, ==, "EHLO MAIL RCPT RCPT RCPT DATA QUIT ");
  g_assert_cmpuint (pair.messages->len, ==, 1);
  message = g_ptr_array_index (pair.messages, 0);
  g_assert_cmpstr (message->reverse_path, ==, "sender@remote.example");
  g_assert_null (message->user);
  g_assert_cmpuint (message->recipients->len, ==, 1);
  assert_server_recipient (message, 0, "alice@example.com", TRUE);
  assert_message_bytes (message, PAIR_TEXT);
  g_assert_true (g_str_has_suffix (message->received, "\tby mx.example.com with ESMTP\r\n"
                                   "\tfor <alice@example.com>; Thu, 1 Jan 2026 00:00:00 +0000\r\n"));

  /* Both sides agree: a local unknown (5.1.1), a relay refused (5.7.1) */
  outcome = msc_smtp_client_get_outcome (pair.client);
  g_assert_true (outcome->success);
  g_assert_true (outcome_recipient (outcome, 0)->accepted);
  g_assert_cmpstr (outcome_recipient (outcome, 1)->enhanced, ==, "5.1.1");
  g_assert_false (outcome_recipient (outcome, 1)->accepted);
  g_assert_cmpuint (outcome_recipient (outcome, 2)->code, ==, 550);
  g_assert_cmpstr (outcome_recipient (outcome, 2)->enhanced, ==, "5.7.1");
  g_assert_false (outcome_recipient (outcome, 2)->accepted);

  pair_clear (&pair);
}

static void
test_pair_refused (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  static const char * const recipients[] = { "nobody@example.com", NULL };
  g_autofree char *big = g_strnfill (2000, 'x');
  g_autoptr(GBytes) text = bytes_for (PAIR_TEXT);
  g_autoptr(GBytes) big_text = bytes_for (big);
  MscSmtpServerConfig server_config = {
    .hostname = "mx.example.com", .role = MSC_SMTP_SERVER_ROLE_MX, .max_message_size = 1000,
  };
  MscSmtpClientConfig client_config = {
    .hostname = "mta.remote.example", .role = MSC_SMTP_CLIENT_ROLE_RELAY,
    .reverse_path = "sender@remote.example", .recipients = recipients, .message = text,
  };
  const MscSmtpClientOutcome *outcome;
  Pair pair;

  /* Every recipient refused: the server never sees a text */
  pair_init (&pair, fixture, &server_config, &client_config);
  pump (&pair);
  g_assert_cmpstr (pair.server_log->str, ==, "EHLO MAIL RCPT DATA QUIT ");
  g_assert_cmpuint (pair.messages->len, ==, 0);
  outcome = msc_smtp_client_get_outcome (pair.client);
  g_assert_error (outcome->error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_RECIPIENTS_REFUSED);
  g_assert_cmpuint (outcome->code, ==, 550);
  g_assert_true (msc_smtp_server_is_closed (pair.server));
  pair_clear (&pair);

  /* Larger than the server's SIZE: no MAIL at all */
  client_config.recipients = ALICE;
  client_config.message = big_text;
  pair_init (&pair, fixture, &server_config, &client_config);
  pump (&pair);
  g_assert_cmpstr (pair.server_log->str, ==, "EHLO QUIT ");
  outcome = msc_smtp_client_get_outcome (pair.client);
  g_assert_error (outcome->error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_MESSAGE_TOO_BIG);
  g_assert_false (outcome->transient);
  pair_clear (&pair);
}

static void
test_pair_smtputf8 (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GBytes) text = bytes_for (UTF8_HEADER);
  MscSmtpServerConfig server_config = { .hostname = "mx.example.com", .role = MSC_SMTP_SERVER_ROLE_MX };
  MscSmtpClientConfig client_config = {
    .hostname = "mta.remote.example", .role = MSC_SMTP_CLIENT_ROLE_RELAY,
    .reverse_path = "李四@示例.中国", .recipients = ZHANG, .message = text,
  };
  const MscSmtpServerEvent *message;
  Pair pair;

  pair_init (&pair, fixture, &server_config, &client_config);
  pump (&pair);

  g_assert_cmpuint (pair.messages->len, ==, 1);
  message = g_ptr_array_index (pair.messages, 0);
  g_assert_true (message->smtputf8);
  g_assert_true (message->body_8bitmime);
  g_assert_cmpstr (message->reverse_path, ==, "李四@示例.中国");
  assert_server_recipient (message, 0, "张三@例子.公司", TRUE);
  assert_message_bytes (message, UTF8_HEADER);
  g_assert_true (msc_smtp_client_get_outcome (pair.client)->success);

  pair_clear (&pair);
}

static void
test_pair_starttls (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GBytes) text = bytes_for (PAIR_TEXT);

  /* An MX with opportunistic TLS, then submission that requires it */
  for (guint variant = 0; variant < 2; variant++)
    {
      MscSmtpServerConfig server_config = {
        .hostname = variant == 0 ? "mx.example.com" : "smtp.example.com",
        .role = variant == 0 ? MSC_SMTP_SERVER_ROLE_MX : MSC_SMTP_SERVER_ROLE_SUBMISSION,
        .tls_available = TRUE,
      };
      MscSmtpClientConfig client_config = {
        .hostname = "laptop.example.org",
        .role = variant == 0 ? MSC_SMTP_CLIENT_ROLE_RELAY : MSC_SMTP_CLIENT_ROLE_SUBMIT,
        .tls_mode = variant == 0 ? MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED
                                 : MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED,
        .username = variant == 0 ? NULL : "alice@example.com", .password = "secret",
        .reverse_path = "alice@example.com", .recipients = ALICE, .message = text,
      };
      const MscSmtpServerEvent *message;
      Pair pair;

      pair_init (&pair, fixture, &server_config, &client_config);
      pump (&pair);
      g_test_message ("%s", pair.transcript->str);

      /* Both sides continue with EHLO after the "handshake" */
      g_assert_cmpuint (pair.n_handshakes, ==, 1);
      g_assert_true (msc_smtp_client_is_tls_active (pair.client));
      g_assert_cmpstr (pair.server_log->str, ==,
                       variant == 0 ? "EHLO STARTTLS EHLO MAIL RCPT DATA QUIT "
                                    : "EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT ");
      g_assert_nonnull (strstr (pair.transcript->str,
                                "C: STARTTLS\r\nS: 220 2.0.0 Ready to start TLS\r\n"
                                "C: EHLO laptop.example.org\r\n"));

      g_assert_cmpuint (pair.messages->len, ==, 1);
      message = g_ptr_array_index (pair.messages, 0);
      assert_message_bytes (message, PAIR_TEXT);
      g_assert_nonnull (strstr (message->received, variant == 0 ? "with ESMTPS\r\n" : "with ESMTPSA\r\n"));
      g_assert_true (msc_smtp_client_get_outcome (pair.client)->success);

      pair_clear (&pair);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/smtp-client/conversation/%s", conversations[i].name);

      g_test_add_data_func (path, &conversations[i], test_conversation);
    }

  g_test_add_func ("/msc/smtp-client/event/state", test_state_events);
  g_test_add_func ("/msc/smtp-client/event/command", test_command_events);
  g_test_add_func ("/msc/smtp-client/event/reply", test_reply_events);
  g_test_add_func ("/msc/smtp-client/event/done", test_done_event);
  g_test_add_func ("/msc/smtp-client/enhanced-codes", test_enhanced_code_parsing);
  g_test_add_func ("/msc/smtp-client/long-credentials", test_long_credentials);
  g_test_add_func ("/msc/smtp-client/text-blocks", test_text_blocks);
  g_test_add_func ("/msc/smtp-client/state-queries", test_state_queries);
  g_test_add_func ("/msc/smtp-client/names", test_names);

#define ADD(path, func) \
  g_test_add ("/msc/smtp-client/pair/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("submission", test_pair_submission);
  ADD ("relay", test_pair_relay);
  ADD ("refused", test_pair_refused);
  ADD ("smtputf8", test_pair_smtputf8);
  ADD ("starttls", test_pair_starttls);

#undef ADD

  return g_test_run ();
}
