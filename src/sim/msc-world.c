/* msc-world.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-world"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gmime/gmime.h>

#include "msc-certs.h"
#include "msc-dsn.h"
#include "msc-imap-client.h"
#include "msc-link.h"
#include "msc-pop3-client.h"
#include "msc-smtp-client.h"
#include "msc-world.h"

/* A fixed Monday morning (2026-03-02 09:00 in Beijing, 01:00 UTC), so the
 * dates in every message are the same on every run. */
#define DEFAULT_START_USEC (G_GINT64_CONSTANT (1772413200) * G_USEC_PER_SEC)
/* A world that has not settled after this many scheduled items is stuck
 * in a loop: stop and say so. */
#define MAX_ITEMS_PER_STEP G_GUINT64_CONSTANT (50000000)
/* Relaying: RFC 5321 §4.5.4.1 asks for at least 30 minutes between tries
 * and days before giving up; a lesson compresses that. */
#define RETRY_FIRST_USEC (5 * 60 * G_USEC_PER_SEC)
#define MAX_ATTEMPTS 5
/* Logins cost PBKDF2 at full strength; nobody attacks a lesson. */
#define LESSON_PASSWORD_ITERATIONS 1000

typedef struct _Server Server;
typedef struct _Device Device;

/* Mail a server accepted for other domains, until delivered or bounced. */
typedef struct
{
  Server     *server;
  char       *reverse_path;
  GPtrArray  *pending;      /* of char *: recipients not yet delivered or failed */
  GPtrArray  *failed;       /* of MscDsnRecipient, owned strings */
  GBytes     *message;
  gint64      arrival;
  guint       attempts;
  /* The attempt running: one domain at a time. */
  GPtrArray  *group;        /* of char *: this domain's recipients */
  GPtrArray  *retry;        /* of char *: to try again later */
  char       *last_error;   /* why the last try did not get through */
  char       *last_mta;
} Outbound;

struct _Server
{
  MscWorld        *world;
  MscLessonServer *conf;
  MscMailStore    *store;
  MscLinkServer    link_server;
  X509            *certificate;
  EVP_PKEY        *key;
  guint            failures_left;
  GQueue           outbound;   /* of Outbound */
  gboolean         wake_pending;
};

/* What the user asked a device to do, kept until it can be done. */
typedef struct
{
  MscLessonActionKind  kind;
  char                *message;  /* the lesson's message id */
  char                *folder;
  GBytes              *data;     /* send: the composed message */
  char                *step;     /* send: the step id, for the message's name */
  GStrv                to;
} Action;

struct _Device
{
  MscWorld             *world;
  MscLessonDevice      *conf;
  MscIncomingProtocol   incoming;
  guint                 incoming_port;
  MscDeviceStore       *store;
  char                 *address;     /* its IP */
  gboolean              online;
  MscLink              *incoming_link;   /* a POP3 check or an IMAP session, while open */
  gboolean              reconnect;       /* IMAP: a new session once this one has ended */
  GQueue                waiting;         /* of Action: offline, or until the session ends */
  GPtrArray            *imap_actions;    /* of Action: given to the next IMAP session */
  guint                 poll_timer;
  guint                 n_sent;
};

struct _MscWorld
{
  GObject parent_instance;

  MscLesson     *lesson;
  MscClock      *clock;
  MscTrace      *trace;
  MscCertStore  *certs;
  char          *cert_dir;
  GPtrArray     *servers;   /* of Server */
  GPtrArray     *devices;   /* of Device */
  GPtrArray     *links;     /* open links, referenced */
  GHashTable    *message_ids;  /* lesson message id → Message-ID (without <>) */
  GHashTable    *senders;      /* send step id → Device: whose outgoing mail it is */
  guint          next_step;
  gboolean       disposing;   /* links closing now start nothing new */
};

G_DEFINE_FINAL_TYPE (MscWorld, msc_world, G_TYPE_OBJECT)

G_DEFINE_QUARK (msc-world-error-quark, msc_world_error)

static void device_run (Device *device, Action *action);
static void outbound_attempt (Outbound *item);

/* ---- Small things ---- */

static void
action_free (Action *action)
{
  g_free (action->message);
  g_free (action->folder);
  g_clear_pointer (&action->data, g_bytes_unref);
  g_free (action->step);
  g_strfreev (action->to);
  g_free (action);
}

static void
dsn_recipient_free (MscDsnRecipient *recipient)
{
  g_free ((char *) recipient->address);
  g_free ((char *) recipient->status);
  g_free ((char *) recipient->diagnostic);
  g_free ((char *) recipient->remote_mta);
  g_clear_pointer (&recipient->last_attempt_date, g_date_time_unref);
  g_free (recipient);
}

static void
outbound_free (Outbound *item)
{
  g_free (item->reverse_path);
  g_ptr_array_unref (item->pending);
  g_ptr_array_unref (item->failed);
  g_clear_pointer (&item->group, g_ptr_array_unref);
  g_clear_pointer (&item->retry, g_ptr_array_unref);
  g_bytes_unref (item->message);
  g_free (item->last_error);
  g_free (item->last_mta);
  g_free (item);
}

void
msc_world_cell_clear (MscWorldCell *cell)
{
  g_clear_pointer (&cell->folder, g_free);
  cell->presence = MSC_LESSON_PRESENCE_ABSENT;
  cell->complete = FALSE;
}

static const char *
domain_of (const char *address)
{
  const char *at = strrchr (address, '@');

  return at != NULL ? at + 1 : "";
}

static void
record (MscWorld      *self,
        MscTraceEvent *event)
{
  msc_trace_event_set_time (event, msc_clock_get_now (self->clock));
  msc_trace_append (self->trace, event);
}

static void
record_note (MscWorld    *self,
             MscProtocol  protocol,
             const char  *from,
             const char  *to,
             const char  *key,
             const char  *text)
{
  g_autoptr(MscTraceEvent) event = msc_trace_event_new (MSC_TRACE_KIND_NOTE, protocol, from, to, text);

  if (key != NULL)
    msc_trace_event_set_explanation_key (event, key);
  record (self, event);
}

/* The value of header field @name in @data (unfolded, RFC 2047 decoded),
 * or NULL.  Only the header is read: this runs over every copy of every
 * message when the end state is drawn. */
static char *
header_value (GBytes     *data,
              const char *name)
{
  gsize size;
  const char *text = g_bytes_get_data (data, &size);
  const char *end = text + size;
  gsize name_len = strlen (name);
  const char *line = text;

  while (line < end)
    {
      const char *eol = memchr (line, '\n', end - line);
      const char *next = eol != NULL ? eol + 1 : end;
      gsize len = (eol != NULL ? eol : end) - line;

      if (len == 0 || (len == 1 && line[0] == '\r'))
        break;
      if (len > name_len && line[name_len] == ':' &&
          g_ascii_strncasecmp (line, name, name_len) == 0)
        {
          g_autoptr(GString) value = g_string_new_len (line + name_len + 1, len - name_len - 1);

          /* Continuation lines begin with white space. */
          while (next < end && (*next == ' ' || *next == '\t'))
            {
              const char *ceol = memchr (next, '\n', end - next);
              const char *cnext = ceol != NULL ? ceol + 1 : end;

              g_string_append_len (value, next, (ceol != NULL ? ceol : end) - next);
              next = cnext;
            }
          g_strdelimit (value->str, "\r\n", ' ');
          return g_strstrip (g_mime_utils_header_decode_text (NULL, value->str));
        }
      line = next;
    }

  return NULL;
}

static char *
message_id_of (GBytes *data)
{
  g_autofree char *value = header_value (data, "Message-ID");
  char *start;
  char *stop;

  if (value == NULL)
    return NULL;
  start = strchr (value, '<');
  stop = start != NULL ? strchr (start, '>') : NULL;
  if (start == NULL || stop == NULL)
    return g_strdup (g_strstrip (value));

  return g_strndup (start + 1, stop - start - 1);
}

static char *
describe_message (GBytes *data)
{
  g_autofree char *subject = header_value (data, "Subject");

  if (subject == NULL || *subject == '\0')
    return g_strdup (_("(no subject)"));

  /* Translators: a message named by its subject, in quotes. */
  return g_strdup_printf (_("“%s”"), subject);
}

/* RFC 5322 text from the lesson's words, with GMime doing the encodings
 * (RFC 2047 for a Chinese subject, a transfer encoding for the body). */
static GBytes *
compose (const char         *from,
         const char * const *to,
         const char         *subject,
         const char         *body,
         GDateTime          *date,
         const char         *message_id)
{
  g_autoptr(GObject) message_object = NULL;
  g_autoptr(GObject) part_object = NULL;
  GMimeMessage *message = g_mime_message_new (TRUE);
  GMimeTextPart *part = g_mime_text_part_new_with_subtype ("plain");
  g_autoptr(GString) text = g_string_new (body);
  GMimeFormatOptions *options = g_mime_format_options_new ();
  char *serialized;
  GBytes *bytes;

  {
    InternetAddressList *list = internet_address_list_parse (NULL, from);

    if (list != NULL)
      {
        internet_address_list_append (g_mime_message_get_from (message), list);
        g_object_unref (list);
      }
  }
  for (guint i = 0; to[i] != NULL; i++)
    {
      InternetAddressList *list = internet_address_list_parse (NULL, to[i]);

      if (list != NULL)
        {
          internet_address_list_append (g_mime_message_get_to (message), list);
          g_object_unref (list);
        }
    }
  g_mime_message_set_subject (message, subject, "utf-8");
  g_mime_message_set_date (message, date);
  g_mime_message_set_message_id (message, message_id);

  if (text->len == 0 || text->str[text->len - 1] != '\n')
    g_string_append_c (text, '\n');
  g_mime_text_part_set_text (part, text->str);
  g_mime_part_set_content_encoding (GMIME_PART (part),
                                    g_mime_part_get_best_content_encoding (GMIME_PART (part),
                                                                           GMIME_ENCODING_CONSTRAINT_7BIT));
  g_mime_message_set_mime_part (message, GMIME_OBJECT (part));

  /* GMime 3.2 defines no autoptr for its types. */
  message_object = G_OBJECT (message);
  part_object = G_OBJECT (part);
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  serialized = g_mime_object_to_string (GMIME_OBJECT (message), options);
  g_mime_format_options_free (options);
  bytes = g_bytes_new_take (serialized, strlen (serialized));

  return bytes;
}

static GDateTime *
now_as_date (MscWorld *self)
{
  return g_date_time_new_from_unix_utc (msc_clock_get_now (self->clock) / G_USEC_PER_SEC);
}

