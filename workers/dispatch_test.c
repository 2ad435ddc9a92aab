/*
 * dispatch_test.c - selftests of medflagd's dispatcher without I/O
 * (dispatch_core.c): every transition of a post (admit, dispatch,
 * verdict, requeue, poison, late and rejected verdicts, dedup answers)
 * and of a worker (ready, credit, timeout, reconnection, the rule set
 * generation it runs), then a long
 * random sequence of them. After every call the dispatcher's own
 * invariants are checked (mf_dispatch_ok, the full walk) and so is a
 * model kept here: each dispatch id is queued, in flight on one worker,
 * or done, and every admitted post is answered exactly once.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_core.h"
#include "harness.h"

enum { S_NONE, S_QUEUED, S_FLIGHT, S_DONE };

/* The dispatch ids and admissions a test may use. */
#define S_CAP	65536

typedef struct s_fx {
	mf_config_t	 cfg;
	mf_dedup_t	 dedup;
	mf_dispatch_t	 d;
	char		 ruleset[40];
	int64_t		 now;		/* ms */
	/* The model, by dispatch id. */
	uint8_t		 state[S_CAP];
	int		 holder[S_CAP];
	char		 id[S_CAP][16];	/* its post_id */
	size_t		 nq, nf;
	/* By admission (the client's identity is "a<N>"): answers. */
	uint8_t		 answers[S_CAP];
	size_t		 nadm;
	/* What the last call did. */
	size_t		 sends, sent, verdicts, dups, busy, requeues;
	size_t		 gones, kills, lates, rejects, poisons, toobig;
	int		 send_w, send_posts;
	uint64_t	 send_did[MF_PROTO_BATCH_MAX];
	/* The generation on the last VERDICT and ANSWER actions, and the
	 * one written in the last error verdict of medflagd's. */
	uint64_t	 verdict_gen, answer_gen, error_gen;
} s_fx_t;

static s_fx_t *
s_fx_new(int dedup_s)
{
	s_fx_t	*fx = calloc(1, sizeof(*fx));

	MF_ASSERT_NOT_NULL(fx);
	fx->cfg.poison_kills = 3;
	fx->cfg.max_queue = 1000;
	fx->cfg.worker_timeout_ms = 5000;
	snprintf(fx->ruleset, sizeof(fx->ruleset), "test-rules");
	fx->now = 1000000;
	MF_ASSERT_EQ(0, mf_dedup_init(&fx->dedup, dedup_s, 1000, 1 << 20));
	MF_ASSERT_EQ(0, mf_dispatch_init(&fx->d, &fx->cfg, fx->ruleset,
	    &fx->dedup));
	return fx;
}

static void
s_fx_free(s_fx_t *fx)
{
	mf_dispatch_free(&fx->d);
	mf_dispatch_free(&fx->d);	/* safe twice */
	mf_dedup_free(&fx->dedup);
	free(fx);
}

static size_t
s_adm_of(const mf_client_t *c)
{
	char	buf[32];

	MF_ASSERT(c->identlen > 1 && c->identlen < sizeof(buf));
	memcpy(buf, c->ident, c->identlen);
	buf[c->identlen] = '\0';
	MF_ASSERT(buf[0] == 'a');
	return (size_t)strtoul(buf + 1, NULL, 10);
}

static void
s_answered(s_fx_t *fx, const mf_client_t *c)
{
	size_t	adm = s_adm_of(c);

	MF_ASSERT(adm < fx->nadm);
	MF_ASSERT_EQ(1, ++fx->answers[adm]);
}

/*
 * Checks the dispatcher after a call: its invariants, then its actions
 * against the model, then the model against its queue and table.
 */
