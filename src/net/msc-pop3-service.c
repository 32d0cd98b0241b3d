/* msc-pop3-service.c — the POP3 server engine on a live socket
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-pop3-service"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-live-server.h"
#include "msc-pop3-server.h"

/* A POP3 reply is read against the command it answers ("+OK" to RETR means
 * "the message follows"), so the service remembers the last verb. */
#define LAST_VERB_KEY "msc-pop3-last-verb"

static GObject *
engine_new (MscConnection *connection)
{
  static guint64 greetings;
  MscLiveServer *server = msc_connection_get_server (connection);
  MscPop3ServerConfig config = {
    .hostname = msc_live_server_get_hostname (server),
    .allow_insecure_auth = msc_live_server_get_insecure_auth (server),
    .tls_active = msc_connection_is_implicit_tls (connection),
    .tls_available = msc_connection_can_start_tls (connection),
    /* RFC 1939 §7: the APOP timestamp must be unique per greeting. */
    .apop_pid = (guint) getpid (),
    .apop_clock = (guint64) g_get_real_time () + ++greetings,
    .autologout_usec = msc_live_server_get_idle_timeout (server),
  };

  return G_OBJECT (msc_pop3_server_new (&config, msc_live_server_get_store (server)));
}

static void
start (GObject *engine)
{
  msc_pop3_server_start (MSC_POP3_SERVER (engine));
}

static gboolean
feed (GObject       *engine,
      const guint8  *data,
      gsize          len,
      GError       **error)
{
  return msc_pop3_server_feed (MSC_POP3_SERVER (engine), data, len, error);
}

static GBytes *
take_output (GObject *engine)
{
  return msc_pop3_server_take_output (MSC_POP3_SERVER (engine));
}

static gboolean
want_read (GObject *engine)
{
  return msc_pop3_server_want_read (MSC_POP3_SERVER (engine));
}

static gboolean
is_closed (GObject *engine)
{
  return msc_pop3_server_is_closed (MSC_POP3_SERVER (engine));
}

static void
set_now (GObject *engine,
         gint64   now_usec)
{
  msc_pop3_server_set_now (MSC_POP3_SERVER (engine), now_usec);
}

static gint64
get_deadline (GObject *engine)
{
  return msc_pop3_server_get_deadline (MSC_POP3_SERVER (engine));
}

static void
tls_started (GObject *engine)
{
  msc_pop3_server_tls_started (MSC_POP3_SERVER (engine));
}

static gboolean
check_timeout (GObject *engine)
{
  return msc_pop3_server_check_timeout (MSC_POP3_SERVER (engine));
}

static void
abort_session (GObject *engine)
{
  msc_pop3_server_abort (MSC_POP3_SERVER (engine));
}

static void
record_command (MscConnection      *connection,
                GObject            *engine,
                MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;

  trace = msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_POP3,
                               msc_connection_get_client_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               event->line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_secret (trace, event->secret);
  key = msc_explain_pop3_command_key (event->verb, event->secret);
  msc_trace_event_set_explanation_key (trace, key);
  msc_connection_record (connection, trace);

  /* A SASL response continues AUTH: its replies still answer AUTH. */
  if (event->verb == NULL && event->secret)
    return;

  g_object_set_data_full (engine, LAST_VERB_KEY,
                          g_strdup (event->verb != NULL ? event->verb : ""), g_free);
}

static void
record_reply (MscConnection      *connection,
              GObject            *engine,
              MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;
  g_autofree char *first_line = NULL;
  const char *status_text;
  MscReplyClass reply_class;
  gsize size;
  const char *wire = g_bytes_get_data (event->wire, &size);
  const char *end = memchr (wire, '\n', size);

  /* The chart shows the status line; the message that may follow is in the
   * event's bytes. */
  first_line = g_strndup (wire, end != NULL ? (gsize) (end - wire) : size);
  g_strchomp (first_line);

  switch (event->status)
    {
    case MSC_POP3_SERVER_REPLY_OK:
      status_text = "+OK";
      reply_class = MSC_REPLY_CLASS_SUCCESS;
      break;
    case MSC_POP3_SERVER_REPLY_ERR:
      status_text = "-ERR";
      reply_class = MSC_REPLY_CLASS_FAILURE;
      break;
    case MSC_POP3_SERVER_REPLY_CONTINUE:
    default:
      status_text = "+";
      reply_class = MSC_REPLY_CLASS_CONTINUE;
      break;
    }

  trace = msc_trace_event_new (MSC_TRACE_KIND_REPLY, MSC_PROTOCOL_POP3,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_client_endpoint (connection),
                               first_line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_reply (trace, 0, event->code, reply_class);
  key = msc_explain_pop3_reply_key (g_object_get_data (engine, LAST_VERB_KEY), status_text, event->code);
  msc_trace_event_set_explanation_key (trace, key);
  msc_connection_record (connection, trace);
}

static void
record_state (MscConnection      *connection,
              MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s → %s",
                          msc_pop3_server_state_get_name (event->old_state),
                          msc_pop3_server_state_get_name (event->new_state));
  trace = msc_trace_event_new (MSC_TRACE_KIND_STATE_CHANGE, MSC_PROTOCOL_POP3,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               text);
  msc_connection_record (connection, trace);
}

static void
record_update (MscConnection      *connection,
               MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;
  guint n = event->expunged != NULL ? event->expunged->len : 0;

  if (n == 0)
    text = g_strdup_printf (_("UPDATE: nothing to remove from the INBOX of %s"), event->user);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "UPDATE: %u message removed from the INBOX of %s",
                                         "UPDATE: %u messages removed from the INBOX of %s", n),
                            n, event->user);

  trace = msc_trace_event_new (MSC_TRACE_KIND_STORE_CHANGE, MSC_PROTOCOL_POP3,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               text);
  msc_trace_event_set_explanation_key (trace, "pop3.update");
  msc_connection_record (connection, trace);
}

static gboolean
drain_events (GObject       *engine,
              MscConnection *connection)
{
  MscPop3Server *server = MSC_POP3_SERVER (engine);
  gboolean handled = FALSE;

  for (;;)
    {
      g_autoptr(MscPop3ServerEvent) event = msc_pop3_server_next_event (server);

      if (event == NULL)
        break;

      handled = TRUE;
      switch (event->kind)
        {
        case MSC_POP3_SERVER_EVENT_COMMAND:
          record_command (connection, engine, event);
          break;

        case MSC_POP3_SERVER_EVENT_REPLY:
          record_reply (connection, engine, event);
          break;

        case MSC_POP3_SERVER_EVENT_STATE_CHANGED:
          record_state (connection, event);
          break;

        case MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED:
          record_update (connection, event);
          break;

        case MSC_POP3_SERVER_EVENT_STARTTLS:
          msc_connection_start_tls (connection);
          break;

        case MSC_POP3_SERVER_EVENT_AUTHENTICATED:
        case MSC_POP3_SERVER_EVENT_CLOSED:
        case MSC_POP3_SERVER_N_EVENT_KINDS:
        default:
          break;
        }
    }

  return handled;
}

const MscService msc_pop3_service = {
  .protocol = MSC_PROTOCOL_POP3,
  .name = "pop3",
  .engine_new = engine_new,
  .start = start,
  .feed = feed,
  .take_output = take_output,
  .drain_events = drain_events,
  .want_read = want_read,
  .is_closed = is_closed,
  .set_now = set_now,
  .get_deadline = get_deadline,
  .check_timeout = check_timeout,
  .tls_started = tls_started,
  .abort = abort_session,
};
