/*
 * revdiff_test.c - selftest of revdiff.c: what an edit added.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "harness.h"
#include "revdiff.h"

static void
s_added(const char *old, const char *cur, const char *want)
{
	mf_buf_t	b = {0};

	MF_ASSERT_EQ(0, mf_revdiff_added(old, old ? strlen(old) : 0, cur,
	    strlen(cur), &b));
	MF_ASSERT_STR_EQ(want, b.data);
	mf_buf_free(&b);
}

MF_TEST(revdiff_new_page_is_all_added)
{
	s_added(NULL, "one\n\ntwo", "one\ntwo\n");
}

MF_TEST(revdiff_only_new_lines)
{
	s_added("== Vaccines ==\nThey are tested.\n",
	    "== Vaccines ==\nThey are tested.\n"
	    "The MMR jab gave my son autism.\n",
	    "The MMR jab gave my son autism.\n");
}

MF_TEST(revdiff_moved_and_removed_lines_are_not_added)
{
	s_added("a\nb\nc\n", "c\na\n", "");
}

MF_TEST(revdiff_a_copied_line_is_added_once_more)
{
	s_added("x\ny\n", "x\ny\nx\r\n", "x\n");
}

MF_TEST(revdiff_a_changed_line_is_added)
{
	s_added("Garlic is tasty.\n", "Garlic cures cancer.\n",
	    "Garlic cures cancer.\n");
}
