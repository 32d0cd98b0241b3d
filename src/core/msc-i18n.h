/* msc-i18n.h — one place that sets up gettext for every program
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void        msc_i18n_init          (void);
const char *msc_i18n_get_localedir (void);

G_END_DECLS
