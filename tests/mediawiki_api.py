#!/usr/bin/python3
"""tests/mediawiki_api.py - a wiki's Action API from the tests' shell
scripts (tests/integ/mediawiki.sh), standard library only.

  mediawiki_api.py API edit TITLE TEXT [USER PASSWORD]
      saves TEXT as page TITLE (anonymously, or logged in with a bot
      password) and prints the new revision id
  mediawiki_api.py API tags
      prints {revid: [tags]} of every change in recent changes (JSON)
  mediawiki_api.py API taglog
      prints {revid: {"user", "comment", "added"}} of the tag log (JSON)
  mediawiki_api.py API defined
      prints {tag: active} of the tags made through the API (JSON)
  mediawiki_api.py API deactivate TAG USER PASSWORD
      deactivates change tag TAG, logged in with a bot password
  mediawiki_api.py API undo TITLE REVID USER PASSWORD
      undoes revision REVID of page TITLE (an edit), logged in
  mediawiki_api.py API untag REVID TAG USER PASSWORD
      removes change tag TAG from revision REVID, logged in

USER PASSWORD: a bot password's login, or an account's own (MediaWiki
1.39 still takes it with action=login, with a warning).

Exits 1 with the wiki's error on stderr when it refuses.
"""
import http.cookiejar
import json
import sys
import urllib.parse
import urllib.request


class Api:
    def __init__(self, url):
        self.url = url
        jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar))

    def call(self, post=False, **p):
        p.update(format="json", formatversion="2")
        data = urllib.parse.urlencode(p)
        if post:
            r = self.op.open(self.url, data.encode(), timeout=30)
        else:
            r = self.op.open(self.url + "?" + data, timeout=30)
        a = json.loads(r.read())
        if "error" in a:
            sys.exit("%s: %s: %s" % (p.get("action"), a["error"]["code"],
                                     a["error"].get("info", "")))
        return a

    def token(self, kind):
        return self.call(action="query", meta="tokens", type=kind)[
            "query"]["tokens"][kind + "token"]

    def login(self, user, password):
        a = self.call(True, action="login", lgname=user,
                      lgpassword=password, lgtoken=self.token("login"))
        if a["login"]["result"] != "Success":
            sys.exit("login: %s" % a["login"])

    def all(self, **p):
        """Every item of a list query, following continuation."""
        cont = {}
        while True:
            a = self.call(action="query", **p, **cont)
            yield from a["query"][p["list"]]
            if "continue" not in a:
                return
            cont = a["continue"]


def main(argv):
    api, cmd = Api(argv[1]), argv[2]
    if cmd == "edit":
        if len(argv) > 5:
            api.login(argv[5], argv[6])
        a = api.call(True, action="edit", title=argv[3], text=argv[4],
                     token=api.token("csrf"))
        print(a["edit"]["newrevid"])
    elif cmd == "tags":
        print(json.dumps({str(c["revid"]): c["tags"] for c in api.all(
            list="recentchanges", rcprop="ids|tags", rclimit="max",
            rctype="new|edit")}, sort_keys=True))
    elif cmd == "taglog":
        out = {}
        for e in api.all(list="logevents", letype="tag", lelimit="max",
                         leprop="user|comment|details|ids"):
            p = e.get("params", {})
            out[str(p.get("revid"))] = {"user": e["user"],
                                        "comment": e["comment"],
                                        "added": p.get("tagsAdded", [])}
        print(json.dumps(out, sort_keys=True))
    elif cmd == "defined":
        print(json.dumps({t["name"]: t.get("active", False) for t in api.all(
            list="tags", tgprop="defined|active", tglimit="max")
            if t.get("defined")}, sort_keys=True))
    elif cmd == "undo":
        api.login(argv[5], argv[6])
        a = api.call(True, action="edit", title=argv[3], undo=argv[4],
                     token=api.token("csrf"))
        print(a["edit"]["newrevid"])
    elif cmd == "untag":
        api.login(argv[5], argv[6])
        a = api.call(True, action="tag", revid=argv[3], remove=argv[4],
                     reason="not misinformation", token=api.token("csrf"))
        if a["tag"][0].get("status") != "success":
            sys.exit("tag: %s" % a)
    elif cmd == "deactivate":
        api.login(argv[4], argv[5])
        api.call(True, action="managetags", operation="deactivate",
                 tag=argv[3], token=api.token("csrf"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
