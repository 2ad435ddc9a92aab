/*
 * learn.c - `medflag learn train`: the model beside the rules, trained
 * from labelled JSON Lines corpora and the rules' own `expect` lines, with
 * k-fold precision and recall printed before the file is written.
 *
 * Posts are normalized exactly as the scanner normalizes them
 * (mf_scan_norm), so the features seen in training are the ones seen in
 * judging. Texts live in memory for the k-fold check only; the model file
 * holds hashed weights, never text.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "hash.h"
#include "learn.h"
#include "store.h"

typedef struct s_ex {
	char	*text;		/* normalized */
	size_t	 len;
	char	 lang[4];
	int	 label;
	char	*claim;
	double	 weight;
	unsigned fold;
} s_ex_t;

typedef struct s_train {
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc;
	s_ex_t		*ex;
	size_t		 nex, cap;
	unsigned	 folds;
	size_t		 bad;
	/* What applies to the corpus files that follow on the command
	 * line: labels by id, what to do with a post without one (keep its
	 * own label, drop it, or keep it only when it is not a claim), the
	 * part of the corpus that teaches. */
	mf_cli_labels_t	 labels;
	enum { S_KEEP, S_DROP, S_NEGATIVE } unlabelled;
	mf_cli_part_t	 part;
	double		 weight;	/* of each of their posts */
} s_train_t;

static void
s_train_free(s_train_t *t)
{
	for (size_t k = 0; k < t->nex; k++) {
		free(t->ex[k].text);
		free(t->ex[k].claim);
	}
	free(t->ex);
	mf_cli_labels_free(&t->labels);
	mf_scanner_destroy(&t->sc);
	mf_ruleset_destroy(&t->rs);
}

