#!/usr/bin/python3
# tests/rules/golden.py [--update] - golden cases: each line of
# tests/rules/golden.jsonl pairs a post with the verdict the shipped rules
# give it (action, score, flags, and each hit's rule, claim, question
# flag and spans into the original text). A rule change that alters any
# of them fails here and shows up in review as a diff of golden.jsonl;
# after checking the change is right, regenerate with --update.
# SPDX-License-Identifier: MIT
import json
import os
import subprocess
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = os.environ.get("MF_BUILD", "build")
golden = os.path.join(top, "tests", "rules", "golden.jsonl")
medflag = os.path.join(top, build, "medflag")


def summary(v):
    """The part of a verdict a golden case pins down."""
    return {
        "action": v.get("action"),
        "score": v.get("score"),
        "status": v.get("status"),
        "hits": [{"rule": h["rule"], "claim": h["claim"],
                  "question": h.get("question", False),
                  "mode": h.get("mode"), "spans": h.get("spans", [])}
                 for h in v.get("hits", [])],
        "sources": [[s["domain"], s["list"]] for s in v.get("sources", [])],
        "flags": sorted(v.get("flags", [])),
    }


def main():
    update = "--update" in sys.argv
    cases = [json.loads(l) for l in open(golden, encoding="utf-8") if l.strip()]
    posts = "".join(json.dumps(c["post"], ensure_ascii=False) + "\n" for c in cases)
    out = subprocess.run([medflag, "scan", "--rules", os.path.join(top, "rules")],
                         input=posts.encode(), capture_output=True, check=True)
    verdicts = [json.loads(l) for l in out.stdout.decode().splitlines()]
    if len(verdicts) != len(cases):
        print(f"FAIL: {len(cases)} posts, {len(verdicts)} verdicts")
        return 1
    failed = 0
    for c, v in zip(cases, verdicts):
        got = summary(v)
        if update:
            c["verdict"] = got
            continue
        if got != c["verdict"]:
            failed += 1
            body = c["post"]["body"]
            print(f"FAIL {c['post']['post_id']}: verdict changed")
            print(f"  want {json.dumps(c['verdict'])}")
            print(f"  got  {json.dumps(got)}")
            for h in got["hits"]:
                for s, e in h["spans"]:
                    print(f"  {h['rule']}: {body.encode()[s:e].decode(errors='replace')!r}")
    if update:
        with open(golden, "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        print(f"updated {len(cases)} golden cases")
        return 0
    print(f"{len(cases) - failed} of {len(cases)} golden cases unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
