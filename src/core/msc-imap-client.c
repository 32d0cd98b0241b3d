/* msc-imap-client.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-imap-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "msc-imap-client.h"
#include "msc-mutf7.h"
#include "msc-wire.h"

/* RFC 7162 §4 asks servers to take 8192-octet command lines; responses
 * listing many mailboxes or flags run longer.  Literals (messages) are
 * bounded apart. */
#define DEFAULT_MAX_LINE_LENGTH  (64 * 1024)
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024 * 1024)
/* No RFC sets a client timeout; Outlook's default server timeout. */
#define DEFAULT_TIMEOUT_USEC     (60 * G_USEC_PER_SEC)
/* RFC 2177 §3: "clients using IDLE are advised to terminate the IDLE and
 * re-issue it at least every 29 minutes to avoid being logged off". */
#define DEFAULT_IDLE_RENEW_USEC  (G_GINT64_CONSTANT (29) * 60 * G_USEC_PER_SEC)
/* RFC 7888 §5: LITERAL- allows {n+} up to 4096 octets only. */
#define LITERAL_MINUS_MAX        4096
/* Bounds the sequence map a server can make the client allocate with
 * "* n EXISTS". */
#define MAX_MESSAGES             1000000

typedef enum
{
  CMD_GREETING,      /* not sent: the wait for the greeting */
  CMD_CAPABILITY,
  CMD_STARTTLS,
  CMD_LOGIN,
  CMD_AUTHENTICATE,
  CMD_LIST,
  CMD_SELECT,        /* a sync pass */
  CMD_RESYNC,        /* UID FETCH 1:n (FLAGS) */
  CMD_FETCH,         /* new and missing messages, in a sync pass */
  CMD_UPDATE,        /* what IDLE or a poll reported */
  CMD_IDLE,
  CMD_NOOP,
  CMD_ACTION,        /* any command of a user action, its SELECT included */
  CMD_LOGOUT,
} CommandKind;

typedef enum
{
  STEP_SELECT,
  STEP_STORE,         /* the flag change a MARK_* or FLAG action asks for */
  STEP_MOVE,
  STEP_COPY,
  STEP_MARK_DELETED,
  STEP_EXPUNGE,
  STEP_FETCH_BODY,
  STEP_MARK_SEEN,
  STEP_APPEND,
} ActionStep;

#define MAX_STEPS 3

typedef struct
{
  guint                    id;
  MscImapClientActionKind  kind;
  char                    *key;
  char                    *folder;
  GBytes                  *message;

  /* Resolved when it starts */
  gboolean                 started;
  gboolean                 selected;     /* its mailbox is selected, UIDVALIDITY checked */
  char                    *mailbox;
  guint32                  uidvalidity;
  guint32                  uid;
  char                    *target;       /* DELETE, MOVE, APPEND_SENT */
  MscDeviceMessage        *local;        /* the device's copy when it started */
  ActionStep               steps[MAX_STEPS];
  guint                    n_steps;
  guint                    step;
  guint32                  new_uidvalidity;  /* COPYUID, APPENDUID (RFC 4315 §3) */
  guint32                  new_uid;
} Action;

typedef struct
{
  CommandKind  kind;
  char        *tag;
  GPtrArray   *parts;     /* GString: a new part after each synchronizing literal */
  guint        n_sent;
  gboolean     secret;
  char        *mailbox;   /* SELECT */
  Action      *action;    /* ACTION: borrowed, the head of the queue */
  ActionStep   step;
  GString     *building;
} Command;

enum
{
  MAILBOX_NOSELECT = 1 << 0,
  MAILBOX_SENT     = 1 << 1,
  MAILBOX_TRASH    = 1 << 2,
  MAILBOX_DRAFTS   = 1 << 3,
  MAILBOX_JUNK     = 1 << 4,
  MAILBOX_ARCHIVE  = 1 << 5,
  MAILBOX_ALL      = 1 << 6,
  MAILBOX_FLAGGED  = 1 << 7,
};

/* RFC 3501 §7.2.2 name attributes and RFC 6154 §2 special uses. */
static const struct
{
  const char *name;
  guint       attribute;
} mailbox_attributes[] = {
  { "\\Noselect", MAILBOX_NOSELECT },
  { "\\NonExistent", MAILBOX_NOSELECT },  /* RFC 5258 §3 */
  { "\\Sent", MAILBOX_SENT },
  { "\\Trash", MAILBOX_TRASH },
  { "\\Drafts", MAILBOX_DRAFTS },
  { "\\Junk", MAILBOX_JUNK },
  { "\\Archive", MAILBOX_ARCHIVE },
  { "\\All", MAILBOX_ALL },
  { "\\Flagged", MAILBOX_FLAGGED },
};

typedef struct
{
  char  *name;        /* UTF-8; "INBOX" for the inbox in any case */
  char  *wire;        /* as the server spelled it */
  gsize  wire_len;
  guint  attributes;
} Mailbox;

/* One mailbox being brought in line with the server. */
typedef struct
{
  char       *mailbox;
  gboolean    update;       /* what IDLE or a poll reported: no SELECT, no RESYNC */
  guint32     lastuid;      /* the highest UID the device had before */
  gboolean    reset;        /* UIDVALIDITY changed: the old copies went */
  GHashTable *still_there;  /* RESYNC: the UIDs the server listed */
} Sync;

struct _MscImapClient
{
  GObject                parent_instance;

  /* Owned references */
  MscDeviceStore        *store;
  MscImapParser         *parser;
  GByteArray            *output;
  GByteArray            *wire;          /* the bytes of the response being read */
  GQueue                 events;
  GQueue                 actions;       /* Action, oldest first; the head may be running */
  GQueue                 to_sync;       /* char *: mailboxes still to sync */
  GPtrArray             *mailboxes;     /* Mailbox, from LIST */
  GHashTable            *capabilities;  /* upper-cased names */
  Command               *current;       /* in flight: one command at a time */
  Sync                  *sync;
  GArray                *uids;          /* the selected mailbox: sequence number - 1 → UID, 0 unknown */
  GHashTable            *server_flags;  /* the selected mailbox: UID → MscDeviceFlags + 1, as
                                         * the latest FETCH gave them */
  MscImapClientOutcome  *outcome;
  GError                *failure;       /* ending the session: LOGOUT is under way */
  GError                *close_reason;

  /* Configuration */
  char                  *user;
  char                  *password;
  MscImapClientTlsMode   tls_mode;
  gboolean               allow_auth_without_tls;
  gboolean               use_idle;
  gint64                 poll_interval;
  gint64                 idle_renew;
  gboolean               headers_only;
  gboolean               open_with_peek;
  GStrv                  folders;
  gint64                 timeout;

  /* Session */
  MscImapClientState     state;
  gboolean               tls_active;
  gboolean               authenticated;
  gboolean               listed;
  gboolean               stop_requested;
  gboolean               idle_refused;
  gboolean               idle_running;    /* "+" came, DONE not sent yet */
  gboolean               idle_done_sent;
  gboolean               idle_renew_due;
  gboolean               fetch_stalled;   /* a fetch left sequence numbers unexplained */
  gboolean               caps_in_code;    /* the response being handled had [CAPABILITY] */
  guint                  busy;            /* inside a handler: commands wait */
  guint                  next_tag;
  guint                  next_action_id;
  gint64                 now;
  gint64                 last_activity;
  gint64                 idle_since;
  gint64                 poll_due;        /* 0: no poll scheduled */

  /* The selected mailbox */
  char                  *selected;
  gboolean               selected_synced; /* a sync pass made the sequence map whole */
  guint32                uidvalidity;

  /* Since the last SYNCED, and in all */
  guint                  pass_added;
  guint                  pass_changed;
  guint                  pass_removed;
  guint                  n_added;
  guint                  n_changed;
  guint                  n_removed;
  guint                  n_actions_done;
  guint                  n_actions_failed;
};

G_DEFINE_FINAL_TYPE (MscImapClient, msc_imap_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-imap-client-error-quark, msc_imap_client_error)

static const char * const state_names[] = {
  "connect", "greeting", "capability", "starttls", "tls-handshake", "login", "list",
  "select", "resync", "fetch", "action", "idle", "poll", "logout", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MSC_IMAP_CLIENT_N_STATES);

static const char * const event_kind_names[] = {
  "command", "response", "state-changed", "starttls", "synced", "message-added",
  "message-changed", "message-removed", "action-done", "idle-started", "idle-ended",
  "done", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (event_kind_names) == MSC_IMAP_CLIENT_N_EVENT_KINDS);

static const char * const action_kind_names[] = {
  "mark-read", "mark-unread", "flag", "unflag", "delete", "move", "open", "append-sent",
};
G_STATIC_ASSERT (G_N_ELEMENTS (action_kind_names) == MSC_IMAP_CLIENT_N_ACTIONS);

static void continue_session (MscImapClient *self);
static void kick             (MscImapClient *self);

const char *
msc_imap_client_state_get_name (MscImapClientState state)
{
  g_return_val_if_fail (state < MSC_IMAP_CLIENT_N_STATES, NULL);

  return state_names[state];
}

const char *
msc_imap_client_event_kind_get_name (MscImapClientEventKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_CLIENT_N_EVENT_KINDS, NULL);

  return event_kind_names[kind];
}

const char *
msc_imap_client_action_kind_get_name (MscImapClientActionKind kind)
{
  g_return_val_if_fail (kind < MSC_IMAP_CLIENT_N_ACTIONS, NULL);

  return action_kind_names[kind];
}

MscImapClientOutcome *
msc_imap_client_outcome_copy (const MscImapClientOutcome *outcome)
{
  MscImapClientOutcome *copy;

  g_return_val_if_fail (outcome != NULL, NULL);

  copy = g_memdup2 (outcome, sizeof *outcome);
  copy->error = outcome->error != NULL ? g_error_copy (outcome->error) : NULL;

  return copy;
}

void
msc_imap_client_outcome_free (MscImapClientOutcome *outcome)
{
  if (outcome == NULL)
    return;

  g_clear_error (&outcome->error);
  g_free (outcome);
}

void
msc_imap_client_event_free (MscImapClientEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->tag);
  if (event->secret)
    msc_wire_free_secret (event->line);
  else
    g_free (event->line);
  g_clear_pointer (&event->wire, g_bytes_unref);
  g_free (event->name);
  g_free (event->code);
  g_free (event->code_text);
  g_free (event->text);
  g_free (event->mailbox);
  g_free (event->key);
  g_free (event->folder);
  g_free (event->new_key);
  g_clear_pointer (&event->outcome, msc_imap_client_outcome_free);
  g_clear_error (&event->error);
  g_free (event);
}

/* ---- Keys ---- */

char *
msc_imap_client_make_key (const char *mailbox,
                          guint32     uidvalidity,
                          guint32     uid)
{
  g_return_val_if_fail (mailbox != NULL && *mailbox != '\0', NULL);

  return g_strdup_printf ("%s/%u/%u", mailbox, uidvalidity, uid);
}

/* nz-number as make_key() writes it: digits, no leading zero. */
static gboolean
parse_nz_number (const char *start,
                 gsize       len,
                 guint32    *out)
{
  guint64 value = 0;

  if (len == 0 || len > 10 || start[0] == '0')
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (start[i]))
        return FALSE;
      value = value * 10 + (start[i] - '0');
    }

  if (value > G_MAXUINT32)
    return FALSE;

  *out = value;

  return TRUE;
}

gboolean
msc_imap_client_parse_key (const char  *key,
                           char       **out_mailbox,
                           guint32     *out_uidvalidity,
                           guint32     *out_uid)
{
  const char *last;
  const char *middle;
  guint32 uidvalidity;
  guint32 uid;

  g_return_val_if_fail (key != NULL, FALSE);

  last = strrchr (key, '/');
  if (last == NULL || last == key)
    return FALSE;
  for (middle = last - 1; middle > key && *middle != '/'; middle--)
    ;
  if (middle == key)
    return FALSE;

  if (!parse_nz_number (middle + 1, last - middle - 1, &uidvalidity) ||
      !parse_nz_number (last + 1, strlen (last + 1), &uid))
    return FALSE;

  if (out_mailbox != NULL)
    *out_mailbox = g_strndup (key, middle - key);
  if (out_uidvalidity != NULL)
    *out_uidvalidity = uidvalidity;
  if (out_uid != NULL)
    *out_uid = uid;

  return TRUE;
}

/* ---- Small things ---- */

static void
action_free (Action *action)
{
  g_free (action->key);
  g_free (action->folder);
  g_clear_pointer (&action->message, g_bytes_unref);
  g_free (action->mailbox);
  g_free (action->target);
  g_clear_pointer (&action->local, msc_device_message_unref);
  g_free (action);
}

