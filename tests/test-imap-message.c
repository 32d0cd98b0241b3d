/* test-imap-message.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-imap-message"

#include "config.h"

#include <string.h>

#include "msc-imap-message.h"

/* Expected strings derived by hand from RFC 3501 §7.4.2 and the octets of
 * the files in $MSC_TESTDATA_DIR (sizes count CRLF; the CRLF before a
 * boundary belongs to the boundary, RFC 2046 §5.1.1). */

#define ALICE "(\"Alice Example\" NIL \"alice\" \"example.com\")"
#define BOB   "(\"Bob Example\" NIL \"bob\" \"example.com\")"
#define DATE  "\"Thu, 26 Nov 2026 09:30:00 +0800\""

#define ENVELOPE_01 \
  "(" DATE " \"Quarterly report\" (" ALICE ") (" ALICE ") (" ALICE ") (" BOB ") " \
  "NIL NIL NIL \"<plain-ascii-01@example.com>\")"
#define BODY_01 "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 151 7)"
#define BODYSTRUCTURE_01 \
  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 151 7 NIL NIL NIL NIL)"

#define ZHANGSAN "(\"=?utf-8?b?5byg5LiJ?=\" NIL \"zhangsan\" \"example.com\")"
#define XIAOCHEN "(\"=?GB2312?B?0KGzwg==?=\" NIL \"xiaochen\" \"qq.example\")"
#define WANGWU   "(\"=?UTF-8?B?546L5LqU?=\" NIL \"wangwu\" \"example.com\")"
#define MAILER_DAEMON "(\"Mail Delivery System\" NIL \"MAILER-DAEMON\" \"mail.example.com\")"

static const struct {
  const char *file;
  const char *envelope;
  const char *body;
  const char *body_structure;
} structures[] = {
  { "01-plain-ascii.eml", ENVELOPE_01, BODY_01, BODYSTRUCTURE_01 },
  {
    "02-utf8-chinese-base64.eml",
    "(" DATE " \"=?utf-8?b?5YWz5LqO5LiL5ZGo6aG555uu5Lya6K6u55qE5a6J5o6S?=\" "
    "(" ZHANGSAN ") (" ZHANGSAN ") (" ZHANGSAN ") "
    "((\"=?utf-8?b?5p2O5Zub?=\" NIL \"lisi\" \"example.com\")) NIL NIL NIL \"<utf8-cn-02@example.com>\")",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"BASE64\" 148 2)",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"BASE64\" 148 2 NIL NIL NIL NIL)",
  },
  {
    "03-gb2312-foxmail-style.eml",
    "(" DATE " \"=?GB2312?B?sb7Uws/6ytvK/b7d?=\" (" XIAOCHEN ") (" XIAOCHEN ") (" XIAOCHEN ") "
    "((\"=?GB2312?B?zfW+rcDt?=\" NIL \"wang\" \"example.com\")) NIL NIL NIL \"<gbk-03@qq.example>\")",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"gb2312\") NIL NIL \"BASE64\" 100 2)",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"gb2312\") NIL NIL \"BASE64\" 100 2 NIL NIL NIL NIL)",
  },
  {
    "04-multipart-alternative.eml",
    "(" DATE " \"Team lunch on Friday\" (" ALICE ") (" ALICE ") (" ALICE ") "
    "((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL \"<alt-04@example.com>\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 107 2)"
    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 145 2) \"ALTERNATIVE\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 107 2 NIL NIL NIL NIL)"
    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 145 2 NIL NIL NIL NIL) "
    "\"ALTERNATIVE\" (\"BOUNDARY\" \"alt-boundary-04\") NIL NIL NIL)",
  },
  {
    "05-mixed-attachment-chinese-filename.eml",
    "(" DATE " \"Logo draft\" (" ALICE ") (" ALICE ") (" ALICE ") (" BOB ") "
    "NIL NIL NIL \"<mixed-05@example.com>\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 34 1)"
    "(\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 104) \"MIXED\")",
    /* RFC 2231 parameters are passed on as sent: clients decode them. */
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 34 1 NIL NIL NIL NIL)"
    "(\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 104 NIL (\"ATTACHMENT\" (\"FILENAME*\" "
    "\"utf-8''%E5%85%AC%E5%8F%B8%E6%A0%87%E5%BF%97%E8%8D%89%E7%A8%BF.png\")) NIL NIL) "
    "\"MIXED\" (\"BOUNDARY\" \"===============5193080520016866621==\") NIL NIL NIL)",
  },
  {
    /* The forwarded message is 01, octet for octet: 467 octets, 17 lines. */
    "06-forwarded-rfc822.eml",
    "(" DATE " \"Fwd: Quarterly report\" (" BOB ") (" BOB ") (" BOB ") "
    "((\"Carol\" NIL \"carol\" \"example.com\")) NIL NIL NIL \"<fwd-06@example.com>\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 19 1)"
    "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 467 " ENVELOPE_01 " " BODY_01 " 17) \"MIXED\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 19 1 NIL NIL NIL NIL)"
    "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 467 " ENVELOPE_01 " " BODYSTRUCTURE_01 " 17 "
    "NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"===============0375338695517880916==\") NIL NIL NIL)",
  },
  {
    /* message/delivery-status is not message/rfc822: a basic body, no
     * lines; text/rfc822-headers names no charset: US-ASCII. */
    "07-bounce-dsn.eml",
    "(" DATE " \"Undelivered Mail Returned to Sender\" (" MAILER_DAEMON ") (" MAILER_DAEMON ") "
    "(" MAILER_DAEMON ") ((NIL NIL \"alice\" \"example.com\")) NIL NIL NIL \"<dsn-07@mail.example.com>\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 326 8)"
    "(\"MESSAGE\" \"DELIVERY-STATUS\" NIL NIL NIL \"7BIT\" 386)"
    "(\"TEXT\" \"RFC822-HEADERS\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 172 5) \"REPORT\")",
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 326 8 NIL NIL NIL NIL)"
    "(\"MESSAGE\" \"DELIVERY-STATUS\" NIL NIL NIL \"7BIT\" 386 NIL NIL NIL NIL)"
    "(\"TEXT\" \"RFC822-HEADERS\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 172 5 NIL NIL NIL NIL) "
    "\"REPORT\" (\"REPORT-TYPE\" \"delivery-status\" \"BOUNDARY\" \"dsn-boundary\") NIL NIL NIL)",
  },
  {
    /* The folded subject is unfolded: the CRLF goes, its space stays. */
    "08-8bit-utf8-folded-headers.eml",
    "(" DATE " \"=?UTF-8?B?6L+Z5piv5LiA5Liq5b6I6ZW/55qE5Li76aKY77yM55So5p2l5rWL6K+V6YKu5Lu25aS055qE5oqY"
    "6KGM5aSE55CG5piv5ZCm5q2j56Gu77yM?= =?UTF-8?B?5Lul5Y+K57yW56CB5a2X55qE5ou85o6l?=\" "
    "(" WANGWU ") (" WANGWU ") (" WANGWU ") "
    "((NIL NIL \"alice\" \"example.com\")(NIL NIL \"bob\" \"example.com\")"
    "(NIL NIL \"carol\" \"example.com\")(NIL NIL \"dave\" \"example.com\")) "
    "((\"=?UTF-8?Q?=E8=B5=B5=E5=85=AD?=\" NIL \"zhaoliu\" \"example.com\")) NIL "
    "\"<utf8-cn-02@example.com>\" \"<8bit-08@example.com>\")",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"8BIT\" 82 5)",
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"8BIT\" 82 5 NIL NIL NIL NIL)",
  },
};

