/*
 * log.c - stderr logging with levels and a per-message rate limiter.
 *
 * Not responsible for syslog: medflagd runs in the foreground under a
 * service manager that collects stderr.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static char	s_prog[64] = "medflag";
static int	s_level = MF_LOG_INFO;

void
mf_log_set_level(const char *level)
{
	if (level == NULL || strcmp(level, "info") == 0)
		s_level = MF_LOG_INFO;
	else if (strcmp(level, "debug") == 0)
		s_level = MF_LOG_DEBUG;
	else if (strcmp(level, "warn") == 0)
		s_level = MF_LOG_WARN;
}

void
mf_log_init(const char *prog, const char *level)
{
	snprintf(s_prog, sizeof(s_prog), "%s", prog ? prog : "medflag");
	mf_log_set_level(level);
}

const char *
mf_log_prog(void)
{
	return s_prog;
}

/* One line, written with a single fputs so lines of several processes
 * sharing stderr do not interleave. */
static void
s_vlog(int level, int with_errno, int saved, const char *fmt, va_list ap)
{
	char	line[1024];
	int	n;

	if (level < s_level)
		return;
	n = snprintf(line, sizeof(line), "%s: ", s_prog);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	n = (int)strlen(line);
	if (with_errno && (size_t)n < sizeof(line) - 2)
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(saved));
	n = (int)strlen(line);
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
	fflush(stderr);
}

#define S_LOGFN(name, level, with_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	int	saved = errno;						\
	va_list	ap;							\
									\
	va_start(ap, fmt);						\
	s_vlog(level, with_errno, saved, fmt, ap);			\
	va_end(ap);							\
	errno = saved;							\
}

S_LOGFN(mf_log_debug, MF_LOG_DEBUG, 0)
S_LOGFN(mf_log_info, MF_LOG_INFO, 0)
S_LOGFN(mf_log_warn, MF_LOG_WARN, 1)
S_LOGFN(mf_log_warnx, MF_LOG_WARN, 0)

void
mf_log_fatal(const char *fmt, ...)
{
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	s_vlog(MF_LOG_WARN + 1, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
mf_log_fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	s_vlog(MF_LOG_WARN + 1, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
mf_log_rated(mf_lograte_t *r, int level, const char *fmt, ...)
{
	int64_t	now = mf_now_ms();
	va_list	ap;
	char	msg[768];

	if (now - r->window_start >= (int64_t)r->window_s * 1000) {
		uint64_t	sup = r->suppressed;

		r->window_start = now;
		r->used = 0;
		r->suppressed = 0;
		if (sup > 0) {
			if (level == MF_LOG_WARN)
				mf_log_warnx("(last message repeated %llu "
				    "times in %ds)", (unsigned long long)sup,
				    r->window_s);
			else
				mf_log_info("(last message repeated %llu "
				    "times in %ds)", (unsigned long long)sup,
				    r->window_s);
		}
	}
	if (r->used >= r->burst) {
		r->suppressed++;
		return;
	}
	r->used++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level == MF_LOG_WARN)
		mf_log_warnx("%s", msg);
	else if (level == MF_LOG_INFO)
		mf_log_info("%s", msg);
	else
		mf_log_debug("%s", msg);
}

int64_t
mf_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mf_now_ms(void)
{
	return mf_now_us() / 1000;
}
