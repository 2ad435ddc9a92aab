/*
 * confusable.c - per-code-point folding tables of the normalizer, built
 * once per process from utf8proc (NFKC, case folding, marks) and ICU's
 * confusables data (uspoof_getSkeleton).
 *
 * Why tables: a skeleton costs a microsecond or more through ICU, and a
 * post must be normalized in a few microseconds, so ICU is asked once per
 * letter at first use and the answer kept in a 64 KiB array. Folding
 * results for the busiest non-ASCII range (U+0080-U+2FFF: Latin, Greek,
 * Cyrillic, punctuation, symbols) are cached the same way.
 *
 * Not responsible for context: whether a non-Latin look-alike is folded
 * depends on its word, which normalize.c decides.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <string.h>

#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <utf8proc.h>

#include "normalize_internal.h"

#define S_FOLD_OPTS	(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |		\
			 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |	\
			 UTF8PROC_IGNORE | UTF8PROC_LUMP)
#define S_CACHE_LO	0x80u
#define S_CACHE_HI	0x3000u		/* exclusive */
#define S_CONF_LATIN	0x80u		/* flag: a Latin-script look-alike */

/* A cached fold: up to 7 bytes; len S_CLEN_SLOW means "too long,
 * recompute". */
typedef struct s_centry {
	uint8_t	kind : 1;
	uint8_t	len : 7;
	char	s[7];
} s_centry_t;
#define S_CLEN_SLOW	0x7f

static pthread_once_t	 s_once = PTHREAD_ONCE_INIT;
/* For BMP letters: the lower-case ASCII letter whose skeleton they share,
 * or'ed with S_CONF_LATIN for Latin-script letters; 0 for none. */
static uint8_t		 s_conf[0x10000];
static s_centry_t	 s_cache[S_CACHE_HI - S_CACHE_LO];
static uint8_t		 s_letter[0x10000 / 8];	/* BMP letters, a bit each */

static int
s_is_letter_slow(uint32_t cp)
{
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);

	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

/* Ranges of the BMP whose letters are asked for a skeleton: the
 * alphabets that look like Latin (Latin extensions, IPA, Greek, Cyrillic,
 * Armenian, Cherokee, Georgian, Coptic, Lisu, letter-like symbols...).
 * CJK, Hangul and Yi are left out: none of them is a single-letter
 * look-alike of ASCII worth the start-up time. */
static const struct { uint32_t lo, hi; } s_conf_ranges[] = {
	{ 0x0080, 0x07FF }, { 0x10A0, 0x10FF }, { 0x13A0, 0x13FF },
	{ 0x1C80, 0x1CBF }, { 0x1D00, 0x1FFF }, { 0x2100, 0x214F },
	{ 0x2C00, 0x2DFF }, { 0xA4D0, 0xA4FF }, { 0xA640, 0xA69F },
	{ 0xA720, 0xA7FF }, { 0xAB30, 0xABBF }, { 0xFF00, 0xFFEF },
};

static void
s_build_conf(void)
{
	UErrorCode	 st = U_ZERO_ERROR;
	USpoofChecker	*sc = uspoof_open(&st);

	if (sc == NULL || U_FAILURE(st))
		return;		/* no ICU data: no folding, still correct */
	for (size_t r = 0; r < sizeof(s_conf_ranges) / sizeof(*s_conf_ranges);
	    r++) {
		for (uint32_t cp = s_conf_ranges[r].lo;
		    cp <= s_conf_ranges[r].hi; cp++) {
			UChar	in[2], sk[8];
			int32_t	n = 0, m;
			int	ch;

			if (!s_is_letter_slow(cp))
				continue;
			U16_APPEND_UNSAFE(in, n, (UChar32)cp);
			st = U_ZERO_ERROR;
			m = uspoof_getSkeleton(sc, 0, in, n, sk, 8, &st);
			if (U_FAILURE(st) || m != 1 || sk[0] >= 0x80)
				continue;
			ch = sk[0];
			if (ch >= 'A' && ch <= 'Z')
				ch += 'a' - 'A';
			if (ch < 'a' || ch > 'z')
				continue;
			st = U_ZERO_ERROR;
			if (uscript_getScript((UChar32)cp, &st) ==
			    USCRIPT_LATIN)
				ch |= S_CONF_LATIN;
			s_conf[cp] = (uint8_t)ch;
		}
	}
	uspoof_close(sc);
}

static void
s_put(mf__fold_t *f, const char *s, size_t n)
{
	if (f->len + n > MF__FOLD_MAX)
		return;		/* never: decompositions are short */
	memcpy(f->s + f->len, s, n);
	f->len += (uint8_t)n;
}