static void
wipe_string (GString *string)
{
  memset (string->str, 0, string->len);
}

static void
command_free (Command *command)
{
  if (command == NULL)
    return;

  for (guint i = 0; i < command->parts->len; i++)
    {
      GString *part = g_ptr_array_index (command->parts, i);

      if (command->secret)
        wipe_string (part);
      g_string_free (part, TRUE);
    }
  g_ptr_array_unref (command->parts);
  if (command->building != NULL)
    {
      if (command->secret)
        wipe_string (command->building);
      g_string_free (command->building, TRUE);
    }
  g_free (command->tag);
  g_free (command->mailbox);
  g_free (command);
}

static void
mailbox_free (Mailbox *mailbox)
{
  g_free (mailbox->name);
  g_free (mailbox->wire);
  g_free (mailbox);
}

static void
sync_free (Sync *sync)
{
  if (sync == NULL)
    return;

  g_free (sync->mailbox);
  g_clear_pointer (&sync->still_there, g_hash_table_unref);
  g_free (sync);
}

static MscImapClientEvent *
push_event (MscImapClient          *self,
            MscImapClientEventKind  kind)
{
  MscImapClientEvent *event = g_new0 (MscImapClientEvent, 1);

  event->kind = kind;
  g_queue_push_tail (&self->events, event);

  return event;
}

static void
set_state (MscImapClient      *self,
           MscImapClientState  state)
{
  MscImapClientEvent *event;

  if (self->state == state)
    return;

  g_debug ("%s -> %s", state_names[self->state], state_names[state]);

  event = push_event (self, MSC_IMAP_CLIENT_EVENT_STATE_CHANGED);
  event->old_state = self->state;
  event->new_state = state;
  self->state = state;
}

static gboolean
has_capability (MscImapClient *self,
                const char    *name)
{
  return g_hash_table_contains (self->capabilities, name);
}

static char *
display_text (const char *text)
{
  return text != NULL ? msc_wire_display_string ((const guint8 *) text, strlen (text)) : g_strdup ("");
}

/* ---- Mailboxes ---- */

static Mailbox *
find_mailbox (MscImapClient *self,
              const char    *name)
{
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      Mailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (strcmp (mailbox->name, name) == 0)
        return mailbox;
    }

  /* RFC 3501 §5.1: INBOX is INBOX in any case. */
  if (g_ascii_strcasecmp (name, "INBOX") == 0 && strcmp (name, "INBOX") != 0)
    return find_mailbox (self, "INBOX");

  return NULL;
}

/* The last level of a hierarchical name, to guess a special use from
 * names like "INBOX.Trash" (servers with a personal namespace prefix,
 * RFC 2342) when the server lists no RFC 6154 attributes. */
static gboolean
leaf_is_one_of (const char         *name,
                const char * const *candidates)
{
  const char *leaf = name;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '/' || *p == '.')
        leaf = p + 1;
    }

  for (guint i = 0; candidates[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (leaf, candidates[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

static const char * const trash_names[] = { "Trash", "Deleted Items", "Deleted Messages", NULL };
static const char * const sent_names[] = { "Sent", "Sent Items", "Sent Messages", NULL };

static const char *
special_mailbox (MscImapClient *self,
                 guint          attribute)
{
  const char * const *guesses = attribute == MAILBOX_TRASH ? trash_names
                              : attribute == MAILBOX_SENT ? sent_names : NULL;

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      Mailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if ((mailbox->attributes & attribute) != 0 && !(mailbox->attributes & MAILBOX_NOSELECT))
        return mailbox->name;
    }

  if (guesses == NULL)
    return NULL;

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      Mailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (!(mailbox->attributes & MAILBOX_NOSELECT) && leaf_is_one_of (mailbox->name, guesses))
        return mailbox->name;
    }

  return NULL;
}

/* Where the device keeps a mailbox's mail: see msc_imap_client_new(). */
static const char *
folder_for_mailbox (MscImapClient *self,
                    const char    *mailbox)
{
  const char *trash = special_mailbox (self, MAILBOX_TRASH);

  if (strcmp (mailbox, "INBOX") == 0)
    return MSC_DEVICE_STORE_INBOX;
  if (trash != NULL && strcmp (mailbox, trash) == 0)
    return MSC_DEVICE_STORE_TRASH;

  return mailbox;
}

/* ---- The device store, with an event for each change ---- */

static gboolean
ensure_folder (MscImapClient *self,
               const char    *folder)
{
  g_autoptr(GError) error = NULL;

  if (msc_device_store_has_folder (self->store, folder))
    return TRUE;

  if (!msc_device_store_create_folder (self->store, folder, &error))
    {
      /* A name the device cannot show (too long): its mail stays on the
       * server only. */
      g_debug ("Cannot create folder “%s”: %s", folder, error->message);
      return FALSE;
    }

  return TRUE;
}

static MscImapClientEvent *
push_message_event (MscImapClient          *self,
                    MscImapClientEventKind  kind,
                    MscDeviceMessage       *message)
{
  MscImapClientEvent *event = push_event (self, kind);

  event->key = g_strdup (msc_device_message_get_key (message));
  event->folder = g_strdup (msc_device_message_get_folder (message));
  event->flags = msc_device_message_get_flags (message);
  event->complete = msc_device_message_is_complete (message);

  return event;
}

static void
store_add (MscImapClient  *self,
           const char     *key,
           const char     *mailbox,
           GBytes         *data,
           gboolean        complete,
           MscDeviceFlags  flags,
           gsize           size)
{
  g_autoptr(GError) error = NULL;
  const char *folder = folder_for_mailbox (self, mailbox);
  MscDeviceMessage *message;

  if (!ensure_folder (self, folder))
    return;

  if (!msc_device_store_add (self->store, key, folder, data, complete, flags, self->now, &error))
    {
      /* Only a signal handler playing with the store can cause this. */
      g_debug ("Cannot store %s: %s", key, error->message);
      return;
    }

  self->pass_added++;
  self->n_added++;

  /* A handler of the store's own signal may have moved it on already. */
  message = msc_device_store_lookup (self->store, key);
  if (message != NULL)
    push_message_event (self, MSC_IMAP_CLIENT_EVENT_MESSAGE_ADDED, message)->size = size;
}

static void
note_changed (MscImapClient *self,
              const char    *key)
{
  MscDeviceMessage *message = msc_device_store_lookup (self->store, key);

  self->pass_changed++;
  self->n_changed++;

  if (message != NULL)
    push_message_event (self, MSC_IMAP_CLIENT_EVENT_MESSAGE_CHANGED, message);
}

static void
store_set_flags (MscImapClient  *self,
                 const char     *key,
                 MscDeviceFlags  flags)
{
  MscDeviceMessage *message = msc_device_store_lookup (self->store, key);

  if (message == NULL)
    return;

  /* Deleted mail lives in Trash (msc_device_store_add()). */
  if (strcmp (msc_device_message_get_folder (message), MSC_DEVICE_STORE_TRASH) == 0)
    flags |= MSC_DEVICE_FLAG_DELETED;

  if (msc_device_message_get_flags (message) == flags)
    return;

  if (msc_device_store_set_flags (self->store, key, flags, NULL))
    note_changed (self, key);
}

static void
store_change_flag (MscImapClient  *self,
                   const char     *key,
                   MscDeviceFlags  flag,
                   gboolean        set)
{
  MscDeviceMessage *message = msc_device_store_lookup (self->store, key);
  MscDeviceFlags flags;

  if (message == NULL)
    return;

  flags = msc_device_message_get_flags (message);
  store_set_flags (self, key, set ? flags | flag : flags & ~flag);
}

static void
store_remove (MscImapClient *self,
              const char    *key)
{
  g_autoptr(MscDeviceMessage) message = NULL;

  if (msc_device_store_lookup (self->store, key) == NULL)
    return;

  message = msc_device_message_ref (msc_device_store_lookup (self->store, key));
  if (!msc_device_store_remove (self->store, key, NULL))
    return;

  self->pass_removed++;
  self->n_removed++;
  push_message_event (self, MSC_IMAP_CLIENT_EVENT_MESSAGE_REMOVED, message);
}

typedef struct
{
  guint32  uidvalidity;
  guint32  uid;
  char    *key;
} LocalCopy;

static void
local_copy_clear (LocalCopy *copy)
{
  g_free (copy->key);
}

static int
compare_local_copies (gconstpointer a,
                      gconstpointer b)
{
  const LocalCopy *copy_a = a;
  const LocalCopy *copy_b = b;

  if (copy_a->uidvalidity != copy_b->uidvalidity)
    return copy_a->uidvalidity < copy_b->uidvalidity ? -1 : 1;
  if (copy_a->uid != copy_b->uid)
    return copy_a->uid < copy_b->uid ? -1 : 1;

  return 0;
}

/* The device's copies of @mailbox's messages, wherever on the device
 * they are, in UID order: the order every change is made and reported
 * in, so that a lesson always plays the same. */
static GArray *
list_local_copies (MscImapClient *self,
                   const char    *mailbox)
{
  g_auto(GStrv) folders = msc_device_store_list_folders (self->store);
  GArray *copies = g_array_new (FALSE, FALSE, sizeof (LocalCopy));

  g_array_set_clear_func (copies, (GDestroyNotify) local_copy_clear);

  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) messages = msc_device_store_list_folder (self->store, folders[i]);

      for (guint j = 0; messages != NULL && j < messages->len; j++)
        {
          const char *key = msc_device_message_get_key (g_ptr_array_index (messages, j));
          g_autofree char *name = NULL;
          LocalCopy copy;

          if (!msc_imap_client_parse_key (key, &name, &copy.uidvalidity, &copy.uid) ||
              strcmp (name, mailbox) != 0)
            continue;

          copy.key = g_strdup (key);
          g_array_append_val (copies, copy);
        }
    }

  g_array_sort (copies, compare_local_copies);

  return copies;
}

/* ---- Sending ---- */

static Command *
command_new (MscImapClient *self,
             CommandKind    kind,
             const char    *text)
{
  Command *command = g_new0 (Command, 1);

  command->kind = kind;
  command->tag = g_strdup_printf ("A%03u", self->next_tag++);
  command->parts = g_ptr_array_new ();
  command->building = g_string_new (command->tag);
  g_string_append_c (command->building, ' ');
  g_string_append (command->building, text);

  return command;
}

static gboolean
may_send_non_sync (MscImapClient *self,
                   gsize          len)
{
  /* RFC 7888: LITERAL+ for any size, LITERAL- up to 4096 octets. */
  return has_capability (self, "LITERAL+") ||
         (has_capability (self, "LITERAL-") && len <= LITERAL_MINUS_MAX);
}

/* A synchronizing literal ends a part: the rest goes out after the
 * server's "+" (RFC 3501 §7.5). */
static void
command_break (Command *command)
{
  g_ptr_array_add (command->parts, command->building);
  command->building = g_string_new (NULL);
}

/* @value holds "{n}" or "{n+}", CRLF and the octets. */
static void
command_append_literal_text (Command *command,
                             GString *value)
{
  const char *crlf = strstr (value->str, "\r\n");
  gsize header_len;

  g_assert (crlf != NULL);
  header_len = crlf + 2 - value->str;

  g_string_append_len (command->building, value->str, header_len);
  /* "{n+}" CRLF: non-synchronizing, nothing to wait for. */
  if (!(header_len >= 4 && value->str[header_len - 4] == '+'))
    command_break (command);
  g_string_append_len (command->building, value->str + header_len, value->len - header_len);
}

static void
command_append_astring (MscImapClient *self,
                        Command       *command,
                        const char    *data,
                        gsize          len)
{
  GString *value = g_string_new (NULL);
  MscImapWriteFlags flags = may_send_non_sync (self, len) ? MSC_IMAP_WRITE_NON_SYNC
                                                          : MSC_IMAP_WRITE_DEFAULT;

  if (msc_imap_write_astring (value, data, len, flags) == MSC_IMAP_VALUE_LITERAL)
    command_append_literal_text (command, value);
  else
    g_string_append_len (command->building, value->str, value->len);

  if (command->secret)
    wipe_string (value);
  g_string_free (value, TRUE);
}

static void
command_append_mailbox (MscImapClient *self,
                        Command       *command,
                        const char    *name)
{
  Mailbox *mailbox = find_mailbox (self, name);
  g_autofree char *encoded = NULL;

  /* The name as LIST spelled it is the one the server knows. */
  if (mailbox != NULL)
    {
      command_append_astring (self, command, mailbox->wire, mailbox->wire_len);
      return;
    }

  encoded = msc_mutf7_encode (name, NULL);
  if (encoded == NULL)
    encoded = g_strdup (name);
  command_append_astring (self, command, encoded, strlen (encoded));
}

