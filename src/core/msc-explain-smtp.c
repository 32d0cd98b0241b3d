/* msc-explain-smtp.c — SMTP commands and replies in plain words
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each reply entry says what the reply means, what usually causes it and,
 * for an error, what the user should do. Replies are keyed by basic code
 * and enhanced status code (RFC 3463), because "550 5.1.1" and
 * "550 5.7.1" mean different things to the person reading them.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"

const MscExplanation msc_explain_smtp_entries[] = {
  /* Commands */
  { "smtp.command.EHLO", N_("EHLO: hello, and what can you do?"),
    N_("The client greets the server with its own name and asks for the list of extensions the server "
       "supports (size limit, STARTTLS, AUTH, PIPELINING, …). Every modern client starts with EHLO; "
       "after STARTTLS it must say EHLO again, because everything learnt before encryption is forgotten."),
    "RFC 5321", "4.1.1.1" },
  { "smtp.command.HELO", N_("HELO: the old hello"),
    N_("The greeting of the original SMTP from 1982. It names the client but asks for no extensions, so "
       "the session can use none of them: no AUTH, no STARTTLS, no size check. Clients fall back to HELO "
       "only when a very old server rejects EHLO."),
    "RFC 5321", "4.1.1.1" },
  { "smtp.command.MAIL", N_("MAIL FROM: who is sending"),
    N_("Starts a new message and gives the envelope sender, the address that bounces go back to. It may "
       "differ from the From: line the reader sees. Parameters such as SIZE= and BODY=8BITMIME tell the "
       "server about the message before it is sent."),
    "RFC 5321", "4.1.1.2" },
  { "smtp.command.RCPT", N_("RCPT TO: who should receive it"),
    N_("Names one recipient of the message; a client sends one RCPT for each address in To, Cc and Bcc. "
       "The server answers each one separately, so some recipients can be accepted and others refused. "
       "Bcc exists only here, in the envelope: it never appears in the message itself."),
    "RFC 5321", "4.1.1.3" },
  { "smtp.command.DATA", N_("DATA: here comes the message"),
    N_("Asks to send the message itself: headers, a blank line, then the body. After the server's 354 "
       "the client sends the text and ends it with a line holding a single dot. A line of the message "
       "that starts with a dot is sent with one more dot in front (dot-stuffing), so it cannot end the "
       "message early."),
    "RFC 5321", "4.1.1.4" },
  { "smtp.data", N_("The message text"),
    N_("The message as the client sent it after DATA, up to the line with a single dot. This is what "
       "the recipient will read: header fields such as From, To, Subject and Date, then the body. "
       "Without TLS anyone on the path can read it, attachments included."),
    "RFC 5321", "4.1.1.4" },
  { "smtp.command.RSET", N_("RSET: start over"),
    N_("Cancels the message being prepared (sender, recipients, text) and keeps the connection open, "
       "so the client can start another one."),
    "RFC 5321", "4.1.1.5" },
  { "smtp.command.VRFY", N_("VRFY: does this mailbox exist?"),
    N_("Asks whether an address exists. Spammers used it to harvest addresses, so most servers, this "
       "one included, answer 252: “cannot say, but send the mail and I will try”."),
    "RFC 5321", "4.1.1.6" },
  { "smtp.command.EXPN", N_("EXPN: who is on this list?"),
    N_("Asks the server to expand a mailing list into its members. Servers switch it off because it "
       "gives addresses away."),
    "RFC 5321", "4.1.1.7" },
  { "smtp.command.HELP", N_("HELP"),
    N_("Asks the server for help text, meant for a person typing SMTP by hand."),
    "RFC 5321", "4.1.1.8" },
  { "smtp.command.NOOP", N_("NOOP: are you still there?"),
    N_("Does nothing except get a 250 reply. Clients use it to keep a connection alive or to check "
       "that the server still answers."),
    "RFC 5321", "4.1.1.9" },
  { "smtp.command.QUIT", N_("QUIT: goodbye"),
    N_("Ends the session. The server answers 221 and closes the connection. A message is delivered "
       "when its DATA is accepted, not at QUIT."),
    "RFC 5321", "4.1.1.10" },
  { "smtp.command.STARTTLS", N_("STARTTLS: switch to encryption"),
    N_("Asks to turn this plaintext connection into an encrypted one (ports 25 and 587). After the "
       "server's 220 the TLS handshake starts; everything after it, passwords and messages included, "
       "is encrypted. Anything the client sent before the handshake finished is thrown away, so an "
       "attacker cannot slip commands in."),
    "RFC 3207", "4" },
  { "smtp.command.AUTH", N_("AUTH: log in"),
    N_("Logs in with a user name and password (or, at QQ Mail and 163 Mail, an authorization code), "
       "so that the server lets this user send mail to any address. PLAIN sends both in one base64 "
       "line, LOGIN in two; base64 is not encryption, anyone who sees it can decode it, so servers "
       "accept AUTH only inside TLS."),
    "RFC 4954", "4" },
  { "smtp.command.sasl-response", N_("A login answer"),
    N_("The client's answer to a 334 challenge during AUTH: a base64-encoded user name or password. "
       "Base64 hides nothing: without TLS an eavesdropper decodes it at once."),
    "RFC 4954", "4" },
  { "smtp.command.unknown", N_("An unknown command"),
    N_("A line the server does not recognise as an SMTP command. A typing mistake, a command from "
       "another protocol (an IMAP or POP3 client pointed at the SMTP port) or garbage all end here."),
    "RFC 5321", "4.2.4" },

  /* Replies the Mailscope server sends, by code and enhanced status code */
  { "smtp.reply.220", N_("220: ready"),
    N_("The server's greeting: it is ready to talk, and it says its name. A client waits for this "
       "before sending anything."),
    "RFC 5321", "4.2" },
  { "smtp.reply.220.2.0.0", N_("220: ready to start TLS"),
    N_("The server accepted STARTTLS. The next bytes on the connection are the TLS handshake; after "
       "it the client must send EHLO again."),
    "RFC 3207", "4" },
  { "smtp.reply.221.2.0.0", N_("221: goodbye"),
    N_("The server ends the session after QUIT and closes the connection."),
    "RFC 5321", "4.1.1.10" },
  { "smtp.reply.214.2.0.0", N_("214: help"),
    N_("Help text for a person typing SMTP by hand."),
    "RFC 5321", "4.1.1.8" },
  { "smtp.reply.235.2.7.0", N_("235: logged in"),
    N_("The user name and password (or authorization code) are right. This connection may now send "
       "mail as that user, to any address."),
    "RFC 4954", "6" },
  { "smtp.reply.250", N_("250: hello, here is what I can do"),
    N_("The answer to EHLO or HELO. After EHLO each further line names one extension: SIZE (the largest "
       "message accepted), PIPELINING, 8BITMIME, SMTPUTF8 (addresses in Chinese and other scripts), "
       "STARTTLS, AUTH and the login methods, ENHANCEDSTATUSCODES."),
    "RFC 5321", "4.1.1.1" },
  { "smtp.reply.250.2.0.0", N_("250: done"),
    N_("The command worked. After the message text this is the important one: the server has stored "
       "the message safely and takes responsibility for delivering it."),
    "RFC 5321", "4.2.1" },
  { "smtp.reply.250.2.1.0", N_("250: sender accepted"),
    N_("The envelope sender of MAIL FROM is accepted; the client goes on with the recipients."),
    "RFC 3463", "3.2" },
  { "smtp.reply.250.2.1.5", N_("250: recipient accepted"),
    N_("This recipient is accepted: the server will deliver to it (or relay it further)."),
    "RFC 3463", "3.2" },
  { "smtp.reply.252.2.0.0", N_("252: cannot verify, will try"),
    N_("The server will not say whether the address exists (that would help spammers), but it will "
       "accept mail for it and try to deliver."),
    "RFC 5321", "3.5.3" },
  { "smtp.reply.334", N_("334: go on"),
    N_("During AUTH: the server waits for the next part of the login. For LOGIN the text is base64 for "
       "“Username:” or “Password:”; for PLAIN it is empty."),
    "RFC 4954", "4" },
  { "smtp.reply.354", N_("354: send the message"),
    N_("The server is ready for the message text. The client sends it and ends it with a line holding "
       "only a dot."),
    "RFC 5321", "4.1.1.4" },
  { "smtp.reply.421.4.4.2", N_("421: timed out"),
    N_("The client was silent for too long, so the server closed the connection, as RFC 5321 allows. "
       "A message not finished by then is not delivered. A client reconnects and tries again."),
    "RFC 5321", "4.5.3.2" },
  { "smtp.reply.421.4.7.0", N_("421: closing the connection"),
    N_("The server ends the session on its own: too many wrong commands in a row, or too much sent "
       "without waiting for replies. It protects itself from broken or hostile clients. Check the "
       "client's settings and try again later."),
    "RFC 5321", "3.8" },
  { "smtp.reply.451.4.3.0", N_("451: local error, try later"),
    N_("The server could not store the message because of a problem on its side. It is a temporary "
       "failure: a client or relay keeps the message and retries later."),
    "RFC 3463", "3.4" },
  { "smtp.reply.452.4.3.1", N_("452: server storage full"),
    N_("The server has no room for the message right now. Temporary: the sender retries later; the "
       "administrator should free disk space."),
    "RFC 3463", "3.4" },
  { "smtp.reply.452.4.5.3", N_("452: too many recipients"),
    N_("This message already has as many recipients as the server accepts at once. The client sends "
       "the message to the ones accepted so far and sends it again for the rest."),
    "RFC 5321", "4.5.3.1.10" },
  { "smtp.reply.500.5.5.1", N_("500: unknown command"),
    N_("The server does not know this command. Usually a client speaking another protocol to this port "
       "(for example an IMAP or POP3 client set to the SMTP port), or a typing mistake."),
    "RFC 5321", "4.2.4" },
  { "smtp.reply.500.5.5.2", N_("500: the line makes no sense"),
    N_("The line is not a valid command: it is too long, empty, or holds NUL bytes, control characters "
       "or bytes that are not UTF-8. The server rejects it and keeps the session open."),
    "RFC 5321", "4.5.3.1.4" },
  { "smtp.reply.500.5.5.6", N_("500: login line too long"),
    N_("A line of the AUTH exchange is longer than the server accepts; the login is abandoned."),
    "RFC 4954", "4" },
  { "smtp.reply.501.5.0.0", N_("501: login cancelled"),
    N_("The client answered a 334 challenge with “*”, which cancels the AUTH exchange."),
    "RFC 4954", "4" },
  { "smtp.reply.501.5.1.3", N_("501: bad recipient address"),
    N_("The address in RCPT TO is not a valid mailbox address. Check for typing mistakes, missing <> "
       "or spaces."),
    "RFC 3463", "3.2" },
  { "smtp.reply.501.5.1.7", N_("501: bad sender address"),
    N_("The address in MAIL FROM is not a valid mailbox address. Check the account's e-mail address in "
       "the mail client."),
    "RFC 3463", "3.2" },
  { "smtp.reply.501.5.5.2", N_("501: cannot decode"),
    N_("The server expected base64 (during AUTH) or a host name (after EHLO) and got something else."),
    "RFC 4954", "4" },
  { "smtp.reply.501.5.5.4", N_("501: wrong arguments"),
    N_("The command is known but its arguments are not valid: a missing address, an unknown parameter "
       "value, text where none is allowed. The reply says which form is expected."),
    "RFC 5321", "4.2.2" },
  { "smtp.reply.502.5.5.1", N_("502: not implemented"),
    N_("The server knows this command but does not offer it here, for example STARTTLS on a server "
       "without a certificate, or EXPN."),
    "RFC 5321", "4.2.4" },
  { "smtp.reply.503.5.5.1", N_("503: wrong order"),
    N_("The command came at the wrong point of the conversation: MAIL before EHLO, RCPT before MAIL, "
       "DATA with no recipient, AUTH twice. SMTP has a fixed order: EHLO, (STARTTLS, EHLO,) AUTH, MAIL, "
       "RCPT…, DATA."),
    "RFC 5321", "4.1.4" },
  { "smtp.reply.504.5.5.4", N_("504: unknown login method"),
    N_("The AUTH method asked for is not one the server offers. The EHLO reply lists the methods it "
       "accepts."),
    "RFC 4954", "4" },
  { "smtp.reply.530.5.7.0", N_("530: log in first"),
    N_("This is a submission port (587 or 465): only logged-in users may send mail through it. Turn on "
       "“my outgoing server requires authentication” in the mail client and enter the user name and "
       "password (or authorization code)."),
    "RFC 4954", "6" },
  { "smtp.reply.535.5.7.8", N_("535: wrong user name or password"),
    N_("Authentication failed: the user name or password is wrong. At QQ Mail, 163 Mail and other "
       "providers, mail clients must use the authorization code from the web settings, not the login "
       "password. Check both, and that the user name is the full e-mail address."),
    "RFC 4954", "6" },
  { "smtp.reply.538.5.7.11", N_("538: encryption required to log in"),
    N_("The server refuses to receive a password over an unencrypted connection, where anyone on the "
       "path could read it. Use port 465 with SSL/TLS, or STARTTLS on port 587."),
    "RFC 4954", "6" },
  { "smtp.reply.550.5.1.1", N_("550: no such mailbox"),
    N_("The server handles this domain but has no mailbox with this name. Usually a typing mistake in "
       "the address, or a person who has left the company. The sender gets a bounce; check the address."),
    "RFC 3463", "3.2" },
  { "smtp.reply.550.5.6.7", N_("550: this sender needs SMTPUTF8"),
    N_("The sender address has non-ASCII characters (Chinese, for example) but the client did not say "
       "SMTPUTF8 in MAIL FROM. A client must announce SMTPUTF8 to use such addresses."),
    "RFC 6531", "3.5" },
  { "smtp.reply.550.5.7.1", N_("550: relay denied"),
    N_("This server receives mail only for its own domains (it is an MX, port 25), and the recipient is "
       "elsewhere. An open relay would be abused by spammers. To send to other domains, log in on the "
       "submission port (587 or 465) of your own provider."),
    "RFC 5321", "3.6.2" },
  { "smtp.reply.552.5.3.4", N_("552: message too big"),
    N_("The message is larger than the server accepts (the EHLO reply shows the limit after SIZE). "
       "Remove or shrink attachments, or share large files by link."),
    "RFC 1870", "6" },
  { "smtp.reply.553.5.6.7", N_("553: this recipient needs SMTPUTF8"),
    N_("The recipient address has non-ASCII characters but the client did not say SMTPUTF8 in MAIL FROM."),
    "RFC 6531", "3.5" },
  { "smtp.reply.553.5.7.1", N_("553: not your address"),
    N_("A logged-in user may send only as their own address. The sender in MAIL FROM belongs to someone "
       "else: check the account's e-mail address in the mail client, or log in as that user."),
    "RFC 6409", "6.1" },
  { "smtp.reply.554.5.5.1", N_("554: no valid recipients"),
    N_("DATA came, but every recipient was refused, so there is nobody to deliver to. Look at the replies "
       "to the RCPT commands above."),
    "RFC 5321", "3.3" },
  { "smtp.reply.555.5.5.4", N_("555: unsupported parameter"),
    N_("MAIL FROM or RCPT TO carried a parameter the server did not announce in its EHLO reply (or the "
       "client used HELO, which announces none)."),
    "RFC 5321", "4.1.1.11" },

  /* Fallbacks for replies from other servers, by code and by class */
  { "smtp.reply.450", N_("450: mailbox busy, try later"),
    N_("The mailbox is unavailable for now: busy, or the server is greylisting (refusing the first try "
       "from an unknown sender to see whether it retries, as real servers do and spam robots often do "
       "not). The sending server retries later."),
    "RFC 5321", "4.2.3" },
  { "smtp.reply.550", N_("550: refused"),
    N_("The server refuses this for good: usually the mailbox does not exist, or policy forbids it "
       "(relaying, spam filtering). The text after the code says why."),
    "RFC 5321", "4.2.3" },
  { "smtp.reply.554", N_("554: transaction failed"),
    N_("The server will not accept this mail at all, often because the sender or its IP address is on "
       "a block list. The text after the code says why."),
    "RFC 5321", "4.2.3" },
  { "smtp.reply.2xx", N_("Success"),
    N_("A reply starting with 2 means the command succeeded."),
    "RFC 5321", "4.2.1" },
  { "smtp.reply.3xx", N_("Go on"),
    N_("A reply starting with 3 means the server accepted the command and waits for more (the message "
       "text, or the next part of a login)."),
    "RFC 5321", "4.2.1" },
  { "smtp.reply.4xx", N_("Temporary failure"),
    N_("A reply starting with 4 means it did not work now but may later: the sender keeps the message "
       "and tries again, usually for several days, before giving up with a bounce."),
    "RFC 5321", "4.2.1" },
  { "smtp.reply.5xx", N_("Permanent failure"),
    N_("A reply starting with 5 means it will not work as it is: trying again unchanged is useless. A "
       "mail server that was relaying the message sends the sender a bounce."),
    "RFC 5321", "4.2.1" },
};

const gsize msc_explain_smtp_n_entries = G_N_ELEMENTS (msc_explain_smtp_entries);
