/* test-world.c — the simulated world: lessons run to their promised end
 * state, the same way every time; mail is relayed, retried and bounced
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "msc-dsn.h"
#include "msc-lesson.h"
#include "msc-world.h"

/* Two providers: Alice's at example.com, Bob's at example.net. */
#define TWO_SERVERS \
  "[Lesson]\nId=relay-test\nTitle=Relay\nSummary=Relay.\nLevel=advanced\n\n" \
  "[Server mail.example.com]\nDomains=example.com\nAccounts=alice@example.com:alice-demo\n\n" \
  "[Server mx.example.net]\nDomains=example.net\nAccounts=bob@example.net:bob-demo\n%s\n\n" \
  "[Device laptop]\nName=Alice's laptop\nAccount=alice@example.com\nIncoming=imap\n\n" \
  "[Step send]\nAction=send\nDevice=laptop\nTo=%s\nSubject=Hello\nBody=Hi Bob!\nNarration=Alice writes to Bob.\n"

static MscLesson *
load_inline (const char *text)
{
  g_autoptr(GError) error = NULL;
  MscLesson *lesson = msc_lesson_load_data (text, strlen (text), "inline.lesson", &error);

  g_assert_no_error (error);
  g_assert_nonnull (lesson);
  return lesson;
}

static MscLesson *
load_shipped (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("%s/%s.lesson", msc_lesson_get_default_dir (), id);
  MscLesson *lesson = msc_lesson_load_file (path, &error);

  g_assert_no_error (error);
  return lesson;
}

static MscWorld *
run_lesson (MscLesson *lesson,
            int        incoming)
{
  g_autoptr(GError) error = NULL;
  MscWorldOptions options = { .incoming = incoming };
  g_autoptr(MscWorld) world = msc_world_new (lesson, &options, &error);

  g_assert_no_error (error);
  msc_world_run (world, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&world);
}

/* The transcript as the golden files hold it: one line per event, time
 * from the start.  TLS key shares and signatures differ on every run, and
 * an ECDSA signature's length with them, so the sizes of TLS records and
 * the messages that carry them are left out. */
static char *
transcript (MscWorld *world)
{
  MscTrace *trace = msc_world_get_trace (world);
  gint64 start = msc_clock_get_start (msc_world_get_clock (world));
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GRegex) digits = g_regex_new ("[0-9]+ bytes", 0, 0, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (trace)); i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (G_LIST_MODEL (trace), i);
      g_autofree char *text = g_strdup (msc_trace_event_get_text (event));

      if (msc_trace_event_get_protocol (event) == MSC_PROTOCOL_TLS)
        {
          g_autofree char *elided = g_regex_replace_literal (digits, text, -1, 0, "… bytes", 0, NULL);

          g_free (text);
          text = g_steal_pointer (&elided);
        }
      if (msc_trace_event_get_secret (event))
        {
          g_free (text);
          text = g_strdup ("••••••");
        }
      g_string_append_printf (out, "%9.3f %u %s %s → %s %s\n",
                              (msc_trace_event_get_time (event) - start) / 1e6,
                              msc_trace_event_get_connection (event),
                              msc_trace_kind_to_string (msc_trace_event_get_kind (event)),
                              msc_trace_event_get_from (event), msc_trace_event_get_to (event),
                              text);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_expectations_hold (MscWorld *world)
{
  g_autoptr(GPtrArray) failures = NULL;
  gboolean held = msc_world_check_expectations (world, &failures);

  for (guint i = 0; i < failures->len; i++)
    g_test_message ("%s", (const char *) g_ptr_array_index (failures, i));
  g_assert_true (held);
  g_assert_cmpuint (failures->len, ==, 0);
}

