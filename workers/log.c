/*
 * log.c - stderr logging with levels and a per-message rate limiter.
 *
 * Lines go to stderr (plain or JSON), to syslog or to journald, as the
 * configuration's 'log' says; each names its time, level and component.
 * SPDX-License-Identifier: MIT
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "normalize.h"

enum { S_STDERR, S_SYSLOG, S_JSON, S_JOURNALD };

/* journald's native protocol: one datagram of "FIELD=value\n" lines to
 * its socket ($MEDFLAG_JOURNAL_SOCKET overrides the path, for a
 * container's or a test's journal). */
#define S_JOURNAL_SOCKET	"/run/systemd/journal/socket"
static int			s_jfd = -1;
static struct sockaddr_un	s_jaddr;

static char	s_prog[64] = "medflag";
static char	s_ident[64] = "medflag";	/* syslog's ident */
static int	s_level = MF_LOG_INFO;
static int	s_sink = S_STDERR;

static const char *const s_names[] = { "debug", "info", "warn", "fatal" };
static const int	 s_prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

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
	/* syslog names the program: the workers all as medflag-worker,
	 * with worker[N] kept in the message. */
	snprintf(s_ident, sizeof(s_ident), "%s",
	    strncmp(s_prog, "worker[", 7) == 0 ? "medflag-worker" : s_prog);
	mf_log_set_level(level);
}

