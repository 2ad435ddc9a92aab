/*
 * top.c - `medflag top`: a live view of medflagd for operators. Every
 * interval it reads the control endpoint's "stats" and shows rates of
 * posts and verdicts, latency quantiles, the queue, Redis and the
 * journal, and one line per worker. Rates and latency are differences
 * between two readings (the first reading shows averages since medflagd
 * started, and says so).
 *
 *   medflag top [-d SECONDS] [-n COUNT]
 *
 * On a terminal each reading replaces the last; otherwise readings follow
 * one another a blank line apart, so `medflag top -n 3 >file` keeps them.
 * A reading medflagd does not answer is reported and the next one tried.
 * Not responsible for the counters (medflagd) nor for `stats` (stats.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "lathist.h"
#include "rulehits.h"
#include "store.h"

#define S_TIMEOUT_MS	2000

/* One reading: the reply and when it came. */
typedef struct s_reading {
	mf_reply_t	 r;
	int		 have;
	int64_t		 t_ms;
} s_reading_t;

/* The rate of counter 'key' of map 'cur' against 'prev' over 'secs'. */
static double
s_rate(const mf__mp_obj_t *cur, const mf__mp_obj_t *prev,
    const char *key, double secs)
{
	long long	a = mf__mp_get_int(cur, key, 0);
	long long	b = prev ? mf__mp_get_int(prev, key, 0) : 0;

	return secs > 0 && a >= b ? (double)(a - b) / secs : 0;
}

/* "name rate" for each counter of the map under 'key'. */
static void
s_rates(const mf__mp_obj_t *cur, const mf__mp_obj_t *prev,
    const char *key, double secs)
{
	mf__mp_obj_t	 c, p, ko, v;
	mf__mp_iter_t	 it;
	const char	*name;
	size_t		 len;
	char		 k[64];

	if (mf__mp_get(cur, key, &c) == -1 ||
	    mf__mp_iter_init(&it, &c, MF__MP_MAP) == -1)
		return;
	if (prev == NULL || mf__mp_get(prev, key, &p) == -1)
		p.p = p.end = NULL;
	while (mf__mp_iter_next(&it, &ko, &v) == 1) {
		if (mf__mp_obj_str(&ko, &name, &len) == -1)
			continue;
		snprintf(k, sizeof(k), "%.*s", (int)len, name);
		printf("  %s %.1f", k, s_rate(&c, p.p ? &p : NULL, k, secs));
	}
}

/* The bucket counts of "latency_hist" into 'n' (zeros if absent). */
static void
s_hist(const mf__mp_obj_t *r, uint64_t *n)
{
	mf__mp_obj_t	h, v;
	mf__mp_iter_t	it;

	memset(n, 0, MF_LATHIST_N * sizeof(*n));
	if (mf__mp_get(r, "latency_hist", &h) == -1 ||
	    mf__mp_iter_init(&it, &h, MF__MP_ARRAY) == -1)
		return;
	for (size_t i = 0; i < MF_LATHIST_N && mf__mp_iter_next(&it, NULL,
	    &v) == 1; i++)
		(void)mf__mp_obj_uint(&v, &n[i]);
}

static void
s_ms(char *out, size_t cap, uint64_t us)
{
	if (us < 10000)
		snprintf(out, cap, "%.2f ms", (double)us / 1000);
	else
		snprintf(out, cap, "%.0f ms", (double)us / 1000);
}

/* The worker of 'prev' with the id of 'w' into 'out': 0, or -1 when
 * there is none. */
static int
s_worker_in(const mf__mp_obj_t *prev, const mf__mp_obj_t *w,
    mf__mp_obj_t *out)
{
	mf__mp_obj_t	 a;
	mf__mp_iter_t	 it;
	long long	 id = mf__mp_get_int(w, "id", -1);

	if (prev == NULL || mf__mp_get(prev, "workers", &a) == -1 ||
	    mf__mp_iter_init(&it, &a, MF__MP_ARRAY) == -1)
		return -1;
	while (mf__mp_iter_next(&it, NULL, out) == 1)
		if (mf__mp_get_int(out, "id", -2) == id)
			return 0;
	return -1;
}