static int
s_add(s_train_t *t, const char *id, const mf_post_t *post, int label,
    const char *claim, double weight)
{
	const mf_norm_t	*n;
	const char	*lang, *mt;
	mf_err_t	 err;
	s_ex_t		*e;

	if ((n = mf_scan_norm(t->sc, t->rs, post, &lang, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", id, err.msg);
		t->bad++;
		return 0;
	}
	if (t->nex == t->cap) {
		size_t	 cap = t->cap ? 2 * t->cap : 4096;
		s_ex_t	*v = realloc(t->ex, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		t->ex = v;
		t->cap = cap;
	}
	e = &t->ex[t->nex];
	memset(e, 0, sizeof(*e));
	mt = mf_scan_model_text(n, &e->len);
	if ((e->text = malloc(e->len + 1)) == NULL)
		return -1;
	memcpy(e->text, mt, e->len + 1);
	snprintf(e->lang, sizeof(e->lang), "%s", lang);
	e->label = label;
	e->claim = claim ? strdup(claim) : NULL;
	e->weight = weight;
	/* The fold by the post's id, so that a post stays in its fold
	 * whatever else the corpus holds. */
	e->fold = (unsigned)(mf_fnv64(MF_FNV64_INIT, id, strlen(id)) %
	    (t->folds ? t->folds : 1));
	t->nex++;
	return 0;
}

static int
s_corpus_line(const mf_cli_line_t *l, void *arg)
{
	s_train_t	*t = arg;
	const char	*given;
	int		 label = strcmp(l->label, "misinfo") == 0;

	if (!mf_cli_part_has(&t->part, l->id))
		return 0;
	if ((given = mf_cli_labels_find(&t->labels, l->id)) != NULL)
		label = strcmp(given, "claim") == 0;
	else if (t->unlabelled == S_DROP ||
	    (t->unlabelled == S_NEGATIVE && label))
		return 0;
	return s_add(t, l->id, l->post, label, label ? l->family : NULL,
	    t->weight);
}

/* The options that may stand between corpus files (s_corpus_opt()). */
static const char *const s_corpus_opts[] = {
	"--labels", "--part", "--weight", "--unlabelled", NULL
};

static int
s_is_corpus_opt(const char *a)
{
	for (size_t k = 0; s_corpus_opts[k]; k++)
		if (strcmp(a, s_corpus_opts[k]) == 0)
			return 1;
	return 0;
}

/* Applies one of s_corpus_opts; 1 if 'a' was one. */
static int
s_corpus_opt(s_train_t *t, const char *a, const char *v)
{
	if (strcmp(a, "--labels") == 0) {
		mf_cli_labels_free(&t->labels);
		return strcmp(v, "-") == 0 ? 1 :
		    mf_cli_labels_load(&t->labels, v) == -1 ? -1 : 1;
	}
	if (strcmp(a, "--part") == 0)
		return mf_cli_part_parse(&t->part, v) == -1 ? -1 : 1;
	if (strcmp(a, "--weight") == 0) {
		char *e;

		t->weight = strtod(v, &e);
		if (*v == '\0' || *e != '\0' || !(t->weight > 0) ||
		    t->weight > 1000) {
			fprintf(stderr, "medflag learn: --weight %s: a number "
			    "above 0, at most 1000\n", v);
			return -1;
		}
		return 1;
	}
	if (strcmp(a, "--unlabelled") == 0) {
		if (strcmp(v, "keep") == 0)
			t->unlabelled = S_KEEP;
		else if (strcmp(v, "drop") == 0)
			t->unlabelled = S_DROP;
		else if (strcmp(v, "negative") == 0)
			t->unlabelled = S_NEGATIVE;
		else {
			fprintf(stderr, "medflag learn: --unlabelled %s: "
			    "keep, drop or negative\n", v);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* Reads the corpus files of argv[i..], with the options between them. */
static int
s_corpora(s_train_t *t, int i, int argc, char **argv)
{
	for (; i < argc; i++) {
		size_t	bad = 0;
		int	o;

		if (argv[i][0] == '-' && i + 1 < argc) {
			if ((o = s_corpus_opt(t, argv[i], argv[i + 1])) == -1)
				return -1;
			if (o == 1) {
				i++;
				continue;
			}
		}
		if (mf_cli_each_post(argv[i], 1, s_corpus_line, t, &bad) ==
		    -1)
			return -1;
		t->bad += bad;
	}
	return 0;
}

/* Every rule's `expect` lines: a match line is a claim of the rule's
 * family, a nomatch or question line is not. */
static int
s_expects(s_train_t *t, double weight)
{
	char id[64];

	for (size_t i = 0; i < mf_ruleset_size(t->rs); i++) {
		const mf_rule_t *r = mf_ruleset_rule(t->rs, i);

		if (r->mode == MF_MODE_OFF)
			continue;
		for (size_t k = 0; k < r->nexpect; k++) {
			const mf_expect_t *x = &r->expect[k];
			mf_post_t	  *p;
			int		   label = x->kind == MF_EXPECT_MATCH;
			int		   rc;

			snprintf(id, sizeof(id), "%s:%zu", r->file, x->line);
			if ((p = mf_post_new(id, x->text)) == NULL)
				return -1;
			if (r->lang)
				p->lang = strdup(r->lang);
			rc = s_add(t, id, p, label, label ? r->claim->id : NULL,
			    weight);
			mf_post_destroy(&p);
			if (rc == -1)
				return -1;
		}
	}
	return 0;
}

static mf_learner_t *
s_learner(const s_train_t *t, const mf_learn_opts_t *o, long hold)
{
	mf_learner_t *l = mf_learner_new(o);

	for (size_t i = 0; l && i < t->nex; i++) {
		const s_ex_t *e = &t->ex[i];

		if (hold >= 0 && e->fold == (unsigned)hold)
			continue;
		if (mf_learner_add(l, e->text, e->len, e->lang, e->label,
		    e->claim, e->weight) == -1)
			mf_learner_destroy(&l);
	}
	return l;
}

/* k-fold: every post judged by a model that never saw it. */
static const double s_bars[] = { 0.3, 0.5, 0.7, 0.8, 0.9, 0.95 };
#define S_NBARS	(sizeof(s_bars) / sizeof(*s_bars))

typedef struct s_score {
	size_t	tp[S_NBARS], fp[S_NBARS], pos, neg, hint, hinted, nohint;
} s_score_t;

static void
s_print_bars(const s_score_t *s)
{
	printf("  %-6s %9s %7s %10s\n", "p >=", "precision", "recall",
	    "other hit");
	for (size_t b = 0; b < S_NBARS; b++)
		printf("  %-6.2f %9.3f %7.3f %10.3f\n", s_bars[b],
		    s->tp[b] + s->fp[b] ? (double)s->tp[b] /
		    (double)(s->tp[b] + s->fp[b]) : 0, s->pos ?
		    (double)s->tp[b] / (double)s->pos : 0, s->neg ?
		    (double)s->fp[b] / (double)s->neg : 0);
	printf("  family hint right for %.3f of %zu claims (no family's "
	    "words in %zu)\n", s->hinted ? (double)s->hint /
	    (double)s->hinted : 0, s->hinted, s->nohint);
}

/* Judges the examples of fold 'fold' (every one when -1) written in
 * 'lang' (all when NULL) with 'm'. */
static void
s_judge(const s_train_t *t, const mf_model_t *m, long fold, const char *lang,
    s_score_t *s)
{
	for (size_t i = 0; i < t->nex; i++) {
		const s_ex_t	*e = &t->ex[i];
		double		 p;

		if ((fold >= 0 && e->fold != (unsigned)fold) ||
		    (lang && strcmp(e->lang, lang) != 0))
			continue;
		p = mf_model_prob(m, e->text, e->len, e->lang);
		e->label ? s->pos++ : s->neg++;
		for (size_t b = 0; b < S_NBARS; b++)
			if (p >= s_bars[b]) {
				s->tp[b] += e->label;
				s->fp[b] += !e->label;
			}
		if (e->label && e->claim) {
			long c = mf_model_hint(m, e->text, e->len, e->lang,
			    NULL);

			s->hinted++;
			s->nohint += c < 0;
			s->hint += c >= 0 && strcmp(mf_model_class(m,
			    (size_t)c), e->claim) == 0;
		}
	}
}

static int
s_kfold(const s_train_t *t, const mf_learn_opts_t *o)
{
	s_score_t s = { 0 };

	for (unsigned f = 0; f < t->folds; f++) {
		mf_learner_t	*l = s_learner(t, o, f);
		mf_model_t	*m = l ? mf_learner_train(l, NULL) : NULL;

		mf_learner_destroy(&l);
		if (m == NULL)
			return -1;
		s_judge(t, m, f, NULL, &s);
		mf_model_destroy(&m);
	}
	printf("%u-fold (each post judged by a model that never saw it):\n",
	    t->folds);
	s_print_bars(&s);
	return 0;
}

static int
s_write(const char *path, const mf_model_t *m)
{
	unsigned char	*bytes;
	size_t		 len;
	char		 tmp[4200];
	FILE		*fp;

	if (mf_model_encode(m, &bytes, &len) == -1)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "medflag: %s: path too long\n", path);
		mf_free(bytes);
		return -1;
	}
	if ((fp = fopen(tmp, "wb")) == NULL ||
	    fwrite(bytes, 1, len, fp) != len || fclose(fp) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "medflag: %s: %s\n", path, strerror(errno));
		mf_free(bytes);
		return -1;
	}
	mf_free(bytes);
	return 0;
}

static void
s_usage(FILE *fp)
{
	fprintf(fp, "usage: medflag learn train [--rules DIR] [--out FILE] "
	    "[--folds K] [--bits N]\n"
	    "           [--epochs N] [--runs N] [--rate R] [--l2 L] "
	    "[--expect-weight W]\n"
	    "           [[--labels FILE|-] [--unlabelled keep|drop|negative] "
	    "[--part I/K|all]\n"
	    "            [--weight W] CORPUS.jsonl...]...\n"
	    "  Trains the model from labelled posts (\"label\": misinfo or "
	    "anything else,\n"
	    "  \"family\": the claim id) and the rules' expect lines; prints "
	    "k-fold\n"
	    "  precision and recall; writes FILE (default DIR/medflag.model)."
	    "\n"
	    "  --labels, --unlabelled, --part and --weight apply to the corpus "
	    "files\n"
	    "  after them: labels by id (claim, or anything else), what a post "
	    "without\n"
	    "  one becomes (negative: kept only when its own label is not "
	    "misinfo), the\n"
	    "  part of the corpus that teaches (the other part can judge), "
	    "how much each\n"
	    "  of their posts counts (default 1). --runs: "
	    "how many\n"
	    "  orders of the examples it learns in, their weights averaged "
	    "(default 4).\n"
	    "       medflag learn eval [--rules DIR] [--model FILE] [--taught] "
	    "CORPUS.jsonl...\n"
	    "  Figures only (never text); --taught: with what moderators "
	    "taught it.\n"
	    "       medflag learn status\n"
	    "  What moderators taught the model (medflag feedback --text), "
	    "by whom, and\n"
	    "  how right it was on their recent outcomes.\n");
}

static int
s_train(int argc, char **argv)
{
	s_train_t	 t = { .folds = 5, .weight = 1 };
	mf_learn_opts_t	 o;
	const char	*dir = mf_cli_rules_dir(), *out = NULL;
	char		 defout[4096];
	double		 xw = 1;
	mf_learner_t	*l = NULL;
	mf_model_t	*m = NULL;
	size_t		 pos = 0;
	int		 i, rc = 1;
	int64_t		 t0, t1;

	mf_learn_defaults(&o);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			s_usage(stdout);
			return 0;
		}
		if (v == NULL) {
			fprintf(stderr, "medflag learn train: %s needs a "
			    "value\n", a);
			return 2;
		}
		if (strcmp(a, "--rules") == 0)
			dir = v;
		else if (strcmp(a, "--out") == 0)
			out = v;
		else if (strcmp(a, "--folds") == 0)
			t.folds = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--bits") == 0)
			o.bits = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--epochs") == 0)
			o.epochs = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--runs") == 0)
			o.runs = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--rate") == 0)
			o.rate = strtod(v, NULL);
		else if (strcmp(a, "--l2") == 0)
			o.l2 = strtod(v, NULL);
		else if (strcmp(a, "--expect-weight") == 0)
			xw = strtod(v, NULL);
		else if (s_is_corpus_opt(a))
			break;
		else {
			fprintf(stderr, "medflag learn train: unknown option "
			    "%s\n", a);
			s_usage(stderr);
			return 2;
		}
		i++;
	}
	if (i == argc) {
		s_usage(stderr);
		return 2;
	}
	if (out == NULL) {
		snprintf(defout, sizeof(defout), "%s/medflag.model", dir);
		out = defout;
	}
	/* The folder's model may be one this medflag no longer reads: a new
	 * one is made from the rules, not from it. */
	if ((t.rs = mf_cli_load_rules(dir, NULL, MF_CLI_QUIET |
	    MF_CLI_NO_MODEL)) == NULL ||
	    (t.sc = mf_scanner_new(NULL)) == NULL)
		goto out;
	if (s_corpora(&t, i, argc, argv) == -1)
		goto out;
	if (xw > 0 && s_expects(&t, xw) == -1)
		goto out;
	if (t.bad) {
		fprintf(stderr, "medflag learn train: %zu lines could not be "
		    "read (above); fix them first\n", t.bad);
		goto out;
	}
	for (size_t k = 0; k < t.nex; k++)
		pos += t.ex[k].label;
	printf("examples %zu (claims %zu, other %zu), 2^%u weights, "
	    "%u epochs, %u runs averaged\n", t.nex, pos, t.nex - pos, o.bits,
	    o.epochs, o.runs);
	if (t.folds > 1 && s_kfold(&t, &o) == -1)
		goto oom;
	t0 = mf_now_ns();
	if ((l = s_learner(&t, &o, -1)) == NULL ||
	    (m = mf_learner_train(l, NULL)) == NULL)
		goto oom;
	t1 = mf_now_ns();
	if (s_write(out, m) == -1)
		goto out;
	printf("model %s: %s, %zu families, trained in %.1f s\n", out,
	    mf_model_hash(m), mf_model_nclass(m), (double)(t1 - t0) /
	    1e9);
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "medflag learn train: out of memory or bad options "
	    "(--bits 12..24, --epochs >= 1, --runs 1..64)\n");
out:
	s_train_free(&t);
	mf_model_destroy(&m);
	mf_learner_destroy(&l);
	return rc;
}

