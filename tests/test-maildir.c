/* test-maildir.c — what the Maildir backend leaves on disk
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "msc-mail-store.h"
#include "msc-maildir.h"

#define ALICE "alice@example.com"

typedef struct
{
  char         *root;
  char         *home;    /* alice's Maildir */
  MscMailStore *store;
} Fixture;

static gboolean
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT;

  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!remove_tree (child))
            return FALSE;
        }

      return g_rmdir (path) == 0;
    }

  return g_unlink (path) == 0;
}

static void
open_store (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  f->store = msc_mail_store_new_for_maildir (f->root, &error);
  g_assert_no_error (error);
  msc_mail_store_set_password_iterations (f->store, 1000);
}

static void
close_store (Fixture *f)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->root = g_dir_make_tmp ("msc-maildir-XXXXXX", &error);
  g_assert_no_error (error);
  f->home = g_build_filename (f->root, "example.com", "alice", NULL);

  open_store (f);
  g_assert_true (msc_mail_store_add_domain (f->store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (f->store, "Alice@example.com", "Alice",
                                             "secret", &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->store != NULL)
    close_store (f);

  g_assert_true (remove_tree (f->root));
  g_free (f->root);
  g_free (f->home);
}

static MscMailbox *
get_mailbox (Fixture    *f,
             const char *name)
{
  g_autoptr (GError) error = NULL;
  MscMailbox *mailbox = msc_mail_store_get_mailbox (f->store, ALICE, name, &error);

  g_assert_no_error (error);
  return mailbox;
}

static guint32
append_text (Fixture    *f,
             MscMailbox *mailbox,
             const char *text)
{
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;
  guint32 uid;

  uid = msc_mail_store_append (f->store, mailbox, bytes, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  return uid;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* The names of the regular files in @dir, sorted, joined by '|'. */
static char *
list_dir (const char *dir_path)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, (gpointer) name);
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);

  return g_strjoinv ("|", (char **) names->pdata);
}

static char *
list_subdir (const char *dir_path,
             const char *sub)
{
  g_autofree char *path = g_build_filename (dir_path, sub, NULL);

  return list_dir (path);
}

static char *
read_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

/* The one file in @home/@sub, as "sub/name". */
static char *
only_file (const char *folder,
           const char *sub)
{
  g_autofree char *names = list_subdir (folder, sub);

  g_assert_null (strchr (names, '|'));
  g_assert_cmpstr (names, !=, "");
  return g_strconcat (sub, "/", names, NULL);
}

static void
test_folder_names (void)
{
  static const struct {
    const char *name;
    const char *folder;
  } table[] = {
    { "Sent", ".Sent" },
    { "已发送", ".&XfJT0ZAB-" },
    { "项目/二〇二六", ".&mHl27g-.&TowwB06MUW0-" },
    { "v1.2", ".v1\\2e2" },
    { "a\\b", ".a\\5cb" },
    { "~home", ".\\7ehome" },
    { "x~y/~z", ".x~y.\\7ez" },
    { "..", ".\\2e\\2e" },
    { "INBOX/child", ".INBOX.child" },
    { "a&b", ".a&-b" },
  };
  static const char * const not_ours[] = {
    "Sent", ".", "..a", ".a..b", ".a.", ".\\2f", ".\\zz", ".\\2", ".&AGE-",
    ".INBOX", ".inbox", ".v1\\2E2", ".\\41", ".a\x01",
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *folder = msc_maildir_encode_folder_name (table[i].name);
      g_autofree char *name = msc_maildir_decode_folder_name (table[i].folder);

      g_assert_cmpstr (folder, ==, table[i].folder);
      g_assert_cmpstr (name, ==, table[i].name);
    }

  for (guint i = 0; i < G_N_ELEMENTS (not_ours); i++)
    {
      g_autofree char *name = msc_maildir_decode_folder_name (not_ours[i]);

      g_test_message ("not ours: %s", not_ours[i]);
      g_assert_null (name);
    }

  g_assert_null (msc_maildir_encode_folder_name ("INBOX"));
  g_assert_null (msc_maildir_encode_folder_name ("inbox"));
  g_assert_null (msc_maildir_encode_folder_name ("a//b"));
  {
    g_autofree char *long_name = g_strnfill (200, 'x');
    g_autofree char *longer = g_strconcat (long_name, "/", long_name, NULL);
    g_autofree char *folder = msc_maildir_encode_folder_name (longer);

    g_assert_null (folder);
  }
}

