/*
 * control.c - medflagd's operator commands on the control ROUTER (stats,
 * health, workers, reload, replay) and the rule check shared by reload and
 * `medflagd -n`. The reload itself, its generations and the workers'
 * answers, is reload.c's.
 *
 * A client sends [command, optional msgpack args]; REQ clients add an
 * empty delimiter, which is echoed. The answer is one msgpack map with
 * "ok" and, on failure, "error". Not responsible for dispatch.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include <msgpack.h>
#include <zmq.h>

#include "broker.h"
#include "local.h"

/* The small msgpack writes of the control replies (reload.c and
 * replay.c write theirs with them too). */
void
mf_pk_str(msgpack_packer *pk, const char *s)
{
	size_t	n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
mf_pk_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	mf_pk_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

void
mf_pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	mf_pk_str(pk, k);
	mf_pk_str(pk, v);
}

void
mf_pk_kv_bool(msgpack_packer *pk, const char *k, int v)
{
	mf_pk_str(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

static void
s_pack_workers(mf_broker_t *b, msgpack_packer *pk)
{
	int64_t	now = mf_now_ms();

	msgpack_pack_array(pk, mf_broker_alive(b));
	for (size_t i = 0; i < b->disp.nw; i++) {
		const mf_wrec_t	*w = &b->disp.w[i];

		if (!w->used)
			continue;
		msgpack_pack_map(pk, 14);
		mf_pk_kv_u64(pk, "id", (uint64_t)w->id);
		mf_pk_kv_u64(pk, "pid", (uint64_t)w->pid);
		mf_pk_kv_str(pk, "host", w->host);
		mf_pk_kv_str(pk, "ruleset", w->ruleset);
		/* The generation of medflagd's checked sets it runs; 0: none
		 * medflagd checked (it gets no posts). */
		mf_pk_kv_u64(pk, "gen", w->gen);
		mf_pk_kv_str(pk, "sources_version", w->sources_version);
		mf_pk_kv_bool(pk, "sources_stale", w->stale);
		mf_pk_kv_u64(pk, "credit", (uint64_t)w->credit);
		mf_pk_kv_u64(pk, "in_flight", (uint64_t)w->in_flight);
		mf_pk_kv_u64(pk, "done", w->done);
		mf_pk_kv_bool(pk, "alive", 1);
		mf_pk_kv_u64(pk, "last_seen_ms", (uint64_t)(now - w->last_seen_ms));
		mf_pk_kv_str(pk, "auto_shadowed", w->auto_shadowed);
		mf_pk_kv_str(pk, "demoted", w->demoted);
	}
}

static const char *
s_sources_version(const mf_broker_t *b)
{
	for (size_t i = 0; i < b->disp.nw; i++)
		if (b->disp.w[i].used && b->disp.w[i].sources_version[0])
			return b->disp.w[i].sources_version;
	return "";
}

static void
s_pack_stats(mf_broker_t *b, msgpack_packer *pk)
{
	int		up = 0;
	uint64_t	written = 0, skipped = 0;
	size_t		jq = 0;

	mf_journal_status(&b->journal, &up, &written, &skipped, &jq);
	msgpack_pack_map(pk, 23 + 15);
	mf_pk_kv_bool(pk, "ok", 1);
	mf_pk_kv_u64(pk, "posts_in", b->st.posts_in);
	mf_pk_str(pk, "verdicts");
	msgpack_pack_map(pk, 5);
	for (int a = 0; a <= MF_ACT_BLOCK; a++)
		mf_pk_kv_u64(pk, mf_action_name((mf_action_t)a), b->st.verdicts[a]);
	mf_pk_str(pk, "status");
	msgpack_pack_map(pk, 4);
	for (int s = 0; s <= MF_STATUS_SKIPPED; s++)
		mf_pk_kv_u64(pk, mf_status_name((mf_status_t)s), b->st.status[s]);
	mf_pk_kv_u64(pk, "in_flight", mf_broker_in_flight(b));
	mf_pk_kv_u64(pk, "queue", mf_dispatch_queued(&b->disp));
	mf_pk_kv_u64(pk, "max_queue", (uint64_t)b->cfg.max_queue);
	mf_pk_kv_u64(pk, "bad_messages", b->st.bad_messages);
	mf_pk_kv_u64(pk, "requeued", b->st.requeued);
	mf_pk_kv_u64(pk, "late_duplicates", b->st.late_duplicates);
	mf_pk_kv_u64(pk, "rejected_verdicts", b->st.rejected_verdicts);
	mf_pk_kv_u64(pk, "busy", b->st.busy);
	mf_pk_kv_u64(pk, "poison", b->st.poison);
	mf_pk_kv_u64(pk, "sources_stale", b->st.stale);
	mf_pk_kv_u64(pk, "review", b->st.review);
	mf_pk_kv_u64(pk, "lang_unsupported", b->st.lang_unsupported);
	mf_pk_kv_u64(pk, "worker_deaths", b->st.worker_deaths);
	mf_pk_kv_u64(pk, "reloads", b->st.reloads);
	mf_pk_kv_u64(pk, "reloads_coalesced", b->st.reloads_coalesced);
	mf_pk_str(pk, "workers");
	s_pack_workers(b, pk);
	mf_pk_kv_str(pk, "ruleset", b->ruleset);
	mf_pk_kv_u64(pk, "gen", b->gen);
	mf_pk_kv_str(pk, "sources_version", s_sources_version(b));
	mf_pk_kv_u64(pk, "seq", b->seq);
	mf_pk_kv_u64(pk, "uptime_s", (uint64_t)((mf_now_ms() - b->started_ms) /
	    1000));
	mf_pk_kv_bool(pk, "redis", up);
	mf_pk_kv_u64(pk, "journal_written", written);
	mf_pk_kv_u64(pk, "journal_skipped", skipped);
	mf_pk_kv_u64(pk, "journal_queue", jq);
	mf_pk_kv_u64(pk, "duplicates", b->dedup.hits);
	mf_pk_kv_u64(pk, "dedup_waited", b->dedup.waited);
	mf_pk_kv_u64(pk, "dedup_entries", b->dedup.n);
	mf_pk_kv_u64(pk, "dedup_bytes", b->dedup.bytes);
	mf_pk_kv_u64(pk, "dedup_evicted", b->dedup.evicted);
	/* Latency since start: quantiles, and the bucket counts (see
	 * lathist.h) from which a reader takes those of an interval. */
	mf_pk_str(pk, "latency_us");
	msgpack_pack_map(pk, 4);
	{
		static const char *const	 name[3] = { "p50", "p90", "p99" };
		static const double		 q[3] = { .50, .90, .99 };

		for (int k = 0; k < 3; k++) {
			uint64_t v = mf_lathist_quantile(b->st.latency,
			    MF_LATHIST_N, q[k]);

			/* A bucket's upper bound may pass the true max. */
			mf_pk_kv_u64(pk, name[k], v < b->st.latency_max ? v :
			    b->st.latency_max);
		}
	}
	mf_pk_kv_u64(pk, "max", b->st.latency_max);
	mf_pk_kv_u64(pk, "latency_sum_us", b->st.latency_sum);
	mf_pk_str(pk, "rule_hits");
	msgpack_pack_map(pk, b->rule_hits.len);
	for (size_t i = 0; i < b->rule_hits.cap; i++) {
		const mf_rulehit_t *h = &b->rule_hits.v[i];

		if (h->id == NULL)
			continue;
		mf_pk_str(pk, h->id);
		msgpack_pack_array(pk, 2);
		msgpack_pack_uint64(pk, h->hits);
		msgpack_pack_uint64(pk, h->shadow);
	}
	mf_pk_str(pk, "latency_hist");
	msgpack_pack_array(pk, MF_LATHIST_N);
	for (size_t i = 0; i < MF_LATHIST_N; i++)
		msgpack_pack_uint64(pk, b->st.latency[i]);
}

int
mf_broker_check_rules(const mf_config_t *cfg, char *hash, size_t cap,
    mf_diags_t *diags)
{
	return mf_broker_check_rules_canary(cfg, hash, cap, diags, NULL, NULL);
}

int
mf_broker_check_rules_canary(const mf_config_t *cfg, char *hash, size_t cap,
    mf_diags_t *diags, double *rate, size_t *n)
{
	size_t	nrules;

	return mf_broker_check_rules_count(cfg, hash, cap, diags, rate, n,
	    &nrules);
}

int
mf_broker_check_rules_count(const mf_config_t *cfg, char *hash, size_t cap,
    mf_diags_t *diags, double *rate, size_t *n, size_t *nrules)
{
	return mf_broker_check_rules_ids(cfg, hash, cap, diags, rate, n,
	    nrules, NULL);
}

int
mf_broker_check_rules_ids(const mf_config_t *cfg, char *hash, size_t cap,
    mf_diags_t *diags, double *rate, size_t *n, size_t *nrules,
    mf_rulehits_t *ids)
{
	mf_sources_t	*vetted = NULL;
	mf_ruleset_t	*rs = NULL;
	mf_scanner_t	*sc = NULL;
	mf_canary_top_t	 top;
	int		 rc = -1;

	*nrules = 0;
	if ((vetted = mf_sources_new("files")) == NULL)
		goto out;
	rs = mf_local_ruleset_load(cfg->rules, cfg->local, vetted, 0, diags);
	if (rs == NULL)
		goto out;
	/* A directory that compiles to nothing (a wrong path, files not
	 * yet copied) would pass every post as "none". */
	if (mf_ruleset_size(rs) == 0) {
		mf_diags_add(diags, MF_DIAG_ERROR, cfg->rules, 0, 0, "check "
		    "'rules' in the configuration; the directory must hold "
		    "*.rules files", "no rules: the rule set is empty");
		goto out;
	}
	if ((sc = mf_scanner_new(NULL)) == NULL)
		goto out;
	if (mf_ruleset_test(rs, sc, diags) != 0)
		goto out;
	if (rate != NULL && cfg->canary &&
	    mf_canary_rate(cfg->rules, rs, sc, rate, n, &top) != 0) {
		/* Without the sample a rule that matches every post would
		 * go live unnoticed: refuse, unless the operator said so. */
		mf_diags_add(diags, MF_DIAG_ERROR, cfg->rules, 0, 0, "install "
		    "rules/canary.jsonl there (make install does), or write "
		    "'canary off' in the configuration to load rules without "
		    "it", "no canary: canary.jsonl is missing or holds no "
		    "post, so the rules cannot be compared with the running "
		    "ones");
		goto out;
	}
	if (rate != NULL && cfg->canary &&
	    mf_canary_rule_check(&top, *n, diags) != 0)
		goto out;
	if (rate != NULL && !cfg->canary)
		*n = 0;		/* canary off: nothing to compare */
	snprintf(hash, cap, "%s", mf_ruleset_hash(rs));
	*nrules = mf_ruleset_size(rs);
	for (size_t i = 0; ids != NULL && i < *nrules; i++) {
		const char	*id = mf_ruleset_rule(rs, i)->id;

		if (mf_rulehits_add(ids, id, strlen(id), 0, 0) != 0)
			goto out;
	}
	if (ids != NULL && mf_rulehits_add(ids, "model", 5, 0, 0) != 0)
		goto out;
	rc = 0;
out:
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&vetted);
	return rc;
}

void
mf_broker_control_reply(mf_broker_t *b, const void *ident, size_t identlen,
    int delim, const void *body, size_t len)
{
	const void	*d[3] = { ident, "", body };
	size_t		 l[3] = { identlen, 0, len };

	if (delim)
		(void)mf_frames_send(b->control, 3, d, l, ZMQ_DONTWAIT);
	else {
		d[1] = body;
		l[1] = len;
		(void)mf_frames_send(b->control, 2, d, l, ZMQ_DONTWAIT);
	}
}

void
mf_broker_control_msg(mf_broker_t *b, mf_frames_t *f)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	int		 delim = 0, ci = 1;
	char		 cmd[32];

	if (f->n < 2 || f->len[0] > MF_IDENT_MAX) {
		b->st.bad_messages++;
		return;
	}
	if (f->len[1] == 0) {
		delim = 1;
		ci = 2;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	cmd[0] = '\0';
	if (ci < f->n && f->len[ci] < sizeof(cmd)) {
		memcpy(cmd, f->data[ci], f->len[ci]);
		cmd[f->len[ci]] = '\0';
	}
	if (strcmp(cmd, "replay") == 0) {
		/* Answered by the replay thread (replay.c). */
		mf_replay_request(b, f, delim, ci);
		msgpack_sbuffer_destroy(&sb);
		return;
	}
	if (strcmp(cmd, "stats") == 0)
		s_pack_stats(b, &pk);
	else if (strcmp(cmd, "health") == 0) {
		int		up = 0;
		uint64_t	w, s;
		size_t		q;

		mf_journal_status(&b->journal, &up, &w, &s, &q);
		msgpack_pack_map(&pk, 7);
		mf_pk_kv_bool(&pk, "ok", b->cfg.workers == 0 ||
		    mf_broker_alive(b) > 0);
		mf_pk_kv_u64(&pk, "workers_alive", mf_broker_alive(b));
		mf_pk_kv_bool(&pk, "redis", up);
		mf_pk_kv_str(&pk, "ruleset", b->ruleset);
		mf_pk_kv_u64(&pk, "gen", b->gen);
		mf_pk_kv_bool(&pk, "draining", b->draining);
		mf_pk_kv_str(&pk, "mode", b->cfg.shadow ? "shadow" : "enforce");
	} else if (strcmp(cmd, "workers") == 0) {
		msgpack_pack_map(&pk, 2);
		mf_pk_kv_bool(&pk, "ok", 1);
		mf_pk_str(&pk, "workers");
		s_pack_workers(b, &pk);
	} else if (strcmp(cmd, "rules") == 0) {
		/* The ids feedback may name (medflag feedback checks them):
		 * the running rule set's, the one's before a reload, model. */
		msgpack_pack_map(&pk, 3);
		mf_pk_kv_bool(&pk, "ok", 1);
		mf_pk_kv_str(&pk, "ruleset", b->ruleset);
		mf_pk_str(&pk, "rules");
		msgpack_pack_array(&pk, b->rule_ids.len);
		for (size_t i = 0; i < b->rule_ids.cap; i++)
			if (b->rule_ids.v[i].id != NULL)
				mf_pk_str(&pk, b->rule_ids.v[i].id);
	} else if (strcmp(cmd, "reload") == 0) {
		/* Answered when it has run (mf_broker_reload_request). */
		mf_broker_reload_request(b, f->data[0], f->len[0], delim);
		msgpack_sbuffer_destroy(&sb);
		return;
	} else {
		char	msg[128];

		b->st.bad_messages++;
		snprintf(msg, sizeof(msg), "unknown command; try stats, "
		    "health, workers, rules, reload or replay");
		msgpack_pack_map(&pk, 2);
		mf_pk_kv_bool(&pk, "ok", 0);
		mf_pk_kv_str(&pk, "error", msg);
	}
	mf_broker_control_reply(b, f->data[0], f->len[0], delim, sb.data,
	    sb.size);
	msgpack_sbuffer_destroy(&sb);
}
