/* msc-imap-server-private.h — what the files of the IMAP server engine
 * share: msc-imap-server.c (the session, the wire, the store's signals),
 * -mailbox.c (mailbox commands), -fetch.c (FETCH, STORE) and -search.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "msc-imap-message.h"
#include "msc-imap-parser.h"
#include "msc-imap-server.h"

G_BEGIN_DECLS

/* When a command may carry news of the selected mailbox: RFC 3501 §7.4.1
 * forbids EXPUNGE responses during FETCH, STORE and SEARCH (not their UID
 * forms), since the client may have pipelined commands that use message
 * numbers behind them (§5.5). */
typedef enum
{
  SYNC_NONE,         /* no mailbox can be selected */
  SYNC_NO_EXPUNGE,   /* EXISTS, RECENT, FETCH (FLAGS), keyword FLAGS */
  SYNC_FULL,         /* those and EXPUNGE */
} SyncMode;

struct _MscImapServer
{
  GObject             parent_instance;

  /* Owned references */
  MscMailStore       *store;
  MscImapParser      *parser;
  GByteArray         *output;
  GQueue              events;
  GError             *close_reason;
  GByteArray         *wire;            /* the command being read, as it came */

  /* Configuration */
  char               *hostname;
  guint               max_errors;
  gboolean            tls_available;
  gboolean            allow_insecure_auth;
  gint64              autologout;

  /* Session */
  MscImapServerState  state;
  gboolean            tls_active;
  guint               n_errors;
  gint64              now;
  gint64              last_activity;
  char               *user;            /* the folded address, once authenticated */

  /* The command in progress; @tag stays while AUTHENTICATE or IDLE wait
   * for a line */
  char               *tag;
  char               *command_name;    /* "FETCH", "UID FETCH": the tagged OK's text */
  gboolean            in_command;
  gboolean            uid_command;
  SyncMode            sync_mode;

  /* The selected mailbox, as this session has told the client about it
   * (RFC 3501 §2.3.1.2: message numbers belong to the session) */
  MscMailbox         *mailbox;
  gboolean            read_only;
  GPtrArray          *messages;        /* MscMessage, by message number - 1 */
  GPtrArray          *added;           /* MscMessage arrived, no EXISTS sent yet */
  GHashTable         *expunged;        /* UIDs gone from the store, still numbered */
  GHashTable         *flags_changed;   /* UIDs whose flags someone else changed */
  GHashTable         *recent;          /* UIDs that are \Recent in this session */
  GHashTable         *parsed;          /* MscMessage → MscImapMessage */
  guint               n_keywords;      /* in the last FLAGS response */
  guint               own_change;      /* > 0 while this session changes flags */
  gboolean            mailbox_gone;

  /* Signal handlers on @store */
  gulong              message_added_id;
  gulong              message_expunged_id;
  gulong              flags_changed_id;
  gulong              mailbox_deleted_id;
};

/* ---- Responses (msc-imap-server.c) ---- */

/* Tagged OK/NO/BAD for the command in progress.  OK and NO first send
 * what the command may report of the selected mailbox (its sync mode);
 * BAD changes nothing and reports nothing (RFC 3501 §6), and counts
 * towards max_errors.  @code is a response code without brackets, or
 * NULL; @text NULL is "<command> completed". */
void           _msc_imap_server_reply            (MscImapServer             *self,
                                                  MscImapServerResponseKind  status,
                                                  const char                *code,
                                                  const char                *text);
void           _msc_imap_server_reply_ok         (MscImapServer             *self,
                                                  const char                *code);
void           _msc_imap_server_reply_no         (MscImapServer             *self,
                                                  const char                *code,
                                                  const char                *text);
void           _msc_imap_server_reply_bad        (MscImapServer             *self,
                                                  const char                *text);
/* "NO [CODE] text" for a store error, in protocol English. */
void           _msc_imap_server_reply_store_error (MscImapServer            *self,
                                                   const GError             *error);

/* "* OK [code] text", "* BYE …" */
void           _msc_imap_server_send_untagged_status (MscImapServer         *self,
                                                      const char            *status,
                                                      const char            *code,
                                                      const char            *text);
/* "* [number ]name[ data]": @data may hold literals. */
void           _msc_imap_server_send_untagged    (MscImapServer             *self,
                                                  const char                *name,
                                                  gboolean                   has_number,
                                                  guint32                    number,
                                                  const GString             *data);

/* ---- The selected mailbox (msc-imap-server.c) ---- */

