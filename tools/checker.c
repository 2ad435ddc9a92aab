/*
 * checker.c - posts to medflagd's check endpoint and verdicts back: the
 * windowed check client with resend, one post at a time for the HTTP
 * gateways, and one verdict from a SUB socket on the verdicts endpoint.
 *
 * Not responsible for the connection (client.c) or what a subcommand
 * prints. Post text passes through here only on its way to medflagd;
 * nothing is logged.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "client.h"
#include "hash.h"
#include "proto.h"

/*
 * Pending posts live in 'window' slots; a chained hash on the key finds a
 * slot when its verdict arrives. Slot invariants: (1) a slot is on the
 * free list or in exactly one hash chain; (2) npending == window - free
 * slots; (3) a pending slot holds its encoded post until its verdict.
 */
typedef struct s_slot {
	char		*key;		/* post_id \x1f revision \x1f instance */
	char		*msg;
	size_t		 len;
	void		*tag;
	int64_t		 due;		/* resend at (ms) */
	uint64_t	 order;		/* send order, for duplicate keys */
	struct s_slot	*next;		/* hash chain or free list */
} s_slot_t;

struct mf_checker {
	mf_client_t		*client;	/* BORROWS */
	char			 endpoint[256];
	void			*sock;
	size_t			 window, npending, nbuckets;
	int			 timeout_ms;
	s_slot_t		*slots, *free, **buckets;
	uint64_t		 order;
	int64_t			 last_rx;	/* ms of the last message */
	/* ms since which posts wait with nothing heard: the last message,
	 * or the send that made the pending set non-empty */
	int64_t			 heard;
	int			 told;		/* "does not answer" said */
	mf_checker_stats_t	 st;
};

static uint64_t
s_hash(const char *s)
{
	return mf_fnv64(MF_FNV64_INIT, s, strlen(s));
}

static char *
s_key(const char *post_id, const char *rev, const char *inst)
{
	size_t	 n = strlen(post_id ? post_id : "") + strlen(rev ? rev : "") +
		    strlen(inst ? inst : "") + 3;
	char	*k = malloc(n);

	if (k != NULL)
		snprintf(k, n, "%s\x1f%s\x1f%s", post_id ? post_id : "",
		    rev ? rev : "", inst ? inst : "");
	return k;
}

