#!/usr/bin/python3
# fake_discourse.py PORTFILE LOG API_KEY API_USER [FAIL_ONCE_IDS] - stands
# in for a Discourse forum in tests/integ/discourse.sh: the calls of
# Discourse's API that `medflag discourse` makes, with the Api-Key and
# Api-Username headers, answered as Discourse's own code answers them
# (PostActionsController, PostActionCreator, the API-key scopes, JsonError
# and its rescue of RateLimiter::LimitExceeded):
#
# POST /post_actions.json (form: id, post_action_type_id, message,
#   flag_topic, queue_for_review) - 200 with the post as JSON; 403
#   {"errors": [...], "error_type": "invalid_access"} for a wrong key or
#   user, as for a granular key (no scope covers post_actions#create);
#   400 for a missing parameter; 403 {"errors": [...]} (no error_type:
#   a PostActionCreator result) for a second flag of one type on one post
#   ("action_already_performed") and for queue_for_review from a user who
#   is not staff ("invalid_access"), its words in the forum's locale; 429
#   {"errors", "error_type": "rate_limit", "extras": {"wait_seconds",
#   "time_left"}} with Retry-After past the daily flag limit; and, for the
#   post ids in FAIL_ONCE_IDS (comma-separated), 502 the first time (a
#   forum being restarted).
# GET /posts/ID.json - the post with the API user's actions_summary
#   ({"id": 7, "acted": true, "can_undo": true} once flagged), under the
#   same key rules (a granular key without global read gets 403).
# POST /posts.json (archetype private_message, target_recipients, title,
#   raw) - a message; 200 {"id", "topic_id"} for staff, 422 for others.
#
# Test controls outside Discourse's paths: POST /_test/set with JSON
# {"staff": bool, "locale": "en"|"de", "daily_limit": n, "retry_after":
# s (the limiter's window, in seconds), "down": bool (every call answered
# 503 in HTML, as the proxy in front of a forum being rebuilt does)}. Each accepted flag and message is one JSON line
# in LOG. Listens on a free loopback port written to PORTFILE.
# SPDX-License-Identifier: MIT
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log, key, user = sys.argv[1:5]
fail_once = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else set()
state = {"staff": True, "locale": "en", "daily_limit": 0, "retry_after": 1,
         "down": False}
done = set()            # (post id, action type) flagged by the API user
flags_at = []           # times of flags within the limiter's window
lock = threading.Lock()

# config/locales/server.*.yml: the words differ, the statuses do not.
WORDS = {
    "en": {"action_already_performed": "You already performed this action.",
           "invalid_access": "You are not permitted to view the requested "
                             "resource.",
           "rate_limit": "You’ve performed this action too many times. "
                         "Please wait %s before trying again."},
    "de": {"action_already_performed": "Du hast diese Aktion bereits "
                                       "ausgeführt.",
           "invalid_access": "Du darfst die angeforderte Ressource nicht "
                             "ansehen.",
           "rate_limit": "Du hast diese Aktion zu oft ausgeführt. Bitte "
                         "warte %s, bevor du es erneut versuchst."},
}


class H(BaseHTTPRequestHandler):
    def answer(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def words(self, k):
        return WORDS[state["locale"]][k]

    def auth(self):
        """None when the key may call this route, else the 403 sent."""
        k = self.headers.get("Api-Key")
        u = self.headers.get("Api-Username") or ""
        if k == key and u.lower() == user.lower():
            return None
        # A granular key matches none of these routes (ApiKeyScope has no
        # mapping for post_actions#create, posts#show or private
        # messages), and so does a wrong key or user.
        self.answer(403, {"errors": ["You are not permitted to view the "
                                     "requested resource. The API username "
                                     "or key is invalid."],
                          "error_type": "invalid_access"})
        return 403

    def summary(self, pid):
        if (pid, "7") in done:
            return [{"id": 7, "count": 1, "acted": True, "can_undo": True}]
        return [{"id": t, "count": 0, "can_act": True} for t in (3, 4, 7, 8)]

    def down(self):
        # What the proxy in front of a rebuilding forum answers.
        body = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
        self.send_response(503)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if state["down"]:
            return self.down()
        m = re.fullmatch(r"/posts/(\d+)\.json", self.path)
        if not m:
            return self.answer(404, {"errors": ["The requested URL or "
                                     "resource could not be found."],
                                     "error_type": "not_found"})
        if self.auth():
            return
        with lock:
            self.answer(200, {"id": int(m.group(1)), "post_number": 2,
                              "actions_summary": self.summary(m.group(1))})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode()
        if self.path == "/_test/set":
            with lock:
                state.update(json.loads(raw))
            return self.answer(200, state)
        if state["down"]:
            return self.down()
        f = {k: v[0] for k, v in urllib.parse.parse_qs(
            raw, keep_blank_values=True).items()}
        if self.path == "/posts.json":
            if self.auth():
                return
            return self.message(f)
        if self.path != "/post_actions.json":
            return self.answer(404, {"errors": ["The requested URL or "
                                     "resource could not be found."],
                                     "error_type": "not_found"})
        if self.auth():
            return
        for p in ("id", "post_action_type_id"):
            if p not in f:
                return self.answer(400, {"errors": ["param is missing or "
                                         "the value is empty: " + p],
                                         "error_type": "invalid_parameters"})
        if f["id"] in fail_once:
            fail_once.discard(f["id"])
            return self.answer(502, {"errors": ["Bad Gateway"]})
        with lock:
            k = (f["id"], f["post_action_type_id"])
            review = f.get("queue_for_review") == "true"
            # PostActionCreator#perform: forbidden, then the words say
            # which; JsonError gives a result no error_type.
            if k in done or (review and not state["staff"]):
                return self.answer(403, {"errors": [self.words(
                    "action_already_performed" if k in done else
                    "invalid_access")]})
            # PostAction.limit_action!: max_flags_per_day.
            now = time.time()
            flags_at[:] = [t for t in flags_at
                           if now - t < state["retry_after"]]
            if state["daily_limit"] and len(flags_at) >= \
                    state["daily_limit"]:
                wait = max(1, int(state["retry_after"] -
                                  (now - flags_at[0]) + 0.999))
                return self.answer(429, {
                    "errors": [self.words("rate_limit") % ("%d seconds" %
                                                          wait)],
                    "error_type": "rate_limit",
                    "extras": {"wait_seconds": wait,
                               "time_left": "%d seconds" % wait}},
                    headers=[("Retry-After", str(wait))])
            flags_at.append(now)
            done.add(k)
            with open(log, "a") as fp:
                fp.write(json.dumps(f) + "\n")
            self.answer(200, {"id": int(f["id"]), "post_number": 2,
                              "actions_summary": self.summary(f["id"]),
                              "hidden": review})

    def message(self, f):
        if f.get("archetype") != "private_message" or \
                not f.get("target_recipients") or not f.get("raw"):
            return self.answer(422, {"errors": ["Raw can't be blank"]})
        if not state["staff"]:
            return self.answer(422, {"errors": ["You are not permitted to "
                                     "send messages to that group."]})
        with lock, open(log, "a") as fp:
            fp.write(json.dumps(dict(f, pm=True)) + "\n")
        self.answer(200, {"id": 9000 + len(done), "topic_id": 800,
                          "post_number": 1})

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as fp:
    fp.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
