/* msc-message.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-message"

#include "config.h"

#include <string.h>

#include "msc-message.h"

/* A message is a plain value that the store mutates in place: its flags,
 * keywords and "recent" marker change (with notify), its UID, bytes and
 * internal date never do.  Single-threaded, like the store. */
struct _MscMessage
{
  GObject          parent_instance;

  guint32          uid;
  GBytes          *data;
  GDateTime       *internal_date;
  MscMessageFlags  flags;
  char           **keywords;
  guint            recent : 1;
};

G_DEFINE_FINAL_TYPE (MscMessage, msc_message, G_TYPE_OBJECT)

G_DEFINE_FLAGS_TYPE (MscMessageFlags, msc_message_flags,
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_SEEN, "seen"),
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_ANSWERED, "answered"),
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_FLAGGED, "flagged"),
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_DELETED, "deleted"),
  G_DEFINE_ENUM_VALUE (MSC_MESSAGE_FLAG_DRAFT, "draft"))

G_DEFINE_ENUM_TYPE (MscFlagsMode, msc_flags_mode,
  G_DEFINE_ENUM_VALUE (MSC_FLAGS_MODE_REPLACE, "replace"),
  G_DEFINE_ENUM_VALUE (MSC_FLAGS_MODE_ADD, "add"),
  G_DEFINE_ENUM_VALUE (MSC_FLAGS_MODE_REMOVE, "remove"))

enum {
  PROP_0,
  PROP_UID,
  PROP_DATA,
  PROP_SIZE,
  PROP_INTERNAL_DATE,
  PROP_FLAGS,
  PROP_KEYWORDS,
  PROP_RECENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Longer keywords are legal IMAP, but nothing real uses them and they
 * would all have to fit in one line of the Maildir keyword file. */
#define MAX_KEYWORD_LEN 128

static const struct {
  MscMessageFlags  flag;
  const char      *name;
} flag_names[] = {
  { MSC_MESSAGE_FLAG_SEEN, "\\Seen" },
  { MSC_MESSAGE_FLAG_ANSWERED, "\\Answered" },
  { MSC_MESSAGE_FLAG_FLAGGED, "\\Flagged" },
  { MSC_MESSAGE_FLAG_DELETED, "\\Deleted" },
  { MSC_MESSAGE_FLAG_DRAFT, "\\Draft" },
};

/**
 * msc_message_flag_to_string:
 * @flag: exactly one flag
 *
 * Returns: (nullable): the IMAP spelling ("\\Seen"), or %NULL
 */
const char *
msc_message_flag_to_string (MscMessageFlags flag)
{
  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flag_names[i].flag == flag)
      return flag_names[i].name;

  return NULL;
}

/**
 * msc_message_flag_from_string:
 * @text: an IMAP system flag, any case ("\\seen")
 * @flag: (out): the flag
 *
 * Returns: %TRUE if @text is one of the flags the store keeps; "\\Recent"
 *   is not.
 */
gboolean
msc_message_flag_from_string (const char      *text,
                              MscMessageFlags *flag)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (flag != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (g_ascii_strcasecmp (flag_names[i].name, text) == 0)
      {
        *flag = flag_names[i].flag;
        return TRUE;
      }

  return FALSE;
}

/**
 * msc_message_keyword_is_valid:
 * @keyword: a candidate keyword
 *
 * A keyword is an IMAP atom (RFC 3501 flag-keyword): printable ASCII
 * without spaces, parentheses, braces, wildcards, quotes, backslash or "]".
 *
 * Returns: %TRUE if @keyword can be stored
 */
gboolean
msc_message_keyword_is_valid (const char *keyword)
{
  gsize len;

  if (keyword == NULL)
    return FALSE;

  len = strlen (keyword);
  if (len == 0 || len > MAX_KEYWORD_LEN)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = keyword[i];

      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\]", c) != NULL)
        return FALSE;
    }

  return TRUE;
}

static int
compare_keywords (gconstpointer a,
                  gconstpointer b)
{
  return g_ascii_strcasecmp (*(const char * const *) a,
                             *(const char * const *) b);
}

/* Keywords are case-insensitive (as Dovecot and Cyrus treat them); the
 * first spelling wins and the list is kept sorted so that two sets can be
 * compared without allocating. */
char **
_msc_message_normalize_keywords (const char * const *keywords)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      gboolean seen = FALSE;

      if (!msc_message_keyword_is_valid (keywords[i]))
        continue;

      for (guint j = 0; j < list->len && !seen; j++)
        seen = g_ascii_strcasecmp (list->pdata[j], keywords[i]) == 0;

      if (!seen)
        g_ptr_array_add (list, g_strdup (keywords[i]));
    }

  g_ptr_array_sort (list, compare_keywords);
  g_ptr_array_add (list, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
}

gboolean
_msc_message_keywords_equal (const char * const *a,
                             const char * const *b)
{
  guint i;

  for (i = 0; a != NULL && a[i] != NULL; i++)
    if (b == NULL || b[i] == NULL || g_ascii_strcasecmp (a[i], b[i]) != 0)
      return FALSE;

  return b == NULL || b[i] == NULL;
}

static void
msc_message_constructed (GObject *object)
{
  MscMessage *self = (MscMessage *)object;

  G_OBJECT_CLASS (msc_message_parent_class)->constructed (object);

  if (self->data == NULL)
    self->data = g_bytes_new_static ("", 0);

  if (self->internal_date == NULL)
    self->internal_date = g_date_time_new_now_utc ();

  /* IMAP shows INTERNALDATE to the second and Maildir keeps it as the
   * file's mtime; truncating here makes both backends agree. */
  if (g_date_time_get_microsecond (self->internal_date) != 0)
    {
      GDateTime *whole;

      whole = g_date_time_add (self->internal_date,
                               -(GTimeSpan) g_date_time_get_microsecond (self->internal_date));
      g_date_time_unref (self->internal_date);
      self->internal_date = whole;
    }

  if (self->keywords == NULL)
    self->keywords = g_new0 (char *, 1);
}

