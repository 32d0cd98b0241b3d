/* test-device-store.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-device-store"

#include "config.h"

#include <string.h>

#include "msc-device-store.h"

/* Thursday 1 January 2026, 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  MscDeviceStore *store;
  GString        *log;   /* every signal, one line each */
} Fixture;

/* "read | flagged", from the nicks; "none" for no flag. */
static char *
flags_to_nicks (GType type,
                guint value)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (type);
  GString *nicks = g_string_new (NULL);

  for (guint i = 0; i < klass->n_values; i++)
    {
      if (klass->values[i].value != 0 && (value & klass->values[i].value) != 0)
        g_string_append_printf (nicks, "%s%s", nicks->len > 0 ? " | " : "",
                                klass->values[i].value_nick);
    }

  if (nicks->len == 0)
    g_string_append (nicks, "none");

  return g_string_free (nicks, FALSE);
}

static void
on_folder_added_cb (MscDeviceStore *store,
                    const char     *name,
                    Fixture        *f)
{
  g_string_append_printf (f->log, "folder+ %s\n", name);
}

static void
on_folder_removed_cb (MscDeviceStore *store,
                      const char     *name,
                      Fixture        *f)
{
  g_string_append_printf (f->log, "folder- %s\n", name);
}

static void
on_message_added_cb (MscDeviceStore   *store,
                     MscDeviceMessage *message,
                     Fixture          *f)
{
  /* The model is consistent when the signal runs. */
  g_assert_true (msc_device_store_lookup (store, msc_device_message_get_key (message)) == message);

  g_string_append_printf (f->log, "added %s/%s\n", msc_device_message_get_folder (message),
                          msc_device_message_get_key (message));
}

static void
on_message_changed_cb (MscDeviceStore   *store,
                       MscDeviceMessage *message,
                       MscDeviceChange   changes,
                       const char       *old_folder,
                       Fixture          *f)
{
  g_autofree char *what = flags_to_nicks (MSC_TYPE_DEVICE_CHANGE, changes);
  g_autofree char *flags = flags_to_nicks (MSC_TYPE_DEVICE_FLAGS,
                                           msc_device_message_get_flags (message));

  g_assert_true ((old_folder != NULL) == ((changes & MSC_DEVICE_CHANGE_FOLDER) != 0));

  g_string_append_printf (f->log, "changed %s [%s] %s%s%s flags=%s\n",
                          msc_device_message_get_key (message), what,
                          old_folder != NULL ? old_folder : "",
                          old_folder != NULL ? ">" : "",
                          msc_device_message_get_folder (message), flags);
}

static void
on_message_removed_cb (MscDeviceStore   *store,
                       MscDeviceMessage *message,
                       Fixture          *f)
{
  g_assert_null (msc_device_store_lookup (store, msc_device_message_get_key (message)));

  g_string_append_printf (f->log, "removed %s/%s\n", msc_device_message_get_folder (message),
                          msc_device_message_get_key (message));
}

static void
on_seen_changed_cb (MscDeviceStore *store,
                    const char     *key,
                    gboolean        seen,
                    Fixture        *f)
{
  g_string_append_printf (f->log, "seen%c %s\n", seen ? '+' : '-', key);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  f->store = msc_device_store_new ();
  f->log = g_string_new (NULL);

  g_signal_connect (f->store, "folder-added", G_CALLBACK (on_folder_added_cb), f);
  g_signal_connect (f->store, "folder-removed", G_CALLBACK (on_folder_removed_cb), f);
  g_signal_connect (f->store, "message-added", G_CALLBACK (on_message_added_cb), f);
  g_signal_connect (f->store, "message-changed", G_CALLBACK (on_message_changed_cb), f);
  g_signal_connect (f->store, "message-removed", G_CALLBACK (on_message_removed_cb), f);
  g_signal_connect (f->store, "seen-changed", G_CALLBACK (on_seen_changed_cb), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));
  g_string_free (f->log, TRUE);
}

