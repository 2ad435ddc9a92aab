/*
 * broker.h - medflagd's state, shared by medflagd.c (main loop),
 * dispatch.c (queue, in-flight table, workers), control.c (operator
 * commands), reload.c (the rule reload's generations), supervise.c
 * (local worker processes) and journal.c (the Redis verdict journal).
 * Private to medflagd; never installed.
 *
 * The life of a post, from its arrival to its verdict, is the
 * dispatcher's (dispatch_core.h); dispatch.c stamps (seq, latency_us),
 * publishes, answers (check) and journals the verdicts it gives.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_BROKER_H
#define MF_BROKER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>
#include <zmq.h>

#include "medflag.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "dedup.h"
#include "dispatch_core.h"
#include "curve.h"
#include "lathist.h"
#include "rulehits.h"

/* One local worker process slot (supervise.c). */
typedef struct mf_slot {
	pid_t		 pid;		/* 0: not running */
	int64_t		 started_ms;
	int64_t		 next_start_ms;
	int		 backoff_ms;
	int		 restarts;
} mf_slot_t;

/* The journal thread's bounded queue (journal.c). */
typedef struct mf_jitem {
	uint64_t	 seq;
	zmq_msg_t	 msg;	/* OWNS: a reference to the published one */
} mf_jitem_t;

#define MF_JOURNAL_GAPS	64

typedef struct mf_journal {
	pthread_t	 thread;
	int		 started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	mf_jitem_t	*ring;
	size_t		 cap, head, len;
	int		 stop;
	const mf_config_t *cfg;
	/* Written by the thread, read by the main loop (under mu). */
	int		 redis_up;
	uint64_t	 written, skipped;
	/* The newest ranges of seq never journalled (ring, under mu). */
	uint64_t	 gaps[MF_JOURNAL_GAPS][2];
	size_t		 ngaps, gapnext;
	uint64_t	 first_seq;	/* of this run (set by medflagd) */
	uint64_t	 last_seq;	/* the newest pushed */
	/* Rule hits reported since the last write to Redis (under mu). */
	mf_rulehits_t	 hits;
	int		 hits_dirty;
	/* The spool (journal.c): a copy of what waits for Redis, in shared
	 * memory, so that a killed medflagd's successor journals it. */
	int		 spool;		/* fd; -1 for none */
	char		 spool_name[64];
	uint64_t	 spool_bytes;
	int		 spool_failed;	/* a write failed: warn once */
	/* What the start took from a killed run's spool. */
	size_t		 recovered;
	uint64_t	 recovered_from, recovered_last;
} mf_journal_t;

typedef struct mf_stats {
	uint64_t	 posts_in;
	uint64_t	 verdicts[5];	/* by mf_action_t */
	uint64_t	 status[4];	/* by mf_status_t */
	uint64_t	 bad_messages;
	uint64_t	 requeued;
	uint64_t	 late_duplicates;
	/* Verdicts dropped: from a peer that is not the registered worker
	 * holding the post, or not a valid verdict for it. */
	uint64_t	 rejected_verdicts;
	uint64_t	 busy;
	uint64_t	 poison;
	uint64_t	 stale;
	uint64_t	 review;		/* verdicts flagged review */
	uint64_t	 lang_unsupported;	/* ... lang_unsupported */
	uint64_t	 worker_deaths;
	uint64_t	 reloads;		/* rule reloads run */
	/* Reload requests that waited for the next reload and shared it
	 * (at most one starts per reload_min_interval_ms). */
	uint64_t	 reloads_coalesced;
	/* Arrival to verdict of every judged post (not dedup answers). */
	uint64_t	 latency[MF_LATHIST_N];
	uint64_t	 latency_max;
	uint64_t	 latency_sum;		/* us, for averages */
} mf_stats_t;

/* A control client waiting for the reload its request was coalesced
 * into: its ROUTER identity and whether it sent a REQ delimiter. A
 * burst of requests beyond MF_RELOAD_WAITERS is answered at once. */
#define MF_RELOAD_WAITERS	32
typedef struct mf_reload_waiter {
	uint8_t		 ident[MF_IDENT_MAX];
	size_t		 identlen;
	int		 delim;
} mf_reload_waiter_t;

/* A reload round (reload.c): RELOAD of generation 'gen' sent to every
 * worker alive then; each acknowledges it, refuses it or is gone, or is
 * named as silent when the deadline passes. */
enum { MF_RELOAD_WAITING, MF_RELOAD_ACKED, MF_RELOAD_REFUSED,
    MF_RELOAD_GONE };
