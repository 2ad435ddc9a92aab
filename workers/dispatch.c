/*
 * dispatch.c - medflagd's credit-based dispatcher: the FIFO queue, the
 * in-flight table, the connected workers, and what happens to a verdict.
 *
 * Workers announce a credit (posts they may hold). A post goes only to a
 * worker with credit left and stays in the in-flight table until its
 * first verdict; when a worker dies its posts go back to the front of the
 * queue, and a post that has killed poison_kills workers gets an error
 * verdict instead. Not responsible for sockets' setup (medflagd.c) or for
 * starting processes (supervise.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "broker.h"

/* ---- queue ------------------------------------------------------------ */

static int
s_q_grow(mf_broker_t *b)
{
	size_t		 cap = b->qcap ? b->qcap * 2 : 1024;
	mf_entry_t	**q = malloc(cap * sizeof(*q));

	if (q == NULL)
		return -1;
	for (size_t i = 0; i < b->qlen; i++)
		q[i] = b->q[(b->qhead + i) % b->qcap];
	free(b->q);
	b->q = q;
	b->qcap = cap;
	b->qhead = 0;
	return 0;
}

static int
s_q_push(mf_broker_t *b, mf_entry_t *e, int front)
{
	if (b->qlen == b->qcap && s_q_grow(b) != 0)
		return -1;
	if (front) {
		b->qhead = (b->qhead + b->qcap - 1) % b->qcap;
		b->q[b->qhead] = e;
	} else
		b->q[(b->qhead + b->qlen) % b->qcap] = e;
	b->qlen++;
	return 0;
}

static mf_entry_t *
s_q_pop(mf_broker_t *b)
{
	mf_entry_t	*e;

	if (b->qlen == 0)
		return NULL;
	e = b->q[b->qhead];
	b->qhead = (b->qhead + 1) % b->qcap;
	b->qlen--;
	return e;
}

/* ---- in-flight table ------------------------------------------------- */

static size_t
s_hash(uint64_t did, size_t cap)
{
	did ^= did >> 33;
	did *= 0xff51afd7ed558ccdULL;
	did ^= did >> 33;
	return (size_t)did & (cap - 1);
}

static int
s_ht_put(mf_broker_t *b, mf_entry_t *e)
{
	size_t	i;

	if ((b->htlen + 1) * 2 > b->htcap) {
		size_t		 cap = b->htcap ? b->htcap * 2 : 1024;
		mf_entry_t	**ht = calloc(cap, sizeof(*ht));

		if (ht == NULL)
			return -1;
		for (size_t k = 0; k < b->htcap; k++) {
			if (b->ht[k] == NULL)
				continue;
			i = s_hash(b->ht[k]->did, cap);
			while (ht[i] != NULL)
				i = (i + 1) & (cap - 1);
			ht[i] = b->ht[k];
		}
		free(b->ht);
		b->ht = ht;
		b->htcap = cap;
	}
	i = s_hash(e->did, b->htcap);
	while (b->ht[i] != NULL)
		i = (i + 1) & (b->htcap - 1);
	b->ht[i] = e;
	b->htlen++;
	return 0;
}

/* The slot holding 'did', or the empty one its probe ends on (the table
 * has room: htcap > 0). */
static size_t
s_ht_slot(const mf_broker_t *b, uint64_t did)
{
	size_t	i = s_hash(did, b->htcap), mask = b->htcap - 1;

	while (b->ht[i] != NULL && b->ht[i]->did != did)
		i = (i + 1) & mask;
	return i;
}

/* The entry for 'did', left in the table, or NULL. */
static mf_entry_t *
s_ht_find(const mf_broker_t *b, uint64_t did)
{
	return b->htcap ? b->ht[s_ht_slot(b, did)] : NULL;
}

/* Removes and returns the entry for 'did', or NULL. Backward-shift
 * deletion keeps every probe chain intact without tombstones. */
