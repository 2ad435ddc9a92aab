/*
 * rules.c - `medflag rules check | test | eval`: how rule editors lint,
 * try and measure rules (`rules backtest` is in backtest.c). Uses the same compiler and matcher as medflagd,
 * so they cannot disagree.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "normalize.h"
#include "prefilter.h"

/* The languages every claim family is written for: a claim without a
 * rule in one of them is a warning, so that a post in that language is not
 * judged by the English rules alone. */
static const char *const s_langs[] = { "en", "fr", "es", "de", NULL };

static void
s_check_langs(const mf_ruleset_t *rs, mf_diags_t *d)
{
	for (size_t c = 0; c < mf_ruleset_nclaims(rs); c++) {
		const mf_claim_t	*cl = mf_ruleset_claim_at(rs, c);
		char			 miss[64] = "";
		size_t			 len = 0;

		for (size_t k = 0; s_langs[k]; k++) {
			int have = 0;

			for (size_t i = 0; i < mf_ruleset_size(rs) && !have;
			    i++) {
				const mf_rule_t *r = mf_ruleset_rule(rs, i);

				have = r->claim == cl && r->lang &&
				    r->mode != MF_MODE_OFF &&
				    strcmp(r->lang, s_langs[k]) == 0;
			}
			if (!have)
				len += (size_t)snprintf(miss + len,
				    sizeof(miss) - len, "%s%s", len ? ", " :
				    "", s_langs[k]);
		}
		if (len)
			mf_diags_add(d, MF_DIAG_WARNING, cl->file, cl->line, 1,
			    "add a rule with 'lang' set for each language "
			    "(docs/rules.md, \"Languages\")", "claim %s has "
			    "no rule in %s", cl->id, miss);
	}
}

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
	rs = mf_cli_load_rules_diags(dir, src, 0, &d);
	if (rs && (sc = mf_scanner_new(NULL)) != NULL) {
		const mf_prefilter_t *pf = mf_ruleset_prefilter(rs);

		failed = mf_ruleset_test(rs, sc, &d);
		s_check_langs(rs, &d);
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
	char	*id, *text, *kind, *rules, *family, *lang;
	double	 score;
	int	 misinfo;
	int	 named;		/* a hit names the post's own family */
	mf_action_t action;
	int	 why;		/* misinfo not flagged: S_MISS_* */
} s_case_t;

/* Why a claim was not flagged: no rule hit it; a rule hit it and the
 * model's doubt (model-veto) made the hit count nothing; or what hit
 * it did not add up to a flag (a question's or sarcasm's scale, a weak
 * rule, the model alone below the bar). */
enum { S_MISS_NONE, S_MISS_NORULE, S_MISS_VETOED, S_MISS_LOW, S_MISS_N };

/* Figures of one group of posts (a family, a language, a kind, or all). */
typedef struct s_tally {
	const char	*name;
	size_t		 tp, fp, fn, tn;	/* flagged = flag or more */
	size_t		 reach;		/* misinfo that got annotate or more */
	size_t		 reach_named;	/* of them, with their own claim */
	size_t		 with_family;	/* misinfo that names its family: the
					 * named figures mean something */
	size_t		 neg_hard, neg_hard_flag, neg_hard_reach, nq, nq_annot;
	size_t		 nq_reach;	/* sincere questions annotated or more */
	size_t		 nq_named;	/* annotated with their own claim */
	size_t		 nord, nord_flag, nord_reach;	/* kind "ordinary" */
	size_t		 miss[S_MISS_N];	/* misinfo not flagged, why */
} s_tally_t;


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
	    "sarcasm", "quote", "reported", "harm", "former", "joke", NULL };

	for (size_t i = 0; kind && k[i]; i++)
		if (strcmp(kind, k[i]) == 0)
			return 1;
	return 0;
}

static void
s_show(const char *tag, const s_case_t *c)
{
	size_t	len = strlen(c->text), cut = mf_utf8_cut(c->text, len, 110);

	/* Never half a character: the excerpt ends on a sequence's start. */
	printf("  %-5s %-14s score %5.1f  %-8s %s\n        \"%.*s%s\"\n",
	    tag, c->id, c->score, mf_action_name(c->action),
	    c->rules[0] ? c->rules : "-", (int)cut, c->text,
	    cut < len ? "..." : "");
}

