/*
 * feedback_test.c - the feedback record: constructor and destructor,
 * outcome names, and which records are kept.
 * SPDX-License-Identifier: MIT
 */
#include "alloc.h"
#include "feedback.h"
#include "harness.h"

MF_TEST(feedback_new_is_empty_and_destroy_is_safe_twice)
{
	mf_feedback_t	*f;

	MF_ASSERT_NOT_NULL(f = mf_feedback_new());
	MF_ASSERT_NULL(f->post_id);
	MF_ASSERT_NULL(f->rules);
	MF_ASSERT_EQ(0, f->nrules);
	MF_ASSERT_EQ(0, f->agreed);
	MF_ASSERT_NOT_NULL(f->post_id = mf_strdup("p-1"));
	mf_feedback_destroy(&f);
	MF_ASSERT_NULL(f);
	mf_feedback_destroy(&f);
}

MF_TEST(feedback_outcome_names)
{
	MF_ASSERT_STR_EQ("agreed", mf_feedback_outcome_name(1));
	MF_ASSERT_STR_EQ("overturned", mf_feedback_outcome_name(0));
	MF_ASSERT_EQ(1, mf_feedback_outcome_parse("agreed"));
	MF_ASSERT_EQ(0, mf_feedback_outcome_parse("overturned"));
	MF_ASSERT_EQ(-1, mf_feedback_outcome_parse("Agreed"));
	MF_ASSERT_EQ(-1, mf_feedback_outcome_parse(""));
}

MF_TEST(feedback_valid_names_the_field_at_fault)
{
	const char	*ok[] = { "vax.autism-1", "5g.covid" };
	const char	*bad[] = { "vax.autism-1", "Not An Id" };
	char		 id[258];
	mf_err_t	 err;

	MF_ASSERT_EQ(0, mf_feedback_valid("p-1", "agreed", ok, 2, &err));
	MF_ASSERT_EQ(0, err.code);
	MF_ASSERT_EQ(-1, mf_feedback_valid("", "agreed", ok, 2, &err));
	MF_ASSERT_STR_EQ("post_id", err.where);
	memset(id, 'a', 257);
	id[257] = '\0';
	MF_ASSERT_EQ(-1, mf_feedback_valid(id, "agreed", ok, 2, &err));
	MF_ASSERT_STR_EQ("post_id", err.where);
	id[256] = '\0';
	MF_ASSERT_EQ(0, mf_feedback_valid(id, "agreed", ok, 2, &err));
	MF_ASSERT_EQ(-1, mf_feedback_valid("p-1", "yes", ok, 2, &err));
	MF_ASSERT_STR_EQ("outcome", err.where);
	MF_ASSERT_STR_CONTAINS(err.msg, "agreed (the flag was right)");
	MF_ASSERT_EQ(-1, mf_feedback_valid("p-1", "agreed", ok, 0, &err));
	MF_ASSERT_STR_EQ("rules", err.where);
	MF_ASSERT_EQ(-1, mf_feedback_valid("p-1", "overturned", bad, 2,
	    &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "'Not An Id' is not a rule id");
}

MF_TEST(feedback_check_reads_the_record)
{
	mf_feedback_t	*f;
	mf_err_t	 err;

	MF_ASSERT_NOT_NULL(f = mf_feedback_new());
	MF_ASSERT_EQ(-1, mf_feedback_check(f, &err));
	MF_ASSERT_STR_EQ("post_id", err.where);
	MF_ASSERT_NOT_NULL(f->post_id = mf_strdup("p-1"));
	MF_ASSERT_EQ(-1, mf_feedback_check(f, &err));
	MF_ASSERT_STR_EQ("rules", err.where);
	MF_ASSERT_NOT_NULL(f->rules = mf_calloc(1, sizeof(char *)));
	MF_ASSERT_NOT_NULL(f->rules[0] = mf_strdup("vax.autism-1"));
	f->nrules = 1;
	MF_ASSERT_EQ(0, mf_feedback_check(f, &err));
	mf_feedback_destroy(&f);
}
