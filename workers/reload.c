/*
 * reload.c - medflagd's rule reload as a generation protocol, after
 * OpenBSD relayd's parent_reload: medflagd compiles and checks the rule
 * set, numbers it, and every worker runs it only once it has read the
 * same bytes, acknowledging the generation; the request is answered when
 * every worker has, or when the deadline names those that did not.
 *
 * A round, step by step:
 *   1. a request (control `reload`, SIGHUP) runs now, or waits for the
 *      rate limit's gap and for the round before it (coalesced);
 *   2. medflagd compiles the rules, runs every `expect` line and the
 *      canary (control.c); on any error the old rules stay and the
 *      request is answered at once;
 *   3. the set becomes generation gen + 1, its content hash the current
 *      ruleset; every worker alive is sent RELOAD gen hash (proto.h);
 *   4. each worker compiles its rules directory and compares the hash:
 *      RELOADED gen hash when they are the checked ones, RELOADFAIL gen
 *      why when they are not (a file edited after step 2, another copy
 *      on a worker host) or do not compile; it then keeps its rules;
 *   5. when every worker told has answered or is gone, or at
 *      reload_timeout_ms, the round ends: logged, and the waiting
 *      clients answered, "ok" only when every worker runs the
 *      generation, else naming the silent, the gone and the refusing.
 * Verdicts carry the generation their worker runs (medflagd's stamp,
 * dispatch.c; dedup's copies keep the first's), and a worker whose rules
 * are none medflagd checked (its READY names another hash) is of
 * generation 0, which the dispatcher (dispatch_core.c) gives no posts,
 * until it loads the current generation.
 *
 * Invariants (s_reload_ok): (1) at most one round runs, and it is of the
 * current generation; (2) 'nwaiting' counts its peers still waiting;
 * (3) no worker runs a generation after the current one; (4) a pending
 * reload does not start while a round runs; (5) the dispatcher's
 * generation, stamped on its error verdicts, is the current one.
 *
 * Not responsible for compiling and checking the rules (control.c), nor
 * for dispatch (dispatch_core.c; dispatch.c calls the hooks below).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <zmq.h>

#include "broker.h"




static int
s_reload_ok(const mf_broker_t *b)
{
	const mf_reload_round_t	*r = &b->round;
	size_t			 waiting = 0;

	assert(r->gen == 0 || r->gen == b->gen);
	for (size_t i = 0; i < r->npeer; i++)
		waiting += r->peer[i].state == MF_RELOAD_WAITING;
	assert(waiting == r->nwaiting);
	for (size_t i = 0; i < b->disp.nw; i++)
		assert(!b->disp.w[i].used || b->disp.w[i].gen <= b->gen);
	assert(b->disp.gen == b->gen);
	return 1;
}

/* Copies a string of a worker's message, printable (it is logged). */
static void
s_copy(char *dst, size_t cap, mf_proto_str_t s)
{
	size_t	n = s.len < cap - 1 ? s.len : cap - 1;

	if (n > 0)
		memcpy(dst, s.s, n);
	dst[n] = '\0';
	for (size_t k = 0; k < n; k++) {
		unsigned char	c = (unsigned char)dst[k];

		if (c < 0x20 || c > 0x7e)
			dst[k] = '?';
	}
}

/* The generation of the checked rule set of hash 'hash': the current
 * one, the one before it, or 0 for a set medflagd never checked. */
static uint64_t
s_gen_of(const mf_broker_t *b, const char *hash)
{
	if (strcmp(hash, b->ruleset) == 0)
		return b->gen;
	if (b->prev_ruleset[0] != '\0' && b->gen > 1 &&
	    strcmp(hash, b->prev_ruleset) == 0)
		return b->gen - 1;
	return 0;
}

