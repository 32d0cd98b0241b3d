/* msc-explain-tls.c — TLS handshakes, alerts and connections in plain words
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keys: tls.handshake.NAME for each name an MscTlsSession gives its
 * HANDSHAKE_MESSAGE events (tls.handshake.unknown for the rest),
 * tls.alert.DESCRIPTION with the names of RFC 8446 §6 (tls.alert the
 * fallback), tls.record.*, tls.done, tls.error.* for what a mail client
 * reports, and net.* for the connection under it all.  The texts are
 * written for a trainer's room: what a message carries, what an
 * eavesdropper sees of it, and what the user should do when it goes wrong.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"

const MscExplanation msc_explain_tls_entries[] = {
  /* Handshake messages, in the order a TLS 1.3 handshake sends them */
  { "tls.handshake.ClientHello", N_("ClientHello: the client’s offer"),
    N_("The client’s first message, sent in the clear: the TLS versions and cipher suites it can use, a "
       "random number, and the name of the server it wants (SNI). Because SNI is not encrypted, an "
       "eavesdropper learns which server the client is talking to even though everything later is "
       "hidden. In TLS 1.3 it also carries the client’s key share, its half of the key exchange, so the "
       "handshake needs only one round trip."),
    "RFC 8446", "4.1.2" },
  { "tls.handshake.ServerHello", N_("ServerHello: the server’s choice"),
    N_("The server’s answer, in the clear: the TLS version and the cipher suite it chose from the "
       "client’s offer, its own random number and, in TLS 1.3, its key share. From the two key shares "
       "both sides compute the same secret, which an eavesdropper who saw both still cannot compute. "
       "In TLS 1.3 everything after this message is encrypted."),
    "RFC 8446", "4.1.3" },
  { "tls.handshake.HelloRetryRequest", N_("HelloRetryRequest: try again with another key"),
    N_("The server accepts the client’s offer but not the kind of key share the client guessed: it asks "
       "for a new ClientHello with a key for a group the server supports (P-256 instead of X25519, for "
       "example). It costs one more round trip. On the wire it looks like a ServerHello with a special "
       "fixed random number."),
    "RFC 8446", "4.1.4" },
  { "tls.handshake.EncryptedExtensions", N_("EncryptedExtensions: the rest of the server’s answer"),
    N_("TLS 1.3 only, and the first encrypted message: the server’s answers to the client’s requests "
       "that nobody else needs to see, such as the application protocol agreed with ALPN (smtp, imap, "
       "pop3). In TLS 1.2 these answers travelled in the clear inside the ServerHello."),
    "RFC 8446", "4.3.1" },
  { "tls.handshake.CertificateRequest", N_("CertificateRequest: show me your certificate"),
    N_("The server asks the client for a certificate of its own (client certificate authentication), as "
       "some company networks do instead of, or as well as, a password. Mail clients rarely have one, "
       "and Mailscope’s servers never ask."),
    "RFC 8446", "4.3.2" },
  { "tls.handshake.Certificate", N_("Certificate: who the server is"),
    N_("The server’s certificate chain: its own certificate, with its names and its public key, signed "
       "by a certificate authority (CA). The client checks the signature against the authorities it "
       "trusts and the names against the server name typed in the mail settings. In TLS 1.3 this "
       "message is encrypted; in TLS 1.2 anyone on the path can read which certificate the server sent."),
    "RFC 8446", "4.4.2" },
  { "tls.handshake.CertificateVerify", N_("CertificateVerify: proof of the private key"),
    N_("A signature over the whole handshake so far, made with the private key that belongs to the "
       "certificate. It proves that the server really holds that key: anyone can copy a certificate, "
       "but only its owner can sign with it. In TLS 1.2 the signature in ServerKeyExchange does this "
       "job."),
    "RFC 8446", "4.4.3" },
  { "tls.handshake.Finished", N_("Finished: we saw the same handshake"),
    N_("The last message of each side’s part of the handshake: a check value over every handshake "
       "message, computed with the new secret. When both Finished messages match, both sides know "
       "they saw the same handshake, so nobody in the middle changed the versions or cipher suites "
       "offered. It is the first message protected with the agreed keys."),
    "RFC 8446", "4.4.4" },
  { "tls.handshake.NewSessionTicket", N_("NewSessionTicket: a ticket for next time"),
    N_("Sent by the server after the handshake: a ticket the client can show on its next connection to "
       "resume this session with a shorter handshake, without sending the certificate again. Only the "
       "server can read the ticket. In TLS 1.3 it is encrypted and OpenSSL sends two; in TLS 1.2 it "
       "comes just before the server’s ChangeCipherSpec."),
    "RFC 8446", "4.6.1" },
  { "tls.handshake.KeyUpdate", N_("KeyUpdate: switching to a fresh key"),
    N_("TLS 1.3: one side tells the other that from now on it encrypts with a new key derived from the "
       "old one. Long connections, such as an IMAP session kept open all day for IDLE, do this so that "
       "no single key protects too much data."),
    "RFC 8446", "4.6.3" },
  { "tls.handshake.ServerKeyExchange", N_("ServerKeyExchange: the server’s half of the key"),
    N_("TLS 1.2: the server’s half of the key exchange (a fresh ECDHE public key), signed with the key "
       "of its certificate. Like the whole TLS 1.2 handshake before ChangeCipherSpec it travels in the "
       "clear: an eavesdropper sees it but cannot compute the secret from it."),
    "RFC 5246", "7.4.3" },
  { "tls.handshake.ServerHelloDone", N_("ServerHelloDone: your turn"),
    N_("TLS 1.2: the server has sent everything of its part of the hello (ServerHello, Certificate, "
       "ServerKeyExchange) and now waits for the client. It carries nothing else."),
    "RFC 5246", "7.4.5" },
  { "tls.handshake.ClientKeyExchange", N_("ClientKeyExchange: the client’s half of the key"),
    N_("TLS 1.2: the client’s half of the key exchange (a fresh ECDHE public key). From it and the "
       "server’s half both sides compute the same secret; an eavesdropper who saw both halves still "
       "cannot."),
    "RFC 5246", "7.4.7" },
  { "tls.handshake.ChangeCipherSpec", N_("ChangeCipherSpec: encryption starts now"),
    N_("Not a handshake message but a record of one byte: “from now on, what I send is encrypted”. In "
       "TLS 1.2 each side sends it just before its Finished. TLS 1.3 does not need it but sends one "
       "anyway, so that old firewalls and proxies that expect it let the connection through."),
    "RFC 5246", "7.1" },
  { "tls.handshake.HelloRequest", N_("HelloRequest: please start again"),
    N_("TLS 1.2: the server asks the client to run a new handshake on this connection (renegotiation). "
       "TLS 1.3 removed it, and Mailscope never sends it."),
    "RFC 5246", "7.4.1.1" },
  { "tls.handshake.EndOfEarlyData", N_("EndOfEarlyData: no more early data"),
    N_("TLS 1.3: the client has finished sending early data (0-RTT), data sent with the first message "
       "of a resumed session before the handshake is complete. Mail protocols do not use early data, "
       "because an attacker could send a copy of it again."),
    "RFC 8446", "4.5" },
  { "tls.handshake.CertificateStatus", N_("CertificateStatus: the certificate is not revoked"),
    N_("OCSP stapling: with its certificate the server sends a recent, signed answer from its "
       "certificate authority saying that the certificate has not been revoked, so the client need not "
       "ask the authority itself (which would tell it whom the client visits)."),
    "RFC 6066", "8" },
  { "tls.handshake.MessageHash", N_("MessageHash: a stand-in for the first ClientHello"),
    N_("TLS 1.3: never sent on the wire. After a HelloRetryRequest both sides replace the first "
       "ClientHello in their record of the handshake by its hash, so that the Finished messages still "
       "cover it."),
    "RFC 8446", "4.4.1" },
  { "tls.handshake.unknown", N_("A handshake message"),
    N_("A handshake message of a type Mailscope has no name for, perhaps from a TLS extension or a newer "
       "version. The handshake goes on when both sides understand it."),
    "RFC 8446", "4" },

  /* Alerts */
  { "tls.alert", N_("Alert: something to report"),
    N_("TLS’s way of saying that something went wrong, or that a side is closing: a level (warning or "
       "fatal) and a description. A fatal alert ends the connection at once. In TLS 1.3 alerts after the "
       "ServerHello are encrypted, so an eavesdropper sees only that a short record went by."),
    "RFC 8446", "6" },
  { "tls.alert.close_notify", N_("close_notify: goodbye"),
    N_("The orderly end: this side will send nothing more. Each side says it before closing, so the "
       "other knows that all the data arrived. A connection that ends without it may have been cut "
       "short by an attacker (a truncation attack)."),
    "RFC 8446", "6.1" },
  { "tls.alert.unexpected_message", N_("unexpected_message: not now"),
    N_("A message came at a point of the handshake where it is not allowed, or unencrypted data came "
       "where only encrypted data may. A broken program on the other side, or someone interfering."),
    "RFC 8446", "6.2" },
  { "tls.alert.bad_record_mac", N_("bad_record_mac: the data was changed"),
    N_("A record failed its integrity check: it was changed on the way, or the two sides’ keys differ. "
       "TLS notices every altered byte and ends the connection rather than pass on tampered data."),
    "RFC 8446", "6.2" },
  { "tls.alert.handshake_failure", N_("handshake_failure: no agreement"),
    N_("The two sides could not agree on how to secure the connection: no cipher suite or key exchange "
       "group in common, or one side could not accept the other’s parameters. Usually an outdated "
       "client or server on one side: update it rather than weakening the other."),
    "RFC 8446", "6.2" },
  { "tls.alert.bad_certificate", N_("bad_certificate: the certificate is not acceptable"),
    N_("The certificate was refused: damaged, a signature that does not verify, or (as OpenSSL reports "
       "it) made for another name or not valid yet. The side that sent this alert knows the exact "
       "reason; most often the server name in the mail settings or the device’s clock is wrong."),
    "RFC 8446", "6.2" },
  { "tls.alert.certificate_expired", N_("certificate_expired: the certificate has expired"),
    N_("The certificate is past its end date. Either the server’s administrator forgot to renew it, or "
       "the client device’s clock is far wrong. Check the date and time first; otherwise the "
       "administrator must renew the certificate."),
    "RFC 8446", "6.2" },
  { "tls.alert.certificate_unknown", N_("certificate_unknown: certificate refused"),
    N_("The certificate was refused for a reason none of the other alerts names. The side that refused "
       "it knows the real reason: look at what it reports."),
    "RFC 8446", "6.2" },
  { "tls.alert.illegal_parameter", N_("illegal_parameter: a value that is not allowed"),
    N_("A field of the handshake held a value that is not allowed or does not fit the rest, such as a "
       "version or cipher suite the client never offered. A broken program, or someone interfering."),
    "RFC 8446", "6.2" },
  { "tls.alert.unknown_ca", N_("unknown_ca: an authority I do not trust"),
    N_("The client does not trust the authority that signed the server’s certificate: the certificate "
       "is self-signed, or comes from a private CA, such as Mailscope’s teaching CA, that was never "
       "imported. The mail client shows a certificate warning. Import the CA if it is your own test "
       "server; otherwise do not accept the certificate: it may be an attack."),
    "RFC 8446", "6.2" },
  { "tls.alert.decode_error", N_("decode_error: a message makes no sense"),
    N_("A message could not be read: a field too long or too short, a damaged extension. A bug on one "
       "side, or something on the path that changed the bytes."),
    "RFC 8446", "6.2" },
  { "tls.alert.decrypt_error", N_("decrypt_error: a check in the handshake failed"),
    N_("A cryptographic check of the handshake failed: a signature (CertificateVerify, ServerKeyExchange) "
       "did not verify, or a Finished message did not match. Someone may have interfered with the "
       "handshake, or the server’s key does not belong to its certificate."),
    "RFC 8446", "6.2" },
  { "tls.alert.protocol_version", N_("protocol_version: no TLS version in common"),
    N_("The two sides have no TLS version in common: a client that allows only TLS 1.3 meets a server "
       "that stops at TLS 1.2, or an old client still on TLS 1.0 meets a modern server. Update the older "
       "side rather than switching old versions back on."),
    "RFC 8446", "6.2" },
  { "tls.alert.internal_error", N_("internal_error: a problem on my side"),
    N_("The side that sent it failed for a reason of its own, not because of anything the other side "
       "sent: a broken configuration, no memory left. Only that side’s administrator can fix it, from "
       "its logs."),
    "RFC 8446", "6.2" },
  { "tls.alert.unrecognized_name", N_("unrecognized_name: no certificate for that name"),
    N_("The server has no certificate for the server name (SNI) the client asked for. Check the server "
       "name in the mail settings against the one the provider publishes."),
    "RFC 8446", "6.2" },
  { "tls.alert.no_application_protocol", N_("no_application_protocol: no protocol in common"),
    N_("The client offered application protocols with ALPN (for example imap) and the server speaks none "
       "of them on this port: usually a client pointed at the port of another service."),
    "RFC 7301", "3.2" },

  /* Records */
  { "tls.record.encrypted", N_("An encrypted record"),
    N_("What an eavesdropper sees of an encrypted record: a five-byte header saying type 23 "
       "(application data), version 0x0303 and a length, then bytes that look random. Nothing of the "
       "commands, the password or the message inside can be read, only how long it is and when it went "
       "by. In TLS 1.3 even the handshake messages and alerts after the ServerHello hide in such "
       "records."),
    "RFC 8446", "5.2" },
  { "tls.record.plaintext", N_("A record in the clear"),
    N_("A TLS record sent unencrypted: its header (type 22, handshake) and the handshake message itself, "
       "readable by anyone on the path. ClientHello and ServerHello always travel like this, and in TLS "
       "1.2 the certificate does too. They hold nothing secret, but they show which server the client "
       "talks to."),
    "RFC 8446", "5.1" },

  /* The handshake's outcome, and the errors a mail client reports */
  { "tls.done", N_("Handshake complete: the connection is encrypted"),
    N_("Both sides agreed on a TLS version (1.2 or 1.3) and a cipher suite, and the client accepted the "
       "server’s certificate. From now on everything on this connection, the commands, the user name "
       "and password, the messages, is encrypted and protected against change. An eavesdropper still "
       "sees who talks to whom, when, and how much."),
    "RFC 8446", "2" },
  { "tls.error.untrusted", N_("Certificate not trusted"),
    N_("The mail client warns that the server’s certificate is not trusted: it was signed by an "
       "authority this device does not know (it is self-signed, or from a private CA like Mailscope’s "
       "teaching CA). Someone in the middle could have made it. If it is your own test server, import "
       "its CA into the device; otherwise do not accept it, and ask the provider."),
    "RFC 5280", "6" },
  { "tls.error.hostname", N_("Certificate for another name"),
    N_("The certificate is valid, but for other names than the server name in the mail settings. An "
       "attacker’s certificate is valid too, for the attacker’s own name, so the name must match. Type "
       "exactly the server name the provider publishes (such as smtp.qq.com or imap.163.com), not an IP "
       "address or another name of the same machine."),
    "RFC 6125", "6" },
  { "tls.error.expired", N_("Certificate expired"),
    N_("The certificate’s end date has passed. Check this device’s date and time first; if they are "
       "right, the server’s administrator must renew the certificate. Accepting it anyway means "
       "trusting something nobody vouches for any more."),
    "RFC 5280", "4.1.2.5" },
  { "tls.error.not-yet-valid", N_("Certificate not valid yet"),
    N_("The certificate’s start date is still in the future. Almost always this device’s clock is wrong "
       "(a phone whose battery ran flat, a computer set to the year 2000): set the date and time "
       "correctly and try again."),
    "RFC 5280", "4.1.2.5" },
  { "tls.error.handshake", N_("TLS handshake failed"),
    N_("The TLS handshake failed before any mail was exchanged: the two sides share no TLS version or "
       "cipher suite, or one refused the other with an alert. The mail client reports a failed "
       "connection. Check the port and the encryption setting (SSL/TLS or STARTTLS), and update an "
       "outdated client or server."),
    "RFC 8446", "6.2" },
  { "tls.error.protocol", N_("Not TLS"),
    N_("Bytes arrived that are not valid TLS, or a record was broken. Usually the encryption setting "
       "does not match the port: SSL/TLS chosen for a plaintext port (587, 143, 110), or no encryption "
       "for a TLS port (465, 993, 995). Match the setting to the port."),
    "RFC 8446", "5" },

  /* The connection under it all */
  { "net.connect.plain", N_("Connected: plain text"),
    N_("A TCP connection to a plaintext port: 25 and 587 for SMTP, 143 for IMAP, 110 for POP3. "
       "Everything is readable on the path until the client sends STARTTLS (STLS in POP3) and the TLS "
       "handshake finishes. An attacker can remove the server’s STARTTLS offer, so a mail client set to "
       "STARTTLS must refuse to go on without it. RFC 8314 recommends the SSL/TLS ports instead."),
    "RFC 8314", "4.1" },
  { "net.connect.implicit-tls", N_("Connected: TLS from the first byte"),
    N_("A TCP connection to an implicit-TLS port: 465 for sending (SMTP submission), 993 for IMAP, 995 "
       "for POP3, shown as “SSL/TLS” in mail-client settings. The TLS handshake starts at once, so "
       "nothing at all travels in the clear and there is no STARTTLS offer to strip. RFC 8314 recommends "
       "these ports for sending and reading mail."),
    "RFC 8314", "3" },
  { "net.close", N_("Connection closed"),
    N_("The TCP connection ended. Over TLS, a side should first say close_notify; if the connection "
       "simply stops, the last data may have been cut short by an attacker, and a careful program "
       "treats it as an error."),
    "RFC 8446", "6.1" },
};

const gsize msc_explain_tls_n_entries = G_N_ELEMENTS (msc_explain_tls_entries);
