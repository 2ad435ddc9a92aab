/*
 * log.h - logging for medflagd, medflag-worker and the tools.
 *
 * Lines go to stderr as "prog: message" (prog may carry an index, as in
 * "worker[3]"). Levels debug, info, warn (adds strerror(errno)), warnx,
 * fatal/fatalx (log and exit 1). Never log post text or author data.
 * Per-post messages go through a rate limiter that reports how many were
 * suppressed.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LOG_H
#define MF_LOG_H

#include <stdint.h>

enum { MF_LOG_DEBUG = 0, MF_LOG_INFO = 1, MF_LOG_WARN = 2 };

/* 'prog' is copied; 'level' is one of "debug", "info", "warn" (NULL:
 * info). */
void	mf_log_init(const char *prog, const char *level);
void	mf_log_set_level(const char *level);
const char *mf_log_prog(void);
void	mf_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	mf_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	mf_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	mf_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	mf_log_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	mf_log_fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A rate limiter for messages that can repeat per post: at most 'burst'
 * lines per 'window_s' seconds; when a window ends with suppressed lines,
 * the next line is followed by "(repeated N times in Ws)".
 */
typedef struct mf_lograte {
	int		burst, window_s;
	int64_t		window_start;	/* monotonic ms */
	int		used;
	uint64_t	suppressed;
} mf_lograte_t;

#define MF_LOGRATE_INIT(burst, window)	{ (burst), (window), 0, 0, 0 }

/* Logs at 'level' unless the limiter says no. */
void	mf_log_rated(mf_lograte_t *r, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Monotonic clock helpers shared by the daemons. */
int64_t	mf_now_ms(void);
int64_t	mf_now_us(void);

#endif