static mf_entry_t *
s_ht_take(mf_broker_t *b, uint64_t did)
{
	size_t		 i, j, k, mask = b->htcap - 1;
	mf_entry_t	*e;

	if (b->htcap == 0)
		return NULL;
	i = s_ht_slot(b, did);
	if ((e = b->ht[i]) == NULL)
		return NULL;
	b->ht[i] = NULL;
	b->htlen--;
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (b->ht[j] == NULL)
			break;
		k = s_hash(b->ht[j]->did, b->htcap);
		/* Move ht[j] into the hole at i unless its home k lies
		 * cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		b->ht[i] = b->ht[j];
		b->ht[j] = NULL;
		i = j;
	}
	return e;
}

int
mf_broker_init_tables(mf_broker_t *b)
{
	b->rate_bad = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	b->rate_late = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	b->rate_reject = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	b->next_did = 1;
	return s_q_grow(b);
}

/* Entries are recycled through a free list (at most S_EFREE_MAX kept):
 * one calloc and free per post cost medflagd more than its dispatch. */
#define S_EFREE_MAX	4096

static mf_entry_t	*s_efree;
static size_t		 s_nefree;

static mf_entry_t *
s_entry_new(void)
{
	mf_entry_t	*e = s_efree;

	if (e != NULL) {
		s_efree = *(mf_entry_t **)e;
		s_nefree--;
		return e;
	}
	return malloc(sizeof(*e));
}

static void
s_entry_free(mf_entry_t *e)
{
	if (e == NULL)
		return;
	free(e->post);
	if (s_nefree < S_EFREE_MAX) {
		*(mf_entry_t **)e = s_efree;
		s_efree = e;
		s_nefree++;
	} else
		free(e);
}

static void
s_entry_pool_free(void)
{
	while (s_efree != NULL) {
		mf_entry_t	*e = s_efree;

		s_efree = *(mf_entry_t **)e;
		free(e);
	}
	s_nefree = 0;
}

void
mf_broker_free_tables(mf_broker_t *b)
{
	mf_entry_t	*e;

	while ((e = s_q_pop(b)) != NULL)
		s_entry_free(e);
	for (size_t i = 0; i < b->htcap; i++)
		s_entry_free(b->ht[i]);
	free(b->ht);
	free(b->q);
	free(b->w);
	s_entry_pool_free();
	b->ht = NULL;
	b->q = NULL;
	b->w = NULL;
	b->htcap = b->htlen = b->qcap = b->qlen = b->nw = 0;
}

size_t
mf_broker_in_flight(const mf_broker_t *b)
{
	return b->htlen;
}

size_t
mf_broker_alive(const mf_broker_t *b)
{
	size_t	n = 0;

	for (size_t i = 0; i < b->nw; i++)
		n += b->w[i].used;
	return n;
}

/*
 * Invariants: (1) every in-flight entry names a live worker; (2) the
 * in-flight counts of the workers add up to the table size; (3) queued
 * entries name no worker.
 */
static int
s_broker_ok(const mf_broker_t *b)
{
#ifndef NDEBUG
	size_t	sum = 0;

	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i].used)
			sum += (size_t)b->w[i].in_flight;
	assert(sum == b->htlen);
	for (size_t i = 0; i < b->htcap; i++)
		if (b->ht[i] != NULL)
			assert(b->ht[i]->worker >= 0 &&
			    (size_t)b->ht[i]->worker < b->nw &&
			    b->w[b->ht[i]->worker].used);
	for (size_t i = 0; i < b->qlen; i++)
		assert(b->q[(b->qhead + i) % b->qcap]->worker == -1);
#else
	(void)b;
#endif
	return 1;
}

int
mf_broker_enqueue(mf_broker_t *b, void *post, size_t len, const void *ident,
    size_t identlen, int from_check)
{
	mf_entry_t	*e;

	if (identlen > MF_IDENT_MAX || (e = s_entry_new()) == NULL) {
		free(post);
		return -1;
	}
	e->did = b->next_did++;
	e->post = post;
	e->len = len;
	if (identlen > 0)
		memcpy(e->ident, ident, identlen);
	e->identlen = identlen;
	e->from_check = from_check;
	e->t_recv_us = mf_now_us();
	e->kills = 0;
	e->worker = -1;
	e->dedup = NULL;
	if (s_q_push(b, e, 0) != 0) {
		s_entry_free(e);
		return -1;
	}
	return 0;
}

/* ---- completing a post ------------------------------------------------ */

/* The generation a verdict is stamped with: its worker's (reload.c), or
 * 0 to keep the verdict's own (medflagd's error verdicts, dedup's). */
static uint64_t
s_verdict_gen(const mf_broker_t *b, const mf_entry_t *e)
{
	if (e == NULL || e->worker < 0 || (size_t)e->worker >= b->nw ||
	    !b->w[e->worker].used)
		return 0;
	return b->w[e->worker].gen;
}

/*
 * The stamped verdict goes into one zmq_msg_t that the verdicts PUB, the
 * check reply and the journal share (zmq_msg_copy counts references
 * instead of copying): one allocation and one copy per verdict.
 */
