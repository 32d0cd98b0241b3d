/* msc-trace.h — everything that happened, in order: the spine of the UI
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-trace-event.h"

G_BEGIN_DECLS

#define MSC_TYPE_TRACE (msc_trace_get_type ())

G_DECLARE_FINAL_TYPE (MscTrace, msc_trace, MSC, TRACE, GObject)

MscTrace *msc_trace_new            (void);
void      msc_trace_append         (MscTrace      *self,
                                    MscTraceEvent *event);
guint     msc_trace_next_connection (MscTrace     *self);
void      msc_trace_set_max_events (MscTrace      *self,
                                    guint          max_events);

G_END_DECLS
