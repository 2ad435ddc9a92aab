/*
 * proto_test.c - selftest of proto.c: the backend codec (every message
 * built and parsed back both ways, the exact frames of READY and HB,
 * an older worker's shorter ones, and truncated, oversized, misnumbered
 * and misdirected messages refused with an error, the reload messages
 * with and without their generation), and the verdict stamp (seq,
 * latency and generation replaced, the "shadow" flag of mode shadow
 * added once to the flags a worker wrote, the rest of the verdict kept).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "medflag.h"
#include "proto.h"

MF_TEST(proto_stamp_adds_shadow_once)
{
	mf_verdict_t	*v = mf_verdict_new("p-1"), *d;
	mf_buf_t	 in = {0}, once = {0}, twice = {0};
	mf_err_t	 err = {0};

	MF_ASSERT_NOT_NULL(v);
	v->action = MF_ACT_FLAG;
	v->score = 6;
	v->flags = MF_VF_DUPLICATE;
	MF_ASSERT_EQ(0, mf_wire_encode_verdict(v, &in, &err));
	MF_ASSERT_EQ(0, mf_proto_stamp(in.data, in.len, 42, 7, 3, 1, &once));
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(once.data, once.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE | MF_VF_SHADOW, d->flags);
	MF_ASSERT_EQ(MF_ACT_FLAG, d->action);
	MF_ASSERT_EQ(42, d->seq);
	MF_ASSERT_EQ(3, d->gen);
	MF_ASSERT_STR_EQ("p-1", d->post_id);
	mf_verdict_destroy(&d);
	/* A verdict published again (dedup) is stamped again: one flag. */
	MF_ASSERT_EQ(0, mf_proto_stamp(once.data, once.len, 43, 7, 3, 1,
	    &twice));
	MF_ASSERT_EQ(once.len, twice.len);
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(twice.data, twice.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE | MF_VF_SHADOW, d->flags);
	MF_ASSERT_EQ(43, d->seq);
	MF_ASSERT_EQ(3, d->gen);
	mf_verdict_destroy(&d);
	/* Generation 0 keeps the one the verdict holds. */
	MF_ASSERT_EQ(0, mf_proto_stamp(once.data, once.len, 45, 7, 0, 1,
	    &twice));
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(twice.data, twice.len,
	    &err));
	MF_ASSERT_EQ(3, d->gen);
	MF_ASSERT_EQ(45, d->seq);
	mf_verdict_destroy(&d);
	/* Enforce: the flags as the worker wrote them. */
	MF_ASSERT_EQ(0, mf_proto_stamp(in.data, in.len, 44, 7, 0, 0, &once));
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(once.data, once.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE, d->flags);
	MF_ASSERT_EQ(0, d->gen);
	mf_verdict_destroy(&d);
	mf_verdict_destroy(&v);
	mf_buf_free(&in);
	mf_buf_free(&once);
	mf_buf_free(&twice);
}

/* ---- the backend codec ------------------------------------------------ */

/* Parses the frames 'f' (strings) in direction 'up'; 0 or -1. */
static int
s_parse_strs(int up, int n, const char *const *f, mf_proto_msg_t *m,
    mf_err_t *err)
{
	const void	*d[MF_PROTO_MAX_FRAMES];
	size_t		 l[MF_PROTO_MAX_FRAMES];

	for (int i = 0; i < n; i++) {
		d[i] = f[i];
		l[i] = strlen(f[i]);
	}
	return up ? mf_proto_parse_up(d, l, n, m, err) :
	    mf_proto_parse_down(d, l, n, m, err);
}

/* Builds 'm' and parses it back (direction 'up') into 'back'. */
static void
s_roundtrip(int up, const mf_proto_msg_t *m, mf_proto_out_t *o,
    mf_proto_msg_t *back)
{
	mf_err_t	err = {0};

	MF_ASSERT_EQ(0, mf_proto_build(m, o, &err));
	MF_ASSERT_EQ(0, up ? mf_proto_parse_up(o->data, o->len, o->n, back,
	    &err) : mf_proto_parse_down(o->data, o->len, o->n, back, &err));
	MF_ASSERT_EQ(m->type, back->type);
	/* Only its own direction takes it (both have an "HB"). */
	if (m->type != MF_PROTO_T_HB && m->type != MF_PROTO_T_HB_BROKER)
		MF_ASSERT_EQ(-1, up ? mf_proto_parse_down(o->data, o->len, o->n,
		    back, &err) : mf_proto_parse_up(o->data, o->len, o->n,
		    back, &err));
}

