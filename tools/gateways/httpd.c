/*
 * httpd.c - the libmicrohttpd daemon behind `medflag http` and `medflag
 * discourse` (see httpd.h).
 * SPDX-License-Identifier: MIT
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "httpd.h"
#include "log.h"

typedef struct s_srv {
	mf_httpd_fn		*fn;
	void			*arg;
	const char *const	*paths;
	int64_t			 body_ms;
} s_srv_t;

/*
 * The gate: connections are accepted here, not by libmicrohttpd, and
 * handed to it only once their whole header has arrived (peeked, so
 * libmicrohttpd reads it from the socket as usual). A connection whose
 * header is not complete 'header_ms' after it was accepted is closed,
 * however many bytes it trickles meanwhile: libmicrohttpd's own timeout
 * is an idle one, which a header line every few seconds resets for ever
 * (slowloris). One thread polls every waiting connection, so waiting
 * ones hold no thread; a client address may hold 'per_client' of them,
 * and when MF_HTTPD_WAITING wait at once the oldest gives way.
 */
#define MF_HTTPD_WAITING	1024
#define MF_HTTPD_HEADER_MAX	16384

typedef struct s_waiting {
	int			fd;
	struct sockaddr_in	addr;
	int64_t			deadline_ms;
} s_waiting_t;

typedef struct s_gate {
	struct MHD_Daemon	*d;
	int			 lfd;
	int64_t			 header_ms;
	int			 per_client;
	s_waiting_t		 w[MF_HTTPD_WAITING];
	size_t			 n;
	atomic_int		 stop;
	/* connections cut since the last report, by cause */
	unsigned long		 cut_deadline, cut_client, cut_big, cut_full;
	int64_t			 next_report_ms;
} s_gate_t;

/* The answer queued by this thread's request, for the access log: one
 * thread per connection (MHD_USE_THREAD_PER_CONNECTION), one request at
 * a time on it. */
static _Thread_local unsigned	s_status;
static _Thread_local size_t	s_bytes;

enum MHD_Result
mf_httpd_send(struct MHD_Connection *c, unsigned status, const char *type,
    const char *data, size_t len)
{
	return mf_httpd_send_h(c, status, type, data, len, NULL);
}

enum MHD_Result
mf_httpd_send_h(struct MHD_Connection *c, unsigned status, const char *type,
    const char *data, size_t len, const char *const *hdr)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	/* One request per connection, so every request passes the gate
	 * and its header deadline (a kept-alive connection would not). */
	MHD_add_response_header(r, "Connection", "close");
	for (size_t i = 0; hdr != NULL && hdr[i] != NULL; i += 2)
		MHD_add_response_header(r, hdr[i], hdr[i + 1]);
	rc = MHD_queue_response(c, status, r);
	s_status = status;
	s_bytes = len;
	MHD_destroy_response(r);
	return rc;
}

/* What a reply says when its JSON cannot be made: written out here, as
 * there is no memory to build it with. */
static const char	s_oom[] = "{\"error\":\"out of memory\"}\n";

static int
s_dump_cb(const char *buffer, size_t size, void *data)
{
	return mf_buf_append(data, buffer, size);
}

int
mf_httpd_dump(json_t *j, mf_buf_t *out)
{
	size_t	at = out->len;
	int	rc = -1;

	if (j != NULL && json_dump_callback(j, s_dump_cb, out,
	    JSON_COMPACT) == 0)
		rc = 0;
	else if (out->data != NULL) {
		out->len = at;
		out->data[at] = '\0';
	}
	json_decref(j);
	return rc;
}

enum MHD_Result
mf_httpd_send_json_h(struct MHD_Connection *c, unsigned status, json_t *j,
    const char *const *hdr)
{
	mf_buf_t	out = {0};
	enum MHD_Result	rc;

	if (mf_httpd_dump(j, &out) == 0 && mf_buf_puts(&out, "\n") == 0)
		rc = mf_httpd_send_h(c, status, "application/json", out.data,
		    out.len, hdr);
	else
		rc = mf_httpd_send_h(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "application/json", s_oom, sizeof(s_oom) - 1, hdr);
	mf_buf_free(&out);
	return rc;
}