static void
s_after(s_fx_t *fx)
{
	size_t		 n, q;
	const mf_dact_t	*a = mf_dispatch_actions(&fx->d, &n);

	MF_ASSERT(mf_dispatch_ok(&fx->d, 1));
	fx->sends = fx->sent = fx->verdicts = fx->dups = fx->busy = 0;
	fx->requeues = fx->gones = fx->kills = fx->lates = fx->rejects = 0;
	fx->poisons = fx->toobig = 0;
	for (size_t i = 0; i < n; i++, a++) {
		uint64_t	did = a->e != NULL ? a->e->did : 0;

		switch (a->type) {
		case MF_DACT_SEND:
			MF_ASSERT(a->n >= 1 && a->n <= MF_PROTO_BATCH_MAX);
			MF_ASSERT(fx->d.w[a->w].used);
			/* None to rules medflagd never checked. */
			MF_ASSERT(fx->d.w[a->w].gen != 0);
			MF_ASSERT(fx->d.w[a->w].in_flight <=
			    fx->d.w[a->w].credit);
			fx->sends++;
			fx->send_w = a->w;
			fx->send_posts = a->posts;
			for (size_t k = 0; k < a->n; k++) {
				did = a->es[k]->did;
				MF_ASSERT_EQ(S_QUEUED, fx->state[did]);
				MF_ASSERT_EQ(a->w, a->es[k]->worker);
				fx->state[did] = S_FLIGHT;
				fx->holder[did] = a->w;
				fx->send_did[k] = did;
				fx->nq--;
				fx->nf++;
			}
			fx->sent = a->n;
			break;
		case MF_DACT_VERDICT:
			MF_ASSERT(did > 0 && did < S_CAP);
			if (a->cause == MF_DCAUSE_WORKER ||
			    a->cause == MF_DCAUSE_POISON) {
				MF_ASSERT_EQ(S_FLIGHT, fx->state[did]);
				fx->nf--;
			} else {
				MF_ASSERT_EQ(S_QUEUED, fx->state[did]);
				fx->nq--;
			}
			fx->state[did] = S_DONE;
			fx->verdicts++;
			fx->verdict_gen = a->gen;
			if (a->cause != MF_DCAUSE_WORKER) {
				mf_verdict_t	*v = mf_wire_decode_verdict(
				    a->verdict, a->len, NULL);

				MF_ASSERT_NOT_NULL(v);
				MF_ASSERT_EQ(0, a->gen);
				fx->error_gen = v->gen;
				mf_verdict_destroy(&v);
			}
			fx->poisons += a->cause == MF_DCAUSE_POISON;
			fx->toobig += a->cause == MF_DCAUSE_TOO_BIG;
			MF_ASSERT_NOT_NULL(a->verdict);
			s_answered(fx, &a->e->from);
			break;
		case MF_DACT_ANSWER:
			MF_ASSERT_NOT_NULL(a->verdict);
			fx->dups++;
			fx->answer_gen = a->gen;
			s_answered(fx, &a->to);
			break;
		case MF_DACT_BUSY:
			fx->busy++;
			s_answered(fx, &a->to);
			break;
		case MF_DACT_REQUEUE:
			MF_ASSERT_EQ(S_FLIGHT, fx->state[did]);
			MF_ASSERT_EQ(a->w, fx->holder[did]);
			fx->state[did] = S_QUEUED;
			fx->nf--;
			fx->nq++;
			fx->requeues++;
			break;
		case MF_DACT_GONE:
			MF_ASSERT(!fx->d.w[a->w].used);
			fx->gones++;
			break;
		case MF_DACT_KILL:
			fx->kills++;
			break;
		case MF_DACT_LATE:
			fx->lates++;
			break;
		case MF_DACT_REJECT:
			fx->rejects++;
			break;
		case MF_DACT_LOST:
			MF_ASSERT(0);
			break;
		}
	}
	/* The model's sets are the dispatcher's. */
	MF_ASSERT_EQ(fx->nq, mf_dispatch_queued(&fx->d));
	MF_ASSERT_EQ(fx->nf, mf_dispatch_in_flight(&fx->d));
	for (q = 0; q < mf_dispatch_queued(&fx->d); q++)
		MF_ASSERT_EQ(S_QUEUED,
		    fx->state[mf_dispatch_queue_at(&fx->d, q)->did]);
	for (size_t k = 0; k < fx->d.htcap; k++) {
		const mf_entry_t	*e = fx->d.ht[k];

		if (e == NULL)
			continue;
		MF_ASSERT_EQ(S_FLIGHT, fx->state[e->did]);
		MF_ASSERT_EQ(fx->holder[e->did], e->worker);
	}
	for (size_t i = 0; i < fx->d.nw; i++)
		MF_ASSERT(fx->d.w[i].credit >= 0 && fx->d.w[i].in_flight >= 0);
}

/* Admits post 'id' with a body of 'size' bytes (0: a short one), for
 * dedup when 'dedup'. Returns what mf_dispatch_admit returned. */
