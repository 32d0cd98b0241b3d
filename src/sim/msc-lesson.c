/* msc-lesson.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-lesson"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gio/gio.h>

#include "msc-lesson.h"
#include "msc-smtp-address.h"

/* Lessons are written by trainers, not programmers, so every mistake is
 * reported once, with its file and line, in a sentence that names the
 * group, the key and what would be allowed there.  GKeyFile does the
 * unescaping and picks Title[zh_CN] for us, but it keeps no line numbers
 * and silently merges a group or key given twice; so the text is first
 * scanned here line by line, with GKeyFile's own rules, and only text
 * that passes is handed to GKeyFile. */

#define DEFAULT_ORDER            1000
#define DEFAULT_SERVER_LATENCY   40
#define DEFAULT_DEVICE_LATENCY   20
#define DEFAULT_KEEP_DAYS        14
#define FIRST_DEFAULT_ADDRESS    10   /* 192.0.2.10: TEST-NET-1, RFC 5737 */
#define MAX_LATENCY_MS           60000
#define MAX_TEMPORARY_FAILURES   1000
#define MAX_KEEP_DAYS            3650
#define MAX_POLL_MINUTES         1440
#define MAX_WAIT_MINUTES         (7 * 24 * 60)
#define MAX_ORDER                1000000

struct _MscLesson
{
  GObject parent_instance;

  char           *id;
  char           *title;
  char           *summary;
  MscLessonLevel  level;
  int             order;
  char           *path;
  guint           id_line;

  GPtrArray      *servers;       /* of MscLessonServer */
  GPtrArray      *devices;       /* of MscLessonDevice */
  GPtrArray      *messages;      /* of MscLessonMessage */
  GPtrArray      *steps;         /* of MscLessonStep */
  GPtrArray      *expectations;  /* of MscLessonExpectation */
};

G_DEFINE_FINAL_TYPE (MscLesson, msc_lesson, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-lesson-error-quark, msc_lesson_error)

/* ---- Names ---- */

static const char * const level_names[] = { "beginner", "intermediate", "advanced", NULL };
static const char * const kind_names[] = { "phone", "laptop", "desktop", "tablet", NULL };
static const char * const incoming_names[] = { "imap", "pop3", NULL };
static const char * const security_names[] = { "none", "starttls", "ssl", NULL };
/* In the order of MscPop3ClientRetention. */
static const char * const retention_names[] = { "delete", "keep", "keep-days", "delete-when-deleted", NULL };
static const char * const action_names[] = {
  "check", "send", "open", "mark-unread", "delete", "move", "offline", "online", "wait", NULL
};
static const char * const service_names[] = {
  "smtp", "submissions", "submission", "imap", "imaps", "pop3", "pop3s", NULL
};
static const guint service_ports[] = { 25, 465, 587, 143, 993, 110, 995 };

G_STATIC_ASSERT (G_N_ELEMENTS (level_names) == MSC_LESSON_LEVEL_ADVANCED + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (incoming_names) == MSC_INCOMING_POP3 + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == MSC_DEVICE_KIND_TABLET + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (security_names) == MSC_SECURITY_TLS + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (retention_names) == MSC_POP3_CLIENT_DELETE_WHEN_DELETED_LOCALLY + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (action_names) == MSC_LESSON_ACTION_WAIT + 2);
G_STATIC_ASSERT (G_N_ELEMENTS (service_names) == MSC_SIM_N_SERVICES + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (service_ports) == MSC_SIM_N_SERVICES);

/* ---- The groups and keys a lesson may have ---- */

typedef enum
{
  GROUP_LESSON,
  GROUP_SERVER,
  GROUP_DEVICE,
  GROUP_MESSAGE,
  GROUP_STEP,
  GROUP_EXPECT,
} GroupKind;

typedef struct
{
  const char *name;
  gboolean    translatable;
} KeyInfo;

static const KeyInfo lesson_keys[] = {
  { "Id", FALSE }, { "Title", TRUE }, { "Summary", TRUE }, { "Level", FALSE }, { "Order", FALSE },
  { NULL, FALSE }
};

static const KeyInfo server_keys[] = {
  { "Domains", FALSE }, { "Accounts", FALSE }, { "Address", FALSE }, { "Services", FALSE },
  { "TemporaryFailures", FALSE }, { "Latency", FALSE },
  { NULL, FALSE }
};

static const KeyInfo device_keys[] = {
  { "Name", TRUE }, { "Kind", FALSE }, { "Account", FALSE }, { "Incoming", FALSE },
  { "IncomingServer", FALSE }, { "IncomingSecurity", FALSE }, { "IncomingPort", FALSE },
  { "Retention", FALSE }, { "KeepDays", FALSE }, { "Push", FALSE }, { "PollMinutes", FALSE },
  { "OutgoingServer", FALSE }, { "OutgoingSecurity", FALSE }, { "OutgoingPort", FALSE },
  { "Latency", FALSE }, { "Online", FALSE },
  { NULL, FALSE }
};

static const KeyInfo message_keys[] = {
  { "Account", FALSE }, { "Mailbox", FALSE }, { "From", FALSE }, { "To", FALSE },
  { "Subject", TRUE }, { "Body", TRUE }, { "Seen", FALSE },
  { NULL, FALSE }
};

static const KeyInfo step_keys[] = {
  { "Action", FALSE }, { "Narration", TRUE }, { "Device", FALSE }, { "Message", FALSE },
  { "Folder", FALSE }, { "To", FALSE }, { "Subject", TRUE }, { "Body", TRUE }, { "Minutes", FALSE },
  { NULL, FALSE }
};

static const struct
{
  const char    *prefix;
  const KeyInfo *keys;  /* NULL: [Expect] takes places, not keys */
} group_kinds[] = {
  [GROUP_LESSON]  = { "Lesson", lesson_keys },
  [GROUP_SERVER]  = { "Server", server_keys },
  [GROUP_DEVICE]  = { "Device", device_keys },
  [GROUP_MESSAGE] = { "Message", message_keys },
  [GROUP_STEP]    = { "Step", step_keys },
  [GROUP_EXPECT]  = { "Expect", NULL },
};

/* One [Group] as scanned: where it and each of its keys are. */
typedef struct
{
  char       *name;   /* between the brackets, as written */
  GroupKind   kind;
  const char *arg;    /* into @name, after "Device "; NULL for [Lesson] */
  guint       line;
  GHashTable *keys;   /* key as written (Title[zh_CN] too) → line */
  GPtrArray  *order;  /* the keys of @keys, in file order (borrowed) */
} Group;

typedef struct
{
  const char *name;
  GKeyFile   *keyfile;
  GPtrArray  *groups;       /* of Group, in file order */
  GHashTable *group_names;  /* name → Group */
  MscLesson  *lesson;
  GHashTable *ids;          /* device, message and step ids → Group */
  GHashTable *messages;     /* [Message] ids → Group */
  GHashTable *sent;         /* ids of the send steps read so far */
} Parser;

static void
group_free (Group *group)
{
  g_free (group->name);
  g_hash_table_unref (group->keys);
  g_ptr_array_unref (group->order);
  g_free (group);
}

/* ---- Freeing what a lesson owns ---- */

static void
account_free (MscLessonAccount *account)
{
  g_free (account->address);
  g_free (account->password);
  g_free (account);
}

static void
server_free (MscLessonServer *server)
{
  g_free (server->hostname);
  g_free (server->address);
  g_strfreev (server->domains);
  g_clear_pointer (&server->accounts, g_ptr_array_unref);
  g_free (server);
}

static void
device_free (MscLessonDevice *device)
{
  g_free (device->id);
  g_free (device->name);
  g_free (device->account);
  g_free (device->password);
  g_free (device->incoming_server);
  g_free (device->outgoing_server);
  g_free (device);
}

static void
message_free (MscLessonMessage *message)
{
  g_free (message->id);
  g_free (message->account);
  g_free (message->mailbox);
  g_free (message->from);
  g_free (message->to);
  g_free (message->subject);
  g_free (message->body);
  g_free (message);
}

