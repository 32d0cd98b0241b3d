/* msc-imap-parser.h — incremental IMAP syntax (RFC 3501 §4, §9; RFC 7888)
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSC_IMAP_PARSER_ERROR (msc_imap_parser_error_quark ())

/* What the engine does about each code (msc_imap_parser_error_is_fatal()):
 *
 *  - BAD: send "<tag> BAD <message>", or "* BAD <message>" when the item
 *    has no tag, and read on.  The parser has already skipped the rest of
 *    the bad command: the rest of its line and, when that line announced
 *    a non-synchronizing literal, the literal and the lines after it.
 *  - BYE: send "* BYE <message>" and close.  Nothing more is parsed.
 *
 * The message is the exact text of that response: US-ASCII English, not
 * translated, since it goes on the wire (the inspector explains it in the
 * user's language).  The texts are listed beside the codes in
 * msc-imap-parser.c and checked word for word by test-imap-parser.c. */
typedef enum
{
  MSC_IMAP_PARSER_ERROR_SYNTAX,            /* BAD: not RFC 3501 syntax */
  MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG,     /* BAD: limits.max_line_length */
  MSC_IMAP_PARSER_ERROR_TOO_DEEP,          /* BAD: limits.max_depth */
  MSC_IMAP_PARSER_ERROR_TOO_MANY_ARGS,     /* BAD: limits.max_args */
  MSC_IMAP_PARSER_ERROR_LITERAL_REFUSED,   /* BAD: a synchronizing literal over
                                            * limits.max_literal_size, refused before
                                            * its data: the client sends none */
  MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE, /* BYE: a literal over the limit that is
                                            * already on its way, {n+} (RFC 7888 §4)
                                            * or any literal in a response */
} MscImapParserError;

typedef enum
{
  MSC_IMAP_PARSER_MODE_COMMAND,   /* server side: client commands */
  MSC_IMAP_PARSER_MODE_RESPONSE,  /* client side: server responses */
} MscImapParserMode;

/* Denial-of-service bounds; a zero field means the default.  Together
 * they bound what one item can hold: max_line_length octets of syntax,
 * max_literal_size octets of literals and max_args values. */
typedef struct
{
  gsize   max_line_length;   /* the text of one item, every line of it with its
                              * CRLF, literals not counted; default 65536 (RFC
                              * 7162 §4 asks for at least 8192) */
  guint64 max_literal_size;  /* the literal octets of one item, all literals
                              * together; default 64 MiB */
  guint   max_depth;         /* nesting of ( ) and [ ]; default 64, at most 1024 */
  guint   max_args;          /* values in one item, at every depth; default 10000 */
} MscImapParserLimits;

typedef enum
{
  MSC_IMAP_PARSER_RESULT_ITEM,
  MSC_IMAP_PARSER_RESULT_NEED_MORE,
  MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION,
  MSC_IMAP_PARSER_RESULT_ERROR,
} MscImapParserResult;

typedef enum
{
  MSC_IMAP_VALUE_ATOM,     /* also a flag (\Seen, \*), a sequence set (1:*),
                            * a fetch item with a section (BODY[...]<0.100>) */
  MSC_IMAP_VALUE_NUMBER,   /* an atom of digits that fits 64 bits */
  MSC_IMAP_VALUE_QUOTED,
  MSC_IMAP_VALUE_LITERAL,
  MSC_IMAP_VALUE_NIL,      /* the atom NIL, any case */
  MSC_IMAP_VALUE_LIST,     /* ( ... ) */
  MSC_IMAP_N_VALUE_KINDS
} MscImapValueKind;

typedef struct _MscImapValue MscImapValue;

/* A node of the argument tree, owned by its item.  @data is never NULL:
 * ATOM, NUMBER and NIL hold the atom as sent, QUOTED the string with its
 * escapes removed, LITERAL the octets, LIST "".  It is NUL-terminated for
 * convenience, but @len counts: a literal may hold NUL, CR, LF and 8-bit
 * octets. */
struct _MscImapValue
{
  MscImapValueKind  kind;
  char             *data;
  gsize             len;
  guint64           number;       /* NUMBER */
  gboolean          non_sync;     /* LITERAL: sent as {n+} (RFC 7888) */
  GPtrArray        *children;     /* LIST: the elements; ATOM with a section:
                                   * what is between [ and ]; else NULL */
  gboolean          has_section;  /* ATOM: BODY[…], BODY.PEEK[…], BINARY[…],
                                   * BINARY.PEEK[…] or BINARY.SIZE[…] */
  gboolean          has_partial;  /* ATOM with a section: <offset.length>, or in
                                   * a response <offset> (then length is 0) */
  guint32           partial_offset;
  guint32           partial_length;
};

