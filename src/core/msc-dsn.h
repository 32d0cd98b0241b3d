/* msc-dsn.h — delivery status notifications (RFC 3464): the bounce an
 * MTA sends back when it cannot deliver, built and read
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSC_DSN_ERROR (msc_dsn_error_quark ())

typedef enum
{
  MSC_DSN_ERROR_INVALID,       /* msc_dsn_build(): the report cannot be written as given */
  MSC_DSN_ERROR_NOT_A_REPORT,  /* msc_dsn_parse(): not a multipart/report with a delivery-status part */
  MSC_DSN_ERROR_MALFORMED,     /* msc_dsn_parse(): the delivery-status part breaks RFC 3464 */
} MscDsnError;

/* One recipient the notification is about.  Strings are UTF-8. */
typedef struct
{
  const char *address;            /* the recipient, without <>: an RFC 5321/6531 Mailbox */
  gboolean    failed;             /* TRUE: Action: failed; FALSE: delayed */
  const char *status;             /* RFC 3463 "5.1.1"; failed: class 4 (given up
                                   * after retrying) or 5; delayed: class 4 */
  guint       reply_code;         /* the SMTP reply, 0 when none came (e.g. no connection) */
  const char *diagnostic;         /* the reply's text after the code, as sent (its
                                   * enhanced status code included); or why there
                                   * was no reply ("connect to mx.example: Connection
                                   * refused"); or NULL */
  const char *remote_mta;         /* the host that answered, or NULL */
  GDateTime  *last_attempt_date;  /* or NULL */
  GDateTime  *will_retry_until;   /* delayed only, or NULL */
} MscDsnRecipient;

typedef struct
{
  const char            *reporting_mta;  /* our host name (or address literal) */
  const char            *sender;         /* the original reverse-path: the DSN's To */
  GBytes                *original;       /* the message as it was queued, or NULL to return none */
  gboolean               headers_only;   /* return only its header (text/rfc822-headers) */
  GDateTime             *arrival_date;   /* or NULL */
  GDateTime             *date;           /* now: never read a clock here (lessons run in virtual time) */
  const char            *message_id;     /* for the DSN itself, without <>; NULL: made from date+host */
  const MscDsnRecipient *recipients;
  guint                  n_recipients;
} MscDsnReport;

GQuark   msc_dsn_error_quark (void);

/* The notification as a complete message: RFC 5322 text, CRLF line ends,
 * no line over 998 octets, ready for msc_mail_store_deliver() to
 * @report->sender.  A multipart/report; report-type=delivery-status
 * (RFC 6522) of three parts: a text/plain explanation for people (in the
 * current locale, UTF-8), the message/delivery-status for programs, and
 * the original, whole as message/rfc822 or its header as
 * text/rfc822-headers.
 *
 * The output depends only on @report, so a lesson gives the same bytes
 * every time: the boundary and a missing Message-ID are derived from it.
 *
 * The delivery-status part is 7-bit: a non-ASCII address is written as
 * "utf-8; " with \x{HEX} escapes (RFC 6533 §3, utf-8-addr-xtext), and a
 * non-ASCII character in a diagnostic becomes "?" there (the text part
 * keeps it).  An original that cannot travel as message/rfc822 unchanged
 * (a line over 998 octets, a NUL) is returned as its header only.
 *
 * Fails with MSC_DSN_ERROR_INVALID when the report breaks a rule: no
 * sender (a bounce is never sent for a null reverse-path, RFC 5321
 * §4.5.5), no recipients, an address or host name that is not one, a
 * status that is not RFC 3463 syntax or does not match the action. */
GBytes  *msc_dsn_build       (const MscDsnReport  *report,
                              GError             **error);

/* One per-recipient group of a delivery-status part, as read. */
typedef struct
{
  char *address;     /* Final-Recipient (else Original-Recipient), without
                      * its type and <>; utf-8-addr-xtext decoded */
  char *action;      /* lower case: "failed", "delayed", "delivered", … */
  char *status;      /* "5.1.1" */
  char *diagnostic;  /* Diagnostic-Code without its type ("550 5.1.1 …"), unfolded; or NULL */
  char *remote_mta;  /* Remote-MTA without its type, or NULL */
} MscDsnResult;

void     msc_dsn_result_free (MscDsnResult        *result);

/* Whether @message is a delivery status notification, and what it says:
 * a multipart/report (report-type delivery-status, or none given) whose
 * own parts include a message/delivery-status (or RFC 6533
 * message/global-delivery-status).  A report returned inside it is not
 * looked into.  Line ends may be CRLF or LF; the delivery-status part
 * may be base64 or quoted-printable, though RFC 3464 says it should not.
 *
 * On success sets *@out_reporting_mta (the host, without "dns;") and
 * *@out_results (of MscDsnResult, at least one), either may be NULL.
 * Never crashes on bad input: fails with MSC_DSN_ERROR_NOT_A_REPORT, or
 * MSC_DSN_ERROR_MALFORMED naming what is wrong. */
gboolean msc_dsn_parse       (GBytes              *message,
                              char               **out_reporting_mta,
                              GPtrArray          **out_results,
                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscDsnResult, msc_dsn_result_free)

G_END_DECLS
