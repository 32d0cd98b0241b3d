#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real SMTP clients against `mailscope-cli serve`, one scenario per call.

Run by tests/test-serve-smtp.c. Each scenario asserts what a client sees and
prints "ok"; any failure raises, so the exit status is non-zero and the
traceback tells what went wrong.  Only loopback addresses are used, and every
socket has a timeout, so a scenario always ends by itself.
"""

import base64
import smtplib
import socket
import sys
import time

TIMEOUT = 10


def read_message(path):
    with open(path, "rb") as f:
        return f.read()


def client(host, port):
    return smtplib.SMTP(host, int(port), local_hostname="client.test", timeout=TIMEOUT)


def send_mx(host, port, path, sender, *recipients):
    """Mail from outside to local mailboxes, as another MX would send it."""
    with client(host, port) as smtp:
        code, _ = smtp.ehlo()
        assert code == 250, code
        for feature in ("size", "pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes"):
            assert smtp.has_extn(feature), feature
        refused = smtp.sendmail(sender, list(recipients), read_message(path))
        assert refused == {}, refused


def submit(host, port, user, password, mechanism, path, sender, *recipients):
    """A mail app submitting on 587 after logging in (needs --insecure-auth)."""
    with client(host, port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("auth"), smtp.esmtp_features
        assert mechanism.upper() in smtp.esmtp_features["auth"].split(), smtp.esmtp_features
        smtp.user, smtp.password = user, password
        code, text = smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower()),
                               initial_response_ok=(mechanism.upper() == "PLAIN"))
        assert code == 235, (code, text)
        refused = smtp.sendmail(sender, list(recipients), read_message(path))
        assert refused == {}, refused


def wrong_password(host, port, user):
    with client(host, port) as smtp:
        smtp.ehlo()
        try:
            smtp.login(user, "not-the-password")
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e
            assert e.smtp_error.startswith(b"5.7.8"), e
        else:
            raise AssertionError("a wrong password was accepted")


def submission_needs_login(host, port, sender, recipient):
    with client(host, port) as smtp:
        try:
            smtp.sendmail(sender, [recipient], b"Subject: x\r\n\r\nx\r\n")
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == 530, e
            assert e.smtp_error.startswith(b"5.7.0"), e
        else:
            raise AssertionError("mail was accepted without login")


def not_own_address(host, port, user, password, sender):
    """A logged-in user may send only as their own address (RFC 6409 §6.1)."""
    with client(host, port) as smtp:
        smtp.ehlo()
        smtp.login(user, password)
        code, text = smtp.mail(sender)
        assert code == 553 and text.startswith(b"5.7.1"), (code, text)


def refused_sender(host, port, sender, recipient, size, code, status):
    """SIZE: a message over the limit is refused at MAIL FROM (RFC 1870)."""
    message = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (int(size) // 1000 + 1)
    with client(host, port) as smtp:
        try:
            smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == int(code), e
            assert e.smtp_error.startswith(status.encode()), e
        else:
            raise AssertionError("the sender was accepted")


def refused_recipient(host, port, sender, recipient, code, status):
    with client(host, port) as smtp:
        try:
            smtp.sendmail(sender, [recipient], b"Subject: x\r\n\r\nx\r\n")
        except smtplib.SMTPRecipientsRefused as e:
            got_code, got_text = e.recipients[recipient]
            assert got_code == int(code), e.recipients
            assert got_text.startswith(status.encode()), e.recipients
        else:
            raise AssertionError("the recipient was accepted")


def utf8_submit(host, port, user, password, path, sender, recipient):
    """SMTPUTF8 (RFC 6531): Chinese addresses and headers."""
    with client(host, port) as smtp:
        smtp.ehlo()
        # smtplib encodes login names as ASCII; RFC 4616 says UTF-8.
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        code, text = smtp.docmd("AUTH", "PLAIN " + token)
        assert code == 235, (code, text)
        refused = smtp.sendmail(sender, [recipient], read_message(path),
                                mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        assert refused == {}, refused


# Raw sockets for what no polite client sends.

def connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    f = s.makefile("rb")
    greeting = f.readline()
    assert greeting.startswith(b"220 "), greeting
    return s, f


def reply(f):
    """One whole reply, multi-line included: returns (code, last line)."""
    while True:
        line = f.readline()
        assert line, "the server closed the connection"
        if line[3:4] != b"-":
            return int(line[:3]), line


def bad_input(host, port):
    s, f = connect(host, port)
    s.sendall(b"EHLO client.test\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"\x00\x01\x02\xff\xfe garbage\r\n")
    code, line = reply(f)
    assert code == 500, line
    s.sendall(b"NO\x00OP\r\n")
    code, line = reply(f)
    assert code == 500 and b"NUL" in line, line
    s.sendall(b"X" * (1024 * 1024) + b"\r\n")
    code, line = reply(f)
    assert code == 500 and line.startswith(b"500 5.5.2"), line
    # The session goes on after all of that.
    s.sendall(b"NOOP\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"QUIT\r\n")
    assert reply(f)[0] == 221
    s.close()


def silent(host, port, seconds):
    """A client that says nothing is dropped after the idle timeout, with 421."""
    s, f = connect(host, port)
    start = time.monotonic()
    code, line = reply(f)
    waited = time.monotonic() - start
    assert code == 421 and line.startswith(b"421 4.4.2"), line
    assert float(seconds) - 1 <= waited <= float(seconds) + 5, waited
    assert f.readline() == b"", "still open after 421"
    s.close()


def drop_mid_data(host, port, sender, recipient, marker):
    s, f = connect(host, port)
    for command, expected in ((b"EHLO client.test", 250), (b"MAIL FROM:<" + sender.encode() + b">", 250),
                              (b"RCPT TO:<" + recipient.encode() + b">", 250), (b"DATA", 354)):
        s.sendall(command + b"\r\n")
        code, line = reply(f)
        assert code == expected, (command, line)
    s.sendall(b"Subject: " + marker.encode() + b"\r\n\r\nhalf a message")
    s.close()


def many_clients(host, port, count, sender, recipient):
    """Many clients at once, while one more holds a connection and says
    nothing: every message is accepted, none waits for the silent one."""
    import threading
    idle, _ = connect(host, port)
    errors = []

    def one(i):
        try:
            with client(host, port) as smtp:
                message = ("Subject: parallel %d\r\n\r\nmessage %d\r\n" % (i, i)).encode()
                refused = smtp.sendmail(sender, [recipient], message)
                assert refused == {}, refused
        except Exception as e:  # collected and raised below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(int(count))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    idle.close()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "a client hung"


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    send_mx, submit, wrong_password, not_own_address, submission_needs_login, refused_sender,
    refused_recipient, utf8_submit, bad_input, silent, drop_mid_data, many_clients)}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
    print("ok")
