/* msc-clock.h — virtual time: a deterministic scheduler for the simulated
 * world.  Nothing in a lesson reads the wall clock.
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MSC_TYPE_CLOCK (msc_clock_get_type ())

G_DECLARE_FINAL_TYPE (MscClock, msc_clock, MSC, CLOCK, GObject)

typedef void (*MscClockFunc) (gpointer user_data);

/* Work the world is waiting for (bytes on a link, a step, a retry) is
 * foreground; timers that only matter if something else happens (an
 * engine's timeout, a poll, IDLE's renewal) are background.  The world
 * is quiet when only background work is left. */
typedef enum
{
  MSC_CLOCK_FOREGROUND,
  MSC_CLOCK_BACKGROUND,
} MscClockPriority;

/* Time starts at @start_usec (microseconds since the Unix epoch, so
 * dates in the mail look real). */
MscClock *msc_clock_new                (gint64            start_usec);
gint64    msc_clock_get_now            (MscClock         *self);
gint64    msc_clock_get_start          (MscClock         *self);

/* Runs @func at @when (now if earlier).  Things due at the same time
 * run in the order they were scheduled.  Returns an id for cancel(). */
guint     msc_clock_schedule           (MscClock         *self,
                                        gint64            when,
                                        MscClockPriority  priority,
                                        MscClockFunc      func,
                                        gpointer          user_data,
                                        GDestroyNotify    destroy);
/* Unknown or already-run ids are ignored. */
void      msc_clock_cancel             (MscClock         *self,
                                        guint             id);

/* Runs everything due up to the last foreground item, background items
 * in between included, and stops when only background work is left.
 * Returns FALSE, leaving the rest, once @max_items have run: a world
 * that never settles is a bug, not a reason to hang. */
gboolean  msc_clock_run_until_quiet    (MscClock         *self,
                                        guint64           max_items);
/* Runs everything due up to @when, then sets the time to @when. */
gboolean  msc_clock_advance_to         (MscClock         *self,
                                        gint64            when,
                                        guint64           max_items);
gboolean  msc_clock_is_quiet           (MscClock         *self);
guint64   msc_clock_get_n_run          (MscClock         *self);

G_END_DECLS