static int
s_admit_size(s_fx_t *fx, const char *id, int dedup, size_t size)
{
	char			*body;
	mf_client_t		 from = { .from_check = 1 };
	mf_post_t		*p;
	mf_buf_t		 buf = {0};
	mf_dispatch_post_t	 in = {0};
	size_t			 adm = fx->nadm++;
	int			 rc;

	MF_ASSERT(adm < S_CAP);
	MF_ASSERT_NOT_NULL(body = calloc(1, size + 32));
	if (size > 0)
		memset(body, 'x', size);
	else
		snprintf(body, 32, "garlic cures the flu");
	MF_ASSERT_NOT_NULL(p = mf_post_new(id, body));
	MF_ASSERT_EQ(0, mf_wire_encode_post(p, &buf, NULL));
	snprintf((char *)from.ident, sizeof(from.ident), "a%zu", adm);
	from.identlen = strlen((char *)from.ident);
	MF_ASSERT_NOT_NULL(in.post = malloc(buf.len));
	memcpy(in.post, buf.data, buf.len);
	in.len = buf.len;
	in.decoded = dedup ? p : NULL;
	in.from = &from;
	rc = mf_dispatch_admit(&fx->d, &in, fx->now * 1000);
	if (rc == 1) {
		const mf_entry_t *e = mf_dispatch_queue_at(&fx->d,
		    mf_dispatch_queued(&fx->d) - 1);

		MF_ASSERT(e->did < S_CAP);
		MF_ASSERT(e->post == in.post);
		fx->state[e->did] = S_QUEUED;
		snprintf(fx->id[e->did], sizeof(fx->id[e->did]), "%s", id);
		fx->nq++;
	} else
		free(in.post);
	s_after(fx);
	mf_post_destroy(&p);
	mf_buf_free(&buf);
	free(body);
	return rc;
}

static int
s_admit(s_fx_t *fx, const char *id, int dedup)
{
	return s_admit_size(fx, id, dedup, 0);
}

/* READY from worker "w<tag>" (process 'pid'), which runs the checked
 * rules of generation 1; its index. */
static int
s_ready(s_fx_t *fx, int tag, long pid, int credit, int batch)
{
	char			 ident[16];
	mf_proto_ready_t	 r = {
		.credit = credit, .pid = pid, .host = { "host", 4 },
		.ruleset = { "test-rules", 10 }, .batch = batch,
		.maxmsg = 1 << 20
	};
	int			 wi;

	snprintf(ident, sizeof(ident), "w%d", tag);
	wi = mf_dispatch_ready(&fx->d, mf_dispatch_worker(&fx->d, ident,
	    strlen(ident)), &r, ident, strlen(ident), fx->now);
	MF_ASSERT(wi >= 0);
	s_after(fx);
	mf_dispatch_set_gen(&fx->d, (size_t)wi, 1);
	return wi;
}

/* mf_dispatch_next until it has nothing more; the SENDs made. */
static size_t
s_pump(s_fx_t *fx)
{
	size_t	sends = 0;

	while (mf_dispatch_next(&fx->d, fx->now)) {
		s_after(fx);
		sends += fx->sends;
	}
	s_after(fx);
	return sends;
}

/* A verdict (action 'action', status ok unless 'status') for 'did' from
 * worker 'wi', carrying post_id 'id' (NULL: the post's). */
static void
s_verdict_full(s_fx_t *fx, int wi, uint64_t did, const char *id, int action,
    int status)
{
	mf_verdict_t	*v;
	mf_buf_t	 buf = {0};
	mf_proto_item_t	 it = { .did = did };

	MF_ASSERT_NOT_NULL(v = mf_verdict_new(id ? id : fx->id[did]));
	v->action = (mf_action_t)action;
	if (status != MF_STATUS_OK)
		MF_ASSERT_EQ(0, mf_verdict_set_error(v,
		    (mf_status_t)status, "failed"));
	MF_ASSERT_EQ(0, mf_wire_encode_verdict(v, &buf, NULL));
	it.meta[0] = (uint8_t)action;
	it.meta[1] = (uint8_t)status;
	it.data = buf.data;
	it.len = buf.len;
	mf_dispatch_verdict(&fx->d, wi, &it, fx->now);
	s_after(fx);
	mf_verdict_destroy(&v);
	mf_buf_free(&buf);
}

static void
s_verdict(s_fx_t *fx, int wi, uint64_t did)
{
	s_verdict_full(fx, wi, did, NULL, MF_ACT_FLAG, MF_STATUS_OK);
}

static void
s_gone(s_fx_t *fx, int wi)
{
	mf_dispatch_gone(&fx->d, (size_t)wi, 1, "died", fx->now);
	s_after(fx);
}

static void
s_tick(s_fx_t *fx, int64_t ms)
{
	fx->now += ms;
	mf_dispatch_tick(&fx->d, fx->now);
	s_after(fx);
}