static void
step_free (MscLessonStep *step)
{
  g_free (step->id);
  g_free (step->narration);
  g_free (step->device);
  g_free (step->message);
  g_free (step->folder);
  g_strfreev (step->to);
  g_free (step->subject);
  g_free (step->body);
  g_free (step);
}

static void
expectation_free (MscLessonExpectation *expectation)
{
  g_free (expectation->message);
  g_free (expectation->place);
  g_free (expectation->folder);
  g_free (expectation);
}

/* ---- GObject ---- */

static void
msc_lesson_finalize (GObject *object)
{
  MscLesson *self = MSC_LESSON (object);

  g_free (self->id);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->path);
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_clear_pointer (&self->expectations, g_ptr_array_unref);

  G_OBJECT_CLASS (msc_lesson_parent_class)->finalize (object);
}

static void
msc_lesson_class_init (MscLessonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_lesson_finalize;
}

static void
msc_lesson_init (MscLesson *self)
{
  self->order = DEFAULT_ORDER;
  self->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  self->expectations = g_ptr_array_new_with_free_func ((GDestroyNotify) expectation_free);
}

/* ---- Small checks ---- */

static gboolean
is_id (const char *text)
{
  if (!g_ascii_islower (*text))
    return FALSE;

  for (const char *p = text; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;

  return TRUE;
}

/* An LDH host or domain name: what DNS in the simulated world can hold. */
static gboolean
is_hostname (const char *text)
{
  const char *label = text;
  gsize len = strlen (text);

  if (len == 0 || len > 253)
    return FALSE;

  for (const char *p = text;; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          gsize label_len = p - label;

          if (label_len == 0 || label_len > 63 || *label == '-' || p[-1] == '-')
            return FALSE;
          if (*p == '\0')
            return TRUE;
          label = p + 1;
        }
      else if (!g_ascii_isalnum (*p) && *p != '-')
        {
          return FALSE;
        }
    }
}

static gboolean
is_mailbox (const char *text)
{
  return strchr (text, '@') != NULL && msc_smtp_address_is_valid_mailbox (text, FALSE);
}

/* "bob@example.com" or "Bob <bob@example.com>", as in From: and To:. */
static gboolean
is_display_address (const char *text)
{
  const char *open = strrchr (text, '<');
  gsize len = strlen (text);
  g_autofree char *inner = NULL;

  if (open == NULL)
    return is_mailbox (text);

  if (len == 0 || text[len - 1] != '>' || strchr (text, '>') != text + len - 1)
    return FALSE;

  inner = g_strndup (open + 1, text + len - 1 - (open + 1));
  return is_mailbox (inner);
}

/* Escapes such as \n put control characters into a value; a header or a
 * folder name must not have them. */
static gboolean
has_control (const char *text)
{
  for (const char *p = text; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return TRUE;

  return FALSE;
}

static gboolean
is_ipv4 (const char *text)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);

  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
}

static int
name_index (const char * const *names,
            const char         *name)
{
  for (int i = 0; names[i] != NULL; i++)
    if (strcmp (names[i], name) == 0)
      return i;

  return -1;
}

/* "a, b or c", for "expected …" in messages. */
static char *
join_choices (const char * const *names)
{
  g_autoptr(GString) head = g_string_new (NULL);
  guint n = g_strv_length ((char **) names);

  if (n == 1)
    return g_strdup (names[0]);

  for (guint i = 0; i + 1 < n; i++)
    {
      if (i > 0)
        g_string_append (head, ", ");
      g_string_append (head, names[i]);
    }

  /* Translators: the end of a list of choices: "imap or pop3",
   * "none, starttls or ssl" */
  return g_strdup_printf (_("%s or %s"), head->str, names[n - 1]);
}

static char *
join_keys (const KeyInfo *keys)
{
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; keys[i].name != NULL; i++)
    {
      if (i > 0)
        g_string_append (list, ", ");
      g_string_append (list, keys[i].name);
    }

  return g_string_free (g_steal_pointer (&list), FALSE);
}

static const KeyInfo *
find_key_info (const KeyInfo *keys,
               const char    *name)
{
  for (guint i = 0; keys[i].name != NULL; i++)
    if (strcmp (keys[i].name, name) == 0)
      return &keys[i];

  return NULL;
}

/* ---- Errors ---- */

static gboolean fail (Parser         *p,
                      GError        **error,
                      MscLessonError  code,
                      guint           line,
                      const char     *format,
                      ...) G_GNUC_PRINTF (5, 6);

/* Always returns FALSE, so that checks can "return fail (…)". */
static gboolean
fail (Parser         *p,
      GError        **error,
      MscLessonError  code,
      guint           line,
      const char     *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, MSC_LESSON_ERROR, code, "%s:%u: %s", p->name, MAX (line, 1), message);
  return FALSE;
}

/* ---- Scanning: lines, groups and keys, with GKeyFile's rules ---- */

/* GKeyFile's g_key_file_is_key_name(): a key, then an optional [locale]. */
static gboolean
is_key_name (const char *key)
{
  const char *p = key;

  while (*p && *p != '=' && *p != '[' && *p != ']')
    p++;

  if (p == key || key[0] == ' ' || p[-1] == ' ')
    return FALSE;

  if (*p == '[')
    {
      p++;
      while (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '@')
        p++;
      if (*p != ']')
        return FALSE;
      p++;
    }

  return *p == '\0';
}

static gboolean
check_key (Parser      *p,
           Group       *group,
           const char  *key,
           guint        line,
           GError     **error)
{
  const KeyInfo *keys = group_kinds[group->kind].keys;
  const char *bracket = strchr (key, '[');
  g_autofree char *base = NULL;
  const KeyInfo *info;

  if (keys == NULL)
    {
      if (bracket == NULL && (is_id (key) || is_mailbox (key)))
        return TRUE;

      return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                   /* Translators: [Expect lunch] phone[zh_CN]: … */
                   _("[%s] %s: each key here is a place, a device id or an account address"),
                   group->name, key);
    }

  base = bracket != NULL ? g_strndup (key, bracket - key) : g_strdup (key);
  info = find_key_info (keys, base);

  if (info == NULL)
    {
      g_autofree char *allowed = join_keys (keys);

      return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                   /* Translators: [Device phone] Incomming: unknown key; a [Device] group takes Name, Kind, … */
                   _("[%s] %s: unknown key; a [%s] group takes %s"),
                   group->name, key, group_kinds[group->kind].prefix, allowed);
    }

  if (bracket != NULL && !info->translatable)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 /* Translators: [Device phone] Account[zh_CN]: Account is not translated, … */
                 _("[%s] %s: %s is not translated, so it has no [LANGUAGE] versions"),
                 group->name, key, base);

  return TRUE;
}

static Group *
group_new (const char *name,
           guint       line)
{
  Group *group = g_new0 (Group, 1);

  group->name = g_strdup (name);
  group->line = line;
  group->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  group->order = g_ptr_array_new ();

  return group;
}

static gboolean
scan_group (Parser      *p,
            const char  *text,
            guint        line,
            Group      **current,
            GError     **error)
{
  const char *close = strchr (text, ']');
  g_autofree char *name = NULL;
  const char *space;
  Group *group;
  Group *other;
  int kind = -1;

  if (close == NULL)
    return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                 _("a group line must end with “]”, as in [Lesson]"));

  for (const char *q = close + 1; *q; q++)
    if (*q != ' ' && *q != '\t')
      return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                   _("nothing may follow the “]” of a group line"));

  name = g_strndup (text + 1, close - (text + 1));
  if (*name == '\0' || strchr (name, '[') != NULL || has_control (name))
    return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                 _("“[%s]” is not a valid group name"), name);

  other = g_hash_table_lookup (p->group_names, name);
  if (other != NULL)
    return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                 _("[%s] appears twice (first on line %u)"), name, other->line);

  /* "Lesson", or a kind, one space and its id or hostname. */
  space = strchr (name, ' ');
  if (strcmp (name, "Lesson") == 0)
    {
      kind = GROUP_LESSON;
    }
  else if (space != NULL && space[1] != '\0')
    {
      for (guint i = GROUP_SERVER; i < G_N_ELEMENTS (group_kinds); i++)
        if (strlen (group_kinds[i].prefix) == (gsize) (space - name) &&
            strncmp (name, group_kinds[i].prefix, space - name) == 0)
          kind = i;
    }

  if (kind < 0)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 _("[%s] is not a group a lesson can have: use [Lesson], [Server HOSTNAME], "
                   "[Device ID], [Message ID], [Step ID] or [Expect MESSAGE]"),
                 name);

  group = group_new (name, line);
  group->kind = kind;
  group->arg = kind == GROUP_LESSON ? NULL : group->name + (space - name) + 1;
  g_ptr_array_add (p->groups, group);
  g_hash_table_insert (p->group_names, group->name, group);
  *current = group;

  return TRUE;
}

