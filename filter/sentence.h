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

/* Whether byte i of t[0, len) ends a sentence: a newline, or '.', '!',
 * '?' before a space, a quote, a bracket or the end, except the full
 * stop of a title or dotted abbreviation ("dr.", "e.g."). */
int	mf__sentence_end(const char *t, size_t len, size_t i);
/* Whether a sentence ends inside [a, b) before its last byte: a span
 * that does not cross lies in one sentence. */
int	mf__sentence_crosses(const char *t, size_t len, size_t a, size_t b);

#endif
