/* test-cli.c — mailscope-cli as a user runs it
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <glib.h>

typedef struct {
  char *out;
  char *err;
  int   status;
} CliRun;

static void
cli_run_clear (CliRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

/* Runs the built program with ARGS in an environment with LANGUAGE set as
 * given, and waits for it. */
static void
run_cli (CliRun      *run,
         const char  *language,
         const char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  const char *cli = g_getenv ("MSC_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  envp = g_environ_setenv (envp, "LANGUAGE", language, TRUE);

  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT,
                NULL, NULL, &run->out, &run->err, &run->status, &error);
  g_assert_no_error (error);
}

static gboolean
has_han (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_get_script (g_utf8_get_char (p)) == G_UNICODE_SCRIPT_HAN)
      return TRUE;

  return FALSE;
}

static void
test_version (void)
{
  g_auto(CliRun) run = { 0 };
  g_autofree char *expected = g_strdup_printf ("mailscope-cli %s\n", PACKAGE_VERSION);

  run_cli (&run, "", (const char *[]) { "--version", NULL });
  g_assert_true (g_spawn_check_wait_status (run.status, NULL));
  g_assert_cmpstr (run.out, ==, expected);
  g_assert_cmpstr (run.err, ==, "");
}

static void
test_help (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "--help", NULL });
  g_assert_true (g_spawn_check_wait_status (run.status, NULL));
  g_assert_true (g_str_has_prefix (run.out, "Usage:"));
  g_assert_nonnull (strstr (run.out, "--version"));
  g_assert_nonnull (strstr (run.out, "SMTP, IMAP and POP3"));
  g_assert_false (has_han (run.out));
}

static void
test_help_chinese (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "zh_CN", (const char *[]) { "--help", NULL });
  g_assert_true (g_spawn_check_wait_status (run.status, NULL));
  g_assert_nonnull (strstr (run.out, "--version"));
  g_assert_true (has_han (run.out));
  /* The summary is ours, not GLib's: it must be translated too. */
  g_assert_null (strstr (run.out, "headless side"));
}

static void
test_unknown_option (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "--no-such-option", NULL });
  g_assert_true (WIFEXITED (run.status));
  g_assert_cmpint (WEXITSTATUS (run.status), ==, 2);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "--no-such-option"));
  g_assert_nonnull (strstr (run.err, "--help"));
}

static void
test_unknown_command (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "frobnicate", NULL });
  g_assert_true (WIFEXITED (run.status));
  g_assert_cmpint (WEXITSTATUS (run.status), ==, 2);
  g_assert_nonnull (strstr (run.err, "“frobnicate”"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/cli/version", test_version);
  g_test_add_func ("/msc/cli/help", test_help);
  g_test_add_func ("/msc/cli/help-chinese", test_help_chinese);
  g_test_add_func ("/msc/cli/unknown-option", test_unknown_option);
  g_test_add_func ("/msc/cli/unknown-command", test_unknown_command);

  return g_test_run ();
}
