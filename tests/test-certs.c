/* test-certs.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-certs"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "msc-certs.h"
#include "msc-openssl.h"

#define DAY (G_GINT64_CONSTANT (24) * 60 * 60)

static const char * const MAIL_NAMES[] = { "mail.example.com", "localhost", "127.0.0.1", NULL };

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_dir_make_tmp ("msc-certs-XXXXXX", &error);

  g_assert_no_error (error);
  /* A folder that does not exist yet: the store makes it. */
  fixture->dir = g_build_filename (parent, "mailscope", "tls", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_assert_cmpint (g_remove (child), ==, 0);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *tls = g_path_get_dirname (fixture->dir);
  g_autofree char *parent = g_path_get_dirname (tls);

  remove_tree (parent);
  g_free (fixture->dir);
}

static MscCertStore *
open_store (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  MscCertStore *store = msc_cert_store_new (fixture->dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);

  return store;
}

static void
get_identity (MscCertStore        *store,
              const char * const  *names,
              MscCertKind          kind,
              X509               **certificate,
              EVP_PKEY           **key)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_cert_store_get_server_identity (store, names, kind, certificate, key, &error));
  g_assert_no_error (error);
  g_assert_nonnull (*certificate);
  g_assert_nonnull (*key);
}

static guint
file_mode (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);

  return st.st_mode & 07777;
}

/* What a client checking @certificate for @host, trusting only @ca,
 * finds: X509_V_OK or the first error. */
static int
verify (X509       *ca,
        X509       *certificate,
        const char *host)
{
  g_autoptr(X509_STORE) store = X509_STORE_new ();
  g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new ();
  X509_VERIFY_PARAM *param;

  g_assert_true (X509_STORE_add_cert (store, ca));
  g_assert_true (X509_STORE_CTX_init (ctx, store, certificate, NULL));
  param = X509_STORE_CTX_get0_param (ctx);
  g_assert_true (X509_VERIFY_PARAM_set_purpose (param, X509_PURPOSE_SSL_SERVER));
  if (g_hostname_is_ip_address (host))
    g_assert_true (X509_VERIFY_PARAM_set1_ip_asc (param, host));
  else
    g_assert_true (X509_VERIFY_PARAM_set1_host (param, host, 0));

  X509_verify_cert (ctx);

  return X509_STORE_CTX_get_error (ctx);
}

static gint64
days_between (const ASN1_TIME *from,
              const ASN1_TIME *to)
{
  g_autoptr(GDateTime) a = msc_certificate_time_to_date_time (from);
  g_autoptr(GDateTime) b = msc_certificate_time_to_date_time (to);

  return (g_date_time_to_unix (b) - g_date_time_to_unix (a)) / DAY;
}

static void
test_ca (Fixture       *fixture,
         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  X509 *ca = msc_cert_store_get_ca (store);
  EVP_PKEY *public_key = X509_get0_pubkey (ca);
  g_autofree char *subject = X509_NAME_oneline (X509_get_subject_name (ca), NULL, 0);

  g_assert_true (X509_check_ca (ca) >= 1);
  g_assert_cmpint (X509_self_signed (ca, 1), ==, 1);
  g_assert_cmphex (X509_get_key_usage (ca) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN), ==,
                   KU_KEY_CERT_SIGN | KU_CRL_SIGN);
  g_assert_true (EVP_PKEY_is_a (public_key, "EC"));
  g_assert_cmpint (EVP_PKEY_get_bits (public_key), ==, 256);
  g_assert_nonnull (strstr (subject, "CN=Mailscope Teaching CA "));
  g_assert_cmpint (days_between (X509_get0_notBefore (ca), X509_get0_notAfter (ca)), >=, 3650);

  /* The folder is the user's alone; so is the key. */
  g_assert_cmpstr (msc_cert_store_get_dir (store), ==, fixture->dir);
  g_assert_cmpuint (file_mode (fixture->dir, "."), ==, 0700);
  g_assert_cmpuint (file_mode (fixture->dir, "ca-key.pem"), ==, 0600);
  g_assert_true (g_file_test (msc_cert_store_get_ca_path (store), G_FILE_TEST_IS_REGULAR));
}

