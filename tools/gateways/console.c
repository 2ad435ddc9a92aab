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

static enum MHD_Result
s_json(struct MHD_Connection *c, unsigned status, mf_buf_t *out)
{
	static const char *const hdr[] = { "Cache-Control", "no-store", NULL };

	if (mf_buf_puts(out, "\n") != 0)
		return MHD_NO;
	return mf_httpd_send_h(c, status, "application/json", out->data,
	    out->len, hdr);
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
	mf_buf_t	o = {0};
	enum MHD_Result	rc;

	rc = mf_buf_printf(&o, "{\"token\":%s,\"text_window_s\":%d,"
	    "\"backtest\":%s}", self->o.token ? "true" : "false",
	    self->o.text_window_s, self->o.corpus ? "true" : "false") != 0 ?
	    MHD_NO : s_json(c, MHD_HTTP_OK, &o);
	mf_buf_free(&o);
	return rc;
}

/* ---- stats ----------------------------------------------------------------- */

/* GET /v1/stats: {"stats": medflagd's reply, "latency_upper_us": the
 * upper bound of each histogram bucket}, so that a page takes quantiles
 * of two readings' difference as `medflag top` does. */
static enum MHD_Result
s_stats(mf_console_t *self, struct MHD_Connection *c)
{
	mf_reply_t		 reply = {0};
	mf_buf_t		 out = {0};
	enum MHD_Result		 rc;
	int			 r = 0;

	if (mf_client_control(self->client, "stats", NULL, 0,
	    self->o.timeout_ms, &reply) != 0) {
		mf_reply_free(&reply);
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "medflagd "
		    "did not answer on its control endpoint; is it running?");
	}
	r |= mf_buf_puts(&out, "{\"stats\":");
	r |= mf__mp_json(&reply.map, &out, NULL);
	r |= mf_buf_puts(&out, ",\"latency_upper_us\":[");
	for (size_t i = 0; i < MF_LATHIST_N; i++)
		r |= mf_buf_printf(&out, "%s%llu", i ? "," : "",
		    (unsigned long long)mf_lathist_upper(i));
	r |= mf_buf_printf(&out, "],\"gateway_ruleset\":\"%s\"}",
	    mf_ruleset_hash(self->rs));
	rc = r ? MHD_NO : s_json(c, MHD_HTTP_OK, &out);
	mf_reply_free(&reply);
	mf_buf_free(&out);
	return rc;
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
	if (mf_cli_explain_json(sc, self->rs, self->src, post, 0, &out,
	    &err) != 0)
		rc = mf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
	else
		rc = s_json(c, MHD_HTTP_OK, &out);
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

static int
s_strs(mf_buf_t *o, const char *key, char *const *v, size_t n)
{
	int r = mf_buf_printf(o, ",\"%s\":[", key);

	for (size_t i = 0; i < n; i++)
		r |= mf_buf_puts(o, i ? "," : "") |
		    mf__json_str(o, v[i], strlen(v[i]));
	return r | mf_buf_puts(o, "]");
}

