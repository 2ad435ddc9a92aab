/*
 * clients_test.c - the `medflag` service subcommands as a user runs them,
 * against a real redis-server and a real medflagd with 2 workers:
 * sources load/add/remove/list/lookup, push of 1,000 posts (and across a
 * medflagd crash), tail --since 0, check, stats, top.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "integ_util.h"

/* Runs 'cmd' with sh -c; stdout into 'out' (malloc'd, NUL-terminated).
 * Returns the exit status (-1 if it did not exit). */
static int
s_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_run(char **out, const char *fmt, ...)
{
	char	 cmd[8192], *buf = NULL;
	size_t	 n = 0, cap = 0, r;
	FILE	*fp;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	MF_ASSERT_NOT_NULL(fp = popen(cmd, "r"));
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? 2 * cap : 131072;
			MF_ASSERT_NOT_NULL(buf = realloc(buf, cap));
		}
		r = fread(buf + n, 1, 65536, fp);
		n += r;
	} while (r > 0);
	buf[n] = '\0';
	st = pclose(fp);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t
s_lines(const char *s)
{
	size_t	n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Writes 'n' JSON posts "p-0".."p-(n-1)" into DIR/posts.jsonl. */
static void
s_posts(const mf_integ_t *t, int n, char *path, size_t cap)
{
	FILE	*fp;

	snprintf(path, cap, "%s/posts.jsonl", t->dir);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "w"));
	for (int i = 0; i < n; i++)
		fprintf(fp, "{\"v\":1,\"post_id\":\"p-%d\",\"revision\":%d,"
		    "\"body\":\"%s\"}\n", i, i % 3, i % 4 == 0 ?
		    "The MMR jab gave my son autism, I am sure of it." :
		    i % 4 == 1 ? "Drinking bleach cures autism, see "
		    "https://naturalnews.com/x" : "Nice weather today.");
	fclose(fp);
}

/* Every "post_id":"p-N" for N < n appears exactly once in 'out'. */
static void
s_each_once(const char *out, int n)
{
	char	*seen = calloc((size_t)n, 1), *p;
	int	 dup = 0, missing = 0;

	MF_ASSERT_NOT_NULL(seen);
	for (p = strstr(out, "\"post_id\":\"p-"); p != NULL;
	    p = strstr(p + 1, "\"post_id\":\"p-")) {
		int i = atoi(p + 13);

		MF_ASSERT(i >= 0 && i < n);
		if (seen[i]++)
			dup++;
	}
	for (int i = 0; i < n; i++)
		if (!seen[i])
			missing++;
	free(seen);
	MF_ASSERT_EQ(0, dup);
	MF_ASSERT_EQ(0, missing);
}

MF_TEST(clients_sources)
{
	mf_integ_t	 t;
	char		 bin[512], *out = NULL, dir[400], path[480];
	FILE		*fp;

	mf_integ_setup(&t, 0, NULL);
	mf_integ_bin("medflag", bin, sizeof(bin));
	snprintf(dir, sizeof(dir), "%s/src", t.dir);
	MF_ASSERT_EQ(0, mkdir(dir, 0700));
	snprintf(path, sizeof(path), "%s/vetted.list", dir);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "w"));
	fputs("# test\nwho.int\nnih.gov\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/unreliable.list", dir);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "w"));
	fputs("naturalnews.com\n", fp);
	fclose(fp);

	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources load %s", bin, t.conf,
	    dir));
	MF_ASSERT_STR_CONTAINS(out, "loaded 2 vetted and 1 unreliable");
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources lookup "
	    "https://pubmed.ncbi.nlm.nih.gov/123", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "vetted (entry nih.gov");
	free(out);
	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources add www.Example.org "
	    "--unreliable", bin, t.conf));
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources lookup "
	    "http://a.example.org/x?y", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "unreliable (entry example.org");
	free(out);
	/* add moves a domain between lists */
	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources add example.org "
	    "--vetted", bin, t.conf));
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources list --vetted", bin,
	    t.conf));
	MF_ASSERT_STR_CONTAINS(out, "example.org\n");
	MF_ASSERT_EQ(3, s_lines(out));
	free(out);
	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources remove example.org",
	    bin, t.conf));
	MF_ASSERT_EQ(1, s_run(NULL, "%s -c %s sources remove example.org "
	    "2>/dev/null", bin, t.conf));
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources lookup example.org", bin,
	    t.conf));
	MF_ASSERT_STR_CONTAINS(out, "unknown");
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources list", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "naturalnews.com\tunreliable");
	free(out);
	MF_ASSERT_EQ(1, s_run(NULL, "%s -c %s sources add 'not a domain' "
	    "--vetted 2>/dev/null", bin, t.conf));
	MF_ASSERT_EQ(2, s_run(NULL, "%s -c %s sources add x.org 2>/dev/null",
	    bin, t.conf));
	/* the project's own lists load, and what `sources add` added is
	 * kept and said */
	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources add forum.example "
	    "--vetted", bin, t.conf));
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources load %s/rules/sources",
	    bin, t.conf, mf_test_top()));
	MF_ASSERT_STR_CONTAINS(out, "loaded ");
	MF_ASSERT_STR_CONTAINS(out, "kept 1 vetted and 0 unreliable domains "
	    "added with `sources add` (their own set, ");
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s sources lookup forum.example",
	    bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "forum.example: vetted");
	free(out);
	mf_integ_teardown(&t);
}

