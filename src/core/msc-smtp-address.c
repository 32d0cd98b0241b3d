/* msc-smtp-address.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-smtp-address"

#include "config.h"

#include <string.h>

#include "msc-smtp-address.h"

/* One copy of the grammar for both engines, so that what the client
 * sends and what the server accepts cannot drift apart. */

gboolean
msc_smtp_address_is_utf8_non_ascii (char c)
{
  return (guchar) c >= 0x80;
}

static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) ||
         (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL) ||
         msc_smtp_address_is_utf8_non_ascii (c);
}

static gboolean
skip_domain (const char **pp)
{
  const char *p = *pp;

  for (;;)
    {
      const char *label = p;

      while (g_ascii_isalnum (*p) || *p == '-' || msc_smtp_address_is_utf8_non_ascii (*p))
        p++;

      if (p == label || *label == '-' || p[-1] == '-')
        return FALSE;
      if (*p != '.')
        break;
      p++;
    }

  *pp = p;
  return TRUE;
}

gboolean
msc_smtp_address_skip_domain (const char **pp)
{
  g_return_val_if_fail (pp != NULL && *pp != NULL, FALSE);

  return skip_domain (pp);
}

/* "[" 1*dcontent "]": IPv4, "IPv6:…" or a General-address-literal.  What
 * is inside is not checked further (that is the directory's business on
 * the server); the dcontent range alone keeps out spaces, brackets and
 * control characters. */
static gboolean
skip_address_literal (const char **pp)
{
  const char *p = *pp;

  if (*p++ != '[' || *p == ']')
    return FALSE;
  while ((*p >= 33 && *p <= 90) || (*p >= 94 && *p <= 126))
    p++;
  if (*p++ != ']')
    return FALSE;

  *pp = p;
  return TRUE;
}

/* Local-part = Dot-string / Quoted-string */
static gboolean
skip_local_part (const char **pp)
{
  const char *p = *pp;

  if (*p == '"')
    {
      for (p++; *p != '"'; p++)
        {
          if (*p == '\\' && p[1] >= 32 && p[1] <= 126)
            p++;
          else if (!((*p >= 32 && *p <= 33) || (*p >= 35 && *p <= 91) ||
                     (*p >= 93 && *p <= 126) || msc_smtp_address_is_utf8_non_ascii (*p)))
            return FALSE;
        }
      p++;
    }
  else
    {
      for (;;)
        {
          const char *atom = p;

          while (is_atext (*p))
            p++;
          if (p == atom)
            return FALSE;
          if (*p != '.')
            break;
          p++;
        }
    }

  *pp = p;
  return TRUE;
}

static gboolean
skip_mailbox (const char **pp,
              gboolean     allow_postmaster,
              const char **at)
{
  const char *start = *pp;
  const char *p = start;

  if (!skip_local_part (&p))
    return FALSE;

  if (*p == '@')
    {
      const char *sign = p++;

      if (!(*p == '[' ? skip_address_literal (&p) : skip_domain (&p)))
        return FALSE;
      if (at != NULL)
        *at = sign;
    }
  else if (!allow_postmaster || (gsize) (p - start) != strlen ("postmaster") ||
           g_ascii_strncasecmp (start, "postmaster", p - start) != 0)
    {
      /* RFC 5321 §4.1.1.3: only <Postmaster> may come without a domain. */
      return FALSE;
    }
  else if (at != NULL)
    {
      *at = NULL;
    }

  *pp = p;
  return TRUE;
}

gboolean
msc_smtp_address_skip_mailbox (const char **pp,
                               gboolean     allow_postmaster,
                               const char **at)
{
  g_return_val_if_fail (pp != NULL && *pp != NULL, FALSE);

  return skip_mailbox (pp, allow_postmaster, at);
}

gboolean
msc_smtp_address_is_valid_mailbox (const char *address,
                                   gboolean    allow_postmaster)
{
  const char *p = address;

  g_return_val_if_fail (address != NULL, FALSE);

  /* Nothing may follow the mailbox: anything after it would end up on
   * the command line after the address. */
  return g_utf8_validate (address, -1, NULL) &&
         skip_mailbox (&p, allow_postmaster, NULL) &&
         *p == '\0';
}

/* Labels are not checked further: real clients send bare host names (and
 * Windows ones with '_'), and RFC 5321 §4.1.4 forbids refusing a session
 * over a doubtful name.  What matters is that it cannot break the command
 * line it goes into, nor the Received field the server writes it in. */
gboolean
msc_smtp_address_is_valid_helo (const char *name)
{
  const char *p = name;

  g_return_val_if_fail (name != NULL, FALSE);

  if (*p == '[')
    return skip_address_literal (&p) && *p == '\0';

  for (; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
        return FALSE;
    }

  return p != name;
}
