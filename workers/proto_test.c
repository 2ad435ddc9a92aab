/*
 * proto_test.c - selftest of the verdict stamp (proto.c): seq and
 * latency replaced, and the "shadow" flag of mode shadow added once to
 * the flags a worker wrote, the rest of the verdict kept.
 * SPDX-License-Identifier: MIT
 */
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
	MF_ASSERT_EQ(0, mf_proto_stamp(in.data, in.len, 42, 7, 1, &once));
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(once.data, once.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE | MF_VF_SHADOW, d->flags);
	MF_ASSERT_EQ(MF_ACT_FLAG, d->action);
	MF_ASSERT_EQ(42, d->seq);
	MF_ASSERT_STR_EQ("p-1", d->post_id);
	mf_verdict_destroy(&d);
	/* A verdict published again (dedup) is stamped again: one flag. */
	MF_ASSERT_EQ(0, mf_proto_stamp(once.data, once.len, 43, 7, 1,
	    &twice));
	MF_ASSERT_EQ(once.len, twice.len);
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(twice.data, twice.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE | MF_VF_SHADOW, d->flags);
	MF_ASSERT_EQ(43, d->seq);
	mf_verdict_destroy(&d);
	/* Enforce: the flags as the worker wrote them. */
	MF_ASSERT_EQ(0, mf_proto_stamp(in.data, in.len, 44, 7, 0, &once));
	MF_ASSERT_NOT_NULL(d = mf_wire_decode_verdict(once.data, once.len,
	    &err));
	MF_ASSERT_EQ(MF_VF_DUPLICATE, d->flags);
	mf_verdict_destroy(&d);
	mf_verdict_destroy(&v);
	mf_buf_free(&in);
	mf_buf_free(&once);
	mf_buf_free(&twice);
}
