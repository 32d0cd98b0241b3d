/* msc-store-backend.h — where a mail store keeps its mail
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-mailbox.h"
#include "msc-message.h"

G_BEGIN_DECLS

#define MSC_TYPE_STORE_BACKEND (msc_store_backend_get_type ())

G_DECLARE_INTERFACE (MscStoreBackend, msc_store_backend, MSC, STORE_BACKEND, GObject)

/* Why a GInterface, and why this shape.
 *
 * MscMailStore keeps the whole model in memory (accounts, mailboxes,
 * messages, UIDs, flags) and decides everything: UID assignment, flag
 * arithmetic, validation, the signals.  A backend only makes each change
 * durable before the store commits it to memory, and loads the model
 * back.  So the rules live in one place and the lesson (memory) and live
 * (Maildir) worlds cannot drift apart.  The memory backend is therefore
 * "no backend": a store whose backend is %NULL persists nothing.
 *
 * A GInterface rather than a struct of function pointers because a backend
 * has state and a lifetime (reference counted, finalized with the store),
 * and because a test can implement it in a few lines to inject failures
 * (a full disk) and check that the store's model is left unchanged.
 *
 * Every vfunc is called before the store changes its model; on FALSE the
 * store leaves the model as it was, so a vfunc must leave the disk
 * matching the model too (undo what it did, or leave only what load
 * would clean up).  Batch vfuncs (append, move) are all or nothing;
 * expunge reports how far it got, since unlinked files cannot come back.
 *
 * Names: @account is the account's folded address (what the store looks
 * up, see msc_mail_store_fold_address()); @domain is a folded domain. */
struct _MscStoreBackendInterface
{
  GTypeInterface parent_iface;

  /* Optional.  A UIDVALIDITY for a new mailbox, greater than any this
   * backend ever handed out or has on disk, also across restarts, so a
   * mailbox deleted and made again never reuses one (RFC 3501 2.3.1.1).
   * Without it the store counts from 1, which is right only in memory. */
  guint32  (*next_uid_validity) (MscStoreBackend  *self);

  gboolean (*load)           (MscStoreBackend     *self,
                              GPtrArray          **domains,
                              GPtrArray          **accounts,
                              GError             **error);

  gboolean (*add_domain)     (MscStoreBackend     *self,
                              const char          *domain,
                              GError             **error);
  gboolean (*remove_domain)  (MscStoreBackend     *self,
                              const char          *domain,
                              GError             **error);

  gboolean (*add_account)    (MscStoreBackend     *self,
                              const char          *account,
                              const char          *address,
                              const char          *display_name,
                              const char          *password_hash,
                              GError             **error);
  gboolean (*update_account) (MscStoreBackend     *self,
                              const char          *account,
                              const char          *address,
                              const char          *display_name,
                              const char          *password_hash,
                              GError             **error);
  gboolean (*remove_account) (MscStoreBackend     *self,
                              const char          *account,
                              GError             **error);

  gboolean (*create_mailbox) (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              GError             **error);
  gboolean (*delete_mailbox) (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              GError             **error);
  gboolean (*rename_mailbox) (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              const char          *new_name,
                              GError             **error);

  gboolean (*append)         (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              MscMessage * const  *messages,
                              guint                n_messages,
                              GError             **error);
  gboolean (*update_message) (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              MscMessage          *message,
                              MscMessageFlags      flags,
                              const char * const  *keywords,
                              gboolean             recent,
                              GError             **error);
  gboolean (*expunge)        (MscStoreBackend     *self,
                              MscMailbox          *mailbox,
                              MscMessage * const  *messages,
                              guint                n_messages,
                              guint               *n_expunged,
                              GError             **error);
  gboolean (*move)           (MscStoreBackend     *self,
                              MscMailbox          *source,
                              MscMessage * const  *messages,
                              MscMailbox          *target,
                              MscMessage * const  *copies,
                              guint                n_messages,
                              GError             **error);
};

/* One account as load() found it. */
typedef struct
{
  char      *account;        /* folded, as the store looks it up */
  char      *address;        /* as given when it was created */
  char      *display_name;   /* nullable */
  char      *password_hash;  /* nullable: the account cannot log in */
  GPtrArray *mailboxes;      /* (element-type MscMailbox), INBOX included */
} MscStoreBackendAccount;

MscStoreBackendAccount *msc_store_backend_account_new  (const char             *account,
                                                        const char             *address,
                                                        const char             *display_name,
                                                        const char             *password_hash);
void                    msc_store_backend_account_free (MscStoreBackendAccount *account);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscStoreBackendAccount, msc_store_backend_account_free)

guint32  msc_store_backend_next_uid_validity (MscStoreBackend  *self);
gboolean msc_store_backend_load           (MscStoreBackend     *self,
                                           GPtrArray          **domains,
                                           GPtrArray          **accounts,
                                           GError             **error);
gboolean msc_store_backend_add_domain     (MscStoreBackend     *self,
                                           const char          *domain,
                                           GError             **error);
gboolean msc_store_backend_remove_domain  (MscStoreBackend     *self,
                                           const char          *domain,
                                           GError             **error);
gboolean msc_store_backend_add_account    (MscStoreBackend     *self,
                                           const char          *account,
                                           const char          *address,
                                           const char          *display_name,
                                           const char          *password_hash,
                                           GError             **error);
gboolean msc_store_backend_update_account (MscStoreBackend     *self,
                                           const char          *account,
                                           const char          *address,
                                           const char          *display_name,
                                           const char          *password_hash,
                                           GError             **error);
gboolean msc_store_backend_remove_account (MscStoreBackend     *self,
                                           const char          *account,
                                           GError             **error);
gboolean msc_store_backend_create_mailbox (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           GError             **error);
gboolean msc_store_backend_delete_mailbox (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           GError             **error);
gboolean msc_store_backend_rename_mailbox (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           const char          *new_name,
                                           GError             **error);
gboolean msc_store_backend_append         (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           MscMessage * const  *messages,
                                           guint                n_messages,
                                           GError             **error);
gboolean msc_store_backend_update_message (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           MscMessage          *message,
                                           MscMessageFlags      flags,
                                           const char * const  *keywords,
                                           gboolean             recent,
                                           GError             **error);
gboolean msc_store_backend_expunge        (MscStoreBackend     *self,
                                           MscMailbox          *mailbox,
                                           MscMessage * const  *messages,
                                           guint                n_messages,
                                           guint               *n_expunged,
                                           GError             **error);
gboolean msc_store_backend_move           (MscStoreBackend     *self,
                                           MscMailbox          *source,
                                           MscMessage * const  *messages,
                                           MscMailbox          *target,
                                           MscMessage * const  *copies,
                                           guint                n_messages,
                                           GError             **error);

G_END_DECLS
