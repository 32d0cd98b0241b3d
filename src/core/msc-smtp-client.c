/* msc-smtp-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-smtp-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-line-reader.h"
#include "msc-smtp-address.h"
#include "msc-smtp-client.h"
#include "msc-wire.h"

/* RFC 5321 §4.5.3.1.5 allows a server 512 octets per reply line, but
 * §4.5.3.1 asks for no limits where possible: four times that still
 * bounds a hostile server. */
#define DEFAULT_MAX_LINE_LENGTH   2048
#define DEFAULT_MAX_REPLY_LENGTH  (64 * 1024)
#define DEFAULT_BLOCK_SIZE        (64 * 1024)
#define MINUTES(n)                ((gint64) (n) * 60 * G_USEC_PER_SEC)
/* RFC 5321 §4.5.3.1.4: a command line, CRLF included. */
#define MAX_COMMAND_LENGTH        512

/* Kept in a GQueue as pointers: none may be 0, which is NULL. */
typedef enum
{
  PENDING_MAIL = 1,
  PENDING_RCPT,
  PENDING_DATA,
} Pending;

typedef enum
{
  MECH_NONE,
  MECH_PLAIN,
  MECH_LOGIN,
} Mech;

typedef struct
{
  guint  code;
  char  *enhanced;
  char  *text;
} Reply;

struct _MscSmtpClient
{
  GObject                     parent_instance;

  /* Owned references */
  MscLineReader              *reader;
  GByteArray                 *output;
  GQueue                      events;
  GHashTable                 *extensions;  /* upper-case EHLO keyword → parameters */
  GPtrArray                  *recipients;  /* of MscSmtpClientRecipient, filled in by replies */
  GBytes                     *message;
  MscSmtpClientOutcome       *verdict;     /* a failure decided, DONE not raised yet */
  MscSmtpClientOutcome       *outcome;     /* DONE raised */
  GError                     *close_reason;

  /* Configuration */
  char                       *hostname;
  MscSmtpClientRole           role;
  MscSmtpClientTlsMode        tls_mode;
  char                       *username;
  char                       *password;
  MscSmtpClientAuthMechanism  auth_mechanism;
  gboolean                    allow_auth_without_tls;
  gboolean                    disable_pipelining;
  char                       *reverse_path;
  gsize                       max_reply_length;
  gsize                       block_size;
  gint64                      timeouts[MSC_SMTP_CLIENT_N_STATES];

  /* What the envelope and the message need, found once */
  char                       *invalid_address;
  char                       *non_ascii_address;
  gboolean                    header_non_ascii;
  gboolean                    message_8bit;
  guint64                     message_size;

  /* Session */
  MscSmtpClientState          state;
  gboolean                    tls_active;
  gboolean                    tls_declined;  /* STARTTLS refused; opportunistic TLS goes on */
  gboolean                    authenticated;
  gint64                      now;
  gint64                      last_activity;

  /* The reply being read */
  guint                       reply_code;
  GPtrArray                  *reply_lines;
  GByteArray                 *reply_wire;

  /* SASL exchange */
  char                      **sasl_responses;
  guint                       sasl_next;

  /* Mail transaction */
  GQueue                      pending;       /* of Pending, oldest first */
  gboolean                    pipelining;
  guint                       rcpt_sent;
  guint                       rcpt_answered;
  guint                       n_accepted;
  gboolean                    abort_text;    /* answer a 354 with an empty text */

  /* Message text going out */
  gsize                       text_pos;
  gboolean                    text_line_start;
  gboolean                    text_pending_cr;
};

G_DEFINE_FINAL_TYPE (MscSmtpClient, msc_smtp_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-smtp-client-error-quark, msc_smtp_client_error)

static const char * const state_names[] = {
  "connect", "greeting", "ehlo", "helo", "starttls", "tls-handshake", "auth",
  "mail", "rcpt", "data", "message", "data-end", "quit", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_SMTP_CLIENT_N_STATES);

static const char * const event_kind_names[] = {
  "command", "reply", "state-changed", "starttls", "recipient-result", "done", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_SMTP_CLIENT_N_EVENT_KINDS);

static void after_hello (MscSmtpClient *self);

