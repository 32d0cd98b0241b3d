/* msc-pop3-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-pop3-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-line-reader.h"
#include "msc-pop3-server.h"
#include "msc-wire.h"

/* RFC 2449 §4 allows a command 255 octets with its CRLF; twice that
 * forgives a sloppy client and still bounds what one line can hold. */
#define DEFAULT_MAX_LINE_LENGTH  512
/* RFC 5034 §4: SASL responses are not held to the command limit; a
 * server must take the longest its mechanisms make.  PLAIN's longest
 * (RFC 4616 §2: three 255-octet strings and two NULs) is 1024 characters
 * of base64 and a CRLF. */
#define MIN_SASL_LINE_LENGTH     2048
#define DEFAULT_MAX_ERRORS       20
/* RFC 1939 §3: an autologout timer "MUST be of at least 10 minutes'
 * duration". */
#define MIN_AUTOLOGOUT_USEC      (10 * 60 * G_USEC_PER_SEC)
/* RFC 2449 §4: the first line of a response, CRLF included. */
#define MAX_FIRST_LINE_LENGTH    512

/* One message as numbered at login (RFC 1939 §4): the numbers, the sizes
 * and the bytes stay what they were for the whole session, whatever an
 * IMAP session or a delivery does to the INBOX meanwhile. */
typedef struct
{
  MscMessage *message;
  guint32     uid;
  guint64     size;      /* octets as sent: CRLF line ends, before byte-stuffing */
  gboolean    deleted;   /* marked by DELE, removed only in UPDATE */
} MaildropEntry;

struct _MscPop3Server
{
  GObject             parent_instance;

  /* Owned references */
  MscMailStore       *store;
  MscLineReader      *reader;
  GByteArray         *output;
  GQueue              events;
  GError             *close_reason;

  /* Configuration */
  char               *hostname;
  gsize               max_line_length;
  guint               max_errors;
  guint               apop_pid;
  guint64             apop_clock;
  gboolean            tls_available;
  gboolean            allow_insecure_auth;
  gint64              autologout;

  /* Session */
  MscPop3ServerState  state;
  gboolean            tls_active;
  char               *timestamp;     /* the greeting's APOP timestamp, or NULL */
  char               *pending_user;  /* USER accepted, PASS awaited */
  guint               n_errors;
  gint64              now;
  gint64              last_activity;

  /* The maildrop, from login to the end: @user holds its lock */
  char               *user;
  MscMailbox         *inbox;
  GArray             *maildrop;      /* of MaildropEntry; message-number - 1 */
};

G_DEFINE_FINAL_TYPE (MscPop3Server, msc_pop3_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-pop3-server-error-quark, msc_pop3_server_error)

static const char * const state_names[] = {
  "greeting", "authorization", "sasl", "stls", "transaction", "update", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_POP3_SERVER_N_STATES);

static const char * const event_kind_names[] = {
  "command", "reply", "starttls", "state-changed", "authenticated",
  "maildrop-updated", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_POP3_SERVER_N_EVENT_KINDS);

