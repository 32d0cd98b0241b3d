/* msc-password.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-password"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "msc-password.h"

/* The format follows the PHC string format
 * (github.com/P-H-C/phc-string-format), as passlib and Django write it:
 *
 *   $pbkdf2-sha256$i=600000$<salt>$<hash>
 *
 * with salt and hash in standard base64 without padding.  The parameters
 * travel with the hash, so raising the default later leaves old hashes
 * verifiable. */
#define SCHEME        "pbkdf2-sha256"
#define SALT_LEN      16
#define KEY_LEN       32
#define MIN_SALT_LEN  8
#define MAX_SALT_LEN  64
#define MIN_KEY_LEN   16
#define MAX_KEY_LEN   64

G_DEFINE_QUARK (msc-password-error-quark, msc_password_error)

static void
set_crypto_error (GError     **error,
                  const char  *what)
{
  unsigned long code = ERR_get_error ();
  char buf[256] = "";

  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();

  g_set_error (error, MSC_PASSWORD_ERROR, MSC_PASSWORD_ERROR_CRYPTO,
               /* Translators: %s is an OpenSSL function, then its error */
               _("Password hashing failed in %s: %s"),
               what, code != 0 ? buf : _("unknown error"));
}

static gboolean
derive (const char    *password,
        const guint8  *salt,
        gsize          salt_len,
        guint          iterations,
        guint8        *out,
        gsize          out_len,
        GError       **error)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *ctx;
  OSSL_PARAM params[5];
  unsigned int iter = iterations;
  gboolean ok;

  kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_PBKDF2, NULL);
  if (kdf == NULL)
    {
      set_crypto_error (error, "EVP_KDF_fetch");
      return FALSE;
    }

  ctx = EVP_KDF_CTX_new (kdf);
  EVP_KDF_free (kdf);
  if (ctx == NULL)
    {
      set_crypto_error (error, "EVP_KDF_CTX_new");
      return FALSE;
    }

  params[0] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_PASSWORD,
                                                 (void *) password,
                                                 strlen (password));
  params[1] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT,
                                                 (void *) salt, salt_len);
  params[2] = OSSL_PARAM_construct_uint (OSSL_KDF_PARAM_ITER, &iter);
  params[3] = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST,
                                                (char *) "SHA256", 0);
  params[4] = OSSL_PARAM_construct_end ();

  ok = EVP_KDF_derive (ctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free (ctx);

  if (!ok)
    set_crypto_error (error, "EVP_KDF_derive");

  return ok;
}

static char *
b64_encode (const guint8 *data,
            gsize         len)
{
  char *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';

  return text;
}

/* g_base64_decode() skips characters it does not know, so a damaged hash
 * would decode to something shorter rather than fail; check first. */
static guint8 *
b64_decode (const char *text,
            gsize      *out_len)
{
  gsize n = strlen (text);
  g_autoptr (GString) padded = NULL;

  if (n == 0 || n % 4 == 1)
    return NULL;

  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return NULL;

  padded = g_string_new (text);
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');

  return g_base64_decode (padded->str, out_len);
}

typedef struct
{
  guint   iterations;
  guint8 *salt;
  gsize   salt_len;
  guint8 *key;
  gsize   key_len;
} ParsedHash;

static void
parsed_hash_clear (ParsedHash *parsed)
{
  g_clear_pointer (&parsed->salt, g_free);
  if (parsed->key != NULL)
    OPENSSL_cleanse (parsed->key, parsed->key_len);
  g_clear_pointer (&parsed->key, g_free);
}

