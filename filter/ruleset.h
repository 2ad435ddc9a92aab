/*
 * ruleset.h - a compiled, immutable rule set: claims, rules (PCRE2 code
 * objects), policy and prefilter, with a content hash.
 *
 * Built once by mf_ruleset_load(); reload builds a new one and swaps a
 * pointer. Read-only after load, so several threads may scan with it.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_RULESET_H
#define MF_RULESET_H

#include <stddef.h>

#include "err.h"
#include "source.h"
#include "verdict.h"

typedef enum mf_tier {
	MF_TIER_MISLEADING = 0,
	MF_TIER_HARMFUL,
	MF_TIER_DANGEROUS
} mf_tier_t;

typedef struct mf_claim {
	char		*id;
	char		*title;
	char		*fact;
	char		**evidence;
	size_t		 nevidence;
	mf_tier_t	 tier;
	char		*category;	/* default: the file name without .rules */
	char		 review_by[11];	/* YYYY-MM-DD or "" */
	char		*file;		/* where it was defined */
	size_t		 line;
	size_t		 index;		/* position in the rule set */
} mf_claim_t;

typedef struct mf_pattern {
	char		*source;	/* as written, without slashes */
	char		*flags;		/* as written */
	void		*code;		/* pcre2_code * */
	size_t		 line, col;
} mf_pattern_t;

typedef enum mf_expect_kind {
	MF_EXPECT_MATCH = 0,	/* the rule asserts a hit */
	MF_EXPECT_NOMATCH,	/* no asserting hit (a question hit is allowed) */
	MF_EXPECT_QUESTION	/* a hit in a sentence that asks */
} mf_expect_kind_t;

typedef struct mf_expect {
	mf_expect_kind_t kind;
	char		*text;
	size_t		 line, col;
} mf_expect_t;

typedef struct mf_rule {
	char		*id;
	char		*claim_id;	/* as named, or the id before the last '.' */
	const mf_claim_t *claim;
	size_t		 claim_index;	/* of 'claim' in the rule set */
	double		 score;
	mf_pattern_t	*match;		/* every one must hit (AND) */
	size_t		 nmatch;
	mf_pattern_t	*unless;	/* none may hit in the sentence */
	size_t		 nunless;
	size_t		 near;		/* 0: anywhere in the post */
	int		 near_sentence;	/* `near sentence`: all in one */
	mf_mode_t	 mode;
	char		*lang;		/* informational, or NULL */
	mf_expect_t	*expect;
	size_t		 nexpect;
	char		*file;
	size_t		 line;
} mf_rule_t;

/* Thresholds and limits from policy.conf; see docs/rules.md. */
typedef struct mf_policy {
	double	annotate, flag, hold, block;	/* lowest score; < 0 means off */
	double	source_unreliable;	/* added per unreliable domain cited */
	double	source_vetted;		/* added per vetted domain cited */
	double	question_scale;		/* a question hit's score multiplier */
	double	source_unreliable_topic; /* unreliable source + health-topic */
	double	sarcasm_scale;		/* every hit, when post-sarcasm hits */
	double	rebuttal_scale;		/* every hit, when post-rebuttal hits */
	size_t	max_body;		/* bytes judged; the rest is truncated */
	size_t	max_hits;		/* hits reported per post */
	unsigned match_limit;		/* PCRE2 match limit per call */
	unsigned depth_limit;		/* PCRE2 depth limit per call */
	unsigned heap_limit_kib;	/* PCRE2 heap limit per call */
	unsigned budget_ms;		/* time budget per post */
	int	judge_quotes;		/* 1: quoted material is matched too */
	int	judge_agreed_quotes;	/* 1: ... when the reply after it
					 * opens agreeing with it */
	mf_action_t limit_action;	/* least action when a rule hits a limit */
	mf_action_t other_lang_max;	/* most action for a post in a
					 * language medflag does not read */
	mf_action_t other_lang_action;	/* least action for such a post */
	/* The model (learn.h), when the rules folder has one: it adds
	 * model_weight x log-odds of its probability, kept within
	 * [model_min, model_max]; from model_review up a post reaches the
	 * review queue (annotate, flag "review"). It never holds or blocks
	 * on its own. */
	mf_mode_t model_mode;		/* shadow unless policy.conf says */
	double	model_veto;		/* below it, asserting hits are */
	double	model_veto_scale;	/* scaled by this */
	double	model_veto_short;	/* model_veto for a post of fewer
					 * than model_veto_words words */
	double	model_weight;
	double	model_min, model_max;
	double	model_review;		/* < 0: off */
	double	model_review_question;	/* the same for a post that
					 * asks; < 0: off */
	double	model_asserts;		/* from this probability a
					 * question is taken as an
					 * assertion: question-scale does
					 * not apply; < 0: off */
	double	model_hint_question;	/* a post that asks, as near a
					 * claim family as this (the
					 * hint's score): annotate and
					 * review; < 0: off */
	double	model_veto_local;	/* in a post of this many words or
					 * more, a vetoed hit stands where
					 * the model finds its sentence and
					 * the next like a claim; < 0: off */
	double	model_veto_local_min;	/* below this probability of the
					 * whole post, model_veto_local
					 * keeps no hit; < 0: off */
	double	model_max_off_topic;	/* the most the model adds alone
					 * to a post that lacks the words
					 * of every rule of its claim (all
					 * parts but one); < 0: off */
	double	model_near;		/* alone, the model adds nothing
					 * and asks no review for a post
					 * less near a claim family (the
					 * hint's score); < 0: off */
	double	model_learn_rate;	/* one outcome moves its post's
					 * log-odds by about this much */
	unsigned model_veto_words;	/* MF_VETO_WORDS unless set */
} mf_policy_t;

