/* msc-imap-server-fetch.c — FETCH and STORE (RFC 3501 §6.4.5, §6.4.6,
 * §7.4.2) and their UID forms (§6.4.8)
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-server"

#include "config.h"

#include <string.h>

#include "msc-imap-server-private.h"

typedef enum
{
  ATT_FLAGS,
  ATT_INTERNALDATE,
  ATT_RFC822_SIZE,
  ATT_ENVELOPE,
  ATT_BODY,            /* BODY without a section: BODYSTRUCTURE without extensions */
  ATT_BODYSTRUCTURE,
  ATT_UID,
  ATT_RFC822,          /* BODY[], answered as "RFC822" */
  ATT_RFC822_HEADER,   /* BODY.PEEK[HEADER], answered as "RFC822.HEADER" */
  ATT_RFC822_TEXT,     /* BODY[TEXT], answered as "RFC822.TEXT" */
  ATT_SECTION,         /* BODY[section]<partial>, BODY.PEEK[…] */
} AttKind;

typedef struct
{
  AttKind   kind;
  char     *section;   /* ATT_SECTION: what goes between "[" and "]" */
  gboolean  peek;
  gboolean  partial;
  guint32   offset;
  guint32   length;
} FetchAtt;

static const struct
{
  const char *name;
  AttKind     kind;
} simple_atts[] = {
  { "FLAGS", ATT_FLAGS },
  { "INTERNALDATE", ATT_INTERNALDATE },
  { "RFC822.SIZE", ATT_RFC822_SIZE },
  { "ENVELOPE", ATT_ENVELOPE },
  { "BODY", ATT_BODY },
  { "BODYSTRUCTURE", ATT_BODYSTRUCTURE },
  { "UID", ATT_UID },
  { "RFC822", ATT_RFC822 },
  { "RFC822.HEADER", ATT_RFC822_HEADER },
  { "RFC822.TEXT", ATT_RFC822_TEXT },
};

/* §6.4.5: the macros, each "used by itself". */
static const struct
{
  const char *name;
  AttKind     kinds[5];
  guint       n_kinds;
} macros[] = {
  { "ALL", { ATT_FLAGS, ATT_INTERNALDATE, ATT_RFC822_SIZE, ATT_ENVELOPE }, 4 },
  { "FAST", { ATT_FLAGS, ATT_INTERNALDATE, ATT_RFC822_SIZE }, 3 },
  { "FULL", { ATT_FLAGS, ATT_INTERNALDATE, ATT_RFC822_SIZE, ATT_ENVELOPE, ATT_BODY }, 5 },
};

static void
fetch_att_clear (gpointer data)
{
  FetchAtt *att = data;

  g_free (att->section);
}

static void
add_att (GArray  *atts,
         AttKind  kind)
{
  FetchAtt att = { .kind = kind };

  g_array_append_val (atts, att);
}

/* The text between "[" and "]" as the message module and the response
 * want it: part numbers and keywords upper-cased, the header field list
 * in parentheses, field names as astrings. */
static char *
build_section (GPtrArray *children)
{
  g_autoptr(GString) section = g_string_new (NULL);

  for (guint i = 0; i < children->len; i++)
    {
      const MscImapValue *child = g_ptr_array_index (children, i);

      if (i > 0)
        g_string_append_c (section, ' ');

      switch (child->kind)
        {
        case MSC_IMAP_VALUE_ATOM:
        case MSC_IMAP_VALUE_NUMBER:
          {
            g_autofree char *upper = g_ascii_strup (child->data, -1);

            g_string_append (section, upper);
          }
          break;

        case MSC_IMAP_VALUE_LIST:
          g_string_append_c (section, '(');
          for (guint j = 0; j < child->children->len; j++)
            {
              const MscImapValue *field = g_ptr_array_index (child->children, j);
              gsize len;
              const char *name = msc_imap_value_get_astring (field, &len);

              if (name == NULL || memchr (name, '\0', len) != NULL)
                return NULL;
              if (j > 0)
                g_string_append_c (section, ' ');
              msc_imap_write_astring (section, name, len, MSC_IMAP_WRITE_DEFAULT);
            }
          g_string_append_c (section, ')');
          break;

        case MSC_IMAP_VALUE_QUOTED:
        case MSC_IMAP_VALUE_LITERAL:
        case MSC_IMAP_VALUE_NIL:
        case MSC_IMAP_N_VALUE_KINDS:
        default:
          return NULL;
        }
    }

  return g_string_free (g_steal_pointer (&section), FALSE);
}