static void
msc_message_finalize (GObject *object)
{
  MscMessage *self = (MscMessage *)object;

  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->internal_date, g_date_time_unref);
  g_clear_pointer (&self->keywords, g_strfreev);

  G_OBJECT_CLASS (msc_message_parent_class)->finalize (object);
}

static void
msc_message_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MscMessage *self = MSC_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_UID:
      g_value_set_uint (value, self->uid);
      break;

    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;

    case PROP_SIZE:
      g_value_set_uint64 (value, msc_message_get_size (self));
      break;

    case PROP_INTERNAL_DATE:
      g_value_set_boxed (value, self->internal_date);
      break;

    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;

    case PROP_KEYWORDS:
      g_value_set_boxed (value, self->keywords);
      break;

    case PROP_RECENT:
      g_value_set_boolean (value, self->recent);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_message_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MscMessage *self = MSC_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_UID:
      self->uid = g_value_get_uint (value);
      break;

    case PROP_DATA:
      self->data = g_value_dup_boxed (value);
      break;

    case PROP_INTERNAL_DATE:
      self->internal_date = g_value_dup_boxed (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_message_class_init (MscMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = msc_message_constructed;
  object_class->finalize = msc_message_finalize;
  object_class->get_property = msc_message_get_property;
  object_class->set_property = msc_message_set_property;

  properties[PROP_UID] =
    g_param_spec_uint ("uid", NULL, NULL,
                       0, G_MAXUINT32, 0,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL,
                        G_TYPE_BYTES,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS));

  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_INTERNAL_DATE] =
    g_param_spec_boxed ("internal-date", NULL, NULL,
                        G_TYPE_DATE_TIME,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS));

  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL,
                        MSC_TYPE_MESSAGE_FLAGS, MSC_MESSAGE_FLAG_NONE,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  properties[PROP_KEYWORDS] =
    g_param_spec_boxed ("keywords", NULL, NULL,
                        G_TYPE_STRV,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  properties[PROP_RECENT] =
    g_param_spec_boolean ("recent", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
msc_message_init (MscMessage *self)
{
}

/**
 * msc_message_new:
 * @uid: the UID, or 0 while the store has not assigned one
 * @data: the message exactly as received
 * @internal_date: (nullable): when it arrived; %NULL for now
 * @flags: its flags
 * @keywords: (nullable) (array zero-terminated=1): its keywords
 *
 * Returns: (transfer full): a new message, not yet in any mailbox
 */
MscMessage *
msc_message_new (guint32             uid,
                 GBytes             *data,
                 GDateTime          *internal_date,
                 MscMessageFlags     flags,
                 const char * const *keywords)
{
  MscMessage *self;

  g_return_val_if_fail (data != NULL, NULL);

  self = g_object_new (MSC_TYPE_MESSAGE,
                       "uid", uid,
                       "data", data,
                       "internal-date", internal_date,
                       NULL);
  self->flags = flags & MSC_MESSAGE_FLAGS_ALL;
  g_strfreev (self->keywords);
  self->keywords = _msc_message_normalize_keywords (keywords);

  return self;
}

guint32
msc_message_get_uid (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), 0);

  return self->uid;
}

/**
 * msc_message_get_data:
 *
 * Returns: (transfer none): the bytes, exactly as received
 */
GBytes *
msc_message_get_data (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), NULL);

  return self->data;
}

gsize
msc_message_get_size (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), 0);

  return g_bytes_get_size (self->data);
}

/**
 * msc_message_get_internal_date:
 *
 * Returns: (transfer none): when the message arrived, to the second
 */
GDateTime *
msc_message_get_internal_date (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), NULL);

  return self->internal_date;
}

MscMessageFlags
msc_message_get_flags (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), MSC_MESSAGE_FLAG_NONE);

  return self->flags;
}

/**
 * msc_message_get_keywords:
 *
 * Returns: (transfer none) (array zero-terminated=1): the keywords, sorted
 *   case-insensitively; never %NULL
 */
const char * const *
msc_message_get_keywords (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), NULL);

  return (const char * const *) self->keywords;
}

gboolean
msc_message_has_keyword (MscMessage *self,
                         const char *keyword)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (keyword != NULL, FALSE);

  for (guint i = 0; self->keywords[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->keywords[i], keyword) == 0)
      return TRUE;

  return FALSE;
}

/**
 * msc_message_get_recent:
 *
 * Returns: %TRUE until an IMAP session has taken the message's \Recent
 *   with msc_mail_store_take_recent()
 */
gboolean
msc_message_get_recent (MscMessage *self)
{
  g_return_val_if_fail (MSC_IS_MESSAGE (self), FALSE);

  return self->recent;
}

void
_msc_message_set_flags (MscMessage         *self,
                        MscMessageFlags     flags,
                        const char * const *keywords)
{
  g_assert (MSC_IS_MESSAGE (self));

  flags &= MSC_MESSAGE_FLAGS_ALL;

  if (self->flags != flags)
    {
      self->flags = flags;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLAGS]);
    }

  if (!_msc_message_keywords_equal ((const char * const *) self->keywords,
                                    keywords))
    {
      g_strfreev (self->keywords);
      self->keywords = _msc_message_normalize_keywords (keywords);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYWORDS]);
    }
}

void
_msc_message_set_recent (MscMessage *self,
                         gboolean    recent)
{
  g_assert (MSC_IS_MESSAGE (self));

  recent = !!recent;
  if (self->recent != recent)
    {
      self->recent = recent;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECENT]);
    }
}
