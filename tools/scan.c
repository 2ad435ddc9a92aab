/*
 * scan.c - `medflag scan`: JSON Lines posts on stdin, one verdict as JSON
 * per line on stdout, in order. A line that is not a post still gets an
 * error verdict (with its line number), never a crash or a gap.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An error verdict for a line that did not decode. */
static mf_verdict_t *
s_bad_line(const char *line, size_t len, size_t lineno, const mf_err_t *err)
{
	char		 id[256];
	mf_verdict_t	*v;

	v = mf_verdict_new(mf_wire_peek_post_id_json(line, len, id,
	    sizeof(id)) == 0 ? id : NULL);
	if (v)
		mf_verdict_set_error(v, MF_STATUS_ERROR, "line %zu: %s",
		    lineno, err->msg);
	return v;
}

/* A line over MF_WIRE_MAX_MSG: the error verdict medflagd would give. */
static mf_verdict_t *
s_too_big(const char *line, size_t len)
{
	char	id[256];

	return mf_cli_too_big(mf_wire_peek_post_id_json(line, len, id,
	    sizeof(id)) == 0 ? id : NULL);
}

int
mf_cmd_scan(int argc, char **argv, const mf_cli_t *cli)
{
	const char	*dir = NULL;
	mf_ruleset_t	*rs;
	mf_sources_t	*src = NULL;
	mf_scanner_t	*sc;
	mf_buf_t	 out = {0};
	char		*line = NULL;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 n;
	int		 rc = 0, table = 0;

	(void)cli;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--table") == 0)
			table = 1;
		else {
			fprintf(stderr, "usage: medflag scan [--rules DIR] "
			    "[--table] < posts.jsonl\n");
			return 2;
		}
	}
	if (dir == NULL)
		dir = mf_cli_rules_dir();
	if ((rs = mf_cli_load_rules(dir, &src, MF_CLI_QUIET)) == NULL)
		return 1;
	if ((sc = mf_scanner_new(NULL)) == NULL)
		return 1;
	if (table)
		mf_cli_table_head(stdout);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		mf_err_t	 err = {0};
		mf_post_t	*post = NULL;
		mf_verdict_t	*v = NULL;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((size_t)n > MF_WIRE_MAX_MSG)
			v = s_too_big(line, (size_t)n);
		else if ((post = mf_wire_decode_post_json(line, (size_t)n,
		    &err)) == NULL)
			v = s_bad_line(line, (size_t)n, lineno, &err);
		else if (mf_cli_post_too_big(post) != 0)
			v = mf_cli_too_big(post->post_id);
		else if (mf_scan(sc, rs, src, post, 0, &v, &err) == -1)
			v = NULL;
		mf_post_destroy(&post);
		mf_buf_reset(&out);
		if (table && v) {
			mf_cli_table_row(stdout, v);
			mf_verdict_destroy(&v);
			continue;
		}
		if (v == NULL || mf_wire_encode_verdict_json(v, &out, &err) ==
		    -1) {
			fprintf(stderr, "medflag scan: line %zu: %s\n", lineno,
			    err.msg[0] ? err.msg : "out of memory");
			mf_verdict_destroy(&v);
			rc = 1;
			break;
		}
		fwrite(out.data, 1, out.len, stdout);
		fputc('\n', stdout);
		mf_verdict_destroy(&v);
	}
	free(line);
	mf_buf_free(&out);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	return fflush(stdout) == 0 ? rc : 1;
}
