/* msc-certs.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-certs"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "msc-certs.h"
#include "msc-openssl.h"
#include "msc-wire.h"

#define DAY                  (G_GINT64_CONSTANT (24) * 60 * 60)
/* Ten years: long enough that a user who imported the CA into a mail
 * client does not meet it expired; it signs nothing outside this folder. */
#define CA_LIFETIME          (3650 * DAY)
/* About two years, under the 825 days Apple's clients accept for a
 * server certificate from a CA the user added. */
#define SERVER_LIFETIME      (730 * DAY)
/* Renew this long before the end, so a session never starts with a
 * certificate that runs out in the middle of a lesson series. */
#define CA_RENEW_BEFORE      (90 * DAY)
#define SERVER_RENEW_BEFORE  (30 * DAY)
/* Clocks differ a little between machines: start valid a bit ago. */
#define BACKDATE             (60 * 60)

#define CA_FILE              "ca.pem"
#define CA_KEY_FILE          "ca-key.pem"

struct _MscCertStore
{
  GObject     parent_instance;

  /* Owned references */
  char       *dir;
  char       *ca_path;
  char       *ca_key_path;
  X509       *ca;
  EVP_PKEY   *ca_key;
  GHashTable *identities;  /* file stem → Identity, what this process already has */
};

typedef struct
{
  X509     *certificate;
  EVP_PKEY *key;
} Identity;

G_DEFINE_FINAL_TYPE (MscCertStore, msc_cert_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-certs-error-quark, msc_certs_error)

static const char * const kind_names[] = {
  "good", "self-signed", "wrong-name", "expired", "not-yet-valid",
};
G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == MSC_CERT_N_KINDS);

const char *
msc_cert_kind_get_name (MscCertKind kind)
{
  g_return_val_if_fail (kind < MSC_CERT_N_KINDS, NULL);

  return kind_names[kind];
}

static void
identity_free (gpointer data)
{
  Identity *identity = data;

  X509_free (identity->certificate);
  EVP_PKEY_free (identity->key);
  g_free (identity);
}

static void
set_crypto_error (GError     **error,
                  const char  *what)
{
  unsigned long code = ERR_get_error ();
  char buf[256] = "";

  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();

  g_set_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_CRYPTO,
               /* Translators: %s is an OpenSSL function, then its error */
               _("Making a certificate failed in %s: %s"),
               what, code != 0 ? buf : _("unknown error"));
}

/* ---- Reading certificates ---- */

char *
msc_certificate_get_fingerprint (X509 *certificate)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *text;

  g_return_val_if_fail (certificate != NULL, NULL);

  if (!X509_digest (certificate, EVP_sha256 (), md, &len))
    {
      ERR_clear_error ();
      return NULL;
    }

  text = g_string_sized_new (len * 3);
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (text, i == 0 ? "%02X" : ":%02X", md[i]);

  return g_string_free (text, FALSE);
}

GStrv
msc_certificate_get_names (X509 *certificate)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GENERAL_NAMES) names = NULL;

  g_return_val_if_fail (certificate != NULL, NULL);

  names = X509_get_ext_d2i (certificate, NID_subject_alt_name, NULL, NULL);
  for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num (names); i++)
    {
      const GENERAL_NAME *name = sk_GENERAL_NAME_value (names, i);

      if (name->type == GEN_DNS)
        {
          const ASN1_IA5STRING *dns = name->d.dNSName;
          /* A peer's certificate may hold anything: shown, not trusted. */
          g_autofree char *text = msc_wire_display_string (ASN1_STRING_get0_data (dns),
                                                           ASN1_STRING_length (dns));
          g_autofree char *entry = g_strconcat ("DNS:", text, NULL);

          g_strv_builder_add (builder, entry);
        }
      else if (name->type == GEN_IPADD)
        {
          const ASN1_OCTET_STRING *ip = name->d.iPAddress;
          int len = ASN1_STRING_length (ip);
          g_autoptr(GInetAddress) address = NULL;
          g_autofree char *text = NULL;
          g_autofree char *entry = NULL;

          if (len != 4 && len != 16)
            continue;
          address = g_inet_address_new_from_bytes (ASN1_STRING_get0_data (ip),
                                                   len == 4 ? G_SOCKET_FAMILY_IPV4
                                                            : G_SOCKET_FAMILY_IPV6);
          text = g_inet_address_to_string (address);
          entry = g_strconcat ("IP:", text, NULL);
          g_strv_builder_add (builder, entry);
        }
    }
  ERR_clear_error ();

  return g_strv_builder_end (builder);
}

