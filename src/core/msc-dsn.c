/* msc-dsn.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-dsn"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gmime/gmime.h>

#include "msc-dsn.h"
#include "msc-imap-message.h"
#include "msc-smtp-address.h"

/* GMime builds the MIME structure and does the encodings (RFC 2047 words
 * in From and Subject, base64 or quoted-printable for the text part).
 * The delivery-status fields are written here, because their syntax
 * (RFC 3464 §2.1) is plain text GMime knows nothing of.
 *
 * Reading does not use GMimeParser: only the top-level multipart and its
 * own parts matter, and splitting one level by hand cannot recurse into
 * a hostile nesting of thousands of multiparts. */

G_DEFINE_QUARK (msc-dsn-error-quark, msc_dsn_error)

#define MAX_LINE          998  /* RFC 5322 §2.1.1, octets without the CRLF */
#define FOLD_WIDTH        76   /* a delivery-status field is folded here when it can be */
#define FOLD_INDENT       "    "
#define MAX_WORD          900  /* a longer word in a field is split to fit MAX_LINE */
#define WRAP_WIDTH        72   /* the text part's lines, in characters */
#define MAX_ADDRESS       256  /* RFC 5321 §4.5.3.1.3, a whole path */
#define MAX_HOST          255  /* RFC 5321 §4.5.3.1.2 */
#define MAX_MESSAGE_ID    250
#define MAX_SUBJECT_CHARS 100  /* of the original's Subject, quoted in the text */

void
msc_dsn_result_free (MscDsnResult *result)
{
  if (result == NULL)
    return;

  g_free (result->address);
  g_free (result->action);
  g_free (result->status);
  g_free (result->diagnostic);
  g_free (result->remote_mta);
  g_free (result);
}

/* ---- Shared helpers ---- */

static gboolean
contains (const guint8 *haystack,
          gsize         len,
          const char   *needle)
{
  gsize needle_len = strlen (needle);

  if (needle_len == 0 || len < needle_len)
    return FALSE;

  for (gsize i = 0; i <= len - needle_len; i++)
    {
      const guint8 *p = memchr (haystack + i, needle[0], len - needle_len + 1 - i);

      if (p == NULL)
        return FALSE;
      i = p - haystack;
      if (memcmp (p, needle, needle_len) == 0)
        return TRUE;
    }

  return FALSE;
}

/* RFC 3463 §2: class "." subject "." detail, 1 to 3 digits each but the
 * class, which is 2, 4 or 5. */
static gboolean
is_status_code (const char *status)
{
  const char *p = status;

  if (*p != '2' && *p != '4' && *p != '5')
    return FALSE;
  p++;

  for (guint i = 0; i < 2; i++)
    {
      guint digits = 0;

      if (*p++ != '.')
        return FALSE;
      while (g_ascii_isdigit (*p) && digits < 4)
        {
          p++;
          digits++;
        }
      if (digits == 0 || digits > 3)
        return FALSE;
    }

  return *p == '\0';
}

/* @text on one line: controls (CR, LF and TAB among them) become spaces,
 * a run of spaces one, none at either end, invalid UTF-8 replaced.  A
 * multi-line SMTP reply arrives with CRLF in it, and nothing from outside
 * may start a line of its own in a header or field. */
static char *
one_line (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p++)
    {
      gboolean space = (guchar) *p < 0x20 || *p == 0x7f || *p == ' ';

      if (!space)
        g_string_append_c (out, *p);
      else if (out->len > 0 && out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
    }

  if (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

/* At most @max octets of @text for an error message, on one line and
 * valid UTF-8: what came from outside is quoted, never trusted. */
static char *
quote_for_error (const char *text,
                 gsize       max)
{
  gsize len = 0;
  g_autofree char *cut = NULL;
  g_autofree char *valid = NULL;

  while (len < max && text[len] != '\0')
    len++;
  cut = g_strndup (text, len);
  valid = g_utf8_make_valid (cut, -1);

  return one_line (valid);
}

/* ---- Building: the returned original ---- */

/* Every line end CRLF: a lone LF or CR becomes CRLF, and a last line
 * without one gets one.  A message read from a Unix file, or cut short,
 * must not put a bare LF into the notification. */
static GByteArray *
to_crlf (const guint8 *data,
         gsize         len)
{
  GByteArray *out = g_byte_array_sized_new (len + len / 32 + 2);
  gsize run = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] != '\r' && data[i] != '\n')
        continue;

      g_byte_array_append (out, data + run, i - run);
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
        i++;
      run = i + 1;
    }
  g_byte_array_append (out, data + run, len - run);

  if (out->len > 0 && out->data[out->len - 1] != '\n')
    g_byte_array_append (out, (const guint8 *) "\r\n", 2);

  return out;
}

/* Where the header of @data (CRLF line ends) ends: just after the CRLF of
 * its last field, before the empty line; all of @data when there is no
 * empty line. */
static gsize
header_length (const guint8 *data,
               gsize         len)
{
  if (len >= 2 && data[0] == '\r' && data[1] == '\n')
    return 0;

  for (gsize i = 0; i + 3 < len; i++)
    if (data[i] == '\r' && memcmp (data + i, "\r\n\r\n", 4) == 0)
      return i + 2;

  return len;
}

/* Whether @data (CRLF line ends) can travel unchanged in a message/rfc822
 * part: no NUL and no line over MAX_LINE octets (RFC 5322 §2.1.1,
 * RFC 2046 §5.2.1). */
static gboolean
is_transportable (const guint8 *data,
                  gsize         len)
{
  gsize line_start = 0;

  if (memchr (data, '\0', len) != NULL)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n')
      {
        if (i - line_start > MAX_LINE + 1)
          return FALSE;
        line_start = i + 1;
      }

  return len - line_start <= MAX_LINE;
}

static gboolean
has_8bit (const guint8 *data,
          gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] >= 0x80)
      return TRUE;

  return FALSE;
}

