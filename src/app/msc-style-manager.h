/* msc-style-manager.h — light or dark, and how large the text is
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MSC_TYPE_STYLE_MANAGER (msc_style_manager_get_type ())

G_DECLARE_FINAL_TYPE (MscStyleManager, msc_style_manager, MSC, STYLE_MANAGER, GObject)

MscStyleManager *msc_style_manager_new              (GdkDisplay      *display);
const char      *msc_style_manager_get_color_scheme (MscStyleManager *self);
void             msc_style_manager_set_color_scheme (MscStyleManager *self,
                                                     const char      *color_scheme);
gboolean         msc_style_manager_get_dark         (MscStyleManager *self);
double           msc_style_manager_get_text_scale   (MscStyleManager *self);
void             msc_style_manager_set_text_scale   (MscStyleManager *self,
                                                     double           text_scale);

G_END_DECLS
