/* msc-empty-state.h — what a pane says before it has anything to show
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MSC_TYPE_EMPTY_STATE (msc_empty_state_get_type ())

G_DECLARE_FINAL_TYPE (MscEmptyState, msc_empty_state, MSC, EMPTY_STATE, GtkWidget)

GtkWidget  *msc_empty_state_new             (void);
const char *msc_empty_state_get_icon_name   (MscEmptyState *self);
void        msc_empty_state_set_icon_name   (MscEmptyState *self,
                                             const char    *icon_name);
const char *msc_empty_state_get_title       (MscEmptyState *self);
void        msc_empty_state_set_title       (MscEmptyState *self,
                                             const char    *title);
const char *msc_empty_state_get_description (MscEmptyState *self);
void        msc_empty_state_set_description (MscEmptyState *self,
                                             const char    *description);

G_END_DECLS
