/* msc-connection.h — one client on a live socket, driving one engine
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
MscLiveServer *msc_connection_get_server   (MscConnection     *self);
const char    *msc_connection_get_peer_address (MscConnection *self);
const char    *msc_connection_get_client_endpoint (MscConnection *self);
const char    *msc_connection_get_server_endpoint (MscConnection *self);
guint          msc_connection_get_id       (MscConnection     *self);
gboolean       msc_connection_is_implicit_tls (MscConnection  *self);
gboolean       msc_connection_can_start_tls (MscConnection    *self);
void           msc_connection_start_tls    (MscConnection     *self);
gint64         msc_connection_get_now      (MscConnection     *self);
/* Records EVENT in the server's trace, filling in connection and time. */
void           msc_connection_record       (MscConnection     *self,
                                            MscTraceEvent     *event);

G_END_DECLS