/* The header of the original for text/rfc822-headers: a NUL becomes a
 * space and a line over MAX_LINE octets is folded by force, which
 * changes it slightly but keeps the notification legal. */
static GByteArray *
returnable_header (const guint8 *data,
                   gsize         len)
{
  GByteArray *out = g_byte_array_sized_new (len + 16);
  gsize line_len = 0;

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i] == '\0' ? ' ' : data[i];

      if (c != '\r' && c != '\n' && line_len == MAX_LINE - 1)
        {
          g_byte_array_append (out, (const guint8 *) "\r\n ", 3);
          line_len = 1;
        }
      g_byte_array_append (out, &c, 1);
      line_len = c == '\n' ? 0 : line_len + 1;
    }

  return out;
}

/* The original's Subject, decoded (RFC 2047) and on one line, to name the
 * message in the text part; NULL when it has none. */
static char *
original_subject (const guint8 *header,
                  gsize         len)
{
  g_autoptr (GString) raw = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *line = NULL;
  gsize pos = 0;

  while (pos < len)
    {
      const guint8 *lf = memchr (header + pos, '\n', len - pos);
      gsize next = lf != NULL ? (gsize) (lf - header) + 1 : len;
      gsize text_len = next - pos;

      while (text_len > 0 && (header[pos + text_len - 1] == '\n' || header[pos + text_len - 1] == '\r'))
        text_len--;

      if (raw != NULL)
        {
          if (text_len == 0 || (header[pos] != ' ' && header[pos] != '\t'))
            break;
          g_string_append_len (raw, (const char *) header + pos, text_len);
        }
      else if (text_len >= 8 && g_ascii_strncasecmp ((const char *) header + pos, "Subject:", 8) == 0)
        {
          raw = g_string_new_len ((const char *) header + pos + 8, text_len - 8);
        }
      pos = next;
    }

  if (raw == NULL)
    return NULL;

  /* A NUL would end the string early; the rest is GMime's: encoded
   * words in any charset, and raw 8-bit text in UTF-8 or a guess. */
  for (gsize i = 0; i < raw->len; i++)
    if (raw->str[i] == '\0')
      raw->str[i] = ' ';
  decoded = g_mime_utils_header_decode_text (NULL, raw->str);
  line = one_line (decoded != NULL ? decoded : "");
  if (*line == '\0')
    return NULL;

  if (g_utf8_strlen (line, -1) > MAX_SUBJECT_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, MAX_SUBJECT_CHARS);

      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&line);
}

/* ---- Building: the delivery-status part ---- */

/* Appends "Name: value" and CRLF, @value folded (RFC 5322 §3.2.2) at
 * spaces so that lines stay near FOLD_WIDTH.  A word too long for any
 * line is split, which puts a space into it but keeps the field legal.
 * @value is one_line() text, so spaces are single. */
static void
append_field (GString    *out,
              const char *name,
              const char *value)
{
  g_auto (GStrv) words = g_strsplit (value, " ", -1);
  gsize line_len;

  g_string_append_printf (out, "%s:", name);
  line_len = strlen (name) + 1;

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *word = words[i];
      gsize word_len = strlen (word);

      if (word_len == 0)
        continue;

      /* The first word stays on the field name's line. */
      if (i > 0 && line_len + 1 + word_len > FOLD_WIDTH)
        {
          g_string_append (out, "\r\n" FOLD_INDENT);
          line_len = strlen (FOLD_INDENT);
        }
      else
        {
          g_string_append_c (out, ' ');
          line_len++;
        }

      while (word_len > MAX_WORD)
        {
          g_string_append_len (out, word, MAX_WORD);
          g_string_append (out, "\r\n" FOLD_INDENT);
          word += MAX_WORD;
          word_len -= MAX_WORD;
        }
      g_string_append (out, word);
      line_len = line_len + word_len;
    }

  g_string_append (out, "\r\n");
}

/* The part is 7-bit, as RFC 3464 §2.1 wants: a character outside ASCII
 * becomes "?" (the text part keeps the reply as it came). */
static char *
ascii_only (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    g_string_append_c (out, (guchar) *p < 0x80 ? *p : '?');

  return g_string_free (out, FALSE);
}

/* "rfc822; addr" (RFC 3464 §2.3.2) for an ASCII address; otherwise
 * "utf-8; " and utf-8-addr-xtext, which escapes every character that is
 * not ASCII, a space, a control, "\", "+" or "=" as \x{HEX} (RFC 6533
 * §3), so the part stays 7-bit.  A 256-octet address grows at most
 * 3.5 times ("\x{400}" for two octets): it still fits a line. */
static char *
typed_address (const char *address)
{
  GString *out;

  if (!has_8bit ((const guint8 *) address, strlen (address)))
    return g_strdup_printf ("rfc822; %s", address);

  out = g_string_new ("utf-8; ");
  for (const char *p = address; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c > 0x20 && c < 0x7f && c != '\\' && c != '+' && c != '=')
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "\\x{%X}", c);
    }

  return g_string_free (out, FALSE);
}

static char *
diagnostic_code (const MscDsnRecipient *recipient)
{
  g_autofree char *text = NULL;

  if (recipient->diagnostic != NULL)
    {
      g_autofree char *line = one_line (recipient->diagnostic);

      text = ascii_only (line);
    }

  /* RFC 3464 §2.3.6: "smtp" for a reply; anything else (no connection,
   * a DNS failure) is the MTA's own, so an X- type, as Postfix writes
   * "X-Postfix". */
  if (recipient->reply_code != 0)
    return text != NULL && *text != '\0'
           ? g_strdup_printf ("smtp; %u %s", recipient->reply_code, text)
           : g_strdup_printf ("smtp; %u", recipient->reply_code);

  if (text != NULL && *text != '\0')
    return g_strdup_printf ("X-Mailscope; %s", text);

  return NULL;
}