static gboolean
scan_key (Parser      *p,
          const char  *text,
          guint        line,
          Group       *group,
          GError     **error)
{
  const char *equals = strchr (text, '=');
  const char *end = equals;
  g_autofree char *key = NULL;
  gpointer first;

  while (end > text && g_ascii_isspace (end[-1]))
    end--;
  key = g_strndup (text, end - text);

  if (!is_key_name (key))
    return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line, _("“%s” is not a valid key name"), key);

  if (group == NULL)
    return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                 _("%s= comes before the first group: a lesson starts with [Lesson]"), key);

  if (g_hash_table_lookup_extended (group->keys, key, NULL, &first))
    return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                 _("[%s] %s is given twice (first on line %u)"),
                 group->name, key, GPOINTER_TO_UINT (first));

  if (!check_key (p, group, key, line, error))
    return FALSE;

  g_ptr_array_add (group->order, key);
  g_hash_table_insert (group->keys, g_steal_pointer (&key), GUINT_TO_POINTER (line));

  return TRUE;
}

static gboolean
scan (Parser      *p,
      const char  *data,
      gsize        length,
      GError     **error)
{
  const char *end = data + length;
  const char *next = data;
  Group *group = NULL;
  guint line = 0;

  while (next < end)
    {
      const char *start = next;
      const char *newline = memchr (start, '\n', end - start);
      gsize len = (newline != NULL ? newline : end) - start;
      g_autofree char *text = NULL;
      const char *s;

      line++;
      next = newline != NULL ? newline + 1 : end;

      /* GKeyFile takes "\r\n" as a line end, and nothing else. */
      if (newline != NULL && len > 0 && start[len - 1] == '\r')
        len--;

      if (!g_utf8_validate_len (start, len, NULL))
        return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line, _("this line is not valid UTF-8 text"));

      for (gsize i = 0; i < len; i++)
        if (((guchar) start[i] < 0x20 && start[i] != '\t') || start[i] == 0x7f)
          return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                       _("this line holds a control character (byte 0x%02x)"),
                       (guint) (guchar) start[i]);

      text = g_strndup (start, len);
      s = text;
      while (g_ascii_isspace (*s))
        s++;

      if (*s == '\0' || *s == '#')
        continue;

      if (*s == '[')
        {
          if (!scan_group (p, s, line, &group, error))
            return FALSE;
        }
      else if (*s != '=' && strchr (s, '=') != NULL)
        {
          if (!scan_key (p, s, line, group, error))
            return FALSE;
        }
      else
        {
          return fail (p, error, MSC_LESSON_ERROR_SYNTAX, line,
                       _("this line is not a [Group], a Key=Value pair or a # comment"));
        }
    }

  return TRUE;
}

/* ---- Reading values ---- */

/* The line of @key in @group, or 0 if it is not there. */
static guint
key_line (Group      *group,
          const char *key)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (group->keys, key));
}

/* The line of the first of @keys that @group has, else the group's: for
 * a mistake that several keys make together. */
static guint
first_line (Group              *group,
            const char * const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    if (key_line (group, keys[i]) != 0)
      return key_line (group, keys[i]);

  return group->line;
}

/* @key's value, unescaped, in the user's language if @translatable;
 * *@out is NULL, and no error set, if the key is absent. */
static gboolean
get_value (Parser      *p,
           Group       *group,
           const char  *key,
           gboolean     translatable,
           char       **out,
           GError     **error)
{
  g_autoptr(GError) local = NULL;
  guint line = key_line (group, key);

  *out = NULL;
  if (line == 0)
    return TRUE;

  /* The untranslated value is checked even when a translation is used:
   * get_locale_string() loses get_string()'s errors, and GKeyFile can
   * return a value and an error together. */
  *out = g_key_file_get_string (p->keyfile, group->name, key, &local);
  if (local == NULL && translatable)
    {
      g_free (*out);
      *out = g_key_file_get_locale_string (p->keyfile, group->name, key, NULL, &local);
    }

  if (local != NULL || *out == NULL)
    {
      g_clear_pointer (out, g_free);

      if (local == NULL || g_error_matches (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] %s: a “\\” in a value must start \\n, \\t, \\s, \\r or \\\\"),
                     group->name, key);

      return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                   /* Translators: [Step one] Narration: <GLib's reason> */
                   _("[%s] %s: %s"), group->name, key, local->message);
    }

  return TRUE;
}

static gboolean
need_key (Parser      *p,
          Group       *group,
          const char  *key,
          GError     **error)
{
  if (key_line (group, key) != 0)
    return TRUE;

  return fail (p, error, MSC_LESSON_ERROR_MISSING, group->line,
               /* Translators: [Device phone] needs an Account= key */
               _("[%s] needs a %s= key"), group->name, key);
}

/* Text a learner reads: Title, Narration, Body, … */
static gboolean
get_text (Parser      *p,
          Group       *group,
          const char  *key,
          gboolean     required,
          char       **out,
          GError     **error)
{
  if (required && !need_key (p, group, key, error))
    return FALSE;

  return get_value (p, group, key, TRUE, out, error);
}

/* A word, a number or an address: blanks around it do not count. */
static gboolean
get_token (Parser      *p,
           Group       *group,
           const char  *key,
           gboolean     required,
           char       **out,
           GError     **error)
{
  if (required && !need_key (p, group, key, error))
    return FALSE;

  if (!get_value (p, group, key, FALSE, out, error))
    return FALSE;

  if (*out != NULL)
    g_strstrip (*out);

  return TRUE;
}

/* A ;-separated list, blanks around items and empty items dropped. */
static gboolean
get_list (Parser      *p,
          Group       *group,
          const char  *key,
          GPtrArray  **out,
          GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) items = NULL;
  guint line = key_line (group, key);

  *out = NULL;
  if (line == 0)
    return TRUE;

  items = g_key_file_get_string_list (p->keyfile, group->name, key, NULL, &local);
  if (local != NULL)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 _("[%s] %s: %s"), group->name, key, local->message);

  *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    {
      g_strstrip (items[i]);
      if (*items[i] != '\0')
        g_ptr_array_add (*out, g_strdup (items[i]));
    }

  return TRUE;
}

/* One of @names; its index goes to *@out.  @fallback < 0: required. */
static gboolean
get_choice (Parser              *p,
            Group               *group,
            const char          *key,
            const char * const  *names,
            int                  fallback,
            int                 *out,
            GError             **error)
{
  g_autofree char *value = NULL;
  g_autofree char *choices = join_choices (names);

  if (key_line (group, key) == 0)
    {
      if (fallback < 0)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, group->line,
                     /* Translators: [Device phone] needs Incoming=, which is imap or pop3 */
                     _("[%s] needs %s=, which is %s"), group->name, key, choices);

      *out = fallback;
      return TRUE;
    }

  if (!get_token (p, group, key, FALSE, &value, error))
    return FALSE;

  *out = name_index (names, value);
  if (*out < 0)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, key),
                 /* Translators: [Device phone] Incoming=smtp: expected imap or pop3 */
                 _("[%s] %s=%s: expected %s"), group->name, key, value, choices);

  return TRUE;
}

