/* msc-live-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-live-server"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "msc-live-server.h"

/* Live servers run for as long as a trainer leaves them; the trace keeps
 * the newest events only. */
#define MAX_TRACE_EVENTS 20000

struct _MscLiveServer
{
  GObject parent_instance;

  /* Owned references */
  MscMailStore *store;
  MscTrace     *trace;
  MscCertStore *certs;
  X509         *certificate;
  EVP_PKEY     *key;
  GPtrArray    *services;     /* of GSocketService */
  GHashTable   *connections;  /* set of MscConnection */

  char         *hostname;
  char         *outbound_dir;
  gint64        idle_timeout;
  guint64       max_message_size;
  guint         outbound_counter;
  guint         pump_source;
  gboolean      insecure_auth;
};

G_DEFINE_FINAL_TYPE (MscLiveServer, msc_live_server, G_TYPE_OBJECT)

static void
msc_live_server_dispose (GObject *object)
{
  MscLiveServer *self = MSC_LIVE_SERVER (object);

  g_clear_handle_id (&self->pump_source, g_source_remove);
  msc_live_server_stop (self);
  g_clear_object (&self->store);
  g_clear_object (&self->trace);
  g_clear_object (&self->certs);
  g_clear_pointer (&self->certificate, X509_free);
  g_clear_pointer (&self->key, EVP_PKEY_free);

  G_OBJECT_CLASS (msc_live_server_parent_class)->dispose (object);
}

static void
msc_live_server_finalize (GObject *object)
{
  MscLiveServer *self = MSC_LIVE_SERVER (object);

  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_free (self->hostname);
  g_free (self->outbound_dir);

  G_OBJECT_CLASS (msc_live_server_parent_class)->finalize (object);
}

static void
msc_live_server_class_init (MscLiveServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_live_server_dispose;
  object_class->finalize = msc_live_server_finalize;
}

static void
msc_live_server_init (MscLiveServer *self)
{
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->trace = msc_trace_new ();
  msc_trace_set_max_events (self->trace, MAX_TRACE_EVENTS);
}

static gboolean
pump_all_cb (gpointer user_data)
{
  MscLiveServer *self = MSC_LIVE_SERVER (user_data);
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;

  self->pump_source = 0;

  /* Pumping may close a connection, which leaves the set: work on a copy. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (connections, g_object_ref (key));
  for (guint i = 0; i < connections->len; i++)
    msc_connection_pump (g_ptr_array_index (connections, i));

  return G_SOURCE_REMOVE;
}

/* A change in the store made by one connection (a delivery over SMTP, a
 * deletion over POP3) may give another its say: an IMAP client in IDLE is
 * told at once. Changes come in bursts, so one idle pass serves them all. */
static void
on_store_changed_cb (MscLiveServer *self)
{
  if (self->pump_source == 0)
    self->pump_source = g_idle_add (pump_all_cb, self);
}

MscLiveServer *
msc_live_server_new (MscMailStore *store,
                     const char   *hostname)
{
  MscLiveServer *self;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (store), NULL);
  g_return_val_if_fail (hostname != NULL, NULL);

  self = g_object_new (MSC_TYPE_LIVE_SERVER, NULL);
  self->store = g_object_ref (store);
  self->hostname = g_strdup (hostname);

  {
    const char *signals[] = { "message-added", "message-expunged", "flags-changed",
                              "mailbox-created", "mailbox-deleted", "mailbox-renamed" };

    for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
      g_signal_connect_object (store, signals[i], G_CALLBACK (on_store_changed_cb), self,
                               G_CONNECT_SWAPPED);
  }

  return self;
}

MscMailStore *
msc_live_server_get_store (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), NULL);

  return self->store;
}

MscTrace *
msc_live_server_get_trace (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), NULL);

  return self->trace;
}

const char *
msc_live_server_get_hostname (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), NULL);

  return self->hostname;
}