/* Tells worker 'w' to load the current generation. */
static void
s_send_reload(mf_broker_t *b, mf_wrec_t *w)
{
	mf_proto_msg_t	m = { .type = MF_PROTO_T_RELOAD };
	mf_proto_out_t	o;
	mf_err_t	err;

	m.u.reload.gen = b->gen;
	m.u.reload.hash = mf_proto_str(b->ruleset);
	if (mf_proto_build(&m, &o, &err) != 0) {
		mf_log_warnx("RELOAD: %s", err.msg);	/* a bug here */
		return;
	}
	(void)mf_proto_send(b->backend, w->ident, w->identlen, &o, NULL,
	    ZMQ_DONTWAIT);
	w->reloading = 1;
}

/* The peer of the running round that is worker 'w', or NULL. The
 * process is the peer: it may come back on a new connection. */
static mf_reload_peer_t *
s_peer(mf_broker_t *b, const mf_wrec_t *w, int by_id)
{
	mf_reload_round_t	*r = &b->round;

	for (size_t i = 0; r->gen != 0 && i < r->npeer; i++) {
		mf_reload_peer_t	*p = &r->peer[i];

		if (by_id ? p->id == w->id : (p->pid == w->pid &&
		    strcmp(p->host, w->host) == 0))
			return p;
	}
	return NULL;
}

static void
s_peer_set(mf_broker_t *b, mf_reload_peer_t *p, int state, const char *why)
{
	if (p->state == MF_RELOAD_WAITING)
		b->round.nwaiting--;
	if (state == MF_RELOAD_WAITING)
		b->round.nwaiting++;
	p->state = state;
	snprintf(p->why, sizeof(p->why), "%s", why);
}

/* Step 3: generation b->gen to every worker alive. */
static int
s_round_begin(mf_broker_t *b)
{
	mf_reload_round_t	*r = &b->round;
	size_t			 n = mf_broker_alive(b), k = 0;

	assert(r->gen == 0);
	r->peer = calloc(n ? n : 1, sizeof(*r->peer));
	if (r->peer == NULL)
		return -1;
	r->gen = b->gen;
	r->started_ms = mf_now_ms();
	r->deadline_ms = r->started_ms + b->cfg.reload_timeout_ms;
	for (size_t i = 0; i < b->disp.nw; i++) {
		mf_wrec_t	*w = &b->disp.w[i];

		if (!w->used)
			continue;
		r->peer[k].id = w->id;
		r->peer[k].pid = w->pid;
		snprintf(r->peer[k].host, sizeof(r->peer[k].host), "%s",
		    w->host);
		r->peer[k].state = MF_RELOAD_WAITING;
		k++;
		s_send_reload(b, w);
	}
	r->npeer = r->nwaiting = k;
	assert(s_reload_ok(b));
	return 0;
}

int
mf_broker_reload(mf_broker_t *b, mf_diags_t *diags)
{
	char		hash[40];
	double		rate = 0;
	size_t		n = 0, nrules = 0;
	mf_rulehits_t	ids = {0};

	if (mf_broker_check_rules_ids(&b->cfg, hash, sizeof(hash), diags,
	    &rate, &n, &nrules, &ids) != 0 || mf_canary_judge(b->canary_rate,
	    b->canary_n, rate, n, diags) != 0) {
		mf_rulehits_free(&ids);
		mf_log_warnx("reload refused: %zu error%s, %zu warning%s; "
		    "keeping ruleset %s (%zu rules)", diags->errors,
		    diags->errors == 1 ? "" : "s", diags->warnings,
		    diags->warnings == 1 ? "" : "s", b->ruleset, b->nrules);
		mf_log_diags(diags);
		return -1;
	}
	mf_log_info("reload: ruleset %s -> %s (%zu rules; canary %s); "
	    "generation %llu to %zu worker%s", b->ruleset, hash, nrules,
	    !b->cfg.canary ? "off" : "passed", (unsigned long long)b->gen + 1,
	    mf_broker_alive(b), mf_broker_alive(b) == 1 ? "" : "s");
	snprintf(b->prev_ruleset, sizeof(b->prev_ruleset), "%s", b->ruleset);
	snprintf(b->ruleset, sizeof(b->ruleset), "%s", hash);
	b->gen++;
	b->disp.gen = b->gen;	/* stamped on its error verdicts */
	b->nrules = nrules;
	/* Workers still on the old rules report their hits for a while;
	 * ids of both sets are taken. */
	(void)mf_rulehits_merge(&ids, &b->rule_ids);
	mf_rulehits_free(&b->rule_ids);
	b->rule_ids = ids;
	b->canary_rate = rate;
	b->canary_n = n;
	if (s_round_begin(b) != 0) {
		/* No memory to follow the answers: the workers are still
		 * told, and the request is answered at once. */
		mf_log_warnx("reload generation %llu: out of memory; the "
		    "workers' answers are not awaited",
		    (unsigned long long)b->gen);
		for (size_t i = 0; i < b->disp.nw; i++)
			if (b->disp.w[i].used)
				s_send_reload(b, &b->disp.w[i]);
	}
	return 0;
}