const char *
msc_smtp_client_state_get_name (MscSmtpClientState state)
{
  g_return_val_if_fail (state < MSC_SMTP_CLIENT_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_smtp_client_event_kind_get_name (MscSmtpClientEventKind kind)
{
  g_return_val_if_fail (kind < MSC_SMTP_CLIENT_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

static void
recipient_free (gpointer data)
{
  MscSmtpClientRecipient *recipient = data;

  g_free (recipient->address);
  g_free (recipient->enhanced);
  g_free (recipient->text);
  g_free (recipient);
}

static gpointer
recipient_copy (gconstpointer src,
                gpointer      data G_GNUC_UNUSED)
{
  const MscSmtpClientRecipient *recipient = src;
  MscSmtpClientRecipient *copy = g_new0 (MscSmtpClientRecipient, 1);

  copy->address = g_strdup (recipient->address);
  copy->accepted = recipient->accepted;
  copy->code = recipient->code;
  copy->enhanced = g_strdup (recipient->enhanced);
  copy->text = g_strdup (recipient->text);

  return copy;
}

MscSmtpClientOutcome *
msc_smtp_client_outcome_copy (const MscSmtpClientOutcome *outcome)
{
  MscSmtpClientOutcome *copy;

  g_return_val_if_fail (outcome != NULL, NULL);

  copy = g_new0 (MscSmtpClientOutcome, 1);
  copy->success = outcome->success;
  copy->transient = outcome->transient;
  copy->code = outcome->code;
  copy->enhanced = g_strdup (outcome->enhanced);
  copy->text = g_strdup (outcome->text);
  if (outcome->recipients != NULL)
    {
      copy->recipients = g_ptr_array_copy (outcome->recipients, recipient_copy, NULL);
      g_ptr_array_set_free_func (copy->recipients, recipient_free);
    }
  copy->error = outcome->error != NULL ? g_error_copy (outcome->error) : NULL;

  return copy;
}

void
msc_smtp_client_outcome_free (MscSmtpClientOutcome *outcome)
{
  if (outcome == NULL)
    return;

  g_free (outcome->enhanced);
  g_free (outcome->text);
  g_clear_pointer (&outcome->recipients, g_ptr_array_unref);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

void
msc_smtp_client_event_free (MscSmtpClientEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->line);
  g_free (event->verb);
  g_free (event->enhanced);
  g_free (event->text);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->address);
  g_clear_pointer (&event->outcome, msc_smtp_client_outcome_free);
  g_clear_error (&event->error);
  g_free (event);
}

static void
free_secrets (char **secrets)
{
  if (secrets == NULL)
    return;

  for (guint i = 0; secrets[i] != NULL; i++)
    memset (secrets[i], 0, strlen (secrets[i]));
  g_strfreev (secrets);
}

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->enhanced, g_free);
  g_clear_pointer (&reply->text, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static MscSmtpClientEvent *
push_event (MscSmtpClient          *self,
            MscSmtpClientEventKind  kind)
{
  MscSmtpClientEvent *event = g_new0 (MscSmtpClientEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscSmtpClient      *self,
           MscSmtpClientState  state)
{
  MscSmtpClientEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_SMTP_CLIENT_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

/* A SASL response is a bare line: it has no verb. */
static void
send_line (MscSmtpClient *self,
           const char    *line,
           gboolean       sasl_response,
           gboolean       secret)
{
  MscSmtpClientEvent *event = push_event (self, MSC_SMTP_CLIENT_EVENT_COMMAND);
  gsize len = strlen (line);
  GByteArray *wire = g_byte_array_sized_new (len + 2);

  /* The envelope was checked in new(): nothing can split a command. */
  g_assert (strpbrk (line, "\r\n") == NULL);

  g_byte_array_append (wire, (const guint8 *) line, len);
  g_byte_array_append (wire, (const guint8 *) "\r\n", 2);
  g_byte_array_append (self->output, wire->data, wire->len);

  event->line = g_strdup (line);
  if (!sasl_response)
    event->verb = g_ascii_strup (line, strcspn (line, " "));
  event->secret = secret;
  event->wire = g_byte_array_free_to_bytes (wire);

  self->last_activity = self->now;
}

static void
send_command (MscSmtpClient *self,
              const char    *line)
{
  send_line (self, line, FALSE, FALSE);
}

static char *
reply_summary (guint       code,
               const char *enhanced,
               const char *text)
{
  GString *summary = g_string_new (NULL);

  g_string_append_printf (summary, "%03u", code);
  if (enhanced != NULL)
    g_string_append_printf (summary, " %s", enhanced);
  if (text != NULL && *text != '\0')
    {
      g_string_append_c (summary, ' ');
      for (const char *p = text; *p != '\0'; p++)
        g_string_append_c (summary, *p == '\n' ? ' ' : *p);
    }

  return g_string_free (summary, FALSE);
}

/* ---- Outcome ---- */

static MscSmtpClientOutcome *
outcome_new (const Reply *reply)
{
  MscSmtpClientOutcome *outcome = g_new0 (MscSmtpClientOutcome, 1);

  if (reply != NULL)
    {
      outcome->code = reply->code;
      outcome->enhanced = g_strdup (reply->enhanced);
      outcome->text = g_strdup (reply->text);
    }

  return outcome;
}

/* The first failure decided is the one the user hears about: a pipelined
 * group still has replies to come after it.  Takes @error. */
static void
decide_full (MscSmtpClient *self,
             const Reply   *reply,
             gboolean       transient,
             GError        *error)
{
  if (self->outcome != NULL || self->verdict != NULL)
    {
      g_error_free (error);
      return;
    }

  self->verdict = outcome_new (reply);
  self->verdict->transient = transient;
  self->verdict->error = error;
}

/* A 4xx says "try again later" (RFC 5321 §4.2.1).  Without a reply, a
 * timeout or a garbled conversation is worth another try, as an MTA's
 * queue does; what the client itself refused is not. */
static void
decide (MscSmtpClient *self,
        const Reply   *reply,
        GError        *error)
{
  gboolean transient;

  if (reply != NULL && reply->code >= 400)
    transient = reply->code < 500;
  else
    transient = g_error_matches (error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TIMEOUT) ||
                g_error_matches (error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_PROTOCOL) ||
                g_error_matches (error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_LINE_TOO_LONG);

  decide_full (self, reply, transient, error);
}

static void G_GNUC_PRINTF (4, 5)
decidef (MscSmtpClient *self,
         const Reply   *reply,
         gint           code,
         const char    *format,
         ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (MSC_SMTP_CLIENT_ERROR, code, format, args);
  va_end (args);

  decide (self, reply, error);
}

/* Raises DONE once, with every recipient's result known so far. */
static void
finish (MscSmtpClient *self)
{
  MscSmtpClientEvent *event;

  if (self->outcome != NULL)
    return;

  g_assert (self->verdict != NULL);

  self->outcome = g_steal_pointer (&self->verdict);
  self->outcome->recipients = g_ptr_array_copy (self->recipients, recipient_copy, NULL);
  g_ptr_array_set_free_func (self->outcome->recipients, recipient_free);

  if (self->outcome->error != NULL)
    g_debug ("failed: %s", self->outcome->error->message);

  event = push_event (self, MSC_SMTP_CLIENT_EVENT_DONE);
  event->outcome = msc_smtp_client_outcome_copy (self->outcome);
}

static void
succeed (MscSmtpClient *self,
         const Reply   *reply)
{
  g_assert (self->verdict == NULL);

  self->verdict = outcome_new (reply);
  self->verdict->success = TRUE;
  finish (self);
}

/* ---- Ending ---- */

/* Takes @reason (NULL after the QUIT exchange). */
static void
close_session (MscSmtpClient *self,
               GError        *reason)
{
  MscSmtpClientEvent *event;

  g_assert (self->state != MSC_SMTP_CLIENT_STATE_CLOSED);

  if (self->outcome == NULL && self->verdict == NULL && reason != NULL)
    decide (self, NULL, g_error_copy (reason));
  finish (self);

  g_clear_pointer (&self->sasl_responses, free_secrets);
  g_queue_clear (&self->pending);
  msc_line_reader_reset (self->reader);

  set_state (self, MSC_SMTP_CLIENT_STATE_CLOSED);

  event = push_event (self, MSC_SMTP_CLIENT_EVENT_CLOSED);
  if (reason != NULL)
    {
      event->error = g_error_copy (reason);
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

static void
send_quit (MscSmtpClient *self)
{
  send_command (self, "QUIT");
  set_state (self, MSC_SMTP_CLIENT_STATE_QUIT);
}

/* RFC 5321 §4.1.1.10: even a failed session ends with QUIT, which also
 * discards any mail transaction begun (so no RSET first). */
static void
fail_and_quit (MscSmtpClient *self)
{
  finish (self);
  g_queue_clear (&self->pending);
  g_clear_pointer (&self->sasl_responses, free_secrets);
  send_quit (self);
}

/* When the conversation cannot go on, or must not: nothing more is sent. */
static void
fail_and_close (MscSmtpClient *self,
                const Reply   *reply,
                GError        *error)
{
  decide (self, reply, g_error_copy (error));
  close_session (self, error);
}

static void
protocol_error (MscSmtpClient *self,
                const char    *message)
{
  fail_and_close (self, NULL,
                  g_error_new_literal (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_PROTOCOL,
                                       message));
}

static void
unexpected_reply (MscSmtpClient *self,
                  const Reply   *reply)
{
  g_autofree char *summary = reply_summary (reply->code, reply->enhanced, reply->text);

  fail_and_close (self, NULL,
                  g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_PROTOCOL,
                               _("The server sent a reply that makes no sense at this point (%s)"),
                               summary));
}

/* ---- Envelope (RFC 5321 §4.1.2, extended by RFC 6531 §3.3) ---- */

static void
check_address (MscSmtpClient *self,
               const char    *address,
               gboolean       allow_null,
               gboolean       allow_postmaster)
{
  if (!(allow_null && *address == '\0') &&
      !msc_smtp_address_is_valid_mailbox (address, allow_postmaster) &&
      self->invalid_address == NULL)
    self->invalid_address = g_strdup (address);

  if (!g_str_is_ascii (address) && self->non_ascii_address == NULL)
    self->non_ascii_address = g_strdup (address);
}

/* The size RFC 1870 §4 means: line ends counted as CRLF, the final CRLF
 * included, neither the stuffed dots nor the "." line.  Found in the same
 * pass: 8-bit bytes anywhere, and in the header section, which is what
 * needs SMTPUTF8 (RFC 6532 §3) rather than just 8BITMIME. */
static void
measure_message (MscSmtpClient *self)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (self->message, &len);
  gboolean line_start = TRUE;
  gboolean pending_cr = FALSE;
  gboolean in_header = TRUE;
  guint64 size = 0;

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (pending_cr)
        {
          pending_cr = FALSE;
          size += 2;
          in_header = in_header && !line_start;
          line_start = TRUE;
          if (c == '\n')
            continue;
        }

      if (c == '\r')
        {
          pending_cr = TRUE;
        }
      else if (c == '\n')
        {
          size += 2;
          in_header = in_header && !line_start;
          line_start = TRUE;
        }
      else
        {
          if (c >= 0x80)
            {
              self->message_8bit = TRUE;
              if (in_header)
                self->header_non_ascii = TRUE;
            }
          size++;
          line_start = FALSE;
        }
    }

  if (pending_cr || !line_start)
    size += 2;

  self->message_size = size;
}

/* ---- Message text (RFC 5321 §4.1.1.4 and §4.5.2) ---- */

/* Appends the next block of the text, every line end made CRLF (a bare
 * LF or CR must not go out, §4.1.1.4, and a bare-LF "." is how SMTP
 * smuggling starts) and every line starting with "." given one more.
 * Returns TRUE when the block ended the text, "." line included. */
static gboolean
write_text_block (MscSmtpClient *self)
{
  gsize len = 0;
  const guint8 *data = self->abort_text ? NULL : g_bytes_get_data (self->message, &len);
  gsize end = len - self->text_pos > self->block_size ? self->text_pos + self->block_size : len;
  gsize i = self->text_pos;

  while (i < end)
    {
      gsize run = i;

      if (self->text_pending_cr)
        {
          self->text_pending_cr = FALSE;
          g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
          self->text_line_start = TRUE;
          if (data[i] == '\n')
            {
              i++;
              continue;
            }
        }

      if (data[i] == '\r')
        {
          self->text_pending_cr = TRUE;
          i++;
          continue;
        }

      if (data[i] == '\n')
        {
          g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
          self->text_line_start = TRUE;
          i++;
          continue;
        }

      if (self->text_line_start && data[i] == '.')
        g_byte_array_append (self->output, (const guint8 *) ".", 1);

      while (i < end && data[i] != '\r' && data[i] != '\n')
        i++;
      g_byte_array_append (self->output, data + run, i - run);
      self->text_line_start = FALSE;
    }

  self->text_pos = end;
  if (end < len)
    return FALSE;

  if (self->text_pending_cr || !self->text_line_start)
    g_byte_array_append (self->output, (const guint8 *) "\r\n", 2);
  g_byte_array_append (self->output, (const guint8 *) ".\r\n", 3);

  return TRUE;
}

/* ---- Steps of the conversation ---- */

static gboolean
has_extension (MscSmtpClient *self,
               const char    *keyword)
{
  return g_hash_table_contains (self->extensions, keyword);
}

static void
send_ehlo (MscSmtpClient *self)
{
  g_autofree char *line = g_strdup_printf ("EHLO %s", self->hostname);

  send_command (self, line);
  set_state (self, MSC_SMTP_CLIENT_STATE_EHLO);
}

static void
send_helo (MscSmtpClient *self)
{
  g_autofree char *line = g_strdup_printf ("HELO %s", self->hostname);

  send_command (self, line);
  set_state (self, MSC_SMTP_CLIENT_STATE_HELO);
}

static void
send_rcpt (MscSmtpClient *self)
{
  const MscSmtpClientRecipient *recipient = g_ptr_array_index (self->recipients, self->rcpt_sent);
  g_autofree char *line = g_strdup_printf ("RCPT TO:<%s>", recipient->address);

  send_command (self, line);
  g_queue_push_tail (&self->pending, GINT_TO_POINTER (PENDING_RCPT));
  self->rcpt_sent++;
}

static void
send_data (MscSmtpClient *self)
{
  send_command (self, "DATA");
  g_queue_push_tail (&self->pending, GINT_TO_POINTER (PENDING_DATA));
}

static void
start_transaction (MscSmtpClient *self)
{
  g_autoptr(GString) line = g_string_new (NULL);

  g_string_append_printf (line, "MAIL FROM:<%s>", self->reverse_path);
  /* RFC 1870 §6: say the size whenever the server knows SIZE, so it can
   * refuse at once instead of after the whole text. */
  if (has_extension (self, "SIZE"))
    g_string_append_printf (line, " SIZE=%" G_GUINT64_FORMAT, self->message_size);
  if (self->message_8bit)
    g_string_append (line, " BODY=8BITMIME");
  if (self->non_ascii_address != NULL || self->header_non_ascii)
    g_string_append (line, " SMTPUTF8");

  send_command (self, line->str);
  g_queue_push_tail (&self->pending, GINT_TO_POINTER (PENDING_MAIL));

  /* RFC 2920 §3.1: MAIL, every RCPT and DATA in one group, DATA last;
   * the replies come back in order. */
  self->pipelining = !self->disable_pipelining && has_extension (self, "PIPELINING");
  if (self->pipelining)
    {
      while (self->rcpt_sent < self->recipients->len)
        send_rcpt (self);
      send_data (self);
    }

  set_state (self, MSC_SMTP_CLIENT_STATE_MAIL);
}

static char *
base64_of (const char *text)
{
  return g_base64_encode ((const guchar *) text, strlen (text));
}

static gboolean
mechanism_offered (const char *auth,
                   const char *mechanism)
{
  g_auto(GStrv) offered = g_strsplit (auth, " ", -1);

  for (guint i = 0; offered[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (offered[i], mechanism) == 0)
        return TRUE;
    }

  return FALSE;
}

static Mech
choose_mechanism (MscSmtpClient *self)
{
  const char *auth = g_hash_table_lookup (self->extensions, "AUTH");
  gboolean plain;
  gboolean login;

  if (auth == NULL)
    return MECH_NONE;

  plain = mechanism_offered (auth, "PLAIN");
  login = mechanism_offered (auth, "LOGIN");

  switch (self->auth_mechanism)
    {
    case MSC_SMTP_CLIENT_AUTH_PLAIN:
      return plain ? MECH_PLAIN : MECH_NONE;
    case MSC_SMTP_CLIENT_AUTH_LOGIN:
      return login ? MECH_LOGIN : MECH_NONE;
    case MSC_SMTP_CLIENT_AUTH_AUTO:
    default:
      /* PLAIN takes one round trip fewer and is standard (RFC 4616). */
      return plain ? MECH_PLAIN : login ? MECH_LOGIN : MECH_NONE;
    }
}

static void
start_auth (MscSmtpClient *self)
{
  Mech mech;

  /* PLAIN and LOGIN both carry the password as it is (RFC 4954 §14):
   * refuse before it is ever written to an unencrypted connection. */
  if (!self->tls_active && !self->allow_auth_without_tls)
    {
      decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_AUTH_INSECURE,
               _("The connection is not encrypted, so the password was not sent"));
      fail_and_quit (self);
      return;
    }

  mech = choose_mechanism (self);
  if (mech == MECH_NONE)
    {
      if (!has_extension (self, "AUTH"))
        decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_AUTH_UNAVAILABLE,
                 _("The server does not offer to log in (no AUTH in its reply to EHLO)"));
      else if (self->auth_mechanism == MSC_SMTP_CLIENT_AUTH_AUTO)
        decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_AUTH_UNAVAILABLE,
                 _("The server offers no login method that Mailscope supports (PLAIN or LOGIN)"));
      else
        decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_AUTH_UNAVAILABLE,
                 _("The server does not offer the %s login method this account uses"),
                 self->auth_mechanism == MSC_SMTP_CLIENT_AUTH_PLAIN ? "PLAIN" : "LOGIN");
      fail_and_quit (self);
      return;
    }

  g_clear_pointer (&self->sasl_responses, free_secrets);
  self->sasl_next = 0;

  if (mech == MECH_PLAIN)
    {
      /* message = [authzid] NUL authcid NUL passwd (RFC 4616 §2); an
       * empty authzid acts as the user who logs in. */
      gsize user_len = strlen (self->username);
      gsize password_len = strlen (self->password);
      gsize message_len = user_len + password_len + 2;
      guint8 *message = g_malloc (message_len);
      char *response;
      char *line;

      message[0] = '\0';
      memcpy (message + 1, self->username, user_len);
      message[user_len + 1] = '\0';
      memcpy (message + user_len + 2, self->password, password_len);
      response = g_base64_encode (message, message_len);
      memset (message, 0, message_len);
      g_free (message);

      line = g_strdup_printf ("AUTH PLAIN %s", response);
      if (strlen (line) + 2 <= MAX_COMMAND_LENGTH)
        {
          /* RFC 4954 §4: the initial response saves a round trip. */
          send_line (self, line, FALSE, TRUE);
          msc_wire_free_secret (response);
        }
      else
        {
          /* RFC 4954 §4: too long for a command line; wait for the
           * empty challenge instead. */
          send_command (self, "AUTH PLAIN");
          self->sasl_responses = g_new0 (char *, 2);
          self->sasl_responses[0] = response;
        }
      msc_wire_free_secret (line);
    }
  else
    {
      /* LOGIN answers its two challenges in order; their text
       * ("Username:", "Password:") varies between servers and is not
       * checked. */
      send_command (self, "AUTH LOGIN");
      self->sasl_responses = g_new0 (char *, 3);
      self->sasl_responses[0] = base64_of (self->username);
      self->sasl_responses[1] = base64_of (self->password);
    }

  set_state (self, MSC_SMTP_CLIENT_STATE_AUTH);
}