gboolean
msc_live_server_get_insecure_auth (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), FALSE);

  return self->insecure_auth;
}

void
msc_live_server_set_insecure_auth (MscLiveServer *self,
                                   gboolean       insecure_auth)
{
  g_return_if_fail (MSC_IS_LIVE_SERVER (self));

  self->insecure_auth = !!insecure_auth;
}

gint64
msc_live_server_get_idle_timeout (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), 0);

  return self->idle_timeout;
}

void
msc_live_server_set_idle_timeout (MscLiveServer *self,
                                  gint64         timeout_usec)
{
  g_return_if_fail (MSC_IS_LIVE_SERVER (self));

  self->idle_timeout = MAX (timeout_usec, 0);
}

guint64
msc_live_server_get_max_message_size (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), 0);

  return self->max_message_size;
}

void
msc_live_server_set_max_message_size (MscLiveServer *self,
                                      guint64        size)
{
  g_return_if_fail (MSC_IS_LIVE_SERVER (self));

  self->max_message_size = size;
}

void
msc_live_server_set_outbound_dir (MscLiveServer *self,
                                  const char    *dir)
{
  g_return_if_fail (MSC_IS_LIVE_SERVER (self));

  g_free (self->outbound_dir);
  self->outbound_dir = g_strdup (dir);
}

const char *
msc_live_server_get_outbound_dir (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), NULL);

  return self->outbound_dir;
}

guint
msc_live_server_get_n_connections (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), 0);

  return g_hash_table_size (self->connections);
}

gboolean
msc_live_server_enable_tls (MscLiveServer  *self,
                            const char     *dir,
                            GError        **error)
{
  /* What a client may type as the server's name: the host name, and for
   * a mail client on this machine, localhost and the loopback address. */
  const char *names[] = { self->hostname, "localhost", "127.0.0.1", NULL };
  g_autoptr(MscCertStore) certs = NULL;
  X509 *certificate = NULL;
  EVP_PKEY *key = NULL;

  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  certs = msc_cert_store_new (dir, error);
  if (certs == NULL)
    return FALSE;

  if (!msc_cert_store_get_server_identity (certs, names, MSC_CERT_KIND_GOOD, &certificate, &key, error))
    return FALSE;

  g_clear_object (&self->certs);
  g_clear_pointer (&self->certificate, X509_free);
  g_clear_pointer (&self->key, EVP_PKEY_free);
  self->certs = g_steal_pointer (&certs);
  self->certificate = certificate;
  self->key = key;

  return TRUE;
}

MscCertStore *
msc_live_server_get_cert_store (MscLiveServer *self)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), NULL);

  return self->certs;
}

/* Borrowed: valid as long as the server. FALSE when TLS is not enabled. */
gboolean
msc_live_server_get_identity (MscLiveServer  *self,
                              X509          **certificate,
                              EVP_PKEY      **key)
{
  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), FALSE);

  *certificate = self->certificate;
  *key = self->key;

  return self->certificate != NULL;
}

static gboolean
on_incoming_cb (GSocketService    *service,
                GSocketConnection *socket_connection,
                GObject           *source_object,
                gpointer           user_data)
{
  MscLiveServer *self = MSC_LIVE_SERVER (user_data);
  const MscService *protocol = g_object_get_data (G_OBJECT (service), "msc-service");
  const char *label = g_object_get_data (G_OBJECT (service), "msc-label");
  gboolean implicit_tls = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (service), "msc-implicit-tls"));
  MscConnection *connection;

  connection = msc_connection_new (self, protocol, label, implicit_tls, socket_connection);
  g_hash_table_add (self->connections, connection);
  msc_connection_start (connection);

  return TRUE;
}

