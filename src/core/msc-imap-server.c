/* msc-imap-server.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session (RFC 3501 §3), the wire, commands valid before a mailbox
 * is selected, and how a session learns of changes from the store.  The
 * mailbox commands are in msc-imap-server-mailbox.c, FETCH and STORE in
 * -fetch.c, SEARCH in -search.c.
 */

#define G_LOG_DOMAIN "msc-imap-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-imap-server-private.h"
#include "msc-mutf7.h"
#include "msc-wire.h"

#define DEFAULT_MAX_ERRORS   20
/* RFC 3501 §5.4: "If a server has an inactivity autologout timer, the
 * duration of that timer MUST be at least 30 minutes." */
#define MIN_AUTOLOGOUT_USEC  (G_GINT64_CONSTANT (30) * 60 * G_USEC_PER_SEC)
/* RFC 2971 §3.3: what a client may send in ID. */
#define ID_MAX_PAIRS         30
#define ID_MAX_FIELD         30
#define ID_MAX_VALUE         1024
/* Parsed messages kept for a selected mailbox: FETCH and SEARCH ask
 * about the same few messages again and again. */
#define MAX_PARSED           256

G_DEFINE_FINAL_TYPE (MscImapServer, msc_imap_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-imap-server-error-quark, msc_imap_server_error)

static const char * const state_names[] = {
  "greeting", "not-authenticated", "authenticate", "starttls", "authenticated",
  "selected", "idle", "logout", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_IMAP_SERVER_N_STATES);

static const char * const event_kind_names[] = {
  "command", "response", "starttls", "state-changed", "authenticated",
  "idle-started", "idle-ended", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_IMAP_SERVER_N_EVENT_KINDS);

static const char * const response_kind_names[] = {
  "untagged", "ok", "no", "bad", "continuation",
};
G_STATIC_ASSERT (G_N_ELEMENTS (response_kind_names) == MSC_IMAP_SERVER_N_RESPONSE_KINDS);

static const char * const status_names[] = {
  [MSC_IMAP_SERVER_RESPONSE_OK] = "OK",
  [MSC_IMAP_SERVER_RESPONSE_NO] = "NO",
  [MSC_IMAP_SERVER_RESPONSE_BAD] = "BAD",
};

/* The order of RFC 3501's FLAGS example (§7.2.6). */
static const MscMessageFlags system_flags[] = {
  MSC_MESSAGE_FLAG_ANSWERED, MSC_MESSAGE_FLAG_FLAGGED, MSC_MESSAGE_FLAG_DELETED,
  MSC_MESSAGE_FLAG_SEEN, MSC_MESSAGE_FLAG_DRAFT,
};

const char *
msc_imap_server_state_get_name (MscImapServerState state)
{
  g_return_val_if_fail (state < MSC_IMAP_SERVER_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_imap_server_event_kind_get_name (MscImapServerEventKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_SERVER_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

const char *
msc_imap_server_response_kind_get_name (MscImapServerResponseKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_SERVER_N_RESPONSE_KINDS, NULL);

  return response_kind_names[kind];
}

void
msc_imap_server_event_free (MscImapServerEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->tag);
  g_free (event->name);
  g_free (event->subcommand);
  if (event->secret)
    msc_wire_free_secret (event->line);
  else
    g_free (event->line);
  g_free (event->code);
  g_free (event->code_data);
  g_free (event->text);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->user);
  g_free (event->mechanism);
  g_clear_error (&event->error);
  g_free (event);
}

static MscImapServerEvent *
push_event (MscImapServer          *self,
            MscImapServerEventKind  kind)
{
  MscImapServerEvent *event = g_new0 (MscImapServerEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscImapServer      *self,
           MscImapServerState  state)
{
  MscImapServerEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_IMAP_SERVER_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

static gboolean
is_authenticated (MscImapServer *self)
{
  return self->user != NULL;
}

/* ---- Responses ---- */

/* Wire text is protocol English that the server wrote, never something
 * the client sent that could forge a line end or a response code. */
static void
check_text (const char *text)
{
  g_assert (text != NULL && g_str_is_ascii (text) && strpbrk (text, "\r\n") == NULL);
}

static void
push_response (MscImapServer             *self,
               MscImapServerResponseKind  kind,
               const char                *tag,
               const char                *name,
               gboolean                   has_number,
               guint32                    number,
               const char                *code,
               char                      *text,
               GString                   *wire)
{
  MscImapServerEvent *event = push_event (self, MSC_IMAP_SERVER_EVENT_RESPONSE);

  g_byte_array_append (self->output, (const guint8 *) wire->str, wire->len);

  event->response = kind;
  event->tag = g_strdup (tag);
  event->name = g_strdup (name);
  event->has_number = has_number;
  event->number = number;
  if (code != NULL)
    {
      const char *space = strchr (code, ' ');

      event->code = g_strndup (code, space != NULL ? (gsize) (space - code) : strlen (code));
      event->code_data = space != NULL ? g_strdup (space + 1) : NULL;
    }
  event->text = text;
  event->wire = g_bytes_new (wire->str, wire->len);
}

/* A status response, tagged ("a1 OK …") or untagged ("* BYE …"). */
static void
send_status (MscImapServer             *self,
             MscImapServerResponseKind  kind,
             const char                *tag,
             const char                *status,
             const char                *code,
             const char                *text)
{
  g_autoptr(GString) wire = g_string_new (tag != NULL ? tag : "*");

  /* resp-text = ["[" resp-text-code "]" SP] text, and text is 1*TEXT-CHAR */
  check_text (text);
  g_assert (*text != '\0' && text[0] != '[');
  g_assert (code == NULL || (g_str_is_ascii (code) && strpbrk (code, "\r\n]") == NULL));

  g_string_append_printf (wire, " %s", status);
  if (code != NULL)
    g_string_append_printf (wire, " [%s]", code);
  g_string_append_printf (wire, " %s\r\n", text);

  push_response (self, kind, tag, status, FALSE, 0, code, g_strdup (text), wire);
}

void
_msc_imap_server_send_untagged_status (MscImapServer *self,
                                       const char    *status,
                                       const char    *code,
                                       const char    *text)
{
  send_status (self, MSC_IMAP_SERVER_RESPONSE_UNTAGGED, NULL, status, code, text);
}

void
_msc_imap_server_send_untagged (MscImapServer *self,
                                const char    *name,
                                gboolean       has_number,
                                guint32        number,
                                const GString *data)
{
  g_autoptr(GString) wire = g_string_new ("* ");

  if (has_number)
    g_string_append_printf (wire, "%u ", number);
  g_string_append (wire, name);
  if (data != NULL)
    {
      g_string_append_c (wire, ' ');
      g_string_append_len (wire, data->str, data->len);
    }
  g_string_append (wire, "\r\n");

  push_response (self, MSC_IMAP_SERVER_RESPONSE_UNTAGGED, NULL, name, has_number, number, NULL,
                 data != NULL ? msc_wire_display_string ((const guint8 *) data->str, data->len)
                              : g_strdup (""),
                 wire);
}

static void
send_number (MscImapServer *self,
             guint32        number,
             const char    *name)
{
  _msc_imap_server_send_untagged (self, name, TRUE, number, NULL);
}

static void
send_continuation (MscImapServer *self,
                   const char    *text)
{
  g_autoptr(GString) wire = g_string_new ("+ ");

  check_text (text);
  g_string_append_printf (wire, "%s\r\n", text);
  push_response (self, MSC_IMAP_SERVER_RESPONSE_CONTINUATION, NULL, NULL, FALSE, 0, NULL,
                 g_strdup (text), wire);
}

void
_msc_imap_server_reply (MscImapServer             *self,
                        MscImapServerResponseKind  status,
                        const char                *code,
                        const char                *text)
{
  g_autofree char *completed = NULL;

  g_assert (self->tag != NULL);
  g_assert (status == MSC_IMAP_SERVER_RESPONSE_OK || status == MSC_IMAP_SERVER_RESPONSE_NO
            || status == MSC_IMAP_SERVER_RESPONSE_BAD);

  /* RFC 3501 §6: "A rejected command (BAD response) never changes the
   * state of the connection or of the selected mailbox", and a client
   * that sent garbage is not the one to hand news to. */
  if (status != MSC_IMAP_SERVER_RESPONSE_BAD && self->sync_mode != SYNC_NONE)
    _msc_imap_server_sync (self, self->sync_mode == SYNC_FULL);

  if (text == NULL)
    text = completed = g_strdup_printf ("%s completed", self->command_name);

  send_status (self, status, self->tag, status_names[status], code, text);

  if (status == MSC_IMAP_SERVER_RESPONSE_BAD)
    self->n_errors++;
}

void
_msc_imap_server_reply_ok (MscImapServer *self,
                           const char    *code)
{
  _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_OK, code, NULL);
}

void
_msc_imap_server_reply_no (MscImapServer *self,
                           const char    *code,
                           const char    *text)
{
  _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_NO, code, text);
}

void
_msc_imap_server_reply_bad (MscImapServer *self,
                            const char    *text)
{
  _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_BAD, NULL, text);
}