/* "worker 2 (pid 4242 on vm)" */
static void
s_who(char *buf, size_t cap, const mf_reload_peer_t *p)
{
	snprintf(buf, cap, "worker %d (pid %ld on %s)", p->id, (long)p->pid,
	    p->host);
}

/* The peers in state 's1' or 's2', as an array of maps. */
static void
s_pack_peers(msgpack_packer *pk, const mf_reload_round_t *r, int s1, int s2)
{
	size_t	n = 0;

	for (size_t i = 0; i < r->npeer; i++)
		n += r->peer[i].state == s1 || r->peer[i].state == s2;
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < r->npeer; i++) {
		const mf_reload_peer_t	*p = &r->peer[i];

		if (p->state != s1 && p->state != s2)
			continue;
		msgpack_pack_map(pk, 4);
		mf_pk_kv_u64(pk, "id", (uint64_t)p->id);
		mf_pk_kv_u64(pk, "pid", (uint64_t)p->pid);
		mf_pk_kv_str(pk, "host", p->host);
		mf_pk_kv_str(pk, "why", p->why);
	}
}

/*
 * The answer to the requests of a round that ended: ok when every
 * worker told acknowledged the generation; otherwise the workers that
 * did not, under "missing" (silent until the deadline, or gone) and
 * "refused" (with their reason), each also a line of "diagnostics".
 */
static void
s_pack_round(mf_broker_t *b, msgpack_packer *pk, size_t acked)
{
	const mf_reload_round_t	*r = &b->round;
	char			 msg[400], who[200], line[700];
	size_t			 bad = r->npeer - acked;

	if (bad == 0) {
		msgpack_pack_map(pk, 6);
		mf_pk_str(pk, "ok");
		msgpack_pack_true(pk);
		mf_pk_kv_str(pk, "ruleset", b->ruleset);
		mf_pk_kv_u64(pk, "gen", r->gen);
		mf_pk_kv_u64(pk, "workers", r->npeer);
		mf_pk_kv_u64(pk, "acked", acked);
		mf_pk_kv_u64(pk, "requests", r->requests ? r->requests : 1);
		return;
	}
	snprintf(msg, sizeof(msg), "generation %llu (ruleset %s): %zu of "
	    "%zu worker%s did not take it within %d ms; each keeps the rules "
	    "it ran (see `medflag stats`)", (unsigned long long)r->gen,
	    b->ruleset, bad, r->npeer, r->npeer == 1 ? "" : "s",
	    b->cfg.reload_timeout_ms);
	msgpack_pack_map(pk, 10);
	mf_pk_str(pk, "ok");
	msgpack_pack_false(pk);
	mf_pk_kv_str(pk, "error", msg);
	mf_pk_kv_str(pk, "ruleset", b->ruleset);
	mf_pk_kv_u64(pk, "gen", r->gen);
	mf_pk_kv_u64(pk, "workers", r->npeer);
	mf_pk_kv_u64(pk, "acked", acked);
	mf_pk_kv_u64(pk, "requests", r->requests ? r->requests : 1);
	mf_pk_str(pk, "missing");
	s_pack_peers(pk, r, MF_RELOAD_WAITING, MF_RELOAD_GONE);
	mf_pk_str(pk, "refused");
	s_pack_peers(pk, r, MF_RELOAD_REFUSED, MF_RELOAD_REFUSED);
	mf_pk_str(pk, "diagnostics");
	msgpack_pack_array(pk, bad);
	for (size_t i = 0; i < r->npeer; i++) {
		const mf_reload_peer_t	*p = &r->peer[i];

		if (p->state == MF_RELOAD_ACKED)
			continue;
		s_who(who, sizeof(who), p);
		snprintf(line, sizeof(line), "%s: %s%s", who,
		    p->state == MF_RELOAD_REFUSED ? "refused: " : p->state ==
		    MF_RELOAD_GONE ? "gone: " : "", p->why);
		mf_pk_str(pk, line);
	}
}

