/*
 * feedback.c - `medflag feedback`: what moderators decided about flagged
 * posts, kept in Redis per rule, so each rule's precision in real use is
 * known (`medflag feedback --summary`, `medflag top`).
 *
 *   medflag feedback POST_ID agreed|overturned RULE... [--revision N]
 *                    [--by NAME]
 *   medflag feedback -            JSON Lines on stdin: post_id, revision,
 *                                 outcome, rules [ids], by (docs/protocol.md)
 *   medflag feedback --summary    per rule: hits of all time, agreed,
 *                                 overturned, precision, demoted
 *   medflag feedback --restore RULE  a demoted rule enforced again
 *
 * Stores ids and outcomes only (store.h names the keys), never post text.
 * A forum adapter sends the rules of the verdict it acted on; a moderator
 * at a terminal may name fewer (the rule that was wrong).
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "log.h"
#include "rulehits.h"
#include "store.h"
#include "wire.h"

#define S_STREAM_MAX	1000000	/* feedback records kept */
#define S_RULES_MAX	64	/* rules named in one record */

static const char s_usage[] =
    "usage: medflag feedback POST_ID agreed|overturned RULE... "
    "[--revision N] [--by NAME]\n"
    "                [--text FILE|- [--lang L]]   (the post's text teaches "
    "the model)\n"
    "       medflag feedback -          (JSON Lines on stdin)\n"
    "       medflag feedback --summary\n"
    "       medflag feedback --restore RULE   (a demoted rule enforced "
    "again)\n";

/* Checks one record (mf_feedback_valid()); on error writes why into
 * 'why'. 0 or -1. */
static int
s_valid(const char *post_id, const char *outcome, const char *const *rules,
    size_t nrules, char *why, size_t cap)
{
	mf_err_t	err;

	if (mf_feedback_valid(post_id, outcome, rules, nrules, &err) == 0)
		return 0;
	snprintf(why, cap, "%s", err.msg);
	return -1;
}

/* Checks that every rule named is in 'known' (NULL: not checked). */
static int
s_known(const mf_feedback_rules_t *known, const char *const *rules,
    size_t nrules, char *why, size_t cap)
{
	for (size_t i = 0; known != NULL && i < nrules; i++)
		if (mf_rulehits_get(&known->ids, rules[i]) == NULL) {
			snprintf(why, cap, "rules: '%.80s' is not a rule of %s "
			    "(ruleset %s); name the rules of the verdict's hits",
			    rules[i], known->from, known->ruleset);
			return -1;
		}
	return 0;
}

int
mf_feedback_rules_running(mf_client_t *client, int timeout_ms,
    mf_feedback_rules_t *known)
{
	mf_reply_t	 reply = { 0 };
	mf__mp_obj_t	 a, o;
	mf__mp_iter_t	 it;
	const char	*id;
	size_t		 len;
	int		 rc = -1;

	memset(known, 0, sizeof(*known));
	if (mf_client_control(client, "rules", NULL, 0, timeout_ms,
	    &reply) != 0)
		goto out;
	if (mf__mp_get(&reply.map, "rules", &a) == -1 ||
	    mf__mp_iter_init(&it, &a, MF__MP_ARRAY) == -1)
		goto out;
	while (mf__mp_iter_next(&it, NULL, &o) == 1)
		if (mf__mp_obj_str(&o, &id, &len) == 0)
			(void)mf_rulehits_add(&known->ids, id, len, 0, 0);
	(void)mf__mp_get_str(&reply.map, "ruleset", known->ruleset,
	    sizeof(known->ruleset));
	snprintf(known->from, sizeof(known->from), "the running rule set");
	rc = known->ids.len > 0 ? 0 : -1;
out:
	mf_reply_free(&reply);
	if (rc != 0)
		mf_rulehits_free(&known->ids);
	return rc;
}

/* medflagd not answering: the rules of the configuration, as it would
 * load them. 0 or -1 (they do not load; said on stderr). */
