/* msc-pop3-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-pop3-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-line-reader.h"
#include "msc-pop3-client.h"
#include "msc-wire.h"

/* RFC 1939 §3 bounds a status line at 512 octets, but message lines are
 * RFC 5322 text and real mail breaks its 998 limit; one generous bound
 * serves both. */
#define DEFAULT_MAX_LINE_LENGTH  (64 * 1024)
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024 * 1024)
/* No RFC sets a client timeout; this is Outlook's default "server
 * timeout".  The server's own autologout is at least 10 minutes (§3). */
#define DEFAULT_TIMEOUT_USEC     (60 * G_USEC_PER_SEC)
#define DEFAULT_KEEP_DAYS        14
/* Commands in flight at once with PIPELINING (RFC 2449 §6.6): enough to
 * keep the link busy, few enough that neither side's buffers fill up. */
#define PIPELINE_WINDOW          32
/* RFC 1939 §7 says 1 to 70 characters; some servers send longer ones, and
 * refusing them would make their mail unreachable. */
#define MAX_UIDL_LENGTH          512
/* Bounds what a server can make the client allocate with STAT. */
#define MAX_MESSAGES             100000

typedef enum
{
  CMD_GREETING,  /* not sent: the wait for the greeting */
  CMD_CAPA,
  CMD_STLS,
  CMD_USER,
  CMD_PASS,
  CMD_APOP,
  CMD_AUTH,
  CMD_STAT,
  CMD_UIDL,
  CMD_RETR,
  CMD_TOP,
  CMD_DELE,
  CMD_QUIT,
} CommandKind;

typedef struct
{
  CommandKind  kind;
  guint        number;  /* RETR, TOP, DELE */
  char        *line;    /* without CRLF */
  gboolean     secret;
} Command;

/* One message on the server, as this session numbers it. */
typedef struct
{
  guint     number;
  char     *key;        /* the UIDL, or a made-up key when there is none */
  gboolean  retrieved;  /* RETR stored it in this session */
  gboolean  marked;     /* DELE got +OK */
} ServerMessage;

struct _MscPop3Client
{
  GObject                  parent_instance;

  /* Owned references */
  MscDeviceStore          *store;
  MscLineReader           *reader;
  GByteArray              *output;
  GQueue                   events;
  GQueue                   pending;    /* Command: not sent yet */
  GQueue                   in_flight;  /* Command: sent, oldest first */
  GHashTable              *capabilities;  /* upper-cased name → parameters */
  GPtrArray               *messages;   /* ServerMessage, by number */
  MscPop3ClientOutcome    *outcome;
  GError                  *failure;    /* ending the check: QUIT is under way */
  gboolean                 failure_transient;
  GError                  *close_reason;

  /* Configuration */
  char                    *user;
  char                    *password;
  MscPop3ClientAuthMethod  auth_method;
  MscPop3ClientTlsMode     tls_mode;
  gboolean                 allow_auth_without_tls;
  gboolean                 disable_pipelining;
  MscPop3ClientRetention   retention;
  guint                    keep_days;
  gboolean                 headers_only;
  guint                    preview_lines;
  gsize                    max_message_size;
  gint64                   timeout;

  /* Session */
  MscPop3ClientState       state;
  gboolean                 tls_active;
  gboolean                 capa_ok;
  gboolean                 pipelining;
  gboolean                 have_uidl;
  char                    *apop_timestamp;
  guint                    n_messages;
  guint                    n_new;
  guint                    n_downloaded;
  gint64                   now;
  gint64                   last_activity;

  /* The reply being read */
  gboolean                 in_multiline;
  GByteArray              *wire;
  GByteArray              *body;
  gboolean                 reply_ok;
  gboolean                 reply_continuation;
  char                    *reply_code;
  char                    *reply_text;
};

G_DEFINE_FINAL_TYPE (MscPop3Client, msc_pop3_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-pop3-client-error-quark, msc_pop3_client_error)

static const char * const state_names[] = {
  "connect", "greeting", "capa", "stls", "tls-handshake", "auth", "list",
  "download", "delete", "quit", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_POP3_CLIENT_N_STATES);

static const char * const event_kind_names[] = {
  "command", "reply", "state-changed", "starttls", "downloaded",
  "deleted-on-server", "warning", "done", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_POP3_CLIENT_N_EVENT_KINDS);

