/*
 * log_test.c - what every log line carries (time, level, component), the
 * JSON form, and the rate limiter's count of the lines it held back.
 * stderr is pointed at a temp file for the length of each test.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"

/* Points stderr at a fresh temp file; returns the saved stderr. */
static int
s_capture(char *path, size_t cap)
{
	int	fd, saved;

	snprintf(path, cap, "%s/mflog.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	MF_ASSERT(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return saved;
}

/* Restores stderr; returns what was written (malloc'd). */
static char *
s_release(const char *path, int saved)
{
	size_t	 len;
	char	*text;
	FILE	*fp;

	dup2(saved, STDERR_FILENO);
	close(saved);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "r"));
	MF_ASSERT_NOT_NULL(text = calloc(1, 65536));
	len = fread(text, 1, 65535, fp);
	text[len] = '\0';
	fclose(fp);
	unlink(path);
	return text;
}

MF_TEST(log_line_has_time_level_component)
{
	char	 path[256], *out;
	int	 saved = s_capture(path, sizeof(path));

	mf_log_init("worker[7]", "debug");
	MF_ASSERT_EQ(0, mf_log_set_sink("stderr"));
	mf_log_info("ruleset %s", "abc");
	mf_log_warnx("redis: %s", "down");
	mf_log_debug("quiet");
	out = s_release(path, saved);
	/* 2026-12-03T14:05:06.123Z info worker[7]: ruleset abc */
	MF_ASSERT(strlen(out) > 24 && out[4] == '-' && out[10] == 'T' &&
	    out[19] == '.' && out[23] == 'Z' && out[24] == ' ');
	MF_ASSERT_STR_CONTAINS(out, "Z info worker[7]: ruleset abc\n");
	MF_ASSERT_STR_CONTAINS(out, "Z warn worker[7]: redis: down\n");
	MF_ASSERT_STR_CONTAINS(out, "Z debug worker[7]: quiet\n");
	free(out);
	mf_log_init("medflag", "info");
}

MF_TEST(log_json_lines)
{
	char	 path[256], *out;
	int	 saved = s_capture(path, sizeof(path));

	mf_log_init("medflagd", "info");
	MF_ASSERT_EQ(0, mf_log_set_sink("json"));
	mf_log_warnx("a \"quoted\" \\ word\tand a tab");
	MF_ASSERT_EQ(0, mf_log_set_sink("stderr"));
	MF_ASSERT_EQ(-1, mf_log_set_sink("carrier-pigeon"));
	out = s_release(path, saved);
	MF_ASSERT(strncmp(out, "{\"ts\":\"", 7) == 0);
	MF_ASSERT_STR_CONTAINS(out, "Z\",\"level\":\"warn\",\"component\":"
	    "\"medflagd\",\"pid\":");
	/* The tab was escaped before the JSON escaping (log_one_line). */
	MF_ASSERT_STR_CONTAINS(out, ",\"msg\":\"a \\\"quoted\\\" \\\\ word"
	    "\\\\tand a tab\"}\n");
	free(out);
	mf_log_init("medflag", "info");
}

/* A value from a peer (a post id with a newline, bytes that are not
 * UTF-8) cannot start a line of its own or break the line's encoding. */
MF_TEST(log_one_line)
{
	char	 path[256], *out;
	int	 saved = s_capture(path, sizeof(path));

	mf_log_init("worker[1]", "info");
	MF_ASSERT_EQ(0, mf_log_set_sink("stderr"));
	mf_log_info("post %s: body: missing",
	    "p-1\nFORGED worker[2]: x\xff\x01");
	mf_log_info("caf\xc3\xa9 ok");
	out = s_release(path, saved);
	MF_ASSERT_STR_CONTAINS(out, "info worker[1]: post p-1\\nFORGED "
	    "worker[2]: x\\xff\\x01: body: missing\n");
	MF_ASSERT(strstr(out, "\nFORGED") == NULL);
	MF_ASSERT_STR_CONTAINS(out, "info worker[1]: caf\xc3\xa9 ok\n");
	free(out);
	mf_log_init("medflag", "info");
}

MF_TEST(log_rated_counts_what_it_held_back)
{
	char		 path[256], *out;
	int		 saved = s_capture(path, sizeof(path));
	mf_lograte_t	 r = MF_LOGRATE_INIT(2, 1);

	mf_log_init("medflagd", "info");
	for (int i = 0; i < 7; i++)
		mf_log_rated(&r, MF_LOG_WARN, "bad message %d", i);
	mf_log_rated_tick(&r);		/* the window is not over: nothing */
	usleep(1100 * 1000);
	mf_log_rated_tick(&r);		/* over, and no line came: report */
	mf_log_rated_tick(&r);		/* once */
	mf_log_rated(&r, MF_LOG_WARN, "bad message %d", 7);
	out = s_release(path, saved);
	MF_ASSERT_STR_CONTAINS(out, "warn medflagd: bad message 0\n");
	MF_ASSERT_STR_CONTAINS(out, "warn medflagd: bad message 1\n");
	MF_ASSERT(strstr(out, "bad message 2") == NULL);
	MF_ASSERT_STR_CONTAINS(out, "warn medflagd: (5 more such messages "
	    "held back in 1s)\n");
	MF_ASSERT(strstr(strstr(out, "held back") + 1, "held back") == NULL);
	MF_ASSERT_STR_CONTAINS(out, "warn medflagd: bad message 7\n");
	free(out);
	mf_log_init("medflag", "info");
}
