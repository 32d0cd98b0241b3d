/* msc-imap-server-mailbox.c — the IMAP server's mailbox commands:
 * SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST,
 * LSUB, STATUS, APPEND (RFC 3501 §6.3), CHECK, CLOSE, EXPUNGE, COPY
 * (§6.4), UNSELECT (RFC 3691), MOVE (RFC 6851), with UIDPLUS's codes
 * (RFC 4315), SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348) attributes
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-server"

#include "config.h"

#include <string.h>

#include "msc-imap-server-private.h"
#include "msc-mutf7.h"

/* The store's names: "/" between levels (RFC 3501 §5.1.1). */
#define DELIMITER '/'

static MscMailbox *
lookup_mailbox (MscImapServer *self,
                const char    *name)
{
  g_autoptr(GError) error = NULL;
  MscMailbox *mailbox = msc_mail_store_get_mailbox (self->store, self->user, name, &error);

  if (mailbox == NULL)
    g_debug ("%s: %s", name, error->message);

  return mailbox;
}

/* ---- SELECT and EXAMINE (§6.3.1, §6.3.2) ---- */

static void
select_mailbox (MscImapServer       *self,
                MscImapValue * const *args,
                guint                 n_args,
                gboolean              read_only)
{
  g_autofree char *name = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autofree char *code = NULL;
  g_autoptr(GString) text = NULL;
  guint n_recent = 0;

  if (n_args != 1)
    {
      _msc_imap_server_reply_bad (self, read_only ? "Syntax: EXAMINE mailbox" : "Syntax: SELECT mailbox");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  /* "The SELECT command automatically deselects any currently selected
   * mailbox before attempting the new selection.  Consequently, if a
   * mailbox is selected and a SELECT command that fails is attempted, no
   * mailbox is selected." */
  _msc_imap_server_deselect (self);

  mailbox = lookup_mailbox (self, name);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such mailbox");
      return;
    }

  _msc_imap_server_select (self, mailbox, read_only);

  /* The REQUIRED untagged responses, in the order of §8's sample. */
  _msc_imap_server_announce_flags (self, TRUE);
  _msc_imap_server_send_untagged (self, "EXISTS", TRUE, self->messages->len, NULL);
  for (guint i = 0; i < self->messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (self->messages, i);

      if (g_hash_table_contains (self->recent, GUINT_TO_POINTER (msc_message_get_uid (message))))
        n_recent++;
    }
  _msc_imap_server_send_untagged (self, "RECENT", TRUE, n_recent, NULL);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (self->messages, i);

      if (!(msc_message_get_flags (message) & MSC_MESSAGE_FLAG_SEEN))
        {
          g_autofree char *unseen = g_strdup_printf ("UNSEEN %u", i + 1);
          g_autofree char *line = g_strdup_printf ("Message %u is first unseen", i + 1);

          _msc_imap_server_send_untagged_status (self, "OK", unseen, line);
          break;
        }
    }

  code = g_strdup_printf ("UIDVALIDITY %u", msc_mailbox_get_uid_validity (mailbox));
  _msc_imap_server_send_untagged_status (self, "OK", code, "UIDs valid");
  g_free (code);
  code = g_strdup_printf ("UIDNEXT %u", msc_mailbox_get_uid_next (mailbox));
  _msc_imap_server_send_untagged_status (self, "OK", code, "Predicted next UID");

  /* §6.3.1: "[READ-WRITE]"; §6.3.2: EXAMINE "MUST begin with the
   * [READ-ONLY] response code". */
  _msc_imap_server_reply_ok (self, read_only ? "READ-ONLY" : "READ-WRITE");
}

void
_msc_imap_server_cmd_select (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  select_mailbox (self, args, n_args, FALSE);
}

void
_msc_imap_server_cmd_examine (MscImapServer       *self,
                              MscImapValue * const *args,
                              guint                 n_args)
{
  select_mailbox (self, args, n_args, TRUE);
}

/* ---- CREATE, DELETE, RENAME (§6.3.3–§6.3.5) ---- */

