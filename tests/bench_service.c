/*
 * bench_service.c - load generator for a running medflagd (tools/bench-
 * service.sh starts one): speaks docs/protocol.md, measures posts/s and
 * the latency of each post from its send to its verdict.
 *
 * Modes:
 *   check   a DEALER on the check endpoint pipelines posts, at most
 *           WINDOW outstanding; verdicts come back on the same socket
 *   ingest  a PUSH on ingest sends, a SUB on verdicts counts the verdicts
 *           whose post_id this run made
 *   echo    no client: a ROUTER bound on ENDPOINT sends every request back
 *           as it came, until SIGTERM
 *   relay   no client: zmq_proxy from a ROUTER bound on ENDPOINT to a
 *           DEALER connected to -b BACKEND (an echo server), until SIGTERM
 * A check run against echo, or against relay in front of echo, measures
 * the floor of this machine for one or two ZeroMQ round trips between
 * processes with no medflag code; the service's figures build on the
 * second (client -> medflagd -> worker and back).
 * Load: full speed (-r 0, bounded by the window) or a fixed rate (-r N
 * posts/s) paced with clock_nanosleep on absolute deadlines; a paced run
 * measures open loop (no window) so a slow server shows as latency, and
 * each post's latency counts from its scheduled send time (a client that
 * falls behind shows too). Besides the client's figures, the verdicts'
 * own latency_us (medflagd's, arrival to verdict) gives svc_p50/svc_p99,
 * which separates the service from the transport to and from it.
 * Posts are generated in memory: about 450 bytes of forum text, one in
 * eight carrying a health-claim phrase. Output: one line of key=value
 * figures (posts_s, p50_us, p90_us, p99_us, max_us, ...) that the script
 * parses. Not responsible for starting or checking the service.
 *
 * Usage: bench_service [-m check|ingest|echo|relay] [-e ENDPOINT]
 *            [-v VERDICTS] [-b BACKEND]
 *            [-C CONTROL [-W WORKERS]] [-t SECONDS] [-r RATE] [-w WINDOW]
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <zmq.h>

#include "clock.h"
#include "mpack.h"
#include "wire.h"

#define S_NPOSTS	4096		/* distinct generated posts */
#define S_RING		(1u << 21)	/* send times kept, by post number */
#define S_ID_DIGITS	10
#define S_DRAIN_MS	5000		/* wait for stragglers after sending */

typedef struct s_post {
	uint8_t	*msg;			/* OWNS: msgpack post */
	size_t	 len;
	size_t	 id_at;			/* offset of the id digits */
} s_post_t;

typedef struct s_run {
	const char	*mode, *endpoint, *verdicts, *control;
	double		 seconds, rate;
	int		 window, workers;
	void		*ctx, *out, *in;	/* 'in' == 'out' for check */
	s_post_t	 posts[S_NPOSTS];
	int64_t		*sent_ns;		/* by post number % S_RING */
	uint32_t	*lat_us;		/* one per verdict received */
	uint32_t	*svc_us;		/* medflagd's latency_us, same */
	size_t		 nlat, caplat;
	uint64_t	 sent, got, errors, foreign, late_sends;
	char		 prefix[16];
} s_run_t;

static const char *const s_words[] = {
	"the", "my", "doctor", "said", "that", "we", "should", "wait", "and",
	"see", "how", "it", "goes", "after", "a", "week", "of", "rest",
	"I", "have", "been", "reading", "about", "this", "for", "months",
	"honestly", "nobody", "at", "clinic", "explained", "anything",
	"our", "kids", "school", "nurse", "thinks", "is", "fine", "but",
	"grandmother", "swears", "by", "garlic", "tea", "when", "she",
	"feels", "cold", "coming", "on", "does", "anyone", "know", "good",
	"pharmacy", "near", "station", "appointment", "was", "cancelled",
	"again", "so", "frustrating", "thanks", "everyone", "replies",
	"update:", "results", "came", "back", "normal", "relieved",
};

static const char *const s_claims[] = {
	"Vaccines cause autism, everyone knows it.",
	"The MMR jab gave my son autism.",
	"Drinking bleach cures autism, MMS works.",
	"Ivermectin cures covid and they are hiding it.",
	"5G towers spread the coronavirus.",
	"Chemotherapy kills more people than cancer does.",
	"Colloidal silver cures infections better than antibiotics.",
	"Masks cause oxygen deprivation in children.",
};

