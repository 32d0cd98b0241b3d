/* msc-device-store.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-device-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-device-store.h"

/* Long enough for "mailbox/uidvalidity/uid" with any IMAP mailbox name we
 * accept, and far beyond the 70 characters of a UIDL (RFC 1939 §7). */
#define MAX_KEY_LEN         1024
#define MAX_FOLDER_NAME_LEN 255

/* Every mutation follows the mail store's order: validate, change the
 * model, then emit, so a handler (the UI, the simulation) may call
 * straight back into the store.  Single-threaded. */

struct _MscDeviceMessage
{
  grefcount       ref_count;
  char           *key;
  char           *folder;
  GBytes         *data;
  gboolean        complete;
  MscDeviceFlags  flags;
  gint64          downloaded;
  guint64         serial;      /* arrival order on the device */
};

typedef struct
{
  char      *name;
  GPtrArray *messages;  /* of MscDeviceMessage, by serial */
} Folder;

typedef struct
{
  guint32 uidvalidity;
  guint32 highest_uid;
} MailboxState;

struct _MscDeviceStore
{
  GObject     parent_instance;

  /* Owned references */
  GPtrArray  *folders;   /* of Folder, in creation order */
  GHashTable *messages;  /* key → MscDeviceMessage (the folder holds one too) */
  GHashTable *seen;      /* key → gint64 * first download time */
  GHashTable *mailbox_states;  /* IMAP mailbox name → MailboxState */

  guint64     next_serial;
};

G_DEFINE_FINAL_TYPE (MscDeviceStore, msc_device_store, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (MscDeviceMessage, msc_device_message,
                     msc_device_message_ref, msc_device_message_unref)

G_DEFINE_FLAGS_TYPE (MscDeviceFlags, msc_device_flags,
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_FLAG_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_FLAG_READ, "read"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_FLAG_FLAGGED, "flagged"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_FLAG_DELETED, "deleted"))

G_DEFINE_FLAGS_TYPE (MscDeviceChange, msc_device_change,
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_CHANGE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_CHANGE_FLAGS, "flags"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_CHANGE_FOLDER, "folder"),
  G_DEFINE_ENUM_VALUE (MSC_DEVICE_CHANGE_DATA, "data"))

G_DEFINE_QUARK (msc-device-store-error-quark, msc_device_store_error)

enum {
  FOLDER_ADDED,
  FOLDER_REMOVED,
  MESSAGE_ADDED,
  MESSAGE_CHANGED,
  MESSAGE_REMOVED,
  SEEN_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- MscDeviceMessage ---- */

MscDeviceMessage *
msc_device_message_ref (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_ref_count_inc (&self->ref_count);

  return self;
}

void
msc_device_message_unref (MscDeviceMessage *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;

  g_free (self->key);
  g_free (self->folder);
  g_bytes_unref (self->data);
  g_free (self);
}

const char *
msc_device_message_get_key (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->key;
}

const char *
msc_device_message_get_folder (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->folder;
}

GBytes *
msc_device_message_get_data (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->data;
}

gboolean
msc_device_message_is_complete (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->complete;
}

MscDeviceFlags
msc_device_message_get_flags (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, MSC_DEVICE_FLAG_NONE);

  return self->flags;
}

gint64
msc_device_message_get_downloaded (MscDeviceMessage *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->downloaded;
}

/* ---- Helpers ---- */

static void
folder_free (Folder *folder)
{
  g_free (folder->name);
  g_ptr_array_unref (folder->messages);
  g_free (folder);
}

/* Printable UTF-8 without control characters: a key and a folder name are
 * shown in the UI and written into trace text. */
