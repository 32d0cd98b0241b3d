/* msc-lesson.h — a lesson as read from a .lesson file: the world it
 * starts with, the story told in steps, and the end state it promises
 *
 * The format is documented in data/lessons/README.md.
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "msc-pop3-client.h"

G_BEGIN_DECLS

#define MSC_LESSON_ERROR (msc_lesson_error_quark ())

typedef enum
{
  MSC_LESSON_ERROR_SYNTAX,     /* not key-file syntax */
  MSC_LESSON_ERROR_MISSING,    /* a required group or key is absent */
  MSC_LESSON_ERROR_INVALID,    /* a value that is not allowed there */
  MSC_LESSON_ERROR_DUPLICATE,  /* an id used twice */
  MSC_LESSON_ERROR_REFERENCE,  /* names a server, device, message or account that is not there */
  MSC_LESSON_ERROR_IO,         /* the file cannot be read */
} MscLessonError;

typedef enum
{
  MSC_LESSON_LEVEL_BEGINNER,
  MSC_LESSON_LEVEL_INTERMEDIATE,
  MSC_LESSON_LEVEL_ADVANCED,
} MscLessonLevel;

typedef enum
{
  MSC_SECURITY_NONE,      /* plaintext */
  MSC_SECURITY_STARTTLS,  /* plaintext, then STARTTLS/STLS */
  MSC_SECURITY_TLS,       /* "ssl": implicit TLS from the first byte */
} MscSecurity;

typedef enum
{
  MSC_INCOMING_IMAP,
  MSC_INCOMING_POP3,
} MscIncomingProtocol;

/* The listeners a server may have; bit flags of (1 << service). */
typedef enum
{
  MSC_SIM_SERVICE_SMTP,         /* 25 */
  MSC_SIM_SERVICE_SUBMISSIONS,  /* 465 */
  MSC_SIM_SERVICE_SUBMISSION,   /* 587 */
  MSC_SIM_SERVICE_IMAP,         /* 143 */
  MSC_SIM_SERVICE_IMAPS,        /* 993 */
  MSC_SIM_SERVICE_POP3,         /* 110 */
  MSC_SIM_SERVICE_POP3S,        /* 995 */
  MSC_SIM_N_SERVICES
} MscSimService;

#define MSC_SIM_ALL_SERVICES ((1u << MSC_SIM_N_SERVICES) - 1)

typedef enum
{
  MSC_DEVICE_KIND_PHONE,
  MSC_DEVICE_KIND_LAPTOP,
  MSC_DEVICE_KIND_DESKTOP,
  MSC_DEVICE_KIND_TABLET,
} MscDeviceKind;

typedef enum
{
  MSC_LESSON_ACTION_CHECK,
  MSC_LESSON_ACTION_SEND,
  MSC_LESSON_ACTION_OPEN,
  MSC_LESSON_ACTION_MARK_UNREAD,
  MSC_LESSON_ACTION_DELETE,
  MSC_LESSON_ACTION_MOVE,
  MSC_LESSON_ACTION_OFFLINE,
  MSC_LESSON_ACTION_ONLINE,
  MSC_LESSON_ACTION_WAIT,
} MscLessonActionKind;

typedef enum
{
  MSC_LESSON_PRESENCE_ABSENT,
  MSC_LESSON_PRESENCE_READ,
  MSC_LESSON_PRESENCE_UNREAD,
} MscLessonPresence;

/* Every string below is owned by the lesson; translatable ones are
 * already in the user's language.  Every struct also records the line
 * of its group in the file, for messages about it. */

typedef struct
{
  char  *address;   /* folded to lower case */
  char  *password;
} MscLessonAccount;

typedef struct
{
  char      *hostname;
  char      *address;             /* IPv4, for DNS */
  GStrv      domains;             /* folded to lower case */
  GPtrArray *accounts;            /* of MscLessonAccount */
  guint      services;            /* bits of MscSimService */
  guint      temporary_failures;
  guint      latency_ms;
  guint      line;
} MscLessonServer;

typedef struct
{
  char                   *id;
  char                   *name;
  MscDeviceKind           kind;
  char                   *account;
  char                   *password;
  MscIncomingProtocol     incoming;
  char                   *incoming_server;    /* a server's hostname, never NULL */
  MscSecurity             incoming_security;
  guint                   incoming_port;      /* 0: the default for the protocol and security */
  MscPop3ClientRetention  retention;
  guint                   keep_days;
  gboolean                push;
  guint                   poll_minutes;
  char                   *outgoing_server;    /* never NULL */
  MscSecurity             outgoing_security;
  guint                   outgoing_port;      /* 0: the default for the security */
  guint                   latency_ms;
  gboolean                online;
  guint                   line;
} MscLessonDevice;

