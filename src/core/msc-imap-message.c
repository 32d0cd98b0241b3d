/* msc-imap-message.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-message"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gmime/gmime.h>

#include "msc-imap-message.h"
#include "msc-imap-parser.h"

/* The structure is parsed here, not by GMimeParser: IMAP needs the exact
 * octet ranges of every header and body (BODY[1.MIME], sizes, line
 * counts, the CRLF before a boundary belonging to the boundary) and the
 * header values as sent, which a GMimeObject no longer has.  GMime does
 * the rest: RFC 2047 words, charsets, base64 and quoted-printable,
 * dates. */

/* One header field, as offsets into the message: the field runs from
 * @start to @end (the line end of its last line included); its name is
 * the first @name_len octets; its value starts after the colon, at
 * @value. */
typedef struct
{
  gsize start;
  gsize name_len;
  gsize value;
  gsize end;
} Field;

typedef struct
{
  char *name;   /* upper-cased */
  char *value;  /* as sent, quoting removed */
} Param;

typedef enum
{
  PART_LEAF,
  PART_MULTIPART,
  PART_MESSAGE,   /* message/rfc822 */
} PartKind;

typedef struct _Part Part;

struct _Part
{
  /* header_start ≤ body_start ≤ body_end: the header is
   * [header_start, body_start), its blank line included */
  gsize       header_start;
  gsize       body_start;
  gsize       body_end;
  gboolean    has_blank_line;
  GArray     *fields;          /* Field */
  guint       depth;
  gboolean    is_message;      /* the message, or one a message/rfc822 part holds */

  PartKind    kind;
  char       *type;            /* upper-cased */
  char       *subtype;
  GPtrArray  *params;          /* Param, of Content-Type; NULL for none */
  gboolean    default_charset; /* a text/ part with no charset: US-ASCII */
  char       *encoding;        /* upper-cased Content-Transfer-Encoding */

  GPtrArray  *children;        /* MULTIPART: Part, borrowed */
  Part       *message;         /* MESSAGE: the encapsulated message, borrowed */
};

struct _MscImapMessage
{
  GObject     parent_instance;

  /* Owned references */
  GBytes     *data;
  GPtrArray  *parts;          /* every Part, in order; [0] is the message */

  /* Borrowed from data */
  const char *raw;
  gsize       len;

  /* Computed on first use */
  char       *envelope;
  char       *body;
  char       *body_structure;
  GPtrArray  *folded_values;  /* char *, per top-level header field; NULL until asked */
  char       *folded_header;
  char       *folded_body;
};

G_DEFINE_FINAL_TYPE (MscImapMessage, msc_imap_message, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-imap-message-error-quark, msc_imap_message_error)

/* Charsets for 8-bit text that names none (or names us-ascii, or one
 * iconv does not know): UTF-8 first, since it rarely decodes by
 * accident; then GB18030, a superset of GB2312 and GBK, which Chinese
 * mailers have long sent unlabelled; ISO-8859-1 last, which decodes
 * anything.  GMime (g_mime_utils_decode_8bit()) tries them in turn. */
static const char *fallback_charsets[] = { "UTF-8", "GB18030", "ISO-8859-1", NULL };
static GMimeParserOptions *parser_options;

void
msc_imap_message_init_gmime (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      parser_options = g_mime_parser_options_new ();
      g_mime_parser_options_set_fallback_charsets (parser_options, fallback_charsets);
      g_once_init_leave (&initialized, 1);
    }
}

static void
param_free (gpointer data)
{
  Param *param = data;

  g_free (param->name);
  g_free (param->value);
  g_free (param);
}

static void
part_free (gpointer data)
{
  Part *part = data;

  g_clear_pointer (&part->fields, g_array_unref);
  g_free (part->type);
  g_free (part->subtype);
  g_clear_pointer (&part->params, g_ptr_array_unref);
  g_free (part->encoding);
  g_clear_pointer (&part->children, g_ptr_array_unref);
  g_free (part);
}

static void
msc_imap_message_finalize (GObject *object)
{
  MscImapMessage *self = (MscImapMessage *) object;

  g_clear_pointer (&self->parts, g_ptr_array_unref);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_free (self->envelope);
  g_free (self->body);
  g_free (self->body_structure);
  g_clear_pointer (&self->folded_values, g_ptr_array_unref);
  g_free (self->folded_header);
  g_free (self->folded_body);

  G_OBJECT_CLASS (msc_imap_message_parent_class)->finalize (object);
}

static void
msc_imap_message_class_init (MscImapMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_imap_message_finalize;
}

static void
msc_imap_message_init (MscImapMessage *self)
{
}

/* ---- Reading header fields ---- */

static inline gboolean
is_wsp (char c)
{
  return c == ' ' || c == '\t';
}

/* The line starting at @pos: returns the end of its text, before CRLF or
 * LF, and sets *@next to the start of the next line (@end for the last
 * line, which may have no line end at all). */
static gsize
line_end (const char *raw,
          gsize       pos,
          gsize       end,
          gsize      *next)
{
  const char *lf = memchr (raw + pos, '\n', end - pos);
  gsize text_end;

  if (lf == NULL)
    {
      *next = end;
      return end;
    }

  text_end = lf - raw;
  *next = text_end + 1;
  if (text_end > pos && raw[text_end - 1] == '\r')
    text_end--;

  return text_end;
}

/* RFC 5322 §3.6.8 field-name, and the white space §4.5 once allowed
 * before the colon. */
static gboolean
read_field_name (const char *raw,
                 gsize       pos,
                 gsize       text_end,
                 gsize      *name_len,
                 gsize      *colon)
{
  gsize i = pos;

  while (i < text_end && (guchar) raw[i] >= 33 && (guchar) raw[i] <= 126 && raw[i] != ':')
    i++;
  if (i == pos)
    return FALSE;
  *name_len = i - pos;

  while (i < text_end && is_wsp (raw[i]))
    i++;
  if (i == text_end || raw[i] != ':')
    return FALSE;
  *colon = i;

  return TRUE;
}

/* The header ends at the blank line, or at the first line that is
 * neither a field nor the continuation of one: mail with no separator
 * still has its text read as a body, not lost in a header. */
static void
parse_header (MscImapMessage *self,
              Part           *part)
{
  gsize pos = part->header_start;

  part->fields = g_array_new (FALSE, FALSE, sizeof (Field));

  while (pos < part->body_end)
    {
      gsize next;
      gsize text_end = line_end (self->raw, pos, part->body_end, &next);
      gsize name_len, colon;
      Field field;

      if (text_end == pos && next > pos)
        {
          part->body_start = next;
          part->has_blank_line = TRUE;
          return;
        }

      if (is_wsp (self->raw[pos]) && part->fields->len > 0)
        {
          g_array_index (part->fields, Field, part->fields->len - 1).end = next;
          pos = next;
          continue;
        }

      if (!read_field_name (self->raw, pos, text_end, &name_len, &colon))
        break;

      field.start = pos;
      field.name_len = name_len;
      field.value = colon + 1;
      field.end = next;
      g_array_append_val (part->fields, field);
      pos = next;
    }

  part->body_start = pos;
}

