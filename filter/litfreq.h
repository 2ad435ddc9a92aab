/*
 * litfreq.h - how common a literal is in health text, estimated from a
 * table of the bytes, byte pairs and triples of normalized posts (litfreq_table.c,
 * built by `make litfreq` from the corpora; counts only).
 *
 * Internal to libmedflag: the prefilter looks up a rule's rarest part
 * first. An estimate, never a decision: a wrong one costs speed, never
 * a match.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LITFREQ_H
#define MF_LITFREQ_H

#include <stddef.h>
#include <stdint.h>

/* The table (litfreq_table.c): keys (n << 24 | bytes, n = 1, 2 or 3;
 * ascending) and, for each, the posts in 100,000 that hold it. */
extern const uint32_t	mf__litfreq_keys[];
extern const uint32_t	mf__litfreq_per100k[];
extern const size_t	mf__litfreq_n;

/* Posts in 100,000 that may hold the folded literal s[0, n): at most
 * those that hold its rarest byte triple (its pair or byte when n is 2
 * or 1). A key missing from the table counts as rarer than any listed
 * one. */
uint32_t	mf__litfreq(const char *s, size_t n);

#endif
