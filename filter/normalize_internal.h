/*
 * normalize_internal.h - the pieces of the normalizer shared between
 * normalize.c (folding, word repair, API), markup.c (markup and quotes)
 * and confusable.c (per-code-point tables built once from utf8proc and
 * ICU). Never installed.
 *
 * The normalizer runs in three stages:
 *   1. markup.c walks the original body for its format and hands the text
 *      to stage 2 as pieces: raw ranges of the body, or short literals
 *      (a decoded entity, a "\n" for a block boundary or cut quote) that
 *      map to the markup they replace;
 *   2. normalize.c decodes UTF-8 and folds each code point (case, marks,
 *      compatibility forms, format characters, symbols) into out->text,
 *      writing the offset map as it goes;
 *   3. normalize.c then repairs words in place: spaced-out letters joined,
 *      look-alike letters folded in mixed-script words, leetspeak undone.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_NORMALIZE_INTERNAL_H
#define MF_NORMALIZE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "normalize.h"

/* State of one mf_normalize() call. */
typedef struct mf__nctx {
	mf_norm_t		*out;	/* BORROWS: text and map written here */
	const unsigned char	*body;	/* BORROWS: the original body */
	size_t			 blen;
	unsigned		 opts;	/* MF_NORM_* */
	size_t			 symsp;	/* out->len just after a symbol space */
	int			 oom;	/* a buffer could not grow */
} mf__nctx_t;

/* Stage 2 entry points (normalize.c), called by markup.c in order of
 * increasing original offsets. */
/* Folds the original bytes [a, b). */
void	mf__norm_raw(mf__nctx_t *c, size_t a, size_t b);
/* Folds the literal bytes 's' (UTF-8), every byte mapped to [oa, ob). */
void	mf__norm_lit(mf__nctx_t *c, const char *s, size_t n, size_t oa,
	    size_t ob);
/* A block boundary or cut material: one "\n" mapped to [oa, ob). */
void	mf__norm_break(mf__nctx_t *c, size_t oa, size_t ob);

/* Stage 1 (markup.c): reduces the whole body for 'fmt'. */
void	mf__markup_reduce(mf__nctx_t *c, mf_format_t fmt);

/*
 * Per-code-point folding (confusable.c). The result of folding one
 * non-ASCII code point: up to MF__FOLD_MAX bytes of UTF-8, or a kind.
 */
#define MF__FOLD_MAX	30
enum {
	MF__FOLD_TEXT = 0,	/* emit 'len' bytes of 's' (len may be 0) */
	MF__FOLD_SYMBOL		/* a symbol or emoji: a space in text */
};
typedef struct mf__fold {
	uint8_t	kind;
	uint8_t	len;
	char	s[MF__FOLD_MAX];
} mf__fold_t;

/* Folds 'cp' (>= 0x80, a valid scalar value): NFKC, case fold, marks and
 * default-ignorable characters dropped, Latin look-alikes (dotless i,
 * script a...) folded to ASCII. Thread-safe; builds its tables once. */
void	mf__fold_cp(uint32_t cp, mf__fold_t *f);
/* Builds the tables now (a few milliseconds, once per process), so that
 * the first post with an accent does not pay for them. */
void	mf__fold_warm(void);
/* The ASCII letter that the non-Latin letter 'cp' looks like (Cyrillic
 * 'а' -> 'a'), or 0. Only meaningful after mf__fold_cp(). */
int	mf__confusable(uint32_t cp);
/* Non-zero when 'cp' is a letter (Unicode category L*). */
int	mf__is_letter(uint32_t cp);

/* UTF-8 helpers shared by the stages. */
/* Decodes one scalar value at p (n > 0 bytes available): returns its
 * length (1-4) and sets *cp, or 0 when the bytes are not valid UTF-8. */
size_t	mf__utf8_dec(const unsigned char *p, size_t n, uint32_t *cp);
/* memmem(3), which is not in POSIX; it looks for the needle's rarest
 * byte first, so that common words do not stop it at every space. */
const void *mf__memmem(const void *hay, size_t n, const void *needle,
	    size_t m);
/* Encodes cp into 'out' (4 bytes room); returns the length. */
size_t	mf__utf8_enc(uint32_t cp, char *out);

#endif
