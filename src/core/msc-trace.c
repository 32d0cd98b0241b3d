/* msc-trace.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-trace"

#include "config.h"

#include "msc-trace.h"

/* A GListModel, so the chart, the transcript, the inspector and the CLI all
 * read the same list and follow it through items-changed. */
struct _MscTrace
{
  GObject parent_instance;

  GPtrArray *events;
  guint      last_connection;
  guint      max_events;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MscTrace, msc_trace, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
msc_trace_get_item_type (GListModel *model)
{
  return MSC_TYPE_TRACE_EVENT;
}

static guint
msc_trace_get_n_items (GListModel *model)
{
  return MSC_TRACE (model)->events->len;
}

static gpointer
msc_trace_get_item (GListModel *model,
                    guint       position)
{
  MscTrace *self = MSC_TRACE (model);

  if (position >= self->events->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->events, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = msc_trace_get_item_type;
  iface->get_n_items = msc_trace_get_n_items;
  iface->get_item = msc_trace_get_item;
}

static void
msc_trace_finalize (GObject *object)
{
  MscTrace *self = MSC_TRACE (object);

  g_clear_pointer (&self->events, g_ptr_array_unref);

  G_OBJECT_CLASS (msc_trace_parent_class)->finalize (object);
}

static void
msc_trace_class_init (MscTraceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = msc_trace_finalize;
}

static void
msc_trace_init (MscTrace *self)
{
  self->events = g_ptr_array_new_with_free_func (g_object_unref);
}

MscTrace *
msc_trace_new (void)
{
  return g_object_new (MSC_TYPE_TRACE, NULL);
}

void
msc_trace_append (MscTrace      *self,
                  MscTraceEvent *event)
{
  g_return_if_fail (MSC_IS_TRACE (self));
  g_return_if_fail (MSC_IS_TRACE_EVENT (event));

  /* A live server may run for days: keep only the newest events there, so
   * memory stays bounded. Lessons leave the limit at 0 (no limit). */
  if (self->max_events > 0 && self->events->len >= self->max_events)
    {
      guint removed = self->events->len - self->max_events + 1;

      g_ptr_array_remove_range (self->events, 0, removed);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
    }

  g_ptr_array_add (self->events, g_object_ref (event));
  g_list_model_items_changed (G_LIST_MODEL (self), self->events->len - 1, 0, 1);
}

guint
msc_trace_next_connection (MscTrace *self)
{
  g_return_val_if_fail (MSC_IS_TRACE (self), 0);

  return ++self->last_connection;
}

void
msc_trace_set_max_events (MscTrace *self,
                          guint     max_events)
{
  g_return_if_fail (MSC_IS_TRACE (self));

  self->max_events = max_events;
}
