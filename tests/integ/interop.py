#!/usr/bin/python3
# tests/integ/interop.py - a client written in another language, from
# docs/protocol.md alone: Python's zmq and msgpack against a real
# redis-server and build/medflagd with 2 workers (temp dir, free ports).
# Pushes posts on ingest (PUSH), checks one from a plain REQ socket,
# subscribes to verdicts (SUB), sends bad messages, asks control for stats.
# Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("MF_TOP") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MF_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


try:
    import msgpack
    import zmq
except ImportError as e:
    skip("python3 modules missing (%s): apt-get install python3-zmq "
         "python3-msgpack" % e)

# The one harness piece shared with the other tests: a port picker that
# does not race the kernel's own choices (tests/mfdeploy.py).
sys.path.insert(0, os.path.join(TOP, "tests"))
from mfdeploy import free_port  # noqa: E402

MEDFLAGD = os.path.join(BUILD, "medflagd")
if not os.access(MEDFLAGD, os.X_OK):
    skip(MEDFLAGD + " is not built")
if shutil.which("redis-server") is None:
    skip("redis-server not found (apt-get install redis-server)")

# The fields docs/protocol.md lists for every verdict.
VERDICT_FIELDS = {"v", "post_id", "status", "action", "score", "hits",
                  "sources", "evidence", "ruleset", "seq", "flags"}
ACTIONS = {"none", "annotate", "flag", "hold", "block"}


RULES = """\
claim vaccines-autism
  title      Vaccines cause autism
  fact       Studies of millions of children found no link.
  evidence   https://www.who.int/news-room/fact-sheets/detail/autism-spectrum-disorders
  tier       harmful
  review-by  2030-01-01
end

rule vaccines-autism.causal
  claim      vaccines-autism
  score      6
  match      /\\b(vacc?in\\w*|mmr|jabs?)\\b/
  match      /\\bautis\\w*/
  near       80
  unless     /\\b(no|not|never|myth|debunk\\w*|disproven)\\b/
  mode       enforce
  expect     match   "The MMR jab gave my son autism, I'm sure of it."
  expect     nomatch "There is no link between the MMR vaccine and autism."
end
"""


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(raw):
    return msgpack.unpackb(raw, raw=False)


def control(ctx, ep, cmd, timeout_ms=2000):
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(ep)
    try:
        req.send(cmd.encode())
        if not req.poll(timeout_ms):
            return None
        return unpack(req.recv())
    finally:
        req.close()


def req_check(ctx, ep, payload, timeout_ms=10000):
    """One post from a plain REQ socket; resend on a new socket if late."""
    for _ in range(3):
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(ep)
        try:
            req.send(payload)
            if req.poll(timeout_ms):
                return unpack(req.recv())
        finally:
            req.close()
    raise Fail("no verdict on the check endpoint")


