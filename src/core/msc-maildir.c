/* msc-maildir.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-maildir"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "msc-mail-store.h"
#include "msc-maildir.h"
#include "msc-mutf7.h"

#define UIDLIST_NAME      "mailscope-uidlist"
#define KEYWORDS_NAME     "mailscope-keywords"
#define ACCOUNT_NAME      "mailscope-account"
#define FOLDER_MARKER     "maildirfolder"
#define TRASH_NAME        ".msc-trash"
/* Dot names at the root can never be a domain's folder. */
#define UIDVALIDITY_NAME  ".mailscope-uidvalidity"
#define LOCK_NAME         ".mailscope-lock"
#define ACCOUNT_GROUP     "Account"
#define UIDLIST_VERSION   1
#define FORWARDED_KEYWORD "$Forwarded"
/* The Maildir spec: tmp/ files untouched for 36 hours are debris. */
#define TMP_MAX_AGE       (36 * 60 * 60)
#define MAX_FOLDER_NAME   255

/* What the backend knows about one mailbox's folder, hung on the
 * MscMailbox as qdata so it lives and dies with the mailbox. */
typedef struct
{
  char       *path;
  GHashTable *files;        /* uid → "cur/<base>:2,<info>" or "new/<base>" */
  guint32     uid_next;
  guint       n_keywords;   /* entries in mailscope-keywords on disk */
} Folder;

struct _MscMaildir
{
  GObject  parent_instance;

  char    *root;
  char    *host;
  int      lock_fd;
  guint32  last_uid_validity;
};

static void backend_iface_init (MscStoreBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscMaildir, msc_maildir, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_STORE_BACKEND,
                                                      backend_iface_init))

static GQuark
folder_quark (void)
{
  static GQuark quark;

  if (quark == 0)
    quark = g_quark_from_static_string ("msc-maildir-folder");

  return quark;
}

enum {
  PROP_0,
  PROP_ROOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  char            letter;
  MscMessageFlags flag;
} flag_letters[] = {
  /* In ASCII order, as the spec wants them in the file name. */
  { 'D', MSC_MESSAGE_FLAG_DRAFT },
  { 'F', MSC_MESSAGE_FLAG_FLAGGED },
  { 'R', MSC_MESSAGE_FLAG_ANSWERED },
  { 'S', MSC_MESSAGE_FLAG_SEEN },
  { 'T', MSC_MESSAGE_FLAG_DELETED },
};

static void
folder_free (gpointer data)
{
  Folder *folder = data;

  g_free (folder->path);
  g_clear_pointer (&folder->files, g_hash_table_unref);
  g_free (folder);
}

static Folder *
folder_new (const char *path,
            guint32     uid_next)
{
  Folder *folder = g_new0 (Folder, 1);

  folder->path = g_strdup (path);
  folder->files = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  folder->uid_next = uid_next;

  return folder;
}

/* A macro so that the compiler still checks each translated format; errno
 * is read before anything else can change it. */
#define io_error(error, errsv, format, path)                              \
  G_STMT_START {                                                          \
    int io_errsv_ = (errsv);                                              \
    g_autofree char *io_display_ = g_filename_display_name (path);        \
                                                                          \
    g_set_error ((error), MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO,  \
                 (format), io_display_, g_strerror (io_errsv_));          \
  } G_STMT_END

static Folder *
get_folder (MscMailbox  *mailbox,
            GError     **error)
{
  Folder *folder = g_object_get_qdata (G_OBJECT (mailbox), folder_quark ());

  if (folder == NULL)
    g_set_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
                 _("The mailbox “%s” has no folder on disk"),
                 msc_mailbox_get_name (mailbox));

  return folder;
}

/* time.MusecPpidQcounter.host, the spec's recommended shape: unique as
 * long as the clock does not go back within one process, and the counter
 * covers two deliveries in one microsecond. */
static char *
unique_name (MscMaildir *self)
{
  static gint counter;
  gint64 now = g_get_real_time ();

  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%u.%s",
                          now / G_USEC_PER_SEC, (int) (now % G_USEC_PER_SEC),
                          (int) getpid (),
                          (guint) g_atomic_int_add (&counter, 1) + 1,
                          self->host);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }

      data += n;
      len -= n;
    }

  return TRUE;
}

/* A rename or a new file is durable only once its directory is. */
static gboolean
sync_dir (const char  *path,
          GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      io_error (error, errno, _("Could not open “%s”: %s"), path);
      return FALSE;
    }

  /* Some file systems cannot fsync a directory; they order metadata
   * themselves. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != ENOTSUP)
    {
      int errsv = errno;

      close (fd);
      io_error (error, errsv, _("Could not sync “%s” to disk: %s"), path);
      return FALSE;
    }

  close (fd);
  return TRUE;
}

static gboolean
sync_parent (const char  *path,
             GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (path);

  return sync_dir (parent, error);
}

/* The Maildir delivery sequence: a new file in tmp/ (O_EXCL: never
 * overwrite), written, its mtime set, fsync'ed, closed, renamed into place,
 * and the target directory fsync'ed.  g_file_set_contents() does not
 * fsync a new file's directory. */
static gboolean
write_file (const char    *tmp_path,
            const char    *final_path,
            gconstpointer  data,
            gsize          len,
            gint64         mtime,
            GError       **error)
{
  int fd;
  int errsv;

  fd = g_open (tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      io_error (error, errno, _("Could not create “%s”: %s"), tmp_path);
      return FALSE;
    }

  if (!write_all (fd, data, len))
    goto fail;

  if (mtime >= 0)
    {
      struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };

      if (futimens (fd, times) != 0)
        goto fail;
    }

  if (fsync (fd) != 0)
    goto fail;

  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;

  if (g_rename (tmp_path, final_path) != 0)
    goto fail;

  return sync_parent (final_path, error);

fail:
  errsv = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (tmp_path);
  io_error (error, errsv, _("Could not write “%s”: %s"), final_path);
  return FALSE;
}

/* Control files go through the folder's own tmp/, so a crash leaves
 * debris only where Maildir readers already clean it up. */
static gboolean
write_control_file (MscMaildir     *self,
                    const char     *dir,
                    const char     *name,
                    const char     *data,
                    gsize           len,
                    GError        **error)
{
  g_autofree char *unique = unique_name (self);
  g_autofree char *tmp_path = g_build_filename (dir, "tmp", unique, NULL);
  g_autofree char *final_path = g_build_filename (dir, name, NULL);

  return write_file (tmp_path, final_path, data, len, -1, error);
}

static gboolean
make_dir (const char  *path,
          gboolean     exist_ok,
          GError     **error)
{
  if (g_mkdir (path, 0700) == 0)
    return TRUE;

  if (errno == EEXIST && exist_ok && g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE;

  io_error (error, errno, _("Could not create folder “%s”: %s"), path);
  return FALSE;
}

static gboolean
make_maildir_dirs (const char  *path,
                   GError     **error)
{
  static const char * const subdirs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!make_dir (sub, TRUE, error))
        return FALSE;
    }

  return TRUE;
}

