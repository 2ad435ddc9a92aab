/*
 * lathist.h - a latency histogram with bounded relative error: buckets of
 * 1 us up to 16 us, then eight per power of two (at most 12.5% wide), up
 * to 2^31 us. medflagd counts each verdict's arrival-to-verdict time in
 * one; `medflag stats` and `medflag top` read the counts from the control
 * endpoint ("latency_hist") and take quantiles of them, `top` of the
 * difference between two readings (the last interval).
 * Not responsible for clocks or for where the counts live.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LATHIST_H
#define MF_LATHIST_H

#include <stddef.h>
#include <stdint.h>

#define MF_LATHIST_N	232	/* 16 + 27 powers of two x 8 */

/* The bucket of 'us' (values past 2^31 - 1 go to the last one). */
size_t		mf_lathist_bucket(uint64_t us);
/* The largest value bucket 'i' holds. */
uint64_t	mf_lathist_upper(size_t i);
/* The value at quantile 'q' (0 < q <= 1) of 'n' bucket counts: the upper
 * bound of the bucket holding that rank (an overestimate by at most one
 * bucket's width), or 0 when every count is 0. */
uint64_t	mf_lathist_quantile(const uint64_t *counts, size_t n,
		    double q);

#endif