static void
command_append_message (MscImapClient *self,
                        Command       *command,
                        GBytes        *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  gboolean non_sync = may_send_non_sync (self, len);

  g_string_append_printf (command->building, "{%" G_GSIZE_FORMAT "%s}\r\n", len, non_sync ? "+" : "");
  if (!non_sync)
    command_break (command);
  g_string_append_len (command->building, data, len);
}

static void
send_bytes (MscImapClient *self,
            const char    *tag,
            const char    *data,
            gsize          len,
            gboolean       continued,
            gboolean       secret)
{
  MscImapClientEvent *event = push_event (self, MSC_IMAP_CLIENT_EVENT_COMMAND);
  gsize line_len = len;

  g_byte_array_append (self->output, (const guint8 *) data, len);
  /* The wait for the answer starts now. */
  self->last_activity = self->now;

  if (line_len >= 2 && data[line_len - 2] == '\r' && data[line_len - 1] == '\n')
    line_len -= 2;

  event->tag = g_strdup (tag);
  event->line = msc_wire_display_string ((const guint8 *) data, line_len);
  event->continued = continued;
  event->secret = secret;
  event->wire = g_bytes_new (data, len);
}

static void
send_next_part (MscImapClient *self)
{
  Command *command = self->current;
  GString *part = g_ptr_array_index (command->parts, command->n_sent);

  send_bytes (self, command->tag, part->str, part->len, command->n_sent > 0, command->secret);
  command->n_sent++;
}

static void
issue (MscImapClient *self,
       Command       *command)
{
  g_assert (self->current == NULL);

  g_string_append (command->building, "\r\n");
  g_ptr_array_add (command->parts, g_steal_pointer (&command->building));

  self->current = command;
  send_next_part (self);
}

/* ---- Ending ---- */

static gboolean
is_transient (const GError *error)
{
  if (error == NULL || error->domain != MSC_IMAP_CLIENT_ERROR)
    return FALSE;

  switch ((MscImapClientError) error->code)
    {
    case MSC_IMAP_CLIENT_ERROR_TIMEOUT:
    case MSC_IMAP_CLIENT_ERROR_CONNECTION_LOST:
    case MSC_IMAP_CLIENT_ERROR_SERVER_BYE:
    case MSC_IMAP_CLIENT_ERROR_SERVER_FAILURE:
      return TRUE;

    case MSC_IMAP_CLIENT_ERROR_CLOSED:
    case MSC_IMAP_CLIENT_ERROR_PROTOCOL:
    case MSC_IMAP_CLIENT_ERROR_TOO_BIG:
    case MSC_IMAP_CLIENT_ERROR_SERVICE_UNAVAILABLE:
    case MSC_IMAP_CLIENT_ERROR_TLS_UNAVAILABLE:
    case MSC_IMAP_CLIENT_ERROR_AUTH_INSECURE:
    case MSC_IMAP_CLIENT_ERROR_LOGIN_DISABLED:
    case MSC_IMAP_CLIENT_ERROR_AUTH_FAILED:
    case MSC_IMAP_CLIENT_ERROR_MAILBOX_MISSING:
    case MSC_IMAP_CLIENT_ERROR_NO_UIDVALIDITY:
    case MSC_IMAP_CLIENT_ERROR_COMMAND_FAILED:
    case MSC_IMAP_CLIENT_ERROR_ACTION_REFUSED:
    case MSC_IMAP_CLIENT_ERROR_NO_SUCH_MESSAGE:
    case MSC_IMAP_CLIENT_ERROR_NO_SUCH_FOLDER:
    case MSC_IMAP_CLIENT_ERROR_NOT_DONE:
    default:
      return FALSE;
    }
}

static char *
action_new_key (Action *action)
{
  const char *mailbox = action->kind == MSC_IMAP_CLIENT_ACTION_APPEND_SENT ||
                        action->kind == MSC_IMAP_CLIENT_ACTION_MOVE ||
                        action->kind == MSC_IMAP_CLIENT_ACTION_DELETE ? action->target : NULL;

  if (mailbox == NULL || action->new_uid == 0 || action->new_uidvalidity == 0)
    return NULL;

  return msc_imap_client_make_key (mailbox, action->new_uidvalidity, action->new_uid);
}

/* Pops the head of the queue, which is @action.  Takes @error. */
static void
finish_action (MscImapClient *self,
               GError        *error)
{
  Action *action = g_queue_pop_head (&self->actions);
  MscImapClientEvent *event = push_event (self, MSC_IMAP_CLIENT_EVENT_ACTION_DONE);

  g_debug ("action %u (%s) %s", action->id, action_kind_names[action->kind],
           error != NULL ? error->message : "done");

  event->action_id = action->id;
  event->action = action->kind;
  event->key = g_strdup (action->key);
  event->new_key = error == NULL ? action_new_key (action) : NULL;
  event->error = error;

  if (error == NULL)
    self->n_actions_done++;
  else
    self->n_actions_failed++;

  action_free (action);
}

static void
raise_done (MscImapClient *self,
            const GError  *error)
{
  MscImapClientOutcome *outcome;

  g_assert (self->outcome == NULL);

  /* Every action gets its answer, even one that never ran. */
  while (!g_queue_is_empty (&self->actions))
    finish_action (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_NOT_DONE,
                                              _("The session ended before this could be done on "
                                                "the server")));

  outcome = g_new0 (MscImapClientOutcome, 1);
  outcome->success = error == NULL;
  outcome->transient = is_transient (error);
  outcome->n_added = self->n_added;
  outcome->n_changed = self->n_changed;
  outcome->n_removed = self->n_removed;
  outcome->n_actions_done = self->n_actions_done;
  outcome->n_actions_failed = self->n_actions_failed;
  outcome->error = error != NULL ? g_error_copy (error) : NULL;
  self->outcome = outcome;

  push_event (self, MSC_IMAP_CLIENT_EVENT_DONE)->outcome = msc_imap_client_outcome_copy (outcome);
}

static void
end_session (MscImapClient *self,
             GError        *reason)
{
  g_clear_pointer (&self->current, command_free);
  g_clear_pointer (&self->sync, sync_free);
  msc_imap_parser_reset (self->parser);
  g_byte_array_set_size (self->wire, 0);
  self->idle_running = FALSE;

  set_state (self, MSC_IMAP_CLIENT_STATE_CLOSED);

  push_event (self, MSC_IMAP_CLIENT_EVENT_CLOSED)->error =
    reason != NULL ? g_error_copy (reason) : NULL;
  if (reason != NULL)
    {
      g_clear_error (&self->close_reason);
      self->close_reason = reason;
    }
}

/* Ends the session without LOGOUT.  Takes @reason. */
static void
close_session (MscImapClient *self,
               GError        *reason)
{
  g_assert (self->state != MSC_IMAP_CLIENT_STATE_CLOSED);
  g_assert (reason != NULL);

  g_debug ("closing: %s", reason->message);

  if (self->outcome == NULL)
    raise_done (self, self->failure != NULL ? self->failure : reason);

  end_session (self, reason);
}

static void G_GNUC_PRINTF (3, 4)
protocol_error (MscImapClient      *self,
                MscImapClientError  code,
                const char         *format,
                ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (MSC_IMAP_CLIENT_ERROR, code, format, args);
  va_end (args);

  close_session (self, error);
}

/* Ends the session, politely: the command in flight (DONE first, while
 * idle) is answered, then LOGOUT.  Takes @error. */
static void
fail (MscImapClient *self,
      GError        *error)
{
  g_debug ("failing: %s", error->message);

  if (self->failure != NULL)
    {
      g_error_free (error);
      return;
    }

  self->failure = error;
  g_queue_clear_full (&self->to_sync, g_free);
}

static void G_GNUC_PRINTF (3, 4)
fail_with (MscImapClient      *self,
           MscImapClientError  code,
           const char         *format,
           ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (MSC_IMAP_CLIENT_ERROR, code, format, args);
  va_end (args);

  fail (self, error);
}

static void
send_logout (MscImapClient *self)
{
  set_state (self, MSC_IMAP_CLIENT_STATE_LOGOUT);
  issue (self, command_new (self, CMD_LOGOUT, "LOGOUT"));
}

/* ---- Capabilities (RFC 3501 §7.2.1) ---- */

static void
set_capabilities (MscImapClient *self,
                  GPtrArray     *values,
                  const char    *text)
{
  g_hash_table_remove_all (self->capabilities);

  if (values != NULL)
    {
      for (guint i = 0; i < values->len; i++)
        {
          const MscImapValue *value = g_ptr_array_index (values, i);

          if (value->kind == MSC_IMAP_VALUE_ATOM || value->kind == MSC_IMAP_VALUE_NUMBER)
            g_hash_table_add (self->capabilities, g_ascii_strup (value->data, -1));
        }
    }
  else if (text != NULL)
    {
      g_auto(GStrv) words = g_strsplit (text, " ", -1);

      for (guint i = 0; words[i] != NULL; i++)
        {
          if (words[i][0] != '\0')
            g_hash_table_add (self->capabilities, g_ascii_strup (words[i], -1));
        }
    }
}

/* ---- The conversation ---- */

static void begin_list (MscImapClient *self);

static void
send_capability (MscImapClient *self)
{
  set_state (self, MSC_IMAP_CLIENT_STATE_CAPABILITY);
  issue (self, command_new (self, CMD_CAPABILITY, "CAPABILITY"));
}

/* Picks how to sign in.  LOGIN unless the server says LOGINDISABLED
 * (RFC 3501 §6.2.3: a client "MUST NOT" send LOGIN then); AUTHENTICATE
 * PLAIN then, the mechanism every server has (§6.1.1).  Either way the
 * password travels as it is, so neither goes out unencrypted unless the
 * account allows it. */
static void
begin_auth (MscImapClient *self)
{
  Command *command;

  set_state (self, MSC_IMAP_CLIENT_STATE_LOGIN);

  /* Refuse before the user name goes out, not after. */
  if (!self->tls_active && !self->allow_auth_without_tls)
    {
      fail (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_INSECURE,
                                       _("The connection is not encrypted, and this account does not "
                                         "allow sending the password in plaintext")));
      return;
    }

  if (!has_capability (self, "LOGINDISABLED"))
    {
      command = command_new (self, CMD_LOGIN, "LOGIN ");
      command->secret = TRUE;
      command_append_astring (self, command, self->user, strlen (self->user));
      g_string_append_c (command->building, ' ');
      command_append_astring (self, command, self->password, strlen (self->password));
      issue (self, command);
      return;
    }

  if (has_capability (self, "AUTH=PLAIN"))
    {
      /* RFC 4616: [authzid] NUL authcid NUL passwd. */
      gsize user_len = strlen (self->user);
      gsize password_len = strlen (self->password);
      gsize len = 1 + user_len + 1 + password_len;
      guchar *message = g_malloc0 (len);
      char *encoded;

      memcpy (message + 1, self->user, user_len);
      memcpy (message + 2 + user_len, self->password, password_len);
      encoded = g_base64_encode (message, len);
      memset (message, 0, len);
      g_free (message);

      command = command_new (self, CMD_AUTHENTICATE, "AUTHENTICATE PLAIN");
      command->secret = TRUE;
      /* RFC 4959 SASL-IR saves the round trip; RFC 3501 alone waits for
       * the server's empty challenge "+ ". */
      if (has_capability (self, "SASL-IR"))
        g_string_append_c (command->building, ' ');
      else
        {
          g_string_append (command->building, "\r\n");
          command_break (command);
        }
      g_string_append (command->building, encoded);
      msc_wire_free_secret (encoded);
      issue (self, command);
      return;
    }

  fail (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_LOGIN_DISABLED,
                                   _("The server does not allow signing in with a password on this "
                                     "connection (LOGINDISABLED)")));
}