/* Whether the message can go to this server at all: found out before the
 * password is sent, and before MAIL. */
static gboolean
check_message (MscSmtpClient *self)
{
  const char *size = g_hash_table_lookup (self->extensions, "SIZE");
  guint64 limit = 0;

  if (self->non_ascii_address != NULL && !has_extension (self, "SMTPUTF8"))
    {
      /* RFC 6531 §3.2: no way to downgrade an address. */
      decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_SMTPUTF8_UNSUPPORTED,
               _("The server does not accept international addresses (SMTPUTF8), "
                 "so it cannot take “%s”"),
               self->non_ascii_address);
      return FALSE;
    }

  if (self->header_non_ascii && !has_extension (self, "SMTPUTF8"))
    {
      decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_SMTPUTF8_UNSUPPORTED,
               _("The message has non-ASCII header fields, which the server does not "
                 "accept (no SMTPUTF8)"));
      return FALSE;
    }

  if (self->message_8bit && !has_extension (self, "8BITMIME"))
    {
      /* RFC 6152 §3: converting to 7 bits is the composer's job. */
      decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_8BITMIME_UNSUPPORTED,
               _("The message contains 8-bit text, which the server does not accept "
                 "(no 8BITMIME)"));
      return FALSE;
    }

  /* RFC 1870 §4: "SIZE" alone or "SIZE 0" state no fixed limit. */
  if (size != NULL && g_ascii_isdigit (*size))
    {
      guint64 value;

      /* A limit past 2^64 is no limit; garbage is none either. */
      if (g_ascii_string_to_unsigned (size, 10, 0, G_MAXUINT64, &value, NULL))
        limit = value;
    }

  if (limit > 0 && self->message_size > limit)
    {
      g_autofree char *have = g_strdup_printf ("%" G_GUINT64_FORMAT, self->message_size);
      g_autofree char *most = g_strdup_printf ("%" G_GUINT64_FORMAT, limit);

      /* RFC 1870 §6.1: do not send what the server already said no to. */
      decidef (self, NULL, MSC_SMTP_CLIENT_ERROR_MESSAGE_TOO_BIG,
               _("The message is %s bytes, but the server accepts at most %s"), have, most);
      return FALSE;
    }

  return TRUE;
}

