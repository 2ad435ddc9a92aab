#!/usr/bin/python3
# tests/integ/control.py - the control endpoint. A burst of reload
# requests runs a few reloads, not one each: every request is answered by
# the reload it was coalesced into, the last edit of the rules is the one
# that goes live, and checks go on being answered meanwhile. Without
# CURVE, medflagd refuses a control endpoint other hosts can reach unless
# the configuration says 'control_open on'. `medflag reload` rate-limited
# past what its answer can wait asks again and says how the reload went.
# Real redis-server, medflagd and worker. Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import MYTH, check
import msgpack
import zmq

mfdeploy.require_service()

INTERVAL_MS = 1500
BURST = 60          # reload requests, over about BURST_S seconds
BURST_S = 3.0


def checker(d, stop, out):
    """Checks MYTH, one at a time, until 'stop'; counts the answers."""
    s = d.socket(zmq.DEALER, "check")
    n = 0
    while not stop.is_set():
        s.send_multipart([b"", mfdeploy.pack({"post_id": "c-%d" % n,
                                               "body": MYTH})])
        if s.poll(5000):
            s.recv_multipart()
            n += 1
    s.close()
    out.append(n)


def rate(d, seconds):
    stop, out = threading.Event(), []
    t = threading.Thread(target=checker, args=(d, stop, out))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()
    return out[0] / seconds


def burst(d):
    """BURST reload requests from as many clients, spread over BURST_S;
    the rules are edited before the last one. Returns the answers."""
    socks = []
    for i in range(BURST):
        if i == BURST - 1:
            d.write_rules(9)
        s = d.socket(zmq.DEALER, "control")
        s.send_multipart([b"", b"reload"])
        socks.append(s)
        time.sleep(BURST_S / BURST)
    answers = []
    for s in socks:
        if s.poll(INTERVAL_MS * 2 + 5000):
            answers.append(msgpack.unpackb(s.recv_multipart()[-1],
                                           raw=False))
        s.close()
    return answers


def exposed_control(d):
    """medflagd -n and a start refuse a control on 0.0.0.0 without CURVE;
    'control_open on' lets it through."""
    conf = open(d.conf).read()
    port = d.ep["control"].rsplit(":", 1)[1]
    bad = conf.replace(d.ep["control"], "tcp://0.0.0.0:" + port)
    with open(d.conf, "w") as f:
        f.write(bad)
    r = subprocess.run([mfdeploy.MEDFLAGD, "-n", "-c", d.conf],
                       capture_output=True, text=True, timeout=60)
    msg = r.stdout + r.stderr
    check(r.returncode != 0, "medflagd -n refuses an open control")
    check("control tcp://0.0.0.0:" in msg and "control_open on" in msg
          and d.conf in msg and "127.0.0.1" in msg,
          "the refusal names the file, the endpoint and the fixes: %s"
          % msg.strip().splitlines()[0])
    r = subprocess.run([mfdeploy.MEDFLAGD, "-c", d.conf],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "control_open on" in r.stderr + r.stdout,
          "medflagd does not start with it (exit %d)" % r.returncode)
    with open(d.conf, "w") as f:
        f.write(bad + "control_open on\n")
    r = subprocess.run([mfdeploy.MEDFLAGD, "-n", "-c", d.conf],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "configuration OK" in r.stdout,
          "'control_open on' says the operator wants it")
    ipc = "ipc://" + os.path.join(d.tmp, "control.sock")
    with open(d.conf, "w") as f:
        f.write(conf.replace(d.ep["control"], ipc))
    r = subprocess.run([mfdeploy.MEDFLAGD, "-n", "-c", d.conf],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "an ipc:// control needs nothing more")
    with open(d.conf, "w") as f:
        f.write(conf)


def main(d):
    exposed_control(d)
    d.medflagd_start()
    before = rate(d, 1.0)
    stop, out = threading.Event(), []
    t = threading.Thread(target=checker, args=(d, stop, out))
    t0 = time.time()
    t.start()
    answers = burst(d)
    stop.set()
    t.join()
    during = out[0] / (time.time() - t0)
    check(len(answers) == BURST and all(a["ok"] for a in answers),
          "all %d reload requests answered ok (%d)"
          % (BURST, len(answers)))
    st = d.control("stats")
    most = int(BURST_S * 1000 / INTERVAL_MS) + 2
    check(1 <= st["reloads"] <= most,
          "%d requests ran %d reloads (at most %d)"
          % (BURST, st["reloads"], most))
    # A reload runs at a request, or at the end of the interval for
    # the requests that waited: each request is one or the other.
    check(BURST - st["reloads"] <= st["reloads_coalesced"] < BURST,
          "the others waited and were coalesced (%d)"
          % st["reloads_coalesced"])
    check(max(a.get("requests", 1) for a in answers) > 1,
          "one reload answered several requests")
    d.log.flush()
    runs = open(d.log.name).read().count("reload: ruleset ")
    check(runs == st["reloads"], "the log shows %d reloads" % runs)
    # The edit made before the last request is live.
    deadline = time.time() + 15
    while time.time() < deadline:
        s = d.socket(zmq.DEALER, "check")
        s.send_multipart([b"", mfdeploy.pack({"post_id": "after",
                                               "body": MYTH})])
        v = msgpack.unpackb(s.recv_multipart()[-1], raw=False) \
            if s.poll(5000) else {}
        s.close()
        if v.get("score") == 9:
            break
        time.sleep(0.2)
    check(v.get("score") == 9, "the last edit of the rules is live "
          "(score %s)" % v.get("score"))
    print("checks/s: %.0f before, %.0f during %d reload requests"
          % (before, during, BURST))
    check(during > 0, "checks are answered during the burst")
    cli_waits(d)


def cli_waits(d):
    """`medflag reload` rate-limited for longer than its answer can wait
    is told "queued"; the command asks again shortly before the reload is
    due and reports how it went."""
    d.medflagd_stop()
    conf = open(d.conf).read()
    with open(d.conf, "w") as f:
        f.write(conf.replace("reload_min_interval_ms %d" % INTERVAL_MS,
                             "reload_min_interval_ms 4000"))
    d.medflagd_start()
    cmd = [os.path.join(mfdeploy.BUILD, "medflag"), "-c", d.conf, "reload"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    check(first.returncode == 0 and "reloaded" in first.stdout,
          "a first reload runs at once: %s" % first.stdout.strip())
    t0 = time.time()
    second = subprocess.run(cmd, capture_output=True, text=True,
                            timeout=60)
    waited = time.time() - t0
    check(second.returncode == 0 and "reloaded" in second.stdout and
          "rate-limited" in second.stderr,
          "a second one waits for it and says how it went (%.1f s): %s %s"
          % (waited, second.stderr.strip(), second.stdout.strip()))
    check(2.0 <= waited <= 10, "it waited for the gap (%.1f s)" % waited)


if __name__ == "__main__":
    mfdeploy.run(main, workers=1, extra="reload_min_interval_ms %d\n"
                 % INTERVAL_MS)
