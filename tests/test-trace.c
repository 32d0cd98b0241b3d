/* test-trace.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "msc-trace.h"

typedef struct {
  guint position, removed, added, calls;
} Changes;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Changes    *changes)
{
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
  changes->calls++;
}

static MscTraceEvent *
command (const char *text)
{
  return msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_SMTP,
                              "Laptop", "mail.example.com:587", text);
}

static void
test_append (void)
{
  g_autoptr(MscTrace) trace = msc_trace_new ();
  g_autoptr(MscTraceEvent) first = command ("EHLO laptop");
  g_autoptr(MscTraceEvent) second = command ("QUIT");
  g_autoptr(MscTraceEvent) item = NULL;
  Changes changes = { 0 };

  g_signal_connect (trace, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (trace)) == MSC_TYPE_TRACE_EVENT);

  msc_trace_append (trace, first);
  msc_trace_append (trace, second);
  g_assert_cmpuint (changes.calls, ==, 2);
  g_assert_cmpuint (changes.position, ==, 1);
  g_assert_cmpuint (changes.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (trace)), ==, 2);

  item = g_list_model_get_item (G_LIST_MODEL (trace), 1);
  g_assert_true (item == second);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (trace), 2));

  g_clear_object (&item);
  g_assert_finalize_object (g_steal_pointer (&trace));
}

static void
test_max_events (void)
{
  g_autoptr(MscTrace) trace = msc_trace_new ();
  Changes changes = { 0 };

  msc_trace_set_max_events (trace, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(MscTraceEvent) event = command ("NOOP");
      msc_trace_append (trace, event);
    }

  g_signal_connect (trace, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  {
    g_autoptr(MscTraceEvent) event = command ("QUIT");
    g_autoptr(MscTraceEvent) last = NULL;

    msc_trace_append (trace, event);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (trace)), ==, 3);
    last = g_list_model_get_item (G_LIST_MODEL (trace), 2);
    g_assert_cmpstr (msc_trace_event_get_text (last), ==, "QUIT");
  }
  /* One removal at the front, one addition at the end. */
  g_assert_cmpuint (changes.calls, ==, 2);
}

static void
test_event (void)
{
  g_autoptr(MscTraceEvent) reply = msc_trace_event_new (MSC_TRACE_KIND_REPLY, MSC_PROTOCOL_SMTP,
                                                        "mail.example.com:587", "Laptop",
                                                        "550 5.1.1 No such user");
  g_autoptr(MscTraceEvent) hello = msc_trace_event_new (MSC_TRACE_KIND_TLS_HANDSHAKE, MSC_PROTOCOL_TLS,
                                                        "Laptop", "mail.example.com:465",
                                                        "ClientHello");
  g_autoptr(GBytes) bytes = g_bytes_new_static ("550 5.1.1 No such user\r\n", 24);

  msc_trace_event_set_reply (reply, 550, "5.1.1", msc_reply_class_from_smtp_code (550));
  msc_trace_event_set_bytes (reply, bytes);
  msc_trace_event_set_explanation_key (reply, "smtp.reply.550.5.1.1");
  msc_trace_event_set_time (reply, 1500);

  g_assert_cmpuint (msc_trace_event_get_reply_code (reply), ==, 550);
  g_assert_cmpstr (msc_trace_event_get_status_code (reply), ==, "5.1.1");
  g_assert_cmpint (msc_trace_event_get_reply_class (reply), ==, MSC_REPLY_CLASS_FAILURE);
  g_assert_true (msc_trace_event_get_bytes (reply) == bytes);
  g_assert_cmpstr (msc_trace_event_get_explanation_key (reply), ==, "smtp.reply.550.5.1.1");
  g_assert_cmpint (msc_trace_event_get_time (reply), ==, 1500);
  g_assert_cmpint (msc_trace_event_get_layer (reply), ==, MSC_TRACE_LAYER_APPLICATION);
  g_assert_cmpint (msc_trace_event_get_layer (hello), ==, MSC_TRACE_LAYER_TLS);
  g_assert_cmpstr (msc_trace_kind_to_string (MSC_TRACE_KIND_TLS_HANDSHAKE), ==, "tls-handshake");
  g_assert_cmpstr (msc_protocol_to_string (MSC_PROTOCOL_POP3), ==, "POP3");

  g_assert_cmpint (msc_reply_class_from_smtp_code (250), ==, MSC_REPLY_CLASS_SUCCESS);
  g_assert_cmpint (msc_reply_class_from_smtp_code (354), ==, MSC_REPLY_CLASS_CONTINUE);
  g_assert_cmpint (msc_reply_class_from_smtp_code (451), ==, MSC_REPLY_CLASS_TRANSIENT);
  g_assert_cmpint (msc_reply_class_from_smtp_code (999), ==, MSC_REPLY_CLASS_NONE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/trace/append", test_append);
  g_test_add_func ("/msc/trace/max-events", test_max_events);
  g_test_add_func ("/msc/trace/event", test_event);

  return g_test_run ();
}