void
mf_broker_complete(mf_broker_t *b, mf_entry_t *e, const void *ident,
    size_t identlen, int from_check, const void *verdict, size_t len,
    int action, int status, unsigned meta)
{
	static char	 topics[MF_ACT_BLOCK + 1][32];
	static size_t	 tlen[MF_ACT_BLOCK + 1];
	const void	*msg = verdict;
	size_t		 msglen = len;
	uint64_t	 lat = 0;
	zmq_msg_t	 m;

	if (action < 0 || action > MF_ACT_BLOCK)
		action = MF_ACT_NONE;
	if (status < 0 || status > MF_STATUS_SKIPPED)
		status = MF_STATUS_ERROR;
	if (tlen[action] == 0) {
		snprintf(topics[action], sizeof(topics[action]), "verdict.%s",
		    mf_action_name((mf_action_t)action));
		tlen[action] = strlen(topics[action]);
	}
	if (e != NULL) {
		lat = (uint64_t)(mf_now_us() - e->t_recv_us);
		b->st.latency[mf_lathist_bucket(lat)]++;
		b->st.latency_sum += lat;
		if (lat > b->st.latency_max)
			b->st.latency_max = lat;
	}
	b->seq++;
	if (mf_proto_stamp(verdict, len, b->seq, lat, s_verdict_gen(b, e),
	    b->cfg.shadow, &b->scratch) == 0) {
		msg = b->scratch.data;
		msglen = b->scratch.len;
	}
	if (zmq_msg_init_size(&m, msglen) != 0) {
		/* No memory for the shared message: copy per socket. */
		const void	*d[3] = { topics[action], msg };
		size_t		 l[3] = { tlen[action], msglen };

		(void)mf_frames_send(b->pub, 2, d, l, ZMQ_DONTWAIT);
		if (from_check) {
			d[0] = ident;
			d[1] = "";
			d[2] = msg;
			l[0] = identlen;
			l[1] = 0;
			l[2] = msglen;
			(void)mf_frames_send(b->check, 3, d, l, ZMQ_DONTWAIT);
		}
		if (b->cfg.journal_max > 0)
			mf_journal_push(&b->journal, b->seq, msg, msglen);
	} else {
		memcpy(zmq_msg_data(&m), msg, msglen);
		if (b->cfg.journal_max > 0)
			mf_journal_push_msg(&b->journal, b->seq, &m);
		if (mf_zsend(b->pub, topics[action], tlen[action],
		    ZMQ_SNDMORE | ZMQ_DONTWAIT) == (int)tlen[action]) {
			zmq_msg_t	p;

			zmq_msg_init(&p);
			if (zmq_msg_copy(&p, &m) != 0 ||
			    mf_zmsg_send(&p, b->pub, ZMQ_DONTWAIT) < 0)
				zmq_msg_close(&p);
		}
		/* A message libzmq sent is left empty; closing it is a no-op. */
		if (from_check &&
		    mf_zsend(b->check, ident, identlen, ZMQ_SNDMORE |
		    ZMQ_DONTWAIT) == (int)identlen &&
		    mf_zsend(b->check, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
			(void)mf_zmsg_send(&m, b->check, ZMQ_DONTWAIT);
		zmq_msg_close(&m);
	}
	b->st.verdicts[action]++;
	b->st.status[status]++;
	if (meta & MF_PROTO_M_BAD_INPUT)
		b->st.bad_messages++;
	if (meta & MF_PROTO_M_STALE)
		b->st.stale++;
	/* Kept stamped, so that its copies carry its generation. */
	if (e != NULL && e->dedup != NULL)
		mf_broker_dedup_done(b, e->dedup, msg, msglen, action, status,
		    meta);
	s_entry_free(e);
}

void
mf_broker_error(mf_broker_t *b, mf_entry_t *e, const void *post, size_t len,
    const void *ident, size_t identlen, int from_check, int publish,
    const char *fmt, ...)
{
	char		 id[MF_WIRE_ID_CAP], msg[512];
	mf_verdict_t	*v;
	mf_buf_t	 out = {0};
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (post == NULL || mf_wire_peek_post_id(post, len, id,
	    sizeof(id)) != 0)
		id[0] = '\0';
	v = mf_verdict_new(id[0] ? id : NULL);
	if (v != NULL)
		v->gen = b->gen;	/* with b->ruleset, as that says */
	if (v == NULL || mf_verdict_set_error(v, MF_STATUS_ERROR, "%s",
	    msg) != 0 || mf_verdict_set_str(&v->ruleset, b->ruleset) != 0 ||
	    mf_verdict_set_str(&v->worker, "medflagd") != 0 ||
	    mf_wire_encode_verdict(v, &out, NULL) != 0) {
		mf_log_warnx("out of memory writing an error verdict");
		mf_verdict_destroy(&v);
		mf_buf_free(&out);
		s_entry_free(e);
		return;
	}
	if (publish)
		mf_broker_complete(b, e, ident, identlen, from_check,
		    out.data, out.len, MF_ACT_NONE, MF_STATUS_ERROR, 0);
	else {
		if (from_check) {
			const void	*d[3] = { ident, "", out.data };
			size_t		 l[3] = { identlen, 0, out.len };

			(void)mf_frames_send(b->check, 3, d, l, ZMQ_DONTWAIT);
		}
		s_entry_free(e);
	}
	mf_verdict_destroy(&v);
	mf_buf_free(&out);
}

/* ---- workers -------------------------------------------------------- */

static int
s_worker_find(const mf_broker_t *b, const void *ident, size_t len)
{
	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i].used && b->w[i].identlen == len &&
		    memcmp(b->w[i].ident, ident, len) == 0)
			return (int)i;
	return -1;
}

