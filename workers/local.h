/*
 * local.h - local.d/, the operator's layer over the installed rules: the
 * folder beside medflag.conf whose *.conf files change keys of the
 * configuration (config.c reads them), whose *.rules files add rules and
 * change installed ones by id (`override` lines), and whose
 * sources/ *.list files add vetted and unreliable domains. `make install`
 * never writes there, so what it holds survives an upgrade.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LOCAL_H
#define MF_LOCAL_H

#include "config.h"
#include "medflag.h"

/*
 * The rule set every program judges with: the source lists of
 * RULES/sources and LOCAL/sources into 'src' (for the evidence check, and
 * for the caller), then RULES with LOCAL's rules and overrides. 'local'
 * may be NULL or "" (a rules directory given on its own, as with --rules).
 * Every problem goes to 'diags'. OWNS: caller. NULL on error.
 */
mf_ruleset_t	*mf_local_ruleset_load(const char *rules, const char *local,
		    mf_sources_t *src, unsigned opts, mf_diags_t *diags);

#endif