static void
after_capabilities (MscImapClient *self)
{
  if (!self->tls_active &&
      (self->tls_mode == MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED ||
       self->tls_mode == MSC_IMAP_CLIENT_TLS_STARTTLS_IF_OFFERED))
    {
      /* STARTTLS exists only before authentication (RFC 3501 §6.2). */
      if (has_capability (self, "STARTTLS") && !self->authenticated)
        {
          set_state (self, MSC_IMAP_CLIENT_STATE_STARTTLS);
          issue (self, command_new (self, CMD_STARTTLS, "STARTTLS"));
          return;
        }

      /* "If offered" is what an attacker who strips the capability turns
       * into plaintext; "required" is the setting that resists it, and a
       * plaintext PREAUTH must not get round it either. */
      if (self->tls_mode == MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED)
        {
          fail (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_TLS_UNAVAILABLE,
                                           self->authenticated
                                           ? _("The server signed this connection in without encryption "
                                               "(PREAUTH), and this account requires encryption")
                                           : _("The server does not offer STARTTLS and this account "
                                               "requires encryption")));
          return;
        }
    }

  if (self->authenticated)
    begin_list (self);
  else
    begin_auth (self);
}

static void
begin_list (MscImapClient *self)
{
  g_ptr_array_set_size (self->mailboxes, 0);
  set_state (self, MSC_IMAP_CLIENT_STATE_LIST);
  issue (self, command_new (self, CMD_LIST, "LIST \"\" \"*\""));
}

static void
reset_selection (MscImapClient *self)
{
  g_clear_pointer (&self->selected, g_free);
  self->selected_synced = FALSE;
  self->uidvalidity = 0;
  self->fetch_stalled = FALSE;
  g_array_set_size (self->uids, 0);
  g_hash_table_remove_all (self->server_flags);
}

static void
issue_select (MscImapClient *self,
              CommandKind    kind,
              const char    *mailbox,
              Action        *action)
{
  Command *command = command_new (self, kind, "SELECT ");

  command->mailbox = g_strdup (mailbox);
  command->action = action;
  command->step = STEP_SELECT;
  command_append_mailbox (self, command, mailbox);

  /* SELECT deselects at once; what follows belongs to the new mailbox. */
  reset_selection (self);
  issue (self, command);
}

static const char *
fetch_items (MscImapClient *self)
{
  return self->headers_only ? "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])"
                            : "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])";
}

static guint32
highest_known_uid (MscImapClient *self)
{
  guint32 highest = 0;

  for (guint i = 0; i < self->uids->len; i++)
    highest = MAX (highest, g_array_index (self->uids, guint32, i));

  return highest;
}

static gboolean
has_unknown_uids (MscImapClient *self)
{
  for (guint i = 0; i < self->uids->len; i++)
    {
      if (g_array_index (self->uids, guint32, i) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_on_server (MscImapClient *self,
              guint32        uid)
{
  for (guint i = 0; i < self->uids->len; i++)
    {
      if (g_array_index (self->uids, guint32, i) == uid)
        return TRUE;
    }

  return FALSE;
}

static void
begin_sync (MscImapClient *self,
            const char    *mailbox)
{
  g_assert (self->sync == NULL);

  self->sync = g_new0 (Sync, 1);
  self->sync->mailbox = g_strdup (mailbox);

  set_state (self, MSC_IMAP_CLIENT_STATE_SELECT);
  issue_select (self, CMD_SELECT, mailbox, NULL);
}

static void
finish_sync (MscImapClient *self)
{
  Sync *sync = g_steal_pointer (&self->sync);
  MscImapClientEvent *event;
  guint32 highest = MAX (sync->lastuid, highest_known_uid (self));

  msc_device_store_set_mailbox_state (self->store, sync->mailbox, self->uidvalidity, highest);
  self->selected_synced = TRUE;

  event = push_event (self, MSC_IMAP_CLIENT_EVENT_SYNCED);
  event->mailbox = g_strdup (sync->mailbox);
  event->n_messages = self->uids->len;
  event->n_added = self->pass_added;
  event->n_changed = self->pass_changed;
  event->n_removed = self->pass_removed;
  event->reset = sync->reset;
  self->pass_added = self->pass_changed = self->pass_removed = 0;

  sync_free (sync);
}

/* "2,4:7,9" from ascending UIDs. */
static void
append_uid_set (GString      *out,
                const GArray *uids)
{
  for (guint i = 0; i < uids->len;)
    {
      guint32 first = g_array_index (uids, guint32, i);
      guint j = i + 1;

      while (j < uids->len && g_array_index (uids, guint32, j) == g_array_index (uids, guint32, j - 1) + 1)
        j++;

      if (i > 0)
        g_string_append_c (out, ',');
      if (j - i > 1)
        g_string_append_printf (out, "%u:%u", first, g_array_index (uids, guint32, j - 1));
      else
        g_string_append_printf (out, "%u", first);
      i = j;
    }
}

/* The sync's last step: what the device lacks, by UID.  @missing holds
 * UIDs up to lastuid the server has and the device does not (deleted here
 * without telling the server: the server is the truth); "lastuid+1:*"
 * asks for what is new, only when some sequence number is unexplained. */
static void
fetch_missing_and_new (MscImapClient *self,
                       GArray        *missing)
{
  Sync *sync = self->sync;
  g_autoptr(GString) set = g_string_new (NULL);
  Command *command;

  if (missing != NULL)
    append_uid_set (set, missing);
  if (has_unknown_uids (self))
    g_string_append_printf (set, "%s%u:*", set->len > 0 ? "," : "", sync->lastuid + 1);

  if (set->len == 0)
    {
      finish_sync (self);
      return;
    }

  set_state (self, MSC_IMAP_CLIENT_STATE_FETCH);
  command = command_new (self, sync->update ? CMD_UPDATE : CMD_FETCH, "UID FETCH ");
  g_string_append_printf (command->building, "%s %s", set->str, fetch_items (self));
  issue (self, command);
}

static void
on_sync_selected (MscImapClient *self)
{
  Sync *sync = self->sync;
  g_autoptr(GArray) copies = list_local_copies (self, sync->mailbox);
  guint32 stored_uidvalidity;
  guint32 stored_highest;
  gboolean have_state;

  if (self->uidvalidity == 0)
    {
      fail_with (self, MSC_IMAP_CLIENT_ERROR_NO_UIDVALIDITY,
                 _("The server gives no UIDVALIDITY for “%s”, so this device cannot keep a copy "
                   "of it in sync"), sync->mailbox);
      return;
    }

  have_state = msc_device_store_get_mailbox_state (self->store, sync->mailbox,
                                                   &stored_uidvalidity, &stored_highest);

  /* RFC 3501 §2.3.1.1: UIDs belong to their UIDVALIDITY.  Copies of
   * another one name messages that may no longer exist, or other ones:
   * they go, and everything comes again. */
  sync->lastuid = have_state && stored_uidvalidity == self->uidvalidity ? stored_highest : 0;
  sync->reset = have_state && stored_uidvalidity != self->uidvalidity;
  for (guint i = 0; i < copies->len; i++)
    {
      LocalCopy *copy = &g_array_index (copies, LocalCopy, i);

      if (copy->uidvalidity != self->uidvalidity)
        {
          store_remove (self, copy->key);
          sync->reset = TRUE;
        }
      else
        {
          sync->lastuid = MAX (sync->lastuid, copy->uid);
        }
    }

  if (self->uids->len == 0)
    {
      /* An empty mailbox has none of the device's copies. */
      for (guint i = 0; i < copies->len; i++)
        {
          LocalCopy *copy = &g_array_index (copies, LocalCopy, i);

          if (copy->uidvalidity == self->uidvalidity)
            store_remove (self, copy->key);
        }
      finish_sync (self);
      return;
    }

  if (sync->lastuid > 0)
    {
      Command *command = command_new (self, CMD_RESYNC, "UID FETCH ");

      g_string_append_printf (command->building, "1:%u (FLAGS)", sync->lastuid);
      sync->still_there = g_hash_table_new (NULL, NULL);
      set_state (self, MSC_IMAP_CLIENT_STATE_RESYNC);
      issue (self, command);
      return;
    }

  fetch_missing_and_new (self, NULL);
}

static void
on_resynced (MscImapClient *self)
{
  Sync *sync = self->sync;
  g_autoptr(GArray) copies = list_local_copies (self, sync->mailbox);
  g_autoptr(GHashTable) local = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint32));

  /* What the server no longer lists was expunged, here or by another
   * device: the device follows. */
  for (guint i = 0; i < copies->len; i++)
    {
      LocalCopy *copy = &g_array_index (copies, LocalCopy, i);

      if (copy->uidvalidity != self->uidvalidity)
        continue;
      if (copy->uid <= sync->lastuid && !g_hash_table_contains (sync->still_there, GUINT_TO_POINTER (copy->uid)))
        store_remove (self, copy->key);
      else
        g_hash_table_add (local, GUINT_TO_POINTER (copy->uid));
    }

  for (guint i = 0; i < self->uids->len; i++)
    {
      guint32 uid = g_array_index (self->uids, guint32, i);

      if (uid != 0 && uid <= sync->lastuid && !g_hash_table_contains (local, GUINT_TO_POINTER (uid)))
        g_array_append_val (missing, uid);
    }

  fetch_missing_and_new (self, missing);
}

static void
begin_update (MscImapClient *self)
{
  g_assert (self->sync == NULL);

  self->sync = g_new0 (Sync, 1);
  self->sync->mailbox = g_strdup (self->selected);
  self->sync->update = TRUE;
  self->sync->lastuid = highest_known_uid (self);

  fetch_missing_and_new (self, NULL);
}

static gboolean
need_fetch (MscImapClient *self)
{
  return self->selected_synced && !self->fetch_stalled && has_unknown_uids (self);
}

static gboolean
idle_possible (MscImapClient *self)
{
  return self->use_idle && !self->idle_refused && has_capability (self, "IDLE");
}

static gboolean
idle_should_end (MscImapClient *self)
{
  return self->failure != NULL || self->stop_requested || self->idle_renew_due ||
         !g_queue_is_empty (&self->actions) || need_fetch (self);
}

static void
send_done (MscImapClient *self)
{
  g_assert (self->current != NULL && self->current->kind == CMD_IDLE);

  /* RFC 2177 §3: "DONE" ends IDLE; the server then answers its tag. */
  self->idle_running = FALSE;
  self->idle_done_sent = TRUE;
  self->idle_renew_due = FALSE;
  send_bytes (self, self->current->tag, "DONE\r\n", 6, TRUE, FALSE);
}

static void
start_idle (MscImapClient *self)
{
  set_state (self, MSC_IMAP_CLIENT_STATE_IDLE);
  self->idle_running = FALSE;
  self->idle_done_sent = FALSE;
  self->idle_renew_due = FALSE;
  issue (self, command_new (self, CMD_IDLE, "IDLE"));
}

/* ---- Actions ---- */

static const char *
flag_name (MscImapClientActionKind kind)
{
  return kind == MSC_IMAP_CLIENT_ACTION_FLAG || kind == MSC_IMAP_CLIENT_ACTION_UNFLAG ? "\\Flagged" : "\\Seen";
}

static gboolean
flag_is_added (MscImapClientActionKind kind)
{
  return kind == MSC_IMAP_CLIENT_ACTION_MARK_READ || kind == MSC_IMAP_CLIENT_ACTION_FLAG;
}

static GError *
no_such_message (Action *action)
{
  return g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_NO_SUCH_MESSAGE,
                      _("The message “%s” is no longer on the server"), action->key);
}

/* What the action needs, once its mailbox is known.  Returns FALSE,
 * having finished it, when it cannot be done; TRUE with no steps when
 * there is nothing to do. */
