/*
 * medflagd.c - the medflag broker: binds the five endpoints, reads posts,
 * hands them to workers (dispatch.c), publishes verdicts, answers
 * operator commands (control.c), supervises local workers (supervise.c).
 *
 * Usage: medflagd [-n] [-d] [-c FILE] [-w N]
 *   -n  check the configuration and the rules, print "configuration OK"
 *   -d  log to stderr (the default; medflagd never daemonizes)
 * Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the rules (and
 * the CURVE allow lists).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "broker.h"

#define S_DRAIN_MS	15000	/* longest SIGTERM waits for in-flight */
#define S_BATCH		256	/* messages read per socket per turn */

static int	s_sigpipe[2] = { -1, -1 };
static char	s_ipc_dir[64];	/* private dir of the local backend, or "" */

static void
s_on_signal(int sig)
{
	int		 saved = errno;
	unsigned char	 c = (unsigned char)sig;

	(void)!write(s_sigpipe[1], &c, 1);
	errno = saved;
}

static void
s_usage(void)
{
	fprintf(stderr, "usage: medflagd [-n] [-d] [-c FILE] [-w WORKERS]\n");
	exit(2);
}

static void
s_print_diags(const mf_diags_t *d)
{
	for (size_t i = 0; i < d->n; i++) {
		fprintf(stderr, "%s: %s: %s\n", d->v[i].where,
		    d->v[i].severity == MF_DIAG_ERROR ? "error" :
		    d->v[i].severity == MF_DIAG_WARNING ? "warning" : "note",
		    d->v[i].msg);
		if (d->v[i].hint[0])
			fprintf(stderr, "  hint: %s\n", d->v[i].hint);
	}
}

static void *
s_bind(mf_broker_t *b, int type, const char *name, const char *ep)
{
	void	*s = zmq_socket(b->ctx, type);
	int	 linger = 2000, hwm = 100000;
	int64_t	 max = MF_PROTO_MAX_SOCKET_MSG;

	if (s == NULL)
		mf_log_fatalx("%s: zmq_socket: %s", name, zmq_strerror(errno));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (type != ZMQ_PUB)
		zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	if (type == ZMQ_PUB || type == ZMQ_ROUTER) {
		zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	}
	if (b->curve_secret[0] != '\0') {
		int	role = type == ZMQ_PUB ? MF_ROLE_SUBSCRIBERS :
		    strcmp(name, "control") == 0 ? MF_ROLE_OPERATORS :
		    strcmp(name, "backend") == 0 ? MF_ROLE_WORKERS :
		    MF_ROLE_PRODUCERS;

		if (mf_curve_server(s, b->curve_secret, role) != 0)
			mf_log_fatalx("%s: CURVE: %s", name,
			    zmq_strerror(errno));
	}
	if (zmq_bind(s, ep) != 0)
		mf_log_fatalx("%s: cannot bind %s: %s", name, ep,
		    zmq_strerror(errno));
	return s;
}

/* SIGHUP: the allow lists again, so keys are added or revoked without a
 * restart (connections already made stay). A list with a bad line keeps
 * the old lists, and says why. */
static void
s_curve_reload(mf_broker_t *b)
{
	mf_curve_allow_t	 a;
	mf_diags_t		 d = {0};
	size_t			 n = 0;

	if (b->curve_secret[0] == '\0')
		return;
	if (mf_curve_allow_load(&a, b->cfg.curve_allow, b->curve_secret,
	    &d) != 0) {
		mf_curve_allow_free(&a);
		for (size_t i = 0; i < d.n; i++)
			mf_log_warnx("%s: %s", d.v[i].where, d.v[i].msg);
		mf_log_warnx("CURVE: allow lists not reloaded; the old ones "
		    "stay");
	} else {
		mf_curve_allow_free(&b->allow);
		b->allow = a;
		for (int r = 0; r < MF_NROLES; r++)
			n += a.n[r];
		mf_log_info("CURVE: allow lists reloaded: %zu keys", n);
	}
	mf_diags_free(&d);
}

/* CURVE on: medflagd's key and the allow lists of curve_allow. Problems
 * go to 'd'. 0 or -1. */
static int
s_curve_load(mf_broker_t *b, mf_diags_t *d)
{
	b->curve_secret[0] = '\0';
	if (b->cfg.curve_secret_key[0] == '\0')
		return 0;
	if (mf_curve_read_secret(b->cfg.curve_secret_key, b->curve_secret,
	    d) != 0 || mf_curve_allow_load(&b->allow, b->cfg.curve_allow,
	    b->curve_secret, d) != 0)
		return -1;
	return 0;
}

