/* mailscope-cli.c — Mailscope without a window
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <glib/gi18n.h>

#include "msc-i18n.h"

/* Exit statuses follow the sysexits habit of the GNU tools: 0 done, 1 the
 * work failed, 2 the command line was wrong. */
enum {
  EXIT_USAGE = 2,
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
  g_set_application_name (_("Mailscope"));

  context = g_option_context_new (_("[COMMAND] — watch how e-mail travels, without a window"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Mailscope runs real SMTP, IMAP and POP3 servers and clients and "
                                  "shows every command and reply they exchange. This program is its "
                                  "headless side: it serves mail on loopback ports and runs lessons "
                                  "in a terminal."));
  g_option_context_set_description (context,
                                    _("Report problems at https://github.com/mailscope/mailscope/issues"));

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return EXIT_USAGE;
    }

  if (version)
    {
      g_print ("mailscope-cli %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (argc > 1)
    {
      g_printerr (_("%s: unknown command “%s”\n"), g_get_prgname (), argv[1]);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return EXIT_USAGE;
    }

  help = g_option_context_get_help (context, TRUE, NULL);
  g_print ("%s", help);

  return EXIT_SUCCESS;
}