/* The response codes are RFC 5530's, which need no capability. */
void
_msc_imap_server_reply_store_error (MscImapServer *self,
                                    const GError  *error)
{
  g_debug ("%s: %s", self->command_name, error->message);

  if (error->domain != MSC_MAIL_STORE_ERROR)
    {
      _msc_imap_server_reply_no (self, "UNAVAILABLE", "Temporary failure, try again");
      return;
    }

  switch ((MscMailStoreError) error->code)
    {
    case MSC_MAIL_STORE_ERROR_NO_SUCH_MAILBOX:
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such mailbox");
      break;
    case MSC_MAIL_STORE_ERROR_MAILBOX_EXISTS:
      _msc_imap_server_reply_no (self, "ALREADYEXISTS", "Mailbox already exists");
      break;
    case MSC_MAIL_STORE_ERROR_CANNOT_DELETE_INBOX:
      _msc_imap_server_reply_no (self, "CANNOT", "INBOX cannot be deleted");
      break;
    case MSC_MAIL_STORE_ERROR_HAS_CHILDREN:
      _msc_imap_server_reply_no (self, "CANNOT", "Mailbox has child mailboxes, delete them first");
      break;
    case MSC_MAIL_STORE_ERROR_INVALID_MAILBOX_NAME:
      _msc_imap_server_reply_no (self, "CANNOT", "Invalid mailbox name");
      break;
    case MSC_MAIL_STORE_ERROR_TOO_MANY_KEYWORDS:
      _msc_imap_server_reply_no (self, "LIMIT", "Too many keywords in this mailbox");
      break;
    case MSC_MAIL_STORE_ERROR_UIDS_EXHAUSTED:
      _msc_imap_server_reply_no (self, "LIMIT", "The mailbox has used up its UIDs");
      break;
    case MSC_MAIL_STORE_ERROR_INVALID_KEYWORD:
      _msc_imap_server_reply_no (self, "CANNOT", "Invalid keyword");
      break;
    case MSC_MAIL_STORE_ERROR_NO_SUCH_ACCOUNT:
      _msc_imap_server_reply_no (self, "NONEXISTENT", "No such account");
      break;
    case MSC_MAIL_STORE_ERROR_CORRUPT:
      _msc_imap_server_reply_no (self, "SERVERBUG", "The mail store is damaged");
      break;
    case MSC_MAIL_STORE_ERROR_IO:
    case MSC_MAIL_STORE_ERROR_INVALID_ADDRESS:
    case MSC_MAIL_STORE_ERROR_INVALID_DOMAIN:
    case MSC_MAIL_STORE_ERROR_INVALID_PASSWORD:
    case MSC_MAIL_STORE_ERROR_NO_SUCH_DOMAIN:
    case MSC_MAIL_STORE_ERROR_DOMAIN_EXISTS:
    case MSC_MAIL_STORE_ERROR_DOMAIN_NOT_EMPTY:
    case MSC_MAIL_STORE_ERROR_ACCOUNT_EXISTS:
    default:
      _msc_imap_server_reply_no (self, "UNAVAILABLE", "Temporary failure, try again");
      break;
    }
}

/* ---- Capabilities ---- */

static gboolean
auth_allowed (MscImapServer *self)
{
  return self->tls_active || self->allow_insecure_auth;
}

/* RFC 3501 §6.1.1 and §11.2: the list follows the connection.  Before
 * login: STARTTLS until TLS is on; AUTH=PLAIN (and SASL-IR, RFC 4959)
 * only where a password may be sent, otherwise LOGINDISABLED.  After
 * login the login capabilities mean nothing any more and go, as in
 * Dovecot. */
static char *
capability_string (MscImapServer *self)
{
  g_autoptr(GString) capabilities = g_string_new ("IMAP4rev1");

  if (!is_authenticated (self))
    {
      if (self->tls_available && !self->tls_active)
        g_string_append (capabilities, " STARTTLS");
      if (auth_allowed (self))
        g_string_append (capabilities, " AUTH=PLAIN SASL-IR");
      else
        g_string_append (capabilities, " LOGINDISABLED");
    }

  g_string_append (capabilities, " LITERAL+ ENABLE IDLE NAMESPACE ID UIDPLUS MOVE UNSELECT"
                                 " CHILDREN SPECIAL-USE");

  return g_string_free (g_steal_pointer (&capabilities), FALSE);
}

static char *
capability_code (MscImapServer *self)
{
  g_autofree char *capabilities = capability_string (self);

  return g_strconcat ("CAPABILITY ", capabilities, NULL);
}

/* ---- The selected mailbox ---- */

static void
clear_view (MscImapServer *self)
{
  g_ptr_array_set_size (self->messages, 0);
  g_ptr_array_set_size (self->added, 0);
  g_hash_table_remove_all (self->expunged);
  g_hash_table_remove_all (self->flags_changed);
  g_hash_table_remove_all (self->recent);
  g_hash_table_remove_all (self->parsed);
  self->n_keywords = 0;
  self->mailbox_gone = FALSE;
}

void
_msc_imap_server_deselect (MscImapServer *self)
{
  clear_view (self);
  g_clear_object (&self->mailbox);
  self->read_only = FALSE;

  if (self->state == MSC_IMAP_SERVER_STATE_SELECTED)
    set_state (self, MSC_IMAP_SERVER_STATE_AUTHENTICATED);
}

static void
add_recent (MscImapServer *self,
            GArray        *uids)
{
  for (guint i = 0; uids != NULL && i < uids->len; i++)
    g_hash_table_add (self->recent, GUINT_TO_POINTER (g_array_index (uids, guint32, i)));
}

/* \Recent (RFC 3501 §2.3.2): this session is the first to be told of the
 * messages the store still holds as recent, so it takes them; EXAMINE
 * "MUST NOT cause messages to lose the \Recent flag" (§6.3.2), so a
 * read-only session only shows what it sees. */
static void
take_recent (MscImapServer *self,
             GPtrArray     *messages)
{
  if (!self->read_only)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) taken = msc_mail_store_take_recent (self->store, self->mailbox, &error);

      if (taken == NULL)
        g_debug ("Cannot take \\Recent from %s: %s", msc_mailbox_get_name (self->mailbox),
                 error->message);
      add_recent (self, taken);
      return;
    }

  for (guint i = 0; i < messages->len; i++)
    {
      MscMessage *message = g_ptr_array_index (messages, i);

      if (msc_message_get_recent (message))
        g_hash_table_add (self->recent, GUINT_TO_POINTER (msc_message_get_uid (message)));
    }
}

void
_msc_imap_server_select (MscImapServer *self,
                         MscMailbox    *mailbox,
                         gboolean       read_only)
{
  g_autoptr(GPtrArray) messages = msc_mailbox_list_messages (mailbox);

  g_assert (self->mailbox == NULL);

  self->mailbox = g_object_ref (mailbox);
  self->read_only = read_only;
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (self->messages, g_object_ref (g_ptr_array_index (messages, i)));
  take_recent (self, self->messages);

  set_state (self, MSC_IMAP_SERVER_STATE_SELECTED);
}

static guint
count_recent (MscImapServer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->messages->len; i++)
    {
      guint32 uid = msc_message_get_uid (g_ptr_array_index (self->messages, i));

      if (g_hash_table_contains (self->recent, GUINT_TO_POINTER (uid)))
        n++;
    }

  return n;
}

gboolean
_msc_imap_server_find_uid (MscImapServer *self,
                           guint32        uid,
                           guint         *position)
{
  guint lo = 0;
  guint hi = self->messages->len;

  /* The view is in UID order, as the store's mailbox is. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 found = msc_message_get_uid (g_ptr_array_index (self->messages, mid));

      if (found == uid)
        {
          if (position != NULL)
            *position = mid;
          return TRUE;
        }
      if (found < uid)
        lo = mid + 1;
      else
        hi = mid;
    }

  return FALSE;
}

MscImapMessage *
_msc_imap_server_get_parsed (MscImapServer *self,
                             MscMessage    *message)
{
  MscImapMessage *parsed = g_hash_table_lookup (self->parsed, message);

  if (parsed != NULL)
    return parsed;

  if (g_hash_table_size (self->parsed) >= MAX_PARSED)
    g_hash_table_remove_all (self->parsed);

  parsed = msc_imap_message_new (msc_message_get_data (message));
  g_hash_table_insert (self->parsed, g_object_ref (message), parsed);

  return parsed;
}

void
_msc_imap_server_append_flags (MscImapServer *self,
                               GString       *out,
                               MscMessage    *message)
{
  MscMessageFlags flags = msc_message_get_flags (message);
  const char * const *keywords = msc_message_get_keywords (message);
  gboolean first = TRUE;

  g_string_append_c (out, '(');

  for (guint i = 0; i < G_N_ELEMENTS (system_flags); i++)
    {
      if (!(flags & system_flags[i]))
        continue;
      g_string_append_printf (out, "%s%s", first ? "" : " ", msc_message_flag_to_string (system_flags[i]));
      first = FALSE;
    }

  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      g_string_append_printf (out, "%s%s", first ? "" : " ", keywords[i]);
      first = FALSE;
    }

  if (g_hash_table_contains (self->recent, GUINT_TO_POINTER (msc_message_get_uid (message))))
    g_string_append_printf (out, "%s\\Recent", first ? "" : " ");

  g_string_append_c (out, ')');
}

void
_msc_imap_server_announce_flags (MscImapServer *self,
                                 gboolean       force)
{
  const char * const *keywords = msc_mailbox_get_keywords (self->mailbox);
  guint n_keywords = keywords != NULL ? g_strv_length ((GStrv) keywords) : 0;
  g_autoptr(GString) flags = g_string_new ("(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
  g_autoptr(GString) permanent = NULL;

  if (!force && n_keywords <= self->n_keywords)
    return;

  self->n_keywords = n_keywords;

  for (guint i = 0; i < n_keywords; i++)
    g_string_append_printf (flags, " %s", keywords[i]);
  g_string_append_c (flags, ')');

  /* RFC 3501 §7.2.6, and PERMANENTFLAGS with "\*" while more keywords
   * fit: the store keeps at most MSC_MAIL_STORE_MAX_KEYWORDS a mailbox.
   * EXAMINE permits no change at all (§6.3.2). */
  if (self->read_only)
    {
      permanent = g_string_new ("PERMANENTFLAGS ()");
    }
  else
    {
      permanent = g_string_new ("PERMANENTFLAGS ");
      g_string_append_len (permanent, flags->str, flags->len - 1);
      if (n_keywords < MSC_MAIL_STORE_MAX_KEYWORDS)
        g_string_append (permanent, " \\*");
      g_string_append_c (permanent, ')');
    }

  _msc_imap_server_send_untagged (self, "FLAGS", FALSE, 0, flags);
  _msc_imap_server_send_untagged_status (self, "OK", permanent->str,
                                         self->read_only ? "No permanent flags permitted"
                                                         : "Flags permitted");
}

