/*
 * mediawiki.c - `medflag mediawiki`: the MediaWiki adapter.
 *
 *   medflag mediawiki [--once] [--timeout MS]
 *
 * The wiki announces each change on its RC feed ($wgRCFeeds with the
 * JSONRCFeedFormatter, one UDP datagram per change, to
 * mediawiki_rc_listen). A datagram is a doorbell, not the change: UDP
 * loses datagrams, and the one the wiki sends carries no page id; so the
 * adapter reads the recent changes after its cursor through the Action
 * API (new pages and edits in mediawiki_namespaces) at each datagram,
 * and every mediawiki_poll_ms without one, which catches up what a lost
 * datagram or a restart missed. For each change it fetches the new and
 * the previous revision's wikitext, judges what the edit added
 * (revdiff.h; a new page whole) through medflagd's check endpoint, and
 * tags a revision whose verdict is flag (or annotate flagged review,
 * with adapter_review) with mediawiki_tag_flag and one
 * whose verdict is hold or block with mediawiki_tag_hold (both made and
 * activated at start if missing), the tag's log reason saying why
 * (claims, rules, matched words, counter-evidence). Patrollers filter
 * Special:RecentChanges by the tags. It logs in with a bot password
 * (Special:BotPasswords) and keeps its session's cookies in memory only.
 *
 * The last change judged (rcid and timestamp; no text) is kept in
 * mediawiki_state_file, so a restart goes on where it stopped; without one
 * it starts from now. A change is passed only once medflagd has judged
 * it: with medflagd down the adapter waits and asks again. Tags go through
 * the outbox (adapter.h), retried while the wiki is down; an expired
 * session or token is renewed. The adapter's own edits are not judged.
 * Never logs post text (nor the feed's edit summaries, which quote it).
 * --once reads what is new, tags, saves the cursor and exits (for cron).
 * SPDX-License-Identifier: MIT
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zmq.h>

#include "adapter.h"
#include "client.h"
#include "httpd.h"
#include "log.h"
#include "normalize.h"
#include "revdiff.h"
#include "wire.h"

#define S_PROG		"medflag mediawiki"
#define S_RESP_MAX	((size_t)32 << 20)	/* bytes of one API answer */
#define S_BODY_MAX	((size_t)900 << 10)	/* bytes judged per revision */
#define S_FETCH		10	/* changes per content query: 20 revids
				 * of the 50 one query may name */
#define S_DGRAM_MAX	65536	/* bytes of one RC feed datagram */
#define S_SEEN		1024	/* reverted revisions remembered */
#define S_OUTCOMES_MS	5000	/* between reads of the patrollers' work */
#define S_REASON_MAX	480			/* a log reason: 500 at most */

typedef struct s_mw {
	mf_config_t	 cfg;
	mf_client_t	*client;	/* over 'cfg' */
	int		 timeout_ms;
	char		*password;
	char		 botname[128];	/* the user its edits are made as */
	CURL		*curl;		/* one handle, one cookie jar */
	char		 csrf[256];
	mf_outbox_t	*outbox;
	/* the cursor: the last change judged */
	long long	 rcid;
	char		 ts[32];	/* 2026-12-02T22:00:00Z */
	int		 cursor_dirty;
	char		 cont[128];	/* rccontinue of a long list */
	long long	 want;		/* the last rcid the feed announced */
	int		 udp;		/* the RC feed's socket; -1: none */
	mf_lograte_t	 bad_dgram;
	char		 forum[600];	/* "mediawiki:API", in redis keys */
	/* the patrollers' outcomes (s_outcomes) */
	long long	 logid;		/* the last tag log entry read */
	char		 logts[32];
	long long	 seen[S_SEEN];	/* reverted revisions looked up: */
	size_t		 nseen, seen_at;	/* a ring, the next slot */
	int64_t		 next_outcomes;	/* monotonic ms */
	unsigned long long judged, skipped, datagrams, outcomes;
} s_mw_t;

/* ---- the Action API ---------------------------------------------------- */

static size_t
s_collect(char *p, size_t size, size_t n, void *arg)
{
	mf_buf_t	*b = arg;
	size_t		 len = size * n;

	if (b->len + len > S_RESP_MAX || mf_buf_append(b, p, len) != 0)
		return 0;		/* libcurl stops with an error */
	return len;
}

/*
 * One API call: 'params' (URL-encoded, without format) by GET, or by POST
 * when 'post'. Returns 0 with the answer in '*root' (an "error" object
 * included: the caller looks), 1 when it may work later (no connection,
 * 5xx, 429, maxlag; '*retry_s' from Retry-After), -1 when it never will;
 * 'why' says which.
 */