const char *
msc_pop3_client_state_get_name (MscPop3ClientState state)
{
  g_return_val_if_fail (state < MSC_POP3_CLIENT_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_pop3_client_event_kind_get_name (MscPop3ClientEventKind kind)
{
  g_return_val_if_fail (kind < MSC_POP3_CLIENT_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

MscPop3ClientOutcome *
msc_pop3_client_outcome_copy (const MscPop3ClientOutcome *outcome)
{
  MscPop3ClientOutcome *copy;

  g_return_val_if_fail (outcome != NULL, NULL);

  copy = g_memdup2 (outcome, sizeof *outcome);
  copy->error = outcome->error != NULL ? g_error_copy (outcome->error) : NULL;

  return copy;
}

void
msc_pop3_client_outcome_free (MscPop3ClientOutcome *outcome)
{
  if (outcome == NULL)
    return;

  g_clear_error (&outcome->error);
  g_free (outcome);
}

void
msc_pop3_client_event_free (MscPop3ClientEvent *event)
{
  if (event == NULL)
    return;

  if (event->secret)
    msc_wire_free_secret (event->line);
  else
    g_free (event->line);
  g_free (event->verb);
  g_free (event->code);
  g_free (event->text);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->key);
  g_clear_pointer (&event->outcome, msc_pop3_client_outcome_free);
  g_clear_error (&event->error);
  g_free (event);
}

static void
command_free (Command *command)
{
  if (command->secret)
    msc_wire_free_secret (command->line);
  else
    g_free (command->line);
  g_free (command);
}

static void
server_message_free (ServerMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->key);
  g_free (message);
}

static MscPop3ClientEvent *
push_event (MscPop3Client          *self,
            MscPop3ClientEventKind  kind)
{
  MscPop3ClientEvent *event = g_new0 (MscPop3ClientEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscPop3Client      *self,
           MscPop3ClientState  state)
{
  MscPop3ClientEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_POP3_CLIENT_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

/* Takes @warning. */
static void
warn (MscPop3Client *self,
      GError        *warning)
{
  g_debug ("warning: %s", warning->message);
  push_event (self, MSC_POP3_CLIENT_EVENT_WARNING)->error = warning;
}

/* ---- Sending ---- */

static void G_GNUC_PRINTF (5, 6)
queue_command (MscPop3Client *self,
               CommandKind    kind,
               guint          number,
               gboolean       secret,
               const char    *format,
               ...)
{
  Command *command = g_new0 (Command, 1);
  va_list args;

  va_start (args, format);
  command->line = g_strdup_vprintf (format, args);
  va_end (args);

  command->kind = kind;
  command->number = number;
  command->secret = secret;
  g_queue_push_tail (&self->pending, command);
}

static gboolean
in_transaction (MscPop3Client *self)
{
  return self->state == MSC_POP3_CLIENT_STATE_LIST ||
         self->state == MSC_POP3_CLIENT_STATE_DOWNLOAD ||
         self->state == MSC_POP3_CLIENT_STATE_DELETE ||
         self->state == MSC_POP3_CLIENT_STATE_QUIT;
}

/* Writes what may go out now: one command at a time, or with PIPELINING
 * a window of them.  Pipelining starts only once authenticated: a refused
 * USER or a STLS must be seen before anything follows it. */
static void
flush_commands (MscPop3Client *self)
{
  guint window = self->pipelining && in_transaction (self) ? PIPELINE_WINDOW : 1;

  while (!g_queue_is_empty (&self->pending) && g_queue_get_length (&self->in_flight) < window)
    {
      Command *command = g_queue_pop_head (&self->pending);
      MscPop3ClientEvent *event = push_event (self, MSC_POP3_CLIENT_EVENT_COMMAND);
      GString *wire = g_string_new (command->line);
      const char *space = strchr (command->line, ' ');

      g_string_append (wire, "\r\n");
      g_byte_array_append (self->output, (const guint8 *) wire->str, wire->len);

      event->line = g_strdup (command->line);
      event->verb = g_ascii_strup (command->line, space != NULL ? space - command->line : -1);
      event->secret = command->secret;
      event->wire = g_string_free_to_bytes (wire);

      g_queue_push_tail (&self->in_flight, command);

      if (command->kind == CMD_QUIT)
        set_state (self, MSC_POP3_CLIENT_STATE_QUIT);
    }
}

/* ---- Ending ---- */

static gboolean
is_transient (const GError *error)
{
  if (error == NULL || error->domain != MSC_POP3_CLIENT_ERROR)
    return FALSE;

  switch ((MscPop3ClientError) error->code)
    {
    case MSC_POP3_CLIENT_ERROR_TIMEOUT:
    case MSC_POP3_CLIENT_ERROR_CONNECTION_LOST:
    case MSC_POP3_CLIENT_ERROR_IN_USE:
    case MSC_POP3_CLIENT_ERROR_LOGIN_DELAY:
    case MSC_POP3_CLIENT_ERROR_UPDATE_FAILED:
      return TRUE;

    /* SERVER_FAILURE is transient for [SYS/TEMP] only: failure_transient. */
    case MSC_POP3_CLIENT_ERROR_SERVER_FAILURE:
    case MSC_POP3_CLIENT_ERROR_CLOSED:
    case MSC_POP3_CLIENT_ERROR_PROTOCOL:
    case MSC_POP3_CLIENT_ERROR_LINE_TOO_LONG:
    case MSC_POP3_CLIENT_ERROR_MESSAGE_TOO_BIG:
    case MSC_POP3_CLIENT_ERROR_SERVICE_UNAVAILABLE:
    case MSC_POP3_CLIENT_ERROR_TLS_UNAVAILABLE:
    case MSC_POP3_CLIENT_ERROR_AUTH_INSECURE:
    case MSC_POP3_CLIENT_ERROR_AUTH_UNAVAILABLE:
    case MSC_POP3_CLIENT_ERROR_AUTH_FAILED:
    case MSC_POP3_CLIENT_ERROR_NO_UIDL:
    case MSC_POP3_CLIENT_ERROR_NO_COPY_KEPT:
    case MSC_POP3_CLIENT_ERROR_RETRIEVE_FAILED:
    case MSC_POP3_CLIENT_ERROR_DELETE_FAILED:
    default:
      return FALSE;
    }
}

static void
raise_done (MscPop3Client *self,
            const GError  *error,
            guint          n_deleted)
{
  MscPop3ClientOutcome *outcome = g_new0 (MscPop3ClientOutcome, 1);

  g_assert (self->outcome == NULL);

  outcome->success = error == NULL;
  outcome->transient = error != NULL && (is_transient (error) || self->failure_transient);
  outcome->n_messages = self->n_messages;
  outcome->n_new = self->n_new;
  outcome->n_downloaded = self->n_downloaded;
  outcome->n_deleted = n_deleted;
  outcome->error = error != NULL ? g_error_copy (error) : NULL;
  self->outcome = outcome;

  push_event (self, MSC_POP3_CLIENT_EVENT_DONE)->outcome = msc_pop3_client_outcome_copy (outcome);
}

static void
clear_reply (MscPop3Client *self)
{
  self->in_multiline = FALSE;
  g_byte_array_set_size (self->wire, 0);
  g_byte_array_set_size (self->body, 0);
  self->reply_ok = FALSE;
  self->reply_continuation = FALSE;
  g_clear_pointer (&self->reply_code, g_free);
  g_clear_pointer (&self->reply_text, g_free);
}

static void
end_session (MscPop3Client *self,
             GError        *reason)
{
  g_queue_clear_full (&self->pending, (GDestroyNotify) command_free);
  g_queue_clear_full (&self->in_flight, (GDestroyNotify) command_free);
  msc_line_reader_reset (self->reader);
  clear_reply (self);

  set_state (self, MSC_POP3_CLIENT_STATE_CLOSED);

  push_event (self, MSC_POP3_CLIENT_EVENT_CLOSED)->error =
    reason != NULL ? g_error_copy (reason) : NULL;
  if (reason != NULL)
    {
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

/* Ends the session without QUIT: the server enters no UPDATE state, so
 * nothing marked is deleted (RFC 1939 §6).  Takes @reason. */
static void
close_session (MscPop3Client *self,
               GError        *reason)
{
  g_assert (self->state != MSC_POP3_CLIENT_STATE_CLOSED);
  g_assert (reason != NULL);

  if (self->outcome == NULL)
    raise_done (self, self->failure != NULL ? self->failure : reason, 0);

  end_session (self, reason);
}

/* Ends the check but says QUIT first, as real mail apps do.  Replies to
 * commands already in flight are read and ignored.  Takes @error. */
static void
fail (MscPop3Client *self,
      GError        *error)
{
  g_assert (self->failure == NULL);

  g_debug ("failing: %s", error->message);

  self->failure = error;
  g_queue_clear_full (&self->pending, (GDestroyNotify) command_free);
  queue_command (self, CMD_QUIT, 0, FALSE, "QUIT");
}

static void G_GNUC_PRINTF (3, 4)
protocol_error (MscPop3Client      *self,
                MscPop3ClientError  code,
                const char         *format,
                ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (MSC_POP3_CLIENT_ERROR, code, format, args);
  va_end (args);

  close_session (self, error);
}

/* ---- Capabilities (RFC 2449 §6) ---- */

static const char *
get_capability (MscPop3Client *self,
                const char    *name)
{
  return self->capa_ok ? g_hash_table_lookup (self->capabilities, name) : NULL;
}

static gboolean
has_sasl (MscPop3Client *self,
          const char    *mechanism)
{
  const char *sasl = get_capability (self, "SASL");
  g_auto(GStrv) mechanisms = NULL;

  if (sasl == NULL)
    return FALSE;

  mechanisms = g_strsplit (sasl, " ", -1);
  for (guint i = 0; mechanisms[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (mechanisms[i], mechanism) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
parse_capabilities (MscPop3Client *self)
{
  g_autofree char *text = g_strndup ((const char *) self->body->data, self->body->len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *space = strchr (line, ' ');

      if (*line == '\0')
        continue;

      g_hash_table_insert (self->capabilities,
                           g_ascii_strup (line, space != NULL ? space - line : -1),
                           g_strdup (space != NULL ? g_strchug (space + 1) : ""));
    }
}

/* ---- The conversation ---- */

static void
send_capa (MscPop3Client *self)
{
  set_state (self, MSC_POP3_CLIENT_STATE_CAPA);
  queue_command (self, CMD_CAPA, 0, FALSE, "CAPA");
}

/* RFC 1939 §7: the greeting's msg-id, "<process-ID.clock@hostname>". */
static char *
find_apop_timestamp (const char *greeting)
{
  const char *start = strchr (greeting, '<');
  const char *end = start != NULL ? strchr (start, '>') : NULL;

  if (end == NULL)
    return NULL;

  for (const char *p = start + 1; p < end; p++)
    {
      if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || *p == '<')
        return NULL;
    }

  if (memchr (start, '@', end - start) == NULL)
    return NULL;

  return g_strndup (start, end - start + 1);
}

static char *
compute_apop_digest (const char *timestamp,
                     const char *password)
{
  g_autofree char *input = g_strconcat (timestamp, password, NULL);
  char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, input, -1);

  memset (input, 0, strlen (input));

  return digest;
}

/* Maps a refused sign-in to what a mail app tells its user.  RFC 2449
 * §8.1 and RFC 3206 put the reason in a response code. */
static GError *
auth_error (MscPop3Client *self)
{
  const char *code = self->reply_code;

  if (code != NULL && g_ascii_strcasecmp (code, "IN-USE") == 0)
    return g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_IN_USE,
                                _("The server says the mailbox is in use by another device ([IN-USE])"));
  if (code != NULL && g_ascii_strcasecmp (code, "LOGIN-DELAY") == 0)
    return g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_LOGIN_DELAY,
                                _("The server allows checking this mailbox only every few "
                                  "minutes ([LOGIN-DELAY])"));
  if (code != NULL && g_ascii_strcasecmp (code, "SYS/TEMP") == 0)
    {
      self->failure_transient = TRUE;
      return g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_SERVER_FAILURE,
                                  _("The server has a temporary problem; try again later ([SYS/TEMP])"));
    }
  if (code != NULL && g_ascii_strcasecmp (code, "SYS/PERM") == 0)
    return g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_SERVER_FAILURE,
                                _("The server cannot open this mailbox ([SYS/PERM])"));

  /* [AUTH] (RFC 3206 §4) or no code: the usual reason is the password. */
  return g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_FAILED,
                              _("Wrong user name or password"));
}

static void
check_expire (MscPop3Client *self)
{
  const char *expire = get_capability (self, "EXPIRE");

  /* RFC 2449 §6.7: "EXPIRE 0" means the server deletes every message once
   * it is retrieved, whatever the client asks. */
  if (expire == NULL || self->retention == MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD ||
      !(expire[0] == '0' && (expire[1] == '\0' || expire[1] == ' ')))
    return;

  warn (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_NO_COPY_KEPT,
                                   _("The server deletes every message once it is downloaded (EXPIRE 0), "
                                     "so no copy can be left on it")));
}

/* Picks the sign-in method.  AUTO follows what the server offers: over
 * plaintext APOP first, because the password itself never travels;
 * otherwise (and always under TLS) SASL PLAIN, then USER/PASS, the order
 * of Thunderbird's "normal password". */
static void
begin_auth (MscPop3Client *self)
{
  gboolean may_send_password = self->tls_active || self->allow_auth_without_tls;
  /* Without CAPA nothing is known (RFC 1939 only): USER is the one method
   * nearly every server has. */
  gboolean offers_user = !self->capa_ok || get_capability (self, "USER") != NULL;
  gboolean offers_plain = has_sasl (self, "PLAIN");
  gboolean offers_apop = self->apop_timestamp != NULL;
  MscPop3ClientAuthMethod method = self->auth_method;

  check_expire (self);

  self->pipelining = !self->disable_pipelining && get_capability (self, "PIPELINING") != NULL;

  set_state (self, MSC_POP3_CLIENT_STATE_AUTH);

  if (method == MSC_POP3_CLIENT_AUTH_AUTO)
    {
      if (offers_apop && !self->tls_active)
        method = MSC_POP3_CLIENT_AUTH_APOP;
      else if (offers_plain)
        method = MSC_POP3_CLIENT_AUTH_PLAIN;
      else if (offers_user)
        method = MSC_POP3_CLIENT_AUTH_USER;
      else if (offers_apop)
        method = MSC_POP3_CLIENT_AUTH_APOP;
      else
        method = MSC_POP3_CLIENT_AUTH_USER;  /* refused below, with the reason */
    }

  switch (method)
    {
    case MSC_POP3_CLIENT_AUTH_USER:
    case MSC_POP3_CLIENT_AUTH_PLAIN:
      /* Refuse before the user name goes out, not after. */
      if (!may_send_password)
        {
          fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_INSECURE,
                                           _("The connection is not encrypted, and this account does not "
                                             "allow sending the password in plaintext")));
          return;
        }
      if (method == MSC_POP3_CLIENT_AUTH_USER && !offers_user)
        {
          fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_UNAVAILABLE,
                                           _("The server does not accept USER and PASS on this connection")));
          return;
        }
      /* RFC 5034 came after CAPA: without CAPA, just try it. */
      if (method == MSC_POP3_CLIENT_AUTH_PLAIN && self->capa_ok && !offers_plain)
        {
          fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_UNAVAILABLE,
                                           _("The server does not offer AUTH PLAIN on this connection")));
          return;
        }
      break;

    case MSC_POP3_CLIENT_AUTH_APOP:
      if (!offers_apop)
        {
          fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_AUTH_UNAVAILABLE,
                                           _("The server does not offer APOP (its greeting has "
                                             "no timestamp)")));
          return;
        }
      break;

    case MSC_POP3_CLIENT_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }

  switch (method)
    {
    case MSC_POP3_CLIENT_AUTH_USER:
      queue_command (self, CMD_USER, 0, FALSE, "USER %s", self->user);
      break;

    case MSC_POP3_CLIENT_AUTH_PLAIN:
      {
        /* RFC 4616: [authzid] NUL authcid NUL passwd, sent as the initial
         * response (RFC 5034 §4) to save a round trip. */
        gsize user_len = strlen (self->user);
        gsize password_len = strlen (self->password);
        gsize len = 1 + user_len + 1 + password_len;
        guchar *message = g_malloc0 (len);
        char *encoded;

        memcpy (message + 1, self->user, user_len);
        memcpy (message + 2 + user_len, self->password, password_len);
        encoded = g_base64_encode (message, len);
        queue_command (self, CMD_AUTH, 0, TRUE, "AUTH PLAIN %s", encoded);

        memset (message, 0, len);
        g_free (message);
        msc_wire_free_secret (encoded);
      }
      break;

    case MSC_POP3_CLIENT_AUTH_APOP:
      {
        char *digest = compute_apop_digest (self->apop_timestamp, self->password);

        queue_command (self, CMD_APOP, 0, TRUE, "APOP %s %s", self->user, digest);
        msc_wire_free_secret (digest);
      }
      break;

    case MSC_POP3_CLIENT_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }
}

