/*
 * stats.c - `medflag stats` and `medflag reload`: the control requests of
 * an operator, answered by medflagd's control endpoint.
 *
 * Not responsible for the counters themselves (medflagd keeps them).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "lathist.h"

#define MF_CONTROL_TIMEOUT_MS	5000
/* What medflagd's own check of a reload may take, before its workers'. */
#define S_RELOAD_CHECK_MS	30000

/* Prints map 'o' as one JSON line. */
static void
s_print_json(const mf__mp_obj_t *o)
{
	mf_buf_t	out = {0};
	mf_err_t	err;

	if (mf__mp_json(o, &out, &err) == 0)
		printf("%s\n", out.data);
	else
		fprintf(stderr, "medflag: %s\n", err.msg);
	mf_buf_free(&out);
}

/* Prints "name value" for each key of the map under 'key'. */
static void
s_print_counts(const mf__mp_obj_t *map, const char *key, const char *label)
{
	mf__mp_obj_t	 o, k, v;
	mf__mp_iter_t	 it;
	const char	*name;
	size_t		 len;

	if (mf__mp_get(map, key, &o) == -1 ||
	    mf__mp_iter_init(&it, &o, MF__MP_MAP) == -1)
		return;
	printf("%-10s", label);
	while (mf__mp_iter_next(&it, &k, &v) == 1) {
		if (mf__mp_obj_str(&k, &name, &len) == -1)
			continue;
		/* The first value of the key, as a lookup would give. */
		printf(" %.*s %lld", (int)(len < 63 ? len : 63), name,
		    mf__mp_obj_int(&v, 0));
	}
	putchar('\n');
}

static void
s_print_stats(const mf__mp_obj_t *r)
{
	mf__mp_obj_t	 w, x, alive;
	mf__mp_iter_t	 it;
	char		 rs[128], sv[64], s1[64], s2[64], s3[128];

	printf("medflagd: up %llds  ruleset %s (generation %lld)  sources v%s"
	    "  seq %lld\n", mf__mp_get_int(r, "uptime_s", 0),
	    mf__mp_get_str(r, "ruleset", rs, sizeof(rs)),
	    mf__mp_get_int(r, "gen", 0), mf__mp_get_str(r, "sources_version",
	    sv, sizeof(sv)), mf__mp_get_int(r, "seq", 0));
	printf("posts in %lld  in flight %lld  queue %lld  requeued %lld  "
	    "bad messages %lld\n", mf__mp_get_int(r, "posts_in", 0),
	    mf__mp_get_int(r, "in_flight", 0), mf__mp_get_int(r, "queue", 0),
	    mf__mp_get_int(r, "requeued", 0),
	    mf__mp_get_int(r, "bad_messages", 0));
	s_print_counts(r, "verdicts", "verdicts:");
	s_print_counts(r, "status", "status:");
	printf("%-10s review %lld lang_unsupported %lld\n", "flags:",
	    mf__mp_get_int(r, "review", 0),
	    mf__mp_get_int(r, "lang_unsupported", 0));
	{
		mf__mp_obj_t	l;

		if (mf__mp_get(r, "latency_us", &l) == 0 &&
		    mf__mp_obj_type(&l) == MF__MP_MAP)
			printf("latency   p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  "
			    "max %.2f ms (since start, arrival to verdict)\n",
			    (double)mf__mp_get_int(&l, "p50", 0) / 1000,
			    (double)mf__mp_get_int(&l, "p90", 0) / 1000,
			    (double)mf__mp_get_int(&l, "p99", 0) / 1000,
			    (double)mf__mp_get_int(&l, "max", 0) / 1000);
	}
	{
		mf_rule_count_t	 top[10];
		size_t		 n = mf_stats_top_rules(r, NULL, top, 10);

		if (n > 0)
			printf("rules with the most hits since start "
			    "(enforce, shadow):\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-40s %10llu %10llu\n", top[i].id,
			    (unsigned long long)top[i].hits,
			    (unsigned long long)top[i].shadow);
	}
	if (mf__mp_get(r, "workers", &w) == -1 ||
	    mf__mp_iter_init(&it, &w, MF__MP_ARRAY) == -1)
		return;
	printf("workers (%zu):\n  %-10s %-8s %-16s %-16s %5s %9s %10s %s\n",
	    mf__mp_obj_len(&w), "id", "pid", "host", "ruleset", "gen",
	    "in_flight", "done", "alive");
	while (mf__mp_iter_next(&it, NULL, &x) == 1) {
		printf("  %-10s %-8lld %-16s %-16.16s %5lld %9lld %10lld "
		    "%s\n", mf__mp_get_str(&x, "id", s1, sizeof(s1)),
		    mf__mp_get_int(&x, "pid", 0),
		    mf__mp_get_str(&x, "host", s3, sizeof(s3)),
		    mf__mp_get_str(&x, "ruleset", s2, sizeof(s2)),
		    mf__mp_get_int(&x, "gen", 0),
		    mf__mp_get_int(&x, "in_flight", 0),
		    mf__mp_get_int(&x, "done", 0),
		    mf__mp_get(&x, "alive", &alive) == -1 ? "?" :
		    mf__mp_obj_int(&alive, 0) ? "yes" : "no");
	}
}

