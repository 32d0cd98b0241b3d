/* msc-imap-server-search.c — SEARCH and UID SEARCH (RFC 3501 §6.4.4,
 * §6.4.8): every key, sequence sets, parentheses, CHARSET
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-server"

#include "config.h"

#include <string.h>

#include "msc-imap-server-private.h"

/* NOT and OR may nest as deep as the arguments allow; a search program
 * deeper than this is refused rather than walked by recursion. */
#define MAX_SEARCH_DEPTH 100

typedef enum
{
  KEY_ALL,
  KEY_AND,          /* a parenthesised list, or the whole program */
  KEY_OR,
  KEY_NOT,
  KEY_FLAG,         /* ANSWERED, DELETED, DRAFT, FLAGGED, SEEN */
  KEY_NO_FLAG,      /* UNANSWERED, UNDELETED, UNDRAFT, UNFLAGGED, UNSEEN */
  KEY_KEYWORD,
  KEY_UNKEYWORD,
  KEY_RECENT,
  KEY_NEW,
  KEY_OLD,
  KEY_BEFORE,
  KEY_ON,
  KEY_SINCE,
  KEY_SENTBEFORE,
  KEY_SENTON,
  KEY_SENTSINCE,
  KEY_LARGER,
  KEY_SMALLER,
  KEY_HEADER,       /* also BCC, CC, FROM, SUBJECT, TO */
  KEY_BODY,
  KEY_TEXT,
  KEY_SEQUENCE,
  KEY_UID,
} KeyKind;

typedef struct _SearchKey SearchKey;

struct _SearchKey
{
  KeyKind          kind;
  GPtrArray       *children;  /* AND, OR, NOT */
  MscMessageFlags  flag;
  char            *field;     /* HEADER */
  char            *string;    /* HEADER, BODY, TEXT, KEYWORD, UNKEYWORD */
  guint            date;      /* yyyymmdd: the dates compare days only */
  guint64          size;
  GArray          *set;       /* SEQUENCE, UID */
};

