/* msc-application.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-application"

#include "config.h"

#include <glib/gi18n.h>

#include "msc-application.h"
#include "msc-style-manager.h"
#include "msc-window.h"

/* Trainers project the app onto a wall; the text size steps in these
 * factors, from a little smaller than normal to twice as large. */
static const double text_scales[] = { 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0 };

struct _MscApplication
{
  GtkApplication parent_instance;

  /* Owned references */
  GSettings       *settings;
  MscStyleManager *style_manager;
};

G_DEFINE_FINAL_TYPE (MscApplication, msc_application, GTK_TYPE_APPLICATION)

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = G_APPLICATION (user_data);
  GList *windows;

  /* Closing each window, rather than g_application_quit(), lets them save
   * their size and maximized state on the way out. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  const char *authors[] = { _("The Mailscope authors"), NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Mailscope"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("See how e-mail really travels: SMTP, IMAP and POP3, every command and reply"),
                         "website", "https://github.com/mailscope/mailscope",
                         "copyright", _("© 2026 The Mailscope authors"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static int
closest_scale_index (double scale)
{
  guint best = 0;

  for (guint i = 1; i < G_N_ELEMENTS (text_scales); i++)
    if (ABS (text_scales[i] - scale) < ABS (text_scales[best] - scale))
      best = i;

  return best;
}

static void
step_text_scale (MscApplication *self,
                 int             direction)
{
  double scale = g_settings_get_double (self->settings, "text-scale");
  int index = closest_scale_index (scale) + direction;

  index = CLAMP (index, 0, (int) G_N_ELEMENTS (text_scales) - 1);
  g_settings_set_double (self->settings, "text-scale", text_scales[index]);
}

static void
zoom_in_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  step_text_scale (MSC_APPLICATION (user_data), +1);
}

static void
zoom_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  step_text_scale (MSC_APPLICATION (user_data), -1);
}

static void
zoom_reset_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  MscApplication *self = MSC_APPLICATION (user_data);

  g_settings_reset (self->settings, "text-scale");
}

static void
update_zoom_actions (MscApplication *self)
{
  int index = closest_scale_index (g_settings_get_double (self->settings, "text-scale"));
  GAction *action;

  action = g_action_map_lookup_action (G_ACTION_MAP (self), "zoom-in");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action),
                               index < (int) G_N_ELEMENTS (text_scales) - 1);
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "zoom-out");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), index > 0);
}

static void
on_text_scale_changed_cb (MscApplication *self,
                          const char     *key,
                          GSettings      *settings)
{
  msc_style_manager_set_text_scale (self->style_manager,
                                    g_settings_get_double (settings, "text-scale"));
  update_zoom_actions (self);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "zoom-in", zoom_in_action },
  { "zoom-out", zoom_out_action },
  { "zoom-reset", zoom_reset_action },
};

static const struct {
  const char *action;
  const char *accels[4];
} app_accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.zoom-in", { "<Control>plus", "<Control>equal", "<Control>KP_Add", NULL } },
  { "app.zoom-out", { "<Control>minus", "<Control>KP_Subtract", NULL } },
  { "app.zoom-reset", { "<Control>0", "<Control>KP_0", NULL } },
  { "win.show-sidebar", { "F9", NULL } },
  { "win.show-inspector", { "<Shift>F9", NULL } },
};

static void
msc_application_startup (GApplication *application)
{
  MscApplication *self = MSC_APPLICATION (application);
  g_autoptr(GAction) color_scheme = NULL;

  G_APPLICATION_CLASS (msc_application_parent_class)->startup (application);

  gtk_window_set_default_icon_name (APP_ID);

  self->settings = g_settings_new (APP_ID);
  self->style_manager = msc_style_manager_new (gdk_display_get_default ());

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  color_scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (self), color_scheme);

  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                           app_accels[i].action,
                                           app_accels[i].accels);

  g_settings_bind (self->settings, "color-scheme",
                   self->style_manager, "color-scheme",
                   G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed::text-scale",
                           G_CALLBACK (on_text_scale_changed_cb), self,
                           G_CONNECT_SWAPPED);
  on_text_scale_changed_cb (self, "text-scale", self->settings);
}

static void
msc_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (msc_window_new (MSC_APPLICATION (application)));

  gtk_window_present (window);
}

static void
msc_application_dispose (GObject *object)
{
  MscApplication *self = MSC_APPLICATION (object);

  g_clear_object (&self->style_manager);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (msc_application_parent_class)->dispose (object);
}

static void
msc_application_class_init (MscApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = msc_application_dispose;

  app_class->startup = msc_application_startup;
  app_class->activate = msc_application_activate;
}

static void
msc_application_init (MscApplication *self)
{
}

MscApplication *
msc_application_new (void)
{
  return g_object_new (MSC_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_BASE,
                       NULL);
}

double
msc_application_get_text_scale (MscApplication *self)
{
  g_return_val_if_fail (MSC_IS_APPLICATION (self), 1.0);

  return g_settings_get_double (self->settings, "text-scale");
}
