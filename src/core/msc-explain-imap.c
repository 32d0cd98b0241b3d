/* msc-explain-imap.c — IMAP commands and responses in plain words
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keys: imap.command.NAME (UID commands as imap.command.UID-FETCH …),
 * imap.untagged.NAME, imap.tagged.OK / NO / BAD, imap.continuation and
 * imap.code.CODE for response codes (RFC 3501 §7.1 and the extensions).
 */

#include "config.h"

#include <glib/gi18n.h>

#include "msc-explain.h"

const MscExplanation msc_explain_imap_entries[] = {
  /* Commands */
  { "imap.command.CAPABILITY", N_("CAPABILITY: what can you do?"),
    N_("Asks which IMAP version and extensions the server supports: IDLE, MOVE, UIDPLUS, STARTTLS, the "
       "login methods. The answer can change after STARTTLS and after login, so clients ask again."),
    "RFC 3501", "6.1.1" },
  { "imap.command.NOOP", N_("NOOP: anything new?"),
    N_("Does nothing by itself, but gives the server a moment to report changes to the selected folder: "
       "new messages (EXISTS), deleted ones (EXPUNGE), flags changed by another device (FETCH). Clients "
       "without IDLE poll with it."),
    "RFC 3501", "6.1.2" },
  { "imap.command.LOGOUT", N_("LOGOUT: goodbye"),
    N_("Ends the session. Nothing changes in the mailbox: IMAP keeps everything on the server, where the "
       "other devices still see it."),
    "RFC 3501", "6.1.3" },
  { "imap.command.STARTTLS", N_("STARTTLS: switch to encryption"),
    N_("Asks to turn this plaintext connection (port 143) into an encrypted one before logging in. "
       "Everything the client sent before the handshake finished is thrown away."),
    "RFC 3501", "6.2.1" },
  { "imap.command.LOGIN", N_("LOGIN: user name and password"),
    N_("Logs in with user name and password (at QQ Mail and 163 Mail: the authorization code) in plain "
       "text. Without TLS anyone on the path reads the password, which is why servers refuse it there "
       "(LOGINDISABLED) and mail apps use port 993."),
    "RFC 3501", "6.2.3" },
  { "imap.command.AUTHENTICATE", N_("AUTHENTICATE: log in with SASL"),
    N_("Logs in with a SASL mechanism. PLAIN sends the user name and password base64-encoded: readable "
       "by anyone without TLS."),
    "RFC 3501", "6.2.2" },
  { "imap.command.sasl-response", N_("A login answer"),
    N_("The client's answer to a “+” continuation during AUTHENTICATE: base64-encoded credentials."),
    "RFC 3501", "6.2.2" },
  { "imap.command.SELECT", N_("SELECT: open a folder"),
    N_("Opens a folder to work in it. The server answers with how many messages there are, which flags "
       "exist, the UIDVALIDITY and UIDNEXT that let a client resume its cache, and how many are unseen. "
       "From now on this session hears about changes other devices make to the folder."),
    "RFC 3501", "6.3.1" },
  { "imap.command.EXAMINE", N_("EXAMINE: open a folder read-only"),
    N_("Like SELECT, but nothing can be changed, and reading a message does not mark it read on the "
       "server."),
    "RFC 3501", "6.3.2" },
  { "imap.command.CREATE", N_("CREATE: make a folder"),
    N_("Creates a folder on the server. Every device sees it, because the folders live on the server. "
       "Chinese folder names travel in modified UTF-7 (“已发送” is “&XfJT0ZAB-”)."),
    "RFC 3501", "6.3.3" },
  { "imap.command.DELETE", N_("DELETE: remove a folder"),
    N_("Deletes a folder and the messages in it, on the server and so on every device. INBOX cannot be "
       "deleted."),
    "RFC 3501", "6.3.4" },
  { "imap.command.RENAME", N_("RENAME: rename a folder"),
    N_("Renames a folder on the server; every device sees the new name at its next folder list."),
    "RFC 3501", "6.3.5" },
  { "imap.command.SUBSCRIBE", N_("SUBSCRIBE: show this folder"),
    N_("Adds a folder to the list the user wants to see in the mail app (LSUB returns that list)."),
    "RFC 3501", "6.3.6" },
  { "imap.command.UNSUBSCRIBE", N_("UNSUBSCRIBE: hide this folder"),
    N_("Removes a folder from the subscribed list; the folder and its mail stay on the server."),
    "RFC 3501", "6.3.7" },
  { "imap.command.LIST", N_("LIST: which folders are there?"),
    N_("Lists the folders on the server. Attributes such as \\Sent, \\Drafts, \\Trash and \\Junk "
       "(SPECIAL-USE) tell the app which folder plays which role, whatever its name or language."),
    "RFC 3501", "6.3.8" },
  { "imap.command.LSUB", N_("LSUB: which folders are subscribed?"),
    N_("Lists the folders the user subscribed to, the ones a mail app shows by default."),
    "RFC 3501", "6.3.9" },
  { "imap.command.STATUS", N_("STATUS: how is that folder?"),
    N_("Asks for counts of another folder (messages, unseen, UIDNEXT…) without opening it. Apps use it "
       "to show unread counts next to every folder."),
    "RFC 3501", "6.3.10" },
  { "imap.command.APPEND", N_("APPEND: put a message in a folder"),
    N_("Uploads a whole message into a folder. Mail apps use it to keep a copy of what they sent in the "
       "Sent folder, so that every device sees it — SMTP only delivers, it keeps no copy."),
    "RFC 3501", "6.3.11" },
  { "imap.command.CHECK", N_("CHECK: save your work"),
    N_("Asks the server to bring the selected folder's files up to date. Today's servers do that all the "
       "time; it is kept for old clients."),
    "RFC 3501", "6.4.1" },
  { "imap.command.CLOSE", N_("CLOSE: close the folder and purge"),
    N_("Leaves the selected folder and silently removes the messages marked \\Deleted in it."),
    "RFC 3501", "6.4.2" },
  { "imap.command.UNSELECT", N_("UNSELECT: close the folder, keep everything"),
    N_("Leaves the selected folder without removing messages marked \\Deleted."),
    "RFC 3691", "2" },
  { "imap.command.EXPUNGE", N_("EXPUNGE: remove what is marked deleted"),
    N_("Permanently removes the messages marked \\Deleted from the folder. Every other device that has "
       "the folder open is told (EXPUNGE) and removes them too."),
    "RFC 3501", "6.4.3" },
  { "imap.command.SEARCH", N_("SEARCH: find messages on the server"),
    N_("Searches on the server, so the device need not download anything: by sender, subject, text, "
       "date, size or flags. With CHARSET UTF-8 the search text can be Chinese, and the server finds it "
       "whatever charset the message used."),
    "RFC 3501", "6.4.4" },
  { "imap.command.FETCH", N_("FETCH: get parts of messages"),
    N_("Asks for data about messages: flags, size, date, the envelope (sender, subject…), the structure "
       "(which parts and attachments), or the text itself, whole or in parts. BODY[] marks the message "
       "read (\\Seen) on the server, for every device; BODY.PEEK[] does not."),
    "RFC 3501", "6.4.5" },
  { "imap.command.STORE", N_("STORE: change flags"),
    N_("Sets or clears flags such as \\Seen (read), \\Flagged (star) or \\Deleted. The change is made on "
       "the server, so every device shows the message read, starred or deleted."),
    "RFC 3501", "6.4.6" },
  { "imap.command.COPY", N_("COPY: copy to a folder"),
    N_("Copies messages into another folder on the server, without downloading them to the device."),
    "RFC 3501", "6.4.7" },
  { "imap.command.MOVE", N_("MOVE: move to a folder"),
    N_("Moves messages into another folder in one step (copy, then remove from here). Deleting in a mail "
       "app usually means moving to Trash."),
    "RFC 6851", "3" },
  { "imap.command.UID", N_("UID: the same, by lasting number"),
    N_("Runs FETCH, STORE, COPY, MOVE, SEARCH or EXPUNGE with UIDs instead of sequence numbers. A UID "
       "never changes while UIDVALIDITY stays the same, so a client can keep a cache and resume."),
    "RFC 3501", "6.4.8" },
  { "imap.command.IDLE", N_("IDLE: tell me when something happens"),
    N_("The client waits and the server pushes changes at once: new mail, deletions, flags changed by "
       "other devices. This is “push” mail; without it a client must poll every few minutes. The client "
       "ends IDLE with DONE and re-issues it before 30 minutes pass."),
    "RFC 2177", "3" },
  { "imap.command.DONE", N_("DONE: stop waiting"),
    N_("Ends IDLE, so the client can send other commands (and then usually IDLE again)."),
    "RFC 2177", "3" },
  { "imap.command.NAMESPACE", N_("NAMESPACE: how are folder names built?"),
    N_("Asks for the folder prefix and hierarchy delimiter (here “/”), so a client knows how to name "
       "sub-folders."),
    "RFC 2342", "5" },
  { "imap.command.ID", N_("ID: who are you?"),
    N_("Client and server tell each other their name and version, which helps with logs and bug reports."),
    "RFC 2971", "3.1" },
  { "imap.command.ENABLE", N_("ENABLE: switch on an extension"),
    N_("Turns on extensions that change how the server talks, for the rest of the session."),
    "RFC 5161", "3.1" },
  { "imap.command.unknown", N_("An unknown command"),
    N_("A line the IMAP server does not recognise, or that is not allowed in this state (for example "
       "FETCH before SELECT). An SMTP or POP3 client pointed at the IMAP port ends up here too."),
    "RFC 3501", "6" },

  /* Responses */
  { "imap.continuation", N_("+ : go on"),
    N_("The server is ready for more: the bytes of a literal the client announced with {n}, the next "
       "part of a login, or — after IDLE — it waits and will push changes."),
    "RFC 3501", "7.5" },
  { "imap.tagged.OK", N_("OK: done"),
    N_("The command with this tag worked. The text in brackets, if any, adds detail."),
    "RFC 3501", "7.1.1" },
  { "imap.tagged.NO", N_("NO: refused"),
    N_("The command was understood but failed: wrong password, no such folder, no permission. The text "
       "says why."),
    "RFC 3501", "7.1.2" },
  { "imap.tagged.BAD", N_("BAD: not understood"),
    N_("The command was malformed or not allowed in this state. That is a client problem, not a mailbox "
       "problem."),
    "RFC 3501", "7.1.3" },
  { "imap.untagged.OK", N_("* OK: information"),
    N_("A message from the server not tied to a command: the greeting, or a response code such as "
       "[UIDVALIDITY] or [UNSEEN] while a folder opens."),
    "RFC 3501", "7.1.1" },
  { "imap.untagged.NO", N_("* NO: warning"),
    N_("A warning from the server that is not the answer to one particular command."),
    "RFC 3501", "7.1.2" },
  { "imap.untagged.BAD", N_("* BAD: protocol error"),
    N_("The server saw something it could not parse and could not tell which command it belonged to."),
    "RFC 3501", "7.1.3" },
  { "imap.untagged.PREAUTH", N_("* PREAUTH: already logged in"),
    N_("The greeting of a server that already knows who the client is; no login is needed."),
    "RFC 3501", "7.1.4" },
  { "imap.untagged.BYE", N_("* BYE: closing"),
    N_("The server is closing the connection: after LOGOUT, after a long silence, or because something "
       "went badly wrong."),
    "RFC 3501", "7.1.5" },
  { "imap.untagged.CAPABILITY", N_("* CAPABILITY: what the server can do"),
    N_("The IMAP version and the extensions supported on this connection, as it is now."),
    "RFC 3501", "7.2.1" },
  { "imap.untagged.LIST", N_("* LIST: one folder"),
    N_("One folder: its attributes (\\HasChildren, \\Sent, \\Trash…), the hierarchy delimiter and its "
       "name, in modified UTF-7 when it is not ASCII."),
    "RFC 3501", "7.2.2" },
  { "imap.untagged.LSUB", N_("* LSUB: one subscribed folder"),
    N_("One folder of the subscribed list, with its attributes and name."),
    "RFC 3501", "7.2.3" },
  { "imap.untagged.STATUS", N_("* STATUS: a folder's counts"),
    N_("The counts STATUS asked for: messages, unseen, UIDNEXT, UIDVALIDITY."),
    "RFC 3501", "7.2.4" },
  { "imap.untagged.SEARCH", N_("* SEARCH: the matches"),
    N_("The numbers (or UIDs) of the messages that matched the search."),
    "RFC 3501", "7.2.5" },
  { "imap.untagged.FLAGS", N_("* FLAGS: the flags in use"),
    N_("The flags messages in this folder can carry: \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft "
       "and keywords."),
    "RFC 3501", "7.2.6" },
  { "imap.untagged.EXISTS", N_("* EXISTS: how many messages"),
    N_("The folder now holds this many messages. When the number grows, new mail has arrived: a client "
       "in IDLE hears it at once and fetches it."),
    "RFC 3501", "7.3.1" },
  { "imap.untagged.RECENT", N_("* RECENT: new since last time"),
    N_("How many messages arrived since any session last opened the folder."),
    "RFC 3501", "7.3.2" },
  { "imap.untagged.EXPUNGE", N_("* EXPUNGE: a message is gone"),
    N_("The message with this sequence number was removed, by this session or another device. Every "
       "message after it moves up by one number; the client removes it from its cache too."),
    "RFC 3501", "7.4.1" },
  { "imap.untagged.FETCH", N_("* FETCH: message data"),
    N_("Data about one message: what FETCH asked for, or — unasked — its new flags after another device "
       "marked it read or starred it. That is how every device stays in sync."),
    "RFC 3501", "7.4.2" },
  { "imap.untagged.NAMESPACE", N_("* NAMESPACE: folder naming"),
    N_("The personal, other users' and shared folder prefixes with their delimiter."),
    "RFC 2342", "5" },
  { "imap.untagged.ID", N_("* ID: the server's name"),
    N_("The server's name and version, in answer to the client's ID."),
    "RFC 2971", "3.2" },
  { "imap.untagged.ENABLED", N_("* ENABLED: switched on"),
    N_("The extensions that ENABLE turned on for the rest of this session."),
    "RFC 5161", "3.2" },

  /* Response codes */
  { "imap.code.ALERT", N_("[ALERT]: read this"),
    N_("A message from the server that the mail app must show to the user as it is."),
    "RFC 3501", "7.1" },
  { "imap.code.BADCHARSET", N_("[BADCHARSET]: unknown charset"),
    N_("SEARCH named a charset the server does not support; the code lists the ones it does (UTF-8)."),
    "RFC 3501", "7.1" },
  { "imap.code.CAPABILITY", N_("[CAPABILITY]: the capabilities"),
    N_("The capability list, given in passing so the client need not ask."),
    "RFC 3501", "7.1" },
  { "imap.code.PARSE", N_("[PARSE]: cannot parse a message"),
    N_("The server could not parse the headers or the MIME structure of a message."),
    "RFC 3501", "7.1" },
  { "imap.code.PERMANENTFLAGS", N_("[PERMANENTFLAGS]: flags that last"),
    N_("The flags the client can change and that are kept on the server; \\* means new keywords too."),
    "RFC 3501", "7.1" },
  { "imap.code.READ-ONLY", N_("[READ-ONLY]: look, don't touch"),
    N_("The folder is open read-only (EXAMINE): flags will not change on the server."),
    "RFC 3501", "7.1" },
  { "imap.code.READ-WRITE", N_("[READ-WRITE]: open for changes"),
    N_("The folder is open for changes (SELECT): flags set here reach every device."),
    "RFC 3501", "7.1" },
  { "imap.code.TRYCREATE", N_("[TRYCREATE]: the folder does not exist"),
    N_("APPEND, COPY or MOVE named a folder that does not exist; creating it first would help."),
    "RFC 3501", "7.1" },
  { "imap.code.UIDNEXT", N_("[UIDNEXT]: the next UID"),
    N_("The UID the next message in this folder will get. If it is higher than last time, there is new "
       "mail to fetch."),
    "RFC 3501", "7.1" },
  { "imap.code.UIDVALIDITY", N_("[UIDVALIDITY]: may I trust my cache?"),
    N_("While this number stays the same, every UID still means the same message, so a device keeps its "
       "cache. If it changes, the device must forget the folder and download it again."),
    "RFC 3501", "7.1" },
  { "imap.code.UNSEEN", N_("[UNSEEN]: the first unread"),
    N_("The sequence number of the first unread message in the folder, where the app may start."),
    "RFC 3501", "7.1" },
  { "imap.code.APPENDUID", N_("[APPENDUID]: where it went"),
    N_("The UIDVALIDITY and the UID the appended message got, so the client can cache it at once."),
    "RFC 4315", "3" },
  { "imap.code.COPYUID", N_("[COPYUID]: where they went"),
    N_("The UIDs of the copied or moved messages in the target folder, next to their old UIDs."),
    "RFC 4315", "3" },
  { "imap.code.UIDNOTSTICKY", N_("[UIDNOTSTICKY]: UIDs will not last"),
    N_("This folder cannot keep UIDs across sessions, so clients cannot cache it."),
    "RFC 4315", "3" },
  { "imap.code.AUTHENTICATIONFAILED", N_("[AUTHENTICATIONFAILED]: wrong user name or password"),
    N_("Authentication failed. Check the password (at QQ Mail and 163 Mail: the authorization code) and "
       "that the user name is the full address."),
    "RFC 5530", "3" },
  { "imap.code.PRIVACYREQUIRED", N_("[PRIVACYREQUIRED]: encrypt first"),
    N_("The server will not take a password on an unencrypted connection. Use port 993 with SSL/TLS or "
       "STARTTLS on 143."),
    "RFC 5530", "3" },
  { "imap.code.NONEXISTENT", N_("[NONEXISTENT]: no such folder"),
    N_("The folder named in the command does not exist on the server."),
    "RFC 5530", "3" },
  { "imap.code.ALREADYEXISTS", N_("[ALREADYEXISTS]: already there"),
    N_("A folder with that name already exists on the server."),
    "RFC 5530", "3" },
  { "imap.code.CANNOT", N_("[CANNOT]: not possible"),
    N_("The operation can never work, for example deleting INBOX or moving a folder inside itself."),
    "RFC 5530", "3" },
  { "imap.code.TOOBIG", N_("[TOOBIG]: too large"),
    N_("A literal or a message is larger than the server accepts."),
    "RFC 7888", "4" },
  { "imap.code.CLIENTBUG", N_("[CLIENTBUG]: the client did something odd"),
    N_("The command worked, but the server thinks the client made a mistake in asking."),
    "RFC 5530", "3" },
  { "imap.code.SERVERBUG", N_("[SERVERBUG]: the server failed"),
    N_("The server hit a problem of its own while doing this; it is not the client's fault."),
    "RFC 5530", "3" },
  { "imap.code.UNAVAILABLE", N_("[UNAVAILABLE]: try again later"),
    N_("Something the server needs is temporarily unavailable; try again later."),
    "RFC 5530", "3" },
  { "imap.code.EXPUNGEISSUED", N_("[EXPUNGEISSUED]: a message went away"),
    N_("Another session removed a message while this command ran; the client will hear about it."),
    "RFC 5530", "3" },
  { "imap.code.LIMIT", N_("[LIMIT]: over a limit"),
    N_("The command went past a limit the server sets, such as the size of a message."),
    "RFC 5530", "3" },
  { "imap.code.CLOSED", N_("[CLOSED]: the old folder is closed"),
    N_("Sent when SELECT or EXAMINE switches folders: responses after it belong to the new folder."),
    "RFC 7162", "3.2.11" },
};

const gsize msc_explain_imap_n_entries = G_N_ELEMENTS (msc_explain_imap_entries);