/* Returns the log so far and empties it. */
static char *
take_log (Fixture *f)
{
  char *log = g_strdup (f->log->str);

  g_string_truncate (f->log, 0);
  return log;
}

#define assert_log(f, expected) \
  G_STMT_START { \
    g_autofree char *log_ = take_log (f); \
    g_assert_cmpstr (log_, ==, expected); \
  } G_STMT_END

static void
add (Fixture    *f,
     const char *key,
     const char *folder,
     const char *text,
     gint64      when)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  g_assert_true (msc_device_store_add (f->store, key, folder, data, TRUE, MSC_DEVICE_FLAG_NONE,
                                       when, &error));
  g_assert_no_error (error);
}

static char *
list_keys (Fixture    *f,
           const char *folder)
{
  g_autoptr(GPtrArray) messages = msc_device_store_list_folder (f->store, folder);
  GString *keys = g_string_new (NULL);

  g_assert_nonnull (messages);
  for (guint i = 0; i < messages->len; i++)
    g_string_append_printf (keys, "%s%s", i > 0 ? " " : "",
                            msc_device_message_get_key (g_ptr_array_index (messages, i)));

  return g_string_free (keys, FALSE);
}

#define assert_folder(f, folder, expected) \
  G_STMT_START { \
    g_autofree char *keys_ = list_keys (f, folder); \
    g_assert_cmpstr (keys_, ==, expected); \
  } G_STMT_END

/* ---- Tests ---- */