static gboolean
resolve_action (MscImapClient *self,
                Action        *action)
{
  MscDeviceMessage *local;
  const char *trash;

  action->started = TRUE;

  if (action->kind == MSC_IMAP_CLIENT_ACTION_APPEND_SENT)
    {
      const char *sent = special_mailbox (self, MAILBOX_SENT);

      if (sent == NULL)
        {
          finish_action (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_NO_SUCH_FOLDER,
                                                    _("The server has no Sent folder")));
          return FALSE;
        }
      action->target = g_strdup (sent);
      action->steps[action->n_steps++] = STEP_APPEND;
      action->selected = TRUE;  /* APPEND needs no selected mailbox */
      return TRUE;
    }

  if (!msc_imap_client_parse_key (action->key, &action->mailbox, &action->uidvalidity, &action->uid) ||
      find_mailbox (self, action->mailbox) == NULL)
    {
      finish_action (self, no_such_message (action));
      return FALSE;
    }

  local = msc_device_store_lookup (self->store, action->key);
  if (local != NULL)
    action->local = msc_device_message_ref (local);

  switch (action->kind)
    {
    case MSC_IMAP_CLIENT_ACTION_MARK_READ:
    case MSC_IMAP_CLIENT_ACTION_MARK_UNREAD:
    case MSC_IMAP_CLIENT_ACTION_FLAG:
    case MSC_IMAP_CLIENT_ACTION_UNFLAG:
      action->steps[action->n_steps++] = STEP_STORE;
      break;

    case MSC_IMAP_CLIENT_ACTION_DELETE:
    case MSC_IMAP_CLIENT_ACTION_MOVE:
      trash = special_mailbox (self, MAILBOX_TRASH);

      if (action->kind == MSC_IMAP_CLIENT_ACTION_DELETE)
        {
          if (trash != NULL && strcmp (action->mailbox, trash) == 0)
            {
              /* Deleting in Trash deletes for good. */
              action->steps[action->n_steps++] = STEP_MARK_DELETED;
              action->steps[action->n_steps++] = STEP_EXPUNGE;
              break;
            }
          if (trash == NULL)
            {
              finish_action (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR,
                                                        MSC_IMAP_CLIENT_ERROR_NO_SUCH_FOLDER,
                                                        _("The server has no Trash folder")));
              return FALSE;
            }
          action->target = g_strdup (trash);
        }
      else
        {
          Mailbox *target = find_mailbox (self, action->folder);

          if (target == NULL || (target->attributes & MAILBOX_NOSELECT))
            {
              finish_action (self, g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_NO_SUCH_FOLDER,
                                                _("There is no folder “%s” on the server"),
                                                action->folder));
              return FALSE;
            }
          action->target = g_strdup (target->name);
          if (strcmp (action->target, action->mailbox) == 0)
            break;  /* already there */
        }

      /* RFC 6851 MOVE is one atomic step; without it, RFC 3501's COPY,
       * STORE \Deleted and EXPUNGE, the way every client did before. */
      if (has_capability (self, "MOVE"))
        {
          action->steps[action->n_steps++] = STEP_MOVE;
        }
      else
        {
          action->steps[action->n_steps++] = STEP_COPY;
          action->steps[action->n_steps++] = STEP_MARK_DELETED;
          action->steps[action->n_steps++] = STEP_EXPUNGE;
        }
      break;

    case MSC_IMAP_CLIENT_ACTION_OPEN:
      {
        gboolean need_body = local == NULL || !msc_device_message_is_complete (local);
        gboolean need_seen = local == NULL || !(msc_device_message_get_flags (local) & MSC_DEVICE_FLAG_READ);

        if (need_body)
          action->steps[action->n_steps++] = STEP_FETCH_BODY;
        /* BODY[] sets \Seen by itself (RFC 3501 §6.4.5); BODY.PEEK[]
         * does not, so a STORE follows it. */
        if (need_seen && (!need_body || self->open_with_peek))
          action->steps[action->n_steps++] = STEP_MARK_SEEN;
      }
      break;

    case MSC_IMAP_CLIENT_ACTION_APPEND_SENT:
    case MSC_IMAP_CLIENT_N_ACTIONS:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

/* What the device shows once the server confirmed. */
static void
apply_action (MscImapClient *self,
              Action        *action)
{
  g_autofree char *new_key = action_new_key (action);

  switch (action->kind)
    {
    case MSC_IMAP_CLIENT_ACTION_MARK_READ:
    case MSC_IMAP_CLIENT_ACTION_MARK_UNREAD:
    case MSC_IMAP_CLIENT_ACTION_FLAG:
    case MSC_IMAP_CLIENT_ACTION_UNFLAG:
      store_change_flag (self, action->key,
                         action->kind == MSC_IMAP_CLIENT_ACTION_FLAG ||
                         action->kind == MSC_IMAP_CLIENT_ACTION_UNFLAG ? MSC_DEVICE_FLAG_FLAGGED
                                                                       : MSC_DEVICE_FLAG_READ,
                         flag_is_added (action->kind));
      break;

    case MSC_IMAP_CLIENT_ACTION_OPEN:
      store_change_flag (self, action->key, MSC_DEVICE_FLAG_READ, TRUE);
      break;

    case MSC_IMAP_CLIENT_ACTION_DELETE:
    case MSC_IMAP_CLIENT_ACTION_MOVE:
      /* The EXPUNGE responses have usually removed it already. */
      store_remove (self, action->key);

      /* With COPYUID the device knows the copy's name, and moves its own
       * copy there instead of fetching it again (RFC 4315 §3). */
      if (new_key != NULL && action->local != NULL &&
          msc_device_store_lookup (self->store, new_key) == NULL)
        store_add (self, new_key, action->target, msc_device_message_get_data (action->local),
                   msc_device_message_is_complete (action->local),
                   msc_device_message_get_flags (action->local) & ~MSC_DEVICE_FLAG_DELETED, 0);
      break;

    case MSC_IMAP_CLIENT_ACTION_APPEND_SENT:
      if (new_key != NULL && msc_device_store_lookup (self->store, new_key) == NULL)
        store_add (self, new_key, action->target, action->message, TRUE, MSC_DEVICE_FLAG_READ,
                   g_bytes_get_size (action->message));
      break;

    case MSC_IMAP_CLIENT_N_ACTIONS:
    default:
      g_assert_not_reached ();
    }
}

static void
issue_action_step (MscImapClient *self,
                   Action        *action)
{
  ActionStep step = action->steps[action->step];
  Command *command;

  switch (step)
    {
    case STEP_STORE:
      command = command_new (self, CMD_ACTION, "UID STORE ");
      g_string_append_printf (command->building, "%u %cFLAGS (%s)", action->uid,
                              flag_is_added (action->kind) ? '+' : '-', flag_name (action->kind));
      break;

    case STEP_MOVE:
    case STEP_COPY:
      command = command_new (self, CMD_ACTION, step == STEP_MOVE ? "UID MOVE " : "UID COPY ");
      g_string_append_printf (command->building, "%u ", action->uid);
      command_append_mailbox (self, command, action->target);
      break;

    case STEP_MARK_DELETED:
      command = command_new (self, CMD_ACTION, "UID STORE ");
      g_string_append_printf (command->building, "%u +FLAGS (\\Deleted)", action->uid);
      break;

    case STEP_EXPUNGE:
      /* RFC 4315 §2.1: UID EXPUNGE removes only this message.  Plain
       * EXPUNGE removes every message marked \Deleted, whoever marked it:
       * what clients without UIDPLUS have to live with. */
      if (has_capability (self, "UIDPLUS"))
        {
          command = command_new (self, CMD_ACTION, "UID EXPUNGE ");
          g_string_append_printf (command->building, "%u", action->uid);
        }
      else
        {
          command = command_new (self, CMD_ACTION, "EXPUNGE");
        }
      break;

    case STEP_FETCH_BODY:
      command = command_new (self, CMD_ACTION, "UID FETCH ");
      g_string_append_printf (command->building, "%u (%s)", action->uid,
                              self->open_with_peek ? "BODY.PEEK[]" : "BODY[]");
      break;

    case STEP_MARK_SEEN:
      command = command_new (self, CMD_ACTION, "UID STORE ");
      g_string_append_printf (command->building, "%u +FLAGS (\\Seen)", action->uid);
      break;

    case STEP_APPEND:
      /* RFC 3501 §6.3.11, with \Seen: one's own sent mail is read. */
      command = command_new (self, CMD_ACTION, "APPEND ");
      command_append_mailbox (self, command, action->target);
      g_string_append (command->building, " (\\Seen) ");
      command_append_message (self, command, action->message);
      break;

    case STEP_SELECT:
    default:
      g_assert_not_reached ();
    }

  command->action = action;
  command->step = step;
  issue (self, command);
}

/* Runs the head of the queue one step on.  Returns TRUE when a command
 * went out, FALSE when the action finished without one. */
static gboolean
run_action (MscImapClient *self)
{
  Action *action = g_queue_peek_head (&self->actions);

  set_state (self, MSC_IMAP_CLIENT_STATE_ACTION);

  if (!action->started && !resolve_action (self, action))
    return FALSE;

  if (!action->selected)
    {
      if (g_strcmp0 (self->selected, action->mailbox) != 0)
        {
          issue_select (self, CMD_ACTION, action->mailbox, action);
          return TRUE;
        }

      action->selected = TRUE;
      if (self->uidvalidity != action->uidvalidity ||
          (self->selected_synced && !is_on_server (self, action->uid)))
        {
          finish_action (self, no_such_message (action));
          return FALSE;
        }
    }

  if (action->step < action->n_steps)
    {
      issue_action_step (self, action);
      return TRUE;
    }

  if (action->kind == MSC_IMAP_CLIENT_ACTION_OPEN)
    {
      MscDeviceMessage *local = msc_device_store_lookup (self->store, action->key);

      /* UID FETCH of a UID that is gone is an OK with nothing in it. */
      if (local == NULL || !msc_device_message_is_complete (local))
        {
          finish_action (self, no_such_message (action));
          return FALSE;
        }
    }

  apply_action (self, action);
  finish_action (self, NULL);

  return FALSE;
}

static void
on_action_response (MscImapClient     *self,
                    Command           *command,
                    const MscImapItem *item,
                    gboolean           ok)
{
  Action *action = command->action;
  g_autofree char *text = display_text (item->text);

  g_assert (action == g_queue_peek_head (&self->actions));

  if (command->step == STEP_SELECT)
    {
      if (!ok)
        {
          finish_action (self, g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_ACTION_REFUSED,
                                            _("The server could not open the folder “%s”: “%s”"),
                                            action->mailbox, text));
          return;
        }
      self->selected = g_strdup (action->mailbox);
      return;  /* run_action() goes on */
    }

  if (!ok)
    {
      finish_action (self, g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_ACTION_REFUSED,
                                        _("The server refused: “%s”"), text));
      return;
    }

  action->step++;
}

/* ---- Reading responses ---- */

static void
parse_copyuid (MscImapClient     *self,
               const MscImapItem *item)
{
  Action *action = self->current != NULL ? self->current->action : NULL;
  g_autoptr(GArray) targets = NULL;
  const MscImapValue *uidvalidity;
  const MscImapValue *target;
  guint64 number;

  /* resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set */
  if (action == NULL || item->code_args == NULL || item->code_args->len != 3)
    return;

  uidvalidity = g_ptr_array_index (item->code_args, 0);
  target = g_ptr_array_index (item->code_args, 2);
  if (!msc_imap_value_get_number (uidvalidity, &number) || number == 0 || number > G_MAXUINT32)
    return;

  targets = msc_imap_sequence_set_parse (target->data, 0, NULL);
  if (targets == NULL || targets->len != 1 ||
      g_array_index (targets, MscImapRange, 0).first != g_array_index (targets, MscImapRange, 0).last)
    return;

  action->new_uidvalidity = number;
  action->new_uid = g_array_index (targets, MscImapRange, 0).first;
}

static void
parse_appenduid (MscImapClient     *self,
                 const MscImapItem *item)
{
  Action *action = self->current != NULL ? self->current->action : NULL;
  guint64 uidvalidity;
  guint64 uid;

  /* resp-code-apnd = "APPENDUID" SP nz-number SP append-uid */
  if (action == NULL || item->code_args == NULL || item->code_args->len != 2 ||
      !msc_imap_value_get_number (g_ptr_array_index (item->code_args, 0), &uidvalidity) ||
      !msc_imap_value_get_number (g_ptr_array_index (item->code_args, 1), &uid) ||
      uidvalidity == 0 || uidvalidity > G_MAXUINT32 || uid == 0 || uid > G_MAXUINT32)
    return;

  action->new_uidvalidity = uidvalidity;
  action->new_uid = uid;
}

/* Response codes (RFC 3501 §7.1, RFC 4315 §3) in any status response. */
static void
handle_code (MscImapClient     *self,
             const MscImapItem *item)
{
  CommandKind kind = self->current != NULL ? self->current->kind : CMD_GREETING;
  gboolean selecting = self->current != NULL && self->current->mailbox != NULL;

  if (item->code == NULL)
    return;

  if (strcmp (item->code, "CAPABILITY") == 0)
    {
      set_capabilities (self, item->code_args, item->code_text);
      self->caps_in_code = TRUE;
    }
  else if (strcmp (item->code, "UIDVALIDITY") == 0 && selecting && item->kind == MSC_IMAP_ITEM_UNTAGGED)
    {
      guint64 number;

      if (item->code_args != NULL && item->code_args->len == 1 &&
          msc_imap_value_get_number (g_ptr_array_index (item->code_args, 0), &number) &&
          number > 0 && number <= G_MAXUINT32)
        self->uidvalidity = number;
    }
  else if (strcmp (item->code, "COPYUID") == 0 && kind == CMD_ACTION)
    {
      parse_copyuid (self, item);
    }
  else if (strcmp (item->code, "APPENDUID") == 0 && kind == CMD_ACTION)
    {
      parse_appenduid (self, item);
    }
}

