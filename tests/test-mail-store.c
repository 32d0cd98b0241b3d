/* test-mail-store.c — the store's behaviour, run against every backend
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "msc-mail-store.h"
#include "msc-maildir.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"

typedef struct
{
  const char   *backend;   /* "memory" or "maildir" */
  char         *root;
  MscMailStore *store;
  GPtrArray    *events;    /* what the signals said, as text */
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

static GBytes *
bytes_from_string (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static guint32
append_text (MscMailStore *store,
             MscMailbox   *mailbox,
             const char   *text)
{
  g_autoptr (GBytes) data = bytes_from_string (text);
  g_autoptr (GError) error = NULL;
  guint32 uid;

  uid = msc_mail_store_append (store, mailbox, data, MSC_MESSAGE_FLAG_NONE,
                               NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uid, >, 0);

  return uid;
}

static MscMailbox *
get_mailbox (Fixture    *f,
             const char *address,
             const char *name)
{
  g_autoptr (GError) error = NULL;
  MscMailbox *mailbox;

  mailbox = msc_mail_store_get_mailbox (f->store, address, name, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mailbox);

  return mailbox;
}

static void
record (Fixture *f,
        char    *event)
{
  g_ptr_array_add (f->events, event);
}

static void
on_message_added_cb (MscMailStore *store,
                     MscMailbox   *mailbox,
                     MscMessage   *message,
                     Fixture      *f)
{
  g_assert_true (MSC_IS_MAILBOX (mailbox));
  /* Emitted after the commit: the message is already there. */
  g_assert_true (msc_mailbox_lookup_uid (mailbox, msc_message_get_uid (message)) == message);
  record (f, g_strdup_printf ("added %s %u", msc_mailbox_get_name (mailbox),
                              msc_message_get_uid (message)));
}

static void
on_message_expunged_cb (MscMailStore *store,
                        MscMailbox   *mailbox,
                        MscMessage   *message,
                        Fixture      *f)
{
  g_assert_null (msc_mailbox_lookup_uid (mailbox, msc_message_get_uid (message)));
  record (f, g_strdup_printf ("expunged %s %u", msc_mailbox_get_name (mailbox),
                              msc_message_get_uid (message)));
}

static void
on_flags_changed_cb (MscMailStore *store,
                     MscMailbox   *mailbox,
                     MscMessage   *message,
                     Fixture      *f)
{
  g_autofree char *keywords = g_strjoinv (",", (char **) msc_message_get_keywords (message));

  record (f, g_strdup_printf ("flags %s %u %#x [%s]", msc_mailbox_get_name (mailbox),
                              msc_message_get_uid (message),
                              msc_message_get_flags (message), keywords));
}

static void
on_mailbox_created_cb (MscMailStore *store,
                       MscMailbox   *mailbox,
                       Fixture      *f)
{
  record (f, g_strdup_printf ("created %s", msc_mailbox_get_name (mailbox)));
}

static void
on_mailbox_deleted_cb (MscMailStore *store,
                       MscMailbox   *mailbox,
                       Fixture      *f)
{
  record (f, g_strdup_printf ("deleted %s", msc_mailbox_get_name (mailbox)));
}

static void
on_mailbox_renamed_cb (MscMailStore *store,
                       MscMailbox   *mailbox,
                       const char   *old_name,
                       Fixture      *f)
{
  record (f, g_strdup_printf ("renamed %s %s", old_name, msc_mailbox_get_name (mailbox)));
}

static void
on_account_cb (MscMailStore *store,
               const char   *address,
               Fixture      *f)
{
  record (f, g_strdup_printf ("account %s", address));
}

/* Everything recorded since the last call, one event per line. */
static char *
take_events (Fixture *f)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < f->events->len; i++)
    {
      g_string_append (out, g_ptr_array_index (f->events, i));
      g_string_append_c (out, '\n');
    }
  g_ptr_array_set_size (f->events, 0);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
connect_signals (Fixture *f)
{
  g_signal_connect (f->store, "message-added", G_CALLBACK (on_message_added_cb), f);
  g_signal_connect (f->store, "message-expunged", G_CALLBACK (on_message_expunged_cb), f);
  g_signal_connect (f->store, "flags-changed", G_CALLBACK (on_flags_changed_cb), f);
  g_signal_connect (f->store, "mailbox-created", G_CALLBACK (on_mailbox_created_cb), f);
  g_signal_connect (f->store, "mailbox-deleted", G_CALLBACK (on_mailbox_deleted_cb), f);
  g_signal_connect (f->store, "mailbox-renamed", G_CALLBACK (on_mailbox_renamed_cb), f);
  g_signal_connect (f->store, "account-added", G_CALLBACK (on_account_cb), f);
  g_signal_connect (f->store, "account-removed", G_CALLBACK (on_account_cb), f);
}

static void
open_store (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  if (f->root != NULL)
    f->store = msc_mail_store_new_for_maildir (f->root, &error);
  else
    f->store = msc_mail_store_new ();

  g_assert_no_error (error);
  g_assert_nonnull (f->store);
  msc_mail_store_set_password_iterations (f->store, 1000);
  connect_signals (f);
}

/* Maildir: close and open the same root, which must give back the same
 * world.  Memory: nothing to do. */
