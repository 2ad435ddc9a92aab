/*
 * service_test.c - the service end to end: a real redis-server, the real
 * medflagd with 2 workers, real ZeroMQ clients. Each post must get exactly
 * one verdict through worker kills; Redis going away marks verdicts
 * sources_stale and coming back clears it; a broken reload is refused
 * while the old rules keep serving; SIGTERM under load loses nothing;
 * hostile input is counted and answered, and nothing crashes.
 * Deadlines, never fixed sleeps, decide when to give up.
 * SPDX-License-Identifier: MIT
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "harness.h"
#include "integ_util.h"

static const char *s_bodies[] = {
	"The MMR jab gave my son autism, I'm sure of it.",
	"There is no link between the MMR vaccine and autism.",
	"Drinking bleach cures covid, see naturalnews.com for proof",
	"Nice weather today, going for a walk.",
	"Ivermectin cures covid, doctors are hiding it.",
};

/* A check client: a DEALER with a window of outstanding posts that
 * resends a post after 'resend_ms' without a verdict. */
typedef struct s_pusher {
	int		 n;		/* posts p-0 .. p-(n-1) */
	int		 window;
	int		 resend_ms;
	int		 rate;		/* posts per second; 0 = no pacing */
	unsigned char	*got;		/* verdicts per post (saturating) */
	int64_t		*sent_at;	/* 0 = not sent yet */
	int		 next;		/* next never-sent post */
	int		 outstanding;
	int		 received;	/* distinct posts with a verdict */
	int		 dups;
	int		 stale, fresh, errors;
	int		 resent;
	int64_t		 started;
	void		*sock;
} s_pusher_t;

static void
s_pusher_init(s_pusher_t *p, mf_integ_t *t, int n, int window,
    int resend_ms)
{
	int	linger = 0, hwm = 0;

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->window = window;
	p->resend_ms = resend_ms;
	p->got = calloc((size_t)n, 1);
	p->sent_at = calloc((size_t)n, sizeof(*p->sent_at));
	MF_ASSERT(p->got != NULL && p->sent_at != NULL);
	p->sock = zmq_socket(t->zctx, ZMQ_DEALER);
	zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(p->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	MF_ASSERT_EQ(0, zmq_connect(p->sock, t->check));
	p->started = mf_now_ms();
}

static void
s_pusher_free(s_pusher_t *p)
{
	zmq_close(p->sock);
	free(p->got);
	free(p->sent_at);
}

static void
s_send_post(s_pusher_t *p, int i)
{
	char	id[32], msg[512];
	size_t	len;

	snprintf(id, sizeof(id), "p-%d", i);
	len = mf_integ_post(msg, sizeof(msg), id,
	    s_bodies[i % (int)(sizeof(s_bodies) / sizeof(s_bodies[0]))]);
	MF_ASSERT(len > 0);
	MF_ASSERT(zmq_send(p->sock, "", 0, ZMQ_SNDMORE) == 0);
	MF_ASSERT((size_t)zmq_send(p->sock, msg, len, 0) == len);
	p->sent_at[i] = mf_now_ms();
}

/* One turn: send what the window and pacing allow, resend what timed
 * out, read what arrived (waiting at most 'wait_ms'). */
static void
s_pusher_turn(s_pusher_t *p, int wait_ms)
{
	int64_t		now = mf_now_ms();
	zmq_pollitem_t	it = { p->sock, 0, ZMQ_POLLIN, 0 };

	while (p->next < p->n && p->outstanding < p->window) {
		if (p->rate > 0 && (int64_t)p->next * 1000 / p->rate >
		    now - p->started)
			break;
		s_send_post(p, p->next++);
		p->outstanding++;
	}
	if (p->resend_ms > 0) {
		for (int i = 0; i < p->next; i++)
			if (!p->got[i] && now - p->sent_at[i] > p->resend_ms) {
				s_send_post(p, i);
				p->resent++;
			}
	}
	if (zmq_poll(&it, 1, wait_ms) <= 0)
		return;
	for (;;) {
		zmq_msg_t	m;
		char		id[64];
		int		i, more;
		size_t		sz = sizeof(more);

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			break;
		}
		zmq_getsockopt(p->sock, ZMQ_RCVMORE, &more, &sz);
		if (zmq_msg_size(&m) == 0 && more) {	/* the delimiter */
			zmq_msg_close(&m);
			continue;
		}
		mf_integ_field(zmq_msg_data(&m), zmq_msg_size(&m), "post_id",
		    id, sizeof(id));
		if (sscanf(id, "p-%d", &i) == 1 && i >= 0 && i < p->n) {
			char	st[32];

			mf_integ_field(zmq_msg_data(&m), zmq_msg_size(&m),
			    "status", st, sizeof(st));
			if (strcmp(st, "ok") != 0)
				p->errors++;
			if (mf_integ_has_flag(zmq_msg_data(&m),
			    zmq_msg_size(&m), "sources_stale"))
				p->stale++;
			else
				p->fresh++;
			if (p->got[i] == 0) {
				p->received++;
				p->outstanding--;
			} else
				p->dups++;
			if (p->got[i] < 255)
				p->got[i]++;
		}
		zmq_msg_close(&m);
	}
}

