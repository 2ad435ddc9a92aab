/*
 * alloc.h - the allocation hook of libmedflag.
 *
 * Every allocation in filter/ goes through these so that tests can fail the
 * Nth one (SQLite's OOM loop). Not thread-safe while a test arms a failure.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_ALLOC_H
#define MF_ALLOC_H

#include <stddef.h>

void	*mf_malloc(size_t n);
void	*mf_calloc(size_t n, size_t size);
void	*mf_realloc(void *p, size_t n);
void	 mf_free(void *p);
/* OWNS: caller; NULL when out of memory or 's' is NULL. */
char	*mf_strdup(const char *s);
char	*mf_strndup(const char *s, size_t n);

/* Test hook: the 'n'th allocation from now fails (n >= 1), and every one
 * after it too if 'sticky'. n == 0 disarms. Returns the number of
 * allocations made since the last call. */
size_t	 mf_alloc_fail_after(size_t n, int sticky);
/* Non-zero once an armed failure has fired. */
int	 mf_alloc_failed(void);

#endif