/* The error of a refused request, with every diagnostic when given. */
static void
s_print_refusal(const char *prog, const mf__mp_obj_t *r)
{
	mf__mp_obj_t	 d, x;
	mf__mp_iter_t	 it;
	const char	*s;
	size_t		 len;
	char		 err[2048];

	fprintf(stderr, "%s: %s\n", prog, mf__mp_get_str(r, "error", err,
	    sizeof(err))[0] ? err : "refused (no reason given)");
	if (mf__mp_get(r, "diagnostics", &d) == -1 ||
	    mf__mp_iter_init(&it, &d, MF__MP_ARRAY) == -1)
		return;
	while (mf__mp_iter_next(&it, NULL, &x) == 1) {
		if (mf__mp_obj_str(&x, &s, &len) == 0)
			fprintf(stderr, "%.*s\n", (int)len, s);
		else {
			mf_buf_t out = {0};

			if (mf__mp_json(&x, &out, NULL) == 0)
				fprintf(stderr, "%s\n", out.data);
			mf_buf_free(&out);
		}
	}
}

/*
 * Prometheus text exposition of stats: counters as *_total, the latency
 * histogram in seconds with cumulative buckets at fixed bounds (a bound
 * counts the histogram buckets wholly under it, so a count is never
 * overstated), rule hits labelled by rule and mode.
 */
