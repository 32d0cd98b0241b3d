/* msc-store-backend.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-store-backend"

#include "config.h"

#include "msc-store-backend.h"

G_DEFINE_INTERFACE (MscStoreBackend, msc_store_backend, G_TYPE_OBJECT)

static void
msc_store_backend_default_init (MscStoreBackendInterface *iface)
{
}

MscStoreBackendAccount *
msc_store_backend_account_new (const char *account,
                               const char *address,
                               const char *display_name,
                               const char *password_hash)
{
  MscStoreBackendAccount *self;

  g_return_val_if_fail (account != NULL, NULL);
  g_return_val_if_fail (address != NULL, NULL);

  self = g_new0 (MscStoreBackendAccount, 1);
  self->account = g_strdup (account);
  self->address = g_strdup (address);
  self->display_name = g_strdup (display_name);
  self->password_hash = g_strdup (password_hash);
  self->mailboxes = g_ptr_array_new_with_free_func (g_object_unref);

  return self;
}

void
msc_store_backend_account_free (MscStoreBackendAccount *self)
{
  if (self == NULL)
    return;

  g_free (self->account);
  g_free (self->address);
  g_free (self->display_name);
  g_free (self->password_hash);
  g_clear_pointer (&self->mailboxes, g_ptr_array_unref);
  g_free (self);
}

/**
 * msc_store_backend_next_uid_validity:
 *
 * Returns: a fresh UIDVALIDITY, or 0 if the backend leaves it to the store
 */
guint32
msc_store_backend_next_uid_validity (MscStoreBackend *self)
{
  MscStoreBackendInterface *iface;

  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), 0);

  iface = MSC_STORE_BACKEND_GET_IFACE (self);
  if (iface->next_uid_validity == NULL)
    return 0;

  return iface->next_uid_validity (self);
}

/**
 * msc_store_backend_load:
 * @domains: (out) (transfer container) (element-type utf8): folded domains
 * @accounts: (out) (transfer container) (element-type MscStoreBackendAccount):
 *   the accounts with their mailboxes and messages
 *
 * Reads what the backend holds, bringing it up to date on the way (for
 * Maildir: new UIDs for files that appeared, vanished files expunged).
 */
gboolean
msc_store_backend_load (MscStoreBackend  *self,
                        GPtrArray       **domains,
                        GPtrArray       **accounts,
                        GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (domains != NULL && accounts != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->load (self, domains, accounts, error);
}

gboolean
msc_store_backend_add_domain (MscStoreBackend  *self,
                              const char       *domain,
                              GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->add_domain (self, domain, error);
}

gboolean
msc_store_backend_remove_domain (MscStoreBackend  *self,
                                 const char       *domain,
                                 GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->remove_domain (self, domain, error);
}

gboolean
msc_store_backend_add_account (MscStoreBackend  *self,
                               const char       *account,
                               const char       *address,
                               const char       *display_name,
                               const char       *password_hash,
                               GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (account != NULL && address != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->add_account (self, account, address,
                                                          display_name,
                                                          password_hash, error);
}

gboolean
msc_store_backend_update_account (MscStoreBackend  *self,
                                  const char       *account,
                                  const char       *address,
                                  const char       *display_name,
                                  const char       *password_hash,
                                  GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (account != NULL && address != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->update_account (self, account, address,
                                                             display_name,
                                                             password_hash, error);
}

gboolean
msc_store_backend_remove_account (MscStoreBackend  *self,
                                  const char       *account,
                                  GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->remove_account (self, account, error);
}

gboolean
msc_store_backend_create_mailbox (MscStoreBackend  *self,
                                  MscMailbox       *mailbox,
                                  GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->create_mailbox (self, mailbox, error);
}

gboolean
msc_store_backend_delete_mailbox (MscStoreBackend  *self,
                                  MscMailbox       *mailbox,
                                  GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->delete_mailbox (self, mailbox, error);
}

gboolean
msc_store_backend_rename_mailbox (MscStoreBackend  *self,
                                  MscMailbox       *mailbox,
                                  const char       *new_name,
                                  GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (new_name != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->rename_mailbox (self, mailbox, new_name, error);
}

gboolean
msc_store_backend_append (MscStoreBackend     *self,
                          MscMailbox          *mailbox,
                          MscMessage * const  *messages,
                          guint                n_messages,
                          GError             **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (messages != NULL || n_messages == 0, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->append (self, mailbox, messages,
                                                     n_messages, error);
}

gboolean
msc_store_backend_update_message (MscStoreBackend     *self,
                                  MscMailbox          *mailbox,
                                  MscMessage          *message,
                                  MscMessageFlags      flags,
                                  const char * const  *keywords,
                                  gboolean             recent,
                                  GError             **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (MSC_IS_MESSAGE (message), FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->update_message (self, mailbox, message,
                                                             flags, keywords,
                                                             recent, error);
}

gboolean
msc_store_backend_expunge (MscStoreBackend     *self,
                           MscMailbox          *mailbox,
                           MscMessage * const  *messages,
                           guint                n_messages,
                           guint               *n_expunged,
                           GError             **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (messages != NULL || n_messages == 0, FALSE);
  g_return_val_if_fail (n_expunged != NULL, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->expunge (self, mailbox, messages,
                                                      n_messages, n_expunged,
                                                      error);
}

gboolean
msc_store_backend_move (MscStoreBackend     *self,
                        MscMailbox          *source,
                        MscMessage * const  *messages,
                        MscMailbox          *target,
                        MscMessage * const  *copies,
                        guint                n_messages,
                        GError             **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (source), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (target), FALSE);
  g_return_val_if_fail (messages != NULL || n_messages == 0, FALSE);
  g_return_val_if_fail (copies != NULL || n_messages == 0, FALSE);

  return MSC_STORE_BACKEND_GET_IFACE (self)->move (self, source, messages, target,
                                                   copies, n_messages, error);
}
