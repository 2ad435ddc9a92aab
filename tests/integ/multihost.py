#!/usr/bin/python3
# tests/integ/multihost.py - workers on other hosts, simulated with network
# namespaces: one for redis-server, medflagd and this test (the broker
# host), two for remote medflag-workers (hosts a and b), each joined to
# the broker by a veth pair on a private subnet, with loss (and delay when
# the kernel has sch_netem) on both ends. CURVE on every endpoint, the
# workers' keys on the allow list. A stream of posts through the check
# endpoint; host a's link is cut for 10 s, then restored. Shows: every
# post got a verdict, each post exactly one published verdict (seq without
# a gap), the work moved to host b while a was cut off, and host a took
# work again after. The namespaces go whatever happens. Exit 0 pass, 1
# fail, 77 skip (no root, no `ip netns`).
# SPDX-License-Identifier: MIT

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check, pack, unpack
import zmq

mfdeploy.require_service()

WORKER = os.path.join(mfdeploy.BUILD, "medflag-worker")
TAG = "mfh%d" % os.getpid()
NS = {"core": TAG + "c", "a": TAG + "a", "b": TAG + "b"}
# host -> (broker-side device, host-side device, broker address, host's)
LINK = {"a": ("va0", "va1", "10.77.1.1", "10.77.1.2"),
        "b": ("vb0", "vb1", "10.77.2.1", "10.77.2.2")}
LOSS = 2            # percent, each direction of each worker link
DELAY = "20ms 5ms"  # netem, when the kernel has it
CUT_S = 10
RATE = 150          # posts per second
SECONDS = 24        # of posts
CUT_AT = 5          # seconds into the stream
HB_MS, TIMEOUT_MS = 300, 2000


