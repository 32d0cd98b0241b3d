/* msc-cli-run.c — mailscope-cli lessons and mailscope-cli run: a lesson's
 * world in a terminal, its transcript and its end state
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "msc-cli.h"
#include "msc-explain.h"
#include "msc-lesson.h"
#include "msc-world.h"

typedef enum
{
  FORMAT_TEXT,
  FORMAT_JSON,
} Format;

/* ---- Text layout: columns that stay aligned with Chinese in them ---- */

static guint
display_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }

  return width;
}

static void
append_padded (GString    *line,
               const char *text,
               guint       width)
{
  guint used = display_width (text);

  g_string_append (line, text);
  for (; used < width; used++)
    g_string_append_c (line, ' ');
}

static char *
format_time (gint64 usec)
{
  gint64 ms = usec / 1000;

  if (ms >= 3600 * 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d.%03d", ms / 3600000,
                            (int) (ms / 60000 % 60), (int) (ms / 1000 % 60), (int) (ms % 1000));

  return g_strdup_printf ("%02d:%02d.%03d", (int) (ms / 60000), (int) (ms / 1000 % 60), (int) (ms % 1000));
}

static const char *
protocol_label (MscTraceEvent *event)
{
  switch (msc_trace_event_get_kind (event))
    {
    case MSC_TRACE_KIND_CONNECT:
    case MSC_TRACE_KIND_CLOSE:
      return "TCP";
    case MSC_TRACE_KIND_STORE_CHANGE:
      return _("store");
    default:
      break;
    }

  switch (msc_trace_event_get_protocol (event))
    {
    case MSC_PROTOCOL_SMTP:
      return "SMTP";
    case MSC_PROTOCOL_POP3:
      return "POP3";
    case MSC_PROTOCOL_IMAP:
      return "IMAP";
    case MSC_PROTOCOL_TLS:
      return "TLS";
    case MSC_PROTOCOL_DNS:
      return "DNS";
    case MSC_PROTOCOL_NONE:
    default:
      return "";
    }
}

static const char *
presence_name (MscLessonPresence presence)
{
  switch (presence)
    {
    case MSC_LESSON_PRESENCE_READ:
      return _("read");
    case MSC_LESSON_PRESENCE_UNREAD:
      return _("unread");
    case MSC_LESSON_PRESENCE_ABSENT:
    default:
      return _("absent");
    }
}

static char *
format_cell (const MscWorldCell *cell)
{
  if (cell->presence == MSC_LESSON_PRESENCE_ABSENT)
    return g_strdup ("—");
  if (!cell->complete)
    /* Translators: read or unread, a folder; only the header was downloaded. */
    return g_strdup_printf (_("%s · %s (header)"), presence_name (cell->presence), cell->folder);

  return g_strdup_printf ("%s · %s", presence_name (cell->presence), cell->folder);
}

static void
print_transcript (MscWorld *world,
                  gboolean  explain)
{
  MscTrace *trace = msc_world_get_trace (world);
  gint64 start = msc_clock_get_start (msc_world_get_clock (world));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (trace));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (G_LIST_MODEL (trace), i);
      g_autofree char *time = format_time (msc_trace_event_get_time (event) - start);
      g_autofree char *text = msc_cli_event_text (event);
      g_autoptr(GString) line = g_string_new (NULL);
      const char *key = msc_trace_event_get_explanation_key (event);

      if (msc_trace_event_get_kind (event) == MSC_TRACE_KIND_STEP)
        {
          g_print ("\n%s  ━━ %s\n", time, text);
          continue;
        }

      g_string_append_printf (line, "%s  ", time);
      {
        g_autofree char *ends = NULL;

        if (g_strcmp0 (msc_trace_event_get_from (event), msc_trace_event_get_to (event)) == 0)
          ends = g_strdup (msc_trace_event_get_from (event));
        else
          ends = g_strdup_printf ("%s → %s", msc_trace_event_get_from (event), msc_trace_event_get_to (event));
        append_padded (line, ends, 30);
      }
      g_string_append_c (line, ' ');
      append_padded (line, protocol_label (event), 6);
      g_string_append (line, text);
      g_print ("%s\n", line->str);

      if (explain && key != NULL)
        {
          const MscExplanation *explanation = msc_explain_lookup (key);

          if (explanation != NULL)
            g_print ("%*s%s — %s\n", 12, "", msc_explanation_get_title (explanation),
                     msc_explanation_get_text (explanation));
        }
    }
}