typedef struct mf_reload_peer {
	int		 id;		/* its mf_wrec_t's */
	pid_t		 pid;
	char		 host[128];
	int		 state;		/* MF_RELOAD_* */
	char		 why[256];	/* refused or gone: why */
} mf_reload_peer_t;

typedef struct mf_reload_round {
	uint64_t	 gen;		/* 0: no round runs */
	int64_t		 started_ms, deadline_ms;
	mf_reload_peer_t *peer;		/* OWNS */
	size_t		 npeer, nwaiting;
	/* The control clients answered when it ends, and the requests it
	 * serves (the waiters and SIGHUPs included). */
	mf_reload_waiter_t wait[MF_RELOAD_WAITERS + 1];
	size_t		 nwait, requests;
} mf_reload_round_t;

typedef struct mf_broker {
	mf_config_t	 cfg;
	const char	*self_path;	/* argv[0] resolved, for the worker */
	void		*ctx;
	void		*ingest, *check, *pub, *control, *backend;
	char		 backend_ep[256];	/* as bound (port resolved) */
	/* Queue, in-flight table, connected workers (dispatch_core.c). */
	mf_dispatch_t	 disp;
	/* Local worker processes. */
	mf_slot_t	*slots;
	size_t		 nslots;
	char		 hostname[128];
	uint64_t	 seq;
	mf_stats_t	 st;
	char		 ruleset[40];	/* hash of the current rules */
	uint64_t	 gen;		/* their generation: 1 at start */
	char		 prev_ruleset[40];	/* of gen - 1, or "" */
	mf_reload_round_t round;	/* reload.c */
	int64_t		 started_ms;
	int64_t		 next_hb_ms;
	int		 draining;
	mf_journal_t	 journal;
	mf_buf_t	 scratch;
	mf_lograte_t	 rate_bad, rate_late;
	mf_dedup_t	 dedup;		/* dedup.c; the dispatcher's */
	mf_rulehits_t	 rule_hits;	/* since start, from heartbeats */
	/* The rule ids workers may report hits for: those of the current
	 * rule set and the ones before it, and "model" (counts all 0). */
	mf_rulehits_t	 rule_ids;
	mf_lograte_t	 rate_reject;
	/* CURVE: the secret key ("" when off), allow lists, ZAP handler. */
	char		 curve_secret[MF_CURVE_Z85 + 1];
	mf_curve_allow_t allow;
	void		*zap;
	mf_lograte_t	 rate_zap;
	void		*replay;	/* replay.c: its thread */
	double		 canary_rate;	/* canary.c: flag rate of the rules */
	size_t		 canary_n;	/* posts in the canary sample, 0 none */
	size_t		 nrules;	/* rules in the current rule set */
	/* Reload requests (control.c): when the last reload ended, whether
	 * one is due, and the control clients waiting for its answer. */
	int64_t		 reload_last_ms;
	int64_t		 reload_gap_ms;	/* from the last to the next */
	int		 reload_pending;
	size_t		 nreload_wait;
	mf_reload_waiter_t reload_wait[MF_RELOAD_WAITERS];
} mf_broker_t;

/* dispatch.c */
/* Prepares the dispatcher (b->disp) over b->cfg, b->ruleset, b->dedup. */
int	 mf_broker_init_tables(mf_broker_t *b);
void	 mf_broker_free_tables(mf_broker_t *b);
/* Admits a post (mf_dispatch_admit) and does what it asks: 1 if the
 * queue took in->post, 0 if it was answered or waits on its copy, -1
 * out of memory. */
int	 mf_broker_admit(mf_broker_t *b, const mf_dispatch_post_t *in);
/* Sends queued posts to workers with credit. */
void	 mf_broker_dispatch(mf_broker_t *b);
/* One message from the backend ROUTER. */
void	 mf_broker_backend_msg(mf_broker_t *b, mf_frames_t *f);
/* Declares worker 'i' dead and re-dispatches what it held. */
void	 mf_broker_worker_dead(mf_broker_t *b, size_t i, const char *why);
/* Heartbeats out and timeouts in. */
void	 mf_broker_heartbeat(mf_broker_t *b, int64_t now);
/* An error verdict saying what 'fmt' says for 'post' (its post_id peeked
 * if possible; may be NULL) to client 'to' (NULL: an ingest producer),
 * published and answered; 'publish' 0 only answers (busy). */
