/* msc-cli.h — what the subcommands of mailscope-cli share
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "msc-trace.h"

G_BEGIN_DECLS

/* Exit statuses: 0 done, 1 the work failed, 2 the command line was wrong. */
#define MSC_CLI_EXIT_FAILURE 1
#define MSC_CLI_EXIT_USAGE   2

/* Messages name g_get_prgname(), which a subcommand sets to
 * "mailscope-cli COMMAND" so --help and errors name it too. */
int   msc_cli_usage_error               (const char *message);
int   msc_cli_error                     (const char *format,
                                         ...) G_GNUC_PRINTF (1, 2);
char *msc_cli_format_event              (MscTraceEvent *event);
/* The event's text as a transcript shows it: "C: "/"S: " before commands
 * and replies, credentials masked. */
char *msc_cli_event_text                (MscTraceEvent *event);
void  msc_cli_print_trace_as_it_grows   (MscTrace   *trace);

int   msc_cli_lessons                   (int         argc,
                                         char      **argv);
int   msc_cli_run                       (int         argc,
                                         char      **argv);
int   msc_cli_serve                     (int         argc,
                                         char      **argv);

G_END_DECLS
