#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real TLS mail clients against `mailscope-cli serve`, one scenario per call.

Run by tests/test-serve-tls.c against a server started without
--insecure-auth: Python's smtplib, poplib and imaplib on the implicit-TLS
ports and with STARTTLS/STLS on the plain ones, curl, and openssl s_client.
Every client that should succeed trusts exactly the teaching CA that
--ca-out wrote, as a mail client does once a user imported it; one that
trusts only the system's authorities must fail verification, which is why
a mail client warns about the teaching server.

Each scenario asserts what a client sees and prints "ok"; a failure raises,
so the exit status is non-zero and the traceback says what went wrong.
Loopback only; every socket and every child process has a timeout.
"""

import contextlib
import imaplib
import os
import poplib
import re
import smtplib
import socket
import ssl
import subprocess
import sys

TIMEOUT = 10
PROCESS_TIMEOUT = 30
SERVER_NAMES = {("DNS", "mail.example.com"), ("DNS", "localhost"), ("IP Address", "127.0.0.1")}
# OpenSSL's verify codes a client gets for a certificate from an authority
# it does not know: 18, 19 (a self-signed one, or one in the chain) and 20
# (the issuer of the server's certificate is nowhere in its trust store).
UNTRUSTED_CODES = (18, 19, 20)


def context(ca):
    """A client that trusts the teaching CA and nothing else (no system CAs)."""
    ctx = ssl.create_default_context(cafile=ca)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    return ctx


def read_message(path):
    with open(path, "rb") as f:
        return f.read()


def maildir_messages(folder):
    contents = []
    for sub in ("new", "cur"):
        path = os.path.join(folder, sub)
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                contents.append(f.read())
    return contents


def check_certificate(sock):
    """The server showed its own certificate, issued by the teaching CA."""
    assert sock.version() in ("TLSv1.2", "TLSv1.3"), sock.version()
    cert = sock.getpeercert()
    subject = dict(item for rdn in cert["subject"] for item in rdn)
    issuer = dict(item for rdn in cert["issuer"] for item in rdn)
    assert subject["commonName"] == "mail.example.com", subject
    assert issuer["commonName"].startswith("Mailscope Teaching CA"), issuer
    assert set(cert["subjectAltName"]) == SERVER_NAMES, cert["subjectAltName"]


def read_line(tls):
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = tls.recv(1)
        assert chunk, "the server closed the connection after %r" % line
        line += chunk
    return line


def run(argv, stdin=b""):
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=PROCESS_TIMEOUT)


def curl(*args):
    """curl with the teaching CA; its -v log shows the handshake and STARTTLS."""
    result = run(["curl", "--silent", "--show-error", "--verbose", "--max-time", "20"] + list(args))
    assert result.returncode == 0, (args, result.returncode, result.stderr.decode(errors="replace"))
    assert b"SSL certificate verify ok" in result.stderr, result.stderr
    return result


# ---- Implicit TLS: the certificate, both TLS versions ----

def certificate(host, ca, smtps, imaps, pop3s):
    """Each TLS port shows the certificate for every name it serves under,
    over TLS 1.2 and TLS 1.3, then the protocol's greeting, encrypted."""
    greetings = ((smtps, b"220 "), (imaps, b"* OK"), (pop3s, b"+OK"))
    versions = ((ssl.TLSVersion.TLSv1_2, "TLSv1.2", "localhost"),
                (ssl.TLSVersion.TLSv1_3, "TLSv1.3", "mail.example.com"),
                (ssl.TLSVersion.TLSv1_3, "TLSv1.3", "127.0.0.1"))
    for port, greeting in greetings:
        for version, name, server_name in versions:
            ctx = context(ca)
            ctx.minimum_version = ctx.maximum_version = version
            with socket.create_connection((host, int(port)), timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname=server_name) as tls:
                    assert tls.version() == name, (port, tls.version(), name)
                    check_certificate(tls)
                    line = read_line(tls)
                    assert line.startswith(greeting), (port, line)


# ---- SMTP ----

