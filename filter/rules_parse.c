/*
 * rules_parse.c - the rule-file reader: `claim` and `rule` blocks, one
 * keyword per line, `#` comments. Reports every problem of a file as
 * file:line:col with a hint, in one pass.
 *
 * Not responsible for compiling patterns or linking rules to claims
 * (ruleset.c does both, after every file has been read).
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "normalize.h"
#include "ruleset_internal.h"

#define MF_MAX_PATTERNS	16	/* `match` or `unless` lines per rule */
#define MF_MAX_EXPECT	64

typedef struct s_parser {
	mf_ruleset_t	*rs;
	const char	*file;
	mf_diags_t	*diags;
	size_t		 line;
	const char	*lstart;	/* start of the current line */
	mf_claim_t	*claim;		/* open block, or NULL */
	mf_rule_t	*rule;
	mf_define_t	*lex;		/* open lexicon block, or NULL */
	int		 lex_bad;	/* its name was refused */
	mf_define_t	 lex_dummy;
	size_t		 block_line;
	int		 errors;
	int		 oom;
	int		 seen_score, seen_mode, seen_tier, seen_title;
	int		 block_errors;	/* errors when the block began */
	/* `every LANG unless PATTERN` lines of the file: 'every[i]' for the
	 * rules of language 'every_lang[i]'. */
	mf_pattern_t	*every;
	char		**every_lang;
	size_t		 nevery;
} s_parser_t;

static size_t
s_col(const s_parser_t *p, const char *at)
{
	return (size_t)(at - p->lstart) + 1;
}

#define S_ERR(p, at, hint, ...) do {					\
	mf_diags_add((p)->diags, MF_DIAG_ERROR, (p)->file, (p)->line,	\
	    s_col((p), (at)), (hint), __VA_ARGS__);			\
	(p)->errors++;							\
	} while (0)
#define S_WARN(p, at, hint, ...)					\
	mf_diags_add((p)->diags, MF_DIAG_WARNING, (p)->file, (p)->line,	\
	    s_col((p), (at)), (hint), __VA_ARGS__)

/*
 * Is the 'n' bytes at 'v' a language code, as a `lang` line needs: a
 * primary subtag of two or three letters ("en", "it", "fil") and
 * optional subtags ("pt-BR", "zh_Hant"), not one of the codes for no
 * language? Reports the error at 'v' when not.
 */
static int
s_lang_code(s_parser_t *p, const char *v, size_t n)
{
	size_t k = mf_lang_primary(v, n);

	while (k > 0 && k < n && (v[k] == '-' || v[k] == '_')) {
		size_t s = ++k;

		while (k < n && k - s < 8 && isalnum((unsigned char)v[k]))
			k++;
		if (k == s)
			break;
	}
	if (k > 0 && k == n)
		return 1;
	S_ERR(p, v, "write the language's code: en, fr, es, de, or a "
	    "forum's own (it, pt-BR)", "'%.*s' is not a language code",
	    (int)n, v);
	return 0;
}

void
mf__claim_free(mf_claim_t *c)
{
	if (c == NULL)
		return;
	mf_free(c->id);
	mf_free(c->title);
	mf_free(c->fact);
	for (size_t i = 0; i < c->nevidence; i++)
		mf_free(c->evidence[i]);
	mf_free(c->evidence);
	mf_free(c->category);
	mf_free(c->file);
	mf_free(c);
}

static void
s_patterns_free(mf_pattern_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mf_free(v[i].source);
		mf_free(v[i].flags);
		/* v[i].code is freed by ruleset.c, which owns PCRE2. */
	}
	mf_free(v);
}

void
mf__rule_free(mf_rule_t *r)
{
	if (r == NULL)
		return;
	mf_free(r->id);
	mf_free(r->claim_id);
	s_patterns_free(r->match, r->nmatch);
	s_patterns_free(r->unless, r->nunless);
	mf_free(r->lang);
	for (size_t i = 0; i < r->nexpect; i++)
		mf_free(r->expect[i].text);
	mf_free(r->expect);
	mf_free(r->file);
	mf_free(r);
}

/* An id: [a-z0-9] then [a-z0-9_-] with '.' allowed in rule ids. */
static int
s_valid_id(const char *s, size_t n, int dots)
{
	if (n == 0 || n > 128 || !(islower((unsigned char)s[0]) ||
	    isdigit((unsigned char)s[0])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '_' ||
		    (dots && c == '.')))
			return 0;
		if (c == '.' && (i + 1 == n || s[i + 1] == '.'))
			return 0;
	}
	return 1;
}

int
mf_rule_id_valid(const char *s, size_t n)
{
	return s_valid_id(s, n, 1);
}

/*
 * The value of a plain keyword: from 'p' to the end of the line, without a
 * comment (a '#' at the start or after whitespace) and trailing blanks.
 */
