/*
 * http.c - `medflag http`: the HTTP gateway, for forums whose software
 * speaks HTTP and not ZeroMQ (a Discourse or MediaWiki hook, a script).
 *
 *   medflag http [--listen HOST:PORT] [--timeout MS]
 *
 *   POST /v1/check      a post as JSON (docs/protocol.md) -> its verdict
 *   POST /v1/feedback   a moderator's outcome as JSON -> 204
 *   GET  /metrics       stats in the Prometheus text format, medflag_up
 *   GET  /healthz       medflagd's health; 200, or 503 when not healthy
 *   /ui/, /v1/stats, /v1/events, /v1/try, /v1/rules...
 *                       the web console (console.c), when the
 *                       configuration says `console on`
 *
 * Access: a token (console_token_file) is checked here, before any
 * handler runs: when one is configured, every console request but the
 * pages themselves and every feedback carry "Authorization: Bearer
 * TOKEN". Without one the console is read-only (feedback refused while
 * it is on) and served on a loopback listen only.
 *
 * /metrics and /healthz (and HEAD on them) answer within a second
 * whatever medflagd does; a wrong method is 405 with Allow.
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
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>
#include <zmq.h>

#include "client.h"
#include "console.h"
#include "httpd.h"
#include "log.h"
#include "store.h"
#include "wire.h"

#define S_TOKEN_MIN	16
#define S_TOKEN_MAX	256

typedef struct s_gw {
	mf_config_t	 cfg;
	mf_client_t	*client;	/* over 'cfg' */
	int		 timeout_ms;
	mf_teacher_t	*teacher;	/* feedback with text teaches */
	mf_console_t	*console;	/* NULL: `console off` */
	char		 token[S_TOKEN_MAX + 1];	/* "": none */
} s_gw_t;

/* Whether the request carries the token: "Authorization: Bearer T",
 * compared in constant time. */
static int
s_token_ok(const s_gw_t *gw, struct MHD_Connection *c)
{
	const char	*h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t		 n = strlen(gw->token);

	return h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
	    strlen(h + 7) == n && sodium_memcmp(h + 7, gw->token, n) == 0;
}

static enum MHD_Result
s_unauthorized(struct MHD_Connection *c)
{
	static const char *const hdr[] = { "WWW-Authenticate",
	    "Bearer realm=\"medflag\"", NULL };

	return mf_httpd_error_h(c, MHD_HTTP_UNAUTHORIZED, "this needs the "
	    "console's token: send Authorization: Bearer TOKEN (the token is "
	    "in the file console_token_file names)", hdr);
}

/* The token of console_token_file into gw->token: one line of 16 to 256
 * printable bytes, in a file only its owner may read. 0, or -1 said. */
static int
s_token_load(s_gw_t *gw)
{
	const char	*path = gw->cfg.console_token_file;
	struct stat	 sb;
	FILE		*fp;
	size_t		 n;

	if (path[0] == '\0')
		return 0;
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &sb) != 0) {
		fprintf(stderr, "medflag http: console_token_file %s: %s\n",
		    path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	n = fread(gw->token, 1, S_TOKEN_MAX, fp);
	fclose(fp);
	gw->token[n] = '\0';
	while (n > 0 && strchr(" \t\r\n", gw->token[n - 1]))
		gw->token[--n] = '\0';
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr, "medflag http: console_token_file %s: others "
		    "may read it\n  hint: chmod 600 %s\n", path, path);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (gw->token[i] <= ' ' || gw->token[i] > '~')
			n = 0;
	if (n < S_TOKEN_MIN) {
		fprintf(stderr, "medflag http: console_token_file %s: give "
		    "one line of %d to %d printable characters\n  hint: "
		    "head -c 24 /dev/urandom | base64 > %s\n", path,
		    S_TOKEN_MIN, S_TOKEN_MAX, path);
		return -1;
	}
	return 0;
}

/* The verdict 'mp' (msgpack) as JSON with 'status': the wire's fields,
 * as `medflag check` prints them. 502 when it is not one. */
static enum MHD_Result
s_verdict(struct MHD_Connection *c, unsigned status, const mf_buf_t *mp)
{
	mf_err_t	 err = {0};
	mf__mp_obj_t	 o;
	json_t		*j = NULL;

	if (mf__mp_open(&o, mp->data, mp->len, mp->len, 1, "verdict",
	    &err) != 0 || ((j = mf__mp_json_tree(&o, &err)) == NULL &&
	    err.code != MF_ENOMEM))
		return mf_httpd_error(c, MHD_HTTP_BAD_GATEWAY, "medflagd's "
		    "answer is not a verdict");
	return mf_httpd_send_json(c, status, j);
}