GDateTime *
msc_certificate_time_to_date_time (const ASN1_TIME *time)
{
  struct tm tm = { 0 };

  g_return_val_if_fail (time != NULL, NULL);

  if (!ASN1_TIME_to_tm (time, &tm))
    {
      ERR_clear_error ();
      return NULL;
    }

  return g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Seconds since the epoch, or @fallback when the time is unreadable. */
static gint64
time_to_unix (const ASN1_TIME *time,
              gint64           fallback)
{
  g_autoptr(GDateTime) date_time = msc_certificate_time_to_date_time (time);

  return date_time != NULL ? g_date_time_to_unix (date_time) : fallback;
}

/* ---- PEM ---- */

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_strndup (data, len);
}

static char *
certificate_to_pem (X509 *certificate)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());

  if (bio == NULL || !PEM_write_bio_X509 (bio, certificate))
    {
      ERR_clear_error ();
      return NULL;
    }

  return bio_to_string (bio);
}

/* Writes a file whole or not at all: a crash leaves the old file or the
 * new one, never half a key.  GLib creates the temporary file with @mode,
 * so a key is never readable by others, not even for a moment. */
static gboolean
write_file (const char  *path,
            const char  *contents,
            gsize        len,
            int          mode,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, len, G_FILE_SET_CONTENTS_CONSISTENT,
                                 mode, &local_error))
    {
      g_set_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_FILE,
                   /* Translators: %s is a file system error */
                   _("Could not save a certificate file: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
save_pair (X509        *certificate,
           EVP_PKEY    *key,
           const char  *certificate_path,
           const char  *key_path,
           GError     **error)
{
  g_autofree char *pem = certificate_to_pem (certificate);
  /* The secure-memory BIO wipes the key text when it is freed. */
  g_autoptr(BIO) bio = BIO_new (BIO_s_secmem ());
  char *key_pem = NULL;
  long key_len;

  if (pem == NULL || bio == NULL ||
      !PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL))
    {
      set_crypto_error (error, "PEM_write_bio_PrivateKey");
      return FALSE;
    }
  key_len = BIO_get_mem_data (bio, &key_pem);

  /* The key first: a certificate without its key is not taken. */
  return write_file (key_path, key_pem, key_len, 0600, error) &&
         write_file (certificate_path, pem, strlen (pem), 0644, error);
}

/* Loads a certificate and its key, or returns FALSE: missing, unreadable
 * and mismatched files all just mean "make them again". */
static gboolean
load_pair (const char  *certificate_path,
           const char  *key_path,
           X509       **certificate,
           EVP_PKEY   **key)
{
  g_autofree char *pem = NULL;
  g_autofree char *key_pem = NULL;
  gsize pem_len;
  gsize key_len;
  g_autoptr(BIO) bio = NULL;
  g_autoptr(BIO) key_bio = NULL;
  g_autoptr(X509) loaded = NULL;
  g_autoptr(EVP_PKEY) loaded_key = NULL;
  GStatBuf st;

  if (!g_file_get_contents (certificate_path, &pem, &pem_len, NULL) ||
      !g_file_get_contents (key_path, &key_pem, &key_len, NULL))
    return FALSE;

  bio = BIO_new_mem_buf (pem, (int) pem_len);
  key_bio = BIO_new_mem_buf (key_pem, (int) key_len);
  if (bio != NULL && key_bio != NULL)
    {
      loaded = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
      loaded_key = PEM_read_bio_PrivateKey (key_bio, NULL, NULL, NULL);
    }
  OPENSSL_cleanse (key_pem, key_len);

  if (loaded == NULL || loaded_key == NULL || X509_check_private_key (loaded, loaded_key) != 1)
    {
      ERR_clear_error ();
      return FALSE;
    }

  /* Someone loosened the key's mode (a copy, an archive restored): the
   * key is still ours, so tighten it rather than make a new one. */
  if (g_stat (key_path, &st) == 0 && (st.st_mode & 077) != 0)
    {
      g_debug ("%s was readable by others; making it 0600", key_path);
      if (g_chmod (key_path, 0600) != 0)
        return FALSE;
    }

  *certificate = g_steal_pointer (&loaded);
  *key = g_steal_pointer (&loaded_key);

  return TRUE;
}

/* ---- Making certificates ---- */

static EVP_PKEY *
generate_key (GError **error)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");

  if (key == NULL)
    set_crypto_error (error, "EVP_PKEY_Q_keygen");

  return key;
}

