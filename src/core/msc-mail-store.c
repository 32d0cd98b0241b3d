/* msc-mail-store.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-mail-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-mail-store.h"
#include "msc-maildir.h"
#include "msc-password.h"
#include "msc-wire.h"

/* RFC 5321 4.5.3.1: 64 octets of local part, 255 of domain.  The limits
 * also keep every name short enough to be one directory entry. */
#define MAX_LOCAL_PART_LEN   64
#define MAX_DOMAIN_LEN       253
#define MAX_MAILBOX_NAME_LEN 512

/* The store is the model; see msc-store-backend.h for why the backend is
 * only told about changes.  Every mutation follows one order:
 *
 *   1. validate, so bad input fails before anything is touched;
 *   2. let the backend make it durable (if there is a backend);
 *   3. commit it to the in-memory model;
 *   4. emit the signals, once the model is consistent again, so a
 *      handler (IMAP IDLE, the UI, the simulation) may call straight back
 *      into the store.
 *
 * Single-threaded: use a store from the thread that made it. */

typedef struct
{
  char       *account;        /* folded: "alice@example.com" */
  char       *domain;         /* folded, a suffix of @account */
  char       *address;        /* as given: "Alice@Example.COM" */
  char       *display_name;
  char       *password_hash;
  char       *apop_secret;    /* nullable: APOP's shared secret, in memory only */
  GHashTable *mailboxes;      /* name → MscMailbox, owned */
} Account;

struct _MscMailStore
{
  GObject          parent_instance;

  /* Owned references */
  MscStoreBackend *backend;
  GHashTable      *domains;   /* folded domain → itself */
  GHashTable      *accounts;  /* folded address → Account */
  GHashTable      *maildrop_locks;  /* folded addresses a POP3 session holds */
  GHashTable      *subscriptions;   /* folded address → set of mailbox names (IMAP) */
  char            *dummy_hash;

  guint            password_iterations;
  guint32          last_uid_validity;
};

static void directory_iface_init (MscDirectoryInterface *iface);
static void initable_iface_init  (GInitableIface        *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscMailStore, msc_mail_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_DIRECTORY,
                                                      directory_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      initable_iface_init))

G_DEFINE_QUARK (msc-mail-store-error-quark, msc_mail_store_error)

enum {
  PROP_0,
  PROP_BACKEND,
  PROP_PASSWORD_ITERATIONS,
  N_PROPS
};

enum {
  DOMAIN_ADDED,
  DOMAIN_REMOVED,
  ACCOUNT_ADDED,
  ACCOUNT_REMOVED,
  MAILBOX_CREATED,
  MAILBOX_DELETED,
  MAILBOX_RENAMED,
  MESSAGE_ADDED,
  MESSAGE_EXPUNGED,
  FLAGS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What every new account gets besides INBOX.  The names are protocol
 * data, not UI text: clients localize them from the special-use role. */
static const struct {
  const char    *name;
  MscSpecialUse  special_use;
} default_mailboxes[] = {
  { "Sent", MSC_SPECIAL_USE_SENT },
  { "Drafts", MSC_SPECIAL_USE_DRAFTS },
  { "Trash", MSC_SPECIAL_USE_TRASH },
  { "Junk", MSC_SPECIAL_USE_JUNK },
};

static void
account_free (Account *account)
{
  g_free (account->account);
  g_free (account->domain);
  g_free (account->address);
  g_free (account->display_name);
  g_free (account->password_hash);
  g_clear_pointer (&account->apop_secret, msc_wire_free_secret);
  g_clear_pointer (&account->mailboxes, g_hash_table_unref);
  g_free (account);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Account, account_free)

static Account *
account_new (const char *key,
             const char *address,
             const char *display_name,
             const char *password_hash)
{
  Account *account = g_new0 (Account, 1);

  account->account = g_strdup (key);
  account->domain = g_strdup (strrchr (key, '@') + 1);
  account->address = g_strdup (address);
  account->display_name = g_strdup (display_name);
  account->password_hash = g_strdup (password_hash);
  account->mailboxes = g_hash_table_new_full (g_str_hash, g_str_equal,
                                              g_free, g_object_unref);

  return account;
}

/* For error messages: the input may not be UTF-8. */
static char *
printable (const char *text)
{
  return g_utf8_make_valid (text != NULL ? text : "", -1);
}

static int
compare_uint32 (gconstpointer a,
                gconstpointer b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

static gboolean
is_under_inbox (const char *name)
{
  return g_str_has_prefix (name, MSC_MAILBOX_INBOX)
         && (name[strlen (MSC_MAILBOX_INBOX)] == '\0'
             || name[strlen (MSC_MAILBOX_INBOX)] == MSC_MAILBOX_DELIMITER);
}

/* INBOX and its children first, then by name with '/' sorting before any
 * other character, so a parent is followed by its children. */
static int
compare_mailbox_names (const char *a,
                       const char *b)
{
  gboolean a_inbox = is_under_inbox (a);
  gboolean b_inbox = is_under_inbox (b);

  if (a_inbox != b_inbox)
    return b_inbox - a_inbox;

  for (;; a++, b++)
    {
      guchar ca = *a == MSC_MAILBOX_DELIMITER ? 1 : (guchar) *a;
      guchar cb = *b == MSC_MAILBOX_DELIMITER ? 1 : (guchar) *b;

      if (ca != cb)
        return ca - cb;
      if (ca == 0)
        return 0;
    }
}

static int
compare_mailboxes (gconstpointer a,
                   gconstpointer b)
{
  return compare_mailbox_names (msc_mailbox_get_name (*(MscMailbox **) a),
                                msc_mailbox_get_name (*(MscMailbox **) b));
}

static int
compare_name_pointers (gconstpointer a,
                       gconstpointer b)
{
  return compare_mailbox_names (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static gboolean
is_domain_char (gunichar c)
{
  if (c >= 0x80)
    return g_unichar_isgraph (c);

  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.';
}

/**
 * msc_mail_store_fold_domain:
 * @domain: a domain as a client wrote it, UTF-8 or ACE ("xn--…")
 *
 * Folds ASCII case, decodes ACE labels and applies NFC (through
 * g_hostname_to_unicode()), and drops a final dot, so that
 * "Example.COM." and "example.com" are one domain and an IDN works
 * whether it is given in UTF-8 or as punycode.  Address literals
 * ("[192.0.2.1]") are kept, folded.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL if @domain could
 *   not be a domain (nor be a directory name)
 */
char *
msc_mail_store_fold_domain (const char *domain)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *folded = NULL;
  gsize len;

  if (domain == NULL || !g_utf8_validate (domain, -1, NULL))
    return NULL;

  len = strlen (domain);
  if (len > 1 && domain[len - 1] == '.')
    len--;
  if (len == 0 || len > MAX_DOMAIN_LEN)
    return NULL;

  trimmed = g_strndup (domain, len);

  if (trimmed[0] == '[')
    {
      if (len < 3 || trimmed[len - 1] != ']')
        return NULL;
      for (gsize i = 1; i + 1 < len; i++)
        if (!g_ascii_isalnum (trimmed[i]) && strchr (":.-", trimmed[i]) == NULL)
          return NULL;

      return g_ascii_strdown (trimmed, -1);
    }

  folded = g_hostname_to_unicode (trimmed);
  if (folded == NULL || folded[0] == '.' || strstr (folded, "..") != NULL
      || g_str_has_suffix (folded, ".") || strlen (folded) > MAX_DOMAIN_LEN)
    return NULL;

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    if (!is_domain_char (g_utf8_get_char (p)))
      return NULL;

  return g_steal_pointer (&folded);
}

/* The local part becomes a directory name in the Maildir backend, so
 * besides RFC 5321's length it must not hold '/', start with '.' or carry
 * control characters.  Case: ASCII only, like nearly every real server;
 * "张三" stays "张三". */
static char *
fold_local_part (const char *local,
                 gsize       len)
{
  g_autofree char *nfc = NULL;

  if (len == 0 || !g_utf8_validate_len (local, len, NULL))
    return NULL;

  nfc = g_utf8_normalize (local, len, G_NORMALIZE_NFC);
  if (nfc == NULL || nfc[0] == '.' || strlen (nfc) > MAX_LOCAL_PART_LEN)
    return NULL;

  for (const char *p = nfc; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || g_unichar_iscntrl (c))
        return NULL;
    }

  return g_ascii_strdown (nfc, -1);
}

/**
 * msc_mail_store_fold_address:
 * @address: "local@domain", the local part and domain in UTF-8
 *
 * Returns: (transfer full) (nullable): the key the store looks the account
 *   up by, or %NULL if @address is not one it could hold
 */
char *
msc_mail_store_fold_address (const char *address)
{
  const char *at;
  g_autofree char *local = NULL;
  g_autofree char *domain = NULL;

  if (address == NULL)
    return NULL;

  at = strrchr (address, '@');
  if (at == NULL)
    return NULL;

  local = fold_local_part (address, at - address);
  domain = msc_mail_store_fold_domain (at + 1);
  if (local == NULL || domain == NULL)
    return NULL;

  return g_strconcat (local, "@", domain, NULL);
}

/**
 * msc_mail_store_normalize_mailbox_name:
 * @name: a mailbox name in UTF-8 with '/' between levels
 *
 * Applies NFC (RFC 5198) and spells INBOX, which is case-insensitive, as
 * "INBOX", also as the first level ("inbox/x" is "INBOX/x").
 *
 * Returns: (transfer full) (nullable): the name as the store keeps it, or
 *   %NULL if it is empty, not UTF-8, has control characters or an empty
 *   level ("a//b", "/a", "a/")
 */
char *
msc_mail_store_normalize_mailbox_name (const char *name)
{
  g_autofree char *nfc = NULL;
  g_auto (GStrv) levels = NULL;

  if (name == NULL || name[0] == '\0' || !g_utf8_validate (name, -1, NULL)
      || strlen (name) > MAX_MAILBOX_NAME_LEN)
    return NULL;

  nfc = g_utf8_normalize (name, -1, G_NORMALIZE_NFC);
  if (nfc == NULL || strlen (nfc) > MAX_MAILBOX_NAME_LEN)
    return NULL;

  for (const char *p = nfc; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return NULL;

  levels = g_strsplit (nfc, "/", -1);
  for (guint i = 0; levels[i] != NULL; i++)
    if (levels[i][0] == '\0')
      return NULL;

  if (g_ascii_strcasecmp (levels[0], MSC_MAILBOX_INBOX) == 0)
    {
      g_free (levels[0]);
      levels[0] = g_strdup (MSC_MAILBOX_INBOX);
    }

  return g_strjoinv ("/", levels);
}

static guint32
next_uid_validity (MscMailStore *self)
{
  guint32 value = 0;

  /* A backend on disk remembers what it handed out across restarts (for
   * Maildir: the creation time, as in Dovecot, kept above a high-water
   * mark).  In memory the store counts from 1, so a lesson replays the
   * same trace. */
  if (self->backend != NULL)
    value = msc_store_backend_next_uid_validity (self->backend);

  if (value <= self->last_uid_validity)
    value = self->last_uid_validity + 1;
  if (value == 0)
    value = 1;

  self->last_uid_validity = value;
  return value;
}

static Account *
lookup_account (MscMailStore  *self,
                const char    *address,
                GError       **error)
{
  g_autofree char *key = msc_mail_store_fold_address (address);
  Account *account = NULL;

  if (key != NULL)
    account = g_hash_table_lookup (self->accounts, key);

  if (account == NULL)
    {
      g_autofree char *shown = printable (address);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT,
                   _("There is no account “%s”"), shown);
    }

  return account;
}

/* A caller may hold a mailbox that was deleted since, or one from another
 * store; both are "no such mailbox", never a crash. */
static Account *
check_mailbox (MscMailStore  *self,
               MscMailbox    *mailbox,
               GError       **error)
{
  Account *account;

  account = g_hash_table_lookup (self->accounts, msc_mailbox_get_account (mailbox));
  if (account == NULL
      || g_hash_table_lookup (account->mailboxes,
                              msc_mailbox_get_name (mailbox)) != mailbox)
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
                   _("The mailbox “%s” does not exist any more"),
                   msc_mailbox_get_name (mailbox));
      return NULL;
    }

