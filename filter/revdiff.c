/*
 * revdiff.c - the lines a revision added (revdiff.h).
 *
 * The old revision's lines are sorted once (O(n log n)); each line of the
 * new one is looked up by binary search and, when found, used up, so a
 * page of 10,000 lines costs milliseconds, not the O(n*m) of a longest
 * common subsequence. Moved lines count as kept: a paragraph moved by an
 * edit is not the editor's new words.
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "revdiff.h"

typedef struct s_line {
	const char	*p;
	size_t		 n;
	int		 used;
} s_line_t;

static int
s_cmp(const void *a, const void *b)
{
	const s_line_t	*x = a, *y = b;
	size_t		 n = x->n < y->n ? x->n : y->n;
	int		 c = n ? memcmp(x->p, y->p, n) : 0;

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* The length of the line at 'p' (up to 'end'), without its '\n' or a
 * "\r\n"; '*next' is where the next line starts. */
static size_t
s_line(const char *p, const char *end, const char **next)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));
	size_t		 n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

	*next = nl != NULL ? nl + 1 : end;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static int
s_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

int
mf_revdiff_added(const char *old, size_t olen, const char *cur, size_t clen,
    mf_buf_t *out)
{
	s_line_t	*lines = NULL, key, *hit;
	size_t		 n = 0, cap = 0;
	const char	*p, *end, *next;
	int		 rc = -1;

	for (p = old, end = old ? old + olen : NULL; p != NULL && p < end;
	    p = next) {
		key.n = s_line(p, end, &next);
		if (s_blank(p, key.n))
			continue;
		if (n == cap) {
			s_line_t	*nl;

			cap = cap ? cap * 2 : 64;
			if ((nl = mf_realloc(lines, cap * sizeof(*lines))) ==
			    NULL)
				goto out;
			lines = nl;
		}
		lines[n].p = p;
		lines[n].n = key.n;
		lines[n++].used = 0;
	}
	if (n > 0)
		qsort(lines, n, sizeof(*lines), s_cmp);
	for (p = cur, end = cur + clen; p < end; p = next) {
		key.p = p;
		key.n = s_line(p, end, &next);
		if (s_blank(p, key.n))
			continue;
		hit = n > 0 ? bsearch(&key, lines, n, sizeof(*lines), s_cmp) :
		    NULL;
		if (hit != NULL) {
			/* bsearch lands on any of the equal lines: go to
			 * the first, then to the first not used up. */
			while (hit > lines && s_cmp(hit - 1, &key) == 0)
				hit--;
			while (hit < lines + n && hit->used &&
			    s_cmp(hit, &key) == 0)
				hit++;
			if (hit < lines + n && !hit->used &&
			    s_cmp(hit, &key) == 0) {
				hit->used = 1;
				continue;
			}
		}
		if (mf_buf_append(out, p, key.n) != 0 ||
		    mf_buf_append(out, "\n", 1) != 0)
			goto out;
	}
	if (mf_buf_reserve(out, 1) != 0)
		goto out;
	out->data[out->len] = '\0';
	rc = 0;
out:
	mf_free(lines);
	return rc;
}
