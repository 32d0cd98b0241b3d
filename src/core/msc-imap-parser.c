/* msc-imap-parser.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-parser"

#include "config.h"

#include <string.h>

#include "msc-imap-parser.h"
#include "msc-mutf7.h"

#define DEFAULT_MAX_LINE_LENGTH  65536
#define DEFAULT_MAX_LITERAL_SIZE (64 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH        64
#define DEFAULT_MAX_ARGS         10000
/* Freeing the tree recurses once per level. */
#define MAX_DEPTH_CEILING        1024

/* The exact texts of the errors, as the engine sends them after "BAD" or
 * "BYE".  Some take numbers: the limit that was crossed. */
#define E_NUL            "NUL octet outside a literal"
#define E_BARE_LF        "Line ends in LF without CR"
#define E_CR             "CR not followed by LF"
#define E_8BIT           "8-bit octet outside a literal"
#define E_8BIT_QUOTED    "8-bit octet in a quoted string (send a literal)"
#define E_CTL            "Control character outside a quoted string or literal"
#define E_EMPTY          "Empty line"
#define E_TAG            "Invalid character in tag"
#define E_NO_COMMAND     "Missing command name"
#define E_NO_RESPONSE    "Missing response name"
#define E_NAME           "Invalid character in name"
#define E_NUMBER         "Invalid message number"
#define E_STAR_SP        "Missing SP after \"*\""
#define E_PLUS_SP        "Missing SP after \"+\""
#define E_STATUS         "Tagged response is not OK, NO or BAD"
#define E_SP             "Unexpected SP"
#define E_SP_EOL         "Unexpected SP at end of line"
#define E_SP_PAREN       "Unexpected SP before \")\""
#define E_SP_BRACKET     "Unexpected SP before \"]\""
#define E_PAREN          "Unexpected \")\""
#define E_BRACKET        "Unexpected \"]\""
#define E_NO_PAREN       "Missing \")\""
#define E_NO_BRACKET     "Missing \"]\""
#define E_NO_SP          "Missing SP between arguments"
#define E_CHAR           "Invalid character"
#define E_QUOTED_EOL     "Quoted string not closed before end of line"
#define E_ESCAPE         "Invalid escape in quoted string"
#define E_LITERAL        "Invalid literal size"
#define E_LITERAL_CRLF   "Literal announcement not followed by CRLF"
#define E_LITERAL8       "Literal8 (~{n}) is not supported"
#define E_NON_SYNC       "Non-synchronizing literal in a response"
#define E_PARTIAL        "Invalid <partial>"
#define E_CODE           "Invalid response code"
#define E_NO_CODE_END    "Missing \"]\" after the response code"
#define E_LINE_TOO_LONG  "Line is longer than %" G_GSIZE_FORMAT " octets"
#define E_TOO_DEEP       "Too deeply nested: more than %u levels"
#define E_TOO_MANY_ARGS  "Too many arguments: more than %u"
#define E_TOOBIG         "[TOOBIG] Literal of %" G_GUINT64_FORMAT \
                         " octets is larger than the %" G_GUINT64_FORMAT " octets allowed"

/* One switch over the octets, Dovecot-style.  Every state reads one octet
 * of a line, except LITERAL_DATA and SKIP_LITERAL, which take blocks. */
typedef enum
{
  STATE_START,         /* the first octet of an item */
  STATE_TAG,
  STATE_UNTAGGED,      /* "*" read; SP must follow */
  STATE_CONTINUATION,  /* "+" read; SP or CRLF must follow */
  STATE_NAME,          /* the command or response name, or the number before it */
  STATE_ARG,           /* an argument, or a closing ")" or "]" */
  STATE_ATOM,
  STATE_QUOTED,
  STATE_QUOTED_ESCAPE,
  STATE_LITERAL_SIZE,  /* after "{" */
  STATE_LITERAL_CR,    /* after "}" */
  STATE_LITERAL_LF,
  STATE_LITERAL_DATA,
  STATE_AFTER_VALUE,   /* SP, a closing ")" or "]", or CRLF */
  STATE_SECTION_END,   /* after BODY[...]: "<" or not */
  STATE_PARTIAL,       /* in <offset.length> */
  STATE_RESP_TEXT,     /* "[" resp-text-code "]" or text */
  STATE_CODE_NAME,
  STATE_CODE_RAW,      /* code text that is not value syntax, up to "]" */
  STATE_CODE_END,      /* after the code's "]" */
  STATE_TEXT,
  STATE_LINE,          /* expect_line(): any text up to CRLF */
  STATE_LF,            /* CR read; LF ends the item */
  STATE_SKIP_LINE,     /* after an error: up to LF, then see what it announced */
  STATE_SKIP_LITERAL,
  STATE_DEAD,          /* after a fatal error */
  N_STATES
} State;

static const char * const state_names[] = {
  "start", "tag", "untagged", "continuation", "name", "arg", "atom", "quoted",
  "quoted-escape", "literal-size", "literal-cr", "literal-lf", "literal-data",
  "after-value", "section-end", "partial", "resp-text", "code-name", "code-raw",
  "code-end", "text", "line", "lf", "skip-line", "skip-literal", "dead",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == N_STATES);

static const char * const item_kind_names[] = {
  "command", "untagged", "continuation", "tagged", "line",
};
G_STATIC_ASSERT (G_N_ELEMENTS (item_kind_names) == MSC_IMAP_N_ITEM_KINDS);

static const char * const value_kind_names[] = {
  "atom", "number", "quoted", "literal", "nil", "list",
};
G_STATIC_ASSERT (G_N_ELEMENTS (value_kind_names) == MSC_IMAP_N_VALUE_KINDS);

static const char * const months[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* How the line seen so far ends, as far as a literal announcement goes:
 * after an error the parser no longer follows the grammar, but it must
 * still know whether the bad line announced a literal whose octets are
 * on their way.  Tracked on every octet, so it needs no buffer. */
typedef enum
{
  TAIL_NONE,
  TAIL_OPEN,       /* "{" */
  TAIL_DIGITS,     /* "{" 1*DIGIT */
  TAIL_PLUS,       /* "{" 1*DIGIT "+" */
  TAIL_CLOSED,     /* ... "}" */
  TAIL_CLOSED_CR,  /* ... "}" CR */
} Tail;

/* An open "(" or "[": where its elements go, and what closes it.  A
 * resp-text-code is a frame closed by "]" with no value. */
typedef struct
{
  MscImapValue *value;
  GPtrArray    *children;
  char          closer;
} Frame;

typedef enum
{
  OUTCOME_NONE,
  OUTCOME_ITEM,
  OUTCOME_CONTINUATION,
  OUTCOME_ERROR,
} Outcome;

/* A plain struct, like MscLineReader: one engine owns it for its whole
 * life, on the path of every octet, and a fuzz target can use it without
 * the type system. */
struct _MscImapParser
{
  MscImapParserMode    mode;
  MscImapParserLimits  limits;
  State                state;

  /* The item being read, and where its values go */
  MscImapItem         *item;
  GArray              *frames;
  guint                n_brackets;      /* frames closed by "]" */
  MscImapValue        *literal_value;   /* the LITERAL being read */
  MscImapValue        *last_section;    /* for a <partial> after it */

  /* The token being read: tag, name, atom, quoted string or text */
  GString             *token;
  GString             *code_text;
  GByteArray          *literal;

  /* Per item, against the limits */
  gsize                line_length;
  guint64              literal_total;
  guint                n_values;
  gsize                value_octets;

  guint64              literal_size;
  guint64              literal_left;
  guint                literal_digits;
  guint64              partial_offset;
  guint64              partial_length;
  guint                partial_digits;

  Tail                 tail;
  guint64              tail_size;

  /* The error to report once the rest of the bad command is skipped */
  GError              *error;

  guint                after_sp : 1;
  guint                literal_plus : 1;
  guint                literal_refused : 1;
  guint                partial_dot : 1;
  guint                tail_plus : 1;
  guint                in_code : 1;       /* errors fall back to raw code text */
  guint                collect_code : 1;  /* octets go to code_text */
  guint                resp_text : 1;     /* the item has resp-text */
  guint                expect_line : 1;
  guint                lenient : 1;
};

G_DEFINE_QUARK (msc-imap-parser-error-quark, msc_imap_parser_error)

gboolean
msc_imap_parser_error_is_fatal (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  return error->domain == MSC_IMAP_PARSER_ERROR
         && error->code == MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE;
}

const char *
msc_imap_item_kind_get_name (MscImapItemKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_N_ITEM_KINDS, NULL);

  return item_kind_names[kind];
}

