/*
 * fuzz_wire.c - libFuzzer target for the wire codecs: every input goes
 * through the msgpack and JSON decoders of posts, verdicts and feedback,
 * through the post_id peekers, and through the typed reading of control
 * replies (mpack.h). Whatever decodes is encoded again and decoded again,
 * and must come back the same.
 *
 * Built with -fsanitize=fuzzer by `make fuzz`; linked with replay.c it
 * replays tests/fuzz/corpus/wire/ in `make check`.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "medflag.h"
#include "mpack.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
s_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
s_same_post(const mf_post_t *a, const mf_post_t *b, int exact_body)
{
	S_CHECK(s_streq(a->post_id, b->post_id) || !exact_body);
	if (exact_body) {
		S_CHECK(a->body_len == b->body_len);
		S_CHECK(memcmp(a->body, b->body, a->body_len) == 0);
		S_CHECK(s_streq(a->revision, b->revision));
		S_CHECK(a->ext.len == b->ext.len);
	}
	S_CHECK(a->body_format == b->body_format);
	S_CHECK(a->revision_is_int == b->revision_is_int);
	S_CHECK(a->ts == b->ts);
	S_CHECK(a->deadline_ms == b->deadline_ms);
	S_CHECK((a->author.len == 0) == (b->author.len == 0));
}

static void
s_same_verdict(const mf_verdict_t *a, const mf_verdict_t *b)
{
	size_t	i;

	S_CHECK(a->status == b->status);
	S_CHECK(a->action == b->action);
	S_CHECK(a->nhits == b->nhits);
	S_CHECK(a->nsources == b->nsources);
	S_CHECK(a->nevidence == b->nevidence);
	S_CHECK(a->flags == b->flags);
	S_CHECK(a->seq == b->seq);
	S_CHECK(a->gen == b->gen);
	S_CHECK(a->latency_us == b->latency_us);
	for (i = 0; i < a->nhits; i++) {
		S_CHECK(a->hits[i].nspans == b->hits[i].nspans);
		S_CHECK(a->hits[i].mode == b->hits[i].mode);
		S_CHECK(a->hits[i].question == b->hits[i].question);
	}
}

/* msgpack post: encode(decode(x)) decodes to the same post, byte-exact;
 * its JSON form decodes to the same post up to UTF-8 repair. */
static void
s_post(const uint8_t *data, size_t size)
{
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	mf_post_t	*p, *q;

	if ((p = mf_wire_decode_post(data, size, &err)) == NULL) {
		S_CHECK(err.code != 0 && err.msg[0] != '\0');
		return;
	}
	S_CHECK(p->post_id != NULL && p->body != NULL);
	S_CHECK(mf_wire_encode_post(p, &b, &err) == 0);
	if (b.len <= MF_WIRE_MAX_MSG) {
		S_CHECK((q = mf_wire_decode_post(b.data, b.len, &err)) != NULL);
		s_same_post(p, q, 1);
		mf_post_destroy(&q);
	}
	if (mf_wire_encode_post_json(p, &b, &err) == 0 &&
	    b.len <= MF_WIRE_MAX_MSG) {
		q = mf_wire_decode_post_json(b.data, b.len, &err);
		S_CHECK(q != NULL);
		s_same_post(p, q, 0);
		mf_post_destroy(&q);
	}
	mf_post_destroy(&p);
	mf_buf_free(&b);
}

static void
s_verdict(const uint8_t *data, size_t size)
{
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	mf_verdict_t	*v, *w;

	if ((v = mf_wire_decode_verdict(data, size, &err)) == NULL)
		return;
	S_CHECK(mf_wire_encode_verdict(v, &b, &err) == 0);
	if (b.len <= MF_WIRE_MAX_MSG) {
		S_CHECK((w = mf_wire_decode_verdict(b.data, b.len,
		    &err)) != NULL);
		s_same_verdict(v, w);
		mf_verdict_destroy(&w);
	}
	if (mf_wire_encode_verdict_json(v, &b, &err) == 0 &&
	    b.len <= MF_WIRE_MAX_MSG) {
		w = mf_wire_decode_verdict_json(b.data, b.len, &err);
		S_CHECK(w != NULL);
		s_same_verdict(v, w);
		mf_verdict_destroy(&w);
	}
	S_CHECK((w = mf_verdict_dup(v)) != NULL);
	s_same_verdict(v, w);
	mf_verdict_destroy(&w);
	mf_verdict_destroy(&v);
	mf_buf_free(&b);
}