static int
s_worker_add(mf_broker_t *b, const void *ident, size_t len)
{
	size_t	i;

	for (i = 0; i < b->nw; i++)
		if (!b->w[i].used)
			break;
	if (i == b->nw) {
		mf_wrec_t	*w = realloc(b->w, (b->nw + 1) * sizeof(*w));

		if (w == NULL)
			return -1;
		b->w = w;
		b->nw++;
	}
	memset(&b->w[i], 0, sizeof(b->w[i]));
	b->w[i].used = 1;
	b->w[i].id = ++b->next_wid;
	memcpy(b->w[i].ident, ident, len);
	b->w[i].identlen = len;
	b->w[i].joined_ms = b->w[i].last_seen_ms = mf_now_ms();
	b->w[i].maxmsg = (size_t)MF_PROTO_MAX_SOCKET_MSG;
	return (int)i;
}

/* A message of one frame (HB, RELOAD, EXIT, RESET) to the peer 'ident'. */
static void
s_send_cmd(mf_broker_t *b, const void *ident, size_t identlen,
    mf_proto_type_t cmd)
{
	mf_proto_msg_t	m = { .type = cmd };
	mf_proto_out_t	o;

	if (mf_proto_build(&m, &o, NULL) == 0)
		(void)mf_proto_send(b->backend, ident, identlen, &o, NULL,
		    ZMQ_DONTWAIT);
}

void
mf_broker_broadcast(mf_broker_t *b, mf_proto_type_t cmd)
{
	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i].used)
			s_send_cmd(b, b->w[i].ident, b->w[i].identlen, cmd);
}

/* What worker 'wi' held goes back to the front of the queue. With
 * 'blame', each post counts the death towards poison_kills; without (the
 * same process came back on a new connection: its messages were lost,
 * not its life), it does not. */
static void
s_worker_gone(mf_broker_t *b, size_t wi, const char *why, int blame)
{
	mf_wrec_t	*w = &b->w[wi];
	mf_entry_t	*held[256];
	size_t		 n = 0, total = 0, poisoned = 0;

	if (!w->used)
		return;
	b->st.worker_deaths += (uint64_t)blame;
	/* Collect what it held; the table changes as we take entries, so
	 * scan again until none is left (a worker holds at most its credit). */
	for (;;) {
		n = 0;
		for (size_t i = 0; i < b->htcap && n < 256; i++)
			if (b->ht[i] != NULL && b->ht[i]->worker == (int)wi)
				held[n++] = b->ht[i];
		if (n == 0)
			break;
		/* Oldest first, so the front of the queue keeps their order. */
		for (size_t k = 1; k < n; k++)
			for (size_t m = k; m > 0 &&
			    held[m - 1]->did > held[m]->did; m--) {
				mf_entry_t	*t = held[m];

				held[m] = held[m - 1];
				held[m - 1] = t;
			}
		for (size_t k = n; k-- > 0;) {
			mf_entry_t	*e = s_ht_take(b, held[k]->did);

			w->in_flight--;
			e->worker = -1;
			e->kills += blame;
			total++;
			if (blame && e->kills >= b->cfg.poison_kills) {
				poisoned++;
				b->st.poison++;
				mf_broker_error(b, e, e->post, e->len, e->ident,
				    e->identlen, e->from_check, 1,
				    "poison: killed %d workers", e->kills);
				continue;
			}
			b->st.requeued++;
			if (s_q_push(b, e, 1) != 0) {
				mf_broker_error(b, e, e->post, e->len, e->ident,
				    e->identlen, e->from_check, 1,
				    "out of memory in medflagd");
			}
		}
	}
	mf_log_warnx("worker %d (pid %ld) %s; re-dispatching %zu post%s%s",
	    w->id, (long)w->pid, why, total - poisoned,
	    total - poisoned == 1 ? "" : "s",
	    poisoned ? " (some got poison verdicts)" : "");
	w->in_flight = 0;
	w->used = 0;
	mf_broker_reload_gone(b, w, why);
	assert(s_broker_ok(b));
}

void
mf_broker_worker_dead(mf_broker_t *b, size_t wi, const char *why)
{
	s_worker_gone(b, wi, why, 1);
}

