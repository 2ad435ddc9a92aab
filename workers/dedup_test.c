/*
 * dedup_test.c - selftests of medflagd's dedup table (dedup.c) and the
 * worker's rule guard (guard.c): keys, windows, bounds, shadowing.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include <msgpack.h>

#include "dedup.h"
#include "guard.h"
#include "harness.h"
#include "medflag.h"

/* A msgpack post map with the given fields (NULL: left out), in the
 * order given, or reversed when 'rev'. */
static size_t
s_post(char *out, size_t cap, const char *id, const char *body,
    int revision, int rev)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	const char	*k[4] = { "v", "post_id", "revision", "body" };
	size_t		 n = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, id ? 4 : 3);
	for (int j = 0; j < 4; j++) {
		int	i = rev ? 3 - j : j;

		if (i == 1 && id == NULL)
			continue;
		msgpack_pack_str(&pk, strlen(k[i]));
		msgpack_pack_str_body(&pk, k[i], strlen(k[i]));
		if (i == 0)
			msgpack_pack_int(&pk, 1);
		else if (i == 1) {
			msgpack_pack_str(&pk, strlen(id));
			msgpack_pack_str_body(&pk, id, strlen(id));
		} else if (i == 2)
			msgpack_pack_int(&pk, revision);
		else {
			msgpack_pack_str(&pk, strlen(body));
			msgpack_pack_str_body(&pk, body, strlen(body));
		}
	}
	if (sb.size <= cap) {
		memcpy(out, sb.data, sb.size);
		n = sb.size;
	}
	msgpack_sbuffer_destroy(&sb);
	return n;
}

/* The key of a decoded post: what the judge reads, however the msgpack
 * was written (field order, string widths). */
MF_TEST(dedup_key)
{
	mf_dedup_t	 d;
	char		 p[256];
	size_t		 n;
	uint64_t	 a[2], b[2];
	mf_post_t	*x;

	MF_ASSERT_EQ(0, mf_dedup_init(&d, 600, 50000, 1 << 20));
	n = s_post(p, sizeof(p), "p1", "hello", 1, 0);
	MF_ASSERT_NOT_NULL(x = mf_wire_decode_post(p, n, NULL));
	MF_ASSERT_EQ(0, mf_dedup_key(&d, x, a));
	mf_post_destroy(&x);
	n = s_post(p, sizeof(p), "p1", "hello", 1, 1);
	MF_ASSERT_NOT_NULL(x = mf_wire_decode_post(p, n, NULL));
	MF_ASSERT_EQ(0, mf_dedup_key(&d, x, b));
	MF_ASSERT(a[0] == b[0] && a[1] == b[1]);	/* field order */
	x->body_format = MF_FMT_MARKDOWN;
	MF_ASSERT_EQ(0, mf_dedup_key(&d, x, b));
	MF_ASSERT(a[0] != b[0] || a[1] != b[1]);	/* body_format */
	mf_post_destroy(&x);
	n = s_post(p, sizeof(p), "p1", "hellp", 1, 0);
	MF_ASSERT_NOT_NULL(x = mf_wire_decode_post(p, n, NULL));
	MF_ASSERT_EQ(0, mf_dedup_key(&d, x, b));
	MF_ASSERT(a[0] != b[0] || a[1] != b[1]);	/* body */
	mf_post_destroy(&x);
	n = s_post(p, sizeof(p), "p1", "hello", 2, 0);
	MF_ASSERT_NOT_NULL(x = mf_wire_decode_post(p, n, NULL));
	MF_ASSERT_EQ(0, mf_dedup_key(&d, x, b));
	MF_ASSERT(a[0] != b[0] || a[1] != b[1]);	/* revision */
	mf_post_destroy(&x);
	MF_ASSERT_NOT_NULL(x = mf_post_new("p1", "hello"));
	mf_free(x->post_id);
	x->post_id = NULL;
	MF_ASSERT_EQ(-1, mf_dedup_key(&d, x, b));	/* no post_id */
	mf_post_destroy(&x);
	mf_dedup_free(&d);
}