static gboolean
field_has_name (MscImapMessage *self,
                const Field    *field,
                const char     *name,
                gsize           name_len)
{
  return field->name_len == name_len &&
         g_ascii_strncasecmp (self->raw + field->start, name, name_len) == 0;
}

/* The first field of that name: RFC 5322 §3.6 allows one of each that
 * matters here. */
static const Field *
part_find_field (MscImapMessage *self,
                 const Part     *part,
                 const char     *name)
{
  gsize name_len = strlen (name);

  for (guint i = 0; i < part->fields->len; i++)
    {
      const Field *field = &g_array_index (part->fields, Field, i);

      if (field_has_name (self, field, name, name_len))
        return field;
    }

  return NULL;
}

/* The value unfolded (RFC 5322 §2.2.3: line ends removed, the white
 * space after them kept), trimmed, and without NULs, which no IMAP
 * string may hold (RFC 3501 §4.3). */
static char *
field_dup_value (MscImapMessage *self,
                 const Field    *field)
{
  GString *value = g_string_sized_new (field->end - field->value);

  for (gsize i = field->value; i < field->end; i++)
    {
      char c = self->raw[i];

      if (c != '\r' && c != '\n' && c != '\0')
        g_string_append_c (value, c);
    }

  return g_strstrip (g_string_free (value, FALSE));
}

static char *
part_dup_field_value (MscImapMessage *self,
                      const Part     *part,
                      const char     *name)
{
  const Field *field = part_find_field (self, part, name);

  return field != NULL ? field_dup_value (self, field) : NULL;
}

/* ---- MIME header syntax (RFC 2045 §5.1, RFC 2183) ---- */

static const char *
skip_cfws (const char *p)
{
  for (;;)
    {
      guint depth = 0;

      while (is_wsp (*p))
        p++;
      if (*p != '(')
        return p;

      while (*p != '\0')
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '(')
            depth++;
          else if (*p == ')' && --depth == 0)
            {
              p++;
              break;
            }
          p++;
        }
    }
}

static gboolean
is_token_char (char c)
{
  return (guchar) c > 32 && (guchar) c < 127 && strchr ("()<>@,;:\\\"/[]?=", c) == NULL;
}

static char *
read_token (const char **p)
{
  const char *start = *p;
  const char *end = start;

  while (is_token_char (*end))
    end++;
  if (end == start)
    return NULL;

  *p = end;
  return g_strndup (start, end - start);
}

/* *@p is at the opening quote; returns the content, escapes removed.  An
 * unclosed string runs to the end. */
static char *
read_quoted (const char **p)
{
  const char *q = *p + 1;
  GString *text = g_string_new (NULL);

  while (*q != '\0' && *q != '"')
    {
      if (*q == '\\' && q[1] != '\0')
        q++;
      g_string_append_c (text, *q);
      q++;
    }
  if (*q == '"')
    q++;

  *p = q;
  return g_string_free (text, FALSE);
}

/* Parameters as sent: RFC 2231 names ("filename*") and values are not
 * decoded, since IMAP clients decode them.  An unquoted value runs to
 * ";" or a comment, so that the unquoted file names with spaces some
 * mailers send stay whole. */
static GPtrArray *
parse_params (const char *p)
{
  GPtrArray *params = NULL;

  for (;;)
    {
      g_autofree char *name = NULL;
      Param *param;

      p = skip_cfws (p);
      if (*p == '\0')
        break;

      if (*p != ';')
        {
          /* Junk: on to the next parameter. */
          while (*p != '\0' && *p != ';')
            {
              if (*p == '"')
                g_free (read_quoted (&p));
              else
                p++;
            }
          continue;
        }

      p = skip_cfws (p + 1);
      name = read_token (&p);
      if (name == NULL)
        continue;
      p = skip_cfws (p);
      if (*p != '=')
        continue;
      p = skip_cfws (p + 1);

      param = g_new0 (Param, 1);
      param->name = g_ascii_strup (name, -1);
      if (*p == '"')
        {
          param->value = read_quoted (&p);
        }
      else
        {
          const char *start = p;

          while (*p != '\0' && *p != ';' && *p != '(' && *p != '"')
            p++;
          param->value = g_strchomp (g_strndup (start, p - start));
        }

      if (params == NULL)
        params = g_ptr_array_new_with_free_func (param_free);
      g_ptr_array_add (params, param);
    }

  return params;
}

static const char *
params_lookup (GPtrArray  *params,
               const char *name)
{
  for (guint i = 0; params != NULL && i < params->len; i++)
    {
      Param *param = g_ptr_array_index (params, i);

      if (strcmp (param->name, name) == 0)
        return param->value;
    }

  return NULL;
}

static void
part_set_type (Part       *part,
               const char *type,
               const char *subtype)
{
  g_free (part->type);
  g_free (part->subtype);
  part->type = g_ascii_strup (type, -1);
  part->subtype = g_ascii_strup (subtype, -1);
}

static void
part_read_content_type (MscImapMessage *self,
                        Part           *part,
                        gboolean        in_digest)
{
  g_autofree char *value = part_dup_field_value (self, part, "Content-Type");

  if (value != NULL)
    {
      const char *p = skip_cfws (value);
      g_autofree char *type = read_token (&p);
      g_autofree char *subtype = NULL;

      p = skip_cfws (p);
      if (type != NULL && *p == '/')
        {
          p = skip_cfws (p + 1);
          subtype = read_token (&p);
        }

      if (subtype != NULL)
        {
          part_set_type (part, type, subtype);
          part->params = parse_params (p);
        }
    }

  /* RFC 2045 §5.2: no Content-Type, or one that does not parse, is
   * text/plain; charset=us-ascii.  RFC 2046 §5.1.5: in a digest, no
   * Content-Type is message/rfc822. */
  if (part->type == NULL)
    {
      if (value == NULL && in_digest)
        part_set_type (part, "message", "rfc822");
      else
        part_set_type (part, "text", "plain");
    }

  part->default_charset = strcmp (part->type, "TEXT") == 0 &&
                          params_lookup (part->params, "CHARSET") == NULL;
}

static void
part_read_encoding (MscImapMessage *self,
                    Part           *part)
{
  g_autofree char *value = part_dup_field_value (self, part, "Content-Transfer-Encoding");
  g_autofree char *token = NULL;

  if (value != NULL)
    {
      const char *p = skip_cfws (value);

      token = read_token (&p);
    }

  /* RFC 2045 §6.1: 7BIT by default.  One that is not even a token
   * ("?invalid") is taken as the default too, as Dovecot does. */
  part->encoding = g_ascii_strup (token != NULL ? token : "7bit", -1);
}