/* Reports what changed in the selected mailbox since the client last
 * heard: EXPUNGE (with @allow_expunge), EXISTS and RECENT, keyword FLAGS,
 * FETCH (FLAGS). */
void           _msc_imap_server_sync             (MscImapServer             *self,
                                                  gboolean                   allow_expunge);
/* Takes @mailbox and @messages (MscMessage) as the new session view. */
void           _msc_imap_server_select           (MscImapServer             *self,
                                                  MscMailbox                *mailbox,
                                                  gboolean                   read_only);
/* Forgets the selected mailbox, saying nothing; AUTHENTICATED again. */
void           _msc_imap_server_deselect         (MscImapServer             *self);
/* FLAGS and PERMANENTFLAGS when the mailbox has keywords the client was
 * not told about (RFC 3501 §7.2.6), or with @force. */
void           _msc_imap_server_announce_flags   (MscImapServer             *self,
                                                  gboolean                   force);
/* Position (message number - 1) of @uid in the view. */
gboolean       _msc_imap_server_find_uid         (MscImapServer             *self,
                                                  guint32                    uid,
                                                  guint                     *position);
/* The message's parsed form, kept while the mailbox is selected. */
MscImapMessage *_msc_imap_server_get_parsed      (MscImapServer             *self,
                                                  MscMessage                *message);

/* ---- Arguments (msc-imap-server.c) ---- */

/* A sequence set (message numbers, or UIDs with @uid) as the ascending
 * positions it names in the view, each once.  RFC 3501 §9 seq-number: a
 * message number beyond the last message, or "*" in an empty mailbox,
 * is BAD; UIDs that are not there are ignored (§6.4.8).  Returns NULL
 * with BAD sent. */
GArray        *_msc_imap_server_resolve_set      (MscImapServer             *self,
                                                  const MscImapValue        *value,
                                                  gboolean                   uid);
/* The same without BAD: SEARCH's sequence-set key.  NULL if @text is not
 * a sequence set. */
GArray        *_msc_imap_server_parse_set        (MscImapServer             *self,
                                                  const char                *text,
                                                  gboolean                   uid);
gboolean       _msc_imap_server_set_contains     (MscImapServer             *self,
                                                  GArray                    *set,
                                                  guint                      position,
                                                  gboolean                   uid);
/* A flag list or flags (STORE, APPEND): system flags and keywords; BAD
 * sent and FALSE for \Recent, an unknown \flag or a keyword that is not
 * an atom. */
gboolean       _msc_imap_server_parse_flags      (MscImapServer             *self,
                                                  MscImapValue * const      *values,
                                                  guint                      n_values,
                                                  MscMessageFlags           *flags,
                                                  GStrv                     *keywords);
/* "(\Seen \Answered $Work \Recent)" */
void           _msc_imap_server_append_flags     (MscImapServer             *self,
                                                  GString                   *out,
                                                  MscMessage                *message);
/* mailbox (RFC 3501 §9) in UTF-8, or NULL with BAD sent. */
char          *_msc_imap_server_get_mailbox_arg  (MscImapServer             *self,
                                                  const MscImapValue        *value);

/* ---- Commands, by file ---- */

typedef void (*MscImapCommandFunc) (MscImapServer       *self,
                                    MscImapValue * const *args,
                                    guint                 n_args);

/* msc-imap-server-mailbox.c */
void _msc_imap_server_cmd_select      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_examine     (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_create      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_delete      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_rename      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_subscribe   (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_unsubscribe (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_list        (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_lsub        (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_status      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_append      (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_check       (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_close       (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_unselect    (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_expunge     (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_copy        (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_move        (MscImapServer *self, MscImapValue * const *args, guint n_args);

/* Before an APPEND's literal is read: TRUE if the mailbox is missing, so
 * the server can say NO [TRYCREATE] at once and spare the client sending
 * the message (RFC 3501 §7.5). */
gboolean       _msc_imap_server_append_target_missing (MscImapServer         *self,
                                                       const MscImapValue    *value);

/* msc-imap-server-fetch.c */
void _msc_imap_server_cmd_fetch       (MscImapServer *self, MscImapValue * const *args, guint n_args);
void _msc_imap_server_cmd_store       (MscImapServer *self, MscImapValue * const *args, guint n_args);

/* msc-imap-server-search.c */
void _msc_imap_server_cmd_search      (MscImapServer *self, MscImapValue * const *args, guint n_args);

G_END_DECLS