static MscDeviceFlags
device_flags (const MscImapValue *list)
{
  MscDeviceFlags flags = MSC_DEVICE_FLAG_NONE;

  for (guint i = 0; i < list->children->len; i++)
    {
      const MscImapValue *flag = g_ptr_array_index (list->children, i);

      if (msc_imap_value_is_atom (flag, "\\Seen"))
        flags |= MSC_DEVICE_FLAG_READ;
      else if (msc_imap_value_is_atom (flag, "\\Flagged"))
        flags |= MSC_DEVICE_FLAG_FLAGGED;
      else if (msc_imap_value_is_atom (flag, "\\Deleted"))
        flags |= MSC_DEVICE_FLAG_DELETED;
    }

  return flags;
}

/* "* n FETCH (…)": msg-att pairs (RFC 3501 §7.4.2).  Each response is
 * taken by itself: a server may split one message's data over several. */
static void
on_fetch (MscImapClient     *self,
          const MscImapItem *item)
{
  const MscImapValue *list = item->args->len == 1 ? g_ptr_array_index (item->args, 0) : NULL;
  const MscImapValue *flags = NULL;
  const char *body = NULL;
  gsize body_len = 0;
  gboolean complete = FALSE;
  guint64 size = 0;
  guint64 uid = 0;
  guint32 *slot;
  g_autofree char *key = NULL;

  if (list == NULL || list->kind != MSC_IMAP_VALUE_LIST || list->children->len % 2 != 0)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server sent a FETCH response that is not a list of items"));
      return;
    }
  if (item->number == 0 || item->number > self->uids->len)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server sent a FETCH response for message %u, which does not exist"),
                      item->number);
      return;
    }

  for (guint i = 0; i < list->children->len; i += 2)
    {
      const MscImapValue *name = g_ptr_array_index (list->children, i);
      const MscImapValue *value = g_ptr_array_index (list->children, i + 1);
      gboolean ok = TRUE;

      if (name->kind != MSC_IMAP_VALUE_ATOM)
        ok = FALSE;
      else if (msc_imap_value_is_atom (name, "UID"))
        ok = msc_imap_value_get_number (value, &uid) && uid > 0 && uid <= G_MAXUINT32;
      else if (msc_imap_value_is_atom (name, "FLAGS"))
        {
          ok = value->kind == MSC_IMAP_VALUE_LIST;
          flags = value;
        }
      else if (msc_imap_value_is_atom (name, "RFC822.SIZE"))
        ok = msc_imap_value_get_number (value, &size);
      else if ((name->has_section && !name->has_partial && g_ascii_strcasecmp (name->data, "BODY") == 0) ||
               msc_imap_value_is_atom (name, "RFC822") || msc_imap_value_is_atom (name, "RFC822.HEADER"))
        {
          gboolean whole = name->has_section ? name->children->len == 0 : msc_imap_value_is_atom (name, "RFC822");
          gboolean header = name->has_section ? name->children->len == 1 &&
                                                msc_imap_value_is_atom (g_ptr_array_index (name->children, 0), "HEADER")
                                              : !whole;
          const char *data;
          gsize len;

          ok = msc_imap_value_get_nstring (value, &data, &len);
          if (ok && data != NULL && (whole || header))
            {
              body = data;
              body_len = len;
              complete = whole;
            }
        }
      /* INTERNALDATE, ENVELOPE, BODYSTRUCTURE … are not kept. */

      if (!ok)
        {
          protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                          _("The server sent an invalid FETCH item “%s”"), name->data);
          return;
        }
    }

  /* RFC 3501 §7.4.2: the UID of a message never changes in a session. */
  slot = &g_array_index (self->uids, guint32, item->number - 1);
  if (uid != 0 && *slot != 0 && *slot != uid)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server gave message %u the UID %lu, but it had the UID %u"),
                      item->number, (gulong) uid, *slot);
      return;
    }
  if (uid != 0)
    *slot = uid;
  else
    uid = *slot;

  /* A change to a message the device has not met yet: its fetch brings
   * the flags along. */
  if (uid == 0 || self->selected == NULL)
    return;

  if (self->sync != NULL && self->sync->still_there != NULL &&
      self->current != NULL && self->current->kind == CMD_RESYNC)
    g_hash_table_add (self->sync->still_there, GUINT_TO_POINTER ((guint32) uid));

  key = msc_imap_client_make_key (self->selected, self->uidvalidity, uid);

  /* A server may send a message's flags and its body in separate FETCH
   * responses (RFC 3501 §7.4.2), in either order. */
  if (flags != NULL)
    g_hash_table_insert (self->server_flags, GUINT_TO_POINTER ((guint32) uid),
                         GUINT_TO_POINTER (device_flags (flags) + 1));

  if (body != NULL)
    {
      MscDeviceMessage *local = msc_device_store_lookup (self->store, key);
      g_autoptr(GBytes) data = g_bytes_new (body, body_len);

      if (local == NULL)
        {
          guint known = GPOINTER_TO_UINT (g_hash_table_lookup (self->server_flags,
                                                               GUINT_TO_POINTER ((guint32) uid)));

          store_add (self, key, self->selected, data, complete,
                     known > 0 ? known - 1 : MSC_DEVICE_FLAG_NONE, size);
        }
      else if (complete && !msc_device_message_is_complete (local))
        {
          if (msc_device_store_set_data (self->store, key, data, TRUE, NULL))
            note_changed (self, key);
        }
    }

  if (flags != NULL)
    store_set_flags (self, key, device_flags (flags));
}

static void
on_expunge (MscImapClient     *self,
            const MscImapItem *item)
{
  guint32 uid;

  if (item->number == 0 || item->number > self->uids->len)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server expunged message %u, which does not exist"), item->number);
      return;
    }

  /* RFC 3501 §7.4.1: every later message moves down by one at once. */
  uid = g_array_index (self->uids, guint32, item->number - 1);
  g_array_remove_index (self->uids, item->number - 1);
  g_hash_table_remove (self->server_flags, GUINT_TO_POINTER (uid));

  if (uid != 0 && self->selected != NULL)
    {
      g_autofree char *key = msc_imap_client_make_key (self->selected, self->uidvalidity, uid);

      store_remove (self, key);
    }
}

static void
on_exists (MscImapClient     *self,
           const MscImapItem *item)
{
  if (item->number > MAX_MESSAGES)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server reports %u messages, more than this mail app handles"),
                      item->number);
      return;
    }
  /* Only EXPUNGE makes a mailbox smaller (RFC 3501 §7.3.1, §7.4.1). */
  if (item->number < self->uids->len)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server reports %u messages, fewer than it had, without expunging any"),
                      item->number);
      return;
    }

  if (item->number > self->uids->len)
    {
      g_array_set_size (self->uids, item->number);
      self->fetch_stalled = FALSE;
    }
}

static void
on_list_item (MscImapClient     *self,
              const MscImapItem *item)
{
  g_autoptr(GError) error = NULL;
  const MscImapValue *attributes;
  const MscImapValue *value;
  Mailbox *mailbox;
  const char *wire;
  gsize wire_len;
  char *name;

  /* mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox */
  if (item->args->len < 3 ||
      (attributes = g_ptr_array_index (item->args, 0))->kind != MSC_IMAP_VALUE_LIST ||
      (wire = msc_imap_value_get_astring ((value = g_ptr_array_index (item->args, 2)), &wire_len)) == NULL)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL, _("The server sent an invalid LIST response"));
      return;
    }

  name = msc_imap_value_dup_mailbox (value, &error);
  if (name == NULL)
    {
      /* Servers with UTF8=ACCEPT (RFC 6855) send names in UTF-8; the
       * name is then also what goes back. */
      if (!g_utf8_validate (wire, wire_len, NULL) || memchr (wire, '\0', wire_len) != NULL)
        {
          g_debug ("Skipping mailbox: %s", error->message);
          return;
        }
      name = g_strndup (wire, wire_len);
    }

  mailbox = g_new0 (Mailbox, 1);
  mailbox->name = name;
  if (strcmp (name, "INBOX") == 0)
    {
      mailbox->wire = g_strdup ("INBOX");
      mailbox->wire_len = 5;
    }
  else
    {
      mailbox->wire = g_strndup (wire, wire_len);
      mailbox->wire_len = wire_len;
    }

  for (guint i = 0; i < attributes->children->len; i++)
    {
      for (guint j = 0; j < G_N_ELEMENTS (mailbox_attributes); j++)
        {
          if (msc_imap_value_is_atom (g_ptr_array_index (attributes->children, i), mailbox_attributes[j].name))
            mailbox->attributes |= mailbox_attributes[j].attribute;
        }
    }

  /* A name listed twice keeps its first entry. */
  if (find_mailbox (self, name) != NULL)
    {
      mailbox_free (mailbox);
      return;
    }

  g_ptr_array_add (self->mailboxes, mailbox);
}

static gboolean
plan_sync (MscImapClient *self)
{
  g_queue_clear_full (&self->to_sync, g_free);

  for (guint i = 0; self->folders != NULL && self->folders[i] != NULL; i++)
    {
      const char *wanted = self->folders[i];
      const char *name = NULL;

      if (wanted[0] == '\\')
        {
          for (guint j = 0; j < G_N_ELEMENTS (mailbox_attributes); j++)
            {
              if (g_ascii_strcasecmp (wanted, mailbox_attributes[j].name) == 0)
                name = special_mailbox (self, mailbox_attributes[j].attribute);
            }
        }
      else
        {
          Mailbox *mailbox = find_mailbox (self, wanted);

          if (mailbox != NULL && !(mailbox->attributes & MAILBOX_NOSELECT))
            name = mailbox->name;
        }

      if (name == NULL)
        {
          fail_with (self, MSC_IMAP_CLIENT_ERROR_MAILBOX_MISSING,
                     _("The folder “%s” is not on the server"), wanted);
          return FALSE;
        }

      if (strcmp (name, "INBOX") != 0 &&
          g_queue_find_custom (&self->to_sync, name, (GCompareFunc) strcmp) == NULL)
        g_queue_push_tail (&self->to_sync, g_strdup (name));
    }

  /* Last, so that it stays selected to idle or poll on. */
  g_queue_push_tail (&self->to_sync, g_strdup ("INBOX"));

  return TRUE;
}

static GError *
auth_error (const MscImapItem *item)
{
  g_autofree char *text = display_text (item->text);

  /* RFC 5530 §3: [UNAVAILABLE] is the server's trouble, not the password. */
  if (g_strcmp0 (item->code, "UNAVAILABLE") == 0)
    return g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_SERVER_FAILURE,
                        _("The server cannot sign you in right now; try again later: “%s”"), text);

  /* [AUTHENTICATIONFAILED] or no code: the usual reason is the password. */
  return g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_AUTH_FAILED,
                              _("Wrong user name or password"));
}