static size_t
s_plain_value(const char *p, const char *end)
{
	const char *q = p, *e;

	for (; q < end; q++)
		if (*q == '#' && (q == p || q[-1] == ' ' || q[-1] == '\t'))
			break;
	e = q;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return (size_t)(e - p);
}

/* Checks that only blanks or a comment follow 'q'. */
static int
s_rest_empty(const char *q, const char *end)
{
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	return q == end || *q == '#';
}

static int
s_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	if ((p = mf_realloc(*v, (*cap ? *cap * 2 : 4) * size)) == NULL)
		return -1;
	*v = p;
	*cap = *cap ? *cap * 2 : 4;
	return 0;
}

/* Parses "/regex/flags" at 'p'. */
static int
s_parse_pattern(s_parser_t *p, const char *at, const char *end,
    mf_pattern_t *out)
{
	const char	*q, *f, *dead;
	size_t		 n;

	memset(out, 0, sizeof(*out));
	if (at < end && *at == '@') {
		/* A named pattern: stands for /{{NAME}}/. */
		for (q = at + 1; q < end && (islower((unsigned char)*q) ||
		    isdigit((unsigned char)*q) || *q == '-' || *q == '_'); q++)
			;
		if (q == at + 1 || !s_rest_empty(q, end)) {
			S_ERR(p, at, "write @NAME with a name given by "
			    "'define NAME /pattern/'", "bad pattern reference");
			return -1;
		}
		n = (size_t)(q - at - 1);
		if ((out->source = mf_malloc(n + 5)) == NULL ||
		    (out->flags = mf_strdup("")) == NULL) {
			p->oom = 1;
			return -1;
		}
		snprintf(out->source, n + 5, "{{%.*s}}", (int)n, at + 1);
		out->line = p->line;
		out->col = s_col(p, at);
		return 0;
	}
	if (at >= end || *at != '/') {
		S_ERR(p, at, "write the pattern between slashes, like "
		    "/\\bvaccin\\w*/, or @NAME for a defined one",
		    "expected a /pattern/");
		return -1;
	}
	for (q = at + 1; q < end && *q != '/'; q++)
		if (*q == '\\' && q + 1 < end)
			q++;
	if (q >= end) {
		S_ERR(p, at, "end the pattern with '/'; write a slash inside "
		    "it as \\/", "unterminated pattern");
		return -1;
	}
	n = (size_t)(q - at - 1);
	if (n == 0) {
		S_ERR(p, at, "an empty pattern matches everything; write "
		    "the words it must find", "empty pattern");
		return -1;
	}
	if ((dead = mf_normalize_dead_symbol(at + 1, n)) != NULL)
		S_WARN(p, dead, "patterns run on normalized text, where an "
		    "emoji or symbol is a space (docs/normalization.md): "
		    "drop it, or write the word it stands for",
		    "this symbol never matches");
	for (f = q + 1; f < end && isalpha((unsigned char)*f); f++)
		if (strchr("xsm", *f) == NULL) {
			S_ERR(p, f, "allowed flags are x (extended), s (dot "
			    "matches newline), m (multiline); matching is "
			    "always case-insensitive", "unknown pattern flag "
			    "'%c'", *f);
			return -1;
		}
	if (!s_rest_empty(f, end)) {
		S_ERR(p, f, "put remarks after '#'", "unexpected text after "
		    "the pattern");
		return -1;
	}
	out->source = mf_strndup(at + 1, n);
	out->flags = mf_strndup(q + 1, (size_t)(f - q - 1));
	out->line = p->line;
	out->col = s_col(p, at + 1);
	if (out->source == NULL || out->flags == NULL) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

/* Parses a double-quoted string with \" \\ \n \t escapes. */
static char *
s_parse_quoted(s_parser_t *p, const char *at, const char *end)
{
	char		*out, *o;
	const char	*q;

	if (at >= end || *at != '"') {
		S_ERR(p, at, "quote the example text: expect match \"...\"",
		    "expected a quoted string");
		return NULL;
	}
	if ((out = o = mf_malloc((size_t)(end - at) + 1)) == NULL) {
		p->oom = 1;
		return NULL;
	}
	for (q = at + 1; q < end && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
			*o++ = *q == 'n' ? '\n' : *q == 't' ? '\t' : *q;
		} else
			*o++ = *q;
	}
	*o = '\0';
	if (q >= end) {
		S_ERR(p, at, "end the string with '\"'; write a quote inside "
		    "it as \\\"", "unterminated string");
		mf_free(out);
		return NULL;
	}
	if (!s_rest_empty(q + 1, end)) {
		S_ERR(p, q + 1, "put remarks after '#'", "unexpected text "
		    "after the string");
		mf_free(out);
		return NULL;
	}
	if (*out == '\0') {
		S_ERR(p, at, "give a real example post", "empty example");
		mf_free(out);
		return NULL;
	}
	return out;
}

static int
s_parse_number(const char *v, size_t n, double *out)
{
	char	 tmp[64], *e;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &e);
	return *e == '\0' ? 0 : -1;
}