/* ---- The MIME structure ---- */

static void parse_part (MscImapMessage *self,
                        Part           *part,
                        gboolean        in_digest);

static gboolean
can_add_part (MscImapMessage *self)
{
  return self->parts->len < MSC_IMAP_MESSAGE_MAX_PARTS;
}

static Part *
add_part (MscImapMessage *self,
          gsize           start,
          gsize           end,
          guint           depth,
          gboolean        is_message)
{
  Part *part = g_new0 (Part, 1);

  part->header_start = start;
  part->body_start = end;
  part->body_end = end;
  part->depth = depth;
  part->is_message = is_message;
  g_ptr_array_add (self->parts, part);

  return part;
}

/* A container IMAP will not look into: one opaque part, its bytes whole. */
static void
part_make_opaque (Part *part)
{
  part->kind = PART_LEAF;
  part_set_type (part, "application", "octet-stream");
  g_clear_pointer (&part->params, g_ptr_array_unref);
  part->default_charset = FALSE;
}

/* RFC 2046 §5.1.1: a delimiter is "--" boundary at the start of a line,
 * white space allowed after it; "--" after that closes the multipart.
 * The CRLF before a delimiter belongs to it, not to the part before. */
static void
split_multipart (MscImapMessage *self,
                 Part           *part)
{
  const char *boundary = params_lookup (part->params, "BOUNDARY");
  gboolean in_digest = strcmp (part->subtype, "DIGEST") == 0;
  gsize boundary_len;
  gsize pos = part->body_start;
  gsize child_start = 0;
  gboolean in_child = FALSE;

  part->children = g_ptr_array_new ();

  /* No boundary, no parts: all of it is preamble. */
  if (boundary == NULL || *boundary == '\0')
    return;
  boundary_len = strlen (boundary);

  while (pos < part->body_end)
    {
      gsize next;
      gsize text_end = line_end (self->raw, pos, part->body_end, &next);
      const char *line = self->raw + pos;
      gsize line_len = text_end - pos;
      gboolean close = FALSE;
      gsize i;

      if (line_len < 2 + boundary_len || line[0] != '-' || line[1] != '-' ||
          memcmp (line + 2, boundary, boundary_len) != 0)
        {
          pos = next;
          continue;
        }

      i = 2 + boundary_len;
      if (i + 2 <= line_len && line[i] == '-' && line[i + 1] == '-')
        {
          close = TRUE;
        }
      else
        {
          while (i < line_len && is_wsp (line[i]))
            i++;
          if (i < line_len)
            {
              /* "--boundaryX": another, longer boundary. */
              pos = next;
              continue;
            }
        }

      if (in_child)
        {
          gsize child_end = pos;
          Part *child;

          if (child_end > child_start && self->raw[child_end - 1] == '\n')
            child_end--;
          if (child_end > child_start && self->raw[child_end - 1] == '\r')
            child_end--;

          if (!can_add_part (self))
            return;
          child = add_part (self, child_start, child_end, part->depth + 1, FALSE);
          g_ptr_array_add (part->children, child);
          parse_part (self, child, in_digest);
        }

      if (close)
        return;

      in_child = TRUE;
      child_start = next;
      pos = next;
    }

  /* No close delimiter (a truncated message): the last part runs to the
   * end. */
  if (in_child && can_add_part (self))
    {
      Part *child = add_part (self, child_start, part->body_end, part->depth + 1, FALSE);

      g_ptr_array_add (part->children, child);
      parse_part (self, child, in_digest);
    }
}

/* Recursion is bounded: a container at MAX_DEPTH is made opaque, so the
 * stack holds at most MAX_DEPTH frames of parse_part() and
 * split_multipart(). */
static void
parse_part (MscImapMessage *self,
            Part           *part,
            gboolean        in_digest)
{
  parse_header (self, part);
  part_read_content_type (self, part, in_digest);
  part_read_encoding (self, part);

  if (strcmp (part->type, "MULTIPART") == 0)
    part->kind = PART_MULTIPART;
  else if (strcmp (part->type, "MESSAGE") == 0 && strcmp (part->subtype, "RFC822") == 0)
    part->kind = PART_MESSAGE;
  else
    return;

  if (part->depth >= MSC_IMAP_MESSAGE_MAX_DEPTH)
    {
      g_debug ("MIME nesting deeper than %d levels: part at offset %" G_GSIZE_FORMAT
               " not looked into", MSC_IMAP_MESSAGE_MAX_DEPTH, part->header_start);
      part_make_opaque (part);
      return;
    }

  if (part->kind == PART_MULTIPART)
    {
      split_multipart (self, part);
      return;
    }

  /* RFC 2046 §5.2.1: an encapsulated message is 7bit, 8bit or binary;
   * encoded, its bytes are not a message IMAP can number parts in. */
  if ((strcmp (part->encoding, "7BIT") != 0 && strcmp (part->encoding, "8BIT") != 0 &&
       strcmp (part->encoding, "BINARY") != 0) ||
      !can_add_part (self))
    {
      part_make_opaque (part);
      return;
    }

  part->message = add_part (self, part->body_start, part->body_end, part->depth + 1, TRUE);
  parse_part (self, part->message, FALSE);
}

MscImapMessage *
msc_imap_message_new (GBytes *data)
{
  MscImapMessage *self;
  Part *root;

  g_return_val_if_fail (data != NULL, NULL);

  msc_imap_message_init_gmime ();

  self = g_object_new (MSC_TYPE_IMAP_MESSAGE, NULL);
  self->data = g_bytes_ref (data);
  self->raw = g_bytes_get_data (data, &self->len);
  if (self->raw == NULL)
    self->raw = "";
  self->parts = g_ptr_array_new_with_free_func (part_free);

  root = add_part (self, 0, self->len, 0, TRUE);
  parse_part (self, root, FALSE);

  return self;
}

GBytes *
msc_imap_message_get_data (MscImapMessage *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), NULL);

  return self->data;
}

gsize
msc_imap_message_get_size (MscImapMessage *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), 0);

  return self->len;
}

static Part *
get_root (MscImapMessage *self)
{
  return g_ptr_array_index (self->parts, 0);
}

/* ---- Addresses (RFC 5322 §3.4, with §4.4's obsolete forms) ---- */

typedef struct
{
  char *name;     /* NULL is NIL */
  char *adl;
  char *mailbox;
  char *host;
} Address;

static void
address_free (gpointer data)
{
  Address *address = data;

  g_free (address->name);
  g_free (address->adl);
  g_free (address->mailbox);
  g_free (address->host);
  g_free (address);
}

typedef enum
{
  TOKEN_ATOM,
  TOKEN_QUOTED,
  TOKEN_DOMAIN_LITERAL,
  TOKEN_SPECIAL,
  TOKEN_COMMENT,
} TokenKind;