static GBytes *
load_bytes (const char *name)
{
  const char *dir = g_getenv ("MSC_TESTDATA_DIR");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  char *contents;
  gsize len;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, name, NULL);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, len);
}

static MscImapMessage *
load (const char *name)
{
  g_autoptr (GBytes) bytes = load_bytes (name);

  return msc_imap_message_new (bytes);
}

static MscImapMessage *
parse (const char *text)
{
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));

  return msc_imap_message_new (bytes);
}

static void
assert_section (MscImapMessage *message,
                const char     *section,
                const char     *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = msc_imap_message_get_section (message, section, &error);

  g_test_message ("BODY[%s]", section);
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   expected, strlen (expected));
}

static void
assert_envelope (MscImapMessage *message,
                 const char     *expected)
{
  g_autofree char *envelope = msc_imap_message_get_envelope (message);

  g_assert_cmpstr (envelope, ==, expected);
}

static void
assert_body (MscImapMessage *message,
             const char     *body,
             const char     *body_structure)
{
  g_autofree char *non_extensible = msc_imap_message_get_body_structure (message, FALSE);
  g_autofree char *extensible = msc_imap_message_get_body_structure (message, TRUE);

  g_assert_cmpstr (non_extensible, ==, body);
  g_assert_cmpstr (extensible, ==, body_structure);
}

static void
test_structure (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autoptr (MscImapMessage) message = load (structures[i].file);

  assert_envelope (message, structures[i].envelope);
  assert_body (message, structures[i].body, structures[i].body_structure);
  /* Cached answers are the same answers. */
  assert_envelope (message, structures[i].envelope);
  assert_body (message, structures[i].body, structures[i].body_structure);

  g_assert_finalize_object (g_steal_pointer (&message));
}

/* ---- BODY[section] ---- */

#define HEADER_01 \
  "Return-Path: <alice@example.com>\r\n" \
  "From: Alice Example <alice@example.com>\r\n" \
  "To: Bob Example <bob@example.com>\r\n" \
  "Subject: Quarterly report\r\n" \
  "Date: Thu, 26 Nov 2026 09:30:00 +0800\r\n" \
  "Message-ID: <plain-ascii-01@example.com>\r\n" \
  "MIME-Version: 1.0\r\n" \
  "Content-Type: text/plain; charset=us-ascii\r\n" \
  "Content-Transfer-Encoding: 7bit\r\n" \
  "\r\n"
#define TEXT_01 \
  "Hi Bob,\r\n" \
  "\r\n" \
  "The quarterly report is attached to the shared drive.\r\n" \
  ".A line that starts with a dot must survive dot-stuffing.\r\n" \
  "..Two dots too.\r\n" \
  "\r\n" \
  "Alice\r\n"

