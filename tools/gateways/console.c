/*
 * console.c - the web console's pages and JSON (console.h):
 *
 *   GET  /ui/, /ui/FILE        the pages (the console_ui folder)
 *   GET  /v1/console           what the pages need to know first: whether
 *                              a token is needed, the text window
 *   GET  /v1/stats             medflagd's stats (as `medflag top` reads)
 *   GET  /v1/events            live verdicts (events.c)
 *   POST /v1/try               a post explained, as `explain --json`
 *   GET  /v1/rules             every rule: mode, claim, hits, precision
 *   GET  /v1/rules/ID          one rule: patterns, `expect` lines, block
 *   POST /v1/rules/ID/backtest the rule edited, against the corpus
 *
 * "Try a post" and the rules pages use the rules of the configuration,
 * loaded when the gateway starts; each answer names its rule set, so the
 * page can say when medflagd runs another. Hits come from medflagd (since
 * it started) and Redis (all time), precision from moderators' feedback
 * in Redis: a page still shows the rules when either does not answer.
 * Backtests name posts by id and line, never quote them (backtest.c).
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "console.h"
#include "lathist.h"
#include "rulehits.h"
#include "store.h"
#include "wire.h"

#define S_FILE_MAX	(1u << 20)	/* a page's file */
#define S_BLOCK_MAX	(64u << 10)	/* an edited rule block */
#define S_CHANGED_SHOWN	50		/* posts a backtest lists */

struct mf_console {
	mf_client_t		*client;
	const mf_config_t	*cfg;		/* client->cfg */
	mf_console_opts_t	 o;
	mf_ruleset_t		*rs;
	mf_sources_t		*src;
	mf_textwin_t		*win;
	pthread_mutex_t		 bt_mu;	/* one backtest at a time */
};

mf_console_t *
mf_console_new(mf_client_t *client, const mf_console_opts_t *o)
{
	const mf_config_t *cfg = client->cfg;
	mf_console_t	*self;
	char		 path[1100];

	snprintf(path, sizeof(path), "%s/index.html", o->ui);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "medflag http: console_ui %s: no index.html "
		    "there\n  hint: give the folder of the console's pages "
		    "(tools/gateways/ui/ in the source tree, "
		    "$datadir/medflag/ui installed)\n",
		    o->ui);
		return NULL;
	}
	if ((self = calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->client = client;
	self->cfg = cfg;
	self->o = *o;
	pthread_mutex_init(&self->bt_mu, NULL);
	if ((self->rs = mf_cli_load_rules(cfg->rules, &self->src,
	    MF_CLI_QUIET)) == NULL ||
	    (o->text_window_s > 0 &&
	    (self->win = mf_textwin_new(o->text_window_s)) == NULL)) {
		mf_console_destroy(&self);
		return NULL;
	}
	return self;
}

void
mf_console_destroy(mf_console_t **self_p)
{
	mf_console_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	mf_ruleset_destroy(&self->rs);
	mf_sources_destroy(&self->src);
	mf_textwin_destroy(&self->win);
	pthread_mutex_destroy(&self->bt_mu);
	free(self);
	*self_p = NULL;
}

void
mf_console_remember(mf_console_t *self, const mf_post_t *post)
{
	if (self != NULL && self->win != NULL)
		mf_textwin_put(self->win, post->post_id, post->body,
		    post->body_len);
}

/* The console's data is read anew each time, never from a cache. */
static const char *const s_no_store[] = { "Cache-Control", "no-store", NULL };

/* TAKES: 'j' (mf_httpd_send_json). */
static enum MHD_Result
s_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	return mf_httpd_send_json_h(c, status, j, s_no_store);
}

/* ---- the pages ------------------------------------------------------------ */

static const char *
s_type(const char *name)
{
	static const char *const t[] = {
		".html", "text/html; charset=utf-8",
		".css", "text/css; charset=utf-8",
		".js", "text/javascript; charset=utf-8",
		".svg", "image/svg+xml",
		".txt", "text/plain; charset=utf-8",
		".ico", "image/x-icon",
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(t) / sizeof(*t); i += 2)
		if (strcmp(dot, t[i]) == 0)
			return t[i + 1];
	return NULL;
}

