/*
 * store.h - medflag's Redis store: the source lists (two SETs and a version
 * key) and the verdict journal (a bounded stream), over one hiredis
 * connection.
 *
 * Not responsible for retrying or backoff: a store in error is destroyed
 * by its owner, which makes a new one when it sees fit. Post text never
 * goes through here; the journal holds encoded verdicts only. Programs
 * using it ignore SIGPIPE: hiredis writes to a socket that the server may
 * have closed.
 *
 * Keys (prefix from the config, default "medflag:"):
 *   <prefix>sources:vetted       SET of domains
 *   <prefix>sources:unreliable   SET of domains
 *   <prefix>sources:version      string, INCR on every change
 *   <prefix>sources:local:vetted, sources:local:unreliable
 *                                SETs: what `sources add` added, which
 *                                `sources load` puts back
 *   <prefix>journal              STREAM, fields "seq" (decimal) and "v"
 *                                (msgpack verdict), auto IDs, MAXLEN ~
 *   <prefix>rules:hits           HASH rule id -> enforce hits, all time
 *   <prefix>rules:shadow_hits    HASH rule id -> shadow hits, all time
 *   <prefix>feedback:agreed      HASH rule id -> moderators agreed
 *   <prefix>feedback:overturned  HASH rule id -> moderators overturned
 *   <prefix>feedback             STREAM of outcomes: post_id, revision,
 *                                outcome, rules (comma-separated), by;
 *                                auto IDs, MAXLEN ~
 *   <prefix>acted:FORUM:ID       string: the feedback record (JSON, no
 *                                outcome, no text) of a forum adapter's
 *                                flag or tag on post or revision ID,
 *                                until the forum's outcome comes back;
 *                                expires
 *   <prefix>outbox:FORUM         HASH: actions an adapter owes the forum
 *   <prefix>rules:demoted        HASH rule id -> "AGREED OVERTURNED TIME":
 *                                rules the moderators' precision sent to
 *                                shadow (unix TIME), until restored
 *   <prefix>rules:demoted:version string, INCR on every change of it
 *   <prefix>rules:restored:agreed, <prefix>rules:restored:overturned
 *                                HASH rule id -> the counts of the
 *                                feedback hashes when a person restored
 *                                the rule: precision counts from there
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_STORE_H
#define MF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "medflag.h"
#include "config.h"
#include "rulehits.h"

typedef struct mf_store mf_store_t;

/* Connects to cfg->redis ("redis://[:password@]host:port/db" or
 * "unix:///path[?db=N]"), with 'timeout_ms' for the connection and for
 * every command; AUTHs with the URL password or cfg->redis_password, then
 * SELECTs the database. NULL on failure with a message in 'errbuf' of the
 * form "redis HOST:PORT: what; hint".
 * OWNS: caller; free with mf_store_destroy(). */
mf_store_t	*mf_store_connect(const mf_config_t *cfg, int timeout_ms,
		    char *errbuf, size_t errcap);
/* Frees *self_p and sets it to NULL; does nothing if it is NULL. */
void		 mf_store_destroy(mf_store_t **self_p);
/* BORROWS: the last error ("" if none). Once a command failed on the
 * connection (not a Redis error reply) mf_store_broken() is 1: destroy it
 * and connect again. */
const char	*mf_store_error(const mf_store_t *s);
int		 mf_store_broken(const mf_store_t *s);
/* BORROWS: "HOST:PORT" or "unix:/path", for messages. */
const char	*mf_store_name(const mf_store_t *s);

/* Parses a redis URL into its parts (exposed for tests and `medflagd -n`).
 * 'host' receives the host name or the unix socket path; 'port' is 0 for a
 * unix socket. Returns 0, or -1 with a message in 'errbuf'. */
int		 mf_store_parse_url(const char *url, char *host, size_t hostcap,
		    int *port, int *db, char *password, size_t pwcap,
		    char *errbuf, size_t errcap);

/* Source lists. Every function returns 0 on success and -1 on error
 * (message in mf_store_error()). */
int		 mf_store_sources_version(mf_store_t *s, long long *version);
/* A snapshot of both lists whose mf_sources_version() is the decimal
 * version read in the same transaction ("0" when the key is absent).
 * Entries that are not valid host names are skipped.
 * OWNS: caller (mf_sources_destroy). NULL on error. */
mf_sources_t	*mf_store_sources_fetch(mf_store_t *s);
/* Adds 'domain' (cleaned as mf_domain_clean does) to 'list', removes it
 * from the other list, bumps the version. -1 for an invalid domain too. */