static int
s_valid_date(const char *v, size_t n)
{
	int y, m, d;

	if (n != 10 || v[4] != '-' || v[7] != '-')
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
			return 0;
	y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
	return y >= 2000 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static void
s_end_claim(s_parser_t *p, const char *at)
{
	mf_claim_t *c = p->claim;

	/* A bad line inside the block already said what is wrong; "missing"
	 * errors on top of it would only repeat it. */
	if (p->errors > p->block_errors) {
		p->claim = NULL;
		return;
	}
	if (c->title == NULL)
		S_ERR(p, at, "add 'title <the myth in a few words>'",
		    "claim %s has no 'title' line", c->id);
	if (c->fact == NULL)
		S_ERR(p, at, "add 'fact <what the evidence says, in one or "
		    "two plain sentences>'", "claim %s has no 'fact' line",
		    c->id);
	if (c->nevidence == 0)
		S_ERR(p, at, "every claim cites a vetted source: add "
		    "'evidence https://...'; see docs/rules.md",
		    "claim %s has no 'evidence' line", c->id);
	if (!p->seen_tier)
		S_ERR(p, at, "add 'tier dangerous', 'tier harmful' or "
		    "'tier misleading'", "claim %s has no 'tier' line", c->id);
	p->claim = NULL;
}

static void
s_end_rule(s_parser_t *p, const char *at)
{
	mf_rule_t *r = p->rule;

	if (p->errors > p->block_errors) {
		p->rule = NULL;
		return;
	}
	if (!p->seen_score)
		S_ERR(p, at, "add 'score N' (misleading 5, harmful 6-7, "
		    "dangerous 9-10)", "rule %s has no 'score' line", r->id);
	if (r->nmatch == 0)
		S_ERR(p, at, "add at least one 'match /pattern/'",
		    "rule %s has no 'match' line", r->id);
	p->rule = NULL;
}

static void
s_begin(s_parser_t *p, int is_rule, const char *at, const char *v,
    size_t n)
{
	if (p->claim || p->rule) {
		S_ERR(p, at, "close the block with 'end' before starting "
		    "another", "'%s' inside the %s block begun on line %zu",
		    is_rule ? "rule" : "claim", p->claim ? "claim" : "rule",
		    p->block_line);
		if (p->claim)
			s_end_claim(p, at);
		else
			s_end_rule(p, at);
	}
	if (!s_valid_id(v, n, is_rule)) {
		S_ERR(p, v, is_rule ? "rule ids look like "
		    "'vaccines-autism.causal': lower case, digits, '-', "
		    "'.'" : "claim ids look like 'vaccines-autism': lower "
		    "case, digits and '-'", "invalid %s id '%.*s'",
		    is_rule ? "rule" : "claim", (int)n, v);
		v = "invalid";
		n = 7;
	}
	p->block_line = p->line;
	p->block_errors = p->errors;
	p->seen_score = p->seen_mode = p->seen_tier = p->seen_title = 0;
	if (is_rule) {
		mf_rule_t *r = mf_calloc(1, sizeof(*r));

		if (r == NULL || s_grow((void **)&p->rs->rules,
		    &p->rs->caprules, p->rs->nrules, sizeof(r)) == -1) {
			mf_free(r);
			p->oom = 1;
			return;
		}
		p->rs->rules[p->rs->nrules++] = r;
		r->id = mf_strndup(v, n);
		r->file = mf_strdup(p->file);
		r->line = p->line;
		if (memchr(v, '.', n)) {
			const char *dot = v + n;

			while (dot[-1] != '.')
				dot--;
			r->claim_id = mf_strndup(v, (size_t)(dot - 1 - v));
		}
		if (r->id == NULL || r->file == NULL)
			p->oom = 1;
		p->rule = r;
	} else {
		mf_claim_t	*c = mf_calloc(1, sizeof(*c));
		const char	*base = strrchr(p->file, '/');
		size_t		 bl;

		if (c == NULL || s_grow((void **)&p->rs->claims,
		    &p->rs->capclaims, p->rs->nclaims, sizeof(c)) == -1) {
			mf_free(c);
			p->oom = 1;
			return;
		}
		p->rs->claims[p->rs->nclaims++] = c;
		base = base ? base + 1 : p->file;
		bl = strlen(base);
		if (bl > 6 && strcmp(base + bl - 6, ".rules") == 0)
			bl -= 6;
		c->id = mf_strndup(v, n);
		c->file = mf_strdup(p->file);
		c->category = mf_strndup(base, bl);
		c->line = p->line;
		if (c->id == NULL || c->file == NULL || c->category == NULL)
			p->oom = 1;
		p->claim = c;
	}
}

/* Appends text to a repeatable text field, joined by a space. */
static int
s_append_text(char **field, const char *v, size_t n)
{
	size_t	 old = *field ? strlen(*field) : 0;
	char	*p = mf_realloc(*field, old + n + 2);

	if (p == NULL)
		return -1;
	if (old)
		p[old++] = ' ';
	memcpy(p + old, v, n);
	p[old + n] = '\0';
	*field = p;
	return 0;
}

static void
s_claim_kw(s_parser_t *p, const char *kw, size_t kwn, const char *at,
    const char *v, size_t n)
{
	mf_claim_t *c = p->claim;

#define KW(s) (kwn == sizeof(s) - 1 && memcmp(kw, s, kwn) == 0)
	if (n == 0) {
		S_ERR(p, at, "give the keyword a value", "'%.*s' needs a "
		    "value", (int)kwn, kw);
		return;
	}
	if (KW("title")) {
		if (p->seen_title++)
			S_ERR(p, at, "a claim has one title", "second "
			    "'title' in claim %s", c->id);
		else if ((c->title = mf_strndup(v, n)) == NULL)
			p->oom = 1;
	} else if (KW("fact")) {
		if (s_append_text(&c->fact, v, n) == -1)
			p->oom = 1;
	} else if (KW("evidence")) {
		char	**e;

		if (n < 8 || (strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "http://", 7) != 0) || memchr(v, ' ', n)) {
			S_ERR(p, v, "write one full link, like "
			    "https://www.who.int/...", "evidence must be an "
			    "http(s) link");
			return;
		}
		e = mf_realloc(c->evidence, (c->nevidence + 1) *
		    sizeof(*e));
		if (e == NULL || (e[c->nevidence] = mf_strndup(v, n)) ==
		    NULL) {
			if (e)
				c->evidence = e;
			p->oom = 1;
			return;
		}
		c->evidence = e;
		c->nevidence++;
	} else if (KW("tier")) {
		p->seen_tier = 1;
		if (n == 9 && memcmp(v, "dangerous", 9) == 0)
			c->tier = MF_TIER_DANGEROUS;
		else if (n == 7 && memcmp(v, "harmful", 7) == 0)
			c->tier = MF_TIER_HARMFUL;
		else if (n == 10 && memcmp(v, "misleading", 10) == 0)
			c->tier = MF_TIER_MISLEADING;
		else
			S_ERR(p, v, "use dangerous, harmful or misleading",
			    "unknown tier '%.*s'", (int)n, v);
	} else if (KW("category")) {
		if (!s_valid_id(v, n, 0))
			S_ERR(p, v, "categories are lower-case words like "
			    "'vaccines'", "invalid category '%.*s'", (int)n,
			    v);
		else {
			mf_free(c->category);
			if ((c->category = mf_strndup(v, n)) == NULL)
				p->oom = 1;
		}
	} else if (KW("review-by")) {
		if (!s_valid_date(v, n))
			S_ERR(p, v, "write the date as YYYY-MM-DD",
			    "invalid date '%.*s'", (int)n, v);
		else
			memcpy(c->review_by, v, 10);
	} else
		S_ERR(p, kw, "claim blocks take title, fact, evidence, "
		    "tier, category, review-by", "unknown keyword '%.*s' "
		    "in a claim", (int)kwn, kw);
}