gboolean
msc_live_server_listen (MscLiveServer    *self,
                        const MscService *service,
                        const char       *label,
                        gboolean          implicit_tls,
                        const char       *host,
                        guint16           port,
                        guint16          *bound_port,
                        GError          **error)
{
  g_autoptr(GSocketService) socket_service = NULL;
  g_autoptr(GInetAddress) inet_address = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), FALSE);
  g_return_val_if_fail (service != NULL, FALSE);
  g_return_val_if_fail (label != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (!implicit_tls || self->certificate != NULL, FALSE);

  inet_address = g_inet_address_new_from_string (host);
  if (inet_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address"), host);
      return FALSE;
    }

  address = g_inet_socket_address_new (inet_address, port);
  socket_service = g_socket_service_new ();
  /* GIO's default queue of 10 unaccepted connections overflows when a
   * class's mail clients all connect at once (or while the main loop
   * stores a message); the kernel then drops their ACKs and they wait
   * seconds for the greeting.  Postfix and Dovecot use 100 and more. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (socket_service), 128);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (socket_service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    return FALSE;

  if (bound_port != NULL)
    *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  g_object_set_data (G_OBJECT (socket_service), "msc-service", (gpointer) service);
  g_object_set_data_full (G_OBJECT (socket_service), "msc-label", g_strdup (label), g_free);
  g_object_set_data (G_OBJECT (socket_service), "msc-implicit-tls", GINT_TO_POINTER (implicit_tls));
  g_signal_connect_object (socket_service, "incoming", G_CALLBACK (on_incoming_cb), self, 0);
  g_socket_service_start (socket_service);
  g_ptr_array_add (self->services, g_steal_pointer (&socket_service));

  return TRUE;
}

void
msc_live_server_stop (MscLiveServer *self)
{
  g_autoptr(GPtrArray) connections = NULL;

  g_return_if_fail (MSC_IS_LIVE_SERVER (self));

  for (guint i = 0; i < self->services->len; i++)
    {
      GSocketService *service = g_ptr_array_index (self->services, i);

      g_socket_service_stop (service);
      g_socket_listener_close (G_SOCKET_LISTENER (service));
    }
  g_ptr_array_set_size (self->services, 0);

  /* Closing a connection removes it from the set; work on a copy. */
  {
    GHashTableIter iter;
    gpointer key;

    connections = g_ptr_array_new ();
    g_hash_table_iter_init (&iter, self->connections);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (connections, key);
  }
  for (guint i = 0; i < connections->len; i++)
    msc_connection_close (g_ptr_array_index (connections, i));
}

void
_msc_live_server_connection_closed (MscLiveServer *self,
                                    MscConnection *connection)
{
  g_assert (MSC_IS_LIVE_SERVER (self));

  g_hash_table_remove (self->connections, connection);
}

gboolean
msc_live_server_queue_outbound (MscLiveServer      *self,
                                const char         *reverse_path,
                                const char * const *recipients,
                                GBytes             *message,
                                GError            **error)
{
  g_autoptr(GString) text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  gsize size;
  const char *data;

  g_return_val_if_fail (MSC_IS_LIVE_SERVER (self), FALSE);
  g_return_val_if_fail (recipients != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  /* Without a folder (tests on a memory store) the mail is accepted and
   * dropped, which is what a relay that never relays amounts to. */
  if (self->outbound_dir == NULL)
    return TRUE;

  if (g_mkdir_with_parents (self->outbound_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the outbound folder %s: %s"),
                   self->outbound_dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* The envelope goes in front as header fields, so that the file is still
   * a readable message. */
  text = g_string_new (NULL);
  g_string_append_printf (text, "X-Mailscope-Envelope-From: <%s>\r\n", reverse_path);
  for (guint i = 0; recipients[i] != NULL; i++)
    g_string_append_printf (text, "X-Mailscope-Envelope-To: <%s>\r\n", recipients[i]);
  data = g_bytes_get_data (message, &size);
  g_string_append_len (text, data, size);

  name = g_strdup_printf ("%" G_GINT64_FORMAT ".%u.eml", g_get_real_time (), ++self->outbound_counter);
  path = g_build_filename (self->outbound_dir, name, NULL);

  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}