static void
test_layout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autofree char *names = list_dir (f->home);
  g_autofree char *account_path = g_build_filename (f->home, "mailscope-account", NULL);
  g_autofree char *account = read_text (account_path);
  g_autofree char *uidlist_path = g_build_filename (f->home, "mailscope-uidlist", NULL);
  g_autofree char *uidlist = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *message_path = NULL;
  g_autofree char *on_disk = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *sent_uidlist = NULL;
  const char *text = "Subject: hi\r\n\r\n.\r\n..dots\r\n";
  GStatBuf st;

  g_assert_cmpstr (names, ==,
                   ".Drafts|.Junk|.Sent|.Trash|cur|mailscope-account|mailscope-uidlist|new|tmp");

  /* The password is there only as a hash, and only the owner reads it. */
  g_assert_nonnull (strstr (account, "Address=Alice@example.com\n"));
  g_assert_nonnull (strstr (account, "DisplayName=Alice\n"));
  g_assert_nonnull (strstr (account, "Password=$pbkdf2-sha256$i=1000$"));
  g_assert_null (strstr (account, "secret"));
  g_assert_cmpint (g_stat (account_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_cmpuint (append_text (f, inbox, text), ==, 1);

  rel = only_file (f->home, "new");
  g_assert_null (strchr (rel, ':'));
  message_path = g_build_filename (f->home, rel, NULL);
  on_disk = read_text (message_path);
  g_assert_cmpstr (on_disk, ==, text);
  g_assert_cmpint (g_stat (message_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  uidlist = read_text (uidlist_path);
  expected = g_strdup_printf ("1 V%u N2\n1 %s\n", msc_mailbox_get_uid_validity (inbox),
                              rel + strlen ("new/"));
  g_assert_cmpstr (uidlist, ==, expected);

  sent = g_build_filename (f->home, ".Sent", NULL);
  g_free (names);
  names = list_dir (sent);
  g_assert_cmpstr (names, ==, "cur|maildirfolder|mailscope-uidlist|new|tmp");
  g_free (uidlist_path);
  uidlist_path = g_build_filename (sent, "mailscope-uidlist", NULL);
  sent_uidlist = read_text (uidlist_path);
  g_assert_true (g_str_has_prefix (sent_uidlist, "1 V"));
  g_assert_true (g_str_has_suffix (sent_uidlist, " N1 U\\Sent\n"));

  /* tmp/ is left empty. */
  g_free (names);
  names = list_subdir (f->home, "tmp");
  g_assert_cmpstr (names, ==, "");
}

static void
test_flags_in_names (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autoptr (GArray) taken = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *base = NULL;
  g_autofree char *keywords = NULL;
  g_autofree char *keywords_path = g_build_filename (f->home, "mailscope-keywords", NULL);
  guint32 uid;

  uid = append_text (f, inbox, "x\r\n");
  rel = only_file (f->home, "new");
  base = g_strdup (rel + strlen ("new/"));

  /* The first session takes \Recent: the file moves to cur/. */
  taken = msc_mail_store_take_recent (f->store, inbox, &error);
  g_assert_no_error (error);
  g_free (rel);
  rel = only_file (f->home, "cur");
  g_assert_true (g_str_has_prefix (rel + strlen ("cur/"), base));
  g_assert_cmpstr (rel + strlen ("cur/") + strlen (base), ==, ":2,");

  g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_SEEN | MSC_MESSAGE_FLAG_FLAGGED,
                                              (const char *[]) { "Work", "$Forwarded", "Home", NULL },
                                              &error));
  g_assert_no_error (error);
  g_free (rel);
  rel = only_file (f->home, "cur");
  g_assert_true (g_str_has_suffix (rel, ":2,FPSac"));

  keywords = read_text (keywords_path);
  g_assert_cmpstr (keywords, ==, "0 Work\n1 $Forwarded\n2 Home\n");

  g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1, MSC_FLAGS_MODE_REPLACE,
                                              MSC_MESSAGE_FLAGS_ALL,
                                              (const char *[]) { "Home", NULL }, &error));
  g_assert_no_error (error);
  g_free (rel);
  rel = only_file (f->home, "cur");
  g_assert_true (g_str_has_suffix (rel, ":2,DFRSTc"));

  g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1, MSC_FLAGS_MODE_REPLACE,
                                              0, NULL, &error));
  g_free (rel);
  rel = only_file (f->home, "cur");
  g_assert_true (g_str_has_suffix (rel, ":2,"));

  /* A message appended with flags goes straight to cur/. */
  {
    g_autoptr (MscMailbox) drafts = get_mailbox (f, "Drafts");
    g_autoptr (GBytes) bytes = g_bytes_new_static ("draft\r\n", 7);
    g_autofree char *drafts_dir = g_build_filename (f->home, ".Drafts", NULL);
    g_autofree char *names = NULL;

    g_assert_cmpuint (msc_mail_store_append (f->store, drafts, bytes,
                                             MSC_MESSAGE_FLAG_DRAFT | MSC_MESSAGE_FLAG_SEEN,
                                             NULL, NULL, &error), ==, 1);
    g_free (rel);
    rel = only_file (drafts_dir, "cur");
    g_assert_true (g_str_has_suffix (rel, ":2,DS"));
    names = list_subdir (drafts_dir, "new");
    g_assert_cmpstr (names, ==, "");
  }
}