/* rm -rf that does not follow symbolic links. */
static gboolean
remove_tree (const char  *path,
             GError     **error)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
      io_error (error, errno, _("Could not remove “%s”: %s"), path);
      return FALSE;
    }

  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!remove_tree (child, error))
            return FALSE;
        }

      if (g_rmdir (path) != 0)
        {
          io_error (error, errno, _("Could not remove “%s”: %s"), path);
          return FALSE;
        }
    }
  else if (g_unlink (path) != 0 && errno != ENOENT)
    {
      io_error (error, errno, _("Could not remove “%s”: %s"), path);
      return FALSE;
    }

  return TRUE;
}

/* Deleting a tree is not atomic, renaming it is: the tree goes to the
 * trash first, so a crash leaves it there (emptied on the next load)
 * rather than half a mailbox in place. */
static gboolean
move_to_trash (MscMaildir  *self,
               const char  *path,
               GError     **error)
{
  g_autofree char *trash = g_build_filename (self->root, TRASH_NAME, NULL);
  g_autofree char *unique = unique_name (self);
  g_autofree char *target = g_build_filename (trash, unique, NULL);
  g_autoptr (GError) local_error = NULL;

  if (!make_dir (trash, TRUE, error))
    return FALSE;

  if (g_rename (path, target) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
      io_error (error, errno, _("Could not remove “%s”: %s"), path);
      return FALSE;
    }

  if (!sync_parent (path, &local_error)
      || !remove_tree (target, &local_error))
    g_debug ("Leaving %s for the next load: %s", target, local_error->message);

  return TRUE;
}

/* UIDVALIDITY is the creation time, as in Dovecot, but never at or below
 * the high-water mark in <root>/mailscope-uidvalidity: a mailbox made,
 * deleted and made again, or a folder whose uidlist was lost, gets a new
 * value even after a restart within the same second. */
static guint32
new_uid_validity (MscMaildir *self)
{
  g_autofree char *trash = g_build_filename (self->root, TRASH_NAME, NULL);
  g_autofree char *unique = unique_name (self);
  g_autofree char *tmp_path = g_build_filename (trash, unique, NULL);
  g_autofree char *path = g_build_filename (self->root, UIDVALIDITY_NAME, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint32 value = self->last_uid_validity + 1;

  if (now > value && now <= G_MAXUINT32)
    value = (guint32) now;
  if (value == 0)
    value = 1;

  self->last_uid_validity = value;

  /* The value also lands in the new folder's uidlist; losing the mark
   * only matters for a restart within the next few seconds. */
  text = g_strdup_printf ("%u\n", value);
  if (!make_dir (trash, TRUE, &error)
      || !write_file (tmp_path, path, text, strlen (text), -1, &error))
    g_debug ("Cannot save the UIDVALIDITY mark: %s", error->message);

  return value;
}

static void
read_uid_validity_mark (MscMaildir *self)
{
  g_autofree char *path = g_build_filename (self->root, UIDVALIDITY_NAME, NULL);
  g_autofree char *text = NULL;
  guint64 value;

  if (g_file_get_contents (path, &text, NULL, NULL)
      && g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, G_MAXUINT32, &value, NULL))
    self->last_uid_validity = MAX (self->last_uid_validity, (guint32) value);
}

static guint32
msc_maildir_next_uid_validity (MscStoreBackend *backend)
{
  return new_uid_validity (MSC_MAILDIR (backend));
}

static char *
account_dir (MscMaildir *self,
             const char *account)
{
  const char *at = strrchr (account, '@');
  g_autofree char *local = NULL;

  g_assert (at != NULL);
  local = g_strndup (account, at - account);

  return g_build_filename (self->root, at + 1, local, NULL);
}

static char *
folder_dir (MscMaildir  *self,
            const char  *account,
            const char  *name,
            GError     **error)
{
  g_autofree char *dir = account_dir (self, account);
  g_autofree char *encoded = NULL;

  if (strcmp (name, MSC_MAILBOX_INBOX) == 0)
    return g_steal_pointer (&dir);

  encoded = msc_maildir_encode_folder_name (name);
  if (encoded == NULL)
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR,
                   MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME,
                   _("The mailbox name “%s” is too long for the file system"),
                   name);
      return NULL;
    }

  return g_build_filename (dir, encoded, NULL);
}

/**
 * msc_maildir_encode_folder_name:
 * @mailbox_name: a mailbox name other than INBOX
 *
 * Returns: (transfer full) (nullable): the Maildir++ folder ("." and the
 *   levels joined by "."), or %NULL for INBOX (the account's own
 *   Maildir), an invalid name, or one too long for a directory entry
 */