typedef struct
{
  TokenKind  kind;
  char       special;
  gboolean   space_before;  /* white space or a comment before it */
  char      *text;          /* quoting removed from QUOTED and COMMENT */
} Token;

static void
token_clear (gpointer data)
{
  Token *token = data;

  g_free (token->text);
}

static char *
read_comment (const char **p)
{
  const char *q = *p + 1;
  GString *text = g_string_new (NULL);
  guint depth = 1;

  while (*q != '\0')
    {
      if (*q == '\\' && q[1] != '\0')
        {
          g_string_append_c (text, q[1]);
          q += 2;
          continue;
        }
      if (*q == '(')
        depth++;
      else if (*q == ')' && --depth == 0)
        {
          q++;
          break;
        }
      g_string_append_c (text, *q);
      q++;
    }

  *p = q;
  return g_string_free (text, FALSE);
}

static GArray *
tokenize_addresses (const char *p)
{
  GArray *tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  gboolean space = FALSE;

  g_array_set_clear_func (tokens, token_clear);

  while (*p != '\0')
    {
      Token token = { 0, };

      if (is_wsp (*p))
        {
          space = TRUE;
          p++;
          continue;
        }

      if (*p == '(')
        {
          token.kind = TOKEN_COMMENT;
          token.text = read_comment (&p);
        }
      else if (*p == '"')
        {
          token.kind = TOKEN_QUOTED;
          token.text = read_quoted (&p);
        }
      else if (*p == '[')
        {
          const char *start = p;

          while (*p != '\0' && *p != ']')
            p++;
          if (*p == ']')
            p++;
          token.kind = TOKEN_DOMAIN_LITERAL;
          token.text = g_strndup (start, p - start);
        }
      else if (strchr ("<>@,;:.", *p) != NULL)
        {
          token.kind = TOKEN_SPECIAL;
          token.special = *p++;
        }
      else if (strchr (")]\\", *p) != NULL)
        {
          /* Stray: dropped. */
          p++;
          continue;
        }
      else
        {
          const char *start = p;

          /* 8-bit octets are atom text: RFC 6532 allows UTF-8 there. */
          while (*p != '\0' && !is_wsp (*p) && strchr ("()<>@,;:.\"[]\\", *p) == NULL)
            p++;
          token.kind = TOKEN_ATOM;
          token.text = g_strndup (start, p - start);
        }

      token.space_before = space;
      space = token.kind == TOKEN_COMMENT;
      g_array_append_val (tokens, token);
    }

  return tokens;
}

typedef struct
{
  GArray     *tokens;
  guint       pos;
  const char *comment;  /* the last comment passed */
} AddressParser;

/* The next token that is not a comment; comments are CFWS, but the last
 * one is remembered: "user@domain (Real Name)" names the user. */
static Token *
peek (AddressParser *parser)
{
  while (parser->pos < parser->tokens->len)
    {
      Token *token = &g_array_index (parser->tokens, Token, parser->pos);

      if (token->kind != TOKEN_COMMENT)
        return token;
      if (*token->text != '\0')
        parser->comment = token->text;
      parser->pos++;
    }

  return NULL;
}

static gboolean
is_special (const Token *token,
            char         special)
{
  return token != NULL && token->kind == TOKEN_SPECIAL && token->special == special;
}

/* phrase (a display name, a group name) or local-part: words and dots.
 * A phrase keeps one space where the sender had white space; a local
 * part is glued (CFWS around its dots is not part of it).  RFC 3501
 * §9 addr-name and addr-mailbox: quoting removed.  NULL when there is
 * no word. */
static char *
read_words (AddressParser *parser,
            gboolean       phrase)
{
  GString *text = NULL;
  gboolean last_was_word = FALSE;
  Token *token;

  while ((token = peek (parser)) != NULL &&
         (token->kind == TOKEN_ATOM || token->kind == TOKEN_QUOTED || is_special (token, '.')))
    {
      gboolean word = token->kind != TOKEN_SPECIAL;

      if (text == NULL)
        text = g_string_new (NULL);
      else if (phrase ? token->space_before : (word && last_was_word))
        g_string_append_c (text, ' ');
      g_string_append (text, word ? token->text : ".");
      last_was_word = word;
      parser->pos++;
    }

  return text != NULL ? g_string_free (text, FALSE) : NULL;
}

static char *
read_domain (AddressParser *parser)
{
  GString *text = NULL;
  Token *token;

  while ((token = peek (parser)) != NULL &&
         (token->kind == TOKEN_ATOM || token->kind == TOKEN_DOMAIN_LITERAL ||
          is_special (token, '.')))
    {
      if (text == NULL)
        text = g_string_new (NULL);
      g_string_append (text, token->kind == TOKEN_SPECIAL ? "." : token->text);
      parser->pos++;
    }

  return text != NULL ? g_string_free (text, FALSE) : NULL;
}

/* angle-addr after its "<": [obs-route] addr-spec ">" */
static void
read_angle_addr (AddressParser *parser,
                 Address       *address)
{
  Token *token = peek (parser);

  if (is_special (token, '@'))
    {
      GString *route = g_string_new (NULL);

      while ((token = peek (parser)) != NULL && (is_special (token, '@') || is_special (token, ',')))
        {
          g_autofree char *domain = NULL;

          parser->pos++;
          if (token->special == ',')
            continue;
          domain = read_domain (parser);
          if (route->len > 0)
            g_string_append_c (route, ',');
          g_string_append_printf (route, "@%s", domain != NULL ? domain : "");
        }

      if (is_special (peek (parser), ':'))
        {
          parser->pos++;
          address->adl = g_string_free (route, FALSE);
        }
      else
        {
          g_string_free (route, TRUE);
        }
    }

  address->mailbox = read_words (parser, FALSE);
  if (is_special (peek (parser), '@'))
    {
      parser->pos++;
      address->host = read_domain (parser);
    }

  while ((token = peek (parser)) != NULL && !is_special (token, '>') &&
         !is_special (token, ',') && !is_special (token, ';'))
    parser->pos++;
  if (is_special (token, '>'))
    parser->pos++;
}

/* mailbox = name-addr / addr-spec.  Appends it to @addresses, if there
 * was one. */
static void
read_mailbox (AddressParser *parser,
              GPtrArray     *addresses)
{
  guint start = parser->pos;
  g_autofree char *words = NULL;
  Address *address = g_new0 (Address, 1);

  parser->comment = NULL;
  words = read_words (parser, TRUE);

  if (is_special (peek (parser), '<'))
    {
      parser->pos++;
      if (words != NULL && *words != '\0')
        address->name = g_steal_pointer (&words);
      read_angle_addr (parser, address);
    }
  else
    {
      /* addr-spec: the words were its local part */
      parser->pos = start;
      address->mailbox = read_words (parser, FALSE);
      if (is_special (peek (parser), '@'))
        {
          parser->pos++;
          address->host = read_domain (parser);
        }
      (void) peek (parser);
      if (parser->comment != NULL)
        address->name = g_strdup (parser->comment);

      if (address->mailbox == NULL && address->host == NULL)
        {
          address_free (address);
          return;
        }
    }

  /* A NIL host would read as a group (RFC 3501 §7.4.2). */
  if (address->mailbox == NULL)
    address->mailbox = g_strdup ("MISSING_MAILBOX");
  if (address->host == NULL)
    address->host = g_strdup ("MISSING_DOMAIN");

  g_ptr_array_add (addresses, address);
}