def smtps_send(host, port, ca, user, password, path, sender, *recipients):
    """A mail app on port 465: TLS first, then AUTH and the message."""
    with smtplib.SMTP_SSL(host, int(port), local_hostname="client.test", context=context(ca),
                          timeout=TIMEOUT) as smtp:
        check_certificate(smtp.sock)
        smtp.ehlo()
        assert smtp.has_extn("auth"), smtp.esmtp_features
        assert "PLAIN" in smtp.esmtp_features["auth"].split(), smtp.esmtp_features
        assert not smtp.has_extn("starttls"), "STARTTLS offered inside TLS"
        code, _ = smtp.login(user, password)
        assert code == 235, code
        refused = smtp.sendmail(sender, list(recipients), read_message(path))
        assert refused == {}, refused


def submission_starttls(host, port, ca, user, password, path, sender, *recipients):
    """A mail app on port 587: no login in the clear, STARTTLS, then login."""
    with smtplib.SMTP(host, int(port), local_hostname="client.test", timeout=TIMEOUT) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls"), smtp.esmtp_features
        # No AUTH offered in the clear, so smtplib will not even try
        assert not smtp.has_extn("auth"), smtp.esmtp_features
        try:
            smtp.login(user, password)
        except smtplib.SMTPNotSupportedError:
            pass
        else:
            raise AssertionError("logged in without TLS")
        # A client that asks anyway is refused before it sends the password
        code, text = smtp.docmd("AUTH", "PLAIN")
        assert code == 538 and text.startswith(b"5.7.11"), (code, text)
        code, text = smtp.docmd("MAIL", "FROM:<%s>" % sender)
        assert code == 530 and text.startswith(b"5.7.0"), (code, text)

        code, _ = smtp.starttls(context=context(ca))
        assert code == 220, code
        check_certificate(smtp.sock)
        smtp.ehlo()
        assert smtp.has_extn("auth"), smtp.esmtp_features
        assert not smtp.has_extn("starttls"), smtp.esmtp_features
        code, _ = smtp.login(user, password)
        assert code == 235, code
        refused = smtp.sendmail(sender, list(recipients), read_message(path))
        assert refused == {}, refused


# ---- POP3 ----

def retrieve_all(pop, maildir):
    stored = maildir_messages(maildir)
    count, size = pop.stat()
    assert count == len(stored) and count > 0, (count, len(stored))
    assert size == sum(len(m) for m in stored), size
    fetched = []
    for number in range(1, count + 1):
        _, lines, octets = pop.retr(number)
        message = b"\r\n".join(lines) + b"\r\n"
        fetched.append(message)
    assert sorted(fetched) == sorted(stored)


def pop3s_retr(host, port, ca, user, password, maildir):
    """A mail app on port 995: TLS first, USER/PASS, then RETR."""
    pop = poplib.POP3_SSL(host, int(port), context=context(ca), timeout=TIMEOUT)
    check_certificate(pop.sock)
    capabilities = pop.capa()
    assert "USER" in capabilities and "SASL" in capabilities, capabilities
    assert "STLS" not in capabilities, capabilities
    pop.user(user)
    pop.pass_(password)
    retrieve_all(pop, maildir)
    assert pop.quit().startswith(b"+OK")


def pop3_stls(host, port, ca, user, password, maildir):
    """A mail app on port 110: USER refused in the clear, STLS, then login."""
    pop = poplib.POP3(host, int(port), timeout=TIMEOUT)
    capabilities = pop.capa()
    assert "STLS" in capabilities, capabilities
    assert "USER" not in capabilities and "SASL" not in capabilities, capabilities
    try:
        pop.user(user)
    except poplib.error_proto as e:
        assert e.args[0].startswith(b"-ERR [AUTH]"), e
    else:
        raise AssertionError("USER accepted without TLS")

    assert pop.stls(context=context(ca)).startswith(b"+OK")
    check_certificate(pop.sock)
    capabilities = pop.capa()
    assert "USER" in capabilities and "STLS" not in capabilities, capabilities
    pop.user(user)
    pop.pass_(password)
    retrieve_all(pop, maildir)
    assert pop.quit().startswith(b"+OK")


# ---- IMAP ----

