#!/usr/bin/python3
# tests/integ/reliability.py - the reliability features of medflagd against
# a real redis-server and build/medflagd: dedup (a resent post gets the
# same verdict, flagged duplicate; copies in flight share one verdict),
# `replay` from the journal, seq continuing across a restart, the journal
# surviving a Redis restart, back-pressure (bounded queue, busy reply,
# nothing dropped) and the reload canary.
# Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check, pack, unpack
import zmq

mfdeploy.require_service()


def post(pid, body, rev=1):
    return pack({"v": 1, "post_id": pid, "revision": rev,
                 "instance": "rel", "body": body})


def check_many(d, payloads, timeout=20):
    """Sends every payload on one DEALER; returns the verdicts in order of
    arrival."""
    s = d.socket(zmq.DEALER, "check")
    for p in payloads:
        s.send_multipart([b"", p])
    out = []
    deadline = time.time() + timeout
    while len(out) < len(payloads) and time.time() < deadline:
        if s.poll(200):
            fr = s.recv_multipart()
            out.append(unpack(fr[-1]))
    s.close()
    return out


def test_dedup_replay(d):
    sub = d.socket(zmq.SUB, "verdicts")
    time.sleep(0.3)
    v1 = check_many(d, [post("d1", MYTH)])[0]
    v2 = check_many(d, [post("d1", MYTH)])[0]
    check("duplicate" not in v1.get("flags", []), "first verdict is fresh")
    check("duplicate" in v2.get("flags", []), "resent post flagged duplicate")
    check(v1["action"] == v2["action"] and v1["hits"] == v2["hits"] and
          v1["ruleset"] == v2["ruleset"] and v1["worker"] == v2["worker"],
          "duplicate carries the stored verdict")
    v3 = check_many(d, [post("d1", MYTH + " Really.")])[0]
    check("duplicate" not in v3.get("flags", []),
          "an edited body is judged again")
    v4 = check_many(d, [post("d1", MYTH, rev=2)])[0]
    check("duplicate" not in v4.get("flags", []),
          "a new revision is judged again")
    # Copies pipelined while the first is in flight: one scan.
    before = d.control("stats")
    vs = check_many(d, [post("d2", MYTH)] * 8)
    after = d.control("stats")
    check(len(vs) == 8, "8 copies in flight get 8 answers")
    check(len({(v["action"], v["ruleset"], v["worker"]) for v in vs}) == 1,
          "copies in flight share one verdict")
    check(sum("duplicate" not in v.get("flags", []) for v in vs) == 1,
          "exactly one of them is fresh")
    check(after["duplicates"] - before["duplicates"] == 7,
          "stats count 7 duplicates")

    # Replay from the journal.
    time.sleep(0.5)
    st = d.control("stats")
    r = d.control("replay", {"since": 0, "limit": 100})
    check(r and r["ok"], "replay answers")
    seqs = [v["seq"] for v in r["verdicts"]]
    check(len(seqs) == st["seq"] and seqs == sorted(seqs),
          "replay returns every verdict in seq order (%d)" % len(seqs))
    check(r["next"] == seqs[-1] + 1, "replay says where to go on")
    r2 = d.control("replay", {"since": seqs[-3], "limit": 2})
    check([v["seq"] for v in r2["verdicts"]] == seqs[-3:-1],
          "replay since/limit")
    # Arguments that are not one msgpack map are refused, saying why
    # (a count larger than the message, a truncated map).
    for raw in (b"\xdf\xff\xff\xff\xff", b"\x81\xa5since"):
        req = d.socket(zmq.REQ, "control")
        req.send_multipart([b"replay", raw])
        bad = unpack(req.recv()) if req.poll(2000) else None
        req.close()
        check(bad is not None and not bad["ok"] and
              "send a map {since, limit}" in bad["error"],
              "replay refuses malformed arguments: %s" % bad)
    check(d.control("replay", {"since": 0, "limit": 1})["ok"],
          "and answers the next request")
    n = 0
    while sub.poll(100):
        sub.recv_multipart()
        n += 1
    check(n == st["seq"], "subscriber saw every published verdict")
    sub.close()

    # Redis restarted (with its data) while verdicts flow: they wait and
    # are journalled once it is back.
    d.redis.send_signal(signal.SIGSTOP)
    vs = check_many(d, [post("r%d" % i, "plain text %d" % i)
                        for i in range(20)])
    check(len(vs) == 20, "verdicts flow with Redis frozen")
    d.redis.send_signal(signal.SIGCONT)
    deadline = time.time() + 15
    while time.time() < deadline:
        st = d.control("stats")
        if st["journal_queue"] == 0 and st["redis"]:
            break
        time.sleep(0.2)
    r = d.control("replay", {"since": 0, "limit": 1000})
    seqs = [v["seq"] for v in r["verdicts"]]
    check(set(range(1, st["seq"] + 1)) <= set(seqs) and
          st["journal_skipped"] == 0 and "journal_gap" not in r,
          "journal caught up after Redis came back, no gap")

    # seq continues across a restart of medflagd.
    last = st["seq"]
    d.medflagd_stop(signal.SIGTERM)
    d.medflagd_start()
    v = check_many(d, [post("after-restart", MYTH)])[0]
    check(v["seq"] > last, "seq continues after a restart (%d > %d)"
          % (v["seq"], last))
    time.sleep(0.3)
    r = d.control("replay", {"since": last + 1, "limit": 10})
    check([x["seq"] for x in r["verdicts"]] == [v["seq"]],
          "replay across the restart")

    # A restart while Redis is down: seq still grows (from the clock),
    # and the verdicts reach the journal once Redis is back.
    last = v["seq"]
    d.medflagd_stop(signal.SIGTERM)
    d.redis_stop()
    d.medflagd_start()
    v = check_many(d, [post("no-redis", MYTH)])[0]
    check(v["seq"] > last, "seq grows across a restart without Redis")
    d.redis_start()
    deadline = time.time() + 15
    r = None
    while time.time() < deadline:
        r = d.control("replay", {"since": last + 1, "limit": 10})
        if r and r.get("ok") and r["count"] > 0:
            break
        time.sleep(0.3)
    check(r and [x["seq"] for x in r["verdicts"]] == [v["seq"]],
          "journalled once Redis is back, replayable")


