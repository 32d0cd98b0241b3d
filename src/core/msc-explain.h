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
 */
typedef struct
{
  const char *key;
  const char *title;
  const char *text;
  const char *rfc;      /* "RFC 5321" */
  const char *section;  /* "4.1.1.1", or NULL */
} MscExplanation;

const MscExplanation *msc_explain_lookup            (const char           *key);
const MscExplanation *msc_explain_lookup_exact      (const char           *key);
const MscExplanation *msc_explain_get_all           (gsize                *n_entries);

const char           *msc_explanation_get_title     (const MscExplanation *self);
const char           *msc_explanation_get_text      (const MscExplanation *self);
char                 *msc_explanation_get_reference (const MscExplanation *self);

char                 *msc_explain_smtp_command_key  (const char           *verb,
                                                     gboolean              secret);
char                 *msc_explain_smtp_reply_key    (guint                 code,
                                                     const char           *enhanced);

/* The per-protocol tables, for msc-explain.c. */
extern const MscExplanation msc_explain_smtp_entries[];
extern const gsize          msc_explain_smtp_n_entries;

G_END_DECLS