static void
test_section_plain (void)
{
  g_autoptr (MscImapMessage) message = load ("01-plain-ascii.eml");
  g_autoptr (GBytes) file = load_bytes ("01-plain-ascii.eml");
  g_autoptr (GBytes) all = msc_imap_message_get_section (message, "", NULL);

  g_assert_true (g_bytes_equal (all, file));
  g_assert_cmpuint (msc_imap_message_get_size (message), ==, 467);
  g_assert_true (g_bytes_equal (msc_imap_message_get_data (message), file));

  assert_section (message, "HEADER", HEADER_01);
  assert_section (message, "TEXT", TEXT_01);
  /* A message that is not multipart has a part 1: its body. */
  assert_section (message, "1", TEXT_01);
  assert_section (message, "1.MIME", HEADER_01);
  /* Keywords in any case. */
  assert_section (message, "header", HEADER_01);
  assert_section (message, "Text", TEXT_01);
  /* Part 1 is a text part, not a message: no header, no text of its own. */
  assert_section (message, "1.HEADER", "");
  assert_section (message, "1.TEXT", "");
  assert_section (message, "2", "");
  assert_section (message, "1.1", "");

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_section_alternative (void)
{
  g_autoptr (MscImapMessage) message = load ("04-multipart-alternative.eml");

  assert_section (message, "1",
                  "Lunch is at 12:30 =E2=80=94 see you there! The caf=C3=A9 on the corner has a =\r\n"
                  "long table for all of us.\r\n");
  assert_section (message, "2",
                  "<html><body><p>Lunch is at <b>12:30</b> &mdash; see you there! The caf=C3=\r\n"
                  "=A9 on the corner has a long table for all of us.</p></body></html>\r\n");
  assert_section (message, "1.MIME",
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n");
  assert_section (message, "2.MIME",
                  "Content-Type: text/html; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n");
  /* The body of the message: preamble, parts, boundaries, epilogue. */
  assert_section (message, "TEXT",
                  "This is a multi-part message in MIME format.\r\n"
                  "\r\n"
                  "--alt-boundary-04\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n"
                  "Lunch is at 12:30 =E2=80=94 see you there! The caf=C3=A9 on the corner has a =\r\n"
                  "long table for all of us.\r\n"
                  "\r\n"
                  "--alt-boundary-04\r\n"
                  "Content-Type: text/html; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n"
                  "<html><body><p>Lunch is at <b>12:30</b> &mdash; see you there! The caf=C3=\r\n"
                  "=A9 on the corner has a long table for all of us.</p></body></html>\r\n"
                  "\r\n"
                  "--alt-boundary-04--\r\n");
  assert_section (message, "3", "");
  assert_section (message, "3.MIME", "");
  assert_section (message, "1.1", "");
  assert_section (message, "4294967295", "");

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_section_attachment (void)
{
  g_autoptr (MscImapMessage) message = load ("05-mixed-attachment-chinese-filename.eml");

  assert_section (message, "1", "Bob, the logo draft is attached.\r\n");
  assert_section (message, "1.MIME",
                  "Content-Type: text/plain; charset=\"utf-8\"\r\n"
                  "Content-Transfer-Encoding: 7bit\r\n"
                  "\r\n");
  /* The base64 as stored, not decoded. */
  assert_section (message, "2",
                  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/\r\n"
                  "P8Fu7N9hAAAAAElFTkSuQmCC\r\n");
  assert_section (message, "2.MIME",
                  "Content-Type: image/png\r\n"
                  "Content-Transfer-Encoding: base64\r\n"
                  "Content-Disposition: attachment;\r\n"
                  " filename*=utf-8''%E5%85%AC%E5%8F%B8%E6%A0%87%E5%BF%97%E8%8D%89%E7%A8%BF.png\r\n"
                  "MIME-Version: 1.0\r\n"
                  "\r\n");
  assert_section (message, "2.HEADER", "");
  assert_section (message, "2.1", "");
  assert_section (message, "3", "");

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_section_rfc822 (void)
{
  g_autoptr (MscImapMessage) message = load ("06-forwarded-rfc822.eml");
  g_autoptr (GBytes) forwarded = load_bytes ("01-plain-ascii.eml");
  g_autoptr (GBytes) part2 = msc_imap_message_get_section (message, "2", NULL);

  assert_section (message, "1", "Carol, see below.\r\n");
  /* The part's body is the whole message it holds. */
  g_assert_true (g_bytes_equal (part2, forwarded));
  assert_section (message, "2.MIME",
                  "Content-Type: message/rfc822\r\n"
                  "MIME-Version: 1.0\r\n"
                  "\r\n");
  assert_section (message, "2.HEADER", HEADER_01);
  assert_section (message, "2.TEXT", TEXT_01);
  /* The forwarded message is not multipart: its part 1 is its body. */
  assert_section (message, "2.1", TEXT_01);
  assert_section (message, "2.1.MIME", HEADER_01);
  assert_section (message, "2.HEADER.FIELDS (Subject)", "Subject: Quarterly report\r\n\r\n");
  assert_section (message, "2.HEADER.FIELDS.NOT (Return-Path From To Date Message-ID MIME-Version "
                  "Content-Type Content-Transfer-Encoding)",
                  "Subject: Quarterly report\r\n\r\n");
  assert_section (message, "2.2", "");
  assert_section (message, "2.1.1", "");
  assert_section (message, "1.HEADER", "");
  assert_section (message, "HEADER.FIELDS (Subject)", "Subject: Fwd: Quarterly report\r\n\r\n");

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_header_fields (void)
{
  g_autoptr (MscImapMessage) message = load ("08-8bit-utf8-folded-headers.eml");

  /* Message order, not the order asked; names in any case; a folded
   * field whole; the blank line after. */
  assert_section (message, "HEADER.FIELDS (cc TO)",
                  "To: alice@example.com, bob@example.com,\r\n"
                  " carol@example.com, dave@example.com\r\n"
                  "Cc: =?UTF-8?Q?=E8=B5=B5=E5=85=AD?= <zhaoliu@example.com>\r\n"
                  "\r\n");
  assert_section (message, "header.fields (\"In-Reply-To\" References)",
                  "In-Reply-To: <utf8-cn-02@example.com>\r\n"
                  "References: <utf8-cn-02@example.com>\r\n"
                  "\r\n");
  assert_section (message, "HEADER.FIELDS (X-Absent)", "\r\n");
  assert_section (message, "HEADER.FIELDS.NOT (From To Cc Subject Date Message-ID In-Reply-To "
                  "References)",
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: 8bit\r\n"
                  "\r\n");
  /* "Content" is not a prefix match for Content-Type. */
  assert_section (message, "HEADER.FIELDS (Content MIME-Version)", "MIME-Version: 1.0\r\n\r\n");

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_bad_sections (void)
{
  static const char * const bad[] = {
    "0", "01", "1.0", "1.", ".1", "1..2", "1 ", " 1", "-1", "4294967296",
    "FOO", "HEADERS", "MIME", "1.MIME.TEXT", "TEXT.1", "HEADER ", "1.TEXT ",
    "HEADER.FIELDS", "HEADER.FIELDS ", "HEADER.FIELDS ()", "HEADER.FIELDS (From",
    "HEADER.FIELDS  (From)", "HEADER.FIELDS (From  To)", "HEADER.FIELDS (From )",
    "HEADER.FIELDS (From) ", "HEADER.FIELDS(From)", "HEADER.FIELDS (Fr{om)",
    "HEADER.FIELDS (\"From)", "HEADER.FIELDS.NOT", "HEADER.FIELDS.NOT ()",
    "HEADER.FIELDS (Subject\tFrom)", "HEADER.FIELDS (Sub\xc3\xa9ject)", "1.2.", "TEXT\r\n",
  };
  g_autoptr (MscImapMessage) message = load ("06-forwarded-rfc822.eml");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) check_error = NULL;
      g_autoptr (GBytes) bytes = NULL;

      g_test_message ("bad section: \"%s\"", bad[i]);
      bytes = msc_imap_message_get_section (message, bad[i], &error);
      g_assert_null (bytes);
      g_assert_error (error, MSC_IMAP_MESSAGE_ERROR, MSC_IMAP_MESSAGE_ERROR_BAD_SECTION);
      g_assert_cmpstr (error->message, ==, "The section of a message to fetch is not valid");

      g_assert_false (msc_imap_message_check_section (bad[i], &check_error));
      g_assert_error (check_error, MSC_IMAP_MESSAGE_ERROR, MSC_IMAP_MESSAGE_ERROR_BAD_SECTION);
      g_assert_false (msc_imap_message_check_section (bad[i], NULL));
    }

  g_assert_true (msc_imap_message_check_section ("", NULL));
  g_assert_true (msc_imap_message_check_section ("1.2.3.MIME", NULL));
  g_assert_true (msc_imap_message_check_section ("4294967295.HEADER", NULL));
  g_assert_true (msc_imap_message_check_section ("HEADER.FIELDS.NOT (\"a\\\"b\" c])", NULL));

  g_assert_finalize_object (g_steal_pointer (&message));
}

/* ---- ENVELOPE addresses and BODYSTRUCTURE details, on made-up mail ---- */

static void
test_envelope_addresses (void)
{
  static const struct {
    const char *message;
    const char *envelope;
  } cases[] = {
    /* Dovecot's test-imap-envelope.c cases (from imaptest) */
    {
      "From: user@domain (Real Name)\r\n"
      "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
      "Cc: group:;, group2: (foo) ;\r\n"
      "\r\n"
      "body\r\n",
      "(NIL NIL ((\"Real Name\" NIL \"user\" \"domain\")) ((\"Real Name\" NIL \"user\" \"domain\")) "
      "((\"Real Name\" NIL \"user\" \"domain\")) "
      "((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")(NIL NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)"
      "(NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")(NIL NIL NIL NIL)) "
      "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"group2\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)",
    },
    {
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
      "From: user@domain (Real Name)\r\n"
      "Sender: \r\n"
      "Reply-To: \r\n"
      "\r\n"
      "body\r\n",
      "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL ((\"Real Name\" NIL \"user\" \"domain\")) "
      "((\"Real Name\" NIL \"user\" \"domain\")) ((\"Real Name\" NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL)",
    },
    {
      "From: <@route:user@domain>\r\n\r\n",
      "(NIL NIL ((NIL \"@route\" \"user\" \"domain\")) ((NIL \"@route\" \"user\" \"domain\")) "
      "((NIL \"@route\" \"user\" \"domain\")) NIL NIL NIL NIL NIL)",
    },
    /* Sender and Reply-To given: not the From. */
    {
      "From: a@example.com\r\nSender: b@example.com\r\nReply-To: c@example.com\r\n"
      "Bcc: d@example.com\r\n\r\n",
      "(NIL NIL ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"b\" \"example.com\")) "
      "((NIL NIL \"c\" \"example.com\")) NIL NIL ((NIL NIL \"d\" \"example.com\")) NIL NIL)",
    },
    /* Quoting removed from names and local parts (RFC 3501 §9 addr-name,
     * addr-mailbox), then written as IMAP strings. */
    {
      "From: \"Doe, John \\\"JD\\\"\" <john.doe@example.com>\r\n"
      "To: \"john doe\"@example.com, John Q. Public <jqp@[192.0.2.1]>\r\n"
      "Cc: <@a.example,@b.example:u@c.example>\r\n\r\n",
      "(NIL NIL ((\"Doe, John \\\"JD\\\"\" NIL \"john.doe\" \"example.com\")) "
      "((\"Doe, John \\\"JD\\\"\" NIL \"john.doe\" \"example.com\")) "
      "((\"Doe, John \\\"JD\\\"\" NIL \"john.doe\" \"example.com\")) "
      "((NIL NIL \"john doe\" \"example.com\")(\"John Q. Public\" NIL \"jqp\" \"[192.0.2.1]\")) "
      "((NIL \"@a.example,@b.example\" \"u\" \"c.example\")) NIL NIL NIL)",
    },
    /* A NIL host would mean a group: what is missing is said so. */
    {
      "From: <>\r\nTo: undisclosed-recipients:;\r\nCc: bob, ,, carol@example.com,\r\n\r\n",
      "(NIL NIL ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
      "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
      "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
      "((NIL NIL \"bob\" \"MISSING_DOMAIN\")(NIL NIL \"carol\" \"example.com\")) NIL NIL NIL)",
    },
    /* RFC 6532 UTF-8 names and subjects are 8-bit: literals.  Values
     * are trimmed; the first of a repeated field counts. */
    {
      "Subject:   \xe4\xbd\xa0\xe5\xa5\xbd  \r\n"
      "Subject: second\r\n"
      "From: \xe5\xbc\xa0\xe4\xb8\x89 <z@example.com>\r\n"
      "Message-ID: <a\"b@example.com>\r\n\r\n",
      "(NIL {6}\r\n\xe4\xbd\xa0\xe5\xa5\xbd (({6}\r\n\xe5\xbc\xa0\xe4\xb8\x89 NIL \"z\" \"example.com\")) "
      "(({6}\r\n\xe5\xbc\xa0\xe4\xb8\x89 NIL \"z\" \"example.com\")) "
      "(({6}\r\n\xe5\xbc\xa0\xe4\xb8\x89 NIL \"z\" \"example.com\")) NIL NIL NIL NIL "
      "\"<a\\\"b@example.com>\")",
    },
    /* Junk does not stop the rest of the list. */
    {
      "To: a@example.com >junk< (c) , Name <b@example.com\r\n\r\n",
      "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"example.com\")(\"Name\" NIL \"b\" \"example.com\")) "
      "NIL NIL NIL NIL)",
    },
    { "", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (MscImapMessage) message = parse (cases[i].message);

      g_test_message ("case %u", i);
      assert_envelope (message, cases[i].envelope);
    }
}

static void
test_body_structure_details (void)
{
  static const struct {
    const char *message;
    const char *body;
    const char *body_structure;
  } cases[] = {
    /* RFC 2045 §5.2: no Content-Type is text/plain; charset=us-ascii.
     * A last line without CRLF is still a line. */
    {
      "Subject: x\r\n\r\nhello",
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1)",
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)",
    },
    /* So is one that does not parse; a CTE that is no token is 7BIT. */
    {
      "Content-Type: text\r\nContent-Transfer-Encoding: ?invalid\r\n\r\nhello\r\n",
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1)",
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 7 1 NIL NIL NIL NIL)",
    },
    /* Every extension field. */
    {
      "Content-Type: text/html; charset=\"utf-8\"; format=flowed (a comment)\r\n"
      "Content-ID: <id@example.com>\r\n"
      "Content-Description: A =?utf-8?q?caf=C3=A9?= page\r\n"
      "Content-Transfer-Encoding: Quoted-Printable\r\n"
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
      "Content-Disposition: inline; filename=\"a b.html\"; size=12\r\n"
      "Content-Language: en, zh-CN\r\n"
      "Content-Location: http://example.com/a.html\r\n"
      "\r\n"
      "<p>hi</p>\r\n",
      "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") \"<id@example.com>\" "
      "\"A =?utf-8?q?caf=C3=A9?= page\" \"QUOTED-PRINTABLE\" 11 1)",
      "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") \"<id@example.com>\" "
      "\"A =?utf-8?q?caf=C3=A9?= page\" \"QUOTED-PRINTABLE\" 11 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
      "(\"INLINE\" (\"FILENAME\" \"a b.html\" \"SIZE\" \"12\")) (\"en\" \"zh-CN\") "
      "\"http://example.com/a.html\")",
    },
    {
      "Content-Type: application/pdf; name=report.pdf\r\n"
      "Content-Disposition: attachment\r\n"
      "Content-Language: zh-CN\r\n"
      "\r\n"
      "%PDF",
      "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"7BIT\" 4)",
      "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"7BIT\" 4 NIL (\"ATTACHMENT\" NIL) "
      "\"zh-CN\" NIL)",
    },
    /* body-type-mpart needs a body: a multipart with no boundary gets an
     * empty text part, as Dovecot writes. */
    {
      "Content-Type: multipart/mixed\r\n\r\nno parts here\r\n",
      "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"MIXED\")",
      "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) \"MIXED\" "
      "NIL NIL NIL NIL)",
    },
    /* RFC 2046 §5.1.5: in a digest, no Content-Type is message/rfc822. */
    {
      "Content-Type: multipart/digest; boundary=d\r\n"
      "\r\n"
      "--d\r\n"
      "\r\n"
      "From: a@b.c\r\n"
      "Subject: one\r\n"
      "\r\n"
      "body one\r\n"
      "--d--\r\n",
      "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 37 (NIL \"one\" ((NIL NIL \"a\" \"b.c\")) "
      "((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL) "
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 8 1) 4) \"DIGEST\")",
      "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 37 (NIL \"one\" ((NIL NIL \"a\" \"b.c\")) "
      "((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL) "
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 8 1 NIL NIL NIL NIL) 4 "
      "NIL NIL NIL NIL) \"DIGEST\" (\"BOUNDARY\" \"d\") NIL NIL NIL)",
    },
    /* RFC 2046 §5.2.1 forbids an encoded message/rfc822: opaque. */
    {
      "Content-Type: message/rfc822\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "RnJvbTogYUBiLmMNCg0KaGk=\r\n",
      "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"BASE64\" 26)",
      "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"BASE64\" 26 NIL NIL NIL NIL)",
    },
    /* "--b1" is no delimiter of "b": only white space may follow one.
     * No close delimiter: the last part runs to the end. */
    {
      "Content-Type: multipart/mixed; boundary=b\r\n"
      "\r\n"
      "--b\r\n"
      "\r\n"
      "one\r\n"
      "--b1\r\n"
      "--b \t\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "two",
      "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 9 2)"
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 3 1) \"MIXED\")",
      "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 9 2 NIL NIL NIL NIL)"
      "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL) \"MIXED\" "
      "(\"BOUNDARY\" \"b\") NIL NIL NIL)",
    },
    /* A 7-bit parameter value in a quoted string, one with 8-bit octets
     * in a literal. */
    {
      "Content-Type: image/png; name=\"\xe5\x9b\xbe.png\"\r\n\r\n",
      "(\"IMAGE\" \"PNG\" (\"NAME\" {7}\r\n\xe5\x9b\xbe.png) NIL NIL \"7BIT\" 0)",
      "(\"IMAGE\" \"PNG\" (\"NAME\" {7}\r\n\xe5\x9b\xbe.png) NIL NIL \"7BIT\" 0 NIL NIL NIL NIL)",
    },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (MscImapMessage) message = parse (cases[i].message);

      g_test_message ("case %u", i);
      assert_body (message, cases[i].body, cases[i].body_structure);
    }
}

