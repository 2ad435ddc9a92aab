/*
 * ahocorasick.c - an Aho-Corasick automaton over bytes, compiled to a
 * dense DFA, that finds every occurrence of a set of literals in one pass.
 *
 * The alphabet is compressed to byte classes: every byte that no literal
 * contains shares class 0, every other byte has its own class. Health text
 * uses some forty distinct bytes, so a row costs ~160 bytes instead of 1 KiB.
 * The failure links are folded into the table at build time, so a scan is
 * one table load per byte. A transition into a state that ends a literal
 * carries a flag bit; only then does the scan look at the output list (the
 * state's literals and those of its failure chain, flattened).
 *
 * Transitions hold the target's row offset (state * nclasses), which saves
 * a multiplication per byte. If the table would outgrow the caller's
 * budget, the literals are cut to a shorter prefix and the build retried.
 *
 * Not responsible for which literals to look for (litextract.c) nor for
 * what a hit means (prefilter.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "ahocorasick.h"
#include "prefilter_internal.h"

#define S_FLAG		0x80000000u
#define S_FIRSTMAX	64	/* literals are cut to this many bytes first */

struct mf__ac {
	uint32_t	*delta;		/* nstates * ncls; row offset | S_FLAG */
	uint32_t	*out_beg;	/* per state: its literals are */
	uint32_t	*out_end;	/* out_lit[out_beg[s], out_end[s]) */
	uint32_t	*out_lit;
	size_t		 nstates, ncls, nout, maxlen;
	uint8_t		 cls[256];
};

void
mf__ac_destroy(mf__ac_t **self_p)
{
	mf__ac_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	mf_free(self->delta);
	mf_free(self->out_beg);
	mf_free(self->out_end);
	mf_free(self->out_lit);
	mf_free(self);
	*self_p = NULL;
}

/*
 * Builds the trie of the literals cut to 'maxlen' bytes in self->delta
 * (0 = no edge; the root is never a target), with the literals ending at
 * each state chained through own[]/next[]. 1 done, 0 over budget, -1.
 */
static int
s_trie(mf__ac_t *self, const char *const *lits, const size_t *lens,
    size_t n, size_t budget, uint32_t **own_p, uint32_t *next)
{
	size_t		 cap = 256, ncls = self->ncls, maxstates;
	uint32_t	*own = NULL;
	int		 rc = -1;

	maxstates = budget / (ncls * sizeof(uint32_t));
	if (maxstates > (S_FLAG - 1) / ncls)
		maxstates = (S_FLAG - 1) / ncls;
	if (maxstates < cap)
		maxstates = cap;

	self->nstates = 1;
	if ((self->delta = mf_calloc(cap * ncls, sizeof(uint32_t))) == NULL ||
	    (own = mf_malloc(cap * sizeof(uint32_t))) == NULL)
		goto out;
	own[0] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t		len = lens[i] < self->maxlen ? lens[i] :
		    self->maxlen;
		uint32_t	s = 0;

		for (size_t k = 0; k < len; k++) {
			uint32_t cell = self->delta[s * ncls +
			    self->cls[(uint8_t)lits[i][k]]];

			if (cell != 0) {
				s = cell;
				continue;
			}
			if (self->nstates == cap) {
				uint32_t	*d, *o;
				size_t		 ncap = cap * 2;

				if (ncap > maxstates)
					ncap = maxstates;
				if (ncap <= cap) {
					rc = 0;		/* over budget */
					goto out;
				}
				if ((d = mf_realloc(self->delta, ncap * ncls *
				    sizeof(uint32_t))) == NULL)
					goto out;
				self->delta = d;
				memset(d + cap * ncls, 0, (ncap - cap) * ncls *
				    sizeof(uint32_t));
				if ((o = mf_realloc(own, ncap *
				    sizeof(uint32_t))) == NULL)
					goto out;
				own = o;
				cap = ncap;
			}
			own[self->nstates] = UINT32_MAX;
			self->delta[s * ncls +
			    self->cls[(uint8_t)lits[i][k]]] =
			    (uint32_t)self->nstates;
			s = (uint32_t)self->nstates++;
		}
		next[i] = own[s];
		own[s] = (uint32_t)i;
	}
	rc = 1;
out:
	if (rc != 1) {
		mf_free(self->delta);
		self->delta = NULL;
		mf_free(own);
		own = NULL;
	}
	*own_p = own;
	return rc;
}

