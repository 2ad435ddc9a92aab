/*
 * alloc.c - the allocation hook: every allocation of filter/ passes here so
 * that tests can make the Nth one fail.
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Per thread: `medflag scan --jobs` allocates from several threads, and
 * one counter for all was a data race whose cache line every allocation
 * of every thread pulled to its core. The tests that arm it run in one. */
static _Thread_local size_t s_count;	/* allocations since the last arm */
static size_t	s_fail_at;	/* 0: disarmed */
static int	s_sticky, s_failed;

static int
s_should_fail(void)
{
	s_count++;
	if (s_fail_at == 0)
		return 0;
	if (s_count == s_fail_at || (s_sticky && s_count > s_fail_at)) {
		s_failed = 1;
		return 1;
	}
	return 0;
}

size_t
mf_alloc_fail_after(size_t n, int sticky)
{
	size_t was = s_count;

	s_count = 0;
	s_fail_at = n;
	s_sticky = sticky;
	s_failed = 0;
	return was;
}

int
mf_alloc_failed(void)
{
	return s_failed;
}

void *
mf_malloc(size_t n)
{
	return s_should_fail() ? NULL : malloc(n ? n : 1);
}

void *
mf_calloc(size_t n, size_t size)
{
	return s_should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *
mf_realloc(void *p, size_t n)
{
	return s_should_fail() ? NULL : realloc(p, n ? n : 1);
}

void
mf_free(void *p)
{
	free(p);
}

char *
mf_strndup(const char *s, size_t n)
{
	char *p;

	if (s == NULL || (p = mf_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
mf_strdup(const char *s)
{
	return s ? mf_strndup(s, strlen(s)) : NULL;
}