static void
test_internal_date (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autoptr (GDateTime) date = g_date_time_new_utc (2001, 9, 9, 1, 46, 40);
  g_autoptr (GBytes) bytes = g_bytes_new_static ("x\r\n", 3);
  g_autoptr (GError) error = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  GStatBuf st;

  msc_mail_store_append (f->store, inbox, bytes, 0, NULL, date, &error);
  g_assert_no_error (error);
  rel = only_file (f->home, "new");
  path = g_build_filename (f->home, rel, NULL);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mtime, ==, 1000000000);
}

static void
test_external_files (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *path = NULL;
  guint32 validity = msc_mailbox_get_uid_validity (inbox);
  MscMessage *message;
  struct utimbuf times = { 1500000000, 1500000000 };

  append_text (f, inbox, "ours 1\r\n");
  append_text (f, inbox, "ours 2\r\n");
  append_text (f, inbox, "ours 3\r\n");
  first = g_strdup (msc_message_get_uid (msc_mailbox_get_message (inbox, 0)) == 1 ? "ok" : "");
  g_clear_object (&inbox);
  close_store (f);

  /* Another program delivers two messages and deletes one of ours. */
  path = g_build_filename (f->home, "new", "1700000000.M1P1.elsewhere", NULL);
  write_text (path, "From outside, new\n");
  g_free (path);
  path = g_build_filename (f->home, "cur", "1700000001.M1P1.elsewhere:2,FS", NULL);
  write_text (path, "From outside, read\n");
  g_assert_cmpint (g_utime (path, &times), ==, 0);
  g_free (path);
  path = g_build_filename (f->home, "new", ".hidden", NULL);
  write_text (path, "not a message\n");
  {
    g_autoptr (GDir) dir = NULL;
    g_autofree char *new_dir = g_build_filename (f->home, "new", NULL);
    const char *name;

    dir = g_dir_open (new_dir, 0, NULL);
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *file = g_build_filename (new_dir, name, NULL);
        g_autofree char *text = read_text (file);

        if (strcmp (text, "ours 2\r\n") == 0)
          g_assert_cmpint (g_unlink (file), ==, 0);
      }
  }

  open_store (f);
  inbox = get_mailbox (f, "INBOX");

  g_assert_cmpuint (msc_mailbox_get_uid_validity (inbox), ==, validity);
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 4);
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 1));
  g_assert_null (msc_mailbox_lookup_uid (inbox, 2));
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 3));

  /* New UIDs after every UID ever given, in file-name order. */
  message = msc_mailbox_lookup_uid (inbox, 4);
  g_assert_cmpmem (g_bytes_get_data (msc_message_get_data (message), NULL),
                   msc_message_get_size (message), "From outside, new\n", 18);
  g_assert_true (msc_message_get_recent (message));
  g_assert_cmpint (msc_message_get_flags (message), ==, 0);

  message = msc_mailbox_lookup_uid (inbox, 5);
  g_assert_cmpmem (g_bytes_get_data (msc_message_get_data (message), NULL),
                   msc_message_get_size (message), "From outside, read\n", 19);
  g_assert_false (msc_message_get_recent (message));
  g_assert_cmpint (msc_message_get_flags (message), ==,
                   MSC_MESSAGE_FLAG_FLAGGED | MSC_MESSAGE_FLAG_SEEN);
  g_assert_cmpint (g_date_time_to_unix (msc_message_get_internal_date (message)), ==, 1500000000);

  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 6);
  g_assert_cmpuint (append_text (f, inbox, "ours 6\r\n"), ==, 6);

  /* The same again: nothing changes. */
  g_clear_object (&inbox);
  close_store (f);
  open_store (f);
  inbox = get_mailbox (f, "INBOX");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 5);
  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 7);
  g_assert_cmpuint (msc_message_get_size (msc_mailbox_lookup_uid (inbox, 5)), ==, 19);
}