static uint64_t
s_rand(uint64_t *st)
{
	uint64_t	x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static int
s_put(uint8_t *p, size_t *at, size_t cap, const void *d, size_t n)
{
	if (*at + n > cap)
		return -1;
	memcpy(p + *at, d, n);
	*at += n;
	return 0;
}

static int
s_put_str(uint8_t *p, size_t *at, size_t cap, const char *s, size_t n)
{
	uint8_t	h[3];

	if (n < 32) {
		h[0] = (uint8_t)(0xa0 | n);
		if (s_put(p, at, cap, h, 1) != 0)
			return -1;
	} else if (n < 256) {
		h[0] = 0xd9;
		h[1] = (uint8_t)n;
		if (s_put(p, at, cap, h, 2) != 0)
			return -1;
	} else {
		h[0] = 0xda;
		h[1] = (uint8_t)(n >> 8);
		h[2] = (uint8_t)n;
		if (s_put(p, at, cap, h, 3) != 0)
			return -1;
	}
	return s_put(p, at, cap, s, n);
}

/* Post i: {"v":1, "post_id":"<prefix><10 digits>", "instance":"bench",
 * "body":"..."}; the digits are rewritten before each send. */
static int
s_make_posts(s_run_t *r)
{
	uint64_t	st = 0x9e3779b97f4a7c15ULL;
	char		body[1024], id[32];
	size_t		nw = sizeof(s_words) / sizeof(s_words[0]);
	size_t		nc = sizeof(s_claims) / sizeof(s_claims[0]);

	for (int i = 0; i < S_NPOSTS; i++) {
		size_t	 bl = 0, at = 0, cap = 1200, target;
		uint8_t	*p = malloc(cap);
		int	 claim_at = -1;

		if (p == NULL)
			return -1;
		target = 380 + s_rand(&st) % 140;	/* 380..519 bytes */
		if (s_rand(&st) % 8 == 0)
			claim_at = (int)(s_rand(&st) % 3);
		for (int sent = 0; bl < target; sent++) {
			const char	*w;
			int		 nws = 6 + (int)(s_rand(&st) % 10);

			if (sent == claim_at) {
				w = s_claims[s_rand(&st) % nc];
				bl += (size_t)snprintf(body + bl,
				    sizeof(body) - bl, "%s ", w);
				continue;
			}
			for (int k = 0; k < nws && bl < sizeof(body) - 40;
			    k++) {
				w = s_words[s_rand(&st) % nw];
				bl += (size_t)snprintf(body + bl,
				    sizeof(body) - bl, "%s%c%s",
				    k == 0 ? "" : " ", k == 0 ?
				    (char)(w[0] & ~0x20) : w[0], w + 1);
			}
			bl += (size_t)snprintf(body + bl, sizeof(body) - bl,
			    ". ");
			if (bl > sizeof(body) - 100)
				break;
		}
		snprintf(id, sizeof(id), "%s%0*d", r->prefix, S_ID_DIGITS, 0);
		if (s_put(p, &at, cap, "\x84\xa1v\x01", 4) != 0 ||
		    s_put_str(p, &at, cap, "post_id", 7) != 0 ||
		    s_put_str(p, &at, cap, id, strlen(id)) != 0)
			return -1;
		r->posts[i].id_at = at - S_ID_DIGITS;
		if (s_put_str(p, &at, cap, "instance", 8) != 0 ||
		    s_put_str(p, &at, cap, "bench", 5) != 0 ||
		    s_put_str(p, &at, cap, "body", 4) != 0 ||
		    s_put_str(p, &at, cap, body, bl) != 0)
			return -1;
		r->posts[i].msg = p;
		r->posts[i].len = at;
	}
	return 0;
}

static void
s_free_posts(s_run_t *r)
{
	for (int i = 0; i < S_NPOSTS; i++)
		free(r->posts[i].msg);
}

/* Sends the next post; its latency counts from 'at' (its scheduled time
 * when paced, so a late send shows as latency too). */
static int
s_send_one(s_run_t *r, int64_t at)
{
	s_post_t	*p = &r->posts[r->sent % S_NPOSTS];
	uint64_t	 n = r->sent;
	int		 rc;

	for (int k = S_ID_DIGITS - 1; k >= 0; k--) {
		p->msg[p->id_at + (size_t)k] = (uint8_t)('0' + n % 10);
		n /= 10;
	}
	r->sent_ns[r->sent % S_RING] = at;
	if (r->in == r->out) {
		if (zmq_send(r->out, "", 0, ZMQ_SNDMORE) < 0)
			return -1;
	}
	rc = zmq_send(r->out, p->msg, p->len, 0);
	if (rc < 0)
		return -1;
	r->sent++;
	return 0;
}

/* medflagd's own figure for a verdict: "latency_us", from the post's
 * arrival to its verdict (docs/protocol.md); 0 if absent. */
static uint32_t
s_latency_stamp(const void *verdict, size_t len)
{
	const uint8_t	*p = memmem(verdict, len, "\xaalatency_us", 11);
	const uint8_t	*end = (const uint8_t *)verdict + len;
	uint64_t	 v = 0;
	int		 n = 0;

	if (p == NULL || (p += 11) >= end)
		return 0;
	if (*p < 0x80)
		return *p;
	if (*p >= 0xcc && *p <= 0xcf)
		n = 1 << (*p - 0xcc);
	if (n == 0 || end - p <= n)
		return 0;
	for (int k = 1; k <= n; k++)
		v = v << 8 | p[k];
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void
s_record(s_run_t *r, const void *verdict, size_t len, int64_t now)
{
	char		 id[64];
	size_t		 pl = strlen(r->prefix);
	uint64_t	 n = 0;
	int64_t		 d;

	if (mf_wire_peek_post_id(verdict, len, id, sizeof(id)) != 0 ||
	    strlen(id) != pl + S_ID_DIGITS || memcmp(id, r->prefix, pl) != 0) {
		r->foreign++;
		return;
	}
	for (size_t k = pl; id[k]; k++)
		n = n * 10 + (uint64_t)(id[k] - '0');
	if (n >= r->sent || r->sent - n > S_RING) {
		r->foreign++;
		return;
	}
	/* An error verdict ("busy", bad post) has "error"; count those. */
	if (memmem(verdict, len, "\xa5""error", 6) != NULL)
		r->errors++;
	d = (now - r->sent_ns[n % S_RING]) / 1000;
	if (r->nlat == r->caplat) {
		size_t		 cap = r->caplat ? r->caplat * 2 : 65536;
		uint32_t	*v = realloc(r->lat_us, cap * sizeof(*v));
		uint32_t	*w = realloc(r->svc_us, cap * sizeof(*w));

		if (v != NULL)
			r->lat_us = v;
		if (w != NULL)
			r->svc_us = w;
		if (v == NULL || w == NULL)
			return;
		r->caplat = cap;
	}
	r->svc_us[r->nlat] = s_latency_stamp(verdict, len);
	r->lat_us[r->nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	r->got++;
}

/* Reads every verdict waiting (after up to 'wait_ms'). */
static int
s_drain(s_run_t *r, int wait_ms)
{
	zmq_pollitem_t	it = { r->in, 0, ZMQ_POLLIN, 0 };
	int		n = 0;

	if (wait_ms != 0 && zmq_poll(&it, 1, wait_ms) <= 0)
		return 0;
	for (;;) {
		zmq_msg_t	m;
		int		more;
		size_t		sz = sizeof(more);
		int64_t		now;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, r->in, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return n;
		}
		zmq_getsockopt(r->in, ZMQ_RCVMORE, &more, &sz);
		while (more) {		/* keep the last frame */
			zmq_msg_close(&m);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, r->in, 0) < 0)
				break;
			zmq_getsockopt(r->in, ZMQ_RCVMORE, &more, &sz);
		}
		now = mf_now_ns();
		s_record(r, zmq_msg_data(&m), zmq_msg_size(&m), now);
		zmq_msg_close(&m);
		n++;
	}
}

