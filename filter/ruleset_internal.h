/*
 * ruleset_internal.h - the rule set's insides, shared by rules_parse.c
 * (reader), ruleset.c (compiler) and match.c (matcher). Never installed.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_RULESET_INTERNAL_H
#define MF_RULESET_INTERNAL_H

#include "prefilter.h"
#include "ruleset.h"

/* A named pattern: `define NAME /re/` at the top level of any rules file,
 * used as `match @NAME` or inside a pattern as {{NAME}}. A `lexicon NAME`
 * block is one too, written as `words` lines (joined as alternatives) and
 * carrying its own `expect` lines, tested against \b(?:NAME)\b. */
typedef struct mf_define {
	char		*name;
	char		*source;
	char		*file;
	size_t		 line, col;
	int		 lexicon;
	char		*lang;		/* a lexicon's language, or NULL */
	mf_expect_t	*expect;
	size_t		 nexpect;
	mf_pattern_t	 test;		/* \b(?:{{NAME}})\b, for the expects */
} mf_define_t;

/* One compiled pattern, shared by every pattern of the rule set written
 * with the same flags and the same source once {{NAME}}s are expanded:
 * `unless @en-negation` in 300 rules is one pcre2_code, compiled and JIT
 * compiled once, and its literals are extracted once. */
struct mf__ls;

#define MF_PARTS_MAX	32	/* more branches: a code runs whole */

typedef struct mf_code {
	char		*key;	/* flags as 8 hex digits, expanded source */
	char		*src;	/* normalized source, as compiled */
	void		*code;	/* pcre2_code *, owned here */
	mf_litreq_t	*req;	/* its literals, once the prefilter asked */
	/* When every match starts with one of a few literals (startlit.c):
	 * their numbers in the rule set's start scanner (a bit each), and
	 * 'code' compiled with PCRE2_USE_OFFSET_LIMIT and JIT compiled, so
	 * that match.c tries it only where one of them starts (an offset
	 * limit at the start offset: a match there or none). NULL and 0
	 * when not. 'slit' only while compiling. */
	char		**slit;
	size_t		  nslit;
	uint64_t	 *smask;
	int		  starts;
	/* When PCRE2 would try 'code' at every position of a text (no
	 * first character, no start bitmap: one branch that may start
	 * anywhere costs every branch that): its top-level branches
	 * compiled apart (altsplit.c), runs of those that may start
	 * anywhere kept together, in the order of the pattern. match.c
	 * finds the leftmost match of any, the first part on a tie: where
	 * 'code' matches, as long. NULL and 0 when not. */
	void		**parts;	/* pcre2_code * */
	size_t		  nparts;
} mf_code_t;

struct mf_ruleset {
	mf_define_t	 *defines;
	size_t		  ndefines;
	mf_claim_t	**claims;
	size_t		  nclaims, capclaims;
	mf_rule_t	**rules;
	size_t		  nrules, caprules;
	mf_claim_t	**claims_by_id;	/* sorted, for lookups */
	mf_rule_t	**rules_by_id;
	mf_override_t	 *overrides;	/* `override` lines, as read */
	size_t		  noverrides, capoverrides;
	mf_policy_t	  policy;
	char		  hash[17];
	uint64_t	  hstate;	/* FNV-1a over every input byte */
	unsigned long	  serial;	/* one per rule set loaded: a new one
					 * may land where an old one was */
	mf_prefilter_t	 *pf;
	unsigned	  opts;
	void		 *mctx;		/* pcre2_match_context with limits */
	size_t		  max_match;	/* most `match` lines in one rule */
	/* The post's context, from the named patterns `health-topic`,
	 * `post-sarcasm` and `post-rebuttal` when they are defined (code
	 * NULL otherwise). */
	mf_pattern_t	  topic, sarcasm, rebuttal;
	/* post-sarcasm as its branches PCRE2 anchors at the start of the
	 * text and the others (altsplit.c); NULL when it is not split. */
	void		 *sarcasm_half[2];	/* pcre2_code * */
	/* The literals one of which every match of sarcasm_half[1] holds,
	 * or NULL. The prefilter takes them as one more rule, numbered
	 * nrules: a post in which it finds none is not searched. */
	mf_litreq_t	 *sarcasm_req;
	struct mf_model	 *model;	/* DIR/medflag.model, or NULL */
	/* The languages the rules are written for (`lang`), each once, in
	 * lower case: a post in one of them is read by its rules, whether
	 * or not it is one of en, fr, es, de (match.c). */
	char		  langs[MF_RULESET_LANGS][4];
	size_t		  nlangs;
	/* Every distinct compiled pattern; patterns borrow their code. */
	mf_code_t	 *codes;
	size_t		  ncodes, capcodes;
	size_t		 *slots;	/* open addressing: index + 1, or 0 */
	size_t		  nslots;
	/* Every code's start literals, found in a post in one pass. */
	struct mf__ls	 *starts;
	size_t		 *startlen;
};

/* Parses one rules file's text into 'rs' (claims and rules, uncompiled,
 * claim references unresolved: rule->claim is NULL, rule->claim_id set).
 * Every problem goes to 'diags'. Returns the number of errors. */
int	mf__rules_parse(mf_ruleset_t *rs, const char *file, const char *text,
	    size_t len, mf_diags_t *diags);
void	mf__claim_free(mf_claim_t *c);
/* Expands {{NAME}} references in 'src' with the rule set's defines, each
 * wrapped in (?:...), recursively (at most 8 deep). OWNS: caller. NULL
 * with a message in 'why' (unknown name, too deep, out of memory). */
char	*mf__define_expand(const mf_ruleset_t *rs, const char *src,
	    char *why, size_t whylen);
void	mf__rule_free(mf_rule_t *r);
/* The literals every match of 'src' (a pattern as compiled, caseless,
 * not extended) starts with, folded and at most 8 bytes each, into
 * '*lits' (OWNS: caller, each and the array); *lits NULL when matches
 * may start otherwise or the pattern is beyond its reader (startlit.c).
 * 0, or -1 on ENOMEM. */
int	mf__start_lits(const char *src, char ***lits, size_t *nlits);
/* The shared code of compiled pattern 'code', or NULL. */
const mf_code_t	*mf__ruleset_code(const mf_ruleset_t *rs, const void *code);

#endif
