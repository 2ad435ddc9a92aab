/*
 * litscan.c - finds which of a set of literals occur in a text, with a
 * small bitmap test at each position and an exact check only on a hit
 * (a scalar cousin of Hyperscan's FDR and of Rabin-Karp buckets).
 *
 * Literals are put in groups by length: 4 bytes or more (keyed by their
 * rarest 4 bytes in health text, litfreq.h: "the virus" by "viru", not
 * by the "the " of every other sentence), 3 bytes, 2 bytes, 1 byte
 * (keyed by all of theirs: a
 * 3-byte literal such as "flu" keyed by "fl" alone would stop the scan at
 * every "fl" of the text). Each group has a filter, a bitmap with a bit
 * set for every key a literal of the group has: hashed for 4-, 3- and
 * 2-byte keys and sized so that about
 * one bit in 64 is set (512 bytes for up to 64 keys, 128 KB at most;
 * small enough to stay in L1 while normalization runs between posts),
 * a direct 256-bit map for bytes. At each
 * text position the scan reads the next 4 bytes once and tests one bit
 * per group; these loads do not depend on each other, unlike an automaton
 * whose next state needs the previous one. Only when a bit is set does it
 * look the exact key up in the group's hash table and compare the
 * literals that share it with the text, around the key: first 4 more
 * of their bytes as one word, then the rest. A key's slot and each
 * literal's entry are one record each, one cache line to tell a key
 * apart.
 *
 * Every occurrence is reported, overlapping and repeated ones included;
 * literals at the very start and end of the text and texts shorter than 4
 * bytes go through the same tests: the last positions read their key from
 * a zero-padded copy, and the exact comparison is bounded by what is left
 * of the text, so padding can cause a filter hit but never a false match.
 * A literal is reported when the scan reaches its key: each literal's
 * occurrences come left to right, but not those of different literals.
 *
 * Not responsible for which literals to look for (litextract.c) nor for
 * what a hit means (prefilter.c). ahocorasick.c is the automaton this
 * replaced; the tests keep it as a reference.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "litfreq.h"
#include "prefilter_internal.h"

#define S_HASHMUL	0x9e3779b1u	/* odd, from the golden ratio */
#define S_MINBITS	12		/* a hashed filter: 512 B .. */
#define S_MAXBITS	20		/* .. 128 KB */

enum { S_G4, S_G3, S_G2, S_G1, S_NGROUPS };

/* A slot of a group's table: a distinct key and its literals, the
 * entries first .. first + count (count 0: the slot is free). One load
 * tells a key apart. */
typedef struct s_slot {
	uint32_t	 key, first, count;
} s_slot_t;

/* A literal behind a key. Its key is the 4 bytes at 'o' (0 in the
 * shorter groups, whose key is the whole literal); 'q' is 4 more of its
 * bytes, at 'qoff', compared as one word before the whole literal. */
typedef struct s_ent {
	uint32_t	 id, q, len, off;
	uint16_t	 o, qoff;
	uint32_t	 whole;	/* 1: key and q hold all of it */
} s_ent_t;

/* One group: its filter and the literals behind each distinct key. */
typedef struct s_group {
	uint64_t	*filter;	/* 1 << fbits bits */
	unsigned	 fbits;		/* 0: the group is empty */
	uint32_t	 mask;		/* of the key: 4, 3, 2 or 1 bytes */
	s_slot_t	*slot;		/* open addressing, tmask + 1 */
	uint32_t	 tmask;
	s_ent_t		*ent;		/* by slot, in literal order */
	unsigned	 klen;		/* key bytes: 4, 3, 2 or 1 */
	size_t		 nkeys;
} s_group_t;

struct mf__ls {
	s_group_t	 g[S_NGROUPS];
	char		*bytes;		/* every literal, end to end */
	uint32_t	*off, *len;	/* per literal, in 'bytes' */
	size_t		 n, nbytes;
};

