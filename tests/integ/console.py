#!/usr/bin/python3
# tests/integ/console.py - the web console in a real browser: redis,
# medflagd (2 workers), `medflag http` with `console on` and a token, and
# Debian's headless Chromium driven over the DevTools protocol (its
# websocket, python3-websocket). The page is used as a moderator would,
# with the keyboard: the token typed in; posts pushed with `medflag push`
# appear live without their text, and a stream reopened with
# Last-Event-ID replays what it missed from the journal; "Agree" then "Overturn" move the rule's
# precision (1.00, then 0.50, read back from Redis by `medflag feedback
# --summary`); a pasted post shows its spans highlighted, and one an
# `unless` cancels shows what suppressed it; a rule's edited block is
# backtested on the open corpus; the rules table sorts and filters; on a
# phone's width in the dark theme nothing overflows. A second gateway with
# a text window of 3 s shows a post's text beside its verdict, and not
# once the window has passed. The browser
# logs no error; the pages weigh under 200 KB. Screenshots go to
# $MF_BUILD/console-*.png (docs/operations.md, "Web console").
# SPDX-License-Identifier: MIT

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy as mf  # noqa: E402  (exits 77 without zmq or msgpack)
from mfdeploy import check, Fail  # noqa: E402

try:
    import websocket
except ImportError:
    print("SKIP: python3-websocket missing (make deps installs it)")
    sys.exit(77)

CHROMIUM = shutil.which("chromium")
MEDFLAG = os.path.join(mf.BUILD, "medflag")
TOKEN = "console-test-token-0123456789"
SUPPRESSED = "There is no link between the MMR jab and autism."
UI = os.path.join(mf.TOP, "tools", "gateways", "ui")
CORPUS = os.path.join(mf.TOP, "tests", "corpus", "open-en.jsonl")
WINDOW_S = 3		# the second gateway's text window


def wait(cond, what, timeout=20):
    """Polls 'cond' until it is true (returns its value) or fails."""
    deadline = time.time() + timeout * float(
        os.environ.get("MF_TEST_TIMEOUT_MULT", "1"))
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise Fail("timed out: " + what)
        time.sleep(0.1)


