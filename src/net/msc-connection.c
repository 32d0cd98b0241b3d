/* msc-connection.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-connection"

#include "config.h"

#include <unistd.h>
#include <glib/gi18n.h>

#include "msc-connection.h"
#include "msc-live-server.h"
#include "msc-server-session.h"

#define READ_SIZE 16384
/* A client that sends commands but never reads the replies must not make
 * the server buffer without end: stop reading while this much is unsent. */
#define MAX_QUEUED_OUTPUT (1024 * 1024)

struct _MscConnection
{
  GObject parent_instance;

  /* Borrowed references: the server owns its connections */
  MscLiveServer     *server;
  const MscService  *service;

  /* Owned references */
  GSocketConnection *socket_connection;
  MscServerSession  *session;    /* the engine, and TLS around it */
  GCancellable      *cancellable;
  GQueue             writes;     /* of GBytes, head being written */
  gsize              queued_bytes;

  char              *peer_address;
  char              *client_endpoint;
  char              *server_endpoint;
  char              *label;
  guint              id;
  guint              timeout_source;
  gboolean           reading;
  gboolean           closing;
  gboolean           closed;
  gboolean           implicit_tls;
};

static void msc_connection_service_host_init (MscServiceHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscConnection, msc_connection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_SERVICE_HOST,
                                                      msc_connection_service_host_init))


static char *
format_endpoint (GSocketAddress *address)
{
  g_autofree char *ip = NULL;
  guint16 port;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("?");

  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

  if (strchr (ip, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", ip, port);

  return g_strdup_printf ("%s:%u", ip, port);
}

static void
msc_connection_dispose (GObject *object)
{
  MscConnection *self = MSC_CONNECTION (object);

  g_clear_handle_id (&self->timeout_source, g_source_remove);
  g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->socket_connection);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (msc_connection_parent_class)->dispose (object);
}

static void
msc_connection_finalize (GObject *object)
{
  MscConnection *self = MSC_CONNECTION (object);

  g_free (self->peer_address);
  g_free (self->client_endpoint);
  g_free (self->server_endpoint);
  g_free (self->label);

  G_OBJECT_CLASS (msc_connection_parent_class)->finalize (object);
}

static void
msc_connection_class_init (MscConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_connection_dispose;
  object_class->finalize = msc_connection_finalize;
}

static void
msc_connection_init (MscConnection *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->writes);
}

MscConnection *
msc_connection_new (MscLiveServer     *server,
                    const MscService  *service,
                    const char        *label,
                    gboolean           implicit_tls,
                    GSocketConnection *socket_connection)
{
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  MscConnection *self;

  g_return_val_if_fail (MSC_IS_LIVE_SERVER (server), NULL);
  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (socket_connection), NULL);

  self = g_object_new (MSC_TYPE_CONNECTION, NULL);
  self->server = server;
  self->service = service;
  self->label = g_strdup (label != NULL ? label : service->name);
  self->implicit_tls = implicit_tls;
  self->socket_connection = g_object_ref (socket_connection);
  self->id = msc_trace_next_connection (msc_live_server_get_trace (server));

  remote = g_socket_connection_get_remote_address (socket_connection, NULL);
  local = g_socket_connection_get_local_address (socket_connection, NULL);
  self->client_endpoint = format_endpoint (remote);
  self->server_endpoint = format_endpoint (local);
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    self->peer_address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

  return self;
}

guint
msc_connection_get_id (MscConnection *self)
{
  g_return_val_if_fail (MSC_IS_CONNECTION (self), 0);

  return self->id;
}

/* ---- MscServiceHost: what the service sees of this connection ---- */

static MscMailStore *
msc_connection_get_store (MscServiceHost *host)
{
  MscConnection *self = MSC_CONNECTION (host);

  return msc_live_server_get_store (self->server);
}

static void
msc_connection_get_settings (MscServiceHost     *host,
                             MscServiceSettings *settings)
{
  MscConnection *self = MSC_CONNECTION (host);

  settings->hostname = msc_live_server_get_hostname (self->server);
  settings->allow_insecure_auth = msc_live_server_get_insecure_auth (self->server);
  settings->idle_timeout_usec = msc_live_server_get_idle_timeout (self->server);
  settings->max_message_size = msc_live_server_get_max_message_size (self->server);
  settings->apop_pid = (guint) getpid ();
}

/* TLS from the first byte (465, 993, 995). */
static gboolean
msc_connection_is_implicit_tls (MscServiceHost *host)
{
  return MSC_CONNECTION (host)->implicit_tls;
}

