/*
 * local.c - loads the rules with local.d/ (local.h): one function, so that
 * medflagd, its workers and the offline commands judge with the same
 * rules, overrides and sources, and agree on the rule set's hash.
 * Not responsible for local.d's *.conf files (config.c reads those).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include "local.h"

mf_ruleset_t *
mf_local_ruleset_load(const char *rules, const char *local, mf_sources_t *src,
    unsigned opts, mf_diags_t *diags)
{
	char	path[2048];

	if (local != NULL && *local == '\0')
		local = NULL;
	snprintf(path, sizeof(path), "%s/sources", rules);
	if (mf_sources_load_dir(src, path, diags) != 0)
		return NULL;
	if (local != NULL) {
		snprintf(path, sizeof(path), "%s/sources", local);
		if (mf_sources_load_dir(src, path, diags) != 0)
			return NULL;
	}
	/* Without a vetted list, evidence links cannot be checked. */
	if (mf_sources_count(src, MF_LIST_VETTED) == 0)
		mf_diags_add(diags, MF_DIAG_WARNING, rules, 0, 0, "add "
		    "sources/vetted.list beside the rules", "no vetted list: "
		    "evidence links not checked");
	return mf_ruleset_load_local(rules, local,
	    mf_sources_count(src, MF_LIST_VETTED) ? src : NULL, opts, diags);
}