/* `learn eval`: figures only, never text, so it may read a blind set. */
/* The model with what moderators taught it (Redis of the configuration),
 * in place of '*m'. 0, or -1 with a message. */
static int
s_taught(const mf_cli_t *cli, mf_model_t **m)
{
	mf_config_t	  cfg;
	mf_store_t	 *st;
	mf_model_delta_t *d = NULL;
	mf_model_t	 *t;
	size_t		  n = 0;
	char		  err[512];

	if (mf_client_config(cli, &cfg) == -1)
		return -1;
	if ((st = mf_store_connect(&cfg, 2000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "medflag learn: %s\n", err);
		return -1;
	}
	if (mf_store_learn_fetch(st, mf_model_hash(*m), &d, &n) != 0) {
		fprintf(stderr, "medflag learn: %s\n", mf_store_error(st));
		mf_store_destroy(&st);
		return -1;
	}
	mf_store_destroy(&st);
	t = mf_model_with(*m, d, n);
	free(d);
	if (t == NULL) {
		fprintf(stderr, "medflag learn: lessons out of range\n");
		return -1;
	}
	printf("with %zu weights taught by moderators\n", n);
	mf_model_destroy(m);
	*m = t;
	return 0;
}

static int
s_eval(int argc, char **argv, const mf_cli_t *cli)
{
	static const char *const langs[] = { "en", "fr", "es", "de" };
	s_train_t	 t = { .folds = 1, .weight = 1 };
	const char	*dir = mf_cli_rules_dir(), *path = NULL;
	char		 defpath[4096], why[1400];
	mf_model_t	*m = NULL;
	int		 i, rc = 1, taught = 0;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2)
		if (strcmp(argv[i], "--rules") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--model") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--taught") == 0) {
			taught = 1;
			i--;
		} else
			break;
	if (i == argc) {
		fprintf(stderr, "usage: medflag learn eval [--rules DIR] "
		    "[--model FILE] [--taught] [--labels FILE|-]\n"
		    "           [--unlabelled keep|drop|negative] [--part "
		    "I/K|all] CORPUS.jsonl...\n");
		return 2;
	}
	if (path == NULL) {
		snprintf(defpath, sizeof(defpath), "%s/medflag.model", dir);
		path = defpath;
	}
	if ((m = mf_cli_model_load(path, why, sizeof(why))) == NULL) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	if (taught && s_taught(cli, &m) == -1)
		goto out;
	if ((t.rs = mf_cli_load_rules(dir, NULL, MF_CLI_QUIET |
	    MF_CLI_NO_MODEL)) == NULL ||
	    (t.sc = mf_scanner_new(NULL)) == NULL)
		goto out;
	if (s_corpora(&t, i, argc, argv) == -1)
		goto out;
	printf("model %s, %zu posts\n", mf_model_hash(m), t.nex);
	for (int k = -1; k < 4; k++) {
		s_score_t s = { 0 };

		s_judge(&t, m, -1, k < 0 ? NULL : langs[k], &s);
		if (s.pos + s.neg == 0)
			continue;
		printf("%s (claims %zu, other %zu):\n", k < 0 ? "all" :
		    langs[k], s.pos, s.neg);
		s_print_bars(&s);
	}
	rc = t.bad ? 1 : 0;
