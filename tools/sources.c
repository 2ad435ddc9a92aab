/*
 * sources.c - `medflag sources`: the vetted and unreliable source lists
 * in Redis (load, add, remove, list, lookup). Running workers poll the
 * version key and pick up a change within a second.
 *
 * Not responsible for the list format (filter/source.c reads .list files)
 * or the Redis keys (workers/store.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "store.h"

static void
s_usage(void)
{
	fprintf(stderr, "usage: medflag sources load [DIR]\n"
	    "       medflag sources add DOMAIN --vetted|--unreliable\n"
	    "       medflag sources remove DOMAIN\n"
	    "       medflag sources list [--vetted|--unreliable]\n"
	    "       medflag sources lookup URL|DOMAIN\n");
}

/*
 * `sources load [DIR]`: the lists of DIR (default: RULES/sources, and
 * local.d/sources beside the configuration) replace those in Redis; what
 * `sources add` added stays, in its own sets, and is said.
 */
static int
s_load(mf_store_t *st, const mf_config_t *cfg, const char *dir)
{
	mf_sources_t	*src;
	mf_diags_t	 diags = {0};
	char		 def[1100], local[1100] = "";
	long long	 ver = 0, kept[2] = { 0, 0 };
	int		 errors, rc = 1;

	if (dir == NULL) {
		snprintf(def, sizeof(def), "%s/sources", cfg->rules);
		dir = def;
		if (cfg->local[0])
			snprintf(local, sizeof(local), "%s/sources",
			    cfg->local);
	}
	if ((src = mf_sources_new(NULL)) == NULL)
		return 1;
	errors = mf_sources_load_dir(src, dir, &diags);
	if (local[0])
		errors += mf_sources_load_dir(src, local, &diags);
	mf_cli_print_diags(stderr, &diags);
	if (errors) {
		fprintf(stderr, "medflag sources load: %s: %d error%s; "
		    "nothing was loaded\n", dir, errors, errors == 1 ? "" : "s");
		goto out;
	}
	if (mf_sources_count(src, MF_LIST_VETTED) +
	    mf_sources_count(src, MF_LIST_UNRELIABLE) == 0) {
		fprintf(stderr, "medflag sources load: %s: no vetted*.list or "
		    "unreliable*.list entries; nothing was loaded\n  hint: "
		    "give the directory that holds the .list files\n", dir);
		goto out;
	}
	if (mf_store_sources_replace(st, src, kept) == -1 ||
	    mf_store_sources_version(st, &ver) == -1) {
		fprintf(stderr, "medflag sources load: %s\n",
		    mf_store_error(st));
		goto out;
	}
	printf("loaded %zu vetted and %zu unreliable domains from %s%s%s "
	    "(version %lld)\n", mf_sources_count(src, MF_LIST_VETTED),
	    mf_sources_count(src, MF_LIST_UNRELIABLE), dir, local[0] ?
	    " and " : "", local, ver);
	printf("kept %lld vetted and %lld unreliable domains added with "
	    "`sources add` (their own set, %ssources:local:*; `sources "
	    "remove` takes one out)\n", kept[0], kept[1], cfg->redis_prefix);
	rc = 0;
out:
	mf_diags_free(&diags);
	mf_sources_destroy(&src);
	return rc;
}

typedef struct {
	int	want;	/* -1 all, else mf_list_t */
} s_list_arg_t;

static void
s_print_entry(const char *domain, mf_list_t list, void *arg)
{
	const s_list_arg_t	*a = arg;

	if (a->want == -1)
		printf("%s\t%s\n", domain, mf_list_name(list));
	else if ((int)list == a->want)
		printf("%s\n", domain);
}

/* "--vetted" / "--unreliable" -> list; -1 otherwise. */
static int
s_list_opt(const char *s)
{
	if (strcmp(s, "--vetted") == 0)
		return MF_LIST_VETTED;
	if (strcmp(s, "--unreliable") == 0)
		return MF_LIST_UNRELIABLE;
	return -1;
}

