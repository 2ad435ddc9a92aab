/*
 * dispatch_core.c - medflagd's dispatcher without I/O (see
 * dispatch_core.h): what happens to a post between its arrival and its
 * verdict, as calls that change the state and list what to send.
 *
 * Workers announce a credit (posts they may hold). A post goes only to a
 * worker with credit left and stays in the in-flight table until its
 * first verdict; when a worker dies its posts go back to the front of the
 * queue, and a post that has killed poison_kills workers gets an error
 * verdict instead. Not responsible for sockets, the codec's bytes on the
 * wire, logs or stats (dispatch.c), nor for processes (supervise.c).
 *
 * Invariants, checked by mf_dispatch_ok() under assert after each call:
 *   1. every post made is in exactly one of the queue, the in-flight
 *      table or done: made == qlen + htlen + done;
 *   2. queued entries name no worker; every in-flight entry names a
 *      worker in use;
 *   3. the in-flight counts of the workers add up to the table size, and
 *      each counts the entries that name it;
 *   4. no worker's credit or in-flight count is negative;
 *   5. no dispatch id is both queued and in flight, nor twice in either.
 * The full walk (2, 3's second half, 5) costs O(queue + table): it runs
 * when a worker is gone, and after every call in dispatch_test.c.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_core.h"

/* ---- the out-queue ---------------------------------------------------- */

static void	s_entry_release(mf_dispatch_t *self, mf_entry_t *e);

/* Forgets the last call's actions and frees the entries they named. */
static void
s_reset(mf_dispatch_t *self)
{
	for (size_t i = 0; i < self->nout; i++)
		mf_buf_free(&self->out[i].buf);
	self->nout = 0;
	while (self->gone != NULL) {
		mf_entry_t	*e = self->gone;

		self->gone = e->next;
		s_entry_release(self, e);
	}
}

/* A new action of 'type', zeroed but for it; NULL out of memory. The
 * pointer is valid until the next s_act. */