const char *
msc_imap_value_kind_get_name (MscImapValueKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_N_VALUE_KINDS, NULL);

  return value_kind_names[kind];
}

/* ---- Character classes (RFC 3501 §9) ---- */

/* ATOM-CHAR: any CHAR except atom-specials, that is "(" ")" "{" SP CTL
 * "%" "*" DQUOTE "\" "]". */
static inline gboolean
is_atom_char (guchar c)
{
  return c > 0x20 && c < 0x7f && strchr ("(){%*\"\\]", c) == NULL;
}

/* tag = 1*<any ASTRING-CHAR except "+">; ASTRING-CHAR adds "]". */
static inline gboolean
is_tag_char (guchar c)
{
  return c != '+' && (is_atom_char (c) || c == ']');
}

static inline gboolean
is_astring_char (guchar c)
{
  return is_atom_char (c) || c == ']';
}

/* What an argument atom may hold is wider than ATOM-CHAR, as in Dovecot:
 * flags ("\Seen", "\*"), sequence sets ("1:*"), LIST patterns ("%") and
 * astrings ("]") are all atoms to the tokenizer, and the accessors check
 * the narrower rule each place needs.  Inside [ ] a "]" closes. */
static inline gboolean
is_arg_atom_char (MscImapParser *self,
                  guchar         c)
{
  if (c <= 0x20 || c >= 0x7f)
    return FALSE;
  if (c == ']')
    return self->n_brackets == 0;
  return strchr ("(){\"", c) == NULL;
}

/* section is allowed after exactly these fetch attributes (RFC 3501
 * fetch-att, RFC 3516 BINARY); elsewhere "[" is an ordinary ATOM-CHAR, as
 * in a mailbox named "foo[bar]". */
