/* msc-live-server.h — the engines behind real sockets, for real clients
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-certs.h"
#include "msc-connection.h"
#include "msc-mail-store.h"
#include "msc-service.h"
#include "msc-trace.h"

G_BEGIN_DECLS

#define MSC_TYPE_LIVE_SERVER (msc_live_server_get_type ())

G_DECLARE_FINAL_TYPE (MscLiveServer, msc_live_server, MSC, LIVE_SERVER, GObject)

MscLiveServer *msc_live_server_new                 (MscMailStore     *store,
                                                    const char       *hostname);
MscMailStore  *msc_live_server_get_store           (MscLiveServer    *self);
MscTrace      *msc_live_server_get_trace           (MscLiveServer    *self);
const char    *msc_live_server_get_hostname        (MscLiveServer    *self);
gboolean       msc_live_server_get_insecure_auth   (MscLiveServer    *self);
void           msc_live_server_set_insecure_auth   (MscLiveServer    *self,
                                                    gboolean          insecure_auth);
gint64         msc_live_server_get_idle_timeout    (MscLiveServer    *self);
void           msc_live_server_set_idle_timeout    (MscLiveServer    *self,
                                                    gint64            timeout_usec);
guint64        msc_live_server_get_max_message_size (MscLiveServer   *self);
void           msc_live_server_set_max_message_size (MscLiveServer   *self,
                                                    guint64           size);
void           msc_live_server_set_outbound_dir    (MscLiveServer    *self,
                                                    const char       *dir);
const char    *msc_live_server_get_outbound_dir    (MscLiveServer    *self);
guint          msc_live_server_get_n_connections   (MscLiveServer    *self);

/* Loads (or makes) the teaching CA and this server's certificate in DIR;
 * from then on the plain ports offer STARTTLS and implicit-TLS ports work. */
gboolean       msc_live_server_enable_tls          (MscLiveServer    *self,
                                                    const char       *dir,
                                                    GError          **error);
MscCertStore  *msc_live_server_get_cert_store      (MscLiveServer    *self);
gboolean       msc_live_server_get_identity        (MscLiveServer    *self,
                                                    X509            **certificate,
                                                    EVP_PKEY        **key);

/* LABEL names the port in the trace ("smtps"); IMPLICIT_TLS makes the
 * client start TLS before anything else (465, 993, 995). */
gboolean       msc_live_server_listen              (MscLiveServer    *self,
                                                    const MscService *service,
                                                    const char       *label,
                                                    gboolean          implicit_tls,
                                                    const char       *host,
                                                    guint16           port,
                                                    guint16          *bound_port,
                                                    GError          **error);
void           msc_live_server_stop                (MscLiveServer    *self);

/* For the services: keep a message for another domain. A live server never
 * sends mail off this machine; it keeps it durably in the outbound folder. */
gboolean       msc_live_server_queue_outbound      (MscLiveServer    *self,
                                                    const char       *reverse_path,
                                                    const char * const *recipients,
                                                    GBytes           *message,
                                                    GError          **error);

/* For MscConnection. */
void           _msc_live_server_connection_closed  (MscLiveServer    *self,
                                                    MscConnection    *connection);

G_END_DECLS