static int
s_checker_connect(mf_checker_t *self)
{
	int	hwm = 0;

	if (self->sock != NULL)
		zmq_close(self->sock);
	if ((self->sock = mf_client_socket(self->client, ZMQ_DEALER,
	    self->endpoint)) == NULL)
		return -1;
	/* The window bounds what is queued; no silent drop at a HWM. */
	zmq_setsockopt(self->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(self->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	return 0;
}

mf_checker_t *
mf_checker_new(mf_client_t *client, const char *endpoint, size_t window,
    int timeout_ms)
{
	mf_checker_t	*self;

	assert(client != NULL && endpoint != NULL);
	if (window == 0)
		window = 1;
	if ((self = calloc(1, sizeof(*self))) == NULL)
		goto oom;
	self->client = client;
	snprintf(self->endpoint, sizeof(self->endpoint), "%s", endpoint);
	self->window = window;
	self->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	for (self->nbuckets = 16; self->nbuckets < 2 * window; )
		self->nbuckets *= 2;
	self->slots = calloc(window, sizeof(*self->slots));
	self->buckets = calloc(self->nbuckets, sizeof(*self->buckets));
	if (self->slots == NULL || self->buckets == NULL)
		goto oom;
	for (size_t i = 0; i < window; i++) {
		self->slots[i].next = self->free;
		self->free = &self->slots[i];
	}
	self->last_rx = mf_now_ms();
	if (s_checker_connect(self) == -1) {
		mf_checker_destroy(&self);
		return NULL;
	}
	return self;
oom:
	fprintf(stderr, "medflag: out of memory for a window of %zu\n",
	    window);
	mf_checker_destroy(&self);
	return NULL;
}

void
mf_checker_destroy(mf_checker_t **self_p)
{
	mf_checker_t	*self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	if (self->slots != NULL)
		for (size_t i = 0; i < self->window; i++) {
			free(self->slots[i].key);
			free(self->slots[i].msg);
		}
	free(self->slots);
	free(self->buckets);
	if (self->sock != NULL)
		zmq_close(self->sock);
	free(self);
	*self_p = NULL;
}

size_t
mf_checker_room(const mf_checker_t *self)
{
	return self->window - self->npending;
}

size_t
mf_checker_pending(const mf_checker_t *self)
{
	return self->npending;
}

const mf_checker_stats_t *
mf_checker_stats(const mf_checker_t *self)
{
	return &self->st;
}

/* Sends ["", msg]; 0 or -1. */
static int
s_send(mf_checker_t *self, const s_slot_t *sl)
{
	if (mf_zsend(self->sock, "", 0, ZMQ_SNDMORE) == -1 ||
	    mf_zsend(self->sock, sl->msg, sl->len, 0) == -1) {
		fprintf(stderr, "medflag: %s: send: %s\n", self->endpoint,
		    zmq_strerror(errno));
		return -1;
	}
	return 0;
}

int
mf_checker_send(mf_checker_t *self, const mf_post_t *post, const void *msg,
    size_t len, void *tag)
{
	s_slot_t	*sl;
	size_t		 b;

	assert(self && post && msg);
	assert(self->free != NULL);
	sl = self->free;
	if ((sl->key = s_key(post->post_id, post->revision, post->instance)) ==
	    NULL || (sl->msg = malloc(len ? len : 1)) == NULL) {
		free(sl->key);
		sl->key = NULL;
		fprintf(stderr, "medflag: out of memory\n");
		return -1;
	}
	self->free = sl->next;
	memcpy(sl->msg, msg, len);
	sl->len = len;
	sl->tag = tag;
	sl->order = self->order++;
	sl->due = mf_now_ms() + self->timeout_ms;
	b = s_hash(sl->key) & (self->nbuckets - 1);
	sl->next = self->buckets[b];
	self->buckets[b] = sl;
	if (self->npending++ == 0)
		self->heard = mf_now_ms();
	self->st.sent++;
	return s_send(self, sl);
}

/* Unlinks and returns the oldest pending slot with 'key', or NULL. */
static s_slot_t *
s_take(mf_checker_t *self, const char *key)
{
	s_slot_t	**pp, **best = NULL, *sl;
	size_t		  b = s_hash(key) & (self->nbuckets - 1);

	for (pp = &self->buckets[b]; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0 &&
		    (best == NULL || (*pp)->order < (*best)->order))
			best = pp;
	if (best == NULL)
		return NULL;
	sl = *best;
	*best = sl->next;
	return sl;
}

static void
s_release(mf_checker_t *self, s_slot_t *sl)
{
	free(sl->key);
	free(sl->msg);
	sl->key = sl->msg = NULL;
	sl->next = self->free;
	self->free = sl;
	self->npending--;
}

/* Handles one received message; returns 1 if a verdict was delivered. */
static int
s_on_message(mf_checker_t *self, zmq_msg_t *parts, int n, mf_checker_fn *fn,
    void *arg)
{
	const char	*data;
	size_t		 len;
	mf_verdict_t	*v;
	mf_err_t	 err;
	char		*key, id[MF_WIRE_ID_CAP];
	s_slot_t	*sl;
	int		 got = 0;

	/* ["", verdict] from a ROUTER to a DEALER */
	if (n != 2 || zmq_msg_size(&parts[0]) != 0) {
		self->st.bad++;
		return 0;
	}
	data = zmq_msg_data(&parts[1]);
	len = zmq_msg_size(&parts[1]);
	v = mf_wire_decode_verdict(data, len, &err);
	if (v != NULL)
		key = s_key(v->post_id, v->revision, v->instance);
	else if (mf_wire_peek_post_id(data, len, id, sizeof(id)) == 0)
		key = s_key(id, NULL, NULL);
	else
		key = NULL;
	if (key == NULL) {
		self->st.bad++;
		goto out;
	}
	if ((sl = s_take(self, key)) == NULL) {
		self->st.stray++;
		goto out;
	}
	self->st.verdicts++;
	fn(v, data, len, sl->tag, arg);
	s_release(self, sl);
	got = 1;
out:
	free(key);
	mf_verdict_destroy(&v);
	return got;
}

/* Resends what is due; remakes the socket if medflagd went quiet. */
static int
s_resend(mf_checker_t *self)
{
	int64_t	 now = mf_now_ms();
	int	 quiet = now - self->last_rx >= self->timeout_ms, any = 0;

	for (size_t i = 0; i < self->window; i++)
		if (self->slots[i].key != NULL && self->slots[i].due <= now)
			any = 1;
	if (!any)
		return 0;
	if (quiet) {
		/* Nothing came back for a whole timeout: start afresh so no
		 * stale queue to a dead peer holds our posts, and resend all. */
		if (s_checker_connect(self) == -1)
			return -1;
		self->st.reconnects++;
		self->last_rx = now;
	}
	for (size_t i = 0; i < self->window; i++) {
		s_slot_t *sl = &self->slots[i];

		if (sl->key == NULL || (!quiet && sl->due > now))
			continue;
		sl->due = now + self->timeout_ms;
		self->st.resent++;
		if (s_send(self, sl) == -1)
			return -1;
	}
	return 0;
}

/*
 * Receives one whole message if one is ready: up to 'max' frames go into
 * 'parts' (the caller closes them), the rest are read and dropped, and
 * the count returned is then max + 1 so the caller sees it is malformed.
 * 0 when nothing is ready.
 */
static int
s_recv(void *sock, zmq_msg_t *parts, int max)
{
	int	n = 0, more = 1;
	size_t	ms = sizeof(more);

	while (more) {
		zmq_msg_t	 x, *m = n < max ? &parts[n] : &x;

		zmq_msg_init(m);
		if ((n == 0 ? zmq_msg_recv(m, sock, ZMQ_DONTWAIT) :
		    mf_zmsg_recv_more(m, sock)) == -1) {
			zmq_msg_close(m);
			break;
		}
		if (m == &x)
			zmq_msg_close(&x);
		n++;
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ms);
	}
	return n > max ? max + 1 : n;
}

int
mf_checker_poll(mf_checker_t *self, int wait_ms, mf_checker_fn *fn,
    void *arg)
{
	zmq_pollitem_t	 it;
	zmq_msg_t	 parts[4];
	int		 delivered = 0, n, rc;
	int64_t		 end = mf_now_ms() + wait_ms;

	for (;;) {
		int64_t left = end - mf_now_ms();

		if (mf_client_stop)
			return -1;
		if (s_resend(self) == -1)
			return -1;
		it.socket = self->sock;
		it.events = ZMQ_POLLIN;
		it.revents = 0;
		if (left < 0)
			left = 0;
		if (left > 100)
			left = 100;	/* resend checks, signals */
		rc = zmq_poll(&it, 1, delivered ? 0 : (long)left);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "medflag: zmq_poll: %s\n",
			    zmq_strerror(errno));
			return -1;
		}
		if (rc == 0) {
			if (delivered || mf_now_ms() >= end)
				return delivered;
			continue;
		}
		/* Drain what is ready without waiting. */
		while ((n = s_recv(self->sock, parts, 4)) > 0) {
			self->last_rx = self->heard = mf_now_ms();
			delivered += s_on_message(self, parts, n, fn, arg);
			for (int i = 0; i < n && i < 4; i++)
				zmq_msg_close(&parts[i]);
			if (delivered >= 1024)
				break;
		}
	}
}