static void
print_end_state (MscWorld *world)
{
  g_auto(GStrv) places = msc_world_list_places (world);
  g_auto(GStrv) rows = msc_world_list_rows (world);
  guint n_places = g_strv_length (places);
  g_autofree guint *widths = g_new0 (guint, n_places + 1);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

  /* Lay out first, so every column is as wide as its widest cell. */
  widths[0] = display_width (_("Message"));
  for (guint r = 0; rows[r] != NULL; r++)
    {
      char *label = msc_world_get_row_label (world, rows[r]);

      widths[0] = MAX (widths[0], display_width (label));
      g_ptr_array_add (labels, label);
      for (guint p = 0; p < n_places; p++)
        {
          g_auto(MscWorldCell) cell = { 0 };
          char *text;

          msc_world_locate (world, rows[r], places[p], &cell);
          text = format_cell (&cell);
          widths[p + 1] = MAX (widths[p + 1], display_width (text));
          g_ptr_array_add (cells, text);
        }
    }
  for (guint p = 0; p < n_places; p++)
    widths[p + 1] = MAX (widths[p + 1], display_width (places[p]));

  g_print ("\n%s\n", _("End state"));
  {
    g_autoptr(GString) line = g_string_new (NULL);

    append_padded (line, _("Message"), widths[0] + 2);
    for (guint p = 0; p < n_places; p++)
      append_padded (line, places[p], widths[p + 1] + 2);
    g_print ("%s\n", g_strchomp (line->str));
  }
  for (guint r = 0; rows[r] != NULL; r++)
    {
      g_autoptr(GString) line = g_string_new (NULL);

      append_padded (line, g_ptr_array_index (labels, r), widths[0] + 2);
      for (guint p = 0; p < n_places; p++)
        append_padded (line, g_ptr_array_index (cells, r * n_places + p), widths[p + 1] + 2);
      g_print ("%s\n", g_strchomp (line->str));
    }
}

/* Prints what became of the lesson's promises; TRUE when all held. */
static gboolean
print_expectations (MscWorld *world)
{
  g_autoptr(GPtrArray) failures = NULL;
  guint n = msc_lesson_get_expectations (msc_world_get_lesson (world))->len;

  if (msc_world_check_expectations (world, &failures))
    {
      if (n > 0)
        {
          g_print ("\n");
          g_print (g_dngettext (GETTEXT_PACKAGE, "The lesson’s %u expectation held.\n",
                                "All %u of the lesson’s expectations held.\n", n), n);
        }
      return TRUE;
    }

  g_print ("\n");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u of the lesson’s %u expectations did not hold:\n",
                        "%u of the lesson’s %u expectations did not hold:\n", failures->len),
           failures->len, n);
  for (guint i = 0; i < failures->len; i++)
    g_print ("  • %s\n", (const char *) g_ptr_array_index (failures, i));

  return FALSE;
}

/* ---- JSON, written by hand: the shapes are few and fixed ---- */

static void
json_string (GString    *out,
             const char *text)
{
  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

static void
json_events (GString  *out,
             MscWorld *world,
             gboolean  explain)
{
  MscTrace *trace = msc_world_get_trace (world);
  gint64 start = msc_clock_get_start (msc_world_get_clock (world));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (trace));

  g_string_append (out, "[");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MscTraceEvent) event = g_list_model_get_item (G_LIST_MODEL (trace), i);
      g_autofree char *text = msc_cli_event_text (event);
      const char *key = msc_trace_event_get_explanation_key (event);

      g_string_append_printf (out, "%s\n    {\"time_ms\": %.3f, \"kind\": ", i > 0 ? "," : "",
                              (msc_trace_event_get_time (event) - start) / 1000.0);
      json_string (out, msc_trace_kind_to_string (msc_trace_event_get_kind (event)));
      g_string_append (out, ", \"protocol\": ");
      json_string (out, msc_protocol_to_string (msc_trace_event_get_protocol (event)));
      g_string_append_printf (out, ", \"connection\": %u, \"from\": ", msc_trace_event_get_connection (event));
      json_string (out, msc_trace_event_get_from (event));
      g_string_append (out, ", \"to\": ");
      json_string (out, msc_trace_event_get_to (event));
      g_string_append (out, ", \"text\": ");
      json_string (out, text);
      if (msc_trace_event_get_reply_code (event) != 0)
        g_string_append_printf (out, ", \"reply_code\": %u", msc_trace_event_get_reply_code (event));
      if (key != NULL)
        {
          g_string_append (out, ", \"explanation_key\": ");
          json_string (out, key);
          if (explain && msc_explain_lookup (key) != NULL)
            {
              const MscExplanation *explanation = msc_explain_lookup (key);

              g_string_append (out, ", \"explanation\": ");
              json_string (out, msc_explanation_get_text (explanation));
            }
        }
      g_string_append (out, "}");
    }
  g_string_append (out, "\n  ]");
}