static Server *
find_server (MscWorld   *self,
             const char *hostname)
{
  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = g_ptr_array_index (self->servers, i);

      if (g_ascii_strcasecmp (server->conf->hostname, hostname) == 0)
        return server;
    }

  return NULL;
}

static Server *
find_server_for_domain (MscWorld   *self,
                        const char *domain)
{
  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = g_ptr_array_index (self->servers, i);

      for (guint j = 0; server->conf->domains[j] != NULL; j++)
        if (g_ascii_strcasecmp (server->conf->domains[j], domain) == 0)
          return server;
    }

  return NULL;
}

static Device *
find_device (MscWorld   *self,
             const char *id)
{
  for (guint i = 0; i < self->devices->len; i++)
    {
      Device *device = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (device->conf->id, id) == 0)
        return device;
    }

  return NULL;
}

/* ---- DNS ---- */

/* The resolver every host asks; each question and answer is a trace
 * event, so relaying shows where a domain's mail goes. */
static void
record_dns (MscWorld   *self,
            const char *asker,
            const char *key,
            const char *text)
{
  g_autoptr(MscTraceEvent) event = msc_trace_event_new (MSC_TRACE_KIND_DNS, MSC_PROTOCOL_DNS,
                                                        asker, "DNS", text);

  msc_trace_event_set_explanation_key (event, key);
  record (self, event);
}

static Server *
dns_lookup_mx (MscWorld   *self,
               const char *asker,
               const char *domain)
{
  Server *server = find_server_for_domain (self, domain);
  g_autofree char *text = NULL;

  if (server != NULL)
    /* Translators: a DNS question and its answer: the MX record of a domain. */
    text = g_strdup_printf (_("MX of %s? → 10 %s"), domain, server->conf->hostname);
  else
    text = g_strdup_printf (_("MX of %s? → no such domain (NXDOMAIN)"), domain);
  record_dns (self, asker, server != NULL ? "dns.mx" : "dns.nxdomain", text);

  return server;
}

static Server *
dns_lookup_a (MscWorld   *self,
              const char *asker,
              const char *hostname)
{
  Server *server = find_server (self, hostname);
  g_autofree char *text = NULL;

  if (server != NULL)
    /* Translators: a DNS question and its answer: the address of a host. */
    text = g_strdup_printf (_("Address of %s? → %s"), hostname, server->conf->address);
  else
    text = g_strdup_printf (_("Address of %s? → no such host (NXDOMAIN)"), hostname);
  record_dns (self, asker, server != NULL ? "dns.a" : "dns.nxdomain", text);

  return server;
}

/* ---- Links ---- */

static const MscService *
service_for_port (Server   *server,
                  guint     port,
                  gboolean *implicit_tls,
                  const char **label)
{
  int service = msc_sim_service_from_port (port);

  *implicit_tls = FALSE;
  *label = NULL;
  if (server == NULL || service < 0 || (server->conf->services & (1u << service)) == 0)
    return NULL;

  *label = msc_sim_service_get_name (service);
  switch ((MscSimService) service)
    {
    case MSC_SIM_SERVICE_SMTP:
      return &msc_smtp_mx_service;
    case MSC_SIM_SERVICE_SUBMISSIONS:
      *implicit_tls = TRUE;
      return &msc_smtp_submission_service;
    case MSC_SIM_SERVICE_SUBMISSION:
      return &msc_smtp_submission_service;
    case MSC_SIM_SERVICE_IMAPS:
      *implicit_tls = TRUE;
      return &msc_imap_service;
    case MSC_SIM_SERVICE_IMAP:
      return &msc_imap_service;
    case MSC_SIM_SERVICE_POP3S:
      *implicit_tls = TRUE;
      return &msc_pop3_service;
    case MSC_SIM_SERVICE_POP3:
      return &msc_pop3_service;
    case MSC_SIM_N_SERVICES:
    default:
      return NULL;
    }
}

static void
on_link_closed_forget (MscWorld *self,
                       MscLink  *link)
{
  g_ptr_array_remove_fast (self->links, link);
}

/* Opens a connection from @client_name to @hostname:@port; DNS first. */
static MscLink *
open_link (MscWorld               *self,
           const char             *client_name,
           const char             *client_address,
           const char             *hostname,
           guint                   port,
           gint64                  latency_usec,
           const MscLinkClientOps *ops,
           GObject                *engine,
           MscLinkClosedFunc       closed,
           gpointer                user_data)
{
  Server *server = dns_lookup_a (self, client_name, hostname);
  gboolean implicit_tls = FALSE;
  const char *label = NULL;
  const MscService *service = service_for_port (server, port, &implicit_tls, &label);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  MscLinkConfig config = {
    .clock = self->clock,
    .trace = self->trace,
    .latency_usec = latency_usec,
    .client_name = client_name,
    .client_address = client_address,
    .server_name = hostname,
    .port = port,
    .label = label != NULL ? label : port_text,
    .implicit_tls = implicit_tls,
    .service = service,
    .server = server != NULL ? &server->link_server : NULL,
    .client_ops = ops,
    .client_engine = engine,
    .ca = msc_cert_store_get_ca (self->certs),
    .closed = closed,
    .user_data = user_data,
  };
  MscLink *link = msc_link_open (&config);

  g_ptr_array_add (self->links, link);
  return link;
}

/* ---- The client engines' faces ---- */