static gboolean
get_int (Parser      *p,
         Group       *group,
         const char  *key,
         int          min,
         int          max,
         int          fallback,
         int         *out,
         GError     **error)
{
  g_autofree char *value = NULL;
  gint64 number;

  *out = fallback;
  if (!get_token (p, group, key, FALSE, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;

  if (!g_ascii_string_to_signed (value, 10, min, max, &number, NULL))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, key),
                 /* Translators: [Server mail.example.com] Latency=fast: expected a whole number from 0 to 60000 */
                 _("[%s] %s=%s: expected a whole number from %d to %d"),
                 group->name, key, value, min, max);

  *out = (int) number;
  return TRUE;
}

static gboolean
get_uint (Parser      *p,
          Group       *group,
          const char  *key,
          guint        min,
          guint        max,
          guint        fallback,
          guint       *out,
          GError     **error)
{
  int number;

  g_assert (max <= G_MAXINT);

  if (!get_int (p, group, key, min, max, fallback, &number, error))
    return FALSE;

  *out = number;
  return TRUE;
}

static gboolean
get_bool (Parser      *p,
          Group       *group,
          const char  *key,
          gboolean     fallback,
          gboolean    *out,
          GError     **error)
{
  static const char * const names[] = { "true", "false", NULL };
  int index;

  if (!get_choice (p, group, key, names, fallback ? 0 : 1, &index, error))
    return FALSE;

  *out = index == 0;
  return TRUE;
}

/* ---- Looking things up ---- */

static MscLessonAccount *
find_account (MscLesson        *self,
              const char       *address,
              MscLessonServer **out_server)
{
  for (guint i = 0; i < self->servers->len; i++)
    {
      MscLessonServer *server = self->servers->pdata[i];

      for (guint j = 0; server->accounts != NULL && j < server->accounts->len; j++)
        {
          MscLessonAccount *account = server->accounts->pdata[j];

          if (g_ascii_strcasecmp (account->address, address) == 0)
            {
              if (out_server != NULL)
                *out_server = server;
              return account;
            }
        }
    }

  return NULL;
}

static MscLessonServer *
find_server_for_domain (MscLesson  *self,
                        const char *domain)
{
  for (guint i = 0; i < self->servers->len; i++)
    {
      MscLessonServer *server = self->servers->pdata[i];

      for (guint j = 0; server->domains != NULL && server->domains[j] != NULL; j++)
        if (g_ascii_strcasecmp (server->domains[j], domain) == 0)
          return server;
    }

  return NULL;
}

/* Device, message and step ids are one namespace: a send step's id names
 * the message it sends, and [Expect] and Message= must not be able to
 * mean two things. */
static gboolean
claim_id (Parser      *p,
          Group       *group,
          GError     **error)
{
  Group *other;

  if (!is_id (group->arg))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, group->line,
                 _("[%s]: “%s” is not an id; an id is lower-case letters, digits and “-”, "
                   "starting with a letter"),
                 group->name, group->arg);

  other = g_hash_table_lookup (p->ids, group->arg);
  if (other != NULL)
    return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, group->line,
                 _("[%s]: the id “%s” is already taken by [%s] on line %u"),
                 group->name, group->arg, other->name, other->line);

  g_hash_table_insert (p->ids, (gpointer) group->arg, group);
  return TRUE;
}

/* ---- [Lesson] ---- */

static gboolean
parse_lesson (Parser      *p,
              Group       *group,
              GError     **error)
{
  MscLesson *self = p->lesson;
  int level;

  if (!get_token (p, group, "Id", TRUE, &self->id, error))
    return FALSE;
  self->id_line = key_line (group, "Id");
  if (!is_id (self->id))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, self->id_line,
                 _("[Lesson] Id=%s: an id is lower-case letters, digits and “-”, starting with a letter"),
                 self->id);

  if (!get_text (p, group, "Title", TRUE, &self->title, error) ||
      !get_text (p, group, "Summary", TRUE, &self->summary, error) ||
      !get_choice (p, group, "Level", level_names, -1, &level, error) ||
      !get_int (p, group, "Order", -MAX_ORDER, MAX_ORDER, DEFAULT_ORDER, &self->order, error))
    return FALSE;

  self->level = level;
  return TRUE;
}

/* ---- [Server HOSTNAME] ---- */

static gboolean
parse_domains (Parser           *p,
               Group            *group,
               MscLessonServer  *server,
               GError          **error)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GStrvBuilder) domains = g_strv_builder_new ();
  guint line = key_line (group, "Domains");

  if (!need_key (p, group, "Domains", error) || !get_list (p, group, "Domains", &items, error))
    return FALSE;

  if (items->len == 0)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 _("[%s] Domains=: list at least one mail domain, such as example.com"),
                 group->name);

  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *domain = g_ascii_strdown (items->pdata[i], -1);
      MscLessonServer *other;

      if (!is_hostname (domain))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] Domains: “%s” is not a domain name such as example.com"),
                     group->name, (char *) items->pdata[i]);

      for (guint j = 0; j < i; j++)
        if (g_ascii_strcasecmp (items->pdata[j], domain) == 0)
          return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                       _("[%s] Domains: %s is listed twice"), group->name, domain);

      other = find_server_for_domain (p->lesson, domain);
      if (other != NULL)
        return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                     _("[%s] Domains: %s is already served by [Server %s]; "
                       "a domain's mail goes to one server"),
                     group->name, domain, other->hostname);

      g_strv_builder_add (domains, domain);
    }

  server->domains = g_strv_builder_end (domains);
  return TRUE;
}

static gboolean
parse_accounts (Parser           *p,
                Group            *group,
                MscLessonServer  *server,
                GError          **error)
{
  g_autoptr(GPtrArray) items = NULL;
  guint line = key_line (group, "Accounts");

  if (!get_list (p, group, "Accounts", &items, error))
    return FALSE;

  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const char *item = items->pdata[i];
      const char *colon = strchr (item, ':');
      g_autofree char *address = NULL;
      MscLessonAccount *account;
      MscLessonServer *other = NULL;

      if (colon == NULL || colon == item || colon[1] == '\0')
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] Accounts: “%s” is not address:password, "
                       "as in alice@example.com:alice-demo"),
                     group->name, item);

      address = g_ascii_strdown (item, colon - item);
      if (!is_mailbox (address))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] Accounts: “%s” is not a mail address such as alice@example.com"),
                     group->name, address);

      if (!g_strv_contains ((const char * const *) server->domains, strrchr (address, '@') + 1))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] Accounts: %s is not in one of this server's Domains"),
                     group->name, address);

      if (find_account (p->lesson, address, &other) != NULL && other == server)
        return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                     _("[%s] Accounts: %s is listed twice"), group->name, address);
      if (other != NULL)
        return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, line,
                     _("[%s] Accounts: %s already has an account on [Server %s]"),
                     group->name, address, other->hostname);

      account = g_new0 (MscLessonAccount, 1);
      account->address = g_steal_pointer (&address);
      account->password = g_strdup (colon + 1);
      g_ptr_array_add (server->accounts, account);
    }

  return TRUE;
}

static gboolean
parse_services (Parser           *p,
                Group            *group,
                MscLessonServer  *server,
                GError          **error)
{
  g_autoptr(GPtrArray) items = NULL;
  guint line = key_line (group, "Services");

  server->services = MSC_SIM_ALL_SERVICES;
  if (!get_list (p, group, "Services", &items, error))
    return FALSE;
  if (items == NULL)
    return TRUE;

  if (items->len == 0)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 _("[%s] Services=: list at least one service, or leave the key out for all seven"),
                 group->name);

  server->services = 0;
  for (guint i = 0; i < items->len; i++)
    {
      int service = name_index (service_names, items->pdata[i]);

      if (service < 0)
        {
          g_autofree char *choices = join_choices (service_names);

          return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                       _("[%s] Services: “%s” is not a service; use %s"),
                       group->name, (char *) items->pdata[i], choices);
        }

      server->services |= 1u << service;
    }

  return TRUE;
}