  return account;
}

static gboolean
check_keywords (const char * const  *keywords,
                GError             **error)
{
  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    if (!msc_message_keyword_is_valid (keywords[i]))
      {
        g_autofree char *shown = printable (keywords[i]);

        g_set_error (error, MSC_MAIL_STORE_ERROR,
                     MSC_MAIL_STORE_ERROR_INVALID_KEYWORD,
                     _("“%s” is not a valid keyword"), shown);
        return FALSE;
      }

  return TRUE;
}

static gboolean
define_keywords (MscMailbox          *mailbox,
                 const char * const  *keywords,
                 GError             **error)
{
  if (!_msc_mailbox_define_keywords (mailbox, keywords, MSC_MAIL_STORE_MAX_KEYWORDS))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_TOO_MANY_KEYWORDS,
                   _("The mailbox “%s” cannot hold more than %d keywords"),
                   msc_mailbox_get_name (mailbox), MSC_MAIL_STORE_MAX_KEYWORDS);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_uid_space (MscMailbox  *mailbox,
                 guint        n_messages,
                 GError     **error)
{
  /* UIDs are 32-bit and never reused (RFC 3501 2.3.1.1); when they run
   * out the only honest answer is a new mailbox. */
  if ((guint64) msc_mailbox_get_uid_next (mailbox) + n_messages > G_MAXUINT32)
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_UIDS_EXHAUSTED,
                   _("The mailbox “%s” has used up its UIDs"),
                   msc_mailbox_get_name (mailbox));
      return FALSE;
    }

  return TRUE;
}

static gboolean
mailbox_has_children (Account    *account,
                      const char *name)
{
  g_autofree char *prefix = g_strconcat (name, "/", NULL);
  GHashTableIter iter;
  const char *other;

  g_hash_table_iter_init (&iter, account->mailboxes);
  while (g_hash_table_iter_next (&iter, (gpointer *) &other, NULL))
    if (g_str_has_prefix (other, prefix))
      return TRUE;

  return FALSE;
}

static GPtrArray *
sorted_mailboxes (Account *account)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  MscMailbox *mailbox;

  g_hash_table_iter_init (&iter, account->mailboxes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mailbox))
    g_ptr_array_add (list, g_object_ref (mailbox));

  g_ptr_array_sort (list, compare_mailboxes);

  return list;
}

/* The messages with these UIDs, ascending, each once; UIDs that are not
 * there are skipped, as IMAP does for a UID set. */
static GPtrArray *
collect_messages (MscMailbox    *mailbox,
                  const guint32 *uids,
                  gsize          n_uids)
{
  g_autoptr (GArray) sorted = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_uids);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  guint32 previous = 0;

  if (n_uids > 0)
    g_array_append_vals (sorted, uids, n_uids);
  g_array_sort (sorted, compare_uint32);

  for (guint i = 0; i < sorted->len; i++)
    {
      guint32 uid = g_array_index (sorted, guint32, i);
      MscMessage *message;

      if (uid == previous)
        continue;
      previous = uid;

      message = msc_mailbox_lookup_uid (mailbox, uid);
      if (message != NULL)
        g_ptr_array_add (messages, g_object_ref (message));
    }

  return messages;
}

static MscMailbox *
create_one_mailbox (MscMailStore   *self,
                    Account        *account,
                    const char     *name,
                    MscSpecialUse   special_use,
                    GError        **error)
{
  g_autoptr (MscMailbox) mailbox = NULL;

  mailbox = _msc_mailbox_new (account->account, name, special_use,
                              next_uid_validity (self), 1);

  if (self->backend != NULL
      && !msc_store_backend_create_mailbox (self->backend, mailbox, error))
    return NULL;

  g_hash_table_insert (account->mailboxes, g_strdup (name), g_object_ref (mailbox));

  return g_steal_pointer (&mailbox);
}

/* RFC 3501 6.3.3 and 6.3.5: CREATE and RENAME make the superior levels a
 * name needs. */
static gboolean
create_superiors (MscMailStore  *self,
                  Account       *account,
                  const char    *name,
                  GError       **error)
{
  for (const char *slash = strchr (name, '/'); slash != NULL;
       slash = strchr (slash + 1, '/'))
    {
      g_autofree char *superior = g_strndup (name, slash - name);
      g_autoptr (MscMailbox) mailbox = NULL;

      if (g_hash_table_contains (account->mailboxes, superior))
        continue;

      mailbox = create_one_mailbox (self, account, superior,
                                    MSC_SPECIAL_USE_NONE, error);
      if (mailbox == NULL)
        return FALSE;

      g_signal_emit (self, signals[MAILBOX_CREATED], 0, mailbox);
    }

  return TRUE;
}