#define CLIENT_OPS(prefix, Type, TYPE)                                          \
  static void prefix##_start (GObject *e) { msc_##prefix##_start (MSC_##TYPE (e)); } \
  static gboolean prefix##_feed (GObject *e, const guint8 *d, gsize n, GError **error) \
  { return msc_##prefix##_feed (MSC_##TYPE (e), d, n, error); }                  \
  static GBytes *prefix##_take_output (GObject *e) { return msc_##prefix##_take_output (MSC_##TYPE (e)); } \
  static gboolean prefix##_is_closed (GObject *e) { return msc_##prefix##_is_closed (MSC_##TYPE (e)); } \
  static void prefix##_set_now (GObject *e, gint64 now) { msc_##prefix##_set_now (MSC_##TYPE (e), now); } \
  static gint64 prefix##_get_deadline (GObject *e) { return msc_##prefix##_get_deadline (MSC_##TYPE (e)); } \
  static gboolean prefix##_check_timeout (GObject *e) { return msc_##prefix##_check_timeout (MSC_##TYPE (e)); } \
  static void prefix##_tls_started (GObject *e) { msc_##prefix##_tls_started (MSC_##TYPE (e)); }

CLIENT_OPS (smtp_client, SmtpClient, SMTP_CLIENT)
CLIENT_OPS (pop3_client, Pop3Client, POP3_CLIENT)
CLIENT_OPS (imap_client, ImapClient, IMAP_CLIENT)

static gboolean
pop3_client_peer_closed (GObject  *engine,
                         GError  **error)
{
  return msc_pop3_client_peer_closed (MSC_POP3_CLIENT (engine), error);
}

static gboolean
imap_client_peer_closed (GObject  *engine,
                         GError  **error)
{
  return msc_imap_client_peer_closed (MSC_IMAP_CLIENT (engine), error);
}

#define CLIENT_OPS_FIELDS(prefix) \
  .start = prefix##_start, \
  .feed = prefix##_feed, \
  .take_output = prefix##_take_output, \
  .is_closed = prefix##_is_closed, \
  .set_now = prefix##_set_now, \
  .get_deadline = prefix##_get_deadline, \
  .check_timeout = prefix##_check_timeout, \
  .tls_started = prefix##_tls_started

/* ---- Relaying: a server's outbound queue ---- */

typedef struct
{
  MscSmtpClientOutcome  *outcome;   /* first: see smtp_drain() */
  Outbound              *item;
  char                  *mx;
} RelayAttempt;

static void
relay_attempt_free (RelayAttempt *attempt)
{
  g_clear_pointer (&attempt->outcome, msc_smtp_client_outcome_free);
  g_free (attempt->mx);
  g_free (attempt);
}

/* Both SMTP sessions (a device sending, a server relaying) keep the
 * outcome in the first member of their state. */
static gboolean
smtp_drain (GObject  *engine,
            MscLink  *link,
            gpointer  user_data)
{
  MscSmtpClientOutcome **outcome = user_data;
  gboolean handled = FALSE;
  MscSmtpClientEvent *event;

  while ((event = msc_smtp_client_next_event (MSC_SMTP_CLIENT (engine))) != NULL)
    {
      handled = TRUE;
      if (event->kind == MSC_SMTP_CLIENT_EVENT_STARTTLS)
        msc_link_client_start_tls (link);
      else if (event->kind == MSC_SMTP_CLIENT_EVENT_DONE && *outcome == NULL)
        *outcome = msc_smtp_client_outcome_copy (event->outcome);
      msc_smtp_client_event_free (event);
    }

  return handled;
}

static const MscLinkClientOps smtp_ops = {
  CLIENT_OPS_FIELDS (smtp_client),
  .drain_events = smtp_drain,
};


static void
outbound_fail (Outbound   *item,
               const char *address,
               const char *status,
               guint       code,
               const char *diagnostic,
               const char *remote_mta)
{
  MscDsnRecipient *recipient = g_new0 (MscDsnRecipient, 1);

  recipient->address = g_strdup (address);
  recipient->failed = TRUE;
  recipient->status = g_strdup (status);
  recipient->reply_code = code;
  recipient->diagnostic = g_strdup (diagnostic);
  recipient->remote_mta = g_strdup (remote_mta);
  recipient->last_attempt_date = now_as_date (item->server->world);
  g_ptr_array_add (item->failed, recipient);
}

static gboolean server_queue_outbound (gpointer            user_data,
                                       const char         *reverse_path,
                                       const char * const *recipients,
                                       GBytes             *message,
                                       GError            **error);

/* RFC 3464: the failed recipients go back to the sender as a delivery
 * status notification: into the mailbox directly when the sender is ours,
 * else relayed like any mail, with a null reverse-path so that it can
 * never bounce in its turn (RFC 5321 §4.5.5, §6.1). */
static void
outbound_bounce (Outbound *item)
{
  Server *server = item->server;
  MscWorld *self = server->world;
  g_autoptr(GDateTime) arrival = g_date_time_new_from_unix_utc (item->arrival / G_USEC_PER_SEC);
  g_autoptr(GDateTime) date = now_as_date (self);
  g_autoptr(GArray) recipients = g_array_new (FALSE, FALSE, sizeof (MscDsnRecipient));
  g_autoptr(GBytes) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *postmaster = NULL;
  g_autofree char *text = NULL;

  if (item->failed->len == 0)
    return;

  if (*item->reverse_path == '\0')
    {
      record_note (self, MSC_PROTOCOL_SMTP, server->conf->hostname, server->conf->hostname,
                   "sim.bounce.dropped",
                   _("A bounce could not be delivered either; it is dropped, since a bounce never bounces"));
      return;
    }

  for (guint i = 0; i < item->failed->len; i++)
    g_array_append_val (recipients, *(MscDsnRecipient *) g_ptr_array_index (item->failed, i));

  {
    g_autofree char *message_id = g_strdup_printf ("bounce.%u.%" G_GINT64_FORMAT "@%s",
                                                   item->attempts, item->arrival,
                                                   server->conf->hostname);
    MscDsnReport dsn = {
      .reporting_mta = server->conf->hostname,
      .sender = item->reverse_path,
      .original = item->message,
      .arrival_date = arrival,
      .date = date,
      .message_id = message_id,
      .recipients = (const MscDsnRecipient *) recipients->data,
      .n_recipients = recipients->len,
    };

    report = msc_dsn_build (&dsn, &error);
  }
  if (report == NULL)
    {
      g_warning ("Cannot build a bounce: %s", error->message);
      return;
    }

  /* Translators: %s is the address a bounce goes back to. */
  text = g_strdup_printf (_("Undeliverable: a bounce (delivery status notification) goes back to %s"),
                          item->reverse_path);
  record_note (self, MSC_PROTOCOL_SMTP, server->conf->hostname, server->conf->hostname,
               "sim.bounce", text);

  if (msc_mail_store_lookup_account (server->store, item->reverse_path, NULL, NULL))
    {
      g_autofree char *delivered = NULL;
      g_autofree char *received = g_strdup_printf ("Return-Path: <>\r\n");
      g_autoptr(GString) whole = g_string_new (received);

      g_string_append_len (whole, g_bytes_get_data (report, NULL), g_bytes_get_size (report));
      {
        g_autoptr(GBytes) bytes = g_string_free_to_bytes (g_steal_pointer (&whole));

        if (msc_mail_store_deliver_at (server->store, item->reverse_path, bytes, date, &error) == 0)
          g_warning ("Cannot deliver a bounce: %s", error->message);
      }
      return;
    }

  {
    const char *to[] = { item->reverse_path, NULL };

    if (!server_queue_outbound (server, "", to, report, &error))
      g_warning ("Cannot queue a bounce: %s", error->message);
  }
}

static void
outbound_finish_attempt (Outbound *item)
{
  MscWorld *self = item->server->world;

  item->attempts++;
  if (item->retry->len > 0 && item->attempts >= MAX_ATTEMPTS)
    {
      for (guint i = 0; i < item->retry->len; i++)
        outbound_fail (item, g_ptr_array_index (item->retry, i), "4.4.7", 0,
                       item->last_error != NULL ? item->last_error : _("Delivery time expired"),
                       item->last_mta);
      g_ptr_array_set_size (item->retry, 0);
    }

  outbound_bounce (item);
  g_ptr_array_set_size (item->failed, 0);

  if (item->retry->len > 0)
    {
      gint64 delay = RETRY_FIRST_USEC << (item->attempts - 1);
      g_autofree char *text = NULL;

      g_ptr_array_extend_and_steal (item->pending, g_steal_pointer (&item->retry));
      item->retry = NULL;
      /* Translators: %d is a number of minutes. */
      text = g_strdup_printf (ngettext ("Not delivered yet: the message stays in the queue and is tried again in %d minute",
                                        "Not delivered yet: the message stays in the queue and is tried again in %d minutes",
                                        (int) (delay / (60 * G_USEC_PER_SEC))),
                              (int) (delay / (60 * G_USEC_PER_SEC)));
      record_note (self, MSC_PROTOCOL_SMTP, item->server->conf->hostname,
                   item->server->conf->hostname, "sim.relay.retry", text);
      msc_clock_schedule (self->clock, msc_clock_get_now (self->clock) + delay,
                          MSC_CLOCK_FOREGROUND, (MscClockFunc) outbound_attempt, item, NULL);
      return;
    }

  g_queue_remove (&item->server->outbound, item);
  outbound_free (item);
}

static void outbound_next_group (Outbound *item);

static void
on_relay_closed (MscLink      *link,
                 const GError *error,
                 gpointer      user_data)
{
  RelayAttempt *attempt = user_data;
  Outbound *item = attempt->item;
  MscSmtpClientOutcome *outcome = attempt->outcome;

  on_link_closed_forget (item->server->world, link);
  if (item->server->world->disposing)
    {
      relay_attempt_free (attempt);
      return;
    }
  g_clear_pointer (&item->last_mta, g_free);
  item->last_mta = g_strdup (attempt->mx);

  if (outcome == NULL)
    {
      /* No SMTP answer at all (refused, TLS failed): try again later. */
      g_free (item->last_error);
      item->last_error = g_strdup (error != NULL ? error->message : _("The connection failed"));
      for (guint i = 0; i < item->group->len; i++)
        g_ptr_array_add (item->retry, g_strdup (g_ptr_array_index (item->group, i)));
    }
  else
    {
      for (guint i = 0; i < outcome->recipients->len; i++)
        {
          MscSmtpClientRecipient *recipient = g_ptr_array_index (outcome->recipients, i);
          guint code = recipient->accepted ? outcome->code : recipient->code;
          const char *enhanced = recipient->accepted ? outcome->enhanced : recipient->enhanced;
          const char *text = recipient->accepted ? outcome->text : recipient->text;

          if (recipient->accepted && outcome->success)
            continue;

          g_free (item->last_error);
          item->last_error = g_strdup_printf ("%u %s%s%s", code, enhanced != NULL ? enhanced : "",
                                              enhanced != NULL ? " " : "", text != NULL ? text : "");
          if (code >= 500 && code < 600)
            {
              /* RFC 3464 §2.3.6: the reply as sent, after its code. */
              g_autofree char *diagnostic = g_strdup_printf ("%s%s%s", enhanced != NULL ? enhanced : "",
                                                             enhanced != NULL ? " " : "",
                                                             text != NULL ? text : "");

              outbound_fail (item, recipient->address,
                             enhanced != NULL ? enhanced : "5.0.0", code, diagnostic, attempt->mx);
            }
          else
            g_ptr_array_add (item->retry, g_strdup (recipient->address));
        }
    }

  g_clear_pointer (&item->group, g_ptr_array_unref);
  relay_attempt_free (attempt);
  outbound_next_group (item);
}

/* One domain at a time: ask DNS for its MX, connect to port 25, hand the
 * message over for that domain's recipients. */
static void
outbound_next_group (Outbound *item)
{
  Server *server = item->server;
  MscWorld *self = server->world;
  const char *domain;
  Server *mx;
  RelayAttempt *attempt;
  g_autoptr(MscSmtpClient) client = NULL;

  if (item->pending->len == 0)
    {
      outbound_finish_attempt (item);
      return;
    }

  domain = domain_of (g_ptr_array_index (item->pending, 0));
  item->group = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < item->pending->len;)
    {
      const char *address = g_ptr_array_index (item->pending, i);

      if (g_ascii_strcasecmp (domain_of (address), domain) == 0)
        g_ptr_array_add (item->group, g_ptr_array_steal_index (item->pending, i));
      else
        i++;
    }

  mx = dns_lookup_mx (self, server->conf->hostname, domain);
  if (mx == NULL)
    {
      for (guint i = 0; i < item->group->len; i++)
        outbound_fail (item, g_ptr_array_index (item->group, i), "5.1.2", 0,
                       _("No mail server is known for this domain (DNS has no MX record)"), NULL);
      g_clear_pointer (&item->group, g_ptr_array_unref);
      outbound_next_group (item);
      return;
    }

  g_ptr_array_add (item->group, NULL);
  {
    MscSmtpClientConfig config = {
      .hostname = server->conf->hostname,
      .role = MSC_SMTP_CLIENT_ROLE_RELAY,
      .tls_mode = MSC_SMTP_CLIENT_TLS_STARTTLS_IF_OFFERED,
      .reverse_path = item->reverse_path,
      .recipients = (const char * const *) item->group->pdata,
      .message = item->message,
    };

    client = msc_smtp_client_new (&config);
  }
  g_ptr_array_remove_index (item->group, item->group->len - 1);

  attempt = g_new0 (RelayAttempt, 1);
  attempt->item = item;
  attempt->mx = g_strdup (mx->conf->hostname);
  open_link (self, server->conf->hostname, server->conf->address, mx->conf->hostname, 25,
             (gint64) MAX (server->conf->latency_ms, mx->conf->latency_ms) * 1000,
             &smtp_ops, G_OBJECT (client), on_relay_closed, attempt);
}

static void
outbound_attempt (Outbound *item)
{
  item->retry = g_ptr_array_new_with_free_func (g_free);
  outbound_next_group (item);
}

static gboolean
server_queue_outbound (gpointer            user_data,
                       const char         *reverse_path,
                       const char * const *recipients,
                       GBytes             *message,
                       GError            **error)
{
  Server *server = user_data;
  MscWorld *self = server->world;
  Outbound *item = g_new0 (Outbound, 1);

  item->server = server;
  item->reverse_path = g_strdup (reverse_path);
  item->pending = g_ptr_array_new_with_free_func (g_free);
  item->failed = g_ptr_array_new_with_free_func ((GDestroyNotify) dsn_recipient_free);
  for (guint i = 0; recipients[i] != NULL; i++)
    g_ptr_array_add (item->pending, g_strdup (recipients[i]));
  item->message = g_bytes_ref (message);
  item->arrival = msc_clock_get_now (self->clock);
  g_queue_push_tail (&server->outbound, item);

  /* At once, but after the client has been told 250. */
  msc_clock_schedule (self->clock, msc_clock_get_now (self->clock), MSC_CLOCK_FOREGROUND,
                      (MscClockFunc) outbound_attempt, item, NULL);
  return TRUE;
}

/* A lesson's full disk: the first few messages are refused for now. */
static gboolean
server_check_storage (gpointer   user_data,
                      GError   **error)
{
  Server *server = user_data;

  if (server->failures_left == 0)
    return TRUE;

  server->failures_left--;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                       _("The server's disk is full"));
  return FALSE;
}

/* ---- Devices ---- */

static gint64
device_latency (Device *device)
{
  return (gint64) device->conf->latency_ms * 1000;
}

static void
device_note (Device     *device,
             MscProtocol protocol,
             const char *key,
             const char *text)
{
  record_note (device->world, protocol, device->conf->id, device->conf->id, key, text);
}

