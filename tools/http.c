/*
 * http.c - `medflag http`: the HTTP gateway, for forums whose software
 * speaks HTTP and not ZeroMQ (a Discourse or MediaWiki hook, a script).
 *
 *   medflag http [--listen HOST:PORT] [--timeout MS]
 *
 *   POST /v1/check      a post as JSON (docs/protocol.md) -> its verdict
 *   POST /v1/feedback   a moderator's outcome as JSON -> 204
 *   GET  /metrics       stats in the Prometheus text format
 *   GET  /healthz       medflagd's health; 200, or 503 when not healthy
 *
 * A client of medflagd like the other subcommands (the check and control
 * endpoints, CURVE keys of the configuration), with libmicrohttpd serving
 * each connection in a thread of its own, each request on its own
 * sockets. Errors are JSON {"error": "..."} naming the field or the cause;
 * a body over 1 MiB is refused (413). Loopback by default: put a reverse
 * proxy with TLS in front to serve other hosts. Never logs post text.
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <zmq.h>

#include "client.h"
#include "proto.h"
#include "store.h"
#include "wire.h"

#define S_BODY_MAX	(1u << 20)

typedef struct s_gw {
	mf_config_t	 cfg;
	int		 timeout_ms;
} s_gw_t;

/* One request's body, gathered over the upload calls. */
typedef struct s_req {
	char	*body;
	size_t	 len;
	int	 too_big;
} s_req_t;

static enum MHD_Result
s_send(struct MHD_Connection *c, unsigned status, const char *type,
    const char *data, size_t len)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* {"error": why} with 'status'. */
static enum MHD_Result
s_error(struct MHD_Connection *c, unsigned status, const char *why)
{
	mf_buf_t		out = {0};
	enum MHD_Result		rc;

	if (mf_buf_puts(&out, "{\"error\":") != 0 ||
	    mf_json_str(&out, why, strlen(why)) != 0 ||
	    mf_buf_puts(&out, "}\n") != 0) {
		mf_buf_free(&out);
		return MHD_NO;
	}
	rc = s_send(c, status, "application/json", out.data, out.len);
	mf_buf_free(&out);
	return rc;
}

/* POST /v1/check: the post through medflagd's check endpoint. */
static enum MHD_Result
s_check(const s_gw_t *gw, struct MHD_Connection *c, const s_req_t *rq)
{
	mf_err_t		 err = {0};
	mf_post_t		*post;
	mf_buf_t		 mp = {0}, out = {0};
	void			*sock;
	zmq_pollitem_t		 it;
	mf_frames_t		 f;
	msgpack_unpacked	 u;
	enum MHD_Result		 rc;
	char			 why[600];

	if ((post = mf_wire_decode_post_json(rq->body ? rq->body : "",
	    rq->len, &err)) == NULL)
		return s_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	if (mf_wire_encode_post(post, &mp, &err) != 0) {
		mf_post_destroy(&post);
		return s_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	}
	mf_post_destroy(&post);
	if ((sock = mf_client_socket(ZMQ_DEALER, gw->cfg.check)) == NULL) {
		mf_buf_free(&mp);
		return s_error(c, MHD_HTTP_BAD_GATEWAY, "cannot reach medflagd's "
		    "check endpoint");
	}
	it = (zmq_pollitem_t){ sock, 0, ZMQ_POLLIN, 0 };
	if (mf_zsend(sock, "", 0, ZMQ_SNDMORE) != 0 ||
	    mf_zsend(sock, mp.data, mp.len, 0) != (int)mp.len ||
	    zmq_poll(&it, 1, gw->timeout_ms) <= 0) {
		mf_buf_free(&mp);
		zmq_close(sock);
		snprintf(why, sizeof(why), "medflagd did not answer in %d ms",
		    gw->timeout_ms);
		return s_error(c, MHD_HTTP_GATEWAY_TIMEOUT, why);
	}
	mf_buf_free(&mp);
	/* ["", verdict] */
	if (mf_frames_recv(sock, &f, 0) != 0)
		f.n = 0;
	msgpack_unpacked_init(&u);
	if (f.n != 2 || msgpack_unpack_next(&u, f.data[1], f.len[1], NULL) !=
	    MSGPACK_UNPACK_SUCCESS || mf_mp_json(&u.data, &out) != 0)
		rc = s_error(c, MHD_HTTP_BAD_GATEWAY, "medflagd's answer is "
		    "not a verdict");
	else if (mf_buf_puts(&out, "\n") != 0)
		rc = MHD_NO;
	else
		rc = s_send(c, MHD_HTTP_OK, "application/json", out.data,
		    out.len);
	msgpack_unpacked_destroy(&u);
	mf_frames_free(&f);
	zmq_close(sock);
	mf_buf_free(&out);
	return rc;
}

