/*
 * match.h - run a rule set over a post and decide the verdict.
 *
 * A scanner holds the per-thread scratch space (PCRE2 match data, JIT
 * stack, normalizer buffers), so scanning allocates nothing on the hot path
 * except the verdict itself. One scanner per thread; rule sets are shared.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_MATCH_H
#define MF_MATCH_H

#include <stdint.h>

#include "err.h"
#include "normalize.h"
#include "post.h"
#include "ruleset.h"
#include "source.h"
#include "verdict.h"

typedef struct mf_scanner mf_scanner_t;

#define MF_SCAN_NO_PREFILTER	0x01u	/* run every rule (equivalence tests) */
#define MF_SCAN_KEEP_QUOTES	0x02u	/* judge quoted material too */
#define MF_SCAN_ONLY_RULE	0x04u	/* with mf_scan_rule(): one rule only */
#define MF_SCAN_NO_MODEL	0x08u	/* the rules alone (rules eval) */
#define MF_SCAN_NO_STARTS	0x10u	/* every pattern whole, at every
					   position (equivalence tests) */
#define MF_SCAN_EXPLAIN		0x20u	/* also report the rules an `unless`
					   cancelled (verdict 'suppressed') */
#define MF_SCAN_NO_BUDGET	0x40u	/* no time budget (measurements:
					   the same verdict whatever the
					   machine's load) */

/* OWNS: caller; free with mf_scanner_destroy(). NULL on ENOMEM. */
mf_scanner_t	*mf_scanner_new(mf_err_t *err);
void		 mf_scanner_destroy(mf_scanner_t **self_p);

/*
 * Judges 'post' with 'rules' and 'sources' (may be NULL: no source
 * scoring). Always produces a verdict unless memory runs out: a post that
 * cannot be judged gets status error and says why.
 * OWNS: *out belongs to the caller. Returns 0, or -1 on ENOMEM.
 */
int		 mf_scan(mf_scanner_t *self, const mf_ruleset_t *rules,
		    const mf_sources_t *sources, const mf_post_t *post,
		    unsigned opts, mf_verdict_t **out, mf_err_t *err);

/*
 * mf_scan with per-caller overrides (the worker's automatic shadowing of
 * rules that keep exceeding the time budget or PCRE2 limits). A rule whose
 * bit is set in 'shadow' (bit i = mf_ruleset_rule(rules, i)) is judged as
 * if its mode were shadow: its hits are reported with mode shadow and add
 * no score, a PCRE2 limit in it does not raise the action, the time it
 * takes does not count against the budget, and it is skipped once the
 * budget is spent. 'culprit' receives the index of the rule that hit a
 * PCRE2 limit first or, on a timeout, the slowest rule (timed only when
 * 'shadow' is not NULL), else MF_SCAN_NO_RULE.
 */
#define MF_SCAN_NO_RULE	((size_t)-1)
typedef struct mf_scan_opts {
	unsigned	 flags;		/* MF_SCAN_* */
	const unsigned char *shadow;	/* BORROWS: bitmap, or NULL */
	size_t		 nshadow;	/* bits in 'shadow' */
	size_t		 culprit;	/* out */
	/* BORROWS: the rule set's model as moderators taught it
	 * (mf_model_with), or NULL for the rule set's own. */
	const struct mf_model *model;
} mf_scan_opts_t;

int		 mf_scan_opts(mf_scanner_t *self, const mf_ruleset_t *rules,
		    const mf_sources_t *sources, const mf_post_t *post,
		    mf_scan_opts_t *opts, mf_verdict_t **out, mf_err_t *err);

/* Runs only 'rule' over 'text' (as a plain-text post) and reports whether
 * it hit and whether the hit was a question (for `expect` lines). */
int		 mf_scan_rule(mf_scanner_t *self, const mf_ruleset_t *rules,
		    const mf_rule_t *rule, const char *text, int *hit,
		    int *question, mf_err_t *err);

/* Runs every `expect` line of 'rules' (each against its own rule, as a
 * plain-text post). Each failure goes to 'diags' as an error at the expect
 * line. Returns the number of failures, or -1 on ENOMEM. medflagd refuses
 * a reload whose rules fail any. */