static gboolean
parse_hash (const char  *hash,
            ParsedHash  *parsed,
            GError     **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 iterations;

  memset (parsed, 0, sizeof *parsed);

  parts = g_strsplit (hash, "$", 0);
  if (g_strv_length (parts) != 5 || parts[0][0] != '\0'
      || strcmp (parts[1], SCHEME) != 0
      || !g_str_has_prefix (parts[2], "i=")
      || !g_ascii_string_to_unsigned (parts[2] + 2, 10,
                                      MSC_PASSWORD_MIN_ITERATIONS,
                                      MSC_PASSWORD_MAX_ITERATIONS,
                                      &iterations, NULL))
    goto invalid;

  parsed->iterations = (guint) iterations;
  parsed->salt = b64_decode (parts[3], &parsed->salt_len);
  parsed->key = b64_decode (parts[4], &parsed->key_len);

  if (parsed->salt == NULL || parsed->key == NULL
      || parsed->salt_len < MIN_SALT_LEN || parsed->salt_len > MAX_SALT_LEN
      || parsed->key_len < MIN_KEY_LEN || parsed->key_len > MAX_KEY_LEN)
    goto invalid;

  return TRUE;

invalid:
  parsed_hash_clear (parsed);
  g_set_error_literal (error, MSC_PASSWORD_ERROR,
                       MSC_PASSWORD_ERROR_INVALID_HASH,
                       _("The stored password hash is not in a known format"));
  return FALSE;
}

/**
 * msc_password_hash:
 * @password: the password, any bytes but NUL
 * @iterations: PBKDF2 rounds, or 0 for %MSC_PASSWORD_DEFAULT_ITERATIONS
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a PHC-style string with a fresh random salt
 */
char *
msc_password_hash (const char  *password,
                   guint        iterations,
                   GError     **error)
{
  guint8 salt[SALT_LEN];
  guint8 key[KEY_LEN];
  g_autofree char *salt_text = NULL;
  g_autofree char *key_text = NULL;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (iterations == 0)
    iterations = MSC_PASSWORD_DEFAULT_ITERATIONS;

  if (iterations < MSC_PASSWORD_MIN_ITERATIONS
      || iterations > MSC_PASSWORD_MAX_ITERATIONS)
    {
      g_set_error (error, MSC_PASSWORD_ERROR,
                   MSC_PASSWORD_ERROR_INVALID_ITERATIONS,
                   _("The iteration count %u is outside %u–%u"),
                   iterations, MSC_PASSWORD_MIN_ITERATIONS,
                   MSC_PASSWORD_MAX_ITERATIONS);
      return NULL;
    }

  if (RAND_bytes (salt, sizeof salt) != 1)
    {
      set_crypto_error (error, "RAND_bytes");
      return NULL;
    }

  if (!derive (password, salt, sizeof salt, iterations, key, sizeof key, error))
    return NULL;

  salt_text = b64_encode (salt, sizeof salt);
  key_text = b64_encode (key, sizeof key);
  OPENSSL_cleanse (key, sizeof key);

  return g_strdup_printf ("$" SCHEME "$i=%u$%s$%s",
                          iterations, salt_text, key_text);
}

/**
 * msc_password_verify:
 * @password: the password a client sent
 * @hash: a string from msc_password_hash()
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @password matches.  %FALSE with @error unset means a
 *   wrong password; %FALSE with @error set means @hash is damaged or the
 *   KDF failed, which the caller should log rather than tell the client.
 */
gboolean
msc_password_verify (const char  *password,
                     const char  *hash,
                     GError     **error)
{
  ParsedHash parsed;
  g_autofree guint8 *derived = NULL;
  gboolean match;

  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_hash (hash, &parsed, error))
    return FALSE;

  derived = g_malloc (parsed.key_len);
  if (!derive (password, parsed.salt, parsed.salt_len, parsed.iterations,
               derived, parsed.key_len, error))
    {
      parsed_hash_clear (&parsed);
      return FALSE;
    }

  /* Lengths come from the stored hash, not the guess, so comparing them
   * first reveals nothing; the bytes are compared in constant time. */
  match = CRYPTO_memcmp (derived, parsed.key, parsed.key_len) == 0;

  OPENSSL_cleanse (derived, parsed.key_len);
  parsed_hash_clear (&parsed);

  return match;
}

/**
 * msc_password_hash_is_valid:
 * @hash: a string that claims to be a password hash
 *
 * Returns: %TRUE if msc_password_verify() could check a password against it
 */
gboolean
msc_password_hash_is_valid (const char *hash)
{
  ParsedHash parsed;

  g_return_val_if_fail (hash != NULL, FALSE);

  if (!parse_hash (hash, &parsed, NULL))
    return FALSE;

  parsed_hash_clear (&parsed);
  return TRUE;
}
