/*
 * startlit_test.c - selftest of the start literals (startlit.c): what a
 * pattern yields and when it yields nothing, and a property test against
 * PCRE2 itself: every match of a random pattern in a random text starts
 * with one of the pattern's start literals.
 * SPDX-License-Identifier: MIT
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcre2.h>

#include "alloc.h"
#include "buf.h"
#include "harness.h"
#include "ruleset_internal.h"

/* The start literals of 'pat', sorted and joined by '|', or "-". */
static char *
s_starts(const char *pat)
{
	static char	  buf[2048];
	char		**v;
	size_t		  n;

	MF_ASSERT_EQ(0, mf__start_lits(pat, &v, &n));
	if (v == NULL)
		return strcpy(buf, "-");
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(buf, "|");
		strncat(buf, v[i], sizeof(buf) - strlen(buf) - 2);
		mf_free(v[i]);
	}
	mf_free(v);
	return buf;
}

MF_TEST(startlit_literals)
{
	MF_ASSERT_STR_EQ("cur|heal|kill",
	    s_starts("\\b(?:kill\\w*|cur(?:e|es|ed)|heal\\w*)\\W+x"));
	MF_ASSERT_STR_EQ("jab", s_starts("\\bjabs?\\b"));
	MF_ASSERT_STR_EQ("vac", s_starts("vacc?in\\w*"));
	MF_ASSERT_STR_EQ("hot |warm", s_starts(
	    "(?=\\w)(?<!x)\\b(?:(hot (?:baths?|tubs?))|warm(?:er)?)\\b"));
	MF_ASSERT_STR_EQ("vaccinat", s_starts("VACCINATION"));
	MF_ASSERT_STR_EQ("cov", s_starts("^cov|\\Bcov"));
	/* Matches may start elsewhere. */
	MF_ASSERT_STR_EQ("-", s_starts("\\w+cure"));
	MF_ASSERT_STR_EQ("-", s_starts("x?abc"));
	MF_ASSERT_STR_EQ("-", s_starts("abc|"));
	MF_ASSERT_STR_EQ("-", s_starts("(?:abc|de)f"));	/* "de" too short */
	MF_ASSERT_STR_EQ("-", s_starts("(?:abc)?def"));
	MF_ASSERT_STR_EQ("-", s_starts("\\s=+>?\\s|\\bkill"));
	MF_ASSERT_STR_EQ("-", s_starts("[a-c]bcd"));
	MF_ASSERT_STR_EQ("-", s_starts("(?:abc)+def|ghi"));
	MF_ASSERT_STR_EQ("-", s_starts("\\xe9cole"));
	MF_ASSERT_STR_EQ("-", s_starts("\xc3\xa9" "cole"));
	/* Beyond the reader: no answer. */
	MF_ASSERT_STR_EQ("-", s_starts("(abc)\\1"));
	MF_ASSERT_STR_EQ("-", s_starts("(?i)abc"));
	MF_ASSERT_STR_EQ("-", s_starts("(?<n>abc)"));
	MF_ASSERT_STR_EQ("-", s_starts("\\Qabc\\E"));
	MF_ASSERT_STR_EQ("-", s_starts("abc(def"));
}

static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

static uint32_t
s_rand(void)
{
	return (uint32_t)mf_test_xorshift(&s_rng);
}

/* A random piece of pattern over the letters a-d (so that it matches
 * random text over them often), 'depth' groups deep at most. */
static void
s_piece(mf_buf_t *b, int depth)
{
	static const char *atoms[] = {
		"a", "b", "c", "d", "ab", "abc", "bcd", "cab", "dd", "\\w",
		"\\W", "[ab]", ".", "\\b", "\\B", " ", "a?", "b*", "c+",
		"d{1,2}", "(?=a)", "(?!b)", "(?<=c)", "(?<!d)", "^", "$",
	};
	uint32_t r = s_rand() % 10;

	if (depth > 0 && r < 3) {
		size_t n = 1 + s_rand() % 3;

		mf_buf_puts(b, s_rand() % 2 ? "(?:" : "(");
		for (size_t i = 0; i < n; i++) {
			if (i)
				mf_buf_puts(b, "|");
			for (size_t k = 1 + s_rand() % 3; k > 0; k--)
				s_piece(b, depth - 1);
		}
		mf_buf_puts(b, ")");
		if (s_rand() % 5 == 0)
			mf_buf_puts(b, s_rand() % 2 ? "?" : "+");
		return;
	}
	mf_buf_puts(b, atoms[s_rand() % (sizeof(atoms) / sizeof(atoms[0]))]);
}

MF_TEST(startlit_every_match_starts_with_one)
{
	uint32_t		 fl = PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
				    PCRE2_MATCH_INVALID_UTF;
	pcre2_match_data	*md = pcre2_match_data_create(1, NULL);
	size_t			 with = 0, matches = 0;

	MF_ASSERT_NOT_NULL(md);
	for (int it = 0; it < 20000; it++) {
		mf_buf_t	  pb = {0};
		char		  text[200], **v;
		size_t		  n, tl = 20 + s_rand() % 150;
		pcre2_code	 *code;
		int		  ec;
		PCRE2_SIZE	  eo;

		for (size_t k = 1 + s_rand() % 3; k > 0; k--) {
			if (pb.len && s_rand() % 3 == 0)
				mf_buf_puts(&pb, "|");
			for (size_t j = 1 + s_rand() % 2; j > 0; j--)
				s_piece(&pb, 2);
		}
		/* Text made of the pattern's own pieces, to match often. */
		for (size_t i = 0; i < tl; ) {
			static const char *w[] = { "a", "b", "c", "d", "ab",
			    "abc", "bcd", "cab", "dd", " ", "\n", "." };
			const char *p = w[s_rand() % 12];

			while (*p && i < tl)
				text[i++] = *p++;
		}
		text[tl] = '\0';
		MF_ASSERT_EQ(0, mf__start_lits(pb.data, &v, &n));
		code = pcre2_compile((PCRE2_SPTR)pb.data, PCRE2_ZERO_TERMINATED,
		    fl, &ec, &eo, NULL);
		if (v != NULL && code != NULL) {
			with++;
			/* Every start of a match, not just the leftmost. */
			for (size_t at = 0; at <= tl; at++) {
				PCRE2_SIZE	*ov;
				int		 ok = 0;

				if (pcre2_match(code, (PCRE2_SPTR)text, tl, at,
				    PCRE2_ANCHORED, md, NULL) < 0)
					continue;
				ov = pcre2_get_ovector_pointer(md);
				matches++;
				for (size_t i = 0; i < n && !ok; i++)
					ok = strlen(v[i]) <= tl - ov[0] &&
					    memcmp(text + ov[0], v[i],
					    strlen(v[i])) == 0;
				if (!ok)
					mf__test_fail(__FILE__, __LINE__,
					    "/%s/ matched at %zu of \"%s\" "
					    "without a start literal", pb.data,
					    (size_t)ov[0], text);
			}
		}
		for (size_t i = 0; v && i < n; i++)
			mf_free(v[i]);
		mf_free(v);
		pcre2_code_free(code);
		mf_buf_free(&pb);
	}
	pcre2_match_data_free(md);
	printf("%zu patterns with start literals, %zu matches checked\n", with,
	    matches);
	MF_ASSERT(with > 200);
	MF_ASSERT(matches > 1000);
}
