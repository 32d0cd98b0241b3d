/* msc-server-session.h — one server engine with TLS around it, sans-IO:
 * the part of a server-side connection that a live socket (net/) and a
 * simulated link (sim/) share
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "msc-service.h"

G_BEGIN_DECLS

#define MSC_TYPE_SERVER_SESSION (msc_server_session_get_type ())

G_DECLARE_FINAL_TYPE (MscServerSession, msc_server_session, MSC, SERVER_SESSION, GObject)

/* @host is borrowed: the host owns the session and forwards its
 * start_tls() to msc_server_session_request_tls().  With @implicit_tls
 * the TLS handshake comes first and the engine starts (its greeting goes
 * out) once it is done, as on a real server's 465, 993 and 995.
 * @certificate and @key may be NULL when the host offers no TLS. */
MscServerSession *msc_server_session_new          (const MscService *service,
                                                   MscServiceHost   *host,
                                                   gboolean          implicit_tls,
                                                   X509             *certificate,
                                                   EVP_PKEY         *key);
void              msc_server_session_start        (MscServerSession *self);
/* Bytes from the client, as they came off the wire. */
void              msc_server_session_feed         (MscServerSession *self,
                                                   const guint8     *data,
                                                   gsize             len);
/* Moves things along after something outside the session (the mail
 * store) may have given the engine something to say. */
void              msc_server_session_pump         (MscServerSession *self);
/* The bytes to send, in order, as they go on the wire; NULL when none. */
GBytes           *msc_server_session_take_output  (MscServerSession *self);
/* For the host's start_tls(): the engine's "go ahead" goes out in
 * plaintext, everything after it through TLS. */
void              msc_server_session_request_tls  (MscServerSession *self);
/* TRUE once nothing more will come: the engine closed (a close_notify
 * is among the output) or TLS failed.  The host sends the output left,
 * then closes. */
gboolean          msc_server_session_is_finished  (MscServerSession *self);
/* Why it finished early, when TLS could not even start; else NULL. */
const char       *msc_server_session_get_failure  (MscServerSession *self);
/* Whether the session wants the client's bytes: the engine wants them,
 * or a TLS handshake does. */
gboolean          msc_server_session_wants_input  (MscServerSession *self);
/* When check_timeout() wants calling, in the host's time, or -1. */
gint64            msc_server_session_get_deadline (MscServerSession *self);
void              msc_server_session_check_timeout (MscServerSession *self);
/* The client went away before the protocol ended: nothing unfinished
 * counts (POP3 deletes nothing, a message without its dot is dropped). */
void              msc_server_session_abort        (MscServerSession *self);

G_END_DECLS
