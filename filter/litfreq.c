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
#include <stdlib.h>

#include "litfreq.h"

/* Below every listed figure: the table leaves out what fewer posts hold. */
#define S_UNLISTED	50

static int
s_cmp_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
s_lookup(uint32_t key)
{
	const uint32_t *k = bsearch(&key, mf__litfreq_keys, mf__litfreq_n,
	    sizeof(*k), s_cmp_key);

	return k ? mf__litfreq_per100k[k - mf__litfreq_keys] : S_UNLISTED;
}

uint32_t
mf__litfreq(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 best = 100000, f;

	if (n == 0)
		return best;
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
