#!/usr/bin/env python3
"""tests/lessons.py DATA LABELS MODE: the lessons of tests/integ/learn.sh.

The first 200 posts of DATA (JSON Lines, "id" and "text") that LABELS
labels by stance and that fall in part 0 of 2 (FNV-1a of the id, as
`--part 0/2` does). MODE feedback prints them as feedback records with
their text (outcome agreed for a claim, overturned otherwise); MODE
overturned prints the id and text of the overturned ones, one JSON array
per line; MODE snippets prints 24 characters from the middle of each.
"""
import json
import sys


def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def lessons(data, labels, n=200):
    lab = dict(l.rstrip("\n").split("\t", 1) for l in open(labels)
               if l.strip() and not l.startswith("#"))
    out = []
    for line in open(data):
        d = json.loads(line)
        if d["id"] in lab and fnv(d["id"]) % 2 == 0 and len(out) < n:
            out.append((d["id"], d["text"], lab[d["id"]] == "claim"))
    return out


def main():
    data, labels, mode = sys.argv[1:4]
    for pid, text, claim in lessons(data, labels):
        if mode == "feedback":
            print(json.dumps({"post_id": pid, "outcome": "agreed" if claim
                              else "overturned", "rules": ["model"],
                              "by": "test-mod", "body": text}))
        elif mode == "overturned" and not claim:
            print(json.dumps([pid, text]))
        elif mode == "snippets":
            m = len(text) // 2
            print(json.dumps(text[m - 12:m + 12] if len(text) > 30
                             else text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
