#!/usr/bin/python3
# tests/chaos.py - `make chaos`: a real deployment (redis-server, medflagd,
# 3 workers, 2 subscribers) judging posts sent through the check endpoint
# (with client resend) while faults are injected one after another:
# workers SIGKILLed every 2 s, a worker SIGSTOPped for 10 s, medflagd
# killed and restarted 3 times, Redis stopped for 30 s and SIGSTOPped for
# 10 s; all along the rules are reloaded every second, 10% of posts are
# sent three times, hostile frames arrive on every endpoint, one subscriber
# reads slowly and the other is killed and restarted (both catch up with
# `replay`). Prints, per fault, posts sent, verdicts received by the
# producer and each subscriber, lost, duplicated, worst latency, and the
# largest RSS of medflagd and of a worker. Exit 1 if any post lost a
# verdict anywhere. MF_CHAOS_SHORT=1: the same in about a minute.
#
# --combined: the faults together instead, Redis frozen and then medflagd
# SIGKILLed while a subscriber is down; that subscriber, started after,
# must catch up on the verdict of every post (about 20 s).
#
#   python3 tests/chaos.py                  (the coordinator)
#   python3 tests/chaos.py --combined
#   python3 tests/chaos.py --sub NAME DIR CONTROL VERDICTS SLOW_MS
# SPDX-License-Identifier: MIT

import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import zmq
    import mfdeploy
    from mfdeploy import pack, unpack
except ImportError as e:
    print("SKIP: python3 modules missing (%s)" % e)
    sys.exit(77)

SHORT = os.environ.get("MF_CHAOS_SHORT") == "1"
MYTH = "The MMR jab gave my son autism, I am sure of it."
PLAIN = ["Does anyone know a good physiotherapist near the station?",
         "The walking group meets Saturday at nine by the lake.",
         "I booked my flu shot for next week at the pharmacy.",
         "There is no link between the MMR vaccine and autism.",
         "Garlic soup is nice when you have a cold, but see a doctor."]

# ---- subscriber process --------------------------------------------------


def subscriber(name, dirpath, control_ep, verdicts_ep, slow_ms):
    """Applies every verdict once: live from SUB, and from `replay` every
    second starting at the saved cursor. Records "seq key action flags"
    lines; the cursor is saved only after the lines before it are."""
    ctx = zmq.Context()
    rec_path = os.path.join(dirpath, name + ".rec")
    cur_path = os.path.join(dirpath, name + ".cursor")
    fin_path = os.path.join(dirpath, "finish")
    seen = set()
    if os.path.exists(rec_path):
        with open(rec_path) as f:
            for line in f:
                p = line.split()
                if len(p) == 4 and line.endswith("\n"):
                    seen.add(int(p[0]))
    cursor = 0
    if os.path.exists(cur_path):
        cursor = int(open(cur_path).read() or 0)
    rec = open(rec_path, "a")
    # Subscribe first, then replay: nothing published meanwhile is missed.
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(verdicts_ep)
    sub.setsockopt(zmq.SUBSCRIBE, b"verdict.")

    def apply(v):
        seq = v.get("seq", 0)
        if seq in seen:
            return
        seen.add(seq)
        flags = ",".join(v.get("flags") or []) or "-"
        rec.write("%d %s %s %s\n" % (seq, v.get("post_id") or "?",
                                     v.get("action"), flags))

    def control(cmd, args):
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(control_ep)
        try:
            req.send_multipart([cmd.encode(), pack(args)])
            if not req.poll(3000):
                return None
            return unpack(req.recv())
        finally:
            req.close()

    def catch_up():
        nonlocal cursor
        while True:
            r = control("replay", {"since": cursor, "limit": 5000})
            if not r or not r.get("ok"):
                return None
            for v in r["verdicts"]:
                apply(v)
            rec.flush()
            cursor = r["next"]
            with open(cur_path + ".tmp", "w") as f:
                f.write(str(cursor))
            os.rename(cur_path + ".tmp", cur_path)
            if r["count"] < 5000:
                return r

    last = 0.0
    while True:
        if sub.poll(100):
            for _ in range(1000):
                try:
                    topic, raw = sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                apply(unpack(raw))
                if slow_ms:
                    time.sleep(slow_ms / 1000.0)
        if time.time() - last > 1.0:
            rec.flush()
            catch_up()
            last = time.time()
        if os.path.exists(fin_path):
            target = int(open(fin_path).read())
            r = catch_up()
            if r is not None and cursor > target:
                while sub.poll(200):
                    apply(unpack(sub.recv_multipart()[1]))
                rec.close()
                open(os.path.join(dirpath, name + ".done"), "w").close()
                return 0
            time.sleep(0.2)


