/*
 * config.c - `medflag config`: the configuration in effect, every key
 * with its value and where that came from (the built-in default, the
 * configuration file or a file of local.d/, with its line), then the
 * rules: their hash, the rules local.d/ adds and the overrides it makes.
 * Its output is itself a valid medflag.conf, comments aside.
 *
 * Not responsible for reading anything: config.c and local.c do, as for
 * every other program, so what is printed is what they run with.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "local.h"

/* The value of directive 'd' in 'c', as a configuration line writes it. */
static void
s_value(const mf_config_t *c, const mf_config_directive_t *d, char *out,
    size_t cap)
{
	const char	*p = (const char *)c + d->offset;

	switch (d->type) {
	case MF_CONF_INT:
		snprintf(out, cap, "%d", *(const int *)p);
		break;
	case MF_CONF_ONOFF:
		snprintf(out, cap, "%s", *(const int *)p ? "on" : "off");
		break;
	case MF_CONF_MODE:
		snprintf(out, cap, "%s", mf_mode_name(*(const int *)p));
		break;
	default:
		/* A secret is not printed, only whether there is one. */
		if (strcmp(d->name, "redis_password") == 0 && *p)
			snprintf(out, cap, "\"(set)\"");
		else if (*p == '\0' || strpbrk(p, " \t#") != NULL)
			snprintf(out, cap, "\"%s\"", p);
		else
			snprintf(out, cap, "%s", p);
		break;
	}
}

/* 1 if 'file' lies in folder 'dir'. */
static int
s_in(const char *file, const char *dir)
{
	size_t	n = strlen(dir);

	return n && strncmp(file, dir, n) == 0 && file[n] == '/';
}

static int
s_rules(const mf_config_t *cfg)
{
	mf_diags_t	 d = {0};
	mf_sources_t	*src = mf_sources_new("files");
	mf_ruleset_t	*rs = NULL;
	size_t		 added = 0, n;

	if (src == NULL)
		return 1;
	rs = mf_local_ruleset_load(cfg->rules, cfg->local, src,
	    MF_LOAD_NO_PREFILTER | MF_LOAD_NO_JIT, &d);
	if (rs == NULL) {
		mf_cli_print_diags(stderr, &d);
		fprintf(stderr, "medflag config: %s: %zu error%s; the rules "
		    "do not load\n", cfg->rules, d.errors, d.errors == 1 ?
		    "" : "s");
		mf_diags_free(&d);
		mf_sources_destroy(&src);
		return 1;
	}
	n = mf_ruleset_size(rs);
	for (size_t i = 0; i < n; i++)
		added += s_in(mf_ruleset_rule(rs, i)->file, cfg->local);
	printf("\n# rules: %zu (%zu from local.d), ruleset %s\n", n, added,
	    mf_ruleset_hash(rs));
	for (size_t i = 0; i < n; i++) {
		const mf_rule_t	*r = mf_ruleset_rule(rs, i);

		if (s_in(r->file, cfg->local))
			printf("# rule %s: added, %s:%zu\n", r->id, r->file,
			    r->line);
	}
	for (size_t i = 0; i < mf_ruleset_noverrides(rs); i++) {
		const mf_override_t	*o = mf_ruleset_override(rs, i);

		if (o->sets_score)
			printf("override %s score %g\t# was %g; %s:%zu\n",
			    o->rule, o->score, o->was_score, o->file, o->line);
		else
			printf("override %s mode %s\t# was %s; %s:%zu\n",
			    o->rule, mf_mode_name(o->mode),
			    mf_mode_name(o->was_mode), o->file, o->line);
	}
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	mf_diags_free(&d);
	return 0;
}

int
mf_cmd_config(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t			*cfg = calloc(1, sizeof(*cfg));
	mf_diags_t			 d = {0};
	const mf_config_directive_t	*t;
	const char			*path, *e;
	size_t				 nt;
	int				 errors, rc = 1;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: medflag config\n");
		free(cfg);
		return 2;
	}
	if (cfg == NULL)
		return 1;
	path = cli->config ? cli->config : mf_config_default_path();
	errors = mf_config_read(cfg, path, &d);
	mf_cli_print_diags(stderr, &d);
	mf_diags_free(&d);
	if (errors) {
		fprintf(stderr, "medflag config: %s: %d error%s in the "
		    "configuration\n", path, errors, errors == 1 ? "" : "s");
		goto out;
	}
	printf("# the configuration in effect (medflag.conf(5))\n");
	if (cfg->nfiles == 0)
		printf("# read: no file, the built-in defaults (%s does not "
		    "exist)\n", MF_CONFIG_SYSTEM);
	for (size_t i = 0; i < cfg->nfiles; i++)
		printf("# read: %s\n", cfg->files[i]);
	if (cfg->local[0])
		printf("# local overrides: %s/ (*.conf, *.rules, "
		    "sources/*.list)\n", cfg->local);
	if ((e = getenv("MEDFLAG_RULES")) != NULL && *e)
		printf("# MEDFLAG_RULES=%s: the offline commands use those "
		    "rules instead\n", e);
	t = mf_config_directives(&nt);
	for (size_t i = 0; i < nt; i++) {
		char	v[1200], from[1200];

		s_value(cfg, &t[i], v, sizeof(v));
		if (cfg->from_file[i] == 0)
			snprintf(from, sizeof(from), "default");
		else
			snprintf(from, sizeof(from), "%s:%u",
			    cfg->files[cfg->from_file[i] - 1],
			    cfg->from_line[i]);
		printf("%-20s %-32s # %s\n", t[i].name, v, from);
	}
	rc = s_rules(cfg);
out:
	free(cfg);
	return rc;
}