/* `expect match|nomatch|question "text"`, appended to *vp ('question'
 * only where 'questions' is set: lexicons have no sentences). */
static void
s_expect(s_parser_t *p, const char *v, const char *end, int questions,
    mf_expect_t **vp, size_t *np)
{
	const char	*k = v, *q;
	mf_expect_t	 ex = {0}, *nv;

	for (q = k; q < end && islower((unsigned char)*q); q++)
		;
	if ((size_t)(q - k) == 5 && memcmp(k, "match", 5) == 0)
		ex.kind = MF_EXPECT_MATCH;
	else if ((size_t)(q - k) == 7 && memcmp(k, "nomatch", 7) == 0)
		ex.kind = MF_EXPECT_NOMATCH;
	else if (questions && (size_t)(q - k) == 8 &&
	    memcmp(k, "question", 8) == 0)
		ex.kind = MF_EXPECT_QUESTION;
	else {
		S_ERR(p, k, questions ? "write expect match \"...\", expect "
		    "nomatch \"...\" or expect question \"...\"" :
		    "a lexicon takes expect match \"...\" and expect "
		    "nomatch \"...\"", "unknown expectation '%.*s'",
		    (int)(q - k), k);
		return;
	}
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	ex.line = p->line;
	ex.col = s_col(p, k);
	if (*np == MF_MAX_EXPECT) {
		S_ERR(p, k, "keep the best examples", "more than %d expect "
		    "lines", MF_MAX_EXPECT);
		return;
	}
	if ((ex.text = s_parse_quoted(p, q, end)) == NULL)
		return;
	if ((nv = mf_realloc(*vp, (*np + 1) * sizeof(*nv))) == NULL) {
		mf_free(ex.text);
		p->oom = 1;
		return;
	}
	nv[(*np)++] = ex;
	*vp = nv;
}

