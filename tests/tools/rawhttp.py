#!/usr/bin/env python3
# rawhttp.py - send raw, possibly broken, HTTP requests to a central.
#
# curl only speaks good HTTP; the hostile tests need the other kind:
# lying Content-Length, bad chunking, header floods, NUL bytes.  This
# tool sends a request file byte for byte and reports what came back.
#
#   rawhttp.py send HOST PORT FILE [--token T] [--timeout S]
#       substitutes @TOKEN@ and @HOST@ in FILE, sends it and prints the
#       status code of the first response, "closed" when the server hung
#       up without one, or "timeout".  A file ending in @HALFCLOSE@ has
#       the marker removed and the sending side shut down after it.
#   rawhttp.py post HOST PORT PATH --bytes N [--header 'Name: value']...
#                   [--token T] [--rate BPS] [--timeout S] [--method M]
#       a client that does not wait for `100 Continue`: sends the headers
#       (with Content-Length: N) and then N bytes of body at once (or at
#       BPS bytes per second), whatever the server answers meanwhile, and
#       only then reads the answer.  Prints one JSON line: status (the
#       response's, or "closed"/"timeout"), sent (body bytes sent),
#       send_error (null, or the error that stopped the sending: a reset
#       or broken pipe means the server closed before the client was
#       done) and secs (from the first byte sent to the end of the
#       exchange).  @TOKEN@ in a header is replaced by --token.
#   rawhttp.py corpus DIR
#       regenerate tests/e2e/hostile/http/ and its MANIFEST
#
# A MANIFEST line is: FILE EXPECTED WHAT, EXPECTED being outcomes joined
# by '|' (a status code, "4xx", "closed").  Several are allowed where
# libmicrohttpd, not huce, chooses how to refuse; the invariant the tests
# hold to is that the request is refused and the server lives on.

import argparse
import errno
import json
import os
import socket
import sys
import time