static void
test_shipped_lesson (gconstpointer data)
{
  const char *id = data;
  g_autoptr(MscLesson) lesson = load_shipped (id);
  g_autoptr(MscWorld) world = run_lesson (lesson, -1);

  g_assert_cmpuint (msc_world_get_n_steps_done (world), ==, msc_lesson_get_steps (lesson)->len);
  g_assert_cmpuint (msc_lesson_get_expectations (lesson)->len, >, 0);
  assert_expectations_hold (world);
}

/* The same lesson gives the same trace, run after run, and the one in
 * tests/transcripts/ (MSC_UPDATE_GOLDEN=1 rewrites it after a change
 * that is meant to alter it). */
static void
test_golden_transcript (gconstpointer data)
{
  const char *id = data;
  g_autoptr(MscLesson) lesson = load_shipped (id);
  g_autoptr(MscWorld) first = run_lesson (lesson, -1);
  g_autoptr(MscWorld) second = run_lesson (lesson, -1);
  g_autofree char *a = transcript (first);
  g_autofree char *b = transcript (second);
  g_autofree char *name = g_strdup_printf ("%s.txt", id);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "transcripts", name, NULL);
  g_autofree char *golden = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (a, ==, b);

  if (g_getenv ("MSC_UPDATE_GOLDEN") != NULL)
    {
      g_file_set_contents (path, a, -1, &error);
      g_assert_no_error (error);
    }
  g_file_get_contents (path, &golden, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, golden);
}

/* POP3 and IMAP part ways exactly where the two lessons say: the IMAP
 * lesson's story, run with every device on POP3, ends as the POP3 lesson
 * promises, and the other way round. */
static void
test_compare_matches_lessons (void)
{
  g_autoptr(MscLesson) imap = load_shipped ("imap-two-devices");
  g_autoptr(MscLesson) pop3 = load_shipped ("pop3-two-devices");
  struct { MscLesson *story; MscLesson *promise; int incoming; } cases[] = {
    { imap, pop3, MSC_INCOMING_POP3 },
    { pop3, imap, MSC_INCOMING_IMAP },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(MscWorld) world = run_lesson (cases[c].story, cases[c].incoming);
      GPtrArray *expectations = msc_lesson_get_expectations (cases[c].promise);
      guint differs = 0;

      for (guint i = 0; i < expectations->len; i++)
        {
          MscLessonExpectation *expected = g_ptr_array_index (expectations, i);
          g_auto(MscWorldCell) cell = { 0 };
          const char *folder = expected->folder;

          if (folder == NULL)
            folder = strchr (expected->place, '@') != NULL ? "INBOX" : "Inbox";
          msc_world_locate (world, expected->message, expected->place, &cell);
          g_test_message ("%s at %s", expected->message, expected->place);
          g_assert_cmpint (cell.presence, ==, expected->presence);
          if (cell.presence != MSC_LESSON_PRESENCE_ABSENT)
            g_assert_cmpstr (cell.folder, ==, folder);
        }

      /* And the two lessons do not promise the same picture. */
      for (guint i = 0; i < expectations->len; i++)
        {
          MscLessonExpectation *expected = g_ptr_array_index (expectations, i);
          GPtrArray *own = msc_lesson_get_expectations (cases[c].story);

          for (guint j = 0; j < own->len; j++)
            {
              MscLessonExpectation *other = g_ptr_array_index (own, j);

              if (g_strcmp0 (other->message, expected->message) == 0 &&
                  g_strcmp0 (other->place, expected->place) == 0 &&
                  (other->presence != expected->presence ||
                   g_strcmp0 (other->folder, expected->folder) != 0))
                differs++;
            }
        }
      g_assert_cmpuint (differs, >, 0);
    }
}

static guint
count_matching (MscWorld   *world,
                const char *needle)
{
  MscTrace *trace = msc_world_get_trace (world);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (trace)); i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (G_LIST_MODEL (trace), i);

      if (strstr (msc_trace_event_get_text (event), needle) != NULL)
        n++;
    }

  return n;
}