void
mf_stats_prometheus(const mf__mp_obj_t *r, FILE *fp)
{
	static const struct { const char *key, *name, *help; int gauge; } m[] = {
		{ "posts_in", "posts_in_total", "posts accepted", 0 },
		{ "in_flight", "in_flight", "posts held by workers", 1 },
		{ "queue", "queue", "posts waiting for a worker", 1 },
		{ "max_queue", "max_queue", "queue bound", 1 },
		{ "bad_messages", "bad_messages_total", "messages that were "
		    "not valid", 0 },
		{ "requeued", "requeued_total", "posts re-dispatched", 0 },
		{ "late_duplicates", "late_duplicates_total", "late verdicts "
		    "dropped", 0 },
		{ "rejected_verdicts", "rejected_verdicts_total", "verdicts "
		    "dropped: not from the worker holding the post, or not "
		    "valid", 0 },
		{ "busy", "busy_total", "check requests answered busy", 0 },
		{ "poison", "poison_total", "posts given up as poison", 0 },
		{ "review", "review_total", "verdicts sent to the review "
		    "queue (flag review)", 0 },
		{ "lang_unsupported", "lang_unsupported_total", "verdicts on "
		    "posts in a language medflag does not read", 0 },
		{ "sources_stale", "sources_stale_total", "verdicts judged "
		    "without Redis", 0 },
		{ "worker_deaths", "worker_deaths_total", "workers declared "
		    "dead", 0 },
		{ "reloads", "reloads_total", "rule reloads run", 0 },
		{ "reloads_coalesced", "reloads_coalesced_total", "reload "
		    "requests that waited and shared the next reload", 0 },
		{ "gen", "ruleset_generation", "generation of the checked "
		    "rule set medflagd runs", 1 },
		{ "seq", "seq", "last verdict sequence number", 1 },
		{ "uptime_s", "uptime_seconds", "seconds since start", 1 },
		{ "redis", "redis_up", "1 when Redis is connected", 1 },
		{ "journal_written", "journal_written_total", "verdicts "
		    "journalled", 0 },
		{ "journal_skipped", "journal_skipped_total", "verdicts not "
		    "journalled", 0 },
		{ "journal_queue", "journal_queue", "verdicts waiting for the "
		    "journal", 1 },
		{ "duplicates", "duplicates_total", "posts answered from "
		    "dedup", 0 },
		{ "dedup_entries", "dedup_entries", "verdicts dedup holds", 1 },
		{ "dedup_bytes", "dedup_bytes", "bytes of those", 1 },
		{ "dedup_evicted", "dedup_evicted_total", "dedup verdicts "
		    "dropped by the bounds", 0 },
	};
	static const double le[] = { .0005, .001, .002, .005, .01, .02, .05,
	    .1, .25, .5, 1, 2.5 };
	static const char *const maps[2][2] = { { "verdicts", "action" },
	    { "status", "status" } };
	mf__mp_obj_t		 o, w = { NULL, NULL }, ko, v;
	mf__mp_iter_t		 it;
	const char		*key;
	size_t			 len, b;
	uint64_t		 n[MF_LATHIST_N] = {0}, total = 0, u;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		fprintf(fp, "# HELP medflag_%s %s\n# TYPE medflag_%s %s\n"
		    "medflag_%s %lld\n", m[i].name, m[i].help, m[i].name,
		    m[i].gauge ? "gauge" : "counter", m[i].name,
		    mf__mp_get_int(r, m[i].key, 0));
	for (int k = 0; k < 2; k++) {
		fprintf(fp, "# HELP medflag_%s_total verdicts published by %s\n"
		    "# TYPE medflag_%s_total counter\n", maps[k][0],
		    maps[k][1], maps[k][0]);
		if (mf__mp_get(r, maps[k][0], &o) == -1 ||
		    mf__mp_iter_init(&it, &o, MF__MP_MAP) == -1)
			continue;
		while (mf__mp_iter_next(&it, &ko, &v) == 1)
			if (mf__mp_obj_str(&ko, &key, &len) == 0 &&
			    mf__mp_obj_uint(&v, &u) == 0)
				fprintf(fp, "medflag_%s_total{%s=\"%.*s\"} %llu\n",
				    maps[k][0], maps[k][1], (int)len, key,
				    (unsigned long long)u);
	}
	(void)mf__mp_get(r, "workers", &w);
	fprintf(fp, "# HELP medflag_workers_alive workers connected\n"
	    "# TYPE medflag_workers_alive gauge\nmedflag_workers_alive %zu\n",
	    mf__mp_obj_type(&w) == MF__MP_ARRAY ? mf__mp_obj_len(&w) : 0);
	{
		long long	gen = mf__mp_get_int(r, "gen", 0);
		size_t		behind = 0;

		/* A worker that refused or missed a reload judges with
		 * older rules: worth an alert when it stays so. */
		if (mf__mp_iter_init(&it, &w, MF__MP_ARRAY) == 0)
			while (mf__mp_iter_next(&it, NULL, &v) == 1)
				behind += mf__mp_get_int(&v, "gen", 0) != gen;
		fprintf(fp, "# HELP medflag_workers_behind workers not "
		    "running medflagd's rule set generation\n# TYPE "
		    "medflag_workers_behind gauge\nmedflag_workers_behind "
		    "%zu\n", behind);
	}
	if (mf__mp_get(r, "latency_hist", &o) == 0 &&
	    mf__mp_iter_init(&it, &o, MF__MP_ARRAY) == 0)
		for (b = 0; b < MF_LATHIST_N && mf__mp_iter_next(&it, NULL,
		    &v) == 1; b++)
			if (mf__mp_obj_uint(&v, &u) == 0)
				total += n[b] = u;
	fprintf(fp, "# HELP medflag_latency_seconds arrival to verdict of judged "
	    "posts\n# TYPE medflag_latency_seconds histogram\n");
	for (size_t k = 0; k < sizeof(le) / sizeof(le[0]); k++) {
		uint64_t	c = 0;

		for (size_t i = 0; i < MF_LATHIST_N; i++)
			if ((double)mf_lathist_upper(i) <= le[k] * 1e6)
				c += n[i];
		fprintf(fp, "medflag_latency_seconds_bucket{le=\"%g\"} %llu\n",
		    le[k], (unsigned long long)c);
	}
	fprintf(fp, "medflag_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "medflag_latency_seconds_sum %.6f\n"
	    "medflag_latency_seconds_count %llu\n", (unsigned long long)total,
	    (double)mf__mp_get_int(r, "latency_sum_us", 0) / 1e6,
	    (unsigned long long)total);
	fprintf(fp, "# HELP medflag_rule_hits_total hits per rule since start\n"
	    "# TYPE medflag_rule_hits_total counter\n");
	if (mf__mp_get(r, "rule_hits", &o) == -1 ||
	    mf__mp_iter_init(&it, &o, MF__MP_MAP) == -1)
		return;
	while (mf__mp_iter_next(&it, &ko, &v) == 1) {
		uint64_t	c[2];

		if (mf__mp_obj_str(&ko, &key, &len) == -1 ||
		    mf__mp_obj_type(&v) != MF__MP_ARRAY ||
		    mf__mp_obj_len(&v) != 2)
			continue;
		mf_stats_rule_pair(&v, &c[0], &c[1]);
		/* Rule ids are [a-z0-9._-]: nothing to escape. */
		for (int k = 0; k < 2; k++)
			fprintf(fp, "medflag_rule_hits_total{rule=\"%.*s\",mode="
			    "\"%s\"} %llu\n", (int)len, key, k ? "shadow" :
			    "enforce", (unsigned long long)c[k]);
	}
}

