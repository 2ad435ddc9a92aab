/*
 * worker.c - medflag-worker: a thin loop around libmedflag.
 *
 * Connects a DEALER to medflagd's backend, announces its credit, and
 * judges each POST with the compiled rules and an in-process snapshot of
 * the source lists. A refresher thread keeps that snapshot in step with
 * Redis (version key checked every 200 ms, never per post); with Redis
 * down the last snapshot (or the .list files in rules/sources) is used and verdicts
 * carry sources_stale. Not responsible for queueing or retries (medflagd).
 *
 * Usage: medflag-worker [-c FILE] [-b BACKEND] [-i INDEX] [-d]
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "medflag.h"
#include "config.h"
#include "curve.h"
#include "guard.h"
#include "local.h"
#include "log.h"
#include "proto.h"
#include "rulehits.h"
#include "store.h"

#define S_REFRESH_MS	200
#define S_FLUSH		8	/* verdicts per VERDICTS message, at most */

static volatile sig_atomic_t	s_stop;
/* A send to medflagd did not go out within worker_timeout_ms
 * (ZMQ_SNDTIMEO): the connection is gone (libzmq drops it, for one, on a frame over
 * ZMQ_MAXMSGSIZE, and a DEALER without a peer blocks every send). The
 * main loop connects again; medflagd gives what we held to others. A
 * blocking send without a deadline once left a worker alive, silent and
 * never restarted. */
static int			s_send_lost;

/* Shared with the refresher thread, under 'mu'. */
typedef struct s_refresh {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	const mf_config_t *cfg;
	mf_sources_t	*pending;	/* OWNS: a new snapshot to adopt */
	int		 stale;		/* Redis is down */
	int		 stop;
	long long	 version;	/* of the last snapshot fetched */
	mf_store_t	*st;		/* thread-only */
	int		 backoff;
	int64_t		 next_try;
	/* What moderators taught the model (medflag feedback with the
	 * post's text): main names the model ('model_hash', "" for none);
	 * the refresher fetches its weight changes when learn:version
	 * moves and leaves them in 'lessons' for main to apply. */
	char		 model_hash[17];
	long long	 learn_version;
	mf_model_delta_t *lessons;	/* OWNS */
	size_t		 nlessons;
	char		 lessons_for[17];
	int		 have_lessons;
	/* The rules the moderators' feedback demoted, fetched when
	 * rules:demoted:version moves, for main to hand to the guard. */
	long long	 demoted_version;
	char		*demoted;	/* OWNS: ids, comma-separated */
	int		 have_demoted;
} s_refresh_t;

static void
s_on_term(int sig)
{
	(void)sig;
	s_stop = 1;
}

/* The model's lessons, when learn:version moved or the model changed. */
static void
s_refresh_lessons(s_refresh_t *r)
{
	char		  hash[17];
	long long	  v = 0;
	mf_model_delta_t *d = NULL;
	size_t		  n = 0;

	pthread_mutex_lock(&r->mu);
	memcpy(hash, r->model_hash, sizeof(hash));
	pthread_mutex_unlock(&r->mu);
	if (hash[0] == '\0' || r->st == NULL ||
	    mf_store_learn_version(r->st, &v) != 0)
		return;
	pthread_mutex_lock(&r->mu);
	if (v == r->learn_version && strcmp(hash, r->lessons_for) == 0) {
		pthread_mutex_unlock(&r->mu);
		return;
	}
	pthread_mutex_unlock(&r->mu);
	if (mf_store_learn_fetch(r->st, hash, &d, &n) != 0) {
		mf_log_warnx("redis: %s; the model's lessons wait",
		    mf_store_error(r->st));
		return;
	}
	pthread_mutex_lock(&r->mu);
	free(r->lessons);
	r->lessons = d;
	r->nlessons = n;
	memcpy(r->lessons_for, hash, sizeof(hash));
	r->have_lessons = 1;
	r->learn_version = v;
	pthread_mutex_unlock(&r->mu);
	mf_log_debug("model %s: %zu weights taught (learn version %lld)",
	    hash, n, v);
}