static void
begin_transaction (MscPop3Client *self)
{
  set_state (self, MSC_POP3_CLIENT_STATE_LIST);
  queue_command (self, CMD_STAT, 0, FALSE, "STAT");
  if (self->pipelining)
    queue_command (self, CMD_UIDL, 0, FALSE, "UIDL");
}

static ServerMessage *
get_server_message (MscPop3Client *self,
                    guint          number)
{
  ServerMessage *message;

  g_assert (number >= 1 && number <= self->messages->len);
  message = g_ptr_array_index (self->messages, number - 1);
  g_assert (message != NULL);

  return message;
}

/* The bytes of the full message are on this device now, or were. */
static gboolean
was_downloaded (MscDeviceMessage *local,
                gboolean          seen)
{
  return local != NULL ? msc_device_message_is_complete (local) : seen;
}

/* The retention option, message by message. */
static gboolean
should_delete (MscPop3Client *self,
               ServerMessage *message)
{
  MscDeviceMessage *local;
  gint64 when = 0;
  gboolean seen;

  if (!self->have_uidl)
    {
      /* Without unique-ids nothing can be recognised on a later check:
       * only "download and delete" is still meaningful. */
      return self->retention == MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD && message->retrieved;
    }

  local = msc_device_store_lookup (self->store, message->key);
  seen = msc_device_store_has_seen (self->store, message->key, &when);

  switch (self->retention)
    {
    case MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD:
      /* Also what an earlier "keep" check left behind: the option now
       * says this device is where the mail lives. */
      return was_downloaded (local, seen);

    case MSC_POP3_CLIENT_KEEP:
      return FALSE;

    case MSC_POP3_CLIENT_KEEP_DAYS:
      if (!was_downloaded (local, seen))
        return FALSE;
      if (!seen)
        when = msc_device_message_get_downloaded (local);
      return self->now - when >= (gint64) self->keep_days * 24 * 60 * 60 * G_USEC_PER_SEC;

    case MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY:
      /* Deleted here: gone from the device, or in Trash (Thunderbird's
       * "until I delete them" counts a move to Trash). */
      return seen && (local == NULL ||
                      (msc_device_message_get_flags (local) & MSC_DEVICE_FLAG_DELETED) != 0);

    default:
      g_assert_not_reached ();
    }
}