static gboolean
parse_att (const MscImapValue *value,
           GArray             *atts)
{
  FetchAtt att = { 0 };

  if (value->kind != MSC_IMAP_VALUE_ATOM)
    return FALSE;

  if (!value->has_section)
    {
      for (guint i = 0; i < G_N_ELEMENTS (simple_atts); i++)
        {
          if (g_ascii_strcasecmp (value->data, simple_atts[i].name) == 0)
            {
              add_att (atts, simple_atts[i].kind);
              return TRUE;
            }
        }
      return FALSE;
    }

  /* BINARY (RFC 3516) is not offered. */
  if (g_ascii_strcasecmp (value->data, "BODY.PEEK") == 0)
    att.peek = TRUE;
  else if (g_ascii_strcasecmp (value->data, "BODY") != 0)
    return FALSE;

  att.kind = ATT_SECTION;
  att.section = build_section (value->children);
  if (att.section == NULL || !msc_imap_message_check_section (att.section, NULL))
    {
      g_free (att.section);
      return FALSE;
    }

  att.partial = value->has_partial;
  att.offset = value->partial_offset;
  att.length = value->partial_length;
  g_array_append_val (atts, att);

  return TRUE;
}

/* fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
 *         fetch-att / "(" fetch-att *(SP fetch-att) ")") */
static GArray *
parse_atts (const MscImapValue *value)
{
  g_autoptr(GArray) atts = g_array_new (FALSE, TRUE, sizeof (FetchAtt));

  g_array_set_clear_func (atts, fetch_att_clear);

  for (guint i = 0; i < G_N_ELEMENTS (macros); i++)
    {
      if (msc_imap_value_is_atom (value, macros[i].name))
        {
          for (guint j = 0; j < macros[i].n_kinds; j++)
            add_att (atts, macros[i].kinds[j]);
          return g_steal_pointer (&atts);
        }
    }

  if (value->kind != MSC_IMAP_VALUE_LIST)
    return parse_att (value, atts) ? g_steal_pointer (&atts) : NULL;

  if (value->children->len == 0)
    return NULL;

  for (guint i = 0; i < value->children->len; i++)
    {
      if (!parse_att (g_ptr_array_index (value->children, i), atts))
        return NULL;
    }

  return g_steal_pointer (&atts);
}

static gboolean
sets_seen (const FetchAtt *att)
{
  return att->kind == ATT_RFC822 || att->kind == ATT_RFC822_TEXT
         || (att->kind == ATT_SECTION && !att->peek);
}

/* Bodies always go as literals: they are where 8-bit and CRLF are. */
static void
append_literal (GString *out,
                GBytes  *bytes,
                gsize    offset,
                gsize    length)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (offset >= size)
    offset = length = 0;
  else
    length = MIN (length, size - offset);

  g_string_append_printf (out, "{%" G_GSIZE_FORMAT "}\r\n", length);
  g_string_append_len (out, data + offset, length);
}

static void
append_section (GString        *out,
                MscImapMessage *parsed,
                const char     *name,
                const char     *section,
                const FetchAtt *att)
{
  g_autoptr(GBytes) bytes = msc_imap_message_get_section (parsed, section, NULL);

  /* Checked when the command was read. */
  g_assert (bytes != NULL);

  g_string_append (out, name);
  if (att != NULL && att->partial)
    {
      /* §7.4.2 BODY[<section>]<<origin octet>>: "A partial fetch that
       * starts at octet 0 is returned as a partial fetch, even if this
       * truncation happened." */
      g_string_append_printf (out, "<%u> ", att->offset);
      append_literal (out, bytes, att->offset, att->length);
    }
  else
    {
      g_string_append_c (out, ' ');
      append_literal (out, bytes, 0, G_MAXSIZE);
    }
}

