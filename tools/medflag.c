/*
 * medflag.c - the `medflag` command: global options, then a subcommand.
 * Offline subcommands (scan, explain, rules) need no service.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>

#include "cli.h"

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

/*
 * Each subcommand with its line of `medflag help` and what `medflag
 * SUBCOMMAND --help` prints (NULL: the list of all). The help is
 * answered before the subcommand runs, so that no subcommand reads
 * "--help" as an argument (a directory, a text, a domain) or connects
 * anywhere first.
 */
static const mf_cli_cmd_t s_cmds[] = {
	{ "scan", mf_cmd_scan, "scan [--rules DIR]            JSON Lines posts "
	    "on stdin -> verdicts on stdout",
	  "usage: medflag scan [--rules DIR] [--table] [--jobs N] "
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
	{ "explain", mf_cmd_explain, "explain [--rules DIR] [--json] "
	    "[--normalized] [--format F] TEXT|-\n"
	    "                                  one post: matches, score, "
	    "evidence",
	  "usage: medflag explain [--rules DIR] [--json] "
	    "[--normalized] [--quotes] [--format F] TEXT|-\n"
	    "One post, offline: the matched words, the score and the "
	    "evidence.\n"
	    "  --rules DIR   rules directory (default: 'rules' of the "
	    "configuration)\n"
	    "  --json        the verdict as JSON\n"
	    "  --normalized  also show the normalized text\n"
	    "  --quotes      match quoted text too\n"
	    "  --format F    text, markdown, bbcode, html or wikitext\n" },
	{ "rules", mf_cmd_rules, "rules check [DIR] | test RULEFILE TEXT|- | "
	    "eval [--rules DIR] FILE.jsonl\n"
	    "                                  | backtest [--rules DIR] NEW_DIR "
	    "FILE.jsonl",
	  "usage: medflag rules check [DIR]\n"
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
	{ "learn", mf_cmd_learn, "learn train [--rules DIR] [--out FILE] "
	    "CORPUS.jsonl... | eval | status\n"
	    "                                  the model beside the rules: "
	    "train, measure, what it was taught",
	    NULL },
	{ "config", mf_cmd_config, "config                        the "
	    "configuration in effect, and where each value comes from",
	  "usage: medflag config\n"
	    "The configuration in effect: every key, its value and where it "
	    "comes from\n(the default, the configuration file or local.d/, "
	    "with the line), then the\nrules: their hash, the rules local.d/ "
	    "adds and the overrides it makes.\n" },
	{ "push", mf_cmd_push, "push [--async] [--window N]   JSON Lines "
	    "posts on stdin -> medflagd",
	  "usage: medflag push [--async] [--window N] "
	    "[--timeout MS] < posts.jsonl\n"
	    "JSON Lines posts to medflagd; one verdict per line on stdout.\n"
	    "  --async      fire-and-forget to the ingest endpoint (no "
	    "verdicts)\n"
	    "  --window N   posts in flight at once (256)\n"
	    "  --timeout MS resend a post without a verdict after MS (5000)\n"
	    "Exit status: 0 every post got a verdict; 1 a line was not a "
	    "post, or posts got none.\n" },
	{ "check", mf_cmd_check, "check TEXT|-                 one post "
	    "through medflagd",
	  "usage: medflag check [--json] [--format F] "
	    "[--timeout MS] TEXT|-\n"
	    "One post through medflagd, the verdict printed.\n"
	    "  --json       the verdict as JSON\n"
	    "  --format F   text, markdown, bbcode, html or wikitext\n"
	    "  --timeout MS give up after MS (30000)\n"
	    "Exit status (as spamc -c): 0 action none; 1 annotate, flag, "
	    "hold or block;\n"
	    "2 an error verdict, no verdict, or a usage or configuration "
	    "error.\n" },
	{ "tail", mf_cmd_tail, "tail [--action a,b] [--json] [--since SEQ]  "
	    "live verdicts",
	  "usage: medflag tail [--action a,b] [--json] [--since SEQ] "
	    "[--count N]\n"
	    "Live verdicts from medflagd; --since replays the journal from "
	    "SEQ first.\n"
	    "  actions: none, annotate, flag, hold, block\n" },
	{ "stats", mf_cmd_stats, "stats [--json|--prometheus] counters of "
	    "medflagd",
	  "usage: medflag stats [--json | --prometheus]\n"
	    "medflagd's counters, workers and rule set "
	    "(docs/operations.md).\n" },
	{ "top", mf_cmd_top, "top [-d SECONDS] [-n COUNT]   live rates, "
	    "latency, queue, workers",
	  "usage: medflag top [-d SECONDS] [-n COUNT]\n"
	    "Live rates, latency, queue and workers, every SECONDS (2).\n" },
	{ "reload", mf_cmd_reload, "reload                        recompile "
	    "rules in medflagd",
	  "usage: medflag reload [--json]\n"
	    "Has medflagd compile and test the rules and switch the workers "
	    "to them.\n" },
	{ "sources", mf_cmd_sources, "sources load|add|remove|list|lookup    "
	    "source lists in Redis",
	  "usage: medflag sources load [DIR]\n"
	    "       medflag sources add DOMAIN --vetted|--unreliable\n"
	    "       medflag sources remove DOMAIN\n"
	    "       medflag sources list [--vetted|--unreliable]\n"
	    "       medflag sources lookup URL|DOMAIN\n"
	    "The vetted and unreliable source lists in Redis; DIR defaults "
	    "to RULES/sources.\n" },
	{ "feedback", mf_cmd_feedback, "feedback POST_ID agreed|overturned "
	    "RULE... | - | --summary\n"
	    "                                  moderators' outcomes, per-rule "
	    "precision",
	  "usage: medflag feedback POST_ID agreed|overturned "
	    "RULE... [--revision N] [--by NAME]\n"
	    "       medflag feedback -          (JSON Lines on stdin)\n"
	    "       medflag feedback --summary\n"
	    "Moderators' outcomes, and precision per rule.\n" },
	{ "http", mf_cmd_http, "http [--listen HOST:PORT]       HTTP gateway: "
	    "/v1/check, /v1/feedback, /metrics",
	  "usage: medflag http [--listen HOST:PORT] [--timeout MS]\n"
	    "HTTP gateway: POST /v1/check, POST /v1/feedback, GET /metrics, "
	    "GET /healthz\n(127.0.0.1:7780, 10000 ms).\n" },
	{ "discourse", mf_cmd_discourse, "discourse [--listen HOST:PORT]  "
	    "Discourse adapter: webhook in, flags out",
	  "usage: medflag discourse [--listen HOST:PORT] "
	    "[--timeout MS]\n"
	    "Discourse adapter: webhook in, flags that say why out "
	    "(docs/adapters.md).\n" },
	{ "mediawiki", mf_cmd_mediawiki, "mediawiki [--once]            "
	    "MediaWiki adapter: recent changes in, tags out",
	    NULL },
	{ "keygen", mf_cmd_keygen, "keygen NAME                   CURVE key "
	    "pair: NAME.key, NAME.pub",
	  "usage: medflag keygen NAME\n"
	    "A CURVE key pair: NAME.key (secret, 0600) and NAME.pub.\n" },
};

int
main(int argc, char **argv)
{
	return mf_cli_main("medflag", s_cmds, sizeof(s_cmds) / sizeof(*s_cmds),
	    argc, argv);
}
