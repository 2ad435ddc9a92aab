/*
 * verdict.h - a verdict and its explanation: which claim, which rule,
 * where in the original text, which sources, which evidence.
 *
 * Plain data with a constructor and a destructor. Not responsible for
 * deciding (match.c) or encoding (wire.c).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_VERDICT_H
#define MF_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "post.h"

typedef enum mf_status {
	MF_STATUS_OK = 0,
	MF_STATUS_ERROR,	/* the post could not be judged; see 'error' */
	MF_STATUS_TIMEOUT,	/* the time budget ran out; sent to a human */
	MF_STATUS_SKIPPED	/* nothing to judge (e.g. empty after quotes) */
} mf_status_t;

typedef enum mf_action {
	MF_ACT_NONE = 0,
	MF_ACT_ANNOTATE,
	MF_ACT_FLAG,
	MF_ACT_HOLD,
	MF_ACT_BLOCK
} mf_action_t;

typedef enum mf_list {
	MF_LIST_UNKNOWN = 0,
	MF_LIST_VETTED,
	MF_LIST_UNRELIABLE
} mf_list_t;

/* Verdict flags (wire: array of names). */
#define MF_VF_SOURCES_STALE	0x01u	/* "sources_stale" */
#define MF_VF_DUPLICATE		0x02u	/* "duplicate" */
#define MF_VF_TRUNCATED		0x04u	/* "truncated": body over the limit */
#define MF_VF_RULE_LIMIT	0x08u	/* "rule_limit": a rule hit a PCRE2 limit */
#define MF_VF_INVALID_UTF8	0x10u	/* "invalid_utf8": repaired before matching */
#define MF_VF_QUOTES_SKIPPED	0x20u	/* "quotes_skipped": quoted text not judged */
#define MF_VF_SARCASM		0x40u	/* "sarcasm": hits scaled by sarcasm-scale */
#define MF_VF_UNRELIABLE_TOPIC	0x80u	/* "unreliable_topic": an unreliable
					 * source cited on a health topic */
#define MF_VF_REVIEW		0x100u	/* "review": the model asks a moderator
					 * to look though no rule flagged */
#define MF_VF_SHADOW		0x200u	/* "shadow": medflagd runs detect only
					 * (mode shadow): the action is what
					 * would be done; adapters do nothing */
#define MF_VF_EXT_DROPPED	0x400u	/* "ext_dropped": at rest (the journal),
					 * a verdict too big to keep whole */
#define MF_VF_REBUTTAL		0x800u	/* "rebuttal": hits scaled by
					 * rebuttal-scale */
#define MF_VF_OFF_TOPIC		0x1000u	/* "off_topic": the model alone was
					 * held below flag, the post lacking
					 * its claim's words
					 * (model-max-off-topic) */
#define MF_VF_LANG_UNSUPPORTED	0x2000u	/* "lang_unsupported": written in a
					 * language the rules and the model
					 * do not read (other-lang-max) */
#define MF_VF_QUOTE_AGREED	0x4000u	/* "quote_agreed": the reply opens
					 * agreeing with the quoted material
					 * before it, judged as its writer's
					 * (judge-agreed-quotes) */
#define MF_VF_COUNT		15

typedef struct mf_span {
	size_t		start, end;	/* byte offsets into the ORIGINAL field,
					 * end exclusive */
	mf_field_t	field;		/* the body, or the title */
} mf_span_t;

typedef enum mf_mode {
	MF_MODE_ENFORCE = 0,
	MF_MODE_SHADOW,
	MF_MODE_OFF
} mf_mode_t;

typedef struct mf_hit {
	char		*rule;		/* rule id */
	char		*claim;		/* claim id */
	char		*category;
	char		*tier;		/* dangerous | harmful | misleading */
	double		 score;		/* what this hit added (0 for shadow) */
	mf_mode_t	 mode;		/* enforce | shadow */
	int		 question;	/* the sentence asks rather than asserts */
	double		 probability;	/* the model's hit: its probability;
					 * 0 for a rule's */
	double		 local;		/* a rule's hit the veto spared
					 * (model-veto-local): the model's
					 * probability of its sentence and
					 * the next; else 0. In process
					 * only, not on the wire */
	char		*error;		/* "match limit", "depth limit", ...; NULL */
	mf_span_t	*spans;		/* one per 'match' line, in rule order */
	size_t		 nspans;
	/* A suppressed hit (MF_SCAN_EXPLAIN): the `unless` pattern, as
	 * written, that cancelled it, and where it stood; else NULL. */
	char		*unless;
	mf_span_t	 unless_span;
} mf_hit_t;