static int
s_rules_configured(mf_feedback_rules_t *known)
{
	mf_diags_t	 d = {0};
	mf_sources_t	*src = mf_sources_new("files");
	mf_ruleset_t	*rs;
	const char	*dir = mf_cli_rules_dir();

	memset(known, 0, sizeof(*known));
	if (src == NULL)
		return -1;
	rs = mf_cli_load_rules_diags(dir, src, MF_LOAD_NO_PREFILTER |
	    MF_LOAD_NO_JIT, &d);
	mf_sources_destroy(&src);
	if (rs == NULL) {
		mf_cli_print_diags(stderr, &d);
		mf_diags_free(&d);
		return -1;
	}
	mf_diags_free(&d);
	for (size_t i = 0; i < mf_ruleset_size(rs); i++) {
		const char *id = mf_ruleset_rule(rs, i)->id;

		(void)mf_rulehits_add(&known->ids, id, strlen(id), 0, 0);
	}
	(void)mf_rulehits_add(&known->ids, "model", 5, 0, 0);
	snprintf(known->ruleset, sizeof(known->ruleset), "%s",
	    mf_ruleset_hash(rs));
	snprintf(known->from, sizeof(known->from), "the rules of the "
	    "configuration");
	mf_ruleset_destroy(&rs);
	return 0;
}

/*
 * Auto-demotion: a rule of 'rules' whose moderators' precision, counted
 * since a person last restored it, is below cfg->demote_below percent
 * over at least cfg->demote_min_outcomes outcomes is marked demoted in
 * Redis; workers then judge it as shadow (guard.h) until `medflag
 * feedback --restore RULE`. Logged once, when it happens. 0, or -1 when
 * Redis failed (the outcome is recorded either way).
 */
static int
s_demote(mf_store_t *st, const mf_config_t *cfg, const char *const *rules,
    size_t nrules)
{
	mf_rulehits_t	 fb = {0}, base = {0};
	int		 rc = -1;

	if (cfg == NULL || cfg->demote_below == 0)
		return 0;
	if (mf_store_feedback_counts(st, &fb) != 0 ||
	    mf_store_restored(st, &base) != 0)
		goto out;
	for (size_t i = 0; i < nrules; i++) {
		const mf_rulehit_t	*f = mf_rulehits_get(&fb, rules[i]);
		const mf_rulehit_t	*b = mf_rulehits_get(&base, rules[i]);
		uint64_t		 a, o;
		int			 r;

		if (f == NULL)
			continue;
		a = f->hits - (b && b->hits <= f->hits ? b->hits : 0);
		o = f->shadow - (b && b->shadow <= f->shadow ? b->shadow : 0);
		if (a + o < (uint64_t)cfg->demote_min_outcomes ||
		    a * 100 >= (uint64_t)cfg->demote_below * (a + o))
			continue;
		if ((r = mf_store_demote(st, rules[i], a, o)) < 0)
			goto out;
		if (r == 1)
			mf_log_warnx("rule %s: moderators agreed with %llu of "
			    "its last %llu flags (%.0f%%, under demote_below "
			    "%d%%); demoted: judged as shadow until a person "
			    "restores it (medflag feedback --restore %s)",
			    rules[i], (unsigned long long)a,
			    (unsigned long long)(a + o), 100.0 * (double)a /
			    (double)(a + o), cfg->demote_below, rules[i]);
	}
	rc = 0;
out:
	mf_rulehits_free(&fb);
	mf_rulehits_free(&base);
	return rc;
}

static int
s_one(mf_store_t *st, const mf_config_t *cfg, const char *post_id,
    const char *rev, int agreed, const char *const *rules, size_t nrules,
    const char *by)
{
	if (mf_store_feedback_add(st, post_id, rev ? rev : "", agreed, rules,
	    nrules, by ? by : "", S_STREAM_MAX) != 0) {
		fprintf(stderr, "medflag feedback: %s\n", mf_store_error(st));
		return -1;
	}
	if (s_demote(st, cfg, rules, nrules) != 0)
		mf_log_warnx("demotion not checked: redis: %s",
		    mf_store_error(st));
	return 0;
}

/* ---- teaching the model ------------------------------------------------ */