def ip(*args, ns=None, ok=False):
    cmd = ["ip"] + (["-n", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0 and not ok:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stdout.strip()))
    return r


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def in_ns(ns, *cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", ns] + list(cmd),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def network():
    """The three namespaces and two links; returns how the links are
    impaired, in words."""
    for ns in NS.values():
        ip("netns", "add", ns)
    for ns in NS.values():
        ip("link", "set", "lo", "up", ns=ns)
    for h, (dc, dh, ac, ah) in LINK.items():
        ip("link", "add", "name", dc, "type", "veth", "peer", "name", dh,
           "netns", NS[h], ns=NS["core"])
        ip("addr", "add", ac + "/24", "dev", dc, ns=NS["core"])
        ip("addr", "add", ah + "/24", "dev", dh, ns=NS[h])
        ip("link", "set", dc, "up", ns=NS["core"])
        ip("link", "set", dh, "up", ns=NS[h])
    how = []
    # netem gives delay and loss; a kernel without sch_netem (some VM
    # kernels) still drops packets at random through nftables.
    netem = all(in_ns(NS[side], "tc", "qdisc", "add", "dev", dev, "root",
                      "netem", "delay", *DELAY.split(), "loss",
                      "%d%%" % LOSS).returncode == 0
                for h, (dc, dh, _, _) in LINK.items()
                for side, dev in (("core", dc), (h, dh)))
    if netem:
        how.append("netem delay %s, loss %d%% each way" % (DELAY, LOSS))
    else:
        if shutil.which("nft") is None:
            raise RuntimeError("neither sch_netem nor nft (make deps "
                               "installs nftables)")
        for h, (dc, dh, _, _) in LINK.items():
            for side, dev in (("core", dc), (h, dh)):
                r = in_ns(NS[side], "nft",
                          "add table inet mf; "
                          "add chain inet mf out { type filter hook output "
                          "priority 0; }; "
                          "add rule inet mf out oifname %s numgen random "
                          "mod 100 < %d drop" % (dev, LOSS))
                if r.returncode != 0:
                    raise RuntimeError("nft: " + r.stdout.strip())
        how.append("loss %d%% each way (nftables; this kernel has no "
                   "sch_netem, so no added delay)" % LOSS)
    return ", ".join(how)


def teardown_network():
    for ns in NS.values():
        ip("netns", "del", ns, ok=True)


def enter(ns):
    """Moves this process (one thread so far) into network namespace
    'ns', as `ip netns exec` would."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:       # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


def worker_conf(d, h, port):
    """medflag.conf of remote host 'h': medflagd's backend and Redis over
    the link, medflagd's public key and the host's own key pair. A lost
    packet costs TCP at least 200 ms to send again, the default
    redis_timeout_ms: over a lossy link the worker would drop its Redis
    connection every few seconds."""
    path = os.path.join(d.tmp, "host-%s.conf" % h)
    core = LINK[h][2]
    with open(path, "w") as f:
        f.write("backend tcp://%s:%d\nrules %s\nredis redis://%s:%d\n"
                "redis_password %s\nredis_timeout_ms 1500\nheartbeat_ms %d\n"
                "worker_timeout_ms %d\nlog_level info\n"
                "curve_server_key %s\ncurve_client_key %s/host-%s.key\n"
                % (core, port, d.rules, core, d.redis_port,
                   d.redis_password, HB_MS, TIMEOUT_MS, d.curve[0], d.tmp,
                   h))
    return path


class Stream:
    """Posts through the check endpoint at RATE per second, resent after
    a timeout as a client must; the verdicts the producer gets and those
    published, each with when it came."""

    def __init__(self, d, total):
        self.d = d
        self.total = total
        self.got = {}           # post_id -> [(t, worker, duplicate)]
        self.pub = []           # (t, seq, post_id, worker, duplicate)
        self.resent = 0
        self.stop = False
        self.t0 = None

    def subscribe(self):
        sub = self.d.socket(zmq.SUB, "verdicts")
        while not self.stop:
            if not sub.poll(100):
                continue
            while True:
                try:
                    _, raw = sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                v = unpack(raw)
                self.pub.append((time.time(), v.get("seq"),
                                 v.get("post_id"), v.get("worker"),
                                 "duplicate" in (v.get("flags") or [])))
        sub.close()

    def produce(self):
        s = self.d.socket(zmq.DEALER, "check")
        pending = {}            # post_id -> [payload, last sent]
        sent = 0
        self.t0 = time.time()
        deadline = self.t0 + SECONDS + 30
        while (sent < self.total or pending) and time.time() < deadline:
            now = time.time()
            while sent < self.total and sent < (now - self.t0) * RATE:
                key = "mh%05d" % sent
                body = (MYTH if sent % 5 == 0 else
                        "Swimming twice a week helped my back.") + \
                    " #%d" % sent
                p = pack({"v": 1, "post_id": key, "revision": 1,
                          "instance": "multihost", "body": body})
                pending[key] = [p, now]
                self.got[key] = []
                s.send_multipart([b"", p])
                sent += 1
            while s.poll(10):
                v = unpack(s.recv_multipart()[-1])
                key = v.get("post_id")
                if key not in self.got:
                    continue
                self.got[key].append((time.time(), v.get("worker"),
                                      "duplicate" in (v.get("flags") or [])))
                pending.pop(key, None)
            # Longer than medflagd takes to give a lost worker's posts to
            # another (worker_timeout_ms), so a resend is the exception.
            for key, p in pending.items():
                if now - p[1] > 3 * TIMEOUT_MS / 1000.0:
                    s.send_multipart([b"", p[0]])
                    p[1] = now
                    self.resent += 1
        s.close()


def host_of(worker, pids):
    """'a' or 'b' for a verdict's worker field ("host:pid")."""
    try:
        pid = int((worker or "").rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return "?"
    return pids.get(pid, "?")


def test(d, impaired):
    print("links: " + impaired)
    port = int(d.ep["backend"].rsplit(":", 1)[1])
    d.medflagd_start(wait_workers=0)
    logs, procs, pids = {}, {}, {}
    for h in LINK:
        logs[h] = open(os.path.join(d.tmp, "worker-%s.log" % h), "w")
        procs[h] = subprocess.Popen(
            ["ip", "netns", "exec", NS[h], WORKER, "-c",
             worker_conf(d, h, port), "-i", h], stdout=logs[h],
            stderr=logs[h])
        pids[procs[h].pid] = h
    try:
        deadline = time.time() + 20
        while True:
            hl = d.control("health", timeout_ms=500)
            if hl and hl.get("workers_alive", 0) >= 2:
                break
            if time.time() > deadline:
                raise Fail("the remote workers never registered")
            time.sleep(0.1)
        check(True, "2 workers on other hosts registered over CURVE")
        run(d, procs, pids)
    finally:
        for h, p in procs.items():
            mfdeploy.end(p)
            logs[h].close()
            if p.returncode not in (0, None):
                print("worker on host %s exited %d:" % (h, p.returncode))
        for h in LINK:
            with open(os.path.join(d.tmp, "worker-%s.log" % h)) as f:
                sys.stdout.write("".join("  host %s: %s" % (h, line)
                                         for line in f.readlines()[-5:]))


def run(d, procs, pids):
    st = Stream(d, RATE * SECONDS)
    subt = threading.Thread(target=st.subscribe, daemon=True)
    subt.start()
    time.sleep(0.3)
    prod = threading.Thread(target=st.produce, daemon=True)
    prod.start()
    while st.t0 is None:
        time.sleep(0.01)
    time.sleep(CUT_AT)
    dev = LINK["a"][0]
    ip("link", "set", dev, "down", ns=NS["core"])
    t_cut = time.time()
    print("host a cut off at %.1f s" % (t_cut - st.t0))
    time.sleep(CUT_S)
    ip("link", "set", dev, "up", ns=NS["core"])
    t_up = time.time()
    print("host a back at %.1f s" % (t_up - st.t0))
    prod.join(SECONDS + 40)
    # The last verdicts reach the subscriber too.
    time.sleep(1)
    st.stop = True
    subt.join(5)
    check(not prod.is_alive(), "the producer finished")
    check(all(p.poll() is None for p in procs.values()),
          "both workers still run")

    lost = [k for k, v in st.got.items() if not v]
    check(len(st.got) == st.total and not lost,
          "producer: %d posts, %d without a verdict (%d resent)"
          % (st.total, len(lost), st.resent))
    first = {}
    dup_prod = 0
    for k, v in st.got.items():
        n = sum(1 for x in v if not x[2])
        dup_prod += max(0, n - 1)
        if v:
            first[k] = host_of(v[0][1], pids)
    check(dup_prod == 0, "producer: %d posts with two verdicts not "
          "flagged duplicate" % dup_prod)
    per = {}
    for t, seq, key, w, dup in st.pub:
        if not dup:
            per[key] = per.get(key, 0) + 1
    seqs = sorted(x[1] for x in st.pub)
    missing = [k for k in st.got if per.get(k, 0) == 0]
    twice = [k for k, n in per.items() if n > 1]
    check(not missing and not twice,
          "published: every post exactly once (%d missing, %d twice)"
          % (len(missing), len(twice)))
    check(seqs and seqs == list(range(seqs[0], seqs[0] + len(seqs))),
          "published seq %s..%s without a gap or a repeat"
          % (seqs[0] if seqs else "-", seqs[-1] if seqs else "-"))

    def share(t1, t2):
        c = {"a": 0, "b": 0, "?": 0}
        for t, seq, key, w, dup in st.pub:
            if t1 <= t < t2:
                c[host_of(w, pids)] += 1
        return c
    # medflagd notices the silence after worker_timeout_ms; what a held
    # then comes from b. Host a reconnects on its own once the link is up.
    before = share(st.t0, t_cut)
    during = share(t_cut + TIMEOUT_MS / 1000.0 + 1, t_up)
    after = share(t_up + 4, time.time())
    print("verdicts by host: before the cut a %d b %d; link down a %d "
          "b %d; from 4 s after a %d b %d"
          % (before["a"], before["b"], during["a"], during["b"],
             after["a"], after["b"]))
    check(before["a"] > 0 and before["b"] > 0,
          "both hosts worked before the cut")
    check(during["a"] == 0 and during["b"] > 0.8 * RATE *
          (t_up - t_cut - TIMEOUT_MS / 1000.0 - 1),
          "while a was cut off, b judged everything")
    check(after["a"] > 0, "host a took work again after its link came "
          "back")
    print("worst time to a verdict %.1f s" % max(
        (v[0][0] - (st.t0 + int(k[2:]) / RATE) for k, v in st.got.items()
         if v), default=0))


def main():
    if os.geteuid() != 0:
        skip("network namespaces need root (run as root, or in a CI job "
             "that has CAP_NET_ADMIN)")
    if shutil.which("ip") is None:
        skip("`ip` not found (make deps installs iproute2)")
    probe = TAG + "p"
    r = ip("netns", "add", probe, ok=True)
    if r.returncode != 0:
        skip("this machine does not allow network namespaces (`ip netns "
             "add` says: %s); a container needs CAP_SYS_ADMIN and "
             "CAP_NET_ADMIN" % r.stdout.strip())
    ip("netns", "del", probe, ok=True)

    def on_signal(sig, frame):
        raise SystemExit(1)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    d = None
    rc = 1
    try:
        impaired = network()
        enter(NS["core"])
        d = mfdeploy.Deployment(
            workers=0, curve=True, worker_keys=("host-a", "host-b"),
            backend="tcp://0.0.0.0:%d" % mfdeploy.free_port(),
            redis_bind=[LINK["a"][2], LINK["b"][2], "127.0.0.1"],
            extra="heartbeat_ms %d\nworker_timeout_ms %d\n"
            "dedup_window_s 600\n" % (HB_MS, TIMEOUT_MS))
        test(d, impaired)
        rc = 0
    except Exception as ex:
        rc = mfdeploy.failed(d, ex) if d else 1
        if d is None:
            print("FAIL %s: %s" % (type(ex).__name__, ex))
    finally:
        if d is not None:
            d.teardown()
        teardown_network()
    return rc


if __name__ == "__main__":
    sys.exit(main())
