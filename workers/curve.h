/*
 * curve.h - ZeroMQ CURVE for medflag: key files, the server and client
 * socket options, and the ZAP handler that lets in only the keys of a
 * role's allow list.
 *
 * Keys are Z85 text (40 characters), as `medflag keygen` writes them: a
 * secret key file holds one line with the secret key ('#' lines are
 * comments); an allow list holds public keys, one per line. medflagd's
 * endpoints carry a ZAP domain naming their role: "producers" (ingest,
 * check), "subscribers" (verdicts), "operators" (control), "workers"
 * (backend); a client's key must be on that role's list, or be
 * medflagd's own (local tools and workers may use its key file).
 * Not responsible for where the keys live (config.c) nor for which
 * socket is which (medflagd.c, worker.c, tools/client.c).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CURVE_H
#define MF_CURVE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

#define MF_CURVE_Z85	40	/* characters of a key in Z85 */

enum { MF_ROLE_PRODUCERS, MF_ROLE_SUBSCRIBERS, MF_ROLE_OPERATORS,
	MF_ROLE_WORKERS, MF_NROLES };

/* "producers", ... ; NULL past the last. */
const char	*mf_curve_role_name(int role);

/* Reads the secret key of file 'path' into 'z85' (41 bytes). Problems go
 * to 'd' as "path:line:col". 0 or -1. */
int		 mf_curve_read_secret(const char *path, char *z85,
		    mf_diags_t *d);
/* The public key of a secret one (both Z85, 41 bytes). 0 or -1. */
int		 mf_curve_public(const char *secret, char *pub);

/* Makes 'sock' a CURVE server with 'secret' whose ZAP domain is the name
 * of 'role' (before bind). 0 or -1. */
int		 mf_curve_server(void *sock, const char *secret, int role);
/* Makes 'sock' a CURVE client of the server with public key
 * 'server_pub', with its own secret key 'secret' (before connect). */
int		 mf_curve_client(void *sock, const char *server_pub,
		    const char *secret);

/* The client side of 'cfg': 1 with medflagd's public key in 'server_pub'
 * and the client's secret key in 'secret' (41 bytes each) when CURVE is
 * configured (curve_server_key or curve_secret_key set), 0 when it is
 * not, -1 with the problem in 'd' when a key cannot be had. */
int		 mf_curve_client_keys(const mf_config_t *cfg,
		    char *server_pub, char *secret, mf_diags_t *d);

/* The allow lists: public keys per role, binary. */
typedef struct mf_curve_allow {
	uint8_t		 self[32];	/* medflagd's own public key */
	uint8_t		(*keys[MF_NROLES])[32];
	size_t		 n[MF_NROLES];
} mf_curve_allow_t;

/* Loads DIR/<role>.keys for every role (a missing file is an empty
 * list); medflagd's own public key (of 'self_secret') is allowed
 * everywhere. Bad lines go to 'd' as "file:line:col" errors. 0, or -1 on
 * an error. */
int		 mf_curve_allow_load(mf_curve_allow_t *a, const char *dir,
		    const char *self_secret, mf_diags_t *d);
void		 mf_curve_allow_free(mf_curve_allow_t *a);

/* Binds the ZAP handler (a REP socket on inproc://zeromq.zap.01) in
 * 'ctx' before any CURVE server socket exists. NULL on failure. */
void		*mf_curve_zap_socket(void *ctx);
/* Answers the ZAP requests waiting on 'zap': 200 for a CURVE client
 * whose key is on the list of the request's domain, 400 otherwise.
 * Returns how many were refused. */
size_t		 mf_curve_zap_answer(void *zap, const mf_curve_allow_t *a);

#endif