static gboolean
add_extension (X509       *certificate,
               X509V3_CTX *v3,
               int         nid,
               const char *value)
{
  g_autoptr(X509_EXTENSION) extension = X509V3_EXT_conf_nid (NULL, v3, nid, value);

  return extension != NULL && X509_add_ext (certificate, extension, -1);
}

/* RFC 5280 §4.1.2.2: positive, at most 20 octets; random, so that two
 * certificates never share one even across regenerations. */
static gboolean
set_random_serial (X509 *certificate)
{
  g_autoptr(BIGNUM) bn = BN_new ();
  g_autoptr(ASN1_INTEGER) serial = NULL;

  if (bn == NULL || !BN_rand (bn, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY))
    return FALSE;

  serial = BN_to_ASN1_INTEGER (bn, NULL);

  return serial != NULL && X509_set_serialNumber (certificate, serial);
}

/* "DNS:mail.example.com,IP:127.0.0.1"; the names were checked already. */
static char *
format_alt_names (const char * const *names)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (text, "%s%s:%s", i == 0 ? "" : ",",
                            g_hostname_is_ip_address (names[i]) ? "IP" : "DNS", names[i]);

  return g_string_free (text, FALSE);
}

typedef struct
{
  const char          *common_name;
  const char * const  *names;      /* NULL for the CA */
  gint64               not_before;
  gint64               not_after;
  X509                *issuer;     /* NULL: self-signed */
  EVP_PKEY            *issuer_key;
} Template;