static void
reopen_store (Fixture *f)
{
  if (f->root == NULL)
    return;

  g_assert_finalize_object (g_steal_pointer (&f->store));
  open_store (f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->backend = data;
  f->events = g_ptr_array_new_with_free_func (g_free);

  if (g_str_equal (f->backend, "maildir"))
    {
      f->root = g_dir_make_tmp ("msc-store-XXXXXX", &error);
      g_assert_no_error (error);
    }

  open_store (f);

  g_assert_true (msc_mail_store_add_domain (f->store, "example.com", &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_add_account (f->store, "Alice@Example.com",
                                             "Alice Example", "alice-secret",
                                             &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_add_account (f->store, BOB, "Bob", "bob-secret",
                                             &error));
  g_assert_no_error (error);

  g_free (take_events (f));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));

  if (f->root != NULL)
    {
      g_assert_true (remove_tree (f->root));
      g_free (f->root);
    }

  g_ptr_array_unref (f->events);
}

static void
test_accounts (Fixture       *f,
               gconstpointer  data)
{
  MscDirectory *directory = MSC_DIRECTORY (f->store);
  g_autoptr (GPtrArray) mailboxes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *display_name = NULL;
  g_auto (GStrv) accounts = NULL;
  static const struct {
    const char    *name;
    MscSpecialUse  use;
  } expected[] = {
    { "INBOX", MSC_SPECIAL_USE_NONE },
    { "Drafts", MSC_SPECIAL_USE_DRAFTS },
    { "Junk", MSC_SPECIAL_USE_JUNK },
    { "Sent", MSC_SPECIAL_USE_SENT },
    { "Trash", MSC_SPECIAL_USE_TRASH },
  };

  mailboxes = msc_mail_store_list_mailboxes (f->store, "ALICE@EXAMPLE.COM", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mailboxes->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      MscMailbox *mailbox = g_ptr_array_index (mailboxes, i);

      g_assert_cmpstr (msc_mailbox_get_name (mailbox), ==, expected[i].name);
      g_assert_cmpint (msc_mailbox_get_special_use (mailbox), ==, expected[i].use);
      g_assert_cmpstr (msc_mailbox_get_account (mailbox), ==, ALICE);
      g_assert_cmpuint (msc_mailbox_get_uid_next (mailbox), ==, 1);
      g_assert_cmpuint (msc_mailbox_get_uid_validity (mailbox), >, 0);
    }

  /* Case folds for lookups; the address is kept as given. */
  g_assert_true (msc_mail_store_lookup_account (f->store, "aLiCe@eXaMpLe.CoM",
                                                &address, &display_name));
  g_assert_cmpstr (address, ==, "Alice@Example.com");
  g_assert_cmpstr (display_name, ==, "Alice Example");
  accounts = msc_mail_store_list_accounts (f->store, "EXAMPLE.COM");
  g_assert_cmpuint (g_strv_length (accounts), ==, 2);
  g_assert_cmpstr (accounts[0], ==, "Alice@Example.com");
  g_assert_cmpstr (accounts[1], ==, BOB);

  g_assert_true (msc_directory_is_local_domain (directory, "example.com"));
  g_assert_true (msc_directory_is_local_domain (directory, "EXAMPLE.com."));
  g_assert_false (msc_directory_is_local_domain (directory, "example.org"));
  g_assert_false (msc_directory_is_local_domain (directory, "exa mple.com"));
  g_assert_true (msc_directory_has_account (directory, "ALICE@example.COM"));
  g_assert_false (msc_directory_has_account (directory, "carol@example.com"));
  g_assert_false (msc_directory_has_account (directory, "alice"));
  g_assert_true (msc_directory_check_password (directory, "alice@EXAMPLE.com", "alice-secret"));
  g_assert_false (msc_directory_check_password (directory, ALICE, "Alice-secret"));
  g_assert_false (msc_directory_check_password (directory, ALICE, "bob-secret"));
  g_assert_false (msc_directory_check_password (directory, "carol@example.com", "x"));

  g_assert_true (msc_mail_store_set_password (f->store, ALICE, "new secret", &error));
  g_assert_no_error (error);
  g_assert_false (msc_directory_check_password (directory, ALICE, "alice-secret"));
  g_assert_true (msc_directory_check_password (directory, ALICE, "new secret"));

  g_assert_false (msc_mail_store_add_account (f->store, "ALICE@example.com", NULL, "x", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_ACCOUNT_EXISTS);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_add_account (f->store, "carol@example.org", NULL, "x", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_DOMAIN);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_add_account (f->store, "carol@example.com", NULL, "", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_PASSWORD);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_remove_domain (f->store, "example.com", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_DOMAIN_NOT_EMPTY);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_add_domain (f->store, "Example.COM", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_DOMAIN_EXISTS);
  g_clear_error (&error);

  g_assert_true (msc_mail_store_remove_account (f->store, BOB, &error));
  g_assert_no_error (error);
  g_assert_false (msc_directory_has_account (directory, BOB));
  g_assert_false (msc_mail_store_remove_account (f->store, BOB, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);
  g_clear_error (&error);

  reopen_store (f);
  directory = MSC_DIRECTORY (f->store);
  g_assert_true (msc_directory_check_password (directory, ALICE, "new secret"));
  g_assert_false (msc_directory_has_account (directory, BOB));
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  static const char * const bad_addresses[] = {
    "", "alice", "@example.com", "alice@", ".hidden@example.com",
    "a/b@example.com", "al\x01ice@example.com", "\xff\xfe@example.com",
    "alice@exa mple.com", "alice@exa/mple.com", "alice@.example.com",
    "alice@example..com", "alice@[1.2.3.4", "alice@\xe4\xbe",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
  };
  static const char * const bad_names[] = {
    "", "/", "a/", "/a", "a//b", "tab\there", "\xff", "new\nline",
  };
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (GError) error = NULL;
  const char *bad_keywords[] = { "ok", "not ok", NULL };
  guint32 uid = 42;

  for (guint i = 0; i < G_N_ELEMENTS (bad_addresses); i++)
    {
      g_test_message ("address %u", i);
      g_assert_false (msc_mail_store_add_account (f->store, bad_addresses[i], NULL, "x", &error));
      g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_ADDRESS);
      g_clear_error (&error);
      g_assert_false (msc_directory_has_account (MSC_DIRECTORY (f->store), bad_addresses[i]));
      g_assert_false (msc_directory_check_password (MSC_DIRECTORY (f->store), bad_addresses[i], "x"));
    }

  g_assert_false (msc_mail_store_add_account (f->store, NULL, NULL, NULL, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_ADDRESS);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_add_domain (f->store, "bad domain", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_DOMAIN);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_autoptr (MscMailbox) mailbox = NULL;

      g_test_message ("name %u", i);
      mailbox = msc_mail_store_create_mailbox (f->store, ALICE, bad_names[i],
                                               MSC_SPECIAL_USE_NONE, &error);
      g_assert_null (mailbox);
      g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME);
      g_clear_error (&error);

      mailbox = msc_mail_store_get_mailbox (f->store, ALICE, bad_names[i], &error);
      g_assert_null (mailbox);
      g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX);
      g_clear_error (&error);
    }

  g_assert_null (msc_mail_store_get_mailbox (f->store, "nobody@example.com", "INBOX", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);
  g_clear_error (&error);

  {
    g_autoptr (GBytes) bytes = bytes_from_string ("x\r\n");

    g_assert_cmpuint (msc_mail_store_append (f->store, inbox, bytes, 0,
                                             bad_keywords, NULL, &error), ==, 0);
    g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_KEYWORD);
    g_clear_error (&error);
    g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 0);
    g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 1);
  }

  /* UIDs that are not there are skipped, as for an IMAP UID set. */
  g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1,
                                              MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_SEEN, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_expunge (f->store, inbox, &uid, 1, &error));
  g_assert_no_error (error);
  g_assert_null (msc_mailbox_lookup_uid (inbox, 0));
  g_assert_null (msc_mailbox_get_message (inbox, 7));

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==, "");
  }
}