static void
json_end_state (GString  *out,
                MscWorld *world)
{
  g_auto(GStrv) places = msc_world_list_places (world);
  g_auto(GStrv) rows = msc_world_list_rows (world);
  g_autoptr(GPtrArray) failures = NULL;
  gboolean held = msc_world_check_expectations (world, &failures);

  g_string_append (out, "{\"places\": [");
  for (guint p = 0; places[p] != NULL; p++)
    {
      if (p > 0)
        g_string_append (out, ", ");
      json_string (out, places[p]);
    }
  g_string_append (out, "], \"messages\": [");
  for (guint r = 0; rows[r] != NULL; r++)
    {
      g_autofree char *label = msc_world_get_row_label (world, rows[r]);

      g_string_append_printf (out, "%s\n    {\"id\": ", r > 0 ? "," : "");
      json_string (out, rows[r]);
      g_string_append (out, ", \"label\": ");
      json_string (out, label);
      g_string_append (out, ", \"at\": {");
      for (guint p = 0; places[p] != NULL; p++)
        {
          g_auto(MscWorldCell) cell = { 0 };
          static const char *names[] = { "absent", "read", "unread" };

          msc_world_locate (world, rows[r], places[p], &cell);
          g_string_append (out, p > 0 ? ", " : "");
          json_string (out, places[p]);
          g_string_append (out, ": {\"state\": ");
          json_string (out, names[cell.presence]);
          g_string_append (out, ", \"folder\": ");
          json_string (out, cell.folder);
          g_string_append_printf (out, ", \"complete\": %s}", cell.complete ? "true" : "false");
        }
      g_string_append (out, "}}");
    }
  g_string_append_printf (out, "\n  ], \"expectations_held\": %s, \"failures\": [", held ? "true" : "false");
  for (guint i = 0; i < failures->len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      json_string (out, g_ptr_array_index (failures, i));
    }
  g_string_append (out, "]}");
}

/* ---- Finding and running a lesson ---- */

static MscLesson *
find_lesson (const char  *name,
             GError     **error)
{
  g_autoptr(GPtrArray) lessons = NULL;

  /* A path runs a lesson being written; a bare id, an installed one. */
  if (strchr (name, '/') != NULL || g_str_has_suffix (name, ".lesson"))
    return msc_lesson_load_file (name, error);

  lessons = msc_lesson_load_all (NULL, NULL);
  for (guint i = 0; i < lessons->len; i++)
    {
      MscLesson *lesson = g_ptr_array_index (lessons, i);

      if (g_strcmp0 (msc_lesson_get_id (lesson), name) == 0)
        return g_object_ref (lesson);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("There is no lesson “%s”; “mailscope-cli lessons” lists them"), name);
  return NULL;
}

static MscWorld *
run_world (MscLesson  *lesson,
           int         incoming,
           GError    **error)
{
  MscWorldOptions options = { .incoming = incoming };
  g_autoptr(MscWorld) world = msc_world_new (lesson, &options, error);

  if (world == NULL || !msc_world_run (world, error))
    return NULL;

  return g_steal_pointer (&world);
}

/* The lesson as written uses one protocol on every device: the run of
 * that protocol is the one its expectations are about. */
static int
lesson_protocol (MscLesson *lesson)
{
  GPtrArray *devices = msc_lesson_get_devices (lesson);
  int protocol = -1;

  for (guint i = 0; i < devices->len; i++)
    {
      MscLessonDevice *device = g_ptr_array_index (devices, i);

      if (protocol >= 0 && protocol != (int) device->incoming)
        return -1;
      protocol = device->incoming;
    }

  return protocol;
}