# ---- coordinator ---------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "start"
        self.phases = []          # in order
        self.rss = {"medflagd": 0, "worker": 0}
        self.events = []
        self.reloads = [0, 0]     # ok, refused
        self.hostile = 0
        self.counts = {"workers SIGKILLed": 0, "workers SIGSTOPped": 0,
                       "medflagd SIGKILLed": 0, "redis stopped": 0,
                       "redis frozen": 0, "subscriber restarts": 0}
        self.stop = False


def log(msg):
    sys.stdout.write("[%7.1f] %s\n" % (time.time() - T0, msg))
    sys.stdout.flush()


def set_phase(st, name):
    with st.lock:
        st.phase = name
        st.phases.append(name)
    log("phase: " + name)


def sleep_until(st, t):
    while time.time() < t and not st.stop:
        time.sleep(0.05)


def faults(d, st, subs):
    """The schedule: one fault after another, each its own phase."""
    k = 0.35 if SHORT else 1.0
    set_phase(st, "baseline")
    sleep_until(st, time.time() + 10 * k)

    set_phase(st, "worker SIGKILL every 2 s")
    end = time.time() + (12 if SHORT else 30)
    while time.time() < end and not st.stop:
        pids = d.worker_pids()
        if pids:
            p = random.choice(pids)
            try:
                os.kill(p, signal.SIGKILL)
                st.counts["workers SIGKILLed"] += 1
            except OSError:
                pass
        sleep_until(st, time.time() + 2)

    set_phase(st, "worker SIGSTOP 10 s")
    pids = d.worker_pids()
    if pids:
        os.kill(pids[0], signal.SIGSTOP)
        st.counts["workers SIGSTOPped"] += 1
        sleep_until(st, time.time() + (5 if SHORT else 10))
        try:
            os.kill(pids[0], signal.SIGCONT)
        except OSError:
            pass
    sleep_until(st, time.time() + 3)

    set_phase(st, "medflagd SIGKILL and restart")
    for i in range(2 if SHORT else 3):
        sleep_until(st, time.time() + 5 * k + 2)
        d.medflagd_stop(signal.SIGKILL)
        st.counts["medflagd SIGKILLed"] += 1
        time.sleep(0.5)
        d.medflagd_start(timeout=30)
    sleep_until(st, time.time() + 5 * k)

    set_phase(st, "redis stopped 30 s")
    d.redis_stop()
    st.counts["redis stopped"] += 1
    sleep_until(st, time.time() + (8 if SHORT else 30))
    d.redis_start()
    sleep_until(st, time.time() + 6)

    set_phase(st, "redis SIGSTOP 10 s")
    d.redis.send_signal(signal.SIGSTOP)
    st.counts["redis frozen"] += 1
    sleep_until(st, time.time() + (4 if SHORT else 10))
    d.redis.send_signal(signal.SIGCONT)
    sleep_until(st, time.time() + 6)

    set_phase(st, "subscriber restarts")
    for i in range(2 if SHORT else 4):
        subs.restart("restarting")
        st.counts["subscriber restarts"] += 1
        sleep_until(st, time.time() + 4)
    set_phase(st, "cool-down")


def reloader(d, st):
    i = 0
    while not st.stop:
        time.sleep(1)
        i += 1
        # Same scores, another fact text: a new hash, the same actions.
        d.write_rules(6, fact_rev=i % 2)
        r = d.control("reload", timeout_ms=5000)
        with st.lock:
            st.reloads[0 if r and r.get("ok") else 1] += 1


