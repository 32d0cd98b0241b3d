/* test-password.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "msc-password.h"

/* Few rounds: the tests check the format and the logic, not the cost. */
#define TEST_ITERATIONS 1000

static void
test_verify (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;

  hash = msc_password_hash ("secret", TEST_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hash);

  g_assert_true (msc_password_verify ("secret", hash, &error));
  g_assert_no_error (error);

  g_assert_false (msc_password_verify ("Secret", hash, &error));
  g_assert_no_error (error);
  g_assert_false (msc_password_verify ("secret ", hash, &error));
  g_assert_no_error (error);
  g_assert_false (msc_password_verify ("", hash, &error));
  g_assert_no_error (error);
}

static void
test_salt (void)
{
  g_autofree char *a = msc_password_hash ("same password", TEST_ITERATIONS, NULL);
  g_autofree char *b = msc_password_hash ("same password", TEST_ITERATIONS, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (msc_password_verify ("same password", a, NULL));
  g_assert_true (msc_password_verify ("same password", b, NULL));
}

static void
test_format (void)
{
  g_autofree char *hash = msc_password_hash ("x", TEST_ITERATIONS, NULL);
  g_auto (GStrv) parts = NULL;

  g_assert_true (g_str_has_prefix (hash, "$pbkdf2-sha256$i=1000$"));
  parts = g_strsplit (hash, "$", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 5);
  /* 16 bytes of salt and 32 of hash, base64 without padding. */
  g_assert_cmpuint (strlen (parts[3]), ==, 22);
  g_assert_cmpuint (strlen (parts[4]), ==, 43);
  g_assert_null (strchr (parts[3], '='));
  g_assert_null (strchr (parts[4], '='));
  g_assert_true (msc_password_hash_is_valid (hash));
}

static void
test_default_iterations (void)
{
  g_autofree char *hash = msc_password_hash ("x", 0, NULL);
  g_autofree char *prefix = g_strdup_printf ("$pbkdf2-sha256$i=%u$",
                                             MSC_PASSWORD_DEFAULT_ITERATIONS);

  g_assert_true (g_str_has_prefix (hash, prefix));
  g_assert_true (msc_password_verify ("x", hash, NULL));
}

/* Hashes made by Python's hashlib.pbkdf2_hmac: the format is not ours
 * alone, and OpenSSL's PBKDF2 agrees with another implementation. */
static void
test_known_vectors (void)
{
  const char *ascii = "$pbkdf2-sha256$i=1000$bWFpbHNjb3BlLXNhbHQxNg$"
                      "THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98";
  const char *chinese = "$pbkdf2-sha256$i=2000$MDEyMzQ1Njc4OWFiY2RlZg$"
                        "v5ZNJtjCbDWvr9nYXZC2TaKtz2TtGdRtAh6ifgzbSIw";

  g_assert_true (msc_password_verify ("correct horse battery staple", ascii, NULL));
  g_assert_false (msc_password_verify ("correct horse battery stapler", ascii, NULL));
  g_assert_true (msc_password_verify ("密码", chinese, NULL));
  g_assert_false (msc_password_verify ("密碼", chinese, NULL));
}

static void
test_utf8 (void)
{
  g_autofree char *hash = msc_password_hash ("密码123", TEST_ITERATIONS, NULL);

  g_assert_true (msc_password_verify ("密码123", hash, NULL));
  g_assert_false (msc_password_verify ("密码12", hash, NULL));
}

static void
test_invalid_hash (void)
{
  static const char * const bad[] = {
    "",
    "secret",
    "$pbkdf2-sha256$",
    "$pbkdf2-sha256$i=1000$$",
    "$pbkdf2-sha256$i=1000$bWFpbHNjb3BlLXNhbHQxNg$",
    "$pbkdf2-sha256$i=0$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=999$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=99999999999$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=-1$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=1000$!!!!$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=1000$bWFp$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=1000$bWFpbHNjb3BlLXNhbHQxNg$THSB4",
    "$pbkdf2-sha512$i=1000$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$i=1000$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98$",
    "pbkdf2-sha256$i=1000$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
    "$pbkdf2-sha256$iter=1000$bWFpbHNjb3BlLXNhbHQxNg$THSB4QhIXLwmU3FVwzjufWbhEx0Fx8dRJTuTkxF+h98",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_test_message ("hash: %s", bad[i]);
      g_assert_false (msc_password_verify ("secret", bad[i], &error));
      g_assert_error (error, MSC_PASSWORD_ERROR, MSC_PASSWORD_ERROR_INVALID_HASH);
      g_assert_false (msc_password_hash_is_valid (bad[i]));
    }
}

static void
test_invalid_iterations (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;

  hash = msc_password_hash ("x", 10, &error);
  g_assert_null (hash);
  g_assert_error (error, MSC_PASSWORD_ERROR, MSC_PASSWORD_ERROR_INVALID_ITERATIONS);
  g_assert_nonnull (error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/msc/password/verify", test_verify);
  g_test_add_func ("/msc/password/salt", test_salt);
  g_test_add_func ("/msc/password/format", test_format);
  g_test_add_func ("/msc/password/default-iterations", test_default_iterations);
  g_test_add_func ("/msc/password/known-vectors", test_known_vectors);
  g_test_add_func ("/msc/password/utf8", test_utf8);
  g_test_add_func ("/msc/password/invalid-hash", test_invalid_hash);
  g_test_add_func ("/msc/password/invalid-iterations", test_invalid_iterations);

  return g_test_run ();
}
