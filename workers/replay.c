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
 * caught up instead of waiting for them.
 *
 * Requests are answered by a thread with its own Redis connection, so a
 * slow Redis or a large replay never holds up dispatch: the main loop
 * hands [identity, delimiter flag, args] over an inproc PAIR and sends on
 * what comes back. The thread finds the first entry with seq >= since by
 * bisecting the stream's IDs (they grow with time, and seq grows with
 * them: it continues across restarts), about twenty one-entry XRANGEs,
 * then reads forward: a replay costs the same however far back it
 * starts.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis.h>
#include <msgpack.h>
#include <zmq.h>

#include "broker.h"
#include "mpack.h"
#include "store.h"

#define S_LIMIT_DEFAULT	1000
#define S_LIMIT_MAX	10000
#define S_PAGE		500
/* Verdicts the journal writer may hold unwritten (journal.c's ring). */
#define S_SEQ_MARGIN	65536

typedef struct s_replay {
	pthread_t	 th;
	void		*main_end, *thr_end;	/* inproc PAIR */
	const mf_config_t *cfg;
	mf_journal_t	*j;
	redisContext	*c;
	char		 key[160];
	char		 err[300];
} s_replay_t;

/* ---- Redis ------------------------------------------------------------ */

static redisReply *
s_cmd(s_replay_t *r, int argc, const char **argv)
{
	size_t		 lens[8];
	redisReply	*rep;

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	rep = redisCommandArgv(r->c, argc, argv, lens);
	if (rep == NULL) {
		snprintf(r->err, sizeof(r->err), "redis: %s",
		    r->c->errstr[0] ? r->c->errstr : "no reply");
		redisFree(r->c);
		r->c = NULL;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(r->err, sizeof(r->err), "redis: %s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static int
s_connect(s_replay_t *r)
{
	char		 host[1024], pw[256], db[16];
	int		 port = 0, dbn = 0;
	int		 ms = r->cfg->redis_timeout_ms * 5;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	redisReply	*rep;

	if (r->c != NULL)
		return 0;
	if (mf_store_parse_url(r->cfg->redis, host, sizeof(host), &port, &dbn,
	    pw, sizeof(pw), r->err, sizeof(r->err)) != 0)
		return -1;
	r->c = port == 0 ? redisConnectUnixWithTimeout(host, tv) :
	    redisConnectWithTimeout(host, port, tv);
	if (r->c == NULL || r->c->err) {
		snprintf(r->err, sizeof(r->err), "redis %.200s: %.80s", host,
		    r->c ? r->c->errstr : "out of memory");
		if (r->c)
			redisFree(r->c);
		r->c = NULL;
		return -1;
	}
	(void)redisSetTimeout(r->c, tv);
	if (pw[0] == '\0')
		snprintf(pw, sizeof(pw), "%s", r->cfg->redis_password);
	if (pw[0] != '\0') {
		const char	*a[2] = { "AUTH", pw };

		if ((rep = s_cmd(r, 2, a)) == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	if (dbn != 0) {
		const char	*a[2] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", dbn);
		if ((rep = s_cmd(r, 2, a)) == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	return 0;
fail:
	if (r->c != NULL)
		redisFree(r->c);
	r->c = NULL;
	return -1;
}

/* Reads entry 'e' ([id, [field, value...]]): its ms, seq and message. */
static int
s_entry(const redisReply *e, uint64_t *ms, uint64_t *n, uint64_t *seq,
    const char **msg, size_t *len)
{
	const char *id;

	if (mf_store_journal_entry(e, &id, seq, msg, len) == -1 ||
	    sscanf(id, "%" SCNu64 "-%" SCNu64, ms, n) != 2)
		return -1;
	return 0;
}

/* The first entry at or after ID 'from' (or of the end given): its ms and
 * seq in *ms, *seq. 1 found, 0 none, -1 error. */
static int
s_one(s_replay_t *r, const char *cmd, const char *a, const char *b,
    uint64_t *ms, uint64_t *seq)
{
	const char	*argv[6] = { cmd, r->key, a, b, "COUNT", "1" };
	redisReply	*rep = s_cmd(r, 6, argv);
	uint64_t	 n;
	const char	*msg;
	size_t		 len;
	int		 rc = 0;

	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
	    s_entry(rep->element[0], ms, &n, seq, &msg, &len) == 0)
		rc = 1;
	freeReplyObject(rep);
	return rc;
}

/* Appends to 'out' up to 'limit' journalled verdicts with seq >= since;
 * '*count' and '*last' say how many and the last seq. 0 or -1. */
static int
s_read(s_replay_t *r, uint64_t since, uint64_t limit, mf_buf_t *out,
    uint64_t *count, uint64_t *last)
{
	uint64_t	 ms_lo, ms_hi, seq, lo, hi, mid, m;
	char		 from[48], a[48];
	int		 rc;

	*count = 0;
	/* The newest entry: nothing to do unless its seq reaches 'since'. */
	if ((rc = s_one(r, "XREVRANGE", "+", "-", &ms_hi, &seq)) <= 0)
		return rc;
	if (seq < since)
		return 0;
	if ((rc = s_one(r, "XRANGE", "-", "+", &ms_lo, &seq)) <= 0)
		return rc;
	/* Smallest ms whose first entry has seq >= since (ms_hi + 1 stands
	 * for "none"); start one ms before it, where entries with seq below
	 * and above 'since' may share the millisecond. */
	lo = ms_lo;
	hi = ms_hi + 1;
	while (seq < since && lo < hi) {
		mid = lo + (hi - lo) / 2;
		snprintf(a, sizeof(a), "%" PRIu64 "-0", mid);
		if ((rc = s_one(r, "XRANGE", a, "+", &m, &seq)) < 0)
			return -1;
		if (rc == 0 || seq >= since)
			hi = mid;
		else
			lo = (m > mid ? m : mid) + 1;
		seq = 0;
	}
	snprintf(from, sizeof(from), "%" PRIu64 "-0", lo > ms_lo ? lo - 1 :
	    ms_lo);
	for (;;) {
		const char	*argv[6] = { "XRANGE", r->key, from, "+",
		    "COUNT", NULL };
		char		 cnt[16];
		redisReply	*rep;
		uint64_t	 ems = 0, en = 0;

		snprintf(cnt, sizeof(cnt), "%d", S_PAGE);
		argv[5] = cnt;
		if ((rep = s_cmd(r, 6, argv)) == NULL)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(rep);
			return -1;
		}
		for (size_t i = 0; i < rep->elements && *count < limit; i++) {
			const char	*msg;
			size_t		 len;

			if (s_entry(rep->element[i], &ems, &en, &seq, &msg,
			    &len) != 0 || seq < since || msg == NULL ||
			    mf_proto_mp_skip((const uint8_t *)msg, len,
			    MF_WIRE_MAX_DEPTH + 1) != len)
				continue;
			/* A repeated seq (an append that landed twice). */
			if (*count > 0 && seq <= *last)
				continue;
			if (mf_buf_append(out, msg, len) != 0) {
				freeReplyObject(rep);
				snprintf(r->err, sizeof(r->err),
				    "out of memory in medflagd");
				return -1;
			}
			(*count)++;
			*last = seq;
		}
		rc = rep->elements < S_PAGE || *count >= limit;
		freeReplyObject(rep);
		if (rc)
			return 0;
		snprintf(from, sizeof(from), "%" PRIu64 "-%" PRIu64, ems,
		    en + 1);
	}
}

/* ---- the thread --------------------------------------------------------- */


static uint64_t
s_arg_u64(const mf__mp_obj_t *map, const char *key, uint64_t def)
{
	mf__mp_obj_t	o;
	uint64_t	u;

	if (mf__mp_get(map, key, &o) == 0 && mf__mp_obj_uint(&o, &u) == 0)
		return u;
	return def;
}

/* Answers one request into 'sb'. */
static void
s_answer(s_replay_t *r, const void *args, size_t alen, msgpack_sbuffer *sb)
{
	msgpack_packer	 pk;
	mf__mp_obj_t	 map = { NULL, NULL };
	mf_err_t	 err = { 0 };
	uint64_t	 since, limit, count = 0, last = 0, seq;
	uint64_t	 gaps[MF_JOURNAL_GAPS][2];
	size_t		 ngaps, pending;
	mf_buf_t	 out = {0};
	int		 rc;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (args != NULL && alen > 0 && mf__mp_open(&map, args, alen,
	    MF_WIRE_MAX_MSG, 1, "replay arguments", &err) == -1) {
		char	msg[sizeof(err.msg) + 64];

		snprintf(msg, sizeof(msg), "%s; send a map {since, limit}",
		    err.msg);
		pthread_mutex_lock(&r->j->mu);
		seq = r->j->last_seq;
		pthread_mutex_unlock(&r->j->mu);
		msgpack_pack_map(&pk, 3);
		mf_pk_str(&pk, "ok");
		msgpack_pack_false(&pk);
		mf_pk_str(&pk, "error");
		mf_pk_str(&pk, msg);
		mf_pk_str(&pk, "seq");
		msgpack_pack_uint64(&pk, seq);
		return;
	}
	since = s_arg_u64(&map, "since", 0);
	limit = s_arg_u64(&map, "limit", S_LIMIT_DEFAULT);
	if (limit == 0 || limit > S_LIMIT_MAX)
		limit = S_LIMIT_MAX;
	rc = s_connect(r);
	if (rc == 0 && (rc = s_read(r, since, limit, &out, &count,
	    &last)) != 0 && r->c == NULL && s_connect(r) == 0) {
		/* The connection had gone stale: once more, afresh. */
		mf_buf_reset(&out);
		rc = s_read(r, since, limit, &out, &count, &last);
	}
	pthread_mutex_lock(&r->j->mu);
	seq = r->j->last_seq;
	pending = r->j->len;
	pthread_mutex_unlock(&r->j->mu);
	if (rc != 0) {
		msgpack_pack_map(&pk, 3);
		mf_pk_str(&pk, "ok");
		msgpack_pack_false(&pk);
		mf_pk_str(&pk, "error");
		mf_pk_str(&pk, r->err);
		mf_pk_str(&pk, "seq");
		msgpack_pack_uint64(&pk, seq);
		mf_buf_free(&out);
		return;
	}
	ngaps = mf_journal_gaps(r->j, since, gaps, MF_JOURNAL_GAPS);
	msgpack_pack_map(&pk, 6 + (ngaps ? 2 : 0));
	mf_pk_str(&pk, "ok");
	msgpack_pack_true(&pk);
	mf_pk_str(&pk, "verdicts");
	msgpack_pack_array(&pk, (size_t)count);
	if (out.len > 0)
		msgpack_sbuffer_write(sb, out.data, out.len);
	mf_pk_str(&pk, "count");
	msgpack_pack_uint64(&pk, count);
	mf_pk_str(&pk, "next");
	msgpack_pack_uint64(&pk, count ? last + 1 : since);
	mf_pk_str(&pk, "seq");
	msgpack_pack_uint64(&pk, seq);
	mf_pk_str(&pk, "journal_pending");
	msgpack_pack_uint64(&pk, pending);
	if (ngaps) {
		mf_pk_str(&pk, "journal_gap");
		msgpack_pack_array(&pk, ngaps);
		for (size_t i = 0; i < ngaps; i++) {
			msgpack_pack_array(&pk, 2);
			msgpack_pack_uint64(&pk, gaps[i][0]);
			msgpack_pack_uint64(&pk, gaps[i][1]);
		}
		mf_pk_str(&pk, "note");
		mf_pk_str(&pk, "some verdicts after 'since' were published but "
		    "not journalled (Redis was unavailable); they cannot be "
		    "replayed");
	}
	mf_buf_free(&out);
}

static void *
s_main(void *arg)
{
	s_replay_t	*r = arg;

	for (;;) {
		mf_frames_t	 f;
		msgpack_sbuffer	 sb;

		if (mf_frames_recv(r->thr_end, &f, 0) != 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (f.n == 1 && mf_frames_is(&f, 0, "STOP")) {
			mf_frames_free(&f);
			break;
		}
		if (f.n < 2) {
			mf_frames_free(&f);
			continue;
		}
		msgpack_sbuffer_init(&sb);
		s_answer(r, f.n > 2 ? f.data[2] : NULL, f.n > 2 ? f.len[2] : 0,
		    &sb);
		{
			const void	*d[3] = { f.data[0], f.data[1], sb.data };
			size_t		 l[3] = { f.len[0], f.len[1], sb.size };

			(void)mf_frames_send(r->thr_end, 3, d, l, 0);
		}
		msgpack_sbuffer_destroy(&sb);
		mf_frames_free(&f);
	}
	if (r->c != NULL)
		redisFree(r->c);
	return NULL;
}

/* ---- the main loop's side ----------------------------------------------- */

int
mf_replay_start(mf_broker_t *b)
{
	s_replay_t	*r = calloc(1, sizeof(*r));
	char		 ep[64];
	int		 hwm = 64, linger = 0;

	if (r == NULL)
		return -1;
	r->cfg = &b->cfg;
	r->j = &b->journal;
	snprintf(r->key, sizeof(r->key), "%sjournal", b->cfg.redis_prefix);
	snprintf(ep, sizeof(ep), "inproc://medflagd-replay-%p", (void *)r);
	r->main_end = zmq_socket(b->ctx, ZMQ_PAIR);
	r->thr_end = zmq_socket(b->ctx, ZMQ_PAIR);
	if (r->main_end == NULL || r->thr_end == NULL)
		goto fail;
	zmq_setsockopt(r->main_end, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(r->main_end, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(r->thr_end, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(r->main_end, ep) != 0 || zmq_connect(r->thr_end, ep) != 0)
		goto fail;
	if (pthread_create(&r->th, NULL, s_main, r) != 0)
		goto fail;
	b->replay = r;
	return 0;
fail:
	if (r->main_end)
		zmq_close(r->main_end);
	if (r->thr_end)
		zmq_close(r->thr_end);
	free(r);
	return -1;
}

void *
mf_replay_socket(mf_broker_t *b)
{
	return b->replay ? ((s_replay_t *)b->replay)->main_end : NULL;
}

void
mf_replay_request(mf_broker_t *b, const mf_frames_t *f, int delim, int ci)
{
	s_replay_t	*r = b->replay;
	const void	*d[3];
	size_t		 l[3];
	int		 n = 2;

	d[0] = f->data[0];
	l[0] = f->len[0];
	d[1] = delim ? "1" : "0";
	l[1] = 1;
	if (ci + 1 < f->n) {
		d[2] = f->data[ci + 1];
		l[2] = f->len[ci + 1];
		n = 3;
	}
	if (r != NULL && mf_frames_send(r->main_end, n, d, l,
	    ZMQ_DONTWAIT) == 0)
		return;
	/* The replay thread is saturated: say so rather than queue. */
	{
		msgpack_sbuffer	 sb;
		msgpack_packer	 pk;
		const void	*rd[3] = { f->data[0], "", NULL };
		size_t		 rl[3] = { f->len[0], 0, 0 };

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 2);
		mf_pk_str(&pk, "ok");
		msgpack_pack_false(&pk);
		mf_pk_str(&pk, "error");
		mf_pk_str(&pk, "busy: too many replays waiting, retry");
		rd[2] = sb.data;
		rl[2] = sb.size;
		if (delim)
			(void)mf_frames_send(b->control, 3, rd, rl,
			    ZMQ_DONTWAIT);
		else {
			rd[1] = sb.data;
			rl[1] = sb.size;
			(void)mf_frames_send(b->control, 2, rd, rl,
			    ZMQ_DONTWAIT);
		}
		msgpack_sbuffer_destroy(&sb);
	}
}

void
mf_replay_forward(mf_broker_t *b)
{
	s_replay_t	*r = b->replay;

	for (int i = 0; r != NULL && i < 64; i++) {
		mf_frames_t	f;

		if (mf_frames_recv(r->main_end, &f, ZMQ_DONTWAIT) != 0)
			break;
		if (f.n == 3) {
			const void	*d[3] = { f.data[0], "", f.data[2] };
			size_t		 l[3] = { f.len[0], 0, f.len[2] };

			if (mf_frames_is(&f, 1, "1"))
				(void)mf_frames_send(b->control, 3, d, l,
				    ZMQ_DONTWAIT);
			else {
				d[1] = f.data[2];
				l[1] = f.len[2];
				(void)mf_frames_send(b->control, 2, d, l,
				    ZMQ_DONTWAIT);
			}
		}
		mf_frames_free(&f);
	}
}

void
mf_replay_stop(mf_broker_t *b)
{
	s_replay_t	*r = b->replay;
	const void	*d[1] = { "STOP" };
	size_t		 l[1] = { 4 };

	if (r == NULL)
		return;
	(void)mf_frames_send(r->main_end, 1, d, l, 0);
	pthread_join(r->th, NULL);
	zmq_close(r->main_end);
	zmq_close(r->thr_end);
	free(r);
	b->replay = NULL;
}

/* Without the journal's newest seq, the clock: microseconds since 1970
 * stay above any earlier run's seq (each run numbers from its own start
 * and publishes far fewer than a million verdicts a second). */
static void
s_seq_from_clock(mf_broker_t *b, const char *why)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	b->seq = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	mf_log_warnx("%s; seq continues from the clock: %llu", why,
	    (unsigned long long)b->seq + 1);
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
		s_seq_from_clock(b, err);
		return;
	}
	if (mf_store_journal_last(st, &last) != 0)
		s_seq_from_clock(b, mf_store_error(st));
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
