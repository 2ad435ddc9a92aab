/*
 * client.h - what the service subcommands of `medflag` share: the config
 * they run with and their Redis connection (client_config.c, no ZeroMQ),
 * the ZeroMQ context (client.c), the check client (a window of
 * outstanding posts, each kept until its verdict arrives and resent
 * after a timeout; checker.c), control requests and their replies, read
 * with the bounded msgpack reader (mpack.h; ctl.c).
 *
 * Not responsible for output formats of one subcommand; those stay in its
 * own file. docs/protocol.md describes the wire these speak.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CLIENT_H
#define MF_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <zmq.h>

#include "cli.h"
#include "clock.h"	/* mf_now_ms() */
#include "config.h"
#include "curve.h"	/* MF_CURVE_Z85 */
#include "mpack.h"
#include "rulehits.h"

/* Loads the configuration: cli->config, else mf_config_default_path(),
 * else the defaults. Prints every diagnostic; returns 0 or -1. Also
 * ignores SIGPIPE (hiredis, ZeroMQ). */
int		 mf_client_config(const mf_cli_t *cli, mf_config_t *cfg);

/*
 * The connection of a command (or of a gateway, whose threads share it):
 * the configuration it runs with, and what is made from it on first use,
 * the ZeroMQ context and the CURVE keys (read when the first socket is
 * made, so a command that makes none never reads them). Those are made
 * under 'mu' and never change after, so threads may share one client.
 * Everything a command passes around lives here; the only process-wide
 * state is mf_client_stop, which a signal handler must reach.
 */
typedef struct mf_client {
	const mf_config_t *cfg;		/* BORROWS: outlives the client */
	pthread_mutex_t	 mu;		/* guards what follows */
	int		 live;		/* mu made, not yet destroyed */
	void		*zctx;		/* made on first use */
	int		 curve;		/* keys: -1 unread, 0 off, 1 on */
	char		 server_pub[MF_CURVE_Z85 + 1];
	char		 secret[MF_CURVE_Z85 + 1];
} mf_client_t;

/* A client for 'cfg' (BORROWS). 0, or -1 with a message on stderr. */
int		 mf_client_init(mf_client_t *self, const mf_config_t *cfg);
/* Closes the ZeroMQ context (every socket must be closed before) and
 * ends the client; safe twice, and on a client never initialised if it
 * was zeroed. */
void		 mf_client_term(mf_client_t *self);
/* A socket of 'type' connected to 'endpoint' with linger 0, CURVE when
 * the configuration turns it on; NULL with a message on stderr. */
void		*mf_client_socket(mf_client_t *self, int type,
		    const char *endpoint);
/* Set by SIGINT/SIGTERM once mf_client_catch_signals() was called. */
extern volatile int	mf_client_stop;
void		 mf_client_catch_signals(void);

/*
 * The check client. Posts go out as ["", post] on a DEALER connected to
 * the check endpoint; verdicts come back as ["", verdict] and are matched
 * to a pending post by (post_id, revision, instance). A post without a
 * verdict after 'timeout_ms' is sent again; if nothing at all arrived for
 * that long, the socket is made anew (medflagd may have restarted) and
 * every pending post is resent. A verdict for no pending post (the answer
 * to a resend that crossed the first answer) is dropped and counted.
 */
typedef struct mf_checker mf_checker_t;

typedef struct mf_checker_stats {
	uint64_t	sent, verdicts, resent, reconnects, stray, bad;
} mf_checker_stats_t;

/* Called for each matched verdict; 'msg' is its msgpack encoding and 'v'
 * the decoded verdict (NULL if it did not decode). 'tag' is the value
 * given to mf_checker_send(). */
typedef void	 mf_checker_fn(const mf_verdict_t *v, const void *msg,
		    size_t len, void *tag, void *arg);

/* A check client on 'endpoint' over 'client' (BORROWS: it outlives the
 * check client). OWNS: caller (mf_checker_destroy). NULL with a message
 * on stderr. */
mf_checker_t	*mf_checker_new(mf_client_t *client, const char *endpoint,
		    size_t window, int timeout_ms);
void		 mf_checker_destroy(mf_checker_t **self_p);
/* Posts that can be sent before the window is full. */
size_t		 mf_checker_room(const mf_checker_t *self);
size_t		 mf_checker_pending(const mf_checker_t *self);
/* Sends 'msg' (a msgpack post, copied) for 'post' (only its ids are
 * used). 'tag' is handed back with the verdict. The window must have
 * room. Returns 0 or -1. */
int		 mf_checker_send(mf_checker_t *self, const mf_post_t *post,
		    const void *msg, size_t len, void *tag);
/* Waits up to 'wait_ms' for verdicts, calls 'fn' for each matched one and
 * resends what timed out. Returns the number of verdicts delivered, or -1
 * if interrupted (mf_client_stop) or on a socket error. */
int		 mf_checker_poll(mf_checker_t *self, int wait_ms,
		    mf_checker_fn *fn, void *arg);
const mf_checker_stats_t *mf_checker_stats(const mf_checker_t *self);
/* Milliseconds medflagd has said nothing while posts wait for verdicts
 * (since the last message, or since the first of them was sent); 0 when
 * none waits. */
int64_t		 mf_checker_silence_ms(const mf_checker_t *self);
/* After MF_CLIENT_SILENT_MS of that silence, says once on stderr that
 * medflagd does not answer (the caller keeps trying), and once when it
 * answers again. 'prog' starts the line ("medflag push"). */
#define MF_CLIENT_SILENT_MS	2000
void		 mf_checker_report(mf_checker_t *self, const char *prog);