/* GET /ui/NAME: a file of the folder itself (no subfolders, no dot
 * files), with headers that keep the pages to their own scripts. */
static enum MHD_Result
s_page(mf_console_t *self, struct MHD_Connection *c, const char *name)
{
	static const char *const hdr[] = {
		"Content-Security-Policy", "default-src 'self'; "
		    "img-src 'self' data:; object-src 'none'; "
		    "base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "no-referrer",
		"Cache-Control", "no-cache",
		NULL
	};
	const char	*type;
	char		 path[1400], *data;
	size_t		 len;
	FILE		*fp;
	enum MHD_Result	 rc;

	if (*name == '\0')
		name = "index.html";
	if (name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name) ||
	    (type = s_type(name)) == NULL)
		return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	snprintf(path, sizeof(path), "%s/%s", self->o.ui, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	if ((data = malloc(S_FILE_MAX)) == NULL) {
		fclose(fp);
		return MHD_NO;
	}
	len = fread(data, 1, S_FILE_MAX, fp);
	fclose(fp);
	rc = mf_httpd_send_h(c, MHD_HTTP_OK, type, data, len, hdr);
	free(data);
	return rc;
}

/* GET /v1/console: asked before anything else, without the token, so
 * that a page asks for the token instead of failing request after
 * request. Says nothing a page could not learn from a 401. */
static enum MHD_Result
s_about(mf_console_t *self, struct MHD_Connection *c)
{
	return s_json(c, MHD_HTTP_OK, json_pack("{sb si sb}", "token",
	    self->o.token, "text_window_s", self->o.text_window_s, "backtest",
	    self->o.corpus != NULL));
}

/* ---- stats ----------------------------------------------------------------- */

/* GET /v1/stats: {"stats": medflagd's reply, "latency_upper_us": the
 * upper bound of each histogram bucket}, so that a page takes quantiles
 * of two readings' difference as `medflag top` does. */
static enum MHD_Result
s_stats(mf_console_t *self, struct MHD_Connection *c)
{
	mf_reply_t		 reply = {0};
	json_t			*j, *up = json_array();

	if (mf_client_control(self->client, "stats", NULL, 0,
	    self->o.timeout_ms, &reply) != 0) {
		mf_reply_free(&reply);
		json_decref(up);
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "medflagd "
		    "did not answer on its control endpoint; is it running?");
	}
	for (size_t i = 0; i < MF_LATHIST_N; i++)
		up = mf_httpd_append(up, json_integer((json_int_t)
		    mf_lathist_upper(i)));
	j = json_pack("{so so ss}", "stats", mf__mp_json_tree(&reply.map,
	    NULL), "latency_upper_us", up, "gateway_ruleset",
	    mf_ruleset_hash(self->rs));
	mf_reply_free(&reply);
	return s_json(c, MHD_HTTP_OK, j);
}

/* ---- try a post ------------------------------------------------------------ */

/* POST /v1/try: a post (the wire's JSON) judged here with the loaded
 * rules, answered as `medflag explain --json` prints it. Nothing is
 * kept. */
static enum MHD_Result
s_try(mf_console_t *self, struct MHD_Connection *c, const mf_httpd_req_t *rq)
{
	mf_err_t	 err = {0};
	mf_post_t	*post;
	mf_scanner_t	*sc;
	mf_buf_t	 out = {0};
	enum MHD_Result	 rc;

	if (rq->too_big)
		return mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body "
		    "is over 1 MiB");
	if ((post = mf_wire_decode_post_json(rq->body ? rq->body : "",
	    rq->len, &err)) == NULL)
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	if ((sc = mf_scanner_new(&err)) == NULL) {
		mf_post_destroy(&post);
		return MHD_NO;
	}
	/* The text `medflag explain --json` prints, as it prints it (the
	 * codec's JSON): a reply of its own, not one written here. */
	if (mf_cli_explain_json(sc, self->rs, self->src, post, 0, &out,
	    &err) != 0)
		rc = mf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
	else if (mf_buf_puts(&out, "\n") != 0)
		rc = s_json(c, MHD_HTTP_OK, NULL);	/* out of memory: 500 */
	else
		rc = mf_httpd_send_h(c, MHD_HTTP_OK, "application/json",
		    out.data, out.len, s_no_store);
	mf_buf_free(&out);
	mf_scanner_destroy(&sc);
	mf_post_destroy(&post);
	return rc;
}

