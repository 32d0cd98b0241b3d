/* msc-mail-store.h — the one model of mail behind the SMTP, POP3 and IMAP
 * servers: domains, accounts, mailboxes, messages, flags and UIDs
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "msc-directory.h"
#include "msc-mailbox.h"
#include "msc-message.h"
#include "msc-store-backend.h"

G_BEGIN_DECLS

#define MSC_MAIL_STORE_ERROR (msc_mail_store_error_quark ())

/* None of these is fatal to the store: it is unchanged after any error
 * except where a function says otherwise.  IO carries the errno text;
 * CORRUPT means a file on disk could not be understood. */
typedef enum
{
  MSC_MAIL_STORE_ERROR_INVALID_ADDRESS,
  MSC_MAIL_STORE_ERROR_INVALID_DOMAIN,
  MSC_MAIL_STORE_ERROR_INVALID_PASSWORD,
  MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
  MSC_MAIL_STORE_ERROR_INVALID_KEYWORD,
  MSC_MAIL_STORE_ERROR_NO_SUCH_DOMAIN,
  MSC_MAIL_STORE_ERROR_DOMAIN_EXISTS,
  MSC_MAIL_STORE_ERROR_DOMAIN_NOT_EMPTY,
  MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT,
  MSC_MAIL_STORE_ERROR_ACCOUNT_EXISTS,
  MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
  MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
  MSC_MAIL_STORE_ERROR_CANNOT_DELETE_INBOX,
  MSC_MAIL_STORE_ERROR_HAS_CHILDREN,
  MSC_MAIL_STORE_ERROR_TOO_MANY_KEYWORDS,
  MSC_MAIL_STORE_ERROR_UIDS_EXHAUSTED,
  MSC_MAIL_STORE_ERROR_IO,
  MSC_MAIL_STORE_ERROR_CORRUPT,
} MscMailStoreError;

/* Per mailbox, in both backends: Maildir has 26 letters for keywords. */
#define MSC_MAIL_STORE_MAX_KEYWORDS 26

/* One line of a UIDPLUS COPYUID response. */
typedef struct
{
  guint32 source;
  guint32 target;
} MscUidPair;

#define MSC_TYPE_MAIL_STORE (msc_mail_store_get_type ())

G_DECLARE_FINAL_TYPE (MscMailStore, msc_mail_store, MSC, MAIL_STORE, GObject)

GQuark           msc_mail_store_error_quark             (void);

MscMailStore    *msc_mail_store_new                     (void);
MscMailStore    *msc_mail_store_new_with_backend        (MscStoreBackend     *backend,
                                                         GError             **error);
MscMailStore    *msc_mail_store_new_for_maildir         (const char          *root,
                                                         GError             **error);
MscStoreBackend *msc_mail_store_get_backend             (MscMailStore        *self);
guint            msc_mail_store_get_password_iterations (MscMailStore        *self);
void             msc_mail_store_set_password_iterations (MscMailStore        *self,
                                                         guint                iterations);

/* The keys the store looks things up by, or %NULL if invalid. */
char            *msc_mail_store_fold_domain             (const char          *domain);
char            *msc_mail_store_fold_address            (const char          *address);
char            *msc_mail_store_normalize_mailbox_name  (const char          *name);

gboolean         msc_mail_store_add_domain              (MscMailStore        *self,
                                                         const char          *domain,
                                                         GError             **error);
gboolean         msc_mail_store_remove_domain           (MscMailStore        *self,
                                                         const char          *domain,
                                                         GError             **error);
GStrv            msc_mail_store_list_domains            (MscMailStore        *self);

gboolean         msc_mail_store_add_account             (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *display_name,
                                                         const char          *password,
                                                         GError             **error);
gboolean         msc_mail_store_remove_account          (MscMailStore        *self,
                                                         const char          *address,
                                                         GError             **error);
gboolean         msc_mail_store_set_password            (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *password,
                                                         GError             **error);
gboolean         msc_mail_store_set_display_name        (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *display_name,
                                                         GError             **error);
gboolean         msc_mail_store_lookup_account          (MscMailStore        *self,
                                                         const char          *address,
                                                         char               **out_address,
                                                         char               **out_display_name);