def fetch_all(imap, maildir):
    stored = maildir_messages(maildir)
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    count = int(data[0])
    assert count == len(stored) and count > 0, (count, len(stored))
    fetched = []
    for number in range(1, count + 1):
        typ, data = imap.fetch(str(number), "(BODY.PEEK[])")
        assert typ == "OK", data
        fetched.append(data[0][1])
    assert sorted(fetched) == sorted(stored)


def imaps_fetch(host, port, ca, user, password, maildir):
    """A mail app on port 993: TLS first, LOGIN, SELECT, FETCH."""
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=context(ca), timeout=TIMEOUT)
    check_certificate(imap.sock)
    assert "LOGINDISABLED" not in imap.capabilities, imap.capabilities
    assert "STARTTLS" not in imap.capabilities, imap.capabilities
    typ, _ = imap.login(user, password)
    assert typ == "OK", typ
    fetch_all(imap, maildir)
    assert imap.logout()[0] == "BYE"


def imap_starttls(host, port, ca, user, password, maildir):
    """A mail app on port 143: LOGINDISABLED in the clear, STARTTLS, LOGIN."""
    imap = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
    assert "STARTTLS" in imap.capabilities, imap.capabilities
    assert "LOGINDISABLED" in imap.capabilities, imap.capabilities
    # Refused even with the right password (RFC 3501 §6.2.3)
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error as e:
        assert "PRIVACYREQUIRED" in str(e), e
    else:
        raise AssertionError("LOGIN accepted without TLS")

    typ, _ = imap.starttls(ssl_context=context(ca))
    assert typ == "OK", typ
    check_certificate(imap.sock)
    assert "LOGINDISABLED" not in imap.capabilities, imap.capabilities
    assert "STARTTLS" not in imap.capabilities, imap.capabilities
    typ, _ = imap.login(user, password)
    assert typ == "OK", typ
    fetch_all(imap, maildir)
    assert imap.logout()[0] == "BYE"


# ---- curl ----

def curl_implicit(host, ca, smtps, imaps, pop3s, user, password, path, sender, recipient, maildir):
    """curl on smtps://, imaps:// and pop3s:// with --cacert."""
    credentials = "%s:%s" % (user, password)
    curl("--cacert", ca, "--user", credentials, "--mail-from", sender, "--mail-rcpt", recipient,
         "--upload-file", path, "smtps://%s:%s/client.test" % (host, smtps))

    stored = maildir_messages(maildir)
    fetched = curl("--cacert", ca, "--user", credentials,
                   "imaps://%s:%s/INBOX;UID=1" % (host, imaps)).stdout
    assert fetched in stored, fetched[:200]
    listing = curl("--cacert", ca, "--user", credentials, "pop3s://%s:%s/" % (host, pop3s)).stdout
    assert len(listing.split(b"\r\n")) - 1 == len(stored), listing
    fetched = curl("--cacert", ca, "--user", credentials, "pop3s://%s:%s/1" % (host, pop3s)).stdout
    assert fetched in stored, fetched[:200]


def curl_ssl_reqd(host, ca, mx, submission, imap, pop3, user, password, path, maildir):
    """curl --ssl-reqd on the plain ports: STARTTLS (STLS) first, or nothing."""
    credentials = "%s:%s" % (user, password)
    # An MX takes mail for its users from anyone, but over TLS when asked
    log = curl("--ssl-reqd", "--cacert", ca, "--mail-from", "carol@elsewhere.test",
               "--mail-rcpt", user, "--upload-file", path,
               "smtp://%s:%s/client.test" % (host, mx)).stderr
    assert b"> STARTTLS" in log, log
    log = curl("--ssl-reqd", "--cacert", ca, "--user", credentials, "--mail-from", user,
               "--mail-rcpt", "bob@example.com", "--upload-file", path,
               "smtp://%s:%s/client.test" % (host, submission)).stderr
    assert b"> STARTTLS" in log and b"> AUTH PLAIN" in log, log

    stored = maildir_messages(maildir)
    result = curl("--ssl-reqd", "--cacert", ca, "--user", credentials,
                  "imap://%s:%s/INBOX;UID=1" % (host, imap))
    assert b"STARTTLS" in result.stderr, result.stderr
    assert result.stdout in stored, result.stdout[:200]
    result = curl("--ssl-reqd", "--cacert", ca, "--user", credentials,
                  "pop3://%s:%s/1" % (host, pop3))
    assert b"> STLS" in result.stderr, result.stderr
    assert result.stdout in stored, result.stdout[:200]


