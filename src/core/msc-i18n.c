/* msc-i18n.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "msc-i18n.h"

/* MAILSCOPE_LOCALEDIR lets the tests and a developer run the programs from
 * the build folder, where meson compiles the catalogues into po/, without
 * installing them first. */
const char *
msc_i18n_get_localedir (void)
{
  const char *dir = g_getenv ("MAILSCOPE_LOCALEDIR");

  if (dir != NULL && *dir != '\0')
    return dir;

  return LOCALEDIR;
}

void
msc_i18n_init (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, msc_i18n_get_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
