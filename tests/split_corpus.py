#!/usr/bin/env python3
"""split_corpus.py - adds a batch of newly written labelled posts to the
corpus, half to the open corpus (tests/corpus/open-LANG.jsonl, which rule
writers read and tune on) and half to the blind corpus (tests/blind/
LANG.jsonl, which rule writers never open; `medflag rules eval --blind`
scores it with figures and rule ids only). See docs/rules.md, "Measuring
on posts nobody tuned on".

    tests/split_corpus.py --batch N [--open-only] FILE.jsonl...

Each input line: {"id", "family", "lang", "label", "kind", "body"}. Within
every (family, lang, label) the posts are ordered by a SHA-256 of their id
and body and dealt alternately to the two halves, so each half gets every
family, language and label in equal parts, and the split does not depend on
the order the files are read in. A post whose body is already in either
half is skipped. With --open-only the whole batch goes to the open corpus:
posts written to teach (the rules' writers and the model), not to judge.
"""
import argparse
import hashlib
import json
import os
import sys

LANGS = {"en", "fr", "es", "de"}
KINDS = {"claim", "debunk", "question", "reported", "sarcasm", "news",
         "legit", "harm", "former", "quote", "joke", "ordinary"}
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_rows(path):
    with open(path, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            if line.strip():
                yield path, n, json.loads(line)


def check(path, n, r):
    where = "%s:%d" % (path, n)
    for k in ("id", "family", "lang", "label", "kind", "body"):
        if not isinstance(r.get(k), str) or not r[k]:
            sys.exit("%s: error: field %r missing or empty" % (where, k))
    if r["lang"] not in LANGS:
        sys.exit("%s: error: lang %r is not one of %s" % (where, r["lang"],
                 ", ".join(sorted(LANGS))))
    if r["label"] not in ("misinfo", "reliable"):
        sys.exit("%s: error: label is misinfo or reliable" % where)
    if r["kind"] not in KINDS:
        sys.exit("%s: error: kind %r is not one of %s" % (where, r["kind"],
                 ", ".join(sorted(KINDS))))
    if (r["label"] == "misinfo") != (r["kind"] == "claim"):
        sys.exit("%s: error: a claim is misinfo, every other kind reliable"
                 % where)


def existing_bodies():
    seen = set()
    for d in ("tests/corpus", "tests/blind"):
        full = os.path.join(TOP, d)
        for name in os.listdir(full) if os.path.isdir(full) else []:
            if name.endswith(".jsonl"):
                for _, _, r in read_rows(os.path.join(full, name)):
                    seen.add((r.get("body") or r.get("text") or "").strip())
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, required=True,
                    help="the number of this batch of posts (1, 2, ...)")
    ap.add_argument("--open-only", action="store_true",
                    help="every post to the open corpus, none to the blind")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    seen = existing_bodies()
    groups = {}
    skipped = 0
    for f in a.files:
        for path, n, r in read_rows(f):
            check(path, n, r)
            body = r["body"].strip()
            if body in seen:
                skipped += 1
                continue
            seen.add(body)
            key = (r["family"], r["lang"], r["label"])
            groups.setdefault(key, []).append(r)
    out = {}
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: hashlib.sha256(
            (r["id"] + "\n" + r["body"]).encode()).hexdigest())
        for i, r in enumerate(rows):
            half = ("corpus/open-" if i % 2 == 0 or a.open_only
                    else "blind/")
            path = os.path.join(TOP, "tests", half + r["lang"] + ".jsonl")
            out.setdefault(path, []).append({
                "post_id": "b%d-%s" % (a.batch, r["id"]),
                "family": r["family"], "lang": r["lang"],
                "label": r["label"], "kind": r["kind"],
                "batch": a.batch, "body": r["body"]})
    for path, rows in sorted(out.items()):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="utf-8") as fp:
            for r in sorted(rows, key=lambda r: r["post_id"]):
                fp.write(json.dumps(r, ensure_ascii=False) + "\n")
        print("%s: +%d posts" % (os.path.relpath(path, TOP), len(rows)))
    if skipped:
        print("%d posts skipped: the same text is already in the corpus"
              % skipped)


if __name__ == "__main__":
    main()
