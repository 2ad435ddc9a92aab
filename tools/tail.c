/*
 * tail.c - `medflag tail`: live verdicts from medflagd's PUB endpoint,
 * readable lines or JSON Lines, with catch-up from the Redis journal.
 *
 * Catch-up order (docs/protocol.md): subscribe first, then replay the
 * journal from --since, then print live verdicts, dropping those whose
 * seq was already printed. Subscribing first means nothing published
 * during the replay is missed; the seq check removes the overlap. When
 * every action is followed, a gap in seq is filled from the journal if it
 * can be and reported on stderr if not.
 * Not responsible for the journal itself (medflagd writes it).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "client.h"
#include "proto.h"
#include "store.h"

typedef struct s_tail {
	const mf_config_t	*cfg;
	mf_client_t		*client;
	int			 json, all;
	unsigned		 actions;	/* bit per mf_action_t */
	int			 have_last;
	uint64_t		 last;		/* highest seq printed */
	uint64_t		 printed, count, dups, gaps, missing;
	uint64_t		 limit_seq;	/* gap fill: stop before */
	mf_store_t		*store;
	mf_buf_t		 out;
} s_tail_t;

static void
s_usage(void)
{
	fprintf(stderr, "usage: medflag tail [--action a,b] [--json] "
	    "[--since SEQ] [--count N]\n"
	    "  actions: none, annotate, flag, hold, block\n");
}

static void
s_print(s_tail_t *t, const mf_verdict_t *v, uint64_t seq)
{
	mf_err_t	err;

	if (t->json) {
		mf_buf_reset(&t->out);
		if (mf_wire_encode_verdict_json(v, &t->out, &err) == 0)
			printf("%s\n", t->out.data);
	} else {
		printf("%8llu  %-24s %-8s %5.1f ", (unsigned long long)seq,
		    v->post_id ? v->post_id : "?", mf_action_name(v->action),
		    v->score);
		if (v->status != MF_STATUS_OK)
			printf(" [%s%s%s]", mf_status_name(v->status),
			    v->error ? ": " : "", v->error ? v->error : "");
		for (size_t i = 0; i < v->nhits; i++)
			printf("%s%s", i ? "," : " ", v->hits[i].claim ?
			    v->hits[i].claim : "?");
		for (unsigned b = 1; b < (1u << MF_VF_COUNT); b <<= 1)
			if ((v->flags & b) && mf_vflag_name(b) != NULL)
				printf(" [%s]", mf_vflag_name(b));
		putchar('\n');
	}
	t->printed++;
}

/* Prints one verdict unless it was printed already; returns 1 if the
 * --count limit is reached. */
static int
s_take(s_tail_t *t, uint64_t seq, const mf_verdict_t *v)
{
	if (t->have_last && seq <= t->last) {
		t->dups++;
		return 0;
	}
	t->have_last = 1;
	t->last = seq;
	if (t->actions & (1u << v->action))
		s_print(t, v, seq);
	return t->count && t->printed >= t->count;
}

static int
s_on_journal(uint64_t seq, const void *msg, size_t len, void *arg)
{
	s_tail_t	*t = arg;
	mf_verdict_t	*v;
	mf_err_t	 err;
	int		 stop = 0;

	if (t->limit_seq && seq >= t->limit_seq)
		return 1;
	if ((v = mf_wire_decode_verdict(msg, len, &err)) == NULL) {
		fprintf(stderr, "medflag tail: journal entry seq %llu does "
		    "not decode: %s\n", (unsigned long long)seq, err.msg);
		return 0;
	}
	stop = s_take(t, seq, v);
	mf_verdict_destroy(&v);
	return stop;
}

static mf_store_t *
s_store(s_tail_t *t)
{
	char	err[1024];

	if (t->store != NULL && mf_store_broken(t->store))
		mf_store_destroy(&t->store);
	if (t->store == NULL &&
	    (t->store = mf_store_connect(t->cfg, 1000, err, sizeof(err))) ==
	    NULL)
		fprintf(stderr, "medflag tail: %s\n", err);
	return t->store;
}

