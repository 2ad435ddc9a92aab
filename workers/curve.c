/*
 * curve.c - CURVE keys, socket options and the ZAP handler (curve.h).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "curve.h"
#include "proto.h"

static const char *const s_roles[MF_NROLES] = { "producers", "subscribers",
    "operators", "workers" };

const char *
mf_curve_role_name(int role)
{
	return role >= 0 && role < MF_NROLES ? s_roles[role] : NULL;
}

/* The key on 'line' (leading and trailing blanks dropped) if it is one:
 * 40 characters that decode as Z85, then perhaps blanks and a '#'
 * comment. Returns 1 and fills 'bin' and 'z85'
 * (each may be NULL); 0 for a blank line or a comment (a line starting
 * with '#' that is not a key: Z85 has '#' too, but no blank, and
 * comments have words); -1 for anything else. 'col' receives the column
 * of the first character. */
static int
s_key_line(const char *line, uint8_t *bin, char *z85, size_t *col)
{
	size_t	a = strspn(line, " \t"), n = strlen(line);
	char	k[MF_CURVE_Z85 + 1];
	uint8_t	b[32];

	*col = a + 1;
	while (n > a && strchr(" \t\r\n", line[n - 1]) != NULL)
		n--;
	if (n == a)
		return 0;
	/* A key may be followed by blanks and a comment naming it. */
	if (n - a > MF_CURVE_Z85 && strchr(" \t", line[a + MF_CURVE_Z85]) &&
	    line[a + MF_CURVE_Z85 + strspn(line + a + MF_CURVE_Z85, " \t")] ==
	    '#')
		n = a + MF_CURVE_Z85;
	if (n - a == MF_CURVE_Z85) {
		memcpy(k, line + a, MF_CURVE_Z85);
		k[MF_CURVE_Z85] = '\0';
		if (zmq_z85_decode(b, k) != NULL) {
			if (bin != NULL)
				memcpy(bin, b, 32);
			if (z85 != NULL)
				memcpy(z85, k, MF_CURVE_Z85 + 1);
			return 1;
		}
	}
	return line[a] == '#' ? 0 : -1;
}

int
mf_curve_read_secret(const char *path, char *z85, mf_diags_t *d)
{
	FILE	*fp = fopen(path, "r");
	char	 line[512];
	size_t	 lineno = 0, col;
	int	 r;

	if (fp == NULL) {
		mf_diags_add(d, MF_DIAG_ERROR, path, 0, 0, "write one with "
		    "`medflag keygen NAME` and name NAME.key", "cannot read "
		    "the key file: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((r = s_key_line(line, NULL, z85, &col)) == 0)
			continue;
		fclose(fp);
		if (r < 0) {
			mf_diags_add(d, MF_DIAG_ERROR, path, lineno, col,
			    "the file holds one secret key, 40 Z85 "
			    "characters, as `medflag keygen` writes it",
			    "not a CURVE key");
			return -1;
		}
		return 0;
	}
	fclose(fp);
	mf_diags_add(d, MF_DIAG_ERROR, path, 0, 0, "write one with `medflag "
	    "keygen NAME`", "no key in the file");
	return -1;
}

int
mf_curve_public(const char *secret, char *pub)
{
	return zmq_curve_public(pub, secret) == 0 ? 0 : -1;
}

int
mf_curve_server(void *sock, const char *secret, int role)
{
	int	one = 1;
	const char *dom = mf_curve_role_name(role);

	if (dom == NULL || zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, dom,
	    strlen(dom)) != 0 || zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one,
	    sizeof(one)) != 0 || zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY,
	    secret, MF_CURVE_Z85) != 0)
		return -1;
	return 0;
}

int
mf_curve_client(void *sock, const char *server_pub, const char *secret)
{
	char	pub[MF_CURVE_Z85 + 1];

	if (mf_curve_public(secret, pub) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub,
	    MF_CURVE_Z85) != 0 || zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY,
	    pub, MF_CURVE_Z85) != 0 || zmq_setsockopt(sock,
	    ZMQ_CURVE_SECRETKEY, secret, MF_CURVE_Z85) != 0)
		return -1;
	return 0;
}

int
mf_curve_allow_load(mf_curve_allow_t *a, const char *dir,
    const char *self_secret, mf_diags_t *d)
{
	char	self_pub[MF_CURVE_Z85 + 1];
	int	rc = 0;

	memset(a, 0, sizeof(*a));
	if (mf_curve_public(self_secret, self_pub) != 0 ||
	    zmq_z85_decode(a->self, self_pub) == NULL)
		return -1;
	for (int r = 0; dir != NULL && dir[0] != '\0' && r < MF_NROLES; r++) {
		char	 path[1200], line[512];
		size_t	 lineno = 0, col, cap = 0;
		FILE	*fp;

		snprintf(path, sizeof(path), "%s/%s.keys", dir, s_roles[r]);
		if ((fp = fopen(path, "r")) == NULL)
			continue;	/* no one of this role but medflagd */
		while (fgets(line, sizeof(line), fp) != NULL) {
			uint8_t	 k[32];
			int	 x;

			lineno++;
			if ((x = s_key_line(line, k, NULL, &col)) == 0)
				continue;
			if (x < 0) {
				mf_diags_add(d, MF_DIAG_ERROR, path, lineno,
				    col, "one public key per line, 40 Z85 "
				    "characters, as in the NAME.pub file of "
				    "`medflag keygen`", "not a CURVE public "
				    "key");
				rc = -1;
				continue;
			}
			if (a->n[r] == cap) {
				void	*v;

				cap = cap ? cap * 2 : 16;
				if ((v = realloc(a->keys[r], cap * 32)) ==
				    NULL) {
					fclose(fp);
					mf_curve_allow_free(a);
					return -1;
				}
				a->keys[r] = v;
			}
			memcpy(a->keys[r][a->n[r]++], k, 32);
		}
		fclose(fp);
	}
	return rc;
}