static void
begin_delete (MscPop3Client *self)
{
  for (guint i = 0; i < self->messages->len; i++)
    {
      ServerMessage *message = g_ptr_array_index (self->messages, i);

      if (message != NULL && should_delete (self, message))
        queue_command (self, CMD_DELE, message->number, FALSE, "DELE %u", message->number);
    }

  if (!g_queue_is_empty (&self->pending))
    set_state (self, MSC_POP3_CLIENT_STATE_DELETE);

  /* With PIPELINING, QUIT follows the DELEs in the same batch: a refused
   * DELE changes nothing about ending the session. */
  queue_command (self, CMD_QUIT, 0, FALSE, "QUIT");
}

static void
begin_download (MscPop3Client *self)
{
  /* TOP is optional (RFC 1939 §7); CAPA says whether it is there. */
  gboolean use_top = self->headers_only && (!self->capa_ok || get_capability (self, "TOP") != NULL);

  for (guint i = 0; i < self->messages->len; i++)
    {
      ServerMessage *message = g_ptr_array_index (self->messages, i);
      MscDeviceMessage *local = NULL;

      if (message == NULL)
        continue;

      if (self->have_uidl)
        {
          local = msc_device_store_lookup (self->store, message->key);

          if (local != NULL)
            {
              /* A preview gets its body once previews are no longer asked for. */
              if (msc_device_message_is_complete (local) || self->headers_only)
                continue;
            }
          else if (msc_device_store_has_seen (self->store, message->key, NULL))
            {
              /* Downloaded before and since deleted or moved away here:
               * never download a message twice. */
              continue;
            }
        }

      if (use_top && local == NULL)
        queue_command (self, CMD_TOP, message->number, FALSE, "TOP %u %u",
                       message->number, self->preview_lines);
      else
        queue_command (self, CMD_RETR, message->number, FALSE, "RETR %u", message->number);
    }

  if (g_queue_is_empty (&self->pending))
    begin_delete (self);
  else
    set_state (self, MSC_POP3_CLIENT_STATE_DOWNLOAD);
}

/* A key that cannot match anything on a later check. */
static void
make_up_keys (MscPop3Client *self)
{
  for (guint number = 1; number <= self->n_messages; number++)
    {
      ServerMessage *message = g_new0 (ServerMessage, 1);

      message->number = number;
      message->key = g_strdup_printf ("no-uidl/%" G_GINT64_FORMAT "/%u", self->now, number);
      /* Two checks in the same microsecond (a test, a lesson). */
      for (guint i = 2; msc_device_store_lookup (self->store, message->key) != NULL; i++)
        {
          g_free (message->key);
          message->key = g_strdup_printf ("no-uidl/%" G_GINT64_FORMAT "/%u-%u", self->now, number, i);
        }
      g_ptr_array_add (self->messages, message);
    }
}

