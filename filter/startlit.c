/*
 * startlit.c - the literals every match of a pattern starts with, so
 * that match.c can try the pattern only where one of them stands
 * instead of at every position of the post.
 *
 * \b(?:kill\w*|cur(?:e|es|ed)|heal\w*)\W+... can only match where "kill",
 * "cur" or "heal" starts: the zero-width assertions in front (\b, \B,
 * ^, lookarounds) consume nothing, and each alternative begins with a
 * plain character run. A pattern whose matches may start with anything
 * else (a class, an escape such as \w, a quantified character, a
 * character outside ASCII, a group that may match empty, an empty
 * alternative) has no such set; nor has one with a start literal
 * shorter than S_MINLEN bytes, which most posts hold many times. The
 * literals are folded to lower case (patterns are compiled caseless)
 * and cut to S_MAXLEN bytes: a match that starts with a literal starts
 * with its prefix too.
 *
 * The reader is strict: backreferences, named groups, inline options,
 * verbs, conditionals, \Q..\E and anything else it does not know leave
 * the pattern without a set, and it must read the pattern back byte for
 * byte before its answer counts.
 *
 * Not responsible for the literals the prefilter needs anywhere in a
 * match (litextract.c).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "ruleset_internal.h"

#define S_MINLEN	3	/* shorter ones are in most posts, often */
#define S_MAXLEN	8	/* bytes kept of a start literal */
#define S_MAXLITS	512	/* more and the pattern has no set */

enum { S_ATOM, S_LIT, S_GROUP, S_BEHIND };

typedef struct s_alt s_alt_t;

typedef struct s_item {
	const char	*at;		/* the atom, or a group's opening */
	size_t		 len;
	const char	*q;		/* quantifier, or empty */
	size_t		 qlen;
	int		 kind;		/* S_* */
	int		 plain;		/* a group opened by "(?:" */
	s_alt_t		*sub;		/* a group's body */
} s_item_t;

typedef struct s_seq {
	s_item_t	*v;
	size_t		 n, cap;
} s_seq_t;

struct s_alt {
	s_seq_t		*v;
	size_t		 n, cap;
};

typedef struct s_parser {
	const char	*s;
	size_t		 i, len;
	int		 bad;		/* something this reader does not know */
	int		 oom;
} s_parser_t;

static void
s_alt_free(s_alt_t *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		for (size_t k = 0; k < a->v[i].n; k++)
			s_alt_free(a->v[i].v[k].sub);
		mf_free(a->v[i].v);
	}
	mf_free(a->v);
	mf_free(a);
}

static int
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the escape at p->i ('\\'), or 0 if unknown or a
 * backreference. */
static size_t
s_escape(const s_parser_t *p, size_t i)
{
	const char	*s = p->s;
	size_t		 n = p->len;
	char		 c;

	if (i + 1 >= n)
		return 0;
	c = s[i + 1];
	if ((c >= '1' && c <= '9') || c == 'g' || c == 'k' || c == 'Q' ||
	    c == 'E' || c == 'N' || c == 'c' || c == 'o' || c == 'K')
		return 0;
	if (c == 'x' || c == 'p' || c == 'P') {
		if (i + 2 < n && s[i + 2] == '{') {
			const char *e = memchr(s + i + 2, '}', n - i - 2);

			return e ? (size_t)(e - s) + 1 - i : 0;
		}
		if (c != 'x')
			return i + 2 < n ? 3 : 0;
		for (size_t k = 2; k < 4; k++)
			if (i + k >= n || !((s[i + k] >= '0' && s[i + k] <= '9') ||
			    ((s[i + k] | 0x20) >= 'a' && (s[i + k] | 0x20) <=
			    'f')))
				return k;
		return 4;
	}
	if (c == '0') {
		size_t k = 2;

		while (k < 4 && i + k < n && s[i + k] >= '0' && s[i + k] <= '7')
			k++;
		return k;
	}
	if ((unsigned char)c >= 0x80)
		return 0;	/* an escaped multibyte character: rare */
	return 2;
}

/* Length of the class at i ('['), or 0. */
static size_t
s_class(const s_parser_t *p, size_t i)
{
	const char	*s = p->s;
	size_t		 k = i + 1, n = p->len;

	if (k < n && s[k] == '^')
		k++;
	if (k < n && s[k] == ']')
		k++;
	while (k < n && s[k] != ']') {
		if (s[k] == '\\') {
			size_t e = s_escape(p, k);

			if (e == 0)
				return 0;
			k += e;
		} else if (s[k] == '[' && k + 1 < n && (s[k + 1] == ':' ||
		    s[k + 1] == '.' || s[k + 1] == '=')) {
			const char *e = strstr(s + k + 2, ":]");

			if (s[k + 1] != ':' || e == NULL || e >= s + n)
				return 0;
			k = (size_t)(e - s) + 2;
		} else
			k++;
	}
	return k < n ? k + 1 - i : 0;
}