static mf_dact_t *
s_act(mf_dispatch_t *self, mf_dact_type_t type)
{
	mf_dact_t	*a;

	if (self->nout == self->outcap) {
		size_t	 cap = self->outcap ? self->outcap * 2 : 64;

		if ((a = realloc(self->out, cap * sizeof(*a))) == NULL)
			return NULL;
		self->out = a;
		self->outcap = cap;
	}
	a = &self->out[self->nout++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->w = -1;
	return a;
}

static void
s_client(mf_client_t *c, const void *ident, size_t identlen, int from_check)
{
	if (identlen > MF_IDENT_MAX)
		identlen = 0;
	if (identlen > 0)
		memcpy(c->ident, ident, identlen);
	c->identlen = identlen;
	c->from_check = from_check;
}

const mf_dact_t *
mf_dispatch_actions(const mf_dispatch_t *self, size_t *n)
{
	*n = self->nout;
	return self->out;
}

/* ---- entries ---------------------------------------------------------- */

/* Entries are recycled through a free list (at most S_EFREE_MAX kept):
 * one calloc and free per post cost medflagd more than its dispatch. */
#define S_EFREE_MAX	4096

static mf_entry_t *
s_entry_new(mf_dispatch_t *self)
{
	mf_entry_t	*e = self->efree;

	if (e != NULL) {
		self->efree = e->next;
		self->nefree--;
		return e;
	}
	return malloc(sizeof(*e));
}

static void
s_entry_release(mf_dispatch_t *self, mf_entry_t *e)
{
	free(e->post);
	e->post = NULL;
	if (self->nefree < S_EFREE_MAX) {
		e->next = self->efree;
		self->efree = e;
		self->nefree++;
	} else
		free(e);
}

/* 'e' is done: freed when the actions naming it are forgotten. */
static void
s_entry_done(mf_dispatch_t *self, mf_entry_t *e)
{
	e->next = self->gone;
	self->gone = e;
	self->done++;
}

/* ---- queue ------------------------------------------------------------ */

static int
s_q_grow(mf_dispatch_t *self)
{
	size_t		 cap = self->qcap ? self->qcap * 2 : 1024;
	mf_entry_t	**q = malloc(cap * sizeof(*q));

	if (q == NULL)
		return -1;
	for (size_t i = 0; i < self->qlen; i++)
		q[i] = self->q[(self->qhead + i) % self->qcap];
	free(self->q);
	self->q = q;
	self->qcap = cap;
	self->qhead = 0;
	return 0;
}

static int
s_q_push(mf_dispatch_t *self, mf_entry_t *e, int front)
{
	if (self->qlen == self->qcap && s_q_grow(self) != 0)
		return -1;
	if (front) {
		self->qhead = (self->qhead + self->qcap - 1) % self->qcap;
		self->q[self->qhead] = e;
	} else
		self->q[(self->qhead + self->qlen) % self->qcap] = e;
	self->qlen++;
	return 0;
}

static mf_entry_t *
s_q_pop(mf_dispatch_t *self)
{
	mf_entry_t	*e;

	if (self->qlen == 0)
		return NULL;
	e = self->q[self->qhead];
	self->qhead = (self->qhead + 1) % self->qcap;
	self->qlen--;
	return e;
}

static mf_entry_t *
s_q_at(const mf_dispatch_t *self, size_t i)
{
	return self->q[(self->qhead + i) % self->qcap];
}

/* ---- in-flight table -------------------------------------------------- */

static size_t
s_hash(uint64_t did, size_t cap)
{
	did ^= did >> 33;
	did *= 0xff51afd7ed558ccdULL;
	did ^= did >> 33;
	return (size_t)did & (cap - 1);
}

/* Room for 'n' more entries, keeping the load at most one half. */
static int
s_ht_reserve(mf_dispatch_t *self, size_t n)
{
	size_t		 cap = self->htcap ? self->htcap : 1024, i;
	mf_entry_t	**ht;

	while ((self->htlen + n) * 2 > cap)
		cap *= 2;
	if (cap == self->htcap)
		return 0;
	if ((ht = calloc(cap, sizeof(*ht))) == NULL)
		return -1;
	for (size_t k = 0; k < self->htcap; k++) {
		if (self->ht[k] == NULL)
			continue;
		i = s_hash(self->ht[k]->did, cap);
		while (ht[i] != NULL)
			i = (i + 1) & (cap - 1);
		ht[i] = self->ht[k];
	}
	free(self->ht);
	self->ht = ht;
	self->htcap = cap;
	return 0;
}

/* Adds 'e'; the caller reserved room. */
static void
s_ht_put(mf_dispatch_t *self, mf_entry_t *e)
{
	size_t	i = s_hash(e->did, self->htcap);

	while (self->ht[i] != NULL)
		i = (i + 1) & (self->htcap - 1);
	self->ht[i] = e;
	self->htlen++;
}

/* The slot holding 'did', or the empty one its probe ends on (the table
 * has room: htcap > 0). */
static size_t
s_ht_slot(const mf_dispatch_t *self, uint64_t did)
{
	size_t	i = s_hash(did, self->htcap), mask = self->htcap - 1;

	while (self->ht[i] != NULL && self->ht[i]->did != did)
		i = (i + 1) & mask;
	return i;
}

/* The entry for 'did', left in the table, or NULL. */
static mf_entry_t *
s_ht_find(const mf_dispatch_t *self, uint64_t did)
{
	return self->htcap ? self->ht[s_ht_slot(self, did)] : NULL;
}

/* Removes and returns the entry for 'did', or NULL. Backward-shift
 * deletion keeps every probe chain intact without tombstones. */
static mf_entry_t *
s_ht_take(mf_dispatch_t *self, uint64_t did)
{
	size_t		 i, j, k, mask = self->htcap - 1;
	mf_entry_t	*e;

	if (self->htcap == 0)
		return NULL;
	i = s_ht_slot(self, did);
	if ((e = self->ht[i]) == NULL)
		return NULL;
	self->ht[i] = NULL;
	self->htlen--;
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (self->ht[j] == NULL)
			break;
		k = s_hash(self->ht[j]->did, self->htcap);
		/* Move ht[j] into the hole at i unless its home k lies
		 * cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		self->ht[i] = self->ht[j];
		self->ht[j] = NULL;
		i = j;
	}
	return e;
}

/* ---- life and invariants ---------------------------------------------- */

int
mf_dispatch_init(mf_dispatch_t *self, const mf_config_t *cfg,
    const char *ruleset, mf_dedup_t *dedup)
{
	assert(self != NULL);
	assert(cfg != NULL);
	assert(ruleset != NULL);
	memset(self, 0, sizeof(*self));
	self->cfg = cfg;
	self->ruleset = ruleset;
	self->dedup = dedup;
	self->next_did = 1;
	self->lastw = -1;
	return s_q_grow(self);
}

void
mf_dispatch_free(mf_dispatch_t *self)
{
	mf_entry_t	*e;

	s_reset(self);
	while ((e = s_q_pop(self)) != NULL)
		free(e->post), free(e);
	for (size_t i = 0; i < self->htcap; i++)
		if ((e = self->ht[i]) != NULL)
			free(e->post), free(e);
	while ((e = self->efree) != NULL) {
		self->efree = e->next;
		free(e);
	}
	free(self->ht);
	free(self->q);
	free(self->w);
	free(self->out);
	self->ht = NULL;
	self->q = NULL;
	self->w = NULL;
	self->out = NULL;
	self->htcap = self->htlen = self->qcap = self->qlen = self->nw = 0;
	self->nefree = self->outcap = self->nlast = 0;
}

int
mf_dispatch_ok(const mf_dispatch_t *self, int full)
{
	size_t	sum = 0;

	if (self->made != self->qlen + self->htlen + self->done)
		return 0;
	for (size_t i = 0; i < self->nw; i++) {
		if (self->w[i].credit < 0 || self->w[i].in_flight < 0)
			return 0;
		if (self->w[i].used)
			sum += (size_t)self->w[i].in_flight;
		else if (self->w[i].in_flight != 0)
			return 0;
	}
	if (sum != self->htlen)
		return 0;
	if (!full)
		return 1;
	for (size_t i = 0; i < self->nw; i++) {
		size_t	held = 0;

		for (size_t k = 0; k < self->htcap; k++)
			held += self->ht[k] != NULL &&
			    self->ht[k]->worker == (int)i;
		if (held != (size_t)self->w[i].in_flight)
			return 0;
	}
	for (size_t k = 0; k < self->htcap; k++) {
		const mf_entry_t	*e = self->ht[k];

		if (e == NULL)
			continue;
		if (e->worker < 0 || (size_t)e->worker >= self->nw ||
		    !self->w[e->worker].used)
			return 0;
		/* Found at its own slot: only once in the table. */
		if (s_ht_find(self, e->did) != e)
			return 0;
	}
	for (size_t i = 0; i < self->qlen; i++) {
		const mf_entry_t	*e = s_q_at(self, i);

		if (e->worker != -1 || s_ht_find(self, e->did) != NULL)
			return 0;
		for (size_t k = i + 1; k < self->qlen; k++)
			if (s_q_at(self, k)->did == e->did)
				return 0;
	}
	return 1;
}

size_t
mf_dispatch_queued(const mf_dispatch_t *self)
{
	return self->qlen;
}

size_t
mf_dispatch_in_flight(const mf_dispatch_t *self)
{
	return self->htlen;
}

size_t
mf_dispatch_alive(const mf_dispatch_t *self)
{
	size_t	n = 0;

	for (size_t i = 0; i < self->nw; i++)
		n += self->w[i].used;
	return n;
}

int
mf_dispatch_full(const mf_dispatch_t *self)
{
	return self->qlen >= (size_t)self->cfg->max_queue;
}

const mf_entry_t *
mf_dispatch_queue_at(const mf_dispatch_t *self, size_t i)
{
	return i < self->qlen ? s_q_at(self, i) : NULL;
}

const mf_entry_t *
mf_dispatch_find(const mf_dispatch_t *self, uint64_t did)
{
	return s_ht_find(self, did);
}

int
mf_dispatch_worker(const mf_dispatch_t *self, const void *ident, size_t len)
{
	for (size_t i = 0; i < self->nw; i++)
		if (self->w[i].used && self->w[i].identlen == len &&
		    memcmp(self->w[i].ident, ident, len) == 0)
			return (int)i;
	return -1;
}

void
mf_dispatch_text(char *dst, size_t cap, mf_proto_str_t s)
{
	size_t	n = s.len < cap - 1 ? s.len : cap - 1;

	if (n > 0)
		memcpy(dst, s.s, n);
	dst[n] = '\0';
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)dst[k] < 0x20 ||
		    (unsigned char)dst[k] > 0x7e)
			dst[k] = '?';
}