static void
test_append (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "inbox");
  g_autoptr (GDateTime) date = g_date_time_new_utc (2026, 11, 26, 1, 30, 15.75);
  g_autoptr (GBytes) bytes = bytes_from_string ("Subject: third\r\n\r\nbody\r\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  MscMailboxStatus status;
  MscMessage *message;
  guint32 uid;
  guint32 uid_validity;

  g_assert_cmpstr (msc_mailbox_get_name (inbox), ==, "INBOX");
  g_assert_true (msc_mailbox_is_inbox (inbox));

  g_assert_cmpuint (append_text (f->store, inbox, "Subject: one\r\n\r\n1\r\n"), ==, 1);
  g_assert_cmpuint (append_text (f->store, inbox, "Subject: two\r\n\r\n2\r\n"), ==, 2);
  uid = msc_mail_store_append (f->store, inbox, bytes,
                               MSC_MESSAGE_FLAG_SEEN | MSC_MESSAGE_FLAG_FLAGGED,
                               (const char *[]) { "$Forwarded", "Work", "work", NULL },
                               date, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, 3);
  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 4);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==, "added INBOX 1\nadded INBOX 2\nadded INBOX 3\n");
  }

  msc_mailbox_get_status (inbox, &status);
  g_assert_cmpuint (status.messages, ==, 3);
  g_assert_cmpuint (status.recent, ==, 3);
  g_assert_cmpuint (status.unseen, ==, 2);
  g_assert_cmpuint (status.uid_next, ==, 4);
  uid_validity = status.uid_validity;

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");

  g_assert_cmpuint (msc_mailbox_get_uid_validity (inbox), ==, uid_validity);
  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (inbox)), ==, 3);

  list = msc_mailbox_list_messages (inbox);
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpuint (msc_message_get_uid (g_ptr_array_index (list, i)), ==, i + 1);

  message = msc_mailbox_lookup_uid (inbox, 3);
  g_assert_nonnull (message);
  g_assert_true (g_bytes_equal (msc_message_get_data (message), bytes));
  g_assert_cmpuint (msc_message_get_size (message), ==, g_bytes_get_size (bytes));
  g_assert_cmpint (msc_message_get_flags (message), ==,
                   MSC_MESSAGE_FLAG_SEEN | MSC_MESSAGE_FLAG_FLAGGED);
  g_assert_cmpuint (g_strv_length ((char **) msc_message_get_keywords (message)), ==, 2);
  g_assert_true (msc_message_has_keyword (message, "$forwarded"));
  g_assert_true (msc_message_has_keyword (message, "WORK"));
  /* Internal dates are kept to the second. */
  g_assert_cmpint (g_date_time_to_unix (msc_message_get_internal_date (message)), ==,
                   g_date_time_to_unix (date));
  g_assert_cmpint (g_date_time_get_microsecond (msc_message_get_internal_date (message)), ==, 0);

  message = msc_mailbox_lookup_uid (inbox, 1);
  g_assert_true (msc_message_get_recent (message));
  g_assert_cmpint (msc_message_get_flags (message), ==, 0);
  g_assert_null (msc_mailbox_lookup_uid (inbox, 4));

  uid = msc_mail_store_deliver (f->store, "ALICE@example.com", bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, 4);
  g_assert_cmpuint (msc_mail_store_deliver (f->store, "nobody@example.com", bytes, &error), ==, 0);
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);
}

/* A lesson delivers on its virtual clock: the INBOX must show that time,
 * not the machine's, and keep it across a reopen. */