/* Skips what cannot start an address, up to "," (or ";" in a group). */
static void
skip_junk (AddressParser *parser,
           gboolean       in_group)
{
  Token *token;

  while ((token = peek (parser)) != NULL && !is_special (token, ',') &&
         !(in_group && is_special (token, ';')))
    parser->pos++;
}

static GPtrArray *
parse_address_list (const char *value)
{
  g_autoptr (GArray) tokens = tokenize_addresses (value);
  AddressParser parser = { tokens, 0, NULL };
  GPtrArray *addresses = g_ptr_array_new_with_free_func (address_free);
  Token *token;

  while ((token = peek (&parser)) != NULL)
    {
      guint start = parser.pos;
      g_autofree char *phrase = NULL;

      if (is_special (token, ','))
        {
          parser.pos++;
          continue;
        }

      phrase = read_words (&parser, TRUE);
      if (is_special (peek (&parser), ':'))
        {
          Address *group = g_new0 (Address, 1);

          /* RFC 3501 §7.4.2: a group starts with (NIL NIL name NIL) and
           * ends with (NIL NIL NIL NIL). */
          parser.pos++;
          group->mailbox = phrase != NULL ? g_steal_pointer (&phrase) : g_strdup ("");
          g_ptr_array_add (addresses, group);

          while ((token = peek (&parser)) != NULL && !is_special (token, ';'))
            {
              if (is_special (token, ','))
                {
                  parser.pos++;
                  continue;
                }
              read_mailbox (&parser, addresses);
              skip_junk (&parser, TRUE);
            }
          if (token != NULL)
            parser.pos++;

          g_ptr_array_add (addresses, g_new0 (Address, 1));
        }
      else
        {
          parser.pos = start;
          read_mailbox (&parser, addresses);
          skip_junk (&parser, FALSE);
        }

      g_assert (parser.pos > start);
    }

  return addresses;
}

/* ---- ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) ---- */

static void
write_nstring (GString    *out,
               const char *value)
{
  msc_imap_write_nstring (out, value, -1, MSC_IMAP_WRITE_DEFAULT);
}

static void
write_string (GString    *out,
              const char *value)
{
  msc_imap_write_string (out, value, -1, MSC_IMAP_WRITE_DEFAULT);
}

static void
write_addresses (GString   *out,
                 GPtrArray *addresses)
{
  if (addresses == NULL || addresses->len == 0)
    {
      g_string_append (out, "NIL");
      return;
    }

  g_string_append_c (out, '(');
  for (guint i = 0; i < addresses->len; i++)
    {
      Address *address = g_ptr_array_index (addresses, i);

      g_string_append_c (out, '(');
      write_nstring (out, address->name);
      g_string_append_c (out, ' ');
      write_nstring (out, address->adl);
      g_string_append_c (out, ' ');
      write_nstring (out, address->mailbox);
      g_string_append_c (out, ' ');
      write_nstring (out, address->host);
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, ')');
}

static GPtrArray *
part_parse_addresses (MscImapMessage *self,
                      const Part     *part,
                      const char     *name)
{
  g_autofree char *value = part_dup_field_value (self, part, name);

  return value != NULL ? parse_address_list (value) : NULL;
}

static void
write_envelope (MscImapMessage *self,
                GString        *out,
                const Part     *message)
{
  static const char * const address_fields[] = { "To", "Cc", "Bcc" };
  g_autoptr (GPtrArray) from = part_parse_addresses (self, message, "From");
  g_autoptr (GPtrArray) sender = part_parse_addresses (self, message, "Sender");
  g_autoptr (GPtrArray) reply_to = part_parse_addresses (self, message, "Reply-To");
  g_autofree char *date = part_dup_field_value (self, message, "Date");
  g_autofree char *subject = part_dup_field_value (self, message, "Subject");
  g_autofree char *in_reply_to = part_dup_field_value (self, message, "In-Reply-To");
  g_autofree char *message_id = part_dup_field_value (self, message, "Message-ID");

  g_string_append_c (out, '(');
  write_nstring (out, date);
  g_string_append_c (out, ' ');
  write_nstring (out, subject);
  g_string_append_c (out, ' ');
  write_addresses (out, from);
  g_string_append_c (out, ' ');
  /* §7.4.2: Sender and Reply-To absent or empty are the From. */
  write_addresses (out, sender != NULL && sender->len > 0 ? sender : from);
  g_string_append_c (out, ' ');
  write_addresses (out, reply_to != NULL && reply_to->len > 0 ? reply_to : from);
  for (guint i = 0; i < G_N_ELEMENTS (address_fields); i++)
    {
      g_autoptr (GPtrArray) addresses = part_parse_addresses (self, message, address_fields[i]);

      g_string_append_c (out, ' ');
      write_addresses (out, addresses);
    }
  g_string_append_c (out, ' ');
  write_nstring (out, in_reply_to);
  g_string_append_c (out, ' ');
  write_nstring (out, message_id);
  g_string_append_c (out, ')');
}

/* RFC 3501 §7.4.2 "size of the body in text lines": its line ends, and a
 * last line without one. */
static guint64
count_lines (const char *raw,
             gsize       start,
             gsize       end)
{
  const char *p = raw + start;
  guint64 lines = 0;

  while ((p = memchr (p, '\n', raw + end - p)) != NULL)
    {
      lines++;
      p++;
    }
  if (end > start && raw[end - 1] != '\n')
    lines++;

  return lines;
}