typedef enum
{
  MSC_IMAP_ITEM_COMMAND,       /* tag SP name [SP args] */
  MSC_IMAP_ITEM_UNTAGGED,      /* "*" SP [number SP] name [SP args | SP resp-text] */
  MSC_IMAP_ITEM_CONTINUATION,  /* "+" SP resp-text */
  MSC_IMAP_ITEM_TAGGED,        /* tag SP (OK / NO / BAD) SP resp-text */
  MSC_IMAP_ITEM_LINE,          /* one line asked for with msc_imap_parser_expect_line() */
  MSC_IMAP_N_ITEM_KINDS
} MscImapItemKind;

/* One command or response.  Fields a kind does not have are NULL/0.
 *
 * @name is upper-cased: the command ("LOGIN", "UID"), the response
 * ("OK", "FETCH", "EXISTS", "CAPABILITY").  @number is the message number
 * of "* 23 EXISTS" or "* 3 FETCH (…)".  @args is never NULL.
 *
 * resp-text (OK, NO, BAD, BYE, PREAUTH and continuations): @code is the
 * upper-cased resp-text-code ("UIDVALIDITY"), @code_text what followed it
 * up to "]" as sent, @code_args that text parsed as values, or NULL when
 * it is not value syntax (resp-text-code allows any text there).  @text is
 * the human-readable text, "" when the server sent none; for a
 * continuation it may be base64.  For LINE, @text is the line.
 *
 * On MSC_IMAP_PARSER_RESULT_ERROR the item holds what was read before the
 * error, @tag above all, and no arguments. */
typedef struct
{
  MscImapItemKind  kind;
  char            *tag;
  char            *name;
  gboolean         has_number;
  guint32          number;
  GPtrArray       *args;
  char            *code;
  char            *code_text;
  GPtrArray       *code_args;
  char            *text;
} MscImapItem;

typedef struct _MscImapParser MscImapParser;

GQuark               msc_imap_parser_error_quark      (void);
gboolean             msc_imap_parser_error_is_fatal   (const GError              *error);

const char          *msc_imap_item_kind_get_name      (MscImapItemKind            kind);
const char          *msc_imap_value_kind_get_name     (MscImapValueKind           kind);

/* @limits may be NULL: all defaults. */
MscImapParser       *msc_imap_parser_new              (MscImapParserMode          mode,
                                                       const MscImapParserLimits *limits);
void                 msc_imap_parser_free             (MscImapParser             *self);

MscImapParserMode    msc_imap_parser_get_mode         (MscImapParser             *self);
void                 msc_imap_parser_get_limits       (MscImapParser             *self,
                                                       MscImapParserLimits       *limits);

/* Reads from *@input, advancing *@input and *@input_len past what it
 * used, up to the end of the next item and no further: what follows may
 * be a SASL response or IDLE's DONE, which the engine, not the parser,
 * knows to expect.  Call it again with the rest.  Nothing is kept of the
 * input but the item being built.
 *
 * Returns:
 *  - ITEM: *@item is a complete command or response (transfer full);
 *  - NEED_MORE: all the input was used (*@input_len is 0) and no item is
 *    complete; call again with more;
 *  - NEED_CONTINUATION (COMMAND mode): the command so far ends in a
 *    synchronizing literal {n}.  The client waits for a continuation
 *    request: send "+ …" and go on feeding the literal and the rest of
 *    the command.  To refuse the literal instead, send a tagged NO or BAD
 *    (peek() has the tag and get_literal_size() the size) and call
 *    msc_imap_parser_reset(): the client then sends no literal (RFC 3501
 *    §7.5);
 *  - ERROR: @error says what, and whether the engine sends BAD or BYE;
 *    *@item holds what was read of the bad item (transfer full), its tag
 *    above all.  After a BAD the next call reads the next item; after a
 *    BYE every call uses all its input and returns NEED_MORE. */
MscImapParserResult  msc_imap_parser_next             (MscImapParser             *self,
                                                       const guint8             **input,
                                                       gsize                     *input_len,
                                                       MscImapItem              **item,
                                                       GError                   **error);

/* The item being read, while next() returns NEED_MORE or
 * NEED_CONTINUATION; NULL between items.  Borrowed until the next call. */
const MscImapItem   *msc_imap_parser_peek             (MscImapParser             *self);

/* The size of the literal a NEED_CONTINUATION asked for. */
guint64              msc_imap_parser_get_literal_size (MscImapParser             *self);

/* Octets held for the item being read: values, the token, the literal
 * so far.  At most 2 × max_line_length + max_literal_size: a response
 * code is kept both as its text and as values. */
gsize                msc_imap_parser_get_buffered     (MscImapParser             *self);

/* The next item is one line of text, whatever it holds (RFC 3501 §6.2.2
 * SASL responses, RFC 2177 "DONE"): kind LINE, the line in @text.  Call
 * it between items. */
void                 msc_imap_parser_expect_line      (MscImapParser             *self);

/* Back to the start of an item, forgetting everything read: to refuse a
 * literal, and at STARTTLS, so that what came in the clear is never read
 * as if it came under TLS (CVE-2011-0411). */
void                 msc_imap_parser_reset            (MscImapParser             *self);

