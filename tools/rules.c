/*
 * rules.c - `medflag rules check | test | eval`: how rule editors lint,
 * try and measure rules (`rules backtest` is in backtest.c). Uses the same compiler and matcher as medflagd,
 * so they cannot disagree.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prefilter.h"

static int
s_check(int argc, char **argv)
{
	const char	*dir = argc > 1 ? argv[1] : mf_cli_rules_dir();
	mf_diags_t	 d = {0};
	mf_sources_t	*src = mf_sources_new("files");
	mf_ruleset_t	*rs = NULL;
	mf_scanner_t	*sc = NULL;
	size_t		 nexp = 0, always = 0;
	int		 failed = 0, rc;

	if (src == NULL)
		return 1;
	rs = mf_cli_load_rules_diags(dir, src, &d);
	if (rs && (sc = mf_scanner_new(NULL)) != NULL) {
		const mf_prefilter_t *pf = mf_ruleset_prefilter(rs);

		failed = mf_ruleset_test(rs, sc, &d);
		for (size_t i = 0; i < mf_ruleset_size(rs); i++) {
			const mf_rule_t	*r = mf_ruleset_rule(rs, i);
			const char	*why = "";

			nexp += r->nexpect;
			if (pf && mf_prefilter_rule_always(pf, i, &why)) {
				always++;
				mf_diags_add(&d, MF_DIAG_NOTE, r->file, r->line,
				    1, "anchor each 'match' on a distinctive "
				    "word of 3+ letters", "rule %s runs on "
				    "every post (slow): %s", r->id, why);
			}
		}
	}
	mf_cli_print_diags(stderr, &d);
	if (rs == NULL || failed != 0) {
		fprintf(stderr, "medflag rules check: %zu errors, %zu warnings; "
		    "%s\n", d.errors, d.warnings, rs ? "expectations failed" :
		    "nothing was loaded");
	} else
		printf("medflag rules check: %zu claims, %zu rules, %zu "
		    "expectations passed, %zu rules without a literal "
		    "prefilter, %zu warnings; rule set %s\n",
		    mf_ruleset_nclaims(rs), mf_ruleset_size(rs), nexp, always,
		    d.warnings, mf_ruleset_hash(rs));
	rc = rs == NULL || failed != 0;
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	mf_diags_free(&d);
	return rc;
}

/* ---- rules eval ---------------------------------------------------------- */

typedef struct s_rstat {
	const char	*id;
	size_t		 tp, fp;
} s_rstat_t;

typedef struct s_case {
	char	*id, *text, *kind, *rules;
	double	 score;
	int	 misinfo;
	mf_action_t action;
} s_case_t;