int
mf_dispatch_error_verdict(const char *ruleset, uint64_t gen, const void *post,
    size_t len, const char *msg, mf_buf_t *out)
{
	char		 id[MF_WIRE_ID_CAP];
	mf_verdict_t	*v;
	int		 rc = -1;

	if (post == NULL || mf_wire_peek_post_id(post, len, id,
	    sizeof(id)) != 0)
		id[0] = '\0';
	v = mf_verdict_new(id[0] ? id : NULL);
	if (v != NULL)
		v->gen = gen;	/* with 'ruleset', as that says */
	if (v == NULL || mf_verdict_set_error(v, MF_STATUS_ERROR, "%s",
	    msg) != 0 || mf_verdict_set_str(&v->ruleset, ruleset) != 0 ||
	    mf_verdict_set_str(&v->worker, "medflagd") != 0 ||
	    mf_wire_encode_verdict(v, out, NULL) != 0)
		goto out;
	rc = 0;
out:
	mf_verdict_destroy(&v);
	return rc;
}

/* ---- completing a post ------------------------------------------------ */

/*
 * The verdict of dedup record 'r' is in: kept, and the copies waiting on
 * it are answered with the same bytes. An error verdict is not kept
 * (poison, a worker's failure): copies in flight share it, a later one
 * is judged again. Kept, it would let a post sent first under another's
 * key answer that one.
 */