static X509 *
make_certificate (const Template  *template,
                  EVP_PKEY        *key,
                  GError         **error)
{
  gboolean is_ca = template->names == NULL;
  g_autoptr(X509) certificate = X509_new ();
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autofree char *alt_names = NULL;
  X509V3_CTX v3;

  if (certificate == NULL || subject == NULL ||
      !X509_set_version (certificate, X509_VERSION_3) ||
      !set_random_serial (certificate) ||
      !X509_NAME_add_entry_by_txt (subject, "O", MBSTRING_UTF8,
                                   (const guint8 *) "Mailscope", -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8,
                                   (const guint8 *) template->common_name, -1, -1, 0) ||
      !X509_set_subject_name (certificate, subject) ||
      !X509_set_issuer_name (certificate, template->issuer != NULL
                                          ? X509_get_subject_name (template->issuer)
                                          : subject) ||
      !ASN1_TIME_set (X509_getm_notBefore (certificate), (time_t) template->not_before) ||
      !ASN1_TIME_set (X509_getm_notAfter (certificate), (time_t) template->not_after) ||
      !X509_set_pubkey (certificate, key))
    {
      set_crypto_error (error, "X509_new");
      return NULL;
    }

  /* The issuer's key identifier comes from the issuer certificate, or,
   * self-signed, from this one: its subjectKeyIdentifier goes first. */
  X509V3_set_ctx (&v3, template->issuer != NULL ? template->issuer : certificate,
                  certificate, NULL, NULL, 0);

  if (is_ca)
    {
      /* RFC 5280 §4.2.1.9 and §4.2.1.3: a CA that signs certificates and
       * CRLs, and nothing below it may be a CA. */
      if (!add_extension (certificate, &v3, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
          !add_extension (certificate, &v3, NID_key_usage, "critical,keyCertSign,cRLSign"))
        {
          set_crypto_error (error, "X509V3_EXT_conf_nid");
          return NULL;
        }
    }
  else
    {
      /* An ECDSA server key only signs the handshake (RFC 8446 §4.4.3);
       * serverAuth is what browsers and mail clients look for. */
      alt_names = format_alt_names (template->names);
      if (!add_extension (certificate, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
          !add_extension (certificate, &v3, NID_key_usage, "critical,digitalSignature") ||
          !add_extension (certificate, &v3, NID_ext_key_usage, "serverAuth") ||
          !add_extension (certificate, &v3, NID_subject_alt_name, alt_names))
        {
          set_crypto_error (error, "X509V3_EXT_conf_nid");
          return NULL;
        }
    }

  if (!add_extension (certificate, &v3, NID_subject_key_identifier, "hash") ||
      !add_extension (certificate, &v3, NID_authority_key_identifier, "keyid:always"))
    {
      set_crypto_error (error, "X509V3_EXT_conf_nid");
      return NULL;
    }

  if (X509_sign (certificate, template->issuer_key != NULL ? template->issuer_key : key,
                 EVP_sha256 ()) <= 0)
    {
      set_crypto_error (error, "X509_sign");
      return NULL;
    }

  return g_steal_pointer (&certificate);
}

/* ---- The CA ---- */

static gboolean
ca_is_usable (X509     *ca,
              EVP_PKEY *ca_key,
              gint64    now)
{
  /* Self-signed by this key, a CA, and not about to end. */
  if (X509_verify (ca, ca_key) != 1 || X509_check_ca (ca) < 1)
    {
      ERR_clear_error ();
      return FALSE;
    }

  return time_to_unix (X509_get0_notBefore (ca), G_MAXINT64) <= now &&
         time_to_unix (X509_get0_notAfter (ca), 0) > now + CA_RENEW_BEFORE;
}

static gboolean
load_or_make_ca (MscCertStore  *self,
                 GError       **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(X509) ca = NULL;
  g_autoptr(EVP_PKEY) ca_key = NULL;
  g_autofree char *common_name = NULL;
  guint8 tag[4];
  Template template = { 0 };

  if (load_pair (self->ca_path, self->ca_key_path, &ca, &ca_key) &&
      ca_is_usable (ca, ca_key, now))
    {
      self->ca = g_steal_pointer (&ca);
      self->ca_key = g_steal_pointer (&ca_key);
      return TRUE;
    }
  g_clear_pointer (&ca, X509_free);
  g_clear_pointer (&ca_key, EVP_PKEY_free);

  /* A random tag tells this computer's CA from another's, and from this
   * one's predecessor, in a mail client's list of trusted authorities. */
  if (RAND_bytes (tag, sizeof tag) != 1)
    {
      set_crypto_error (error, "RAND_bytes");
      return FALSE;
    }
  common_name = g_strdup_printf ("Mailscope Teaching CA %02x%02x%02x%02x",
                                 tag[0], tag[1], tag[2], tag[3]);

  ca_key = generate_key (error);
  if (ca_key == NULL)
    return FALSE;

  template.common_name = common_name;
  template.not_before = now - BACKDATE;
  template.not_after = now + CA_LIFETIME;
  ca = make_certificate (&template, ca_key, error);
  if (ca == NULL || !save_pair (ca, ca_key, self->ca_path, self->ca_key_path, error))
    return FALSE;

  g_debug ("Made a new teaching CA in %s", self->dir);

  /* Certificates signed by an earlier CA are found out by their
   * signature when next asked for, and made again. */
  self->ca = g_steal_pointer (&ca);
  self->ca_key = g_steal_pointer (&ca_key);

  return TRUE;
}

/* ---- Server certificates ---- */

/* A host name as it goes in a certificate: ASCII (IDNA A-labels, RFC 6125
 * §6.4.2), lower case; an IP address in its canonical text.  NULL when it
 * is neither. */
static char *
normalize_name (const char *name)
{
  g_autofree char *ascii = NULL;

  if (g_hostname_is_ip_address (name))
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (name);

      return address != NULL ? g_inet_address_to_string (address) : NULL;
    }

  ascii = g_hostname_to_ascii (name);
  if (ascii == NULL || *ascii == '\0' || strlen (ascii) > 253)
    return NULL;

  /* Letters, digits, '-', '.', and '*' for a wildcard label; nothing
   * that could be read as another subjectAltName entry. */
  for (const char *p = ascii; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '*')
      return NULL;

  return g_ascii_strdown (ascii, -1);
}

static GStrv
normalize_names (const char * const  *names,
                 GError             **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (names == NULL || names[0] == NULL)
    {
      g_set_error_literal (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_INVALID_NAME,
                           _("A server certificate needs at least one host name"));
      return NULL;
    }

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = normalize_name (names[i]);

      if (name == NULL)
        {
          g_set_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_INVALID_NAME,
                       /* Translators: %s is what the user gave as a server name */
                       _("“%s” is not a host name or IP address a certificate can name"),
                       names[i]);
          return NULL;
        }
      g_strv_builder_add (builder, name);
    }

  return g_strv_builder_end (builder);
}