static gboolean
is_valid_uidl (const char *uidl)
{
  gsize len = strlen (uidl);

  if (len == 0 || len > MAX_UIDL_LENGTH)
    return FALSE;

  /* RFC 1939 §7: 0x21 to 0x7E. */
  for (const char *p = uidl; *p != '\0'; p++)
    {
      if (*p < 0x21 || *p > 0x7e)
        return FALSE;
    }

  return TRUE;
}

/* "msg-number SP unique-id" per line (RFC 1939 §7).  Returns FALSE, having
 * closed the session, when the listing is not one. */
static gboolean
parse_uidl_listing (MscPop3Client *self)
{
  g_autofree char *text = g_strndup ((const char *) self->body->data, self->body->len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) server_message_free);

  if (self->body->len > 0 && memchr (self->body->data, '\0', self->body->len) != NULL)
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server sent a NUL byte in its list of unique-ids"));
      return FALSE;
    }

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *space = strchr (line, ' ');
      ServerMessage *message;
      guint64 number;

      if (*line == '\0' && lines[i + 1] == NULL)
        break;

      if (space != NULL)
        *space = '\0';
      if (space == NULL ||
          !g_ascii_string_to_unsigned (line, 10, 1, self->n_messages, &number, NULL) ||
          !is_valid_uidl (g_strchug (space + 1)) ||
          g_hash_table_contains (keys, space + 1))
        {
          g_autofree char *shown = g_utf8_make_valid (lines[i], -1);

          protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                          _("The server sent an invalid line in its list of unique-ids: “%s”"),
                          shown);
          return FALSE;
        }

      message = g_new0 (ServerMessage, 1);
      message->number = number;
      message->key = g_strdup (space + 1);
      g_hash_table_add (keys, message->key);
      g_ptr_array_add (messages, message);
    }

  /* Numbered listing, any order the server chose, one per message. */
  g_ptr_array_set_size (self->messages, 0);
  g_ptr_array_set_size (self->messages, self->n_messages);
  for (guint i = 0; i < messages->len; i++)
    {
      ServerMessage *message = g_ptr_array_index (messages, i);

      if (g_ptr_array_index (self->messages, message->number - 1) != NULL)
        {
          protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                          _("The server listed message %u twice"), message->number);
          return FALSE;
        }
      /* A message the listing leaves out keeps a NULL slot: it cannot be
       * recognised, so it is left alone, as if it was not there. */
      g_ptr_array_index (self->messages, message->number - 1) = message;
      g_ptr_array_index (messages, i) = NULL;
    }

  /* Forget what the server no longer has, as Thunderbird does with its
   * popstate.dat: unique-ids are never reused (RFC 1939 §7), and the
   * record would otherwise grow for ever. */
  {
    g_auto(GStrv) seen = msc_device_store_list_seen (self->store);

    for (guint i = 0; seen[i] != NULL; i++)
      {
        if (!g_hash_table_contains (keys, seen[i]))
          msc_device_store_forget_seen (self->store, seen[i]);
      }
  }

  return TRUE;
}

static void
on_greeting (MscPop3Client *self)
{
  if (!self->reply_ok)
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_SERVICE_UNAVAILABLE,
                      _("The server refused the connection: “%s”"), self->reply_text);
      return;
    }

  self->apop_timestamp = find_apop_timestamp (self->reply_text);
  send_capa (self);
}

static void
on_capa (MscPop3Client *self)
{
  g_hash_table_remove_all (self->capabilities);
  self->capa_ok = self->reply_ok;
  if (self->capa_ok)
    parse_capabilities (self);

  if (!self->tls_active &&
      (self->tls_mode == MSC_POP3_CLIENT_TLS_STLS_REQUIRED ||
       self->tls_mode == MSC_POP3_CLIENT_TLS_STLS_IF_OFFERED))
    {
      if (get_capability (self, "STLS") != NULL)
        {
          set_state (self, MSC_POP3_CLIENT_STATE_STLS);
          queue_command (self, CMD_STLS, 0, FALSE, "STLS");
          return;
        }

      /* RFC 2595 §4 announces STLS through CAPA only.  "If offered" is
       * what an attacker who strips the capability turns into plaintext;
       * "required" is the setting that resists it. */
      if (self->tls_mode == MSC_POP3_CLIENT_TLS_STLS_REQUIRED)
        {
          fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_TLS_UNAVAILABLE,
                                           _("The server does not offer STLS and this account "
                                             "requires encryption")));
          return;
        }
    }

  begin_auth (self);
}

static void
on_stls (MscPop3Client *self)
{
  if (!self->reply_ok)
    {
      if (self->tls_mode == MSC_POP3_CLIENT_TLS_STLS_REQUIRED)
        fail (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_TLS_UNAVAILABLE,
                                         _("The server refused to start encryption (STLS), and this "
                                           "account requires it")));
      else
        begin_auth (self);
      return;
    }

  /* Whatever came with the +OK was sent in plaintext and must not be
   * read as if it came over TLS (the STARTTLS response injection of
   * CVE-2011-0411's kind): process_input() stops, and it is dropped. */
  msc_line_reader_reset (self->reader);
  set_state (self, MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE);
  push_event (self, MSC_POP3_CLIENT_EVENT_STARTTLS);
}

static void
on_auth_reply (MscPop3Client *self,
               Command       *command)
{
  if (self->reply_continuation)
    {
      /* The credentials went as the initial response; a challenge now
       * would mean the server wants something PLAIN does not have.  A
       * QUIT here would be read as a SASL response. */
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server asked for more during AUTH PLAIN"));
      return;
    }

  if (!self->reply_ok)
    {
      fail (self, auth_error (self));
      return;
    }

  if (command->kind == CMD_USER)
    queue_command (self, CMD_PASS, 0, TRUE, "PASS %s", self->password);
  else
    begin_transaction (self);
}

static void
on_stat (MscPop3Client *self)
{
  g_auto(GStrv) words = NULL;
  guint64 count;

  if (!self->reply_ok)
    {
      fail (self, g_error_new (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_SERVER_FAILURE,
                               _("The server could not tell what is in the mailbox: “%s”"),
                               self->reply_text));
      return;
    }

  /* "+OK nn mm" (RFC 1939 §5) */
  words = g_strsplit (self->reply_text, " ", 3);
  if (words[0] == NULL || words[1] == NULL ||
      !g_ascii_string_to_unsigned (words[0], 10, 0, G_MAXUINT, &count, NULL) ||
      !g_ascii_isdigit (words[1][0]))
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server sent an invalid reply to STAT: “%s”"), self->reply_text);
      return;
    }
  if (count > MAX_MESSAGES)
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server lists %lu messages, more than this mail app handles"),
                      (gulong) count);
      return;
    }

  self->n_messages = count;

  if (self->pipelining)
    return;  /* UIDL is already under way */

  if (count > 0)
    {
      queue_command (self, CMD_UIDL, 0, FALSE, "UIDL");
      return;
    }

  /* An empty mailbox has none of the messages this device has seen. */
  {
    g_auto(GStrv) seen = msc_device_store_list_seen (self->store);

    for (guint i = 0; seen[i] != NULL; i++)
      msc_device_store_forget_seen (self->store, seen[i]);
  }
  begin_download (self);
}

