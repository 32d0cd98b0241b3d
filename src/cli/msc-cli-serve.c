/* msc-cli-serve.c — mailscope-cli serve: real servers on loopback
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-cli-serve"

#include "config.h"

#include <stdlib.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "msc-cli.h"
#include "msc-live-server.h"
#include "msc-mail-store.h"

/* The demo accounts a trainer can point a mail client at without typing
 * any option. Their passwords are documented (README) and only used when
 * the server listens on loopback; on any other address fresh random ones
 * are made and printed. */
static const struct {
  const char *address;
  const char *name;
  const char *password;
} demo_accounts[] = {
  { "alice@example.com", "Alice", "alice-demo" },
  { "bob@example.com", "Bob", "bob-demo" },
};

typedef struct {
  const MscService *service;
  const char       *label;
  gboolean          implicit_tls;
  const char       *description;
  int               port;
} Listen;

static gboolean
on_signal_cb (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);

  return G_SOURCE_CONTINUE;
}

static gboolean
is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static char *
random_password (void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  GString *password = g_string_new (NULL);

  for (guint i = 0; i < 16; i++)
    g_string_append_c (password, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);

  return g_string_free (password, FALSE);
}

static const char *
address_domain (const char *address)
{
  const char *at = strrchr (address, '@');

  return at != NULL ? at + 1 : NULL;
}

static gboolean
add_domain_once (MscMailStore  *store,
                 const char    *domain,
                 GError       **error)
{
  g_auto(GStrv) domains = msc_mail_store_list_domains (store);
  g_autofree char *folded = msc_mail_store_fold_domain (domain);

  if (folded != NULL && g_strv_contains ((const char * const *) domains, folded))
    return TRUE;

  return msc_mail_store_add_domain (store, domain, error);
}

/* Adds an account, or sets the password of one the Maildir already has. */
static gboolean
ensure_account (MscMailStore  *store,
                const char    *address,
                const char    *name,
                const char    *password,
                GError       **error)
{
  if (msc_mail_store_lookup_account (store, address, NULL, NULL))
    return msc_mail_store_set_password (store, address, password, error);

  return msc_mail_store_add_account (store, address, name, password, error);
}

