/*
 * confline.h - the line syntax both configuration files share
 * (medflag.conf, read by workers/config.c, and the rules' policy.conf,
 * read by ruleset.c), and the table-driven reader over it.
 *
 * One directive per line: a name, white space or '=' (or both), then the
 * value, optionally in double quotes. '#' at the start of a line or after
 * white space starts a comment (so a value may hold '#', as a URL does);
 * blank lines are skipped. A line longer than MF_CONFLINE_MAX bytes is an
 * error at the column where it goes over, never cut silently.
 *
 * Not responsible for what a value means: each reader's table names its
 * directives, and its apply function checks and stores the value.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CONFLINE_H
#define MF_CONFLINE_H

#include <stddef.h>

#include "err.h"

/* The most bytes of a line, without its newline. */
#define MF_CONFLINE_MAX	4094

/* One directive line, split. The strings point into the reader's copy of
 * the line and are valid during the apply call only. */
typedef struct mf_confline {
	const char	*path;		/* the file, for diagnostics */
	size_t		 lineno;	/* from 1 */
	char		*key;
	size_t		 key_col;	/* from 1 */
	char		*value;		/* "" when there is none */
	size_t		 value_col;
} mf_confline_t;

/* A reader's table: 'n' entries of 'size' bytes at 'table', each starting
 * with its name (a const char *), and what to do with a line that names
 * one. */
typedef struct mf_confline_spec {
	const void	*table;
	size_t		 n, size;
	const char	*noun;		/* "key": "unknown key 'x'" */
	const char	*doc;		/* where they are listed */
	const char	*unknown_hint;	/* when no name is close */
	/* Checks and stores the value of 'line' for 'entry' (in 'table');
	 * reports each problem in 'diags' (which may be NULL). */
	void		(*apply)(void *ctx, const void *entry,
			    const mf_confline_t *line, mf_diags_t *diags);
} mf_confline_spec_t;

/*
 * Splits one line (no newline; modified in place) into 'out'. Returns 1
 * for a directive, 0 for a blank or comment line.
 */
int		 mf_confline_split(char *line, mf_confline_t *out);

/*
 * Reads 'len' bytes of 'text' (the file 'path') line by line: each
 * directive goes to spec->apply with its table entry; an unknown name or
 * a line that is too long, or holds a NUL byte, is an error in 'diags'
 * (may be NULL) with "did you mean" when a known name is close. Returns
 * the number of errors found.
 */
int		 mf_confline_parse(const mf_confline_spec_t *spec,
		    const char *path, const char *text, size_t len, void *ctx,
		    mf_diags_t *diags);

/*
 * The whole file 'path' (at most 1 MiB), NUL-terminated, its length in
 * '*len'; NULL with an error in 'diags' ("cannot open: ...", with 'hint')
 * when it cannot be read. OWNS: caller; free with mf_free().
 */
char		*mf_confline_read(const char *path, size_t *len,
		    const char *hint, mf_diags_t *diags);

/* A name of 'spec' at most two edits from 'name', for "did you mean"
 * hints, or NULL. BORROWS: the table's string. */
const char	*mf_confline_suggest(const mf_confline_spec_t *spec,
		    const char *name);

#endif
