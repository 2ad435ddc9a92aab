/*
 * streamwin.c - the byte window of the verdict journal (streamwin.h).
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>

#include "streamwin.h"

/* Drops the oldest entries past the bounds, keeping at least one. */
static void
s_trim(mf_streamwin_t *w)
{
	while (w->len > 0 && w->count > 1 && (w->bytes > w->max_bytes ||
	    w->count > w->max_n)) {
		mf_streamwin_run_t		*r = &w->v[w->head];
		uint64_t	 k = 1;

		if (w->bytes > w->max_bytes && r->each > 0)
			k = (w->bytes - w->max_bytes + r->each - 1) / r->each;
		if (w->count > w->max_n && w->count - w->max_n > k)
			k = w->count - w->max_n;
		if (k > r->n)
			k = r->n;
		if (k >= w->count)
			k = w->count - 1;
		r->n -= k;
		w->bytes -= k * r->each;
		w->count -= k;
		if (r->n == 0) {
			w->head = (w->head + 1) % w->cap;
			w->len--;
		}
	}
}

void
mf_streamwin_push(mf_streamwin_t *w, uint64_t each, uint64_t n)
{
	if (n == 0)
		return;
	if (w->len > 0 && w->v[(w->head + w->len - 1) % w->cap].each ==
	    each)
		w->v[(w->head + w->len - 1) % w->cap].n += n;
	else {
		if (w->len == w->cap) {
			size_t			 cap;
			mf_streamwin_run_t	*v;

			cap = w->cap ? w->cap * 2 : 1024;
			v = malloc(cap * sizeof(*v));

			if (v == NULL) {	/* counted with the last run */
				if (w->len > 0)
					w->v[(w->head + w->len - 1) %
					    w->cap].n += n;
				w->bytes += each * n;
				w->count += n;
				s_trim(w);
				return;
			}
			for (size_t i = 0; i < w->len; i++)
				v[i] = w->v[(w->head + i) % w->cap];
			free(w->v);
			w->v = v;
			w->head = 0;
			w->cap = cap;
		}
		w->v[(w->head + w->len) % w->cap] =
		    (mf_streamwin_run_t){ each, n };
		w->len++;
	}
	w->bytes += each * n;
	w->count += n;
	s_trim(w);
}

void
mf_streamwin_free(mf_streamwin_t *w)
{
	free(w->v);
	w->v = NULL;
	w->head = w->len = w->cap = 0;
	w->bytes = w->count = 0;
}
