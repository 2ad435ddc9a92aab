/*
 * prefilter.h - required literals of rules and a multi-literal scanner,
 * so that only rules whose literals all occur in a post run PCRE2.
 *
 * Internal to libmedflag (built by ruleset.c, used by match.c).
 * The prefilter may never drop a true match: extraction is conservative;
 * a pattern whose literals cannot be derived makes its rule run always.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_PREFILTER_H
#define MF_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct mf_prefilter mf_prefilter_t;

/* What one pattern needs: any match contains at least one of 'lits'
 * (already case-folded), or 'always' when nothing could be derived. */
typedef struct mf_litset {
	char	**lits;
	size_t	 nlits;
} mf_litset_t;

/* Where two sets of one pattern stand: a match holds a literal of set
 * 'a' that ends at most 'max' bytes before a literal of set 'b' starts
 * (MF_LITGAP_ANY: anywhere after it). Sets are numbered 0 for 'lits',
 * k + 1 for also[k]. */
#define MF_LITGAP_ANY	UINT32_MAX
typedef struct mf_litgap {
	uint32_t	a, b;
	uint32_t	max;
} mf_litgap_t;

typedef struct mf_litreq {
	char	**lits;
	size_t	 nlits;
	int	 always;
	char	 why[128];	/* why 'always', for `medflag rules check` */
	/* Further parts of the same match, all required too (AND): any
	 * match also contains one literal of each also[k]. NULL/0 if none;
	 * freed by mf_litreq_free(). */
	mf_litset_t *also;
	size_t	 nalso;
	/* The order and distance of those sets in a match, where the
	 * pattern says (/5g\W{0,6}(?:=|is)\W{0,6}covid/); NULL/0 if not.
	 * Freed by mf_litreq_free(). */
	mf_litgap_t *gaps;
	size_t	 ngaps;
} mf_litreq_t;

/* Derives the requirement of one PCRE2 pattern source (as compiled:
 * caseless, UTF; 'extended' if the x flag is set). Never fails unsafely:
 * on anything it does not understand it returns always. 0 or -1 (ENOMEM). */
int	mf_prefilter_extract(const char *pattern, int extended,
	    mf_litreq_t *out);
void	mf_litreq_free(mf_litreq_t *r);

/* Builder: rule i has 'npat' patterns that must all hit. */
mf_prefilter_t	*mf_prefilter_new(size_t nrules);
/* TAKES nothing; copies literals. Pattern requirements of rule 'rule'. */
int		 mf_prefilter_add(mf_prefilter_t *self, size_t rule,
		    const mf_litreq_t *reqs, size_t nreqs);
/* The same for a rule with `near N` ('near' bytes; 0 if none): a literal
 * of each pattern must then lie in one window of that many bytes; with
 * MF_PF_NEAR_SENTENCE (`near sentence`), in one sentence (sentence.h). */
#define MF_PF_NEAR_SENTENCE	SIZE_MAX
int		 mf_prefilter_add_near(mf_prefilter_t *self, size_t rule,
		    const mf_litreq_t *reqs, size_t nreqs, size_t near);
/* Builds the automaton; after this the prefilter is immutable. */
int		 mf_prefilter_build(mf_prefilter_t *self, mf_err_t *err);
void		 mf_prefilter_destroy(mf_prefilter_t **self_p);

/* Per-thread scratch for mf_prefilter_scan (zero-initialised). */
typedef struct mf_pfscratch {
	unsigned	*cnt;		/* per rule: patterns satisfied */
	unsigned	*epoch;		/* per rule */
	unsigned char	*seen;		/* per (rule, pattern) */
	size_t		 cap_rules, cap_seen;
	unsigned	 cur;
	void		*extra;
} mf_pfscratch_t;
void	mf_pfscratch_free(mf_pfscratch_t *s);

/* Scans 'text' (normalized) once and writes the candidate rule indexes, in
 * ascending order, into 'out' (room for every rule); returns how many, or
 * (size_t)-1 on ENOMEM. Rules with an 'always' pattern are always in. */
size_t	mf_prefilter_scan(const mf_prefilter_t *self, mf_pfscratch_t *s,
	    const char *text, size_t len, size_t *out);
/* Of rule 'rule', after the last mf_prefilter_scan() with 's': how many of
 * the parts it needs had a literal in the text (a part the scan does not
 * look for, too common to tell anything, counts as found), into '*found',
 * and how many it needs (the return). 0 for a rule that needs nothing. */
unsigned	mf_prefilter_rule_parts(const mf_prefilter_t *self,
		    const mf_pfscratch_t *s, size_t rule, unsigned *found);
/* 1 if rule 'rule' runs on every post ('*why' says why), else 0. */
int	mf_prefilter_rule_always(const mf_prefilter_t *self, size_t rule,
	    const char **why);
/* Appends to 'out' the literals that let rule 'rule' through, one group
 * per required part, the part a scan looks up first (the rarest) first:
 * "vaccin" + "cause"|"causes" + "autism" (at most 8 literals a part, then
 * "..."). Nothing for a rule that runs always. 0, or -1 on ENOMEM. */
int	mf_prefilter_rule_lits(const mf_prefilter_t *self, size_t rule,
	    mf_buf_t *out);
/* Memory held, for `make bench`. */
size_t	mf_prefilter_bytes(const mf_prefilter_t *self);

#endif