int
msc_cli_serve (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MscMailStore) store = NULL;
  g_autoptr(MscLiveServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *store_dir = NULL;
  g_autofree char *hostname = NULL;
  g_autofree char *tls_dir = NULL;
  g_autofree char *ca_out = NULL;
  g_auto(GStrv) domains = NULL;
  g_auto(GStrv) users = NULL;
  gboolean allow_remote = FALSE;
  gboolean insecure_auth = FALSE;
  gboolean show_trace = FALSE;
  int idle_timeout = 0;
  int max_size = 0;
  Listen listens[] = {
    { &msc_smtp_mx_service, "smtp", FALSE,
      N_("SMTP, MX role: mail for the local domains, from anyone (STARTTLS)"), 2525 },
    { &msc_smtp_submission_service, "submission", FALSE,
      N_("SMTP submission: logged-in users send to any address (STARTTLS)"), 2587 },
    { &msc_pop3_service, "pop3", FALSE,
      N_("POP3: download the INBOX (and usually delete it from the server) (STLS)"), 2110 },
    { &msc_imap_service, "imap", FALSE,
      N_("IMAP: the mailbox stays on the server, every device in sync (STARTTLS)"), 2143 },
    { &msc_smtp_submission_service, "smtps", TRUE,
      N_("SMTP submission over SSL/TLS from the first byte (like port 465)"), 2465 },
    { &msc_pop3_service, "pop3s", TRUE,
      N_("POP3 over SSL/TLS from the first byte (like port 995)"), 2995 },
    { &msc_imap_service, "imaps", TRUE,
      N_("IMAP over SSL/TLS from the first byte (like port 993)"), 2993 },
  };
  const GOptionEntry entries[] = {
    { "host", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &host,
      N_("Address to listen on (default 127.0.0.1)"), N_("ADDRESS") },
    { "allow-remote", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &allow_remote,
      N_("Allow --host to be an address other machines can reach"), NULL },
    { "smtp-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[0].port,
      N_("SMTP port in the MX role (default 2525; 0 picks a free port)"), N_("PORT") },
    { "submission-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[1].port,
      N_("SMTP submission port (default 2587; 0 picks a free port)"), N_("PORT") },
    { "pop3-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[2].port,
      N_("POP3 port (default 2110; 0 picks a free port)"), N_("PORT") },
    { "imap-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[3].port,
      N_("IMAP port (default 2143; 0 picks a free port)"), N_("PORT") },
    { "smtps-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[4].port,
      N_("SMTP submission port with implicit TLS (default 2465; 0 picks a free port)"), N_("PORT") },
    { "pop3s-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[5].port,
      N_("POP3 port with implicit TLS (default 2995; 0 picks a free port)"), N_("PORT") },
    { "imaps-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &listens[6].port,
      N_("IMAP port with implicit TLS (default 2993; 0 picks a free port)"), N_("PORT") },
    { "tls-dir", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &tls_dir,
      N_("Folder for the teaching CA and the server certificates (default: mailscope/tls in the user data folder)"),
      N_("DIR") },
    { "ca-out", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &ca_out,
      N_("Write the teaching CA’s certificate here, for mail clients to trust"), N_("FILE") },
    { "domain", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &domains,
      N_("A local mail domain (default example.com; repeatable)"), N_("DOMAIN") },
    { "user", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &users,
      N_("An account (repeatable; default: the demo accounts alice@example.com and bob@example.com)"),
      N_("ADDRESS:PASSWORD") },
    { "store", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &store_dir,
      N_("Maildir folder for the mail (default: mailscope/maildir in the user data folder)"), N_("DIR") },
    { "hostname", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &hostname,
      N_("The server’s name in greetings and Received fields (default mail.DOMAIN)"), N_("NAME") },
    { "insecure-auth", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &insecure_auth,
      N_("Accept passwords without TLS, to show what an eavesdropper sees (teaching only)"), NULL },
    { "idle-timeout", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &idle_timeout,
      N_("Close a connection silent for this long (default: the RFC 5321 timeouts, 5 minutes)"),
      N_("SECONDS") },
    { "max-message-size", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &max_size,
      N_("Largest message accepted, announced with SIZE (default 10 MiB)"), N_("BYTES") },
    { "trace", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &show_trace,
      N_("Print every command and reply"), NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Runs Mailscope’s mail servers on this machine, so that a real mail client "
                                  "(Thunderbird, Outlook, a phone, curl, Python) can connect and be watched. "
                                  "They never send mail to other machines."));

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return msc_cli_usage_error (error->message);
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[1]);
      return msc_cli_usage_error (message);
    }

  if (host == NULL)
    host = g_strdup ("127.0.0.1");
  if (!is_loopback (host) && !allow_remote)
    {
      g_autofree char *message = g_strdup_printf (_("%s is not a loopback address; other machines could "
                                                    "reach these servers. Add --allow-remote if that is "
                                                    "what you want."), host);
      return msc_cli_usage_error (message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (listens); i++)
    if (listens[i].port < 0 || listens[i].port > 65535)
      {
        g_autofree char *message = g_strdup_printf (_("%d is not a port number"), listens[i].port);
        return msc_cli_usage_error (message);
      }
  if (idle_timeout < 0 || max_size < 0)
    return msc_cli_usage_error (_("sizes and timeouts cannot be negative"));

  if (store_dir == NULL)
    store_dir = g_build_filename (g_get_user_data_dir (), "mailscope", "maildir", NULL);
  store = msc_mail_store_new_for_maildir (store_dir, &error);
  if (store == NULL)
    return msc_cli_error (_("Cannot open the mail store: %s"), error->message);

  if (domains == NULL || domains[0] == NULL)
    {
      g_strfreev (domains);
      domains = g_strdupv ((char *[]) { (char *) "example.com", NULL });
    }
  for (guint i = 0; domains[i] != NULL; i++)
    if (!add_domain_once (store, domains[i], &error))
      return msc_cli_error (_("Cannot add the domain %s: %s"), domains[i], error->message);

  if (users != NULL)
    {
      for (guint i = 0; users[i] != NULL; i++)
        {
          g_auto(GStrv) parts = g_strsplit (users[i], ":", 2);
          const char *domain = parts[0] != NULL ? address_domain (parts[0]) : NULL;

          if (g_strv_length (parts) != 2 || domain == NULL || *parts[1] == '\0')
            {
              g_autofree char *message = g_strdup_printf (_("“%s” is not ADDRESS:PASSWORD"), users[i]);
              return msc_cli_usage_error (message);
            }
          if (!add_domain_once (store, domain, &error) ||
              !ensure_account (store, parts[0], NULL, parts[1], &error))
            return msc_cli_error (_("Cannot add the account %s: %s"), parts[0], error->message);
        }
    }
  else
    {
      gboolean loopback = is_loopback (host);

      g_print (_("Demo accounts:\n"));
      for (guint i = 0; i < G_N_ELEMENTS (demo_accounts); i++)
        {
          g_autofree char *password = loopback ? g_strdup (demo_accounts[i].password) : random_password ();

          if (!add_domain_once (store, address_domain (demo_accounts[i].address), &error) ||
              !ensure_account (store, demo_accounts[i].address, demo_accounts[i].name, password, &error))
            return msc_cli_error (_("Cannot add the account %s: %s"), demo_accounts[i].address,
                                  error->message);
          g_print ("  %s  %s\n", demo_accounts[i].address, password);
        }
    }

  if (hostname == NULL)
    hostname = g_strdup_printf ("mail.%s", domains[0]);

  server = msc_live_server_new (store, hostname);
  msc_live_server_set_insecure_auth (server, insecure_auth);
  msc_live_server_set_idle_timeout (server, (gint64) idle_timeout * G_USEC_PER_SEC);
  msc_live_server_set_max_message_size (server, (guint64) max_size);
  {
    g_autofree char *outbound = g_build_filename (store_dir, "outbound", NULL);
    msc_live_server_set_outbound_dir (server, outbound);
  }

  if (tls_dir == NULL)
    tls_dir = g_build_filename (g_get_user_data_dir (), "mailscope", "tls", NULL);
  if (!msc_live_server_enable_tls (server, tls_dir, &error))
    return msc_cli_error (_("Cannot set up TLS certificates: %s"), error->message);
  if (ca_out != NULL)
    {
      if (!msc_cert_store_write_ca_pem (msc_live_server_get_cert_store (server), ca_out, &error))
        return msc_cli_error (_("Cannot write the CA certificate: %s"), error->message);
    }
  {
    g_autofree char *fingerprint = msc_cert_store_get_ca_fingerprint (msc_live_server_get_cert_store (server));

    /* A trainer compares this with what the mail client shows. */
    g_print (_("Teaching CA: %s (SHA-256 %s)\n"),
             ca_out != NULL ? ca_out : msc_cert_store_get_ca_path (msc_live_server_get_cert_store (server)),
             fingerprint);
  }

  if (!is_loopback (host))
    g_printerr (_("Warning: listening on %s, which other machines can reach.\n"), host);
  if (insecure_auth)
    g_printerr (_("Warning: --insecure-auth accepts passwords without encryption.\n"));

  for (guint i = 0; i < G_N_ELEMENTS (listens); i++)
    {
      guint16 bound = 0;

      if (!msc_live_server_listen (server, listens[i].service, listens[i].label, listens[i].implicit_tls,
                                   host, listens[i].port, &bound, &error))
        return msc_cli_error (_("Cannot listen on %s port %d: %s"), host, listens[i].port, error->message);

      /* "NAME ADDRESS:PORT" first, so scripts can read the line. */
      if (strchr (host, ':') != NULL)
        g_print ("%-10s [%s]:%u  %s\n", listens[i].label, host, bound, _(listens[i].description));
      else
        g_print ("%-10s %s:%u  %s\n", listens[i].label, host, bound, _(listens[i].description));
    }

  if (show_trace)
    msc_cli_print_trace_as_it_grows (msc_live_server_get_trace (server));

  /* The handlers go in before "ready": a script that reads "ready" and
   * stops the server at once must get a clean stop, not a killed process. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal_cb, loop);
  g_unix_signal_add (SIGTERM, on_signal_cb, loop);

  g_print ("ready\n");
  g_main_loop_run (loop);

  msc_live_server_stop (server);
  g_print (_("stopped\n"));

  return EXIT_SUCCESS;
}
