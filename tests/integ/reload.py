#!/usr/bin/python3
# tests/integ/reload.py - the reload as a generation protocol. A rules
# file edited after medflagd checked the set and before the workers load
# it never goes live: the workers refuse it, keep serving the generation
# they ran, and the reload's answer names each with why; verdicts carry
# the generation of the rules that judged them. `medflag reload` waits
# until every worker runs the new generation, or, at reload_timeout_ms,
# names the one that did not (a stopped worker) and exits 1; a second
# request made meanwhile is answered after the first round ended. A
# worker that starts with rules medflagd did not check (READY names
# another hash) gets no posts, and is told to load the checked ones. A
# worker declared dead while it loads, and back with the checked rules,
# counts as having taken them.
# Real redis-server, medflagd and workers. Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import MYTH, check
import zmq

mfdeploy.require_service()

TIMEOUT_MS = 2000       # reload_timeout_ms
PLAIN = "The weather is nice and I like my garden."


def verdict(d, post_id, body):
    s = d.socket(zmq.DEALER, "check")
    s.send_multipart([b"", mfdeploy.pack({"post_id": post_id,
                                           "body": body})])
    v = mfdeploy.unpack(s.recv_multipart()[-1]) if s.poll(10000) else {}
    s.close()
    return v


def ask_reload(d):
    """Sends a reload request; returns the socket its answer comes on."""
    s = d.socket(zmq.DEALER, "control")
    s.send_multipart([b"", b"reload"])
    return s


def answer(s, timeout_ms):
    a = mfdeploy.unpack(s.recv_multipart()[-1]) if s.poll(timeout_ms) \
        else None
    s.close()
    return a


