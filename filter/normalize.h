/*
 * normalize.h - turn a post body into the text that rules match, with an
 * offset map back to the original bytes.
 *
 * Steps: markup reduced to text for the body format (quoted material cut
 * unless MF_NORM_KEEP_QUOTES); invalid UTF-8 replaced by U+FFFD; NUL and
 * format characters removed; NFKC with case folding and marks stripped
 * (accent-insensitive); confusable letters folded to Latin; leetspeak
 * inside words undone; spaced or dotted-out letters joined.
 * Not responsible for URL extraction (match.c reads the original body).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_NORMALIZE_H
#define MF_NORMALIZE_H

#include <stddef.h>

#include "err.h"
#include "post.h"

#define MF_NORM_KEEP_QUOTES	0x01u	/* judge quoted material too */
#define MF_NORM_NO_LEET		0x02u	/* skip leetspeak and spacing repair */

/* Result flags. */
#define MF_NORMF_INVALID_UTF8	0x01u
#define MF_NORMF_QUOTES_CUT	0x02u

typedef struct mf_norm {
	char	*text;		/* NUL-terminated, valid UTF-8, case-folded */
	size_t	 len;
	/* For every byte i of 'text': it came from original bytes
	 * [ostart[i], oend[i]). Monotone non-decreasing. A span [a, b) of
	 * 'text' maps to [ostart[a], oend[b - 1]) of the original. */
	size_t	*ostart;
	size_t	*oend;
	unsigned flags;		/* MF_NORMF_* */
	/* After mf_norm_join(): the original offsets below 'body_at' are
	 * the head's (a post's title, 'head_len' bytes), the others the
	 * body's plus 'body_at'. Both 0 when the text is one field. */
	size_t	 head_len;
	size_t	 body_at;
	/* The first 'agreed' bytes of 'text': quoted material the reply
	 * after it agrees with, read by the rules as the writer's own
	 * words; the model reads the reply (mf_scan_text() sets it). */
	size_t	 agreed;
	size_t	 cap;		/* capacity of text/ostart/oend (reused) */
	void	*scratch;	/* private reusable work space */
} mf_norm_t;

/* Normalizes 'body' into 'out', reusing its memory from earlier calls (no
 * allocation on the hot path once warm). 'out' starts zeroed.
 * Returns 0, or -1 with 'err' set (only ENOMEM). */
int	mf_normalize(mf_norm_t *out, const char *body, size_t len,
	    mf_format_t fmt, unsigned opts, mf_err_t *err);
void	mf_norm_free(mf_norm_t *self);
/*
 * Puts 'head' (a normalized title of 'head_len' original bytes) and a
 * blank line before the text of 'self', so that rules read the two as
 * separate sentences of one text. The map of the body moves up by
 * head_len + 2 (self->body_at); mf_norm_span() then gives offsets into
 * that virtual "head\n\nbody". Returns 0, or -1 with 'err' set (ENOMEM,
 * and 'self' is left as it was).
 */
int	mf_norm_join(mf_norm_t *self, const mf_norm_t *head, size_t head_len,
	    mf_err_t *err);
/* Maps the normalized span [a, b) to the original. */
void	mf_norm_span(const mf_norm_t *self, size_t a, size_t b,
	    size_t *ostart, size_t *oend);

/* The normalization applied to pattern text at rule-compile time: NFKC,
 * case fold, marks stripped, the two emoji that stand for a word written
 * as it; other symbols stay as written; no leetspeak or confusables (a
 * pattern's digits and punctuation are syntax). OWNS: caller (mf_free). */
char	*mf_normalize_pattern(const char *pattern, mf_err_t *err);
/* The first emoji or symbol in s[0 .. n) that normalized text never holds
 * (normalization makes it a space), or NULL: a pattern that names one
 * cannot match there. The seven emoji of mockery and the two that stand
 * for a word are not such symbols. */
const char *mf_normalize_dead_symbol(const char *s, size_t n);

/* Length (1-4) of the valid UTF-8 sequence at 'p' ('n' > 0 bytes), 0 if
 * none: overlong forms, surrogates and values over U+10FFFF are not. */
size_t	mf_utf8_len(const void *p, size_t n);
/* Where to cut 'len' bytes of UTF-8 to keep at most 'max': 'len' if they
 * fit, else 'max' moved back to the start of a sequence. */
size_t	mf_utf8_cut(const char *s, size_t len, size_t max);

#endif