MF_TEST(dispatch_waits_for_credit_and_sends_one_post_each)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 w;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 0));
	MF_ASSERT_EQ(1, s_admit(fx, "p2", 0));
	MF_ASSERT_EQ(1, s_admit(fx, "p3", 0));
	MF_ASSERT_EQ(0, s_pump(fx));		/* no worker */
	w = s_ready(fx, 1, 100, 2, 0);
	MF_ASSERT_EQ(2, s_pump(fx));		/* credit 2, POST each */
	MF_ASSERT_EQ(0, fx->send_posts);
	MF_ASSERT_EQ(1, mf_dispatch_queued(&fx->d));
	MF_ASSERT_EQ(2, fx->d.w[w].in_flight);
	s_verdict(fx, w, 1);
	MF_ASSERT_EQ(1, fx->verdicts);
	MF_ASSERT_EQ(1, s_pump(fx));
	MF_ASSERT_EQ(3, fx->send_did[0]);	/* FIFO */
	s_verdict(fx, w, 2);
	s_verdict(fx, w, 3);
	MF_ASSERT_EQ(0, mf_dispatch_queued(&fx->d));
	MF_ASSERT_EQ(0, mf_dispatch_in_flight(&fx->d));
	MF_ASSERT_EQ(3, fx->d.w[w].done);
	/* A second READY changes the credit, not the worker. */
	MF_ASSERT_EQ(w, s_ready(fx, 1, 100, 5, 0));
	MF_ASSERT_EQ(5, fx->d.w[w].credit);
	MF_ASSERT_EQ(1, mf_dispatch_alive(&fx->d));
	s_fx_free(fx);
}

MF_TEST(dispatch_batches_a_fair_share)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	for (int i = 0; i < 40; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 0));
	}
	a = s_ready(fx, 1, 100, 64, 32);
	b = s_ready(fx, 2, 101, 64, 32);
	/* Two idle workers: half of the queue each, in one POSTS. */
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(1, fx->send_posts);
	MF_ASSERT_EQ(20, fx->sent);
	MF_ASSERT_EQ(a, fx->send_w);
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	/* The other idle worker: half of what is left. */
	MF_ASSERT_EQ(b, fx->send_w);
	MF_ASSERT_EQ(10, fx->sent);
	MF_ASSERT_EQ(21, fx->send_did[0]);
	MF_ASSERT(s_pump(fx) > 0);
	MF_ASSERT_EQ(0, mf_dispatch_queued(&fx->d));
	s_fx_free(fx);
}

MF_TEST(dispatch_batch_bounded_by_the_workers_message_size)
{
	s_fx_t			*fx = s_fx_new(0);
	mf_proto_ready_t	 r = {
		.credit = 16, .pid = 7, .host = { "h", 1 }, .batch = 16,
		.maxmsg = 2500
	};
	int			 w;

	for (int i = 0; i < 4; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit_size(fx, id, 0, 1000));
	}
	MF_ASSERT_EQ(1, s_admit_size(fx, "huge", 0, 5000));
	w = mf_dispatch_ready(&fx->d, -1, &r, "w", 1, fx->now);
	s_after(fx);
	mf_dispatch_set_gen(&fx->d, (size_t)w, 1);
	/* 1000-byte posts in frames of 2500: two per POSTS. */
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(2, fx->sent);
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(2, fx->sent);
	/* No worker takes the last: an error verdict, not a send. */
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(0, fx->sends);
	MF_ASSERT_EQ(1, fx->toobig);
	MF_ASSERT_EQ(4, fx->d.w[w].in_flight);
	MF_ASSERT_EQ(0, mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	s_fx_free(fx);
}

MF_TEST(dispatch_unsent_posts_go_back_in_order)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 w;

	for (int i = 0; i < 5; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 0));
	}
	w = s_ready(fx, 1, 100, 8, 8);
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(5, fx->sent);
	/* The send failed: back to the front, and no credit till READY. */
	mf_dispatch_unsend(&fx->d);
	for (uint64_t did = 1; did <= 5; did++) {
		fx->state[did] = S_QUEUED;
		fx->nf--;
		fx->nq++;
	}
	s_after(fx);
	for (size_t i = 0; i < 5; i++)
		MF_ASSERT_EQ(i + 1, mf_dispatch_queue_at(&fx->d, i)->did);
	MF_ASSERT_EQ(0, fx->d.w[w].credit);
	MF_ASSERT_EQ(0, s_pump(fx));
	s_ready(fx, 1, 100, 8, 8);
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(5, fx->sent);
	MF_ASSERT_EQ(1, fx->send_did[0]);
	s_fx_free(fx);
}

