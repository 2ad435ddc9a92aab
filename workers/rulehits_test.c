/*
 * rulehits_test.c - counting, the heartbeat frame both ways, bad lines.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "harness.h"
#include "rulehits.h"

MF_TEST(rulehits_count_format_parse)
{
	mf_rulehits_t	 w = {0}, d = {0};
	mf_buf_t	 f = {0};
	char		 id[32];

	MF_ASSERT_EQ(0, mf_rulehits_add(&w, "vax-autism.cause", 16, 1, 0));
	MF_ASSERT_EQ(0, mf_rulehits_add(&w, "vax-autism.cause", 16, 2, 1));
	MF_ASSERT_EQ(0, mf_rulehits_add(&w, "bleach.cure", 11, 0, 3));
	for (int i = 0; i < 200; i++) {		/* the table grows */
		int	n = snprintf(id, sizeof(id), "r%d.x", i);

		MF_ASSERT_EQ(0, mf_rulehits_add(&w, id, (size_t)n, 1, 0));
	}
	MF_ASSERT_EQ(202, w.len);
	MF_ASSERT_EQ(0, mf_rulehits_format(&w, &f));
	MF_ASSERT_STR_CONTAINS(f.data, "vax-autism.cause 3 1\n");
	MF_ASSERT_STR_CONTAINS(f.data, "bleach.cure 0 3\n");
	/* medflagd adds two intervals. */
	MF_ASSERT_EQ(0, mf_rulehits_parse(&d, f.data, f.len));
	MF_ASSERT_EQ(0, mf_rulehits_parse(&d, f.data, f.len));
	MF_ASSERT_EQ(6, mf_rulehits_get(&d, "vax-autism.cause")->hits);
	MF_ASSERT_EQ(2, mf_rulehits_get(&d, "vax-autism.cause")->shadow);
	MF_ASSERT_EQ(2, mf_rulehits_get(&d, "r199.x")->hits);
	/* Zeroed counts are not sent again. */
	mf_rulehits_zero(&w);
	mf_buf_reset(&f);
	MF_ASSERT_EQ(0, mf_rulehits_format(&w, &f));
	MF_ASSERT_EQ(0, f.len);
	mf_buf_free(&f);
	mf_rulehits_free(&w);
	mf_rulehits_free(&d);
}

MF_TEST(rulehits_bad_lines)
{
	mf_rulehits_t	 d = {0};
	static const char frame[] =
	    "ok.rule 1 2\n"
	    "Bad.Id 1 1\n"		/* capitals */
	    "no-counts\n"
	    "x.y 1\n"			/* one count */
	    "x.y 1 2 3\n"		/* three */
	    "x.y -1 0\n"
	    "x.y 99999999999999999999999 0\n"	/* overflows */
	    " 1 1\n"			/* empty id */
	    "\n"			/* empty line: not counted */
	    "last.rule 4 0";		/* no final newline: fine */

	MF_ASSERT_EQ(7, mf_rulehits_parse(&d, frame, sizeof(frame) - 1));
	MF_ASSERT_EQ(2, d.len);
	MF_ASSERT_EQ(1, mf_rulehits_get(&d, "ok.rule")->hits);
	MF_ASSERT_EQ(4, mf_rulehits_get(&d, "last.rule")->hits);
	MF_ASSERT_NULL(mf_rulehits_get(&d, "x.y"));
	mf_rulehits_free(&d);
}