/* mutt changes flags by renaming while we are open; we still find it. */
static void
test_renamed_behind_our_back (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autoptr (GError) error = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *old_path = NULL;
  g_autofree char *new_path = NULL;
  guint32 uid;

  uid = append_text (f, inbox, "x\r\n");
  rel = only_file (f->home, "new");
  old_path = g_build_filename (f->home, rel, NULL);
  new_path = g_strconcat (f->home, "/cur/", rel + strlen ("new/"), ":2,S", NULL);
  g_assert_cmpint (g_rename (old_path, new_path), ==, 0);

  g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_FLAGGED, NULL, &error));
  g_assert_no_error (error);
  g_free (rel);
  rel = only_file (f->home, "cur");
  g_assert_true (g_str_has_suffix (rel, ":2,F"));

  g_free (old_path);
  old_path = g_build_filename (f->home, rel, NULL);
  g_assert_cmpint (g_rename (old_path, new_path), ==, 0);
  g_assert_true (msc_mail_store_expunge (f->store, inbox, &uid, 1, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (new_path, G_FILE_TEST_EXISTS));
}

static void
test_chinese_on_disk (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (MscMailbox) sent = NULL;
  g_autoptr (MscMailbox) year = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *zhang = NULL;

  sent = msc_mail_store_create_mailbox (f->store, ALICE, "已发送", MSC_SPECIAL_USE_SENT, &error);
  g_assert_no_error (error);
  year = msc_mail_store_create_mailbox (f->store, ALICE, "项目/二〇二六", 0, &error);
  g_assert_no_error (error);
  append_text (f, year, "年\r\n");

  names = list_dir (f->home);
  g_assert_cmpstr (names, ==,
                   ".&XfJT0ZAB-|.&mHl27g-|.&mHl27g-.&TowwB06MUW0-|.Drafts|.Junk|.Sent|.Trash|"
                   "cur|mailscope-account|mailscope-uidlist|new|tmp");

  g_assert_true (msc_mail_store_add_domain (f->store, "例子.中国", &error));
  g_assert_true (msc_mail_store_add_account (f->store, "张三@例子.中国", NULL, "pw", &error));
  g_assert_no_error (error);
  zhang = g_build_filename (f->root, "例子.中国", "张三", "cur", NULL);
  g_assert_true (g_file_test (zhang, G_FILE_TEST_IS_DIR));

  g_clear_object (&sent);
  g_clear_object (&year);
  close_store (f);
  open_store (f);

  year = get_mailbox (f, "项目/二〇二六");
  g_assert_cmpuint (msc_mailbox_get_n_messages (year), ==, 1);
  sent = get_mailbox (f, "已发送");
  g_assert_cmpint (msc_mailbox_get_special_use (sent), ==, MSC_SPECIAL_USE_SENT);
  g_assert_true (msc_directory_has_account (MSC_DIRECTORY (f->store), "张三@例子.中国"));

  g_assert_true (msc_mail_store_rename_mailbox (f->store, sent, "发件箱/已发送", &error));
  g_assert_no_error (error);
  g_free (names);
  names = list_dir (f->home);
  g_assert_nonnull (strstr (names, ".&U9FO9nux-.&XfJT0ZAB-|"));
  g_assert_false (g_str_has_prefix (names, ".&XfJT0ZAB-|"));
  g_assert_null (strstr (names, "|.&XfJT0ZAB-|"));
}

