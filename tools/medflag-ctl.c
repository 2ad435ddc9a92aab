/*
 * medflag-ctl.c - `medflag-ctl`: the subcommands of `medflag` that talk
 * to medflagd over ZeroMQ (push, check, tail, stats, top, reload,
 * feedback, keygen), in a program of their own so that the `medflag`
 * command links no libzmq, and so no libsodium (Debian's libzmq links
 * it for CURVE): `medflag explain`, `scan` and `rules` need neither.
 * `medflag stats ARGS` (and each subcommand here) runs this program
 * with the same arguments (tools/medflag.c), once it has answered
 * --help and --version itself; what the subcommands print still says
 * `medflag stats`, the spelling the documentation uses.
 *
 * Not responsible for the subcommands' help: `medflag SUBCOMMAND
 * --help` is answered by medflag, from its table, before this program
 * runs; here --help lists the subcommands.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>

#include "cli.h"

/* Weak so that a build without one still links and says so. */
#pragma weak mf_cmd_push
#pragma weak mf_cmd_check
#pragma weak mf_cmd_tail
#pragma weak mf_cmd_stats
#pragma weak mf_cmd_top
#pragma weak mf_cmd_reload
#pragma weak mf_cmd_feedback
#pragma weak mf_cmd_keygen

/* Their lines of `medflag help` (tools/medflag.c has them too). */
static const mf_cli_cmd_t s_cmds[] = {
	{ "push", mf_cmd_push, "push [--async] [--window N]   JSON Lines "
	    "posts on stdin -> medflagd", NULL },
	{ "check", mf_cmd_check, "check TEXT|-                 one post "
	    "through medflagd", NULL },
	{ "tail", mf_cmd_tail, "tail [--action a,b] [--json] [--since SEQ]  "
	    "live verdicts", NULL },
	{ "stats", mf_cmd_stats, "stats [--json|--prometheus] counters of "
	    "medflagd", NULL },
	{ "top", mf_cmd_top, "top [-d SECONDS] [-n COUNT]   live rates, "
	    "latency, queue, workers", NULL },
	{ "reload", mf_cmd_reload, "reload                        recompile "
	    "rules in medflagd", NULL },
	{ "feedback", mf_cmd_feedback, "feedback POST_ID agreed|overturned "
	    "RULE... | - | --summary\n"
	    "                                  moderators' outcomes, per-rule "
	    "precision", NULL },
	{ "keygen", mf_cmd_keygen, "keygen NAME                   CURVE key "
	    "pair: NAME.key, NAME.pub", NULL },
};

int
main(int argc, char **argv)
{
	return mf_cli_main("medflag-ctl", s_cmds,
	    sizeof(s_cmds) / sizeof(*s_cmds), argc, argv);
}