static void
on_uidl (MscPop3Client *self)
{
  if (!self->reply_ok)
    {
      /* What Thunderbird and Outlook do: download everything, say why a
       * copy left on the server will come again next time. */
      self->have_uidl = FALSE;
      warn (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_NO_UIDL,
                                       _("The server does not support UIDL, so every message looks new: "
                                         "any message left on the server will be downloaded again")));
      make_up_keys (self);
      begin_download (self);
      return;
    }

  self->have_uidl = TRUE;
  if (!parse_uidl_listing (self))
    return;

  begin_download (self);
}

static void
on_retrieved (MscPop3Client *self,
              Command       *command)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  MscPop3ClientEvent *event;
  ServerMessage *message = get_server_message (self, command->number);
  gboolean complete = command->kind == CMD_RETR;
  gboolean is_new;

  if (!self->reply_ok)
    {
      if (command->kind == CMD_TOP)
        {
          /* TOP is optional: fetch the whole message instead. */
          queue_command (self, CMD_RETR, command->number, FALSE, "RETR %u", command->number);
          return;
        }

      warn (self, g_error_new (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_RETRIEVE_FAILED,
                               _("Message %u could not be downloaded: “%s”"),
                               command->number, self->reply_text));
      return;
    }

  data = g_bytes_new (self->body->data, self->body->len);
  is_new = msc_device_store_lookup (self->store, message->key) == NULL &&
           !msc_device_store_has_seen (self->store, message->key, NULL);

  /* POP3 has no flags: the message arrives unread, and neither the server
   * nor any other device will learn that it was read here. */
  if (msc_device_store_lookup (self->store, message->key) != NULL)
    msc_device_store_set_data (self->store, message->key, data, complete, &error);
  else
    msc_device_store_add (self->store, message->key, MSC_DEVICE_STORE_INBOX, data, complete,
                          MSC_DEVICE_FLAG_NONE, self->now, &error);
  if (error != NULL)
    {
      /* Only a signal handler playing with the store can cause this. */
      g_warning ("Cannot store message %s: %s", message->key, error->message);
      return;
    }

  if (self->have_uidl)
    msc_device_store_mark_seen (self->store, message->key, self->now);

  message->retrieved = complete;
  self->n_downloaded++;
  if (is_new)
    self->n_new++;

  event = push_event (self, MSC_POP3_CLIENT_EVENT_DOWNLOADED);
  event->key = g_strdup (message->key);
  event->size = self->body->len;
  event->complete = complete;
  event->number = message->number;
}

static void
on_dele (MscPop3Client *self,
         Command       *command)
{
  ServerMessage *message = get_server_message (self, command->number);

  if (!self->reply_ok)
    {
      warn (self, g_error_new (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_DELETE_FAILED,
                               _("Message %u could not be deleted from the server: “%s”"),
                               command->number, self->reply_text));
      return;
    }

  message->marked = TRUE;
}

static void
on_quit (MscPop3Client *self)
{
  guint n_deleted = 0;

  if (self->failure != NULL)
    {
      raise_done (self, self->failure, 0);
    }
  else if (!self->reply_ok)
    {
      /* RFC 1939 §6: -ERR from the UPDATE state; nothing is deleted. */
      g_autoptr(GError) error = NULL;

      error = g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_UPDATE_FAILED,
                                   _("The server could not delete the messages marked for deletion"));

      raise_done (self, error, 0);
    }
  else
    {
      /* Only now are the DELE'd messages gone: the server deletes in its
       * UPDATE state, after QUIT (RFC 1939 §6). */
      for (guint i = 0; i < self->messages->len; i++)
        {
          ServerMessage *message = g_ptr_array_index (self->messages, i);

          if (message == NULL || !message->marked)
            continue;

          push_event (self, MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER)->key = g_strdup (message->key);
          n_deleted++;
        }

      raise_done (self, NULL, n_deleted);
    }

  end_session (self, NULL);
}

/* ---- Reading replies ---- */

static gboolean
is_multiline (CommandKind kind)
{
  return kind == CMD_CAPA || kind == CMD_UIDL || kind == CMD_RETR || kind == CMD_TOP;
}

static gboolean
has_prefix (const guint8 *data,
            gsize         len,
            const char   *prefix)
{
  gsize prefix_len = strlen (prefix);

  return len >= prefix_len && g_ascii_strncasecmp ((const char *) data, prefix, prefix_len) == 0 &&
         (len == prefix_len || data[prefix_len] == ' ');
}

/* resp-code = "[" resp-level *("/" resp-level) "]" (RFC 2449 §8).  Parsed
 * whether or not the server announced RESP-CODES: a server that says
 * "[IN-USE]" means it, and the user deserves the better message. */
static void
parse_response_code (MscPop3Client *self,
                     const char    *text)
{
  const char *end;

  if (text[0] == '[' && (end = strchr (text, ']')) != NULL && end > text + 1)
    {
      gboolean valid = TRUE;

      for (const char *p = text + 1; p < end; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '-' && *p != '/')
            valid = FALSE;
        }

      if (valid)
        {
          self->reply_code = g_strndup (text + 1, end - text - 1);
          text = end + 1;
          while (*text == ' ')
            text++;
        }
    }

  self->reply_text = g_strdup (text);
}

static void
emit_reply (MscPop3Client *self,
            gboolean       multiline)
{
  MscPop3ClientEvent *event = push_event (self, MSC_POP3_CLIENT_EVENT_REPLY);

  event->ok = self->reply_ok;
  event->continuation = self->reply_continuation;
  event->code = g_strdup (self->reply_code);
  event->text = g_strdup (self->reply_text);
  event->multiline = multiline;
  event->wire = g_bytes_new (self->wire->data, self->wire->len);
}