typedef struct mf_srcref {
	char		*url;
	char		*domain;	/* registrable domain of the host */
	mf_list_t	 list;
} mf_srcref_t;

typedef struct mf_verdict {
	int		 v;
	char		*post_id;
	char		*revision;
	int		 revision_is_int;
	char		*instance;
	mf_raw_t	 ext;		/* echoed from the post */
	mf_status_t	 status;
	char		*error;		/* NULL unless status is error/timeout */
	mf_action_t	 action;
	double		 score;
	mf_hit_t	*hits;
	size_t		 nhits;
	mf_srcref_t	*sources;
	size_t		 nsources;
	char		**evidence;	/* vetted links for the claims hit */
	size_t		 nevidence;
	char		*ruleset;	/* content hash of the rule set */
	char		*sources_version;
	char		*worker;
	uint64_t	 latency_us;
	uint64_t	 seq;
	uint64_t	 gen;		/* rule set generation of medflagd
					 * that judged it; 0: not stamped */
	unsigned	 flags;		/* MF_VF_* */
	/* With MF_SCAN_EXPLAIN only (explain, the console's "Try a post"):
	 * the rules whose every `match` hit but an `unless` cancelled. */
	mf_hit_t	*suppressed;
	size_t		 nsuppressed;
} mf_verdict_t;

/* Empty verdict (status ok, action none) for 'post_id' (copied; may be
 * NULL for a line that had none). NULL if out of memory.
 * OWNS: caller; free with mf_verdict_destroy(). */
mf_verdict_t	*mf_verdict_new(const char *post_id);
/* Verdict for 'post': copies post_id, revision, instance and ext. */
mf_verdict_t	*mf_verdict_for(const mf_post_t *post);
/* A deep copy; NULL if out of memory. */
mf_verdict_t	*mf_verdict_dup(const mf_verdict_t *self);
void		 mf_verdict_destroy(mf_verdict_t **self_p);

/* Sets status (error/timeout/...) and the message (copied). 0 or -1. */
int		 mf_verdict_set_error(mf_verdict_t *self, mf_status_t status,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a zeroed hit and returns it (owned by 'self'); NULL on ENOMEM. */
mf_hit_t	*mf_verdict_add_hit(mf_verdict_t *self);
/* The same in 'suppressed'. */
mf_hit_t	*mf_verdict_add_suppressed(mf_verdict_t *self);
int		 mf_verdict_add_source(mf_verdict_t *self, const char *url,
		    const char *domain, mf_list_t list);
/* Appends 'url' unless it is already there. */
int		 mf_verdict_add_evidence(mf_verdict_t *self, const char *url);
int		 mf_verdict_set_str(char **field, const char *value);
/* Makes 'self' fit to keep at rest (the verdict journal): the url of
 * each source cut to its host, so that no path or query string of a
 * post's links is stored (a url without a host becomes its domain, or
 * is dropped). Returns 0, or -1 on ENOMEM. */
int		 mf_verdict_links_to_hosts(mf_verdict_t *self);

const char	*mf_status_name(mf_status_t s);
const char	*mf_action_name(mf_action_t a);
const char	*mf_list_name(mf_list_t l);
const char	*mf_mode_name(mf_mode_t m);
const char	*mf_vflag_name(unsigned bit);	/* NULL for an unknown bit */
int		 mf_status_parse(const char *s, mf_status_t *out);
int		 mf_action_parse(const char *s, mf_action_t *out);
int		 mf_list_parse(const char *s, mf_list_t *out);
int		 mf_mode_parse(const char *s, mf_mode_t *out);
int		 mf_vflag_parse(const char *s, unsigned *bit);

#endif
