/* msc-explain.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-explain"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "msc-explain.h"

static const struct {
  const MscExplanation *entries;
  const gsize          *n_entries;
} tables[] = {
  { msc_explain_smtp_entries, &msc_explain_smtp_n_entries },
  { msc_explain_pop3_entries, &msc_explain_pop3_n_entries },
  { msc_explain_imap_entries, &msc_explain_imap_n_entries },
  { msc_explain_tls_entries, &msc_explain_tls_n_entries },
  { msc_explain_world_entries, &msc_explain_world_n_entries },
};

static GHashTable *
get_index (void)
{
  static GHashTable *index;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);

      for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
        for (gsize i = 0; i < *tables[t].n_entries; i++)
          {
            const MscExplanation *entry = &tables[t].entries[i];

            g_assert (!g_hash_table_contains (table, entry->key));
            g_hash_table_insert (table, (gpointer) entry->key, (gpointer) entry);
          }

      index = table;
      g_once_init_leave (&initialized, 1);
    }

  return index;
}

const MscExplanation *
msc_explain_lookup_exact (const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (get_index (), key);
}

/* A reply with an enhanced status code the table does not know still gets
 * the explanation of its basic code, and that of its class after that:
 * "smtp.reply.550.5.1.10" → "smtp.reply.550" → "smtp.reply.5xx". */
const MscExplanation *
msc_explain_lookup (const char *key)
{
  g_autofree char *prefix = NULL;
  const MscExplanation *found;

  g_return_val_if_fail (key != NULL, NULL);

  if ((found = msc_explain_lookup_exact (key)) != NULL)
    return found;

  if (g_str_has_prefix (key, "smtp.reply.") && strlen (key) >= strlen ("smtp.reply.") + 3)
    {
      const char *code = key + strlen ("smtp.reply.");

      prefix = g_strdup_printf ("smtp.reply.%.3s", code);
      if ((found = msc_explain_lookup_exact (prefix)) != NULL)
        return found;

      g_free (prefix);
      prefix = g_strdup_printf ("smtp.reply.%cxx", code[0]);
      return msc_explain_lookup_exact (prefix);
    }

  if (g_str_has_prefix (key, "smtp.command."))
    return msc_explain_lookup_exact ("smtp.command.unknown");

  if (g_str_has_prefix (key, "imap.command."))
    return msc_explain_lookup_exact ("imap.command.unknown");

  if (g_str_has_prefix (key, "pop3.command."))
    return msc_explain_lookup_exact ("pop3.command.unknown");

  if (g_str_has_prefix (key, "pop3.reply.ok."))
    return msc_explain_lookup_exact ("pop3.reply.ok");

  if (g_str_has_prefix (key, "pop3.reply.err.") || g_str_has_prefix (key, "pop3.reply.code."))
    return msc_explain_lookup_exact ("pop3.reply.err");

  if (g_str_has_prefix (key, "tls.handshake."))
    return msc_explain_lookup_exact ("tls.handshake.unknown");

  if (g_str_has_prefix (key, "tls.alert."))
    return msc_explain_lookup_exact ("tls.alert");

  return NULL;
}

/* Every entry of every protocol, in table order; free the array only. */
GPtrArray *
msc_explain_list_all (void)
{
  GPtrArray *all = g_ptr_array_new ();

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (gsize i = 0; i < *tables[t].n_entries; i++)
      g_ptr_array_add (all, (gpointer) &tables[t].entries[i]);

  return all;
}

const char *
msc_explanation_get_title (const MscExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_dgettext (GETTEXT_PACKAGE, self->title);
}

const char *
msc_explanation_get_text (const MscExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_dgettext (GETTEXT_PACKAGE, self->text);
}

/* "RFC 5321 §4.1.1.1", "RFC 5321", or NULL for an entry no RFC covers
 * (a change in a device's mailbox). */
char *
msc_explanation_get_reference (const MscExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->rfc == NULL)
    return NULL;

  if (self->section == NULL)
    return g_strdup (self->rfc);

  return g_strdup_printf ("%s §%s", self->rfc, self->section);
}

char *
msc_explain_smtp_command_key (const char *verb,
                              gboolean    secret)
{
  if (verb == NULL)
    return g_strdup (secret ? "smtp.command.sasl-response" : "smtp.command.unknown");

  {
    g_autofree char *upper = g_ascii_strup (verb, -1);
    g_autofree char *key = g_strconcat ("smtp.command.", upper, NULL);

    if (msc_explain_lookup_exact (key) == NULL)
      return g_strdup ("smtp.command.unknown");

    return g_steal_pointer (&key);
  }
}