static gboolean
is_section_name (const char *atom)
{
  static const char * const names[] = {
    "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (atom, names[i]) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
is_all_digits (const char *s,
               gsize       len)
{
  if (len == 0)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;

  return TRUE;
}

/* ---- Values and items ---- */

static void
value_free (gpointer data)
{
  MscImapValue *value = data;

  if (value == NULL)
    return;

  g_free (value->data);
  g_clear_pointer (&value->children, g_ptr_array_unref);
  g_free (value);
}

static GPtrArray *
value_array_new (void)
{
  return g_ptr_array_new_with_free_func (value_free);
}

void
msc_imap_item_free (MscImapItem *item)
{
  if (item == NULL)
    return;

  g_free (item->tag);
  g_free (item->name);
  g_clear_pointer (&item->args, g_ptr_array_unref);
  g_free (item->code);
  g_free (item->code_text);
  g_clear_pointer (&item->code_args, g_ptr_array_unref);
  g_free (item->text);
  g_free (item);
}

static void
new_item (MscImapParser   *self,
          MscImapItemKind  kind)
{
  g_assert (self->item == NULL);

  self->item = g_new0 (MscImapItem, 1);
  self->item->kind = kind;
  self->item->args = value_array_new ();
}

/* Forgets the values read, keeping what identifies the item. */
static void
drop_values (MscImapParser *self)
{
  if (self->item != NULL)
    {
      g_ptr_array_set_size (self->item->args, 0);
      g_clear_pointer (&self->item->code_args, g_ptr_array_unref);
    }
  g_array_set_size (self->frames, 0);
  self->n_brackets = 0;
  self->value_octets = 0;
  self->literal_value = NULL;
  self->last_section = NULL;
  self->in_code = FALSE;
  self->collect_code = FALSE;
  g_string_truncate (self->token, 0);
  g_byte_array_set_size (self->literal, 0);
}

/* Ready for the next item. */
static void
start_item (MscImapParser *self)
{
  drop_values (self);
  g_clear_pointer (&self->item, msc_imap_item_free);
  g_clear_error (&self->error);
  g_string_truncate (self->code_text, 0);

  self->state = STATE_START;
  self->line_length = 0;
  self->literal_total = 0;
  self->n_values = 0;
  self->value_octets = 0;
  self->literal_size = 0;
  self->literal_left = 0;
  self->tail = TAIL_NONE;
  self->tail_size = 0;
  self->tail_plus = FALSE;
  self->after_sp = FALSE;
  self->literal_refused = FALSE;
  self->resp_text = FALSE;
}

/* ---- Errors ---- */

static void fail (MscImapParser      *self,
                  MscImapParserError  code,
                  const char         *format,
                  ...) G_GNUC_PRINTF (3, 4);

static void
fail (MscImapParser      *self,
      MscImapParserError  code,
      const char         *format,
      ...)
{
  va_list args;

  /* resp-text-code = atom [SP 1*<any TEXT-CHAR except "]">]: what is not
   * value syntax is still a valid code, kept as its text. */
  if (self->in_code
      && (code == MSC_IMAP_PARSER_ERROR_SYNTAX
          || code == MSC_IMAP_PARSER_ERROR_TOO_DEEP
          || code == MSC_IMAP_PARSER_ERROR_TOO_MANY_ARGS))
    {
      const char *end = memchr (self->code_text->str, ']', self->code_text->len);

      g_clear_pointer (&self->item->code_args, g_ptr_array_unref);
      g_array_set_size (self->frames, 0);
      self->n_brackets = 0;
      self->last_section = NULL;
      self->in_code = FALSE;
      g_string_truncate (self->token, 0);

      if (end == NULL)
        {
          self->state = STATE_CODE_RAW;
          return;
        }

      /* A quoted string swallowed the "]" (in [X "a] b): the code ended
       * there, and what came after it is already text. */
      self->item->code_text = g_strndup (self->code_text->str, end - self->code_text->str);
      end++;
      if (*end == ' ')
        end++;
      g_string_append_len (self->token, end,
                           self->code_text->str + self->code_text->len - end);
      self->collect_code = FALSE;
      self->state = STATE_TEXT;
      return;
    }

  g_clear_error (&self->error);
  va_start (args, format);
  self->error = g_error_new_valist (MSC_IMAP_PARSER_ERROR, code, format, args);
  va_end (args);

  g_debug ("%s in state %s", self->error->message, state_names[self->state]);

  drop_values (self);
  self->state = msc_imap_parser_error_is_fatal (self->error) ? STATE_DEAD : STATE_SKIP_LINE;
}

static void
fail_syntax (MscImapParser *self,
             const char    *message)
{
  fail (self, MSC_IMAP_PARSER_ERROR_SYNTAX, "%s", message);
}

/* An octet the state cannot take: the octet's class says more than the
 * state when it is one no line may hold there. */
static void
fail_octet (MscImapParser *self,
            guchar         c,
            const char    *message)
{
  if (c == '\0')
    fail_syntax (self, E_NUL);
  else if (c == '\n')
    fail_syntax (self, E_BARE_LF);
  else if (c >= 0x80)
    fail_syntax (self, E_8BIT);
  else if ((c < 0x20 && c != '\r') || c == 0x7f)
    fail_syntax (self, E_CTL);
  else
    fail_syntax (self, message);
}

static void
fail_too_big (MscImapParser      *self,
              MscImapParserError  code,
              guint64             size)
{
  fail (self, code, E_TOOBIG, size,
        self->limits.max_literal_size - MIN (self->literal_total, self->limits.max_literal_size));
}

/* ---- Building the tree ---- */

static GPtrArray *
current_children (MscImapParser *self)
{
  if (self->frames->len > 0)
    return g_array_index (self->frames, Frame, self->frames->len - 1).children;

  return self->item->args;
}

static MscImapValue *
add_value (MscImapParser    *self,
           MscImapValueKind  kind,
           const char       *data,
           gsize             len)
{
  MscImapValue *value;

  if (self->n_values >= self->limits.max_args)
    {
      fail (self, MSC_IMAP_PARSER_ERROR_TOO_MANY_ARGS, E_TOO_MANY_ARGS,
            self->limits.max_args);
      return NULL;
    }
  self->n_values++;
  self->value_octets += len;

  value = g_new0 (MscImapValue, 1);
  value->kind = kind;
  value->data = g_strndup (data, len);
  value->len = len;
  g_ptr_array_add (current_children (self), value);

  return value;
}

static gboolean
push_frame (MscImapParser *self,
            MscImapValue  *value,
            GPtrArray     *children,
            char           closer)
{
  Frame frame = { value, children, closer };

  if (self->frames->len >= self->limits.max_depth)
    {
      fail (self, MSC_IMAP_PARSER_ERROR_TOO_DEEP, E_TOO_DEEP, self->limits.max_depth);
      return FALSE;
    }

  g_array_append_val (self->frames, frame);
  if (closer == ']')
    self->n_brackets++;
  self->after_sp = FALSE;

  return TRUE;
}

static gboolean
top_is (MscImapParser *self,
        char           closer)
{
  return self->frames->len > 0
         && g_array_index (self->frames, Frame, self->frames->len - 1).closer == closer;
}

/* Whether the value just finished is a list: values are added when they
 * start, so the last one is the one that just ended. */
static gboolean
last_is_list (MscImapParser *self)
{
  GPtrArray *children = current_children (self);

  return children->len > 0
         && ((MscImapValue *) g_ptr_array_index (children, children->len - 1))->kind
            == MSC_IMAP_VALUE_LIST;
}

static void
close_paren (MscImapParser *self)
{
  g_array_set_size (self->frames, self->frames->len - 1);
  self->state = STATE_AFTER_VALUE;
}

static void
close_bracket (MscImapParser *self)
{
  MscImapValue *value = g_array_index (self->frames, Frame, self->frames->len - 1).value;

  g_array_set_size (self->frames, self->frames->len - 1);
  self->n_brackets--;

  if (value == NULL)
    {
      /* The response code's own frame. */
      self->item->code_text = g_strndup (self->code_text->str, self->code_text->len);
      self->in_code = FALSE;
      self->collect_code = FALSE;
      self->state = STATE_CODE_END;
    }
  else
    {
      self->last_section = value;
      self->state = STATE_SECTION_END;
    }
}

static void
finish_atom (MscImapParser *self)
{
  MscImapValueKind kind = MSC_IMAP_VALUE_ATOM;
  guint64 number = 0;
  MscImapValue *value;

  if (g_ascii_strcasecmp (self->token->str, "NIL") == 0)
    kind = MSC_IMAP_VALUE_NIL;
  else if (is_all_digits (self->token->str, self->token->len)
           && g_ascii_string_to_unsigned (self->token->str, 10, 0, G_MAXUINT64,
                                          &number, NULL))
    kind = MSC_IMAP_VALUE_NUMBER;

  value = add_value (self, kind, self->token->str, self->token->len);
  g_string_truncate (self->token, 0);
  if (value == NULL)
    return;

  value->number = number;
  self->state = STATE_AFTER_VALUE;
}

static void
finish_literal (MscImapParser *self)
{
  MscImapValue *value = self->literal_value;
  gsize len = self->literal->len;

  g_byte_array_append (self->literal, (const guint8 *) "", 1);
  g_free (value->data);
  value->data = (char *) g_byte_array_steal (self->literal, NULL);
  value->len = len;
  self->value_octets += len;

  self->literal_value = NULL;
  self->state = STATE_AFTER_VALUE;
}

/* ---- Names ---- */

static gboolean
is_status (const char *name)
{
  return strcmp (name, "OK") == 0 || strcmp (name, "NO") == 0 || strcmp (name, "BAD") == 0;
}

/* resp-cond-state, resp-cond-bye and resp-cond-auth carry resp-text. */
static gboolean
has_resp_text (const MscImapItem *item)
{
  if (item->kind == MSC_IMAP_ITEM_TAGGED)
    return TRUE;

  return item->kind == MSC_IMAP_ITEM_UNTAGGED && !item->has_number
         && (is_status (item->name)
             || strcmp (item->name, "BYE") == 0
             || strcmp (item->name, "PREAUTH") == 0);
}

static void
finish_name (MscImapParser *self,
             guchar         c)
{
  MscImapItem *item = self->item;

  if (item->kind == MSC_IMAP_ITEM_UNTAGGED && !item->has_number
      && is_all_digits (self->token->str, self->token->len))
    {
      guint64 number;

      if (c != ' ')
        {
          fail_syntax (self, E_NO_RESPONSE);
          return;
        }
      if (!g_ascii_string_to_unsigned (self->token->str, 10, 0, G_MAXUINT32, &number, NULL))
        {
          fail_syntax (self, E_NUMBER);
          return;
        }

      /* "* 23 EXISTS": the number, then the name. */
      item->has_number = TRUE;
      item->number = (guint32) number;
      g_string_truncate (self->token, 0);
      return;
    }

  item->name = g_ascii_strup (self->token->str, self->token->len);
  g_string_truncate (self->token, 0);

  if (item->kind == MSC_IMAP_ITEM_TAGGED && !is_status (item->name))
    {
      fail_syntax (self, E_STATUS);
      return;
    }

  if (has_resp_text (item))
    {
      self->resp_text = TRUE;
      /* The text is required, but servers that send none exist, and RFC
       * 9051 accepts an empty one. */
      self->state = c == ' ' ? STATE_RESP_TEXT : STATE_LF;
    }
  else
    {
      self->after_sp = TRUE;
      self->state = c == ' ' ? STATE_ARG : STATE_LF;
    }
}

/* ---- The state machine ---- */

static void
track_tail (MscImapParser *self,
            guchar         c)
{
  switch (c)
    {
    case '{':
      self->tail = TAIL_OPEN;
      self->tail_size = 0;
      self->tail_plus = FALSE;
      return;

    case '+':
      self->tail = self->tail == TAIL_DIGITS ? TAIL_PLUS : TAIL_NONE;
      self->tail_plus = TRUE;
      return;

    case '}':
      self->tail = self->tail == TAIL_DIGITS || self->tail == TAIL_PLUS ? TAIL_CLOSED : TAIL_NONE;
      return;

    case '\r':
      self->tail = self->tail == TAIL_CLOSED ? TAIL_CLOSED_CR : TAIL_NONE;
      return;

    default:
      if (g_ascii_isdigit (c) && (self->tail == TAIL_OPEN || self->tail == TAIL_DIGITS))
        {
          guint d = c - '0';

          self->tail = TAIL_DIGITS;
          /* Saturates: an absurd size must still read as too large. */
          self->tail_size = self->tail_size > (G_MAXUINT64 - d) / 10
                            ? G_MAXUINT64 : self->tail_size * 10 + d;
        }
      else
        {
          self->tail = TAIL_NONE;
        }
      return;
    }
}

/* The end of a line skipped after an error.  If it announced a literal
 * that the client sends without waiting (a {n+}, or any literal a server
 * sends), its octets and the lines after them still belong to the bad
 * command: skip them too, however little is known about the line.  A
 * synchronizing {n} ends the command here: the client waits for a "+"
 * that never comes, and takes the BAD as the end (RFC 3501 §7.5). */
static Outcome
end_skipped_line (MscImapParser *self)
{
  gboolean announced = self->tail == TAIL_CLOSED || self->tail == TAIL_CLOSED_CR;
  gboolean non_sync = self->tail_plus || self->mode == MSC_IMAP_PARSER_MODE_RESPONSE;

  if (!announced || !non_sync)
    return OUTCOME_ERROR;

  if (self->tail_size > self->limits.max_literal_size - MIN (self->literal_total,
                                                            self->limits.max_literal_size))
    {
      /* Too much to read for nothing: RFC 7888 §4 lets the server close. */
      fail_too_big (self, MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE, self->tail_size);
      return OUTCOME_NONE;
    }

  self->literal_total += self->tail_size;
  self->literal_left = self->tail_size;
  self->state = STATE_SKIP_LITERAL;

  return OUTCOME_NONE;
}

/* One octet in the current state.  Returns what the caller hands out once
 * the octet is used; *@consume is FALSE when the octet must be read again
 * in the new state. */
static Outcome
step (MscImapParser *self,
      guchar         c,
      gboolean      *consume)
{
  MscImapItem *item = self->item;
  MscImapValue *value;

  switch (self->state)
    {
    case STATE_START:
      if (self->expect_line)
        {
          self->expect_line = FALSE;
          new_item (self, MSC_IMAP_ITEM_LINE);
          self->state = STATE_LINE;
          *consume = FALSE;
          break;
        }

      if (self->mode == MSC_IMAP_PARSER_MODE_RESPONSE && c == '*')
        {
          new_item (self, MSC_IMAP_ITEM_UNTAGGED);
          self->state = STATE_UNTAGGED;
          break;
        }
      if (self->mode == MSC_IMAP_PARSER_MODE_RESPONSE && c == '+')
        {
          new_item (self, MSC_IMAP_ITEM_CONTINUATION);
          self->state = STATE_CONTINUATION;
          break;
        }

      new_item (self, self->mode == MSC_IMAP_PARSER_MODE_COMMAND ? MSC_IMAP_ITEM_COMMAND
                                                                 : MSC_IMAP_ITEM_TAGGED);
      *consume = FALSE;
      if (is_tag_char (c))
        self->state = STATE_TAG;
      else if (c == '\r' || c == '\n')
        fail_syntax (self, E_EMPTY);
      else
        fail_octet (self, c, E_TAG);
      break;

    case STATE_TAG:
      if (is_tag_char (c))
        {
          g_string_append_c (self->token, c);
          break;
        }

      if (c == ' ' || c == '\r' || c == '\n')
        {
          item->tag = g_strndup (self->token->str, self->token->len);
          g_string_truncate (self->token, 0);
        }
      if (c == ' ')
        {
          self->state = STATE_NAME;
          break;
        }

      *consume = FALSE;
      if (c == '\r')
        fail_syntax (self, self->mode == MSC_IMAP_PARSER_MODE_COMMAND ? E_NO_COMMAND
                                                                      : E_NO_RESPONSE);
      else
        fail_octet (self, c, E_TAG);
      break;

    case STATE_UNTAGGED:
      if (c == ' ')
        {
          self->state = STATE_NAME;
          break;
        }
      *consume = FALSE;
      fail_octet (self, c, E_STAR_SP);
      break;

    case STATE_CONTINUATION:
      self->resp_text = TRUE;
      if (c == ' ')
        self->state = STATE_RESP_TEXT;
      else if (c == '\r')
        self->state = STATE_LF;   /* "+" CRLF: lenient, as servers send it */
      else
        {
          *consume = FALSE;
          fail_octet (self, c, E_PLUS_SP);
        }
      break;

    case STATE_NAME:
      if (is_atom_char (c))
        {
          g_string_append_c (self->token, c);
          break;
        }

      if ((c == ' ' || c == '\r') && self->token->len > 0)
        {
          finish_name (self, c);
          if (self->state == STATE_SKIP_LINE)
            *consume = FALSE;
          break;
        }

      *consume = FALSE;
      if (c == ' ' || c == '\r')
        fail_syntax (self, self->mode == MSC_IMAP_PARSER_MODE_COMMAND ? E_NO_COMMAND
                                                                      : E_NO_RESPONSE);
      else
        fail_octet (self, c, E_NAME);
      break;

    case STATE_ARG:
      switch (c)
        {
        case '(':
          value = add_value (self, MSC_IMAP_VALUE_LIST, "", 0);
          if (value == NULL)
            {
              *consume = FALSE;
              break;
            }
          value->children = value_array_new ();
          if (!push_frame (self, value, value->children, ')'))
            *consume = FALSE;
          break;

        case ')':
          *consume = FALSE;
          if (!top_is (self, ')'))
            fail_syntax (self, E_PAREN);
          else if (self->after_sp && !self->lenient)
            fail_syntax (self, E_SP_PAREN);
          else
            {
              close_paren (self);
              *consume = TRUE;
            }
          break;

        case ']':
          *consume = FALSE;
          if (self->n_brackets == 0)
            {
              /* An ordinary ASTRING-CHAR out here. */
              self->state = STATE_ATOM;
            }
          else if (!top_is (self, ']'))
            fail_syntax (self, E_BRACKET);
          else if (self->after_sp && !self->lenient)
            fail_syntax (self, E_SP_BRACKET);
          else
            {
              close_bracket (self);
              *consume = TRUE;
            }
          break;

        case '"':
          self->state = STATE_QUOTED;
          break;

        case '{':
          if (self->in_code)
            {
              /* No literal in a resp-text-code: raw text, then. */
              *consume = FALSE;
              fail_syntax (self, E_CHAR);
              break;
            }
          self->literal_size = 0;
          self->literal_digits = 0;
          self->literal_plus = FALSE;
          self->literal_refused = FALSE;
          self->state = STATE_LITERAL_SIZE;
          break;

        case ' ':
          *consume = FALSE;
          fail_syntax (self, E_SP);
          break;

        case '\r':
          if (self->frames->len > 0)
            {
              *consume = FALSE;
              fail_syntax (self, top_is (self, ')') ? E_NO_PAREN : E_NO_BRACKET);
            }
          else if (self->after_sp && !self->lenient)
            {
              *consume = FALSE;
              fail_syntax (self, E_SP_EOL);
            }
          else
            self->state = STATE_LF;
          break;

        default:
          *consume = FALSE;
          if (is_arg_atom_char (self, c))
            self->state = STATE_ATOM;
          else
            fail_octet (self, c, E_CHAR);
          break;
        }
      break;

    case STATE_ATOM:
      if (c == '[' && is_section_name (self->token->str))
        {
          value = add_value (self, MSC_IMAP_VALUE_ATOM, self->token->str, self->token->len);
          g_string_truncate (self->token, 0);
          if (value == NULL)
            {
              *consume = FALSE;
              break;
            }
          value->has_section = TRUE;
          value->children = value_array_new ();
          if (push_frame (self, value, value->children, ']'))
            self->state = STATE_ARG;
          else
            *consume = FALSE;
          break;
        }

      if (c == '{' && strcmp (self->token->str, "~") == 0)
        {
          /* RFC 3516 literal8: only with BINARY, which is not offered. */
          *consume = FALSE;
          fail_syntax (self, E_LITERAL8);
          break;
        }

      if (is_arg_atom_char (self, c))
        {
          g_string_append_c (self->token, c);
          break;
        }

      *consume = FALSE;
      finish_atom (self);
      break;

    case STATE_QUOTED:
      if (c == '"')
        {
          value = add_value (self, MSC_IMAP_VALUE_QUOTED, self->token->str, self->token->len);
          g_string_truncate (self->token, 0);
          if (value != NULL)
            self->state = STATE_AFTER_VALUE;
          else
            *consume = FALSE;
        }
      else if (c == '\\')
        self->state = STATE_QUOTED_ESCAPE;
      else if (c == '\r' || c == '\n')
        {
          *consume = FALSE;
          fail_syntax (self, E_QUOTED_EOL);
        }
      else if (c == '\0')
        {
          *consume = FALSE;
          fail_syntax (self, E_NUL);
        }
      else if (c >= 0x80 && !self->lenient)
        {
          /* QUOTED-CHAR is 7-bit: 8-bit text goes in a literal. */
          *consume = FALSE;
          fail_syntax (self, E_8BIT_QUOTED);
        }
      else
        g_string_append_c (self->token, c);
      break;

    case STATE_QUOTED_ESCAPE:
      if (c == '"' || c == '\\')
        {
          g_string_append_c (self->token, c);
          self->state = STATE_QUOTED;
          break;
        }
      *consume = FALSE;
      fail_syntax (self, c == '\r' || c == '\n' ? E_QUOTED_EOL : E_ESCAPE);
      break;

    case STATE_LITERAL_SIZE:
      if (g_ascii_isdigit (c) && !self->literal_plus)
        {
          guint d = c - '0';

          self->literal_size = self->literal_size > (G_MAXUINT64 - d) / 10
                               ? G_MAXUINT64 : self->literal_size * 10 + d;
          self->literal_digits++;
          break;
        }

      if (c == '+' && self->literal_digits > 0 && !self->literal_plus)
        {
          if (self->mode == MSC_IMAP_PARSER_MODE_RESPONSE)
            {
              *consume = FALSE;
              fail_syntax (self, E_NON_SYNC);
              break;
            }
          self->literal_plus = TRUE;
          break;
        }

      if (c == '}' && self->literal_digits > 0)
        {
          guint64 allowed = self->limits.max_literal_size
                            - MIN (self->literal_total, self->limits.max_literal_size);

          if (self->literal_size > allowed)
            {
              if (self->literal_plus || self->mode == MSC_IMAP_PARSER_MODE_RESPONSE)
                {
                  /* Its octets are already coming. */
                  fail_too_big (self, MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE,
                                self->literal_size);
                  break;
                }

              /* The client waits for "+": refuse before any octet of it
               * arrives, once the announcement's CRLF is in. */
              g_clear_error (&self->error);
              self->error = g_error_new (MSC_IMAP_PARSER_ERROR,
                                         MSC_IMAP_PARSER_ERROR_LITERAL_REFUSED,
                                         E_TOOBIG, self->literal_size, allowed);
              self->literal_refused = TRUE;
              self->state = STATE_LITERAL_CR;
              break;
            }

          value = add_value (self, MSC_IMAP_VALUE_LITERAL, "", 0);
          if (value == NULL)
            {
              *consume = FALSE;
              break;
            }
          value->non_sync = self->literal_plus;
          self->literal_value = value;
          self->literal_total += self->literal_size;
          self->state = STATE_LITERAL_CR;
          break;
        }

      *consume = FALSE;
      fail_octet (self, c, E_LITERAL);
      break;

    case STATE_LITERAL_CR:
      if (c == '\r')
        {
          self->state = STATE_LITERAL_LF;
          break;
        }
      *consume = FALSE;
      fail_octet (self, c, E_LITERAL_CRLF);
      break;

    case STATE_LITERAL_LF:
      if (c != '\n')
        {
          *consume = FALSE;
          fail_syntax (self, E_LITERAL_CRLF);
          break;
        }

      if (self->literal_refused)
        return OUTCOME_ERROR;

      self->literal_left = self->literal_size;
      self->state = STATE_LITERAL_DATA;
      if (self->mode == MSC_IMAP_PARSER_MODE_COMMAND && !self->literal_plus)
        return OUTCOME_CONTINUATION;
      break;

    case STATE_AFTER_VALUE:
      switch (c)
        {
        case ' ':
          self->after_sp = TRUE;
          self->state = STATE_ARG;
          break;

        case ')':
          if (top_is (self, ')'))
            close_paren (self);
          else
            {
              *consume = FALSE;
              fail_syntax (self, E_PAREN);
            }
          break;

        case ']':
          if (top_is (self, ']'))
            close_bracket (self);
          else
            {
              *consume = FALSE;
              fail_syntax (self, E_BRACKET);
            }
          break;

        case '\r':
          if (self->frames->len == 0)
            self->state = STATE_LF;
          else
            {
              *consume = FALSE;
              fail_syntax (self, top_is (self, ')') ? E_NO_PAREN : E_NO_BRACKET);
            }
          break;

        case '(':
          /* A response may put lists side by side: env-from is "(" 1*address
           * ")" and body-type-mpart 1*body, with no SP between. */
          *consume = FALSE;
          if (self->mode == MSC_IMAP_PARSER_MODE_RESPONSE && last_is_list (self))
            {
              self->after_sp = FALSE;
              self->state = STATE_ARG;
            }
          else
            fail_syntax (self, E_NO_SP);
          break;

        default:
          *consume = FALSE;
          fail_octet (self, c, E_NO_SP);
          break;
        }
      break;

    case STATE_SECTION_END:
      if (c == '<')
        {
          self->partial_offset = 0;
          self->partial_length = 0;
          self->partial_digits = 0;
          self->partial_dot = FALSE;
          self->state = STATE_PARTIAL;
          break;
        }
      *consume = FALSE;
      self->state = STATE_AFTER_VALUE;
      break;

    case STATE_PARTIAL:
      if (g_ascii_isdigit (c))
        {
          guint64 *n = self->partial_dot ? &self->partial_length : &self->partial_offset;

          *n = *n * 10 + (c - '0');
          self->partial_digits++;
          if (*n <= G_MAXUINT32)
            break;
        }
      else if (c == '.' && !self->partial_dot && self->partial_digits > 0)
        {
          self->partial_dot = TRUE;
          self->partial_digits = 0;
          break;
        }
      else if (c == '>' && self->partial_digits > 0
               /* A command asks for "<" number "." nz-number ">" */
               && (self->partial_dot || self->mode == MSC_IMAP_PARSER_MODE_RESPONSE)
               && (!self->partial_dot || self->partial_length > 0))
        {
          self->last_section->has_partial = TRUE;
          self->last_section->partial_offset = (guint32) self->partial_offset;
          self->last_section->partial_length = (guint32) self->partial_length;
          self->state = STATE_AFTER_VALUE;
          break;
        }
      *consume = FALSE;
      fail_octet (self, c, E_PARTIAL);
      break;

    case STATE_RESP_TEXT:
      if (c == '[')
        {
          self->state = STATE_CODE_NAME;
          break;
        }
      *consume = FALSE;
      self->state = STATE_TEXT;
      break;

    case STATE_CODE_NAME:
      if (is_atom_char (c))
        {
          g_string_append_c (self->token, c);
          break;
        }

      if ((c == ']' || c == ' ') && self->token->len > 0)
        {
          item->code = g_ascii_strup (self->token->str, self->token->len);
          g_string_truncate (self->token, 0);
          if (c == ']')
            {
              self->state = STATE_CODE_END;
              break;
            }

          item->code_args = value_array_new ();
          if (!push_frame (self, NULL, item->code_args, ']'))
            {
              *consume = FALSE;
              break;
            }
          self->in_code = TRUE;
          self->collect_code = TRUE;
          self->after_sp = TRUE;
          self->state = STATE_ARG;
          break;
        }

      *consume = FALSE;
      fail_octet (self, c, E_CODE);
      break;

    case STATE_CODE_RAW:
      if (c == ']')
        {
          item->code_text = g_strndup (self->code_text->str, self->code_text->len);
          self->collect_code = FALSE;
          self->state = STATE_CODE_END;
        }
      else if (c == '\r' || c == '\n' || c == '\0')
        {
          *consume = FALSE;
          fail_octet (self, c, E_NO_CODE_END);
        }
      break;

    case STATE_CODE_END:
      /* "]" SP text; a server that sends "]" CRLF or no SP is tolerated. */
      if (c != ' ')
        *consume = FALSE;
      self->state = STATE_TEXT;
      break;

    case STATE_TEXT:
    case STATE_LINE:
      if (c == '\r')
        {
          item->text = g_strndup (self->token->str, self->token->len);
          g_string_truncate (self->token, 0);
          self->state = STATE_LF;
        }
      else if (c == '\n' || c == '\0')
        {
          *consume = FALSE;
          fail_octet (self, c, E_CHAR);
        }
      else
        g_string_append_c (self->token, c);
      break;

    case STATE_LF:
      if (c == '\n')
        return OUTCOME_ITEM;
      *consume = FALSE;
      fail_syntax (self, E_CR);
      break;

    case STATE_SKIP_LINE:
      if (c == '\n')
        return end_skipped_line (self);
      break;

    case STATE_LITERAL_DATA:
    case STATE_SKIP_LITERAL:
    case STATE_DEAD:
    case N_STATES:
    default:
      g_assert_not_reached ();
    }

  return OUTCOME_NONE;
}

static MscImapParserResult
hand_out_item (MscImapParser  *self,
               MscImapItem   **item)
{
  if (self->resp_text && self->item->text == NULL)
    self->item->text = g_strdup ("");

  *item = g_steal_pointer (&self->item);
  start_item (self);

  return MSC_IMAP_PARSER_RESULT_ITEM;
}

static MscImapParserResult
hand_out_error (MscImapParser  *self,
                MscImapItem   **item,
                GError        **error)
{
  g_assert (self->error != NULL);

  drop_values (self);
  g_propagate_error (error, g_steal_pointer (&self->error));
  *item = g_steal_pointer (&self->item);
  if (self->state != STATE_DEAD)
    start_item (self);

  return MSC_IMAP_PARSER_RESULT_ERROR;
}

static inline void
advance (const guint8 **input,
         gsize         *input_len,
         gsize          n)
{
  g_assert (n <= *input_len);

  *input += n;
  *input_len -= n;
}

MscImapParserResult
msc_imap_parser_next (MscImapParser  *self,
                      const guint8  **input,
                      gsize          *input_len,
                      MscImapItem   **item,
                      GError        **error)
{
  g_return_val_if_fail (self != NULL, MSC_IMAP_PARSER_RESULT_ERROR);
  g_return_val_if_fail (input != NULL, MSC_IMAP_PARSER_RESULT_ERROR);
  g_return_val_if_fail (input_len != NULL, MSC_IMAP_PARSER_RESULT_ERROR);
  g_return_val_if_fail (*input != NULL || *input_len == 0, MSC_IMAP_PARSER_RESULT_ERROR);
  g_return_val_if_fail (item != NULL, MSC_IMAP_PARSER_RESULT_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, MSC_IMAP_PARSER_RESULT_ERROR);

  *item = NULL;

  for (;;)
    {
      gboolean consume = TRUE;
      gboolean collecting;
      Outcome outcome;
      gsize n;
      guchar c;

      switch (self->state)
        {
        case STATE_DEAD:
          advance (input, input_len, *input_len);
          return MSC_IMAP_PARSER_RESULT_NEED_MORE;

        case STATE_LITERAL_DATA:
          /* Grown as octets come, never to the announced size at once: an
           * announcement costs the peer nothing. */
          n = (gsize) MIN (self->literal_left, (guint64) *input_len);
          if (n > 0)
            g_byte_array_append (self->literal, *input, n);
          advance (input, input_len, n);
          self->literal_left -= n;
          if (self->literal_left > 0)
            return MSC_IMAP_PARSER_RESULT_NEED_MORE;
          finish_literal (self);
          continue;

        case STATE_SKIP_LITERAL:
          n = (gsize) MIN (self->literal_left, (guint64) *input_len);
          advance (input, input_len, n);
          self->literal_left -= n;
          if (self->literal_left > 0)
            return MSC_IMAP_PARSER_RESULT_NEED_MORE;
          self->state = STATE_SKIP_LINE;
          continue;

        default:
          break;
        }

      if (*input_len == 0)
        return MSC_IMAP_PARSER_RESULT_NEED_MORE;

      c = **input;

      if (self->state != STATE_SKIP_LINE && self->line_length >= self->limits.max_line_length)
        fail (self, MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG, E_LINE_TOO_LONG,
              self->limits.max_line_length);

      collecting = self->collect_code;
      outcome = step (self, c, &consume);

      if (consume)
        {
          advance (input, input_len, 1);
          self->line_length++;
          track_tail (self, c);
          if (collecting && self->collect_code)
            g_string_append_c (self->code_text, c);
        }

      if (self->state == STATE_DEAD)
        return hand_out_error (self, item, error);

      switch (outcome)
        {
        case OUTCOME_NONE:
          break;

        case OUTCOME_ITEM:
          return hand_out_item (self, item);

        case OUTCOME_CONTINUATION:
          return MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION;

        case OUTCOME_ERROR:
          return hand_out_error (self, item, error);

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- The parser object ---- */

MscImapParser *
msc_imap_parser_new (MscImapParserMode          mode,
                     const MscImapParserLimits *limits)
{
  MscImapParser *self;

  g_return_val_if_fail (mode == MSC_IMAP_PARSER_MODE_COMMAND
                        || mode == MSC_IMAP_PARSER_MODE_RESPONSE, NULL);
  g_return_val_if_fail (limits == NULL || limits->max_depth <= MAX_DEPTH_CEILING, NULL);

  self = g_new0 (MscImapParser, 1);
  self->mode = mode;
  /* Servers deviate from the grammar in known, harmless ways (a missing
   * text, a trailing SP, UTF-8 in quoted strings); a client that refused
   * them would fail for its user.  Commands are held to the letter. */
  self->lenient = mode == MSC_IMAP_PARSER_MODE_RESPONSE;

  if (limits != NULL)
    self->limits = *limits;
  if (self->limits.max_line_length == 0)
    self->limits.max_line_length = DEFAULT_MAX_LINE_LENGTH;
  if (self->limits.max_literal_size == 0)
    self->limits.max_literal_size = DEFAULT_MAX_LITERAL_SIZE;
  if (self->limits.max_depth == 0)
    self->limits.max_depth = DEFAULT_MAX_DEPTH;
  if (self->limits.max_args == 0)
    self->limits.max_args = DEFAULT_MAX_ARGS;

  self->frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  self->token = g_string_new (NULL);
  self->code_text = g_string_new (NULL);
  self->literal = g_byte_array_new ();
  start_item (self);

  return self;
}

void
msc_imap_parser_free (MscImapParser *self)
{
  if (self == NULL)
    return;

  start_item (self);
  g_array_unref (self->frames);
  g_string_free (self->token, TRUE);
  g_string_free (self->code_text, TRUE);
  g_byte_array_unref (self->literal);
  g_free (self);
}

MscImapParserMode
msc_imap_parser_get_mode (MscImapParser *self)
{
  g_return_val_if_fail (self != NULL, MSC_IMAP_PARSER_MODE_COMMAND);

  return self->mode;
}

void
msc_imap_parser_get_limits (MscImapParser       *self,
                            MscImapParserLimits *limits)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (limits != NULL);

  *limits = self->limits;
}

const MscImapItem *
msc_imap_parser_peek (MscImapParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->item;
}

guint64
msc_imap_parser_get_literal_size (MscImapParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->literal_size;
}

gsize
msc_imap_parser_get_buffered (MscImapParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->value_octets + self->token->len + self->code_text->len + self->literal->len;
}

void
msc_imap_parser_expect_line (MscImapParser *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == STATE_START && self->item == NULL);

  self->expect_line = TRUE;
}

void
msc_imap_parser_reset (MscImapParser *self)
{
  g_return_if_fail (self != NULL);

  start_item (self);
  self->expect_line = FALSE;
}

/* ---- Reading values ---- */

gboolean
msc_imap_value_is_atom (const MscImapValue *value,
                        const char         *atom)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (atom != NULL, FALSE);

  return (value->kind == MSC_IMAP_VALUE_ATOM || value->kind == MSC_IMAP_VALUE_NUMBER
          || value->kind == MSC_IMAP_VALUE_NIL)
         && !value->has_section
         && g_ascii_strcasecmp (value->data, atom) == 0;
}

const char *
msc_imap_value_get_astring (const MscImapValue *value,
                            gsize              *len)
{
  g_return_val_if_fail (value != NULL, NULL);

  switch (value->kind)
    {
    case MSC_IMAP_VALUE_ATOM:
      if (value->has_section)
        return NULL;
      for (gsize i = 0; i < value->len; i++)
        if (!is_astring_char (value->data[i]))
          return NULL;
      break;

    case MSC_IMAP_VALUE_NUMBER:
    case MSC_IMAP_VALUE_NIL:
    case MSC_IMAP_VALUE_QUOTED:
    case MSC_IMAP_VALUE_LITERAL:
      break;

    case MSC_IMAP_VALUE_LIST:
    case MSC_IMAP_N_VALUE_KINDS:
    default:
      return NULL;
    }

  if (len != NULL)
    *len = value->len;

  return value->data;
}

gboolean
msc_imap_value_get_nstring (const MscImapValue  *value,
                            const char         **str,
                            gsize               *len)
{
  const char *s = NULL;
  gsize n = 0;

  g_return_val_if_fail (value != NULL, FALSE);

  if (value->kind == MSC_IMAP_VALUE_QUOTED || value->kind == MSC_IMAP_VALUE_LITERAL)
    {
      s = value->data;
      n = value->len;
    }
  else if (value->kind != MSC_IMAP_VALUE_NIL)
    return FALSE;

  if (str != NULL)
    *str = s;
  if (len != NULL)
    *len = n;

  return TRUE;
}

gboolean
msc_imap_value_get_number (const MscImapValue *value,
                           guint64            *number)
{
  g_return_val_if_fail (value != NULL, FALSE);

  if (value->kind != MSC_IMAP_VALUE_NUMBER)
    return FALSE;

  if (number != NULL)
    *number = value->number;

  return TRUE;
}

char *
msc_imap_value_dup_mailbox (const MscImapValue  *value,
                            GError             **error)
{
  const char *name;
  gsize len = 0;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = msc_imap_value_get_astring (value, &len);
  if (name == NULL || memchr (name, '\0', len) != NULL)
    {
      g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                           "Invalid mailbox name");
      return NULL;
    }

  /* RFC 3501 §5.1: INBOX is case-insensitive, every other name is not. */
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    return g_strdup ("INBOX");

  return msc_mutf7_decode (name, error);
}

/* ---- Sequence sets ---- */

static gboolean
parse_seq_number (const char  **p,
                  guint32       max,
                  guint32      *number,
                  GError      **error)
{
  guint64 n = 0;

  if (**p == '*')
    {
      (*p)++;
      *number = max;
      return TRUE;
    }

  if (**p == '0')
    {
      g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                           "Invalid sequence set: numbers start at 1");
      return FALSE;
    }
  if (!g_ascii_isdigit (**p))
    {
      g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                           "Invalid sequence set");
      return FALSE;
    }

  while (g_ascii_isdigit (**p))
    {
      n = n * 10 + (**p - '0');
      if (n > G_MAXUINT32)
        {
          g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                               "Invalid sequence set: number too large");
          return FALSE;
        }
      (*p)++;
    }

  *number = (guint32) n;
  return TRUE;
}