out:
	s_train_free(&t);
	mf_model_destroy(&m);
	return rc;
}

/* `learn status`: what moderators taught the model, and how right it was
 * on their recent outcomes (its answer before each lesson). */
static int
s_status(const mf_cli_t *cli)
{
	mf_config_t		 cfg;
	mf_store_t		*st;
	mf_learn_status_t	 ls;
	mf_model_t		*m;
	char			 path[1100], e[1400];
	int			 rc = 1;

	if (mf_client_config(cli, &cfg) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/medflag.model", cfg.rules);
	if ((m = mf_cli_model_load(path, e, sizeof(e))) == NULL) {
		fprintf(stderr, "%s\n", e);
		return 1;
	}
	if ((st = mf_store_connect(&cfg, 2000, e, sizeof(e))) == NULL) {
		fprintf(stderr, "medflag learn: %s\n", e);
		goto out;
	}
	if (mf_store_learn_status(st, mf_model_hash(m), &ls) != 0) {
		fprintf(stderr, "medflag learn: %s\n", mf_store_error(st));
		goto out;
	}
	printf("model %s (%s), %zu claim families\n", mf_model_hash(m), path,
	    mf_model_nclass(m));
	printf("outcomes taught: %lld; weights changed: %lld of %zu\n",
	    ls.taught, ls.buckets, (size_t)1 << mf_model_bits(m));
	for (size_t i = 0; i < ls.nby; i++)
		printf("  by %-24s %lld\n", ls.by[i], ls.by_n[i]);
	if (ls.recent) {
		printf("the last %zu outcomes (at most %d kept): the model "
		    "agreed with the moderator before the lesson on %.1f%%\n",
		    ls.recent, MF_LEARN_RECENT, 100.0 * (double)ls.recent_right /
		    (double)ls.recent);
		if (ls.recent_flagged)
			printf("  precision of its claims (p >= 0.5): %.3f "
			    "(%zu of %zu)\n", (double)ls.recent_flagged_right /
			    (double)ls.recent_flagged, ls.recent_flagged_right,
			    ls.recent_flagged);
	} else
		printf("no outcomes with the post's text yet: teach with "
		    "`medflag feedback ... --text FILE`\n");
	rc = 0;
out:
	mf_store_destroy(&st);
	mf_model_destroy(&m);
	return rc;
}

int
mf_cmd_learn(int argc, char **argv, const mf_cli_t *cli)
{
	if (argc >= 2 && strcmp(argv[1], "train") == 0)
		return s_train(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "eval") == 0)
		return s_eval(argc - 1, argv + 1, cli);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return s_status(cli);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		s_usage(stdout);
		return 0;
	}
	s_usage(stderr);
	return 2;
}