static void
msc_mail_store_finalize (GObject *object)
{
  MscMailStore *self = (MscMailStore *)object;

  g_clear_pointer (&self->accounts, g_hash_table_unref);
  g_clear_pointer (&self->domains, g_hash_table_unref);
  g_clear_pointer (&self->maildrop_locks, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  g_clear_pointer (&self->dummy_hash, g_free);
  g_clear_object (&self->backend);

  G_OBJECT_CLASS (msc_mail_store_parent_class)->finalize (object);
}

static void
msc_mail_store_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MscMailStore *self = MSC_MAIL_STORE (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      g_value_set_object (value, self->backend);
      break;

    case PROP_PASSWORD_ITERATIONS:
      g_value_set_uint (value, self->password_iterations);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_mail_store_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MscMailStore *self = MSC_MAIL_STORE (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      self->backend = g_value_dup_object (value);
      break;

    case PROP_PASSWORD_ITERATIONS:
      msc_mail_store_set_password_iterations (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_mail_store_class_init (MscMailStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_mail_store_finalize;
  object_class->get_property = msc_mail_store_get_property;
  object_class->set_property = msc_mail_store_set_property;

  /**
   * MscMailStore:backend:
   *
   * Where the mail is kept; %NULL keeps it in memory only.
   */
  properties[PROP_BACKEND] =
    g_param_spec_object ("backend", NULL, NULL,
                         MSC_TYPE_STORE_BACKEND,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * MscMailStore:password-iterations:
   *
   * PBKDF2 rounds for passwords set from now on; hashes already stored
   * keep their own count.
   */
  properties[PROP_PASSWORD_ITERATIONS] =
    g_param_spec_uint ("password-iterations", NULL, NULL,
                       MSC_PASSWORD_MIN_ITERATIONS, MSC_PASSWORD_MAX_ITERATIONS,
                       MSC_PASSWORD_DEFAULT_ITERATIONS,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* All signals are emitted after the change is on disk and in the
   * model.  Handlers may call back into the store. */

  signals[DOMAIN_ADDED] =
    g_signal_new ("domain-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[DOMAIN_REMOVED] =
    g_signal_new ("domain-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * MscMailStore::account-added:
   * @address: the address as given
   *
   * Followed by ::mailbox-created for each of its mailboxes.
   */
  signals[ACCOUNT_ADDED] =
    g_signal_new ("account-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * MscMailStore::account-removed:
   * @address: the address as given
   *
   * Preceded by ::mailbox-deleted for each of its mailboxes.
   */
  signals[ACCOUNT_REMOVED] =
    g_signal_new ("account-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[MAILBOX_CREATED] =
    g_signal_new ("mailbox-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MSC_TYPE_MAILBOX);

  /**
   * MscMailStore::mailbox-deleted:
   * @mailbox: the mailbox, now empty and no longer in the store
   */
  signals[MAILBOX_DELETED] =
    g_signal_new ("mailbox-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MSC_TYPE_MAILBOX);

  /**
   * MscMailStore::mailbox-renamed:
   * @mailbox: the same object, with its new name
   * @old_name: the name it had
   *
   * Emitted for the mailbox and for each of its children.
   */
  signals[MAILBOX_RENAMED] =
    g_signal_new ("mailbox-renamed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  MSC_TYPE_MAILBOX, G_TYPE_STRING);

  /**
   * MscMailStore::message-added:
   *
   * A message arrived by append, delivery, copy or move.
   */
  signals[MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  MSC_TYPE_MAILBOX, MSC_TYPE_MESSAGE);

  /**
   * MscMailStore::message-expunged:
   *
   * The message is no longer in @mailbox.  Emitted once per message in
   * ascending UID order, after all of a batch are gone.
   */
  signals[MESSAGE_EXPUNGED] =
    g_signal_new ("message-expunged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  MSC_TYPE_MAILBOX, MSC_TYPE_MESSAGE);

  /**
   * MscMailStore::flags-changed:
   *
   * The message's flags or keywords changed; not emitted for a STORE that
   * changed nothing, nor when \Recent is taken.
   */
  signals[FLAGS_CHANGED] =
    g_signal_new ("flags-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  MSC_TYPE_MAILBOX, MSC_TYPE_MESSAGE);
}

static void
msc_mail_store_init (MscMailStore *self)
{
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) account_free);
  self->maildrop_locks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_hash_table_unref);
  self->password_iterations = MSC_PASSWORD_DEFAULT_ITERATIONS;
}

/* Takes what the backend loaded into the model.  A backend brings its
 * files up to date as it loads; what is checked here is what the store
 * itself relies on (folded keys, unique names, an INBOX). */
static gboolean
adopt_account (MscMailStore            *self,
               MscStoreBackendAccount  *loaded,
               GError                 **error)
{
  g_autoptr (Account) account = NULL;
  g_autofree char *key = msc_mail_store_fold_address (loaded->account);
  g_autofree char *address_key = msc_mail_store_fold_address (loaded->address);
  const char *address = loaded->address;

  if (key == NULL || strcmp (key, loaded->account) != 0
      || g_hash_table_contains (self->accounts, key))
    {
      g_debug ("Skipping account “%s” from the backend", loaded->account);
      return TRUE;
    }

  if (g_strcmp0 (address_key, key) != 0)
    address = key;

  account = account_new (key, address, loaded->display_name, loaded->password_hash);

  if (account->password_hash != NULL
      && !msc_password_hash_is_valid (account->password_hash))
    g_message ("The password hash of “%s” is damaged; it cannot log in", key);

  if (!g_hash_table_contains (self->domains, account->domain))
    g_hash_table_add (self->domains, g_strdup (account->domain));

  for (guint i = 0; i < loaded->mailboxes->len; i++)
    {
      MscMailbox *mailbox = g_ptr_array_index (loaded->mailboxes, i);
      const char *name = msc_mailbox_get_name (mailbox);
      g_autofree char *normal = msc_mail_store_normalize_mailbox_name (name);

      if (g_strcmp0 (normal, name) != 0
          || g_strcmp0 (msc_mailbox_get_account (mailbox), key) != 0
          || g_hash_table_contains (account->mailboxes, name))
        {
          g_debug ("Skipping mailbox “%s” of “%s” from the backend", name, key);
          continue;
        }

      self->last_uid_validity = MAX (self->last_uid_validity,
                                     msc_mailbox_get_uid_validity (mailbox));
      g_hash_table_insert (account->mailboxes, g_strdup (name),
                           g_object_ref (mailbox));
    }

  if (!g_hash_table_contains (account->mailboxes, MSC_MAILBOX_INBOX))
    {
      g_autoptr (MscMailbox) inbox = NULL;

      inbox = create_one_mailbox (self, account, MSC_MAILBOX_INBOX,
                                  MSC_SPECIAL_USE_NONE, error);
      if (inbox == NULL)
        return FALSE;
    }

  g_hash_table_insert (self->accounts, account->account, account);
  g_steal_pointer (&account);

  return TRUE;
}

static gboolean
msc_mail_store_initable_init (GInitable     *initable,
                              GCancellable  *cancellable,
                              GError       **error)
{
  MscMailStore *self = MSC_MAIL_STORE (initable);
  g_autoptr (GPtrArray) domains = NULL;
  g_autoptr (GPtrArray) accounts = NULL;

  if (self->backend == NULL)
    return TRUE;

  if (!msc_store_backend_load (self->backend, &domains, &accounts, error))
    return FALSE;

  for (guint i = 0; i < domains->len; i++)
    {
      const char *domain = g_ptr_array_index (domains, i);
      g_autofree char *key = msc_mail_store_fold_domain (domain);

      if (g_strcmp0 (key, domain) == 0)
        g_hash_table_add (self->domains, g_steal_pointer (&key));
      else
        g_debug ("Skipping domain “%s” from the backend", domain);
    }

  for (guint i = 0; i < accounts->len; i++)
    if (!adopt_account (self, g_ptr_array_index (accounts, i), error))
      return FALSE;

  return TRUE;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = msc_mail_store_initable_init;
}

static gboolean
msc_mail_store_is_local_domain (MscDirectory *directory,
                                const char   *domain)
{
  MscMailStore *self = MSC_MAIL_STORE (directory);
  g_autofree char *key = msc_mail_store_fold_domain (domain);

  return key != NULL && g_hash_table_contains (self->domains, key);
}

static gboolean
msc_mail_store_has_account (MscDirectory *directory,
                            const char   *address)
{
  MscMailStore *self = MSC_MAIL_STORE (directory);
  g_autofree char *key = msc_mail_store_fold_address (address);

  return key != NULL && g_hash_table_contains (self->accounts, key);
}

static gboolean
msc_mail_store_check_password (MscDirectory *directory,
                               const char   *address,
                               const char   *password)
{
  MscMailStore *self = MSC_MAIL_STORE (directory);
  g_autofree char *key = msc_mail_store_fold_address (address);
  g_autoptr (GError) error = NULL;
  Account *account = NULL;
  gboolean ok;

  if (key != NULL)
    account = g_hash_table_lookup (self->accounts, key);

  if (account == NULL || account->password_hash == NULL)
    {
      /* Spend the same time as a real check, so that how long a failed
       * login takes does not tell a client which accounts exist. */
      if (self->dummy_hash == NULL)
        self->dummy_hash = msc_password_hash ("", self->password_iterations, NULL);
      if (self->dummy_hash != NULL)
        msc_password_verify (password, self->dummy_hash, NULL);
      return FALSE;
    }

  ok = msc_password_verify (password, account->password_hash, &error);
  if (error != NULL)
    g_debug ("Cannot check the password of “%s”: %s", key, error->message);

  return ok;
}

static void
directory_iface_init (MscDirectoryInterface *iface)
{
  iface->is_local_domain = msc_mail_store_is_local_domain;
  iface->has_account = msc_mail_store_has_account;
  iface->check_password = msc_mail_store_check_password;
}

/**
 * msc_mail_store_new:
 *
 * Returns: (transfer full): an empty store that keeps its mail in memory,
 *   for lessons and tests
 */
MscMailStore *
msc_mail_store_new (void)
{
  return g_initable_new (MSC_TYPE_MAIL_STORE, NULL, NULL, NULL);
}

/**
 * msc_mail_store_new_with_backend:
 * @backend: where to keep the mail
 *
 * Loads everything @backend holds.
 *
 * Returns: (transfer full) (nullable): the store, or %NULL with @error set
 */
MscMailStore *
msc_mail_store_new_with_backend (MscStoreBackend  *backend,
                                 GError          **error)
{
  g_return_val_if_fail (MSC_IS_STORE_BACKEND (backend), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (MSC_TYPE_MAIL_STORE, NULL, error,
                         "backend", backend,
                         NULL);
}

/**
 * msc_mail_store_new_for_maildir:
 * @root: the store's folder, created if missing
 *
 * Opens (or starts) a Maildir store, see #MscMaildir for the layout.
 *
 * Returns: (transfer full) (nullable): the store, or %NULL with @error set
 */
MscMailStore *
msc_mail_store_new_for_maildir (const char  *root,
                                GError     **error)
{
  g_autoptr (MscMaildir) maildir = NULL;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  maildir = msc_maildir_new (root);

  return msc_mail_store_new_with_backend (MSC_STORE_BACKEND (maildir), error);
}

/**
 * msc_mail_store_get_backend:
 *
 * Returns: (transfer none) (nullable): the backend, %NULL for memory
 */
MscStoreBackend *
msc_mail_store_get_backend (MscMailStore *self)
{
  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);

  return self->backend;
}

guint
msc_mail_store_get_password_iterations (MscMailStore *self)
{
  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), 0);

  return self->password_iterations;
}

void
msc_mail_store_set_password_iterations (MscMailStore *self,
                                        guint         iterations)
{
  g_return_if_fail (MSC_IS_MAIL_STORE (self));
  g_return_if_fail (iterations >= MSC_PASSWORD_MIN_ITERATIONS);
  g_return_if_fail (iterations <= MSC_PASSWORD_MAX_ITERATIONS);

  if (self->password_iterations == iterations)
    return;

  self->password_iterations = iterations;
  g_clear_pointer (&self->dummy_hash, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PASSWORD_ITERATIONS]);
}

/**
 * msc_mail_store_add_domain:
 * @domain: a domain this store receives mail for
 */
gboolean
msc_mail_store_add_domain (MscMailStore  *self,
                           const char    *domain,
                           GError       **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key = msc_mail_store_fold_domain (domain);
  if (key == NULL)
    {
      g_autofree char *shown = printable (domain);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_DOMAIN,
                   _("“%s” is not a valid domain"), shown);
      return FALSE;
    }

  if (g_hash_table_contains (self->domains, key))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_DOMAIN_EXISTS,
                   _("The domain “%s” already exists"), key);
      return FALSE;
    }

  if (self->backend != NULL
      && !msc_store_backend_add_domain (self->backend, key, error))
    return FALSE;

  g_hash_table_add (self->domains, g_strdup (key));
  g_signal_emit (self, signals[DOMAIN_ADDED], 0, key);

  return TRUE;
}

/**
 * msc_mail_store_remove_domain:
 *
 * Fails with %MSC_MAIL_STORE_ERROR_DOMAIN_NOT_EMPTY while it has accounts.
 */
gboolean
msc_mail_store_remove_domain (MscMailStore  *self,
                              const char    *domain,
                              GError       **error)
{
  g_autofree char *key = NULL;
  GHashTableIter iter;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key = msc_mail_store_fold_domain (domain);
  if (key == NULL || !g_hash_table_contains (self->domains, key))
    {
      g_autofree char *shown = printable (domain);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_NO_SUCH_DOMAIN,
                   _("There is no domain “%s”"), shown);
      return FALSE;
    }

  g_hash_table_iter_init (&iter, self->accounts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &account))
    if (strcmp (account->domain, key) == 0)
      {
        g_set_error (error, MSC_MAIL_STORE_ERROR,
                     MSC_MAIL_STORE_ERROR_DOMAIN_NOT_EMPTY,
                     _("The domain “%s” still has accounts"), key);
        return FALSE;
      }

  if (self->backend != NULL
      && !msc_store_backend_remove_domain (self->backend, key, error))
    return FALSE;

  g_hash_table_remove (self->domains, key);
  g_signal_emit (self, signals[DOMAIN_REMOVED], 0, key);

  return TRUE;
}

/**
 * msc_mail_store_list_domains:
 *
 * Returns: (transfer full): the folded domains, sorted
 */
GStrv
msc_mail_store_list_domains (MscMailStore *self)
{
  g_autoptr (GPtrArray) list = NULL;
  GHashTableIter iter;
  const char *domain;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);

  list = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, (gpointer *) &domain, NULL))
    g_ptr_array_add (list, g_strdup (domain));

  g_ptr_array_sort (list, compare_strings);
  g_ptr_array_add (list, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&list), FALSE);
}

