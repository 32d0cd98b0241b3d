/* msc-test-serve.h — run mailscope-cli serve for an integration test
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _MscTestServer MscTestServer;

/* Starts the real program on free loopback ports with a fresh Maildir and
 * the accounts alice@example.com/alice-secret, bob@example.com/bob-secret
 * and 张三@例子.公司/zhang-secret, plus EXTRA_ARGS; returns once it printed
 * "ready". */
MscTestServer *msc_test_server_start      (const char * const *extra_args);
const char    *msc_test_server_get_port   (MscTestServer      *server,
                                           const char         *service);
const char    *msc_test_server_get_store  (MscTestServer      *server);
/* SIGTERM; asserts a clean exit ("stopped", status 0); removes the store. */
void           msc_test_server_stop       (MscTestServer      *server);

/* Runs one scenario of a client script in tests/integration/; the script
 * asserts on its side and prints "ok". Arguments end with NULL. */
void           msc_test_run_client        (const char         *script,
                                           const char         *scenario,
                                           ...) G_GNUC_NULL_TERMINATED;

/* curl URL as alice@example.com; returns what curl printed. */
char          *msc_test_run_curl          (const char         *url);

char          *msc_test_write_file        (const char         *dir,
                                           const char         *name,
                                           const char         *text);
/* Every message file of a Maildir folder (new/ and cur/), as GBytes. */
GPtrArray     *msc_test_read_maildir      (const char         *store,
                                           const char         *folder);

G_END_DECLS