static void
write_params (GString   *out,
              GPtrArray *params,
              gboolean   default_charset)
{
  guint n = params != NULL ? params->len : 0;

  if (n == 0 && !default_charset)
    {
      g_string_append (out, "NIL");
      return;
    }

  g_string_append_c (out, '(');
  for (guint i = 0; i < n; i++)
    {
      Param *param = g_ptr_array_index (params, i);

      if (i > 0)
        g_string_append_c (out, ' ');
      write_string (out, param->name);
      g_string_append_c (out, ' ');
      write_string (out, param->value);
    }
  /* RFC 2046 §4.1.2: the charset text is in when it names none. */
  if (default_charset)
    g_string_append_printf (out, "%s\"CHARSET\" \"US-ASCII\"", n > 0 ? " " : "");
  g_string_append_c (out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
write_extension (MscImapMessage *self,
                 GString        *out,
                 const Part     *part)
{
  g_autofree char *disposition = part_dup_field_value (self, part, "Content-Disposition");
  g_autofree char *language = part_dup_field_value (self, part, "Content-Language");
  g_autofree char *location = part_dup_field_value (self, part, "Content-Location");
  g_autofree char *type = NULL;
  const char *p;

  p = disposition != NULL ? skip_cfws (disposition) : NULL;
  if (p != NULL && (type = read_token (&p)) != NULL)
    {
      g_autoptr (GPtrArray) params = parse_params (p);
      g_autofree char *upper = g_ascii_strup (type, -1);

      g_string_append_c (out, '(');
      write_string (out, upper);
      g_string_append_c (out, ' ');
      write_params (out, params, FALSE);
      g_string_append_c (out, ')');
    }
  else
    {
      g_string_append (out, "NIL");
    }

  g_string_append_c (out, ' ');
  if (language != NULL)
    {
      g_autoptr (GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);

      /* RFC 3282: Language-Tag *("," Language-Tag) */
      p = language;
      for (;;)
        {
          char *tag;

          p = skip_cfws (p);
          if (*p == '\0')
            break;
          if ((tag = read_token (&p)) != NULL)
            g_ptr_array_add (tags, tag);
          else
            p++;
        }

      if (tags->len == 1)
        {
          write_string (out, g_ptr_array_index (tags, 0));
        }
      else if (tags->len > 1)
        {
          g_string_append_c (out, '(');
          for (guint i = 0; i < tags->len; i++)
            {
              if (i > 0)
                g_string_append_c (out, ' ');
              write_string (out, g_ptr_array_index (tags, i));
            }
          g_string_append_c (out, ')');
        }
      else
        {
          g_string_append (out, "NIL");
        }
    }
  else
    {
      g_string_append (out, "NIL");
    }

  g_string_append_c (out, ' ');
  write_nstring (out, location);
}

/* Recursion is bounded by MAX_DEPTH, as in parse_part(). */
static void
write_body (MscImapMessage *self,
            GString        *out,
            const Part     *part,
            gboolean        extensible)
{
  g_string_append_c (out, '(');

  if (part->kind == PART_MULTIPART)
    {
      /* body-type-mpart needs at least one body: a multipart with none
       * (no boundary, or none found) gets an empty text part, as Dovecot
       * writes. */
      if (part->children->len == 0)
        g_string_append_printf (out, "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0%s)",
                                extensible ? " NIL NIL NIL NIL" : "");
      for (guint i = 0; i < part->children->len; i++)
        write_body (self, out, g_ptr_array_index (part->children, i), extensible);

      g_string_append_c (out, ' ');
      write_string (out, part->subtype);
      if (extensible)
        {
          g_string_append_c (out, ' ');
          write_params (out, part->params, FALSE);
          g_string_append_c (out, ' ');
          write_extension (self, out, part);
        }
    }
  else
    {
      g_autofree char *id = part_dup_field_value (self, part, "Content-ID");
      g_autofree char *description = part_dup_field_value (self, part, "Content-Description");

      /* body-fields */
      write_string (out, part->type);
      g_string_append_c (out, ' ');
      write_string (out, part->subtype);
      g_string_append_c (out, ' ');
      write_params (out, part->params, part->default_charset);
      g_string_append_c (out, ' ');
      write_nstring (out, id);
      g_string_append_c (out, ' ');
      write_nstring (out, description);
      g_string_append_c (out, ' ');
      write_string (out, part->encoding);
      g_string_append_printf (out, " %" G_GSIZE_FORMAT, part->body_end - part->body_start);

      if (part->kind == PART_MESSAGE)
        {
          g_string_append_c (out, ' ');
          write_envelope (self, out, part->message);
          g_string_append_c (out, ' ');
          write_body (self, out, part->message, extensible);
        }
      if (part->kind == PART_MESSAGE || strcmp (part->type, "TEXT") == 0)
        g_string_append_printf (out, " %" G_GUINT64_FORMAT,
                                count_lines (self->raw, part->body_start, part->body_end));

      if (extensible)
        {
          g_autofree char *md5 = part_dup_field_value (self, part, "Content-MD5");

          g_string_append_c (out, ' ');
          write_nstring (out, md5);
          g_string_append_c (out, ' ');
          write_extension (self, out, part);
        }
    }

  g_string_append_c (out, ')');
}

char *
msc_imap_message_get_envelope (MscImapMessage *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), NULL);

  if (self->envelope == NULL)
    {
      GString *out = g_string_new (NULL);

      write_envelope (self, out, get_root (self));
      self->envelope = g_string_free (out, FALSE);
    }

  return g_strdup (self->envelope);
}

char *
msc_imap_message_get_body_structure (MscImapMessage *self,
                                     gboolean        extensible)
{
  char **cache;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), NULL);

  cache = extensible ? &self->body_structure : &self->body;
  if (*cache == NULL)
    {
      GString *out = g_string_new (NULL);

      write_body (self, out, get_root (self), extensible);
      *cache = g_string_free (out, FALSE);
    }

  return g_strdup (*cache);
}

/* ---- BODY[section] (RFC 3501 §6.4.5) ---- */

typedef enum
{
  SECTION_BODY,   /* "" or part numbers alone */
  SECTION_HEADER,
  SECTION_HEADER_FIELDS,
  SECTION_HEADER_FIELDS_NOT,
  SECTION_TEXT,
  SECTION_MIME,
} SectionText;

typedef struct
{
  GArray      *numbers;  /* guint32 */
  SectionText  text;
  GPtrArray   *fields;   /* char *, for HEADER.FIELDS[.NOT] */
} Section;