static void
test_reuse (Fixture       *fixture,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) again = NULL;
  g_autoptr(EVP_PKEY) again_key = NULL;
  g_autoptr(X509) other = NULL;
  g_autoptr(EVP_PKEY) other_key = NULL;
  g_autofree char *ca_fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_autofree char *reopened_fingerprint = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *again_fingerprint = NULL;
  g_autofree char *other_fingerprint = NULL;
  static const char * const just_localhost[] = { "localhost", NULL };

  g_assert_cmpuint (strlen (ca_fingerprint), ==, 32 * 3 - 1);
  get_identity (store, MAIL_NAMES, MSC_CERT_KIND_GOOD, &certificate, &key);
  fingerprint = msc_certificate_get_fingerprint (certificate);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* Another run: the same CA and the same server certificate, from disk */
  store = open_store (fixture);
  reopened_fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_assert_cmpstr (reopened_fingerprint, ==, ca_fingerprint);
  get_identity (store, MAIL_NAMES, MSC_CERT_KIND_GOOD, &again, &again_key);
  again_fingerprint = msc_certificate_get_fingerprint (again);
  g_assert_cmpstr (again_fingerprint, ==, fingerprint);
  g_assert_cmpint (EVP_PKEY_eq (key, again_key), ==, 1);

  /* Other names, another certificate */
  get_identity (store, just_localhost, MSC_CERT_KIND_GOOD, &other, &other_key);
  other_fingerprint = msc_certificate_get_fingerprint (other);
  g_assert_cmpstr (other_fingerprint, !=, fingerprint);
}

static void
test_key_modes (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(GDir) dir = NULL;
  g_autofree char *ca_key_path = g_build_filename (fixture->dir, "ca-key.pem", NULL);
  g_autofree char *fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_autofree char *reopened_fingerprint = NULL;
  const char *name;
  guint n_keys = 0;
  guint n_files = 0;

  for (MscCertKind kind = 0; kind < MSC_CERT_N_KINDS; kind++)
    {
      g_autoptr(X509) certificate = NULL;
      g_autoptr(EVP_PKEY) key = NULL;

      get_identity (store, MAIL_NAMES, kind, &certificate, &key);
    }

  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      n_files++;
      if (g_str_has_suffix (name, "-key.pem"))
        {
          g_assert_cmpuint (file_mode (fixture->dir, name), ==, 0600);
          n_keys++;
        }
      else
        {
          g_assert_true (g_str_has_suffix (name, ".pem"));
          g_assert_cmpuint (file_mode (fixture->dir, name) & 022, ==, 0);
        }
    }
  /* The CA and one pair per kind; no temporary files left behind */
  g_assert_cmpuint (n_keys, ==, 1 + MSC_CERT_N_KINDS);
  g_assert_cmpuint (n_files, ==, 2 * n_keys);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* A key someone made readable is tightened, and kept */
  g_assert_cmpint (g_chmod (ca_key_path, 0644), ==, 0);
  store = open_store (fixture);
  g_assert_cmpuint (file_mode (fixture->dir, "ca-key.pem"), ==, 0600);
  reopened_fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_assert_cmpstr (reopened_fingerprint, ==, fingerprint);
}

static void
test_regenerate (Fixture       *fixture,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) remade = NULL;
  g_autoptr(EVP_PKEY) remade_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_autofree char *new_fingerprint = NULL;
  g_autofree char *ca_path = g_strdup (msc_cert_store_get_ca_path (store));

  get_identity (store, MAIL_NAMES, MSC_CERT_KIND_GOOD, &certificate, &key);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* A broken CA file: a new CA, and the old server certificate, signed
   * by the old CA, is made again too */
  g_file_set_contents (ca_path, "-----BEGIN CERTIFICATE-----\nbroken\n", -1, &error);
  g_assert_no_error (error);

  store = open_store (fixture);
  new_fingerprint = msc_cert_store_get_ca_fingerprint (store);
  g_assert_cmpstr (new_fingerprint, !=, fingerprint);
  g_assert_cmpint (verify (msc_cert_store_get_ca (store), certificate, "mail.example.com"), ==,
                   X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

  get_identity (store, MAIL_NAMES, MSC_CERT_KIND_GOOD, &remade, &remade_key);
  g_assert_cmpint (X509_cmp (remade, certificate), !=, 0);
  g_assert_cmpint (verify (msc_cert_store_get_ca (store), remade, "mail.example.com"), ==,
                   X509_V_OK);
}

