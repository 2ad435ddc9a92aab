/*
 * altsplit_test.c - a pattern's top-level alternatives: groups, classes,
 * escapes and comments are not cut; one whole (?:...) branch is opened;
 * what could reach across branches is not split; and a rule set's
 * post-sarcasm, run as its two halves, says what the whole says, and
 * its searched half is passed by where the prefilter finds none of its
 * literals; a pattern run as its parts finds what the whole finds.
 * SPDX-License-Identifier: MIT
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <string.h>

#include "altsplit.h"
#include "harness.h"
#include "medflag.h"
#include "ruleset_internal.h"

typedef int s_split_fn(const char *, size_t, mf_altspan_t *, size_t,
    size_t *);

/* The branches 'split' gives of 'pat' joined by " ; ", or "-" when it
 * does not split it. */
static const char *
s_join(s_split_fn *split, const char *pat)
{
	static char	out[512];
	mf_altspan_t	v[16];
	size_t		n = 0, at = 0;

	if (split(pat, strlen(pat), v, 16, &n) == -1)
		return "-";
	out[0] = '\0';
	for (size_t k = 0; k < n; k++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%.*s",
		    k ? " ; " : "", (int)v[k].len, pat + v[k].off);
	return out;
}

static const char *
s_split(const char *pat)
{
	return s_join(mf__alt_split, pat);
}

/* The same, one level deep. */
static const char *
s_split_top(const char *pat)
{
	return s_join(mf__alt_split_top, pat);
}

MF_TEST(altsplit_branches)
{
	MF_ASSERT_STR_EQ("a ; b ; c", s_split("a|b|c"));
	MF_ASSERT_STR_EQ("abc", s_split("abc"));
	MF_ASSERT_STR_EQ("a(b|c) ; d", s_split("a(b|c)|d"));
	MF_ASSERT_STR_EQ("[|(] ; x", s_split("[|(]|x"));
	MF_ASSERT_STR_EQ("[]|] ; x", s_split("[]|]|x"));
	MF_ASSERT_STR_EQ("[[:alpha:]|] ; y", s_split("[[:alpha:]|]|y"));
	MF_ASSERT_STR_EQ("\\| ; \\( ; \\Q|(\\E", s_split("\\||\\(|\\Q|(\\E"));
	MF_ASSERT_STR_EQ("a(?#|)b ; c", s_split("a(?#|)b|c"));
	/* A whole group opens, nested ones too; a group with more after it
	 * does not. */
	MF_ASSERT_STR_EQ("a ; b ; c ; d", s_split("(?:a|(?:b|c))|d"));
	MF_ASSERT_STR_EQ("(?:a|b)c ; d", s_split("(?:a|b)c|d"));
	MF_ASSERT_STR_EQ("(?:a)(?:b|c)", s_split("(?:a)(?:b|c)"));
	MF_ASSERT_STR_EQ("^x ; y$", s_split("(?:^x|y$)"));
}

MF_TEST(altsplit_top_level_only)
{
	MF_ASSERT_STR_EQ("(?:a|b) ; c", s_split_top("(?:(?:a|b)|c)"));
	MF_ASSERT_STR_EQ("a ; b", s_split_top("(?:(?:a|b))"));
	MF_ASSERT_STR_EQ("(?:a|b)c ; d", s_split_top("(?:a|b)c|d"));
	MF_ASSERT_STR_EQ("(?:a)(?:b|c)", s_split_top("(?:a)(?:b|c)"));
	MF_ASSERT_STR_EQ("-", s_split_top("(a)|\\1"));
}

MF_TEST(altsplit_refuses_what_reaches_across)
{
	MF_ASSERT_STR_EQ("-", s_split("(a)|\\1"));
	MF_ASSERT_STR_EQ("-", s_split("(?<n>a)|\\k<n>"));
	MF_ASSERT_STR_EQ("-", s_split("a|(?R)"));
	MF_ASSERT_STR_EQ("-", s_split("a|(?1)"));
	MF_ASSERT_STR_EQ("-", s_split("(*UCP)a|b"));
	MF_ASSERT_STR_EQ("-", s_split("a(?i)|B"));
	MF_ASSERT_STR_EQ("-", s_split("a)|b"));
	MF_ASSERT_STR_EQ("-", s_split("(a|b"));
	/* An option group is a group. */
	MF_ASSERT_STR_EQ("(?i:a) ; b", s_split("(?i:a)|b"));
}

