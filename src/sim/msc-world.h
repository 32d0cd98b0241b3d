/* msc-world.h — a lesson's little internet: servers with their stores and
 * listeners, DNS, people's devices running mail apps, links between them,
 * all in virtual time, every change a trace event
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "msc-clock.h"
#include "msc-device-store.h"
#include "msc-lesson.h"
#include "msc-mail-store.h"
#include "msc-trace.h"

G_BEGIN_DECLS

#define MSC_TYPE_WORLD (msc_world_get_type ())

G_DECLARE_FINAL_TYPE (MscWorld, msc_world, MSC, WORLD, GObject)

#define MSC_WORLD_ERROR (msc_world_error_quark ())

typedef enum
{
  MSC_WORLD_ERROR_SETUP,       /* the lesson's world could not be built */
  MSC_WORLD_ERROR_RUNAWAY,     /* the world did not settle: a bug, reported, not a hang */
  MSC_WORLD_ERROR_FINISHED,    /* no step left */
} MscWorldError;

typedef struct
{
  /* -1: as the lesson says; else every device uses this protocol (its
   * port follows, its security stays), for --compare. */
  int     incoming;
  /* Virtual time at the start, µs since the epoch; 0: a fixed Monday
   * morning, so every run is the same. */
  gint64  start_usec;
} MscWorldOptions;

/* What the end-state table shows for one message at one place. */
typedef struct
{
  MscLessonPresence  presence;
  char              *folder;      /* NULL when absent */
  gboolean           complete;    /* FALSE: only the header is on the device */
} MscWorldCell;

GQuark          msc_world_error_quark        (void);
void            msc_world_cell_clear         (MscWorldCell     *cell);

MscWorld       *msc_world_new                (MscLesson             *lesson,
                                              const MscWorldOptions *options,
                                              GError               **error);
MscLesson      *msc_world_get_lesson         (MscWorld         *self);
MscTrace       *msc_world_get_trace          (MscWorld         *self);
MscClock       *msc_world_get_clock          (MscWorld         *self);

/* Runs the next step and lets the world settle. */
gboolean        msc_world_run_step           (MscWorld         *self,
                                              GError          **error);
/* Runs the steps left, then lets mail in queues be delivered or bounced. */
gboolean        msc_world_run                (MscWorld         *self,
                                              GError          **error);
guint           msc_world_get_n_steps_done   (MscWorld         *self);

MscMailStore   *msc_world_get_server_store   (MscWorld         *self,
                                              const char       *hostname);
MscDeviceStore *msc_world_get_device_store   (MscWorld         *self,
                                              const char       *device_id);

/* The end-state table: rows are messages, the lesson's ids first, then
 * any other message found (a bounce), by Message-ID; columns are places:
 * the accounts involved (their mailboxes on their server), then the
 * devices. */
GStrv           msc_world_list_places        (MscWorld         *self);
/* Each row's key: a lesson message id, or "<message-id>" for others. */
GStrv           msc_world_list_rows          (MscWorld         *self);
/* A row's label: the lesson id with the subject, or the subject. */
char           *msc_world_get_row_label      (MscWorld         *self,
                                              const char       *row);
void            msc_world_locate             (MscWorld         *self,
                                              const char       *row,
                                              const char       *place,
                                              MscWorldCell     *cell);
/* Checks the lesson's [Expect] groups; each failure is one sentence in
 * @failures (may be NULL).  TRUE when all held. */
gboolean        msc_world_check_expectations (MscWorld         *self,
                                              GPtrArray       **failures);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MscWorldCell, msc_world_cell_clear)

G_END_DECLS
