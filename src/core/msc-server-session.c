/* msc-server-session.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-server-session"

#include "config.h"

#include <glib/gi18n.h>

#include "msc-server-session.h"
#include "msc-tls-session.h"
#include "msc-tls-trace.h"

/* RFC 5321 §4.5.3.2 gives a server 5 minutes to wait for a command. */
#define DEFAULT_HANDSHAKE_TIMEOUT_USEC (5 * 60 * G_USEC_PER_SEC)

struct _MscServerSession
{
  GObject parent_instance;

  const MscService  *service;
  MscServiceHost    *host;        /* borrowed: it owns us */
  GObject           *engine;
  MscTlsSession     *tls;         /* NULL until TLS starts, implicit or by STARTTLS */
  X509              *certificate;
  EVP_PKEY          *key;
  GByteArray        *output;
  char              *failure;
  gint64             handshake_deadline;  /* implicit TLS: until the engine starts */

  gboolean           implicit_tls;
  gboolean           started;             /* the engine was started */
  gboolean           starttls_requested;  /* its "go ahead" goes out in plaintext first */
  gboolean           told_tls;            /* tls_started() called after a STARTTLS handshake */
  gboolean           finished;
};

G_DEFINE_FINAL_TYPE (MscServerSession, msc_server_session, G_TYPE_OBJECT)

static void
msc_server_session_dispose (GObject *object)
{
  MscServerSession *self = MSC_SERVER_SESSION (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->tls);
  g_clear_pointer (&self->certificate, X509_free);
  g_clear_pointer (&self->key, EVP_PKEY_free);

  G_OBJECT_CLASS (msc_server_session_parent_class)->dispose (object);
}

static void
msc_server_session_finalize (GObject *object)
{
  MscServerSession *self = MSC_SERVER_SESSION (object);

  g_byte_array_unref (self->output);
  g_free (self->failure);

  G_OBJECT_CLASS (msc_server_session_parent_class)->finalize (object);
}

static void
msc_server_session_class_init (MscServerSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_server_session_dispose;
  object_class->finalize = msc_server_session_finalize;
}

static void
msc_server_session_init (MscServerSession *self)
{
  self->output = g_byte_array_new ();
}

MscServerSession *
msc_server_session_new (const MscService *service,
                        MscServiceHost   *host,
                        gboolean          implicit_tls,
                        X509             *certificate,
                        EVP_PKEY         *key)
{
  MscServerSession *self;

  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (host), NULL);

  self = g_object_new (MSC_TYPE_SERVER_SESSION, NULL);
  self->service = service;
  self->host = host;
  self->implicit_tls = implicit_tls;
  if (certificate != NULL && key != NULL)
    {
      X509_up_ref (certificate);
      EVP_PKEY_up_ref (key);
      self->certificate = certificate;
      self->key = key;
    }

  return self;
}

static void
set_now (MscServerSession *self)
{
  self->service->set_now (self->engine, msc_service_host_get_now (self->host));
}

/* Moves what TLS produced: its events into the trace (each handshake
 * message and alert as an arrow, each record as what an eavesdropper
 * sees), its ciphertext to the output.  FALSE when TLS failed. */
static gboolean
flush_tls (MscServerSession *self)
{
  const char *local = msc_service_host_get_server_endpoint (self->host);
  const char *peer = msc_service_host_get_client_endpoint (self->host);
  gboolean failed = FALSE;
  MscTlsEvent *event;
  GBytes *ciphertext;

  while ((event = msc_tls_session_next_event (self->tls)) != NULL)
    {
      g_autoptr(MscTraceEvent) trace = msc_tls_trace_event_new (event, local, peer);

      if (trace != NULL)
        msc_service_host_record (self->host, trace);
      if (event->kind == MSC_TLS_EVENT_ERROR)
        failed = TRUE;
      msc_tls_event_free (event);
    }

  /* Sent even after a failure: it carries the alert that tells the client. */
  while ((ciphertext = msc_tls_session_take_ciphertext (self->tls)) != NULL)
    {
      g_byte_array_append (self->output, g_bytes_get_data (ciphertext, NULL),
                           g_bytes_get_size (ciphertext));
      g_bytes_unref (ciphertext);
    }

  if (failed)
    self->finished = TRUE;
  return !failed;
}

