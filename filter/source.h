/*
 * source.h - source sets: vetted and unreliable domains, immutable
 * snapshots with a version, looked up by URL host (suffix match on a label
 * boundary: "nih.gov" covers "pubmed.ncbi.nlm.nih.gov", not "notnih.gov").
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_SOURCE_H
#define MF_SOURCE_H

#include <stddef.h>

#include "err.h"
#include "verdict.h"

typedef struct mf_sources mf_sources_t;

/* Empty set with version string 'version' (copied; may be NULL).
 * OWNS: caller; free with mf_sources_destroy(). */
mf_sources_t	*mf_sources_new(const char *version);
void		 mf_sources_destroy(mf_sources_t **self_p);
/* Adds a domain (lower-cased, leading "www." and trailing dot removed).
 * Returns 0, or -1 if 'domain' is not a valid host name. */
int		 mf_sources_add(mf_sources_t *self, const char *domain,
		    mf_list_t list, mf_err_t *err);
/* Reads a .list file (one domain per line, '#' comments). Problems go to
 * 'diags' as file:line:col; returns the number of errors (0 = loaded). */
int		 mf_sources_load_file(mf_sources_t *self, const char *path,
		    mf_list_t list, mf_diags_t *diags);
/* Loads every DIR/vetted*.list and DIR/unreliable*.list, sorted by name
 * (a missing directory or file is fine). Returns the number of errors. */
int		 mf_sources_load_dir(mf_sources_t *self, const char *dir,
		    mf_diags_t *diags);
/* The list 'host' belongs to (longest matching suffix wins). */
mf_list_t	 mf_sources_lookup(const mf_sources_t *self, const char *host);
/* Same, writing the matching entry into 'entry' when found. */
mf_list_t	 mf_sources_lookup_entry(const mf_sources_t *self,
		    const char *host, const char **entry);
size_t		 mf_sources_count(const mf_sources_t *self, mf_list_t list);
const char	*mf_sources_version(const mf_sources_t *self);
int		 mf_sources_set_version(mf_sources_t *self, const char *v);
/* Calls 'fn' for every entry, sorted. */
void		 mf_sources_each(const mf_sources_t *self,
		    void (*fn)(const char *domain, mf_list_t list, void *arg),
		    void *arg);

/* URL helpers. mf_url_host() copies the lower-cased host of 'url' (with or
 * without a scheme; "www.x.org/..." is accepted) into 'host'; -1 if none.
 * mf_host_domain() writes the registrable domain (public suffix list). */
int		 mf_url_host(const char *url, size_t len, char *host,
		    size_t cap);
int		 mf_host_domain(const char *host, char *domain, size_t cap);
/* Normalizes a domain entry in place (lower case, no www., no dot at the
 * end); returns -1 if it is not a valid host name. */
int		 mf_domain_clean(char *domain);

#endif