MF_TEST(dedup_window_and_waiters)
{
	mf_dedup_t	 d;
	uint64_t	 k[2] = { 7, 9 };
	mf_drec_t	*r;

	MF_ASSERT_EQ(0, mf_dedup_init(&d, 10, 50000, 1 << 20));
	MF_ASSERT_NULL(mf_dedup_find(&d, k, 1000));
	r = mf_dedup_begin(&d, k);
	MF_ASSERT_NOT_NULL(r);
	MF_ASSERT(mf_dedup_find(&d, k, 1000) == r);
	MF_ASSERT_EQ(0, mf_dedup_wait(&d, r, "id", 2, 1));
	MF_ASSERT_EQ(0, mf_dedup_wait(&d, r, NULL, 0, 0));
	MF_ASSERT_EQ(2, r->nwait);
	MF_ASSERT_EQ(0, mf_dedup_finish(&d, r, "\x80", 1, 2, 0, 0, 1000));
	mf_dedup_clear_waiters(r);
	MF_ASSERT(mf_dedup_find(&d, k, 10999) == r);	/* in the window */
	MF_ASSERT_EQ(2, r->action);
	MF_ASSERT_NULL(mf_dedup_find(&d, k, 11001));	/* expired */
	MF_ASSERT_EQ(0, d.n);
	MF_ASSERT_EQ(0, d.bytes);
	/* An abandoned in-flight record disappears. */
	r = mf_dedup_begin(&d, k);
	mf_dedup_abandon(&d, r);
	MF_ASSERT_NULL(mf_dedup_find(&d, k, 1));
	mf_dedup_free(&d);
}

/* The count and byte bounds drop the oldest done records first; an
 * in-flight record is never dropped for them. */
MF_TEST(dedup_bounds)
{
	mf_dedup_t	 d;
	uint64_t	 k[2] = { 0, 5 };
	mf_drec_t	*r, *fly;
	char		 big[100];

	memset(big, 0x80, sizeof(big));
	MF_ASSERT_EQ(0, mf_dedup_init(&d, 600, 3, 250));
	MF_ASSERT(d.htcap >= 6);
	k[0] = 99;
	MF_ASSERT_NOT_NULL(fly = mf_dedup_begin(&d, k));
	for (uint64_t i = 1; i <= 5; i++) {
		k[0] = i;
		MF_ASSERT_NOT_NULL(r = mf_dedup_begin(&d, k));
		MF_ASSERT_EQ(0, mf_dedup_finish(&d, r, "\x80", 1, 0, 0, 0,
		    (int64_t)i));
		mf_dedup_trim(&d, (int64_t)i);
	}
	/* Three kept by count: 3, 4, 5; 1 and 2 evicted. */
	MF_ASSERT_EQ(3, d.ndone);
	MF_ASSERT_EQ(2, d.evicted);
	k[0] = 2;
	MF_ASSERT_NULL(mf_dedup_find(&d, k, 10));
	k[0] = 3;
	MF_ASSERT_NOT_NULL(mf_dedup_find(&d, k, 10));
	/* Two verdicts of 100 bytes and one of 1 fit in 250; a third big
	 * one drops the oldest until they fit. */
	for (uint64_t i = 6; i <= 8; i++) {
		k[0] = i;
		MF_ASSERT_NOT_NULL(r = mf_dedup_begin(&d, k));
		MF_ASSERT_EQ(0, mf_dedup_finish(&d, r, big, sizeof(big), 0,
		    0, 0, (int64_t)i));
		mf_dedup_trim(&d, (int64_t)i);
	}
	MF_ASSERT(d.bytes <= 250);
	MF_ASSERT_EQ(2, d.ndone);
	k[0] = 8;
	MF_ASSERT_NOT_NULL(mf_dedup_find(&d, k, 10));
	k[0] = 99;
	MF_ASSERT(mf_dedup_find(&d, k, 10) == fly);	/* still in flight */
	mf_dedup_abandon(&d, fly);
	mf_dedup_free(&d);
}

MF_TEST(dedup_disabled)
{
	mf_dedup_t	d;
	uint64_t	k[2] = { 1, 2 };

	MF_ASSERT_EQ(0, mf_dedup_init(&d, 0, 50000, 1 << 20));
	MF_ASSERT_NULL(mf_dedup_find(&d, k, 1));
	MF_ASSERT_NULL(mf_dedup_begin(&d, k));
	mf_dedup_free(&d);
}