static void
s_rule_kw(s_parser_t *p, const char *kw, size_t kwn, const char *at,
    const char *v, const char *end)
{
	mf_rule_t	*r = p->rule;
	size_t		 n = s_plain_value(v, end);

	if (n == 0) {
		S_ERR(p, at, "give the keyword a value", "'%.*s' needs a "
		    "value", (int)kwn, kw);
		return;
	}
	if (KW("match") || KW("unless")) {
		int		 is_match = KW("match");
		mf_pattern_t	**vp = is_match ? &r->match : &r->unless;
		size_t		*np = is_match ? &r->nmatch : &r->nunless;
		mf_pattern_t	 pat, *nv;

		if (*np == MF_MAX_PATTERNS) {
			S_ERR(p, kw, "split the rule in two", "more than %d "
			    "'%.*s' lines", MF_MAX_PATTERNS, (int)kwn, kw);
			return;
		}
		if (s_parse_pattern(p, v, end, &pat) == -1)
			return;
		if ((nv = mf_realloc(*vp, (*np + 1) * sizeof(*nv))) == NULL) {
			mf_free(pat.source);
			mf_free(pat.flags);
			p->oom = 1;
			return;
		}
		nv[(*np)++] = pat;
		*vp = nv;
	} else if (KW("claim")) {
		if (!s_valid_id(v, n, 0))
			S_ERR(p, v, "name a claim id defined by a 'claim' "
			    "block", "invalid claim id '%.*s'", (int)n, v);
		else {
			mf_free(r->claim_id);
			if ((r->claim_id = mf_strndup(v, n)) == NULL)
				p->oom = 1;
		}
	} else if (KW("score")) {
		p->seen_score = 1;
		if (s_parse_number(v, n, &r->score) == -1 || r->score < 0 ||
		    r->score > 100)
			S_ERR(p, v, "a score is a number from 0 to 100 "
			    "(misleading 5, harmful 6-7, dangerous 9-10)",
			    "invalid score '%.*s'", (int)n, v);
	} else if (KW("near")) {
		double d;

		if (n == 8 && memcmp(v, "sentence", 8) == 0)
			r->near_sentence = 1;
		else if (s_parse_number(v, n, &d) == -1 || d < 1 || d > 100000 ||
		    d != (double)(size_t)d)
			S_ERR(p, v, "'near N' takes a whole number of bytes, "
			    "like 80, or 'sentence'", "invalid distance '%.*s'", (int)n, v);
		else
			r->near = (size_t)d;
	} else if (KW("mode")) {
		if (p->seen_mode++)
			S_ERR(p, kw, "a rule has one mode", "second 'mode'");
		else if (n == 7 && memcmp(v, "enforce", 7) == 0)
			r->mode = MF_MODE_ENFORCE;
		else if (n == 6 && memcmp(v, "shadow", 6) == 0)
			r->mode = MF_MODE_SHADOW;
		else if (n == 3 && memcmp(v, "off", 3) == 0)
			r->mode = MF_MODE_OFF;
		else
			S_ERR(p, v, "use enforce, shadow or off",
			    "unknown mode '%.*s'", (int)n, v);
	} else if (KW("lang")) {
		mf_free(r->lang);
		r->lang = NULL;
		if (s_lang_code(p, v, n) && (r->lang = mf_strndup(v, n)) ==
		    NULL)
			p->oom = 1;
	} else if (KW("expect")) {
		s_expect(p, v, end, 1, &r->expect, &r->nexpect);
	} else
		S_ERR(p, kw, "rule blocks take claim, score, match, near, "
		    "unless, mode, lang, expect", "unknown keyword '%.*s' in "
		    "a rule", (int)kwn, kw);
#undef KW
}

/* A new named pattern called by the word at 'v' (a define or a lexicon),
 * its name checked and unique; '*rest' is set past the name. NULL after an
 * error. */
static mf_define_t *
s_define_new(s_parser_t *p, const char *kw, const char *v, const char *end,
    const char **rest)
{
	const char	*q = v;
	mf_define_t	*d;

	while (q < end && (islower((unsigned char)*q) ||
	    isdigit((unsigned char)*q) || *q == '-' || *q == '_'))
		q++;
	if (q == v || (q < end && *q != ' ' && *q != '\t' && *q != '\r' &&
	    *q != '#')) {
		S_ERR(p, v, "write the name with lower-case letters, digits, "
		    "'-' and '_'", "bad %s name", *kw == 'd' ? "define" :
		    "lexicon");
		return NULL;
	}
	for (size_t i = 0; i < p->rs->ndefines; i++)
		if (strlen(p->rs->defines[i].name) == (size_t)(q - v) &&
		    memcmp(p->rs->defines[i].name, v, (size_t)(q - v)) == 0) {
			S_ERR(p, v, "give it another name", "'%.*s' is "
			    "already defined at %s:%zu", (int)(q - v), v,
			    p->rs->defines[i].file, p->rs->defines[i].line);
			return NULL;
		}
	d = mf_realloc(p->rs->defines, (p->rs->ndefines + 1) * sizeof(*d));
	if (d == NULL) {
		p->oom = 1;
		return NULL;
	}
	p->rs->defines = d;
	d += p->rs->ndefines++;
	memset(d, 0, sizeof(*d));
	d->name = mf_strndup(v, (size_t)(q - v));
	d->file = mf_strdup(p->file);
	d->line = p->line;
	if (d->name == NULL || d->file == NULL)
		p->oom = 1;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	*rest = q;
	return d;
}

