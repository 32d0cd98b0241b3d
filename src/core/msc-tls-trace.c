/* msc-tls-trace.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-tls-trace"

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"
#include "msc-tls-trace.h"

static const char *
tls_error_key (const GError *error)
{
  if (error == NULL || error->domain != MSC_TLS_ERROR)
    return "tls.error.handshake";

  switch (error->code)
    {
    case MSC_TLS_ERROR_CERT_UNTRUSTED:
      return "tls.error.untrusted";
    case MSC_TLS_ERROR_CERT_HOSTNAME:
      return "tls.error.hostname";
    case MSC_TLS_ERROR_CERT_EXPIRED:
      return "tls.error.expired";
    case MSC_TLS_ERROR_CERT_NOT_YET_VALID:
      return "tls.error.not-yet-valid";
    case MSC_TLS_ERROR_PROTOCOL:
      return "tls.error.protocol";
    default:
      return "tls.error.handshake";
    }
}

MscTraceEvent *
msc_tls_trace_event_new (const MscTlsEvent *event,
                         const char        *local,
                         const char        *peer)
{
  g_autoptr(MscTraceEvent) trace = NULL;
  gboolean sent;
  const char *from;
  const char *to;
  g_autofree char *text = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (local != NULL, NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  sent = event->direction == MSC_TLS_DIRECTION_SENT;
  from = sent ? local : peer;
  to = sent ? peer : local;

  switch (event->kind)
    {
    case MSC_TLS_EVENT_HANDSHAKE_MESSAGE:
      trace = msc_trace_event_new (MSC_TRACE_KIND_TLS_HANDSHAKE, MSC_PROTOCOL_TLS, from, to, event->name);
      key = msc_explain_tls_handshake_key (event->name);
      break;

    case MSC_TLS_EVENT_ALERT:
      text = g_strdup_printf ("Alert: %s", event->alert_text);
      trace = msc_trace_event_new (MSC_TRACE_KIND_TLS_HANDSHAKE, MSC_PROTOCOL_TLS, from, to, text);
      key = msc_explain_tls_alert_key (event->alert_text);
      break;

    case MSC_TLS_EVENT_RECORD:
      /* Translators: what an eavesdropper sees: a TLS record and its size. */
      text = g_strdup_printf (event->encrypted ? _("TLS record, %lu bytes, encrypted")
                                               : _("TLS record, %lu bytes, readable"),
                              (gulong) event->length);
      trace = msc_trace_event_new (MSC_TRACE_KIND_TLS_RECORD, MSC_PROTOCOL_TLS, from, to, text);
      key = g_strdup (event->encrypted ? "tls.record.encrypted" : "tls.record.plaintext");
      break;

    case MSC_TLS_EVENT_HANDSHAKE_DONE:
      text = g_strdup_printf (_("Encrypted: %s, %s"), event->info->version, event->info->cipher);
      trace = msc_trace_event_new (MSC_TRACE_KIND_NOTE, MSC_PROTOCOL_TLS, local, peer, text);
      key = g_strdup ("tls.done");
      break;

    case MSC_TLS_EVENT_ERROR:
      trace = msc_trace_event_new (MSC_TRACE_KIND_NOTE, MSC_PROTOCOL_TLS,
                                   local, peer, event->error->message);
      key = g_strdup (tls_error_key (event->error));
      break;

    case MSC_TLS_EVENT_CLOSED:
    case MSC_TLS_N_EVENT_KINDS:
    default:
      return NULL;
    }

  if (event->data != NULL)
    msc_trace_event_set_bytes (trace, event->data);
  msc_trace_event_set_explanation_key (trace, key);

  return g_steal_pointer (&trace);
}