const char *
msc_pop3_server_state_get_name (MscPop3ServerState state)
{
  g_return_val_if_fail (state < MSC_POP3_SERVER_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_pop3_server_event_kind_get_name (MscPop3ServerEventKind kind)
{
  g_return_val_if_fail (kind < MSC_POP3_SERVER_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

void
msc_pop3_server_event_free (MscPop3ServerEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->line);
  g_free (event->verb);
  g_free (event->code);
  g_free (event->text);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->user);
  g_free (event->mechanism);
  g_clear_pointer (&event->expunged, g_array_unref);
  g_clear_error (&event->error);
  g_free (event);
}

static void
maildrop_entry_clear (gpointer data)
{
  MaildropEntry *entry = data;

  g_clear_object (&entry->message);
}

static MscPop3ServerEvent *
push_event (MscPop3Server          *self,
            MscPop3ServerEventKind  kind)
{
  MscPop3ServerEvent *event = g_new0 (MscPop3ServerEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscPop3Server      *self,
           MscPop3ServerState  state)
{
  MscPop3ServerEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_POP3_SERVER_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

/* One response.  @code is an extended response code without brackets
 * (RFC 2449 §8); @body, for a multi-line response, holds its lines already
 * byte-stuffed, each with its CRLF, and the termination line is added
 * here (RFC 1939 §3). */
static void
send_reply_full (MscPop3Server      *self,
                 MscPop3ServerReplyStatus  status,
                 const char         *code,
                 const char         *text,
                 GByteArray         *body)
{
  static const char * const indicators[] = { "+OK", "-ERR", "+" };
  GByteArray *wire;
  MscPop3ServerEvent *event;
  g_autoptr(GString) first = g_string_new (indicators[status]);

  /* Wire text is protocol English; never anything the client sent that
   * could forge a line end or a response code. */
  g_assert (g_str_is_ascii (text) && strpbrk (text, "\r\n") == NULL);
  g_assert (text[0] != '[');
  g_assert (code == NULL || status == MSC_POP3_SERVER_REPLY_ERR);

  if (code != NULL)
    g_string_append_printf (first, " [%s]", code);
  /* RFC 5034 §4: a challenge is "+", a space and the base64, even when
   * that is empty. */
  if (*text != '\0' || status == MSC_POP3_SERVER_REPLY_CONTINUE)
    g_string_append_printf (first, " %s", text);
  g_string_append (first, "\r\n");

  g_assert (first->len <= MAX_FIRST_LINE_LENGTH);

  wire = g_byte_array_sized_new (first->len + (body != NULL ? body->len + 3 : 0));
  g_byte_array_append (wire, (const guint8 *) first->str, first->len);
  if (body != NULL)
    {
      g_byte_array_append (wire, body->data, body->len);
      g_byte_array_append (wire, (const guint8 *) ".\r\n", 3);
    }

  g_byte_array_append (self->output, wire->data, wire->len);

  event = push_event (self, MSC_POP3_SERVER_EVENT_REPLY);
  event->status = status;
  event->code = g_strdup (code);
  event->text = g_strdup (text);
  event->multiline = body != NULL;
  event->wire = g_byte_array_free_to_bytes (wire);
}

static void
send_reply (MscPop3Server      *self,
            MscPop3ServerReplyStatus  status,
            const char         *code,
            const char         *text)
{
  send_reply_full (self, status, code, text, NULL);
}

static void G_GNUC_PRINTF (4, 5)
send_replyf (MscPop3Server      *self,
             MscPop3ServerReplyStatus  status,
             const char         *code,
             const char         *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  send_reply (self, status, code, text);
}

/* A refusal caused by what the client sent: these count towards
 * max_errors, so a client guessing passwords or sending garbage is cut
 * off.  Refusals that are the server's own doing ([IN-USE], [SYS/…]) go
 * through send_reply() and do not count. */
static void
reject (MscPop3Server *self,
        const char    *code,
        const char    *text)
{
  send_reply (self, MSC_POP3_SERVER_REPLY_ERR, code, text);
  self->n_errors++;
}

static void G_GNUC_PRINTF (3, 4)
rejectf (MscPop3Server *self,
         const char    *code,
         const char    *format,
         ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  reject (self, code, text);
}

static void
emit_command (MscPop3Server *self,
              const MscLine *line,
              const char    *verb,
              gboolean       secret)
{
  MscPop3ServerEvent *event = push_event (self, MSC_POP3_SERVER_EVENT_COMMAND);
  GByteArray *wire = g_byte_array_sized_new (line->len + 2);

  if (line->len > 0)
    g_byte_array_append (wire, line->data, line->len);
  if (!line->truncated && line->ending == MSC_LINE_ENDING_CRLF)
    g_byte_array_append (wire, (const guint8 *) "\r\n", 2);
  else if (!line->truncated && line->ending == MSC_LINE_ENDING_LF)
    g_byte_array_append (wire, (const guint8 *) "\n", 1);

  event->line = msc_wire_display_string (line->data, line->len);
  event->verb = g_strdup (verb);
  event->secret = secret;
  event->truncated = line->truncated;
  event->wire = g_byte_array_free_to_bytes (wire);
}

static const char *
plural (guint64 n)
{
  return n == 1 ? "" : "s";
}

/* ---- The maildrop ---- */

/* Lays a message out as a multi-line response carries it (RFC 1939 §3):
 * every line ends in CRLF, a line that starts with the termination octet
 * gets one more, and nothing else changes.  Mail in the store has CRLF
 * line ends already (the SMTP server stores them so); a message put in a
 * Maildir by hand may have bare LFs or lack a last line end, and it goes
 * out with CRLFs all the same, since a POP3 client reads lines by them.
 *
 * With @top, stops after the header, the blank line and @body_lines
 * lines of the body (RFC 1939 §7).  Appends to @out if it is not NULL.
 *
 * Returns: the size in octets before byte-stuffing, as LIST reports it */
static guint64
lay_out_message (GBytes     *data,
                 gboolean    top,
                 guint64     body_lines,
                 GByteArray *out)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  gboolean in_body = FALSE;
  guint64 n_body_lines = 0;
  guint64 size = 0;
  gsize pos = 0;

  while (pos < len)
    {
      const guint8 *lf = memchr (bytes + pos, '\n', len - pos);
      gsize end = lf != NULL ? (gsize) (lf - bytes) : len;
      gsize next = lf != NULL ? end + 1 : len;

      if (lf != NULL && end > pos && bytes[end - 1] == '\r')
        end--;

      if (top && in_body && n_body_lines++ == body_lines)
        break;

      if (out != NULL)
        {
          if (end > pos && bytes[pos] == '.')
            g_byte_array_append (out, (const guint8 *) ".", 1);
          g_byte_array_append (out, bytes + pos, end - pos);
          g_byte_array_append (out, (const guint8 *) "\r\n", 2);
        }
      size += end - pos + 2;

      /* The first empty line ends the header (RFC 5322 §2.1). */
      if (end == pos)
        in_body = TRUE;

      pos = next;
    }

  return size;
}

static void
count_maildrop (MscPop3Server *self,
                guint         *n_messages,
                guint64       *n_octets)
{
  *n_messages = 0;
  *n_octets = 0;

  for (guint i = 0; i < self->maildrop->len; i++)
    {
      MaildropEntry *entry = &g_array_index (self->maildrop, MaildropEntry, i);

      if (entry->deleted)
        continue;

      (*n_messages)++;
      *n_octets += entry->size;
    }
}

/* The answer to a login and to RSET (RFC 1939 §4 and §5). */
static void
send_maildrop_summary (MscPop3Server *self)
{
  guint n_messages;
  guint64 n_octets;

  count_maildrop (self, &n_messages, &n_octets);
  send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL,
               "maildrop has %u message%s (%" G_GUINT64_FORMAT " octets)",
               n_messages, plural (n_messages), n_octets);
}

/* RFC 1939 §7: the unique-id is 1 to 70 characters in 0x21–0x7E and
 * persists across sessions.  A UID is unique within one UIDVALIDITY of
 * the INBOX, and both survive restarts (RFC 3501 §2.3.1.1), so the pair
 * is exactly as stable as POP3 needs, and the two protocols name a
 * message alike: "1767225600.7" is UID 7 to an IMAP client. */
static char *
format_uidl (MscPop3Server *self,
             guint32        uid)
{
  return g_strdup_printf ("%u.%u", msc_mailbox_get_uid_validity (self->inbox), uid);
}

static void
release_maildrop (MscPop3Server *self)
{
  if (self->user == NULL)
    return;

  msc_mail_store_unlock_maildrop (self->store, self->user);
  g_clear_pointer (&self->user, g_free);
  g_clear_object (&self->inbox);
  g_clear_pointer (&self->maildrop, g_array_unref);
}

/* Takes @reason (NULL after a QUIT that removed what it had to). */
static void
close_session (MscPop3Server *self,
               GError        *reason)
{
  MscPop3ServerEvent *event;

  g_assert (self->state != MSC_POP3_SERVER_STATE_CLOSED);

  /* A session that did not pass through UPDATE removes nothing
   * (RFC 1939 §6): the marks go with the snapshot. */
  release_maildrop (self);
  g_clear_pointer (&self->pending_user, g_free);
  msc_line_reader_reset (self->reader);

  set_state (self, MSC_POP3_SERVER_STATE_CLOSED);

  event = push_event (self, MSC_POP3_SERVER_EVENT_CLOSED);
  if (reason != NULL)
    {
      event->error = g_error_copy (reason);
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

static void
check_error_limit (MscPop3Server *self)
{
  if (self->state == MSC_POP3_SERVER_STATE_CLOSED || self->n_errors < self->max_errors)
    return;

  send_reply (self, MSC_POP3_SERVER_REPLY_ERR, NULL, "too many errors, closing connection");
  close_session (self,
                 g_error_new (MSC_POP3_SERVER_ERROR,
                              MSC_POP3_SERVER_ERROR_TOO_MANY_ERRORS,
                              ngettext ("The client made %u error; the server closed the session",
                                        "The client made %u errors; the server closed the session",
                                        self->n_errors),
                              self->n_errors));
}

/* RFC 3206 §4: SYS/TEMP for a passing problem (a full disk), SYS/PERM
 * when trying again will not help. */
static const char *
sys_code (const GError *error)
{
  if (error->domain == G_IO_ERROR ||
      g_error_matches (error, MSC_MAIL_STORE_ERROR, MSC_MAIL_STORE_ERROR_IO))
    return "SYS/TEMP";

  return "SYS/PERM";
}

/* RFC 1939 §4: lock the maildrop, number its messages and enter the
 * TRANSACTION state.  The lock is asked for only once the credentials
 * are right, so [IN-USE] tells a stranger nothing. */
static void
open_maildrop (MscPop3Server *self,
               const char    *user,
               const char    *mechanism)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  MscPop3ServerEvent *event;

  g_assert (self->user == NULL);

  if (!msc_mail_store_try_lock_maildrop (self->store, user))
    {
      /* RFC 2449 §8.1.2 */
      send_reply (self, MSC_POP3_SERVER_REPLY_ERR, "IN-USE", "maildrop already locked");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
      return;
    }

  self->inbox = msc_mail_store_get_mailbox (self->store, user, MSC_MAILBOX_INBOX, &error);
  if (self->inbox == NULL)
    {
      /* RFC 1939 §4: a lock taken must be released before the -ERR. */
      g_debug ("Cannot open the maildrop of %s: %s", user, error->message);
      msc_mail_store_unlock_maildrop (self->store, user);
      send_reply (self, MSC_POP3_SERVER_REPLY_ERR, sys_code (error), "unable to open maildrop");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
      return;
    }

  self->user = g_strdup (user);

  /* The snapshot: messages that arrive later wait for the next session. */
  messages = msc_mailbox_list_messages (self->inbox);
  self->maildrop = g_array_sized_new (FALSE, TRUE, sizeof (MaildropEntry), messages->len);
  g_array_set_clear_func (self->maildrop, maildrop_entry_clear);
  for (guint i = 0; i < messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (messages, i);
      MaildropEntry entry = {
        .message = g_object_ref (message),
        .uid = msc_message_get_uid (message),
        .size = lay_out_message (msc_message_get_data (message), FALSE, 0, NULL),
      };

      g_array_append_val (self->maildrop, entry);
    }

  send_maildrop_summary (self);

  event = push_event (self, MSC_POP3_SERVER_EVENT_AUTHENTICATED);
  event->user = g_strdup (user);
  event->mechanism = g_strdup (mechanism);

  set_state (self, MSC_POP3_SERVER_STATE_TRANSACTION);
}

static void
auth_failed (MscPop3Server *self,
             const char    *text)
{
  /* RFC 3206 §5, promised by AUTH-RESP-CODE: the credentials are the
   * problem, so a client should ask the user rather than retry. */
  reject (self, "AUTH", text);
  set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
}

static gboolean
auth_offered (MscPop3Server *self)
{
  return self->tls_active || self->allow_insecure_auth;
}

/* USER/PASS and AUTH PLAIN send the password as it is, and an APOP digest
 * can be attacked offline; without TLS all of them are refused, at the
 * first command, before the client sends a credential (RFC 2595 §2.3;
 * RFC 1939 §7 lets USER fail where plaintext passwords are not allowed).
 * RFC 3206 §5 names "an attempt to authenticate in violation of policy"
 * as an [AUTH] case. */
static gboolean
check_auth_offered (MscPop3Server *self)
{
  if (auth_offered (self))
    return TRUE;

  if (self->tls_available)
    reject (self, "AUTH", "encryption required: use STLS first");
  else
    reject (self, "AUTH", "authentication is not allowed without encryption");

  return FALSE;
}

/* ---- Arguments ---- */

/* Splits @args at spaces into 0 or more words.  RFC 1939 §3 separates
 * them with one space; more are forgiven. */
static GStrv
split_args (const char *args)
{
  g_auto(GStrv) words = g_strsplit (args, " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] != '\0')
        g_strv_builder_add (builder, words[i]);
    }

  return g_strv_builder_end (builder);
}

/* Decimal digits only; a number too big for 64 bits is G_MAXUINT64,
 * which is as out of range as it needs to be. */
static gboolean
parse_number (const char *text,
              guint64    *number)
{
  if (*text == '\0')
    return FALSE;

  *number = 0;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (*number > (G_MAXUINT64 - 9) / 10)
        *number = G_MAXUINT64;
      else
        *number = *number * 10 + (guint64) (*p - '0');
    }

  return TRUE;
}

/* A message-number (RFC 1939 §5) that names a message not marked as
 * deleted; replies itself otherwise. */
static MaildropEntry *
lookup_message (MscPop3Server *self,
                const char    *arg,
                guint         *number)
{
  MaildropEntry *entry;
  guint64 n;

  if (!parse_number (arg, &n))
    {
      reject (self, NULL, "invalid message number");
      return NULL;
    }

  if (n == 0 || n > self->maildrop->len)
    {
      rejectf (self, NULL, "no such message, only %u message%s in maildrop",
               self->maildrop->len, plural (self->maildrop->len));
      return NULL;
    }

  entry = &g_array_index (self->maildrop, MaildropEntry, n - 1);
  if (entry->deleted)
    {
      rejectf (self, NULL, "message %u already deleted", (guint) n);
      return NULL;
    }

  *number = (guint) n;
  return entry;
}

/* ---- SASL (RFC 5034, RFC 4616) ---- */

static void
end_sasl (MscPop3Server *self)
{
  msc_line_reader_set_max_line_length (self->reader, self->max_line_length);
}

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2) */
static void
finish_plain (MscPop3Server *self,
              const guchar  *message,
              gsize          len)
{
  const guchar *end = message + len;
  const guchar *nul1 = memchr (message, '\0', len);
  const guchar *nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', end - nul1 - 1) : NULL;
  g_autofree char *authzid = NULL;
  g_autofree char *authcid = NULL;
  char *passwd = NULL;

  if (nul2 == NULL || memchr (nul2 + 1, '\0', end - nul2 - 1) != NULL)
    {
      auth_failed (self, "authentication failed");
      return;
    }

  authzid = g_strndup ((const char *) message, nul1 - message);
  authcid = g_strndup ((const char *) nul1 + 1, nul2 - nul1 - 1);
  passwd = g_strndup ((const char *) nul2 + 1, end - nul2 - 1);

  /* Acting for someone else (a non-empty, different authzid) is not
   * something this server grants anybody. */
  if (!g_utf8_validate (authzid, -1, NULL) || !g_utf8_validate (authcid, -1, NULL) ||
      !g_utf8_validate (passwd, -1, NULL) ||
      (*authzid != '\0' && g_ascii_strcasecmp (authzid, authcid) != 0) ||
      *authcid == '\0' || *passwd == '\0' ||
      !msc_directory_check_password (MSC_DIRECTORY (self->store), authcid, passwd))
    auth_failed (self, "authentication failed");
  else
    open_maildrop (self, authcid, "PLAIN");

  msc_wire_free_secret (passwd);
}

static void
sasl_step (MscPop3Server *self,
           const char    *response)
{
  guchar *decoded = NULL;
  gsize len = 0;

  if (!msc_wire_decode_base64_strict (response, &decoded, &len))
    {
      reject (self, NULL, "invalid base64 in the SASL response");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
      return;
    }

  finish_plain (self, decoded, len);
  memset (decoded, 0, len);
  g_free (decoded);
}

static void
handle_sasl_response (MscPop3Server *self,
                      const MscLine *line)
{
  g_autofree char *text = NULL;

  emit_command (self, line, NULL, TRUE);
  end_sasl (self);

  text = g_strndup ((const char *) line->data, line->len);

  if (!line->has_nul && strcmp (text, "*") == 0)
    {
      /* RFC 5034 §4: a cancelled exchange MUST get an -ERR. */
      reject (self, NULL, "authentication cancelled");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
    }
  else if (line->has_nul)
    {
      reject (self, NULL, "invalid base64 in the SASL response");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
    }
  else
    {
      sasl_step (self, text);
    }

  memset (text, 0, strlen (text));
}

/* ---- Commands in the AUTHORIZATION state (RFC 1939 §4 and §7) ---- */

static void
cmd_user (MscPop3Server *self,
          const char    *args)
{
  g_auto(GStrv) words = split_args (args);

  g_clear_pointer (&self->pending_user, g_free);

  if (!check_auth_offered (self))
    return;

  if (g_strv_length (words) != 1)
    {
      reject (self, NULL, "syntax: USER name");
      return;
    }

  /* RFC 1939 §7 lets USER say +OK for a mailbox that does not exist, so
   * USER does not tell who has one; PASS fails alike for a wrong name and
   * a wrong password. */
  self->pending_user = g_strdup (words[0]);
  send_reply (self, MSC_POP3_SERVER_REPLY_OK, NULL, "send PASS");
}

static void
cmd_pass (MscPop3Server *self,
          const char    *args)
{
  g_autofree char *user = g_steal_pointer (&self->pending_user);

  /* RFC 1939 §7: PASS only right after a successful USER; a failed PASS
   * needs a new USER. */
  if (user == NULL)
    {
      reject (self, NULL, "send USER first");
      return;
    }

  /* RFC 1939 §7: "a POP3 server may treat spaces in the argument as part
   * of the password", so @args is taken whole. */
  if (*args == '\0')
    {
      reject (self, NULL, "syntax: PASS password");
      return;
    }

  if (!msc_directory_check_password (MSC_DIRECTORY (self->store), user, args))
    {
      auth_failed (self, "invalid user name or password");
      return;
    }

  open_maildrop (self, user, "USER");
}

static gboolean
is_hex_digest (const char *text)
{
  if (strlen (text) != 32)
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return FALSE;
    }

  return TRUE;
}