/* One rule as a JSON object, without its closing brace. */
static int
s_rule(mf_buf_t *o, const mf_rule_t *r, const s_counts_t *k)
{
	const mf_claim_t	*cl = r->claim;
	const mf_rulehit_t	*s = mf_rulehits_get(&k->start, r->id);
	const mf_rulehit_t	*a = mf_rulehits_get(&k->all, r->id);
	const mf_rulehit_t	*f = mf_rulehits_get(&k->fb, r->id);
	int			 rc = 0;

	rc |= mf_buf_puts(o, "{\"id\":") | mf__json_str(o, r->id,
	    strlen(r->id));
	rc |= mf_buf_printf(o, ",\"mode\":\"%s\",\"auto_shadowed\":%s,"
	    "\"score\":%g,\"line\":%zu,\"file\":", mf_mode_name(r->mode),
	    s_auto_shadowed(k, r->id) ? "true" : "false", r->score, r->line);
	rc |= mf__json_str(o, r->file ? r->file : "", r->file ?
	    strlen(r->file) : 0);
	rc |= mf_buf_puts(o, ",\"claim\":") | mf__json_str(o, cl->id,
	    strlen(cl->id));
	rc |= mf_buf_puts(o, ",\"title\":") | mf__json_str(o, cl->title,
	    strlen(cl->title));
	rc |= mf_buf_puts(o, ",\"fact\":") | mf__json_str(o, cl->fact,
	    strlen(cl->fact));
	rc |= mf_buf_printf(o, ",\"tier\":\"%s\",\"category\":",
	    mf_tier_name(cl->tier));
	rc |= mf__json_str(o, cl->category ? cl->category : "",
	    cl->category ? strlen(cl->category) : 0);
	rc |= mf_buf_printf(o, ",\"review_by\":\"%s\"", cl->review_by);
	rc |= s_strs(o, "evidence", cl->evidence, cl->nevidence);
	/* Counts: null where their source did not answer. */
	if (k->medflagd)
		rc |= mf_buf_printf(o, ",\"hits_start\":%llu,"
		    "\"shadow_start\":%llu",
		    (unsigned long long)(s ? s->hits : 0),
		    (unsigned long long)(s ? s->shadow : 0));
	else
		rc |= mf_buf_puts(o, ",\"hits_start\":null,"
		    "\"shadow_start\":null");
	if (k->redis) {
		uint64_t	ag = f ? f->hits : 0, ov = f ? f->shadow : 0;

		rc |= mf_buf_printf(o, ",\"hits_all\":%llu,\"shadow_all\":%llu,"
		    "\"agreed\":%llu,\"overturned\":%llu",
		    (unsigned long long)(a ? a->hits : 0),
		    (unsigned long long)(a ? a->shadow : 0),
		    (unsigned long long)ag, (unsigned long long)ov);
		if (ag + ov > 0)
			rc |= mf_buf_printf(o, ",\"precision\":%.4f",
			    (double)ag / (double)(ag + ov));
		else
			rc |= mf_buf_puts(o, ",\"precision\":null");
	} else
		rc |= mf_buf_puts(o, ",\"hits_all\":null,\"shadow_all\":null,"
		    "\"agreed\":null,\"overturned\":null,\"precision\":null");
	return rc ? -1 : 0;
}

/* The head every rules answer starts with. */
static int
s_rules_head(mf_console_t *self, mf_buf_t *o, const s_counts_t *k)
{
	return mf_buf_printf(o, "{\"ruleset\":\"%s\",\"running_ruleset\":"
	    "\"%s\",\"medflagd\":%s,\"redis\":%s", mf_ruleset_hash(self->rs),
	    k->running, k->medflagd ? "true" : "false",
	    k->redis ? "true" : "false");
}

/* GET /v1/rules */
static enum MHD_Result
s_rules(mf_console_t *self, struct MHD_Connection *c)
{
	s_counts_t	 k;
	mf_buf_t	 o = {0};
	enum MHD_Result	 rc;
	int		 r;

	s_counts(self, &k);
	r = s_rules_head(self, &o, &k);
	r |= mf_buf_puts(&o, ",\"rules\":[");
	for (size_t i = 0; i < mf_ruleset_size(self->rs) && r == 0; i++)
		r |= mf_buf_puts(&o, i ? "," : "") |
		    s_rule(&o, mf_ruleset_rule(self->rs, i), &k) |
		    mf_buf_puts(&o, "}");
	r |= mf_buf_puts(&o, "]}");
	rc = r ? MHD_NO : s_json(c, MHD_HTTP_OK, &o);
	mf_buf_free(&o);
	s_counts_free(&k);
	return rc;
}

/* The block of rule 'r' as written in its file: from its line to its
 * `end`, into 'o' as a JSON string; '*first' and '*last' get the lines
 * (1-based). -1 when the file cannot be read. */
static int
s_block(const mf_rule_t *r, mf_buf_t *o, size_t *first, size_t *last)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, no = 0;
	ssize_t	 n;
	mf_buf_t b = {0};
	int	 rc = -1;

	if (r->file == NULL || (fp = fopen(r->file, "r")) == NULL)
		return -1;
	while ((n = getline(&line, &cap, fp)) != -1) {
		const char	*t = line + strspn(line, " \t");

		if (++no < r->line)
			continue;
		if (mf_buf_append(&b, line, (size_t)n) != 0)
			goto out;
		/* strchr() finds the NUL too: "end" as the file's end. */
		if (strncmp(t, "end", 3) == 0 && strchr(" \t\r\n#", t[3])) {
			rc = 0;
			break;
		}
	}
	if (rc == 0) {
		*first = r->line;
		*last = no;
		rc = mf__json_str(o, b.data, b.len);
	}