static const char s_rules[] =
    "claim c\n"
    "  title      T\n"
    "  fact       F.\n"
    "  evidence   https://www.who.int/x\n"
    "  tier       harmful\n"
    "  review-by  2030-01-01\n"
    "end\n"
    "rule c.one\n"
    "  claim c\n  score 6\n  match /aaa/\n  mode enforce\n"
    "  expect match \"aaa\"\n"
    "end\n"
    "rule c.two\n"
    "  claim c\n  score 6\n  match /bbb/\n  mode enforce\n"
    "  expect match \"bbb\"\n"
    "end\n";

/* The rules of s_rules, and the index of c.two in them. */
static mf_ruleset_t *
s_guard_rules(size_t *two)
{
	mf_diags_t	 diags = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("t.rules", s_rules, NULL,
			    NULL, 0, &diags);

	mf_diags_free(&diags);
	MF_ASSERT_NOT_NULL(rs);
	*two = strcmp(mf_ruleset_rule(rs, 0)->id, "c.two") == 0 ? 0 : 1;
	return rs;
}

MF_TEST(guard_shadows_after_threshold)
{
	size_t		 two;
	mf_ruleset_t	*rs = s_guard_rules(&two);
	mf_guard_t	*g;
	mf_scan_opts_t	 so = { 0, NULL, 0, 0, NULL };

	g = mf_guard_new(rs);
	MF_ASSERT_NOT_NULL(g);
	for (int i = 0; i < MF_GUARD_EVENTS - 1; i++)
		MF_ASSERT_EQ(0, mf_guard_note(g, two, 1000 + i));
	/* Old events fall out of the window. */
	MF_ASSERT_EQ(0, mf_guard_note(g, two, 1000 + MF_GUARD_WINDOW_MS + 10));
	MF_ASSERT_STR_EQ("", mf_guard_list(g));
	for (int i = 0; i < MF_GUARD_EVENTS - 1; i++)
		(void)mf_guard_note(g, two, 90000 + i);
	MF_ASSERT_STR_EQ("c.two", mf_guard_list(g));
	MF_ASSERT_EQ(0, mf_guard_note(g, two, 90100));	/* once */
	mf_guard_opts(g, &so);
	MF_ASSERT((so.shadow[two / 8] >> (two % 8)) & 1);
	MF_ASSERT(!((so.shadow[(1 - two) / 8] >> ((1 - two) % 8)) & 1));
	/* Kept by id across a reload of the same rules. */
	MF_ASSERT_EQ(0, mf_guard_rules(g, rs));
	MF_ASSERT_STR_EQ("c.two", mf_guard_list(g));
	MF_ASSERT_EQ(1, mf_guard_count(g));
	mf_guard_destroy(&g);
	mf_guard_destroy(&g);
	mf_ruleset_destroy(&rs);
}

MF_TEST(guard_demoted_rules_are_shadow_until_restored)
{
	size_t		 two;
	mf_ruleset_t	*rs = s_guard_rules(&two);
	mf_guard_t	*g;
	mf_scan_opts_t	 so = { 0, NULL, 0, 0, NULL };

	MF_ASSERT_NOT_NULL(g = mf_guard_new(rs));
	MF_ASSERT_EQ(0, mf_guard_demote(g, "c.gone,c.two"));
	MF_ASSERT_STR_EQ("c.gone,c.two", mf_guard_demoted(g));
	mf_guard_opts(g, &so);
	MF_ASSERT((so.shadow[two / 8] >> (two % 8)) & 1);
	MF_ASSERT(!((so.shadow[(1 - two) / 8] >> ((1 - two) % 8)) & 1));
	/* Not the guard's own: its list stays empty; a reload keeps it. */
	MF_ASSERT_STR_EQ("", mf_guard_list(g));
	MF_ASSERT_EQ(0, mf_guard_rules(g, rs));
	mf_guard_opts(g, &so);
	MF_ASSERT((so.shadow[two / 8] >> (two % 8)) & 1);
	/* Restored: enforced again. */
	MF_ASSERT_EQ(0, mf_guard_demote(g, ""));
	mf_guard_opts(g, &so);
	MF_ASSERT(!((so.shadow[two / 8] >> (two % 8)) & 1));
	mf_guard_destroy(&g);
	mf_ruleset_destroy(&rs);
}
