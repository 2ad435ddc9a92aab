#!/usr/bin/python3
# tests/integ/slowsubs.py - subscribers that never read cannot grow
# medflagd without bound: past verdicts_hwm they miss verdicts, and one
# that reads again sees the gap in seq and catches up on every verdict
# from the journal. Real redis-server, medflagd and worker; 30 real SUB
# sockets that stop reading (so TCP pushes back). Exit 0 pass, 77 skip,
# 1 fail.
# SPDX-License-Identifier: MIT

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import check
import msgpack
import zmq

mfdeploy.require_service()

HWM = 2000
POSTS = 40000
SLOW = 30
GROWTH_MB = 80      # before: 181 MB for these posts, and never given back


def slow_sub(d):
    """A SUB socket that queues almost nothing on its side: once it stops
    reading, libzmq stops reading TCP and medflagd's queue is what grows."""
    s = d.ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 1)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.connect(d.ep["verdicts"])
    s.setsockopt(zmq.SUBSCRIBE, b"verdict.")
    return s


def main(d):
    d.medflagd_start()
    subs = [slow_sub(d) for _ in range(SLOW)]
    time.sleep(1.0)     # subscriptions reach medflagd
    seq0 = d.control("stats")["seq"]
    rss0 = mfdeploy.rss_kb(d.medflagd.pid)
    push = d.socket(zmq.PUSH, "ingest")
    pad = "p" * 500
    for i in range(POSTS):
        push.send(mfdeploy.pack({"post_id": "s-%d" % i,
                                 "body": "plain post %d" % i,
                                 "ext": {"pad": pad}}))
    deadline = time.time() + 120
    while time.time() < deadline:
        st = d.control("stats")
        if st and st["seq"] >= seq0 + POSTS and \
                st["journal_queue"] == 0:
            break
        time.sleep(0.3)
    check(st["seq"] >= seq0 + POSTS, "all %d posts judged" % POSTS)
    rss1 = mfdeploy.rss_kb(d.medflagd.pid)
    grew = (rss1 - rss0) / 1024.0
    print("medflagd RSS %d -> %d MB with %d subscribers that do not "
          "read (verdicts_hwm %d)" % (rss0 // 1024, rss1 // 1024,
                                       SLOW, HWM))
    check(grew < GROWTH_MB, "medflagd grew %.0f MB (< %d)"
          % (grew, GROWTH_MB))

    # One of them reads again: what it has, then the gap, replayed.
    s = subs[0]
    seen = set()
    while s.poll(500):
        seen.add(msgpack.unpackb(s.recv_multipart()[-1],
                                 raw=False)["seq"])
    want = set(range(seq0 + 1, seq0 + POSTS + 1))
    missing = sorted(want - seen)
    check(missing, "the slow subscriber missed verdicts (%d)"
          % len(missing))
    since = missing[0]
    while since <= seq0 + POSTS:
        r = d.control("replay", {"since": since, "limit": 10000},
                      timeout_ms=20000)
        check(r and r["ok"] and r["count"] > 0, "replay answers")
        seen.update(v["seq"] for v in r["verdicts"])
        since = r["next"]
    check(want <= seen, "it caught up on every verdict from the journal"
          " (%d missing)" % len(want - seen))
    for x in subs:
        x.close()


if __name__ == "__main__":
    # dedup keeps few verdicts, so what grows is the subscribers' queues.
    mfdeploy.run(main, workers=1, extra="verdicts_hwm %d\n"
                 "dedup_max_entries 1000\n" % HWM)
