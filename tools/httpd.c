/*
 * httpd.c - the libmicrohttpd daemon behind `medflag http` and `medflag
 * discourse` (see httpd.h).
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "httpd.h"
#include "log.h"

typedef struct s_srv {
	mf_httpd_fn		*fn;
	void			*arg;
	const char *const	*paths;
} s_srv_t;

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
	for (size_t i = 0; hdr != NULL && hdr[i] != NULL; i += 2)
		MHD_add_response_header(r, hdr[i], hdr[i + 1]);
	rc = MHD_queue_response(c, status, r);
	s_status = status;
	s_bytes = len;
	MHD_destroy_response(r);
	return rc;
}

/* {"error": why} with the extra headers 'hdr' (name, value, ..., NULL). */
static enum MHD_Result
s_error_h(struct MHD_Connection *c, unsigned status, const char *why,
    const char *const *hdr)
{
	mf_buf_t		out = {0};
	enum MHD_Result		rc;

	if (mf_buf_puts(&out, "{\"error\":") != 0 ||
	    mf_json_str(&out, why, strlen(why)) != 0 ||
	    mf_buf_puts(&out, "}\n") != 0) {
		mf_buf_free(&out);
		return MHD_NO;
	}
	rc = mf_httpd_send_h(c, status, "application/json", out.data,
	    out.len, hdr);
	mf_buf_free(&out);
	return rc;
}

enum MHD_Result
mf_httpd_error(struct MHD_Connection *c, unsigned status, const char *why)
{
	return s_error_h(c, status, why, NULL);
}

enum MHD_Result
mf_httpd_not_allowed(struct MHD_Connection *c, const char *allow)
{
	const char	*hdr[] = { "Allow", allow, NULL };
	char		 why[128];

	snprintf(why, sizeof(why), "method not allowed; use %s", allow);
	return s_error_h(c, MHD_HTTP_METHOD_NOT_ALLOWED, why, hdr);
}

/* One access log line. The method only when it is a word of letters (at
 * most 16), the path only when it is one the server knows. */
static void
s_access(const s_srv_t *srv, struct MHD_Connection *c, const char *url,
    const char *method, const struct timespec *t0)
{
	const union MHD_ConnectionInfo	*ci;
	struct timespec			 t1;
	char				 addr[64] = "-", m[17] = "-";
	const char			*path = "-";
	size_t				 n = strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	long				 ms;

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
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) /
	    1000000;
	mf_log_info("access: %s \"%s %s\" %u %zu %ld ms", addr, m, path,
	    s_status, s_bytes, ms);
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
		*con_cls = rq;
		return MHD_YES;
	}
	if (*size > 0) {		/* a piece of the body */
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
		struct timespec	t0;
		enum MHD_Result	rc;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		s_status = 0;
		s_bytes = 0;
		rc = srv->fn(srv->arg, c, url, method, rq);
		s_access(srv, c, url, method, &t0);
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

int
mf_httpd_run(const char *prog, const char *what, const char *listen,
    mf_httpd_fn *fn, void *arg, const char *banner, const char *const *paths)
{
	s_srv_t			 srv = { fn, arg, paths };
	struct sockaddr_in	 sa;
	struct MHD_Daemon	*d;

	if (mf_httpd_addr(prog, what, listen, &sa) != 0)
		return 2;
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    s_handle, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	if (d == NULL) {
		mf_log_warn("cannot listen on %s", listen);
		return 1;
	}
	mf_log_info("listening on http://%s %s", listen, banner);
	while (!mf_client_stop) {
		struct timespec	ts = { 0, 100000000L };

		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	return 0;
}
