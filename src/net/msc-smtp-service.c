/* msc-smtp-service.c — the SMTP server engine on a live socket
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-smtp-service"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-live-server.h"
#include "msc-smtp-server.h"

static GObject *
engine_new (MscConnection      *connection,
            MscSmtpServerRole   role)
{
  MscLiveServer *server = msc_connection_get_server (connection);
  gint64 idle = msc_live_server_get_idle_timeout (server);
  MscSmtpServerConfig config = {
    .hostname = msc_live_server_get_hostname (server),
    .role = role,
    .max_message_size = msc_live_server_get_max_message_size (server),
    .allow_insecure_auth = msc_live_server_get_insecure_auth (server),
    .tls_active = msc_connection_is_implicit_tls (connection),
    .tls_available = msc_connection_can_start_tls (connection),
    .peer_address = msc_connection_get_peer_address (connection),
    .command_timeout_usec = idle,
    .data_timeout_usec = idle,
  };

  return G_OBJECT (msc_smtp_server_new (&config, MSC_DIRECTORY (msc_live_server_get_store (server))));
}

static GObject *
mx_engine_new (MscConnection *connection)
{
  return engine_new (connection, MSC_SMTP_SERVER_ROLE_MX);
}

static GObject *
submission_engine_new (MscConnection *connection)
{
  return engine_new (connection, MSC_SMTP_SERVER_ROLE_SUBMISSION);
}

static void
start (GObject *engine)
{
  msc_smtp_server_start (MSC_SMTP_SERVER (engine));
}

static gboolean
feed (GObject       *engine,
      const guint8  *data,
      gsize          len,
      GError       **error)
{
  return msc_smtp_server_feed (MSC_SMTP_SERVER (engine), data, len, error);
}

static GBytes *
take_output (GObject *engine)
{
  return msc_smtp_server_take_output (MSC_SMTP_SERVER (engine));
}

static gboolean
want_read (GObject *engine)
{
  return msc_smtp_server_want_read (MSC_SMTP_SERVER (engine));
}

static gboolean
is_closed (GObject *engine)
{
  return msc_smtp_server_is_closed (MSC_SMTP_SERVER (engine));
}

static void
set_now (GObject *engine,
         gint64   now_usec)
{
  msc_smtp_server_set_now (MSC_SMTP_SERVER (engine), now_usec);
}

static gint64
get_deadline (GObject *engine)
{
  return msc_smtp_server_get_deadline (MSC_SMTP_SERVER (engine));
}

static void
tls_started (GObject *engine)
{
  msc_smtp_server_tls_started (MSC_SMTP_SERVER (engine));
}

static gboolean
check_timeout (GObject *engine)
{
  return msc_smtp_server_check_timeout (MSC_SMTP_SERVER (engine));
}

/* RFC 5321 §4.5.1: every server accepts mail for "Postmaster" without a
 * domain. It goes to a postmaster account if one exists, else to the first
 * account of the first domain, as an administrator's alias would. */
static char *
resolve_postmaster (MscMailStore *store)
{
  g_auto(GStrv) domains = msc_mail_store_list_domains (store);

  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autofree char *address = g_strconcat ("postmaster@", domains[i], NULL);

      if (msc_mail_store_lookup_account (store, address, NULL, NULL))
        return g_steal_pointer (&address);
    }

  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_auto(GStrv) accounts = msc_mail_store_list_accounts (store, domains[i]);

      if (accounts != NULL && accounts[0] != NULL)
        return g_strdup (accounts[0]);
    }

  return NULL;
}

/* Local recipients get the message in their INBOX with the trace fields
 * RFC 5321 §4.4 asks the delivering server to add; the others go to the
 * outbound queue. Only when all of that is on disk is the client told 250. */
static gboolean
deliver (MscConnection      *connection,
         MscSmtpServerEvent *event,
         GError            **error)
{
  MscLiveServer *server = msc_connection_get_server (connection);
  MscMailStore *store = msc_live_server_get_store (server);
  g_autoptr(GPtrArray) remote = g_ptr_array_new ();
  g_autoptr(GString) local_text = g_string_new (NULL);
  g_autoptr(GBytes) local_message = NULL;
  g_autoptr(GBytes) relayed_message = NULL;
  gsize size;
  const char *data = g_bytes_get_data (event->message, &size);

  g_string_append_printf (local_text, "Return-Path: <%s>\r\n", event->reverse_path);
  g_string_append (local_text, event->received);
  g_string_append_len (local_text, data, size);
  local_message = g_string_free_to_bytes (g_steal_pointer (&local_text));

  for (guint i = 0; i < event->recipients->len; i++)
    {
      MscSmtpRecipient *recipient = g_ptr_array_index (event->recipients, i);

      if (!recipient->local)
        {
          g_ptr_array_add (remote, recipient->address);
          continue;
        }

      if (strchr (recipient->address, '@') == NULL)
        {
          g_autofree char *postmaster = resolve_postmaster (store);

          if (postmaster == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("There is no account to receive mail for Postmaster"));
              return FALSE;
            }
          if (msc_mail_store_deliver (store, postmaster, local_message, error) == 0)
            return FALSE;
          continue;
        }

      if (msc_mail_store_deliver (store, recipient->address, local_message, error) == 0)
        return FALSE;
    }

  if (remote->len == 0)
    return TRUE;

  /* A relaying server adds its Received field but no Return-Path: that is
   * for the final delivery (RFC 5321 §4.4). */
  {
    g_autoptr(GString) text = g_string_new (event->received);

    g_string_append_len (text, data, size);
    relayed_message = g_string_free_to_bytes (g_steal_pointer (&text));
  }
  g_ptr_array_add (remote, NULL);

  return msc_live_server_queue_outbound (server, event->reverse_path,
                                         (const char * const *) remote->pdata,
                                         relayed_message, error);
}