/* A post this short gives the model a handful of features, and one of
 * them ("I'm sure of it") may swing it: it vetoes there from
 * model_veto_short (the default of model-veto-words). */
#define MF_VETO_WORDS	12

/* Defaults used when policy.conf is absent or silent. */
void		 mf_policy_defaults(mf_policy_t *p);
/* Parses a policy file into 'p' (which holds defaults first). Returns the
 * number of errors, each in 'diags'. */
int		 mf_policy_load(mf_policy_t *p, const char *path,
		    mf_diags_t *diags);
/* The action a score earns. */
mf_action_t	 mf_policy_action(const mf_policy_t *p, double score);

/*
 * One line `override RULE score N`, `override RULE mode M` or `override
 * RULE off` of a rules file (docs/rules.md, "Local overrides"): applied
 * once every file is read, in the order read, so a folder of local files
 * read after the curated ones changes a curated rule without editing it.
 * 'was_*' hold the rule's own values, for `medflag config`.
 */
typedef struct mf_override {
	char		*rule;		/* the rule's id */
	int		 sets_score;	/* 1: score; 0: mode */
	double		 score, was_score;
	mf_mode_t	 mode, was_mode;
	char		*file;
	size_t		 line;
} mf_override_t;

typedef struct mf_ruleset mf_ruleset_t;

/* The most languages a rule set tells apart by its rules' `lang`. */
#define MF_RULESET_LANGS	16

#define MF_LOAD_NO_PREFILTER	0x01u	/* build no prefilter (tests, bench) */
#define MF_LOAD_NO_JIT		0x02u
#define MF_LOAD_NO_MODEL	0x04u	/* leave DIR/medflag.model alone */

/*
 * Loads every DIR/ *.rules file (sorted by name) and DIR/policy.conf.
 * 'vetted' (may be NULL) is used to check that every evidence link is on a
 * vetted domain. Every problem goes to 'diags'; if any is an error, NULL is
 * returned and nothing is loaded. OWNS: caller (mf_ruleset_destroy).
 */
mf_ruleset_t	*mf_ruleset_load(const char *dir, const mf_sources_t *vetted,
		    unsigned opts, mf_diags_t *diags);
/*
 * The same, then every LOCAL/ *.rules file (sorted by name; LOCAL may be
 * NULL or missing): rules added by the operator, and `override` lines
 * that change a rule of DIR. policy.conf and the model come from DIR.
 */
mf_ruleset_t	*mf_ruleset_load_local(const char *dir, const char *local,
		    const mf_sources_t *vetted, unsigned opts,
		    mf_diags_t *diags);
/* Same for an explicit list of rule files and an optional policy path. */
mf_ruleset_t	*mf_ruleset_load_files(const char *const *files, size_t nfiles,
		    const char *policy, const mf_sources_t *vetted,
		    unsigned opts, mf_diags_t *diags);
/* Same from one in-memory rule text (tests, `medflag rules test`);
 * 'name' is used in diagnostics. */
mf_ruleset_t	*mf_ruleset_load_string(const char *name, const char *text,
		    const mf_policy_t *policy, const mf_sources_t *vetted,
		    unsigned opts, mf_diags_t *diags);
void		 mf_ruleset_destroy(mf_ruleset_t **self_p);

/* BORROWS: valid until the ruleset is destroyed. */
const char		*mf_ruleset_hash(const mf_ruleset_t *self); /* 16 hex */
const mf_policy_t	*mf_ruleset_policy(const mf_ruleset_t *self);
size_t			 mf_ruleset_size(const mf_ruleset_t *self);
const mf_rule_t		*mf_ruleset_rule(const mf_ruleset_t *self, size_t i);
size_t			 mf_ruleset_nclaims(const mf_ruleset_t *self);
const mf_claim_t	*mf_ruleset_claim_at(const mf_ruleset_t *self, size_t i);
const mf_claim_t	*mf_ruleset_claim(const mf_ruleset_t *self,
			    const char *id);
const mf_rule_t		*mf_ruleset_find(const mf_ruleset_t *self,
			    const char *id);
/* The overrides applied, in order. BORROWS: valid with the rule set. */
size_t			 mf_ruleset_noverrides(const mf_ruleset_t *self);
const mf_override_t	*mf_ruleset_override(const mf_ruleset_t *self,
			    size_t i);
/*
 * Whether language 'lang' (a post's: "it", "pt-BR") is 'tag' (a rule's
 * `lang`): the same primary subtag, in any case.
 */
int			 mf_lang_is(const char *lang, const char *tag);
/*
 * The length of the primary subtag of the language tag 'tag' ('n'
 * bytes: "pt" of "pt-BR"), when it names a language: two or three
 * letters, not one of the codes for none ("und", "mul", "zxx", "mis");
 * else 0. The subtags after it are not looked at.
 */
size_t			 mf_lang_primary(const char *tag, size_t n);
/* Whether a rule of the set is written for 'lang' (mf_lang_is()). */
int			 mf_ruleset_reads(const mf_ruleset_t *self,
			    const char *lang);
/* The model loaded from DIR/medflag.model, or NULL. */
const struct mf_model	*mf_ruleset_model(const mf_ruleset_t *self);
/* The prefilter, or NULL when built without one. */
const struct mf_prefilter *mf_ruleset_prefilter(const mf_ruleset_t *self);

const char	*mf_tier_name(mf_tier_t t);
/* Whether 's' ('n' bytes) is a rule id the rules language accepts. */
int		 mf_rule_id_valid(const char *s, size_t n);

#endif