MF_TEST(dispatch_first_verdict_counts_later_ones_are_dropped)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 0));
	MF_ASSERT_EQ(1, s_admit(fx, "p2", 0));
	a = s_ready(fx, 1, 100, 1, 0);
	b = s_ready(fx, 2, 101, 1, 0);
	MF_ASSERT_EQ(2, s_pump(fx));
	MF_ASSERT_EQ(a, fx->holder[1]);
	MF_ASSERT_EQ(b, fx->holder[2]);
	/* From the worker that does not hold it, from nobody, of another
	 * post, or with a header that is not the verdict's: rejected, and
	 * the post stays where it is. */
	s_verdict(fx, b, 1);
	MF_ASSERT_EQ(1, fx->rejects);
	s_verdict(fx, -1, 1);
	MF_ASSERT_EQ(1, fx->rejects);
	s_verdict_full(fx, a, 1, "p2", MF_ACT_FLAG, MF_STATUS_OK);
	MF_ASSERT_EQ(1, fx->rejects);
	{
		mf_proto_item_t	it = { .did = 1, .meta = { 1, 0, 0 },
				    .data = "\x80", .len = 1 };

		mf_dispatch_verdict(&fx->d, a, &it, fx->now);
		s_after(fx);
		MF_ASSERT_EQ(1, fx->rejects);
	}
	MF_ASSERT_EQ(S_FLIGHT, fx->state[1]);
	s_verdict(fx, a, 1);
	MF_ASSERT_EQ(1, fx->verdicts);
	/* The same again: a late duplicate. */
	s_verdict(fx, a, 1);
	MF_ASSERT_EQ(0, fx->verdicts);
	MF_ASSERT_EQ(1, fx->lates);
	s_verdict(fx, b, 999);
	MF_ASSERT_EQ(1, fx->lates);
	s_fx_free(fx);
}

MF_TEST(dispatch_requeues_a_dead_workers_batch_at_the_front)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	for (int i = 0; i < 6; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 0));
	}
	a = s_ready(fx, 1, 100, 4, 0);
	MF_ASSERT_EQ(4, s_pump(fx));
	s_verdict(fx, a, 2);		/* one of its batch is done */
	MF_ASSERT_EQ(1, s_pump(fx));	/* did 5 takes its place */
	s_gone(fx, a);
	MF_ASSERT_EQ(1, fx->gones);
	MF_ASSERT_EQ(4, fx->requeues);
	/* Oldest first, ahead of what was still queued. */
	MF_ASSERT_EQ(1, mf_dispatch_queue_at(&fx->d, 0)->did);
	MF_ASSERT_EQ(3, mf_dispatch_queue_at(&fx->d, 1)->did);
	MF_ASSERT_EQ(4, mf_dispatch_queue_at(&fx->d, 2)->did);
	MF_ASSERT_EQ(5, mf_dispatch_queue_at(&fx->d, 3)->did);
	MF_ASSERT_EQ(6, mf_dispatch_queue_at(&fx->d, 4)->did);
	MF_ASSERT_EQ(1, mf_dispatch_queue_at(&fx->d, 0)->kills);
	MF_ASSERT_EQ(0, mf_dispatch_alive(&fx->d));
	/* Its late verdict is dropped; its slot goes to the next worker. */
	s_verdict(fx, -1, 1);
	MF_ASSERT_EQ(1, fx->rejects);
	b = s_ready(fx, 2, 101, 8, 0);
	MF_ASSERT_EQ(a, b);
	MF_ASSERT_EQ(5, s_pump(fx));
	s_gone(fx, b);
	MF_ASSERT_EQ(1, fx->gones);
	MF_ASSERT_EQ(5, fx->requeues);
	s_gone(fx, b);
	MF_ASSERT_EQ(0, fx->gones);	/* twice: nothing */
	s_fx_free(fx);
}

MF_TEST(dispatch_poison_post_after_poison_kills_deaths)
{
	s_fx_t	*fx = s_fx_new(0);

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 0));
	for (int k = 1; k <= 3; k++) {
		int	w = s_ready(fx, k, 100 + k, 1, 0);

		MF_ASSERT_EQ(1, s_pump(fx));
		s_gone(fx, w);
		MF_ASSERT_EQ(k < 3 ? 1 : 0, fx->requeues);
		MF_ASSERT_EQ(k < 3 ? 0 : 1, fx->poisons);
	}
	MF_ASSERT_EQ(S_DONE, fx->state[1]);
	MF_ASSERT_EQ(0, mf_dispatch_queued(&fx->d));
	MF_ASSERT_EQ(1, fx->answers[0]);
	s_fx_free(fx);
}

MF_TEST(dispatch_reconnection_requeues_without_blame)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 0));
	a = s_ready(fx, 1, 100, 1, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	/* The same process on a new connection. */
	b = s_ready(fx, 2, 100, 1, 0);
	MF_ASSERT(a != b);
	MF_ASSERT_EQ(1, fx->gones);
	MF_ASSERT_EQ(1, fx->requeues);
	MF_ASSERT_EQ(0, mf_dispatch_queue_at(&fx->d, 0)->kills);
	MF_ASSERT_EQ(1, mf_dispatch_alive(&fx->d));
	MF_ASSERT_EQ(1, s_pump(fx));
	s_verdict(fx, b, 1);
	MF_ASSERT_EQ(1, fx->verdicts);
	s_fx_free(fx);
}

