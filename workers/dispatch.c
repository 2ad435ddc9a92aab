/*
 * dispatch.c - medflagd's dispatcher on the wire: reads the backend's
 * messages with proto.c's codec, hands them to the dispatcher
 * (dispatch_core.c, which decides what happens to every post) and does
 * what it asks: sends posts to workers, publishes, answers and journals
 * verdicts, counts and logs. Also the heartbeats out, and what workers
 * say of themselves (HB; READY, RELOADED and RELOADFAIL go on to
 * reload.c's hooks). Not responsible for the queue or the in-flight
 * table (dispatch_core.c), the reload's generations (reload.c), sockets'
 * setup (medflagd.c) or starting processes (supervise.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "broker.h"
#include "dispatch_core.h"

int
mf_broker_init_tables(mf_broker_t *b)
{
	b->rate_bad = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	b->rate_late = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	b->rate_reject = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	if (mf_dispatch_init(&b->disp, &b->cfg, b->ruleset, &b->dedup) != 0)
		return -1;
	b->disp.gen = b->gen;	/* reload.c keeps them equal */
	return 0;
}

void
mf_broker_free_tables(mf_broker_t *b)
{
	mf_dispatch_free(&b->disp);
}

size_t
mf_broker_in_flight(const mf_broker_t *b)
{
	return mf_dispatch_in_flight(&b->disp);
}

size_t
mf_broker_alive(const mf_broker_t *b)
{
	return mf_dispatch_alive(&b->disp);
}

/* ---- publishing a verdict -------------------------------------------- */

/*
 * Publishes verdict 'a' (VERDICT or ANSWER; a->e the entry, or NULL),
 * answers its check client and journals it. The stamped verdict goes
 * into one zmq_msg_t that the verdicts PUB, the check reply and the
 * journal share (zmq_msg_copy counts references instead of copying):
 * one allocation and one copy per verdict.
 */
