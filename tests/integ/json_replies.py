#!/usr/bin/python3
# tests/integ/json_replies.py - the JSON the gateways answer, as a client
# reads it: redis, medflagd, `medflag http` with `console on` and a text
# window, `medflag discourse` beside a stand-in forum
# (tests/fake_discourse.py). Every body parses as JSON, once, with its
# members in the order the protocol gives them and the types it says
# (counts integers, scores and precision numbers, nulls where a source
# did not answer). A rule whose claim and `expect` lines, a corpus whose
# post ids and a post whose text hold quotes, backslashes, newlines,
# tabs and non-ASCII come back as they were written; a string the
# gateway cut inside a character comes back with U+FFFD, not a 500.
# SPDX-License-Identifier: MIT

import hashlib
import hmac
import http.client
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
from mfdeploy import check  # noqa: E402

MEDFLAG = os.path.join(mf.BUILD, "medflag")
TOKEN = "json-test-token-0123456789"
SECRET = "s3cret-hook-of-medflag"
RULE = "odd-quotes.detox"

# What the rules file says, and what the gateway must give back: the
# claim's lines as they are, the `expect` strings with their escapes read.
TITLE = 'The "miracle" detox \\ cleanses – 治愈'
FACT = 'Nothing "detoxes" C:\\body; ça n\'existe pas — 日本語.'
EXPECT_MATCH = 'A "miracle detox" \\ cured 治愈\nêtre —\tok'
EXPECT_NOMATCH = 'Plain "water" \\ no claim\tat all, ça va'
BLOCK = """rule %s
  claim      odd-quotes
  score      6
  match      /\\bmiracle\\s+detox\\b/
  mode       enforce
  expect     match   "A \\"miracle detox\\" \\\\ cured 治愈\\nêtre —\\tok"
  expect     nomatch "Plain \\"water\\" \\\\ no claim\\tat all, ça va"
end
""" % RULE
RULES = """claim odd-quotes
  title      %s
  fact       %s
  evidence   https://www.who.int/news-room/fact-sheets/detail/autism-spectrum-disorders
  tier       harmful
  review-by  2030-01-01
end

""" % (TITLE, FACT) + BLOCK
# The backtest's edit: "detox" alone, which the corpus's odd ids have.
EDITED = BLOCK.replace("/\\bmiracle\\s+detox\\b/", "/\\bdetox\\b/")
ODD_IDS = ['c"1\\x\n\té', "c2 治愈 \"q\""]
TEXT = 'He said "miracle detox" \\ works\nreally —\t治愈 ça'

RULE_KEYS = ["id", "mode", "auto_shadowed", "score", "line", "file",
             "claim", "title", "fact", "tier", "category", "review_by",
             "evidence", "hits_start", "shadow_start", "hits_all",
             "shadow_all", "agreed", "overturned", "precision"]
HEAD_KEYS = ["ruleset", "running_ruleset", "medflagd", "redis"]


