/*
 * prefilter_test.c - selftest of the literal extractor, the automaton and
 * the prefilter: what literals a pattern yields and why some run always,
 * overlapping literals, the literal scanner against a brute-force search
 * and the automaton, and a property test against PCRE2 itself (when
 * PCRE2 finds a match, one of the extracted literals is in the text).
 * SPDX-License-Identifier: MIT
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "alloc.h"
#include "ahocorasick.h"
#include "harness.h"
#include "litfreq.h"
#include "prefilter.h"
#include "prefilter_internal.h"

/* The literals of 'pat' sorted and joined by '|', or "always: why". */
static char *
s_lits(const char *pat, int extended)
{
	static char	buf[4096];
	mf_litreq_t	r;
	char		**v;

	MF_ASSERT_EQ(0, mf_prefilter_extract(pat, extended, &r));
	if (r.always) {
		snprintf(buf, sizeof(buf), "always: %s", r.why);
		mf_litreq_free(&r);
		return buf;
	}
	v = r.lits;
	for (size_t i = 1; i < r.nlits; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < r.nlits; i++) {
		if (i)
			strcat(buf, "|");
		strncat(buf, v[i], sizeof(buf) - strlen(buf) - 2);
	}
	for (size_t k = 0; k < r.nalso; k++) {
		strcat(buf, " & ");
		for (size_t i = 0; i < r.also[k].nlits; i++) {
			if (i)
				strcat(buf, "|");
			strncat(buf, r.also[k].lits[i], sizeof(buf) -
			    strlen(buf) - 2);
		}
	}
	mf_litreq_free(&r);
	return buf;
}

/* The gaps of 'pat' as "A<B:MAX", sets numbered as mf_litgap_t does. */
static const char *
s_gaps(const char *pat)
{
	static char	buf[512];
	mf_litreq_t	r;

	buf[0] = '\0';
	if (mf_prefilter_extract(pat, 0, &r) != 0)
		return "ENOMEM";
	for (size_t i = 0; i < r.ngaps; i++) {
		char one[64];

		if (r.gaps[i].max == MF_LITGAP_ANY)
			snprintf(one, sizeof(one), "%s%u<%u:any", i ? " " : "",
			    r.gaps[i].a, r.gaps[i].b);
		else
			snprintf(one, sizeof(one), "%s%u<%u:%u", i ? " " : "",
			    r.gaps[i].a, r.gaps[i].b, r.gaps[i].max);
		strcat(buf, one);
	}
	mf_litreq_free(&r);
	return buf;
}

#define S_LITS(pat, want)	MF_ASSERT_STR_EQ(s_lits(pat, 0), want)
#define S_ALWAYS(pat, why)	do {					\
	const char *mf__s = s_lits(pat, 0);				\
	MF_ASSERT_STR_CONTAINS(mf__s, "always: ");			\
	MF_ASSERT_STR_CONTAINS(mf__s, why);				\
	} while (0)