/* After EHLO or HELO (again after TLS): encryption, then the checks,
 * then the password, then the mail. */
static void
after_hello (MscSmtpClient *self)
{
  if (!self->tls_active && !self->tls_declined &&
      (self->tls_mode == MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED ||
       self->tls_mode == MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED))
    {
      if (has_extension (self, "STARTTLS"))
        {
          send_command (self, "STARTTLS");
          set_state (self, MSC_SMTP_CLIENT_STATE_STARTTLS);
          return;
        }

      if (self->tls_mode == MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED)
        {
          /* Perhaps an attacker removed it from the EHLO reply: say
           * nothing more in plaintext. */
          fail_and_close (self, NULL,
                          g_error_new_literal (MSC_SMTP_CLIENT_ERROR,
                                               MSC_SMTP_CLIENT_ERROR_TLS_UNAVAILABLE,
                                               _("The server does not offer STARTTLS and this "
                                                 "account requires encryption")));
          return;
        }
    }

  if (!check_message (self))
    {
      fail_and_quit (self);
      return;
    }

  if (self->role == MSC_SMTP_CLIENT_ROLE_SUBMIT && self->username != NULL && !self->authenticated)
    {
      start_auth (self);
      return;
    }

  start_transaction (self);
}

/* Keywords are case-insensitive (RFC 5321 §2.4); the first line is the
 * server's name, not an extension. */
static void
parse_extensions (MscSmtpClient *self,
                  const char    *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *old_auth = NULL;

  g_hash_table_remove_all (self->extensions);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      gsize keyword_len = strcspn (line, " ");
      const char *params = line + keyword_len;
      gboolean valid = keyword_len > 0 && g_ascii_isalnum (line[0]);

      while (*params == ' ')
        params++;

      /* "AUTH=LOGIN PLAIN": what Outlook-era servers still send beside,
       * or instead of, the real AUTH line. */
      if (keyword_len > 5 && g_ascii_strncasecmp (line, "AUTH=", 5) == 0)
        {
          g_free (old_auth);
          old_auth = g_strdup_printf ("%.*s%s%s", (int) keyword_len - 5, line + 5,
                                      *params != '\0' ? " " : "", params);
          continue;
        }

      for (gsize j = 0; j < keyword_len; j++)
        valid = valid && (g_ascii_isalnum (line[j]) || line[j] == '-');
      if (!valid)
        continue;

      g_hash_table_replace (self->extensions, g_ascii_strup (line, keyword_len), g_strdup (params));
    }

  if (old_auth != NULL && !has_extension (self, "AUTH"))
    g_hash_table_insert (self->extensions, g_strdup ("AUTH"), g_steal_pointer (&old_auth));
}

/* ---- Replies ---- */