static void
s_dedup_done(mf_dispatch_t *self, mf_drec_t *r, const mf_dact_t *v,
    int64_t now_ms)
{
	const void	*verdict = v->verdict;
	size_t		 len = v->len;
	int		 action = v->action, status = v->status;
	unsigned	 meta = v->meta;

	if (r == NULL || r->done)
		return;
	if (mf_dedup_finish(self->dedup, r, verdict, len, action, status,
	    meta, now_ms) != 0)
		return;
	/* Its copies, now and later, carry the generation that judged it. */
	r->gen = v->gen;
	for (size_t i = 0; i < r->nwait; i++) {
		mf_dact_t	*a = s_act(self, MF_DACT_ANSWER);

		if (a == NULL)
			break;
		s_client(&a->to, r->wait[i].ident, r->wait[i].identlen,
		    r->wait[i].from_check);
		a->verdict = verdict;
		a->len = len;
		a->action = action;
		a->status = status;
		a->meta = meta;
		a->gen = v->gen;
	}
	mf_dedup_clear_waiters(r);
	if (status == MF_STATUS_ERROR)
		mf_dedup_drop(self->dedup, r);
	mf_dedup_trim(self->dedup, now_ms);
}

/* Entry 'e', taken from the queue or the table, is done with the
 * verdict in 'v' (verdict, len, action, status, meta, cause; and 'buf',
 * which the VERDICT action TAKES). */
static void
s_complete(mf_dispatch_t *self, mf_entry_t *e, mf_dact_t *v, int64_t now_ms)
{
	mf_dact_t	*a = s_act(self, MF_DACT_VERDICT);

	s_entry_done(self, e);
	if (a == NULL) {
		mf_buf_free(&v->buf);
		mf_dedup_abandon(self->dedup, e->dedup);
		return;
	}
	v->type = MF_DACT_VERDICT;
	v->w = -1;
	v->e = e;
	*a = *v;
	if (e->dedup != NULL)
		s_dedup_done(self, e->dedup, v, now_ms);
}

/* Entry 'e' gets an error verdict of medflagd's for 'cause', saying
 * what 'fmt' says. */
static void
s_fail(mf_dispatch_t *self, mf_entry_t *e, mf_dcause_t cause,
    int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
s_fail(mf_dispatch_t *self, mf_entry_t *e, mf_dcause_t cause,
    int64_t now_ms, const char *fmt, ...)
{
	char		 msg[512];
	mf_dact_t	 v;
	mf_dact_t	*a;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&v, 0, sizeof(v));
	if (mf_dispatch_error_verdict(self->ruleset, self->gen, e->post,
	    e->len, msg, &v.buf) != 0) {
		mf_buf_free(&v.buf);
		mf_dedup_abandon(self->dedup, e->dedup);
		s_entry_done(self, e);
		if ((a = s_act(self, MF_DACT_LOST)) != NULL)
			a->e = e;
		return;
	}
	v.verdict = v.buf.data;
	v.len = v.buf.len;
	v.action = MF_ACT_NONE;
	v.status = MF_STATUS_ERROR;
	v.cause = cause;
	s_complete(self, e, &v, now_ms);
}

/* ---- admitting a post ------------------------------------------------- */

/* Dedup's part of admitting 'in': 1 if it is answered or waits on its
 * copy in flight (nothing more to do), 0 if it must be queued, with
 * '*rec' its new in-flight record (NULL when not deduplicated). */