static void
dispatch_reply (MscPop3Client *self,
                Command       *command)
{
  emit_reply (self, self->in_multiline);

  /* Ending already: only QUIT's reply matters. */
  if (self->failure != NULL && command->kind != CMD_QUIT)
    return;

  switch (command->kind)
    {
    case CMD_GREETING:
      on_greeting (self);
      break;

    case CMD_CAPA:
      on_capa (self);
      break;

    case CMD_STLS:
      on_stls (self);
      break;

    case CMD_USER:
    case CMD_PASS:
    case CMD_APOP:
    case CMD_AUTH:
      on_auth_reply (self, command);
      break;

    case CMD_STAT:
      on_stat (self);
      break;

    case CMD_UIDL:
      on_uidl (self);
      break;

    case CMD_RETR:
    case CMD_TOP:
      on_retrieved (self, command);
      break;

    case CMD_DELE:
      on_dele (self, command);
      break;

    case CMD_QUIT:
      on_quit (self);
      return;

    default:
      g_assert_not_reached ();
    }

  if (self->state == MSC_POP3_CLIENT_STATE_DOWNLOAD && self->failure == NULL &&
      g_queue_is_empty (&self->pending) && g_queue_is_empty (&self->in_flight))
    begin_delete (self);
}

static void
complete_reply (MscPop3Client *self)
{
  Command *command = g_queue_pop_head (&self->in_flight);

  dispatch_reply (self, command);
  command_free (command);

  if (self->state != MSC_POP3_CLIENT_STATE_CLOSED)
    {
      clear_reply (self);
      flush_commands (self);
    }
}

static void
append_line (GByteArray    *array,
             const guint8  *data,
             gsize          len,
             MscLineEnding  ending)
{
  if (len > 0)
    g_byte_array_append (array, data, len);
  if (ending == MSC_LINE_ENDING_CRLF)
    g_byte_array_append (array, (const guint8 *) "\r\n", 2);
  else if (ending == MSC_LINE_ENDING_LF)
    g_byte_array_append (array, (const guint8 *) "\n", 1);
}

static void
handle_line (MscPop3Client *self,
             const MscLine *line)
{
  Command *command = g_queue_peek_head (&self->in_flight);
  g_autofree char *text = NULL;

  if (self->wire->len + line->len + 2 > self->max_message_size)
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_MESSAGE_TOO_BIG,
                      _("The server sent a reply larger than %lu bytes, the most "
                        "this mail app accepts"), (gulong) self->max_message_size);
      return;
    }

  append_line (self->wire, line->data, line->len, line->ending);

  if (self->in_multiline)
    {
      /* RFC 1939 §3: a line of one "." ends it; any other line starting
       * with "." had one added by the server. */
      if (line->len == 1 && line->data[0] == '.')
        {
          complete_reply (self);
          return;
        }
      if (line->len > 0 && line->data[0] == '.')
        append_line (self->body, line->data + 1, line->len - 1, line->ending);
      else
        append_line (self->body, line->data, line->len, line->ending);
      return;
    }

  text = msc_wire_display_string (line->data, line->len);

  if (command == NULL)
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server sent a reply nobody asked for: “%s”"), text);
      return;
    }

  if (has_prefix (line->data, line->len, "+OK"))
    {
      self->reply_ok = TRUE;
      parse_response_code (self, text + MIN (line->len, 4));
    }
  else if (has_prefix (line->data, line->len, "-ERR"))
    {
      parse_response_code (self, text + MIN (line->len, 5));
    }
  else if (command->kind == CMD_AUTH && has_prefix (line->data, line->len, "+"))
    {
      /* RFC 5034 §4: a continuation, "+" SP base64 */
      self->reply_continuation = TRUE;
      self->reply_text = g_strdup (text + MIN (line->len, 2));
    }
  else
    {
      protocol_error (self, MSC_POP3_CLIENT_ERROR_PROTOCOL,
                      _("The server sent something that is not a POP3 reply: “%s”"), text);
      return;
    }

  if (self->reply_ok && is_multiline (command->kind))
    {
      self->in_multiline = TRUE;
      return;
    }

  complete_reply (self);
}

static void
process_input (MscPop3Client *self,
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
        case MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE:
          /* Bytes after the +OK to STLS came in plaintext: dropped. */
        case MSC_POP3_CLIENT_STATE_CLOSED:
          return;

        case MSC_POP3_CLIENT_STATE_GREETING:
        case MSC_POP3_CLIENT_STATE_CAPA:
        case MSC_POP3_CLIENT_STATE_STLS:
        case MSC_POP3_CLIENT_STATE_AUTH:
        case MSC_POP3_CLIENT_STATE_LIST:
        case MSC_POP3_CLIENT_STATE_DOWNLOAD:
        case MSC_POP3_CLIENT_STATE_DELETE:
        case MSC_POP3_CLIENT_STATE_QUIT:
          break;

        case MSC_POP3_CLIENT_STATE_CONNECT:
        case MSC_POP3_CLIENT_N_STATES:
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
          protocol_error (self, MSC_POP3_CLIENT_ERROR_LINE_TOO_LONG,
                          _("The server sent a line longer than %lu bytes"),
                          (gulong) msc_line_reader_get_max_line_length (self->reader));
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- Object ---- */

static void
msc_pop3_client_dispose (GObject *object)
{
  MscPop3Client *self = (MscPop3Client *) object;

  g_clear_object (&self->store);

  G_OBJECT_CLASS (msc_pop3_client_parent_class)->dispose (object);
}

static void
msc_pop3_client_finalize (GObject *object)
{
  MscPop3Client *self = (MscPop3Client *) object;

  g_clear_pointer (&self->reader, msc_line_reader_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_pop3_client_event_free);
  g_queue_clear_full (&self->pending, (GDestroyNotify) command_free);
  g_queue_clear_full (&self->in_flight, (GDestroyNotify) command_free);
  g_clear_pointer (&self->capabilities, g_hash_table_unref);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->outcome, msc_pop3_client_outcome_free);
  g_clear_error (&self->failure);
  g_clear_error (&self->close_reason);
  g_free (self->user);
  g_clear_pointer (&self->password, msc_wire_free_secret);
  g_free (self->apop_timestamp);
  g_clear_pointer (&self->wire, g_byte_array_unref);
  g_clear_pointer (&self->body, g_byte_array_unref);
  g_free (self->reply_code);
  g_free (self->reply_text);

  G_OBJECT_CLASS (msc_pop3_client_parent_class)->finalize (object);
}

static void
msc_pop3_client_class_init (MscPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_pop3_client_dispose;
  object_class->finalize = msc_pop3_client_finalize;
}

static void
msc_pop3_client_init (MscPop3Client *self)
{
  self->output = g_byte_array_new ();
  self->wire = g_byte_array_new ();
  self->body = g_byte_array_new ();
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) server_message_free);
  self->have_uidl = TRUE;
  g_queue_init (&self->events);
  g_queue_init (&self->pending);
  g_queue_init (&self->in_flight);
}

static gboolean
is_valid_credential (const char *text)
{
  return text != NULL && *text != '\0' && strpbrk (text, "\r\n") == NULL;
}