/* "server-good-3f2a…": one pair of files per kind and list of names. */
static char *
identity_stem (const char * const *names,
               MscCertKind         kind)
{
  g_autofree char *joined = g_strjoinv ("\n", (char **) names);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, joined, -1);

  return g_strdup_printf ("server-%s-%.16s", kind_names[kind], digest);
}

/* Whether @certificate names exactly @names, in order, in its subjectAltName. */
static gboolean
names_match (X509               *certificate,
             const char * const *names)
{
  g_auto(GStrv) have = msc_certificate_get_names (certificate);
  guint i;

  for (i = 0; names[i] != NULL; i++)
    {
      const char *type = g_hostname_is_ip_address (names[i]) ? "IP:" : "DNS:";

      if (have[i] == NULL || !g_str_has_prefix (have[i], type) ||
          strcmp (have[i] + strlen (type), names[i]) != 0)
        return FALSE;
    }

  return have[i] == NULL;
}

/* Whether a saved certificate is still what @kind promises. */
static gboolean
identity_is_usable (MscCertStore       *self,
                    X509               *certificate,
                    const char * const *names,
                    MscCertKind         kind,
                    gint64              now)
{
  gint64 not_before = time_to_unix (X509_get0_notBefore (certificate), G_MAXINT64);
  gint64 not_after = time_to_unix (X509_get0_notAfter (certificate), 0);
  X509 *signer = kind == MSC_CERT_KIND_SELF_SIGNED ? certificate : self->ca;
  gboolean signed_ok;

  signed_ok = X509_check_issued (signer, certificate) == X509_V_OK &&
              X509_verify (certificate, X509_get0_pubkey (signer)) == 1;
  ERR_clear_error ();
  if (!signed_ok || !names_match (certificate, names))
    return FALSE;

  switch (kind)
    {
    case MSC_CERT_KIND_GOOD:
    case MSC_CERT_KIND_SELF_SIGNED:
    case MSC_CERT_KIND_WRONG_NAME:
      return not_before <= now && not_after > now + SERVER_RENEW_BEFORE;
    case MSC_CERT_KIND_EXPIRED:
      return not_after < now;
    case MSC_CERT_KIND_NOT_YET_VALID:
      return not_before > now + SERVER_RENEW_BEFORE;
    case MSC_CERT_N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static Identity *
make_identity (MscCertStore        *self,
               const char * const  *names,
               MscCertKind          kind,
               gint64               now,
               GError             **error)
{
  g_autoptr(EVP_PKEY) key = generate_key (error);
  Template template = { 0 };
  Identity *identity;
  X509 *certificate;

  if (key == NULL)
    return NULL;

  /* The common name is only for people reading the certificate: clients
   * check the subjectAltName (RFC 6125 §6.4.4). */
  template.common_name = names[0];
  template.names = names;
  template.issuer = self->ca;
  template.issuer_key = self->ca_key;
  template.not_before = now - BACKDATE;
  template.not_after = now + SERVER_LIFETIME;

  switch (kind)
    {
    case MSC_CERT_KIND_GOOD:
    case MSC_CERT_KIND_WRONG_NAME:
      break;
    case MSC_CERT_KIND_SELF_SIGNED:
      template.issuer = NULL;
      template.issuer_key = NULL;
      break;
    case MSC_CERT_KIND_EXPIRED:
      template.not_before = now - SERVER_LIFETIME;
      template.not_after = now - 30 * DAY;
      break;
    case MSC_CERT_KIND_NOT_YET_VALID:
      template.not_before = now + 365 * DAY;
      template.not_after = now + 365 * DAY + SERVER_LIFETIME;
      break;
    case MSC_CERT_N_KINDS:
    default:
      g_assert_not_reached ();
    }

  certificate = make_certificate (&template, key, error);
  if (certificate == NULL)
    return NULL;

  identity = g_new0 (Identity, 1);
  identity->certificate = certificate;
  identity->key = g_steal_pointer (&key);

  return identity;
}

gboolean
msc_cert_store_get_server_identity (MscCertStore        *self,
                                    const char * const  *names,
                                    MscCertKind          kind,
                                    X509               **certificate,
                                    EVP_PKEY           **key,
                                    GError             **error)
{
  static const char * const wrong_names[] = { MSC_CERT_WRONG_NAME, NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_auto(GStrv) normalized = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *certificate_path = NULL;
  g_autofree char *key_path = NULL;
  Identity *identity;
  X509 *loaded = NULL;
  EVP_PKEY *loaded_key = NULL;

  g_return_val_if_fail (MSC_IS_CERT_STORE (self), FALSE);
  g_return_val_if_fail (kind < MSC_CERT_N_KINDS, FALSE);
  g_return_val_if_fail (certificate != NULL && key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normalized = normalize_names (names, error);
  if (normalized == NULL)
    return FALSE;

  /* The file is named after the names asked for, whatever the
   * certificate then carries. */
  stem = identity_stem ((const char * const *) normalized, kind);
  if (kind == MSC_CERT_KIND_WRONG_NAME)
    {
      g_strfreev (normalized);
      normalized = g_strdupv ((char **) wrong_names);
    }

  identity = g_hash_table_lookup (self->identities, stem);
  if (identity != NULL &&
      !identity_is_usable (self, identity->certificate, (const char * const *) normalized,
                           kind, now))
    {
      g_hash_table_remove (self->identities, stem);
      identity = NULL;
    }

  if (identity == NULL)
    {
      g_autofree char *certificate_name = g_strconcat (stem, ".pem", NULL);
      g_autofree char *key_name = g_strconcat (stem, "-key.pem", NULL);

      certificate_path = g_build_filename (self->dir, certificate_name, NULL);
      key_path = g_build_filename (self->dir, key_name, NULL);

      if (load_pair (certificate_path, key_path, &loaded, &loaded_key) &&
          identity_is_usable (self, loaded, (const char * const *) normalized, kind, now))
        {
          identity = g_new0 (Identity, 1);
          identity->certificate = loaded;
          identity->key = loaded_key;
        }
      else
        {
          g_clear_pointer (&loaded, X509_free);
          g_clear_pointer (&loaded_key, EVP_PKEY_free);

          identity = make_identity (self, (const char * const *) normalized, kind, now, error);
          if (identity == NULL)
            return FALSE;
          if (!save_pair (identity->certificate, identity->key, certificate_path, key_path, error))
            {
              identity_free (identity);
              return FALSE;
            }
          g_debug ("Made %s", certificate_path);
        }

      g_hash_table_insert (self->identities, g_steal_pointer (&stem), identity);
    }

  X509_up_ref (identity->certificate);
  EVP_PKEY_up_ref (identity->key);
  *certificate = identity->certificate;
  *key = identity->key;

  return TRUE;
}

/* ---- The store ---- */

static void
msc_cert_store_finalize (GObject *object)
{
  MscCertStore *self = MSC_CERT_STORE (object);

  g_free (self->dir);
  g_free (self->ca_path);
  g_free (self->ca_key_path);
  g_clear_pointer (&self->ca, X509_free);
  g_clear_pointer (&self->ca_key, EVP_PKEY_free);
  g_clear_pointer (&self->identities, g_hash_table_unref);

  G_OBJECT_CLASS (msc_cert_store_parent_class)->finalize (object);
}

static void
msc_cert_store_class_init (MscCertStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = msc_cert_store_finalize;
}

static void
msc_cert_store_init (MscCertStore *self)
{
  self->identities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, identity_free);
}

MscCertStore *
msc_cert_store_new (const char  *dir,
                    GError     **error)
{
  g_autoptr(MscCertStore) self = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* 0700: the keys are the user's alone, and so is the list of them. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, MSC_CERTS_ERROR, MSC_CERTS_ERROR_FILE,
                   /* Translators: %s is a folder, then a system error */
                   _("Could not make the certificate folder %s: %s"),
                   dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (MSC_TYPE_CERT_STORE, NULL);
  self->dir = g_strdup (dir);
  self->ca_path = g_build_filename (dir, CA_FILE, NULL);
  self->ca_key_path = g_build_filename (dir, CA_KEY_FILE, NULL);

  if (!load_or_make_ca (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
msc_cert_store_get_dir (MscCertStore *self)
{
  g_return_val_if_fail (MSC_IS_CERT_STORE (self), NULL);

  return self->dir;
}

X509 *
msc_cert_store_get_ca (MscCertStore *self)
{
  g_return_val_if_fail (MSC_IS_CERT_STORE (self), NULL);

  return self->ca;
}

char *
msc_cert_store_get_ca_pem (MscCertStore *self)
{
  g_return_val_if_fail (MSC_IS_CERT_STORE (self), NULL);

  return certificate_to_pem (self->ca);
}

const char *
msc_cert_store_get_ca_path (MscCertStore *self)
{
  g_return_val_if_fail (MSC_IS_CERT_STORE (self), NULL);

  return self->ca_path;
}

char *
msc_cert_store_get_ca_fingerprint (MscCertStore *self)
{
  g_return_val_if_fail (MSC_IS_CERT_STORE (self), NULL);

  return msc_certificate_get_fingerprint (self->ca);
}

gboolean
msc_cert_store_write_ca_pem (MscCertStore  *self,
                             const char    *path,
                             GError       **error)
{
  g_autofree char *pem = NULL;

  g_return_val_if_fail (MSC_IS_CERT_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  pem = certificate_to_pem (self->ca);
  if (pem == NULL)
    {
      set_crypto_error (error, "PEM_write_bio_X509");
      return FALSE;
    }

  return write_file (path, pem, strlen (pem), 0644, error);
}