/* TLS moved on: a finished handshake starts the engine (implicit TLS) or
 * tells it (RFC 3207 §4.2 and its kin: after STARTTLS it forgets what it
 * knew, and only then may it see decrypted bytes).  TRUE if it did. */
static gboolean
advance_tls (MscServerSession *self)
{
  if (self->tls == NULL || !flush_tls (self) || !msc_tls_session_is_handshake_done (self->tls))
    return FALSE;

  if (!self->started)
    {
      self->started = TRUE;
      set_now (self);
      self->service->start (self->engine);
      return TRUE;
    }
  if (self->starttls_requested && !self->told_tls)
    {
      self->told_tls = TRUE;
      set_now (self);
      self->service->tls_started (self->engine);
      return TRUE;
    }

  return FALSE;
}

static void
start_tls (MscServerSession *self)
{
  g_autoptr(GError) error = NULL;
  MscTlsConfig config = {
    .role = MSC_TLS_ROLE_SERVER,
    .certificate = self->certificate,
    .key = self->key,
  };

  self->tls = msc_tls_session_new (&config, &error);
  if (self->tls == NULL)
    {
      self->failure = g_strdup (error->message);
      self->finished = TRUE;
      return;
    }
  msc_tls_session_start (self->tls);
}

/* Bytes from the engine, through TLS if it is on. */
static void
send (MscServerSession *self,
      GBytes           *bytes)
{
  g_autoptr(GError) error = NULL;

  if (self->tls == NULL)
    {
      g_byte_array_append (self->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      return;
    }

  if (!msc_tls_session_write_plaintext (self->tls, g_bytes_get_data (bytes, NULL),
                                        g_bytes_get_size (bytes), &error))
    g_debug ("%s: %s", msc_service_host_get_client_endpoint (self->host), error->message);
  flush_tls (self);
}

/* The one place that moves things along: events first (they may produce
 * output, e.g. the reply to DATA once the message is stored), then
 * output, then TLS. */
void
msc_server_session_pump (MscServerSession *self)
{
  g_return_if_fail (MSC_IS_SERVER_SESSION (self));

  while (!self->finished && self->engine != NULL)
    {
      g_autoptr(GBytes) bytes = NULL;
      gboolean progressed = advance_tls (self);

      if (self->finished || !self->started)
        return;

      if (self->service->drain_events (self->engine, self->host))
        progressed = TRUE;

      bytes = self->service->take_output (self->engine);
      if (bytes != NULL && g_bytes_get_size (bytes) > 0)
        {
          send (self, bytes);
          progressed = TRUE;
        }

      /* The "go ahead" for STARTTLS is out in plaintext; the rest is TLS. */
      if (self->starttls_requested && self->tls == NULL)
        {
          start_tls (self);
          progressed = TRUE;
        }

      if (!progressed)
        break;
    }

  if (!self->finished && self->engine != NULL && self->started &&
      self->service->is_closed (self->engine))
    {
      /* close_notify, so the client knows nothing was cut off. */
      if (self->tls != NULL && msc_tls_session_is_handshake_done (self->tls) &&
          !msc_tls_session_is_closed (self->tls))
        {
          msc_tls_session_shutdown (self->tls);
          flush_tls (self);
        }
      self->finished = TRUE;
    }
}

void
msc_server_session_start (MscServerSession *self)
{
  g_return_if_fail (MSC_IS_SERVER_SESSION (self));
  g_return_if_fail (self->engine == NULL);

  if (self->implicit_tls)
    {
      MscServiceSettings settings;

      /* Until the engine starts, its timeouts do not run: a client that
       * connects and stays silent must not hold the port for ever. */
      msc_service_host_get_settings (self->host, &settings);
      self->handshake_deadline = msc_service_host_get_now (self->host) +
                                 (settings.idle_timeout_usec > 0 ? settings.idle_timeout_usec
                                                                 : DEFAULT_HANDSHAKE_TIMEOUT_USEC);
      start_tls (self);
      if (self->finished)
        return;
    }

  self->engine = self->service->engine_new (self->host);
  if (!self->implicit_tls)
    {
      self->started = TRUE;
      set_now (self);
      self->service->start (self->engine);
    }
  msc_server_session_pump (self);
}

void
msc_server_session_feed (MscServerSession *self,
                         const guint8     *data,
                         gsize             len)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MSC_IS_SERVER_SESSION (self));

  if (self->finished || self->engine == NULL)
    return;

  if (self->tls == NULL)
    {
      set_now (self);
      if (!self->service->feed (self->engine, data, len, &error))
        g_debug ("%s: %s", msc_service_host_get_client_endpoint (self->host), error->message);
    }
  else
    {
      GBytes *plaintext;

      if (!msc_tls_session_feed_ciphertext (self->tls, data, len, &error))
        g_debug ("%s: %s", msc_service_host_get_client_endpoint (self->host), error->message);
      g_clear_error (&error);
      /* The handshake may just have finished: the engine hears of it
       * before it sees what came after. */
      advance_tls (self);
      while (!self->finished && (plaintext = msc_tls_session_take_plaintext (self->tls)) != NULL)
        {
          set_now (self);
          if (!self->service->feed (self->engine, g_bytes_get_data (plaintext, NULL),
                                    g_bytes_get_size (plaintext), &error))
            g_debug ("%s: %s", msc_service_host_get_client_endpoint (self->host), error->message);
          g_clear_error (&error);
          g_bytes_unref (plaintext);
        }
    }

  msc_server_session_pump (self);
}