static void
cmd_apop (MscPop3Server *self,
          const char    *args)
{
  g_auto(GStrv) words = split_args (args);

  g_clear_pointer (&self->pending_user, g_free);

  /* Without a timestamp in the greeting there is nothing to digest. */
  if (self->timestamp == NULL)
    {
      reject (self, NULL, "APOP not available");
      return;
    }

  if (!check_auth_offered (self))
    return;

  if (g_strv_length (words) != 2 || !is_hex_digest (words[1]))
    {
      reject (self, NULL, "syntax: APOP name digest");
      return;
    }

  /* An account that did not opt in fails like a wrong digest, so APOP
   * does not tell who uses it. */
  if (!msc_mail_store_check_apop (self->store, words[0], self->timestamp, words[1]))
    {
      auth_failed (self, "permission denied");
      return;
    }

  open_maildrop (self, words[0], "APOP");
}

static void
cmd_auth (MscPop3Server *self,
          const char    *args)
{
  g_auto(GStrv) words = split_args (args);
  guint n_words = g_strv_length (words);

  g_clear_pointer (&self->pending_user, g_free);

  if (n_words == 0)
    {
      /* Not in RFC 5034: the old-style SASL discovery MS Outlook sends,
       * answered with the mechanisms as Dovecot does. */
      g_autoptr(GByteArray) body = g_byte_array_new ();

      if (!check_auth_offered (self))
        return;

      g_byte_array_append (body, (const guint8 *) "PLAIN\r\n", 7);
      send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, "supported mechanisms follow", body);
      return;
    }

  if (n_words > 2)
    {
      reject (self, NULL, "syntax: AUTH mechanism [initial-response]");
      return;
    }

  if (g_ascii_strcasecmp (words[0], "PLAIN") != 0)
    {
      /* RFC 5034 §4 */
      reject (self, NULL, "unsupported authentication mechanism");
      return;
    }

  if (!check_auth_offered (self))
    return;

  if (n_words == 1)
    {
      /* RFC 5034 §4: the empty challenge is "+ "; the response may be
       * longer than a command. */
      msc_line_reader_set_max_line_length (self->reader,
                                           MAX (self->max_line_length, MIN_SASL_LINE_LENGTH));
      send_reply (self, MSC_POP3_SERVER_REPLY_CONTINUE, NULL, "");
      set_state (self, MSC_POP3_SERVER_STATE_SASL);
      return;
    }

  /* RFC 5034 §4: "=" is an empty initial response. */
  sasl_step (self, strcmp (words[1], "=") == 0 ? "" : words[1]);

  for (guint i = 0; words[i] != NULL; i++)
    memset (words[i], 0, strlen (words[i]));
}

