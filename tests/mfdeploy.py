#!/usr/bin/python3
# tests/mfdeploy.py - a private medflag deployment for the Python tests
# (tests/integ/*.py, tests/chaos.py; importing it exits 77, a skip, when
# python3-zmq or python3-msgpack is missing): a temp directory, a
# redis-server on a unix socket there (persistence off), a rule set of our
# own, medflag.conf with free loopback ports, build/medflagd, and helpers
# to stop, restart, freeze and measure each process.
# SPDX-License-Identifier: MIT

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
    import zmq
except ImportError as e:
    # A test cannot run without them: 77 is a skip (a failure under CI).
    print("SKIP: python3 modules missing (%s)" % e)
    sys.exit(77)

TOP = os.environ.get("MF_TOP") or os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))
BUILD = os.environ.get("MF_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
MEDFLAGD = os.path.join(BUILD, "medflagd")

RULES = """\
claim vaccines-autism
  title      Vaccines cause autism
  fact       Studies of millions of children found no link.%(rev)s
  evidence   https://www.who.int/news-room/fact-sheets/detail/autism-spectrum-disorders
  tier       harmful
  review-by  2030-01-01
end

rule vaccines-autism.causal
  claim      vaccines-autism
  score      %(score)d
  match      /\\b(vacc?in\\w*|mmr|jabs?)\\b/
  match      /\\bautis\\w*/
  near       80
  unless     /\\b(no|not|never|myth|debunk\\w*|disproven)\\b/
  mode       enforce
  expect     match   "The MMR jab gave my son autism, I'm sure of it."
  expect     nomatch "There is no link between the MMR vaccine and autism."
end
"""

# Matches almost any English sentence: a rule set that would flag the
# whole forum, which the reload canary must refuse.
RULES_GREEDY = """\
rule vaccines-autism.greedy
  claim      vaccines-autism
  score      9
  match      /\\b(the|a|and|to|is|my|i)\\b/
  mode       enforce
  expect     match   "The MMR jab gave my son autism."
end
"""


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(raw):
    return msgpack.unpackb(raw, raw=False)


# Ports handed out by this process: not twice.
_given = set()


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nothing listens on, for a server a test starts
    next. Picked at random below the kernel's ephemeral range
    (/proc/sys/net/ipv4/ip_local_port_range): a port the kernel chose
    for bind(0) was free only until the test closed it, and the next
    outgoing connection of any process (the tests make thousands) or
    another suite's bind(0) could take it before the server bound it
    ("Address already in use"). Below that range only a server asking
    for that very port can."""
    lo = 20000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            hi = min(int(f.read().split()[0]), 65536)
    except (OSError, ValueError, IndexError):
        hi = 32768
    if hi <= lo + 1000:
        lo, hi = 1024, max(hi, 2048)
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(lo, hi)
        if port in _given:
            continue
        s = socket.socket(type=kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _given.add(port)
        return port
    raise RuntimeError("no free loopback port in %d-%d" % (lo, hi - 1))


def end(proc, timeout=10, sig=signal.SIGTERM):
    """Sends 'proc' 'sig' and waits; kills it after 'timeout' seconds.
    Returns its exit status (None if it was None)."""
    if proc is None:
        return None
    proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    """Direct child pids of 'pid' (the local workers of medflagd)."""
    out = []
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            out = [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def keygen(dirpath, name):
    """`medflag keygen NAME` in 'dirpath'; returns (public, secret), Z85."""
    subprocess.run([os.path.join(BUILD, "medflag"), "keygen", name],
                   cwd=dirpath, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    keys = []
    for ext in ("pub", "key"):
        with open(os.path.join(dirpath, "%s.%s" % (name, ext))) as f:
            keys += [x.strip() for x in f if x.strip() and x[0] != "#"]
    return keys[0], keys[1]


class Deployment:
    """'backend': the backend endpoint (a free loopback port by default).
    'redis_bind': addresses on which redis-server listens on a tcp port
    too ('redis_port'), beside its unix socket, with a password
    ('redis_password', in medflag.conf too). 'curve': medflagd gets a
    key pair, an allow list whose workers.keys holds 'worker_keys' (names
    of pairs made in the temp dir, the files NAME.key and NAME.pub), and
    the sockets of this class use medflagd's own key."""

    def __init__(self, workers=2, extra="", keep=False, persist=False,
                 backend=None, redis_bind=None, curve=False,
                 worker_keys=()):
        self.persist = persist
        self.tmp = tempfile.mkdtemp(prefix="mfdeploy.")
        self.ctx = zmq.Context()
        self.workers = workers
        self.keep = keep
        self.ep = {k: "tcp://127.0.0.1:%d" % free_port()
                   for k in ("ingest", "check", "verdicts", "control",
                             "backend")}
        if backend is not None:
            self.ep["backend"] = backend
        self.redis_bind = redis_bind
        self.redis_port = free_port() if redis_bind else 0
        self.redis_password = None
        if redis_bind:
            self.redis_password = os.urandom(12).hex()
            extra = "redis_password %s\n" % self.redis_password + extra
        self.curve = None
        if curve:
            pub, sec = keygen(self.tmp, "medflagd")
            self.curve = (pub, sec)
            allow = os.path.join(self.tmp, "allow")
            os.mkdir(allow)
            with open(os.path.join(allow, "workers.keys"), "w") as f:
                for name in worker_keys:
                    f.write(keygen(self.tmp, name)[0] + "\n")
            extra = ("curve_secret_key %s/medflagd.key\ncurve_allow %s\n"
                     % (self.tmp, allow)) + extra
        self.redis_sock = os.path.join(self.tmp, "redis.sock")
        self.redis = None
        self.medflagd = None
        self.rules = os.path.join(self.tmp, "rules")
        os.mkdir(self.rules)
        shutil.copy(os.path.join(TOP, "rules", "policy.conf"), self.rules)
        shutil.copytree(os.path.join(TOP, "rules", "sources"),
                        os.path.join(self.rules, "sources"))
        canary = os.path.join(TOP, "rules", "canary.jsonl")
        if os.path.exists(canary):
            shutil.copy(canary, self.rules)
        self.write_rules(6)
        self.conf = os.path.join(self.tmp, "medflag.conf")
        with open(self.conf, "w") as f:
            for k, v in self.ep.items():
                f.write("%s %s\n" % (k, v))
            f.write("rules %s\nredis unix://%s\nworkers %d\n"
                    % (self.rules, self.redis_sock, workers))
            f.write(extra)
        self.log = open(os.path.join(self.tmp, "medflagd.log"), "a")
        self.redis_start()

    def write_rules(self, score, greedy=False, fact_rev=0):
        path = os.path.join(self.rules, "chaos.rules")
        with open(path + ".tmp", "w") as f:
            f.write(RULES % {"score": score,
                             "rev": " (%d)" % fact_rev if fact_rev else ""})
            if greedy:
                f.write("\n" + RULES_GREEDY)
        os.rename(path + ".tmp", path)

    # ---- processes -------------------------------------------------------
    def redis_start(self):
        tcp = ["--port", "0"]
        if self.redis_bind:
            tcp = ["--port", str(self.redis_port), "--requirepass",
                   self.redis_password, "--bind"] + list(self.redis_bind)
        self.redis = subprocess.Popen(
            ["redis-server"] + tcp + ["--unixsocket", self.redis_sock,
             "--save", "", "--appendonly",
             "yes" if self.persist else "no", "--dir", self.tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(self.redis_sock):
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        # The socket file appears at bind; give it a moment to listen.
        time.sleep(0.1)

    def redis_stop(self):
        if self.redis is not None:
            self.redis.send_signal(signal.SIGCONT)
            end(self.redis)
            self.redis = None
            try:
                os.unlink(self.redis_sock)
            except OSError:
                pass

    def medflagd_start(self, wait_workers=None, timeout=30):
        self.medflagd = subprocess.Popen([MEDFLAGD, "-d", "-c", self.conf],
                                         stdout=self.log, stderr=self.log)
        want = self.workers if wait_workers is None else wait_workers
        deadline = time.time() + timeout
        while True:
            h = self.control("health", timeout_ms=500)
            if h and h.get("workers_alive", 0) >= want:
                return h
            if self.medflagd.poll() is not None or time.time() > deadline:
                self.log.flush()
                sys.stderr.write(open(self.log.name).read()[-4000:])
                raise RuntimeError("medflagd did not report %d workers"
                                   % want)
            time.sleep(0.1)

    def medflagd_stop(self, sig=signal.SIGTERM, timeout=20):
        rc = end(self.medflagd, timeout, sig)
        self.medflagd = None
        return rc

    def worker_pids(self):
        if self.medflagd is None:
            return []
        return children(self.medflagd.pid)

    def teardown(self):
        if self.medflagd is not None:
            try:
                self.medflagd.send_signal(signal.SIGCONT)
                self.medflagd_stop(signal.SIGTERM, 10)
            except Exception:
                pass
        if self.redis is not None:
            try:
                self.redis.send_signal(signal.SIGCONT)
            except Exception:
                pass
            self.redis_stop()
        self.ctx.destroy(linger=0)
        self.log.close()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- sockets ----------------------------------------------------------
    def _curve(self, s):
        """A CURVE client of medflagd with medflagd's own key, when the
        deployment has keys."""
        if self.curve is not None:
            s.curve_serverkey = self.curve[0].encode()
            s.curve_publickey = self.curve[0].encode()
            s.curve_secretkey = self.curve[1].encode()

    def control(self, cmd, args=None, timeout_ms=2000):
        req = self.ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        self._curve(req)
        req.connect(self.ep["control"])
        try:
            if args is None:
                req.send(cmd.encode())
            else:
                req.send_multipart([cmd.encode(), pack(args)])
            if not req.poll(timeout_ms):
                return None
            return unpack(req.recv())
        finally:
            req.close()

    def socket(self, kind, ep):
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        self._curve(s)
        if kind == zmq.SUB:
            s.setsockopt(zmq.RCVHWM, 0)
        s.connect(self.ep[ep])
        if kind == zmq.SUB:
            s.setsockopt(zmq.SUBSCRIBE, b"verdict.")
        return s


# ---- what every service test shares --------------------------------------

MYTH = "The MMR jab gave my son autism, I am sure of it."


class Fail(Exception):
    """A check that did not hold."""


def check(cond, what):
    """Raises Fail(what) unless 'cond'; prints the check that held."""
    if not cond:
        raise Fail(what)
    print("ok   " + what)


def require_service():
    """Exits 77 (a skip, a failure under CI) when medflagd is not built
    or redis-server is not installed."""
    if not os.access(MEDFLAGD, os.X_OK):
        print("SKIP: medflagd not built")
        sys.exit(77)
    if shutil.which("redis-server") is None:
        print("SKIP: redis-server not found")
        sys.exit(77)


def failed(d, ex):
    """Reports 'ex' with the tail of the deployment's log; returns 1."""
    print("FAIL %s: %s" % (type(ex).__name__, ex))
    d.log.flush()
    sys.stdout.write(open(d.log.name, errors="replace").read()[-3000:])
    return 1


def run(test, **deployment):
    """Exits with what 'test' does to a new Deployment(**deployment): 0
    when it returns, 1 (with the log's tail) when it raises; the
    deployment is torn down either way."""
    d = Deployment(**deployment)
    try:
        test(d)
        rc = 0
    except Exception as e:
        rc = failed(d, e)
    finally:
        d.teardown()
    sys.exit(rc)


if __name__ == "__main__" and sys.argv[1:2] == ["port"]:
    # `tests/mfdeploy.py port [udp]`, for the shell tests
    # (tests/service-env.sh: mf_env_port).
    print(free_port(socket.SOCK_DGRAM if sys.argv[2:] == ["udp"]
                    else socket.SOCK_STREAM))
    sys.exit(0)