static int
s_call(s_mw_t *mw, const char *params, int post, json_t **root,
    long *retry_s, char *why, size_t cap)
{
	mf_buf_t	 b = {0};
	char		*url;
	size_t		 ulen = strlen(mw->cfg.mediawiki_api) +
			    strlen(params) + 64;
	long		 code = 0;
	CURLcode	 cc;
	json_error_t	 jerr;
	json_t		*e;
	int		 rc = 1;

	*root = NULL;
	*retry_s = 0;
	if ((url = malloc(ulen)) == NULL) {
		snprintf(why, cap, "out of memory");
		return 1;
	}
	snprintf(url, ulen, "%s?format=json&formatversion=2%s%s",
	    mw->cfg.mediawiki_api, post ? "" : "&", post ? "" : params);
	curl_easy_setopt(mw->curl, CURLOPT_URL, url);
	curl_easy_setopt(mw->curl, CURLOPT_HTTPGET, 1L);
	if (post)
		curl_easy_setopt(mw->curl, CURLOPT_POSTFIELDS, params);
	curl_easy_setopt(mw->curl, CURLOPT_WRITEFUNCTION, s_collect);
	curl_easy_setopt(mw->curl, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(mw->curl);
	free(url);
	if (cc != CURLE_OK) {
		snprintf(why, cap, "%.200s: %s", mw->cfg.mediawiki_api,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(mw->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		curl_off_t	ra = 0;

		snprintf(why, cap, "the wiki answered HTTP %ld", code);
		if (curl_easy_getinfo(mw->curl, CURLINFO_RETRY_AFTER, &ra) ==
		    CURLE_OK && ra > 0)
			*retry_s = ra > 3600 ? 3600 : (long)ra;
		rc = code == 429 || code >= 500 ? 1 : -1;
		goto out;
	}
	if ((*root = json_loadb(b.data ? b.data : "", b.len, 0, &jerr)) ==
	    NULL || !json_is_object(*root)) {
		snprintf(why, cap, "the wiki's answer is not JSON (%d:%d: %s); "
		    "is mediawiki_api the address of api.php?", jerr.line,
		    jerr.column, jerr.text);
		json_decref(*root);
		*root = NULL;
		rc = -1;
		goto out;
	}
	e = json_object_get(*root, "error");
	if (json_is_object(e) && json_is_string(json_object_get(e, "code")) &&
	    strcmp(json_string_value(json_object_get(e, "code")),
	    "maxlag") == 0) {
		snprintf(why, cap, "the wiki's database lags (maxlag)");
		*retry_s = 5;
		json_decref(*root);
		*root = NULL;
		goto out;
	}
	rc = 0;
out:
	mf_buf_free(&b);
	return rc;
}

/* The API error of 'root' as "code: info" into 'why', and its code into
 * 'code' (S_CODE_MAX bytes) unless NULL; 1 if there is one. */
#define S_CODE_MAX	64
static int
s_api_error(json_t *root, char *why, size_t cap, char *code)
{
	json_t		*e = json_object_get(root, "error");
	const char	*c, *info;

	if (!json_is_object(e))
		return 0;
	c = json_string_value(json_object_get(e, "code"));
	info = json_string_value(json_object_get(e, "info"));
	snprintf(why, cap, "%s: %s", c ? c : "?", info ? info : "");
	if (code != NULL)
		snprintf(code, S_CODE_MAX, "%s", c ? c : "");
	return 1;
}

/* Appends "&name=value" with value URL-encoded. */
static int
s_param(s_mw_t *mw, mf_buf_t *b, const char *name, const char *value)
{
	char	*v = curl_easy_escape(mw->curl, value, 0);
	int	 rc;

	if (v == NULL)
		return -1;
	rc = mf_buf_puts(b, "&") != 0 || mf_buf_puts(b, name) != 0 ||
	    mf_buf_puts(b, "=") != 0 || mf_buf_puts(b, v) != 0 ? -1 : 0;
	curl_free(v);
	return rc;
}

/*
 * One call with the parameters built in 'p' ('built' is 0 when building
 * them ran out of memory), which it frees: s_call, and an answer that
 * holds the wiki's error is a failure too. 0 with the answer in '*root',
 * 1 (later) or -1 (never, or the wiki's error: in 'why', its code in
 * 'code' when not NULL, S_CODE_MAX bytes, "" for another failure).
 */
static int
s_api(s_mw_t *mw, int built, mf_buf_t *p, int post, json_t **root,
    long *retry_s, char *why, size_t cap, char *code)
{
	long	ra;
	int	r;

	*root = NULL;
	if (code != NULL)
		code[0] = '\0';
	if (!built || mf_buf_append(p, "", 1) != 0) {
		mf_buf_free(p);
		snprintf(why, cap, "out of memory");
		return 1;
	}
	r = s_call(mw, p->data, post, root, retry_s ? retry_s : &ra, why,
	    cap);
	mf_buf_free(p);
	if (r != 0)
		return r;
	if (s_api_error(*root, why, cap, code)) {
		json_decref(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

/* A token of 'type' ("login", "csrf") into 'out'. 0, 1 or -1 (s_call). */
static int
s_token(s_mw_t *mw, const char *type, char *out, size_t outcap, char *why,
    size_t cap)
{
	mf_buf_t	 p = {0};
	char		 key[32];
	json_t		*root;
	const char	*t;
	int		 r;

	if ((r = s_api(mw, mf_buf_printf(&p, "action=query&meta=tokens"
	    "&type=%s", type) == 0, &p, 0, &root, NULL, why, cap,
	    NULL)) != 0)
		return r;
	snprintf(key, sizeof(key), "%stoken", type);
	t = json_string_value(json_object_get(json_object_get(json_object_get(
	    root, "query"), "tokens"), key));
	if (t == NULL) {
		snprintf(why, cap, "no %s token in the answer", type);
		json_decref(root);
		return -1;
	}
	snprintf(out, outcap, "%s", t);
	json_decref(root);
	return 0;
}

/* Logs in and fetches a CSRF token. 0, 1 (later) or -1 (never). */
static int
s_login(s_mw_t *mw, char *why, size_t cap)
{
	char		 tok[256];
	mf_buf_t	 p = {0};
	json_t		*root;
	const char	*result, *reason;
	int		 r;

	if ((r = s_token(mw, "login", tok, sizeof(tok), why, cap)) != 0)
		return r;
	if ((r = s_api(mw, mf_buf_puts(&p, "action=login") == 0 &&
	    s_param(mw, &p, "lgname", mw->cfg.mediawiki_user) == 0 &&
	    s_param(mw, &p, "lgpassword", mw->password) == 0 &&
	    s_param(mw, &p, "lgtoken", tok) == 0, &p, 1, &root, NULL, why,
	    cap, NULL)) != 0)
		return r;
	result = json_string_value(json_object_get(json_object_get(root,
	    "login"), "result"));
	reason = json_string_value(json_object_get(json_object_get(root,
	    "login"), "reason"));
	if (result == NULL || strcmp(result, "Success") != 0) {
		snprintf(why, cap, "login as %s: %s%s%s",
		    mw->cfg.mediawiki_user, result ? result : "no answer",
		    reason ? ": " : "", reason ? reason : "");
		json_decref(root);
		return -1;
	}
	json_decref(root);
	return s_token(mw, "csrf", mw->csrf, sizeof(mw->csrf), why, cap);
}

/*
 * Whether change tag 'tag' is known to the wiki (defined, or still on
 * revisions after it was deactivated) and active, from list=tags: 0, 1
 * (later) or -1.
 */
static int
s_tag_state(s_mw_t *mw, const char *tag, int *known, int *active,
    char *why, size_t cap)
{
	char	 cont[256] = "";
	int	 r;

	*known = *active = 0;
	do {
		mf_buf_t	 p = {0};
		json_t		*root, *t, *c;
		size_t		 i;

		if ((r = s_api(mw, mf_buf_puts(&p, "action=query&list=tags"
		    "&tglimit=max&tgprop=active") == 0 && (cont[0] == '\0' ||
		    s_param(mw, &p, "tgcontinue", cont) == 0), &p, 0, &root,
		    NULL, why, cap, NULL)) != 0)
			return r;
		json_array_foreach(json_object_get(json_object_get(root,
		    "query"), "tags"), i, t) {
			const char *name = json_string_value(json_object_get(t,
			    "name"));

			if (name != NULL && strcmp(name, tag) == 0) {
				*known = 1;
				*active = json_is_true(json_object_get(t,
				    "active"));
			}
		}
		c = json_object_get(json_object_get(root, "continue"),
		    "tgcontinue");
		snprintf(cont, sizeof(cont), "%s", json_is_string(c) ?
		    json_string_value(c) : "");
		json_decref(root);
	} while (cont[0] != '\0');
	return 0;
}

/*
 * Makes change tag 'tag' exist and be active (action=managetags): made
 * when the wiki does not know it, activated when it is not active (a
 * deactivated tag is no longer "defined" but stays known while revisions
 * carry it, and cannot be made again). 0, 1 (later) or -1 (never: the
 * bot password may not manage tags; 'why' says so).
 */
static int
s_tag_ensure(s_mw_t *mw, const char *tag, char *why, size_t cap)
{
	const char	*op;
	mf_buf_t	 p = {0};
	json_t		*root;
	int		 r, known, active;

	if ((r = s_tag_state(mw, tag, &known, &active, why, cap)) != 0)
		return r;
	if (active)
		return 0;
	op = known ? "activate" : "create";
	r = s_api(mw, mf_buf_puts(&p, "action=managetags&ignorewarnings=1") ==
	    0 && s_param(mw, &p, "operation", op) == 0 &&
	    s_param(mw, &p, "tag", tag) == 0 &&
	    s_param(mw, &p, "reason", "medflag: possible health "
	    "misinformation; the tag's log reason says which claim") == 0 &&
	    s_param(mw, &p, "token", mw->csrf) == 0, &p, 1, &root, NULL, why,
	    cap, NULL);
	if (r < 0)
		snprintf(why + strlen(why), cap - strlen(why), " (%s change "
		    "tag %s)", op, tag);
	if (r != 0)
		return r;
	json_decref(root);
	mf_log_info("change tag %s %s", tag, known ? "activated" :
	    "created");
	/* MediaWiki refreshes its cached list of tags after the request
	 * that changed it ends (a deferred update): until then applying the
	 * tag is refused as "badtags". Wait until the wiki says it is
	 * active, up to 5 s. */
	for (int i = 0; i < 50; i++) {
		struct timespec	ts = { 0, 100000000L };

		if (s_tag_state(mw, tag, &known, &active, why, cap) != 0 ||
		    active)
			break;
		nanosleep(&ts, NULL);
	}
	if (!active)
		mf_log_warn("change tag %s: not listed as active yet; "
		    "tagging may be refused for a while", tag);
	why[0] = '\0';
	return 0;
}

/* ---- tagging: the outbox's action ------------------------------------- */

static int
s_tag(void *arg, mf_outbox_item_t *it, long *retry_s, char *why,
    size_t cap)
{
	s_mw_t		*mw = arg;
	const char	*tag = it->hide ? mw->cfg.mediawiki_tag_hold :
			    mw->cfg.mediawiki_tag_flag, *st;
	mf_buf_t	 p = {0};
	json_t		*root, *t;
	char		 rev[32], code[S_CODE_MAX];
	int		 r;

	snprintf(rev, sizeof(rev), "%lld", it->id);
	r = s_api(mw, mf_buf_puts(&p, "action=tag&assert=user") == 0 &&
	    s_param(mw, &p, "revid", rev) == 0 &&
	    s_param(mw, &p, "add", tag) == 0 &&
	    s_param(mw, &p, "reason", it->reason) == 0 &&
	    s_param(mw, &p, "token", mw->csrf) == 0, &p, 1, &root, retry_s,
	    why, cap, code);
	if (r > 0 || (r < 0 && code[0] == '\0'))
		return r;
	if (r < 0) {
		if (strcmp(code, "badtoken") == 0 ||
		    strcmp(code, "assertuserfailed") == 0 ||
		    strcmp(code, "assertbotfailed") == 0) {
			/* The session expired: log in again, then retry. */
			char	w2[300];

			if (s_login(mw, w2, sizeof(w2)) != 0)
				snprintf(why + strlen(why), cap - strlen(why),
				    "; logging in again: %s", w2);
			return 1;
		}
		return -1;
	}
	t = json_array_get(json_object_get(root, "tag"), 0);
	st = json_string_value(json_object_get(t, "status"));
	if (st != NULL && strcmp(st, "success") == 0) {
		snprintf(why, cap, "%s %s", json_is_true(json_object_get(t,
		    "noop")) ? "already tagged" : "tagged", tag);
		json_decref(root);
		return 0;
	}
	snprintf(why, cap, "the wiki did not tag it: %s",
	    json_string_value(json_object_get(json_array_get(json_object_get(t,
	    "errors"), 0), "text")) ? json_string_value(json_object_get(
	    json_array_get(json_object_get(t, "errors"), 0), "text")) :
	    "no reason given");
	json_decref(root);
	return -1;
}

/* ---- the cursor ------------------------------------------------------- */

static void
s_cursor_now(s_mw_t *mw)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(mw->ts, sizeof(mw->ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	mw->rcid = 0;
}

/* Reads "RCID TIMESTAMP" from the state file; 0 (read or no file yet) or
 * -1 (a file that is not one). */
static int
s_cursor_load(s_mw_t *mw)
{
	const char	*path = mw->cfg.mediawiki_state_file;
	FILE		*fp;
	char		 ts[32];
	long long	 rcid;
	int		 n;

	s_cursor_now(mw);
	if (path[0] == '\0' || (fp = fopen(path, "r")) == NULL)
		return 0;
	n = fscanf(fp, "%lld %31s", &rcid, ts);
	fclose(fp);
	if (n != 2 || rcid < 0 || strlen(ts) != 20 || ts[19] != 'Z') {
		fprintf(stderr, "%s:1:1: error: not a cursor of medflag "
		    "mediawiki\n  hint: it holds \"RCID TIMESTAMP\", as \"1234 "
		    "2026-12-02T22:00:00Z\"; remove it to start from now\n",
		    path);
		return -1;
	}
	mw->rcid = rcid;
	snprintf(mw->ts, sizeof(mw->ts), "%s", ts);
	return 0;
}

static void
s_cursor_save(s_mw_t *mw)
{
	const char	*path = mw->cfg.mediawiki_state_file;
	char		 tmp[1100];
	FILE		*fp;

	if (path[0] == '\0' || !mw->cursor_dirty)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL ||
	    fprintf(fp, "%lld %s\n", mw->rcid, mw->ts) < 0 ||
	    fclose(fp) != 0 || rename(tmp, path) != 0) {
		mf_log_warn("mediawiki_state_file %s: the cursor is not "
		    "saved", path);
		return;
	}
	mw->cursor_dirty = 0;
}

/* ---- judging ---------------------------------------------------------- */

/* One recent change to judge. */
typedef struct s_change {
	long long	 rcid, revid, oldrevid, pageid;
	char		 ts[32];
	const char	*title;		/* BORROWS the answer */
} s_change_t;

/* The wikitext of revision 'revid' in a prop=revisions answer. */
static const char *
s_content(json_t *root, long long revid)
{
	json_t	*pages = json_object_get(json_object_get(root, "query"),
		    "pages");
	size_t	 i, k;
	json_t	*pg, *rv;

	json_array_foreach(pages, i, pg) {
		json_array_foreach(json_object_get(pg, "revisions"), k, rv) {
			json_t	*c;

			if (json_integer_value(json_object_get(rv, "revid")) !=
			    revid)
				continue;
			c = json_object_get(json_object_get(json_object_get(rv,
			    "slots"), "main"), "content");
			if (c == NULL)
				c = json_object_get(rv, "content");
			return json_string_value(c);
		}
	}
	return NULL;
}

/* The revision's page: index.php beside api.php. */
static void
s_page_url(const s_mw_t *mw, long long revid, char *url, size_t cap)
{
	const char	*api = mw->cfg.mediawiki_api;
	size_t		 n = strlen(api);

	if (n >= 7 && strcmp(api + n - 7, "api.php") == 0)
		snprintf(url, cap, "%.*sindex.php?oldid=%lld", (int)(n - 7),
		    api, revid);
	else
		snprintf(url, cap, "%s?oldid=%lld", api, revid);
}

/*
 * Judges one change: what it added to 'old' (NULL for a new page) through
 * check, a tag queued when the verdict says so. Returns 0 (judged, or
 * nothing to judge), or -1 when medflagd did not answer (the change stays
 * unjudged).
 */
static int
s_judge(s_mw_t *mw, const s_change_t *ch, const char *cur, const char *old)
{
	char		 num[32], url[800], why[600];
	size_t		 len;
	mf_post_t	*post;
	mf_verdict_t	*v;
	mf_buf_t	 mp = {0}, vb = {0}, added = {0};
	mf_err_t	 err = {0};

	if (mf_revdiff_added(old, old ? strlen(old) : 0, cur, strlen(cur),
	    &added) != 0)
		return -1;
	if ((len = added.len) == 0) {
		mf_log_debug("revision %lld: adds no line; not judged",
		    ch->revid);
		mf_buf_free(&added);
		mw->skipped++;
		return 0;
	}
	if (len > S_BODY_MAX)
		len = mf_utf8_cut(added.data, len, S_BODY_MAX);
	snprintf(num, sizeof(num), "%lld", ch->pageid);
	post = mf_post_new_len(num, added.data, len);
	mf_buf_free(&added);
	if (post == NULL)
		return -1;
	post->body_format = MF_FMT_WIKITEXT;
	snprintf(num, sizeof(num), "%lld", ch->revid);
	(void)mf_verdict_set_str(&post->revision, num);
	post->revision_is_int = 1;
	(void)mf_verdict_set_str(&post->instance, mw->cfg.mediawiki_api);
	(void)mf_verdict_set_str(&post->title, ch->title);
	(void)mf_verdict_set_str(&post->thread_id, ch->title);
	s_page_url(mw, ch->revid, url, sizeof(url));
	(void)mf_verdict_set_str(&post->url, url);
	if (mf_wire_encode_post(post, &mp, &err) != 0) {
		mf_log_warnx("revision %lld: %s; skipped", ch->revid, err.msg);
		mf_post_destroy(&post);
		mw->skipped++;
		return 0;
	}
	if (mf_client_check_one(mw->client, mw->cfg.check, mp.data,
	    mp.len,
	    mw->timeout_ms, &vb, why, sizeof(why)) != 0) {
		mf_log_warnx("revision %lld: %s; asking again later",
		    ch->revid, why);
		mf_post_destroy(&post);
		mf_buf_free(&mp);
		mf_buf_free(&vb);
		return -1;
	}
	mf_buf_free(&mp);
	v = mf_wire_decode_verdict(vb.data, vb.len, &err);
	mf_buf_free(&vb);
	mw->judged++;
	/* A duplicate (judged before a restart whose tag may not have been
	 * applied) is tagged again: action=tag of a tag already there is a
	 * no-op the wiki reports as such. */
	if (v != NULL && mf_adapter_raises(&mw->cfg, v) &&
	    mf_outbox_put(mw->outbox, ch->revid, v->action >= MF_ACT_HOLD, 0,
	    v, post->body, post->body_len) == 0)
		(void)mf_adapter_acted(&mw->cfg, mw->forum, ch->revid, v);
	mf_verdict_destroy(&v);
	mf_post_destroy(&post);
	return 0;
}

/* Fetches the text of changes[0..n) and judges them in order, moving the
 * cursor past each. Returns 0, or -1 to stop here for now. */
static int
s_judge_batch(s_mw_t *mw, const s_change_t *chs, size_t n)
{
	mf_buf_t	 p = {0};
	json_t		*root = NULL;
	char		 why[600];
	int		 built;

	built = mf_buf_puts(&p, "action=query&prop=revisions"
	    "&rvprop=ids%7Ccontent&rvslots=main&revids=") == 0;
	for (size_t i = 0; built && i < n; i++)
		built = mf_buf_printf(&p, "%s%lld", i ? "%7C" : "",
		    chs[i].revid) == 0 && (chs[i].oldrevid <= 0 ||
		    mf_buf_printf(&p, "%%7C%lld", chs[i].oldrevid) == 0);
	if (s_api(mw, built, &p, 0, &root, NULL, why, sizeof(why),
	    NULL) != 0) {
		mf_log_warnx("reading revisions: %s", why);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char	*text = s_content(root, chs[i].revid);
		const char	*old = chs[i].oldrevid > 0 ? s_content(root,
				    chs[i].oldrevid) : NULL;

		/* Deleted or hidden since: nothing to judge. (An old
		 * revision hidden since: the whole text is judged.) */
		if (text != NULL && s_judge(mw, &chs[i], text, old) != 0) {
			json_decref(root);
			return -1;
		}
		if (text == NULL)
			mw->skipped++;
		mw->rcid = chs[i].rcid;
		snprintf(mw->ts, sizeof(mw->ts), "%s", chs[i].ts);
		mw->cursor_dirty = 1;
	}
	json_decref(root);
	return 0;
}

/*
 * One pass over the recent changes after the cursor. Returns 1 when more
 * are waiting (go on at once), 0 when all were judged, -1 on a problem
 * (logged; try again after the poll interval).
 */
static int
s_poll(s_mw_t *mw)
{
	mf_buf_t	 p = {0};
	json_t		*root = NULL, *rc;
	s_change_t	 chs[S_FETCH];
	size_t		 n = 0, i;
	char		 why[600];
	int		 more;

	if (s_api(mw, mf_buf_puts(&p, "action=query&list=recentchanges"
	    "&rcdir=newer&rcprop=ids%7Ctitle%7Cuser%7Ctimestamp"
	    "&rctype=new%7Cedit&rclimit=50") == 0 &&
	    s_param(mw, &p, "rcnamespace", mw->cfg.mediawiki_namespaces) ==
	    0 && s_param(mw, &p, "rcstart", mw->ts) == 0 &&
	    (mw->cont[0] == '\0' || s_param(mw, &p, "rccontinue",
	    mw->cont) == 0), &p, 0, &root, NULL, why, sizeof(why),
	    NULL) != 0) {
		mf_log_warnx("reading recent changes: %s", why);
		return -1;
	}
	/* More than one answer's worth: the next pass continues this list
	 * (changes in one second can outnumber rclimit). */
	mw->cont[0] = '\0';
	if (json_is_string(json_object_get(json_object_get(root, "continue"),
	    "rccontinue")))
		snprintf(mw->cont, sizeof(mw->cont), "%s", json_string_value(
		    json_object_get(json_object_get(root, "continue"),
		    "rccontinue")));
	more = mw->cont[0] != '\0';
	json_array_foreach(json_object_get(json_object_get(root, "query"),
	    "recentchanges"), i, rc) {
		const char	*user = json_string_value(json_object_get(rc,
				    "user"));
		const char	*ts = json_string_value(json_object_get(rc,
				    "timestamp"));
		long long	 rcid = json_integer_value(json_object_get(rc,
				    "rcid"));

		if (rcid <= mw->rcid || ts == NULL)
			continue;		/* judged already */
		if (user != NULL && strcmp(user, mw->botname) == 0) {
			mw->rcid = rcid;	/* its own edit */
			snprintf(mw->ts, sizeof(mw->ts), "%s", ts);
			mw->cursor_dirty = 1;
			continue;
		}
		chs[n].rcid = rcid;
		chs[n].revid = json_integer_value(json_object_get(rc, "revid"));
		chs[n].oldrevid = json_integer_value(json_object_get(rc,
		    "old_revid"));
		chs[n].pageid = json_integer_value(json_object_get(rc,
		    "pageid"));
		chs[n].title = json_string_value(json_object_get(rc, "title"));
		snprintf(chs[n].ts, sizeof(chs[n].ts), "%s", ts);
		if (++n == S_FETCH) {
			if (s_judge_batch(mw, chs, n) != 0) {
				/* Again from the cursor. */
				mw->cont[0] = '\0';
				json_decref(root);
				return -1;
			}
			n = 0;
			mf_outbox_run(mw->outbox);
		}
	}
	if (n > 0 && s_judge_batch(mw, chs, n) != 0) {
		mw->cont[0] = '\0';
		json_decref(root);
		return -1;
	}
	json_decref(root);
	return more;
}

/* ---- the patrollers' outcomes ---------------------------------------- */

/* 1 if 'tags' (a JSON array of names) holds one of the adapter's tags. */
static int
s_ours(const s_mw_t *mw, json_t *tags)
{
	size_t	 i;
	json_t	*t;

	json_array_foreach(tags, i, t)
		if (json_is_string(t) && (strcmp(json_string_value(t),
		    mw->cfg.mediawiki_tag_flag) == 0 ||
		    strcmp(json_string_value(t), mw->cfg.mediawiki_tag_hold) ==
		    0))
			return 1;
	return 0;
}

/* Records one outcome on revision 'revid' and logs it. */
static void
s_outcome(s_mw_t *mw, long long revid, int agreed, const char *by,
    const char *what)
{
	char	why[600];
	int	r;

	r = mf_adapter_outcome(&mw->cfg, mw->forum, revid, agreed, by, why,
	    sizeof(why));
	if (r > 0) {
		mw->outcomes++;
		mf_log_info("revision %lld: %s: %s", revid, what, why);
	} else if (r < 0)
		mf_log_warnx("revision %lld: %s, not counted: %s", revid, what,
		    why);
}

/*
 * What patrollers did with the tagged revisions. A revision MediaWiki
 * tagged mw-reverted (an undo, a rollback, or an edit restoring an
 * earlier text) counts as agreed: the edit was taken back. One of the
 * adapter's tags removed by someone else (action=tag, or
 * Special:EditTags; the tag log) counts as overturned, by that user.
 * Each outcome counts once (mf_adapter_outcome takes the record).
 * Reverted revisions are read newest first, 100 at a time: a revert of
 * an edit older than the newest 100 reverted ones is not seen.
 */
static void
s_outcomes(s_mw_t *mw)
{
	mf_buf_t	 p = {0};
	json_t		*root = NULL, *e;
	char		 why[600];
	size_t		 i;

	if (s_api(mw, mf_buf_puts(&p, "action=query&list=recentchanges"
	    "&rctag=mw-reverted&rcprop=ids%7Ctags&rclimit=100") == 0 &&
	    s_param(mw, &p, "rcnamespace", mw->cfg.mediawiki_namespaces) ==
	    0, &p, 0, &root, NULL, why, sizeof(why), NULL) != 0) {
		mf_log_warnx("reading reverted changes: %s", why);
		goto log;
	}
	json_array_foreach(json_object_get(json_object_get(root, "query"),
	    "recentchanges"), i, e) {
		long long	revid = json_integer_value(json_object_get(e,
				    "revid"));
		size_t		k;

		if (!s_ours(mw, json_object_get(e, "tags")))
			continue;
		for (k = 0; k < mw->nseen && mw->seen[k] != revid; k++)
			;
		if (k < mw->nseen)
			continue;
		mw->seen[mw->seen_at] = revid;
		mw->seen_at = (mw->seen_at + 1) % S_SEEN;
		if (mw->nseen < S_SEEN)
			mw->nseen++;
		s_outcome(mw, revid, 1, NULL, "reverted");
	}
log:
	json_decref(root);
	if (s_api(mw, mf_buf_puts(&p, "action=query&list=logevents"
	    "&letype=tag&ledir=newer&lelimit=100"
	    "&leprop=ids%7Cuser%7Cdetails%7Ctimestamp") == 0 &&
	    s_param(mw, &p, "lestart", mw->logts) == 0, &p, 0, &root, NULL,
	    why, sizeof(why), NULL) != 0) {
		mf_log_warnx("reading the tag log: %s", why);
		return;
	}
	json_array_foreach(json_object_get(json_object_get(root, "query"),
	    "logevents"), i, e) {
		long long	 id = json_integer_value(json_object_get(e,
				    "logid"));
		const char	*user = json_string_value(json_object_get(e,
				    "user"));
		const char	*ts = json_string_value(json_object_get(e,
				    "timestamp"));
		json_t		*par = json_object_get(e, "params");
		char		 what[300];

		if (id <= mw->logid)
			continue;
		mw->logid = id;
		if (ts != NULL)
			snprintf(mw->logts, sizeof(mw->logts), "%s", ts);
		if (user == NULL || strcmp(user, mw->botname) == 0 ||
		    !s_ours(mw, json_object_get(par, "tagsRemoved")))
			continue;
		snprintf(what, sizeof(what), "%s removed its tag", user);
		s_outcome(mw, json_integer_value(json_object_get(par,
		    "revid")), 0, user, what);
	}
	json_decref(root);
}

/* ---- the RC feed ------------------------------------------------------ */

/* 1 if namespace 'ns' is one of mediawiki_namespaces ("0|1|4"). */
static int
s_ns_judged(const s_mw_t *mw, long long ns)
{
	const char	*p = mw->cfg.mediawiki_namespaces;
	char		*end;

	for (;; p = end + 1) {
		if (strtoll(p, &end, 10) == ns && end != p)
			return 1;
		if (*end != '|')
			return 0;
	}
}

/* mediawiki_namespaces is numbers joined by '|': 0, or -1 said. */
static int
s_ns_check(const char *list)
{
	const char	*p = list;

	while (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '|' && p[1] >= '0' && p[1] <= '9')
			p++;
	}
	if (*p == '\0' && p != list)
		return 0;
	fprintf(stderr, "%s: mediawiki_namespaces %s: at column %d, give "
	    "namespace numbers joined by |\n  hint: as mediawiki_namespaces "
	    "0|4 (articles and the project's pages)\n", S_PROG, list,
	    (int)(p - list) + 1);
	return -1;
}

/* A UDP socket bound to mediawiki_rc_listen (non-blocking); -1 said. */
static int
s_feed_open(const s_mw_t *mw)
{
	struct sockaddr_in	sa;
	int			fd;

	if (mf_httpd_addr(S_PROG, "mediawiki_rc_listen",
	    mw->cfg.mediawiki_rc_listen, &sa) != 0)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "%s: mediawiki_rc_listen %s: %s\n  hint: "
		    "another program has this UDP port, or the address is not "
		    "this host's\n", S_PROG, mw->cfg.mediawiki_rc_listen,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads every datagram waiting on the feed. One that announces an edit
 * or a new page in mediawiki_namespaces by another user raises mw->want
 * to its rcid: the recent changes are read until the cursor reaches it.
 * Anyone on the network can send a datagram, and all it can do is make
 * the adapter read recent changes: what is judged comes from the API.
 */
static void
s_feed_read(s_mw_t *mw)
{
	char			*buf = malloc(S_DGRAM_MAX);
	struct sockaddr_in	 from;
	socklen_t		 flen;
	ssize_t			 n;

	if (buf == NULL)
		return;
	for (;;) {
		json_t		*root, *id;
		json_error_t	 jerr;
		const char	*type, *user;
		char		 addr[INET_ADDRSTRLEN];

		flen = sizeof(from);
		if ((n = recvfrom(mw->udp, buf, S_DGRAM_MAX, 0,
		    (struct sockaddr *)&from, &flen)) < 0)
			break;
		mw->datagrams++;
		root = json_loadb(buf, (size_t)n, 0, &jerr);
		id = json_object_get(root, "id");
		type = json_string_value(json_object_get(root, "type"));
		if (!json_is_object(root) || type == NULL) {
			inet_ntop(AF_INET, &from.sin_addr, addr, sizeof(addr));
			mf_log_rated(&mw->bad_dgram, MF_LOG_WARN, "RC feed: "
			    "datagram from %s:%d is not a change of "
			    "JSONRCFeedFormatter (%s); ignored; hint: in "
			    "LocalSettings.php, $wgRCFeeds[...] = [ "
			    "'formatter' => 'JSONRCFeedFormatter', 'uri' => "
			    "'udp://%s' ]", addr, ntohs(from.sin_port),
			    root == NULL ? jerr.text : "no \"type\"",
			    mw->cfg.mediawiki_rc_listen);
			json_decref(root);
			continue;
		}
		/* A log entry published without a row in recent changes
		 * (a tag added) has no integer id: nothing to read. */
		user = json_string_value(json_object_get(root, "user"));
		if (json_is_integer(id) && (strcmp(type, "edit") == 0 ||
		    strcmp(type, "new") == 0) && s_ns_judged(mw,
		    json_integer_value(json_object_get(root, "namespace"))) &&
		    (user == NULL || strcmp(user, mw->botname) != 0) &&
		    json_integer_value(id) > mw->want)
			mw->want = json_integer_value(id);
		json_decref(root);
	}
	free(buf);
}

/* ---- setup ------------------------------------------------------------ */

/* Checks the settings and reads the bot password: 0, or -1 said. */
static int
s_setup(s_mw_t *mw)
{
	char	*at;

	if (strncmp(mw->cfg.mediawiki_api, "https://", 8) != 0 &&
	    strncmp(mw->cfg.mediawiki_api, "http://", 7) != 0) {
		fprintf(stderr, "%s: mediawiki_api is %s\n  hint: set it in "
		    "medflag.conf to the wiki's api.php, as mediawiki_api "
		    "https://wiki.example.org/w/api.php\n", S_PROG,
		    mw->cfg.mediawiki_api[0] ? mw->cfg.mediawiki_api :
		    "not set");
		return -1;
	}
	if (mw->cfg.mediawiki_user[0] == '\0') {
		fprintf(stderr, "%s: mediawiki_user is not set\n  hint: the "
		    "login name of a bot password, as Medflag@medflag\n",
		    S_PROG);
		return -1;
	}
	if (s_ns_check(mw->cfg.mediawiki_namespaces) != 0)
		return -1;
	/* Edits show the account name, without the bot password's part;
	 * the wiki writes its first letter in capitals. */
	snprintf(mw->botname, sizeof(mw->botname), "%s",
	    mw->cfg.mediawiki_user);
	if ((at = strchr(mw->botname, '@')) != NULL)
		*at = '\0';
	if (mw->botname[0] >= 'a' && mw->botname[0] <= 'z')
		mw->botname[0] -= 'a' - 'A';
	if (s_cursor_load(mw) != 0)
		return -1;
	snprintf(mw->logts, sizeof(mw->logts), "%s", mw->ts);
	mw->password = mf_adapter_secret(S_PROG, "mediawiki_password_file",
	    mw->cfg.mediawiki_password_file, "a bot password made at "
	    "Special:BotPasswords (grants: basic rights, edit existing pages "
	    "to tag revisions, and one with managechangetags to make the "
	    "tags)");
	return mw->password != NULL ? 0 : -1;
}

/*
 * The loop: reads the recent changes at start, at each datagram of the
 * feed that announces a change after the cursor, and every
 * mediawiki_poll_ms; performs the tags as they fall due. The wiki may
 * send a datagram before the change is readable through the API (the
 * feed is not part of the database's transaction), so a change announced
 * and not yet listed is asked for again after S_ANNOUNCED_MS, up to
 * S_ANNOUNCED_TRIES times.
 */
#define S_ANNOUNCED_MS		200
#define S_ANNOUNCED_TRIES	10
static void
s_run(s_mw_t *mw, int once)
{
	int64_t		next = 0;
	int		tries = 0;

	while (!mf_client_stop) {
		int64_t		now = mf_now_ms();
		struct pollfd	pf = { mw->udp, POLLIN, 0 };
		int		r, wait;

		if (!once && now >= mw->next_outcomes) {
			s_outcomes(mw);
			mw->next_outcomes = now + S_OUTCOMES_MS;
		}
		if (now >= next) {
			r = s_poll(mw);
			mf_outbox_run(mw->outbox);
			s_cursor_save(mw);
			if (r > 0)
				continue;
			if (once)
				break;
			next = now + mw->cfg.mediawiki_poll_ms;
			if (mw->want > mw->rcid && r == 0 &&
			    ++tries <= S_ANNOUNCED_TRIES)
				next = now + S_ANNOUNCED_MS;
			else if (mw->want > mw->rcid) {
				mf_log_debug("RC feed: change %lld is not "
				    "listed; reading again in %d ms",
				    mw->want, mw->cfg.mediawiki_poll_ms);
				mw->want = 0;
			}
		}
		wait = next - now > 50 ? 50 : (int)(next - now);
		if (mw->udp != -1 && poll(&pf, 1, wait > 0 ? wait : 0) > 0) {
			s_feed_read(mw);
			if (mw->want > mw->rcid) {
				next = 0;
				tries = 0;
			}
		} else if (mw->udp == -1 && wait > 0) {
			struct timespec	ts = { 0, (long)wait * 1000000L };

			nanosleep(&ts, NULL);
		}
		mf_outbox_run(mw->outbox);
		mf_log_rated_tick(&mw->bad_dgram);
	}
}

int
mf_cmd_mediawiki(int argc, char **argv, const mf_cli_t *cli)
{
	s_mw_t			 mw;
	mf_client_t		 cl = {0};
	mf_outbox_counts_t	 oc;
	char			 why[600];
	int			 once = 0, rc = 1, r;
	void			*probe;

	memset(&mw, 0, sizeof(mw));
	mw.timeout_ms = 10000;
	mw.udp = -1;
	mw.bad_dgram = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (mf_cli_ms(S_PROG, argv[i], argv[i + 1],
			    &mw.timeout_ms) != 0)
				return 2;
			i++;
		} else {
			fprintf(stderr, "usage: medflag mediawiki [--once] "
			    "[--timeout MS]\n");
			return 2;
		}
	}
	if (mf_client_config(cli, &mw.cfg) == -1)
		return 1;
	mf_log_init("medflag-mediawiki", mw.cfg.log_level);
	(void)mf_log_set_sink(mw.cfg.log);
	if (s_setup(&mw) != 0)
		goto out;
	/* --once reads the list, not the feed (a daemon may hold its
	 * port). */
	if (!once && mw.cfg.mediawiki_rc_listen[0] != '\0' &&
	    (mw.udp = s_feed_open(&mw)) == -1)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (mw.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "%s: libcurl did not start\n", S_PROG);
		goto out;
	}
	curl_easy_setopt(mw.curl, CURLOPT_COOKIEFILE, "");	/* in memory */
	curl_easy_setopt(mw.curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(mw.curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(mw.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(mw.curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(mw.curl, CURLOPT_USERAGENT, "medflag-mediawiki/1 "
	    "(health misinformation tags for patrollers)");
	mw.client = &cl;
	if (mf_client_init(&cl, &mw.cfg) == -1 || (probe =
	    mf_client_socket(&cl, ZMQ_DEALER, mw.cfg.check)) == NULL)
		goto out;
	zmq_close(probe);
	if ((mw.outbox = mf_outbox_new(S_PROG, "revision", "the tags must "
	    "exist and be active at Special:Tags, and the bot password needs "
	    "the grant to edit existing pages (it holds applychangetags)",
	    &mw.cfg, S_REASON_MAX, s_tag, &mw)) == NULL)
		goto out;
	snprintf(mw.forum, sizeof(mw.forum), "mediawiki:%s",
	    mw.cfg.mediawiki_api);
	(void)mf_outbox_keep(mw.outbox, mw.forum);	/* -1: logged */
	mf_client_catch_signals();
	if ((r = s_login(&mw, why, sizeof(why))) != 0) {
		fprintf(stderr, "%s: %s\n  hint: %s\n", S_PROG, why, r < 0 ?
		    "check mediawiki_user and the bot password (made at "
		    "Special:BotPasswords)" : "is the wiki up?");
		goto out;
	}
	if ((r = s_tag_ensure(&mw, mw.cfg.mediawiki_tag_flag, why,
	    sizeof(why))) != 0 || (r = s_tag_ensure(&mw,
	    mw.cfg.mediawiki_tag_hold, why, sizeof(why))) != 0) {
		fprintf(stderr, "%s: %s\n  hint: %s\n", S_PROG, why, r < 0 ?
		    "an administrator makes the tags at Special:Tags, or "
		    "LocalSettings.php gives bot passwords a grant with the "
		    "right managechangetags (docs/adapters.md)" :
		    "is the wiki up?");
		goto out;
	}
	mf_log_info("logged in to %s as %s; judging changes after %s (%s%s)",
	    mw.cfg.mediawiki_api, mw.botname, mw.ts, mw.udp != -1 ?
	    "RC feed on udp://" : "polling", mw.udp != -1 ?
	    mw.cfg.mediawiki_rc_listen : "");
	s_run(&mw, once);
	mf_outbox_stop(mw.outbox, once ? 60000 : 10000);
	s_cursor_save(&mw);
	mf_outbox_counts(mw.outbox, &oc);
	mf_log_info("stopped: %llu judged, %llu tagged %s (%llu for review), "
	    "%llu tagged %s, %llu failed; %llu outcomes; %llu datagrams; "
	    "cursor %lld %s", mw.judged, oc.done - oc.hidden,
	    mw.cfg.mediawiki_tag_flag, oc.review, oc.hidden,
	    mw.cfg.mediawiki_tag_hold, oc.failed, mw.outcomes,
	    mw.datagrams, mw.rcid, mw.ts);
	rc = 0;
out:
	mf_outbox_destroy(&mw.outbox);
	if (mw.curl != NULL)
		curl_easy_cleanup(mw.curl);
	curl_global_cleanup();
	mf_client_term(&cl);
	if (mw.udp != -1)
		close(mw.udp);
	if (mw.password != NULL) {
		memset(mw.password, 0, strlen(mw.password));
		free(mw.password);
	}
	return rc;
}
