#!/usr/bin/python3
# tests/integ/slowloris.py - `medflag http` against clients that hold
# connections open: redis, medflagd (2 workers) and the gateway with
# http_header_timeout_s 2, http_body_timeout_s 2 and http_per_client 8.
# 300 connections from 60 loopback addresses send a request header one
# line every 0.4 s and never finish it; meanwhile a client from another
# address gets /healthz and a judged /v1/check at once, and every slow
# connection is closed (408) within the header deadline though it kept
# sending. One address opening 20 such connections has 12 refused at once
# (429); a header over 16 KiB gets 431; a body trickled after a whole
# header is cut at the body deadline. `medflag discourse` serves its
# webhook with the same code (tools/gateways/httpd.c).
# SPDX-License-Identifier: MIT

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy as mf  # noqa: E402  (exits 77 without zmq or msgpack)
from mfdeploy import check, Fail  # noqa: E402

MEDFLAG = os.path.join(mf.BUILD, "medflag")
HEADER_S = 2
BODY_S = 2
PER_CLIENT = 8
SLOW = 300


def slow_conn(port, src):
    """A connection from 'src' that has sent the first line of a header."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: medflag\r\n")
    s.setblocking(False)
    return s


def answer(s):
    """What the server sent before closing 's' (b"" when it just closed);
    None while the connection is open with nothing to read."""
    try:
        data = s.recv(4096)
    except BlockingIOError:
        return None
    except (ConnectionResetError, BrokenPipeError):
        return b""
    return data


def request(base, method, path, body=None, timeout=3):
    r = urllib.request.Request(base + path, method=method,
                               data=body.encode() if body else None)
    t0 = time.monotonic()
    with urllib.request.urlopen(r, timeout=timeout) as f:
        return f.status, f.read().decode(), time.monotonic() - t0


def trickle(conns, opened, closed, until):
    """Sends a header line to every open connection each 0.4 s until
    'until' (monotonic), noting when each is closed and with what."""
    while time.monotonic() < until:
        for i, s in enumerate(conns):
            if i in closed:
                continue
            a = answer(s)
            if a is not None:
                closed[i] = (time.monotonic() - opened[i], a)
                continue
            try:
                s.send(b"X-Slow: %d\r\n" % i)
            except (BlockingIOError, OSError):
                pass
        time.sleep(0.4)


def test(d):
    d.medflagd_start()
    conf = os.path.join(d.tmp, "medflag-http.conf")
    with open(conf, "w") as f:
        f.write(open(d.conf).read() +
                "http_header_timeout_s %d\nhttp_body_timeout_s %d\n"
                "http_per_client %d\n" % (HEADER_S, BODY_S, PER_CLIENT))
    port = mf.free_port()
    base = "http://127.0.0.1:%d" % port
    log = open(os.path.join(d.tmp, "http.log"), "w")
    gw = subprocess.Popen([MEDFLAG, "-c", conf, "http", "--listen",
                           "127.0.0.1:%d" % port], stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                request(base, "GET", "/healthz")
                break
            except OSError:
                if gw.poll() is not None or time.monotonic() > deadline:
                    raise Fail("the gateway never answered")
                time.sleep(0.1)
        run_checks(port, base)
        log.flush()
        check(mf.MYTH not in open(log.name, errors="replace").read(),
              "no post text in the gateway's log")
    finally:
        mf.end(gw)
        log.close()


def run_checks(port, base):
    # 300 slow headers from 60 addresses, 5 each (under the limit of 8).
    conns, opened = [], []
    for i in range(SLOW):
        conns.append(slow_conn(port, "127.0.0.%d" % (2 + i % 60)))
        opened.append(time.monotonic())
    closed = {}
    trickle(conns, opened, closed, time.monotonic() + 0.8)
    check(len(closed) == 0, "%d slow connections held open (none closed "
          "before the deadline: %d)" % (SLOW, len(closed)))

    # A client from elsewhere is answered at once meanwhile.
    st, body, took = request(base, "GET", "/healthz")
    check(st == 200 and took < 1.5,
          "/healthz answered in %.2f s while %d connections trickle"
          % (took, SLOW))
    st, body, took = request(base, "POST", "/v1/check", json.dumps(
        {"post_id": "slow-1", "body": mf.MYTH}))
    v = json.loads(body)
    check(st == 200 and v.get("action") in ("flag", "hold", "block"),
          "a claim checked in %.2f s meanwhile: %s" % (took,
                                                       v.get("action")))

    # Every slow one is cut at the header deadline, though it kept sending.
    trickle(conns, opened, closed, time.monotonic() + HEADER_S + 2)
    late = [t for t, _ in closed.values() if t > HEADER_S + 1.5]
    check(len(closed) == SLOW, "all %d slow connections closed (%d)"
          % (SLOW, len(closed)))
    check(not late, "each closed within %.1f s of connecting (latest "
          "%.2f s)" % (HEADER_S + 1.5, max(t for t, _ in closed.values())))
    n408 = sum(1 for _, a in closed.values() if a.startswith(b"HTTP/1.1 408"))
    check(n408 >= SLOW * 9 // 10, "%d of them answered 408" % n408)
    for s in conns:
        s.close()

    # One address past http_per_client: the rest refused at once.
    many = [slow_conn(port, "127.0.0.70") for _ in range(20)]
    time.sleep(0.5)
    got = [answer(s) for s in many]
    refused = sum(1 for a in got if a and a.startswith(b"HTTP/1.1 429"))
    check(refused == 20 - PER_CLIENT, "one address with 20 connections: "
          "%d refused with 429 at once (limit %d)" % (refused, PER_CLIENT))
    for s in many:
        s.close()

    # A header over 16 KiB.
    s = slow_conn(port, "127.0.0.71")
    s.setblocking(True)
    s.settimeout(5)
    try:
        s.sendall(b"X-Big: " + b"a" * 20000 + b"\r\n")
    except OSError:
        pass
    a = s.recv(4096)
    check(a.startswith(b"HTTP/1.1 431"), "a 20 KB header gets 431 (%r)"
          % a[:12])
    s.close()

    # A whole header, then a body trickled: cut at the body deadline.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: medflag\r\n"
              b"Content-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n{")
    t0 = time.monotonic()
    s.setblocking(False)
    cut = None
    while time.monotonic() - t0 < BODY_S + 6:
        a = answer(s)
        if a is not None:
            cut = time.monotonic() - t0
            break
        try:
            s.send(b" ")
        except OSError:
            cut = time.monotonic() - t0
            break
        time.sleep(0.3)
    s.close()
    check(cut is not None and cut < BODY_S + 1.5,
          "a trickled body is cut %.2f s after its header (deadline %d s)"
          % (cut if cut is not None else -1, BODY_S))

    st, _, took = request(base, "GET", "/healthz")
    check(st == 200, "the gateway still answers (%.2f s)" % took)


if __name__ == "__main__":
    mf.require_service()
    mf.run(test)
