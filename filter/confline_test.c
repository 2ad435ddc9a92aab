/*
 * confline_test.c - the configuration line syntax: comments, quotes,
 * separators, blank and long lines, unknown names with a suggestion, and
 * that every problem of a text is reported in one pass.
 * SPDX-License-Identifier: MIT
 */
#include "confline.h"
#include "harness.h"

typedef struct s_dir {
	const char	*name;
	int		 seen;
} s_dir_t;

typedef struct s_got {
	char	value[64];
	size_t	lineno, value_col;
	int	calls;
} s_got_t;

static void
s_apply(void *ctx, const void *entry, const mf_confline_t *l,
    mf_diags_t *diags)
{
	s_got_t		*g = ctx;
	const s_dir_t	*d = entry;

	(void)diags;
	MF_ASSERT_STR_EQ(d->name, l->key);
	snprintf(g->value, sizeof(g->value), "%s", l->value);
	g->lineno = l->lineno;
	g->value_col = l->value_col;
	g->calls++;
}

static const s_dir_t		s_dirs[] = {
	{ "workers", 0 }, { "log", 0 }
};
static const mf_confline_spec_t	s_spec = {
	s_dirs, 2, sizeof(s_dirs[0]), "key", "docs/operations.md",
	"known keys are listed in docs/operations.md", s_apply
};

/* mf_confline_parse() of the 'len' bytes of 'text' as t.conf. */
static int
s_parse(const char *text, size_t len, s_got_t *g, mf_diags_t *d)
{
	return mf_confline_parse(&s_spec, "t.conf", text, len, g, d);
}

/* The value 'line' gives its key; "" for a blank or comment line. */
static const char *
s_value(const char *line, char *buf, size_t cap)
{
	mf_confline_t	l;
	char		copy[256];

	snprintf(copy, sizeof(copy), "%s", line);
	if (!mf_confline_split(copy, &l))
		return "";
	snprintf(buf, cap, "%s=%s", l.key, l.value);
	return buf;
}

MF_TEST(confline_split_comments_quotes_separators)
{
	char	b[256];

	MF_ASSERT_STR_EQ("", s_value("", b, sizeof(b)));
	MF_ASSERT_STR_EQ("", s_value("   \t ", b, sizeof(b)));
	MF_ASSERT_STR_EQ("", s_value("# workers 3", b, sizeof(b)));
	MF_ASSERT_STR_EQ("", s_value("   # indented", b, sizeof(b)));
	MF_ASSERT_STR_EQ("workers=3", s_value("workers 3", b, sizeof(b)));
	MF_ASSERT_STR_EQ("workers=3", s_value("  workers\t3 \r", b,
	    sizeof(b)));
	MF_ASSERT_STR_EQ("workers=3", s_value("workers=3", b, sizeof(b)));
	MF_ASSERT_STR_EQ("workers=3", s_value("workers = 3", b, sizeof(b)));
	MF_ASSERT_STR_EQ("workers=3", s_value("workers 3 # three", b,
	    sizeof(b)));
	/* '#' inside a value is kept: only one after white space opens a
	 * comment. */
	MF_ASSERT_STR_EQ("ingest=tcp://h:1#x", s_value("ingest tcp://h:1#x",
	    b, sizeof(b)));
	MF_ASSERT_STR_EQ("log=a b", s_value("log \"a b\"", b, sizeof(b)));
	MF_ASSERT_STR_EQ("log=", s_value("log \"\"", b, sizeof(b)));
	MF_ASSERT_STR_EQ("log=\"a", s_value("log \"a", b, sizeof(b)));
	MF_ASSERT_STR_EQ("log=", s_value("log", b, sizeof(b)));
	/* A value that starts with '=' or '#' (a CURVE key may) keeps it
	 * in double quotes. */
	MF_ASSERT_STR_EQ("k==ab#c", s_value("k \"=ab#c\"", b, sizeof(b)));
	MF_ASSERT_STR_EQ("k=#abc", s_value("k \"#abc\"", b, sizeof(b)));
}