/* Moderators' feedback on rule 'id' as " precision P of N", or "". */
static const char *
s_precision(const mf_rulehits_t *fb, const char *id, char *out, size_t cap)
{
	const mf_rulehit_t	*h = fb ? mf_rulehits_get(fb, id) : NULL;

	out[0] = '\0';
	if (h != NULL && h->hits + h->shadow > 0)
		snprintf(out, cap, " precision %.2f of %llu", (double)h->hits /
		    (double)(h->hits + h->shadow),
		    (unsigned long long)(h->hits + h->shadow));
	return out;
}

static void
s_show(const mf__mp_obj_t *cur, const mf__mp_obj_t *prev, double secs,
    const char *endpoint, const mf_rulehits_t *fb)
{
	mf__mp_obj_t		 w, x, px;
	mf__mp_iter_t		 it;
	uint64_t		 hc[MF_LATHIST_N], hp[MF_LATHIST_N], n = 0;
	char			 rs[128], sv[64], a[32], b[32], c[32], d[32];
	long long		 up = mf__mp_get_int(cur, "uptime_s", 0);
	const char		*over = prev ? "last" : "since start";

	if (up >= 86400)
		snprintf(a, sizeof(a), "%lldd%02lldh", up / 86400,
		    up / 3600 % 24);
	else if (up >= 3600)
		snprintf(a, sizeof(a), "%lldh%02lldm", up / 3600, up / 60 % 60);
	else
		snprintf(a, sizeof(a), "%lldm%02llds", up / 60, up % 60);
	printf("medflagd %s  up %s  ruleset %.12s gen %lld  sources v%s\n",
	    endpoint, a, mf__mp_get_str(cur, "ruleset", rs, sizeof(rs)),
	    mf__mp_get_int(cur, "gen", 0),
	    mf__mp_get_str(cur, "sources_version", sv, sizeof(sv)));
	printf("redis     %s  journal %lld written, %lld queued, %lld "
	    "skipped\n", mf__mp_get_int(cur, "redis", 0) ? "up" : "DOWN",
	    mf__mp_get_int(cur, "journal_written", 0),
	    mf__mp_get_int(cur, "journal_queue", 0),
	    mf__mp_get_int(cur, "journal_skipped", 0));
	printf("posts     %.1f/s in  duplicates %.1f/s  busy %.1f/s  "
	    "(%s %.1f s)\n", s_rate(cur, prev, "posts_in", secs),
	    s_rate(cur, prev, "duplicates", secs),
	    s_rate(cur, prev, "busy", secs), over, secs);
	printf("verdicts ");
	s_rates(cur, prev, "verdicts", secs);
	printf("\nstatus   ");
	s_rates(cur, prev, "status", secs);
	printf("\nflags     review %.1f  lang_unsupported %.1f\n",
	    s_rate(cur, prev, "review", secs), s_rate(cur, prev,
	    "lang_unsupported", secs));
	s_hist(cur, hc);
	if (prev != NULL) {
		s_hist(prev, hp);
		for (size_t i = 0; i < MF_LATHIST_N; i++)
			hc[i] = hc[i] >= hp[i] ? hc[i] - hp[i] : 0;
	}
	for (size_t i = 0; i < MF_LATHIST_N; i++)
		n += hc[i];
	if (n == 0)
		printf("latency   no posts judged (%s %.1f s)\n", over, secs);
	else {
		/* Bucket upper bounds, kept under the largest value seen. */
		mf__mp_obj_t	 l;
		uint64_t	 top = mf__mp_get(cur, "latency_us", &l) == 0 ?
				    (uint64_t)mf__mp_get_int(&l, "max", 0) : 0;
		uint64_t	 v[4];
		static const double q[4] = { .50, .90, .99, 1 };

		for (int k = 0; k < 4; k++) {
			v[k] = mf_lathist_quantile(hc, MF_LATHIST_N, q[k]);
			if (top > 0 && v[k] > top)
				v[k] = top;
		}
		s_ms(a, sizeof(a), v[0]);
		s_ms(b, sizeof(b), v[1]);
		s_ms(c, sizeof(c), v[2]);
		s_ms(d, sizeof(d), v[3]);
		printf("latency   p50 %s  p90 %s  p99 %s  max %s  (%llu posts, "
		    "%s %.1f s; arrival to verdict)\n", a, b, c, d,
		    (unsigned long long)n, over, secs);
	}
	printf("queue     %lld of %lld  in flight %lld  requeued %lld  "
	    "worker deaths %lld  poison %lld  bad messages %lld\n",
	    mf__mp_get_int(cur, "queue", 0),
	    mf__mp_get_int(cur, "max_queue", 0),
	    mf__mp_get_int(cur, "in_flight", 0),
	    mf__mp_get_int(cur, "requeued", 0),
	    mf__mp_get_int(cur, "worker_deaths", 0),
	    mf__mp_get_int(cur, "poison", 0),
	    mf__mp_get_int(cur, "bad_messages", 0));
	{
		mf_rule_count_t	 top[5];
		size_t		 nr = mf_stats_top_rules(cur, prev, top, 5);

		printf("rules    ");
		if (nr == 0)
			printf(" no hits");
		for (size_t i = 0; i < nr; i++) {
			char	pr[64];

			printf("  %s %.1f/s%s%s", top[i].id, secs > 0 ?
			    (double)(top[i].hits + top[i].shadow) / secs : 0,
			    top[i].hits ? "" : " (shadow)",
			    s_precision(fb, top[i].id, pr, sizeof(pr)));
		}
		printf("  (most hits, %s %.1f s)\n", over, secs);
	}
	if (mf__mp_get(cur, "workers", &w) == -1 ||
	    mf__mp_iter_init(&it, &w, MF__MP_ARRAY) == -1)
		return;
	printf("workers   %zu\n  %-6s %-8s %-16s %-12s %5s %9s %6s %9s %9s  "
	    "%s\n", mf__mp_obj_len(&w), "ID", "PID", "HOST", "RULESET", "GEN",
	    "IN FLIGHT", "CREDIT", "DONE/S", "LAST SEEN", "SOURCES");
	while (mf__mp_iter_next(&it, NULL, &x) == 1) {
		int	have_px = s_worker_in(prev, &x, &px) == 0;
		char	host[64], wr[32], sh[128], dm[128];

		mf__mp_get_str(&x, "auto_shadowed", sh, sizeof(sh));
		mf__mp_get_str(&x, "demoted", dm, sizeof(dm));
		printf("  %-6lld %-8lld %-16.16s %-12.12s %5lld %9lld %6lld "
		    "%9.1f %6lld ms  %s%s%s%s%s\n", mf__mp_get_int(&x, "id", 0),
		    mf__mp_get_int(&x, "pid", 0),
		    mf__mp_get_str(&x, "host", host, sizeof(host)),
		    mf__mp_get_str(&x, "ruleset", wr, sizeof(wr)),
		    mf__mp_get_int(&x, "gen", 0),
		    mf__mp_get_int(&x, "in_flight", 0),
		    mf__mp_get_int(&x, "credit", 0),
		    s_rate(&x, have_px ? &px : prev ? &x : NULL, "done", secs),
		    mf__mp_get_int(&x, "last_seen_ms", 0),
		    mf__mp_get_int(&x, "sources_stale", 0) ? "stale" : "fresh",
		    sh[0] ? "  auto-shadowed: " : "", sh,
		    dm[0] ? "  demoted: " : "", dm);
	}
}