/* A post-sarcasm of both kinds of branch, and texts it marks or not. */
static const char s_sarc_rules[] =
    "define mock-open /^[^\\w\\n]{0,8}(?:@\\w+\\W{1,3})?/\n"
    "define mock-close /[.!?](?=\\s*[^.!?\\n]*+[.!?]*\\s*$)\\s*"
    "(?:oh wait|genius)[.!]*\\s*$|^@\\w+ (?:and|und)\\b/\n"
    "define post-sarcasm /(?<!\\S)\\/s(?!\\S)|{{mock-open}}"
    "(?:sure|yeah)\\s*[,!.]|{{mock-close}}|🙃\\W*$/\n";
static const struct {
	const char	*text;
	int		 sarcastic;
} s_sarc_texts[] = {
    { "sure, bleach cures it", 1 }, { "  @bob yeah! and more", 1 },
    { "it works /s", 1 }, { "it works /sarc", 0 },
    { "drink it. genius.", 1 }, { "drink it. genius. no", 0 },
    { "drink it.\n\noh wait", 1 }, { "@anna und dann", 1 },
    { "great 🙃", 1 }, { "great 🙃 really", 0 },
    { "i am sure, it works", 0 }, { "nothing here", 0 }, { "", 0 },
};
#define S_NSARC	(sizeof(s_sarc_texts) / sizeof(s_sarc_texts[0]))

