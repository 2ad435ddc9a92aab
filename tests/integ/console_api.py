#!/usr/bin/python3
# tests/integ/console_api.py - the web console's access rules and bad
# input, without a browser: redis, medflagd and `medflag http` with
# `console on`. A token is needed for every console request but the
# pages and /v1/console, and for feedback; a wrong one is refused; a
# token file others may read, and a console on a non-loopback address
# without a token, stop the gateway at start with the fix; without a
# token the console is read-only. A page name that climbs out of the
# folder, a post that is not JSON, an unknown rule, a block that is not
# JSON and a backtest without a corpus each get their 4xx naming the
# cause; GET /v1/try is 405.
# SPDX-License-Identifier: MIT

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy as mf  # noqa: E402  (exits 77 without zmq or msgpack)
from mfdeploy import check, Fail  # noqa: E402

MEDFLAG = os.path.join(mf.BUILD, "medflag")
TOKEN = "api-test-token-0123456789"
RULE = "vaccines-autism.causal"


def req(base, method, path, body=None, token=None):
    """(status, parsed JSON or text) of one request."""
    h = {"Authorization": "Bearer " + token} if token else {}
    r = urllib.request.Request(base + path, method=method, headers=h,
                               data=body.encode() if body is not None
                               else None)
    try:
        with urllib.request.urlopen(r, timeout=20) as f:
            status, raw = f.status, f.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def gateway(conf, listen="127.0.0.1:%d"):
    """Starts `medflag http`: (process, base URL); the process may have
    exited (refused to start)."""
    port = mf.free_port()
    p = subprocess.Popen([MEDFLAG, "-c", conf, "http", "--listen",
                          listen % port], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    base = "http://127.0.0.1:%d" % port
    deadline = time.time() + 20
    while p.poll() is None and time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/v1/console", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    return p, base


def conf_with(d, name, lines):
    path = os.path.join(d.tmp, name)
    with open(path, "w") as f:
        f.write(open(d.conf).read() + "console on\nconsole_ui %s\n%s"
                % (os.path.join(mf.TOP, "tools", "gateways", "ui"), lines))
    return path


def main():
    mf.require_service()
    d = mf.Deployment(workers=1)
    procs = []
    try:
        d.medflagd_start()
        tok = os.path.join(d.tmp, "token")
        with open(tok, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(tok, 0o600)

        # A token file others may read: refused at start, with the fix.
        os.chmod(tok, 0o644)
        p, _ = gateway(conf_with(d, "a.conf", "console_token_file %s\n"
                                 % tok))
        procs.append(p)
        out = p.communicate(timeout=20)[0]
        check(p.returncode == 1 and "chmod 600" in out,
              "a token file others may read stops the gateway: %s"
              % out.strip()[:120])
        os.chmod(tok, 0o600)
        # No token, not loopback: refused.
        p, _ = gateway(conf_with(d, "b.conf", ""), "0.0.0.0:%d")
        procs.append(p)
        out = p.communicate(timeout=20)[0]
        check(p.returncode == 1 and "console_token_file" in out,
              "a console on 0.0.0.0 without a token stops the gateway: %s"
              % out.strip()[:120])

        p, base = gateway(conf_with(d, "c.conf", "console_token_file %s\n"
                                    % tok))
        procs.append(p)
        check(p.poll() is None, "the gateway runs with a token")
        s, j = req(base, "GET", "/v1/console")
        check(s == 200 and j["token"] is True and j["text_window_s"] == 0
              and j["backtest"] is False, "/v1/console without the token: "
              "%s" % j)
        s, j = req(base, "GET", "/ui/")
        check(s == 200 and "<title>medflag console</title>" in j,
              "the pages without the token")
        for path in ("/v1/stats", "/v1/rules", "/v1/rules/" + RULE,
                     "/v1/events"):
            s, j = req(base, "GET", path)
            check(s == 401 and "Bearer" in j["error"],
                  "GET %s without the token: 401" % path)
        s, j = req(base, "GET", "/v1/stats", token="x" * len(TOKEN))
        check(s == 401, "a wrong token of the same length: 401")
        fb = json.dumps({"post_id": "a-1", "outcome": "agreed",
                         "rules": [RULE]})
        s, j = req(base, "POST", "/v1/feedback", fb)
        check(s == 401, "feedback without the token: 401")
        s, j = req(base, "POST", "/v1/feedback", fb, TOKEN)
        check(s == 204, "feedback with the token: 204")
        s, j = req(base, "GET", "/v1/rules/" + RULE, token=TOKEN)
        check(s == 200 and j["rule"]["agreed"] == 1 and
              j["rule"]["precision"] == 1.0 and
              len(j["rule"]["expect"]) == 2 and
              j["rule"]["block"].startswith("rule " + RULE),
              "the rule with its feedback, expect lines and block")

        # Bad input, each with its cause.
        s, j = req(base, "GET", "/ui/..%2Fmedflag.conf")
        check(s == 404, "a page name out of the folder: 404")
        s, j = req(base, "GET", "/ui/.hidden.js")
        check(s == 404, "a dot file: 404")
        s, j = req(base, "POST", "/v1/try", "nope", TOKEN)
        check(s == 400 and j["error"].startswith("post: invalid JSON"),
              "a post that is not JSON: %s" % j)
        s, j = req(base, "POST", "/v1/try", '{"body":"x"}', TOKEN)
        check(s == 400 and j["error"].startswith("post_id: "),
              "a post without post_id: %s" % j)
        s, j = req(base, "GET", "/v1/try", token=TOKEN)
        check(s == 405, "GET /v1/try: 405")
        s, j = req(base, "GET", "/v1/rules/no-such.rule", token=TOKEN)
        check(s == 404 and "GET /v1/rules lists them" in j["error"],
              "an unknown rule: 404")
        s, j = req(base, "POST", "/v1/rules/%s/backtest" % RULE, "{}",
                   TOKEN)
        check(s == 409 and "set console_corpus" in j["error"],
              "a backtest without a corpus: 409 naming the directive")
        s, j = req(base, "POST", "/v1/try", json.dumps(
            {"post_id": "t", "body": mf.MYTH}), TOKEN)
        check(s == 200 and j["action"] == "flag" and
              j["hits"][0]["rule"] == RULE, "/v1/try judges the post")
        mf.end(p)

        # Read-only: no token, loopback.
        p, base = gateway(conf_with(d, "d.conf", "console_corpus %s\n" %
                                    os.path.join(mf.TOP, "tests", "corpus",
                                                 "open-en.jsonl")))
        procs.append(p)
        s, j = req(base, "GET", "/v1/rules")
        check(s == 200 and j["redis"] is True, "read-only: reads open")
        s, j = req(base, "POST", "/v1/feedback", fb)
        check(s == 403 and "console_token_file" in j["error"],
              "read-only: feedback 403 naming the directive")
        s, j = req(base, "POST", "/v1/rules/%s/backtest" % RULE, "[1]")
        check(s == 400 and j["error"].startswith("block: "),
              "a body without a block: %s" % j)
        print("ok: the console's access rules and bad input")
        return 0
    except Exception as ex:
        return mf.failed(d, ex)
    finally:
        for p in procs:
            mf.end(p)
        d.teardown()


if __name__ == "__main__":
    sys.exit(main())
