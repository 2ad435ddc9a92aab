/*
 * rulehits.h - hits per rule id, counted by each worker and summed by
 * medflagd, so that an operator sees which rules fire (`medflag stats`,
 * `medflag top`) without reading verdicts.
 *
 * A worker counts the hits of the posts it judges (enforce and shadow
 * apart) and sends the counts of each heartbeat interval as a text frame
 * of lines "RULE_ID HITS SHADOW", then zeroes them; medflagd adds every
 * frame to its totals since start. Rule ids are the rules language's
 * ([a-z0-9] then [a-z0-9._-], at most MF_RULEHITS_ID_MAX bytes); a line
 * that is not one is skipped and counted. The table holds at most
 * MF_RULEHITS_MAX ids, so a misbehaving worker cannot grow it without
 * bound. Not responsible for where the frame travels (worker.c,
 * dispatch.c) nor for printing (tools/).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_RULEHITS_H
#define MF_RULEHITS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MF_RULEHITS_ID_MAX	128	/* as the rules language's */
#define MF_RULEHITS_MAX		100000

typedef struct mf_rulehit {
	char		*id;		/* OWNS; NULL: the slot is free */
	uint64_t	 hits;		/* enforce hits */
	uint64_t	 shadow;	/* shadow hits */
} mf_rulehit_t;

typedef struct mf_rulehits {
	mf_rulehit_t	*v;		/* open addressing, 'cap' slots */
	size_t		 cap, len;
} mf_rulehits_t;

/* Adds to the counts of rule 'id' ('idlen' bytes). 0, or -1 when the id
 * is not a rule id, the table is full, or out of memory. */
int	mf_rulehits_add(mf_rulehits_t *self, const char *id, size_t idlen,
	    uint64_t hits, uint64_t shadow);
/* The entry of rule 'id', or NULL. BORROWS. */
const mf_rulehit_t *mf_rulehits_get(const mf_rulehits_t *self,
	    const char *id);
/* Adds every count of 'src' to 'dst'. 0, or -1 when some id could not be
 * taken (full, out of memory); the others are added all the same. */
int	mf_rulehits_merge(mf_rulehits_t *dst, const mf_rulehits_t *src);
/* Zeroes every count (the ids stay, for the next interval). */
void	mf_rulehits_zero(mf_rulehits_t *self);
/* Appends "RULE_ID HITS SHADOW\n" for every id with a count. 0 or -1. */
int	mf_rulehits_format(const mf_rulehits_t *self, mf_buf_t *out);
/* Adds the lines of a frame; returns how many lines were not valid. */
size_t	mf_rulehits_parse(mf_rulehits_t *self, const char *text,
	    size_t len);
void	mf_rulehits_free(mf_rulehits_t *self);

#endif