def until(what, fn, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise mfdeploy.Fail("timed out waiting for " + what)


def workers(d):
    return d.control("workers")["workers"]


def edit_after_check(d):
    """The workers are stopped while medflagd checks the set; then a file
    changes, to one medflagd's canary would refuse; then they load."""
    v = verdict(d, "before", MYTH)
    gen1, hash1 = v.get("gen"), v.get("ruleset")
    check(gen1 == 1 and v.get("score") == 6,
          "a verdict carries generation 1 (score %s, gen %s)"
          % (v.get("score"), gen1))
    pids = d.worker_pids()
    check(len(pids) == 2, "two workers (%s)" % pids)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        d.write_rules(7)
        s = ask_reload(d)
        st = until("medflagd's check", lambda: (lambda h: h if h and
                   h.get("gen") == 2 else None)(d.control("health")))
        checked = st["ruleset"]
        # The edit after the check: a rule that flags almost any post.
        d.write_rules(9, greedy=True)
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    a = answer(s, TIMEOUT_MS + 10000)
    check(a is not None and a["ok"] is False and a["gen"] == 2,
          "the reload is not ok: %s" % (a and a.get("error")))
    refused = a.get("refused", [])
    check(sorted(r["pid"] for r in refused) == sorted(pids) and
          all(checked in r["why"] and "not" in r["why"] for r in refused),
          "both workers refused the unchecked rules, saying why: %s"
          % (refused[0]["why"] if refused else a))
    check(any("refused" in x for x in a.get("diagnostics", [])),
          "the answer's diagnostics name them")
    ws = workers(d)
    check(all(w["gen"] == 1 and w["ruleset"] == hash1 for w in ws),
          "both still run generation 1 (%s)"
          % [(w["gen"], w["ruleset"]) for w in ws])
    r = subprocess.run([os.path.join(mfdeploy.BUILD, "medflag"), "-c",
                        d.conf, "stats", "--prometheus"],
                       capture_output=True, text=True, timeout=30)
    check("\nmedflag_ruleset_generation 2\n" in r.stdout and
          "\nmedflag_workers_behind 2\n" in r.stdout,
          "the metrics say both workers are behind generation 2")
    v = verdict(d, "after", MYTH)
    p = verdict(d, "plain", PLAIN)
    check(v.get("gen") == 1 and v.get("ruleset") == hash1 and
          v.get("score") == 6,
          "verdicts keep generation 1 and its score (%s, %s)"
          % (v.get("gen"), v.get("score")))
    check(p.get("action") == "none" and p.get("gen") == 1,
          "the greedy edit never judged a post (%s)" % p.get("action"))
    # Checked now, the same edit is refused by medflagd itself.
    a = answer(ask_reload(d), TIMEOUT_MS + 10000)
    check(a is not None and a["ok"] is False and "canary" in
          " ".join(a.get("diagnostics", [])).lower() + a["error"].lower(),
          "checked, the edit is refused by the canary: %s"
          % (a and a["error"][:120]))
    # The set medflagd checked goes live once the files hold it again.
    d.write_rules(7)
    a = answer(ask_reload(d), TIMEOUT_MS + 10000)
    check(a is not None and a["ok"] is True and a["acked"] == 2 and
          a["gen"] == 3,
          "a later reload of checked rules is taken by both: %s" % a)
    v = verdict(d, "later", MYTH)
    check(v.get("gen") == 3 and v.get("score") == 7 and
          v.get("ruleset") == a["ruleset"],
          "verdicts carry generation 3 (%s, score %s)"
          % (v.get("gen"), v.get("score")))


def stopped_worker(d):
    """`medflag reload` with one worker stopped: it waits for the
    deadline, names that worker and exits 1; a second request made
    meanwhile is answered after the first round ended."""
    cmd = [os.path.join(mfdeploy.BUILD, "medflag"), "-c", d.conf, "reload"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "(2/2 workers)" in r.stdout,
          "with both workers running it, reload says so and exits 0: %s"
          % r.stdout.strip())
    gen = d.control("health")["gen"]
    stopped = d.worker_pids()[0]
    os.kill(stopped, signal.SIGSTOP)
    try:
        d.write_rules(8)
        t0 = time.time()
        cli = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        second = ask_reload(d)
        out, err = cli.communicate(timeout=60)
        took = time.time() - t0
        first_done = time.time()
        a = answer(second, 3 * TIMEOUT_MS + 10000)
        second_done = time.time()
    finally:
        os.kill(stopped, signal.SIGCONT)
    check(cli.returncode == 1, "medflag reload exits 1 (%d)"
          % cli.returncode)
    check("pid %d" % stopped in err and "did not answer" in err,
          "it names the stopped worker: %s" % err.strip())
    check(TIMEOUT_MS / 1000.0 <= took < TIMEOUT_MS / 1000.0 + 8,
          "it waited for the deadline (%.1f s)" % took)
    check(a is not None and a["gen"] == gen + 2 and
          second_done >= first_done,
          "the second request was answered after the first round, by the "
          "next generation (%s)" % (a and a.get("gen")))
    # Running again, the stopped worker loads the checked rules.
    until("the worker to catch up", lambda: all(
        w["gen"] == gen + 2 for w in workers(d)))
    v = verdict(d, "caught-up", MYTH)
    check(v.get("score") == 8 and v.get("gen") == gen + 2,
          "its verdicts carry the new generation (%s)" % v.get("gen"))
    r = subprocess.run([os.path.join(mfdeploy.BUILD, "medflag"), "-c",
                        d.conf, "stats"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0 and "(generation %d)" % (gen + 2) in r.stdout
          and " gen " in r.stdout,
          "medflag stats shows the generation, per worker too")


def unchecked_peer(d):
    """A worker whose READY names a rule set medflagd never checked (one
    started after an edit) is told RELOAD with the checked generation and
    hash, and gets no posts while the others judge them."""
    h = d.control("health")
    w = d.ctx.socket(zmq.DEALER)
    w.setsockopt(zmq.LINGER, 0)
    w.connect(d.ep["backend"])
    w.send_multipart([b"READY", b"10000", b"4343", b"peer", b"0" * 16,
                      b"32"])
    got = []
    deadline = time.time() + 3
    while time.time() < deadline and not any(m[0] == b"RELOAD"
                                             for m in got):
        if w.poll(200):
            got.append(w.recv_multipart())
    reload = [m for m in got if m[0] == b"RELOAD"]
    check(reload and reload[0][1:] == [str(h["gen"]).encode(),
                                       h["ruleset"].encode()],
          "it is told RELOAD %d %s" % (h["gen"], h["ruleset"]))
    ws = [x for x in workers(d) if x["pid"] == 4343]
    check(ws and ws[0]["gen"] == 0, "stats show it at generation 0")
    vs = [verdict(d, "held-%d" % i, MYTH) for i in range(40)]
    check(all(v.get("gen") == h["gen"] for v in vs),
          "40 posts judged by the other workers, generation %d" % h["gen"])
    posts = []
    while w.poll(100):
        m = w.recv_multipart()
        if m[0] in (b"POST", b"POSTS"):
            posts.append(m)
    check(not posts, "40 posts, none to it")
    w.send_multipart([b"BYE"])
    w.close()


def silent_while_loading():
    """A worker silent past worker_timeout_ms during a reload (compiling
    a big set on a busy host) is declared dead, not killed; when it comes
    back on a new connection with the checked rules, the round counts it:
    the reload is ok."""
    d = mfdeploy.Deployment(workers=2, extra="heartbeat_ms 200\n"
                            "worker_timeout_ms 1000\nreload_timeout_ms "
                            "15000\nreload_min_interval_ms 0\n")
    try:
        d.medflagd_start()
        slow = d.worker_pids()[0]
        os.kill(slow, signal.SIGSTOP)
        try:
            d.write_rules(8)
            s = ask_reload(d)
            time.sleep(2.0)
        finally:
            os.kill(slow, signal.SIGCONT)
        a = answer(s, 20000)
        d.log.flush()
        log = open(d.log.name).read()
        check("pid %d) silent for" % slow in log,
              "the stopped worker was declared dead meanwhile")
        check(a is not None and a["ok"] is True and a["acked"] == 2,
              "it came back with the checked rules and the reload is ok "
              "(%s)" % a)
        check(slow in d.worker_pids(), "it was not killed")
        v = verdict(d, "back", MYTH)
        check(v.get("score") == 8 and v.get("gen") == 2,
              "verdicts carry generation 2 (%s)" % v.get("gen"))
    except Exception as e:
        mfdeploy.failed(d, e)
        raise
    finally:
        d.teardown()


def main(d):
    d.medflagd_start()
    edit_after_check(d)
    stopped_worker(d)
    unchecked_peer(d)
    silent_while_loading()


if __name__ == "__main__":
    mfdeploy.run(main, workers=2, extra="reload_min_interval_ms 0\n"
                 "reload_timeout_ms %d\nworker_timeout_ms 10000\n"
                 % TIMEOUT_MS)