void
mf_curve_allow_free(mf_curve_allow_t *a)
{
	for (int r = 0; r < MF_NROLES; r++) {
		free(a->keys[r]);
		a->keys[r] = NULL;
		a->n[r] = 0;
	}
}

void *
mf_curve_zap_socket(void *ctx)
{
	void	*s = zmq_socket(ctx, ZMQ_REP);
	int	 zero = 0;

	if (s == NULL)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_bind(s, "inproc://zeromq.zap.01") != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

/* Whether 'key' may connect to 'domain'. */
static int
s_allowed(const mf_curve_allow_t *a, const char *domain, size_t dlen,
    const uint8_t *key)
{
	if (memcmp(key, a->self, 32) == 0)
		return 1;
	for (int r = 0; r < MF_NROLES; r++) {
		if (strlen(s_roles[r]) != dlen ||
		    memcmp(s_roles[r], domain, dlen) != 0)
			continue;
		for (size_t i = 0; i < a->n[r]; i++)
			if (memcmp(a->keys[r][i], key, 32) == 0)
				return 1;
	}
	return 0;
}

size_t
mf_curve_zap_answer(void *zap, const mf_curve_allow_t *a)
{
	size_t		refused = 0;
	mf_frames_t	f;

	/* Request: version, request id, domain, address, identity,
	 * mechanism, credentials (CURVE: the client's public key). */
	while (mf_frames_recv(zap, &f, ZMQ_DONTWAIT) == 0) {
		int		 ok = f.n >= 7 && mf_frames_is(&f, 5, "CURVE") &&
		    f.len[6] == 32 && s_allowed(a, f.data[2], f.len[2],
		    f.data[6]);
		/* Reply: version, request id, status, text, user id,
		 * metadata. */
		const void	*d[6] = { "1.0", f.n > 1 ? f.data[1] : "",
		    ok ? "200" : "400", ok ? "OK" : "key not allowed", "", "" };
		size_t		 l[6] = { 3, f.n > 1 ? f.len[1] : 0, 3,
		    ok ? 2 : 15, 0, 0 };

		refused += !ok;
		(void)mf_frames_send(zap, 6, d, l, 0);
		mf_frames_free(&f);
	}
	return refused;
}

int
mf_curve_client_keys(const mf_config_t *cfg, char *server_pub, char *secret,
    mf_diags_t *d)
{
	const char	*own = cfg->curve_client_key[0] ? cfg->curve_client_key :
	    cfg->curve_secret_key;
	uint8_t		 b[32];

	if (cfg->curve_server_key[0] == '\0' && cfg->curve_secret_key[0] ==
	    '\0')
		return 0;
	if (own[0] == '\0') {
		mf_diags_add(d, MF_DIAG_ERROR, cfg->path, 0, 0, "write a key "
		    "pair with `medflag keygen NAME` and set curve_client_key "
		    "NAME.key (its NAME.pub goes on medflagd's allow list)",
		    "curve_server_key is set but this client has no secret "
		    "key");
		return -1;
	}
	if (mf_curve_read_secret(own, secret, d) != 0)
		return -1;
	if (cfg->curve_server_key[0] != '\0') {
		if (strlen(cfg->curve_server_key) != MF_CURVE_Z85 ||
		    zmq_z85_decode(b, cfg->curve_server_key) == NULL) {
			mf_diags_add(d, MF_DIAG_ERROR, cfg->path, 0, 0,
			    "give the 40 characters of medflagd's NAME.pub, "
			    "in double quotes if it starts with '=' or '#'",
			    "curve_server_key is not a CURVE public key");
			return -1;
		}
		memcpy(server_pub, cfg->curve_server_key, MF_CURVE_Z85 + 1);
		return 1;
	}
	/* medflagd's public key from its secret key file: the one just read
	 * when this client uses it too. */
	if (own != cfg->curve_secret_key) {
		char	srv[MF_CURVE_Z85 + 1];

		if (mf_curve_read_secret(cfg->curve_secret_key, srv, d) != 0 ||
		    mf_curve_public(srv, server_pub) != 0)
			return -1;
	} else if (mf_curve_public(secret, server_pub) != 0)
		return -1;
	return 1;
}
