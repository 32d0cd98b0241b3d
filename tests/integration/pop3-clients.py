#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real POP3 clients against `mailscope-cli serve`, one scenario per call.

Run by tests/test-serve-pop3.c. Each scenario asserts what a client sees and
prints "ok"; a failure raises, so the exit status is non-zero and the
traceback says what went wrong. Loopback only, every socket has a timeout.
"""

import os
import poplib
import socket
import sys

TIMEOUT = 10


def login(host, port, user, password):
    pop = poplib.POP3(host, int(port), timeout=TIMEOUT)
    assert pop.getwelcome().startswith(b"+OK"), pop.getwelcome()
    pop.user(user)
    pop.pass_(password)
    return pop


def maildir_messages(folder):
    contents = []
    for sub in ("new", "cur"):
        path = os.path.join(folder, sub)
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                contents.append(f.read())
    return contents


def inspect(host, port, user, password, maildir):
    """STAT, LIST, UIDL, TOP and RETR agree with what is on disk, byte for byte."""
    stored = maildir_messages(maildir)
    pop = login(host, port, user, password)
    count, size = pop.stat()
    assert count == len(stored), (count, len(stored))
    assert size == sum(len(m) for m in stored), (size, [len(m) for m in stored])

    _, listing, _ = pop.list()
    assert len(listing) == count, listing
    sizes = {int(line.split()[0]): int(line.split()[1]) for line in listing}

    _, uidls, _ = pop.uidl()
    ids = [line.split()[1] for line in uidls]
    assert len(set(ids)) == count, ids
    assert all(0x21 <= b <= 0x7e for i in ids for b in i), ids

    fetched = []
    for number in range(1, count + 1):
        _, lines, octets = pop.retr(number)
        message = b"\r\n".join(lines) + b"\r\n"
        assert len(message) == sizes[number], (number, len(message), sizes[number])
        fetched.append(message)
        _, top, _ = pop.top(number, 0)
        header = message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        assert top[:len(header)] == header, (top, header)
    assert sorted(fetched) == sorted(stored)

    pop.quit()


def count_after(host, port, user, password, expected):
    pop = login(host, port, user, password)
    count, _ = pop.stat()
    assert count == int(expected), (count, expected)
    pop.quit()


def dele_then_rset(host, port, user, password):
    pop = login(host, port, user, password)
    before, _ = pop.stat()
    pop.dele(1)
    assert pop.stat()[0] == before - 1
    try:
        pop.retr(1)
    except poplib.error_proto as e:
        assert b"deleted" in e.args[0], e
    else:
        raise AssertionError("a deleted message was still served")
    pop.rset()
    assert pop.stat()[0] == before
    pop.quit()


def dele_then_quit(host, port, user, password):
    pop = login(host, port, user, password)
    pop.dele(1)
    assert pop.quit().startswith(b"+OK")


def drop_without_quit(host, port, user, password):
    pop = login(host, port, user, password)
    pop.dele(1)
    pop.sock.close()


def in_use(host, port, user, password):
    first = login(host, port, user, password)
    second = poplib.POP3(host, int(port), timeout=TIMEOUT)
    second.user(user)
    try:
        second.pass_(password)
    except poplib.error_proto as e:
        assert e.args[0].startswith(b"-ERR [IN-USE]"), e
    else:
        raise AssertionError("two sessions held one maildrop")
    second.quit()
    first.quit()
    # Once the first session is over the maildrop is free again.
    login(host, port, user, password).quit()


def wrong_password(host, port, user):
    pop = poplib.POP3(host, int(port), timeout=TIMEOUT)
    pop.user(user)
    try:
        pop.pass_("not-the-password")
    except poplib.error_proto as e:
        assert e.args[0].startswith(b"-ERR [AUTH]"), e
    else:
        raise AssertionError("a wrong password was accepted")
    pop.quit()


def bad_input(host, port, user, password):
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    for line in (b"\x00\x01\x02\xff\xfe garbage", b"RE\x00TR 1", b"X" * 100000, b"RETR 1", b"STAT"):
        s.sendall(line + b"\r\n")
        answer = f.readline()
        assert answer.startswith(b"-ERR"), (line[:20], answer)
    # The session goes on and a real login still works.
    s.sendall(b"USER " + user.encode() + b"\r\n")
    assert f.readline().startswith(b"+OK")
    s.sendall(b"PASS " + password.encode() + b"\r\n")
    assert f.readline().startswith(b"+OK")
    s.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK")
    s.close()


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    inspect, count_after, dele_then_rset, dele_then_quit, drop_without_quit, in_use,
    wrong_password, bad_input)}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
    print("ok")