/* `define NAME /pattern/` at the top level. */
static void
s_define(s_parser_t *p, const char *kw, const char *v, const char *end)
{
	const char	*q;
	mf_pattern_t	 pat;
	mf_define_t	*d;

	if ((d = s_define_new(p, kw, v, end, &q)) == NULL)
		return;
	if (s_parse_pattern(p, q, end, &pat) == -1) {
		d->source = mf_strdup("");
		return;
	}
	if (pat.flags[0])
		S_ERR(p, kw, "a defined pattern takes its flags from the rule "
		    "that uses it", "flags on a define");
	mf_free(pat.flags);
	d->source = pat.source;
	d->col = pat.col;
}

/* `lexicon NAME` opens a block of `words /re/`, `lang` and `expect`. */
static void
s_lexicon(s_parser_t *p, const char *kw, const char *v, const char *end)
{
	const char	*q;
	mf_define_t	*d;

	p->block_line = p->line;
	p->block_errors = p->errors;
	if ((d = s_define_new(p, kw, v, end, &q)) == NULL) {
		p->lex = &p->lex_dummy;	/* read to 'end' anyway */
		p->lex_bad = 1;
		return;
	}
	if (!s_rest_empty(q, end))
		S_ERR(p, q, "put the words on 'words /.../' lines",
		    "unexpected text after the lexicon name");
	d->lexicon = 1;
	d->col = 1;
	if ((d->source = mf_strdup("")) == NULL)
		p->oom = 1;
	p->lex = d;
	p->lex_bad = 0;
}

static void
s_lexicon_kw(s_parser_t *p, const char *kw, size_t kwn, const char *v,
    const char *end)
{
	mf_define_t	*d = p->lex;
	size_t		 n = s_plain_value(v, end);

	if (p->lex_bad)
		return;
	if (kwn == 5 && memcmp(kw, "words", 5) == 0) {
		mf_pattern_t	 pat;
		mf_buf_t	 b = {0};

		if (s_parse_pattern(p, v, end, &pat) == -1)
			return;
		if (pat.flags[0])
			S_ERR(p, kw, "a lexicon takes its flags from the rule "
			    "that uses it", "flags on lexicon words");
		if (mf_buf_printf(&b, "%s%s%s", d->source, d->source[0] ?
		    "|" : "", pat.source) == -1)
			p->oom = 1;
		else {
			mf_free(d->source);
			d->source = b.data;
		}
		mf_free(pat.source);
		mf_free(pat.flags);
	} else if (kwn == 4 && memcmp(kw, "lang", 4) == 0) {
		mf_free(d->lang);
		d->lang = NULL;
		if (s_lang_code(p, v, n) && (d->lang = mf_strndup(v, n)) ==
		    NULL)
			p->oom = 1;
	} else if (kwn == 6 && memcmp(kw, "expect", 6) == 0)
		s_expect(p, v, end, 0, &d->expect, &d->nexpect);
	else
		S_ERR(p, kw, "lexicon blocks take words, lang, expect",
		    "unknown keyword '%.*s' in a lexicon", (int)kwn, kw);
}

static void
s_end_lexicon(s_parser_t *p, const char *at)
{
	if (!p->lex_bad && p->errors == p->block_errors &&
	    p->lex->source[0] == '\0')
		S_ERR(p, at, "add 'words /word|other word/'", "lexicon %s "
		    "has no 'words' line", p->lex->name);
	p->lex = NULL;
}

/* The length of the word at 'w': up to a blank, '#' or the line's end. */
static size_t
s_word(const char *w, const char *end)
{
	size_t	n = 0;

	while (w + n < end && w[n] != ' ' && w[n] != '\t' && w[n] != '\r' &&
	    w[n] != '#')
		n++;
	return n;
}

/* 'w' moved past blanks. */
static const char *
s_skip_blanks(const char *w, const char *end)
{
	while (w < end && (*w == ' ' || *w == '\t'))
		w++;
	return w;
}

/*
 * `override RULE score N`, `override RULE mode enforce|shadow|off` or
 * `override RULE off`, at the top level: kept for ruleset.c, which
 * applies it once every file is read and refuses an unknown RULE.
 */
