/* main.c — the Mailscope window
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-application.h"
#include "msc-i18n.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MscApplication) app = NULL;

  msc_i18n_init ();
  g_set_application_name (_("Mailscope"));

  app = msc_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