/* POST /v1/feedback: into Redis, as `medflag feedback -` does. */
static enum MHD_Result
s_feedback(const s_gw_t *gw, struct MHD_Connection *c, const s_req_t *rq)
{
	mf_store_t	*st;
	char		 why[600];
	int		 r;

	if ((st = mf_store_connect(&gw->cfg, gw->cfg.redis_timeout_ms > 1000 ?
	    gw->cfg.redis_timeout_ms : 2000, why, sizeof(why))) == NULL)
		return s_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	r = mf_feedback_record(st, rq->body ? rq->body : "", rq->len, why,
	    sizeof(why));
	mf_store_destroy(&st);
	if (r > 0)
		return s_error(c, MHD_HTTP_BAD_REQUEST, why);
	if (r < 0)
		return s_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	return s_send(c, MHD_HTTP_NO_CONTENT, NULL, "", 0);
}

/* GET /metrics and /healthz: a control request. */
static enum MHD_Result
s_control(const s_gw_t *gw, struct MHD_Connection *c, int metrics)
{
	msgpack_unpacked	 reply;
	enum MHD_Result		 rc;

	if (mf_client_control(&gw->cfg, metrics ? "stats" : "health", NULL, 0,
	    gw->timeout_ms, &reply) != 0) {
		msgpack_unpacked_destroy(&reply);
		return s_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "medflagd did "
		    "not answer on its control endpoint");
	}
	if (metrics) {
		char	*text = NULL;
		size_t	 len = 0;
		FILE	*fp = open_memstream(&text, &len);

		if (fp == NULL)
			rc = MHD_NO;
		else {
			mf_stats_prometheus(&reply.data, fp);
			fclose(fp);
			rc = s_send(c, MHD_HTTP_OK, "text/plain; version=0.0.4",
			    text, len);
		}
		free(text);
	} else {
		mf_buf_t	out = {0};

		if (mf_mp_json(&reply.data, &out) != 0 ||
		    mf_buf_puts(&out, "\n") != 0)
			rc = MHD_NO;
		else
			rc = s_send(c, mf_mp_int(&reply.data, "ok", 0) == 1 ?
			    MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			    "application/json", out.data, out.len);
		mf_buf_free(&out);
	}
	msgpack_unpacked_destroy(&reply);
	return rc;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **con_cls)
{
	const s_gw_t	*gw = cls;
	s_req_t		*rq = *con_cls;
	int		 post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	(void)version;
	if (rq == NULL) {		/* headers only, so far */
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*size > 0) {		/* a piece of the body */
		if (!rq->too_big && rq->len + *size <= S_BODY_MAX) {
			char	*b = realloc(rq->body, rq->len + *size + 1);

			if (b == NULL)
				return MHD_NO;
			memcpy(b + rq->len, data, *size);
			rq->body = b;
			rq->len += *size;
			b[rq->len] = '\0';
		} else
			rq->too_big = 1;
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/v1/check") == 0 || strcmp(url, "/v1/feedback") ==
	    0) {
		if (!post)
			return s_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST "
			    "with a JSON body");
		if (rq->too_big)
			return s_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body "
			    "is over 1 MiB");
		return url[4] == 'c' ? s_check(gw, c, rq) :
		    s_feedback(gw, c, rq);
	}
	if (strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
			return s_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
		return s_control(gw, c, url[1] == 'm');
	}
	return s_error(c, MHD_HTTP_NOT_FOUND, "no such path; there are POST "
	    "/v1/check, POST /v1/feedback, GET /metrics, GET /healthz");
}

static void
s_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	s_req_t	*rq = *con_cls;

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
mf_cmd_http(int argc, char **argv, const mf_cli_t *cli)
{
	s_gw_t			 gw = { .timeout_ms = 10000 };
	const char		*listen = "127.0.0.1:7780";
	struct sockaddr_in	 sa;
	struct MHD_Daemon	*d;
	char			 host[64], *colon, *end;
	long			 port;
	void			*probe;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			gw.timeout_ms = (int)strtol(argv[++i], &end, 10);
			if (*end != '\0' || gw.timeout_ms < 10 ||
			    gw.timeout_ms > 600000) {
				fprintf(stderr, "medflag http: --timeout %s: "
				    "give milliseconds, 10 to 600000\n",
				    argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: medflag http [--listen "
			    "HOST:PORT] [--timeout MS]\n");
			return 2;
		}
	}
	snprintf(host, sizeof(host), "%s", listen);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if ((colon = strrchr(host, ':')) == NULL ||
	    (*colon = '\0', port = strtol(colon + 1, &end, 10), *end != '\0') ||
	    port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "medflag http: --listen %s: give an IPv4 "
		    "address and a port, as 127.0.0.1:7780\n", listen);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	if (mf_client_config(cli, &gw.cfg) == -1)
		return 1;
	/* The context and the CURVE keys, made once before the threads. */
	if ((probe = mf_client_socket(ZMQ_DEALER, gw.cfg.check)) == NULL)
		return 1;
	zmq_close(probe);
	mf_client_catch_signals();
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    s_handle, &gw, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "medflag http: cannot listen on %s: %s\n",
		    listen, strerror(errno));
		mf_client_term();
		return 1;
	}
	fprintf(stderr, "medflag http: listening on http://%s (check %s, "
	    "control %s)\n", listen, gw.cfg.check, gw.cfg.control);
	while (!mf_client_stop) {
		struct timespec	ts = { 0, 100000000L };

		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	mf_client_term();
	fprintf(stderr, "medflag http: stopped\n");
	return 0;
}