/* ---- rules ----------------------------------------------------------------- */

/* What is counted about the rules: medflagd's hits since it started and
 * the rules its workers shadowed, Redis's hits of all time and feedback. */
typedef struct s_counts {
	int		 medflagd, redis;
	mf_rulehits_t	 start, all, fb;
	char		 shadowed[4096];	/* ",id,id," */
	char		 running[64];		/* medflagd's rule set */
} s_counts_t;

static void
s_counts(mf_console_t *self, s_counts_t *k)
{
	mf_reply_t		 reply = {0};
	mf_store_t		*st;
	char			 why[600];

	memset(k, 0, sizeof(*k));
	if (mf_client_control(self->client, "stats", NULL, 0,
	    self->o.timeout_ms, &reply) == 0) {
		mf__mp_obj_t	 h, w, ko, v;
		mf__mp_iter_t	 it;
		const char	*id;
		size_t		 len, n = 1;

		k->medflagd = 1;
		mf__mp_get_str(&reply.map, "ruleset", k->running,
		    sizeof(k->running));
		if (mf__mp_get(&reply.map, "rule_hits", &h) == -1 ||
		    mf__mp_iter_init(&it, &h, MF__MP_MAP) == -1)
			it.left = 0;
		while (mf__mp_iter_next(&it, &ko, &v) == 1) {
			uint64_t	a, b;

			if (mf__mp_obj_str(&ko, &id, &len) == -1)
				continue;
			mf_stats_rule_pair(&v, &a, &b);
			(void)mf_rulehits_add(&k->start, id, len, a, b);
		}
		k->shadowed[0] = ',';
		if (mf__mp_get(&reply.map, "workers", &w) == -1 ||
		    mf__mp_iter_init(&it, &w, MF__MP_ARRAY) == -1)
			it.left = 0;
		while (mf__mp_iter_next(&it, NULL, &v) == 1) {
			char	ids[512];

			mf__mp_get_str(&v, "auto_shadowed", ids,
			    sizeof(ids));
			if (ids[0] != '\0')
				n += (size_t)snprintf(k->shadowed + n,
				    n < sizeof(k->shadowed) ?
				    sizeof(k->shadowed) - n : 0, "%s,", ids);
		}
	}
	mf_reply_free(&reply);
	if ((st = mf_store_connect(self->cfg, 1000, why, sizeof(why))) !=
	    NULL) {
		k->redis = mf_store_rule_hits(st, &k->all) == 0 &&
		    mf_store_feedback_counts(st, &k->fb) == 0;
		mf_store_destroy(&st);
	}
}

static void
s_counts_free(s_counts_t *k)
{
	mf_rulehits_free(&k->start);
	mf_rulehits_free(&k->all);
	mf_rulehits_free(&k->fb);
}

/* Whether a worker shadowed rule 'id' (it kept exceeding limits). */
static int
s_auto_shadowed(const s_counts_t *k, const char *id)
{
	char	key[MF_RULEHITS_ID_MAX + 3];

	snprintf(key, sizeof(key), ",%s,", id);
	return strstr(k->shadowed, key) != NULL;
}

/* The strings v[0..n-1] as a JSON array. */
static json_t *
s_strs(char *const *v, size_t n)
{
	json_t	*a = json_array();

	for (size_t i = 0; i < n; i++)
		a = mf_httpd_append(a, mf_httpd_string(v[i]));
	return a;
}

/* A count as JSON: null where its source did not answer. */
static json_t *
s_num(int answered, uint64_t n)
{
	return answered ? json_integer((json_int_t)n) : json_null();
}

