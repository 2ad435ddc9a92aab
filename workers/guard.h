/*
 * guard.h - the worker's rule guard: counts, per rule, the posts on which
 * the rule hit a PCRE2 limit or was the slowest when the time budget ran
 * out, and past a threshold (MF_GUARD_EVENTS within MF_GUARD_WINDOW_MS)
 * switches that rule to shadow in this worker only (a bitmap handed to
 * mf_scan_opts, not a rule set rebuild). Shadowed rules are kept by id
 * across reloads; a reload that drops the rule forgets it. The rules the
 * moderators' feedback demoted are judged as shadow through the same
 * bitmap.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_GUARD_H
#define MF_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "medflag.h"

#define MF_GUARD_EVENTS		5
#define MF_GUARD_WINDOW_MS	60000
#define MF_GUARD_MAX_SHADOWED	64

typedef struct mf_guard mf_guard_t;

/* OWNS: caller (mf_guard_destroy). NULL on ENOMEM. */
mf_guard_t	*mf_guard_new(const mf_ruleset_t *rs);
void		 mf_guard_destroy(mf_guard_t **self_p);
/* Follows a reload: the bitmap is rebuilt for 'rs' from the ids shadowed
 * so far, counts start again. 0 or -1 (ENOMEM; the guard is unchanged). */
int		 mf_guard_rules(mf_guard_t *self, const mf_ruleset_t *rs);
/* Fills the shadow fields of 'so' (BORROWS the bitmap until the next
 * mf_guard_rules or mf_guard_note). */
void		 mf_guard_opts(const mf_guard_t *self, mf_scan_opts_t *so);
/* Counts one overrun of rule 'idx' at 'now_ms'. Returns 1 when the rule
 * has just been switched to shadow (the caller logs it once), else 0. */
int		 mf_guard_note(mf_guard_t *self, size_t idx, int64_t now_ms);
/* BORROWS: the shadowed rule ids, comma-separated ("" none). */
const char	*mf_guard_list(const mf_guard_t *self);
size_t		 mf_guard_count(const mf_guard_t *self);
/* The rules the moderators' feedback demoted (store.h, rules:demoted):
 * judged as shadow too, until a person restores them. 'ids' is
 * comma-separated ("" none); an id the rule set lacks is kept for a
 * reload that brings it. 0, or -1 (ENOMEM; the guard is unchanged). */
int		 mf_guard_demote(mf_guard_t *self, const char *ids);
/* BORROWS: the demoted rule ids as given ("" none). */
const char	*mf_guard_demoted(const mf_guard_t *self);

#endif