static void
cmd_stls (MscPop3Server *self,
          const char    *args)
{
  g_clear_pointer (&self->pending_user, g_free);

  if (self->tls_active)
    {
      /* RFC 2595 §4 */
      reject (self, NULL, "Command not permitted when TLS active");
      return;
    }
  if (!self->tls_available)
    {
      reject (self, NULL, "STLS not available");
      return;
    }
  if (*args != '\0')
    {
      reject (self, NULL, "syntax: STLS");
      return;
    }

  send_reply (self, MSC_POP3_SERVER_REPLY_OK, NULL, "Begin TLS negotiation");
  /* From here on process_input() reads nothing until tls_started(): what
   * the client sent behind STLS is dropped (CVE-2011-0411). */
  msc_line_reader_reset (self->reader);
  set_state (self, MSC_POP3_SERVER_STATE_STLS);
  push_event (self, MSC_POP3_SERVER_EVENT_STARTTLS);
}

/* ---- Commands in both states ---- */

static void
append_line (GByteArray *body,
             const char *line)
{
  g_byte_array_append (body, (const guint8 *) line, strlen (line));
  g_byte_array_append (body, (const guint8 *) "\r\n", 2);
}

static void
cmd_capa (MscPop3Server *self,
          const char    *args)
{
  g_autoptr(GByteArray) body = NULL;

  if (*args != '\0')
    {
      reject (self, NULL, "syntax: CAPA");
      return;
    }

  /* RFC 2449 §5: what is offered in AUTHORIZATION is listed in both
   * states, so the list follows the connection, not the state.  USER and
   * SASL only where a password may be sent (RFC 2595 §2.3 and the
   * insecure-auth setting); STLS until TLS is on (RFC 2595 §4). */
  body = g_byte_array_new ();
  append_line (body, "TOP");
  append_line (body, "UIDL");
  if (auth_offered (self))
    {
      append_line (body, "USER");
      append_line (body, "SASL PLAIN");
    }
  append_line (body, "RESP-CODES");
  append_line (body, "AUTH-RESP-CODE");
  append_line (body, "PIPELINING");
  if (self->tls_available && !self->tls_active)
    append_line (body, "STLS");
  append_line (body, "IMPLEMENTATION Mailscope");

  send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, "Capability list follows", body);
}