static gboolean
parse_server (Parser      *p,
              Group       *group,
              guint        index,
              GError     **error)
{
  MscLesson *self = p->lesson;
  g_autofree char *hostname = g_ascii_strdown (group->arg, -1);
  MscLessonServer *server;

  if (!is_hostname (hostname))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, group->line,
                 _("[%s]: “%s” is not a host name such as mail.example.com"),
                 group->name, group->arg);

  if (msc_lesson_find_server (self, hostname) != NULL)
    return fail (p, error, MSC_LESSON_ERROR_DUPLICATE, group->line,
                 _("[%s]: the server %s is described twice"), group->name, hostname);

  server = g_new0 (MscLessonServer, 1);
  server->hostname = g_steal_pointer (&hostname);
  server->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) account_free);
  server->line = group->line;

  /* Domains first: the checks of Accounts and of later servers read it. */
  if (!parse_domains (p, group, server, error))
    {
      server_free (server);
      return FALSE;
    }
  g_ptr_array_add (self->servers, server);

  if (!parse_accounts (p, group, server, error) ||
      !parse_services (p, group, server, error) ||
      !get_token (p, group, "Address", FALSE, &server->address, error) ||
      !get_uint (p, group, "TemporaryFailures", 0, MAX_TEMPORARY_FAILURES, 0,
                 &server->temporary_failures, error) ||
      !get_uint (p, group, "Latency", 0, MAX_LATENCY_MS, DEFAULT_SERVER_LATENCY,
                 &server->latency_ms, error))
    return FALSE;

  if (server->address == NULL)
    {
      if (FIRST_DEFAULT_ADDRESS + index > 254)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, group->line,
                     _("[%s] needs an Address=: only the first %d servers get one by default"),
                     group->name, 254 - FIRST_DEFAULT_ADDRESS + 1);

      server->address = g_strdup_printf ("192.0.2.%u", FIRST_DEFAULT_ADDRESS + index);
    }
  else if (!is_ipv4 (server->address))
    {
      return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "Address"),
                   _("[%s] Address=%s: expected an IPv4 address such as 192.0.2.10"),
                   group->name, server->address);
    }

  for (guint i = 0; i + 1 < self->servers->len; i++)
    {
      MscLessonServer *other = self->servers->pdata[i];

      if (strcmp (other->address, server->address) == 0)
        return fail (p, error, MSC_LESSON_ERROR_DUPLICATE,
                     key_line (group, "Address") != 0 ? key_line (group, "Address") : group->line,
                     _("[%s]: the address %s is already [Server %s]'s"),
                     group->name, server->address, other->hostname);
    }

  return TRUE;
}

/* ---- [Device ID] ---- */

static gboolean
get_server (Parser           *p,
            Group            *group,
            const char       *key,
            const char       *fallback,
            char            **out,
            GError          **error)
{
  g_autofree char *hostname = NULL;
  MscLessonServer *server;

  if (!get_token (p, group, key, FALSE, &hostname, error))
    return FALSE;

  if (hostname == NULL)
    {
      *out = g_strdup (fallback);
      return TRUE;
    }

  server = msc_lesson_find_server (p->lesson, hostname);
  if (server == NULL)
    return fail (p, error, MSC_LESSON_ERROR_REFERENCE, key_line (group, key),
                 _("[%s] %s=%s: there is no [Server %s]"), group->name, key, hostname, hostname);

  *out = g_strdup (server->hostname);
  return TRUE;
}

/* The server must have the listener the device's settings lead to;
 * @settings are those settings, as written in the file. */
static gboolean
check_listens (Parser      *p,
               Group       *group,
               guint        line,
               const char  *hostname,
               guint        port,
               const char  *settings,
               GError     **error)
{
  MscLessonServer *server = msc_lesson_find_server (p->lesson, hostname);
  int service = msc_sim_service_from_port (port);

  g_assert (server != NULL && service >= 0);

  if (server->services & (1u << service))
    return TRUE;

  return fail (p, error, MSC_LESSON_ERROR_REFERENCE, line,
               /* Translators: [Device phone] mail.example.com does not listen on imaps (port 993),
                * which Incoming=imap with IncomingSecurity=ssl needs; add imaps to its Services */
               _("[%s] %s does not listen on %s (port %u), which %s needs; add %s to its Services"),
               group->name, server->hostname, service_names[service], port, settings,
               service_names[service]);
}

static gboolean
parse_device_incoming (Parser           *p,
                       Group            *group,
                       MscLessonDevice  *device,
                       GError          **error)
{
  static const char * const keys[] = {
    "IncomingPort", "IncomingSecurity", "IncomingServer", "Incoming", NULL
  };
  gboolean imap = device->incoming == MSC_INCOMING_IMAP;
  MscLessonServer *home = msc_lesson_find_server_for_address (p->lesson, device->account);
  g_autofree char *settings = NULL;
  int security, retention;
  guint port;

  g_assert (home != NULL);

  if (!get_server (p, group, "IncomingServer", home->hostname, &device->incoming_server, error) ||
      !get_choice (p, group, "IncomingSecurity", security_names, MSC_SECURITY_TLS, &security, error) ||
      !get_uint (p, group, "IncomingPort", 1, 65535, 0, &device->incoming_port, error))
    return FALSE;
  device->incoming_security = security;

  if (device->incoming_port != 0)
    {
      int service = msc_sim_service_from_port (device->incoming_port);

      if (imap && service != MSC_SIM_SERVICE_IMAP && service != MSC_SIM_SERVICE_IMAPS)
        return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "IncomingPort"),
                     _("[%s] IncomingPort=%u: an IMAP device connects to port 143 or 993"),
                     group->name, device->incoming_port);
      if (!imap && service != MSC_SIM_SERVICE_POP3 && service != MSC_SIM_SERVICE_POP3S)
        return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "IncomingPort"),
                     _("[%s] IncomingPort=%u: a POP3 device connects to port 110 or 995"),
                     group->name, device->incoming_port);
    }

  port = msc_lesson_incoming_port (device->incoming, device->incoming_security, device->incoming_port);
  settings = device->incoming_port != 0
    ? g_strdup_printf ("IncomingPort=%u", device->incoming_port)
    : g_strdup_printf ("Incoming=%s with IncomingSecurity=%s",
                       incoming_names[device->incoming], security_names[device->incoming_security]);
  if (!check_listens (p, group, first_line (group, keys), device->incoming_server, port, settings, error))
    return FALSE;

  /* Settings for the other protocol are a mistake, not something to
   * ignore: the learner would expect them to change something. */
  if (imap)
    {
      static const char * const pop3_only[] = { "Retention", "KeepDays", NULL };

      for (guint i = 0; pop3_only[i] != NULL; i++)
        if (key_line (group, pop3_only[i]) != 0)
          return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, pop3_only[i]),
                       _("[%s] %s is a POP3 setting, and this device uses IMAP"),
                       group->name, pop3_only[i]);
    }
  else if (key_line (group, "Push") != 0)
    {
      return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "Push"),
                   _("[%s] Push is an IMAP setting, and this device uses POP3, which can only poll"),
                   group->name);
    }

  if (!get_choice (p, group, "Retention", retention_names, MSC_POP3_CLIENT_DELETE_AFTER_DOWNLOAD,
                   &retention, error))
    return FALSE;
  device->retention = retention;

  if (key_line (group, "KeepDays") != 0 && device->retention != MSC_POP3_CLIENT_KEEP_DAYS)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "KeepDays"),
                 _("[%s] KeepDays goes with Retention=keep-days"), group->name);

  if (!get_uint (p, group, "KeepDays", 1, MAX_KEEP_DAYS, DEFAULT_KEEP_DAYS, &device->keep_days, error) ||
      !get_bool (p, group, "Push", TRUE, &device->push, error))
    return FALSE;

  if (key_line (group, "PollMinutes") != 0 && imap && device->push)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "PollMinutes"),
                 _("[%s] PollMinutes goes with Push=false: an IMAP device on push never polls"),
                 group->name);

  return get_uint (p, group, "PollMinutes", 0, MAX_POLL_MINUTES, 0, &device->poll_minutes, error);
}