# ---- openssl s_client ----

def openssl_starttls(host, ca, protocol, port):
    """openssl s_client -starttls PROTOCOL: verified against the teaching CA
    and the IP address, then a goodbye the server answers."""
    goodbye = {"smtp": (b"QUIT\n", b"221 "), "imap": (b"a1 LOGOUT\n", b"a1 OK"),
               "pop3": (b"QUIT\n", b"+OK")}[protocol]
    result = run(["openssl", "s_client", "-starttls", protocol, "-connect", "%s:%s" % (host, port),
                  "-CAfile", ca, "-verify_return_error", "-verify_ip", "127.0.0.1",
                  "-crlf", "-ign_eof"], stdin=goodbye[0])
    out = result.stdout.decode(errors="replace")
    assert result.returncode == 0, (result.returncode, out, result.stderr)
    assert "Verify return code: 0 (ok)" in out, out
    assert re.search(r"^subject=.*\bCN ?= ?mail\.example\.com$", out, re.M), out
    assert re.search(r"^issuer=.*\bCN ?= ?Mailscope Teaching CA ", out, re.M), out
    # The reply to the goodbye, after the handshake: it went through TLS
    assert out.rfind(goodbye[1].decode()) > out.find("Verify return code"), out

    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    assert pem, out
    names = run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], stdin=pem.group(0).encode())
    assert names.returncode == 0, names.stderr
    for name in (b"DNS:mail.example.com", b"DNS:localhost", b"IP Address:127.0.0.1"):
        assert name in names.stdout, names.stdout


# ---- Clients that must refuse the server ----

def expect_untrusted(connect):
    try:
        connect()
    except ssl.SSLCertVerificationError as e:
        assert e.verify_code in UNTRUSTED_CODES, (e.verify_code, e.verify_message)
    else:
        raise AssertionError("a client that trusts only the system CAs accepted the teaching CA")


def system_ca(host, ca, smtps, imaps, pop3s, submission, imap, pop3):
    """A client with the system's authorities only, as a mail app before the
    user imports the teaching CA: every handshake fails verification, the
    server carries on."""
    system = ssl.create_default_context()

    expect_untrusted(lambda: smtplib.SMTP_SSL(host, int(smtps), context=system, timeout=TIMEOUT))
    expect_untrusted(lambda: imaplib.IMAP4_SSL(host, int(imaps), ssl_context=system, timeout=TIMEOUT))
    expect_untrusted(lambda: poplib.POP3_SSL(host, int(pop3s), context=system, timeout=TIMEOUT))

    with smtplib.SMTP(host, int(submission), timeout=TIMEOUT) as smtp:
        expect_untrusted(lambda: smtp.starttls(context=system))
    # A failed handshake closed the socket under imaplib and poplib
    plain_imap = imaplib.IMAP4(host, int(imap), timeout=TIMEOUT)
    expect_untrusted(lambda: plain_imap.starttls(ssl_context=system))
    with contextlib.suppress(OSError):
        plain_imap.shutdown()
    plain_pop = poplib.POP3(host, int(pop3), timeout=TIMEOUT)
    expect_untrusted(lambda: plain_pop.stls(context=system))
    with contextlib.suppress(OSError):
        plain_pop.close()

    # curl: "SSL certificate problem", exit status 60
    result = run(["curl", "--silent", "--max-time", "20", "smtps://%s:%s/" % (host, smtps)])
    assert result.returncode == 60, (result.returncode, result.stderr)
    result = run(["curl", "--silent", "--max-time", "20", "--ssl-reqd", "imap://%s:%s/" % (host, imap)])
    assert result.returncode == 60, (result.returncode, result.stderr)
    # openssl: the handshake stops at the certificate
    result = run(["openssl", "s_client", "-starttls", "smtp", "-connect", "%s:%s" % (host, submission),
                  "-verify_return_error", "-crlf", "-ign_eof"], stdin=b"QUIT\n")
    assert result.returncode != 0, result.stdout
    assert b"Verify return code: 0 (ok)" not in result.stdout, result.stdout

    # The refused handshakes left the server serving
    with smtplib.SMTP_SSL(host, int(smtps), context=context(ca), timeout=TIMEOUT) as smtp:
        assert smtp.noop()[0] == 250