static int
s_str_is(mf_proto_str_t s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

static int
s_frame_is(const mf_proto_out_t *o, int i, const char *want)
{
	return i < o->n && o->len[i] == strlen(want) &&
	    memcmp(o->data[i], want, o->len[i]) == 0;
}

MF_TEST(proto_ready_frames_and_back)
{
	mf_proto_msg_t	 m = { .type = MF_PROTO_T_READY }, b;
	mf_proto_out_t	 o;
	mf_err_t	 err = {0};
	const char	*old[5] = { "READY", "64", "4242", "vm", "cede4974" };

	m.u.ready.credit = 64;
	m.u.ready.pid = 4242;
	m.u.ready.host = mf_proto_str("vm");
	m.u.ready.ruleset = mf_proto_str("cede4974bf52a969");
	m.u.ready.batch = MF_PROTO_BATCH_MAX;
	m.u.ready.maxmsg = MF_PROTO_MAX_SOCKET_MSG;
	s_roundtrip(1, &m, &o, &b);
	/* The bytes the worker always sent. */
	MF_ASSERT_EQ(7, o.n);
	MF_ASSERT(s_frame_is(&o, 0, "READY") && s_frame_is(&o, 1, "64") &&
	    s_frame_is(&o, 2, "4242") && s_frame_is(&o, 3, "vm") &&
	    s_frame_is(&o, 4, "cede4974bf52a969") &&
	    s_frame_is(&o, 5, "32") && s_frame_is(&o, 6, "2097152"));
	MF_ASSERT_EQ(64, b.u.ready.credit);
	MF_ASSERT_EQ(4242, b.u.ready.pid);
	MF_ASSERT(s_str_is(b.u.ready.host, "vm"));
	MF_ASSERT(s_str_is(b.u.ready.ruleset, "cede4974bf52a969"));
	MF_ASSERT_EQ(32, b.u.ready.batch);
	MF_ASSERT_EQ(MF_PROTO_MAX_SOCKET_MSG, b.u.ready.maxmsg);
	/* An older worker: no batch, no message limit. */
	MF_ASSERT_EQ(0, s_parse_strs(1, 5, old, &b, &err));
	MF_ASSERT_EQ(0, b.u.ready.batch);
	MF_ASSERT_EQ(MF_PROTO_MAX_SOCKET_MSG, b.u.ready.maxmsg);
}

MF_TEST(proto_ready_bad_numbers_refused)
{
	static const char *const bad[] = { "", "0", "-1", "+5", " 5", "5 ",
	    "05", "12x", "0x10", "2147483648", "99999999999999999999999" };
	mf_proto_msg_t	 b;
	mf_err_t	 err = {0};
	const char	*f[7] = { "READY", "64", "4242", "vm", "r", "32",
	    "100000" };

	MF_ASSERT_EQ(0, s_parse_strs(1, 7, f, &b, &err));
	/* credit, pid (1..INT32_MAX); batch takes "0"; maxmsg not. */
	for (int field = 1; field <= 6; field++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char	*keep = f[field];

			if (strcmp(bad[i], "0") == 0 && field == 5)
				continue;
			if (strcmp(bad[i], "2147483648") == 0 && field == 6)
				continue;
			if (field == 3 || field == 4)
				continue;	/* names, not numbers */
			f[field] = bad[i];
			memset(&err, 0, sizeof(err));
			MF_ASSERT_EQ(-1, s_parse_strs(1, 7, f, &b, &err));
			MF_ASSERT_EQ(MF_EFIELD, err.code);
			MF_ASSERT_STR_EQ("READY", err.where);
			MF_ASSERT_STR_CONTAINS(err.msg, "not a decimal number");
			f[field] = keep;
		}
	f[5] = "0";
	MF_ASSERT_EQ(0, s_parse_strs(1, 7, f, &b, &err));
	MF_ASSERT_EQ(0, b.u.ready.batch);
	f[6] = "9223372036854775807";
	MF_ASSERT_EQ(0, s_parse_strs(1, 7, f, &b, &err));
	f[6] = "9223372036854775808";
	MF_ASSERT_EQ(-1, s_parse_strs(1, 7, f, &b, &err));
}

MF_TEST(proto_frame_counts_and_sizes_refused)
{
	char		 host[MF_PROTO_NAME_MAX + 2];
	mf_proto_msg_t	 b, m = { .type = MF_PROTO_T_READY };
	mf_proto_out_t	 o;
	mf_err_t	 err = {0};
	const char	*ready[8] = { "READY", "1", "2", "h", "r", "3", "4",
	    "5" };
	const char	*hb[8] = { "HB", "r", "7", "1", "", "", "", "" };
	const char	*one[2] = { "BYE", "x" };
	const char	*down[2] = { "POST", "12345678" };

	/* Truncated and overlong messages. */
	MF_ASSERT_EQ(-1, s_parse_strs(1, 4, ready, &b, &err));
	MF_ASSERT_EQ(MF_EWIRE, err.code);
	MF_ASSERT_STR_CONTAINS(err.msg, "4 frames, not 5 to 7");
	MF_ASSERT_EQ(-1, s_parse_strs(1, 8, ready, &b, &err));
	MF_ASSERT_EQ(-1, s_parse_strs(1, 4, hb, &b, &err));
	MF_ASSERT_EQ(0, s_parse_strs(1, 5, hb, &b, &err));
	MF_ASSERT_EQ(1, b.u.hb.stale);
	MF_ASSERT_EQ(0, b.u.hb.rule_hits.len);
	MF_ASSERT_EQ(-1, s_parse_strs(1, 8, hb, &b, &err));
	MF_ASSERT_EQ(-1, s_parse_strs(1, 2, one, &b, &err));
	MF_ASSERT_EQ(-1, s_parse_strs(0, 2, down, &b, &err));
	MF_ASSERT_EQ(-1, s_parse_strs(1, 0, one, &b, &err));
	/* A flag is "0" or "1". */
	hb[3] = "yes";
	MF_ASSERT_EQ(-1, s_parse_strs(1, 5, hb, &b, &err));
	MF_ASSERT_EQ(MF_EFIELD, err.code);
	/* Names: 255 bytes, not 256, both ways. */
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	ready[3] = host;
	MF_ASSERT_EQ(-1, s_parse_strs(1, 7, ready, &b, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	m.u.ready.credit = m.u.ready.pid = 1;
	m.u.ready.host = mf_proto_str(host);
	m.u.ready.ruleset = mf_proto_str("r");
	m.u.ready.maxmsg = 1;
	MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, &err));
	host[MF_PROTO_NAME_MAX] = '\0';
	MF_ASSERT_EQ(0, s_parse_strs(1, 7, ready, &b, &err));
	m.u.ready.host = mf_proto_str(host);
	MF_ASSERT_EQ(0, mf_proto_build(&m, &o, &err));
	m.u.ready.credit = 0;
	MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, &err));
	/* Unknown names, and a name in the wrong direction. */
	one[0] = "HELLO";
	MF_ASSERT_EQ(-1, s_parse_strs(1, 1, one, &b, &err));
	one[0] = "RESET";
	MF_ASSERT_EQ(-1, s_parse_strs(1, 1, one, &b, &err));
	MF_ASSERT_EQ(0, s_parse_strs(0, 1, one, &b, &err));
	MF_ASSERT_EQ(MF_PROTO_T_RESET, b.type);
}