/* Entry 'e' went to worker 'wi': in flight until its verdict. */
static void
s_sent(mf_broker_t *b, mf_entry_t *e, size_t wi)
{
	e->worker = (int)wi;
	if (b->w[wi].in_flight++ == 0)
		b->w[wi].progress_ms = mf_now_ms();
	if (s_ht_put(b, e) != 0) {
		b->w[wi].in_flight--;
		mf_broker_error(b, e, e->post, e->len, e->ident,
		    e->identlen, e->from_check, 1,
		    "out of memory in medflagd");
	}
}

/*
 * Sends worker 'wi' up to 'room' queued posts in one POSTS message. A
 * batch takes the worker's fair share of the queue (so a long queue is
 * spread over idle workers instead of lining up behind one), at least
 * S_SHARE_MIN posts (splitting a few posts costs a second worker's round
 * trip, two wakeups and a message each way, which is more than judging
 * them: 12% less worker CPU at 20,000 posts/s) and at most
 * MF_PROTO_BATCH_MAX posts. Returns 0, or -1 if nothing could be sent
 * (the posts stay at the front of the queue, in order).
 */
#define S_SHARE_MIN	8

static int
s_send_batch(mf_broker_t *b, size_t wi, int room)
{
	mf_wrec_t	*w = &b->w[wi];
	mf_entry_t	*es[MF_PROTO_BATCH_MAX];
	mf_proto_msg_t	 m = { .type = MF_PROTO_T_POSTS };
	mf_proto_out_t	 o;
	size_t		 n, idle = 0, share, total = 0, off = 0;
	zmq_msg_t	 body;

	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i].used && b->w[i].gen != 0 &&
		    b->w[i].credit > b->w[i].in_flight)
			idle++;
	share = (b->qlen + idle - 1) / (idle ? idle : 1);
	if (share < S_SHARE_MIN)
		share = S_SHARE_MIN;
	n = (size_t)room;
	if (n > share)
		n = share;
	if (n > (size_t)w->batch)
		n = (size_t)w->batch;
	if (n > MF_PROTO_BATCH_MAX)
		n = MF_PROTO_BATCH_MAX;
	if (n > b->qlen)
		n = b->qlen;
	/* Bytes bound the batch too: the posts go in one frame, and a frame
	 * over the worker's ZMQ_MAXMSGSIZE makes libzmq drop the connection
	 * (16 posts of 300 KB once wedged every worker). The first post
	 * fits: mf_broker_dispatch chose a worker it fits. */
	for (size_t k = 0; k < n; k++) {
		mf_entry_t	*e = b->q[(b->qhead + k) % b->qcap];

		if (k > 0 && e->len > w->maxmsg - total) {
			n = k;
			break;
		}
		es[k] = e;
		total += es[k]->len;
	}
	/* The posts are copied once, straight into the message libzmq
	 * sends (zmq_send would copy them a second time). */
	if (zmq_msg_init_size(&body, total) != 0)
		return -1;
	m.u.batch.n = n;
	for (size_t k = 0; k < n; k++) {
		mf_proto_item_t	*it = &m.u.batch.v[k];

		it->did = es[k]->did;
		it->data = (uint8_t *)zmq_msg_data(&body) + off;
		it->len = es[k]->len;
		memcpy((uint8_t *)zmq_msg_data(&body) + off, es[k]->post,
		    es[k]->len);
		off += es[k]->len;
	}
	if (mf_proto_build(&m, &o, NULL) != 0 || mf_proto_send(b->backend,
	    w->ident, w->identlen, &o, &body, ZMQ_DONTWAIT) != 0) {
		/* Gone or saturated: the heartbeat decides. */
		zmq_msg_close(&body);
		w->credit = w->in_flight;
		return -1;
	}
	zmq_msg_close(&body);
	for (size_t k = 0; k < n; k++)
		s_sent(b, s_q_pop(b), wi);
	return 0;
}

