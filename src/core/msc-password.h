/* msc-password.h — salted password hashes for the mail store's accounts
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* OWASP's 2023 figure for PBKDF2-HMAC-SHA256.  Lessons and tests may pass
 * fewer (never below the minimum): their passwords are toys and a lesson
 * with ten accounts should not take two seconds to load. */
#define MSC_PASSWORD_DEFAULT_ITERATIONS 600000
#define MSC_PASSWORD_MIN_ITERATIONS     1000
/* A hash read back from disk is checked against this before we spend the
 * CPU on it, so an edited account file cannot stall the server. */
#define MSC_PASSWORD_MAX_ITERATIONS     10000000

#define MSC_PASSWORD_ERROR (msc_password_error_quark ())

typedef enum
{
  MSC_PASSWORD_ERROR_INVALID_HASH,
  MSC_PASSWORD_ERROR_INVALID_ITERATIONS,
  MSC_PASSWORD_ERROR_CRYPTO,
} MscPasswordError;

GQuark    msc_password_error_quark (void);

char     *msc_password_hash        (const char  *password,
                                    guint        iterations,
                                    GError     **error);
gboolean  msc_password_verify      (const char  *password,
                                    const char  *hash,
                                    GError     **error);
gboolean  msc_password_hash_is_valid (const char *hash);

G_END_DECLS
