#!/usr/bin/python3
# Posts in a language medflag does not read (other-lang.jsonl: 400 forum
# posts in Italian, Portuguese, Dutch, Polish, Swedish, Romanian, Turkish
# and Czech, half of them claims)
# are told so, by their lang field and by their words, and none is
# flagged: the rules find a claim's words there by chance, and the model
# never learned the language (docs/rules.md, "Languages"). No post of the
# four languages it reads (tests/corpus/, tests/blind/) is told so. A
# forum's own rules for its language (the example of docs/rules.md) read
# it. Prints figures, never a post.
# SPDX-License-Identifier: MIT
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

top = os.environ.get("MF_TOP",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "..", ".."))
medflag = os.path.join(top, os.environ.get("MF_BUILD", "build"), "medflag")
here = os.path.dirname(os.path.abspath(__file__))


def judge(posts):
    inp = "".join(json.dumps(p) + "\n" for p in posts)
    out = subprocess.run([medflag, "scan", "--rules",
                          os.path.join(top, "rules"), "--jobs", "2"],
                         input=inp, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == len(posts), (len(out), len(posts))
    return [json.loads(o) for o in out]


rows = [json.loads(l) for l in open(os.path.join(here, "other-lang.jsonl"))]
fail = 0
for field in (True, False):
    vs = judge([dict({"post_id": r["post_id"], "body": r["body"]},
                     **({"lang": r["lang"]} if field else {}))
                for r in rows])
    told = sum("lang_unsupported" in v["flags"] for v in vs)
    flagged = sum(v["action"] in ("flag", "hold", "block") and
                  "lang_unsupported" in v["flags"] for v in vs)
    review = [v for v in vs if "lang_unsupported" in v["flags"] and
              v["action"] == "annotate"]
    claims = sum(r["kind"] == "claim" for r, v in zip(rows, vs)
                 if v in review)
    print("%s: %d of %d told as not read, %d of them flagged, %d to review"
          " (%d claims)" % ("by the lang field" if field else
                            "by their words", told, len(rows), flagged,
                            len(review), claims))
    floor = 0.95 if field else 0.55
    if told < floor * len(rows):
        print("FAIL: fewer than %d%% told" % (100 * floor))
        fail = 1
    if flagged:
        print("FAIL: a post in a language medflag does not read was flagged")
        fail = 1
    if any("review" not in v["flags"] for v in review):
        print("FAIL: an annotate without review")
        fail = 1
# explain says which language and what follows from it.
out = subprocess.run([medflag, "explain", "--rules", os.path.join(top, "rules"),
                      "Il vaccino MPR causa l'autismo: mio figlio ha smesso "
                      "di parlare dopo la puntura, sono sicuro che sia stato "
                      "il vaccino."], capture_output=True, text=True).stdout
if "\nlanguage: it, which the rules and the model do not read" not in out or \
        "\nverdict:  annotate" not in out:
    print("FAIL: explain of an Italian claim:\n" + out[:600])
    fail = 1
# A forum's own rules (docs/rules.md, "Rules in your forum's own
# language": its example, as printed there) read its language: the claim
# is flagged by them, the debunk cancelled by their negation, and neither
# is lang_unsupported; without them both go to review.
doc = open(os.path.join(top, "docs", "rules.md")).read()
start = doc.index("# local.d/it.rules\n")
example = doc[start:doc.index("\nend\n", start) + 5]
with tempfile.TemporaryDirectory() as d:
    own = os.path.join(d, "rules")
    shutil.copytree(os.path.join(top, "rules"), own)
    with open(os.path.join(own, "zz-it.rules"), "w") as f:
        f.write(example)
    for body, want in (("Il vaccino MPR causa l'autismo, l'ho visto con mio "
                        "figlio e nessuno mi crede.", "flag"),
                       ("Il vaccino MPR non causa l'autismo, lo dicono tutti "
                        "gli studi e anche il mio pediatra.", "none")):
        post = json.dumps({"post_id": "it", "body": body}) + "\n"
        for rules, act in ((own, want), (os.path.join(top, "rules"),
                                          "annotate")):
            v = json.loads(subprocess.run([medflag, "scan", "--rules", rules],
                                          input=post, capture_output=True,
                                          text=True, check=True).stdout)
            other = "lang_unsupported" in v["flags"]
            if v["action"] != act or other != (rules != own):
                print("FAIL: the forum's own rules (%s): %s, %s" %
                      ("with" if rules == own else "without", v["action"],
                       v["flags"]))
                fail = 1
print("a forum's own Italian rules: the docs' example checked")
ours = []
for f in sorted(glob.glob(os.path.join(top, "tests", "corpus", "*.jsonl")) +
                glob.glob(os.path.join(top, "tests", "blind", "*.jsonl"))):
    ours += [{"post_id": r.get("post_id"), "body": r["body"]}
             for r in map(json.loads, open(f))]
told = sum("lang_unsupported" in v["flags"] for v in judge(ours))
print("en, fr, es, de: %d of %d told as not read" % (told, len(ours)))
if told:
    print("FAIL: a post in one of the four languages told as not read")
    fail = 1
sys.exit(fail)