def run(tmp, procs):
    ctx = zmq.Context()
    ep = {k: "tcp://127.0.0.1:%d" % free_port()
          for k in ("ingest", "check", "verdicts", "control", "backend")}
    sock = os.path.join(tmp, "redis.sock")
    procs.append(subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
         "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    # A small rule set of our own, so the test does not follow edits of
    # the curated rules; policy and source lists are the project's.
    rules = os.path.join(tmp, "rules")
    os.mkdir(rules)
    shutil.copy(os.path.join(TOP, "rules", "policy.conf"), rules)
    shutil.copy(os.path.join(TOP, "rules", "canary.jsonl"), rules)
    shutil.copytree(os.path.join(TOP, "rules", "sources"),
                    os.path.join(rules, "sources"))
    with open(os.path.join(rules, "interop.rules"), "w") as f:
        f.write(RULES)
    conf = os.path.join(tmp, "medflag.conf")
    with open(conf, "w") as f:
        for k, v in ep.items():
            f.write("%s %s\n" % (k, v))
        f.write("rules %s\nredis unix://%s\nworkers 2\n"
                % (rules, sock))
    log = open(os.path.join(tmp, "medflagd.log"), "w")
    procs.append(subprocess.Popen([MEDFLAGD, "-d", "-c", conf],
                                  stdout=log, stderr=log))
    deadline = time.time() + 30
    while True:
        h = control(ctx, ep["control"], "health", 500)
        if h and h.get("workers_alive", 0) >= 2:
            break
        if procs[-1].poll() is not None or time.time() > deadline:
            log.flush()
            sys.stderr.write(open(log.name).read())
            raise Fail("medflagd did not report 2 workers alive")
        time.sleep(0.1)

    # 1. Subscribe, and wait until the subscription is live (a PUB drops
    #    what it sends before a subscriber is known).
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(ep["verdicts"])
    sub.setsockopt(zmq.SUBSCRIBE, b"verdict.")
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(ep["ingest"])
    deadline = time.time() + 15
    live = False
    while not live and time.time() < deadline:
        push.send(pack({"v": 1, "post_id": "warmup", "body": "hello"}))
        while sub.poll(200):
            topic, raw = sub.recv_multipart()
            live = True
    check(live, "no verdict published for a pushed warm-up post")

    # 2. Push posts on ingest; see each verdict on the SUB socket.
    bodies = ["The MMR jab gave my son autism, I am sure of it.",
              "Drinking bleach (MMS) cures autism, see "
              "https://naturalnews.com/cure",
              "Nice weather for a walk today.",
              "Garlic cures the flu, doctors hate it."]
    want = {}
    for i in range(40):
        pid = "py-%d" % i
        want[pid] = i
        push.send(pack({"v": 1, "post_id": pid, "revision": i,
                        "instance": "interop", "body": bodies[i % 4],
                        "ext": {"n": i}}))
    got = {}
    seqs = []
    deadline = time.time() + 30
    while len(got) < len(want) and time.time() < deadline:
        if not sub.poll(500):
            continue
        frames = sub.recv_multipart()
        check(len(frames) == 2, "a published message has %d frames, not 2"
              % len(frames))
        topic, v = frames[0].decode(), unpack(frames[1])
        check(topic == "verdict." + v["action"],
              "topic %s for action %s" % (topic, v["action"]))
        seqs.append(v["seq"])
        if v.get("post_id") in want:
            got[v["post_id"]] = v
    check(len(got) == len(want), "%d of %d pushed posts got a published "
          "verdict" % (len(got), len(want)))
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
          "seq not increasing: %r" % seqs[:20])
    for pid, v in got.items():
        missing = VERDICT_FIELDS - set(v)
        check(not missing, "verdict %s lacks %s" % (pid, sorted(missing)))
        check(v["action"] in ACTIONS, "action %r" % v["action"])
        check(v["revision"] == want[pid], "revision %r echoed as %r"
              % (want[pid], v["revision"]))
        check(v["instance"] == "interop", "instance not echoed")
        check(v["ext"] == {"n": want[pid]}, "ext not echoed: %r"
              % v.get("ext"))
        for h in v["hits"]:
            for k in ("rule", "claim", "score", "mode", "spans"):
                check(k in h, "hit lacks %s" % k)
    flagged = [v for v in got.values() if v["hits"]]
    check(flagged, "no pushed post matched any rule")
    body = bodies[0]
    for v in flagged:
        if v["post_id"] == "py-0":
            for h in v["hits"]:
                for s, e in h["spans"]:
                    check(0 <= s < e <= len(body.encode()),
                          "span %r outside the body" % ((s, e),))

    # 3. A check request from a plain REQ socket.
    v = req_check(ctx, ep["check"], pack({
        "v": 1, "post_id": "req-1", "revision": "r7",
        "body": "The MMR jab gave my son autism, I am sure of it.",
        "ext": {"forum": "x"}}))
    check(v["post_id"] == "req-1" and v["revision"] == "r7",
          "check verdict for %r" % v.get("post_id"))
    check(v["ext"] == {"forum": "x"}, "ext not echoed on check")
    check(v["status"] == "ok", "status %r" % v["status"])
    check(VERDICT_FIELDS <= set(v), "check verdict lacks %s"
          % sorted(VERDICT_FIELDS - set(v)))

    # 4. Bad input gets an error verdict, never silence.
    v = req_check(ctx, ep["check"], b"\xc1 not msgpack")
    check(v["status"] == "error" and v.get("error"),
          "garbage got %r" % v)
    v = req_check(ctx, ep["check"], pack({"post_id": "nobody"}))
    check(v["status"] == "error" and v.get("post_id") == "nobody",
          "a post without body got %r" % v)
    check("body" in v.get("error", ""), "the error does not name the "
          "field: %r" % v.get("error"))
    # over 1 MiB (but under the 2 MiB socket limit): an error verdict
    v = req_check(ctx, ep["check"], pack({"post_id": "big",
                                          "body": "x" * (3 << 19)}))
    check(v["status"] == "error" and v.get("post_id") == "big",
          "a 1.5 MiB post got %r" % v.get("status"))

    # 5. Control: stats counts what we did.
    st = control(ctx, ep["control"], "stats")
    check(st and st.get("ok") is True, "stats: %r" % st)
    check(st["posts_in"] >= 41, "posts_in %r" % st["posts_in"])
    check(st["bad_messages"] >= 1, "bad_messages %r" % st["bad_messages"])
    check(len(st["workers"]) == 2, "workers %r" % st["workers"])
    bad = control(ctx, ep["control"], "no-such-command")
    check(bad and bad.get("ok") is False and bad.get("error"),
          "an unknown command got %r" % bad)
    for s in (sub, push):
        s.close()
    ctx.term()


def main():
    tmp = tempfile.mkdtemp(prefix="mfinterop.")
    procs = []
    rc = 1
    try:
        run(tmp, procs)
        print("interop: ok")
        rc = 0
    except Fail as e:
        print("FAIL: %s" % e)
        log = os.path.join(tmp, "medflagd.log")
        if os.path.exists(log):
            sys.stdout.write(open(log).read()[-4000:])
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
