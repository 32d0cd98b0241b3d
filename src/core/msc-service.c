/* msc-service.c
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "msc-service"

#include "config.h"

#include "msc-service.h"

/* The services reach their connection only through this interface, so the
 * same engines answer a real client on a socket (net/) and a simulated
 * device on a virtual link (sim/). */
G_DEFINE_INTERFACE (MscServiceHost, msc_service_host, G_TYPE_OBJECT)

static void
msc_service_host_default_init (MscServiceHostInterface *iface)
{
}

MscMailStore *
msc_service_host_get_store (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), NULL);

  return MSC_SERVICE_HOST_GET_IFACE (self)->get_store (self);
}

void
msc_service_host_get_settings (MscServiceHost     *self,
                               MscServiceSettings *settings)
{
  g_return_if_fail (MSC_IS_SERVICE_HOST (self));
  g_return_if_fail (settings != NULL);

  /* A host that leaves a field alone gets the engine's default. */
  *settings = (MscServiceSettings) { 0 };
  MSC_SERVICE_HOST_GET_IFACE (self)->get_settings (self, settings);
}

/* TLS from the first byte (465, 993, 995). */
gboolean
msc_service_host_is_implicit_tls (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), FALSE);

  return MSC_SERVICE_HOST_GET_IFACE (self)->is_implicit_tls (self);
}

/* Whether the engine may offer STARTTLS: the host has an identity. */
gboolean
msc_service_host_can_start_tls (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), FALSE);

  return MSC_SERVICE_HOST_GET_IFACE (self)->can_start_tls (self);
}

const char *
msc_service_host_get_peer_address (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), NULL);

  return MSC_SERVICE_HOST_GET_IFACE (self)->get_peer_address (self);
}

const char *
msc_service_host_get_client_endpoint (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), NULL);

  return MSC_SERVICE_HOST_GET_IFACE (self)->get_client_endpoint (self);
}

const char *
msc_service_host_get_server_endpoint (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), NULL);

  return MSC_SERVICE_HOST_GET_IFACE (self)->get_server_endpoint (self);
}

gint64
msc_service_host_get_now (MscServiceHost *self)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), 0);

  return MSC_SERVICE_HOST_GET_IFACE (self)->get_now (self);
}

void
msc_service_host_record (MscServiceHost *self,
                         MscTraceEvent  *event)
{
  g_return_if_fail (MSC_IS_SERVICE_HOST (self));
  g_return_if_fail (MSC_IS_TRACE_EVENT (event));

  MSC_SERVICE_HOST_GET_IFACE (self)->record (self, event);
}

void
msc_service_host_start_tls (MscServiceHost *self)
{
  g_return_if_fail (MSC_IS_SERVICE_HOST (self));

  MSC_SERVICE_HOST_GET_IFACE (self)->start_tls (self);
}

gboolean
msc_service_host_queue_outbound (MscServiceHost     *self,
                                 const char         *reverse_path,
                                 const char * const *recipients,
                                 GBytes             *message,
                                 GError            **error)
{
  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), FALSE);
  g_return_val_if_fail (reverse_path != NULL, FALSE);
  g_return_val_if_fail (recipients != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return MSC_SERVICE_HOST_GET_IFACE (self)->queue_outbound (self, reverse_path, recipients,
                                                            message, error);
}

/* Hosts without a notion of a full disk (a live server: the store reports
 * its own I/O errors) leave check_storage NULL. */
gboolean
msc_service_host_check_storage (MscServiceHost  *self,
                                GError         **error)
{
  MscServiceHostInterface *iface;

  g_return_val_if_fail (MSC_IS_SERVICE_HOST (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = MSC_SERVICE_HOST_GET_IFACE (self);
  if (iface->check_storage == NULL)
    return TRUE;

  return iface->check_storage (self, error);
}
