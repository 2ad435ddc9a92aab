/*
 * sentence.c - where sentences end (sentence.h).
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <string.h>

#include "sentence.h"

/* Titles whose full stop ends no sentence ("Dr. Fauci says"), in the
 * normalized text: lower case, no accents. */
static const char *const s_titles[] = {
	"dr", "dra", "drs", "mr", "mrs", "ms", "mme", "mlle", "pr", "prof",
	"sr", "sra", "st", "vs", "hr", "fr", NULL
};

int
mf__sentence_abbrev(const char *t, size_t i)
{
	size_t w = i;

	while (w > 0 && t[w - 1] >= 'a' && t[w - 1] <= 'z')
		w--;
	if (w > 0 && isalnum((unsigned char)t[w - 1]))
		return 0;
	if (i - w == 1 && w >= 2 && t[w - 1] == '.' &&
	    t[w - 2] >= 'a' && t[w - 2] <= 'z')
		return 1;
	if (i - w < 2 || i - w > 4)
		return 0;	/* no title is shorter or longer */
	for (size_t k = 0; s_titles[k]; k++)
		if (strlen(s_titles[k]) == i - w &&
		    memcmp(t + w, s_titles[k], i - w) == 0)
			return 1;
	return 0;
}

int
mf__sentence_crosses(const char *t, size_t len, size_t a, size_t b)
{
	for (size_t i = a; i + 1 < b; i++)
		if (mf__sentence_end(t, len, i))
			return 1;
	return 0;
}