/* The key at 'p': up to 4 bytes, little-endian whatever the host. */
static inline uint32_t
s_key(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint32_t
s_fhash(const s_group_t *g, uint32_t key)
{
	/* The 1-byte map is direct; longer keys are hashed. */
	if (g->mask == 0xffu)
		return key;
	return (key * S_HASHMUL) >> (32 - g->fbits);
}

static inline uint32_t
s_thash(uint32_t key, uint32_t tmask)
{
	uint32_t h = key * 0x85ebca6bu;

	return (h ^ (h >> 15)) & tmask;
}

static inline int
s_test(const uint64_t *f, uint32_t bit)
{
	return (int)(f[bit >> 6] >> (bit & 63)) & 1;
}

void
mf__ls_destroy(mf__ls_t **self_p)
{
	mf__ls_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	for (int k = 0; k < S_NGROUPS; k++) {
		mf_free(self->g[k].filter);
		mf_free(self->g[k].slot);
		mf_free(self->g[k].ent);
	}
	mf_free(self->bytes);
	mf_free(self->off);
	mf_free(self->len);
	mf_free(self);
	*self_p = NULL;
}

/* The group of a literal of 'len' bytes. */
static int
s_group_of(size_t len)
{
	return len >= 4 ? S_G4 : len == 3 ? S_G3 : len == 2 ? S_G2 : S_G1;
}

/*
 * Where literal 'i' is keyed: its rarest 4 bytes in health text, so that
 * "the virus" waits for "viru", not for every "the " of a post; the
 * first of equally rare ones. A shorter literal is keyed by all of it.
 */
static uint32_t
s_lit_at(const mf__ls_t *self, uint32_t i)
{
	const char	*b = self->bytes + self->off[i];
	uint32_t	 at = 0, best = UINT32_MAX, f;

	for (uint32_t o = 0; self->len[i] >= 4 && o + 4 <= self->len[i] &&
	    o <= UINT16_MAX; o++)
		if ((f = mf__litfreq(b + o, 4)) < best) {
			best = f;
			at = o;
		}
	return at;
}

/* The masked key of literal 'i' at 'o' (zero-padded). */
static uint32_t
s_lit_key(const mf__ls_t *self, uint32_t i, uint32_t o, uint32_t mask)
{
	uint8_t b[4] = {0};

	memcpy(b, self->bytes + self->off[i] + o, self->len[i] - o < 4 ?
	    self->len[i] - o : 4);
	return s_key(b) & mask;
}

/* Whether a literal of 'len' bytes is all in its key (at 'o') and its
 * word q (at 'qoff'), two windows of 4 bytes. */
static uint32_t
s_whole(uint32_t len, uint32_t o, uint32_t qoff)
{
	uint32_t lo = o < qoff ? o : qoff, hi = o < qoff ? qoff : o;

	return len <= 4 || (lo == 0 && hi + 4 == len && hi <= 4);
}

/* The table slot of 'key': its own, or the free one where it goes. */
static uint32_t
s_slot(const s_group_t *g, uint32_t key)
{
	uint32_t k = s_thash(key, g->tmask);

	while (g->slot[k].count != 0 && g->slot[k].key != key)
		k = (k + 1) & g->tmask;
	return k;
}

/* Fills group 'gi' with the literals whose length puts them in it. */
static int
s_group_build(mf__ls_t *self, int gi)
{
	static const uint32_t masks[] = { UINT32_MAX, 0xffffffu, 0xffffu,
	    0xffu };
	static const unsigned klens[] = { 4, 3, 2, 1 };
	s_group_t	*g = &self->g[gi];
	size_t		 nlit = 0, tsize = 16, fwords;
	uint32_t	*fill = NULL, *at = NULL;
	int		 rc = -1;

	g->mask = masks[gi];
	g->klen = klens[gi];
	for (uint32_t i = 0; i < self->n; i++)
		nlit += s_group_of(self->len[i]) == gi;
	if (nlit == 0)
		return 0;
	/* Keys are at most the literals: a table at most half full. */
	while (tsize < nlit * 2)
		tsize *= 2;
	g->tmask = (uint32_t)tsize - 1;
	if (gi == S_G1) {
		g->fbits = 8;
	} else {
		g->fbits = S_MINBITS;
		while (g->fbits < (gi == S_G2 ? 16 : S_MAXBITS) &&
		    ((size_t)1 << g->fbits) < nlit * 64)
			g->fbits++;
	}
	fwords = (((size_t)1 << g->fbits) + 63) / 64;
	if ((g->filter = mf_calloc(fwords, sizeof(uint64_t))) == NULL ||
	    (g->slot = mf_calloc(tsize, sizeof(*g->slot))) == NULL ||
	    (g->ent = mf_calloc(nlit, sizeof(*g->ent))) == NULL ||
	    (fill = mf_calloc(tsize, sizeof(uint32_t))) == NULL ||
	    (at = mf_calloc(self->n, sizeof(uint32_t))) == NULL)
		goto out;
	/* Count the literals per key, lay the lists out, then fill them
	 * (in literal order, so a key's list is ascending). */
	for (uint32_t i = 0; i < self->n; i++) {
		uint32_t key, k, bit;

		if (s_group_of(self->len[i]) != gi)
			continue;
		at[i] = gi == S_G4 ? s_lit_at(self, i) : 0;
		key = s_lit_key(self, i, at[i], g->mask);
		k = s_slot(g, key);
		if (g->slot[k].count == 0) {
			g->slot[k].key = key;
			g->nkeys++;
		}
		g->slot[k].count++;
		bit = s_fhash(g, key);
		g->filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
	}
	{
		uint32_t first = 0;

		for (size_t k = 0; k < tsize; k++) {
			g->slot[k].first = first;
			first += g->slot[k].count;
		}
	}
	for (uint32_t i = 0; i < self->n; i++) {
		uint8_t		 b[4] = {0};
		uint32_t	 k, o = at[i], len = self->len[i], qoff;
		s_ent_t		*e;

		if (s_group_of(len) != gi)
			continue;
		k = s_slot(g, s_lit_key(self, i, o, g->mask));
		e = &g->ent[g->slot[k].first + fill[k]++];
		/* The word told first: 4 bytes the key does not hold, from
		 * the start or past the key, within the literal. */
		qoff = o >= 4 ? 0 : o + 8 <= len ? o + 4 : o == 0 && len > 4 ?
		    len - 4 : 0;
		if (len >= 4)
			memcpy(b, self->bytes + self->off[i] + qoff, 4);
		*e = (s_ent_t){ i, s_key(b), len, self->off[i], (uint16_t)o,
		    (uint16_t)qoff, s_whole(len, o, qoff) };
	}
	rc = 0;
out:
	mf_free(fill);
	mf_free(at);
	return rc;
}

mf__ls_t *
mf__ls_build(const char *const *lits, const size_t *lens, size_t n,
    mf_err_t *err)
{
	mf__ls_t	*self;
	size_t		 total = 0;

	for (size_t i = 0; i < n; i++) {
		if (lens[i] == 0 || lens[i] > UINT32_MAX / 2 ||
		    total + lens[i] > UINT32_MAX / 2) {
			mf_err_set(err, MF_ELIMIT, NULL, "prefilter: literal "
			    "%zu is empty or too long", i);
			return NULL;
		}
		total += lens[i];
	}
	if (n > UINT32_MAX / 4) {
		mf_err_set(err, MF_ELIMIT, NULL, "prefilter: %zu literals "
		    "are too many", n);
		return NULL;
	}
	if ((self = mf_calloc(1, sizeof(*self))) == NULL ||
	    (self->bytes = mf_malloc(total + 1)) == NULL ||
	    (self->off = mf_malloc((n ? n : 1) * sizeof(uint32_t))) == NULL ||
	    (self->len = mf_malloc((n ? n : 1) * sizeof(uint32_t))) == NULL)
		goto nomem;
	self->n = n;
	self->nbytes = total;
	total = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(self->bytes + total, lits[i], lens[i]);
		self->off[i] = (uint32_t)total;
		self->len[i] = (uint32_t)lens[i];
		total += lens[i];
	}
	for (int k = 0; k < S_NGROUPS; k++)
		if (s_group_build(self, k) < 0)
			goto nomem;
	return self;
nomem:
	mf_err_set(err, MF_ENOMEM, NULL, "out of memory building the "
	    "prefilter");
	mf__ls_destroy(&self);
	return NULL;
}

