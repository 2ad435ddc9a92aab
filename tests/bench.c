/*
 * bench.c - `make bench`: how fast medflag judges posts, against a naive
 * loop that runs every pattern with PCRE2 JIT on the same text.
 *
 * Generates (in memory, nothing on disk) a corpus of ~450-byte forum posts
 * in health vocabulary, ~5% carrying claim phrases, and rule sets of 100,
 * 1,000 and 5,000 rules shaped like
 *   \bvaccin\w*\b.{0,40}\b(cause|causes)\b.{0,20}\bautism\b
 * from a vocabulary, so that the rules differ; then the curated rules/.
 * For each: compile time, posts/s and MB/s on one core (mf_scan with the
 * prefilter), the naive loop, their ratio, memory, and normalization's
 * share of the scan. Every figure is printed with its target.
 *
 * Then each corpus given with -p (JSON Lines with "text" or "body", held
 * in memory and never written anywhere) with the 1,000 generated rules
 * and the curated ones: posts/s, rules run per post, the prefilter's
 * pass rate, the time split (mf_scan_stats_t) and the ratio to the naive
 * loop.
 *
 *   bench [-n POSTS] [-r RULESDIR] [-p CORPUS.jsonl ...]	the whole run
 *   bench -c [-n POSTS] [-r RULESDIR]	curated rules only, no naive loop
 *   -d					the corpus dense: most posts name
 *					three or more remedies with cure,
 *					cause or prevent (the whole run
 *					also judges one such corpus)
 *   bench -m NRULES			worker memory only: load, scan, RSS
 *   bench -R DIR -J FILE [-n POSTS]	the 1,000 generated rules into
 *					DIR/generated.rules and the
 *					generated posts as JSON Lines into
 *					FILE, for `medflag scan`
 * SPDX-License-Identifier: MIT
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <pcre2.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "learn.h"
#include "match.h"
#include "normalize.h"
#include "post.h"
#include "prefilter.h"
#include "ruleset.h"
#include "verdict.h"
#include "wire.h"

static const char *s_subj[] = {
	"vaccin", "jab", "booster", "mmr", "ivermectin", "hydroxychloroquin",
	"bleach", "garlic", "turmeric", "fluorid", "chemtrail", "homeopath",
	"colloidal silver", "raw milk", "baking soda", "detox", "statin",
	"chemotherap", "antibiotic", "mask", "sunscreen", "wifi", "5g",
	"aspartame", "essential oil", "vitamin c", "cider vinegar", "insulin",
	"fasting", "ozone", "kombucha", "cannabis", "oil pulling", "coffee enema",
	"alkaline water", "zinc", "melatonin", "antidepressant", "ssri",
	"paracetamol",
};
static const char *s_verb[][3] = {
	{ "cause", "causes", "caused" }, { "cure", "cures", "cured" },
	{ "prevent", "prevents", "prevented" }, { "kill", "kills", "killed" },
	{ "reverse", "reverses", "reversed" }, { "treat", "treats", "treated" },
	{ "heal", "heals", "healed" }, { "destroy", "destroys", "destroyed" },
	{ "spread", "spreads", "spreading" }, { "shrink", "shrinks", "shrank" },
	{ "alter", "alters", "altered" }, { "poison", "poisons", "poisoned" },
	{ "trigger", "triggers", "triggered" }, { "eliminate", "eliminates",
	"eliminated" }, { "block", "blocks", "blocked" },
};
static const char *s_obj[] = {
	"autism", "cancer", "diabetes", "covid", "infertility", "dementia",
	"sids", "hiv", "asthma", "arthritis", "heart disease", "measles",
	"malaria", "depression", "tumors", "dna", "immune system", "flu",
	"lyme disease", "adhd", "obesity", "allergies", "strokes", "acne",
	"migraines", "kidney stones", "parkinson", "epilepsy", "psoriasis",
	"eczema", "lupus", "leukemia", "hepatitis", "shingles", "sepsis",
	"anxiety", "insomnia", "gout", "anemia", "glaucoma",
};
static const char *s_filler[] = {
	"my doctor said the vaccine schedule is fine for her age",
	"i read somewhere that cancer screening starts at forty five",
	"has anyone tried physiotherapy for arthritis in the knee",
	"the nurse told me the booster might make my arm sore",
	"after three weeks of antibiotics the infection finally cleared",
	"my blood pressure has been high since the new medication",
	"the pharmacy was out of stock of the insulin pens again",
	"we went to the clinic because of her asthma last night",
	"i feel much better now that the migraines are less frequent",
	"the side effects were mild, just a headache and some fatigue",
	"insurance would not cover the statin my cardiologist wanted",
	"my daughter has a fever and a rash, should we see someone",
	"the appointment with the oncologist is on monday morning",
	"thanks for the advice about sleep and anxiety, it helps",
	"is vitamin d safe during pregnancy at that dose",
	"the study was small and not randomized, so take it lightly",
	"my grandmother swears by garlic soup when she has the flu",
	"does anyone know a good dermatologist for eczema near here",
	"they changed my antidepressant and the insomnia is worse",
	"covid hit our whole family in march but everyone recovered",
	"the diabetes educator explained carbs and insulin timing",
	"measles cases are up in the county according to the news",
};

#define S_N(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

static uint32_t
s_rand(void)
{
	s_rng ^= s_rng << 13;
	s_rng ^= s_rng >> 7;
	s_rng ^= s_rng << 17;
	return (uint32_t)(s_rng >> 11);
}

static double
s_now(void)
{
	return (double)mf_now_ns() / 1e9;
}

/* Resident set size in bytes (from /proc/self/statm). */
static size_t
s_rss(void)
{
	FILE		*f = fopen("/proc/self/statm", "r");
	unsigned long	 size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

/* Peak resident set size (VmHWM) in bytes. */
static size_t
s_hwm(void)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	size_t	 kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void
s_cat(mf_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_cat(mf_buf_t *b, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    mf_buf_append(b, line, (size_t)n) == -1) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
}

/*
 * 'n' rules: rule i takes a distinct (subject, verb, object) triple, one
 * claim per five rules. A tenth have a second 'match' line (AND) with
 * 'near', a tenth an 'unless'.
 */
static char *
s_rules(size_t n)
{
	mf_buf_t	b = {0};
	size_t		ns = S_N(s_subj), nv = S_N(s_verb), no = S_N(s_obj);

	for (size_t i = 0; i < n; i++) {
		/* A stride coprime with the space spreads the triples. */
		size_t		 t = (i * 7919) % (ns * nv * no);
		const char	*su = s_subj[t % ns];
		const char	**ve = s_verb[(t / ns) % nv];
		const char	*ob = s_obj[t / (ns * nv)];

		if (i % 5 == 0)
			s_cat(&b, "claim c%zu\n  title generated claim\n  "
			    "fact none\n  evidence https://www.who.int/c%zu\n"
			    "  tier harmful\nend\n", i / 5, i / 5);
		s_cat(&b, "rule c%zu.r%zu\n  claim c%zu\n  score 6\n", i / 5,
		    i, i / 5);
		if (i % 10 == 3)
			s_cat(&b, "  match /\\b%s\\w*\\b/\n  match /\\b(%s|%s|"
			    "%s)\\b.{0,30}\\b%s\\b/\n  near 120\n", su, ve[0],
			    ve[1], ve[2], ob);
		else
			s_cat(&b, "  match /\\b%s\\w*\\b.{0,40}\\b(%s|%s)\\b"
			    ".{0,20}\\b%s\\b/\n", su, ve[0], ve[1], ob);
		if (i % 10 == 7)
			s_cat(&b, "  unless /\\b(no|not|never|myth)\\b/\n");
		s_cat(&b, "end\n");
	}
	s_cat(&b, "%s", "");
	return b.data;
}

/* -d: posts as a health forum writes them, most naming three or more
 * remedies with cure, cause or prevent. */
static int s_dense;

/* A sentence of a dense post: the rules' words, in another order or
 * farther apart than a claim puts them. */
static void
s_dense_sentence(mf_buf_t *b)
{
	const char	*s1 = s_subj[s_rand() % S_N(s_subj)];
	const char	*s2 = s_subj[s_rand() % S_N(s_subj)];
	const char	*s3 = s_subj[s_rand() % S_N(s_subj)];
	const char	*ve = s_verb[s_rand() % S_N(s_verb)][s_rand() % 3];
	const char	*ob = s_obj[s_rand() % S_N(s_obj)];

	switch (s_rand() % 4) {
	case 0:
		s_cat(b, "my %s got worse after i stopped %s, %s and %s. ", ob,
		    s1, s2, s3);
		break;
	case 1:
		s_cat(b, "i take %s, %s and %s every day; my doctor says "
		    "nothing we know of can really %s %s. ", s1, s2, s3, ve,
		    ob);
		break;
	case 2:
		s_cat(b, "does anyone know whether the %s %s rumour about %s "
		    "started with %s or with %s? ", ve, ob, s1, s2, s3);
		break;
	default:
		s_cat(b, "%s, %s or %s: which one did the study say would "
		    "%s? it was about %s. ", s1, s2, s3, ve, ob);
		break;
	}
}

/* A ~450-byte post; ~5% state a claim from the vocabulary. */
static char *
s_post(void)
{
	mf_buf_t b = {0};

	if (s_dense && s_rand() % 5 != 0) {
		s_dense_sentence(&b);
		s_dense_sentence(&b);
	}
	if (s_rand() % 20 == 0) {
		const char **ve = s_verb[s_rand() % S_N(s_verb)];

		s_cat(&b, "honestly %ses %s %s, ", s_subj[s_rand() %
		    S_N(s_subj)], ve[s_rand() % 2], s_obj[s_rand() %
		    S_N(s_obj)]);
	}
	while (b.len < 430)
		s_cat(&b, "%s. ", s_filler[s_rand() % S_N(s_filler)]);
	return b.data;
}

typedef struct s_corpus {
	mf_post_t	**posts;
	size_t		  n, bytes;
} s_corpus_t;

static void
s_corpus(s_corpus_t *c, size_t n)
{
	c->posts = calloc(n, sizeof(*c->posts));
	c->n = n;
	c->bytes = 0;
	for (size_t i = 0; i < n; i++) {
		char id[32], *body = s_post();

		snprintf(id, sizeof(id), "b%zu", i);
		c->posts[i] = mf_post_new(id, body);
		c->bytes += c->posts[i]->body_len;
		mf_free(body);
	}
}

static const char *
s_mark(int pass)
{
	return pass ? "PASS" : "MISS";
}

/* Scans the corpus with the prefilter: seconds, and hits found; adds to
 * 'st' when it is not NULL. */
static double
s_scan_stats(const mf_ruleset_t *rs, const s_corpus_t *c, size_t n,
    unsigned opts, size_t *hits, size_t *run, mf_scan_stats_t *st)
{
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	double		 t0;

	mf_scanner_stats(sc, st);
	*hits = *run = 0;
	t0 = s_now();
	for (size_t i = 0; i < n; i++) {
		mf_verdict_t *v = NULL;

		if (mf_scan(sc, rs, NULL, c->posts[i], opts, &v, NULL) == 0) {
			*hits += v->nhits;
			mf_verdict_destroy(&v);
		}
		*run += mf_scanner_rules_run(sc);
	}
	t0 = s_now() - t0;
	mf_scanner_destroy(&sc);
	return t0;
}

static double
s_scan_all(const mf_ruleset_t *rs, const s_corpus_t *c, size_t n,
    unsigned opts, size_t *hits, size_t *run)
{
	return s_scan_stats(rs, c, n, opts, hits, run, NULL);
}

/* Time of mf_normalize alone over the corpus. */
static double
s_norm_all(const s_corpus_t *c)
{
	mf_norm_t	norm = {0};
	double		t0 = s_now();

	for (size_t i = 0; i < c->n; i++)
		(void)mf_normalize(&norm, c->posts[i]->body,
		    c->posts[i]->body_len, c->posts[i]->body_format, 0, NULL);
	t0 = s_now() - t0;
	mf_norm_free(&norm);
	return t0;
}

/* Time of the model alone over the normalized corpus; 0 without one. */
static double
s_model_all(const mf_ruleset_t *rs, const s_corpus_t *c)
{
	const mf_model_t	*m = mf_ruleset_model(rs);
	mf_norm_t		 norm = {0};
	double			 t = 0, t0, sum = 0;

	for (size_t i = 0; i < c->n && m; i++) {
		(void)mf_normalize(&norm, c->posts[i]->body,
		    c->posts[i]->body_len, c->posts[i]->body_format, 0, NULL);
		t0 = s_now();
		sum += mf_model_prob(m, norm.text, norm.len, "en");
		t += s_now() - t0;
	}
	mf_norm_free(&norm);
	return sum >= 0 ? t : 0;	/* 'sum' keeps the calls */
}

/* Time of the prefilter alone over the normalized corpus. */
static double
s_prefilter_all(const mf_ruleset_t *rs, const s_corpus_t *c)
{
	const mf_prefilter_t	*pf = mf_ruleset_prefilter(rs);
	mf_pfscratch_t		 s = {0};
	mf_norm_t		 norm = {0};
	size_t			*out = calloc(mf_ruleset_size(rs) + 1,
				    sizeof(*out));
	double			 t = 0, t0;

	for (size_t i = 0; i < c->n && pf; i++) {
		(void)mf_normalize(&norm, c->posts[i]->body,
		    c->posts[i]->body_len, c->posts[i]->body_format, 0, NULL);
		t0 = s_now();
		(void)mf_prefilter_scan(pf, &s, norm.text, norm.len, out);
		t += s_now() - t0;
	}
	mf_pfscratch_free(&s);
	mf_norm_free(&norm);
	free(out);
	return t;
}

/* Every match pattern of 'rs', compiled and JIT compiled as anyone
 * would, from its source as medflag compiles it (defines expanded,
 * folded), with its flags; not medflag's own codes, whose compile options
 * serve the prefilter's way of searching. '*n' of them; NULL on ENOMEM. */
static pcre2_code **
s_naive_codes(const mf_ruleset_t *rs, size_t *n)
{
	size_t		  nr = mf_ruleset_size(rs), k = 0, all = 0;
	pcre2_code	**v;

	for (size_t r = 0; r < nr; r++)
		all += mf_ruleset_rule(rs, r)->nmatch;
	if ((v = calloc(all + 1, sizeof(*v))) == NULL)
		return NULL;
	for (size_t r = 0; r < nr; r++) {
		const mf_rule_t *rule = mf_ruleset_rule(rs, r);

		for (size_t j = 0; j < rule->nmatch; j++) {
			const mf_pattern_t *p = &rule->match[j];
			uint32_t	 fl = PCRE2_CASELESS | PCRE2_UTF |
					    PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
			int		 ec;
			PCRE2_SIZE	 eo;

			if (strchr(p->flags, 'x'))
				fl |= PCRE2_EXTENDED;
			if (strchr(p->flags, 's'))
				fl |= PCRE2_DOTALL;
			if (strchr(p->flags, 'm'))
				fl |= PCRE2_MULTILINE;
			/* One that does not compile or JIT compile is left
			 * out (none does: each compiled in the rule set). */
			if ((v[k] = pcre2_compile((PCRE2_SPTR)p->source,
			    PCRE2_ZERO_TERMINATED, fl, &ec, &eo, NULL)) == NULL)
				continue;
			if (pcre2_jit_compile(v[k], PCRE2_JIT_COMPLETE) != 0) {
				pcre2_code_free(v[k]);
				v[k] = NULL;
				continue;
			}
			k++;
		}
	}
	*n = k;
	return v;
}

/* The naive loop over 'n' posts: every match pattern, JIT, on the same
 * normalized text (normalizing and compiling are not timed: the naive
 * side is favoured). */
static double
s_naive(const mf_ruleset_t *rs, const s_corpus_t *c, size_t n)
{
	pcre2_match_data	*md = pcre2_match_data_create(16, NULL);
	mf_norm_t		 norm = {0};
	char			**texts = calloc(n, sizeof(*texts));
	size_t			*lens = calloc(n, sizeof(*lens));
	size_t			 ncodes = 0, matched = 0;
	pcre2_code		**codes = s_naive_codes(rs, &ncodes);
	double			 t0;

	for (size_t i = 0; i < n; i++) {
		(void)mf_normalize(&norm, c->posts[i]->body,
		    c->posts[i]->body_len, c->posts[i]->body_format, 0, NULL);
		texts[i] = malloc(norm.len + 1);
		memcpy(texts[i], norm.text, norm.len + 1);
		lens[i] = norm.len;
	}
	t0 = s_now();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ncodes; k++)
			if (pcre2_jit_match(codes[k], (PCRE2_SPTR)texts[i],
			    lens[i], 0, 0, md, NULL) > 0)
				matched++;
	t0 = s_now() - t0;
	for (size_t k = 0; k < ncodes; k++)
		pcre2_code_free(codes[k]);
	free(codes);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	mf_norm_free(&norm);
	pcre2_match_data_free(md);
	(void)matched;
	return t0;
}