void
mf_broker_dispatch(mf_broker_t *b)
{
	while (b->qlen > 0) {
		mf_wrec_t	*w = NULL;
		mf_entry_t	*e;
		mf_proto_msg_t	 m = { .type = MF_PROTO_T_POST };
		mf_proto_out_t	 o;
		size_t		 best = 0, front = b->q[b->qhead]->len;
		size_t		 biggest = 0;
		int		 room = 0, alive = 0;

		/* The worker with the most credit left that takes the post
		 * at the front, round robin on ties, so two idle workers
		 * share a burst evenly. */
		for (size_t k = 0; k < b->nw; k++) {
			size_t	 i = (b->rr + k) % b->nw;
			int	 r;

			/* gen 0: rules medflagd never checked (reload.c). */
			if (!b->w[i].used || b->w[i].gen == 0)
				continue;
			alive++;
			if (b->w[i].maxmsg > biggest)
				biggest = b->w[i].maxmsg;
			if (b->w[i].maxmsg < front)
				continue;
			r = b->w[i].credit - b->w[i].in_flight;
			if (r > room) {
				room = r;
				best = i;
			}
		}
		if (alive > 0 && front > biggest) {
			/* No worker takes it: said at once, not sent to be
			 * dropped with the connection, nor counted as a
			 * worker's death. */
			e = s_q_pop(b);
			mf_broker_error(b, e, e->post, e->len, e->ident,
			    e->identlen, e->from_check, 1, "post: %zu bytes, "
			    "more than any worker takes (%zu bytes)", e->len,
			    biggest);
			continue;
		}
		if (room <= 0)
			return;
		w = &b->w[best];
		b->rr = best + 1;
		if (w->batch > 1 && b->qlen > 1) {
			if (s_send_batch(b, best, room) != 0)
				return;
			continue;
		}
		e = s_q_pop(b);
		m.u.item.did = e->did;
		m.u.item.data = e->post;
		m.u.item.len = e->len;
		if (mf_proto_build(&m, &o, NULL) != 0 ||
		    mf_proto_send(b->backend, w->ident, w->identlen, &o, NULL,
		    ZMQ_DONTWAIT) != 0) {
			/* The worker is gone or saturated: put the post back
			 * and let the heartbeat decide. */
			(void)s_q_push(b, e, 1);
			w->credit = w->in_flight;
			return;
		}
		s_sent(b, e, best);
	}
}

static void
s_copy_str(char *dst, size_t cap, mf_proto_str_t s)
{
	size_t	n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.s, n);
	dst[n] = '\0';
	/* Worker-supplied text ends up in logs and stats: keep it printable. */
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)dst[k] < 0x20 || (unsigned char)dst[k] > 0x7e)
			dst[k] = '?';
}

static void
s_reject(mf_broker_t *b, int wi, uint64_t did, const char *why)
{
	b->st.rejected_verdicts++;
	if (wi >= 0)
		mf_log_rated(&b->rate_reject, MF_LOG_WARN, "worker %d: "
		    "dropped its verdict for dispatch %llu: %s", b->w[wi].id,
		    (unsigned long long)did, why);
	else
		mf_log_rated(&b->rate_reject, MF_LOG_WARN, "backend: dropped "
		    "a verdict for dispatch %llu from a peer that is not a "
		    "registered worker", (unsigned long long)did);
}

/*
 * One verdict from worker 'wi' (-1: a peer that never sent READY, or
 * one declared dead) for dispatch id 'didp'. Without CURVE anyone who
 * reaches the backend can send one, and dispatch ids are sequential, so
 * a verdict counts only when (1) it comes from the registered worker
 * that holds that id, and (2) it is a well-formed verdict map for that
 * post (mf_proto_verdict_check): its action and status agree with the
 * header medflagd files and publishes it under, its post_id is the
 * post's. Anything else is dropped and counted (rejected_verdicts); the
 * post stays with its worker, and goes to another if that one sends no
 * valid verdict within worker_timeout_ms. The first valid verdict for
 * an id in flight completes the post; a later one is a late duplicate.
 */
static void
s_verdict(mf_broker_t *b, int wi, const mf_proto_item_t *v)
{
	mf_entry_t	*e;
	uint64_t	 did = v->did;
	const uint8_t	*meta = v->meta;
	int		 action = -1, status = -1;
	const uint8_t	*vid;
	size_t		 vidlen;
	char		 id[MF_WIRE_ID_CAP];

	if (wi < 0) {
		s_reject(b, wi, did, "");
		return;
	}
	e = s_ht_find(b, did);
	if (e == NULL) {
		b->st.late_duplicates++;
		mf_log_rated(&b->rate_late, MF_LOG_INFO, "dropped a late "
		    "verdict for dispatch %llu", (unsigned long long)did);
		return;
	}
	if (e->worker != wi) {
		s_reject(b, wi, did, "another worker holds that post");
		return;
	}
	if (mf_proto_verdict_check(v->data, v->len, &action, &status, &vid,
	    &vidlen) != 0) {
		s_reject(b, wi, did, "not a verdict map with a known action "
		    "and status");
		return;
	}
	if (action != meta[0] || status != meta[1]) {
		s_reject(b, wi, did, "its header and its verdict disagree on "
		    "the action or status");
		return;
	}
	if (mf_wire_peek_post_id(e->post, e->len, id, sizeof(id)) == 0 &&
	    (vid == NULL || vidlen != strlen(id) ||
	    memcmp(vid, id, vidlen) != 0)) {
		s_reject(b, wi, did, "the post_id is not the post's");
		return;
	}
	e = s_ht_take(b, did);
	b->w[wi].in_flight--;
	b->w[wi].done++;
	b->w[wi].progress_ms = mf_now_ms();
	mf_broker_complete(b, e, e->ident, e->identlen, e->from_check,
	    v->data, v->len, meta[0], meta[1], meta[2]);
}

