/*
 * httpd.h - what the HTTP subcommands share (`medflag http`, `medflag
 * discourse`): a libmicrohttpd daemon on an IPv4 HOST:PORT, one thread
 * per connection, each request's body gathered up to 1 MiB before the
 * handler sees it, and answers as JSON. Not responsible for what a path
 * means (the handler) or for TLS (a reverse proxy in front).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_HTTPD_H
#define MF_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"

#define MF_HTTPD_BODY_MAX	(1u << 20)

/* A whole request: its body (NUL-terminated, NULL when empty) and
 * whether it was over MF_HTTPD_BODY_MAX (then it is not kept). */
typedef struct mf_httpd_req {
	char	*body;
	size_t	 len;
	int	 too_big;
	int64_t	 deadline_ms;	/* the body's, mf_now_ms() */
} mf_httpd_req_t;

/* Answers one request; called from the connection's thread. */
typedef enum MHD_Result mf_httpd_fn(void *arg, struct MHD_Connection *c,
    const char *url, const char *method, const mf_httpd_req_t *rq);

struct sockaddr_in;
/* 'listen' ("127.0.0.1:7780", setting 'what') into '*sa': 0, or -1 with
 * a message on stderr saying how to write it. */
int		mf_httpd_addr(const char *prog, const char *what,
		    const char *listen, struct sockaddr_in *sa);
/* Serves 'fn' on 'listen' ("127.0.0.1:7780") until SIGINT or SIGTERM
 * (mf_client_stop). 'what' names the setting in errors ("--listen").
 * cfg's http_header_timeout_s, http_body_timeout_s and http_per_client
 * bound each connection: its header must arrive whole within the first,
 * counted from the connection (bytes trickled do not extend it), its
 * body within the second, counted from the header; one client address
 * holds at most http_per_client connections waiting for a header and as
 * many being answered. One request per connection.
 * Prints 'banner' once listening. Every request is logged at info as
 * `access: ADDR "METHOD PATH" STATUS BYTES MS` (docs/operations.md),
 * PATH only when it is one of 'paths' (NULL-terminated), else "-": never
 * a query, a body or anything else a client wrote. Returns 0, 1 (cannot
 * listen) or 2 (a bad address). */
struct mf_config;
int		mf_httpd_run(const char *prog, const char *what,
		    const char *listen, const struct mf_config *cfg,
		    mf_httpd_fn *fn, void *arg,
		    const char *banner, const char *const *paths);
enum MHD_Result	mf_httpd_send(struct MHD_Connection *c, unsigned status,
		    const char *type, const char *data, size_t len);
/* The same with more headers: 'hdr' holds name, value, name, value ...,
 * NULL (or is NULL). */
enum MHD_Result	mf_httpd_send_h(struct MHD_Connection *c, unsigned status,
		    const char *type, const char *data, size_t len,
		    const char *const *hdr);

/*
 * The one writer of the gateways' JSON: replies are jansson values,
 * written in jansson's compact form (object members in the order they
 * were added), then a newline. TAKES: 'j', which may be NULL: a value
 * jansson could not make (memory ran out, and the helpers below pass a
 * NULL on) is answered 500 {"error": "out of memory"}, as is a dump that
 * fails.
 */
enum MHD_Result	mf_httpd_send_json(struct MHD_Connection *c, unsigned status,
		    json_t *j);
/* The same with more headers, as mf_httpd_send_h(). */
enum MHD_Result	mf_httpd_send_json_h(struct MHD_Connection *c,
		    unsigned status, json_t *j, const char *const *hdr);
/* Appends 'j' to 'out' in the same form, without the newline (a line of
 * an event stream). TAKES: 'j'. 0, or -1 when 'j' is NULL or memory runs
 * out; 'out' is then as it was. */
int		mf_httpd_dump(json_t *j, mf_buf_t *out);

/* 's' as a JSON string: invalid UTF-8 as U+FFFD (what the codec writes;
 * json_string() refuses it), NULL as "". NULL when out of memory. OWNS:
 * caller. */
json_t		*mf_httpd_string(const char *s);
/* 'o' with member 'key' set to 'v', or 'a' with 'v' appended; either
 * NULL, the other is freed and the result is NULL, so that a chain of
 * them carries a failure to its end. TAKES: both. */
json_t		*mf_httpd_set(json_t *o, const char *key, json_t *v);
json_t		*mf_httpd_append(json_t *a, json_t *v);

/* {"error": why} with 'status'. */
enum MHD_Result	mf_httpd_error(struct MHD_Connection *c, unsigned status,
		    const char *why);
/* The same with more headers (a 401's WWW-Authenticate). */
enum MHD_Result	mf_httpd_error_h(struct MHD_Connection *c, unsigned status,
		    const char *why, const char *const *hdr);
/* 405 with the methods the path takes in an Allow header ("POST",
 * "GET, HEAD"), and {"error": ...} saying the same. */
enum MHD_Result	mf_httpd_not_allowed(struct MHD_Connection *c,
		    const char *allow);

#endif