char *
msc_maildir_encode_folder_name (const char *mailbox_name)
{
  g_autofree char *normal = NULL;
  g_auto (GStrv) levels = NULL;
  g_autoptr (GString) out = NULL;

  g_return_val_if_fail (mailbox_name != NULL, NULL);

  normal = msc_mail_store_normalize_mailbox_name (mailbox_name);
  if (normal == NULL || strcmp (normal, MSC_MAILBOX_INBOX) == 0)
    return NULL;

  out = g_string_new (NULL);
  levels = g_strsplit (normal, "/", -1);
  for (guint i = 0; levels[i] != NULL; i++)
    {
      g_autoptr (GString) escaped = g_string_new (NULL);
      g_autofree char *encoded = NULL;

      for (const char *p = levels[i]; *p != '\0'; p++)
        {
          if (*p == '.' || *p == '\\' || (*p == '~' && p == levels[i]))
            g_string_append_printf (escaped, "\\%02x", (guchar) *p);
          else
            g_string_append_c (escaped, *p);
        }

      encoded = msc_mutf7_encode (escaped->str, NULL);
      g_string_append_c (out, '.');
      g_string_append (out, encoded);
    }

  if (out->len > MAX_FOLDER_NAME)
    return NULL;

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * msc_maildir_decode_folder_name:
 * @folder_name: a directory name such as ".&XfJT0ZAB-"
 *
 * Returns: (transfer full) (nullable): the mailbox name, or %NULL if the
 *   directory is not a folder this backend could have written
 */
char *
msc_maildir_decode_folder_name (const char *folder_name)
{
  g_auto (GStrv) levels = NULL;
  g_autofree char *name = NULL;
  g_autofree char *again = NULL;

  g_return_val_if_fail (folder_name != NULL, NULL);

  if (folder_name[0] != '.' || folder_name[1] == '\0')
    return NULL;

  levels = g_strsplit (folder_name + 1, ".", -1);
  for (guint i = 0; levels[i] != NULL; i++)
    {
      g_autofree char *decoded = msc_mutf7_decode (levels[i], NULL);
      g_autoptr (GString) plain = NULL;

      if (decoded == NULL || decoded[0] == '\0')
        return NULL;

      plain = g_string_new (NULL);
      for (const char *p = decoded; *p != '\0'; p++)
        {
          int hi, lo;

          if (*p != '\\')
            {
              g_string_append_c (plain, *p);
              continue;
            }

          hi = g_ascii_xdigit_value (p[1]);
          lo = hi >= 0 ? g_ascii_xdigit_value (p[2]) : -1;
          if (lo < 0)
            return NULL;

          g_string_append_c (plain, (char) (hi * 16 + lo));
          p += 2;
        }

      g_free (levels[i]);
      levels[i] = g_string_free (g_steal_pointer (&plain), FALSE);
    }

  name = g_strjoinv ("/", levels);
  if (!g_utf8_validate (name, -1, NULL))
    return NULL;

  /* Canonical only: anything else was not written by us (or by Dovecot
   * with listescape), and two folders must never map to one name. */
  again = msc_maildir_encode_folder_name (name);
  if (g_strcmp0 (again, folder_name) != 0)
    return NULL;

  return g_steal_pointer (&name);
}

static int
compare_uint32 (gconstpointer a,
                gconstpointer b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static char *
base_of (const char *rel)
{
  const char *base = rel + strlen ("cur/");
  const char *colon = strchr (base, ':');

  return colon != NULL ? g_strndup (base, colon - base) : g_strdup (base);
}

static gboolean
has_keywords (const char * const *keywords)
{
  return keywords != NULL && keywords[0] != NULL;
}

static char *
message_rel (MscMailbox         *mailbox,
             const char         *base,
             gboolean            in_new,
             MscMessageFlags     flags,
             const char * const *keywords)
{
  g_autoptr (GString) rel = NULL;
  g_autoptr (GString) letters = NULL;

  if (in_new)
    return g_strconcat ("new/", base, NULL);

  rel = g_string_new ("cur/");
  g_string_append (rel, base);
  g_string_append (rel, ":2,");

  letters = g_string_new (NULL);
  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      int index;

      if (g_ascii_strcasecmp (keywords[i], FORWARDED_KEYWORD) == 0)
        continue;

      index = _msc_mailbox_get_keyword_index (mailbox, keywords[i]);
      if (index >= 0 && index < 26)
        g_string_append_c (letters, 'a' + index);
    }

  for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
    {
      /* 'P' (passed) sits between 'F' and 'R'. */
      if (flag_letters[i].letter == 'R')
        for (guint j = 0; keywords != NULL && keywords[j] != NULL; j++)
          if (g_ascii_strcasecmp (keywords[j], FORWARDED_KEYWORD) == 0)
            {
              g_string_append_c (rel, 'P');
              break;
            }

      if (flags & flag_letters[i].flag)
        g_string_append_c (rel, flag_letters[i].letter);
    }

  /* Lower case after upper case, each group sorted: ASCII order. */
  for (char c = 'a'; c <= 'z'; c++)
    if (strchr (letters->str, c) != NULL)
      g_string_append_c (rel, c);

  return g_string_free (g_steal_pointer (&rel), FALSE);
}

static void
parse_info (MscMailbox       *mailbox,
            const char       *file_name,
            MscMessageFlags  *flags,
            GPtrArray        *keywords)
{
  const char * const *defined = msc_mailbox_get_keywords (mailbox);
  guint n_defined = g_strv_length ((char **) defined);
  const char *info = strstr (file_name, ":2,");

  *flags = MSC_MESSAGE_FLAG_NONE;
  if (info == NULL)
    return;

  for (const char *p = info + 3; *p != '\0'; p++)
    {
      if (*p == 'P')
        g_ptr_array_add (keywords, (gpointer) FORWARDED_KEYWORD);
      else if (*p >= 'a' && *p <= 'z' && (guint) (*p - 'a') < n_defined)
        g_ptr_array_add (keywords, (gpointer) defined[*p - 'a']);
      else
        for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
          if (flag_letters[i].letter == *p)
            *flags |= flag_letters[i].flag;
    }
}

static gboolean
write_uidlist (MscMaildir     *self,
               Folder         *folder,
               guint32         uid_validity,
               MscSpecialUse   special_use,
               GError        **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  GHashTableIter iter;
  gpointer key;

  g_string_append_printf (out, "%d V%u N%u", UIDLIST_VERSION, uid_validity,
                          folder->uid_next);
  if (msc_special_use_to_string (special_use) != NULL)
    g_string_append_printf (out, " U%s", msc_special_use_to_string (special_use));
  g_string_append_c (out, '\n');

  g_hash_table_iter_init (&iter, folder->files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint32 uid = GPOINTER_TO_UINT (key);

      g_array_append_val (uids, uid);
    }
  g_array_sort (uids, compare_uint32);

  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      g_autofree char *base = base_of (g_hash_table_lookup (folder->files,
                                                            GUINT_TO_POINTER (uid)));

      g_string_append_printf (out, "%u %s\n", uid, base);
    }

  return write_control_file (self, folder->path, UIDLIST_NAME,
                             out->str, out->len, error);
}

/* Keyword i is the letter 'a' + i in file names; the file is the key to
 * the letters, so it must be on disk before a name that uses a letter. */
static gboolean
ensure_keywords (MscMaildir  *self,
                 Folder      *folder,
                 MscMailbox  *mailbox,
                 GError     **error)
{
  const char * const *keywords = msc_mailbox_get_keywords (mailbox);
  guint n = g_strv_length ((char **) keywords);
  g_autoptr (GString) out = NULL;

  if (n <= folder->n_keywords)
    return TRUE;

  out = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%u %s\n", i, keywords[i]);

  if (!write_control_file (self, folder->path, KEYWORDS_NAME, out->str, out->len, error))
    return FALSE;

  folder->n_keywords = n;
  return TRUE;
}

typedef struct
{
  guint32        uid_validity;
  guint32        uid_next;
  MscSpecialUse  special_use;
  GHashTable    *uids;          /* base → uid */
} UidList;

static void
uid_list_clear (UidList *list)
{
  g_clear_pointer (&list->uids, g_hash_table_unref);
}

/* FALSE if the file is missing or its header is unreadable: then the UIDs
 * are lost, and the folder starts again with a new UIDVALIDITY, which is
 * what tells IMAP clients to forget what they cached. */
static gboolean
read_uidlist (const char *path,
              UidList    *list)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) header = NULL;
  guint32 max_uid = 0;

  memset (list, 0, sizeof *list);
  list->uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  header = g_strsplit (lines[0], " ", -1);
  if (g_strcmp0 (header[0], "1") != 0)
    return FALSE;

  for (guint i = 1; header[i] != NULL; i++)
    {
      guint64 value;

      switch (header[i][0])
        {
        case 'V':
          if (g_ascii_string_to_unsigned (header[i] + 1, 10, 1, G_MAXUINT32, &value, NULL))
            list->uid_validity = value;
          break;

        case 'N':
          if (g_ascii_string_to_unsigned (header[i] + 1, 10, 1, G_MAXUINT32, &value, NULL))
            list->uid_next = value;
          break;

        case 'U':
          msc_special_use_from_string (header[i] + 1, &list->special_use);
          break;

        default:
          break;
        }
    }

  if (list->uid_validity == 0 || list->uid_next == 0)
    return FALSE;

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *space = strchr (lines[i], ' ');
      g_autofree char *number = NULL;
      const char *base;
      guint64 uid;

      if (lines[i][0] == '\0')
        continue;

      if (space == NULL)
        goto bad_line;

      number = g_strndup (lines[i], space - lines[i]);
      base = space + 1;
      if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXUINT32 - 1, &uid, NULL)
          || base[0] == '\0' || strchr (base, '/') != NULL
          || g_hash_table_contains (list->uids, base))
        goto bad_line;

      g_hash_table_insert (list->uids, g_strdup (base), GUINT_TO_POINTER ((guint32) uid));
      max_uid = MAX (max_uid, (guint32) uid);
      continue;

    bad_line:
      g_debug ("%s: ignoring line %u", path, i + 1);
    }

  if (max_uid >= list->uid_next)
    list->uid_next = max_uid + 1;

  return TRUE;
}

