/* msc-mutf7.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-mutf7"

#include "config.h"

#include <string.h>

#include "msc-mutf7.h"

/* RFC 3501 §5.1.3: base64 (RFC 2045) with "," for "/" and no "=" padding.
 * GLib's g_base64_decode() skips characters outside its alphabet and
 * ignores padding bits, which is right for MIME and wrong here: a strict
 * decoder must see every character and every bit, so the 6-bit groups are
 * read by hand. */
static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

G_DEFINE_QUARK (msc-mutf7-error-quark, msc_mutf7_error)

static inline gboolean
is_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

static int
base64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == ',')
    return 63;
  return -1;
}

static void
append_run (GString         *out,
            const gunichar2 *units,
            glong            n_units)
{
  guint32 bits = 0;
  guint n_bits = 0;

  g_string_append_c (out, '&');
  for (glong i = 0; i < n_units; i++)
    {
      bits = (bits << 16) | units[i];
      n_bits += 16;
      while (n_bits >= 6)
        {
          n_bits -= 6;
          g_string_append_c (out, alphabet[(bits >> n_bits) & 0x3f]);
        }
      /* Keep only the bits not written yet, so the next shift fits. */
      bits &= (1u << n_bits) - 1;
    }
  if (n_bits > 0)
    g_string_append_c (out, alphabet[(bits << (6 - n_bits)) & 0x3f]);
  g_string_append_c (out, '-');
}

char *
msc_mutf7_encode (const char  *utf8,
                  GError     **error)
{
  g_autoptr (GString) out = NULL;
  const char *p;

  g_return_val_if_fail (utf8 != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (utf8, -1, NULL))
    {
      g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_INVALID_UTF8,
                           "The name is not valid UTF-8");
      return NULL;
    }

  out = g_string_new (NULL);
  p = utf8;
  while (*p != '\0')
    {
      const char *start = p;
      g_autofree gunichar2 *units = NULL;
      glong n_units = 0;

      if (is_direct ((guchar) *p))
        {
          g_string_append_c (out, *p);
          if (*p == '&')
            g_string_append_c (out, '-');
          p++;
          continue;
        }

      /* One run for all the characters up to the next printable ASCII:
       * two runs back to back would not be canonical. */
      while (*p != '\0' && !is_direct ((guchar) *p))
        p = g_utf8_next_char (p);

      units = g_utf8_to_utf16 (start, p - start, NULL, &n_units, NULL);
      g_assert (units != NULL);
      append_run (out, units, n_units);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* @run is the text between "&" and "-", at least one character. */
static gboolean
decode_run (GString     *out,
            const char  *run,
            gsize        len,
            GError     **error)
{
  g_autofree gunichar2 *units = g_new (gunichar2, len * 6 / 16 + 1);
  gsize n_units = 0;
  guint32 bits = 0;
  guint n_bits = 0;

  for (gsize i = 0; i < len; i++)
    {
      bits = (bits << 6) | (guint32) base64_value (run[i]);
      n_bits += 6;
      if (n_bits >= 16)
        {
          n_bits -= 16;
          units[n_units++] = (bits >> n_bits) & 0xffff;
          bits &= (1u << n_bits) - 1;
        }
    }

  /* The encoder writes the fewest characters that hold whole units, so
   * what is left is less than one character, and zero. */
  if (n_bits >= 6)
    {
      g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_BAD_BASE64,
                           "A base64 run does not hold whole UTF-16 units");
      return FALSE;
    }
  if (bits != 0)
    {
      g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_NOT_CANONICAL,
                           "A base64 run ends with padding bits that are not zero");
      return FALSE;
    }

  for (gsize i = 0; i < n_units; i++)
    {
      gunichar c = units[i];

      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n_units
          && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff)
        {
          c = 0x10000 + ((c - 0xd800) << 10) + (units[i + 1] - 0xdc00);
          i++;
        }
      else if (c >= 0xd800 && c <= 0xdfff)
        {
          g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_BAD_UTF16,
                               "A base64 run holds a lone UTF-16 surrogate");
          return FALSE;
        }

      if (c == 0)
        {
          g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_INVALID_CHAR,
                               "The name holds U+0000");
          return FALSE;
        }
      if (is_direct (c))
        {
          g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_NOT_CANONICAL,
                               "Printable US-ASCII must not be written in base64");
          return FALSE;
        }

      g_string_append_unichar (out, c);
    }

  return TRUE;
}

char *
msc_mutf7_decode (const char  *mutf7,
                  GError     **error)
{
  g_autoptr (GString) out = NULL;
  gboolean after_run = FALSE;
  const char *p;

  g_return_val_if_fail (mutf7 != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  out = g_string_new (NULL);
  p = mutf7;
  while (*p != '\0')
    {
      const char *end;

      if (!is_direct ((guchar) *p))
        {
          g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_INVALID_CHAR,
                               "Modified UTF-7 holds only printable US-ASCII");
          return NULL;
        }

      if (*p != '&')
        {
          g_string_append_c (out, *p++);
          after_run = FALSE;
          continue;
        }

      end = p + 1;
      while (base64_value (*end) >= 0)
        end++;

      if (*end == '\0')
        {
          g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_UNTERMINATED,
                               "A base64 run is not closed by \"-\"");
          return NULL;
        }
      if (*end != '-')
        {
          if (!is_direct ((guchar) *end))
            g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_INVALID_CHAR,
                                 "Modified UTF-7 holds only printable US-ASCII");
          else
            g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_BAD_BASE64,
                                 "A base64 run holds a character outside modified base64");
          return NULL;
        }

      if (end == p + 1)
        {
          /* "&-" is "&" itself. */
          g_string_append_c (out, '&');
          after_run = FALSE;
        }
      else
        {
          if (after_run)
            {
              g_set_error_literal (error, MSC_MUTF7_ERROR, MSC_MUTF7_ERROR_NOT_CANONICAL,
                                   "Two base64 runs back to back must be one");
              return NULL;
            }
          if (!decode_run (out, p + 1, end - (p + 1), error))
            return NULL;
          after_run = TRUE;
        }

      p = end + 1;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}