/* The device's copy of a lesson message, found by Message-ID. */
static MscDeviceMessage *
device_find (Device     *device,
             const char *lesson_id)
{
  const char *wanted = g_hash_table_lookup (device->world->message_ids, lesson_id);
  g_auto(GStrv) folders = NULL;

  if (wanted == NULL)
    return NULL;

  folders = msc_device_store_list_folders (device->store);
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) messages = msc_device_store_list_folder (device->store, folders[i]);

      for (guint j = 0; j < messages->len; j++)
        {
          MscDeviceMessage *message = g_ptr_array_index (messages, j);
          g_autofree char *id = message_id_of (msc_device_message_get_data (message));

          if (g_strcmp0 (id, wanted) == 0)
            return msc_device_store_lookup (device->store, msc_device_message_get_key (message));
        }
    }

  return NULL;
}

/* -- Sending -- */

typedef struct
{
  MscSmtpClientOutcome *outcome;   /* first: see smtp_drain() */
  Device               *device;
  Action               *action;
} Sending;

static void sending_free (Sending *sending);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sending, sending_free)


/* A mail app keeps what it sent: over IMAP in the server's Sent mailbox
 * (APPEND), over POP3 only in a folder on the device. */
static void
device_keep_sent (Device *device,
                  Action *action)
{
  if (device->incoming == MSC_INCOMING_IMAP)
    {
      Action *append = g_new0 (Action, 1);

      append->kind = MSC_LESSON_ACTION_SEND;
      append->data = g_bytes_ref (action->data);
      device_run (device, append);
      return;
    }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *id = message_id_of (action->data);
    g_autofree char *key = g_strdup_printf ("sent/%s", id);

    if (!msc_device_store_has_folder (device->store, "Sent"))
      msc_device_store_create_folder (device->store, "Sent", NULL);
    if (!msc_device_store_add (device->store, key, "Sent", action->data, TRUE,
                               MSC_DEVICE_FLAG_READ, msc_clock_get_now (device->world->clock), &error))
      g_warning ("Cannot keep a sent message: %s", error->message);
  }
}

static void
sending_free (Sending *sending)
{
  g_clear_pointer (&sending->outcome, msc_smtp_client_outcome_free);
  action_free (sending->action);
  g_free (sending);
}

static void
on_send_closed (MscLink      *link,
                const GError *error,
                gpointer      user_data)
{
  g_autoptr(Sending) sending = user_data;
  Device *device = sending->device;

  on_link_closed_forget (device->world, link);
  if (device->world->disposing)
    return;

  if (sending->outcome != NULL && sending->outcome->success)
    device_keep_sent (device, sending->action);
  else
    {
      g_autofree char *text = NULL;
      const char *why = sending->outcome != NULL && sending->outcome->error != NULL
                          ? sending->outcome->error->message
                          : error != NULL ? error->message : _("The connection failed");

      /* Translators: %s says why. */
      text = g_strdup_printf (_("Sending failed: %s"), why);
      device_note (device, MSC_PROTOCOL_SMTP, "sim.send.failed", text);
    }
}

static MscSmtpClientTlsMode
smtp_tls_mode (MscSecurity security)
{
  switch (security)
    {
    case MSC_SECURITY_TLS:
      return MSC_SMTP_CLIENT_TLS_IMPLICIT;
    case MSC_SECURITY_STARTTLS:
      return MSC_SMTP_CLIENT_TLS_STARTTLS_REQUIRED;
    case MSC_SECURITY_NONE:
    default:
      return MSC_SMTP_CLIENT_TLS_NONE;
    }
}

static void
device_send (Device *device,
             Action *action)
{
  MscLessonDevice *conf = device->conf;
  g_autoptr(MscSmtpClient) client = NULL;
  Sending *sending;
  MscSmtpClientConfig config = {
    .hostname = conf->id,
    .role = MSC_SMTP_CLIENT_ROLE_SUBMIT,
    .tls_mode = smtp_tls_mode (conf->outgoing_security),
    .username = conf->account,
    .password = conf->password,
    .allow_auth_without_tls = conf->outgoing_security == MSC_SECURITY_NONE,
    .reverse_path = conf->account,
    .recipients = (const char * const *) action->to,
    .message = action->data,
  };

  client = msc_smtp_client_new (&config);
  sending = g_new0 (Sending, 1);
  sending->device = device;
  sending->action = action;
  open_link (device->world, conf->id, device->address, conf->outgoing_server,
             msc_lesson_outgoing_port (conf->outgoing_security, conf->outgoing_port),
             device_latency (device), &smtp_ops, G_OBJECT (client), on_send_closed, sending);
}

/* -- POP3: one check at a time -- */

static gboolean
pop3_drain (GObject  *engine,
            MscLink  *link,
            gpointer  user_data)
{
  Device *device = user_data;
  gboolean handled = FALSE;
  MscPop3ClientEvent *event;

  while ((event = msc_pop3_client_next_event (MSC_POP3_CLIENT (engine))) != NULL)
    {
      handled = TRUE;
      switch (event->kind)
        {
        case MSC_POP3_CLIENT_EVENT_STARTTLS:
          msc_link_client_start_tls (link);
          break;

        case MSC_POP3_CLIENT_EVENT_WARNING:
          device_note (device, MSC_PROTOCOL_POP3, "sim.pop3.warning", event->error->message);
          break;

        case MSC_POP3_CLIENT_EVENT_DONE:
          {
            const MscPop3ClientOutcome *outcome = event->outcome;
            g_autofree char *text = NULL;

            if (outcome->error != NULL)
              /* Translators: %s says why. */
              text = g_strdup_printf (_("Checking mail failed: %s"), outcome->error->message);
            else
              /* Translators: a POP3 check's result: new messages, and those deleted on the server. */
              text = g_strdup_printf (_("Mail checked: %u new, %u deleted from the server"),
                                      outcome->n_new, outcome->n_deleted);
            device_note (device, MSC_PROTOCOL_POP3,
                         outcome->error != NULL ? "sim.pop3.failed" : "sim.pop3.done", text);
          }
          break;

        case MSC_POP3_CLIENT_EVENT_COMMAND:
        case MSC_POP3_CLIENT_EVENT_REPLY:
        case MSC_POP3_CLIENT_EVENT_STATE_CHANGED:
        case MSC_POP3_CLIENT_EVENT_DOWNLOADED:
        case MSC_POP3_CLIENT_EVENT_DELETED_ON_SERVER:
        case MSC_POP3_CLIENT_EVENT_CLOSED:
        case MSC_POP3_CLIENT_N_EVENT_KINDS:
        default:
          /* The server's end records the conversation; the device store
           * its own changes. */
          break;
        }
      msc_pop3_client_event_free (event);
    }

  return handled;
}

static const MscLinkClientOps pop3_ops = {
  CLIENT_OPS_FIELDS (pop3_client),
  .peer_closed = pop3_client_peer_closed,
  .drain_events = pop3_drain,
};

static MscImapClientTlsMode
imap_tls_mode (MscSecurity security)
{
  switch (security)
    {
    case MSC_SECURITY_TLS:
      return MSC_IMAP_CLIENT_TLS_IMPLICIT;
    case MSC_SECURITY_STARTTLS:
      return MSC_IMAP_CLIENT_TLS_STARTTLS_REQUIRED;
    case MSC_SECURITY_NONE:
    default:
      return MSC_IMAP_CLIENT_TLS_NONE;
    }
}

static MscPop3ClientTlsMode
pop3_tls_mode (MscSecurity security)
{
  switch (security)
    {
    case MSC_SECURITY_TLS:
      return MSC_POP3_CLIENT_TLS_IMPLICIT;
    case MSC_SECURITY_STARTTLS:
      return MSC_POP3_CLIENT_TLS_STLS_REQUIRED;
    case MSC_SECURITY_NONE:
    default:
      return MSC_POP3_CLIENT_TLS_NONE;
    }
}

static void device_session_closed (MscLink *link, const GError *error, gpointer user_data);

static void
device_start_pop3_check (Device *device)
{
  MscLessonDevice *conf = device->conf;
  g_autoptr(MscPop3Client) client = NULL;
  MscPop3ClientConfig config = {
    .user = conf->account,
    .password = conf->password,
    .tls_mode = pop3_tls_mode (conf->incoming_security),
    .allow_auth_without_tls = conf->incoming_security == MSC_SECURITY_NONE,
    .retention = conf->retention,
    .keep_days = conf->keep_days,
  };

  client = msc_pop3_client_new (&config, device->store);
  device->incoming_link = open_link (device->world, conf->id, device->address,
                                     conf->incoming_server, device->incoming_port,
                                     device_latency (device), &pop3_ops, G_OBJECT (client),
                                     device_session_closed, device);
}

/* -- IMAP: a session that may stay open -- */

static gboolean
imap_drain (GObject  *engine,
            MscLink  *link,
            gpointer  user_data)
{
  Device *device = user_data;
  gboolean handled = FALSE;
  MscImapClientEvent *event;

  while ((event = msc_imap_client_next_event (MSC_IMAP_CLIENT (engine))) != NULL)
    {
      handled = TRUE;
      switch (event->kind)
        {
        case MSC_IMAP_CLIENT_EVENT_STARTTLS:
          msc_link_client_start_tls (link);
          break;

        case MSC_IMAP_CLIENT_EVENT_ACTION_DONE:
          if (event->error != NULL)
            {
              g_autofree char *text = NULL;

              /* Translators: %s says why. */
              text = g_strdup_printf (_("The server did not do it: %s"), event->error->message);
              device_note (device, MSC_PROTOCOL_IMAP, "sim.imap.action-failed", text);
            }
          break;

        case MSC_IMAP_CLIENT_EVENT_DONE:
          if (event->outcome->error != NULL)
            {
              g_autofree char *text = NULL;

              text = g_strdup_printf (_("The session with the server failed: %s"),
                                      event->outcome->error->message);
              device_note (device, MSC_PROTOCOL_IMAP, "sim.imap.failed", text);
            }
          break;

        case MSC_IMAP_CLIENT_EVENT_COMMAND:
        case MSC_IMAP_CLIENT_EVENT_RESPONSE:
        case MSC_IMAP_CLIENT_EVENT_STATE_CHANGED:
        case MSC_IMAP_CLIENT_EVENT_SYNCED:
        case MSC_IMAP_CLIENT_EVENT_MESSAGE_ADDED:
        case MSC_IMAP_CLIENT_EVENT_MESSAGE_CHANGED:
        case MSC_IMAP_CLIENT_EVENT_MESSAGE_REMOVED:
        case MSC_IMAP_CLIENT_EVENT_IDLE_STARTED:
        case MSC_IMAP_CLIENT_EVENT_IDLE_ENDED:
        case MSC_IMAP_CLIENT_EVENT_CLOSED:
        case MSC_IMAP_CLIENT_N_EVENT_KINDS:
        default:
          break;
        }
      msc_imap_client_event_free (event);
    }

  return handled;
}