/* One rule as a JSON object. */
static json_t *
s_rule(const mf_rule_t *r, const s_counts_t *k)
{
	const mf_claim_t	*cl = r->claim;
	const mf_rulehit_t	*s = mf_rulehits_get(&k->start, r->id);
	const mf_rulehit_t	*a = mf_rulehits_get(&k->all, r->id);
	const mf_rulehit_t	*f = mf_rulehits_get(&k->fb, r->id);
	uint64_t		 ag = f ? f->hits : 0, ov = f ? f->shadow : 0;
	json_t			*o;

	o = json_pack("{so ss sb sf sI so so so so ss so so so}",
	    "id", mf_httpd_string(r->id),
	    "mode", mf_mode_name(r->mode),
	    "auto_shadowed", s_auto_shadowed(k, r->id),
	    "score", r->score,
	    "line", (json_int_t)r->line,
	    "file", mf_httpd_string(r->file),
	    "claim", mf_httpd_string(cl->id),
	    "title", mf_httpd_string(cl->title),
	    "fact", mf_httpd_string(cl->fact),
	    "tier", mf_tier_name(cl->tier),
	    "category", mf_httpd_string(cl->category),
	    "review_by", mf_httpd_string(cl->review_by),
	    "evidence", s_strs(cl->evidence, cl->nevidence));
	o = mf_httpd_set(o, "hits_start", s_num(k->medflagd, s ? s->hits :
	    0));
	o = mf_httpd_set(o, "shadow_start", s_num(k->medflagd, s ?
	    s->shadow : 0));
	o = mf_httpd_set(o, "hits_all", s_num(k->redis, a ? a->hits : 0));
	o = mf_httpd_set(o, "shadow_all", s_num(k->redis, a ? a->shadow :
	    0));
	o = mf_httpd_set(o, "agreed", s_num(k->redis, ag));
	o = mf_httpd_set(o, "overturned", s_num(k->redis, ov));
	/* To four places, as a page shows it. */
	return mf_httpd_set(o, "precision", k->redis && ag + ov > 0 ?
	    json_real(round(1e4 * (double)ag / (double)(ag + ov)) / 1e4) :
	    json_null());
}

/* The head every rules answer starts with. */
static json_t *
s_rules_head(mf_console_t *self, const s_counts_t *k)
{
	return json_pack("{ss so sb sb}", "ruleset", mf_ruleset_hash(self->rs),
	    "running_ruleset", mf_httpd_string(k->running), "medflagd",
	    k->medflagd, "redis", k->redis);
}

/* GET /v1/rules */
static enum MHD_Result
s_rules(mf_console_t *self, struct MHD_Connection *c)
{
	s_counts_t	 k;
	json_t		*o, *rules = json_array();

	s_counts(self, &k);
	for (size_t i = 0; i < mf_ruleset_size(self->rs) && rules; i++)
		rules = mf_httpd_append(rules, s_rule(mf_ruleset_rule(self->rs,
		    i), &k));
	o = mf_httpd_set(s_rules_head(self, &k), "rules", rules);
	s_counts_free(&k);
	return s_json(c, MHD_HTTP_OK, o);
}

/* The block of rule 'r' as written in its file: from its line to its
 * `end`, into 'b'; '*first' and '*last' get the lines (1-based). -1 when
 * the file cannot be read. */
static int
s_block(const mf_rule_t *r, mf_buf_t *b, size_t *first, size_t *last)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, no = 0;
	ssize_t	 n;
	int	 rc = -1;

	if (r->file == NULL || (fp = fopen(r->file, "r")) == NULL)
		return -1;
	while ((n = getline(&line, &cap, fp)) != -1) {
		const char	*t = line + strspn(line, " \t");

		if (++no < r->line)
			continue;
		if (mf_buf_append(b, line, (size_t)n) != 0)
			break;
		/* strchr() finds the NUL too: "end" as the file's end. */
		if (strncmp(t, "end", 3) == 0 && strchr(" \t\r\n#", t[3])) {
			rc = 0;
			break;
		}
	}
	if (rc == 0) {
		*first = r->line;
		*last = no;
	}
	free(line);
	fclose(fp);
	return rc;
}