static void
on_tagged (MscImapClient     *self,
           Command           *command,
           const MscImapItem *item)
{
  gboolean ok = strcmp (item->name, "OK") == 0;
  g_autofree char *text = display_text (item->text);

  /* Ending already: only LOGOUT's answer matters (and IDLE's, to send
   * LOGOUT after it). */
  if (self->failure != NULL && command->kind != CMD_LOGOUT && command->kind != CMD_IDLE)
    return;

  switch (command->kind)
    {
    case CMD_CAPABILITY:
      if (!ok)
        {
          fail_with (self, MSC_IMAP_CLIENT_ERROR_COMMAND_FAILED,
                     _("The server refused to list its capabilities: “%s”"), text);
          return;
        }
      if (self->authenticated)
        begin_list (self);
      else
        after_capabilities (self);
      break;

    case CMD_STARTTLS:
      if (!ok)
        {
          if (self->tls_mode == MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED)
            fail (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_TLS_UNAVAILABLE,
                                             _("The server refused to start encryption (STARTTLS), and "
                                               "this account requires it")));
          else
            begin_auth (self);
          return;
        }

      /* Whatever came after the OK was sent in plaintext and must not be
       * read as if it came over TLS (CVE-2011-0411): process_input()
       * stops, and it is dropped. */
      msc_imap_parser_reset (self->parser);
      set_state (self, MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE);
      push_event (self, MSC_IMAP_CLIENT_EVENT_STARTTLS);
      break;

    case CMD_LOGIN:
    case CMD_AUTHENTICATE:
      if (!ok)
        {
          fail (self, auth_error (item));
          return;
        }
      self->authenticated = TRUE;
      /* RFC 3501 §6.2.3: the capabilities may grow once signed in; a
       * [CAPABILITY] code in the OK says them, else ask. */
      if (self->caps_in_code)
        begin_list (self);
      else
        send_capability (self);
      break;

    case CMD_LIST:
      if (!ok)
        {
          fail_with (self, MSC_IMAP_CLIENT_ERROR_COMMAND_FAILED,
                     _("The server refused to list the folders: “%s”"), text);
          return;
        }
      if (!plan_sync (self))
        return;
      self->listed = TRUE;
      break;

    case CMD_SELECT:
      if (!ok)
        {
          fail_with (self, MSC_IMAP_CLIENT_ERROR_MAILBOX_MISSING,
                     _("The server could not open the folder “%s”: “%s”"), command->mailbox, text);
          return;
        }
      self->selected = g_strdup (command->mailbox);
      on_sync_selected (self);
      break;

    case CMD_RESYNC:
    case CMD_FETCH:
    case CMD_UPDATE:
      if (!ok)
        {
          fail_with (self, MSC_IMAP_CLIENT_ERROR_COMMAND_FAILED,
                     _("The server refused to send the messages of “%s”: “%s”"),
                     self->sync->mailbox, text);
          return;
        }
      if (command->kind == CMD_RESYNC)
        {
          on_resynced (self);
        }
      else
        {
          /* A server that leaves sequence numbers unexplained is not asked
           * again until the mailbox changes. */
          if (command->kind == CMD_UPDATE && has_unknown_uids (self) &&
              highest_known_uid (self) <= self->sync->lastuid)
            self->fetch_stalled = TRUE;
          finish_sync (self);
        }
      break;

    case CMD_IDLE:
      if (self->idle_running || self->idle_done_sent)
        push_event (self, MSC_IMAP_CLIENT_EVENT_IDLE_ENDED)->mailbox = g_strdup (self->selected);
      else
        self->idle_refused = TRUE;  /* polled instead, or logged out */
      self->idle_running = FALSE;
      self->idle_done_sent = FALSE;
      break;

    case CMD_NOOP:
      break;

    case CMD_ACTION:
      on_action_response (self, command, item, ok);
      break;

    case CMD_LOGOUT:
      raise_done (self, self->failure);
      end_session (self, NULL);
      break;

    case CMD_GREETING:
    default:
      g_assert_not_reached ();
    }
}

static void
on_greeting (MscImapClient     *self,
             const MscImapItem *item)
{
  g_autofree char *text = display_text (item->text);

  if (strcmp (item->name, "BYE") == 0)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_SERVICE_UNAVAILABLE,
                      _("The server refused the connection: “%s”"), text);
      return;
    }
  if (strcmp (item->name, "OK") != 0 && strcmp (item->name, "PREAUTH") != 0)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server's greeting is not OK, PREAUTH or BYE"));
      return;
    }

  g_clear_pointer (&self->current, command_free);
  self->authenticated = strcmp (item->name, "PREAUTH") == 0;

  if (self->caps_in_code)
    after_capabilities (self);
  else
    send_capability (self);
}

static void
handle_untagged (MscImapClient     *self,
                 const MscImapItem *item)
{
  const char *name = item->name;

  if (self->current != NULL && self->current->kind == CMD_GREETING)
    {
      handle_code (self, item);
      on_greeting (self, item);
      return;
    }

  if (strcmp (name, "OK") == 0 || strcmp (name, "NO") == 0 || strcmp (name, "BAD") == 0)
    {
      /* The human-readable text ([ALERT] above all) is in the RESPONSE
       * event for the UI to show. */
      handle_code (self, item);
    }
  else if (strcmp (name, "BYE") == 0)
    {
      g_autofree char *text = display_text (item->text);

      /* Part of LOGOUT (RFC 3501 §7.1.5); any other BYE is the server
       * going away. */
      if (self->current == NULL || self->current->kind != CMD_LOGOUT)
        protocol_error (self, MSC_IMAP_CLIENT_ERROR_SERVER_BYE,
                        _("The server ended the session: “%s”"), text);
    }
  else if (strcmp (name, "CAPABILITY") == 0)
    {
      set_capabilities (self, item->args, NULL);
    }
  else if (strcmp (name, "LIST") == 0)
    {
      if (self->current != NULL && self->current->kind == CMD_LIST)
        on_list_item (self, item);
    }
  else if (strcmp (name, "EXISTS") == 0 || strcmp (name, "EXPUNGE") == 0 ||
           strcmp (name, "FETCH") == 0 || strcmp (name, "RECENT") == 0)
    {
      if (!item->has_number)
        protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                        _("The server sent %s without a message number"), name);
      else if (strcmp (name, "EXISTS") == 0)
        on_exists (self, item);
      else if (strcmp (name, "EXPUNGE") == 0)
        on_expunge (self, item);
      else if (strcmp (name, "FETCH") == 0)
        on_fetch (self, item);
    }
  else if (strcmp (name, "PREAUTH") == 0)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server sent PREAUTH in the middle of the session"));
    }
  /* FLAGS, SEARCH, STATUS, LSUB, ENABLED, ID, NAMESPACE …: the client
   * asked for none of them, and RFC 3501 §7 says to ignore such data. */
}

static void
handle_continuation (MscImapClient     *self,
                     const MscImapItem *item)
{
  Command *command = self->current;

  if (command != NULL && command->kind == CMD_IDLE && command->n_sent == command->parts->len &&
      !self->idle_running && !self->idle_done_sent)
    {
      /* RFC 2177 §3: idling; what happens now comes untagged, at once. */
      self->idle_running = TRUE;
      self->idle_since = self->now;
      push_event (self, MSC_IMAP_CLIENT_EVENT_IDLE_STARTED)->mailbox = g_strdup (self->selected);
      return;
    }

  if (command != NULL && command->kind != CMD_GREETING && command->n_sent < command->parts->len)
    {
      send_next_part (self);
      return;
    }

  protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                  _("The server asked for more of a command that was complete"));
}

static void
handle_tagged (MscImapClient     *self,
               const MscImapItem *item)
{
  Command *command = self->current;

  if (command == NULL || command->tag == NULL || strcmp (command->tag, item->tag) != 0)
    {
      g_autofree char *tag = display_text (item->tag);

      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server answered a command that was not sent (tag “%s”)"), tag);
      return;
    }

  /* A server may refuse a literal before it comes (RFC 3501 §7.5), but
   * accepting a command it has not had all of is nonsense. */
  if (command->n_sent < command->parts->len && strcmp (item->name, "OK") == 0)
    {
      protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                      _("The server accepted a command before it was complete"));
      return;
    }

  handle_code (self, item);

  self->current = NULL;
  on_tagged (self, command, item);
  command_free (command);
}

static void
emit_response (MscImapClient     *self,
               const MscImapItem *item)
{
  MscImapClientEvent *event = push_event (self, MSC_IMAP_CLIENT_EVENT_RESPONSE);

  event->response_kind = item->kind;
  event->tag = item->tag != NULL ? display_text (item->tag) : NULL;
  event->name = item->name != NULL ? g_strdup (item->name) : NULL;
  event->has_number = item->has_number;
  event->number = item->number;
  event->code = g_strdup (item->code);
  event->code_text = item->code_text != NULL ? display_text (item->code_text) : NULL;
  event->text = item->text != NULL ? display_text (item->text) : NULL;
  event->wire = g_bytes_new (self->wire->data, self->wire->len);
}

static void
handle_item (MscImapClient     *self,
             const MscImapItem *item)
{
  emit_response (self, item);

  self->busy++;
  self->caps_in_code = FALSE;

  switch (item->kind)
    {
    case MSC_IMAP_ITEM_UNTAGGED:
      handle_untagged (self, item);
      break;

    case MSC_IMAP_ITEM_CONTINUATION:
      handle_continuation (self, item);
      break;

    case MSC_IMAP_ITEM_TAGGED:
      handle_tagged (self, item);
      break;

    case MSC_IMAP_ITEM_COMMAND:
    case MSC_IMAP_ITEM_LINE:
    case MSC_IMAP_N_ITEM_KINDS:
    default:
      g_assert_not_reached ();
    }

  self->busy--;
}

/* Whatever is due once nothing is in flight, in order: end on failure,
 * sync what is left to sync, carry out what the user did, come back to
 * INBOX, fetch what was reported, and then idle, wait to poll, or log
 * out. */
static void
continue_session (MscImapClient *self)
{
  for (;;)
    {
      gboolean staying;

      if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED || self->current != NULL ||
          self->state == MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE)
        return;

      if (self->failure != NULL)
        {
          send_logout (self);
          return;
        }

      g_assert (self->listed);

      if (!self->stop_requested && !g_queue_is_empty (&self->to_sync))
        {
          g_autofree char *mailbox = g_queue_pop_head (&self->to_sync);

          begin_sync (self, mailbox);
          return;
        }

      if (!g_queue_is_empty (&self->actions))
        {
          if (run_action (self))
            return;
          continue;
        }

      staying = !self->stop_requested && (idle_possible (self) || self->poll_interval > 0);

      if (staying && (g_strcmp0 (self->selected, "INBOX") != 0 || !self->selected_synced))
        {
          begin_sync (self, "INBOX");
          return;
        }

      if (!self->stop_requested && need_fetch (self))
        {
          begin_update (self);
          return;
        }

      if (!staying)
        {
          send_logout (self);
          return;
        }

      if (idle_possible (self))
        {
          start_idle (self);
          return;
        }

      set_state (self, MSC_IMAP_CLIENT_STATE_POLL);
      if (self->poll_due == 0)
        self->poll_due = self->now + self->poll_interval;
      return;
    }
}

/* Moves the session on after anything that may have made work: a
 * response, an action queued, a timer.  Inside a handler it waits for the
 * handler to return. */
static void
kick (MscImapClient *self)
{
  if (self->busy > 0 || self->state == MSC_IMAP_CLIENT_STATE_CLOSED ||
      self->state == MSC_IMAP_CLIENT_STATE_CONNECT || self->state == MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE)
    return;

  /* A device store signal handler may queue an action: it waits too. */
  self->busy++;

  if (self->current == NULL)
    {
      if (self->listed || self->failure != NULL)
        continue_session (self);
    }
  else if (self->current->kind == CMD_IDLE && self->idle_running && idle_should_end (self))
    {
      send_done (self);
    }

  self->busy--;
}

static void
process_input (MscImapClient *self,
               const guint8  *data,
               gsize          len)
{
  for (;;)
    {
      g_autoptr(MscImapItem) item = NULL;
      g_autoptr(GError) error = NULL;
      const guint8 *start = data;
      MscImapParserResult result;

      /* After the OK to STARTTLS, the rest came in plaintext: dropped. */
      if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED ||
          self->state == MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE)
        return;

      result = msc_imap_parser_next (self->parser, &data, &len, &item, &error);
      g_byte_array_append (self->wire, start, data - start);

      switch (result)
        {
        case MSC_IMAP_PARSER_RESULT_NEED_MORE:
          return;

        case MSC_IMAP_PARSER_RESULT_ITEM:
          handle_item (self, item);
          g_byte_array_set_size (self->wire, 0);
          kick (self);
          break;

        case MSC_IMAP_PARSER_RESULT_ERROR:
          if (g_error_matches (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_LINE_TOO_LONG) ||
              g_error_matches (error, MSC_IMAP_PARSER_ERROR, MSC_IMAP_PARSER_ERROR_LITERAL_TOO_LARGE))
            protocol_error (self, MSC_IMAP_CLIENT_ERROR_TOO_BIG,
                            _("The server sent a response larger than this mail app accepts: %s"),
                            error->message);
          else
            protocol_error (self, MSC_IMAP_CLIENT_ERROR_PROTOCOL,
                            _("The server sent something that is not an IMAP response: %s"),
                            error->message);
          return;

        case MSC_IMAP_PARSER_RESULT_NEED_CONTINUATION:
        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- Object ---- */

static void
msc_imap_client_dispose (GObject *object)
{
  MscImapClient *self = (MscImapClient *) object;

  g_queue_clear_full (&self->actions, (GDestroyNotify) action_free);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (msc_imap_client_parent_class)->dispose (object);
}

static void
msc_imap_client_finalize (GObject *object)
{
  MscImapClient *self = (MscImapClient *) object;

  g_clear_pointer (&self->parser, msc_imap_parser_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_clear_pointer (&self->wire, g_byte_array_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) msc_imap_client_event_free);
  g_queue_clear_full (&self->to_sync, g_free);
  g_clear_pointer (&self->mailboxes, g_ptr_array_unref);
  g_clear_pointer (&self->capabilities, g_hash_table_unref);
  g_clear_pointer (&self->current, command_free);
  g_clear_pointer (&self->sync, sync_free);
  g_clear_pointer (&self->uids, g_array_unref);
  g_clear_pointer (&self->server_flags, g_hash_table_unref);
  g_clear_pointer (&self->outcome, msc_imap_client_outcome_free);
  g_clear_error (&self->failure);
  g_clear_error (&self->close_reason);
  g_free (self->user);
  g_clear_pointer (&self->password, msc_wire_free_secret);
  g_strfreev (self->folders);
  g_free (self->selected);

  G_OBJECT_CLASS (msc_imap_client_parent_class)->finalize (object);
}

static void
msc_imap_client_class_init (MscImapClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_imap_client_dispose;
  object_class->finalize = msc_imap_client_finalize;
}

static void
msc_imap_client_init (MscImapClient *self)
{
  self->output = g_byte_array_new ();
  self->wire = g_byte_array_new ();
  self->mailboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) mailbox_free);
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->uids = g_array_new (FALSE, TRUE, sizeof (guint32));
  self->server_flags = g_hash_table_new (NULL, NULL);
  self->next_tag = 1;
  self->next_action_id = 1;
  g_queue_init (&self->events);
  g_queue_init (&self->actions);
  g_queue_init (&self->to_sync);
}