MF_TEST(prefilter_extract_literals)
{
	S_LITS("vaccine", "vaccine");
	S_LITS("VACCINE", "vaccine");
	/* The main set is the rarest in health text, the others follow in
	 * their order. */
	S_LITS("\\bvaccin\\w*\\b.{0,40}\\b(cause|causes)\\b.{0,20}\\bautism\\b",
	    "autism & vaccin & cause");
	S_LITS("(vaccin|vacin)e", "vaccine|vacine");
	S_LITS("colou?r", "color|colour");
	S_LITS("\\b(vacc?in\\w*|mmr|jabs?)\\b", "jab|mmr|vaccin|vacin");
	S_LITS("immuni[sz]e", "immunise|immunize");
	S_LITS("[a-z]+ing\\b", "ing");
	S_LITS("(?:foo|bar)baz", "barbaz|foobaz");
	S_LITS("vaccin(?:e|es|ation)?s?", "vaccin");
	S_LITS("\\bhcq\\b", "hcq");
	S_LITS("ab|cd", "ab|cd");
	S_LITS("x*yz", "yz");
	S_LITS("[^abc]def", "def");
	S_LITS("[[:alpha:]]def", "def");
	S_LITS("(?>atom)ic", "atomic");
	S_LITS("(?=.*vaccine)autism", "autism");
	S_LITS("(?<!no )cure", "cure");
	S_LITS("(?<name>flu)shot", "flushot");
	S_LITS("(?'n'flu)\\s+shot", "shot & flu");
	S_LITS("(?P<n>flu) shot", "flu shot");
	S_LITS("ab{2}c", "abbc");
	S_LITS("(ab){2,}", "abab");
	S_LITS("(?:cure)+s", "cure");
	S_LITS("a{,3}bc", "bc");
	S_LITS("\\Qa.b\\E", "a.b");
	S_LITS("\\Qa.b\\E+c", "a.b");
	S_LITS("(?:ab)+cd", "cd & ab");
	S_LITS("xy(?:ab)+cd", "xyab & cd");
	S_LITS("\\x{41}\\x42c", "abc");
	S_LITS("5g\\.", "5g.");
	S_LITS("\\/vax\\-", "/vax-");
	S_LITS("^miracle$", "miracle");
	S_LITS("(?i)cure(?-i)s", "cures");
	S_LITS("\\bcures?\\b.*\\bcancer\\b", "cure & cancer");
	S_LITS("(?:vaccin.*autism)", "autism & vaccin");
	/* Any one part of every branch, united, is required. */
	S_LITS("vaccin.*autism|mmr.*jab",
	    "autism|mmr & autism|jab & vaccin|mmr & vaccin|jab");
	S_LITS("turbo\\W?cancer|cancer turbo", "turbo & cancer");
	S_LITS("\\b(?:plandemic|(?:covid|corona)\\W+(?:is|was)\\W+(?:hoax|fake))\\b",
	    "fake|hoax|plandemic & plandemic|covid|corona & plandemic|is|was");
	S_LITS("(?#a comment)bleach", "bleach");
	S_LITS("bleach(?C1)es", "bleaches");
	S_LITS("\xc3\x89" "COLE", "\xc3\xa9" "cole");	/* ÉCOLE -> école */
	S_LITS("kill\\d+germs", "germs & kill");
	S_LITS("ivermectin|(hydroxy)?chloroquine", "chloroquine|ivermectin");
	S_LITS("ivermectin\\w*\\s+(?:cures?|treats?)\\s+covid",
	    "ivermectin & cure|treat & covid");
	S_LITS("(?|(a)bc|(d)ef)", "abc|def");
	S_LITS("a++bcd", "bcd");
	S_LITS("[.-]vax", "-vax|.vax");
	MF_ASSERT_STR_EQ(s_lits("vac cine  # the jab", 1), "vaccine");
	MF_ASSERT_STR_EQ(s_lits("(?x) vac cine", 0), "vaccine");
	MF_ASSERT_STR_EQ(s_lits("(?x: vac )cine", 0), "vaccine");
	MF_ASSERT_STR_EQ(s_lits("vac[ ]cine", 1), "vac cine");
}

/* Parts in a row keep their order, and their distance where every item
 * between them is bounded (4 bytes a character, at most). */
MF_TEST(prefilter_extract_gaps)
{
	/* '=' is a rare byte in health text (litfreq.h): the middle part is
	 * one to look for, and stands between the other two. */
	MF_ASSERT_STR_EQ(s_gaps("5g\\W{0,6}(?:=|equals|is)\\W{0,6}covid"),
	    "0<1:56 1<2:68");
	/* \w* leaves the order; .{0,20} with its neighbours 128 bytes. */
	MF_ASSERT_STR_EQ(s_gaps("\\bvaccin\\w*\\b.{0,40}\\b(cause|causes)"
	    "\\b.{0,20}\\bautism\\b"), "1<2:any 2<0:128");
	MF_ASSERT_STR_EQ(s_gaps("covid.{0,3}covid"), "0<0:52");
	MF_ASSERT_STR_EQ(s_gaps("xy(?:ab)+cd"), "0<1:any");
	/* Not one branch: no order is known. */
	MF_ASSERT_STR_EQ(s_gaps("(?:vaccin.*autism)"), "");
	MF_ASSERT_STR_EQ(s_gaps("vaccin.*autism|mmr.*jab"), "");
	/* A lookahead spans nothing. */
	MF_ASSERT_STR_EQ(s_gaps("abc(?=.*xyz)def"), "");
	MF_ASSERT_STR_EQ(s_gaps("abc(?=.*xyz)\\w+def"), "0<1:any");
}