def hostile(d, st):
    ctx = d.ctx
    n = 0
    payloads = [b"\xc1", b"\x91\x01", b"not msgpack at all",
                pack({"v": 1, "post_id": "hostile-x", "body": 42}),
                pack({"v": 1, "post_id": "hostile-y", "body": "x",
                      "urls": {"a": [1, 2, {"b": None}]}}),
                pack([1, 2, 3]), b"\xdf\xff\xff\xff\xff",
                pack({"v": 1, "post_id": "hostile-big",
                      "body": "a" * (1100 * 1024)})]
    while not st.stop:
        push = ctx.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 0)
        push.setsockopt(zmq.SNDTIMEO, 100)
        push.connect(d.ep["ingest"])
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.setsockopt(zmq.SNDTIMEO, 100)
        dealer.connect(d.ep["check"])
        ctl = ctx.socket(zmq.DEALER)
        ctl.setsockopt(zmq.LINGER, 0)
        ctl.setsockopt(zmq.SNDTIMEO, 100)
        ctl.connect(d.ep["control"])
        try:
            for p in payloads:
                push.send(p)
                dealer.send_multipart([b"", p])
                n += 2
            dealer.send_multipart([b"x", b"y", b"z", b"w"])
            push.send_multipart([b"a", b"b"])
            ctl.send_multipart([b"", b"\xff" * 40])
            ctl.send_multipart([b"", b"replay", b"\xc1\xc1"])
            n += 4
        except zmq.Again:
            pass
        time.sleep(0.5)
        while dealer.poll(0):
            dealer.recv_multipart()
        push.close()
        dealer.close()
        ctl.close()
        with st.lock:
            st.hostile = n


def sampler(d, st):
    while not st.stop:
        m = d.medflagd
        if m is not None:
            r = mfdeploy.rss_kb(m.pid)
            w = max([mfdeploy.rss_kb(p) for p in d.worker_pids()] or [0])
            with st.lock:
                st.rss["medflagd"] = max(st.rss["medflagd"], r)
                st.rss["worker"] = max(st.rss["worker"], w)
        time.sleep(0.5)