/*
 * The rule hits of a heartbeat ("RULE_ID HITS SHADOW" lines). A frame
 * with more lines than there are known rule ids is dropped whole, and
 * only ids of the current (or the previous) rule set are counted: each
 * id costs a field of the Redis hashes of all-time counts, and a peer
 * on the backend could otherwise add tens of thousands per heartbeat.
 */
static void
s_rule_hits(mf_broker_t *b, int wi, mf_proto_str_t hits)
{
	const char	*text = hits.s;
	size_t		 len = hits.len;
	mf_rulehits_t	 h = {0}, known = {0};
	size_t		 lines = 0, bad = 0;

	if (len == 0)
		return;
	for (const char *p = text, *end = text + len; p < end; lines++) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	if (lines > b->rule_ids.len) {
		b->st.bad_messages++;
		mf_log_rated(&b->rate_bad, MF_LOG_WARN, "worker %d sent hits "
		    "for %zu rules, more than the %zu it can know; skipped",
		    b->w[wi].id, lines, b->rule_ids.len);
		return;
	}
	/* Parsed once; the totals since start and the journal's all-time
	 * counts take the same table. */
	bad = mf_rulehits_parse(&h, text, len);
	for (size_t i = 0; i < h.cap; i++)
		if (h.v[i].id != NULL && (mf_rulehits_get(&b->rule_ids,
		    h.v[i].id) == NULL || mf_rulehits_add(&known, h.v[i].id,
		    strlen(h.v[i].id), h.v[i].hits, h.v[i].shadow) != 0))
			bad++;
	if (bad > 0 || mf_rulehits_merge(&b->rule_hits, &known) != 0) {
		b->st.bad_messages++;
		mf_log_rated(&b->rate_bad, MF_LOG_WARN, "worker %d sent %zu "
		    "rule hit line%s that are not \"RULE_ID HITS SHADOW\" "
		    "for a rule of the current rules; skipped", b->w[wi].id,
		    bad, bad == 1 ? "" : "s");
	}
	if (known.len > 0)
		mf_journal_rule_hits(&b->journal, &known);
	mf_rulehits_free(&known);
	mf_rulehits_free(&h);
}

/* READY from the peer 'ident' (worker 'wi', or -1 if new). */
static void
s_ready(mf_broker_t *b, int wi, const void *ident, size_t identlen,
    const mf_proto_ready_t *r)
{
	mf_wrec_t	*w;

	if (wi < 0 && (wi = s_worker_add(b, ident, identlen)) < 0)
		return;
	w = &b->w[wi];
	w->credit = r->credit > 10000 ? 10000 : r->credit;
	w->pid = (pid_t)r->pid;
	s_copy_str(w->host, sizeof(w->host), r->host);
	s_copy_str(w->ruleset, sizeof(w->ruleset), r->ruleset);
	w->batch = r->batch > MF_PROTO_BATCH_MAX ? MF_PROTO_BATCH_MAX :
	    r->batch;
	w->maxmsg = (size_t)(r->maxmsg > MF_PROTO_MAX_SOCKET_MSG ?
	    MF_PROTO_MAX_SOCKET_MSG : r->maxmsg);
	w->last_seen_ms = mf_now_ms();
	mf_log_info("worker %d (pid %ld on %s) ready: credit %d, ruleset %s",
	    w->id, (long)w->pid, w->host, w->credit, w->ruleset);
	/* The same process on a new connection (it reconnects when medflagd
	 * was silent, or a send did not go out): what the old one held goes
	 * on now, and the process is not killed when the old connection
	 * times out. */
	for (size_t k = 0; k < b->nw; k++)
		if (k != (size_t)wi && b->w[k].used && b->w[k].pid == w->pid &&
		    strcmp(b->w[k].host, w->host) == 0)
			s_worker_gone(b, k, "connected again", 0);
	mf_broker_reload_ready(b, (size_t)wi);
}