GArray *
msc_imap_sequence_set_parse (const char  *text,
                             guint32      max,
                             GError     **error)
{
  g_autoptr (GArray) set = NULL;
  const char *p;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  set = g_array_new (FALSE, FALSE, sizeof (MscImapRange));
  p = text;
  for (;;)
    {
      MscImapRange range;
      guint32 a, b;

      if (!parse_seq_number (&p, max, &a, error))
        return NULL;
      b = a;
      if (*p == ':')
        {
          p++;
          if (!parse_seq_number (&p, max, &b, error))
            return NULL;
        }

      /* RFC 3501 §9: "*:4" is "4:*", whichever is larger. */
      range.first = MIN (a, b);
      range.last = MAX (a, b);
      g_array_append_val (set, range);

      if (*p == '\0')
        break;
      if (*p != ',')
        {
          g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                               "Invalid sequence set");
          return NULL;
        }
      p++;
    }

  return g_steal_pointer (&set);
}

gboolean
msc_imap_sequence_set_contains (GArray  *set,
                                guint32  n)
{
  g_return_val_if_fail (set != NULL, FALSE);

  for (guint i = 0; i < set->len; i++)
    {
      const MscImapRange *range = &g_array_index (set, MscImapRange, i);

      if (n >= range->first && n <= range->last)
        return TRUE;
    }

  return FALSE;
}

