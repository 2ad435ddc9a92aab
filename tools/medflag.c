/*
 * medflag.c - the `medflag` command: global options, then a subcommand.
 * Offline subcommands (scan, explain, rules) need no service.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

/* Service clients live in their own files; weak so that a build without
 * one still links and says so. */
#pragma weak mf_cmd_push
#pragma weak mf_cmd_check
#pragma weak mf_cmd_tail
#pragma weak mf_cmd_stats
#pragma weak mf_cmd_top
#pragma weak mf_cmd_reload
#pragma weak mf_cmd_sources
#pragma weak mf_cmd_feedback
#pragma weak mf_cmd_keygen
#pragma weak mf_cmd_discourse
#pragma weak mf_cmd_http

static const struct {
	const char	*name;
	mf_cmd_fn	*fn;
	const char	*usage;
} s_cmds[] = {
	{ "scan", mf_cmd_scan, "scan [--rules DIR]            JSON Lines posts "
	    "on stdin -> verdicts on stdout" },
	{ "explain", mf_cmd_explain, "explain [--rules DIR] [--json] "
	    "[--normalized] [--format F] TEXT|-\n"
	    "                                  one post: matches, score, "
	    "evidence" },
	{ "rules", mf_cmd_rules, "rules check [DIR] | test RULEFILE TEXT|- | "
	    "eval [--rules DIR] FILE.jsonl\n"
	    "                                  | backtest [--rules DIR] NEW_DIR "
	    "FILE.jsonl" },
	{ "push", mf_cmd_push, "push [--async] [--window N]   JSON Lines "
	    "posts on stdin -> medflagd" },
	{ "check", mf_cmd_check, "check TEXT|-                 one post "
	    "through medflagd" },
	{ "tail", mf_cmd_tail, "tail [--action a,b] [--json] [--since SEQ]  "
	    "live verdicts" },
	{ "stats", mf_cmd_stats, "stats [--json|--prometheus] counters of "
	    "medflagd" },
	{ "top", mf_cmd_top, "top [-d SECONDS] [-n COUNT]   live rates, "
	    "latency, queue, workers" },
	{ "reload", mf_cmd_reload, "reload                        recompile "
	    "rules in medflagd" },
	{ "sources", mf_cmd_sources, "sources load|add|remove|list|lookup    "
	    "source lists in Redis" },
	{ "feedback", mf_cmd_feedback, "feedback POST_ID agreed|overturned "
	    "RULE... | - | --summary\n"
	    "                                  moderators' outcomes, per-rule "
	    "precision" },
	{ "http", mf_cmd_http, "http [--listen HOST:PORT]       HTTP gateway: "
	    "/v1/check, /v1/feedback, /metrics" },
	{ "discourse", mf_cmd_discourse, "discourse [--listen HOST:PORT]  "
	    "Discourse adapter: webhook in, flags out" },
	{ "keygen", mf_cmd_keygen, "keygen NAME                   CURVE key "
	    "pair: NAME.key, NAME.pub" },
};

static void
s_usage(FILE *fp)
{
	fprintf(fp, "usage: medflag [-c FILE] SUBCOMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(s_cmds) / sizeof(*s_cmds); i++)
		if (s_cmds[i].fn)
			fprintf(fp, "  medflag %s\n", s_cmds[i].usage);
	fprintf(fp, "\n  -c FILE   configuration file (default "
	    "$MEDFLAG_CONF, else %s)\n", MF_CONFIG_SYSTEM);
}

int
main(int argc, char **argv)
{
	mf_cli_t	 cli = { .prog = "medflag" };
	int		 i = 1;

	cli.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cli.config = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			s_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("medflag %s\n", MF_VERSION);
			return 0;
		} else {
			fprintf(stderr, "medflag: unknown option '%s'\n",
			    argv[i]);
			s_usage(stderr);
			return 2;
		}
	}
	if (i == argc || strcmp(argv[i], "help") == 0) {
		s_usage(i == argc ? stderr : stdout);
		return i == argc ? 2 : 0;
	}
	mf_cli_set_config(cli.config);
	for (size_t k = 0; k < sizeof(s_cmds) / sizeof(*s_cmds); k++) {
		if (strcmp(s_cmds[k].name, argv[i]) != 0)
			continue;
		if (s_cmds[k].fn == NULL) {
			fprintf(stderr, "medflag: %s: not part of this "
			    "build\n", argv[i]);
			return 2;
		}
		return s_cmds[k].fn(argc - i, argv + i, &cli);
	}
	fprintf(stderr, "medflag: unknown subcommand '%s'; see 'medflag "
	    "help'\n", argv[i]);
	return 2;
}