int		 mf_store_sources_add(mf_store_t *s, const char *domain,
		    mf_list_t list);
/* Removes 'domain' from both lists and bumps the version. Returns 0 if it
 * was removed, 1 if it was in neither list (nothing changes), -1 on error. */
int		 mf_store_sources_remove(mf_store_t *s, const char *domain);
/* Replaces both lists with the contents of 'src' in one MULTI/EXEC and
 * bumps the version, then puts back over them what mf_store_sources_add()
 * added since (kept in sets of their own, which mf_store_sources_remove()
 * edits too); kept[0] and kept[1] (when not NULL) get how many vetted and
 * unreliable local additions there are. */
int		 mf_store_sources_replace(mf_store_t *s, const mf_sources_t *src,
		    long long kept[2]);

/* Moderator feedback: one outcome (agreed 1: the flag was right; 0: it
 * was overturned) on the verdict of post 'post_id' ('revision' and 'by'
 * may be ""), counted for each of 'rules' and kept in the feedback stream
 * (MAXLEN ~ 'max'), all in one MULTI/EXEC. */
int		 mf_store_feedback_add(mf_store_t *s, const char *post_id,
		    const char *revision, int agreed, const char *const *rules,
		    size_t nrules, const char *by, size_t max);
/*
 * An adapter of 'forum' ("discourse:https://forum.example.org": the kind
 * and the instance, so that two forums' ids never meet) acted on post or
 * revision 'id':
 * 'record' (the feedback record of that verdict without its outcome: post
 * id, revision, rule ids; never text) is kept for 'ttl_s' seconds, so
 * that the moderators' outcome can be counted when the forum tells it.
 * 0 or -1.
 */
int		 mf_store_acted_put(mf_store_t *s, const char *forum,
		    const char *id, const char *record, long ttl_s);
/* Webhook deliveries already judged, by the forum's event id, for
 * 'ttl_s' seconds: seen gives 1 when 'event' was put (and has not
 * expired), 0 when not, -1 on error; put gives 0 or -1. */
int		 mf_store_event_seen(mf_store_t *s, const char *forum,
		    const char *event);
int		 mf_store_event_put(mf_store_t *s, const char *forum,
		    const char *event, long ttl_s);
/* Takes that record (read and deleted, so an outcome told twice counts
 * once): 1 with it appended to 'out', 0 when there is none (never acted
 * on, expired, or taken already), -1 on error. */
int		 mf_store_acted_take(mf_store_t *s, const char *forum,
		    const char *id, mf_buf_t *out);
/*
 * Demotion by the moderators' feedback. demote marks rule 'id' demoted
 * with the counts that decided it: 1 when it was not demoted before, 0
 * when it was, -1 on error. restore takes it out of the demoted hash and
 * records the rule's feedback counts as its new baseline: 1, 0 when it
 * was not demoted, -1. demoted appends the demoted ids, comma-separated,
 * to 'ids' ("" none) with their details in 'detail' (NULL: not wanted;
 * "ID AGREED OVERTURNED TIME" lines); demoted_version reads the version
 * key (0 before any demotion). restored adds the baselines to 'out'
 * (hits = agreed, shadow = overturned, as mf_store_feedback_counts).
 */
int		 mf_store_demote(mf_store_t *s, const char *id,
		    uint64_t agreed, uint64_t overturned);
int		 mf_store_restore(mf_store_t *s, const char *id);
int		 mf_store_demoted(mf_store_t *s, mf_buf_t *ids,
		    mf_buf_t *detail);
int		 mf_store_demoted_version(mf_store_t *s, long long *version);
int		 mf_store_restored(mf_store_t *s, mf_rulehits_t *out);
/*
 * A forum adapter's outbox (adapter.h), kept across restarts: the hash
 * <prefix>outbox:FORUM, one field per action waiting for the forum, its
 * value the action as JSON (ids, the reason without post text, when it
 * was first queued). put sets a field, del removes it (0 or -1); all
 * calls 'fn' for each field, stopping at its first non-zero return:
 * 0, or -1 on error.
 */
int		 mf_store_outbox_put(mf_store_t *s, const char *forum,
		    const char *field, const char *json);
int		 mf_store_outbox_del(mf_store_t *s, const char *forum,
		    const char *field);
typedef int	 mf_store_outbox_fn(const char *field, const char *json,
		    size_t len, void *arg);
