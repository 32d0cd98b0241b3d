/* test-lesson.c — lessons as data: the shipped ones load, every mistake is
 * reported with its file and line, and no input crashes the loader
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "msc-i18n.h"
#include "msc-lesson.h"

static char *
shipped_path (const char *name)
{
  const char *dir = g_getenv ("MAILSCOPE_LESSONS_DIR");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static MscLesson *
load_shipped (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = shipped_path (name);
  MscLesson *lesson = msc_lesson_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (lesson);
  g_assert_cmpstr (msc_lesson_get_path (lesson), ==, path);

  return lesson;
}

static MscLessonExpectation *
find_expectation (MscLesson  *lesson,
                  const char *message,
                  const char *place)
{
  GPtrArray *expectations = msc_lesson_get_expectations (lesson);

  for (guint i = 0; i < expectations->len; i++)
    {
      MscLessonExpectation *expectation = expectations->pdata[i];

      if (strcmp (expectation->message, message) == 0 && strcmp (expectation->place, place) == 0)
        return expectation;
    }

  g_error ("no expectation for %s at %s", message, place);
}

static void
assert_expectation (MscLesson         *lesson,
                    const char        *message,
                    const char        *place,
                    MscLessonPresence  presence,
                    const char        *folder)
{
  MscLessonExpectation *expectation = find_expectation (lesson, message, place);

  g_assert_cmpint (expectation->presence, ==, presence);
  g_assert_cmpstr (expectation->folder, ==, folder);
  g_assert_cmpuint (expectation->line, >, 0);
}

/* What both shipped lessons share: one world, one story. */
static void
assert_common_world (MscLesson           *lesson,
                     MscIncomingProtocol  incoming)
{
  GPtrArray *servers = msc_lesson_get_servers (lesson);
  GPtrArray *devices = msc_lesson_get_devices (lesson);
  GPtrArray *messages = msc_lesson_get_messages (lesson);
  GPtrArray *steps = msc_lesson_get_steps (lesson);
  static const MscLessonActionKind actions[] = {
    MSC_LESSON_ACTION_CHECK, MSC_LESSON_ACTION_OPEN, MSC_LESSON_ACTION_CHECK,
    MSC_LESSON_ACTION_DELETE, MSC_LESSON_ACTION_SEND, MSC_LESSON_ACTION_CHECK,
    MSC_LESSON_ACTION_CHECK,
  };
  static const char * const step_devices[] = {
    "phone", "phone", "laptop", "phone", "laptop", "phone", "laptop",
  };
  MscLessonServer *server;
  MscLessonAccount *account;
  MscLessonMessage *message;
  MscLessonStep *step;

  g_assert_cmpint (msc_lesson_get_level (lesson), ==, MSC_LESSON_LEVEL_BEGINNER);

  g_assert_cmpuint (servers->len, ==, 1);
  server = servers->pdata[0];
  g_assert_cmpstr (server->hostname, ==, "mail.example.com");
  g_assert_cmpstr (server->address, ==, "192.0.2.10");
  g_assert_cmpuint (g_strv_length (server->domains), ==, 1);
  g_assert_cmpstr (server->domains[0], ==, "example.com");
  g_assert_cmpuint (server->services, ==, MSC_SIM_ALL_SERVICES);
  g_assert_cmpuint (server->temporary_failures, ==, 0);
  g_assert_cmpuint (server->latency_ms, ==, 40);
  g_assert_cmpuint (server->accounts->len, ==, 2);
  account = server->accounts->pdata[1];
  g_assert_cmpstr (account->address, ==, "bob@example.com");
  g_assert_cmpstr (account->password, ==, "bob-demo");
  g_assert_true (msc_lesson_find_server (lesson, "MAIL.example.com") == server);
  g_assert_true (msc_lesson_find_server_for_address (lesson, "carol@EXAMPLE.com") == server);
  g_assert_null (msc_lesson_find_server_for_address (lesson, "carol@example.net"));

  g_assert_cmpuint (devices->len, ==, 2);
  for (guint i = 0; i < devices->len; i++)
    {
      MscLessonDevice *device = devices->pdata[i];
      guint port = msc_lesson_incoming_port (device->incoming, device->incoming_security,
                                             device->incoming_port);

      g_assert_cmpstr (device->id, ==, i == 0 ? "phone" : "laptop");
      g_assert_cmpstr (device->name, ==, i == 0 ? "Alice's phone" : "Alice's laptop");
      g_assert_cmpint (device->kind, ==, i == 0 ? MSC_DEVICE_KIND_PHONE : MSC_DEVICE_KIND_LAPTOP);
      g_assert_cmpstr (device->account, ==, "alice@example.com");
      g_assert_cmpstr (device->password, ==, "alice-demo");
      g_assert_cmpint (device->incoming, ==, incoming);
      g_assert_cmpstr (device->incoming_server, ==, "mail.example.com");
      g_assert_cmpint (device->incoming_security, ==, MSC_SECURITY_TLS);
      g_assert_cmpuint (device->incoming_port, ==, 0);
      g_assert_cmpuint (port, ==, incoming == MSC_INCOMING_IMAP ? 993 : 995);
      g_assert_cmpint (device->retention, ==, MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD);
      g_assert_cmpuint (device->keep_days, ==, 14);
      g_assert_true (device->push);
      g_assert_cmpuint (device->poll_minutes, ==, 0);
      g_assert_cmpstr (device->outgoing_server, ==, "mail.example.com");
      g_assert_cmpint (device->outgoing_security, ==, MSC_SECURITY_STARTTLS);
      g_assert_cmpuint (device->outgoing_port, ==, 0);
      g_assert_cmpuint (msc_lesson_outgoing_port (device->outgoing_security, device->outgoing_port), ==, 587);
      g_assert_cmpuint (device->latency_ms, ==, 20);
      g_assert_true (device->online);
      g_assert_true (msc_lesson_find_device (lesson, device->id) == device);
    }

  g_assert_cmpuint (messages->len, ==, 2);
  message = messages->pdata[0];
  g_assert_cmpstr (message->id, ==, "lunch");
  g_assert_cmpstr (message->account, ==, "alice@example.com");
  g_assert_cmpstr (message->mailbox, ==, "INBOX");
  g_assert_cmpstr (message->from, ==, "Bob <bob@example.com>");
  g_assert_cmpstr (message->to, ==, "alice@example.com");
  g_assert_cmpstr (message->subject, ==, "Lunch on Friday?");
  g_assert_true (g_str_has_prefix (message->body, "Hi Alice,\n\n"));
  g_assert_false (message->seen);
  message = messages->pdata[1];
  g_assert_cmpstr (message->id, ==, "report");
  g_assert_cmpstr (message->from, ==, "Carol <carol@example.net>");
  g_assert_cmpstr (message->subject, ==, "Quarterly report");

  g_assert_cmpuint (steps->len, ==, G_N_ELEMENTS (actions));
  for (guint i = 0; i < steps->len; i++)
    {
      step = steps->pdata[i];
      g_assert_cmpint (step->action, ==, actions[i]);
      g_assert_cmpstr (step->device, ==, step_devices[i]);
      g_assert_cmpuint (strlen (step->narration), >, 40);
      g_assert_cmpuint (step->line, >, 0);
    }
  step = steps->pdata[1];
  g_assert_cmpstr (step->message, ==, "lunch");
  step = steps->pdata[3];
  g_assert_cmpstr (step->message, ==, "report");
  step = steps->pdata[4];
  g_assert_cmpstr (step->id, ==, "reply");
  g_assert_cmpuint (g_strv_length (step->to), ==, 1);
  g_assert_cmpstr (step->to[0], ==, "bob@example.com");
  g_assert_cmpstr (step->subject, ==, "Re: Lunch on Friday?");
  g_assert_true (g_str_has_prefix (step->body, "Hi Bob,\n"));
  g_assert_null (step->message);

  g_assert_cmpuint (msc_lesson_get_expectations (lesson)->len, ==, 10);
}