def parse(raw):
    """The JSON of a body: one value, each object's keys once, newline
    at the end (every reply ends one)."""
    def unique(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("a key twice: %s" % keys)
        return dict(pairs)
    if not raw.endswith(b"\n"):
        raise ValueError("no newline at the end: %r" % raw[-20:])
    return json.loads(raw.decode("utf-8"), object_pairs_hook=unique)


def req(base, method, path, body=None, token=TOKEN, headers=None):
    """(status, parsed JSON, or None for no body) of one request."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if isinstance(body, str):
        body = body.encode()
    r = urllib.request.Request(base + path, method=method, headers=h,
                               data=body)
    try:
        with urllib.request.urlopen(r, timeout=30) as f:
            status, raw = f.status, f.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, parse(raw) if raw else None


def keys(obj, want, what):
    check(isinstance(obj, dict) and list(obj) == want,
          "%s: members %s" % (what, list(obj) if isinstance(obj, dict)
                              else type(obj).__name__))


def types(obj, want, what):
    """'want': key -> a type or a tuple of types (None: null)."""
    bad = {k: type(obj[k]).__name__ for k, t in want.items()
           if not isinstance(obj[k], t if isinstance(t, tuple) else (t,))}
    check(not bad, "%s: value types (%s wrong)" % (what, bad or "none"))


def integer(x):
    return isinstance(x, int) and not isinstance(x, bool)


def wait_http(p, url, what):
    deadline = time.time() + 30
    while p.poll() is None and time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not start" % what)


def console(base):
    s, j = req(base, "GET", "/v1/console", token=None)
    keys(j, ["token", "text_window_s", "backtest"], "GET /v1/console")
    types(j, {"token": bool, "text_window_s": int, "backtest": bool},
          "GET /v1/console")
    check(s == 200 and j["token"] and j["text_window_s"] == 60 and
          j["backtest"], "GET /v1/console: %s" % j)

    s, j = req(base, "GET", "/v1/stats")
    keys(j, ["stats", "latency_upper_us", "gateway_ruleset"],
         "GET /v1/stats")
    check(s == 200 and isinstance(j["stats"], dict) and
          j["stats"].get("ruleset") and
          all(integer(x) for x in j["latency_upper_us"]) and
          j["latency_upper_us"] == sorted(j["latency_upper_us"]),
          "GET /v1/stats: medflagd's stats and integer bucket bounds")

    # A hit, and feedback on it, so that every count is a number.
    s, _ = req(base, "POST", "/v1/feedback", json.dumps(
        {"post_id": "fb-1", "outcome": "agreed", "rules": [RULE]}))
    check(s == 204, "feedback for %s" % RULE)
    s, j = req(base, "GET", "/v1/rules")
    keys(j, HEAD_KEYS + ["rules"], "GET /v1/rules")
    check(s == 200 and j["medflagd"] is True and j["redis"] is True,
          "GET /v1/rules: medflagd and redis answered")
    r = [x for x in j["rules"] if x["id"] == RULE]
    check(len(r) == 1, "GET /v1/rules lists %s" % RULE)
    r = r[0]
    keys(r, RULE_KEYS, "a rule of GET /v1/rules")
    types(r, {"auto_shadowed": bool, "score": (int, float), "line": int,
              "evidence": list, "hits_start": int, "hits_all": int,
              "agreed": int, "overturned": int, "precision": float},
          "a rule of GET /v1/rules")
    check(r["title"] == TITLE and r["fact"] == FACT,
          "the claim's quotes, backslashes and non-ASCII round-trip: %r"
          % r["title"])
    check(r["score"] == 6 and r["agreed"] == 1 and r["precision"] == 1.0
          and r["category"] == "odd" and r["review_by"] == "2030-01-01",
          "the rule's score, feedback and claim: %s" % r)

    s, j = req(base, "GET", "/v1/rules/" + RULE)
    keys(j, HEAD_KEYS + ["rule"], "GET /v1/rules/ID")
    r = j["rule"]
    keys(r, RULE_KEYS + ["near", "near_sentence", "match", "unless",
                         "expect", "block", "block_lines"],
         "the rule of GET /v1/rules/ID")
    check(r["match"] == ["\\bmiracle\\s+detox\\b"] and r["unless"] == [],
          "its patterns: %s" % r["match"])
    for e in r["expect"]:
        keys(e, ["kind", "line", "text"], "an expect line")
    check([(e["kind"], e["text"]) for e in r["expect"]] ==
          [("match", EXPECT_MATCH), ("nomatch", EXPECT_NOMATCH)],
          "expect texts with quotes, backslashes, newline, tab and "
          "non-ASCII round-trip")
    first, last = r["block_lines"]
    check(r["block"] == BLOCK and integer(first) and last - first == 7,
          "the block as written in its file, lines %s" % r["block_lines"])

    s, j = req(base, "POST", "/v1/rules/%s/backtest" % RULE,
               json.dumps({"block": EDITED}))
    keys(j, ["rule", "new_id", "expect", "expect_failed", "diagnostics",
             "posts", "labelled", "misinfo", "old", "new", "changed",
             "changed_posts"], "POST backtest")
    for k in ("old", "new"):
        keys(j[k], ["hits", "true_pos", "false_pos"], "backtest's " + k)
    check(s == 200 and j["posts"] == 4 and j["changed"] == 2 and
          j["expect_failed"] == 0 and j["diagnostics"] == [],
          "the backtest: %s" % {k: j[k] for k in ("posts", "changed",
                                                  "expect_failed")})
    for c in j["changed_posts"]:
        keys(c, ["file", "line", "post_id", "label", "now"],
             "a changed post")
    check([(c["post_id"], c["label"], c["now"]) for c in j["changed_posts"]]
          == [(ODD_IDS[0], "misinfo", "hit"), (ODD_IDS[1], None, "hit")],
          "the corpus's odd post ids round-trip, a missing label null")

    s, j = req(base, "POST", "/v1/rules/%s/backtest" % RULE,
               json.dumps({"block": EDITED.replace("score      6",
                                                   "score      x")}))
    keys(j, ["rule", "error", "diagnostics"], "a backtest that fails")
    check(s == 422 and j["diagnostics"], "a block that does not compile: "
          "422 with its diagnostics")
    keys(j["diagnostics"][0], ["severity", "where", "msg", "hint"],
         "a diagnostic")

    s, j = req(base, "GET", "/v1/rules/no-such.rule")
    keys(j, ["error"], "404")
    s, j = req(base, "GET", "/v1/rules", token=None)
    keys(j, ["error"], "401")
    check(s == 401 and "Bearer" in j["error"], "401 names the header")
    s, j = req(base, "PUT", "/v1/check", "{}")
    keys(j, ["error"], "405")

    # The live view: the verdict, and the text of the window beside it,
    # on one data line.
    host, port = base[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    try:
        conn.request("GET", "/v1/events",
                     headers={"Authorization": "Bearer " + TOKEN})
        ev = conn.getresponse()
        check(ev.readline() == b": medflag verdicts\n", "the stream opens")
        s, j = req(base, "POST", "/v1/check", json.dumps(
            {"post_id": "window-1", "body": TEXT}), token=None)
        check(s == 200 and j["post_id"] == "window-1" and
              j["action"] == "flag", "POST /v1/check: %s" % j.get("action"))
        data = None
        while data is None:
            line = ev.readline()
            if not line:
                break
            if line.startswith(b"data: ") and b"window-1" in line:
                data = parse(line[len(b"data: "):])
        check(data is not None, "the verdict's event")
        keys(data, ["verdict", "body"], "an event")
        check(data["body"] == TEXT and data["verdict"]["post_id"] ==
              "window-1", "the window's text round-trips in an event")
    finally:
        conn.close()


def hook(port, event, body, secret=SECRET):
    """(status, raw body) of a webhook as Discourse sends it."""
    body = body.encode() if isinstance(body, str) else body
    h = {"Content-Type": "application/json", "X-Discourse-Event": event,
         "X-Discourse-Event-Id": str(time.time_ns() // 1000),
         "X-Discourse-Event-Signature": "sha256=" + hmac.new(
             secret.encode(), body, hashlib.sha256).hexdigest()}
    r = urllib.request.Request("http://127.0.0.1:%d/v1/discourse" % port,
                               data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as f:
            return f.status, f.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post(pid, text):
    t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return json.dumps({"post": {
        "id": pid, "raw": text, "cooked": "<p>%s</p>" % text,
        "created_at": t, "updated_at": t, "post_number": 2, "post_type": 1,
        "version": 1, "topic_id": 7, "topic_slug": "detox",
        "topic_title": "Detox", "username": "alice",
        "topic_archetype": "regular", "deleted_at": None}})


def reviewable(kind, pid=101, status=1):
    return json.dumps({"reviewable": {
        "id": 5000 + pid, "type": kind, "post_id": pid,
        "reviewable_scores": [{"id": 1, "status": status,
                               "user": {"username": "medflag-bot"},
                               "reviewed_by": {"username": "mod-anna"}}]}})


def discourse(port):
    s, raw = hook(port, "ping", '{"ping":"OK"}')
    check(s == 200 and raw == b'{"ok":true}\n', "ping: %r" % raw)
    s, raw = hook(port, "post_created", post(101, "A miracle detox tea."))
    j = parse(raw)
    keys(j, ["post_id", "action", "status", "duplicate", "flag"],
         "a judged post")
    types(j, {"post_id": int, "action": str, "status": str,
              "duplicate": bool, "flag": str}, "a judged post")
    check(s == 200 and j["post_id"] == 101 and j["action"] == "flag" and
          j["flag"] == "queued", "the webhook's answer: %s" % j)

    odd = 'Odd"type\\x\n\té治'
    s, raw = hook(port, "reviewable_transitioned_to", reviewable(odd))
    j = parse(raw)
    keys(j, ["ignored"], "an ignored event")
    check(s == 200 and j["ignored"] == "a reviewable of type %s; "
          "medflag's flags are ReviewableFlaggedPost" % odd,
          "a reviewable's odd type round-trips: %r" % j["ignored"])
    # Cut to 60 bytes inside "é": the half character becomes U+FFFD.
    s, raw = hook(port, "reviewable_transitioned_to",
                  reviewable("a" * 59 + "é"))
    j = parse(raw)
    check(s == 200 and j["ignored"].startswith("a reviewable of type " +
                                               "a" * 59 + "\ufffd;"),
          "a string cut inside a character: U+FFFD, 200: %r"
          % j["ignored"][:30])

    s, raw = hook(port, "reviewable_transitioned_to",
                  reviewable("ReviewableFlaggedPost"))
    j = parse(raw)
    keys(j, ["post_id", "outcome", "recorded"], "a decided flag")
    types(j, {"post_id": int, "outcome": str, "recorded": bool},
          "a decided flag")
    check(s == 200 and j["outcome"] == "agreed", "the outcome: %s" % j)

    s, raw = hook(port, "post_created", '{"post": {"id": 1,')
    j = parse(raw)
    keys(j, ["error"], "bad JSON")
    check(s == 400 and j["error"].startswith("body:1:"), "bad JSON: %s" % j)
    s, raw = hook(port, "post_created", post(102, "x"), "wrong-secret-123")
    keys(parse(raw), ["error"], "a bad signature")
    check(s == 401, "a bad signature: 401")

    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port,
                                timeout=10) as f:
        j = parse(f.read())
    counts = ["webhooks", "judged", "flagged", "review", "held", "pending",
              "retries", "failed", "dropped", "ignored", "bad_signature",
              "bad_request", "unavailable", "outcomes", "replayed"]
    keys(j, ["ok"] + counts + ["last_error"], "GET /healthz (discourse)")
    check(j["ok"] is True and all(integer(j[k]) for k in counts) and
          isinstance(j["last_error"], str) and j["judged"] == 1 and
          j["ignored"] == 2 and j["bad_request"] == 1,
          "GET /healthz: integer counts: %s" % j)


def main():
    mf.require_service()
    d = mf.Deployment(workers=1)
    procs = []
    try:
        with open(os.path.join(d.rules, "odd.rules"), "w") as f:
            f.write(RULES)
        corpus = os.path.join(d.tmp, "corpus.jsonl")
        with open(corpus, "w") as f:
            for x in ({"post_id": ODD_IDS[0], "label": "misinfo",
                       "body": "This detox tea works wonders."},
                      {"post_id": ODD_IDS[1],
                       "body": "Try a detox after the holidays."},
                      {"post_id": "c3", "label": "misinfo",
                       "body": "A miracle detox cured my flu."},
                      {"post_id": "c4", "label": "ok",
                       "body": "Nothing to see here."}):
                f.write(json.dumps(x) + "\n")
        d.medflagd_start()
        tok = os.path.join(d.tmp, "token")
        with open(tok, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(tok, 0o600)
        for name, text in (("api.key", "k-123"), ("hook.secret", SECRET)):
            with open(os.path.join(d.tmp, name), "w") as f:
                f.write(text + "\n")

        fd_port = os.path.join(d.tmp, "fd.port")
        procs.append(subprocess.Popen(
            ["/usr/bin/python3", os.path.join(mf.TOP, "tests",
                                              "fake_discourse.py"),
             fd_port, os.path.join(d.tmp, "flags.jsonl"), "k-123",
             "medflag-bot"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        deadline = time.time() + 20
        while not (os.path.exists(fd_port) and os.path.getsize(fd_port)):
            if time.time() > deadline:
                raise RuntimeError("the fake Discourse did not start")
            time.sleep(0.05)
        http_port, ad_port = mf.free_port(), mf.free_port()
        conf = os.path.join(d.tmp, "json.conf")
        with open(conf, "w") as f:
            f.write(open(d.conf).read() + "console on\nconsole_ui %s\n"
                    "console_token_file %s\nconsole_corpus %s\n"
                    "console_text_window_s 60\n"
                    "discourse_url http://127.0.0.1:%s/\n"
                    "discourse_api_key_file %s/api.key\n"
                    "discourse_api_user medflag-bot\n"
                    "discourse_webhook_secret_file %s/hook.secret\n"
                    "discourse_listen 127.0.0.1:%d\n"
                    % (os.path.join(mf.TOP, "tools", "gateways", "ui"), tok,
                       corpus, open(fd_port).read().strip(), d.tmp, d.tmp,
                       ad_port))
        log = open(os.path.join(d.tmp, "gateways.log"), "w")
        procs.append(subprocess.Popen(
            [MEDFLAG, "-c", conf, "http", "--listen",
             "127.0.0.1:%d" % http_port], stdout=log, stderr=log))
        procs.append(subprocess.Popen(
            [MEDFLAG, "-c", conf, "discourse", "--timeout", "5000"],
            stdout=log, stderr=log))
        base = "http://127.0.0.1:%d" % http_port
        wait_http(procs[1], base + "/v1/console", "medflag http")
        wait_http(procs[2], "http://127.0.0.1:%d/healthz" % ad_port,
                  "medflag discourse")
        console(base)
        discourse(ad_port)
        print("ok: the gateways' JSON replies")
        return 0
    except Exception as ex:
        log_path = os.path.join(d.tmp, "gateways.log")
        if os.path.exists(log_path):
            sys.stdout.write(open(log_path, errors="replace").read()[-3000:])
        return mf.failed(d, ex)
    finally:
        for p in reversed(procs):
            mf.end(p)
        d.teardown()


if __name__ == "__main__":
    sys.exit(main())