struct mf_teacher {
	pthread_mutex_t	 mu;		/* the gateway teaches from threads */
	char		 dir[1024];
	int		 loaded;
	mf_model_t	*base;		/* as trained; NULL: no model */
	mf_model_t	*taught;	/* base + what Redis and we added */
	float		*acc;		/* the lessons, per bucket */
	mf_policy_t	 pol;
	mf_norm_t	 norm;
	char		 why[1400];	/* why there is nothing to teach */
};

mf_teacher_t *
mf_teacher_new(const char *dir)
{
	mf_teacher_t *t = calloc(1, sizeof(*t));

	if (t != NULL) {
		pthread_mutex_init(&t->mu, NULL);
		snprintf(t->dir, sizeof(t->dir), "%s", dir);
	}
	return t;
}

void
mf_teacher_destroy(mf_teacher_t **self_p)
{
	mf_teacher_t *t;

	if (self_p == NULL || (t = *self_p) == NULL)
		return;
	mf_model_destroy(&t->base);
	mf_model_destroy(&t->taught);
	free(t->acc);
	mf_norm_free(&t->norm);
	pthread_mutex_destroy(&t->mu);
	free(t);
	*self_p = NULL;
}

/* The model as trained and as taught so far. 0, 1 (no model: why), -1. */
static int
s_teacher_load(mf_teacher_t *t, mf_store_t *st)
{
	char		 path[1100];
	size_t		 n = 0;
	mf_diags_t	 d = {0};
	mf_model_delta_t *les = NULL;

	if (t->loaded)
		return t->base ? 0 : 1;
	t->loaded = 1;
	mf_policy_defaults(&t->pol);
	snprintf(path, sizeof(path), "%s/policy.conf", t->dir);
	if (access(path, R_OK) == 0)
		(void)mf_policy_load(&t->pol, path, &d);
	mf_diags_free(&d);
	snprintf(path, sizeof(path), "%s/medflag.model", t->dir);
	if (access(path, R_OK) != 0) {
		snprintf(t->why, sizeof(t->why), "%.1000s: no model to teach "
		    "(train one with `medflag learn train`)", path);
		return 1;
	}
	if ((t->base = mf_cli_model_load(path, t->why, sizeof(t->why))) ==
	    NULL)
		return 1;
	if ((t->acc = calloc((size_t)1 << mf_model_bits(t->base),
	    sizeof(*t->acc))) == NULL)
		return -1;
	if (mf_store_learn_fetch(st, mf_model_hash(t->base), &les, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (les[i].bucket < (1u << mf_model_bits(t->base)))
			t->acc[les[i].bucket] = les[i].delta;
	t->taught = mf_model_with(t->base, les, n);
	free(les);
	return t->taught ? 0 : -1;
}

static int
s_teach(mf_teacher_t *t, mf_store_t *st, const char *post_id,
    const char *body, const char *lang, int label, const char *by,
    double *p, char *why, size_t cap)
{
	mf_post_t	 *post;
	mf_model_delta_t *d = NULL;
	const char	 *mt;
	size_t		  n, mlen;
	int		  rc;
	mf_err_t	  err;

	if ((rc = s_teacher_load(t, st)) != 0) {
		snprintf(why, cap, "%s", rc > 0 ? t->why :
		    mf_store_error(st));
		return rc;
	}
	if ((post = mf_post_new(post_id, body)) == NULL)
		return -1;
	if (lang && (post->lang = mf_strdup(lang)) == NULL) {
		mf_post_destroy(&post);
		return -1;
	}
	if (mf_scan_text(&t->norm, &t->pol, post, 0, &err) == -1) {
		mf_post_destroy(&post);
		return -1;
	}
	mt = mf_scan_model_text(&t->norm, &mlen);
	n = mf_model_step(t->taught, mt, mlen,
	    mf_post_lang(post, &t->norm), label, t->pol.model_learn_rate, &d,
	    p);
	mf_post_destroy(&post);
	if (n == (size_t)-1)
		return -1;
	if (mf_store_learn_add(st, mf_model_hash(t->base), d, n, by ? by : "",
	    *p, label) != 0) {
		snprintf(why, cap, "redis: %s", mf_store_error(st));
		free(d);
		return -1;
	}
	/* The next lesson starts from this one: the sums of the buckets it
	 * touched, as workers will add them to the trained weights. */
	for (size_t i = 0; i < n; i++) {
		t->acc[d[i].bucket] += d[i].delta;
		d[i].delta = t->acc[d[i].bucket];
	}
	rc = mf_model_retaught(t->taught, t->base, d, n);
	mf_free(d);
	return rc;
}

int
mf_teacher_teach(mf_teacher_t *t, mf_store_t *st, const char *post_id,
    const char *body, const char *lang, int label, const char *by,
    double *p, char *why, size_t cap)
{
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = s_teach(t, st, post_id, body, lang, label, by, p, why, cap);
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int
mf_feedback_record(const mf_config_t *cfg, mf_store_t *st,
    mf_teacher_t *teacher, const mf_feedback_rules_t *known, const char *json,
    size_t len, char *why, size_t cap)
{
	mf_err_t	 err = {0};
	mf_feedback_t	*f;
	int		 rc = 1;

	if ((f = mf_wire_decode_feedback_json(json, len, &err)) == NULL) {
		/* The codec's message names its field already. */
		snprintf(why, cap, "%s", err.msg);
		return 1;
	}
	if (mf_feedback_check(f, &err) != 0)
		snprintf(why, cap, "%s", err.msg);
	else if (s_known(known, (const char *const *)f->rules, f->nrules,
	    why, cap) == 0) {
		rc = s_one(st, cfg, f->post_id, f->revision, f->agreed,
		    (const char *const *)f->rules, f->nrules, f->by);
		if (rc != 0)
			snprintf(why, cap, "redis: %s", mf_store_error(st));
		else if (f->body && teacher) {
			double p;

			/* Recorded either way; a lesson that cannot be
			 * taught (no model) is not an error of the record. */
			rc = mf_teacher_teach(teacher, st, f->post_id, f->body,
			    f->lang, f->agreed, f->by, &p, why, cap);
			if (rc > 0)
				rc = 0;
		}
	}
	mf_feedback_destroy(&f);
	return rc;
}

/* JSON Lines from stdin (the feedback record of docs/protocol.md, read
 * by the wire codec); bad lines are located and skipped. */
static int
s_lines(mf_store_t *st, const mf_config_t *cfg, mf_teacher_t *teacher,
    const mf_feedback_rules_t *known)
{
	char	*line = NULL, why[400];
	size_t	 cap = 0, lineno = 0, ok = 0, bad = 0;
	ssize_t	 n;
	int	 rc = 0;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		int	r;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if ((r = mf_feedback_record(cfg, st, teacher, known, line,
		    (size_t)n, why, sizeof(why))) < 0) {
			rc = 1;
			break;
		}
		if (r > 0) {
			fprintf(stderr, "stdin:%zu: error: %s\n", lineno, why);
			bad++;
		} else
			ok++;
	}
	free(line);
	fprintf(stderr, "medflag feedback: %zu recorded, %zu bad lines\n", ok,
	    bad);
	return rc != 0 || bad > 0;
}

/* One row of the summary. */
typedef struct s_row {
	const char	*id;
	uint64_t	 hits, shadow, agreed, overturned;
} s_row_t;

static int
s_cmp(const void *a, const void *b)
{
	const s_row_t *x = a, *y = b;

	if (x->hits + x->shadow != y->hits + y->shadow)
		return x->hits + x->shadow < y->hits + y->shadow ? 1 : -1;
	if (x->agreed + x->overturned != y->agreed + y->overturned)
		return x->agreed + x->overturned < y->agreed + y->overturned ?
		    1 : -1;
	return strcmp(x->id, y->id);
}

/* Every rule with hits (all time, as medflagd wrote them to Redis) or
 * feedback: its hits and its moderators' precision. */
static int
s_summary(mf_store_t *st)
{
	mf_rulehits_t	 fb = {0}, hits = {0};
	mf_buf_t	 demoted = {0};
	s_row_t		*v;
	size_t		 n = 0;
	int		 rc = 1;

	if (mf_store_feedback_counts(st, &fb) != 0 ||
	    mf_store_rule_hits(st, &hits) != 0 ||
	    mf_store_demoted(st, &demoted, NULL) != 0) {
		fprintf(stderr, "medflag feedback: %s\n", mf_store_error(st));
		goto out;
	}
	if ((v = calloc(fb.len + hits.len + 1, sizeof(*v))) == NULL)
		goto out;
	/* A row per rule with hits, with its feedback; then the rules with
	 * feedback and no hits. */
	for (size_t i = 0; i < hits.cap; i++)
		if (hits.v[i].id != NULL) {
			const mf_rulehit_t *f = mf_rulehits_get(&fb,
			    hits.v[i].id);

			v[n++] = (s_row_t){ hits.v[i].id, hits.v[i].hits,
			    hits.v[i].shadow, f ? f->hits : 0,
			    f ? f->shadow : 0 };
		}
	for (size_t i = 0; i < fb.cap; i++)
		if (fb.v[i].id != NULL && !mf_rulehits_get(&hits, fb.v[i].id))
			v[n++] = (s_row_t){ fb.v[i].id, 0, 0, fb.v[i].hits,
			    fb.v[i].shadow };
	qsort(v, n, sizeof(*v), s_cmp);
	if (n == 0)
		printf("no rule hits or feedback recorded\n");
	else
		printf("%-44s %9s %9s %8s %10s %9s\n", "rule", "hits",
		    "shadow", "agreed", "overturned", "precision");
	/* The demoted rules, as ",id,id," to find ",ID," in. */
	{
		mf_buf_t	d = {0};

		(void)mf_buf_printf(&d, ",%s,", demoted.data ? demoted.data :
		    "");
		mf_buf_free(&demoted);
		demoted = d;
	}
	for (size_t i = 0; i < n; i++) {
		char	p[16] = "-";

		if (v[i].agreed + v[i].overturned > 0)
			snprintf(p, sizeof(p), "%.2f", (double)v[i].agreed /
			    (double)(v[i].agreed + v[i].overturned));
		char	key[160];

		snprintf(key, sizeof(key), ",%s,", v[i].id);
		printf("%-44s %9llu %9llu %8llu %10llu %9s%s\n", v[i].id,
		    (unsigned long long)v[i].hits,
		    (unsigned long long)v[i].shadow,
		    (unsigned long long)v[i].agreed,
		    (unsigned long long)v[i].overturned, p, demoted.data &&
		    strstr(demoted.data, key) ? "  demoted" : "");
	}
	free(v);
	rc = 0;
out:
	mf_rulehits_free(&fb);
	mf_rulehits_free(&hits);
	mf_buf_free(&demoted);
	return rc;
}

/* `--restore RULE`: enforced again; its precision counts from now. */
static int
s_restore(mf_store_t *st, const char *rule)
{
	int	r = mf_store_restore(st, rule);

	if (r < 0) {
		fprintf(stderr, "medflag feedback: %s\n", mf_store_error(st));
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "medflag feedback: rule %s is not demoted\n  "
		    "hint: medflag feedback --summary marks the demoted "
		    "ones\n", rule);
		return 1;
	}
	printf("restored: %s is enforced again; its precision counts from "
	    "now on\n", rule);
	return 0;
}

int
mf_cmd_feedback(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_client_t	 cl = {0};
	mf_store_t	*st;
	mf_teacher_t	*teacher = NULL;
	mf_feedback_rules_t known = {0};
	const char	*rules[S_RULES_MAX], *pos[2] = { NULL, NULL };
	const char	*by = NULL, *mode = NULL, *textfile = NULL;
	const char	*rev = NULL, *lang = NULL, *restore = NULL;
	char		 err[512], why[600], *end, *text = NULL;
	size_t		 nrules = 0, npos = 0, tlen;
	int		 rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--revision") == 0 && i + 1 < argc) {
			rev = argv[++i];
			(void)strtoll(rev, &end, 10);
			if (*end != '\0' || rev[0] == '\0' || rev[0] == '-') {
				fprintf(stderr, "medflag feedback: --revision "
				    "%s: give a whole number, 0 or more\n",
				    argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
			by = argv[++i];
		else if (strcmp(argv[i], "--text") == 0 && i + 1 < argc)
			textfile = argv[++i];
		else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[++i];
		else if (strcmp(argv[i], "--summary") == 0 ||
		    strcmp(argv[i], "-") == 0)
			mode = argv[i];
		else if (strcmp(argv[i], "--restore") == 0 && i + 1 < argc) {
			mode = argv[i];
			restore = argv[++i];
		}
		else if (argv[i][0] == '-') {
			fputs(s_usage, stderr);
			return 2;
		} else if (npos < 2)
			pos[npos++] = argv[i];
		else if (nrules < S_RULES_MAX)
			rules[nrules++] = argv[i];
		else {
			fprintf(stderr, "medflag feedback: at most %d rules\n",
			    S_RULES_MAX);
			return 2;
		}
	}
	if (mode != NULL ? npos > 0 || textfile : npos < 2) {
		fputs(s_usage, stderr);
		return 2;
	}
	if (mode == NULL && s_valid(pos[0], pos[1], rules, nrules, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "medflag feedback: %s\n", why);
		return 2;
	}
	if (textfile && (text = mf_cli_slurp(textfile, &tlen)) == NULL)
		return 1;
	if (mf_client_config(cli, &cfg) == -1 ||
	    mf_client_init(&cl, &cfg) == -1) {
		free(text);
		return 1;
	}
	if ((st = mf_client_store(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "medflag feedback: %s\n", err);
		mf_client_term(&cl);
		free(text);
		return 1;
	}
	if ((mode == NULL || strcmp(mode, "-") == 0) &&
	    (teacher = mf_teacher_new(cfg.rules)) == NULL) {
		fprintf(stderr, "medflag feedback: out of memory\n");
		goto out;
	}
	/* Only ids of the rules that judge posts are kept for ever: those
	 * of the running rule set, else of the configuration's rules. */
	if (mode == NULL || strcmp(mode, "-") == 0) {
		if (mf_feedback_rules_running(&cl, 2000, &known) != 0) {
			fprintf(stderr, "medflag feedback: medflagd does not "
			    "answer; checking the rule ids against the rules "
			    "of the configuration\n");
			if (s_rules_configured(&known) != 0)
				goto out;
		}
		if (mode == NULL && s_known(&known, rules, nrules, why,
		    sizeof(why)) != 0) {
			fprintf(stderr, "medflag feedback: %s; nothing was "
			    "recorded\n", why);
			goto out;
		}
	}
	if (mode != NULL && strcmp(mode, "--summary") == 0)
		rc = s_summary(st);
	else if (mode != NULL && strcmp(mode, "--restore") == 0)
		rc = s_restore(st, restore);
	else if (mode != NULL)
		rc = s_lines(st, &cfg, teacher, &known);
	else if (s_one(st, &cfg, pos[0], rev, strcmp(pos[1], "agreed") == 0,
	    rules, nrules, by) == 0) {
		double	p;
		int	t;

		printf("recorded: %s %s for %zu rule%s\n", pos[0], pos[1],
		    nrules, nrules == 1 ? "" : "s");
		rc = 0;
		if (text && (t = mf_teacher_teach(teacher, st, pos[0], text,
		    lang, strcmp(pos[1], "agreed") == 0, by, &p, why,
		    sizeof(why))) != 0) {
			fprintf(stderr, "medflag feedback: not taught: %s\n",
			    why);
			rc = t < 0;
		} else if (text)
			printf("taught: the model said %.3f before\n", p);
	}
out:
	mf_rulehits_free(&known.ids);
	mf_teacher_destroy(&teacher);
	mf_store_destroy(&st);
	mf_client_term(&cl);
	free(text);
	return rc;
}
