/*
 * log.h - logging for medflagd, medflag-worker and the long-running
 * tools (medflag http, medflag discourse).
 *
 * Every line names its time (UTC, ms), level and component ("medflagd",
 * "worker[3]", "medflag-http"): on stderr as
 *   2026-12-03T14:05:06.123Z info medflagd: ready: 817 rules, ...
 * or as one JSON object per line, or to syslog or journald (configuration
 * key 'log').
 * Levels debug, info, warn (adds strerror(errno)), warnx, fatal/fatalx
 * (log and exit 1). Never log post text or author data. Per-post
 * messages go through a rate limiter that reports how many were held
 * back.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LOG_H
#define MF_LOG_H

#include <stdint.h>

#include "clock.h"	/* mf_now_ms(), mf_now_us() */

enum { MF_LOG_DEBUG = 0, MF_LOG_INFO = 1, MF_LOG_WARN = 2 };

/* 'prog' is copied; 'level' is one of "debug", "info", "warn" (NULL:
 * info). */
void	mf_log_init(const char *prog, const char *level);
void	mf_log_set_level(const char *level);
const char *mf_log_prog(void);
/* Where lines go: "stderr" (the default), "json" (JSON Lines on stderr),
 * "syslog" (facility daemon) or "journald" (its native protocol, fields
 * MEDFLAG_COMPONENT and MEDFLAG_LEVEL too). -1 for another name. */
int	mf_log_set_sink(const char *sink);
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
 * lines per 'window_s' seconds. The lines held back are counted and
 * reported once the window is over, as "(N more such messages held back
 * in Ws)": by the next line, or by mf_log_rated_tick() from a main loop
 * when no line comes.
 */
typedef struct mf_lograte {
	int		burst, window_s;
	int64_t		window_start;	/* monotonic ms */
	int		used;
	uint64_t	suppressed;
	int		level;		/* of the last line held back */
} mf_lograte_t;

#define MF_LOGRATE_INIT(burst, window)	{ (burst), (window), 0, 0, 0, 0 }

/* Logs at 'level' unless the limiter says no. */
void	mf_log_rated(mf_lograte_t *r, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Reports lines held back in a window that has ended. Cheap; call it
 * from a main loop. */
void	mf_log_rated_tick(mf_lograte_t *r);

/* Logs every diagnostic of 'd' at warn, one line each:
 * "FILE:LINE:COL: error: what; hint: what to do". */
struct mf_diags;
void	mf_log_diags(const struct mf_diags *d);

#endif
