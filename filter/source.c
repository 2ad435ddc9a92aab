/*
 * source.c - source sets: vetted and unreliable domains, looked up by URL
 * host with a suffix match on label boundaries; URL host extraction and the
 * registrable domain (libpsl).
 *
 * A set is filled once, then read by many threads; it is never changed
 * after it has been handed to a scanner (reload builds a new one).
 * SPDX-License-Identifier: MIT
 */
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "alloc.h"
#include "hash.h"
#include "source.h"

#define MF_HOST_MAX	253

typedef struct s_entry {
	char		*domain;	/* NULL: empty slot */
	uint64_t	 hash;
	mf_list_t	 list;
} s_entry_t;

struct mf_sources {
	s_entry_t	*slots;
	size_t		 cap, n;	/* cap is a power of two */
	size_t		 count[3];
	char		*version;
};

static uint64_t
s_hash(const char *s, size_t n)
{
	return mf_fnv64(MF_FNV64_INIT, s, n);
}

mf_sources_t *
mf_sources_new(const char *version)
{
	mf_sources_t *self;

	if ((self = mf_calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->cap = 64;
	if ((self->slots = mf_calloc(self->cap, sizeof(*self->slots))) ==
	    NULL || (version && (self->version = mf_strdup(version)) == NULL)) {
		mf_free(self->slots);
		mf_free(self);
		return NULL;
	}
	return self;
}

void
mf_sources_destroy(mf_sources_t **self_p)
{
	mf_sources_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	for (size_t i = 0; i < self->cap; i++)
		mf_free(self->slots[i].domain);
	mf_free(self->slots);
	mf_free(self->version);
	mf_free(self);
	*self_p = NULL;
}

static s_entry_t *
s_find(const mf_sources_t *self, const char *d, size_t n, uint64_t h)
{
	size_t mask = self->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		s_entry_t *e = &self->slots[i];

		if (e->domain == NULL)
			return e;
		if (e->hash == h && strncmp(e->domain, d, n) == 0 &&
		    e->domain[n] == '\0')
			return e;
	}
}

static int
s_grow(mf_sources_t *self)
{
	size_t		 cap = self->cap * 2;
	s_entry_t	*old = self->slots, *slots;

	if ((slots = mf_calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	self->slots = slots;
	self->cap = cap;
	for (size_t i = 0; i < cap / 2; i++) {
		if (old[i].domain == NULL)
			continue;
		*s_find(self, old[i].domain, strlen(old[i].domain),
		    old[i].hash) = old[i];
	}
	mf_free(old);
	return 0;
}

int
mf_domain_clean(char *d)
{
	size_t n;

	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strncmp(d, "www.", 4) == 0)
		memmove(d, d + 4, strlen(d + 4) + 1);
	n = strlen(d);
	while (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0 || n > MF_HOST_MAX || d[0] == '.' || d[0] == '-')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c >= 0x80))
			return -1;
		if (c == '.' && d[i + 1] == '.')
			return -1;
	}
	return 0;
}

int
mf_sources_add(mf_sources_t *self, const char *domain, mf_list_t list,
    mf_err_t *err)
{
	char		 d[MF_HOST_MAX + 8];
	s_entry_t	*e;
	size_t		 n;
	uint64_t	 h;

	if (strlen(domain) > MF_HOST_MAX)
		return mf_err_set(err, MF_EINVAL, domain, "domain too long");
	snprintf(d, sizeof(d), "%s", domain);
	if (mf_domain_clean(d) == -1)
		return mf_err_set(err, MF_EINVAL, domain,
		    "'%s' is not a host name; write one host per line, "
		    "like 'who.int'", domain);
	if ((self->n + 1) * 2 > self->cap && s_grow(self) == -1)
		return mf_err_set(err, MF_ENOMEM, domain, "out of memory");
	n = strlen(d);
	h = s_hash(d, n);
	e = s_find(self, d, n, h);
	if (e->domain) {
		self->count[e->list]--;
	} else {
		if ((e->domain = mf_strdup(d)) == NULL)
			return mf_err_set(err, MF_ENOMEM, domain,
			    "out of memory");
		e->hash = h;
		self->n++;
	}
	e->list = list;
	self->count[list]++;
	return 0;
}

int
mf_sources_load_file(mf_sources_t *self, const char *path, mf_list_t list,
    mf_diags_t *diags)
{
	FILE	*fp;
	char	 line[1024];
	size_t	 lineno = 0;
	int	 errors = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0,
		    "check the path and its permissions", "cannot open: %s",
		    strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char	*p = line, *end, *hash;
		mf_err_t e = {0};

		lineno++;
		if ((hash = strchr(p, '#')) != NULL)
			*hash = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (strpbrk(p, " \t")) {
			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno,
			    (size_t)(strpbrk(p, " \t") - line) + 1,
			    "one domain per line; put remarks after '#'",
			    "unexpected text after the domain");
			errors++;
			continue;
		}
		if (mf_sources_add(self, p, list, &e) == -1) {
			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno,
			    (size_t)(p - line) + 1,
			    "write a bare host such as 'who.int' (no scheme, "
			    "no path)", "%s", e.msg);
			errors++;
		}
	}
	fclose(fp);
	return errors;
}