static void
record_recipient (MscSmtpClient *self,
                  const Reply   *reply)
{
  MscSmtpClientRecipient *recipient = g_ptr_array_index (self->recipients, self->rcpt_answered);
  MscSmtpClientEvent *event;

  self->rcpt_answered++;

  recipient->accepted = reply->code / 100 == 2;
  recipient->code = reply->code;
  g_free (recipient->enhanced);
  recipient->enhanced = g_strdup (reply->enhanced);
  g_free (recipient->text);
  recipient->text = g_strdup (reply->text);
  if (recipient->accepted)
    self->n_accepted++;

  event = push_event (self, MSC_SMTP_CLIENT_EVENT_RECIPIENT_RESULT);
  event->address = g_strdup (recipient->address);
  event->accepted = recipient->accepted;
  event->code = recipient->code;
  event->enhanced = g_strdup (recipient->enhanced);
  event->text = g_strdup (recipient->text);
}

static void
decide_no_recipient (MscSmtpClient *self)
{
  const MscSmtpClientRecipient *first = NULL;
  g_autofree char *summary = NULL;
  gboolean transient = FALSE;
  Reply reply = { 0, };

  for (guint i = 0; i < self->recipients->len; i++)
    {
      const MscSmtpClientRecipient *recipient = g_ptr_array_index (self->recipients, i);

      if (recipient->code == 0)
        continue;
      if (first == NULL)
        first = recipient;
      /* Any 4xx: a later try may reach someone. */
      transient = transient || recipient->code / 100 == 4;
    }

  g_assert (first != NULL);

  reply.code = first->code;
  reply.enhanced = first->enhanced;
  reply.text = first->text;
  summary = reply_summary (reply.code, reply.enhanced, reply.text);
  if (self->recipients->len == 1)
    decide_full (self, &reply, transient,
                 g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_RECIPIENTS_REFUSED,
                              _("The server refused the recipient (%s)"), summary));
  else
    decide_full (self, &reply, transient,
                 g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_RECIPIENTS_REFUSED,
                              _("The server refused every recipient (%s)"), summary));
}

static void
handle_mail_reply (MscSmtpClient *self,
                   const Reply   *reply)
{
  g_autofree char *summary = NULL;

  if (reply->code / 100 == 2)
    {
      if (!self->pipelining)
        send_rcpt (self);
      return;
    }

  summary = reply_summary (reply->code, reply->enhanced, reply->text);
  decidef (self, reply, MSC_SMTP_CLIENT_ERROR_SENDER_REFUSED,
           _("The server refused the sender address (%s)"), summary);

  /* With pipelining the RCPTs and DATA are answered still (RFC 2920
   * §3.1: every reply is read); without, nothing more was sent. */
  if (!self->pipelining)
    fail_and_quit (self);
}

static void
handle_rcpt_reply (MscSmtpClient *self,
                   const Reply   *reply)
{
  record_recipient (self, reply);

  if (self->pipelining)
    return;

  if (self->rcpt_sent < self->recipients->len)
    {
      send_rcpt (self);
    }
  else if (self->n_accepted > 0)
    {
      send_data (self);
    }
  else
    {
      decide_no_recipient (self);
      fail_and_quit (self);
    }
}

static void
handle_data_reply (MscSmtpClient *self,
                   const Reply   *reply)
{
  g_autofree char *summary = NULL;

  if (reply->code / 100 == 3)
    {
      if (self->verdict != NULL || self->n_accepted == 0)
        {
          /* RFC 2920 §3.1: the server took DATA for a transaction that
           * failed; an empty text is the way out. */
          if (self->verdict == NULL)
            decide_no_recipient (self);
          self->abort_text = TRUE;
        }

      self->text_pos = 0;
      self->text_line_start = TRUE;
      self->text_pending_cr = FALSE;
      set_state (self, MSC_SMTP_CLIENT_STATE_MESSAGE);
      return;
    }

  if (reply->code / 100 == 2)
    {
      unexpected_reply (self, reply);
      return;
    }

  if (self->verdict == NULL)
    {
      if (self->n_accepted == 0)
        {
          decide_no_recipient (self);
        }
      else
        {
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          decidef (self, reply, MSC_SMTP_CLIENT_ERROR_MESSAGE_REFUSED,
                   _("The server refused the message (%s)"), summary);
        }
    }

  fail_and_quit (self);
}

static void
handle_transaction_reply (MscSmtpClient *self,
                          const Reply   *reply)
{
  Pending pending;

  g_assert (!g_queue_is_empty (&self->pending));
  pending = GPOINTER_TO_INT (g_queue_pop_head (&self->pending));

  if (reply->code / 100 == 3 && pending != PENDING_DATA)
    {
      unexpected_reply (self, reply);
      return;
    }

  switch (pending)
    {
    case PENDING_MAIL:
      handle_mail_reply (self, reply);
      break;

    case PENDING_RCPT:
      handle_rcpt_reply (self, reply);
      break;

    case PENDING_DATA:
      handle_data_reply (self, reply);
      return;

    default:
      g_assert_not_reached ();
    }

  if (self->state == MSC_SMTP_CLIENT_STATE_QUIT || self->state == MSC_SMTP_CLIENT_STATE_CLOSED)
    return;

  g_assert (!g_queue_is_empty (&self->pending));

  switch (GPOINTER_TO_INT (g_queue_peek_head (&self->pending)))
    {
    case PENDING_RCPT:
      set_state (self, MSC_SMTP_CLIENT_STATE_RCPT);
      break;
    case PENDING_DATA:
      set_state (self, MSC_SMTP_CLIENT_STATE_DATA);
      break;
    case PENDING_MAIL:
    default:
      g_assert_not_reached ();
    }
}

static void
handle_auth_reply (MscSmtpClient *self,
                   const Reply   *reply)
{
  g_autofree char *summary = NULL;

  if (reply->code / 100 == 2)
    {
      g_clear_pointer (&self->sasl_responses, free_secrets);
      self->authenticated = TRUE;
      start_transaction (self);
      return;
    }

  if (reply->code / 100 == 3)
    {
      if (self->sasl_responses == NULL || self->sasl_responses[self->sasl_next] == NULL)
        {
          protocol_error (self, _("The server asked for more login data than the method has"));
          return;
        }

      send_line (self, self->sasl_responses[self->sasl_next++], TRUE, TRUE);
      return;
    }

  g_clear_pointer (&self->sasl_responses, free_secrets);
  summary = reply_summary (reply->code, reply->enhanced, reply->text);
  /* RFC 4954 §6: 535 is "credentials invalid"; 534, 538 and 454 are
   * about the method, the connection or the moment. */
  if (reply->code == 535)
    decidef (self, reply, MSC_SMTP_CLIENT_ERROR_AUTH_FAILED,
             _("The server refused the password (%s)"), summary);
  else
    decidef (self, reply, MSC_SMTP_CLIENT_ERROR_AUTH_FAILED,
             _("The server refused to log in (%s)"), summary);
  fail_and_quit (self);
}