int		 mf_ruleset_test(const mf_ruleset_t *rules, mf_scanner_t *self,
		    mf_diags_t *diags);

/* The same for the `expect` lines of one rule of 'rules'. */
int		 mf_rule_test(const mf_ruleset_t *rules, mf_scanner_t *self,
		    const mf_rule_t *rule, mf_diags_t *diags);

/* BORROWS: the normalized text of the last scan (explain --normalized). */
const mf_norm_t	*mf_scanner_norm(const mf_scanner_t *self);

/* The post's text as rules see it under 'pol': its title (if any) and
 * a blank line before the body, each cut at max-body-bytes, quotes cut
 * unless the policy or 'opts' keep them, normalized into 'norm'
 * (reused; norm->body_at tells the title's offsets from the body's).
 * 0, or -1 with 'err' set. */
int		 mf_scan_text(mf_norm_t *norm, const mf_policy_t *pol,
		    const mf_post_t *post, unsigned opts, mf_err_t *err);
/* The post's language: its lang field when it is en, fr, es or de, else
 * told from the words of 'norm'; "" when it cannot be told. BORROWS. */
const char	*mf_post_lang(const mf_post_t *post, const mf_norm_t *norm);
/* Is 'lang' (what mf_post_lang() told) one the curated rules and the
 * model read, en, fr, es or de? "" (not told) counts as one. */
int		 mf_lang_ours(const char *lang);

/* Normalizes 'post' exactly as mf_scan() does before matching and tells
 * its language ("" when it cannot be told): what the model is trained on.
 * BORROWS: valid until the next call on 'self'. NULL with 'err' set. */
const mf_norm_t	*mf_scan_norm(mf_scanner_t *self, const mf_ruleset_t *rules,
		    const mf_post_t *post, const char **lang, mf_err_t *err);
/* The part of a normalized post the model reads ('*len' bytes): all of
 * it but quoted material its reply agrees with (norm->agreed), which
 * the rules read. BORROWS. */
static inline const char *
mf_scan_model_text(const mf_norm_t *norm, size_t *len)
{
	*len = norm->len - norm->agreed;
	return norm->text + norm->agreed;
}

/* Statistics of the last scan: rules run by PCRE2 (after prefilter). */
size_t		 mf_scanner_rules_run(const mf_scanner_t *self);

/*
 * Where the time of many scans goes and which rules run (`medflag scan
 * --stats`, `make bench`). Given to a scanner with mf_scanner_stats(),
 * every later mf_scan() on it adds to it. Timing costs a few clock reads
 * per post, so a scanner without one does not time anything. 'runs' (one
 * count per rule index, 'nruns' of them) and 'ns' (the time each rule took,
 * a clock read around every rule run) may be NULL.
 */
typedef struct mf_scan_stats {
	size_t		 posts;		/* posts judged */
	size_t		 rules;		/* rules of the set, summed per post */
	size_t		 candidates;	/* rules past the prefilter */
	size_t		 rules_run;	/* rules PCRE2 ran */
	/* Nanoseconds: normalizing, the literal scan of the prefilter,
	 * the rules (PCRE2 and the checks around it), the model, and the
	 * rest of mf_scan (the post's context: post-sarcasm and
	 * post-rebuttal, its language; sources, score, the verdict). */
	uint64_t	 ns_normalize, ns_litscan, ns_pcre, ns_model, ns_other;
	size_t		*runs;		/* BORROWS: per rule, or NULL */
	uint64_t	*ns;		/* BORROWS: per rule, PCRE2's time
					 * in nanoseconds, or NULL */
	size_t		 nruns;		/* of 'runs' and of 'ns' */
} mf_scan_stats_t;

/* BORROWS: 'stats' (NULL: no more statistics) until the next call. */
void		 mf_scanner_stats(mf_scanner_t *self, mf_scan_stats_t *stats);
/* Adds 'from' to 'into' (the jobs of one run); the runs of the rules
 * both count. */
void		 mf_scan_stats_add(mf_scan_stats_t *into,
		    const mf_scan_stats_t *from);

#endif
