/*
 * verdict.c - the verdict model: construction, copies, the append helpers
 * the matcher uses, and the names of statuses, actions, lists, modes and
 * flags.
 *
 * Not responsible for deciding (match.c) or encoding (wire.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "source.h"
#include "verdict.h"

static const char *const s_status_names[] = {
	"ok", "error", "timeout", "skipped"
};
static const char *const s_action_names[] = {
	"none", "annotate", "flag", "hold", "block"
};
static const char *const s_list_names[] = {
	"unknown", "vetted", "unreliable"
};
static const char *const s_mode_names[] = {
	"enforce", "shadow", "off"
};
/* Indexed by bit number: MF_VF_SOURCES_STALE is bit 0. */
static const char *const s_vflag_names[MF_VF_COUNT] = {
	"sources_stale", "duplicate", "truncated", "rule_limit",
	"invalid_utf8", "quotes_skipped", "sarcasm", "unreliable_topic",
	"review", "shadow", "ext_dropped", "rebuttal", "off_topic",
	"lang_unsupported", "quote_agreed"
};

#define S_COUNT(a)	(sizeof(a) / sizeof((a)[0]))

static int
s_lookup(const char *const *names, size_t n, const char *s, int *out)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

static void
s_hit_clear(mf_hit_t *h)
{
	mf_free(h->rule);
	mf_free(h->claim);
	mf_free(h->category);
	mf_free(h->tier);
	mf_free(h->error);
	mf_free(h->spans);
	mf_free(h->unless);
	memset(h, 0, sizeof(*h));
}

