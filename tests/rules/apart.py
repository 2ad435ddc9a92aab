#!/usr/bin/python3
# Expect lines and the blind half stay apart: an expect line that shares
# eight words in a row with a post of tests/blind/, where no post of the
# open half (tests/corpus/) has those eight words, fails the test
# (docs/rules.md, "Measuring on posts nobody tuned on"). An expect line is
# a promise about its rule and training data for the model: one that
# repeats what only the blind half says makes that half score its own
# examples. The open and the blind half come from the same writers, so a
# phrase both halves have is one a rule editor could read, and may be
# echoed. Prints the rule file's line, never a post.
# SPDX-License-Identifier: MIT
import glob
import json
import os
import re
import sys

N = 8
top = os.environ.get("MF_TOP",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "..", ".."))


def shingles(text):
    w = re.findall(r"\w+", text.lower())
    return {tuple(w[i:i + N]) for i in range(len(w) - N + 1)}


def corpus(pattern):
    seen, posts = set(), 0
    for f in sorted(glob.glob(os.path.join(top, pattern))):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                p = json.loads(line)
                seen |= shingles(p.get("body") or p.get("text") or "")
                posts += 1
    return seen, posts


blind, nblind = corpus("tests/blind/*.jsonl")
open_, nopen = corpus("tests/corpus/*.jsonl")
if nblind == 0 or nopen == 0:
    print("no posts in tests/blind/ or tests/corpus/")
    sys.exit(1)

expect = re.compile(r'\s*expect\s+\w+\s+"(.*)"\s*$')
lines = bad = 0
for f in sorted(glob.glob(os.path.join(top, "rules/*.rules"))):
    with open(f, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            m = expect.match(line)
            if not m:
                continue
            lines += 1
            if (shingles(m.group(1)) & blind) - open_:
                print(f"{os.path.relpath(f, top)}:{n}: this expect line "
                      f"shares {N} words in a row with a blind post and "
                      "with no open one; write it in other words")
                bad += 1
print(f"{lines} expect lines, {nblind} blind posts: {bad} lines share "
      f"{N} words in a row with the blind half alone")
sys.exit(1 if bad or lines == 0 else 0)
