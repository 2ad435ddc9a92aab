/*
 * dispatch_core.h - medflagd's dispatcher without I/O: the FIFO queue,
 * the in-flight table, the connected workers and their credit, requeue
 * and poison, and the dedup records of posts in flight. Each call
 * changes the state and appends to an out-queue what medflagd must do
 * about it (send these posts to that worker, publish this verdict, log
 * that a worker is gone ...); dispatch.c does it with ZeroMQ and
 * proto.c's codec. Nothing here sends, receives, logs or reads a clock:
 * the time comes in as an argument, so dispatch_test.c can drive every
 * transition. Private to medflagd.
 *
 * Life of a post (every call keeps the invariants of mf_dispatch_ok):
 *   1. admitted -> a queued entry, or answered at once from dedup (a
 *      verdict it already had), or attached to its copy in flight
 *   2. dispatched to a worker with credit -> in the in-flight table
 *      (keyed by its dispatch id), entry->worker set (SEND)
 *   3a. first valid verdict for the id from the worker that holds it ->
 *      done (VERDICT; then ANSWER for each copy that waited on it)
 *   3b. its worker dies -> kills++, back to the FRONT of the queue
 *      (REQUEUE), or a poison error verdict once kills reaches
 *      poison_kills (VERDICT, cause MF_DCAUSE_POISON)
 *   4. a verdict for an id no longer in flight is a late duplicate
 *      (LATE); one from a peer that does not hold it is dropped (REJECT)
 * A worker of generation 0 (rules medflagd never checked, reload.c) is
 * given no posts in step 2; what it held before goes on as in 3a-4.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_DISPATCH_CORE_H
#define MF_DISPATCH_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "medflag.h"
#include "config.h"
#include "dedup.h"
#include "proto.h"

#define MF_IDENT_MAX	256

/* Who asked for a verdict: a check client (its ROUTER identity) or an
 * ingest producer (nobody to answer). */
typedef struct mf_client {
	uint8_t		 ident[MF_IDENT_MAX];
	size_t		 identlen;
	int		 from_check;
} mf_client_t;

typedef struct mf_entry {
	uint64_t	 did;		/* dispatch id, unique per run */
	void		*post;		/* OWNS: the raw msgpack post */
	size_t		 len;
	mf_client_t	 from;
	int64_t		 t_recv_us;
	int		 kills;		/* workers that died holding it */
	int		 worker;	/* index in w[], -1 while queued */
	mf_drec_t	*dedup;		/* BORROWS: its dedup record, or NULL */
	struct mf_entry	*next;		/* on the free list only */
} mf_entry_t;

typedef struct mf_wrec {
	int		 used;
	int		 id;		/* shown in stats and logs */
	uint8_t		 ident[MF_IDENT_MAX];
	size_t		 identlen;
	pid_t		 pid;
	char		 host[128];
	char		 ruleset[40];
	char		 sources_version[32];
	char		 auto_shadowed[512];	/* rule ids, comma-separated */
	char		 demoted[512];	/* by feedback; rule ids, likewise */
	int		 stale;
	int		 credit, in_flight;
	int		 batch;		/* posts per POSTS message; 0: POST */
	size_t		 maxmsg;	/* largest frame it takes (READY) */
	int		 reloading;	/* told RELOAD, no answer yet */
	/* The generation of medflagd's checked rule sets it runs (reload.c,
	 * through mf_dispatch_set_gen); 0: its rules are none medflagd
	 * checked, and it gets no posts. 0 until it is set. */
	uint64_t	 gen;
	uint64_t	 done;
	int64_t		 last_seen_ms;
	int64_t		 joined_ms;
	/* Its last verdict, or when it last went from holding nothing to
	 * holding posts: a worker that holds posts and sends no verdict
	 * for worker_timeout_ms loses them, heartbeats or not. */
	int64_t		 progress_ms;
} mf_wrec_t;

/* What medflagd must do after a call, in order. */
typedef enum mf_dact_type {
	/* Send es[0..n) to worker w: one POSTS message if 'posts', else
	 * one POST. They are in flight already; if the send fails, call
	 * mf_dispatch_unsend() before anything else. */
	MF_DACT_SEND = 1,
	/* Publish the verdict for entry e, answer its client, journal it.
	 * 'cause' says whether a worker judged it or medflagd gave up. */
	MF_DACT_VERDICT,
	/* Publish a verdict given before (dedup), flagged duplicate, and
	 * answer client 'to'. */
	MF_DACT_ANSWER,
	/* Tell client 'to' (publish unless it is a check client) that the
	 * post at 'post' is in flight too often: text says why. */
	MF_DACT_BUSY,
	/* Entry e (did) goes back to the front of the queue: worker w,
	 * which held it, is gone. */
	MF_DACT_REQUEUE,
	/* Worker w is gone (text: why); 'requeued' of its posts went back
	 * to the queue, 'poisoned' got poison verdicts; 'blame' 1 if the
	 * death counts (not a reconnection). */
	MF_DACT_GONE,
	/* Worker w is alive but not working (timeout, not reloading):
	 * kill its process if it is ours. Comes before its GONE. */
	MF_DACT_KILL,
	/* A verdict for 'did', no longer in flight, dropped. */
	MF_DACT_LATE,
	/* A verdict for 'did' from worker w (-1: a peer that is not a
	 * registered worker) dropped: text says why. */
	MF_DACT_REJECT,
	/* No memory for entry e's error verdict: it is dropped. */
	MF_DACT_LOST
} mf_dact_type_t;