static int
s_lookup(mf_store_t *st, const char *what)
{
	mf_sources_t	*src;
	const char	*entry = NULL;
	char		 host[512];
	mf_list_t	 l;

	if (mf_url_host(what, strlen(what), host, sizeof(host)) == -1) {
		fprintf(stderr, "medflag sources lookup: '%s' has no host "
		    "name\n", what);
		return 2;
	}
	if ((src = mf_store_sources_fetch(st)) == NULL) {
		fprintf(stderr, "medflag sources lookup: %s\n",
		    mf_store_error(st));
		return 1;
	}
	l = mf_sources_lookup_entry(src, host, &entry);
	if (l == MF_LIST_UNKNOWN)
		printf("%s: unknown (on neither list; version %s)\n", host,
		    mf_sources_version(src));
	else
		printf("%s: %s (entry %s; version %s)\n", host,
		    mf_list_name(l), entry ? entry : host,
		    mf_sources_version(src));
	mf_sources_destroy(&src);
	return 0;
}

int
mf_cmd_sources(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_store_t	*st = NULL;
	mf_sources_t	*src = NULL;
	char		 err[1024];
	const char	*sub = argc > 1 ? argv[1] : NULL;
	int		 rc = 2, l;
	s_list_arg_t	 la = { -1 };

	if (sub == NULL || (strcmp(sub, "load") && strcmp(sub, "add") &&
	    strcmp(sub, "remove") && strcmp(sub, "list") &&
	    strcmp(sub, "lookup"))) {
		s_usage();
		return 2;
	}
	/* Check the arguments before touching Redis. */
	if ((strcmp(sub, "load") == 0 && argc > 3) ||
	    (strcmp(sub, "add") == 0 && (argc != 4 ||
	    s_list_opt(argv[3]) == -1)) ||
	    (strcmp(sub, "remove") == 0 && argc != 3) ||
	    (strcmp(sub, "lookup") == 0 && argc != 3) ||
	    (strcmp(sub, "list") == 0 && (argc > 3 ||
	    (argc == 3 && s_list_opt(argv[2]) == -1)))) {
		s_usage();
		return 2;
	}
	if (mf_client_config(cli, &cfg) == -1)
		return 1;
	if ((st = mf_client_store(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "medflag sources: %s\n", err);
		return 1;
	}
	rc = 1;
	if (strcmp(sub, "load") == 0) {
		rc = s_load(st, &cfg, argc == 3 ? argv[2] : NULL);
	} else if (strcmp(sub, "add") == 0) {
		l = s_list_opt(argv[3]);
		if (mf_store_sources_add(st, argv[2], (mf_list_t)l) == -1)
			fprintf(stderr, "medflag sources add: %s\n",
			    mf_store_error(st));
		else {
			printf("added %s to the %s list\n", argv[2],
			    mf_list_name((mf_list_t)l));
			rc = 0;
		}
	} else if (strcmp(sub, "remove") == 0) {
		switch (mf_store_sources_remove(st, argv[2])) {
		case 0:
			printf("removed %s\n", argv[2]);
			rc = 0;
			break;
		case 1:
			fprintf(stderr, "medflag sources remove: %s is on "
			    "neither list\n", argv[2]);
			break;
		default:
			fprintf(stderr, "medflag sources remove: %s\n",
			    mf_store_error(st));
		}
	} else if (strcmp(sub, "list") == 0) {
		if (argc == 3)
			la.want = s_list_opt(argv[2]);
		if ((src = mf_store_sources_fetch(st)) == NULL) {
			fprintf(stderr, "medflag sources list: %s\n",
			    mf_store_error(st));
		} else {
			mf_sources_each(src, s_print_entry, &la);
			rc = 0;
		}
	} else {
		rc = s_lookup(st, argv[2]);
	}
	mf_sources_destroy(&src);
	mf_store_destroy(&st);
	return rc;
}