static void
s_check_exactly_once(const s_pusher_t *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->got[i] != 1)
			mf__test_fail(__FILE__, __LINE__, "post p-%d got %d "
			    "verdicts", i, p->got[i]);
}

MF_TEST(service_10k_posts_exactly_once)
{
	mf_integ_t	t;
	s_pusher_t	p;
	int64_t		deadline;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	s_pusher_init(&p, &t, 10000, 1000, 0);
	deadline = mf_now_ms() + 40000;
	while (p.received < p.n && mf_now_ms() < deadline)
		s_pusher_turn(&p, 50);
	fprintf(stderr, "10k: %d verdicts in %lld ms\n", p.received,
	    (long long)(mf_now_ms() - p.started));
	MF_ASSERT_EQ(p.n, p.received);
	MF_ASSERT_EQ(0, p.dups);
	MF_ASSERT_EQ(0, p.errors);
	s_check_exactly_once(&p);
	MF_ASSERT_EQ(10000, mf_integ_stat(&t, "posts_in"));
	MF_ASSERT_EQ(10000, mf_integ_stat(&t, "seq"));
	MF_ASSERT_EQ(10000, mf_integ_stat(&t, "status.ok"));
	MF_ASSERT_EQ(0, mf_integ_stat(&t, "in_flight"));
	s_pusher_free(&p);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

MF_TEST(service_worker_sigkill_every_second)
{
	mf_integ_t	t;
	s_pusher_t	p;
	int64_t		deadline, next_kill;
	int		kills = 0;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	s_pusher_init(&p, &t, 10000, 500, 0);
	p.rate = 1000;		/* about 10 s of traffic: several kills, even
				 * with workers that take 3 s to compile
				 * the rules after a restart */
	next_kill = mf_now_ms() + 500;
	deadline = mf_now_ms() + 45000;
	while (p.received < p.n && mf_now_ms() < deadline) {
		s_pusher_turn(&p, 20);
		if (mf_now_ms() >= next_kill && p.next < p.n) {
			char		 path[32];
			long long	 pid;

			snprintf(path, sizeof(path), "workers.%d.pid",
			    kills % 2);
			pid = mf_integ_stat(&t, path);
			if (pid <= 0)
				pid = mf_integ_stat(&t, "workers.0.pid");
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				kills++;
			next_kill = mf_now_ms() + 1000;
		}
	}
	fprintf(stderr, "kill: %d verdicts, %d kills, %lld requeued, %lld "
	    "deaths\n", p.received, kills, mf_integ_stat(&t, "requeued"),
	    mf_integ_stat(&t, "worker_deaths"));
	MF_ASSERT(kills >= 3);
	MF_ASSERT_EQ(p.n, p.received);
	MF_ASSERT_EQ(0, p.dups);
	s_check_exactly_once(&p);
	MF_ASSERT_EQ(10000, mf_integ_stat(&t, "seq"));
	MF_ASSERT_EQ(0, mf_integ_wait_workers(&t, 2, 20000));
	s_pusher_free(&p);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

/*
 * Every supervised worker death is a SIGCHLD to medflagd, and a signal
 * that lands while libzmq checks its mailbox makes the call fail with
 * EINTR, even with ZMQ_DONTWAIT and between two frames of one message.
 * A child sends medflagd SIGCHLD (which it handles and which costs it
 * nothing else) as fast as it can while 10,000 posts go through check:
 * each must still get exactly one verdict, and nothing may count as bad.
 */
MF_TEST(service_signal_storm_loses_nothing)
{
	mf_integ_t	t;
	s_pusher_t	p;
	int64_t		deadline;
	pid_t		storm;
	int		status;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	storm = fork();
	MF_ASSERT(storm >= 0);
	if (storm == 0) {
		for (;;) {
			if (kill(t.medflagd_pid, SIGCHLD) != 0)
				_exit(0);
			usleep(20);
		}
	}
	s_pusher_init(&p, &t, 10000, 500, 0);
	p.rate = 4000;
	deadline = mf_now_ms() + 30000;
	while (p.received < p.n && mf_now_ms() < deadline)
		s_pusher_turn(&p, 20);
	kill(storm, SIGKILL);
	(void)waitpid(storm, &status, 0);
	fprintf(stderr, "storm: %d of %d verdicts, %lld bad messages\n",
	    p.received, p.n, mf_integ_stat(&t, "bad_messages"));
	MF_ASSERT_EQ(p.n, p.received);
	MF_ASSERT_EQ(0, p.dups);
	MF_ASSERT_EQ(0, p.errors);
	s_check_exactly_once(&p);
	MF_ASSERT_EQ(0, mf_integ_stat(&t, "bad_messages"));
	MF_ASSERT_EQ(0, mf_integ_stat(&t, "in_flight"));
	s_pusher_free(&p);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

/* Pushes until 'cond' holds for the latest verdicts or the deadline. */
static int
s_push_until(s_pusher_t *p, int want_stale, int ms)
{
	int64_t	deadline = mf_now_ms() + ms;

	while (mf_now_ms() < deadline) {
		int	stale0 = p->stale, fresh0 = p->fresh;

		s_pusher_turn(p, 50);
		if (want_stale && p->stale > stale0 && p->fresh == fresh0)
			return 0;
		if (!want_stale && p->fresh > fresh0 && p->stale == stale0)
			return 0;
	}
	return -1;
}

MF_TEST(service_redis_down_marks_stale)
{
	mf_integ_t	t;
	s_pusher_t	p;
	int		before;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	s_pusher_init(&p, &t, 200000, 20, 0);
	p.rate = 500;
	MF_ASSERT_EQ(0, s_push_until(&p, 0, 5000));
	mf_integ_redis_stop(&t);
	MF_ASSERT_EQ(0, s_push_until(&p, 1, 8000));
	before = p.received;
	MF_ASSERT_EQ(0, s_push_until(&p, 1, 8000));
	MF_ASSERT(p.received > before);		/* verdicts keep flowing */
	MF_ASSERT(mf_integ_stat(&t, "sources_stale") > 0);
	MF_ASSERT_EQ(0, mf_integ_redis_start(&t));
	MF_ASSERT_EQ(0, s_push_until(&p, 0, 10000));
	fprintf(stderr, "redis: %d verdicts, %d stale, %d fresh\n",
	    p.received, p.stale, p.fresh);
	MF_ASSERT_EQ(0, p.dups);
	s_pusher_free(&p);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

MF_TEST(service_broken_reload_keeps_old_rules)
{
	mf_integ_t	 t;
	char		 cmd[1200], extra[400], old[64], now[64], path[400];
	char		 top[600];
	void		*ans;
	size_t		 len;
	s_pusher_t	 p;
	int64_t		 deadline;
	FILE		*fp;

	snprintf(top, sizeof(top), "%s", mf_test_top());
	{
		const char	*tmp = getenv("TMPDIR");

		/* The rules are copied so this test can break them. */
		mf_integ_setup(&t, 2, NULL);
		(void)tmp;
	}
	snprintf(cmd, sizeof(cmd), "cp -r '%s/rules' '%s/rules'", top, t.dir);
	MF_ASSERT_EQ(0, system(cmd));
	snprintf(extra, sizeof(extra), "rules %s/rules\n", t.dir);
	fp = fopen(t.conf, "a");
	MF_ASSERT_NOT_NULL(fp);
	fputs(extra, fp);
	fclose(fp);
	mf_integ_medflagd_start(&t, 2, 30000);
	mf_integ_stat_str(&t, "ruleset", old, sizeof(old));
	MF_ASSERT(old[0] != '\0');

	snprintf(path, sizeof(path), "%s/rules/zz-broken.rules", t.dir);
	fp = fopen(path, "w");
	MF_ASSERT_NOT_NULL(fp);
	fputs("rule broken.one\n  claim nope\n  match /(unclosed/\nend\n", fp);
	fclose(fp);
	ans = mf_integ_control(&t, "reload", &len, 10000);
	MF_ASSERT_NOT_NULL(ans);
	MF_ASSERT_EQ(0, mf_integ_field_u(ans, len, "ok"));
	{
		char	err[512];

		mf_integ_field(ans, len, "error", err, sizeof(err));
		MF_ASSERT_STR_CONTAINS(err, "kept ruleset");
		MF_ASSERT(mf_integ_field_u(ans, len, "diagnostics") > 0);
	}
	free(ans);
	MF_ASSERT_STR_EQ(old, mf_integ_stat_str(&t, "ruleset", now,
	    sizeof(now)));

	/* The old rules keep serving. */
	s_pusher_init(&p, &t, 100, 100, 0);
	deadline = mf_now_ms() + 10000;
	while (p.received < p.n && mf_now_ms() < deadline)
		s_pusher_turn(&p, 50);
	MF_ASSERT_EQ(p.n, p.received);
	MF_ASSERT_STR_EQ(old, mf_integ_stat_str(&t, "workers.0.ruleset", now,
	    sizeof(now)));
	s_pusher_free(&p);

	/* Fixed: the reload goes through and the workers say so. */
	unlink(path);
	ans = mf_integ_control(&t, "reload", &len, 10000);
	MF_ASSERT_NOT_NULL(ans);
	MF_ASSERT_EQ(1, mf_integ_field_u(ans, len, "ok"));
	free(ans);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

MF_TEST(service_sigterm_under_load_loses_nothing)
{
	mf_integ_t	t;
	s_pusher_t	p;
	int64_t		deadline;
	int		rc;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	s_pusher_init(&p, &t, 6000, 500, 2000);
	p.rate = 3000;
	deadline = mf_now_ms() + 10000;
	while (p.received < 1500 && mf_now_ms() < deadline)
		s_pusher_turn(&p, 20);
	MF_ASSERT(p.received >= 1500);
	kill(t.medflagd_pid, SIGTERM);
	/* Keep the client running while medflagd drains and exits. */
	deadline = mf_now_ms() + 15000;
	rc = -2;
	while (mf_now_ms() < deadline) {
		int	status;

		s_pusher_turn(&p, 20);
		if (waitpid(t.medflagd_pid, &status, WNOHANG) ==
		    t.medflagd_pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
			    WTERMSIG(status);
			t.medflagd_pid = 0;
			break;
		}
	}
	MF_ASSERT_EQ(0, rc);
	mf_integ_medflagd_start(&t, 2, 30000);
	deadline = mf_now_ms() + 30000;
	while (p.received < p.n && mf_now_ms() < deadline)
		s_pusher_turn(&p, 20);
	fprintf(stderr, "sigterm: %d/%d posts judged, %d resent, %d "
	    "duplicate verdicts\n", p.received, p.n, p.resent, p.dups);
	MF_ASSERT_EQ(p.n, p.received);
	for (int i = 0; i < p.n; i++)
		MF_ASSERT(p.got[i] >= 1);
	s_pusher_free(&p);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}

/* Reads one check answer on a DEALER; returns its payload (malloc'd). */
static void *
s_recv_answer(void *s, size_t *len, int ms)
{
	zmq_pollitem_t	it = { s, 0, ZMQ_POLLIN, 0 };
	int64_t		deadline = mf_now_ms() + ms;

	while (mf_now_ms() < deadline) {
		zmq_msg_t	m;
		int		more;
		size_t		sz = sizeof(more);

		if (zmq_poll(&it, 1, 50) <= 0)
			continue;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			continue;
		}
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz);
		if (more || zmq_msg_size(&m) == 0) {
			zmq_msg_close(&m);
			continue;
		}
		*len = zmq_msg_size(&m);
		void *out = malloc(*len + 1);
		memcpy(out, zmq_msg_data(&m), *len);
		zmq_msg_close(&m);
		return out;
	}
	return NULL;
}

MF_TEST(service_hostile_input)
{
	mf_integ_t	 t;
	void		*chk, *ing, *big, *ans;
	int		 linger = 0;
	size_t		 len, bigsz = 10u << 20;
	char		*buf, st[32], id[64];
	long long	 bad0;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_medflagd_start(&t, 2, 30000);
	bad0 = mf_integ_stat(&t, "bad_messages");
	chk = zmq_socket(t.zctx, ZMQ_DEALER);
	ing = zmq_socket(t.zctx, ZMQ_PUSH);
	zmq_setsockopt(chk, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(ing, ZMQ_LINGER, &linger, sizeof(linger));
	MF_ASSERT_EQ(0, zmq_connect(chk, t.check));
	MF_ASSERT_EQ(0, zmq_connect(ing, t.ingest));

	/* Garbage bytes: an error verdict without a post id. */
	zmq_send(chk, "", 0, ZMQ_SNDMORE);
	zmq_send(chk, "\xc1\xff\x00garbage", 10, 0);
	MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
	MF_ASSERT_STR_EQ("error", mf_integ_field(ans, len, "status", st,
	    sizeof(st)));
	free(ans);

	/* A map whose body has the wrong type: the error names the field
	 * and the verdict carries the post id. */
	{
		/* {"v":1,"post_id":"h-1","body":7} */
		static const char m[] = "\x83\xa1v\x01\xa7post_id\xa3h-1"
		    "\xa4" "body\x07";

		zmq_send(chk, "", 0, ZMQ_SNDMORE);
		zmq_send(chk, m, sizeof(m) - 1, 0);
		MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
		MF_ASSERT_STR_EQ("h-1", mf_integ_field(ans, len, "post_id",
		    id, sizeof(id)));
		MF_ASSERT_STR_EQ("error", mf_integ_field(ans, len, "status",
		    st, sizeof(st)));
		{
			char	e[256];

			mf_integ_field(ans, len, "error", e, sizeof(e));
			MF_ASSERT_STR_CONTAINS(e, "body");
		}
		free(ans);
	}
	/* Hostile msgpack: an array claiming 2^32 elements. */
	zmq_send(chk, "", 0, ZMQ_SNDMORE);
	zmq_send(chk, "\xdd\xff\xff\xff\xff\x01", 6, 0);
	MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
	free(ans);
	/* Wrong framing: no delimiter, extra frames. */
	zmq_send(chk, "a", 1, ZMQ_SNDMORE);
	zmq_send(chk, "b", 1, ZMQ_SNDMORE);
	zmq_send(chk, "c", 1, 0);
	MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
	free(ans);
	/* A 1.5 MB post with an id: too big for the codec, small enough
	 * for the socket -> an error verdict naming the post. */
	{
		size_t	n = 1500000;
		char	*body = malloc(n + 1), *msg = malloc(n + 100);
		size_t	 ml;

		memset(body, 'a', n);
		body[n] = '\0';
		ml = mf_integ_post(msg, n + 100, "h-big", body);
		MF_ASSERT(ml > 0);
		zmq_send(chk, "", 0, ZMQ_SNDMORE);
		zmq_send(chk, msg, ml, 0);
		MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
		MF_ASSERT_STR_EQ("h-big", mf_integ_field(ans, len, "post_id",
		    id, sizeof(id)));
		MF_ASSERT_STR_EQ("error", mf_integ_field(ans, len, "status",
		    st, sizeof(st)));
		free(ans);
		free(body);
		free(msg);
	}
	/* Ingest: garbage, empty frames, several frames. */
	zmq_send(ing, "\xc1", 1, 0);
	zmq_send(ing, "", 0, 0);
	zmq_send(ing, "x", 1, ZMQ_SNDMORE);
	zmq_send(ing, "y", 1, 0);
	/* A 10 MB message: the peer is dropped (ZMQ_MAXMSGSIZE). */
	big = zmq_socket(t.zctx, ZMQ_DEALER);
	zmq_setsockopt(big, ZMQ_LINGER, &linger, sizeof(linger));
	MF_ASSERT_EQ(0, zmq_connect(big, t.check));
	buf = calloc(1, bigsz);
	zmq_send(big, "", 0, ZMQ_SNDMORE);
	zmq_send(big, buf, bigsz, 0);
	free(buf);
	/* Control: unknown command and garbage. */
	ans = mf_integ_control(&t, "\xff\xfe", &len, 3000);
	MF_ASSERT_NOT_NULL(ans);
	MF_ASSERT_EQ(0, mf_integ_field_u(ans, len, "ok"));
	free(ans);
	/* Backend: a stranger speaking nonsense gets RESET, nothing else. */
	{
		void	*w = zmq_socket(t.zctx, ZMQ_DEALER);

		zmq_setsockopt(w, ZMQ_LINGER, &linger, sizeof(linger));
		MF_ASSERT_EQ(0, zmq_connect(w, t.backend));
		zmq_send(w, "VERDICT", 7, ZMQ_SNDMORE);
		zmq_send(w, "12345678", 8, ZMQ_SNDMORE);
		zmq_send(w, "abc", 3, ZMQ_SNDMORE);
		zmq_send(w, "\x80", 1, 0);
		zmq_send(w, "NONSENSE", 8, 0);
		zmq_close(w);
	}

	/* Still alive, still judging, and it all shows in stats. */
	{
		int64_t	deadline = mf_now_ms() + 5000;

		while (mf_integ_stat(&t, "bad_messages") < bad0 + 7 &&
		    mf_now_ms() < deadline)
			;
	}
	MF_ASSERT(mf_integ_stat(&t, "bad_messages") >= bad0 + 7);
	MF_ASSERT_EQ(0, mf_integ_wait_workers(&t, 2, 5000));
	{
		char	msg[256];
		size_t	ml = mf_integ_post(msg, sizeof(msg), "h-ok",
		    "Nice weather today.");

		zmq_send(chk, "", 0, ZMQ_SNDMORE);
		zmq_send(chk, msg, ml, 0);
		MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
		MF_ASSERT_STR_EQ("h-ok", mf_integ_field(ans, len, "post_id",
		    id, sizeof(id)));
		MF_ASSERT_STR_EQ("ok", mf_integ_field(ans, len, "status", st,
		    sizeof(st)));
		free(ans);
	}
	/* A claim in Italian, which medflag does not read: review, and
	 * both counted in stats. */
	{
		char		msg[512], act[16];
		size_t		ml = mf_integ_post(msg, sizeof(msg), "h-it",
		    "Il vaccino MPR causa l'autismo: mio figlio ha smesso di "
		    "parlare dopo la puntura, sono sicuro che sia stato il "
		    "vaccino.");
		int64_t		rv0 = mf_integ_stat(&t, "review");
		int64_t		lu0 = mf_integ_stat(&t, "lang_unsupported");

		zmq_send(chk, "", 0, ZMQ_SNDMORE);
		zmq_send(chk, msg, ml, 0);
		MF_ASSERT_NOT_NULL(ans = s_recv_answer(chk, &len, 5000));
		MF_ASSERT_STR_EQ("annotate", mf_integ_field(ans, len,
		    "action", act, sizeof(act)));
		free(ans);
		MF_ASSERT_EQ(rv0 + 1, mf_integ_stat(&t, "review"));
		MF_ASSERT_EQ(lu0 + 1, mf_integ_stat(&t, "lang_unsupported"));
	}
	zmq_close(chk);
	zmq_close(ing);
	zmq_close(big);
	MF_ASSERT_EQ(0, mf_integ_medflagd_stop(&t, SIGTERM, 10000));
	mf_integ_teardown(&t);
}