static const MscLinkClientOps imap_ops = {
  CLIENT_OPS_FIELDS (imap_client),
  .peer_closed = imap_client_peer_closed,
  .drain_events = imap_drain,
};

/* What the user did, in the IMAP client's terms; FALSE when the message
 * is not on the device (a note says so). */
static gboolean
imap_action_for (Device              *device,
                 Action              *action,
                 MscImapClientAction *out)
{
  MscDeviceMessage *message = NULL;

  *out = (MscImapClientAction) { 0 };
  if (action->kind == MSC_LESSON_ACTION_SEND)
    {
      out->kind = MSC_IMAP_CLIENT_ACTION_APPEND_SENT;
      out->message = action->data;
      return TRUE;
    }

  message = device_find (device, action->message);
  if (message == NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is the lesson's name for a message. */
      text = g_strdup_printf (_("There is no message “%s” on this device"), action->message);
      device_note (device, MSC_PROTOCOL_NONE, "sim.no-message", text);
      return FALSE;
    }

  out->key = msc_device_message_get_key (message);
  switch (action->kind)
    {
    case MSC_LESSON_ACTION_OPEN:
      out->kind = MSC_IMAP_CLIENT_ACTION_OPEN;
      break;
    case MSC_LESSON_ACTION_MARK_UNREAD:
      out->kind = MSC_IMAP_CLIENT_ACTION_MARK_UNREAD;
      break;
    case MSC_LESSON_ACTION_DELETE:
      out->kind = MSC_IMAP_CLIENT_ACTION_DELETE;
      break;
    case MSC_LESSON_ACTION_MOVE:
      out->kind = MSC_IMAP_CLIENT_ACTION_MOVE;
      out->folder = action->folder;
      break;
    case MSC_LESSON_ACTION_CHECK:
    case MSC_LESSON_ACTION_SEND:
    case MSC_LESSON_ACTION_OFFLINE:
    case MSC_LESSON_ACTION_ONLINE:
    case MSC_LESSON_ACTION_WAIT:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

static gboolean
device_keeps_session (Device *device)
{
  return device->conf->push || device->conf->poll_minutes > 0;
}

static void
device_start_imap_session (Device *device)
{
  MscWorld *self = device->world;
  MscLessonDevice *conf = device->conf;
  g_autoptr(GArray) actions = g_array_new (FALSE, TRUE, sizeof (MscImapClientAction));
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();
  g_autoptr(MscImapClient) client = NULL;
  g_autoptr(GPtrArray) given = g_steal_pointer (&device->imap_actions);
  GPtrArray *steps = msc_lesson_get_steps (self->lesson);

  device->imap_actions = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);

  /* A mail app mirrors the folders it shows: Sent, Trash, and those the
   * story moves mail to. */
  g_ptr_array_add (folders, (gpointer) "\\Sent");
  g_ptr_array_add (folders, (gpointer) "\\Trash");
  for (guint i = 0; i < steps->len; i++)
    {
      MscLessonStep *step = g_ptr_array_index (steps, i);

      if (step->action == MSC_LESSON_ACTION_MOVE &&
          g_strcmp0 (step->device, conf->id) == 0 &&
          !g_ptr_array_find_with_equal_func (folders, step->folder, g_str_equal, NULL))
        g_ptr_array_add (folders, step->folder);
    }
  g_ptr_array_add (folders, NULL);

  for (guint i = 0; i < given->len; i++)
    {
      MscImapClientAction action;

      if (imap_action_for (device, g_ptr_array_index (given, i), &action))
        g_array_append_val (actions, action);
    }

  {
    MscImapClientConfig config = {
      .user = conf->account,
      .password = conf->password,
      .tls_mode = imap_tls_mode (conf->incoming_security),
      .allow_auth_without_tls = conf->incoming_security == MSC_SECURITY_NONE,
      .use_idle = conf->push,
      .poll_interval_usec = conf->push ? 0 : (gint64) conf->poll_minutes * 60 * G_USEC_PER_SEC,
      .folders = (const char * const *) folders->pdata,
      .actions = (const MscImapClientAction *) actions->data,
      .n_actions = actions->len,
    };

    client = msc_imap_client_new (&config, device->store);
  }
  device->incoming_link = open_link (self, conf->id, device->address, conf->incoming_server,
                                     device->incoming_port, device_latency (device),
                                     &imap_ops, G_OBJECT (client), device_session_closed, device);
}

static void
device_session_closed (MscLink      *link,
                       const GError *error,
                       gpointer      user_data)
{
  Device *device = user_data;

  on_link_closed_forget (device->world, link);
  if (device->incoming_link == link)
    device->incoming_link = NULL;
  if (device->world->disposing)
    return;

  if (error != NULL && device->online)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("The connection to the server ended: %s"), error->message);
      device_note (device, device->incoming == MSC_INCOMING_IMAP ? MSC_PROTOCOL_IMAP : MSC_PROTOCOL_POP3,
                   "sim.session.lost", text);
    }

  /* What waited for this session runs now. */
  if (device->online && (device->reconnect || device->imap_actions->len > 0))
    {
      device->reconnect = FALSE;
      device_start_imap_session (device);
    }
  while (device->online && device->incoming_link == NULL && !g_queue_is_empty (&device->waiting))
    device_run (device, g_queue_pop_head (&device->waiting));
}

/* -- POP3: what the user does touches only the device -- */

static void
device_act_locally (Device *device,
                    Action *action)
{
  MscDeviceMessage *message = device_find (device, action->message);
  g_autoptr(GError) error = NULL;
  const char *key;
  gboolean done = FALSE;

  if (message == NULL)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (_("There is no message “%s” on this device"), action->message);
      device_note (device, MSC_PROTOCOL_NONE, "sim.no-message", text);
      return;
    }

  key = msc_device_message_get_key (message);
  switch (action->kind)
    {
    case MSC_LESSON_ACTION_OPEN:
      done = msc_device_store_mark_read (device->store, key, TRUE, &error);
      break;
    case MSC_LESSON_ACTION_MARK_UNREAD:
      done = msc_device_store_mark_read (device->store, key, FALSE, &error);
      break;
    case MSC_LESSON_ACTION_DELETE:
      done = msc_device_store_delete_locally (device->store, key, &error);
      break;
    case MSC_LESSON_ACTION_MOVE:
      if (!msc_device_store_has_folder (device->store, action->folder))
        msc_device_store_create_folder (device->store, action->folder, NULL);
      done = msc_device_store_move (device->store, key, action->folder, &error);
      break;
    case MSC_LESSON_ACTION_CHECK:
    case MSC_LESSON_ACTION_SEND:
    case MSC_LESSON_ACTION_OFFLINE:
    case MSC_LESSON_ACTION_ONLINE:
    case MSC_LESSON_ACTION_WAIT:
    default:
      g_assert_not_reached ();
    }

  if (!done)
    device_note (device, MSC_PROTOCOL_NONE, "sim.local.failed", error->message);
}

/* -- Going offline and online -- */

static void
device_set_online (Device   *device,
                   gboolean  online)
{
  g_autofree char *reason = NULL;

  if (device->online == online)
    return;

  device->online = online;
  if (online)
    {
      if (device->incoming == MSC_INCOMING_IMAP && device_keeps_session (device))
        device->reconnect = TRUE;
      if (device->reconnect || device->imap_actions->len > 0)
        {
          device->reconnect = FALSE;
          device_start_imap_session (device);
        }
      while (device->incoming_link == NULL && !g_queue_is_empty (&device->waiting))
        device_run (device, g_queue_pop_head (&device->waiting));
      return;
    }

  /* Translators: %s is a device's name. */
  reason = g_strdup_printf (_("%s lost its network connection"), device->conf->name);
  for (guint i = device->world->links->len; i > 0; i--)
    {
      MscLink *link = g_ptr_array_index (device->world->links, i - 1);

      if (link == device->incoming_link)
        msc_link_abort (link, reason);
    }
}

/* Does what the user asked, or keeps it for later. */
static void
device_run (Device *device,
            Action *action)
{
  if (!device->online)
    {
      g_queue_push_tail (&device->waiting, action);
      return;
    }

  switch (action->kind)
    {
    case MSC_LESSON_ACTION_SEND:
      /* The composed message goes out over SMTP; its Sent copy (data, no
       * recipients) goes to the IMAP session. */
      if (action->to != NULL)
        {
          device_send (device, action);
          return;
        }
      G_GNUC_FALLTHROUGH;
    case MSC_LESSON_ACTION_OPEN:
    case MSC_LESSON_ACTION_MARK_UNREAD:
    case MSC_LESSON_ACTION_DELETE:
    case MSC_LESSON_ACTION_MOVE:
      if (device->incoming == MSC_INCOMING_POP3)
        {
          device_act_locally (device, action);
          action_free (action);
          return;
        }

      if (device->incoming_link != NULL && !device->reconnect)
        {
          GObject *engine = msc_link_get_client_engine (device->incoming_link);
          MscImapClientAction imap_action;

          if (engine != NULL && !msc_imap_client_is_closed (MSC_IMAP_CLIENT (engine)) &&
              imap_action_for (device, action, &imap_action) &&
              msc_imap_client_queue_action (MSC_IMAP_CLIENT (engine), &imap_action) != 0)
            {
              msc_link_pump_client (device->incoming_link);
              action_free (action);
              return;
            }
        }
      /* The next session carries it out. */
      g_ptr_array_add (device->imap_actions, action);
      if (device->incoming_link == NULL)
        device_start_imap_session (device);
      return;

    case MSC_LESSON_ACTION_CHECK:
      action_free (action);
      if (device->incoming_link != NULL)
        {
          /* POP3 is one check at a time.  A mail app asked to check over
           * IMAP syncs every folder anew: end this session, start one. */
          if (device->incoming == MSC_INCOMING_IMAP)
            {
              GObject *engine = msc_link_get_client_engine (device->incoming_link);

              device->reconnect = TRUE;
              if (engine != NULL)
                {
                  msc_imap_client_stop (MSC_IMAP_CLIENT (engine));
                  msc_link_pump_client (device->incoming_link);
                }
            }
          return;
        }
      if (device->incoming == MSC_INCOMING_POP3)
        device_start_pop3_check (device);
      else
        device_start_imap_session (device);
      return;

    case MSC_LESSON_ACTION_OFFLINE:
    case MSC_LESSON_ACTION_ONLINE:
    case MSC_LESSON_ACTION_WAIT:
    default:
      action_free (action);
      g_assert_not_reached ();
    }
}

