/*
 * equiv_test.c - the prefilter changes nothing but speed: a generated rule
 * set (hundreds of rules: single patterns, ANDs with 'near', 'unless',
 * shadow mode, extended patterns, patterns with no literal) judges a
 * generated corpus (thousands of posts, a share of them carrying the
 * rules' phrases in varied case, accents and markup) with and without
 * the prefilter, and with and without trying patterns only where their
 * start literals stand (match.c, startlit.c), and every verdict must be
 * the same: status, action, score, flags, and every hit with its spans.
 * Then a dense corpus (most posts name several remedies, verbs and
 * diseases, in every order and distance: every part of many rules is
 * there), and the public corpora, with the curated rules too.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "harness.h"
#include "match.h"
#include "post.h"
#include "ruleset.h"
#include "ruleset_internal.h"
#include "verdict.h"

#define S_NRULES	360
#define S_NPOSTS	3000

static const char *s_subj[] = {
	"vaccin", "jab", "booster", "mmr", "ivermectin", "hydroxychloroquin",
	"bleach", "garlic", "turmeric", "fluorid", "chemtrail", "homeopath",
	"colloidal silver", "raw milk", "baking soda", "detox tea", "statin",
	"chemotherap", "antibiotic", "mask", "sunscreen", "wifi", "5g",
	"aspartame", "essential oil", "vitamin c", "apple cider vinegar",
};
static const char *s_verb[] = {
	"cause", "cure", "prevent", "kill", "reverse", "treat", "heal",
	"destroy", "spread", "shrink", "alter", "poison",
};
static const char *s_obj[] = {
	"autism", "cancer", "diabetes", "covid", "infertility", "dementia",
	"sids", "hiv", "asthma", "arthritis", "heart disease", "measles",
	"malaria", "depression", "tumors", "dna", "immune system", "flu",
	"lyme disease", "adhd", "obesity", "allergies", "strokes", "acne",
};
static const char *s_filler[] = {
	"my doctor said", "i read somewhere that", "has anyone tried",
	"the nurse told me", "after three weeks", "my blood pressure",
	"the pharmacy was out of stock", "we went to the clinic",
	"i feel much better now", "the side effects were mild",
	"insurance would not cover it", "my daughter has a fever",
	"the appointment is on monday", "thanks for the advice",
	"is it safe during pregnancy", "the study was small",
	"my grandmother swears by it", "the rash went away",
	"does anyone know a good dermatologist", "sleep helps a lot",
};

#define S_N(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t s_rng;

static uint32_t
s_rand(void)
{
	return (uint32_t)(mf_test_xorshift(&s_rng) >> 11);
}

#define S_PICK(a)	((a)[s_rand() % S_N(a)])

/* Appends to 'b' (a growing text). */
static void
s_cat(mf_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_cat(mf_buf_t *b, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	MF_ASSERT(n > 0 && (size_t)n < sizeof(line));
	MF_ASSERT_EQ(0, mf_buf_append(b, line, (size_t)n));
}

/* The rule text: one claim per three rules, rules of six kinds. */
static char *
s_rules(void)
{
	mf_buf_t b = {0};

	for (size_t i = 0; i < S_NRULES; i++) {
		const char	*su = s_subj[i % S_N(s_subj)];
		const char	*ve = s_verb[(i / S_N(s_subj)) % S_N(s_verb)];
		const char	*ob = s_obj[(i * 7 + i / 5) % S_N(s_obj)];
		size_t		 c = i / 3;

		if (i % 3 == 0)
			s_cat(&b, "claim c%zu\n  title %s %s %s\n  fact no\n"
			    "  evidence https://www.who.int/c%zu\n"
			    "  tier %s\nend\n", c, su, ve, ob, c,
			    c % 3 == 0 ? "dangerous" : c % 3 == 1 ?
			    "harmful" : "misleading");
		s_cat(&b, "rule c%zu.r%zu\n  claim c%zu\n  score %zu\n", c, i,
		    c, 2 + i % 7);
		switch (i % 6) {
		case 0:
			s_cat(&b, "  match /\\b%s\\w*\\b.{0,40}\\b(%s|%ss|"
			    "%sed)\\b.{0,20}\\b%s\\b/\n", su, ve, ve, ve, ob);
			break;
		case 1:
			s_cat(&b, "  match /\\b%s\\w*/\n  match /\\b%s\\b/\n"
			    "  near 80\n", su, ob);
			break;
		case 2:
			s_cat(&b, "  match /\\b%s\\w*\\s+(can|will|does)?\\s*"
			    "%se?s?\\b/\n  unless /\\b(no|not|never|myth)\\b/"
			    "\n", su, ve);
			break;
		case 3:
			s_cat(&b, "  match /\\b%s\\w*/\n  match /\\b(%s|%s)/\n"
			    "  mode shadow\n", su, ob, S_PICK(s_obj));
			break;
		case 4:
			s_cat(&b, "  match / \\b %s \\w* \\s+ (?: really \\s+ )?"
			    " %s \\w* \\s+ %s /x\n", su, ve, ob);
			break;
		default:
			if (i % 60 == 5)	/* no literal: runs always */
				s_cat(&b, "  match /\\b[bcdf]\\w{6,}\\s+[aeiou]"
				    "\\w+\\b/\n");
			else
				s_cat(&b, "  match /(?:%s|%s)\\W+(?:%s|%s)/\n",
				    su, S_PICK(s_subj), ob, S_PICK(s_obj));
			break;
		}
		s_cat(&b, "end\n");
	}
	MF_ASSERT_EQ(0, mf_buf_append(&b, "", 1));
	return (char *)b.data;
}

/* Upper-cases, accents or spaces out a phrase now and then. */
static void
s_phrase(mf_buf_t *b, const char *w)
{
	switch (s_rand() % 8) {
	case 0:
		for (const char *p = w; *p; p++)
			s_cat(b, "%c", *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		break;
	case 1:
		for (const char *p = w; *p; p++)
			if (*p == 'e')
				s_cat(b, "\xc3\xa9");	/* é */
			else
				s_cat(b, "%c", *p);
		break;
	default:
		s_cat(b, "%s", w);
		break;
	}
}

static char *
s_post(size_t i)
{
	mf_buf_t	b = {0};
	size_t		n = 4 + s_rand() % 8;

	for (size_t k = 0; k < n; k++) {
		uint32_t r = s_rand() % 100;

		if (r < 12) {
			s_phrase(&b, S_PICK(s_subj));
			s_cat(&b, "%s ", s_rand() % 2 ? "es" : "");
			if (s_rand() % 4 == 0)
				s_cat(&b, "%s ", s_rand() % 2 ? "never" :
				    "really");
			s_phrase(&b, S_PICK(s_verb));
			s_cat(&b, "%s ", s_rand() % 2 ? "s" : "");
			s_phrase(&b, S_PICK(s_obj));
			s_cat(&b, "%s", s_rand() % 5 == 0 ? "? " : ". ");
		} else if (r < 18) {
			s_phrase(&b, S_PICK(s_subj));
			s_cat(&b, " and %s. ", S_PICK(s_obj));
		} else {
			s_cat(&b, "%s %s. ", S_PICK(s_filler),
			    S_PICK(s_filler));
		}
		if (i % 7 == 0 && k == 1)
			s_cat(&b, "\n> quoted: vaccines cause autism\n");
	}
	MF_ASSERT_EQ(0, mf_buf_append(&b, "", 1));
	return (char *)b.data;
}

/*
 * A dense post: most sentences name three or more remedies with a verb
 * and a disease, in another order or farther apart than a claim puts
 * them, so that every part of many rules is present; a share states a
 * claim outright (s_post()'s phrases).
 */
static char *
s_post_dense(size_t i)
{
	mf_buf_t	b = {0};
	size_t		n = 2 + s_rand() % 4;

	for (size_t k = 0; k < n; k++) {
		const char	*s1 = S_PICK(s_subj), *s2 = S_PICK(s_subj);
		const char	*s3 = S_PICK(s_subj), *ve = S_PICK(s_verb);
		const char	*ob = S_PICK(s_obj);

		switch (s_rand() % 5) {
		case 0:
			s_cat(&b, "my ");
			s_phrase(&b, ob);
			s_cat(&b, " got worse after i stopped %s, %s and ",
			    s1, s2);
			s_phrase(&b, s3);
			s_cat(&b, ". ");
			break;
		case 1:
			s_cat(&b, "i take %s, %s and %s daily; my doctor says "
			    "nothing can really ", s1, s2, s3);
			s_phrase(&b, ve);
			s_cat(&b, " %s. ", ob);
			break;
		case 2:
			s_cat(&b, "did the %s %s rumour about ", ve, ob);
			s_phrase(&b, s1);
			s_cat(&b, " start with %s or %s? ", s2, s3);
			break;
		case 3:
			s_cat(&b, "%s, %s or %s: which would ", s1, s2, s3);
			s_phrase(&b, ve);
			s_cat(&b, "? the study was about %s. ", ob);
			break;
		default:
			s_phrase(&b, s1);
			s_cat(&b, "%s %s%s ", s_rand() % 2 ? "es" : "",
			    s_rand() % 3 ? "" : "never ", ve);
			s_phrase(&b, ob);
			s_cat(&b, ". ");
			break;
		}
		if (i % 7 == 0 && k == 0)
			s_cat(&b, "\n> quoted: vaccines cause autism\n");
	}
	MF_ASSERT_EQ(0, mf_buf_append(&b, "", 1));
	return (char *)b.data;
}

static void
s_same(const mf_verdict_t *a, const mf_verdict_t *b, size_t post)
{
	if (a->status != b->status || a->action != b->action ||
	    a->score != b->score || a->flags != b->flags ||
	    a->nhits != b->nhits)
		mf__test_fail(__FILE__, __LINE__, "post %zu: prefilter %s/%s "
		    "%.2f %zu hits, without %s/%s %.2f %zu hits", post,
		    mf_status_name(a->status), mf_action_name(a->action),
		    a->score, a->nhits, mf_status_name(b->status),
		    mf_action_name(b->action), b->score, b->nhits);
	for (size_t h = 0; h < a->nhits; h++) {
		const mf_hit_t *x = &a->hits[h], *y = &b->hits[h];

		if (strcmp(x->rule, y->rule) != 0 || x->score != y->score ||
		    x->mode != y->mode || x->question != y->question ||
		    x->nspans != y->nspans)
			mf__test_fail(__FILE__, __LINE__, "post %zu hit %zu: "
			    "%s vs %s", post, h, x->rule, y->rule);
		for (size_t s = 0; s < x->nspans; s++)
			if (x->spans[s].start != y->spans[s].start ||
			    x->spans[s].end != y->spans[s].end)
				mf__test_fail(__FILE__, __LINE__, "post %zu "
				    "rule %s: span %zu differs", post, x->rule,
				    s);
	}
}

/* The generated rules over S_NPOSTS posts of 'post', with and without
 * the prefilter. */
static void
s_equiv_generated(const char *what, char *(*post_of)(size_t))
{
	mf_diags_t	 diags = {0};
	mf_policy_t	 pol;
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc;
	char		*text;
	size_t		 hits = 0, flagged = 0, run_pf = 0, run_all = 0;

	s_rng = 0x9e3779b97f4a7c15ULL;
	text = s_rules();
	mf_policy_defaults(&pol);
	pol.budget_ms = 60000;	/* time must not make the two runs differ */
	pol.max_hits = 1000;
	rs = mf_ruleset_load_string("equiv.rules", text, &pol, NULL, 0,
	    &diags);
	if (rs == NULL && diags.n > 0)
		mf__test_fail(__FILE__, __LINE__, "%s: %s", diags.v[0].where,
		    diags.v[0].msg);
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(S_NRULES, mf_ruleset_size(rs));
	MF_ASSERT_NOT_NULL(mf_ruleset_prefilter(rs));
	MF_ASSERT_NOT_NULL(sc = mf_scanner_new(NULL));
	for (size_t i = 0; i < S_NPOSTS; i++) {
		char		 id[32], *body = post_of(i);
		mf_post_t	*post;
		mf_verdict_t	*a = NULL, *b = NULL;

		snprintf(id, sizeof(id), "p%zu", i);
		MF_ASSERT_NOT_NULL(post = mf_post_new(id, body));
		if (i % 5 == 0)
			post->body_format = MF_FMT_MARKDOWN;
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, post, 0, &a, NULL));
		run_pf += mf_scanner_rules_run(sc);
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, post,
		    MF_SCAN_NO_PREFILTER | MF_SCAN_NO_STARTS, &b, NULL));
		run_all += mf_scanner_rules_run(sc);
		s_same(a, b, i);
		mf_verdict_destroy(&b);
		/* Patterns tried only where their start literals stand, or
		 * everywhere: the same. */
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, post, MF_SCAN_NO_STARTS,
		    &b, NULL));
		s_same(a, b, i);
		hits += a->nhits;
		flagged += a->action >= MF_ACT_FLAG;
		mf_verdict_destroy(&a);
		mf_verdict_destroy(&b);
		mf_post_destroy(&post);
		mf_free(body);
	}
	printf("%s: %d posts, %d rules: %zu hits, %zu flagged; rules run %zu "
	    "with the prefilter, %zu without\n", what, S_NPOSTS, S_NRULES,
	    hits, flagged, run_pf, run_all);
	/* The corpus must exercise matching, and the prefilter prune. */
	MF_ASSERT(hits > S_NPOSTS / 4);
	MF_ASSERT(flagged > 50);
	MF_ASSERT(run_pf * 5 < run_all);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&diags);
	mf_free(text);
}