static gboolean
is_printable_utf8 (const char *text,
                   gsize       max_len)
{
  gsize len;

  if (text == NULL || *text == '\0')
    return FALSE;

  len = strlen (text);
  if (len > max_len || !g_utf8_validate_len (text, len, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_key (const char  *key,
           GError     **error)
{
  if (is_printable_utf8 (key, MAX_KEY_LEN))
    return TRUE;

  g_set_error_literal (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_INVALID_KEY,
                       _("A message key must be printable text of at most 1024 bytes"));
  return FALSE;
}

static Folder *
find_folder (MscDeviceStore *self,
             const char     *name)
{
  for (guint i = 0; i < self->folders->len; i++)
    {
      Folder *folder = g_ptr_array_index (self->folders, i);

      if (strcmp (folder->name, name) == 0)
        return folder;
    }

  return NULL;
}

static Folder *
get_folder (MscDeviceStore  *self,
            const char      *name,
            GError         **error)
{
  Folder *folder = find_folder (self, name);

  if (folder == NULL)
    g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_FOLDER,
                 _("There is no folder “%s” on this device"), name);

  return folder;
}

static MscDeviceMessage *
get_message (MscDeviceStore  *self,
             const char      *key,
             GError         **error)
{
  MscDeviceMessage *message = g_hash_table_lookup (self->messages, key);

  if (message == NULL)
    g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE,
                 _("There is no message “%s” on this device"), key);

  return message;
}

/* Keeps the folder in arrival order however messages move around. */
static void
folder_insert (Folder           *folder,
               MscDeviceMessage *message)
{
  guint lo = 0;
  guint hi = folder->messages->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      MscDeviceMessage *other = g_ptr_array_index (folder->messages, mid);

      if (other->serial < message->serial)
        lo = mid + 1;
      else
        hi = mid;
    }

  g_ptr_array_insert (folder->messages, lo, msc_device_message_ref (message));
}

static void
folder_remove (Folder           *folder,
               MscDeviceMessage *message)
{
  gboolean removed = g_ptr_array_remove (folder->messages, message);

  g_assert (removed);
}

static void
emit_changed (MscDeviceStore   *self,
              MscDeviceMessage *message,
              MscDeviceChange   changes,
              const char       *old_folder)
{
  g_autoptr(MscDeviceMessage) hold = msc_device_message_ref (message);

  g_signal_emit (self, signals[MESSAGE_CHANGED], 0, message, changes, old_folder);
}

/* Moves without emitting; returns what changed. */
static MscDeviceChange
relocate (MscDeviceStore   *self,
          MscDeviceMessage *message,
          Folder           *target)
{
  MscDeviceChange changes = MSC_DEVICE_CHANGE_FOLDER;
  Folder *source = find_folder (self, message->folder);
  gboolean to_trash = strcmp (target->name, MSC_DEVICE_STORE_TRASH) == 0;
  gboolean from_trash = strcmp (source->name, MSC_DEVICE_STORE_TRASH) == 0;

  g_assert (source != NULL && source != target);

  /* The message's folder list holds a reference while it moves. */
  folder_insert (target, message);
  folder_remove (source, message);
  g_free (message->folder);
  message->folder = g_strdup (target->name);

  if (to_trash && !(message->flags & MSC_DEVICE_FLAG_DELETED))
    {
      message->flags |= MSC_DEVICE_FLAG_DELETED;
      changes |= MSC_DEVICE_CHANGE_FLAGS;
    }
  else if (from_trash && (message->flags & MSC_DEVICE_FLAG_DELETED))
    {
      message->flags &= ~MSC_DEVICE_FLAG_DELETED;
      changes |= MSC_DEVICE_CHANGE_FLAGS;
    }

  return changes;
}

/* ---- Folders ---- */

static gboolean
add_folder (MscDeviceStore  *self,
            const char      *name,
            GError         **error)
{
  Folder *folder;

  if (!is_printable_utf8 (name, MAX_FOLDER_NAME_LEN))
    {
      g_set_error_literal (error, MSC_DEVICE_STORE_ERROR,
                           MSC_DEVICE_STORE_ERROR_INVALID_FOLDER_NAME,
                           _("A folder name must be printable text of at most 255 bytes"));
      return FALSE;
    }
  if (find_folder (self, name) != NULL)
    {
      g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_FOLDER_EXISTS,
                   _("There is already a folder “%s” on this device"), name);
      return FALSE;
    }

  folder = g_new0 (Folder, 1);
  folder->name = g_strdup (name);
  folder->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_device_message_unref);
  g_ptr_array_add (self->folders, folder);

  return TRUE;
}