static void
test_deliver_at (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = NULL;
  g_autoptr (GDateTime) date = g_date_time_new_utc (2001, 9, 9, 1, 46, 40);
  g_autoptr (GBytes) bytes = bytes_from_string ("Subject: then\r\n\r\nbody\r\n");
  g_autoptr (GError) error = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  MscMessage *message;

  g_assert_cmpuint (msc_mail_store_deliver_at (f->store, ALICE, bytes, date, &error), ==, 1);
  g_assert_no_error (error);
  /* NULL is now, as with msc_mail_store_deliver(). */
  g_assert_cmpuint (msc_mail_store_deliver_at (f->store, ALICE, bytes, NULL, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpuint (msc_mail_store_deliver_at (f->store, "nobody@example.com", bytes, date, &error), ==, 0);
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT);

  reopen_store (f);
  inbox = get_mailbox (f, ALICE, "INBOX");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 2);

  message = msc_mailbox_lookup_uid (inbox, 1);
  g_assert_nonnull (message);
  g_assert_true (g_bytes_equal (msc_message_get_data (message), bytes));
  g_assert_cmpint (g_date_time_to_unix (msc_message_get_internal_date (message)), ==, 1000000000);
  g_assert_cmpint (msc_message_get_flags (message), ==, 0);

  message = msc_mailbox_lookup_uid (inbox, 2);
  g_assert_nonnull (message);
  g_assert_cmpint (g_date_time_to_unix (msc_message_get_internal_date (message)), >=, before);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static char *
testdata_dir (void)
{
  const char *dir = g_getenv ("MSC_TESTDATA_DIR");

  if (dir != NULL)
    return g_strdup (dir);

  return g_test_build_filename (G_TEST_DIST, "..", "..", "shared", "testdata",
                                "messages", NULL);
}

static void
test_testdata (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *dir_path = testdata_dir ();
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (MscMailbox) inbox = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    {
      g_test_skip_printf ("No test messages in %s (set MSC_TESTDATA_DIR)", dir_path);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".eml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_assert_cmpuint (names->len, >=, 8);

  inbox = get_mailbox (f, ALICE, "INBOX");
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      gsize len;
      guint32 uid;

      g_assert_true (g_file_get_contents (path, &text, &len, &error));
      g_assert_no_error (error);
      g_ptr_array_add (contents, g_bytes_new (text, len));

      uid = msc_mail_store_append (f->store, inbox, g_ptr_array_index (contents, i),
                                   MSC_MESSAGE_FLAG_NONE, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (uid, ==, i + 1);
    }

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");

  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      MscMessage *message = msc_mailbox_lookup_uid (inbox, i + 1);
      gsize len;
      const char *got = g_bytes_get_data (msc_message_get_data (message), &len);
      const char *want = g_bytes_get_data (g_ptr_array_index (contents, i), NULL);

      g_test_message ("%s", (const char *) g_ptr_array_index (names, i));
      g_assert_cmpmem (got, len, want, g_bytes_get_size (g_ptr_array_index (contents, i)));
    }
}

static void
test_flags (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (GError) error = NULL;
  guint32 all[] = { 1, 2, 3 };
  guint32 two[] = { 2 };
  MscMessage *message;

  for (guint i = 0; i < 3; i++)
    append_text (f->store, inbox, "Subject: x\r\n\r\nx\r\n");
  g_free (take_events (f));

  g_assert_true (msc_mail_store_update_flags (f->store, inbox, all, 3, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_SEEN, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_update_flags (f->store, inbox, two, 1, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_FLAGGED | MSC_MESSAGE_FLAG_ANSWERED,
                                              (const char *[]) { "Project", "$Label1", NULL },
                                              &error));
  g_assert_no_error (error);
  /* Changes nothing, so no signal. */
  g_assert_true (msc_mail_store_update_flags (f->store, inbox, two, 1, MSC_FLAGS_MODE_ADD,
                                              MSC_MESSAGE_FLAG_SEEN,
                                              (const char *[]) { "project", NULL },
                                              &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_update_flags (f->store, inbox, two, 1, MSC_FLAGS_MODE_REMOVE,
                                              MSC_MESSAGE_FLAG_SEEN,
                                              (const char *[]) { "$label1", NULL },
                                              &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_update_flags (f->store, inbox, all, 1, MSC_FLAGS_MODE_REPLACE,
                                              MSC_MESSAGE_FLAG_DELETED | MSC_MESSAGE_FLAG_DRAFT,
                                              NULL, &error));
  g_assert_no_error (error);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "flags INBOX 1 0x1 []\n"
                     "flags INBOX 2 0x1 []\n"
                     "flags INBOX 3 0x1 []\n"
                     "flags INBOX 2 0x7 [$Label1,Project]\n"
                     "flags INBOX 2 0x6 [Project]\n"
                     "flags INBOX 1 0x18 []\n");
  }

  g_assert_false (msc_mail_store_update_flags (f->store, inbox, two, 1, MSC_FLAGS_MODE_ADD,
                                               0, (const char *[]) { "\\Seen", NULL },
                                               &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_KEYWORD);
  g_clear_error (&error);

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");

  message = msc_mailbox_lookup_uid (inbox, 1);
  g_assert_cmpint (msc_message_get_flags (message), ==,
                   MSC_MESSAGE_FLAG_DELETED | MSC_MESSAGE_FLAG_DRAFT);
  message = msc_mailbox_lookup_uid (inbox, 2);
  g_assert_cmpint (msc_message_get_flags (message), ==,
                   MSC_MESSAGE_FLAG_FLAGGED | MSC_MESSAGE_FLAG_ANSWERED);
  g_assert_cmpstrv (msc_message_get_keywords (message), ((const char *[]) { "Project", NULL }));
  message = msc_mailbox_lookup_uid (inbox, 3);
  g_assert_cmpint (msc_message_get_flags (message), ==, MSC_MESSAGE_FLAG_SEEN);

  /* Every keyword ever used stays defined, for IMAP's FLAGS. */
  g_assert_cmpuint (g_strv_length ((char **) msc_mailbox_get_keywords (inbox)), ==, 2);
}

static void
test_too_many_keywords (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (GError) error = NULL;
  guint32 uid;

  uid = append_text (f->store, inbox, "x\r\n");

  for (guint i = 0; i < MSC_MAIL_STORE_MAX_KEYWORDS; i++)
    {
      g_autofree char *keyword = g_strdup_printf ("k%u", i);

      g_assert_true (msc_mail_store_update_flags (f->store, inbox, &uid, 1,
                                                  MSC_FLAGS_MODE_ADD, 0,
                                                  (const char *[]) { keyword, NULL },
                                                  &error));
      g_assert_no_error (error);
    }

  g_assert_false (msc_mail_store_update_flags (f->store, inbox, &uid, 1,
                                               MSC_FLAGS_MODE_ADD, 0,
                                               (const char *[]) { "one-too-many", NULL },
                                               &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_TOO_MANY_KEYWORDS);

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");
  g_assert_cmpuint (g_strv_length ((char **) msc_message_get_keywords (msc_mailbox_lookup_uid (inbox, uid))),
                    ==, MSC_MAIL_STORE_MAX_KEYWORDS);
}

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Fixture    *f)
{
  record (f, g_strdup_printf ("items %u -%u +%u", position, removed, added));
}

static void
test_expunge (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (GError) error = NULL;
  guint32 doomed[] = { 4, 2, 2, 99 };

  for (guint i = 0; i < 5; i++)
    append_text (f->store, inbox, "x\r\n");
  g_free (take_events (f));

  g_signal_connect (inbox, "items-changed", G_CALLBACK (on_items_changed_cb), f);
  g_assert_true (msc_mail_store_expunge (f->store, inbox, doomed, G_N_ELEMENTS (doomed), &error));
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_func (inbox, on_items_changed_cb, f);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "items 1 -1 +0\n"
                     "items 2 -1 +0\n"
                     "expunged INBOX 2\n"
                     "expunged INBOX 4\n");
  }

  /* Positions (sequence numbers) close up; UIDs do not change. */
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 3);
  g_assert_cmpuint (msc_message_get_uid (msc_mailbox_get_message (inbox, 0)), ==, 1);
  g_assert_cmpuint (msc_message_get_uid (msc_mailbox_get_message (inbox, 1)), ==, 3);
  g_assert_cmpuint (msc_message_get_uid (msc_mailbox_get_message (inbox, 2)), ==, 5);
  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 6);

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");

  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 3);
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 3));
  g_assert_null (msc_mailbox_lookup_uid (inbox, 4));
  /* Expunge the last one: its UID is still never given again. */
  doomed[0] = 5;
  g_assert_true (msc_mail_store_expunge (f->store, inbox, doomed, 1, &error));
  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");
  g_assert_cmpuint (append_text (f->store, inbox, "y\r\n"), ==, 6);
}