/* 413 and the error verdict medflagd gives a post over 1 MiB (with
 * "error", as every error answer here). */
static enum MHD_Result
s_too_big(struct MHD_Connection *c, const char *post_id)
{
	mf_verdict_t	*v = mf_cli_too_big(post_id);
	mf_buf_t	 mp = {0};
	mf_err_t	 err;
	enum MHD_Result	 rc;

	if (v == NULL || mf_wire_encode_verdict(v, &mp, &err) != 0)
		rc = mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    MF_WIRE_TOO_BIG);
	else
		rc = s_verdict(c, MHD_HTTP_CONTENT_TOO_LARGE, &mp);
	mf_verdict_destroy(&v);
	mf_buf_free(&mp);
	return rc;
}

/* POST /v1/check: the post through medflagd's check endpoint. */
static enum MHD_Result
s_check(const s_gw_t *gw, struct MHD_Connection *c,
    const mf_httpd_req_t *rq)
{
	mf_err_t		 err = {0};
	mf_post_t		*post;
	mf_buf_t		 mp = {0}, v = {0};
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
	mf_console_remember(gw->console, post);
	mf_post_destroy(&post);
	if (mf_client_check_one(gw->client, gw->cfg.check, mp.data, mp.len,
	    gw->timeout_ms, &v, why, sizeof(why)) != 0) {
		mf_buf_free(&mp);
		mf_buf_free(&v);
		return mf_httpd_error(c, MHD_HTTP_GATEWAY_TIMEOUT, why);
	}
	mf_buf_free(&mp);
	rc = s_verdict(c, MHD_HTTP_OK, &v);
	mf_buf_free(&v);
	return rc;
}

/*
 * GET /metrics and /healthz answer within a second whatever medflagd does
 * (down, stopped, slow): Prometheus gives a scrape 10 s, a load balancer
 * a health check often 1 or 2. medflagd answers `stats` in about a
 * millisecond when it answers at all.
 */
#define S_CONTROL_MS	800

/* POST /v1/feedback: into Redis, as `medflag feedback -` does. */
static enum MHD_Result
s_feedback(const s_gw_t *gw, struct MHD_Connection *c,
    const mf_httpd_req_t *rq)
{
	mf_store_t	*st;
	char		 why[600];
	int		 r;

	mf_feedback_rules_t	 known;

	/* Rule ids are checked against the running rule set, which a
	 * reload changes: asked for each record (feedback is rare). */
	if (mf_feedback_rules_running(gw->client, S_CONTROL_MS, &known) != 0)
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "medflagd "
		    "did not answer: the rule ids cannot be checked; send the "
		    "feedback again later");
	if ((st = mf_client_store(&gw->cfg, why, sizeof(why))) == NULL) {
		mf_rulehits_free(&known.ids);
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	r = mf_feedback_record(&gw->cfg, st, gw->teacher, &known, rq->body ?
	    rq->body : "", rq->len, why, sizeof(why));
	mf_rulehits_free(&known.ids);
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
	mf_reply_t		 reply = {0};
	enum MHD_Result		 rc;
	int			 up;

	up = mf_client_control(gw->client, metrics ? "stats" : "health", NULL,
	    0, gw->timeout_ms < S_CONTROL_MS ? gw->timeout_ms : S_CONTROL_MS,
	    &reply) == 0;
	if (!up && !metrics) {
		char	why[120];

		mf_reply_free(&reply);
		snprintf(why, sizeof(why), "medflagd did not answer on its "
		    "control endpoint within %d ms", S_CONTROL_MS);
		return mf_httpd_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    json_pack("{sb ss}", "ok", 0, "error", why));
	}
	if (metrics) {
		char	*text = NULL;
		size_t	 len = 0;
		FILE	*fp = open_memstream(&text, &len);

		if (fp == NULL)
			rc = MHD_NO;
		else {
			/* Down is a value, as exporters say it: the scrape
			 * works and medflag_up is 0. */
			fprintf(fp, "# HELP medflag_up 1 when medflagd "
			    "answered this scrape\n# TYPE medflag_up gauge\n"
			    "medflag_up %d\n", up);
			if (up)
				mf_stats_prometheus(&reply.map, fp);
			fclose(fp);
			rc = mf_httpd_send(c, MHD_HTTP_OK, "text/plain; "
			    "version=0.0.4", text, len);
		}
		free(text);
	} else
		rc = mf_httpd_send_json(c, mf__mp_get_int(&reply.map, "ok",
		    0) == 1 ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		    mf__mp_json_tree(&reply.map, NULL));
	mf_reply_free(&reply);
	return rc;
}

