/* msc-service.h — how a protocol plugs its engine into a live connection
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-trace-event.h"

G_BEGIN_DECLS

typedef struct _MscConnection MscConnection;

/* The six engines share one face (feed, take_output, next_event, time
 * passed in), so one connection type drives them all, as curl's pingpong
 * layer drives SMTP, IMAP and POP3; each protocol supplies this table. The
 * engine is a GObject owned by the connection. */
typedef struct
{
  MscProtocol protocol;
  const char *name;               /* "smtp", "submission", … as printed by serve */

  GObject  *(*engine_new)   (MscConnection  *connection);
  void      (*start)        (GObject        *engine);
  gboolean  (*feed)         (GObject        *engine,
                             const guint8   *data,
                             gsize           len,
                             GError        **error);
  GBytes   *(*take_output)  (GObject        *engine);
  /* Turns every pending engine event into trace events and acts on it
   * (delivers a message, …). Returns TRUE if it handled at least one. */
  gboolean  (*drain_events) (GObject        *engine,
                             MscConnection  *connection);
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