static void
record_command (MscConnection      *connection,
                MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;

  trace = msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_SMTP,
                               msc_connection_get_client_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               event->line);
  msc_trace_event_set_secret (trace, event->secret);
  key = msc_explain_smtp_command_key (event->verb, event->secret);
  msc_trace_event_set_explanation_key (trace, key);
  msc_connection_record (connection, trace);
}

static void
record_reply (MscConnection      *connection,
              MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;
  g_autofree char *key = NULL;
  gsize size;
  const char *wire = g_bytes_get_data (event->wire, &size);

  /* The chart shows the reply as the client saw it, without the CRLF. */
  text = g_strndup (wire, size);
  g_strchomp (text);
  trace = msc_trace_event_new (MSC_TRACE_KIND_REPLY, MSC_PROTOCOL_SMTP,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_client_endpoint (connection),
                               text);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_reply (trace, event->code, event->enhanced,
                             msc_reply_class_from_smtp_code (event->code));
  key = msc_explain_smtp_reply_key (event->code, event->enhanced);
  msc_trace_event_set_explanation_key (trace, key);
  msc_connection_record (connection, trace);
}

static void
record_message (MscConnection      *connection,
                MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("(the message: %zu bytes)"), g_bytes_get_size (event->message));
  trace = msc_trace_event_new (MSC_TRACE_KIND_DATA, MSC_PROTOCOL_SMTP,
                               msc_connection_get_client_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               text);
  msc_trace_event_set_bytes (trace, event->message);
  msc_trace_event_set_explanation_key (trace, "smtp.data");
  msc_connection_record (connection, trace);
}

static void
record_store_change (MscConnection      *connection,
                     MscSmtpServerEvent *event,
                     const GError       *error)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  if (error != NULL)
    g_string_printf (text, _("Could not store the message: %s"), error->message);
  else
    for (guint i = 0; i < event->recipients->len; i++)
      {
        MscSmtpRecipient *recipient = g_ptr_array_index (event->recipients, i);

        if (text->len > 0)
          g_string_append (text, "; ");
        if (recipient->local)
          g_string_append_printf (text, _("delivered to the INBOX of %s"), recipient->address);
        else
          g_string_append_printf (text, _("queued for %s (a live server never sends mail off this machine)"),
                                  recipient->address);
      }

  trace = msc_trace_event_new (MSC_TRACE_KIND_STORE_CHANGE, MSC_PROTOCOL_SMTP,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               text->str);
  msc_connection_record (connection, trace);
}

static void
record_state (MscConnection      *connection,
              MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s → %s",
                          msc_smtp_server_state_get_name (event->old_state),
                          msc_smtp_server_state_get_name (event->new_state));
  trace = msc_trace_event_new (MSC_TRACE_KIND_STATE_CHANGE, MSC_PROTOCOL_SMTP,
                               msc_connection_get_server_endpoint (connection),
                               msc_connection_get_server_endpoint (connection),
                               text);
  msc_connection_record (connection, trace);
}

static gboolean
drain_events (GObject       *engine,
              MscConnection *connection)
{
  MscSmtpServer *server = MSC_SMTP_SERVER (engine);
  gboolean handled = FALSE;

  for (;;)
    {
      g_autoptr(MscSmtpServerEvent) event = msc_smtp_server_next_event (server);

      if (event == NULL)
        break;

      handled = TRUE;
      switch (event->kind)
        {
        case MSC_SMTP_SERVER_EVENT_COMMAND:
          record_command (connection, event);
          break;

        case MSC_SMTP_SERVER_EVENT_REPLY:
          record_reply (connection, event);
          break;

        case MSC_SMTP_SERVER_EVENT_MESSAGE:
          {
            g_autoptr(GError) error = NULL;

            record_message (connection, event);
            deliver (connection, event, &error);
            record_store_change (connection, event, error);
            msc_smtp_server_message_done (server, error);
          }
          break;

        case MSC_SMTP_SERVER_EVENT_STARTTLS:
          msc_connection_start_tls (connection);
          break;

        case MSC_SMTP_SERVER_EVENT_STATE_CHANGED:
          record_state (connection, event);
          break;

        case MSC_SMTP_SERVER_EVENT_AUTHENTICATED:
        case MSC_SMTP_SERVER_EVENT_CLOSED:
        case MSC_SMTP_SERVER_N_EVENT_KINDS:
        default:
          break;
        }
    }

  return handled;
}

#define SMTP_SERVICE_FUNCS \
  .start = start, \
  .feed = feed, \
  .take_output = take_output, \
  .drain_events = drain_events, \
  .want_read = want_read, \
  .is_closed = is_closed, \
  .set_now = set_now, \
  .get_deadline = get_deadline, \
  .check_timeout = check_timeout, \
  .tls_started = tls_started

const MscService msc_smtp_mx_service = {
  .protocol = MSC_PROTOCOL_SMTP,
  .name = "smtp",
  .engine_new = mx_engine_new,
  SMTP_SERVICE_FUNCS,
};

const MscService msc_smtp_submission_service = {
  .protocol = MSC_PROTOCOL_SMTP,
  .name = "submission",
  .engine_new = submission_engine_new,
  SMTP_SERVICE_FUNCS,
};
