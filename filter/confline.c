/*
 * confline.c - the table-driven reader of configuration lines that
 * medflag.conf and policy.conf share: comments, quotes, blank and long
 * lines treated one way, every problem of a file reported in one pass
 * with file:line:col. What a value means is the apply function's.
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "confline.h"

#define S_FILE_MAX	(1u << 20)	/* a configuration file, at most */

int
mf_confline_split(char *line, mf_confline_t *out)
{
	char	*k, *v, *e;

	/* Comments: '#' at the start or after white space. */
	for (e = line; *e; e++)
		if (*e == '#' && (e == line || isspace((unsigned char)e[-1]))) {
			*e = '\0';
			break;
		}
	e = line + strlen(line);
	while (e > line && isspace((unsigned char)e[-1]))
		*--e = '\0';
	for (k = line; isspace((unsigned char)*k); k++)
		;
	if (*k == '\0')
		return 0;
	for (v = k; *v && !isspace((unsigned char)*v) && *v != '='; v++)
		;
	if (*v != '\0')
		*v++ = '\0';
	while (isspace((unsigned char)*v) || *v == '=')
		v++;
	out->key = k;
	out->key_col = (size_t)(k - line) + 1;
	out->value_col = (size_t)(v - line) + 1;
	/* Optional double quotes around the value. */
	if (v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
		v[strlen(v) - 1] = '\0';
		v++;
	}
	out->value = v;
	return 1;
}

/* Edit distance of two short names (capped at 32 characters). */
static size_t
s_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t	diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t	up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The name of entry 'i' of the table. */
static const char *
s_name(const mf_confline_spec_t *spec, size_t i)
{
	return *(const char *const *)(const void *)((const char *)spec->table +
	    i * spec->size);
}

const char *
mf_confline_suggest(const mf_confline_spec_t *spec, const char *name)
{
	for (size_t i = 0; i < spec->n; i++)
		if (s_distance(name, s_name(spec, i)) <= 2)
			return s_name(spec, i);
	return NULL;
}

static void
s_line(const mf_confline_spec_t *spec, char *buf, mf_confline_t *l,
    void *ctx, mf_diags_t *diags)
{
	const char	*s;
	char		 h[256];

	if (!mf_confline_split(buf, l))
		return;
	for (size_t i = 0; i < spec->n; i++)
		if (strcmp(s_name(spec, i), l->key) == 0) {
			spec->apply(ctx, (const char *)spec->table +
			    i * spec->size, l, diags);
			return;
		}
	if ((s = mf_confline_suggest(spec, l->key)) != NULL)
		snprintf(h, sizeof(h), "did you mean '%s'? see %s", s,
		    spec->doc);
	else
		snprintf(h, sizeof(h), "%s", spec->unknown_hint);
	mf_diags_add(diags, MF_DIAG_ERROR, l->path, l->lineno, l->key_col, h,
	    "unknown %s '%s'", spec->noun, l->key);
}

int
mf_confline_parse(const mf_confline_spec_t *spec, const char *path,
    const char *text, size_t len, void *ctx, mf_diags_t *diags)
{
	mf_diags_t	 local = {0};
	mf_confline_t	 l = { .path = path };
	char		 buf[MF_CONFLINE_MAX + 1];
	size_t		 errors0, at = 0;

	if (diags == NULL)
		diags = &local;	/* count only */
	errors0 = diags->errors;
	while (at < len) {
		const char	*nl = memchr(text + at, '\n', len - at);
		size_t		 n = nl ? (size_t)(nl - text) - at : len - at;

		l.lineno++;
		if (n > MF_CONFLINE_MAX)
			mf_diags_add(diags, MF_DIAG_ERROR, path, l.lineno,
			    MF_CONFLINE_MAX + 1, "shorten it; nothing of it "
			    "was read", "line is longer than %d bytes",
			    MF_CONFLINE_MAX);
		else if (memchr(text + at, '\0', n) != NULL)
			mf_diags_add(diags, MF_DIAG_ERROR, path, l.lineno,
			    (size_t)((const char *)memchr(text + at, '\0', n) -
			    (text + at)) + 1, "a configuration file is text",
			    "NUL byte in the line");
		else {
			memcpy(buf, text + at, n);
			buf[n] = '\0';
			s_line(spec, buf, &l, ctx, diags);
		}
		at += n + 1;
	}
	errors0 = diags->errors - errors0;
	mf_diags_free(&local);
	return (int)errors0;
}

char *
mf_confline_read(const char *path, size_t *len, const char *hint,
    mf_diags_t *diags)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 n = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, hint,
		    "cannot open: %s", strerror(errno));
		return NULL;
	}
	/* One byte more than allowed tells a file that is too big. */
	if ((buf = mf_malloc(S_FILE_MAX + 2)) == NULL)
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, NULL,
		    "out of memory");
	else if ((n = fread(buf, 1, S_FILE_MAX + 1, fp)) > S_FILE_MAX) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, "a "
		    "configuration file is a few KiB", "larger than 1 MiB");
		mf_free(buf);
		buf = NULL;
	} else if (ferror(fp)) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, NULL,
		    "read error: %s", strerror(errno));
		mf_free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	fclose(fp);
	return buf;
}