MF_TEST(prefilter_extract_always)
{
	S_ALWAYS("", "no literal text");
	S_ALWAYS("\\w+", "no literal text");
	S_ALWAYS("a.b", "no literal of 2+ bytes");
	/* One byte will do when health text seldom holds it. */
	S_ALWAYS("\\s:\\s", "no literal of 2+ bytes");
	S_LITS("\\s=+>?\\s", "=");
	S_LITS("\\s=+>?\\s|\\bcures?\\b", "=|cure");
	S_ALWAYS("(cure|\\w+)", "an alternative has no literal");
	S_ALWAYS("(\\w+)\\1", "backreference");
	S_ALWAYS("(*UTF)abc", "backtracking verb");
	S_ALWAYS("(?(1)abc|def)", "conditional group");
	S_ALWAYS("abc)", "unmatched )");
	S_ALWAYS("(abc", "missing )");
	S_ALWAYS("[abc", "unterminated character class");
	S_ALWAYS("a{x}bc", "'{' that is not a quantifier");
	S_ALWAYS("*abc", "nothing to repeat");
	S_ALWAYS("abc\\", "backslash");
	S_ALWAYS("abc\\y", "unsupported escape");
	S_ALWAYS("(?:abc)?", "no literal text");
	S_ALWAYS(".{3,}", "no literal text");
}

/* Every byte, pair and triple of the table reads back its own figure,
 * and what the table leaves out reads as rarer than all of it. */
MF_TEST(prefilter_litfreq_lookup)
{
	for (size_t i = 0; i < mf__litfreq_n; i++) {
		uint32_t	k = mf__litfreq_keys[i];
		char		s[3] = { (char)(k >> 16), (char)(k >> 8), (char)k };

		MF_ASSERT_EQ(mf__litfreq_per100k[i], mf__litfreq(s, k >> 24));
	}
	MF_ASSERT(mf__litfreq("\x01\x02\x03", 3) < 100);
	MF_ASSERT_EQ(100000, mf__litfreq("", 0));
}

MF_TEST(prefilter_extract_out_of_memory)
{
	mf_litreq_t	r;
	int		rc = -1;

	for (size_t n = 1; n < 200 && rc != 0; n++) {
		mf_alloc_fail_after(n, 1);
		rc = mf_prefilter_extract("\\b(vacc?in\\w*|mmr|jabs?)\\b.*"
		    "autis[mt]", 0, &r);
		mf_alloc_fail_after(0, 0);
		if (rc == 0)
			mf_litreq_free(&r);
		else
			MF_ASSERT_EQ(0, r.nlits);
	}
	MF_ASSERT_EQ(0, rc);
}

/* ---- automaton ------------------------------------------------------ */

typedef struct s_hits {
	uint32_t	lit[4096];
	size_t		end[4096];
	size_t		n;
} s_hits_t;

static void
s_collect(void *ctx, uint32_t lit, size_t end)
{
	s_hits_t *h = ctx;

	if (h->n < 4096) {
		h->lit[h->n] = lit;
		h->end[h->n++] = end;
	}
}

static void
s_mark_lit(void *ctx, uint32_t lit, size_t end)
{
	(void)end;
	((unsigned char *)ctx)[lit] = 1;
}

static int
s_has_hit(const s_hits_t *h, uint32_t lit, size_t end)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->lit[i] == lit && h->end[i] == end)
			return 1;
	return 0;
}

MF_TEST(prefilter_ac_overlapping)
{
	const char	*lits[] = { "he", "she", "his", "hers", "s" };
	size_t		 lens[] = { 2, 3, 3, 4, 1 };
	mf__ac_t	*ac;
	s_hits_t	 h = {0};

	MF_ASSERT_NOT_NULL(ac = mf__ac_build(lits, lens, 5, 1 << 20, NULL));
	mf__ac_scan(ac, "ushers", 6, s_collect, &h);
	MF_ASSERT_EQ(5, h.n);
	MF_ASSERT(s_has_hit(&h, 4, 2));		/* s */
	MF_ASSERT(s_has_hit(&h, 1, 4));		/* she */
	MF_ASSERT(s_has_hit(&h, 0, 4));		/* he */
	MF_ASSERT(s_has_hit(&h, 3, 6));		/* hers */
	MF_ASSERT(s_has_hit(&h, 4, 6));		/* s */
	mf__ac_destroy(&ac);
	MF_ASSERT_NULL(ac);
}

/* Random literals over a 3-letter alphabet against a naive search: every
 * occurrence, no other. With a tiny budget the literals are cut, and
 * every true occurrence is still reported at its prefix's end. */