MF_TEST(clients_push_1000_then_tail_since_0)
{
	mf_integ_t	 t;
	char		 bin[512], posts[480], *out = NULL;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_bin("medflag", bin, sizeof(bin));
	mf_integ_medflagd_start(&t, 2, 15000);
	s_posts(&t, 1000, posts, sizeof(posts));
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s push < %s", bin, t.conf,
	    posts));
	MF_ASSERT_EQ(1000, s_lines(out));
	s_each_once(out, 1000);
	MF_ASSERT_STR_CONTAINS(out, "\"action\":");
	free(out);

	/* the journal holds all 1000 (it is written a moment after each
	 * publication); tail --since 0 replays them in seq order */
	for (int i = 0; i < 100 &&
	    mf_integ_stat(&t, "journal_written") < 1000; i++)
		usleep(50000);
	MF_ASSERT_EQ(0, s_run(&out, "timeout 30 %s -c %s tail --since 0 "
	    "--count 1000 --json", bin, t.conf));
	MF_ASSERT_EQ(1000, s_lines(out));
	s_each_once(out, 1000);
	{
		long long	 prev = 0;
		const char	*p;

		for (p = strstr(out, "\"seq\":"); p != NULL;
		    p = strstr(p + 1, "\"seq\":")) {
			long long s = atoll(p + 6);

			MF_ASSERT_EQ(prev + 1, s);
			prev = s;
		}
		MF_ASSERT_EQ(1000, prev);
	}
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "timeout 30 %s -c %s tail --since 990 "
	    "--count 5", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "     990  p-");
	MF_ASSERT_EQ(5, s_lines(out));
	free(out);
	mf_integ_teardown(&t);
}