def wrong_name(host, ca, port):
    """The teaching CA signed the certificate, but not for this name: a
    client that checks names refuses it (RFC 6125)."""
    for server_name, code in (("www.example.net", 62), ("127.0.0.2", 64)):
        with socket.create_connection((host, int(port)), timeout=TIMEOUT) as raw:
            try:
                context(ca).wrap_socket(raw, server_hostname=server_name)
            except ssl.SSLCertVerificationError as e:
                assert e.verify_code == code, (server_name, e.verify_code, e.verify_message)
            else:
                raise AssertionError("a certificate accepted for " + server_name)


# ---- Commands slipped in behind STARTTLS ----

def read_reply(sock, done):
    data = b""
    while not done(data):
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection after %r" % data
        data += chunk
    return data


def smtp_done(data):
    return re.search(rb"(^|\r\n)\d{3} [^\r\n]*\r\n$", data) is not None


def tls_wrap(sock, ca):
    return context(ca).wrap_socket(sock, server_hostname="mail.example.com")


def injection(host, ca, submission, imap, pop3):
    """What a client sends in the clear behind STARTTLS in the same packet
    is thrown away, not run inside TLS (CVE-2011-0411)."""
    with socket.create_connection((host, int(submission)), timeout=TIMEOUT) as raw:
        read_reply(raw, smtp_done)
        raw.sendall(b"EHLO client.test\r\n")
        read_reply(raw, smtp_done)
        raw.sendall(b"STARTTLS\r\nMAIL FROM:<alice@example.com>\r\n")
        assert read_reply(raw, smtp_done).startswith(b"220 "), "no 220 to STARTTLS"
        with tls_wrap(raw, ca) as tls:
            tls.sendall(b"EHLO client.test\r\n")
            reply = read_reply(tls, smtp_done)
            assert reply.startswith(b"250-"), reply
            tls.sendall(b"QUIT\r\n")
            assert read_reply(tls, smtp_done).startswith(b"221 ")

    with socket.create_connection((host, int(imap)), timeout=TIMEOUT) as raw:
        read_reply(raw, lambda d: d.endswith(b"\r\n"))
        raw.sendall(b"a STARTTLS\r\nb LOGOUT\r\n")
        reply = read_reply(raw, lambda d: re.search(rb"(^|\r\n)a [^\r\n]*\r\n$", d) is not None)
        assert b"a OK" in reply, reply
        with tls_wrap(raw, ca) as tls:
            tls.sendall(b"c NOOP\r\n")
            reply = read_reply(tls, lambda d: re.search(rb"(^|\r\n)c [^\r\n]*\r\n$", d) is not None)
            assert b"* BYE" not in reply and b"b OK" not in reply, reply
            assert b"c OK" in reply, reply
            tls.sendall(b"d LOGOUT\r\n")
            read_reply(tls, lambda d: b"d OK" in d)

    with socket.create_connection((host, int(pop3)), timeout=TIMEOUT) as raw:
        read_reply(raw, lambda d: d.endswith(b"\r\n"))
        raw.sendall(b"STLS\r\nQUIT\r\n")
        assert read_reply(raw, lambda d: d.endswith(b"\r\n")).startswith(b"+OK"), "no +OK to STLS"
        with tls_wrap(raw, ca) as tls:
            tls.sendall(b"CAPA\r\n")
            reply = read_reply(tls, lambda d: d.endswith(b"\r\n.\r\n"))
            assert reply.startswith(b"+OK"), reply
            assert b"\r\nUSER\r\n" in reply, "CAPA inside TLS offers USER: %r" % reply
            tls.sendall(b"QUIT\r\n")
            assert read_reply(tls, lambda d: d.endswith(b"\r\n")).startswith(b"+OK")


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    certificate, smtps_send, submission_starttls, pop3s_retr, pop3_stls, imaps_fetch,
    imap_starttls, curl_implicit, curl_ssl_reqd, openssl_starttls, system_ca, wrong_name,
    injection)}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
    print("ok")