static void
test_server (Fixture       *fixture,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_auto(GStrv) names = NULL;
  X509 *ca = msc_cert_store_get_ca (store);
  g_autoptr(GDateTime) not_before = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *subject = NULL;

  get_identity (store, MAIL_NAMES, MSC_CERT_KIND_GOOD, &certificate, &key);

  names = msc_certificate_get_names (certificate);
  g_assert_cmpstrv (names, ((const char * const[]) {
    "DNS:mail.example.com", "DNS:localhost", "IP:127.0.0.1", NULL }));

  subject = X509_NAME_oneline (X509_get_subject_name (certificate), NULL, 0);
  g_assert_cmpstr (subject, ==, "/O=Mailscope/CN=mail.example.com");
  g_assert_cmpint (X509_check_ca (certificate), ==, 0);
  g_assert_cmphex (X509_get_extended_key_usage (certificate), ==, XKU_SSL_SERVER);
  g_assert_cmphex (X509_get_key_usage (certificate), ==, KU_DIGITAL_SIGNATURE);
  g_assert_cmpint (X509_check_private_key (certificate, key), ==, 1);
  g_assert_true (EVP_PKEY_is_a (key, "EC"));

  /* Signed by the CA, valid for about two years from about now */
  g_assert_cmpint (X509_check_issued (ca, certificate), ==, X509_V_OK);
  g_assert_cmpint (X509_verify (certificate, X509_get0_pubkey (ca)), ==, 1);
  g_assert_cmpint (days_between (X509_get0_notBefore (certificate),
                                 X509_get0_notAfter (certificate)), ==, 730);
  not_before = msc_certificate_time_to_date_time (X509_get0_notBefore (certificate));
  g_assert_cmpint (g_date_time_difference (now, not_before), <=, G_TIME_SPAN_DAY);
  g_assert_cmpint (g_date_time_difference (now, not_before), >, 0);

  /* …and a client checking any of its names accepts it */
  for (guint i = 0; MAIL_NAMES[i] != NULL; i++)
    g_assert_cmpint (verify (ca, certificate, MAIL_NAMES[i]), ==, X509_V_OK);
  g_assert_cmpint (verify (ca, certificate, "MAIL.Example.COM"), ==, X509_V_OK);
  g_assert_cmpint (verify (ca, certificate, "127.0.0.2"), ==, X509_V_ERR_IP_ADDRESS_MISMATCH);
  g_assert_cmpint (verify (ca, certificate, "imap.example.com"), ==, X509_V_ERR_HOSTNAME_MISMATCH);
}

typedef struct
{
  MscCertKind  kind;
  int          error;
  const char  *names;
} BadCase;

static void
test_bad_kinds (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  static const BadCase cases[] = {
    { MSC_CERT_KIND_GOOD, X509_V_OK, "DNS:mail.example.com DNS:localhost IP:127.0.0.1" },
    { MSC_CERT_KIND_SELF_SIGNED, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
      "DNS:mail.example.com DNS:localhost IP:127.0.0.1" },
    { MSC_CERT_KIND_WRONG_NAME, X509_V_ERR_HOSTNAME_MISMATCH, "DNS:" MSC_CERT_WRONG_NAME },
    { MSC_CERT_KIND_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED,
      "DNS:mail.example.com DNS:localhost IP:127.0.0.1" },
    { MSC_CERT_KIND_NOT_YET_VALID, X509_V_ERR_CERT_NOT_YET_VALID,
      "DNS:mail.example.com DNS:localhost IP:127.0.0.1" },
  };
  g_autoptr(MscCertStore) store = open_store (fixture);
  X509 *ca = msc_cert_store_get_ca (store);
  g_autoptr(GHashTable) fingerprints = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, NULL);

  G_STATIC_ASSERT (G_N_ELEMENTS (cases) == MSC_CERT_N_KINDS);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(X509) certificate = NULL;
      g_autoptr(EVP_PKEY) key = NULL;
      g_auto(GStrv) names = NULL;
      g_autofree char *joined = NULL;
      g_autoptr(GDateTime) not_after = NULL;
      g_autoptr(GDateTime) not_before = NULL;
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;

      g_test_message ("%s", msc_cert_kind_get_name (cases[i].kind));
      get_identity (store, MAIL_NAMES, cases[i].kind, &certificate, &key);

      /* Bad in exactly one way: the one it is meant for */
      g_assert_cmpint (verify (ca, certificate, "mail.example.com"), ==, cases[i].error);
      names = msc_certificate_get_names (certificate);
      joined = g_strjoinv (" ", names);
      g_assert_cmpstr (joined, ==, cases[i].names);
      g_assert_cmpint (X509_check_private_key (certificate, key), ==, 1);
      /* Five different certificates, not one under five names */
      g_assert_true (g_hash_table_add (fingerprints,
                                       msc_certificate_get_fingerprint (certificate)));

      not_before = msc_certificate_time_to_date_time (X509_get0_notBefore (certificate));
      not_after = msc_certificate_time_to_date_time (X509_get0_notAfter (certificate));
      switch (cases[i].kind)
        {
        case MSC_CERT_KIND_SELF_SIGNED:
          g_assert_cmpint (X509_self_signed (certificate, 1), ==, 1);
          g_assert_cmpint (X509_check_ca (certificate), ==, 0);
          break;
        case MSC_CERT_KIND_WRONG_NAME:
          g_assert_cmpint (verify (ca, certificate, MSC_CERT_WRONG_NAME), ==, X509_V_OK);
          break;
        case MSC_CERT_KIND_EXPIRED:
          g_assert_cmpint (g_date_time_to_unix (not_after), <, now - 29 * DAY);
          g_assert_cmpint (X509_verify (certificate, X509_get0_pubkey (ca)), ==, 1);
          break;
        case MSC_CERT_KIND_NOT_YET_VALID:
          g_assert_cmpint (g_date_time_to_unix (not_before), >, now + 364 * DAY);
          g_assert_cmpint (X509_verify (certificate, X509_get0_pubkey (ca)), ==, 1);
          break;
        case MSC_CERT_KIND_GOOD:
        case MSC_CERT_N_KINDS:
        default:
          break;
        }
    }
}