def test_canary(d):
    good = d.control("reload")
    check(good and good["ok"], "reload of the same rules passes the canary")
    d.write_rules(6, greedy=True)
    bad = d.control("reload")
    check(bad and not bad["ok"] and "canary" in bad["error"],
          "a rule set flagging the canary sample is refused: %s"
          % (bad or {}).get("error"))
    check(bad["ruleset"] == good["ruleset"], "old rules kept")
    d.write_rules(7)
    ok = d.control("reload")
    check(ok and ok["ok"] and ok["ruleset"] != good["ruleset"],
          "a modest change is accepted")


GUARD_RULE = """\
rule vaccines-autism.backtrack
  claim      vaccines-autism
  score      6
  match      /(x+x+)+y/
  mode       enforce
  expect     match   "xxy"
end
"""


def test_guard(d):
    with open(os.path.join(d.rules, "guard.rules"), "w") as f:
        f.write(GUARD_RULE)
    r = d.control("reload")
    check(r and r["ok"], "a rule with catastrophic backtracking loads")
    time.sleep(1)
    body = "x" * 40 + "z y"
    vs = check_many(d, [post("g%d" % i, body) for i in range(24)], 60)
    limited = [v for v in vs if "rule_limit" in v.get("flags", [])]
    check(len(limited) >= 5 and all(v["action"] in ("flag", "hold")
                                    for v in limited[:5]),
          "PCRE2 limit hits send the post to a moderator (%d)"
          % len(limited))
    time.sleep(1.5)
    ws = d.control("stats")["workers"]
    shadowed = [w for w in ws if "vaccines-autism.backtrack" in
                w.get("auto_shadowed", "")]
    check(len(shadowed) >= 1, "a worker reports the rule auto-shadowed")
    vs = check_many(d, [post("g-after%d" % i, body) for i in range(6)], 60)
    quiet = [v for v in vs if v["worker"] in
             {v2["worker"] for v2 in vs} and v["action"] == "none"]
    check(len(quiet) >= 1 and all(h["mode"] == "shadow" for v in quiet
                                  for h in v["hits"]),
          "after that its limit hits no longer raise the action")
    os.unlink(os.path.join(d.rules, "guard.rules"))


def test_backpressure():
    d = mfdeploy.Deployment(workers=0, extra="max_queue 100\n")
    try:
        d.medflagd_start(wait_workers=0)
        sub = d.socket(zmq.SUB, "verdicts")
        push = d.socket(zmq.PUSH, "ingest")
        push.setsockopt(zmq.SNDTIMEO, 5000)
        time.sleep(0.3)
        rss0 = mfdeploy.rss_kb(d.medflagd.pid)
        for i in range(3000):
            push.send(post("bp%d" % i, "plain text number %d" % i))
        time.sleep(1)
        st = d.control("stats")
        check(st["queue"] == 100 and st["posts_in"] == 100,
              "queue stops at max_queue; ingest no longer read (%d)"
              % st["queue"])
        v = check_many(d, [post("bp-check", "hello")], timeout=5)
        check(len(v) == 1 and v[0]["status"] == "error" and
              "busy" in v[0].get("error", ""), "check gets a busy reply")
        rss1 = mfdeploy.rss_kb(d.medflagd.pid)
        check(rss1 - rss0 < 20000, "medflagd memory bounded (%d -> %d kB)"
              % (rss0, rss1))
        # A worker joins: everything is judged, nothing was dropped.
        w = subprocess.Popen([os.path.join(mfdeploy.BUILD, "medflag-worker"),
                              "-c", d.conf, "-b", d.ep["backend"]],
                             stdout=d.log, stderr=d.log)
        try:
            got = set()
            deadline = time.time() + 60
            while len(got) < 3000 and time.time() < deadline:
                if sub.poll(200):
                    got.add(unpack(sub.recv_multipart()[1])["post_id"])
            check(len(got) == 3000, "every pushed post judged (%d)"
                  % len(got))
        finally:
            w.terminate()
            w.wait()
    finally:
        d.teardown()


def main():
    d = mfdeploy.Deployment(workers=2, persist=True)
    try:
        d.medflagd_start()
        test_dedup_replay(d)
        test_canary(d)
        test_guard(d)
    finally:
        d.teardown()
    test_backpressure()


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print("FAIL " + str(e))
        sys.exit(1)
    sys.exit(0)
