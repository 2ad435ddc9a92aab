#!/usr/bin/python3
# tests/integ/postid.py - a post_id that is not valid UTF-8 or longer than
# 256 bytes gets an error verdict whose post_id is an escaped, valid form
# (so a client that decodes strings as UTF-8, like the one of
# docs/protocol.md, can read it live and in replay), and a post_id with a
# newline cannot forge a line in the log. Real redis-server, medflagd and
# worker. Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check
import msgpack
import zmq

mfdeploy.require_service()


def mp_str(b):
    """A msgpack str holding the bytes 'b' as they are (valid or not)."""
    if isinstance(b, str):
        b = b.encode()
    n = len(b)
    if n < 32:
        return bytes([0xa0 | n]) + b
    if n < 256:
        return b"\xd9" + bytes([n]) + b
    return b"\xda" + struct.pack(">H", n) + b


def mp_map(pairs):
    """A msgpack map of (key bytes, value bytes) pairs, already encoded."""
    return bytes([0x80 | len(pairs)]) + b"".join(k + v for k, v in pairs)


def raw_check(d, payload, timeout_ms=10000):
    s = d.socket(zmq.DEALER, "check")
    try:
        s.send_multipart([b"", payload])
        if not s.poll(timeout_ms):
            return None
        return s.recv_multipart()[-1]
    finally:
        s.close()


def main():
    d = mfdeploy.Deployment(workers=1)
    try:
        d.medflagd_start()
        sub = d.socket(zmq.SUB, "verdicts")
        time.sleep(0.3)

        # Invalid UTF-8: an error verdict with an escaped id.
        raw = raw_check(d, mp_map([(mp_str("post_id"), mp_str(b"p-\xff\xfe")),
                                   (mp_str("body"), mp_str(MYTH))]))
        check(raw is not None, "an invalid post_id is answered")
        v = msgpack.unpackb(raw, raw=False)   # fails on invalid UTF-8
        check(v["status"] == "error" and "post_id" in v.get("error", "")
              and "UTF-8" in v["error"],
              "invalid UTF-8 in post_id is an error naming it (%r)"
              % v.get("error"))
        check(v.get("post_id") == "p-\\xff\\xfe",
              "its verdict carries the escaped id (%r)" % v.get("post_id"))

        # Bounded length: 256 bytes are fine, 257 are not.
        ok = msgpack.unpackb(raw_check(d, mfdeploy.pack(
            {"post_id": "a" * 256, "body": MYTH})), raw=False)
        check(ok["status"] == "ok" and ok["post_id"] == "a" * 256,
              "a 256-byte post_id is judged")
        long_ = msgpack.unpackb(raw_check(d, mfdeploy.pack(
            {"post_id": "b" * 300, "body": MYTH})), raw=False)
        check(long_["status"] == "error" and "256" in long_["error"],
              "a 300-byte post_id is an error (%r)" % long_.get("error"))
        check(long_["post_id"].startswith("b" * 200) and
              len(long_["post_id"].encode()) <= 1100,
              "its verdict carries a bounded form of the id")

        # A newline in an id that reaches a log line.
        nl = msgpack.unpackb(raw_check(d, mfdeploy.pack(
            {"post_id": "nl-1\nFORGED worker[9]: evil", "body": 12})),
            raw=False)
        check(nl["status"] == "error", "a bad post with a newline id")

        # Every published verdict and every replay page decodes.
        n = 0
        while sub.poll(300):
            topic, body = sub.recv_multipart()
            msgpack.unpackb(body, raw=False)
            n += 1
        check(n >= 4, "every published verdict decodes as UTF-8 (%d)" % n)
        deadline = time.time() + 5
        while time.time() < deadline:
            r = d.control("replay", {"since": 0, "limit": 1000})
            if r and r["ok"] and r["count"] >= n:
                break
            time.sleep(0.2)
        check(r and r["ok"] and r["count"] >= n,
              "the replay page holding them decodes")
        time.sleep(0.3)
        d.log.flush()
        log = open(d.log.name, "rb").read()
        check(not any(l.startswith(b"FORGED") for l in log.split(b"\n")),
              "no forged line in the log")
        check(b"nl-1\\nFORGED" in log, "the id is logged escaped")
        check(b"\xff" not in log, "no invalid byte in the log")
        check(MYTH.encode() not in log, "no post text in the log")
    except Exception as e:
        return mfdeploy.failed(d, e)
    finally:
        d.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
