/*
 * push.c - `medflag push`: JSON Lines posts on stdin to medflagd, verdicts
 * as JSON Lines on stdout.
 *
 * By default posts go through the check endpoint with a window of
 * outstanding posts; each is kept until its verdict arrives and resent
 * after a timeout, so a medflagd restart loses nothing. --async pushes to
 * the ingest endpoint instead (fire-and-forget, no verdicts here).
 * Not responsible for judging: medflagd and its workers do that.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "client.h"

typedef struct s_push {
	uint64_t	lines, posts, bad, printed;
	mf_buf_t	json;
} s_push_t;

static void
s_usage(void)
{
	fprintf(stderr, "usage: medflag push [--async] [--window N] "
	    "[--timeout MS]\n"
	    "  JSON Lines posts on stdin; one verdict per line on stdout\n");
}

/* Prints verdict 'v' (or, if it did not decode, its msgpack 'msg') as
 * one JSON line. */
static void
s_print_verdict(s_push_t *p, const mf_verdict_t *v, const void *msg,
    size_t len)
{
	mf_err_t	err;
	mf__mp_obj_t	o;

	mf_buf_reset(&p->json);
	if (v != NULL && mf_wire_encode_verdict_json(v, &p->json, &err) == 0) {
		/* done */
	} else {
		mf_buf_reset(&p->json);
		if (mf__mp_open(&o, msg, len, len, 0, "verdict", &err) == 0)
			(void)mf__mp_json(&o, &p->json, &err);
	}
	if (p->json.len > 0) {
		fwrite(p->json.data, 1, p->json.len, stdout);
		fputc('\n', stdout);
	}
	p->printed++;
}

static void
s_on_verdict(const mf_verdict_t *v, const void *msg, size_t len, void *tag,
    void *arg)
{
	(void)tag;
	s_print_verdict(arg, v, msg, len);
}

/* The error verdict of an input line that is not a post. */
static void
s_bad_line(s_push_t *p, const char *line, size_t len, const mf_err_t *err)
{
	char		 id[256];
	mf_verdict_t	*v;
	mf_err_t	 e2;

	p->bad++;
	v = mf_verdict_new(mf_wire_peek_post_id_json(line, len, id,
	    sizeof(id)) == 0 ? id : NULL);
	if (v == NULL || mf_verdict_set_error(v, MF_STATUS_ERROR,
	    "stdin:%llu: %s", (unsigned long long)p->lines, err->msg) == -1 ||
	    (mf_buf_reset(&p->json), mf_wire_encode_verdict_json(v, &p->json,
	    &e2)) == -1) {
		fprintf(stderr, "medflag push: stdin:%llu: %s\n",
		    (unsigned long long)p->lines, err->msg);
	} else {
		fwrite(p->json.data, 1, p->json.len, stdout);
		fputc('\n', stdout);
	}
	mf_verdict_destroy(&v);
}

/* The error verdict of a post over MF_WIRE_MAX_MSG, on stdout. */
static void
s_too_big(s_push_t *p, const char *post_id)
{
	mf_verdict_t	*v = mf_cli_too_big(post_id);
	mf_err_t	 err;

	p->bad++;
	mf_buf_reset(&p->json);
	if (v == NULL || mf_wire_encode_verdict_json(v, &p->json, &err) == -1)
		fprintf(stderr, "medflag push: stdin:%llu: %s\n",
		    (unsigned long long)p->lines, MF_WIRE_TOO_BIG);
	else {
		fwrite(p->json.data, 1, p->json.len, stdout);
		fputc('\n', stdout);
	}
	mf_verdict_destroy(&v);
}

/* Reads the next post; 1 = a post in 'msg', 0 = end of input, -1 = a
 * line that was not a post (already answered). */
static int
s_next(s_push_t *p, char **line, size_t *cap, mf_post_t **post,
    mf_buf_t *msg)
{
	ssize_t		 n;
	mf_err_t	 err = {0};

	for (;;) {
		if ((n = getline(line, cap, stdin)) == -1)
			return 0;
		p->lines++;
		while (n > 0 && ((*line)[n - 1] == '\n' ||
		    (*line)[n - 1] == '\r'))
			(*line)[--n] = '\0';
		if (strspn(*line, " \t") != (size_t)n)
			break;
	}
	mf_buf_reset(msg);
	if ((size_t)n > MF_WIRE_MAX_MSG) {
		char	id[256];

		s_too_big(p, mf_wire_peek_post_id_json(*line, (size_t)n, id,
		    sizeof(id)) == 0 ? id : NULL);
		return -1;
	}
	if ((*post = mf_wire_decode_post_json(*line, (size_t)n, &err)) ==
	    NULL || mf_wire_encode_post(*post, msg, &err) == -1) {
		mf_post_destroy(post);
		s_bad_line(p, *line, (size_t)n, &err);
		return -1;
	}
	if (msg->len > MF_WIRE_MAX_MSG) {
		/* medflagd would refuse it; say so now, as it would. */
		s_too_big(p, (*post)->post_id);
		mf_post_destroy(post);
		return -1;
	}
	p->posts++;
	return 1;
}

