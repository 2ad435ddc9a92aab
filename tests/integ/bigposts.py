#!/usr/bin/python3
# tests/integ/bigposts.py - posts that are valid but big: 16 posts of
# 300 KB on ingest (4.8 MB, over the workers' 2 MiB message limit if sent
# in one batch) are all judged, and the workers keep judging; a worker
# that stops (SIGSTOP, alive but silent) is killed and restarted; a post
# larger than any connected worker takes is answered at once with an
# error verdict; a worker whose connection libzmq drops connects again
# instead of blocking in a send. Real redis-server, medflagd and workers.
# Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check, pack, unpack
import zmq

mfdeploy.require_service()


def collect(sub, want, timeout):
    got = {}
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        if sub.poll(200):
            v = unpack(sub.recv_multipart()[1])
            got[v["post_id"]] = v
    return got


def main():
    d = mfdeploy.Deployment(workers=2, extra="heartbeat_ms 200\n"
                            "worker_timeout_ms 1000\n")
    stopped = []
    try:
        d.medflagd_start()
        sub = d.socket(zmq.SUB, "verdicts")
        time.sleep(0.3)
        push = d.socket(zmq.PUSH, "ingest")
        big = (MYTH + " ") * (300000 // (len(MYTH) + 1))
        for i in range(16):
            push.send(pack({"post_id": "big-%d" % i, "body": big}))
        for i in range(4):
            push.send(pack({"post_id": "small-%d" % i, "body": MYTH}))
        got = collect(sub, 20, 20)
        check(len(got) == 20, "16 posts of 300 KB and 4 small ones all "
              "judged (%d of 20)" % len(got))
        check(all(v["status"] == "ok" for v in got.values()),
              "none of them an error verdict (%s)"
              % sorted({v.get("error", "") for v in got.values()}))
        push.send(pack({"post_id": "after", "body": MYTH}))
        check(len(collect(sub, 1, 10)) == 1, "workers judge on after them")

        # A worker alive but silent is killed and a new one started.
        pids = d.worker_pids()
        check(len(pids) == 2, "two workers")
        os.kill(pids[0], signal.SIGSTOP)
        stopped.append(pids[0])
        deadline = time.time() + 8
        while time.time() < deadline:
            now = d.worker_pids()
            if pids[0] not in now and len(now) == 2:
                break
            time.sleep(0.1)
        now = d.worker_pids()
        check(pids[0] not in now and len(now) == 2,
              "a stopped worker is replaced (%s -> %s)" % (pids, now))
        h = None
        deadline = time.time() + 8
        while time.time() < deadline:
            h = d.control("health")
            if h and h["workers_alive"] == 2:
                break
            time.sleep(0.1)
        check(h and h["workers_alive"] == 2, "and two workers serve again")
        d.medflagd_stop()
        d.medflagd = None

        # A remote worker that takes at most 100,000 bytes per message,
        # the only one: a bigger post cannot go anywhere.
        d2 = mfdeploy.Deployment(workers=0)
        try:
            d2.medflagd_start(wait_workers=0)
            w = d2.ctx.socket(zmq.DEALER)
            w.setsockopt(zmq.LINGER, 0)
            w.setsockopt(zmq.MAXMSGSIZE, 100000)
            w.connect(d2.ep["backend"])
            w.send_multipart([b"READY", b"64", b"4242", b"peer",
                              d2.control("health")["ruleset"].encode(),
                              b"32", b"100000"])
            time.sleep(0.3)
            c = d2.socket(zmq.DEALER, "check")
            c.send_multipart([b"", pack({"post_id": "huge",
                                         "body": "x" * 200000})])
            check(c.poll(3000), "a post no worker takes is answered")
            v = unpack(c.recv_multipart()[-1])
            check(v["status"] == "error" and "worker" in v.get("error", ""),
                  "with an error verdict that says why (%r)"
                  % v.get("error"))
            c.send_multipart([b"", pack({"post_id": "fits",
                                         "body": MYTH})])
            deadline = time.time() + 3
            ids = []
            while time.time() < deadline and not ids:
                if w.poll(200):
                    m = w.recv_multipart()
                    if m[0] in (b"POST", b"POSTS"):
                        ids.append(m)
            check(ids, "a post that fits goes to that worker")
        finally:
            d2.teardown()

        # The worker itself: medflagd (played here by a ROUTER) sends it
        # a frame over its 2 MiB limit, libzmq drops the connection; the
        # worker's next send cannot go out, and instead of blocking for
        # ever it connects again within worker_timeout_ms (1 s here).
        r = d.ctx.socket(zmq.ROUTER)
        r.setsockopt(zmq.LINGER, 0)
        port = r.bind_to_random_port("tcp://127.0.0.1")
        wk = subprocess.Popen([os.path.join(mfdeploy.BUILD,
                               "medflag-worker"), "-c", d.conf, "-b",
                               "tcp://127.0.0.1:%d" % port],
                              stdout=d.log, stderr=d.log)
        try:
            check(r.poll(10000), "a worker says READY")
            first = r.recv_multipart()
            check(first[1] == b"READY" and len(first) >= 8 and
                  first[7] == b"2097152",
                  "and announces its message limit")
            body = pack({"post_id": "x", "body": "y" * 100}) * 30000
            idx = struct.pack("=Q", 1) + struct.pack("<I", len(body))
            r.send_multipart([first[0], b"POSTS", idx, body])
            again = None
            deadline = time.time() + 6
            while time.time() < deadline and again is None:
                if r.poll(200):
                    m = r.recv_multipart()
                    if m[1] == b"READY" and m[0] != first[0]:
                        again = m
            check(again is not None, "after a dropped connection it "
                  "connects again and says READY")
            check(wk.poll() is None, "and still runs")
        finally:
            wk.terminate()
            try:
                wk.wait(5)
            except subprocess.TimeoutExpired:
                wk.kill()
                wk.wait()
            r.close()
    except Exception as e:
        return mfdeploy.failed(d, e)
    finally:
        for p in stopped:
            try:
                os.kill(p, signal.SIGCONT)
            except OSError:
                pass
        d.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