static void
send_flags_update (MscImapServer *self,
                   guint          position)
{
  MscMessage *message = g_ptr_array_index (self->messages, position);
  g_autoptr(GString) data = g_string_new ("(FLAGS ");

  _msc_imap_server_append_flags (self, data, message);
  /* RFC 3501 §6.4.8: a FETCH response during a UID command carries the
   * UID, so the client can place it without a message number. */
  if (self->uid_command)
    g_string_append_printf (data, " UID %u", msc_message_get_uid (message));
  g_string_append_c (data, ')');

  _msc_imap_server_send_untagged (self, "FETCH", TRUE, position + 1, data);
}

void
_msc_imap_server_sync (MscImapServer *self,
                       gboolean       allow_expunge)
{
  if (self->mailbox == NULL)
    return;

  /* RFC 3501 §7.4.1: each EXPUNGE renumbers the messages after it at
   * once, so going up the list the number is simply where the message
   * is now. */
  if (allow_expunge && g_hash_table_size (self->expunged) > 0)
    {
      for (guint i = 0; i < self->messages->len;)
        {
          MscMessage *message = g_ptr_array_index (self->messages, i);
          gpointer uid = GUINT_TO_POINTER (msc_message_get_uid (message));

          if (!g_hash_table_contains (self->expunged, uid))
            {
              i++;
              continue;
            }

          send_number (self, i + 1, "EXPUNGE");
          g_hash_table_remove (self->recent, uid);
          g_hash_table_remove (self->flags_changed, uid);
          g_hash_table_remove (self->parsed, message);
          g_ptr_array_remove_index (self->messages, i);
        }
      g_hash_table_remove_all (self->expunged);
    }

  /* §5.2: "A server MUST send mailbox size updates automatically if a
   * mailbox size change is observed during the processing of a command",
   * and §7.3.2 RECENT goes with it. */
  if (self->added->len > 0)
    {
      take_recent (self, self->added);
      for (guint i = 0; i < self->added->len; i++)
        g_ptr_array_add (self->messages, g_object_ref (g_ptr_array_index (self->added, i)));
      g_ptr_array_set_size (self->added, 0);

      send_number (self, self->messages->len, "EXISTS");
      send_number (self, count_recent (self), "RECENT");
    }

  _msc_imap_server_announce_flags (self, FALSE);

  /* §7: "send appropriate unilateral untagged FETCH … responses if another
   * agent changes the state of any message flags". */
  if (g_hash_table_size (self->flags_changed) > 0)
    {
      for (guint i = 0; i < self->messages->len; i++)
        {
          guint32 uid = msc_message_get_uid (g_ptr_array_index (self->messages, i));

          if (g_hash_table_contains (self->flags_changed, GUINT_TO_POINTER (uid)))
            send_flags_update (self, i);
        }
      g_hash_table_remove_all (self->flags_changed);
    }
}

/* ---- Closing ---- */

/* Takes @reason (NULL after LOGOUT). */
static void
close_session (MscImapServer *self,
               GError        *reason)
{
  MscImapServerEvent *event;

  g_assert (self->state != MSC_IMAP_SERVER_STATE_CLOSED);

  clear_view (self);
  g_clear_object (&self->mailbox);
  g_clear_pointer (&self->tag, g_free);
  msc_imap_parser_reset (self->parser);
  g_byte_array_set_size (self->wire, 0);

  set_state (self, MSC_IMAP_SERVER_STATE_CLOSED);

  event = push_event (self, MSC_IMAP_SERVER_EVENT_CLOSED);
  if (reason != NULL)
    {
      event->error = g_error_copy (reason);
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

/* RFC 3501 §7.1.5: BYE, the LOGOUT state, and the connection closes. */
static void
bye (MscImapServer *self,
     const char    *code,
     const char    *text,
     GError        *reason)
{
  send_status (self, MSC_IMAP_SERVER_RESPONSE_UNTAGGED, NULL, "BYE", code, text);
  set_state (self, MSC_IMAP_SERVER_STATE_LOGOUT);
  close_session (self, reason);
}

static void
check_error_limit (MscImapServer *self)
{
  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED || self->n_errors < self->max_errors)
    return;

  bye (self, NULL, "Too many errors, closing connection",
       g_error_new (MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_TOO_MANY_ERRORS,
                    ngettext ("The client made %u error; the server closed the session",
                              "The client made %u errors; the server closed the session",
                              self->n_errors),
                    self->n_errors));
}

/* Dovecot's answer: a session cannot go on in a mailbox that is gone,
 * and RFC 3501 has no response that says so short of BYE. */
static void
bye_mailbox_gone (MscImapServer *self)
{
  bye (self, NULL, "Selected mailbox was deleted, have to disconnect",
       g_error_new_literal (MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_MAILBOX_GONE,
                            _("The selected mailbox was deleted elsewhere; the server closed the session")));
}

/* ---- The store's signals ---- */

/* Each change to the selected mailbox waits for a point where the client
 * may hear of it (_msc_imap_server_sync()), except in IDLE, where RFC
 * 2177 lets the server "send untagged EXISTS, EXPUNGE, and other messages
 * at any time": there it goes out at once, and the driver learns of it
 * through has_output(). */
static void
on_message_added_cb (MscMailStore *store,
                     MscMailbox   *mailbox,
                     MscMessage   *message,
                     gpointer      user_data)
{
  MscImapServer *self = user_data;

  if (mailbox != self->mailbox)
    return;

  g_ptr_array_add (self->added, g_object_ref (message));

  if (self->state == MSC_IMAP_SERVER_STATE_IDLE)
    _msc_imap_server_sync (self, TRUE);
}

static void
on_message_expunged_cb (MscMailStore *store,
                        MscMailbox   *mailbox,
                        MscMessage   *message,
                        gpointer      user_data)
{
  MscImapServer *self = user_data;
  guint32 uid = msc_message_get_uid (message);

  if (mailbox != self->mailbox)
    return;

  /* Gone before the client heard of it: it never happened. */
  for (guint i = 0; i < self->added->len; i++)
    {
      if (msc_message_get_uid (g_ptr_array_index (self->added, i)) == uid)
        {
          g_ptr_array_remove_index (self->added, i);
          return;
        }
    }

  if (!_msc_imap_server_find_uid (self, uid, NULL))
    return;

  g_hash_table_add (self->expunged, GUINT_TO_POINTER (uid));

  if (self->state == MSC_IMAP_SERVER_STATE_IDLE)
    _msc_imap_server_sync (self, TRUE);
}

static void
on_flags_changed_cb (MscMailStore *store,
                     MscMailbox   *mailbox,
                     MscMessage   *message,
                     gpointer      user_data)
{
  MscImapServer *self = user_data;
  guint32 uid = msc_message_get_uid (message);

  /* This session's own STORE and \Seen report themselves. */
  if (mailbox != self->mailbox || self->own_change > 0)
    return;

  if (!_msc_imap_server_find_uid (self, uid, NULL))
    return;

  g_hash_table_add (self->flags_changed, GUINT_TO_POINTER (uid));

  if (self->state == MSC_IMAP_SERVER_STATE_IDLE)
    _msc_imap_server_sync (self, TRUE);
}

static void
on_mailbox_deleted_cb (MscMailStore *store,
                       MscMailbox   *mailbox,
                       gpointer      user_data)
{
  MscImapServer *self = user_data;

  if (mailbox != self->mailbox)
    return;

  self->mailbox_gone = TRUE;

  /* During a command of this session, after its tagged response. */
  if (!self->in_command)
    bye_mailbox_gone (self);
}

/* ---- Arguments ---- */

char *
_msc_imap_server_get_mailbox_arg (MscImapServer      *self,
                                  const MscImapValue *value)
{
  g_autoptr(GError) error = NULL;
  char *name = msc_imap_value_dup_mailbox (value, &error);

  if (name != NULL)
    return name;

  if (error->domain == MSC_MUTF7_ERROR)
    _msc_imap_server_reply_bad (self, "Mailbox name is not valid modified UTF-7");
  else
    _msc_imap_server_reply_bad (self, "Invalid mailbox name");

  return NULL;
}

static guint32
max_number (MscImapServer *self,
            gboolean       uid)
{
  if (!uid)
    return self->messages->len;

  /* RFC 3501 §9 seq-number: "*" is the UID of the last message or, in an
   * empty mailbox, UIDNEXT. */
  if (self->messages->len == 0)
    return msc_mailbox_get_uid_next (self->mailbox);

  return msc_message_get_uid (g_ptr_array_index (self->messages, self->messages->len - 1));
}

GArray *
_msc_imap_server_parse_set (MscImapServer *self,
                            const char    *text,
                            gboolean       uid)
{
  return msc_imap_sequence_set_parse (text, max_number (self, uid), NULL);
}

gboolean
_msc_imap_server_set_contains (MscImapServer *self,
                               GArray        *set,
                               guint          position,
                               gboolean       uid)
{
  guint32 n = uid ? msc_message_get_uid (g_ptr_array_index (self->messages, position))
                  : position + 1;

  return msc_imap_sequence_set_contains (set, n);
}

GArray *
_msc_imap_server_resolve_set (MscImapServer      *self,
                              const MscImapValue *value,
                              gboolean            uid)
{
  g_autoptr(GArray) set = NULL;
  GArray *positions;

  if ((value->kind != MSC_IMAP_VALUE_ATOM && value->kind != MSC_IMAP_VALUE_NUMBER)
      || value->has_section
      || (set = _msc_imap_server_parse_set (self, value->data, uid)) == NULL)
    {
      _msc_imap_server_reply_bad (self, "Invalid sequence set");
      return NULL;
    }

  /* "The server should respond with a tagged BAD response to a command
   * that uses a message sequence number greater than the number of
   * messages in the selected mailbox.  This includes "*" if the selected
   * mailbox is empty." */
  for (guint i = 0; !uid && i < set->len; i++)
    {
      const MscImapRange *range = &g_array_index (set, MscImapRange, i);

      if (range->first == 0 || range->last > self->messages->len)
        {
          _msc_imap_server_reply_bad (self, "Message number out of range");
          return NULL;
        }
    }

  positions = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < self->messages->len; i++)
    {
      if (_msc_imap_server_set_contains (self, set, i, uid))
        g_array_append_val (positions, i);
    }

  return positions;
}

