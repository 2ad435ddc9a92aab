/*
 * altsplit_test.c - a pattern's top-level alternatives: groups, classes,
 * escapes and comments are not cut; one whole (?:...) branch is opened;
 * what could reach across branches is not split; and a rule set's
 * post-sarcasm, run as its two halves, says what the whole says.
 * SPDX-License-Identifier: MIT
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <string.h>

#include "altsplit.h"
#include "harness.h"
#include "ruleset_internal.h"

/* The branches of 'pat' joined by " ; ", or "-" when it is not split. */
static const char *
s_split(const char *pat)
{
	static char	out[512];
	mf_altspan_t	v[16];
	size_t		n = 0, at = 0;

	if (mf__alt_split(pat, strlen(pat), v, 16, &n) == -1)
		return "-";
	out[0] = '\0';
	for (size_t k = 0; k < n; k++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%.*s",
		    k ? " ; " : "", (int)v[k].len, pat + v[k].off);
	return out;
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

/* The whole pattern and its halves agree on every text. */
MF_TEST(altsplit_sarcasm_halves_agree)
{
	static const char rules[] =
	    "define mock-open /^[^\\w\\n]{0,8}(?:@\\w+\\W{1,3})?/\n"
	    "define mock-close /[.!?](?=\\s*[^.!?\\n]*+[.!?]*\\s*$)\\s*"
	    "(?:oh wait|genius)[.!]*\\s*$|^@\\w+ (?:and|und)\\b/\n"
	    "define post-sarcasm /(?<!\\S)\\/s(?!\\S)|{{mock-open}}"
	    "(?:sure|yeah)\\s*[,!.]|{{mock-close}}|🙃\\W*$/\n";
	static const struct {
		const char	*text;
		int		 sarcastic;
	} texts[] = {
	    { "sure, bleach cures it", 1 }, { "  @bob yeah! and more", 1 },
	    { "it works /s", 1 }, { "it works /sarc", 0 },
	    { "drink it. genius.", 1 }, { "drink it. genius. no", 0 },
	    { "drink it.\n\noh wait", 1 }, { "@anna und dann", 1 },
	    { "great 🙃", 1 }, { "great 🙃 really", 0 },
	    { "i am sure, it works", 0 }, { "nothing here", 0 }, { "", 0 },
	};
	mf_diags_t		 d = {0};
	mf_ruleset_t		*rs;
	pcre2_match_data	*md = pcre2_match_data_create(1, NULL);

	MF_ASSERT_NOT_NULL(rs = mf_ruleset_load_string("t.rules", rules,
	    NULL, NULL, 0, &d));
	MF_ASSERT_NOT_NULL(rs->sarcasm.code);
	MF_ASSERT_NOT_NULL(rs->sarcasm_half[0]);
	MF_ASSERT_NOT_NULL(rs->sarcasm_half[1]);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		PCRE2_SPTR	t = (PCRE2_SPTR)texts[i].text;
		size_t		n = strlen(texts[i].text);
		int		whole, halves;

		whole = pcre2_match(rs->sarcasm.code, t, n, 0, 0, md, NULL) >=
		    0;
		halves = pcre2_match(rs->sarcasm_half[0], t, n, 0, 0, md,
		    NULL) >= 0 || pcre2_match(rs->sarcasm_half[1], t, n, 0, 0,
		    md, NULL) >= 0;
		MF_ASSERT_EQ(whole, halves);
		MF_ASSERT_EQ(texts[i].sarcastic, whole);
	}
	pcre2_match_data_free(md);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}