static void
handle_reply (MscSmtpClient *self,
              const Reply   *reply)
{
  g_autofree char *summary = NULL;
  guint class = reply->code / 100;

  /* RFC 5321 §3.8: a server shutting down may answer anything with 421,
   * and closes: QUIT would go nowhere. */
  if (reply->code == 421 && self->state != MSC_SMTP_CLIENT_STATE_QUIT)
    {
      summary = reply_summary (reply->code, reply->enhanced, reply->text);
      fail_and_close (self, reply,
                      g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_SERVICE_UNAVAILABLE,
                                   _("The server is closing the connection (%s)"), summary));
      return;
    }

  switch (self->state)
    {
    case MSC_SMTP_CLIENT_STATE_GREETING:
      if (class == 2)
        {
          send_ehlo (self);
        }
      else if (class == 3)
        {
          unexpected_reply (self, reply);
        }
      else
        {
          /* RFC 5321 §3.1: after a 554 greeting the client still says QUIT. */
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          decidef (self, reply, MSC_SMTP_CLIENT_ERROR_SERVICE_UNAVAILABLE,
                   _("The server refused the connection (%s)"), summary);
          fail_and_quit (self);
        }
      break;

    case MSC_SMTP_CLIENT_STATE_EHLO:
    case MSC_SMTP_CLIENT_STATE_HELO:
      if (class == 2)
        {
          if (self->state == MSC_SMTP_CLIENT_STATE_EHLO)
            parse_extensions (self, reply->text);
          else
            g_hash_table_remove_all (self->extensions);
          after_hello (self);
        }
      else if (self->state == MSC_SMTP_CLIENT_STATE_EHLO &&
               (reply->code == 500 || reply->code == 502))
        {
          /* RFC 5321 §3.2: an RFC 821 server does not know EHLO. */
          send_helo (self);
        }
      else if (class == 3)
        {
          unexpected_reply (self, reply);
        }
      else
        {
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          decidef (self, reply, MSC_SMTP_CLIENT_ERROR_HELO_REFUSED,
                   _("The server refused the greeting (%s)"), summary);
          fail_and_quit (self);
        }
      break;

    case MSC_SMTP_CLIENT_STATE_STARTTLS:
      if (class == 2)
        {
          /* Whatever follows the 220 is refused by process_input(). */
          set_state (self, MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE);
          push_event (self, MSC_SMTP_CLIENT_EVENT_STARTTLS);
        }
      else if (class == 3)
        {
          unexpected_reply (self, reply);
        }
      else if (self->tls_mode == MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED)
        {
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          fail_and_close (self, reply,
                          g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TLS_UNAVAILABLE,
                                       _("The server refused to start encryption (%s) and this "
                                         "account requires it"), summary));
        }
      else
        {
          /* RFC 3207 §4.1 leaves it to the client: opportunistic TLS
           * goes on in plaintext, as before the STARTTLS. */
          self->tls_declined = TRUE;
          after_hello (self);
        }
      break;

    case MSC_SMTP_CLIENT_STATE_AUTH:
      handle_auth_reply (self, reply);
      break;

    case MSC_SMTP_CLIENT_STATE_MAIL:
    case MSC_SMTP_CLIENT_STATE_RCPT:
    case MSC_SMTP_CLIENT_STATE_DATA:
      handle_transaction_reply (self, reply);
      break;

    case MSC_SMTP_CLIENT_STATE_MESSAGE:
      /* A server may give up before the end of the text (a 552 at its
       * limit).  The text cannot be cut short and QUIT would be read as
       * part of it: close. */
      if (class == 4 || class == 5)
        {
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          fail_and_close (self, reply,
                          g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_MESSAGE_REFUSED,
                                       _("The server refused the message before it was "
                                         "complete (%s)"), summary));
        }
      else
        {
          unexpected_reply (self, reply);
        }
      break;

    case MSC_SMTP_CLIENT_STATE_DATA_END:
      if (self->abort_text)
        {
          fail_and_quit (self);
        }
      else if (class == 2)
        {
          succeed (self, reply);
          send_quit (self);
        }
      else if (class == 3)
        {
          unexpected_reply (self, reply);
        }
      else
        {
          summary = reply_summary (reply->code, reply->enhanced, reply->text);
          decidef (self, reply, MSC_SMTP_CLIENT_ERROR_MESSAGE_REFUSED,
                   _("The server refused the message (%s)"), summary);
          fail_and_quit (self);
        }
      break;

    case MSC_SMTP_CLIENT_STATE_QUIT:
      /* Whatever the code (RFC 5321 §4.1.1.10 wants 221), the session
       * is over, and the outcome was settled before QUIT. */
      close_session (self, NULL);
      break;

    case MSC_SMTP_CLIENT_STATE_CONNECT:
    case MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE:
    case MSC_SMTP_CLIENT_STATE_CLOSED:
    case MSC_SMTP_CLIENT_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* RFC 3463 §2: class "." subject "." detail, the class that of the reply
 * (RFC 2034 §4).  Returns its length, or 0 when @text does not start with
 * one. */
static gsize
parse_enhanced (const char *text,
                guint       code)
{
  const char *p = text;

  if (*p != '2' && *p != '4' && *p != '5')
    return 0;
  if ((guint) (*p - '0') != code / 100)
    return 0;
  p++;

  for (guint part = 0; part < 2; part++)
    {
      const char *digits;

      if (*p++ != '.')
        return 0;
      digits = p;
      while (g_ascii_isdigit (*p))
        p++;
      if (p == digits || p - digits > 3)
        return 0;
    }

  if (*p != ' ' && *p != '\0')
    return 0;

  return p - text;
}

static void
complete_reply (MscSmtpClient *self)
{
  g_auto(Reply) reply = { 0, };
  g_autoptr(GString) text = g_string_new (NULL);
  const char *first = g_ptr_array_index (self->reply_lines, 0);
  gsize enhanced_len = parse_enhanced (first, self->reply_code);
  MscSmtpClientEvent *event;

  reply.code = self->reply_code;
  if (enhanced_len > 0)
    reply.enhanced = g_strndup (first, enhanced_len);

  /* RFC 2034 §4 repeats the enhanced code on every line. */
  for (guint i = 0; i < self->reply_lines->len; i++)
    {
      const char *line = g_ptr_array_index (self->reply_lines, i);

      if (enhanced_len > 0 && strncmp (line, reply.enhanced, enhanced_len) == 0 &&
          (line[enhanced_len] == ' ' || line[enhanced_len] == '\0'))
        line += enhanced_len + (line[enhanced_len] == ' ' ? 1 : 0);

      if (i > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }
  reply.text = g_strdup (text->str);

  event = push_event (self, MSC_SMTP_CLIENT_EVENT_REPLY);
  event->code = reply.code;
  event->enhanced = g_strdup (reply.enhanced);
  event->text = g_strdup (reply.text);
  event->wire = g_byte_array_free_to_bytes (g_steal_pointer (&self->reply_wire));

  self->reply_wire = g_byte_array_new ();
  g_ptr_array_set_size (self->reply_lines, 0);

  handle_reply (self, &reply);
}

/* Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *              Reply-code [ SP textstring ] CRLF      (RFC 5321 §4.2) */
static void
handle_reply_line (MscSmtpClient *self,
                   const MscLine *line)
{
  const guint8 *data = line->data;
  guint code;
  guint8 separator;

  if (line->has_nul)
    {
      protocol_error (self, _("The server sent a NUL byte in a reply"));
      return;
    }

  /* §4.2.1: a first digit other than 2 to 5 is not SMTP. */
  if (line->len < 3 || data[0] < '2' || data[0] > '5' ||
      !g_ascii_isdigit (data[1]) || !g_ascii_isdigit (data[2]) ||
      (line->len > 3 && data[3] != ' ' && data[3] != '-'))
    {
      protocol_error (self, _("The server sent a line that is not an SMTP reply"));
      return;
    }

  code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
  separator = line->len > 3 ? data[3] : ' ';

  if (self->reply_lines->len > 0 && code != self->reply_code)
    {
      g_autofree char *message =
        g_strdup_printf (_("The lines of one reply from the server carry different codes "
                           "(%u, then %u)"), self->reply_code, code);

      protocol_error (self, message);
      return;
    }

  if (self->reply_wire->len + line->len + 2 > self->max_reply_length)
    {
      fail_and_close (self, NULL,
                      g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_LINE_TOO_LONG,
                                   ngettext ("The server sent a reply longer than %lu byte",
                                             "The server sent a reply longer than %lu bytes",
                                             self->max_reply_length),
                                   (gulong) self->max_reply_length));
      return;
    }

  self->reply_code = code;
  g_byte_array_append (self->reply_wire, data, line->len);
  if (line->ending == MSC_LINE_ENDING_CRLF)
    g_byte_array_append (self->reply_wire, (const guint8 *) "\r\n", 2);
  else
    g_byte_array_append (self->reply_wire, (const guint8 *) "\n", 1);
  g_ptr_array_add (self->reply_lines,
                   line->len > 4 ? msc_wire_display_string (data + 4, line->len - 4) : g_strdup (""));

  if (separator == ' ')
    complete_reply (self);
}