static void
s_publish(mf_broker_t *b, const mf_dact_t *a, const void *verdict,
    size_t len)
{
	static char	 topics[MF_ACT_BLOCK + 1][32];
	static size_t	 tlen[MF_ACT_BLOCK + 1];
	const mf_client_t *to = a->e != NULL ? &a->e->from : &a->to;
	const void	*msg = verdict;
	size_t		 msglen = len;
	uint64_t	 lat = 0;
	int		 action = a->action, status = a->status;
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
	if (a->e != NULL) {
		lat = (uint64_t)(mf_now_us() - a->e->t_recv_us);
		b->st.latency[mf_lathist_bucket(lat)]++;
		b->st.latency_sum += lat;
		if (lat > b->st.latency_max)
			b->st.latency_max = lat;
	}
	b->seq++;
	/* The generation of the worker that judged it (0: the verdict's
	 * own; dedup's copies keep the first's, dispatch_core.c). */
	if (mf_proto_stamp(verdict, len, b->seq, lat, a->gen, b->cfg.shadow,
	    &b->scratch) == 0) {
		msg = b->scratch.data;
		msglen = b->scratch.len;
	}
	if (zmq_msg_init_size(&m, msglen) != 0) {
		/* No memory for the shared message: copy per socket. */
		const void	*d[3] = { topics[action], msg };
		size_t		 l[3] = { tlen[action], msglen };

		(void)mf_frames_send(b->pub, 2, d, l, ZMQ_DONTWAIT);
		if (to->from_check) {
			d[0] = to->ident;
			d[1] = "";
			d[2] = msg;
			l[0] = to->identlen;
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
		/* A message libzmq sent is left empty: closing it is a
		 * no-op. */
		if (to->from_check &&
		    mf_zsend(b->check, to->ident, to->identlen, ZMQ_SNDMORE |
		    ZMQ_DONTWAIT) == (int)to->identlen &&
		    mf_zsend(b->check, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
			(void)mf_zmsg_send(&m, b->check, ZMQ_DONTWAIT);
		zmq_msg_close(&m);
	}
	b->st.verdicts[action]++;
	b->st.status[status]++;
	if (a->meta & MF_PROTO_M_BAD_INPUT)
		b->st.bad_messages++;
	if (a->meta & MF_PROTO_M_STALE)
		b->st.stale++;
	if (a->meta & MF_PROTO_M_REVIEW)
		b->st.review++;
	if (a->meta & MF_PROTO_M_LANG)
		b->st.lang_unsupported++;
}

/* Publishes and answers the verdict given before of ANSWER 'a', flagged
 * duplicate. */
static void
s_answer(mf_broker_t *b, const mf_dact_t *a)
{
	mf_verdict_t	*v;
	mf_buf_t	 out = {0};
	mf_err_t	 err = {0};

	v = mf_wire_decode_verdict(a->verdict, a->len, &err);
	if (v == NULL) {
		/* Stored bytes came from a worker and were published once;
		 * if they do not decode, send them as they are. */
		s_publish(b, a, a->verdict, a->len);
		return;
	}
	v->flags |= MF_VF_DUPLICATE;
	if (mf_wire_encode_verdict(v, &out, &err) == 0)
		s_publish(b, a, out.data, out.len);
	else
		s_publish(b, a, a->verdict, a->len);
	mf_verdict_destroy(&v);
	mf_buf_free(&out);
}

void
mf_broker_error(mf_broker_t *b, const mf_client_t *to, const void *post,
    size_t len, int publish, const char *fmt, ...)
{
	static const mf_client_t ingest;
	char		 msg[512];
	mf_dact_t	 a = { .type = MF_DACT_VERDICT, .action = MF_ACT_NONE,
			    .status = MF_STATUS_ERROR };
	mf_buf_t	 out = {0};
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to == NULL)
		to = &ingest;
	if (mf_dispatch_error_verdict(b->ruleset, b->gen, post, len, msg,
	    &out) != 0) {
		mf_log_warnx("out of memory writing an error verdict");
		mf_buf_free(&out);
		return;
	}
	if (publish) {
		a.to = *to;
		s_publish(b, &a, out.data, out.len);
	} else if (to->from_check) {
		const void	*d[3] = { to->ident, "", out.data };
		size_t		 l[3] = { to->identlen, 0, out.len };

		(void)mf_frames_send(b->check, 3, d, l, ZMQ_DONTWAIT);
	}
	mf_buf_free(&out);
}

/* ---- the dispatcher's actions --------------------------------------- */

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
	for (size_t i = 0; i < b->disp.nw; i++)
		if (b->disp.w[i].used)
			s_send_cmd(b, b->disp.w[i].ident,
			    b->disp.w[i].identlen, cmd);
}

/*
 * SEND 'a': its posts to its worker in one POST or POSTS message. The
 * posts are copied once, straight into the message libzmq sends
 * (zmq_send would copy them a second time). -1 if it did not go out
 * (gone or saturated: the heartbeat decides).
 */
static int
s_send(mf_broker_t *b, const mf_dact_t *a)
{
	const mf_wrec_t	*w = &b->disp.w[a->w];
	mf_proto_msg_t	 m = { .type = MF_PROTO_T_POST };
	mf_proto_out_t	 o;
	size_t		 total = 0, off = 0;
	zmq_msg_t	 body;
	int		 rc;

	if (!a->posts) {
		m.u.item.did = a->es[0]->did;
		m.u.item.data = a->es[0]->post;
		m.u.item.len = a->es[0]->len;
		if (mf_proto_build(&m, &o, NULL) != 0)
			return -1;
		return mf_proto_send(b->backend, w->ident, w->identlen, &o,
		    NULL, ZMQ_DONTWAIT);
	}
	for (size_t k = 0; k < a->n; k++)
		total += a->es[k]->len;
	if (zmq_msg_init_size(&body, total) != 0)
		return -1;
	m.type = MF_PROTO_T_POSTS;
	m.u.batch.n = a->n;
	for (size_t k = 0; k < a->n; k++) {
		mf_proto_item_t	*it = &m.u.batch.v[k];

		it->did = a->es[k]->did;
		it->data = (uint8_t *)zmq_msg_data(&body) + off;
		it->len = a->es[k]->len;
		memcpy((uint8_t *)zmq_msg_data(&body) + off, a->es[k]->post,
		    a->es[k]->len);
		off += a->es[k]->len;
	}
	rc = mf_proto_build(&m, &o, NULL) != 0 ? -1 : mf_proto_send(
	    b->backend, w->ident, w->identlen, &o, &body, ZMQ_DONTWAIT);
	zmq_msg_close(&body);
	return rc;
}

/*
 * Does what the dispatcher's last call asked, in order, and counts it.
 * -1 if a SEND did not go out: its posts went back to the queue and
 * the rest of the list is forgotten (a SEND is always the last).
 */
static int
s_run(mf_broker_t *b)
{
	size_t		 n;
	const mf_dact_t	*acts = mf_dispatch_actions(&b->disp, &n);

	for (size_t i = 0; i < n; i++) {
		const mf_dact_t	*a = &acts[i];
		const mf_wrec_t	*w = a->w >= 0 ? &b->disp.w[a->w] : NULL;

		switch (a->type) {
		case MF_DACT_SEND:
			if (s_send(b, a) != 0) {
				mf_dispatch_unsend(&b->disp);
				return -1;
			}
			break;
		case MF_DACT_VERDICT:
			if (a->cause == MF_DCAUSE_POISON)
				b->st.poison++;
			s_publish(b, a, a->verdict, a->len);
			break;
		case MF_DACT_ANSWER:
			s_answer(b, a);
			break;
		case MF_DACT_BUSY:
			b->st.busy++;
			mf_broker_error(b, &a->to, a->post, a->postlen,
			    !a->to.from_check, "%s", a->text);
			break;
		case MF_DACT_REQUEUE:
			b->st.requeued++;
			break;
		case MF_DACT_KILL:
			mf_supervise_kill(b, w);
			break;
		case MF_DACT_GONE:
			b->st.worker_deaths += (uint64_t)a->blame;
			mf_log_warnx("worker %d (pid %ld) %s; re-dispatching "
			    "%zu post%s%s", w->id, (long)w->pid, a->text,
			    a->requeued, a->requeued == 1 ? "" : "s",
			    a->poisoned ? " (some got poison verdicts)" : "");
			mf_broker_reload_gone(b, w, a->text);
			break;
		case MF_DACT_LATE:
			b->st.late_duplicates++;
			mf_log_rated(&b->rate_late, MF_LOG_INFO, "dropped a "
			    "late verdict for dispatch %llu",
			    (unsigned long long)a->did);
			break;
		case MF_DACT_REJECT:
			b->st.rejected_verdicts++;
			if (w != NULL)
				mf_log_rated(&b->rate_reject, MF_LOG_WARN,
				    "worker %d: dropped its verdict for "
				    "dispatch %llu: %s", w->id,
				    (unsigned long long)a->did, a->text);
			else
				mf_log_rated(&b->rate_reject, MF_LOG_WARN,
				    "backend: dropped a verdict for dispatch "
				    "%llu from a peer that is not a registered "
				    "worker", (unsigned long long)a->did);
			break;
		case MF_DACT_LOST:
			mf_log_warnx("out of memory writing an error verdict");
			break;
		}
	}
	return 0;
}

int
mf_broker_admit(mf_broker_t *b, const mf_dispatch_post_t *in)
{
	int	rc = mf_dispatch_admit(&b->disp, in, mf_now_us());

	(void)s_run(b);
	return rc;
}

void
mf_broker_worker_dead(mf_broker_t *b, size_t wi, const char *why)
{
	mf_dispatch_gone(&b->disp, wi, 1, why, mf_now_ms());
	(void)s_run(b);
}

void
mf_broker_dispatch(mf_broker_t *b)
{
	while (mf_dispatch_next(&b->disp, mf_now_ms()))
		if (s_run(b) != 0)
			return;
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
		    b->disp.w[wi].id, lines, b->rule_ids.len);
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
		    "for a rule of the current rules; skipped",
		    b->disp.w[wi].id, bad, bad == 1 ? "" : "s");
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
	const mf_wrec_t	*w;

	if ((wi = mf_dispatch_ready(&b->disp, wi, r, ident, identlen,
	    mf_now_ms())) < 0)
		return;
	w = &b->disp.w[wi];
	mf_log_info("worker %d (pid %ld on %s) ready: credit %d, ruleset %s",
	    w->id, (long)w->pid, w->host, w->credit, w->ruleset);
	(void)s_run(b);
	/* Its generation, which says whether it gets posts. */
	mf_broker_reload_ready(b, (size_t)wi);
}