/*
 * Local workers talk to medflagd over ipc:// in a private directory (mode
 * 0700) when the configured backend is tcp://: on a 2-core machine the
 * loopback TCP path cost about a fifth of the end-to-end throughput and
 * most of the p99 (docs/performance.md). The configured endpoint stays
 * bound for remote workers. On any failure local workers use it too.
 */
static void
s_local_backend(mf_broker_t *b)
{
	const char	*tmp = getenv("TMPDIR");
	char		 ep[256];

	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(s_ipc_dir, sizeof(s_ipc_dir), "%s/medflagd.XXXXXX", tmp);
	if (mkdtemp(s_ipc_dir) == NULL) {
		mf_log_warn("mkdtemp %s; local workers use %s", s_ipc_dir,
		    b->backend_ep);
		s_ipc_dir[0] = '\0';
		return;
	}
	snprintf(ep, sizeof(ep), "ipc://%s/backend", s_ipc_dir);
	if (zmq_bind(b->backend, ep) != 0) {
		mf_log_warnx("cannot bind %s: %s; local workers use %s", ep,
		    zmq_strerror(errno), b->backend_ep);
		(void)rmdir(s_ipc_dir);
		s_ipc_dir[0] = '\0';
		return;
	}
	snprintf(b->backend_ep, sizeof(b->backend_ep), "%s", ep);
}

