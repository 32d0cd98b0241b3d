/* msc-clock.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-clock"

#include "config.h"

#include "msc-clock.h"

typedef struct
{
  gint64            when;
  guint             id;     /* also the order of scheduling: ties run first come, first served */
  MscClockPriority  priority;
  MscClockFunc      func;
  gpointer          user_data;
  GDestroyNotify    destroy;
} Item;

struct _MscClock
{
  GObject parent_instance;

  gint64       start;
  gint64       now;
  GSequence   *queue;        /* of Item, by (when, id) */
  GHashTable  *by_id;        /* id → GSequenceIter */
  guint        next_id;
  guint        n_foreground;
  guint64      n_run;
};

G_DEFINE_FINAL_TYPE (MscClock, msc_clock, G_TYPE_OBJECT)

static void
item_free (Item *item)
{
  if (item->destroy != NULL)
    item->destroy (item->user_data);
  g_free (item);
}

static int
compare_items (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const Item *x = a;
  const Item *y = b;

  if (x->when != y->when)
    return x->when < y->when ? -1 : 1;

  return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

static void
msc_clock_finalize (GObject *object)
{
  MscClock *self = MSC_CLOCK (object);

  g_hash_table_unref (self->by_id);
  for (GSequenceIter *iter = g_sequence_get_begin_iter (self->queue);
       !g_sequence_iter_is_end (iter); iter = g_sequence_iter_next (iter))
    item_free (g_sequence_get (iter));
  g_sequence_free (self->queue);

  G_OBJECT_CLASS (msc_clock_parent_class)->finalize (object);
}

static void
msc_clock_class_init (MscClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = msc_clock_finalize;
}

static void
msc_clock_init (MscClock *self)
{
  /* Items are freed by hand: one taken off to run must outlive its place. */
  self->queue = g_sequence_new (NULL);
  self->by_id = g_hash_table_new (NULL, NULL);
  self->next_id = 1;
}

MscClock *
msc_clock_new (gint64 start_usec)
{
  MscClock *self = g_object_new (MSC_TYPE_CLOCK, NULL);

  self->start = start_usec;
  self->now = start_usec;

  return self;
}

gint64
msc_clock_get_now (MscClock *self)
{
  g_return_val_if_fail (MSC_IS_CLOCK (self), 0);

  return self->now;
}

gint64
msc_clock_get_start (MscClock *self)
{
  g_return_val_if_fail (MSC_IS_CLOCK (self), 0);

  return self->start;
}

guint64
msc_clock_get_n_run (MscClock *self)
{
  g_return_val_if_fail (MSC_IS_CLOCK (self), 0);

  return self->n_run;
}

guint
msc_clock_schedule (MscClock         *self,
                    gint64            when,
                    MscClockPriority  priority,
                    MscClockFunc      func,
                    gpointer          user_data,
                    GDestroyNotify    destroy)
{
  Item *item;

  g_return_val_if_fail (MSC_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  item = g_new0 (Item, 1);
  item->when = MAX (when, self->now);
  item->id = self->next_id++;
  item->priority = priority;
  item->func = func;
  item->user_data = user_data;
  item->destroy = destroy;

  if (priority == MSC_CLOCK_FOREGROUND)
    self->n_foreground++;
  g_hash_table_insert (self->by_id, GUINT_TO_POINTER (item->id),
                       g_sequence_insert_sorted (self->queue, item, compare_items, NULL));

  return item->id;
}

static void
forget (MscClock      *self,
        GSequenceIter *iter)
{
  Item *item = g_sequence_get (iter);

  if (item->priority == MSC_CLOCK_FOREGROUND)
    self->n_foreground--;
  g_hash_table_remove (self->by_id, GUINT_TO_POINTER (item->id));
}

void
msc_clock_cancel (MscClock *self,
                  guint     id)
{
  GSequenceIter *iter;

  g_return_if_fail (MSC_IS_CLOCK (self));

  iter = g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (id));
  if (iter == NULL)
    return;

  forget (self, iter);
  item_free (g_sequence_get (iter));
  g_sequence_remove (iter);
}

/* Takes the first item off the queue and runs it: what it schedules
 * (even at the same time) comes after it. */
static void
run_first (MscClock *self)
{
  GSequenceIter *iter = g_sequence_get_begin_iter (self->queue);
  Item *item = g_sequence_get (iter);

  forget (self, iter);
  /* Out of the queue before it runs, so it may cancel or schedule freely. */
  g_sequence_remove (iter);

  self->now = MAX (self->now, item->when);
  self->n_run++;
  item->func (item->user_data);
  item_free (item);
}

gboolean
msc_clock_is_quiet (MscClock *self)
{
  g_return_val_if_fail (MSC_IS_CLOCK (self), TRUE);

  return self->n_foreground == 0;
}

gboolean
msc_clock_run_until_quiet (MscClock *self,
                           guint64   max_items)
{
  guint64 ran = 0;

  g_return_val_if_fail (MSC_IS_CLOCK (self), FALSE);

  while (self->n_foreground > 0)
    {
      if (ran++ >= max_items)
        return FALSE;
      run_first (self);
    }

  return TRUE;
}

gboolean
msc_clock_advance_to (MscClock *self,
                      gint64    when,
                      guint64   max_items)
{
  guint64 ran = 0;

  g_return_val_if_fail (MSC_IS_CLOCK (self), FALSE);

  while (g_sequence_get_length (self->queue) > 0)
    {
      Item *first = g_sequence_get (g_sequence_get_begin_iter (self->queue));

      if (first->when > when)
        break;
      if (ran++ >= max_items)
        return FALSE;
      run_first (self);
    }

  self->now = MAX (self->now, when);
  return TRUE;
}