static void
test_copy_move (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (MscMailbox) trash = NULL;
  g_autoptr (GDateTime) date = g_date_time_new_utc (2020, 2, 29, 12, 0, 0);
  g_autoptr (GBytes) bytes = bytes_from_string ("Subject: flagged\r\n\r\n!\r\n");
  g_autoptr (GArray) pairs = NULL;
  g_autoptr (GError) error = NULL;
  guint32 some[] = { 3, 1, 77 };
  guint32 none[] = { 77 };
  MscMessage *copy;

  trash = msc_mail_store_get_special_mailbox (f->store, ALICE, MSC_SPECIAL_USE_TRASH, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (msc_mailbox_get_name (trash), ==, "Trash");

  append_text (f->store, inbox, "one\r\n");
  append_text (f->store, inbox, "two\r\n");
  g_assert_cmpuint (msc_mail_store_append (f->store, inbox, bytes, MSC_MESSAGE_FLAG_SEEN,
                                           (const char *[]) { "Work", NULL }, date, &error),
                    ==, 3);
  append_text (f->store, trash, "already in the trash\r\n");
  g_assert_no_error (error);
  g_free (take_events (f));

  pairs = msc_mail_store_copy (f->store, inbox, some, G_N_ELEMENTS (some), trash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pairs->len, ==, 2);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 0).source, ==, 1);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 0).target, ==, 2);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 1).source, ==, 3);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 1).target, ==, 3);
  g_clear_pointer (&pairs, g_array_unref);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==, "added Trash 2\nadded Trash 3\n");
  }

  /* The copy keeps flags, keywords and internal date, and is recent. */
  copy = msc_mailbox_lookup_uid (trash, 3);
  g_assert_cmpint (msc_message_get_flags (copy), ==, MSC_MESSAGE_FLAG_SEEN);
  g_assert_true (msc_message_has_keyword (copy, "Work"));
  g_assert_true (g_date_time_equal (msc_message_get_internal_date (copy), date));
  g_assert_true (g_bytes_equal (msc_message_get_data (copy), bytes));
  g_assert_true (msc_message_get_recent (copy));
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 3);

  pairs = msc_mail_store_move (f->store, inbox, some, G_N_ELEMENTS (some), trash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pairs->len, ==, 2);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 0).source, ==, 1);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 0).target, ==, 4);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 1).source, ==, 3);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 1).target, ==, 5);
  g_clear_pointer (&pairs, g_array_unref);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "added Trash 4\nadded Trash 5\n"
                     "expunged INBOX 1\nexpunged INBOX 3\n");
  }

  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);
  g_assert_cmpuint (msc_mailbox_get_n_messages (trash), ==, 5);

  /* No UID matched: an empty mapping, not an error. */
  pairs = msc_mail_store_move (f->store, inbox, none, 1, trash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pairs->len, ==, 0);
  g_clear_pointer (&pairs, g_array_unref);

  /* Within one mailbox: new UIDs. */
  pairs = msc_mail_store_move (f->store, trash, (guint32[]) { 5 }, 1, trash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_array_index (pairs, MscUidPair, 0).target, ==, 6);
  g_clear_pointer (&pairs, g_array_unref);

  reopen_store (f);
  g_clear_object (&inbox);
  g_clear_object (&trash);
  inbox = get_mailbox (f, ALICE, "INBOX");
  trash = get_mailbox (f, ALICE, "Trash");

  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);
  g_assert_nonnull (msc_mailbox_lookup_uid (inbox, 2));
  g_assert_cmpuint (msc_mailbox_get_n_messages (trash), ==, 5);
  copy = msc_mailbox_lookup_uid (trash, 6);
  g_assert_nonnull (copy);
  g_assert_true (g_bytes_equal (msc_message_get_data (copy), bytes));
  g_assert_cmpint (msc_message_get_flags (copy), ==, MSC_MESSAGE_FLAG_SEEN);
  g_assert_true (msc_message_has_keyword (copy, "work"));
  g_assert_cmpint (g_date_time_to_unix (msc_message_get_internal_date (copy)), ==,
                   g_date_time_to_unix (date));
  g_assert_cmpuint (msc_mailbox_get_uid_next (trash), ==, 7);
}

static void
test_recent (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (GArray) taken = NULL;
  g_autoptr (GError) error = NULL;
  MscMailboxStatus status;

  append_text (f->store, inbox, "a\r\n");
  append_text (f->store, inbox, "b\r\n");

  taken = msc_mail_store_take_recent (f->store, inbox, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (taken->len, ==, 2);
  g_assert_cmpuint (g_array_index (taken, guint32, 0), ==, 1);
  g_assert_cmpuint (g_array_index (taken, guint32, 1), ==, 2);
  g_clear_pointer (&taken, g_array_unref);

  append_text (f->store, inbox, "c\r\n");
  g_free (take_events (f));

  reopen_store (f);
  g_clear_object (&inbox);
  inbox = get_mailbox (f, ALICE, "INBOX");

  msc_mailbox_get_status (inbox, &status);
  g_assert_cmpuint (status.recent, ==, 1);
  g_assert_cmpuint (status.unseen, ==, 3);

  /* The second session gets nothing. */
  taken = msc_mail_store_take_recent (f->store, inbox, &error);
  g_assert_cmpuint (taken->len, ==, 1);
  g_assert_cmpuint (g_array_index (taken, guint32, 0), ==, 3);
  g_clear_pointer (&taken, g_array_unref);
  taken = msc_mail_store_take_recent (f->store, inbox, &error);
  g_assert_cmpuint (taken->len, ==, 0);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==, "");
  }
}