static void
read_keywords (const char *path,
               MscMailbox *mailbox,
               Folder     *folder)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_autofree char *expected = g_strdup_printf ("%u ", i);
      const char *keyword = lines[i] + strlen (expected);
      const char *one[] = { keyword, NULL };

      /* Letters are positions, so the first gap or bad line ends it. */
      if (!g_str_has_prefix (lines[i], expected)
          || !msc_message_keyword_is_valid (keyword)
          || _msc_mailbox_get_keyword_index (mailbox, keyword) >= 0
          || !_msc_mailbox_define_keywords (mailbox, one, MSC_MAIL_STORE_MAX_KEYWORDS))
        break;

      folder->n_keywords = i + 1;
    }
}

static void
clean_tmp (const char *folder_path)
{
  g_autofree char *tmp = g_build_filename (folder_path, "tmp", NULL);
  g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmp, name, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode)
          && now - MAX (st.st_atime, st.st_mtime) > TMP_MAX_AGE)
        g_unlink (path);
    }
}

/* base → "cur/…" or "new/…"; a base in both (a reader crashed between
 * link and unlink) counts once, from cur/. */
static void
scan_subdir (const char *folder_path,
             const char *subdir,
             GHashTable *found)
{
  g_autofree char *path = g_build_filename (folder_path, subdir, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;
      char *base;
      GStatBuf st;

      if (name[0] == '.' || strchr (name, '\n') != NULL || strchr (name, ' ') != NULL)
        continue;

      file = g_build_filename (path, name, NULL);
      if (g_lstat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;

      base = g_strndup (name, strcspn (name, ":"));
      if (base[0] == '\0' || g_hash_table_contains (found, base))
        {
          g_free (base);
          continue;
        }

      g_hash_table_insert (found, base, g_strconcat (subdir, "/", name, NULL));
    }
}

static gboolean
read_message (const char  *path,
              GBytes     **bytes,
              gint64      *mtime,
              int         *errsv)
{
  g_autoptr (GByteArray) buffer = NULL;
  struct stat st;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      *errsv = errno;
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    goto fail;

  buffer = g_byte_array_sized_new (st.st_size > 0 ? st.st_size : 0);
  for (;;)
    {
      guint8 chunk[16384];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          goto fail;
        }
      if (n == 0)
        break;

      g_byte_array_append (buffer, chunk, n);
    }

  close (fd);
  *mtime = st.st_mtime;
  *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
  return TRUE;

fail:
  *errsv = errno;
  close (fd);
  return FALSE;
}

static MscSpecialUse
guess_special_use (const char *name)
{
  static const struct {
    const char    *name;
    MscSpecialUse  use;
  } known[] = {
    { "Sent", MSC_SPECIAL_USE_SENT },
    { "Drafts", MSC_SPECIAL_USE_DRAFTS },
    { "Trash", MSC_SPECIAL_USE_TRASH },
    { "Junk", MSC_SPECIAL_USE_JUNK },
    { "Archive", MSC_SPECIAL_USE_ARCHIVE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (known[i].name, name) == 0)
      return known[i].use;

  return MSC_SPECIAL_USE_NONE;
}

/* Reads one folder and brings its uidlist up to date: files that appeared
 * from outside get UIDs after every UID ever given out (in file-name
 * order, which for Maildir names is delivery order), files that vanished
 * are gone.  UIDs never repeat, because UIDNEXT is in the file. */
static MscMailbox *
load_folder (MscMaildir  *self,
             const char  *account,
             const char  *name,
             const char  *path,
             GError     **error)
{
  g_autoptr (MscMailbox) mailbox = NULL;
  g_autoptr (GHashTable) found = NULL;
  g_autoptr (GPtrArray) fresh = NULL;
  g_autoptr (GArray) uids = NULL;
  g_autofree char *uidlist_path = g_build_filename (path, UIDLIST_NAME, NULL);
  g_autofree char *keywords_path = g_build_filename (path, KEYWORDS_NAME, NULL);
  Folder *folder;
  UidList list;
  gboolean dirty = FALSE;
  gboolean forwarded = FALSE;
  GHashTableIter iter;
  gpointer key, value;

  if (!make_maildir_dirs (path, error))
    return NULL;

  if (!read_uidlist (uidlist_path, &list))
    {
      list.uid_validity = new_uid_validity (self);
      list.uid_next = 1;
      list.special_use = guess_special_use (name);
      dirty = TRUE;
    }

  self->last_uid_validity = MAX (self->last_uid_validity, list.uid_validity);

  mailbox = _msc_mailbox_new (account, name, list.special_use,
                              list.uid_validity, list.uid_next);
  folder = folder_new (path, list.uid_next);
  g_object_set_qdata_full (G_OBJECT (mailbox), folder_quark (), folder, folder_free);

  read_keywords (keywords_path, mailbox, folder);
  clean_tmp (path);

  found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scan_subdir (path, "cur", found);
  scan_subdir (path, "new", found);

  fresh = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, found);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gpointer uid;

      if (g_hash_table_lookup_extended (list.uids, key, NULL, &uid))
        {
          g_hash_table_insert (folder->files, uid, g_strdup (value));
          g_hash_table_remove (list.uids, key);
        }
      else
        g_ptr_array_add (fresh, key);
    }

  if (g_hash_table_size (list.uids) > 0)
    dirty = TRUE;

  g_ptr_array_sort (fresh, compare_strings);
  for (guint i = 0; i < fresh->len; i++)
    {
      const char *base = g_ptr_array_index (fresh, i);

      if (folder->uid_next == G_MAXUINT32)
        {
          g_debug ("%s: no UIDs left for %s", path, base);
          continue;
        }

      g_hash_table_insert (folder->files, GUINT_TO_POINTER (folder->uid_next),
                           g_strdup (g_hash_table_lookup (found, base)));
      folder->uid_next++;
      dirty = TRUE;
    }

  uid_list_clear (&list);

  uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_hash_table_iter_init (&iter, folder->files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint32 uid = GPOINTER_TO_UINT (key);

      g_array_append_val (uids, uid);
    }
  g_array_sort (uids, compare_uint32);

  /* 'P' needs $Forwarded among the keywords before flags are parsed. */
  g_hash_table_iter_init (&iter, folder->files);
  while (g_hash_table_iter_next (&iter, NULL, &value) && !forwarded)
    {
      const char *info = strstr (value, ":2,");

      forwarded = info != NULL && strchr (info, 'P') != NULL;
    }
  if (forwarded)
    {
      const char *one[] = { FORWARDED_KEYWORD, NULL };

      _msc_mailbox_define_keywords (mailbox, one, MSC_MAIL_STORE_MAX_KEYWORDS);
    }

  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      const char *rel = g_hash_table_lookup (folder->files, GUINT_TO_POINTER (uid));
      g_autofree char *file = g_build_filename (path, rel, NULL);
      g_autoptr (GPtrArray) keywords = g_ptr_array_new ();
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GDateTime) date = NULL;
      g_autoptr (MscMessage) message = NULL;
      MscMessageFlags flags;
      gint64 mtime;
      int errsv;

      if (!read_message (file, &bytes, &mtime, &errsv))
        {
          /* Another reader moved or expunged it while we looked. */
          if (errsv == ENOENT)
            {
              g_hash_table_remove (folder->files, GUINT_TO_POINTER (uid));
              dirty = TRUE;
              continue;
            }

          io_error (error, errsv, _("Could not read “%s”: %s"), file);
          return NULL;
        }

      parse_info (mailbox, rel, &flags, keywords);
      g_ptr_array_add (keywords, NULL);

      date = g_date_time_new_from_unix_local (mtime);
      if (date == NULL)
        date = g_date_time_new_now_local ();

      message = msc_message_new (uid, bytes, date, flags,
                                 (const char * const *) keywords->pdata);
      _msc_message_set_recent (message, g_str_has_prefix (rel, "new/"));
      _msc_mailbox_insert (mailbox, message);
    }

  _msc_mailbox_set_uid_next (mailbox, MAX (folder->uid_next,
                                           msc_mailbox_get_uid_next (mailbox)));
  folder->uid_next = msc_mailbox_get_uid_next (mailbox);

  if (dirty
      && !write_uidlist (self, folder, msc_mailbox_get_uid_validity (mailbox),
                         msc_mailbox_get_special_use (mailbox), error))
    return NULL;

  return g_steal_pointer (&mailbox);
}