static void
test_section_digest (void)
{
  g_autoptr (MscImapMessage) message =
    parse ("Content-Type: multipart/digest; boundary=d\r\n"
           "\r\n"
           "--d\r\n"
           "\r\n"
           "From: a@b.c\r\n"
           "Subject: one\r\n"
           "\r\n"
           "body one\r\n"
           "--d--\r\n");

  assert_section (message, "1.MIME", "\r\n");
  assert_section (message, "1.HEADER", "From: a@b.c\r\nSubject: one\r\n\r\n");
  assert_section (message, "1.TEXT", "body one");
  assert_section (message, "1.1", "body one");
}

/* The example of RFC 3501 §6.4.5, part for part. */
static const char rfc3501_example[] =
  "Subject: outer\r\n"
  "Content-Type: MULTIPART/MIXED; boundary=outer\r\n"
  "\r\n"
  "--outer\r\n"
  "Content-Type: TEXT/PLAIN\r\n"
  "\r\n"
  "part 1\r\n"
  "--outer\r\n"
  "Content-Type: APPLICATION/OCTET-STREAM\r\n"
  "\r\n"
  "part 2\r\n"
  "--outer\r\n"
  "Content-Type: MESSAGE/RFC822\r\n"
  "\r\n"
  "Subject: three\r\n"
  "Content-Type: MULTIPART/MIXED; boundary=three\r\n"
  "\r\n"
  "--three\r\n"
  "Content-Type: TEXT/PLAIN\r\n"
  "\r\n"
  "part 3.1\r\n"
  "--three\r\n"
  "Content-Type: APPLICATION/OCTET-STREAM\r\n"
  "\r\n"
  "part 3.2\r\n"
  "--three--\r\n"
  "--outer\r\n"
  "Content-Type: MULTIPART/MIXED; boundary=four\r\n"
  "\r\n"
  "--four\r\n"
  "Content-Type: IMAGE/GIF\r\n"
  "\r\n"
  "part 4.1\r\n"
  "--four\r\n"
  "Content-Type: MESSAGE/RFC822\r\n"
  "\r\n"
  "Subject: four-two\r\n"
  "Content-Type: MULTIPART/MIXED; boundary=fourtwo\r\n"
  "\r\n"
  "--fourtwo\r\n"
  "Content-Type: TEXT/PLAIN\r\n"
  "\r\n"
  "part 4.2.1\r\n"
  "--fourtwo\r\n"
  "Content-Type: MULTIPART/ALTERNATIVE; boundary=alt\r\n"
  "\r\n"
  "--alt\r\n"
  "Content-Type: TEXT/PLAIN\r\n"
  "\r\n"
  "part 4.2.2.1\r\n"
  "--alt\r\n"
  "Content-Type: TEXT/RICHTEXT\r\n"
  "\r\n"
  "part 4.2.2.2\r\n"
  "--alt--\r\n"
  "--fourtwo--\r\n"
  "--four--\r\n"
  "--outer--\r\n";

