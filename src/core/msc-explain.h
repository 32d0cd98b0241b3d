/* msc-explain.h — every command and reply in plain words, with its RFC
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One entry of the explanation tables. @title and @text are marked with
 * N_() in the tables and translated when read through the getters. Keys:
 *   smtp.command.EHLO         a command, by its verb
 *   smtp.reply.550.5.1.1      a reply, by code and enhanced status code
 *   smtp.reply.550            a reply code alone (the fallback)
 *   pop3.command.RETR         a POP3 command
 *   pop3.reply.ok.RETR        +OK to a RETR (a POP3 reply means what it
 *   pop3.reply.err.DELE       answers); pop3.reply.ok / .err the fallbacks
 *   pop3.reply.code.IN-USE    an extended response code (RFC 2449 §8)
 *   pop3.reply.greeting, pop3.reply.continue
 *   imap.command.FETCH        an IMAP command (UID commands: imap.command.UID)
 *   imap.code.UIDVALIDITY     a response with a known response code
 *   imap.tagged.NO            a tagged response without one
 *   imap.untagged.EXISTS      an untagged response, by its name
 *   imap.continuation
 *   tls.handshake.ClientHello a TLS handshake message, by its MscTlsEvent name
 *   tls.alert.unknown_ca      a TLS alert, by its RFC 8446 §6 name; tls.alert
 *                             the fallback
 *   tls.record.encrypted, tls.done, tls.error.untrusted …
 *   net.connect.plain, net.connect.implicit-tls, net.close, net.refused
 *   dns.mx, dns.a, dns.nxdomain   the simulated world's resolver
 *   sim.bounce, sim.pop3.done …   what a lesson's servers and mail apps do
 *   store.server.added, store.device.changed …  a change in a mailbox
 */
typedef struct
{
  const char *key;
  const char *title;
  const char *text;
  const char *rfc;      /* "RFC 5321", or NULL when no RFC applies */
  const char *section;  /* "4.1.1.1", or NULL (always NULL without an RFC) */
} MscExplanation;

const MscExplanation *msc_explain_lookup            (const char           *key);
const MscExplanation *msc_explain_lookup_exact      (const char           *key);
GPtrArray            *msc_explain_list_all          (void);

const char           *msc_explanation_get_title     (const MscExplanation *self);
const char           *msc_explanation_get_text      (const MscExplanation *self);
char                 *msc_explanation_get_reference (const MscExplanation *self);

char                 *msc_explain_smtp_command_key  (const char           *verb,
                                                     gboolean              secret);
char                 *msc_explain_smtp_reply_key    (guint                 code,
                                                     const char           *enhanced);
char                 *msc_explain_pop3_command_key  (const char           *verb,
                                                     gboolean              secret);
char                 *msc_explain_pop3_reply_key    (const char           *last_verb,
                                                     const char           *status,
                                                     const char           *code);
char                 *msc_explain_imap_command_key  (const char           *name,
                                                     gboolean              secret);
char                 *msc_explain_imap_response_key (gboolean              tagged,
                                                     gboolean              continuation,
                                                     const char           *name,
                                                     const char           *code);
char                 *msc_explain_tls_handshake_key (const char           *name);
char                 *msc_explain_tls_alert_key     (const char           *description);

/* The per-protocol tables, for msc-explain.c. */
extern const MscExplanation msc_explain_smtp_entries[];
extern const gsize          msc_explain_smtp_n_entries;
extern const MscExplanation msc_explain_pop3_entries[];
extern const gsize          msc_explain_pop3_n_entries;
extern const MscExplanation msc_explain_imap_entries[];
extern const gsize          msc_explain_imap_n_entries;
extern const MscExplanation msc_explain_tls_entries[];
extern const gsize          msc_explain_tls_n_entries;
extern const MscExplanation msc_explain_world_entries[];
extern const gsize          msc_explain_world_n_entries;

G_END_DECLS
