/*
 * ahocorasick.h - an Aho-Corasick automaton over bytes: the reference that
 * filter/litscan.c, the prefilter's scanner, is tested against (it was the
 * prefilter's scanner before litscan.c replaced it for speed).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_AHOCORASICK_H
#define MF_AHOCORASICK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct mf__ac mf__ac_t;

/* Called once per occurrence of literal 'lit' ending at text[end - 1]. */
typedef void	(*mf__ac_hit_fn)(void *ctx, uint32_t lit, size_t end);

/*
 * Builds an automaton over the byte strings lits[i] (lens[i] bytes, at
 * least 1). If the dense table would need more than 'budget' bytes, the
 * literals are cut to a shorter prefix and the build retried: a text that
 * holds a literal holds its prefix, so this only admits more candidates.
 * OWNS: caller (mf__ac_destroy). NULL with 'err' set on ENOMEM.
 */
mf__ac_t	*mf__ac_build(const char *const *lits, const size_t *lens,
		    size_t n, size_t budget, mf_err_t *err);
void		 mf__ac_destroy(mf__ac_t **self_p);
/* Reports every occurrence, overlapping ones included, in one pass. */
void		 mf__ac_scan(const mf__ac_t *self, const char *text,
		    size_t len, mf__ac_hit_fn fn, void *ctx);
size_t		 mf__ac_bytes(const mf__ac_t *self);
size_t		 mf__ac_states(const mf__ac_t *self);
/* Longest literal prefix the automaton keeps (after any cut). */
size_t		 mf__ac_maxlen(const mf__ac_t *self);

#endif
