/* msc-window.h — the main window
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "msc-application.h"

G_BEGIN_DECLS

#define MSC_TYPE_WINDOW (msc_window_get_type ())

G_DECLARE_FINAL_TYPE (MscWindow, msc_window, MSC, WINDOW, GtkApplicationWindow)

MscWindow *msc_window_new (MscApplication *application);

G_END_DECLS
