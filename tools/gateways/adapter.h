/*
 * adapter.h - what the forum adapters share (`medflag discourse`,
 * `medflag mediawiki`, docs/adapters.md): the outbox of actions owed to
 * the forum, and the reason text a verdict gives moderators there.
 *
 * An outbox keeps each action (a flag on a post, a tag on a revision)
 * until the forum takes it: an action that fails for a while (the forum
 * down, 5xx, 429) is tried again after 1, 2, 4 ... 256 s, or after the
 * forum's Retry-After, until the retry horizon (adapter_retry_s, two days
 * by default) has passed since it was queued; one the forum refuses for
 * good is given up at once. With mf_outbox_keep() each action is also
 * kept in Redis until it is taken or given up, so it outlives a restart
 * of the adapter; what is kept is the reason without the quoted words of
 * the post (no post text in Redis), so an action done after a restart
 * says which rules and claims, not which words. Each outcome is one log
 * line naming the post or revision, never its text. It runs in a thread
 * of its own (mf_outbox_start) or in its caller's loop (mf_outbox_run).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_ADAPTER_H
#define MF_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "verdict.h"

#define MF_OUTBOX_MAX	10000	/* actions waiting, at most */

typedef struct mf_outbox mf_outbox_t;

/* One action: on post or revision 'id'; 'hide' for a hold; 'edited'
 * when the verdict is for an edit of the post; 'review' when it is an
 * annotate verdict flagged review (adapter_review), not a rule's flag. */
typedef struct mf_outbox_item {
	long long	 id;
	int		 hide, edited, review;
	char		*reason;	/* OWNS */
} mf_outbox_item_t;

/* Performs 'it'. Returns 0 when done (what was done in 'why'), 1 to try
 * again later (after '*retry_s' seconds when the forum said so), -1 to
 * give up; 'why' says what the forum answered. Clears it->hide when the
 * forum took the action without hiding (it is then counted as such). */
typedef int	 mf_outbox_fn(void *arg, mf_outbox_item_t *it,
		    long *retry_s, char *why, size_t cap);

typedef struct mf_outbox_counts {
	/* done counts every action taken; hidden and review those of
	 * them that were holds and review flags. */
	unsigned long long	done, hidden, review, failed, dropped, retries;
	unsigned long long	kept;	/* queued from an earlier run */
	size_t			pending;
	char			last_error[256];
} mf_outbox_counts_t;

struct mf_config;
/* 'prog' prefixes log lines, 'noun' names an id ("post", "revision"),
 * 'hint' follows a give-up; actions are retried for cfg->adapter_retry_s
 * and their reasons are Markdown, or one line of at most 'oneline' bytes.
 * BORROWS 'cfg' for the outbox's life. OWNS: caller (mf_outbox_destroy). */
mf_outbox_t	*mf_outbox_new(const char *prog, const char *noun,
		    const char *hint, const struct mf_config *cfg,
		    size_t oneline, mf_outbox_fn *fn, void *arg);
/* Keeps the actions in the configuration's Redis under 'forum' (its kind
 * and address, as "discourse:https://forum.example.org"), and
 * queues those an earlier run left there. Returns how many it queued, or
 * -1 when Redis cannot be read (logged; the outbox works in memory and
 * tries Redis again with each action). Call before the thread starts. */
int		 mf_outbox_keep(mf_outbox_t *self, const char *forum);
/* Queues the action verdict 'v' calls for on 'id', its reason quoting
 * 'body' (length 'blen'); 0, or -1 when MF_OUTBOX_MAX wait (then it is
 * counted as dropped and logged). Thread-safe. */
int		 mf_outbox_put(mf_outbox_t *self, long long id, int hide,
		    int edited, const mf_verdict_t *v, const char *body,
		    size_t blen);
/* Performs the actions that are due, in the caller's thread. */
void		 mf_outbox_run(mf_outbox_t *self);
/* Performs them in a thread of its own as they fall due. 0 or -1. */
int		 mf_outbox_start(mf_outbox_t *self);
/* Stops the thread if there is one, tries the waiting actions for up to
 * 'drain_ms', and logs how many are left undone. */
void		 mf_outbox_stop(mf_outbox_t *self, int drain_ms);
void		 mf_outbox_destroy(mf_outbox_t **self_p);
void		 mf_outbox_counts(mf_outbox_t *self, mf_outbox_counts_t *c);

/*
 * Why medflag acted, for moderators in the forum: the action and score,
 * each enforced claim with its tier and rule and the words each of the
 * rule's match lines found in 'body' (quoted, at most 120 bytes each;
 * none when 'body' is NULL),
 * unreliable sources linked, the counter-evidence. Multi-line Markdown
 * with the rule set's hash and seq; or, 'oneline', one line of at most
 * 'oneline' bytes (an edit summary or log reason) with the first
 * evidence link. Appends a NUL-terminated text to 'out'. 0 or -1.
 */
int		 mf_adapter_reason(const mf_verdict_t *v, const char *body,
		    size_t blen, size_t oneline, mf_buf_t *out);

struct mf_config;
/* Whether verdict 'v' goes to the forum's moderators: flag, hold and
 * block; and, with adapter_review, annotate flagged review (the model
 * asks a moderator to look at a post about a known claim no rule
 * flagged, or at a question near one). */
int		 mf_adapter_raises(const struct mf_config *cfg,
		    const mf_verdict_t *v);

/*
 * The moderators' outcomes. When an adapter acts on a verdict it keeps, in
 * the configuration's Redis, the feedback record of that action (post id,
 * revision, the rules of its enforce-mode hits; no text) under 'forum'
 * and 'id' (the post, or the wiki revision, acted on) for
 * MF_ACTED_TTL_S; when the forum tells how moderators decided, the record
 * is taken and stored as feedback (docs/protocol.md), so each rule's
 * precision in use moves.
 */
#define MF_ACTED_TTL_S	(90L * 86400)
/* Keeps the record of verdict 'v' acted on as 'id'. 0, or -1 (logged:
 * the outcome will not count). */
int		 mf_adapter_acted(const struct mf_config *cfg,
		    const char *forum, long long id, const mf_verdict_t *v);
/* Records the outcome on 'id': agreed (1) or overturned (0), by
 * moderator 'by' (NULL: unknown). Returns 1 when recorded (the rules in
 * 'why'), 0 when medflag has no action on record for 'id' (told twice,
 * expired, or not medflag's), -1 when Redis failed ('why' says so). */
int		 mf_adapter_outcome(const struct mf_config *cfg,
		    const char *forum, long long id, int agreed,
		    const char *by, char *why, size_t cap);

/* The first line of file 'path' (setting 'key'), malloc'd: an API key,
 * a webhook secret, a bot password. NULL with a message on stderr naming
 * 'prog', the setting and the fix ('what' says what the line holds).
 * OWNS: caller. */
char		*mf_adapter_secret(const char *prog, const char *key,
		    const char *path, const char *what);

#endif