static gboolean
parse_device_outgoing (Parser           *p,
                       Group            *group,
                       MscLessonDevice  *device,
                       GError          **error)
{
  static const char * const keys[] = {
    "OutgoingPort", "OutgoingSecurity", "OutgoingServer", NULL
  };
  g_autofree char *settings = NULL;
  int security;
  guint port;

  if (!get_server (p, group, "OutgoingServer", device->incoming_server, &device->outgoing_server, error) ||
      !get_choice (p, group, "OutgoingSecurity", security_names, MSC_SECURITY_STARTTLS, &security, error) ||
      !get_uint (p, group, "OutgoingPort", 1, 65535, 0, &device->outgoing_port, error))
    return FALSE;
  device->outgoing_security = security;

  if (device->outgoing_port != 0)
    {
      int service = msc_sim_service_from_port (device->outgoing_port);

      if (service != MSC_SIM_SERVICE_SMTP && service != MSC_SIM_SERVICE_SUBMISSION &&
          service != MSC_SIM_SERVICE_SUBMISSIONS)
        return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "OutgoingPort"),
                     _("[%s] OutgoingPort=%u: mail is sent to port 25, 465 or 587"),
                     group->name, device->outgoing_port);
    }

  port = msc_lesson_outgoing_port (device->outgoing_security, device->outgoing_port);
  settings = device->outgoing_port != 0
    ? g_strdup_printf ("OutgoingPort=%u", device->outgoing_port)
    : g_strdup_printf ("OutgoingSecurity=%s", security_names[device->outgoing_security]);
  return check_listens (p, group, first_line (group, keys), device->outgoing_server, port, settings, error);
}

static gboolean
parse_device (Parser      *p,
              Group       *group,
              GError     **error)
{
  MscLessonDevice *device;
  MscLessonAccount *account;
  int kind, incoming;

  if (!claim_id (p, group, error))
    return FALSE;

  device = g_new0 (MscLessonDevice, 1);
  device->id = g_strdup (group->arg);
  device->line = group->line;
  g_ptr_array_add (p->lesson->devices, device);

  if (!get_text (p, group, "Name", TRUE, &device->name, error) ||
      !get_choice (p, group, "Kind", kind_names, MSC_DEVICE_KIND_LAPTOP, &kind, error) ||
      !get_token (p, group, "Account", TRUE, &device->account, error))
    return FALSE;
  device->kind = kind;

  account = find_account (p->lesson, device->account, NULL);
  if (account == NULL)
    return fail (p, error, MSC_LESSON_ERROR_REFERENCE, key_line (group, "Account"),
                 _("[%s] Account=%s: no [Server] lists this address in its Accounts"),
                 group->name, device->account);
  g_free (device->account);
  device->account = g_strdup (account->address);
  device->password = g_strdup (account->password);

  if (!get_choice (p, group, "Incoming", incoming_names, -1, &incoming, error))
    return FALSE;
  device->incoming = incoming;

  return parse_device_incoming (p, group, device, error) &&
         parse_device_outgoing (p, group, device, error) &&
         get_uint (p, group, "Latency", 0, MAX_LATENCY_MS, DEFAULT_DEVICE_LATENCY, &device->latency_ms, error) &&
         get_bool (p, group, "Online", TRUE, &device->online, error);
}

/* ---- [Message ID] ---- */

static gboolean
get_subject (Parser      *p,
             Group       *group,
             char       **out,
             GError     **error)
{
  if (!get_text (p, group, "Subject", TRUE, out, error))
    return FALSE;

  if (has_control (*out))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "Subject"),
                 _("[%s] Subject: a subject is one line, without \\n or \\t"), group->name);

  return TRUE;
}

static gboolean
parse_message (Parser      *p,
               Group       *group,
               GError     **error)
{
  MscLessonMessage *message;
  MscLessonAccount *account;

  if (!claim_id (p, group, error))
    return FALSE;
  g_hash_table_insert (p->messages, (gpointer) group->arg, group);

  message = g_new0 (MscLessonMessage, 1);
  message->id = g_strdup (group->arg);
  message->line = group->line;
  g_ptr_array_add (p->lesson->messages, message);

  if (!get_token (p, group, "Account", TRUE, &message->account, error))
    return FALSE;

  account = find_account (p->lesson, message->account, NULL);
  if (account == NULL)
    return fail (p, error, MSC_LESSON_ERROR_REFERENCE, key_line (group, "Account"),
                 _("[%s] Account=%s: no [Server] lists this address in its Accounts"),
                 group->name, message->account);
  g_free (message->account);
  message->account = g_strdup (account->address);

  if (!get_token (p, group, "Mailbox", FALSE, &message->mailbox, error))
    return FALSE;
  if (message->mailbox == NULL)
    message->mailbox = g_strdup ("INBOX");
  if (*message->mailbox == '\0' || has_control (message->mailbox))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "Mailbox"),
                 _("[%s] Mailbox=%s: expected a mailbox name such as INBOX or Archive"),
                 group->name, message->mailbox);

  if (!get_token (p, group, "From", TRUE, &message->from, error))
    return FALSE;
  if (!is_display_address (message->from))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "From"),
                 _("[%s] From=%s: expected an address such as Bob <bob@example.com>"),
                 group->name, message->from);

  if (!get_token (p, group, "To", FALSE, &message->to, error))
    return FALSE;
  if (message->to == NULL)
    message->to = g_strdup (message->account);
  else if (!is_display_address (message->to))
    return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "To"),
                 _("[%s] To=%s: expected an address such as Alice <alice@example.com>"),
                 group->name, message->to);

  return get_subject (p, group, &message->subject, error) &&
         get_text (p, group, "Body", TRUE, &message->body, error) &&
         get_bool (p, group, "Seen", FALSE, &message->seen, error);
}

/* ---- [Step ID] ---- */

static gboolean
step_takes (MscLessonActionKind  action,
            const char          *key)
{
  if (strcmp (key, "Device") == 0)
    return action != MSC_LESSON_ACTION_WAIT;
  if (strcmp (key, "Message") == 0)
    return action == MSC_LESSON_ACTION_OPEN || action == MSC_LESSON_ACTION_MARK_UNREAD ||
           action == MSC_LESSON_ACTION_DELETE || action == MSC_LESSON_ACTION_MOVE;
  if (strcmp (key, "Folder") == 0)
    return action == MSC_LESSON_ACTION_MOVE;
  if (strcmp (key, "To") == 0 || strcmp (key, "Subject") == 0 || strcmp (key, "Body") == 0)
    return action == MSC_LESSON_ACTION_SEND;
  if (strcmp (key, "Minutes") == 0)
    return action == MSC_LESSON_ACTION_WAIT;

  g_assert_not_reached ();
}

static gboolean
parse_step_message (Parser         *p,
                    Group          *group,
                    MscLessonStep  *step,
                    GError        **error)
{
  if (!get_token (p, group, "Message", FALSE, &step->message, error))
    return FALSE;

  if (g_hash_table_contains (p->messages, step->message) || g_hash_table_contains (p->sent, step->message))
    return TRUE;

  return fail (p, error, MSC_LESSON_ERROR_REFERENCE, key_line (group, "Message"),
               _("[%s] Message=%s: there is no [Message %s], and no send step before this one "
                 "has that id"),
               group->name, step->message, step->message);
}

static gboolean
parse_step_send (Parser         *p,
                 Group          *group,
                 MscLessonStep  *step,
                 GError        **error)
{
  g_autoptr(GPtrArray) to = NULL;
  guint line = key_line (group, "To");

  if (!get_list (p, group, "To", &to, error))
    return FALSE;

  if (to->len == 0)
    return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                 _("[%s] To=: list at least one recipient, such as bob@example.com"), group->name);

  for (guint i = 0; i < to->len; i++)
    if (!is_display_address (to->pdata[i]))
      return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                   _("[%s] To: “%s” is not a mail address such as bob@example.com"),
                   group->name, (char *) to->pdata[i]);

  g_ptr_array_add (to, NULL);
  step->to = (GStrv) g_ptr_array_free (g_steal_pointer (&to), FALSE);

  return get_subject (p, group, &step->subject, error) &&
         get_text (p, group, "Body", TRUE, &step->body, error);
}

