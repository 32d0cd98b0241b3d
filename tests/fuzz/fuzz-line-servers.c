/* fuzz-line-servers.c — libFuzzer target for the SMTP and POP3 servers
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built by meson with -Dfuzzing=true and clang (see tests/meson.build);
 * run with e.g.  _build-fuzz/tests/fuzz-line-servers -max_total_time=120
 *
 * The first octet picks the server (SMTP MX, SMTP submission, POP3), the
 * options (insecure auth, STARTTLS offered) and the chunk size; the rest is
 * what a hostile client sends. Besides memory errors it checks that the
 * engine never stops consuming, never grows its output without bound and
 * that whole and chunked input give the same output.
 */

#define G_LOG_DOMAIN "fuzz-line-servers"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msc-mail-store.h"
#include "msc-pop3-server.h"
#include "msc-smtp-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define CHECK(cond) \
  do { if (!(cond)) { g_printerr ("check failed: %s\n", #cond); abort (); } } while (0)

static MscMailStore *
get_store (void)
{
  static MscMailStore *store;

  if (store == NULL)
    {
      store = msc_mail_store_new ();
      msc_mail_store_set_password_iterations (store, 1000);
      msc_mail_store_add_domain (store, "example.com", NULL);
      msc_mail_store_add_account (store, "alice@example.com", "Alice", "secret", NULL);
      msc_mail_store_set_apop_secret (store, "alice@example.com", "secret", NULL);
    }

  /* POP3 QUIT may expunge; keep something to RETR and DELE. */
  {
    g_autoptr(MscMailbox) inbox = msc_mail_store_get_mailbox (store, "alice@example.com", "INBOX", NULL);

    if (inbox != NULL && msc_mailbox_get_n_messages (inbox) == 0)
      {
        g_autoptr(GBytes) message = g_bytes_new_static ("Subject: x\r\n\r\n.dot\r\nbody\r\n", 26);
        msc_mail_store_deliver (store, "alice@example.com", message, NULL);
      }
  }

  return store;
}

/* Feeds DATA in chunks of CHUNK; returns all output. */
static GByteArray *
run_smtp (const uint8_t *data,
          size_t         size,
          size_t         chunk,
          guint8         options)
{
  MscSmtpServerConfig config = {
    .hostname = "mail.example.com",
    .role = (options & 1) ? MSC_SMTP_SERVER_ROLE_SUBMISSION : MSC_SMTP_SERVER_ROLE_MX,
    .allow_insecure_auth = (options & 2) != 0,
    .tls_available = (options & 4) != 0,
    .max_message_size = 4096,
    .max_line_length = 512,
  };
  g_autoptr(MscSmtpServer) server = msc_smtp_server_new (&config, MSC_DIRECTORY (get_store ()));
  GByteArray *output = g_byte_array_new ();

  msc_smtp_server_set_now (server, 1000000);
  msc_smtp_server_start (server);

  for (size_t offset = 0; offset < size && !msc_smtp_server_is_closed (server); offset += chunk)
    {
      MscSmtpServerEvent *event;
      GBytes *bytes;

      msc_smtp_server_feed (server, data + offset, MIN (chunk, size - offset), NULL);
      while ((event = msc_smtp_server_next_event (server)) != NULL)
        {
          if (event->kind == MSC_SMTP_SERVER_EVENT_MESSAGE)
            msc_smtp_server_message_done (server, NULL);
          else if (event->kind == MSC_SMTP_SERVER_EVENT_STARTTLS)
            msc_smtp_server_tls_started (server);
          msc_smtp_server_event_free (event);
        }
      while ((bytes = msc_smtp_server_take_output (server)) != NULL)
        {
          g_byte_array_append (output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
          g_bytes_unref (bytes);
        }
      /* Every reply answers at least one input line: output stays bounded. */
      CHECK (output->len <= 4096 + 64 * (offset + chunk));
    }

  return output;
}

static GByteArray *
run_pop3 (const uint8_t *data,
          size_t         size,
          size_t         chunk,
          guint8         options)
{
  MscPop3ServerConfig config = {
    .hostname = "mail.example.com",
    .allow_insecure_auth = (options & 2) != 0,
    .tls_available = (options & 4) != 0,
    .apop_pid = 1,
    .apop_clock = 1,
  };
  g_autoptr(MscPop3Server) server = msc_pop3_server_new (&config, get_store ());
  GByteArray *output = g_byte_array_new ();

  msc_pop3_server_set_now (server, 1000000);
  msc_pop3_server_start (server);

  for (size_t offset = 0; offset < size && !msc_pop3_server_is_closed (server); offset += chunk)
    {
      MscPop3ServerEvent *event;
      GBytes *bytes;

      msc_pop3_server_feed (server, data + offset, MIN (chunk, size - offset), NULL);
      while ((event = msc_pop3_server_next_event (server)) != NULL)
        {
          if (event->kind == MSC_POP3_SERVER_EVENT_STARTTLS)
            msc_pop3_server_tls_started (server);
          msc_pop3_server_event_free (event);
        }
      while ((bytes = msc_pop3_server_take_output (server)) != NULL)
        {
          g_byte_array_append (output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
          g_bytes_unref (bytes);
        }
    }

  /* Dropping the engine without QUIT must release the maildrop. */
  g_clear_object (&server);
  CHECK (!msc_mail_store_is_maildrop_locked (get_store (), "alice@example.com"));

  return output;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint8 selector;
  size_t chunk;
  g_autoptr(GByteArray) whole = NULL;
  g_autoptr(GByteArray) chunked = NULL;

  if (size < 1)
    return 0;

  selector = data[0];
  chunk = 1 + (selector >> 5);
  data++;
  size--;

  if ((selector & 0x18) != 0x18)
    {
      whole = run_smtp (data, size, MAX (size, 1), selector);
      chunked = run_smtp (data, size, chunk, selector);
    }
  else
    {
      /* POP3's UPDATE changes the store, so whole and chunked runs may see
       * different maildrops; only the memory and lock checks apply. */
      whole = run_pop3 (data, size, MAX (size, 1), selector);
      return 0;
    }

  CHECK (whole->len == chunked->len && memcmp (whole->data, chunked->data, whole->len) == 0);

  return 0;
}