static void
fetch_message (MscImapServer *self,
               guint          position,
               GArray        *atts)
{
  MscMessage *message = g_ptr_array_index (self->messages, position);
  guint32 uid = msc_message_get_uid (message);
  MscImapMessage *parsed = NULL;
  g_autoptr(GString) data = g_string_new ("(");
  gboolean set_seen = FALSE;
  gboolean has_flags = FALSE;
  gboolean has_uid = FALSE;

  for (guint i = 0; i < atts->len; i++)
    {
      const FetchAtt *att = &g_array_index (atts, FetchAtt, i);

      set_seen = set_seen || sets_seen (att);
      has_flags = has_flags || att->kind == ATT_FLAGS;
      has_uid = has_uid || att->kind == ATT_UID;
    }

  /* "The \Seen flag is implicitly set; if this causes the flags to
   * change, they SHOULD be included as part of the FETCH responses." —
   * before the response is built, so that a FLAGS asked for with it
   * shows the new value.  Not in a mailbox selected read-only. */
  set_seen = set_seen && !self->read_only
             && !(msc_message_get_flags (message) & MSC_MESSAGE_FLAG_SEEN)
             && msc_mailbox_lookup_uid (self->mailbox, uid) != NULL;
  if (set_seen)
    {
      g_autoptr(GError) error = NULL;

      self->own_change++;
      if (!msc_mail_store_update_flags (self->store, self->mailbox, &uid, 1, MSC_FLAGS_MODE_ADD,
                                        MSC_MESSAGE_FLAG_SEEN, NULL, &error))
        g_debug ("Cannot set \\Seen on UID %u: %s", uid, error->message);
      self->own_change--;
    }

  for (guint i = 0; i < atts->len; i++)
    {
      const FetchAtt *att = &g_array_index (atts, FetchAtt, i);
      g_autofree char *text = NULL;

      if (i > 0)
        g_string_append_c (data, ' ');

      if (att->kind != ATT_FLAGS && att->kind != ATT_INTERNALDATE && att->kind != ATT_UID
          && parsed == NULL)
        parsed = _msc_imap_server_get_parsed (self, message);

      switch (att->kind)
        {
        case ATT_FLAGS:
          g_string_append (data, "FLAGS ");
          _msc_imap_server_append_flags (self, data, message);
          break;

        case ATT_INTERNALDATE:
          text = msc_imap_format_date_time (msc_message_get_internal_date (message));
          g_string_append_printf (data, "INTERNALDATE \"%s\"", text);
          break;

        case ATT_RFC822_SIZE:
          g_string_append_printf (data, "RFC822.SIZE %" G_GSIZE_FORMAT, msc_imap_message_get_size (parsed));
          break;

        case ATT_ENVELOPE:
          text = msc_imap_message_get_envelope (parsed);
          g_string_append_printf (data, "ENVELOPE %s", text);
          break;

        case ATT_BODY:
          text = msc_imap_message_get_body_structure (parsed, FALSE);
          g_string_append_printf (data, "BODY %s", text);
          break;

        case ATT_BODYSTRUCTURE:
          text = msc_imap_message_get_body_structure (parsed, TRUE);
          g_string_append_printf (data, "BODYSTRUCTURE %s", text);
          break;

        case ATT_UID:
          g_string_append_printf (data, "UID %u", uid);
          break;

        case ATT_RFC822:
          append_section (data, parsed, "RFC822", "", NULL);
          break;

        case ATT_RFC822_HEADER:
          append_section (data, parsed, "RFC822.HEADER", "HEADER", NULL);
          break;

        case ATT_RFC822_TEXT:
          append_section (data, parsed, "RFC822.TEXT", "TEXT", NULL);
          break;

        case ATT_SECTION:
          text = g_strdup_printf ("BODY[%s]", att->section);
          append_section (data, parsed, text, att->section, att);
          break;

        default:
          g_assert_not_reached ();
        }
    }

  if (set_seen && !has_flags)
    {
      g_string_append (data, " FLAGS ");
      _msc_imap_server_append_flags (self, data, message);
      has_flags = TRUE;
    }

  /* §6.4.8: "server implementations MUST implicitly include the UID
   * message data item as part of any FETCH response caused by a UID
   * command". */
  if (self->uid_command && !has_uid)
    g_string_append_printf (data, " UID %u", uid);

  g_string_append_c (data, ')');
  _msc_imap_server_send_untagged (self, "FETCH", TRUE, position + 1, data);

  /* The client has the flags now: an update queued from elsewhere would
   * tell it nothing new. */
  if (has_flags)
    g_hash_table_remove (self->flags_changed, GUINT_TO_POINTER (uid));
}

