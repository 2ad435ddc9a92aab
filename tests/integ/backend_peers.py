#!/usr/bin/python3
# tests/integ/backend_peers.py - hostile peers on medflagd's backend (no
# CURVE, the default), speaking the real backend protocol (workers/proto.h)
# beside a real worker: a verdict counts only from the registered worker
# that holds that dispatch id and only when it is a well-formed verdict
# whose action and status agree with its header; a worker that holds
# posts without answering loses them to another; heartbeats cannot add
# rule counters for ids the rule set does not have. Real redis-server,
# medflagd and worker. Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check, pack, unpack
import zmq

mfdeploy.require_service()

BLOCK, OK = 4, 0


PIDS = iter(range(4242, 5000))


def peer(d, ready=True, credit=10000):
    s = d.ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(d.ep["backend"])
    if ready:
        # The rule set medflagd checked: a worker announcing another one
        # gets no posts.
        rs = d.control("health")["ruleset"].encode()
        s.send_multipart([b"READY", str(credit).encode(),
                          str(next(PIDS)).encode(), b"peer", rs, b"32"])
    return s


def dids_of(msg):
    """Dispatch ids of a POST or POSTS message."""
    if msg[0] == b"POST":
        return [msg[1]]
    ix = msg[1]
    return [ix[i:i + 8] for i in range(0, len(ix), 12)]


def verdict(did, payload, action=BLOCK, status=OK):
    return [b"VERDICT", did, bytes([action, status, 0]), payload]


def take_posts(s, timeout_ms=3000):
    """Dispatch ids of the next POST or POSTS message (heartbeats
    skipped), or []."""
    deadline = time.time() + timeout_ms / 1000.0
    while s.poll(max(1, int((deadline - time.time()) * 1000))):
        m = s.recv_multipart()
        if m[0] in (b"POST", b"POSTS"):
            return dids_of(m)
    return []


def quiet(s, ms):
    return not s.poll(ms)


def main():
    d = mfdeploy.Deployment(workers=1, extra="heartbeat_ms 200\n"
                            "worker_timeout_ms 2500\n")
    cli = None
    try:
        d.medflagd_start()
        sub = d.socket(zmq.SUB, "verdicts")
        a = peer(d)            # registers, takes posts, answers badly
        time.sleep(0.3)
        before = d.control("stats")
        cli = d.socket(zmq.DEALER, "check")
        cli.send_multipart([b"", pack({"post_id": "fg-1", "body": MYTH})])
        dids = take_posts(a)
        check(len(dids) == 1, "the registered peer gets the post")
        did = dids[0]
        forged = pack({"v": 1, "post_id": "fg-1", "status": "ok",
                       "action": "none", "worker": "forger"})

        # A peer that never registered, any dispatch id.
        b = peer(d, ready=False)
        b.send_multipart(verdict(did, forged))
        idx = b"".join(struct.pack("=Q", n) + bytes([BLOCK, OK, 0]) +
                       struct.pack("<I", 3) for n in range(1, 20))
        b.send_multipart([b"VERDICTS", idx, b"\xc1\xc1\xc1" * 19])
        check(quiet(cli, 300), "verdicts from an unregistered peer: dropped")
        # A registered peer that does not hold the id.
        c = peer(d, credit=1)
        time.sleep(0.1)
        c.send_multipart(verdict(did, forged, action=0))
        check(quiet(cli, 300), "a verdict for another worker's post: "
              "dropped")
        c.send_multipart([b"BYE"])
        # The holder itself: garbage, then a verdict whose header says
        # block and whose body says none.
        a.send_multipart(verdict(did, b"\xc1garbage", action=0))
        check(quiet(cli, 300), "a verdict that is not msgpack: dropped")
        a.send_multipart(verdict(did, forged))
        check(quiet(cli, 300), "a header that disagrees with the verdict: "
              "dropped")
        # The holder heartbeats but never answers: the post goes to the
        # real worker within worker_timeout_ms.
        got = None
        deadline = time.time() + 8
        while time.time() < deadline and got is None:
            a.send_multipart([b"HB", b"0" * 16, b"1", b"0", b""])
            if cli.poll(200):
                got = unpack(cli.recv_multipart()[-1])
        check(got is not None, "a post held without an answer goes to "
              "another worker")
        check(got["post_id"] == "fg-1" and got["status"] == "ok" and
              got["action"] != "none" and got.get("worker") != "forger",
              "and gets its real verdict (%s from %s)"
              % (got["action"], got.get("worker")))
        topics = []
        while sub.poll(300):
            topic, body = sub.recv_multipart()
            topics.append((topic, unpack(body)))
        check(len(topics) == 1 and
              topics[0][0] == b"verdict." + got["action"].encode(),
              "only the real verdict was published")
        st = d.control("stats")
        check(st.get("rejected_verdicts", 0) - before.get(
              "rejected_verdicts", 0) >= 23,
              "dropped verdicts are counted (%r)"
              % st.get("rejected_verdicts"))

        # Heartbeats: rule counters only for rules the set has.
        e = peer(d)
        time.sleep(0.2)
        fake = "".join("fake-%d 1 0\n" % i for i in range(60000))
        e.send_multipart([b"HB", b"0" * 16, b"1", b"0", b"",
                          (fake + "vaccines-autism.causal 5 0\n").encode()])
        time.sleep(0.5)
        st = d.control("stats")
        hits = st.get("rule_hits", {})
        check(not any(k.startswith("fake-") for k in hits),
              "unknown rule ids in a heartbeat are not counted (%d ids)"
              % len(hits))
        e.send_multipart([b"HB", b"0" * 16, b"1", b"0", b"",
                          b"vaccines-autism.causal 5 0\n"])
        time.sleep(0.5)
        st = d.control("stats")
        check(st["rule_hits"].get("vaccines-autism.causal", [0])[0] >= 5,
              "a known rule's count is taken")
        check(d.medflagd.poll() is None, "medflagd still runs")
    except Exception as ex:
        return mfdeploy.failed(d, ex)
    finally:
        d.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