static int
s_cmp_case(const void *a, const void *b)
{
	const s_case_t *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

static int
s_is_hard_negative(const char *kind)
{
	static const char *const k[] = { "debunk", "question", "legit", "news",
	    "sarcasm", "quote", NULL };

	for (size_t i = 0; kind && k[i]; i++)
		if (strcmp(kind, k[i]) == 0)
			return 1;
	return 0;
}

static void
s_show(const char *tag, const s_case_t *c)
{
	printf("  %-5s %-14s score %5.1f  %-8s %s\n        \"%.110s%s\"\n",
	    tag, c->id, c->score, mf_action_name(c->action),
	    c->rules[0] ? c->rules : "-", c->text,
	    strlen(c->text) > 110 ? "..." : "");
}

/* What eval gathers over the corpus. */
typedef struct s_eval {
	mf_ruleset_t	*rs;
	mf_sources_t	*src;
	mf_scanner_t	*sc;
	s_rstat_t	*rst;
	s_case_t	*cases;
	size_t		 ncases, cap;
	size_t		 tp, fp, fn, tn, nacts[5];
	size_t		 neg_hard, neg_hard_flag, nq, nq_annot;
} s_eval_t;

static int
s_eval_post(const mf_cli_line_t *l, void *arg)
{
	s_eval_t	*e = arg;
	mf_verdict_t	*v = NULL;
	s_case_t	*c;
	mf_buf_t	 rl = {0};

	if (mf_scan(e->sc, e->rs, e->src, l->post, 0, &v, NULL) == -1) {
		fprintf(stderr, "medflag: out of memory\n");
		return -1;
	}
	if (e->ncases == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		if ((e->cases = realloc(e->cases, e->cap * sizeof(*c))) == NULL)
			return -1;
	}
	c = &e->cases[e->ncases++];
	c->id = strdup(l->id);
	c->text = strdup(l->text);
	c->kind = l->kind ? strdup(l->kind) : NULL;
	c->misinfo = strcmp(l->label, "misinfo") == 0;
	c->score = v->score;
	c->action = v->action;
	e->nacts[v->action]++;
	for (size_t h = 0; h < v->nhits; h++) {
		const mf_hit_t *hit = &v->hits[h];

		mf_buf_printf(&rl, "%s%s%s", rl.len ? "," : "", hit->rule,
		    hit->question ? "?" : hit->mode == MF_MODE_SHADOW ?
		    "(shadow)" : "");
		if (hit->question || hit->mode != MF_MODE_ENFORCE)
			continue;
		for (size_t k = 0; k < mf_ruleset_size(e->rs); k++)
			if (strcmp(e->rst[k].id, hit->rule) == 0) {
				if (c->misinfo)
					e->rst[k].tp++;
				else
					e->rst[k].fp++;
			}
	}
	c->rules = rl.data ? rl.data : strdup("");
	if (v->action >= MF_ACT_FLAG)
		c->misinfo ? e->tp++ : e->fp++;
	else
		c->misinfo ? e->fn++ : e->tn++;
	if (!c->misinfo && s_is_hard_negative(l->kind)) {
		e->neg_hard++;
		e->neg_hard_flag += v->action >= MF_ACT_FLAG;
	}
	if (l->kind && strcmp(l->kind, "question") == 0) {
		e->nq++;
		e->nq_annot += v->action == MF_ACT_ANNOTATE;
	}
	mf_verdict_destroy(&v);
	return 0;
}

static int
s_eval(int argc, char **argv)
{
	const char	*dir = mf_cli_rules_dir();
	double		 minp = -1, minr = -1, maxneg = -1;
	s_eval_t	 e = {0};
	size_t		 nerr = 0, quiet = 0;
	double		 p, r, f1;
	int		 rc = 0, nfiles = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--min-precision") == 0 && i + 1 < argc)
			minp = atof(argv[++i]);
		else if (strcmp(argv[i], "--min-recall") == 0 && i + 1 < argc)
			minr = atof(argv[++i]);
		else if (strcmp(argv[i], "--max-negative-flag-rate") == 0 &&
		    i + 1 < argc)
			maxneg = atof(argv[++i]);
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: medflag rules eval [--rules DIR] "
			    "[--min-precision P] [--min-recall R] "
			    "[--max-negative-flag-rate F] [--quiet] "
			    "FILE.jsonl...\n");
			return 2;
		}
	}
	if ((e.rs = mf_cli_load_rules(dir, &e.src, 1)) == NULL)
		return 1;
	if ((e.sc = mf_scanner_new(NULL)) == NULL ||
	    (e.rst = calloc(mf_ruleset_size(e.rs) + 1, sizeof(*e.rst))) ==
	    NULL)
		return 1;
	for (size_t i = 0; i < mf_ruleset_size(e.rs); i++)
		e.rst[i].id = mf_ruleset_rule(e.rs, i)->id;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (strcmp(argv[i], "--quiet") != 0)
				i++;
			continue;
		}
		nfiles++;
		if (mf_cli_each_post(argv[i], 1, s_eval_post, &e, &nerr) != 0) {
			rc = 1;
			goto out;
		}
	}
	if (nfiles == 0) {
		fprintf(stderr, "usage: medflag rules eval [--rules DIR] "
		    "FILE.jsonl...\n");
		rc = 2;
		goto out;
	}
	p = e.tp + e.fp ? (double)e.tp / (double)(e.tp + e.fp) : 1;
	r = e.tp + e.fn ? (double)e.tp / (double)(e.tp + e.fn) : 1;
	f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
	printf("posts %zu (misinfo %zu, other %zu), rule set %s, %zu rules\n",
	    e.ncases, e.tp + e.fn, e.fp + e.tn, mf_ruleset_hash(e.rs),
	    mf_ruleset_size(e.rs));
	printf("actions: none %zu, annotate %zu, flag %zu, hold %zu, block "
	    "%zu\n", e.nacts[0], e.nacts[1], e.nacts[2], e.nacts[3],
	    e.nacts[4]);
	printf("\n                 flagged  not flagged   (flagged = flag, "
	    "hold or block)\n");
	printf("  misinfo        %7zu  %11zu\n", e.tp, e.fn);
	printf("  other          %7zu  %11zu\n\n", e.fp, e.tn);
	printf("precision %.3f  recall %.3f  F1 %.3f\n", p, r, f1);
	if (e.neg_hard)
		printf("hard negatives (debunk, question, legit, news, sarcasm, "
		    "quote) flagged: %zu of %zu (%.1f%%)\n", e.neg_hard_flag,
		    e.neg_hard, 100.0 * e.neg_hard_flag / e.neg_hard);
	if (e.nq)
		printf("questions annotated: %zu of %zu\n", e.nq_annot, e.nq);
	if (!quiet) {
		size_t shown = 0;

		printf("\nhits per rule (asserting, enforced):\n");
		for (size_t k = 0; k < mf_ruleset_size(e.rs); k++)
			if (e.rst[k].tp + e.rst[k].fp)
				printf("  %-44s %4zu  right %4zu  wrong %3zu  "
				    "precision %.2f\n", e.rst[k].id,
				    e.rst[k].tp + e.rst[k].fp, e.rst[k].tp,
				    e.rst[k].fp, (double)e.rst[k].tp /
				    (e.rst[k].tp + e.rst[k].fp));
		qsort(e.cases, e.ncases, sizeof(*e.cases), s_cmp_case);
		printf("\nworst false positives:\n");
		for (size_t k = 0; k < e.ncases && shown < 10; k++)
			if (!e.cases[k].misinfo &&
			    e.cases[k].action >= MF_ACT_FLAG) {
				s_show("FP", &e.cases[k]);
				shown++;
			}
		if (shown == 0)
			printf("  none\n");
		printf("\nmissed misinformation (first 10):\n");
		shown = 0;
		for (size_t k = 0; k < e.ncases && shown < 10; k++)
			if (e.cases[k].misinfo &&
			    e.cases[k].action < MF_ACT_FLAG) {
				s_show("miss", &e.cases[k]);
				shown++;
			}
		if (shown == 0)
			printf("  none\n");
	}
	if (nerr) {
		printf("FAIL: %zu lines could not be read\n", nerr);
		rc = 1;
	}
	if (minp >= 0 && p < minp) {
		printf("FAIL: precision %.3f is below %.3f\n", p, minp);
		rc = 1;
	}
	if (minr >= 0 && r < minr) {
		printf("FAIL: recall %.3f is below %.3f\n", r, minr);
		rc = 1;
	}
	if (maxneg >= 0 && e.neg_hard && (double)e.neg_hard_flag /
	    e.neg_hard > maxneg) {
		printf("FAIL: %.1f%% of hard negatives flagged, above %.1f%%\n",
		    100.0 * e.neg_hard_flag / e.neg_hard, 100 * maxneg);
		rc = 1;
	}