static gboolean
is_flag_atom (const MscImapValue *value)
{
  return (value->kind == MSC_IMAP_VALUE_ATOM || value->kind == MSC_IMAP_VALUE_NUMBER
          || value->kind == MSC_IMAP_VALUE_NIL)
         && !value->has_section;
}

gboolean
_msc_imap_server_parse_flags (MscImapServer       *self,
                              MscImapValue * const *values,
                              guint                 n_values,
                              MscMessageFlags      *flags,
                              GStrv                *keywords)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  *flags = MSC_MESSAGE_FLAG_NONE;

  for (guint i = 0; i < n_values; i++)
    {
      const MscImapValue *value = values[i];
      MscMessageFlags flag;

      if (!is_flag_atom (value))
        {
          _msc_imap_server_reply_bad (self, "Invalid flag");
          return FALSE;
        }

      if (value->data[0] != '\\')
        {
          /* flag-keyword = atom */
          if (!msc_message_keyword_is_valid (value->data))
            {
              _msc_imap_server_reply_bad (self, "Invalid keyword");
              return FALSE;
            }
          g_strv_builder_add (builder, value->data);
          continue;
        }

      if (msc_message_flag_from_string (value->data, &flag))
        {
          *flags |= flag;
        }
      else if (g_ascii_strcasecmp (value->data, "\\Recent") == 0)
        {
          /* RFC 3501 §9: flag "Does not include \Recent"; only the server
           * sets it. */
          _msc_imap_server_reply_bad (self, "\\Recent cannot be set by a client");
          return FALSE;
        }
      else
        {
          _msc_imap_server_reply_bad (self, "Unknown system flag");
          return FALSE;
        }
    }

  *keywords = g_strv_builder_end (builder);
  return TRUE;
}

/* ---- Commands in any state (RFC 3501 §6.1, RFC 2971) ---- */

static void
cmd_capability (MscImapServer       *self,
                MscImapValue * const *args,
                guint                 n_args)
{
  g_autofree char *capabilities = NULL;
  g_autoptr(GString) data = NULL;

  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "CAPABILITY takes no arguments");
      return;
    }

  capabilities = capability_string (self);
  data = g_string_new (capabilities);
  /* "CAPABILITY" is the response name; the list is its data. */
  _msc_imap_server_send_untagged (self, "CAPABILITY", FALSE, 0, data);
  _msc_imap_server_reply_ok (self, NULL);
}

static void
cmd_noop (MscImapServer       *self,
          MscImapValue * const *args,
          guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "NOOP takes no arguments");
      return;
    }

  /* §6.1.2: the periodic poll; the news goes out with the OK. */
  _msc_imap_server_reply_ok (self, NULL);
}

static void
cmd_logout (MscImapServer       *self,
            MscImapValue * const *args,
            guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "LOGOUT takes no arguments");
      return;
    }

  /* §6.1.3: "The server MUST send a BYE untagged response before the
   * (tagged) OK response, and then close the network connection." */
  _msc_imap_server_send_untagged_status (self, "BYE", NULL, "Logging out");
  set_state (self, MSC_IMAP_SERVER_STATE_LOGOUT);
  self->sync_mode = SYNC_NONE;
  _msc_imap_server_reply_ok (self, NULL);
  close_session (self, NULL);
}

static gboolean
is_string (const MscImapValue *value)
{
  return value->kind == MSC_IMAP_VALUE_QUOTED || value->kind == MSC_IMAP_VALUE_LITERAL;
}

/* RFC 2971: "id_params_list ::= "(" #(string SPACE nstring) ")" / nil".
 * What the client says is for people only (§3: no operational change),
 * so it is only checked and shown in the trace. */
static void
cmd_id (MscImapServer       *self,
        MscImapValue * const *args,
        guint                 n_args)
{
  g_autoptr(GString) data = NULL;

  if (n_args != 1 || (args[0]->kind != MSC_IMAP_VALUE_NIL && args[0]->kind != MSC_IMAP_VALUE_LIST))
    {
      _msc_imap_server_reply_bad (self, "Syntax: ID (field value ...) or ID NIL");
      return;
    }

  if (args[0]->kind == MSC_IMAP_VALUE_LIST)
    {
      GPtrArray *list = args[0]->children;

      if (list->len % 2 != 0)
        {
          _msc_imap_server_reply_bad (self, "ID takes field and value pairs");
          return;
        }
      if (list->len / 2 > ID_MAX_PAIRS)
        {
          _msc_imap_server_reply_bad (self, "Too many ID fields");
          return;
        }
      for (guint i = 0; i < list->len; i += 2)
        {
          const MscImapValue *field = g_ptr_array_index (list, i);
          const MscImapValue *value = g_ptr_array_index (list, i + 1);
          const char *text;
          gsize len;

          if (!is_string (field) || field->len > ID_MAX_FIELD
              || !msc_imap_value_get_nstring (value, &text, &len) || len > ID_MAX_VALUE)
            {
              _msc_imap_server_reply_bad (self, "Invalid ID field or value");
              return;
            }
        }
    }

  /* §3.2: "A server MUST send a tagged ID response to an ID command." */
  data = g_string_new ("(\"name\" \"Mailscope\" \"version\" \"" PACKAGE_VERSION "\")");
  _msc_imap_server_send_untagged (self, "ID", FALSE, 0, data);
  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- Commands before login (RFC 3501 §6.2) ---- */

static void
cmd_starttls (MscImapServer       *self,
              MscImapValue * const *args,
              guint                 n_args)
{
  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "STARTTLS takes no arguments");
      return;
    }
  if (self->tls_active)
    {
      _msc_imap_server_reply_bad (self, "TLS is already active");
      return;
    }
  if (!self->tls_available)
    {
      _msc_imap_server_reply_bad (self, "STARTTLS is not available");
      return;
    }

  /* §6.2.1: the negotiation "begins immediately after the CRLF at the end
   * of the tagged OK response".  From here on nothing is read until
   * tls_started(): what the client sent behind STARTTLS in the clear is
   * dropped (CVE-2011-0411). */
  _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_OK, NULL, "Begin TLS negotiation now");
  msc_imap_parser_reset (self->parser);
  set_state (self, MSC_IMAP_SERVER_STATE_STARTTLS);
  push_event (self, MSC_IMAP_SERVER_EVENT_STARTTLS);
}

/* §6.2.3 and §11.2: without TLS "the LOGIN command returns an error even
 * if the password is correct", as does AUTHENTICATE with a plaintext
 * mechanism; RFC 5530's PRIVACYREQUIRED says why and what to do. */
static gboolean
check_auth_allowed (MscImapServer *self)
{
  if (auth_allowed (self))
    return TRUE;

  self->n_errors++;
  if (self->tls_available)
    _msc_imap_server_reply_no (self, "PRIVACYREQUIRED", "Use STARTTLS first: no password without encryption");
  else
    _msc_imap_server_reply_no (self, "PRIVACYREQUIRED", "No password is accepted without encryption");

  return FALSE;
}

