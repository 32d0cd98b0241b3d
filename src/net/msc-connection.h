/* msc-connection.h — one client on a live socket, driving one engine; it
 * is the MscServiceHost the engine's service talks to
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-service.h"
#include "msc-trace.h"

G_BEGIN_DECLS

typedef struct _MscLiveServer MscLiveServer;

#define MSC_TYPE_CONNECTION (msc_connection_get_type ())

G_DECLARE_FINAL_TYPE (MscConnection, msc_connection, MSC, CONNECTION, GObject)

MscConnection *msc_connection_new          (MscLiveServer     *server,
                                            const MscService  *service,
                                            const char        *label,
                                            gboolean           implicit_tls,
                                            GSocketConnection *socket_connection);
void           msc_connection_start        (MscConnection     *self);
void           msc_connection_close        (MscConnection     *self);
/* Moves things along: the engine's events, its output, reading. The
 * server calls it when something outside the connection (the mail store)
 * may have given the engine something to say, e.g. to a client in IDLE. */
void           msc_connection_pump         (MscConnection     *self);
guint          msc_connection_get_id       (MscConnection     *self);

G_END_DECLS