enum MHD_Result
mf_httpd_send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	return mf_httpd_send_json_h(c, status, j, NULL);
}

json_t *
mf_httpd_string(const char *s)
{
	return s != NULL ? mf__json_string(s, strlen(s)) : json_string("");
}

json_t *
mf_httpd_set(json_t *o, const char *key, json_t *v)
{
	/* jansson frees 'v' when it cannot take it, 'o' NULL included. */
	if (json_object_set_new(o, key, v) == 0)
		return o;
	json_decref(o);
	return NULL;
}

json_t *
mf_httpd_append(json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) == 0)
		return a;
	json_decref(a);
	return NULL;
}

enum MHD_Result
mf_httpd_error_h(struct MHD_Connection *c, unsigned status, const char *why,
    const char *const *hdr)
{
	return mf_httpd_send_json_h(c, status, mf_httpd_set(json_object(),
	    "error", mf_httpd_string(why)), hdr);
}

enum MHD_Result
mf_httpd_error(struct MHD_Connection *c, unsigned status, const char *why)
{
	return mf_httpd_error_h(c, status, why, NULL);
}

enum MHD_Result
mf_httpd_not_allowed(struct MHD_Connection *c, const char *allow)
{
	const char	*hdr[] = { "Allow", allow, NULL };
	char		 why[128];

	snprintf(why, sizeof(why), "method not allowed; use %s", allow);
	return mf_httpd_error_h(c, MHD_HTTP_METHOD_NOT_ALLOWED, why, hdr);
}

/* One access log line. The method only when it is a word of letters (at
 * most 16), the path only when it is one the server knows. */
static void
s_access(const s_srv_t *srv, struct MHD_Connection *c, const char *url,
    const char *method, int64_t t0_ms)
{
	const union MHD_ConnectionInfo	*ci;
	char				 addr[64] = "-", m[17] = "-";
	const char			*path = "-";
	size_t				 n = strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL &&
	    ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    ci->client_addr)->sin_addr, addr, sizeof(addr));
	if (n > 0 && n < sizeof(m) && method[n] == '\0')
		memcpy(m, method, n + 1);
	for (size_t i = 0; srv->paths != NULL && srv->paths[i]; i++)
		if (strcmp(url, srv->paths[i]) == 0)
			path = srv->paths[i];
	mf_log_info("access: %s \"%s %s\" %u %zu %lld ms", addr, m, path,
	    s_status, s_bytes, (long long)(mf_now_ms() - t0_ms));
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **con_cls)
{
	const s_srv_t	*srv = cls;
	mf_httpd_req_t	*rq = *con_cls;

	(void)version;
	if (rq == NULL) {		/* headers only, so far */
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->deadline_ms = mf_now_ms() + srv->body_ms;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*size > 0) {		/* a piece of the body */
		/* The body's deadline counts from the end of the header;
		 * trickled pieces do not extend it. */
		if (mf_now_ms() > rq->deadline_ms)
			return MHD_NO;
		if (!rq->too_big && rq->len + *size <= MF_HTTPD_BODY_MAX) {
			char	*b = realloc(rq->body, rq->len + *size + 1);

			if (b == NULL)
				return MHD_NO;
			memcpy(b + rq->len, data, *size);
			rq->body = b;
			rq->len += *size;
			b[rq->len] = '\0';
		} else {
			free(rq->body);
			rq->body = NULL;
			rq->len = 0;
			rq->too_big = 1;
		}
		*size = 0;
		return MHD_YES;
	}
	{
		int64_t		t0 = mf_now_ms();
		enum MHD_Result	rc;

		s_status = 0;
		s_bytes = 0;
		rc = srv->fn(srv->arg, c, url, method, rq);
		s_access(srv, c, url, method, t0);
		return rc;
	}
}

static void
s_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	mf_httpd_req_t	*rq = *con_cls;

	(void)cls;
	(void)c;
	(void)why;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

int
mf_httpd_addr(const char *prog, const char *what, const char *listen,
    struct sockaddr_in *sa)
{
	char	 host[64], *colon, *end;
	long	 port;