static void
on_poll (gpointer user_data)
{
  Device *device = user_data;
  Action *check = g_new0 (Action, 1);

  device->poll_timer = msc_clock_schedule (device->world->clock,
                                           msc_clock_get_now (device->world->clock) +
                                           (gint64) device->conf->poll_minutes * 60 * G_USEC_PER_SEC,
                                           MSC_CLOCK_BACKGROUND, on_poll, device, NULL);
  if (!device->online || device->incoming_link != NULL)
    {
      g_free (check);
      return;
    }
  check->kind = MSC_LESSON_ACTION_CHECK;
  device_run (device, check);
}

/* ---- Every change to a mailbox is a trace event ---- */

static void
on_wake_sessions (gpointer user_data)
{
  Server *server = user_data;
  MscWorld *self = server->world;
  g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_object_unref);

  /* A copy: pumping may close links and so change the list. */
  server->wake_pending = FALSE;
  for (guint i = 0; i < self->links->len; i++)
    g_ptr_array_add (links, g_object_ref (g_ptr_array_index (self->links, i)));
  for (guint i = 0; i < links->len; i++)
    {
      MscLink *link = g_ptr_array_index (links, i);

      if (msc_link_get_server (link) == &server->link_server)
        msc_link_pump_server (link);
    }
}

/* The engines listen to the store, but only a driver sends: after a
 * change, every session on that server gets a chance to speak (an IMAP
 * session in IDLE tells its client at once, RFC 2177).  Right after the
 * change, not inside it: the engine that made it is still at work. */
static void
wake_sessions (Server *server)
{
  if (server->wake_pending)
    return;

  server->wake_pending = TRUE;
  msc_clock_schedule (server->world->clock, msc_clock_get_now (server->world->clock),
                      MSC_CLOCK_FOREGROUND, on_wake_sessions, server, NULL);
}

static void
record_server_change (Server     *server,
                      const char *key,
                      const char *text)
{
  g_autoptr(MscTraceEvent) event = msc_trace_event_new (MSC_TRACE_KIND_STORE_CHANGE, MSC_PROTOCOL_NONE,
                                                        server->conf->hostname, server->conf->hostname, text);

  msc_trace_event_set_layer (event, MSC_TRACE_LAYER_STORE);
  msc_trace_event_set_explanation_key (event, key);
  record (server->world, event);
  wake_sessions (server);
}

static void
on_server_message_added (MscMailStore *store,
                         MscMailbox   *mailbox,
                         MscMessage   *message,
                         Server       *server)
{
  g_autofree char *what = describe_message (msc_message_get_data (message));
  g_autofree char *text = NULL;

  /* Translators: a change on a server: account, mailbox, UID, message. */
  text = g_strdup_printf (_("%s %s: UID %u %s arrived"), msc_mailbox_get_account (mailbox),
                          msc_mailbox_get_name (mailbox), msc_message_get_uid (message), what);
  record_server_change (server, "store.server.added", text);
}

static void
on_server_message_expunged (MscMailStore *store,
                            MscMailbox   *mailbox,
                            MscMessage   *message,
                            Server       *server)
{
  g_autofree char *what = describe_message (msc_message_get_data (message));
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("%s %s: UID %u %s removed"), msc_mailbox_get_account (mailbox),
                          msc_mailbox_get_name (mailbox), msc_message_get_uid (message), what);
  record_server_change (server, "store.server.removed", text);
}

static char *
format_server_flags (MscMessageFlags flags)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint bit = 1; bit <= MSC_MESSAGE_FLAG_DRAFT; bit <<= 1)
    if (flags & bit)
      {
        if (text->len > 0)
          g_string_append_c (text, ' ');
        g_string_append (text, msc_message_flag_to_string (bit));
      }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_server_flags_changed (MscMailStore *store,
                         MscMailbox   *mailbox,
                         MscMessage   *message,
                         Server       *server)
{
  g_autofree char *what = describe_message (msc_message_get_data (message));
  g_autofree char *flags = format_server_flags (msc_message_get_flags (message));
  g_autofree char *text = NULL;

  /* Translators: the last %s lists IMAP flags such as \Seen, or is empty. */
  text = g_strdup_printf (_("%s %s: UID %u %s flags now (%s)"), msc_mailbox_get_account (mailbox),
                          msc_mailbox_get_name (mailbox), msc_message_get_uid (message), what, flags);
  record_server_change (server, "store.server.flags", text);
}

static void
record_device_change (Device     *device,
                      const char *key,
                      const char *text)
{
  g_autoptr(MscTraceEvent) event = msc_trace_event_new (MSC_TRACE_KIND_STORE_CHANGE, MSC_PROTOCOL_NONE,
                                                        device->conf->id, device->conf->id, text);

  msc_trace_event_set_layer (event, MSC_TRACE_LAYER_STORE);
  msc_trace_event_set_explanation_key (event, key);
  record (device->world, event);
}

static const char *
read_state (MscDeviceMessage *message)
{
  return (msc_device_message_get_flags (message) & MSC_DEVICE_FLAG_READ) ? _("read") : _("unread");
}

static void
on_device_message_added (MscDeviceStore   *store,
                         MscDeviceMessage *message,
                         Device           *device)
{
  g_autofree char *what = describe_message (msc_device_message_get_data (message));
  g_autofree char *text = NULL;

  if (msc_device_message_is_complete (message))
    /* Translators: a change on a device: folder, message, read or unread. */
    text = g_strdup_printf (_("%s: %s arrived, %s"), msc_device_message_get_folder (message),
                            what, read_state (message));
  else
    text = g_strdup_printf (_("%s: %s arrived (header only), %s"), msc_device_message_get_folder (message),
                            what, read_state (message));
  record_device_change (device, "store.device.added", text);
}

static void
on_device_message_changed (MscDeviceStore   *store,
                           MscDeviceMessage *message,
                           MscDeviceChange   changes,
                           const char       *old_folder,
                           Device           *device)
{
  g_autofree char *what = describe_message (msc_device_message_get_data (message));
  g_autofree char *text = NULL;

  if (changes & MSC_DEVICE_CHANGE_FOLDER)
    /* Translators: a message moved on a device: message, from folder, to folder. */
    text = g_strdup_printf (_("%s moved from %s to %s"), what, old_folder,
                            msc_device_message_get_folder (message));
  else if (changes & MSC_DEVICE_CHANGE_DATA)
    text = g_strdup_printf (_("%s: %s downloaded in full"), msc_device_message_get_folder (message), what);
  else
    text = g_strdup_printf (_("%s: %s is now %s"), msc_device_message_get_folder (message),
                            what, read_state (message));
  record_device_change (device, "store.device.changed", text);
}

static void
on_device_message_removed (MscDeviceStore   *store,
                           MscDeviceMessage *message,
                           Device           *device)
{
  g_autofree char *what = describe_message (msc_device_message_get_data (message));
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("%s: %s removed from this device"),
                          msc_device_message_get_folder (message), what);
  record_device_change (device, "store.device.removed", text);
}

/* ---- Building the world ---- */

static void
server_free (Server *server)
{
  g_signal_handlers_disconnect_by_data (server->store, server);
  g_queue_clear_full (&server->outbound, (GDestroyNotify) outbound_free);
  g_clear_object (&server->store);
  g_clear_pointer (&server->certificate, X509_free);
  g_clear_pointer (&server->key, EVP_PKEY_free);
  g_free (server);
}

static void
device_free (Device *device)
{
  if (device->poll_timer != 0)
    msc_clock_cancel (device->world->clock, device->poll_timer);
  g_signal_handlers_disconnect_by_data (device->store, device);
  g_queue_clear_full (&device->waiting, (GDestroyNotify) action_free);
  g_clear_pointer (&device->imap_actions, g_ptr_array_unref);
  g_clear_object (&device->store);
  g_free (device->address);
  g_free (device);
}