GBytes *
msc_server_session_take_output (MscServerSession *self)
{
  g_return_val_if_fail (MSC_IS_SERVER_SESSION (self), NULL);

  if (self->output->len == 0)
    return NULL;

  {
    GBytes *bytes = g_byte_array_free_to_bytes (self->output);

    self->output = g_byte_array_new ();
    return bytes;
  }
}

void
msc_server_session_request_tls (MscServerSession *self)
{
  g_return_if_fail (MSC_IS_SERVER_SESSION (self));
  g_return_if_fail (self->tls == NULL);

  self->starttls_requested = TRUE;
}

gboolean
msc_server_session_is_finished (MscServerSession *self)
{
  g_return_val_if_fail (MSC_IS_SERVER_SESSION (self), TRUE);

  return self->finished;
}

const char *
msc_server_session_get_failure (MscServerSession *self)
{
  g_return_val_if_fail (MSC_IS_SERVER_SESSION (self), NULL);

  return self->failure;
}

gboolean
msc_server_session_wants_input (MscServerSession *self)
{
  g_return_val_if_fail (MSC_IS_SERVER_SESSION (self), FALSE);

  if (self->finished || self->engine == NULL)
    return FALSE;

  /* During a handshake the engine waits, but TLS needs the client's bytes. */
  if (self->tls != NULL && !msc_tls_session_is_handshake_done (self->tls))
    return TRUE;

  return self->started && self->service->want_read (self->engine);
}

gint64
msc_server_session_get_deadline (MscServerSession *self)
{
  g_return_val_if_fail (MSC_IS_SERVER_SESSION (self), -1);

  if (self->finished)
    return -1;
  if (!self->started)
    return self->tls != NULL ? self->handshake_deadline : -1;

  return self->service->get_deadline (self->engine);
}

void
msc_server_session_check_timeout (MscServerSession *self)
{
  g_return_if_fail (MSC_IS_SERVER_SESSION (self));

  if (self->finished)
    return;
  if (!self->started)
    {
      if (self->tls != NULL && msc_service_host_get_now (self->host) >= self->handshake_deadline)
        {
          self->failure = g_strdup (_("The client did not finish the TLS handshake in time"));
          self->finished = TRUE;
        }
      return;
    }

  set_now (self);
  self->service->check_timeout (self->engine);
  msc_server_session_pump (self);
}

void
msc_server_session_abort (MscServerSession *self)
{
  g_return_if_fail (MSC_IS_SERVER_SESSION (self));

  if (self->engine != NULL && self->started && self->service->abort != NULL &&
      !self->service->is_closed (self->engine))
    self->service->abort (self->engine);
  self->finished = TRUE;
}