/*
 * Both sides are timed in rounds and the best round counts (the figure a
 * quiet machine gives: other work only ever slows a round down); the
 * slowest round is printed too, so the spread is visible.
 */
#define S_ROUNDS_SCAN	5
#define S_ROUNDS_NAIVE	3

typedef struct s_target {
	double	min_pps;	/* 0: none */
	double	min_ratio;
	double	max_compile;
	double	max_mb;
} s_target_t;

static int s_misses;

static void
s_check(const char *what, double v, const char *unit, double target,
    int higher)
{
	int pass;

	if (target <= 0) {
		printf("    %-26s %12.1f %s\n", what, v, unit);
		return;
	}
	pass = higher ? v >= target : v < target;
	s_misses += !pass;
	printf("    %-26s %12.1f %-8s target %s %.0f   %s\n", what, v, unit,
	    higher ? ">=" : "<", target, s_mark(pass));
}

static void
s_bench_set(const char *name, mf_ruleset_t *rs, double compile, size_t grew,
    const s_corpus_t *c, size_t nnaive, const s_target_t *tg)
{
	const mf_prefilter_t	*pf = mf_ruleset_prefilter(rs);
	size_t			 hits, run, nalways = 0, nr;
	double			 t, tn, tnorm, pps, npps, tmax;

	nr = mf_ruleset_size(rs);
	for (size_t i = 0; i < nr && pf; i++)
		nalways += mf_prefilter_rule_always(pf, i, NULL);
	printf("\n%s: %zu rules (%zu run on every post)\n", name, nr,
	    nalways);
	s_check("compile", compile * 1000, "ms", tg->max_compile * 1000, 0);
	s_check("RSS growth after load", (double)grew / 1048576.0, "MB",
	    tg->max_mb, 0);
	printf("    %-26s %12.1f MB\n", "prefilter memory",
	    (double)mf_prefilter_bytes(pf) / 1048576.0);
	(void)s_scan_all(rs, c, c->n / 10, 0, &hits, &run);	/* warm */
	t = tmax = 0;
	for (int k = 0; k < S_ROUNDS_SCAN; k++) {
		double	tk = s_scan_all(rs, c, c->n, 0, &hits, &run);

		t = k == 0 || tk < t ? tk : t;
		tmax = tk > tmax ? tk : tmax;
	}
	pps = (double)c->n / t;
	s_check("medflag posts/s", pps, "posts/s", tg->min_pps, 1);
	printf("    %-26s %12.1f posts/s (the best of %d counts)\n",
	    "  slowest round", (double)c->n / tmax, S_ROUNDS_SCAN);
	printf("    %-26s %12.1f MB/s\n", "medflag throughput",
	    (double)c->bytes / t / 1048576.0);
	printf("    %-26s %12.2f per post (%zu hits in %zu posts)\n",
	    "rules run by PCRE2", (double)run / (double)c->n, hits, c->n);
	tnorm = s_norm_all(c);
	printf("    %-26s %12.1f MB/s (%.2f us/post)\n", "normalization",
	    (double)c->bytes / tnorm / 1048576.0, tnorm * 1e6 / (double)c->n);
	printf("    %-26s %12.1f %% of the scan time\n", "normalization share",
	    100.0 * tnorm / t);
	tnorm = s_prefilter_all(rs, c);
	printf("    %-26s %12.1f %% of the scan time (%.2f us/post)\n",
	    "prefilter share", 100.0 * tnorm / t, tnorm * 1e6 /
	    (double)c->n);
	if (mf_ruleset_model(rs)) {
		tnorm = s_model_all(rs, c);
		s_check("model per post", tnorm * 1e6 / (double)c->n, "us",
		    2, 0);
		printf("    %-26s %12.1f %% of the scan time\n", "model share",
		    100.0 * tnorm / t);
		/* What the model costs in the scan, its explanation and
		 * hint included: the same posts without it. */
		tn = 0;
		for (int k = 0; k < S_ROUNDS_NAIVE; k++) {
			double	tk = s_scan_all(rs, c, c->n, MF_SCAN_NO_MODEL,
				    &hits, &run);

			tn = k == 0 || tk < tn ? tk : tn;
		}
		printf("    %-26s %12.1f posts/s (the best of %d counts)\n",
		    "rules alone, no model", (double)c->n / tn,
		    S_ROUNDS_NAIVE);
		printf("    %-26s %12.1f %% of the scan time (%.1f us/post)\n",
		    "model with its explanation", t > tn ? 100.0 * (t - tn) /
		    t : 0, t > tn ? (t - tn) * 1e6 / (double)c->n : 0);
	}
	if (nnaive > c->n)
		nnaive = c->n;
	if (nnaive == 0)
		return;
	tn = tmax = 0;
	for (int k = 0; k < S_ROUNDS_NAIVE; k++) {
		double	tk = s_naive(rs, c, nnaive);

		tn = k == 0 || tk < tn ? tk : tn;
		tmax = tk > tmax ? tk : tmax;
	}
	npps = (double)nnaive / tn;
	printf("    %-26s %12.1f posts/s (%zu posts)\n",
	    "naive PCRE2-JIT loop", npps, nnaive);
	printf("    %-26s %12.1f posts/s (the best of %d counts)\n",
	    "  slowest round", (double)nnaive / tmax, S_ROUNDS_NAIVE);
	printf("    %-26s %12.1f MB/s\n", "naive throughput",
	    (double)nnaive * ((double)c->bytes / (double)c->n) / tn /
	    1048576.0);
	s_check("speed-up over naive", pps / npps, "x", tg->min_ratio, 1);
}