static void
process_input (MscSmtpClient *self,
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
        case MSC_SMTP_CLIENT_STATE_CLOSED:
          return;

        case MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE:
          /* CVE-2011-0411 in reverse: what follows the 220 came in
           * plaintext and must never be read as if TLS protected it.
           * The handshake itself goes to TLS, never here. */
          if (len > 0)
            protocol_error (self, _("The server sent more right after agreeing to start TLS; "
                                    "someone may be tampering with the connection"));
          return;

        case MSC_SMTP_CLIENT_STATE_GREETING:
        case MSC_SMTP_CLIENT_STATE_EHLO:
        case MSC_SMTP_CLIENT_STATE_HELO:
        case MSC_SMTP_CLIENT_STATE_STARTTLS:
        case MSC_SMTP_CLIENT_STATE_AUTH:
        case MSC_SMTP_CLIENT_STATE_MAIL:
        case MSC_SMTP_CLIENT_STATE_RCPT:
        case MSC_SMTP_CLIENT_STATE_DATA:
        case MSC_SMTP_CLIENT_STATE_MESSAGE:
        case MSC_SMTP_CLIENT_STATE_DATA_END:
        case MSC_SMTP_CLIENT_STATE_QUIT:
          break;

        case MSC_SMTP_CLIENT_STATE_CONNECT:
        case MSC_SMTP_CLIENT_N_STATES:
        default:
          g_assert_not_reached ();
        }

      result = msc_line_reader_next (self->reader, &data, &len, &line, &error);

      switch (result)
        {
        case MSC_LINE_READER_RESULT_NEED_MORE:
          return;

        case MSC_LINE_READER_RESULT_LINE:
          handle_reply_line (self, &line);
          break;

        case MSC_LINE_READER_RESULT_ERROR:
          {
            gsize max = msc_line_reader_get_max_line_length (self->reader);

            fail_and_close (self, NULL,
                            g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_LINE_TOO_LONG,
                                         ngettext ("The server sent a reply line longer than "
                                                   "%lu byte",
                                                   "The server sent a reply line longer than "
                                                   "%lu bytes",
                                                   max),
                                         (gulong) max));
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- Object ---- */

static void
msc_smtp_client_finalize (GObject *object)
{
  MscSmtpClient *self = (MscSmtpClient *) object;

  g_clear_pointer (&self->reader, msc_line_reader_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_smtp_client_event_free);
  g_clear_pointer (&self->extensions, g_hash_table_unref);
  g_clear_pointer (&self->recipients, g_ptr_array_unref);
  g_clear_pointer (&self->message, g_bytes_unref);
  g_clear_pointer (&self->verdict, msc_smtp_client_outcome_free);
  g_clear_pointer (&self->outcome, msc_smtp_client_outcome_free);
  g_clear_error (&self->close_reason);
  g_clear_pointer (&self->reply_lines, g_ptr_array_unref);
  g_clear_pointer (&self->reply_wire, g_byte_array_unref);
  g_clear_pointer (&self->sasl_responses, free_secrets);
  g_queue_clear (&self->pending);
  g_free (self->hostname);
  g_free (self->username);
  g_clear_pointer (&self->password, msc_wire_free_secret);
  g_free (self->reverse_path);
  g_free (self->invalid_address);
  g_free (self->non_ascii_address);

  G_OBJECT_CLASS (msc_smtp_client_parent_class)->finalize (object);
}

static void
msc_smtp_client_class_init (MscSmtpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_smtp_client_finalize;
}

static void
msc_smtp_client_init (MscSmtpClient *self)
{
  self->output = g_byte_array_new ();
  self->extensions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->recipients = g_ptr_array_new_with_free_func (recipient_free);
  self->reply_lines = g_ptr_array_new_with_free_func (g_free);
  self->reply_wire = g_byte_array_new ();
  g_queue_init (&self->events);
  g_queue_init (&self->pending);
}

static gint64
timeout_or (gint64 configured,
            gint64 fallback)
{
  return configured > 0 ? configured : fallback;
}

MscSmtpClient *
msc_smtp_client_new (const MscSmtpClientConfig *config)
{
  MscSmtpClient *self;
  gint64 command_timeout;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->hostname != NULL && msc_smtp_address_is_valid_helo (config->hostname), NULL);
  g_return_val_if_fail (config->role == MSC_SMTP_CLIENT_ROLE_SUBMIT ||
                        config->role == MSC_SMTP_CLIENT_ROLE_RELAY, NULL);
  g_return_val_if_fail (config->tls_mode <= MSC_SMTP_CLIENT_TLS_IMPLICIT, NULL);
  g_return_val_if_fail (config->auth_mechanism <= MSC_SMTP_CLIENT_AUTH_LOGIN, NULL);
  g_return_val_if_fail (config->username == NULL || config->password != NULL, NULL);
  g_return_val_if_fail (config->reverse_path != NULL, NULL);
  g_return_val_if_fail (config->recipients != NULL && config->recipients[0] != NULL, NULL);
  g_return_val_if_fail (config->message != NULL, NULL);

  self = g_object_new (MSC_TYPE_SMTP_CLIENT, NULL);

  self->hostname = g_strdup (config->hostname);
  self->role = config->role;
  self->tls_mode = config->tls_mode;
  self->tls_active = config->tls_mode == MSC_SMTP_CLIENT_TLS_IMPLICIT;
  self->username = g_strdup (config->username);
  self->password = g_strdup (config->password);
  self->auth_mechanism = config->auth_mechanism;
  self->allow_auth_without_tls = config->allow_auth_without_tls;
  self->disable_pipelining = config->disable_pipelining;
  self->reverse_path = g_strdup (config->reverse_path);
  self->message = g_bytes_ref (config->message);
  self->max_reply_length = config->max_reply_length > 0 ? config->max_reply_length
                                                        : DEFAULT_MAX_REPLY_LENGTH;
  self->block_size = config->data_block_size > 0 ? config->data_block_size : DEFAULT_BLOCK_SIZE;
  self->reader = msc_line_reader_new (MAX (config->max_line_length > 0 ? config->max_line_length
                                                                       : DEFAULT_MAX_LINE_LENGTH,
                                           5));

  /* RFC 5321 §4.5.3.2 names no timeout for EHLO, STARTTLS, AUTH or
   * QUIT; they get the 5 minutes of MAIL. */
  command_timeout = timeout_or (config->command_timeout_usec, MINUTES (5));
  self->timeouts[MSC_SMTP_CLIENT_STATE_GREETING] = timeout_or (config->greeting_timeout_usec,
                                                               MINUTES (5));
  self->timeouts[MSC_SMTP_CLIENT_STATE_EHLO] = command_timeout;
  self->timeouts[MSC_SMTP_CLIENT_STATE_HELO] = command_timeout;
  self->timeouts[MSC_SMTP_CLIENT_STATE_STARTTLS] = command_timeout;
  self->timeouts[MSC_SMTP_CLIENT_STATE_AUTH] = command_timeout;
  self->timeouts[MSC_SMTP_CLIENT_STATE_QUIT] = command_timeout;
  self->timeouts[MSC_SMTP_CLIENT_STATE_MAIL] = timeout_or (config->mail_timeout_usec, MINUTES (5));
  self->timeouts[MSC_SMTP_CLIENT_STATE_RCPT] = timeout_or (config->rcpt_timeout_usec, MINUTES (5));
  self->timeouts[MSC_SMTP_CLIENT_STATE_DATA] = timeout_or (config->data_timeout_usec, MINUTES (2));
  self->timeouts[MSC_SMTP_CLIENT_STATE_MESSAGE] = timeout_or (config->block_timeout_usec,
                                                              MINUTES (3));
  self->timeouts[MSC_SMTP_CLIENT_STATE_DATA_END] = timeout_or (config->data_end_timeout_usec,
                                                               MINUTES (10));

  check_address (self, config->reverse_path, TRUE, FALSE);
  for (guint i = 0; config->recipients[i] != NULL; i++)
    {
      MscSmtpClientRecipient *recipient = g_new0 (MscSmtpClientRecipient, 1);

      recipient->address = g_strdup (config->recipients[i]);
      g_ptr_array_add (self->recipients, recipient);
      check_address (self, config->recipients[i], FALSE, TRUE);
    }

  measure_message (self);

  return self;
}

