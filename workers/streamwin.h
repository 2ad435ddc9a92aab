/*
 * streamwin.h - the byte window of the verdict journal: how many entries
 * of the Redis stream fit in journal_max entries and journal_max_mb MiB,
 * counted from the sizes of the entries written, so that each XADD of
 * journal.c trims the stream to as many entries as fit. Pure counting:
 * not responsible for talking to Redis (journal.c, store.c).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_STREAMWIN_H
#define MF_STREAMWIN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The newest entries of the stream, as runs of 'n' entries of 'each'
 * bytes, oldest first: a run for what was there at start (the sampled
 * average), then one per entry written. Trimmed from the front to
 * 'max_bytes' and 'max_n', so it never holds more runs than the stream
 * holds entries. Start from all zeros with max_bytes and max_n set.
 */
typedef struct mf_streamwin_run {
	uint64_t	each, n;
} mf_streamwin_run_t;

typedef struct mf_streamwin {
	mf_streamwin_run_t	*v;	/* OWNS: ring of 'cap' runs */
	size_t			 head, len, cap;
	uint64_t		 bytes, count, max_bytes, max_n;
} mf_streamwin_t;

/* Counts 'n' entries of 'each' bytes at the new end, then trims the
 * oldest to the bounds (keeping at least one entry). Out of memory, the
 * entries are counted with the last run. */
void	mf_streamwin_push(mf_streamwin_t *w, uint64_t each, uint64_t n);
/* Frees the runs; 'w' may be pushed to again from all zeros. */
void	mf_streamwin_free(mf_streamwin_t *w);

#endif