MF_TEST(proto_hb_and_commands_both_ways)
{
	static const mf_proto_type_t down[] = { MF_PROTO_T_HB_BROKER,
	    MF_PROTO_T_EXIT, MF_PROTO_T_RESET };
	mf_proto_msg_t	 m = { .type = MF_PROTO_T_HB }, b;
	mf_proto_out_t	 o;

	m.u.hb.ruleset = mf_proto_str("cede4974bf52a969");
	m.u.hb.sources_version = mf_proto_str("17");
	m.u.hb.stale = 1;
	m.u.hb.auto_shadowed = mf_proto_str("a.b,c.d");
	m.u.hb.rule_hits = mf_proto_str("a.b 3 1\n");
	m.u.hb.demoted = mf_proto_str("");
	s_roundtrip(1, &m, &o, &b);
	MF_ASSERT_EQ(7, o.n);
	MF_ASSERT(s_frame_is(&o, 3, "1") && s_frame_is(&o, 6, ""));
	MF_ASSERT(s_str_is(b.u.hb.sources_version, "17"));
	MF_ASSERT(s_str_is(b.u.hb.auto_shadowed, "a.b,c.d"));
	MF_ASSERT(s_str_is(b.u.hb.rule_hits, "a.b 3 1\n"));
	MF_ASSERT_EQ(1, b.u.hb.stale);
	m.type = MF_PROTO_T_BYE;
	s_roundtrip(1, &m, &o, &b);
	MF_ASSERT_EQ(1, o.n);
	for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++) {
		m.type = down[i];
		s_roundtrip(0, &m, &o, &b);
		MF_ASSERT_EQ(1, o.n);
	}
	MF_ASSERT(s_frame_is(&o, 0, "RESET"));
}

