/* bench-world.c — how fast the simulated world runs a large lesson:
 * many devices, many messages, POP3 and IMAP mixed.  A program to run
 * and report, not a timed test.
 *
 *   bench-world [--devices N] [--messages M] [--runs R]
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "msc-lesson.h"
#include "msc-world.h"

/* N devices on N/2 accounts, each account with one POP3 device (leave a
 * copy on the server) and one IMAP device (push); M messages spread over
 * the accounts.  Every device checks, opens one message, sends one to
 * the next account, and checks again. */
static char *
make_lesson (guint n_devices,
             guint n_messages)
{
  guint n_accounts = MAX (n_devices / 2, 1);
  g_autoptr(GString) text = g_string_new ("[Lesson]\nId=bench\nTitle=Benchmark\nSummary=A large world.\n"
                                          "Level=advanced\n\n[Server mail.example.com]\nDomains=example.com\nAccounts=");

  for (guint a = 0; a < n_accounts; a++)
    g_string_append_printf (text, "%suser%u@example.com:pw%u", a > 0 ? ";" : "", a, a);
  g_string_append (text, "\n\n");

  for (guint d = 0; d < n_devices; d++)
    g_string_append_printf (text, "[Device d%u]\nName=Device %u\nAccount=user%u@example.com\n"
                            "Incoming=%s\n%s\n", d, d, d % n_accounts,
                            d < n_accounts ? "pop3" : "imap",
                            d < n_accounts ? "Retention=keep\n" : "");

  for (guint m = 0; m < n_messages; m++)
    g_string_append_printf (text, "[Message m%u]\nAccount=user%u@example.com\nFrom=Sender %u <s%u@example.org>\n"
                            "Subject=Message number %u\nBody=Line one of message %u.\\nLine two.\n\n",
                            m, m % n_accounts, m, m, m, m);

  for (guint d = 0; d < n_devices; d++)
    g_string_append_printf (text, "[Step check-%u]\nAction=check\nDevice=d%u\nNarration=Check.\n\n", d, d);
  for (guint d = 0; d < n_devices; d++)
    g_string_append_printf (text, "[Step open-%u]\nAction=open\nDevice=d%u\nMessage=m%u\nNarration=Open.\n\n"
                            "[Step send-%u]\nAction=send\nDevice=d%u\nTo=user%u@example.com\nSubject=Hi\nBody=Hi.\nNarration=Send.\n\n",
                            d, d, d % n_accounts, d, d, (d + 1) % n_accounts);
  for (guint d = 0; d < n_devices; d++)
    g_string_append_printf (text, "[Step again-%u]\nAction=check\nDevice=d%u\nNarration=Check.\n\n", d, d);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  int n_devices = 10;
  int n_messages = 10000;
  int n_runs = 3;
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the simulated world");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(MscLesson) lesson = NULL;
  g_autoptr(GArray) seconds = g_array_new (FALSE, FALSE, sizeof (double));
  guint n_events = 0;
  guint64 n_items = 0;
  gint64 virtual_usec = 0;
  const GOptionEntry entries[] = {
    { "devices", 0, 0, G_OPTION_ARG_INT, &n_devices, "Devices (default 10)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages (default 10000)", "M" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Runs; the median is reported (default 3)", "R" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      n_devices < 2 || n_messages < n_devices || n_runs < 1)
    {
      g_printerr ("bench-world: %s\n", error != NULL ? error->message : "need devices ≥ 2, messages ≥ devices, runs ≥ 1");
      return 2;
    }

  text = make_lesson (n_devices, n_messages);
  lesson = msc_lesson_load_data (text, strlen (text), "bench.lesson", &error);
  if (lesson == NULL)
    {
      g_printerr ("bench-world: %s\n", error->message);
      return 1;
    }

  for (int r = 0; r < n_runs; r++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(MscWorld) world = msc_world_new (lesson, NULL, &error);
      double elapsed;

      if (world == NULL || !msc_world_run (world, &error))
        {
          g_printerr ("bench-world: %s\n", error->message);
          return 1;
        }
      elapsed = (g_get_monotonic_time () - start) / 1e6;
      g_array_append_val (seconds, elapsed);
      n_events = g_list_model_get_n_items (G_LIST_MODEL (msc_world_get_trace (world)));
      n_items = msc_clock_get_n_run (msc_world_get_clock (world));
      virtual_usec = msc_clock_get_now (msc_world_get_clock (world)) -
                     msc_clock_get_start (msc_world_get_clock (world));
      g_print ("run %d: %.3f s\n", r + 1, elapsed);
    }

  g_array_sort (seconds, compare_doubles);
  {
    struct rusage usage;
    double median = g_array_index (seconds, double, seconds->len / 2);

    getrusage (RUSAGE_SELF, &usage);
    g_print ("devices %d (POP3 %d, IMAP %d), messages %d\n", n_devices, MAX (n_devices / 2, 1),
             n_devices - MAX (n_devices / 2, 1), n_messages);
    g_print ("median wall time %.3f s over %d runs\n", median, n_runs);
    g_print ("trace events %u, %.0f per second\n", n_events, n_events / median);
    g_print ("scheduled items run %" G_GUINT64_FORMAT ", virtual time %.1f s\n",
             n_items, virtual_usec / 1e6);
    g_print ("peak memory (max RSS) %.1f MiB\n", usage.ru_maxrss / 1024.0);
  }

  return 0;
}
