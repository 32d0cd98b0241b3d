/* msc-smtp-service.c — the SMTP server engine behind any connection
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-smtp-service"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-service.h"
#include "msc-smtp-server.h"

static GObject *
engine_new (MscServiceHost    *host,
            MscSmtpServerRole  role)
{
  MscServiceSettings settings;
  MscSmtpServerConfig config;

  msc_service_host_get_settings (host, &settings);
  config = (MscSmtpServerConfig) {
    .hostname = settings.hostname,
    .role = role,
    .max_message_size = settings.max_message_size,
    .allow_insecure_auth = settings.allow_insecure_auth,
    .tls_active = msc_service_host_is_implicit_tls (host),
    .tls_available = msc_service_host_can_start_tls (host),
    .peer_address = msc_service_host_get_peer_address (host),
    .command_timeout_usec = settings.idle_timeout_usec,
    .data_timeout_usec = settings.idle_timeout_usec,
  };

  return G_OBJECT (msc_smtp_server_new (&config, MSC_DIRECTORY (msc_service_host_get_store (host))));
}

static GObject *
mx_engine_new (MscServiceHost *host)
{
  return engine_new (host, MSC_SMTP_SERVER_ROLE_MX);
}

static GObject *
submission_engine_new (MscServiceHost *host)
{
  return engine_new (host, MSC_SMTP_SERVER_ROLE_SUBMISSION);
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
deliver (MscServiceHost     *host,
         MscSmtpServerEvent *event,
         GError            **error)
{
  MscMailStore *store = msc_service_host_get_store (host);
  g_autoptr(GPtrArray) remote = g_ptr_array_new ();
  g_autoptr(GString) local_text = g_string_new (NULL);
  g_autoptr(GBytes) local_message = NULL;
  g_autoptr(GBytes) relayed_message = NULL;
  g_autoptr(GDateTime) now = NULL;
  gsize size;
  const char *data;

  /* Before anything is stored, so that a refusal (a lesson's full disk)
   * leaves no recipient with a copy and the client may simply retry. */
  if (!msc_service_host_check_storage (host, error))
    return FALSE;

  /* The host's clock, not the machine's: in a lesson the INBOX shows the
   * virtual time the message arrived. */
  now = g_date_time_new_from_unix_utc (msc_service_host_get_now (host) / G_USEC_PER_SEC);
  data = g_bytes_get_data (event->message, &size);

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
          if (msc_mail_store_deliver_at (store, postmaster, local_message, now, error) == 0)
            return FALSE;
          continue;
        }

      if (msc_mail_store_deliver_at (store, recipient->address, local_message, now, error) == 0)
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

  return msc_service_host_queue_outbound (host, event->reverse_path,
                                          (const char * const *) remote->pdata,
                                          relayed_message, error);
}

static void
record_command (MscServiceHost     *host,
                MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *key = NULL;

  trace = msc_trace_event_new (MSC_TRACE_KIND_COMMAND, MSC_PROTOCOL_SMTP,
                               msc_service_host_get_client_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               event->line);
  msc_trace_event_set_secret (trace, event->secret);
  key = msc_explain_smtp_command_key (event->verb, event->secret);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);
}

static void
record_reply (MscServiceHost     *host,
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
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_client_endpoint (host),
                               text);
  msc_trace_event_set_bytes (trace, event->wire);
  msc_trace_event_set_reply (trace, event->code, event->enhanced,
                             msc_reply_class_from_smtp_code (event->code));
  key = msc_explain_smtp_reply_key (event->code, event->enhanced);
  msc_trace_event_set_explanation_key (trace, key);
  msc_service_host_record (host, trace);
}

static void
record_message (MscServiceHost     *host,
                MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("(the message: %zu bytes)"), g_bytes_get_size (event->message));
  trace = msc_trace_event_new (MSC_TRACE_KIND_DATA, MSC_PROTOCOL_SMTP,
                               msc_service_host_get_client_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text);
  msc_trace_event_set_bytes (trace, event->message);
  msc_trace_event_set_explanation_key (trace, "smtp.data");
  msc_service_host_record (host, trace);
}

static void
record_store_change (MscServiceHost     *host,
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
          g_string_append_printf (text, _("queued for delivery to %s"),
                                  recipient->address);
      }

  trace = msc_trace_event_new (MSC_TRACE_KIND_STORE_CHANGE, MSC_PROTOCOL_SMTP,
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text->str);
  msc_service_host_record (host, trace);
}

static void
record_state (MscServiceHost     *host,
              MscSmtpServerEvent *event)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s → %s",
                          msc_smtp_server_state_get_name (event->old_state),
                          msc_smtp_server_state_get_name (event->new_state));
  trace = msc_trace_event_new (MSC_TRACE_KIND_STATE_CHANGE, MSC_PROTOCOL_SMTP,
                               msc_service_host_get_server_endpoint (host),
                               msc_service_host_get_server_endpoint (host),
                               text);
  msc_service_host_record (host, trace);
}

static gboolean
drain_events (GObject        *engine,
              MscServiceHost *host)
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
          record_command (host, event);
          break;

        case MSC_SMTP_SERVER_EVENT_REPLY:
          record_reply (host, event);
          break;

        case MSC_SMTP_SERVER_EVENT_MESSAGE:
          {
            g_autoptr(GError) error = NULL;

            record_message (host, event);
            deliver (host, event, &error);
            record_store_change (host, event, error);
            msc_smtp_server_message_done (server, error);
          }
          break;

        case MSC_SMTP_SERVER_EVENT_STARTTLS:
          msc_service_host_start_tls (host);
          break;

        case MSC_SMTP_SERVER_EVENT_STATE_CHANGED:
          record_state (host, event);
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
