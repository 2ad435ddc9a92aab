/*
 * canary_test.c - selftests of the reload canary's verdicts (canary.c):
 * how far the flag rate may rise, and how much of the sample one rule
 * may hit.
 * SPDX-License-Identifier: MIT
 */
#include "broker.h"
#include "harness.h"

MF_TEST(canary_judge_allows_a_rise_of_20_points)
{
	mf_diags_t	d = {0};

	MF_ASSERT_EQ(0, mf_canary_judge(0.10, 46, 0.30, 46, &d));
	MF_ASSERT_EQ(0, mf_canary_judge(0.30, 46, 0.10, 46, &d));
	MF_ASSERT_EQ(-1, mf_canary_judge(0.10, 46, 0.31, 46, &d));
	MF_ASSERT_EQ(1, d.errors);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "flag 31% of 46 sample posts");
	MF_ASSERT_STR_EQ("canary.jsonl", d.v[0].where);
	/* No sample on either side: nothing to compare. */
	MF_ASSERT_EQ(0, mf_canary_judge(0, 0, 1, 46, &d));
	MF_ASSERT_EQ(0, mf_canary_judge(0, 46, 1, 0, &d));
	MF_ASSERT_EQ(1, d.errors);
	mf_diags_free(&d);
}

MF_TEST(canary_rule_check_refuses_a_catch_all)
{
	mf_canary_top_t	top = { "words.the", 11 };
	mf_diags_t	d = {0};

	/* A quarter of 46 is 11.5. */
	MF_ASSERT_EQ(0, mf_canary_rule_check(&top, 46, &d));
	top.posts = 12;
	MF_ASSERT_EQ(-1, mf_canary_rule_check(&top, 46, &d));
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "rule words.the hits 12 of 46");
	MF_ASSERT_EQ(0, mf_canary_rule_check(&top, 0, &d));
	MF_ASSERT_EQ(1, d.errors);
	mf_diags_free(&d);
}
