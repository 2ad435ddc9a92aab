#!/bin/sh
# docs/internals.md names every file of filter/, workers/, tools/ and
# tests/: by its name or the end of its path ("paths/garlic.rules"), by
# a name with [ch] ("post.[ch]"), by a pattern with a folder
# ("integ/*.py", "filter/*_test.c") or, for data (not code), by its
# folder ("corpus/"). Lists the files it does not name: a new file needs
# its line in the tour. A name is matched, not its folder: a second
# config.c is taken as named.
# SPDX-License-Identifier: MIT
TOP=${MF_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$TOP" || exit 1
find filter workers tools tests -type f ! -name '.*' ! -path '*/__pycache__/*' |
    sort |
/usr/bin/python3 -c '
import fnmatch, re, sys
doc = open("docs/internals.md", encoding="utf-8").read()
names, globs, dirs = set(), set(), set()
for t in re.findall(r"[A-Za-z0-9_.*/\[\]-]+", doc):
    t = t.strip(".*")
    if t.endswith("/"):
        dirs.add(t.rstrip("/").split("/")[-1])
        continue
    for x in ([t[:-4] + "c", t[:-4] + "h"] if t.endswith(".[ch]") else [t]):
        if "*" not in x:
            names.add(x)
        elif "/" in x:
            globs.add(x)
missing = []
for path in sys.stdin.read().split():
    parts = path.split("/")
    base = parts[-1]
    if any("/".join(parts[i:]) in names for i in range(len(parts))):
        continue
    if any(fnmatch.fnmatch(base, g) or fnmatch.fnmatch(path, g) or
           fnmatch.fnmatch("/".join(parts[1:]), g) for g in globs):
        continue
    if not re.search(r"\.(c|h|sh|py)$", base) and \
       any(d in parts[1:-1] for d in dirs):
        continue
    missing.append(path)
for m in missing:
    print("docs/internals.md does not name " + m)
if missing:
    print("  hint: add a line for each to the tour, in reading order")
    sys.exit(1)
print("docs/internals.md names every file")
'