MF_TEST(proto_reload_carries_the_generation)
{
	mf_proto_msg_t	 m, b;
	mf_proto_out_t	 o;
	mf_err_t	 err = {0};
	const char	*old_ok[2] = { "RELOADED", "cede4974bf52a969" };
	const char	*old_fail[2] = { "RELOADFAIL", "x.rules:1:1: oops" };
	const char	*old_reload[1] = { "RELOAD" };
	const char	*f[3] = { "RELOAD", "8", "cede4974bf52a969" };

	/* medflagd: the generation and the hash it checked. */
	memset(&m, 0, sizeof(m));
	m.type = MF_PROTO_T_RELOAD;
	m.u.reload.gen = 8;
	m.u.reload.hash = mf_proto_str("cede4974bf52a969");
	s_roundtrip(0, &m, &o, &b);
	MF_ASSERT_EQ(3, o.n);
	MF_ASSERT(s_frame_is(&o, 1, "8") &&
	    s_frame_is(&o, 2, "cede4974bf52a969"));
	MF_ASSERT_EQ(8, b.u.reload.gen);
	MF_ASSERT(s_str_is(b.u.reload.hash, "cede4974bf52a969"));
	/* The worker's answers name it. */
	m.type = MF_PROTO_T_RELOADED;
	s_roundtrip(1, &m, &o, &b);
	MF_ASSERT_EQ(3, o.n);
	MF_ASSERT_EQ(8, b.u.reload.gen);
	MF_ASSERT(s_str_is(b.u.reload.hash, "cede4974bf52a969"));
	m.type = MF_PROTO_T_RELOADFAIL;
	m.u.reload.hash = mf_proto_str("");
	m.u.reload.why = mf_proto_str("rules changed since medflagd checked");
	s_roundtrip(1, &m, &o, &b);
	MF_ASSERT_EQ(3, o.n);
	MF_ASSERT_EQ(8, b.u.reload.gen);
	MF_ASSERT(s_str_is(b.u.reload.why,
	    "rules changed since medflagd checked"));
	/* An older peer's forms: no generation (0), and back the same. */
	MF_ASSERT_EQ(0, s_parse_strs(1, 2, old_ok, &b, &err));
	MF_ASSERT_EQ(0, b.u.reload.gen);
	MF_ASSERT(s_str_is(b.u.reload.hash, "cede4974bf52a969"));
	MF_ASSERT_EQ(0, mf_proto_build(&b, &o, &err));
	MF_ASSERT_EQ(2, o.n);
	MF_ASSERT_EQ(0, s_parse_strs(1, 2, old_fail, &b, &err));
	MF_ASSERT_EQ(0, b.u.reload.gen);
	MF_ASSERT(s_str_is(b.u.reload.why, "x.rules:1:1: oops"));
	MF_ASSERT_EQ(0, s_parse_strs(0, 1, old_reload, &b, &err));
	MF_ASSERT_EQ(MF_PROTO_T_RELOAD, b.type);
	MF_ASSERT_EQ(0, b.u.reload.gen);
	MF_ASSERT_EQ(0, mf_proto_build(&b, &o, &err));
	MF_ASSERT_EQ(1, o.n);
	/* A generation is a number from 1; its hash is there. */
	MF_ASSERT_EQ(0, s_parse_strs(0, 3, f, &b, &err));
	f[1] = "0";
	MF_ASSERT_EQ(-1, s_parse_strs(0, 3, f, &b, &err));
	MF_ASSERT_EQ(MF_EFIELD, err.code);
	MF_ASSERT_STR_CONTAINS(err.msg, "frame 1 (gen)");
	f[1] = "9223372036854775808";
	MF_ASSERT_EQ(-1, s_parse_strs(0, 3, f, &b, &err));
	f[1] = "8";
	f[2] = "";
	MF_ASSERT_EQ(-1, s_parse_strs(0, 3, f, &b, &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "hash");
	MF_ASSERT_EQ(-1, s_parse_strs(0, 2, f, &b, &err));
	MF_ASSERT_EQ(MF_EWIRE, err.code);
	m.type = MF_PROTO_T_RELOAD;
	m.u.reload.hash = mf_proto_str("");
	MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, &err));
}