static char *
hash_password (MscMailStore  *self,
               const char    *password,
               GError       **error)
{
  if (password[0] == '\0')
    {
      g_set_error_literal (error, MSC_MAIL_STORE_ERROR,
                           MSC_MAIL_STORE_ERROR_INVALID_PASSWORD,
                           _("The password is empty"));
      return NULL;
    }

  return msc_password_hash (password, self->password_iterations, error);
}

static gboolean
check_display_name (const char  *display_name,
                    GError     **error)
{
  if (display_name != NULL && !g_utf8_validate (display_name, -1, NULL))
    {
      g_set_error_literal (error, MSC_MAIL_STORE_ERROR,
                           MSC_MAIL_STORE_ERROR_INVALID_ADDRESS,
                           _("The display name is not valid UTF-8"));
      return FALSE;
    }

  return TRUE;
}

/**
 * msc_mail_store_add_account:
 * @address: "local@domain"; the domain must have been added
 * @display_name: (nullable): "Alice Example"
 * @password: (nullable): the password, kept only as a salted hash; %NULL
 *   for an account that receives mail but cannot log in
 *
 * Creates the account with INBOX, Sent, Drafts, Trash and Junk.  Errors
 * from hashing the password are in %MSC_PASSWORD_ERROR.
 */
gboolean
msc_mail_store_add_account (MscMailStore  *self,
                            const char    *address,
                            const char    *display_name,
                            const char    *password,
                            GError       **error)
{
  g_autoptr (Account) account = NULL;
  g_autoptr (GPtrArray) created = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hash = NULL;
  const char *domain;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key = msc_mail_store_fold_address (address);
  if (key == NULL)
    {
      g_autofree char *shown = printable (address);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_ADDRESS,
                   _("“%s” is not a valid address"), shown);
      return FALSE;
    }

  domain = strrchr (key, '@') + 1;
  if (!g_hash_table_contains (self->domains, domain))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_NO_SUCH_DOMAIN,
                   _("There is no domain “%s”"), domain);
      return FALSE;
    }

  if (g_hash_table_contains (self->accounts, key))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_ACCOUNT_EXISTS,
                   _("The account “%s” already exists"), address);
      return FALSE;
    }

  if (!check_display_name (display_name, error))
    return FALSE;

  if (password != NULL && !(hash = hash_password (self, password, error)))
    return FALSE;

  if (self->backend != NULL
      && !msc_store_backend_add_account (self->backend, key, address,
                                         display_name, hash, error))
    return FALSE;

  account = account_new (key, address, display_name, hash);
  created = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i <= G_N_ELEMENTS (default_mailboxes); i++)
    {
      const char *name = i == 0 ? MSC_MAILBOX_INBOX : default_mailboxes[i - 1].name;
      MscSpecialUse use = i == 0 ? MSC_SPECIAL_USE_NONE : default_mailboxes[i - 1].special_use;
      MscMailbox *mailbox;

      mailbox = create_one_mailbox (self, account, name, use, error);
      if (mailbox == NULL)
        {
          if (self->backend != NULL)
            msc_store_backend_remove_account (self->backend, key, NULL);
          return FALSE;
        }

      g_ptr_array_add (created, mailbox);
    }

  g_hash_table_insert (self->accounts, account->account, account);
  g_steal_pointer (&account);

  g_signal_emit (self, signals[ACCOUNT_ADDED], 0, address);
  for (guint i = 0; i < created->len; i++)
    g_signal_emit (self, signals[MAILBOX_CREATED], 0, g_ptr_array_index (created, i));

  return TRUE;
}

/**
 * msc_mail_store_remove_account:
 *
 * Removes the account with all its mail.
 */
gboolean
msc_mail_store_remove_account (MscMailStore  *self,
                               const char    *address,
                               GError       **error)
{
  g_autoptr (GPtrArray) mailboxes = NULL;
  g_autofree char *shown_address = NULL;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return FALSE;

  if (self->backend != NULL
      && !msc_store_backend_remove_account (self->backend, account->account, error))
    return FALSE;

  mailboxes = sorted_mailboxes (account);
  shown_address = g_strdup (account->address);
  g_hash_table_remove (self->accounts, account->account);

  for (guint i = 0; i < mailboxes->len; i++)
    _msc_mailbox_remove_all (g_ptr_array_index (mailboxes, i));
  for (guint i = 0; i < mailboxes->len; i++)
    g_signal_emit (self, signals[MAILBOX_DELETED], 0, g_ptr_array_index (mailboxes, i));
  g_signal_emit (self, signals[ACCOUNT_REMOVED], 0, shown_address);

  return TRUE;
}

/**
 * msc_mail_store_set_password:
 * @password: (nullable): the new password, or %NULL to forbid logins
 */
gboolean
msc_mail_store_set_password (MscMailStore  *self,
                             const char    *address,
                             const char    *password,
                             GError       **error)
{
  g_autofree char *hash = NULL;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return FALSE;

  if (password != NULL && !(hash = hash_password (self, password, error)))
    return FALSE;

  if (self->backend != NULL
      && !msc_store_backend_update_account (self->backend, account->account,
                                            account->address,
                                            account->display_name, hash, error))
    return FALSE;

  g_free (account->password_hash);
  account->password_hash = g_steal_pointer (&hash);

  return TRUE;
}