/* A filter hit at text[i]: reports the literals whose key is 'key' and
 * that lie around it in the text. */
static void
s_verify(const mf__ls_t *self, const s_group_t *g, uint32_t key,
    const uint8_t *text, size_t i, size_t len, mf__ls_hit_fn fn, void *ctx)
{
	const s_slot_t	*sl;
	uint32_t	 k = s_thash(key, g->tmask);

	for (; (sl = &g->slot[k])->count == 0 || sl->key != key;
	    k = (k + 1) & g->tmask)
		if (sl->count == 0)
			return;		/* a filter collision only */
	for (const s_ent_t *e = g->ent + sl->first, *end = e + sl->count;
	    e < end; e++) {
		size_t	 start;

		/* The key's bytes are equal already: all of a literal of 4
		 * bytes or fewer (when it fits in what is left). */
		if (e->o > i || e->len > len - (start = i - e->o))
			continue;
		if (e->len > 4 && (s_key(text + start + e->qoff) != e->q ||
		    (!e->whole && memcmp(text + start, self->bytes + e->off,
		    e->len) != 0)))
			continue;
		fn(ctx, e->id, start + e->len);
	}
}

/* Tests position 'i' whose key (4 bytes, zero-padded) is 'w'. */
static inline void
s_at(const mf__ls_t *self, uint32_t w, const uint8_t *p, size_t i,
    size_t len, mf__ls_hit_fn fn, void *ctx)
{
	for (int k = 0; k < S_NGROUPS; k++) {
		const s_group_t	*g = &self->g[k];

		if (g->fbits && s_test(g->filter, s_fhash(g, w & g->mask)))
			s_verify(self, g, w & g->mask, p, i, len, fn, ctx);
	}
}