static int
s_dedup_admit(mf_dispatch_t *self, const mf_dispatch_post_t *in,
    int64_t now_ms, mf_drec_t **rec)
{
	uint64_t	 key[2];
	mf_drec_t	*r;
	mf_dact_t	*a;

	*rec = NULL;
	if (self->dedup == NULL || self->dedup->ht == NULL ||
	    in->decoded == NULL ||
	    mf_dedup_key(self->dedup, in->decoded, key) != 0)
		return 0;
	r = mf_dedup_find(self->dedup, key, now_ms);
	if (r == NULL) {
		*rec = mf_dedup_begin(self->dedup, key);
		return 0;
	}
	self->dedup->hits++;
	if (r->done) {
		if ((a = s_act(self, MF_DACT_ANSWER)) != NULL) {
			a->to = *in->from;
			a->verdict = r->verdict;
			a->len = r->len;
			a->action = r->action;
			a->status = r->status;
			a->meta = r->meta;
			a->gen = r->gen;
		}
		return 1;
	}
	if (mf_dedup_wait(self->dedup, r, in->from->ident,
	    in->from->identlen, in->from->from_check) == 0)
		return 1;
	/* Too many copies of one post in flight: this one is told to
	 * retry; it will find the verdict then. */
	if ((a = s_act(self, MF_DACT_BUSY)) != NULL) {
		a->to = *in->from;
		a->post = in->post;
		a->postlen = in->len;
		snprintf(a->text, sizeof(a->text), "busy: this post is "
		    "already in flight %zu times, retry", r->nwait);
	}
	return 1;
}

int
mf_dispatch_admit(mf_dispatch_t *self, const mf_dispatch_post_t *in,
    int64_t now_us)
{
	mf_drec_t	*rec;
	mf_entry_t	*e;

	assert(self != NULL);
	assert(in != NULL);
	assert(in->from != NULL);
	assert(in->from->identlen <= MF_IDENT_MAX);
	s_reset(self);
	if (s_dedup_admit(self, in, now_us / 1000, &rec))
		return 0;
	if ((e = s_entry_new(self)) == NULL)
		goto fail;
	e->did = self->next_did++;
	e->post = in->post;
	e->len = in->len;
	e->from = *in->from;
	e->t_recv_us = now_us;
	e->kills = 0;
	e->worker = -1;
	e->dedup = rec;
	e->next = NULL;
	if (s_q_push(self, e, 0) != 0) {
		e->post = NULL;
		s_entry_release(self, e);
		goto fail;
	}
	self->made++;
	assert(mf_dispatch_ok(self, 0));
	return 1;
fail:
	mf_dedup_abandon(self->dedup, rec);
	return -1;
}

/* ---- dispatching ------------------------------------------------------ */

/*
 * How many queued posts worker 'wi' gets in one POSTS message, with
 * 'room' credit left. A batch takes the worker's fair share of the
 * queue (so a long queue is spread over idle workers instead of lining
 * up behind one), at least S_SHARE_MIN posts (splitting a few posts
 * costs a second worker's round trip, two wakeups and a message each
 * way, which is more than judging them: 12% less worker CPU at 20,000
 * posts/s) and at most MF_PROTO_BATCH_MAX posts. Bytes bound it too:
 * the posts go in one frame, and a frame over the worker's
 * ZMQ_MAXMSGSIZE makes libzmq drop the connection (16 posts of 300 KB
 * once wedged every worker). The first post fits: mf_dispatch_next
 * chose a worker it fits.
 */
#define S_SHARE_MIN	8

static size_t
s_batch_size(const mf_dispatch_t *self, size_t wi, int room)
{
	const mf_wrec_t	*w = &self->w[wi];
	size_t		 n, idle = 0, share, total = 0;

	for (size_t i = 0; i < self->nw; i++)
		if (self->w[i].used && self->w[i].gen != 0 &&
		    self->w[i].credit > self->w[i].in_flight)
			idle++;
	share = (self->qlen + idle - 1) / (idle ? idle : 1);
	if (share < S_SHARE_MIN)
		share = S_SHARE_MIN;
	n = (size_t)room;
	if (n > share)
		n = share;
	if (n > (size_t)w->batch)
		n = (size_t)w->batch;
	if (n > MF_PROTO_BATCH_MAX)
		n = MF_PROTO_BATCH_MAX;
	if (n > self->qlen)
		n = self->qlen;
	for (size_t k = 0; k < n; k++) {
		const mf_entry_t	*e = s_q_at(self, k);

		if (k > 0 && e->len > w->maxmsg - total)
			return k;
		total += e->len;
	}
	return n;
}

