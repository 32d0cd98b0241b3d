/* msc-test-directory.h — a small MscDirectory for the engine tests
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "msc-directory.h"

G_BEGIN_DECLS

/* Knows the domains example.com and 例子.公司 and three accounts:
 * alice@example.com / secret, bob@example.com / hunter2 and
 * 张三@例子.公司 / 密码. Addresses are compared ASCII-case-insensitively. */
#define TEST_TYPE_DIRECTORY (test_directory_get_type ())
G_DECLARE_FINAL_TYPE (TestDirectory, test_directory, TEST, DIRECTORY, GObject)

G_END_DECLS
