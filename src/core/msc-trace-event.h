/* msc-trace-event.h — one thing that happened, as the chart shows it
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  MSC_TRACE_KIND_CONNECT,
  MSC_TRACE_KIND_COMMAND,
  MSC_TRACE_KIND_REPLY,
  MSC_TRACE_KIND_DATA,
  MSC_TRACE_KIND_TLS_HANDSHAKE,
  MSC_TRACE_KIND_TLS_RECORD,
  MSC_TRACE_KIND_CLOSE,
  MSC_TRACE_KIND_STATE_CHANGE,
  MSC_TRACE_KIND_STORE_CHANGE,
  MSC_TRACE_KIND_DNS,
  MSC_TRACE_KIND_NOTE,
  MSC_TRACE_KIND_STEP,           /* a lesson's step begins: its narration */
} MscTraceKind;

typedef enum {
  MSC_PROTOCOL_NONE,
  MSC_PROTOCOL_SMTP,
  MSC_PROTOCOL_POP3,
  MSC_PROTOCOL_IMAP,
  MSC_PROTOCOL_TLS,
  MSC_PROTOCOL_DNS,
} MscProtocol;

typedef enum {
  MSC_TRACE_LAYER_APPLICATION,
  MSC_TRACE_LAYER_TLS,
  MSC_TRACE_LAYER_TRANSPORT,
  MSC_TRACE_LAYER_STORE,
} MscTraceLayer;

/* How a reply turned out, which is also its colour in the chart:
 * 2xx/+OK/OK success, 3xx/"+ " continuation, 4xx transient,
 * 5xx/-ERR/NO/BAD failure. */
typedef enum {
  MSC_REPLY_CLASS_NONE,
  MSC_REPLY_CLASS_SUCCESS,
  MSC_REPLY_CLASS_CONTINUE,
  MSC_REPLY_CLASS_TRANSIENT,
  MSC_REPLY_CLASS_FAILURE,
} MscReplyClass;

#define MSC_TYPE_TRACE_EVENT (msc_trace_event_get_type ())

G_DECLARE_FINAL_TYPE (MscTraceEvent, msc_trace_event, MSC, TRACE_EVENT, GObject)

MscTraceEvent *msc_trace_event_new             (MscTraceKind    kind,
                                                MscProtocol     protocol,
                                                const char     *from,
                                                const char     *to,
                                                const char     *text);
MscTraceKind   msc_trace_event_get_kind        (MscTraceEvent  *self);
MscProtocol    msc_trace_event_get_protocol    (MscTraceEvent  *self);
MscTraceLayer  msc_trace_event_get_layer       (MscTraceEvent  *self);
void           msc_trace_event_set_layer       (MscTraceEvent  *self,
                                                MscTraceLayer   layer);
const char    *msc_trace_event_get_from        (MscTraceEvent  *self);
const char    *msc_trace_event_get_to          (MscTraceEvent  *self);
const char    *msc_trace_event_get_text        (MscTraceEvent  *self);
GBytes        *msc_trace_event_get_bytes       (MscTraceEvent  *self);
void           msc_trace_event_set_bytes       (MscTraceEvent  *self,
                                                GBytes         *bytes);
guint          msc_trace_event_get_reply_code  (MscTraceEvent  *self);
const char    *msc_trace_event_get_status_code (MscTraceEvent  *self);
void           msc_trace_event_set_reply       (MscTraceEvent  *self,
                                                guint           code,
                                                const char     *status_code,
                                                MscReplyClass   reply_class);
MscReplyClass  msc_trace_event_get_reply_class (MscTraceEvent  *self);
gint64         msc_trace_event_get_time        (MscTraceEvent  *self);
void           msc_trace_event_set_time        (MscTraceEvent  *self,
                                                gint64          time_usec);
const char    *msc_trace_event_get_explanation_key (MscTraceEvent *self);
void           msc_trace_event_set_explanation_key (MscTraceEvent *self,
                                                    const char    *key);
guint          msc_trace_event_get_connection  (MscTraceEvent  *self);
void           msc_trace_event_set_connection  (MscTraceEvent  *self,
                                                guint           connection);
gboolean       msc_trace_event_get_secret      (MscTraceEvent  *self);
void           msc_trace_event_set_secret      (MscTraceEvent  *self,
                                                gboolean        secret);

const char    *msc_trace_kind_to_string        (MscTraceKind    kind);
const char    *msc_protocol_to_string          (MscProtocol     protocol);
MscReplyClass  msc_reply_class_from_smtp_code  (guint           code);

G_END_DECLS
