/* msc-directory.h — what a server engine may ask about accounts
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MSC_TYPE_DIRECTORY (msc_directory_get_type ())

G_DECLARE_INTERFACE (MscDirectory, msc_directory, MSC, DIRECTORY, GObject)

/* The engines are sans-IO and never own the mail store; they ask these
 * questions through this interface, so a unit test can answer them with a
 * small fake and the real servers answer them from MscMailStore.
 *
 * Addresses are compared with the domain case-insensitively; the local part
 * is compared as the implementation decides (the store folds ASCII case, as
 * nearly every real server does). */
struct _MscDirectoryInterface
{
  GTypeInterface parent_iface;

  gboolean (*is_local_domain) (MscDirectory *self,
                               const char   *domain);
  gboolean (*has_account)     (MscDirectory *self,
                               const char   *address);
  gboolean (*check_password)  (MscDirectory *self,
                               const char   *address,
                               const char   *password);
};

gboolean msc_directory_is_local_domain (MscDirectory *self,
                                        const char   *domain);
gboolean msc_directory_has_account     (MscDirectory *self,
                                        const char   *address);
gboolean msc_directory_check_password  (MscDirectory *self,
                                        const char   *address,
                                        const char   *password);

G_END_DECLS