MF_TEST(clients_push_bad_line_check_stats)
{
	mf_integ_t	 t;
	char		 bin[512], path[480], *out = NULL;
	char		 rule[160], want[256];
	FILE		*fp;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_bin("medflag", bin, sizeof(bin));
	mf_integ_medflagd_start(&t, 2, 15000);
	snprintf(path, sizeof(path), "%s/bad.jsonl", t.dir);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "w"));
	fputs("{\"post_id\":\"a\",\"body\":\"hello\"}\n\n"
	    "{\"post_id\":\"b\"}\nnot json\n"
	    "{\"post_id\":\"c\",\"body\":\"hi\"}\n", fp);
	fclose(fp);
	/* every line answered; the bad ones make the exit status 1 */
	MF_ASSERT_EQ(1, s_run(&out, "%s -c %s push < %s", bin, t.conf, path));
	MF_ASSERT_EQ(4, s_lines(out));
	MF_ASSERT_STR_CONTAINS(out, "stdin:3: ");
	MF_ASSERT_STR_CONTAINS(out, "stdin:4: ");
	MF_ASSERT_STR_CONTAINS(out, "\"post_id\":\"b\"");
	MF_ASSERT_STR_CONTAINS(out, "\"post_id\":\"c\"");
	free(out);

	/* a flag: exit status 1, as spamc -c for spam (the shipped rules'
	 * own example: "I am sure of it" is one the model vetoes) */
	MF_ASSERT_EQ(1, s_run(&out, "%s -c %s check 'Vaccines cause autism "
	    "and the CDC has known it for years!!'", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "post cli-");
	MF_ASSERT_STR_CONTAINS(out, "ruleset ");
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "echo 'plain text' | %s -c %s check --json "
	    "-", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "\"status\":\"ok\"");
	free(out);

	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s stats", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "posts in ");
	MF_ASSERT_STR_CONTAINS(out, "workers (2)");
	MF_ASSERT_STR_CONTAINS(out, "latency   p50 ");
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s stats --json", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "\"posts_in\":");
	MF_ASSERT_STR_CONTAINS(out, "\"latency_hist\":[");
	free(out);
	/* Rule hits come with the workers' heartbeats (1 s): the check of
	 * the MMR post above shows within a few. */
	for (int i = 0; i < 50; i++) {
		MF_ASSERT_EQ(0, s_run(&out, "%s -c %s stats --json", bin,
		    t.conf));
		if (strstr(out, "\"rule_hits\":{") != NULL &&
		    strstr(out, "\"vaccines-autism.") != NULL)
			break;
		free(out);
		out = NULL;
		usleep(100000);
	}
	MF_ASSERT_NOT_NULL(out);
	{
		/* The rule that hit, from stats. */
		const char	*p = strstr(out, "\"vaccines-autism.") + 1;

		snprintf(rule, sizeof(rule), "%.*s", (int)strcspn(p, "\""),
		    p);
	}
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s stats", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "rules with the most hits since start");
	MF_ASSERT_STR_CONTAINS(out, "  vaccines-autism.");
	MF_ASSERT_STR_CONTAINS(out, "\nflags:     review ");
	free(out);
	/* The same counters for Prometheus. */
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s stats --prometheus", bin,
	    t.conf));
	MF_ASSERT_STR_CONTAINS(out, "# TYPE medflag_posts_in_total counter\n"
	    "medflag_posts_in_total ");
	MF_ASSERT_STR_CONTAINS(out, "medflag_workers_alive 2\n");
	MF_ASSERT_STR_CONTAINS(out, "medflag_latency_seconds_bucket{le=\"+Inf\"} ");
	MF_ASSERT_STR_CONTAINS(out, "medflag_verdicts_total{action=\"flag\"} ");
	MF_ASSERT_STR_CONTAINS(out, "# TYPE medflag_lang_unsupported_total "
	    "counter\nmedflag_lang_unsupported_total ");
	snprintf(want, sizeof(want), "medflag_rule_hits_total{rule=\"%s\","
	    "mode=\"enforce\"} ", rule);
	MF_ASSERT_STR_CONTAINS(out, want);
	free(out);

	/* Moderators' feedback: two agreed, one overturned; a bad outcome
	 * and a bad rule id are refused before Redis is touched, an id not
	 * in the running rule set before anything is stored. */
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s feedback m-1 agreed %s --by t",
	    bin, t.conf, rule));
	MF_ASSERT_STR_CONTAINS(out, "recorded: m-1 agreed for 1 rule");
	free(out);
	MF_ASSERT_EQ(0, s_run(NULL, "printf '%%s\\n%%s\\n' "
	    "'{\"post_id\":\"m-2\",\"outcome\":\"agreed\",\"rules\":[\"%s\"]}' "
	    "'{\"post_id\":\"m-3\",\"revision\":1,\"outcome\":\"overturned\","
	    "\"rules\":[\"%s\"]}' | %s -c %s feedback -", rule, rule, bin,
	    t.conf));
	MF_ASSERT_EQ(2, s_run(NULL, "%s -c %s feedback m-4 maybe %s 2>/dev/null",
	    bin, t.conf, rule));
	MF_ASSERT_EQ(2, s_run(NULL, "%s -c %s feedback m-4 agreed 'No Rule' "
	    "2>/dev/null", bin, t.conf));
	MF_ASSERT_EQ(1, s_run(NULL, "echo 'nope' | %s -c %s feedback - "
	    "2>/dev/null", bin, t.conf));
	/* A well-formed id that is not a rule of the running set is
	 * refused too, alone or in a line of feedback -, and not kept. */
	MF_ASSERT_EQ(1, s_run(&out, "%s -c %s feedback m-5 agreed %s "
	    "no-such.rule 2>&1", bin, t.conf, rule));
	MF_ASSERT_STR_CONTAINS(out, "rules: 'no-such.rule' is not a rule of "
	    "the running rule set (ruleset ");
	MF_ASSERT_STR_CONTAINS(out, "nothing was recorded");
	free(out);
	MF_ASSERT_EQ(1, s_run(&out, "echo '{\"post_id\":\"m-6\",\"outcome\":"
	    "\"agreed\",\"rules\":[\"no-such.rule\"]}' | %s -c %s feedback "
	    "- 2>&1", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "stdin:1: error: rules: 'no-such.rule' "
	    "is not a rule of the running rule set");
	MF_ASSERT_STR_CONTAINS(out, "0 recorded, 1 bad lines");
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s feedback --summary", bin,
	    t.conf));
	/* All-time hits come from medflagd's journal thread (at least the
	 * one check above, written after its heartbeat), feedback 2 to 1. */
	snprintf(want, sizeof(want), "%8d %10d %9.2f\n", 2, 1, 2.0 / 3);
	MF_ASSERT_STR_CONTAINS(out, want);
	snprintf(want, sizeof(want), "%-44s %9d ", rule, 0);
	MF_ASSERT(strncmp(strstr(out, rule), want, strlen(want)) != 0);
	free(out);
	/* top's first reading: the rule with its precision. */
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s top -n 1", bin, t.conf));
	snprintf(want, sizeof(want), "%s ", rule);
	MF_ASSERT_STR_CONTAINS(out, want);
	MF_ASSERT_STR_CONTAINS(out, " precision 0.67 of 3");
	free(out);

	/* top: two readings; the second has rates of the last interval,
	 * and a check sent in between shows in its latency. */
	MF_ASSERT_EQ(0, s_run(&out, "(sleep 0.2; %s -c %s check 'plain' "
	    ">/dev/null) & %s -c %s top -n 2 -d 1.5; wait", bin, t.conf, bin,
	    t.conf));
	MF_ASSERT_STR_CONTAINS(out, "(since start ");
	MF_ASSERT_STR_CONTAINS(out, "(last ");
	MF_ASSERT_STR_CONTAINS(out, "posts, last ");
	MF_ASSERT_STR_CONTAINS(out, "workers   2\n");
	MF_ASSERT_STR_CONTAINS(out, "redis     up");
	MF_ASSERT_STR_CONTAINS(out, "\nflags     review ");
	free(out);
	MF_ASSERT_EQ(2, s_run(&out, "%s -c %s top -d 0", bin, t.conf));
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "%s -c %s reload", bin, t.conf));
	MF_ASSERT_STR_CONTAINS(out, "reloaded: ruleset ");
	free(out);
	mf_integ_teardown(&t);
}