static void
section_clear (Section *section)
{
  g_clear_pointer (&section->numbers, g_array_unref);
  g_clear_pointer (&section->fields, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Section, section_clear)

static gboolean
bad_section (GError **error)
{
  g_set_error_literal (error, MSC_IMAP_MESSAGE_ERROR, MSC_IMAP_MESSAGE_ERROR_BAD_SECTION,
                       _("The section of a message to fetch is not valid"));
  return FALSE;
}

/* ASTRING-CHAR (RFC 3501 §9): CHAR except atom-specials, but "]". */
static gboolean
is_astring_char (char c)
{
  return (guchar) c > 32 && (guchar) c < 127 && strchr ("(){%*\"\\", c) == NULL;
}

/* header-fld-name = astring, as an atom or a quoted string. */
static char *
read_field_name_astring (const char **p)
{
  const char *q = *p;
  GString *name = g_string_new (NULL);

  if (*q == '"')
    {
      for (q++; *q != '"'; q++)
        {
          if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
            q++;
          else if (*q == '\0' || *q == '\r' || *q == '\n' || *q == '\\' || (guchar) *q >= 0x80)
            {
              g_string_free (name, TRUE);
              return NULL;
            }
          g_string_append_c (name, *q);
        }
      q++;
    }
  else
    {
      while (is_astring_char (*q))
        g_string_append_c (name, *q++);
      if (name->len == 0)
        {
          g_string_free (name, TRUE);
          return NULL;
        }
    }

  *p = q;
  return g_string_free (name, FALSE);
}

static gboolean
keyword_is (const char *p,
            gsize       len,
            const char *keyword)
{
  return len == strlen (keyword) && g_ascii_strncasecmp (p, keyword, len) == 0;
}

/* section-spec = section-msgtext / (section-part ["." section-text]) */
static gboolean
section_parse (const char  *spec,
               Section     *section,
               GError     **error)
{
  const char *p = spec;
  gsize len;

  section->numbers = g_array_new (FALSE, FALSE, sizeof (guint32));
  section->fields = g_ptr_array_new_with_free_func (g_free);
  section->text = SECTION_BODY;

  /* section-part = nz-number *("." nz-number) */
  while (g_ascii_isdigit (*p))
    {
      guint64 n = 0;
      guint32 number;

      if (*p == '0')
        return bad_section (error);
      while (g_ascii_isdigit (*p))
        {
          n = n * 10 + (guint) (*p++ - '0');
          if (n > G_MAXUINT32)
            return bad_section (error);
        }
      number = (guint32) n;
      g_array_append_val (section->numbers, number);

      if (*p == '\0')
        return TRUE;
      if (*p++ != '.' || *p == '\0')
        return bad_section (error);
    }

  if (*p == '\0')
    return TRUE;

  len = strcspn (p, " ");
  if (keyword_is (p, len, "HEADER"))
    section->text = SECTION_HEADER;
  else if (keyword_is (p, len, "TEXT"))
    section->text = SECTION_TEXT;
  else if (keyword_is (p, len, "HEADER.FIELDS"))
    section->text = SECTION_HEADER_FIELDS;
  else if (keyword_is (p, len, "HEADER.FIELDS.NOT"))
    section->text = SECTION_HEADER_FIELDS_NOT;
  else if (keyword_is (p, len, "MIME") && section->numbers->len > 0)
    section->text = SECTION_MIME;
  else
    return bad_section (error);
  p += len;

  if (section->text == SECTION_HEADER_FIELDS || section->text == SECTION_HEADER_FIELDS_NOT)
    {
      /* SP header-list; header-list = "(" header-fld-name *(SP header-fld-name) ")" */
      if (p[0] != ' ' || p[1] != '(')
        return bad_section (error);
      p += 2;

      for (;;)
        {
          char *name = read_field_name_astring (&p);

          if (name == NULL)
            return bad_section (error);
          g_ptr_array_add (section->fields, name);

          if (*p == ')')
            {
              p++;
              break;
            }
          if (*p++ != ' ')
            return bad_section (error);
        }
    }

  if (*p != '\0')
    return bad_section (error);

  return TRUE;
}

gboolean
msc_imap_message_check_section (const char  *section,
                                GError     **error)
{
  g_auto (Section) parsed = { 0, };

  g_return_val_if_fail (section != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return section_parse (section, &parsed, error);
}

/* The part numbers lead from the message down (RFC 3501 §6.4.5): in a
 * multipart, n is its nth part; in a message that is not multipart, 1
 * is its body; in a message/rfc822 part, the numbers go on inside the
 * message it holds.  NULL for a part the message does not have. */
static Part *
resolve_part (MscImapMessage *self,
              GArray         *numbers)
{
  Part *part = get_root (self);
  gboolean at_message = TRUE;

  for (guint i = 0; i < numbers->len; i++)
    {
      guint32 n = g_array_index (numbers, guint32, i);

      if (!at_message && part->kind == PART_MESSAGE)
        {
          part = part->message;
          at_message = TRUE;
        }

      if (part->kind == PART_MULTIPART)
        {
          if (n > part->children->len)
            return NULL;
          part = g_ptr_array_index (part->children, n - 1);
        }
      else if (!at_message || n != 1)
        {
          return NULL;
        }

      at_message = FALSE;
    }

  return part;
}

static GBytes *
slice (MscImapMessage *self,
       gsize           start,
       gsize           end)
{
  return g_bytes_new_from_bytes (self->data, start, end - start);
}

static GBytes *
header_fields (MscImapMessage *self,
               const Part     *message,
               GPtrArray      *names,
               gboolean        exclude)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < message->fields->len; i++)
    {
      const Field *field = &g_array_index (message->fields, Field, i);
      gboolean listed = FALSE;

      for (guint j = 0; j < names->len && !listed; j++)
        {
          const char *name = g_ptr_array_index (names, j);

          listed = field_has_name (self, field, name, strlen (name));
        }

      if (listed != exclude)
        g_byte_array_append (out, (const guint8 *) self->raw + field->start,
                             field->end - field->start);
    }

  /* "the blank line is included in all header fetches, except in the
   * case of a message which has no body and no blank line" */
  if (message->has_blank_line || message->body_end > message->body_start)
    {
      if (out->len > 0 && out->data[out->len - 1] != '\n')
        g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
    }

  return g_byte_array_free_to_bytes (out);
}

GBytes *
msc_imap_message_get_section (MscImapMessage  *self,
                              const char      *section,
                              GError         **error)
{
  g_auto (Section) parsed = { 0, };
  const Part *part;
  const Part *message;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), NULL);
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!section_parse (section, &parsed, error))
    return NULL;

  if (parsed.numbers->len == 0 && parsed.text == SECTION_BODY)
    return g_bytes_ref (self->data);

  part = resolve_part (self, parsed.numbers);
  if (part == NULL)
    return g_bytes_new (NULL, 0);

  if (parsed.text == SECTION_BODY)
    return slice (self, part->body_start, part->body_end);
  if (parsed.text == SECTION_MIME)
    return slice (self, part->header_start, part->body_start);

  /* §6.4.5: after part numbers these name the header or text of the
   * message a message/rfc822 part holds; of any other part there is
   * none. */
  if (parsed.numbers->len == 0)
    message = part;
  else if (part->kind == PART_MESSAGE)
    message = part->message;
  else
    return g_bytes_new (NULL, 0);

  if (parsed.text == SECTION_HEADER)
    return slice (self, message->header_start, message->body_start);
  if (parsed.text == SECTION_TEXT)
    return slice (self, message->body_start, message->body_end);

  return header_fields (self, message, parsed.fields, parsed.text == SECTION_HEADER_FIELDS_NOT);
}

/* ---- SEARCH (RFC 3501 §6.4.4) ---- */

/* Case-folded and NFKD-normalised, the two sides of a match made alike. */
static char *
fold (const char *text,
      gssize      len)
{
  g_autofree char *valid = g_utf8_make_valid (text, len);
  g_autofree char *folded = g_utf8_casefold (valid, -1);
  char *normal = g_utf8_normalize (folded, -1, G_NORMALIZE_ALL);

  return normal != NULL ? normal : g_steal_pointer (&folded);
}