gboolean
msc_mail_store_set_display_name (MscMailStore  *self,
                                 const char    *address,
                                 const char    *display_name,
                                 GError       **error)
{
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = lookup_account (self, address, error);
  if (account == NULL || !check_display_name (display_name, error))
    return FALSE;

  if (self->backend != NULL
      && !msc_store_backend_update_account (self->backend, account->account,
                                            account->address, display_name,
                                            account->password_hash, error))
    return FALSE;

  g_free (account->display_name);
  account->display_name = g_strdup (display_name);

  return TRUE;
}

/**
 * msc_mail_store_lookup_account:
 * @address: any spelling of the address ("ALICE@example.com")
 * @out_address: (out) (optional): the address as it was created
 * @out_display_name: (out) (optional) (nullable): the display name
 *
 * Returns: %TRUE if the account exists
 */
gboolean
msc_mail_store_lookup_account (MscMailStore  *self,
                               const char    *address,
                               char         **out_address,
                               char         **out_display_name)
{
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);

  account = lookup_account (self, address, NULL);
  if (account == NULL)
    return FALSE;

  if (out_address != NULL)
    *out_address = g_strdup (account->address);
  if (out_display_name != NULL)
    *out_display_name = g_strdup (account->display_name);

  return TRUE;
}

/**
 * msc_mail_store_list_accounts:
 * @domain: (nullable): only this domain's accounts, or all
 *
 * Returns: (transfer full): the addresses as created, by folded address
 */
GStrv
msc_mail_store_list_accounts (MscMailStore *self,
                              const char   *domain)
{
  g_autoptr (GPtrArray) keys = NULL;
  g_autofree char *domain_key = NULL;
  GStrv result;
  GHashTableIter iter;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);

  if (domain != NULL)
    domain_key = msc_mail_store_fold_domain (domain);

  keys = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->accounts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &account))
    if (domain == NULL || g_strcmp0 (account->domain, domain_key) == 0)
      g_ptr_array_add (keys, account->account);

  g_ptr_array_sort (keys, compare_strings);

  result = g_new0 (char *, keys->len + 1);
  for (guint i = 0; i < keys->len; i++)
    {
      account = g_hash_table_lookup (self->accounts, g_ptr_array_index (keys, i));
      result[i] = g_strdup (account->address);
    }

  return result;
}

/**
 * msc_mail_store_list_mailboxes:
 *
 * Returns: (transfer container) (element-type MscMailbox) (nullable): the
 *   account's mailboxes, INBOX first, children after their parent
 */
GPtrArray *
msc_mail_store_list_mailboxes (MscMailStore  *self,
                               const char    *address,
                               GError       **error)
{
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return NULL;

  return sorted_mailboxes (account);
}

/**
 * msc_mail_store_get_mailbox:
 * @name: the mailbox name; INBOX in any case
 *
 * Returns: (transfer full) (nullable): the mailbox
 */
MscMailbox *
msc_mail_store_get_mailbox (MscMailStore  *self,
                            const char    *address,
                            const char    *name,
                            GError       **error)
{
  g_autofree char *normal = NULL;
  MscMailbox *mailbox = NULL;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return NULL;

  normal = msc_mail_store_normalize_mailbox_name (name);
  if (normal != NULL)
    mailbox = g_hash_table_lookup (account->mailboxes, normal);

  if (mailbox == NULL)
    {
      g_autofree char *shown = printable (name);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
                   _("There is no mailbox “%s”"), shown);
      return NULL;
    }

  return g_object_ref (mailbox);
}

/**
 * msc_mail_store_get_special_mailbox:
 * @special_use: a role other than %MSC_SPECIAL_USE_NONE
 *
 * Where a client saves sent mail, drafts, deleted mail.
 *
 * Returns: (transfer full) (nullable): the first mailbox with the role
 */
MscMailbox *
msc_mail_store_get_special_mailbox (MscMailStore   *self,
                                    const char     *address,
                                    MscSpecialUse   special_use,
                                    GError        **error)
{
  g_autoptr (GPtrArray) mailboxes = NULL;
  const char *role;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return NULL;

  mailboxes = sorted_mailboxes (account);
  for (guint i = 0; i < mailboxes->len; i++)
    {
      MscMailbox *mailbox = g_ptr_array_index (mailboxes, i);

      if (special_use != MSC_SPECIAL_USE_NONE
          && msc_mailbox_get_special_use (mailbox) == special_use)
        return g_object_ref (mailbox);
    }

  role = msc_special_use_to_string (special_use);
  g_set_error (error, MSC_MAIL_STORE_ERROR,
               MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
               /* Translators: the second %s is a role such as \Sent */
               _("The account “%s” has no %s mailbox"),
               account->address, role != NULL ? role : "-");
  return NULL;
}

/**
 * msc_mail_store_create_mailbox:
 * @name: UTF-8, '/' between levels; missing parents are created too
 * @special_use: its RFC 6154 role (CREATE-SPECIAL-USE), or none
 *
 * Returns: (transfer full) (nullable): the new mailbox
 */
MscMailbox *
msc_mail_store_create_mailbox (MscMailStore   *self,
                               const char     *address,
                               const char     *name,
                               MscSpecialUse   special_use,
                               GError        **error)
{
  g_autofree char *normal = NULL;
  MscMailbox *mailbox;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (special_use <= MSC_SPECIAL_USE_TRASH, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return NULL;

  normal = msc_mail_store_normalize_mailbox_name (name);
  if (normal == NULL)
    {
      g_autofree char *shown = printable (name);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
                   _("“%s” is not a valid mailbox name"), shown);
      return NULL;
    }

  if (g_hash_table_contains (account->mailboxes, normal))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
                   _("The mailbox “%s” already exists"), normal);
      return NULL;
    }

  if (!create_superiors (self, account, normal, error))
    return NULL;

  mailbox = create_one_mailbox (self, account, normal, special_use, error);
  if (mailbox == NULL)
    return NULL;

  g_signal_emit (self, signals[MAILBOX_CREATED], 0, mailbox);

  return mailbox;
}

/**
 * msc_mail_store_delete_mailbox:
 *
 * Deletes the mailbox and its messages.  INBOX cannot be deleted, nor a
 * mailbox with children (as in Dovecot: delete them first).
 */
gboolean
msc_mail_store_delete_mailbox (MscMailStore  *self,
                               MscMailbox    *mailbox,
                               GError       **error)
{
  g_autoptr (MscMailbox) hold = NULL;
  Account *account;
  const char *name;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = check_mailbox (self, mailbox, error);
  if (account == NULL)
    return FALSE;

  name = msc_mailbox_get_name (mailbox);

  if (msc_mailbox_is_inbox (mailbox))
    {
      g_set_error_literal (error, MSC_MAIL_STORE_ERROR,
                           MSC_MAIL_STORE_ERROR_CANNOT_DELETE_INBOX,
                           _("INBOX cannot be deleted"));
      return FALSE;
    }

  if (mailbox_has_children (account, name))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_HAS_CHILDREN,
                   _("The mailbox “%s” has child mailboxes; delete them first"),
                   name);
      return FALSE;
    }

  if (self->backend != NULL
      && !msc_store_backend_delete_mailbox (self->backend, mailbox, error))
    return FALSE;

  hold = g_object_ref (mailbox);
  g_hash_table_remove (account->mailboxes, name);
  _msc_mailbox_remove_all (mailbox);

  g_signal_emit (self, signals[MAILBOX_DELETED], 0, mailbox);

  return TRUE;
}

static GArray *copy_or_move (MscMailStore   *self,
                             MscMailbox     *source,
                             const guint32  *uids,
                             gsize           n_uids,
                             MscMailbox     *target,
                             gboolean        move,
                             GError        **error);

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and
 * leaves INBOX, empty, where it was. */
static gboolean
rename_inbox (MscMailStore  *self,
              Account       *account,
              MscMailbox    *inbox,
              const char    *new_name,
              GError       **error)
{
  g_autoptr (MscMailbox) target = NULL;
  g_autoptr (GArray) uids = NULL;
  g_autoptr (GArray) moved = NULL;

  if (!create_superiors (self, account, new_name, error))
    return FALSE;

  target = create_one_mailbox (self, account, new_name, MSC_SPECIAL_USE_NONE, error);
  if (target == NULL)
    return FALSE;

  g_signal_emit (self, signals[MAILBOX_CREATED], 0, target);

  uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < msc_mailbox_get_n_messages (inbox); i++)
    {
      guint32 uid = msc_message_get_uid (msc_mailbox_get_message (inbox, i));

      g_array_append_val (uids, uid);
    }

  moved = copy_or_move (self, inbox, (const guint32 *) uids->data, uids->len,
                        target, TRUE, error);

  return moved != NULL;
}

/**
 * msc_mail_store_rename_mailbox:
 * @new_name: the new name; missing parents are created
 *
 * Renames the mailbox and its children; UIDVALIDITY, UIDs and flags go
 * with them.  The #MscMailbox objects stay the same.  Renaming INBOX
 * follows RFC 3501: its messages move to a new mailbox.
 */