def send(host, port, data, timeout):
    half = data.endswith(b"@HALFCLOSE@")
    if half:
        data = data[:-len(b"@HALFCLOSE@")]
    s = socket.create_connection((host, port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
            if half:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in got and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    if got.startswith(b"HTTP/1.") and len(got) >= 12:
        return got[9:12].decode("ascii", "replace")
    if not got:
        return "closed" if time.monotonic() < deadline else "timeout"
    return "garbage"


def post(host, port, method, path, nbytes, headers, rate, timeout):
    lines = [method.encode() + b" " + path.encode() + b" HTTP/1.1",
             ("Host: %s:%d" % (host, port)).encode(),
             b"Content-Length: %d" % nbytes]
    lines += [h.encode() for h in headers]
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    s = socket.create_connection((host, port), timeout=timeout)
    t0 = time.monotonic()
    sent, send_error, got = 0, None, b""
    chunk = b"x" * 65536
    try:
        try:
            s.sendall(head)
            while sent < nbytes:
                n = min(len(chunk), nbytes - sent)
                if rate:
                    n = min(n, max(1, rate // 10))
                s.sendall(chunk[:n])
                sent += n
                if rate:
                    time.sleep(n / rate)
        except OSError as e:
            send_error = errno.errorcode.get(e.errno, str(e))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not c:
                break
            got += c
    finally:
        s.close()
    if got.startswith(b"HTTP/1.") and len(got) >= 12:
        status = got[9:12].decode("ascii", "replace")
    else:
        status = "closed" if time.monotonic() < deadline else "timeout"
    return {"status": status, "sent": sent, "send_error": send_error,
            "secs": round(time.monotonic() - t0, 2)}


def req(method, path, headers, body=b"", version=b"HTTP/1.1"):
    lines = [method + b" " + path + b" " + version, b"Host: @HOST@"]
    lines += headers
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


AUTH = b"Authorization: Bearer @TOKEN@"
CT = b"Content-Type: application/x-huce-batch"


def corpus(d):
    chunk9k = b"2328\r\n" + b"x" * 9000 + b"\r\n"
    cases = [
        ("content-length-abc.req",
         req(b"POST", b"/v1/batches", [AUTH, CT, b"Content-Length: abc"],
             b"HUCB"), "400|closed", "Content-Length is not a number"),
        ("content-length-negative.req",
         req(b"POST", b"/v1/batches", [AUTH, CT, b"Content-Length: -1"],
             b"HUCB"), "400|closed", "negative Content-Length"),
        ("content-length-overflow.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Content-Length: 99999999999999999999999"]),
         "400|413|closed", "Content-Length past 2^64"),
        ("content-length-huge.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Content-Length: 17000000"], b"HUCB"),
         "413", "declared body over the limit: refused unread"),
        ("expect-continue-huge.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Content-Length: 17000000",
              b"Expect: 100-continue"]),
         "413", "100-continue for an oversized body"),
        ("content-length-twice.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Content-Length: 4", b"Content-Length: 40"],
             b"HUCB"), "400|closed", "two different Content-Length"),
        ("cl-and-chunked.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Content-Length: 4",
              b"Transfer-Encoding: chunked"],
             b"4\r\nHUCB\r\n0\r\n\r\n"), "400|closed",
         "Content-Length and chunked together (smuggling)"),
        ("chunked-over-limit.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Transfer-Encoding: chunked"],
             chunk9k * 12 + b"0\r\n\r\n"), "413|closed",
         "chunked body past --max-body"),
        ("chunked-bad-size.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Transfer-Encoding: chunked"],
             b"zz\r\nHUCB\r\n0\r\n\r\n"), "400|closed",
         "chunk size is not hex"),
        ("chunked-huge-size.req",
         req(b"POST", b"/v1/batches",
             [AUTH, CT, b"Transfer-Encoding: chunked"],
             b"ffffffffffffffffff\r\nHUCB\r\n0\r\n\r\n"), "400|413|closed",
         "chunk size past 2^64"),
        ("body-short.req",
         req(b"POST", b"/v1/batches", [AUTH, CT, b"Content-Length: 1000"],
             b"HUCB\x01\x00") + b"@HALFCLOSE@", "closed|400",
         "body shorter than Content-Length, then EOF"),
        ("get-with-body.req",
         req(b"GET", b"/v1/health", [b"Content-Length: 5"], b"hello"),
         "400", "a GET with a body"),
        ("unknown-method.req",
         req(b"BREW", b"/v1/health", []), "405", "unknown method"),
        ("header-flood.req",
         req(b"GET", b"/v1/health",
             [b"X-Junk-%d: %s" % (i, b"a" * 1000) for i in range(100)]),
         "4xx|closed", "100 KB of headers"),
        ("long-url.req",
         req(b"GET", b"/v1/" + b"a" * 70000, []), "4xx|closed",
         "70 KB URL"),
        ("garbage-line.req", b"\x00\x01\x02\xff hello\r\n\r\n",
         "4xx|closed", "binary request line"),
        ("no-version.req", b"GET /v1/health\r\n\r\n", "4xx|closed",
         "HTTP/0.9 style request"),
        ("http2-preface.req", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
         "4xx|505|closed", "HTTP/2 preface on an HTTP/1 port"),
        ("nul-in-header.req",
         req(b"GET", b"/v1/enroll", [b"Authorization: Bearer a\x00b"]),
         "400|401|closed", "NUL inside a header"),
        ("auth-ctrl.req",
         req(b"GET", b"/v1/enroll", [b"Authorization: Bearer @TOKEN@\x01"]),
         "400|401|closed", "control character after the token"),
        ("auth-two-tokens.req",
         req(b"GET", b"/v1/enroll",
             [b"Authorization: Bearer @TOKEN@ @TOKEN@"]), "401",
         "two tokens"),
        ("auth-basic.req",
         req(b"GET", b"/v1/enroll",
             [b"Authorization: Basic bGFwdG9wLTE6eA=="]), "401",
         "Basic instead of Bearer"),
        ("auth-long.req",
         req(b"GET", b"/v1/enroll",
             [b"Authorization: Bearer " + b"A" * 4000]), "401",
         "4000-byte token"),
        ("after-negative.req",
         req(b"GET", b"/v1/changes?after=-1", [AUTH]), "400",
         "negative cursor"),
        ("after-overflow.req",
         req(b"GET", b"/v1/changes?after=99999999999999999999999", [AUTH]),
         "400", "cursor past 2^63"),
        ("after-hex.req",
         req(b"GET", b"/v1/changes?after=0x10", [AUTH]), "400",
         "hex cursor"),
        ("limit-zero.req",
         req(b"GET", b"/v1/changes?after=0&limit=0", [AUTH]), "400",
         "limit 0"),
        ("dotdot.req",
         req(b"GET", b"/v1/../v1/health", []), "404|400",
         "path with .."),
        ("pipelined.req",
         req(b"GET", b"/v1/health", []) + req(b"GET", b"/nope", [])
         + b"\x00garbage", "200", "pipelined requests then garbage"),
    ]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "MANIFEST"), "w") as m:
        m.write("# file expected what (generated by tests/tools/rawhttp.py "
                "corpus; do not edit)\n")
        for name, data, expect, what in cases:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            m.write("%s %s %s\n" % (name, expect, what))


def main():
    ap = argparse.ArgumentParser(description="send raw HTTP requests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("file")
    s.add_argument("--token", default="")
    s.add_argument("--timeout", type=float, default=10.0)
    p = sub.add_parser("post")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--token", default="")
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--method", default="POST")
    p.add_argument("--timeout", type=float, default=30.0)
    c = sub.add_parser("corpus")
    c.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "corpus":
        corpus(a.dir)
        return
    if a.cmd == "post":
        hs = [h.replace("@TOKEN@", a.token) for h in a.header]
        print(json.dumps(post(a.host, a.port, a.method, a.path, a.bytes, hs,
                              a.rate, a.timeout)))
        return
    with open(a.file, "rb") as f:
        data = f.read()
    data = data.replace(b"@TOKEN@", a.token.encode())
    data = data.replace(b"@HOST@", ("%s:%d" % (a.host, a.port)).encode())
    print(send(a.host, a.port, data, a.timeout))


if __name__ == "__main__":
    sys.exit(main())