/* The moderators' feedback counts from Redis, read anew each time; NULL
 * when Redis cannot be reached (top goes on without precision). */
static const mf_rulehits_t *
s_feedback(const mf_config_t *cfg, mf_store_t **st, mf_rulehits_t *fb)
{
	char	err[256];

	mf_rulehits_free(fb);
	if (*st == NULL && (*st = mf_store_connect(cfg, 500, err,
	    sizeof(err))) == NULL)
		return NULL;
	if (mf_store_feedback_counts(*st, fb) != 0) {
		mf_store_destroy(st);
		return NULL;
	}
	return fb;
}

static void
s_sleep_ms(int64_t ms)
{
	while (ms > 0 && !mf_client_stop) {
		struct timespec	ts = { 0, (ms > 100 ? 100 : ms) * 1000000L };

		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

int
mf_cmd_top(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_client_t	 cl;
	mf_store_t	*st = NULL;
	mf_rulehits_t	 fb = {0};
	s_reading_t	 rd[2];
	double		 delay = 1;
	long		 count = 0, done = 0;
	int		 tty = isatty(STDOUT_FILENO), cur = 0, ok = 0;

	for (int i = 1; i < argc; i++) {
		char	*end;

		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			delay = strtod(argv[++i], &end);
			if (*end != '\0' || delay < 0.1 || delay > 3600) {
				fprintf(stderr, "medflag top: -d %s: give "
				    "seconds between 0.1 and 3600\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end != '\0' || count < 1) {
				fprintf(stderr, "medflag top: -n %s: give a "
				    "count of readings, 1 or more\n", argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: medflag top [-d SECONDS] "
			    "[-n COUNT]\n");
			return 2;
		}
	}
	if (mf_client_config(cli, &cfg) == -1 ||
	    mf_client_init(&cl, &cfg) == -1)
		return 1;
	mf_client_catch_signals();
	memset(rd, 0, sizeof(rd));
	while (!mf_client_stop && (count == 0 || done < count)) {
		s_reading_t	*now = &rd[cur], *before = &rd[!cur];
		int64_t		 t0 = mf_now_ms();

		mf_reply_free(&now->r);
		now->have = mf_client_control(&cl, "stats", NULL, 0,
		    S_TIMEOUT_MS, &now->r) == 0 &&
		    mf__mp_get_int(&now->r.map, "ok", 0) == 1;
		if (!now->have)
			mf_reply_free(&now->r);
		now->t_ms = mf_now_ms();
		done++;
		if (tty)
			printf("\033[H\033[2J");
		else if (done > 1)
			putchar('\n');
		if (!now->have) {
			if (count != 0 && done == count)
				printf("medflagd %s: no answer\n", cfg.control);
			else
				printf("medflagd %s: no answer; trying again "
				    "in %.1f s\n", cfg.control, delay);
			ok = 0;
		} else {
			const mf__mp_obj_t	*prev = NULL;
			double			 secs;

			/* The previous reading counts unless medflagd
			 * restarted in between (its uptime went back). */
			if (before->have && mf__mp_get_int(&before->r.map,
			    "uptime_s", 0) <= mf__mp_get_int(&now->r.map,
			    "uptime_s", 0))
				prev = &before->r.map;
			secs = prev ? (double)(now->t_ms - before->t_ms) / 1000 :
			    (double)mf__mp_get_int(&now->r.map, "uptime_s", 0);
			s_show(&now->r.map, prev, secs, cfg.control,
			    s_feedback(&cfg, &st, &fb));
			ok = 1;
			cur = !cur;
		}
		fflush(stdout);
		if (count == 0 || done < count)
			s_sleep_ms((int64_t)(delay * 1000) -
			    (mf_now_ms() - t0));
	}
	for (int k = 0; k < 2; k++)
		mf_reply_free(&rd[k].r);
	mf_rulehits_free(&fb);
	mf_store_destroy(&st);
	mf_client_term(&cl);
	return ok ? 0 : 1;
}