static void
test_section_rfc3501_example (void)
{
  g_autoptr (MscImapMessage) message = parse (rfc3501_example);
  g_autofree char *body = msc_imap_message_get_body_structure (message, FALSE);

  assert_section (message, "1", "part 1");
  assert_section (message, "2", "part 2");
  assert_section (message, "3.HEADER",
                  "Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=three\r\n\r\n");
  assert_section (message, "3.1", "part 3.1");
  assert_section (message, "3.2", "part 3.2");
  assert_section (message, "4.1", "part 4.1");
  assert_section (message, "4.1.MIME", "Content-Type: IMAGE/GIF\r\n\r\n");
  assert_section (message, "4.2.HEADER.FIELDS (subject)", "Subject: four-two\r\n\r\n");
  assert_section (message, "4.2.1", "part 4.2.1");
  assert_section (message, "4.2.2.1", "part 4.2.2.1");
  assert_section (message, "4.2.2.2", "part 4.2.2.2");
  assert_section (message, "4.2.2.MIME", "Content-Type: MULTIPART/ALTERNATIVE; boundary=alt\r\n\r\n");
  assert_section (message, "4.2.3", "");
  assert_section (message, "5", "");
  g_assert_true (g_str_has_prefix (body,
                                   "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1)"
                                   "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"7BIT\" 6)"
                                   "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "));
  /* 4.2 is 20 lines: its last, "--fourtwo--", lost its CRLF to the
   * "--four--" delimiter after it. */
  g_assert_true (g_str_has_suffix (body,
                                   "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 1)"
                                   "(\"TEXT\" \"RICHTEXT\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 1) "
                                   "\"ALTERNATIVE\") \"MIXED\") 20) \"MIXED\") \"MIXED\")"));
}

/* A message that is itself message/rfc822: part 1 is the message it
 * holds, whose parts go on as 1.1, 1.2. */
static void
test_section_top_rfc822 (void)
{
  g_autoptr (MscImapMessage) message =
    parse ("Content-Type: message/rfc822\r\n"
           "\r\n"
           "Subject: inner\r\n"
           "Content-Type: multipart/mixed; boundary=x\r\n"
           "\r\n"
           "--x\r\n"
           "\r\n"
           "one\r\n"
           "--x\r\n"
           "\r\n"
           "two\r\n"
           "--x--\r\n");

  assert_section (message, "1.HEADER", "Subject: inner\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n");
  assert_section (message, "1.1", "one");
  assert_section (message, "1.2", "two");
  assert_section (message, "1.2.MIME", "\r\n");
  assert_section (message, "HEADER", "Content-Type: message/rfc822\r\n\r\n");
  assert_section (message, "2", "");
}

/* ---- SEARCH ---- */

static void
test_search_subject (void)
{
  g_autoptr (MscImapMessage) utf8_b = load ("02-utf8-chinese-base64.eml");
  g_autoptr (MscImapMessage) gb2312 = load ("03-gb2312-foxmail-style.eml");
  g_autoptr (MscImapMessage) folded = load ("08-8bit-utf8-folded-headers.eml");
  g_autoptr (MscImapMessage) ascii = load ("01-plain-ascii.eml");

  /* RFC 2047 B words in UTF-8 and in GB2312. */
  g_assert_true (msc_imap_message_header_contains (utf8_b, "Subject", "项目会议"));
  g_assert_true (msc_imap_message_header_contains (gb2312, "Subject", "销售数据"));
  g_assert_true (msc_imap_message_header_contains (gb2312, "subject", "本月"));
  g_assert_false (msc_imap_message_header_contains (gb2312, "Subject", "会议"));
  /* Across the two encoded words of a folded subject: the white space
   * between them is not text (RFC 2047 §6.2). */
  g_assert_true (msc_imap_message_header_contains (folded, "Subject", "是否正确，以及编码字"));
  g_assert_false (msc_imap_message_header_contains (folded, "Subject", "正确， 以及"));
  /* The raw form is not what is searched. */
  g_assert_false (msc_imap_message_header_contains (utf8_b, "Subject", "5YWz"));
  /* ASCII case-insensitively. */
  g_assert_true (msc_imap_message_header_contains (ascii, "SUBJECT", "QUARTERLY rePort"));
  g_assert_false (msc_imap_message_header_contains (ascii, "Subject", "annual"));
  /* An empty string matches when the field is there, whatever it holds. */
  g_assert_true (msc_imap_message_header_contains (ascii, "Return-Path", ""));
  g_assert_false (msc_imap_message_header_contains (ascii, "Cc", ""));
  g_assert_false (msc_imap_message_header_contains (ascii, NULL, ""));
  g_assert_false (msc_imap_message_header_contains (ascii, "", ""));
  g_assert_false (msc_imap_message_header_contains (ascii, "Subj", "Quarterly"));
}

