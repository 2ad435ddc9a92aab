/*
 * gateway.c - `medflag-gateway`: the HTTP gateway and the forum adapters,
 * the servers with threads of medflag, in a program of their own so that
 * the `medflag` command links none of libmicrohttpd, libcurl and
 * libsodium. `medflag http ...` (and each subcommand here) runs this
 * program with the same arguments (tools/medflag.c); what they print
 * still says `medflag http`, the spelling the documentation uses.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>

#include "cli.h"

static const mf_cli_cmd_t s_cmds[] = {
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
	  "usage: medflag mediawiki [--once] [--timeout MS]\n"
	    "MediaWiki adapter: recent changes in, change tags that say why "
	    "out\n(docs/adapters.md); --once reads what is new, tags and "
	    "exits.\n" },
};

int
main(int argc, char **argv)
{
	return mf_cli_main("medflag-gateway", s_cmds,
	    sizeof(s_cmds) / sizeof(*s_cmds), argc, argv);
}