void
mf_broker_backend_msg(mf_broker_t *b, mf_frames_t *f)
{
	mf_proto_msg_t	 m;
	mf_err_t	 err;
	int		 wi;

	if (f->n < 2 || f->len[0] > MF_IDENT_MAX) {
		b->st.bad_messages++;
		return;
	}
	wi = s_worker_find(b, f->data[0], f->len[0]);
	if (wi >= 0)
		b->w[wi].last_seen_ms = mf_now_ms();
	if (mf_frames_parse(f, 1, 1, &m, &err) != 0) {
		char	who[48] = "a peer that is not a registered worker";

		if (wi >= 0)
			snprintf(who, sizeof(who), "worker %d", b->w[wi].id);
		b->st.bad_messages++;
		mf_log_rated(&b->rate_bad, MF_LOG_WARN, "backend: %s sent a "
		    "message that does not parse (%s%s%s); dropped", who,
		    err.where, err.where[0] ? ": " : "", err.msg);
		return;
	}
	switch (m.type) {
	case MF_PROTO_T_READY:
		s_ready(b, wi, f->data[0], f->len[0], &m.u.ready);
		return;
	case MF_PROTO_T_VERDICT:
		s_verdict(b, wi, &m.u.item);
		break;
	case MF_PROTO_T_VERDICTS:
		for (size_t k = 0; k < m.u.batch.n; k++)
			s_verdict(b, wi, &m.u.batch.v[k]);
		break;
	default:
		break;
	}
	if (wi < 0) {
		/* A worker we declared dead (or never met): ask it to
		 * announce itself again. */
		s_send_cmd(b, f->data[0], f->len[0], MF_PROTO_T_RESET);
		return;
	}
	switch (m.type) {
	case MF_PROTO_T_HB: {
		const mf_proto_hb_t	*h = &m.u.hb;
		mf_wrec_t		*w = &b->w[wi];

		s_copy_str(w->ruleset, sizeof(w->ruleset), h->ruleset);
		s_copy_str(w->sources_version, sizeof(w->sources_version),
		    h->sources_version);
		w->stale = h->stale;
		s_copy_str(w->auto_shadowed, sizeof(w->auto_shadowed),
		    h->auto_shadowed);
		s_rule_hits(b, wi, h->rule_hits);
		s_copy_str(w->demoted, sizeof(w->demoted), h->demoted);
		break;
	}
	case MF_PROTO_T_RELOADED:
	case MF_PROTO_T_RELOADFAIL:
		mf_broker_reload_answer(b, (size_t)wi, &m);
		break;
	case MF_PROTO_T_BYE:
		mf_broker_worker_dead(b, (size_t)wi, "said goodbye");
		break;
	default:
		break;
	}
}

/* The main loop checks timeouts at least every 100 ms; a longer gap
 * means medflagd itself was busy (a reload compiles the rules and runs
 * the canary, seconds on a big rule set) and read no heartbeats. */
#define S_STALL_MS	500

void
mf_broker_heartbeat(mf_broker_t *b, int64_t now)
{
	if (b->hb_checked_ms != 0 && now - b->hb_checked_ms > S_STALL_MS) {
		/* Not the workers' silence: their clocks start over, or a
		 * slow reload would have every worker killed. */
		int64_t	gap = now - b->hb_checked_ms;

		for (size_t i = 0; i < b->nw; i++) {
			b->w[i].last_seen_ms += gap;
			b->w[i].progress_ms += gap;
		}
	}
	b->hb_checked_ms = now;
	for (size_t i = 0; i < b->nw; i++) {
		if (!b->w[i].used)
			continue;
		if (now - b->w[i].last_seen_ms > b->cfg.worker_timeout_ms) {
			char	why[64];

			snprintf(why, sizeof(why), "silent for %lld ms",
			    (long long)(now - b->w[i].last_seen_ms));
			/* A worker compiling new rules says nothing until it
			 * is done (seconds for a big set, on a busy host):
			 * its posts go on, but it is not killed for it. */
			if (!b->w[i].reloading)
				mf_supervise_kill(b, &b->w[i]);
			mf_broker_worker_dead(b, i, why);
			continue;
		}
		/* Heartbeats alone do not keep posts: a worker judging
		 * sends verdicts (in VERDICTS messages of at most 8, each
		 * post within the policy's time budget), so one that holds
		 * posts and sends none for worker_timeout_ms is stuck or
		 * keeping them. */
		if (b->w[i].in_flight > 0 &&
		    now - b->w[i].progress_ms > b->cfg.worker_timeout_ms) {
			char	why[96];

			snprintf(why, sizeof(why), "held %d post%s for %lld "
			    "ms without a verdict", b->w[i].in_flight,
			    b->w[i].in_flight == 1 ? "" : "s",
			    (long long)(now - b->w[i].progress_ms));
			if (!b->w[i].reloading)
				mf_supervise_kill(b, &b->w[i]);
			mf_broker_worker_dead(b, i, why);
			continue;
		}
	}
	if (now >= b->next_hb_ms) {
		mf_broker_broadcast(b, MF_PROTO_T_HB_BROKER);
		b->next_hb_ms = now + b->cfg.heartbeat_ms;
	}
}
