/*
 * keygen.c - `medflag keygen NAME`: a CURVE key pair for medflagd, a
 * worker host, a producer, a subscriber or an operator (curve.h).
 *
 * Writes NAME.key (the secret key, mode 0600, never overwritten) and
 * NAME.pub (the public key) and prints the public key. medflagd's secret
 * key file goes to curve_secret_key; a client's to curve_client_key, and
 * its NAME.pub on a line of the allow list of its role in curve_allow.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "cli.h"

/* Writes 'text' to a new file 'path' with 'mode'; -1 if it exists. */
static int
s_write_new(const char *path, int mode, const char *text)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t	n = strlen(text);

	if (fd < 0) {
		fprintf(stderr, "medflag keygen: %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ? "; not overwritten "
		    "(remove it first, or choose another name)" : "");
		return -1;
	}
	if (write(fd, text, n) != (ssize_t)n || close(fd) != 0) {
		fprintf(stderr, "medflag keygen: %s: %s\n", path,
		    strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
mf_cmd_keygen(int argc, char **argv, const mf_cli_t *cli)
{
	char		 pub[41], sec[41], path[1024], text[512], when[32];
	time_t		 now = time(NULL);
	int		 tries = 0, rc;

	(void)cli;
	if (argc != 2 || argv[1][0] == '-' || argv[1][0] == '\0' ||
	    strlen(argv[1]) > 1000) {
		fprintf(stderr, "usage: medflag keygen NAME   (writes NAME.key "
		    "and NAME.pub)\n");
		return 2;
	}
	/* Z85 has '=' and '#', which separate a value and open a comment
	 * in medflag.conf: a key that starts with one would have to be
	 * quoted there, so such a pair is drawn again (about 1 in 50; a
	 * key's first character is never '#' in practice). */
	while ((rc = zmq_curve_keypair(pub, sec)) == 0 && tries++ < 100 &&
	    (strchr("#=", pub[0]) != NULL || strchr("#=", sec[0]) != NULL))
		;
	if (rc != 0) {
		fprintf(stderr, "medflag keygen: %s\n  hint: this libzmq has "
		    "no CURVE (built without libsodium)\n",
		    zmq_strerror(errno));
		return 1;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%MZ", gmtime(&now));
	snprintf(path, sizeof(path), "%s.key", argv[1]);
	snprintf(text, sizeof(text), "# medflag CURVE secret key, %s, "
	    "written %s; keep it private\n# public key: %s\n%s\n", argv[1],
	    when, pub, sec);
	if (s_write_new(path, 0600, text) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s.pub", argv[1]);
	snprintf(text, sizeof(text), "# medflag CURVE public key, %s, "
	    "written %s\n%s\n", argv[1], when, pub);
	if (s_write_new(path, 0644, text) != 0)
		return 1;
	printf("%s\n", pub);
	fprintf(stderr, "medflag keygen: wrote %s.key (secret, 0600) and "
	    "%s.pub\n", argv[1], argv[1]);
	return 0;
}