typedef enum mf_dcause {
	MF_DCAUSE_WORKER = 0,	/* a worker's verdict */
	MF_DCAUSE_POISON,	/* killed poison_kills workers */
	MF_DCAUSE_TOO_BIG,	/* no worker takes a message that big */
	MF_DCAUSE_NOMEM		/* medflagd ran out of memory */
} mf_dcause_t;

typedef struct mf_dact {
	mf_dact_type_t	 type;
	int		 w;		/* worker index, or -1 */
	mf_entry_t	*e;		/* BORROWS: VERDICT, REQUEUE */
	mf_entry_t	**es;		/* BORROWS: SEND */
	size_t		 n;
	int		 posts;		/* SEND: POSTS, not POST */
	/* VERDICT and ANSWER: the unstamped verdict (BORROWS: from the
	 * worker's message or 'buf') and its header. */
	const void	*verdict;
	size_t		 len;
	int		 action, status;
	unsigned	 meta;
	mf_dcause_t	 cause;
	/* VERDICT and ANSWER: the generation of the worker that judged it,
	 * to stamp on it; 0: the verdict's own (medflagd's error verdicts
	 * carry the generation of their ruleset). */
	uint64_t	 gen;
	mf_client_t	 to;		/* ANSWER, BUSY */
	const void	*post;		/* BUSY: BORROWS the post */
	size_t		 postlen;
	uint64_t	 did;		/* LATE, REJECT */
	size_t		 requeued, poisoned;	/* GONE */
	int		 blame;		/* GONE */
	char		 text[128];
	mf_buf_t	 buf;		/* OWNS: an error verdict */
} mf_dact_t;

/*
 * The dispatcher. medflagd reads its fields (stats, workers' info) and
 * writes only what workers say of themselves (host, ruleset, reloading
 * ...); these functions change the rest. Actions, and the entries and
 * verdicts they name, stay valid until the next call that changes the
 * dispatcher.
 */
typedef struct mf_dispatch {
	/* BORROWS: cfg's poison_kills, max_queue and worker_timeout_ms;
	 * the ruleset hash, stamped on error verdicts; dedup. */
	const mf_config_t *cfg;
	const char	*ruleset;
	/* The generation of 'ruleset' (reload.c keeps it so), stamped on
	 * error verdicts with it; 0: none. */
	uint64_t	 gen;
	mf_dedup_t	*dedup;		/* NULL: none */
	/* FIFO of queued entries (ring of pointers). */
	mf_entry_t	**q;
	size_t		 qhead, qlen, qcap;
	/* In-flight table: open addressing on did, linear probing. */
	mf_entry_t	**ht;
	size_t		 htcap, htlen;
	/* Connected workers (slots reused once unused). */
	mf_wrec_t	*w;
	size_t		 nw;
	int		 next_wid;
	size_t		 rr;
	uint64_t	 next_did;
	int64_t		 hb_checked_ms;	/* the last tick */
	/* Every entry made, and those done: made == qlen + htlen + done. */
	uint64_t	 made, done;
	/* Freed entries kept for reuse. */
	mf_entry_t	*efree;
	size_t		 nefree;
	/* The out-queue; entries done wait in 'gone' until it is reset. */
	mf_dact_t	*out;
	size_t		 nout, outcap;
	mf_entry_t	*gone;
	/* The last SEND's posts (for mf_dispatch_unsend). */
	mf_entry_t	*last[MF_PROTO_BATCH_MAX];
	size_t		 nlast;
	int		 lastw;
} mf_dispatch_t;

/* A post to admit. */
typedef struct mf_dispatch_post {
	void		*post;		/* TAKES when queued */
	size_t		 len;
	const mf_post_t	*decoded;	/* for dedup; or NULL */
	const mf_client_t *from;
} mf_dispatch_post_t;

/* Prepares an empty dispatcher. 'cfg', 'ruleset' (NUL-terminated, may
 * change in place) and 'dedup' (NULL: no dedup) are BORROWED for its
 * life. 0, or -1 out of memory (nothing to free). */
int		 mf_dispatch_init(mf_dispatch_t *self,
		    const mf_config_t *cfg, const char *ruleset,
		    mf_dedup_t *dedup);
/* Frees every entry, queued or in flight, and the tables. Safe twice. */
void		 mf_dispatch_free(mf_dispatch_t *self);