MF_TEST(prefilter_ac_random_vs_naive)
{
	char		 store[64][8], text[200];
	const char	*lits[64];
	size_t		 lens[64];

	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t		 n = 1 + (size_t)(rand() % 64), tlen;
		size_t		 budget = round % 4 == 3 ? 600 : 1 << 20;
		mf__ac_t	*ac;
		s_hits_t	 h = {0};
		size_t		 maxlen;

		for (size_t i = 0; i < n; i++) {
			lens[i] = 1 + (size_t)(rand() % 7);
			for (size_t k = 0; k < lens[i]; k++)
				store[i][k] = "abc"[rand() % 3];
			store[i][lens[i]] = '\0';
			lits[i] = store[i];
		}
		tlen = (size_t)(rand() % 200);
		for (size_t k = 0; k < tlen; k++)
			text[k] = "abcd"[rand() % 4];
		MF_ASSERT_NOT_NULL(ac = mf__ac_build(lits, lens, n, budget,
		    NULL));
		maxlen = mf__ac_maxlen(ac);
		mf__ac_scan(ac, text, tlen, s_collect, &h);
		for (size_t i = 0; i < n; i++) {
			size_t l = lens[i] < maxlen ? lens[i] : maxlen;

			for (size_t e = l; e <= tlen; e++) {
				int there = memcmp(text + e - l, lits[i], l) == 0;

				MF_ASSERT_EQ(there, s_has_hit(&h, (uint32_t)i, e));
			}
		}
		if (budget == 1 << 20)
			MF_ASSERT(maxlen >= 7);
		mf__ac_destroy(&ac);
	}
}

/* ---- the literal scanner (litscan.c) ------------------------------- */

typedef struct s_grid {
	unsigned char	n[64][320];	/* occurrences of (literal, end) */
	unsigned	bad;		/* reports out of range */
} s_grid_t;

static void
s_grid_hit(void *ctx, uint32_t lit, size_t end)
{
	s_grid_t *g = ctx;

	if (lit >= 64 || end >= 320)
		g->bad++;
	else
		g->n[lit][end]++;
}

/* A random byte string of 'len' bytes over 'alpha' ('na' bytes). */
static void
s_rand_bytes(char *p, size_t len, const char *alpha, size_t na)
{
	for (size_t k = 0; k < len; k++)
		p[k] = alpha[(size_t)rand() % na];
}

/*
 * The scanner against a brute-force comparison at every end position,
 * and the set of literals it finds against the Aho-Corasick automaton:
 * small alphabets (with NUL and 0xff bytes) so that literals overlap,
 * repeat and share prefixes; literals of 1 to 9 bytes, some twice;
 * texts of 0 to 300 bytes, often shorter than 4, often starting or
 * ending with a literal.
 */
MF_TEST(prefilter_litscan_vs_naive_and_ac)
{
	static const char	*alphas[] = { "ab", "abc", "ab\xff\0", "abcdefgh" };
	static s_grid_t		 g;
	char			 store[64][10], text[320];
	const char		*lits[64];
	size_t			 lens[64], reported = 0, edges = 0;

	srand(4242);
	for (int round = 0; round < 4000; round++) {
		const char	*alpha = alphas[round % 4];
		size_t		 na = round % 4 == 2 ? 4 : strlen(alpha);
		size_t		 n = 1 + (size_t)(rand() % 64), tlen;
		mf__ls_t	*ls;
		mf__ac_t	*ac;
		s_hits_t	 h = {0};
		unsigned char	 in_ac[64] = {0}, in_ls[64] = {0};

		for (size_t i = 0; i < n; i++) {
			if (i > 0 && rand() % 8 == 0) {
				/* The same literal again, or a prefix of one. */
				size_t j = (size_t)rand() % i;

				lens[i] = 1 + (size_t)rand() % lens[j];
				memcpy(store[i], store[j], lens[i]);
			} else {
				lens[i] = 1 + (size_t)(rand() % 9);
				s_rand_bytes(store[i], lens[i], alpha, na);
			}
			lits[i] = store[i];
		}
		tlen = round % 3 == 0 ? (size_t)(rand() % 6) :
		    (size_t)(rand() % 300);
		s_rand_bytes(text, tlen, alpha, na);
		if (rand() % 3 == 0) {
			size_t i = (size_t)rand() % n;

			if (lens[i] <= tlen) {
				memcpy(text, lits[i], lens[i]);
				edges++;
			}
		}
		if (rand() % 3 == 0) {
			size_t i = (size_t)rand() % n;

			if (lens[i] <= tlen) {
				memcpy(text + tlen - lens[i], lits[i], lens[i]);
				edges++;
			}
		}
		MF_ASSERT_NOT_NULL(ls = mf__ls_build(lits, lens, n, NULL));
		memset(&g, 0, sizeof(g));
		mf__ls_scan(ls, text, tlen, s_grid_hit, &g);
		MF_ASSERT_EQ(0, g.bad);
		for (size_t i = 0; i < n; i++)
			for (size_t e = 0; e <= tlen; e++) {
				int there = e >= lens[i] && memcmp(text + e -
				    lens[i], lits[i], lens[i]) == 0;

				if (g.n[i][e] != there)
					mf__test_fail(__FILE__, __LINE__,
					    "round %d: literal %zu (%zu bytes) "
					    "ending at %zu of %zu: %d reports, "
					    "want %d", round, i, lens[i], e,
					    tlen, g.n[i][e], there);
				in_ls[i] |= there;
				reported += there;
			}
		MF_ASSERT_NOT_NULL(ac = mf__ac_build(lits, lens, n, 1 << 20,
		    NULL));
		mf__ac_scan(ac, text, tlen, s_collect, &h);
		for (size_t k = 0; k < h.n; k++)
			in_ac[h.lit[k]] = 1;
		MF_ASSERT_EQ(0, memcmp(in_ac, in_ls, sizeof(in_ac)));
		mf__ac_destroy(&ac);
		mf__ls_destroy(&ls);
		MF_ASSERT_NULL(ls);
	}
	MF_ASSERT(reported > 10000);
	MF_ASSERT(edges > 1000);
}

