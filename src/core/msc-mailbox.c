/* msc-mailbox.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-mailbox"

#include "config.h"

#include "msc-mailbox.h"

struct _MscMailbox
{
  GObject        parent_instance;

  char          *account;
  char          *name;
  MscSpecialUse  special_use;
  guint32        uid_validity;
  guint32        uid_next;

  /* Owned references, sorted by UID; lookups are binary searches. */
  GPtrArray     *messages;

  /* Every keyword ever used here, in the order first used: IMAP's FLAGS
   * response lists them, and the Maildir backend maps index i to the
   * file-name letter 'a' + i, so an entry is never removed. */
  GPtrArray     *keywords;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscMailbox, msc_mailbox, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      list_model_iface_init))

G_DEFINE_ENUM_TYPE (MscSpecialUse, msc_special_use,
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_ALL, "all"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_ARCHIVE, "archive"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_DRAFTS, "drafts"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_FLAGGED, "flagged"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_JUNK, "junk"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_SENT, "sent"),
  G_DEFINE_ENUM_VALUE (MSC_SPECIAL_USE_TRASH, "trash"))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_NAME,
  PROP_SPECIAL_USE,
  PROP_UID_VALIDITY,
  PROP_UID_NEXT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const special_use_names[] = {
  [MSC_SPECIAL_USE_NONE] = NULL,
  [MSC_SPECIAL_USE_ALL] = "\\All",
  [MSC_SPECIAL_USE_ARCHIVE] = "\\Archive",
  [MSC_SPECIAL_USE_DRAFTS] = "\\Drafts",
  [MSC_SPECIAL_USE_FLAGGED] = "\\Flagged",
  [MSC_SPECIAL_USE_JUNK] = "\\Junk",
  [MSC_SPECIAL_USE_SENT] = "\\Sent",
  [MSC_SPECIAL_USE_TRASH] = "\\Trash",
};

/**
 * msc_special_use_to_string:
 * @use: a role
 *
 * Returns: (nullable): the RFC 6154 attribute ("\\Sent"), %NULL for none
 */
const char *
msc_special_use_to_string (MscSpecialUse use)
{
  if ((guint) use >= G_N_ELEMENTS (special_use_names))
    return NULL;

  return special_use_names[use];
}

/**
 * msc_special_use_from_string:
 * @text: an RFC 6154 attribute, any case
 * @use: (out): the role
 *
 * Returns: %TRUE if @text names a role
 */
gboolean
msc_special_use_from_string (const char    *text,
                             MscSpecialUse *use)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (use != NULL, FALSE);

  for (guint i = 1; i < G_N_ELEMENTS (special_use_names); i++)
    if (g_ascii_strcasecmp (special_use_names[i], text) == 0)
      {
        *use = i;
        return TRUE;
      }

  return FALSE;
}

static GType
msc_mailbox_get_item_type (GListModel *model)
{
  return MSC_TYPE_MESSAGE;
}

static guint
msc_mailbox_get_n_items (GListModel *model)
{
  return MSC_MAILBOX (model)->messages->len;
}

static gpointer
msc_mailbox_get_item (GListModel *model,
                      guint       position)
{
  MscMailbox *self = MSC_MAILBOX (model);

  if (position >= self->messages->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->messages, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = msc_mailbox_get_item_type;
  iface->get_n_items = msc_mailbox_get_n_items;
  iface->get_item = msc_mailbox_get_item;
}

static void
msc_mailbox_finalize (GObject *object)
{
  MscMailbox *self = (MscMailbox *)object;

  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->keywords, g_ptr_array_unref);

  G_OBJECT_CLASS (msc_mailbox_parent_class)->finalize (object);
}