void
_msc_imap_server_cmd_fetch (MscImapServer       *self,
                            MscImapValue * const *args,
                            guint                 n_args)
{
  g_autoptr(GArray) atts = NULL;
  g_autoptr(GArray) positions = NULL;

  if (n_args != 2)
    {
      _msc_imap_server_reply_bad (self, "Syntax: FETCH sequence-set items");
      return;
    }

  /* Every item is checked before any message is read, so a bad one
   * leaves nothing half done. */
  atts = parse_atts (args[1]);
  if (atts == NULL)
    {
      _msc_imap_server_reply_bad (self, "Invalid FETCH item");
      return;
    }

  positions = _msc_imap_server_resolve_set (self, args[0], self->uid_command);
  if (positions == NULL)
    return;

  for (guint i = 0; i < positions->len; i++)
    fetch_message (self, g_array_index (positions, guint, i), atts);

  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- STORE ---- */

/* store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
 *                   (flag-list / (flag *(SP flag))) */
static gboolean
parse_store_item (const MscImapValue *value,
                  MscFlagsMode       *mode,
                  gboolean           *silent)
{
  const char *name = value->data;

  if (value->kind != MSC_IMAP_VALUE_ATOM || value->has_section)
    return FALSE;

  *mode = MSC_FLAGS_MODE_REPLACE;
  if (*name == '+')
    {
      *mode = MSC_FLAGS_MODE_ADD;
      name++;
    }
  else if (*name == '-')
    {
      *mode = MSC_FLAGS_MODE_REMOVE;
      name++;
    }

  *silent = g_ascii_strcasecmp (name, "FLAGS.SILENT") == 0;

  return *silent || g_ascii_strcasecmp (name, "FLAGS") == 0;
}

void
_msc_imap_server_cmd_store (MscImapServer       *self,
                            MscImapValue * const *args,
                            guint                 n_args)
{
  g_autoptr(GArray) positions = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keywords = NULL;
  MscImapValue * const *values;
  MscMessageFlags flags;
  MscFlagsMode mode;
  guint n_values;
  gboolean silent;
  gboolean ok;

  if (n_args < 3 || !parse_store_item (args[1], &mode, &silent))
    {
      _msc_imap_server_reply_bad (self, "Syntax: STORE sequence-set [+|-]FLAGS[.SILENT] (flags)");
      return;
    }

  if (n_args == 3 && args[2]->kind == MSC_IMAP_VALUE_LIST)
    {
      values = (MscImapValue * const *) args[2]->children->pdata;
      n_values = args[2]->children->len;
    }
  else
    {
      values = args + 2;
      n_values = n_args - 2;
    }

  if (!_msc_imap_server_parse_flags (self, values, n_values, &flags, &keywords))
    return;

  positions = _msc_imap_server_resolve_set (self, args[0], self->uid_command);
  if (positions == NULL)
    return;

  /* §6.3.2: EXAMINE permits "no changes to the permanent state". */
  if (self->read_only)
    {
      _msc_imap_server_reply_no (self, "READ-ONLY", "Mailbox is read-only");
      return;
    }

  uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), positions->len);
  for (guint i = 0; i < positions->len; i++)
    {
      guint32 uid = msc_message_get_uid (g_ptr_array_index (self->messages,
                                                            g_array_index (positions, guint, i)));

      g_array_append_val (uids, uid);
    }

  /* Messages another session expunged meanwhile are skipped by the
   * store; the others change one by one. */
  self->own_change++;
  ok = msc_mail_store_update_flags (self->store, self->mailbox, (const guint32 *) (gpointer) uids->data,
                                    uids->len, mode, flags, (const char * const *) keywords, &error);
  self->own_change--;

  /* A new keyword is announced before a FETCH that shows it. */
  _msc_imap_server_announce_flags (self, FALSE);

  /* §6.4.6: "The new value of the flags is returned as if a FETCH of
   * those flags was done", for every message of the set, changed or not. */
  for (guint i = 0; !silent && i < positions->len; i++)
    {
      guint position = g_array_index (positions, guint, i);
      MscMessage *message = g_ptr_array_index (self->messages, position);
      guint32 uid = msc_message_get_uid (message);
      g_autoptr(GString) data = NULL;

      if (msc_mailbox_lookup_uid (self->mailbox, uid) == NULL)
        continue;

      data = g_string_new ("(FLAGS ");
      _msc_imap_server_append_flags (self, data, message);
      if (self->uid_command)
        g_string_append_printf (data, " UID %u", uid);
      g_string_append_c (data, ')');
      _msc_imap_server_send_untagged (self, "FETCH", TRUE, position + 1, data);
      g_hash_table_remove (self->flags_changed, GUINT_TO_POINTER (uid));
    }

  if (!ok)
    {
      _msc_imap_server_reply_store_error (self, error);
      return;
    }

  _msc_imap_server_reply_ok (self, NULL);
}
