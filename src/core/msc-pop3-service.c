/* msc-pop3-service.c — the POP3 server engine behind any connection
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-pop3-service"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-pop3-server.h"
#include "msc-service.h"

/* A POP3 reply is read against the command it answers ("+OK" to RETR means
 * "the message follows"), so the service remembers the last verb. */
#define LAST_VERB_KEY "msc-pop3-last-verb"

static GObject *
engine_new (MscServiceHost *host)
{
  static guint64 greetings;
  MscServiceSettings settings;
  MscPop3ServerConfig config;

  msc_service_host_get_settings (host, &settings);
  config = (MscPop3ServerConfig) {
    .hostname = settings.hostname,
    .allow_insecure_auth = settings.allow_insecure_auth,
    .tls_active = msc_service_host_is_implicit_tls (host),
    .tls_available = msc_service_host_can_start_tls (host),
    /* RFC 1939 §7: the APOP timestamp must be unique per greeting.  A
     * serial keeps two greetings in the same microsecond apart: the
     * host's (a lesson's connection number, the same on every replay),
     * else a count in this process. */
    .apop_pid = settings.apop_pid,
    .apop_clock = (guint64) msc_service_host_get_now (host) +
                  (settings.apop_serial != 0 ? settings.apop_serial : ++greetings),
    .autologout_usec = settings.idle_timeout_usec,
  };

  return G_OBJECT (msc_pop3_server_new (&config, msc_service_host_get_store (host)));
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
record_command (MscServiceHost     *host,
                GObject            *engine,
                MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;

  trace = msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_POP3,
                               msc_service_host_get_client_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               event->line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_secret (trace, event->secret);
  key = msc_explain_pop3_command_key (event->verb, event->secret);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);

  /* A SASL response continues AUTH: its replies still answer AUTH. */
  if (event->verb == NULL && event->secret)
    return;

  g_object_set_data_full (engine, LAST_VERB_KEY,
                          g_strdup (event->verb != NULL ? event->verb : ""), g_free);
}

static void
record_reply (MscServiceHost     *host,
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
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_client_endpoint (host),
                               first_line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_reply (trace, 0, event->code, reply_class);
  key = msc_explain_pop3_reply_key (g_object_get_data (engine, LAST_VERB_KEY), status_text, event->code);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);
}

static void
record_state (MscServiceHost     *host,
              MscPop3ServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s → %s",
                          msc_pop3_server_state_get_name (event->old_state),
                          msc_pop3_server_state_get_name (event->new_state));
  trace = msc_trace_event_new (MSC_TRACE_KIND_STATE_CHANGE, MSC_PROTOCOL_POP3,
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text);
  msc_service_host_record (host, trace);
}

static void
record_update (MscServiceHost     *host,
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
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text);
  msc_trace_event_set_explanation_key (trace, "pop3.update");
  msc_service_host_record (host, trace);
}

static gboolean
drain_events (GObject        *engine,
              MscServiceHost *host)
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
          record_command (host, engine, event);
          break;

        case MSC_POP3_SERVER_EVENT_REPLY:
          record_reply (host, engine, event);
          break;

        case MSC_POP3_SERVER_EVENT_STATE_CHANGED:
          record_state (host, event);
          break;

        case MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED:
          record_update (host, event);
          break;

        case MSC_POP3_SERVER_EVENT_STARTTLS:
          msc_service_host_start_tls (host);
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