/* Folds 'cp' through utf8proc; see mf__fold_cp(). */
static void
s_fold_compute(uint32_t cp, mf__fold_t *f)
{
	utf8proc_int32_t	d[MF__FOLD_MAX];
	utf8proc_ssize_t	n;
	int			lb = 0, nsym = 0;
	char			u[4];

	f->kind = MF__FOLD_TEXT;
	f->len = 0;
	if (cp >= 0xAC00 && cp <= 0xD7A3) {
		/* Hangul syllables stay composed, as NFKC has them. */
		s_put(f, u, mf__utf8_enc(cp, u));
		return;
	}
	n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, MF__FOLD_MAX,
	    S_FOLD_OPTS, &lb);
	if (n < 0 || n > MF__FOLD_MAX) {
		s_put(f, u, mf__utf8_enc(cp, u));
		return;
	}
	/* A relation struck through ("≠", "∉", "≢": its base and U+0338)
	 * keeps its negation as "!" ("covid ≠ flu" reads "covid != flu"),
	 * where dropping the mark, as for an accent, would say the
	 * opposite. */
	if (cp >= 0x2200 && cp < 0x2300) {
		utf8proc_int32_t	m[4];
		int			mlb = 0;
		utf8proc_ssize_t	k = utf8proc_decompose_char(
			    (utf8proc_int32_t)cp, m, 4, UTF8PROC_DECOMPOSE,
			    &mlb);

		if (k == 2 && m[1] == 0x338)
			s_put(f, "!", 1);
	}
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		uint32_t	r = (uint32_t)d[i];
		char		ch;

		if (r < 0x80) {
			ch = (char)r;
			if (ch >= 'A' && ch <= 'Z')
				ch += 'a' - 'A';
			if ((r < 0x20 && strchr("\t\n\v\f\r", ch) == NULL) ||
			    r == 0x7f)
				continue;
			s_put(f, &ch, 1);
			continue;
		}
		switch (utf8proc_category((utf8proc_int32_t)r)) {
		case UTF8PROC_CATEGORY_ZL:
		case UTF8PROC_CATEGORY_ZP:
			s_put(f, "\n", 1);
			break;
		case UTF8PROC_CATEGORY_CC:
			if (r == 0x85)
				s_put(f, "\n", 1);
			break;
		case UTF8PROC_CATEGORY_CF:
		case UTF8PROC_CATEGORY_CS:
		case UTF8PROC_CATEGORY_MN:
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
			break;
		case UTF8PROC_CATEGORY_ZS:
			s_put(f, " ", 1);
			break;
		case UTF8PROC_CATEGORY_SO:
		case UTF8PROC_CATEGORY_SK:
		case UTF8PROC_CATEGORY_CO:
		case UTF8PROC_CATEGORY_CN:
			nsym++;
			s_put(f, " ", 1);
			break;
		default:
			/* The ligatures French and Danish write as one
			 * letter and as two ("cœur" and "coeur", "ex æquo"
			 * and "ex aequo"): NFKC keeps them, as it keeps
			 * "ß" (which case folding makes "ss"). */
			if (r == 0x153) {
				s_put(f, "oe", 2);
				break;
			}
			if (r == 0xE6) {
				s_put(f, "ae", 2);
				break;
			}
			if (r < 0x10000 && (s_conf[r] & S_CONF_LATIN)) {
				ch = (char)(s_conf[r] & 0x7f);
				s_put(f, &ch, 1);
			} else
				s_put(f, u, mf__utf8_enc(r, u));
			break;
		}
	}
	if (nsym > 0 && f->len == 1 && f->s[0] == ' ')
		f->kind = MF__FOLD_SYMBOL;
}

static void
s_init(void)
{
	mf__fold_t	f;

	for (uint32_t cp = 0; cp < 0x10000; cp++)
		if (s_is_letter_slow(cp))
			s_letter[cp >> 3] |= (uint8_t)(1u << (cp & 7));
	s_build_conf();
	for (uint32_t cp = S_CACHE_LO; cp < S_CACHE_HI; cp++) {
		s_centry_t *e = &s_cache[cp - S_CACHE_LO];

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		s_fold_compute(cp, &f);
		e->kind = f.kind;
		if (f.len > sizeof(e->s)) {
			e->len = S_CLEN_SLOW;
			continue;
		}
		e->len = f.len;
		memcpy(e->s, f.s, f.len);
	}
}

void
mf__fold_cp(uint32_t cp, mf__fold_t *f)
{
	pthread_once(&s_once, s_init);
	if (cp >= S_CACHE_LO && cp < S_CACHE_HI) {
		const s_centry_t *e = &s_cache[cp - S_CACHE_LO];

		if (e->len != S_CLEN_SLOW) {
			f->kind = e->kind;
			f->len = e->len;
			memcpy(f->s, e->s, e->len);
			return;
		}
	}
	s_fold_compute(cp, f);
}

void
mf__fold_warm(void)
{
	pthread_once(&s_once, s_init);
}

int
mf__confusable(uint32_t cp)
{
	pthread_once(&s_once, s_init);
	if (cp >= 0x10000)
		return 0;
	return s_conf[cp] & 0x7f;
}

int
mf__is_letter(uint32_t cp)
{
	if (cp >= 0x10000)
		return s_is_letter_slow(cp);
	pthread_once(&s_once, s_init);
	return (s_letter[cp >> 3] >> (cp & 7)) & 1;
}