static void
test_damaged_uidlist (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, "INBOX");
  g_autofree char *uidlist_path = g_build_filename (f->home, "mailscope-uidlist", NULL);
  g_autofree char *junk_path = g_build_filename (f->home, ".Junk", "mailscope-uidlist", NULL);
  g_autoptr (GError) error = NULL;
  guint32 validity = msc_mailbox_get_uid_validity (inbox);

  append_text (f, inbox, "a\r\n");
  append_text (f, inbox, "b\r\n");
  g_clear_object (&inbox);
  close_store (f);

  /* The UIDs are lost: a new UIDVALIDITY tells clients so. */
  write_text (uidlist_path, "garbage\n");
  /* Out of UIDs: appends must fail, not wrap. */
  write_text (junk_path, "1 V7 N4294967295 U\\Junk\n");

  open_store (f);
  inbox = get_mailbox (f, "INBOX");
  g_assert_cmpuint (msc_mailbox_get_uid_validity (inbox), !=, validity);
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 2);
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 1));
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 2));

  {
    g_autoptr (MscMailbox) junk = get_mailbox (f, "Junk");
    g_autoptr (GBytes) bytes = g_bytes_new_static ("x", 1);

    g_assert_cmpuint (msc_mailbox_get_uid_validity (junk), ==, 7);
    g_assert_cmpuint (msc_mail_store_append (f->store, junk, bytes, 0, NULL, NULL, &error), ==, 0);
    g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_UIDS_EXHAUSTED);
  }
}