/* RFC 3464 §2.2 and §2.3: the per-message fields, then a group for each
 * recipient, a blank line before each group. */
static char *
compose_status (const MscDsnReport *report)
{
  GString *out = g_string_new (NULL);
  g_autofree char *mta = g_strdup_printf ("dns; %s", report->reporting_mta);

  append_field (out, "Reporting-MTA", mta);
  if (report->arrival_date != NULL)
    {
      g_autofree char *date = g_mime_utils_header_format_date (report->arrival_date);

      append_field (out, "Arrival-Date", date);
    }

  for (guint i = 0; i < report->n_recipients; i++)
    {
      const MscDsnRecipient *recipient = &report->recipients[i];
      g_autofree char *address = typed_address (recipient->address);
      g_autofree char *diagnostic = diagnostic_code (recipient);

      g_string_append (out, "\r\n");
      append_field (out, "Final-Recipient", address);
      append_field (out, "Action", recipient->failed ? "failed" : "delayed");
      append_field (out, "Status", recipient->status);
      if (recipient->remote_mta != NULL)
        {
          g_autofree char *remote = g_strdup_printf ("dns; %s", recipient->remote_mta);

          append_field (out, "Remote-MTA", remote);
        }
      if (diagnostic != NULL)
        append_field (out, "Diagnostic-Code", diagnostic);
      if (recipient->last_attempt_date != NULL)
        {
          g_autofree char *date = g_mime_utils_header_format_date (recipient->last_attempt_date);

          append_field (out, "Last-Attempt-Date", date);
        }
      if (recipient->will_retry_until != NULL)
        {
          g_autofree char *date = g_mime_utils_header_format_date (recipient->will_retry_until);

          append_field (out, "Will-Retry-Until", date);
        }
    }

  return g_string_free (out, FALSE);
}

/* ---- Building: the text for people ---- */

/* Appends @text as a paragraph wrapped at spaces to WRAP_WIDTH
 * characters, each line indented by @indent spaces.  Text without spaces
 * (Chinese) is not broken: a reader's window wraps it, and the transfer
 * encoding keeps long lines legal. */
static void
append_wrapped (GString    *out,
                guint       indent,
                const char *text)
{
  g_autofree char *line = one_line (text);
  g_auto (GStrv) words = g_strsplit (line, " ", -1);
  glong line_len = 0;

  for (guint i = 0; words[i] != NULL; i++)
    {
      glong word_len = g_utf8_strlen (words[i], -1);

      if (word_len == 0)
        continue;

      if (line_len > 0 && line_len + 1 + word_len > WRAP_WIDTH)
        {
          g_string_append_c (out, '\n');
          line_len = 0;
        }
      if (line_len == 0)
        {
          g_string_append_printf (out, "%*s", indent, "");
          line_len = indent;
        }
      else
        {
          g_string_append_c (out, ' ');
          line_len++;
        }
      g_string_append (out, words[i]);
      line_len += word_len;
    }

  g_string_append_c (out, '\n');
}

static void
append_paragraph (GString    *out,
                  const char *text)
{
  append_wrapped (out, 0, text);
  g_string_append_c (out, '\n');
}

/* Not the RFC 5322 form: this date is for people, and digits read the
 * same in every language. */
static char *
format_human_date (GDateTime *date)
{
  return g_date_time_format (date, "%Y-%m-%d %H:%M %:z");
}

static void
append_recipient (GString               *out,
                  const MscDsnRecipient *recipient)
{
  g_autofree char *diagnostic = recipient->diagnostic != NULL ? one_line (recipient->diagnostic) : NULL;
  g_autofree char *why = NULL;
  g_autofree char *reply = NULL;

  append_wrapped (out, 2, recipient->address);

  if (recipient->reply_code != 0)
    {
      if (recipient->failed && recipient->remote_mta != NULL)
        /* Translators: %s is the host name of the recipient's mail server.
         * Its reply follows on the next line. */
        why = g_strdup_printf (_("The server %s refused it with this reply:"), recipient->remote_mta);
      else if (recipient->failed)
        why = g_strdup (_("The receiving server refused it with this reply:"));
      else if (recipient->remote_mta != NULL)
        /* Translators: %s is the host name of the recipient's mail server.
         * Its reply follows on the next line. */
        why = g_strdup_printf (_("The server %s asked to try again later:"), recipient->remote_mta);
      else
        why = g_strdup (_("The receiving server asked to try again later:"));

      reply = diagnostic != NULL && *diagnostic != '\0'
              ? g_strdup_printf ("%u %s", recipient->reply_code, diagnostic)
              : g_strdup_printf ("%u", recipient->reply_code);
    }
  else if (diagnostic != NULL && *diagnostic != '\0')
    {
      why = g_strdup (_("No server answered:"));
      reply = g_steal_pointer (&diagnostic);
    }
  else
    {
      why = g_strdup (_("No server answered."));
    }

  append_wrapped (out, 4, why);
  if (reply != NULL)
    append_wrapped (out, 4, reply);
  g_string_append_c (out, '\n');
}