out:
	free(line);
	fclose(fp);
	mf_buf_free(&b);
	return rc;
}

static int
s_patterns(mf_buf_t *o, const char *key, const mf_pattern_t *p, size_t n)
{
	int r = mf_buf_printf(o, ",\"%s\":[", key);

	for (size_t i = 0; i < n; i++)
		r |= mf_buf_puts(o, i ? "," : "") |
		    mf__json_str(o, p[i].source, strlen(p[i].source));
	return r | mf_buf_puts(o, "]");
}

/* GET /v1/rules/ID */
static enum MHD_Result
s_rule_page(mf_console_t *self, struct MHD_Connection *c,
    const mf_rule_t *r)
{
	static const char *const kind[] = { "match", "nomatch", "question" };
	s_counts_t	 k;
	mf_buf_t	 o = {0};
	size_t		 first = 0, last = 0;
	enum MHD_Result	 rc;
	int		 e;

	s_counts(self, &k);
	e = s_rules_head(self, &o, &k);
	e |= mf_buf_puts(&o, ",\"rule\":") | s_rule(&o, r, &k);
	e |= mf_buf_printf(&o, ",\"near\":%zu,\"near_sentence\":%s",
	    r->near, r->near_sentence ? "true" : "false");
	e |= s_patterns(&o, "match", r->match, r->nmatch);
	e |= s_patterns(&o, "unless", r->unless, r->nunless);
	e |= mf_buf_puts(&o, ",\"expect\":[");
	for (size_t i = 0; i < r->nexpect; i++)
		e |= mf_buf_printf(&o, "%s{\"kind\":\"%s\",\"line\":%zu,"
		    "\"text\":", i ? "," : "", kind[r->expect[i].kind],
		    r->expect[i].line) | mf__json_str(&o, r->expect[i].text,
		    strlen(r->expect[i].text)) | mf_buf_puts(&o, "}");
	e |= mf_buf_puts(&o, "],\"block\":");
	if (s_block(r, &o, &first, &last) != 0)
		e |= mf_buf_puts(&o, "null");
	e |= mf_buf_printf(&o, ",\"block_lines\":[%zu,%zu]}}", first, last);
	rc = e ? MHD_NO : s_json(c, MHD_HTTP_OK, &o);
	mf_buf_free(&o);
	s_counts_free(&k);
	return rc;
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
	size_t			 posts, old_hits, new_hits, labelled;
	size_t			 old_tp, new_tp, old_fp, new_fp, misinfo;
	size_t			 nchanged;
	mf_buf_t		*changed;
	int			 failed;
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
		bt->failed |= mf_buf_printf(bt->changed, "%s{\"file\":",
		    bt->nchanged > 1 ? "," : "") |
		    mf__json_str(bt->changed, bt->file, strlen(bt->file)) |
		    mf_buf_printf(bt->changed, ",\"line\":%zu,\"post_id\":",
		    l->lineno) | mf__json_str(bt->changed, l->id,
		    strlen(l->id)) | mf_buf_printf(bt->changed, ",\"label\":") |
		    (l->label ? mf__json_str(bt->changed, l->label,
		    strlen(l->label)) : mf_buf_puts(bt->changed, "null")) |
		    mf_buf_printf(bt->changed, ",\"now\":\"%s\"}", b ? "hit" :
		    "no hit");
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
	if (s_block(r, &ignored, &first, &last) != 0)
		return -1;
	mf_buf_free(&ignored);
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
static int
s_diags_json(mf_buf_t *o, const mf_diags_t *d, const char *tmp,
    const char *rules)
{
	static const char *const sev[] = { "error", "warning", "note" };
	size_t	tl = strlen(tmp);
	int	r = mf_buf_puts(o, ",\"diagnostics\":[");

	for (size_t i = 0; i < d->n; i++) {
		const mf_diag_t	*x = &d->v[i];
		char		 where[2400];

		if (strncmp(x->where, tmp, tl) == 0)
			snprintf(where, sizeof(where), "%s%s", rules,
			    x->where + tl);
		else
			snprintf(where, sizeof(where), "%s", x->where);
		r |= mf_buf_printf(o, "%s{\"severity\":\"%s\",\"where\":",
		    i ? "," : "", sev[x->severity]) |
		    mf__json_str(o, where, strlen(where)) |
		    mf_buf_puts(o, ",\"msg\":") |
		    mf__json_str(o, x->msg, strlen(x->msg)) |
		    mf_buf_puts(o, ",\"hint\":") |
		    mf__json_str(o, x->hint, strlen(x->hint)) |
		    mf_buf_puts(o, "}");
	}
	return r | mf_buf_puts(o, "]");
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
	mf_diags_t	 d = {0};
	mf_sources_t	*src = NULL;
	mf_ruleset_t	*rs = NULL;
	mf_buf_t	 o = {0}, changed = {0};
	s_bt_t		 bt;
	enum MHD_Result	 rc = MHD_NO;
	unsigned	 status = MHD_HTTP_OK;
	int		 e = 0, expect_failed = 0, made = 0;
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
		const mf_rule_t	*x = mf_ruleset_rule(rs, i);

		if (x->line == r->line && strncmp(x->file, tmp,
		    strlen(tmp)) == 0 && strcmp(strrchr(x->file, '/'),
		    strrchr(r->file, '/')) == 0)
			bt.new_r = x;
	}
	e |= mf_buf_puts(&o, "{\"rule\":") | mf__json_str(&o, r->id,
	    strlen(r->id));
	if (rs == NULL || bt.new_r == NULL) {
		if (rs != NULL)
			mf_diags_add(&d, MF_DIAG_ERROR, r->file, r->line, 1,
			    "start the block with `rule ID` and end it with "
			    "`end`", "the edited block is not one rule");
		status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		e |= mf_buf_puts(&o, ",\"error\":\"the edited rule does not "
		    "compile; nothing was tested\"");
		e |= s_diags_json(&o, &d, tmp, self->cfg->rules);
		e |= mf_buf_puts(&o, "}");
		goto answer;
	}
	if ((bt.sc = mf_scanner_new(NULL)) == NULL)
		goto out;
	{
		mf_diags_t	x = {0};

		expect_failed = mf_rule_test(rs, bt.sc, bt.new_r, &x);
		e |= mf_buf_printf(&o, ",\"new_id\":") | mf__json_str(&o,
		    bt.new_r->id, strlen(bt.new_r->id)) |
		    mf_buf_printf(&o, ",\"expect\":%zu,\"expect_failed\":%d",
		    bt.new_r->nexpect, expect_failed);
		e |= s_diags_json(&o, &x, tmp, self->cfg->rules);
		mf_diags_free(&x);
	}
	bt.changed = &changed;
	bt.file = self->o.corpus;
	if (mf_cli_each_post(bt.file, 0, s_bt_post, &bt, &bad) != 0) {
		rc = mf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the corpus cannot be read; see the gateway's log");
		goto out;
	}
	e |= mf_buf_printf(&o, ",\"posts\":%zu,\"labelled\":%zu,"
	    "\"misinfo\":%zu,\"old\":{\"hits\":%zu,\"true_pos\":%zu,"
	    "\"false_pos\":%zu},\"new\":{\"hits\":%zu,\"true_pos\":%zu,"
	    "\"false_pos\":%zu},\"changed\":%zu,\"changed_posts\":[",
	    bt.posts, bt.labelled, bt.misinfo, bt.old_hits, bt.old_tp,
	    bt.old_fp, bt.new_hits, bt.new_tp, bt.new_fp, bt.nchanged);
	e |= mf_buf_append(&o, changed.data ? changed.data : "", changed.len);
	e |= mf_buf_puts(&o, "]}") | bt.failed;
answer:
	rc = e ? MHD_NO : s_json(c, status, &o);
out:
	mf_scanner_destroy(&bt.sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	mf_diags_free(&d);
	mf_buf_free(&o);
	mf_buf_free(&changed);
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