/* The patterns p[0..n-1] as a JSON array of their sources. */
static json_t *
s_patterns(const mf_pattern_t *p, size_t n)
{
	json_t	*a = json_array();

	for (size_t i = 0; i < n; i++)
		a = mf_httpd_append(a, mf_httpd_string(p[i].source));
	return a;
}

/* GET /v1/rules/ID */
static enum MHD_Result
s_rule_page(mf_console_t *self, struct MHD_Connection *c,
    const mf_rule_t *r)
{
	static const char *const kind[] = { "match", "nomatch", "question" };
	s_counts_t	 k;
	mf_buf_t	 b = {0};
	size_t		 first = 0, last = 0;
	json_t		*o, *ex = json_array();

	s_counts(self, &k);
	o = s_rule(r, &k);
	o = mf_httpd_set(o, "near", json_integer((json_int_t)r->near));
	o = mf_httpd_set(o, "near_sentence", json_boolean(r->near_sentence));
	o = mf_httpd_set(o, "match", s_patterns(r->match, r->nmatch));
	o = mf_httpd_set(o, "unless", s_patterns(r->unless, r->nunless));
	for (size_t i = 0; i < r->nexpect; i++)
		ex = mf_httpd_append(ex, json_pack("{ss sI so}", "kind",
		    kind[r->expect[i].kind], "line", (json_int_t)
		    r->expect[i].line, "text", mf_httpd_string(
		    r->expect[i].text)));
	o = mf_httpd_set(o, "expect", ex);
	o = mf_httpd_set(o, "block", s_block(r, &b, &first, &last) == 0 ?
	    mf__json_string(b.data, b.len) : json_null());
	o = mf_httpd_set(o, "block_lines", json_pack("[II]", (json_int_t)first,
	    (json_int_t)last));
	o = mf_httpd_set(s_rules_head(self, &k), "rule", o);
	mf_buf_free(&b);
	s_counts_free(&k);
	return s_json(c, MHD_HTTP_OK, o);
}

/* ---- backtest -------------------------------------------------------------- */

/*
 * A backtest builds the rule set again with one block replaced, in a
 * private folder: the edited file written anew, every other entry of the
 * rules folder linked. It is compiled as medflagd would (every problem
 * reported, evidence checked against the vetted list), the edited rule's
 * `expect` lines run, then the old and the new rule judge every post of
 * the corpus alone (mf_scan_rule). Nothing is reloaded.
 */
typedef struct s_bt {
	const mf_ruleset_t	*old_rs, *new_rs;
	const mf_rule_t		*old_r, *new_r;
	mf_scanner_t		*sc;
	const char		*file;
	/* counts, as the answer gives them */
	json_int_t		 posts, old_hits, new_hits, labelled;
	json_int_t		 old_tp, new_tp, old_fp, new_fp, misinfo;
	json_int_t		 nchanged;
	json_t			*changed;	/* NULL: out of memory */
} s_bt_t;

static int
s_bt_post(const mf_cli_line_t *l, void *arg)
{
	s_bt_t	*bt = arg;
	int	 a = 0, b = 0, q, mis;

	if (mf_scan_rule(bt->sc, bt->old_rs, bt->old_r, l->text, &a, &q,
	    NULL) == -1 || mf_scan_rule(bt->sc, bt->new_rs, bt->new_r,
	    l->text, &b, &q, NULL) == -1)
		return 0;	/* a limit: counted as no hit on both */
	bt->posts++;
	bt->old_hits += a;
	bt->new_hits += b;
	if (l->label != NULL) {
		mis = strcmp(l->label, "misinfo") == 0;
		bt->labelled++;
		bt->misinfo += mis;
		bt->old_tp += a && mis;
		bt->new_tp += b && mis;
		bt->old_fp += a && !mis;
		bt->new_fp += b && !mis;
	}
	if (a != b && bt->nchanged++ < S_CHANGED_SHOWN)
		bt->changed = mf_httpd_append(bt->changed, json_pack(
		    "{so sI so so ss}", "file", mf_httpd_string(bt->file),
		    "line", (json_int_t)l->lineno, "post_id",
		    mf_httpd_string(l->id), "label", l->label ?
		    mf_httpd_string(l->label) : json_null(), "now", b ? "hit" :
		    "no hit"));
	return 0;
}