static char *
compose_text (const MscDsnReport *report,
              const char         *subject,
              const char         *returned)
{
  GString *out = g_string_new (NULL);
  g_autofree char *hello = NULL;
  GDateTime *retry_until = NULL;
  guint n_failed = 0;

  for (guint i = 0; i < report->n_recipients; i++)
    {
      const MscDsnRecipient *recipient = &report->recipients[i];

      if (recipient->failed)
        n_failed++;
      else if (recipient->will_retry_until != NULL &&
               (retry_until == NULL || g_date_time_compare (recipient->will_retry_until, retry_until) > 0))
        retry_until = recipient->will_retry_until;
    }

  /* Translators: %s is the host name of the mail server writing this notice. */
  hello = g_strdup_printf (_("This is the mail system at %s."), report->reporting_mta);
  append_paragraph (out, hello);

  if (n_failed > 0)
    {
      g_autofree char *intro = NULL;

      if (subject != NULL)
        /* Translators: %s is the subject of the sender's message. */
        intro = g_strdup_printf (_("Your message “%s” could not be delivered to the recipients below. "
                                   "The mail system has given up and will not try again."), subject);
      else
        intro = g_strdup (_("Your message could not be delivered to the recipients below. "
                            "The mail system has given up and will not try again."));
      append_paragraph (out, intro);

      for (guint i = 0; i < report->n_recipients; i++)
        if (report->recipients[i].failed)
          append_recipient (out, &report->recipients[i]);

      append_paragraph (out, _("If an address is misspelt, correct it and send the message again. "
                               "Otherwise the reply above says why the message was refused; the "
                               "recipient’s mail administrator can help."));
    }

  if (n_failed < report->n_recipients)
    {
      g_autofree char *intro = NULL;
      g_autofree char *outro = NULL;

      if (subject != NULL)
        /* Translators: %s is the subject of the sender's message. */
        intro = g_strdup_printf (_("Your message “%s” has not yet reached the recipients below."), subject);
      else
        intro = g_strdup (_("Your message has not yet reached the recipients below."));
      append_paragraph (out, intro);

      for (guint i = 0; i < report->n_recipients; i++)
        if (!report->recipients[i].failed)
          append_recipient (out, &report->recipients[i]);

      if (retry_until != NULL)
        {
          g_autofree char *until = format_human_date (retry_until);

          /* Translators: %s is a date and time, such as 2026-11-28 09:30 +08:00. */
          outro = g_strdup_printf (_("The mail system will keep trying until %s. "
                                     "You do not need to send the message again."), until);
        }
      else
        {
          outro = g_strdup (_("The mail system will keep trying. You do not need to send the message again."));
        }
      append_paragraph (out, outro);
    }

  if (returned != NULL)
    append_paragraph (out, returned);

  /* One blank line ends each paragraph; the last needs none. */
  if (out->len >= 2 && out->str[out->len - 2] == '\n')
    g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

/* ---- Building: checks, names, the message ---- */

static gboolean
is_valid_address (const char *address,
                  gboolean    allow_postmaster)
{
  return address != NULL &&
         strlen (address) <= MAX_ADDRESS &&
         g_utf8_validate (address, -1, NULL) &&
         msc_smtp_address_is_valid_mailbox (address, allow_postmaster);
}

static gboolean
is_valid_host (const char *host)
{
  return host != NULL &&
         strlen (host) <= MAX_HOST &&
         !has_8bit ((const guint8 *) host, strlen (host)) &&
         msc_smtp_address_is_valid_helo (host);
}

/* msg-id (RFC 5322 §3.6.4), loosely: printable ASCII with an "@", no
 * brackets or spaces. */
static gboolean
is_valid_message_id (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > MAX_MESSAGE_ID || strchr (id, '@') == NULL)
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>')
      return FALSE;

  return TRUE;
}

static gboolean
check_report (const MscDsnReport  *report,
              GError             **error)
{
  if (!is_valid_host (report->reporting_mta))
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("The reporting mail server needs a host name"));
      return FALSE;
    }

  if (report->sender == NULL || *report->sender == '\0')
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("The message had no sender, so no delivery report may be sent (RFC 5321 §4.5.5)"));
      return FALSE;
    }

  if (!is_valid_address (report->sender, FALSE))
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("The sender “%s” is not an e-mail address"), report->sender);
      return FALSE;
    }

  if (report->date == NULL)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("The delivery report needs a date"));
      return FALSE;
    }

  if (report->message_id != NULL && !is_valid_message_id (report->message_id))
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("“%s” is not a Message-ID"), report->message_id);
      return FALSE;
    }

  if (report->n_recipients == 0)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("A delivery report needs at least one recipient"));
      return FALSE;
    }

  for (guint i = 0; i < report->n_recipients; i++)
    {
      const MscDsnRecipient *recipient = &report->recipients[i];

      if (!is_valid_address (recipient->address, TRUE))
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("The recipient “%s” is not an e-mail address"),
                       recipient->address != NULL ? recipient->address : "");
          return FALSE;
        }

      /* A delay is transient by definition; a failure may be permanent
       * or a transient one that outlived the queue (RFC 3464 §2.3.3). */
      if (recipient->status == NULL || !is_status_code (recipient->status) || recipient->status[0] == '2')
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("“%s” is not a status code for a failure or a delay (RFC 3463)"),
                       recipient->status != NULL ? recipient->status : "");
          return FALSE;
        }
      if (!recipient->failed && recipient->status[0] != '4')
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("A delayed delivery needs a transient status, 4.x.x, not %s"),
                       recipient->status);
          return FALSE;
        }

      if (recipient->reply_code != 0 && (recipient->reply_code < 200 || recipient->reply_code > 599))
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("%u is not an SMTP reply code"), recipient->reply_code);
          return FALSE;
        }

      if (recipient->remote_mta != NULL && !is_valid_host (recipient->remote_mta))
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("“%s” is not a host name"), recipient->remote_mta);
          return FALSE;
        }

      if (recipient->failed && recipient->will_retry_until != NULL)
        {
          g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                       _("Only a delayed delivery is retried (RFC 3464 §2.3.9)"));
          return FALSE;
        }
    }

  return TRUE;
}

/* Derived from the report, not random: the same lesson gives the same
 * bytes.  Two notices from one host in one second differ in what they
 * report, and so in the digest. */