void
_msc_imap_server_cmd_create (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  g_autofree char *name = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  if (n_args != 1)
    {
      _msc_imap_server_reply_bad (self, "Syntax: CREATE mailbox");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  /* §6.3.3: a trailing delimiter only declares that the client means to
   * create names under it; "the name created is without the trailing
   * hierarchy delimiter".  Missing superiors are made by the store. */
  len = strlen (name);
  if (len > 1 && name[len - 1] == DELIMITER)
    name[len - 1] = '\0';

  mailbox = msc_mail_store_create_mailbox (self->store, self->user, name, MSC_SPECIAL_USE_NONE, &error);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_delete (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  g_autofree char *name = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;

  if (n_args != 1)
    {
      _msc_imap_server_reply_bad (self, "Syntax: DELETE mailbox");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  mailbox = lookup_mailbox (self, name);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such mailbox");
      return;
    }

  /* The store keeps a mailbox with children (§6.3.4 would turn it into a
   * \Noselect name; Dovecot refuses too). */
  if (!msc_mail_store_delete_mailbox (self->store, mailbox, &error))
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  /* This session deleted the mailbox it had selected: it is simply
   * closed, as Dovecot does, rather than the session ended. */
  if (mailbox == self->mailbox)
    _msc_imap_server_deselect (self);

  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_rename (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;

  if (n_args != 2)
    {
      _msc_imap_server_reply_bad (self, "Syntax: RENAME mailbox new-name");
      return;
    }

  from = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (from == NULL)
    return;
  to = _msc_imap_server_get_mailbox_arg (self, args[1]);
  if (to == NULL)
    return;

  mailbox = lookup_mailbox (self, from);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such mailbox");
      return;
    }

  /* Children follow, superiors are made, and renaming INBOX moves its
   * messages to the new name (§6.3.5): the store does all of it. */
  if (!msc_mail_store_rename_mailbox (self->store, mailbox, to, &error))
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- SUBSCRIBE, UNSUBSCRIBE (§6.3.6, §6.3.7) ---- */

void
_msc_imap_server_cmd_subscribe (MscImapServer       *self,
                                MscImapValue * const *args,
                                guint                 n_args)
{
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;

  if (n_args != 1)
    {
      _msc_imap_server_reply_bad (self, "Syntax: SUBSCRIBE mailbox");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  if (!msc_mail_store_subscribe (self->store, self->user, name, &error))
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_unsubscribe (MscImapServer       *self,
                                  MscImapValue * const *args,
                                  guint                 n_args)
{
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;

  if (n_args != 1)
    {
      _msc_imap_server_reply_bad (self, "Syntax: UNSUBSCRIBE mailbox");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  /* "returns a tagged OK response only if the unsubscription is
   * successful": a name that was not subscribed is not subscribed now,
   * so that is a success too, as for a client that tidies up twice. */
  if (!msc_mail_store_unsubscribe (self->store, self->user, name, &error))
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- LIST, LSUB (§6.3.8, §6.3.9) ---- */

/* "*" matches anything, "%" anything but the delimiter.  Runs of
 * wildcards are one wildcard, and a pattern with more plain characters
 * than the name cannot match, so the table below is at most about twice
 * a name's length wide whatever the client sent: no pattern can make the
 * match slow. */
static gboolean
match_pattern (const char *pattern,
               const char *name)
{
  g_autoptr(GString) simple = g_string_new (NULL);
  g_autofree gboolean *row = NULL;
  g_autofree gboolean *next = NULL;
  gsize n = strlen (name);
  gsize n_plain = 0;

  for (const char *p = pattern; *p != '\0'; p++)
    {
      if (*p != '*' && *p != '%')
        {
          g_string_append_c (simple, *p);
          n_plain++;
          continue;
        }

      if (simple->len > 0 && (simple->str[simple->len - 1] == '*' || simple->str[simple->len - 1] == '%'))
        {
          if (*p == '*')
            simple->str[simple->len - 1] = '*';
          continue;
        }
      g_string_append_c (simple, *p);
    }

  if (n_plain > n)
    return FALSE;

  row = g_new0 (gboolean, n + 1);
  next = g_new0 (gboolean, n + 1);
  row[0] = TRUE;

  for (gsize i = 0; i < simple->len; i++)
    {
      char c = simple->str[i];
      gboolean seen = FALSE;

      for (gsize j = 0; j <= n; j++)
        {
          switch (c)
            {
            case '*':
              seen = seen || row[j];
              next[j] = seen;
              break;
            case '%':
              next[j] = row[j] || (j > 0 && name[j - 1] != DELIMITER && next[j - 1]);
              break;
            default:
              next[j] = j > 0 && row[j - 1] && name[j - 1] == c;
              break;
            }
        }

      memcpy (row, next, (n + 1) * sizeof (gboolean));
    }

  return row[n];
}

/* list-mailbox = 1*list-char / string: an atom may hold the wildcards. */
static const char *
get_list_mailbox (const MscImapValue *value)
{
  switch (value->kind)
    {
    case MSC_IMAP_VALUE_ATOM:
      if (value->has_section || strpbrk (value->data, "\\") != NULL)
        return NULL;
      return value->data;

    case MSC_IMAP_VALUE_NUMBER:
    case MSC_IMAP_VALUE_NIL:
    case MSC_IMAP_VALUE_QUOTED:
    case MSC_IMAP_VALUE_LITERAL:
      if (memchr (value->data, '\0', value->len) != NULL)
        return NULL;
      return value->data;

    case MSC_IMAP_VALUE_LIST:
    case MSC_IMAP_N_VALUE_KINDS:
    default:
      return NULL;
    }
}

/* The reference and the pattern as one pattern (§6.3.8: with no break
 * out characters "the canonical form is normally the reference name
 * appended with the mailbox name").  Decoded from modified UTF-7 so that
 * "%" and "*" match whole characters; a pattern that does not decode is
 * matched as it is against the encoded names.  INBOX is any case. */
static char *
canonical_pattern (const char *reference,
                   const char *pattern,
                   gboolean   *encoded)
{
  g_autofree char *joined = g_strconcat (reference, pattern, NULL);
  char *decoded = msc_mutf7_decode (joined, NULL);

  *encoded = decoded == NULL;
  if (decoded == NULL)
    decoded = g_steal_pointer (&joined);

  if (g_ascii_strncasecmp (decoded, "INBOX", 5) == 0 && (decoded[5] == '\0' || decoded[5] == DELIMITER))
    memcpy (decoded, "INBOX", 5);

  return decoded;
}

static gboolean
has_children (GPtrArray  *mailboxes,
              const char *name)
{
  gsize len = strlen (name);

  for (guint i = 0; i < mailboxes->len; i++)
    {
      const char *other = msc_mailbox_get_name (g_ptr_array_index (mailboxes, i));

      if (strncmp (other, name, len) == 0 && other[len] == DELIMITER)
        return TRUE;
    }

  return FALSE;
}

static void
send_list (MscImapServer *self,
           const char    *response,
           const char    *attributes,
           const char    *name)
{
  g_autoptr(GString) data = g_string_new (NULL);

  g_string_append_printf (data, "(%s) \"/\" ", attributes);
  msc_imap_write_mailbox (data, name, MSC_IMAP_WRITE_DEFAULT);
  _msc_imap_server_send_untagged (self, response, FALSE, 0, data);
}

typedef enum
{
  LIST_SPECIAL_USE_ONLY = 1 << 0,   /* selection option SPECIAL-USE (RFC 6154 §3) */
  LIST_SUBSCRIBED_ONLY  = 1 << 1,   /* selection option SUBSCRIBED (RFC 5258) */
  LIST_RETURN_SUBSCRIBED = 1 << 2,  /* return option SUBSCRIBED: \Subscribed */
} ListOptions;

/* The few LIST-EXTENDED forms (RFC 5258) that clients send to a server
 * with SPECIAL-USE even without LIST-EXTENDED: "LIST (SPECIAL-USE) …" and
 * "LIST … RETURN (SPECIAL-USE)".  Special-use and children attributes are
 * always returned, so those return options change nothing. */
static gboolean
parse_list_options (const MscImapValue *list,
                    gboolean            selection,
                    ListOptions        *options)
{
  for (guint i = 0; i < list->children->len; i++)
    {
      const MscImapValue *option = g_ptr_array_index (list->children, i);

      if (msc_imap_value_is_atom (option, "SPECIAL-USE"))
        *options |= selection ? LIST_SPECIAL_USE_ONLY : 0;
      else if (msc_imap_value_is_atom (option, "SUBSCRIBED"))
        *options |= selection ? LIST_SUBSCRIBED_ONLY : LIST_RETURN_SUBSCRIBED;
      else if (!selection && msc_imap_value_is_atom (option, "CHILDREN"))
        ;
      else
        return FALSE;
    }

  return TRUE;
}

static gboolean
strv_contains (GStrv       strv,
               const char *name)
{
  return strv != NULL && g_strv_contains ((const char * const *) strv, name);
}

void
_msc_imap_server_cmd_list (MscImapServer       *self,
                           MscImapValue * const *args,
                           guint                 n_args)
{
  g_autoptr(GPtrArray) mailboxes = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) subscribed = NULL;
  g_autofree char *pattern = NULL;
  ListOptions options = 0;
  const char *reference;
  const char *mailbox_pattern;
  gboolean encoded;
  guint i = 0;

  if (n_args > 0 && args[0]->kind == MSC_IMAP_VALUE_LIST)
    {
      if (!parse_list_options (args[0], TRUE, &options))
        {
          _msc_imap_server_reply_bad (self, "Unsupported LIST selection option");
          return;
        }
      i++;
    }

  if (n_args != i + 2 && !(n_args == i + 4 && msc_imap_value_is_atom (args[i + 2], "RETURN")
                           && args[i + 3]->kind == MSC_IMAP_VALUE_LIST))
    {
      _msc_imap_server_reply_bad (self, "Syntax: LIST reference mailbox");
      return;
    }
  if (n_args == i + 4 && !parse_list_options (args[i + 3], FALSE, &options))
    {
      _msc_imap_server_reply_bad (self, "Unsupported LIST return option");
      return;
    }

  reference = msc_imap_value_get_astring (args[i], NULL);
  mailbox_pattern = get_list_mailbox (args[i + 1]);
  if (reference == NULL || mailbox_pattern == NULL || memchr (reference, '\0', args[i]->len) != NULL)
    {
      _msc_imap_server_reply_bad (self, "Syntax: LIST reference mailbox");
      return;
    }

  /* "An empty ("" string) mailbox name argument is a special request to
   * return the hierarchy delimiter and the root name of the name given in
   * the reference." */
  if (*mailbox_pattern == '\0')
    {
      const char *slash = strchr (reference, DELIMITER);
      g_autofree char *root = slash != NULL ? g_strndup (reference, slash - reference + 1)
                                            : g_strdup ("");
      g_autoptr(GString) data = g_string_new ("(\\Noselect) \"/\" ");

      msc_imap_write_astring (data, root, -1, MSC_IMAP_WRITE_DEFAULT);
      _msc_imap_server_send_untagged (self, "LIST", FALSE, 0, data);
      _msc_imap_server_reply_ok (self, NULL);
      return;
    }

  mailboxes = msc_mail_store_list_mailboxes (self->store, self->user, &error);
  if (mailboxes == NULL)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }
  if (options & (LIST_SUBSCRIBED_ONLY | LIST_RETURN_SUBSCRIBED))
    subscribed = msc_mail_store_list_subscriptions (self->store, self->user, NULL);

  pattern = canonical_pattern (reference, mailbox_pattern, &encoded);

  for (guint j = 0; j < mailboxes->len; j++)
    {
      MscMailbox *mailbox = g_ptr_array_index (mailboxes, j);
      const char *name = msc_mailbox_get_name (mailbox);
      const char *special = msc_special_use_to_string (msc_mailbox_get_special_use (mailbox));
      g_autofree char *mutf7 = NULL;
      g_autoptr(GString) attributes = NULL;

      if (encoded)
        mutf7 = msc_mutf7_encode (name, NULL);
      if (!match_pattern (pattern, encoded ? mutf7 : name))
        continue;
      if ((options & LIST_SPECIAL_USE_ONLY) && special == NULL)
        continue;
      if ((options & LIST_SUBSCRIBED_ONLY) && !strv_contains (subscribed, name))
        continue;

      /* RFC 3348 §3: exactly one of \HasChildren and \HasNoChildren;
       * RFC 6154 §2: the role of a special-use mailbox. */
      attributes = g_string_new (has_children (mailboxes, name) ? "\\HasChildren" : "\\HasNoChildren");
      if (special != NULL)
        g_string_append_printf (attributes, " %s", special);
      if ((options & (LIST_SUBSCRIBED_ONLY | LIST_RETURN_SUBSCRIBED)) != 0
          && strv_contains (subscribed, name))
        g_string_append (attributes, " \\Subscribed");

      send_list (self, "LIST", attributes->str, name);
    }

  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_lsub (MscImapServer       *self,
                           MscImapValue * const *args,
                           guint                 n_args)
{
  g_auto(GStrv) subscribed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) sent = NULL;
  g_autofree char *pattern = NULL;
  const char *reference;
  const char *mailbox_pattern;
  gboolean encoded;
  gboolean percent_last;

  if (n_args != 2
      || (reference = msc_imap_value_get_astring (args[0], NULL)) == NULL
      || (mailbox_pattern = get_list_mailbox (args[1])) == NULL
      || memchr (reference, '\0', args[0]->len) != NULL)
    {
      _msc_imap_server_reply_bad (self, "Syntax: LSUB reference mailbox");
      return;
    }

  subscribed = msc_mail_store_list_subscriptions (self->store, self->user, &error);
  if (subscribed == NULL)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  pattern = canonical_pattern (reference, mailbox_pattern, &encoded);
  percent_last = g_str_has_suffix (pattern, "%");
  sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; subscribed[i] != NULL; i++)
    {
      const char *name = subscribed[i];
      g_autoptr(MscMailbox) mailbox = NULL;

      /* §6.3.9: with "%" last, "foo/bar" subscribed and "foo" not, LSUB
       * "must return foo, not foo/bar, … flagged with the \Noselect
       * attribute". */
      for (const char *slash = strchr (name, DELIMITER); percent_last && slash != NULL;
           slash = strchr (slash + 1, DELIMITER))
        {
          g_autofree char *superior = g_strndup (name, slash - name);
          g_autofree char *mutf7 = encoded ? msc_mutf7_encode (superior, NULL) : NULL;

          if (g_hash_table_contains (sent, superior) || strv_contains (subscribed, superior)
              || !match_pattern (pattern, encoded ? mutf7 : superior))
            continue;

          send_list (self, "LSUB", "\\Noselect", superior);
          g_hash_table_add (sent, g_steal_pointer (&superior));
        }

      {
        g_autofree char *mutf7 = encoded ? msc_mutf7_encode (name, NULL) : NULL;

        if (g_hash_table_contains (sent, name) || !match_pattern (pattern, encoded ? mutf7 : name))
          continue;
      }

      /* A subscription outlives its mailbox (§6.3.6): such a name cannot
       * be selected. */
      mailbox = lookup_mailbox (self, name);
      send_list (self, "LSUB", mailbox != NULL ? "" : "\\Noselect", name);
      g_hash_table_add (sent, g_strdup (name));
    }

  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- STATUS (§6.3.10) ---- */

void
_msc_imap_server_cmd_status (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  static const char * const items[] = {
    "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
  };
  g_autofree char *name = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GString) data = NULL;
  MscMailboxStatus status;
  GPtrArray *list;

  if (n_args != 2 || args[1]->kind != MSC_IMAP_VALUE_LIST || args[1]->children->len == 0)
    {
      _msc_imap_server_reply_bad (self, "Syntax: STATUS mailbox (items)");
      return;
    }

  list = args[1]->children;
  for (guint i = 0; i < list->len; i++)
    {
      gboolean known = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (items); j++)
        known = known || msc_imap_value_is_atom (g_ptr_array_index (list, i), items[j]);

      if (!known)
        {
          _msc_imap_server_reply_bad (self, "Unknown STATUS item");
          return;
        }
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  mailbox = lookup_mailbox (self, name);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such mailbox");
      return;
    }

  /* STATUS "MUST NOT cause messages to lose the \Recent flag": the store
   * counts the ones no session took; in the mailbox this session has
   * selected, the ones it took count too. */
  msc_mailbox_get_status (mailbox, &status);
  if (mailbox == self->mailbox)
    {
      for (guint i = 0; i < msc_mailbox_get_n_messages (mailbox); i++)
        {
          MscMessage *message = msc_mailbox_get_message (mailbox, i);

          if (!msc_message_get_recent (message)
              && g_hash_table_contains (self->recent, GUINT_TO_POINTER (msc_message_get_uid (message))))
            status.recent++;
        }
    }

  data = g_string_new (NULL);
  msc_imap_write_mailbox (data, name, MSC_IMAP_WRITE_DEFAULT);
  g_string_append (data, " (");
  for (guint i = 0; i < list->len; i++)
    {
      const MscImapValue *item = g_ptr_array_index (list, i);
      g_autofree char *upper = g_ascii_strup (item->data, -1);
      guint value;

      if (strcmp (upper, "MESSAGES") == 0)
        value = status.messages;
      else if (strcmp (upper, "RECENT") == 0)
        value = status.recent;
      else if (strcmp (upper, "UIDNEXT") == 0)
        value = status.uid_next;
      else if (strcmp (upper, "UIDVALIDITY") == 0)
        value = status.uid_validity;
      else
        value = status.unseen;

      g_string_append_printf (data, "%s%s %u", i > 0 ? " " : "", upper, value);
    }
  g_string_append_c (data, ')');

  _msc_imap_server_send_untagged (self, "STATUS", FALSE, 0, data);
  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- APPEND (§6.3.11, RFC 4315 APPENDUID) ---- */

gboolean
_msc_imap_server_append_target_missing (MscImapServer      *self,
                                        const MscImapValue *value)
{
  g_autofree char *name = msc_imap_value_dup_mailbox (value, NULL);
  g_autoptr(MscMailbox) mailbox = NULL;

  /* A bad name is for the command to refuse, with the literal read. */
  if (name == NULL)
    return FALSE;

  mailbox = lookup_mailbox (self, name);

  return mailbox == NULL;
}

void
_msc_imap_server_cmd_append (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  g_autofree char *name = NULL;
  g_autoptr(MscMailbox) mailbox = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keywords = NULL;
  g_autofree char *code = NULL;
  MscMessageFlags flags = MSC_MESSAGE_FLAG_NONE;
  const MscImapValue *flag_list = NULL;
  const MscImapValue *date_time = NULL;
  guint32 uid;

  /* append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal */
  if (n_args >= 3 && args[1]->kind == MSC_IMAP_VALUE_LIST)
    flag_list = args[1];
  if (n_args >= 3 && args[n_args - 2]->kind == MSC_IMAP_VALUE_QUOTED)
    date_time = args[n_args - 2];

  if (n_args < 2 || n_args > 4 || args[n_args - 1]->kind != MSC_IMAP_VALUE_LITERAL
      || n_args != 2u + (flag_list != NULL ? 1 : 0) + (date_time != NULL ? 1 : 0))
    {
      _msc_imap_server_reply_bad (self, "Syntax: APPEND mailbox [(flags)] [date-time] literal");
      return;
    }

  name = _msc_imap_server_get_mailbox_arg (self, args[0]);
  if (name == NULL)
    return;

  if (flag_list != NULL
      && !_msc_imap_server_parse_flags (self, (MscImapValue * const *) flag_list->children->pdata,
                                        flag_list->children->len, &flags, &keywords))
    return;

  if (date_time != NULL)
    {
      date = msc_imap_parse_date_time (date_time->data, NULL);
      if (date == NULL)
        {
          _msc_imap_server_reply_bad (self, "Invalid date-time");
          return;
        }
    }
  else
    {
      /* "the internal date of the resulting message is set to the
       * current date and time by default": the engine's clock, so that a
       * lesson replays alike. */
      date = g_date_time_new_from_unix_utc (self->now / G_USEC_PER_SEC);
    }

  /* "If the destination mailbox does not exist, a server MUST return an
   * error, and MUST NOT automatically create the mailbox", with
   * [TRYCREATE]. */
  mailbox = lookup_mailbox (self, name);
  if (mailbox == NULL)
    {
      _msc_imap_server_reply_no (self, "TRYCREATE", "No such mailbox");
      return;
    }

  message = g_bytes_new (args[n_args - 1]->data, args[n_args - 1]->len);
  uid = msc_mail_store_append (self->store, mailbox, message, flags,
                               (const char * const *) keywords, date, &error);
  if (uid == 0)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  /* Into the selected mailbox, the EXISTS goes out with the OK (§6.3.11:
   * "the server SHOULD notify the client immediately"). */
  code = g_strdup_printf ("APPENDUID %u %u", msc_mailbox_get_uid_validity (mailbox), uid);
  _msc_imap_server_reply_ok (self, code);
}

/* ---- CHECK, CLOSE, UNSELECT, EXPUNGE (§6.4.1–§6.4.3, RFC 3691, RFC 4315) ---- */

void
_msc_imap_server_cmd_check (MscImapServer       *self,
                            MscImapValue * const *args,
                            guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "CHECK takes no arguments");
      return;
    }

  /* Every change is durable when the store returns: "If a server
   * implementation has no such housekeeping considerations, CHECK is
   * equivalent to NOOP." */
  _msc_imap_server_reply_ok (self, NULL);
}

/* The UIDs of the messages with \Deleted: of the whole mailbox, or of
 * the positions in the view. */
static GArray *
deleted_uids (MscImapServer *self,
              GArray        *positions)
{
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint n = positions != NULL ? positions->len : msc_mailbox_get_n_messages (self->mailbox);

  for (guint i = 0; i < n; i++)
    {
      MscMessage *message;
      guint32 uid;

      if (positions != NULL)
        message = g_ptr_array_index (self->messages, g_array_index (positions, guint, i));
      else
        message = msc_mailbox_get_message (self->mailbox, i);

      if (!(msc_message_get_flags (message) & MSC_MESSAGE_FLAG_DELETED))
        continue;

      uid = msc_message_get_uid (message);
      g_array_append_val (uids, uid);
    }

  return uids;
}

void
_msc_imap_server_cmd_close (MscImapServer       *self,
                            MscImapValue * const *args,
                            guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "CLOSE takes no arguments");
      return;
    }

  /* §6.4.2: "permanently removes all messages that have the \Deleted flag
   * set … No untagged EXPUNGE responses are sent", and nothing is removed
   * from a mailbox selected read-only. */
  if (!self->read_only)
    {
      g_autoptr(GArray) uids = deleted_uids (self, NULL);
      g_autoptr(GError) error = NULL;

      if (uids->len > 0
          && !msc_mail_store_expunge (self->store, self->mailbox, (const guint32 *) (gpointer) uids->data,
                                      uids->len, &error))
        g_debug ("CLOSE could not remove every deleted message: %s", error->message);
    }

  _msc_imap_server_deselect (self);
  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_unselect (MscImapServer       *self,
                               MscImapValue * const *args,
                               guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "UNSELECT takes no arguments");
      return;
    }

  /* RFC 3691 §2: "the same actions as CLOSE, except that no messages are
   * permanently removed". */
  _msc_imap_server_deselect (self);
  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_expunge (MscImapServer       *self,
                              MscImapValue * const *args,
                              guint                 n_args)
{
  g_autoptr(GArray) positions = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GError) error = NULL;

  if (n_args != (self->uid_command ? 1 : 0))
    {
      _msc_imap_server_reply_bad (self, self->uid_command ? "Syntax: UID EXPUNGE sequence-set"
                                                          : "EXPUNGE takes no arguments");
      return;
    }

  /* RFC 4315 §2.1: only the messages with \Deleted among those UIDs. */
  if (self->uid_command)
    {
      positions = _msc_imap_server_resolve_set (self, args[0], TRUE);
      if (positions == NULL)
        return;
    }

  if (self->read_only)
    {
      _msc_imap_server_reply_no (self, "READ-ONLY", "Mailbox is read-only");
      return;
    }

  /* The store's signals bring the removals back as EXPUNGE responses,
   * with those of other sessions, when the OK goes out. */
  uids = deleted_uids (self, positions);
  if (uids->len > 0
      && !msc_mail_store_expunge (self->store, self->mailbox, (const guint32 *) (gpointer) uids->data,
                                  uids->len, &error))
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- COPY, MOVE (§6.4.7, RFC 6851, RFC 4315 COPYUID) ---- */