static int
s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mf_sources_load_dir(mf_sources_t *self, const char *dir, mf_diags_t *diags)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, path[4096];
	size_t		 n = 0, cap = 0;
	int		 errors = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t	 len = strlen(de->d_name);
		char	**p;

		if (len < 6 || strcmp(de->d_name + len - 5, ".list") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((p = mf_realloc(names, cap * sizeof(*p))) == NULL)
				break;
			names = p;
		}
		if ((names[n] = mf_strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), s_cmp_str);
	for (size_t i = 0; i < n; i++) {
		mf_list_t list;

		if (strncmp(names[i], "vetted", 6) == 0)
			list = MF_LIST_VETTED;
		else if (strncmp(names[i], "unreliable", 10) == 0)
			list = MF_LIST_UNRELIABLE;
		else {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			mf_diags_add(diags, MF_DIAG_WARNING, path, 0, 0,
			    "name list files vetted*.list or "
			    "unreliable*.list", "ignored: not a known list");
			mf_free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		errors += mf_sources_load_file(self, path, list, diags);
		mf_free(names[i]);
	}
	mf_free(names);
	return errors;
}

mf_list_t
mf_sources_lookup_entry(const mf_sources_t *self, const char *host,
    const char **entry)
{
	const char	*p = host;
	size_t		 n = strlen(host);

	if (self == NULL || n == 0)
		return MF_LIST_UNKNOWN;
	/* Longest suffix first: the host itself, then each parent. */
	for (;;) {
		size_t		 len = n - (size_t)(p - host);
		s_entry_t	*e = s_find(self, p, len, s_hash(p, len));

		if (e->domain) {
			if (entry)
				*entry = e->domain;
			return e->list;
		}
		if ((p = strchr(p, '.')) == NULL)
			break;
		p++;
	}
	return MF_LIST_UNKNOWN;
}

mf_list_t
mf_sources_lookup(const mf_sources_t *self, const char *host)
{
	return mf_sources_lookup_entry(self, host, NULL);
}

size_t
mf_sources_count(const mf_sources_t *self, mf_list_t list)
{
	return self->count[list];
}

const char *
mf_sources_version(const mf_sources_t *self)
{
	return self->version ? self->version : "";
}

int
mf_sources_set_version(mf_sources_t *self, const char *v)
{
	char *p = mf_strdup(v);

	if (p == NULL)
		return -1;
	mf_free(self->version);
	self->version = p;
	return 0;
}

static int
s_cmp_entry(const void *a, const void *b)
{
	return strcmp(((const s_entry_t *)a)->domain,
	    ((const s_entry_t *)b)->domain);
}

void
mf_sources_each(const mf_sources_t *self,
    void (*fn)(const char *domain, mf_list_t list, void *arg), void *arg)
{
	s_entry_t	*v;
	size_t		 n = 0;

	if ((v = mf_calloc(self->n ? self->n : 1, sizeof(*v))) == NULL)
		return;
	for (size_t i = 0; i < self->cap; i++)
		if (self->slots[i].domain)
			v[n++] = self->slots[i];
	qsort(v, n, sizeof(*v), s_cmp_entry);
	for (size_t i = 0; i < n; i++)
		fn(v[i].domain, v[i].list, arg);
	mf_free(v);
}

int
mf_url_host(const char *url, size_t len, char *host, size_t cap)
{
	const char	*p = url, *end = url + len, *h, *q;
	size_t		 n;

	/* Skip "scheme://" when present. */
	for (q = p; q < end && (isalnum((unsigned char)*q) || *q == '+' ||
	    *q == '-' || *q == '.'); q++)
		;
	if (q + 2 < end && q[0] == ':' && q[1] == '/' && q[2] == '/')
		p = q + 3;
	else if (q < end && q[0] == ':' && q != p && q + 1 < end &&
	    isdigit((unsigned char)q[1]) == 0)
		return -1;	/* mailto:, javascript: ... */
	/* Userinfo. */
	for (q = p; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
		if (*q == '@')
			p = q + 1;
	h = p;
	while (p < end && *p != '/' && *p != '?' && *p != '#' && *p != ':')
		p++;
	n = (size_t)(p - h);
	while (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n >= cap || n > MF_HOST_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c >= 0x80))
			return -1;
		host[i] = (char)tolower(c);
	}
	host[n] = '\0';
	if (strchr(host, '.') == NULL)
		return -1;
	return 0;
}

/*
 * A host of one or two labels ("t.co", "youtu.be", "localhost") is its
 * own registrable domain: its public suffix is its last label, or the
 * whole host (libpsl then answers NULL, and the host stands). Most links
 * in posts are such, and the list's lookup cost some 5,000 instructions
 * each, 3% of judging a tweet.
 */
int
mf_host_domain(const char *host, char *domain, size_t cap)
{
	const char *r = host, *dot = strchr(host, '.');

	if (dot != NULL && strchr(dot + 1, '.') != NULL &&
	    (r = psl_registrable_domain(psl_builtin(), host)) == NULL)
		r = host;
	if (strlen(r) >= cap)
		return -1;
	snprintf(domain, cap, "%s", r);
	return 0;
}