static void
msc_mailbox_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MscMailbox *self = MSC_MAILBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_string (value, self->account);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_SPECIAL_USE:
      g_value_set_enum (value, self->special_use);
      break;

    case PROP_UID_VALIDITY:
      g_value_set_uint (value, self->uid_validity);
      break;

    case PROP_UID_NEXT:
      g_value_set_uint (value, self->uid_next);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->messages->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_mailbox_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MscMailbox *self = MSC_MAILBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_string (value);
      break;

    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;

    case PROP_SPECIAL_USE:
      self->special_use = g_value_get_enum (value);
      break;

    case PROP_UID_VALIDITY:
      self->uid_validity = g_value_get_uint (value);
      break;

    case PROP_UID_NEXT:
      self->uid_next = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_mailbox_class_init (MscMailboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_mailbox_finalize;
  object_class->get_property = msc_mailbox_get_property;
  object_class->set_property = msc_mailbox_set_property;

  /* Construct-only, and changed afterwards only by the store (a rename,
   * an append), which notifies. */
  properties[PROP_ACCOUNT] =
    g_param_spec_string ("account", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SPECIAL_USE] =
    g_param_spec_enum ("special-use", NULL, NULL,
                       MSC_TYPE_SPECIAL_USE, MSC_SPECIAL_USE_NONE,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_UID_VALIDITY] =
    g_param_spec_uint ("uid-validity", NULL, NULL,
                       1, G_MAXUINT32, 1,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_UID_NEXT] =
    g_param_spec_uint ("uid-next", NULL, NULL,
                       1, G_MAXUINT32, 1,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
msc_mailbox_init (MscMailbox *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->keywords = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->keywords, NULL);
}

/* Index of the first message whose UID is >= @uid. */
static guint
lower_bound (MscMailbox *self,
             guint32     uid)
{
  guint lo = 0;
  guint hi = self->messages->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      MscMessage *message = g_ptr_array_index (self->messages, mid);

      if (msc_message_get_uid (message) < uid)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

/**
 * msc_mailbox_get_account:
 *
 * Returns: the owner's address, folded as the store looks it up
 */
const char *
msc_mailbox_get_account (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  return self->account;
}

/**
 * msc_mailbox_get_name:
 *
 * Returns: the full UTF-8 name with '/' between levels ("项目/二〇二六")
 */
const char *
msc_mailbox_get_name (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  return self->name;
}

gboolean
msc_mailbox_is_inbox (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), FALSE);

  return g_strcmp0 (self->name, MSC_MAILBOX_INBOX) == 0;
}

MscSpecialUse
msc_mailbox_get_special_use (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), MSC_SPECIAL_USE_NONE);

  return self->special_use;
}

guint32
msc_mailbox_get_uid_validity (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), 0);

  return self->uid_validity;
}

guint32
msc_mailbox_get_uid_next (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), 0);

  return self->uid_next;
}

guint
msc_mailbox_get_n_messages (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), 0);

  return self->messages->len;
}

/**
 * msc_mailbox_get_message:
 * @position: 0 for the lowest UID
 *
 * Returns: (transfer none) (nullable): the message, or %NULL past the end
 */
MscMessage *
msc_mailbox_get_message (MscMailbox *self,
                         guint       position)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  if (position >= self->messages->len)
    return NULL;

  return g_ptr_array_index (self->messages, position);
}

/**
 * msc_mailbox_lookup_uid:
 *
 * Returns: (transfer none) (nullable): the message with @uid, if any
 */
MscMessage *
msc_mailbox_lookup_uid (MscMailbox *self,
                        guint32     uid)
{
  guint position;

  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  if (!msc_mailbox_find_uid (self, uid, &position))
    return NULL;

  return g_ptr_array_index (self->messages, position);
}

/**
 * msc_mailbox_find_uid:
 * @position: (out) (optional): where the message is
 *
 * Returns: %TRUE if a message with @uid is here
 */
gboolean
msc_mailbox_find_uid (MscMailbox *self,
                      guint32     uid,
                      guint      *position)
{
  guint i;

  g_return_val_if_fail (MSC_IS_MAILBOX (self), FALSE);

  i = lower_bound (self, uid);
  if (i >= self->messages->len
      || msc_message_get_uid (g_ptr_array_index (self->messages, i)) != uid)
    return FALSE;

  if (position != NULL)
    *position = i;

  return TRUE;
}

/**
 * msc_mailbox_list_messages:
 *
 * Returns: (transfer container) (element-type MscMessage): the messages in
 *   UID order, a snapshot that later changes do not touch
 */
GPtrArray *
msc_mailbox_list_messages (MscMailbox *self)
{
  GPtrArray *copy;

  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  copy = g_ptr_array_new_full (self->messages->len, g_object_unref);
  for (guint i = 0; i < self->messages->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (self->messages, i)));

  return copy;
}

/**
 * msc_mailbox_get_status:
 * @status: (out caller-allocates): the counts
 *
 * Counts on every call rather than keeping counters in step with each
 * change: mailboxes here hold tens of messages, not millions.
 */
void
msc_mailbox_get_status (MscMailbox       *self,
                        MscMailboxStatus *status)
{
  g_return_if_fail (MSC_IS_MAILBOX (self));
  g_return_if_fail (status != NULL);

  status->messages = self->messages->len;
  status->recent = 0;
  status->unseen = 0;
  status->uid_next = self->uid_next;
  status->uid_validity = self->uid_validity;

  for (guint i = 0; i < self->messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (self->messages, i);

      if (msc_message_get_recent (message))
        status->recent++;
      if (!(msc_message_get_flags (message) & MSC_MESSAGE_FLAG_SEEN))
        status->unseen++;
    }
}