static void
test_folders (Fixture       *f,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) folders = msc_device_store_list_folders (f->store);

  /* A new device has an Inbox and a Trash, nothing else. */
  g_assert_cmpstrv (folders, ((const char * const[]) { "Inbox", "Trash", NULL }));
  g_assert_true (msc_device_store_has_folder (f->store, MSC_DEVICE_STORE_INBOX));
  g_assert_false (msc_device_store_has_folder (f->store, "INBOX"));
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, NULL), ==, 0);

  g_assert_true (msc_device_store_create_folder (f->store, "Work", &error));
  g_assert_no_error (error);
  g_assert_true (msc_device_store_create_folder (f->store, "工作/项目", &error));
  g_assert_no_error (error);
  assert_log (f, "folder+ Work\nfolder+ 工作/项目\n");

  g_clear_pointer (&folders, g_strfreev);
  folders = msc_device_store_list_folders (f->store);
  g_assert_cmpstrv (folders, ((const char * const[]) { "Inbox", "Trash", "Work", "工作/项目", NULL }));

  g_assert_false (msc_device_store_create_folder (f->store, "Work", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_FOLDER_EXISTS);
  g_clear_error (&error);

  for (guint i = 0; i < 3; i++)
    {
      const char *bad[] = { "", "tab\there", "\xff\xfe" };

      g_assert_false (msc_device_store_create_folder (f->store, bad[i], &error));
      g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_INVALID_FOLDER_NAME);
      g_clear_error (&error);
    }

  g_assert_false (msc_device_store_delete_folder (f->store, "Inbox", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_CANNOT_DELETE_FOLDER);
  g_clear_error (&error);
  g_assert_false (msc_device_store_delete_folder (f->store, "Trash", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_CANNOT_DELETE_FOLDER);
  g_clear_error (&error);
  g_assert_false (msc_device_store_delete_folder (f->store, "Nope", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_FOLDER);
  g_clear_error (&error);

  add (f, "k1", "Work", "x", T0);
  g_assert_false (msc_device_store_delete_folder (f->store, "Work", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_FOLDER_NOT_EMPTY);
  g_clear_error (&error);

  g_assert_true (msc_device_store_remove (f->store, "k1", &error));
  g_assert_true (msc_device_store_delete_folder (f->store, "Work", &error));
  g_assert_no_error (error);
  g_assert_false (msc_device_store_has_folder (f->store, "Work"));
  assert_log (f, "added Work/k1\nremoved Work/k1\nfolder- Work\n");

  /* Nothing about the failures was signalled. */
  g_assert_null (msc_device_store_list_folder (f->store, "Work"));
}

static void
test_add_lookup (Fixture       *f,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GBytes) headers = g_bytes_new_static ("Subject: hi\r\n\r\n", 15);
  g_autoptr(GError) error = NULL;
  MscDeviceMessage *message;

  g_assert_true (msc_device_store_add (f->store, "UID-1", MSC_DEVICE_STORE_INBOX, headers, FALSE,
                                       MSC_DEVICE_FLAG_FLAGGED, T0 + 5, &error));
  g_assert_no_error (error);
  assert_log (f, "added Inbox/UID-1\n");

  message = msc_device_store_lookup (f->store, "UID-1");
  g_assert_nonnull (message);
  g_assert_cmpstr (msc_device_message_get_key (message), ==, "UID-1");
  g_assert_cmpstr (msc_device_message_get_folder (message), ==, "Inbox");
  g_assert_true (g_bytes_equal (msc_device_message_get_data (message), headers));
  g_assert_false (msc_device_message_is_complete (message));
  g_assert_cmpint (msc_device_message_get_flags (message), ==, MSC_DEVICE_FLAG_FLAGGED);
  g_assert_cmpint (msc_device_message_get_downloaded (message), ==, T0 + 5);
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, "Inbox"), ==, 1);
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, "Trash"), ==, 0);
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, "Nope"), ==, 0);

  /* Keys are exact: UIDLs are case-sensitive (RFC 1939 §7). */
  g_assert_null (msc_device_store_lookup (f->store, "uid-1"));

  g_assert_false (msc_device_store_add (f->store, "UID-1", MSC_DEVICE_STORE_INBOX, headers, TRUE,
                                        MSC_DEVICE_FLAG_NONE, T0, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_MESSAGE_EXISTS);
  g_clear_error (&error);

  g_assert_false (msc_device_store_add (f->store, "UID-2", "Nope", headers, TRUE,
                                        MSC_DEVICE_FLAG_NONE, T0, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_FOLDER);
  g_clear_error (&error);

  for (guint i = 0; i < 3; i++)
    {
      const char *bad[] = { "", "line\nbreak", "\xc3" };

      g_assert_false (msc_device_store_add (f->store, bad[i], MSC_DEVICE_STORE_INBOX, headers, TRUE,
                                            MSC_DEVICE_FLAG_NONE, T0, &error));
      g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_INVALID_KEY);
      g_clear_error (&error);
    }

  /* An IMAP key, and mail that arrives straight in Trash is deleted. */
  g_assert_true (msc_device_store_add (f->store, "INBOX/1767225600/7", MSC_DEVICE_STORE_TRASH,
                                       headers, TRUE, MSC_DEVICE_FLAG_READ, T0, &error));
  message = msc_device_store_lookup (f->store, "INBOX/1767225600/7");
  g_assert_cmpint (msc_device_message_get_flags (message), ==,
                   MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_DELETED);
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, NULL), ==, 2);

  assert_log (f, "added Trash/INBOX/1767225600/7\n");
}

static void
test_order (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;

  /* Arrival order, not key order and not the time passed in. */
  add (f, "c", MSC_DEVICE_STORE_INBOX, "3", T0 + 3);
  add (f, "a", MSC_DEVICE_STORE_INBOX, "1", T0 + 1);
  add (f, "b", MSC_DEVICE_STORE_INBOX, "2", T0 + 2);
  add (f, "d", MSC_DEVICE_STORE_INBOX, "4", T0);
  assert_folder (f, "Inbox", "c a b d");

  /* A message moved away and back returns to its place. */
  g_assert_true (msc_device_store_create_folder (f->store, "Archive", &error));
  g_assert_true (msc_device_store_move (f->store, "b", "Archive", &error));
  g_assert_true (msc_device_store_move (f->store, "c", "Archive", &error));
  assert_folder (f, "Inbox", "a d");
  assert_folder (f, "Archive", "c b");
  g_assert_true (msc_device_store_move (f->store, "b", "Inbox", &error));
  g_assert_true (msc_device_store_move (f->store, "c", "Inbox", &error));
  g_assert_no_error (error);
  assert_folder (f, "Inbox", "c a b d");
  assert_folder (f, "Archive", "");
}

