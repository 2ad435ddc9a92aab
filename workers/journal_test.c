/*
 * journal_test.c - selftests of the verdict journal's pure parts: the
 * byte window that bounds the Redis stream (streamwin.c) and the at-rest
 * form of a verdict (journal.c): links as hosts, no big ext.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include <zmq.h>

#include "broker.h"
#include "harness.h"
#include "medflag.h"
#include "streamwin.h"

MF_TEST(streamwin_bounds_entries_and_bytes)
{
	mf_streamwin_t	w = { .max_bytes = 10000, .max_n = 100 };

	/* What the stream held at start: 50 entries of 100 bytes. */
	mf_streamwin_push(&w, 100, 50);
	MF_ASSERT_EQ(50, w.count);
	MF_ASSERT_EQ(5000, w.bytes);
	/* Small entries: the count bounds it. */
	for (int i = 0; i < 200; i++)
		mf_streamwin_push(&w, 10, 1);
	MF_ASSERT_EQ(100, w.count);
	MF_ASSERT(w.bytes <= 10000);
	/* Big entries: the bytes bound it, the oldest go first. */
	for (int i = 0; i < 20; i++)
		mf_streamwin_push(&w, 1000, 1);
	MF_ASSERT_EQ(10, w.count);
	MF_ASSERT_EQ(10000, w.bytes);
	/* One entry over the bound is kept: the newest always is. */
	mf_streamwin_push(&w, 50000, 1);
	MF_ASSERT_EQ(1, w.count);
	MF_ASSERT_EQ(50000, w.bytes);
	MF_ASSERT(w.len <= w.count);
	mf_streamwin_free(&w);
	MF_ASSERT_NULL(w.v);
	mf_streamwin_push(&w, 10, 3);
	MF_ASSERT_EQ(3, w.count);
	mf_streamwin_free(&w);
}

/* 'v' encoded into the message 'm'. */
static void
s_msg(zmq_msg_t *m, const mf_verdict_t *v)
{
	mf_buf_t	b = {0};
	mf_err_t	err;

	MF_ASSERT_EQ(0, mf_wire_encode_verdict(v, &b, &err));
	MF_ASSERT_EQ(0, zmq_msg_init_size(m, b.len));
	memcpy(zmq_msg_data(m), b.data, b.len);
	mf_buf_free(&b);
}

MF_TEST(journal_at_rest_keeps_hosts_not_links)
{
	mf_verdict_t	*v = mf_verdict_new("p-1"), *r;
	zmq_msg_t	 m;
	mf_err_t	 err;

	MF_ASSERT_NOT_NULL(v);
	MF_ASSERT_EQ(0, mf_verdict_add_source(v, "https://cures.example/"
	    "garlic?who=ann", "cures.example", MF_LIST_UNRELIABLE));
	s_msg(&m, v);
	MF_ASSERT_EQ(0, mf_journal_at_rest(&m));
	MF_ASSERT_NOT_NULL(r = mf_wire_decode_verdict(zmq_msg_data(&m),
	    zmq_msg_size(&m), &err));
	MF_ASSERT_EQ(1, r->nsources);
	MF_ASSERT(strstr(r->sources[0].url, "garlic") == NULL);
	MF_ASSERT(strstr(r->sources[0].url, "ann") == NULL);
	MF_ASSERT_STR_CONTAINS(r->sources[0].url, "cures.example");
	mf_verdict_destroy(&r);
	zmq_msg_close(&m);
	mf_verdict_destroy(&v);
}

MF_TEST(journal_at_rest_drops_a_big_ext)
{
	mf_verdict_t	*v = mf_verdict_new("p-2"), *r;
	zmq_msg_t	 m;
	mf_err_t	 err;
	size_t		 n = 32 * 1024;
	char		*x;

	/* ext: {"k": a str 16 of 32 KiB}. */
	MF_ASSERT_NOT_NULL(v);
	MF_ASSERT_NOT_NULL(x = mf_malloc(n + 6));
	memcpy(x, "\x81\xa1k\xda", 4);
	x[4] = (char)(n >> 8);
	x[5] = (char)(n & 0xff);
	memset(x + 6, 'a', n);
	v->ext = (mf_raw_t){ x, n + 6 };
	s_msg(&m, v);
	MF_ASSERT_EQ(0, mf_journal_at_rest(&m));
	MF_ASSERT(zmq_msg_size(&m) < 16 * 1024);
	MF_ASSERT_NOT_NULL(r = mf_wire_decode_verdict(zmq_msg_data(&m),
	    zmq_msg_size(&m), &err));
	MF_ASSERT_EQ(0, r->ext.len);
	MF_ASSERT(r->flags & MF_VF_EXT_DROPPED);
	mf_verdict_destroy(&r);
	zmq_msg_close(&m);
	/* A small verdict without links is kept byte for byte. */
	mf_free(v->ext.data);
	v->ext = (mf_raw_t){ NULL, 0 };
	s_msg(&m, v);
	{
		size_t	len = zmq_msg_size(&m);

		MF_ASSERT_EQ(0, mf_journal_at_rest(&m));
		MF_ASSERT_EQ(len, zmq_msg_size(&m));
	}
	zmq_msg_close(&m);
	/* Bytes that are no verdict cannot be journalled. */
	MF_ASSERT_EQ(0, zmq_msg_init_size(&m, 17 * 1024));
	memset(zmq_msg_data(&m), 0xc1, 17 * 1024);
	MF_ASSERT_EQ(-1, mf_journal_at_rest(&m));
	zmq_msg_close(&m);
	mf_verdict_destroy(&v);
}