/* RFC 1939 §6: remove what DELE marked, release the lock, say goodbye. */
static void
enter_update (MscPop3Server *self)
{
  g_autoptr(GArray) marked = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) expunged = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GError) error = NULL;
  MscPop3ServerEvent *event;
  guint n_left;

  set_state (self, MSC_POP3_SERVER_STATE_UPDATE);

  /* An IMAP session may have expunged some of them meanwhile: the lock
   * is POP3's alone (RFC 1939 assumes nobody else writes the maildrop).
   * Those are not this session's to report. */
  for (guint i = 0; i < self->maildrop->len; i++)
    {
      MaildropEntry *entry = &g_array_index (self->maildrop, MaildropEntry, i);

      if (entry->deleted && msc_mailbox_lookup_uid (self->inbox, entry->uid) != NULL)
        g_array_append_val (marked, entry->uid);
    }

  if (marked->len > 0)
    msc_mail_store_expunge (self->store, self->inbox,
                            (const guint32 *) (gpointer) marked->data, marked->len, &error);

  /* "The maildrop may result in having some or none of the messages
   * marked as deleted be removed": say which ones went. */
  for (guint i = 0; i < marked->len; i++)
    {
      guint32 uid = g_array_index (marked, guint32, i);

      if (msc_mailbox_lookup_uid (self->inbox, uid) == NULL)
        g_array_append_val (expunged, uid);
    }

  event = push_event (self, MSC_POP3_SERVER_EVENT_MAILDROP_UPDATED);
  event->user = g_strdup (self->user);
  event->uid_validity = msc_mailbox_get_uid_validity (self->inbox);
  event->expunged = g_array_ref (expunged);

  /* What is left now, new mail included: the client will see it next time. */
  n_left = msc_mailbox_get_n_messages (self->inbox);

  if (error == NULL)
    {
      if (n_left == 0)
        send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL,
                     "%s POP3 server signing off (maildrop empty)", self->hostname);
      else
        send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL,
                     "%s POP3 server signing off (%u message%s left)",
                     self->hostname, n_left, plural (n_left));
      close_session (self, NULL);
      return;
    }

  send_reply (self, MSC_POP3_SERVER_REPLY_ERR, sys_code (error), "some deleted messages not removed");
  close_session (self,
                 g_error_new (MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_UPDATE_FAILED,
                              _("Only %u of the %u messages marked for deletion were removed: %s"),
                              expunged->len, marked->len, error->message));
}

static void
cmd_quit (MscPop3Server *self,
          const char    *args)
{
  if (*args != '\0')
    {
      reject (self, NULL, "syntax: QUIT");
      return;
    }

  if (self->state == MSC_POP3_SERVER_STATE_TRANSACTION)
    {
      enter_update (self);
      return;
    }

  /* RFC 1939 §4: QUIT in AUTHORIZATION does not enter UPDATE. */
  send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "%s POP3 server signing off", self->hostname);
  close_session (self, NULL);
}

/* ---- Commands in the TRANSACTION state (RFC 1939 §5 and §7) ---- */

static void
cmd_stat (MscPop3Server *self,
          const char    *args)
{
  guint n_messages;
  guint64 n_octets;

  if (*args != '\0')
    {
      reject (self, NULL, "syntax: STAT");
      return;
    }

  /* The drop listing: exactly "+OK nn mm", deleted messages not counted. */
  count_maildrop (self, &n_messages, &n_octets);
  send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "%u %" G_GUINT64_FORMAT, n_messages, n_octets);
}

/* LIST and UIDL: one message, or a multi-line listing of every message
 * not marked as deleted. */
static void
list_messages (MscPop3Server *self,
               const char    *args,
               gboolean       uidl)
{
  g_auto(GStrv) words = split_args (args);
  g_autoptr(GByteArray) body = NULL;
  MaildropEntry *entry;
  guint number;

  if (g_strv_length (words) > 1)
    {
      reject (self, NULL, uidl ? "syntax: UIDL [msg]" : "syntax: LIST [msg]");
      return;
    }

  if (words[0] != NULL)
    {
      g_autofree char *uid = NULL;

      entry = lookup_message (self, words[0], &number);
      if (entry == NULL)
        return;

      if (uidl)
        {
          uid = format_uidl (self, entry->uid);
          send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "%u %s", number, uid);
        }
      else
        {
          send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "%u %" G_GUINT64_FORMAT, number, entry->size);
        }
      return;
    }

  body = g_byte_array_new ();
  for (guint i = 0; i < self->maildrop->len; i++)
    {
      g_autofree char *line = NULL;

      entry = &g_array_index (self->maildrop, MaildropEntry, i);
      if (entry->deleted)
        continue;

      if (uidl)
        {
          g_autofree char *uid = format_uidl (self, entry->uid);

          line = g_strdup_printf ("%u %s", i + 1, uid);
        }
      else
        {
          line = g_strdup_printf ("%u %" G_GUINT64_FORMAT, i + 1, entry->size);
        }
      append_line (body, line);
    }

  if (uidl)
    {
      send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, "unique-id listing follows", body);
    }
  else
    {
      g_autofree char *text = NULL;
      guint n_messages;
      guint64 n_octets;

      count_maildrop (self, &n_messages, &n_octets);
      text = g_strdup_printf ("%u message%s (%" G_GUINT64_FORMAT " octets)",
                              n_messages, plural (n_messages), n_octets);
      send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, text, body);
    }
}

