/*
 * verdict_test.c - selftest of post.c and verdict.c: constructors, deep
 * copies, the append helpers and the name tables.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "alloc.h"
#include "harness.h"
#include "post.h"
#include "verdict.h"

MF_TEST(post_new_len_keeps_nul)
{
	mf_post_t	*p = mf_post_new_len("p-1", "a\0b", 3);

	MF_ASSERT_NOT_NULL(p);
	MF_ASSERT_EQ(3, p->body_len);
	MF_ASSERT(memcmp(p->body, "a\0b", 4) == 0);
	MF_ASSERT_STR_EQ("p-1", p->post_id);
	MF_ASSERT_EQ(1, p->v);
	MF_ASSERT_EQ(MF_FMT_TEXT, p->body_format);
	mf_post_destroy(&p);
	MF_ASSERT_NULL(p);
	mf_post_destroy(&p);	/* safe twice */
	p = mf_post_new("p-2", "garlic cures the flu");
	MF_ASSERT_STR_EQ("garlic cures the flu", mf_post_text(p));
	mf_post_destroy(&p);
}

MF_TEST(post_format_names)
{
	mf_format_t	f;
	int		i;

	for (i = MF_FMT_TEXT; i <= MF_FMT_WIKITEXT; i++) {
		MF_ASSERT_EQ(0, mf_format_parse(mf_format_name(i), &f));
		MF_ASSERT_EQ(i, f);
	}
	MF_ASSERT_STR_EQ("bbcode", mf_format_name(MF_FMT_BBCODE));
	MF_ASSERT_EQ(-1, mf_format_parse("rtf", &f));
	MF_ASSERT_EQ(-1, mf_format_parse(NULL, &f));
}

MF_TEST(verdict_names_parse_back)
{
	mf_status_t	s;
	mf_action_t	a;
	mf_list_t	l;
	mf_mode_t	m;
	unsigned	bit, i;

	for (i = MF_STATUS_OK; i <= MF_STATUS_SKIPPED; i++) {
		MF_ASSERT_EQ(0, mf_status_parse(mf_status_name(i), &s));
		MF_ASSERT_EQ(i, s);
	}
	for (i = MF_ACT_NONE; i <= MF_ACT_BLOCK; i++) {
		MF_ASSERT_EQ(0, mf_action_parse(mf_action_name(i), &a));
		MF_ASSERT_EQ(i, a);
	}
	for (i = MF_LIST_UNKNOWN; i <= MF_LIST_UNRELIABLE; i++) {
		MF_ASSERT_EQ(0, mf_list_parse(mf_list_name(i), &l));
		MF_ASSERT_EQ(i, l);
	}
	for (i = MF_MODE_ENFORCE; i <= MF_MODE_OFF; i++) {
		MF_ASSERT_EQ(0, mf_mode_parse(mf_mode_name(i), &m));
		MF_ASSERT_EQ(i, m);
	}
	for (i = 0; i < MF_VF_COUNT; i++) {
		MF_ASSERT_NOT_NULL(mf_vflag_name(1u << i));
		MF_ASSERT_EQ(0, mf_vflag_parse(mf_vflag_name(1u << i), &bit));
		MF_ASSERT_EQ(1u << i, bit);
	}
	MF_ASSERT_STR_EQ("sources_stale", mf_vflag_name(MF_VF_SOURCES_STALE));
	MF_ASSERT_STR_EQ("quotes_skipped",
	    mf_vflag_name(MF_VF_QUOTES_SKIPPED));
	MF_ASSERT_STR_EQ("sarcasm", mf_vflag_name(MF_VF_SARCASM));
	MF_ASSERT_STR_EQ("rebuttal", mf_vflag_name(MF_VF_REBUTTAL));
	MF_ASSERT_STR_EQ("off_topic", mf_vflag_name(MF_VF_OFF_TOPIC));
	MF_ASSERT_NULL(mf_vflag_name(1u << MF_VF_COUNT));
	MF_ASSERT_NULL(mf_vflag_name(0x03));
	MF_ASSERT_EQ(-1, mf_status_parse("fine", &s));
	MF_ASSERT_EQ(-1, mf_action_parse("ban", &a));
	MF_ASSERT_EQ(-1, mf_list_parse("", &l));
	MF_ASSERT_EQ(-1, mf_mode_parse("ENFORCE", &m));
	MF_ASSERT_EQ(-1, mf_vflag_parse("stale", &bit));
}

/* A verdict with one of everything. */
static mf_verdict_t *
s_full_verdict(void)
{
	mf_verdict_t	*v = mf_verdict_new("p-9");
	mf_hit_t	*h;

	if (v == NULL)
		return NULL;
	if ((h = mf_verdict_add_hit(v)) == NULL ||
	    mf_verdict_set_str(&h->rule, "vaccines-autism.causal") == -1 ||
	    mf_verdict_set_str(&h->claim, "vaccines-autism") == -1 ||
	    (h->spans = mf_calloc(2, sizeof(*h->spans))) == NULL)
		goto fail;
	h->nspans = 2;
	h->spans[0].start = 4;
	h->spans[0].end = 7;
	h->spans[1].start = 20;
	h->spans[1].end = 26;
	h->score = 6;
	if (mf_verdict_add_source(v, "https://who.int/x", "who.int",
	    MF_LIST_VETTED) == -1 ||
	    mf_verdict_add_evidence(v, "https://who.int/x") == -1 ||
	    mf_verdict_add_evidence(v, "https://cdc.gov/y") == -1 ||
	    mf_verdict_set_str(&v->ruleset, "abc123") == -1)
		goto fail;
	v->flags = MF_VF_DUPLICATE | MF_VF_TRUNCATED;
	v->seq = 42;
	return v;
fail:
	mf_verdict_destroy(&v);
	return NULL;
}

