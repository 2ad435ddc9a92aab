/*
 * wire_test.c - selftest of the msgpack and JSON codecs (wire.c,
 * wire_json.c, wire_json_direct.c, mpack.c): round trips, hostile input,
 * field errors, the OOM loop, feedback and peeking at a broken message's
 * post_id.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "alloc.h"
#include "harness.h"
#include "wire.h"
#include "wire_internal.h"

/* A post with every field set; the body holds a NUL and invalid UTF-8. */
static mf_post_t *
s_full_post(int int_revision)
{
	static const char	body[] = "MMR \0jab \xff\xfe caused it \xc3\xa9";
	mf_post_t		*p;
	mf_buf_t		 b = { 0 };

	if ((p = mf_post_new_len("p-1", body, sizeof(body) - 1)) == NULL)
		return NULL;
	p->body_format = MF_FMT_MARKDOWN;
	p->revision = mf_strdup(int_revision ? "12" : "r12");
	p->revision_is_int = int_revision;
	p->instance = mf_strdup("forum.example");
	p->thread_id = mf_strdup("t-5");
	p->title = mf_strdup("A title");
	p->lang = mf_strdup("en");
	p->url = mf_strdup("https://forum.example/t/5");
	p->ts = 1732470000123LL;
	p->deadline_ms = 250;
	/* author {"name": "ann", "id": 7}; ext {"k": [1, -2, 1.5, nil]} */
	if (mf__mp_put_map(&b, 2) | mf__mp_put_cstr(&b, "name") |
	    mf__mp_put_cstr(&b, "ann") | mf__mp_put_cstr(&b, "id") |
	    mf__mp_put_uint(&b, 7))
		goto fail;
	if ((p->author.data = mf_malloc(b.len)) == NULL)
		goto fail;
	memcpy(p->author.data, b.data, b.len);
	p->author.len = b.len;
	mf_buf_reset(&b);
	if (mf__mp_put_map(&b, 1) | mf__mp_put_cstr(&b, "k") |
	    mf__mp_put_array(&b, 4) | mf__mp_put_uint(&b, 1) |
	    mf__mp_put_int(&b, -2) | mf__mp_put_double(&b, 1.5) |
	    mf__mp_put_nil(&b))
		goto fail;
	if ((p->ext.data = mf_malloc(b.len)) == NULL)
		goto fail;
	memcpy(p->ext.data, b.data, b.len);
	p->ext.len = b.len;
	mf_buf_free(&b);
	return p;
fail:
	mf_buf_free(&b);
	mf_post_destroy(&p);
	return NULL;
}

static void
s_assert_same_post(const mf_post_t *a, const mf_post_t *b, int same_body)
{
	MF_ASSERT_STR_EQ(a->post_id, b->post_id);
	if (same_body) {
		MF_ASSERT_EQ(a->body_len, b->body_len);
		MF_ASSERT(memcmp(a->body, b->body, a->body_len) == 0);
	}
	MF_ASSERT_EQ(a->body_format, b->body_format);
	MF_ASSERT_STR_EQ(a->revision, b->revision);
	MF_ASSERT_EQ(a->revision_is_int, b->revision_is_int);
	MF_ASSERT_STR_EQ(a->instance, b->instance);
	MF_ASSERT_STR_EQ(a->thread_id, b->thread_id);
	MF_ASSERT_STR_EQ(a->title, b->title);
	MF_ASSERT_STR_EQ(a->lang, b->lang);
	MF_ASSERT_STR_EQ(a->url, b->url);
	MF_ASSERT_EQ(a->ts, b->ts);
	MF_ASSERT_EQ(a->deadline_ms, b->deadline_ms);
	MF_ASSERT_EQ(a->author.len, b->author.len);
	MF_ASSERT(memcmp(a->author.data, b->author.data, a->author.len) == 0);
	MF_ASSERT_EQ(a->ext.len, b->ext.len);
	MF_ASSERT(memcmp(a->ext.data, b->ext.data, a->ext.len) == 0);
}

MF_TEST(wire_post_roundtrip_msgpack)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 buf = { 0 };
	mf_post_t	*in, *out;
	int		 intrev;

	for (intrev = 0; intrev <= 1; intrev++) {
		MF_ASSERT_NOT_NULL(in = s_full_post(intrev));
		MF_ASSERT_EQ(0, mf_wire_encode_post(in, &buf, &err));
		out = mf_wire_decode_post(buf.data, buf.len, &err);
		if (out == NULL)
			mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
		s_assert_same_post(in, out, 1);	/* NUL and \xff kept */
		mf_post_destroy(&in);
		mf_post_destroy(&out);
	}
	mf_buf_free(&buf);
}

MF_TEST(wire_post_roundtrip_json)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 buf = { 0 };
	mf_post_t	*in, *out;
	int		 intrev;

	for (intrev = 0; intrev <= 1; intrev++) {
		MF_ASSERT_NOT_NULL(in = s_full_post(intrev));
		MF_ASSERT_EQ(0, mf_wire_encode_post_json(in, &buf, &err));
		MF_ASSERT_STR_CONTAINS(buf.data, intrev ?
		    "\"revision\":12" : "\"revision\":\"r12\"");
		MF_ASSERT_STR_CONTAINS(buf.data, "\\u0000");
		MF_ASSERT_STR_CONTAINS(buf.data, "\"ext\":{\"k\":[1,-2,1.5,null]}");
		out = mf_wire_decode_post_json(buf.data, buf.len, &err);
		if (out == NULL)
			mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
		/* JSON cannot carry \xff\xfe: each became U+FFFD. */
		s_assert_same_post(in, out, 0);
		MF_ASSERT_EQ(in->body_len + 4, out->body_len);
		MF_ASSERT(memcmp(out->body, "MMR \0jab \xef\xbf\xbd", 12) == 0);
		mf_post_destroy(&in);
		mf_post_destroy(&out);
	}
	mf_buf_free(&buf);
}