int64_t
mf_checker_silence_ms(const mf_checker_t *self)
{
	return self->npending == 0 ? 0 : mf_now_ms() - self->heard;
}

void
mf_checker_report(mf_checker_t *self, const char *prog)
{
	int64_t	silent = mf_checker_silence_ms(self);

	if (!self->told && silent >= MF_CLIENT_SILENT_MS) {
		fprintf(stderr, "%s: medflagd does not answer on %s (nothing "
		    "for %lld s); still trying\n  hint: is medflagd running? "
		    "`medflag stats` asks it\n", prog, self->endpoint,
		    (long long)silent / 1000);
		self->told = 1;
	} else if (self->told && silent < MF_CLIENT_SILENT_MS) {
		fprintf(stderr, "%s: medflagd answers again on %s\n", prog,
		    self->endpoint);
		self->told = 0;
	}
}

/* ---- one post at a time, one verdict ---------------------------------- */

int
mf_client_check_one(mf_client_t *self, const char *endpoint, const void *msg,
    size_t len, int timeout_ms, mf_buf_t *out, char *why, size_t cap)
{
	void		*sock;
	zmq_pollitem_t	 it;
	mf_frames_t	 f;
	int		 rc = -1;

	if ((sock = mf_client_socket(self, ZMQ_DEALER, endpoint)) == NULL) {
		snprintf(why, cap, "cannot reach medflagd's check endpoint %s",
		    endpoint);
		return -1;
	}
	it = (zmq_pollitem_t){ sock, 0, ZMQ_POLLIN, 0 };
	if (mf_zsend(sock, "", 0, ZMQ_SNDMORE) != 0 ||
	    mf_zsend(sock, msg, len, 0) != (int)len ||
	    zmq_poll(&it, 1, timeout_ms) <= 0) {
		snprintf(why, cap, "medflagd did not answer in %d ms",
		    timeout_ms);
		zmq_close(sock);
		return -1;
	}
	/* ["", verdict] */
	if (mf_frames_recv(sock, &f, 0) != 0)
		snprintf(why, cap, "reading medflagd's answer: %s",
		    zmq_strerror(errno));
	else if (f.n != 2 || f.len[0] != 0 || f.len[1] == 0)
		snprintf(why, cap, "medflagd's answer is not a verdict");
	else if (mf_buf_append(out, f.data[1], f.len[1]) != 0)
		snprintf(why, cap, "out of memory");
	else
		rc = 0;
	mf_frames_free(&f);
	zmq_close(sock);
	return rc;
}

int
mf_client_recv_verdict(void *sub, int flags, zmq_msg_t *verdict)
{
	zmq_msg_t	topic;
	int		n = 1, more = 0;
	size_t		ms = sizeof(more);

	zmq_msg_init(&topic);
	if (zmq_msg_recv(&topic, sub, flags) == -1) {
		zmq_msg_close(&topic);
		return -1;
	}
	zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ms);
	while (more) {
		zmq_msg_t	x, *p = n < 2 ? verdict : &x;

		if (p == &x)
			zmq_msg_init(&x);
		if (mf_zmsg_recv_more(p, sub) == -1) {
			if (p == &x)
				zmq_msg_close(&x);
			break;
		}
		if (p == &x)
			zmq_msg_close(&x);
		n++;
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ms);
	}
	zmq_msg_close(&topic);
	return n;
}
