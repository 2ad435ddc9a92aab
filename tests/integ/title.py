#!/usr/bin/python3
# tests/integ/title.py - a post's title is judged with its body: a claim in
# the title alone is flagged, its spans are [start, end, "title"] byte
# offsets into the title, the spans of a claim in the body stay pairs into
# the body, and the same body under another title is judged again, not
# answered from the dedup window. Real redis-server, medflagd and worker.
# Exit 0 pass, 77 skip, 1 fail.
# SPDX-License-Identifier: MIT

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import mfdeploy
from mfdeploy import MYTH, check
import msgpack
import zmq

mfdeploy.require_service()


def judge(d, post, timeout_ms=10000):
    s = d.socket(zmq.DEALER, "check")
    try:
        s.send_multipart([b"", mfdeploy.pack(post)])
        check(s.poll(timeout_ms), "post %s is answered" % post["post_id"])
        return msgpack.unpackb(s.recv_multipart()[-1], raw=False)
    finally:
        s.close()


def spans(v):
    return [sp for h in v.get("hits", []) for sp in h.get("spans", [])]


def main(d):
    d.medflagd_start()
    title = "Re: " + MYTH
    tb = title.encode()

    v = judge(d, {"post_id": "t-1", "title": title, "body": "hello"})
    check(v["status"] == "ok" and v["action"] != "none",
          "a claim in the title alone is flagged (%s, score %s)"
          % (v["action"], v.get("score")))
    sp = spans(v)
    check(sp and all(len(s) == 3 and s[2] == "title" for s in sp),
          "its spans point into the title (%r)" % sp)
    words = sorted(tb[s[0]:s[1]].decode().lower() for s in sp)
    check(words == ["autism", "mmr"] or words == ["autism", "jab"],
          "title offsets cover the claim's words (%r)" % words)

    v = judge(d, {"post_id": "t-2", "title": "A question",
                  "body": MYTH})
    sp = spans(v)
    bb = MYTH.encode()
    check(v["action"] != "none" and sp and all(len(s) == 2 for s in sp),
          "a claim in the body keeps [start, end] pairs (%r)" % sp)
    check(sorted(bb[s[0]:s[1]].decode().lower() for s in sp)
          == words, "those pairs point into the body")

    # Same instance, id, revision and body, another title: judged
    # again, not a duplicate of the first answer.
    a = judge(d, {"post_id": "t-3", "title": "hello", "body": "hello"})
    b = judge(d, {"post_id": "t-3", "title": MYTH, "body": "hello"})
    check(a["action"] == "none" and "duplicate" not in a.get("flags", []),
          "a harmless title and body: none")
    check(b["action"] != "none" and
          "duplicate" not in b.get("flags", []),
          "the same body under a claim as title is judged anew (%s, %r)"
          % (b["action"], b.get("flags")))
    c = judge(d, {"post_id": "t-3", "title": MYTH, "body": "hello"})
    check("duplicate" in c.get("flags", []) and
          c["action"] == b["action"],
          "the same post again is the duplicate it is")

    d.log.flush()
    log = open(d.log.name, "rb").read()
    check(MYTH.encode() not in log, "no title text in the log")


if __name__ == "__main__":
    mfdeploy.run(main, workers=1)