	snprintf(host, sizeof(host), "%s", listen);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if ((colon = strrchr(host, ':')) == NULL ||
	    (*colon = '\0', port = strtol(colon + 1, &end, 10), *end != '\0') ||
	    port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "%s: %s %s: give an IPv4 address and a port, "
		    "as 127.0.0.1:7780\n", prog, what, listen);	/* usage */
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/* Answers 'status' on a connection libmicrohttpd never saw, best
 * effort (the socket is non-blocking; a full buffer loses the answer,
 * the close still tells). */
static void
s_refuse(int fd, const char *status)
{
	char	msg[160];
	int	n;

	n = snprintf(msg, sizeof(msg), "HTTP/1.1 %s\r\nConnection: close\r\n"
	    "Content-Length: 0\r\n\r\n", status);
	(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
s_gate_drop(s_gate_t *g, size_t i, const char *status)
{
	if (status != NULL)
		s_refuse(g->w[i].fd, status);
	else
		close(g->w[i].fd);
	g->w[i] = g->w[--g->n];
}

/* Takes every connection waiting on the listening socket. */
static void
s_gate_accept(s_gate_t *g)
{
	for (;;) {
		struct sockaddr_in	 a;
		socklen_t		 alen = sizeof(a);
		int			 fd, same = 0;
		size_t			 i;

		fd = accept4(g->lfd, (struct sockaddr *)&a, &alen,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1)
			return;		/* EAGAIN, or a peer that left */
		for (i = 0; i < g->n; i++)
			same += g->w[i].addr.sin_addr.s_addr ==
			    a.sin_addr.s_addr;
		if (same >= g->per_client) {
			g->cut_client++;
			s_refuse(fd, "429 Too Many Requests");
			continue;
		}
		if (g->n == MF_HTTPD_WAITING) {	/* the oldest gives way */
			size_t	old = 0;

			for (i = 1; i < g->n; i++)
				if (g->w[i].deadline_ms < g->w[old].deadline_ms)
					old = i;
			g->cut_full++;
			s_gate_drop(g, old, "408 Request Timeout");
		}
		g->w[g->n++] = (s_waiting_t){ fd, a,
		    mf_now_ms() + g->header_ms };
	}
}

/* Looks at what connection 'i' has sent: hands it to libmicrohttpd when
 * its header is whole; else waits for more bytes than were seen (the
 * socket's low-water mark, so poll() does not wake for bytes already
 * looked at). */
static void
s_gate_peek(s_gate_t *g, size_t i, short revents)
{
	static _Thread_local char	buf[MF_HTTPD_HEADER_MAX];
	s_waiting_t			*w = &g->w[i];
	ssize_t				 r;
	int				 lowat;

	r = recv(w->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		s_gate_drop(g, i, NULL);
		return;
	}
	if (memmem(buf, (size_t)r, "\r\n\r\n", 4) != NULL ||
	    memmem(buf, (size_t)r, "\n\n", 2) != NULL) {
		int	fl, fd = w->fd;
		struct sockaddr_in a = w->addr;

		lowat = 1;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
		    sizeof(lowat));
		/* libmicrohttpd's thread per connection reads blocking. */
		if ((fl = fcntl(fd, F_GETFL)) != -1)
			(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		g->w[i] = g->w[--g->n];
		/* It owns the socket now, and closes it if it cannot. */
		(void)MHD_add_connection(g->d, fd, (struct sockaddr *)&a,
		    sizeof(a));
		return;
	}
	if ((size_t)r == sizeof(buf)) {
		g->cut_big++;
		s_gate_drop(g, i, "431 Request Header Fields Too Large");
		return;
	}
	if (revents & (POLLRDHUP | POLLHUP | POLLERR)) {
		s_gate_drop(g, i, NULL);	/* left mid-header */
		return;
	}
	lowat = (int)r + 1;
	(void)setsockopt(w->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
	    sizeof(lowat));
}

/* Closes what is past its deadline; the time to the next one, at most
 * 100 ms (so 'stop' is seen). */
static int
s_gate_expire(s_gate_t *g)
{
	int64_t	now = mf_now_ms(), next = now + 100;

	for (size_t i = 0; i < g->n;) {
		if (g->w[i].deadline_ms <= now) {
			g->cut_deadline++;
			s_gate_drop(g, i, "408 Request Timeout");
			continue;
		}
		if (g->w[i].deadline_ms < next)
			next = g->w[i].deadline_ms;
		i++;
	}
	if (now >= g->next_report_ms) {
		if (g->cut_deadline + g->cut_client + g->cut_big + g->cut_full)
			mf_log_warn("http: connections cut in the last minute: "
			    "%lu past the header deadline, %lu over the "
			    "per-client limit, %lu with a header over %d "
			    "bytes, %lu oldest when %d waited",
			    g->cut_deadline, g->cut_client, g->cut_big,
			    MF_HTTPD_HEADER_MAX, g->cut_full,
			    MF_HTTPD_WAITING);
		g->cut_deadline = g->cut_client = g->cut_big = 0;
		g->cut_full = 0;
		g->next_report_ms = now + 60000;
	}
	return (int)(next - now);
}

static void *
s_gate_run(void *arg)
{
	s_gate_t		*g = arg;
	static struct pollfd	 pfd[MF_HTTPD_WAITING + 1];

	while (!atomic_load(&g->stop)) {
		int	timeout = s_gate_expire(g), n;
		size_t	nw = g->n;

		pfd[0] = (struct pollfd){ g->lfd, POLLIN, 0 };
		for (size_t i = 0; i < nw; i++) {
			pfd[i + 1] = (struct pollfd){ g->w[i].fd,
			    POLLIN | POLLRDHUP, 0 };
		}
		n = poll(pfd, nw + 1, timeout);
		if (n <= 0)
			continue;
		/* The list moves as entries leave: find each by its fd. */
		for (size_t i = 0; i < nw; i++) {
			if (pfd[i + 1].revents == 0)
				continue;
			for (size_t j = 0; j < g->n; j++)
				if (g->w[j].fd == pfd[i + 1].fd) {
					s_gate_peek(g, j,
					    pfd[i + 1].revents);
					break;
				}
		}
		if (pfd[0].revents & POLLIN)
			s_gate_accept(g);
	}
	while (g->n > 0)
		s_gate_drop(g, g->n - 1, NULL);
	return NULL;
}

static int
s_listen(const struct sockaddr_in *sa)
{
	int	fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1 ||
	    listen(fd, 512) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
mf_httpd_run(const char *prog, const char *what, const char *listen,
    const struct mf_config *cfg, mf_httpd_fn *fn, void *arg, const char *banner,
    const char *const *paths)
{
	s_srv_t			 srv = { fn, arg, paths,
				    (int64_t)cfg->http_body_timeout_s * 1000 };
	static s_gate_t		 gate;
	struct sockaddr_in	 sa;
	pthread_t		 th;
	int			 rc = 1;

	if (mf_httpd_addr(prog, what, listen, &sa) != 0)
		return 2;
	memset(&gate, 0, sizeof(gate));
	gate.header_ms = (int64_t)cfg->http_header_timeout_s * 1000;
	gate.per_client = cfg->http_per_client;
	gate.next_report_ms = mf_now_ms() + 60000;
	if ((gate.lfd = s_listen(&sa)) == -1) {
		mf_log_warn("cannot listen on %s", listen);
		return 1;
	}
	gate.d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET |
	    MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    s_handle, &srv, MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->http_per_client,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	if (gate.d == NULL) {
		mf_log_warn("cannot start the HTTP server on %s", listen);
		goto out;
	}
	if (pthread_create(&th, NULL, s_gate_run, &gate) != 0) {
		mf_log_warn("cannot start the HTTP server's accept thread");
		goto out;
	}
	mf_log_info("listening on http://%s %s", listen, banner);
	while (!mf_client_stop) {
		struct timespec	ts = { 0, 100000000L };

		nanosleep(&ts, NULL);
	}
	atomic_store(&gate.stop, 1);
	pthread_join(th, NULL);
	rc = 0;
out:
	if (gate.d != NULL)
		MHD_stop_daemon(gate.d);
	close(gate.lfd);
	return rc;
}