gboolean
msc_mail_store_rename_mailbox (MscMailStore  *self,
                               MscMailbox    *mailbox,
                               const char    *new_name,
                               GError       **error)
{
  g_autoptr (GPtrArray) moving = NULL;
  g_autoptr (GPtrArray) old_names = NULL;
  g_autoptr (GPtrArray) new_names = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autofree char *normal = NULL;
  g_autofree char *old_name = NULL;
  g_autofree char *old_prefix = NULL;
  g_autoptr (GError) local_error = NULL;
  Account *account;
  char *stolen_key = NULL;
  guint done = 0;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = check_mailbox (self, mailbox, error);
  if (account == NULL)
    return FALSE;

  normal = msc_mail_store_normalize_mailbox_name (new_name);
  if (normal == NULL)
    {
      g_autofree char *shown = printable (new_name);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
                   _("“%s” is not a valid mailbox name"), shown);
      return FALSE;
    }

  if (g_hash_table_contains (account->mailboxes, normal))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
                   _("The mailbox “%s” already exists"), normal);
      return FALSE;
    }

  if (msc_mailbox_is_inbox (mailbox))
    return rename_inbox (self, account, mailbox, normal, error);

  old_name = g_strdup (msc_mailbox_get_name (mailbox));
  old_prefix = g_strconcat (old_name, "/", NULL);

  if (g_str_has_prefix (normal, old_prefix))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
                   _("The mailbox “%s” cannot be moved inside itself"),
                   old_name);
      return FALSE;
    }

  /* The mailbox first, then its children in name order; every new name
   * is checked before anything is renamed. */
  moving = g_ptr_array_new_with_free_func (g_object_unref);
  old_names = g_ptr_array_new_with_free_func (g_free);
  new_names = g_ptr_array_new_with_free_func (g_free);
  all = sorted_mailboxes (account);

  g_ptr_array_add (moving, g_object_ref (mailbox));
  g_ptr_array_add (new_names, g_strdup (normal));
  for (guint i = 0; i < all->len; i++)
    {
      MscMailbox *child = g_ptr_array_index (all, i);
      const char *child_name = msc_mailbox_get_name (child);

      if (!g_str_has_prefix (child_name, old_prefix))
        continue;

      g_ptr_array_add (moving, g_object_ref (child));
      g_ptr_array_add (new_names, g_strconcat (normal, "/",
                                               child_name + strlen (old_prefix),
                                               NULL));
    }

  for (guint i = 0; i < new_names->len; i++)
    {
      const char *name = g_ptr_array_index (new_names, i);

      if (g_hash_table_contains (account->mailboxes, name)
          || strlen (name) > MAX_MAILBOX_NAME_LEN)
        {
          g_set_error (error, MSC_MAIL_STORE_ERROR,
                       MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
                       _("The mailbox “%s” already exists"), name);
          return FALSE;
        }
    }

  if (!create_superiors (self, account, normal, error))
    return FALSE;

  for (done = 0; done < moving->len; done++)
    {
      MscMailbox *each = g_ptr_array_index (moving, done);
      const char *name = g_ptr_array_index (new_names, done);

      if (self->backend != NULL
          && !msc_store_backend_rename_mailbox (self->backend, each, name,
                                                &local_error))
        break;

      g_ptr_array_add (old_names, g_strdup (msc_mailbox_get_name (each)));
      g_hash_table_steal_extended (account->mailboxes, msc_mailbox_get_name (each),
                                   (gpointer *) &stolen_key, NULL);
      g_clear_pointer (&stolen_key, g_free);
      _msc_mailbox_set_name (each, name);
      g_hash_table_insert (account->mailboxes, g_strdup (name), g_object_ref (each));
      g_object_unref (each);
    }

  for (guint i = 0; i < done; i++)
    g_signal_emit (self, signals[MAILBOX_RENAMED], 0,
                   g_ptr_array_index (moving, i),
                   g_ptr_array_index (old_names, i));

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * msc_mail_store_append:
 * @data: the message exactly as received; kept byte for byte
 * @flags: its flags
 * @keywords: (nullable) (array zero-terminated=1): its keywords
 * @internal_date: (nullable): when it arrived, %NULL for now
 *
 * Appends a message; it is "recent" until an IMAP session takes it.  With
 * a Maildir backend the message is on disk (fsync'ed) when this returns.
 *
 * Returns: its UID, or 0 with @error set
 */
guint32
msc_mail_store_append (MscMailStore        *self,
                       MscMailbox          *mailbox,
                       GBytes              *data,
                       MscMessageFlags      flags,
                       const char * const  *keywords,
                       GDateTime           *internal_date,
                       GError             **error)
{
  g_autoptr (MscMessage) message = NULL;
  guint32 uid;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), 0);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), 0);
  g_return_val_if_fail (data != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (check_mailbox (self, mailbox, error) == NULL
      || !check_keywords (keywords, error)
      || !check_uid_space (mailbox, 1, error)
      || !define_keywords (mailbox, keywords, error))
    return 0;

  uid = msc_mailbox_get_uid_next (mailbox);
  message = msc_message_new (uid, data, internal_date, flags, keywords);
  _msc_message_set_recent (message, TRUE);

  if (self->backend != NULL
      && !msc_store_backend_append (self->backend, mailbox, &message, 1, error))
    return 0;

  _msc_mailbox_insert (mailbox, message);
  g_signal_emit (self, signals[MESSAGE_ADDED], 0, mailbox, message);

  return uid;
}

/**
 * msc_mail_store_deliver:
 * @address: a recipient, any case
 * @data: the message as the SMTP server received it
 *
 * Final delivery now: msc_mail_store_deliver_at() with the real clock.
 *
 * Returns: the UID in INBOX, or 0 with @error set
 */
guint32
msc_mail_store_deliver (MscMailStore  *self,
                        const char    *address,
                        GBytes        *data,
                        GError       **error)
{
  return msc_mail_store_deliver_at (self, address, data, NULL, error);
}

/**
 * msc_mail_store_deliver_at:
 * @address: a recipient, any case
 * @data: the message as the SMTP server received it
 * @internal_date: (nullable): when it arrived, %NULL for now
 *
 * Final delivery: appends to the account's INBOX with no flags.  The
 * server passes its own idea of "now", which in a lesson is the virtual
 * clock: a replayed lesson then stores the same dates.
 *
 * Returns: the UID in INBOX, or 0 with @error set
 */
guint32
msc_mail_store_deliver_at (MscMailStore  *self,
                           const char    *address,
                           GBytes        *data,
                           GDateTime     *internal_date,
                           GError       **error)
{
  MscMailbox *inbox;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), 0);
  g_return_val_if_fail (data != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return 0;

  inbox = g_hash_table_lookup (account->mailboxes, MSC_MAILBOX_INBOX);
  g_assert (inbox != NULL);

  return msc_mail_store_append (self, inbox, data, MSC_MESSAGE_FLAG_NONE,
                                NULL, internal_date, error);
}