/**
 * msc_mailbox_get_keywords:
 *
 * Returns: (transfer none) (array zero-terminated=1): every keyword used in
 *   this mailbox so far, for IMAP's FLAGS response
 */
const char * const *
msc_mailbox_get_keywords (MscMailbox *self)
{
  g_return_val_if_fail (MSC_IS_MAILBOX (self), NULL);

  return (const char * const *) self->keywords->pdata;
}

MscMailbox *
_msc_mailbox_new (const char    *account,
                  const char    *name,
                  MscSpecialUse  special_use,
                  guint32        uid_validity,
                  guint32        uid_next)
{
  g_assert (account != NULL);
  g_assert (name != NULL);
  g_assert (uid_validity > 0);
  g_assert (uid_next > 0);

  return g_object_new (MSC_TYPE_MAILBOX,
                       "account", account,
                       "name", name,
                       "special-use", special_use,
                       "uid-validity", uid_validity,
                       "uid-next", uid_next,
                       NULL);
}

void
_msc_mailbox_set_name (MscMailbox *self,
                       const char *name)
{
  g_assert (MSC_IS_MAILBOX (self));
  g_assert (name != NULL);

  if (g_strcmp0 (self->name, name) == 0)
    return;

  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
_msc_mailbox_set_uid_next (MscMailbox *self,
                           guint32     uid_next)
{
  g_assert (MSC_IS_MAILBOX (self));
  /* UIDs are never reused, so UIDNEXT only ever grows. */
  g_assert (uid_next >= self->uid_next);

  if (self->uid_next != uid_next)
    {
      self->uid_next = uid_next;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UID_NEXT]);
    }
}

void
_msc_mailbox_insert (MscMailbox *self,
                     MscMessage *message)
{
  guint32 uid;
  guint position;

  g_assert (MSC_IS_MAILBOX (self));
  g_assert (MSC_IS_MESSAGE (message));

  uid = msc_message_get_uid (message);
  g_assert (uid > 0);

  position = lower_bound (self, uid);
  g_assert (position == self->messages->len
            || msc_message_get_uid (g_ptr_array_index (self->messages, position)) != uid);

  g_ptr_array_insert (self->messages, position, g_object_ref (message));

  if (uid >= self->uid_next && uid < G_MAXUINT32)
    _msc_mailbox_set_uid_next (self, uid + 1);

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
_msc_mailbox_remove (MscMailbox *self,
                     guint32     uid)
{
  guint position;

  g_assert (MSC_IS_MAILBOX (self));

  if (!msc_mailbox_find_uid (self, uid, &position))
    return;

  g_ptr_array_remove_index (self->messages, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
_msc_mailbox_remove_all (MscMailbox *self)
{
  guint n;

  g_assert (MSC_IS_MAILBOX (self));

  n = self->messages->len;
  if (n == 0)
    return;

  g_ptr_array_set_size (self->messages, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

int
_msc_mailbox_get_keyword_index (MscMailbox *self,
                                const char *keyword)
{
  g_assert (MSC_IS_MAILBOX (self));
  g_assert (keyword != NULL);

  for (guint i = 0; i + 1 < self->keywords->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->keywords, i), keyword) == 0)
      return (int) i;

  return -1;
}

/* Adds the keywords this mailbox has not seen, all or none: FALSE if they
 * would take it past @max_keywords. */
gboolean
_msc_mailbox_define_keywords (MscMailbox         *self,
                              const char * const *keywords,
                              guint               max_keywords)
{
  g_autoptr (GPtrArray) fresh = g_ptr_array_new ();

  g_assert (MSC_IS_MAILBOX (self));

  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      gboolean dup = FALSE;

      if (_msc_mailbox_get_keyword_index (self, keywords[i]) >= 0)
        continue;

      for (guint j = 0; j < fresh->len && !dup; j++)
        dup = g_ascii_strcasecmp (fresh->pdata[j], keywords[i]) == 0;

      if (!dup)
        g_ptr_array_add (fresh, (gpointer) keywords[i]);
    }

  if (self->keywords->len - 1 + fresh->len > max_keywords)
    return FALSE;

  /* Drop the NULL terminator, append, put it back. */
  g_ptr_array_set_size (self->keywords, self->keywords->len - 1);
  for (guint i = 0; i < fresh->len; i++)
    g_ptr_array_add (self->keywords, g_strdup (fresh->pdata[i]));
  g_ptr_array_add (self->keywords, NULL);

  return TRUE;
}
