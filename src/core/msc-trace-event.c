/* msc-trace-event.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-trace-event"

#include "config.h"

#include "msc-trace-event.h"

/* An event is written once by the layer that drives an engine and then only
 * read (by the chart, the transcript, the inspector and the CLI), so it has
 * setters for the builder and no change notification. */
struct _MscTraceEvent
{
  GObject parent_instance;

  MscTraceKind   kind;
  MscProtocol    protocol;
  MscTraceLayer  layer;
  char          *from;
  char          *to;
  char          *text;
  GBytes        *bytes;
  guint          reply_code;
  char          *status_code;
  MscReplyClass  reply_class;
  gint64         time;
  char          *explanation_key;
  guint          connection;
  gboolean       secret;
};

G_DEFINE_FINAL_TYPE (MscTraceEvent, msc_trace_event, G_TYPE_OBJECT)

static const char *kind_names[] = {
  [MSC_TRACE_KIND_CONNECT] = "connect",
  [MSC_TRACE_KIND_COMMAND] = "command",
  [MSC_TRACE_KIND_REPLY] = "reply",
  [MSC_TRACE_KIND_DATA] = "data",
  [MSC_TRACE_KIND_TLS_HANDSHAKE] = "tls-handshake",
  [MSC_TRACE_KIND_TLS_RECORD] = "tls-record",
  [MSC_TRACE_KIND_CLOSE] = "close",
  [MSC_TRACE_KIND_STATE_CHANGE] = "state-change",
  [MSC_TRACE_KIND_STORE_CHANGE] = "store-change",
  [MSC_TRACE_KIND_DNS] = "dns",
  [MSC_TRACE_KIND_NOTE] = "note",
  [MSC_TRACE_KIND_STEP] = "step",
};

static const char *protocol_names[] = {
  [MSC_PROTOCOL_NONE] = "",
  [MSC_PROTOCOL_SMTP] = "SMTP",
  [MSC_PROTOCOL_POP3] = "POP3",
  [MSC_PROTOCOL_IMAP] = "IMAP",
  [MSC_PROTOCOL_TLS] = "TLS",
  [MSC_PROTOCOL_DNS] = "DNS",
};

const char *
msc_trace_kind_to_string (MscTraceKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

const char *
msc_protocol_to_string (MscProtocol protocol)
{
  g_return_val_if_fail (protocol < G_N_ELEMENTS (protocol_names), NULL);

  return protocol_names[protocol];
}

/* RFC 5321 §4.2.1: the first digit says how the command went. */
MscReplyClass
msc_reply_class_from_smtp_code (guint code)
{
  switch (code / 100)
    {
    case 2:
      return MSC_REPLY_CLASS_SUCCESS;
    case 3:
      return MSC_REPLY_CLASS_CONTINUE;
    case 4:
      return MSC_REPLY_CLASS_TRANSIENT;
    case 5:
      return MSC_REPLY_CLASS_FAILURE;
    default:
      return MSC_REPLY_CLASS_NONE;
    }
}

static void
msc_trace_event_finalize (GObject *object)
{
  MscTraceEvent *self = MSC_TRACE_EVENT (object);

  g_free (self->from);
  g_free (self->to);
  g_free (self->text);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->status_code);
  g_free (self->explanation_key);

  G_OBJECT_CLASS (msc_trace_event_parent_class)->finalize (object);
}

static void
msc_trace_event_class_init (MscTraceEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_trace_event_finalize;
}

static void
msc_trace_event_init (MscTraceEvent *self)
{
}

MscTraceEvent *
msc_trace_event_new (MscTraceKind  kind,
                     MscProtocol   protocol,
                     const char   *from,
                     const char   *to,
                     const char   *text)
{
  MscTraceEvent *self;

  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), NULL);
  g_return_val_if_fail (protocol < G_N_ELEMENTS (protocol_names), NULL);

  self = g_object_new (MSC_TYPE_TRACE_EVENT, NULL);
  self->kind = kind;
  self->protocol = protocol;
  self->from = g_strdup (from);
  self->to = g_strdup (to);
  self->text = g_strdup (text);

  switch (kind)
    {
    case MSC_TRACE_KIND_TLS_HANDSHAKE:
    case MSC_TRACE_KIND_TLS_RECORD:
      self->layer = MSC_TRACE_LAYER_TLS;
      break;
    case MSC_TRACE_KIND_CONNECT:
    case MSC_TRACE_KIND_CLOSE:
      self->layer = MSC_TRACE_LAYER_TRANSPORT;
      break;
    case MSC_TRACE_KIND_STORE_CHANGE:
      self->layer = MSC_TRACE_LAYER_STORE;
      break;
    default:
      self->layer = MSC_TRACE_LAYER_APPLICATION;
    }

  return self;
}

#define GETTER(type, name, fallback) \
  type \
  msc_trace_event_get_##name (MscTraceEvent *self) \
  { \
    g_return_val_if_fail (MSC_IS_TRACE_EVENT (self), fallback); \
    return self->name; \
  }

GETTER (MscTraceKind, kind, MSC_TRACE_KIND_NOTE)
GETTER (MscProtocol, protocol, MSC_PROTOCOL_NONE)
GETTER (MscTraceLayer, layer, MSC_TRACE_LAYER_APPLICATION)
GETTER (const char *, from, NULL)
GETTER (const char *, to, NULL)
GETTER (const char *, text, NULL)
GETTER (GBytes *, bytes, NULL)
GETTER (guint, reply_code, 0)
GETTER (const char *, status_code, NULL)
GETTER (MscReplyClass, reply_class, MSC_REPLY_CLASS_NONE)
GETTER (gint64, time, 0)
GETTER (const char *, explanation_key, NULL)
GETTER (guint, connection, 0)
GETTER (gboolean, secret, FALSE)

#undef GETTER

void
msc_trace_event_set_layer (MscTraceEvent *self,
                           MscTraceLayer  layer)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  self->layer = layer;
}

void
msc_trace_event_set_bytes (MscTraceEvent *self,
                           GBytes        *bytes)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  if (bytes != NULL)
    g_bytes_ref (bytes);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = bytes;
}

void
msc_trace_event_set_reply (MscTraceEvent *self,
                           guint          code,
                           const char    *status_code,
                           MscReplyClass  reply_class)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  self->reply_code = code;
  g_free (self->status_code);
  self->status_code = g_strdup (status_code);
  self->reply_class = reply_class;
}

void
msc_trace_event_set_time (MscTraceEvent *self,
                          gint64         time_usec)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  self->time = time_usec;
}

void
msc_trace_event_set_explanation_key (MscTraceEvent *self,
                                     const char    *key)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  g_free (self->explanation_key);
  self->explanation_key = g_strdup (key);
}

void
msc_trace_event_set_connection (MscTraceEvent *self,
                                guint          connection)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  self->connection = connection;
}

void
msc_trace_event_set_secret (MscTraceEvent *self,
                            gboolean       secret)
{
  g_return_if_fail (MSC_IS_TRACE_EVENT (self));

  self->secret = !!secret;
}