MF_TEST(dispatch_no_posts_to_a_worker_of_unchecked_rules)
{
	s_fx_t			*fx = s_fx_new(600);
	mf_proto_ready_t	 r = {
		.credit = 64, .pid = 99, .host = { "h", 1 }, .batch = 32,
		.maxmsg = 1 << 20
	};
	int			 a, b, n;

	for (int i = 0; i < 40; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 1));
	}
	/* A new record runs no checked rules until it is told so. */
	n = mf_dispatch_ready(&fx->d, -1, &r, "new", 3, fx->now);
	MF_ASSERT(n >= 0);
	s_after(fx);
	MF_ASSERT_EQ(0, fx->d.w[n].gen);
	MF_ASSERT_EQ(0, s_pump(fx));
	mf_dispatch_gone(&fx->d, (size_t)n, 0, "left", fx->now);
	s_after(fx);
	/* A worker whose rules medflagd did not check gets nothing ... */
	a = s_ready(fx, 1, 100, 64, 32);
	mf_dispatch_set_gen(&fx->d, (size_t)a, 0);
	MF_ASSERT_EQ(0, s_pump(fx));
	MF_ASSERT_EQ(40, mf_dispatch_queued(&fx->d));
	/* ... nor counts as idle: the other takes a whole batch, not half
	 * of the queue. */
	b = s_ready(fx, 2, 101, 64, 32);
	mf_dispatch_set_gen(&fx->d, (size_t)b, 2);
	MF_ASSERT(mf_dispatch_next(&fx->d, fx->now));
	s_after(fx);
	MF_ASSERT_EQ(b, fx->send_w);
	MF_ASSERT_EQ(32, fx->sent);
	/* Its verdict carries its generation, and so do the answers to the
	 * copies of the post, waiting or later. */
	MF_ASSERT_EQ(0, s_admit(fx, "p0", 1));
	s_verdict(fx, b, 1);
	MF_ASSERT_EQ(1, fx->verdicts);
	MF_ASSERT_EQ(2, fx->verdict_gen);
	MF_ASSERT_EQ(1, fx->dups);
	MF_ASSERT_EQ(2, fx->answer_gen);
	fx->answer_gen = 0;
	MF_ASSERT_EQ(0, s_admit(fx, "p0", 1));
	MF_ASSERT_EQ(1, fx->dups);
	MF_ASSERT_EQ(2, fx->answer_gen);
	/* Once it loads checked rules it gets posts. */
	mf_dispatch_set_gen(&fx->d, (size_t)a, 2);
	MF_ASSERT(s_pump(fx) > 0);
	MF_ASSERT_EQ(0, mf_dispatch_queued(&fx->d));
	MF_ASSERT(fx->d.w[a].in_flight > 0);
	/* Back on unchecked rules it keeps what it holds: its verdict
	 * counts, stamped with generation 0. */
	mf_dispatch_set_gen(&fx->d, (size_t)a, 0);
	for (uint64_t did = 1; did <= 40; did++)
		if (fx->state[did] == S_FLIGHT && fx->holder[did] == a) {
			s_verdict(fx, a, did);
			MF_ASSERT_EQ(1, fx->verdicts);
			MF_ASSERT_EQ(0, fx->verdict_gen);
			break;
		}
	/* medflagd's own error verdicts carry the dispatcher's generation. */
	fx->d.gen = 7;
	fx->cfg.poison_kills = 1;
	s_gone(fx, b);
	MF_ASSERT(fx->poisons > 0);
	MF_ASSERT_EQ(7, fx->error_gen);
	s_fx_free(fx);
}

MF_TEST(dispatch_heartbeat_timeouts)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 0));
	a = s_ready(fx, 1, 100, 1, 0);
	b = s_ready(fx, 2, 101, 1, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	MF_ASSERT_EQ(a, fx->holder[1]);
	/* Both keep talking; 'a' holds its post without a verdict. */
	for (int i = 0; i < 60; i++) {
		s_tick(fx, 100);
		mf_dispatch_seen(&fx->d, a, fx->now);
		mf_dispatch_seen(&fx->d, b, fx->now);
		if (fx->gones)
			break;
	}
	MF_ASSERT_EQ(1, fx->gones);
	MF_ASSERT_EQ(1, fx->kills);
	MF_ASSERT_EQ(1, fx->requeues);
	MF_ASSERT_EQ(1, s_pump(fx));
	MF_ASSERT_EQ(b, fx->holder[1]);
	/* 'b' falls silent while reloading: gone, but not killed. */
	fx->d.w[b].reloading = 1;
	for (int i = 0; i < 60 && fx->gones == 0; i++)
		s_tick(fx, 100);
	MF_ASSERT_EQ(1, fx->gones);
	MF_ASSERT_EQ(0, fx->kills);
	MF_ASSERT_EQ(0, mf_dispatch_alive(&fx->d));
	/* medflagd's own stall is not the workers' silence. */
	a = s_ready(fx, 3, 102, 1, 0);
	s_tick(fx, 100);
	s_tick(fx, 60000);
	MF_ASSERT_EQ(0, fx->gones);
	MF_ASSERT_EQ(1, mf_dispatch_alive(&fx->d));
	s_fx_free(fx);
}