/*
 * -p FILE: the "text" (or "body") of every line of a JSON Lines corpus,
 * in memory. 0, or -1 with the reason on stderr.
 */
static int
s_corpus_file(s_corpus_t *c, const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0, room = 0;
	ssize_t	 n;

	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		json_t		*j, *t;
		json_error_t	 je;
		char		 id[32];

		lineno++;
		if ((j = json_loadb(line, (size_t)n, 0, &je)) == NULL)
			continue;	/* blank or not JSON: not a post */
		if (!json_is_string(t = json_object_get(j, "text")) &&
		    !json_is_string(t = json_object_get(j, "body"))) {
			json_decref(j);
			continue;
		}
		if (c->n == room) {
			room = room ? 2 * room : 1024;
			c->posts = realloc(c->posts, room * sizeof(*c->posts));
			if (c->posts == NULL) {
				fprintf(stderr, "bench: out of memory\n");
				exit(1);
			}
		}
		snprintf(id, sizeof(id), "p%zu", lineno);
		if ((c->posts[c->n] = mf_post_new(id, json_string_value(t)))
		    == NULL) {
			fprintf(stderr, "bench: out of memory\n");
			exit(1);
		}
		c->bytes += c->posts[c->n++]->body_len;
		json_decref(j);
	}
	free(line);
	fclose(f);
	return c->n > 0 ? 0 : (fprintf(stderr, "bench: %s: no post with a "
	    "\"text\" or \"body\"\n", path), -1);
}

