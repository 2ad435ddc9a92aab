/*
 * feedback.h - moderator feedback: a moderator's outcome on a verdict
 * (agreed: the flag was right; overturned: it was not) for the rules that
 * made it, and what makes such a record one medflag keeps.
 *
 * Not the codec (wire.h reads and writes these records as msgpack and
 * JSON) nor where they are stored (workers/store.h).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_FEEDBACK_H
#define MF_FEEDBACK_H

#include <stddef.h>

#include "err.h"

/* Moderator feedback: post_id, revision, outcome, rules, by. */
typedef struct mf_feedback {
	char	*post_id;
	char	*revision;
	int	 agreed;	/* 1 agreed, 0 overturned */
	char	**rules;
	size_t	 nrules;
	char	*by;
	/* The post's text and language, optional: with them the outcome
	 * also teaches the model (only its hashed features are kept). */
	char	*body;
	char	*lang;
} mf_feedback_t;

/* An empty record: every string NULL, no rules, overturned. NULL if out
 * of memory. Its fields are filled with mf_alloc'd strings.
 * OWNS: caller; free with mf_feedback_destroy(). */
mf_feedback_t	*mf_feedback_new(void);
/* Frees *self_p and its fields and sets it to NULL; does nothing if it
 * is already NULL. */
void		 mf_feedback_destroy(mf_feedback_t **self_p);

/* "agreed" (1) or "overturned" (0): the outcome's name on the wire and
 * on the command line. BORROWS: a constant. */
const char	*mf_feedback_outcome_name(int agreed);
/* 1 for "agreed", 0 for "overturned", -1 for anything else. */
int		 mf_feedback_outcome_parse(const char *name);

/* 0 if a record of 'post_id' (1 to 256 bytes, as MF_WIRE_MAX_POST_ID),
 * 'outcome' (a name above) and 'rules' (at least one, each a valid rule
 * id) may be kept; else -1 with err->where the field and err->msg what
 * to give instead. */
int		 mf_feedback_valid(const char *post_id, const char *outcome,
		    const char *const *rules, size_t nrules, mf_err_t *err);
/* mf_feedback_valid() of the record 'self'. */
int		 mf_feedback_check(const mf_feedback_t *self, mf_err_t *err);

#endif