static gboolean
is_valid_credential (const char *text)
{
  return text != NULL && *text != '\0' && strpbrk (text, "\r\n") == NULL &&
         g_utf8_validate (text, -1, NULL);
}

static gboolean
is_valid_action (const MscImapClientAction *action)
{
  if (action == NULL || action->kind >= MSC_IMAP_CLIENT_N_ACTIONS)
    return FALSE;
  if (action->kind == MSC_IMAP_CLIENT_ACTION_APPEND_SENT)
    return action->message != NULL && g_bytes_get_size (action->message) > 0;
  if (action->kind == MSC_IMAP_CLIENT_ACTION_MOVE && (action->folder == NULL || *action->folder == '\0'))
    return FALSE;

  return action->key != NULL;
}

static guint
add_action (MscImapClient             *self,
            const MscImapClientAction *request)
{
  Action *action = g_new0 (Action, 1);

  action->id = self->next_action_id++;
  action->kind = request->kind;
  action->key = g_strdup (request->key);
  action->folder = g_strdup (request->folder);
  action->message = request->message != NULL ? g_bytes_ref (request->message) : NULL;
  g_queue_push_tail (&self->actions, action);

  return action->id;
}

MscImapClient *
msc_imap_client_new (const MscImapClientConfig *config,
                     MscDeviceStore            *store)
{
  MscImapParserLimits limits = { 0, };
  MscImapClient *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (is_valid_credential (config->user), NULL);
  g_return_val_if_fail (is_valid_credential (config->password), NULL);
  g_return_val_if_fail (config->tls_mode <= MSC_IMAP_CLIENT_TLS_IMPLICIT, NULL);
  g_return_val_if_fail (config->poll_interval_usec >= 0, NULL);
  g_return_val_if_fail (config->n_actions == 0 || config->actions != NULL, NULL);
  for (guint i = 0; i < config->n_actions; i++)
    g_return_val_if_fail (is_valid_action (&config->actions[i]), NULL);
  g_return_val_if_fail (MSC_IS_DEVICE_STORE (store), NULL);

  self = g_object_new (MSC_TYPE_IMAP_CLIENT, NULL);

  self->store = g_object_ref (store);
  self->user = g_strdup (config->user);
  self->password = g_strdup (config->password);
  self->tls_mode = config->tls_mode;
  self->tls_active = config->tls_mode == MSC_IMAP_CLIENT_TLS_IMPLICIT;
  self->allow_auth_without_tls = config->allow_auth_without_tls;
  self->use_idle = config->use_idle;
  self->poll_interval = config->poll_interval_usec;
  self->idle_renew = config->idle_renew_usec > 0 ? config->idle_renew_usec : DEFAULT_IDLE_RENEW_USEC;
  self->headers_only = config->headers_only_first;
  self->open_with_peek = config->open_with_peek;
  self->folders = g_strdupv ((GStrv) config->folders);
  self->timeout = config->timeout_usec > 0 ? config->timeout_usec : DEFAULT_TIMEOUT_USEC;

  limits.max_line_length = MAX (config->max_line_length > 0 ? config->max_line_length
                                                            : DEFAULT_MAX_LINE_LENGTH, 64);
  limits.max_literal_size = config->max_message_size > 0 ? config->max_message_size
                                                         : DEFAULT_MAX_MESSAGE_SIZE;
  self->parser = msc_imap_parser_new (MSC_IMAP_PARSER_MODE_RESPONSE, &limits);

  for (guint i = 0; i < config->n_actions; i++)
    add_action (self, &config->actions[i]);

  return self;
}

void
msc_imap_client_start (MscImapClient *self)
{
  Command *greeting;

  g_return_if_fail (MSC_IS_IMAP_CLIENT (self));
  g_return_if_fail (self->state == MSC_IMAP_CLIENT_STATE_CONNECT);

  greeting = g_new0 (Command, 1);
  greeting->kind = CMD_GREETING;
  greeting->parts = g_ptr_array_new ();
  self->current = greeting;

  self->last_activity = self->now;
  set_state (self, MSC_IMAP_CLIENT_STATE_GREETING);
}

gboolean
msc_imap_client_feed (MscImapClient  *self,
                      const guint8   *data,
                      gsize           len,
                      GError        **error)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_IMAP_CLIENT_STATE_CONNECT, FALSE);

  if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED)
    {
      g_set_error_literal (error, MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_CLOSED,
                           _("The IMAP session is already closed"));
      return FALSE;
    }

  if (len > 0)
    self->last_activity = self->now;

  process_input (self, data, len);

  if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED && self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  return TRUE;
}

gboolean
msc_imap_client_peer_closed (MscImapClient  *self,
                             GError        **error)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (self->state != MSC_IMAP_CLIENT_STATE_CONNECT, FALSE);

  if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED)
    return TRUE;

  /* RFC 3501 §3.4: after LOGOUT the server closes; its BYE may be all
   * that came. */
  if (self->state == MSC_IMAP_CLIENT_STATE_LOGOUT)
    {
      raise_done (self, self->failure);
      end_session (self, NULL);
      return TRUE;
    }

  close_session (self, g_error_new_literal (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_CONNECTION_LOST,
                                            _("The server closed the connection")));
  g_propagate_error (error, g_error_copy (self->close_reason));

  return FALSE;
}

GBytes *
msc_imap_client_take_output (MscImapClient *self)
{
  GBytes *bytes;

  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), NULL);

  if (self->output->len == 0)
    return NULL;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->output));
  self->output = g_byte_array_new ();

  return bytes;
}

MscImapClientEvent *
msc_imap_client_next_event (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), NULL);

  return g_queue_pop_head (&self->events);
}

void
msc_imap_client_set_now (MscImapClient *self,
                         gint64         now_usec)
{
  g_return_if_fail (MSC_IS_IMAP_CLIENT (self));

  self->now = now_usec;
}

gint64
msc_imap_client_get_deadline (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), -1);

  switch (self->state)
    {
    /* The handshake is the layer around's to time. */
    case MSC_IMAP_CLIENT_STATE_CONNECT:
    case MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE:
    case MSC_IMAP_CLIENT_STATE_CLOSED:
    case MSC_IMAP_CLIENT_N_STATES:
      return -1;

    case MSC_IMAP_CLIENT_STATE_GREETING:
    case MSC_IMAP_CLIENT_STATE_CAPABILITY:
    case MSC_IMAP_CLIENT_STATE_STARTTLS:
    case MSC_IMAP_CLIENT_STATE_LOGIN:
    case MSC_IMAP_CLIENT_STATE_LIST:
    case MSC_IMAP_CLIENT_STATE_SELECT:
    case MSC_IMAP_CLIENT_STATE_RESYNC:
    case MSC_IMAP_CLIENT_STATE_FETCH:
    case MSC_IMAP_CLIENT_STATE_ACTION:
    case MSC_IMAP_CLIENT_STATE_IDLE:
    case MSC_IMAP_CLIENT_STATE_POLL:
    case MSC_IMAP_CLIENT_STATE_LOGOUT:
    default:
      break;
    }

  if (self->current == NULL)
    return self->state == MSC_IMAP_CLIENT_STATE_POLL && self->poll_due > 0 ? self->poll_due : -1;

  /* A server that says nothing while idling is doing its job. */
  if (self->current->kind == CMD_IDLE && self->idle_running)
    return self->idle_since + self->idle_renew;

  return self->last_activity + self->timeout;
}

gboolean
msc_imap_client_check_timeout (MscImapClient *self)
{
  gint64 deadline;
  gint64 idle;

  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);

  deadline = msc_imap_client_get_deadline (self);
  if (deadline < 0 || self->now < deadline)
    return FALSE;

  if (self->current == NULL)
    {
      /* Time to poll (RFC 3501 §6.1.2). */
      self->poll_due = 0;
      issue (self, command_new (self, CMD_NOOP, "NOOP"));
      return FALSE;
    }

  if (self->current->kind == CMD_IDLE && self->idle_running)
    {
      self->idle_renew_due = TRUE;
      kick (self);
      return FALSE;
    }

  idle = (self->now - self->last_activity) / G_USEC_PER_SEC;
  close_session (self,
                 g_error_new (MSC_IMAP_CLIENT_ERROR, MSC_IMAP_CLIENT_ERROR_TIMEOUT,
                              ngettext ("The server did not answer for %lu second",
                                        "The server did not answer for %lu seconds",
                                        (gulong) idle),
                              (gulong) idle));

  return TRUE;
}

void
msc_imap_client_tls_started (MscImapClient *self)
{
  g_return_if_fail (MSC_IS_IMAP_CLIENT (self));

  /* The session may have ended while the handshake ran. */
  if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED)
    return;

  g_return_if_fail (self->state == MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE);

  /* RFC 3501 §6.2.1: "the client MUST discard cached information about
   * server capabilities and SHOULD re-issue the CAPABILITY command". */
  self->tls_active = TRUE;
  g_hash_table_remove_all (self->capabilities);
  msc_imap_parser_reset (self->parser);
  g_byte_array_set_size (self->wire, 0);
  self->last_activity = self->now;

  send_capability (self);
}

guint
msc_imap_client_queue_action (MscImapClient             *self,
                              const MscImapClientAction *action)
{
  guint id;

  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), 0);
  g_return_val_if_fail (is_valid_action (action), 0);

  if (self->state == MSC_IMAP_CLIENT_STATE_CLOSED || self->state == MSC_IMAP_CLIENT_STATE_LOGOUT ||
      self->failure != NULL)
    return 0;

  id = add_action (self, action);
  kick (self);

  return id;
}

void
msc_imap_client_stop (MscImapClient *self)
{
  g_return_if_fail (MSC_IS_IMAP_CLIENT (self));

  if (self->state == MSC_IMAP_CLIENT_STATE_CONNECT || self->state == MSC_IMAP_CLIENT_STATE_CLOSED)
    return;

  self->stop_requested = TRUE;
  kick (self);
}

MscImapClientState
msc_imap_client_get_state (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), MSC_IMAP_CLIENT_STATE_CLOSED);

  return self->state;
}

gboolean
msc_imap_client_want_read (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);

  return self->state != MSC_IMAP_CLIENT_STATE_CONNECT &&
         self->state != MSC_IMAP_CLIENT_STATE_TLS_HANDSHAKE &&
         self->state != MSC_IMAP_CLIENT_STATE_CLOSED;
}

gboolean
msc_imap_client_is_closed (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), TRUE);

  return self->state == MSC_IMAP_CLIENT_STATE_CLOSED;
}

gboolean
msc_imap_client_is_tls_active (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);

  return self->tls_active;
}

gboolean
msc_imap_client_has_capability (MscImapClient *self,
                                const char    *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  key = g_ascii_strup (name, -1);

  return has_capability (self, key);
}

const char *
msc_imap_client_get_special_mailbox (MscImapClient *self,
                                     const char    *special_use)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (special_use != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (mailbox_attributes); i++)
    {
      if (mailbox_attributes[i].attribute != MAILBOX_NOSELECT &&
          g_ascii_strcasecmp (special_use, mailbox_attributes[i].name) == 0)
        return special_mailbox (self, mailbox_attributes[i].attribute);
    }

  return NULL;
}

const MscImapClientOutcome *
msc_imap_client_get_outcome (MscImapClient *self)
{
  g_return_val_if_fail (MSC_IS_IMAP_CLIENT (self), NULL);

  return self->outcome;
}