/* Thousands of literals (the filter grows, keys share table slots):
 * the literals found agree with the automaton's on random texts. */
MF_TEST(prefilter_litscan_many_literals)
{
	enum { N = 3000 };
	static char		 store[N][12];
	static const char	*lits[N];
	static size_t		 lens[N];
	static unsigned char	 in_ac[N], in_ls[N];
	char			 text[600];
	mf__ls_t		*ls;
	mf__ac_t		*ac;

	srand(99);
	for (size_t i = 0; i < N; i++) {
		lens[i] = 2 + (size_t)(rand() % 9);
		s_rand_bytes(store[i], lens[i], "abcdefghij", 10);
		lits[i] = store[i];
	}
	MF_ASSERT_NOT_NULL(ls = mf__ls_build(lits, lens, N, NULL));
	MF_ASSERT_NOT_NULL(ac = mf__ac_build(lits, lens, N, 64 << 20, NULL));
	MF_ASSERT(mf__ls_bytes(ls) > 0);
	for (int round = 0; round < 300; round++) {
		size_t		 tlen = (size_t)(rand() % (int)sizeof(text));
		s_hits_t	 h = {0};

		s_rand_bytes(text, tlen, "abcdefghijk ", 12);
		memset(in_ac, 0, sizeof(in_ac));
		memset(in_ls, 0, sizeof(in_ls));
		mf__ac_scan(ac, text, tlen, s_collect, &h);
		MF_ASSERT(h.n < 4096);
		for (size_t k = 0; k < h.n; k++)
			in_ac[h.lit[k]] = 1;
		mf__ls_scan(ls, text, tlen, s_mark_lit, in_ls);
		MF_ASSERT_EQ(0, memcmp(in_ac, in_ls, sizeof(in_ac)));
	}
	mf__ac_destroy(&ac);
	mf__ls_destroy(&ls);
}

/* ---- the prefilter -------------------------------------------------- */

static void
s_req(mf_litreq_t *r, const char *a, const char *b)
{
	memset(r, 0, sizeof(*r));
	r->lits = mf_calloc(2, sizeof(char *));
	r->lits[r->nlits++] = mf_strdup(a);
	if (b != NULL)
		r->lits[r->nlits++] = mf_strdup(b);
}

static char *
s_scan(const mf_prefilter_t *pf, mf_pfscratch_t *s, const char *text)
{
	static char	buf[256];
	size_t		out[16], n;

	n = mf_prefilter_scan(pf, s, text, strlen(text), out);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%zu",
		    i ? "," : "", out[i]);
	return buf;
}