static int
run_compare (MscLesson *lesson,
             Format     format)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MscWorld) pop3 = run_world (lesson, MSC_INCOMING_POP3, &error);
  g_autoptr(MscWorld) imap = pop3 != NULL ? run_world (lesson, MSC_INCOMING_IMAP, &error) : NULL;
  int own = lesson_protocol (lesson);
  gboolean held = TRUE;

  if (imap == NULL)
    return msc_cli_error ("%s", error->message);

  if (own == MSC_INCOMING_POP3)
    held = msc_world_check_expectations (pop3, NULL);
  else if (own == MSC_INCOMING_IMAP)
    held = msc_world_check_expectations (imap, NULL);

  if (format == FORMAT_JSON)
    {
      g_autoptr(GString) out = g_string_new ("{\"lesson\": ");

      json_string (out, msc_lesson_get_id (lesson));
      g_string_append (out, ",\n  \"pop3\": ");
      json_end_state (out, pop3);
      g_string_append (out, ",\n  \"imap\": ");
      json_end_state (out, imap);
      g_string_append (out, "}\n");
      g_print ("%s", out->str);
      return held ? EXIT_SUCCESS : MSC_CLI_EXIT_FAILURE;
    }

  {
    g_auto(GStrv) places = msc_world_list_places (imap);
    g_auto(GStrv) imap_rows = msc_world_list_rows (imap);
    g_auto(GStrv) pop3_rows = msc_world_list_rows (pop3);
    g_autoptr(GPtrArray) rows = g_ptr_array_new ();
    guint widths[4] = { display_width (_("Message")), display_width (_("Where")), 4, 4 };
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

    /* A bounce may be in one world only: the rows are the union. */
    for (guint i = 0; imap_rows[i] != NULL; i++)
      g_ptr_array_add (rows, imap_rows[i]);
    for (guint i = 0; pop3_rows[i] != NULL; i++)
      if (!g_strv_contains ((const char * const *) imap_rows, pop3_rows[i]))
        g_ptr_array_add (rows, pop3_rows[i]);

    for (guint r = 0; r < rows->len; r++)
      for (guint p = 0; places[p] != NULL; p++)
        {
          const char *row = g_ptr_array_index (rows, r);
          g_auto(MscWorldCell) a = { 0 };
          g_auto(MscWorldCell) b = { 0 };
          char *label = p == 0 ? msc_world_get_row_label (imap, row) : g_strdup ("");
          char *text_a;
          char *text_b;

          if (p == 0 && g_strcmp0 (label, row) == 0)
            {
              g_free (label);
              label = msc_world_get_row_label (pop3, row);
            }
          msc_world_locate (pop3, row, places[p], &a);
          msc_world_locate (imap, row, places[p], &b);
          text_a = format_cell (&a);
          text_b = format_cell (&b);
          widths[0] = MAX (widths[0], display_width (label));
          widths[1] = MAX (widths[1], display_width (places[p]));
          widths[2] = MAX (widths[2], display_width (text_a));
          widths[3] = MAX (widths[3], display_width (text_b));
          g_ptr_array_add (cells, label);
          g_ptr_array_add (cells, g_strdup (places[p]));
          g_ptr_array_add (cells, text_a);
          g_ptr_array_add (cells, text_b);
        }

    g_print ("%s\n%s\n\n", msc_lesson_get_title (lesson),
             _("The same story twice: every device on POP3, then every device on IMAP."));
    {
      g_autoptr(GString) line = g_string_new (NULL);

      append_padded (line, _("Message"), widths[0] + 2);
      append_padded (line, _("Where"), widths[1] + 2);
      append_padded (line, "POP3", widths[2] + 2);
      g_string_append (line, "IMAP");
      g_print ("%s\n", line->str);
    }
    for (guint i = 0; i < cells->len; i += 4)
      {
        g_autoptr(GString) line = g_string_new (NULL);
        const char *a = g_ptr_array_index (cells, i + 2);
        const char *b = g_ptr_array_index (cells, i + 3);

        if (i > 0 && *(const char *) g_ptr_array_index (cells, i) != '\0')
          g_print ("\n");
        append_padded (line, g_ptr_array_index (cells, i), widths[0] + 2);
        append_padded (line, g_ptr_array_index (cells, i + 1), widths[1] + 2);
        append_padded (line, a, widths[2] + 2);
        append_padded (line, b, widths[3] + 2);
        /* The rows where the two protocols part ways are the lesson. */
        if (g_strcmp0 (a, b) != 0)
          g_string_append (line, "◀");
        g_print ("%s\n", g_strchomp (line->str));
      }
  }

  return held ? EXIT_SUCCESS : MSC_CLI_EXIT_FAILURE;
}