/* Length of a quantifier at i, or 0; '*more' when a '{' follows that is
 * not one (then the atom before it is not taken for a plain
 * character either). */
static size_t
s_quant(const s_parser_t *p, size_t i, int *more)
{
	const char	*s = p->s;
	size_t		 k = i, n = p->len;

	*more = 0;
	if (k >= n)
		return 0;
	if (s[k] == '*' || s[k] == '+' || s[k] == '?')
		k++;
	else if (s[k] == '{') {
		size_t d = 0;

		k++;
		while (k < n && s_isdigit(s[k]))
			k++, d++;
		if (k < n && s[k] == ',') {
			k++;
			while (k < n && s_isdigit(s[k]))
				k++;
		}
		if (d == 0 || k >= n || s[k] != '}') {
			*more = 1;
			return 0;
		}
		k++;
	} else
		return 0;
	if (k < n && (s[k] == '?' || s[k] == '+'))
		k++;
	return k - i;
}

static int	s_parse_alt(s_parser_t *p, s_alt_t *out, int depth);

static int
s_push(s_parser_t *p, s_seq_t *q, const s_item_t *it)
{
	if (q->n == q->cap) {
		size_t		 cap = q->cap ? 2 * q->cap : 8;
		s_item_t	*v = mf_realloc(q->v, cap * sizeof(*v));

		if (v == NULL) {
			p->oom = 1;
			return -1;
		}
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n++] = *it;
	return 0;
}

/* One sequence, up to '|', ')' or the end. */
static int
s_parse_seq(s_parser_t *p, s_seq_t *q, int depth)
{
	const char *s = p->s;

	while (p->i < p->len && s[p->i] != '|' && s[p->i] != ')') {
		s_item_t	 it = { s + p->i, 0, NULL, 0, S_ATOM, 0, NULL };
		unsigned char	 c = (unsigned char)s[p->i];
		int		 more;

		if (c == '(') {
			size_t open;

			if (depth > 200 || p->i + 1 >= p->len)
				goto bad;
			if (s[p->i + 1] != '?' && s[p->i + 1] != '*') {
				open = 1;
				it.kind = S_GROUP;
			} else if (s[p->i + 1] == '*')
				goto bad;
			else if (p->i + 2 < p->len && (s[p->i + 2] == ':' ||
			    s[p->i + 2] == '=' || s[p->i + 2] == '!')) {
				open = 3;
				it.kind = S_GROUP;
				it.plain = s[p->i + 2] == ':';
			} else if (p->i + 3 < p->len && s[p->i + 2] == '<' &&
			    (s[p->i + 3] == '=' || s[p->i + 3] == '!')) {
				open = 4;
				it.kind = S_BEHIND;
			} else
				goto bad;
			it.len = open;
			p->i += open;
			if ((it.sub = mf_calloc(1, sizeof(*it.sub))) == NULL) {
				p->oom = 1;
				return -1;
			}
			if (s_parse_alt(p, it.sub, depth + 1) == -1 ||
			    p->i >= p->len || s[p->i] != ')') {
				s_alt_free(it.sub);
				goto bad;
			}
			p->i++;
		} else if (c == '[') {
			if ((it.len = s_class(p, p->i)) == 0)
				goto bad;
			p->i += it.len;
		} else if (c == '\\') {
			if ((it.len = s_escape(p, p->i)) == 0)
				goto bad;
			p->i += it.len;
		} else if (c == '*' || c == '+' || c == '?')
			goto bad;
		else if (c >= 0x80) {
			it.len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ?
			    2 : 1;
			if (p->i + it.len > p->len)
				goto bad;
			p->i += it.len;
		} else {
			it.len = 1;
			p->i++;
			if (strchr("^$.{}", (char)c) == NULL && c >= 0x20 &&
			    c < 0x7f)
				it.kind = S_LIT;
		}
		it.q = s + p->i;
		it.qlen = s_quant(p, p->i, &more);
		p->i += it.qlen;
		if ((it.qlen || more) && it.kind == S_LIT)
			it.kind = S_ATOM;
		if (s_push(p, q, &it) == -1) {
			s_alt_free(it.sub);
			return -1;
		}
	}
	return 0;
bad:
	p->bad = 1;
	return -1;
}

static int
s_parse_alt(s_parser_t *p, s_alt_t *out, int depth)
{
	for (;;) {
		if (out->n == out->cap) {
			size_t	 cap = out->cap ? 2 * out->cap : 4;
			s_seq_t	*v = mf_realloc(out->v, cap * sizeof(*v));

			if (v == NULL) {
				p->oom = 1;
				return -1;
			}
			out->v = v;
			out->cap = cap;
		}
		out->v[out->n] = (s_seq_t){ NULL, 0, 0 };
		out->n++;
		if (s_parse_seq(p, &out->v[out->n - 1], depth) == -1)
			return -1;
		if (p->i >= p->len || p->s[p->i] != '|')
			return 0;
		p->i++;
	}
}

