/* msc-explain-pop3.c — POP3 commands and replies in plain words
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A POP3 reply is only "+OK" or "-ERR"; what it means depends on the
 * command it answers, so replies are keyed by that command.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"

const MscExplanation msc_explain_pop3_entries[] = {
  /* Commands */
  { "pop3.command.USER", N_("USER: who is logging in"),
    N_("Names the mailbox to open, usually the full e-mail address. The password follows with PASS. "
       "Without TLS both cross the network in plain text."),
    "RFC 1939", "7" },
  { "pop3.command.PASS", N_("PASS: the password"),
    N_("Sends the password (or, at QQ Mail and 163 Mail, the authorization code) for the user named by "
       "USER. It travels exactly as typed: on an unencrypted connection anyone on the path reads it. "
       "That is why mail apps use port 995 (SSL/TLS) or STLS on port 110."),
    "RFC 1939", "7" },
  { "pop3.command.APOP", N_("APOP: log in without sending the password"),
    N_("Proves the password by sending an MD5 digest of the server's greeting timestamp and the "
       "password. The password itself never crosses the wire, but the server must store it in plain "
       "text to check the digest, MD5 is broken, and the user name is still visible. Use TLS instead."),
    "RFC 1939", "7" },
  { "pop3.command.AUTH", N_("AUTH: log in with SASL"),
    N_("Logs in with a SASL mechanism. PLAIN sends the user name and password base64-encoded, which is "
       "no protection at all: it is used only inside TLS."),
    "RFC 5034", "4" },
  { "pop3.command.sasl-response", N_("A login answer"),
    N_("The client's answer to the server's “+ ” challenge during AUTH: base64-encoded credentials. "
       "Without TLS an eavesdropper decodes them at once."),
    "RFC 5034", "4" },
  { "pop3.command.CAPA", N_("CAPA: what can you do?"),
    N_("Asks the server for its capabilities: TOP, UIDL, PIPELINING, the login methods, STLS. A mail "
       "app asks first, then chooses how to log in and what to use."),
    "RFC 2449", "5" },
  { "pop3.command.STLS", N_("STLS: switch to encryption"),
    N_("Asks to turn this plaintext connection (port 110) into an encrypted one. After +OK the TLS "
       "handshake starts, and the password and mail that follow are encrypted. Anything sent before the "
       "handshake finished is thrown away."),
    "RFC 2595", "4" },
  { "pop3.command.STAT", N_("STAT: how many messages?"),
    N_("Asks how many messages the mailbox holds and their total size in bytes. Messages marked for "
       "deletion in this session are not counted."),
    "RFC 1939", "5" },
  { "pop3.command.LIST", N_("LIST: the messages and their sizes"),
    N_("Lists each message by its number in this session and its size. The numbers hold only for this "
       "session: next time the same message may have another number. UIDL gives the lasting name."),
    "RFC 1939", "5" },
  { "pop3.command.UIDL", N_("UIDL: each message's lasting name"),
    N_("Lists a unique ID for each message that stays the same across sessions. This is how a mail app "
       "knows which messages it has already downloaded, and downloads each one only once."),
    "RFC 1939", "7" },
  { "pop3.command.TOP", N_("TOP: just the headers"),
    N_("Asks for a message's header and the first lines of its body, so a mail app can show sender and "
       "subject without downloading the whole message and its attachments."),
    "RFC 1939", "7" },
  { "pop3.command.RETR", N_("RETR: download a message"),
    N_("Downloads a whole message. POP3 has no notion of “read” on the server: from now on, whether it "
       "is read is known only to this device."),
    "RFC 1939", "5" },
  { "pop3.command.DELE", N_("DELE: delete a message"),
    N_("Marks a message for deletion. Nothing is removed yet: the server deletes marked messages only "
       "when the client says QUIT. If the connection drops first, or after RSET, the message stays. "
       "Once deleted, no other device can ever download it."),
    "RFC 1939", "5" },
  { "pop3.command.NOOP", N_("NOOP: still there?"),
    N_("Does nothing but get a +OK, to keep the connection alive or check that the server answers."),
    "RFC 1939", "5" },
  { "pop3.command.RSET", N_("RSET: undo the deletions"),
    N_("Unmarks every message marked for deletion in this session."),
    "RFC 1939", "5" },
  { "pop3.command.QUIT", N_("QUIT: finish, and delete now"),
    N_("Ends the session. If the client logged in, the server now enters the UPDATE state and really "
       "removes the messages marked with DELE. This is the moment mail disappears from the server."),
    "RFC 1939", "6" },
  { "pop3.command.unknown", N_("An unknown command"),
    N_("A line the POP3 server does not recognise, or a command not allowed at this point (for example "
       "RETR before logging in). An SMTP or IMAP client pointed at the POP3 port ends up here too."),
    "RFC 1939", "3" },

  /* Replies */
  { "pop3.reply.greeting", N_("+OK: ready"),
    N_("The server's greeting. When it ends with a <…@…> timestamp, the server offers APOP."),
    "RFC 1939", "4" },
  { "pop3.reply.continue", N_("+ : go on"),
    N_("During AUTH: the server waits for the next part of the login, in base64."),
    "RFC 5034", "4" },
  { "pop3.reply.ok", N_("+OK: done"),
    N_("The command worked. What follows on the line, if anything, is for people to read."),
    "RFC 1939", "3" },
  { "pop3.reply.err", N_("-ERR: refused"),
    N_("The command failed. POP3 has no numbered codes: the text after -ERR, and the code in brackets "
       "if there is one, say why."),
    "RFC 1939", "3" },
  { "pop3.reply.ok.USER", N_("+OK: now the password"),
    N_("The server waits for PASS. It says nothing about whether the user exists, so a stranger cannot "
       "find out which names are valid."),
    "RFC 1939", "7" },
  { "pop3.reply.ok.PASS", N_("+OK: logged in, mailbox locked"),
    N_("The password is right. The server has locked the mailbox for this session and numbered its "
       "messages; no other POP3 session can open it until this one ends."),
    "RFC 1939", "7" },
  { "pop3.reply.ok.APOP", N_("+OK: logged in with APOP"),
    N_("The digest matched the password the server holds. The mailbox is locked for this session."),
    "RFC 1939", "7" },
  { "pop3.reply.ok.AUTH", N_("+OK: logged in"),
    N_("The SASL login worked (or the server lists the mechanisms it offers). The mailbox is locked for "
       "this session."),
    "RFC 5034", "4" },
  { "pop3.reply.ok.CAPA", N_("+OK: the capabilities"),
    N_("The lines that follow name what the server supports: TOP, UIDL, USER, SASL and its mechanisms, "
       "STLS, PIPELINING, RESP-CODES."),
    "RFC 2449", "5" },
  { "pop3.reply.ok.STLS", N_("+OK: begin TLS"),
    N_("The TLS handshake starts now. After it, the client asks CAPA again: what was said in plain text "
       "is not trusted."),
    "RFC 2595", "4" },
  { "pop3.reply.ok.STAT", N_("+OK: count and size"),
    N_("The first number is how many messages there are, the second their total size in bytes."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.LIST", N_("+OK: the message list"),
    N_("One line per message: its number in this session and its size in bytes."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.UIDL", N_("+OK: the unique IDs"),
    N_("One line per message: its number in this session and its lasting unique ID. The app compares "
       "these IDs with the ones it has already downloaded."),
    "RFC 1939", "7" },
  { "pop3.reply.ok.TOP", N_("+OK: the headers follow"),
    N_("The message's header, a blank line and the requested number of body lines, ended by a line with "
       "a single dot."),
    "RFC 1939", "7" },
  { "pop3.reply.ok.RETR", N_("+OK: the message follows"),
    N_("The whole message follows, ended by a line with a single dot (a line of the message starting "
       "with a dot gets an extra dot in front). The device now has its own copy."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.DELE", N_("+OK: marked for deletion"),
    N_("The message is marked. It is removed from the server only at QUIT; until then RSET can undo it."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.NOOP", N_("+OK: still here"),
    N_("The server is still there and the connection is alive."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.RSET", N_("+OK: deletions undone"),
    N_("Every message marked with DELE in this session is unmarked."),
    "RFC 1939", "5" },
  { "pop3.reply.ok.QUIT", N_("+OK: goodbye"),
    N_("The session is over. Messages marked with DELE are now gone from the server: devices that did "
       "not download them before will never see them."),
    "RFC 1939", "6" },
  { "pop3.update", N_("UPDATE: deleted messages removed"),
    N_("After QUIT the server removes the messages marked with DELE from the mailbox. With IMAP, every "
       "other device sees them disappear; with POP3 they simply are not there next time."),
    "RFC 1939", "6" },
  { "pop3.reply.err.USER", N_("-ERR: USER refused"),
    N_("The USER command was malformed, or logging in is not allowed here (for example without TLS)."),
    "RFC 1939", "7" },
  { "pop3.reply.err.PASS", N_("-ERR: PASS refused"),
    N_("PASS came without USER before it, or without a password."),
    "RFC 1939", "7" },
  { "pop3.reply.err.APOP", N_("-ERR: APOP refused"),
    N_("The server does not offer APOP for this account, or the command was malformed."),
    "RFC 1939", "7" },
  { "pop3.reply.err.AUTH", N_("-ERR: AUTH refused"),
    N_("The login was cancelled, the mechanism is not offered, or the base64 could not be decoded."),
    "RFC 5034", "4" },
  { "pop3.reply.err.STLS", N_("-ERR: STLS refused"),
    N_("TLS is already active on this connection, or this server does not offer STLS at all."),
    "RFC 2595", "4" },
  { "pop3.reply.err.RETR", N_("-ERR: no such message"),
    N_("There is no message with this number in this session, or it was marked for deletion."),
    "RFC 1939", "5" },
  { "pop3.reply.err.TOP", N_("-ERR: no such message"),
    N_("There is no message with this number in this session, or it was marked for deletion."),
    "RFC 1939", "7" },
  { "pop3.reply.err.DELE", N_("-ERR: cannot delete"),
    N_("There is no message with this number, or it is already marked for deletion."),
    "RFC 1939", "5" },
  { "pop3.reply.err.LIST", N_("-ERR: no such message"),
    N_("There is no message with this number in this session, or it was marked for deletion."),
    "RFC 1939", "5" },
  { "pop3.reply.err.UIDL", N_("-ERR: no such message"),
    N_("There is no message with this number in this session, or it was marked for deletion."),
    "RFC 1939", "7" },
  { "pop3.reply.err.UNKNOWN", N_("-ERR: not understood"),
    N_("The server does not know this command, or it is not allowed in this state (before login only "
       "USER, PASS, APOP, AUTH, STLS, CAPA and QUIT are). The session goes on; after many errors the "
       "server closes it."),
    "RFC 1939", "3" },
  { "pop3.reply.code.AUTH", N_("-ERR [AUTH]: login failed"),
    N_("Authentication failed: wrong user name or password, or the server requires encryption before "
       "accepting any password. Check the password (at QQ Mail and 163 Mail: the authorization code) "
       "and use port 995 with SSL/TLS."),
    "RFC 3206", "4" },
  { "pop3.reply.code.IN-USE", N_("-ERR [IN-USE]: mailbox in use"),
    N_("Another POP3 session holds this mailbox, usually another device checking mail at the same time. "
       "POP3 lets only one session at a time work on a mailbox. Wait and try again."),
    "RFC 2449", "8.1.1" },
  { "pop3.reply.code.SYS/TEMP", N_("-ERR [SYS/TEMP]: temporary server problem"),
    N_("The server could not open or update the mailbox just now, for example because of a disk problem. Try again later."),
    "RFC 3206", "5" },
  { "pop3.reply.code.SYS/PERM", N_("-ERR [SYS/PERM]: server problem"),
    N_("The server has a problem with this mailbox that waiting will not fix. The administrator must "
       "look at it."),
    "RFC 3206", "5" },
};

const gsize msc_explain_pop3_n_entries = G_N_ELEMENTS (msc_explain_pop3_entries);
