/*
 * client_config.c - what a subcommand that talks to the service needs
 * without ZeroMQ: the configuration it runs with and its Redis
 * connection. `medflag sources` and `medflag learn` use only these, so
 * they live apart from the client of client.c and the `medflag` command
 * links no libzmq.
 *
 * Not responsible for sockets, CURVE or the stop flag (client.c).
 * SPDX-License-Identifier: MIT
 */
#include <signal.h>
#include <stdio.h>

#include "client.h"
#include "store.h"

int
mf_client_config(const mf_cli_t *cli, mf_config_t *cfg)
{
	mf_diags_t	 diags = {0};
	const char	*path = cli->config ? cli->config :
			    mf_config_default_path();
	int		 errors = 0;

	signal(SIGPIPE, SIG_IGN);
	errors = mf_config_read(cfg, path, &diags);
	mf_cli_print_diags(stderr, &diags);
	mf_diags_free(&diags);
	if (errors) {
		fprintf(stderr, "%s: %s: %d error%s in the configuration\n",
		    cli->prog, path, errors, errors == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

struct mf_store *
mf_client_store(const mf_config_t *cfg, char *why, size_t cap)
{
	return mf_store_connect(cfg, cfg->redis_timeout_ms > 1000 ?
	    cfg->redis_timeout_ms : 2000, why, cap);
}