/* uid-set (RFC 4315 §4) with runs as ranges: "304,319:320". */
static void
append_uid_set (GString          *out,
                const MscUidPair *pairs,
                guint             n_pairs,
                gboolean          target)
{
  for (guint i = 0; i < n_pairs;)
    {
      guint32 first = target ? pairs[i].target : pairs[i].source;
      guint32 last = first;
      guint j = i + 1;

      while (j < n_pairs && (target ? pairs[j].target : pairs[j].source) == last + 1)
        {
          last++;
          j++;
        }

      if (i > 0)
        g_string_append_c (out, ',');
      if (first == last)
        g_string_append_printf (out, "%u", first);
      else
        g_string_append_printf (out, "%u:%u", first, last);

      i = j;
    }
}

static char *
copyuid_code (MscMailbox *target,
              GArray     *pairs)
{
  GString *code = g_string_new (NULL);

  g_string_append_printf (code, "COPYUID %u ", msc_mailbox_get_uid_validity (target));
  append_uid_set (code, (const MscUidPair *) (gpointer) pairs->data, pairs->len, FALSE);
  g_string_append_c (code, ' ');
  append_uid_set (code, (const MscUidPair *) (gpointer) pairs->data, pairs->len, TRUE);

  return g_string_free (code, FALSE);
}