static void
test_shipped_imap (void)
{
  g_autoptr(MscLesson) lesson = load_shipped ("imap-two-devices.lesson");

  g_assert_cmpstr (msc_lesson_get_id (lesson), ==, "imap-two-devices");
  g_assert_cmpstr (msc_lesson_get_title (lesson), ==, "IMAP keeps two devices in sync");
  g_assert_cmpuint (strlen (msc_lesson_get_summary (lesson)), >, 40);
  g_assert_cmpint (msc_lesson_get_order (lesson), ==, 10);
  assert_common_world (lesson, MSC_INCOMING_IMAP);

  assert_expectation (lesson, "lunch", "phone", MSC_LESSON_PRESENCE_READ, NULL);
  assert_expectation (lesson, "lunch", "laptop", MSC_LESSON_PRESENCE_READ, NULL);
  assert_expectation (lesson, "lunch", "alice@example.com", MSC_LESSON_PRESENCE_READ, NULL);
  assert_expectation (lesson, "report", "phone", MSC_LESSON_PRESENCE_UNREAD, "Trash");
  assert_expectation (lesson, "report", "laptop", MSC_LESSON_PRESENCE_UNREAD, "Trash");
  assert_expectation (lesson, "report", "alice@example.com", MSC_LESSON_PRESENCE_UNREAD, "Trash");
  assert_expectation (lesson, "reply", "laptop", MSC_LESSON_PRESENCE_READ, "Sent");
  assert_expectation (lesson, "reply", "phone", MSC_LESSON_PRESENCE_READ, "Sent");
  assert_expectation (lesson, "reply", "alice@example.com", MSC_LESSON_PRESENCE_READ, "Sent");
  assert_expectation (lesson, "reply", "bob@example.com", MSC_LESSON_PRESENCE_UNREAD, NULL);

  g_assert_finalize_object (g_steal_pointer (&lesson));
}

static void
test_shipped_pop3 (void)
{
  g_autoptr(MscLesson) lesson = load_shipped ("pop3-two-devices.lesson");

  g_assert_cmpstr (msc_lesson_get_id (lesson), ==, "pop3-two-devices");
  g_assert_cmpstr (msc_lesson_get_title (lesson), ==, "POP3 download-and-delete on two devices");
  g_assert_cmpint (msc_lesson_get_order (lesson), ==, 20);
  assert_common_world (lesson, MSC_INCOMING_POP3);

  assert_expectation (lesson, "lunch", "phone", MSC_LESSON_PRESENCE_READ, NULL);
  assert_expectation (lesson, "lunch", "laptop", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "lunch", "alice@example.com", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "report", "phone", MSC_LESSON_PRESENCE_UNREAD, "Trash");
  assert_expectation (lesson, "report", "laptop", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "report", "alice@example.com", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "reply", "laptop", MSC_LESSON_PRESENCE_READ, "Sent");
  assert_expectation (lesson, "reply", "phone", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "reply", "alice@example.com", MSC_LESSON_PRESENCE_ABSENT, NULL);
  assert_expectation (lesson, "reply", "bob@example.com", MSC_LESSON_PRESENCE_UNREAD, NULL);

  g_assert_finalize_object (g_steal_pointer (&lesson));
}

/* The two lessons tell one story, so that the compare view can run them
 * side by side: only Incoming and the expectations differ. */
