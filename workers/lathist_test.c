/*
 * lathist_test.c - bucket bounds and quantiles of the latency histogram.
 * SPDX-License-Identifier: MIT
 */
#include "harness.h"
#include "lathist.h"

MF_TEST(lathist_buckets_cover_every_value)
{
	/* Every value lies in its bucket, buckets are in order and each is
	 * at most 12.5% of its lower bound wide. */
	for (uint64_t v = 0; v < 1u << 20; v += 1 + v / 64) {
		size_t	i = mf_lathist_bucket(v);

		MF_ASSERT(i < MF_LATHIST_N);
		MF_ASSERT(v <= mf_lathist_upper(i));
		MF_ASSERT(i == 0 || v > mf_lathist_upper(i - 1));
		if (i > 16)
			MF_ASSERT(mf_lathist_upper(i) - mf_lathist_upper(i - 1)
			    <= (mf_lathist_upper(i - 1) + 1) / 8);
	}
	MF_ASSERT_EQ(MF_LATHIST_N - 1, mf_lathist_bucket(((uint64_t)1 << 31)
	    - 1));
	MF_ASSERT_EQ(MF_LATHIST_N - 1, mf_lathist_bucket(UINT64_MAX));
	MF_ASSERT_EQ(((uint64_t)1 << 31) - 1,
	    mf_lathist_upper(MF_LATHIST_N - 1));
}

MF_TEST(lathist_quantiles)
{
	uint64_t	c[MF_LATHIST_N] = {0};
	uint64_t	p50, p99;

	MF_ASSERT_EQ(0, mf_lathist_quantile(c, MF_LATHIST_N, 0.5));
	/* 90 values of 100 us, 9 of 1,000 us, 1 of 50,000 us. */
	c[mf_lathist_bucket(100)] += 90;
	c[mf_lathist_bucket(1000)] += 9;
	c[mf_lathist_bucket(50000)] += 1;
	p50 = mf_lathist_quantile(c, MF_LATHIST_N, 0.50);
	MF_ASSERT(p50 >= 100 && p50 <= 100 + 100 / 8);
	p99 = mf_lathist_quantile(c, MF_LATHIST_N, 0.99);
	MF_ASSERT(p99 >= 1000 && p99 <= 1000 + 1000 / 8);
	MF_ASSERT(mf_lathist_quantile(c, MF_LATHIST_N, 1.0) >= 50000);
	MF_ASSERT(mf_lathist_quantile(c, MF_LATHIST_N, 0.999) >= 50000);
}