MF_TEST(confline_columns)
{
	mf_confline_t	l;
	char		line[] = "  flag   5";

	MF_ASSERT_EQ(1, mf_confline_split(line, &l));
	MF_ASSERT_EQ(3, l.key_col);
	MF_ASSERT_EQ(10, l.value_col);
}

MF_TEST(confline_parse_reports_every_problem)
{
	static const char	text[] = "workers 3\nwokers 2\n\n# x\n"
	    "timeout_ms 1\nlog \"debug\"";
	s_got_t			 g = {0};
	mf_diags_t		 d = {0};

	MF_ASSERT_EQ(2, s_parse(text, sizeof(text) - 1, &g, &d));
	MF_ASSERT_EQ(2, g.calls);
	MF_ASSERT_STR_EQ("debug", g.value);
	MF_ASSERT_EQ(6, g.lineno);
	MF_ASSERT_EQ(2, d.n);
	MF_ASSERT_STR_EQ("t.conf:2:1", d.v[0].where);
	MF_ASSERT_STR_EQ("unknown key 'wokers'", d.v[0].msg);
	MF_ASSERT_STR_EQ("did you mean 'workers'? see docs/operations.md",
	    d.v[0].hint);
	MF_ASSERT_STR_EQ("t.conf:5:1", d.v[1].where);
	MF_ASSERT_STR_EQ("known keys are listed in docs/operations.md",
	    d.v[1].hint);
	mf_diags_free(&d);
	/* Without diagnostics the errors are still counted. */
	MF_ASSERT_EQ(2, s_parse(text, sizeof(text) - 1, &g, NULL));
}

MF_TEST(confline_long_line_is_an_error_not_cut)
{
	static char	text[MF_CONFLINE_MAX + 64];
	s_got_t		g = {0};
	mf_diags_t	d = {0};
	size_t		n;

	/* Exactly the limit is read. */
	memset(text, ' ', sizeof(text));
	memcpy(text, "log ", 4);
	memcpy(text + MF_CONFLINE_MAX - 1, "x\nlog ", 6);
	n = MF_CONFLINE_MAX + 5;
	memset(text + n, 'y', MF_CONFLINE_MAX + 64 - n);
	MF_ASSERT_EQ(0, s_parse(text, MF_CONFLINE_MAX + 1, &g, &d));
	MF_ASSERT_EQ(1, g.calls);
	MF_ASSERT_STR_EQ("x", g.value);
	/* One byte more is an error where it goes over, and nothing of
	 * the line is applied, not even its start. */
	text[MF_CONFLINE_MAX] = 'z';
	g.calls = 0;
	MF_ASSERT_EQ(1, s_parse(text, MF_CONFLINE_MAX + 1, &g, &d));
	MF_ASSERT_EQ(0, g.calls);
	MF_ASSERT_STR_EQ("t.conf:1:4095", d.v[0].where);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "line is longer than 4094 bytes");
	mf_diags_free(&d);
}

MF_TEST(confline_nul_byte_is_an_error)
{
	static const char	text[] = "log a\0b\nworkers 2\n";
	s_got_t			 g = {0};
	mf_diags_t		 d = {0};

	MF_ASSERT_EQ(1, s_parse(text, sizeof(text) - 1, &g, &d));
	MF_ASSERT_EQ(1, g.calls);
	MF_ASSERT_STR_EQ("2", g.value);
	MF_ASSERT_STR_EQ("t.conf:1:6", d.v[0].where);
	mf_diags_free(&d);
}

MF_TEST(confline_suggest)
{
	MF_ASSERT_STR_EQ("workers", mf_confline_suggest(&s_spec, "worker"));
	MF_ASSERT_STR_EQ("log", mf_confline_suggest(&s_spec, "lo"));
	MF_ASSERT_NULL(mf_confline_suggest(&s_spec, "timeout_ms"));
}
