/*
 * altsplit.c - a pattern's top-level alternatives, so that a pattern
 * asked only "is it anywhere in the post?" can run as two: the branches
 * PCRE2 anchors at the start of the text, and the rest.
 *
 * post-sarcasm mixes both: "Sure, ..." at the opening and "/s" anywhere.
 * One branch that can only match at the start still makes PCRE2 try the
 * whole alternation at every position of the post, since its start bits
 * then cover every byte; split, the anchored half is one attempt and the
 * other skips to the few bytes its branches can start with. A match of
 * (a|b) somewhere is a match of a or of b somewhere, so the answer is the
 * same; a pattern with a back reference, a recursion or a verb, which may
 * reach across branches, is not split.
 *
 * A branch that is one whole (?:...) group is opened in turn, so that an
 * expanded {{name}} gives its own alternatives.
 *
 * The same split, one level deep, lets a pattern that PCRE2 must try at
 * every position run as its branches, each of which it can skip to
 * where it may start (ruleset.c, match.c: a code's parts).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "altsplit.h"

/* Past the character class at s[i] ('['): the index after its ']'. */
static size_t
s_class_end(const char *s, size_t len, size_t i)
{
	i++;
	if (i < len && s[i] == '^')
		i++;
	if (i < len && s[i] == ']')
		i++;	/* a leading ']' is literal */
	while (i < len && s[i] != ']') {
		if (s[i] == '\\' && i + 1 < len) {
			i += 2;
		} else if (s[i] == '[' && i + 1 < len && s[i + 1] == ':') {
			size_t j = i + 2;

			while (j + 1 < len && !(s[j] == ':' && s[j + 1] == ']'))
				j++;
			i = j + 1 < len ? j + 2 : i + 1;
		} else {
			i++;
		}
	}
	return i < len ? i + 1 : len;
}

/* 1 if s[i] opens "(?i)" or the like: an option that holds to the end of
 * the pattern, the branches after it included. */
static int
s_option_set(const char *s, size_t len, size_t i)
{
	size_t j = i + 2;

	if (j >= len || s[i + 1] != '?')
		return 0;
	while (j < len && s[j] != '\0' && strchr("imnsxJU-^", s[j]) != NULL)
		j++;
	return j > i + 2 && j < len && s[j] == ')';
}

/*
 * One token at s[i]: how far it reaches (the index after it) and what it
 * is: '(' or ')' for a group's bracket, '|', 0 for anything else, -1 for
 * what makes splitting unsafe (back reference, recursion, verb).
 */
static size_t
s_token(const char *s, size_t len, size_t i, int *kind)
{
	char c = s[i];

	*kind = 0;
	if (c == '\\' && i + 1 < len) {
		char e = s[i + 1];

		if ((e >= '1' && e <= '9') || e == 'g' || e == 'k')
			*kind = -1;
		if (e == 'Q') {
			size_t j = i + 2;

			while (j + 1 < len && !(s[j] == '\\' && s[j + 1] == 'E'))
				j++;
			return j + 1 < len ? j + 2 : len;
		}
		return i + 2;
	}
	if (c == '[')
		return s_class_end(s, len, i);
	if (c == '(') {
		if (i + 2 < len && s[i + 1] == '?' && s[i + 2] == '#') {
			const char *q = memchr(s + i, ')', len - i);

			return q != NULL ? (size_t)(q - s) + 1 : len;
		}
		if ((i + 1 < len && s[i + 1] == '*') || (i + 2 < len &&
		    s[i + 1] == '?' && strchr("R&P0123456789+-", s[i + 2]) !=
		    NULL) || s_option_set(s, len, i))
			*kind = -1;
		else
			*kind = '(';
		return i + 1;
	}
	if (c == ')' || c == '|')
		*kind = c;
	return i + 1;
}

/* Cuts s[0, len) at its top-level '|' into v; -1 when it cannot be. */
static int
s_cut(const char *s, size_t len, mf_altspan_t *v, size_t max, size_t *n)
{
	size_t	 depth = 0, start = 0, i = 0;
	int	 kind;

	while (i < len) {
		size_t next = s_token(s, len, i, &kind);

		if (kind == -1 || (kind == ')' && depth == 0))
			return -1;
		if (kind == '(')
			depth++;
		else if (kind == ')')
			depth--;
		else if (kind == '|' && depth == 0) {
			if (*n >= max)
				return -1;
			v[*n].off = start;
			v[(*n)++].len = i - start;
			start = next;
		}
		i = next;
	}
	if (depth != 0 || *n >= max)
		return -1;
	v[*n].off = start;
	v[(*n)++].len = len - start;
	return 0;
}

/* 1 if s[0, len) is one whole (?:...) group: the bracket that opens it
 * closes at its last byte. */
static int
s_one_group(const char *s, size_t len)
{
	size_t	depth = 0, i = 0;
	int	kind;

	if (len < 4 || memcmp(s, "(?:", 3) != 0)
		return 0;
	while (i < len) {
		size_t next = s_token(s, len, i, &kind);

		if (kind == '(')
			depth++;
		else if (kind == ')' && --depth == 0)
			return next == len;
		i = next;
	}
	return 0;
}

int
mf__alt_split(const char *s, size_t len, mf_altspan_t *v, size_t max,
    size_t *n)
{
	mf_altspan_t	 b[MF_ALT_MAX];
	size_t		 nb = 0;

	if (s_cut(s, len, b, MF_ALT_MAX, &nb) == -1)
		return -1;
	for (size_t k = 0; k < nb; k++) {
		const char	*p = s + b[k].off;
		size_t		 first = *n;

		if (s_one_group(p, b[k].len)) {
			if (mf__alt_split(p + 3, b[k].len - 4, v, max, n) ==
			    -1)
				return -1;
			for (size_t j = first; j < *n; j++)
				v[j].off += b[k].off + 3;
			continue;
		}
		if (*n >= max)
			return -1;
		v[(*n)++] = b[k];
	}
	return 0;
}

int
mf__alt_split_top(const char *s, size_t len, mf_altspan_t *v, size_t max,
    size_t *n)
{
	size_t off = 0, first = *n;

	while (s_one_group(s + off, len))
		off += 3, len -= 4;
	if (s_cut(s + off, len, v, max, n) == -1)
		return -1;
	for (size_t j = first; j < *n; j++)
		v[j].off += off;
	return 0;
}
