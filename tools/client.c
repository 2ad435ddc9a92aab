/*
 * client.c - the connection side of the service subcommands: the
 * configuration they run with, the ZeroMQ context, sockets with CURVE
 * when it is on, the stop flag of SIGINT/SIGTERM and the Redis
 * connection of a command.
 *
 * Not responsible for what goes over a socket: the check client and
 * verdicts are checker.c's, control requests ctl.c's.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "client.h"
#include "curve.h"
#include "store.h"

/* The configuration of the running command, for CURVE keys: read when
 * the first socket is made (-1 before, then 0 off or 1 on). */
static const mf_config_t	*s_cfg;
static int			 s_curve = -1;
static char			 s_server_pub[MF_CURVE_Z85 + 1];
static char			 s_secret[MF_CURVE_Z85 + 1];

volatile int	 mf_client_stop;
static void	*s_ctx;

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
	s_cfg = cfg;
	s_curve = -1;
	return 0;
}

void *
mf_client_ctx(void)
{
	if (s_ctx == NULL && (s_ctx = zmq_ctx_new()) == NULL)
		fprintf(stderr, "medflag: zmq_ctx_new: %s\n",
		    zmq_strerror(errno));
	return s_ctx;
}

void
mf_client_term(void)
{
	if (s_ctx != NULL)
		zmq_ctx_term(s_ctx);
	s_ctx = NULL;
}

void *
mf_client_socket(int type, const char *endpoint)
{
	void	*ctx = mf_client_ctx(), *sock;
	int	 zero = 0;

	if (ctx == NULL)
		return NULL;
	if (s_curve < 0 && s_cfg != NULL) {
		mf_diags_t	d = {0};

		s_curve = mf_curve_client_keys(s_cfg, s_server_pub, s_secret,
		    &d);
		mf_cli_print_diags(stderr, &d);
		mf_diags_free(&d);
		if (s_curve < 0)
			return NULL;
	}
	if ((sock = zmq_socket(ctx, type)) == NULL) {
		fprintf(stderr, "medflag: zmq_socket: %s\n",
		    zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	if (s_curve > 0 && mf_curve_client(sock, s_server_pub, s_secret) !=
	    0) {
		fprintf(stderr, "medflag: CURVE: %s\n", zmq_strerror(errno));
		zmq_close(sock);
		return NULL;
	}
	if (zmq_connect(sock, endpoint) == -1) {
		fprintf(stderr, "medflag: %s: %s\n  hint: an endpoint looks "
		    "like tcp://127.0.0.1:7702 or ipc:///run/medflag/check\n",
		    endpoint, zmq_strerror(errno));
		zmq_close(sock);
		return NULL;
	}
	return sock;
}

static void
s_on_signal(int sig)
{
	(void)sig;
	mf_client_stop = 1;
}

void
mf_client_catch_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_signal;	/* no SA_RESTART: zmq_poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct mf_store *
mf_client_store(const mf_config_t *cfg, char *why, size_t cap)
{
	return mf_store_connect(cfg, cfg->redis_timeout_ms > 1000 ?
	    cfg->redis_timeout_ms : 2000, why, cap);
}