int		 mf_store_outbox_all(mf_store_t *s, const char *forum,
		    mf_store_outbox_fn *fn, void *arg);
/*
 * What moderators taught the model (learn.h), kept per model (its hash:
 * a retrained model starts afresh) and never with post text: the weight
 * changes of one outcome added to the hash learn:delta:HASH (one field per
 * bucket, so at most 2^bits fields), who taught it counted, the model's
 * answer before the lesson and the outcome kept in a list of the last
 * MF_LEARN_RECENT, and learn:version bumped so workers fetch the sum.
 * All in one MULTI/EXEC.
 */
#define MF_LEARN_RECENT	1000
int		 mf_store_learn_add(mf_store_t *s, const char *model_hash,
		    const mf_model_delta_t *d, size_t n, const char *by,
		    double p_before, int label);
int		 mf_store_learn_version(mf_store_t *s, long long *version);
/* Every weight change taught to model 'model_hash'. OWNS: *out (free).
 * 0 or -1. */
int		 mf_store_learn_fetch(mf_store_t *s, const char *model_hash,
		    mf_model_delta_t **out, size_t *n);
typedef struct mf_learn_status {
	long long	 taught;	/* outcomes taught */
	long long	 buckets;	/* weights changed */
	size_t		 recent, recent_flagged, recent_flagged_right;
	size_t		 recent_right;	/* the model's answer agreed */
	char		 by[8][64];	/* the most active teachers */
	long long	 by_n[8];
	size_t		 nby;
} mf_learn_status_t;
int		 mf_store_learn_status(mf_store_t *s, const char *model_hash,
		    mf_learn_status_t *st);
/* The counts per rule into 'out' (added to what it holds): 'hits' is
 * agreed and 'shadow' overturned. */
int		 mf_store_feedback_counts(mf_store_t *s, mf_rulehits_t *out);

/* Per-rule hits of all time (medflagd's journal thread adds what workers
 * report): adds the counts of 'h' with HINCRBY, pipelined. 0 or -1. */
int		 mf_store_rule_hits_add(mf_store_t *s, const mf_rulehits_t *h);
/* Reads them into 'out' (added to what it holds). 0 or -1. */
int		 mf_store_rule_hits(mf_store_t *s, mf_rulehits_t *out);

/* Verdict journal. Appends (seq, msg) with XADD MAXLEN ~ 'max'. */
int		 mf_store_journal_append(mf_store_t *s, uint64_t seq,
		    const void *msg, size_t len, size_t max);
/* Appends 'n' entries the same way in one pipelined round trip; '*done'
 * receives how many were appended, in order, before any failure.
 * Returns 0 when all were, -1 otherwise (mf_store_error()). */
int		 mf_store_journal_append_many(mf_store_t *s, size_t n,
		    const uint64_t *seq, const void *const *msg,
		    const size_t *len, size_t max, size_t *done);
/* Called for each replayed entry; a non-zero return stops the replay. */
typedef int	(*mf_store_journal_fn)(uint64_t seq, const void *msg,
		    size_t len, void *arg);
/* Calls 'fn' for the journalled verdicts with seq >= 'since', oldest
 * first, at most 'limit' of them (0 = no limit). Only the newest run of
 * seq numbers is replayed: if seq went backwards (medflagd restarted and
 * numbered from 1 again) older entries are not included. Returns the
 * number of entries delivered, or -1 on error. */
int		 mf_store_journal_since(mf_store_t *s, uint64_t since,
		    size_t limit, mf_store_journal_fn fn, void *arg);
/* The seq of the newest journal entry in '*seq' (0 if the journal is
 * empty), so that a restarted medflagd can continue the numbering. */
int		 mf_store_journal_last(mf_store_t *s, uint64_t *seq);
/* The journal's entries (XLEN) in '*n' and the bytes Redis says it
 * takes (MEMORY USAGE, sampled) in '*bytes'; both 0 when it does not
 * exist. 0 or -1. */
int		 mf_store_journal_size(mf_store_t *s, uint64_t *n,
		    uint64_t *bytes);

/* Reads one journal stream entry 'e' ([id, [field, value, ...]]) as
 * returned by XRANGE: its ID, seq and msgpack verdict. BORROWS: the strings
 * belong to 'e'. 0 if it has a seq, -1 if not. */
struct redisReply;
int		 mf_store_journal_entry(const struct redisReply *e,
		    const char **id, uint64_t *seq, const char **msg,
		    size_t *len);

#endif
