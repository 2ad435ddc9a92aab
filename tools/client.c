/*
 * client.c - the connection side of the service subcommands: the client
 * (mf_client_t: the ZeroMQ context, sockets with CURVE when it is on)
 * and the stop flag of SIGINT/SIGTERM.
 *
 * Not responsible for what goes over a socket: the check client and
 * verdicts are checker.c's, control requests ctl.c's; nor for the
 * configuration and the Redis connection of a command (client_config.c),
 * which need no ZeroMQ.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "client.h"
#include "curve.h"

/* The one process-wide variable: a signal handler can reach nothing
 * else. */
volatile int	 mf_client_stop;

int
mf_client_init(mf_client_t *self, const mf_config_t *cfg)
{
	assert(self && cfg);
	memset(self, 0, sizeof(*self));
	self->cfg = cfg;
	self->curve = -1;
	if ((errno = pthread_mutex_init(&self->mu, NULL)) != 0) {
		fprintf(stderr, "medflag: pthread_mutex_init: %s\n",
		    strerror(errno));
		return -1;
	}
	self->live = 1;
	return 0;
}

void
mf_client_term(mf_client_t *self)
{
	if (self == NULL || !self->live)
		return;
	if (self->zctx != NULL)
		zmq_ctx_term(self->zctx);
	self->zctx = NULL;
	pthread_mutex_destroy(&self->mu);
	self->live = 0;
}

/* Makes what the first socket needs, once: the context and the keys.
 * 0 or -1 (said on stderr). Called with self->mu held. */
static int
s_first_use(mf_client_t *self)
{
	mf_diags_t	d = {0};

	if (self->zctx == NULL && (self->zctx = zmq_ctx_new()) == NULL) {
		fprintf(stderr, "medflag: zmq_ctx_new: %s\n",
		    zmq_strerror(errno));
		return -1;
	}
	if (self->curve < 0) {
		self->curve = mf_curve_client_keys(self->cfg,
		    self->server_pub, self->secret, &d);
		mf_cli_print_diags(stderr, &d);
		mf_diags_free(&d);
		if (self->curve < 0)
			return -1;
	}
	return 0;
}

void *
mf_client_socket(mf_client_t *self, int type, const char *endpoint)
{
	void	*sock;
	int	 zero = 0, rc;

	assert(self && self->live && endpoint);
	pthread_mutex_lock(&self->mu);
	rc = s_first_use(self);
	pthread_mutex_unlock(&self->mu);
	if (rc == -1)
		return NULL;
	if ((sock = zmq_socket(self->zctx, type)) == NULL) {
		fprintf(stderr, "medflag: zmq_socket: %s\n",
		    zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	if (self->curve > 0 && mf_curve_client(sock, self->server_pub,
	    self->secret) != 0) {
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