void
msc_smtp_client_start (MscSmtpClient *self)
{
  g_return_if_fail (MSC_IS_SMTP_CLIENT (self));
  g_return_if_fail (self->state == MSC_SMTP_CLIENT_STATE_CONNECT);

  self->last_activity = self->now;

  if (self->invalid_address != NULL)
    {
      g_autofree char *shown = msc_wire_display_string ((const guint8 *) self->invalid_address,
                                               strlen (self->invalid_address));

      fail_and_close (self, NULL,
                      g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_INVALID_ADDRESS,
                                   _("“%s” is not a valid e-mail address"), shown));
      return;
    }

  set_state (self, MSC_SMTP_CLIENT_STATE_GREETING);
}

gboolean
msc_smtp_client_feed (MscSmtpClient  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_SMTP_CLIENT_STATE_CONNECT, FALSE);

  if (self->state == MSC_SMTP_CLIENT_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_CLOSED,
                           _("The SMTP session is already closed"));
      return FALSE;
    }

  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_SMTP_CLIENT_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_smtp_client_take_output (MscSmtpClient *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), NULL);

  if (self->state == MSC_SMTP_CLIENT_STATE_MESSAGE)
    {
      gboolean done = FALSE;

      /* The previous block is out: the block timer starts again, or the
       * wait for the final reply begins.  A block that was all a held-back
       * CR gives nothing to send yet: NULL would look like the end. */
      self->last_activity = self->now;
      while (!done && self->output->len == 0)
        done = write_text_block (self);
      if (done)
        set_state (self, MSC_SMTP_CLIENT_STATE_DATA_END);
    }

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

MscSmtpClientEvent *
msc_smtp_client_next_event (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_smtp_client_set_now (MscSmtpClient *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_SMTP_CLIENT (self));

  self->now = now_usec;
}

gint64
msc_smtp_client_get_deadline (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), -1);

  /* The handshake is the layer around's to time. */
  if (self->timeouts[self->state] == 0)
    return -1;

  return self->last_activity + self->timeouts[self->state];
}

gboolean
msc_smtp_client_check_timeout (MscSmtpClient *self)
{
  gint64 deadline;
  gulong idle;
  GError *error;

  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), FALSE);

  deadline = msc_smtp_client_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  idle = (gulong) ((self->now - self->last_activity) / G_USEC_PER_SEC);
  if (self->state == MSC_SMTP_CLIENT_STATE_MESSAGE)
    error = g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TIMEOUT,
                         ngettext ("The server took no part of the message for %lu second",
                                   "The server took no part of the message for %lu seconds",
                                   idle),
                         idle);
  else
    error = g_error_new (MSC_SMTP_CLIENT_ERROR, MSC_SMTP_CLIENT_ERROR_TIMEOUT,
                         ngettext ("The server did not answer for %lu second",
                                   "The server did not answer for %lu seconds",
                                   idle),
                         idle);

  /* An unresponsive server would not answer QUIT either. */
  fail_and_close (self, NULL, error);

  return TRUE;
}

void
msc_smtp_client_tls_started (MscSmtpClient *self)
{
  g_return_if_fail (MSC_IS_SMTP_CLIENT (self));

  /* The session may have ended while the handshake ran. */
  if (self->state == MSC_SMTP_CLIENT_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE);

  /* RFC 3207 §4.2: forget what the server said in plaintext; an
   * attacker may have edited it. */
  self->tls_active = TRUE;
  g_hash_table_remove_all (self->extensions);
  msc_line_reader_reset (self->reader);
  self->last_activity = self->now;

  send_ehlo (self);
}

MscSmtpClientState
msc_smtp_client_get_state (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), MSC_SMTP_CLIENT_STATE_CLOSED);

  return self->state;
}

gboolean
msc_smtp_client_want_read (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), FALSE);

  switch (self->state)
    {
    case MSC_SMTP_CLIENT_STATE_GREETING:
    case MSC_SMTP_CLIENT_STATE_EHLO:
    case MSC_SMTP_CLIENT_STATE_HELO:
    case MSC_SMTP_CLIENT_STATE_STARTTLS:
    case MSC_SMTP_CLIENT_STATE_AUTH:
    case MSC_SMTP_CLIENT_STATE_MAIL:
    case MSC_SMTP_CLIENT_STATE_RCPT:
    case MSC_SMTP_CLIENT_STATE_DATA:
    case MSC_SMTP_CLIENT_STATE_MESSAGE:
    case MSC_SMTP_CLIENT_STATE_DATA_END:
    case MSC_SMTP_CLIENT_STATE_QUIT:
      return TRUE;

    case MSC_SMTP_CLIENT_STATE_CONNECT:
    case MSC_SMTP_CLIENT_STATE_TLS_HANDSHAKE:
    case MSC_SMTP_CLIENT_STATE_CLOSED:
    case MSC_SMTP_CLIENT_N_STATES:
    default:
      return FALSE;
    }
}

gboolean
msc_smtp_client_is_closed (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), TRUE);

  return self->state == MSC_SMTP_CLIENT_STATE_CLOSED;
}

gboolean
msc_smtp_client_is_tls_active (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), FALSE);

  return self->tls_active;
}

const char *
msc_smtp_client_get_extension (MscSmtpClient *self,
                               const char    *keyword)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), NULL);
  g_return_val_if_fail (keyword != NULL, NULL);

  key = g_ascii_strup (keyword, -1);

  return g_hash_table_lookup (self->extensions, key);
}

const MscSmtpClientOutcome *
msc_smtp_client_get_outcome (MscSmtpClient *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_CLIENT (self), NULL);

  return self->outcome;
}