/* Failure links (breadth first), the complete table, the output lists. */
static int
s_link(mf__ac_t *self, const uint32_t *own, const uint32_t *next)
{
	size_t		 ncls = self->ncls, ns = self->nstates, head = 0,
			 tail = 0, nout = 0, cap = 64;
	uint32_t	*fail = NULL, *queue = NULL, *out = NULL;
	int		 rc = -1;

	if ((fail = mf_calloc(ns, sizeof(*fail))) == NULL ||
	    (queue = mf_malloc(ns * sizeof(*queue))) == NULL ||
	    (self->out_beg = mf_calloc(ns, sizeof(uint32_t))) == NULL ||
	    (self->out_end = mf_calloc(ns, sizeof(uint32_t))) == NULL ||
	    (out = mf_malloc(cap * sizeof(*out))) == NULL)
		goto out;
	queue[tail++] = 0;
	while (head < tail) {
		uint32_t	 s = queue[head++];
		uint32_t	*row = &self->delta[s * ncls];
		size_t		 start = nout;

		/* Outputs: own literals, then those of the failure state
		 * (already complete: it is shallower). */
		for (uint32_t l = own[s]; l != UINT32_MAX; l = next[l]) {
			if (nout == cap) {
				uint32_t *o = mf_realloc(out, cap * 2 *
				    sizeof(*out));

				if (o == NULL)
					goto out;
				out = o;
				cap *= 2;
			}
			out[nout++] = l;
		}
		if (s != 0) {
			uint32_t f = fail[s];

			for (uint32_t k = self->out_beg[f]; k <
			    self->out_end[f]; k++) {
				if (nout == cap) {
					uint32_t *o = mf_realloc(out, cap * 2 *
					    sizeof(*out));

					if (o == NULL)
						goto out;
					out = o;
					cap *= 2;
				}
				out[nout++] = out[k];
			}
		}
		self->out_beg[s] = (uint32_t)start;
		self->out_end[s] = (uint32_t)nout;
		for (size_t c = 0; c < ncls; c++) {
			uint32_t t = row[c];

			if (t != 0) {
				fail[t] = s == 0 ? 0 :
				    self->delta[fail[s] * ncls + c];
				queue[tail++] = t;
			} else {
				row[c] = s == 0 ? 0 :
				    self->delta[fail[s] * ncls + c];
			}
		}
	}
	/* Targets become row offsets, flagged when they end a literal. */
	for (size_t i = 0; i < ns * ncls; i++) {
		uint32_t t = self->delta[i];

		self->delta[i] = (uint32_t)(t * ncls) |
		    (self->out_end[t] > self->out_beg[t] ? S_FLAG : 0);
	}
	rc = 0;
out:
	mf_free(fail);
	mf_free(queue);
	self->out_lit = out;
	self->nout = nout;
	return rc;
}

mf__ac_t *
mf__ac_build(const char *const *lits, const size_t *lens, size_t n,
    size_t budget, mf_err_t *err)
{
	mf__ac_t	*self;
	uint32_t	*own = NULL, *next = NULL;
	int		 used[256] = {0}, r;

	if ((self = mf_calloc(1, sizeof(*self))) == NULL ||
	    (next = mf_malloc((n ? n : 1) * sizeof(*next))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < lens[i]; k++)
			used[(uint8_t)lits[i][k]] = 1;
	self->ncls = 1;
	for (int b = 0; b < 256; b++)
		self->cls[b] = used[b] ? (uint8_t)self->ncls++ : 0;
	if (self->ncls > 256)
		self->ncls = 256;	/* cannot happen: 255 used + class 0 */
	for (self->maxlen = S_FIRSTMAX;; self->maxlen /= 2) {
		if ((r = s_trie(self, lits, lens, n, budget, &own, next)) < 0)
			goto nomem;
		if (r == 1 || self->maxlen <= 1)
			break;
	}
	if (r != 1) {
		mf_err_set(err, MF_ELIMIT, NULL, "prefilter: %zu literals "
		    "do not fit in %zu bytes", n, budget);
		goto fail;
	}
	{
		/* Give back the slack of the last doubling. */
		uint32_t *d = mf_realloc(self->delta, self->nstates *
		    self->ncls * sizeof(uint32_t));

		if (d != NULL)
			self->delta = d;
	}
	if (s_link(self, own, next) < 0)
		goto nomem;
	mf_free(own);
	mf_free(next);
	return self;
nomem:
	mf_err_set(err, MF_ENOMEM, NULL, "out of memory building the "
	    "prefilter");
fail:
	mf_free(own);
	mf_free(next);
	mf__ac_destroy(&self);
	return NULL;
}

void
mf__ac_scan(const mf__ac_t *self, const char *text, size_t len,
    mf__ac_hit_fn fn, void *ctx)
{
	const uint32_t	*delta = self->delta;
	const uint8_t	*cls = self->cls, *p = (const uint8_t *)text;
	uint32_t	 row = 0;

	for (size_t i = 0; i < len; i++) {
		row = delta[row + cls[p[i]]];
		if (row & S_FLAG) {
			uint32_t s;

			row &= ~S_FLAG;
			s = row / (uint32_t)self->ncls;
			for (uint32_t k = self->out_beg[s]; k <
			    self->out_end[s]; k++)
				fn(ctx, self->out_lit[k], i + 1);
		}
	}
}

size_t
mf__ac_bytes(const mf__ac_t *self)
{
	if (self == NULL)
		return 0;
	return sizeof(*self) + self->nstates * self->ncls * sizeof(uint32_t) +
	    self->nstates * 2 * sizeof(uint32_t) +
	    self->nout * sizeof(uint32_t);
}

size_t
mf__ac_states(const mf__ac_t *self)
{
	return self ? self->nstates : 0;
}

size_t
mf__ac_maxlen(const mf__ac_t *self)
{
	return self ? self->maxlen : 0;
}
