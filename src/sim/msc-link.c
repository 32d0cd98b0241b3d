/* msc-link.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-link"

#include "config.h"

#include <glib/gi18n.h>

#include "msc-link.h"
#include "msc-server-session.h"
#include "msc-tls-session.h"
#include "msc-tls-trace.h"

/* One end of the connection: an engine, perhaps TLS around it.  The
 * server's are in an MscServerSession, as on a live socket. */
typedef struct
{
  GObject           *engine;
  MscTlsSession     *tls;
  MscServerSession  *session;          /* the server's end only */
  gboolean           started;            /* the engine was started */
  gboolean           starttls_requested; /* its STARTTLS event came */
  gboolean           told_tls;           /* tls_started() called after the handshake */
  gboolean           closed;             /* sent its FIN */
  guint              timer;
} End;

struct _MscLink
{
  GObject parent_instance;

  MscClock               *clock;
  MscTrace               *trace;
  gint64                  latency;
  char                   *client_name;
  char                   *client_address;
  char                   *server_name;
  char                   *label;
  guint                   port;
  guint                   id;
  gboolean                implicit_tls;

  const MscService       *service;
  const MscLinkServer    *server;
  const MscLinkClientOps *client_ops;
  X509                   *ca;
  MscLinkClosedFunc       closed_func;
  gpointer                user_data;

  End                     server_end;
  End                     client_end;
  GError                 *client_error;    /* why the client's end ended early */
  gboolean                close_recorded;
  gboolean                aborted;
  gboolean                finished;        /* closed_func called */
};

static void msc_link_service_host_init (MscServiceHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscLink, msc_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_SERVICE_HOST,
                                                      msc_link_service_host_init))

static void pump_server (MscLink *self);
static void pump_client (MscLink *self);

static void
end_clear (MscLink *self,
           End     *end)
{
  if (end->timer != 0)
    msc_clock_cancel (self->clock, end->timer);
  end->timer = 0;
  g_clear_object (&end->engine);
  g_clear_object (&end->tls);
  g_clear_object (&end->session);
}

static void
msc_link_dispose (GObject *object)
{
  MscLink *self = MSC_LINK (object);

  end_clear (self, &self->server_end);
  end_clear (self, &self->client_end);
  g_clear_pointer (&self->ca, X509_free);

  G_OBJECT_CLASS (msc_link_parent_class)->dispose (object);
}

static void
msc_link_finalize (GObject *object)
{
  MscLink *self = MSC_LINK (object);

  g_clear_error (&self->client_error);
  g_free (self->client_name);
  g_free (self->client_address);
  g_free (self->server_name);
  g_free (self->label);
  g_clear_object (&self->trace);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (msc_link_parent_class)->finalize (object);
}

static void
msc_link_class_init (MscLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_link_dispose;
  object_class->finalize = msc_link_finalize;
}

static void
msc_link_init (MscLink *self)
{
}

/* ---- The trace ---- */

void
msc_link_record (MscLink       *self,
                 MscTraceEvent *event)
{
  g_return_if_fail (MSC_IS_LINK (self));

  msc_trace_event_set_connection (event, self->id);
  msc_trace_event_set_time (event, msc_clock_get_now (self->clock));
  msc_trace_append (self->trace, event);
}

static void
record_close (MscLink    *self,
              gboolean    by_server,
              const char *reason)
{
  g_autoptr(MscTraceEvent) event = NULL;
  MscProtocol protocol = self->service != NULL ? self->service->protocol : MSC_PROTOCOL_NONE;

  if (self->close_recorded)
    return;
  self->close_recorded = TRUE;

  if (reason == NULL)
    reason = by_server ? _("The server closed the connection")
                       : _("The client closed the connection");
  event = msc_trace_event_new (MSC_TRACE_KIND_CLOSE, protocol,
                               by_server ? self->server_name : self->client_name,
                               by_server ? self->client_name : self->server_name,
                               reason);
  msc_trace_event_set_layer (event, MSC_TRACE_LAYER_TRANSPORT);
  msc_trace_event_set_explanation_key (event, "net.close");
  msc_link_record (self, event);
}

