/*
 * ctl.c - requests to medflagd's control endpoint and their replies:
 * [cmd, args?] from a REQ socket, one msgpack map back, checked whole
 * and read with the bounded reader (mpack.h); and the rule counts of
 * the stats reply that stats, top and the console share.
 *
 * Not responsible for the connection (client.c) or how a subcommand
 * prints a reply.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "client.h"
#include "proto.h"

void
mf_reply_free(mf_reply_t *self)
{
	mf_buf_free(&self->buf);
	self->map.p = self->map.end = NULL;
}

/* mf_client_control(); with 'quiet', nothing on stderr (a ping). */
static int
s_control(mf_client_t *self, const char *cmd, const void *args, size_t alen,
    int timeout_ms, mf_reply_t *reply, int quiet)
{
	const mf_config_t *cfg;
	void		*sock;
	zmq_msg_t	 m;
	zmq_pollitem_t	 it;
	mf_err_t	 err = { 0 };
	char		 what[64];
	int		 rc = -1, more = 0, got = 0;
	size_t		 ms = sizeof(more);

	assert(self && cmd && reply);
	cfg = self->cfg;
	memset(reply, 0, sizeof(*reply));
	if ((sock = mf_client_socket(self, ZMQ_REQ, cfg->control)) == NULL)
		return -1;
	zmq_msg_init(&m);
	if (mf_zsend(sock, cmd, strlen(cmd), args ? ZMQ_SNDMORE : 0) == -1 ||
	    (args && mf_zsend(sock, args, alen, 0) == -1)) {
		if (!quiet)
			fprintf(stderr, "medflag: control %s: %s\n",
			    cfg->control, zmq_strerror(errno));
		goto out;
	}
	it.socket = sock;
	it.events = ZMQ_POLLIN;
	while ((rc = zmq_poll(&it, 1, timeout_ms)) == -1 && errno == EINTR &&
	    !mf_client_stop)
		;
	if (rc <= 0) {
		if (!quiet)
			fprintf(stderr, "medflag: control %s: no answer to "
			    "'%s' in %d ms\n  hint: is medflagd running? check "
			    "'control' in the config\n", cfg->control, cmd,
			    timeout_ms);
		rc = -1;
		goto out;
	}
	rc = -1;
	do {
		if (mf_zmsg_recv_more(&m, sock) == -1)	/* poll saw it */
			goto out;
		if (!got) {
			/* The reply is read where it is kept, so the strings
			 * it gives stay valid after the message is closed. */
			got = 1;
			if (mf_buf_append(&reply->buf, zmq_msg_data(&m),
			    zmq_msg_size(&m)) == -1) {
				fprintf(stderr, "medflag: out of memory\n");
				goto out;
			}
			snprintf(what, sizeof(what), "the answer to '%s'",
			    cmd);
			if (mf__mp_open(&reply->map, reply->buf.data,
			    reply->buf.len, MF_WIRE_MAX_MSG, 1, what,
			    &err) == -1) {
				if (!quiet)
					fprintf(stderr, "medflag: control %s: "
					    "%s\n  hint: is it medflagd's "
					    "control endpoint?\n", cfg->control,
					    err.msg);
				goto out;
			}
			rc = 0;
		}
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ms);
	} while (more);
out:
	if (rc == -1)
		mf_reply_free(reply);
	zmq_msg_close(&m);
	zmq_close(sock);
	return rc;
}

int
mf_client_control(mf_client_t *self, const char *cmd, const void *args,
    size_t alen, int timeout_ms, mf_reply_t *reply)
{
	return s_control(self, cmd, args, alen, timeout_ms, reply, 0);
}

int
mf_client_ping(mf_client_t *self, int timeout_ms)
{
	mf_reply_t	reply = { 0 };
	int		rc;

	rc = s_control(self, "health", NULL, 0, timeout_ms, &reply, 1);
	mf_reply_free(&reply);
	return rc;
}

/* ---- the stats reply -------------------------------------------------- */

void
mf_stats_rule_pair(const mf__mp_obj_t *v, uint64_t *hits,
    uint64_t *shadow)
{
	mf__mp_iter_t	it;
	mf__mp_obj_t	h, s;

	*hits = *shadow = 0;
	if (v == NULL || mf__mp_obj_len(v) != 2 ||
	    mf__mp_iter_init(&it, v, MF__MP_ARRAY) == -1 ||
	    mf__mp_iter_next(&it, NULL, &h) != 1 ||
	    mf__mp_iter_next(&it, NULL, &s) != 1 ||
	    mf__mp_obj_uint(&h, hits) == -1 ||
	    mf__mp_obj_uint(&s, shadow) == -1)
		*hits = *shadow = 0;
}

size_t
mf_stats_top_rules(const mf__mp_obj_t *cur, const mf__mp_obj_t *prev,
    mf_rule_count_t *out, size_t n)
{
	mf__mp_obj_t	 c, p, k, v, pv;
	mf__mp_iter_t	 it;
	int		 have_p;
	size_t		 len = 0;

	if (n == 0 || mf__mp_get(cur, "rule_hits", &c) == -1 ||
	    mf__mp_iter_init(&it, &c, MF__MP_MAP) == -1)
		return 0;
	have_p = prev != NULL && mf__mp_get(prev, "rule_hits", &p) == 0 &&
	    mf__mp_obj_type(&p) == MF__MP_MAP;
	while (mf__mp_iter_next(&it, &k, &v) == 1) {
		mf_rule_count_t	 r;
		const char	*id;
		size_t		 idlen, at;

		if (mf__mp_obj_str(&k, &id, &idlen) == -1 ||
		    idlen >= sizeof(r.id))
			continue;
		memcpy(r.id, id, idlen);
		r.id[idlen] = '\0';
		mf_stats_rule_pair(&v, &r.hits, &r.shadow);
		if (have_p) {
			uint64_t	ph = 0, ps = 0;

			if (mf__mp_get(&p, r.id, &pv) == 0)
				mf_stats_rule_pair(&pv, &ph, &ps);
			r.hits = r.hits >= ph ? r.hits - ph : 0;
			r.shadow = r.shadow >= ps ? r.shadow - ps : 0;
		}
		if (r.hits + r.shadow == 0)
			continue;
		/* Insertion into the sorted first 'n'. */
		for (at = len; at > 0 && out[at - 1].hits + out[at - 1].shadow <
		    r.hits + r.shadow; at--)
			if (at < n)
				out[at] = out[at - 1];
		if (at < n) {
			out[at] = r;
			if (len < n)
				len++;
		}
	}
	return len;
}