MF_TEST(prefilter_equivalence_on_generated_corpus)
{
	s_equiv_generated("generated", s_post);
}

MF_TEST(prefilter_equivalence_on_dense_corpus)
{
	s_equiv_generated("dense", s_post_dense);
}

/*
 * The same on real text: the public corpora and the dev set of
 * ../shared/data (MF_SHARED_DATA), read into memory, judged by the
 * curated rules and by the generated ones above. Real health talk is
 * full of the words rules are built from, so it lets many rules through
 * the prefilter: the place where a literal it wrongly required would
 * show. Every post with the prefilter and start literals, without the
 * prefilter, and without start literals; the three verdicts the same.
 */
static void
s_judge_file(const mf_ruleset_t *const *sets, size_t nsets,
    mf_scanner_t *sc, const char *path, size_t *nposts, size_t *hits)
{
	FILE	*f = fopen(path, "r");
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0;
	ssize_t	 n;

	if (f == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s: %s", path,
		    strerror(errno));
	while ((n = getline(&line, &cap, f)) != -1) {
		json_error_t	 je;
		json_t		*j = json_loadb(line, (size_t)n, 0, &je), *t;
		char		 id[64];
		mf_post_t	*post;

		lineno++;
		if (j == NULL)
			continue;
		if (!json_is_string(t = json_object_get(j, "text")) &&
		    !json_is_string(t = json_object_get(j, "body"))) {
			json_decref(j);
			continue;
		}
		snprintf(id, sizeof(id), "%s:%zu", path, lineno);
		MF_ASSERT_NOT_NULL(post = mf_post_new(id,
		    json_string_value(t)));
		json_decref(j);
		for (size_t k = 0; k < nsets; k++) {
			mf_verdict_t *a = NULL, *b = NULL, *c = NULL;

			MF_ASSERT_EQ(0, mf_scan(sc, sets[k], NULL, post, 0,
			    &a, NULL));
			MF_ASSERT_EQ(0, mf_scan(sc, sets[k], NULL, post,
			    MF_SCAN_NO_PREFILTER, &b, NULL));
			MF_ASSERT_EQ(0, mf_scan(sc, sets[k], NULL, post,
			    MF_SCAN_NO_STARTS, &c, NULL));
			s_same(a, b, lineno);
			s_same(a, c, lineno);
			*hits += a->nhits;
			mf_verdict_destroy(&a);
			mf_verdict_destroy(&b);
			mf_verdict_destroy(&c);
		}
		mf_post_destroy(&post);
		(*nposts)++;
	}
	free(line);
	fclose(f);
}