/* ---- Dates ---- */

static gboolean
parse_digits (const char *p,
              guint       n_digits,
              int        *value)
{
  *value = 0;
  for (guint i = 0; i < n_digits; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return FALSE;
      *value = *value * 10 + (p[i] - '0');
    }

  return TRUE;
}

static gboolean
parse_month (const char *p,
             int        *month)
{
  for (guint i = 0; i < G_N_ELEMENTS (months); i++)
    if (g_ascii_strncasecmp (p, months[i], 3) == 0)
      {
        *month = i + 1;
        return TRUE;
      }

  return FALSE;
}

GDateTime *
msc_imap_parse_date_time (const char  *text,
                          GError     **error)
{
  g_autoptr (GTimeZone) zone = NULL;
  GDateTime *date_time = NULL;
  int day, month, year, hour, minute, second, zone_hours, zone_minutes;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* date-day-fixed "-" date-month "-" date-year SP time SP zone:
   * "17-Jul-1996 02:44:25 -0700", 26 characters, day " 7" or "07". */
  if (strlen (text) == 26
      && (text[0] == ' ' ? parse_digits (text + 1, 1, &day) : parse_digits (text, 2, &day))
      && text[2] == '-' && parse_month (text + 3, &month) && text[6] == '-'
      && parse_digits (text + 7, 4, &year) && text[11] == ' '
      && parse_digits (text + 12, 2, &hour) && text[14] == ':'
      && parse_digits (text + 15, 2, &minute) && text[17] == ':'
      && parse_digits (text + 18, 2, &second) && text[20] == ' '
      && (text[21] == '+' || text[21] == '-')
      && parse_digits (text + 22, 2, &zone_hours) && parse_digits (text + 24, 2, &zone_minutes)
      && hour <= 23 && minute <= 59 && second <= 59 && zone_hours <= 23 && zone_minutes <= 59)
    {
      int offset = (zone_hours * 3600 + zone_minutes * 60) * (text[21] == '-' ? -1 : 1);

      zone = g_time_zone_new_offset (offset);
      /* NULL for a day the month does not have, or year 0. */
      date_time = g_date_time_new (zone, year, month, day, hour, minute, second);
    }

  if (date_time == NULL)
    g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                         "Invalid date-time");

  return date_time;
}