static gboolean
parse_step (Parser      *p,
            Group       *group,
            GError     **error)
{
  static const char * const action_keys[] = {
    "Device", "Message", "Folder", "To", "Subject", "Body", "Minutes", NULL
  };
  MscLessonStep *step;
  int action;

  if (!claim_id (p, group, error))
    return FALSE;

  step = g_new0 (MscLessonStep, 1);
  step->id = g_strdup (group->arg);
  step->line = group->line;
  g_ptr_array_add (p->lesson->steps, step);

  if (!get_choice (p, group, "Action", action_names, -1, &action, error) ||
      !get_text (p, group, "Narration", TRUE, &step->narration, error))
    return FALSE;
  step->action = action;

  for (guint i = 0; action_keys[i] != NULL; i++)
    {
      const char *key = action_keys[i];
      gboolean takes = step_takes (step->action, key);

      if (takes && key_line (group, key) == 0)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, group->line,
                     /* Translators: [Step two] Action=open needs Message= */
                     _("[%s] Action=%s needs %s="), group->name, action_names[action], key);

      if (!takes && key_line (group, key) != 0)
        {
          if (step->action == MSC_LESSON_ACTION_WAIT && strcmp (key, "Device") == 0)
            return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, key),
                         _("[%s] Device does not go with Action=wait: lesson time passes "
                           "for every device at once"),
                         group->name);

          return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, key),
                       _("[%s] %s does not go with Action=%s"), group->name, key, action_names[action]);
        }
    }

  if (step->action != MSC_LESSON_ACTION_WAIT)
    {
      if (!get_token (p, group, "Device", TRUE, &step->device, error))
        return FALSE;
      if (msc_lesson_find_device (p->lesson, step->device) == NULL)
        return fail (p, error, MSC_LESSON_ERROR_REFERENCE, key_line (group, "Device"),
                     _("[%s] Device=%s: there is no [Device %s]"),
                     group->name, step->device, step->device);
    }

  if (step_takes (step->action, "Message") && !parse_step_message (p, group, step, error))
    return FALSE;

  if (step->action == MSC_LESSON_ACTION_MOVE)
    {
      if (!get_token (p, group, "Folder", TRUE, &step->folder, error))
        return FALSE;
      if (*step->folder == '\0' || has_control (step->folder))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, key_line (group, "Folder"),
                     _("[%s] Folder=%s: expected a folder name such as Archive"),
                     group->name, step->folder);
    }

  if (step->action == MSC_LESSON_ACTION_SEND)
    {
      if (!parse_step_send (p, group, step, error))
        return FALSE;
      g_hash_table_add (p->sent, (gpointer) group->arg);
    }

  if (step->action == MSC_LESSON_ACTION_WAIT &&
      !get_uint (p, group, "Minutes", 1, MAX_WAIT_MINUTES, 0, &step->minutes, error))
    return FALSE;

  return TRUE;
}

/* ---- [Expect MESSAGE] ---- */

static gboolean
parse_expect (Parser      *p,
              Group       *group,
              GError     **error)
{
  static const char * const presence_names[] = { "absent", "read", "unread", NULL };
  const char *message = group->arg;

  if (!g_hash_table_contains (p->messages, message) && !g_hash_table_contains (p->sent, message))
    return fail (p, error, MSC_LESSON_ERROR_REFERENCE, group->line,
                 _("[%s]: there is no [Message %s] and no send step with that id"),
                 group->name, message);

  if (group->order->len == 0)
    return fail (p, error, MSC_LESSON_ERROR_MISSING, group->line,
                 _("[%s] names no place; add lines such as phone=read or alice@example.com=absent"),
                 group->name);

  for (guint i = 0; i < group->order->len; i++)
    {
      const char *key = group->order->pdata[i];
      guint line = key_line (group, key);
      g_autofree char *value = NULL;
      g_autofree char *state = NULL;
      const char *colon;
      MscLessonExpectation *expectation;
      int presence;

      if (strchr (key, '@') != NULL ? find_account (p->lesson, key, NULL) == NULL
                                    : msc_lesson_find_device (p->lesson, key) == NULL)
        return fail (p, error, MSC_LESSON_ERROR_REFERENCE, line,
                     _("[%s] %s: neither a [Device] nor an account on a [Server]"),
                     group->name, key);

      if (!get_token (p, group, key, FALSE, &value, error))
        return FALSE;

      colon = strchr (value, ':');
      state = colon != NULL ? g_strndup (value, colon - value) : g_strdup (value);
      presence = name_index (presence_names, state);

      if (presence < 0 ||
          (colon != NULL && (presence == MSC_LESSON_PRESENCE_ABSENT || colon[1] == '\0' ||
                             has_control (colon + 1))))
        return fail (p, error, MSC_LESSON_ERROR_INVALID, line,
                     _("[%s] %s=%s: expected absent, read or unread; read and unread may add "
                       ":FOLDER, as in read:Trash"),
                     group->name, key, value);

      expectation = g_new0 (MscLessonExpectation, 1);
      expectation->message = g_strdup (message);
      expectation->place = strchr (key, '@') != NULL ? g_ascii_strdown (key, -1) : g_strdup (key);
      expectation->presence = presence;
      expectation->folder = colon != NULL ? g_strdup (colon + 1) : NULL;
      expectation->line = line;
      g_ptr_array_add (p->lesson->expectations, expectation);
    }

  return TRUE;
}

/* ---- Loading ---- */

/* Each kind of group in file order; each pass reads only what earlier
 * passes have made (servers before the devices that use them, all
 * messages and steps before the expectations about them). */
static gboolean
parse_groups (Parser      *p,
              GError     **error)
{
  Group *lesson_group = NULL;
  guint n_servers = 0;

  for (guint i = 0; i < p->groups->len; i++)
    if (((Group *) p->groups->pdata[i])->kind == GROUP_LESSON)
      lesson_group = p->groups->pdata[i];

  if (lesson_group == NULL)
    return fail (p, error, MSC_LESSON_ERROR_MISSING, 1,
                 _("there is no [Lesson] group with the lesson's Id, Title, Summary and Level"));

  if (!parse_lesson (p, lesson_group, error))
    return FALSE;

  for (GroupKind kind = GROUP_SERVER; kind <= GROUP_EXPECT; kind++)
    {
      for (guint i = 0; i < p->groups->len; i++)
        {
          Group *group = p->groups->pdata[i];
          gboolean ok = TRUE;

          if (group->kind != kind)
            continue;

          switch (kind)
            {
            case GROUP_SERVER:
              ok = parse_server (p, group, n_servers++, error);
              break;
            case GROUP_DEVICE:
              ok = parse_device (p, group, error);
              break;
            case GROUP_MESSAGE:
              ok = parse_message (p, group, error);
              break;
            case GROUP_STEP:
              ok = parse_step (p, group, error);
              break;
            case GROUP_EXPECT:
              ok = parse_expect (p, group, error);
              break;
            case GROUP_LESSON:
            default:
              g_assert_not_reached ();
            }

          if (!ok)
            return FALSE;
        }

      if (kind == GROUP_SERVER && p->lesson->servers->len == 0)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, lesson_group->line,
                     _("a lesson needs at least one [Server HOSTNAME] group"));
      if (kind == GROUP_DEVICE && p->lesson->devices->len == 0)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, lesson_group->line,
                     _("a lesson needs at least one [Device ID] group"));
      if (kind == GROUP_STEP && p->lesson->steps->len == 0)
        return fail (p, error, MSC_LESSON_ERROR_MISSING, lesson_group->line,
                     _("a lesson needs at least one [Step ID] group"));
    }

  return TRUE;
}

