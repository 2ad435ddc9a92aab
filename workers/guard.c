/*
 * guard.c - the worker's rule guard (see guard.h): a ring of the last
 * MF_GUARD_EVENTS overrun times per rule, and the bitmaps of rules the
 * worker judges as shadow: (1) 'bits' those it shadowed itself, (2)
 * 'dbits' those listed as demoted, (3) 'all' their union, the one
 * handed to the scanner, kept equal to bits | dbits by s_union.
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "guard.h"

struct mf_guard {
	const mf_ruleset_t *rs;		/* BORROWS: the worker's rules */
	size_t		 nrules;
	unsigned char	*bits;		/* OWNS: nrules bits */
	unsigned char	*dbits;		/* OWNS: nrules bits, demoted */
	unsigned char	*all;		/* OWNS: bits | dbits */
	char		*demoted;	/* OWNS: the demoted ids; "" none */
	int64_t		*times;		/* OWNS: nrules x MF_GUARD_EVENTS */
	unsigned char	*next;		/* OWNS: ring position per rule */
	char		 list[MF_GUARD_MAX_SHADOWED * 64];
	size_t		 nshadowed;
};

static void
s_free_tables(mf_guard_t *g)
{
	free(g->bits);
	free(g->dbits);
	free(g->all);
	free(g->times);
	free(g->next);
	g->bits = g->dbits = g->all = NULL;
	g->times = NULL;
	g->next = NULL;
}

/* 1 if 'id' is one of the comma-separated ids of 'list'. */
static int
s_listed(const char *list, const char *id)
{
	size_t	n = strlen(id);

	for (const char *p = list; *p != '\0';) {
		const char	*e = strchr(p, ',');
		size_t		 len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, id, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

/* all = bits | dbits. */
static void
s_union(mf_guard_t *g)
{
	for (size_t i = 0; i < g->nrules / 8 + 1; i++)
		g->all[i] = g->bits[i] | g->dbits[i];
}

/* The bitmap of the ids of 'list' in 'rs' into 'bits' (nrules bits). */
static void
s_mark(const mf_ruleset_t *rs, const char *list, unsigned char *bits)
{
	for (size_t i = 0; i < mf_ruleset_size(rs); i++)
		if (s_listed(list, mf_ruleset_rule(rs, i)->id))
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

int
mf_guard_rules(mf_guard_t *self, const mf_ruleset_t *rs)
{
	size_t		 n = mf_ruleset_size(rs);
	unsigned char	*bits = calloc(n / 8 + 1, 1);
	unsigned char	*dbits = calloc(n / 8 + 1, 1);
	unsigned char	*all = calloc(n / 8 + 1, 1);
	int64_t		*times = calloc(n * MF_GUARD_EVENTS + 1,
			    sizeof(*times));
	unsigned char	*next = calloc(n + 1, 1);
	char		 list[sizeof(self->list)];
	size_t		 len = 0, kept = 0;

	if (bits == NULL || dbits == NULL || all == NULL || times == NULL ||
	    next == NULL) {
		free(bits);
		free(dbits);
		free(all);
		free(times);
		free(next);
		return -1;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char	*id = mf_ruleset_rule(rs, i)->id;
		size_t		 idlen = strlen(id);

		if (!s_listed(self->list, id) ||
		    len + idlen + 2 > sizeof(list))
			continue;
		bits[i / 8] |= (unsigned char)(1u << (i % 8));
		if (len > 0)
			list[len++] = ',';
		memcpy(list + len, id, idlen + 1);
		len += idlen;
		kept++;
	}
	s_free_tables(self);
	self->rs = rs;
	self->nrules = n;
	self->bits = bits;
	self->dbits = dbits;
	self->all = all;
	self->times = times;
	self->next = next;
	memcpy(self->list, list, len + 1);
	self->nshadowed = kept;
	if (self->demoted != NULL)
		s_mark(rs, self->demoted, self->dbits);
	s_union(self);
	return 0;
}

int
mf_guard_demote(mf_guard_t *self, const char *ids)
{
	char	*copy = strdup(ids);

	if (copy == NULL)
		return -1;
	free(self->demoted);
	self->demoted = copy;
	memset(self->dbits, 0, self->nrules / 8 + 1);
	s_mark(self->rs, ids, self->dbits);
	s_union(self);
	return 0;
}

const char *
mf_guard_demoted(const mf_guard_t *self)
{
	return self->demoted != NULL ? self->demoted : "";
}

mf_guard_t *
mf_guard_new(const mf_ruleset_t *rs)
{
	mf_guard_t	*g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	if (mf_guard_rules(g, rs) != 0) {
		free(g);
		return NULL;
	}
	return g;
}

void
mf_guard_destroy(mf_guard_t **self_p)
{
	if (*self_p == NULL)
		return;
	s_free_tables(*self_p);
	free((*self_p)->demoted);
	free(*self_p);
	*self_p = NULL;
}

void
mf_guard_opts(const mf_guard_t *self, mf_scan_opts_t *so)
{
	so->shadow = self->all;
	so->nshadow = self->nrules;
}

int
mf_guard_note(mf_guard_t *self, size_t idx, int64_t now_ms)
{
	int64_t		*t;
	unsigned	 k;
	const char	*id;
	size_t		 len, idlen;

	if (idx >= self->nrules ||
	    (self->bits[idx / 8] >> (idx % 8)) & 1)
		return 0;
	t = self->times + idx * MF_GUARD_EVENTS;
	k = self->next[idx];
	t[k] = now_ms;
	self->next[idx] = (unsigned char)((k + 1) % MF_GUARD_EVENTS);
	/* The oldest of the last MF_GUARD_EVENTS is the next slot. */
	if (t[self->next[idx]] == 0 ||
	    now_ms - t[self->next[idx]] > MF_GUARD_WINDOW_MS)
		return 0;
	if (self->nshadowed >= MF_GUARD_MAX_SHADOWED)
		return 0;
	id = mf_ruleset_rule(self->rs, idx)->id;
	len = strlen(self->list);
	idlen = strlen(id);
	if (len + idlen + 2 > sizeof(self->list))
		return 0;
	self->bits[idx / 8] |= (unsigned char)(1u << (idx % 8));
	self->all[idx / 8] |= (unsigned char)(1u << (idx % 8));
	if (len > 0)
		self->list[len++] = ',';
	memcpy(self->list + len, id, idlen + 1);
	self->nshadowed++;
	return 1;
}

const char *
mf_guard_list(const mf_guard_t *self)
{
	return self->list;
}

size_t
mf_guard_count(const mf_guard_t *self)
{
	return self->nshadowed;
}