static void
cmd_list (MscPop3Server *self,
          const char    *args)
{
  list_messages (self, args, FALSE);
}

static void
cmd_uidl (MscPop3Server *self,
          const char    *args)
{
  list_messages (self, args, TRUE);
}

static void
cmd_retr (MscPop3Server *self,
          const char    *args)
{
  g_auto(GStrv) words = split_args (args);
  g_autoptr(GByteArray) body = NULL;
  g_autofree char *text = NULL;
  MaildropEntry *entry;
  guint number;

  if (g_strv_length (words) != 1)
    {
      reject (self, NULL, "syntax: RETR msg");
      return;
    }

  entry = lookup_message (self, words[0], &number);
  if (entry == NULL)
    return;

  body = g_byte_array_sized_new (entry->size + entry->size / 32 + 16);
  lay_out_message (msc_message_get_data (entry->message), FALSE, 0, body);

  text = g_strdup_printf ("%" G_GUINT64_FORMAT " octets", entry->size);
  send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, text, body);
}

static void
cmd_top (MscPop3Server *self,
         const char    *args)
{
  g_auto(GStrv) words = split_args (args);
  g_autoptr(GByteArray) body = NULL;
  MaildropEntry *entry;
  guint64 n_lines;
  guint number;

  /* "n" is a non-negative number, required (RFC 1939 §7). */
  if (g_strv_length (words) != 2 || !parse_number (words[1], &n_lines))
    {
      reject (self, NULL, "syntax: TOP msg n");
      return;
    }

  entry = lookup_message (self, words[0], &number);
  if (entry == NULL)
    return;

  body = g_byte_array_new ();
  lay_out_message (msc_message_get_data (entry->message), TRUE, n_lines, body);

  send_reply_full (self, MSC_POP3_SERVER_REPLY_OK, NULL, "top of message follows", body);
}

static void
cmd_dele (MscPop3Server *self,
          const char    *args)
{
  g_auto(GStrv) words = split_args (args);
  MaildropEntry *entry;
  guint number;

  if (g_strv_length (words) != 1)
    {
      reject (self, NULL, "syntax: DELE msg");
      return;
    }

  entry = lookup_message (self, words[0], &number);
  if (entry == NULL)
    return;

  /* Only a mark: the store changes in UPDATE, if the session gets there. */
  entry->deleted = TRUE;
  send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "message %u deleted", number);
}

static void
cmd_noop (MscPop3Server *self,
          const char    *args)
{
  if (*args != '\0')
    {
      reject (self, NULL, "syntax: NOOP");
      return;
    }

  send_reply (self, MSC_POP3_SERVER_REPLY_OK, NULL, "");
}

static void
cmd_rset (MscPop3Server *self,
          const char    *args)
{
  if (*args != '\0')
    {
      reject (self, NULL, "syntax: RSET");
      return;
    }

  for (guint i = 0; i < self->maildrop->len; i++)
    g_array_index (self->maildrop, MaildropEntry, i).deleted = FALSE;

  send_maildrop_summary (self);
}

/* ---- Dispatch ---- */

typedef void (*CommandFunc) (MscPop3Server *self,
                             const char    *args);

#define IN_AUTHORIZATION (1 << 0)
#define IN_TRANSACTION   (1 << 1)

static const struct
{
  const char  *verb;
  CommandFunc  func;
  guint        states;
} commands[] = {
  { "USER", cmd_user, IN_AUTHORIZATION },
  { "PASS", cmd_pass, IN_AUTHORIZATION },
  { "APOP", cmd_apop, IN_AUTHORIZATION },
  { "AUTH", cmd_auth, IN_AUTHORIZATION },
  { "STLS", cmd_stls, IN_AUTHORIZATION },
  { "CAPA", cmd_capa, IN_AUTHORIZATION | IN_TRANSACTION },
  { "QUIT", cmd_quit, IN_AUTHORIZATION | IN_TRANSACTION },
  { "STAT", cmd_stat, IN_TRANSACTION },
  { "LIST", cmd_list, IN_TRANSACTION },
  { "RETR", cmd_retr, IN_TRANSACTION },
  { "DELE", cmd_dele, IN_TRANSACTION },
  { "NOOP", cmd_noop, IN_TRANSACTION },
  { "RSET", cmd_rset, IN_TRANSACTION },
  { "TOP",  cmd_top,  IN_TRANSACTION },
  { "UIDL", cmd_uidl, IN_TRANSACTION },
};

/* Whether a command line carries credentials: PASS, APOP, or AUTH with an
 * initial response.  Judged on the raw bytes, so that a line refused for
 * a NUL, bad UTF-8 or its length is hidden in the trace all the same. */
static gboolean
is_secret_line (const MscLine *line)
{
  const char *p = (const char *) line->data;
  const char *end = p + line->len;

  if (line->len < 5 || p[4] != ' ')
    return FALSE;
  if (g_ascii_strncasecmp (p, "PASS", 4) == 0 || g_ascii_strncasecmp (p, "APOP", 4) == 0)
    return TRUE;
  if (g_ascii_strncasecmp (p, "AUTH", 4) != 0)
    return FALSE;

  /* AUTH mechanism initial-response */
  for (p += 5; p < end && *p == ' '; p++)
    ;
  for (; p < end && *p != ' '; p++)
    ;
  for (; p < end && *p == ' '; p++)
    ;

  return p < end;
}

