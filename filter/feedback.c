/*
 * feedback.c - the moderator feedback record: its constructor, destructor
 * and the checks a record passes before medflag keeps it. The msgpack and
 * JSON codecs are in wire.c and wire_json.c.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <string.h>

#include "alloc.h"
#include "feedback.h"
#include "ruleset.h"

mf_feedback_t *
mf_feedback_new(void)
{
	return mf_calloc(1, sizeof(mf_feedback_t));
}

void
mf_feedback_destroy(mf_feedback_t **self_p)
{
	mf_feedback_t	*self;

	assert(self_p != NULL);
	if ((self = *self_p) == NULL)
		return;
	mf_free(self->post_id);
	mf_free(self->revision);
	for (size_t i = 0; i < self->nrules; i++)
		mf_free(self->rules[i]);
	mf_free(self->rules);
	mf_free(self->by);
	mf_free(self->body);
	mf_free(self->lang);
	mf_free(self);
	*self_p = NULL;
}

const char *
mf_feedback_outcome_name(int agreed)
{
	return agreed ? "agreed" : "overturned";
}

int
mf_feedback_outcome_parse(const char *name)
{
	assert(name != NULL);
	if (strcmp(name, "agreed") == 0)
		return 1;
	if (strcmp(name, "overturned") == 0)
		return 0;
	return -1;
}

int
mf_feedback_valid(const char *post_id, const char *outcome,
    const char *const *rules, size_t nrules, mf_err_t *err)
{
	mf_err_clear(err);
	if (post_id == NULL || post_id[0] == '\0' || strlen(post_id) > 256)
		return mf_err_set(err, MF_EFIELD, "post_id", "post_id: give "
		    "the id of the post (1 to 256 bytes)");
	if (outcome == NULL || mf_feedback_outcome_parse(outcome) == -1)
		return mf_err_set(err, MF_EFIELD, "outcome", "outcome: give "
		    "agreed (the flag was right) or overturned (it was not)");
	if (nrules == 0)
		return mf_err_set(err, MF_EFIELD, "rules", "rules: name the "
		    "rules of the verdict (ids as in its hits)");
	for (size_t i = 0; i < nrules; i++)
		if (rules[i] == NULL ||
		    !mf_rule_id_valid(rules[i], strlen(rules[i])))
			return mf_err_set(err, MF_EFIELD, "rules", "rules: "
			    "'%.80s' is not a rule id ([a-z0-9] then "
			    "[a-z0-9._-])", rules[i] ? rules[i] : "");
	return 0;
}

int
mf_feedback_check(const mf_feedback_t *self, mf_err_t *err)
{
	assert(self != NULL);
	return mf_feedback_valid(self->post_id,
	    mf_feedback_outcome_name(self->agreed),
	    (const char *const *)self->rules, self->nrules, err);
}