static void
test_shipped_same_story (void)
{
  g_autoptr(MscLesson) imap = load_shipped ("imap-two-devices.lesson");
  g_autoptr(MscLesson) pop3 = load_shipped ("pop3-two-devices.lesson");
  GPtrArray *a = msc_lesson_get_steps (imap);
  GPtrArray *b = msc_lesson_get_steps (pop3);

  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      MscLessonStep *x = a->pdata[i];
      MscLessonStep *y = b->pdata[i];

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpint (x->action, ==, y->action);
      g_assert_cmpstr (x->device, ==, y->device);
      g_assert_cmpstr (x->message, ==, y->message);
      g_assert_cmpstr (x->subject, ==, y->subject);
      g_assert_cmpstr (x->body, ==, y->body);
      g_assert_cmpstr (x->narration, !=, y->narration);
    }

  a = msc_lesson_get_messages (imap);
  b = msc_lesson_get_messages (pop3);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      MscLessonMessage *x = a->pdata[i];
      MscLessonMessage *y = b->pdata[i];

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpstr (x->from, ==, y->from);
      g_assert_cmpstr (x->subject, ==, y->subject);
      g_assert_cmpstr (x->body, ==, y->body);
    }

  a = msc_lesson_get_expectations (imap);
  b = msc_lesson_get_expectations (pop3);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      MscLessonExpectation *x = a->pdata[i];
      MscLessonExpectation *y = b->pdata[i];

      g_assert_cmpstr (x->message, ==, y->message);
      g_assert_cmpstr (x->place, ==, y->place);
    }
}

static void
test_ports (void)
{
  static const guint ports[] = { 25, 465, 587, 143, 993, 110, 995 };

  for (guint i = 0; i < MSC_SIM_N_SERVICES; i++)
    {
      g_assert_cmpuint (msc_sim_service_get_port (i), ==, ports[i]);
      g_assert_cmpint (msc_sim_service_from_port (ports[i]), ==, (int) i);
    }
  g_assert_cmpint (msc_sim_service_from_port (2525), ==, -1);
  g_assert_cmpstr (msc_sim_service_get_name (MSC_SIM_SERVICE_SUBMISSIONS), ==, "submissions");
  g_assert_cmpstr (msc_sim_service_get_name (MSC_SIM_SERVICE_POP3S), ==, "pop3s");

  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_IMAP, MSC_SECURITY_TLS, 0), ==, 993);
  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_IMAP, MSC_SECURITY_STARTTLS, 0), ==, 143);
  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_IMAP, MSC_SECURITY_NONE, 0), ==, 143);
  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_POP3, MSC_SECURITY_TLS, 0), ==, 995);
  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_POP3, MSC_SECURITY_NONE, 0), ==, 110);
  g_assert_cmpuint (msc_lesson_incoming_port (MSC_INCOMING_POP3, MSC_SECURITY_TLS, 110), ==, 110);
  g_assert_cmpuint (msc_lesson_outgoing_port (MSC_SECURITY_TLS, 0), ==, 465);
  g_assert_cmpuint (msc_lesson_outgoing_port (MSC_SECURITY_STARTTLS, 0), ==, 587);
  g_assert_cmpuint (msc_lesson_outgoing_port (MSC_SECURITY_NONE, 0), ==, 587);
  g_assert_cmpuint (msc_lesson_outgoing_port (MSC_SECURITY_NONE, 25), ==, 25);

  g_assert_cmpstr (msc_lesson_action_get_name (MSC_LESSON_ACTION_MARK_UNREAD), ==, "mark-unread");
  g_assert_cmpstr (msc_lesson_level_get_name (MSC_LESSON_LEVEL_ADVANCED), ==, "Advanced");
}

/* ---- Small lessons written inline ---- */

/* A small valid lesson; the broken ones below are edits of it, so their
 * line numbers can be read off here. */
static const char base_lesson[] =
  "[Lesson]\n"                                            /*  1 */
  "Id=t\n"                                                /*  2 */
  "Title=T\n"                                             /*  3 */
  "Summary=S\n"                                           /*  4 */
  "Level=beginner\n"                                      /*  5 */
  "\n"                                                    /*  6 */
  "[Server mail.example.com]\n"                           /*  7 */
  "Domains=example.com\n"                                 /*  8 */
  "Accounts=alice@example.com:pw;bob@example.com:pw2\n"   /*  9 */
  "\n"                                                    /* 10 */
  "[Device phone]\n"                                      /* 11 */
  "Name=Phone\n"                                          /* 12 */
  "Account=alice@example.com\n"                           /* 13 */
  "Incoming=imap\n"                                       /* 14 */
  "\n"                                                    /* 15 */
  "[Message hello]\n"                                     /* 16 */
  "Account=alice@example.com\n"                           /* 17 */
  "From=Bob <bob@example.com>\n"                          /* 18 */
  "Subject=Hi\n"                                          /* 19 */
  "Body=Hello\n"                                          /* 20 */
  "\n"                                                    /* 21 */
  "# A comment\n"                                         /* 22 */
  "[Step one]\n"                                          /* 23 */
  "Action=open\n"                                         /* 24 */
  "Device=phone\n"                                        /* 25 */
  "Message=hello\n"                                       /* 26 */
  "Narration=N\n"                                         /* 27 */
  "\n"                                                    /* 28 */
  "[Expect hello]\n"                                      /* 29 */
  "phone=read\n";                                         /* 30 */

