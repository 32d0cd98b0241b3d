/* test-cli.c — mailscope-cli as a user runs it
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

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

static int
exit_status (const CliRun *run)
{
  g_assert_true (WIFEXITED (run->status));
  return WEXITSTATUS (run->status);
}

static void
test_lessons (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "lessons", NULL });
  g_assert_cmpint (exit_status (&run), ==, 0);
  /* By Order: the IMAP lesson first. */
  g_assert_true (g_str_has_prefix (run.out, "imap-two-devices "));
  g_assert_nonnull (strstr (run.out, "\npop3-two-devices "));
}

static void
test_lessons_chinese (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "zh_CN", (const char *[]) { "lessons", NULL });
  g_assert_cmpint (exit_status (&run), ==, 0);
  g_assert_true (has_han (run.out));
}

/* The transcript, the end state and the verdict; passwords never shown. */
static void
test_run (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "run", "pop3-two-devices", "--explain", NULL });
  g_assert_cmpint (exit_status (&run), ==, 0);
  g_assert_nonnull (strstr (run.out, "Step 1 of 7"));
  g_assert_nonnull (strstr (run.out, "C: CAPA"));
  g_assert_nonnull (strstr (run.out, "C: AUTH PLAIN ••••••"));
  g_assert_null (strstr (run.out, "alice-demo"));
  /* Nor in base64: "\0alice@example.com\0alice-demo". */
  g_assert_null (strstr (run.out, "AGFsaWNl"));
  g_assert_nonnull (strstr (run.out, "S: +OK"));
  g_assert_nonnull (strstr (run.out, "End state"));
  g_assert_nonnull (strstr (run.out, "All 10 of the lesson’s expectations held."));
}

static void
test_run_json (void)
{
  g_auto(CliRun) run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *checked = NULL;
  int status;
  const char *check[] = {
    "python3", "-c",
    "import json, sys\n"
    "d = json.load(sys.stdin)\n"
    "assert d['lesson']['id'] == 'imap-two-devices'\n"
    "assert d['end_state']['expectations_held'] is True\n"
    "rows = {m['id']: m for m in d['end_state']['messages']}\n"
    "assert rows['lunch']['at']['laptop'] == {'state': 'read', 'folder': 'Inbox', 'complete': True}\n"
    "assert any(e['kind'] == 'step' for e in d['events'])\n"
    "print('ok')\n",
    NULL
  };

  run_cli (&run, "", (const char *[]) { "run", "imap-two-devices", "--format", "json", NULL });
  g_assert_cmpint (exit_status (&run), ==, 0);

  {
    g_autoptr(GSubprocess) python = g_subprocess_newv (check, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);

    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (python, run.out, NULL, &checked, NULL, &error);
    g_assert_no_error (error);
    status = g_subprocess_get_exit_status (python);
  }
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (checked, ==, "ok\n");
}

static void
test_run_compare (void)
{
  g_auto(CliRun) run = { 0 };

  run_cli (&run, "", (const char *[]) { "run", "imap-two-devices", "--compare", NULL });
  g_assert_cmpint (exit_status (&run), ==, 0);
  g_assert_nonnull (strstr (run.out, "POP3"));
  g_assert_nonnull (strstr (run.out, "IMAP"));
  /* The laptop has Bob's message only with IMAP. */
  g_assert_nonnull (strstr (run.out, "laptop             —               read · Inbox"));
  g_assert_nonnull (strstr (run.out, "◀"));
}

/* A broken file: where and what, exit 1; an unknown id: exit 1. */
static void
test_run_broken (void)
{
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) unknown = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("msc-cli-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "broken.lesson", NULL);
  g_autofree char *where = g_strdup_printf ("%s:5:", path);

  g_assert_true (g_file_set_contents (path, "[Lesson]\nId=broken\nTitle=T\nSummary=S\nLevel=expert\n",
                                      -1, NULL));
  run_cli (&run, "", (const char *[]) { "run", path, NULL });
  g_assert_cmpint (exit_status (&run), ==, 1);
  g_assert_nonnull (strstr (run.err, where));

  run_cli (&unknown, "", (const char *[]) { "run", "no-such-lesson", NULL });
  g_assert_cmpint (exit_status (&unknown), ==, 1);
  g_assert_nonnull (strstr (unknown.err, "no-such-lesson"));

  g_unlink (path);
  g_rmdir (dir);
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
  g_test_add_func ("/msc/cli/lessons", test_lessons);
  g_test_add_func ("/msc/cli/lessons-chinese", test_lessons_chinese);
  g_test_add_func ("/msc/cli/run", test_run);
  g_test_add_func ("/msc/cli/run-json", test_run_json);
  g_test_add_func ("/msc/cli/run-compare", test_run_compare);
  g_test_add_func ("/msc/cli/run-broken", test_run_broken);

  return g_test_run ();
}