/* Both ends see every handshake message; the chart shows the server's
 * view (its session records it), and from the client only what the
 * server cannot know: why it gave up. */
static gboolean
record_client_tls_errors (MscLink *self)
{
  gboolean failed = FALSE;
  MscTlsEvent *event;

  while ((event = msc_tls_session_next_event (self->client_end.tls)) != NULL)
    {
      if (event->kind == MSC_TLS_EVENT_ERROR)
        {
          g_autoptr(MscTraceEvent) trace = msc_tls_trace_event_new (event, self->client_name,
                                                                    self->server_name);

          failed = TRUE;
          if (trace != NULL)
            msc_link_record (self, trace);
        }
      msc_tls_event_free (event);
    }

  return !failed;
}

/* ---- Carrying bytes ---- */

typedef struct
{
  MscLink  *link;
  gboolean  to_server;
  GBytes   *bytes;   /* NULL: the end of the stream (FIN) */
} Segment;

static void
segment_free (Segment *segment)
{
  g_clear_pointer (&segment->bytes, g_bytes_unref);
  g_object_unref (segment->link);
  g_free (segment);
}

static void finish_if_done (MscLink *self);

static void
feed_client (MscLink *self,
             GBytes  *bytes)
{
  g_autoptr(GError) error = NULL;
  GObject *engine = self->client_end.engine;

  if (engine == NULL)
    return;

  self->client_ops->set_now (engine, msc_clock_get_now (self->clock));
  if (!self->client_ops->feed (engine, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
    g_debug ("Link %u, client: %s", self->id, error->message);
}

static void
on_segment_arrived (gpointer user_data)
{
  Segment *segment = user_data;
  MscLink *self = segment->link;
  End *end = segment->to_server ? &self->server_end : &self->client_end;

  if (self->aborted || end->closed)
    return;

  if (segment->to_server)
    {
      if (segment->bytes != NULL)
        {
          msc_server_session_feed (end->session, g_bytes_get_data (segment->bytes, NULL),
                                   g_bytes_get_size (segment->bytes));
          pump_server (self);
          return;
        }

      /* The client hung up. */
      msc_server_session_abort (end->session);
      record_close (self, FALSE, NULL);
      end_clear (self, end);
      end->closed = TRUE;
      finish_if_done (self);
      return;
    }

  if (segment->bytes == NULL)
    {
      g_autoptr(GError) error = NULL;

      /* The server hung up. */
      if (end->engine != NULL && !self->client_ops->is_closed (end->engine) &&
          self->client_ops->peer_closed != NULL &&
          !self->client_ops->peer_closed (end->engine, &error) &&
          self->client_error == NULL)
        self->client_error = g_steal_pointer (&error);
      pump_client (self);
      if (!end->closed)
        {
          /* Whatever the engine thinks, nobody is listening any more. */
          end->closed = TRUE;
          if (end->timer != 0)
            msc_clock_cancel (self->clock, end->timer);
          end->timer = 0;
        }
      finish_if_done (self);
      return;
    }

  if (end->tls != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) plaintext = NULL;

      if (!msc_tls_session_feed_ciphertext (end->tls, g_bytes_get_data (segment->bytes, NULL),
                                            g_bytes_get_size (segment->bytes), &error))
        g_debug ("Link %u: %s", self->id, error->message);

      /* The handshake may just have finished: the engine hears of it
       * before it sees what came after. */
      pump_client (self);
      if (end->closed)
        return;

      while ((plaintext = msc_tls_session_take_plaintext (end->tls)) != NULL)
        {
          feed_client (self, plaintext);
          g_clear_pointer (&plaintext, g_bytes_unref);
        }
    }
  else
    feed_client (self, segment->bytes);

  pump_client (self);
}

static void
transmit (MscLink  *self,
          gboolean  to_server,
          GBytes   *bytes)
{
  Segment *segment = g_new0 (Segment, 1);

  segment->link = g_object_ref (self);
  segment->to_server = to_server;
  segment->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  msc_clock_schedule (self->clock, msc_clock_get_now (self->clock) + self->latency,
                      MSC_CLOCK_FOREGROUND, on_segment_arrived, segment,
                      (GDestroyNotify) segment_free);
}

/* Moves what TLS produced onto the wire; FALSE when it failed. */
static gboolean
flush_client_tls (MscLink *self)
{
  gboolean ok = record_client_tls_errors (self);
  GBytes *ciphertext;

  /* Sent even after a failure: it carries the alert that tells the peer. */
  while ((ciphertext = msc_tls_session_take_ciphertext (self->client_end.tls)) != NULL)
    {
      transmit (self, TRUE, ciphertext);
      g_bytes_unref (ciphertext);
    }

  return ok;
}

static void
send_client_output (MscLink *self,
                    GBytes  *output)
{
  g_autoptr(GError) error = NULL;

  if (self->client_end.tls == NULL)
    {
      transmit (self, TRUE, output);
      return;
    }

  if (!msc_tls_session_write_plaintext (self->client_end.tls, g_bytes_get_data (output, NULL),
                                        g_bytes_get_size (output), &error))
    g_debug ("Link %u: %s", self->id, error->message);
  flush_client_tls (self);
}

/* Sends the FIN, after a close_notify when TLS is up. */
/* Sends the FIN, after the client's close_notify when TLS is up (the
 * server's session queues its own). */
static void
close_end (MscLink *self,
           End     *end)
{
  if (end->closed)
    return;

  if (end->tls != NULL && msc_tls_session_is_handshake_done (end->tls) &&
      !msc_tls_session_is_closed (end->tls))
    {
      msc_tls_session_shutdown (end->tls);
      flush_client_tls (self);
    }
  end->closed = TRUE;
  if (end->timer != 0)
    msc_clock_cancel (self->clock, end->timer);
  end->timer = 0;
  transmit (self, end == &self->client_end, NULL);
}

static void
finish_if_done (MscLink *self)
{
  g_autoptr(MscLink) hold = g_object_ref (self);

  if (self->finished || !self->server_end.closed || !self->client_end.closed)
    return;

  self->finished = TRUE;
  end_clear (self, &self->server_end);
  end_clear (self, &self->client_end);
  if (self->closed_func != NULL)
    self->closed_func (self, self->client_error, self->user_data);
}

/* ---- Timers ---- */

static void
on_server_timer (gpointer user_data)
{
  MscLink *self = user_data;

  self->server_end.timer = 0;
  if (self->server_end.session == NULL)
    return;
  msc_server_session_check_timeout (self->server_end.session);
  pump_server (self);
}

static void
on_client_timer (gpointer user_data)
{
  MscLink *self = user_data;

  self->client_end.timer = 0;
  if (self->client_end.engine == NULL)
    return;
  self->client_ops->set_now (self->client_end.engine, msc_clock_get_now (self->clock));
  self->client_ops->check_timeout (self->client_end.engine);
  pump_client (self);
}

static void
schedule_timer (MscLink  *self,
                End      *end,
                gint64    deadline,
                MscClockFunc func)
{
  if (end->timer != 0)
    msc_clock_cancel (self->clock, end->timer);
  end->timer = 0;
  if (deadline < 0)
    return;

  /* Background: a timeout matters only if something else keeps the
   * world going; a session idling at the end of a lesson must not. */
  end->timer = msc_clock_schedule (self->clock, deadline, MSC_CLOCK_BACKGROUND,
                                   func, g_object_ref (self), g_object_unref);
}

/* ---- The server's end ---- */

static void
pump_server (MscLink *self)
{
  g_autoptr(MscLink) hold = g_object_ref (self);
  g_autoptr(GBytes) output = NULL;
  End *end = &self->server_end;

  if (end->closed || end->session == NULL)
    return;

  msc_server_session_pump (end->session);
  output = msc_server_session_take_output (end->session);
  if (output != NULL)
    transmit (self, FALSE, output);

  if (msc_server_session_is_finished (end->session))
    {
      record_close (self, TRUE, msc_server_session_get_failure (end->session));
      close_end (self, end);
      finish_if_done (self);
      return;
    }

  schedule_timer (self, end, msc_server_session_get_deadline (end->session), on_server_timer);
}

static void
on_server_accept (gpointer user_data)
{
  MscLink *self = user_data;
  g_autoptr(MscTraceEvent) event = NULL;
  g_autofree char *text = NULL;

  if (self->aborted)
    return;

  if (self->implicit_tls)
    /* Translators: %s is a service name such as "imaps", %u its port. */
    text = g_strdup_printf (_("Connected to port %u (%s): TLS starts at once"), self->port, self->label);
  else
    text = g_strdup_printf (_("Connected to port %u (%s), unencrypted"), self->port, self->label);
  event = msc_trace_event_new (MSC_TRACE_KIND_CONNECT, self->service->protocol,
                               self->client_name, self->server_name, text);
  msc_trace_event_set_layer (event, MSC_TRACE_LAYER_TRANSPORT);
  msc_trace_event_set_explanation_key (event, self->implicit_tls ? "net.connect.implicit-tls"
                                                                 : "net.connect.plain");
  msc_link_record (self, event);

  self->server_end.session = msc_server_session_new (self->service, MSC_SERVICE_HOST (self),
                                                     self->implicit_tls, self->server->certificate,
                                                     self->server->key);
  msc_server_session_start (self->server_end.session);
  pump_server (self);
}

/* ---- The client's end ---- */

static void
client_start_tls (MscLink *self)
{
  g_autoptr(GError) error = NULL;
  MscTlsConfig config = {
    .role = MSC_TLS_ROLE_CLIENT,
    .server_name = self->server_name,
    .ca = self->ca,
  };

  self->client_end.tls = msc_tls_session_new (&config, &error);
  if (self->client_end.tls == NULL)
    {
      g_warning ("Link %u: %s", self->id, error->message);
      return;
    }
  msc_tls_session_start (self->client_end.tls);
}

static void
pump_client (MscLink *self)
{
  g_autoptr(MscLink) hold = g_object_ref (self);
  End *end = &self->client_end;
  const MscLinkClientOps *ops = self->client_ops;

  if (end->closed || end->engine == NULL)
    return;

  if (end->tls != NULL)
    {
      if (!flush_client_tls (self))
        {
          if (self->client_error == NULL)
            g_set_error_literal (&self->client_error, MSC_TLS_ERROR, MSC_TLS_ERROR_HANDSHAKE,
                                 _("The secure connection could not be set up"));
          close_end (self, end);
          finish_if_done (self);
          return;
        }
      if (msc_tls_session_is_handshake_done (end->tls))
        {
          if (!end->started)
            {
              end->started = TRUE;
              ops->set_now (end->engine, msc_clock_get_now (self->clock));
              ops->start (end->engine);
            }
          else if (end->starttls_requested && !end->told_tls)
            {
              end->told_tls = TRUE;
              ops->set_now (end->engine, msc_clock_get_now (self->clock));
              ops->tls_started (end->engine);
            }
        }
    }

  if (!end->started)
    return;

  for (;;)
    {
      g_autoptr(GBytes) output = NULL;
      gboolean progressed = ops->drain_events (end->engine, self, self->user_data);

      output = ops->take_output (end->engine);
      if (output != NULL && g_bytes_get_size (output) > 0)
        {
          send_client_output (self, output);
          progressed = TRUE;
        }

      if (end->starttls_requested && end->tls == NULL)
        {
          client_start_tls (self);
          if (end->tls != NULL)
            flush_client_tls (self);
        }

      if (!progressed)
        break;
    }

  if (ops->is_closed (end->engine))
    {
      close_end (self, end);
      finish_if_done (self);
      return;
    }

  schedule_timer (self, end, ops->get_deadline (end->engine), on_client_timer);
}

static void
on_client_connected (gpointer user_data)
{
  MscLink *self = user_data;

  if (self->aborted || self->client_end.closed)
    return;

  if (self->implicit_tls)
    {
      client_start_tls (self);
      pump_client (self);
      return;
    }

  self->client_end.started = TRUE;
  self->client_ops->set_now (self->client_end.engine, msc_clock_get_now (self->clock));
  self->client_ops->start (self->client_end.engine);
  pump_client (self);
}

static void
on_refused (gpointer user_data)
{
  MscLink *self = user_data;
  g_autoptr(MscTraceEvent) event = NULL;
  g_autofree char *text = NULL;

  if (self->aborted)
    return;

  /* Translators: %s is a host name, %u a port. */
  text = g_strdup_printf (_("%s refused the connection: nothing listens on port %u"),
                          self->server_name, self->port);
  event = msc_trace_event_new (MSC_TRACE_KIND_CLOSE, MSC_PROTOCOL_NONE,
                               self->server_name, self->client_name, text);
  msc_trace_event_set_layer (event, MSC_TRACE_LAYER_TRANSPORT);
  msc_trace_event_set_explanation_key (event, "net.refused");
  msc_link_record (self, event);
  self->close_recorded = TRUE;

  g_set_error_literal (&self->client_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, text);
  self->server_end.closed = TRUE;
  self->client_end.closed = TRUE;
  finish_if_done (self);
}

MscLink *
msc_link_open (const MscLinkConfig *config)
{
  MscLink *self;
  gint64 now;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (MSC_IS_CLOCK (config->clock), NULL);
  g_return_val_if_fail (MSC_IS_TRACE (config->trace), NULL);
  g_return_val_if_fail (config->client_ops != NULL, NULL);
  g_return_val_if_fail (G_IS_OBJECT (config->client_engine), NULL);
  g_return_val_if_fail (config->service == NULL || config->server != NULL, NULL);

  self = g_object_new (MSC_TYPE_LINK, NULL);
  self->clock = g_object_ref (config->clock);
  self->trace = g_object_ref (config->trace);
  self->latency = MAX (config->latency_usec, 1);
  self->client_name = g_strdup (config->client_name);
  self->client_address = g_strdup (config->client_address);
  self->server_name = g_strdup (config->server_name);
  self->label = g_strdup (config->label);
  self->port = config->port;
  self->implicit_tls = config->implicit_tls;
  self->service = config->service;
  self->server = config->server;
  self->client_ops = config->client_ops;
  self->client_end.engine = g_object_ref (config->client_engine);
  self->ca = config->ca != NULL ? X509_dup (config->ca) : NULL;
  self->closed_func = config->closed;
  self->user_data = config->user_data;
  self->id = msc_trace_next_connection (self->trace);

  /* The link keeps itself alive until closed_func has run; the clock's
   * items hold the references. */
  now = msc_clock_get_now (self->clock);
  if (self->service == NULL)
    {
      msc_clock_schedule (self->clock, now + 2 * self->latency, MSC_CLOCK_FOREGROUND,
                          on_refused, g_object_ref (self), g_object_unref);
      return self;
    }

  msc_clock_schedule (self->clock, now + self->latency, MSC_CLOCK_FOREGROUND,
                      on_server_accept, g_object_ref (self), g_object_unref);
  msc_clock_schedule (self->clock, now + 2 * self->latency, MSC_CLOCK_FOREGROUND,
                      on_client_connected, g_object_ref (self), g_object_unref);
  return self;
}

void
msc_link_client_start_tls (MscLink *self)
{
  g_return_if_fail (MSC_IS_LINK (self));

  self->client_end.starttls_requested = TRUE;
}

void
msc_link_pump_server (MscLink *self)
{
  g_return_if_fail (MSC_IS_LINK (self));

  pump_server (self);
}

const MscLinkServer *
msc_link_get_server (MscLink *self)
{
  g_return_val_if_fail (MSC_IS_LINK (self), NULL);

  return self->server;
}

void
msc_link_pump_client (MscLink *self)
{
  g_return_if_fail (MSC_IS_LINK (self));

  pump_client (self);
}

void
msc_link_abort (MscLink    *self,
                const char *reason)
{
  g_autoptr(MscLink) hold = NULL;

  g_return_if_fail (MSC_IS_LINK (self));

  if (self->finished)
    return;

  hold = g_object_ref (self);
  self->aborted = TRUE;
  if (self->server_end.session != NULL)
    msc_server_session_abort (self->server_end.session);
  if (self->client_end.engine != NULL && self->client_ops->peer_closed != NULL &&
      !self->client_ops->is_closed (self->client_end.engine))
    {
      g_autoptr(GError) error = NULL;

      self->client_ops->peer_closed (self->client_end.engine, &error);
      /* The engine's outcome events (DONE) still reach the device. */
      self->client_ops->drain_events (self->client_end.engine, self, self->user_data);
    }
  if (self->client_error == NULL)
    g_set_error_literal (&self->client_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, reason);
  record_close (self, FALSE, reason);
  self->server_end.closed = TRUE;
  self->client_end.closed = TRUE;
  finish_if_done (self);
}

gboolean
msc_link_is_closed (MscLink *self)
{
  g_return_val_if_fail (MSC_IS_LINK (self), TRUE);

  return self->finished;
}

guint
msc_link_get_id (MscLink *self)
{
  g_return_val_if_fail (MSC_IS_LINK (self), 0);

  return self->id;
}

GObject *
msc_link_get_client_engine (MscLink *self)
{
  g_return_val_if_fail (MSC_IS_LINK (self), NULL);

  return self->client_end.engine;
}

/* ---- The service's host ---- */

static MscMailStore *
host_get_store (MscServiceHost *host)
{
  return MSC_LINK (host)->server->store;
}

static void
host_get_settings (MscServiceHost     *host,
                   MscServiceSettings *settings)
{
  *settings = MSC_LINK (host)->server->settings;
}

static gboolean
host_is_implicit_tls (MscServiceHost *host)
{
  return MSC_LINK (host)->implicit_tls;
}

static gboolean
host_can_start_tls (MscServiceHost *host)
{
  MscLink *self = MSC_LINK (host);

  return !self->implicit_tls && self->server->certificate != NULL;
}

static const char *
host_get_peer_address (MscServiceHost *host)
{
  return MSC_LINK (host)->client_address;
}

static const char *
host_get_client_endpoint (MscServiceHost *host)
{
  return MSC_LINK (host)->client_name;
}

static const char *
host_get_server_endpoint (MscServiceHost *host)
{
  return MSC_LINK (host)->server_name;
}

static gint64
host_get_now (MscServiceHost *host)
{
  return msc_clock_get_now (MSC_LINK (host)->clock);
}

static void
host_record (MscServiceHost *host,
             MscTraceEvent  *event)
{
  msc_link_record (MSC_LINK (host), event);
}

static void
host_start_tls (MscServiceHost *host)
{
  msc_server_session_request_tls (MSC_LINK (host)->server_end.session);
}

static gboolean
host_queue_outbound (MscServiceHost     *host,
                     const char         *reverse_path,
                     const char * const *recipients,
                     GBytes             *message,
                     GError            **error)
{
  const MscLinkServer *server = MSC_LINK (host)->server;

  if (server->queue_outbound == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This server does not relay mail"));
      return FALSE;
    }

  return server->queue_outbound (server->user_data, reverse_path, recipients, message, error);
}

static gboolean
host_check_storage (MscServiceHost  *host,
                    GError         **error)
{
  const MscLinkServer *server = MSC_LINK (host)->server;

  return server->check_storage == NULL || server->check_storage (server->user_data, error);
}

static void
msc_link_service_host_init (MscServiceHostInterface *iface)
{
  iface->get_store = host_get_store;
  iface->get_settings = host_get_settings;
  iface->is_implicit_tls = host_is_implicit_tls;
  iface->can_start_tls = host_can_start_tls;
  iface->get_peer_address = host_get_peer_address;
  iface->get_client_endpoint = host_get_client_endpoint;
  iface->get_server_endpoint = host_get_server_endpoint;
  iface->get_now = host_get_now;
  iface->record = host_record;
  iface->start_tls = host_start_tls;
  iface->queue_outbound = host_queue_outbound;
  iface->check_storage = host_check_storage;
}
