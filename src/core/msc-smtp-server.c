/* msc-smtp-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-smtp-server"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "msc-line-reader.h"
#include "msc-smtp-address.h"
#include "msc-smtp-server.h"
#include "msc-wire.h"

#define DEFAULT_MAX_MESSAGE_SIZE (10 * 1024 * 1024)
#define DEFAULT_MAX_LINE_LENGTH  12288
#define DEFAULT_MAX_RECIPIENTS   100
#define DEFAULT_MAX_ERRORS       20
/* RFC 5321 §4.5.3.2.7: a server waits at least 5 minutes for the next
 * command.  Waiting for message text has no server rule of its own; the
 * client gives up on a stuck block after 3 minutes (§4.5.3.2.5), so the
 * same 5 minutes never cuts off a client the RFC would let live. */
#define DEFAULT_TIMEOUT_USEC     (5 * 60 * G_USEC_PER_SEC)
/* How much a client may pipeline behind a message the store is still
 * writing.  A pipelined group is a few short commands (RFC 2920 §3.1);
 * this bounds a client that keeps sending without reading. */
#define PENDING_SLACK            (64 * 1024)

typedef enum
{
  AUTH_MECH_NONE,
  AUTH_MECH_PLAIN,
  AUTH_MECH_LOGIN,
} AuthMech;

struct _MscSmtpServer
{
  GObject             parent_instance;

  /* Owned references */
  MscDirectory       *directory;
  MscLineReader      *reader;
  GByteArray         *output;
  GQueue              events;
  GByteArray         *pending;   /* input held while the store works */
  GError             *close_reason;

  /* Configuration */
  char               *hostname;
  char               *peer_name;
  char               *peer_address;
  MscSmtpServerRole   role;
  guint64             max_message_size;
  guint               max_recipients;
  guint               max_errors;
  gboolean            tls_available;
  gboolean            allow_insecure_auth;
  gint64              command_timeout;
  gint64              data_timeout;

  /* Session */
  MscSmtpServerState  state;
  gboolean            tls_active;
  gboolean            esmtp;       /* greeted with EHLO, not HELO */
  char               *helo_name;
  char               *auth_user;
  guint               n_errors;
  gint64              now;
  gint64              last_activity;

  /* SASL exchange */
  AuthMech            auth_mech;
  char               *auth_login_user;

  /* Mail transaction */
  char               *reverse_path;
  GPtrArray          *recipients;
  gboolean            smtputf8;
  gboolean            body_8bitmime;

  /* Message text */
  GByteArray         *message;
  guint64             message_size;
  gboolean            message_too_big;
  gboolean            message_line_too_long;
  gboolean            after_crlf;
};

G_DEFINE_FINAL_TYPE (MscSmtpServer, msc_smtp_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-smtp-server-error-quark, msc_smtp_server_error)

static const char * const state_names[] = {
  "greeting", "helo", "ready", "auth", "mail", "rcpt", "data",
  "wait-store", "starttls", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_SMTP_SERVER_N_STATES);

static const char * const event_kind_names[] = {
  "command", "reply", "starttls", "state-changed", "authenticated",
  "message", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_SMTP_SERVER_N_EVENT_KINDS);

static void process_input (MscSmtpServer *self,
                           const guint8  *data,
                           gsize          len);

