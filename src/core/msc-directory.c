/* msc-directory.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "msc-directory.h"

G_DEFINE_INTERFACE (MscDirectory, msc_directory, G_TYPE_OBJECT)

static void
msc_directory_default_init (MscDirectoryInterface *iface)
{
}

gboolean
msc_directory_is_local_domain (MscDirectory *self,
                               const char   *domain)
{
  g_return_val_if_fail (MSC_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  return MSC_DIRECTORY_GET_IFACE (self)->is_local_domain (self, domain);
}

gboolean
msc_directory_has_account (MscDirectory *self,
                           const char   *address)
{
  g_return_val_if_fail (MSC_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return MSC_DIRECTORY_GET_IFACE (self)->has_account (self, address);
}

gboolean
msc_directory_check_password (MscDirectory *self,
                              const char   *address,
                              const char   *password)
{
  g_return_val_if_fail (MSC_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  return MSC_DIRECTORY_GET_IFACE (self)->check_password (self, address, password);
}