static gint64
time_of_first (MscWorld   *world,
               const char *needle)
{
  MscTrace *trace = msc_world_get_trace (world);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (trace)); i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (G_LIST_MODEL (trace), i);

      if (strstr (msc_trace_event_get_text (event), needle) != NULL)
        return msc_trace_event_get_time (event);
    }

  return -1;
}

/* Bob's server refuses the first message for now (452, its disk is
 * full); Alice's server keeps it, retries five minutes later in virtual
 * time, and gets it through. */
static void
test_relay_retries_after_4xx (void)
{
  g_autofree char *text = g_strdup_printf (TWO_SERVERS, "TemporaryFailures=1", "bob@example.net");
  g_autoptr(MscLesson) lesson = load_inline (text);
  g_autoptr(MscWorld) world = run_lesson (lesson, -1);
  MscMailStore *bob_store = msc_world_get_server_store (world, "mx.example.net");
  g_autoptr(MscMailbox) inbox = NULL;
  gint64 refused, retried;

  g_assert_cmpuint (count_matching (world, "452 4.3.1"), ==, 1);
  g_assert_cmpuint (count_matching (world, "MX of example.net?"), ==, 2);

  inbox = msc_mail_store_get_mailbox (bob_store, "bob@example.net", "INBOX", NULL);
  g_assert_nonnull (inbox);
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);

  refused = time_of_first (world, "452 4.3.1");
  retried = time_of_first (world, "bob@example.net INBOX: UID 1");
  g_assert_cmpint (refused, >, 0);
  g_assert_cmpint (retried - refused, >=, 5 * 60 * G_USEC_PER_SEC);

  /* Nothing bounced: Alice's INBOX is empty. */
  {
    g_autoptr(MscMailbox) alice = msc_mail_store_get_mailbox (msc_world_get_server_store (world, "mail.example.com"),
                                                              "alice@example.com", "INBOX", NULL);

    g_assert_cmpuint (msc_mailbox_get_n_messages (alice), ==, 0);
  }
}

/* Mail to a mailbox that does not exist comes back to the sender as a
 * real RFC 3464 report, in her INBOX, and her device downloads it. */
static void
test_unknown_mailbox_bounces (void)
{
  g_autofree char *text = g_strdup_printf (TWO_SERVERS, "", "nobody@example.net");
  g_autoptr(MscLesson) lesson = load_inline (text);
  g_autoptr(MscWorld) world = run_lesson (lesson, -1);
  MscMailStore *store = msc_world_get_server_store (world, "mail.example.com");
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, "alice@example.com", "INBOX", NULL);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *reporting_mta = NULL;
  g_autoptr(GError) error = NULL;
  MscDsnResult *result;

  g_assert_cmpuint (count_matching (world, "550 5.1.1"), ==, 1);
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);
  messages = msc_mailbox_list_messages (inbox);
  g_assert_true (msc_dsn_parse (msc_message_get_data (g_ptr_array_index (messages, 0)),
                                &reporting_mta, &results, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (reporting_mta, ==, "mail.example.com");
  g_assert_cmpuint (results->len, ==, 1);
  result = g_ptr_array_index (results, 0);
  g_assert_cmpstr (result->address, ==, "nobody@example.net");
  g_assert_cmpstr (result->action, ==, "failed");
  g_assert_cmpstr (result->status, ==, "5.1.1");
  g_assert_nonnull (strstr (result->diagnostic, "550"));

  /* The bounce is a row of the end state, and on the laptop (IMAP, push). */
  {
    g_auto(GStrv) rows = msc_world_list_rows (world);
    g_auto(MscWorldCell) cell = { 0 };

    g_assert_cmpuint (g_strv_length (rows), ==, 2);
    g_assert_true (rows[1][0] == '<');
    msc_world_locate (world, rows[1], "laptop", &cell);
    g_assert_cmpint (cell.presence, ==, MSC_LESSON_PRESENCE_UNREAD);
    g_assert_cmpstr (cell.folder, ==, "Inbox");
  }
}

/* A domain nobody serves: DNS has no MX, the bounce says 5.1.2. */
static void
test_unknown_domain_bounces (void)
{
  g_autofree char *text = g_strdup_printf (TWO_SERVERS, "", "carol@example.org");
  g_autoptr(MscLesson) lesson = load_inline (text);
  g_autoptr(MscWorld) world = run_lesson (lesson, -1);
  MscMailStore *store = msc_world_get_server_store (world, "mail.example.com");
  g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, "alice@example.com", "INBOX", NULL);
  g_autoptr(GPtrArray) messages = msc_mailbox_list_messages (inbox);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (count_matching (world, "NXDOMAIN"), ==, 1);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_true (msc_dsn_parse (msc_message_get_data (g_ptr_array_index (messages, 0)),
                                NULL, &results, &error));
  g_assert_cmpstr (((MscDsnResult *) g_ptr_array_index (results, 0))->status, ==, "5.1.2");
}