/* The answer to a reload medflagd refused: its 'diags'. */
static void
s_pack_refused(mf_broker_t *b, msgpack_packer *pk, const mf_diags_t *diags,
    size_t requests)
{
	char	first[900];

	snprintf(first, sizeof(first), "%zu error%s; kept ruleset %s; "
	    "first: %.600s", diags->errors, diags->errors == 1 ? "" : "s",
	    b->ruleset, diags->n ? diags->v[0].msg : "");
	msgpack_pack_map(pk, 6);
	mf_pk_str(pk, "ok");
	msgpack_pack_false(pk);
	mf_pk_kv_str(pk, "error", first);
	mf_pk_kv_str(pk, "ruleset", b->ruleset);
	mf_pk_kv_u64(pk, "gen", b->gen);
	mf_pk_str(pk, "diagnostics");
	msgpack_pack_array(pk, diags->n);
	for (size_t i = 0; i < diags->n; i++) {
		char	line[1400];

		snprintf(line, sizeof(line), "%s: %s: %s%s%s",
		    diags->v[i].where, diags->v[i].severity ==
		    MF_DIAG_ERROR ? "error" : diags->v[i].severity ==
		    MF_DIAG_WARNING ? "warning" : "note",
		    diags->v[i].msg, diags->v[i].hint[0] ?
		    "\n  hint: " : "", diags->v[i].hint);
		mf_pk_str(pk, line);
	}
	/* How many requests this one reload answered (1: no burst). */
	mf_pk_kv_u64(pk, "requests", requests ? requests : 1);
}

/* Sends 'sb' to each of the 'n' clients 'w'. */
static void
s_answer(mf_broker_t *b, const mf_reload_waiter_t *w, size_t n,
    const msgpack_sbuffer *sb)
{
	for (size_t i = 0; i < n; i++)
		mf_broker_control_reply(b, w[i].ident, w[i].identlen,
		    w[i].delim, sb->data, sb->size);
}