static int
s_cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
s_pct(const uint32_t *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return 0;
	i = (size_t)((double)n * p);
	return v[i < n ? i : n - 1];
}

/* Waits until medflagd reports 'want' live workers (control "health"). */
static int
s_wait_healthy(s_run_t *r)
{
	void	*s = zmq_socket(r->ctx, ZMQ_DEALER);
	int	 linger = 0, alive = 0;
	int64_t	 deadline = mf_now_ns() + 20000000000LL;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(s, r->control) != 0)
		goto out;
	while (mf_now_ns() < deadline) {
		zmq_pollitem_t	 it = { s, 0, ZMQ_POLLIN, 0 };
		char		 buf[4096];
		int		 n;

		zmq_send(s, "health", 6, 0);
		if (zmq_poll(&it, 1, 500) <= 0)
			continue;
		n = zmq_recv(s, buf, sizeof(buf), 0);
		if (n > 0) {
			mf__mp_obj_t	h;

			if (mf__mp_open(&h, buf, (size_t)(n < (int)sizeof(buf) ?
			    n : (int)sizeof(buf)), sizeof(buf), 1, "health",
			    NULL) == 0)
				alive = (int)mf__mp_get_int(&h,
				    "workers_alive", alive);
		}
		if (alive >= r->workers)
			break;
		usleep(100000);
	}