static void
handle_command (MscPop3Server *self,
                const MscLine *line)
{
  g_autofree char *text = NULL;
  g_autofree char *verb = NULL;
  const char *space;
  const char *args;
  guint found = G_N_ELEMENTS (commands);
  gboolean secret = is_secret_line (line);

  if (line->has_nul)
    {
      emit_command (self, line, NULL, secret);
      reject (self, NULL, "NUL byte in command");
      return;
    }
  if (!g_utf8_validate_len ((const char *) line->data, line->len, NULL))
    {
      emit_command (self, line, NULL, secret);
      reject (self, NULL, "command is not UTF-8");
      return;
    }
  if (msc_wire_has_control_chars (line->data, line->len))
    {
      emit_command (self, line, NULL, secret);
      reject (self, NULL, "control character in command");
      return;
    }

  text = g_strndup ((const char *) line->data, line->len);
  /* Trailing blanks from sloppy clients are forgiven, except after PASS:
   * they may be part of the password (RFC 1939 §7). */
  if (g_ascii_strncasecmp (text, "PASS ", 5) != 0)
    g_strchomp (text);

  space = strchr (text, ' ');
  verb = g_ascii_strup (text, space != NULL ? space - text : -1);
  args = space != NULL ? space + 1 : "";

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (verb, commands[i].verb) == 0)
        found = i;
    }

  emit_command (self, line, msc_wire_is_word (verb) ? verb : NULL, secret);

  if (*text == '\0')
    reject (self, NULL, "empty command");
  else if (found == G_N_ELEMENTS (commands))
    reject (self, NULL, "unknown command");
  else if (self->state == MSC_POP3_SERVER_STATE_AUTHORIZATION &&
           !(commands[found].states & IN_AUTHORIZATION))
    reject (self, NULL, "command not valid in the AUTHORIZATION state");
  else if (self->state == MSC_POP3_SERVER_STATE_TRANSACTION &&
           !(commands[found].states & IN_TRANSACTION))
    reject (self, NULL, "command not valid in the TRANSACTION state");
  else
    commands[found].func (self, args);

  if (secret)
    memset (text, 0, strlen (text));
}

static void
handle_overlong_line (MscPop3Server *self,
                      const MscLine *line)
{
  switch (self->state)
    {
    case MSC_POP3_SERVER_STATE_SASL:
      emit_command (self, line, NULL, TRUE);
      end_sasl (self);
      reject (self, NULL, "SASL response too long");
      set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
      break;

    case MSC_POP3_SERVER_STATE_AUTHORIZATION:
    case MSC_POP3_SERVER_STATE_TRANSACTION:
      emit_command (self, line, NULL, is_secret_line (line));
      reject (self, NULL, "line too long");
      break;

    case MSC_POP3_SERVER_STATE_GREETING:
    case MSC_POP3_SERVER_STATE_STLS:
    case MSC_POP3_SERVER_STATE_UPDATE:
    case MSC_POP3_SERVER_STATE_CLOSED:
    case MSC_POP3_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* ---- Input ---- */

static void
handle_line (MscPop3Server *self,
             const MscLine *line)
{
  switch (self->state)
    {
    case MSC_POP3_SERVER_STATE_AUTHORIZATION:
    case MSC_POP3_SERVER_STATE_TRANSACTION:
      handle_command (self, line);
      break;

    case MSC_POP3_SERVER_STATE_SASL:
      handle_sasl_response (self, line);
      break;

    case MSC_POP3_SERVER_STATE_GREETING:
    case MSC_POP3_SERVER_STATE_STLS:
    case MSC_POP3_SERVER_STATE_UPDATE:
    case MSC_POP3_SERVER_STATE_CLOSED:
    case MSC_POP3_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

static void
process_input (MscPop3Server *self,
               const guint8  *data,
               gsize          len)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      MscLineReaderResult result;
      MscLine line;

      switch (self->state)
        {
        case MSC_POP3_SERVER_STATE_STLS:
          /* The injection guard: bytes that came in the clear after
           * STLS are never read as commands (CVE-2011-0411). */
        case MSC_POP3_SERVER_STATE_CLOSED:
          /* Whatever follows QUIT or the last -ERR is ignored. */
          return;

        case MSC_POP3_SERVER_STATE_AUTHORIZATION:
        case MSC_POP3_SERVER_STATE_SASL:
        case MSC_POP3_SERVER_STATE_TRANSACTION:
          break;

        case MSC_POP3_SERVER_STATE_GREETING:
        case MSC_POP3_SERVER_STATE_UPDATE:
        case MSC_POP3_SERVER_N_STATES:
        default:
          g_assert_not_reached ();
        }

      result = msc_line_reader_next (self->reader, &data, &len, &line, &error);

      switch (result)
        {
        case MSC_LINE_READER_RESULT_NEED_MORE:
          return;

        case MSC_LINE_READER_RESULT_LINE:
          handle_line (self, &line);
          break;

        case MSC_LINE_READER_RESULT_ERROR:
          g_debug ("%s", error->message);
          handle_overlong_line (self, &line);
          break;

        default:
          g_assert_not_reached ();
        }

      check_error_limit (self);
    }
}

/* ---- Object ---- */

static void
msc_pop3_server_dispose (GObject *object)
{
  MscPop3Server *self = (MscPop3Server *) object;

  /* A connection that drops without QUIT deletes nothing (RFC 1939 §6)
   * and must not keep the maildrop from the next session. */
  if (self->store != NULL)
    release_maildrop (self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (msc_pop3_server_parent_class)->dispose (object);
}

static void
msc_pop3_server_finalize (GObject *object)
{
  MscPop3Server *self = (MscPop3Server *) object;

  g_clear_pointer (&self->reader, msc_line_reader_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_pop3_server_event_free);
  g_clear_error (&self->close_reason);
  g_free (self->hostname);
  g_free (self->timestamp);
  g_clear_pointer (&self->pending_user, g_free);

  G_OBJECT_CLASS (msc_pop3_server_parent_class)->finalize (object);
}

static void
msc_pop3_server_class_init (MscPop3ServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_pop3_server_dispose;
  object_class->finalize = msc_pop3_server_finalize;
}

static void
msc_pop3_server_init (MscPop3Server *self)
{
  self->output = g_byte_array_new ();
  g_queue_init (&self->events);
}

MscPop3Server *
msc_pop3_server_new (const MscPop3ServerConfig *config,
                     MscMailStore              *store)
{
  MscPop3Server *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->hostname != NULL && *config->hostname != '\0', NULL);
  /* The greeting and the APOP timestamp (an RFC 5322 msg-id) are ASCII. */
  g_return_val_if_fail (g_str_is_ascii (config->hostname), NULL);
  g_return_val_if_fail (strpbrk (config->hostname, " \t\r\n<>@[]") == NULL, NULL);
  g_return_val_if_fail (strlen (config->hostname) <= 253, NULL);
  g_return_val_if_fail (MSC_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MSC_TYPE_POP3_SERVER, NULL);

  self->store = g_object_ref (store);
  self->hostname = g_strdup (config->hostname);
  self->max_line_length = MAX (config->max_line_length > 0 ? config->max_line_length
                                                           : DEFAULT_MAX_LINE_LENGTH,
                               3);
  self->max_errors = config->max_errors > 0 ? config->max_errors : DEFAULT_MAX_ERRORS;
  self->tls_active = config->tls_active;
  self->tls_available = config->tls_available;
  self->allow_insecure_auth = config->allow_insecure_auth;
  self->apop_pid = config->apop_pid;
  self->apop_clock = config->apop_clock;
  self->autologout = MAX (config->autologout_usec, MIN_AUTOLOGOUT_USEC);
  self->reader = msc_line_reader_new (self->max_line_length);

  return self;
}

void
msc_pop3_server_start (MscPop3Server *self)
{
  g_return_if_fail (MSC_IS_POP3_SERVER (self));
  g_return_if_fail (self->state == MSC_POP3_SERVER_STATE_GREETING);

  self->last_activity = self->now;

  /* RFC 1939 §7: a server that offers APOP puts a timestamp in its
   * greeting.  Offered only where it can succeed: some account opted in,
   * and authentication is possible on this connection, now or after STLS. */
  if (msc_mail_store_has_apop_accounts (self->store) &&
      (self->tls_active || self->tls_available || self->allow_insecure_auth))
    self->timestamp = g_strdup_printf ("<%u.%" G_GUINT64_FORMAT "@%s>",
                                       self->apop_pid, self->apop_clock, self->hostname);

  /* With a timestamp, RFC 1939 §7's own greeting: the host name is in
   * the timestamp, and twice would not fit 512 octets for a long one. */
  if (self->timestamp != NULL)
    send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "POP3 server ready %s", self->timestamp);
  else
    send_replyf (self, MSC_POP3_SERVER_REPLY_OK, NULL, "%s POP3 server ready", self->hostname);

  set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
}

gboolean
msc_pop3_server_feed (MscPop3Server  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_POP3_SERVER_STATE_GREETING, FALSE);

  if (self->state == MSC_POP3_SERVER_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_CLOSED,
                           _("The POP3 session is already closed"));
      return FALSE;
    }

  /* RFC 1939 §3: activity resets the autologout timer. */
  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_POP3_SERVER_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_pop3_server_take_output (MscPop3Server *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), NULL);

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

