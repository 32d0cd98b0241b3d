/* msc-maildir.h — the mail store's backend on disk, in Maildir++
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "msc-store-backend.h"

G_BEGIN_DECLS

#define MSC_TYPE_MAILDIR (msc_maildir_get_type ())

/* Layout under the root, readable by mutt, Dovecot or any Maildir reader:
 *
 *   <root>/<domain>/                      one folder per domain
 *   <root>/<domain>/<local>/              the account's Maildir: INBOX
 *       cur/ new/ tmp/                    (cr.yp.to/proto/maildir.html)
 *       mailscope-account                 address, display name, hash
 *       mailscope-uidlist                 UIDs, see below
 *       mailscope-keywords                keyword letters a–z
 *       .Sent/ .Drafts/ .&XfJT0ZAB-/      Maildir++ subfolders ("已发送")
 *       .&mHl27g-.&TowwB06MUW0-           "项目/二〇二六": '/' → '.'
 *   <root>/.mailscope-uidvalidity         the highest UIDVALIDITY given
 *   <root>/.mailscope-lock                one process at a time (flock)
 *   <root>/.msc-trash/                    what is being deleted
 *
 * Domain and local-part folders use the folded (lower-case ASCII) names.
 * Subfolder names are modified UTF-7 (RFC 3501 5.1.3) per level, with
 * '.', '\' and a leading '~' escaped as "\2e", "\5c", "\7e" as Dovecot's
 * listescape plugin does, so any UTF-8 name round-trips.
 *
 * mailscope-uidlist, modelled on dovecot-uidlist:
 *
 *   1 V<uidvalidity> N<uidnext> [U<special-use>]
 *   <uid> <file name up to the ':'>
 *   …
 *
 * Flags live in the file name's ":2," info, as every Maildir reader
 * expects: D F P R S T (\Draft \Flagged $Forwarded \Answered \Seen
 * \Deleted), then a–z for keywords.  A message with no flags that no IMAP
 * session has seen yet stays in new/ (that is what Maildir calls new, and
 * what makes it "recent" after a restart).  The internal date is the
 * file's mtime. */
G_DECLARE_FINAL_TYPE (MscMaildir, msc_maildir, MSC, MAILDIR, GObject)

MscMaildir *msc_maildir_new                (const char *root);
const char *msc_maildir_get_root           (MscMaildir *self);

char       *msc_maildir_encode_folder_name (const char *mailbox_name);
char       *msc_maildir_decode_folder_name (const char *folder_name);

G_END_DECLS