/* Replays the journal from 'since' (before 'limit_seq' when non-zero). */
static int
s_replay(s_tail_t *t, uint64_t since, uint64_t limit_seq)
{
	int	n;

	if (s_store(t) == NULL)
		return -1;
	t->limit_seq = limit_seq;
	n = mf_store_journal_since(t->store, since, 0, s_on_journal, t);
	t->limit_seq = 0;
	if (n == -1)
		fprintf(stderr, "medflag tail: journal: %s\n",
		    mf_store_error(t->store));
	return n;
}

/*
 * The journal is written a moment after each publication, so the replay
 * may end short of what medflagd has already published, and with no new
 * traffic nothing live would reveal it. Ask medflagd for its current seq
 * and read the journal again until it is reached (for up to 2 s).
 */
static void
s_catch_up(s_tail_t *t)
{
	mf_reply_t	reply = { 0 };
	long long	seq;

	if (mf_client_control(t->client, "stats", NULL, 0, 1000, &reply) == -1)
		return;
	seq = mf__mp_get_int(&reply.map, "seq", 0);
	mf_reply_free(&reply);
	for (int i = 0; i < 20 && seq > 0 && (!t->have_last ||
	    t->last < (uint64_t)seq) && !(t->count && t->printed >= t->count);
	    i++) {
		usleep(100 * 1000);
		if (s_replay(t, t->have_last ? t->last + 1 : 0, 0) == -1)
			return;
	}
}

/* A live verdict: detects gaps and restarts, then prints it. */
static int
s_live(s_tail_t *t, const void *msg, size_t len)
{
	mf_verdict_t	*v;
	mf_err_t	 err;
	uint64_t	 seq, before;
	int		 stop;

	if ((v = mf_wire_decode_verdict(msg, len, &err)) == NULL) {
		fprintf(stderr, "medflag tail: a published verdict does not "
		    "decode: %s\n", err.msg);
		return 0;
	}
	seq = v->seq;
	if (t->have_last && seq == 1 && t->last > 1) {
		fprintf(stderr, "medflag tail: seq went back from %llu to 1: "
		    "medflagd restarted\n", (unsigned long long)t->last);
		t->have_last = 0;
	}
	if (t->all && t->have_last && seq > t->last + 1 &&
	    (!t->count || t->printed < t->count)) {
		before = t->printed;
		t->gaps++;
		/* medflagd journals a moment after it publishes: try a few
		 * times before calling the gap a loss. */
		for (int i = 0; i < 5 && t->last + 1 < seq; i++) {
			if (i > 0)
				usleep(100 * 1000);
			if (s_replay(t, t->last + 1, seq) == -1)
				break;
		}
		if (t->last + 1 < seq) {
			fprintf(stderr, "medflag tail: gap: seq %llu..%llu "
			    "missing (%llu recovered from the journal)\n",
			    (unsigned long long)t->last + 1,
			    (unsigned long long)seq - 1,
			    (unsigned long long)(t->printed - before));
			t->missing += seq - 1 - t->last;
		}
	}
	stop = s_take(t, seq, v);
	mf_verdict_destroy(&v);
	return stop;
}

/* Parses "flag,hold" into bits; -1 on an unknown name. */
static int
s_actions(const char *list, unsigned *bits)
{
	char		*copy = strdup(list), *tok, *save = NULL;
	mf_action_t	 a;
	int		 rc = 0;

	if (copy == NULL)
		return -1;
	*bits = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (mf_action_parse(tok, &a) == -1) {
			fprintf(stderr, "medflag tail: unknown action '%s'\n"
			    "  hint: none, annotate, flag, hold, block\n", tok);
			rc = -1;
			break;
		}
		*bits |= 1u << a;
	}
	free(copy);
	return rc;
}