gboolean
msc_device_store_create_folder (MscDeviceStore  *self,
                                const char      *name,
                                GError         **error)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!add_folder (self, name, error))
    return FALSE;

  g_signal_emit (self, signals[FOLDER_ADDED], 0, name);

  return TRUE;
}

gboolean
msc_device_store_delete_folder (MscDeviceStore  *self,
                                const char      *name,
                                GError         **error)
{
  g_autofree char *removed = NULL;
  Folder *folder;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  folder = get_folder (self, name, error);
  if (folder == NULL)
    return FALSE;

  if (strcmp (name, MSC_DEVICE_STORE_INBOX) == 0 || strcmp (name, MSC_DEVICE_STORE_TRASH) == 0)
    {
      g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_CANNOT_DELETE_FOLDER,
                   _("The folder “%s” cannot be deleted"), name);
      return FALSE;
    }
  if (folder->messages->len > 0)
    {
      g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_FOLDER_NOT_EMPTY,
                   _("The folder “%s” is not empty"), name);
      return FALSE;
    }

  /* @name may be the folder's own string. */
  removed = g_strdup (folder->name);
  g_ptr_array_remove (self->folders, folder);

  g_signal_emit (self, signals[FOLDER_REMOVED], 0, removed);

  return TRUE;
}

gboolean
msc_device_store_has_folder (MscDeviceStore *self,
                             const char     *name)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return find_folder (self, name) != NULL;
}

GStrv
msc_device_store_list_folders (MscDeviceStore *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->folders->len; i++)
    g_strv_builder_add (builder, ((Folder *) g_ptr_array_index (self->folders, i))->name);

  return g_strv_builder_end (builder);
}

/* ---- Messages ---- */

gboolean
msc_device_store_add (MscDeviceStore  *self,
                      const char      *key,
                      const char      *folder_name,
                      GBytes          *data,
                      gboolean         complete,
                      MscDeviceFlags   flags,
                      gint64           downloaded_usec,
                      GError         **error)
{
  g_autoptr(MscDeviceMessage) message = NULL;
  Folder *folder;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (folder_name != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail ((flags & ~MSC_DEVICE_FLAGS_ALL) == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_key (key, error))
    return FALSE;
  folder = get_folder (self, folder_name, error);
  if (folder == NULL)
    return FALSE;
  if (g_hash_table_contains (self->messages, key))
    {
      g_set_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_MESSAGE_EXISTS,
                   _("The message “%s” is already on this device"), key);
      return FALSE;
    }

  message = g_new0 (MscDeviceMessage, 1);
  g_ref_count_init (&message->ref_count);
  message->key = g_strdup (key);
  message->folder = g_strdup (folder->name);
  message->data = g_bytes_ref (data);
  message->complete = !!complete;
  message->flags = flags;
  message->downloaded = downloaded_usec;
  message->serial = self->next_serial++;

  /* Deleted mail lives in Trash, whatever the caller asked for. */
  if (strcmp (folder->name, MSC_DEVICE_STORE_TRASH) == 0)
    message->flags |= MSC_DEVICE_FLAG_DELETED;

  g_hash_table_insert (self->messages, message->key, msc_device_message_ref (message));
  folder_insert (folder, message);

  g_signal_emit (self, signals[MESSAGE_ADDED], 0, message);

  return TRUE;
}

MscDeviceMessage *
msc_device_store_lookup (MscDeviceStore *self,
                         const char     *key)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->messages, key);
}

