/* msc-service.h — how a protocol's server engine plugs into whatever
 * carries its bytes: a live socket (net/) or a simulated link (sim/)
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-mail-store.h"
#include "msc-trace-event.h"

G_BEGIN_DECLS

/* ---- The host: one server-side connection, as the engine's driver sees it ---- */

#define MSC_TYPE_SERVICE_HOST (msc_service_host_get_type ())

G_DECLARE_INTERFACE (MscServiceHost, msc_service_host, MSC, SERVICE_HOST, GObject)

/* What the server running the connection is configured with.  Strings
 * are borrowed from the host and live as long as it does. */
typedef struct
{
  const char *hostname;             /* the server's name in greetings and Received */
  gboolean    allow_insecure_auth;  /* passwords outside TLS (teaching) */
  gint64      idle_timeout_usec;    /* 0: the engine's default */
  guint64     max_message_size;     /* 0: the engine's default */
  guint       apop_pid;             /* for the APOP timestamp (RFC 1939 §7) */
  guint64     apop_serial;          /* tells greetings at one instant apart; 0: a process-wide count */
} MscServiceSettings;

struct _MscServiceHostInterface
{
  GTypeInterface parent_iface;

  MscMailStore *(*get_store)          (MscServiceHost     *self);
  void          (*get_settings)       (MscServiceHost     *self,
                                       MscServiceSettings *settings);
  gboolean      (*is_implicit_tls)    (MscServiceHost     *self);
  gboolean      (*can_start_tls)      (MscServiceHost     *self);
  const char   *(*get_peer_address)   (MscServiceHost     *self);
  /* The names the trace uses for the two ends ("127.0.0.1:50312",
   * "phone"; "127.0.0.1:2525", "mail.example.com"). */
  const char   *(*get_client_endpoint) (MscServiceHost    *self);
  const char   *(*get_server_endpoint) (MscServiceHost    *self);
  /* Real time for a live server, virtual time in a lesson. */
  gint64        (*get_now)            (MscServiceHost     *self);
  /* Fills in connection and time, and appends to the trace. */
  void          (*record)             (MscServiceHost     *self,
                                       MscTraceEvent      *event);
  /* The engine raised STARTTLS: its "go ahead" is still to be written in
   * plaintext; everything after it is TLS. */
  void          (*start_tls)          (MscServiceHost     *self);
  /* Mail for other domains, accepted for relaying: the host queues it.
   * Until this returns TRUE, the client has not been told 250. */
  gboolean      (*queue_outbound)     (MscServiceHost     *self,
                                       const char         *reverse_path,
                                       const char * const *recipients,
                                       GBytes             *message,
                                       GError            **error);
  /* May be NULL.  Called before a message is stored: a host can refuse
   * it for now (a lesson's full disk: G_IO_ERROR_NO_SPACE → 452 4.3.1). */
  gboolean      (*check_storage)      (MscServiceHost     *self,
                                       GError            **error);
};

MscMailStore *msc_service_host_get_store           (MscServiceHost     *self);
void          msc_service_host_get_settings        (MscServiceHost     *self,
                                                    MscServiceSettings *settings);
gboolean      msc_service_host_is_implicit_tls     (MscServiceHost     *self);
gboolean      msc_service_host_can_start_tls       (MscServiceHost     *self);
const char   *msc_service_host_get_peer_address    (MscServiceHost     *self);
const char   *msc_service_host_get_client_endpoint (MscServiceHost     *self);
const char   *msc_service_host_get_server_endpoint (MscServiceHost     *self);
gint64        msc_service_host_get_now             (MscServiceHost     *self);
void          msc_service_host_record              (MscServiceHost     *self,
                                                    MscTraceEvent      *event);
void          msc_service_host_start_tls           (MscServiceHost     *self);
gboolean      msc_service_host_queue_outbound      (MscServiceHost     *self,
                                                    const char         *reverse_path,
                                                    const char * const *recipients,
                                                    GBytes             *message,
                                                    GError            **error);
gboolean      msc_service_host_check_storage       (MscServiceHost     *self,
                                                    GError            **error);

/* ---- The service: one protocol's engine behind a uniform face ---- */

/* The server engines share one face (feed, take_output, next_event, time
 * passed in), so one driver runs them all, as curl's pingpong layer
 * drives SMTP, IMAP and POP3; each protocol supplies this table.  The
 * engine is a GObject owned by the driver. */
typedef struct
{
  MscProtocol protocol;
  const char *name;               /* "smtp", "submission", … as printed by serve */

  GObject  *(*engine_new)   (MscServiceHost *host);
  void      (*start)        (GObject        *engine);
  gboolean  (*feed)         (GObject        *engine,
                             const guint8   *data,
                             gsize           len,
                             GError        **error);
  GBytes   *(*take_output)  (GObject        *engine);
  /* Turns every pending engine event into trace events and acts on it
   * (delivers a message, …). Returns TRUE if it handled at least one. */
  gboolean  (*drain_events) (GObject        *engine,
                             MscServiceHost *host);
  gboolean  (*want_read)    (GObject        *engine);
  gboolean  (*is_closed)    (GObject        *engine);
  void      (*set_now)      (GObject        *engine,
                             gint64          now_usec);
  gint64    (*get_deadline) (GObject        *engine);
  gboolean  (*check_timeout) (GObject       *engine);
  /* The TLS handshake the engine asked for with STARTTLS is done. */
  void      (*tls_started)  (GObject        *engine);
  /* The connection dropped before the protocol ended it; may be NULL.
   * POP3 uses it to release the maildrop without deleting anything. */
  void      (*abort)        (GObject        *engine);
} MscService;

extern const MscService msc_smtp_mx_service;
extern const MscService msc_smtp_submission_service;
extern const MscService msc_pop3_service;
extern const MscService msc_imap_service;

G_END_DECLS