/* BORROWS: the actions of the last call, '*n' of them, in order. */
const mf_dact_t	*mf_dispatch_actions(const mf_dispatch_t *self,
		    size_t *n);

/* Admits a post received at 'now_us': answered from dedup (ANSWER or
 * BUSY; returns 0, the post not taken), attached to its copy in flight
 * (0, not taken, nothing to do yet) or queued at the back (1, TAKES
 * in->post). -1: out of memory (not taken). */
int		 mf_dispatch_admit(mf_dispatch_t *self,
		    const mf_dispatch_post_t *in, int64_t now_us);
/* Takes the front post(s) to a worker with credit: one SEND (or a
 * VERDICT for a post too big for every worker). 1 if it appended an
 * action, 0 if nothing more can go now. */
int		 mf_dispatch_next(mf_dispatch_t *self, int64_t now_ms);
/* The last SEND did not go out: its posts go back to the front of the
 * queue, in order, and the worker gets no more until its next READY
 * (the heartbeat decides whether it lives). */
void		 mf_dispatch_unsend(mf_dispatch_t *self);

/* READY from peer 'ident' (worker 'wi', or -1 if new). The worker's
 * index, or -1 out of memory. A new record is of generation 0 (no
 * posts) until mf_dispatch_set_gen. A record of the same process on
 * another connection is dropped (GONE, no blame): what it held goes on
 * now. */
int		 mf_dispatch_ready(mf_dispatch_t *self, int wi,
		    const mf_proto_ready_t *r, const void *ident,
		    size_t identlen, int64_t now_ms);
/* A verdict from worker 'wi' (-1: not a registered worker): VERDICT
 * (then ANSWERs), LATE or REJECT (see dispatch.c's s_verdict). */
void		 mf_dispatch_verdict(mf_dispatch_t *self, int wi,
		    const mf_proto_item_t *v, int64_t now_ms);
/* Worker 'wi' is gone: its posts go back to the front of the queue
 * (REQUEUE), oldest first; with 'blame' each counts the death towards
 * poison_kills (VERDICT with cause poison when it reaches them). Then
 * GONE with 'why'. Nothing when it is not in use. */
void		 mf_dispatch_gone(mf_dispatch_t *self, size_t wi, int blame,
		    const char *why, int64_t now_ms);
/* Worker 'wi' runs the checked rule set of generation 'gen' (reload.c
 * tells from its READY or RELOADED); 0: rules medflagd never checked,
 * and it gets no posts until it runs some. What it holds stays its. */
void		 mf_dispatch_set_gen(mf_dispatch_t *self, size_t wi,
		    uint64_t gen);
/* Worker 'wi' (-1: none) sent something at 'now_ms'. */
void		 mf_dispatch_seen(mf_dispatch_t *self, int wi,
		    int64_t now_ms);
/* Timeouts: a worker silent, or holding posts without a verdict, for
 * worker_timeout_ms is gone (KILL unless reloading, then as
 * mf_dispatch_gone). A gap between calls over 500 ms is medflagd's own
 * stall: the workers' clocks move on by it. */
void		 mf_dispatch_tick(mf_dispatch_t *self, int64_t now_ms);

/* The worker whose connection is 'ident', or -1. */
int		 mf_dispatch_worker(const mf_dispatch_t *self,
		    const void *ident, size_t len);
size_t		 mf_dispatch_queued(const mf_dispatch_t *self);
size_t		 mf_dispatch_in_flight(const mf_dispatch_t *self);
size_t		 mf_dispatch_alive(const mf_dispatch_t *self);
/* 1 when the queue holds max_queue posts: read no more (backpressure). */
int		 mf_dispatch_full(const mf_dispatch_t *self);
/* BORROWS: the queued entry at position 'i' (0 the front), or NULL. */
const mf_entry_t *mf_dispatch_queue_at(const mf_dispatch_t *self,
		    size_t i);
/* BORROWS: the entry in flight for 'did', or NULL. */
const mf_entry_t *mf_dispatch_find(const mf_dispatch_t *self,
		    uint64_t did);

/* 1 if the invariants of the top of this file hold, else 0 (see
 * dispatch_core.c). 'full' also walks every entry (O(queue + table)). */
int		 mf_dispatch_ok(const mf_dispatch_t *self, int full);

/* Copies worker-supplied text 's' into 'dst' (NUL-terminated, cut to
 * 'cap'), made printable: it ends up in logs and stats. */
void		 mf_dispatch_text(char *dst, size_t cap, mf_proto_str_t s);
/* Encodes an error verdict into 'out' for 'post' (post_id peeked when
 * it can be; NULL allowed), saying 'msg', stamped with 'ruleset', its
 * generation 'gen' (0: none) and worker "medflagd". 0 or -1 (out of
 * memory). */
int		 mf_dispatch_error_verdict(const char *ruleset, uint64_t gen,
		    const void *post, size_t len, const char *msg,
		    mf_buf_t *out);

#endif