static char **
combine_keywords (MscMessage         *message,
                  MscFlagsMode        mode,
                  const char * const *keywords)
{
  const char * const *current = msc_message_get_keywords (message);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) combined = NULL;

  switch (mode)
    {
    case MSC_FLAGS_MODE_REPLACE:
      return _msc_message_normalize_keywords (keywords);

    case MSC_FLAGS_MODE_ADD:
      g_strv_builder_addv (builder, (const char **) current);
      if (keywords != NULL)
        g_strv_builder_addv (builder, (const char **) keywords);
      break;

    case MSC_FLAGS_MODE_REMOVE:
      for (guint i = 0; current[i] != NULL; i++)
        {
          gboolean drop = FALSE;

          for (guint j = 0; keywords != NULL && keywords[j] != NULL && !drop; j++)
            drop = g_ascii_strcasecmp (current[i], keywords[j]) == 0;

          if (!drop)
            g_strv_builder_add (builder, current[i]);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  combined = g_strv_builder_end (builder);
  return _msc_message_normalize_keywords ((const char * const *) combined);
}

/**
 * msc_mail_store_update_flags:
 * @uids: (array length=n_uids): the messages; UIDs not there are skipped
 * @mode: replace, add or remove (IMAP FLAGS, +FLAGS, -FLAGS)
 * @flags: the system flags
 * @keywords: (nullable) (array zero-terminated=1): the keywords
 *
 * Each message changes on its own: after an I/O error, the messages
 * before the failing one keep their new flags (and their signals fire).
 */
gboolean
msc_mail_store_update_flags (MscMailStore        *self,
                             MscMailbox          *mailbox,
                             const guint32       *uids,
                             gsize                n_uids,
                             MscFlagsMode         mode,
                             MscMessageFlags      flags,
                             const char * const  *keywords,
                             GError             **error)
{
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GPtrArray) changed = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (uids != NULL || n_uids == 0, FALSE);
  g_return_val_if_fail (mode <= MSC_FLAGS_MODE_REMOVE, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (check_mailbox (self, mailbox, error) == NULL
      || !check_keywords (keywords, error))
    return FALSE;

  messages = collect_messages (mailbox, uids, n_uids);

  if (mode != MSC_FLAGS_MODE_REMOVE && messages->len > 0
      && !define_keywords (mailbox, keywords, error))
    return FALSE;

  flags &= MSC_MESSAGE_FLAGS_ALL;
  changed = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (messages, i);
      MscMessageFlags old_flags = msc_message_get_flags (message);
      MscMessageFlags new_flags;
      g_auto (GStrv) new_keywords = NULL;

      switch (mode)
        {
        case MSC_FLAGS_MODE_REPLACE:
          new_flags = flags;
          break;
        case MSC_FLAGS_MODE_ADD:
          new_flags = old_flags | flags;
          break;
        case MSC_FLAGS_MODE_REMOVE:
          new_flags = old_flags & ~flags;
          break;
        default:
          g_assert_not_reached ();
        }

      new_keywords = combine_keywords (message, mode, keywords);

      if (new_flags == old_flags
          && _msc_message_keywords_equal (msc_message_get_keywords (message),
                                          (const char * const *) new_keywords))
        continue;

      if (self->backend != NULL
          && !msc_store_backend_update_message (self->backend, mailbox, message,
                                                new_flags,
                                                (const char * const *) new_keywords,
                                                msc_message_get_recent (message),
                                                &local_error))
        break;

      _msc_message_set_flags (message, new_flags, (const char * const *) new_keywords);
      g_ptr_array_add (changed, g_object_ref (message));
    }

  for (guint i = 0; i < changed->len; i++)
    g_signal_emit (self, signals[FLAGS_CHANGED], 0, mailbox,
                   g_ptr_array_index (changed, i));

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * msc_mail_store_expunge:
 * @uids: (array length=n_uids): the messages to remove, whatever their
 *   flags (IMAP's EXPUNGE picks the \Deleted ones, POP3's QUIT the ones
 *   marked with DELE); UIDs not there are skipped
 *
 * The other messages keep their UIDs and move up in position.  After an
 * I/O error, the messages before the failing one are gone (and
 * signalled); the rest are still there.
 */
gboolean
msc_mail_store_expunge (MscMailStore   *self,
                        MscMailbox     *mailbox,
                        const guint32  *uids,
                        gsize           n_uids,
                        GError        **error)
{
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) local_error = NULL;
  guint done;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), FALSE);
  g_return_val_if_fail (uids != NULL || n_uids == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (check_mailbox (self, mailbox, error) == NULL)
    return FALSE;

  messages = collect_messages (mailbox, uids, n_uids);
  if (messages->len == 0)
    return TRUE;

  done = messages->len;
  if (self->backend != NULL
      && !msc_store_backend_expunge (self->backend, mailbox,
                                     (MscMessage * const *) messages->pdata,
                                     messages->len, &done, &local_error))
    done = MIN (done, messages->len);

  for (guint i = 0; i < done; i++)
    _msc_mailbox_remove (mailbox, msc_message_get_uid (g_ptr_array_index (messages, i)));

  for (guint i = 0; i < done; i++)
    g_signal_emit (self, signals[MESSAGE_EXPUNGED], 0, mailbox,
                   g_ptr_array_index (messages, i));

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

static GArray *
copy_or_move (MscMailStore   *self,
              MscMailbox     *source,
              const guint32  *uids,
              gsize           n_uids,
              MscMailbox     *target,
              gboolean        move,
              GError        **error)
{
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GPtrArray) copies = NULL;
  g_autoptr (GStrvBuilder) keywords = NULL;
  g_auto (GStrv) all_keywords = NULL;
  g_autoptr (GArray) pairs = NULL;
  guint32 uid;

  if (check_mailbox (self, source, error) == NULL
      || check_mailbox (self, target, error) == NULL)
    return NULL;

  messages = collect_messages (source, uids, n_uids);
  pairs = g_array_sized_new (FALSE, FALSE, sizeof (MscUidPair), messages->len);
  if (messages->len == 0)
    return g_steal_pointer (&pairs);

  keywords = g_strv_builder_new ();
  for (guint i = 0; i < messages->len; i++)
    g_strv_builder_addv (keywords,
                         (const char **) msc_message_get_keywords (g_ptr_array_index (messages, i)));
  all_keywords = g_strv_builder_end (keywords);

  if (!check_uid_space (target, messages->len, error)
      || !define_keywords (target, (const char * const *) all_keywords, error))
    return NULL;

  /* RFC 3501 6.4.7: the copy keeps flags and internal date, and is
   * \Recent in the target. */
  copies = g_ptr_array_new_with_free_func (g_object_unref);
  uid = msc_mailbox_get_uid_next (target);
  for (guint i = 0; i < messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (messages, i);
      MscMessage *copy;
      MscUidPair pair;

      copy = msc_message_new (uid, msc_message_get_data (message),
                              msc_message_get_internal_date (message),
                              msc_message_get_flags (message),
                              msc_message_get_keywords (message));
      _msc_message_set_recent (copy, TRUE);
      g_ptr_array_add (copies, copy);

      pair.source = msc_message_get_uid (message);
      pair.target = uid++;
      g_array_append_val (pairs, pair);
    }

  if (self->backend != NULL)
    {
      gboolean ok;

      if (move)
        ok = msc_store_backend_move (self->backend, source,
                                     (MscMessage * const *) messages->pdata,
                                     target,
                                     (MscMessage * const *) copies->pdata,
                                     messages->len, error);
      else
        ok = msc_store_backend_append (self->backend, target,
                                       (MscMessage * const *) copies->pdata,
                                       copies->len, error);
      if (!ok)
        return NULL;
    }

  for (guint i = 0; i < copies->len; i++)
    _msc_mailbox_insert (target, g_ptr_array_index (copies, i));
  if (move)
    for (guint i = 0; i < messages->len; i++)
      _msc_mailbox_remove (source, msc_message_get_uid (g_ptr_array_index (messages, i)));

  for (guint i = 0; i < copies->len; i++)
    g_signal_emit (self, signals[MESSAGE_ADDED], 0, target,
                   g_ptr_array_index (copies, i));
  if (move)
    for (guint i = 0; i < messages->len; i++)
      g_signal_emit (self, signals[MESSAGE_EXPUNGED], 0, source,
                     g_ptr_array_index (messages, i));

  return g_steal_pointer (&pairs);
}

/**
 * msc_mail_store_copy:
 * @uids: (array length=n_uids): messages in @source; UIDs not there are
 *   skipped
 *
 * Copies all the messages or none (RFC 3501 6.4.7).  @target may be
 * @source.
 *
 * Returns: (transfer full) (element-type MscUidPair) (nullable): source →
 *   new UID in @target, ascending, for UIDPLUS's COPYUID; empty if no UID
 *   matched; %NULL with @error set
 */
GArray *
msc_mail_store_copy (MscMailStore   *self,
                     MscMailbox     *source,
                     const guint32  *uids,
                     gsize           n_uids,
                     MscMailbox     *target,
                     GError        **error)
{
  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (MSC_IS_MAILBOX (source), NULL);
  g_return_val_if_fail (MSC_IS_MAILBOX (target), NULL);
  g_return_val_if_fail (uids != NULL || n_uids == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return copy_or_move (self, source, uids, n_uids, target, FALSE, error);
}

/**
 * msc_mail_store_move:
 *
 * Like msc_mail_store_copy(), then the originals are expunged (RFC 6851):
 * ::message-added for each copy, then ::message-expunged for each
 * original.  All or nothing.
 *
 * Returns: (transfer full) (element-type MscUidPair) (nullable): as for
 *   msc_mail_store_copy()
 */
GArray *
msc_mail_store_move (MscMailStore   *self,
                     MscMailbox     *source,
                     const guint32  *uids,
                     gsize           n_uids,
                     MscMailbox     *target,
                     GError        **error)
{
  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (MSC_IS_MAILBOX (source), NULL);
  g_return_val_if_fail (MSC_IS_MAILBOX (target), NULL);
  g_return_val_if_fail (uids != NULL || n_uids == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return copy_or_move (self, source, uids, n_uids, target, TRUE, error);
}

/**
 * msc_mail_store_take_recent:
 *
 * The hook for IMAP's \Recent (RFC 3501 2.3.2): the first session to
 * select a mailbox calls this and shows \Recent on the UIDs it gets; any
 * later session gets none of them.  In Maildir this moves the files from
 * new/ to cur/, as a mail reader does when it has seen them.
 *
 * Returns: (transfer full) (element-type guint32) (nullable): the UIDs
 *   that were recent, ascending
 */
GArray *
msc_mail_store_take_recent (MscMailStore  *self,
                            MscMailbox    *mailbox,
                            GError       **error)
{
  g_autoptr (GArray) taken = NULL;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (MSC_IS_MAILBOX (mailbox), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (check_mailbox (self, mailbox, error) == NULL)
    return NULL;

  taken = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < msc_mailbox_get_n_messages (mailbox); i++)
    {
      MscMessage *message = msc_mailbox_get_message (mailbox, i);
      guint32 uid = msc_message_get_uid (message);

      if (!msc_message_get_recent (message))
        continue;

      if (self->backend != NULL
          && !msc_store_backend_update_message (self->backend, mailbox, message,
                                                msc_message_get_flags (message),
                                                msc_message_get_keywords (message),
                                                FALSE, error))
        return NULL;

      _msc_message_set_recent (message, FALSE);
      g_array_append_val (taken, uid);
    }

  return g_steal_pointer (&taken);
}

/**
 * msc_mail_store_try_lock_maildrop:
 * @address: the account, any spelling
 *
 * RFC 1939 §4: a POP3 session takes an exclusive lock on the maildrop
 * (the account's INBOX) before it numbers the messages, and keeps it to
 * the end of the UPDATE state, so that two sessions never number or
 * delete the same messages.  Every server of the process shares this one
 * store, so the lock is kept here, in memory; it is not a lock on disk.
 * IMAP sessions do not take it: they may change the INBOX meanwhile, and
 * a POP3 session copes with that (see msc-pop3-server.c).
 *
 * Returns: %TRUE if the caller now holds the lock and must release it
 *   with msc_mail_store_unlock_maildrop(); %FALSE if another session
 *   holds it, or there is no such account
 */
gboolean
msc_mail_store_try_lock_maildrop (MscMailStore *self,
                                  const char   *address)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  key = msc_mail_store_fold_address (address);
  if (key == NULL
      || !g_hash_table_contains (self->accounts, key)
      || g_hash_table_contains (self->maildrop_locks, key))
    return FALSE;

  g_hash_table_add (self->maildrop_locks, g_steal_pointer (&key));

  return TRUE;
}

/**
 * msc_mail_store_unlock_maildrop:
 * @address: an account whose lock the caller holds
 *
 * The lock outlives a removal of its account, so this is always the
 * holder's to call.
 */
void
msc_mail_store_unlock_maildrop (MscMailStore *self,
                                const char   *address)
{
  g_autofree char *key = NULL;

  g_return_if_fail (MSC_IS_MAIL_STORE (self));
  g_return_if_fail (address != NULL);

  key = msc_mail_store_fold_address (address);
  g_return_if_fail (key != NULL && g_hash_table_contains (self->maildrop_locks, key));

  g_hash_table_remove (self->maildrop_locks, key);
}

gboolean
msc_mail_store_is_maildrop_locked (MscMailStore *self,
                                   const char   *address)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  key = msc_mail_store_fold_address (address);

  return key != NULL && g_hash_table_contains (self->maildrop_locks, key);
}

