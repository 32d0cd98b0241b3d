/* msc-link.h — one TCP connection inside the simulated world: a client
 * engine (a device's mail app, or a server relaying) at one end, a
 * server engine behind a service at the other, bytes carried with
 * latency in virtual time, and TLS on both ends when the port or
 * STARTTLS asks for it
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <openssl/x509.h>

#include "msc-clock.h"
#include "msc-service.h"
#include "msc-trace.h"

G_BEGIN_DECLS

#define MSC_TYPE_LINK (msc_link_get_type ())

G_DECLARE_FINAL_TYPE (MscLink, msc_link, MSC, LINK, GObject)

/* The server end: what the server running the service has.  Borrowed:
 * it must outlive the link. */
typedef struct
{
  MscMailStore        *store;
  MscServiceSettings   settings;
  X509                *certificate;   /* NULL: no TLS at all */
  EVP_PKEY            *key;
  gboolean           (*queue_outbound) (gpointer            user_data,
                                        const char         *reverse_path,
                                        const char * const *recipients,
                                        GBytes             *message,
                                        GError            **error);
  gboolean           (*check_storage)  (gpointer            user_data,
                                        GError            **error);
  gpointer             user_data;
} MscLinkServer;

/* The client end: the four client engines share one face too. */
typedef struct
{
  void      (*start)         (GObject       *engine);
  gboolean  (*feed)          (GObject       *engine,
                              const guint8  *data,
                              gsize          len,
                              GError       **error);
  GBytes   *(*take_output)   (GObject       *engine);
  gboolean  (*is_closed)     (GObject       *engine);
  void      (*set_now)       (GObject       *engine,
                              gint64         now_usec);
  gint64    (*get_deadline)  (GObject       *engine);
  gboolean  (*check_timeout) (GObject       *engine);
  void      (*tls_started)   (GObject       *engine);
  /* The server hung up; may be NULL. */
  gboolean  (*peer_closed)   (GObject       *engine,
                              GError       **error);
  /* Acts on the engine's events (calling msc_link_client_start_tls() on
   * its STARTTLS); returns TRUE if there was at least one. */
  gboolean  (*drain_events)  (GObject       *engine,
                              MscLink       *link,
                              gpointer       user_data);
} MscLinkClientOps;

/* Called once, when both ends are closed.  @error says why the client's
 * end ended early (refused, TLS failed, network lost), else NULL. */
typedef void (*MscLinkClosedFunc) (MscLink      *link,
                                   const GError *error,
                                   gpointer      user_data);

typedef struct
{
  MscClock                *clock;
  MscTrace                *trace;
  gint64                   latency_usec;      /* one way */

  const char              *client_name;       /* "phone", "mail.example.com" */
  const char              *client_address;    /* its IP, for Received fields */
  const char              *server_name;       /* the host name the client asked for */
  guint                    port;
  const char              *label;             /* the port's service name: "imaps" */
  gboolean                 implicit_tls;

  const MscService        *service;           /* NULL: nobody listens (connection refused) */
  const MscLinkServer     *server;

  const MscLinkClientOps  *client_ops;
  GObject                 *client_engine;     /* referenced */
  X509                    *ca;                /* what the client trusts */
  MscLinkClosedFunc        closed;
  gpointer                 user_data;
} MscLinkConfig;

/* Starts connecting now: the server end is up after one latency, the
 * client's after two (SYN, SYN-ACK).  The link holds itself alive until
 * it has called @closed. */
MscLink  *msc_link_open              (const MscLinkConfig *config);
/* For drain_events: the client engine asked for STARTTLS. */
void      msc_link_client_start_tls  (MscLink             *self);
/* Moves the server's end along after its store changed: an IMAP session
 * in IDLE has news to tell at once. */
void      msc_link_pump_server       (MscLink             *self);
/* NULL when the connection was refused. */
const MscLinkServer *msc_link_get_server (MscLink         *self);
/* Moves the client's end along after something outside the link gave
 * its engine work (an action queued on an IMAP session). */
void      msc_link_pump_client       (MscLink             *self);
/* The network went away under the connection (a device going offline):
 * both ends see it at once, and nothing more is carried. */
void      msc_link_abort             (MscLink             *self,
                                      const char          *reason);
gboolean  msc_link_is_closed         (MscLink             *self);
guint     msc_link_get_id            (MscLink             *self);
GObject  *msc_link_get_client_engine (MscLink             *self);
/* Appends @event to the trace as part of this connection, now. */
void      msc_link_record            (MscLink             *self,
                                      MscTraceEvent       *event);

G_END_DECLS