/* The pattern as read, for the read-back check. */
static int
s_emit_alt(mf_buf_t *b, const s_alt_t *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (i && mf_buf_append(b, "|", 1) == -1)
			return -1;
		for (size_t k = 0; k < a->v[i].n; k++) {
			const s_item_t *it = &a->v[i].v[k];

			if (mf_buf_append(b, it->at, it->len) == -1 ||
			    (it->sub && (s_emit_alt(b, it->sub) == -1 ||
			    mf_buf_append(b, ")", 1) == -1)) ||
			    mf_buf_append(b, it->q, it->qlen) == -1)
				return -1;
		}
	}
	return 0;
}

typedef struct s_lits {
	char	**v;
	size_t	 n, cap;
	int	 none;		/* no set: matches may start anywhere */
	int	 oom;
} s_lits_t;

static void
s_lits_add(s_lits_t *l, const char *p, size_t n)
{
	char *s;

	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && memcmp(l->v[i], p, n) == 0)
			return;
	if (l->n == S_MAXLITS) {
		l->none = 1;
		return;
	}
	if (l->n == l->cap) {
		size_t	  cap = l->cap ? 2 * l->cap : 16;
		char	**v = mf_realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			l->oom = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	if ((s = mf_malloc(n + 1)) == NULL) {
		l->oom = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] | 0x20) :
		    p[i];
	s[n] = '\0';
	l->v[l->n++] = s;
}

static void	s_starts_alt(const s_alt_t *a, s_lits_t *l);

/* Zero width: consumes nothing, whatever it asserts. */
static int
s_zero_width(const s_item_t *it)
{
	if (it->qlen)
		return 0;
	if (it->kind == S_BEHIND)
		return 1;
	if (it->kind == S_GROUP && it->len == 3 && (it->at[2] == '=' ||
	    it->at[2] == '!'))
		return 1;
	if (it->kind == S_ATOM && it->len == 1 && it->at[0] == '^')
		return 1;
	return it->kind == S_ATOM && it->len == 2 && it->at[0] == '\\' &&
	    (it->at[1] == 'b' || it->at[1] == 'B');
}

/* The start literals of the sequence v[0, n). */
static void
s_starts_seq(const s_item_t *v, size_t n, s_lits_t *l)
{
	char	buf[S_MAXLEN];
	size_t	k = 0, m = 0;

	while (k < n && s_zero_width(&v[k]))
		k++;
	if (k == n) {
		l->none = 1;	/* it may match empty */
		return;
	}
	/* A group, capturing or not, once: the match starts with its. */
	if (v[k].kind == S_GROUP && v[k].qlen == 0 && (v[k].plain ||
	    v[k].len == 1)) {
		s_starts_alt(v[k].sub, l);
		return;
	}
	while (k < n && v[k].kind == S_LIT && m < S_MAXLEN)
		buf[m++] = v[k++].at[0];
	if (m < S_MINLEN)
		l->none = 1;
	else
		s_lits_add(l, buf, m);
}

static void
s_starts_alt(const s_alt_t *a, s_lits_t *l)
{
	for (size_t i = 0; i < a->n && !l->none && !l->oom; i++)
		s_starts_seq(a->v[i].v, a->v[i].n, l);
}

int
mf__start_lits(const char *src, char ***lits, size_t *nlits)
{
	s_parser_t	 p = { src, 0, strlen(src), 0, 0 };
	s_alt_t		*a;
	mf_buf_t	 b = {0};
	s_lits_t	 l = { NULL, 0, 0, 0, 0 };
	int		 rc = -1;

	*lits = NULL;
	*nlits = 0;
	if ((a = mf_calloc(1, sizeof(*a))) == NULL)
		return -1;
	if (s_parse_alt(&p, a, 0) == -1 || p.i != p.len) {
		rc = p.oom ? -1 : 0;
		goto out;
	}
	if (s_emit_alt(&b, a) == -1)
		goto out;
	if (b.len != p.len || memcmp(b.data, src, p.len) != 0) {
		rc = 0;
		goto out;
	}
	s_starts_alt(a, &l);
	if (l.oom)
		goto out;
	rc = 0;
	if (!l.none && l.n > 0) {
		*lits = l.v;
		*nlits = l.n;
		l.v = NULL;
		l.n = 0;
	}
out:
	for (size_t i = 0; i < l.n; i++)
		mf_free(l.v[i]);
	mf_free(l.v);
	mf_buf_free(&b);
	s_alt_free(a);
	return rc;
}