MF_TEST(prefilter_rules_and_always)
{
	mf_prefilter_t	*pf;
	mf_litreq_t	 r[2];
	mf_pfscratch_t	 s = {0};
	const char	*why;

	MF_ASSERT_NOT_NULL(pf = mf_prefilter_new(6));
	/* 0: vaccine AND autism */
	s_req(&r[0], "vaccin", "jab");
	s_req(&r[1], "autism", NULL);
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 0, r, 2));
	MF_ASSERT_EQ(-1, mf_prefilter_add(pf, 0, r, 2));	/* twice */
	mf_litreq_free(&r[0]);
	mf_litreq_free(&r[1]);
	/* 1: always (one pattern had nothing) */
	memset(&r[0], 0, sizeof(r[0]));
	r[0].always = 1;
	snprintf(r[0].why, sizeof(r[0].why), "no literal text");
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 1, r, 1));
	/* 2: bleach AND an always pattern: needs only bleach */
	s_req(&r[1], "bleach", NULL);
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 2, r, 2));
	mf_litreq_free(&r[1]);
	/* 3: the same literal twice in one rule */
	s_req(&r[0], "jab", NULL);
	s_req(&r[1], "jab", "shot");
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 3, r, 2));
	mf_litreq_free(&r[0]);
	mf_litreq_free(&r[1]);
	/* 4: never added -> always; 5: "s" overlapping "shot" */
	s_req(&r[0], "ot", NULL);
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 5, r, 1));
	mf_litreq_free(&r[0]);
	MF_ASSERT_EQ(0, mf_prefilter_build(pf, NULL));

	MF_ASSERT_STR_EQ(s_scan(pf, &s, ""), "1,4");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "the jab"), "1,3,4");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "autism after the jab"), "0,1,3,4");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "vaccinated, autism, vaccine"),
	    "0,1,4");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "a shot of bleach"), "1,2,4,5");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "shot"), "1,4,5");
	MF_ASSERT_EQ(1, mf_prefilter_rule_always(pf, 1, &why));
	MF_ASSERT_STR_EQ(why, "no literal text");
	MF_ASSERT_EQ(1, mf_prefilter_rule_always(pf, 4, &why));
	MF_ASSERT_EQ(0, mf_prefilter_rule_always(pf, 2, &why));
	MF_ASSERT(mf_prefilter_bytes(pf) > 0);
	mf_pfscratch_free(&s);
	mf_prefilter_destroy(&pf);
	mf_prefilter_destroy(&pf);
}

/* ---- property: never drop a true match ------------------------------ */

/* A random pattern of the small grammar into 'p' (depth-bounded). */
static void
s_gen(char *p, size_t cap, int depth)
{
	static const char *atoms[] = {
		"a", "b", "c", "A", "B", "ab", "ba", "abc", "ca", "\\x61",
		".", "[a-c]", "[bc]", "[^a]", "\\w", "\\s", " ", "\\b", "\\B",
		"^", "$", "\\Qa.\\E", "[A]", "(?=a)", "(?!b)", "\\d",
		"\xc3\xa9", "\xc3\x89", "[[:alpha:]]", "(?i)", "\\.",
		"abc", "cab", "bca", "aab", "ABC", "cab", "bca",
	};
	static const char *quants[] = {
		"", "", "", "", "?", "*", "+", "{2}", "{0,2}", "{1,3}",
		"{2,}", "??", "*?", "+?", "++",
	};
	int n = 1 + rand() % 4;

	for (int i = 0; i < n && strlen(p) + 40 < cap; i++) {
		int k = rand() % 10;

		if (depth < 3 && k == 0) {
			strcat(p, "(");
			s_gen(p, cap, depth + 1);
			strcat(p, "|");
			s_gen(p, cap, depth + 1);
			strcat(p, ")");
		} else if (depth < 3 && k == 1) {
			strcat(p, rand() % 2 ? "(?:" : "(?>");
			s_gen(p, cap, depth + 1);
			strcat(p, ")");
		} else {
			strcat(p, atoms[rand() % (sizeof(atoms) /
			    sizeof(atoms[0]))]);
		}
		strcat(p, quants[rand() % (sizeof(quants) /
		    sizeof(quants[0]))]);
	}
}

/* A rule whose parts are all present but out of order or too far apart
 * does not pass; in order and near enough, it does. */