static void
test_invalid_names (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  static const char * const injection[] = { "mail.example.com,DNS:bank.example", NULL };
  static const char * const space[] = { "mail example", NULL };
  static const char * const none[] = { NULL };
  static const char * const idn[] = { "邮件.例子.公司", "::1", NULL };
  const char * const *bad[] = { injection, space, none };
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree char *ascii = g_hostname_to_ascii (idn[0]);
  g_autofree char *expected = g_strconcat ("DNS:", ascii, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (msc_cert_store_get_server_identity (store, bad[i], MSC_CERT_KIND_GOOD,
                                                          &certificate, &key, &error));
      g_assert_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_INVALID_NAME);
      g_assert_null (certificate);
    }

  /* Internationalized names go in as A-labels (RFC 6125 §6.4.2) */
  get_identity (store, idn, MSC_CERT_KIND_GOOD, &certificate, &key);
  names = msc_certificate_get_names (certificate);
  g_assert_true (g_str_has_prefix (ascii, "xn--"));
  g_assert_cmpstrv (names, ((const char * const[]) { expected, "IP:::1", NULL }));
  g_assert_cmpint (verify (msc_cert_store_get_ca (store), certificate, ascii), ==, X509_V_OK);
}

static void
test_ca_out (Fixture       *fixture,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscCertStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autofree char *out_dir = g_path_get_dirname (fixture->dir);
  g_autofree char *path = g_build_filename (out_dir, "mailscope-ca.pem", NULL);
  g_autofree char *pem = msc_cert_store_get_ca_pem (store);
  g_autofree char *written = NULL;
  g_autofree char *on_disk = NULL;

  g_assert_true (msc_cert_store_write_ca_pem (store, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &written, NULL, NULL));
  g_assert_true (g_file_get_contents (msc_cert_store_get_ca_path (store), &on_disk, NULL, NULL));

  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE-----\n"));
  g_assert_cmpstr (written, ==, pem);
  g_assert_cmpstr (on_disk, ==, pem);
  g_assert_null (strstr (written, "PRIVATE KEY"));

  /* A folder that cannot be written: a clear error, no crash */
  {
    g_autofree char *bad_path = g_build_filename (fixture->dir, "missing", "ca.pem", NULL);
    g_autoptr(GError) bad_error = NULL;

    g_assert_false (msc_cert_store_write_ca_pem (store, bad_path, &bad_error));
    g_assert_error (bad_error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_FILE);
  }
}

static void
test_unusable_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_dir_make_tmp ("msc-certs-XXXXXX", &error);
  g_autofree char *file = g_build_filename (parent, "file", NULL);
  g_autofree char *dir = g_build_filename (file, "tls", NULL);
  g_autoptr(MscCertStore) store = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (file, "", 0, NULL));

  store = msc_cert_store_new (dir, &error);
  g_assert_null (store);
  g_assert_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_FILE);

  g_remove (file);
  g_rmdir (parent);
}

static void
test_names (void)
{
  g_assert_cmpstr (msc_cert_kind_get_name (MSC_CERT_KIND_GOOD), ==, "good");
  g_assert_cmpstr (msc_cert_kind_get_name (MSC_CERT_KIND_SELF_SIGNED), ==, "self-signed");
  g_assert_cmpstr (msc_cert_kind_get_name (MSC_CERT_KIND_WRONG_NAME), ==, "wrong-name");
  g_assert_cmpstr (msc_cert_kind_get_name (MSC_CERT_KIND_EXPIRED), ==, "expired");
  g_assert_cmpstr (msc_cert_kind_get_name (MSC_CERT_KIND_NOT_YET_VALID), ==, "not-yet-valid");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/certs/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("ca", test_ca);
  ADD ("reuse", test_reuse);
  ADD ("key-modes", test_key_modes);
  ADD ("regenerate", test_regenerate);
  ADD ("server", test_server);
  ADD ("bad-kinds", test_bad_kinds);
  ADD ("invalid-names", test_invalid_names);
  ADD ("ca-out", test_ca_out);

#undef ADD

  g_test_add_func ("/msc/certs/unusable-dir", test_unusable_dir);
  g_test_add_func ("/msc/certs/names", test_names);

  return g_test_run ();
}