/* The demoted rules, when rules:demoted:version moved (or after a
 * reconnect: demoted_version is then -1). */
static void
s_refresh_demoted(s_refresh_t *r)
{
	long long	v = 0;
	mf_buf_t	ids = {0};

	if (r->st == NULL || mf_store_demoted_version(r->st, &v) != 0 ||
	    v == r->demoted_version)
		return;
	if (mf_store_demoted(r->st, &ids, NULL) != 0) {
		mf_log_warnx("redis: %s; the demoted rules wait",
		    mf_store_error(r->st));
		mf_buf_free(&ids);
		return;
	}
	pthread_mutex_lock(&r->mu);
	free(r->demoted);
	r->demoted = ids.data ? ids.data : strdup("");
	r->have_demoted = r->demoted != NULL;
	r->demoted_version = v;
	pthread_mutex_unlock(&r->mu);
}

/* One refresh step: connect if needed, compare versions, fetch if new. */
static void
s_refresh_once(s_refresh_t *r)
{
	char		 err[256];
	long long	 v = 0;
	mf_sources_t	*snap = NULL;
	int64_t		 now = mf_now_ms();

	if (r->st == NULL) {
		if (now < r->next_try)
			return;
		r->st = mf_store_connect(r->cfg, r->cfg->redis_timeout_ms, err,
		    sizeof(err));
		if (r->st == NULL) {
			r->backoff = r->backoff ? r->backoff * 2 : 100;
			if (r->backoff > 5000)
				r->backoff = 5000;
			r->next_try = now + r->backoff;
			pthread_mutex_lock(&r->mu);
			if (!r->stale || r->backoff == 5000)
				mf_log_warnx("redis: %s; using the last source "
				    "snapshot, retrying in %d ms", err,
				    r->backoff);
			r->stale = 1;
			pthread_mutex_unlock(&r->mu);
			return;
		}
		r->backoff = 0;
		r->version = -1;	/* fetch again after a reconnect */
		r->demoted_version = -1;
	}
	if (mf_store_sources_version(r->st, &v) != 0) {
		mf_log_warnx("redis: %s; reconnecting", mf_store_error(r->st));
		mf_store_destroy(&r->st);
		pthread_mutex_lock(&r->mu);
		r->stale = 1;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	if (v != r->version && v > 0) {
		snap = mf_store_sources_fetch(r->st);
		if (snap == NULL) {
			mf_log_warnx("redis: %s; reconnecting",
			    mf_store_error(r->st));
			mf_store_destroy(&r->st);
			pthread_mutex_lock(&r->mu);
			r->stale = 1;
			pthread_mutex_unlock(&r->mu);
			return;
		}
		mf_log_debug("sources version %lld", v);
	}
	s_refresh_lessons(r);
	s_refresh_demoted(r);
	pthread_mutex_lock(&r->mu);
	if (snap != NULL) {
		mf_sources_destroy(&r->pending);
		r->pending = snap;
	}
	if (r->stale)
		mf_log_info("redis: connected; sources version %lld", v);
	r->version = v;
	r->stale = 0;
	pthread_mutex_unlock(&r->mu);
}

static void *
s_refresh_main(void *arg)
{
	s_refresh_t	*r = arg;

	for (;;) {
		struct timespec	ts;

		pthread_mutex_lock(&r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += S_REFRESH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		s_refresh_once(r);
	}
	mf_store_destroy(&r->st);
	return NULL;
}

/* The field an error names, unless its message already starts with it. */
static const char *
s_where(const mf_err_t *err)
{
	size_t	n = strlen(err->where);

	return n && strncmp(err->msg, err->where, n) == 0 ? "" : err->where;
}

static mf_ruleset_t *
s_load_rules(const mf_config_t *cfg, mf_diags_t *diags)
{
	mf_sources_t	*vetted = mf_sources_new("files");
	mf_ruleset_t	*rs = NULL;

	if (vetted == NULL)
		return NULL;
	rs = mf_local_ruleset_load(cfg->rules, cfg->local, vetted, 0, diags);
	mf_sources_destroy(&vetted);
	return rs;
}

/* CURVE keys when configured (curve.h): medflagd's public, our secret. */
static int	s_curve;
static char	s_server_pub[MF_CURVE_Z85 + 1], s_secret[MF_CURVE_Z85 + 1];

static void *
s_connect(void *ctx, const char *ep, int send_timeout_ms)
{
	void	*s = zmq_socket(ctx, ZMQ_DEALER);
	int	 linger = 1000, hwm = 100000;
	int64_t	 max = MF_PROTO_MAX_SOCKET_MSG;

	if (s_curve && mf_curve_client(s, s_server_pub, s_secret) != 0)
		mf_log_fatalx("CURVE: %s", zmq_strerror(errno));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &send_timeout_ms,
	    sizeof(send_timeout_ms));
	if (zmq_connect(s, ep) != 0)
		mf_log_fatalx("cannot connect to %s: %s", ep,
		    zmq_strerror(errno));
	return s;
}

/* Sends 'm' to medflagd. What we build is checked as what we parse; a
 * message that does not build is a bug here, not input. */
static void
s_send(void *sock, const mf_proto_msg_t *m)
{
	mf_proto_out_t	o;
	mf_err_t	err;

	if (mf_proto_build(m, &o, &err) != 0)
		mf_log_fatalx("%s: %s", mf_proto_name(m->type), err.msg);
	if (mf_proto_send(sock, NULL, 0, &o, NULL, 0) != 0)
		s_send_lost = 1;
}

static void
s_ready(void *sock, int credit, const char *host, const char *hash)
{
	mf_proto_msg_t	m = { .type = MF_PROTO_T_READY };

	m.u.ready.credit = credit;
	m.u.ready.pid = (long)getpid();
	m.u.ready.host = mf_proto_str(host);
	m.u.ready.ruleset = mf_proto_str(hash);
	m.u.ready.batch = MF_PROTO_BATCH_MAX;
	m.u.ready.maxmsg = MF_PROTO_MAX_SOCKET_MSG;
	s_send(sock, &m);
}

/* What judging a post needs; the verdict buffers are reused. */
typedef struct s_judge {
	mf_scanner_t	*scanner;
	mf_ruleset_t	*rules;		/* BORROWS (main's) */
	mf_sources_t	*sources;	/* BORROWS (main's) */
	const mf_model_t *taught;	/* BORROWS (main's), or NULL */
	int		 stale;
	const char	*who;
	mf_guard_t	*guard;		/* OWNS: rules auto-shadowed here */
	mf_lograte_t	 rate_bad;
	mf_buf_t	 out;		/* the last verdict encoded */
	/* A VERDICTS message being built: its entries (data set when it
	 * is sent) and their verdicts back to back. */
	mf_proto_msg_t	 vs;
	mf_buf_t	 body;
	mf_rulehits_t	 hits;		/* per rule, since the last heartbeat */
	mf_buf_t	 hb;		/* their heartbeat frame */
} s_judge_t;

/* Judges the msgpack post 'data': its encoded verdict in j->out and
 * (action, status, MF_PROTO_M_* bits) in 'meta'. A post that does not
 * decode gets an error verdict. Exits when out of memory: staying silent
 * would leave the post to medflagd's timeout, which is worse. */
static void
s_judge(s_judge_t *j, const void *data, size_t len, uint8_t meta[3])
{
	mf_err_t	 err = {0};
	mf_post_t	*post;
	mf_verdict_t	*v = NULL;

	meta[0] = meta[1] = meta[2] = 0;
	post = mf_wire_decode_post(data, len, &err);
	if (post == NULL) {
		char	id[MF_WIRE_ID_CAP];

		if (mf_wire_peek_post_id(data, len, id, sizeof(id)) != 0)
			id[0] = '\0';
		v = mf_verdict_new(id[0] ? id : NULL);
		if (v != NULL)
			(void)mf_verdict_set_error(v, MF_STATUS_ERROR, "%s%s%s",
			    s_where(&err), *s_where(&err) ? ": " : "",
			    err.msg);
		meta[2] |= MF_PROTO_M_BAD_INPUT;
		mf_log_rated(&j->rate_bad, MF_LOG_INFO, "post %.64s: %s",
		    id[0] ? id : "(no id)", err.msg);
	} else {
		mf_scan_opts_t	so = { 0, NULL, 0, 0, NULL };

		mf_guard_opts(j->guard, &so);
		so.model = j->taught;
		if (mf_scan_opts(j->scanner, j->rules, j->sources, post, &so,
		    &v, &err) != 0)
			v = NULL;
		else if ((v->status == MF_STATUS_TIMEOUT ||
		    (v->flags & MF_VF_RULE_LIMIT)) &&
		    so.culprit != MF_SCAN_NO_RULE &&
		    mf_guard_note(j->guard, so.culprit, mf_now_ms()))
			mf_log_warnx("rule %s: %d posts over the time budget "
			    "or a PCRE2 limit within %d s; judged as shadow "
			    "by this worker from now on (reload to reset)",
			    mf_ruleset_rule(j->rules, so.culprit)->id,
			    MF_GUARD_EVENTS, MF_GUARD_WINDOW_MS / 1000);
	}
	if (v != NULL) {
		(void)mf_verdict_set_str(&v->worker, j->who);
		(void)mf_verdict_set_str(&v->ruleset,
		    mf_ruleset_hash(j->rules));
		(void)mf_verdict_set_str(&v->sources_version,
		    mf_sources_version(j->sources));
		if (j->stale) {
			v->flags |= MF_VF_SOURCES_STALE;
			meta[2] |= MF_PROTO_M_STALE;
		}
		meta[0] = (uint8_t)v->action;
		meta[1] = (uint8_t)v->status;
		if (v->flags & MF_VF_REVIEW)
			meta[2] |= MF_PROTO_M_REVIEW;
		if (v->flags & MF_VF_LANG_UNSUPPORTED)
			meta[2] |= MF_PROTO_M_LANG;
		for (size_t i = 0; i < v->nhits; i++) {
			const mf_hit_t	*h = &v->hits[i];
			int		 sh = h->mode == MF_MODE_SHADOW;

			/* Only an id the table cannot take is dropped: a
			 * count, never a verdict. */
			(void)mf_rulehits_add(&j->hits, h->rule,
			    strlen(h->rule), !sh, sh);
		}
	}
	if (v == NULL || mf_wire_encode_verdict(v, &j->out, &err) != 0)
		mf_log_fatalx("cannot produce a verdict: %s", err.msg);
	mf_verdict_destroy(&v);
	mf_post_destroy(&post);
}

/* Sends the VERDICTS message built in j->vs and j->body, if any. The
 * verdicts' places are set only now: j->body moves as it grows. */
static void
s_flush_verdicts(s_judge_t *j, void *sock)
{
	mf_proto_batch_t	*vb = &j->vs.u.batch;
	size_t			 off = 0;

	for (size_t k = 0; k < vb->n; k++) {
		vb->v[k].data = (const uint8_t *)j->body.data + off;
		off += vb->v[k].len;
	}
	if (vb->n > 0)
		s_send(sock, &j->vs);
	vb->n = 0;
	mf_buf_reset(&j->body);
}

/* Judges every post of a POSTS message and answers them in VERDICTS
 * messages of at most S_FLUSH verdicts, so the first posts of a large
 * batch do not wait for the last. */
static void
s_judge_batch(s_judge_t *j, void *sock, const mf_proto_batch_t *posts)
{
	mf_proto_batch_t	*vb = &j->vs.u.batch;

	j->vs.type = MF_PROTO_T_VERDICTS;
	vb->n = 0;
	mf_buf_reset(&j->body);
	for (size_t k = 0; k < posts->n; k++) {
		mf_proto_item_t	*it = &vb->v[vb->n++];

		s_judge(j, posts->v[k].data, posts->v[k].len, it->meta);
		it->did = posts->v[k].did;
		it->len = j->out.len;
		if (mf_buf_append(&j->body, j->out.data, j->out.len) != 0)
			mf_log_fatalx("out of memory");
		if (vb->n == S_FLUSH)
			s_flush_verdicts(j, sock);
		if (s_send_lost)
			break;
	}
	s_flush_verdicts(j, sock);
}

/* Tells the refresher which model's lessons to fetch (under r->mu or
 * before the thread starts). */
static void
s_name_model(s_refresh_t *r, const mf_ruleset_t *rules)
{
	const mf_model_t *m = mf_ruleset_model(rules);

	pthread_mutex_lock(&r->mu);
	snprintf(r->model_hash, sizeof(r->model_hash), "%s",
	    m ? mf_model_hash(m) : "");
	r->lessons_for[0] = '\0';
	r->learn_version = -1;
	pthread_mutex_unlock(&r->mu);
}

/* Builds the taught model from the rule set's and the lessons fetched for
 * it (called with r->mu held). Lessons for another model are dropped. */
static void
s_adopt_lessons(s_refresh_t *r, const mf_ruleset_t *rules,
    mf_model_t **taught)
{
	const mf_model_t	*m = mf_ruleset_model(rules);
	mf_model_t		*t;

	if (m == NULL || strcmp(mf_model_hash(m), r->lessons_for) != 0)
		return;
	if ((t = mf_model_with(m, r->lessons, r->nlessons)) == NULL) {
		mf_log_warnx("model %s: lessons out of range or out of memory; "
		    "judging with the model as trained", mf_model_hash(m));
		return;
	}
	mf_model_destroy(taught);
	*taught = t;
	mf_log_info("model %s: %zu weights taught by moderators",
	    mf_model_hash(m), r->nlessons);
}

/*
 * RELOAD: the rules compiled again, and run only if they are the set
 * medflagd compiled and checked for generation 'rq->gen': their content
 * hash (every rule file by name and bytes, in order, the policy and the
 * model; ruleset.c) must be rq->hash. A file edited after medflagd's
 * check, or a worker host's copy that differs, hashes to another value:
 * the new rules are dropped, the old ones stay, and RELOADFAIL says why.
 * RELOADED names the generation and hash now run (medflagd keeps the
 * generation each worker runs, and stamps it on its verdicts).
 */
static void
s_reload(const mf_config_t *cfg, s_refresh_t *r, s_judge_t *j,
    mf_ruleset_t **rules, mf_model_t **taught, const mf_proto_reload_t *rq,
    void *sock)
{
	mf_diags_t	 diags = {0};
	mf_ruleset_t	*nr = s_load_rules(cfg, &diags);
	mf_proto_msg_t	 m = { .type = MF_PROTO_T_RELOADED };
	char		 msg[600], want[MF_PROTO_NAME_MAX + 1];

	snprintf(want, sizeof(want), "%.*s", (int)rq->hash.len,
	    rq->hash.len ? rq->hash.s : "");
	m.u.reload.gen = rq->gen;
	if (nr != NULL && rq->gen > 0 &&
	    strcmp(mf_ruleset_hash(nr), want) != 0) {
		snprintf(msg, sizeof(msg), "the rules read here are ruleset "
		    "%s, not %s, the one medflagd checked for generation "
		    "%llu (changed since, or another copy); keeping ruleset "
		    "%s", mf_ruleset_hash(nr), want,
		    (unsigned long long)rq->gen, mf_ruleset_hash(*rules));
		mf_log_warnx("reload refused: %s", msg);
		mf_ruleset_destroy(&nr);
		m.type = MF_PROTO_T_RELOADFAIL;
		m.u.reload.why = mf_proto_str(msg);
		s_send(sock, &m);
	} else if (nr != NULL) {
		if (mf_guard_rules(j->guard, nr) != 0)
			mf_log_fatalx("out of memory");
		mf_ruleset_destroy(rules);
		*rules = nr;
		j->rules = nr;
		/* A new model, or the same one: its lessons are fetched
		 * again. */
		mf_model_destroy(taught);
		j->taught = NULL;
		s_name_model(r, nr);
		m.u.reload.hash = mf_proto_str(mf_ruleset_hash(nr));
		s_send(sock, &m);
		mf_log_info("ruleset %s (generation %llu)",
		    mf_ruleset_hash(nr), (unsigned long long)rq->gen);
	} else {
		snprintf(msg, sizeof(msg), "%zu error%s; first: %.200s: %.300s",
		    diags.errors, diags.errors == 1 ? "" : "s",
		    diags.n ? diags.v[0].where : "",
		    diags.n ? diags.v[0].msg : "");
		m.type = MF_PROTO_T_RELOADFAIL;
		m.u.reload.why = mf_proto_str(msg);
		s_send(sock, &m);
	}
	mf_diags_free(&diags);
}

static const char s_usage[] =
    "usage: medflag-worker [-c FILE] [-b BACKEND] [-i INDEX]\n"
    "Judges posts for medflagd; medflagd starts local ones itself, a "
    "worker on\nanother host connects to its backend "
    "(docs/operations.md).\n"
    "  -c FILE     configuration (default $MEDFLAG_CONF, else %s)\n"
    "  -b BACKEND  medflagd's backend endpoint (default: 'backend' of "
    "the configuration)\n"
    "  -i INDEX    the name in its log lines, worker[INDEX]\n"
    "  --help, --version\n";

int
main(int argc, char **argv)
{
	mf_config_t	 cfg;
	mf_diags_t	 diags = {0};
	const char	*conf = NULL, *backend = NULL, *idx = "0";
	char		 host[128], who[200], prog[64];
	int		 ch, stale;
	mf_ruleset_t	*rules;
	mf_sources_t	*sources;
	mf_scanner_t	*scanner;
	s_refresh_t	 r;
	pthread_t	 th;
	void		*ctx, *sock;
	int64_t		 last_heard, next_hb;
	s_judge_t	 j;
	mf_model_t	*taught = NULL;	/* the model with its lessons */
	struct sigaction sa;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf(s_usage, MF_CONFIG_SYSTEM);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("medflag-worker %s\n", MF_VERSION);
			return 0;
		}
	}
	while ((ch = getopt(argc, argv, "c:b:i:d")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'b': backend = optarg; break;
		case 'i': idx = optarg; break;
		case 'd': break;
		default:
			fprintf(stderr, s_usage, MF_CONFIG_SYSTEM);
			return 2;
		}
	}
	snprintf(prog, sizeof(prog), "worker[%.20s]", idx);
	mf_log_init(prog, "info");
	if (mf_config_read(&cfg, conf, &diags) != 0) {
		mf_log_diags(&diags);
		mf_log_fatalx("%zu error%s in %s; not started", diags.errors,
		    diags.errors == 1 ? "" : "s", conf);
	}
	mf_log_set_level(cfg.log_level);
	(void)mf_log_set_sink(cfg.log);
	if (backend == NULL)
		backend = cfg.backend;
	if ((s_curve = mf_curve_client_keys(&cfg, s_server_pub, s_secret,
	    &diags)) < 0) {
		mf_log_diags(&diags);
		mf_log_fatalx("CURVE keys not usable; not started");
	}
	mf_diags_free(&diags);
	if ((rules = s_load_rules(&cfg, &diags)) == NULL) {
		mf_log_diags(&diags);
		mf_log_fatalx("%zu error%s in the rules of %s; not started",
		    diags.errors, diags.errors == 1 ? "" : "s", cfg.rules);
	}
	mf_diags_free(&diags);
	if ((scanner = mf_scanner_new(NULL)) == NULL)
		mf_log_fatalx("out of memory");
	memset(&j, 0, sizeof(j));
	j.scanner = scanner;
	j.who = who;
	if ((j.guard = mf_guard_new(rules)) == NULL)
		mf_log_fatalx("out of memory");
	j.rate_bad = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);

	/* The first snapshot: the rules directory's lists, replaced by the
	 * Redis one as soon as the refresher reads it. */
	{
		char	dir[1200];

		snprintf(dir, sizeof(dir), "%s/sources", cfg.rules);
		sources = mf_sources_new("files");
		if (sources == NULL)
			mf_log_fatalx("out of memory");
		(void)mf_sources_load_dir(sources, dir, &diags);
		if (cfg.local[0]) {
			snprintf(dir, sizeof(dir), "%s/sources", cfg.local);
			(void)mf_sources_load_dir(sources, dir, &diags);
		}
		mf_diags_free(&diags);
	}
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.cfg = &cfg;
	r.version = -1;
	r.demoted_version = -1;
	s_name_model(&r, rules);
	s_refresh_once(&r);
	if (pthread_create(&th, NULL, s_refresh_main, &r) != 0)
		mf_log_fatalx("cannot start the source refresher");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(who, sizeof(who), "%s:%ld", host, (long)getpid());
	ctx = zmq_ctx_new();
	sock = s_connect(ctx, backend, cfg.worker_timeout_ms);
	s_ready(sock, cfg.worker_credit, host, mf_ruleset_hash(rules));
	last_heard = mf_now_ms();
	next_hb = last_heard + cfg.heartbeat_ms;
	mf_log_debug("connected to %s", backend);

	while (!s_stop) {
		zmq_pollitem_t	it = { sock, 0, ZMQ_POLLIN, 0 };
		int64_t		now = mf_now_ms();
		int		rc;

		/* Adopt a new source snapshot and the model's lessons
		 * between posts. */
		pthread_mutex_lock(&r.mu);
		if (r.pending != NULL) {
			mf_sources_destroy(&sources);
			sources = r.pending;
			r.pending = NULL;
		}
		if (r.have_lessons) {
			s_adopt_lessons(&r, rules, &taught);
			r.have_lessons = 0;
		}
		if (r.have_demoted) {
			if (strcmp(r.demoted, mf_guard_demoted(j.guard)) != 0)
				mf_log_info("rules demoted by the moderators' "
				    "feedback, judged as shadow: %s",
				    r.demoted[0] ? r.demoted : "none");
			if (mf_guard_demote(j.guard, r.demoted) != 0)
				mf_log_fatalx("out of memory");
			r.have_demoted = 0;
		}
		stale = r.stale;
		pthread_mutex_unlock(&r.mu);

		mf_log_rated_tick(&j.rate_bad);
		if (now >= next_hb) {
			mf_proto_msg_t	 m = { .type = MF_PROTO_T_HB };
			mf_proto_hb_t	*h = &m.u.hb;

			h->ruleset = mf_proto_str(mf_ruleset_hash(rules));
			h->sources_version =
			    mf_proto_str(mf_sources_version(sources));
			h->stale = stale;
			h->auto_shadowed = mf_proto_str(mf_guard_list(j.guard));
			h->rule_hits = mf_proto_str("");
			h->demoted = mf_proto_str(mf_guard_demoted(j.guard));
			mf_buf_reset(&j.hb);
			if (mf_rulehits_format(&j.hits, &j.hb) == 0 &&
			    j.hb.len > 0)
				h->rule_hits = mf_proto_str(j.hb.data);
			s_send(sock, &m);
			mf_rulehits_zero(&j.hits);
			next_hb = now + cfg.heartbeat_ms;
		}
		if (now - last_heard > cfg.worker_timeout_ms || s_send_lost) {
			/* medflagd is gone or forgot us: reconnect. */
			if (s_send_lost)
				mf_log_warnx("a message to medflagd did not go "
				    "out within %d ms; reconnecting",
				    cfg.worker_timeout_ms);
			else
				mf_log_warnx("no word from medflagd for %lld "
				    "ms; reconnecting",
				    (long long)(now - last_heard));
			s_send_lost = 0;
			zmq_close(sock);
			sock = s_connect(ctx, backend, cfg.worker_timeout_ms);
			s_ready(sock, cfg.worker_credit, host,
			    mf_ruleset_hash(rules));
			last_heard = now;
			continue;
		}
		rc = zmq_poll(&it, 1, (long)(next_hb - now > 0 ?
		    next_hb - now : 0));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			mf_log_fatalx("zmq_poll: %s", zmq_strerror(errno));
		}
		j.rules = rules;
		j.sources = sources;
		j.taught = taught;
		j.stale = stale;
		for (int batch = 0; batch < 64; batch++) {
			mf_frames_t	 f;
			mf_proto_msg_t	 m;
			mf_err_t	 err;

			if (mf_frames_recv(sock, &f, ZMQ_DONTWAIT) != 0)
				break;
			last_heard = mf_now_ms();
			if (mf_frames_parse(&f, 0, 0, &m, &err) != 0) {
				/* Our own medflagd sent it: a bug, or a
				 * newer medflagd; said, and dropped. */
				mf_log_rated(&j.rate_bad, MF_LOG_WARN,
				    "medflagd sent a message that does not "
				    "parse (%s%s%s); dropped", err.where,
				    err.where[0] ? ": " : "", err.msg);
				mf_frames_free(&f);
				continue;
			}
			switch (m.type) {
			case MF_PROTO_T_POST: {
				mf_proto_msg_t	v = { .type =
				    MF_PROTO_T_VERDICT };

				s_judge(&j, m.u.item.data, m.u.item.len,
				    v.u.item.meta);
				v.u.item.did = m.u.item.did;
				v.u.item.data = j.out.data;
				v.u.item.len = j.out.len;
				s_send(sock, &v);
				break;
			}
			case MF_PROTO_T_POSTS:
				s_judge_batch(&j, sock, &m.u.batch);
				break;
			case MF_PROTO_T_RELOAD:
				s_reload(&cfg, &r, &j, &rules, &taught,
				    &m.u.reload, sock);
				break;
			case MF_PROTO_T_RESET:
				s_ready(sock, cfg.worker_credit, host,
				    mf_ruleset_hash(rules));
				break;
			case MF_PROTO_T_EXIT:
				s_stop = 1;
				break;
			default:
				break;
			}
			mf_frames_free(&f);
			if (s_send_lost)
				break;
		}
	}
	{
		mf_proto_msg_t	bye = { .type = MF_PROTO_T_BYE };

		s_send(sock, &bye);
	}
	zmq_close(sock);
	zmq_ctx_term(ctx);
	pthread_mutex_lock(&r.mu);
	r.stop = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	pthread_join(th, NULL);
	mf_sources_destroy(&r.pending);
	free(r.lessons);
	free(r.demoted);
	mf_model_destroy(&taught);
	mf_sources_destroy(&sources);
	mf_scanner_destroy(&scanner);
	mf_guard_destroy(&j.guard);
	mf_ruleset_destroy(&rules);
	mf_buf_free(&j.out);
	mf_buf_free(&j.body);
	mf_buf_free(&j.hb);
	mf_rulehits_free(&j.hits);
	return 0;
}
