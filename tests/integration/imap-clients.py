#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real IMAP clients (Python's imaplib) against `mailscope-cli serve`.

Run by tests/test-serve-imap.c, one scenario per call. Each scenario asserts
what a client sees and prints "ok"; a failure raises, so the exit status is
non-zero and the traceback tells what went wrong. Loopback only; every
socket has a timeout, so a scenario always ends by itself.
"""

import imaplib
import poplib
import re
import smtplib
import socket
import sys
import time

TIMEOUT = 10


def connect(host, port, user, password):
    imap = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
    imap.login(user, password)
    return imap


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def mutf7(name):
    """RFC 3501 §5.1.3, written here independently of the server's codec."""
    out, buf = [], []

    def flush():
        if buf:
            b64 = "".join(buf).encode("utf-16-be")
            import base64
            out.append("&" + base64.b64encode(b64).decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def commands(host, port, user, password):
    """Every command of RFC 3501 and the extensions, as imaplib sends them."""
    imap = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
    caps = ok(imap.capability())[0].split()
    for cap in (b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"NAMESPACE", b"ID", b"SPECIAL-USE",
                b"LITERAL+", b"ENABLE", b"UNSELECT", b"CHILDREN"):
        assert cap in caps, (cap, caps)
    ok(imap.noop())
    ok(imap.login(user, password))
    assert imap.state == "AUTH"

    ok(imap.namespace())
    ok(imap.xatom("ID", '("name" "imaplib")'))
    typ, _ = imap.xatom("ENABLE", "CONDSTORE")
    assert typ == "OK", typ

    listing = ok(imap.list('""', "*"))
    text = b"\n".join(listing)
    for flag in (b"\\Sent", b"\\Drafts", b"\\Trash", b"\\Junk"):
        assert flag in text, (flag, text)

    folder = mutf7("项目/二〇二六")
    ok(imap.create('"%s"' % folder))
    assert folder.encode() in b"\n".join(ok(imap.list('""', "*")))
    assert b"\\HasChildren" in b"\n".join(ok(imap.list('""', mutf7("项目"))))
    ok(imap.subscribe('"%s"' % folder))
    assert folder.encode() in b"\n".join(ok(imap.lsub('""', "*")))
    ok(imap.unsubscribe('"%s"' % folder))
    renamed = mutf7("项目/归档")
    ok(imap.rename('"%s"' % folder, '"%s"' % renamed))
    status = ok(imap.status('"%s"' % renamed, "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"))[0]
    assert b"MESSAGES 0" in status, status

    # APPEND with flags and date: [APPENDUID validity uid].
    message = b"From: alice@example.com\r\nSubject: appended\r\n\r\nkept in the folder\r\n"
    typ, data = imap.append('"%s"' % renamed, "(\\Seen \\Flagged)",
                            imaplib.Time2Internaldate(time.time()), message)
    assert typ == "OK" and b"APPENDUID" in data[0], data

    ok(imap.select('"%s"' % renamed, readonly=True))  # EXAMINE
    fetched = ok(imap.fetch("1", "(FLAGS BODY.PEEK[])"))
    assert fetched[0][1] == message, fetched
    assert b"\\Flagged" in fetched[0][0], fetched

    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    count = int(data[0])
    assert count >= 3, count
    assert imap.untagged_responses.get("UIDVALIDITY"), imap.untagged_responses
    assert imap.untagged_responses.get("UIDNEXT"), imap.untagged_responses
    ok(imap.check())

    # FETCH: every item and macro, partial bodies, \Seen set by BODY[].
    data = ok(imap.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID)"))
    head = data[0] if isinstance(data[0], bytes) else data[0][0]
    for item in (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE", b"BODYSTRUCTURE", b"UID"):
        assert item in head, (item, head)
    for macro in ("ALL", "FAST", "FULL"):
        ok(imap.fetch("1:*", macro))
    whole = ok(imap.fetch("1", "(BODY.PEEK[])"))[0][1]
    size = int(re.search(rb"RFC822.SIZE (\d+)", head).group(1))
    assert len(whole) == size, (len(whole), size)
    part = ok(imap.fetch("1", "(BODY.PEEK[]<0.10>)"))[0][1]
    assert part == whole[:10], (part, whole[:10])
    header = ok(imap.fetch("1", "(RFC822.HEADER)"))[0][1]
    fields = ok(imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1]
    assert fields.lower().startswith(b"subject:"), fields
    assert b"\\Seen" not in ok(imap.fetch("1", "(FLAGS)"))[0], "PEEK must not set \\Seen"
    # RFC822.TEXT is BODY[TEXT]: reading the text marks the message read.
    body = ok(imap.fetch("1", "(RFC822.TEXT)"))[0][1]
    assert header + body == whole, "RFC822.HEADER + RFC822.TEXT is the message"
    assert b"\\Seen" in ok(imap.fetch("1", "(FLAGS)"))[0], "RFC822.TEXT sets \\Seen"
    ok(imap.fetch("1", "(RFC822)"))

    # SEARCH, plain keys and combinations.
    assert ok(imap.search(None, "ALL"))[0].split() == [str(i).encode() for i in range(1, count + 1)]
    assert ok(imap.search(None, "SEEN"))[0].split() == [b"1"]
    assert b"1" not in ok(imap.search(None, "UNSEEN"))[0].split()
    ok(imap.search(None, "OR", "FROM", "alice", "NOT", "LARGER", "1000000"))
    ok(imap.search(None, "SINCE", "1-Jan-2020", "SENTBEFORE", "1-Jan-2100", "UID", "1:*"))

    # STORE: FLAGS, +FLAGS, -FLAGS, .SILENT.
    data = ok(imap.store("2", "+FLAGS", "(\\Flagged)"))
    assert b"\\Flagged" in data[0], data
    assert ok(imap.store("2", "+FLAGS.SILENT", "($Work)")) in ([None], [])
    data = ok(imap.store("2", "-FLAGS", "(\\Flagged)"))
    assert b"\\Flagged" not in data[0], data
    ok(imap.store("2", "FLAGS", "(\\Answered)"))

    # COPY, MOVE and the UID commands with UIDPLUS codes.
    typ, data = imap.copy("1", '"%s"' % renamed)
    assert typ == "OK" and b"COPYUID" in data[0], data
    typ, data = imap.uid("COPY", "1:*", "Trash")
    assert typ == "OK", data
    uids = ok(imap.uid("SEARCH", None, "ALL"))[0].split()
    assert len(uids) == count, uids
    ok(imap.uid("FETCH", uids[0], "(UID FLAGS)"))
    ok(imap.uid("STORE", uids[-1], "+FLAGS", "(\\Deleted)"))
    typ, data = imap.uid("EXPUNGE", uids[-1])
    assert typ == "OK", data
    typ, data = imap.uid("MOVE", uids[0], '"%s"' % renamed)
    assert typ == "OK", data
    ok(imap.store("1", "+FLAGS", "(\\Deleted)"))
    ok(imap.expunge())
    ok(imap.unselect())

    # A missing target folder says [TRYCREATE].
    typ, data = imap.append("NoSuchFolder", None, None, message)
    assert typ == "NO" and b"TRYCREATE" in data[0], (typ, data)

    ok(imap.select('"%s"' % renamed))
    ok(imap.close())
    ok(imap.delete('"%s"' % renamed))
    assert imap.logout()[0] == "BYE"


def search_chinese(host, port, user, password, field, word, expected):
    """SEARCH CHARSET UTF-8 finds Chinese whatever the message's charset."""
    imap = connect(host, port, user, password)
    ok(imap.select("INBOX", readonly=True))
    imap.literal = word.encode("utf-8")
    found = ok(imap.search("UTF-8", field))[0].split()
    assert len(found) == int(expected), (field, word, found)
    imap.logout()


def read_idle(imap, pattern, seconds):
    """Reads untagged responses until one matches PATTERN."""
    deadline = time.monotonic() + seconds
    imap.sock.settimeout(seconds)
    while time.monotonic() < deadline:
        line = imap.readline()
        assert line, "the server closed the connection"
        if re.search(pattern, line):
            return line
    raise AssertionError("no %r within %s s" % (pattern, seconds))


def start_idle(imap):
    tag = imap._new_tag()
    imap.send(tag + b" IDLE\r\n")
    line = imap.readline()
    assert line.startswith(b"+"), line
    return tag


def stop_idle(imap, tag):
    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if line.startswith(tag):
            assert line.startswith(tag + b" OK"), line
            return


def idle_flags(host, port, user, password):
    """Another device marks a message read: the idling one hears it at once."""
    watcher = connect(host, port, user, password)
    ok(watcher.select("INBOX"))
    tag = start_idle(watcher)
    other = connect(host, port, user, password)
    ok(other.select("INBOX"))
    start = time.monotonic()
    ok(other.store("1", "+FLAGS", "(\\Seen)"))
    line = read_idle(watcher, rb"^\* 1 FETCH .*\\Seen", 5)
    assert time.monotonic() - start < 5, line
    stop_idle(watcher, tag)
    other.logout()
    watcher.logout()


def idle_delivery(host, port, smtp_port, user, password):
    """Mail arriving over SMTP shows up in an IDLE session at once."""
    watcher = connect(host, port, user, password)
    count = int(ok(watcher.select("INBOX"))[0])
    tag = start_idle(watcher)
    with smtplib.SMTP(host, int(smtp_port), timeout=TIMEOUT) as smtp:
        smtp.sendmail("carol@elsewhere.test", [user], b"Subject: pushed\r\n\r\nat once\r\n")
    line = read_idle(watcher, rb"^\* \d+ EXISTS", 5)
    assert int(line.split()[1]) == count + 1, line
    stop_idle(watcher, tag)
    watcher.logout()


def pop3_deletion(host, port, pop3_port, user, password):
    """A message deleted over POP3 disappears from an IMAP session too."""
    imap = connect(host, port, user, password)
    count = int(ok(imap.select("INBOX"))[0])
    pop = poplib.POP3(host, int(pop3_port), timeout=TIMEOUT)
    pop.user(user)
    pop.pass_(password)
    pop.dele(1)
    pop.quit()
    typ, _ = imap.noop()
    assert typ == "OK"
    expunges = imap.untagged_responses.get("EXPUNGE")
    assert expunges, imap.untagged_responses
    assert int(ok(imap.select("INBOX"))[0]) == count - 1
    imap.logout()


def bad_input(host, port, user, password):
    """Garbage, NULs, unbalanced parentheses, a 2 GB literal and 10,000
    nested parentheses: clear BAD or NO, and the session goes on."""
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")

    def tagged(tag):
        while True:
            line = f.readline()
            assert line, "closed"
            if line.startswith(tag + b" "):
                return line

    s.sendall(b"\x00\x01\x02\xff garbage\r\n")
    assert b" BAD " in f.readline()
    s.sendall(b"a1 NO\x00OP\r\n")
    assert tagged(b"a1").startswith(b"a1 BAD")
    s.sendall(("a2 LOGIN %s %s\r\n" % (user, password)).encode())
    assert tagged(b"a2").startswith(b"a2 OK")
    s.sendall(b"a3 SELECT INBOX\r\n")
    assert tagged(b"a3").startswith(b"a3 OK")
    s.sendall(b"a4 FETCH 1 (FLAGS (UID\r\n")
    assert tagged(b"a4").startswith(b"a4 BAD")
    s.sendall(b"a5 APPEND INBOX {2147483648}\r\n")
    line = tagged(b"a5")
    assert line.startswith(b"a5 BAD") or line.startswith(b"a5 NO"), line
    s.sendall(b"a6 SEARCH " + b"(" * 10000 + b"ALL" + b")" * 10000 + b"\r\n")
    assert tagged(b"a6").startswith(b"a6 BAD")
    s.sendall(b"a7 NOOP\r\n")
    assert tagged(b"a7").startswith(b"a7 OK")
    s.sendall(b"a8 LOGOUT\r\n")
    assert tagged(b"a8").startswith(b"a8 OK")
    s.close()


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    commands, search_chinese, idle_flags, idle_delivery, pop3_deletion, bad_input)}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
    print("ok")