MscPop3Client *
msc_pop3_client_new (const MscPop3ClientConfig *config,
                     MscDeviceStore            *store)
{
  MscPop3Client *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (is_valid_credential (config->user), NULL);
  /* A space would split USER's argument and APOP's name (RFC 1939 §7). */
  g_return_val_if_fail (strchr (config->user, ' ') == NULL, NULL);
  g_return_val_if_fail (is_valid_credential (config->password), NULL);
  g_return_val_if_fail (config->auth_method <= MSC_POP3_CLIENT_AUTH_APOP, NULL);
  g_return_val_if_fail (config->tls_mode <= MSC_POP3_CLIENT_TLS_IMPLICIT, NULL);
  g_return_val_if_fail (config->retention <= MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY, NULL);
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (store), NULL);

  self = g_object_new (MSC_TYPE_POP3_CLIENT, NULL);

  self->store = g_object_ref (store);
  self->user = g_strdup (config->user);
  self->password = g_strdup (config->password);
  self->auth_method = config->auth_method;
  self->tls_mode = config->tls_mode;
  self->tls_active = config->tls_mode == MSC_POP3_CLIENT_TLS_IMPLICIT;
  self->allow_auth_without_tls = config->allow_auth_without_tls;
  self->disable_pipelining = config->disable_pipelining;
  self->retention = config->retention;
  self->keep_days = config->keep_days > 0 ? config->keep_days : DEFAULT_KEEP_DAYS;
  self->headers_only = config->headers_only;
  self->preview_lines = config->preview_lines;
  self->max_message_size = config->max_message_size > 0 ? config->max_message_size
                                                        : DEFAULT_MAX_MESSAGE_SIZE;
  self->timeout = config->timeout_usec > 0 ? config->timeout_usec : DEFAULT_TIMEOUT_USEC;
  self->reader = msc_line_reader_new (MAX (config->max_line_length > 0 ? config->max_line_length
                                                                       : DEFAULT_MAX_LINE_LENGTH,
                                           16));

  return self;
}

void
msc_pop3_client_start (MscPop3Client *self)
{
  Command *greeting;

  g_return_if_fail (MSC_IS_POP3_CLIENT (self));
  g_return_if_fail (self->state == MSC_POP3_CLIENT_STATE_CONNECT);

  greeting = g_new0 (Command, 1);
  greeting->kind = CMD_GREETING;
  g_queue_push_tail (&self->in_flight, greeting);

  self->last_activity = self->now;
  set_state (self, MSC_POP3_CLIENT_STATE_GREETING);
}

gboolean
msc_pop3_client_feed (MscPop3Client  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_POP3_CLIENT_STATE_CONNECT, FALSE);

  if (self->state == MSC_POP3_CLIENT_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_CLOSED,
                           _("The POP3 session is already closed"));
      return FALSE;
    }

  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_POP3_CLIENT_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

gboolean
msc_pop3_client_peer_closed (MscPop3Client  *self,
                             GError        **error)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_POP3_CLIENT_STATE_CONNECT, FALSE);

  if (self->state == MSC_POP3_CLIENT_STATE_CLOSED)
    return TRUE;

  close_session (self, g_error_new_literal (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_CONNECTION_LOST,
                                            _("The server closed the connection")));
  g_propagate_error (error, g_error_copy (self->close_reason));

  return FALSE;
}

GBytes *
msc_pop3_client_take_output (MscPop3Client *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), NULL);

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

MscPop3ClientEvent *
msc_pop3_client_next_event (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_pop3_client_set_now (MscPop3Client *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_POP3_CLIENT (self));

  self->now = now_usec;
}

gint64
msc_pop3_client_get_deadline (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), -1);

  switch (self->state)
    {
    case MSC_POP3_CLIENT_STATE_GREETING:
    case MSC_POP3_CLIENT_STATE_CAPA:
    case MSC_POP3_CLIENT_STATE_STLS:
    case MSC_POP3_CLIENT_STATE_AUTH:
    case MSC_POP3_CLIENT_STATE_LIST:
    case MSC_POP3_CLIENT_STATE_DOWNLOAD:
    case MSC_POP3_CLIENT_STATE_DELETE:
    case MSC_POP3_CLIENT_STATE_QUIT:
      return self->last_activity + self->timeout;

    /* The handshake is the layer around's to time. */
    case MSC_POP3_CLIENT_STATE_CONNECT:
    case MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE:
    case MSC_POP3_CLIENT_STATE_CLOSED:
    case MSC_POP3_CLIENT_N_STATES:
    default:
      return -1;
    }
}

gboolean
msc_pop3_client_check_timeout (MscPop3Client *self)
{
  gint64 deadline;
  gint64 idle;

  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), FALSE);

  deadline = msc_pop3_client_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  idle = (self->now - self->last_activity) / G_USEC_PER_SEC;
  close_session (self,
                 g_error_new (MSC_POP3_CLIENT_ERROR, MSC_POP3_CLIENT_ERROR_TIMEOUT,
                              ngettext ("The server did not answer for %lu second",
                                        "The server did not answer for %lu seconds",
                                        (gulong) idle),
                              (gulong) idle));

  return TRUE;
}

void
msc_pop3_client_tls_started (MscPop3Client *self)
{
  g_return_if_fail (MSC_IS_POP3_CLIENT (self));

  /* The session may have ended while the handshake ran. */
  if (self->state == MSC_POP3_CLIENT_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE);

  /* RFC 2595 §4: forget the capabilities learnt in plaintext and ask
   * again; the server may offer more (USER, SASL PLAIN) now. */
  self->tls_active = TRUE;
  self->capa_ok = FALSE;
  g_hash_table_remove_all (self->capabilities);
  msc_line_reader_reset (self->reader);
  self->last_activity = self->now;

  send_capa (self);
  flush_commands (self);
}

MscPop3ClientState
msc_pop3_client_get_state (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), MSC_POP3_CLIENT_STATE_CLOSED);

  return self->state;
}

gboolean
msc_pop3_client_want_read (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), FALSE);

  return self->state != MSC_POP3_CLIENT_STATE_CONNECT &&
         self->state != MSC_POP3_CLIENT_STATE_TLS_HANDSHAKE &&
         self->state != MSC_POP3_CLIENT_STATE_CLOSED;
}

gboolean
msc_pop3_client_is_closed (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), TRUE);

  return self->state == MSC_POP3_CLIENT_STATE_CLOSED;
}

gboolean
msc_pop3_client_is_tls_active (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), FALSE);

  return self->tls_active;
}

const char *
msc_pop3_client_get_capability (MscPop3Client *self,
                                const char    *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = g_ascii_strup (name, -1);

  return get_capability (self, key);
}

const MscPop3ClientOutcome *
msc_pop3_client_get_outcome (MscPop3Client *self)
{
  g_return_val_if_fail (MSC_IS_POP3_CLIENT (self), NULL);

  return self->outcome;
}