static void
s_override(s_parser_t *p, const char *kw, const char *v, const char *end)
{
	mf_override_t	 o = {0};
	const char	*what, *val;
	size_t		 n = s_word(v, end), wn, vn;

	if (n == 0 || !s_valid_id(v, n, 1)) {
		S_ERR(p, n ? v : kw, "write 'override RULE score N', "
		    "'override RULE mode enforce|shadow|off' or 'override "
		    "RULE off'", "override needs a rule id");
		return;
	}
	what = s_skip_blanks(v + n, end);
	wn = s_word(what, end);
	val = s_skip_blanks(what + wn, end);
	vn = s_plain_value(val, end);
	if (wn == 3 && memcmp(what, "off", 3) == 0 && vn == 0) {
		o.mode = MF_MODE_OFF;
	} else if (wn == 5 && memcmp(what, "score", 5) == 0 && vn) {
		o.sets_score = 1;
		if (s_parse_number(val, vn, &o.score) == -1 || o.score < 0 ||
		    o.score > 100) {
			S_ERR(p, val, "a score is a number from 0 to 100",
			    "invalid score '%.*s'", (int)vn, val);
			return;
		}
	} else if (wn == 4 && memcmp(what, "mode", 4) == 0 && vn) {
		if (vn == 7 && memcmp(val, "enforce", 7) == 0)
			o.mode = MF_MODE_ENFORCE;
		else if (vn == 6 && memcmp(val, "shadow", 6) == 0)
			o.mode = MF_MODE_SHADOW;
		else if (vn == 3 && memcmp(val, "off", 3) == 0)
			o.mode = MF_MODE_OFF;
		else {
			S_ERR(p, val, "use enforce, shadow or off",
			    "unknown mode '%.*s'", (int)vn, val);
			return;
		}
	} else {
		S_ERR(p, wn ? what : kw, "write 'override RULE score N', "
		    "'override RULE mode enforce|shadow|off' or 'override "
		    "RULE off'", "override %.*s: what to change?", (int)n, v);
		return;
	}
	if (s_grow((void **)&p->rs->overrides, &p->rs->capoverrides,
	    p->rs->noverrides, sizeof(o)) == -1 ||
	    (o.rule = mf_strndup(v, n)) == NULL ||
	    (o.file = mf_strdup(p->file)) == NULL) {
		mf_free(o.rule);
		p->oom = 1;
		return;
	}
	o.line = p->line;
	p->rs->overrides[p->rs->noverrides++] = o;
}

/*
 * `every LANG unless PATTERN`, at the top level: every rule of the file
 * written for LANG (`lang LANG`) carries PATTERN as an `unless` of its
 * own, after those it has (s_every_apply()). A language's stance cues
 * ("..., says my uncle.", "..., I'm sure.") are one line, not one line in
 * each of its hundreds of rules.
 */
static void
s_every(s_parser_t *p, const char *kw, const char *v, const char *end)
{
	const char	*q = v, *u;
	mf_pattern_t	 pat, *nv;
	char		**nl, *lang;

	while (q < end && islower((unsigned char)*q))
		q++;
	for (u = q; u < end && (*u == ' ' || *u == '\t'); u++)
		;
	if (q == v || u == q || end - u < 6 || memcmp(u, "unless", 6) != 0 ||
	    (u + 6 < end && u[6] != ' ' && u[6] != '\t')) {
		S_ERR(p, kw, "write 'every LANG unless /pattern/' or 'every "
		    "LANG unless @NAME', like 'every en unless @en-x-mock'",
		    "bad 'every' line");
		return;
	}
	for (u += 6; u < end && (*u == ' ' || *u == '\t'); u++)
		;
	if (s_parse_pattern(p, u, end, &pat) == -1)
		return;
	lang = mf_strndup(v, (size_t)(q - v));
	nv = mf_realloc(p->every, (p->nevery + 1) * sizeof(*nv));
	if (nv)
		p->every = nv;
	nl = mf_realloc(p->every_lang, (p->nevery + 1) * sizeof(*nl));
	if (nl)
		p->every_lang = nl;
	if (lang == NULL || nv == NULL || nl == NULL) {
		mf_free(lang);
		mf_free(pat.source);
		mf_free(pat.flags);
		p->oom = 1;
		return;
	}
	p->every[p->nevery] = pat;
	p->every_lang[p->nevery++] = lang;
}

