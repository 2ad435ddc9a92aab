/*
 * altsplit.h - a pattern's top-level alternatives (altsplit.c).
 *
 * Internal to libmedflag: the rule set runs the post's context patterns
 * (post-sarcasm, ...) as their anchored and unanchored halves.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_ALTSPLIT_H
#define MF_ALTSPLIT_H

#include <stddef.h>

#define MF_ALT_MAX	256	/* branches of one level */

typedef struct mf_altspan {
	size_t	off, len;	/* in the pattern */
} mf_altspan_t;

/*
 * Appends to v[*n ..] (room for 'max') the alternatives of s[0, len) at
 * its top level, a branch that is one whole (?:...) group opened in turn.
 * Returns 0, or -1 when the pattern is not split: unbalanced, more
 * branches than 'max', or a back reference, a recursion or a (*VERB)
 * that could reach across branches. *n then holds whatever was added.
 */
int	mf__alt_split(const char *s, size_t len, mf_altspan_t *v, size_t max,
	    size_t *n);
/* The same, one level only: the top-level alternatives once the (?:...)
 * groups that are the whole pattern are opened, each whole group
 * branch kept as it is. */
int	mf__alt_split_top(const char *s, size_t len, mf_altspan_t *v,
	    size_t max, size_t *n);

#endif