static void
logged_in (MscImapServer *self,
           const char    *user,
           const char    *mechanism)
{
  g_autofree char *code = NULL;
  MscImapServerEvent *event;

  self->user = msc_mail_store_fold_address (user);
  g_assert (self->user != NULL);

  event = push_event (self, MSC_IMAP_SERVER_EVENT_AUTHENTICATED);
  event->user = g_strdup (self->user);
  event->mechanism = g_strdup (mechanism);

  set_state (self, MSC_IMAP_SERVER_STATE_AUTHENTICATED);

  /* A teaching server that took a password in the clear says so where a
   * client must show it to the user (RFC 3501 §7.1 ALERT). */
  if (!self->tls_active)
    _msc_imap_server_send_untagged_status (self, "OK", "ALERT",
                                           "Your password was sent without encryption");

  /* §7.2.1: "an updated CAPABILITY response code in the tagged OK
   * response as part of a successful authentication". */
  code = capability_code (self);
  _msc_imap_server_reply_ok (self, code);
}

/* RFC 3501 §11.2: "A server error message for a failing LOGIN command
 * SHOULD NOT specify that the user name, as opposed to the password, is
 * invalid." */
static void
login_failed (MscImapServer *self)
{
  self->n_errors++;
  _msc_imap_server_reply_no (self, "AUTHENTICATIONFAILED", "Authentication failed");
}

static gboolean
check_credentials (MscImapServer *self,
                   const char    *user,
                   gsize          user_len,
                   const char    *password,
                   gsize          password_len)
{
  if (user_len == 0 || password_len == 0
      || memchr (user, '\0', user_len) != NULL || memchr (password, '\0', password_len) != NULL
      || !g_utf8_validate_len (user, user_len, NULL)
      || !g_utf8_validate_len (password, password_len, NULL))
    return FALSE;

  return msc_directory_check_password (MSC_DIRECTORY (self->store), user, password);
}

static void
cmd_login (MscImapServer       *self,
           MscImapValue * const *args,
           guint                 n_args)
{
  const char *user = NULL;
  const char *password = NULL;
  gsize user_len = 0;
  gsize password_len = 0;

  if (n_args != 2
      || (user = msc_imap_value_get_astring (args[0], &user_len)) == NULL
      || (password = msc_imap_value_get_astring (args[1], &password_len)) == NULL)
    {
      _msc_imap_server_reply_bad (self, "Syntax: LOGIN user password");
      return;
    }

  if (!check_auth_allowed (self))
    return;

  if (!check_credentials (self, user, user_len, password, password_len))
    {
      login_failed (self);
      return;
    }

  logged_in (self, user, "LOGIN");
}

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2) */
static void
finish_plain (MscImapServer *self,
              const guchar  *message,
              gsize          len)
{
  const guchar *end = message + len;
  const guchar *nul1 = memchr (message, '\0', len);
  const guchar *nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', end - nul1 - 1) : NULL;
  const char *authcid;
  gsize authcid_len;

  if (nul2 == NULL || memchr (nul2 + 1, '\0', end - nul2 - 1) != NULL)
    {
      login_failed (self);
      return;
    }

  authcid = (const char *) nul1 + 1;
  authcid_len = nul2 - nul1 - 1;

  /* Acting for someone else (a non-empty, different authzid) is not
   * something this server grants anybody. */
  if (nul1 != message
      && ((gsize) (nul1 - message) != authcid_len
          || g_ascii_strncasecmp ((const char *) message, authcid, authcid_len) != 0))
    {
      login_failed (self);
      return;
    }

  if (!check_credentials (self, authcid, authcid_len, (const char *) nul2 + 1, end - nul2 - 1))
    {
      login_failed (self);
      return;
    }

  logged_in (self, authcid, "PLAIN");
}

static void
sasl_step (MscImapServer *self,
           const char    *response)
{
  guchar *decoded = NULL;
  gsize len = 0;

  if (!msc_wire_decode_base64_strict (response, &decoded, &len))
    {
      _msc_imap_server_reply_bad (self, "Invalid base64 in the SASL response");
      return;
    }

  /* The message is NUL-separated: copy it NUL-terminated for the checks. */
  decoded = g_realloc (decoded, len + 1);
  decoded[len] = '\0';
  finish_plain (self, decoded, len);
  memset (decoded, 0, len);
  g_free (decoded);
}

static void
cmd_authenticate (MscImapServer       *self,
                  MscImapValue * const *args,
                  guint                 n_args)
{
  const char *response;

  if (n_args < 1 || n_args > 2 || args[0]->kind != MSC_IMAP_VALUE_ATOM || args[0]->has_section)
    {
      _msc_imap_server_reply_bad (self, "Syntax: AUTHENTICATE mechanism [initial-response]");
      return;
    }

  /* §6.2.2: "If the requested authentication mechanism is not supported,
   * the server SHOULD reject the AUTHENTICATE command by sending a tagged
   * NO response." */
  if (g_ascii_strcasecmp (args[0]->data, "PLAIN") != 0)
    {
      _msc_imap_server_reply_no (self, "CANNOT", "Unsupported authentication mechanism");
      return;
    }

  if (!check_auth_allowed (self))
    return;

  if (n_args == 2)
    {
      /* RFC 4959 (SASL-IR): the initial response on the command line,
       * "=" for an empty one. */
      response = msc_imap_value_get_astring (args[1], NULL);
      if (response == NULL)
        {
          _msc_imap_server_reply_bad (self, "Invalid initial response");
          return;
        }
      sasl_step (self, strcmp (response, "=") == 0 ? "" : response);
      return;
    }

  /* PLAIN's server challenge is empty: "+" SP and no base64. */
  send_continuation (self, "");
  msc_imap_parser_expect_line (self->parser);
  set_state (self, MSC_IMAP_SERVER_STATE_AUTHENTICATE);
}

static void
handle_sasl_response (MscImapServer     *self,
                      const MscImapItem *item)
{
  set_state (self, MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED);

  /* §6.2.2: "If the client wishes to cancel an authentication exchange,
   * it issues a line consisting of a single "*".  If the server receives
   * such a response, it MUST reject the AUTHENTICATE command by sending a
   * tagged BAD response." */
  if (strcmp (item->text, "*") == 0)
    _msc_imap_server_reply_bad (self, "AUTHENTICATE cancelled");
  else
    sasl_step (self, item->text);
}

/* ---- Commands once logged in (RFC 2177, 2342, 5161) ---- */

static void
cmd_idle (MscImapServer       *self,
          MscImapValue * const *args,
          guint                 n_args)
{
  MscImapServerEvent *event;

  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "IDLE takes no arguments");
      return;
    }

  /* RFC 2177's example: what waited goes out before "+ idling". */
  _msc_imap_server_sync (self, TRUE);
  send_continuation (self, "idling");
  msc_imap_parser_expect_line (self->parser);
  set_state (self, MSC_IMAP_SERVER_STATE_IDLE);

  event = push_event (self, MSC_IMAP_SERVER_EVENT_IDLE_STARTED);
  event->tag = g_strdup (self->tag);
}

static void
end_idle (MscImapServer *self)
{
  MscImapServerEvent *event;

  set_state (self, self->mailbox != NULL ? MSC_IMAP_SERVER_STATE_SELECTED
                                         : MSC_IMAP_SERVER_STATE_AUTHENTICATED);

  event = push_event (self, MSC_IMAP_SERVER_EVENT_IDLE_ENDED);
  event->tag = g_strdup (self->tag);
}

static void
cmd_namespace (MscImapServer       *self,
               MscImapValue * const *args,
               guint                 n_args)
{
  g_autoptr(GString) data = NULL;

  if (n_args != 0)
    {
      _msc_imap_server_reply_bad (self, "NAMESPACE takes no arguments");
      return;
    }

  /* RFC 2342 §5 example 5.1: one personal namespace, no prefix, "/"; no
   * other users' or shared mailboxes. */
  data = g_string_new ("((\"\" \"/\")) NIL NIL");
  _msc_imap_server_send_untagged (self, "NAMESPACE", FALSE, 0, data);
  _msc_imap_server_reply_ok (self, NULL);
}

static void
cmd_enable (MscImapServer       *self,
            MscImapValue * const *args,
            guint                 n_args)
{
  if (n_args == 0)
    {
      _msc_imap_server_reply_bad (self, "Syntax: ENABLE capability ...");
      return;
    }

  for (guint i = 0; i < n_args; i++)
    {
      if (args[i]->kind != MSC_IMAP_VALUE_ATOM || args[i]->has_section)
        {
          _msc_imap_server_reply_bad (self, "Syntax: ENABLE capability ...");
          return;
        }
    }

  /* RFC 5161 §3.1: an extension the server does not know, or that is not
   * one to enable, "MUST" be ignored; none of this server's extensions
   * (§4: not CONDSTORE, QRESYNC or UTF8=ACCEPT) is, so the list of what
   * got enabled is always empty. */
  _msc_imap_server_send_untagged (self, "ENABLED", FALSE, 0, NULL);
  _msc_imap_server_reply_ok (self, NULL);
}

/* ---- Dispatch ---- */

