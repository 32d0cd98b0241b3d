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

static GHashTable *
get_index (void)
{
  static GHashTable *index;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);

      for (gsize i = 0; i < msc_explain_smtp_n_entries; i++)
        {
          g_assert (!g_hash_table_contains (table, msc_explain_smtp_entries[i].key));
          g_hash_table_insert (table, (gpointer) msc_explain_smtp_entries[i].key,
                               (gpointer) &msc_explain_smtp_entries[i]);
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

  return NULL;
}

const MscExplanation *
msc_explain_get_all (gsize *n_entries)
{
  g_return_val_if_fail (n_entries != NULL, NULL);

  *n_entries = msc_explain_smtp_n_entries;
  return msc_explain_smtp_entries;
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

char *
msc_explanation_get_reference (const MscExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

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