GPtrArray *
msc_device_store_list_folder (MscDeviceStore *self,
                              const char     *folder_name)
{
  GPtrArray *list;
  Folder *folder;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), NULL);
  g_return_val_if_fail (folder_name != NULL, NULL);

  folder = find_folder (self, folder_name);
  if (folder == NULL)
    return NULL;

  list = g_ptr_array_new_full (folder->messages->len, (GDestroyNotify) msc_device_message_unref);
  for (guint i = 0; i < folder->messages->len; i++)
    g_ptr_array_add (list, msc_device_message_ref (g_ptr_array_index (folder->messages, i)));

  return list;
}

guint
msc_device_store_get_n_messages (MscDeviceStore *self,
                                 const char     *folder_name)
{
  Folder *folder;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), 0);

  if (folder_name == NULL)
    return g_hash_table_size (self->messages);

  folder = find_folder (self, folder_name);

  return folder != NULL ? folder->messages->len : 0;
}

gboolean
msc_device_store_set_data (MscDeviceStore  *self,
                           const char      *key,
                           GBytes          *data,
                           gboolean         complete,
                           GError         **error)
{
  MscDeviceMessage *message;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  message = get_message (self, key, error);
  if (message == NULL)
    return FALSE;

  if (message->complete == !!complete && g_bytes_equal (message->data, data))
    return TRUE;

  g_bytes_unref (message->data);
  message->data = g_bytes_ref (data);
  message->complete = !!complete;

  emit_changed (self, message, MSC_DEVICE_CHANGE_DATA, NULL);

  return TRUE;
}

gboolean
msc_device_store_set_flags (MscDeviceStore  *self,
                            const char      *key,
                            MscDeviceFlags   flags,
                            GError         **error)
{
  MscDeviceMessage *message;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail ((flags & ~MSC_DEVICE_FLAGS_ALL) == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  message = get_message (self, key, error);
  if (message == NULL)
    return FALSE;

  if (message->flags == flags)
    return TRUE;

  message->flags = flags;
  emit_changed (self, message, MSC_DEVICE_CHANGE_FLAGS, NULL);

  return TRUE;
}

static gboolean
change_flag (MscDeviceStore  *self,
             const char      *key,
             MscDeviceFlags   flag,
             gboolean         set,
             GError         **error)
{
  MscDeviceMessage *message = get_message (self, key, error);

  if (message == NULL)
    return FALSE;

  return msc_device_store_set_flags (self, key,
                                     set ? message->flags | flag : message->flags & ~flag,
                                     error);
}

gboolean
msc_device_store_mark_read (MscDeviceStore  *self,
                            const char      *key,
                            gboolean         read,
                            GError         **error)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_flag (self, key, MSC_DEVICE_FLAG_READ, read, error);
}

gboolean
msc_device_store_mark_flagged (MscDeviceStore  *self,
                               const char      *key,
                               gboolean         flagged,
                               GError         **error)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_flag (self, key, MSC_DEVICE_FLAG_FLAGGED, flagged, error);
}