static char *
make_message_id (const MscDsnReport *report,
                 GBytes             *original)
{
  g_autoptr (GChecksum) digest = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GDateTime) utc = g_date_time_to_utc (report->date);
  g_autofree char *stamp = g_date_time_format (utc, "%Y%m%d%H%M%S");

  g_checksum_update (digest, (const guchar *) report->sender, -1);
  for (guint i = 0; i < report->n_recipients; i++)
    {
      g_checksum_update (digest, (const guchar *) "\n", 1);
      g_checksum_update (digest, (const guchar *) report->recipients[i].address, -1);
      g_checksum_update (digest, (const guchar *) report->recipients[i].status, -1);
    }
  if (original != NULL)
    g_checksum_update (digest, g_bytes_get_data (original, NULL), g_bytes_get_size (original));

  return g_strdup_printf ("%s.%.16s@%s", stamp, g_checksum_get_string (digest), report->reporting_mta);
}

/* A boundary must occur in none of the parts (RFC 2046 §5.1.1); one
 * derived from the Message-ID almost never does, and the loop makes
 * sure. */
static char *
make_boundary (const char   *message_id,
               const char   *text,
               const char   *status,
               const guint8 *returned,
               gsize         returned_len)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *seed = g_strdup_printf ("%s/%u", message_id, attempt);
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
      g_autofree char *boundary = g_strdup_printf ("=_dsn_%.24s", digest);

      if (!contains ((const guint8 *) text, strlen (text), boundary) &&
          !contains ((const guint8 *) status, strlen (status), boundary) &&
          !contains (returned, returned_len, boundary))
        return g_steal_pointer (&boundary);
    }
}

static void
set_content (GMimePart    *part,
             const guint8 *data,
             gsize         len)
{
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer ((const char *) data, len);
  GMimeDataWrapper *wrapper = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_part_set_content (part, wrapper);
  g_object_unref (wrapper);
  g_object_unref (stream);
}

GBytes *
msc_dsn_build (const MscDsnReport  *report,
               GError             **error)
{
  g_autoptr (GByteArray) original = NULL;
  g_autoptr (GByteArray) returned = NULL;
  g_autoptr (GByteArray) output = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *bracketed_id = NULL;
  g_autofree char *boundary = NULL;
  g_autofree char *from = NULL;
  gboolean returned_whole = FALSE;
  const char *returned_note = NULL;
  gboolean any_failed = FALSE;
  GMimeMessage *message;
  GMimeMultipart *multipart;
  GMimePart *part;
  GMimeFormatOptions *options;
  GMimeStream *stream;
  gssize written;

  g_return_val_if_fail (report != NULL, NULL);
  g_return_val_if_fail (report->n_recipients == 0 || report->recipients != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_report (report, error))
    return NULL;

  msc_imap_message_init_gmime ();

  for (guint i = 0; i < report->n_recipients; i++)
    any_failed |= report->recipients[i].failed;

  if (report->original != NULL)
    {
      gsize header_len;

      original = to_crlf (g_bytes_get_data (report->original, NULL), g_bytes_get_size (report->original));
      header_len = header_length (original->data, original->len);
      subject = original_subject (original->data, header_len);

      if (!report->headers_only && is_transportable (original->data, original->len))
        {
          returned = g_byte_array_ref (original);
          returned_whole = TRUE;
          returned_note = _("Your message is attached below.");
        }
      else
        {
          returned = returnable_header (original->data, header_len);
          returned_note = _("The header of your message is attached below.");
        }
    }

  text = compose_text (report, subject, returned_note);
  status = compose_status (report);
  message_id = report->message_id != NULL ? g_strdup (report->message_id)
                                          : make_message_id (report, report->original);
  bracketed_id = g_strdup_printf ("<%s>", message_id);
  boundary = make_boundary (message_id, text, status,
                            returned != NULL ? returned->data : NULL,
                            returned != NULL ? returned->len : 0);
  from = g_strdup_printf ("MAILER-DAEMON@%s", report->reporting_mta);

  message = g_mime_message_new (FALSE);
  /* Translators: the sender name of a bounce, as Postfix writes it. */
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM, _("Mail Delivery System"), from);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_TO, NULL, report->sender);
  g_mime_message_set_subject (message,
                              any_failed ? _("Undelivered Mail Returned to Sender")
                                         : _("Delayed Mail (still being retried)"),
                              "utf-8");
  g_mime_message_set_date (message, report->date);
  g_mime_object_append_header (GMIME_OBJECT (message), "Message-ID", bracketed_id, NULL);
  /* RFC 3834 §5: a machine's answer, which other machines must not
   * answer in turn. */
  g_mime_object_append_header (GMIME_OBJECT (message), "Auto-Submitted", "auto-replied", NULL);
  g_mime_object_append_header (GMIME_OBJECT (message), "MIME-Version", "1.0", NULL);

  /* report-type before the boundary, as RFC 6522's examples and real
   * MTAs write it: a reader sees the kind of report first. */
  multipart = g_mime_multipart_new_with_subtype ("report");
  {
    g_autofree char *value = g_strdup_printf ("multipart/report; report-type=delivery-status; boundary=\"%s\"",
                                              boundary);
    GMimeContentType *content_type = g_mime_content_type_parse (NULL, value);

    g_mime_object_set_content_type (GMIME_OBJECT (multipart), content_type);
    g_object_unref (content_type);
  }

  /* UTF-8, not the "best" charset GMime would pick: one charset for
   * every language; the transfer encoding GMime finds for it. */
  part = GMIME_PART (g_mime_text_part_new_with_subtype ("plain"));
  set_content (part, (const guint8 *) text, strlen (text));
  g_mime_text_part_set_charset (GMIME_TEXT_PART (part),
                                has_8bit ((const guint8 *) text, strlen (text)) ? "utf-8" : "us-ascii");
  g_mime_part_set_content_encoding (part, g_mime_part_get_best_content_encoding (part, GMIME_ENCODING_CONSTRAINT_7BIT));
  g_mime_multipart_add (multipart, GMIME_OBJECT (part));
  g_object_unref (part);

  part = g_mime_part_new_with_type ("message", "delivery-status");
  set_content (part, (const guint8 *) status, strlen (status));
  g_mime_multipart_add (multipart, GMIME_OBJECT (part));
  g_object_unref (part);

  if (returned != NULL)
    {
      part = returned_whole ? g_mime_part_new_with_type ("message", "rfc822")
                            : g_mime_part_new_with_type ("text", "rfc822-headers");
      set_content (part, returned->data, returned->len);
      /* RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never
       * encoded; 8bit says that it needs 8BITMIME on the way. */
      if (has_8bit (returned->data, returned->len))
        g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_8BIT);
      g_mime_multipart_add (multipart, GMIME_OBJECT (part));
      g_object_unref (part);
    }

  g_mime_message_set_mime_part (message, GMIME_OBJECT (multipart));
  g_object_unref (multipart);

  options = g_mime_format_options_clone (NULL);
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  stream = g_mime_stream_mem_new ();
  written = g_mime_object_write_to_stream (GMIME_OBJECT (message), options, stream);
  if (written >= 0)
    {
      GByteArray *bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));

      /* GMime writes CRLF already; this makes sure of it. */
      output = to_crlf (bytes->data, bytes->len);
    }
  g_object_unref (stream);
  g_mime_format_options_free (options);
  g_object_unref (message);

  if (output == NULL)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_INVALID,
                   _("The delivery report could not be written"));
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&output));
}

