/*
 * prefilter_internal.h - the pieces of the prefilter shared inside filter/:
 * the multi-literal scanner (litscan.c) that prefilter.c drives, and the
 * Aho-Corasick automaton (ahocorasick.c) it is tested against.
 *
 * Not installed; the literal extractor (litextract.c) needs nothing here
 * beyond prefilter.h.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_PREFILTER_INTERNAL_H
#define MF_PREFILTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Shortest literal the extractor returns; a pattern whose best required
 * literal is shorter runs always (a one-byte literal is in every post),
 * unless it is one byte that fewer than MF__PF_RARE1 health posts in
 * 100,000 hold (litfreq.h): the '=' of "garlic => covid" or " = ". */
#define MF__PF_MINLIT	2
#define MF__PF_RARE1	2000

/*
 * The scanner the prefilter uses (litscan.c): which literals occur in a
 * text, by a bitmap test on the first bytes at every position and an
 * exact comparison on a hit. Literals are kept whole (never cut).
 * tests/ahocorasick.c finds the same occurrences and is the reference
 * the tests compare it with.
 */
typedef struct mf__ls mf__ls_t;
typedef void	(*mf__ls_hit_fn)(void *ctx, uint32_t lit, size_t end);

/* Copies lits[i] (lens[i] bytes, at least 1, NUL bytes allowed).
 * OWNS: caller (mf__ls_destroy). NULL with 'err' set on failure. */
mf__ls_t	*mf__ls_build(const char *const *lits, const size_t *lens,
		    size_t n, mf_err_t *err);
void		 mf__ls_destroy(mf__ls_t **self_p);
/* Calls 'fn' once per occurrence of a literal, overlapping and repeated
 * ones included, with 'end' one past its last byte; in no set order. */
void		 mf__ls_scan(const mf__ls_t *self, const char *text,
		    size_t len, mf__ls_hit_fn fn, void *ctx);
size_t		 mf__ls_bytes(const mf__ls_t *self);

#endif