void	 mf_broker_error(mf_broker_t *b, const mf_client_t *to,
	    const void *post, size_t len, int publish, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
size_t	 mf_broker_in_flight(const mf_broker_t *b);
size_t	 mf_broker_alive(const mf_broker_t *b);
/* Sends every worker a message of one frame: MF_PROTO_T_HB_BROKER,
 * _RELOAD or _EXIT. */
void	 mf_broker_broadcast(mf_broker_t *b, mf_proto_type_t cmd);

/* control.c */
void	 mf_broker_control_msg(mf_broker_t *b, mf_frames_t *f);
/* One answer to control client 'ident': [ident, "", body] for a REQ
 * client (it sent the empty delimiter), else [ident, body]. */
void	 mf_broker_control_reply(mf_broker_t *b, const void *ident,
	    size_t identlen, int delim, const void *body, size_t len);

/* reload.c */
/* Compiles and checks the rules; on success makes them the next
 * generation and starts its round (RELOAD to every worker) and returns
 * 0; on failure fills 'diags' and keeps the old rules. */
int	 mf_broker_reload(mf_broker_t *b, mf_diags_t *diags);
/* Asks for a reload: from control client 'ident' (answered when its
 * round has ended) or, with 'ident' NULL, from SIGHUP. It runs at once
 * unless a round runs, or one ended less than reload_min_interval_ms, or
 * nine times the time its check took, ago; then it is due when both are
 * over, and every request until then shares it. */
void	 mf_broker_reload_request(mf_broker_t *b, const void *ident,
	    size_t identlen, int delim);
/* Ends the round whose workers all answered or whose deadline passed,
 * then runs the reload that is due, if any (the main loop, each turn). */
void	 mf_broker_reload_tick(mf_broker_t *b, int64_t now);
/* When the tick has something to do, or INT64_MAX. */
int64_t	 mf_broker_reload_next_ms(const mf_broker_t *b);
/* Worker 'wi' said READY: its generation from its ruleset; told to load
 * the current one unless it runs it. */
void	 mf_broker_reload_ready(mf_broker_t *b, size_t wi);
/* Worker 'wi' sent RELOADED or RELOADFAIL ('m'). */
void	 mf_broker_reload_answer(mf_broker_t *b, size_t wi,
	    const mf_proto_msg_t *m);
/* Worker 'w' is gone (dead, or said goodbye): 'why'. */
void	 mf_broker_reload_gone(mf_broker_t *b, const mf_wrec_t *w,
	    const char *why);
/* The local worker process 'pid' was reaped: 'why'. */
void	 mf_broker_reload_exited(mf_broker_t *b, pid_t pid, const char *why);
void	 mf_broker_reload_free(mf_broker_t *b);
/* Loads and tests the rules of 'cfg' (medflagd -n and reload). Returns
 * the ruleset hash in 'hash' or -1 with every problem in 'diags'. */
int	 mf_broker_check_rules(const mf_config_t *cfg, char *hash,
	    size_t cap, mf_diags_t *diags);

/* supervise.c */
int	 mf_supervise_init(mf_broker_t *b);
void	 mf_supervise_tick(mf_broker_t *b, int64_t now);
void	 mf_supervise_reap(mf_broker_t *b);
void	 mf_supervise_stop(mf_broker_t *b, int grace_ms);
/* Kills (SIGKILL) the local worker process of record 'w', if it is one,
 * so that it is reaped and started anew: a worker declared dead while
 * its process lives (stopped, or blocked) would otherwise stay so. */
void	 mf_supervise_kill(mf_broker_t *b, const mf_wrec_t *w);
int64_t	 mf_supervise_next_ms(const mf_broker_t *b);
/* Slot 's' lost its process at 'now': sets when it starts again, 100 ms
 * after the first crash, doubling to 5 s, back to 100 ms after a run of
 * 10 s or more (not while draining). Returns the delay in ms. */
int	 mf_supervise_backoff(mf_slot_t *s, int64_t now, int draining);

/* journal.c */
/* Starts the writer. 'spool' names its shared memory object (shm_open,
 * "/name"; NULL for none): every verdict queued is copied there first,
 * and what a killed medflagd left in it is queued again, with its seq,
 * before anything else (j->recovered, from ... last). */
int	 mf_journal_start(mf_journal_t *j, const mf_config_t *cfg,
	    const char *spool);
/* Copies 'msg'. Never blocks: a full queue counts the verdict skipped. */
void	 mf_journal_push(mf_journal_t *j, uint64_t seq, const void *msg,
	    size_t len);
/* Keeps a reference to 'msg' (zmq_msg_copy: no copy of the bytes);
 * the caller still owns and closes 'msg'. Never blocks, like push. */
void	 mf_journal_push_msg(mf_journal_t *j, uint64_t seq, zmq_msg_t *msg);
void	 mf_journal_stop(mf_journal_t *j, int flush_ms);
/* Adds a worker's heartbeat counts of rule hits (rulehits.h) to what the
 * thread adds to Redis' all-time counts. Never blocks on Redis. */
void	 mf_journal_rule_hits(mf_journal_t *j, const mf_rulehits_t *h);
void	 mf_journal_status(mf_journal_t *j, int *up, uint64_t *written,
	    uint64_t *skipped, size_t *queued);
/* Copies to 'out' (at most 'cap', oldest first) the ranges of seq never
 * journalled that end at or after 'since'; returns how many. */
size_t	 mf_journal_gaps(mf_journal_t *j, uint64_t since,
	    uint64_t (*out)[2], size_t cap);
/* Replaces the verdict in 'm' by its at-rest form: links cut to their
 * host, ext dropped (flag ext_dropped) from a verdict over 16 KiB. 0, or
 * -1 when it cannot be made so (undecodable, out of memory). */
int	 mf_journal_at_rest(zmq_msg_t *m);

/* control.c: mf_broker_check_rules and the canary's flag rate on the
 * sample ('*n' posts, 0 when there is no sample). */
int	 mf_broker_check_rules_canary(const mf_config_t *cfg, char *hash,
	    size_t cap, mf_diags_t *diags, double *rate, size_t *n);
/* The same, also giving the number of rules in '*nrules'. A rule set of
 * no rules is refused; so is one without RULES/canary.jsonl (or with no
 * post in it) when cfg->canary is on and 'rate' is given. */
int	 mf_broker_check_rules_count(const mf_config_t *cfg, char *hash,
	    size_t cap, mf_diags_t *diags, double *rate, size_t *n,
	    size_t *nrules);
/* The same, also adding every rule id of the set (and "model") to
 * 'ids' when it is not NULL. */
int	 mf_broker_check_rules_ids(const mf_config_t *cfg, char *hash,
	    size_t cap, mf_diags_t *diags, double *rate, size_t *n,
	    size_t *nrules, mf_rulehits_t *ids);

/* canary.c */
#define MF_CANARY_MAX_RISE	0.20	/* flag rate may rise 20 points */
/* One rule may hit (enforce) at most this share of the sample: the
 * curated rules hit at most 2 of its 46 posts, the 6 myths among them. */
#define MF_CANARY_MAX_RULE_SHARE 0.25
/* The rule hitting (in enforce mode) the most sample posts. */
typedef struct mf_canary_top {
	char	rule[MF_RULEHITS_ID_MAX + 1];	/* "" when none hit */
	size_t	posts;
} mf_canary_top_t;
/* Flag rate (action flag or above) of 'rs' over RULES_DIR/canary.jsonl,
 * and the rule that hits most of its posts in '*top' (may be NULL).
 * 0, or -1 when there is no usable sample. */
int	 mf_canary_rate(const char *rules_dir, const mf_ruleset_t *rs,
	    mf_scanner_t *sc, double *rate, size_t *n, mf_canary_top_t *top);
/* 0 if no rule hits more than MF_CANARY_MAX_RULE_SHARE of the 'n' sample
 * posts, else -1 with the rule in 'diags': a pattern that matches
 * ordinary posts, whose hits the model may hide from the flag rate. */
int	 mf_canary_rule_check(const mf_canary_top_t *top, size_t n,
	    mf_diags_t *diags);
/* 0 if the new rate is acceptable, else -1 with the reason in 'diags'. */
int	 mf_canary_judge(double old_rate, size_t old_n, double new_rate,
	    size_t new_n, mf_diags_t *diags);

/* replay.c: the `replay` command, answered by a thread. */
int	 mf_replay_start(mf_broker_t *b);
void	 mf_replay_stop(mf_broker_t *b);
/* BORROWS: the socket the main loop polls for answers. */
void	*mf_replay_socket(mf_broker_t *b);
/* Hands a control request ('ci' the command frame) to the thread. */
void	 mf_replay_request(mf_broker_t *b, const mf_frames_t *f, int delim,
	    int ci);
/* Sends the thread's answers on to their clients. */
void	 mf_replay_forward(mf_broker_t *b);
/* Continues seq after the newest journalled one (Redis permitting). */
void	 mf_broker_seq_resume(mf_broker_t *b);

/* control.c: a string, and a key with its value, in a msgpack reply. */
void	 mf_pk_str(msgpack_packer *pk, const char *s);
void	 mf_pk_kv_u64(msgpack_packer *pk, const char *k, uint64_t v);
void	 mf_pk_kv_str(msgpack_packer *pk, const char *k, const char *v);
void	 mf_pk_kv_bool(msgpack_packer *pk, const char *k, int v);

#endif
