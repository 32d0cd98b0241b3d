/* msc-style-manager.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-style-manager"

#include "config.h"

#include "msc-style-manager.h"

/* GTK 4.8 without libadwaita does not follow the desktop's dark style by
 * itself: the desktop publishes it through the settings portal
 * (org.freedesktop.appearance color-scheme: 0 no preference, 1 dark,
 * 2 light), so we read it there, and fall back to GTK's own
 * gtk-application-prefer-dark-theme from settings.ini. */
#define PORTAL_BUS_NAME        "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH     "/org/freedesktop/portal/desktop"
#define PORTAL_SETTINGS_IFACE  "org.freedesktop.portal.Settings"
#define APPEARANCE_NAMESPACE   "org.freedesktop.appearance"
#define PORTAL_PREFER_DARK     1

struct _MscStyleManager
{
  GObject parent_instance;

  /* Owned references */
  GdkDisplay     *display;
  GtkCssProvider *base_provider;
  GtkCssProvider *dark_provider;
  GtkCssProvider *scale_provider;
  GDBusProxy     *portal;
  GCancellable   *cancellable;

  char    *color_scheme;
  double   text_scale;
  gboolean system_dark;
  gboolean dark;
  gboolean dark_provider_added;
};

G_DEFINE_FINAL_TYPE (MscStyleManager, msc_style_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DISPLAY,
  PROP_COLOR_SCHEME,
  PROP_DARK,
  PROP_TEXT_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_dark (MscStyleManager *self)
{
  gboolean dark;

  if (g_strcmp0 (self->color_scheme, "dark") == 0)
    dark = TRUE;
  else if (g_strcmp0 (self->color_scheme, "light") == 0)
    dark = FALSE;
  else
    dark = self->system_dark;

  g_object_set (gtk_settings_get_for_display (self->display),
                "gtk-application-prefer-dark-theme", dark,
                NULL);

  if (dark && !self->dark_provider_added)
    gtk_style_context_add_provider_for_display (self->display,
                                                GTK_STYLE_PROVIDER (self->dark_provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  else if (!dark && self->dark_provider_added)
    gtk_style_context_remove_provider_for_display (self->display,
                                                   GTK_STYLE_PROVIDER (self->dark_provider));
  self->dark_provider_added = dark;

  if (dark != self->dark)
    {
      self->dark = dark;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DARK]);
    }
}

static void
set_system_dark_from_portal_value (MscStyleManager *self,
                                   GVariant        *value)
{
  /* Read() wraps the value in one more variant than SettingChanged does. */
  g_autoptr(GVariant) inner = NULL;

  while (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *next = g_variant_get_variant (value);

      g_clear_pointer (&inner, g_variant_unref);
      inner = next;
      value = inner;
    }

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return;

  self->system_dark = g_variant_get_uint32 (value) == PORTAL_PREFER_DARK;
  update_dark (self);
}

static void
on_portal_signal_cb (GDBusProxy *proxy,
                     const char *sender_name,
                     const char *signal_name,
                     GVariant   *parameters,
                     gpointer    user_data)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (user_data);
  const char *namespace, *key;
  g_autoptr(GVariant) value = NULL;

  if (g_strcmp0 (signal_name, "SettingChanged") != 0 ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    return;

  g_variant_get (parameters, "(&s&sv)", &namespace, &key, &value);
  if (g_strcmp0 (namespace, APPEARANCE_NAMESPACE) == 0 &&
      g_strcmp0 (key, "color-scheme") == 0)
    set_system_dark_from_portal_value (self, value);
}

static void
on_portal_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(MscStyleManager) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (reply == NULL)
    {
      /* No portal (a bare X server, a test, an old desktop): keep GTK's own
       * setting; nothing is wrong. */
      g_debug ("No colour scheme from the settings portal: %s", error->message);
      return;
    }

  g_variant_get (reply, "(v)", &value);
  set_system_dark_from_portal_value (self, value);
}

static void
on_portal_proxy_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(MscStyleManager) self = user_data;
  g_autoptr(GError) error = NULL;

  self->portal = g_dbus_proxy_new_for_bus_finish (result, &error);
  if (self->portal == NULL)
    {
      g_debug ("No session bus for the settings portal: %s", error->message);
      return;
    }

  g_signal_connect_object (self->portal, "g-signal",
                           G_CALLBACK (on_portal_signal_cb), self, 0);
  g_dbus_proxy_call (self->portal, "Read",
                     g_variant_new ("(ss)", APPEARANCE_NAMESPACE, "color-scheme"),
                     G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000, self->cancellable,
                     on_portal_read_cb, g_object_ref (self));
}