MF_TEST(verdict_append_and_dup)
{
	mf_verdict_t	*v = s_full_verdict(), *d;

	MF_ASSERT_NOT_NULL(v);
	MF_ASSERT_EQ(0, mf_verdict_add_evidence(v, "https://cdc.gov/y"));
	MF_ASSERT_EQ(2, v->nevidence);	/* no duplicates */
	MF_ASSERT_NOT_NULL(mf_verdict_add_hit(v));
	MF_ASSERT_EQ(2, v->nhits);
	MF_ASSERT_NULL(v->hits[1].rule);
	MF_ASSERT_STR_EQ("vaccines-autism.causal", v->hits[0].rule);
	MF_ASSERT_NOT_NULL(d = mf_verdict_dup(v));
	MF_ASSERT_STR_EQ("p-9", d->post_id);
	MF_ASSERT_EQ(2, d->nhits);
	MF_ASSERT(d->hits[0].rule != v->hits[0].rule);
	MF_ASSERT_STR_EQ(v->hits[0].claim, d->hits[0].claim);
	MF_ASSERT_EQ(26, d->hits[0].spans[1].end);
	MF_ASSERT_STR_EQ("who.int", d->sources[0].domain);
	MF_ASSERT_EQ(MF_LIST_VETTED, d->sources[0].list);
	MF_ASSERT_STR_EQ("https://cdc.gov/y", d->evidence[1]);
	MF_ASSERT_EQ(v->flags, d->flags);
	MF_ASSERT_EQ(42, d->seq);
	mf_verdict_destroy(&v);
	mf_verdict_destroy(&d);
	mf_verdict_destroy(&d);
	MF_ASSERT_NULL(d);
}

MF_TEST(verdict_for_copies_post)
{
	mf_post_t	*p = mf_post_new("p-3", "x");
	mf_verdict_t	*v;

	MF_ASSERT_NOT_NULL(p);
	p->revision = mf_strdup("7");
	p->revision_is_int = 1;
	p->instance = mf_strdup("forum.example");
	p->ext.data = mf_malloc(1);
	p->ext.data[0] = (char)0x80;	/* {} */
	p->ext.len = 1;
	MF_ASSERT_NOT_NULL(v = mf_verdict_for(p));
	MF_ASSERT_STR_EQ("p-3", v->post_id);
	MF_ASSERT_STR_EQ("7", v->revision);
	MF_ASSERT_EQ(1, v->revision_is_int);
	MF_ASSERT_STR_EQ("forum.example", v->instance);
	MF_ASSERT_EQ(1, v->ext.len);
	MF_ASSERT(v->ext.data != p->ext.data);
	MF_ASSERT_EQ(0, mf_verdict_set_error(v, MF_STATUS_ERROR,
	    "body_format: unknown value \"%s\"", "rtf"));
	MF_ASSERT_EQ(MF_STATUS_ERROR, v->status);
	MF_ASSERT_STR_CONTAINS(v->error, "rtf");
	MF_ASSERT_EQ(0, mf_verdict_set_str(&v->error, NULL));
	MF_ASSERT_NULL(v->error);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
}

/* Every allocation failure while building and copying fails cleanly. */
MF_TEST(verdict_oom_loop)
{
	mf_verdict_t	*v, *d;
	size_t		 n;
	int		 done = 0;

	for (n = 1; !done && n < 1000; n++) {
		mf_alloc_fail_after(n, 0);
		v = s_full_verdict();
		d = v ? mf_verdict_dup(v) : NULL;
		done = !mf_alloc_failed();
		mf_alloc_fail_after(0, 0);
		if (done) {
			MF_ASSERT_NOT_NULL(d);
			MF_ASSERT_EQ(2, d->nevidence);
		}
		mf_verdict_destroy(&v);
		mf_verdict_destroy(&d);
	}
	MF_ASSERT(done);
}

/* At rest a link keeps its host only; one without a host its domain. */
MF_TEST(verdict_links_to_hosts)
{
	mf_verdict_t	*v = mf_verdict_new("p-1");

	MF_ASSERT_NOT_NULL(v);
	MF_ASSERT_EQ(0, mf_verdict_add_source(v,
	    "https://www.Example.org/a/b?name=jane#x", "example.org",
	    MF_LIST_UNKNOWN));
	MF_ASSERT_EQ(0, mf_verdict_add_source(v, "www.who.int/path",
	    "who.int", MF_LIST_VETTED));
	MF_ASSERT_EQ(0, mf_verdict_add_source(v, "::", "x.org",
	    MF_LIST_UNKNOWN));
	MF_ASSERT_EQ(0, mf_verdict_add_source(v, NULL, "y.org",
	    MF_LIST_UNKNOWN));
	MF_ASSERT_EQ(0, mf_verdict_links_to_hosts(v));
	MF_ASSERT_STR_EQ("www.example.org", v->sources[0].url);
	MF_ASSERT_STR_EQ("www.who.int", v->sources[1].url);
	MF_ASSERT_STR_EQ("x.org", v->sources[2].url);
	MF_ASSERT_NULL(v->sources[3].url);
	MF_ASSERT_STR_EQ("example.org", v->sources[0].domain);
	mf_verdict_destroy(&v);
}
