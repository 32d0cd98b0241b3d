/* msc-tls-trace.h — a TLS session's events as the chart shows them
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-tls-session.h"
#include "msc-trace-event.h"

G_BEGIN_DECLS

/* One conversion for every layer that runs TLS (a live connection, a
 * simulated link), so the chart reads the same whatever carried the bytes.
 * @local is the end running the session, @peer the other: what it sent
 * goes local → peer, what it received peer → local; the handshake's outcome
 * (done or failed) is a note from @local.  Handshake messages and alerts
 * become arrows, records what an eavesdropper sees on the wire.
 *
 * Returns: (transfer full) (nullable): the event without connection and
 * time, or %NULL for an event the chart does not show (CLOSED). */
MscTraceEvent *msc_tls_trace_event_new (const MscTlsEvent *event,
                                        const char        *local,
                                        const char        *peer);

G_END_DECLS