static void
msc_style_manager_constructed (GObject *object)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (object);

  G_OBJECT_CLASS (msc_style_manager_parent_class)->constructed (object);

  g_object_get (gtk_settings_get_for_display (self->display),
                "gtk-application-prefer-dark-theme", &self->system_dark,
                NULL);

  self->base_provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (self->base_provider, RESOURCE_BASE "/style.css");
  gtk_style_context_add_provider_for_display (self->display,
                                              GTK_STYLE_PROVIDER (self->base_provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  self->dark_provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (self->dark_provider, RESOURCE_BASE "/style-dark.css");

  self->scale_provider = gtk_css_provider_new ();
  gtk_style_context_add_provider_for_display (self->display,
                                              GTK_STYLE_PROVIDER (self->scale_provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 2);
  msc_style_manager_set_text_scale (self, 1.0);

  update_dark (self);

  g_dbus_proxy_new_for_bus (G_BUS_TYPE_SESSION,
                            (G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                             G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START),
                            NULL,
                            PORTAL_BUS_NAME, PORTAL_OBJECT_PATH, PORTAL_SETTINGS_IFACE,
                            self->cancellable, on_portal_proxy_cb, g_object_ref (self));
}

static void
msc_style_manager_dispose (GObject *object)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (object);

  g_cancellable_cancel (self->cancellable);

  if (self->display != NULL)
    {
      gtk_style_context_remove_provider_for_display (self->display,
                                                     GTK_STYLE_PROVIDER (self->base_provider));
      gtk_style_context_remove_provider_for_display (self->display,
                                                     GTK_STYLE_PROVIDER (self->scale_provider));
      if (self->dark_provider_added)
        gtk_style_context_remove_provider_for_display (self->display,
                                                       GTK_STYLE_PROVIDER (self->dark_provider));
      self->dark_provider_added = FALSE;
    }

  g_clear_object (&self->portal);
  g_clear_object (&self->base_provider);
  g_clear_object (&self->dark_provider);
  g_clear_object (&self->scale_provider);
  g_clear_object (&self->display);

  G_OBJECT_CLASS (msc_style_manager_parent_class)->dispose (object);
}

static void
msc_style_manager_finalize (GObject *object)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (object);

  g_clear_object (&self->cancellable);
  g_free (self->color_scheme);

  G_OBJECT_CLASS (msc_style_manager_parent_class)->finalize (object);
}

static void
msc_style_manager_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_DISPLAY:
      g_value_set_object (value, self->display);
      break;

    case PROP_COLOR_SCHEME:
      g_value_set_string (value, self->color_scheme);
      break;

    case PROP_DARK:
      g_value_set_boolean (value, self->dark);
      break;

    case PROP_TEXT_SCALE:
      g_value_set_double (value, self->text_scale);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_style_manager_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MscStyleManager *self = MSC_STYLE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_DISPLAY:
      self->display = g_value_dup_object (value);
      break;

    case PROP_COLOR_SCHEME:
      msc_style_manager_set_color_scheme (self, g_value_get_string (value));
      break;

    case PROP_TEXT_SCALE:
      msc_style_manager_set_text_scale (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_style_manager_class_init (MscStyleManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = msc_style_manager_constructed;
  object_class->dispose = msc_style_manager_dispose;
  object_class->finalize = msc_style_manager_finalize;
  object_class->get_property = msc_style_manager_get_property;
  object_class->set_property = msc_style_manager_set_property;

  properties[PROP_DISPLAY] =
    g_param_spec_object ("display", NULL, NULL,
                         GDK_TYPE_DISPLAY,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /* "default" follows the desktop; "light" and "dark" force one. */
  properties[PROP_COLOR_SCHEME] =
    g_param_spec_string ("color-scheme", NULL, NULL,
                         "default",
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_DARK] =
    g_param_spec_boolean ("dark", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TEXT_SCALE] =
    g_param_spec_double ("text-scale", NULL, NULL,
                         0.5, 3.0, 1.0,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
msc_style_manager_init (MscStyleManager *self)
{
  self->color_scheme = g_strdup ("default");
  self->cancellable = g_cancellable_new ();
}

MscStyleManager *
msc_style_manager_new (GdkDisplay *display)
{
  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  return g_object_new (MSC_TYPE_STYLE_MANAGER,
                       "display", display,
                       NULL);
}

const char *
msc_style_manager_get_color_scheme (MscStyleManager *self)
{
  g_return_val_if_fail (MSC_IS_STYLE_MANAGER (self), NULL);

  return self->color_scheme;
}

void
msc_style_manager_set_color_scheme (MscStyleManager *self,
                                    const char      *color_scheme)
{
  g_return_if_fail (MSC_IS_STYLE_MANAGER (self));

  if (color_scheme == NULL)
    color_scheme = "default";

  if (g_strcmp0 (self->color_scheme, color_scheme) == 0)
    return;

  g_free (self->color_scheme);
  self->color_scheme = g_strdup (color_scheme);
  update_dark (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR_SCHEME]);
}

gboolean
msc_style_manager_get_dark (MscStyleManager *self)
{
  g_return_val_if_fail (MSC_IS_STYLE_MANAGER (self), FALSE);

  return self->dark;
}

double
msc_style_manager_get_text_scale (MscStyleManager *self)
{
  g_return_val_if_fail (MSC_IS_STYLE_MANAGER (self), 1.0);

  return self->text_scale;
}

void
msc_style_manager_set_text_scale (MscStyleManager *self,
                                  double           text_scale)
{
  g_autofree char *css = NULL;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (MSC_IS_STYLE_MANAGER (self));

  text_scale = CLAMP (text_scale, 0.5, 3.0);
  if (G_APPROX_VALUE (text_scale, self->text_scale, 0.001))
    return;

  self->text_scale = text_scale;

  /* The main window carries the msc-main class; every label in it sizes
   * itself relative to the window's font, so one rule scales them all. */
  g_ascii_formatd (number, sizeof number, "%.0f", text_scale * 100.0);
  css = g_strdup_printf ("window.msc-main { font-size: %s%%; }", number);
  gtk_css_provider_load_from_data (self->scale_provider, css, -1);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT_SCALE]);
}
