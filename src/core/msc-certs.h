/* msc-certs.h — the teaching CA and server certificates, made at run time
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* Mailscope's certificates are made on the user's computer the first time
 * they are needed, kept in a folder the caller names (the app and the CLI
 * pass g_get_user_data_dir()/mailscope/tls) and reused afterwards, so a
 * mail client that was told to trust the CA keeps trusting it.  No key
 * ever leaves that folder or goes into the source tree.
 *
 * The folder holds PEM files: ca.pem and ca-key.pem (the teaching CA),
 * and server-KIND-HASH.pem and server-KIND-HASH-key.pem for each set of
 * host names asked for.  Keys are written mode 0600, the folder 0700.
 * A file that is unreadable, does not match its key, was signed by an
 * earlier CA, names other hosts or expires within 30 days (the CA: 90
 * days) is made again.
 *
 * Keys are ECDSA on P-256 (RFC 5480): generated in a millisecond where
 * RSA 2048 takes a noticeable pause, 128-bit strength, and accepted by
 * every mail client in use (Thunderbird, Outlook, Apple Mail, K-9). */

#define MSC_TYPE_CERT_STORE (msc_cert_store_get_type ())

G_DECLARE_FINAL_TYPE (MscCertStore, msc_cert_store, MSC, CERT_STORE, GObject)

#define MSC_CERTS_ERROR (msc_certs_error_quark ())

typedef enum
{
  MSC_CERTS_ERROR_FILE,          /* the folder or a file could not be made, read or written */
  MSC_CERTS_ERROR_INVALID_NAME,  /* a host name that cannot go in a certificate */
  MSC_CERTS_ERROR_CRYPTO,        /* OpenSSL failed */
} MscCertsError;

/* The certificates a server can show.  All but GOOD fail a careful
 * client's checks, each for its own reason: the lessons show what a
 * client says then. */
typedef enum
{
  MSC_CERT_KIND_GOOD,           /* signed by the teaching CA, for the names asked, valid now */
  MSC_CERT_KIND_SELF_SIGNED,    /* the names asked, but signed by its own key */
  MSC_CERT_KIND_WRONG_NAME,     /* signed by the CA, but for MSC_CERT_WRONG_NAME only */
  MSC_CERT_KIND_EXPIRED,        /* signed by the CA, ended 30 days ago */
  MSC_CERT_KIND_NOT_YET_VALID,  /* signed by the CA, starts in a year */
  MSC_CERT_N_KINDS
} MscCertKind;

/* The name a WRONG_NAME certificate is for: another site's certificate */
#define MSC_CERT_WRONG_NAME "www.example.net"

GQuark        msc_certs_error_quark                (void);
/* "good", "self-signed", "wrong-name", "expired", "not-yet-valid" */
const char   *msc_cert_kind_get_name               (MscCertKind    kind);

/* Loads the teaching CA from @dir, or makes it (and @dir) when missing
 * or unusable. */
MscCertStore *msc_cert_store_new                   (const char    *dir,
                                                    GError       **error);
const char   *msc_cert_store_get_dir               (MscCertStore  *self);

/* The teaching CA: borrowed; as PEM; where its PEM file is; its SHA-256
 * fingerprint ("AB:CD:…") for a user to compare with what a client shows. */
X509         *msc_cert_store_get_ca                (MscCertStore  *self);
char         *msc_cert_store_get_ca_pem            (MscCertStore  *self);
const char   *msc_cert_store_get_ca_path           (MscCertStore  *self);
char         *msc_cert_store_get_ca_fingerprint    (MscCertStore  *self);
/* Writes the CA certificate (never its key) to @path, for --ca-out: a
 * file to import into a mail client. */
gboolean      msc_cert_store_write_ca_pem          (MscCertStore  *self,
                                                    const char    *path,
                                                    GError       **error);

/* A certificate of @kind and its key, for a server known by @names
 * (NULL-terminated, at least one; host names and IP addresses, e.g.
 * "mail.example.com", "localhost", "127.0.0.1"), each going into the
 * subjectAltName.  Loaded from the folder or made and saved.  On success
 * *@certificate and *@key hold new references for the caller. */
gboolean      msc_cert_store_get_server_identity   (MscCertStore        *self,
                                                    const char * const  *names,
                                                    MscCertKind          kind,
                                                    X509               **certificate,
                                                    EVP_PKEY           **key,
                                                    GError             **error);

/* Helpers for any certificate: the SHA-256 fingerprint, "AB:CD:…"; the
 * subjectAltName entries as "DNS:mail.example.com" and "IP:127.0.0.1",
 * in order (an empty vector when there are none). */
char         *msc_certificate_get_fingerprint      (X509          *certificate);
GStrv         msc_certificate_get_names            (X509          *certificate);
/* A certificate time as a GDateTime in UTC, or NULL when it cannot be read. */
GDateTime    *msc_certificate_time_to_date_time    (const ASN1_TIME *time);

G_END_DECLS
