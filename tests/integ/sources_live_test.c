/*
 * sources_live_test.c - a source list change reaches running workers
 * within a second: real redis-server, real medflagd with 2 workers,
 * `medflag sources add` and `remove` while checks flow.
 * SPDX-License-Identifier: MIT
 */
#include <sys/wait.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "integ_util.h"

/* Runs a shell command; its stdout into 'out' (malloc'd). Exit status. */
static int
s_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_run(char **out, const char *fmt, ...)
{
	char	 cmd[4096], *buf;
	size_t	 n = 0, r;
	FILE	*fp;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	MF_ASSERT_NOT_NULL(buf = malloc(1 << 16));
	fflush(NULL);
	MF_ASSERT_NOT_NULL(fp = popen(cmd, "r"));
	while ((r = fread(buf + n, 1, (1 << 16) - 1 - n, fp)) > 0)
		n += r;
	buf[n] = '\0';
	st = pclose(fp);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The list medflag check reports for a post citing the test domain. */
static int
s_listed_unreliable(const char *bin, const mf_integ_t *t, int n)
{
	char	*out = NULL;
	int	 rc;

	rc = s_run(&out, "%s -c %s check --json 'post %d, see "
	    "https://news.quack-%d.example/cure' ", bin, t->conf, n,
	    (int)getpid());
	MF_ASSERT(rc == 0 || rc == 1);	/* none, or annotate and up */
	rc = strstr(out, "\"list\":\"unreliable\"") != NULL ||
	    strstr(out, "\"list\": \"unreliable\"") != NULL;
	free(out);
	return rc;
}

/*
 * Checks until ten in a row agree that the domain is (or is not) listed:
 * posts go to both workers in turn, so a streak means both switched.
 * Returns ms from 't0' to the first check of the streak, or -1 if no
 * streak came within 3 s.
 */
static int64_t
s_switch_ms(const char *bin, const mf_integ_t *t, int *n, int listed,
    int64_t t0)
{
	int	streak = 0;
	int64_t	start = 0, now;

	while ((now = mf_now_ms()) - t0 < 3000) {
		if (s_listed_unreliable(bin, t, (*n)++) == listed) {
			if (streak++ == 0)
				start = now;
			if (streak == 10)
				return start - t0;
		} else
			streak = 0;
	}
	return -1;
}

MF_TEST(sources_add_reaches_running_workers_within_a_second)
{
	mf_integ_t	t;
	char		bin[512], dom[64];
	int64_t		ms;
	int		n = 0;

	mf_integ_setup(&t, 2, NULL);
	mf_integ_bin("medflag", bin, sizeof(bin));
	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources load %s/rules/sources",
	    bin, t.conf, mf_test_top()));
	mf_integ_medflagd_start(&t, 2, 15000);
	snprintf(dom, sizeof(dom), "quack-%d.example", (int)getpid());
	MF_ASSERT(!s_listed_unreliable(bin, &t, n++));

	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources add %s --unreliable",
	    bin, t.conf, dom));
	ms = s_switch_ms(bin, &t, &n, 1, mf_now_ms());
	fprintf(stderr, "sources add seen by both workers after %lld ms\n",
	    (long long)ms);
	MF_ASSERT(ms >= 0 && ms <= 1000);

	MF_ASSERT_EQ(0, s_run(NULL, "%s -c %s sources remove %s", bin, t.conf,
	    dom));
	ms = s_switch_ms(bin, &t, &n, 0, mf_now_ms());
	fprintf(stderr, "sources remove seen by both workers after %lld ms\n",
	    (long long)ms);
	MF_ASSERT(ms >= 0 && ms <= 1000);
	mf_integ_teardown(&t);
}