MF_TEST(prefilter_scan_order_and_distance)
{
	mf_prefilter_t	*pf;
	mf_litreq_t	 r[2];
	mf_pfscratch_t	 s = {0};

	MF_ASSERT_NOT_NULL(pf = mf_prefilter_new(4));
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\b(?:5|s)g\\W{0,6}"
	    "(?:=|equals|is)\\W{0,6}(?:covid|corona)\\w*", 0, &r[0]));
	MF_ASSERT_EQ(2, r[0].ngaps);
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 0, r, 1));
	mf_litreq_free(&r[0]);
	/* Two patterns: the gaps stay within each. */
	MF_ASSERT_EQ(0, mf_prefilter_extract("garlic\\w*.{0,10}cures?", 0,
	    &r[0]));
	MF_ASSERT_EQ(0, mf_prefilter_extract("covid", 0, &r[1]));
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 1, r, 2));
	mf_litreq_free(&r[0]);
	mf_litreq_free(&r[1]);
	MF_ASSERT_EQ(0, mf_prefilter_extract("bleach", 0, &r[0]));
	MF_ASSERT_EQ(0, mf_prefilter_add(pf, 2, r, 1));
	mf_litreq_free(&r[0]);
	/* `near 20`: both hits, so a literal of each, in 20 bytes. */
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\bzinc\\w*", 0, &r[0]));
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\bcolds?\\b", 0, &r[1]));
	MF_ASSERT_EQ(0, mf_prefilter_add_near(pf, 3, r, 2, 20));
	mf_litreq_free(&r[0]);
	mf_litreq_free(&r[1]);
	MF_ASSERT_EQ(0, mf_prefilter_build(pf, NULL));

	MF_ASSERT_STR_EQ(s_scan(pf, &s, "5g = covid, look it up"), "0");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "covid came before 5g"), "");
	/* 100 bytes at most from "5g" to "covid": 4 a character. */
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "5g masts went up in our town in "
	    "2019, and two years later, as everyone here knows by now, the "
	    "first cases of covid"), "");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "covid, then 5g is corona"), "0");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "garlic cures covid"), "1");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "covid: garlic cures"), "1");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "cures? garlic for covid"), "");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "bleach, then garlic cures covid"),
	    "1,2");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "colds? try zinc"), "3");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "zinc, 20 mg, and vitamin d, "
	    "stopped my colds"), "");
	mf_pfscratch_free(&s);
	mf_prefilter_destroy(&pf);
}

/* `near sentence`: a literal of every pattern in one sentence, as the
 * matcher counts them (sentence.h): not two of three in one and the third
 * in the next, not across a full stop, but past a title's ("dr."). */
MF_TEST(prefilter_scan_sentence)
{
	mf_prefilter_t	*pf;
	mf_litreq_t	 r[3];
	mf_pfscratch_t	 s = {0};

	MF_ASSERT_NOT_NULL(pf = mf_prefilter_new(1));
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\b(?:vaccines?|jabs?)\\b", 0,
	    &r[0]));
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\bcaus\\w*", 0, &r[1]));
	MF_ASSERT_EQ(0, mf_prefilter_extract("\\bautis\\w*", 0, &r[2]));
	MF_ASSERT_EQ(0, mf_prefilter_add_near(pf, 0, r, 3,
	    MF_PF_NEAR_SENTENCE));
	for (size_t i = 0; i < 3; i++)
		mf_litreq_free(&r[i]);
	MF_ASSERT_EQ(0, mf_prefilter_build(pf, NULL));

	MF_ASSERT_STR_EQ(s_scan(pf, &s, "autism, my son got it after the "
	    "jab, it caused it"), "0");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "i had my jab. my son has autism, "
	    "nobody knows the cause"), "");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "the jab causes it. autism? no"), "");
	/* Each two in one sentence, not all three. */
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "the jab causes fevers. autism "
	    "causes nothing"), "");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "the jab\nwhat causes autism"), "");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "dr. smith says the jab causes "
	    "autism"), "0");
	MF_ASSERT_STR_EQ(s_scan(pf, &s, "jab. jab causes autism. ok"), "0");
	mf_pfscratch_free(&s);
	mf_prefilter_destroy(&pf);
}

/* The literals of set 'n' of 'r' (0: lits, k + 1: also[k]). */
static char **
s_set_lits(const mf_litreq_t *r, uint32_t n, size_t *nlits)
{
	*nlits = n == 0 ? r->nlits : r->also[n - 1].nlits;
	return n == 0 ? r->lits : r->also[n - 1].lits;
}

/* 1 if 'text' holds a literal of gap g's set a ending at most g->max
 * bytes before one of set b starts: by brute force. */