static void
s_print_prometheus(const mf__mp_obj_t *r)
{
	mf_stats_prometheus(r, stdout);
}

static void
s_sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
	    1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One control request; prints the reply with 'print', as JSON with
 * --json, or with 'prom' (when given) with --prometheus. */
static int
s_request(int argc, char **argv, const mf_cli_t *cli, const char *cmd,
    void (*print)(const mf__mp_obj_t *),
    void (*prom)(const mf__mp_obj_t *))
{
	mf_config_t	 cfg;
	mf_client_t	 cl;
	mf_reply_t	 reply = { 0 };
	int		 json = 0, rc = 1, timeout = MF_CONTROL_TIMEOUT_MS;
	char		 prog[64];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (prom != NULL && strcmp(argv[i], "--prometheus") ==
		    0) {
			print = prom;
		} else {
			fprintf(stderr, "usage: medflag %s [--json%s]\n",
			    argv[0], prom ? " | --prometheus" : "");
			return 2;
		}
	}
	if (mf_client_config(cli, &cfg) == -1 ||
	    mf_client_init(&cl, &cfg) == -1)
		return 1;
	snprintf(prog, sizeof(prog), "medflag %s", cmd);
	/* A reload is answered when every worker has taken the checked
	 * rules, or at reload_timeout_ms: medflagd's own check comes first,
	 * seconds for a big rule set. */
	if (strcmp(cmd, "reload") == 0)
		timeout = cfg.reload_timeout_ms + S_RELOAD_CHECK_MS;
	if (mf_client_control(&cl, cmd, NULL, 0, timeout, &reply) == -1)
		goto out;
	/* A reload rate-limited for more than 2 s is answered "queued" at
	 * once. Asked again shortly before it is due, the request joins that
	 * same reload and is answered when it has run: so the operator
	 * learns whether it was taken or refused, not only that it will be
	 * tried. */
	for (int tries = 0; strcmp(cmd, "reload") == 0 && tries < 30 &&
	    mf__mp_get_int(&reply.map, "ok", 0) == 1 &&
	    mf__mp_get_int(&reply.map, "queued", 0) == 1; tries++) {
		long long due = mf__mp_get_int(&reply.map, "due_ms", 1000);

		if (tries == 0)
			fprintf(stderr, "%s: rate-limited, due in %lld ms; "
			    "waiting for it\n", prog, due);
		mf_reply_free(&reply);
		s_sleep_ms(due > 1500 ? due - 1000 : 500);
		if (mf_client_control(&cl, cmd, NULL, 0, timeout,
		    &reply) == -1)
			goto out;
	}
	if (json)
		s_print_json(&reply.map);
	if (mf__mp_get_int(&reply.map, "ok", 0) != 1) {
		s_print_refusal(prog, &reply.map);
		goto out;
	}
	if (!json)
		print(&reply.map);
	rc = 0;
out:
	mf_reply_free(&reply);
	mf_client_term(&cl);
	return rc;
}

int
mf_cmd_stats(int argc, char **argv, const mf_cli_t *cli)
{
	return s_request(argc, argv, cli, "stats", s_print_stats,
	    s_print_prometheus);
}

static void
s_print_reload(const mf__mp_obj_t *r)
{
	char		rs[128], note[300];
	long long	n = mf__mp_get_int(r, "requests", 1);

	if (mf__mp_get_int(r, "queued", 0) == 1) {
		printf("reload queued: %s\n", mf__mp_get_str(r, "note", note,
		    sizeof(note)));
		return;
	}
	printf("reloaded: ruleset %s, generation %lld (%lld/%lld workers)",
	    mf__mp_get_str(r, "ruleset", rs, sizeof(rs)),
	    mf__mp_get_int(r, "gen", 0), mf__mp_get_int(r, "acked", 0),
	    mf__mp_get_int(r, "workers", 0));
	if (n > 1)	/* a burst of requests shared this reload */
		printf(" (one reload for %lld requests)", n);
	putchar('\n');
}

int
mf_cmd_reload(int argc, char **argv, const mf_cli_t *cli)
{
	return s_request(argc, argv, cli, "reload", s_print_reload, NULL);
}