MscPop3ServerEvent *
msc_pop3_server_next_event (MscPop3Server *self)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_pop3_server_set_now (MscPop3Server *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_POP3_SERVER (self));

  self->now = now_usec;
}

gint64
msc_pop3_server_get_deadline (MscPop3Server *self)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), -1);

  switch (self->state)
    {
    case MSC_POP3_SERVER_STATE_AUTHORIZATION:
    case MSC_POP3_SERVER_STATE_SASL:
    case MSC_POP3_SERVER_STATE_TRANSACTION:
      return self->last_activity + self->autologout;

    /* The handshake is the layer around's to time. */
    case MSC_POP3_SERVER_STATE_GREETING:
    case MSC_POP3_SERVER_STATE_STLS:
    case MSC_POP3_SERVER_STATE_UPDATE:
    case MSC_POP3_SERVER_STATE_CLOSED:
    case MSC_POP3_SERVER_N_STATES:
    default:
      return -1;
    }
}

gboolean
msc_pop3_server_check_timeout (MscPop3Server *self)
{
  gint64 deadline;
  gint64 idle;

  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), FALSE);

  deadline = msc_pop3_server_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  /* RFC 1939 §3: "the session does NOT enter the UPDATE state--the server
   * should close the TCP connection without removing any messages or
   * sending any response to the client". */
  idle = (self->now - self->last_activity) / G_USEC_PER_SEC;
  close_session (self,
                 g_error_new (MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_TIMEOUT,
                              ngettext ("The client sent nothing for %lu second; nothing was deleted",
                                        "The client sent nothing for %lu seconds; nothing was deleted",
                                        (gulong) idle),
                              (gulong) idle));

  return TRUE;
}

void
msc_pop3_server_tls_started (MscPop3Server *self)
{
  g_return_if_fail (MSC_IS_POP3_SERVER (self));

  /* The session may have ended while the handshake ran. */
  if (self->state == MSC_POP3_SERVER_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_POP3_SERVER_STATE_STLS);

  /* RFC 2595 §4: the session stays in AUTHORIZATION; nothing learnt
   * before TLS is trusted after it. */
  self->tls_active = TRUE;
  g_clear_pointer (&self->pending_user, g_free);
  msc_line_reader_reset (self->reader);
  self->last_activity = self->now;

  set_state (self, MSC_POP3_SERVER_STATE_AUTHORIZATION);
}

void
msc_pop3_server_abort (MscPop3Server *self)
{
  g_return_if_fail (MSC_IS_POP3_SERVER (self));

  if (self->state == MSC_POP3_SERVER_STATE_CLOSED)
    return;

  close_session (self,
                 g_error_new_literal (MSC_POP3_SERVER_ERROR, MSC_POP3_SERVER_ERROR_ABORTED,
                                      _("The connection ended without QUIT; nothing was deleted")));
}

MscPop3ServerState
msc_pop3_server_get_state (MscPop3Server *self)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), MSC_POP3_SERVER_STATE_CLOSED);

  return self->state;
}

gboolean
msc_pop3_server_want_read (MscPop3Server *self)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), FALSE);

  switch (self->state)
    {
    case MSC_POP3_SERVER_STATE_AUTHORIZATION:
    case MSC_POP3_SERVER_STATE_SASL:
    case MSC_POP3_SERVER_STATE_TRANSACTION:
      return TRUE;

    case MSC_POP3_SERVER_STATE_GREETING:
    case MSC_POP3_SERVER_STATE_STLS:
    case MSC_POP3_SERVER_STATE_UPDATE:
    case MSC_POP3_SERVER_STATE_CLOSED:
    case MSC_POP3_SERVER_N_STATES:
    default:
      return FALSE;
    }
}

gboolean
msc_pop3_server_is_closed (MscPop3Server *self)
{
  g_return_val_if_fail (MSC_IS_POP3_SERVER (self), TRUE);

  return self->state == MSC_POP3_SERVER_STATE_CLOSED;
}