/* Step 5: logs the round, answers its clients, and ends it. */
static void
s_round_end(mf_broker_t *b)
{
	mf_reload_round_t	*r = &b->round;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	size_t			 acked = 0;
	char			 who[200];
	int64_t			 took = mf_now_ms() - r->started_ms;

	for (size_t i = 0; i < r->npeer; i++) {
		acked += r->peer[i].state == MF_RELOAD_ACKED;
		if (r->peer[i].state == MF_RELOAD_WAITING)
			snprintf(r->peer[i].why, sizeof(r->peer[i].why),
			    "did not answer within %d ms",
			    b->cfg.reload_timeout_ms);
	}
	if (acked == r->npeer)
		mf_log_info("reload gen %llu complete (%zu/%zu workers, "
		    "%lld ms)", (unsigned long long)r->gen, acked, r->npeer,
		    (long long)took);
	else
		mf_log_warnx("reload gen %llu incomplete: %zu of %zu workers "
		    "run it after %lld ms", (unsigned long long)r->gen, acked,
		    r->npeer, (long long)took);
	for (size_t i = 0; i < r->npeer; i++) {
		const mf_reload_peer_t	*p = &r->peer[i];

		if (p->state == MF_RELOAD_ACKED)
			continue;
		s_who(who, sizeof(who), p);
		mf_log_warnx("reload gen %llu: %s: %s%s",
		    (unsigned long long)r->gen, who, p->state ==
		    MF_RELOAD_REFUSED ? "refused: " : p->state ==
		    MF_RELOAD_GONE ? "gone: " : "", p->why);
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	s_pack_round(b, &pk, acked);
	s_answer(b, r->wait, r->nwait, &sb);
	msgpack_sbuffer_destroy(&sb);
	free(r->peer);
	memset(r, 0, sizeof(*r));
	assert(s_reload_ok(b));
}

void
mf_broker_reload_free(mf_broker_t *b)
{
	free(b->round.peer);
	memset(&b->round, 0, sizeof(b->round));
}

/*
 * Reloads are rate-limited and coalesced: each compiles and tests the
 * whole rule set in medflagd's loop and has every worker recompile, and
 * 62 reloads in 10 s (anyone on the control port could send them) cut
 * check throughput from ~27,000/s to 148/s. A request that comes within
 * the gap after the last reload, or while its round still waits for the
 * workers, waits for the next one; every request until then is answered
 * by that one reload, which reads the rules as they are then, so the
 * last edit is never lost. The gap is reload_min_interval_ms or nine
 * times what medflagd's check took, whichever is longer, so that reloads
 * hold medflagd's loop a tenth of the time at most: the shipped rules
 * take about 1.8 s here, and a 1 s gap alone left 38 checks/s.
 */
static void
s_reload_run(mf_broker_t *b, const void *ident, size_t identlen, int delim)
{
	mf_reload_round_t	*r = &b->round;
	mf_diags_t		 diags = {0};
	size_t			 requests = b->nreload_wait + (ident != NULL);
	int			 rc;
	int64_t			 t0 = mf_now_ms();

	assert(r->gen == 0);
	b->reload_pending = 0;
	rc = mf_broker_reload(b, &diags);
	b->st.reloads++;
	b->reload_last_ms = mf_now_ms();
	b->reload_gap_ms = (b->reload_last_ms - t0) * 9;
	if (b->reload_gap_ms < b->cfg.reload_min_interval_ms)
		b->reload_gap_ms = b->cfg.reload_min_interval_ms;
	if (b->nreload_wait > 0)
		mf_log_info("reload: %zu waiting request%s share it",
		    b->nreload_wait, b->nreload_wait == 1 ? "" : "s");
	if (rc != 0 || r->gen == 0) {
		msgpack_sbuffer	sb;
		msgpack_packer	pk;
		mf_reload_waiter_t self;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		if (rc != 0)
			s_pack_refused(b, &pk, &diags, requests);
		else {	/* no round to wait for (out of memory) */
			msgpack_pack_map(&pk, 3);
			mf_pk_str(&pk, "ok");
			msgpack_pack_true(&pk);
			mf_pk_kv_str(&pk, "ruleset", b->ruleset);
			mf_pk_kv_u64(&pk, "gen", b->gen);
		}
		if (ident != NULL) {
			memcpy(self.ident, ident, identlen);
			self.identlen = identlen;
			self.delim = delim;
			s_answer(b, &self, 1, &sb);
		}
		s_answer(b, b->reload_wait, b->nreload_wait, &sb);
		msgpack_sbuffer_destroy(&sb);
	} else {
		/* Answered when the round ends. */
		memcpy(r->wait, b->reload_wait,
		    b->nreload_wait * sizeof(*r->wait));
		r->nwait = b->nreload_wait;
		if (ident != NULL) {
			memcpy(r->wait[r->nwait].ident, ident, identlen);
			r->wait[r->nwait].identlen = identlen;
			r->wait[r->nwait].delim = delim;
			r->nwait++;
		}
		r->requests = requests;
	}
	b->nreload_wait = 0;
	mf_diags_free(&diags);
}

int64_t
mf_broker_reload_next_ms(const mf_broker_t *b)
{
	if (b->round.gen != 0)
		return b->round.nwaiting == 0 ? 0 : b->round.deadline_ms;
	return b->reload_pending ? b->reload_last_ms + b->reload_gap_ms :
	    INT64_MAX;
}

/* A request whose reload is due within this long (past the end of the
 * round that runs, if one does) waits for its answer; a later one is
 * answered at once that it is queued (`medflag reload` then asks again
 * shortly before it is due). */
#define S_RELOAD_WAIT_MS	2000

void
mf_broker_reload_request(mf_broker_t *b, const void *ident,
    size_t identlen, int delim)
{
	int64_t		now = mf_now_ms(), due, wait = S_RELOAD_WAIT_MS;
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
	char		msg[240];

	if (!b->reload_pending && b->round.gen == 0 &&
	    (b->reload_last_ms == 0 ||
	    now >= b->reload_last_ms + b->reload_gap_ms)) {
		s_reload_run(b, ident, identlen, delim);
		return;
	}
	b->reload_pending = 1;
	b->st.reloads_coalesced++;
	if (ident == NULL)
		return;
	due = b->reload_last_ms + b->reload_gap_ms;
	if (b->round.gen != 0) {
		/* It starts when the round ends, at its deadline at most. */
		if (due < b->round.deadline_ms)
			due = b->round.deadline_ms;
		wait += b->cfg.reload_timeout_ms;
	}
	due -= now;
	if (due <= wait && b->nreload_wait < MF_RELOAD_WAITERS) {
		mf_reload_waiter_t *w = &b->reload_wait[b->nreload_wait++];

		memcpy(w->ident, ident, identlen);
		w->identlen = identlen;
		w->delim = delim;
		return;
	}
	snprintf(msg, sizeof(msg), "a reload is due in %lld ms (reloads are "
	    "rate-limited); it reads the rules as they are then, so this "
	    "request is part of it; the log says how it went",
	    (long long)due);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6);
	mf_pk_str(&pk, "ok");
	msgpack_pack_true(&pk);
	mf_pk_str(&pk, "queued");
	msgpack_pack_true(&pk);
	mf_pk_kv_u64(&pk, "due_ms", (uint64_t)(due > 0 ? due : 0));
	mf_pk_kv_str(&pk, "ruleset", b->ruleset);
	mf_pk_kv_u64(&pk, "gen", b->gen);
	mf_pk_kv_str(&pk, "note", msg);
	mf_broker_control_reply(b, ident, identlen, delim, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

void
mf_broker_reload_tick(mf_broker_t *b, int64_t now)
{
	if (b->round.gen != 0 && (b->round.nwaiting == 0 ||
	    now >= b->round.deadline_ms))
		s_round_end(b);
	if (b->round.gen == 0 && b->reload_pending &&
	    now >= b->reload_last_ms + b->reload_gap_ms)
		s_reload_run(b, NULL, 0, 0);
}

/* ---- the hooks dispatch.c calls ---------------------------------------- */

void
mf_broker_reload_ready(mf_broker_t *b, size_t wi)
{
	mf_wrec_t		*w = &b->disp.w[wi];
	mf_reload_peer_t	*p;

	mf_dispatch_set_gen(&b->disp, wi, s_gen_of(b, w->ruleset));
	if (w->gen == 0)
		mf_log_warnx("worker %d (pid %ld on %s) runs ruleset %s, "
		    "which medflagd did not check (it checked %s, generation "
		    "%llu): no posts go to it until it loads that one", w->id,
		    (long)w->pid, w->host, w->ruleset, b->ruleset,
		    (unsigned long long)b->gen);
	if (w->gen != b->gen)
		s_send_reload(b, w);
	/* The same process, on a new connection, during a round. */
	if ((p = s_peer(b, w, 0)) != NULL && p->state != MF_RELOAD_ACKED &&
	    p->state != MF_RELOAD_REFUSED) {
		p->id = w->id;
		if (w->gen == b->gen)
			s_peer_set(b, p, MF_RELOAD_ACKED, "");
		else
			s_peer_set(b, p, MF_RELOAD_WAITING, "");
	}
	assert(s_reload_ok(b));
}

void
mf_broker_reload_answer(mf_broker_t *b, size_t wi, const mf_proto_msg_t *m)
{
	mf_wrec_t		*w = &b->disp.w[wi];
	const mf_proto_reload_t	*a = &m->u.reload;
	mf_reload_peer_t	*p = s_peer(b, w, 1);
	char			 why[256], hash[40];

	w->reloading = 0;
	if (m->type == MF_PROTO_T_RELOADFAIL) {
		s_copy(why, sizeof(why), a->why);
		mf_log_warnx("worker %d refused generation %llu: %s; it runs "
		    "ruleset %s (generation %llu)", w->id,
		    (unsigned long long)a->gen, why, w->ruleset,
		    (unsigned long long)w->gen);
		if (p != NULL && (a->gen == 0 || a->gen == b->round.gen))
			s_peer_set(b, p, MF_RELOAD_REFUSED, why);
		assert(s_reload_ok(b));
		return;
	}
	/* RELOADED: the hash it read says which checked set it runs. */
	s_copy(hash, sizeof(hash), a->hash);
	snprintf(w->ruleset, sizeof(w->ruleset), "%s", hash);
	mf_dispatch_set_gen(&b->disp, wi, s_gen_of(b, hash));
	if (w->gen == 0)
		mf_log_warnx("worker %d runs ruleset %s, which medflagd did "
		    "not check; no posts go to it", w->id, hash);
	else
		mf_log_info("worker %d runs ruleset %s (generation %llu)",
		    w->id, hash, (unsigned long long)w->gen);
	if (p != NULL && w->gen == b->round.gen)
		s_peer_set(b, p, MF_RELOAD_ACKED, "");
	else if (p != NULL && (a->gen == 0 || a->gen == b->round.gen)) {
		snprintf(why, sizeof(why), "answered with ruleset %s, not %s",
		    hash, b->ruleset);
		s_peer_set(b, p, MF_RELOAD_REFUSED, why);
	}
	assert(s_reload_ok(b));
}

void
mf_broker_reload_gone(mf_broker_t *b, const mf_wrec_t *w, const char *why)
{
	mf_reload_peer_t	*p = s_peer(b, w, 1);

	/* A worker compiling the rules says nothing until it is done, and
	 * a big set on a busy host takes longer than worker_timeout_ms:
	 * declared dead meanwhile, it is told RESET when it answers and
	 * comes back with READY, which names the rules it now runs
	 * (mf_broker_reload_ready). Its process is gone only when it is
	 * reaped (mf_broker_reload_exited) or the deadline passes. */
	if (p != NULL && p->state == MF_RELOAD_WAITING && !w->reloading)
		s_peer_set(b, p, MF_RELOAD_GONE, why);
}

void
mf_broker_reload_exited(mf_broker_t *b, pid_t pid, const char *why)
{
	mf_reload_round_t	*r = &b->round;

	for (size_t i = 0; r->gen != 0 && i < r->npeer; i++)
		if (r->peer[i].pid == pid && r->peer[i].state ==
		    MF_RELOAD_WAITING && strcmp(r->peer[i].host,
		    b->hostname) == 0)
			s_peer_set(b, &r->peer[i], MF_RELOAD_GONE, why);
}
