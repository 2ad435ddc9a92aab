/*
 * config_test.c - selftests of medflag.conf's reader (config.c): the
 * table's defaults, one directive set from text, and a file read with
 * every error of it at once, paths made absolute against its folder and
 * where each value came from.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

/* Writes 'text' as DIR/medflag.conf in a fresh temp folder 'dir'. */
static void
s_write(char *dir, char *path, size_t cap, const char *text)
{
	FILE	*fp;

	MF_ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(path, cap, "%s/medflag.conf", dir);
	MF_ASSERT_NOT_NULL(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

MF_TEST(config_defaults_follow_the_table)
{
	mf_config_t			 c;
	const mf_config_directive_t	*t;
	size_t				 n;

	mf_config_defaults(&c);
	MF_ASSERT_NOT_NULL(t = mf_config_directives(&n));
	MF_ASSERT(n > 10);
	for (size_t i = 0; i < n; i++) {
		MF_ASSERT_NOT_NULL(t[i].name);
		MF_ASSERT_NOT_NULL(t[i].help);
	}
	MF_ASSERT_STR_EQ("tcp://127.0.0.1:7701", c.ingest);
	MF_ASSERT(c.workers >= 1);	/* "ncpu" */
	MF_ASSERT_EQ(0, c.nfiles);
}

MF_TEST(config_set_checks_bounds_and_names)
{
	mf_config_t	c;
	mf_err_t	err;

	mf_config_defaults(&c);
	MF_ASSERT_EQ(0, mf_config_set(&c, "workers", "3", &err));
	MF_ASSERT_EQ(3, c.workers);
	MF_ASSERT_EQ(-1, mf_config_set(&c, "workers", "100000", &err));
	MF_ASSERT_EQ(3, c.workers);
	MF_ASSERT_EQ(-1, mf_config_set(&c, "workers", "three", &err));
	MF_ASSERT_EQ(-1, mf_config_set(&c, "wokers", "3", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "unknown directive 'wokers'");
}

MF_TEST(config_file_reports_every_error_with_its_place)
{
	char		 dir[] = "/tmp/mfconfXXXXXX", path[256], want[300];
	mf_config_t	 c;
	mf_diags_t	 d = {0};

	s_write(dir, path, sizeof(path), "# medflag.conf\n"
	    "workers = 2   # two\n"
	    "wokers 3\n"
	    "journal_max \"500\"\n"
	    "workers\n"
	    "rules my-rules\n");
	mf_config_defaults(&c);
	MF_ASSERT_EQ(2, mf_config_load(&c, path, &d));
	MF_ASSERT_EQ(2, d.n);
	snprintf(want, sizeof(want), "%s:3:1", path);
	MF_ASSERT_STR_EQ(want, d.v[0].where);
	MF_ASSERT_STR_EQ("did you mean 'workers'? see docs/operations.md",
	    d.v[0].hint);
	snprintf(want, sizeof(want), "%s:5:8", path);
	MF_ASSERT_STR_EQ(want, d.v[1].where);
	MF_ASSERT_STR_CONTAINS(d.v[1].msg, "workers: missing value");
	/* The good lines took effect, quotes and all. */
	MF_ASSERT_EQ(2, c.workers);
	MF_ASSERT_EQ(500, c.journal_max);
	/* A relative path is relative to the file's folder. */
	snprintf(want, sizeof(want), "%s/my-rules", dir);
	MF_ASSERT_STR_EQ(want, c.rules);
	MF_ASSERT_EQ(1, c.nfiles);
	MF_ASSERT_STR_EQ(path, c.path);
	mf_diags_free(&d);
	unlink(path);
	rmdir(dir);
}

MF_TEST(config_missing_file_is_one_error)
{
	mf_config_t	c;
	mf_diags_t	d = {0};

	mf_config_defaults(&c);
	MF_ASSERT_EQ(1, mf_config_load(&c, "/nonexistent/medflag.conf", &d));
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "cannot open");
	MF_ASSERT_EQ(0, c.nfiles);
	mf_diags_free(&d);
}