/* ---- Reading ---- */

/* The line of @data starting at *@pos: sets *@text_len to its length
 * without CRLF or LF and moves *@pos to the next line. */
static const char *
next_line (const char *data,
           gsize       len,
           gsize      *pos,
           gsize      *text_len)
{
  const char *line = data + *pos;
  const char *lf = memchr (line, '\n', len - *pos);
  gsize end = lf != NULL ? (gsize) (lf - data) : len;

  *pos = lf != NULL ? end + 1 : len;
  *text_len = end - (line - data);
  if (*text_len > 0 && line[*text_len - 1] == '\r')
    (*text_len)--;

  return line;
}

static gboolean
is_blank (const char *line,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t')
      return FALSE;

  return TRUE;
}

/* Reads the header of the entity at @data: the unfolded values of
 * Content-Type and Content-Transfer-Encoding (NULL when absent), and
 * where the body starts (@len when there is none).  Lines that are not
 * fields are skipped, as mail readers do. */
static gsize
read_entity_header (const char  *data,
                    gsize        len,
                    char       **content_type,
                    char       **encoding)
{
  g_autoptr (GString) field = g_string_new (NULL);
  char **target = NULL;
  gsize pos = 0;

  *content_type = NULL;
  *encoding = NULL;

  while (pos < len)
    {
      gsize text_len;
      const char *line = next_line (data, len, &pos, &text_len);
      gsize prefix = 0;

      if (text_len > 0 && (line[0] == ' ' || line[0] == '\t'))
        {
          if (target != NULL)
            g_string_append_len (field, line, text_len);
          continue;
        }

      if (target != NULL)
        *target = g_strdup (field->str);
      target = NULL;

      if (text_len == 0)
        return pos;

      if (*content_type == NULL && text_len >= 13 &&
          g_ascii_strncasecmp (line, "Content-Type:", 13) == 0)
        {
          target = content_type;
          prefix = 13;
        }
      else if (*encoding == NULL && text_len >= 26 &&
               g_ascii_strncasecmp (line, "Content-Transfer-Encoding:", 26) == 0)
        {
          target = encoding;
          prefix = 26;
        }

      if (target != NULL)
        {
          g_string_truncate (field, 0);
          g_string_append_len (field, line + prefix, text_len - prefix);
        }
    }

  if (target != NULL)
    *target = g_strdup (field->str);

  return len;
}

typedef struct
{
  gsize start;
  gsize end;
} Span;

/* The parts of a multipart body (RFC 2046 §5.1.1): a delimiter is a line
 * "--" boundary, perhaps followed by "--" (the last) and white space; the
 * line end before it belongs to it.  A body cut short ends its last part
 * where it stops. */
static GArray *
split_multipart (const char *body,
                 gsize       len,
                 const char *boundary)
{
  GArray *parts = g_array_new (FALSE, FALSE, sizeof (Span));
  gsize boundary_len = strlen (boundary);
  gboolean in_part = FALSE;
  gsize part_start = 0;
  gsize pos = 0;

  while (pos < len)
    {
      gsize line_start = pos;
      gsize text_len;
      const char *line = next_line (body, len, &pos, &text_len);
      gboolean last;

      if (text_len < 2 + boundary_len || line[0] != '-' || line[1] != '-' ||
          memcmp (line + 2, boundary, boundary_len) != 0)
        continue;

      last = text_len >= 4 + boundary_len && line[2 + boundary_len] == '-' && line[3 + boundary_len] == '-';
      if (!is_blank (line + 2 + boundary_len + (last ? 2 : 0), text_len - 2 - boundary_len - (last ? 2 : 0)))
        continue;

      if (in_part)
        {
          Span span = { part_start, line_start };

          /* The line end before the delimiter is the delimiter's. */
          if (span.end > span.start && body[span.end - 1] == '\n')
            span.end--;
          if (span.end > span.start && body[span.end - 1] == '\r')
            span.end--;
          g_array_append_val (parts, span);
        }

      if (last)
        return parts;

      in_part = TRUE;
      part_start = pos;
    }

  if (in_part)
    {
      Span span = { part_start, len };

      g_array_append_val (parts, span);
    }

  return parts;
}

typedef struct
{
  char    *name;
  GString *value;
} Field;

static void
field_free (gpointer data)
{
  Field *field = data;

  g_free (field->name);
  g_string_free (field->value, TRUE);
  g_free (field);
}

/* The value of the first field @name in @group, or NULL. */
static const char *
group_get (GPtrArray  *group,
           const char *name)
{
  for (guint i = 0; i < group->len; i++)
    {
      Field *field = group->pdata[i];

      if (g_ascii_strcasecmp (field->name, name) == 0)
        return field->value->str;
    }

  return NULL;
}

