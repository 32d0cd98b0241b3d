/* msc-smtp-address.h — the SMTP address grammar (RFC 5321 §4.1.2,
 * extended by RFC 6531 §3.3), shared by the client and server engines
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* UTF8-non-ascii (RFC 6532 §3.1), byte by byte: these functions take any
 * octet >= 0x80 and leave checking that the text is UTF-8 to the caller,
 * which has usually done it for the whole line already. */
gboolean msc_smtp_address_is_utf8_non_ascii (char          c);

/* Domain = sub-domain *("." sub-domain), a sub-domain being LDH or a
 * U-label.  On success moves *@pp past the domain. */
gboolean msc_smtp_address_skip_domain       (const char  **pp);

/* Mailbox = Local-part "@" ( Domain / address-literal ), or, if
 * @allow_postmaster, a bare "Postmaster" in any case (RFC 5321 §4.1.1.3).
 * Only the mailbox is consumed: what follows (">", "\0") is the caller's
 * to check.  On success moves *@pp past the mailbox and sets *@at (if not
 * %NULL) to the "@", or to %NULL for a bare Postmaster. */
gboolean msc_smtp_address_skip_mailbox      (const char  **pp,
                                             gboolean      allow_postmaster,
                                             const char  **at);

/* The whole of @address is one valid UTF-8 Mailbox, and nothing else.
 * Strict, because the address goes between <> on a command line: a user
 * typing "a@b.example> NOTIFY=NEVER" or a CR must not reach the wire. */
gboolean msc_smtp_address_is_valid_mailbox  (const char   *address,
                                             gboolean      allow_postmaster);

/* An EHLO/HELO argument (RFC 6531 §3.7.1): ASCII host name characters, or
 * an address literal. */
gboolean msc_smtp_address_is_valid_helo     (const char   *name);

G_END_DECLS