static void
test_flags (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  MscDeviceMessage *message;

  add (f, "k", MSC_DEVICE_STORE_INBOX, "x", T0);
  g_string_truncate (f->log, 0);
  message = msc_device_store_lookup (f->store, "k");

  g_assert_true (msc_device_store_mark_read (f->store, "k", TRUE, &error));
  g_assert_true (msc_device_store_mark_read (f->store, "k", TRUE, &error));  /* no change */
  g_assert_true (msc_device_store_mark_flagged (f->store, "k", TRUE, &error));
  g_assert_cmpint (msc_device_message_get_flags (message), ==,
                   MSC_DEVICE_FLAG_READ | MSC_DEVICE_FLAG_FLAGGED);
  g_assert_true (msc_device_store_mark_read (f->store, "k", FALSE, &error));
  g_assert_true (msc_device_store_mark_flagged (f->store, "k", FALSE, &error));
  g_assert_true (msc_device_store_set_flags (f->store, "k", MSC_DEVICE_FLAG_DELETED, &error));
  g_assert_true (msc_device_store_set_flags (f->store, "k", MSC_DEVICE_FLAG_DELETED, &error));
  g_assert_no_error (error);

  assert_log (f,
              "changed k [flags] Inbox flags=read\n"
              "changed k [flags] Inbox flags=read | flagged\n"
              "changed k [flags] Inbox flags=flagged\n"
              "changed k [flags] Inbox flags=none\n"
              "changed k [flags] Inbox flags=deleted\n");

  g_assert_false (msc_device_store_mark_read (f->store, "nope", TRUE, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_false (msc_device_store_mark_flagged (f->store, "nope", TRUE, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_false (msc_device_store_set_flags (f->store, "nope", 0, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  assert_log (f, "");
}

static void
test_move (Fixture       *f,
           gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  MscDeviceMessage *message;

  g_assert_true (msc_device_store_create_folder (f->store, "Work", &error));
  add (f, "k", MSC_DEVICE_STORE_INBOX, "x", T0);
  g_assert_true (msc_device_store_mark_read (f->store, "k", TRUE, &error));
  g_string_truncate (f->log, 0);
  message = msc_device_store_lookup (f->store, "k");

  g_assert_true (msc_device_store_move (f->store, "k", "Work", &error));
  g_assert_true (msc_device_store_move (f->store, "k", "Work", &error));  /* no change */
  g_assert_cmpstr (msc_device_message_get_folder (message), ==, "Work");
  /* Into Trash is a delete, out of Trash a restore. */
  g_assert_true (msc_device_store_move (f->store, "k", "Trash", &error));
  g_assert_true (msc_device_store_move (f->store, "k", "Inbox", &error));
  g_assert_no_error (error);

  assert_log (f,
              "changed k [folder] Inbox>Work flags=read\n"
              "changed k [flags | folder] Work>Trash flags=read | deleted\n"
              "changed k [flags | folder] Trash>Inbox flags=read\n");

  g_assert_false (msc_device_store_move (f->store, "k", "Nope", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_FOLDER);
  g_clear_error (&error);
  g_assert_false (msc_device_store_move (f->store, "nope", "Work", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_cmpstr (msc_device_message_get_folder (message), ==, "Inbox");
  assert_log (f, "");
}

static void
test_delete_locally (Fixture       *f,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(MscDeviceMessage) kept = NULL;
  g_autoptr(GError) error = NULL;

  add (f, "k", MSC_DEVICE_STORE_INBOX, "x", T0);
  g_assert_true (msc_device_store_mark_seen (f->store, "k", T0));
  g_string_truncate (f->log, 0);
  kept = msc_device_message_ref (msc_device_store_lookup (f->store, "k"));

  /* The Delete key: first to Trash, marked deleted ... */
  g_assert_true (msc_device_store_delete_locally (f->store, "k", &error));
  g_assert_cmpstr (msc_device_message_get_folder (kept), ==, "Trash");
  g_assert_cmpint (msc_device_message_get_flags (kept), ==, MSC_DEVICE_FLAG_DELETED);
  assert_folder (f, "Inbox", "");
  assert_folder (f, "Trash", "k");

  /* ... then, from Trash, gone for good. */
  g_assert_true (msc_device_store_delete_locally (f->store, "k", &error));
  g_assert_no_error (error);
  g_assert_null (msc_device_store_lookup (f->store, "k"));
  assert_folder (f, "Trash", "");

  assert_log (f,
              "changed k [flags | folder] Inbox>Trash flags=deleted\n"
              "removed Trash/k\n");

  /* A reference outlives the store's copy, as it was when it left. */
  g_assert_cmpstr (msc_device_message_get_key (kept), ==, "k");
  g_assert_cmpstr (msc_device_message_get_folder (kept), ==, "Trash");

  /* The POP3 record remembers it was downloaded. */
  g_assert_true (msc_device_store_has_seen (f->store, "k", NULL));

  g_assert_false (msc_device_store_delete_locally (f->store, "k", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
}

static void
test_remove (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;

  add (f, "a", MSC_DEVICE_STORE_INBOX, "x", T0);
  add (f, "b", MSC_DEVICE_STORE_INBOX, "y", T0);
  g_assert_true (msc_device_store_mark_seen (f->store, "a", T0));
  g_string_truncate (f->log, 0);

  g_assert_true (msc_device_store_remove (f->store, "a", &error));
  g_assert_no_error (error);
  assert_log (f, "removed Inbox/a\n");
  assert_folder (f, "Inbox", "b");
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, NULL), ==, 1);
  g_assert_true (msc_device_store_has_seen (f->store, "a", NULL));

  g_assert_false (msc_device_store_remove (f->store, "a", &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
  g_clear_error (&error);

  /* The key is free again. */
  add (f, "a", MSC_DEVICE_STORE_INBOX, "x", T0);
  assert_folder (f, "Inbox", "b a");
}

static void
test_set_data (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GBytes) headers = g_bytes_new_static ("Subject: hi\r\n\r\n", 15);
  g_autoptr(GBytes) full = g_bytes_new_static ("Subject: hi\r\n\r\nHello\r\n", 22);
  g_autoptr(GError) error = NULL;
  MscDeviceMessage *message;

  g_assert_true (msc_device_store_add (f->store, "k", MSC_DEVICE_STORE_INBOX, headers, FALSE,
                                       MSC_DEVICE_FLAG_READ, T0, &error));
  g_string_truncate (f->log, 0);
  message = msc_device_store_lookup (f->store, "k");

  g_assert_true (msc_device_store_set_data (f->store, "k", full, TRUE, &error));
  g_assert_true (msc_device_store_set_data (f->store, "k", full, TRUE, &error));  /* no change */
  g_assert_no_error (error);
  g_assert_true (msc_device_message_is_complete (message));
  g_assert_true (g_bytes_equal (msc_device_message_get_data (message), full));
  /* Nothing else moves: not its flags, not its download time. */
  g_assert_cmpint (msc_device_message_get_flags (message), ==, MSC_DEVICE_FLAG_READ);
  g_assert_cmpint (msc_device_message_get_downloaded (message), ==, T0);
  assert_log (f, "changed k [data] Inbox flags=read\n");

  g_assert_false (msc_device_store_set_data (f->store, "nope", full, TRUE, &error));
  g_assert_error (error, MSC_DEVICE_STORE_ERROR, MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE);
}

static void
test_seen (Fixture       *f,
           gconstpointer  data G_GNUC_UNUSED)
{
  g_auto(GStrv) seen = NULL;
  gint64 when = -1;

  g_assert_false (msc_device_store_has_seen (f->store, "u2", &when));
  g_assert_cmpint (when, ==, 0);

  g_assert_true (msc_device_store_mark_seen (f->store, "u2", T0 + 10));
  g_assert_true (msc_device_store_mark_seen (f->store, "u1", T0 + 10));
  g_assert_true (msc_device_store_mark_seen (f->store, "u3", T0));
  /* The first download time stays: it is what "after N days" counts from. */
  g_assert_false (msc_device_store_mark_seen (f->store, "u2", T0 + 99));
  g_assert_true (msc_device_store_has_seen (f->store, "u2", &when));
  g_assert_cmpint (when, ==, T0 + 10);
  g_assert_true (msc_device_store_has_seen (f->store, "u2", NULL));

  /* The record is not the local copy: nothing is on the device. */
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, NULL), ==, 0);

  seen = msc_device_store_list_seen (f->store);
  g_assert_cmpstrv (seen, ((const char * const[]) { "u3", "u1", "u2", NULL }));

  g_assert_true (msc_device_store_forget_seen (f->store, "u1"));
  g_assert_false (msc_device_store_forget_seen (f->store, "u1"));
  g_assert_false (msc_device_store_has_seen (f->store, "u1", NULL));

  /* Forgetting with the record's own string (what a client iterating the
   * list does). */
  g_clear_pointer (&seen, g_strfreev);
  seen = msc_device_store_list_seen (f->store);
  for (guint i = 0; seen[i] != NULL; i++)
    g_assert_true (msc_device_store_forget_seen (f->store, seen[i]));

  assert_log (f, "seen+ u2\nseen+ u1\nseen+ u3\nseen- u1\nseen- u3\nseen- u2\n");

  g_clear_pointer (&seen, g_strfreev);
  seen = msc_device_store_list_seen (f->store);
  g_assert_cmpstrv (seen, ((const char * const[]) { NULL }));
}

static void
test_mailbox_states (Fixture       *f,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_auto(GStrv) names = NULL;
  guint32 uidvalidity = 99;
  guint32 highest = 99;

  g_assert_false (msc_device_store_get_mailbox_state (f->store, "INBOX", &uidvalidity, &highest));
  g_assert_cmpuint (uidvalidity, ==, 0);
  g_assert_cmpuint (highest, ==, 0);

  g_assert_true (msc_device_store_set_mailbox_state (f->store, "INBOX", 3857529045u, 4391));
  g_assert_true (msc_device_store_set_mailbox_state (f->store, "已发送", 7, 0));
  g_assert_true (msc_device_store_set_mailbox_state (f->store, "Archive/2025", 1, 12));
  /* The same record again is no change. */
  g_assert_false (msc_device_store_set_mailbox_state (f->store, "INBOX", 3857529045u, 4391));
  g_assert_true (msc_device_store_set_mailbox_state (f->store, "INBOX", 3857529045u, 4392));

  g_assert_true (msc_device_store_get_mailbox_state (f->store, "INBOX", &uidvalidity, &highest));
  g_assert_cmpuint (uidvalidity, ==, 3857529045u);
  g_assert_cmpuint (highest, ==, 4392);
  g_assert_true (msc_device_store_get_mailbox_state (f->store, "Archive/2025", NULL, NULL));
  /* Names are exact: IMAP folds only INBOX, and the client does that. */
  g_assert_false (msc_device_store_get_mailbox_state (f->store, "inbox", NULL, NULL));

  names = msc_device_store_list_mailbox_states (f->store);
  g_assert_cmpstrv (names, ((const char * const[]) { "Archive/2025", "INBOX",
                                                      "已发送", NULL }));

  /* Forgetting with the record's own string. */
  g_assert_true (msc_device_store_forget_mailbox_state (f->store, names[0]));
  g_assert_false (msc_device_store_forget_mailbox_state (f->store, "Archive/2025"));
  g_clear_pointer (&names, g_strfreev);
  names = msc_device_store_list_mailbox_states (f->store);
  g_assert_cmpstrv (names, ((const char * const[]) { "INBOX", "已发送", NULL }));

  /* A record is not mail, and emits nothing. */
  g_assert_cmpuint (msc_device_store_get_n_messages (f->store, NULL), ==, 0);
  assert_log (f, "");
}

static void
on_added_mark_read_cb (MscDeviceStore   *store,
                       MscDeviceMessage *message,
                       gpointer          user_data)
{
  g_autoptr(GError) error = NULL;

  /* A handler may call straight back into the store. */
  g_assert_true (msc_device_store_mark_read (store, msc_device_message_get_key (message), TRUE, &error));
  g_assert_no_error (error);
}

static void
on_changed_remove_cb (MscDeviceStore   *store,
                      MscDeviceMessage *message,
                      MscDeviceChange   changes,
                      const char       *old_folder,
                      gpointer          user_data)
{
  g_autoptr(GError) error = NULL;

  if (changes & MSC_DEVICE_CHANGE_FOLDER)
    {
      g_assert_true (msc_device_store_remove (store, msc_device_message_get_key (message), &error));
      g_assert_no_error (error);
    }
}

static void
test_reentrant (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  gulong added_id = g_signal_connect (f->store, "message-added",
                                      G_CALLBACK (on_added_mark_read_cb), NULL);
  gulong changed_id;

  add (f, "k", MSC_DEVICE_STORE_INBOX, "x", T0);
  g_assert_cmpint (msc_device_message_get_flags (msc_device_store_lookup (f->store, "k")), ==,
                   MSC_DEVICE_FLAG_READ);
  g_signal_handler_disconnect (f->store, added_id);

  changed_id = g_signal_connect (f->store, "message-changed", G_CALLBACK (on_changed_remove_cb), NULL);
  g_assert_true (msc_device_store_delete_locally (f->store, "k", &error));
  g_assert_no_error (error);
  g_assert_null (msc_device_store_lookup (f->store, "k"));
  g_signal_handler_disconnect (f->store, changed_id);

  assert_log (f,
              "added Inbox/k\n"
              "changed k [flags] Inbox flags=read\n"
              "changed k [flags | folder] Inbox>Trash flags=read | deleted\n"
              "removed Trash/k\n");
}

static void
test_types (void)
{
  g_autoptr(MscDeviceStore) store = msc_device_store_new ();
  g_autoptr(GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr(GPtrArray) list = NULL;
  MscDeviceMessage *copy;

  g_assert_true (G_TYPE_IS_BOXED (MSC_TYPE_DEVICE_MESSAGE));
  g_assert_true (G_TYPE_IS_FLAGS (MSC_TYPE_DEVICE_FLAGS));
  g_assert_true (G_TYPE_IS_FLAGS (MSC_TYPE_DEVICE_CHANGE));

  g_assert_true (msc_device_store_add (store, "k", MSC_DEVICE_STORE_INBOX, data, TRUE,
                                       MSC_DEVICE_FLAG_NONE, T0, NULL));
  copy = g_boxed_copy (MSC_TYPE_DEVICE_MESSAGE, msc_device_store_lookup (store, "k"));
  g_assert_true (copy == msc_device_store_lookup (store, "k"));
  g_boxed_free (MSC_TYPE_DEVICE_MESSAGE, copy);

  /* The list holds references of its own: it outlives the store. */
  list = msc_device_store_list_folder (store, MSC_DEVICE_STORE_INBOX);
  g_assert_finalize_object (g_steal_pointer (&store));
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (msc_device_message_get_key (g_ptr_array_index (list, 0)), ==, "k");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/msc/device-store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("folders", test_folders);
  ADD ("add-lookup", test_add_lookup);
  ADD ("order", test_order);
  ADD ("flags", test_flags);
  ADD ("move", test_move);
  ADD ("delete-locally", test_delete_locally);
  ADD ("remove", test_remove);
  ADD ("set-data", test_set_data);
  ADD ("seen", test_seen);
  ADD ("mailbox-states", test_mailbox_states);
  ADD ("reentrant", test_reentrant);
  g_test_add_func ("/msc/device-store/types", test_types);

#undef ADD

  return g_test_run ();
}