static MscStoreBackendAccount *
load_account (MscMaildir  *self,
              const char  *domain,
              const char  *local,
              GError     **error)
{
  g_autoptr (MscStoreBackendAccount) account = NULL;
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (MscMailbox) inbox = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autofree char *key = g_strconcat (local, "@", domain, NULL);
  g_autofree char *path = g_build_filename (self->root, domain, local, NULL);
  g_autofree char *key_path = g_build_filename (path, ACCOUNT_NAME, NULL);
  g_autofree char *address = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *hash = NULL;
  const char *name;

  /* A Maildir without the file (made by hand) is adopted: it receives
   * mail but cannot log in until a password is set. */
  if (!g_key_file_load_from_file (key_file, key_path, G_KEY_FILE_NONE, &local_error)
      && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("Cannot read %s (%s); the account keeps its mail but cannot log in",
               key_path, local_error->message);

  address = g_key_file_get_string (key_file, ACCOUNT_GROUP, "Address", NULL);
  display_name = g_key_file_get_string (key_file, ACCOUNT_GROUP, "DisplayName", NULL);
  hash = g_key_file_get_string (key_file, ACCOUNT_GROUP, "Password", NULL);

  account = msc_store_backend_account_new (key, address != NULL ? address : key,
                                           display_name, hash);

  inbox = load_folder (self, key, MSC_MAILBOX_INBOX, path, error);
  if (inbox == NULL)
    return NULL;
  g_ptr_array_add (account->mailboxes, g_steal_pointer (&inbox));

  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *folder_path = g_build_filename (path, name, NULL);
      g_autofree char *mailbox_name = NULL;
      MscMailbox *mailbox;

      if (name[0] != '.' || !g_file_test (folder_path, G_FILE_TEST_IS_DIR)
          || g_file_test (folder_path, G_FILE_TEST_IS_SYMLINK))
        continue;

      mailbox_name = msc_maildir_decode_folder_name (name);
      if (mailbox_name == NULL)
        {
          g_debug ("%s: not a folder name this store writes", folder_path);
          continue;
        }

      mailbox = load_folder (self, key, mailbox_name, folder_path, error);
      if (mailbox == NULL)
        return NULL;

      g_ptr_array_add (account->mailboxes, mailbox);
    }

  return g_steal_pointer (&account);
}

static gboolean
is_plain_dir (const char *path)
{
  GStatBuf st;

  return g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The uidlists assume one writer.  Two Mailscope instances on one root
 * would hand out the same UIDs, so the second one is refused; a flock is
 * dropped by the kernel when the process dies, so a crash leaves no stale
 * lock behind. */
static gboolean
take_lock (MscMaildir  *self,
           GError     **error)
{
  g_autofree char *path = g_build_filename (self->root, LOCK_NAME, NULL);

  if (self->lock_fd >= 0)
    return TRUE;

  self->lock_fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (self->lock_fd < 0)
    {
      io_error (error, errno, _("Could not open “%s”: %s"), path);
      return FALSE;
    }

  if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      int errsv = errno;

      close (self->lock_fd);
      self->lock_fd = -1;
      if (errsv == EWOULDBLOCK)
        {
          g_autofree char *display = g_filename_display_name (self->root);

          g_set_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO,
                       _("The mail store “%s” is in use by another program"),
                       display);
        }
      else
        io_error (error, errsv, _("Could not lock “%s”: %s"), path);
      return FALSE;
    }

  return TRUE;
}

static gboolean
msc_maildir_load (MscStoreBackend  *backend,
                  GPtrArray       **out_domains,
                  GPtrArray       **out_accounts,
                  GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autoptr (GPtrArray) domains = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) accounts = NULL;
  g_autofree char *trash = g_build_filename (self->root, TRASH_NAME, NULL);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GDir) root = NULL;
  const char *domain;

  accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_store_backend_account_free);

  if (g_mkdir_with_parents (self->root, 0700) != 0)
    {
      io_error (error, errno, _("Could not create folder “%s”: %s"), self->root);
      return FALSE;
    }

  if (!take_lock (self, error))
    return FALSE;

  if (!remove_tree (trash, &local_error))
    g_debug ("Cannot empty %s: %s", trash, local_error->message);

  read_uid_validity_mark (self);

  root = g_dir_open (self->root, 0, NULL);
  if (root == NULL)
    {
      io_error (error, errno, _("Could not open “%s”: %s"), self->root);
      return FALSE;
    }

  while ((domain = g_dir_read_name (root)) != NULL)
    {
      g_autofree char *domain_path = g_build_filename (self->root, domain, NULL);
      g_autofree char *folded = msc_mail_store_fold_domain (domain);
      g_autoptr (GDir) dir = NULL;
      const char *local;

      if (domain[0] == '.' || g_strcmp0 (folded, domain) != 0
          || !is_plain_dir (domain_path))
        continue;

      g_ptr_array_add (domains, g_strdup (domain));

      dir = g_dir_open (domain_path, 0, NULL);
      while (dir != NULL && (local = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *account_path = g_build_filename (domain_path, local, NULL);
          g_autofree char *address = g_strconcat (local, "@", domain, NULL);
          g_autofree char *key = msc_mail_store_fold_address (address);
          MscStoreBackendAccount *account;

          if (g_strcmp0 (key, address) != 0 || !is_plain_dir (account_path))
            continue;

          account = load_account (self, domain, local, error);
          if (account == NULL)
            return FALSE;

          g_ptr_array_add (accounts, account);
        }
    }

  g_ptr_array_sort (domains, compare_strings);

  *out_domains = g_steal_pointer (&domains);
  *out_accounts = g_steal_pointer (&accounts);
  return TRUE;
}

