/*
 * harness.c - registry, runner and helpers of the selftest harness.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

#define MF_MAX_TESTS	2048

static struct {
	const char	*name, *file;
	mf_test_fn	 fn;
} s_tests[MF_MAX_TESTS];
static size_t	s_ntests;

void
mf__test_register(const char *name, const char *file, mf_test_fn fn)
{
	if (s_ntests == MF_MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests\n", MF_MAX_TESTS);
		abort();
	}
	s_tests[s_ntests].name = name;
	s_tests[s_ntests].file = file;
	s_tests[s_ntests].fn = fn;
	s_ntests++;
}

void
mf__test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
mf_test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "SKIP: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(77);
}

uint64_t
mf_test_xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

const char *
mf_test_top(void)
{
	static char	 cwd[2048];
	const char	*t = getenv("MF_TOP");

	/* Absolute: a configuration written into a temp dir resolves
	 * relative paths against that dir, not against ours. */
	if (t != NULL)
		return t;
	return getcwd(cwd, sizeof(cwd)) ? cwd : ".";
}

const char *
mf_test_shared_data(void)
{
	static char	 path[4096];
	const char	*e = getenv("MF_SHARED_DATA");
	struct stat	 st;

	if (e == NULL) {
		snprintf(path, sizeof(path), "%s/../shared/data", mf_test_top());
		e = path;
	}
	return stat(e, &st) == 0 && S_ISDIR(st.st_mode) ? e : NULL;
}

static double
s_now(void)
{
	return (double)mf_now_ns() / 1e9;
}

/* Runs one test in a child; returns 0 pass, 1 fail, 77 skip. */
static int
s_run_one(size_t i, double timeout)
{
	pid_t	pid;
	int	status = 0;
	double	deadline;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		alarm((unsigned)timeout + 1);
		s_tests[i].fn();
		fflush(NULL);
		_exit(0);
	}
	deadline = s_now() + timeout;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return 1;
		if (s_now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "%s: timed out after %.0fs\n",
			    s_tests[i].name, timeout);
			return 1;
		}
		usleep(2000);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 77 ? 77 :
		    WEXITSTATUS(status) != 0;
	fprintf(stderr, "%s: killed by signal %d\n", s_tests[i].name,
	    WTERMSIG(status));
	return 1;
}

int
main(int argc, char **argv)
{
	size_t		 passed = 0, failed = 0, skipped = 0;
	double		 mult = 1, timeout;
	const char	*m = getenv("MF_TEST_TIMEOUT_MULT");
	int		 ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
	int		 verbose = getenv("MF_TEST_VERBOSE") != NULL;

	if (m && atof(m) > 0)
		mult = atof(m);
	timeout = 60 * mult;
	for (size_t i = 0; i < s_ntests; i++) {
		int	 r, match = argc < 2;
		double	 t0;

		for (int a = 1; a < argc; a++)
			if (strstr(s_tests[i].name, argv[a]) ||
			    strstr(s_tests[i].file, argv[a]))
				match = 1;
		if (!match)
			continue;
		t0 = s_now();
		r = s_run_one(i, timeout);
		if (r == 77 && ci) {
			fprintf(stderr, "%s: skipped under CI: counted as a "
			    "failure\n", s_tests[i].name);
			r = 1;
		}
		if (r == 0)
			passed++;
		else if (r == 77)
			skipped++;
		else
			failed++;
		if (r != 0 || verbose)
			printf("%s %s (%s, %.2fs)\n", r == 0 ? "ok  " :
			    r == 77 ? "skip" : "FAIL", s_tests[i].name,
			    s_tests[i].file, s_now() - t0);
	}
	if (skipped)
		printf("%zu passed, %zu failed, %zu skipped\n", passed, failed,
		    skipped);
	else
		printf("%zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}
