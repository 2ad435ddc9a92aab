/*
 * litfreq.c - the rarity of a literal in health text, from the table of
 * bytes, byte pairs and triples (litfreq_table.c). A literal is in a
 * post only if each of its triples is, so the rarest triple bounds how
 * many posts hold it; that bound ranks the parts of a rule (prefilter.c)
 * and tells a rare single byte ('=' of "garlic => cure") from a common
 * one.
 *
 * Not responsible for building the table (tests/litfreq.c, `make
 * litfreq`) nor for choosing what to scan.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdlib.h>

#include "litfreq.h"

/* Below every listed figure: the table leaves out what fewer posts hold. */
#define S_UNLISTED	50

/*
 * The table as an open-addressed hash, built once: compiling the curated
 * rules asks for some 15 million triples (each literal of every branch a
 * rule's parts are weighed by), and a binary search with a comparison
 * call per step was 30% of the compile. At most half full: a lookup
 * reads one or two slots. A key is never 0 (its length is in the top
 * byte), so 0 marks an empty slot. The table holds some 8,000 keys;
 * past 16,384 the rest would read as rare (a slower scan, never a lost
 * match), and prefilter_test's lookup of every key fails.
 */
#define S_HBITS		15
#define S_HSIZE		((size_t)1 << S_HBITS)

static uint32_t		s_hkey[S_HSIZE];
static uint32_t		s_hval[S_HSIZE];
static pthread_once_t	s_honce = PTHREAD_ONCE_INIT;

static size_t
s_slot(uint32_t key)
{
	return (size_t)((key * UINT32_C(2654435761)) >> (32 - S_HBITS));
}

static void
s_hbuild(void)
{
	for (size_t i = 0; i < mf__litfreq_n && i < S_HSIZE / 2; i++) {
		size_t k = s_slot(mf__litfreq_keys[i]);

		while (s_hkey[k] != 0)
			k = (k + 1) & (S_HSIZE - 1);
		s_hkey[k] = mf__litfreq_keys[i];
		s_hval[k] = mf__litfreq_per100k[i];
	}
}

static uint32_t
s_lookup(uint32_t key)
{
	for (size_t k = s_slot(key); s_hkey[k] != 0;
	    k = (k + 1) & (S_HSIZE - 1))
		if (s_hkey[k] == key)
			return s_hval[k];
	return S_UNLISTED;
}

uint32_t
mf__litfreq(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 best = 100000, f;

	if (n == 0)
		return best;
	(void)pthread_once(&s_honce, s_hbuild);
	if (n == 1)
		return s_lookup(1u << 24 | (uint32_t)u[0] << 16);
	if (n == 2)
		return s_lookup(2u << 24 | (uint32_t)u[0] << 16 |
		    (uint32_t)u[1] << 8);
	for (size_t i = 0; i + 2 < n; i++)
		if ((f = s_lookup(3u << 24 | (uint32_t)u[i] << 16 |
		    (uint32_t)u[i + 1] << 8 | u[i + 2])) < best)
			best = f;
	return best;
}
