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
#pragma weak mf_cmd_mediawiki
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
	{ "learn", mf_cmd_learn, "learn train [--rules DIR] [--out FILE] "
	    "CORPUS.jsonl... | eval | status\n"
	    "                                  the model beside the rules: "
	    "train, measure, what it was taught" },
	{ "config", mf_cmd_config, "config                        the "
	    "configuration in effect, and where each value comes from" },
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
	{ "mediawiki", mf_cmd_mediawiki, "mediawiki [--once]            "
	    "MediaWiki adapter: recent changes in, tags out" },
	{ "keygen", mf_cmd_keygen, "keygen NAME                   CURVE key "
	    "pair: NAME.key, NAME.pub" },
};

/*
 * What `medflag SUBCOMMAND --help` prints, on stdout. It is answered here,
 * before the subcommand runs, so that no subcommand reads "--help" as an
 * argument (a directory, a text, a domain) or connects anywhere first.
 */
static const struct {
	const char	*name;
	const char	*text;
} s_help[] = {
	{ "scan", "usage: medflag scan [--rules DIR] [--table] [--jobs N] "
	    "[--stats | --stats-only] < posts.jsonl\n"
	    "Judges JSON Lines posts (docs/protocol.md) offline; one verdict "
	    "as JSON per line, in the order of the input.\n"
	    "  --rules DIR  rules directory (default: 'rules' of the "
	    "configuration)\n"
	    "  --table      a readable table instead of JSON\n"
	    "  --jobs N     judge with N threads (default: the number of "
	    "cores)\n"
	    "  --stats      then, on stderr: rules run per post, prefilter "
	    "pass rate,\n"
	    "               the time split, the rules run on the most posts "
	    "and their literals\n"
	    "  --stats-only the statistics on stdout, no verdicts\n" },
	{ "explain", "usage: medflag explain [--rules DIR] [--json] "
	    "[--normalized] [--quotes] [--format F] TEXT|-\n"
	    "One post, offline: the matched words, the score and the "
	    "evidence.\n"
	    "  --rules DIR   rules directory (default: 'rules' of the "
	    "configuration)\n"
	    "  --json        the verdict as JSON\n"
	    "  --normalized  also show the normalized text\n"
	    "  --quotes      match quoted text too\n"
	    "  --format F    text, markdown, bbcode, html or wikitext\n" },
	{ "rules", "usage: medflag rules check [DIR]\n"
	    "       medflag rules test [--rules DIR] FILE.rules [TEXT|-]\n"
	    "       medflag rules eval [--rules DIR] [--blind] [--by "
	    "family,lang,kind]\n"
	    "           [--labels FILE [--labelled-only]] [--min-precision P] "
	    "[--min-recall R]\n"
	    "           [--max-negative-flag-rate F] [--min-lang-recall R]\n"
	    "           [--min-question-annotate Q] [--max-flag-rate F] "
	    "[--quiet] FILE.jsonl...\n"
	    "       medflag rules backtest [--rules DIR] [--all] "
	    "[--fail-on-regression]\n"
	    "           NEW_DIR FILE.jsonl...\n"
	    "Compile and test rules, measure them on a labelled corpus, "
	    "compare two sets.\n"
	    "DIR defaults to 'rules' of the configuration (docs/rules.md).\n" },
	{ "config", "usage: medflag config\n"
	    "The configuration in effect: every key, its value and where it "
	    "comes from\n(the default, the configuration file or local.d/, "
	    "with the line), then the\nrules: their hash, the rules local.d/ "
	    "adds and the overrides it makes.\n" },
	{ "push", "usage: medflag push [--async] [--window N] "
	    "[--timeout MS] < posts.jsonl\n"
	    "JSON Lines posts to medflagd; one verdict per line on stdout.\n"
	    "  --async      fire-and-forget to the ingest endpoint (no "
	    "verdicts)\n"
	    "  --window N   posts in flight at once (256)\n"
	    "  --timeout MS resend a post without a verdict after MS (5000)\n"
	    "Exit status: 0 every post got a verdict; 1 a line was not a "
	    "post, or posts got none.\n" },
	{ "check", "usage: medflag check [--json] [--format F] "
	    "[--timeout MS] TEXT|-\n"
	    "One post through medflagd, the verdict printed.\n"
	    "  --json       the verdict as JSON\n"
	    "  --format F   text, markdown, bbcode, html or wikitext\n"
	    "  --timeout MS give up after MS (30000)\n"
	    "Exit status (as spamc -c): 0 action none; 1 annotate, flag, "
	    "hold or block;\n"
	    "2 an error verdict, no verdict, or a usage or configuration "
	    "error.\n" },
	{ "tail", "usage: medflag tail [--action a,b] [--json] [--since SEQ] "
	    "[--count N]\n"
	    "Live verdicts from medflagd; --since replays the journal from "
	    "SEQ first.\n"
	    "  actions: none, annotate, flag, hold, block\n" },
	{ "stats", "usage: medflag stats [--json | --prometheus]\n"
	    "medflagd's counters, workers and rule set "
	    "(docs/operations.md).\n" },
	{ "top", "usage: medflag top [-d SECONDS] [-n COUNT]\n"
	    "Live rates, latency, queue and workers, every SECONDS (2).\n" },
	{ "reload", "usage: medflag reload [--json]\n"
	    "Has medflagd compile and test the rules and switch the workers "
	    "to them.\n" },
	{ "sources", "usage: medflag sources load [DIR]\n"
	    "       medflag sources add DOMAIN --vetted|--unreliable\n"
	    "       medflag sources remove DOMAIN\n"
	    "       medflag sources list [--vetted|--unreliable]\n"
	    "       medflag sources lookup URL|DOMAIN\n"
	    "The vetted and unreliable source lists in Redis; DIR defaults "
	    "to RULES/sources.\n" },
	{ "feedback", "usage: medflag feedback POST_ID agreed|overturned "
	    "RULE... [--revision N] [--by NAME]\n"
	    "       medflag feedback -          (JSON Lines on stdin)\n"
	    "       medflag feedback --summary\n"
	    "Moderators' outcomes, and precision per rule.\n" },
	{ "http", "usage: medflag http [--listen HOST:PORT] [--timeout MS]\n"
	    "HTTP gateway: POST /v1/check, POST /v1/feedback, GET /metrics, "
	    "GET /healthz\n(127.0.0.1:7780, 10000 ms).\n" },
	{ "discourse", "usage: medflag discourse [--listen HOST:PORT] "
	    "[--timeout MS]\n"
	    "Discourse adapter: webhook in, flags that say why out "
	    "(docs/adapters.md).\n" },
	{ "keygen", "usage: medflag keygen NAME\n"
	    "A CURVE key pair: NAME.key (secret, 0600) and NAME.pub.\n" },
};

