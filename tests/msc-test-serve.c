/* msc-test-serve.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "msc-test-serve.h"

struct _MscTestServer
{
  GSubprocess      *process;
  GDataInputStream *output;
  GHashTable       *ports;
  char             *store;
};

/* A failed assertion aborts the test; the server must not outlive it (meson
 * would wait for it until the suite's timeout). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static char *
read_line (MscTestServer *server)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (server->output, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);

  return line;
}

MscTestServer *
msc_test_server_start (const char * const *extra_args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tls_dir = NULL;
  g_autofree char *ca_out = NULL;
  MscTestServer *server = g_new0 (MscTestServer, 1);
  const char *fixed[] = {
    "serve", "--smtp-port", "0", "--submission-port", "0", "--pop3-port", "0", "--imap-port", "0",
    "--smtps-port", "0", "--pop3s-port", "0", "--imaps-port", "0",
    "--user", "alice@example.com:alice-secret",
    "--user", "bob@example.com:bob-secret",
    "--user", "张三@例子.公司:zhang-secret",
  };

  server->ports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->store = g_dir_make_tmp ("mailscope-serve-XXXXXX", &error);
  g_assert_no_error (error);
  tls_dir = g_build_filename (server->store, "tls", NULL);
  ca_out = g_build_filename (server->store, "teaching-ca.pem", NULL);

  g_ptr_array_add (argv, (char *) g_getenv ("MSC_CLI"));
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (char *) fixed[i]);
  g_ptr_array_add (argv, (char *) "--store");
  g_ptr_array_add (argv, server->store);
  g_ptr_array_add (argv, (char *) "--tls-dir");
  g_ptr_array_add (argv, tls_dir);
  g_ptr_array_add (argv, (char *) "--ca-out");
  g_ptr_array_add (argv, ca_out);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  server->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));

  /* "smtp       127.0.0.1:40123  SMTP, MX role…", then "ready". */
  for (;;)
    {
      g_autofree char *line = read_line (server);
      g_auto(GStrv) words = NULL;
      const char *address = NULL;
      const char *colon;

      if (g_str_equal (line, "ready"))
        break;

      words = g_strsplit (line, " ", -1);
      for (guint i = 1; words[i] != NULL && address == NULL; i++)
        if (*words[i] != '\0')
          address = words[i];
      if (address == NULL || !g_str_has_prefix (address, "127.0.0.1:"))
        continue;

      colon = strrchr (address, ':');
      g_hash_table_insert (server->ports, g_strdup (words[0]), g_strdup (colon + 1));
    }

  return server;
}

const char *
msc_test_server_get_port (MscTestServer *server,
                          const char    *service)
{
  const char *port = g_hash_table_lookup (server->ports, service);

  g_assert_nonnull (port);

  return port;
}

const char *
msc_test_server_get_store (MscTestServer *server)
{
  return server->store;
}

void
msc_test_server_stop (MscTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *argv[] = { "rm", "-rf", server->store, NULL };

  g_subprocess_send_signal (server->process, SIGTERM);
  line = g_data_input_stream_read_line_utf8 (server->output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "stopped");
  g_subprocess_wait_check (server->process, NULL, &error);
  g_assert_no_error (error);

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, NULL, NULL);

  g_clear_object (&server->output);
  g_clear_object (&server->process);
  g_hash_table_unref (server->ports);
  g_free (server->store);
  g_free (server);
}

void
msc_test_run_client (const char *script,
                     const char *scenario,
                     ...)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "integration", script, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  va_list args;
  const char *arg;

  g_ptr_array_add (argv, (char *) "python3");
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, (char *) scenario);
  va_start (args, scenario);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s %s failed:\n%s%s", script, scenario, out, err);
  g_assert_cmpstr (out, ==, "ok\n");
}

char *
msc_test_run_curl (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;
  const char *argv[] = { "curl", "--silent", "--show-error", "--max-time", "20",
                         "--user", "alice@example.com:alice-secret", url, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("curl %s failed: %s", url, err);

  return out;
}

char *
msc_test_write_file (const char *dir,
                     const char *name,
                     const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

GPtrArray *
msc_test_read_maildir (const char *store,
                       const char *folder)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const char *subdirs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir_path = g_build_filename (store, folder, subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *name;

      if (dir == NULL)
        continue;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir_path, name, NULL);
          g_autoptr(GError) error = NULL;
          char *contents;
          gsize length;

          g_file_get_contents (path, &contents, &length, &error);
          g_assert_no_error (error);
          g_ptr_array_add (messages, g_bytes_new_take (contents, length));
        }
    }

  return messages;
}