MF_TEST(dispatch_queue_full_is_backpressure)
{
	s_fx_t	*fx = s_fx_new(0);

	fx->cfg.max_queue = 3;
	for (int i = 0; i < 3; i++) {
		char	id[16];

		MF_ASSERT(!mf_dispatch_full(&fx->d));
		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 0));
	}
	MF_ASSERT(mf_dispatch_full(&fx->d));
	s_ready(fx, 1, 100, 1, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	MF_ASSERT(!mf_dispatch_full(&fx->d));
	s_fx_free(fx);
}

MF_TEST(dispatch_dedup_answers_copies_once)
{
	s_fx_t	*fx = s_fx_new(600);
	int	 w;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 1));
	/* Copies in flight wait on the first. */
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(0, fx->dups);
	MF_ASSERT_EQ(1, mf_dispatch_queued(&fx->d));
	w = s_ready(fx, 1, 100, 4, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	s_verdict(fx, w, 1);
	MF_ASSERT_EQ(1, fx->verdicts);
	MF_ASSERT_EQ(2, fx->dups);
	/* A copy after the verdict: answered at once from memory. */
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(1, fx->dups);
	MF_ASSERT_EQ(1, fx->dedup.hits > 0);
	/* Another post is judged. */
	MF_ASSERT_EQ(1, s_admit(fx, "p2", 1));
	for (size_t i = 0; i < fx->nadm - 1; i++)
		MF_ASSERT_EQ(1, fx->answers[i]);
	s_fx_free(fx);
}

MF_TEST(dispatch_dedup_keeps_no_error_verdict)
{
	s_fx_t	*fx = s_fx_new(600);
	int	 w;

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	w = s_ready(fx, 1, 100, 1, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	s_verdict_full(fx, w, 1, NULL, MF_ACT_NONE, MF_STATUS_ERROR);
	MF_ASSERT_EQ(1, fx->dups);	/* the copy shares it ... */
	MF_ASSERT_EQ(1, s_admit(fx, "p1", 1));	/* ... a later one is
						 * judged again */
	MF_ASSERT_EQ(1, fx->dedup.n);
	s_fx_free(fx);
}

MF_TEST(dispatch_dedup_busy_after_too_many_copies)
{
	s_fx_t	*fx = s_fx_new(600);

	MF_ASSERT_EQ(1, s_admit(fx, "p1", 1));
	for (int i = 0; i < MF_DEDUP_MAX_WAITERS; i++)
		MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(0, fx->busy);
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(1, fx->busy);
	s_fx_free(fx);
}

MF_TEST(dispatch_poison_answers_the_copies_too)
{
	s_fx_t	*fx = s_fx_new(600);

	fx->cfg.poison_kills = 1;
	MF_ASSERT_EQ(1, s_admit(fx, "p1", 1));
	MF_ASSERT_EQ(0, s_admit(fx, "p1", 1));
	s_ready(fx, 1, 100, 1, 0);
	MF_ASSERT_EQ(1, s_pump(fx));
	s_gone(fx, 0);
	MF_ASSERT_EQ(1, fx->poisons);
	MF_ASSERT_EQ(1, fx->dups);
	MF_ASSERT_EQ(0, fx->dedup.n);
	s_fx_free(fx);
}

MF_TEST(dispatch_drains_on_shutdown)
{
	s_fx_t	*fx = s_fx_new(0);
	int	 a, b;

	for (int i = 0; i < 10; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "p%d", i);
		MF_ASSERT_EQ(1, s_admit(fx, id, 0));
	}
	a = s_ready(fx, 1, 100, 3, 0);
	b = s_ready(fx, 2, 101, 3, 0);
	/* Draining: nothing more is admitted; what is queued or in flight
	 * goes on until none is left, even when a worker dies. */
	MF_ASSERT_EQ(6, s_pump(fx));
	s_gone(fx, a);
	while (mf_dispatch_queued(&fx->d) + mf_dispatch_in_flight(&fx->d)) {
		s_pump(fx);
		for (uint64_t did = 1; did <= 10; did++)
			if (fx->state[did] == S_FLIGHT)
				s_verdict(fx, b, did);
	}
	for (uint64_t did = 1; did <= 10; did++)
		MF_ASSERT_EQ(S_DONE, fx->state[did]);
	for (size_t i = 0; i < fx->nadm; i++)
		MF_ASSERT_EQ(1, fx->answers[i]);
	s_fx_free(fx);
}

