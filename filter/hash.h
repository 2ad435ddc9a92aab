/*
 * hash.h - FNV-1a, the one byte hash medflag uses for content hashes,
 * hash tables and hashed features. Not for anything an attacker must not
 * predict.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_HASH_H
#define MF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MF_FNV64_INIT	0xcbf29ce484222325ULL
#define MF_FNV64_PRIME	0x100000001b3ULL
#define MF_FNV32_INIT	2166136261u
#define MF_FNV32_PRIME	16777619u

/* Continues the FNV-1a state 'h' over 'n' bytes at 'p'. Start with
 * MF_FNV64_INIT. */
static inline uint64_t
mf_fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= MF_FNV64_PRIME;
	}
	return h;
}

/* The 32-bit FNV-1a of 'n' bytes at 'p', for tables whose slots hold a
 * 32-bit hash. */
static inline uint32_t
mf_fnv32(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = MF_FNV32_INIT;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= MF_FNV32_PRIME;
	}
	return h;
}

#endif