/* STARTTLS may be offered once the server has a certificate. */
static gboolean
msc_connection_can_start_tls (MscServiceHost *host)
{
  MscConnection *self = MSC_CONNECTION (host);
  X509 *certificate;
  EVP_PKEY *key;

  return !self->implicit_tls && msc_live_server_get_identity (self->server, &certificate, &key);
}

static const char *
msc_connection_get_peer_address (MscServiceHost *host)
{
  return MSC_CONNECTION (host)->peer_address;
}

static const char *
msc_connection_get_client_endpoint (MscServiceHost *host)
{
  return MSC_CONNECTION (host)->client_endpoint;
}

static const char *
msc_connection_get_server_endpoint (MscServiceHost *host)
{
  return MSC_CONNECTION (host)->server_endpoint;
}

/* A live server keeps real time, in the trace and in the engines. */
static gint64
msc_connection_get_now (MscServiceHost *host)
{
  return g_get_real_time ();
}

static void
msc_connection_record (MscServiceHost *host,
                       MscTraceEvent  *event)
{
  MscConnection *self = MSC_CONNECTION (host);

  msc_trace_event_set_connection (event, self->id);
  msc_trace_event_set_time (event, msc_connection_get_now (host));
  msc_trace_append (msc_live_server_get_trace (self->server), event);
}

/* The service calls this on the engine's STARTTLS event; the engine's
 * "go ahead" (220, +OK, OK) is still to be written, in plaintext. */
static void
msc_connection_start_tls (MscServiceHost *host)
{
  msc_server_session_request_tls (MSC_CONNECTION (host)->session);
}

static gboolean
msc_connection_queue_outbound (MscServiceHost     *host,
                               const char         *reverse_path,
                               const char * const *recipients,
                               GBytes             *message,
                               GError            **error)
{
  MscConnection *self = MSC_CONNECTION (host);

  return msc_live_server_queue_outbound (self->server, reverse_path, recipients, message, error);
}

/* check_storage stays NULL: the store reports a full disk itself. */
static void
msc_connection_service_host_init (MscServiceHostInterface *iface)
{
  iface->get_store = msc_connection_get_store;
  iface->get_settings = msc_connection_get_settings;
  iface->is_implicit_tls = msc_connection_is_implicit_tls;
  iface->can_start_tls = msc_connection_can_start_tls;
  iface->get_peer_address = msc_connection_get_peer_address;
  iface->get_client_endpoint = msc_connection_get_client_endpoint;
  iface->get_server_endpoint = msc_connection_get_server_endpoint;
  iface->get_now = msc_connection_get_now;
  iface->record = msc_connection_record;
  iface->start_tls = msc_connection_start_tls;
  iface->queue_outbound = msc_connection_queue_outbound;
}

/* ---- The socket ---- */

static void
record_transport (MscConnection *self,
                  MscTraceKind   kind,
                  const char    *text)
{
  g_autoptr(MscTraceEvent) event = NULL;

  if (kind == MSC_TRACE_KIND_CONNECT)
    {
      event = msc_trace_event_new (kind, self->service->protocol,
                                   self->client_endpoint, self->server_endpoint, text);
      msc_trace_event_set_explanation_key (event, self->implicit_tls ? "net.connect.implicit-tls"
                                                                     : "net.connect.plain");
    }
  else
    {
      event = msc_trace_event_new (kind, self->service->protocol,
                                   self->server_endpoint, self->client_endpoint, text);
      msc_trace_event_set_explanation_key (event, "net.close");
    }
  msc_service_host_record (MSC_SERVICE_HOST (self), event);
}