/* NUL ends a C string; in text it means nothing. */
static void
replace_nuls (char  *text,
              gsize  len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\0')
        text[i] = ' ';
    }
}

static char *
decode_field_value (MscImapMessage *self,
                    const Field    *field)
{
  g_autofree char *value = field_dup_value (self, field);
  g_autofree char *decoded = g_mime_utils_header_decode_text (parser_options, value);

  return g_utf8_make_valid (decoded != NULL ? decoded : value, -1);
}

static void
append_decoded_header (MscImapMessage *self,
                       const Part     *part,
                       GString        *out)
{
  for (guint i = 0; i < part->fields->len; i++)
    {
      const Field *field = &g_array_index (part->fields, Field, i);
      g_autofree char *value = decode_field_value (self, field);

      g_string_append_len (out, self->raw + field->start, field->name_len);
      g_string_append (out, ": ");
      g_string_append (out, value);
      g_string_append_c (out, '\n');
    }
}

static gboolean
is_ascii_or_utf8 (const char *charset)
{
  static const char * const names[] = { "us-ascii", "ascii", "utf-8", "utf8", "unicode-1-1-utf-8" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (charset, names[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

/* The text of a text/ part in UTF-8: transfer encoding undone, then the
 * charset. */
static void
append_decoded_text (MscImapMessage *self,
                     const Part     *part,
                     GString        *out)
{
  const char *charset = params_lookup (part->params, "CHARSET");
  GMimeContentEncoding encoding = g_mime_content_encoding_from_string (part->encoding);
  gsize len = part->body_end - part->body_start;
  g_autofree char *octets = NULL;
  GMimeFilter *filter = NULL;

  if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
      encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
    {
      GMimeEncoding state;

      g_mime_encoding_init_decode (&state, encoding);
      octets = g_malloc (g_mime_encoding_outlen (&state, len) + 1);
      len = g_mime_encoding_flush (&state, self->raw + part->body_start, len, octets);
    }
  else
    {
      octets = g_malloc (len + 1);
      memcpy (octets, self->raw + part->body_start, len);
    }
  octets[len] = '\0';

  if (charset != NULL && !is_ascii_or_utf8 (charset))
    filter = g_mime_filter_charset_new (charset, "UTF-8");

  if (filter != NULL)
    {
      char *converted;
      size_t converted_len, prespace;
      g_autofree char *valid = NULL;

      /* GMime knows the aliases (GB2312 is read as GBK) and skips what
       * does not convert. */
      g_mime_filter_complete (filter, octets, len, 0, &converted, &converted_len, &prespace);
      replace_nuls (converted, converted_len);
      valid = g_utf8_make_valid (converted, converted_len);
      g_string_append (out, valid);
      g_object_unref (filter);
    }
  else
    {
      replace_nuls (octets, len);
      if (g_utf8_validate_len (octets, len, NULL))
        {
          g_string_append_len (out, octets, len);
        }
      else
        {
          /* No charset, us-ascii with 8-bit octets, UTF-8 that is not,
           * or a charset iconv does not know. */
          g_autofree char *guessed = g_mime_utils_decode_8bit (parser_options, octets, len);
          g_autofree char *valid = g_utf8_make_valid (guessed, -1);

          g_string_append (out, valid);
        }
    }
  g_string_append_c (out, '\n');
}

static const char *
get_folded_body (MscImapMessage *self)
{
  if (self->folded_body == NULL)
    {
      g_autoptr (GString) text = g_string_new (NULL);

      for (guint i = 0; i < self->parts->len; i++)
        {
          const Part *part = g_ptr_array_index (self->parts, i);

          /* An attached message's header is text of this body. */
          if (i > 0 && part->is_message)
            append_decoded_header (self, part, text);
          if (part->kind == PART_LEAF && strcmp (part->type, "TEXT") == 0)
            append_decoded_text (self, part, text);
        }

      self->folded_body = fold (text->str, text->len);
    }

  return self->folded_body;
}

static const char *
get_folded_header (MscImapMessage *self)
{
  if (self->folded_header == NULL)
    {
      g_autoptr (GString) text = g_string_new (NULL);

      append_decoded_header (self, get_root (self), text);
      self->folded_header = fold (text->str, text->len);
    }

  return self->folded_header;
}

static const char *
get_folded_value (MscImapMessage *self,
                  guint           index)
{
  Part *root = get_root (self);

  if (self->folded_values == NULL)
    {
      self->folded_values = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_set_size (self->folded_values, root->fields->len);
    }

  if (g_ptr_array_index (self->folded_values, index) == NULL)
    {
      g_autofree char *value = decode_field_value (self, &g_array_index (root->fields, Field, index));

      g_ptr_array_index (self->folded_values, index) = fold (value, -1);
    }

  return g_ptr_array_index (self->folded_values, index);
}

gboolean
msc_imap_message_header_contains (MscImapMessage *self,
                                  const char     *field,
                                  const char     *needle_utf8)
{
  g_autofree char *needle = NULL;
  Part *root;
  gsize field_len;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), FALSE);
  g_return_val_if_fail (needle_utf8 != NULL, FALSE);

  if (field == NULL)
    return FALSE;

  root = get_root (self);
  field_len = strlen (field);
  needle = fold (needle_utf8, -1);

  for (guint i = 0; i < root->fields->len; i++)
    {
      if (!field_has_name (self, &g_array_index (root->fields, Field, i), field, field_len))
        continue;
      /* §6.4.4: an empty string matches every message with the field. */
      if (*needle == '\0' || strstr (get_folded_value (self, i), needle) != NULL)
        return TRUE;
    }

  return FALSE;
}

gboolean
msc_imap_message_body_contains (MscImapMessage *self,
                                const char     *needle_utf8)
{
  g_autofree char *needle = NULL;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), FALSE);
  g_return_val_if_fail (needle_utf8 != NULL, FALSE);

  needle = fold (needle_utf8, -1);

  return strstr (get_folded_body (self), needle) != NULL;
}

gboolean
msc_imap_message_text_contains (MscImapMessage *self,
                                const char     *needle_utf8)
{
  g_autofree char *needle = NULL;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), FALSE);
  g_return_val_if_fail (needle_utf8 != NULL, FALSE);

  needle = fold (needle_utf8, -1);

  return strstr (get_folded_header (self), needle) != NULL ||
         strstr (get_folded_body (self), needle) != NULL;
}

GDateTime *
msc_imap_message_get_sent_date (MscImapMessage *self)
{
  g_autofree char *date = NULL;

  g_return_val_if_fail (MSC_IS_IMAP_MESSAGE (self), NULL);

  date = part_dup_field_value (self, get_root (self), "Date");
  if (date == NULL)
    return NULL;

  return g_mime_utils_header_decode_date (date);
}