gboolean
msc_device_store_move (MscDeviceStore  *self,
                       const char      *key,
                       const char      *folder_name,
                       GError         **error)
{
  g_autofree char *old_folder = NULL;
  MscDeviceMessage *message;
  MscDeviceChange changes;
  Folder *target;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (folder_name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  message = get_message (self, key, error);
  if (message == NULL)
    return FALSE;
  target = get_folder (self, folder_name, error);
  if (target == NULL)
    return FALSE;

  if (strcmp (message->folder, target->name) == 0)
    return TRUE;

  old_folder = g_strdup (message->folder);
  changes = relocate (self, message, target);
  emit_changed (self, message, changes, old_folder);

  return TRUE;
}

static void
remove_message (MscDeviceStore   *self,
                MscDeviceMessage *message)
{
  g_autoptr(MscDeviceMessage) hold = msc_device_message_ref (message);

  folder_remove (find_folder (self, message->folder), message);
  g_hash_table_remove (self->messages, message->key);

  g_signal_emit (self, signals[MESSAGE_REMOVED], 0, message);
}

gboolean
msc_device_store_delete_locally (MscDeviceStore  *self,
                                 const char      *key,
                                 GError         **error)
{
  g_autofree char *old_folder = NULL;
  MscDeviceMessage *message;
  MscDeviceChange changes;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  message = get_message (self, key, error);
  if (message == NULL)
    return FALSE;

  if (strcmp (message->folder, MSC_DEVICE_STORE_TRASH) == 0)
    {
      remove_message (self, message);
      return TRUE;
    }

  old_folder = g_strdup (message->folder);
  changes = relocate (self, message, find_folder (self, MSC_DEVICE_STORE_TRASH));
  emit_changed (self, message, changes, old_folder);

  return TRUE;
}

gboolean
msc_device_store_remove (MscDeviceStore  *self,
                         const char      *key,
                         GError         **error)
{
  MscDeviceMessage *message;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  message = get_message (self, key, error);
  if (message == NULL)
    return FALSE;

  remove_message (self, message);

  return TRUE;
}

/* ---- Seen keys ---- */

gboolean
msc_device_store_mark_seen (MscDeviceStore *self,
                            const char     *key,
                            gint64          downloaded_usec)
{
  g_autofree char *copy = NULL;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (is_printable_utf8 (key, MAX_KEY_LEN), FALSE);

  if (g_hash_table_contains (self->seen, key))
    return FALSE;

  copy = g_strdup (key);
  g_hash_table_insert (self->seen, g_strdup (key), g_memdup2 (&downloaded_usec, sizeof downloaded_usec));

  g_signal_emit (self, signals[SEEN_CHANGED], 0, copy, TRUE);

  return TRUE;
}

gboolean
msc_device_store_has_seen (MscDeviceStore *self,
                           const char     *key,
                           gint64         *out_downloaded_usec)
{
  const gint64 *when;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  when = g_hash_table_lookup (self->seen, key);
  if (out_downloaded_usec != NULL)
    *out_downloaded_usec = when != NULL ? *when : 0;

  return when != NULL;
}

gboolean
msc_device_store_forget_seen (MscDeviceStore *self,
                              const char     *key)
{
  g_autofree char *copy = NULL;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  /* @key may be the table's own string. */
  copy = g_strdup (key);
  if (!g_hash_table_remove (self->seen, copy))
    return FALSE;

  g_signal_emit (self, signals[SEEN_CHANGED], 0, copy, FALSE);

  return TRUE;
}

static int
compare_seen (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  GHashTable *seen = user_data;
  const char *key_a = *(const char * const *) a;
  const char *key_b = *(const char * const *) b;
  gint64 when_a = *(const gint64 *) g_hash_table_lookup (seen, key_a);
  gint64 when_b = *(const gint64 *) g_hash_table_lookup (seen, key_b);

  if (when_a != when_b)
    return when_a < when_b ? -1 : 1;

  return strcmp (key_a, key_b);
}

GStrv
msc_device_store_list_seen (MscDeviceStore *self)
{
  g_autofree const char **keys = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  guint n_keys;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (self->seen, &n_keys);
  g_qsort_with_data (keys, n_keys, sizeof (char *), compare_seen, self->seen);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < n_keys; i++)
    g_strv_builder_add (builder, keys[i]);

  return g_strv_builder_end (builder);
}

/* ---- IMAP mailbox states ---- */

gboolean
msc_device_store_set_mailbox_state (MscDeviceStore *self,
                                    const char     *mailbox,
                                    guint32         uidvalidity,
                                    guint32         highest_uid)
{
  MailboxState *state;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (is_printable_utf8 (mailbox, MAX_KEY_LEN), FALSE);
  g_return_val_if_fail (uidvalidity != 0, FALSE);

  state = g_hash_table_lookup (self->mailbox_states, mailbox);
  if (state != NULL && state->uidvalidity == uidvalidity && state->highest_uid == highest_uid)
    return FALSE;

  if (state == NULL)
    {
      state = g_new0 (MailboxState, 1);
      g_hash_table_insert (self->mailbox_states, g_strdup (mailbox), state);
    }
  state->uidvalidity = uidvalidity;
  state->highest_uid = highest_uid;

  return TRUE;
}