static char *
edit_lesson (const char *find,
             const char *replace,
             const char *append)
{
  g_autoptr(GString) text = g_string_new (base_lesson);

  if (find != NULL)
    g_assert_cmpuint (g_string_replace (text, find, replace, 1), ==, 1);
  if (append != NULL)
    g_string_append (text, append);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_base (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = msc_lesson_load_data (base_lesson, -1, "t.lesson", &error);
  MscLessonDevice *device;
  MscLessonStep *step;

  g_assert_no_error (error);
  g_assert_cmpstr (msc_lesson_get_id (lesson), ==, "t");
  g_assert_null (msc_lesson_get_path (lesson));
  g_assert_cmpint (msc_lesson_get_order (lesson), ==, 1000);

  device = msc_lesson_find_device (lesson, "phone");
  g_assert_cmpuint (device->line, ==, 11);
  g_assert_cmpint (device->kind, ==, MSC_DEVICE_KIND_LAPTOP);
  g_assert_cmpstr (device->password, ==, "pw");
  step = msc_lesson_get_steps (lesson)->pdata[0];
  g_assert_cmpuint (step->line, ==, 23);
  g_assert_cmpuint (((MscLessonExpectation *) msc_lesson_get_expectations (lesson)->pdata[0])->line, ==, 30);
  g_assert_cmpuint (((MscLessonServer *) msc_lesson_get_servers (lesson)->pdata[0])->line, ==, 7);
}

/* Everything the README allows, at once. */
static void
test_full (void)
{
  g_autofree char *text = edit_lesson (
    "Domains=example.com\n"
    "Accounts=alice@example.com:pw;bob@example.com:pw2\n",
    "Domains=Example.com; example.org\n"
    "Accounts=alice@example.com:pw;bob@example.com:pw2;carol@example.org:a\\;b\n"
    "Address=198.51.100.7\n"
    "Services=smtp;submission;imap;imaps;pop3s\n"
    "TemporaryFailures=2\n"
    "Latency=100\n"
    "[Server mx.example.net]\n"
    "Domains=example.net\n"
    "Services=smtp;submissions;imaps\n",
    "[Device office]\n"
    "Name=Office PC\n"
    "Kind=desktop\n"
    "Account=carol@example.org\n"
    "Incoming=pop3\n"
    "IncomingSecurity=ssl\n"
    "Retention=keep-days\n"
    "KeepDays=7\n"
    "PollMinutes=10\n"
    "OutgoingServer=mx.example.net\n"
    "OutgoingSecurity=ssl\n"
    "Latency=5\n"
    "Online=false\n"
    "[Device tablet]\n"
    "Name=Tablet\n"
    "Kind=tablet\n"
    "Account=bob@example.com\n"
    "Incoming=imap\n"
    "IncomingSecurity=none\n"
    "IncomingPort=143\n"
    "Push=false\n"
    "PollMinutes=5\n"
    "OutgoingPort=25\n"
    "OutgoingSecurity=none\n"
    "[Message old]\n"
    "Account=Bob@Example.com\n"
    "Mailbox=Archive\n"
    "From=alice@example.com\n"
    "To=Bob <bob@example.com>\n"
    "Subject=Old\n"
    "Body=Line one\\nLine two\n"
    "Seen=true\n"
    "[Step send]\n"
    "Action=send\n"
    "Device=tablet\n"
    "To=alice@example.com; Carol <carol@example.org>\n"
    "Subject=New\n"
    "Body=B\n"
    "Narration=N\n"
    "[Step move]\n"
    "Action=move\n"
    "Device=tablet\n"
    "Message=send\n"
    "Folder=Projects/2026\n"
    "Narration=N\n"
    "[Step wait]\n"
    "Action=wait\n"
    "Minutes=30\n"
    "Narration=N\n"
    "[Step off]\n"
    "Action=offline\n"
    "Device=office\n"
    "Narration=N\n"
    "[Expect send]\n"
    "Alice@Example.com=unread\n"
    "tablet=read:Projects/2026\n"
    "office=absent\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = msc_lesson_load_data (text, strlen (text), "full.lesson", &error);
  MscLessonServer *server;
  MscLessonDevice *device;
  MscLessonMessage *message;
  MscLessonStep *step;
  MscLessonExpectation *expectation;

  g_assert_no_error (error);

  server = msc_lesson_find_server (lesson, "mail.example.com");
  g_assert_cmpstr (server->domains[0], ==, "example.com");
  g_assert_cmpstr (server->domains[1], ==, "example.org");
  g_assert_cmpstr (server->address, ==, "198.51.100.7");
  g_assert_cmpuint (server->services, ==, (1u << MSC_SIM_SERVICE_SMTP) | (1u << MSC_SIM_SERVICE_SUBMISSION) |
                                          (1u << MSC_SIM_SERVICE_IMAP) | (1u << MSC_SIM_SERVICE_IMAPS) |
                                          (1u << MSC_SIM_SERVICE_POP3S));
  g_assert_cmpuint (server->temporary_failures, ==, 2);
  g_assert_cmpuint (server->latency_ms, ==, 100);
  g_assert_cmpstr (((MscLessonAccount *) server->accounts->pdata[2])->password, ==, "a;b");
  server = msc_lesson_find_server (lesson, "mx.example.net");
  g_assert_cmpstr (server->address, ==, "192.0.2.11");

  device = msc_lesson_find_device (lesson, "office");
  g_assert_cmpint (device->kind, ==, MSC_DEVICE_KIND_DESKTOP);
  g_assert_cmpint (device->incoming, ==, MSC_INCOMING_POP3);
  g_assert_cmpstr (device->incoming_server, ==, "mail.example.com");
  g_assert_cmpint (device->retention, ==, MSC_POP3_CLIENT_KEEP_DAYS);
  g_assert_cmpuint (device->keep_days, ==, 7);
  g_assert_cmpuint (device->poll_minutes, ==, 10);
  g_assert_cmpstr (device->outgoing_server, ==, "mx.example.net");
  g_assert_cmpint (device->outgoing_security, ==, MSC_SECURITY_TLS);
  g_assert_cmpuint (device->latency_ms, ==, 5);
  g_assert_false (device->online);
  g_assert_cmpstr (device->password, ==, "a;b");

  device = msc_lesson_find_device (lesson, "tablet");
  g_assert_cmpint (device->incoming_security, ==, MSC_SECURITY_NONE);
  g_assert_cmpuint (device->incoming_port, ==, 143);
  g_assert_false (device->push);
  g_assert_cmpuint (device->poll_minutes, ==, 5);
  g_assert_cmpuint (device->outgoing_port, ==, 25);

  message = msc_lesson_get_messages (lesson)->pdata[1];
  g_assert_cmpstr (message->account, ==, "bob@example.com");
  g_assert_cmpstr (message->mailbox, ==, "Archive");
  g_assert_cmpstr (message->to, ==, "Bob <bob@example.com>");
  g_assert_cmpstr (message->body, ==, "Line one\nLine two");
  g_assert_true (message->seen);

  step = msc_lesson_get_steps (lesson)->pdata[1];
  g_assert_cmpint (step->action, ==, MSC_LESSON_ACTION_SEND);
  g_assert_cmpuint (g_strv_length (step->to), ==, 2);
  g_assert_cmpstr (step->to[1], ==, "Carol <carol@example.org>");
  step = msc_lesson_get_steps (lesson)->pdata[2];
  g_assert_cmpstr (step->message, ==, "send");
  g_assert_cmpstr (step->folder, ==, "Projects/2026");
  step = msc_lesson_get_steps (lesson)->pdata[3];
  g_assert_null (step->device);
  g_assert_cmpuint (step->minutes, ==, 30);

  g_assert_cmpuint (msc_lesson_get_expectations (lesson)->len, ==, 4);
  expectation = msc_lesson_get_expectations (lesson)->pdata[1];
  g_assert_cmpstr (expectation->place, ==, "alice@example.com");
  expectation = msc_lesson_get_expectations (lesson)->pdata[2];
  g_assert_cmpstr (expectation->folder, ==, "Projects/2026");
}

typedef struct
{
  const char     *find;     /* NULL: @replace is the whole lesson */
  const char     *replace;
  const char     *append;
  MscLessonError  code;
  guint           line;
} BrokenLesson;

#define SEND_STEP "\n[Step later]\nAction=send\nDevice=phone\nTo=bob@example.com\nSubject=S\nBody=B\nNarration=N\n"

static const BrokenLesson broken_lessons[] = {
  /* Syntax */
  { "Level=beginner", "Level beginner", NULL, MSC_LESSON_ERROR_SYNTAX, 5 },
  { "[Step one]", "[Step one", NULL, MSC_LESSON_ERROR_SYNTAX, 23 },
  { "[Step one]", "[Step one] x", NULL, MSC_LESSON_ERROR_SYNTAX, 23 },
  { "[Step one]", "[]", NULL, MSC_LESSON_ERROR_SYNTAX, 23 },
  { "Title=T", "Title=\xff\xfe", NULL, MSC_LESSON_ERROR_SYNTAX, 3 },
  { "Title=T", "Title=\x01", NULL, MSC_LESSON_ERROR_SYNTAX, 3 },
  { "Narration=N", "=N", NULL, MSC_LESSON_ERROR_SYNTAX, 27 },
  { "Narration=N", "Narration [zh_CN]=N", NULL, MSC_LESSON_ERROR_SYNTAX, 27 },
  { NULL, "Id=t\n[Lesson]\n", NULL, MSC_LESSON_ERROR_SYNTAX, 1 },
  { "[Lesson]\n", "", NULL, MSC_LESSON_ERROR_SYNTAX, 1 },
  /* Groups and keys */
  { NULL, "", NULL, MSC_LESSON_ERROR_MISSING, 1 },
  { NULL, "# nothing\n[Lesson]\nId=t\nTitle=T\nSummary=S\nLevel=beginner\n", NULL,
    MSC_LESSON_ERROR_MISSING, 2 },
  { "Title=T\n", "", NULL, MSC_LESSON_ERROR_MISSING, 1 },
  { "Incoming=imap", "Incomming=imap", NULL, MSC_LESSON_ERROR_INVALID, 14 },
  { "Incoming=imap", "Incoming=imap\nAccount[zh_CN]=x", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { NULL, NULL, "\n[Devise tablet]\nName=x\n", MSC_LESSON_ERROR_INVALID, 32 },
  { NULL, NULL, "\n[Step one]\nAction=check\nDevice=phone\nNarration=x\n", MSC_LESSON_ERROR_DUPLICATE, 32 },
  { "Narration=N", "Narration=N\nNarration=M", NULL, MSC_LESSON_ERROR_DUPLICATE, 28 },
  { "Incoming=imap", "Incoming=imap\nIncoming=pop3", NULL, MSC_LESSON_ERROR_DUPLICATE, 15 },
  /* [Lesson] */
  { "Id=t", "Id=T", NULL, MSC_LESSON_ERROR_INVALID, 2 },
  { "Level=beginner", "Level=expert", NULL, MSC_LESSON_ERROR_INVALID, 5 },
  { "Level=beginner", "Level=beginner\nOrder=first", NULL, MSC_LESSON_ERROR_INVALID, 6 },
  /* [Server] */
  { "[Server mail.example.com]", "[Server mail..example.com]", NULL, MSC_LESSON_ERROR_INVALID, 7 },
  { "Domains=example.com", "Domains=exa mple.com", NULL, MSC_LESSON_ERROR_INVALID, 8 },
  { "Domains=example.com", "Domains=", NULL, MSC_LESSON_ERROR_INVALID, 8 },
  { "alice@example.com:pw", "alice@example.org:pw", NULL, MSC_LESSON_ERROR_INVALID, 9 },
  { "bob@example.com:pw2", "bob@example.com", NULL, MSC_LESSON_ERROR_INVALID, 9 },
  { "bob@example.com:pw2", "alice@example.com:pw2", NULL, MSC_LESSON_ERROR_DUPLICATE, 9 },
  { NULL, NULL, "\n[Server mx.example.com]\nDomains=example.com\n", MSC_LESSON_ERROR_DUPLICATE, 33 },
  { "Domains=example.com", "Domains=example.com\nLatency=-1", NULL, MSC_LESSON_ERROR_INVALID, 9 },
  { "Domains=example.com", "Domains=example.com\nAddress=300.1.1.1", NULL, MSC_LESSON_ERROR_INVALID, 9 },
  { "Domains=example.com", "Domains=example.com\nServices=imaps;smtps", NULL, MSC_LESSON_ERROR_INVALID, 9 },
  /* [Device] */
  { "Incoming=imap", "Incoming=smtp", NULL, MSC_LESSON_ERROR_INVALID, 14 },
  { "Incoming=imap\n", "", NULL, MSC_LESSON_ERROR_MISSING, 11 },
  { "[Device phone]", "[Device Phone]", NULL, MSC_LESSON_ERROR_INVALID, 11 },
  { "Account=alice@example.com\nIncoming", "Account=carol@example.com\nIncoming", NULL,
    MSC_LESSON_ERROR_REFERENCE, 13 },
  { "Incoming=imap", "Incoming=imap\nIncomingServer=imap.example.com", NULL, MSC_LESSON_ERROR_REFERENCE, 15 },
  { "Incoming=imap", "Incoming=imap\nIncomingPort=995", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nIncomingPort=8080", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nOutgoingPort=993", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nRetention=keep", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=pop3\nPush=false", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=pop3\nKeepDays=3", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nPollMinutes=3", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nOnline=maybe", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  { "Incoming=imap", "Incoming=imap\nKind=watch", NULL, MSC_LESSON_ERROR_INVALID, 15 },
  /* IMAP over ssl needs imaps (993): the Incoming line is blamed. */
  { "Domains=example.com", "Domains=example.com\nServices=imap;submission", NULL, MSC_LESSON_ERROR_REFERENCE, 15 },
  /* STARTTLS on 587 needs submission: nothing outgoing is set, so the group is. */
  { "Domains=example.com", "Domains=example.com\nServices=imaps;submissions", NULL, MSC_LESSON_ERROR_REFERENCE, 12 },
  { "Incoming=imap", "Incoming=imap\nOutgoingServer=smtp.example.com", NULL, MSC_LESSON_ERROR_REFERENCE, 15 },
  /* [Message] */
  { "From=Bob <bob@example.com>", "From=Bob", NULL, MSC_LESSON_ERROR_INVALID, 18 },
  { "Subject=Hi", "Subject=Hi\\nthere", NULL, MSC_LESSON_ERROR_INVALID, 19 },
  { "Body=Hello\n", "", NULL, MSC_LESSON_ERROR_MISSING, 16 },
  { "Account=alice@example.com\nFrom", "Account=nobody@example.com\nFrom", NULL, MSC_LESSON_ERROR_REFERENCE, 17 },
  { "[Message hello]", "[Message phone]", NULL, MSC_LESSON_ERROR_DUPLICATE, 16 },
  /* [Step] */
  { "[Step one]", "[Step hello]", NULL, MSC_LESSON_ERROR_DUPLICATE, 23 },
  { "Action=open", "Action=jump", NULL, MSC_LESSON_ERROR_INVALID, 24 },
  { "Device=phone", "Device=tablet", NULL, MSC_LESSON_ERROR_REFERENCE, 25 },
  { "Message=hello", "Message=bye", NULL, MSC_LESSON_ERROR_REFERENCE, 26 },
  { "Message=hello", "Message=later", SEND_STEP, MSC_LESSON_ERROR_REFERENCE, 26 },
  { "Action=open", "Action=move", NULL, MSC_LESSON_ERROR_MISSING, 23 },
  { "Action=open", "Action=check", NULL, MSC_LESSON_ERROR_INVALID, 26 },
  { "Action=open\nDevice=phone\nMessage=hello", "Action=send\nDevice=phone\nSubject=S\nBody=B", NULL,
    MSC_LESSON_ERROR_MISSING, 23 },
  { "Action=open\nDevice=phone\nMessage=hello", "Action=wait\nDevice=phone\nMinutes=5", NULL,
    MSC_LESSON_ERROR_INVALID, 25 },
  { "Action=open\nDevice=phone\nMessage=hello", "Action=wait\nMinutes=0", NULL, MSC_LESSON_ERROR_INVALID, 25 },
  { "Narration=N", "Narration=N\\q", NULL, MSC_LESSON_ERROR_INVALID, 27 },
  /* [Expect] */
  { "[Expect hello]", "[Expect nope]", NULL, MSC_LESSON_ERROR_REFERENCE, 29 },
  { "phone=read", "tablet=read", NULL, MSC_LESSON_ERROR_REFERENCE, 30 },
  { "phone=read", "carol@example.com=read", NULL, MSC_LESSON_ERROR_REFERENCE, 30 },
  { "phone=read", "Phone=read", NULL, MSC_LESSON_ERROR_INVALID, 30 },
  { "phone=read", "phone[zh_CN]=read", NULL, MSC_LESSON_ERROR_INVALID, 30 },
  { "phone=read", "phone=seen", NULL, MSC_LESSON_ERROR_INVALID, 30 },
  { "phone=read", "phone=absent:Trash", NULL, MSC_LESSON_ERROR_INVALID, 30 },
  { "phone=read", "phone=read:", NULL, MSC_LESSON_ERROR_INVALID, 30 },
  { "phone=read\n", "", NULL, MSC_LESSON_ERROR_MISSING, 29 },
};

static void
test_broken (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (broken_lessons), >=, 25);

  for (guint i = 0; i < G_N_ELEMENTS (broken_lessons); i++)
    {
      const BrokenLesson *broken = &broken_lessons[i];
      g_autofree char *text = NULL;
      g_autofree char *prefix = g_strdup_printf ("t.lesson:%u: ", broken->line);
      g_autoptr(GError) error = NULL;
      g_autoptr(MscLesson) lesson = NULL;

      if (broken->find == NULL && broken->replace != NULL)
        text = g_strdup (broken->replace);
      else
        text = edit_lesson (broken->find, broken->replace, broken->append);

      lesson = msc_lesson_load_data (text, strlen (text), "t.lesson", &error);
      g_test_message ("case %u: %s", i, error != NULL ? error->message : "(loaded)");
      g_assert_null (lesson);
      g_assert_error (error, MSC_LESSON_ERROR, (int) broken->code);
      if (!g_str_has_prefix (error->message, prefix))
        g_error ("case %u: expected “%s…”, got “%s”", i, prefix, error->message);
    }
}

/* The exact wording of one message, as a trainer reads it. */
static void
test_message_text (void)
{
  g_autofree char *text = edit_lesson ("Incoming=imap", "Incoming=smtp", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = msc_lesson_load_data (text, strlen (text), "imap.lesson", &error);

  g_assert_null (lesson);
  g_assert_cmpstr (error->message, ==, "imap.lesson:14: [Device phone] Incoming=smtp: expected imap or pop3");
}

static void
test_io_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = msc_lesson_load_file ("/nonexistent/missing.lesson", &error);

  g_assert_null (lesson);
  g_assert_error (error, MSC_LESSON_ERROR, MSC_LESSON_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/missing.lesson: "));
}

/* ---- Translations ---- */

static const char translated_lesson[] =
  "[Lesson]\n"
  "Id=t\n"
  "Title=Mail\n"
  "Title[zh_CN]=邮件\n"
  "Summary=S\n"
  "Summary[zh]=摘要\n"
  "Level=beginner\n"
  "[Server mail.example.com]\n"
  "Domains=example.com\n"
  "Accounts=alice@example.com:pw\n"
  "[Device phone]\n"
  "Name=Phone\n"
  "Name[zh_CN]=手机\n"
  "Name[de]=Telefon\n"
  "Account=alice@example.com\n"
  "Incoming=pop3\n"
  "[Step one]\n"
  "Action=check\n"
  "Device=phone\n"
  "Narration=Check\n"
  "Narration[zh_CN]=收信\n";

static void
assert_translated (gboolean chinese)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = msc_lesson_load_data (translated_lesson, -1, "zh.lesson", &error);
  MscLessonDevice *device;
  MscLessonStep *step;

  g_assert_no_error (error);
  device = msc_lesson_find_device (lesson, "phone");
  step = msc_lesson_get_steps (lesson)->pdata[0];

  g_assert_cmpstr (msc_lesson_get_title (lesson), ==, chinese ? "邮件" : "Mail");
  g_assert_cmpstr (msc_lesson_get_summary (lesson), ==, chinese ? "摘要" : "S");
  g_assert_cmpstr (device->name, ==, chinese ? "手机" : "Phone");
  g_assert_cmpstr (step->narration, ==, chinese ? "收信" : "Check");
}

/* In a subprocess with LANGUAGE=zh_CN, as test-explain does, so that the
 * rest of the tests keep the untranslated language. */
static void
test_translated (void)
{
  if (!g_test_subprocess ())
    {
      g_autofree char *language = g_strdup (g_getenv ("LANGUAGE"));

      assert_translated (FALSE);

      g_setenv ("LANGUAGE", "zh_CN", TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_setenv ("LANGUAGE", language != NULL ? language : "", TRUE);
      g_test_trap_assert_passed ();

      assert_translated (FALSE);
      return;
    }

  assert_translated (TRUE);
}

/* ---- load_all ---- */

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
copy_shipped (const char *dir,
              const char *name)
{
  g_autofree char *path = shipped_path (name);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  write_file (dir, name, contents);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

static void
test_load_all (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("msc-lesson-XXXXXX", &error);
  g_autofree char *early = NULL;
  g_autofree char *late = NULL;
  g_autoptr(GPtrArray) lessons = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  g_autofree char *broken_prefix = NULL;
  g_autofree char *twin_prefix = NULL;

  g_assert_no_error (error);

  copy_shipped (dir, "pop3-two-devices.lesson");
  copy_shipped (dir, "imap-two-devices.lesson");

  /* Order 5 comes first; an Order equal to the POP3 lesson's sorts by id. */
  early = edit_lesson ("Level=beginner", "Level=advanced\nOrder=5", NULL);
  write_file (dir, "early.lesson", early);
  late = edit_lesson ("Id=t\nTitle=T\nSummary=S\nLevel=beginner",
                      "Id=u\nTitle=T\nSummary=S\nLevel=beginner\nOrder=20", NULL);
  write_file (dir, "a-late.lesson", late);

  /* A broken file, and a second file with an id already taken (second by
   * file name): both are left out and reported. */
  write_file (dir, "broken.lesson", "[Lesson]\nId=broken\nnot a key\n");
  write_file (dir, "twin.lesson", early);
  write_file (dir, "notes.txt", "not a lesson");

  lessons = msc_lesson_load_all (dir, &errors);
  g_assert_cmpuint (lessons->len, ==, 4);
  g_assert_cmpstr (msc_lesson_get_id (lessons->pdata[0]), ==, "t");
  g_assert_cmpint (msc_lesson_get_order (lessons->pdata[0]), ==, 5);
  g_assert_cmpint (msc_lesson_get_level (lessons->pdata[0]), ==, MSC_LESSON_LEVEL_ADVANCED);
  g_assert_cmpstr (msc_lesson_get_id (lessons->pdata[1]), ==, "imap-two-devices");
  g_assert_cmpstr (msc_lesson_get_id (lessons->pdata[2]), ==, "pop3-two-devices");
  g_assert_cmpstr (msc_lesson_get_id (lessons->pdata[3]), ==, "u");

  g_assert_cmpuint (errors->len, ==, 2);
  broken_prefix = g_build_filename (dir, "broken.lesson:3: ", NULL);
  g_assert_error ((GError *) errors->pdata[0], MSC_LESSON_ERROR, MSC_LESSON_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (((GError *) errors->pdata[0])->message, broken_prefix));
  twin_prefix = g_build_filename (dir, "twin.lesson:2: ", NULL);
  g_assert_error ((GError *) errors->pdata[1], MSC_LESSON_ERROR, MSC_LESSON_ERROR_DUPLICATE);
  g_assert_true (g_str_has_prefix (((GError *) errors->pdata[1])->message, twin_prefix));

  g_clear_pointer (&lessons, g_ptr_array_unref);
  lessons = msc_lesson_load_all (dir, NULL);
  g_assert_cmpuint (lessons->len, ==, 4);

  remove_dir (dir);

  g_clear_pointer (&lessons, g_ptr_array_unref);
  g_clear_pointer (&errors, g_ptr_array_unref);
  lessons = msc_lesson_load_all (dir, &errors);
  g_assert_cmpuint (lessons->len, ==, 0);
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_error ((GError *) errors->pdata[0], MSC_LESSON_ERROR, MSC_LESSON_ERROR_IO);
}

/* The shipped lessons, from MAILSCOPE_LESSONS_DIR (the build's merged
 * copies): all load, and the IMAP lesson comes before the POP3 one. */
static void
test_load_default (void)
{
  g_autoptr(GPtrArray) errors = NULL;
  g_autoptr(GPtrArray) lessons = NULL;
  int imap = -1, pop3 = -1;

  g_assert_cmpstr (msc_lesson_get_default_dir (), ==, g_getenv ("MAILSCOPE_LESSONS_DIR"));

  lessons = msc_lesson_load_all (NULL, &errors);
  for (guint i = 0; i < errors->len; i++)
    g_test_message ("%s", ((GError *) errors->pdata[i])->message);
  g_assert_cmpuint (errors->len, ==, 0);

  for (guint i = 0; i < lessons->len; i++)
    {
      const char *id = msc_lesson_get_id (lessons->pdata[i]);

      if (strcmp (id, "imap-two-devices") == 0)
        imap = i;
      if (strcmp (id, "pop3-two-devices") == 0)
        pop3 = i;
      if (i > 0)
        g_assert_cmpint (msc_lesson_get_order (lessons->pdata[i - 1]), <=,
                         msc_lesson_get_order (lessons->pdata[i]));
    }

  g_assert_cmpint (imap, >=, 0);
  g_assert_cmpint (pop3, >, imap);
}

/* ---- Robustness ---- */

static void
mutate (GRand   *rand,
        GString *text)
{
  guint n = g_rand_int_range (rand, 1, 4);

  for (guint i = 0; i < n && text->len > 0; i++)
    {
      guint pos = g_rand_int_range (rand, 0, text->len);

      switch (g_rand_int_range (rand, 0, 7))
        {
        case 0:  /* truncate */
          g_string_truncate (text, pos);
          break;

        case 1:  /* flip a byte to anything, NUL and invalid UTF-8 included */
          text->str[pos] = (char) g_rand_int_range (rand, 0, 256);
          break;

        case 2:  /* flip one bit */
          text->str[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
          break;

        case 3:  /* delete the line around pos */
        case 4:  /* duplicate it */
          {
            gsize start = pos, end = pos;

            while (start > 0 && text->str[start - 1] != '\n')
              start--;
            while (end < text->len && text->str[end] != '\n')
              end++;
            if (end < text->len)
              end++;

            if (g_rand_int_range (rand, 0, 2) == 0)
              {
                g_string_erase (text, start, end - start);
              }
            else
              {
                g_autofree char *line = g_strndup (text->str + start, end - start);

                g_string_insert_len (text, end, line, end - start);
              }
          }
          break;

        case 5:  /* insert one of the characters the syntax cares about */
          {
            static const char specials[] = "[]=#;:\\\n\r @.-";

            g_string_insert_c (text, pos, specials[g_rand_int_range (rand, 0, sizeof specials - 1)]);
          }
          break;

        default:  /* delete a few bytes */
          {
            /* Drawn once: MIN() evaluates its arguments twice. */
            gsize count = g_rand_int_range (rand, 1, 16);

            g_string_erase (text, pos, MIN (text->len - pos, count));
          }
          break;
        }
    }
}

static void
test_robust (void)
{
  g_autofree char *path = shipped_path ("imap-two-devices.lesson");
  g_autofree char *original = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr(GRegex) prefix = g_regex_new ("^fuzz\\.lesson:[1-9][0-9]*: .", G_REGEX_DOTALL, 0, NULL);
  guint loaded = 0;
  gsize length;

  g_file_get_contents (path, &original, &length, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(GString) text = g_string_new_len (original, length);
      g_autoptr(MscLesson) lesson = NULL;

      mutate (rand, text);
      lesson = msc_lesson_load_data (text->str, text->len, "fuzz.lesson", &error);

      if (lesson != NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (msc_lesson_get_title (lesson));
          loaded++;
          continue;
        }

      g_assert_nonnull (error);
      g_assert_true (error->domain == MSC_LESSON_ERROR);
      if (!g_regex_match (prefix, error->message, 0, NULL))
        g_error ("mutation %u: “%s” has no file and line", i, error->message);
      g_clear_error (&error);
    }

  /* Some mutations are harmless (a comment changed): both ways were tried. */
  g_test_message ("%u of 2000 mutated lessons loaded", loaded);
  g_assert_cmpuint (loaded, >, 0);
  g_assert_cmpuint (loaded, <, 2000);
}

int
main (int   argc,
      char *argv[])
{
  msc_i18n_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/lesson/shipped/imap", test_shipped_imap);
  g_test_add_func ("/msc/lesson/shipped/pop3", test_shipped_pop3);
  g_test_add_func ("/msc/lesson/shipped/same-story", test_shipped_same_story);
  g_test_add_func ("/msc/lesson/ports", test_ports);
  g_test_add_func ("/msc/lesson/base", test_base);
  g_test_add_func ("/msc/lesson/full", test_full);
  g_test_add_func ("/msc/lesson/broken", test_broken);
  g_test_add_func ("/msc/lesson/message-text", test_message_text);
  g_test_add_func ("/msc/lesson/io-error", test_io_error);
  g_test_add_func ("/msc/lesson/translated", test_translated);
  g_test_add_func ("/msc/lesson/load-all", test_load_all);
  g_test_add_func ("/msc/lesson/load-default", test_load_default);
  g_test_add_func ("/msc/lesson/robust", test_robust);

  return g_test_run ();
}