static void
s_corpus_free(s_corpus_t *c)
{
	for (size_t i = 0; i < c->n; i++)
		mf_post_destroy(&c->posts[i]);
	free(c->posts);
	c->posts = NULL;
	c->n = 0;
}

/*
 * One rule set over one corpus as a moderator's forum would send it:
 * posts/s (the best of S_ROUNDS_SCAN, without statistics), then one more
 * round that counts where the time goes, and the naive loop on the first
 * 'nnaive' posts.
 */
static void
s_bench_corpus(const char *name, const mf_ruleset_t *rs, const s_corpus_t *c,
    size_t nnaive, const s_target_t *tg)
{
	mf_scan_stats_t	st = {0};
	size_t		hits, run;
	double		t = 0, tn = 0, pps, tot;

	printf("\n%s: %zu posts, %.0f bytes on average, %zu rules\n", name,
	    c->n, (double)c->bytes / (double)c->n, mf_ruleset_size(rs));
	(void)s_scan_all(rs, c, c->n / 10, 0, &hits, &run);	/* warm */
	for (int k = 0; k < S_ROUNDS_SCAN; k++) {
		double	tk = s_scan_all(rs, c, c->n, 0, &hits, &run);

		t = k == 0 || tk < t ? tk : t;
	}
	pps = (double)c->n / t;
	s_check("medflag posts/s", pps, "posts/s", tg->min_pps, 1);
	(void)s_scan_stats(rs, c, c->n, 0, &hits, &run, &st);
	printf("    %-26s %12.2f per post (%zu hits)\n", "rules run by PCRE2",
	    (double)st.rules_run / (double)c->n, hits);
	printf("    %-26s %12.2f %% (%.2f rules per post)\n",
	    "prefilter pass rate", st.rules ? 100.0 * (double)st.candidates /
	    (double)st.rules : 0, (double)st.candidates / (double)c->n);
	tot = (double)(st.ns_normalize + st.ns_litscan + st.ns_pcre +
	    st.ns_model + st.ns_other);
	if (tot <= 0)
		tot = 1;
	printf("    %-26s %5.1f %% normalize, %.1f %% literal scan, "
	    "%.1f %% PCRE2,\n    %-26s %5.1f %% model, %.1f %% the rest\n",
	    "time split", 100.0 * (double)st.ns_normalize / tot,
	    100.0 * (double)st.ns_litscan / tot, 100.0 * (double)st.ns_pcre /
	    tot, "", 100.0 * (double)st.ns_model / tot, 100.0 *
	    (double)st.ns_other / tot);
	if (nnaive > c->n)
		nnaive = c->n;
	for (int k = 0; k < S_ROUNDS_NAIVE && nnaive; k++) {
		double	tk = s_naive(rs, c, nnaive);

		tn = k == 0 || tk < tn ? tk : tn;
	}
	if (nnaive == 0)
		return;
	printf("    %-26s %12.1f posts/s (%zu posts)\n",
	    "naive PCRE2-JIT loop", (double)nnaive / tn, nnaive);
	s_check("speed-up over naive", pps / ((double)nnaive / tn), "x",
	    tg->min_ratio, 1);
}