int
mf_dispatch_next(mf_dispatch_t *self, int64_t now_ms)
{
	mf_wrec_t	*w;
	mf_entry_t	*e;
	mf_dact_t	*a;
	size_t		 best = 0, front, biggest = 0, n;
	int		 room = 0, alive = 0, posts;

	assert(self != NULL);
	s_reset(self);
	self->nlast = 0;
	if (self->qlen == 0)
		return 0;
	front = s_q_at(self, 0)->len;
	/* The worker with the most credit left that takes the post at the
	 * front, round robin on ties, so two idle workers share a burst
	 * evenly. */
	for (size_t k = 0; k < self->nw; k++) {
		size_t	 i = (self->rr + k) % self->nw;
		int	 r;

		/* gen 0: rules medflagd never checked (reload.c). */
		if (!self->w[i].used || self->w[i].gen == 0)
			continue;
		alive++;
		if (self->w[i].maxmsg > biggest)
			biggest = self->w[i].maxmsg;
		if (self->w[i].maxmsg < front)
			continue;
		r = self->w[i].credit - self->w[i].in_flight;
		if (r > room) {
			room = r;
			best = i;
		}
	}
	if (alive > 0 && front > biggest) {
		/* No worker takes it: said at once, not sent to be dropped
		 * with the connection, nor counted as a worker's death. */
		e = s_q_pop(self);
		s_fail(self, e, MF_DCAUSE_TOO_BIG, now_ms, "post: %zu bytes, "
		    "more than any worker takes (%zu bytes)", e->len, biggest);
		assert(mf_dispatch_ok(self, 0));
		return 1;
	}
	if (room <= 0)
		return 0;
	w = &self->w[best];
	self->rr = best + 1;
	posts = w->batch > 1 && self->qlen > 1;
	n = posts ? s_batch_size(self, best, room) : 1;
	if ((a = s_act(self, MF_DACT_SEND)) == NULL)
		return 0;
	if (s_ht_reserve(self, n) != 0) {
		self->nout--;
		e = s_q_pop(self);
		s_fail(self, e, MF_DCAUSE_NOMEM, now_ms, "out of memory in "
		    "medflagd");
		return 1;
	}
	for (size_t k = 0; k < n; k++) {
		e = s_q_pop(self);
		e->worker = (int)best;
		if (w->in_flight++ == 0)
			w->progress_ms = now_ms;
		s_ht_put(self, e);
		self->last[k] = e;
	}
	self->nlast = n;
	self->lastw = (int)best;
	a->w = (int)best;
	a->es = self->last;
	a->n = n;
	a->posts = posts;
	assert(mf_dispatch_ok(self, 0));
	return 1;
}

void
mf_dispatch_unsend(mf_dispatch_t *self)
{
	mf_wrec_t	*w;

	assert(self != NULL);
	s_reset(self);
	if (self->nlast == 0 || self->lastw < 0)
		return;
	w = &self->w[self->lastw];
	/* Newest first, so the front of the queue keeps their order. They
	 * came from there: the ring has room for them. */
	for (size_t k = self->nlast; k-- > 0;) {
		mf_entry_t	*e = s_ht_take(self, self->last[k]->did);

		assert(e == self->last[k]);
		w->in_flight--;
		e->worker = -1;
		(void)s_q_push(self, e, 1);
	}
	w->credit = w->in_flight;
	self->nlast = 0;
	self->lastw = -1;
	assert(mf_dispatch_ok(self, 0));
}

/* ---- workers ---------------------------------------------------------- */

static int
s_worker_add(mf_dispatch_t *self, const void *ident, size_t len,
    int64_t now_ms)
{
	size_t	i;

	assert(len <= MF_IDENT_MAX);
	for (i = 0; i < self->nw; i++)
		if (!self->w[i].used)
			break;
	if (i == self->nw) {
		mf_wrec_t	*w = realloc(self->w, (self->nw + 1) *
				    sizeof(*w));

		if (w == NULL)
			return -1;
		self->w = w;
		self->nw++;
	}
	memset(&self->w[i], 0, sizeof(self->w[i]));
	self->w[i].used = 1;
	self->w[i].id = ++self->next_wid;
	memcpy(self->w[i].ident, ident, len);
	self->w[i].identlen = len;
	self->w[i].joined_ms = self->w[i].last_seen_ms = now_ms;
	self->w[i].maxmsg = (size_t)MF_PROTO_MAX_SOCKET_MSG;
	return (int)i;
}

/* What worker 'wi' held goes back to the front of the queue. With
 * 'blame', each post counts the death towards poison_kills; without (the
 * same process came back on a new connection: its messages were lost,
 * not its life), it does not. */
