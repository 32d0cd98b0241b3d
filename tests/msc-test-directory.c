/* msc-test-directory.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "msc-test-directory.h"

struct _TestDirectory
{
  GObject     parent_instance;
  GHashTable *domains;    /* ASCII-folded */
  GHashTable *passwords;  /* ASCII-folded address → password */
};

static void test_directory_iface_init (MscDirectoryInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestDirectory, test_directory, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_DIRECTORY, test_directory_iface_init))

static gboolean
test_directory_is_local_domain (MscDirectory *directory,
                                const char   *domain)
{
  g_autofree char *key = g_ascii_strdown (domain, -1);

  return g_hash_table_contains (TEST_DIRECTORY (directory)->domains, key);
}

static gboolean
test_directory_has_account (MscDirectory *directory,
                            const char   *address)
{
  g_autofree char *key = g_ascii_strdown (address, -1);

  return g_hash_table_contains (TEST_DIRECTORY (directory)->passwords, key);
}

static gboolean
test_directory_check_password (MscDirectory *directory,
                               const char   *address,
                               const char   *password)
{
  g_autofree char *key = g_ascii_strdown (address, -1);
  const char *known = g_hash_table_lookup (TEST_DIRECTORY (directory)->passwords, key);

  return known != NULL && strcmp (known, password) == 0;
}

static void
test_directory_iface_init (MscDirectoryInterface *iface)
{
  iface->is_local_domain = test_directory_is_local_domain;
  iface->has_account = test_directory_has_account;
  iface->check_password = test_directory_check_password;
}

static void
test_directory_finalize (GObject *object)
{
  TestDirectory *self = TEST_DIRECTORY (object);

  g_hash_table_unref (self->domains);
  g_hash_table_unref (self->passwords);

  G_OBJECT_CLASS (test_directory_parent_class)->finalize (object);
}

static void
test_directory_class_init (TestDirectoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_directory_finalize;
}

static void
test_directory_init (TestDirectory *self)
{
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_add (self->domains, g_strdup ("example.com"));
  g_hash_table_add (self->domains, g_strdup ("例子.公司"));
  g_hash_table_insert (self->passwords, g_strdup ("alice@example.com"), g_strdup ("secret"));
  g_hash_table_insert (self->passwords, g_strdup ("bob@example.com"), g_strdup ("hunter2"));
  g_hash_table_insert (self->passwords, g_strdup ("张三@例子.公司"), g_strdup ("密码"));
}