GDateTime *
msc_imap_parse_date (const char  *text,
                     GError     **error)
{
  GDateTime *date = NULL;
  gsize len;
  int day, month, year;
  guint n;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* date-day "-" date-month "-" date-year, date-day = 1*2DIGIT */
  len = strlen (text);
  n = len > 1 && g_ascii_isdigit (text[1]) ? 2 : 1;
  if (len == n + 9
      && parse_digits (text, n, &day) && text[n] == '-'
      && parse_month (text + n + 1, &month) && text[n + 4] == '-'
      && parse_digits (text + n + 5, 4, &year))
    date = g_date_time_new_utc (year, month, day, 0, 0, 0);

  if (date == NULL)
    g_set_error_literal (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_SYNTAX,
                         "Invalid date");

  return date;
}

char *
msc_imap_format_date_time (GDateTime *date_time)
{
  gint64 offset;
  char sign = '+';

  g_return_val_if_fail (date_time != NULL, NULL);

  offset = g_date_time_get_utc_offset (date_time) / G_USEC_PER_SEC;
  if (offset < 0)
    {
      sign = '-';
      offset = -offset;
    }

  /* Not g_date_time_format ("%b"): the month must be English whatever
   * the locale. */
  return g_strdup_printf ("%02d-%s-%04d %02d:%02d:%02d %c%02d%02d",
                          g_date_time_get_day_of_month (date_time),
                          months[g_date_time_get_month (date_time) - 1],
                          g_date_time_get_year (date_time),
                          g_date_time_get_hour (date_time),
                          g_date_time_get_minute (date_time),
                          g_date_time_get_second (date_time),
                          sign, (int) (offset / 3600), (int) (offset % 3600 / 60));
}

