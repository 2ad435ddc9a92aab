/*
 * prefilter.c - the rule prefilter: which rules can possibly match a post,
 * decided by one pass of a multi-literal automaton over its text.
 *
 * Every rule is an AND of patterns; every pattern needs one of its
 * literals, and one of each of its 'also' sets (litextract.c), or is
 * 'always'. The builder gives every such set a slot and numbers the
 * distinct literals. Each rule has one anchor slot, the one whose
 * literals are rarest in health text by a table of byte triples built
 * from the corpora (litfreq.c), ties going to the literals the fewest
 * other slots share.
 *
 * Slots with the same literals (the verbs "cause|causes" of hundreds of
 * rules) share one literal set, numbered once.
 *
 * A scan runs the literal scanner (litscan.c) and notes the distinct
 * literals found; then, for each, the rules anchored on it are checked
 * once: a rule is a candidate when each of its other sets has a literal
 * found too. Each set is decided at most once per scan and remembered,
 * so checking a rule costs a few array reads; the rules anchored on a
 * literal are laid out in one array with the sets they still need,
 * grouped by the first of them, so that one missing set skips its whole
 * group (s_program()). Rules that need nothing
 * (every pattern 'always', or no pattern at all) are candidates for
 * every post.
 *
 * Per-post state lives in the caller's mf_pfscratch_t and is reset lazily
 * with epochs (a rule's, a set's or a literal's mark is stale unless its
 * epoch is the current scan's), so a scan costs the text length plus the
 * literals found and the rules anchored on them, and allocates nothing
 * once the scratch has grown to the rule set.
 *
 * Not responsible for running PCRE2 (match.c) nor for compiling rules
 * (ruleset.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "litfreq.h"
#include "normalize_internal.h"
#include "prefilter.h"
#include "prefilter_internal.h"
#include "sentence.h"

#define S_UNSET		UINT32_MAX
#define S_OCCMAX	4096	/* occurrences a scan keeps of one post */
#define S_MULTI		0x80000000u	/* in lit_prog: reachable twice */
/* A literal's cost: its rarity (litfreq.c) above, the slots that use it
 * below, so that the second only breaks ties of the first. */
#define S_POPBITS	20
#define S_POPMAX	((1u << S_POPBITS) - 1)
/* A set one of whose literals is in this many health posts in 100,000
 * ("is", "the", "in") tells nothing: a rule needing it is not checked
 * for it, and the scan looks for its literals only if a rule needs them
 * for more. */
#define S_WEAKFREQ	40000u

/* Where two sets of a rule stand (slots until built, sets after): a
 * literal of 'a' ends at most 'max' bytes before one of 'b' starts
 * (mf_litgap_t, S_ORDER), a literal of each lies in one window of 'max'
 * bytes (`near N`, S_WINDOW), or in one sentence (`near sentence`,
 * S_SENTENCE: a rule's sentence gaps chain its patterns, and a literal of
 * every one of them must lie in the same sentence). */
enum { S_ORDER, S_WINDOW, S_SENTENCE };
typedef struct s_gap {
	uint32_t	a, b, max;
	int		kind;
} s_gap_t;

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
	 * pair_lit[slot_first[slot] ..]. */
	uint32_t	*pair_lit, *pair_slot;
	size_t		 npairs, cap_pairs;

	/* Distinct literal sets: set s is the sorted literal ids
	 * set_lits[set_first[s], set_first[s + 1]). */
	uint32_t	*set_first, *set_lits;
	size_t		 nsets;

	/* Per literal, the rules anchored on it, in groups (see
	 * s_program()): lit_prog[lit_off[l], lit_off[l + 1]). */
	uint32_t	*lit_off;	/* nlits + 1 */
	uint32_t	*lit_prog;
	size_t		 nprog;

	/* Order and distance of the sets of a rule: rule r's are
	 * gaps[gap_base[r], gap_base[r] + gap_cnt[r]). */
	uint32_t	*gap_base, *gap_cnt;
	s_gap_t		*gaps;
	size_t		 ngaps, cap_gaps;
	int		 sentences;	/* some gap is S_SENTENCE */

	size_t		*always;	/* rules that run on every post */
	size_t		 nalways;
	/* The literals a scan looks for (the anchors' and those of the sets
	 * checked): ls_lit[i] is the literal of the scanner's i; live[l]
	 * whether l is one. */
	uint32_t	*ls_lit;
	uint8_t		*live;
	size_t		 nlive;
	mf__ls_t	*ls;
	int		 built;
};