/* A verdict from worker 'wi' (-1: not a registered worker). */
static void
s_verdict(mf_broker_t *b, int wi, const mf_proto_item_t *v)
{
	mf_dispatch_verdict(&b->disp, wi, v, mf_now_ms());
	(void)s_run(b);
}

/* HB from worker 'wi': what it says of itself, and its rule hits. */
static void
s_hb(mf_broker_t *b, int wi, const mf_proto_hb_t *h)
{
	mf_wrec_t	*w = &b->disp.w[wi];

	mf_dispatch_text(w->ruleset, sizeof(w->ruleset), h->ruleset);
	mf_dispatch_text(w->sources_version, sizeof(w->sources_version),
	    h->sources_version);
	w->stale = h->stale;
	mf_dispatch_text(w->auto_shadowed, sizeof(w->auto_shadowed),
	    h->auto_shadowed);
	s_rule_hits(b, wi, h->rule_hits);
	mf_dispatch_text(w->demoted, sizeof(w->demoted), h->demoted);
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
	wi = mf_dispatch_worker(&b->disp, f->data[0], f->len[0]);
	mf_dispatch_seen(&b->disp, wi, mf_now_ms());
	if (mf_frames_parse(f, 1, 1, &m, &err) != 0) {
		char	who[48] = "a peer that is not a registered worker";

		if (wi >= 0)
			snprintf(who, sizeof(who), "worker %d",
			    b->disp.w[wi].id);
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
	case MF_PROTO_T_HB:
		s_hb(b, wi, &m.u.hb);
		break;
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

void
mf_broker_heartbeat(mf_broker_t *b, int64_t now)
{
	mf_dispatch_tick(&b->disp, now);
	(void)s_run(b);
	if (now >= b->next_hb_ms) {
		mf_broker_broadcast(b, MF_PROTO_T_HB_BROKER);
		b->next_hb_ms = now + b->cfg.heartbeat_ms;
	}
}