static void
test_mailboxes (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (MscMailbox) sent = NULL;
  g_autoptr (MscMailbox) project = NULL;
  g_autoptr (MscMailbox) year = NULL;
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (MscMailbox) again = NULL;
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  guint32 validity;
  static const char * const odd_names[] = {
    "v1.2", "a\\b", "~home", "&amp;", "Ünïcödé", "..", "INBOX/child", "emoji 📬",
  };

  sent = msc_mail_store_create_mailbox (f->store, ALICE, "已发送", MSC_SPECIAL_USE_SENT, &error);
  g_assert_no_error (error);
  year = msc_mail_store_create_mailbox (f->store, ALICE, "项目/二〇二六", MSC_SPECIAL_USE_NONE, &error);
  g_assert_no_error (error);
  append_text (f->store, year, "2026\r\n");

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "created 已发送\ncreated 项目\ncreated 项目/二〇二六\nadded 项目/二〇二六 1\n");
  }

  for (guint i = 0; i < G_N_ELEMENTS (odd_names); i++)
    {
      g_autoptr (MscMailbox) odd = NULL;

      odd = msc_mail_store_create_mailbox (f->store, ALICE, odd_names[i], 0, &error);
      g_assert_no_error (error);
      append_text (f->store, odd, odd_names[i]);
    }
  g_free (take_events (f));

  g_assert_null (msc_mail_store_create_mailbox (f->store, ALICE, "项目", 0, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS);
  g_clear_error (&error);
  g_assert_null (msc_mail_store_create_mailbox (f->store, ALICE, "inbox", 0, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_delete_mailbox (f->store, inbox, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_CANNOT_DELETE_INBOX);
  g_clear_error (&error);

  project = get_mailbox (f, ALICE, "项目");
  g_assert_false (msc_mail_store_delete_mailbox (f->store, project, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_HAS_CHILDREN);
  g_clear_error (&error);

  g_assert_false (msc_mail_store_rename_mailbox (f->store, project, "项目/内部", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME);
  g_clear_error (&error);
  g_assert_false (msc_mail_store_rename_mailbox (f->store, project, "Sent", &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS);
  g_clear_error (&error);

  validity = msc_mailbox_get_uid_validity (year);
  g_assert_true (msc_mail_store_rename_mailbox (f->store, project, "Archive/Projects", &error));
  g_assert_no_error (error);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "created Archive\n"
                     "renamed 项目 Archive/Projects\n"
                     "renamed 项目/二〇二六 Archive/Projects/二〇二六\n");
  }

  /* Same objects, same UIDVALIDITY and messages. */
  g_assert_cmpstr (msc_mailbox_get_name (year), ==, "Archive/Projects/二〇二六");
  g_assert_cmpuint (msc_mailbox_get_uid_validity (year), ==, validity);
  g_assert_cmpuint (msc_mailbox_get_n_messages (year), ==, 1);

  list = msc_mail_store_list_mailboxes (f->store, ALICE, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GString) names = g_string_new (NULL);

    for (guint i = 0; i < list->len; i++)
      g_string_append_printf (names, "%s|", msc_mailbox_get_name (g_ptr_array_index (list, i)));
    g_assert_cmpstr (names->str, ==,
                     "INBOX|INBOX/child|&amp;|..|Archive|Archive/Projects|"
                     "Archive/Projects/二〇二六|Drafts|Junk|Sent|Trash|a\\b|"
                     "emoji 📬|v1.2|~home|Ünïcödé|已发送|");
  }
  g_clear_pointer (&list, g_ptr_array_unref);

  reopen_store (f);
  g_clear_object (&inbox);
  g_clear_object (&sent);
  g_clear_object (&year);
  g_clear_object (&project);

  sent = get_mailbox (f, ALICE, "已发送");
  g_assert_cmpint (msc_mailbox_get_special_use (sent), ==, MSC_SPECIAL_USE_SENT);
  year = get_mailbox (f, ALICE, "Archive/Projects/二〇二六");
  g_assert_cmpuint (msc_mailbox_get_uid_validity (year), ==, validity);
  g_assert_cmpuint (msc_mailbox_get_n_messages (year), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (odd_names); i++)
    {
      g_autoptr (MscMailbox) odd = get_mailbox (f, ALICE, odd_names[i]);
      MscMessage *message = msc_mailbox_lookup_uid (odd, 1);

      g_assert_nonnull (message);
      g_assert_cmpmem (g_bytes_get_data (msc_message_get_data (message), NULL),
                       msc_message_get_size (message), odd_names[i], strlen (odd_names[i]));
    }

  /* Delete the child, then the parent; the objects go stale. */
  g_assert_true (msc_mail_store_delete_mailbox (f->store, year, &error));
  g_assert_no_error (error);
  project = get_mailbox (f, ALICE, "Archive/Projects");
  g_assert_true (msc_mail_store_delete_mailbox (f->store, project, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msc_mailbox_get_n_messages (year), ==, 0);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "deleted Archive/Projects/二〇二六\ndeleted Archive/Projects\n");
  }

  g_assert_cmpuint (msc_mail_store_append (f->store, year, empty, 0, NULL, NULL, &error),
                    ==, 0);
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX);
  g_clear_error (&error);
  g_assert_false (msc_mail_store_delete_mailbox (f->store, year, &error));
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX);
  g_clear_error (&error);

  /* A mailbox made again under an old name gets a new UIDVALIDITY. */
  again = msc_mail_store_create_mailbox (f->store, ALICE, "Archive/Projects/二〇二六", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msc_mailbox_get_uid_validity (again), >, validity);
  g_assert_cmpuint (msc_mailbox_get_n_messages (again), ==, 0);
  g_assert_cmpuint (msc_mailbox_get_uid_next (again), ==, 1);
}

static void
test_rename_inbox (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (MscMailbox) old_mail = NULL;
  g_autoptr (GError) error = NULL;

  append_text (f->store, inbox, "first\r\n");
  append_text (f->store, inbox, "second\r\n");
  g_free (take_events (f));

  g_assert_true (msc_mail_store_rename_mailbox (f->store, inbox, "Old/Mail", &error));
  g_assert_no_error (error);

  {
    g_autofree char *events = take_events (f);

    g_assert_cmpstr (events, ==,
                     "created Old\ncreated Old/Mail\n"
                     "added Old/Mail 1\nadded Old/Mail 2\n"
                     "expunged INBOX 1\nexpunged INBOX 2\n");
  }

  g_assert_cmpstr (msc_mailbox_get_name (inbox), ==, "INBOX");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 0);
  g_assert_cmpuint (msc_mailbox_get_uid_next (inbox), ==, 3);

  reopen_store (f);
  old_mail = get_mailbox (f, ALICE, "Old/Mail");
  g_assert_cmpuint (msc_mailbox_get_n_messages (old_mail), ==, 2);
}