static int
s_async(mf_client_t *cl, s_push_t *p)
{
	const mf_config_t *cfg = cl->cfg;
	void		*sock;
	char		*line = NULL;
	size_t		 cap = 0;
	mf_post_t	*post = NULL;
	mf_buf_t	 msg = {0};
	int		 r, linger = 30000, rc = 1;

	if ((sock = mf_client_socket(cl, ZMQ_PUSH, cfg->ingest)) == NULL)
		return 1;
	/* Give queued posts time to leave before the socket closes. */
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	while (!mf_client_stop && (r = s_next(p, &line, &cap, &post, &msg))) {
		if (r < 0)
			continue;
		mf_post_destroy(&post);
		/* Blocks while the high-water mark is reached: back-pressure
		 * from medflagd, not a silent drop. */
		while (zmq_send(sock, msg.data, msg.len, 0) == -1) {
			if (errno != EINTR || mf_client_stop) {
				fprintf(stderr, "medflag push: %s: %s\n",
				    cfg->ingest, zmq_strerror(errno));
				goto out;
			}
		}
	}
	rc = mf_client_stop || p->bad > 0 ? 1 : 0;
out:
	fflush(stdout);
	fprintf(stderr, "medflag push: %llu posts sent to %s "
	    "(fire-and-forget), %llu bad lines\n",
	    (unsigned long long)p->posts, cfg->ingest,
	    (unsigned long long)p->bad);
	zmq_close(sock);
	free(line);
	mf_buf_free(&msg);
	return rc;
}

static int
s_sync(mf_client_t *cl, s_push_t *p, size_t window, int timeout_ms)
{
	const mf_config_t		*cfg = cl->cfg;
	mf_checker_t			*ck;
	const mf_checker_stats_t	*st;
	char				*line = NULL;
	size_t				 cap = 0;
	mf_post_t			*post = NULL;
	mf_buf_t			 msg = {0};
	int				 r = 1, rc = 1, eof = 0;

	if ((ck = mf_checker_new(cl, cfg->check, window, timeout_ms)) == NULL)
		return 1;
	while (!mf_client_stop && (!eof || mf_checker_pending(ck) > 0)) {
		while (!eof && mf_checker_room(ck) > 0) {
			if ((r = s_next(p, &line, &cap, &post, &msg)) == 0) {
				eof = 1;
				break;
			}
			if (r < 0)
				continue;
			r = mf_checker_send(ck, post, msg.data, msg.len, NULL);
			mf_post_destroy(&post);
			if (r == -1)
				goto out;
			if (p->posts % 64 == 0)
				break;	/* let verdicts out too */
		}
		if (mf_checker_poll(ck, mf_checker_room(ck) > 0 && !eof ? 0 :
		    100, s_on_verdict, p) == -1)
			break;
		mf_checker_report(ck, "medflag push");
		fflush(stdout);
	}
	/* A line that was not a post got its error verdict, and the exit
	 * status says so, as for every other failure. */
	rc = mf_checker_pending(ck) == 0 && !mf_client_stop && p->bad == 0 ?
	    0 : 1;
out:
	fflush(stdout);
	st = mf_checker_stats(ck);
	fprintf(stderr, "medflag push: %llu sent, %llu verdicts, %llu "
	    "resent, %llu reconnects, %llu late duplicates dropped, %llu bad "
	    "lines%s\n", (unsigned long long)st->sent,
	    (unsigned long long)st->verdicts, (unsigned long long)st->resent,
	    (unsigned long long)st->reconnects,
	    (unsigned long long)st->stray, (unsigned long long)p->bad,
	    mf_checker_pending(ck) ? "; some posts got no verdict" : "");
	mf_checker_destroy(&ck);
	free(line);
	mf_buf_free(&msg);
	return rc;
}

int
mf_cmd_push(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_client_t	 cl;
	s_push_t	 p = {0};
	int		 async = 0, timeout_ms = 5000, rc;
	long		 window = 256;
	char		*e;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--async") == 0) {
			async = 1;
		} else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc) {
			window = strtol(argv[++i], &e, 10);
			if (*e || window < 1 || window > 1000000) {
				fprintf(stderr, "medflag push: --window: "
				    "1..1000000\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout_ms = (int)strtol(argv[++i], &e, 10);
			if (*e || timeout_ms < 10) {
				fprintf(stderr, "medflag push: --timeout: "
				    "milliseconds, at least 10\n");
				return 2;
			}
		} else {
			s_usage();
			return 2;
		}
	}
	if (mf_client_config(cli, &cfg) == -1 ||
	    mf_client_init(&cl, &cfg) == -1)
		return 1;
	mf_client_catch_signals();
	rc = async ? s_async(&cl, &p) : s_sync(&cl, &p, (size_t)window,
	    timeout_ms);
	mf_buf_free(&p.json);
	mf_client_term(&cl);
	return rc;
}