#define IN_NOT_AUTHENTICATED (1 << 0)
#define IN_AUTHENTICATED     (1 << 1)
#define IN_SELECTED          (1 << 2)
#define IN_ANY               (IN_NOT_AUTHENTICATED | IN_AUTHENTICATED | IN_SELECTED)
#define ONCE_LOGGED_IN       (IN_AUTHENTICATED | IN_SELECTED)

typedef struct
{
  const char         *name;
  MscImapCommandFunc  func;
  guint               states;
  SyncMode            sync;   /* the message-number form; UID commands are SYNC_FULL */
} CommandSpec;

static void cmd_uid (MscImapServer       *self,
                     MscImapValue * const *args,
                     guint                 n_args);

static const CommandSpec commands[] = {
  { "CAPABILITY",   cmd_capability,                    IN_ANY,               SYNC_FULL },
  { "NOOP",         cmd_noop,                          IN_ANY,               SYNC_FULL },
  { "LOGOUT",       cmd_logout,                        IN_ANY,               SYNC_NONE },
  { "ID",           cmd_id,                            IN_ANY,               SYNC_FULL },
  { "STARTTLS",     cmd_starttls,                      IN_NOT_AUTHENTICATED, SYNC_NONE },
  { "AUTHENTICATE", cmd_authenticate,                  IN_NOT_AUTHENTICATED, SYNC_NONE },
  { "LOGIN",        cmd_login,                         IN_NOT_AUTHENTICATED, SYNC_NONE },
  { "ENABLE",       cmd_enable,                        ONCE_LOGGED_IN,       SYNC_FULL },
  { "SELECT",       _msc_imap_server_cmd_select,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "EXAMINE",      _msc_imap_server_cmd_examine,      ONCE_LOGGED_IN,       SYNC_FULL },
  { "CREATE",       _msc_imap_server_cmd_create,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "DELETE",       _msc_imap_server_cmd_delete,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "RENAME",       _msc_imap_server_cmd_rename,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "SUBSCRIBE",    _msc_imap_server_cmd_subscribe,    ONCE_LOGGED_IN,       SYNC_FULL },
  { "UNSUBSCRIBE",  _msc_imap_server_cmd_unsubscribe,  ONCE_LOGGED_IN,       SYNC_FULL },
  { "LIST",         _msc_imap_server_cmd_list,         ONCE_LOGGED_IN,       SYNC_FULL },
  { "LSUB",         _msc_imap_server_cmd_lsub,         ONCE_LOGGED_IN,       SYNC_FULL },
  { "STATUS",       _msc_imap_server_cmd_status,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "APPEND",       _msc_imap_server_cmd_append,       ONCE_LOGGED_IN,       SYNC_FULL },
  { "NAMESPACE",    cmd_namespace,                     ONCE_LOGGED_IN,       SYNC_FULL },
  { "IDLE",         cmd_idle,                          ONCE_LOGGED_IN,       SYNC_FULL },
  { "CHECK",        _msc_imap_server_cmd_check,        IN_SELECTED,          SYNC_FULL },
  { "CLOSE",        _msc_imap_server_cmd_close,        IN_SELECTED,          SYNC_FULL },
  { "UNSELECT",     _msc_imap_server_cmd_unselect,     IN_SELECTED,          SYNC_FULL },
  { "EXPUNGE",      _msc_imap_server_cmd_expunge,      IN_SELECTED,          SYNC_FULL },
  { "SEARCH",       _msc_imap_server_cmd_search,       IN_SELECTED,          SYNC_NO_EXPUNGE },
  { "FETCH",        _msc_imap_server_cmd_fetch,        IN_SELECTED,          SYNC_NO_EXPUNGE },
  { "STORE",        _msc_imap_server_cmd_store,        IN_SELECTED,          SYNC_NO_EXPUNGE },
  { "COPY",         _msc_imap_server_cmd_copy,         IN_SELECTED,          SYNC_FULL },
  { "MOVE",         _msc_imap_server_cmd_move,         IN_SELECTED,          SYNC_FULL },
  { "UID",          cmd_uid,                           IN_SELECTED,          SYNC_FULL },
};

/* RFC 3501 §6.4.8, RFC 4315 §2.1 (UID EXPUNGE) and RFC 6851 (UID MOVE). */
static const char * const uid_commands[] = {
  "COPY", "FETCH", "MOVE", "SEARCH", "STORE", "EXPUNGE",
};

static const CommandSpec *
lookup_command (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (name, commands[i].name) == 0)
        return &commands[i];
    }

  return NULL;
}

