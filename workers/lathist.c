/*
 * lathist.c - latency histogram buckets and quantiles (see lathist.h).
 * SPDX-License-Identifier: MIT
 */
#include "lathist.h"

size_t
mf_lathist_bucket(uint64_t us)
{
	unsigned	e;

	if (us < 16)
		return (size_t)us;
	if (us > ((uint64_t)1 << 31) - 1)
		return MF_LATHIST_N - 1;
	e = 63u - (unsigned)__builtin_clzll(us);	/* 4 .. 30 */
	return 16 + (size_t)(e - 4) * 8 + (size_t)((us >> (e - 3)) & 7);
}

uint64_t
mf_lathist_upper(size_t i)
{
	size_t	e, sub;

	if (i < 16)
		return i;
	if (i >= MF_LATHIST_N)
		i = MF_LATHIST_N - 1;
	e = 4 + (i - 16) / 8;
	sub = (i - 16) % 8;
	return ((uint64_t)(8 + sub + 1) << (e - 3)) - 1;
}

uint64_t
mf_lathist_quantile(const uint64_t *counts, size_t n, double q)
{
	uint64_t	total = 0, rank, seen = 0;

	for (size_t i = 0; i < n; i++)
		total += counts[i];
	if (total == 0)
		return 0;
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;			/* ceil */
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < n; i++) {
		seen += counts[i];
		if (seen >= rank)
			return mf_lathist_upper(i);
	}
	return mf_lathist_upper(n - 1);
}