MF_TEST(proto_items_and_batches_both_ways)
{
	static const mf_proto_type_t one[] = { MF_PROTO_T_POST,
	    MF_PROTO_T_VERDICT };
	static const mf_proto_type_t many[] = { MF_PROTO_T_POSTS,
	    MF_PROTO_T_VERDICTS };
	uint8_t		 body[MF_PROTO_BATCH_MAX * 3];
	mf_proto_msg_t	 m, b;
	mf_proto_out_t	 o;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	for (int k = 0; k < 2; k++) {
		int	up = one[k] == MF_PROTO_T_VERDICT;

		memset(&m, 0, sizeof(m));
		m.type = one[k];
		m.u.item.did = 0x0102030405060708ULL;
		m.u.item.meta[0] = 4;
		m.u.item.meta[2] = MF_PROTO_M_STALE;
		m.u.item.data = body;
		m.u.item.len = 5;
		s_roundtrip(up, &m, &o, &b);
		MF_ASSERT_EQ(up ? 4 : 3, o.n);
		MF_ASSERT_EQ(0x0102030405060708ULL, b.u.item.did);
		MF_ASSERT_EQ(up ? 4 : 0, b.u.item.meta[0]);
		MF_ASSERT_EQ(5, b.u.item.len);
		MF_ASSERT_EQ(0, memcmp(b.u.item.data, body, 5));

		memset(&m, 0, sizeof(m));
		m.type = many[k];
		m.u.batch.n = MF_PROTO_BATCH_MAX;
		for (size_t i = 0; i < MF_PROTO_BATCH_MAX; i++) {
			m.u.batch.v[i].did = 1000 + i;
			m.u.batch.v[i].meta[1] = (uint8_t)i;
			m.u.batch.v[i].data = body + 3 * i;
			m.u.batch.v[i].len = 3;
		}
		m.u.batch.v[1].len = 0;		/* an empty one in between */
		m.u.batch.v[2].data = body + 3;
		m.u.batch.v[2].len = 6;
		s_roundtrip(up, &m, &o, &b);
		MF_ASSERT_EQ(3, o.n);
		MF_ASSERT_EQ(MF_PROTO_BATCH_MAX * (up ? MF_PROTO_VERDICTS_ENT :
		    MF_PROTO_POSTS_ENT), o.len[1]);
		MF_ASSERT_EQ(sizeof(body), o.len[2]);
		MF_ASSERT_EQ(MF_PROTO_BATCH_MAX, b.u.batch.n);
		for (size_t i = 0; i < MF_PROTO_BATCH_MAX; i++) {
			MF_ASSERT_EQ(1000 + i, b.u.batch.v[i].did);
			MF_ASSERT_EQ(up ? i : 0, b.u.batch.v[i].meta[1]);
			MF_ASSERT_EQ(m.u.batch.v[i].len, b.u.batch.v[i].len);
			MF_ASSERT_EQ(0, memcmp(b.u.batch.v[i].data,
			    m.u.batch.v[i].data, b.u.batch.v[i].len));
		}
		/* Items not back to back, or too many, do not build. */
		m.u.batch.v[3].data = body;
		MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, NULL));
		m.u.batch.v[3].data = body + 9;
		m.u.batch.n = MF_PROTO_BATCH_MAX + 1;
		MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, NULL));
		m.u.batch.n = 0;
		MF_ASSERT_EQ(-1, mf_proto_build(&m, &o, NULL));
	}
}