static enum MHD_Result
s_handle(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const mf_httpd_req_t *rq)
{
	const s_gw_t	*gw = arg;
	enum MHD_Result	 rc;

	if (strcmp(url, "/v1/feedback") == 0 && gw->console != NULL &&
	    gw->token[0] == '\0')
		return mf_httpd_error(c, MHD_HTTP_FORBIDDEN, "the console is "
		    "read-only: feedback needs console_token_file set in the "
		    "configuration");
	if (strcmp(url, "/v1/feedback") == 0 && gw->token[0] != '\0' &&
	    !s_token_ok(gw, c))
		return s_unauthorized(c);
	if (strcmp(url, "/v1/check") == 0 || strcmp(url, "/v1/feedback") ==
	    0) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return mf_httpd_not_allowed(c, "POST");
		if (rq->too_big && url[4] != 'c')
			return mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "the body is over 1 MiB");
		return url[4] == 'c' ? s_check(gw, c, rq) :
		    s_feedback(gw, c, rq);
	}
	if (strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0) {
		/* HEAD: the same answer, libmicrohttpd leaves the body out. */
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return mf_httpd_not_allowed(c, "GET, HEAD");
		return s_control(gw, c, url[1] == 'm');
	}
	if (gw->console != NULL && gw->token[0] != '\0' &&
	    mf_console_path(url) == MF_CONSOLE_PRIVATE && !s_token_ok(gw, c))
		return s_unauthorized(c);
	if (gw->console != NULL && mf_console_handle(gw->console, c, url,
	    method, rq, &rc))
		return rc;
	if (gw->console == NULL && mf_console_path(url) != 0)
		return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "the web console "
		    "is off: set `console on` in the configuration "
		    "(docs/operations.md, \"Web console\")");
	return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, gw->console ? "no such "
	    "path; there are POST /v1/check, POST /v1/feedback, GET /metrics, "
	    "GET /healthz and the console under /ui/" : "no such path; there "
	    "are POST /v1/check, POST /v1/feedback, GET /metrics, GET "
	    "/healthz");
}

/* The console of `console on`, or why not. 0 or -1 (said). */
static int
s_console(s_gw_t *gw, const char *listen)
{
	mf_console_opts_t	o = {
		.ui = gw->cfg.console_ui,
		.text_window_s = gw->cfg.console_text_window_s,
		.timeout_ms = gw->timeout_ms < 5000 ? gw->timeout_ms : 5000,
	};

	if (sodium_init() < 0 || s_token_load(gw) != 0)
		return -1;
	if (gw->token[0] == '\0' && strncmp(listen, "127.", 4) != 0) {
		fprintf(stderr, "medflag http: console on %s without a token\n"
		    "  hint: set console_token_file, or listen on 127.0.0.1 "
		    "(docs/operations.md, \"Web console\")\n", listen);
		return -1;
	}
	o.token = gw->token[0] != '\0';
	if (gw->cfg.console_corpus[0] != '\0')
		o.corpus = gw->cfg.console_corpus;
	if ((gw->console = mf_console_new(gw->client, &o)) == NULL)
		return -1;
	mf_log_info("web console on http://%s/ui/ (%s%s)", listen,
	    gw->token[0] ? "token" : "read-only, no token",
	    o.text_window_s ? ", text window on" : "");
	return 0;
}

static const char *const s_paths[] = {
	"/v1/check", "/v1/feedback", "/metrics", "/healthz", NULL
};

int
mf_cmd_http(int argc, char **argv, const mf_cli_t *cli)
{
	s_gw_t			 gw = { .timeout_ms = 10000 };
	mf_client_t		 cl = {0};
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
	gw.client = &cl;
	if (mf_client_init(&cl, &gw.cfg) == -1 || (probe =
	    mf_client_socket(&cl, ZMQ_DEALER, gw.cfg.check)) == NULL) {
		mf_client_term(&cl);
		return 1;
	}
	zmq_close(probe);
	mf_client_catch_signals();
	snprintf(banner, sizeof(banner), "(check %s, control %s)",
	    gw.cfg.check, gw.cfg.control);
	if ((gw.teacher = mf_teacher_new(gw.cfg.rules)) == NULL) {
		mf_client_term(&cl);
		return 1;
	}
	if (gw.cfg.console && s_console(&gw, listen) != 0) {
		mf_teacher_destroy(&gw.teacher);
		mf_client_term(&cl);
		return 1;
	}
	rc = mf_httpd_run("medflag http", "--listen", listen, &gw.cfg,
	    s_handle, &gw, banner, s_paths);
	mf_console_destroy(&gw.console);
	mf_teacher_destroy(&gw.teacher);
	mf_client_term(&cl);
	if (rc != 0)
		return rc;
	mf_log_info("stopped");
	return 0;
}
