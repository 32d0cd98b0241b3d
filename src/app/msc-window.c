/* msc-window.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-window"

#include "config.h"

#include <glib/gi18n.h>

#include "msc-empty-state.h"
#include "msc-window.h"

struct _MscWindow
{
  GtkApplicationWindow parent_instance;

  /* Owned references */
  GSettings *settings;

  /* Template widgets */
  GtkLabel      *subtitle_label;
  GtkWidget     *sidebar;
  GtkStack      *sidebar_stack;
  GtkStack      *chart_stack;
  GtkWidget     *inspector;
};

G_DEFINE_FINAL_TYPE (MscWindow, msc_window, GTK_TYPE_APPLICATION_WINDOW)

/* The size is saved when the window closes rather than bound live, so a
 * maximized window does not overwrite the size it will return to. */
static gboolean
msc_window_close_request (GtkWindow *window)
{
  MscWindow *self = MSC_WINDOW (window);
  gboolean maximized = gtk_window_is_maximized (window);
  int width, height;

  if (!maximized)
    {
      gtk_window_get_default_size (window, &width, &height);
      g_settings_set (self->settings, "window-size", "(ii)", width, height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);

  return GTK_WINDOW_CLASS (msc_window_parent_class)->close_request (window);
}

static void
msc_window_constructed (GObject *object)
{
  MscWindow *self = MSC_WINDOW (object);
  g_autoptr(GAction) show_sidebar = NULL;
  g_autoptr(GAction) show_inspector = NULL;
  int width, height;

  G_OBJECT_CLASS (msc_window_parent_class)->constructed (object);

  g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  show_sidebar = g_settings_create_action (self->settings, "show-sidebar");
  g_action_map_add_action (G_ACTION_MAP (self), show_sidebar);
  show_inspector = g_settings_create_action (self->settings, "show-inspector");
  g_action_map_add_action (G_ACTION_MAP (self), show_inspector);
}

static void
msc_window_dispose (GObject *object)
{
  MscWindow *self = MSC_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MSC_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (msc_window_parent_class)->dispose (object);
}

static void
msc_window_class_init (MscWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = msc_window_constructed;
  object_class->dispose = msc_window_dispose;

  window_class->close_request = msc_window_close_request;

  g_type_ensure (MSC_TYPE_EMPTY_STATE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/msc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MscWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, MscWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, MscWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, MscWindow, chart_stack);
  gtk_widget_class_bind_template_child (widget_class, MscWindow, inspector);
}

static void
msc_window_init (MscWindow *self)
{
  self->settings = g_settings_new (APP_ID);

  gtk_widget_init_template (GTK_WIDGET (self));
}

MscWindow *
msc_window_new (MscApplication *application)
{
  g_return_val_if_fail (MSC_IS_APPLICATION (application), NULL);

  return g_object_new (MSC_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