/* "type; value" (RFC 3464 §2.1.2): the value, trimmed; all of it when
 * there is no type. */
static char *
strip_type (const char *text,
            char      **type)
{
  const char *semicolon = strchr (text, ';');
  g_autofree char *value = g_strdup (semicolon != NULL ? semicolon + 1 : text);

  if (type != NULL)
    *type = semicolon != NULL ? g_strstrip (g_strndup (text, semicolon - text)) : NULL;

  return g_strdup (g_strstrip (value));
}

/* utf-8-addr-xtext or -unitext (RFC 6533 §3): \x{HEX} back to its
 * character.  A malformed escape is kept as it is. */
static char *
decode_xtext (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0';)
    {
      if (p[0] == '\\' && p[1] == 'x' && p[2] == '{')
        {
          char *end;
          guint64 c = g_ascii_strtoull (p + 3, &end, 16);

          if (end != p + 3 && end - (p + 3) <= 6 && *end == '}' && g_unichar_validate ((gunichar) c) && c != 0)
            {
              g_string_append_unichar (out, (gunichar) c);
              p = end + 1;
              continue;
            }
        }
      g_string_append_c (out, *p++);
    }

  return g_string_free (out, FALSE);
}

/* The first word of @text: a Status or Action may carry a comment. */
static char *
first_word (const char *text)
{
  gsize len = strcspn (text, " \t(");

  return g_strndup (text, len);
}

static MscDsnResult *
read_recipient (GPtrArray  *group,
                guint       index,
                GError    **error)
{
  g_autoptr (MscDsnResult) result = g_new0 (MscDsnResult, 1);
  const char *recipient = group_get (group, "Final-Recipient");
  const char *action = group_get (group, "Action");
  const char *status = group_get (group, "Status");
  const char *diagnostic = group_get (group, "Diagnostic-Code");
  const char *remote = group_get (group, "Remote-MTA");
  const char *missing = NULL;
  g_autofree char *type = NULL;
  g_autofree char *address = NULL;
  gsize address_len;

  /* Final-Recipient is required (§2.3.2), but a recipient is a recipient:
   * take the original one when a broken MTA writes only that. */
  if (recipient == NULL)
    recipient = group_get (group, "Original-Recipient");

  if (recipient == NULL)
    missing = "Final-Recipient";
  else if (action == NULL)
    missing = "Action";
  else if (status == NULL)
    missing = "Status";
  if (missing != NULL)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                   _("Recipient %u of the delivery status has no %s field (RFC 3464 §2.3)"),
                   index, missing);
      return NULL;
    }

  address = strip_type (recipient, &type);
  address_len = strlen (address);
  if (address_len >= 2 && address[0] == '<' && address[address_len - 1] == '>')
    {
      address[address_len - 1] = '\0';
      memmove (address, address + 1, address_len - 1);
    }
  if (type != NULL && g_ascii_strcasecmp (type, "utf-8") == 0)
    result->address = decode_xtext (address);
  else
    result->address = g_steal_pointer (&address);

  result->action = g_ascii_strdown (action, strcspn (action, " \t("));
  result->status = first_word (status);
  if (*result->address == '\0' || *result->action == '\0' || !is_status_code (result->status))
    {
      g_autofree char *shown = quote_for_error (*result->address == '\0' ? recipient
                                                : *result->action == '\0' ? action : status, 80);

      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                   _("Recipient %u of the delivery status has a malformed field: “%s”"),
                   index, shown);
      return NULL;
    }

  if (diagnostic != NULL)
    result->diagnostic = strip_type (diagnostic, NULL);
  if (remote != NULL)
    result->remote_mta = strip_type (remote, NULL);

  return g_steal_pointer (&result);
}

static char *
make_valid (char *text)
{
  char *valid;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  g_free (text);

  return valid;
}

/* The fields of a delivery-status body (RFC 3464 §2.1): groups of header
 * fields, blank lines between them, the per-message group first. */
static gboolean
read_status (const char  *data,
             gsize        len,
             char       **out_reporting_mta,
             GPtrArray  **out_results,
             GError     **error)
{
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) msc_dsn_result_free);
  g_autoptr (GPtrArray) group = g_ptr_array_new_with_free_func (field_free);
  g_autofree char *reporting_mta = NULL;
  gboolean per_message = TRUE;
  guint line_number = 0;
  gsize pos = 0;

  while (pos <= len)
    {
      gsize text_len = 0;
      const char *line = pos < len ? next_line (data, len, &pos, &text_len) : NULL;

      if (line == NULL)
        pos = len + 1;  /* the end of the body ends the last group */
      line_number++;

      if (line != NULL && !is_blank (line, text_len))
        {
          const char *colon;

          if (line[0] == ' ' || line[0] == '\t')
            {
              Field *last = group->len > 0 ? group->pdata[group->len - 1] : NULL;
              gsize skip = 0;

              if (last == NULL)
                {
                  g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                               _("Line %u of the delivery status continues no field"), line_number);
                  return FALSE;
                }
              /* Unfolding: the line break and its indentation become one space. */
              while (line[skip] == ' ' || line[skip] == '\t')
                skip++;
              g_string_append_c (last->value, ' ');
              g_string_append_len (last->value, line + skip, text_len - skip);
              continue;
            }

          colon = memchr (line, ':', text_len);
          if (colon == NULL || colon == line)
            {
              g_autofree char *line_text = g_strndup (line, MIN (text_len, 60));
              g_autofree char *shown = quote_for_error (line_text, 60);

              g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                           _("Line %u of the delivery status is not a field: “%s”"), line_number, shown);
              return FALSE;
            }

          {
            Field *field = g_new0 (Field, 1);

            field->name = g_strstrip (g_strndup (line, colon - line));
            field->value = g_string_new_len (colon + 1, text_len - (colon + 1 - line));
            g_ptr_array_add (group, field);
          }
          continue;
        }

      /* A blank line, or the end: the group is complete. */
      if (group->len == 0)
        continue;

      for (guint i = 0; i < group->len; i++)
        {
          Field *field = group->pdata[i];
          char *stripped = g_strstrip (field->value->str);

          memmove (field->value->str, stripped, strlen (stripped) + 1);
          g_string_set_size (field->value, strlen (field->value->str));
        }

      if (per_message)
        {
          const char *mta = group_get (group, "Reporting-MTA");

          if (mta == NULL)
            {
              g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                           _("The delivery status has no Reporting-MTA field (RFC 3464 §2.2.2)"));
              return FALSE;
            }
          reporting_mta = make_valid (strip_type (mta, NULL));
          per_message = FALSE;
        }
      else
        {
          MscDsnResult *result = read_recipient (group, results->len + 1, error);

          if (result == NULL)
            return FALSE;
          result->address = make_valid (result->address);
          result->action = make_valid (result->action);
          result->status = make_valid (result->status);
          result->diagnostic = make_valid (result->diagnostic);
          result->remote_mta = make_valid (result->remote_mta);
          g_ptr_array_add (results, result);
        }

      g_ptr_array_set_size (group, 0);
    }

  if (per_message)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                   _("The delivery status is empty"));
      return FALSE;
    }

  if (results->len == 0)
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                   _("The delivery status names no recipient (RFC 3464 §2.1)"));
      return FALSE;
    }

  if (out_reporting_mta != NULL)
    *out_reporting_mta = g_steal_pointer (&reporting_mta);
  if (out_results != NULL)
    *out_results = g_steal_pointer (&results);

  return TRUE;
}