static void
test_unicode_accounts (Fixture       *f,
                       gconstpointer  data)
{
  MscDirectory *directory = MSC_DIRECTORY (f->store);
  g_autoptr (MscMailbox) inbox = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) domains = NULL;

  g_assert_true (msc_mail_store_add_domain (f->store, "例子.中国", &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_add_account (f->store, "张三@例子.中国", "张三", "密码", &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_add_account (f->store, "lisi@example.com", "李四", "密码", &error));
  g_assert_no_error (error);

  /* The same domain in ACE form. */
  g_assert_true (msc_directory_is_local_domain (directory, "xn--fsqu00a.xn--fiqs8s"));
  g_assert_true (msc_directory_has_account (directory, "张三@XN--FSQU00A.xn--fiqs8s"));
  g_assert_true (msc_directory_check_password (directory, "张三@例子.中国", "密码"));
  g_assert_false (msc_directory_check_password (directory, "张三@例子.中国", "密碼"));
  g_assert_false (msc_directory_has_account (directory, "张四@例子.中国"));

  inbox = get_mailbox (f, "张三@例子.中国", "INBOX");
  g_assert_cmpstr (msc_mailbox_get_account (inbox), ==, "张三@例子.中国");
  append_text (f->store, inbox, "你好\r\n");

  reopen_store (f);
  directory = MSC_DIRECTORY (f->store);
  g_clear_object (&inbox);

  domains = msc_mail_store_list_domains (f->store);
  g_assert_cmpstrv (domains, ((const char *[]) { "example.com", "例子.中国", NULL }));
  g_assert_true (msc_directory_check_password (directory, "张三@例子.中国", "密码"));
  inbox = get_mailbox (f, "张三@例子.中国", "INBOX");
  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 1);

  g_assert_true (msc_mail_store_remove_account (f->store, "张三@例子.中国", &error));
  g_assert_no_error (error);
  g_assert_true (msc_mail_store_remove_domain (f->store, "例子.中国", &error));
  g_assert_no_error (error);
  g_assert_false (msc_directory_is_local_domain (directory, "例子.中国"));

  reopen_store (f);
  g_assert_false (msc_directory_is_local_domain (MSC_DIRECTORY (f->store), "例子.中国"));
  g_assert_true (msc_directory_has_account (MSC_DIRECTORY (f->store), "LISI@example.com"));
}

static void
on_added_move_to_junk_cb (MscMailStore *store,
                          MscMailbox   *mailbox,
                          MscMessage   *message,
                          gpointer      user_data)
{
  g_autoptr (MscMailbox) junk = NULL;
  g_autoptr (GArray) pairs = NULL;
  guint32 uid = msc_message_get_uid (message);

  if (!msc_mailbox_is_inbox (mailbox))
    return;

  /* A filter, as the simulation might run: from a handler, straight back
   * into the store. */
  junk = msc_mail_store_get_special_mailbox (store, msc_mailbox_get_account (mailbox),
                                             MSC_SPECIAL_USE_JUNK, NULL);
  pairs = msc_mail_store_move (store, mailbox, &uid, 1, junk, NULL);
  g_assert_nonnull (pairs);
}

static void
test_handler_reenters (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr (MscMailbox) inbox = get_mailbox (f, ALICE, "INBOX");
  g_autoptr (MscMailbox) junk = get_mailbox (f, ALICE, "Junk");
  g_autoptr (GBytes) bytes = bytes_from_string ("spam\r\n");

  g_signal_connect (f->store, "message-added", G_CALLBACK (on_added_move_to_junk_cb), NULL);
  g_assert_cmpuint (msc_mail_store_deliver (f->store, ALICE, bytes, NULL), ==, 1);
  g_signal_handlers_disconnect_by_func (f->store, on_added_move_to_junk_cb, NULL);

  g_assert_cmpuint (msc_mailbox_get_n_messages (inbox), ==, 0);
  g_assert_cmpuint (msc_mailbox_get_n_messages (junk), ==, 1);
}

/* A backend that fails when told to: the store must then be unchanged. */
#define TEST_TYPE_FAILING_BACKEND (test_failing_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestFailingBackend, test_failing_backend, TEST, FAILING_BACKEND, GObject)

struct _TestFailingBackend
{
  GObject  parent_instance;
  gboolean fail;
  guint    calls;
};

static gboolean
failing_step (TestFailingBackend  *self,
              GError             **error)
{
  self->calls++;
  if (!self->fail)
    return TRUE;

  g_set_error_literal (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO,
                       "No space left on device");
  return FALSE;
}