class Browser:
    """Headless Chromium and one page, over the DevTools protocol."""

    def __init__(self, tmp):
        prof = os.path.join(tmp, "chromium")
        os.mkdir(prof)
        args = [CHROMIUM, "--headless=new", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--remote-debugging-port=0",
                "--remote-allow-origins=*", "--user-data-dir=" + prof,
                "--window-size=1280,1000", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")	# root cannot sandbox
        self.log = open(os.path.join(tmp, "chromium.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        port_file = os.path.join(prof, "DevToolsActivePort")
        wait(lambda: os.path.exists(port_file) and
             open(port_file).read().strip(), "chromium's DevTools port", 60)
        port = int(open(port_file).read().split()[0])
        pages = json.load(urllib.request.urlopen(
            "http://127.0.0.1:%d/json/list" % port, timeout=10))
        page = [p for p in pages if p["type"] == "page"][0]
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.n = 0
        self.errors = []
        for dom in ("Runtime", "Log", "Page"):
            self.call(dom + ".enable")

    def _event(self, m):
        meth, p = m.get("method"), m.get("params", {})
        if meth == "Runtime.exceptionThrown":
            self.errors.append("exception: " + json.dumps(
                p["exceptionDetails"])[:400])
        elif meth == "Runtime.consoleAPICalled" and p["type"] in (
                "error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], json.dumps(
                p["args"])[:400]))
        elif meth == "Log.entryAdded" and p["entry"]["level"] == "error":
            self.errors.append("log: %s %s" % (p["entry"].get("url", ""),
                                               p["entry"]["text"]))

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method,
                                 "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise Fail("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self._event(m)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise Fail("script failed: %s: %s" % (
                expr[:80], r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def has(self, expr):
        """'expr' for a wait: false while the page is not there yet."""
        return self.js("(() => { try { return %s; } catch (e) { return "
                       "false; } })()" % expr)

    def go(self, url):
        self.call("Page.navigate", url=url)

    def key(self, key, code, vk, text=None):
        """One key pressed and released, as a keyboard would."""
        down = {"type": "keyDown", "key": key, "code": code,
                "windowsVirtualKeyCode": vk}
        if text:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", **down)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key,
                  code=code, windowsVirtualKeyCode=vk)

    def type(self, text):
        self.call("Input.insertText", text=text)

    def enter(self):
        self.key("Enter", "Enter", 13, "\r")

    def tab(self):
        self.key("Tab", "Tab", 9)

    def shot(self, name):
        r = self.call("Page.captureScreenshot", format="png",
                      captureBeyondViewport=True)
        path = os.path.join(mf.BUILD, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        print("     screenshot %s" % path)
        return path

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        mf.end(self.proc)
        self.log.close()


def gateway(conf, tmp, name):
    port = mf.free_port()
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([MEDFLAG, "-c", conf, "http", "--listen",
                          "127.0.0.1:%d" % port], stdout=log,
                         stderr=subprocess.STDOUT)
    base = "http://127.0.0.1:%d" % port

    def up():
        if p.poll() is not None:
            raise Fail("the gateway exited: " + open(log.name).read())
        try:
            urllib.request.urlopen(base + "/v1/console", timeout=2)
            return True
        except OSError:
            return False
    wait(up, "the gateway to answer")
    return p, base, log


def verdict_ids(b):
    return b.js("[...document.querySelectorAll('#verdicts li')]"
                ".map(li => li.dataset.post)")


def precision_cell(b, rule):
    return b.js("(() => { const c = document.querySelector("
                "'[data-precision-cell=\"%s\"]'); return c ? c.textContent"
                " : null; })()" % rule)


def summary_row(d, rule):
    out = subprocess.run([MEDFLAG, "-c", d.conf, "feedback", "--summary"],
                         capture_output=True, text=True, timeout=20).stdout
    return [ln.split() for ln in out.splitlines() if ln.startswith(rule)]


def replayed(base, since, n):
    """The seq of the first 'n' events of a stream opened with
    Last-Event-ID 'since'."""
    host, port = base[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/v1/events", headers={
        "Authorization": "Bearer " + TOKEN, "Last-Event-ID": str(since)})
    r = conn.getresponse()
    ids = []
    try:
        while len(ids) < n:
            line = r.readline()
            if not line:
                break
            if line.startswith(b"id: "):
                ids.append(int(line[4:]))
    finally:
        conn.close()
    return ids


def press(b, selector):
    """Focuses 'selector' and presses Enter on it: keyboard only."""
    check(b.js("(() => { const e = document.querySelector('%s'); if (!e) "
               "return false; e.focus(); return document.activeElement "
               "=== e; })()" % selector), "focus reaches " + selector)
    b.enter()


def main():
    mf.require_service()
    if CHROMIUM is None:
        print("SKIP: chromium not found (make deps installs it)")
        return 77
    rule = "vaccines-autism.causal"
    d = mf.Deployment(workers=2)
    tmp = tempfile.mkdtemp(prefix="mfconsole.")
    b = g1 = g2 = None
    try:
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        with open(d.conf, "a") as f:
            f.write("console on\nconsole_token_file %s\nconsole_ui %s\n"
                    "console_corpus %s\n" % (token_file, UI, CORPUS))
        d.medflagd_start()
        g1, base, g1log = gateway(d.conf, tmp, "gateway")

        # The pages: served, and small.
        total = 0
        for name in sorted(os.listdir(UI)):
            with urllib.request.urlopen(base + "/ui/" + name) as r:
                total += len(r.read())
        check(0 < total < 200 * 1024,
              "the pages weigh %d bytes, under 200 KB" % total)

        b = Browser(tmp)
        b.go(base + "/ui/#live")
        wait(lambda: b.has("!document.getElementById('token-form').hidden"
                           " && document.activeElement.id === 'token'"),
             "the page asks for the token")
        b.type(TOKEN)
        b.enter()
        wait(lambda: b.js("document.getElementById('conn').textContent")
             == "live", "the live view connects")
        check(True, "the token typed in opens the live view")

        posts = [{"post_id": "live-1", "body": mf.MYTH},
                 {"post_id": "live-2", "body": "Lovely weather for a walk."},
                 {"post_id": "live-3", "body": "The MMR jab gave my "
                  "daughter autism, nobody can tell me otherwise."}]
        subprocess.run([MEDFLAG, "-c", d.conf, "push"], input="".join(
            json.dumps(p) + "\n" for p in posts), text=True, check=True,
            capture_output=True, timeout=60)
        wait(lambda: set(verdict_ids(b) or []) >= {"live-1", "live-2",
                                                   "live-3"},
             "the pushed posts appear live")
        check(True, "posts pushed with `medflag push` appear live")
        seqs = replayed(base, 1, 2)
        check(seqs == [2, 3], "a stream opened with Last-Event-ID 1 "
              "replays 2 and 3 from the journal: %s" % seqs)
        check(b.js("document.querySelectorAll('#verdicts .body').length")
              == 0 and mf.MYTH not in b.js("document.body.innerText"),
              "the live view shows no post text (window off)")
        check("flag" in b.js("document.querySelector("
                             "'#verdicts li[data-post=\"live-1\"] .act')"
                             ".textContent"), "live-1 is shown flagged")
        wait(lambda: "posts in" in (b.js("document.getElementById('svc')"
                                         ".innerText") or ""),
             "the service figures")
        wait(lambda: b.js("document.querySelectorAll('#workers tbody tr')"
                          ".length") == 2, "two workers listed")
        check(b.js("document.querySelectorAll('#chart-rates polyline')"
                   ".length") == 5, "a line per action in the rates chart")
        wait(lambda: rule in b.js("document.getElementById('top-rules')"
                                  ".textContent"),
             "the rule among those with most hits")
        check(True, "the figures of `top`: service, workers, top rules")
        b.shot("console-live.png")

        # Agree, then overturn: the precision moves, here and in Redis.
        # Views change by the links, from the keyboard; the page keeps
        # its verdicts.
        press(b, "#nav-rules")
        wait(lambda: precision_cell(b, rule) == "–",
             "the rule has no precision before feedback")
        press(b, "#nav-live")
        wait(lambda: not b.js("document.getElementById('view-live')"
                              ".hidden"), "back to the live view")
        press(b, '#verdicts li[data-post="live-1"] button.agree')
        wait(lambda: "agreed recorded" in b.js(
            "document.getElementById('fb-status').textContent"),
            "the agreement is recorded")
        wait(lambda: b.js("(document.querySelector('[data-precision=\"%s\"]')"
                          " || {}).textContent" % rule) ==
             " precision 1.00 (1/1)", "precision 1.00 beside the rule")
        check(True, "Agree moves the precision to 1.00 (1/1)")
        press(b, '#verdicts li[data-post="live-3"] button.overturn')
        wait(lambda: "overturned recorded" in b.js(
            "document.getElementById('fb-status').textContent"),
            "the overturn is recorded")
        press(b, "#nav-rules")
        wait(lambda: precision_cell(b, rule) == "0.50 (1/2)",
             "precision 0.50 in the rules table")
        check(True, "Overturn moves it to 0.50 (1/2)")
        row = summary_row(d, rule)
        check(row and row[0][3:6] == ["1", "1", "0.50"],
              "Redis holds the outcomes: %s" % row)

        # Rules: filter and sort.
        b.js("(() => { const f = document.getElementById('rules-filter');"
             " f.value = 'causal'; f.dispatchEvent(new Event('input'));"
             " })()")
        check(b.js("document.querySelectorAll('#rules tbody tr').length")
              == 1, "the filter keeps the one rule")
        b.js("document.querySelector('[data-sort=\"id\"]').click()")
        check(b.js("document.querySelector('#rules th[aria-sort]')"
                   ".textContent") == "rule", "sorted by rule id")
        b.shot("console-rules.png")

        # Try a post: spans highlighted, and what an `unless` suppressed.
        press(b, "#nav-try")
        wait(lambda: not b.js("document.getElementById('view-try')"
                              ".hidden"), "the Try view")
        b.js("document.getElementById('try-text').focus()")
        b.type(mf.MYTH)
        press(b, "#try-form button[type=submit]")
        marks = wait(lambda: b.js(
            "[...document.querySelectorAll('#try-marked mark.hit')]"
            ".map(m => m.textContent)"), "highlighted spans")
        check("MMR" in marks and "autism" in marks,
              "the spans are highlighted in the text: %s" % marks)
        check(b.js("document.querySelector('#try-marked mark.hit')"
                   ".title") == rule, "each span names its rule")
        check(mf.MYTH.split(",")[0] in b.js(
            "document.getElementById('try-marked').textContent"),
            "the original text is shown around the spans")
        ev = b.js("[...document.querySelectorAll('#try-evidence a')]"
                  ".map(a => a.href)")
        check(ev and ev[0].startswith("https://www.who.int/"),
              "the evidence links: %s" % ev)
        check("Vaccines cause autism" in b.js(
            "document.getElementById('try-hits').textContent"),
            "the claim behind the hit")
        b.shot("console-try.png")
        b.js("document.getElementById('try-text').value = ''")
        b.js("document.getElementById('try-text').focus()")
        b.type(SUPPRESSED)
        press(b, "#try-form button[type=submit]")
        supp = wait(lambda: b.js(
            "[...document.querySelectorAll('#try-marked mark.supp')]"
            ".map(m => m.textContent)"), "suppressed spans")
        check("no" in supp, "the unless word is marked: %s" % supp)
        text = b.js("document.getElementById('try-supp').textContent")
        check(rule in text and "unless" in text,
              "the suppressed rule and its unless: %s" % text[:120])
        b.shot("console-try-suppressed.png")

        # A rule's page: expect lines, and a backtest of an edit.
        b.js("location.hash = '#rule/%s'" % rule)
        wait(lambda: "expect" in (b.js("document.getElementById("
                                       "'bt-block').value") or ""),
             "the rule's block")
        check(b.js("document.querySelectorAll('#rule-expect li').length")
              == 2, "its two expect lines")
        b.js("(() => { const t = document.getElementById('bt-block');"
             " t.value = t.value.split('\\n').filter(l => !/^\\s*unless/"
             ".test(l)).join('\\n'); })()")
        press(b, "#bt-form button[type=submit]")
        wait(lambda: b.js("document.getElementById('bt-status')"
                          ".textContent") == "done", "the backtest", 60)
        kvs = b.js("document.getElementById('bt-kv').innerText")
        check("1 of 2 pass" in kvs, "without its unless a nomatch fails: "
              + kvs.replace("\n", " ")[:200])
        with open(CORPUS, encoding="utf-8") as f:
            nposts = sum(1 for line in f if line.strip())
        check(str(nposts) in kvs, "the backtest read the open corpus (%d "
              "posts)" % nposts)
        b.shot("console-backtest.png")

        # A phone's width, dark.
        b.call("Emulation.setDeviceMetricsOverride", width=390, height=844,
               deviceScaleFactor=2, mobile=True)
        b.go(base + "/ui/#live")
        wait(lambda: b.js("document.getElementById('conn').textContent")
             == "live", "the live view on a phone")
        press(b, "#theme")
        check(b.js("document.documentElement.classList.contains('dark')"),
              "the theme button turns the page dark")
        check(b.js("document.documentElement.scrollWidth <= "
                   "document.documentElement.clientWidth + 1"),
              "nothing overflows a phone's width")
        b.shot("console-phone-dark.png")
        b.call("Emulation.clearDeviceMetricsOverride")

        # The text window: a second gateway keeps text for 30 s.
        conf2 = os.path.join(tmp, "medflag-window.conf")
        with open(conf2, "w") as f:
            f.write(open(d.conf).read() + "console_text_window_s %d\n"
                    % WINDOW_S)
        g2, base2, _ = gateway(conf2, tmp, "gateway-window")
        b.go(base2 + "/ui/#live")
        wait(lambda: b.has("document.activeElement.id === 'token'"),
             "the second gateway asks for the token")
        b.type(TOKEN)
        b.enter()
        wait(lambda: b.js("document.getElementById('conn').textContent")
             == "live", "the second gateway's live view")
        req = urllib.request.Request(
            base2 + "/v1/check", method="POST",
            data=json.dumps({"post_id": "window-1",
                             "body": mf.MYTH}).encode())
        urllib.request.urlopen(req, timeout=20).read()
        checked = time.time()
        body = wait(lambda: b.js(
            "(document.querySelector('#verdicts li[data-post=\"window-1\"]"
            " .body') || {}).textContent"), "the post's text in the window")
        check(body == mf.MYTH, "the text window shows the checked post")
        check(b.js("document.querySelectorAll('#verdicts li[data-post="
                   "\"window-1\"] .body mark').length") >= 2,
              "with its spans marked")
        b.shot("console-text-window.png")
        # Once the window has passed, the same post's next verdict (pushed
        # around the gateway) comes without its text.
        time.sleep(max(0, checked + WINDOW_S + 0.3 - time.time()))
        subprocess.run([MEDFLAG, "-c", d.conf, "push"], input=json.dumps(
            {"post_id": "window-1", "body": mf.MYTH}) + "\n", text=True,
            check=True, capture_output=True, timeout=60)
        wait(lambda: b.js("document.querySelectorAll('#verdicts li[data-post"
                          "=\"window-1\"]').length") == 2,
             "the post's second verdict")
        check(b.js("document.querySelectorAll('#verdicts li[data-post="
                   "\"window-1\"] .body').length") == 1,
              "after %d s the window no longer has the text" % WINDOW_S)

        check(not b.errors, "no error in the browser's log: %s" % b.errors)
        for log in (g1log.name, os.path.join(tmp, "gateway-window.log"),
                    d.log.name):
            check(mf.MYTH not in open(log, errors="replace").read(),
                  "no post text in %s" % os.path.basename(log))
        print("ok: the web console in Chromium")
        return 0
    except Exception as ex:
        for name in ("gateway.log", "chromium.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                sys.stdout.write("--- %s\n%s" % (name,
                                 open(p, errors="replace").read()[-2000:]))
        if b is not None and b.errors:
            print("browser errors: %s" % b.errors)
        return mf.failed(d, ex)
    finally:
        if b is not None:
            b.close()
        mf.end(g1)
        mf.end(g2)
        d.teardown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