/* What eval gathers over the corpus. */
typedef struct s_eval {
	mf_ruleset_t	*rs;
	mf_sources_t	*src;
	mf_scanner_t	*sc;
	s_rstat_t	*rst;
	s_case_t	*cases;
	size_t		 ncases, cap;
	size_t		 nacts[5];
	size_t		 nother_lang;	/* flagged lang_unsupported */
	mf_cli_labels_t	 relabel;
	size_t		 ndropped;
	int		 labelled_only;
	mf_cli_part_t	 part;
	unsigned	 scan_flags;	/* MF_SCAN_NO_MODEL: rules alone */
} s_eval_t;

static int
s_eval_post(const mf_cli_line_t *l, void *arg)
{
	s_eval_t	*e = arg;
	mf_verdict_t	*v = NULL;
	s_case_t	*c;
	mf_buf_t	 rl = {0};
	const char	*label = l->label, *kind = l->kind;

	if (!mf_cli_part_has(&e->part, l->id))
		return 0;
	if (e->relabel.n) {
		const char *r = mf_cli_labels_find(&e->relabel, l->id);

		if (r == NULL && e->labelled_only) {
			e->ndropped++;
			return 0;
		}
		if (r) {
			label = strcmp(r, "claim") == 0 ? "misinfo" :
			    "reliable";
			kind = r;
		}
	}
	if (mf_scan(e->sc, e->rs, e->src, l->post, e->scan_flags, &v, NULL) ==
	    -1) {
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
	c->kind = strdup(kind ? kind : "");
	c->family = strdup(l->family ? l->family : "-");
	c->lang = strdup(l->lang ? l->lang : "-");
	c->misinfo = strcmp(label, "misinfo") == 0;
	c->score = v->score;
	c->action = v->action;
	c->why = S_MISS_NONE;
	c->named = 0;
	if (c->misinfo && v->action < MF_ACT_FLAG)
		c->why = S_MISS_NORULE;
	e->nacts[v->action]++;
	e->nother_lang += (v->flags & MF_VF_LANG_UNSUPPORTED) != 0;
	for (size_t h = 0; h < v->nhits; h++) {
		const mf_hit_t *hit = &v->hits[h];

		if (c->why != S_MISS_NONE && c->why != S_MISS_LOW &&
		    hit->mode == MF_MODE_ENFORCE &&
		    strcmp(hit->rule, "model") != 0)
			c->why = hit->score > 0 || hit->question ? S_MISS_LOW :
			    S_MISS_VETOED;

		mf_buf_printf(&rl, "%s%s%s", rl.len ? "," : "", hit->rule,
		    hit->question ? "?" : hit->mode == MF_MODE_SHADOW ?
		    "(shadow)" : "");
		if (hit->mode == MF_MODE_ENFORCE && hit->claim &&
		    strcmp(hit->claim, c->family) == 0)
			c->named = 1;
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
	mf_verdict_destroy(&v);
	return 0;
}

static void
s_tally_add(s_tally_t *t, const s_case_t *c)
{
	int flagged = c->action >= MF_ACT_FLAG;

	if (c->misinfo) {
		flagged ? t->tp++ : t->fn++;
		t->reach += c->action >= MF_ACT_ANNOTATE;
		t->reach_named += c->action >= MF_ACT_ANNOTATE && c->named;
		t->with_family += strcmp(c->family, "-") != 0;
		t->miss[c->why]++;
	} else
		flagged ? t->fp++ : t->tn++;
	if (!c->misinfo && s_is_hard_negative(c->kind)) {
		t->neg_hard++;
		t->neg_hard_flag += flagged;
		t->neg_hard_reach += c->action >= MF_ACT_ANNOTATE;
	}
	if (strcmp(c->kind, "ordinary") == 0 && !c->misinfo) {
		t->nord++;
		t->nord_flag += flagged;
		t->nord_reach += c->action >= MF_ACT_ANNOTATE;
	}
	if (strcmp(c->kind, "question") == 0 && !c->misinfo) {
		t->nq++;
		t->nq_annot += c->action == MF_ACT_ANNOTATE;
		t->nq_named += c->action == MF_ACT_ANNOTATE && c->named;
		t->nq_reach += c->action >= MF_ACT_ANNOTATE;
	}
}

/* Hard negatives other than sincere questions that reach a moderator. */
static double
s_neg_reach(const s_tally_t *t)
{
	size_t n = t->neg_hard - t->nq;

	return n ? (double)(t->neg_hard_reach - t->nq_reach) / (double)n : 0;
}

static double
s_precision(const s_tally_t *t)
{
	return t->tp + t->fp ? (double)t->tp / (double)(t->tp + t->fp) : 1;
}

static double
s_recall(const s_tally_t *t)
{
	return t->tp + t->fn ? (double)t->tp / (double)(t->tp + t->fn) : 1;
}

static double
s_f1(const s_tally_t *t)
{
	double p = s_precision(t), r = s_recall(t);

	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

static int
s_cmp_tally(const void *a, const void *b)
{
	double x = s_f1(a), y = s_f1(b);

	return x < y ? -1 : x > y ? 1 : strcmp(((const s_tally_t *)a)->name,
	    ((const s_tally_t *)b)->name);
}

/* The groups of 'e' by one field of a case (offset of a char * in
 * s_case_t). OWNS: caller (free). */
static s_tally_t *
s_group(const s_eval_t *e, size_t off, size_t *n)
{
	s_tally_t *g = calloc(e->ncases + 1, sizeof(*g));

	*n = 0;
	if (g == NULL)
		return NULL;
	for (size_t i = 0; i < e->ncases; i++) {
		const char	*name = *(char *const *)((const char *)
				    &e->cases[i] + off);
		size_t		 k;

		for (k = 0; k < *n && strcmp(g[k].name, name); k++)
			;
		if (k == *n)
			g[(*n)++].name = name;
		s_tally_add(&g[k], &e->cases[i]);
	}
	qsort(g, *n, sizeof(*g), s_cmp_tally);
	return g;
}

static void
s_print_groups(const char *title, const s_tally_t *g, size_t n)
{
	printf("\nby %s (worst F1 first):\n", title);
	printf("  %-30s %5s %5s %6s %6s %6s %6s %8s %8s %6s\n", title,
	    "posts", "claim", "prec", "recall", "reach", "named", "negflag",
	    "negreach", "q-ann");
	for (size_t k = 0; k < n; k++) {
		const s_tally_t *t = &g[k];
		size_t		 claims = t->tp + t->fn;
		char		 q[48] = "-", nf[24] = "-", nr[24] = "-";
		char		 nm[24] = "-", pr[24] = "-", rc[24] = "-";
		char		 re[24] = "-";

		if (t->nq)
			snprintf(q, sizeof(q), "%zu/%zu", t->nq_annot, t->nq);
		if (t->neg_hard) {
			snprintf(nf, sizeof(nf), "%.1f%%", 100.0 *
			    t->neg_hard_flag / t->neg_hard);
			snprintf(nr, sizeof(nr), "%.1f%%", 100.0 *
			    t->neg_hard_reach / t->neg_hard);
		}
		if (t->reach && t->with_family)
			snprintf(nm, sizeof(nm), "%.3f", (double)t->reach_named /
			    (double)t->reach);
		/* A group without claims (a kind of hard negative, the
		 * ordinary posts) has no precision, recall or reach of its
		 * own: its false flags are in negflag and negreach. */
		if (claims) {
			snprintf(pr, sizeof(pr), "%.3f", s_precision(t));
			snprintf(rc, sizeof(rc), "%.3f", s_recall(t));
			snprintf(re, sizeof(re), "%.3f", (double)t->reach /
			    (double)claims);
		}
		printf("  %-30.30s %5zu %5zu %6s %6s %6s %6s %8s %8s %6s\n",
		    t->name, t->tp + t->fp + t->fn + t->tn, claims, pr, rc, re,
		    nm, nf, nr, q);
	}
}

/* A threshold option of `rules eval` and where its value goes. */
struct s_limit {
	const char	*name;
	double		*v;
};

static size_t
s_limit_index(const struct s_limit *lim, const char *name)
{
	for (size_t k = 0; lim[k].name; k++)
		if (strcmp(lim[k].name, name) == 0)
			return k;
	return (size_t)-1;
}

static void
s_usage_eval(void)
{
	fprintf(stderr, "usage: medflag rules eval [--rules DIR] [--blind] "
	    "[--by family,lang,kind]\n"
	    "           [--labels FILE [--labelled-only]] [--part I/K] "
	    "[--no-model]\n"
	    "           [--min-precision P] [--min-recall R] "
	    "[--max-negative-flag-rate F]\n"
	    "           [--min-lang-recall R] [--min-question-annotate Q]\n"
	    "           [--max-flag-rate F] [--min-reach R] "
	    "[--max-negative-reach F]\n"
	    "           [--max-ordinary-flag-rate F] [--max-ordinary-reach F]\n"
	    "           [--min-claim-named R]\n"
	    "           [--quiet] FILE.jsonl...\n");
}

static int
s_eval(int argc, char **argv)
{
	const char	*dir = mf_cli_rules_dir(), *by = "", *labels = NULL;
	double		 minp = -1, minr = -1, maxneg = -1, minlang = -1;
	double		 minqa = -1, maxflag = -1, minreach = -1;
	double		 maxnegreach = -1, maxord = -1, minnamed = -1;
	double		 maxordreach = -1;
	/* No time budget: a figure must not depend on the machine's load. */
	s_eval_t	 e = { .scan_flags = MF_SCAN_NO_BUDGET };
	s_tally_t	 all = { .name = "all" };
	size_t		 nerr = 0, quiet = 0, blind = 0;
	double		 p, r;
	int		 rc = 0, nfiles = 0;

	struct s_limit	 lim[] = {
		{ "--min-precision", &minp }, { "--min-recall", &minr },
		{ "--max-negative-flag-rate", &maxneg },
		{ "--min-lang-recall", &minlang },
		{ "--min-question-annotate", &minqa },
		{ "--max-flag-rate", &maxflag }, { "--min-reach", &minreach },
		{ "--max-negative-reach", &maxnegreach },
		{ "--max-ordinary-flag-rate", &maxord },
		{ "--max-ordinary-reach", &maxordreach },
		{ "--min-claim-named", &minnamed }, { NULL, NULL },
	};
	size_t		 li;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] :
		    NULL;

		if (a[0] != '-') {
			nfiles++;
			continue;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "--blind") == 0 ||
		    strcmp(a, "--labelled-only") == 0 ||
		    strcmp(a, "--no-model") == 0) {
			quiet |= a[2] == 'q';
			blind |= a[2] == 'b';
			e.labelled_only |= a[2] == 'l';
			e.scan_flags |= a[2] == 'n' ? MF_SCAN_NO_MODEL : 0;
			argv[i] = NULL;
			continue;
		}
		if (next == NULL) {
			s_usage_eval();
			return 2;
		} else if (strcmp(a, "--rules") == 0)
			dir = next;
		else if (strcmp(a, "--by") == 0)
			by = next;
		else if (strcmp(a, "--labels") == 0)
			labels = next;
		else if (strcmp(a, "--part") == 0) {
			if (mf_cli_part_parse(&e.part, next) == -1)
				return 2;
		}
		else if ((li = s_limit_index(lim, a)) != (size_t)-1)
			*lim[li].v = atof(next);
		else {
			s_usage_eval();
			return 2;
		}
		argv[i] = argv[i + 1] = NULL;	/* not files */
		i++;
	}
	if (nfiles == 0) {
		s_usage_eval();
		return 2;
	}
	if (blind && !*by)
		by = "family,lang,kind";
	if (labels && mf_cli_labels_load(&e.relabel, labels) == -1)
		return 1;
	if ((e.rs = mf_cli_load_rules(dir, &e.src, MF_CLI_QUIET)) == NULL)
		return 1;
	if ((e.sc = mf_scanner_new(NULL)) == NULL ||
	    (e.rst = calloc(mf_ruleset_size(e.rs) + 1, sizeof(*e.rst))) ==
	    NULL)
		return 1;
	for (size_t i = 0; i < mf_ruleset_size(e.rs); i++)
		e.rst[i].id = mf_ruleset_rule(e.rs, i)->id;
	for (int i = 1; i < argc; i++) {
		if (argv[i] == NULL || argv[i][0] == '-')
			continue;
		if (mf_cli_each_post(argv[i], 1, s_eval_post, &e, &nerr) != 0) {
			rc = 1;
			goto out;
		}
	}
	for (size_t k = 0; k < e.ncases; k++)
		s_tally_add(&all, &e.cases[k]);
	p = s_precision(&all);
	r = s_recall(&all);
	printf("posts %zu (misinfo %zu, other %zu), rule set %s, %zu rules\n",
	    e.ncases, all.tp + all.fn, all.fp + all.tn, mf_ruleset_hash(e.rs),
	    mf_ruleset_size(e.rs));
	if (e.relabel.n)
		printf("labels from %s: %zu ids; %zu posts without one "
		    "dropped\n", labels, e.relabel.n, e.ndropped);
	printf("actions: none %zu, annotate %zu, flag %zu, hold %zu, block "
	    "%zu\n", e.nacts[0], e.nacts[1], e.nacts[2], e.nacts[3],
	    e.nacts[4]);
	if (e.nother_lang)
		printf("in a language medflag does not read (lang_unsupported): "
		    "%zu\n", e.nother_lang);
	printf("\n                 flagged  not flagged   (flagged = flag, "
	    "hold or block)\n");
	printf("  misinfo        %7zu  %11zu\n", all.tp, all.fn);
	printf("  other          %7zu  %11zu\n\n", all.fp, all.tn);
	printf("precision %.3f  recall %.3f  F1 %.3f\n", p, r, s_f1(&all));
	if (all.tp + all.fn)
		printf("misinformation that reaches a moderator (annotate or "
		    "more): %zu of %zu (%.1f%%)\n", all.reach, all.tp + all.fn,
		    100.0 * all.reach / (all.tp + all.fn));
	if (all.reach && all.with_family)
		printf("  with its own claim named (that claim's evidence): %zu "
		    "(%.1f%%)\n", all.reach_named, 100.0 * all.reach_named /
		    all.reach);
	if (all.fn)
		printf("misinformation not flagged: %zu; no rule hit %zu, a "
		    "rule hit the model's doubt cancelled %zu, hits too weak "
		    "for a flag %zu\n", all.fn, all.miss[S_MISS_NORULE],
		    all.miss[S_MISS_VETOED], all.miss[S_MISS_LOW]);
	if (all.neg_hard)
		printf("hard negatives (debunk, question, legit, news, sarcasm, "
		    "quote, reported, harm, former, joke) flagged: %zu of %zu "
		    "(%.1f%%)\n  reach a moderator (annotate or more): %zu "
		    "(%.1f%%); questions aside, whose annotation is meant: "
		    "%.1f%%\n", all.neg_hard_flag, all.neg_hard, 100.0 *
		    all.neg_hard_flag / all.neg_hard, all.neg_hard_reach,
		    100.0 * all.neg_hard_reach / all.neg_hard,
		    s_neg_reach(&all) * 100);
	if (all.nq) {
		printf("questions annotated: %zu of %zu", all.nq_annot, all.nq);
		if (all.with_family)
			printf("; with the evidence of the claim they ask "
			    "about: %zu", all.nq_named);
		printf("\n");
	}
	/* Everyday posts (greetings, chat, ordinary health-forum news): not
	 * hard negatives, but most of a forum's traffic. */
	if (all.nord)
		printf("ordinary posts flagged: %zu of %zu (%.1f%%); reach a "
		    "moderator: %zu (%.1f%%)\n", all.nord_flag, all.nord,
		    100.0 * all.nord_flag / all.nord, all.nord_reach,
		    100.0 * all.nord_reach / all.nord);
	for (const char *f = by; *f; f += strcspn(f, ","), f += *f == ',') {
		static const struct { const char *name; size_t off; } fld[] = {
			{ "family", offsetof(s_case_t, family) },
			{ "lang", offsetof(s_case_t, lang) },
			{ "kind", offsetof(s_case_t, kind) },
		};
		size_t n = strcspn(f, ","), ng = 0;

		for (size_t k = 0; k < 3; k++)
			if (strlen(fld[k].name) == n &&
			    memcmp(fld[k].name, f, n) == 0) {
				s_tally_t *g = s_group(&e, fld[k].off, &ng);

				if (g)
					s_print_groups(fld[k].name, g, ng);
				free(g);
			}
	}
	if (!quiet) {
		printf("\nhits per rule (asserting, enforced):\n");
		for (size_t k = 0; k < mf_ruleset_size(e.rs); k++)
			if (e.rst[k].tp + e.rst[k].fp)
				printf("  %-44s %4zu  right %4zu  wrong %3zu  "
				    "precision %.2f\n", e.rst[k].id,
				    e.rst[k].tp + e.rst[k].fp, e.rst[k].tp,
				    e.rst[k].fp, (double)e.rst[k].tp /
				    (e.rst[k].tp + e.rst[k].fp));
	}
	/* A blind corpus is never shown: no text, no post ids. */
	if (!quiet && !blind) {
		size_t shown = 0;

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
	if (maxneg >= 0 && all.neg_hard && (double)all.neg_hard_flag /
	    all.neg_hard > maxneg) {
		printf("FAIL: %.1f%% of hard negatives flagged, above %.1f%%\n",
		    100.0 * all.neg_hard_flag / all.neg_hard, 100 * maxneg);
		rc = 1;
	}
	if (minreach >= 0 && all.tp + all.fn && (double)all.reach /
	    (double)(all.tp + all.fn) < minreach) {
		printf("FAIL: %.1f%% of misinformation reaches a moderator, "
		    "below %.1f%%\n", 100.0 * all.reach / (all.tp + all.fn),
		    100 * minreach);
		rc = 1;
	}
	if (minnamed >= 0 && all.reach && (double)all.reach_named /
	    all.reach < minnamed) {
		printf("FAIL: %.1f%% of misinformation reaching a moderator has "
		    "its own claim named, below %.1f%%\n", 100.0 *
		    all.reach_named / all.reach, 100 * minnamed);
		rc = 1;
	}
	if (maxnegreach >= 0 && s_neg_reach(&all) > maxnegreach) {
		printf("FAIL: %.1f%% of hard negatives (questions aside) reach "
		    "a moderator, above %.1f%%\n", 100.0 * s_neg_reach(&all),
		    100 * maxnegreach);
		rc = 1;
	}
	if (maxord >= 0 && all.nord && (double)all.nord_flag / all.nord >
	    maxord) {
		printf("FAIL: %.1f%% of ordinary posts flagged, above %.1f%%\n",
		    100.0 * all.nord_flag / all.nord, 100 * maxord);
		rc = 1;
	}
	if (maxordreach >= 0 && all.nord && (double)all.nord_reach /
	    all.nord > maxordreach) {
		printf("FAIL: %.1f%% of ordinary posts reach a moderator, above "
		    "%.1f%%\n", 100.0 * all.nord_reach / all.nord,
		    100 * maxordreach);
		rc = 1;
	}
	if (minqa >= 0 && all.nq && (double)all.nq_annot / all.nq < minqa) {
		printf("FAIL: %.1f%% of questions annotated, below %.1f%%\n",
		    100.0 * all.nq_annot / all.nq, 100 * minqa);
		rc = 1;
	}
	if (maxflag >= 0 && e.ncases && (double)(all.tp + all.fp) /
	    e.ncases > maxflag) {
		printf("FAIL: %.2f%% of posts flagged, above %.2f%%\n", 100.0 *
		    (all.tp + all.fp) / e.ncases, 100 * maxflag);
		rc = 1;
	}
	if (minlang >= 0) {
		size_t		 ng = 0;
		s_tally_t	*g = s_group(&e, offsetof(s_case_t, lang), &ng);

		for (size_t k = 0; g && k < ng; k++)
			if (g[k].tp + g[k].fn && s_recall(&g[k]) < minlang) {
				printf("FAIL: recall %.3f in %s is below "
				    "%.3f\n", s_recall(&g[k]), g[k].name,
				    minlang);
				rc = 1;
			}
		free(g);
	}
out:
	for (size_t k = 0; k < e.ncases; k++) {
		free(e.cases[k].id);
		free(e.cases[k].text);
		free(e.cases[k].kind);
		free(e.cases[k].rules);
		free(e.cases[k].family);
		free(e.cases[k].lang);
	}
	mf_cli_labels_free(&e.relabel);
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
	    "       medflag rules eval [--rules DIR] [--blind] [--by "
	    "family,lang,kind] FILE.jsonl...\n"
	    "       medflag rules backtest [--rules DIR] [--all] "
	    "[--fail-on-regression]\n"
	    "                          NEW_DIR FILE.jsonl...\n");
	return 2;
}