mf_verdict_t *
mf_verdict_new(const char *post_id)
{
	mf_verdict_t	*self;

	if ((self = mf_calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->v = 1;
	self->status = MF_STATUS_OK;
	self->action = MF_ACT_NONE;
	if (post_id != NULL && (self->post_id = mf_strdup(post_id)) == NULL)
		mf_verdict_destroy(&self);
	return self;
}

static int
s_raw_copy(mf_raw_t *dst, const mf_raw_t *src)
{
	dst->data = NULL;
	dst->len = 0;
	if (src->len == 0 || src->data == NULL)
		return 0;
	if ((dst->data = mf_malloc(src->len)) == NULL)
		return -1;
	memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	return 0;
}

mf_verdict_t *
mf_verdict_for(const mf_post_t *post)
{
	mf_verdict_t	*self;

	assert(post != NULL);
	if ((self = mf_verdict_new(post->post_id)) == NULL)
		return NULL;
	if (mf_verdict_set_str(&self->revision, post->revision) == -1 ||
	    mf_verdict_set_str(&self->instance, post->instance) == -1 ||
	    s_raw_copy(&self->ext, &post->ext) == -1) {
		mf_verdict_destroy(&self);
		return NULL;
	}
	self->revision_is_int = post->revision_is_int;
	return self;
}

/* Copies 'src' into '*dst' (NULL stays NULL). 0, or -1 when out of memory. */
static int
s_strcopy(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	return (*dst = mf_strdup(src)) == NULL ? -1 : 0;
}

static int
s_hit_copy(mf_hit_t *dst, const mf_hit_t *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->score = src->score;
	dst->mode = src->mode;
	dst->question = src->question;
	dst->probability = src->probability;
	dst->local = src->local;
	dst->unless_span = src->unless_span;
	if (s_strcopy(&dst->rule, src->rule) == -1 ||
	    s_strcopy(&dst->unless, src->unless) == -1 ||
	    s_strcopy(&dst->claim, src->claim) == -1 ||
	    s_strcopy(&dst->category, src->category) == -1 ||
	    s_strcopy(&dst->tier, src->tier) == -1 ||
	    s_strcopy(&dst->error, src->error) == -1)
		goto fail;
	if (src->nspans) {
		dst->spans = mf_calloc(src->nspans, sizeof(*dst->spans));
		if (dst->spans == NULL)
			goto fail;
		memcpy(dst->spans, src->spans,
		    src->nspans * sizeof(*dst->spans));
		dst->nspans = src->nspans;
	}
	return 0;
fail:
	s_hit_clear(dst);
	return -1;
}

mf_verdict_t *
mf_verdict_dup(const mf_verdict_t *self)
{
	mf_verdict_t	*d;
	size_t		 i;

	assert(self != NULL);
	if ((d = mf_calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->v = self->v;
	d->revision_is_int = self->revision_is_int;
	d->status = self->status;
	d->action = self->action;
	d->score = self->score;
	d->latency_us = self->latency_us;
	d->seq = self->seq;
	d->gen = self->gen;
	d->flags = self->flags;
	if (s_strcopy(&d->post_id, self->post_id) == -1 ||
	    s_strcopy(&d->revision, self->revision) == -1 ||
	    s_strcopy(&d->instance, self->instance) == -1 ||
	    s_strcopy(&d->error, self->error) == -1 ||
	    s_strcopy(&d->ruleset, self->ruleset) == -1 ||
	    s_strcopy(&d->sources_version, self->sources_version) == -1 ||
	    s_strcopy(&d->worker, self->worker) == -1 ||
	    s_raw_copy(&d->ext, &self->ext) == -1)
		goto fail;
	if (self->nhits) {
		if ((d->hits = mf_calloc(self->nhits, sizeof(*d->hits))) == NULL)
			goto fail;
		for (i = 0; i < self->nhits; i++, d->nhits++)
			if (s_hit_copy(&d->hits[i], &self->hits[i]) == -1)
				goto fail;
	}
	if (self->nsuppressed) {
		d->suppressed = mf_calloc(self->nsuppressed,
		    sizeof(*d->suppressed));
		if (d->suppressed == NULL)
			goto fail;
		for (i = 0; i < self->nsuppressed; i++, d->nsuppressed++)
			if (s_hit_copy(&d->suppressed[i],
			    &self->suppressed[i]) == -1)
				goto fail;
	}
	if (self->nsources) {
		d->sources = mf_calloc(self->nsources, sizeof(*d->sources));
		if (d->sources == NULL)
			goto fail;
		for (i = 0; i < self->nsources; i++, d->nsources++) {
			mf_srcref_t *s = &d->sources[i];

			s->list = self->sources[i].list;
			if (s_strcopy(&s->url, self->sources[i].url) == -1 ||
			    s_strcopy(&s->domain,
			    self->sources[i].domain) == -1) {
				d->nsources++;	/* free the half-made one */
				goto fail;
			}
		}
	}
	if (self->nevidence) {
		d->evidence = mf_calloc(self->nevidence, sizeof(*d->evidence));
		if (d->evidence == NULL)
			goto fail;
		for (i = 0; i < self->nevidence; i++, d->nevidence++)
			if (s_strcopy(&d->evidence[i],
			    self->evidence[i]) == -1)
				goto fail;
	}
	return d;
fail:
	mf_verdict_destroy(&d);
	return NULL;
}

void
mf_verdict_destroy(mf_verdict_t **self_p)
{
	mf_verdict_t	*self;
	size_t		 i;

	assert(self_p != NULL);
	if ((self = *self_p) == NULL)
		return;
	mf_free(self->post_id);
	mf_free(self->revision);
	mf_free(self->instance);
	mf_free(self->ext.data);
	mf_free(self->error);
	for (i = 0; i < self->nhits; i++)
		s_hit_clear(&self->hits[i]);
	mf_free(self->hits);
	for (i = 0; i < self->nsuppressed; i++)
		s_hit_clear(&self->suppressed[i]);
	mf_free(self->suppressed);
	for (i = 0; i < self->nsources; i++) {
		mf_free(self->sources[i].url);
		mf_free(self->sources[i].domain);
	}
	mf_free(self->sources);
	for (i = 0; i < self->nevidence; i++)
		mf_free(self->evidence[i]);
	mf_free(self->evidence);
	mf_free(self->ruleset);
	mf_free(self->sources_version);
	mf_free(self->worker);
	mf_free(self);
	*self_p = NULL;
}

int
mf_verdict_set_error(mf_verdict_t *self, mf_status_t status,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 n;

	assert(self != NULL);
	assert(fmt != NULL);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (msg = mf_malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	mf_free(self->error);
	self->error = msg;
	self->status = status;
	return 0;
}

/* Returns 'arr' (of 'n' elements of 'size' bytes) regrown by one zeroed
 * element at index n, or NULL when out of memory ('arr' is unchanged). */
static void *
s_grow(void *arr, size_t n, size_t size)
{
	char	*p;

	if (n >= ((size_t)-1) / size - 1)
		return NULL;
	if ((p = mf_realloc(arr, (n + 1) * size)) == NULL)
		return NULL;
	memset(p + n * size, 0, size);
	return p;
}

mf_hit_t *
mf_verdict_add_hit(mf_verdict_t *self)
{
	mf_hit_t	*h;

	assert(self != NULL);
	if ((h = s_grow(self->hits, self->nhits, sizeof(*h))) == NULL)
		return NULL;
	self->hits = h;
	return &self->hits[self->nhits++];
}

mf_hit_t *
mf_verdict_add_suppressed(mf_verdict_t *self)
{
	mf_hit_t	*h;

	assert(self != NULL);
	if ((h = s_grow(self->suppressed, self->nsuppressed,
	    sizeof(*h))) == NULL)
		return NULL;
	self->suppressed = h;
	return &self->suppressed[self->nsuppressed++];
}

int
mf_verdict_add_source(mf_verdict_t *self, const char *url,
    const char *domain, mf_list_t list)
{
	mf_srcref_t	 s = { NULL, NULL, list }, *arr;

	assert(self != NULL);
	if (s_strcopy(&s.url, url) == -1 ||
	    s_strcopy(&s.domain, domain) == -1)
		goto fail;
	arr = s_grow(self->sources, self->nsources, sizeof(*arr));
	if (arr == NULL)
		goto fail;
	self->sources = arr;
	self->sources[self->nsources++] = s;
	return 0;
fail:
	mf_free(s.url);
	mf_free(s.domain);
	return -1;
}

int
mf_verdict_add_evidence(mf_verdict_t *self, const char *url)
{
	char	**arr, *copy;
	size_t	  i;

	assert(self != NULL);
	assert(url != NULL);
	for (i = 0; i < self->nevidence; i++)
		if (strcmp(self->evidence[i], url) == 0)
			return 0;
	if ((copy = mf_strdup(url)) == NULL)
		return -1;
	arr = s_grow(self->evidence, self->nevidence, sizeof(*arr));
	if (arr == NULL) {
		mf_free(copy);
		return -1;
	}
	self->evidence = arr;
	self->evidence[self->nevidence++] = copy;
	return 0;
}

int
mf_verdict_set_str(char **field, const char *value)
{
	char	*copy = NULL;

	assert(field != NULL);
	if (value != NULL && (copy = mf_strdup(value)) == NULL)
		return -1;
	mf_free(*field);
	*field = copy;
	return 0;
}

int
mf_verdict_links_to_hosts(mf_verdict_t *self)
{
	char	host[256];

	assert(self != NULL);
	for (size_t i = 0; i < self->nsources; i++) {
		mf_srcref_t	*r = &self->sources[i];

		if (r->url == NULL)
			continue;
		if (mf_url_host(r->url, strlen(r->url), host,
		    sizeof(host)) == 0) {
			if (mf_verdict_set_str(&r->url, host) == -1)
				return -1;
		} else if (mf_verdict_set_str(&r->url, r->domain) == -1)
			return -1;
	}
	return 0;
}

const char *
mf_status_name(mf_status_t s)
{
	return (unsigned)s < S_COUNT(s_status_names) ?
	    s_status_names[s] : "error";
}

const char *
mf_action_name(mf_action_t a)
{
	return (unsigned)a < S_COUNT(s_action_names) ?
	    s_action_names[a] : "none";
}

const char *
mf_list_name(mf_list_t l)
{
	return (unsigned)l < S_COUNT(s_list_names) ?
	    s_list_names[l] : "unknown";
}

const char *
mf_mode_name(mf_mode_t m)
{
	return (unsigned)m < S_COUNT(s_mode_names) ?
	    s_mode_names[m] : "off";
}

const char *
mf_vflag_name(unsigned bit)
{
	unsigned	i;

	for (i = 0; i < MF_VF_COUNT; i++)
		if (bit == (1u << i))
			return s_vflag_names[i];
	return NULL;
}

int
mf_status_parse(const char *s, mf_status_t *out)
{
	int	i;

	if (s_lookup(s_status_names, S_COUNT(s_status_names), s, &i) == -1)
		return -1;
	if (out)
		*out = (mf_status_t)i;
	return 0;
}

int
mf_action_parse(const char *s, mf_action_t *out)
{
	int	i;

	if (s_lookup(s_action_names, S_COUNT(s_action_names), s, &i) == -1)
		return -1;
	if (out)
		*out = (mf_action_t)i;
	return 0;
}

int
mf_list_parse(const char *s, mf_list_t *out)
{
	int	i;

	if (s_lookup(s_list_names, S_COUNT(s_list_names), s, &i) == -1)
		return -1;
	if (out)
		*out = (mf_list_t)i;
	return 0;
}

int
mf_mode_parse(const char *s, mf_mode_t *out)
{
	int	i;

	if (s_lookup(s_mode_names, S_COUNT(s_mode_names), s, &i) == -1)
		return -1;
	if (out)
		*out = (mf_mode_t)i;
	return 0;
}

int
mf_vflag_parse(const char *s, unsigned *bit)
{
	int	i;

	if (s_lookup(s_vflag_names, MF_VF_COUNT, s, &i) == -1)
		return -1;
	if (bit)
		*bit = 1u << i;
	return 0;
}