static void
search_key_free (gpointer data)
{
  SearchKey *key = data;

  if (key == NULL)
    return;

  g_clear_pointer (&key->children, g_ptr_array_unref);
  g_free (key->field);
  g_free (key->string);
  g_clear_pointer (&key->set, g_array_unref);
  g_free (key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SearchKey, search_key_free)

static SearchKey *
search_key_new (KeyKind kind)
{
  SearchKey *key = g_new0 (SearchKey, 1);

  key->kind = kind;
  if (kind == KEY_AND || kind == KEY_OR || kind == KEY_NOT)
    key->children = g_ptr_array_new_with_free_func (search_key_free);

  return key;
}

/* The keys that take nothing, and the envelope fields (§6.4.4: "the
 * envelope structure's FROM field" is the decoded From header). */
static const struct
{
  const char      *name;
  KeyKind          kind;
  MscMessageFlags  flag;
} plain_keys[] = {
  { "ALL", KEY_ALL, 0 },
  { "ANSWERED", KEY_FLAG, MSC_MESSAGE_FLAG_ANSWERED },
  { "DELETED", KEY_FLAG, MSC_MESSAGE_FLAG_DELETED },
  { "DRAFT", KEY_FLAG, MSC_MESSAGE_FLAG_DRAFT },
  { "FLAGGED", KEY_FLAG, MSC_MESSAGE_FLAG_FLAGGED },
  { "SEEN", KEY_FLAG, MSC_MESSAGE_FLAG_SEEN },
  { "UNANSWERED", KEY_NO_FLAG, MSC_MESSAGE_FLAG_ANSWERED },
  { "UNDELETED", KEY_NO_FLAG, MSC_MESSAGE_FLAG_DELETED },
  { "UNDRAFT", KEY_NO_FLAG, MSC_MESSAGE_FLAG_DRAFT },
  { "UNFLAGGED", KEY_NO_FLAG, MSC_MESSAGE_FLAG_FLAGGED },
  { "UNSEEN", KEY_NO_FLAG, MSC_MESSAGE_FLAG_SEEN },
  { "RECENT", KEY_RECENT, 0 },
  { "NEW", KEY_NEW, 0 },
  { "OLD", KEY_OLD, 0 },
}, date_keys[] = {
  { "BEFORE", KEY_BEFORE, 0 },
  { "ON", KEY_ON, 0 },
  { "SINCE", KEY_SINCE, 0 },
  { "SENTBEFORE", KEY_SENTBEFORE, 0 },
  { "SENTON", KEY_SENTON, 0 },
  { "SENTSINCE", KEY_SENTSINCE, 0 },
};

static const struct
{
  const char *name;
  const char *field;   /* NULL: BODY, TEXT */
  KeyKind     kind;
} string_keys[] = {
  { "BCC", "Bcc", KEY_HEADER },
  { "CC", "Cc", KEY_HEADER },
  { "FROM", "From", KEY_HEADER },
  { "SUBJECT", "Subject", KEY_HEADER },
  { "TO", "To", KEY_HEADER },
  { "BODY", NULL, KEY_BODY },
  { "TEXT", NULL, KEY_TEXT },
};

typedef struct
{
  MscImapServer       *server;
  MscImapValue * const *values;
  guint                 n_values;
  guint                 next;
  const char           *error;   /* for the BAD */
} Reader;

static const MscImapValue *
next_value (Reader *reader)
{
  if (reader->next >= reader->n_values)
    return NULL;

  return reader->values[reader->next++];
}

/* astring, in UTF-8 whatever the CHARSET said: US-ASCII is UTF-8. */
static char *
read_string (Reader *reader)
{
  const MscImapValue *value = next_value (reader);
  const char *text;
  gsize len;

  if (value == NULL || (text = msc_imap_value_get_astring (value, &len)) == NULL
      || memchr (text, '\0', len) != NULL)
    {
      reader->error = "Missing or invalid search string";
      return NULL;
    }
  if (!g_utf8_validate_len (text, len, NULL))
    {
      reader->error = "Search string is not UTF-8";
      return NULL;
    }

  return g_strndup (text, len);
}

static gboolean
read_date (Reader *reader,
           guint  *date)
{
  const MscImapValue *value = next_value (reader);
  g_autoptr(GDateTime) parsed = NULL;
  int year, month, day;

  /* date = date-text / DQUOTE date-text DQUOTE */
  if (value == NULL || (value->kind != MSC_IMAP_VALUE_ATOM && value->kind != MSC_IMAP_VALUE_QUOTED)
      || value->has_section || (parsed = msc_imap_parse_date (value->data, NULL)) == NULL)
    {
      reader->error = "Invalid search date";
      return FALSE;
    }

  g_date_time_get_ymd (parsed, &year, &month, &day);
  *date = year * 10000 + month * 100 + day;

  return TRUE;
}

static SearchKey *read_key (Reader *reader,
                            guint   depth);

static SearchKey *
read_list (Reader       *reader,
           GPtrArray    *children,
           guint         depth)
{
  g_autoptr(SearchKey) key = search_key_new (KEY_AND);
  Reader inner = {
    .server = reader->server,
    .values = (MscImapValue * const *) children->pdata,
    .n_values = children->len,
  };

  if (children->len == 0)
    {
      reader->error = "Empty search key list";
      return NULL;
    }

  while (inner.next < inner.n_values)
    {
      SearchKey *child = read_key (&inner, depth + 1);

      if (child == NULL)
        {
          reader->error = inner.error;
          return NULL;
        }
      g_ptr_array_add (key->children, child);
    }

  return g_steal_pointer (&key);
}

static SearchKey *
read_key (Reader *reader,
          guint   depth)
{
  const MscImapValue *value = next_value (reader);
  g_autoptr(SearchKey) key = NULL;

  if (depth > MAX_SEARCH_DEPTH)
    {
      reader->error = "Search program too deeply nested";
      return NULL;
    }
  if (value == NULL)
    {
      reader->error = "Missing search key";
      return NULL;
    }

  if (value->kind == MSC_IMAP_VALUE_LIST)
    return read_list (reader, value->children, depth);

  if (value->kind != MSC_IMAP_VALUE_ATOM && value->kind != MSC_IMAP_VALUE_NUMBER)
    {
      reader->error = "Invalid search key";
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (plain_keys); i++)
    {
      if (msc_imap_value_is_atom (value, plain_keys[i].name))
        {
          key = search_key_new (plain_keys[i].kind);
          key->flag = plain_keys[i].flag;
          return g_steal_pointer (&key);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (date_keys); i++)
    {
      if (msc_imap_value_is_atom (value, date_keys[i].name))
        {
          key = search_key_new (date_keys[i].kind);
          return read_date (reader, &key->date) ? g_steal_pointer (&key) : NULL;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (string_keys); i++)
    {
      if (msc_imap_value_is_atom (value, string_keys[i].name))
        {
          key = search_key_new (string_keys[i].kind);
          key->field = g_strdup (string_keys[i].field);
          key->string = read_string (reader);
          return key->string != NULL ? g_steal_pointer (&key) : NULL;
        }
    }

  if (msc_imap_value_is_atom (value, "HEADER"))
    {
      key = search_key_new (KEY_HEADER);
      key->field = read_string (reader);
      if (key->field == NULL)
        return NULL;
      key->string = read_string (reader);
      return key->string != NULL ? g_steal_pointer (&key) : NULL;
    }

  if (msc_imap_value_is_atom (value, "KEYWORD") || msc_imap_value_is_atom (value, "UNKEYWORD"))
    {
      const MscImapValue *keyword;

      key = search_key_new (msc_imap_value_is_atom (value, "KEYWORD") ? KEY_KEYWORD : KEY_UNKEYWORD);
      keyword = next_value (reader);
      /* flag-keyword = atom */
      if (keyword == NULL || keyword->kind == MSC_IMAP_VALUE_LIST || keyword->has_section
          || keyword->kind == MSC_IMAP_VALUE_QUOTED || keyword->kind == MSC_IMAP_VALUE_LITERAL
          || !msc_message_keyword_is_valid (keyword->data))
        {
          reader->error = "Invalid keyword";
          return NULL;
        }
      key->string = g_strdup (keyword->data);
      return g_steal_pointer (&key);
    }

  if (msc_imap_value_is_atom (value, "LARGER") || msc_imap_value_is_atom (value, "SMALLER"))
    {
      const MscImapValue *number;

      key = search_key_new (msc_imap_value_is_atom (value, "LARGER") ? KEY_LARGER : KEY_SMALLER);
      number = next_value (reader);
      if (number == NULL || !msc_imap_value_get_number (number, &key->size))
        {
          reader->error = "Invalid size";
          return NULL;
        }
      return g_steal_pointer (&key);
    }

  if (msc_imap_value_is_atom (value, "NOT"))
    {
      SearchKey *child;

      key = search_key_new (KEY_NOT);
      child = read_key (reader, depth + 1);
      if (child == NULL)
        return NULL;
      g_ptr_array_add (key->children, child);
      return g_steal_pointer (&key);
    }

  if (msc_imap_value_is_atom (value, "OR"))
    {
      key = search_key_new (KEY_OR);
      for (guint i = 0; i < 2; i++)
        {
          SearchKey *child = read_key (reader, depth + 1);

          if (child == NULL)
            return NULL;
          g_ptr_array_add (key->children, child);
        }
      return g_steal_pointer (&key);
    }

  if (msc_imap_value_is_atom (value, "UID"))
    {
      const MscImapValue *set = next_value (reader);

      key = search_key_new (KEY_UID);
      if (set == NULL || (set->kind != MSC_IMAP_VALUE_ATOM && set->kind != MSC_IMAP_VALUE_NUMBER)
          || set->has_section
          || (key->set = _msc_imap_server_parse_set (reader->server, set->data, TRUE)) == NULL)
        {
          reader->error = "Invalid UID set";
          return NULL;
        }
      return g_steal_pointer (&key);
    }

  /* Last: a sequence set.  Numbers beyond the last message match
   * nothing. */
  key = search_key_new (KEY_SEQUENCE);
  if (value->has_section
      || (key->set = _msc_imap_server_parse_set (reader->server, value->data, FALSE)) == NULL)
    {
      reader->error = "Unknown search key";
      return NULL;
    }

  return g_steal_pointer (&key);
}

/* ---- Matching ---- */

typedef struct
{
  MscImapServer  *server;
  guint           position;
  MscMessage     *message;
  MscImapMessage *parsed;
} Candidate;

static MscImapMessage *
get_parsed (Candidate *candidate)
{
  if (candidate->parsed == NULL)
    candidate->parsed = _msc_imap_server_get_parsed (candidate->server, candidate->message);

  return candidate->parsed;
}

/* §6.4.4: dates are compared "disregarding time and timezone": the day
 * the date-time names where it was written. */
static guint
day_of (GDateTime *date_time)
{
  int year, month, day;

  g_date_time_get_ymd (date_time, &year, &month, &day);

  return year * 10000 + month * 100 + day;
}

static gboolean
compare_day (KeyKind kind,
             guint   day,
             guint   wanted)
{
  switch (kind)
    {
    case KEY_BEFORE:
    case KEY_SENTBEFORE:
      return day < wanted;
    case KEY_ON:
    case KEY_SENTON:
      return day == wanted;
    case KEY_SINCE:
    case KEY_SENTSINCE:
      return day >= wanted;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_recent (Candidate *candidate)
{
  return g_hash_table_contains (candidate->server->recent,
                                GUINT_TO_POINTER (msc_message_get_uid (candidate->message)));
}

static gboolean
match_key (const SearchKey *key,
           Candidate       *candidate)
{
  MscMessageFlags flags = msc_message_get_flags (candidate->message);

  switch (key->kind)
    {
    case KEY_ALL:
      return TRUE;

    case KEY_AND:
      for (guint i = 0; i < key->children->len; i++)
        {
          if (!match_key (g_ptr_array_index (key->children, i), candidate))
            return FALSE;
        }
      return TRUE;

    case KEY_OR:
      return match_key (g_ptr_array_index (key->children, 0), candidate)
             || match_key (g_ptr_array_index (key->children, 1), candidate);

    case KEY_NOT:
      return !match_key (g_ptr_array_index (key->children, 0), candidate);

    case KEY_FLAG:
      return (flags & key->flag) != 0;

    case KEY_NO_FLAG:
      return (flags & key->flag) == 0;

    case KEY_KEYWORD:
      return msc_message_has_keyword (candidate->message, key->string);

    case KEY_UNKEYWORD:
      return !msc_message_has_keyword (candidate->message, key->string);

    case KEY_RECENT:
      return is_recent (candidate);

    case KEY_NEW:
      /* "functionally equivalent to "(RECENT UNSEEN)"" */
      return is_recent (candidate) && !(flags & MSC_MESSAGE_FLAG_SEEN);

    case KEY_OLD:
      return !is_recent (candidate);

    case KEY_BEFORE:
    case KEY_ON:
    case KEY_SINCE:
      return compare_day (key->kind, day_of (msc_message_get_internal_date (candidate->message)),
                          key->date);

    case KEY_SENTBEFORE:
    case KEY_SENTON:
    case KEY_SENTSINCE:
      {
        g_autoptr(GDateTime) sent = msc_imap_message_get_sent_date (get_parsed (candidate));

        /* No readable Date: header, no day to compare. */
        return sent != NULL && compare_day (key->kind, day_of (sent), key->date);
      }

    case KEY_LARGER:
      return msc_imap_message_get_size (get_parsed (candidate)) > key->size;

    case KEY_SMALLER:
      return msc_imap_message_get_size (get_parsed (candidate)) < key->size;

    case KEY_HEADER:
      return msc_imap_message_header_contains (get_parsed (candidate), key->field, key->string);

    case KEY_BODY:
      return msc_imap_message_body_contains (get_parsed (candidate), key->string);

    case KEY_TEXT:
      return msc_imap_message_text_contains (get_parsed (candidate), key->string);

    case KEY_SEQUENCE:
      return _msc_imap_server_set_contains (candidate->server, key->set, candidate->position, FALSE);

    case KEY_UID:
      return _msc_imap_server_set_contains (candidate->server, key->set, candidate->position, TRUE);

    default:
      g_assert_not_reached ();
    }
}

/* ---- The command ---- */

void
_msc_imap_server_cmd_search (MscImapServer       *self,
                             MscImapValue * const *args,
                             guint                 n_args)
{
  g_autoptr(SearchKey) program = NULL;
  g_autoptr(GString) data = NULL;
  Reader reader = { .server = self, .values = args, .n_values = n_args };

  /* search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key) */
  if (n_args >= 1 && msc_imap_value_is_atom (args[0], "CHARSET"))
    {
      const char *charset = n_args >= 2 ? msc_imap_value_get_astring (args[1], NULL) : NULL;

      if (charset == NULL)
        {
          _msc_imap_server_reply_bad (self, "Syntax: SEARCH [CHARSET charset] keys");
          return;
        }

      /* "If the server does not support the specified [CHARSET], it MUST
       * return a tagged NO response (not a BAD).  This response SHOULD
       * contain the BADCHARSET response code, which MAY list the
       * [CHARSET]s supported by the server." */
      if (g_ascii_strcasecmp (charset, "UTF-8") != 0 && g_ascii_strcasecmp (charset, "US-ASCII") != 0)
        {
          _msc_imap_server_reply_no (self, "BADCHARSET (UTF-8 US-ASCII)", "Unsupported charset");
          return;
        }
      reader.next = 2;
    }

  if (reader.next >= n_args)
    {
      _msc_imap_server_reply_bad (self, "Syntax: SEARCH [CHARSET charset] keys");
      return;
    }

  /* "When multiple keys are specified, the result is the intersection
   * (AND function) of all the messages that match those keys." */
  program = search_key_new (KEY_AND);
  while (reader.next < n_args)
    {
      SearchKey *key = read_key (&reader, 0);

      if (key == NULL)
        {
          _msc_imap_server_reply_bad (self, reader.error);
          return;
        }
      g_ptr_array_add (program->children, key);
    }

  data = g_string_new (NULL);
  for (guint i = 0; i < self->messages->len; i++)
    {
      Candidate candidate = {
        .server = self,
        .position = i,
        .message = g_ptr_array_index (self->messages, i),
      };

      if (!match_key (program, &candidate))
        continue;

      /* §7.2.5: message numbers, or UIDs for UID SEARCH. */
      g_string_append_printf (data, "%s%u", data->len > 0 ? " " : "",
                              self->uid_command ? msc_message_get_uid (candidate.message) : i + 1);
    }

  _msc_imap_server_send_untagged (self, "SEARCH", FALSE, 0, data->len > 0 ? data : NULL);
  _msc_imap_server_reply_ok (self, NULL);
}
