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
s_print_json(const msgpack_object *o)
{
	mf_buf_t	out = {0};

	if (mf_mp_json(o, &out) == 0)
		printf("%s\n", out.data);
	mf_buf_free(&out);
}

/* Prints "name value" for each key of the map under 'key'. */
static void
s_print_counts(const msgpack_object *map, const char *key, const char *label)
{
	const msgpack_object	*o = mf_mp_get(map, key);
	char			 k[64];

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return;
	printf("%-10s", label);
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];

		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		snprintf(k, sizeof(k), "%.*s", (int)kv->key.via.str.size,
		    kv->key.via.str.ptr);
		printf(" %s %lld", k, mf_mp_int(o, k, 0));
	}
	putchar('\n');
}

static void
s_print_stats(const msgpack_object *r)
{
	const msgpack_object	*w = mf_mp_get(r, "workers");
	char			 rs[128], sv[64], s1[64], s2[64], s3[128];

	printf("medflagd: up %llds  ruleset %s (generation %lld)  sources v%s"
	    "  seq %lld\n", mf_mp_int(r, "uptime_s", 0), mf_mp_str(r,
	    "ruleset", rs, sizeof(rs)), mf_mp_int(r, "gen", 0),
	    mf_mp_str(r, "sources_version", sv, sizeof(sv)),
	    mf_mp_int(r, "seq", 0));
	printf("posts in %lld  in flight %lld  queue %lld  requeued %lld  "
	    "bad messages %lld\n", mf_mp_int(r, "posts_in", 0),
	    mf_mp_int(r, "in_flight", 0), mf_mp_int(r, "queue", 0),
	    mf_mp_int(r, "requeued", 0), mf_mp_int(r, "bad_messages", 0));
	s_print_counts(r, "verdicts", "verdicts:");
	s_print_counts(r, "status", "status:");
	{
		const msgpack_object *l = mf_mp_get(r, "latency_us");

		if (l != NULL && l->type == MSGPACK_OBJECT_MAP)
			printf("latency   p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  "
			    "max %.2f ms (since start, arrival to verdict)\n",
			    (double)mf_mp_int(l, "p50", 0) / 1000,
			    (double)mf_mp_int(l, "p90", 0) / 1000,
			    (double)mf_mp_int(l, "p99", 0) / 1000,
			    (double)mf_mp_int(l, "max", 0) / 1000);
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
	if (w == NULL || w->type != MSGPACK_OBJECT_ARRAY)
		return;
	printf("workers (%u):\n  %-10s %-8s %-16s %-16s %5s %9s %10s %s\n",
	    w->via.array.size, "id", "pid", "host", "ruleset", "gen",
	    "in_flight", "done", "alive");
	for (uint32_t i = 0; i < w->via.array.size; i++) {
		const msgpack_object *x = &w->via.array.ptr[i];
		const msgpack_object *alive = mf_mp_get(x, "alive");

		printf("  %-10s %-8lld %-16s %-16.16s %5lld %9lld %10lld "
		    "%s\n", mf_mp_str(x, "id", s1, sizeof(s1)),
		    mf_mp_int(x, "pid", 0), mf_mp_str(x, "host", s3,
		    sizeof(s3)), mf_mp_str(x, "ruleset", s2, sizeof(s2)),
		    mf_mp_int(x, "gen", 0),
		    mf_mp_int(x, "in_flight", 0), mf_mp_int(x, "done", 0),
		    alive == NULL ? "?" : mf_mp_int(x, "alive", 0) ? "yes" :
		    "no");
	}
}

/* The error of a refused request, with every diagnostic when given. */
static void
s_print_refusal(const char *prog, const msgpack_object *r)
{
	const msgpack_object	*d = mf_mp_get(r, "diagnostics");
	char			 err[2048];

	fprintf(stderr, "%s: %s\n", prog, mf_mp_str(r, "error", err,
	    sizeof(err))[0] ? err : "refused (no reason given)");
	if (d == NULL || d->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (uint32_t i = 0; i < d->via.array.size; i++) {
		const msgpack_object *x = &d->via.array.ptr[i];

		if (x->type == MSGPACK_OBJECT_STR)
			fprintf(stderr, "%.*s\n", (int)x->via.str.size,
			    x->via.str.ptr);
		else {
			mf_buf_t out = {0};

			if (mf_mp_json(x, &out) == 0)
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
mf_stats_prometheus(const msgpack_object *r, FILE *fp)
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
	const msgpack_object	*w = mf_mp_get(r, "workers");
	const msgpack_object	*h = mf_mp_get(r, "latency_hist");
	const msgpack_object	*rh = mf_mp_get(r, "rule_hits");
	uint64_t		 n[MF_LATHIST_N] = {0}, total = 0;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		fprintf(fp, "# HELP medflag_%s %s\n# TYPE medflag_%s %s\n"
		    "medflag_%s %lld\n", m[i].name, m[i].help, m[i].name,
		    m[i].gauge ? "gauge" : "counter", m[i].name,
		    mf_mp_int(r, m[i].key, 0));
	for (int k = 0; k < 2; k++) {
		const msgpack_object *o = mf_mp_get(r, maps[k][0]);

		fprintf(fp, "# HELP medflag_%s_total verdicts published by %s\n"
		    "# TYPE medflag_%s_total counter\n", maps[k][0],
		    maps[k][1], maps[k][0]);
		for (uint32_t i = 0; o != NULL && o->type ==
		    MSGPACK_OBJECT_MAP && i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];

			if (kv->key.type == MSGPACK_OBJECT_STR &&
			    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
				fprintf(fp, "medflag_%s_total{%s=\"%.*s\"} %llu\n",
				    maps[k][0], maps[k][1],
				    (int)kv->key.via.str.size,
				    kv->key.via.str.ptr, (unsigned long long)
				    kv->val.via.u64);
		}
	}
	fprintf(fp, "# HELP medflag_workers_alive workers connected\n"
	    "# TYPE medflag_workers_alive gauge\nmedflag_workers_alive %u\n",
	    w && w->type == MSGPACK_OBJECT_ARRAY ? w->via.array.size : 0);
	{
		long long	gen = mf_mp_int(r, "gen", 0);
		unsigned	behind = 0;

		/* A worker that refused or missed a reload judges with
		 * older rules: worth an alert when it stays so. */
		for (uint32_t i = 0; w && w->type == MSGPACK_OBJECT_ARRAY &&
		    i < w->via.array.size; i++)
			behind += mf_mp_int(&w->via.array.ptr[i], "gen", 0) !=
			    gen;
		fprintf(fp, "# HELP medflag_workers_behind workers not "
		    "running medflagd's rule set generation\n# TYPE "
		    "medflag_workers_behind gauge\nmedflag_workers_behind "
		    "%u\n", behind);
	}
	for (uint32_t i = 0; h && h->type == MSGPACK_OBJECT_ARRAY &&
	    i < h->via.array.size && i < MF_LATHIST_N; i++)
		if (h->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			total += n[i] = h->via.array.ptr[i].via.u64;
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
	    (double)mf_mp_int(r, "latency_sum_us", 0) / 1e6,
	    (unsigned long long)total);
	fprintf(fp, "# HELP medflag_rule_hits_total hits per rule since start\n"
	    "# TYPE medflag_rule_hits_total counter\n");
	for (uint32_t i = 0; rh && rh->type == MSGPACK_OBJECT_MAP &&
	    i < rh->via.map.size; i++) {
		const msgpack_object_kv	*kv = &rh->via.map.ptr[i];
		uint64_t		 c[2];

		if (kv->key.type != MSGPACK_OBJECT_STR ||
		    kv->val.type != MSGPACK_OBJECT_ARRAY ||
		    kv->val.via.array.size != 2)
			continue;
		mf_stats_rule_pair(&kv->val, &c[0], &c[1]);
		/* Rule ids are [a-z0-9._-]: nothing to escape. */
		for (int k = 0; k < 2; k++)
			fprintf(fp, "medflag_rule_hits_total{rule=\"%.*s\",mode="
			    "\"%s\"} %llu\n", (int)kv->key.via.str.size,
			    kv->key.via.str.ptr, k ? "shadow" : "enforce",
			    (unsigned long long)c[k]);
	}
}

static void
s_print_prometheus(const msgpack_object *r)
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
    void (*print)(const msgpack_object *),
    void (*prom)(const msgpack_object *))
{
	mf_config_t		 cfg;
	msgpack_unpacked	 reply;
	int			 json = 0, rc = 1, timeout = MF_CONTROL_TIMEOUT_MS;
	char			 prog[64];

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
	if (mf_client_config(cli, &cfg) == -1)
		return 1;
	snprintf(prog, sizeof(prog), "medflag %s", cmd);
	/* A reload is answered when every worker has taken the checked
	 * rules, or at reload_timeout_ms: medflagd's own check comes first,
	 * seconds for a big rule set. */
	if (strcmp(cmd, "reload") == 0)
		timeout = cfg.reload_timeout_ms + S_RELOAD_CHECK_MS;
	if (mf_client_control(&cfg, cmd, NULL, 0, timeout, &reply) == -1)
		goto out;
	/* A reload rate-limited for more than 2 s is answered "queued" at
	 * once. Asked again shortly before it is due, the request joins that
	 * same reload and is answered when it has run: so the operator
	 * learns whether it was taken or refused, not only that it will be
	 * tried. */
	for (int tries = 0; strcmp(cmd, "reload") == 0 && tries < 30 &&
	    mf_mp_int(&reply.data, "ok", 0) == 1 &&
	    mf_mp_int(&reply.data, "queued", 0) == 1; tries++) {
		long long due = mf_mp_int(&reply.data, "due_ms", 1000);

		if (tries == 0)
			fprintf(stderr, "%s: rate-limited, due in %lld ms; "
			    "waiting for it\n", prog, due);
		msgpack_unpacked_destroy(&reply);
		s_sleep_ms(due > 1500 ? due - 1000 : 500);
		if (mf_client_control(&cfg, cmd, NULL, 0, timeout,
		    &reply) == -1)
			goto out;
	}
	if (json)
		s_print_json(&reply.data);
	if (mf_mp_int(&reply.data, "ok", 0) != 1) {
		s_print_refusal(prog, &reply.data);
		goto out;
	}
	if (!json)
		print(&reply.data);
	rc = 0;
out:
	msgpack_unpacked_destroy(&reply);
	mf_client_term();
	return rc;
}

int
mf_cmd_stats(int argc, char **argv, const mf_cli_t *cli)
{
	return s_request(argc, argv, cli, "stats", s_print_stats,
	    s_print_prometheus);
}

static void
s_print_reload(const msgpack_object *r)
{
	char		rs[128], note[300];
	long long	n = mf_mp_int(r, "requests", 1);

	if (mf_mp_int(r, "queued", 0) == 1) {
		printf("reload queued: %s\n", mf_mp_str(r, "note", note,
		    sizeof(note)));
		return;
	}
	printf("reloaded: ruleset %s, generation %lld (%lld/%lld workers)",
	    mf_mp_str(r, "ruleset", rs, sizeof(rs)), mf_mp_int(r, "gen", 0),
	    mf_mp_int(r, "acked", 0), mf_mp_int(r, "workers", 0));
	if (n > 1)	/* a burst of requests shared this reload */
		printf(" (one reload for %lld requests)", n);
	putchar('\n');
}

int
mf_cmd_reload(int argc, char **argv, const mf_cli_t *cli)
{
	return s_request(argc, argv, cli, "reload", s_print_reload, NULL);
}