/* Writes 'path' as 'orig' with lines first..last replaced by 'block'. */
static int
s_write_edit(const char *orig, const char *path, size_t first, size_t last,
    const char *block)
{
	FILE	*in, *out;
	char	*line = NULL;
	size_t	 cap = 0, no = 0;
	int	 rc = -1;

	if ((in = fopen(orig, "r")) == NULL)
		return -1;
	if ((out = fopen(path, "w")) == NULL) {
		fclose(in);
		return -1;
	}
	while (getline(&line, &cap, in) != -1) {
		if (++no == first)
			fprintf(out, "%s%s", block, block[0] &&
			    block[strlen(block) - 1] != '\n' ? "\n" : "");
		if (no < first || no > last)
			fputs(line, out);
	}
	rc = ferror(in) || ferror(out) ? -1 : 0;
	free(line);
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

/* The private folder: 'dir' with 'file' edited. 0 or -1. */
static int
s_bt_dir(const char *rules, const char *tmp, const mf_rule_t *r,
    const char *block)
{
	DIR		*d;
	struct dirent	*e;
	char		 from[2200], to[2200];
	const char	*base = strrchr(r->file, '/');
	size_t		 first, last;
	mf_buf_t	 ignored = {0};
	int		 rc = 0;

	base = base ? base + 1 : r->file;
	rc = s_block(r, &ignored, &first, &last);
	mf_buf_free(&ignored);
	if (rc != 0)
		return -1;
	if ((d = opendir(rules)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", rules, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", tmp, e->d_name);
		if (strcmp(e->d_name, base) == 0)
			rc = s_write_edit(r->file, to, first, last, block);
		else
			rc = symlink(from, to);
	}
	closedir(d);
	return rc;
}

/* Removes the private folder (links and one file). */
static void
s_rm_dir(const char *tmp)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[2200];

	if ((d = opendir(tmp)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", tmp, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(tmp);
}

/* Diagnostics as JSON, the private folder's name put back to the rules
 * folder's. */
static json_t *
s_diags_json(const mf_diags_t *d, const char *tmp, const char *rules)
{
	static const char *const sev[] = { "error", "warning", "note" };
	size_t	 tl = strlen(tmp);
	json_t	*a = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const mf_diag_t	*x = &d->v[i];
		char		 where[2400];

		if (strncmp(x->where, tmp, tl) == 0)
			snprintf(where, sizeof(where), "%s%s", rules,
			    x->where + tl);
		else
			snprintf(where, sizeof(where), "%s", x->where);
		a = mf_httpd_append(a, json_pack("{ss so so so}", "severity",
		    sev[x->severity], "where", mf_httpd_string(where), "msg",
		    mf_httpd_string(x->msg), "hint", mf_httpd_string(x->hint)));
	}
	return a;
}

/* The "block" string of a JSON body; NULL with why in 'why'. OWNS. */
static char *
s_body_block(const mf_httpd_req_t *rq, char *why, size_t cap);

/* POST /v1/rules/ID/backtest {"block": "rule ID ... end"} */
static enum MHD_Result
s_backtest(mf_console_t *self, struct MHD_Connection *c,
    const mf_rule_t *r, const mf_httpd_req_t *rq)
{
	char		 tmp[1024], why[1400], *block;
	mf_diags_t	 d = {0}, x = {0};
	mf_sources_t	*src = NULL;
	mf_ruleset_t	*rs = NULL;
	s_bt_t		 bt;
	json_t		*diags = NULL;
	enum MHD_Result	 rc;
	int		 expect_failed, made = 0;
	size_t		 bad = 0;

	if (self->o.corpus == NULL)
		return mf_httpd_error(c, MHD_HTTP_CONFLICT, "no corpus to "
		    "backtest on: set console_corpus in the configuration to "
		    "labelled posts (JSON Lines, as `medflag rules eval` "
		    "reads)");
	if ((block = s_body_block(rq, why, sizeof(why))) == NULL)
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, why);
	if (pthread_mutex_trylock(&self->bt_mu) != 0) {
		free(block);
		return mf_httpd_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "a "
		    "backtest is running; try again when it is done");
	}
	snprintf(tmp, sizeof(tmp), "%s/mfconsole.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	memset(&bt, 0, sizeof(bt));
	if ((made = mkdtemp(tmp) != NULL) == 0 ||
	    s_bt_dir(self->cfg->rules, tmp, r, block) != 0 ||
	    (src = mf_sources_new("files")) == NULL) {
		snprintf(why, sizeof(why), "%s: cannot write the edited rules "
		    "there: %s; set TMPDIR to a writable folder", tmp,
		    strerror(errno));
		rc = mf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
		goto out;
	}
	rs = mf_cli_load_rules_diags(tmp, src, MF_LOAD_NO_MODEL |
	    MF_LOAD_NO_PREFILTER, &d);
	bt.old_rs = self->rs;
	bt.old_r = r;
	bt.new_rs = rs;
	/* The edited block starts where the old one did. */
	for (size_t i = 0; rs != NULL && i < mf_ruleset_size(rs); i++) {
		const mf_rule_t	*y = mf_ruleset_rule(rs, i);

		if (y->line == r->line && strncmp(y->file, tmp,
		    strlen(tmp)) == 0 && strcmp(strrchr(y->file, '/'),
		    strrchr(r->file, '/')) == 0)
			bt.new_r = y;
	}
	if (rs == NULL || bt.new_r == NULL) {
		if (rs != NULL)
			mf_diags_add(&d, MF_DIAG_ERROR, r->file, r->line, 1,
			    "start the block with `rule ID` and end it with "
			    "`end`", "the edited block is not one rule");
		rc = s_json(c, MHD_HTTP_UNPROCESSABLE_CONTENT, json_pack(
		    "{so ss so}", "rule", mf_httpd_string(r->id), "error",
		    "the edited rule does not compile; nothing was tested",
		    "diagnostics", s_diags_json(&d, tmp, self->cfg->rules)));
		goto out;
	}
	if ((bt.sc = mf_scanner_new(NULL)) == NULL) {
		rc = s_json(c, MHD_HTTP_OK, NULL);	/* out of memory: 500 */
		goto out;
	}
	expect_failed = mf_rule_test(rs, bt.sc, bt.new_r, &x);
	diags = s_diags_json(&x, tmp, self->cfg->rules);
	bt.changed = json_array();
	bt.file = self->o.corpus;
	if (mf_cli_each_post(bt.file, 0, s_bt_post, &bt, &bad) != 0) {
		rc = mf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the corpus cannot be read; see the gateway's log");
		goto out;
	}
	rc = s_json(c, MHD_HTTP_OK, json_pack("{so so sI si so sI sI sI "
	    "s{sI sI sI} s{sI sI sI} sI so}",
	    "rule", mf_httpd_string(r->id),
	    "new_id", mf_httpd_string(bt.new_r->id),
	    "expect", (json_int_t)bt.new_r->nexpect,
	    "expect_failed", expect_failed,
	    "diagnostics", diags,
	    "posts", bt.posts, "labelled", bt.labelled, "misinfo", bt.misinfo,
	    "old", "hits", bt.old_hits, "true_pos", bt.old_tp, "false_pos",
	    bt.old_fp,
	    "new", "hits", bt.new_hits, "true_pos", bt.new_tp, "false_pos",
	    bt.new_fp,
	    "changed", bt.nchanged,
	    "changed_posts", bt.changed));
	diags = bt.changed = NULL;	/* taken */
out:
	json_decref(diags);
	json_decref(bt.changed);
	mf_scanner_destroy(&bt.sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	mf_diags_free(&d);
	mf_diags_free(&x);
	if (made)
		s_rm_dir(tmp);
	pthread_mutex_unlock(&self->bt_mu);
	free(block);
	return rc;
}

static char *
s_body_block(const mf_httpd_req_t *rq, char *why, size_t cap)
{
	json_error_t	 je;
	json_t		*j, *b;
	char		*s = NULL;

	if (rq->too_big || rq->len > S_BLOCK_MAX) {
		snprintf(why, cap, "block: a rule block is at most 64 KiB");
		return NULL;
	}
	if ((j = json_loadb(rq->body ? rq->body : "", rq->len, 0, &je)) ==
	    NULL) {
		snprintf(why, cap, "body: invalid JSON at line %d column %d: "
		    "%s", je.line, je.column, je.text);
		return NULL;
	}
	b = json_is_object(j) ? json_object_get(j, "block") : NULL;
	if (!json_is_string(b) || json_string_length(b) == 0 ||
	    strlen(json_string_value(b)) != json_string_length(b))
		snprintf(why, cap, "block: give the edited rule as a string, "
		    "from `rule ID` to `end`");
	else if ((s = strdup(json_string_value(b))) == NULL)
		snprintf(why, cap, "out of memory");
	json_decref(j);
	return s;
}

/* ---- paths ---------------------------------------------------------------- */

static enum MHD_Result
s_method(struct MHD_Connection *c, const char *want)
{
	char	why[64];

	snprintf(why, sizeof(why), "use %s", want);
	return mf_httpd_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, why);
}