MscLesson *
msc_lesson_load_data (const char  *data,
                      gsize        length,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(MscLesson) lesson = NULL;
  g_autoptr(GError) local = NULL;
  Parser p = { 0 };
  gboolean ok;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == (gsize) -1)
    length = strlen (data);

  lesson = g_object_new (MSC_TYPE_LESSON, NULL);

  p.name = name;
  p.lesson = lesson;
  p.keyfile = g_key_file_new ();
  p.groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  p.group_names = g_hash_table_new (g_str_hash, g_str_equal);
  p.ids = g_hash_table_new (g_str_hash, g_str_equal);
  p.messages = g_hash_table_new (g_str_hash, g_str_equal);
  p.sent = g_hash_table_new (g_str_hash, g_str_equal);

  ok = scan (&p, data, length, error);

  /* The scan applies GKeyFile's rules, so this should not fail; if it
   * does, the file is still refused with a line. */
  if (ok && !g_key_file_load_from_data (p.keyfile, length > 0 ? data : "", length, G_KEY_FILE_NONE, &local))
    ok = fail (&p, error, MSC_LESSON_ERROR_SYNTAX, 1, "%s", local->message);

  ok = ok && parse_groups (&p, error);

  g_key_file_unref (p.keyfile);
  g_hash_table_unref (p.group_names);
  g_hash_table_unref (p.ids);
  g_hash_table_unref (p.messages);
  g_hash_table_unref (p.sent);
  g_ptr_array_unref (p.groups);

  return ok ? g_steal_pointer (&lesson) : NULL;
}

MscLesson *
msc_lesson_load_file (const char  *path,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  MscLesson *lesson;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, MSC_LESSON_ERROR, MSC_LESSON_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }

  lesson = msc_lesson_load_data (contents, length, path, error);
  if (lesson != NULL)
    lesson->path = g_strdup (path);

  return lesson;
}

/* MAILSCOPE_LESSONS_DIR lets the tests and a developer use the lessons
 * the build merged with their translations, without installing them. */
const char *
msc_lesson_get_default_dir (void)
{
  const char *dir = g_getenv ("MAILSCOPE_LESSONS_DIR");

  if (dir != NULL && *dir != '\0')
    return dir;

  return PKGDATADIR G_DIR_SEPARATOR_S "lessons";
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static int
compare_lessons (gconstpointer a,
                 gconstpointer b)
{
  MscLesson *la = *(MscLesson **) a;
  MscLesson *lb = *(MscLesson **) b;

  if (la->order != lb->order)
    return la->order < lb->order ? -1 : 1;

  return strcmp (la->id, lb->id);
}

GPtrArray *
msc_lesson_load_all (const char  *dir,
                     GPtrArray  **errors)
{
  g_autoptr(GPtrArray) lessons = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) handle = NULL;
  const char *name;

  if (errors != NULL)
    *errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  if (dir == NULL)
    dir = msc_lesson_get_default_dir ();

  handle = g_dir_open (dir, 0, &local);
  if (handle == NULL)
    {
      if (errors != NULL)
        g_ptr_array_add (*errors, g_error_new (MSC_LESSON_ERROR, MSC_LESSON_ERROR_IO,
                                               "%s: %s", dir, local->message));
      return g_steal_pointer (&lessons);
    }

  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, ".lesson") && name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));

  /* File-name order, so that which of two files with one id is "the
   * second" does not depend on the file system. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(MscLesson) lesson = msc_lesson_load_file (path, &error);
      MscLesson *other;

      if (lesson != NULL && (other = g_hash_table_lookup (ids, lesson->id)) != NULL)
        g_set_error (&error, MSC_LESSON_ERROR, MSC_LESSON_ERROR_DUPLICATE,
                     _("%s:%u: [Lesson] Id=%s: %s has this id already"),
                     path, lesson->id_line, lesson->id, other->path);

      if (error != NULL)
        {
          g_debug ("%s", error->message);
          if (errors != NULL)
            g_ptr_array_add (*errors, g_steal_pointer (&error));
          continue;
        }

      g_hash_table_insert (ids, lesson->id, lesson);
      g_ptr_array_add (lessons, g_steal_pointer (&lesson));
    }

  g_ptr_array_sort (lessons, compare_lessons);
  return g_steal_pointer (&lessons);
}

/* ---- Getters ---- */

const char *
msc_lesson_get_id (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->id;
}

const char *
msc_lesson_get_title (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->title;
}

const char *
msc_lesson_get_summary (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->summary;
}

MscLessonLevel
msc_lesson_get_level (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), MSC_LESSON_LEVEL_BEGINNER);

  return self->level;
}

int
msc_lesson_get_order (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), DEFAULT_ORDER);

  return self->order;
}

/* NULL for a lesson from load_data(). */
const char *
msc_lesson_get_path (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->path;
}

GPtrArray *
msc_lesson_get_servers (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->servers;
}

GPtrArray *
msc_lesson_get_devices (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->devices;
}

GPtrArray *
msc_lesson_get_messages (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->messages;
}

GPtrArray *
msc_lesson_get_steps (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->steps;
}

GPtrArray *
msc_lesson_get_expectations (MscLesson *self)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);

  return self->expectations;
}

MscLessonServer *
msc_lesson_find_server (MscLesson  *self,
                        const char *hostname)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);
  g_return_val_if_fail (hostname != NULL, NULL);

  for (guint i = 0; i < self->servers->len; i++)
    {
      MscLessonServer *server = self->servers->pdata[i];

      if (g_ascii_strcasecmp (server->hostname, hostname) == 0)
        return server;
    }

  return NULL;
}

MscLessonDevice *
msc_lesson_find_device (MscLesson  *self,
                        const char *id)
{
  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->devices->len; i++)
    {
      MscLessonDevice *device = self->devices->pdata[i];

      if (strcmp (device->id, id) == 0)
        return device;
    }

  return NULL;
}

MscLessonServer *
msc_lesson_find_server_for_address (MscLesson  *self,
                                    const char *address)
{
  const char *at;

  g_return_val_if_fail (MSC_IS_LESSON (self), NULL);
  g_return_val_if_fail (address != NULL, NULL);

  at = strrchr (address, '@');
  if (at == NULL)
    return NULL;

  return find_server_for_domain (self, at + 1);
}

/* ---- Ports and names ---- */

guint
msc_lesson_incoming_port (MscIncomingProtocol protocol,
                          MscSecurity         security,
                          guint               configured)
{
  if (configured != 0)
    return configured;

  if (protocol == MSC_INCOMING_IMAP)
    return security == MSC_SECURITY_TLS ? 993 : 143;

  return security == MSC_SECURITY_TLS ? 995 : 110;
}

guint
msc_lesson_outgoing_port (MscSecurity security,
                          guint       configured)
{
  if (configured != 0)
    return configured;

  return security == MSC_SECURITY_TLS ? 465 : 587;
}

int
msc_sim_service_from_port (guint port)
{
  for (guint i = 0; i < MSC_SIM_N_SERVICES; i++)
    if (service_ports[i] == port)
      return i;

  return -1;
}

guint
msc_sim_service_get_port (MscSimService service)
{
  g_return_val_if_fail (service < MSC_SIM_N_SERVICES, 0);

  return service_ports[service];
}

const char *
msc_sim_service_get_name (MscSimService service)
{
  g_return_val_if_fail (service < MSC_SIM_N_SERVICES, NULL);

  return service_names[service];
}

const char *
msc_lesson_level_get_name (MscLessonLevel level)
{
  switch (level)
    {
    case MSC_LESSON_LEVEL_BEGINNER:
      return C_("lesson level", "Beginner");
    case MSC_LESSON_LEVEL_INTERMEDIATE:
      return C_("lesson level", "Intermediate");
    case MSC_LESSON_LEVEL_ADVANCED:
      return C_("lesson level", "Advanced");
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
msc_lesson_action_get_name (MscLessonActionKind action)
{
  g_return_val_if_fail (action <= MSC_LESSON_ACTION_WAIT, NULL);

  return action_names[action];
}