char *
msc_explain_smtp_reply_key (guint       code,
                            const char *enhanced)
{
  if (enhanced == NULL || *enhanced == '\0')
    return g_strdup_printf ("smtp.reply.%u", code);

  return g_strdup_printf ("smtp.reply.%u.%s", code, enhanced);
}

char *
msc_explain_pop3_command_key (const char *verb,
                              gboolean    secret)
{
  g_autofree char *upper = NULL;
  g_autofree char *key = NULL;

  if (verb == NULL)
    return g_strdup (secret ? "pop3.command.sasl-response" : "pop3.command.unknown");

  upper = g_ascii_strup (verb, -1);
  key = g_strconcat ("pop3.command.", upper, NULL);
  if (msc_explain_lookup_exact (key) == NULL)
    return g_strdup ("pop3.command.unknown");

  return g_steal_pointer (&key);
}

/* @last_verb: NULL before the first command (the greeting), "" after a
 * line that had no verb. @status: "+OK", "-ERR" or "+". */
char *
msc_explain_pop3_reply_key (const char *last_verb,
                            const char *status,
                            const char *code)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (status != NULL, NULL);

  if (g_str_equal (status, "+"))
    return g_strdup ("pop3.reply.continue");

  if (code != NULL && *code != '\0')
    return g_strconcat ("pop3.reply.code.", code, NULL);

  if (last_verb == NULL && g_str_equal (status, "+OK"))
    return g_strdup ("pop3.reply.greeting");

  upper = g_ascii_strup (last_verb != NULL && *last_verb != '\0' ? last_verb : "unknown", -1);
  {
    /* A verb the server does not know gets the reply to unknown commands. */
    g_autofree char *command = g_strconcat ("pop3.command.", upper, NULL);

    if (msc_explain_lookup_exact (command) == NULL)
      {
        g_free (upper);
        upper = g_strdup ("UNKNOWN");
      }
  }

  return g_strdup_printf ("pop3.reply.%s.%s", g_str_equal (status, "+OK") ? "ok" : "err", upper);
}

char *
msc_explain_imap_command_key (const char *name,
                              gboolean    secret)
{
  g_autofree char *upper = NULL;
  g_autofree char *key = NULL;

  if (name == NULL)
    return g_strdup (secret ? "imap.command.sasl-response" : "imap.command.unknown");

  upper = g_ascii_strup (name, -1);
  key = g_strconcat ("imap.command.", upper, NULL);
  if (msc_explain_lookup_exact (key) == NULL)
    return g_strdup ("imap.command.unknown");

  return g_steal_pointer (&key);
}

/* A response code says more than the status around it ("NO [TRYCREATE]"
 * is about the missing folder), so a known code wins. */
char *
msc_explain_imap_response_key (gboolean    tagged,
                               gboolean    continuation,
                               const char *name,
                               const char *code)
{
  g_autofree char *upper = NULL;

  if (continuation)
    return g_strdup ("imap.continuation");

  if (code != NULL && *code != '\0')
    {
      g_autofree char *code_upper = g_ascii_strup (code, -1);
      g_autofree char *key = g_strconcat ("imap.code.", code_upper, NULL);

      if (msc_explain_lookup_exact (key) != NULL)
        return g_steal_pointer (&key);
    }

  upper = g_ascii_strup (name != NULL ? name : "BAD", -1);

  return g_strconcat (tagged ? "imap.tagged." : "imap.untagged.", upper, NULL);
}

/* @name: an MscTlsEvent's name for a HANDSHAKE_MESSAGE ("ClientHello",
 * "ChangeCipherSpec"), case as RFC 8446 writes it. */
char *
msc_explain_tls_handshake_key (const char *name)
{
  g_autofree char *key = NULL;

  if (name == NULL || *name == '\0')
    return g_strdup ("tls.handshake.unknown");

  key = g_strconcat ("tls.handshake.", name, NULL);
  if (msc_explain_lookup_exact (key) == NULL)
    return g_strdup ("tls.handshake.unknown");

  return g_steal_pointer (&key);
}

/* @description: an ALERT event's alert_text as OpenSSL words it ("unknown
 * CA", "close notify", "unexpected_message") or the RFC 8446 §6 name
 * ("unknown_ca"); both come down to the RFC name.  An alert without an
 * entry of its own (OpenSSL says "unknown" for the codes it has no words
 * for) gets the general one. */
char *
msc_explain_tls_alert_key (const char *description)
{
  g_autofree char *name = NULL;
  g_autofree char *key = NULL;

  if (description == NULL || *description == '\0')
    return g_strdup ("tls.alert");

  name = g_ascii_strdown (description, -1);
  g_strdelimit (name, " -", '_');
  key = g_strconcat ("tls.alert.", name, NULL);
  if (msc_explain_lookup_exact (key) == NULL)
    return g_strdup ("tls.alert");

  return g_steal_pointer (&key);
}