int
mf_console_path(const char *url)
{
	static const char *const p[] = { "/ui", "/v1/console", "/v1/stats",
	    "/v1/events", "/v1/try", "/v1/rules" };

	if (strcmp(url, "/") == 0)
		return MF_CONSOLE_PUBLIC;
	for (size_t i = 0; i < sizeof(p) / sizeof(*p); i++)
		if (strncmp(url, p[i], strlen(p[i])) == 0 &&
		    (url[strlen(p[i])] == '/' || url[strlen(p[i])] == '\0'))
			return i < 2 ? MF_CONSOLE_PUBLIC : MF_CONSOLE_PRIVATE;
	return 0;
}

int
mf_console_handle(mf_console_t *self, struct MHD_Connection *c,
    const char *url, const char *method, const mf_httpd_req_t *rq,
    enum MHD_Result *rc)
{
	int		 get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	int		 post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	const char	*id, *slash;
	const mf_rule_t	*r;
	char		 rid[MF_RULEHITS_ID_MAX + 1];

	if (strcmp(url, "/ui") == 0 || strcmp(url, "/") == 0) {
		static const char *const hdr[] = { "Location", "/ui/", NULL };

		*rc = mf_httpd_send_h(c, MHD_HTTP_FOUND, "text/plain", "/ui/\n",
		    5, hdr);
	} else if (strncmp(url, "/ui/", 4) == 0)
		*rc = get ? s_page(self, c, url + 4) : s_method(c, "GET");
	else if (strcmp(url, "/v1/console") == 0)
		*rc = get ? s_about(self, c) : s_method(c, "GET");
	else if (strcmp(url, "/v1/stats") == 0)
		*rc = get ? s_stats(self, c) : s_method(c, "GET");
	else if (strcmp(url, "/v1/events") == 0)
		*rc = get ? mf_console_events(self->client, self->win, c) :
		    s_method(c, "GET");
	else if (strcmp(url, "/v1/try") == 0)
		*rc = post ? s_try(self, c, rq) : s_method(c, "POST with a "
		    "post as JSON");
	else if (strcmp(url, "/v1/rules") == 0)
		*rc = get ? s_rules(self, c) : s_method(c, "GET");
	else if (strncmp(url, "/v1/rules/", 10) == 0) {
		id = url + 10;
		slash = strchr(id, '/');
		snprintf(rid, sizeof(rid), "%.*s", (int)(slash ? (size_t)(slash -
		    id) : strlen(id)), id);
		if ((r = mf_ruleset_find(self->rs, rid)) == NULL)
			*rc = mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "no such "
			    "rule in the gateway's rule set; GET /v1/rules "
			    "lists them");
		else if (slash == NULL)
			*rc = get ? s_rule_page(self, c, r) : s_method(c, "GET");
		else if (strcmp(slash, "/backtest") == 0)
			*rc = post ? s_backtest(self, c, r, rq) :
			    s_method(c, "POST with {\"block\": ...}");
		else
			return 0;
	} else
		return 0;
	return 1;
}
