/* msc-imap-service.c — the IMAP server engine behind any connection
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-service"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-imap-server.h"
#include "msc-service.h"

static GObject *
engine_new (MscServiceHost *host)
{
  MscServiceSettings settings;
  MscImapServerConfig config;

  msc_service_host_get_settings (host, &settings);
  config = (MscImapServerConfig) {
    .hostname = settings.hostname,
    .allow_insecure_auth = settings.allow_insecure_auth,
    .tls_active = msc_service_host_is_implicit_tls (host),
    .tls_available = msc_service_host_can_start_tls (host),
    .autologout_usec = settings.idle_timeout_usec,
  };

  return G_OBJECT (msc_imap_server_new (&config, msc_service_host_get_store (host)));
}

static void
start (GObject *engine)
{
  msc_imap_server_start (MSC_IMAP_SERVER (engine));
}

static gboolean
feed (GObject       *engine,
      const guint8  *data,
      gsize          len,
      GError       **error)
{
  return msc_imap_server_feed (MSC_IMAP_SERVER (engine), data, len, error);
}

static GBytes *
take_output (GObject *engine)
{
  return msc_imap_server_take_output (MSC_IMAP_SERVER (engine));
}

static gboolean
want_read (GObject *engine)
{
  return msc_imap_server_want_read (MSC_IMAP_SERVER (engine));
}

static gboolean
is_closed (GObject *engine)
{
  return msc_imap_server_is_closed (MSC_IMAP_SERVER (engine));
}

static void
set_now (GObject *engine,
         gint64   now_usec)
{
  msc_imap_server_set_now (MSC_IMAP_SERVER (engine), now_usec);
}

static gint64
get_deadline (GObject *engine)
{
  return msc_imap_server_get_deadline (MSC_IMAP_SERVER (engine));
}

static void
tls_started (GObject *engine)
{
  msc_imap_server_tls_started (MSC_IMAP_SERVER (engine));
}

static gboolean
check_timeout (GObject *engine)
{
  return msc_imap_server_check_timeout (MSC_IMAP_SERVER (engine));
}

static void
abort_session (GObject *engine)
{
  msc_imap_server_abort (MSC_IMAP_SERVER (engine));
}

static void
record_command (MscServiceHost     *host,
                MscImapServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;

  trace = msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_IMAP,
                               msc_service_host_get_client_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               event->line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_secret (trace, event->secret);
  key = msc_explain_imap_command_key (event->name, event->secret);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);
}

static void
record_response (MscServiceHost     *host,
                 MscImapServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;
  g_autofree char *first_line = NULL;
  gboolean tagged = FALSE;
  MscReplyClass reply_class = MSC_REPLY_CLASS_NONE;
  gsize size;
  const char *wire = g_bytes_get_data (event->wire, &size);
  const char *end = memchr (wire, '\n', size);

  /* The chart shows the first line; a literal that follows (a message
   * fetched) is in the event's bytes. */
  first_line = g_strndup (wire, end != NULL ? (gsize) (end - wire) : size);
  g_strchomp (first_line);

  switch (event->response)
    {
    case MSC_IMAP_SERVER_RESPONSE_OK:
      tagged = TRUE;
      reply_class = MSC_REPLY_CLASS_SUCCESS;
      break;
    case MSC_IMAP_SERVER_RESPONSE_NO:
    case MSC_IMAP_SERVER_RESPONSE_BAD:
      tagged = TRUE;
      reply_class = MSC_REPLY_CLASS_FAILURE;
      break;
    case MSC_IMAP_SERVER_RESPONSE_CONTINUATION:
      reply_class = MSC_REPLY_CLASS_CONTINUE;
      break;
    case MSC_IMAP_SERVER_RESPONSE_UNTAGGED:
    case MSC_IMAP_SERVER_N_RESPONSE_KINDS:
    default:
      if (g_strcmp0 (event->name, "BYE") == 0 || g_strcmp0 (event->name, "NO") == 0 ||
          g_strcmp0 (event->name, "BAD") == 0)
        reply_class = MSC_REPLY_CLASS_FAILURE;
      break;
    }

  trace = msc_trace_event_new (MSC_TRACE_KIND_REPLY, MSC_PROTOCOL_IMAP,
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_client_endpoint (host),
                               first_line);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_reply (trace, 0, event->code, reply_class);
  key = msc_explain_imap_response_key (tagged,
                                       event->response == MSC_IMAP_SERVER_RESPONSE_CONTINUATION,
                                       event->name, event->code);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);
}

static void
record_state (MscServiceHost     *host,
              MscImapServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s → %s",
                          msc_imap_server_state_get_name (event->old_state),
                          msc_imap_server_state_get_name (event->new_state));
  trace = msc_trace_event_new (MSC_TRACE_KIND_STATE_CHANGE, MSC_PROTOCOL_IMAP,
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text);
  msc_service_host_record (host, trace);
}

static gboolean
drain_events (GObject        *engine,
              MscServiceHost *host)
{
  MscImapServer *server = MSC_IMAP_SERVER (engine);
  gboolean handled = FALSE;

  for (;;)
    {
      g_autoptr(MscImapServerEvent) event = msc_imap_server_next_event (server);

      if (event == NULL)
        break;

      handled = TRUE;
      switch (event->kind)
        {
        case MSC_IMAP_SERVER_EVENT_COMMAND:
          record_command (host, event);
          break;

        case MSC_IMAP_SERVER_EVENT_RESPONSE:
          record_response (host, event);
          break;

        case MSC_IMAP_SERVER_EVENT_STATE_CHANGED:
          record_state (host, event);
          break;

        case MSC_IMAP_SERVER_EVENT_STARTTLS:
          msc_service_host_start_tls (host);
          break;

        case MSC_IMAP_SERVER_EVENT_AUTHENTICATED:
        case MSC_IMAP_SERVER_EVENT_IDLE_STARTED:
        case MSC_IMAP_SERVER_EVENT_IDLE_ENDED:
        case MSC_IMAP_SERVER_EVENT_CLOSED:
        case MSC_IMAP_SERVER_N_EVENT_KINDS:
        default:
          break;
        }
    }

  return handled;
}

const MscService msc_imap_service = {
  .protocol = MSC_PROTOCOL_IMAP,
  .name = "imap",
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