static void
s_gone(mf_dispatch_t *self, size_t wi, int blame, const char *why,
    int64_t now_ms)
{
	mf_wrec_t	*w = &self->w[wi];
	mf_entry_t	*held[256];
	mf_dact_t	*a;
	size_t		 n = 0, total = 0, poisoned = 0;

	if (!w->used)
		return;
	/* Collect what it held; the table changes as we take entries, so
	 * scan again until none is left (a worker holds at most its credit). */
	for (;;) {
		n = 0;
		for (size_t i = 0; i < self->htcap && n < 256; i++)
			if (self->ht[i] != NULL &&
			    self->ht[i]->worker == (int)wi)
				held[n++] = self->ht[i];
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
			mf_entry_t	*e = s_ht_take(self, held[k]->did);

			w->in_flight--;
			e->worker = -1;
			e->kills += blame;
			total++;
			if (blame && e->kills >= self->cfg->poison_kills) {
				poisoned++;
				s_fail(self, e, MF_DCAUSE_POISON, now_ms,
				    "poison: killed %d workers", e->kills);
				continue;
			}
			if (s_q_push(self, e, 1) != 0) {
				s_fail(self, e, MF_DCAUSE_NOMEM, now_ms,
				    "out of memory in medflagd");
				continue;
			}
			if ((a = s_act(self, MF_DACT_REQUEUE)) != NULL) {
				a->w = (int)wi;
				a->e = e;
				a->did = e->did;
			}
		}
	}
	w->in_flight = 0;
	w->used = 0;
	if ((a = s_act(self, MF_DACT_GONE)) != NULL) {
		a->w = (int)wi;
		a->requeued = total - poisoned;
		a->poisoned = poisoned;
		a->blame = blame;
		snprintf(a->text, sizeof(a->text), "%s", why);
	}
	assert(mf_dispatch_ok(self, 1));
}

void
mf_dispatch_gone(mf_dispatch_t *self, size_t wi, int blame, const char *why,
    int64_t now_ms)
{
	assert(self != NULL);
	assert(wi < self->nw);
	s_reset(self);
	s_gone(self, wi, blame, why, now_ms);
}

int
mf_dispatch_ready(mf_dispatch_t *self, int wi, const mf_proto_ready_t *r,
    const void *ident, size_t identlen, int64_t now_ms)
{
	mf_wrec_t	*w;

	assert(self != NULL);
	assert(r != NULL);
	s_reset(self);
	if (wi < 0 && (wi = s_worker_add(self, ident, identlen, now_ms)) < 0)
		return -1;
	w = &self->w[wi];
	w->credit = r->credit > 10000 ? 10000 : r->credit < 0 ? 0 : r->credit;
	w->pid = (pid_t)r->pid;
	mf_dispatch_text(w->host, sizeof(w->host), r->host);
	mf_dispatch_text(w->ruleset, sizeof(w->ruleset), r->ruleset);
	w->batch = r->batch > MF_PROTO_BATCH_MAX ? MF_PROTO_BATCH_MAX :
	    r->batch;
	w->maxmsg = (size_t)(r->maxmsg > MF_PROTO_MAX_SOCKET_MSG ?
	    MF_PROTO_MAX_SOCKET_MSG : r->maxmsg);
	w->last_seen_ms = now_ms;
	/* The same process on a new connection (it reconnects when medflagd
	 * was silent, or a send did not go out): what the old one held goes
	 * on now, and the process is not killed when the old connection
	 * times out. */
	for (size_t k = 0; k < self->nw; k++)
		if (k != (size_t)wi && self->w[k].used &&
		    self->w[k].pid == w->pid &&
		    strcmp(self->w[k].host, w->host) == 0)
			s_gone(self, k, 0, "connected again", now_ms);
	assert(mf_dispatch_ok(self, 0));
	return wi;
}

static void
s_reject(mf_dispatch_t *self, int wi, uint64_t did, const char *why)
{
	mf_dact_t	*a = s_act(self, MF_DACT_REJECT);

	if (a == NULL)
		return;
	a->w = wi;
	a->did = did;
	snprintf(a->text, sizeof(a->text), "%s", why);
}

/*
 * One verdict from worker 'wi' (-1: a peer that never sent READY, or
 * one declared dead). Without CURVE anyone who reaches the backend can
 * send one, and dispatch ids are sequential, so a verdict counts only
 * when (1) it comes from the registered worker that holds that id, and
 * (2) it is a well-formed verdict map for that post
 * (mf_proto_verdict_check): its action and status agree with the header
 * medflagd files and publishes it under, its post_id is the post's.
 * Anything else is dropped (REJECT); the post stays with its worker, and
 * goes to another if that one sends no valid verdict within
 * worker_timeout_ms. The first valid verdict for an id in flight
 * completes the post; a later one is a late duplicate (LATE).
 */