static gboolean
msc_maildir_add_domain (MscStoreBackend  *backend,
                        const char       *domain,
                        GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autofree char *path = g_build_filename (self->root, domain, NULL);

  return make_dir (path, TRUE, error) && sync_dir (self->root, error);
}

static gboolean
msc_maildir_remove_domain (MscStoreBackend  *backend,
                           const char       *domain,
                           GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autofree char *path = g_build_filename (self->root, domain, NULL);

  return move_to_trash (self, path, error);
}

static char *
account_file_data (const char *address,
                   const char *display_name,
                   const char *password_hash,
                   gsize      *len)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();

  g_key_file_set_string (key_file, ACCOUNT_GROUP, "Address", address);
  if (display_name != NULL)
    g_key_file_set_string (key_file, ACCOUNT_GROUP, "DisplayName", display_name);
  if (password_hash != NULL)
    g_key_file_set_string (key_file, ACCOUNT_GROUP, "Password", password_hash);

  return g_key_file_to_data (key_file, len, NULL);
}

static gboolean
msc_maildir_update_account (MscStoreBackend  *backend,
                            const char       *account,
                            const char       *address,
                            const char       *display_name,
                            const char       *password_hash,
                            GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autofree char *path = account_dir (self, account);
  g_autofree char *data = NULL;
  gsize len;

  data = account_file_data (address, display_name, password_hash, &len);

  return write_control_file (self, path, ACCOUNT_NAME, data, len, error);
}

static gboolean
msc_maildir_add_account (MscStoreBackend  *backend,
                         const char       *account,
                         const char       *address,
                         const char       *display_name,
                         const char       *password_hash,
                         GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autofree char *path = account_dir (self, account);
  g_autofree char *key_path = g_build_filename (path, ACCOUNT_NAME, NULL);
  gboolean created = FALSE;

  /* A Maildir with no account file (made by hand, or by a crash before
   * the file) is taken over; an account's folder is never reused. */
  if (g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_ACCOUNT_EXISTS,
                   _("The account “%s” already exists"), address);
      return FALSE;
    }

  if (g_mkdir (path, 0700) == 0)
    created = TRUE;
  else if (errno != EEXIST)
    {
      io_error (error, errno, _("Could not create folder “%s”: %s"), path);
      return FALSE;
    }

  if (!make_maildir_dirs (path, error)
      || !msc_maildir_update_account (backend, account, address, display_name,
                                      password_hash, error)
      || !sync_parent (path, error))
    {
      /* Left behind, the folder would come back as an account. */
      if (created)
        remove_tree (path, NULL);
      else
        g_unlink (key_path);
      return FALSE;
    }

  return TRUE;
}

static gboolean
msc_maildir_remove_account (MscStoreBackend  *backend,
                            const char       *account,
                            GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autofree char *path = account_dir (self, account);

  return move_to_trash (self, path, error);
}

static gboolean
msc_maildir_create_mailbox (MscStoreBackend  *backend,
                            MscMailbox       *mailbox,
                            GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  const char *account = msc_mailbox_get_account (mailbox);
  gboolean inbox = msc_mailbox_is_inbox (mailbox);
  g_autofree char *path = NULL;
  g_autofree char *marker = NULL;
  Folder *folder;
  int fd;

  path = folder_dir (self, account, msc_mailbox_get_name (mailbox), error);
  if (path == NULL)
    return FALSE;

  if (!inbox && g_mkdir (path, 0700) != 0)
    {
      if (errno == EEXIST)
        g_set_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
                     _("The mailbox “%s” already exists"),
                     msc_mailbox_get_name (mailbox));
      else
        io_error (error, errno, _("Could not create folder “%s”: %s"), path);
      return FALSE;
    }

  folder = folder_new (path, msc_mailbox_get_uid_next (mailbox));

  if (!make_maildir_dirs (path, error))
    goto fail;

  /* Maildir++'s mark of a subfolder, for delivery agents. */
  if (!inbox)
    {
      marker = g_build_filename (path, FOLDER_MARKER, NULL);
      fd = g_open (marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          io_error (error, errno, _("Could not create “%s”: %s"), marker);
          goto fail;
        }
      close (fd);
    }

  if (!write_uidlist (self, folder, msc_mailbox_get_uid_validity (mailbox),
                      msc_mailbox_get_special_use (mailbox), error)
      || (!inbox && !sync_parent (path, error)))
    goto fail;

  g_object_set_qdata_full (G_OBJECT (mailbox), folder_quark (), folder, folder_free);
  return TRUE;

fail:
  folder_free (folder);
  if (!inbox)
    remove_tree (path, NULL);
  return FALSE;
}

static gboolean
msc_maildir_delete_mailbox (MscStoreBackend  *backend,
                            MscMailbox       *mailbox,
                            GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  Folder *folder = get_folder (mailbox, error);

  if (folder == NULL || !move_to_trash (self, folder->path, error))
    return FALSE;

  g_object_set_qdata (G_OBJECT (mailbox), folder_quark (), NULL);
  return TRUE;
}

static gboolean
msc_maildir_rename_mailbox (MscStoreBackend  *backend,
                            MscMailbox       *mailbox,
                            const char       *new_name,
                            GError          **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  Folder *folder = get_folder (mailbox, error);
  g_autofree char *path = NULL;

  if (folder == NULL)
    return FALSE;

  path = folder_dir (self, msc_mailbox_get_account (mailbox), new_name, error);
  if (path == NULL)
    return FALSE;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS,
                   _("The mailbox “%s” already exists"), new_name);
      return FALSE;
    }

  if (g_rename (folder->path, path) != 0)
    {
      io_error (error, errno, _("Could not rename “%s”: %s"), folder->path);
      return FALSE;
    }

  if (!sync_parent (path, error))
    {
      g_rename (path, folder->path);
      return FALSE;
    }

  g_free (folder->path);
  folder->path = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
stays_in_new (MscMessageFlags     flags,
              const char * const *keywords,
              gboolean            recent)
{
  return recent && flags == MSC_MESSAGE_FLAG_NONE && !has_keywords (keywords);
}