/* Undoes base64 or quoted-printable; anything else is taken as it is. */
static GBytes *
decode_body (const char *data,
             gsize       len,
             const char *encoding)
{
  g_autofree char *name = encoding != NULL ? g_strstrip (g_strdup (encoding)) : NULL;
  GMimeContentEncoding kind = name != NULL ? g_mime_content_encoding_from_string (name)
                                           : GMIME_CONTENT_ENCODING_DEFAULT;
  GMimeEncoding state;
  char *octets;

  if (kind != GMIME_CONTENT_ENCODING_BASE64 && kind != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
      kind != GMIME_CONTENT_ENCODING_UUENCODE)
    return g_bytes_new (data, len);

  g_mime_encoding_init_decode (&state, kind);
  octets = g_malloc (g_mime_encoding_outlen (&state, len) + 1);
  len = g_mime_encoding_flush (&state, data, len, octets);

  return g_bytes_new_take (octets, len);
}

static gboolean
is_delivery_status (GMimeContentType *type)
{
  return g_mime_content_type_is_type (type, "message", "delivery-status") ||
         g_mime_content_type_is_type (type, "message", "global-delivery-status");
}

gboolean
msc_dsn_parse (GBytes     *message,
               char      **out_reporting_mta,
               GPtrArray **out_results,
               GError    **error)
{
  g_autofree char *content_type = NULL;
  g_autofree char *encoding = NULL;
  g_autoptr (GArray) parts = NULL;
  GMimeContentType *type;
  const char *data;
  const char *boundary;
  const char *report_type;
  gsize len;
  gsize body;
  gboolean found = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  msc_imap_message_init_gmime ();

  data = g_bytes_get_data (message, &len);
  if (data == NULL)
    data = "";

  body = read_entity_header (data, len, &content_type, &encoding);
  type = content_type != NULL ? g_mime_content_type_parse (NULL, content_type) : NULL;

  if (type == NULL || !g_mime_content_type_is_type (type, "multipart", "report"))
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_NOT_A_REPORT,
                   _("The message is not a report (multipart/report, RFC 6522)"));
      goto out;
    }

  report_type = g_mime_content_type_get_parameter (type, "report-type");
  if (report_type != NULL && g_ascii_strcasecmp (report_type, "delivery-status") != 0 &&
      g_ascii_strcasecmp (report_type, "global-delivery-status") != 0)
    {
      g_autofree char *shown = quote_for_error (report_type, 60);

      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_NOT_A_REPORT,
                   _("The message is a report of another kind: %s"), shown);
      goto out;
    }

  boundary = g_mime_content_type_get_parameter (type, "boundary");
  if (boundary == NULL || *boundary == '\0')
    {
      g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_MALFORMED,
                   _("The report has no MIME boundary, so its parts cannot be found"));
      goto out;
    }

  parts = split_multipart (data + body, len - body, boundary);
  for (guint i = 0; i < parts->len && !found; i++)
    {
      const Span *span = &g_array_index (parts, Span, i);
      const char *part = data + body + span->start;
      gsize part_len = span->end - span->start;
      g_autofree char *part_type = NULL;
      g_autofree char *part_encoding = NULL;
      GMimeContentType *parsed;
      gsize part_body = read_entity_header (part, part_len, &part_type, &part_encoding);

      parsed = part_type != NULL ? g_mime_content_type_parse (NULL, part_type) : NULL;
      if (parsed != NULL && is_delivery_status (parsed))
        {
          g_autoptr (GBytes) decoded = decode_body (part + part_body, part_len - part_body, part_encoding);
          gsize decoded_len;
          const char *decoded_data = g_bytes_get_data (decoded, &decoded_len);

          found = TRUE;
          ok = read_status (decoded_data != NULL ? decoded_data : "", decoded_len,
                            out_reporting_mta, out_results, error);
        }
      g_clear_object (&parsed);
    }

  if (!found)
    g_set_error (error, MSC_DSN_ERROR, MSC_DSN_ERROR_NOT_A_REPORT,
                 _("The report has no delivery-status part (RFC 3464)"));

out:
  g_clear_object (&type);

  return ok;
}
