/*
 * clock.h - the monotonic clock, in nanoseconds, microseconds or
 * milliseconds, for deadlines and durations everywhere in medflag. Not
 * the time of day: timestamps people read use CLOCK_REALTIME where they
 * are made.
 *
 * Header-only: reading a clock is no I/O and keeps no state, so filter/
 * (the matcher's time budget and statistics) may use it as freely as the
 * daemons and tools; it adds no symbol to libmedflag and is not installed.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CLOCK_H
#define MF_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of CLOCK_MONOTONIC. */
static inline int64_t
mf_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Microseconds of CLOCK_MONOTONIC. */
static inline int64_t
mf_now_us(void)
{
	return mf_now_ns() / 1000;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static inline int64_t
mf_now_ms(void)
{
	return mf_now_ns() / 1000000;
}

#endif
