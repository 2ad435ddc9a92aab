#!/usr/bin/python3
# tests/integ/dedup_poison.py - a post sent first under another's key
# cannot choose the verdict the real post gets: a map with a key given
# twice is refused (an error verdict naming the key), an error verdict is
# never kept for duplicates, and the dedup key covers what the judge
# reads (body_format included). Real redis-server, medflagd and worker.
# Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import Fail, MYTH, check, pack, unpack
import msgpack
import zmq
from postid import mp_str, mp_map, raw_check

mfdeploy.require_service()


def ask(d, payload):
    raw = raw_check(d, payload)
    if raw is None:
        raise Fail("no answer")
    return unpack(raw)


def main():
    d = mfdeploy.Deployment(workers=1)
    try:
        d.medflagd_start()
        # body twice: the first copy is the real post's, the last a
        # harmless text.
        v = ask(d, mp_map([(mp_str("post_id"), mp_str("dp-1")),
                           (mp_str("body"), mp_str(MYTH)),
                           (mp_str("body"), mp_str("hello"))]))
        check(v["status"] == "error" and "body" in v.get("error", ""),
              "a body given twice is refused, naming it (%r)"
              % (v.get("error") or v["action"]))
        v = ask(d, pack({"post_id": "dp-1", "body": MYTH}))
        check(v["status"] == "ok" and v["action"] != "none" and
              "duplicate" not in v.get("flags", []),
              "the real post is judged (%s)" % v["action"])
        v = ask(d, pack({"post_id": "dp-1", "body": MYTH}))
        check("duplicate" in v.get("flags", []) and v["action"] != "none",
              "and its resend is a duplicate of it")

        # A bogus body_format first: its error is not kept.
        v = ask(d, pack({"post_id": "dp-2", "body": MYTH,
                         "body_format": "bogus"}))
        check(v["status"] == "error" and "body_format" in v["error"],
              "an unknown body_format is an error")
        v = ask(d, pack({"post_id": "dp-2", "body": MYTH}))
        check(v["status"] == "ok" and
              "duplicate" not in v.get("flags", []),
              "the real post is judged, not given the cached error")

        # What the judge reads is the key: a quote in HTML is not
        # judged, the same text in plain text is.
        q = "<blockquote>" + MYTH + "</blockquote>"
        v = ask(d, pack({"post_id": "dp-3", "body": q,
                         "body_format": "html"}))
        check(v["action"] == "none", "a quoted myth in HTML: none")
        v = ask(d, pack({"post_id": "dp-3", "body": q}))
        check(v["action"] != "none" and
              "duplicate" not in v.get("flags", []),
              "the same body as text is judged again (%s)" % v["action"])
        st = d.control("stats")
        check(st["duplicates"] == 1, "one duplicate in all (%d)"
              % st["duplicates"])
    except Exception as e:
        return mfdeploy.failed(d, e)
    finally:
        d.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