const char *
msc_smtp_server_state_get_name (MscSmtpServerState state)
{
  g_return_val_if_fail (state < MSC_SMTP_SERVER_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_smtp_server_event_kind_get_name (MscSmtpServerEventKind kind)
{
  g_return_val_if_fail (kind < MSC_SMTP_SERVER_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

static void
recipient_free (gpointer data)
{
  MscSmtpRecipient *recipient = data;

  g_free (recipient->address);
  g_free (recipient);
}

void
msc_smtp_server_event_free (MscSmtpServerEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->line);
  g_free (event->verb);
  g_free (event->enhanced);
  g_free (event->text);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->user);
  g_free (event->mechanism);
  g_free (event->reverse_path);
  g_clear_pointer (&event->recipients, g_ptr_array_unref);
  g_clear_pointer (&event->message, g_bytes_unref);
  g_free (event->received);
  g_clear_error (&event->error);
  g_free (event);
}

static MscSmtpServerEvent *
push_event (MscSmtpServer          *self,
            MscSmtpServerEventKind  kind)
{
  MscSmtpServerEvent *event = g_new0 (MscSmtpServerEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscSmtpServer      *self,
           MscSmtpServerState  state)
{
  MscSmtpServerEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_SMTP_SERVER_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

/* @text may span lines ('\n'); each wire line repeats the code and the
 * enhanced code, as RFC 2034 §4 asks of multi-line replies. */
static void
send_reply (MscSmtpServer *self,
            guint          code,
            const char    *enhanced,
            const char    *text)
{
  /* g_strsplit() makes "" an empty vector; "334 " is one empty line. */
  g_auto(GStrv) lines = g_strsplit (*text != '\0' ? text : " ", "\n", -1);
  GString *wire = g_string_new (NULL);
  MscSmtpServerEvent *event;

  /* RFC 6531 §3.7.4: no UTF-8 in replies of the kinds we send. */
  g_assert (g_str_is_ascii (text));
  g_assert (code >= 200 && code <= 599);
  /* RFC 2034 §4: the class of the enhanced code agrees with the reply. */
  g_assert (enhanced == NULL || (guint) enhanced[0] == '0' + code / 100);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_string_append_printf (wire, "%03u%c", code, lines[i + 1] != NULL ? '-' : ' ');
      if (enhanced != NULL)
        g_string_append_printf (wire, "%s ", enhanced);
      g_string_append (wire, *text != '\0' ? lines[i] : "");
      g_string_append (wire, "\r\n");
    }

  g_byte_array_append (self->output, (const guint8 *) wire->str, wire->len);

  event = push_event (self, MSC_SMTP_SERVER_EVENT_REPLY);
  event->code = code;
  event->enhanced = g_strdup (enhanced);
  event->text = g_strdup (text);
  event->wire = g_string_free_to_bytes (wire);
}

static void G_GNUC_PRINTF (4, 5)
send_replyf (MscSmtpServer *self,
             guint          code,
             const char    *enhanced,
             const char    *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  send_reply (self, code, enhanced, text);
}

/* A refusal caused by what the client sent: these count towards
 * max_errors, so a client probing mailboxes or sending garbage is cut off. */
static void
reject (MscSmtpServer *self,
        guint          code,
        const char    *enhanced,
        const char    *text)
{
  g_assert (code >= 400);

  send_reply (self, code, enhanced, text);
  self->n_errors++;
}

static void
emit_command (MscSmtpServer *self,
              const MscLine *line,
              const char    *verb,
              gboolean       secret)
{
  MscSmtpServerEvent *event = push_event (self, MSC_SMTP_SERVER_EVENT_COMMAND);
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

static void
reset_transaction (MscSmtpServer *self)
{
  g_clear_pointer (&self->reverse_path, g_free);
  g_ptr_array_set_size (self->recipients, 0);
  self->smtputf8 = FALSE;
  self->body_8bitmime = FALSE;
  g_clear_pointer (&self->message, g_byte_array_unref);
  self->message_size = 0;
  self->message_too_big = FALSE;
  self->message_line_too_long = FALSE;
}

static void
end_sasl (MscSmtpServer *self)
{
  self->auth_mech = AUTH_MECH_NONE;
  g_clear_pointer (&self->auth_login_user, msc_wire_free_secret);
}

/* Takes @reason (NULL after QUIT). */
static void
close_session (MscSmtpServer *self,
               GError        *reason)
{
  MscSmtpServerEvent *event;

  g_assert (self->state != MSC_SMTP_SERVER_STATE_CLOSED);

  end_sasl (self);
  reset_transaction (self);
  msc_line_reader_reset (self->reader);
  g_byte_array_set_size (self->pending, 0);

  set_state (self, MSC_SMTP_SERVER_STATE_CLOSED);

  event = push_event (self, MSC_SMTP_SERVER_EVENT_CLOSED);
  if (reason != NULL)
    {
      event->error = g_error_copy (reason);
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

static void
check_error_limit (MscSmtpServer *self)
{
  if (self->state == MSC_SMTP_SERVER_STATE_CLOSED || self->n_errors < self->max_errors)
    return;

  send_replyf (self, 421, "4.7.0", "%s Error: too many errors", self->hostname);
  close_session (self,
                 g_error_new (MSC_SMTP_SERVER_ERROR,
                              MSC_SMTP_SERVER_ERROR_TOO_MANY_ERRORS,
                              ngettext ("The client made %u error; the server closed the session",
                                        "The client made %u errors; the server closed the session",
                                        self->n_errors),
                              self->n_errors));
}

static gboolean
auth_offered (MscSmtpServer *self)
{
  return self->tls_active || self->allow_insecure_auth;
}

/* ---- Syntax (RFC 5321 §4.1.2, extended by RFC 6531 §3.3) ---- */

typedef struct
{
  char     *address;     /* without <>; "" for the null path */
  char     *local_part;
  char     *domain;      /* NULL for <> and <Postmaster> */
  gboolean  non_ascii;
} Path;

static void
path_clear (Path *path)
{
  g_clear_pointer (&path->address, g_free);
  g_clear_pointer (&path->local_part, g_free);
  g_clear_pointer (&path->domain, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Path, path_clear)

/* Path = "<" [ A-d-l ":" ] Mailbox ">".  A source route is accepted and
 * ignored (RFC 5321 §4.1.1.3 and appendix C).  The line was checked for
 * valid UTF-8 already. */
static gboolean
parse_path (const char **pp,
            gboolean     allow_null,
            gboolean     allow_postmaster,
            Path        *path)
{
  const char *p = *pp;
  const char *start;
  const char *at = NULL;

  if (*p++ != '<')
    return FALSE;

  if (allow_null && *p == '>')
    {
      path->address = g_strdup ("");
      *pp = p + 1;
      return TRUE;
    }

  if (*p == '@')
    {
      for (;;)
        {
          if (*p++ != '@' || !msc_smtp_address_skip_domain (&p))
            return FALSE;
          if (*p == ':')
            break;
          if (*p++ != ',')
            return FALSE;
        }
      p++;
    }

  start = p;
  if (!msc_smtp_address_skip_mailbox (&p, allow_postmaster, &at))
    return FALSE;

  if (*p != '>')
    return FALSE;

  path->address = g_strndup (start, p - start);
  path->local_part = g_strndup (start, (at != NULL ? at : p) - start);
  path->domain = at != NULL ? g_strndup (at + 1, p - at - 1) : NULL;
  path->non_ascii = !g_str_is_ascii (path->address);
  *pp = p + 1;

  return TRUE;
}

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ')
    p++;
  return p;
}

/* ---- Base64 and SASL (RFC 4954, RFC 4616) ---- */

static void
finish_auth (MscSmtpServer *self,
             const char    *mechanism,
             const char    *user,
             const char    *password)
{
  MscSmtpServerEvent *event;

  end_sasl (self);

  if (user == NULL || password == NULL || *user == '\0' || *password == '\0' ||
      !msc_directory_check_password (self->directory, user, password))
    {
      reject (self, 535, "5.7.8", "Authentication credentials invalid");
      set_state (self, MSC_SMTP_SERVER_STATE_READY);
      return;
    }

  self->auth_user = g_strdup (user);
  send_reply (self, 235, "2.7.0", "Authentication successful");

  event = push_event (self, MSC_SMTP_SERVER_EVENT_AUTHENTICATED);
  event->user = g_strdup (user);
  event->mechanism = g_strdup (mechanism);

  set_state (self, MSC_SMTP_SERVER_STATE_READY);
}

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2) */
static void
finish_plain (MscSmtpServer *self,
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
      finish_auth (self, "PLAIN", NULL, NULL);
      return;
    }

  authzid = g_strndup ((const char *) message, nul1 - message);
  authcid = g_strndup ((const char *) nul1 + 1, nul2 - nul1 - 1);
  passwd = g_strndup ((const char *) nul2 + 1, end - nul2 - 1);

  /* Acting for someone else (a non-empty, different authzid) is not
   * something this server grants anybody. */
  if (!g_utf8_validate (authzid, -1, NULL) || !g_utf8_validate (authcid, -1, NULL) ||
      !g_utf8_validate (passwd, -1, NULL) ||
      (*authzid != '\0' && g_ascii_strcasecmp (authzid, authcid) != 0))
    finish_auth (self, "PLAIN", NULL, NULL);
  else
    finish_auth (self, "PLAIN", authcid, passwd);

  msc_wire_free_secret (passwd);
}

/* One decoded SASL response (initial or after a 334). */
static void
sasl_step (MscSmtpServer *self,
           guchar        *response,
           gsize          len)
{
  char *text;

  if (self->auth_mech == AUTH_MECH_PLAIN)
    {
      finish_plain (self, response, len);
      return;
    }

  g_assert (self->auth_mech == AUTH_MECH_LOGIN);

  /* LOGIN (draft-murchison-sasl-login): a user name, then a password,
   * each a plain UTF-8 string. */
  text = memchr (response, '\0', len) == NULL ? g_strndup ((const char *) response, len) : NULL;
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    g_clear_pointer (&text, msc_wire_free_secret);

  if (self->auth_login_user == NULL && text != NULL)
    {
      self->auth_login_user = text;
      send_reply (self, 334, NULL, "UGFzc3dvcmQ6");
      set_state (self, MSC_SMTP_SERVER_STATE_AUTH);
      return;
    }

  if (self->auth_login_user == NULL)
    {
      finish_auth (self, "LOGIN", NULL, NULL);
    }
  else
    {
      g_autofree char *user = g_strdup (self->auth_login_user);

      finish_auth (self, "LOGIN", user, text);
    }

  msc_wire_free_secret (text);
}

static void
handle_sasl_response (MscSmtpServer *self,
                      const MscLine *line)
{
  g_autofree char *text = NULL;
  guchar *decoded = NULL;
  gsize len = 0;

  emit_command (self, line, NULL, TRUE);

  text = g_strndup ((const char *) line->data, line->len);

  if (!line->has_nul && strcmp (text, "*") == 0)
    {
      end_sasl (self);
      /* RFC 4954 §4: a cancelled exchange MUST get a 501. */
      reject (self, 501, "5.0.0", "Authentication cancelled");
      set_state (self, MSC_SMTP_SERVER_STATE_READY);
    }
  else if (line->has_nul || !msc_wire_decode_base64_strict (text, &decoded, &len))
    {
      end_sasl (self);
      reject (self, 501, "5.5.2", "Cannot Base64-decode Client responses");
      set_state (self, MSC_SMTP_SERVER_STATE_READY);
    }
  else
    {
      sasl_step (self, decoded, len);
      memset (decoded, 0, len);
      g_free (decoded);
    }

  memset (text, 0, strlen (text));
}

/* ---- Commands ---- */

static void
cmd_greet (MscSmtpServer *self,
           const char    *args,
           gboolean       esmtp)
{
  if (*args == '\0')
    {
      reject (self, 501, "5.5.4", esmtp ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
      return;
    }
  if (!msc_smtp_address_is_valid_helo (args))
    {
      reject (self, 501, "5.5.2", "Invalid domain name");
      return;
    }

  /* RFC 5321 §4.1.4: a later EHLO resets the state like RSET. */
  reset_transaction (self);
  g_free (self->helo_name);
  self->helo_name = g_strdup (args);
  self->esmtp = esmtp;

  if (esmtp)
    {
      g_autoptr(GString) text = g_string_new (self->hostname);

      g_string_append (text, "\nPIPELINING");
      g_string_append_printf (text, "\nSIZE %" G_GUINT64_FORMAT, self->max_message_size);
      if (self->tls_available && !self->tls_active)
        g_string_append (text, "\nSTARTTLS");
      if (auth_offered (self))
        g_string_append (text, "\nAUTH PLAIN LOGIN");
      g_string_append (text, "\nENHANCEDSTATUSCODES");
      g_string_append (text, "\n8BITMIME");
      g_string_append (text, "\nSMTPUTF8");

      send_reply (self, 250, NULL, text->str);
    }
  else
    {
      send_reply (self, 250, NULL, self->hostname);
    }

  set_state (self, MSC_SMTP_SERVER_STATE_READY);
}

static void
cmd_ehlo (MscSmtpServer *self,
          const char    *args)
{
  cmd_greet (self, args, TRUE);
}

static void
cmd_helo (MscSmtpServer *self,
          const char    *args)
{
  cmd_greet (self, args, FALSE);
}

typedef struct
{
  gboolean has_size;
  guint64  size;
  gboolean has_body;
  gboolean body_8bitmime;
  gboolean smtputf8;
  gboolean has_auth;
} MailParams;

static gboolean
is_esmtp_value (const char *value)
{
  if (*value == '\0')
    return FALSE;

  for (const char *p = value; *p != '\0'; p++)
    {
      if (!((*p >= 33 && *p <= 60) || (*p >= 62 && *p <= 126) || msc_smtp_address_is_utf8_non_ascii (*p)))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_esmtp_keyword (const char *keyword)
{
  if (!g_ascii_isalnum (*keyword))
    return FALSE;

  for (const char *p = keyword; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }

  return TRUE;
}

/* Mail-parameters (RFC 5321 §4.1.2); replies itself when it fails. */
static gboolean
parse_mail_params (MscSmtpServer *self,
                   const char    *p,
                   MailParams    *params)
{
  g_auto(GStrv) tokens = g_strsplit (p, " ", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      char *keyword = tokens[i];
      char *value = strchr (keyword, '=');

      if (*keyword == '\0')
        continue;

      if (value != NULL)
        *value++ = '\0';

      if (!is_esmtp_keyword (keyword) || (value != NULL && !is_esmtp_value (value)))
        {
          reject (self, 501, "5.5.4", "Syntax error in MAIL parameters");
          return FALSE;
        }

      /* Without EHLO no extension is in effect (RFC 5321 §2.2.1). */
      if (!self->esmtp)
        {
          reject (self, 555, "5.5.4", "MAIL parameters need EHLO");
          return FALSE;
        }

      if (g_ascii_strcasecmp (keyword, "SIZE") == 0)
        {
          g_autoptr(GError) error = NULL;

          if (params->has_size || value == NULL || strlen (value) > 20 ||
              !g_ascii_isdigit (*value))
            {
              reject (self, 501, "5.5.4", "Bad SIZE parameter");
              return FALSE;
            }
          params->has_size = TRUE;
          if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &params->size, &error))
            {
              /* Twenty digits can pass 2^64: that is too big, not bad. */
              if (!g_error_matches (error, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
                {
                  reject (self, 501, "5.5.4", "Bad SIZE parameter");
                  return FALSE;
                }
              params->size = G_MAXUINT64;
            }
        }
      else if (g_ascii_strcasecmp (keyword, "BODY") == 0)
        {
          if (params->has_body || value == NULL)
            {
              reject (self, 501, "5.5.4", "Bad BODY parameter");
              return FALSE;
            }
          params->has_body = TRUE;
          if (g_ascii_strcasecmp (value, "8BITMIME") == 0)
            params->body_8bitmime = TRUE;
          else if (g_ascii_strcasecmp (value, "7BIT") != 0)
            {
              /* BINARYMIME needs CHUNKING (RFC 3030), not offered. */
              reject (self, 555, "5.5.4", "Unsupported BODY type");
              return FALSE;
            }
        }
      else if (g_ascii_strcasecmp (keyword, "SMTPUTF8") == 0)
        {
          if (params->smtputf8 || value != NULL)
            {
              /* RFC 6531 §3.4: the parameter takes no value. */
              reject (self, 501, "5.5.4", "Bad SMTPUTF8 parameter");
              return FALSE;
            }
          params->smtputf8 = TRUE;
        }
      else if (g_ascii_strcasecmp (keyword, "AUTH") == 0 && auth_offered (self))
        {
          /* RFC 4954 §5: clients such as Outlook send AUTH=<>.  It only
           * matters when relaying onward with AUTH, which this server
           * does not do, so it is accepted and ignored. */
          if (params->has_auth || value == NULL)
            {
              reject (self, 501, "5.5.4", "Bad AUTH parameter");
              return FALSE;
            }
          params->has_auth = TRUE;
        }
      else
        {
          reject (self, 555, "5.5.4", "Unsupported MAIL parameter");
          return FALSE;
        }
    }

  return TRUE;
}

static void
cmd_mail (MscSmtpServer *self,
          const char    *args)
{
  g_auto(Path) path = { 0, };
  MailParams params = { 0, };
  const char *p = args;

  switch (self->state)
    {
    case MSC_SMTP_SERVER_STATE_HELO:
      reject (self, 503, "5.5.1", "Send HELO/EHLO first");
      return;

    case MSC_SMTP_SERVER_STATE_MAIL:
    case MSC_SMTP_SERVER_STATE_RCPT:
      reject (self, 503, "5.5.1", "Nested MAIL command");
      return;

    case MSC_SMTP_SERVER_STATE_READY:
      break;

    case MSC_SMTP_SERVER_STATE_GREETING:
    case MSC_SMTP_SERVER_STATE_AUTH:
    case MSC_SMTP_SERVER_STATE_DATA:
    case MSC_SMTP_SERVER_STATE_WAIT_STORE:
    case MSC_SMTP_SERVER_STATE_STARTTLS:
    case MSC_SMTP_SERVER_STATE_CLOSED:
    case MSC_SMTP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }

  if (self->role == MSC_SMTP_SERVER_ROLE_SUBMISSION && self->auth_user == NULL)
    {
      /* RFC 4954 §6; RFC 6409 §4.3 lets a submission server insist. */
      reject (self, 530, "5.7.0", "Authentication required");
      return;
    }

  if (g_ascii_strncasecmp (p, "FROM:", 5) != 0)
    {
      reject (self, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
      return;
    }

  /* Strictly no space may follow the colon, but many clients send one and
   * every deployed server takes it. */
  p = skip_spaces (p + 5);
  if (!parse_path (&p, TRUE, FALSE, &path) || (*p != '\0' && *p != ' '))
    {
      reject (self, 501, "5.1.7", "Bad sender address syntax");
      return;
    }

  if (!parse_mail_params (self, p, &params))
    return;

  if (path.non_ascii && !params.smtputf8)
    {
      /* RFC 6531 §3.5: 550 for MAIL (553 is for RCPT). */
      reject (self, 550, "5.6.7", "Non-ASCII addresses not permitted for that sender");
      return;
    }

  if (params.has_size && params.size > self->max_message_size)
    {
      /* RFC 1870 §6.1 */
      reject (self, 552, "5.3.4", "Message size exceeds fixed maximum message size");
      return;
    }

  if (self->role == MSC_SMTP_SERVER_ROLE_SUBMISSION &&
      g_ascii_strcasecmp (path.address, self->auth_user) != 0)
    {
      reject (self, 553, "5.7.1", "Sender address rejected: not owned by the authenticated user");
      return;
    }

  self->reverse_path = g_steal_pointer (&path.address);
  self->smtputf8 = params.smtputf8;
  self->body_8bitmime = params.body_8bitmime;

  send_reply (self, 250, "2.1.0", "Sender OK");
  set_state (self, MSC_SMTP_SERVER_STATE_MAIL);
}

static void
cmd_rcpt (MscSmtpServer *self,
          const char    *args)
{
  g_auto(Path) path = { 0, };
  MscSmtpRecipient *recipient;
  const char *p = args;
  gboolean local;

  if (self->state != MSC_SMTP_SERVER_STATE_MAIL && self->state != MSC_SMTP_SERVER_STATE_RCPT)
    {
      reject (self, 503, "5.5.1", "Need MAIL before RCPT");
      return;
    }

  if (g_ascii_strncasecmp (p, "TO:", 3) != 0)
    {
      reject (self, 501, "5.5.4", "Syntax: RCPT TO:<address>");
      return;
    }

  p = skip_spaces (p + 3);
  if (!parse_path (&p, FALSE, TRUE, &path) || (*p != '\0' && *p != ' '))
    {
      reject (self, 501, "5.1.3", "Bad recipient address syntax");
      return;
    }

  if (*skip_spaces (p) != '\0')
    {
      /* No RCPT parameter is offered (DSN is not). */
      reject (self, 555, "5.5.4", "Unsupported RCPT parameter");
      return;
    }

  if (path.non_ascii && !self->smtputf8)
    {
      reject (self, 553, "5.6.7", "Non-ASCII addresses not permitted for that recipient");
      return;
    }

  if (self->recipients->len >= self->max_recipients)
    {
      /* RFC 5321 §4.5.3.1.10: 452, so the client sends the rest later. */
      reject (self, 452, "4.5.3", "Too many recipients");
      return;
    }

  if (path.domain == NULL)
    {
      /* <Postmaster>: RFC 5321 §4.5.1 says it MUST be accepted. */
      local = TRUE;
    }
  else if (msc_directory_is_local_domain (self->directory, path.domain))
    {
      local = TRUE;
      if (g_ascii_strcasecmp (path.local_part, "postmaster") != 0 &&
          !msc_directory_has_account (self->directory, path.address))
        {
          reject (self, 550, "5.1.1", "Mailbox unavailable");
          return;
        }
    }
  else
    {
      local = FALSE;
      /* Relaying is for clients that authenticated: on submission that is
       * everyone who got this far, on an MX only those who used AUTH. */
      if (self->auth_user == NULL)
        {
          /* RFC 5321 §3.6.2: a policy refusal to relay is a 550. */
          reject (self, 550, "5.7.1", "Relay access denied");
          return;
        }
    }

  recipient = g_new0 (MscSmtpRecipient, 1);
  recipient->address = g_steal_pointer (&path.address);
  recipient->local = local;
  g_ptr_array_add (self->recipients, recipient);

  send_reply (self, 250, "2.1.5", "Recipient OK");
  set_state (self, MSC_SMTP_SERVER_STATE_RCPT);
}

static void
cmd_data (MscSmtpServer *self,
          const char    *args)
{
  if (self->state != MSC_SMTP_SERVER_STATE_MAIL && self->state != MSC_SMTP_SERVER_STATE_RCPT)
    {
      reject (self, 503, "5.5.1", "Need MAIL command");
      return;
    }

  if (*args != '\0')
    {
      reject (self, 501, "5.5.4", "Syntax: DATA");
      return;
    }

  if (self->state == MSC_SMTP_SERVER_STATE_MAIL)
    {
      /* RFC 5321 §3.3 allows 503 or 554 here; 554 says why. */
      reject (self, 554, "5.5.1", "No valid recipients");
      return;
    }

  self->message = g_byte_array_new ();
  self->message_size = 0;
  self->message_too_big = FALSE;
  self->message_line_too_long = FALSE;
  self->after_crlf = TRUE;

  send_reply (self, 354, NULL, "End data with <CR><LF>.<CR><LF>");
  set_state (self, MSC_SMTP_SERVER_STATE_DATA);
}

static void
cmd_rset (MscSmtpServer *self,
          const char    *args)
{
  if (*args != '\0')
    {
      reject (self, 501, "5.5.4", "Syntax: RSET");
      return;
    }

  reset_transaction (self);
  send_reply (self, 250, "2.0.0", "OK");
  set_state (self, self->helo_name != NULL ? MSC_SMTP_SERVER_STATE_READY
                                           : MSC_SMTP_SERVER_STATE_HELO);
}

static void
cmd_noop (MscSmtpServer *self,
          const char    *args G_GNUC_UNUSED)
{
  /* RFC 5321 §4.1.1.9: an argument is allowed and ignored. */
  send_reply (self, 250, "2.0.0", "OK");
}

static void
cmd_quit (MscSmtpServer *self,
          const char    *args)
{
  if (*args != '\0')
    {
      reject (self, 501, "5.5.4", "Syntax: QUIT");
      return;
    }

  send_replyf (self, 221, "2.0.0", "%s Service closing transmission channel", self->hostname);
  close_session (self, NULL);
}

static void
cmd_vrfy (MscSmtpServer *self,
          const char    *args)
{
  if (*args == '\0')
    {
      reject (self, 501, "5.5.4", "Syntax: VRFY address");
      return;
    }

  /* RFC 5321 §3.5.3: 252 neither confirms nor denies, so VRFY cannot be
   * used to harvest mailboxes. */
  send_reply (self, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_help (MscSmtpServer *self,
          const char    *args G_GNUC_UNUSED)
{
  g_autoptr(GString) text = g_string_new ("Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");

  if (self->tls_available && !self->tls_active)
    g_string_append (text, " STARTTLS");
  if (auth_offered (self))
    g_string_append (text, " AUTH");
  g_string_append (text, "\nSee RFC 5321 for what each one does");

  send_reply (self, 214, "2.0.0", text->str);
}

static void
cmd_starttls (MscSmtpServer *self,
              const char    *args)
{
  if (!self->esmtp)
    {
      reject (self, 503, "5.5.1", "Send EHLO first");
      return;
    }
  if (self->tls_active)
    {
      reject (self, 503, "5.5.1", "TLS already active");
      return;
    }
  if (!self->tls_available)
    {
      reject (self, 502, "5.5.1", "STARTTLS not available");
      return;
    }
  if (*args != '\0')
    {
      /* RFC 3207 §4 */
      reject (self, 501, "5.5.4", "Syntax error (no parameters allowed)");
      return;
    }

  send_reply (self, 220, "2.0.0", "Ready to start TLS");
  /* From here on process_input() reads nothing until tls_started(): what
   * the client sent behind STARTTLS is dropped (CVE-2011-0411).  The
   * reader holds nothing now; resetting it anyway costs nothing. */
  msc_line_reader_reset (self->reader);
  set_state (self, MSC_SMTP_SERVER_STATE_STARTTLS);
  push_event (self, MSC_SMTP_SERVER_EVENT_STARTTLS);
}

static void
start_auth (MscSmtpServer  *self,
            char          **words)
{
  const char *mechanism = words[0];
  const char *initial = mechanism != NULL ? words[1] : NULL;
  guchar *decoded = NULL;
  gsize len = 0;

  if (!self->esmtp)
    {
      reject (self, 503, "5.5.1", "Send EHLO first");
      return;
    }
  if (self->auth_user != NULL)
    {
      reject (self, 503, "5.5.1", "Already authenticated");
      return;
    }
  if (self->state == MSC_SMTP_SERVER_STATE_MAIL || self->state == MSC_SMTP_SERVER_STATE_RCPT)
    {
      /* RFC 4954 §4 */
      reject (self, 503, "5.5.1", "AUTH not permitted during a mail transaction");
      return;
    }
  if (mechanism == NULL || *mechanism == '\0' ||
      (initial != NULL && (*initial == '\0' || words[2] != NULL)))
    {
      reject (self, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
      return;
    }

  if (g_ascii_strcasecmp (mechanism, "PLAIN") == 0)
    self->auth_mech = AUTH_MECH_PLAIN;
  else if (g_ascii_strcasecmp (mechanism, "LOGIN") == 0)
    self->auth_mech = AUTH_MECH_LOGIN;
  else
    {
      reject (self, 504, "5.5.4", "Unrecognized authentication type");
      return;
    }

  if (!auth_offered (self))
    {
      /* RFC 4954 §6: PLAIN and LOGIN send the password as it is; refuse
       * before it is sent in the clear a second time. */
      end_sasl (self);
      reject (self, 538, "5.7.11", "Encryption required for requested authentication mechanism");
      return;
    }

  if (initial == NULL)
    {
      send_reply (self, 334, NULL, self->auth_mech == AUTH_MECH_PLAIN ? "" : "VXNlcm5hbWU6");
      set_state (self, MSC_SMTP_SERVER_STATE_AUTH);
      return;
    }

  /* RFC 4954 §4: "=" is an empty initial response. */
  if (strcmp (initial, "=") == 0)
    initial = "";

  if (!msc_wire_decode_base64_strict (initial, &decoded, &len))
    {
      end_sasl (self);
      reject (self, 501, "5.5.2", "Cannot Base64-decode Client responses");
      return;
    }

  sasl_step (self, decoded, len);
  memset (decoded, 0, len);
  g_free (decoded);
}

static void
cmd_auth (MscSmtpServer *self,
          const char    *args)
{
  g_auto(GStrv) words = g_strsplit (args, " ", -1);

  start_auth (self, words);

  /* The initial response is a credential. */
  for (guint i = 0; words[i] != NULL; i++)
    memset (words[i], 0, strlen (words[i]));
}

static void
cmd_not_implemented (MscSmtpServer *self,
                     const char    *args G_GNUC_UNUSED)
{
  reject (self, 502, "5.5.1", "Command not implemented");
}

typedef void (*CommandFunc) (MscSmtpServer *self,
                             const char    *args);

static const struct
{
  const char  *verb;
  CommandFunc  func;
} commands[] = {
  { "EHLO",     cmd_ehlo },
  { "HELO",     cmd_helo },
  { "MAIL",     cmd_mail },
  { "RCPT",     cmd_rcpt },
  { "DATA",     cmd_data },
  { "RSET",     cmd_rset },
  { "NOOP",     cmd_noop },
  { "QUIT",     cmd_quit },
  { "VRFY",     cmd_vrfy },
  { "HELP",     cmd_help },
  { "STARTTLS", cmd_starttls },
  { "AUTH",     cmd_auth },
  /* Known verbs this server does not offer get 502, not 500. */
  { "EXPN",     cmd_not_implemented },
  { "BDAT",     cmd_not_implemented },
  { "ETRN",     cmd_not_implemented },
  { "TURN",     cmd_not_implemented },
  { "ATRN",     cmd_not_implemented },
  { "SEND",     cmd_not_implemented },
  { "SOML",     cmd_not_implemented },
  { "SAML",     cmd_not_implemented },
};

static void
handle_command (MscSmtpServer *self,
                const MscLine *line)
{
  g_autofree char *text = NULL;
  g_autofree char *verb = NULL;
  const char *space;
  const char *args;
  CommandFunc func = NULL;

  if (line->has_nul)
    {
      emit_command (self, line, NULL, FALSE);
      reject (self, 500, "5.5.2", "Syntax error: NUL byte in command");
      return;
    }
  if (!g_utf8_validate_len ((const char *) line->data, line->len, NULL))
    {
      emit_command (self, line, NULL, FALSE);
      reject (self, 500, "5.5.2", "Syntax error: command is not UTF-8");
      return;
    }
  if (msc_wire_has_control_chars (line->data, line->len))
    {
      emit_command (self, line, NULL, FALSE);
      reject (self, 500, "5.5.2", "Syntax error: control character in command");
      return;
    }

  text = g_strndup ((const char *) line->data, line->len);
  g_strchomp (text);
  if (*text == '\0')
    {
      emit_command (self, line, NULL, FALSE);
      reject (self, 500, "5.5.2", "Syntax error: empty command");
      return;
    }

  space = strchr (text, ' ');
  verb = g_ascii_strup (text, space != NULL ? space - text : -1);
  args = space != NULL ? space + 1 : "";

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (verb, commands[i].verb) == 0)
        func = commands[i].func;
    }

  emit_command (self, line, msc_wire_is_word (verb) ? verb : NULL,
                func == cmd_auth && strchr (skip_spaces (args), ' ') != NULL);

  if (func == NULL)
    {
      reject (self, 500, "5.5.1", "Command unrecognized");
      return;
    }

  func (self, args);

  if (func == cmd_auth)
    memset (text, 0, strlen (text));
}

static void
handle_overlong_line (MscSmtpServer *self,
                      const MscLine *line)
{
  switch (self->state)
    {
    case MSC_SMTP_SERVER_STATE_DATA:
      /* The reply waits for the end of the data; replying now would put
       * a reply where the client expects none. */
      self->message_line_too_long = TRUE;
      self->after_crlf = line->ending == MSC_LINE_ENDING_CRLF;
      break;

    case MSC_SMTP_SERVER_STATE_AUTH:
      emit_command (self, line, NULL, TRUE);
      end_sasl (self);
      /* RFC 4954 §6 */
      reject (self, 500, "5.5.6", "Authentication Exchange line is too long");
      set_state (self, MSC_SMTP_SERVER_STATE_READY);
      break;

    case MSC_SMTP_SERVER_STATE_HELO:
    case MSC_SMTP_SERVER_STATE_READY:
    case MSC_SMTP_SERVER_STATE_MAIL:
    case MSC_SMTP_SERVER_STATE_RCPT:
      emit_command (self, line, NULL, FALSE);
      /* RFC 5321 §4.5.3.1: "500 Line too long." */
      reject (self, 500, "5.5.2", "Line too long");
      break;

    case MSC_SMTP_SERVER_STATE_GREETING:
    case MSC_SMTP_SERVER_STATE_WAIT_STORE:
    case MSC_SMTP_SERVER_STATE_STARTTLS:
    case MSC_SMTP_SERVER_STATE_CLOSED:
    case MSC_SMTP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* ---- Message text ---- */

static char *
format_date (gint64 now_usec)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  };
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (now_usec / G_USEC_PER_SEC);

  if (date == NULL)
    date = g_date_time_new_from_unix_utc (0);

  /* Not g_date_time_format(): %a and %b follow the locale, and a header
   * field must say "Thu", not "周四". */
  return g_strdup_printf ("%s, %d %s %d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (date) - 1],
                          g_date_time_get_day_of_month (date),
                          months[g_date_time_get_month (date) - 1],
                          g_date_time_get_year (date),
                          g_date_time_get_hour (date),
                          g_date_time_get_minute (date),
                          g_date_time_get_second (date));
}

/* RFC 5321 §4.4 Time-stamp-line, protocol from RFC 3848 / RFC 6531 §4.3. */
static char *
compose_received (MscSmtpServer *self)
{
  g_autoptr(GString) field = g_string_new ("Received: from ");
  g_autofree char *date = format_date (self->now);
  const char *base;

  g_string_append (field, self->helo_name);
  if (self->peer_address != NULL)
    {
      /* TCP-info = address-literal / ( Domain FWS address-literal ) */
      g_string_append (field, " (");
      if (self->peer_name != NULL)
        g_string_append_printf (field, "%s ", self->peer_name);
      if (strchr (self->peer_address, ':') != NULL)
        g_string_append_printf (field, "[IPv6:%s])", self->peer_address);
      else
        g_string_append_printf (field, "[%s])", self->peer_address);
    }

  if (!self->esmtp)
    base = "SMTP";
  else if (self->smtputf8)
    base = "UTF8SMTP";
  else
    base = "ESMTP";

  g_string_append_printf (field, "\r\n\tby %s with %s%s%s", self->hostname, base,
                          self->esmtp && self->tls_active ? "S" : "",
                          self->esmtp && self->auth_user != NULL ? "A" : "");

  /* With several recipients a "for" clause would tell each of them who
   * else got the mail, Bcc included (RFC 5321 §7.2). */
  if (self->recipients->len == 1)
    {
      MscSmtpRecipient *recipient = g_ptr_array_index (self->recipients, 0);

      g_string_append_printf (field, "\r\n\tfor <%s>", recipient->address);
    }

  g_string_append_printf (field, "; %s\r\n", date);

  return g_string_free (g_steal_pointer (&field), FALSE);
}

static void
end_of_data (MscSmtpServer *self)
{
  MscSmtpServerEvent *event;

  if (self->message_line_too_long)
    {
      reject (self, 500, "5.5.2", "Line too long");
    }
  else if (self->message_too_big)
    {
      /* RFC 1870 §6.3 */
      reject (self, 552, "5.3.4", "Message size exceeds fixed maximum message size");
    }
  else
    {
      set_state (self, MSC_SMTP_SERVER_STATE_WAIT_STORE);

      event = push_event (self, MSC_SMTP_SERVER_EVENT_MESSAGE);
      event->reverse_path = g_strdup (self->reverse_path);
      event->received = compose_received (self);
      event->recipients = g_steal_pointer (&self->recipients);
      event->message = g_byte_array_free_to_bytes (g_steal_pointer (&self->message));
      event->smtputf8 = self->smtputf8;
      event->body_8bitmime = self->body_8bitmime;
      event->user = g_strdup (self->auth_user);

      self->recipients = g_ptr_array_new_with_free_func (recipient_free);
      /* The reply waits for message_done(): a message is acknowledged
       * only once it is stored. */
      return;
    }

  reset_transaction (self);
  set_state (self, MSC_SMTP_SERVER_STATE_READY);
}

static void
handle_data_line (MscSmtpServer *self,
                  const MscLine *line)
{
  const guint8 *data = line->data;
  gsize len = line->len;

  /* Only CRLF "." CRLF ends the data, with real CRLFs on both sides: a
   * bare-LF variant ends nothing here, and is kept as text, so a message
   * cannot smuggle a second one past a server that reads line ends more
   * loosely (SMTP smuggling, CVE-2023-51764/51765/51766). */
  if (line->ending == MSC_LINE_ENDING_CRLF && self->after_crlf && len == 1 && data[0] == '.')
    {
      end_of_data (self);
      return;
    }

  self->after_crlf = line->ending == MSC_LINE_ENDING_CRLF;

  /* RFC 5321 §4.5.2 */
  if (len > 1 && data[0] == '.')
    {
      data++;
      len--;
    }

  if (self->message_too_big)
    return;

  /* RFC 1870 §4 counts the CRLFs but not the stuffed dots.  Bare LFs are
   * stored as CRLF, like Postfix's smtpd_forbid_bare_newline=normalize,
   * so the message can be relayed without the ambiguity. */
  self->message_size += len + 2;
  if (self->message_size > self->max_message_size)
    {
      /* Keep reading to the end of the data, but stop keeping it. */
      self->message_too_big = TRUE;
      g_clear_pointer (&self->message, g_byte_array_unref);
      return;
    }

  if (len > 0)
    g_byte_array_append (self->message, data, len);
  g_byte_array_append (self->message, (const guint8 *) "\r\n", 2);
}

/* ---- Input ---- */

static void
hold_input (MscSmtpServer *self,
            const guint8  *data,
            gsize          len)
{
  if (len == 0)
    return;

  if (self->pending->len + len > PENDING_SLACK + msc_line_reader_get_max_line_length (self->reader))
    {
      /* A 4xx lets the client retry later; the stored message may then
       * arrive twice, which SMTP accepts over losing it. */
      send_replyf (self, 421, "4.7.0", "%s Error: too much pipelined input", self->hostname);
      close_session (self,
                     g_error_new (MSC_SMTP_SERVER_ERROR,
                                  MSC_SMTP_SERVER_ERROR_INPUT_OVERFLOW,
                                  _("The client sent too much without waiting for a reply")));
      return;
    }

  g_byte_array_append (self->pending, data, len);
}

static void
handle_line (MscSmtpServer *self,
             const MscLine *line)
{
  switch (self->state)
    {
    case MSC_SMTP_SERVER_STATE_HELO:
    case MSC_SMTP_SERVER_STATE_READY:
    case MSC_SMTP_SERVER_STATE_MAIL:
    case MSC_SMTP_SERVER_STATE_RCPT:
      handle_command (self, line);
      break;

    case MSC_SMTP_SERVER_STATE_AUTH:
      handle_sasl_response (self, line);
      break;

    case MSC_SMTP_SERVER_STATE_DATA:
      handle_data_line (self, line);
      break;

    case MSC_SMTP_SERVER_STATE_GREETING:
    case MSC_SMTP_SERVER_STATE_WAIT_STORE:
    case MSC_SMTP_SERVER_STATE_STARTTLS:
    case MSC_SMTP_SERVER_STATE_CLOSED:
    case MSC_SMTP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

static void
process_input (MscSmtpServer *self,
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
        case MSC_SMTP_SERVER_STATE_STARTTLS:
          /* The injection guard: bytes that came in the clear after
           * STARTTLS are never read as commands (CVE-2011-0411). */
        case MSC_SMTP_SERVER_STATE_CLOSED:
          /* Whatever follows QUIT or a 421 is ignored. */
          return;

        case MSC_SMTP_SERVER_STATE_WAIT_STORE:
          hold_input (self, data, len);
          return;

        case MSC_SMTP_SERVER_STATE_HELO:
        case MSC_SMTP_SERVER_STATE_READY:
        case MSC_SMTP_SERVER_STATE_AUTH:
        case MSC_SMTP_SERVER_STATE_MAIL:
        case MSC_SMTP_SERVER_STATE_RCPT:
        case MSC_SMTP_SERVER_STATE_DATA:
          break;

        case MSC_SMTP_SERVER_STATE_GREETING:
        case MSC_SMTP_SERVER_N_STATES:
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
msc_smtp_server_dispose (GObject *object)
{
  MscSmtpServer *self = (MscSmtpServer *) object;

  g_clear_object (&self->directory);

  G_OBJECT_CLASS (msc_smtp_server_parent_class)->dispose (object);
}

static void
msc_smtp_server_finalize (GObject *object)
{
  MscSmtpServer *self = (MscSmtpServer *) object;

  end_sasl (self);
  reset_transaction (self);

  g_clear_pointer (&self->reader, msc_line_reader_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_smtp_server_event_free);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  g_clear_error (&self->close_reason);
  g_clear_pointer (&self->recipients, g_ptr_array_unref);
  g_free (self->hostname);
  g_free (self->peer_name);
  g_free (self->peer_address);
  g_free (self->helo_name);
  g_free (self->auth_user);

  G_OBJECT_CLASS (msc_smtp_server_parent_class)->finalize (object);
}

static void
msc_smtp_server_class_init (MscSmtpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_smtp_server_dispose;
  object_class->finalize = msc_smtp_server_finalize;
}

static void
msc_smtp_server_init (MscSmtpServer *self)
{
  self->output = g_byte_array_new ();
  self->pending = g_byte_array_new ();
  self->recipients = g_ptr_array_new_with_free_func (recipient_free);
  g_queue_init (&self->events);
}

MscSmtpServer *
msc_smtp_server_new (const MscSmtpServerConfig *config,
                     MscDirectory              *directory)
{
  MscSmtpServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->hostname != NULL && *config->hostname != '\0', NULL);
  /* RFC 6531 §3.7.1: the name we announce is ASCII (A-labels). */
  g_return_val_if_fail (g_str_is_ascii (config->hostname), NULL);
  g_return_val_if_fail (config->role == MSC_SMTP_SERVER_ROLE_MX ||
                        config->role == MSC_SMTP_SERVER_ROLE_SUBMISSION, NULL);
  g_return_val_if_fail (MSC_IS_DIRECTORY (directory), NULL);

  self = g_object_new (MSC_TYPE_SMTP_SERVER, NULL);

  self->directory = g_object_ref (directory);
  self->hostname = g_strdup (config->hostname);
  self->peer_name = g_strdup (config->peer_name);
  self->peer_address = g_strdup (config->peer_address);
  self->role = config->role;
  self->max_message_size = config->max_message_size > 0 ? config->max_message_size
                                                        : DEFAULT_MAX_MESSAGE_SIZE;
  self->max_recipients = config->max_recipients > 0 ? config->max_recipients
                                                    : DEFAULT_MAX_RECIPIENTS;
  self->max_errors = config->max_errors > 0 ? config->max_errors : DEFAULT_MAX_ERRORS;
  self->tls_active = config->tls_active;
  self->tls_available = config->tls_available;
  self->allow_insecure_auth = config->allow_insecure_auth;
  self->command_timeout = config->command_timeout_usec > 0 ? config->command_timeout_usec
                                                           : DEFAULT_TIMEOUT_USEC;
  self->data_timeout = config->data_timeout_usec > 0 ? config->data_timeout_usec
                                                     : DEFAULT_TIMEOUT_USEC;
  self->reader = msc_line_reader_new (MAX (config->max_line_length > 0 ? config->max_line_length
                                                                       : DEFAULT_MAX_LINE_LENGTH,
                                           3));

  return self;
}

void
msc_smtp_server_start (MscSmtpServer *self)
{
  g_return_if_fail (MSC_IS_SMTP_SERVER (self));
  g_return_if_fail (self->state == MSC_SMTP_SERVER_STATE_GREETING);

  self->last_activity = self->now;
  /* RFC 2034 §4 exempts the greeting from enhanced codes. */
  send_replyf (self, 220, NULL, "%s ESMTP Mailscope", self->hostname);
  set_state (self, MSC_SMTP_SERVER_STATE_HELO);
}

gboolean
msc_smtp_server_feed (MscSmtpServer  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_SMTP_SERVER_STATE_GREETING, FALSE);

  if (self->state == MSC_SMTP_SERVER_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_CLOSED,
                           _("The SMTP session is already closed"));
      return FALSE;
    }

  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_SMTP_SERVER_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_smtp_server_take_output (MscSmtpServer *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), NULL);

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

MscSmtpServerEvent *
msc_smtp_server_next_event (MscSmtpServer *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_smtp_server_set_now (MscSmtpServer *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_SMTP_SERVER (self));

  self->now = now_usec;
}

gint64
msc_smtp_server_get_deadline (MscSmtpServer *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), -1);

  switch (self->state)
    {
    case MSC_SMTP_SERVER_STATE_HELO:
    case MSC_SMTP_SERVER_STATE_READY:
    case MSC_SMTP_SERVER_STATE_AUTH:
    case MSC_SMTP_SERVER_STATE_MAIL:
    case MSC_SMTP_SERVER_STATE_RCPT:
      return self->last_activity + self->command_timeout;

    case MSC_SMTP_SERVER_STATE_DATA:
      return self->last_activity + self->data_timeout;

    /* The handshake and the store are the layer around's to time: a
     * plaintext 421 in the middle of a TLS handshake would be garbage. */
    case MSC_SMTP_SERVER_STATE_GREETING:
    case MSC_SMTP_SERVER_STATE_WAIT_STORE:
    case MSC_SMTP_SERVER_STATE_STARTTLS:
    case MSC_SMTP_SERVER_STATE_CLOSED:
    case MSC_SMTP_SERVER_N_STATES:
    default:
      return -1;
    }
}

gboolean
msc_smtp_server_check_timeout (MscSmtpServer *self)
{
  gint64 deadline;
  gint64 idle;

  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), FALSE);

  deadline = msc_smtp_server_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  idle = (self->now - self->last_activity) / G_USEC_PER_SEC;
  send_replyf (self, 421, "4.4.2", "%s Error: timeout exceeded", self->hostname);
  close_session (self,
                 g_error_new (MSC_SMTP_SERVER_ERROR, MSC_SMTP_SERVER_ERROR_TIMEOUT,
                              ngettext ("The client sent nothing for %lu second",
                                        "The client sent nothing for %lu seconds",
                                        (gulong) idle),
                              (gulong) idle));

  return TRUE;
}

void
msc_smtp_server_tls_started (MscSmtpServer *self)
{
  g_return_if_fail (MSC_IS_SMTP_SERVER (self));

  /* The session may have timed out or ended while the handshake ran. */
  if (self->state == MSC_SMTP_SERVER_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_SMTP_SERVER_STATE_STARTTLS);

  /* RFC 3207 §4.2: forget everything not learnt from TLS itself. */
  self->tls_active = TRUE;
  self->esmtp = FALSE;
  g_clear_pointer (&self->helo_name, g_free);
  g_clear_pointer (&self->auth_user, g_free);
  end_sasl (self);
  reset_transaction (self);
  msc_line_reader_reset (self->reader);
  g_byte_array_set_size (self->pending, 0);
  self->last_activity = self->now;

  set_state (self, MSC_SMTP_SERVER_STATE_HELO);
}

void
msc_smtp_server_message_done (MscSmtpServer *self,
                              const GError  *error)
{
  g_autoptr(GByteArray) held = NULL;

  g_return_if_fail (MSC_IS_SMTP_SERVER (self));

  /* The session may have ended while the store worked. */
  if (self->state == MSC_SMTP_SERVER_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_SMTP_SERVER_STATE_WAIT_STORE);

  /* The store's own message is for the user, in their language; the wire
   * gets the protocol's English. */
  if (error == NULL)
    send_reply (self, 250, "2.0.0", "Message accepted for delivery");
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    send_reply (self, 452, "4.3.1", "Insufficient system storage");
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    send_reply (self, 552, "5.3.4", "Message too big for system");
  else
    send_reply (self, 451, "4.3.0", "Local error in processing");

  reset_transaction (self);
  self->last_activity = self->now;
  set_state (self, MSC_SMTP_SERVER_STATE_READY);

  /* Commands pipelined behind the message were held until now. */
  held = g_steal_pointer (&self->pending);
  self->pending = g_byte_array_new ();
  process_input (self, held->data, held->len);
}

MscSmtpServerState
msc_smtp_server_get_state (MscSmtpServer *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), MSC_SMTP_SERVER_STATE_CLOSED);

  return self->state;
}

gboolean
msc_smtp_server_want_read (MscSmtpServer *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), FALSE);

  switch (self->state)
    {
    case MSC_SMTP_SERVER_STATE_HELO:
    case MSC_SMTP_SERVER_STATE_READY:
    case MSC_SMTP_SERVER_STATE_AUTH:
    case MSC_SMTP_SERVER_STATE_MAIL:
    case MSC_SMTP_SERVER_STATE_RCPT:
    case MSC_SMTP_SERVER_STATE_DATA:
      return TRUE;

    case MSC_SMTP_SERVER_STATE_GREETING:
    case MSC_SMTP_SERVER_STATE_WAIT_STORE:
    case MSC_SMTP_SERVER_STATE_STARTTLS:
    case MSC_SMTP_SERVER_STATE_CLOSED:
    case MSC_SMTP_SERVER_N_STATES:
    default:
      return FALSE;
    }
}

gboolean
msc_smtp_server_is_closed (MscSmtpServer *self)
{
  g_return_val_if_fail (MSC_IS_SMTP_SERVER (self), TRUE);

  return self->state == MSC_SMTP_SERVER_STATE_CLOSED;
}