int
mf_cmd_tail(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_client_t	 cl;
	s_tail_t	 t = { .json = 0 };
	void		*sock = NULL;
	int		 rc = 1, since_given = 0, hwm = 1000000, told = 0;
	int64_t		 heard;
	uint64_t	 since = 0;
	char		*e, topic[64];
	zmq_msg_t	 m;

	t.actions = (1u << (MF_ACT_BLOCK + 1)) - 1;
	t.all = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			t.json = 1;
		} else if (strcmp(argv[i], "--action") == 0 && i + 1 < argc) {
			if (s_actions(argv[++i], &t.actions) == -1)
				return 2;
			t.all = t.actions == (1u << (MF_ACT_BLOCK + 1)) - 1;
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			since = strtoull(argv[++i], &e, 10);
			if (*e) {
				s_usage();
				return 2;
			}
			since_given = 1;
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			t.count = strtoull(argv[++i], &e, 10);
			if (*e) {
				s_usage();
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
	t.cfg = &cfg;
	t.client = &cl;
	mf_client_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 1. Subscribe first ... */
	if ((sock = mf_client_socket(&cl, ZMQ_SUB, cfg.verdicts)) == NULL)
		goto out;
	zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	for (mf_action_t a = MF_ACT_NONE; a <= MF_ACT_BLOCK; a++) {
		if (!t.all && !(t.actions & (1u << a)))
			continue;
		snprintf(topic, sizeof(topic), "verdict.%s", t.all ? "" :
		    mf_action_name(a));
		zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topic, strlen(topic));
		if (t.all)
			break;
	}
	/* 2. ... then replay what was missed ... */
	if (since_given && s_replay(&t, since, 0) == -1)
		fprintf(stderr, "medflag tail: journal replay failed; "
		    "showing live verdicts only\n");
	else if (since_given)
		s_catch_up(&t);
	/* A SUB socket cannot tell a quiet forum from a dead medflagd: ask
	 * its control endpoint, now and after each 10 s without a verdict,
	 * and say so (once) when it does not answer within 2 s. */
	if (mf_client_ping(&cl, MF_CLIENT_SILENT_MS) != 0) {
		fprintf(stderr, "medflag tail: medflagd does not answer on %s "
		    "(2 s); waiting for verdicts on %s\n  hint: is medflagd "
		    "running? `medflag stats` asks it\n", cfg.control,
		    cfg.verdicts);
		told = 1;
	}
	heard = mf_now_ms();
	/* 3. ... then live, dropping what the replay already printed. */
	while (!mf_client_stop && !(t.count && t.printed >= t.count)) {
		int		n;
		zmq_pollitem_t	it = { sock, 0, ZMQ_POLLIN, 0 };

		if ((n = zmq_poll(&it, 1, 1000)) == -1)
			continue;	/* EINTR: the loop checks the flag */
		if (n == 0) {
			if (mf_now_ms() - heard < 10000)
				continue;
			heard = mf_now_ms();
			if (mf_client_ping(&cl, MF_CLIENT_SILENT_MS) == 0) {
				if (told)
					fprintf(stderr, "medflag tail: "
					    "medflagd answers again on %s\n",
					    cfg.control);
				told = 0;
			} else if (!told) {
				fprintf(stderr, "medflag tail: medflagd does "
				    "not answer on %s (2 s); still waiting for "
				    "verdicts\n", cfg.control);
				told = 1;
			}
			continue;
		}
		heard = mf_now_ms();
		if (told)
			fprintf(stderr, "medflag tail: verdicts arrive again "
			    "on %s\n", cfg.verdicts);
		told = 0;
		zmq_msg_init(&m);
		if ((n = mf_client_recv_verdict(sock, 0, &m)) == -1) {
			zmq_msg_close(&m);
			if (errno == EINTR)
				continue;
			fprintf(stderr, "medflag tail: %s: %s\n", cfg.verdicts,
			    zmq_strerror(errno));
			goto out;
		}
		if (n == 2 && s_live(&t, zmq_msg_data(&m), zmq_msg_size(&m)))
			mf_client_stop = 1;
		zmq_msg_close(&m);
	}
	rc = 0;
out:
	fflush(stdout);
	if (t.gaps || t.dups)
		fprintf(stderr, "medflag tail: %llu printed, %llu duplicates "
		    "dropped, %llu gaps, %llu verdicts missing\n",
		    (unsigned long long)t.printed, (unsigned long long)t.dups,
		    (unsigned long long)t.gaps, (unsigned long long)t.missing);
	if (sock != NULL)
		zmq_close(sock);
	mf_store_destroy(&t.store);
	mf_buf_free(&t.out);
	mf_client_term(&cl);
	return rc;
}
