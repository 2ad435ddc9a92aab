/*
 * canary.c - the reload canary: a candidate rule set is run over a fixed
 * sample of forum posts (canary.jsonl in the rules directory: mostly
 * ordinary posts, a few myths; medflag keeps no post text, so the sample
 * is shipped, not collected) and its flag rate compared with the running
 * set's. A set whose rate jumps far above the old one (a pattern that
 * matches everything) is refused before any worker loads it, and so is
 * one with a rule that hits a quarter of the sample: the model vetoes
 * most of a catch-all rule's hits on ordinary posts (a score-9 rule on
 * "the|a|i|you" raised the flag rate by 9 points, not 20), but not all.
 * Not responsible for compiling or testing the rules (control.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define S_LINE_MAX	(64 * 1024)

/* Counts once each rule that hit 'v' in enforce mode. */
static void
s_count_rules(mf_rulehits_t *per, const mf_verdict_t *v)
{
	for (size_t i = 0; i < v->nhits; i++) {
		const mf_hit_t	*h = &v->hits[i];
		size_t		 j;

		if (h->rule == NULL || h->mode != MF_MODE_ENFORCE ||
		    strcmp(h->rule, "model") == 0)
			continue;
		for (j = 0; j < i; j++)
			if (v->hits[j].rule && strcmp(v->hits[j].rule,
			    h->rule) == 0)
				break;
		if (j == i)
			(void)mf_rulehits_add(per, h->rule, strlen(h->rule),
			    1, 0);
	}
}

int
mf_canary_rate(const char *rules_dir, const mf_ruleset_t *rs,
    mf_scanner_t *sc, double *rate, size_t *n, mf_canary_top_t *top)
{
	char		 path[1200];
	char		*line = NULL;
	FILE		*fp;
	size_t		 total = 0, flagged = 0;
	mf_rulehits_t	 per = {0};
	int		 rc = -1;

	*rate = 0;
	*n = 0;
	if (top != NULL)
		memset(top, 0, sizeof(*top));
	snprintf(path, sizeof(path), "%s/canary.jsonl", rules_dir);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if ((line = malloc(S_LINE_MAX)) == NULL)
		goto out;
	while (fgets(line, S_LINE_MAX, fp) != NULL) {
		mf_err_t	 err = {0};
		mf_post_t	*post;
		mf_verdict_t	*v = NULL;
		size_t		 len = strlen(line);

		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if ((post = mf_wire_decode_post_json(line, len, &err)) == NULL)
			continue;
		if (mf_scan(sc, rs, NULL, post, 0, &v, &err) == 0 &&
		    v != NULL) {
			total++;
			if (v->action >= MF_ACT_FLAG)
				flagged++;
			s_count_rules(&per, v);
		}
		mf_verdict_destroy(&v);
		mf_post_destroy(&post);
	}
	if (total > 0) {
		*rate = (double)flagged / (double)total;
		*n = total;
		rc = 0;
	}
	for (size_t i = 0; top != NULL && i < per.cap; i++)
		if (per.v[i].id != NULL && per.v[i].hits > top->posts) {
			top->posts = per.v[i].hits;
			snprintf(top->rule, sizeof(top->rule), "%s",
			    per.v[i].id);
		}
out:
	mf_rulehits_free(&per);
	free(line);
	fclose(fp);
	return rc;
}

int
mf_canary_rule_check(const mf_canary_top_t *top, size_t n,
    mf_diags_t *diags)
{
	if (n == 0 || (double)top->posts <= MF_CANARY_MAX_RULE_SHARE *
	    (double)n)
		return 0;
	mf_diags_add(diags, MF_DIAG_ERROR, "canary.jsonl", 0, 0,
	    "a pattern that matches ordinary posts? try the rule with "
	    "`medflag explain` on a few of them",
	    "canary: rule %s hits %zu of %zu sample posts (at most %.0f%% "
	    "allowed)", top->rule, top->posts, n,
	    MF_CANARY_MAX_RULE_SHARE * 100);
	return -1;
}

int
mf_canary_judge(double old_rate, size_t old_n, double new_rate,
    size_t new_n, mf_diags_t *diags)
{
	if (old_n == 0 || new_n == 0)
		return 0;
	if (new_rate <= old_rate + MF_CANARY_MAX_RISE)
		return 0;
	mf_diags_add(diags, MF_DIAG_ERROR, "canary.jsonl", 0, 0,
	    "a rule that matches ordinary posts? try the new rules with "
	    "`medflag rules eval` on canary.jsonl",
	    "canary: the new rules flag %.0f%% of %zu sample posts, the "
	    "running rules %.0f%% (at most %.0f points more allowed)",
	    new_rate * 100, new_n, old_rate * 100,
	    MF_CANARY_MAX_RISE * 100);
	return -1;
}
