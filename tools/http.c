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
 * a body over 1 MiB is refused (413; for a post, with the error verdict
 * medflagd gives one). Loopback by default: put a reverse
 * proxy with TLS in front to serve other hosts. Never logs post text.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <zmq.h>

#include "client.h"
#include "httpd.h"
#include "log.h"
#include "store.h"
#include "wire.h"

typedef struct s_gw {
	mf_config_t	 cfg;
	int		 timeout_ms;
	mf_teacher_t	*teacher;	/* feedback with text teaches */
} s_gw_t;

/* 413 and the error verdict medflagd gives a post over 1 MiB (with
 * "error", as every error answer here). */
static enum MHD_Result
s_too_big(struct MHD_Connection *c, const char *post_id)
{
	mf_verdict_t	*v = mf_cli_too_big(post_id);
	mf_buf_t	 out = {0};
	mf_err_t	 err;
	enum MHD_Result	 rc;

	if (v == NULL || mf_wire_encode_verdict_json(v, &out, &err) != 0 ||
	    mf_buf_puts(&out, "\n") != 0)
		rc = mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    MF_WIRE_TOO_BIG);
	else
		rc = mf_httpd_send(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "application/json", out.data, out.len);
	mf_verdict_destroy(&v);
	mf_buf_free(&out);
	return rc;
}

/* POST /v1/check: the post through medflagd's check endpoint. */
static enum MHD_Result
s_check(const s_gw_t *gw, struct MHD_Connection *c,
    const mf_httpd_req_t *rq)
{
	mf_err_t		 err = {0};
	mf_post_t		*post;
	mf_buf_t		 mp = {0}, v = {0}, out = {0};
	msgpack_unpacked	 u;
	enum MHD_Result		 rc;
	char			 why[600];

	if (rq->too_big || rq->len > MF_WIRE_MAX_MSG)
		return s_too_big(c, NULL);
	if ((post = mf_wire_decode_post_json(rq->body ? rq->body : "",
	    rq->len, &err)) == NULL)
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	if (mf_wire_encode_post(post, &mp, &err) != 0) {
		mf_post_destroy(&post);
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	}
	if (mp.len > MF_WIRE_MAX_MSG) {
		rc = s_too_big(c, post->post_id);
		mf_post_destroy(&post);
		mf_buf_free(&mp);
		return rc;
	}
	mf_post_destroy(&post);
	if (mf_client_check_one(gw->cfg.check, mp.data, mp.len,
	    gw->timeout_ms, &v, why, sizeof(why)) != 0) {
		mf_buf_free(&mp);
		mf_buf_free(&v);
		return mf_httpd_error(c, MHD_HTTP_GATEWAY_TIMEOUT, why);
	}
	mf_buf_free(&mp);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, v.data, v.len, NULL) !=
	    MSGPACK_UNPACK_SUCCESS || mf_mp_json(&u.data, &out) != 0)
		rc = mf_httpd_error(c, MHD_HTTP_BAD_GATEWAY, "medflagd's "
		    "answer is not a verdict");
	else if (mf_buf_puts(&out, "\n") != 0)
		rc = MHD_NO;
	else
		rc = mf_httpd_send(c, MHD_HTTP_OK, "application/json",
		    out.data, out.len);
	msgpack_unpacked_destroy(&u);
	mf_buf_free(&v);
	mf_buf_free(&out);
	return rc;
}

/* POST /v1/feedback: into Redis, as `medflag feedback -` does. */
static enum MHD_Result
s_feedback(const s_gw_t *gw, struct MHD_Connection *c,
    const mf_httpd_req_t *rq)
{
	mf_store_t	*st;
	char		 why[600];
	int		 r;

	if ((st = mf_store_connect(&gw->cfg, gw->cfg.redis_timeout_ms > 1000 ?
	    gw->cfg.redis_timeout_ms : 2000, why, sizeof(why))) == NULL)
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	r = mf_feedback_record(&gw->cfg, st, gw->teacher, rq->body ?
	    rq->body : "", rq->len, why, sizeof(why));
	mf_store_destroy(&st);
	if (r > 0)
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, why);
	if (r < 0)
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	return mf_httpd_send(c, MHD_HTTP_NO_CONTENT, NULL, "", 0);
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
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "medflagd did "
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
			rc = mf_httpd_send(c, MHD_HTTP_OK, "text/plain; version=0.0.4",
			    text, len);
		}
		free(text);
	} else {
		mf_buf_t	out = {0};

		if (mf_mp_json(&reply.data, &out) != 0 ||
		    mf_buf_puts(&out, "\n") != 0)
			rc = MHD_NO;
		else
			rc = mf_httpd_send(c, mf_mp_int(&reply.data, "ok", 0) == 1 ?
			    MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			    "application/json", out.data, out.len);
		mf_buf_free(&out);
	}
	msgpack_unpacked_destroy(&reply);
	return rc;
}

static enum MHD_Result
s_handle(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const mf_httpd_req_t *rq)
{
	const s_gw_t	*gw = arg;

	if (strcmp(url, "/v1/check") == 0 || strcmp(url, "/v1/feedback") ==
	    0) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return mf_httpd_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use POST with a JSON body");
		if (rq->too_big && url[4] != 'c')
			return mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "the body is over 1 MiB");
		return url[4] == 'c' ? s_check(gw, c, rq) :
		    s_feedback(gw, c, rq);
	}
	if (strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
			return mf_httpd_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use GET");
		return s_control(gw, c, url[1] == 'm');
	}
	return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "no such path; there are "
	    "POST /v1/check, POST /v1/feedback, GET /metrics, GET /healthz");
}

int
mf_cmd_http(int argc, char **argv, const mf_cli_t *cli)
{
	s_gw_t			 gw = { .timeout_ms = 10000 };
	const char		*listen = "127.0.0.1:7780";
	char			 banner[600];
	void			*probe;
	int			 rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (mf_cli_ms("medflag http", argv[i], argv[i + 1],
			    &gw.timeout_ms) != 0)
				return 2;
			i++;
		} else {
			fprintf(stderr, "usage: medflag http [--listen "
			    "HOST:PORT] [--timeout MS]\n");
			return 2;
		}
	}
	if (mf_client_config(cli, &gw.cfg) == -1)
		return 1;
	mf_log_init("medflag-http", gw.cfg.log_level);
	(void)mf_log_set_sink(gw.cfg.log);
	/* The context and the CURVE keys, made once before the threads. */
	if ((probe = mf_client_socket(ZMQ_DEALER, gw.cfg.check)) == NULL)
		return 1;
	zmq_close(probe);
	mf_client_catch_signals();
	snprintf(banner, sizeof(banner), "(check %s, control %s)",
	    gw.cfg.check, gw.cfg.control);
	if ((gw.teacher = mf_teacher_new(gw.cfg.rules)) == NULL)
		return 1;
	rc = mf_httpd_run("medflag http", "--listen", listen, s_handle, &gw,
	    banner);
	mf_teacher_destroy(&gw.teacher);
	mf_client_term();
	if (rc != 0)
		return rc;
	mf_log_info("stopped");
	return 0;
}