static gboolean
failing_load (MscStoreBackend *backend, GPtrArray **domains, GPtrArray **accounts, GError **error)
{
  *domains = g_ptr_array_new_with_free_func (g_free);
  *accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_store_backend_account_free);
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_domain (MscStoreBackend *backend, const char *domain, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_account (MscStoreBackend *backend, const char *account, const char *address,
                 const char *display_name, const char *hash, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_remove_account (MscStoreBackend *backend, const char *account, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_mailbox (MscStoreBackend *backend, MscMailbox *mailbox, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_rename (MscStoreBackend *backend, MscMailbox *mailbox, const char *name, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_append (MscStoreBackend *backend, MscMailbox *mailbox, MscMessage * const *messages,
                guint n, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_update (MscStoreBackend *backend, MscMailbox *mailbox, MscMessage *message,
                MscMessageFlags flags, const char * const *keywords, gboolean recent,
                GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_expunge (MscStoreBackend *backend, MscMailbox *mailbox, MscMessage * const *messages,
                 guint n, guint *done, GError **error)
{
  *done = 0;
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static gboolean
failing_move (MscStoreBackend *backend, MscMailbox *source, MscMessage * const *messages,
              MscMailbox *target, MscMessage * const *copies, guint n, GError **error)
{
  return failing_step (TEST_FAILING_BACKEND (backend), error);
}

static void
failing_iface_init (MscStoreBackendInterface *iface)
{
  iface->load = failing_load;
  iface->add_domain = failing_domain;
  iface->remove_domain = failing_domain;
  iface->add_account = failing_account;
  iface->update_account = failing_account;
  iface->remove_account = failing_remove_account;
  iface->create_mailbox = failing_mailbox;
  iface->delete_mailbox = failing_mailbox;
  iface->rename_mailbox = failing_rename;
  iface->append = failing_append;
  iface->update_message = failing_update;
  iface->expunge = failing_expunge;
  iface->move = failing_move;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFailingBackend, test_failing_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MSC_TYPE_STORE_BACKEND, failing_iface_init))

static void
test_failing_backend_class_init (TestFailingBackendClass *klass)
{
}

static void
test_failing_backend_init (TestFailingBackend *self)
{
}

static void
test_backend_failure (void)
{
  g_autoptr (TestFailingBackend) backend = g_object_new (TEST_TYPE_FAILING_BACKEND, NULL);
  g_autoptr (MscMailStore) store = NULL;
  g_autoptr (MscMailbox) inbox = NULL;
  g_autoptr (MscMailbox) trash = NULL;
  g_autoptr (GBytes) bytes = bytes_from_string ("x\r\n");
  g_autoptr (GArray) pairs = NULL;
  g_autoptr (GError) error = NULL;
  MscMailboxStatus before, after;
  guint32 uid = 1;

  store = msc_mail_store_new_with_backend (MSC_STORE_BACKEND (backend), &error);
  g_assert_no_error (error);
  msc_mail_store_set_password_iterations (store, 1000);
  g_assert_true (msc_mail_store_add_domain (store, "example.com", &error));
  g_assert_true (msc_mail_store_add_account (store, ALICE, NULL, "pw", &error));
  g_assert_no_error (error);
  inbox = msc_mail_store_get_mailbox (store, ALICE, "INBOX", &error);
  trash = msc_mail_store_get_mailbox (store, ALICE, "Trash", &error);
  g_assert_cmpuint (msc_mail_store_append (store, inbox, bytes, 0, NULL, NULL, &error), ==, 1);

  backend->fail = TRUE;
  msc_mailbox_get_status (inbox, &before);

  g_assert_cmpuint (msc_mail_store_append (store, inbox, bytes, 0, NULL, NULL, &error), ==, 0);
  g_assert_error (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (msc_mail_store_update_flags (store, inbox, &uid, 1, MSC_FLAGS_MODE_ADD,
                                               MSC_MESSAGE_FLAG_SEEN, NULL, &error));
  g_clear_error (&error);
  g_assert_false (msc_mail_store_expunge (store, inbox, &uid, 1, &error));
  g_clear_error (&error);
  pairs = msc_mail_store_move (store, inbox, &uid, 1, trash, &error);
  g_assert_null (pairs);
  g_clear_error (&error);
  g_assert_false (msc_mail_store_rename_mailbox (store, trash, "Bin", &error));
  g_clear_error (&error);
  g_assert_false (msc_mail_store_delete_mailbox (store, trash, &error));
  g_clear_error (&error);
  g_assert_false (msc_mail_store_add_account (store, BOB, NULL, NULL, &error));
  g_clear_error (&error);

  msc_mailbox_get_status (inbox, &after);
  g_assert_cmpmem (&before, sizeof before, &after, sizeof after);
  g_assert_cmpint (msc_message_get_flags (msc_mailbox_lookup_uid (inbox, 1)), ==, 0);
  g_assert_cmpuint (msc_mailbox_get_n_messages (trash), ==, 0);
  g_assert_cmpstr (msc_mailbox_get_name (trash), ==, "Trash");
  g_assert_false (msc_directory_has_account (MSC_DIRECTORY (store), BOB));
  g_assert_true (msc_directory_check_password (MSC_DIRECTORY (store), ALICE, "pw"));

  g_clear_object (&inbox);
  g_clear_object (&trash);
  g_assert_finalize_object (g_steal_pointer (&store));
  g_assert_finalize_object (g_steal_pointer (&backend));
}

static void
test_memory_is_deterministic (void)
{
  g_autoptr (MscMailStore) a = msc_mail_store_new ();
  g_autoptr (MscMailbox) inbox = NULL;

  msc_mail_store_set_password_iterations (a, 1000);
  g_assert_true (msc_mail_store_add_domain (a, "example.com", NULL));
  g_assert_true (msc_mail_store_add_account (a, ALICE, NULL, NULL, NULL));
  inbox = msc_mail_store_get_mailbox (a, ALICE, "INBOX", NULL);

  /* A lesson replays the same trace: UIDVALIDITY counts from 1. */
  g_assert_cmpuint (msc_mailbox_get_uid_validity (inbox), ==, 1);
  g_assert_false (msc_directory_check_password (MSC_DIRECTORY (a), ALICE, ""));
  g_clear_object (&inbox);
  g_assert_finalize_object (g_steal_pointer (&a));
}

static void
add_tests (const char *backend)
{
  static const struct {
    const char *name;
    void (*func) (Fixture *, gconstpointer);
  } tests[] = {
    { "accounts", test_accounts },
    { "bad-input", test_bad_input },
    { "append", test_append },
    { "deliver-at", test_deliver_at },
    { "testdata", test_testdata },
    { "flags", test_flags },
    { "too-many-keywords", test_too_many_keywords },
    { "expunge", test_expunge },
    { "copy-move", test_copy_move },
    { "recent", test_recent },
    { "mailboxes", test_mailboxes },
    { "rename-inbox", test_rename_inbox },
    { "unicode-accounts", test_unicode_accounts },
    { "handler-reenters", test_handler_reenters },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/msc/mail-store/%s/%s", backend, tests[i].name);

      g_test_add (path, Fixture, backend, fixture_setup, tests[i].func, fixture_teardown);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_tests ("memory");
  add_tests ("maildir");
  g_test_add_func ("/msc/mail-store/backend-failure", test_backend_failure);
  g_test_add_func ("/msc/mail-store/memory-is-deterministic", test_memory_is_deterministic);

  return g_test_run ();
}