out:
	zmq_close(s);
	if (alive < r->workers) {
		fprintf(stderr, "bench_service: %s: %d of %d workers alive\n",
		    r->control, alive, r->workers);
		return -1;
	}
	return 0;
}

/* A socket of 'type' bound to (or connected to) 'ep', with no linger and
 * no high-water mark; a SUB subscribes to the verdict topics. */
static void *
s_socket(void *ctx, int type, const char *ep, int bind)
{
	void	*s = zmq_socket(ctx, type);
	int	 zero = 0;

	if (s == NULL)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof(zero));
	if (type == ZMQ_SUB)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "verdict.", 8);
	if ((bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) != 0) {
		fprintf(stderr, "bench_service: %s: %s\n", ep,
		    zmq_strerror(errno));
		zmq_close(s);
		return NULL;
	}
	return s;
}

/* Sends for r->seconds (full speed within the window, or paced), then
 * waits for the verdicts still due. */
static int
s_run(s_run_t *r, int64_t *t_first, int64_t *t_last)
{
	int64_t		 t0 = mf_now_ns(), stop = t0 +
	    (int64_t)(r->seconds * 1e9), now, next = t0;
	int64_t		 gap = r->rate > 0 ? (int64_t)(1e9 / r->rate) : 0;
	uint64_t	 want;

	*t_first = t0;
	for (;;) {
		now = mf_now_ns();
		if (now >= stop)
			break;
		if (gap == 0) {
			int	burst = 0;

			while (r->sent - r->got < (uint64_t)r->window &&
			    burst++ < 256)
				if (s_send_one(r, mf_now_ns()) != 0)
					return -1;
			s_drain(r, r->sent - r->got < (uint64_t)r->window ?
			    0 : 100);
			continue;
		}
		/* Paced: every post due by now goes out, then verdicts are
		 * read, then sleep to the next deadline. */
		if (now - next > 1000000)
			r->late_sends++;	/* the client fell 1 ms behind */
		while (next <= now) {
			if (s_send_one(r, next) != 0)
				return -1;
			next += gap;
		}
		s_drain(r, 0);
		now = mf_now_ns();
		if (next > now) {
			struct timespec	ts = { (time_t)(next / 1000000000LL),
			    (long)(next % 1000000000LL) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &ts, NULL) == EINTR)
				;
		}
	}
	want = r->sent;
	now = mf_now_ns();
	while (r->got + r->foreign < want &&
	    mf_now_ns() - now < (int64_t)S_DRAIN_MS * 1000000)
		s_drain(r, 100);
	*t_last = mf_now_ns();
	return 0;
}

static volatile sig_atomic_t	s_stop;

static void
s_on_term(int sig)
{
	(void)sig;
	s_stop = 1;
}

/* The echo server (every message back, frame by frame, as it came), or
 * with 'backend' the relay in front of one. */
static int
s_floor(const char *ep, const char *backend)
{
	void	*ctx = zmq_ctx_new();
	void	*s, *b = NULL;
	int	 rc = 1;

	signal(SIGTERM, s_on_term);
	signal(SIGINT, s_on_term);
	if ((s = s_socket(ctx, ZMQ_ROUTER, ep, 1)) == NULL)
		goto out;
	if (backend != NULL) {
		if ((b = s_socket(ctx, ZMQ_DEALER, backend, 0)) != NULL)
			(void)zmq_proxy(s, b, NULL);	/* until SIGTERM */
		rc = b == NULL;
		goto out;
	}
	while (!s_stop) {
		zmq_msg_t	m;
		int		more;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			if (errno == EINTR)
				continue;
			goto out;
		}
		more = zmq_msg_more(&m);
		if (zmq_msg_send(&m, s, more ? ZMQ_SNDMORE : 0) < 0)
			zmq_msg_close(&m);
	}
	rc = 0;
out:
	if (b != NULL)
		zmq_close(b);
	if (s != NULL)
		zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