/* ---- Writing ---- */

/* TEXT-CHAR: any CHAR except CR and LF. */
static gboolean
is_quotable (const char *data,
             gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = data[i];

      if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
        return FALSE;
    }

  return TRUE;
}

static MscImapValueKind
write_string (GString           *out,
              const char        *data,
              gsize              len,
              MscImapWriteFlags  flags)
{
  if (is_quotable (data, len))
    {
      g_string_append_c (out, '"');
      for (gsize i = 0; i < len; i++)
        {
          if (data[i] == '"' || data[i] == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, data[i]);
        }
      g_string_append_c (out, '"');
      return MSC_IMAP_VALUE_QUOTED;
    }

  g_string_append_printf (out, "{%" G_GSIZE_FORMAT "%s}\r\n", len,
                          (flags & MSC_IMAP_WRITE_NON_SYNC) != 0 ? "+" : "");
  g_string_append_len (out, data, len);
  return MSC_IMAP_VALUE_LITERAL;
}

MscImapValueKind
msc_imap_write_string (GString           *out,
                       const char        *data,
                       gssize             len,
                       MscImapWriteFlags  flags)
{
  g_return_val_if_fail (out != NULL, MSC_IMAP_VALUE_NIL);
  g_return_val_if_fail (data != NULL || len == 0, MSC_IMAP_VALUE_NIL);

  return write_string (out, data, len < 0 ? strlen (data) : (gsize) len, flags);
}

