/* msc-wire.h — small things every line protocol engine needs
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Frees a string that held credentials, wiping it first so a password
 * does not linger in freed heap memory. NULL is fine. */
void      msc_wire_free_secret          (char          *secret);

/* The bytes of a line as valid UTF-8 for display: control characters
 * (but TAB) and invalid bytes become U+FFFD, so a trace, the chart and a
 * terminal can show garbage without being rewritten by it. */
char     *msc_wire_display_string       (const guint8  *data,
                                         gsize          len);

/* Base64 as SASL wants it (RFC 4954 §4, RFC 5034 §4): g_base64_decode()
 * skips what is not base64, so the alphabet and padding are checked first
 * and anything else is refused. An empty text decodes to "". */
gboolean  msc_wire_decode_base64_strict (const char    *text,
                                         guchar       **out,
                                         gsize         *out_len);

/* Control characters other than TAB, and DEL. */
gboolean  msc_wire_has_control_chars    (const guint8  *data,
                                         gsize          len);

/* One or more ASCII letters and nothing else: what a command verb is. */
gboolean  msc_wire_is_word              (const char    *text);

G_END_DECLS