/* The file's `every` lines, given to its rules from 'first' on. */
static void
s_every_apply(s_parser_t *p, size_t first)
{
	for (size_t i = first; i < p->rs->nrules && !p->oom; i++) {
		mf_rule_t	*r = p->rs->rules[i];
		mf_pattern_t	*nv;

		for (size_t k = 0; k < p->nevery && !p->oom; k++) {
			if (r->lang == NULL ||
			    strcmp(r->lang, p->every_lang[k]) != 0)
				continue;
			if (r->nunless == MF_MAX_PATTERNS) {
				mf_diags_add(p->diags, MF_DIAG_ERROR, p->file,
				    r->line, 1, "split the rule in two",
				    "rule %s: more than %d 'unless' lines "
				    "with the file's 'every' lines", r->id,
				    MF_MAX_PATTERNS);
				p->errors++;
				break;
			}
			if ((nv = mf_realloc(r->unless, (r->nunless + 1) *
			    sizeof(*nv))) == NULL) {
				p->oom = 1;
				break;
			}
			r->unless = nv;
			nv += r->nunless++;
			*nv = p->every[k];
			nv->source = mf_strdup(p->every[k].source);
			nv->flags = mf_strdup(p->every[k].flags);
			if (nv->source == NULL || nv->flags == NULL)
				p->oom = 1;
		}
	}
	s_patterns_free(p->every, p->nevery);
	for (size_t k = 0; k < p->nevery; k++)
		mf_free(p->every_lang[k]);
	mf_free(p->every_lang);
}

int
mf__rules_parse(mf_ruleset_t *rs, const char *file, const char *text,
    size_t len, mf_diags_t *diags)
{
	s_parser_t	 p = { .rs = rs, .file = file, .diags = diags };
	const char	*cur = text, *tend = text + len;
	size_t		 first = rs->nrules;

	if (memchr(text, '\0', len)) {
		mf_diags_add(diags, MF_DIAG_ERROR, file, 0, 0, "rule files "
		    "are UTF-8 text", "file contains a NUL byte");
		return 1;
	}
	while (cur < tend && !p.oom) {
		const char	*end = memchr(cur, '\n', (size_t)(tend - cur));
		const char	*q = cur, *kw, *v;
		size_t		 kwn;

		if (end == NULL)
			end = tend;
		p.line++;
		p.lstart = cur;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == end || *q == '#' || *q == '\r')
			goto next;
		kw = q;
		while (q < end && (islower((unsigned char)*q) || *q == '-'))
			q++;
		kwn = (size_t)(q - kw);
		if (kwn == 0 || (q < end && *q != ' ' && *q != '\t' &&
		    *q != '\r' && *q != '#')) {
			S_ERR(&p, kw, "each line starts with a keyword such "
			    "as claim, rule, match, end", "expected a "
			    "keyword");
			goto next;
		}
		v = q;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (kwn == 3 && memcmp(kw, "end", 3) == 0) {
			if (!s_rest_empty(v, end))
				S_ERR(&p, v, "'end' stands alone",
				    "unexpected text after 'end'");
			if (p.claim)
				s_end_claim(&p, kw);
			else if (p.rule)
				s_end_rule(&p, kw);
			else if (p.lex)
				s_end_lexicon(&p, kw);
			else
				S_ERR(&p, kw, "remove it, or open a block "
				    "with 'claim ID' or 'rule ID'",
				    "'end' without a block");
		} else if (p.lex)
			s_lexicon_kw(&p, kw, kwn, v, end);
		else if ((kwn == 5 && memcmp(kw, "claim", 5) == 0 &&
		    p.rule == NULL) || (kwn == 4 && memcmp(kw, "rule", 4) ==
		    0)) {
			size_t n = s_plain_value(v, end);

			if (n == 0)
				S_ERR(&p, kw, "give the block an id",
				    "'%.*s' needs an id", (int)kwn, kw);
			else
				s_begin(&p, kwn == 4, kw, v, n);
		} else if (kwn == 6 && memcmp(kw, "define", 6) == 0 &&
		    p.claim == NULL && p.rule == NULL)
			s_define(&p, kw, v, end);
		else if (kwn == 7 && memcmp(kw, "lexicon", 7) == 0 &&
		    p.claim == NULL && p.rule == NULL)
			s_lexicon(&p, kw, v, end);
		else if (kwn == 8 && memcmp(kw, "override", 8) == 0 &&
		    p.claim == NULL && p.rule == NULL)
			s_override(&p, kw, v, end);
		else if (kwn == 5 && memcmp(kw, "every", 5) == 0 &&
		    p.claim == NULL && p.rule == NULL)
			s_every(&p, kw, v, end);
		else if (p.claim)
			s_claim_kw(&p, kw, kwn, kw, v, s_plain_value(v, end));
		else if (p.rule)
			s_rule_kw(&p, kw, kwn, kw, v, end);
		else
			S_ERR(&p, kw, "start a block with 'claim ID' or "
			    "'rule ID'", "'%.*s' outside a block", (int)kwn,
			    kw);
next:
		cur = end < tend ? end + 1 : tend;
	}
	if (p.claim || p.rule || p.lex) {
		mf_diags_add(diags, MF_DIAG_ERROR, file, p.block_line, 1,
		    "close the block with 'end'", "%s block never ends",
		    p.claim ? "claim" : p.rule ? "rule" : "lexicon");
		p.errors++;
	}
	s_every_apply(&p, first);
	if (p.oom) {
		mf_diags_add(diags, MF_DIAG_ERROR, file, 0, 0, NULL,
		    "out of memory");
		p.errors++;
	}
	return p.errors;
}