int
msc_cli_run (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MscLesson) lesson = NULL;
  g_autoptr(MscWorld) world = NULL;
  g_autofree char *format_name = NULL;
  gboolean explain = FALSE;
  gboolean compare = FALSE;
  Format format = FORMAT_TEXT;
  gboolean held;
  const GOptionEntry entries[] = {
    { "format", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &format_name,
      N_("Output “text” (the default) or “json”"), N_("FORMAT") },
    { "explain", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &explain,
      N_("Explain every line of the transcript"), NULL },
    { "compare", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &compare,
      N_("Run the story once with every device on POP3 and once on IMAP, and compare the end states"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("LESSON — run a lesson and print its transcript and end state"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
                                    _("LESSON is a lesson’s id (see “mailscope-cli lessons”) or the path "
                                      "of a .lesson file. The exit status is 0 when the lesson’s "
                                      "expectations held, 1 when they did not or the lesson could not "
                                      "run, 2 for a wrong command line."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return msc_cli_usage_error (error->message);
  if (argc != 2)
    return msc_cli_usage_error (_("Name exactly one lesson"));
  if (format_name != NULL && g_strcmp0 (format_name, "text") != 0)
    {
      if (g_strcmp0 (format_name, "json") != 0)
        return msc_cli_usage_error (_("--format must be “text” or “json”"));
      format = FORMAT_JSON;
    }

  lesson = find_lesson (argv[1], &error);
  if (lesson == NULL)
    return msc_cli_error ("%s", error->message);

  if (compare)
    return run_compare (lesson, format);

  world = run_world (lesson, -1, &error);
  if (world == NULL)
    return msc_cli_error ("%s", error->message);
  held = msc_world_check_expectations (world, NULL);

  if (format == FORMAT_JSON)
    {
      g_autoptr(GString) out = g_string_new ("{\"lesson\": {\"id\": ");

      json_string (out, msc_lesson_get_id (lesson));
      g_string_append (out, ", \"title\": ");
      json_string (out, msc_lesson_get_title (lesson));
      g_string_append (out, ", \"summary\": ");
      json_string (out, msc_lesson_get_summary (lesson));
      g_string_append (out, "},\n  \"events\": ");
      json_events (out, world, explain);
      g_string_append (out, ",\n  \"end_state\": ");
      json_end_state (out, world);
      g_string_append (out, "}\n");
      g_print ("%s", out->str);
      return held ? EXIT_SUCCESS : MSC_CLI_EXIT_FAILURE;
    }

  g_print ("%s\n%s\n", msc_lesson_get_title (lesson), msc_lesson_get_summary (lesson));
  print_transcript (world, explain);
  print_end_state (world);
  held = print_expectations (world);

  return held ? EXIT_SUCCESS : MSC_CLI_EXIT_FAILURE;
}

int
msc_cli_lessons (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lessons = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  guint width = 0;

  context = g_option_context_new (_("— list the lessons"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return msc_cli_usage_error (error->message);
  if (argc > 1)
    return msc_cli_usage_error (_("This command takes no arguments"));

  lessons = msc_lesson_load_all (NULL, &errors);
  for (guint i = 0; i < lessons->len; i++)
    width = MAX (width, display_width (msc_lesson_get_id (g_ptr_array_index (lessons, i))));

  for (guint i = 0; i < lessons->len; i++)
    {
      MscLesson *lesson = g_ptr_array_index (lessons, i);
      g_autoptr(GString) line = g_string_new (NULL);

      append_padded (line, msc_lesson_get_id (lesson), width + 2);
      g_string_append (line, msc_lesson_get_title (lesson));
      g_print ("%s\n", line->str);
    }

  /* A broken lesson is reported, and the others are still listed. */
  for (guint i = 0; errors != NULL && i < errors->len; i++)
    g_printerr ("%s: %s\n", g_get_prgname (), ((GError *) g_ptr_array_index (errors, i))->message);

  return errors != NULL && errors->len > 0 ? MSC_CLI_EXIT_FAILURE : EXIT_SUCCESS;
}