static void
test_search_addresses (void)
{
  g_autoptr (MscImapMessage) utf8_b = load ("02-utf8-chinese-base64.eml");
  g_autoptr (MscImapMessage) gb2312 = load ("03-gb2312-foxmail-style.eml");
  g_autoptr (MscImapMessage) folded = load ("08-8bit-utf8-folded-headers.eml");

  g_assert_true (msc_imap_message_header_contains (utf8_b, "From", "张三"));
  g_assert_true (msc_imap_message_header_contains (utf8_b, "To", "李四"));
  g_assert_true (msc_imap_message_header_contains (utf8_b, "From", "ZhangSan@Example.COM"));
  g_assert_true (msc_imap_message_header_contains (gb2312, "From", "小陈"));
  g_assert_true (msc_imap_message_header_contains (gb2312, "To", "王经理"));
  g_assert_false (msc_imap_message_header_contains (gb2312, "From", "王经理"));
  /* A Q word. */
  g_assert_true (msc_imap_message_header_contains (folded, "Cc", "赵六"));
  /* Any line of a folded field. */
  g_assert_true (msc_imap_message_header_contains (folded, "To", "dave@"));
}

static void
test_search_body (void)
{
  g_autoptr (MscImapMessage) utf8_b = load ("02-utf8-chinese-base64.eml");
  g_autoptr (MscImapMessage) gb2312 = load ("03-gb2312-foxmail-style.eml");
  g_autoptr (MscImapMessage) alternative = load ("04-multipart-alternative.eml");
  g_autoptr (MscImapMessage) attachment = load ("05-mixed-attachment-chinese-filename.eml");
  g_autoptr (MscImapMessage) forwarded = load ("06-forwarded-rfc822.eml");
  g_autoptr (MscImapMessage) dsn = load ("07-bounce-dsn.eml");
  g_autoptr (MscImapMessage) eight_bit = load ("08-8bit-utf8-folded-headers.eml");

  /* base64 UTF-8; base64 GBK labelled GB2312, as Foxmail sends it */
  g_assert_true (msc_imap_message_body_contains (utf8_b, "三楼会议室"));
  g_assert_true (msc_imap_message_body_contains (gb2312, "销售数据，请查收"));
  g_assert_true (msc_imap_message_body_contains (gb2312, "随时联系"));
  g_assert_false (msc_imap_message_body_contains (gb2312, "zfW+"));
  /* The subject is no part of the body; TEXT is both. */
  g_assert_false (msc_imap_message_body_contains (utf8_b, "安排"));
  g_assert_true (msc_imap_message_text_contains (utf8_b, "安排"));
  g_assert_true (msc_imap_message_text_contains (utf8_b, "三楼会议室"));
  g_assert_true (msc_imap_message_text_contains (utf8_b, "zhangsan@"));
  g_assert_false (msc_imap_message_text_contains (utf8_b, "王五"));
  /* Quoted-printable: soft line breaks and =XX undone in both parts, in
   * the HTML one across a break inside a character. */
  g_assert_true (msc_imap_message_body_contains (alternative, "café on the corner has a long table"));
  g_assert_true (msc_imap_message_body_contains (alternative, "<b>12:30</b> &mdash;"));
  g_assert_true (msc_imap_message_body_contains (alternative, "12:30 — see you"));
  g_assert_false (msc_imap_message_body_contains (alternative, "=C3=A9"));
  g_assert_false (msc_imap_message_body_contains (alternative, "multi-part message"));
  /* Case-insensitive beyond ASCII, and width-insensitive (NFKD). */
  g_assert_true (msc_imap_message_body_contains (alternative, "CAFÉ"));
  g_assert_true (msc_imap_message_body_contains (alternative, "ＬＵＮＣＨ"));
  g_assert_true (msc_imap_message_body_contains (alternative, ""));
  /* 8bit UTF-8 */
  g_assert_true (msc_imap_message_body_contains (eight_bit, "大家好"));
  g_assert_true (msc_imap_message_body_contains (eight_bit, "8BIT utf-8 编码"));
  /* An attachment is not text. */
  g_assert_true (msc_imap_message_body_contains (attachment, "logo draft"));
  g_assert_false (msc_imap_message_body_contains (attachment, "iVBOR"));
  g_assert_false (msc_imap_message_body_contains (attachment, "PNG"));
  /* A forwarded message, header and all, is body text. */
  g_assert_true (msc_imap_message_body_contains (forwarded, "dot-stuffing"));
  g_assert_true (msc_imap_message_body_contains (forwarded, "alice example"));
  g_assert_false (msc_imap_message_header_contains (forwarded, "From", "Alice"));
  g_assert_true (msc_imap_message_text_contains (forwarded, "carol, SEE below"));
  /* text/rfc822-headers is text */
  g_assert_true (msc_imap_message_body_contains (dsn, "Subject: Contract"));
  g_assert_true (msc_imap_message_body_contains (dsn, "recipient address rejected"));
}