/**
 * msc_mail_store_set_apop_secret:
 * @address: the account
 * @secret: (nullable): the shared secret APOP digests are made with, or
 *   %NULL to turn APOP off for the account
 *
 * APOP (RFC 1939 §7) never sends the secret, but the server must know it
 * in plaintext to make the same digest: a stolen store gives every APOP
 * secret away, which is why it is weak and why an account has none
 * unless it opts in.  The secret is kept in memory only, never written
 * by a backend (the backend's account record has no place for it), so
 * after a restart an account must opt in again.
 */
gboolean
msc_mail_store_set_apop_secret (MscMailStore  *self,
                                const char    *address,
                                const char    *secret,
                                GError       **error)
{
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (secret == NULL || g_utf8_validate (secret, -1, NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  account = lookup_account (self, address, error);
  if (account == NULL)
    return FALSE;

  if (secret != NULL && secret[0] == '\0')
    {
      g_set_error_literal (error, MSC_MAIL_STORE_ERROR,
                           MSC_MAIL_STORE_ERROR_INVALID_PASSWORD,
                           _("The password is empty"));
      return FALSE;
    }

  g_clear_pointer (&account->apop_secret, msc_wire_free_secret);
  account->apop_secret = g_strdup (secret);

  return TRUE;
}

gboolean
msc_mail_store_has_apop_secret (MscMailStore *self,
                                const char   *address)
{
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);

  account = lookup_account (self, address, NULL);

  return account != NULL && account->apop_secret != NULL;
}

/**
 * msc_mail_store_has_apop_accounts:
 *
 * Whether APOP can succeed for anybody: a POP3 server puts the APOP
 * timestamp in its greeting only then.
 */
gboolean
msc_mail_store_has_apop_accounts (MscMailStore *self)
{
  GHashTableIter iter;
  Account *account;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);

  g_hash_table_iter_init (&iter, self->accounts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &account))
    if (account->apop_secret != NULL)
      return TRUE;

  return FALSE;
}

/**
 * msc_mail_store_compute_apop_digest:
 * @timestamp: the timestamp of the server's greeting, angle brackets
 *   included ("<1896.697170952@dbc.mtview.ca.us>")
 * @secret: the shared secret
 *
 * RFC 1939 §7: MD5 of the timestamp followed by the secret.
 *
 * Returns: (transfer full): the digest as 32 lower-case hex digits
 */
char *
msc_mail_store_compute_apop_digest (const char *timestamp,
                                    const char *secret)
{
  g_autoptr (GChecksum) checksum = NULL;

  g_return_val_if_fail (timestamp != NULL, NULL);
  g_return_val_if_fail (secret != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_MD5);
  g_checksum_update (checksum, (const guchar *) timestamp, -1);
  g_checksum_update (checksum, (const guchar *) secret, -1);

  return g_strdup (g_checksum_get_string (checksum));
}

/**
 * msc_mail_store_check_apop:
 * @address: the name the client gave
 * @timestamp: the timestamp of the greeting this session sent
 * @digest: the digest the client sent, hex in either case
 *
 * Returns: %TRUE if the account has an APOP secret and @digest was made
 *   from it and @timestamp
 */
gboolean
msc_mail_store_check_apop (MscMailStore *self,
                           const char   *address,
                           const char   *timestamp,
                           const char   *digest)
{
  g_autofree char *expected = NULL;
  Account *account;
  gboolean known;
  guint differ = 0;
  gsize len;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (timestamp != NULL, FALSE);
  g_return_val_if_fail (digest != NULL, FALSE);

  account = lookup_account (self, address, NULL);
  known = account != NULL && account->apop_secret != NULL;

  /* A digest is made and compared whether or not the account exists, and
   * without stopping at the first difference, so that the time a failure
   * takes tells nothing. */
  expected = msc_mail_store_compute_apop_digest (timestamp, known ? account->apop_secret : "");
  len = strlen (expected);
  if (strlen (digest) != len)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    differ |= (guchar) expected[i] ^ (guchar) g_ascii_tolower (digest[i]);

  return known && differ == 0;
}

/* ---- IMAP subscriptions (RFC 3501 §6.3.6, §6.3.7, §6.3.9) ---- */

/* The account's set, made on first use from the mailboxes it has then,
 * so that a client that shows only subscribed folders (Thunderbird's
 * default) shows the INBOX, Sent, Drafts, Trash and Junk from the start.
 * Kept in memory only, in both backends. */
static GHashTable *
get_subscriptions (MscMailStore  *self,
                   const char    *address,
                   GError       **error)
{
  Account *account = lookup_account (self, address, error);
  GHashTable *names;
  GHashTableIter iter;
  const char *name;

  if (account == NULL)
    return NULL;

  names = g_hash_table_lookup (self->subscriptions, account->account);
  if (names != NULL)
    return names;

  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, account->mailboxes);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    g_hash_table_add (names, g_strdup (name));
  g_hash_table_insert (self->subscriptions, g_strdup (account->account), names);

  return names;
}

/**
 * msc_mail_store_subscribe:
 * @name: a mailbox name, which need not exist (RFC 3501 §6.3.6 lets a
 *   server check, and §6.3.9 keeps names whose mailbox is gone)
 *
 * Returns: %TRUE if @name is subscribed now
 */
gboolean
msc_mail_store_subscribe (MscMailStore  *self,
                          const char    *address,
                          const char    *name,
                          GError       **error)
{
  g_autofree char *normal = NULL;
  GHashTable *names;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  names = get_subscriptions (self, address, error);
  if (names == NULL)
    return FALSE;

  normal = msc_mail_store_normalize_mailbox_name (name);
  if (normal == NULL)
    {
      g_autofree char *shown = printable (name);

      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
                   _("“%s” is not a valid mailbox name"), shown);
      return FALSE;
    }

  g_hash_table_add (names, g_steal_pointer (&normal));

  return TRUE;
}

/**
 * msc_mail_store_unsubscribe:
 *
 * A name that is not subscribed is not an error: afterwards it is not
 * subscribed, which is what was asked.
 *
 * Returns: %TRUE unless there is no such account
 */
gboolean
msc_mail_store_unsubscribe (MscMailStore  *self,
                            const char    *address,
                            const char    *name,
                            GError       **error)
{
  g_autofree char *normal = NULL;
  GHashTable *names;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  names = get_subscriptions (self, address, error);
  if (names == NULL)
    return FALSE;

  normal = msc_mail_store_normalize_mailbox_name (name);
  g_hash_table_remove (names, normal != NULL ? normal : name);

  return TRUE;
}

/**
 * msc_mail_store_list_subscriptions:
 *
 * Returns: (transfer full) (nullable): the subscribed names, sorted as
 *   msc_mail_store_list_mailboxes() sorts mailboxes
 */
GStrv
msc_mail_store_list_subscriptions (MscMailStore  *self,
                                   const char    *address,
                                   GError       **error)
{
  g_autoptr (GPtrArray) list = NULL;
  GHashTableIter iter;
  const char *name;
  GHashTable *names;

  g_return_val_if_fail (MSC_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  names = get_subscriptions (self, address, error);
  if (names == NULL)
    return NULL;

  list = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    g_ptr_array_add (list, g_strdup (name));
  g_ptr_array_sort (list, compare_name_pointers);
  g_ptr_array_add (list, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&list), FALSE);
}
