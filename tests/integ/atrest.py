#!/usr/bin/python3
# tests/integ/atrest.py - what the verdict journal keeps in Redis: the
# links of a post as their host only (no path, no query string), and no
# more than journal_max_mb however big the verdicts: a verdict over
# 16 KiB is journalled without its ext (flag ext_dropped), and the oldest
# entries go first. The live verdict is whole. Real redis-server, medflagd
# and worker. Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check
import msgpack
import zmq

mfdeploy.require_service()

MAX_MB = 2
LINK = "https://www.naturalnews.com/2026/secret-cure.html?patient=jane-doe"


def redis(d, *args):
    r = subprocess.run(["redis-cli", "-s", d.redis_sock] + list(args),
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        raise Fail("redis-cli %s: %s" % (args[0], r.stderr))
    return r.stdout


def journal_bytes(d):
    return int(redis(d, "MEMORY", "USAGE", "medflag:journal", "SAMPLES",
                     "0").strip() or 0)


def judge_many(d, posts):
    s = d.socket(zmq.DEALER, "check")
    out = []
    for i in range(0, len(posts), 20):
        for p in posts[i:i + 20]:
            s.send_multipart([b"", mfdeploy.pack(p)])
        for _ in posts[i:i + 20]:
            if not s.poll(20000):
                raise Fail("no verdict for a post in 20 s")
            out.append(msgpack.unpackb(s.recv_multipart()[-1], raw=False))
    s.close()
    return out


def wait_journal(d, seq):
    deadline = time.time() + 20
    while time.time() < deadline:
        st = d.control("stats")
        if st and st["journal_written"] + st["journal_skipped"] >= seq:
            return st
        time.sleep(0.2)
    return st


def main(d):
    d.medflagd_start()
    # Links at rest: the host only.
    v = judge_many(d, [{"post_id": "l-1",
                        "body": MYTH + " See " + LINK}])[0]
    check(any(s.get("url") == LINK for s in v.get("sources", [])),
          "the live verdict names the link whole")
    wait_journal(d, v["seq"])
    raw = redis(d, "XRANGE", "medflag:journal", "-", "+")
    check(b"secret-cure" not in raw and b"jane-doe" not in raw,
          "no path or query string of a link in Redis")
    r = d.control("replay", {"since": v["seq"], "limit": 1})
    urls = [s.get("url") for s in r["verdicts"][0].get("sources", [])]
    check(urls == ["www.naturalnews.com"],
          "the journalled verdict names the host (%r)" % urls)

    # 100 posts with a 900 KB ext: the journal stays within bounds.
    blob = "x" * 900000
    vs = judge_many(d, [{"post_id": "big-%d" % i, "body": MYTH,
                         "ext": {"blob": blob, "n": i}}
                        for i in range(100)])
    check(all(v.get("ext", {}).get("blob") == blob for v in vs),
          "live verdicts echo the whole ext")
    wait_journal(d, max(v["seq"] for v in vs))
    used = journal_bytes(d)
    n = int(redis(d, "XLEN", "medflag:journal").strip())
    print("journal after 100 verdicts with a 900 KB ext: %d bytes, "
          "%d entries" % (used, n))
    check(used <= (MAX_MB << 20) * 1.25,
          "the journal holds at most about %d MiB (%d bytes)"
          % (MAX_MB, used))
    r = d.control("replay", {"since": vs[-1]["seq"], "limit": 1})
    last = r["verdicts"][0]
    check("ext" not in last and "ext_dropped" in last.get("flags", []),
          "a big verdict is journalled without its ext, flagged")

    # Many small ones: the oldest go first, the bound holds.
    vs = judge_many(d, [{"post_id": "s-%d" % i, "body": "plain %d" % i,
                         "ext": {"k": "y" * 1500}}
                        for i in range(3000)])
    wait_journal(d, max(v["seq"] for v in vs))
    used = journal_bytes(d)
    n = int(redis(d, "XLEN", "medflag:journal").strip())
    print("after 3000 more of about 2 KB: %d bytes, %d entries"
          % (used, n))
    check(used <= (MAX_MB << 20) * 1.25 and 100 < n < 3101,
          "still within the bound, with the newest entries")
    r = d.control("replay", {"since": vs[-1]["seq"], "limit": 1})
    check(r["verdicts"] and r["verdicts"][0]["seq"] == vs[-1]["seq"]
          and r["verdicts"][0].get("ext", {}).get("k") == "y" * 1500,
          "the newest verdict replays whole")


if __name__ == "__main__":
    if shutil.which("redis-cli") is None:
        print("SKIP: redis-cli missing (make deps installs redis-tools)")
        sys.exit(77)
    mfdeploy.run(main, workers=1, extra="journal_max_mb %d\n" % MAX_MB)
