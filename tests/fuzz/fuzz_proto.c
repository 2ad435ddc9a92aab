/*
 * fuzz_proto.c - libFuzzer target for the backend codec (workers/proto.c).
 * The input is a message: its first byte's low bit says which way it
 * goes (1: worker -> medflagd), then frames, each a 2-byte little-endian
 * length and its bytes (the last one cut short at the end of the input).
 * Whatever parses must build again, parse again to the same message, and
 * build to the very frames it came from (but for an older worker's
 * shorter READY or HB, which builds with every frame).
 *
 * Built with -fsanitize=fuzzer by `make fuzz`; linked with replay.c it
 * replays tests/fuzz/corpus/proto/ in `make check`.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
s_parse(int up, const void *const *d, const size_t *l, int n,
    mf_proto_msg_t *m)
{
	mf_err_t	err;
	int		rc = up ? mf_proto_parse_up(d, l, n, m, &err) :
			    mf_proto_parse_down(d, l, n, m, &err);

	/* A refusal says what and where, within its buffers. */
	if (rc != 0)
		S_CHECK(err.code != 0 && memchr(err.msg, '\0',
		    sizeof(err.msg)) != NULL);
	return rc;
}

static int
s_same_str(mf_proto_str_t a, mf_proto_str_t b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

static int
s_same_item(const mf_proto_item_t *a, const mf_proto_item_t *b)
{
	return a->did == b->did && memcmp(a->meta, b->meta, 3) == 0 &&
	    a->len == b->len && (a->len == 0 ||
	    memcmp(a->data, b->data, a->len) == 0);
}

static void
s_same(const mf_proto_msg_t *a, const mf_proto_msg_t *b)
{
	S_CHECK(a->type == b->type);
	switch (a->type) {
	case MF_PROTO_T_READY:
		S_CHECK(a->u.ready.credit == b->u.ready.credit);
		S_CHECK(a->u.ready.pid == b->u.ready.pid);
		S_CHECK(s_same_str(a->u.ready.host, b->u.ready.host));
		S_CHECK(s_same_str(a->u.ready.ruleset, b->u.ready.ruleset));
		S_CHECK(a->u.ready.batch == b->u.ready.batch);
		S_CHECK(a->u.ready.maxmsg == b->u.ready.maxmsg);
		break;
	case MF_PROTO_T_HB:
		S_CHECK(s_same_str(a->u.hb.ruleset, b->u.hb.ruleset));
		S_CHECK(s_same_str(a->u.hb.sources_version,
		    b->u.hb.sources_version));
		S_CHECK(a->u.hb.stale == b->u.hb.stale);
		S_CHECK(s_same_str(a->u.hb.auto_shadowed,
		    b->u.hb.auto_shadowed));
		S_CHECK(s_same_str(a->u.hb.rule_hits, b->u.hb.rule_hits));
		S_CHECK(s_same_str(a->u.hb.demoted, b->u.hb.demoted));
		break;
	case MF_PROTO_T_VERDICT:
	case MF_PROTO_T_POST:
		S_CHECK(s_same_item(&a->u.item, &b->u.item));
		break;
	case MF_PROTO_T_VERDICTS:
	case MF_PROTO_T_POSTS:
		S_CHECK(a->u.batch.n == b->u.batch.n);
		S_CHECK(a->u.batch.n >= 1 &&
		    a->u.batch.n <= MF_PROTO_BATCH_MAX);
		for (size_t k = 0; k < a->u.batch.n; k++)
			S_CHECK(s_same_item(&a->u.batch.v[k],
			    &b->u.batch.v[k]));
		break;
	case MF_PROTO_T_RELOAD:
	case MF_PROTO_T_RELOADED:
	case MF_PROTO_T_RELOADFAIL:
		S_CHECK(a->u.reload.gen == b->u.reload.gen);
		S_CHECK(s_same_str(a->u.reload.hash, b->u.reload.hash));
		S_CHECK(s_same_str(a->u.reload.why, b->u.reload.why));
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const void	*d[MF_PROTO_MAX_FRAMES];
	size_t		 l[MF_PROTO_MAX_FRAMES], off = 1;
	int		 n = 0, up;
	mf_proto_msg_t	 m, again;
	mf_proto_out_t	 o, o2;
	mf_err_t	 err;

	if (size < 1)
		return 0;
	up = data[0] & 1;
	while (off < size && n < MF_PROTO_MAX_FRAMES) {
		size_t	len = data[off];

		if (off + 1 < size)
			len |= (size_t)data[off + 1] << 8;
		off += 2;
		if (off > size)
			off = size;
		if (len > size - off)
			len = size - off;
		d[n] = data + off;
		l[n++] = len;
		off += len;
	}
	if (s_parse(up, d, l, n, &m) != 0)
		return 0;
	S_CHECK(mf_proto_build(&m, &o, &err) == 0);
	S_CHECK(s_parse(up, o.data, o.len, o.n, &again) == 0);
	s_same(&m, &again);
	S_CHECK(mf_proto_build(&again, &o2, &err) == 0);
	S_CHECK(o.n == o2.n);
	for (int i = 0; i < o.n; i++)
		S_CHECK(o.len[i] == o2.len[i] && (o.len[i] == 0 ||
		    memcmp(o.data[i], o2.data[i], o.len[i]) == 0));
	if ((m.type == MF_PROTO_T_READY || m.type == MF_PROTO_T_HB) &&
	    n < 7)
		return 0;
	S_CHECK(o.n == n);
	for (int i = 0; i < n; i++)
		S_CHECK(o.len[i] == l[i] && (l[i] == 0 ||
		    memcmp(o.data[i], d[i], l[i]) == 0));
	return 0;
}