/*
 * One post through check, for callers that answer one request at a time
 * (the HTTP gateway, the Discourse webhook): sends msgpack post 'msg' from
 * a DEALER of its own and waits up to 'timeout_ms' for its verdict, which
 * is appended to 'out'. Returns 0, or -1 with the cause in 'why'.
 */
int		 mf_client_check_one(mf_client_t *self, const char *endpoint,
		    const void *msg, size_t len, int timeout_ms, mf_buf_t *out,
		    char *why, size_t cap);

/* A control reply: its bytes and the map they hold, checked whole
 * (mpack.h reads it). */
typedef struct mf_reply {
	mf_buf_t	 buf;	/* OWNS: mf_reply_free() */
	mf__mp_obj_t	 map;	/* BORROWS: the whole of 'buf' */
} mf_reply_t;
/* Frees 'self''s bytes; safe twice, and on a reply never filled. */
void		 mf_reply_free(mf_reply_t *self);

/*
 * Control: sends [cmd] or [cmd, args] from a REQ socket to
 * self->cfg->control
 * and waits 'timeout_ms' for the one-frame msgpack map reply.
 * On success 'reply' holds it (OWNS: caller, mf_reply_free) and 0 is
 * returned; -1 with a message on stderr otherwise (a reply that is not
 * one well-formed msgpack map within the wire limits is refused, saying
 * why). 'reply' can be freed either way.
 */
int		 mf_client_control(mf_client_t *self, const char *cmd,
		    const void *args, size_t alen, int timeout_ms,
		    mf_reply_t *reply);

/* One message of a SUB socket on the verdicts endpoint, [topic,
 * verdict]: the verdict frame into 'verdict' (initialised by the caller,
 * closed by it), any further frame dropped. 'flags' as zmq_msg_recv's
 * (ZMQ_DONTWAIT). Returns the number of frames (2 for a verdict), or -1
 * with errno set when nothing was received. */
int		 mf_client_recv_verdict(void *sub, int flags, zmq_msg_t *verdict);

/* 0 if medflagd answers 'health' on self->cfg->control within
 * 'timeout_ms'; -1 otherwise, saying nothing. */
int		 mf_client_ping(mf_client_t *self, int timeout_ms);

/*
 * What teaches the model from moderators' outcomes that carry the post's
 * text (`body`): the model and policy of the rules folder 'dir', loaded
 * once, and the lessons already in Redis. The text is normalized as the
 * scanner does, turned into weight changes (learn.h) and dropped; only
 * bucket numbers and amounts reach Redis. OWNS: caller. NULL on ENOMEM.
 */
typedef struct mf_teacher mf_teacher_t;
struct mf_store;
/* A Redis connection for a command or an adapter: the configuration's
 * redis_timeout_ms, 2 s when it is 1 s or less (a command may wait for
 * a busy Redis a little longer than a worker). NULL with 'why' set. */
struct mf_store	*mf_client_store(const mf_config_t *cfg, char *why,
		    size_t cap);
mf_teacher_t	*mf_teacher_new(const char *dir);
void		 mf_teacher_destroy(mf_teacher_t **self_p);
/* One lesson: 0, 1 when it cannot be taught (no model; why in 'why'),
 * -1 when Redis failed. '*p' gets what the model said before. */
int		 mf_teacher_teach(mf_teacher_t *self, struct mf_store *st,
		    const char *post_id, const char *body, const char *lang,
		    int label, const char *by, double *p, char *why,
		    size_t cap);

/* The rule ids feedback may name, and where they come from. */
typedef struct mf_feedback_rules {
	mf_rulehits_t	 ids;		/* OWNS (mf_rulehits_free) */
	char		 ruleset[40];	/* their hash */
	char		 from[64];	/* "the running rule set" ... */
} mf_feedback_rules_t;
/* Fills 'known' with the ids of the rule set medflagd runs (control
 * command `rules`: also those of the set before a reload, and "model").
 * 0, or -1 when medflagd does not answer within 'timeout_ms'. */
int		 mf_feedback_rules_running(mf_client_t *client,
		    int timeout_ms, mf_feedback_rules_t *known);
/* Stores one feedback record (JSON, docs/protocol.md) in Redis, and when
 * it carries the post's text and 'teacher' is not NULL teaches the model;
 * with 'cfg' (NULL: no), demotes a rule whose precision falls under
 * cfg->demote_below (feedback.c): 0, 1 when it is not valid or names a
 * rule not in 'known' (NULL: not checked; why in 'why'), -1 when Redis
 * failed (why too). */
int		 mf_feedback_record(const mf_config_t *cfg,
		    struct mf_store *st, mf_teacher_t *teacher,
		    const mf_feedback_rules_t *known, const char *json,
		    size_t len, char *why, size_t cap);

/* Writes stats reply 'r' to 'fp' in the Prometheus text format
 * (`medflag stats --prometheus`, GET /metrics of `medflag http`). */
void		 mf_stats_prometheus(const mf__mp_obj_t *r, FILE *fp);

/* One rule of stats' "rule_hits". */
typedef struct mf_rule_count {
	char		id[129];
	uint64_t	hits, shadow;
} mf_rule_count_t;
/* The hits and shadow hits of one "rule_hits" value, [hits, shadow]
 * (both 0 when it is not that). */
void		 mf_stats_rule_pair(const mf__mp_obj_t *v, uint64_t *hits,
		    uint64_t *shadow);
/* The (at most) 'n' rules of stats reply 'cur' with the most hits,
 * enforce and shadow together, into 'out', most first; with 'prev' (an
 * earlier reply) the hits since it. Returns how many were written. */
size_t		 mf_stats_top_rules(const mf__mp_obj_t *cur,
		    const mf__mp_obj_t *prev, mf_rule_count_t *out,
		    size_t n);

#endif
