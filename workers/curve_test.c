/*
 * curve_test.c - key files and allow lists: Z85 keys that hold '#',
 * comments after a key, bad lines located, medflagd's own key allowed.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "curve.h"
#include "harness.h"

/* A key pair whose public key has a '#' (Z85 has it), when one comes up
 * in a few hundred tries; else any. */
static void
s_pair(char *pub, char *sec, int want_hash)
{
	for (int i = 0; i < 2000; i++) {
		MF_ASSERT_EQ(0, zmq_curve_keypair(pub, sec));
		if (!want_hash || (pub[0] == '#' && strchr(pub + 1, '#')))
			return;
	}
	for (int i = 0; i < 2000; i++) {
		MF_ASSERT_EQ(0, zmq_curve_keypair(pub, sec));
		if (strchr(pub, '#') != NULL)
			return;
	}
}

static void
s_write(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	MF_ASSERT_NOT_NULL(fp);
	fputs(text, fp);
	fclose(fp);
}

MF_TEST(curve_key_files_and_allow_lists)
{
	char		 dir[] = "/tmp/mfcurveXXXXXX", path[256], text[512];
	char		 spub[41], ssec[41], apub[41], asec[41], bpub[41];
	char		 bsec[41], got[41];
	mf_curve_allow_t a;
	mf_diags_t	 d = {0};

	MF_ASSERT_NOT_NULL(mkdtemp(dir));
	s_pair(spub, ssec, 0);
	s_pair(apub, asec, 1);		/* a '#' inside, maybe first */
	s_pair(bpub, bsec, 0);
	(void)asec;
	(void)bsec;

	/* A secret key file as keygen writes it. */
	snprintf(path, sizeof(path), "%s/s.key", dir);
	snprintf(text, sizeof(text), "# medflag CURVE secret key, s\n"
	    "# public key: %s\n%s\n", spub, ssec);
	s_write(path, text);
	MF_ASSERT_EQ(0, mf_curve_read_secret(path, got, &d));
	MF_ASSERT_STR_EQ(ssec, got);
	MF_ASSERT_EQ(0, mf_curve_public(got, text));
	MF_ASSERT_STR_EQ(spub, text);

	/* Lists: a comment after a key, blank and comment lines. */
	snprintf(path, sizeof(path), "%s/producers.keys", dir);
	snprintf(text, sizeof(text), "# producers\n\n  %s   # forum A\n",
	    apub);
	s_write(path, text);
	snprintf(path, sizeof(path), "%s/operators.keys", dir);
	snprintf(text, sizeof(text), "%s\n", bpub);
	s_write(path, text);
	MF_ASSERT_EQ(0, mf_curve_allow_load(&a, dir, ssec, &d));
	MF_ASSERT_EQ(0, d.n);
	MF_ASSERT_EQ(1, a.n[MF_ROLE_PRODUCERS]);
	MF_ASSERT_EQ(1, a.n[MF_ROLE_OPERATORS]);
	MF_ASSERT_EQ(0, a.n[MF_ROLE_WORKERS]);	/* no file: no one */
	{
		uint8_t	k[32];

		MF_ASSERT_NOT_NULL(zmq_z85_decode(k, apub));
		MF_ASSERT_EQ(0, memcmp(k, a.keys[MF_ROLE_PRODUCERS][0], 32));
	}
	mf_curve_allow_free(&a);

	/* A bad line is located; the good ones still load. */
	snprintf(path, sizeof(path), "%s/workers.keys", dir);
	snprintf(text, sizeof(text), "%s\nnot-a-key\n%.39s\n", bpub, bpub);
	s_write(path, text);
	MF_ASSERT_EQ(-1, mf_curve_allow_load(&a, dir, ssec, &d));
	MF_ASSERT_EQ(2, d.errors);
	snprintf(text, sizeof(text), "%s/workers.keys:2:1", dir);
	MF_ASSERT_STR_EQ(text, d.v[0].where);
	snprintf(text, sizeof(text), "%s/workers.keys:3:1", dir);
	MF_ASSERT_STR_EQ(text, d.v[1].where);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "not a CURVE public key");
	mf_curve_allow_free(&a);
	mf_diags_free(&d);

	/* A key file with no key, and none at all. */
	snprintf(path, sizeof(path), "%s/empty.key", dir);
	s_write(path, "# nothing\n");
	MF_ASSERT_EQ(-1, mf_curve_read_secret(path, got, &d));
	MF_ASSERT_EQ(-1, mf_curve_read_secret("/nonexistent/x.key", got, &d));
	MF_ASSERT_EQ(2, d.errors);
	mf_diags_free(&d);

	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	MF_ASSERT_EQ(0, system(text));
}