/* What the scratch keeps beyond the public fields. */
typedef struct s_extra {
	unsigned	*lit_epoch;
	uint32_t	*found;		/* literals found in this post */
	uint32_t	*occ_head, *occ_tail;	/* per literal found */
	size_t		 cap_lits;
	/* Where the literals found end, S_OCCMAX at most a post, each
	 * literal's a list in text order (occ_head, occ_next). */
	uint32_t	*occ_end, *occ_next;
	unsigned	*set_epoch;	/* per set: decided in this scan */
	uint8_t		*set_val;	/* per set: 1 if a literal is found */
	size_t		 cap_sets;
	uint8_t		*sid;		/* per byte: its sentence (s_sid()) */
	size_t		 cap_sid;
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
	    sizeof(*self->why))) == NULL ||
	    (self->gap_base = mf_calloc(nrules ? nrules : 1,
	    sizeof(*self->gap_base))) == NULL ||
	    (self->gap_cnt = mf_calloc(nrules ? nrules : 1,
	    sizeof(*self->gap_cnt))) == NULL) {
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
	mf_free(self->set_first);
	mf_free(self->set_lits);
	mf_free(self->lit_off);
	mf_free(self->lit_prog);
	mf_free(self->always);
	mf_free(self->gap_base);
	mf_free(self->gap_cnt);
	mf_free(self->gaps);
	mf__ls_destroy(&self->ls);
	mf_free(self->ls_lit);
	mf_free(self->live);
	mf_free(self);
	*self_p = NULL;
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
		size_t k = mf_fnv32(self->lits[l], self->lens[l]) & (cap - 1);

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
	k = mf_fnv32(s, n) & (self->cap_index - 1);
	for (; self->index[k] != S_UNSET; k = (k + 1) & (self->cap_index - 1)) {
		uint32_t l = self->index[k];

		if (self->lens[l] == n && memcmp(self->lits[l], s, n) == 0)
			return l;
	}
	if (self->nlits + 1 > self->cap_lits) {
		size_t	 had = self->cap_lits, *p;

		if (s_grow((void **)&self->lits, &self->cap_lits,
		    self->nlits + 1, sizeof(*self->lits)) < 0)
			return S_UNSET;
		/* lens shares cap_lits: grown with it, not per literal (a
		 * realloc that copies made that quadratic). */
		if ((p = mf_realloc(self->lens, self->cap_lits *
		    sizeof(*self->lens))) == NULL) {
			self->cap_lits = had;
			return S_UNSET;
		}
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

static int
s_gap_push(mf_prefilter_t *self, size_t rule, uint32_t a, uint32_t b,
    uint32_t max, int kind)
{
	if (s_grow((void **)&self->gaps, &self->cap_gaps, self->ngaps + 1,
	    sizeof(*self->gaps)) < 0)
		return -1;
	if (self->gap_cnt[rule] == 0)
		self->gap_base[rule] = (uint32_t)self->ngaps;
	self->gap_cnt[rule]++;
	self->gaps[self->ngaps].a = a;
	self->gaps[self->ngaps].b = b;
	self->gaps[self->ngaps].max = max;
	self->gaps[self->ngaps++].kind = kind;
	self->sentences |= kind == S_SENTENCE;
	return 0;
}

/* Adds the gaps of 'r', whose sets fill the slots from 'slot' on. */
static int
s_add_gaps(mf_prefilter_t *self, size_t rule, const mf_litreq_t *r,
    uint32_t slot)
{
	uint32_t	 map[1 + 64];

	if (r->ngaps == 0 || r->nalso >= 64)
		return 0;
	map[0] = slot++;
	for (size_t k = 0; k < r->nalso; k++)
		map[k + 1] = s_usable_set(r->also[k].lits, r->also[k].nlits) ?
		    slot++ : S_UNSET;
	for (size_t i = 0; i < r->ngaps; i++) {
		const mf_litgap_t *g = &r->gaps[i];

		if (g->a > r->nalso || g->b > r->nalso ||
		    map[g->a] == S_UNSET || map[g->b] == S_UNSET)
			continue;
		if (s_gap_push(self, rule, map[g->a], map[g->b], g->max,
		    S_ORDER) < 0)
			return -1;
	}
	return 0;
}

int
mf_prefilter_add(mf_prefilter_t *self, size_t rule, const mf_litreq_t *reqs,
    size_t nreqs)
{
	return mf_prefilter_add_near(self, rule, reqs, nreqs, 0);
}

int
mf_prefilter_add_near(mf_prefilter_t *self, size_t rule,
    const mf_litreq_t *reqs, size_t nreqs, size_t near)
{
	uint32_t	need = 0, base, slot, prev = S_UNSET;
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
		if (s_add_gaps(self, rule, r, slot) < 0)
			return -1;
		/* `near`: this pattern's hit and the previous one's lie in
		 * one window or sentence, and so do a literal of each. */
		if (near > 0 && prev != S_UNSET && (near < UINT32_MAX ||
		    near == MF_PF_NEAR_SENTENCE) && s_gap_push(self, rule,
		    prev, slot, near < UINT32_MAX ? (uint32_t)near : 0,
		    near < UINT32_MAX ? S_WINDOW : S_SENTENCE) < 0)
			return -1;
		prev = slot;
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

/* The distinct literal ids of 'slot', ascending, into 'v'; how many. */
static size_t
s_slot_lits(const mf_prefilter_t *self, uint32_t slot, uint32_t *v)
{
	size_t n = 0;

	for (uint32_t i = self->slot_first[slot]; i < s_slot_end(self, slot);
	    i++) {
		uint32_t	l = self->pair_lit[i];
		size_t		j = n;

		while (j > 0 && v[j - 1] > l)
			j--;
		if (j > 0 && v[j - 1] == l)
			continue;
		memmove(v + j + 1, v + j, (n - j) * sizeof(*v));
		v[j] = l;
		n++;
	}
	return n;
}

/* Numbers the distinct literal sets: slot_set[slot] for every slot. */
static int
s_sets(mf_prefilter_t *self, uint32_t *slot_set)
{
	size_t		 maxn = 1, cap = 16, nl = 0;
	uint32_t	*v = NULL, *tab = NULL;
	int		 rc = -1;

	for (uint32_t slot = 0; slot < self->nslots; slot++)
		if (s_slot_end(self, slot) - self->slot_first[slot] > maxn)
			maxn = s_slot_end(self, slot) - self->slot_first[slot];
	while (cap < self->nslots * 2)
		cap *= 2;
	if ((v = mf_malloc(maxn * sizeof(*v))) == NULL ||
	    (tab = mf_malloc(cap * sizeof(*tab))) == NULL ||
	    (self->set_first = mf_malloc((self->nslots + 1) *
	    sizeof(*self->set_first))) == NULL ||
	    (self->set_lits = mf_malloc((self->npairs ? self->npairs : 1) *
	    sizeof(*self->set_lits))) == NULL)
		goto out;
	for (size_t k = 0; k < cap; k++)
		tab[k] = S_UNSET;
	self->set_first[0] = 0;
	for (uint32_t slot = 0; slot < self->nslots; slot++) {
		size_t		n = s_slot_lits(self, slot, v);
		uint32_t	h = mf_fnv32(v, n * sizeof(*v)) &
				    (uint32_t)(cap - 1);

		for (; tab[h] != S_UNSET; h = (h + 1) & (uint32_t)(cap - 1)) {
			uint32_t t = tab[h];

			if (self->set_first[t + 1] - self->set_first[t] == n &&
			    memcmp(self->set_lits + self->set_first[t], v,
			    n * sizeof(*v)) == 0)
				break;
		}
		if (tab[h] == S_UNSET) {
			tab[h] = (uint32_t)self->nsets;
			memcpy(self->set_lits + nl, v, n * sizeof(*v));
			nl += n;
			self->set_first[++self->nsets] = (uint32_t)nl;
		}
		slot_set[slot] = tab[h];
	}
	rc = 0;
out:
	mf_free(v);
	mf_free(tab);
	return rc;
}

/* The sets rule 'r' needs besides its anchor's, without repeats, into
 * 'v' (room for need[r]), the rarest first (the likeliest to be
 * missing, so a scan stops soonest); how many. */
static uint32_t
s_rule_sets(const mf_prefilter_t *self, const uint32_t *slot_set,
    const uint64_t *setpop, const uint8_t *weak, size_t r, uint32_t *v)
{
	uint32_t n = 0, a = slot_set[self->anchor[r]];

	for (uint32_t k = 0; k < self->need[r]; k++) {
		uint32_t	set = slot_set[self->slot_base[r] + k], j;

		if (set == a || weak[set])
			continue;	/* found whenever the anchor is, or
					 * in most posts */
		for (j = 0; j < n && v[j] != set; j++)
			;
		if (j < n)
			continue;
		for (j = n++; j > 0 && (setpop[v[j - 1]] > setpop[set] ||
		    (setpop[v[j - 1]] == setpop[set] && v[j - 1] > set)); j--)
			v[j] = v[j - 1];
		v[j] = set;
	}
	return n;
}

/* Marks the literals of 'set' as ones a scan looks for. */
static void
s_live_set(mf_prefilter_t *self, uint32_t set)
{
	for (uint32_t i = self->set_first[set]; i < self->set_first[set + 1];
	    i++)
		self->live[self->set_lits[i]] = 1;
}

/* One rule anchored on one literal, before the program is laid out. */
typedef struct s_entry {
	uint32_t	lit, group, rule;
} s_entry_t;

static int
s_cmp_entry(const void *a, const void *b)
{
	const s_entry_t *x = a, *y = b;

	if (x->lit != y->lit)
		return x->lit < y->lit ? -1 : 1;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/*
 * Lays out lit_prog: per literal, its anchored rules in groups that need
 * the same first set (their least shared one), each group as
 * [set or S_UNSET, words] then its rules as [rule, n, n more sets]; a
 * scan that finds the group's set missing skips 'words' at once. A rule
 * whose anchor set has more than one literal is flagged S_MULTI: only it
 * can be reached twice in a scan.
 */
static int
s_program(mf_prefilter_t *self, const uint32_t *slot_set,
    const uint64_t *litcost, uint32_t maxneed)
{
	uint64_t	*setpop = NULL;
	uint8_t		*weak = NULL;
	uint32_t	*v = NULL, *rs_off = NULL, *rs = NULL;
	s_entry_t	*ent = NULL;
	size_t		 nent = 0, nrs = 0, w = 0;
	int		 rc = -1;

	if ((setpop = mf_calloc(self->nsets + 1, sizeof(*setpop))) == NULL ||
	    (weak = mf_calloc(self->nsets + 1, sizeof(*weak))) == NULL ||
	    (self->live = mf_calloc(self->nlits + 1,
	    sizeof(*self->live))) == NULL ||
	    (v = mf_malloc(maxneed * sizeof(*v))) == NULL ||
	    (rs_off = mf_calloc(self->nrules + 1, sizeof(*rs_off))) == NULL ||
	    (rs = mf_malloc((self->nslots + 1) * sizeof(*rs))) == NULL)
		goto out;
	for (size_t t = 0; t < self->nsets; t++)
		for (uint32_t i = self->set_first[t]; i < self->set_first[t + 1];
		    i++) {
			setpop[t] += litcost[self->set_lits[i]];
			if (litcost[self->set_lits[i]] >> S_POPBITS >=
			    S_WEAKFREQ)
				weak[t] = 1;
		}
	for (size_t r = 0; r < self->nrules; r++) {
		uint32_t n = 0;

		if (self->need[r] != 0) {
			uint32_t a = slot_set[self->anchor[r]];

			n = s_rule_sets(self, slot_set, setpop, weak, r, v);
			memcpy(rs + nrs, v, n * sizeof(*v));
			nent += self->set_first[a + 1] - self->set_first[a];
			s_live_set(self, a);
			for (uint32_t j = 0; j < n; j++)
				s_live_set(self, v[j]);
		}
		nrs += n;
		rs_off[r + 1] = (uint32_t)nrs;
	}
	if ((ent = mf_malloc((nent + 1) * sizeof(*ent))) == NULL)
		goto out;
	nent = 0;
	for (size_t r = 0; r < self->nrules; r++) {
		uint32_t a;

		if (self->need[r] == 0)
			continue;
		a = slot_set[self->anchor[r]];
		for (uint32_t i = self->set_first[a]; i < self->set_first[a + 1];
		    i++) {
			ent[nent].lit = self->set_lits[i];
			ent[nent].group = rs_off[r + 1] > rs_off[r] ?
			    rs[rs_off[r]] : S_UNSET;
			ent[nent++].rule = (uint32_t)r;
		}
	}
	qsort(ent, nent, sizeof(*ent), s_cmp_entry);
	/* At most 2 words of group header and 2 + sets per entry. */
	self->nprog = 0;
	for (size_t i = 0; i < nent; i++)
		self->nprog += 4 + rs_off[ent[i].rule + 1] -
		    rs_off[ent[i].rule];
	if ((self->lit_prog = mf_malloc((self->nprog + 1) *
	    sizeof(*self->lit_prog))) == NULL)
		goto out;
	for (size_t i = 0, l = 0; l <= self->nlits; l++) {
		self->lit_off[l] = (uint32_t)w;
		while (i < nent && ent[i].lit == l) {
			size_t hdr = w;

			self->lit_prog[w++] = ent[i].group;
			self->lit_prog[w++] = 0;
			do {
				uint32_t r = ent[i].rule, a, n;

				a = slot_set[self->anchor[r]];
				n = rs_off[r + 1] - rs_off[r];
				self->lit_prog[w++] = r | (self->set_first[a +
				    1] - self->set_first[a] > 1 ? S_MULTI : 0);
				self->lit_prog[w++] = n ? n - 1 : 0;
				if (n > 1)
					memcpy(self->lit_prog + w, rs +
					    rs_off[r] + 1, (n - 1) *
					    sizeof(*rs));
				w += n ? n - 1 : 0;
				i++;
			} while (i < nent && ent[i].lit == l &&
			    ent[i].group == self->lit_prog[hdr]);
			self->lit_prog[hdr + 1] = (uint32_t)(w - hdr - 2);
		}
	}
	self->nprog = w;
	rc = 0;
out:
	mf_free(setpop);
	mf_free(weak);
	mf_free(v);
	mf_free(rs_off);
	mf_free(rs);
	mf_free(ent);
	return rc;
}

/*
 * Picks each rule's anchor: the slot whose literals are rarest in health
 * text (litfreq.c: the posts in 100,000 that may hold each, added up over
 * the slot), then the one the fewest other slots share (a literal used
 * by hundreds of rules, like "cause", is likely common in text as well).
 * A scan looks up only anchors; the other sets of a rule are checked
 * once its anchor is found, the rarest first.
 */
static int
s_anchors(mf_prefilter_t *self)
{
	uint64_t	*cost = mf_calloc(self->nlits + 1, sizeof(*cost));
	uint32_t	*slot_set = NULL, maxneed = 1;
	int		 rc = -1;

	if (cost == NULL ||
	    (slot_set = mf_malloc((self->nslots ? self->nslots : 1) *
	    sizeof(*slot_set))) == NULL)
		goto out;
	for (size_t i = 0; i < self->npairs; i++)
		cost[self->pair_lit[i]]++;
	for (size_t l = 0; l < self->nlits; l++)
		cost[l] = (uint64_t)mf__litfreq(self->lits[l], self->lens[l]) <<
		    S_POPBITS | (cost[l] < S_POPMAX ? cost[l] : S_POPMAX);
	for (size_t r = 0; r < self->nrules; r++) {
		uint64_t best = UINT64_MAX;

		if (self->need[r] > maxneed)
			maxneed = self->need[r];
		for (uint32_t k = 0; k < self->need[r]; k++) {
			uint32_t slot = self->slot_base[r] + k;
			uint64_t c = 0;

			for (uint32_t i = self->slot_first[slot];
			    i < s_slot_end(self, slot); i++)
				c += cost[self->pair_lit[i]];
			if (c < best) {
				best = c;
				self->anchor[r] = slot;
			}
		}
	}
	if (s_sets(self, slot_set) < 0 ||
	    s_program(self, slot_set, cost, maxneed) < 0)
		goto out;
	for (size_t i = 0; i < self->ngaps; i++) {
		self->gaps[i].a = slot_set[self->gaps[i].a];
		self->gaps[i].b = slot_set[self->gaps[i].b];
	}
	mf_free(self->pair_slot);
	self->pair_slot = NULL;
	rc = 0;
out:
	mf_free(cost);
	mf_free(slot_set);
	return rc;
}

/* The literal scanner over the literals a scan looks for. */
static int
s_build_scanner(mf_prefilter_t *self, mf_err_t *err)
{
	const char	**lits;
	size_t		 *lens;
	int		  rc = -1;

	lits = mf_malloc((self->nlits + 1) * sizeof(*lits));
	lens = mf_malloc((self->nlits + 1) * sizeof(*lens));
	self->ls_lit = mf_malloc((self->nlits + 1) * sizeof(*self->ls_lit));
	if (lits == NULL || lens == NULL || self->ls_lit == NULL) {
		mf_err_set(err, MF_ENOMEM, NULL, "out of memory building "
		    "the prefilter");
		goto out;
	}
	self->nlive = 0;
	for (size_t l = 0; l < self->nlits; l++) {
		if (!self->live[l])
			continue;
		lits[self->nlive] = self->lits[l];
		lens[self->nlive] = self->lens[l];
		self->ls_lit[self->nlive++] = (uint32_t)l;
	}
	if ((self->ls = mf__ls_build(lits, lens, self->nlive, err)) != NULL)
		rc = 0;
out:
	mf_free(lits);
	mf_free(lens);
	return rc;
}

int
mf_prefilter_build(mf_prefilter_t *self, mf_err_t *err)
{
	if (self == NULL || self->built)
		return mf_err_set(err, MF_EINVAL, NULL, "prefilter: "
		    "already built");
	if (self->nrules >= S_MULTI)
		return mf_err_set(err, MF_ELIMIT, NULL, "prefilter: %zu "
		    "rules are too many", self->nrules);
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
	if (s_build_scanner(self, err) < 0)
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
		mf_free(x->occ_head);
		mf_free(x->occ_tail);
		mf_free(x->occ_end);
		mf_free(x->occ_next);
		mf_free(x->set_epoch);
		mf_free(x->set_val);
		mf_free(x->sid);
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
		if ((f = mf_realloc(x->occ_head, self->nlits *
		    sizeof(*f))) == NULL)
			return -1;
		x->occ_head = f;
		if ((f = mf_realloc(x->occ_tail, self->nlits *
		    sizeof(*f))) == NULL)
			return -1;
		x->occ_tail = f;
		if ((e = mf_realloc(x->lit_epoch, self->nlits *
		    sizeof(*e))) == NULL)
			return -1;
		memset(e + x->cap_lits, 0, (self->nlits - x->cap_lits) *
		    sizeof(*e));
		x->lit_epoch = e;
		x->cap_lits = self->nlits;
	}
	if (x->occ_end == NULL &&
	    ((x->occ_end = mf_malloc(S_OCCMAX * sizeof(uint32_t))) == NULL ||
	    (x->occ_next = mf_malloc(S_OCCMAX * sizeof(uint32_t))) == NULL))
		return -1;
	if (x->cap_sets < self->nsets) {
		unsigned	*e;
		uint8_t		*v;

		if ((v = mf_realloc(x->set_val, self->nsets)) == NULL)
			return -1;
		x->set_val = v;
		if ((e = mf_realloc(x->set_epoch, self->nsets *
		    sizeof(*e))) == NULL)
			return -1;
		memset(e + x->cap_sets, 0, (self->nsets - x->cap_sets) *
		    sizeof(*e));
		x->set_epoch = e;
		x->cap_sets = self->nsets;
	}
	if (++s->cur == 0) {
		/* The epoch wrapped: forget every stale mark. */
		memset(s->epoch, 0, s->cap_rules * sizeof(*s->epoch));
		memset(x->lit_epoch, 0, x->cap_lits * sizeof(*x->lit_epoch));
		memset(x->set_epoch, 0, x->cap_sets * sizeof(*x->set_epoch));
		s->cur = 1;
	}
	return 0;
}

typedef struct s_scan {
	const uint32_t	*ls_lit;	/* the scanner's literals: ours */
	unsigned	*lit_epoch;
	uint32_t	*found;
	size_t		 nfound;
	uint32_t	*occ_head, *occ_tail, *occ_end, *occ_next;
	uint32_t	 nocc;		/* S_OCCMAX + 1: some were not kept */
	unsigned	 cur;
	const char	*text;
	size_t		 len;
	uint8_t		*sid;		/* room for len; filled on first use */
	int		 sid_done;
} s_scan_t;

/* The scanner's report: notes each literal the first time. */
static void
s_on_hit(void *ctx, uint32_t lit, size_t end)
{
	s_scan_t *sc = ctx;

	(void)end;
	lit = sc->ls_lit[lit];
	if (sc->lit_epoch[lit] != sc->cur) {
		sc->lit_epoch[lit] = sc->cur;
		sc->found[sc->nfound++] = lit;
		sc->occ_head[lit] = S_UNSET;
	}
	if (sc->nocc < S_OCCMAX) {
		uint32_t k = sc->nocc++;

		sc->occ_end[k] = (uint32_t)end;
		sc->occ_next[k] = S_UNSET;
		if (sc->occ_head[lit] == S_UNSET)
			sc->occ_head[lit] = k;
		else
			sc->occ_next[sc->occ_tail[lit]] = k;
		sc->occ_tail[lit] = k;
	} else {
		sc->nocc = S_OCCMAX + 1;
	}
}

/*
 * 1 if gap 'g' holds in this scan (s_gap_t), or if that cannot be told
 * cheaply: more than S_GAPOCC occurrences of set b's literals, or more
 * than S_GAPWORK pairs to compare. Only the literals the scan found are
 * looked for again, and only for a rule whose every part is there, so
 * the scan itself keeps no positions.
 */
#define S_GAPOCC	64
#define S_GAPWORK	4096

/* Walks the occurrences in the text of the literals of a set that the
 * scan found: literal by literal, left to right. */
typedef struct s_occ {
	uint32_t	 i, end;	/* in set_lits */
	const char	*p;		/* where to look next; NULL: start */
	uint32_t	 o;		/* the scan's last one; S_UNSET: none */
} s_occ_t;

/* The next occurrence [*s, *e); 0 when there is none. */
static int
s_occ_next(const mf_prefilter_t *self, const s_scan_t *sc, s_occ_t *it,
    size_t *s, size_t *e)
{
	for (; it->i < it->end; it->i++, it->p = NULL, it->o = S_UNSET) {
		uint32_t	 l = self->set_lits[it->i];
		const char	*q;

		if (self->live[l] && sc->lit_epoch[l] != sc->cur)
			continue;
		/* Where the scan saw it, when it kept every occurrence. */
		if (self->live[l] && sc->nocc <= S_OCCMAX) {
			it->o = it->o == S_UNSET ? sc->occ_head[l] :
			    sc->occ_next[it->o];
			if (it->o == S_UNSET)
				continue;
			*e = sc->occ_end[it->o];
			*s = *e - self->lens[l];
			return 1;
		}
		/* Else, and for a literal the scan does not look for (of a
		 * set in most posts), in the text. */
		if (it->p == NULL)
			it->p = sc->text;
		q = mf__memmem(it->p, (size_t)(sc->text + sc->len - it->p),
		    self->lits[l], self->lens[l]);
		if (q == NULL)
			continue;
		it->p = q + 1;
		*s = (size_t)(q - sc->text);
		*e = *s + self->lens[l];
		return 1;
	}
	return 0;
}

static int
s_gap_ok(const mf_prefilter_t *self, const s_scan_t *sc, const s_gap_t *g)
{
	size_t	 bs[S_GAPOCC], be[S_GAPOCC], n = 0, work = 0, s, e;
	s_occ_t	 it = { self->set_first[g->b], self->set_first[g->b + 1],
		    NULL, S_UNSET };

	while (s_occ_next(self, sc, &it, &s, &e)) {
		if (n == S_GAPOCC)
			return 1;
		bs[n] = s;
		be[n++] = e;
	}
	it.i = self->set_first[g->a];
	it.end = self->set_first[g->a + 1];
	it.p = NULL;
	it.o = S_UNSET;
	while (s_occ_next(self, sc, &it, &s, &e)) {
		for (size_t k = 0; k < n; k++)
			if (g->kind == S_WINDOW ? (e > be[k] ? e : be[k]) -
			    (s < bs[k] ? s : bs[k]) <= g->max :
			    e <= bs[k] && bs[k] - e <= g->max)
				return 1;
		if ((work += n + 1) > S_GAPWORK)
			return 1;
	}
	return 0;
}

/*
 * The sentence of every byte of the text, counted from 0 and kept at 63
 * from the 64th on (those share one), so that a literal's sentence is one
 * look-up: sid[i] is the number of sentence ends before byte i
 * (sentence.h, the matcher's own definition).
 */
static void
s_sid(s_scan_t *sc)
{
	unsigned c = 0;

	for (size_t i = 0; i < sc->len; i++) {
		sc->sid[i] = (uint8_t)c;
		if (c < 63 && mf__sentence_end(sc->text, sc->len, i))
			c++;
	}
	sc->sid_done = 1;
}

/* The sentences (bit min(k, 63) for sentence k) that hold a literal of
 * 'set' whole; every bit if there are too many to tell cheaply. A
 * literal that crosses a sentence end can be part of no hit of a rule
 * whose hit lies in one sentence. */
static uint64_t
s_sent_mask(const mf_prefilter_t *self, s_scan_t *sc, uint32_t set)
{
	s_occ_t		 it = { self->set_first[set], self->set_first[set + 1],
			    NULL, S_UNSET };
	uint64_t	 m = 0;
	size_t		 s, e, n = 0;

	if (!sc->sid_done)
		s_sid(sc);
	while (s_occ_next(self, sc, &it, &s, &e)) {
		if (++n > S_GAPWORK)
			return ~(uint64_t)0;
		if (sc->sid[s] == sc->sid[e - 1])
			m |= (uint64_t)1 << sc->sid[s];
	}
	return m;
}

/* 1 if every gap of rule 'r' holds in this scan. */
static int
s_gaps_ok(const mf_prefilter_t *self, s_scan_t *sc, uint32_t r)
{
	uint32_t g = self->gap_base[r], end = g + self->gap_cnt[r];
	uint32_t last = S_UNSET;	/* the chain's last set, once asked */
	uint64_t sent = ~(uint64_t)0;

	for (; g < end; g++) {
		const s_gap_t *gp = &self->gaps[g];

		if (gp->kind != S_SENTENCE) {
			if (!s_gap_ok(self, sc, gp))
				return 0;
			continue;
		}
		/* Sentence gaps chain the patterns: a gap's 'a' is the
		 * previous one's 'b', already in 'sent'. */
		if (gp->a != last)
			sent &= s_sent_mask(self, sc, gp->a);
		if ((sent &= s_sent_mask(self, sc, gp->b)) == 0)
			return 0;
		last = gp->b;
	}
	return 1;
}

/* 1 if a literal of set 'set' was found; decided once per scan. */
static int
s_set_ok(const mf_prefilter_t *self, s_extra_t *x, const s_scan_t *sc,
    uint32_t set)
{
	uint32_t i, end;

	if (x->set_epoch[set] == sc->cur)
		return x->set_val[set];
	end = self->set_first[set + 1];
	for (i = self->set_first[set]; i < end; i++)
		if (sc->lit_epoch[self->set_lits[i]] == sc->cur)
			break;
	x->set_epoch[set] = sc->cur;
	x->set_val[set] = i < end;
	return i < end;
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
	sc.ls_lit = self->ls_lit;
	sc.lit_epoch = x->lit_epoch;
	sc.found = x->found;
	sc.occ_head = x->occ_head;
	sc.occ_tail = x->occ_tail;
	sc.occ_end = x->occ_end;
	sc.occ_next = x->occ_next;
	sc.nocc = 0;
	sc.nfound = 0;
	sc.cur = s->cur;
	sc.text = text;
	sc.len = len;
	sc.sid_done = 0;
	if (self->sentences && x->cap_sid < len) {
		uint8_t *v;

		if ((v = mf_realloc(x->sid, len)) == NULL)
			return (size_t)-1;
		x->sid = v;
		x->cap_sid = len;
	}
	sc.sid = x->sid;
	if (self->nlive > 0 && len > 0)
		mf__ls_scan(self->ls, text, len, s_on_hit, &sc);
	/* Rules whose anchor was found, once each, if the rest is too.
	 * The hits go to the front of 'out'; always-rules are disjoint. */
	for (size_t f = 0; f < sc.nfound; f++) {
		const uint32_t	*prog = self->lit_prog;
		uint32_t	 l = sc.found[f], k = self->lit_off[l];
		uint32_t	 end = self->lit_off[l + 1];

		while (k < end) {
			uint32_t set = prog[k], stop = k + 2 + prog[k + 1];

			k += 2;
			if (set != S_UNSET && !s_set_ok(self, x, &sc, set)) {
				k = stop;
				continue;
			}
			while (k < stop) {
				const uint32_t	*e = &prog[k];
				uint32_t	 r = e[0] & ~S_MULTI, n = e[1], j;

				k += 2 + n;
				if (e[0] & S_MULTI) {
					if (s->epoch[r] == sc.cur)
						continue;
					s->epoch[r] = sc.cur;
				}
				for (j = 0; j < n; j++)
					if (!s_set_ok(self, x, &sc, e[2 + j]))
						break;
				if (j == n && (self->gap_cnt[r] == 0 ||
				    s_gaps_ok(self, &sc, r)))
					out[nh++] = r;
			}
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

unsigned
mf_prefilter_rule_parts(const mf_prefilter_t *self, const mf_pfscratch_t *s,
    size_t rule, unsigned *found)
{
	const s_extra_t	*x = s->extra;
	unsigned	 n = 0;

	*found = 0;
	if (self == NULL || x == NULL || rule >= self->nrules ||
	    self->need[rule] == 0 || self->need[rule] == S_UNSET)
		return 0;
	for (uint32_t k = 0; k < self->need[rule]; k++) {
		uint32_t	slot = self->slot_base[rule] + k;
		uint32_t	i, end = s_slot_end(self, slot);
		int		live = 0, got = 0;

		for (i = self->slot_first[slot]; i < end && !got; i++) {
			uint32_t l = self->pair_lit[i];

			live |= self->live[l];
			got = self->live[l] && x->lit_epoch[l] == s->cur;
		}
		n += got || !live;
	}
	*found = n;
	return self->need[rule];
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

/* Appends the literals of 'slot' to 'out' as "a"|"b"|... */
static int
s_slot_print(const mf_prefilter_t *self, uint32_t slot, mf_buf_t *out)
{
	uint32_t	 i, first = self->slot_first[slot];
	uint32_t	 end = s_slot_end(self, slot);

	for (i = first; i < end && i - first < 8; i++)
		if (mf_buf_printf(out, "%s\"%.*s\"", i > first ? "|" : "",
		    (int)self->lens[self->pair_lit[i]],
		    self->lits[self->pair_lit[i]]) == -1)
			return -1;
	return i < end ? mf_buf_puts(out, "|...") : 0;
}

int
mf_prefilter_rule_lits(const mf_prefilter_t *self, size_t rule,
    mf_buf_t *out)
{
	uint32_t a;

	if (self == NULL || !self->built || rule >= self->nrules ||
	    self->need[rule] == 0 || self->need[rule] == S_UNSET)
		return 0;
	a = self->anchor[rule];
	if (s_slot_print(self, a, out) == -1)
		return -1;
	for (uint32_t k = 0; k < self->need[rule]; k++) {
		uint32_t slot = self->slot_base[rule] + k;

		if (slot != a && (mf_buf_puts(out, " + ") == -1 ||
		    s_slot_print(self, slot, out) == -1))
			return -1;
	}
	return 0;
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
	    (self->nlits + 1 + self->npairs * 2) * sizeof(uint32_t) +
	    (self->nsets + 1 + self->npairs + self->nprog) * sizeof(uint32_t);
	for (size_t i = 0; i < self->nlits; i++)
		n += self->lens[i] + 1;
	n += self->nlits * (sizeof(*self->live) + sizeof(*self->ls_lit));
	return n + mf__ls_bytes(self->ls);
}
