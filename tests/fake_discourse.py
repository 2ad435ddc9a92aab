#!/usr/bin/python3
# fake_discourse.py PORTFILE LOG API_KEY API_USER [FAIL_ONCE_IDS] - stands
# in for a Discourse forum in tests/integ/discourse.sh: the one call of
# Discourse's API that `medflag discourse` makes, POST /post_actions.json
# (form-encoded id, post_action_type_id, message, flag_topic,
# queue_for_review) with the Api-Key and Api-Username headers. It answers
# as Discourse does: 200 with the post as JSON; 403 {"errors": [...],
# "error_type": "invalid_access"} for a wrong key or user; 403 "already
# performed" for a second flag of one type on one post; 400 for a missing
# parameter; and, for the post ids in FAIL_ONCE_IDS (comma-separated), 502
# the first time (a forum being restarted). Each accepted flag is one
# JSON line in LOG. Listens on a free loopback port written to PORTFILE.
# SPDX-License-Identifier: MIT
import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log, key, user = sys.argv[1:5]
fail_once = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else set()
done = set()


class H(BaseHTTPRequestHandler):
    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(),
                                     keep_blank_values=True)
        f = {k: v[0] for k, v in form.items()}
        if self.path != "/post_actions.json":
            return self.answer(404, {"errors": ["The requested URL or "
                                     "resource could not be found."],
                                     "error_type": "not_found"})
        if (self.headers.get("Api-Key") != key or
                self.headers.get("Api-Username") != user):
            return self.answer(403, {"errors": ["You are not permitted to "
                                     "view the requested resource. The "
                                     "API username or key is invalid."],
                                     "error_type": "invalid_access"})
        for p in ("id", "post_action_type_id"):
            if p not in f:
                return self.answer(400, {"errors": ["param is missing or "
                                         "the value is empty: " + p],
                                         "error_type": "invalid_parameters"})
        if f["id"] in fail_once:
            fail_once.discard(f["id"])
            return self.answer(502, {"errors": ["Bad Gateway"]})
        k = (f["id"], f["post_action_type_id"])
        if k in done:
            return self.answer(403, {"errors": ["You already performed "
                                     "this action."],
                                     "error_type": "invalid_access"})
        done.add(k)
        with open(log, "a") as fp:
            fp.write(json.dumps(f) + "\n")
        self.answer(200, {"id": int(f["id"]), "post_number": 2,
                          "actions_summary": [{"id": 7, "acted": True}],
                          "hidden": f.get("queue_for_review") == "true"})

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as fp:
    fp.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