static void
s_local_backend_remove(void)
{
	char	path[128];

	if (s_ipc_dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/backend", s_ipc_dir);
	(void)unlink(path);
	(void)rmdir(s_ipc_dir);
}

/* Reads one message from ingest: one frame, a msgpack map, at most
 * MF_WIRE_MAX_MSG bytes. Anything else is counted and, when a post id
 * can be found, answered with a published error verdict. */
static void
s_ingest(mf_broker_t *b, mf_frames_t *f)
{
	if (f->n == 1 && f->extra == 0 && f->len[0] > 0 &&
	    f->len[0] <= MF_WIRE_MAX_MSG &&
	    mf_proto_mp_skip(f->data[0], f->len[0], MF_WIRE_MAX_DEPTH + 1) ==
	    f->len[0]) {
		mf_drec_t	*rec;

		b->st.posts_in++;
		if (mf_broker_dedup_post(b, f->data[0], f->len[0], NULL, 0, 0,
		    &rec))
			return;
		if (mf_broker_enqueue(b, f->data[0], f->len[0], NULL, 0,
		    0) != 0) {
			mf_dedup_abandon(&b->dedup, rec);
			mf_log_rated(&b->rate_bad, MF_LOG_WARN, "out of "
			    "memory queueing a post");
		} else
			mf_broker_dedup_attach(b, rec);
		f->data[0] = NULL;
		f->n = 0;
		return;
	}
	b->st.bad_messages++;
	mf_log_rated(&b->rate_bad, MF_LOG_WARN, "ingest: bad message (%d "
	    "frames, %zu bytes)", f->n + f->extra, f->n ? f->len[0] : 0);
	for (int i = 0; i < f->n; i++) {
		char	id[256];

		if (mf_wire_peek_post_id(f->data[i], f->len[i], id,
		    sizeof(id)) == 0) {
			mf_broker_error(b, NULL, f->data[i], f->len[i], NULL, 0,
			    0, 1, f->len[i] > MF_WIRE_MAX_MSG ?
			    "post: message larger than %u bytes" :
			    "post: malformed message (%d frames)",
			    f->len[i] > MF_WIRE_MAX_MSG ? MF_WIRE_MAX_MSG :
			    (unsigned)(f->n + f->extra));
			break;
		}
	}
}

/* Reads one check request: [identity, "", post]. */
static void
s_check(mf_broker_t *b, mf_frames_t *f)
{
	const void	*post;
	size_t		 len;
	mf_drec_t	*rec;

	if (f->n < 1 || f->len[0] > MF_IDENT_MAX)
		return;
	if (f->n != 3 || f->extra != 0 || f->len[1] != 0 || f->len[2] == 0 ||
	    f->len[2] > MF_WIRE_MAX_MSG ||
	    mf_proto_mp_skip(f->data[2], f->len[2], MF_WIRE_MAX_DEPTH + 1) !=
	    f->len[2]) {
		int	pi = f->n >= 3 ? 2 : f->n - 1;

		b->st.bad_messages++;
		mf_log_rated(&b->rate_bad, MF_LOG_WARN, "check: bad request "
		    "(%d frames, %zu bytes)", f->n + f->extra,
		    pi > 0 ? f->len[pi] : 0);
		post = pi > 0 ? f->data[pi] : NULL;
		len = pi > 0 ? f->len[pi] : 0;
		mf_broker_error(b, NULL, post, len, f->data[0], f->len[0], 1,
		    1, len > MF_WIRE_MAX_MSG ? "post: message larger than "
		    "1 MiB" : f->n != 3 || f->len[1] != 0 ? "post: expected "
		    "frames [\"\", post]" : "post: malformed msgpack");
		return;
	}
	if (b->qlen >= (size_t)b->cfg.max_queue) {
		b->st.busy++;
		mf_broker_error(b, NULL, f->data[2], f->len[2], f->data[0],
		    f->len[0], 1, 0, "busy: queue full, retry");
		return;
	}
	b->st.posts_in++;
	if (mf_broker_dedup_post(b, f->data[2], f->len[2], f->data[0],
	    f->len[0], 1, &rec))
		return;
	if (mf_broker_enqueue(b, f->data[2], f->len[2], f->data[0],
	    f->len[0], 1) != 0) {
		mf_dedup_abandon(&b->dedup, rec);
		mf_log_rated(&b->rate_bad, MF_LOG_WARN, "out of memory "
		    "queueing a post");
	} else
		mf_broker_dedup_attach(b, rec);
	f->data[2] = NULL;
	f->n = 2;
}

static void
s_drain_socket(mf_broker_t *b, void *sock,
    void (*fn)(mf_broker_t *, mf_frames_t *))
{
	for (int i = 0; i < S_BATCH; i++) {
		mf_frames_t	f;

		if (sock == b->ingest &&
		    b->qlen >= (size_t)b->cfg.max_queue)
			break;
		if (mf_frames_recv(sock, &f, ZMQ_DONTWAIT) != 0)
			break;
		fn(b, &f);
		mf_frames_free(&f);
		/* Feed workers as we go so they never starve on a burst. */
		if ((i & 31) == 31)
			mf_broker_dispatch(b);
	}
}

static int
s_signals(mf_broker_t *b, int64_t *drain_deadline)
{
	unsigned char	c;

	while (read(s_sigpipe[0], &c, 1) == 1) {
		if (c == SIGCHLD)
			mf_supervise_reap(b);
		else if (c == SIGHUP) {
			mf_diags_t	d = {0};

			mf_log_info("SIGHUP: reloading rules");
			(void)mf_broker_reload(b, &d);
			mf_diags_free(&d);
			s_curve_reload(b);
		} else if ((c == SIGTERM || c == SIGINT) && !b->draining) {
			b->draining = 1;
			*drain_deadline = mf_now_ms() + S_DRAIN_MS;
			mf_log_info("%s: draining %zu queued and %zu in flight",
			    c == SIGTERM ? "SIGTERM" : "SIGINT", b->qlen,
			    mf_broker_in_flight(b));
		} else if (c == SIGTERM || c == SIGINT)
			return 1;	/* a second one: stop now */
	}
	return 0;
}

static void
s_loop(mf_broker_t *b)
{
	int64_t	drain_deadline = 0;

	for (;;) {
		zmq_pollitem_t	 it[8];
		void		*which[8];
		int		 n = 0, rc;
		int64_t		 now = mf_now_ms(), next, timeout;

		it[n] = (zmq_pollitem_t){ NULL, s_sigpipe[0], ZMQ_POLLIN, 0 };
		which[n++] = NULL;
		it[n] = (zmq_pollitem_t){ b->backend, 0, ZMQ_POLLIN, 0 };
		which[n++] = b->backend;
		it[n] = (zmq_pollitem_t){ b->control, 0, ZMQ_POLLIN, 0 };
		which[n++] = b->control;
		if (b->zap != NULL) {
			it[n] = (zmq_pollitem_t){ b->zap, 0, ZMQ_POLLIN, 0 };
			which[n++] = b->zap;
		}
		it[n] = (zmq_pollitem_t){ mf_replay_socket(b), 0, ZMQ_POLLIN,
		    0 };
		which[n++] = mf_replay_socket(b);
		if (!b->draining) {
			it[n] = (zmq_pollitem_t){ b->check, 0, ZMQ_POLLIN, 0 };
			which[n++] = b->check;
			if (b->qlen < (size_t)b->cfg.max_queue) {
				it[n] = (zmq_pollitem_t){ b->ingest, 0,
				    ZMQ_POLLIN, 0 };
				which[n++] = b->ingest;
			}
		}
		next = b->next_hb_ms;
		if (mf_supervise_next_ms(b) < next)
			next = mf_supervise_next_ms(b);
		timeout = next - now;
		if (timeout < 0)
			timeout = 0;
		if (timeout > 100)
			timeout = 100;
		rc = zmq_poll(it, n, (long)timeout);
		if (rc < 0 && errno != EINTR)
			mf_log_fatalx("zmq_poll: %s", zmq_strerror(errno));
		for (int i = 0; rc > 0 && i < n; i++) {
			if (!(it[i].revents & ZMQ_POLLIN))
				continue;
			if (which[i] == NULL) {
				if (s_signals(b, &drain_deadline))
					return;
			} else if (which[i] == b->backend)
				s_drain_socket(b, b->backend,
				    mf_broker_backend_msg);
			else if (which[i] == mf_replay_socket(b))
				mf_replay_forward(b);
			else if (which[i] == b->zap) {
				size_t	no = mf_curve_zap_answer(b->zap,
				    &b->allow);

				if (no > 0)
					mf_log_rated(&b->rate_zap, MF_LOG_WARN,
					    "CURVE: refused %zu connection%s: "
					    "key not on the allow list of its "
					    "role", no, no == 1 ? "" : "s");
			} else if (which[i] == b->control)
				s_drain_socket(b, b->control,
				    mf_broker_control_msg);
			else if (which[i] == b->check)
				s_drain_socket(b, b->check, s_check);
			else if (which[i] == b->ingest)
				s_drain_socket(b, b->ingest, s_ingest);
		}
		now = mf_now_ms();
		mf_broker_heartbeat(b, now);
		mf_supervise_tick(b, now);
		mf_broker_dispatch(b);
		if (b->draining) {
			if (b->qlen == 0 && mf_broker_in_flight(b) == 0)
				return;
			if (now >= drain_deadline) {
				mf_log_warnx("drain: gave up with %zu queued "
				    "and %zu in flight", b->qlen,
				    mf_broker_in_flight(b));
				return;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	mf_broker_t		 b;
	mf_diags_t		 diags = {0};
	const char		*conf = NULL;
	int			 ch, check_only = 0, nworkers = -1;
	struct sigaction	 sa;
	size_t			 blen;

	memset(&b, 0, sizeof(b));
	while ((ch = getopt(argc, argv, "c:dnw:h")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'd': break;
		case 'n': check_only = 1; break;
		case 'w': nworkers = atoi(optarg); break;
		default: s_usage();
		}
	}
	if (optind != argc)
		s_usage();
	mf_log_init("medflagd", "info");
	if (conf == NULL)
		conf = mf_config_default_path();
	if (mf_config_read(&b.cfg, conf, &diags) != 0) {
		s_print_diags(&diags);
		fprintf(stderr, "medflagd: %zu errors in %s; not started\n",
		    diags.errors, conf);
		return 1;
	}
	if (nworkers >= 0)
		b.cfg.workers = nworkers;
	mf_log_set_level(b.cfg.log_level);
	if (mf_broker_check_rules_canary(&b.cfg, b.ruleset, sizeof(b.ruleset),
	    &diags, &b.canary_rate, &b.canary_n) != 0) {
		s_print_diags(&diags);
		fprintf(stderr, "medflagd: %zu errors in the rules of %s\n",
		    diags.errors, b.cfg.rules);
		return 1;
	}
	if (s_curve_load(&b, &diags) != 0) {
		mf_curve_allow_free(&b.allow);
		s_print_diags(&diags);
		fprintf(stderr, "medflagd: CURVE keys of %s not usable; not "
		    "started\n", conf ? conf : "the defaults");
		return 1;
	}
	if (check_only) {
		mf_curve_allow_free(&b.allow);
		s_print_diags(&diags);	/* warnings */
		printf("configuration OK\n");
		mf_diags_free(&diags);
		return 0;
	}
	mf_diags_free(&diags);

	if (pipe(s_sigpipe) != 0)
		mf_log_fatal("pipe");
	for (int i = 0; i < 2; i++) {
		fcntl(s_sigpipe[i], F_SETFL, O_NONBLOCK);
		fcntl(s_sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	gethostname(b.hostname, sizeof(b.hostname) - 1);
	b.started_ms = mf_now_ms();
	if (mf_broker_init_tables(&b) != 0 ||
	    mf_dedup_init(&b.dedup, b.cfg.dedup_window_s,
	    (size_t)b.cfg.dedup_max_entries,
	    (size_t)b.cfg.dedup_max_mb << 20) != 0)
		mf_log_fatalx("out of memory");
	b.ctx = zmq_ctx_new();
	b.rate_zap = (mf_lograte_t)MF_LOGRATE_INIT(5, 60);
	if (b.curve_secret[0] != '\0' &&
	    (b.zap = mf_curve_zap_socket(b.ctx)) == NULL)
		mf_log_fatalx("CURVE: cannot start the ZAP handler: %s",
		    zmq_strerror(errno));
	b.backend = s_bind(&b, ZMQ_ROUTER, "backend", b.cfg.backend);
	b.ingest = s_bind(&b, ZMQ_PULL, "ingest", b.cfg.ingest);
	b.check = s_bind(&b, ZMQ_ROUTER, "check", b.cfg.check);
	b.pub = s_bind(&b, ZMQ_PUB, "verdicts", b.cfg.verdicts);
	b.control = s_bind(&b, ZMQ_ROUTER, "control", b.cfg.control);
	blen = sizeof(b.backend_ep);
	if (zmq_getsockopt(b.backend, ZMQ_LAST_ENDPOINT, b.backend_ep,
	    &blen) != 0)
		snprintf(b.backend_ep, sizeof(b.backend_ep), "%s",
		    b.cfg.backend);
	/* A wildcard bind ("tcp://0.0.0.0:7705") is reachable on loopback. */
	if (strncmp(b.backend_ep, "tcp://0.0.0.0:", 14) == 0) {
		char	tmp[256];

		snprintf(tmp, sizeof(tmp), "tcp://127.0.0.1:%.200s",
		    b.backend_ep + 14);
		snprintf(b.backend_ep, sizeof(b.backend_ep), "%s", tmp);
	}
	if (b.cfg.workers > 0 && strncmp(b.backend_ep, "tcp://", 6) == 0)
		s_local_backend(&b);
	mf_broker_seq_resume(&b);
	if (mf_journal_start(&b.journal, &b.cfg) != 0)
		mf_log_fatalx("cannot start the journal thread");
	pthread_mutex_lock(&b.journal.mu);
	b.journal.first_seq = b.seq + 1;
	pthread_mutex_unlock(&b.journal.mu);
	if (mf_replay_start(&b) != 0)
		mf_log_fatalx("cannot start the replay thread");
	if (mf_supervise_init(&b) != 0)
		mf_log_fatalx("cannot supervise %d workers; is medflag-worker "
		    "installed next to medflagd?", b.cfg.workers);
	mf_log_info("ready: ruleset %s, %d local workers, ingest %s, check %s, "
	    "verdicts %s, control %s, backend %s (local workers: %s)",
	    b.ruleset, b.cfg.workers, b.cfg.ingest, b.cfg.check,
	    b.cfg.verdicts, b.cfg.control, b.cfg.backend, b.backend_ep);

	s_loop(&b);

	mf_log_info("stopping: %llu verdicts published; telling workers to "
	    "exit", (unsigned long long)b.seq);
	mf_broker_broadcast(&b, MF_PROTO_EXIT);
	mf_supervise_stop(&b, 3000);
	mf_replay_stop(&b);
	mf_journal_stop(&b.journal, 1000);
	zmq_close(b.ingest);
	zmq_close(b.check);
	zmq_close(b.pub);
	zmq_close(b.control);
	zmq_close(b.backend);
	if (b.zap != NULL)
		zmq_close(b.zap);
	mf_curve_allow_free(&b.allow);
	zmq_ctx_term(b.ctx);
	s_local_backend_remove();
	mf_broker_free_tables(&b);
	mf_dedup_free(&b.dedup);
	mf_rulehits_free(&b.rule_hits);
	mf_buf_free(&b.scratch);
	free(b.slots);
	mf_log_info("stopped");
	return 0;
}
