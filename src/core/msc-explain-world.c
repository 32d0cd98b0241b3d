/* msc-explain-world.c — what happens in a lesson's simulated world, in plain words
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keys: net.refused for a connection nobody answers; dns.* for the
 * resolver every host of the world asks; sim.* for what the servers do
 * with mail they cannot deliver and what the mail apps show their users;
 * store.server.* and store.device.* for each change in a mailbox, on a
 * server or on a device.  These events are not commands on the wire, so
 * some have no RFC section of their own: their rfc and section are NULL.
 * Where POP3 and IMAP differ, the text says how, since that difference is
 * what the two-device lessons are about.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"

const MscExplanation msc_explain_world_entries[] = {
  /* Finding the server */
  { "net.refused", N_("Connection refused"),
    N_("The host answered at once that nothing listens on this port (in TCP terms, it sent a reset). The "
       "machine is there, but no mail service runs on that port: the port in the account settings is "
       "wrong, or the service is switched off. Check the port: 465 or 587 for sending, 993 or 143 for "
       "IMAP, 995 or 110 for POP3, and 25 between mail servers."),
    "RFC 9293", "3.5.2" },
  { "dns.mx", N_("DNS: who receives mail for this domain?"),
    N_("Before relaying a message, the sending server asks DNS for the MX record of the recipient’s "
       "domain, the part after the @. The answer names the host that receives mail for that domain (with "
       "a preference number: the lowest is tried first), and the server connects to that host on port "
       "25. This is why a domain’s mail can live on a different machine from its website."),
    "RFC 5321", "5.1" },
  { "dns.a", N_("DNS: a host name becomes an address"),
    N_("A host name such as mail.example.com is turned into the IP address to connect to (an A record; "
       "AAAA for IPv6). A mail app does this with the server name in its account settings, a sending "
       "server with the host named in the MX record."),
    "RFC 1035", "3.4.1" },
  { "dns.nxdomain", N_("DNS: no such domain"),
    N_("DNS answers that the name does not exist (NXDOMAIN). For a recipient’s domain this is a permanent "
       "failure: the sending server does not try again but bounces the message at once with status "
       "5.1.2 (bad destination domain), so look for a typing mistake in the address. For a server name in "
       "a device’s settings, the mail app cannot connect at all."),
    "RFC 5321", "5.1" },

  /* Mail that cannot be delivered */
  { "sim.relay.retry", N_("Not delivered yet: tried again later"),
    N_("The receiving server could not be reached, or answered with a temporary 4xx reply (busy, "
       "mailbox full, greylisting). The sending server keeps the message in its queue and tries again "
       "later: RFC 5321 asks for at least 30 minutes between tries and for giving up only after 4–5 "
       "days, when the sender gets a bounce. A lesson shortens these times so you can watch it all."),
    "RFC 5321", "4.5.4.1" },
  { "sim.bounce", N_("Bounce: a delivery status notification"),
    N_("The message could not be delivered to one or more recipients, so the server that held it sends "
       "a report back to the sender (a “bounce”, or non-delivery report). It is a multipart/report "
       "message: an explanation for people, a message/delivery-status part listing each failed "
       "recipient with its status code (such as 5.1.1 or 4.4.7), and the original message or its "
       "header. It goes to the envelope sender from MAIL FROM, not to the From: header."),
    "RFC 3464", "2" },
  { "sim.bounce.dropped", N_("A bounce that cannot bounce"),
    N_("A bounce could not be delivered either: the original sender’s address does not work. Bounces "
       "are sent with an empty sender (MAIL FROM:<>), and a server must not send a notification about "
       "a message whose sender is empty, so this one is simply dropped. Without this rule two broken "
       "addresses could send bounces back and forth for ever."),
    "RFC 5321", "6.1" },

  /* What the mail app shows */
  { "sim.send.failed", N_("Sending failed"),
    N_("The mail app could not hand the message to its outgoing (SMTP) server and tells the user so: "
       "nothing was sent. The events just before show why, for example no connection, a TLS or "
       "certificate problem, a wrong user name or password, or a recipient the server refused. A bounce "
       "is different: it comes later, after the server has accepted the message."),
    NULL, NULL },
  { "sim.pop3.done", N_("POP3 check finished"),
    N_("The mail app has checked the POP3 mailbox: how many new messages it downloaded, and how many it "
       "deleted on the server. With a setting such as “delete from server after download” the app "
       "sends DELE and the server removes the messages when the session ends with QUIT. The server no "
       "longer has them, so another phone or computer on the same account will never see them."),
    "RFC 1939", "6" },
  { "sim.pop3.failed", N_("POP3 check failed"),
    N_("Checking mail by POP3 failed before it finished: the server could not be reached, TLS failed, "
       "or the user name or password was refused, for example. A POP3 server deletes messages only "
       "when the session ends properly with QUIT, so if it broke off earlier, nothing was deleted on "
       "the server."),
    "RFC 1939", "6" },
  { "sim.pop3.warning", N_("POP3 check: a problem"),
    N_("The check went on, but something did not work as the settings ask. For example the server "
       "does not support UIDL, so the app cannot tell which messages it already has and copies left "
       "on the server come again; or the server deletes every message once downloaded (EXPIRE 0) "
       "although the app was set to keep them; or one message could not be downloaded or deleted."),
    NULL, NULL },
  { "sim.imap.failed", N_("IMAP session failed"),
    N_("The mail app’s IMAP session failed: the server could not be reached, TLS failed, the login was "
       "refused, or the server said BYE, for example. Nothing is lost: with IMAP the messages stay on "
       "the server, and the app shows what it synchronised last until a later session succeeds."),
    NULL, NULL },
  { "sim.imap.action-failed", N_("The server did not do it"),
    N_("The user opened, moved or deleted a message, the app asked the IMAP server to do the same, and "
       "it did not happen: the server answered NO, the message is no longer on the server (another "
       "device may have deleted it), the folder does not exist, or the session ended first. With IMAP "
       "such changes are made on the server, so nothing changed, on this device or any other."),
    "RFC 3501", "7.1.2" },
  { "sim.session.lost", N_("Connection lost"),
    N_("The connection to the incoming mail server ended without the usual goodbye (LOGOUT in IMAP, "
       "QUIT in POP3): the network dropped, the server closed it, or it stopped answering. With POP3 "
       "the deletions asked for in that session do not happen, since the server deletes only after "
       "QUIT; with IMAP what the server had already done stays done."),
    NULL, NULL },
  { "sim.no-message", N_("Not on this device"),
    N_("The user tried to open, move or delete a message that this device does not have. With POP3 "
       "another device may have downloaded it and deleted it from the server, or this device has not "
       "downloaded it yet; with IMAP it may have been deleted on the server. Check the mail first, or "
       "look at the other devices."),
    NULL, NULL },
  { "sim.local.failed", N_("Change on the device failed"),
    N_("The mail app could not make a change in its own local copy of the mailbox, such as marking a "
       "message read or moving it to a folder. Nothing went over the network: with POP3 these changes "
       "are only ever made on the device."),
    NULL, NULL },

  /* Mailboxes on the servers */
  { "store.server.added", N_("New message in a mailbox on the server"),
    N_("A message was stored in a mailbox on the server: delivered by SMTP to the INBOX, or saved there "
       "by a mail app (a sent copy, or a message moved from another folder). The server gives it a UID, "
       "a number that never changes and is never reused in that mailbox, so that a mail app can tell "
       "which messages it already has. IMAP apps see it at once; POP3 apps download it at their next "
       "check."),
    "RFC 3501", "2.3.1.1" },
  { "store.server.removed", N_("Message removed from a mailbox on the server"),
    N_("A message was deleted for good from a mailbox on the server: a POP3 app deleted it after "
       "downloading, or an IMAP app expunged it (deleted it, or moved it to another folder). Every "
       "device that checks later finds it gone from that folder; POP3 devices keep the copies they "
       "downloaded."),
    "RFC 3501", "7.4.1" },
  { "store.server.flags", N_("Flags changed on the server"),
    N_("A message’s flags changed on the server: \\Seen (read), \\Flagged (starred), \\Answered or "
       "\\Deleted (marked for deletion). With IMAP the read state lives on the server, so every device "
       "that synchronises the mailbox shows the same change. POP3 has no flags: a POP3 device never "
       "sends or sees them."),
    "RFC 3501", "2.3.2" },

  /* Mailboxes on the devices */
  { "store.device.added", N_("Message arrives on the device"),
    N_("The mail app put a message into its local mailbox: downloaded by POP3, or synchronised from the "
       "server by IMAP (sometimes only the header at first, the body when the message is opened). A "
       "POP3 device’s copy is its own from now on; an IMAP device’s copy follows the server’s."),
    NULL, NULL },
  { "store.device.changed", N_("Message changed on the device"),
    N_("A message in the mail app’s local mailbox changed: read or unread, moved to another folder, or "
       "its body downloaded in full. On an IMAP device the change goes to or comes from the server, so "
       "every device shows it. On a POP3 device it stays on this device alone: a message read on the "
       "phone is still unread on the computer."),
    NULL, NULL },
  { "store.device.removed", N_("Message removed from the device"),
    N_("A message left the mail app’s local mailbox. With IMAP the device follows the server: the "
       "message was deleted or moved there, perhaps from another device. With POP3 only this device’s "
       "copy is gone; the server, if it still has the message, and the other devices keep theirs."),
    NULL, NULL },
};

const gsize msc_explain_world_n_entries = G_N_ELEMENTS (msc_explain_world_entries);