/*
 * The scan of positions [0, body), where 4 bytes can be read: the 4-byte
 * group always, the others when asked. Inlined with constant flags, it
 * becomes one loop per shape of literal set, with no test of a group
 * that is empty.
 */
static inline __attribute__((always_inline)) void
s_body(const mf__ls_t *self, const uint8_t *p, size_t body, size_t len,
    mf__ls_hit_fn fn, void *ctx, int has3, int has2, int has1)
{
	const s_group_t	*g4 = &self->g[S_G4], *g3 = &self->g[S_G3],
			*g2 = &self->g[S_G2], *g1 = &self->g[S_G1];
	unsigned	 sh4 = 32 - g4->fbits, sh3 = 32 - g3->fbits;
	unsigned	 sh2 = 32 - g2->fbits;

	for (size_t i = 0; i < body; i++) {
		uint32_t w = s_key(p + i);

		if (s_test(g4->filter, (w * S_HASHMUL) >> sh4))
			s_verify(self, g4, w, p, i, len, fn, ctx);
		if (has3 && s_test(g3->filter, ((w & 0xffffffu) *
		    S_HASHMUL) >> sh3))
			s_verify(self, g3, w & 0xffffffu, p, i, len, fn, ctx);
		if (has2 && s_test(g2->filter, ((w & 0xffffu) *
		    S_HASHMUL) >> sh2))
			s_verify(self, g2, w & 0xffffu, p, i, len, fn, ctx);
		if (has1 && s_test(g1->filter, w & 0xffu))
			s_verify(self, g1, w & 0xffu, p, i, len, fn, ctx);
	}
}

void
mf__ls_scan(const mf__ls_t *self, const char *text, size_t len,
    mf__ls_hit_fn fn, void *ctx)
{
	const uint8_t	*p = (const uint8_t *)text;
	size_t		 i = 0, body = len >= 4 ? len - 3 : 0;
	uint8_t		 tail[8] = {0};
	int		 has4, has3, has2, has1;

	if (self->n == 0)
		return;
	has4 = self->g[S_G4].fbits != 0;
	has3 = self->g[S_G3].fbits != 0;
	has2 = self->g[S_G2].fbits != 0;
	has1 = self->g[S_G1].fbits != 0;
	/* The usual shapes: long literals, some of 3 bytes, a few of 2,
	 * a rare single byte ('='). */
	if (has4 && has3 && has2 && has1)
		s_body(self, p, body, len, fn, ctx, 1, 1, 1);
	else if (has4 && has3 && has1)
		s_body(self, p, body, len, fn, ctx, 1, 0, 1);
	else if (has4 && has3 && has2)
		s_body(self, p, body, len, fn, ctx, 1, 1, 0);
	else if (has4 && has3)
		s_body(self, p, body, len, fn, ctx, 1, 0, 0);
	else if (has4 && !has2 && !has1)
		s_body(self, p, body, len, fn, ctx, 0, 0, 0);
	else
		for (; i < body; i++)
			s_at(self, s_key(p + i), p, i, len, fn, ctx);
	i = body;
	/* The last (up to 3) positions: keys from a zero-padded copy. The
	 * longer groups cannot match there but their tests are harmless:
	 * the exact comparison is bounded by the text. */
	if (len > i)
		memcpy(tail, p + i, len - i);
	for (size_t k = 0; i < len; i++, k++)
		s_at(self, s_key(tail + k), p, i, len, fn, ctx);
}

size_t
mf__ls_bytes(const mf__ls_t *self)
{
	size_t n;

	if (self == NULL)
		return 0;
	n = sizeof(*self) + self->nbytes + 1 + self->n * 2 * sizeof(uint32_t);
	for (int k = 0; k < S_NGROUPS; k++) {
		const s_group_t *g = &self->g[k];

		if (g->fbits == 0)
			continue;
		n += (((size_t)1 << g->fbits) + 63) / 64 * sizeof(uint64_t) +
		    ((size_t)g->tmask + 1) * sizeof(*g->slot);
		for (uint32_t j = 0; j <= g->tmask; j++)
			n += g->slot[j].count * sizeof(*g->ent);
	}
	return n;
}