/* A device offline keeps what the user did and does it once back. */
static void
test_offline_then_online (void)
{
  const char *text =
    "[Lesson]\nId=offline-test\nTitle=Offline\nSummary=Offline.\nLevel=beginner\n\n"
    "[Server mail.example.com]\nDomains=example.com\nAccounts=alice@example.com:alice-demo;bob@example.com:bob-demo\n\n"
    "[Device phone]\nName=Phone\nAccount=alice@example.com\nIncoming=pop3\nRetention=keep\n\n"
    "[Message hello]\nAccount=alice@example.com\nFrom=Bob <bob@example.com>\nSubject=Hello\nBody=Hi\n\n"
    "[Step off]\nAction=offline\nDevice=phone\nNarration=Off.\n\n"
    "[Step check]\nAction=check\nDevice=phone\nNarration=Check.\n\n"
    "[Step wait]\nAction=wait\nMinutes=10\nNarration=Wait.\n\n"
    "[Step on]\nAction=online\nDevice=phone\nNarration=On.\n\n"
    "[Expect hello]\nphone=unread\nalice@example.com=unread\n";
  g_autoptr(MscLesson) lesson = load_inline (text);
  g_autoptr(GError) error = NULL;
  g_autoptr(MscWorld) world = msc_world_new (lesson, NULL, &error);
  MscDeviceStore *phone;

  g_assert_no_error (error);
  phone = msc_world_get_device_store (world, "phone");
  msc_world_run_step (world, &error);
  msc_world_run_step (world, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msc_device_store_get_n_messages (phone, NULL), ==, 0);
  msc_world_run (world, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msc_device_store_get_n_messages (phone, NULL), ==, 1);
  assert_expectations_hold (world);
  g_assert_false (msc_world_run_step (world, &error));
  g_assert_error (error, MSC_WORLD_ERROR, MSC_WORLD_ERROR_FINISHED);
}

int
main (int   argc,
      char *argv[])
{
  static const char *lessons[] = { "imap-two-devices", "pop3-two-devices" };

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (lessons); i++)
    {
      g_autofree char *run = g_strdup_printf ("/msc/world/lesson/%s", lessons[i]);
      g_autofree char *golden = g_strdup_printf ("/msc/world/golden/%s", lessons[i]);

      g_test_add_data_func (run, lessons[i], test_shipped_lesson);
      g_test_add_data_func (golden, lessons[i], test_golden_transcript);
    }
  g_test_add_func ("/msc/world/compare-matches-lessons", test_compare_matches_lessons);
  g_test_add_func ("/msc/world/relay/retry-after-4xx", test_relay_retries_after_4xx);
  g_test_add_func ("/msc/world/relay/unknown-mailbox-bounces", test_unknown_mailbox_bounces);
  g_test_add_func ("/msc/world/relay/unknown-domain-bounces", test_unknown_domain_bounces);
  g_test_add_func ("/msc/world/offline-then-online", test_offline_then_online);

  return g_test_run ();
}