static void
msc_world_dispose (GObject *object)
{
  MscWorld *self = MSC_WORLD (object);

  /* Links hold engines that hold stores: they go first, and what they
   * were doing is not retried or followed up. */
  self->disposing = TRUE;
  while (self->links != NULL && self->links->len > 0)
    msc_link_abort (g_ptr_array_index (self->links, self->links->len - 1), "");
  g_clear_pointer (&self->links, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  g_clear_object (&self->clock);
  g_clear_object (&self->trace);
  g_clear_object (&self->certs);
  g_clear_object (&self->lesson);

  G_OBJECT_CLASS (msc_world_parent_class)->dispose (object);
}

static void
msc_world_finalize (GObject *object)
{
  MscWorld *self = MSC_WORLD (object);

  g_clear_pointer (&self->message_ids, g_hash_table_unref);
  g_clear_pointer (&self->senders, g_hash_table_unref);
  g_free (self->cert_dir);

  G_OBJECT_CLASS (msc_world_parent_class)->finalize (object);
}

static void
msc_world_class_init (MscWorldClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = msc_world_dispose;
  object_class->finalize = msc_world_finalize;
}

static void
msc_world_init (MscWorld *self)
{
  self->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  self->message_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->senders = g_hash_table_new (g_str_hash, g_str_equal);
}

/* The Message-ID a lesson message carries, so every copy of it can be
 * found again wherever it went. */
static char *
make_message_id (MscWorld   *self,
                 const char *id,
                 const char *account)
{
  return g_strdup_printf ("%s.%s@%s", id, msc_lesson_get_id (self->lesson), domain_of (account));
}

static gboolean
setup_servers (MscWorld  *self,
               GError   **error)
{
  GPtrArray *servers = msc_lesson_get_servers (self->lesson);

  for (guint i = 0; i < servers->len; i++)
    {
      MscLessonServer *conf = g_ptr_array_index (servers, i);
      Server *server = g_new0 (Server, 1);
      const char *names[] = { conf->hostname, NULL };

      server->world = self;
      server->conf = conf;
      server->failures_left = conf->temporary_failures;
      g_queue_init (&server->outbound);
      g_ptr_array_add (self->servers, server);

      server->store = msc_mail_store_new ();
      msc_mail_store_set_password_iterations (server->store, LESSON_PASSWORD_ITERATIONS);
      for (guint j = 0; conf->domains[j] != NULL; j++)
        if (!msc_mail_store_add_domain (server->store, conf->domains[j], error))
          return FALSE;
      for (guint j = 0; j < conf->accounts->len; j++)
        {
          MscLessonAccount *account = g_ptr_array_index (conf->accounts, j);

          if (!msc_mail_store_add_account (server->store, account->address, NULL,
                                           account->password, error))
            return FALSE;
        }

      if (!msc_cert_store_get_server_identity (self->certs, names, MSC_CERT_KIND_GOOD,
                                               &server->certificate, &server->key, error))
        return FALSE;

      server->link_server = (MscLinkServer) {
        .store = server->store,
        .settings = {
          .hostname = conf->hostname,
          /* A lesson may set a device to "no security" to show what an
           * eavesdropper sees; the server lets it, as old servers did. */
          .allow_insecure_auth = TRUE,
          .apop_pid = 4242 + i,
        },
        .certificate = server->certificate,
        .key = server->key,
        .queue_outbound = server_queue_outbound,
        .check_storage = server_check_storage,
        .user_data = server,
      };
    }

  return TRUE;
}

static gboolean
seed_messages (MscWorld  *self,
               GError   **error)
{
  GPtrArray *messages = msc_lesson_get_messages (self->lesson);

  for (guint i = 0; i < messages->len; i++)
    {
      MscLessonMessage *conf = g_ptr_array_index (messages, i);
      Server *server = find_server_for_domain (self, domain_of (conf->account));
      g_autofree char *message_id = make_message_id (self, conf->id, conf->account);
      /* Each an hour older than the next, the last an hour before the lesson. */
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (msc_clock_get_start (self->clock) / G_USEC_PER_SEC -
                                                                 3600 * (gint64) (messages->len - i));
      const char *to[] = { conf->to != NULL ? conf->to : conf->account, NULL };
      g_autoptr(GBytes) data = compose (conf->from, to, conf->subject, conf->body, date, message_id);
      MscMailbox *mailbox;

      g_hash_table_insert (self->message_ids, g_strdup (conf->id), g_steal_pointer (&message_id));
      if (server == NULL)
        {
          g_set_error (error, MSC_WORLD_ERROR, MSC_WORLD_ERROR_SETUP,
                       _("No server holds the mailbox of %s"), conf->account);
          return FALSE;
        }
      mailbox = msc_mail_store_get_mailbox (server->store, conf->account,
                                            conf->mailbox != NULL ? conf->mailbox : "INBOX", NULL);
      if (mailbox == NULL)
        mailbox = msc_mail_store_create_mailbox (server->store, conf->account, conf->mailbox,
                                                 MSC_SPECIAL_USE_NONE, error);
      if (mailbox == NULL ||
          msc_mail_store_append (server->store, mailbox, data,
                                 conf->seen ? MSC_MESSAGE_FLAG_SEEN : MSC_MESSAGE_FLAG_NONE,
                                 NULL, date, error) == 0)
        return FALSE;
    }

  return TRUE;
}

static void
setup_devices (MscWorld              *self,
               const MscWorldOptions *options)
{
  GPtrArray *devices = msc_lesson_get_devices (self->lesson);
  GPtrArray *steps = msc_lesson_get_steps (self->lesson);

  for (guint i = 0; i < devices->len; i++)
    {
      MscLessonDevice *conf = g_ptr_array_index (devices, i);
      Device *device = g_new0 (Device, 1);

      device->world = self;
      device->conf = conf;
      device->incoming = options->incoming >= 0 ? (MscIncomingProtocol) options->incoming : conf->incoming;
      /* A port the lesson chose stays only for the protocol it chose it for. */
      device->incoming_port = msc_lesson_incoming_port (device->incoming, conf->incoming_security,
                                                        device->incoming == conf->incoming ? conf->incoming_port : 0);
      device->store = msc_device_store_new ();
      device->address = g_strdup_printf ("198.51.100.%u", 10 + i);
      device->online = conf->online;
      device->imap_actions = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);
      g_queue_init (&device->waiting);
      g_ptr_array_add (self->devices, device);

      g_signal_connect (device->store, "message-added", G_CALLBACK (on_device_message_added), device);
      g_signal_connect (device->store, "message-changed", G_CALLBACK (on_device_message_changed), device);
      g_signal_connect (device->store, "message-removed", G_CALLBACK (on_device_message_removed), device);

      if (device->incoming == MSC_INCOMING_POP3 && conf->poll_minutes > 0)
        device->poll_timer = msc_clock_schedule (self->clock,
                                                 msc_clock_get_now (self->clock) +
                                                 (gint64) conf->poll_minutes * 60 * G_USEC_PER_SEC,
                                                 MSC_CLOCK_BACKGROUND, on_poll, device, NULL);
    }

  for (guint i = 0; i < steps->len; i++)
    {
      MscLessonStep *step = g_ptr_array_index (steps, i);

      if (step->action == MSC_LESSON_ACTION_SEND)
        {
          MscLessonDevice *conf = msc_lesson_find_device (self->lesson, step->device);

          g_hash_table_insert (self->message_ids, g_strdup (step->id),
                               make_message_id (self, step->id, conf->account));
        }
    }
}

static char *
get_cert_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "mailscope", "lesson-certificates", NULL);
}

MscWorld *
msc_world_new (MscLesson             *lesson,
               const MscWorldOptions *options,
               GError               **error)
{
  g_autoptr(MscWorld) self = NULL;
  MscWorldOptions defaults = { .incoming = -1 };

  g_return_val_if_fail (MSC_IS_LESSON (lesson), NULL);

  if (options == NULL)
    options = &defaults;

  g_mime_init ();
  self = g_object_new (MSC_TYPE_WORLD, NULL);
  self->lesson = g_object_ref (lesson);
  self->clock = msc_clock_new (options->start_usec != 0 ? options->start_usec : DEFAULT_START_USEC);
  self->trace = msc_trace_new ();
  self->cert_dir = get_cert_dir ();
  self->certs = msc_cert_store_new (self->cert_dir, error);
  if (self->certs == NULL)
    return NULL;

  if (!setup_servers (self, error) || !seed_messages (self, error))
    return NULL;
  setup_devices (self, options);

  /* Connected after seeding: the mail there at the start is the starting
   * picture, not something that happened. */
  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = g_ptr_array_index (self->servers, i);

      g_signal_connect (server->store, "message-added", G_CALLBACK (on_server_message_added), server);
      g_signal_connect (server->store, "message-expunged", G_CALLBACK (on_server_message_expunged), server);
      g_signal_connect (server->store, "flags-changed", G_CALLBACK (on_server_flags_changed), server);
    }

  return g_steal_pointer (&self);
}

MscLesson *
msc_world_get_lesson (MscWorld *self)
{
  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  return self->lesson;
}

MscTrace *
msc_world_get_trace (MscWorld *self)
{
  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  return self->trace;
}

MscClock *
msc_world_get_clock (MscWorld *self)
{
  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  return self->clock;
}

guint
msc_world_get_n_steps_done (MscWorld *self)
{
  g_return_val_if_fail (MSC_IS_WORLD (self), 0);

  return self->next_step;
}

MscMailStore *
msc_world_get_server_store (MscWorld   *self,
                            const char *hostname)
{
  Server *server;

  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  server = find_server (self, hostname);
  return server != NULL ? server->store : NULL;
}

MscDeviceStore *
msc_world_get_device_store (MscWorld   *self,
                            const char *device_id)
{
  Device *device;

  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  device = find_device (self, device_id);
  return device != NULL ? device->store : NULL;
}

/* ---- The story ---- */

static void
record_step (MscWorld      *self,
             MscLessonStep *step,
             guint          number,
             guint          total)
{
  g_autoptr(MscTraceEvent) event = NULL;
  g_autofree char *text = NULL;
  MscLessonDevice *device = step->device != NULL ? msc_lesson_find_device (self->lesson, step->device) : NULL;

  if (device != NULL)
    /* Translators: step number, number of steps, device name, the action
     * ("check", "send", …), then what the trainer says. */
    text = g_strdup_printf (_("Step %u of %u — %s: %s. %s"), number, total, device->name,
                            msc_lesson_action_get_name (step->action), step->narration);
  else
    text = g_strdup_printf (_("Step %u of %u — %s. %s"), number, total,
                            msc_lesson_action_get_name (step->action), step->narration);
  event = msc_trace_event_new (MSC_TRACE_KIND_STEP, MSC_PROTOCOL_NONE,
                               step->device != NULL ? step->device : "",
                               step->device != NULL ? step->device : "", text);
  record (self, event);
}

static Action *
action_from_step (MscWorld      *self,
                  MscLessonStep *step)
{
  Action *action = g_new0 (Action, 1);

  action->kind = step->action;
  action->message = g_strdup (step->message);
  action->folder = g_strdup (step->folder);
  if (step->action == MSC_LESSON_ACTION_SEND)
    {
      MscLessonDevice *device = msc_lesson_find_device (self->lesson, step->device);
      g_autoptr(GDateTime) date = now_as_date (self);

      action->to = g_strdupv (step->to);
      action->step = g_strdup (step->id);
      action->data = compose (device->account, (const char * const *) step->to, step->subject,
                              step->body, date, g_hash_table_lookup (self->message_ids, step->id));
    }

  return action;
}

static gboolean
settle (MscWorld  *self,
        GError   **error)
{
  if (msc_clock_run_until_quiet (self->clock, MAX_ITEMS_PER_STEP))
    return TRUE;

  g_set_error (error, MSC_WORLD_ERROR, MSC_WORLD_ERROR_RUNAWAY,
               _("The simulated world did not settle down; the lesson was stopped"));
  return FALSE;
}

gboolean
msc_world_run_step (MscWorld  *self,
                    GError   **error)
{
  GPtrArray *steps;
  MscLessonStep *step;
  Device *device;

  g_return_val_if_fail (MSC_IS_WORLD (self), FALSE);

  steps = msc_lesson_get_steps (self->lesson);
  if (self->next_step >= steps->len)
    {
      g_set_error_literal (error, MSC_WORLD_ERROR, MSC_WORLD_ERROR_FINISHED,
                           _("The lesson has no steps left"));
      return FALSE;
    }

  step = g_ptr_array_index (steps, self->next_step++);
  record_step (self, step, self->next_step, steps->len);
  device = step->device != NULL ? find_device (self, step->device) : NULL;

  switch (step->action)
    {
    case MSC_LESSON_ACTION_WAIT:
      if (!msc_clock_advance_to (self->clock,
                                 msc_clock_get_now (self->clock) + (gint64) step->minutes * 60 * G_USEC_PER_SEC,
                                 MAX_ITEMS_PER_STEP))
        {
          g_set_error (error, MSC_WORLD_ERROR, MSC_WORLD_ERROR_RUNAWAY,
                       _("The simulated world did not settle down; the lesson was stopped"));
          return FALSE;
        }
      break;

    case MSC_LESSON_ACTION_OFFLINE:
    case MSC_LESSON_ACTION_ONLINE:
      device_set_online (device, step->action == MSC_LESSON_ACTION_ONLINE);
      break;

    case MSC_LESSON_ACTION_CHECK:
    case MSC_LESSON_ACTION_SEND:
    case MSC_LESSON_ACTION_OPEN:
    case MSC_LESSON_ACTION_MARK_UNREAD:
    case MSC_LESSON_ACTION_DELETE:
    case MSC_LESSON_ACTION_MOVE:
    default:
      device_run (device, action_from_step (self, step));
      break;
    }

  return settle (self, error);
}

