/*
 * rulehits.c - hits per rule id (see rulehits.h).
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "rulehits.h"
#include "hash.h"

static size_t
s_hash(const char *s, size_t n)
{
	uint64_t	h = mf_fnv64(MF_FNV64_INIT, s, n);

	return (size_t)(h ^ (h >> 29));
}

/* The slot of 'id': its own, or the free one where it would go. */
static mf_rulehit_t *
s_slot(mf_rulehit_t *v, size_t cap, const char *id, size_t n)
{
	size_t	i = s_hash(id, n) & (cap - 1);

	while (v[i].id != NULL && (strncmp(v[i].id, id, n) != 0 ||
	    v[i].id[n] != '\0'))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int
s_grow(mf_rulehits_t *self)
{
	size_t		 cap = self->cap ? self->cap * 2 : 64;
	mf_rulehit_t	*v = calloc(cap, sizeof(*v));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < self->cap; i++)
		if (self->v[i].id != NULL)
			*s_slot(v, cap, self->v[i].id,
			    strlen(self->v[i].id)) = self->v[i];
	free(self->v);
	self->v = v;
	self->cap = cap;
	return 0;
}

int
mf_rulehits_add(mf_rulehits_t *self, const char *id, size_t idlen,
    uint64_t hits, uint64_t shadow)
{
	mf_rulehit_t	*h;

	if (!mf_rule_id_valid(id, idlen))
		return -1;
	h = self->cap ? s_slot(self->v, self->cap, id, idlen) : NULL;
	if (h == NULL || h->id == NULL) {
		/* A new id: room for it first (the table at most half full). */
		if ((self->len + 1) * 2 > self->cap) {
			if (self->len >= MF_RULEHITS_MAX || s_grow(self) != 0)
				return -1;
		}
		h = s_slot(self->v, self->cap, id, idlen);
		if ((h->id = malloc(idlen + 1)) == NULL)
			return -1;
		memcpy(h->id, id, idlen);
		h->id[idlen] = '\0';
		self->len++;
	}
	h->hits += hits;
	h->shadow += shadow;
	return 0;
}

const mf_rulehit_t *
mf_rulehits_get(const mf_rulehits_t *self, const char *id)
{
	const mf_rulehit_t	*h;

	if (self->cap == 0)
		return NULL;
	h = s_slot(self->v, self->cap, id, strlen(id));
	return h->id != NULL ? h : NULL;
}

int
mf_rulehits_merge(mf_rulehits_t *dst, const mf_rulehits_t *src)
{
	int	rc = 0;

	for (size_t i = 0; i < src->cap; i++)
		if (src->v[i].id != NULL && mf_rulehits_add(dst, src->v[i].id,
		    strlen(src->v[i].id), src->v[i].hits,
		    src->v[i].shadow) != 0)
			rc = -1;
	return rc;
}

void
mf_rulehits_zero(mf_rulehits_t *self)
{
	for (size_t i = 0; i < self->cap; i++)
		self->v[i].hits = self->v[i].shadow = 0;
}

int
mf_rulehits_format(const mf_rulehits_t *self, mf_buf_t *out)
{
	for (size_t i = 0; i < self->cap; i++) {
		const mf_rulehit_t *h = &self->v[i];

		if (h->id != NULL && (h->hits || h->shadow) &&
		    mf_buf_printf(out, "%s %llu %llu\n", h->id,
		    (unsigned long long)h->hits,
		    (unsigned long long)h->shadow) != 0)
			return -1;
	}
	return 0;
}

/* A decimal count at 's' (up to 'end'); -1 if there is none. */
static int
s_count(const char **s, const char *end, uint64_t *out)
{
	uint64_t	v = 0;
	const char	*p = *s;

	if (p == end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

size_t
mf_rulehits_parse(mf_rulehits_t *self, const char *text, size_t len)
{
	const char	*p = text, *end = text + len;
	size_t		 bad = 0;

	while (p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		const char	*le = nl ? nl : end, *sp, *q;
		uint64_t	 hits, shadow;

		sp = memchr(p, ' ', (size_t)(le - p));
		q = sp ? sp + 1 : le;
		if (sp == NULL || s_count(&q, le, &hits) != 0 || q == le ||
		    *q++ != ' ' || s_count(&q, le, &shadow) != 0 || q != le ||
		    mf_rulehits_add(self, p, (size_t)(sp - p), hits,
		    shadow) != 0)
			bad += le > p;
		p = le + 1;
	}
	return bad;
}

void
mf_rulehits_free(mf_rulehits_t *self)
{
	for (size_t i = 0; i < self->cap; i++)
		free(self->v[i].id);
	free(self->v);
	self->v = NULL;
	self->cap = self->len = 0;
}