/*
 * A long random run: posts (some copies of others), workers coming,
 * going and reconnecting, verdicts right and wrong, sends that fail,
 * time passing. The checks run after every call; at the end every post
 * is drained and each admission was answered exactly once.
 */
MF_TEST(dispatch_random_sequence_keeps_invariants)
{
	s_fx_t		*fx = s_fx_new(600);
	uint64_t	 seed = 0x5eed1234abcdULL;
	long		 pid = 1000;
	int		 tags[4] = { 0 };

	fx->cfg.poison_kills = 4;
	fx->cfg.max_queue = 200;
	fx->cfg.worker_timeout_ms = 2000;
	for (int op = 0; op < 20000; op++) {
		uint64_t	r = mf_test_xorshift(&seed);
		unsigned	k = (unsigned)(r % 100);
		char		id[16];

		if (k < 30 && !mf_dispatch_full(&fx->d) &&
		    fx->nadm < S_CAP - 1000) {
			/* One post in eight is a copy of a recent one. */
			if ((r >> 8) % 8 == 0)
				snprintf(id, sizeof(id), "d%u",
				    (unsigned)((r >> 16) % 16));
			else
				snprintf(id, sizeof(id), "p%zu", fx->nadm);
			s_admit(fx, id, 1);
		} else if (k < 45) {
			if (mf_dispatch_next(&fx->d, fx->now)) {
				s_after(fx);
				if (fx->sends && (r >> 8) % 10 == 0) {
					mf_dispatch_unsend(&fx->d);
					for (size_t i = 0; i < fx->sent; i++) {
						uint64_t did = fx->send_did[i];

						fx->state[did] = S_QUEUED;
						fx->nf--;
						fx->nq++;
					}
					s_after(fx);
				}
			}
		} else if (k < 75 && fx->nf > 0) {
			/* A verdict for something in flight (or done). */
			for (size_t t = 0; t < fx->d.htcap; t++) {
				const mf_entry_t *e = fx->d.ht[(t + r) %
				    fx->d.htcap];
				uint64_t	  did;
				int		  holder;

				if (e == NULL)
					continue;
				did = e->did;
				holder = e->worker;
				s_verdict_full(fx, (r >> 8) % 20 ? holder : -1,
				    did, NULL, (int)((r >> 12) % 5),
				    (r >> 20) % 10 ? MF_STATUS_OK :
				    MF_STATUS_ERROR);
				if ((r >> 24) % 4 == 0)
					s_verdict(fx, holder, did); /* again */
				break;
			}
		} else if (k < 83) {
			unsigned	slot = (unsigned)((r >> 8) % 4);
			int		wi;

			/* A worker: new, or the same process anew. */
			if (tags[slot] == 0 || (r >> 12) % 3 == 0)
				tags[slot] = (int)(op + 1) * 4 + (int)slot;
			wi = s_ready(fx, tags[slot], (r >> 16) % 4 == 0 ? pid :
			    ++pid, 1 + (int)((r >> 20) % 12),
			    (int)((r >> 28) % 10));

			/* One in eight runs rules medflagd never checked. */
			if ((r >> 32) % 8 == 0)
				mf_dispatch_set_gen(&fx->d, (size_t)wi, 0);
		} else if (k < 88 && fx->d.nw > 0) {
			size_t	wi = (size_t)((r >> 8) % fx->d.nw);

			mf_dispatch_gone(&fx->d, wi, (int)((r >> 16) % 2),
			    "random", fx->now);
			s_after(fx);
		} else if (k < 96) {
			s_tick(fx, (int64_t)((r >> 8) % 700));
			for (size_t i = 0; i < fx->d.nw; i++)
				if ((r >> (12 + i % 40)) & 1)
					mf_dispatch_seen(&fx->d, (int)i,
					    fx->now);
		} else
			s_pump(fx);
	}
	/* Drain: a worker that answers everything. */
	for (int round = 0; mf_dispatch_queued(&fx->d) +
	    mf_dispatch_in_flight(&fx->d) > 0; round++) {
		MF_ASSERT(round < 10000);
		s_ready(fx, 999999, 999999, 32, 8);
		s_pump(fx);
		for (size_t t = 0; t < fx->d.htcap; t++)
			if (fx->d.ht[t] != NULL) {
				s_verdict(fx, fx->d.ht[t]->worker,
				    fx->d.ht[t]->did);
				t = (size_t)-1;	/* the table changed */
			}
	}
	for (size_t i = 0; i < fx->nadm; i++)
		MF_ASSERT_EQ(1, fx->answers[i]);
	MF_ASSERT_EQ(fx->d.made, fx->d.done);
	s_fx_free(fx);
}
