/* msc-imap-message.h — what an IMAP server needs to know about one message
 * (RFC 3501 §6.4.4 SEARCH, §6.4.5 FETCH, §7.4.2 ENVELOPE and BODYSTRUCTURE)
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MSC_TYPE_IMAP_MESSAGE (msc_imap_message_get_type ())

/* Immutable once made; the answers are computed on first use and kept,
 * so one object serves one thread at a time.  Different objects may be
 * used in different threads. */
G_DECLARE_FINAL_TYPE (MscImapMessage, msc_imap_message, MSC, IMAP_MESSAGE, GObject)

#define MSC_IMAP_MESSAGE_ERROR (msc_imap_message_error_quark ())

typedef enum
{
  MSC_IMAP_MESSAGE_ERROR_BAD_SECTION,  /* not section-spec syntax (RFC 3501 §9):
                                        * the server answers BAD */
} MscImapMessageError;

/* Denial-of-service bounds on the MIME structure, Dovecot's defaults
 * (max_nested_mime_parts, max_total_mime_parts).  A multipart or
 * message/rfc822 part that would go deeper than MAX_DEPTH levels, or a
 * message/rfc822 part whose body is base64 or quoted-printable (which
 * RFC 2046 §5.2.1 forbids), is not looked into: it is presented as one
 * "APPLICATION" "OCTET-STREAM" part, its bytes all there.  Once a message
 * has MAX_PARTS parts, no multipart is split any further: what is left of
 * it stays in the bytes of the enclosing part. */
#define MSC_IMAP_MESSAGE_MAX_DEPTH 100
#define MSC_IMAP_MESSAGE_MAX_PARTS 10000

GQuark           msc_imap_message_error_quark        (void);

/* g_mime_init(), once, thread-safe.  msc_imap_message_new() calls it;
 * call it yourself before using GMime elsewhere in another thread. */
void             msc_imap_message_init_gmime         (void);

/* Parses the MIME structure of @data (the message as stored, CRLF line
 * ends) and keeps a reference to it.  Never fails: whatever the bytes,
 * there is a message with a header (perhaps empty) and a body. */
MscImapMessage  *msc_imap_message_new                (GBytes          *data);

/* Borrowed.  RFC822.SIZE is msc_imap_message_get_size(). */
GBytes          *msc_imap_message_get_data           (MscImapMessage  *self);
gsize            msc_imap_message_get_size           (MscImapMessage  *self);

/* FETCH ENVELOPE: the parenthesised list the server writes after
 * "ENVELOPE ".  Values as sent, unfolded (RFC 2047 encoded words left
 * encoded); strings are quoted or, when they hold 8-bit octets, literals.
 * An address with no local part or no domain gets "MISSING_MAILBOX" or
 * "MISSING_DOMAIN", as Dovecot writes: a NIL host would mean a group. */
char            *msc_imap_message_get_envelope       (MscImapMessage  *self);

/* FETCH BODY (@extensible FALSE) or BODYSTRUCTURE (TRUE): the
 * parenthesised list the server writes after "BODY " or
 * "BODYSTRUCTURE ".  Type, subtype, parameter names, the encoding and
 * the disposition type are upper-cased, as in RFC 3501's examples;
 * parameter values are as sent (RFC 2231 ones left encoded). */
char            *msc_imap_message_get_body_structure (MscImapMessage  *self,
                                                      gboolean         extensible);

/* Checks the syntax of a section (the text between "[" and "]": "",
 * "1.2.MIME", "HEADER.FIELDS (From Subject)") without a message, so
 * that a FETCH with a bad section is refused before any message is
 * read.  Keywords are case-insensitive; field names are atoms or quoted
 * strings, one space apart. */
gboolean         msc_imap_message_check_section      (const char      *section,
                                                      GError         **error);

/* BODY[section]: the exact octets (RFC 3501 §6.4.5); the server applies
 * <origin.count> itself.  A section naming a part the message does not
 * have, or HEADER/TEXT of a part that is not message/rfc822, gives an
 * empty GBytes, for the server to send "".  (RFC 3501 does not say what
 * such a part gives: its "empty string" is for a partial fetch that
 * starts past the end, and the grammar, nstring, would allow NIL too.)
 * NULL with MSC_IMAP_MESSAGE_ERROR_BAD_SECTION when @section is not
 * section syntax. */
GBytes          *msc_imap_message_get_section        (MscImapMessage  *self,
                                                      const char      *section,
                                                      GError         **error);

/* SEARCH (RFC 3501 §6.4.4): does the decoded text contain @needle_utf8?
 * Both sides are case-folded and NFKD-normalised (the spirit of RFC
 * 5051's i;unicode-casemap: "ＩＭＡＰ" finds "imap"), so the match holds
 * whatever charset (GB2312/GBK, Big5, UTF-8…) and encoding (RFC 2047
 * words, base64, quoted-printable, 8bit) the message used.  Text in an
 * undeclared 8-bit charset is read as UTF-8, else GB18030, else
 * ISO-8859-1.
 *
 * header_contains: SEARCH HEADER; the top-level header only.  @field NULL
 *   matches nothing; an empty needle matches if the field exists.
 * body_contains: SEARCH BODY; every text/ part, and the headers of
 *   attached messages (message/rfc822 parts are body text).
 * text_contains: SEARCH TEXT; the header and the body. */
gboolean         msc_imap_message_header_contains    (MscImapMessage  *self,
                                                      const char      *field,
                                                      const char      *needle_utf8);
gboolean         msc_imap_message_body_contains      (MscImapMessage  *self,
                                                      const char      *needle_utf8);
gboolean         msc_imap_message_text_contains      (MscImapMessage  *self,
                                                      const char      *needle_utf8);

/* The Date: header (SENTBEFORE, SENTON, SENTSINCE), in its own offset;
 * NULL when there is none or it cannot be read.  Transfer full. */
GDateTime       *msc_imap_message_get_sent_date      (MscImapMessage  *self);

G_END_DECLS
