/*
 * prefilter.c - the rule prefilter: which rules can possibly match a post,
 * decided by one pass of a multi-literal automaton over its text.
 *
 * Every rule is an AND of patterns; every pattern needs one of its
 * literals, and one of each of its 'also' sets (litextract.c), or is
 * 'always'. The builder gives every such set a slot and numbers the
 * distinct literals. Each rule has one anchor slot, the one whose
 * literals the fewest other slots share (a literal used by hundreds of
 * rules, like "cause", is likely common in text as well).
 *
 * A scan runs the automaton (ahocorasick.c) and notes the distinct
 * literals found; then, for each, the rules anchored on it are checked
 * once: a rule is a candidate when each of its other slots has a literal
 * found too. Rules that need nothing (every pattern 'always', or no
 * pattern at all) are candidates for every post.
 *
 * Per-post state lives in the caller's mf_pfscratch_t and is reset lazily
 * with epochs (a rule's or a literal's mark is stale unless its epoch is
 * the current scan's), so a scan costs the text length plus the literals
 * found and the rules anchored on them, and allocates nothing once the
 * scratch has grown to the rule set.
 *
 * Not responsible for running PCRE2 (match.c) nor for compiling rules
 * (ruleset.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "prefilter.h"
#include "prefilter_internal.h"

/* The automaton's table may use this much; beyond it literals are cut to
 * shorter prefixes (see ahocorasick.c). 5,000 rules need ~2 MB. */
#define S_AC_BUDGET	(32u << 20)

#define S_UNSET		UINT32_MAX

struct mf_prefilter {
	size_t		 nrules;
	uint32_t	*need;		/* per rule: slots to fill; S_UNSET */
	uint32_t	*slot_base;	/* per rule: its first slot */
	char		**why;		/* per rule: why it runs always */
	uint32_t	*slot_rule;	/* per slot */
	uint32_t	*slot_first;	/* per slot: its first pair */
	uint32_t	*anchor;	/* per rule: the slot a scan looks up */
	size_t		 nslots, cap_slots, cap_first;

	/* Distinct literals and a hash index over them. */
	char		**lits;
	size_t		*lens;
	size_t		 nlits, cap_lits;
	uint32_t	*index;		/* open addressing; S_UNSET empty */
	size_t		 cap_index;

	/* (literal, slot) pairs in slot order: a slot's literals are
	 * pair_lit[slot_first[slot] ..]. Then per literal the rules whose
	 * anchor slot holds it: lit_rules[lit_off[l], lit_off[l + 1]). */
	uint32_t	*pair_lit, *pair_slot;
	size_t		 npairs, cap_pairs;
	uint32_t	*lit_off;	/* nlits + 1 */
	uint32_t	*lit_rules;

	size_t		*always;	/* rules that run on every post */
	size_t		 nalways;
	mf__ac_t	*ac;
	int		 built;
};

/* What the scratch keeps beyond the public fields. */
typedef struct s_extra {
	unsigned	*lit_epoch;
	uint32_t	*found;		/* literals found in this post */
	size_t		 cap_lits;
} s_extra_t;

