/* msc-empty-state.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-empty-state"

#include "config.h"

#include "msc-empty-state.h"

/* GTK 4.8 has no status page of its own (that is libadwaita's), and an
 * empty pane must tell a newcomer what will appear in it: a small template
 * widget with an icon, a title and a sentence or two. */
struct _MscEmptyState
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkImage  *image;
  GtkLabel  *title_label;
  GtkLabel  *description_label;
};

G_DEFINE_FINAL_TYPE (MscEmptyState, msc_empty_state, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ICON_NAME,
  PROP_TITLE,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
msc_empty_state_dispose (GObject *object)
{
  MscEmptyState *self = MSC_EMPTY_STATE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MSC_TYPE_EMPTY_STATE);

  G_OBJECT_CLASS (msc_empty_state_parent_class)->dispose (object);
}

static void
msc_empty_state_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MscEmptyState *self = MSC_EMPTY_STATE (object);

  switch (prop_id)
    {
    case PROP_ICON_NAME:
      g_value_set_string (value, msc_empty_state_get_icon_name (self));
      break;

    case PROP_TITLE:
      g_value_set_string (value, msc_empty_state_get_title (self));
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, msc_empty_state_get_description (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_empty_state_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MscEmptyState *self = MSC_EMPTY_STATE (object);

  switch (prop_id)
    {
    case PROP_ICON_NAME:
      msc_empty_state_set_icon_name (self, g_value_get_string (value));
      break;

    case PROP_TITLE:
      msc_empty_state_set_title (self, g_value_get_string (value));
      break;

    case PROP_DESCRIPTION:
      msc_empty_state_set_description (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
msc_empty_state_class_init (MscEmptyStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = msc_empty_state_dispose;
  object_class->get_property = msc_empty_state_get_property;
  object_class->set_property = msc_empty_state_set_property;

  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/msc-empty-state.ui");
  gtk_widget_class_bind_template_child (widget_class, MscEmptyState, box);
  gtk_widget_class_bind_template_child (widget_class, MscEmptyState, image);
  gtk_widget_class_bind_template_child (widget_class, MscEmptyState, title_label);
  gtk_widget_class_bind_template_child (widget_class, MscEmptyState, description_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "emptystate");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
msc_empty_state_init (MscEmptyState *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
msc_empty_state_new (void)
{
  return g_object_new (MSC_TYPE_EMPTY_STATE, NULL);
}

const char *
msc_empty_state_get_icon_name (MscEmptyState *self)
{
  g_return_val_if_fail (MSC_IS_EMPTY_STATE (self), NULL);

  return gtk_image_get_icon_name (self->image);
}

void
msc_empty_state_set_icon_name (MscEmptyState *self,
                               const char    *icon_name)
{
  g_return_if_fail (MSC_IS_EMPTY_STATE (self));

  if (g_strcmp0 (icon_name, gtk_image_get_icon_name (self->image)) == 0)
    return;

  gtk_image_set_from_icon_name (self->image, icon_name);
  gtk_widget_set_visible (GTK_WIDGET (self->image), icon_name != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
}

const char *
msc_empty_state_get_title (MscEmptyState *self)
{
  g_return_val_if_fail (MSC_IS_EMPTY_STATE (self), NULL);

  return gtk_label_get_label (self->title_label);
}

void
msc_empty_state_set_title (MscEmptyState *self,
                           const char    *title)
{
  g_return_if_fail (MSC_IS_EMPTY_STATE (self));

  if (g_strcmp0 (title, gtk_label_get_label (self->title_label)) == 0)
    return;

  gtk_label_set_label (self->title_label, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
msc_empty_state_get_description (MscEmptyState *self)
{
  g_return_val_if_fail (MSC_IS_EMPTY_STATE (self), NULL);

  return gtk_label_get_label (self->description_label);
}

void
msc_empty_state_set_description (MscEmptyState *self,
                                 const char    *description)
{
  g_return_if_fail (MSC_IS_EMPTY_STATE (self));

  if (g_strcmp0 (description, gtk_label_get_label (self->description_label)) == 0)
    return;

  gtk_label_set_label (self->description_label, description);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label),
                          description != NULL && *description != '\0');
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}
