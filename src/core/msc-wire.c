/* msc-wire.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "msc-wire.h"

void
msc_wire_free_secret (char *secret)
{
  if (secret == NULL)
    return;

  memset (secret, 0, strlen (secret));
  g_free (secret);
}

char *
msc_wire_display_string (const guint8 *data,
                         gsize         len)
{
  g_autoptr(GString) string = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if ((data[i] < 0x20 && data[i] != '\t') || data[i] == 0x7f)
        g_string_append (string, "\xEF\xBF\xBD");
      else
        g_string_append_c (string, data[i]);
    }

  return g_utf8_make_valid (string->str, string->len);
}

gboolean
msc_wire_decode_base64_strict (const char  *text,
                               guchar     **out,
                               gsize       *out_len)
{
  gsize len;
  gsize padding = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL && out_len != NULL, FALSE);

  len = strlen (text);
  if (len == 0)
    {
      *out = (guchar *) g_strdup ("");
      *out_len = 0;
      return TRUE;
    }

  if (len % 4 != 0)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '=')
        {
          if (i < len - 2)
            return FALSE;
          padding++;
        }
      else if (padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        {
          return FALSE;
        }
    }

  *out = g_base64_decode (text, out_len);
  return TRUE;
}

gboolean
msc_wire_has_control_chars (const guint8 *data,
                            gsize         len)
{
  for (gsize i = 0; i < len; i++)
    {
      if ((data[i] < 0x20 && data[i] != '\t') || data[i] == 0x7f)
        return TRUE;
    }

  return FALSE;
}

gboolean
msc_wire_is_word (const char *text)
{
  if (*text == '\0')
    return FALSE;

  for (; *text != '\0'; text++)
    {
      if (!g_ascii_isalpha (*text))
        return FALSE;
    }

  return TRUE;
}