static gboolean
msc_maildir_append (MscStoreBackend     *backend,
                    MscMailbox          *mailbox,
                    MscMessage * const  *messages,
                    guint                n_messages,
                    GError             **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  Folder *folder = get_folder (mailbox, error);
  guint32 old_uid_next;
  guint done;

  if (folder == NULL || !ensure_keywords (self, folder, mailbox, error))
    return FALSE;

  old_uid_next = folder->uid_next;

  for (done = 0; done < n_messages; done++)
    {
      MscMessage *message = messages[done];
      guint32 uid = msc_message_get_uid (message);
      GBytes *data = msc_message_get_data (message);
      g_autofree char *base = unique_name (self);
      g_autofree char *tmp_path = g_build_filename (folder->path, "tmp", base, NULL);
      g_autofree char *final_path = NULL;
      char *rel;

      rel = message_rel (mailbox, base,
                         stays_in_new (msc_message_get_flags (message),
                                       msc_message_get_keywords (message),
                                       msc_message_get_recent (message)),
                         msc_message_get_flags (message),
                         msc_message_get_keywords (message));
      final_path = g_build_filename (folder->path, rel, NULL);

      if (!write_file (tmp_path, final_path,
                       g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                       g_date_time_to_unix (msc_message_get_internal_date (message)),
                       error))
        {
          g_free (rel);
          goto rollback;
        }

      g_hash_table_insert (folder->files, GUINT_TO_POINTER (uid), rel);
      folder->uid_next = MAX (folder->uid_next, uid + 1);
    }

  if (write_uidlist (self, folder, msc_mailbox_get_uid_validity (mailbox),
                     msc_mailbox_get_special_use (mailbox), error))
    return TRUE;

rollback:
  for (guint i = 0; i < done; i++)
    {
      gpointer uid = GUINT_TO_POINTER (msc_message_get_uid (messages[i]));
      g_autofree char *path = g_build_filename (folder->path,
                                                g_hash_table_lookup (folder->files, uid),
                                                NULL);

      g_unlink (path);
      g_hash_table_remove (folder->files, uid);
    }
  folder->uid_next = old_uid_next;

  return FALSE;
}

/* Another reader (mutt) may have renamed the file to change its flags:
 * find it again by its base name. */
static char *
find_file (Folder     *folder,
           const char *rel)
{
  g_autoptr (GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                        g_free, g_free);
  g_autofree char *base = base_of (rel);

  scan_subdir (folder->path, "cur", found);
  scan_subdir (folder->path, "new", found);

  return g_strdup (g_hash_table_lookup (found, base));
}

static gboolean
rename_file (Folder      *from,
             const char **from_rel,
             char       **found_rel,
             Folder      *to,
             const char  *to_rel,
             GError     **error)
{
  g_autofree char *old_path = g_build_filename (from->path, *from_rel, NULL);
  g_autofree char *new_path = g_build_filename (to->path, to_rel, NULL);

  if (g_rename (old_path, new_path) == 0)
    return TRUE;

  if (errno == ENOENT && (*found_rel = find_file (from, *from_rel)) != NULL)
    {
      g_free (old_path);
      old_path = g_build_filename (from->path, *found_rel, NULL);
      *from_rel = *found_rel;

      if (g_rename (old_path, new_path) == 0)
        return TRUE;
    }

  io_error (error, errno, _("Could not rename “%s”: %s"), old_path);
  return FALSE;
}

static gboolean
sync_folder (Folder  *folder,
             GError **error)
{
  g_autofree char *cur = g_build_filename (folder->path, "cur", NULL);
  g_autofree char *new = g_build_filename (folder->path, "new", NULL);

  return sync_dir (cur, error) && sync_dir (new, error);
}

static gboolean
msc_maildir_update_message (MscStoreBackend     *backend,
                            MscMailbox          *mailbox,
                            MscMessage          *message,
                            MscMessageFlags      flags,
                            const char * const  *keywords,
                            gboolean             recent,
                            GError             **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  Folder *folder = get_folder (mailbox, error);
  gpointer uid = GUINT_TO_POINTER (msc_message_get_uid (message));
  g_autofree char *base = NULL;
  g_autofree char *found = NULL;
  g_autofree char *rel = NULL;
  const char *old_rel;

  if (folder == NULL || !ensure_keywords (self, folder, mailbox, error))
    return FALSE;

  old_rel = g_hash_table_lookup (folder->files, uid);
  g_assert (old_rel != NULL);

  /* The spec moves files from new/ to cur/, never back. */
  base = base_of (old_rel);
  rel = message_rel (mailbox, base,
                     g_str_has_prefix (old_rel, "new/")
                     && stays_in_new (flags, keywords, recent),
                     flags, keywords);

  if (strcmp (rel, old_rel) == 0)
    return TRUE;

  if (!rename_file (folder, &old_rel, &found, folder, rel, error)
      || !sync_folder (folder, error))
    return FALSE;

  g_hash_table_insert (folder->files, uid, g_steal_pointer (&rel));
  return TRUE;
}

static gboolean
msc_maildir_expunge (MscStoreBackend     *backend,
                     MscMailbox          *mailbox,
                     MscMessage * const  *messages,
                     guint                n_messages,
                     guint               *n_expunged,
                     GError             **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  Folder *folder = get_folder (mailbox, error);
  g_autoptr (GError) local_error = NULL;
  gboolean ok = TRUE;
  guint done;

  *n_expunged = 0;
  if (folder == NULL)
    return FALSE;

  for (done = 0; done < n_messages; done++)
    {
      gpointer uid = GUINT_TO_POINTER (msc_message_get_uid (messages[done]));
      const char *rel = g_hash_table_lookup (folder->files, uid);
      g_autofree char *path = NULL;

      g_assert (rel != NULL);
      path = g_build_filename (folder->path, rel, NULL);

      if (g_unlink (path) != 0)
        {
          int errsv = errno;
          g_autofree char *found = NULL;

          /* Renamed by another reader since: remove it under its new name. */
          if (errsv == ENOENT && (found = find_file (folder, rel)) != NULL)
            {
              g_free (path);
              path = g_build_filename (folder->path, found, NULL);
              errsv = g_unlink (path) == 0 ? ENOENT : errno;
            }

          if (errsv != ENOENT)
            {
              io_error (error, errsv, _("Could not remove “%s”: %s"), path);
              ok = FALSE;
              break;
            }
        }

      g_hash_table_remove (folder->files, uid);
    }

  *n_expunged = done;

  if (ok && !sync_folder (folder, error))
    ok = FALSE;

  /* A stale uidlist heals itself on load (vanished files are dropped), so
   * failing to rewrite it does not undo an expunge. */
  if (!write_uidlist (self, folder, msc_mailbox_get_uid_validity (mailbox),
                      msc_mailbox_get_special_use (mailbox), &local_error))
    g_debug ("Cannot rewrite the uidlist of %s: %s", folder->path, local_error->message);

  return ok;
}

typedef struct
{
  char    *from_rel;
  char    *to_rel;
  guint32  from_uid;
  guint32  to_uid;
} Moved;

static void
moved_clear (gpointer data)
{
  Moved *moved = data;

  g_free (moved->from_rel);
  g_free (moved->to_rel);
}