static void
s_usage(FILE *fp)
{
	fprintf(fp, "usage: medflag [-c FILE] SUBCOMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(s_cmds) / sizeof(*s_cmds); i++)
		if (s_cmds[i].fn)
			fprintf(fp, "  medflag %s\n", s_cmds[i].usage);
	fprintf(fp, "\n  -c FILE    configuration file (default "
	    "$MEDFLAG_CONF, else %s)\n"
	    "  --help     this, or 'medflag SUBCOMMAND --help'\n"
	    "  --version  the version\n", MF_CONFIG_SYSTEM);
}

/* --help or --version among a subcommand's arguments (before "--"):
 * answered at once, exit 0. Returns -1 when there is none. */
static int
s_sub_help(const char *name, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("medflag %s\n", MF_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") != 0 &&
		    strcmp(argv[i], "-h") != 0)
			continue;
		for (size_t k = 0; k < sizeof(s_help) / sizeof(*s_help); k++)
			if (strcmp(s_help[k].name, name) == 0) {
				fputs(s_help[k].text, stdout);
				return 0;
			}
		s_usage(stdout);
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	mf_cli_t	 cli = { .prog = "medflag" };
	int		 i = 1, rc;

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
		if ((rc = s_sub_help(argv[i], argc - i, argv + i)) != -1)
			return rc;
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