/* Every connection ends with exactly one CLOSE event saying who ended it. */
static void
finish_close (MscConnection *self,
              const char    *reason)
{
  g_autoptr(MscConnection) hold = g_object_ref (self);

  if (self->closed)
    return;

  if (self->session != NULL)
    msc_server_session_abort (self->session);

  record_transport (self, MSC_TRACE_KIND_CLOSE,
                    reason != NULL ? reason : _("The server closed the connection"));
  self->closed = TRUE;
  g_clear_handle_id (&self->timeout_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_io_stream_close (G_IO_STREAM (self->socket_connection), NULL, NULL);
  _msc_live_server_connection_closed (self->server, self);
}

/* Closes once everything queued is written, so a final reply (221, 421)
 * reaches the client. */
void
msc_connection_close (MscConnection *self)
{
  g_return_if_fail (MSC_IS_CONNECTION (self));

  self->closing = TRUE;
  if (g_queue_is_empty (&self->writes))
    finish_close (self, NULL);
}

static void
on_write_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(MscConnection) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      finish_close (self, error->message);
      return;
    }

  {
    GBytes *written = g_queue_pop_head (&self->writes);

    self->queued_bytes -= g_bytes_get_size (written);
    g_bytes_unref (written);
  }
  if (!g_queue_is_empty (&self->writes))
    {
      GBytes *next = g_queue_peek_head (&self->writes);

      g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (self->socket_connection)),
                                       g_bytes_get_data (next, NULL), g_bytes_get_size (next),
                                       G_PRIORITY_DEFAULT, self->cancellable,
                                       on_write_cb, g_object_ref (self));
    }
  else if (self->closing)
    finish_close (self, NULL);
  else
    msc_connection_pump (self);
}

static void
queue_write (MscConnection *self,
             GBytes        *bytes)
{
  gboolean idle = g_queue_is_empty (&self->writes);

  g_queue_push_tail (&self->writes, g_bytes_ref (bytes));
  self->queued_bytes += g_bytes_get_size (bytes);
  if (idle)
    g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (self->socket_connection)),
                                     g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                     G_PRIORITY_DEFAULT, self->cancellable,
                                     on_write_cb, g_object_ref (self));
}

static void
on_read_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(MscConnection) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  self->reading = FALSE;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (self->closed)
    return;

  if (bytes == NULL)
    {
      finish_close (self, error->message);
      return;
    }

  /* The client went away. Whatever was unfinished (a message without its
   * final dot) was never acknowledged and is dropped with the engine. */
  if (g_bytes_get_size (bytes) == 0)
    {
      finish_close (self, _("The client closed the connection"));
      return;
    }

  msc_server_session_feed (self->session, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  msc_connection_pump (self);
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  MscConnection *self = MSC_CONNECTION (user_data);

  self->timeout_source = 0;
  msc_server_session_check_timeout (self->session);
  msc_connection_pump (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_timeout (MscConnection *self)
{
  gint64 deadline = msc_server_session_get_deadline (self->session);
  gint64 delay;

  g_clear_handle_id (&self->timeout_source, g_source_remove);
  if (deadline < 0)
    return;

  delay = MAX (deadline - msc_connection_get_now (MSC_SERVICE_HOST (self)), 0);
  self->timeout_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay / 1000 + 1,
                                             on_timeout_cb, self, NULL);
}

/* Moves things along: the session's output onto the socket, then
 * reading more if it wants it. */
void
msc_connection_pump (MscConnection *self)
{
  g_autoptr(MscConnection) hold = g_object_ref (self);
  g_autoptr(GBytes) output = NULL;

  if (self->closed)
    return;

  msc_server_session_pump (self->session);
  output = msc_server_session_take_output (self->session);
  if (output != NULL)
    queue_write (self, output);

  if (msc_server_session_is_finished (self->session))
    {
      const char *failure = msc_server_session_get_failure (self->session);

      if (failure != NULL)
        finish_close (self, failure);
      else
        msc_connection_close (self);
      return;
    }

  schedule_timeout (self);

  if (!self->reading && self->queued_bytes < MAX_QUEUED_OUTPUT &&
      msc_server_session_wants_input (self->session))
    {
      self->reading = TRUE;
      g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (self->socket_connection)),
                                       READ_SIZE, G_PRIORITY_DEFAULT, self->cancellable,
                                       on_read_cb, g_object_ref (self));
    }
}

void
msc_connection_start (MscConnection *self)
{
  g_return_if_fail (MSC_IS_CONNECTION (self));
  g_return_if_fail (self->session == NULL);

  {
    g_autofree char *text = NULL;

    /* Translators: %s is a service name such as "smtp", "submission" or "imaps". */
    if (self->implicit_tls)
      text = g_strdup_printf (_("Connected to the %s port: TLS starts at once"), self->label);
    else
      text = g_strdup_printf (_("Connected to the %s port, unencrypted"), self->label);

    record_transport (self, MSC_TRACE_KIND_CONNECT, text);
  }

  {
    X509 *certificate = NULL;
    EVP_PKEY *key = NULL;

    msc_live_server_get_identity (self->server, &certificate, &key);
    self->session = msc_server_session_new (self->service, MSC_SERVICE_HOST (self),
                                            self->implicit_tls, certificate, key);
  }
  msc_server_session_start (self->session);
  msc_connection_pump (self);
}