gboolean
msc_world_run (MscWorld  *self,
               GError   **error)
{
  GPtrArray *steps;

  g_return_val_if_fail (MSC_IS_WORLD (self), FALSE);

  steps = msc_lesson_get_steps (self->lesson);
  while (self->next_step < steps->len)
    if (!msc_world_run_step (self, error))
      return FALSE;

  return settle (self, error);
}

/* ---- The end state ---- */

static void
add_place (GPtrArray  *places,
           const char *place)
{
  if (place != NULL && !g_ptr_array_find_with_equal_func (places, place, g_str_equal, NULL))
    g_ptr_array_add (places, g_strdup (place));
}

GStrv
msc_world_list_places (MscWorld *self)
{
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *devices;
  GPtrArray *messages;
  GPtrArray *steps;
  GPtrArray *expectations;

  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  devices = msc_lesson_get_devices (self->lesson);
  messages = msc_lesson_get_messages (self->lesson);
  steps = msc_lesson_get_steps (self->lesson);
  expectations = msc_lesson_get_expectations (self->lesson);

  /* The accounts involved: the devices', the seeded mail's, local
   * recipients of what is sent, and those the expectations name. */
  for (guint i = 0; i < devices->len; i++)
    add_place (places, ((MscLessonDevice *) g_ptr_array_index (devices, i))->account);
  for (guint i = 0; i < messages->len; i++)
    add_place (places, ((MscLessonMessage *) g_ptr_array_index (messages, i))->account);
  for (guint i = 0; i < steps->len; i++)
    {
      MscLessonStep *step = g_ptr_array_index (steps, i);

      for (guint j = 0; step->to != NULL && step->to[j] != NULL; j++)
        if (msc_lesson_find_server_for_address (self->lesson, step->to[j]) != NULL)
          {
            g_autofree char *folded = g_ascii_strdown (step->to[j], -1);

            add_place (places, folded);
          }
    }
  for (guint i = 0; i < expectations->len; i++)
    {
      MscLessonExpectation *expectation = g_ptr_array_index (expectations, i);

      if (strchr (expectation->place, '@') != NULL)
        add_place (places, expectation->place);
    }
  for (guint i = 0; i < devices->len; i++)
    add_place (places, ((MscLessonDevice *) g_ptr_array_index (devices, i))->id);

  g_ptr_array_add (places, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&places), FALSE);
}

/* Calls @func for every copy of every message at every place. */
typedef void (*CopyFunc) (const char *place,
                          const char *folder,
                          GBytes     *data,
                          gboolean    read,
                          gboolean    complete,
                          gpointer    user_data);

static void
foreach_copy_at (MscWorld   *self,
                 const char *place,
                 CopyFunc    func,
                 gpointer    user_data)
{
  if (strchr (place, '@') != NULL)
    {
      Server *server = find_server_for_domain (self, domain_of (place));
      g_autoptr(GPtrArray) mailboxes = NULL;

      if (server == NULL)
        return;
      mailboxes = msc_mail_store_list_mailboxes (server->store, place, NULL);
      for (guint i = 0; mailboxes != NULL && i < mailboxes->len; i++)
        {
          MscMailbox *mailbox = g_ptr_array_index (mailboxes, i);
          g_autoptr(GPtrArray) messages = msc_mailbox_list_messages (mailbox);

          for (guint j = 0; j < messages->len; j++)
            {
              MscMessage *message = g_ptr_array_index (messages, j);

              func (place, msc_mailbox_get_name (mailbox), msc_message_get_data (message),
                    (msc_message_get_flags (message) & MSC_MESSAGE_FLAG_SEEN) != 0, TRUE, user_data);
            }
        }
      return;
    }

  {
    Device *device = find_device (self, place);
    g_auto(GStrv) folders = NULL;

    if (device == NULL)
      return;
    folders = msc_device_store_list_folders (device->store);
    for (guint i = 0; folders[i] != NULL; i++)
      {
        g_autoptr(GPtrArray) messages = msc_device_store_list_folder (device->store, folders[i]);

        for (guint j = 0; j < messages->len; j++)
          {
            MscDeviceMessage *message = g_ptr_array_index (messages, j);

            func (place, folders[i], msc_device_message_get_data (message),
                  (msc_device_message_get_flags (message) & MSC_DEVICE_FLAG_READ) != 0,
                  msc_device_message_is_complete (message), user_data);
          }
      }
  }
}

typedef struct
{
  MscWorld   *world;
  GPtrArray  *rows;
  GHashTable *known;   /* Message-IDs of lesson messages */
} RowsData;

static void
collect_row (const char *place,
             const char *folder,
             GBytes     *data,
             gboolean    read,
             gboolean    complete,
             gpointer    user_data)
{
  RowsData *rows = user_data;
  g_autofree char *id = message_id_of (data);
  g_autofree char *row = NULL;

  if (id == NULL || g_hash_table_contains (rows->known, id))
    return;
  row = g_strdup_printf ("<%s>", id);
  if (!g_ptr_array_find_with_equal_func (rows->rows, row, g_str_equal, NULL))
    g_ptr_array_add (rows->rows, g_steal_pointer (&row));
}

GStrv
msc_world_list_rows (MscWorld *self)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) places = NULL;
  GPtrArray *messages;
  GPtrArray *steps;
  RowsData data = { self, rows, known };

  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  messages = msc_lesson_get_messages (self->lesson);
  steps = msc_lesson_get_steps (self->lesson);
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (rows, g_strdup (((MscLessonMessage *) g_ptr_array_index (messages, i))->id));
  for (guint i = 0; i < steps->len; i++)
    {
      MscLessonStep *step = g_ptr_array_index (steps, i);

      if (step->action == MSC_LESSON_ACTION_SEND)
        g_ptr_array_add (rows, g_strdup (step->id));
    }
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_add (known, g_hash_table_lookup (self->message_ids, g_ptr_array_index (rows, i)));

  places = msc_world_list_places (self);
  for (guint i = 0; places[i] != NULL; i++)
    foreach_copy_at (self, places[i], collect_row, &data);

  g_ptr_array_add (rows, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&rows), FALSE);
}

typedef struct
{
  const char    *wanted;
  MscWorldCell  *cell;
  char          *subject;
} LocateData;

static void
locate_copy (const char *place,
             const char *folder,
             GBytes     *data,
             gboolean    read,
             gboolean    complete,
             gpointer    user_data)
{
  LocateData *locate = user_data;
  g_autofree char *id = NULL;

  if (locate->cell != NULL && locate->cell->folder != NULL)
    return;
  id = message_id_of (data);
  if (g_strcmp0 (id, locate->wanted) != 0)
    return;

  if (locate->cell != NULL)
    {
      locate->cell->presence = read ? MSC_LESSON_PRESENCE_READ : MSC_LESSON_PRESENCE_UNREAD;
      locate->cell->folder = g_strdup (folder);
      locate->cell->complete = complete;
    }
  if (locate->subject == NULL)
    locate->subject = header_value (data, "Subject");
}

/* A row's Message-ID: a lesson id's, or the row itself without <>. */
static char *
row_message_id (MscWorld   *self,
                const char *row)
{
  if (row[0] == '<')
    return g_strndup (row + 1, strlen (row) - 2);

  return g_strdup (g_hash_table_lookup (self->message_ids, row));
}

void
msc_world_locate (MscWorld     *self,
                  const char   *row,
                  const char   *place,
                  MscWorldCell *cell)
{
  g_autofree char *wanted = NULL;
  LocateData data = { NULL, cell, NULL };

  g_return_if_fail (MSC_IS_WORLD (self));
  g_return_if_fail (cell != NULL);

  *cell = (MscWorldCell) { MSC_LESSON_PRESENCE_ABSENT, NULL, FALSE };
  wanted = row_message_id (self, row);
  if (wanted == NULL)
    return;
  data.wanted = wanted;
  foreach_copy_at (self, place, locate_copy, &data);
  g_free (data.subject);
}

char *
msc_world_get_row_label (MscWorld   *self,
                         const char *row)
{
  g_autofree char *wanted = NULL;
  g_auto(GStrv) places = NULL;
  LocateData data = { NULL, NULL, NULL };

  g_return_val_if_fail (MSC_IS_WORLD (self), NULL);

  wanted = row_message_id (self, row);
  data.wanted = wanted;
  places = msc_world_list_places (self);
  for (guint i = 0; wanted != NULL && places[i] != NULL && data.subject == NULL; i++)
    foreach_copy_at (self, places[i], locate_copy, &data);

  if (data.subject == NULL)
    return g_strdup (row);
  if (row[0] == '<')
    return data.subject;

  {
    char *label = g_strdup_printf ("%s “%s”", row, data.subject);

    g_free (data.subject);
    return label;
  }
}

gboolean
msc_world_check_expectations (MscWorld   *self,
                              GPtrArray **failures)
{
  GPtrArray *expectations;
  gboolean held = TRUE;

  g_return_val_if_fail (MSC_IS_WORLD (self), FALSE);

  if (failures != NULL)
    *failures = g_ptr_array_new_with_free_func (g_free);

  expectations = msc_lesson_get_expectations (self->lesson);
  for (guint i = 0; i < expectations->len; i++)
    {
      MscLessonExpectation *expected = g_ptr_array_index (expectations, i);
      g_auto(MscWorldCell) found = { 0 };
      const char *folder = expected->folder;

      if (folder == NULL)
        folder = strchr (expected->place, '@') != NULL ? "INBOX" : MSC_DEVICE_STORE_INBOX;
      msc_world_locate (self, expected->message, expected->place, &found);

      if (found.presence == expected->presence &&
          (found.presence == MSC_LESSON_PRESENCE_ABSENT || g_strcmp0 (found.folder, folder) == 0))
        continue;

      held = FALSE;
      if (failures != NULL)
        {
          g_autofree char *want = expected->presence == MSC_LESSON_PRESENCE_ABSENT
                                    ? g_strdup (_("absent"))
                                    : g_strdup_printf ("%s, %s",
                                                       expected->presence == MSC_LESSON_PRESENCE_READ ? _("read") : _("unread"),
                                                       folder);
          g_autofree char *got = found.presence == MSC_LESSON_PRESENCE_ABSENT
                                   ? g_strdup (_("absent"))
                                   : g_strdup_printf ("%s, %s",
                                                      found.presence == MSC_LESSON_PRESENCE_READ ? _("read") : _("unread"),
                                                      found.folder);

          /* Translators: message id, place, what the lesson expected, what was found. */
          g_ptr_array_add (*failures, g_strdup_printf (_("%s at %s: expected %s, found %s"),
                                                       expected->message, expected->place, want, got));
        }
    }

  return held;
}