static int
s_gap_holds(const char *text, const mf_litreq_t *r, const mf_litgap_t *g)
{
	size_t	 na, nb;
	char	**la = s_set_lits(r, g->a, &na), **lb = s_set_lits(r, g->b, &nb);

	for (size_t i = 0; i < na; i++)
		for (const char *x = strstr(text, la[i]); x != NULL;
		    x = strstr(x + 1, la[i]))
			for (size_t j = 0; j < nb; j++)
				for (const char *y = strstr(text, lb[j]);
				    y != NULL; y = strstr(y + 1, lb[j]))
					if (x + strlen(la[i]) <= y &&
					    (size_t)(y - x) - strlen(la[i]) <=
					    g->max)
						return 1;
	return 0;
}

MF_TEST(prefilter_extract_never_drops_a_match)
{
	pcre2_match_data	*md = pcre2_match_data_create(8, NULL);
	size_t			 tested = 0, matched = 0, literal = 0;
	size_t			 withalso = 0, withgaps = 0;
	char			 text[64];

	srand(20240611);
	for (int i = 0; i < 5000; i++) {
		char		 pat[512] = "";
		mf_litreq_t	 r;
		pcre2_code	*re;
		int		 ecode;
		PCRE2_SIZE	 eoff;

		s_gen(pat, sizeof(pat), 0);
		re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
		    PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &ecode, &eoff,
		    NULL);
		if (re == NULL)
			continue;
		MF_ASSERT_EQ(0, mf_prefilter_extract(pat, 0, &r));
		tested++;
		if (!r.always)
			literal++;
		for (int t = 0; t < 30; t++) {
			/* Folded text: lower case, as the normalizer makes. */
			size_t len = (size_t)(rand() % 40), k = 0;
			int found = 0;

			while (k < len) {
				int c = rand() % 9;
				const char *w = NULL;

				/* Pieces of the pattern's own literals make
				 * matches, and AND-ed parts, likely. */
				if (c == 6 && !r.always)
					w = r.lits[rand() % r.nlits];
				else if (c == 7 && r.nalso > 0) {
					mf_litset_t *a = &r.also[rand() %
					    r.nalso];

					w = a->lits[rand() % a->nlits];
				}
				if (w != NULL && k + strlen(w) <= len) {
					memcpy(text + k, w, strlen(w));
					k += strlen(w);
				} else if (c == 5 && k + 2 <= len) {
					memcpy(text + k, "\xc3\xa9", 2);
					k += 2;
				} else {
					text[k++] = "abc .abca"[c];
				}
			}
			text[k] = '\0';
			if (pcre2_match(re, (PCRE2_SPTR)text, k, 0, 0, md,
			    NULL) < 0)
				continue;
			matched++;
			if (r.always)
				continue;
			for (size_t l = 0; l < r.nlits && !found; l++)
				found = strstr(text, r.lits[l]) != NULL;
			if (!found)
				mf__test_fail(__FILE__, __LINE__, "pattern "
				    "/%s/ matches \"%s\" but none of its %zu "
				    "literals (first \"%s\") is in it", pat,
				    text, r.nlits, r.lits[0]);
			for (size_t a = 0; a < r.nalso; a++) {
				found = 0;
				for (size_t l = 0; l < r.also[a].nlits &&
				    !found; l++)
					found = strstr(text,
					    r.also[a].lits[l]) != NULL;
				if (!found)
					mf__test_fail(__FILE__, __LINE__,
					    "pattern /%s/ matches \"%s\" but "
					    "none of its also[%zu] is in it",
					    pat, text, a);
				withalso++;
			}
			for (size_t g = 0; g < r.ngaps; g++) {
				if (!s_gap_holds(text, &r, &r.gaps[g]))
					mf__test_fail(__FILE__, __LINE__,
					    "pattern /%s/ matches \"%s\" but "
					    "its gap %u<%u within %u does not "
					    "hold", pat, text, r.gaps[g].a,
					    r.gaps[g].b, r.gaps[g].max);
				withgaps += r.gaps[g].max != MF_LITGAP_ANY;
			}
		}
		mf_litreq_free(&r);
		pcre2_code_free(re);
	}
	pcre2_match_data_free(md);
	/* The grammar must exercise both outcomes, and matches. */
	printf("%zu patterns (%zu with literals), %zu matches, %zu checks "
	    "of also sets, %zu of bounded gaps\n", tested, literal, matched,
	    withalso, withgaps);
	MF_ASSERT(tested > 3000);
	MF_ASSERT(literal > tested / 5);
	MF_ASSERT(matched > 10000);
	MF_ASSERT(withalso > 100);
	MF_ASSERT(withgaps > 50);
}