static void
s_feedback(const uint8_t *data, size_t size)
{
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	mf_feedback_t	*f, *g;

	if ((f = mf_wire_decode_feedback(data, size, &err)) == NULL)
		return;
	S_CHECK(mf_wire_encode_feedback(f, &b, &err) == 0);
	if (b.len <= MF_WIRE_MAX_MSG) {
		S_CHECK((g = mf_wire_decode_feedback(b.data, b.len,
		    &err)) != NULL);
		S_CHECK(g->nrules == f->nrules && g->agreed == f->agreed);
		S_CHECK(s_streq(g->post_id, f->post_id));
		mf_feedback_destroy(&g);
	}
	mf_feedback_destroy(&f);
	mf_buf_free(&b);
}

static void
s_json(const char *text, size_t size)
{
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	mf_post_t	*p, *q;
	mf_verdict_t	*v, *w;
	mf_feedback_t	*f;

	if ((p = mf_wire_decode_post_json(text, size, &err)) != NULL) {
		if (mf_wire_encode_post_json(p, &b, &err) == 0 &&
		    b.len <= MF_WIRE_MAX_MSG) {
			q = mf_wire_decode_post_json(b.data, b.len, &err);
			S_CHECK(q != NULL);
			s_same_post(p, q, 0);
			mf_post_destroy(&q);
		}
		mf_post_destroy(&p);
	}
	if ((v = mf_wire_decode_verdict_json(text, size, &err)) != NULL) {
		if (mf_wire_encode_verdict_json(v, &b, &err) == 0 &&
		    b.len <= MF_WIRE_MAX_MSG) {
			w = mf_wire_decode_verdict_json(b.data, b.len, &err);
			S_CHECK(w != NULL);
			s_same_verdict(v, w);
			mf_verdict_destroy(&w);
		}
		mf_verdict_destroy(&v);
	}
	if ((f = mf_wire_decode_feedback_json(text, size, &err)) != NULL)
		mf_feedback_destroy(&f);
	mf_buf_free(&b);
}

/* Walks every map and array of 'o' as the commands read replies: each
 * read stays inside the bytes, and a walk ends. */
static void
s_walk(const mf__mp_obj_t *o, int depth)
{
	mf__mp_iter_t	it;
	mf__mp_obj_t	k, v;
	char		s[16];

	S_CHECK(depth <= MF_WIRE_MAX_DEPTH + 1);
	(void)mf__mp_get_int(o, "seq", 0);
	(void)mf__mp_get_str(o, "post_id", s, sizeof(s));
	if (mf__mp_iter_init(&it, o, MF__MP_MAP) == 0)
		while (mf__mp_iter_next(&it, &k, &v) == 1) {
			S_CHECK(k.p >= o->p && v.end <= o->end);
			s_walk(&v, depth + 1);
		}
	if (mf__mp_iter_init(&it, o, MF__MP_ARRAY) == 0)
		while (mf__mp_iter_next(&it, NULL, &v) == 1) {
			S_CHECK(v.p >= o->p && v.end <= o->end);
			s_walk(&v, depth + 1);
		}
}

/* A control reply: checked, walked, written as JSON that parses. */
static void
s_reply(const uint8_t *data, size_t size)
{
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	mf__mp_obj_t	 o;

	if (mf__mp_open(&o, data, size, MF_WIRE_MAX_MSG, 0, "reply",
	    &err) == -1) {
		S_CHECK(err.code != 0 && err.msg[0] != '\0');
		return;
	}
	s_walk(&o, 0);
	if (mf__mp_json(&o, &b, &err) == 0)
		S_CHECK(b.len > 0);
	mf_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	id[64];

	s_post(data, size);
	s_verdict(data, size);
	s_feedback(data, size);
	s_reply(data, size);
	s_json((const char *)data, size);
	if (mf_wire_peek_post_id(data, size, id, sizeof(id)) == 0)
		S_CHECK(strlen(id) < sizeof(id));
	if (mf_wire_peek_post_id_json((const char *)data, size, id,
	    sizeof(id)) == 0)
		S_CHECK(strlen(id) < sizeof(id));
	return 0;
}
