/* msc-mailbox.h — one mailbox of one account, a list of messages by UID
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-message.h"

G_BEGIN_DECLS

#define MSC_MAILBOX_INBOX     "INBOX"
#define MSC_MAILBOX_DELIMITER '/'

/* RFC 6154 special-use roles. */
typedef enum
{
  MSC_SPECIAL_USE_NONE,
  MSC_SPECIAL_USE_ALL,
  MSC_SPECIAL_USE_ARCHIVE,
  MSC_SPECIAL_USE_DRAFTS,
  MSC_SPECIAL_USE_FLAGGED,
  MSC_SPECIAL_USE_JUNK,
  MSC_SPECIAL_USE_SENT,
  MSC_SPECIAL_USE_TRASH,
} MscSpecialUse;

/* What IMAP STATUS and SELECT report. */
typedef struct
{
  guint   messages;
  guint   recent;
  guint   unseen;
  guint32 uid_next;
  guint32 uid_validity;
} MscMailboxStatus;

#define MSC_TYPE_SPECIAL_USE (msc_special_use_get_type ())
#define MSC_TYPE_MAILBOX     (msc_mailbox_get_type ())

GType msc_special_use_get_type (void) G_GNUC_CONST;

/* A mailbox is also a GListModel of its MscMessages in UID order, so the
 * position of a message is its sequence number minus one for a client
 * that has seen every change (each IMAP session keeps its own map). */
G_DECLARE_FINAL_TYPE (MscMailbox, msc_mailbox, MSC, MAILBOX, GObject)

const char          *msc_special_use_to_string      (MscSpecialUse     use);
gboolean             msc_special_use_from_string    (const char       *text,
                                                     MscSpecialUse    *use);

const char          *msc_mailbox_get_account        (MscMailbox       *self);
const char          *msc_mailbox_get_name           (MscMailbox       *self);
gboolean             msc_mailbox_is_inbox           (MscMailbox       *self);
MscSpecialUse        msc_mailbox_get_special_use    (MscMailbox       *self);
guint32              msc_mailbox_get_uid_validity   (MscMailbox       *self);
guint32              msc_mailbox_get_uid_next       (MscMailbox       *self);
guint                msc_mailbox_get_n_messages     (MscMailbox       *self);
MscMessage          *msc_mailbox_get_message        (MscMailbox       *self,
                                                     guint             position);
MscMessage          *msc_mailbox_lookup_uid         (MscMailbox       *self,
                                                     guint32           uid);
gboolean             msc_mailbox_find_uid           (MscMailbox       *self,
                                                     guint32           uid,
                                                     guint            *position);
GPtrArray           *msc_mailbox_list_messages      (MscMailbox       *self);
void                 msc_mailbox_get_status         (MscMailbox       *self,
                                                     MscMailboxStatus *status);
const char * const  *msc_mailbox_get_keywords       (MscMailbox       *self);

/* < private >
 * For MscMailStore and its backends only (they belong in an
 * msc-mailbox-private.h): the store is the one writer of a mailbox, so
 * that every change reaches the backend and fires the store's signals. */
MscMailbox          *_msc_mailbox_new               (const char         *account,
                                                     const char         *name,
                                                     MscSpecialUse       special_use,
                                                     guint32             uid_validity,
                                                     guint32             uid_next);
void                 _msc_mailbox_set_name          (MscMailbox         *self,
                                                     const char         *name);
void                 _msc_mailbox_set_uid_next      (MscMailbox         *self,
                                                     guint32             uid_next);
void                 _msc_mailbox_insert            (MscMailbox         *self,
                                                     MscMessage         *message);
void                 _msc_mailbox_remove            (MscMailbox         *self,
                                                     guint32             uid);
void                 _msc_mailbox_remove_all        (MscMailbox         *self);
gboolean             _msc_mailbox_define_keywords   (MscMailbox         *self,
                                                     const char * const *keywords,
                                                     guint               max_keywords);
int                  _msc_mailbox_get_keyword_index (MscMailbox         *self,
                                                     const char         *keyword);

G_END_DECLS