static void
undo_moves (Folder *source,
            Folder *target,
            GArray *moves)
{
  for (guint i = moves->len; i > 0; i--)
    {
      Moved *moved = &g_array_index (moves, Moved, i - 1);
      g_autofree char *from = g_build_filename (target->path, moved->to_rel, NULL);
      g_autofree char *to = g_build_filename (source->path, moved->from_rel, NULL);

      if (g_rename (from, to) != 0)
        g_debug ("Cannot move %s back: %s", from, g_strerror (errno));
    }
}

/* A move is a rename(2) per message, so no message is ever in both
 * folders nor in neither (RFC 6851's atomicity, per message), and the
 * bytes are not copied. */
static gboolean
msc_maildir_move (MscStoreBackend     *backend,
                  MscMailbox          *source,
                  MscMessage * const  *messages,
                  MscMailbox          *target,
                  MscMessage * const  *copies,
                  guint                n_messages,
                  GError             **error)
{
  MscMaildir *self = MSC_MAILDIR (backend);
  g_autoptr (GArray) moves = NULL;
  g_autoptr (GError) local_error = NULL;
  Folder *from;
  Folder *to;
  guint32 old_uid_next;

  from = get_folder (source, error);
  to = from != NULL ? get_folder (target, error) : NULL;
  if (to == NULL || !ensure_keywords (self, to, target, error))
    return FALSE;

  moves = g_array_sized_new (FALSE, TRUE, sizeof (Moved), n_messages);
  g_array_set_clear_func (moves, moved_clear);

  for (guint i = 0; i < n_messages; i++)
    {
      MscMessage *copy = copies[i];
      const char *from_rel = g_hash_table_lookup (from->files,
                                                  GUINT_TO_POINTER (msc_message_get_uid (messages[i])));
      g_autofree char *found = NULL;
      g_autofree char *base = unique_name (self);
      Moved moved = { 0, };

      g_assert (from_rel != NULL);

      moved.to_rel = message_rel (target, base,
                                  stays_in_new (msc_message_get_flags (copy),
                                                msc_message_get_keywords (copy),
                                                msc_message_get_recent (copy)),
                                  msc_message_get_flags (copy),
                                  msc_message_get_keywords (copy));

      if (!rename_file (from, &from_rel, &found, to, moved.to_rel, error))
        {
          g_free (moved.to_rel);
          undo_moves (from, to, moves);
          return FALSE;
        }

      moved.from_rel = g_strdup (from_rel);
      moved.from_uid = msc_message_get_uid (messages[i]);
      moved.to_uid = msc_message_get_uid (copy);
      g_array_append_val (moves, moved);
    }

  if (!sync_folder (to, error) || !sync_folder (from, error))
    {
      undo_moves (from, to, moves);
      return FALSE;
    }

  old_uid_next = to->uid_next;
  for (guint i = 0; i < moves->len; i++)
    {
      Moved *moved = &g_array_index (moves, Moved, i);

      g_hash_table_insert (to->files, GUINT_TO_POINTER (moved->to_uid),
                           g_strdup (moved->to_rel));
      to->uid_next = MAX (to->uid_next, moved->to_uid + 1);
    }

  if (!write_uidlist (self, to, msc_mailbox_get_uid_validity (target),
                      msc_mailbox_get_special_use (target), error))
    {
      for (guint i = 0; i < moves->len; i++)
        g_hash_table_remove (to->files,
                             GUINT_TO_POINTER (g_array_index (moves, Moved, i).to_uid));
      to->uid_next = old_uid_next;
      undo_moves (from, to, moves);
      return FALSE;
    }

  for (guint i = 0; i < moves->len; i++)
    g_hash_table_remove (from->files,
                         GUINT_TO_POINTER (g_array_index (moves, Moved, i).from_uid));

  if (!write_uidlist (self, from, msc_mailbox_get_uid_validity (source),
                      msc_mailbox_get_special_use (source), &local_error))
    g_debug ("Cannot rewrite the uidlist of %s: %s", from->path, local_error->message);

  return TRUE;
}

static void
backend_iface_init (MscStoreBackendInterface *iface)
{
  iface->next_uid_validity = msc_maildir_next_uid_validity;
  iface->load = msc_maildir_load;
  iface->add_domain = msc_maildir_add_domain;
  iface->remove_domain = msc_maildir_remove_domain;
  iface->add_account = msc_maildir_add_account;
  iface->update_account = msc_maildir_update_account;
  iface->remove_account = msc_maildir_remove_account;
  iface->create_mailbox = msc_maildir_create_mailbox;
  iface->delete_mailbox = msc_maildir_delete_mailbox;
  iface->rename_mailbox = msc_maildir_rename_mailbox;
  iface->append = msc_maildir_append;
  iface->update_message = msc_maildir_update_message;
  iface->expunge = msc_maildir_expunge;
  iface->move = msc_maildir_move;
}

static void
msc_maildir_constructed (GObject *object)
{
  MscMaildir *self = (MscMaildir *)object;
  g_autoptr (GString) host = g_string_new (NULL);

  G_OBJECT_CLASS (msc_maildir_parent_class)->constructed (object);

  /* The spec's escapes, so the host part never holds '/' or ':'. */
  for (const char *p = g_get_host_name (); *p != '\0'; p++)
    {
      if (*p == '/')
        g_string_append (host, "\\057");
      else if (*p == ':')
        g_string_append (host, "\\072");
      else if ((guchar) *p > 0x20 && (guchar) *p < 0x7f)
        g_string_append_c (host, *p);
    }

  if (host->len == 0)
    g_string_append (host, "localhost");

  self->host = g_string_free (g_steal_pointer (&host), FALSE);
}

static void
msc_maildir_finalize (GObject *object)
{
  MscMaildir *self = (MscMaildir *)object;

  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_clear_pointer (&self->root, g_free);
  g_clear_pointer (&self->host, g_free);

  G_OBJECT_CLASS (msc_maildir_parent_class)->finalize (object);
}

static void
msc_maildir_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MscMaildir *self = MSC_MAILDIR (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_maildir_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MscMaildir *self = MSC_MAILDIR (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      self->root = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_maildir_class_init (MscMaildirClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = msc_maildir_constructed;
  object_class->finalize = msc_maildir_finalize;
  object_class->get_property = msc_maildir_get_property;
  object_class->set_property = msc_maildir_set_property;

  properties[PROP_ROOT] =
    g_param_spec_string ("root", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
msc_maildir_init (MscMaildir *self)
{
  self->lock_fd = -1;
}

/**
 * msc_maildir_new:
 * @root: the store's folder; nothing is read or written until the store
 *   loads it
 *
 * Returns: (transfer full): the backend, for msc_mail_store_new_with_backend()
 */
MscMaildir *
msc_maildir_new (const char *root)
{
  g_return_val_if_fail (root != NULL, NULL);

  return g_object_new (MSC_TYPE_MAILDIR,
                       "root", root,
                       NULL);
}

const char *
msc_maildir_get_root (MscMaildir *self)
{
  g_return_val_if_fail (MSC_IS_MAILDIR (self), NULL);

  return self->root;
}