typedef struct
{
  char     *id;
  char     *account;
  char     *mailbox;
  char     *from;
  char     *to;
  char     *subject;
  char     *body;
  gboolean  seen;
  guint     line;
} MscLessonMessage;

typedef struct
{
  char                *id;
  MscLessonActionKind  action;
  char                *narration;
  char                *device;     /* NULL for wait */
  char                *message;    /* open, mark-unread, delete, move */
  char                *folder;     /* move */
  GStrv                to;         /* send */
  char                *subject;    /* send */
  char                *body;       /* send */
  guint                minutes;    /* wait */
  guint                line;
} MscLessonStep;

typedef struct
{
  char              *message;  /* a [Message] id or a send step's id */
  char              *place;    /* a device id or an account address */
  MscLessonPresence  presence;
  char              *folder;   /* NULL: INBOX on a server, Inbox on a device */
  guint              line;     /* of the key */
} MscLessonExpectation;

#define MSC_TYPE_LESSON (msc_lesson_get_type ())

G_DECLARE_FINAL_TYPE (MscLesson, msc_lesson, MSC, LESSON, GObject)

GQuark          msc_lesson_error_quark        (void);

/* Reads and checks a lesson.  On any mistake returns NULL with an error
 * whose message starts "FILE:LINE: " (FILE as given, LINE from 1). */
MscLesson      *msc_lesson_load_file          (const char   *path,
                                               GError      **error);
/* As load_file, for text already in memory; @name stands for the file. */
MscLesson      *msc_lesson_load_data          (const char   *data,
                                               gsize         length,
                                               const char   *name,
                                               GError      **error);

/* The folders lessons are read from: $MAILSCOPE_LESSONS_DIR when set,
 * else the installed one. */
const char     *msc_lesson_get_default_dir    (void);
/* Every *.lesson in @dir (NULL: the default), sorted by Order then Id.
 * Files that fail to load are left out; their errors (GError*, as from
 * load_file) go to @errors when it is not NULL.  Two files with one id:
 * the second is an error. */
GPtrArray      *msc_lesson_load_all           (const char   *dir,
                                               GPtrArray   **errors);

const char     *msc_lesson_get_id             (MscLesson    *self);
const char     *msc_lesson_get_title          (MscLesson    *self);
const char     *msc_lesson_get_summary        (MscLesson    *self);
MscLessonLevel  msc_lesson_get_level          (MscLesson    *self);
int             msc_lesson_get_order          (MscLesson    *self);
const char     *msc_lesson_get_path           (MscLesson    *self);

/* Each a borrowed array of the structs above, in file order. */
GPtrArray      *msc_lesson_get_servers        (MscLesson    *self);
GPtrArray      *msc_lesson_get_devices        (MscLesson    *self);
GPtrArray      *msc_lesson_get_messages       (MscLesson    *self);
GPtrArray      *msc_lesson_get_steps          (MscLesson    *self);
GPtrArray      *msc_lesson_get_expectations   (MscLesson    *self);

MscLessonServer *msc_lesson_find_server       (MscLesson    *self,
                                               const char   *hostname);
MscLessonDevice *msc_lesson_find_device       (MscLesson    *self,
                                               const char   *id);
/* The server whose Domains hold @address's domain, or NULL. */
MscLessonServer *msc_lesson_find_server_for_address (MscLesson  *self,
                                                     const char *address);

/* The port a device connects to: its own, else the default for the
 * protocol and security (993/143, 995/110; 465/587). */
guint           msc_lesson_incoming_port      (MscIncomingProtocol  protocol,
                                               MscSecurity          security,
                                               guint                configured);
guint           msc_lesson_outgoing_port      (MscSecurity          security,
                                               guint                configured);
/* The listener behind a port number, or -1 for none of the seven. */
int             msc_sim_service_from_port     (guint                port);
guint           msc_sim_service_get_port      (MscSimService        service);
/* "smtp", "submissions", … as in Services= */
const char     *msc_sim_service_get_name      (MscSimService        service);

const char     *msc_lesson_level_get_name     (MscLessonLevel       level);  /* translated */
const char     *msc_lesson_action_get_name    (MscLessonActionKind  action); /* "check", … */

G_END_DECLS