static void
test_search_charsets (void)
{
  static const struct {
    const char *message;
    const char *needle;
  } cases[] = {
    /* Big5 ("中文") in a Q word and a base64 body ("測試") */
    { "Subject: =?big5?q?=A4=A4=A4=E5?=\r\n\r\n", "中文" },
    { "Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "tPq41Q==\r\n", "測試" },
    /* GB18030 four-byte sequence (U+20000) */
    { "Content-Type: text/plain; charset=gb18030\r\n\r\n\x95\x32\x82\x36\r\n", "\xf0\xa0\x80\x80" },
    /* Unlabelled 8-bit: UTF-8 if it is, else GB18030, else ISO-8859-1. */
    { "Subject: \xe4\xb8\xad\xe6\x96\x87\r\n\r\n", "中文" },
    { "Subject: \xd6\xd0\xce\xc4 GBK\r\n\r\n", "中文" },
    { "\r\n\xd6\xd0\xce\xc4", "中文" },
    { "Subject: caf\xe9 au lait\r\n\r\n", "CAFÉ" },
    /* us-ascii that is not, and a charset iconv does not know */
    { "Content-Type: text/plain; charset=us-ascii\r\n\r\n\xe4\xb8\xad\xe6\x96\x87", "中文" },
    { "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n\xe4\xb8\xad\xe6\x96\x87", "中文" },
    /* An encoded word inside quotes, as many mailers send it */
    { "From: \"=?utf-8?b?5byg5LiJ?=\" <z@example.com>\r\n\r\n", "张三" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (MscImapMessage) message = parse (cases[i].message);

      g_test_message ("case %u", i);
      g_assert_true (msc_imap_message_text_contains (message, cases[i].needle));
    }
}

static void
test_sent_date (void)
{
  g_autoptr (MscImapMessage) message = load ("01-plain-ascii.eml");
  g_autoptr (MscImapMessage) no_date = parse ("Subject: x\r\n\r\n");
  g_autoptr (MscImapMessage) bad_date = parse ("Date: next Tuesday\r\n\r\n");
  g_autoptr (MscImapMessage) folded = parse ("Date: Mon, 2 Feb 2026\r\n 23:59:59 -0500\r\n\r\n");
  g_autoptr (GDateTime) date = msc_imap_message_get_sent_date (message);
  g_autoptr (GDateTime) other = NULL;
  g_autoptr (GDateTime) expected = NULL;
  g_autoptr (GTimeZone) zone = g_time_zone_new_offset (8 * 3600);

  expected = g_date_time_new (zone, 2026, 11, 26, 9, 30, 0);
  g_assert_nonnull (date);
  g_assert_true (g_date_time_equal (date, expected));
  /* In the sender's own offset: SENTON compares the date as written. */
  g_assert_cmpint (g_date_time_get_utc_offset (date), ==, 8 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (g_date_time_get_day_of_month (date), ==, 26);

  g_assert_null (msc_imap_message_get_sent_date (no_date));
  g_assert_null (msc_imap_message_get_sent_date (bad_date));

  other = msc_imap_message_get_sent_date (folded);
  g_assert_nonnull (other);
  g_assert_cmpint (g_date_time_get_day_of_month (other), ==, 2);
  g_assert_cmpint (g_date_time_get_hour (other), ==, 23);
  g_assert_cmpint (g_date_time_get_utc_offset (other), ==, -5 * G_TIME_SPAN_HOUR);
}

/* ---- Robustness ---- */

static const char * const sections[] = {
  "", "HEADER", "TEXT", "1", "1.MIME", "2", "2.MIME", "2.HEADER", "2.TEXT", "2.1", "1.1.1",
  "HEADER.FIELDS (From Subject)", "HEADER.FIELDS.NOT (To)", "2.HEADER.FIELDS (Subject)",
};

/* Everything the module answers, as one string: asked twice of two
 * objects made from the same bytes, it must not differ. */
static char *
describe (GBytes *bytes)
{
  g_autoptr (MscImapMessage) message = msc_imap_message_new (bytes);
  g_autoptr (GDateTime) date = NULL;
  GString *out = g_string_new (NULL);
  g_autofree char *envelope = msc_imap_message_get_envelope (message);
  g_autofree char *body = msc_imap_message_get_body_structure (message, FALSE);
  g_autofree char *body_structure = msc_imap_message_get_body_structure (message, TRUE);

  g_string_append_printf (out, "%s\n%s\n%s\n", envelope, body, body_structure);
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autoptr (GBytes) section = msc_imap_message_get_section (message, sections[i], NULL);

      g_assert_nonnull (section);
      g_string_append_printf (out, "[%s] %" G_GSIZE_FORMAT "\n", sections[i], g_bytes_get_size (section));
    }
  g_string_append_printf (out, "%d%d%d%d\n",
                          msc_imap_message_header_contains (message, "Subject", "a"),
                          msc_imap_message_header_contains (message, "From", ""),
                          msc_imap_message_body_contains (message, "会议"),
                          msc_imap_message_text_contains (message, "E"));
  date = msc_imap_message_get_sent_date (message);
  g_string_append_printf (out, "%" G_GINT64_FORMAT "\n", date != NULL ? g_date_time_to_unix (date) : -1);

  g_assert_finalize_object (g_steal_pointer (&message));

  return g_string_free (out, FALSE);
}

static void
assert_deterministic (GBytes *bytes)
{
  g_autofree char *first = describe (bytes);
  g_autofree char *second = describe (bytes);

  g_assert_cmpstr (first, ==, second);
}

static void
test_truncated (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (structures); i++)
    {
      g_autoptr (GBytes) whole = load_bytes (structures[i].file);
      gsize len = g_bytes_get_size (whole);

      /* Cut after every octet. */
      for (gsize cut = 0; cut <= len; cut++)
        {
          g_autoptr (GBytes) part = g_bytes_new_from_bytes (whole, 0, cut);

          assert_deterministic (part);
        }
    }
}

static void
test_truncated_multipart (void)
{
  g_autoptr (GBytes) whole = load_bytes ("04-multipart-alternative.eml");
  const char *raw = g_bytes_get_data (whole, NULL);
  const char *cut = strstr (raw, "\n=A9 on the corner") + 1;
  g_autoptr (GBytes) truncated = g_bytes_new_from_bytes (whole, 0, cut - raw);
  g_autoptr (MscImapMessage) message = msc_imap_message_new (truncated);

  /* No close delimiter: the second part runs to the end. */
  assert_body (message,
               "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 107 2)"
               "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 76 1) \"ALTERNATIVE\")",
               "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 107 2 NIL NIL NIL NIL)"
               "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 76 1 NIL NIL NIL NIL) "
               "\"ALTERNATIVE\" (\"BOUNDARY\" \"alt-boundary-04\") NIL NIL NIL)");
  assert_section (message, "2",
                  "<html><body><p>Lunch is at <b>12:30</b> &mdash; see you there! The caf=C3=\r\n");
}

static void
test_no_separator (void)
{
  g_autoptr (MscImapMessage) header_only = parse ("Subject: hi\r\nFrom: a@example.com");
  g_autoptr (MscImapMessage) no_blank = parse ("Subject: hi\r\nthis is no header\r\nSubject: body\r\n");
  g_autoptr (MscImapMessage) bare_lf = parse ("Subject: hi\nX-A: 1\n\nbody\n");

  /* §6.4.5: no blank line after the fields of a message that has no
   * body and no blank line. */
  assert_section (header_only, "HEADER", "Subject: hi\r\nFrom: a@example.com");
  assert_section (header_only, "TEXT", "");
  assert_section (header_only, "HEADER.FIELDS (Subject)", "Subject: hi\r\n");
  assert_section (header_only, "HEADER.FIELDS (From)", "From: a@example.com");
  assert_envelope (header_only,
                   "(NIL \"hi\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) "
                   "((NIL NIL \"a\" \"example.com\")) NIL NIL NIL NIL NIL)");
  assert_body (header_only,
               "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)",
               "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL)");

  /* A line that is no field ends the header: it is the body. */
  assert_section (no_blank, "HEADER", "Subject: hi\r\n");
  assert_section (no_blank, "TEXT", "this is no header\r\nSubject: body\r\n");
  assert_section (no_blank, "HEADER.FIELDS (Subject)", "Subject: hi\r\n\r\n");
  g_assert_false (msc_imap_message_header_contains (no_blank, "Subject", "body"));
  g_assert_true (msc_imap_message_body_contains (no_blank, "no header"));

  /* Bare LF line ends are line ends too. */
  assert_section (bare_lf, "HEADER", "Subject: hi\nX-A: 1\n\n");
  assert_section (bare_lf, "TEXT", "body\n");
  assert_section (bare_lf, "HEADER.FIELDS (x-a)", "X-A: 1\n\r\n");
}

static void
test_nul (void)
{
  static const char text[] = "Subject: a\0b\r\nFrom: x@example.com\r\n\r\nbody\0text\r\n";
  g_autoptr (GBytes) bytes = g_bytes_new_static (text, sizeof text - 1);
  g_autoptr (MscImapMessage) message = msc_imap_message_new (bytes);
  g_autoptr (GBytes) body = msc_imap_message_get_section (message, "TEXT", NULL);

  /* No IMAP string may hold a NUL (RFC 3501 §4.3): gone from the
   * envelope, but BODY[] gives the octets as stored. */
  assert_envelope (message,
                   "(NIL \"ab\" ((NIL NIL \"x\" \"example.com\")) ((NIL NIL \"x\" \"example.com\")) "
                   "((NIL NIL \"x\" \"example.com\")) NIL NIL NIL NIL NIL)");
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "body\0text\r\n", 11);
  g_assert_true (msc_imap_message_body_contains (message, "text"));
  g_assert_true (msc_imap_message_header_contains (message, "Subject", "ab"));
  assert_deterministic (bytes);
}