int
mf_log_set_sink(const char *sink)
{
	int	was = s_sink;

	if (sink == NULL || strcmp(sink, "stderr") == 0)
		s_sink = S_STDERR;
	else if (strcmp(sink, "json") == 0)
		s_sink = S_JSON;
	else if (strcmp(sink, "syslog") == 0)
		s_sink = S_SYSLOG;
	else if (strcmp(sink, "journald") == 0) {
		const char	*path = getenv("MEDFLAG_JOURNAL_SOCKET");

		if (path == NULL || *path == '\0')
			path = S_JOURNAL_SOCKET;
		if (strlen(path) >= sizeof(s_jaddr.sun_path))
			return -1;
		memset(&s_jaddr, 0, sizeof(s_jaddr));
		s_jaddr.sun_family = AF_UNIX;
		memcpy(s_jaddr.sun_path, path, strlen(path) + 1);
		if (s_jfd == -1)
			s_jfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		s_sink = S_JOURNALD;
	} else
		return -1;
	if (s_sink == S_SYSLOG && was != S_SYSLOG)
		openlog(s_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (s_sink != S_SYSLOG && was == S_SYSLOG)
		closelog();
	return 0;
}

const char *
mf_log_prog(void)
{
	return s_prog;
}

/* "2026-12-03T14:05:06.123Z": UTC, milliseconds. */
static void
s_stamp(char *buf, size_t cap)
{
	struct timeval	tv;
	struct tm	tm;
	size_t		n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
}

/* Appends 's' to 'out' as the inside of a JSON string. */
static size_t
s_json_esc(char *out, size_t cap, size_t n, const char *s)
{
	for (; *s && n + 7 < cap; s++) {
		unsigned char	c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

/*
 * Every message is one line of valid UTF-8, whatever its values hold: a
 * post id, a worker's host name or an error text can come from a peer,
 * and a newline in one would forge a log line of its own. Control
 * characters become \n, \t, \r or \xHH, and so does every byte that is
 * not part of valid UTF-8.
 */
static void
s_escape(char *out, size_t cap, const char *in)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i, n, o = 0, len = strlen(in);

	for (i = 0; i < len; i += n) {
		n = mf_utf8_len(p + i, len - i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			n = 0;
		if (n > 0) {
			if (o + n >= cap)
				break;
			memcpy(out + o, p + i, n);
			o += n;
			continue;
		}
		if (o + 5 >= cap)
			break;
		if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
			out[o++] = '\\';
			out[o++] = p[i] == '\n' ? 'n' : p[i] == '\t' ? 't' :
			    'r';
		} else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x",
			    p[i]);
		n = 1;
	}
	out[o] = '\0';
}

/*
 * One line, written with a single write so lines of several processes
 * sharing stderr do not interleave. Every line names the time, the level
 * and the component (medflagd, worker[3], medflag-http):
 *   stderr  2026-12-03T14:05:06.123Z info medflagd: ready: ...
 *   json    {"ts":"...","level":"info","component":"medflagd","pid":4242,
 *            "msg":"ready: ..."}
 *   syslog  the priority and time are syslog's; "worker[3]: " stays.
 *   journald  PRIORITY, SYSLOG_IDENTIFIER, MEDFLAG_COMPONENT,
 *           MEDFLAG_LEVEL and MESSAGE as for syslog; stderr when the
 *           journal does not take the datagram.
 */
static void
s_vlog(int level, int with_errno, int saved, const char *fmt, va_list ap)
{
	char	raw[1024], msg[1200], line[2400], ts[40];
	size_t	n;

	if (level < s_level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	if (with_errno && n < sizeof(raw) - 2)
		snprintf(raw + n, sizeof(raw) - n, ": %s", strerror(saved));
	s_escape(msg, sizeof(msg), raw);
	if (s_sink == S_SYSLOG) {
		int	is_worker = strcmp(s_ident, s_prog) != 0;

		syslog(s_prio[level], "%s%s%s: %s", is_worker ? s_prog : "",
		    is_worker ? ": " : "", s_names[level], msg);
		return;
	}
	if (s_sink == S_JOURNALD && s_jfd != -1) {
		int	is_worker = strcmp(s_ident, s_prog) != 0;

		/* 'msg' holds no newline (s_escape), so each field is one
		 * line, as the protocol wants. */
		n = (size_t)snprintf(line, sizeof(line), "PRIORITY=%d\n"
		    "SYSLOG_IDENTIFIER=%s\nMEDFLAG_COMPONENT=%s\n"
		    "MEDFLAG_LEVEL=%s\nMESSAGE=%s%s%s: %s\n", s_prio[level],
		    s_ident, s_prog, s_names[level], is_worker ? s_prog : "",
		    is_worker ? ": " : "", s_names[level], msg);
		if (n < sizeof(line) && sendto(s_jfd, line, n, MSG_NOSIGNAL,
		    (struct sockaddr *)&s_jaddr, sizeof(s_jaddr)) ==
		    (ssize_t)n)
			return;
		/* No journal to take it: the line goes to stderr. */
	}
	s_stamp(ts, sizeof(ts));
	if (s_sink == S_JSON) {
		n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"%s\","
		    "\"level\":\"%s\",\"component\":\"", ts, s_names[level]);
		n = s_json_esc(line, sizeof(line) - 40, n, s_prog);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"pid\":"
		    "%ld,\"msg\":\"", (long)getpid());
		n = s_json_esc(line, sizeof(line) - 4, n, msg);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	} else {
		n = (size_t)snprintf(line, sizeof(line), "%s %s %s: %s\n", ts,
		    s_names[level], s_prog, msg);
		if (n >= sizeof(line)) {
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
	}
	(void)!write(STDERR_FILENO, line, n);
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

/* Reports what 'r' held back in the window that ended (or now, for a
 * window that ended with nothing after it). */
static void
s_rated_report(mf_lograte_t *r, int level, int64_t now)
{
	uint64_t	sup = r->suppressed;
	long long	secs = (now - r->window_start + 500) / 1000;

	r->suppressed = 0;
	if (sup == 0)
		return;
	if (level == MF_LOG_WARN)
		mf_log_warnx("(%llu more such message%s held back in %llds)",
		    (unsigned long long)sup, sup == 1 ? "" : "s", secs);
	else
		mf_log_info("(%llu more such message%s held back in %llds)",
		    (unsigned long long)sup, sup == 1 ? "" : "s", secs);
}

void
mf_log_rated(mf_lograte_t *r, int level, const char *fmt, ...)
{
	int64_t	now = mf_now_ms();
	va_list	ap;
	char	msg[768];

	if (now - r->window_start >= (int64_t)r->window_s * 1000) {
		s_rated_report(r, level == MF_LOG_WARN ? MF_LOG_WARN :
		    MF_LOG_INFO, now);
		r->window_start = now;
		r->used = 0;
	}
	if (r->used >= r->burst) {
		r->suppressed++;
		r->level = level;
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

void
mf_log_rated_tick(mf_lograte_t *r)
{
	int64_t	now;

	if (r->suppressed == 0)
		return;
	now = mf_now_ms();
	if (now - r->window_start < (int64_t)r->window_s * 1000)
		return;
	s_rated_report(r, r->level == MF_LOG_WARN ? MF_LOG_WARN :
	    MF_LOG_INFO, now);
	r->window_start = now;
	r->used = 0;
}

void
mf_log_diags(const mf_diags_t *d)
{
	static const char *const sev[] = { "error", "warning", "note" };

	for (size_t i = 0; i < d->n; i++) {
		const mf_diag_t	*x = &d->v[i];

		mf_log_warnx("%s%s%s: %s%s%s", x->where, x->where[0] ? ": " :
		    "", sev[x->severity], x->msg, x->hint[0] ? "; hint: " : "",
		    x->hint);
	}
}