MF_TEST(prefilter_equivalence_on_public_corpora)
{
	const char	*dir = getenv("MF_SHARED_DATA");
	mf_diags_t	 diags = {0};
	mf_policy_t	 pol;
	mf_ruleset_t	*sets[2] = { NULL, NULL };
	mf_scanner_t	*sc;
	glob_t		 g;
	char		 pat[4096], *text;
	size_t		 nposts = 0, hits = 0;

	if (dir == NULL)
		dir = "../shared/data";
	snprintf(pat, sizeof(pat), "%s/public/*.jsonl", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		mf_test_skip("no public corpora in %s/public (set "
		    "MF_SHARED_DATA)", dir);
	snprintf(pat, sizeof(pat), "%s/dev/posts.jsonl", dir);
	(void)glob(pat, GLOB_APPEND, NULL, &g);
	/* The curated rules, with no time budget to make the runs
	 * differ (a scan of every rule takes milliseconds). */
	sets[0] = mf_ruleset_load("rules", NULL, 0, &diags);
	if (sets[0] == NULL && diags.n > 0)
		mf__test_fail(__FILE__, __LINE__, "%s: %s", diags.v[0].where,
		    diags.v[0].msg);
	MF_ASSERT_NOT_NULL(sets[0]);
	sets[0]->policy.budget_ms = 60000;
	sets[0]->policy.max_hits = 1000;
	s_rng = 0x9e3779b97f4a7c15ULL;
	text = s_rules();
	mf_policy_defaults(&pol);
	pol.budget_ms = 60000;
	pol.max_hits = 1000;
	MF_ASSERT_NOT_NULL(sets[1] = mf_ruleset_load_string("equiv.rules",
	    text, &pol, NULL, 0, &diags));
	MF_ASSERT_NOT_NULL(sc = mf_scanner_new(NULL));
	for (size_t i = 0; i < g.gl_pathc; i++)
		s_judge_file((const mf_ruleset_t *const *)sets, 2, sc,
		    g.gl_pathv[i], &nposts, &hits);
	printf("%zu corpora, %zu posts, %zu and %d rules: %zu hits, the "
	    "same with and without the prefilter\n", g.gl_pathc, nposts,
	    mf_ruleset_size(sets[0]), S_NRULES, hits);
	/* The corpora must be read, and rules must hit in them. */
	MF_ASSERT(nposts > 1000);
	MF_ASSERT(hits > 100);
	globfree(&g);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&sets[0]);
	mf_ruleset_destroy(&sets[1]);
	mf_diags_free(&diags);
	mf_free(text);
}
