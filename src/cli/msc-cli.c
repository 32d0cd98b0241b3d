/* msc-cli.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-cli.h"

int
msc_cli_usage_error (const char *message)
{
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());

  return MSC_CLI_EXIT_USAGE;
}

int
msc_cli_error (const char *format,
               ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s: %s\n", g_get_prgname (), message);

  return MSC_CLI_EXIT_FAILURE;
}

/* A password in a terminal log is a password on a screen share: the
 * transcript hides what a command marked secret carries, and keeps the
 * AUTH mechanism, which is what the learner needs to see. */
static char *
mask_secret (const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", 3);

  if (g_strv_length (words) >= 2 && g_ascii_strcasecmp (words[0], "AUTH") == 0)
    return g_strdup_printf ("%s %s ••••••", words[0], words[1]);
  /* IMAP: "A001 LOGIN user password" keeps its tag, verb and user. */
  if (g_strv_length (words) == 3 && g_ascii_strcasecmp (words[1], "LOGIN") == 0)
    {
      g_auto(GStrv) rest = g_strsplit (words[2], " ", 2);

      return g_strdup_printf ("%s %s %s ••••••", words[0], words[1], rest[0]);
    }

  return g_strdup ("••••••");
}

char *
msc_cli_event_text (MscTraceEvent *event)
{
  const char *text = msc_trace_event_get_text (event);
  g_autofree char *masked = NULL;

  if (msc_trace_event_get_secret (event))
    text = masked = mask_secret (text);

  switch (msc_trace_event_get_kind (event))
    {
    case MSC_TRACE_KIND_COMMAND:
    case MSC_TRACE_KIND_DATA:
      return g_strconcat ("C: ", text, NULL);
    case MSC_TRACE_KIND_REPLY:
      return g_strconcat ("S: ", text, NULL);
    default:
      return g_strdup (text);
    }
}

char *
msc_cli_format_event (MscTraceEvent *event)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *masked = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  const char *text = msc_trace_event_get_text (event);
  const char *prefix;
  g_auto(GStrv) lines = NULL;

  {
    gint64 usec = msc_trace_event_get_time (event);
    g_autofree char *seconds = NULL;

    time = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
    seconds = g_date_time_format (time, "%H:%M:%S");
    stamp = g_strdup_printf ("%s.%03d", seconds, (int) (usec % G_USEC_PER_SEC / 1000));
  }

  switch (msc_trace_event_get_kind (event))
    {
    case MSC_TRACE_KIND_COMMAND:
    case MSC_TRACE_KIND_DATA:
      prefix = "C:";
      break;
    case MSC_TRACE_KIND_REPLY:
      prefix = "S:";
      break;
    default:
      prefix = "--";
    }

  if (msc_trace_event_get_secret (event))
    text = masked = mask_secret (text);

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);
      if (i > 0)
        g_string_append_c (line, '\n');
      g_string_append_printf (line, "%s [%u] %s %s %s", stamp,
                              msc_trace_event_get_connection (event),
                              msc_protocol_to_string (msc_trace_event_get_protocol (event)),
                              prefix, lines[i]);
    }

  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (model, i);
      g_autofree char *text = NULL;

      /* Every TLS record would drown the conversation in a terminal; the
       * handshake messages and the outcome are printed. */
      if (msc_trace_event_get_kind (event) == MSC_TRACE_KIND_TLS_RECORD)
        continue;
      text = msc_cli_format_event (event);

      g_print ("%s\n", text);
    }
}

void
msc_cli_print_trace_as_it_grows (MscTrace *trace)
{
  g_signal_connect (trace, "items-changed", G_CALLBACK (on_items_changed_cb), NULL);
}