void                 msc_imap_item_free               (MscImapItem               *item);

/* ---- Reading values ---- */

/* TRUE if @value is the plain atom @atom (no section), ignoring ASCII case. */
gboolean             msc_imap_value_is_atom           (const MscImapValue        *value,
                                                       const char                *atom);

/* astring = 1*ASTRING-CHAR / string: an atom of ASTRING-CHARs (NIL and
 * numbers included: as an astring "NIL" is a name), a quoted string or a
 * literal.  Returns the string (borrowed; *@len set when non-NULL) or
 * NULL if @value is none of these. */
const char          *msc_imap_value_get_astring       (const MscImapValue        *value,
                                                       gsize                     *len);

/* nstring = string / nil.  Returns TRUE if @value is one; *@str is then
 * NULL for NIL. */
gboolean             msc_imap_value_get_nstring       (const MscImapValue        *value,
                                                       const char               **str,
                                                       gsize                     *len);

gboolean             msc_imap_value_get_number        (const MscImapValue        *value,
                                                       guint64                   *number);

/* mailbox = "INBOX" / astring: INBOX in any case is "INBOX", any other
 * name is decoded from modified UTF-7 (RFC 3501 §5.1.3).
 *
 * Returns: (transfer full) (nullable): the name in UTF-8, or %NULL with
 *   MSC_IMAP_PARSER_ERROR_SYNTAX or an MSC_MUTF7_ERROR */
char                *msc_imap_value_dup_mailbox       (const MscImapValue        *value,
                                                       GError                   **error);

/* ---- Sequence sets (RFC 3501 §9 sequence-set) ---- */

/* One element; @first <= @last whichever way it was written. */
typedef struct
{
  guint32 first;
  guint32 last;
} MscImapRange;

/* "2,4:7,9", "1:*", "*:3", "*".  Numbers are nz-number (1 to 4294967295,
 * no leading zero); "*" becomes @max, the largest message number or UID
 * in use, which is 0 in an empty mailbox: a range then starts at 0 and
 * matches no message.  The elements keep their order and overlaps.
 *
 * Returns: (transfer full) (element-type MscImapRange) (nullable): the
 *   ranges, or %NULL with MSC_IMAP_PARSER_ERROR_SYNTAX */
GArray              *msc_imap_sequence_set_parse      (const char                *text,
                                                       guint32                    max,
                                                       GError                   **error);
gboolean             msc_imap_sequence_set_contains   (GArray                    *set,
                                                       guint32                    n);

/* ---- Dates ---- */

/* date-time without its quotes: "17-Jul-1996 02:44:25 -0700" (the day
 * may be " 7" or "07").  Returns it in its own offset, or NULL with
 * MSC_IMAP_PARSER_ERROR_SYNTAX. */
GDateTime           *msc_imap_parse_date_time         (const char                *text,
                                                       GError                   **error);

/* date (SEARCH): "1-Feb-1994" or "01-Feb-1994".  Returns midnight UTC of
 * that day: SEARCH compares days, disregarding time and zone. */
GDateTime           *msc_imap_parse_date              (const char                *text,
                                                       GError                   **error);

/* "17-Jul-1996 02:44:25 -0700", the form INTERNALDATE is sent in. */
char                *msc_imap_format_date_time        (GDateTime                 *date_time);

/* ---- Writing ---- */

typedef enum
{
  MSC_IMAP_WRITE_DEFAULT  = 0,
  MSC_IMAP_WRITE_NON_SYNC = 1 << 0,  /* literals as {n+}: a client whose server
                                      * offers LITERAL+ */
} MscImapWriteFlags;

/* Each appends @data (@len octets, or up to NUL if @len is -1) in the
 * shortest form the grammar allows there, chosen by content, and returns
 * the form: an atom when every octet is an ASTRING-CHAR (astring only);
 * a quoted string when every octet is a TEXT-CHAR, with " and \ escaped;
 * otherwise a literal "{n}" CRLF and the octets (8-bit, CR, LF, NUL).  A
 * server writes literals only as {n}: it never waits for a continuation. */
MscImapValueKind     msc_imap_write_astring           (GString                   *out,
                                                       const char                *data,
                                                       gssize                     len,
                                                       MscImapWriteFlags          flags);
MscImapValueKind     msc_imap_write_string            (GString                   *out,
                                                       const char                *data,
                                                       gssize                     len,
                                                       MscImapWriteFlags          flags);
/* @data NULL writes NIL; a string, even "NIL", is never written as an atom. */
MscImapValueKind     msc_imap_write_nstring           (GString                   *out,
                                                       const char                *data,
                                                       gssize                     len,
                                                       MscImapWriteFlags          flags);
/* @name is UTF-8; it is written in modified UTF-7 as an astring. */
MscImapValueKind     msc_imap_write_mailbox           (GString                   *out,
                                                       const char                *name,
                                                       MscImapWriteFlags          flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscImapParser, msc_imap_parser_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscImapItem, msc_imap_item_free)

G_END_DECLS
