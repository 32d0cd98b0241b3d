/* msc-application.h
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MSC_TYPE_APPLICATION (msc_application_get_type ())

G_DECLARE_FINAL_TYPE (MscApplication, msc_application, MSC, APPLICATION, GtkApplication)

MscApplication *msc_application_new      (void);
double          msc_application_get_text_scale (MscApplication *self);

G_END_DECLS
