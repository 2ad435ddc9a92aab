/*
 * sentence.h - where sentences end in normalized text (lower case, no
 * accents): the one definition that `near sentence`, the `unless` scope
 * and the prefilter's sentence check share, so that what the prefilter
 * rules out is exactly what the matcher would.
 *
 * Internal to libmedflag. Pure: no allocation, no state.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_SENTENCE_H
#define MF_SENTENCE_H

#include <stddef.h>

/* Whether the '.' at t[i] closes a title or a dotted abbreviation
 * ("dr.", "e.g."). */
int	mf__sentence_abbrev(const char *t, size_t i);

/* Whether byte i of t[0, len) ends a sentence: a newline, a '|' between
 * spaces (a title and its body joined, "Turbo cancer is real | I do not
 * trust them": the body's "not" is not the title's), or '.', '!', '?'
 * before a space, a quote, a bracket or the end, except the full stop of
 * a title or dotted abbreviation. Inline: it is asked of every byte of a
 * sentence, and most bytes are none of these. */
static inline int
mf__sentence_end(const char *t, size_t len, size_t i)
{
	char c = t[i];

	if (c == '\n')
		return 1;
	if (c == '|')
		return i > 0 && t[i - 1] == ' ' && (i + 1 == len ||
		    t[i + 1] == ' ');
	if (c != '.' && c != '!' && c != '?')
		return 0;
	if (i + 1 < len && t[i + 1] != ' ' && t[i + 1] != '\n' &&
	    t[i + 1] != '\t' && t[i + 1] != '"' && t[i + 1] != ')')
		return 0;
	return c != '.' || !mf__sentence_abbrev(t, i);
}
/* Whether a sentence ends inside [a, b) before its last byte: a span
 * that does not cross lies in one sentence. */
int	mf__sentence_crosses(const char *t, size_t len, size_t a, size_t b);

#endif
