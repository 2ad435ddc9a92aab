/*
 * fuzz_normalize.c - libFuzzer target for the normalizer: every input is
 * normalized as each body format, with and without quotes kept and with
 * leet repair on and off, and the result must hold the contract of
 * normalize.h: valid UTF-8 without NUL, every offset range non-empty and
 * within the input, both offset arrays monotone. The input is also
 * normalized as a pattern, which must keep its ASCII bytes, and its
 * language is told, with its first bytes as the post's lang field: the
 * answer is one of the languages the guess knows, "" or that field.
 *
 * Built with -fsanitize=fuzzer by `make fuzz`; linked with replay.c it
 * replays tests/fuzz/corpus/normalize/ in `make check`.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "match.h"
#include "normalize.h"
#include "post.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(c)	do { if (!(c)) abort(); } while (0)

static void
s_check_utf8(const unsigned char *t, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = t[i];
		size_t	 k = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 :
		    c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;

		S_CHECK(c != 0 && k > 0 && i + k <= n);
		for (size_t j = 1; j < k; j++)
			S_CHECK((t[i + j] & 0xC0) == 0x80);
		if (k == 3)	/* no surrogates, no overlong forms */
			S_CHECK(!(c == 0xE0 && t[i + 1] < 0xA0) &&
			    !(c == 0xED && t[i + 1] >= 0xA0));
		if (k == 4)
			S_CHECK(!(c == 0xF0 && t[i + 1] < 0x90) &&
			    !(c == 0xF4 && t[i + 1] >= 0x90));
		i += k;
	}
}

static void
s_check(const mf_norm_t *n, size_t size)
{
	S_CHECK(n->text != NULL && n->text[n->len] == '\0');
	s_check_utf8((const unsigned char *)n->text, n->len);
	for (size_t i = 0; i < n->len; i++) {
		S_CHECK(n->ostart[i] < n->oend[i] && n->oend[i] <= size);
		if (i > 0)
			S_CHECK(n->ostart[i - 1] <= n->ostart[i] &&
			    n->oend[i - 1] <= n->oend[i]);
	}
	if (n->len > 0) {
		size_t a, b;

		mf_norm_span(n, 0, n->len, &a, &b);
		S_CHECK(a <= b && b <= size);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mf_norm_t	 n;	/* reused, as a worker does */
	mf_err_t		 err = { 0 };
	char			*pat, *p;
	size_t			 k = 0;

	for (int f = MF_FMT_TEXT; f <= MF_FMT_WIKITEXT; f++) {
		for (unsigned o = 0; o < 4; o++) {
			S_CHECK(mf_normalize(&n, (const char *)data, size,
			    (mf_format_t)f, o, &err) == 0);
			s_check(&n, size);
		}
	}
	/* Its language, the first bytes up to a NUL or the 8th the lang
	 * field (an empty one: none). */
	{
		static const char *const known[] = { "", "en", "fr", "es",
		    "de", "it", "pt", "nl", "pl", "sv", "ro", "tr", "cs" };
		char		 tag[9] = { 0 };
		mf_post_t	 post = { 0 };
		const char	*l;
		int		 ok = 0;

		for (size_t i = 0; i < 8 && i < size && data[i]; i++)
			tag[i] = (char)data[i];
		post.lang = tag[0] ? tag : NULL;
		S_CHECK(mf_normalize(&n, (const char *)data, size, MF_FMT_TEXT,
		    0, &err) == 0);
		S_CHECK((l = mf_post_lang(&post, &n)) != NULL);
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(l, known[i]) == 0;
		S_CHECK(ok || l == post.lang);
	}
	/* As a pattern: up to the first NUL; ASCII bytes are kept. */
	if ((pat = mf_malloc(size + 1)) == NULL)
		return 0;
	memcpy(pat, data, size);
	pat[size] = '\0';
	if ((p = mf_normalize_pattern(pat, &err)) != NULL) {
		s_check_utf8((const unsigned char *)p, strlen(p));
		for (size_t i = 0; pat[i] != '\0'; i++) {
			if ((unsigned char)pat[i] >= 0x80)
				break;
			S_CHECK(p[k++] == pat[i]);
		}
		mf_free(p);
	}
	mf_free(pat);
	return 0;
}