MF_TEST(wire_post_json_input)
{
	static const char	txt[] = "{\"post_id\":\"p-2\",\"body\":"
	    "\"a\\u0000b\",\"revision\":3,\"author\":{\"n\":[true,false]},"
	    "\"unknown\":{\"x\":[1,2,{}]},\"body_format\":\"bbcode\"}";
	mf_err_t		 err = { 0 };
	mf_post_t		*p;

	p = mf_wire_decode_post_json(txt, sizeof(txt) - 1, &err);
	if (p == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	MF_ASSERT_EQ(3, p->body_len);
	MF_ASSERT(memcmp(p->body, "a\0b", 3) == 0);
	MF_ASSERT_STR_EQ("3", p->revision);
	MF_ASSERT_EQ(1, p->revision_is_int);
	MF_ASSERT_EQ(MF_FMT_BBCODE, p->body_format);
	MF_ASSERT(p->author.len > 0);
	mf_post_destroy(&p);
}

static mf_verdict_t *
s_full_verdict(void)
{
	mf_verdict_t	*v = mf_verdict_new("p-9");
	mf_hit_t	*h;

	v->revision = mf_strdup("4");
	v->revision_is_int = 1;
	v->instance = mf_strdup("forum.example");
	v->ext.data = mf_malloc(4);
	memcpy(v->ext.data, "\x81\xa1k\x07", 4);	/* {"k": 7} */
	v->ext.len = 4;
	v->status = MF_STATUS_TIMEOUT;
	v->error = mf_strdup("time budget ran out");
	v->action = MF_ACT_HOLD;
	v->score = 7.25;
	h = mf_verdict_add_hit(v);
	h->rule = mf_strdup("vaccines-autism.causal");
	h->claim = mf_strdup("vaccines-autism");
	h->category = mf_strdup("vaccines");
	h->tier = mf_strdup("harmful");
	h->score = 6;
	h->mode = MF_MODE_SHADOW;
	h->question = 1;
	h->error = mf_strdup("match limit");
	h->spans = mf_calloc(3, sizeof(*h->spans));
	h->nspans = 3;
	h->spans[0].start = 4;
	h->spans[0].end = 7;
	h->spans[1].start = 30;
	h->spans[1].end = 36;
	h->spans[2].start = 2;		/* one in the title */
	h->spans[2].end = 9;
	h->spans[2].field = MF_FIELD_TITLE;
	h = mf_verdict_add_hit(v);	/* an empty one: only defaults */
	mf_verdict_add_source(v, "https://naturalnews.com/a",
	    "naturalnews.com", MF_LIST_UNRELIABLE);
	mf_verdict_add_source(v, NULL, NULL, MF_LIST_UNKNOWN);
	mf_verdict_add_evidence(v, "https://who.int/x");
	v->ruleset = mf_strdup("sha256:abc");
	v->sources_version = mf_strdup("17");
	v->worker = mf_strdup("w-3");
	v->latency_us = 1234;
	v->seq = 0xfffffffffffULL;
	v->gen = 7;
	v->flags = MF_VF_SOURCES_STALE | MF_VF_QUOTES_SKIPPED |
	    MF_VF_INVALID_UTF8;
	return v;
}

static void
s_assert_same_verdict(const mf_verdict_t *a, const mf_verdict_t *b)
{
	size_t	i, j;

	MF_ASSERT_STR_EQ(a->post_id, b->post_id);
	MF_ASSERT_STR_EQ(a->revision, b->revision);
	MF_ASSERT_EQ(a->revision_is_int, b->revision_is_int);
	MF_ASSERT_STR_EQ(a->instance, b->instance);
	MF_ASSERT_EQ(a->ext.len, b->ext.len);
	MF_ASSERT(memcmp(a->ext.data, b->ext.data, a->ext.len) == 0);
	MF_ASSERT_EQ(a->status, b->status);
	MF_ASSERT_STR_EQ(a->error, b->error);
	MF_ASSERT_EQ(a->action, b->action);
	MF_ASSERT(a->score == b->score);
	MF_ASSERT_EQ(a->nhits, b->nhits);
	for (i = 0; i < a->nhits; i++) {
		const mf_hit_t *x = &a->hits[i], *y = &b->hits[i];

		if (x->rule)
			MF_ASSERT_STR_EQ(x->rule, y->rule);
		else
			MF_ASSERT_NULL(y->rule);
		if (x->error)
			MF_ASSERT_STR_EQ(x->error, y->error);
		else
			MF_ASSERT_NULL(y->error);
		MF_ASSERT(x->score == y->score);
		MF_ASSERT_EQ(x->mode, y->mode);
		MF_ASSERT_EQ(x->question, y->question);
		MF_ASSERT_EQ(x->nspans, y->nspans);
		for (j = 0; j < x->nspans; j++) {
			MF_ASSERT_EQ(x->spans[j].start, y->spans[j].start);
			MF_ASSERT_EQ(x->spans[j].end, y->spans[j].end);
			MF_ASSERT_EQ(x->spans[j].field, y->spans[j].field);
		}
	}
	MF_ASSERT_STR_EQ(a->hits[0].tier, b->hits[0].tier);
	MF_ASSERT_STR_EQ(a->hits[0].category, b->hits[0].category);
	MF_ASSERT_STR_EQ(a->hits[0].claim, b->hits[0].claim);
	MF_ASSERT_EQ(a->nsources, b->nsources);
	MF_ASSERT_STR_EQ(a->sources[0].url, b->sources[0].url);
	MF_ASSERT_STR_EQ(a->sources[0].domain, b->sources[0].domain);
	MF_ASSERT_EQ(a->sources[0].list, b->sources[0].list);
	MF_ASSERT_NULL(b->sources[1].url);
	MF_ASSERT_EQ(a->nevidence, b->nevidence);
	MF_ASSERT_STR_EQ(a->evidence[0], b->evidence[0]);
	MF_ASSERT_STR_EQ(a->ruleset, b->ruleset);
	MF_ASSERT_STR_EQ(a->sources_version, b->sources_version);
	MF_ASSERT_STR_EQ(a->worker, b->worker);
	MF_ASSERT_EQ(a->latency_us, b->latency_us);
	MF_ASSERT_EQ(a->seq, b->seq);
	MF_ASSERT_EQ(a->gen, b->gen);
	MF_ASSERT_EQ(a->flags, b->flags);
}

MF_TEST(wire_verdict_roundtrip)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 buf = { 0 };
	mf_verdict_t	*in = s_full_verdict(), *out;

	MF_ASSERT_EQ(0, mf_wire_encode_verdict(in, &buf, &err));
	out = mf_wire_decode_verdict(buf.data, buf.len, &err);
	if (out == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	s_assert_same_verdict(in, out);
	mf_verdict_destroy(&out);

	MF_ASSERT_EQ(0, mf_wire_encode_verdict_json(in, &buf, &err));
	MF_ASSERT_STR_CONTAINS(buf.data, "\"revision\":4");
	MF_ASSERT_STR_CONTAINS(buf.data, "\"ext\":{\"k\":7}");
	MF_ASSERT_STR_CONTAINS(buf.data,
	    "\"spans\":[[4,7],[30,36],[2,9,\"title\"]]");
	MF_ASSERT_STR_CONTAINS(buf.data,
	    "\"flags\":[\"sources_stale\",\"invalid_utf8\",\"quotes_skipped\"]");
	MF_ASSERT(strstr(buf.data, "null") == NULL);	/* NULLs omitted */
	out = mf_wire_decode_verdict_json(buf.data, buf.len, &err);
	if (out == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	s_assert_same_verdict(in, out);
	mf_verdict_destroy(&out);
	mf_verdict_destroy(&in);

	/* A bare verdict: string revision, no hits. */
	in = mf_verdict_new("p-0");
	in->revision = mf_strdup("abc");
	MF_ASSERT_EQ(0, mf_wire_encode_verdict(in, &buf, &err));
	MF_ASSERT_NOT_NULL(out = mf_wire_decode_verdict(buf.data, buf.len,
	    &err));
	MF_ASSERT_STR_EQ("abc", out->revision);
	MF_ASSERT_EQ(0, out->revision_is_int);
	MF_ASSERT_EQ(0, out->nhits);
	mf_verdict_destroy(&out);
	mf_verdict_destroy(&in);
	mf_buf_free(&buf);
}

/* A span's third element names its field: "title" or "body", nothing
 * else, and the error says which span. */
MF_TEST(wire_span_field)
{
	static const char *ok[] = {
		"{\"post_id\":\"p\",\"hits\":[{\"spans\":[[1,2,\"body\"],"
		    "[0,3,\"title\"]]}]}",
	};
	mf_err_t	 err = { 0 };
	mf_verdict_t	*v;
	const char	*j;

	v = mf_wire_decode_verdict_json(ok[0], strlen(ok[0]), &err);
	if (v == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	MF_ASSERT_EQ(2, v->hits[0].nspans);
	MF_ASSERT_EQ(MF_FIELD_BODY, v->hits[0].spans[0].field);
	MF_ASSERT_EQ(MF_FIELD_TITLE, v->hits[0].spans[1].field);
	mf_verdict_destroy(&v);
	j = "{\"post_id\":\"p\",\"hits\":[{\"spans\":[[1,2,\"url\"]]}]}";
	v = mf_wire_decode_verdict_json(j, strlen(j), &err);
	MF_ASSERT_NULL(v);
	MF_ASSERT_STR_CONTAINS(err.msg, "hits[0].spans[0]");
	MF_ASSERT_STR_CONTAINS(err.msg, "\"title\" or \"body\"");
	j = "{\"post_id\":\"p\",\"hits\":[{\"spans\":[[1,2,3,4]]}]}";
	v = mf_wire_decode_verdict_json(j, strlen(j), &err);
	MF_ASSERT_NULL(v);
	MF_ASSERT_STR_CONTAINS(err.msg, "[start, end, \"title\"]");
}

/* ---- hostile input --------------------------------------------------- */

struct s_bad {
	const char	*name;
	const char	*bytes;
	size_t		 len;
	int		 code;
};

#define B(s)	s, sizeof(s) - 1

static const struct s_bad s_bad[] = {
	{ "empty", B(""), MF_EWIRE },
	{ "array 2^32-1", B("\xdd\xff\xff\xff\xff"), MF_EWIRE },
	{ "map 2^32-1", B("\xdf\xff\xff\xff\xff"), MF_EWIRE },
	{ "map16 too many", B("\xde\xff\xff\xa1k\x01"), MF_EWIRE },
	{ "str32 4 GiB", B("\x81\xa4" "body\xdb\xff\xff\xff\xff"), MF_EWIRE },
	{ "bin32 4 GiB", B("\x81\xa4" "body\xc6\xff\xff\xff\xff"), MF_EWIRE },
	{ "nested huge array", B("\x81\xa3" "ext\xdd\xff\xff\xff\xff"),
	    MF_EWIRE },
	{ "nested huge map", B("\x81\xa3" "ext\x81\xa1k\xdf\x7f\xff\xff\xff"),
	    MF_EWIRE },
	{ "top-level array", B("\x92\xa1" "a\xa1" "b"), MF_EWIRE },
	{ "top-level string", B("\xa3" "abc"), MF_EWIRE },
	{ "top-level int", B("\x07"), MF_EWIRE },
	{ "trailing bytes", B("\x80\x00"), MF_EWIRE },
	{ "truncated str", B("\x81\xa4" "bo"), MF_EWIRE },
	{ "truncated map", B("\x82\xa1k\x01"), MF_EWIRE },
	{ "reserved c1", B("\x81\xa1k\xc1"), MF_EWIRE },
	{ "fixext", B("\x81\xa3" "ext\xd4\x01\x00"), MF_EWIRE },
	{ "ext8", B("\x81\xa1k\xc7\x01\x05\x00"), MF_EWIRE },
	{ "ext32 huge", B("\x81\xa1k\xc9\xff\xff\xff\xff\x05"), MF_EWIRE },
};

MF_TEST(wire_hostile_rejected_without_allocating)
{
	mf_err_t	 err;
	size_t		 i, nalloc;
	char		 id[64];

	for (i = 0; i < sizeof(s_bad) / sizeof(s_bad[0]); i++) {
		const struct s_bad *b = &s_bad[i];

		memset(&err, 0, sizeof(err));
		mf_alloc_fail_after(0, 0);
		MF_ASSERT_NULL(mf_wire_decode_post(b->bytes, b->len, &err));
		nalloc = mf_alloc_fail_after(0, 0);
		if (err.code != b->code || nalloc != 0)
			mf__test_fail(__FILE__, __LINE__,
			    "%s: code %d (want %d), %zu allocations: %s",
			    b->name, err.code, b->code, nalloc, err.msg);
		MF_ASSERT_NULL(mf_wire_decode_verdict(b->bytes, b->len, &err));
		MF_ASSERT_NULL(mf_wire_decode_feedback(b->bytes, b->len,
		    &err));
		MF_ASSERT_EQ(-1, mf_wire_peek_post_id(b->bytes, b->len, id,
		    sizeof(id)));
		MF_ASSERT_EQ(0, mf_alloc_fail_after(0, 0));
	}
}

/* Builds [[[...[]...]]] nested 'depth' levels inside {"ext": ...}. */
static void
s_nested(mf_buf_t *b, int depth)
{
	int	i;

	mf_buf_reset(b);
	mf__mp_put_map(b, 3);
	mf__mp_put_cstr(b, "post_id");
	mf__mp_put_cstr(b, "p");
	mf__mp_put_cstr(b, "body");
	mf__mp_put_cstr(b, "x");
	mf__mp_put_cstr(b, "ext");
	mf__mp_put_map(b, 1);
	mf__mp_put_cstr(b, "k");
	for (i = 0; i < depth; i++)
		mf__mp_put_array(b, i + 1 < depth ? 1 : 0);
}

MF_TEST(wire_hostile_limits)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 b = { 0 };
	mf_post_t	*p;
	char		*big;
	clock_t		 t0 = clock();
	int		 i;

	/* top map + ext map + 14 arrays = 16 levels: accepted. */
	s_nested(&b, MF_WIRE_MAX_DEPTH - 2);
	MF_ASSERT_NOT_NULL(p = mf_wire_decode_post(b.data, b.len, &err));
	mf_post_destroy(&p);
	s_nested(&b, MF_WIRE_MAX_DEPTH - 1);
	MF_ASSERT_NULL(mf_wire_decode_post(b.data, b.len, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	MF_ASSERT_STR_CONTAINS(err.msg, "nested deeper");
	/* 10000 levels: no stack overflow, an error. */
	s_nested(&b, 10000);
	MF_ASSERT_NULL(mf_wire_decode_post(b.data, b.len, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);

	/* A message over MF_WIRE_MAX_MSG. */
	big = mf_calloc(1, MF_WIRE_MAX_MSG + 16);
	mf_buf_reset(&b);
	mf__mp_put_map(&b, 2);
	mf__mp_put_cstr(&b, "post_id");
	mf__mp_put_cstr(&b, "p");
	mf__mp_put_cstr(&b, "body");
	mf__mp_put_str(&b, big, MF_WIRE_MAX_MSG);
	MF_ASSERT_NULL(mf_wire_decode_post(b.data, b.len, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	memset(big, ' ', MF_WIRE_MAX_MSG + 8);
	big[0] = '{';
	MF_ASSERT_NULL(mf_wire_decode_post_json(big, MF_WIRE_MAX_MSG + 8,
	    &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	mf_free(big);

	/* Deep JSON is refused too. */
	mf_buf_reset(&b);
	mf_buf_puts(&b, "{\"post_id\":\"p\",\"body\":\"x\",\"ext\":");
	for (i = 0; i < 100; i++)
		mf_buf_puts(&b, "[");
	for (i = 0; i < 100; i++)
		mf_buf_puts(&b, "]");
	mf_buf_puts(&b, "}");
	MF_ASSERT_NULL(mf_wire_decode_post_json(b.data, b.len, &err));
	MF_ASSERT_EQ(MF_ELIMIT, err.code);
	mf_buf_free(&b);
	/* All of it is quick: nothing walks a declared count. */
	MF_ASSERT((clock() - t0) / CLOCKS_PER_SEC < 2);
}

/* ---- field errors ---------------------------------------------------- */

enum { V_MISSING, V_INT, V_NEG, V_STR, V_BOOL, V_ARRAY, V_FLOAT, V_NUL };

/* {"post_id": "p-1", "body": "x"} with 'field' replaced by 'kind'. */
static void
s_post_with(mf_buf_t *b, const char *field, int kind)
{
	const char	*base[] = { "post_id", "p-1", "body", "x" };
	size_t		 n = 2, i;
	int		 extra = strcmp(field, "post_id") != 0 &&
			    strcmp(field, "body") != 0;

	mf_buf_reset(b);
	if (!extra && kind == V_MISSING)
		n--;
	mf__mp_put_map(b, n + (extra && kind != V_MISSING));
	for (i = 0; i < 4; i += 2) {
		if (strcmp(base[i], field) == 0)
			continue;
		mf__mp_put_cstr(b, base[i]);
		mf__mp_put_cstr(b, base[i + 1]);
	}
	if (kind == V_MISSING)
		return;
	mf__mp_put_cstr(b, field);
	switch (kind) {
	case V_INT:	mf__mp_put_uint(b, 5); break;
	case V_NEG:	mf__mp_put_int(b, -5); break;
	case V_STR:	mf__mp_put_cstr(b, "rtf"); break;
	case V_BOOL:	mf__mp_put_bool(b, 1); break;
	case V_ARRAY:	mf__mp_put_array(b, 0); break;
	case V_FLOAT:	mf__mp_put_double(b, 1.5); break;
	case V_NUL:	mf__mp_put_str(b, "a\0b", 3); break;
	}
}

MF_TEST(wire_post_field_errors_named)
{
	static const struct {
		const char	*field;
		int		 kind;
		const char	*msg;
	} c[] = {
		{ "post_id", V_MISSING, "post_id: missing" },
		{ "post_id", V_INT,
		    "post_id: expected a string, got an integer" },
		{ "post_id", V_NUL, "post_id: contains a NUL byte" },
		{ "body", V_MISSING, "body: missing" },
		{ "body", V_ARRAY, "body: expected a string, got an array" },
		{ "body_format", V_STR, "body_format: unknown value \"rtf\"" },
		{ "body_format", V_INT,
		    "body_format: expected a string, got an integer" },
		{ "revision", V_BOOL,
		    "revision: expected an integer or a string, got a boolean" },
		{ "revision", V_FLOAT, "revision: expected an integer" },
		{ "instance", V_INT, "instance: expected a string" },
		{ "thread_id", V_ARRAY, "thread_id: expected a string" },
		{ "title", V_BOOL, "title: expected a string" },
		{ "lang", V_INT, "lang: expected a string" },
		{ "url", V_FLOAT, "url: expected a string" },
		{ "ts", V_STR, "ts: expected an integer, got a string" },
		{ "ts", V_FLOAT, "ts: expected an integer, got a float" },
		{ "deadline_ms", V_NEG, "deadline_ms: must not be negative" },
		{ "author", V_STR, "author: expected a map, got a string" },
		{ "ext", V_ARRAY, "ext: expected a map, got an array" },
		{ "v", V_STR, "v: expected an integer" },
	};
	mf_err_t	 err;
	mf_buf_t	 b = { 0 };
	size_t		 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&err, 0, sizeof(err));
		s_post_with(&b, c[i].field, c[i].kind);
		MF_ASSERT_NULL(mf_wire_decode_post(b.data, b.len, &err));
		MF_ASSERT_EQ(MF_EFIELD, err.code);
		MF_ASSERT_STR_EQ(c[i].field, err.where);
		MF_ASSERT_STR_CONTAINS(err.msg, c[i].msg);
	}
	mf_buf_free(&b);
}

MF_TEST(wire_json_field_errors_named)
{
	static const struct {
		const char	*json, *where, *msg;
		int		 code;
	} c[] = {
		{ "{\"post_id\":7,\"body\":\"x\"}", "post_id",
		    "post_id: expected a string, got an integer", MF_EFIELD },
		{ "{\"post_id\":\"p\"}", "body", "body: missing", MF_EFIELD },
		{ "{\"post_id\":\"p\",\"body\":\"x\",\"body_format\":\"doc\"}",
		    "body_format", "unknown value \"doc\"", MF_EFIELD },
		{ "{\"post_id\":\"p\",\"body\":\"x\",\"ts\":1.5}", "ts",
		    "ts: expected an integer, got a float", MF_EFIELD },
		{ "{\"post_id\":\"p\",\"body\":\"x\",\"ext\":[1]}", "ext",
		    "ext: expected a map", MF_EFIELD },
		{ "{\"post_id\":\"p\",\"body\":\"x\"", "post",
		    "invalid JSON", MF_EWIRE },
		{ "[1,2]", "post", "expected a JSON object", MF_EWIRE },
		{ "{\"post_id\":\"p\",\"body\":\"x\"} {}", "post",
		    "invalid JSON", MF_EWIRE },
	};
	mf_err_t	err;
	size_t		i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&err, 0, sizeof(err));
		MF_ASSERT_NULL(mf_wire_decode_post_json(c[i].json,
		    strlen(c[i].json), &err));
		MF_ASSERT_EQ(c[i].code, err.code);
		MF_ASSERT_STR_EQ(c[i].where, err.where);
		MF_ASSERT_STR_CONTAINS(err.msg, c[i].msg);
	}
}

MF_TEST(wire_verdict_field_errors_named)
{
	static const struct {
		const char	*json, *where, *msg;
	} c[] = {
		{ "{\"status\":\"fine\"}", "status", "unknown value \"fine\"" },
		{ "{\"action\":3}", "action", "expected a string" },
		{ "{\"score\":\"high\"}", "score", "expected a number" },
		{ "{\"hits\":{}}", "hits", "expected an array, got a map" },
		{ "{\"hits\":[1]}", "hits[0]", "expected a map" },
		{ "{\"hits\":[{\"rule\":1}]}", "hits[0].rule",
		    "expected a string" },
		{ "{\"hits\":[{},{\"mode\":\"loud\"}]}", "hits[1].mode",
		    "unknown value \"loud\"" },
		{ "{\"hits\":[{\"spans\":[[1,2],[3]]}]}", "hits[0].spans[1]",
		    "expected [start, end]" },
		{ "{\"hits\":[{\"spans\":[[5,2]]}]}", "hits[0].spans[0]",
		    "end before start" },
		{ "{\"hits\":[{\"question\":1}]}", "hits[0].question",
		    "expected a boolean" },
		{ "{\"sources\":[{\"list\":\"good\"}]}", "sources[0].list",
		    "unknown value" },
		{ "{\"evidence\":[\"a\",2]}", "evidence[1]",
		    "expected a string" },
		{ "{\"seq\":-1}", "seq", "expected a non-negative integer" },
		{ "{\"flags\":[1]}", "flags[0]", "expected a string" },
	};
	static const char	unk[] = "{\"flags\":[\"new_flag\","
	    "\"duplicate\"],\"later\":{\"a\":[1]}}";
	mf_err_t		 err;
	mf_verdict_t		*v;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&err, 0, sizeof(err));
		v = mf_wire_decode_verdict_json(c[i].json, strlen(c[i].json),
		    &err);
		if (v != NULL)
			mf__test_fail(__FILE__, __LINE__, "accepted %s",
			    c[i].json);
		MF_ASSERT_EQ(MF_EFIELD, err.code);
		MF_ASSERT_STR_EQ(c[i].where, err.where);
		MF_ASSERT_STR_CONTAINS(err.msg, c[i].msg);
	}
	/* Unknown flags and keys are ignored. */
	v = mf_wire_decode_verdict_json(unk, strlen(unk), &err);
	MF_ASSERT_NOT_NULL(v);
	MF_ASSERT_EQ(MF_VF_DUPLICATE, v->flags);
	mf_verdict_destroy(&v);
}

MF_TEST(wire_unknown_keys_ignored)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 b = { 0 };
	mf_post_t	*p;

	mf__mp_put_map(&b, 5);
	mf__mp_put_uint(&b, 7);			/* an integer key */
	mf__mp_put_cstr(&b, "x");
	mf__mp_put_array(&b, 2);		/* an array key */
	mf__mp_put_uint(&b, 1);
	mf__mp_put_map(&b, 0);
	mf__mp_put_map(&b, 1);
	mf__mp_put_cstr(&b, "a");
	mf__mp_put_nil(&b);
	mf__mp_put_cstr(&b, "post_id");
	mf__mp_put_cstr(&b, "p-7");
	mf__mp_put_cstr(&b, "future");
	mf__mp_put_array(&b, 1);
	mf__mp_put_double(&b, 2.5);
	mf__mp_put_cstr(&b, "body");
	mf__mp_put_bin(&b, "\x00\x01", 2);	/* bin body is accepted */
	p = mf_wire_decode_post(b.data, b.len, &err);
	if (p == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	MF_ASSERT_STR_EQ("p-7", p->post_id);
	MF_ASSERT_EQ(2, p->body_len);
	mf_post_destroy(&p);
	mf_buf_free(&b);
}

/* ---- peek, feedback -------------------------------------------------- */

MF_TEST(wire_peek_post_id)
{
	mf_buf_t	b = { 0 };
	char		id[8];
	static const char	bad_json[] =
	    "{\"body\": 12, \"post_id\" : \"p\\\"-42\", \"x\": [";

	s_post_with(&b, "body_format", V_STR);	/* decodes to an error */
	MF_ASSERT_EQ(0, mf_wire_peek_post_id(b.data, b.len, id, sizeof(id)));
	MF_ASSERT_STR_EQ("p-1", id);
	/* Truncated after post_id: still found. */
	MF_ASSERT_EQ(0, mf_wire_peek_post_id(b.data, 14, id, sizeof(id)));
	MF_ASSERT_STR_EQ("p-1", id);
	s_post_with(&b, "post_id", V_INT);
	MF_ASSERT_EQ(-1, mf_wire_peek_post_id(b.data, b.len, id, sizeof(id)));
	MF_ASSERT_EQ(0, mf_wire_peek_post_id_json(bad_json,
	    sizeof(bad_json) - 1, id, sizeof(id)));
	MF_ASSERT_STR_EQ("p\"-42", id);
	MF_ASSERT_EQ(0, mf_wire_peek_post_id_json(
	    "{\"post_id\":\"abcdefghijk\",\"body\":1}", 34, id, sizeof(id)));
	MF_ASSERT_STR_EQ("abcdefg", id);	/* truncated to cap */
	MF_ASSERT_EQ(-1, mf_wire_peek_post_id_json("{}", 2, id, sizeof(id)));
	MF_ASSERT_EQ(-1, mf_wire_peek_post_id_json("nonsense", 8, id,
	    sizeof(id)));
	mf_buf_free(&b);
}

MF_TEST(wire_feedback)
{
	static const char	txt[] = "{\"post_id\":\"p-1\",\"revision\":3,"
	    "\"outcome\":\"overturned\",\"rules\":[\"a.b\",\"c.d\"],"
	    "\"by\":\"mod-7\"}";
	mf_err_t		 err = { 0 };
	mf_buf_t		 b = { 0 };
	mf_feedback_t		*f, *g;

	f = mf_wire_decode_feedback_json(txt, sizeof(txt) - 1, &err);
	if (f == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	MF_ASSERT_STR_EQ("p-1", f->post_id);
	MF_ASSERT_STR_EQ("3", f->revision);
	MF_ASSERT_EQ(0, f->agreed);
	MF_ASSERT_EQ(2, f->nrules);
	MF_ASSERT_STR_EQ("c.d", f->rules[1]);
	MF_ASSERT_STR_EQ("mod-7", f->by);
	MF_ASSERT_EQ(0, mf_wire_encode_feedback(f, &b, &err));
	MF_ASSERT_NOT_NULL(g = mf_wire_decode_feedback(b.data, b.len, &err));
	MF_ASSERT_STR_EQ("p-1", g->post_id);
	MF_ASSERT_STR_EQ("3", g->revision);
	MF_ASSERT_EQ(0, g->agreed);
	MF_ASSERT_EQ(2, g->nrules);
	MF_ASSERT_STR_EQ("a.b", g->rules[0]);
	MF_ASSERT_STR_EQ("mod-7", g->by);
	mf_feedback_destroy(&g);
	mf_feedback_destroy(&f);
	mf_feedback_destroy(&f);

	MF_ASSERT_NULL(mf_wire_decode_feedback_json("{\"post_id\":\"p\"}",
	    15, &err));
	MF_ASSERT_STR_EQ("outcome", err.where);
	MF_ASSERT_NULL(mf_wire_decode_feedback_json(
	    "{\"post_id\":\"p\",\"outcome\":\"maybe\"}", 33, &err));
	MF_ASSERT_STR_EQ("outcome", err.where);
	MF_ASSERT_STR_CONTAINS(err.msg, "agreed or overturned");
	MF_ASSERT_NULL(mf_wire_decode_feedback_json(
	    "{\"outcome\":\"agreed\"}", 20, &err));
	MF_ASSERT_STR_EQ("post_id", err.where);
	mf_buf_free(&b);
}

/* ---- OOM loop -------------------------------------------------------- */

/* One pass over every codec path; -1 if anything failed. */
static int
s_codec_pass(void)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 b = { 0 }, j = { 0 };
	mf_post_t	*p = s_full_post(1), *q = NULL, *r = NULL;
	mf_verdict_t	*v = NULL, *w = NULL, *x = NULL;
	int		 rc = -1;

	if (p == NULL || p->revision == NULL || p->instance == NULL ||
	    p->thread_id == NULL || p->title == NULL || p->lang == NULL ||
	    p->url == NULL || p->author.data == NULL || p->ext.data == NULL)
		goto out;
	if (mf_wire_encode_post(p, &b, &err) == -1 ||
	    (q = mf_wire_decode_post(b.data, b.len, &err)) == NULL ||
	    mf_wire_encode_post_json(q, &j, &err) == -1 ||
	    (r = mf_wire_decode_post_json(j.data, j.len, &err)) == NULL ||
	    (v = mf_verdict_for(r)) == NULL ||
	    mf_verdict_add_hit(v) == NULL ||
	    mf_verdict_add_source(v, "http://a.b/", "a.b",
	    MF_LIST_VETTED) == -1 ||
	    mf_verdict_add_evidence(v, "http://c.d/") == -1 ||
	    mf_wire_encode_verdict(v, &b, &err) == -1 ||
	    (w = mf_wire_decode_verdict(b.data, b.len, &err)) == NULL ||
	    mf_wire_encode_verdict_json(w, &j, &err) == -1 ||
	    (x = mf_wire_decode_verdict_json(j.data, j.len, &err)) == NULL)
		goto out;
	MF_ASSERT_EQ(1, x->nhits);
	rc = 0;
out:
	if (rc == -1 && !mf_alloc_failed())
		mf__test_fail(__FILE__, __LINE__, "failed without OOM: %s",
		    err.msg);
	/* jansson reports some failed allocations in its lexer as syntax
	 * errors; everything else must say out of memory. */
	if (rc == -1 && err.code != 0 && err.code != MF_ENOMEM &&
	    !(err.code == MF_EWIRE && strstr(err.msg, "invalid JSON")))
		mf__test_fail(__FILE__, __LINE__, "OOM reported as %d: %s",
		    err.code, err.msg);
	mf_post_destroy(&p);
	mf_post_destroy(&q);
	mf_post_destroy(&r);
	mf_verdict_destroy(&v);
	mf_verdict_destroy(&w);
	mf_verdict_destroy(&x);
	mf_buf_free(&b);
	mf_buf_free(&j);
	return rc;
}

MF_TEST(wire_oom_loop)
{
	size_t	n;
	int	rc = -1, fired = 1;

	/* jansson allocates through the hook too, so its failures are
	 * part of the loop. It recovers from a few of them internally, so a
	 * pass may succeed after a failure; what is checked is that every
	 * pass ends cleanly and the last one with the right result. */
	json_set_alloc_funcs(mf_malloc, mf_free);
	for (n = 1; fired && n < 5000; n++) {
		mf_alloc_fail_after(n, 0);
		rc = s_codec_pass();
		fired = mf_alloc_failed();
		mf_alloc_fail_after(0, 0);
	}
	MF_ASSERT(n > 100);	/* the loop went through the whole pass */
	json_set_alloc_funcs(malloc, free);
	MF_ASSERT_EQ(0, rc);
}

/* Found by fuzz_wire: a map key holding a NUL made JSON that jansson
 * cannot read back ("NUL byte in object key not supported"). */
MF_TEST(wire_json_nul_in_key)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 b = { 0 };
	mf_post_t	*p = mf_post_new("p-1", "x"), *q;

	mf__mp_put_map(&b, 1);
	mf__mp_put_str(&b, "a\0b", 3);
	mf__mp_put_uint(&b, 1);
	p->ext.data = mf_malloc(b.len);
	memcpy(p->ext.data, b.data, b.len);
	p->ext.len = b.len;
	MF_ASSERT_EQ(0, mf_wire_encode_post_json(p, &b, &err));
	MF_ASSERT_STR_CONTAINS(b.data, "\"ext\":{\"a\xef\xbf\xbd" "b\":1}");
	q = mf_wire_decode_post_json(b.data, b.len, &err);
	if (q == NULL)
		mf__test_fail(__FILE__, __LINE__, "%s", err.msg);
	mf_post_destroy(&q);
	mf_post_destroy(&p);
	mf_buf_free(&b);
}

/* A post_id is valid UTF-8 of at most 256 bytes; the error verdict of
 * one that is not carries its escaped form, which peek gives too. */
MF_TEST(wire_post_id_utf8_and_length)
{
	static const char	 bad[] = "\x82\xa7post_id\xa5p-\xff\n\\"
	    "\xa4" "body\xa1x";
	mf_err_t		 err = {0};
	mf_post_t		*p;
	char			 id[MF_WIRE_ID_CAP], big[300];
	mf_buf_t		 b = {0};

	MF_ASSERT_NULL(mf_wire_decode_post(bad, sizeof(bad) - 1, &err));
	MF_ASSERT_STR_EQ("post_id", err.where);
	MF_ASSERT_STR_CONTAINS(err.msg, "not valid UTF-8");
	MF_ASSERT_EQ(0, mf_wire_peek_post_id(bad, sizeof(bad) - 1, id,
	    sizeof(id)));
	MF_ASSERT_STR_EQ("p-\\xff\\x0a\\\\", id);

	memset(big, 'a', sizeof(big));
	MF_ASSERT_NOT_NULL(p = mf_post_new_len("x", "body", 4));
	mf_free(p->post_id);
	MF_ASSERT_NOT_NULL(p->post_id = mf_strndup(big, 256));
	MF_ASSERT_EQ(0, mf_wire_encode_post(p, &b, &err));
	mf_post_destroy(&p);
	MF_ASSERT_NOT_NULL(p = mf_wire_decode_post(b.data, b.len, &err));
	MF_ASSERT_EQ(256, (int)strlen(p->post_id));
	mf_post_destroy(&p);

	MF_ASSERT_EQ(1, mf_wire_safe_id(big, sizeof(big), id, sizeof(id)));
	MF_ASSERT_EQ(259, (int)strlen(id));
	MF_ASSERT(strcmp(id + 256, "...") == 0);
	MF_ASSERT_EQ(0, mf_wire_safe_id("caf\xc3\xa9", 5, id, sizeof(id)));
	MF_ASSERT_STR_EQ("caf\xc3\xa9", id);
	MF_ASSERT_EQ(-1, mf_wire_check_post_id(big, 257, NULL));
	MF_ASSERT_EQ(-1, mf_wire_check_post_id("\xed\xa0\x80", 3, NULL));
	mf_buf_free(&b);
}

/* A key given twice is refused, naming it, in msgpack and JSON alike:
 * readers disagree on which copy counts. */
MF_TEST(wire_post_key_twice)
{
	static const char	 mp[] = "\x83\xa7post_id\xa2p1\xa4" "body"
	    "\xa1x\xa4" "body\xa1y";
	static const char	 js[] = "{\"post_id\":\"p1\",\"body\":\"x\","
	    "\"body\":\"y\"}";
	mf_err_t		 err = {0};

	MF_ASSERT_NULL(mf_wire_decode_post(mp, sizeof(mp) - 1, &err));
	MF_ASSERT_EQ(MF_EFIELD, err.code);
	MF_ASSERT_STR_EQ("body", err.where);
	MF_ASSERT_STR_CONTAINS(err.msg, "body: given twice");
	MF_ASSERT_NULL(mf_wire_decode_post_json(js, sizeof(js) - 1, &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "duplicate object key");
	MF_ASSERT_STR_CONTAINS(err.msg, "body");
}

/*
 * The short paths of the JSON codec (no jansson tree) give the bytes the
 * tree gives, or step aside: fixed texts at the edges of JSON, then
 * random documents that jansson writes in several styles, and random
 * msgpack maps with what JSON cannot say directly (invalid UTF-8, NUL in
 * keys, integer keys, keys twice, huge integers, NaN).
 */
static uint64_t s_fz = 0x243f6a8885a308d3ULL;

static uint32_t
s_fz_rand(void)
{
	return (uint32_t)(mf_test_xorshift(&s_fz) >> 11);
}

static json_t *
s_fz_json(int depth)
{
	static const char *const words[] = { "a", "body", "caf\xc3\xa9",
	    "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "q\"u\\o/te", "tab\there",
	    "nl\n", "\x01\x1f\x7f", "", "post_id", "\xe4\xb8\xad\xe6\x96\x87" };
	json_t	*j, *o;
	char	 s[64];
	size_t	 n = 0;

	switch (depth > 3 ? s_fz_rand() % 5 : s_fz_rand() % 7) {
	case 0:
		return json_integer((json_int_t)(s_fz_rand() % 3 == 0 ?
		    -(int64_t)s_fz_rand() * 1000003 : (int64_t)s_fz_rand()));
	case 1:
		return json_real((double)(int32_t)s_fz_rand() /
		    (double)(1 + s_fz_rand() % 1000) * (s_fz_rand() % 2 ?
		    1e-9 : 1e12));
	case 2:
		return s_fz_rand() % 3 ? json_boolean(s_fz_rand() % 2) :
		    json_null();
	case 3:
	case 4:
		for (int k = 1 + (int)(s_fz_rand() % 4); k > 0; k--)
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%s",
			    words[s_fz_rand() % 12]);
		if (s_fz_rand() % 9 == 0 && n + 1 < sizeof(s))
			s[n++] = '\0';	/* a NUL inside */
		return json_stringn(s, n);
	case 5:
		j = json_array();
		for (int k = (int)(s_fz_rand() % 4); k > 0; k--)
			json_array_append_new(j, s_fz_json(depth + 1));
		return j;
	default:
		o = json_object();
		for (int k = (int)(s_fz_rand() % 5); k > 0; k--) {
			snprintf(s, sizeof(s), "%s%u", words[s_fz_rand() %
			    12], s_fz_rand() % 4);
			json_object_set_new(o, s, s_fz_json(depth + 1));
		}
		return o;
	}
}

/* 'mp' back to JSON: when the short path writes it, the tree writes the
 * same text. */
static void
s_fz_json_same(const mf_buf_t *mp)
{
	mf_buf_t	jf = { 0 }, jt = { 0 };
	mf_err_t	err = { 0 };

	if (mf__mp_to_json(mp, &jf, 1, &err) == 0) {
		MF_ASSERT_EQ(0, mf__mp_to_json(mp, &jt, 0, &err));
		if (strcmp(jf.data, jt.data) != 0)
			mf__test_fail(__FILE__, __LINE__, "JSON differs: "
			    "%s vs %s", jf.data, jt.data);
	} else
		MF_ASSERT_EQ(0, jf.len);
	mf_buf_free(&jf);
	mf_buf_free(&jt);
}

/* 'text': when the short path takes it, the tree gives the same bytes;
 * the message back to JSON likewise. 1 if the short path took it. */
static int
s_fz_check(const char *text, size_t len)
{
	mf_buf_t	fast = { 0 }, tree = { 0 };
	mf_err_t	err = { 0 };
	int		took = 0;

	if (mf__json_to_mp(text, len, &fast, 1, &err) == 0) {
		took = 1;
		if (mf__json_to_mp(text, len, &tree, 0, &err) != 0)
			mf__test_fail(__FILE__, __LINE__, "the tree refused "
			    "what the short path took: %.*s: %s", (int)len,
			    text, err.msg);
		if (fast.len != tree.len || memcmp(fast.data, tree.data,
		    fast.len) != 0)
			mf__test_fail(__FILE__, __LINE__, "msgpack differs "
			    "for %.*s", (int)len, text);
	} else
		MF_ASSERT_EQ(0, fast.len);
	if (took)
		s_fz_json_same(&fast);
	mf_buf_free(&fast);
	mf_buf_free(&tree);
	return took;
}

MF_TEST(wire_json_short_paths_agree)
{
	static const char *const fixed[] = {
		"{}", " { } ", "{\"a\":1}", "{\"a\":-0,\"b\":0.0,\"c\":-1.5e3,"
		"\"d\":1E-7,\"e\":9223372036854775807,\"f\":"
		"-9223372036854775808}",
		"{\"a\":9223372036854775808}", "{\"a\":1e999}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}",
		"{\"a\":\"\\u00e9\\u4e2d\\ud83d\\ude00\\u0000x\"}",
		"{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude00\"}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
		"{\"a\":\"raw\ttab\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xe2\x82\"}", "{\"a\":1,\"a\":2}",
		"{\"a\\u0000\":1}", "{\"\":{\"\":[]}}", "{\"a\":[1,[2,[3]]]}",
		"{\"a\":[1,]}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1} x",
		"{\"a\":1}\n\r\t ", "[1]", "\"s\"", "", "{",
		"{\"a\":tru}", "{\"a\":nul}", "{\"a\":true,\"b\":false,"
		"\"c\":null}", "\xef\xbb\xbf{}",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":"
		"{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{"
		"\"q\":{\"r\":{\"s\":{\"t\":{\"u\":{\"v\":{\"w\":{\"x\":{"
		"\"y\":{\"z\":{\"A\":{\"B\":{\"C\":{\"D\":{\"E\":{\"F\":{"
		"\"G\":{}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}",
	};
	static const size_t flags[] = { JSON_COMPACT, JSON_INDENT(2),
	    JSON_ENSURE_ASCII | JSON_COMPACT, JSON_ESCAPE_SLASH,
	    JSON_REAL_PRECISION(5) };
	size_t	took = 0, tried = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		took += (size_t)s_fz_check(fixed[i], strlen(fixed[i]));
	/* Raw NUL and a lone control byte inside the text. */
	(void)s_fz_check("{\"a\":\"x\0y\"}", 11);
	for (int i = 0; i < 3000; i++) {
		json_t	*o = json_object();
		char	*t;

		for (int k = 1 + (int)(s_fz_rand() % 6); k > 0; k--) {
			char key[16];

			snprintf(key, sizeof(key), "k%u", s_fz_rand() % 9);
			json_object_set_new(o, key, s_fz_json(0));
		}
		t = json_dumps(o, flags[s_fz_rand() % 5]);
		MF_ASSERT_NOT_NULL(t);
		took += (size_t)s_fz_check(t, strlen(t));
		tried++;
		free(t);
		json_decref(o);
	}
	/* Most generated documents are the common case. */
	MF_ASSERT(took > tried / 2);
	for (int i = 0; i < 3000; i++) {
		mf_buf_t	mp = { 0 };
		int		n = 1 + (int)(s_fz_rand() % 5);

		MF_ASSERT_EQ(0, mf__mp_put_map(&mp, (size_t)n));
		for (int k = 0; k < n; k++) {
			switch (s_fz_rand() % 4) {
			case 0:
				MF_ASSERT_EQ(0, mf__mp_put_uint(&mp,
				    s_fz_rand() % 3));
				break;
			case 1:
				MF_ASSERT_EQ(0, mf__mp_put_str(&mp, "k\0\xff",
				    s_fz_rand() % 4));
				break;
			default:
				MF_ASSERT_EQ(0, mf__mp_put_str(&mp, "key",
				    s_fz_rand() % 4));
				break;
			}
			switch (s_fz_rand() % 6) {
			case 0:
				MF_ASSERT_EQ(0, mf__mp_put_uint(&mp,
				    UINT64_MAX - s_fz_rand()));
				break;
			case 1:
				MF_ASSERT_EQ(0, mf__mp_put_double(&mp,
				    s_fz_rand() % 2 ? NAN : -0.0));
				break;
			case 2:
				MF_ASSERT_EQ(0, mf__mp_put_str(&mp,
				    "a\xc3\x28\xed\xa0\x80\xf4\x90\x80\x80\x01"
				    "\"", s_fz_rand() % 13));
				break;
			case 3:
				MF_ASSERT_EQ(0, mf__mp_put_bin(&mp, "\0\x80",
				    2));
				break;
			case 4:
				MF_ASSERT_EQ(0, mf__mp_put_double(&mp,
				    (double)s_fz_rand() * 1e300));
				break;
			default:
				MF_ASSERT_EQ(0, mf__mp_put_int(&mp,
				    -(int64_t)s_fz_rand()));
				break;
			}
		}
		s_fz_json_same(&mp);
		mf_buf_free(&mp);
	}
}

/* 'a' and 'b' are the same post, field by field (absent ones too). */
static int
s_same_post(const mf_post_t *a, const mf_post_t *b)
{
	const char *const	x[] = { a->post_id, a->revision, a->instance,
	    a->thread_id, a->title, a->lang, a->url };
	const char *const	y[] = { b->post_id, b->revision, b->instance,
	    b->thread_id, b->title, b->lang, b->url };

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if ((x[i] == NULL) != (y[i] == NULL) || (x[i] != NULL &&
		    strcmp(x[i], y[i]) != 0))
			return 0;
	return a->v == b->v && a->body_len == b->body_len &&
	    memcmp(a->body, b->body, a->body_len) == 0 &&
	    a->body_format == b->body_format &&
	    a->revision_is_int == b->revision_is_int && a->ts == b->ts &&
	    a->deadline_ms == b->deadline_ms &&
	    a->author.len == b->author.len && (a->author.len == 0 ||
	    memcmp(a->author.data, b->author.data, a->author.len) == 0) &&
	    a->ext.len == b->ext.len && (a->ext.len == 0 ||
	    memcmp(a->ext.data, b->ext.data, a->ext.len) == 0);
}

/* 'text' decoded as a post by mf_wire_decode_post_json() and the long
 * way: the same post, or the same error. 1 if the direct path took it. */
static int
s_post_ways_agree(const char *text, size_t len)
{
	mf_err_t	 e1 = { 0 }, e2 = { 0 };
	mf_post_t	*a, *b = NULL, *d = NULL;
	int		 took;

	took = mf__json_post(text, len, 1, &d, &e1) == 0;
	if (took && mf__json_post(text, len, 0, &b, &e2) != 0)
		mf__test_fail(__FILE__, __LINE__, "the long way refused what "
		    "the direct path took: %.*s: %s", (int)len, text, e2.msg);
	if (took && !s_same_post(d, b))
		mf__test_fail(__FILE__, __LINE__, "another post by the "
		    "direct path: %.*s", (int)len, text);
	mf_post_destroy(&b);
	mf_post_destroy(&d);
	a = mf_wire_decode_post_json(text, len, &e1);
	(void)mf__json_post(text, len, 0, &b, &e2);
	MF_ASSERT_EQ(a == NULL, b == NULL);
	if (a != NULL && !s_same_post(a, b))
		mf__test_fail(__FILE__, __LINE__, "another post: %.*s",
		    (int)len, text);
	MF_ASSERT_EQ(e1.code, e2.code);
	MF_ASSERT_STR_EQ(e1.where, e2.where);
	MF_ASSERT_STR_EQ(e1.msg, e2.msg);
	mf_post_destroy(&a);
	mf_post_destroy(&b);
	return took;
}

MF_TEST(wire_json_direct_post_agrees)
{
	static const char *const fixed[] = {
		"{\"post_id\":\"p\",\"body\":\"b\"}",
		" {\"body\" : \"b\\u00e9\\ud83d\\ude00\\u0000\\n\" ,"
		"\"post_id\":\"p\",\"lang\":\"en\",\"label\":\"x\","
		"\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,"
		"\"title\":null} \r\n",
		"{}", "{\"post_id\":\"p\"}", "{\"body\":\"b\"}",
		"{\"post_id\":\"\",\"body\":\"b\"}",
		"{\"post_id\":\"a\\u0000\",\"body\":\"b\"}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"post_id\":\"q\"}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"k\":1,\"k\":2}",
		"{\"post_id\":\"p\",\"b\\u006fdy\":\"b\"}",
		"{\"post_id\":\"p\",\"body\":1}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"lang\":\"e\\u0000\"}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"lang\":5}",
		"{\"post_id\":\"p\",\"body\":\"\\ud800\"}",
		"{\"post_id\":\"p\",\"body\":\"\\udc00x\"}",
		"{\"post_id\":\"p\",\"body\":\"\\x\"}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"n\":9223372036854775808}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"n\":1e999}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"o\":{\"a\":1}}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"ext\":{\"a\":1}}",
		"{\"post_id\":\"p\",\"body\":\"b\",\"v\":2,\"ts\":5}",
		"{\"post_id\":\"p\",\"body\":\"b\",}",
		"{\"post_id\":\"p\",\"body\":\"b\"} x",
		"{\"post_id\":\"p\",\"body\":\"b\"",
		"{\"post_id\":\"p\",\"body\":\"\xff\"}",
		"{\"post_id\":\"\xc3\",\"body\":\"b\"}",
		"{\"post_id\":\"p\",\"body\":\"raw\ttab\"}",
	};
	static const char *const keys[] = { "post_id", "body", "lang",
	    "title", "url", "instance", "thread_id", "label", "kind", "v",
	    "ext", "revision", "ts", "body_format", "author", "deadline_ms" };
	static const size_t flags[] = { JSON_COMPACT, JSON_INDENT(2),
	    JSON_ENSURE_ASCII | JSON_COMPACT, JSON_ESCAPE_SLASH,
	    JSON_PRESERVE_ORDER };
	size_t	took = 0, tried = 0;
	char	big[300];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		took += (size_t)s_post_ways_agree(fixed[i], strlen(fixed[i]));
	(void)s_post_ways_agree("{\"post_id\":\"p\",\"body\":\"x\0y\"}", 27);
	memset(big, 'x', sizeof(big));
	for (int n = 250; n < 262; n++) {
		char	t[400];

		snprintf(t, sizeof(t), "{\"post_id\":\"%.*s\",\"body\":\"b\"}",
		    n, big);
		took += (size_t)s_post_ways_agree(t, strlen(t));
	}
	for (int i = 0; i < 3000; i++) {
		json_t	*o = json_object();
		char	*t;
		size_t	 len;

		if (s_fz_rand() % 16)
			json_object_set_new(o, "post_id", s_fz_rand() % 8 ?
			    json_string("p-1") : s_fz_json(2));
		if (s_fz_rand() % 16)
			json_object_set_new(o, "body", s_fz_rand() % 8 ?
			    json_string("Vaccines \"cause\" caf\xc3\xa9 \\ "
			    "autism\n\t\xf0\x9f\x98\x80 and so on, long "
			    "enough for eight bytes at a time") :
			    s_fz_json(2));
		for (int k = (int)(s_fz_rand() % 4); k > 0; k--)
			json_object_set_new(o, keys[s_fz_rand() % 16],
			    s_fz_rand() % 4 ? json_string("en") :
			    s_fz_json(2));
		t = json_dumps(o, flags[s_fz_rand() % 5]);
		MF_ASSERT_NOT_NULL(t);
		len = strlen(t);
		took += (size_t)s_post_ways_agree(t, len);
		tried++;
		/* And broken: a byte changed or the text cut short. */
		if (len > 0) {
			size_t	at = s_fz_rand() % len;
			char	was = t[at];

			t[at] = "\"\\{}[],:u0\xff\x01 "[s_fz_rand() % 14];
			(void)s_post_ways_agree(t, len);
			t[at] = was;
			(void)s_post_ways_agree(t, at);
		}
		free(t);
		json_decref(o);
	}
	/* Both ways are tried: a third of the generated posts are the
	 * common case (990 of 3000 with this seed). */
	MF_ASSERT(took > tried / 4 && took < tried);
}

/* A verdict of every shape the encoder meets: optional fields absent or
 * set, strings to escape, non-finite and huge numbers, 'ext' fine or
 * one the long way must handle or refuse. */
static mf_verdict_t *
s_fz_verdict(void)
{
	static const char *const strs[] = { "p-1", "caf\xc3\xa9",
	    "q\"u\\o/te", "tab\there\x01\x1f\x7f", "\xff\xfe bad", "",
	    "https://www.who.int/news-room/fact-sheets/detail/measles",
	    "\xe2\x80\xa8 sep", "\xf0\x9f\x98\x80 0123456789abcdef" };
	static const double nums[] = { 0.0, -0.0, 1.0, 6.0, 0.1, 1.0 / 3,
	    1e300, -2.5e-8, 123456789012345.0, 1e15, 1e16, NAN, INFINITY,
	    -INFINITY, 0.87, -7.0 };
	static const char *const revs[] = { "12", "-5", "12x", "", "r1",
	    "99999999999999999999" };
	static const struct {
		const char	*b;
		size_t		 n;
	} exts[] = {
		{ "\x81\xa1k\x94\x01\xfe\xcb\x3f\xf8\0\0\0\0\0\0\xc0", 16 },
		{ "\x82\xa1k\x01\xa1k\x02", 7 },	/* a key twice */
		{ "\x81\x07\xa1v", 4 },		/* an integer key */
		{ "\x81\xc3\x01", 3 },		/* a boolean key */
		{ "\x81\xa1k", 3 },			/* truncated */
		{ "\x91\x01", 2 },			/* not a map */
		{ "\x81\xa2\xff\x00\xc4\x02\x00\x80", 8 },
		{ "\x81\xa1k\xd4\x01\x00", 6 },		/* an ext type */
		{ "\x80", 1 },
	};
	mf_verdict_t	*v;
	mf_hit_t	*h;
	unsigned	 r = s_fz_rand();

	v = mf_verdict_new(r % 5 ? strs[s_fz_rand() % 9] : NULL);
	MF_ASSERT_NOT_NULL(v);
	v->v = r % 7 == 0 ? -3 : r % 7 == 1 ? 7 : 0;
	if (s_fz_rand() % 3 == 0) {
		v->revision = mf_strdup(revs[s_fz_rand() % 6]);
		v->revision_is_int = (int)(s_fz_rand() % 2);
	}
	if (s_fz_rand() % 4 == 0)
		v->instance = mf_strdup(strs[s_fz_rand() % 9]);
	if (s_fz_rand() % 3 == 0) {
		size_t	e = s_fz_rand() % 9;

		v->ext.data = mf_malloc(exts[e].n);
		memcpy(v->ext.data, exts[e].b, exts[e].n);
		v->ext.len = exts[e].n;
	}
	v->status = (mf_status_t)(s_fz_rand() % 4);
	if (s_fz_rand() % 4 == 0)
		MF_ASSERT_EQ(0, mf_verdict_set_error(v, MF_STATUS_ERROR,
		    "line %u: %s", s_fz_rand(), strs[s_fz_rand() % 9]));
	v->action = (mf_action_t)(s_fz_rand() % 5);
	v->score = nums[s_fz_rand() % 16];
	for (int i = (int)(s_fz_rand() % 4); i > 0; i--) {
		h = s_fz_rand() % 4 ? mf_verdict_add_hit(v) :
		    mf_verdict_add_suppressed(v);
		MF_ASSERT_NOT_NULL(h);
		if (s_fz_rand() % 5)
			h->rule = mf_strdup(strs[s_fz_rand() % 9]);
		if (s_fz_rand() % 5)
			h->claim = mf_strdup(strs[s_fz_rand() % 9]);
		if (s_fz_rand() % 5)
			h->category = mf_strdup("vaccines");
		if (s_fz_rand() % 5)
			h->tier = mf_strdup("harmful");
		h->score = nums[s_fz_rand() % 16];
		h->mode = (mf_mode_t)(s_fz_rand() % 3);
		h->question = s_fz_rand() % 3 == 0;
		h->probability = s_fz_rand() % 2 ? nums[s_fz_rand() % 16] : 0;
		if (s_fz_rand() % 5 == 0)
			h->error = mf_strdup("match limit");
		if (s_fz_rand() % 5 == 0) {
			h->unless = mf_strdup("(?i)\\bnot\\b \"x\"");
			h->unless_span.start = s_fz_rand() % 50;
			h->unless_span.end = h->unless_span.start + 3;
			h->unless_span.field = s_fz_rand() % 2 ?
			    MF_FIELD_TITLE : MF_FIELD_BODY;
		}
		h->nspans = s_fz_rand() % 4;
		h->spans = h->nspans ? mf_calloc(h->nspans,
		    sizeof(*h->spans)) : NULL;
		for (size_t k = 0; k < h->nspans; k++) {
			h->spans[k].start = s_fz_rand() % 9 == 0 ?
			    SIZE_MAX - 1 : s_fz_rand() % 1000;
			h->spans[k].end = h->spans[k].start + 1;
			h->spans[k].field = s_fz_rand() % 3 == 0 ?
			    MF_FIELD_TITLE : MF_FIELD_BODY;
		}
	}
	for (int i = (int)(s_fz_rand() % 3); i > 0; i--)
		MF_ASSERT_EQ(0, mf_verdict_add_source(v, s_fz_rand() % 4 ?
		    strs[s_fz_rand() % 9] : NULL, s_fz_rand() % 4 ?
		    "t.co" : NULL, (mf_list_t)(s_fz_rand() % 3)));
	for (int i = (int)(s_fz_rand() % 4); i > 0; i--)
		MF_ASSERT_EQ(0, mf_verdict_add_evidence(v,
		    strs[s_fz_rand() % 9]));
	if (s_fz_rand() % 2)
		v->ruleset = mf_strdup("9a818a24ae880ed8");
	if (s_fz_rand() % 2)
		v->sources_version = mf_strdup(strs[s_fz_rand() % 9]);
	if (s_fz_rand() % 4 == 0)
		v->worker = mf_strdup("w-1");
	v->latency_us = s_fz_rand() % 5 == 0 ? UINT64_MAX - s_fz_rand() :
	    s_fz_rand();
	v->seq = s_fz_rand() % 3 ? 0 : (uint64_t)INT64_MAX + s_fz_rand() % 2;
	v->gen = s_fz_rand() % 3 ? 0 : s_fz_rand();
	v->flags = s_fz_rand() % ((1u << MF_VF_COUNT) - 1);
	return v;
}

MF_TEST(wire_json_direct_verdict_agrees)
{
	mf_buf_t	 a = { 0 }, b = { 0 };
	mf_err_t	 e1, e2;
	mf_verdict_t	*v;
	size_t		 took = 0, tried = 0;

	for (int i = 0; i < 5000; i++) {
		int	d, rc;

		v = s_fz_verdict();
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		d = mf__json_verdict(v, &a, 1, &e1);
		took += d == 0;
		tried++;
		rc = mf_wire_encode_verdict_json(v, &a, &e1);
		MF_ASSERT_EQ(rc, mf__json_verdict(v, &b, 0, &e2));
		MF_ASSERT_EQ(e1.code, e2.code);
		MF_ASSERT_STR_EQ(e1.msg, e2.msg);
		MF_ASSERT_STR_EQ(e1.where, e2.where);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			mf__test_fail(__FILE__, __LINE__, "JSON differs: "
			    "%s vs %s", a.data, b.data);
		mf_verdict_destroy(&v);
	}
	MF_ASSERT(took > tried / 2);
	mf_buf_free(&a);
	mf_buf_free(&b);
}

/* The typed reading of replies (mpack.c): keys looked up, maps and
 * arrays walked, numbers and strings read, the value written as JSON. */
MF_TEST(mpack_typed_reading)
{
	mf_err_t	 err = { 0 };
	mf_buf_t	 b = { 0 }, j = { 0 };
	mf__mp_obj_t	 r, o, k, v;
	mf__mp_iter_t	 it;
	json_t		*t;
	char		 s[8], *text;
	uint64_t	 u = 0;
	size_t		 n = 0;

	/* {"ok": true, "seq": 7, "neg": -3, "f": 2.5, "name": "ab\"c",
	 *  "w": [{"id": 1}, {"id": 2}], "h": {"R-1": [3, 4]}} */
	mf__mp_put_map(&b, 7);
	mf__mp_put_cstr(&b, "ok");
	mf__mp_put_bool(&b, 1);
	mf__mp_put_cstr(&b, "seq");
	mf__mp_put_uint(&b, 7);
	mf__mp_put_cstr(&b, "neg");
	mf__mp_put_int(&b, -3);
	mf__mp_put_cstr(&b, "f");
	mf__mp_put_double(&b, 2.5);
	mf__mp_put_cstr(&b, "name");
	mf__mp_put_cstr(&b, "ab\"c");
	mf__mp_put_cstr(&b, "w");
	mf__mp_put_array(&b, 2);
	mf__mp_put_map(&b, 1);
	mf__mp_put_cstr(&b, "id");
	mf__mp_put_uint(&b, 1);
	mf__mp_put_map(&b, 1);
	mf__mp_put_cstr(&b, "id");
	mf__mp_put_uint(&b, 2);
	mf__mp_put_cstr(&b, "h");
	mf__mp_put_map(&b, 1);
	mf__mp_put_cstr(&b, "R-1");
	mf__mp_put_array(&b, 2);
	mf__mp_put_uint(&b, 3);
	mf__mp_put_uint(&b, 4);
	MF_ASSERT_EQ(0, mf__mp_open(&r, b.data, b.len, MF_WIRE_MAX_MSG, 1,
	    "reply", &err));
	MF_ASSERT_EQ(MF__MP_MAP, mf__mp_obj_type(&r));
	MF_ASSERT_EQ(7, mf__mp_obj_len(&r));
	MF_ASSERT_EQ(1, mf__mp_get_int(&r, "ok", 0));
	MF_ASSERT_EQ(7, mf__mp_get_int(&r, "seq", 0));
	MF_ASSERT_EQ(-3, mf__mp_get_int(&r, "neg", 0));
	MF_ASSERT_EQ(2, mf__mp_get_int(&r, "f", 0));
	MF_ASSERT_EQ(-9, mf__mp_get_int(&r, "absent", -9));
	MF_ASSERT_EQ(-9, mf__mp_get_int(&r, "name", -9));
	MF_ASSERT_STR_EQ("ab\"c", mf__mp_get_str(&r, "name", s, sizeof(s)));
	MF_ASSERT_STR_EQ("7", mf__mp_get_str(&r, "seq", s, sizeof(s)));
	MF_ASSERT_STR_EQ("", mf__mp_get_str(&r, "w", s, sizeof(s)));
	MF_ASSERT_STR_EQ("a", mf__mp_get_str(&r, "name", s, 2));
	MF_ASSERT_EQ(-1, mf__mp_get(&r, "ab", &o));
	MF_ASSERT_EQ(0, mf__mp_get(&r, "w", &o));
	MF_ASSERT_EQ(-1, mf__mp_iter_init(&it, &o, MF__MP_MAP));
	MF_ASSERT_EQ(0, mf__mp_iter_next(&it, &k, &v));
	MF_ASSERT_EQ(0, mf__mp_iter_init(&it, &o, MF__MP_ARRAY));
	while (mf__mp_iter_next(&it, NULL, &v) == 1)
		MF_ASSERT_EQ((long long)++n, mf__mp_get_int(&v, "id", 0));
	MF_ASSERT_EQ(2, n);
	MF_ASSERT_EQ(0, mf__mp_get(&r, "h", &o));
	MF_ASSERT_EQ(0, mf__mp_iter_init(&it, &o, MF__MP_MAP));
	MF_ASSERT_EQ(1, mf__mp_iter_next(&it, &k, &v));
	MF_ASSERT(mf__mp_obj_streq(&k, "R-1"));
	MF_ASSERT_EQ(0, mf__mp_iter_init(&it, &v, MF__MP_ARRAY));
	MF_ASSERT_EQ(1, mf__mp_iter_next(&it, NULL, &v));
	MF_ASSERT_EQ(0, mf__mp_obj_uint(&v, &u));
	MF_ASSERT_EQ(3, u);
	MF_ASSERT_EQ(3, mf__mp_obj_int(&v, 0));
	MF_ASSERT_EQ(-1, mf__mp_obj_int(&k, -1));
	MF_ASSERT_EQ(0, mf__mp_json(&r, &j, &err));
	MF_ASSERT_STR_EQ("{\"ok\":true,\"seq\":7,\"neg\":-3,\"f\":2.5,"
	    "\"name\":\"ab\\\"c\",\"w\":[{\"id\":1},{\"id\":2}],"
	    "\"h\":{\"R-1\":[3,4]}}", j.data);
	/* As jansson values, dumped by jansson: the same text. */
	MF_ASSERT_NOT_NULL(t = mf__mp_json_tree(&r, &err));
	MF_ASSERT_NOT_NULL(text = json_dumps(t, JSON_COMPACT));
	MF_ASSERT_STR_EQ(j.data, text);
	json_decref(t);
	free(text);
	MF_ASSERT_NOT_NULL(t = mf__json_string("a\n\x01\xff", 4));
	MF_ASSERT_NOT_NULL(text = json_dumps(t, JSON_ENCODE_ANY));
	MF_ASSERT_STR_EQ("\"a\\n\\u0001\xef\xbf\xbd\"", text);
	json_decref(t);
	free(text);

	/* Malformed replies are refused with a reason, before any look. */
	MF_ASSERT_EQ(-1, mf__mp_open(&r, "\x81\xa2ok", 4, MF_WIRE_MAX_MSG, 1,
	    "reply", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "truncated");
	MF_ASSERT_EQ(-1, mf__mp_open(&r, "\xdf\xff\xff\xff\xff", 5,
	    MF_WIRE_MAX_MSG, 1, "reply", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "larger than");
	MF_ASSERT_EQ(-1, mf__mp_open(&r, "\x92\x01\x02", 3, MF_WIRE_MAX_MSG,
	    1, "reply", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "expected a msgpack map");
	/* An unchecked span read by the helpers stays inside its bytes. */
	r.p = (const unsigned char *)"\x82\xa1k\xdd\xff\xff\xff\xff";
	r.end = r.p + 8;
	MF_ASSERT_EQ(-1, mf__mp_get(&r, "x", &o));
	MF_ASSERT_EQ(-9, mf__mp_get_int(&r, "k", -9));
	mf_buf_reset(&j);
	MF_ASSERT_EQ(-1, mf__mp_json(&r, &j, &err));
	MF_ASSERT_EQ(0, j.len);
	mf_buf_free(&j);
	mf_buf_free(&b);
}