/* The whole pattern and its halves agree on every text. */
MF_TEST(altsplit_sarcasm_halves_agree)
{
	mf_diags_t		 d = {0};
	mf_ruleset_t		*rs;
	pcre2_match_data	*md = pcre2_match_data_create(1, NULL);

	MF_ASSERT_NOT_NULL(rs = mf_ruleset_load_string("t.rules",
	    s_sarc_rules, NULL, NULL, 0, &d));
	MF_ASSERT_NOT_NULL(rs->sarcasm.code);
	MF_ASSERT_NOT_NULL(rs->sarcasm_half[0]);
	MF_ASSERT_NOT_NULL(rs->sarcasm_half[1]);
	for (size_t i = 0; i < S_NSARC; i++) {
		PCRE2_SPTR	t = (PCRE2_SPTR)s_sarc_texts[i].text;
		size_t		n = strlen(s_sarc_texts[i].text);
		int		whole, halves;

		whole = pcre2_match(rs->sarcasm.code, t, n, 0, 0, md, NULL) >=
		    0;
		halves = pcre2_match(rs->sarcasm_half[0], t, n, 0, 0, md,
		    NULL) >= 0 || pcre2_match(rs->sarcasm_half[1], t, n, 0, 0,
		    md, NULL) >= 0;
		MF_ASSERT_EQ(whole, halves);
		MF_ASSERT_EQ(s_sarc_texts[i].sarcastic, whole);
	}
	pcre2_match_data_free(md);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/*
 * The half searched through the post runs only where the rule prefilter
 * finds one of its literals ("/s", "oh wait", "genius", the emoji): its
 * last rule, numbered past the rules. A post it passes by is one that
 * half cannot match, and a scan marks sarcasm as the whole pattern does.
 */
MF_TEST(altsplit_sarcasm_gate)
{
	mf_diags_t		 d = {0};
	mf_ruleset_t		*rs;
	mf_scanner_t		*sc;
	mf_pfscratch_t		 pfs = {0};
	pcre2_match_data	*md = pcre2_match_data_create(1, NULL);
	size_t			 out[2];

	MF_ASSERT_NOT_NULL(rs = mf_ruleset_load_string("t.rules",
	    s_sarc_rules, NULL, NULL, 0, &d));
	MF_ASSERT_NOT_NULL(rs->sarcasm_req);
	MF_ASSERT_NOT_NULL(rs->pf);
	MF_ASSERT_NOT_NULL(sc = mf_scanner_new(NULL));
	rs->policy.sarcasm_scale = 0.5;
	for (size_t i = 0; i < S_NSARC; i++) {
		const char	*t = s_sarc_texts[i].text;
		size_t		 n = mf_prefilter_scan(rs->pf, &pfs, t,
				    strlen(t), out);
		int		 may = n > 0 && out[n - 1] == rs->nrules;
		mf_post_t	*p = mf_post_new("p-1", t);
		mf_verdict_t	*v = NULL;

		if (pcre2_match(rs->sarcasm_half[1], (PCRE2_SPTR)t, strlen(t),
		    0, 0, md, NULL) >= 0)
			MF_ASSERT(may);
		MF_ASSERT_NOT_NULL(p);
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
		MF_ASSERT_EQ(s_sarc_texts[i].sarcastic,
		    (v->flags & MF_VF_SARCASM) != 0);
		mf_verdict_destroy(&v);
		mf_post_destroy(&p);
	}
	/* It passes by posts without them. */
	MF_ASSERT_EQ(0, mf_prefilter_scan(rs->pf, &pfs, "nothing here", 12,
	    out));
	MF_ASSERT_EQ(0, mf_prefilter_scan(rs->pf, &pfs, "sure, bleach", 12,
	    out));
	mf_pfscratch_free(&pfs);
	pcre2_match_data_free(md);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/*
 * A pattern PCRE2 would try at every position, "(?:^|\s)=+>\s" beside
 * words, runs as its parts: each part's leftmost match, the first
 * part's on a tie. The hit's span is the whole pattern's, with its parts
 * or without (MF_SCAN_NO_STARTS).
 */
MF_TEST(altsplit_parts_find_what_the_whole_finds)
{
	static const char rules[] =
	    "claim c\n title t\n fact f\n evidence https://who.int/\n"
	    " tier misleading\nend\n"
	    "rule c.parts\n score 1\n"
	    " match /(?:^|\\s)=+>\\s|\\bgar(?:lic)?|\\bgarlic\\w*|cures?\\b/\n"
	    "end\n";
	static const struct {
		const char	*text;
		size_t		 start, end;	/* 0, 0: no hit */
	} texts[] = {
	    { "garlicky => cures", 0, 6 },	/* the first part on a tie */
	    { "the gar fish", 4, 7 },
	    { "x => it cures", 1, 5 },		/* the part with no start */
	    { "=>garlic", 2, 8 },
	    { "it secures nothing", 5, 10 },
	    { "nothing here", 0, 0 },
	};
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	const mf_code_t	*c;

	MF_ASSERT_NOT_NULL(rs = mf_ruleset_load_string("t.rules", rules,
	    NULL, NULL, 0, &d));
	MF_ASSERT_NOT_NULL(c = mf__ruleset_code(rs,
	    rs->rules[0]->match[0].code));
	MF_ASSERT_EQ(4, c->nparts);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		mf_post_t	*p = mf_post_new("p", texts[i].text);
		mf_verdict_t	*v[2] = { NULL, NULL };

		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v[0], NULL));
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, MF_SCAN_NO_STARTS,
		    &v[1], NULL));
		for (int k = 0; k < 2; k++) {
			if (texts[i].end == 0) {
				MF_ASSERT_EQ(0, v[k]->nhits);
				continue;
			}
			MF_ASSERT_EQ(1, v[k]->nhits);
			MF_ASSERT_EQ(texts[i].start,
			    v[k]->hits[0].spans[0].start);
			MF_ASSERT_EQ(texts[i].end, v[k]->hits[0].spans[0].end);
		}
		mf_verdict_destroy(&v[0]);
		mf_verdict_destroy(&v[1]);
		mf_post_destroy(&p);
	}
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}