static void
s_usage(void)
{
	fprintf(stderr, "usage: bench_service [-m check|ingest|echo|relay] "
	    "[-e ENDPOINT] [-b BACKEND] "
	    "[-v VERDICTS] [-C CONTROL [-W WORKERS]] [-t SECONDS] [-r RATE] "
	    "[-w WINDOW]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	s_run_t		 r;
	int		 ch, rc = 1;
	int64_t		 t0 = 0, t1 = 0;
	double		 el, cpu;
	struct rusage	 ru;
	const char	*backend = NULL;

	memset(&r, 0, sizeof(r));
	r.mode = "check";
	r.seconds = 5;
	r.window = 2000;
	r.workers = 1;
	while ((ch = getopt(argc, argv, "m:e:v:b:C:W:t:r:w:h")) != -1) {
		switch (ch) {
		case 'm': r.mode = optarg; break;
		case 'e': r.endpoint = optarg; break;
		case 'v': r.verdicts = optarg; break;
		case 'b': backend = optarg; break;
		case 'C': r.control = optarg; break;
		case 'W': r.workers = atoi(optarg); break;
		case 't': r.seconds = atof(optarg); break;
		case 'r': r.rate = atof(optarg); break;
		case 'w': r.window = atoi(optarg); break;
		default: s_usage();
		}
	}
	if (r.endpoint != NULL && strcmp(r.mode, "echo") == 0)
		return s_floor(r.endpoint, NULL);
	if (r.endpoint != NULL && backend != NULL &&
	    strcmp(r.mode, "relay") == 0)
		return s_floor(r.endpoint, backend);
	if (r.endpoint == NULL || r.window < 1 || r.seconds <= 0 ||
	    (strcmp(r.mode, "check") != 0 && strcmp(r.mode, "ingest") != 0) ||
	    (strcmp(r.mode, "ingest") == 0 && r.verdicts == NULL))
		s_usage();
	snprintf(r.prefix, sizeof(r.prefix), "b%ld-", (long)getpid() % 100000);
	r.sent_ns = calloc(S_RING, sizeof(*r.sent_ns));
	if (r.sent_ns == NULL || s_make_posts(&r) != 0) {
		fprintf(stderr, "bench_service: out of memory\n");
		goto out;
	}
	r.ctx = zmq_ctx_new();
	if (r.control != NULL && s_wait_healthy(&r) != 0)
		goto out;
	if (strcmp(r.mode, "check") == 0) {
		r.out = r.in = s_socket(r.ctx, ZMQ_DEALER, r.endpoint, 0);
		if (r.out == NULL)
			goto out;
	} else {
		r.in = s_socket(r.ctx, ZMQ_SUB, r.verdicts, 0);
		r.out = s_socket(r.ctx, ZMQ_PUSH, r.endpoint, 0);
		if (r.in == NULL || r.out == NULL)
			goto out;
		usleep(300000);		/* let the subscription reach PUB */
	}
	if (s_run(&r, &t0, &t1) != 0) {
		fprintf(stderr, "bench_service: send: %s\n",
		    zmq_strerror(errno));
		goto out;
	}
	el = (double)(t1 - t0) / 1e9;
	qsort(r.lat_us, r.nlat, sizeof(*r.lat_us), s_cmp_u32);
	qsort(r.svc_us, r.nlat, sizeof(*r.svc_us), s_cmp_u32);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("mode=%s rate=%.0f window=%d sent=%llu verdicts=%llu "
	    "errors=%llu lost=%llu seconds=%.3f posts_s=%.0f p50_us=%u "
	    "p90_us=%u p99_us=%u max_us=%u svc_p50_us=%u svc_p99_us=%u "
	    "late_sends=%llu client_cpu_s=%.2f\n",
	    r.mode, r.rate, r.window, (unsigned long long)r.sent,
	    (unsigned long long)r.got, (unsigned long long)r.errors,
	    (unsigned long long)(r.sent - r.got), el, (double)r.got / el,
	    s_pct(r.lat_us, r.nlat, .50), s_pct(r.lat_us, r.nlat, .90),
	    s_pct(r.lat_us, r.nlat, .99), r.nlat ? r.lat_us[r.nlat - 1] : 0,
	    s_pct(r.svc_us, r.nlat, .50), s_pct(r.svc_us, r.nlat, .99),
	    (unsigned long long)r.late_sends, cpu);
	rc = r.got == r.sent ? 0 : 1;
out:
	if (r.in != NULL && r.in != r.out)
		zmq_close(r.in);
	if (r.out != NULL)
		zmq_close(r.out);
	if (r.ctx != NULL)
		zmq_ctx_term(r.ctx);
	s_free_posts(&r);
	free(r.sent_ns);
	free(r.lat_us);
	free(r.svc_us);
	return rc;
}