out:
	for (size_t k = 0; k < e.ncases; k++) {
		free(e.cases[k].id);
		free(e.cases[k].text);
		free(e.cases[k].kind);
		free(e.cases[k].rules);
	}
	free(e.cases);
	free(e.rst);
	mf_scanner_destroy(&e.sc);
	mf_ruleset_destroy(&e.rs);
	mf_sources_destroy(&e.src);
	return rc;
}

/* ---- rules test ---------------------------------------------------------- */

/* `rules test FILE [TEXT|-]`: the rule set with FILE in place of the file of
 * the same name, its expect lines run, and TEXT explained. */
static int
s_test(int argc, char **argv, const mf_cli_t *cli)
{
	const char	*dir = mf_cli_rules_dir(), *file = NULL, *text = NULL;
	const char	*base;
	char		**files = NULL, path[4096];
	size_t		 n = 0;
	DIR		*d;
	struct dirent	*de;
	mf_diags_t	 diags = {0};
	mf_sources_t	*src = mf_sources_new("files");
	mf_ruleset_t	*rs = NULL;
	mf_scanner_t	*sc = NULL;
	int		 rc = 1, failed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (file == NULL)
			file = argv[i];
		else if (text == NULL)
			text = argv[i];
	}
	if (file == NULL || src == NULL) {
		fprintf(stderr, "usage: medflag rules test [--rules DIR] "
		    "FILE.rules [TEXT|-]\n");
		return 2;
	}
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	files = calloc(1024, sizeof(*files));
	files[n++] = strdup(file);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL && n < 1023) {
			size_t l = strlen(de->d_name);

			if (l < 7 || strcmp(de->d_name + l - 6, ".rules") ||
			    strcmp(de->d_name, base) == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			files[n++] = strdup(path);
		}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/sources", dir);
	(void)mf_sources_load_dir(src, path, &diags);
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	rs = mf_ruleset_load_files((const char *const *)files, n,
	    access(path, R_OK) == 0 ? path : NULL, mf_sources_count(src,
	    MF_LIST_VETTED) ? src : NULL, 0, &diags);
	if (rs && (sc = mf_scanner_new(NULL)) != NULL)
		failed = mf_ruleset_test(rs, sc, &diags);
	mf_cli_print_diags(stderr, &diags);
	if (rs == NULL || failed) {
		fprintf(stderr, "medflag rules test: %s: %zu errors\n", file,
		    diags.errors);
		goto out;
	}
	printf("%s: compiles, every expect line passes\n", file);
	rc = 0;
	if (text) {
		{
			mf_post_t	*post;
			mf_verdict_t	*v = NULL;
			size_t		 len = 0;
			char		*body = strcmp(text, "-") == 0 ?
			    mf_cli_slurp("-", &len) : strdup(text);

			if (body == NULL)
				goto out;
			len = strlen(body);
			post = mf_post_new_len("test", body, len);
			if (post && mf_scan(sc, rs, src, post, 0, &v, NULL) ==
			    0) {
				printf("verdict: %s (score %.1f)\n",
				    mf_action_name(v->action), v->score);
				for (size_t h = 0; h < v->nhits; h++)
					printf("  %s%s +%.1f\n",
					    v->hits[h].rule, v->hits[h].question
					    ? " (question)" : "",
					    v->hits[h].score);
			}
			mf_verdict_destroy(&v);
			mf_post_destroy(&post);
			free(body);
		}
	}
out:
	(void)cli;
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	mf_diags_free(&diags);
	return rc;
}

int
mf_cmd_rules(int argc, char **argv, const mf_cli_t *cli)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return s_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "eval") == 0)
		return s_eval(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return s_test(argc - 1, argv + 1, cli);
	if (argc >= 2 && strcmp(argv[1], "backtest") == 0)
		return mf_cli_rules_backtest(argc - 1, argv + 1);
	fprintf(stderr, "usage: medflag rules check [DIR]\n"
	    "       medflag rules test [--rules DIR] FILE.rules [TEXT|-]\n"
	    "       medflag rules eval [--rules DIR] [--min-precision P] "
	    "[--min-recall R]\n"
	    "                          [--max-negative-flag-rate F] "
	    "FILE.jsonl...\n"
	    "       medflag rules backtest [--rules DIR] [--all] "
	    "[--fail-on-regression]\n"
	    "                          NEW_DIR FILE.jsonl...\n");
	return 2;
}