GStrv            msc_mail_store_list_accounts           (MscMailStore        *self,
                                                         const char          *domain);

GPtrArray       *msc_mail_store_list_mailboxes          (MscMailStore        *self,
                                                         const char          *address,
                                                         GError             **error);
MscMailbox      *msc_mail_store_get_mailbox             (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *name,
                                                         GError             **error);
MscMailbox      *msc_mail_store_get_special_mailbox     (MscMailStore        *self,
                                                         const char          *address,
                                                         MscSpecialUse        special_use,
                                                         GError             **error);
MscMailbox      *msc_mail_store_create_mailbox          (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *name,
                                                         MscSpecialUse        special_use,
                                                         GError             **error);
gboolean         msc_mail_store_delete_mailbox          (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         GError             **error);
gboolean         msc_mail_store_rename_mailbox          (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         const char          *new_name,
                                                         GError             **error);

guint32          msc_mail_store_append                  (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         GBytes              *data,
                                                         MscMessageFlags      flags,
                                                         const char * const  *keywords,
                                                         GDateTime           *internal_date,
                                                         GError             **error);
guint32          msc_mail_store_deliver                 (MscMailStore        *self,
                                                         const char          *address,
                                                         GBytes              *data,
                                                         GError             **error);
guint32          msc_mail_store_deliver_at              (MscMailStore        *self,
                                                         const char          *address,
                                                         GBytes              *data,
                                                         GDateTime           *internal_date,
                                                         GError             **error);
gboolean         msc_mail_store_update_flags            (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         const guint32       *uids,
                                                         gsize                n_uids,
                                                         MscFlagsMode         mode,
                                                         MscMessageFlags      flags,
                                                         const char * const  *keywords,
                                                         GError             **error);
gboolean         msc_mail_store_expunge                 (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         const guint32       *uids,
                                                         gsize                n_uids,
                                                         GError             **error);
GArray          *msc_mail_store_copy                    (MscMailStore        *self,
                                                         MscMailbox          *source,
                                                         const guint32       *uids,
                                                         gsize                n_uids,
                                                         MscMailbox          *target,
                                                         GError             **error);
GArray          *msc_mail_store_move                    (MscMailStore        *self,
                                                         MscMailbox          *source,
                                                         const guint32       *uids,
                                                         gsize                n_uids,
                                                         MscMailbox          *target,
                                                         GError             **error);
GArray          *msc_mail_store_take_recent             (MscMailStore        *self,
                                                         MscMailbox          *mailbox,
                                                         GError             **error);

/* IMAP subscriptions (SUBSCRIBE, UNSUBSCRIBE, LSUB): per account, in
 * memory only.  An account starts subscribed to the mailboxes it has when
 * first asked. */
gboolean         msc_mail_store_subscribe               (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *name,
                                                         GError             **error);
gboolean         msc_mail_store_unsubscribe             (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *name,
                                                         GError             **error);
GStrv            msc_mail_store_list_subscriptions      (MscMailStore        *self,
                                                         const char          *address,
                                                         GError             **error);

/* POP3 (RFC 1939): the maildrop lock, held in this object for the whole
 * process, and the optional APOP shared secret, kept in memory only. */
gboolean         msc_mail_store_try_lock_maildrop       (MscMailStore        *self,
                                                         const char          *address);
void             msc_mail_store_unlock_maildrop         (MscMailStore        *self,
                                                         const char          *address);
gboolean         msc_mail_store_is_maildrop_locked      (MscMailStore        *self,
                                                         const char          *address);
gboolean         msc_mail_store_set_apop_secret         (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *secret,
                                                         GError             **error);
gboolean         msc_mail_store_has_apop_secret         (MscMailStore        *self,
                                                         const char          *address);
gboolean         msc_mail_store_has_apop_accounts       (MscMailStore        *self);
char            *msc_mail_store_compute_apop_digest     (const char          *timestamp,
                                                         const char          *secret);
gboolean         msc_mail_store_check_apop              (MscMailStore        *self,
                                                         const char          *address,
                                                         const char          *timestamp,
                                                         const char          *digest);

G_END_DECLS