static mf_ruleset_t *
s_load_generated(size_t n, double *compile, size_t *grew)
{
	mf_diags_t	 diags = {0};
	char		*text = s_rules(n);
	size_t		 before;
	mf_ruleset_t	*rs;
	double		 t0;

	before = s_rss();
	t0 = s_now();
	rs = mf_ruleset_load_string("generated.rules", text, NULL, NULL, 0,
	    &diags);
	*compile = s_now() - t0;
	mf_free(text);
	*grew = s_rss() > before ? s_rss() - before : 0;
	if (rs == NULL) {
		fprintf(stderr, "bench: generated rules do not load: %s: %s\n",
		    diags.n ? diags.v[0].where : "?",
		    diags.n ? diags.v[0].msg : "?");
		exit(1);
	}
	mf_diags_free(&diags);
	return rs;
}

/* -R DIR -J FILE: the 1,000 generated rules and the generated corpus
 * (made up here, no one's posts) for `medflag scan` in bench.sh. */
static int
s_write_generated(const char *dir, const char *posts, size_t nposts)
{
	char		 path[4096];
	char		*text = s_rules(1000);
	mf_buf_t	 b = {0};
	FILE		*f;
	int		 rc = 0;

	snprintf(path, sizeof(path), "%s/generated.rules", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		mf_free(text);
		return 1;
	}
	mf_free(text);
	if ((f = fopen(posts, "w")) == NULL) {
		fprintf(stderr, "bench: %s: %s\n", posts, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < nposts && rc == 0; i++) {
		char		 id[32], *body = s_post();
		mf_post_t	*p;

		snprintf(id, sizeof(id), "b%zu", i);
		p = mf_post_new(id, body);
		mf_free(body);
		if (p == NULL || mf_wire_encode_post_json(p, &b, NULL) == -1 ||
		    fwrite(b.data, 1, b.len, f) != b.len || fputc('\n', f) ==
		    EOF)
			rc = 1;
		mf_post_destroy(&p);
	}
	mf_buf_free(&b);
	if (ferror(f))
		rc = 1;
	if (fclose(f) != 0)
		rc = 1;
	if (rc)
		fprintf(stderr, "bench: %s: cannot write it\n", posts);
	return rc;
}

/* -m N: what a worker holding N rules costs, in a fresh process. */
static int
s_worker_memory(size_t n)
{
	mf_diags_t	 diags = {0};
	char		*text = s_rules(n);
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc;
	s_corpus_t	 c;

	rs = mf_ruleset_load_string("generated.rules", text, NULL, NULL, 0,
	    &diags);
	mf_free(text);
	if (rs == NULL)
		return 1;
	sc = mf_scanner_new(NULL);
	s_corpus(&c, 200);
	for (size_t i = 0; i < c.n; i++) {
		mf_verdict_t *v = NULL;

		if (mf_scan(sc, rs, NULL, c.posts[i], 0, &v, NULL) == 0)
			mf_verdict_destroy(&v);
	}
	printf("worker with %zu rules: RSS %.1f MB, peak %.1f MB\n", n,
	    (double)s_rss() / 1048576.0, (double)s_hwm() / 1048576.0);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&diags);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*rulesdir = "rules", *files[16], *rdir = NULL;
	const char	*jout = NULL;
	size_t		 nposts = 20000, nfiles = 0;
	s_corpus_t	 c;
	mf_ruleset_t	*cur = NULL;
	int		 opt, curated_only = 0;
	/* The targets on real text, on one core. */
	static const s_target_t real = { 150000, 100, 0, 0 };
	static const struct {
		size_t		n, naive;
		s_target_t	tg;
	} sets[] = {
		{ 100, 4000, { 0, 0, 0, 0 } },
		{ 1000, 600, { 100000, 150, 1.0, 0 } },
		{ 5000, 120, { 30000, 0, 1.0, 0 } },
	};

	while ((opt = getopt(argc, argv, "cdJ:m:n:p:R:r:")) != -1) {
		switch (opt) {
		case 'c':
			curated_only = 1;
			break;
		case 'd':
			s_dense = 1;
			break;
		case 'm':
			return s_worker_memory((size_t)atol(optarg));
		case 'n':
			nposts = (size_t)atol(optarg);
			break;
		case 'r':
			rulesdir = optarg;
			break;
		case 'p':
			if (nfiles < S_N(files))
				files[nfiles++] = optarg;
			break;
		case 'R':
			rdir = optarg;
			break;
		case 'J':
			jout = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench [-cd] [-n POSTS] [-r RULESDIR] "
			    "[-p CORPUS.jsonl ...] | -m NRULES | -R DIR -J FILE "
			    "[-d] [-n POSTS]\n");
			return 2;
		}
	}
	if (rdir || jout) {
		if (rdir == NULL || jout == NULL) {
			fprintf(stderr, "bench: -R DIR and -J FILE go "
			    "together\n");
			return 2;
		}
		return s_write_generated(rdir, jout, nposts);
	}
	s_corpus(&c, nposts);
	printf("corpus: %zu posts, %.1f bytes on average, generated in "
	    "memory\none core, one thread; figures vary with the machine\n",
	    c.n, (double)c.bytes / (double)c.n);
	for (size_t k = 0; !curated_only && k < S_N(sets); k++) {
		char		 name[64];
		double		 compile;
		size_t		 grew;
		mf_ruleset_t	*rs;

		rs = s_load_generated(sets[k].n, &compile, &grew);
		snprintf(name, sizeof(name), "generated %zu", sets[k].n);
		s_bench_set(name, rs, compile, grew, &c, sets[k].naive,
		    &sets[k].tg);
		mf_ruleset_destroy(&rs);
	}
	{
		mf_diags_t	 diags = {0};
		mf_ruleset_t	*rs;
		size_t		 before = s_rss();

		double		 t0 = s_now(), compile;
		s_target_t	 none = { 0, 0, 0, 0 };

		rs = mf_ruleset_load(rulesdir, NULL, 0, &diags);
		compile = s_now() - t0;
		if (rs == NULL || mf_ruleset_size(rs) == 0)
			printf("\ncurated %s/: not loaded (%s), skipped\n",
			    rulesdir, diags.n ? diags.v[0].msg : "no rules");
		else
			s_bench_set("curated rules/", rs, compile,
			    s_rss() > before ? s_rss() - before : 0, &c,
			    curated_only ? 0 : 1500, &none);
		if (rs && mf_ruleset_size(rs) > 0)
			cur = rs;
		else
			mf_ruleset_destroy(&rs);
		mf_diags_free(&diags);
	}
	s_corpus_free(&c);
	if (!curated_only && !s_dense) {
		double		 compile;
		size_t		 grew;
		mf_ruleset_t	*gen = s_load_generated(1000, &compile, &grew);
		s_target_t	 none = { 0, 0, 0, 0 };

		s_dense = 1;
		s_corpus(&c, nposts);
		s_dense = 0;
		static const s_target_t dense5k = { 50000, 0, 0, 0 };

		s_bench_corpus("dense corpus, generated 1000", gen, &c, 600,
		    &real);
		mf_ruleset_destroy(&gen);
		/* Five times the rules over the same words: the prefilter
		 * must stay selective as a set grows. */
		if ((gen = s_load_generated(5000, &compile, &grew)) != NULL)
			s_bench_corpus("dense corpus, generated 5000", gen, &c,
			    120, &dense5k);
		if (cur)
			s_bench_corpus("dense corpus, curated rules/", cur, &c,
			    1500, &none);
		s_corpus_free(&c);
		mf_ruleset_destroy(&gen);
	}
	if (nfiles > 0 && !curated_only) {
		double		 compile;
		size_t		 grew;
		mf_ruleset_t	*gen = s_load_generated(1000, &compile, &grew);
		s_target_t	 none = { 0, 0, 0, 0 };

		printf("\n== the corpora of ../shared/data, read in memory\n");
		for (size_t f = 0; f < nfiles; f++) {
			const char	*base = files[f], *p;
			char		 name[256];

			if (s_corpus_file(&c, files[f]) == -1)
				continue;
			/* "public/constraint.jsonl": the last two parts. */
			for (p = files[f]; *p; p++)
				if (*p == '/' && p[1] && strchr(p + 1, '/'))
					base = p + 1;
			snprintf(name, sizeof(name), "%s, generated 1000",
			    base);
			s_bench_corpus(name, gen, &c, 600, &real);
			snprintf(name, sizeof(name), "%s, curated rules/",
			    base);
			if (cur)
				s_bench_corpus(name, cur, &c, 1500, &none);
			s_corpus_free(&c);
		}
		mf_ruleset_destroy(&gen);
	}
	mf_ruleset_destroy(&cur);
	printf("\n%d target(s) missed in this run\n", s_misses);
	return 0;
}