static void
test_garbage (void)
{
  static const char * const pieces[] = {
    "\r\n", "\n", "\r", "--", "b", "--b\r\n", "--b--\r\n", ":", " ", "\t", "\0", "\"", "(", ")",
    "<", ">", "@", ",", ";", "=?utf-8?b?", "?=", "=?gb2312?q?=B1=BE?=", "=", "\xff", "\xe4\xb8",
    "Content-Type: multipart/mixed; boundary=b\r\n", "Content-Type: message/rfc822\r\n",
    "Content-Type: text/plain; charset=gb2312\r\n", "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n", "From: ", "To: a:", "Subject: ",
    "Content-Disposition: attachment; filename*0*=x", "Content-Language: ", "Date: ",
  };
  GRand *rand = g_rand_new_with_seed (20261126);

  for (guint round = 0; round < 500; round++)
    {
      g_autoptr (GByteArray) data = g_byte_array_new ();
      g_autoptr (GBytes) bytes = NULL;
      guint n = g_rand_int_range (rand, 0, 120);

      for (guint i = 0; i < n; i++)
        {
          if (g_rand_int_range (rand, 0, 3) == 0)
            {
              guint8 octet = g_rand_int_range (rand, 0, 256);

              g_byte_array_append (data, &octet, 1);
            }
          else
            {
              const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];

              g_byte_array_append (data, (const guint8 *) piece, MAX (strlen (piece), 1));
            }
        }

      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&data));
      assert_deterministic (bytes);
    }

  g_rand_free (rand);
}

static GBytes *
make_nested (guint levels)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < levels; i++)
    g_string_append_printf (text, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n--b%u\r\n", i, i);
  g_string_append (text, "Content-Type: text/plain\r\n\r\nhello\r\n");
  for (guint i = levels; i-- > 0;)
    g_string_append_printf (text, "--b%u--\r\n", i);

  return g_string_free_to_bytes (text);
}

static guint
max_paren_depth (const char *text)
{
  guint depth = 0, max = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '(')
        {
          depth++;
          max = MAX (max, depth);
        }
      else if (*p == ')')
        depth--;
    }

  return max;
}

static void
test_deep_nesting (void)
{
  g_autoptr (GBytes) bytes = make_nested (10000);
  g_autoptr (MscImapMessage) message = msc_imap_message_new (bytes);
  g_autofree char *body_structure = msc_imap_message_get_body_structure (message, TRUE);
  g_autoptr (GString) deepest = g_string_new ("1");
  g_autoptr (GBytes) part = NULL;
  g_autoptr (GBytes) beyond = NULL;

  /* MAX_DEPTH multiparts, then one opaque part holding the rest. */
  g_assert_cmpuint (max_paren_depth (body_structure), <=, MSC_IMAP_MESSAGE_MAX_DEPTH + 2);
  g_assert_nonnull (strstr (body_structure, "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"7BIT\" "));
  g_assert_null (strstr (strstr (body_structure, "OCTET-STREAM") + 1, "OCTET-STREAM"));
  g_assert_true (g_str_has_suffix (body_structure, " \"MIXED\" (\"BOUNDARY\" \"b0\") NIL NIL NIL)"));

  /* Its bytes are all there, and reachable by number. */
  for (guint i = 1; i < MSC_IMAP_MESSAGE_MAX_DEPTH; i++)
    g_string_append (deepest, ".1");
  part = msc_imap_message_get_section (message, deepest->str, NULL);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (part, NULL), "--b100\r\n"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (part, NULL), g_bytes_get_size (part), "hello"));
  g_string_append (deepest, ".1");
  beyond = msc_imap_message_get_section (message, deepest->str, NULL);
  g_assert_cmpuint (g_bytes_get_size (beyond), ==, 0);

  g_assert_false (msc_imap_message_body_contains (message, "hello"));
  assert_deterministic (bytes);
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_deep_rfc822 (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (MscImapMessage) message = NULL;
  g_autofree char *body = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append (text, "Content-Type: message/rfc822\r\n\r\n");
  g_string_append (text, "Subject: deep\r\n\r\nhello\r\n");
  bytes = g_string_free_to_bytes (text);
  message = msc_imap_message_new (bytes);
  body = msc_imap_message_get_body_structure (message, FALSE);

  g_assert_nonnull (strstr (body, "\"OCTET-STREAM\""));
  assert_deterministic (bytes);
}

static void
test_many_parts (void)
{
  GString *text = g_string_new ("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (MscImapMessage) message = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GBytes) last = NULL;
  g_autoptr (GBytes) beyond = NULL;
  guint leaves = 0;

  for (guint i = 0; i < 2 * MSC_IMAP_MESSAGE_MAX_PARTS; i++)
    g_string_append (text, "--b\r\n\r\nx\r\n");
  g_string_append (text, "--b--\r\n");
  bytes = g_string_free_to_bytes (text);
  message = msc_imap_message_new (bytes);
  body = msc_imap_message_get_body_structure (message, FALSE);

  for (const char *p = body; (p = strstr (p, "(\"TEXT\"")) != NULL; p++)
    leaves++;
  /* The message itself is one of the parts. */
  g_assert_cmpuint (leaves, ==, MSC_IMAP_MESSAGE_MAX_PARTS - 1);

  last = msc_imap_message_get_section (message, "9999", NULL);
  g_assert_cmpmem (g_bytes_get_data (last, NULL), g_bytes_get_size (last), "x", 1);
  beyond = msc_imap_message_get_section (message, "10000", NULL);
  g_assert_cmpuint (g_bytes_get_size (beyond), ==, 0);
}

static gpointer
init_gmime_thread (gpointer data)
{
  msc_imap_message_init_gmime ();

  return NULL;
}

static void
test_init_gmime (void)
{
  /* Idempotent, from any thread. */
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("init", init_gmime_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  msc_imap_message_init_gmime ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (structures); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/imap-message/structure/%.2s", structures[i].file);

      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_structure);
    }

  g_test_add_func ("/msc/imap-message/init-gmime", test_init_gmime);
  g_test_add_func ("/msc/imap-message/envelope-addresses", test_envelope_addresses);
  g_test_add_func ("/msc/imap-message/body-structure-details", test_body_structure_details);
  g_test_add_func ("/msc/imap-message/section/plain", test_section_plain);
  g_test_add_func ("/msc/imap-message/section/alternative", test_section_alternative);
  g_test_add_func ("/msc/imap-message/section/attachment", test_section_attachment);
  g_test_add_func ("/msc/imap-message/section/rfc822", test_section_rfc822);
  g_test_add_func ("/msc/imap-message/section/digest", test_section_digest);
  g_test_add_func ("/msc/imap-message/section/rfc3501-example", test_section_rfc3501_example);
  g_test_add_func ("/msc/imap-message/section/top-rfc822", test_section_top_rfc822);
  g_test_add_func ("/msc/imap-message/section/header-fields", test_header_fields);
  g_test_add_func ("/msc/imap-message/section/bad", test_bad_sections);
  g_test_add_func ("/msc/imap-message/search/subject", test_search_subject);
  g_test_add_func ("/msc/imap-message/search/addresses", test_search_addresses);
  g_test_add_func ("/msc/imap-message/search/body", test_search_body);
  g_test_add_func ("/msc/imap-message/search/charsets", test_search_charsets);
  g_test_add_func ("/msc/imap-message/sent-date", test_sent_date);
  g_test_add_func ("/msc/imap-message/robust/truncated", test_truncated);
  g_test_add_func ("/msc/imap-message/robust/truncated-multipart", test_truncated_multipart);
  g_test_add_func ("/msc/imap-message/robust/no-separator", test_no_separator);
  g_test_add_func ("/msc/imap-message/robust/nul", test_nul);
  g_test_add_func ("/msc/imap-message/robust/garbage", test_garbage);
  g_test_add_func ("/msc/imap-message/robust/deep-nesting", test_deep_nesting);
  g_test_add_func ("/msc/imap-message/robust/deep-rfc822", test_deep_rfc822);
  g_test_add_func ("/msc/imap-message/robust/many-parts", test_many_parts);

  return g_test_run ();
}
