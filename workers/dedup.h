/*
 * dedup.h - medflagd's memory of recent verdicts, so that the same post
 * seen again (a resent check, a producer retrying an ingest) gets the
 * verdict it already had, flagged "duplicate", without a second scan.
 *
 * A post is known by a keyed hash (SipHash-2-4, a random key per run) of
 * the decoded fields its verdict depends on (mf_dedup_key); error
 * verdicts are never kept. The table keeps
 * that hash and the worker's encoded verdict (never the post text).
 * A record is in flight (its post is queued or on a worker: later copies
 * wait on it and are answered with the one verdict) or done (answered
 * from memory until dedup_window_s passes). Done records are bounded in
 * count and bytes and dropped oldest first; in-flight records are bounded
 * by the queue and the workers' credit. Private to medflagd.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_DEDUP_H
#define MF_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "post.h"

#define MF_DEDUP_MAX_WAITERS	256

typedef struct mf_dwait {
	void		*ident;		/* OWNS: check client identity */
	size_t		 identlen;
	int		 from_check;
} mf_dwait_t;

typedef struct mf_drec {
	uint64_t	 k[2];
	int		 done;
	void		*verdict;	/* OWNS: the worker's encoded verdict */
	size_t		 len;
	size_t		 cap;		/* bytes allocated at 'verdict' */
	int		 action, status;
	unsigned	 meta;
	/* The rule set generation that judged it (the dispatcher's: it
	 * stamps the copies' answers with it). */
	uint64_t	 gen;
	int64_t		 t_ms;		/* when the verdict came */
	struct mf_drec	*hnext;		/* hash chain */
	struct mf_drec	*older, *newer;	/* done records, by t_ms */
	mf_dwait_t	*wait;		/* copies that arrived in flight */
	size_t		 nwait;
} mf_drec_t;

typedef struct mf_dedup {
	mf_drec_t	**ht;
	size_t		 htcap;
	size_t		 n, ndone, bytes;
	mf_drec_t	*oldest, *newest;
	uint64_t	 sipkey[4];	/* two 128-bit keys */
	int		 window_s;
	size_t		 max_entries;	/* done records kept, at most */
	size_t		 max_bytes;	/* their verdicts' bytes, at most */
	mf_drec_t	*spare;		/* freed records for reuse (hnext) */
	size_t		 nspare;
	/* Stats. */
	uint64_t	 hits, waited, expired, evicted, refused;
} mf_dedup_t;

/* Prepares the table: done records live 'window_s' seconds, at most
 * 'max_entries' of them and 'max_bytes' of verdicts (the oldest go
 * first); the hash table is sized for 'max_entries'. 'window_s' 0
 * disables deduplication. 0 or -1. */
int		 mf_dedup_init(mf_dedup_t *self, int window_s,
		    size_t max_entries, size_t max_bytes);
void		 mf_dedup_free(mf_dedup_t *self);
/* The key of a decoded post, over the fields its verdict depends on or
 * echoes (instance, post_id, revision, body, body_format, lang,
 * deadline_ms, ext): 0, or -1 when it has no post_id (such a post is
 * never deduplicated). */
int		 mf_dedup_key(const mf_dedup_t *self, const mf_post_t *p,
		    uint64_t key[2]);
/* BORROWS: the live record for 'key', or NULL (an expired one is
 * dropped). */
mf_drec_t	*mf_dedup_find(mf_dedup_t *self, const uint64_t key[2],
		    int64_t now_ms);
/* A new in-flight record for 'key' (BORROWS; NULL on ENOMEM). */
mf_drec_t	*mf_dedup_begin(mf_dedup_t *self, const uint64_t key[2]);
/* Attaches a waiter (ident copied). 0, or -1 when it has too many. */
int		 mf_dedup_wait(mf_dedup_t *self, mf_drec_t *r,
		    const void *ident, size_t identlen, int from_check);
/* Stores the verdict (copied) of an in-flight record; the caller then
 * answers r->wait[] and calls mf_dedup_clear_waiters(). 0 or -1 (the
 * record is dropped). */
int		 mf_dedup_finish(mf_dedup_t *self, mf_drec_t *r,
		    const void *verdict, size_t len, int action, int status,
		    unsigned meta, int64_t now_ms);
void		 mf_dedup_clear_waiters(mf_drec_t *r);
/* Drops done records past the window, then the oldest while over the
 * count or byte bound (after a finish, once its waiters are answered). */
void		 mf_dedup_trim(mf_dedup_t *self, int64_t now_ms);
/* Drops an in-flight record whose post will get no verdict. */
void		 mf_dedup_abandon(mf_dedup_t *self, mf_drec_t *r);
/* Drops a record, done or not (a verdict not to keep: an error). */
void		 mf_dedup_drop(mf_dedup_t *self, mf_drec_t *r);

#endif