static void
test_housekeeping (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *trash = g_build_filename (f->root, ".msc-trash", "left-over", "cur", NULL);
  g_autofree char *old_tmp = g_build_filename (f->home, "tmp", "1.old.host", NULL);
  g_autofree char *fresh_tmp = g_build_filename (f->home, "tmp", "2.fresh.host", NULL);
  g_autofree char *stray = g_build_filename (f->root, "lost+found", NULL);
  g_autofree char *bare = g_build_filename (f->root, "example.com", "bare", "new", NULL);
  g_autofree char *bare_mail = g_build_filename (bare, "1.M1.host", NULL);
  g_autofree char *readme = g_build_filename (f->root, "README", NULL);
  struct utimbuf long_ago = { 1000, 1000 };
  g_auto (GStrv) domains = NULL;
  g_autoptr (MscMailbox) bare_inbox = NULL;

  close_store (f);

  g_assert_cmpint (g_mkdir_with_parents (trash, 0700), ==, 0);
  write_text (old_tmp, "half a delivery");
  g_assert_cmpint (g_utime (old_tmp, &long_ago), ==, 0);
  write_text (fresh_tmp, "a delivery in progress");
  g_assert_cmpint (g_mkdir (stray, 0700), ==, 0);
  write_text (readme, "not a domain");
  /* A plain Maildir someone made by hand: adopted, but no login. */
  g_assert_cmpint (g_mkdir_with_parents (bare, 0700), ==, 0);
  write_text (bare_mail, "hand made\n");

  open_store (f);

  g_assert_false (g_file_test (trash, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (old_tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh_tmp, G_FILE_TEST_EXISTS));

  domains = msc_mail_store_list_domains (f->store);
  g_assert_cmpstrv (domains, ((const char *[]) { "example.com", NULL }));

  g_assert_true (msc_directory_has_account (MSC_DIRECTORY (f->store), "bare@example.com"));
  g_assert_false (msc_directory_check_password (MSC_DIRECTORY (f->store), "bare@example.com", ""));
  bare_inbox = msc_mail_store_get_mailbox (f->store, "bare@example.com", "INBOX", NULL);
  g_assert_cmpuint (msc_mailbox_get_n_messages (bare_inbox), ==, 1);
}

static void
test_delete_is_gone (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (MscMailbox) junk = get_mailbox (f, "Junk");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->home, ".Junk", NULL);
  g_autofree char *trash = g_build_filename (f->root, ".msc-trash", NULL);
  g_autofree char *names = NULL;
  g_autofree char *home = g_build_filename (f->root, "example.com", "alice", NULL);

  append_text (f, junk, "spam\r\n");
  g_assert_true (msc_mail_store_delete_mailbox (f->store, junk, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  names = list_dir (trash);
  g_assert_cmpstr (names, ==, "");

  g_assert_true (msc_mail_store_remove_account (f->store, ALICE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (home, G_FILE_TEST_EXISTS));
  g_assert_true (msc_mail_store_remove_domain (f->store, "example.com", &error));
  g_assert_no_error (error);
  g_free (names);
  names = list_dir (f->root);
  g_assert_cmpstr (names, ==, ".mailscope-lock|.mailscope-uidvalidity|.msc-trash");
}

static void
test_one_writer (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MscMailStore) second = NULL;

  second = msc_mail_store_new_for_maildir (f->root, &error);
  g_assert_null (second);
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO);
  g_clear_error (&error);

  close_store (f);
  second = msc_mail_store_new_for_maildir (f->root, &error);
  g_assert_no_error (error);
  g_assert_true (msc_directory_has_account (MSC_DIRECTORY (second), ALICE));
  g_assert_finalize_object (g_steal_pointer (&second));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/maildir/folder-names", test_folder_names);
  g_test_add ("/msc/maildir/layout", Fixture, NULL, fixture_setup, test_layout, fixture_teardown);
  g_test_add ("/msc/maildir/flags-in-names", Fixture, NULL, fixture_setup, test_flags_in_names, fixture_teardown);
  g_test_add ("/msc/maildir/internal-date", Fixture, NULL, fixture_setup, test_internal_date, fixture_teardown);
  g_test_add ("/msc/maildir/external-files", Fixture, NULL, fixture_setup, test_external_files, fixture_teardown);
  g_test_add ("/msc/maildir/renamed-behind-our-back", Fixture, NULL, fixture_setup, test_renamed_behind_our_back, fixture_teardown);
  g_test_add ("/msc/maildir/chinese-on-disk", Fixture, NULL, fixture_setup, test_chinese_on_disk, fixture_teardown);
  g_test_add ("/msc/maildir/damaged-uidlist", Fixture, NULL, fixture_setup, test_damaged_uidlist, fixture_teardown);
  g_test_add ("/msc/maildir/housekeeping", Fixture, NULL, fixture_setup, test_housekeeping, fixture_teardown);
  g_test_add ("/msc/maildir/delete-is-gone", Fixture, NULL, fixture_setup, test_delete_is_gone, fixture_teardown);
  g_test_add ("/msc/maildir/one-writer", Fixture, NULL, fixture_setup, test_one_writer, fixture_teardown);

  return g_test_run ();
}