static gboolean
is_uid_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (uid_commands); i++)
    {
      if (g_ascii_strcasecmp (name, uid_commands[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

/* The subcommand of "UID FETCH …", upper-cased, or NULL. */
static char *
get_subcommand (const char *name,
                GPtrArray  *args)
{
  const MscImapValue *first;

  if (g_strcmp0 (name, "UID") != 0 || args == NULL || args->len == 0)
    return NULL;

  first = g_ptr_array_index (args, 0);
  if (first->kind != MSC_IMAP_VALUE_ATOM || first->has_section)
    return NULL;

  return g_ascii_strup (first->data, -1);
}

static void
cmd_uid (MscImapServer       *self,
         MscImapValue * const *args,
         guint                 n_args)
{
  g_autofree char *subcommand = NULL;

  if (n_args == 0 || args[0]->kind != MSC_IMAP_VALUE_ATOM || !is_uid_command (args[0]->data))
    {
      _msc_imap_server_reply_bad (self, "Unknown UID command");
      return;
    }

  subcommand = g_ascii_strup (args[0]->data, -1);
  self->uid_command = TRUE;

  if (strcmp (subcommand, "EXPUNGE") == 0)
    {
      /* RFC 4315 §2.1: UID EXPUNGE sequence-set */
      if (n_args != 2)
        {
          _msc_imap_server_reply_bad (self, "Syntax: UID EXPUNGE sequence-set");
          return;
        }
      _msc_imap_server_cmd_expunge (self, args + 1, n_args - 1);
      return;
    }

  lookup_command (subcommand)->func (self, args + 1, n_args - 1);
}

/* Why a command is refused in this state: text for the BAD. */
static const char *
check_state (MscImapServer     *self,
             const CommandSpec *spec)
{
  switch (self->state)
    {
    case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
      return (spec->states & IN_NOT_AUTHENTICATED) ? NULL : "Log in first";
    case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
      if (spec->states & IN_AUTHENTICATED)
        return NULL;
      return (spec->states & IN_SELECTED) ? "No mailbox selected" : "Already logged in";
    case MSC_IMAP_SERVER_STATE_SELECTED:
      return (spec->states & IN_SELECTED) ? NULL : "Already logged in";
    case MSC_IMAP_SERVER_STATE_GREETING:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
    case MSC_IMAP_SERVER_STATE_STARTTLS:
    case MSC_IMAP_SERVER_STATE_IDLE:
    case MSC_IMAP_SERVER_STATE_LOGOUT:
    case MSC_IMAP_SERVER_STATE_CLOSED:
    case MSC_IMAP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* LOGIN always carries a password; AUTHENTICATE only with SASL-IR. */
static gboolean
is_secret_command (const char *name,
                   GPtrArray  *args)
{
  if (g_strcmp0 (name, "LOGIN") == 0)
    return TRUE;

  return g_strcmp0 (name, "AUTHENTICATE") == 0 && (args == NULL || args->len != 1);
}

static MscImapServerEvent *
emit_command (MscImapServer *self,
              const char    *tag,
              const char    *name,
              const char    *subcommand,
              gboolean       secret)
{
  MscImapServerEvent *event = push_event (self, MSC_IMAP_SERVER_EVENT_COMMAND);
  gsize len = self->wire->len;

  if (len >= 2 && self->wire->data[len - 2] == '\r' && self->wire->data[len - 1] == '\n')
    len -= 2;
  else if (len >= 1 && self->wire->data[len - 1] == '\n')
    len -= 1;

  event->tag = g_strdup (tag);
  event->name = g_strdup (name);
  event->subcommand = g_strdup (subcommand);
  event->line = msc_wire_display_string (self->wire->data, len);
  event->secret = secret;
  event->wire = g_bytes_new (self->wire->data, self->wire->len);

  if (secret)
    memset (self->wire->data, 0, self->wire->len);
  g_byte_array_set_size (self->wire, 0);

  return event;
}

static void
begin_command (MscImapServer *self,
               const char    *tag,
               const char    *name,
               const char    *subcommand)
{
  g_free (self->tag);
  self->tag = g_strdup (tag);
  g_free (self->command_name);
  self->command_name = subcommand != NULL ? g_strdup_printf ("%s %s", name, subcommand)
                                          : g_strdup (name);
  self->uid_command = FALSE;
  self->sync_mode = SYNC_NONE;
}

/* After a command or a SASL or IDLE line has been answered. */
static void
end_command (MscImapServer *self)
{
  self->in_command = FALSE;
  self->uid_command = FALSE;

  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED)
    return;

  /* AUTHENTICATE and IDLE keep their tag for the line they wait for. */
  if (self->state != MSC_IMAP_SERVER_STATE_AUTHENTICATE
      && self->state != MSC_IMAP_SERVER_STATE_IDLE)
    g_clear_pointer (&self->tag, g_free);

  if (self->mailbox_gone)
    bye_mailbox_gone (self);
}

static void
handle_command (MscImapServer *self,
                MscImapItem   *item)
{
  g_autofree char *subcommand = get_subcommand (item->name, item->args);
  const CommandSpec *spec = lookup_command (item->name);
  const char *refusal;

  emit_command (self, item->tag, item->name, subcommand,
                is_secret_command (item->name, item->args));
  begin_command (self, item->tag, item->name, subcommand);
  self->in_command = TRUE;

  if (spec == NULL)
    {
      _msc_imap_server_reply_bad (self, "Unknown command");
    }
  else if ((refusal = check_state (self, spec)) != NULL)
    {
      _msc_imap_server_reply_bad (self, refusal);
    }
  else
    {
      self->sync_mode = spec->sync;
      spec->func (self, (MscImapValue * const *) item->args->pdata, item->args->len);
    }

  end_command (self);
}

static void
handle_idle_line (MscImapServer     *self,
                  const MscImapItem *item)
{
  gboolean done = g_ascii_strcasecmp (item->text, "DONE") == 0;

  emit_command (self, NULL, done ? "DONE" : NULL, NULL, FALSE);
  self->in_command = TRUE;
  end_idle (self);

  /* RFC 2177: "The client MUST NOT send a command while the server is
   * waiting for the DONE, since the server will not be able to
   * distinguish a command from a continuation." */
  if (done)
    _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_OK, NULL, "IDLE terminated");
  else
    _msc_imap_server_reply_bad (self, "Expected DONE");

  end_command (self);
}

static void
handle_item (MscImapServer *self,
             MscImapItem   *item)
{
  switch (self->state)
    {
    case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
      g_assert (item->kind == MSC_IMAP_ITEM_LINE);
      emit_command (self, NULL, NULL, NULL, TRUE);
      self->in_command = TRUE;
      handle_sasl_response (self, item);
      if (item->text != NULL)
        memset (item->text, 0, strlen (item->text));
      end_command (self);
      break;

    case MSC_IMAP_SERVER_STATE_IDLE:
      g_assert (item->kind == MSC_IMAP_ITEM_LINE);
      handle_idle_line (self, item);
      break;

    case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_SELECTED:
      g_assert (item->kind == MSC_IMAP_ITEM_COMMAND);
      handle_command (self, item);
      break;

    case MSC_IMAP_SERVER_STATE_GREETING:
    case MSC_IMAP_SERVER_STATE_STARTTLS:
    case MSC_IMAP_SERVER_STATE_LOGOUT:
    case MSC_IMAP_SERVER_STATE_CLOSED:
    case MSC_IMAP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* "[TOOBIG] Literal of …": the parser's texts may start with a code. */
static void
split_code (const char  *message,
            char       **code,
            const char **text)
{
  const char *end;

  *code = NULL;
  *text = message;

  if (message[0] != '[' || (end = strchr (message, ']')) == NULL)
    return;

  *code = g_strndup (message + 1, end - message - 1);
  *text = end[1] == ' ' ? end + 2 : end + 1;
}

static void
handle_parse_error (MscImapServer *self,
                    MscImapItem   *item,
                    const GError  *error)
{
  g_autofree char *code = NULL;
  const char *text;
  const char *tag = item != NULL ? item->tag : NULL;
  const char *name = item != NULL ? item->name : NULL;

  g_debug ("%s", error->message);
  split_code (error->message, &code, &text);

  switch (self->state)
    {
    case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
      emit_command (self, NULL, NULL, NULL, TRUE);
      break;
    case MSC_IMAP_SERVER_STATE_IDLE:
      emit_command (self, NULL, NULL, NULL, FALSE);
      break;
    case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_SELECTED:
      emit_command (self, tag, name, NULL, is_secret_command (name, NULL));
      break;
    case MSC_IMAP_SERVER_STATE_GREETING:
    case MSC_IMAP_SERVER_STATE_STARTTLS:
    case MSC_IMAP_SERVER_STATE_LOGOUT:
    case MSC_IMAP_SERVER_STATE_CLOSED:
    case MSC_IMAP_SERVER_N_STATES:
    default:
      g_assert_not_reached ();
    }

  /* The parser cannot read on (a {n+} literal over the limit is already
   * on its way): RFC 7888 §4 lets the server close. */
  if (msc_imap_parser_error_is_fatal (error))
    {
      bye (self, code, text,
           g_error_new (MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_PROTOCOL,
                        _("The client sent what the server cannot read past: %s"), error->message));
      return;
    }

  self->in_command = TRUE;

  if (self->state == MSC_IMAP_SERVER_STATE_AUTHENTICATE)
    {
      /* The SASL exchange is over; its tag gets the BAD. */
      set_state (self, MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
      _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_BAD, code, text);
    }
  else if (self->state == MSC_IMAP_SERVER_STATE_IDLE)
    {
      end_idle (self);
      _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_BAD, code, text);
    }
  else if (tag != NULL)
    {
      begin_command (self, tag, name != NULL ? name : "", NULL);
      _msc_imap_server_reply (self, MSC_IMAP_SERVER_RESPONSE_BAD, code, text);
    }
  else
    {
      /* §7.1.3: "a protocol-level error for which the associated command
       * can not be determined". */
      send_status (self, MSC_IMAP_SERVER_RESPONSE_UNTAGGED, NULL, "BAD", code, text);
      self->n_errors++;
    }

  end_command (self);
}

/* The parser stopped after a synchronizing literal's announcement: the
 * client waits for "+".  A command that is going to fail anyway is
 * refused now, so that the client sends no literal (RFC 3501 §7.5:
 * "A044 BLURDYBLOOP {102856}" gets "A044 BAD No such command"). */
static void
handle_literal_announcement (MscImapServer *self)
{
  const MscImapItem *item = msc_imap_parser_peek (self->parser);
  const CommandSpec *spec;
  g_autofree char *subcommand = NULL;
  const char *refusal = NULL;
  MscImapServerResponseKind status = MSC_IMAP_SERVER_RESPONSE_BAD;
  const char *code = NULL;

  g_assert (item != NULL && item->kind == MSC_IMAP_ITEM_COMMAND);

  spec = lookup_command (item->name);
  subcommand = get_subcommand (item->name, item->args);

  /* The same BAD the complete command would get, or a refusal that
   * does not need the literal to be decided. */
  refusal = spec == NULL ? "Unknown command" : check_state (self, spec);

  if (refusal == NULL && spec->func == cmd_uid && item->args->len > 1
      && (subcommand == NULL || !is_uid_command (subcommand)))
    {
      refusal = "Unknown UID command";
    }
  else if (refusal == NULL && spec->func == cmd_login && !auth_allowed (self))
    {
      /* Before the password is on the wire. */
      status = MSC_IMAP_SERVER_RESPONSE_NO;
      code = "PRIVACYREQUIRED";
      refusal = self->tls_available ? "Use STARTTLS first: no password without encryption"
                                    : "No password is accepted without encryption";
    }
  else if (refusal == NULL && spec->func == _msc_imap_server_cmd_append && item->args->len > 1
           && _msc_imap_server_append_target_missing (self, g_ptr_array_index (item->args, 0)))
    {
      /* RFC 3501 §6.3.11: [TRYCREATE], and no message sent for nothing. */
      status = MSC_IMAP_SERVER_RESPONSE_NO;
      code = "TRYCREATE";
      refusal = "No such mailbox";
    }

  if (refusal == NULL)
    {
      /* What came so far is one message on the wire: show it as such,
       * before the "+" that answers it. */
      emit_command (self, item->tag, item->name, subcommand,
                    is_secret_command (item->name, item->args))->incomplete = TRUE;
      send_continuation (self, "Ready for literal data");
      return;
    }

  emit_command (self, item->tag, item->name, subcommand, is_secret_command (item->name, item->args));
  begin_command (self, item->tag, item->name, subcommand);
  self->in_command = TRUE;
  if (g_strcmp0 (code, "PRIVACYREQUIRED") == 0)
    self->n_errors++;
  self->sync_mode = SYNC_NONE;
  _msc_imap_server_reply (self, status, code, refusal);
  msc_imap_parser_reset (self->parser);
  end_command (self);
}

static void
process_input (MscImapServer *self,
               const guint8  *data,
               gsize          len)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MscImapItem) item = NULL;
      const guint8 *start = data;
      MscImapParserResult result;

      switch (self->state)
        {
        case MSC_IMAP_SERVER_STATE_STARTTLS:
          /* The injection guard: bytes that came in the clear after
           * STARTTLS are never read as commands (CVE-2011-0411). */
        case MSC_IMAP_SERVER_STATE_LOGOUT:
        case MSC_IMAP_SERVER_STATE_CLOSED:
          /* Whatever follows LOGOUT or a BYE is ignored. */
          return;

        case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
        case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
        case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
        case MSC_IMAP_SERVER_STATE_SELECTED:
        case MSC_IMAP_SERVER_STATE_IDLE:
          break;

        case MSC_IMAP_SERVER_STATE_GREETING:
        case MSC_IMAP_SERVER_N_STATES:
        default:
          g_assert_not_reached ();
        }

      result = msc_imap_parser_next (self->parser, &data, &len, &item, &error);
      if (data != start)
        g_byte_array_append (self->wire, start, data - start);

      switch (result)
        {
        case MSC_IMAP_PARSER_RESULT_NEED_MORE:
          return;

        case MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION:
          handle_literal_announcement (self);
          break;

        case MSC_IMAP_PARSER_RESULT_ITEM:
          handle_item (self, item);
          if (item->kind == MSC_IMAP_ITEM_COMMAND && is_secret_command (item->name, item->args))
            {
              for (guint i = 0; i < item->args->len; i++)
                {
                  MscImapValue *value = g_ptr_array_index (item->args, i);

                  memset (value->data, 0, value->len);
                }
            }
          break;

        case MSC_IMAP_PARSER_RESULT_ERROR:
          handle_parse_error (self, item, error);
          break;

        default:
          g_assert_not_reached ();
        }

      check_error_limit (self);
    }
}

/* ---- Object ---- */

static void
msc_imap_server_dispose (GObject *object)
{
  MscImapServer *self = (MscImapServer *) object;

  if (self->store != NULL)
    {
      g_clear_signal_handler (&self->message_added_id, self->store);
      g_clear_signal_handler (&self->message_expunged_id, self->store);
      g_clear_signal_handler (&self->flags_changed_id, self->store);
      g_clear_signal_handler (&self->mailbox_deleted_id, self->store);
    }
  if (self->messages != NULL)
    clear_view (self);
  g_clear_object (&self->mailbox);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (msc_imap_server_parent_class)->dispose (object);
}

static void
msc_imap_server_finalize (GObject *object)
{
  MscImapServer *self = (MscImapServer *) object;

  g_clear_pointer (&self->parser, msc_imap_parser_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_clear_pointer (&self->wire, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_imap_server_event_free);
  g_clear_error (&self->close_reason);
  g_free (self->hostname);
  g_free (self->user);
  g_free (self->tag);
  g_free (self->command_name);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->added, g_ptr_array_unref);
  g_clear_pointer (&self->expunged, g_hash_table_unref);
  g_clear_pointer (&self->flags_changed, g_hash_table_unref);
  g_clear_pointer (&self->recent, g_hash_table_unref);
  g_clear_pointer (&self->parsed, g_hash_table_unref);

  G_OBJECT_CLASS (msc_imap_server_parent_class)->finalize (object);
}

static void
msc_imap_server_class_init (MscImapServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_imap_server_dispose;
  object_class->finalize = msc_imap_server_finalize;
}

static void
msc_imap_server_init (MscImapServer *self)
{
  self->output = g_byte_array_new ();
  self->wire = g_byte_array_new ();
  g_queue_init (&self->events);
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->added = g_ptr_array_new_with_free_func (g_object_unref);
  self->expunged = g_hash_table_new (NULL, NULL);
  self->flags_changed = g_hash_table_new (NULL, NULL);
  self->recent = g_hash_table_new (NULL, NULL);
  self->parsed = g_hash_table_new_full (NULL, NULL, g_object_unref, g_object_unref);
}

MscImapServer *
msc_imap_server_new (const MscImapServerConfig *config,
                     MscMailStore              *store)
{
  MscImapServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->hostname != NULL && *config->hostname != '\0', NULL);
  /* The greeting and BYE texts are TEXT-CHARs (RFC 3501 §9). */
  g_return_val_if_fail (g_str_is_ascii (config->hostname), NULL);
  g_return_val_if_fail (strpbrk (config->hostname, " \t\r\n[]") == NULL, NULL);
  g_return_val_if_fail (strlen (config->hostname) <= 253, NULL);
  g_return_val_if_fail (config->limits.max_depth <= 1024, NULL);
  g_return_val_if_fail (MSC_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MSC_TYPE_IMAP_SERVER, NULL);

  self->store = g_object_ref (store);
  self->hostname = g_strdup (config->hostname);
  self->max_errors = config->max_errors > 0 ? config->max_errors : DEFAULT_MAX_ERRORS;
  self->tls_active = config->tls_active;
  self->tls_available = config->tls_available;
  self->allow_insecure_auth = config->allow_insecure_auth;
  self->autologout = MAX (config->autologout_usec, MIN_AUTOLOGOUT_USEC);
  self->parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_COMMAND, &config->limits);

  self->message_added_id = g_signal_connect (store, "message-added",
                                             G_CALLBACK (on_message_added_cb), self);
  self->message_expunged_id = g_signal_connect (store, "message-expunged",
                                                G_CALLBACK (on_message_expunged_cb), self);
  self->flags_changed_id = g_signal_connect (store, "flags-changed",
                                             G_CALLBACK (on_flags_changed_cb), self);
  self->mailbox_deleted_id = g_signal_connect (store, "mailbox-deleted",
                                               G_CALLBACK (on_mailbox_deleted_cb), self);

  return self;
}