class Subs:
    def __init__(self, d):
        self.d = d
        self.procs = {}

    def start(self, name, slow_ms):
        self.procs[name] = (subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--sub", name,
             self.d.tmp, self.d.ep["control"], self.d.ep["verdicts"],
             str(slow_ms)]), slow_ms)

    def restart(self, name):
        p, slow = self.procs[name]
        p.kill()
        p.wait()
        time.sleep(1)
        self.start(name, slow)

    def finish(self, target, timeout):
        with open(os.path.join(self.d.tmp, "finish.tmp"), "w") as f:
            f.write(str(target))
        os.rename(os.path.join(self.d.tmp, "finish.tmp"),
                  os.path.join(self.d.tmp, "finish"))
        deadline = time.time() + timeout
        ok = True
        for name, (p, _) in self.procs.items():
            try:
                p.wait(max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                ok = False
        return ok

    def kill(self):
        for p, _ in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def produce(d, st, total, duration=None):
    """Sends 'total' posts through the check endpoint with a window and
    resend, in 'duration' seconds; 10% of them three times. Returns
    per-post records."""
    window = 400
    timeout = 3.0
    if duration is None:
        duration = 55.0 if SHORT else 165.0
    rate = total / duration
    posts = {}        # key -> [phase, t_first, t_verdict, verdicts list]
    pending = {}      # key -> [payload, t_last_sent]
    extra = []        # (due, key, payload): the copies of 10%
    sock = d.socket(zmq.DEALER, "check")
    last_rx = time.time()
    sent = 0
    resent = 0
    busy = 0
    t_start = time.time()
    while sent < total or pending or extra:
        now = time.time()
        # New posts at the target rate while the window has room.
        while (sent < total and len(pending) < window and
               sent < (now - t_start) * rate + 50):
            key = "c%06d" % sent
            body = (MYTH if sent % 7 == 0 else PLAIN[sent % len(PLAIN)]) + \
                " #%d" % sent
            payload = pack({"v": 1, "post_id": key, "revision": 1,
                            "instance": "chaos", "body": body})
            with st.lock:
                phase = st.phase
            posts[key] = [phase, now, None, []]
            pending[key] = [payload, now]
            sock.send_multipart([b"", payload])
            if sent % 10 == 3:
                extra.append((now + 0.01, key, payload))
                extra.append((now + 1.5, key, payload))
            sent += 1
        # The copies that are due.
        keep = []
        for e in extra:
            if e[0] <= now:
                sock.send_multipart([b"", e[2]])
            else:
                keep.append(e)
        extra = keep
        # Verdicts.
        if sock.poll(10):
            for _ in range(2000):
                try:
                    fr = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                last_rx = time.time()
                try:
                    v = unpack(fr[-1])
                except Exception:
                    continue
                key = v.get("post_id")
                if key not in posts:
                    continue
                if v.get("status") == "error" and \
                        "busy" in (v.get("error") or ""):
                    busy += 1
                    if key in pending:
                        pending[key][1] = 0   # resend soon
                    continue
                rec = posts[key]
                rec[3].append((v.get("action"), v.get("ruleset"),
                               "duplicate" in (v.get("flags") or [])))
                if rec[2] is None:
                    rec[2] = last_rx
                pending.pop(key, None)
        now = time.time()
        if pending and now - last_rx > timeout:
            # Nothing at all for a while: medflagd may have restarted.
            sock.close()
            sock = d.socket(zmq.DEALER, "check")
            for key, p in pending.items():
                sock.send_multipart([b"", p[0]])
                p[1] = now
                resent += 1
            last_rx = now
        else:
            for key, p in pending.items():
                if now - p[1] > timeout:
                    sock.send_multipart([b"", p[0]])
                    p[1] = now
                    resent += 1
    sock.close()
    log("producer: %d posts sent, %d resent, %d busy replies"
        % (sent, resent, busy))
    return posts


def journal_drained(d, timeout):
    """medflagd's stats once its journal writer has nothing queued and
    Redis is up (or after 'timeout' seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = d.control("stats")
        if s and s["journal_queue"] == 0 and s["redis"]:
            break
        time.sleep(0.5)
    return d.control("stats")


def read_rec(path):
    keys = {}
    if not os.path.exists(path):
        return keys
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 4 or not line.endswith("\n"):
                continue
            keys.setdefault(p[1], []).append(p[3])
    return keys


def main():
    global T0
    T0 = time.time()
    total = 12000 if SHORT else 100000
    extra = ("dedup_window_s 600\njournal_max 1000000\n"
             "heartbeat_ms 500\nworker_timeout_ms 2000\n")
    d = mfdeploy.Deployment(workers=3, extra=extra, persist=True,
                            keep=os.environ.get("MF_CHAOS_KEEP") == "1")
    st = Stats()
    subs = Subs(d)
    rc = 1
    threads = []
    try:
        d.medflagd_start()
        subs.start("slow", 2)
        subs.start("restarting", 0)
        time.sleep(1)
        for fn, args in ((reloader, (d, st)), (hostile, (d, st)),
                         (sampler, (d, st)), (faults, (d, st, subs))):
            t = threading.Thread(target=fn, args=args, daemon=True)
            t.start()
            threads.append(t)
        posts = produce(d, st, total)
        threads[3].join()
        st.stop = True
        for t in threads[:3]:
            t.join(10)
        # Wait for the journal to drain, then tell subscribers where the
        # end is.
        s = journal_drained(d, 60)
        log("medflagd: seq %d, journal skipped %d, duplicates %d, "
            "poison %d, bad messages %d, requeued %d, worker deaths %d"
            % (s["seq"], s["journal_skipped"], s["duplicates"], s["poison"],
               s["bad_messages"], s["requeued"], s["worker_deaths"]))
        if not subs.finish(s["seq"], 180):
            log("a subscriber did not finish its catch-up in time")
        rc = report(d, st, posts)
    finally:
        st.stop = True
        subs.kill()
        d.teardown()
        if os.environ.get("MF_CHAOS_KEEP") == "1":
            log("kept " + d.tmp)
    return rc


def combined():
    """Faults together: Redis frozen, then medflagd SIGKILLed while
    verdicts wait for the journal, with a subscriber down all along. That
    subscriber, started after the run, must catch up on the verdict of
    every post the producer got one for."""
    global T0
    T0 = time.time()
    extra = ("dedup_window_s 600\njournal_max 1000000\n"
             "heartbeat_ms 500\nworker_timeout_ms 2000\n")
    d = mfdeploy.Deployment(workers=2, extra=extra,
                            keep=os.environ.get("MF_CHAOS_KEEP") == "1")
    st = Stats()
    subs = Subs(d)
    rc = 1

    def faults():
        set_phase(st, "baseline")
        sleep_until(st, time.time() + 3)
        set_phase(st, "redis SIGSTOP, medflagd SIGKILL")
        d.redis.send_signal(signal.SIGSTOP)
        st.counts["redis frozen"] += 1
        time.sleep(3)
        d.medflagd_stop(signal.SIGKILL)
        st.counts["medflagd SIGKILLed"] += 1
        time.sleep(2)
        d.redis.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        d.medflagd_start(timeout=30)
        set_phase(st, "after")

    try:
        d.medflagd_start()
        t = threading.Thread(target=faults, daemon=True)
        t.start()
        posts = produce(d, st, 4000, duration=14.0)
        t.join()
        s = journal_drained(d, 30)
        log("medflagd: seq %d, journal skipped %d" % (s["seq"],
                                                     s["journal_skipped"]))
        subs.start("late", 0)
        done = subs.finish(s["seq"], 60)
        rec = read_rec(os.path.join(d.tmp, "late.rec"))
        got = [k for k, p in posts.items() if p[3]]
        missing = [k for k in got if k not in rec]
        by_phase = {}
        for k in missing:
            by_phase[posts[k][0]] = by_phase.get(posts[k][0], 0) + 1
        print("combined: %d posts, %d with a verdict at the producer, "
              "%d of those not caught up by the late subscriber %s%s"
              % (len(posts), len(got), len(missing),
                 by_phase or "", "" if done else
                 " (its catch-up did not finish)"))
        ok = len(got) == len(posts) and not missing and done
        print("chaos combined: %s (%.0f s)" % ("PASS" if ok else "FAIL",
                                               time.time() - T0))
        rc = 0 if ok else 1
    finally:
        st.stop = True
        subs.kill()
        d.teardown()
    return rc


def report(d, st, posts):
    subrec = {n: read_rec(os.path.join(d.tmp, n + ".rec"))
              for n in ("slow", "restarting")}
    done = {n: os.path.exists(os.path.join(d.tmp, n + ".done"))
            for n in subrec}
    rows = []
    lost_total = 0
    conflicts = 0
    unnamed = 0
    for ph in st.phases:
        keys = [k for k, p in posts.items() if p[0] == ph]
        if not keys:
            continue
        got = sum(1 for k in keys if posts[k][3])
        lost = len(keys) - got
        dup = sum(max(0, sum(1 for x in posts[k][3] if not x[2]) - 1)
                  for k in keys)
        lat = max([posts[k][2] - posts[k][1] for k in keys
                   if posts[k][2] is not None] or [0])
        row = [ph, len(keys), got]
        for n in ("slow", "restarting"):
            r = subrec[n]
            have = sum(1 for k in keys if k in r)
            row.append(have)
            lost += len(keys) - have
        for k in keys:
            acts = {x[0] for x in posts[k][3]}
            if len(acts) > 1:
                conflicts += 1
            unnamed += sum(1 for x in posts[k][3] if not x[1])
        row += [lost, dup, lat]
        lost_total += lost
        rows.append(row)
    print()
    print("%-30s %7s %8s %8s %8s %6s %6s %9s" % (
        "fault", "posts", "check", "sub:slow", "sub:rst", "lost", "dup",
        "worst ms"))
    for r in rows:
        print("%-30s %7d %8d %8d %8d %6d %6d %9.0f" % (
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] * 1000))
    n = len(posts)
    print("%-30s %7d %8d %8d %8d %6d %6d" % (
        "total", n, sum(r[2] for r in rows), sum(r[3] for r in rows),
        sum(r[4] for r in rows), lost_total, sum(r[6] for r in rows)))
    print()
    print("subscribers finished catch-up: %s" % ", ".join(
        "%s=%s" % (k, "yes" if v else "NO") for k, v in done.items()))
    print("posts with two different actions: %d; verdicts without a "
          "rule-set hash: %d" % (conflicts, unnamed))
    print("faults: " + ", ".join("%s %d" % kv for kv in st.counts.items()))
    print("verdicts recorded: " + ", ".join(
        "%s %d (%d flagged duplicate)" % (n, sum(len(v) for v in r.values()),
                                         sum(f.count("duplicate")
                                             for v in r.values()
                                             for f in v))
        for n, r in subrec.items()))
    print("reloads: %d accepted, %d refused; hostile messages sent: %d"
          % (st.reloads[0], st.reloads[1], st.hostile))
    print("max RSS: medflagd %d kB, a worker %d kB"
          % (st.rss["medflagd"], st.rss["worker"]))
    ok = lost_total == 0 and all(done.values()) and conflicts == 0 and \
        unnamed == 0
    print("chaos: %s (%.0f s)" % ("PASS" if ok else "FAIL",
                                  time.time() - T0))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--sub":
        sys.exit(subscriber(sys.argv[2], sys.argv[3], sys.argv[4],
                            sys.argv[5], int(sys.argv[6])))
    if not os.access(mfdeploy.MEDFLAGD, os.X_OK):
        print("SKIP: medflagd not built")
        sys.exit(77)
    import shutil
    if shutil.which("redis-server") is None:
        print("SKIP: redis-server not found")
        sys.exit(77)
    if len(sys.argv) > 1 and sys.argv[1] == "--combined":
        sys.exit(combined())
    sys.exit(main())