void
mf_dispatch_verdict(mf_dispatch_t *self, int wi, const mf_proto_item_t *v,
    int64_t now_ms)
{
	mf_entry_t	*e;
	mf_dact_t	 d;
	mf_dact_t	*a;
	int		 action = -1, status = -1;
	const uint8_t	*vid;
	size_t		 vidlen;
	char		 id[MF_WIRE_ID_CAP];

	assert(self != NULL);
	assert(v != NULL);
	s_reset(self);
	if (wi < 0) {
		s_reject(self, wi, v->did, "");
		return;
	}
	if ((e = s_ht_find(self, v->did)) == NULL) {
		if ((a = s_act(self, MF_DACT_LATE)) != NULL) {
			a->w = wi;
			a->did = v->did;
		}
		return;
	}
	if (e->worker != wi) {
		s_reject(self, wi, v->did, "another worker holds that post");
		return;
	}
	if (mf_proto_verdict_check(v->data, v->len, &action, &status, &vid,
	    &vidlen) != 0) {
		s_reject(self, wi, v->did, "not a verdict map with a known "
		    "action and status");
		return;
	}
	if (action != v->meta[0] || status != v->meta[1]) {
		s_reject(self, wi, v->did, "its header and its verdict "
		    "disagree on the action or status");
		return;
	}
	if (mf_wire_peek_post_id(e->post, e->len, id, sizeof(id)) == 0 &&
	    (vid == NULL || vidlen != strlen(id) ||
	    memcmp(vid, id, vidlen) != 0)) {
		s_reject(self, wi, v->did, "the post_id is not the post's");
		return;
	}
	e = s_ht_take(self, v->did);
	self->w[wi].in_flight--;
	self->w[wi].done++;
	self->w[wi].progress_ms = now_ms;
	memset(&d, 0, sizeof(d));
	d.verdict = v->data;
	d.len = v->len;
	d.action = v->meta[0];
	d.status = v->meta[1];
	d.meta = v->meta[2];
	d.gen = self->w[wi].gen;
	d.cause = MF_DCAUSE_WORKER;
	s_complete(self, e, &d, now_ms);
	assert(mf_dispatch_ok(self, 0));
}

void
mf_dispatch_set_gen(mf_dispatch_t *self, size_t wi, uint64_t gen)
{
	assert(self != NULL);
	assert(wi < self->nw);
	self->w[wi].gen = gen;
}

void
mf_dispatch_seen(mf_dispatch_t *self, int wi, int64_t now_ms)
{
	if (wi >= 0)
		self->w[wi].last_seen_ms = now_ms;
}

/* The main loop checks timeouts at least every 100 ms; a longer gap
 * means medflagd itself was busy (a reload compiles the rules and runs
 * the canary, seconds on a big rule set) and read no heartbeats. */
#define S_STALL_MS	500

void
mf_dispatch_tick(mf_dispatch_t *self, int64_t now)
{
	mf_dact_t	*a;
	char		 why[96];

	assert(self != NULL);
	s_reset(self);
	if (self->hb_checked_ms != 0 &&
	    now - self->hb_checked_ms > S_STALL_MS) {
		/* Not the workers' silence: their clocks start over, or a
		 * slow reload would have every worker killed. */
		int64_t	gap = now - self->hb_checked_ms;

		for (size_t i = 0; i < self->nw; i++) {
			self->w[i].last_seen_ms += gap;
			self->w[i].progress_ms += gap;
		}
	}
	self->hb_checked_ms = now;
	for (size_t i = 0; i < self->nw; i++) {
		mf_wrec_t	*w = &self->w[i];

		if (!w->used)
			continue;
		if (now - w->last_seen_ms > self->cfg->worker_timeout_ms)
			snprintf(why, sizeof(why), "silent for %lld ms",
			    (long long)(now - w->last_seen_ms));
		/* Heartbeats alone do not keep posts: a worker judging
		 * sends verdicts (in VERDICTS messages of at most 8, each
		 * post within the policy's time budget), so one that holds
		 * posts and sends none for worker_timeout_ms is stuck or
		 * keeping them. */
		else if (w->in_flight > 0 &&
		    now - w->progress_ms > self->cfg->worker_timeout_ms)
			snprintf(why, sizeof(why), "held %d post%s for %lld "
			    "ms without a verdict", w->in_flight,
			    w->in_flight == 1 ? "" : "s",
			    (long long)(now - w->progress_ms));
		else
			continue;
		/* A worker compiling new rules says nothing until it is
		 * done (seconds for a big set, on a busy host): its posts
		 * go on, but it is not killed for it. */
		if (!w->reloading && (a = s_act(self, MF_DACT_KILL)) != NULL)
			a->w = (int)i;
		s_gone(self, i, 1, why, now);
	}
}