void
msc_imap_server_start (MscImapServer *self)
{
  g_autofree char *code = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (MSC_IS_IMAP_SERVER (self));
  g_return_if_fail (self->state == MSC_IMAP_SERVER_STATE_GREETING);

  self->last_activity = self->now;

  /* RFC 3501 §7.1.4 and §7.2.1: the greeting may carry the capabilities,
   * which saves the client a round trip. */
  code = capability_code (self);
  text = g_strdup_printf ("%s IMAP4rev1 server ready", self->hostname);
  _msc_imap_server_send_untagged_status (self, "OK", code, text);

  set_state (self, MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
}

gboolean
msc_imap_server_feed (MscImapServer  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_IMAP_SERVER_STATE_GREETING, FALSE);

  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_CLOSED,
                           _("The IMAP session is already closed"));
      return FALSE;
    }

  /* RFC 3501 §5.4: "The receipt of ANY command from the client during
   * that interval SHOULD suffice to reset the autologout timer"; any
   * bytes do here, so a large literal that keeps coming is not cut. */
  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

GBytes *
msc_imap_server_take_output (MscImapServer *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), NULL);

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

gboolean
msc_imap_server_has_output (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), FALSE);

  return self->output->len > 0;
}

MscImapServerEvent *
msc_imap_server_next_event (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_imap_server_set_now (MscImapServer *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_IMAP_SERVER (self));

  self->now = now_usec;
}

gint64
msc_imap_server_get_deadline (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), -1);

  switch (self->state)
    {
    case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_SELECTED:
    case MSC_IMAP_SERVER_STATE_IDLE:
      return self->last_activity + self->autologout;

    /* The handshake is the layer around's to time. */
    case MSC_IMAP_SERVER_STATE_GREETING:
    case MSC_IMAP_SERVER_STATE_STARTTLS:
    case MSC_IMAP_SERVER_STATE_LOGOUT:
    case MSC_IMAP_SERVER_STATE_CLOSED:
    case MSC_IMAP_SERVER_N_STATES:
    default:
      return -1;
    }
}

gboolean
msc_imap_server_check_timeout (MscImapServer *self)
{
  gint64 deadline;
  gint64 idle;

  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), FALSE);

  deadline = msc_imap_server_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  /* RFC 3501 §7.1.5: BYE "as an announcement of an inactivity
   * autologout", with its own example text.  A command or literal left
   * half sent is simply dropped with the session. */
  idle = (self->now - self->last_activity) / G_USEC_PER_SEC;
  bye (self, NULL, "Autologout; idle for too long",
       g_error_new (MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_TIMEOUT,
                    ngettext ("The client sent nothing for %lu second; the server logged it out",
                              "The client sent nothing for %lu seconds; the server logged it out",
                              (gulong) idle),
                    (gulong) idle));

  return TRUE;
}

void
msc_imap_server_tls_started (MscImapServer *self)
{
  g_return_if_fail (MSC_IS_IMAP_SERVER (self));

  /* The session may have ended while the handshake ran. */
  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_IMAP_SERVER_STATE_STARTTLS);

  /* RFC 3501 §6.2.1: "The server remains in the non-authenticated
   * state"; the client asks for the capabilities again. */
  self->tls_active = TRUE;
  msc_imap_parser_reset (self->parser);
  g_byte_array_set_size (self->wire, 0);
  self->last_activity = self->now;

  set_state (self, MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
}

void
msc_imap_server_abort (MscImapServer *self)
{
  g_return_if_fail (MSC_IS_IMAP_SERVER (self));

  if (self->state == MSC_IMAP_SERVER_STATE_CLOSED)
    return;

  close_session (self,
                 g_error_new_literal (MSC_IMAP_SERVER_ERROR, MSC_IMAP_SERVER_ERROR_ABORTED,
                                      _("The connection ended without LOGOUT")));
}

MscImapServerState
msc_imap_server_get_state (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), MSC_IMAP_SERVER_STATE_CLOSED);

  return self->state;
}

gboolean
msc_imap_server_want_read (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), FALSE);

  switch (self->state)
    {
    case MSC_IMAP_SERVER_STATE_NOT_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATE:
    case MSC_IMAP_SERVER_STATE_AUTHENTICATED:
    case MSC_IMAP_SERVER_STATE_SELECTED:
    case MSC_IMAP_SERVER_STATE_IDLE:
      return TRUE;

    case MSC_IMAP_SERVER_STATE_GREETING:
    case MSC_IMAP_SERVER_STATE_STARTTLS:
    case MSC_IMAP_SERVER_STATE_LOGOUT:
    case MSC_IMAP_SERVER_STATE_CLOSED:
    case MSC_IMAP_SERVER_N_STATES:
    default:
      return FALSE;
    }
}

gboolean
msc_imap_server_is_closed (MscImapServer *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_SERVER (self), TRUE);

  return self->state == MSC_IMAP_SERVER_STATE_CLOSED;
}