MscImapValueKind
msc_imap_write_astring (GString           *out,
                        const char        *data,
                        gssize             len,
                        MscImapWriteFlags  flags)
{
  gsize n;
  gboolean atom;

  g_return_val_if_fail (out != NULL, MSC_IMAP_VALUE_NIL);
  g_return_val_if_fail (data != NULL || len == 0, MSC_IMAP_VALUE_NIL);

  n = len < 0 ? strlen (data) : (gsize) len;
  /* "NIL" is a fine astring, but quoted it cannot be misread by a parser
   * that expects an nstring in the same place. */
  atom = n > 0 && !(n == 3 && g_ascii_strncasecmp (data, "NIL", 3) == 0);
  for (gsize i = 0; atom && i < n; i++)
    atom = is_astring_char (data[i]);

  if (!atom)
    return write_string (out, data, n, flags);

  g_string_append_len (out, data, n);
  return MSC_IMAP_VALUE_ATOM;
}

MscImapValueKind
msc_imap_write_nstring (GString           *out,
                        const char        *data,
                        gssize             len,
                        MscImapWriteFlags  flags)
{
  g_return_val_if_fail (out != NULL, MSC_IMAP_VALUE_NIL);

  if (data == NULL)
    {
      g_string_append (out, "NIL");
      return MSC_IMAP_VALUE_NIL;
    }

  return write_string (out, data, len < 0 ? strlen (data) : (gsize) len, flags);
}

MscImapValueKind
msc_imap_write_mailbox (GString           *out,
                        const char        *name,
                        MscImapWriteFlags  flags)
{
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (out != NULL, MSC_IMAP_VALUE_NIL);
  g_return_val_if_fail (name != NULL && g_utf8_validate (name, -1, NULL), MSC_IMAP_VALUE_NIL);

  encoded = msc_mutf7_encode (name, NULL);
  g_assert (encoded != NULL);

  return msc_imap_write_astring (out, encoded, -1, flags);
}