static void
copy_or_move (MscImapServer       *self,
              MscImapValue * const *args,
              guint                 n_args,
              gboolean              move)
{
  g_autoptr(GArray) positions = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) pairs = NULL;
  g_autoptr(MscMailbox) target = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *code = NULL;

  if (n_args != 2)
    {
      _msc_imap_server_reply_bad (self, move ? "Syntax: MOVE sequence-set mailbox"
                                             : "Syntax: COPY sequence-set mailbox");
      return;
    }

  positions = _msc_imap_server_resolve_set (self, args[0], self->uid_command);
  if (positions == NULL)
    return;
  name = _msc_imap_server_get_mailbox_arg (self, args[1]);
  if (name == NULL)
    return;

  /* §6.4.7: "Unless it is certain that the destination mailbox can not be
   * created, the server MUST send the response code "[TRYCREATE]"". */
  target = lookup_mailbox (self, name);
  if (target == NULL)
    {
      _msc_imap_server_reply_no (self, "TRYCREATE", "No such mailbox");
      return;
    }

  if (move && self->read_only)
    {
      _msc_imap_server_reply_no (self, "READ-ONLY", "Mailbox is read-only");
      return;
    }

  uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), positions->len);
  for (guint i = 0; i < positions->len; i++)
    {
      MscMessage *message = g_ptr_array_index (self->messages, g_array_index (positions, guint, i));
      guint32 uid = msc_message_get_uid (message);

      /* Another session expunged it; the client has not heard yet.  All
       * or nothing (§6.4.7), and RFC 5530's code says why. */
      if (msc_mailbox_lookup_uid (self->mailbox, uid) == NULL)
        {
          _msc_imap_server_reply_no (self, "EXPUNGEISSUED", "Some of the messages no longer exist");
          return;
        }
      g_array_append_val (uids, uid);
    }

  if (move)
    pairs = msc_mail_store_move (self->store, self->mailbox, (const guint32 *) (gpointer) uids->data,
                                 uids->len, target, &error);
  else
    pairs = msc_mail_store_copy (self->store, self->mailbox, (const guint32 *) (gpointer) uids->data,
                                 uids->len, target, &error);
  if (pairs == NULL)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  /* RFC 4315 §3 (A005): a UID COPY that matched nothing says so, with no
   * COPYUID. */
  if (pairs->len == 0)
    {
      _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_OK, NULL, "No matching messages");
      return;
    }

  code = copyuid_code (target, pairs);
  if (!move)
    {
      _msc_imap_server_reply_ok (self, code);
      return;
    }

  /* RFC 6851 §4.3: COPYUID "in an untagged OK before sending EXPUNGE or
   * moved responses", then the EXPUNGEs, which the tagged OK brings. */
  _msc_imap_server_send_untagged_status (self, "OK", code, "Moved UIDs");
  _msc_imap_server_reply_ok (self, NULL);
}

void
_msc_imap_server_cmd_copy (MscImapServer       *self,
                           MscImapValue * const *args,
                           guint                 n_args)
{
  copy_or_move (self, args, n_args, FALSE);
}

void
_msc_imap_server_cmd_move (MscImapServer       *self,
                           MscImapValue * const *args,
                           guint                 n_args)
{
  copy_or_move (self, args, n_args, TRUE);
}