gboolean
msc_device_store_get_mailbox_state (MscDeviceStore *self,
                                    const char     *mailbox,
                                    guint32        *out_uidvalidity,
                                    guint32        *out_highest_uid)
{
  const MailboxState *state;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (mailbox != NULL, FALSE);

  state = g_hash_table_lookup (self->mailbox_states, mailbox);
  if (out_uidvalidity != NULL)
    *out_uidvalidity = state != NULL ? state->uidvalidity : 0;
  if (out_highest_uid != NULL)
    *out_highest_uid = state != NULL ? state->highest_uid : 0;

  return state != NULL;
}

gboolean
msc_device_store_forget_mailbox_state (MscDeviceStore *self,
                                       const char     *mailbox)
{
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (mailbox != NULL, FALSE);

  return g_hash_table_remove (self->mailbox_states, mailbox);
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GStrv
msc_device_store_list_mailbox_states (MscDeviceStore *self)
{
  g_autofree const char **names = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  guint n_names;

  g_return_val_if_fail (MSC_IS_DEVICE_STORE (self), NULL);

  names = (const char **) g_hash_table_get_keys_as_array (self->mailbox_states, &n_names);
  g_qsort_with_data (names, n_names, sizeof (char *), compare_names, NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < n_names; i++)
    g_strv_builder_add (builder, names[i]);

  return g_strv_builder_end (builder);
}

/* ---- Object ---- */

static void
msc_device_store_finalize (GObject *object)
{
  MscDeviceStore *self = (MscDeviceStore *) object;

  g_clear_pointer (&self->messages, g_hash_table_unref);
  g_clear_pointer (&self->folders, g_ptr_array_unref);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->mailbox_states, g_hash_table_unref);

  G_OBJECT_CLASS (msc_device_store_parent_class)->finalize (object);
}

static void
msc_device_store_class_init (MscDeviceStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_device_store_finalize;

  /* Every signal is emitted once the model is consistent again, and only
   * for a real change.  Handlers may call back into the store. */

  /**
   * MscDeviceStore::folder-added:
   * @name: the new folder
   */
  signals[FOLDER_ADDED] =
    g_signal_new ("folder-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[FOLDER_REMOVED] =
    g_signal_new ("folder-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * MscDeviceStore::message-added:
   * @message: the message, in its folder
   */
  signals[MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  MSC_TYPE_DEVICE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * MscDeviceStore::message-changed:
   * @message: the message as it is now
   * @changes: what changed (a move to or from Trash changes the flags too)
   * @old_folder: where it was, when the folder changed; else %NULL
   */
  signals[MESSAGE_CHANGED] =
    g_signal_new ("message-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  MSC_TYPE_DEVICE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE,
                  MSC_TYPE_DEVICE_CHANGE, G_TYPE_STRING);

  /**
   * MscDeviceStore::message-removed:
   * @message: the message as it was, its folder the one it left
   */
  signals[MESSAGE_REMOVED] =
    g_signal_new ("message-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  MSC_TYPE_DEVICE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * MscDeviceStore::seen-changed:
   * @key: the unique-id
   * @seen: %TRUE when recorded, %FALSE when forgotten
   */
  signals[SEEN_CHANGED] =
    g_signal_new ("seen-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
msc_device_store_init (MscDeviceStore *self)
{
  self->folders = g_ptr_array_new_with_free_func ((GDestroyNotify) folder_free);
  self->messages = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) msc_device_message_unref);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->mailbox_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  add_folder (self, MSC_DEVICE_STORE_INBOX, NULL);
  add_folder (self, MSC_DEVICE_STORE_TRASH, NULL);
}

MscDeviceStore *
msc_device_store_new (void)
{
  return g_object_new (MSC_TYPE_DEVICE_STORE, NULL);
}