MF_TEST(clients_push_survives_medflagd_crash)
{
	mf_integ_t	 t;
	char		 bin[512], posts[480], outp[480], *out = NULL;
	pid_t		 pid;
	FILE		*fp;
	int		 st, n = 3000;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_bin("medflag", bin, sizeof(bin));
	mf_integ_medflagd_start(&t, 2, 15000);
	s_posts(&t, n, posts, sizeof(posts));
	snprintf(outp, sizeof(outp), "%s/out.jsonl", t.dir);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char cmd[4096];

		snprintf(cmd, sizeof(cmd), "exec %s -c %s push --window 64 "
		    "--timeout 1000 < %s > %s 2>%s/push.err", bin, t.conf,
		    posts, outp, t.dir);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	MF_ASSERT(pid > 0);
	/* kill medflagd while the push is under way, then start it again */
	for (int i = 0; i < 200 && mf_integ_stat(&t, "posts_in") < 300; i++)
		usleep(10000);
	MF_ASSERT_EQ(128 + SIGKILL, mf_integ_medflagd_stop(&t, SIGKILL,
	    5000));
	usleep(300000);
	mf_integ_medflagd_start(&t, 2, 15000);
	MF_ASSERT_EQ(pid, waitpid(pid, &st, 0));
	MF_ASSERT(WIFEXITED(st));
	MF_ASSERT_EQ(0, WEXITSTATUS(st));
	MF_ASSERT_NOT_NULL(fp = fopen(outp, "r"));
	fclose(fp);
	MF_ASSERT_EQ(0, s_run(&out, "cat %s", outp));
	MF_ASSERT_EQ((size_t)n, s_lines(out));
	s_each_once(out, n);
	free(out);
	MF_ASSERT_EQ(0, s_run(&out, "cat %s/push.err", t.dir));
	MF_ASSERT_STR_CONTAINS(out, "3000 verdicts");
	free(out);
	mf_integ_teardown(&t);
}
