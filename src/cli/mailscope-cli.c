/* mailscope-cli.c — Mailscope without a window
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <glib/gi18n.h>

#include "msc-cli.h"
#include "msc-i18n.h"

static const struct {
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "lessons", msc_cli_lessons, N_("List the lessons") },
  { "run", msc_cli_run, N_("Run a lesson: its transcript and its end state") },
  { "serve", msc_cli_serve, N_("Run SMTP, POP3 and IMAP servers on loopback ports for real mail clients") },
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *help = NULL;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "version", 'V', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &version,
      N_("Show the version and exit"), NULL },
    { NULL }
  };

  msc_i18n_init ();
  g_set_prgname ("mailscope-cli");
  /* Scripts wait for lines such as "ready" on a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  /* A subcommand parses its own options. */
  if (argc > 1 && argv[1][0] != '-')
    {
      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        if (g_strcmp0 (argv[1], commands[i].name) == 0)
          {
            g_autofree char *prgname = g_strdup_printf ("mailscope-cli %s", commands[i].name);

            g_set_prgname (prgname);
            return commands[i].run (argc - 1, argv + 1);
          }

      g_printerr (_("%s: unknown command “%s”\n"), g_get_prgname (), argv[1]);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return MSC_CLI_EXIT_USAGE;
    }
  g_set_application_name (_("Mailscope"));

  context = g_option_context_new (_("[COMMAND] — watch how e-mail travels, without a window"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Mailscope runs real SMTP, IMAP and POP3 servers and clients and "
                                  "shows every command and reply they exchange. This program is its "
                                  "headless side: it serves mail on loopback ports and runs lessons "
                                  "in a terminal."));
  {
    g_autoptr(GString) description = g_string_new (_("Commands:"));

    g_string_append_c (description, '\n');
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      g_string_append_printf (description, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    g_string_append_c (description, '\n');
    g_string_append_printf (description, _("Run “%s COMMAND --help” for a command’s options."), g_get_prgname ());
    g_option_context_set_description (context, description->str);
  }

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return MSC_CLI_EXIT_USAGE;
    }

  if (version)
    {
      g_print ("mailscope-cli %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  help = g_option_context_get_help (context, TRUE, NULL);
  g_print ("%s", help);

  return EXIT_SUCCESS;
}