MF_TEST(proto_truncated_and_oversized_batches_refused)
{
	uint8_t		 ix[2 * MF_PROTO_VERDICTS_ENT] = {0};
	uint8_t		 body[8] = {0};
	uint8_t		 did[9] = {0}, meta[3] = {0};
	const void	*d[4] = { "VERDICTS", ix, body };
	size_t		 l[4] = { 8, sizeof(ix), sizeof(body) };
	mf_proto_msg_t	 b;
	mf_err_t	 err = {0};

	ix[11] = 5;				/* 5 + 3 = 8 bytes */
	ix[MF_PROTO_VERDICTS_ENT + 11] = 3;
	MF_ASSERT_EQ(0, mf_proto_parse_up(d, l, 3, &b, &err));
	MF_ASSERT_EQ(2, b.u.batch.n);
	l[2] = 7;				/* the last one past the end */
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 3, &b, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	MF_ASSERT_STR_CONTAINS(err.msg, "entry 1");
	l[2] = 8;
	ix[MF_PROTO_VERDICTS_ENT + 11] = 2;	/* a byte left over */
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 3, &b, &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "accounts for 7");
	ix[MF_PROTO_VERDICTS_ENT + 11] = 3;
	l[1] = sizeof(ix) - 1;			/* a truncated entry */
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 3, &b, &err));
	l[1] = 0;				/* no entry */
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 3, &b, &err));
	/* A huge declared length fails on the bytes there are. */
	l[1] = sizeof(ix);
	memset(ix + 11, 0xff, 4);
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 3, &b, &err));
	/* More than MF_PROTO_BATCH_MAX entries. */
	{
		static uint8_t	big[(MF_PROTO_BATCH_MAX + 1) *
		    MF_PROTO_POSTS_ENT];
		const void	*pd[3] = { "POSTS", big, "" };
		size_t		 pl[3] = { 5, sizeof(big), 0 };

		MF_ASSERT_EQ(-1, mf_proto_parse_down(pd, pl, 3, &b, &err));
		MF_ASSERT_STR_CONTAINS(err.msg, "not 1 to 32 entries");
		pl[1] -= MF_PROTO_POSTS_ENT;
		MF_ASSERT_EQ(0, mf_proto_parse_down(pd, pl, 3, &b, &err));
	}
	/* VERDICT: did of 8 bytes, meta of 3. */
	d[0] = "VERDICT";
	l[0] = 7;
	d[1] = did;
	d[2] = meta;
	d[3] = body;
	l[1] = 8;
	l[2] = 3;
	l[3] = 0;
	MF_ASSERT_EQ(0, mf_proto_parse_up(d, l, 4, &b, &err));
	l[1] = 9;
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 4, &b, &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "frame 1 (did): 9 bytes, not 8");
	l[1] = 7;
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 4, &b, &err));
	l[1] = 8;
	l[2] = 2;
	MF_ASSERT_EQ(-1, mf_proto_parse_up(d, l, 4, &b, &err));
}

MF_TEST(proto_frames_parse_skips_identity_and_counts_extra)
{
	mf_frames_t	 f = {0};
	mf_proto_msg_t	 b;
	mf_err_t	 err = {0};
	char		 peer[] = "peer", bye[] = "BYE";

	f.data[0] = peer;
	f.len[0] = 4;
	f.data[1] = bye;
	f.len[1] = 3;
	f.n = 2;
	MF_ASSERT_EQ(0, mf_frames_parse(&f, 1, 1, &b, &err));
	MF_ASSERT_EQ(MF_PROTO_T_BYE, b.type);
	f.extra = 1;
	MF_ASSERT_EQ(-1, mf_frames_parse(&f, 1, 1, &b, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	f.extra = 0;
	MF_ASSERT_EQ(-1, mf_frames_parse(&f, 2, 1, &b, &err));
}
