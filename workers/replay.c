/*
 * replay.c - medflagd's side of catch-up: the `replay` control command
 * (verdicts from the Redis journal, for a subscriber that missed some)
 * and where seq starts when medflagd starts.
 *
 * replay {since, limit} answers {ok, verdicts: [map...], count, next,
 * seq, journal_pending, journal_gap?: [[from, to]...], note?}: 'next' is
 * the 'since' of the following call; 'seq' the newest seq published;
 * 'journal_gap' the ranges of this run that were published but never
 * journalled (Redis down too long), so a subscriber knows they cannot be
 * caught up instead of waiting for them. The Redis connection is made on
 * the first replay and remade after an error; a replay blocks the main
 * loop for at most a few redis_timeout_ms.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "broker.h"
#include "store.h"

#define S_LIMIT_DEFAULT	1000
#define S_LIMIT_MAX	10000
/* Verdicts the journal writer may hold unwritten (journal.c's ring). */
#define S_SEQ_MARGIN	65536

typedef struct s_collect {
	mf_buf_t	 buf;
	uint64_t	 n, last;
	int		 oom;
} s_collect_t;

static int
s_on_entry(uint64_t seq, const void *msg, size_t len, void *arg)
{
	s_collect_t	*c = arg;

	/* Only well-formed maps go into the answer, as they are. */
	if (len == 0 || mf_proto_mp_skip(msg, len, MF_WIRE_MAX_DEPTH + 1) !=
	    len)
		return 0;
	if (mf_buf_append(&c->buf, msg, len) != 0) {
		c->oom = 1;
		return 1;
	}
	c->n++;
	c->last = seq;
	return 0;
}

static void
s_str(msgpack_packer *pk, const char *s)
{
	size_t	n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static mf_store_t *
s_store(mf_broker_t *b, char *err, size_t cap)
{
	mf_store_t	*st = b->replay_store;

	if (st != NULL && mf_store_broken(st))
		mf_store_destroy(&st);
	if (st == NULL)
		st = mf_store_connect(&b->cfg, b->cfg.redis_timeout_ms, err,
		    cap);
	b->replay_store = st;
	return st;
}

static uint64_t
s_arg_u64(const msgpack_object *map, const char *key, uint64_t def)
{
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return def;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv	*kv = &map->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == strlen(key) &&
		    memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0 &&
		    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			return kv->val.via.u64;
	}
	return def;
}

void
mf_broker_replay(mf_broker_t *b, const void *args, size_t alen,
    msgpack_sbuffer *sb)
{
	msgpack_packer	 pk;
	msgpack_unpacked u;
	const msgpack_object *map = NULL;
	uint64_t	 since, limit, gaps[MF_JOURNAL_GAPS][2];
	size_t		 ngaps, pending, nshow = 0;
	s_collect_t	 c = {0};
	mf_store_t	*st;
	char		 err[300];
	int		 n, up;
	uint64_t	 written, skipped;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&u);
	if (args != NULL && alen > 0 && msgpack_unpack_next(&u, args, alen,
	    NULL) == MSGPACK_UNPACK_SUCCESS)
		map = &u.data;
	since = s_arg_u64(map, "since", 0);
	limit = s_arg_u64(map, "limit", S_LIMIT_DEFAULT);
	msgpack_unpacked_destroy(&u);
	if (limit == 0 || limit > S_LIMIT_MAX)
		limit = S_LIMIT_MAX;
	mf_journal_status(&b->journal, &up, &written, &skipped, &pending);
	ngaps = mf_journal_gaps(&b->journal, since, gaps, MF_JOURNAL_GAPS);

	if ((st = s_store(b, err, sizeof(err))) == NULL)
		n = -1;
	else if ((n = mf_store_journal_since(st, since, (size_t)limit,
	    s_on_entry, &c)) < 0)
		snprintf(err, sizeof(err), "%s", mf_store_error(st));
	if (n < 0 || c.oom) {
		msgpack_pack_map(&pk, 4);
		s_str(&pk, "ok");
		msgpack_pack_false(&pk);
		s_str(&pk, "error");
		s_str(&pk, c.oom ? "out of memory in medflagd" : err);
		s_str(&pk, "seq");
		msgpack_pack_uint64(&pk, b->seq);
		s_str(&pk, "journal_skipped");
		msgpack_pack_uint64(&pk, skipped);
		mf_buf_free(&c.buf);
		if (n < 0 && st != NULL)
			mf_store_destroy((mf_store_t **)&b->replay_store);
		return;
	}
	nshow = ngaps ? 2 : 0;
	msgpack_pack_map(&pk, 6 + nshow);
	s_str(&pk, "ok");
	msgpack_pack_true(&pk);
	s_str(&pk, "verdicts");
	msgpack_pack_array(&pk, (size_t)c.n);
	if (c.buf.len > 0)
		msgpack_sbuffer_write(sb, c.buf.data, c.buf.len);
	s_str(&pk, "count");
	msgpack_pack_uint64(&pk, c.n);
	s_str(&pk, "next");
	msgpack_pack_uint64(&pk, c.n ? c.last + 1 : since);
	s_str(&pk, "seq");
	msgpack_pack_uint64(&pk, b->seq);
	s_str(&pk, "journal_pending");
	msgpack_pack_uint64(&pk, pending);
	if (ngaps) {
		s_str(&pk, "journal_gap");
		msgpack_pack_array(&pk, ngaps);
		for (size_t i = 0; i < ngaps; i++) {
			msgpack_pack_array(&pk, 2);
			msgpack_pack_uint64(&pk, gaps[i][0]);
			msgpack_pack_uint64(&pk, gaps[i][1]);
		}
		s_str(&pk, "note");
		s_str(&pk, "some verdicts after 'since' were published but "
		    "not journalled (Redis was unavailable); they cannot be "
		    "replayed");
	}
	mf_buf_free(&c.buf);
}

void
mf_broker_replay_close(mf_broker_t *b)
{
	mf_store_destroy((mf_store_t **)&b->replay_store);
}

void
mf_broker_seq_resume(mf_broker_t *b)
{
	char		 err[300];
	uint64_t	 last = 0;
	mf_store_t	*st;

	if (b->cfg.journal_max <= 0)
		return;
	st = mf_store_connect(&b->cfg, b->cfg.redis_timeout_ms * 5 + 500, err,
	    sizeof(err));
	if (st == NULL) {
		mf_log_warnx("%s; seq starts at 1 (subscribers see it go "
		    "back)", err);
		return;
	}
	if (mf_store_journal_last(st, &last) != 0)
		mf_log_warnx("redis: journal: %s; seq starts at 1",
		    mf_store_error(st));
	else if (last > 0) {
		/* What the last run published but had not journalled when
		 * it stopped is at most the writer's ring: skip past it so
		 * that no seq names two verdicts. */
		b->seq = last + S_SEQ_MARGIN;
		mf_log_info("journal: newest seq %llu; this run starts at "
		    "%llu", (unsigned long long)last,
		    (unsigned long long)b->seq + 1);
	}
	mf_store_destroy(&st);
}