mf_prefilter_t *
mf_prefilter_new(size_t nrules)
{
	mf_prefilter_t *self;

	if ((self = mf_calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->nrules = nrules;
	if ((self->need = mf_malloc((nrules ? nrules : 1) *
	    sizeof(*self->need))) == NULL ||
	    (self->slot_base = mf_calloc(nrules ? nrules : 1,
	    sizeof(*self->slot_base))) == NULL ||
	    (self->why = mf_calloc(nrules ? nrules : 1,
	    sizeof(*self->why))) == NULL) {
		mf_prefilter_destroy(&self);
		return NULL;
	}
	for (size_t i = 0; i < nrules; i++)
		self->need[i] = S_UNSET;
	return self;
}

void
mf_prefilter_destroy(mf_prefilter_t **self_p)
{
	mf_prefilter_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	if (self->why != NULL)
		for (size_t i = 0; i < self->nrules; i++)
			mf_free(self->why[i]);
	for (size_t i = 0; i < self->nlits; i++)
		mf_free(self->lits[i]);
	mf_free(self->need);
	mf_free(self->slot_base);
	mf_free(self->why);
	mf_free(self->slot_rule);
	mf_free(self->slot_first);
	mf_free(self->anchor);
	mf_free(self->lits);
	mf_free(self->lens);
	mf_free(self->index);
	mf_free(self->pair_lit);
	mf_free(self->pair_slot);
	mf_free(self->lit_off);
	mf_free(self->lit_rules);
	mf_free(self->always);
	mf__ac_destroy(&self->ac);
	mf_free(self);
	*self_p = NULL;
}

static uint32_t
s_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Grows '*v' (elements of 'size') to hold at least 'need'. */
static int
s_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap = *cap ? *cap : 16;
	void	*p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((p = mf_realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

static int
s_rehash(mf_prefilter_t *self)
{
	size_t		 cap = self->cap_index ? self->cap_index * 2 : 1024;
	uint32_t	*ix;

	if ((ix = mf_malloc(cap * sizeof(*ix))) == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		ix[i] = S_UNSET;
	for (size_t l = 0; l < self->nlits; l++) {
		size_t k = s_hash(self->lits[l], self->lens[l]) & (cap - 1);

		while (ix[k] != S_UNSET)
			k = (k + 1) & (cap - 1);
		ix[k] = (uint32_t)l;
	}
	mf_free(self->index);
	self->index = ix;
	self->cap_index = cap;
	return 0;
}

/* The id of literal 's' (added if new); S_UNSET on ENOMEM. */
static uint32_t
s_lit_id(mf_prefilter_t *self, const char *s, size_t n)
{
	size_t k;

	if ((self->nlits + 1) * 2 > self->cap_index && s_rehash(self) < 0)
		return S_UNSET;
	k = s_hash(s, n) & (self->cap_index - 1);
	for (; self->index[k] != S_UNSET; k = (k + 1) & (self->cap_index - 1)) {
		uint32_t l = self->index[k];

		if (self->lens[l] == n && memcmp(self->lits[l], s, n) == 0)
			return l;
	}
	if (s_grow((void **)&self->lits, &self->cap_lits, self->nlits + 1,
	    sizeof(*self->lits)) < 0)
		return S_UNSET;
	/* lens shares cap_lits: grow it to the same capacity. */
	{
		size_t *p = mf_realloc(self->lens, self->cap_lits *
		    sizeof(*self->lens));

		if (p == NULL)
			return S_UNSET;
		self->lens = p;
	}
	if ((self->lits[self->nlits] = mf_strndup(s, n)) == NULL)
		return S_UNSET;
	self->lens[self->nlits] = n;
	self->index[k] = (uint32_t)self->nlits;
	return (uint32_t)self->nlits++;
}

static int
s_pair(mf_prefilter_t *self, uint32_t lit, uint32_t slot)
{
	size_t cap = self->cap_pairs;

	if (s_grow((void **)&self->pair_lit, &cap, self->npairs + 1,
	    sizeof(uint32_t)) < 0)
		return -1;
	if (cap != self->cap_pairs) {
		uint32_t *p = mf_realloc(self->pair_slot, cap *
		    sizeof(uint32_t));

		if (p == NULL)
			return -1;	/* pair_lit is larger: harmless */
		self->pair_slot = p;
		self->cap_pairs = cap;
	}
	self->pair_lit[self->npairs] = lit;
	self->pair_slot[self->npairs++] = slot;
	return 0;
}

/* A set the prefilter can use: literals, none of them empty. */
static int
s_usable_set(char *const *lits, size_t nlits)
{
	if (nlits == 0)
		return 0;
	for (size_t i = 0; i < nlits; i++)
		if (lits[i] == NULL || lits[i][0] == '\0')
			return 0;
	return 1;
}

static int
s_usable(const mf_litreq_t *r)
{
	return !r->always && s_usable_set(r->lits, r->nlits);
}

/* Slots the pattern fills: its main set and every usable 'also' set. */
static uint32_t
s_nslots(const mf_litreq_t *r)
{
	uint32_t n;

	if (!s_usable(r))
		return 0;
	n = 1;
	for (size_t k = 0; k < r->nalso; k++)
		n += s_usable_set(r->also[k].lits, r->also[k].nlits);
	return n;
}

static int
s_add_set(mf_prefilter_t *self, char *const *lits, size_t nlits,
    uint32_t slot)
{
	if (s_grow((void **)&self->slot_first, &self->cap_first, slot + 1,
	    sizeof(*self->slot_first)) < 0)
		return -1;
	self->slot_first[slot] = (uint32_t)self->npairs;
	for (size_t k = 0; k < nlits; k++) {
		uint32_t lit = s_lit_id(self, lits[k], strlen(lits[k]));

		if (lit == S_UNSET || s_pair(self, lit, slot) < 0)
			return -1;
	}
	return 0;
}

int
mf_prefilter_add(mf_prefilter_t *self, size_t rule, const mf_litreq_t *reqs,
    size_t nreqs)
{
	uint32_t	need = 0, base, slot;
	const char	*why = NULL;

	if (self == NULL || self->built || rule >= self->nrules ||
	    self->need[rule] != S_UNSET)
		return -1;
	for (size_t i = 0; i < nreqs; i++) {
		need += s_nslots(&reqs[i]);
		if (!s_usable(&reqs[i]) && why == NULL)
			why = reqs[i].why[0] ? reqs[i].why :
			    "a pattern has no required literal";
	}
	base = slot = (uint32_t)self->nslots;
	if (s_grow((void **)&self->slot_rule, &self->cap_slots,
	    self->nslots + need, sizeof(*self->slot_rule)) < 0)
		return -1;
	for (size_t i = 0; i < nreqs; i++) {
		const mf_litreq_t *r = &reqs[i];

		if (!s_usable(r))
			continue;
		if (s_add_set(self, r->lits, r->nlits, slot) < 0)
			return -1;
		self->slot_rule[slot++] = (uint32_t)rule;
		for (size_t k = 0; k < r->nalso; k++) {
			if (!s_usable_set(r->also[k].lits, r->also[k].nlits))
				continue;
			if (s_add_set(self, r->also[k].lits,
			    r->also[k].nlits, slot) < 0)
				return -1;
			self->slot_rule[slot++] = (uint32_t)rule;
		}
	}
	if (need == 0 && (self->why[rule] = mf_strdup(why ? why :
	    "the rule has no pattern")) == NULL)
		return -1;
	self->nslots += need;
	self->slot_base[rule] = base;
	self->need[rule] = need;
	return 0;
}

/* One past the last pair of 'slot'. */
static uint32_t
s_slot_end(const mf_prefilter_t *self, uint32_t slot)
{
	return slot + 1 < self->nslots ? self->slot_first[slot + 1] :
	    (uint32_t)self->npairs;
}

/*
 * Picks each rule's anchor: the slot whose literals the fewest other
 * slots share (a literal in many rules, like "cause", is likely a common
 * word too; "because" holds it). A scan looks up only anchors; the other
 * slots of a rule are checked once its anchor is found.
 */
static int
s_anchors(mf_prefilter_t *self)
{
	uint32_t *pop = mf_calloc(self->nlits + 1, sizeof(*pop));

	if (pop == NULL)
		return -1;
	for (size_t i = 0; i < self->npairs; i++)
		pop[self->pair_lit[i]]++;
	for (size_t r = 0; r < self->nrules; r++) {
		uint64_t best = UINT64_MAX;

		for (uint32_t k = 0; k < self->need[r]; k++) {
			uint32_t slot = self->slot_base[r] + k;
			uint64_t cost = 0;

			for (uint32_t i = self->slot_first[slot];
			    i < s_slot_end(self, slot); i++)
				cost += pop[self->pair_lit[i]];
			if (cost < best) {
				best = cost;
				self->anchor[r] = slot;
			}
		}
	}
	/* lit_off counts, then fills, the anchor lists. */
	for (size_t r = 0; r < self->nrules; r++) {
		uint32_t slot = self->anchor[r];

		if (self->need[r] == 0)
			continue;
		for (uint32_t i = self->slot_first[slot];
		    i < s_slot_end(self, slot); i++)
			self->lit_off[self->pair_lit[i] + 1]++;
	}
	for (size_t l = 0; l < self->nlits; l++)
		self->lit_off[l + 1] += self->lit_off[l];
	if ((self->lit_rules = mf_malloc((self->lit_off[self->nlits] + 1) *
	    sizeof(*self->lit_rules))) == NULL) {
		mf_free(pop);
		return -1;
	}
	memcpy(pop, self->lit_off, self->nlits * sizeof(*pop));
	for (size_t r = 0; r < self->nrules; r++) {
		uint32_t slot = self->anchor[r];

		if (self->need[r] == 0)
			continue;
		for (uint32_t i = self->slot_first[slot];
		    i < s_slot_end(self, slot); i++)
			self->lit_rules[pop[self->pair_lit[i]]++] =
			    (uint32_t)r;
	}
	mf_free(pop);
	mf_free(self->pair_slot);
	self->pair_slot = NULL;
	return 0;
}

int
mf_prefilter_build(mf_prefilter_t *self, mf_err_t *err)
{
	if (self == NULL || self->built)
		return mf_err_set(err, MF_EINVAL, NULL, "prefilter: "
		    "already built");
	if ((self->always = mf_malloc((self->nrules ? self->nrules : 1) *
	    sizeof(*self->always))) == NULL ||
	    (self->lit_off = mf_calloc(self->nlits + 1,
	    sizeof(*self->lit_off))) == NULL ||
	    (self->anchor = mf_calloc(self->nrules ? self->nrules : 1,
	    sizeof(*self->anchor))) == NULL)
		goto nomem;
	for (size_t r = 0; r < self->nrules; r++) {
		if (self->need[r] == S_UNSET) {
			/* Never added: conservatively, always run it. */
			if ((self->why[r] = mf_strdup("no patterns were "
			    "given to the prefilter")) == NULL)
				goto nomem;
			self->need[r] = 0;
		}
		if (self->need[r] == 0)
			self->always[self->nalways++] = r;
	}
	if (s_anchors(self) < 0)
		goto nomem;
	if ((self->ac = mf__ac_build((const char *const *)self->lits,
	    self->lens, self->nlits, S_AC_BUDGET, err)) == NULL)
		return -1;
	self->built = 1;
	return 0;
nomem:
	return mf_err_set(err, MF_ENOMEM, NULL, "out of memory building the "
	    "prefilter");
}

void
mf_pfscratch_free(mf_pfscratch_t *s)
{
	s_extra_t *x;

	if (s == NULL)
		return;
	if ((x = s->extra) != NULL) {
		mf_free(x->lit_epoch);
		mf_free(x->found);
		mf_free(x);
	}
	mf_free(s->cnt);
	mf_free(s->epoch);
	mf_free(s->seen);
	memset(s, 0, sizeof(*s));
}

/* Makes 's' big enough for 'self'; allocates only when it grows. */
static int
s_scratch_fit(const mf_prefilter_t *self, mf_pfscratch_t *s)
{
	s_extra_t *x = s->extra;

	if (x == NULL) {
		if ((x = mf_calloc(1, sizeof(*x))) == NULL)
			return -1;
		s->extra = x;
	}
	if (s->cap_rules < self->nrules) {
		unsigned *c, *e;

		if ((c = mf_realloc(s->cnt, self->nrules * sizeof(*c))) == NULL)
			return -1;
		s->cnt = c;
		if ((e = mf_realloc(s->epoch, self->nrules *
		    sizeof(*e))) == NULL)
			return -1;
		s->epoch = e;
		memset(e + s->cap_rules, 0, (self->nrules - s->cap_rules) *
		    sizeof(*e));
		s->cap_rules = self->nrules;
	}
	if (x->cap_lits < self->nlits) {
		unsigned *e;
		uint32_t *f;

		if ((f = mf_realloc(x->found, self->nlits *
		    sizeof(*f))) == NULL)
			return -1;
		x->found = f;
		if ((e = mf_realloc(x->lit_epoch, self->nlits *
		    sizeof(*e))) == NULL)
			return -1;
		memset(e + x->cap_lits, 0, (self->nlits - x->cap_lits) *
		    sizeof(*e));
		x->lit_epoch = e;
		x->cap_lits = self->nlits;
	}
	if (++s->cur == 0) {
		/* The epoch wrapped: forget every stale mark. */
		memset(s->epoch, 0, s->cap_rules * sizeof(*s->epoch));
		memset(x->lit_epoch, 0, x->cap_lits * sizeof(*x->lit_epoch));
		s->cur = 1;
	}
	return 0;
}

typedef struct s_scan {
	unsigned	*lit_epoch;
	uint32_t	*found;
	size_t		 nfound;
	unsigned	 cur;
} s_scan_t;

/* The automaton's report: notes each literal the first time. */
static void
s_on_hit(void *ctx, uint32_t lit, size_t end)
{
	s_scan_t *sc = ctx;

	(void)end;
	if (sc->lit_epoch[lit] != sc->cur) {
		sc->lit_epoch[lit] = sc->cur;
		sc->found[sc->nfound++] = lit;
	}
}

/* 1 if every slot of rule 'r' but its anchor has a literal found. */
static int
s_rule_ok(const mf_prefilter_t *self, const s_scan_t *sc, uint32_t r)
{
	for (uint32_t k = 0; k < self->need[r]; k++) {
		uint32_t	slot = self->slot_base[r] + k, i, end;

		if (slot == self->anchor[r])
			continue;
		end = s_slot_end(self, slot);
		for (i = self->slot_first[slot]; i < end; i++)
			if (sc->lit_epoch[self->pair_lit[i]] == sc->cur)
				break;
		if (i == end)
			return 0;
	}
	return 1;
}

static int
s_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

size_t
mf_prefilter_scan(const mf_prefilter_t *self, mf_pfscratch_t *s,
    const char *text, size_t len, size_t *out)
{
	s_scan_t	sc;
	size_t		na = self->nalways, nh = 0, w, a, h;
	s_extra_t	*x;

	if (s_scratch_fit(self, s) < 0)
		return (size_t)-1;
	x = s->extra;
	sc.lit_epoch = x->lit_epoch;
	sc.found = x->found;
	sc.nfound = 0;
	sc.cur = s->cur;
	if (self->nlits > 0 && len > 0)
		mf__ac_scan(self->ac, text, len, s_on_hit, &sc);
	/* Rules whose anchor was found, once each, if the rest is too.
	 * The hits go to the front of 'out'; always-rules are disjoint. */
	for (size_t f = 0; f < sc.nfound; f++) {
		uint32_t l = sc.found[f];

		for (uint32_t k = self->lit_off[l]; k < self->lit_off[l + 1];
		    k++) {
			uint32_t r = self->lit_rules[k];

			if (s->epoch[r] == sc.cur)
				continue;
			s->epoch[r] = sc.cur;
			if (s_rule_ok(self, &sc, r))
				out[nh++] = r;
		}
	}
	if (nh > 1) {
		if (nh <= 16) {
			for (size_t i = 1; i < nh; i++) {
				size_t v = out[i], j = i;

				for (; j > 0 && out[j - 1] > v; j--)
					out[j] = out[j - 1];
				out[j] = v;
			}
		} else {
			qsort(out, nh, sizeof(*out), s_cmp_size);
		}
	}
	/* Merge the always-rules in, from the back: the hits at the front
	 * of 'out' never get overwritten before they are moved. */
	w = na + nh;
	a = na;
	h = nh;
	while (a > 0) {
		if (h > 0 && out[h - 1] > self->always[a - 1])
			out[--w] = out[--h];
		else
			out[--w] = self->always[--a];
	}
	return na + nh;
}

int
mf_prefilter_rule_always(const mf_prefilter_t *self, size_t rule,
    const char **why)
{
	if (self == NULL || rule >= self->nrules)
		return 0;
	if (self->need[rule] != 0 && self->need[rule] != S_UNSET)
		return 0;
	if (why != NULL)
		*why = self->why[rule] ? self->why[rule] :
		    "no patterns were given to the prefilter";
	return 1;
}

size_t
mf_prefilter_bytes(const mf_prefilter_t *self)
{
	size_t n;

	if (self == NULL)
		return 0;
	n = sizeof(*self) + self->nrules * (2 * sizeof(uint32_t) +
	    sizeof(char *) + sizeof(size_t)) +
	    self->cap_slots * sizeof(uint32_t) * 2 +
	    self->cap_lits * (sizeof(char *) + sizeof(size_t)) +
	    (self->nlits + 1 + self->npairs * 2) * sizeof(uint32_t);
	for (size_t i = 0; i < self->nlits; i++)
		n += self->lens[i] + 1;
	return n + mf__ac_bytes(self->ac);
}
