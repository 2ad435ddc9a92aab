/*
 * normalize.c - the text that rules match: folding of every code point
 * (stage 2), repair of obfuscated words (stage 3), and the public API of
 * normalize.h. See normalize_internal.h for the three stages and
 * docs/normalization.md for the choices and their limits.
 *
 * Not responsible for markup (markup.c) or for the tables of folded code
 * points and look-alike letters (confusable.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "buf.h"
#include "normalize_internal.h"

/* ---- UTF-8 --------------------------------------------------------------- */

size_t
mf_utf8_len(const void *p, size_t n)
{
	uint32_t cp;

	return mf__utf8_dec(p, n, &cp);
}

size_t
mf_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

size_t
mf__utf8_dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t	c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (n < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		c = ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
		    (p[2] & 0x3F);
		if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		*cp = c;
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		c = ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
		    ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		if (c < 0x10000 || c > 0x10FFFF)
			return 0;
		*cp = c;
		return 4;
	}
	return 0;
}

size_t
mf__utf8_enc(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* How common a byte is in folded text, 0 rare to 7: memmem looks for
 * a needle's rarest byte with memchr(), not for its first ("the" and
 * " in" would stop it at every word). */
static const unsigned char s_common[256] = {
	[' '] = 7, ['e'] = 6, ['t'] = 5, ['a'] = 5, ['o'] = 5, ['i'] = 5,
	['n'] = 5, ['s'] = 5, ['r'] = 4, ['h'] = 4, ['l'] = 4, ['d'] = 4,
	['c'] = 3, ['u'] = 3, ['m'] = 3, ['p'] = 2, ['g'] = 2, ['f'] = 2,
	['y'] = 2, ['w'] = 2, ['b'] = 2, ['v'] = 1, ['.'] = 1, [','] = 1,
};

const void *
mf__memmem(const void *hay, size_t n, const void *needle, size_t m)
{
	const unsigned char	*h = hay, *nd = needle, *p, *last;
	size_t			 k = 0;

	if (m == 0)
		return hay;
	if (n < m)
		return NULL;
	for (size_t i = 1; i < m && s_common[nd[k]] > 0; i++)
		if (s_common[nd[i]] < s_common[nd[k]])
			k = i;
	/* nd[k] is at p: the needle starts at p - k, at most at h + n - m. */
	for (p = h + k, last = h + n - m + k; p <= last; p++) {
		if ((p = memchr(p, nd[k], (size_t)(last - p) + 1)) == NULL)
			return NULL;
		if (memcmp(p - k, nd, m) == 0)
			return p - k;
	}
	return NULL;
}

/* ---- stage 2: folding ---------------------------------------------------- */

/* ASCII in the folded text: lower case; 0 drops the byte (NUL and the
 * control characters other than white space). */
static const unsigned char s_ascii[128] = {
	['\t'] = '\t', ['\n'] = '\n', ['\v'] = '\v', ['\f'] = '\f',
	['\r'] = '\r',
	[' '] = ' ', ['!'] = '!', ['"'] = '"', ['#'] = '#', ['$'] = '$',
	['%'] = '%', ['&'] = '&', ['\''] = '\'', ['('] = '(', [')'] = ')',
	['*'] = '*', ['+'] = '+', [','] = ',', ['-'] = '-', ['.'] = '.',
	['/'] = '/', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3',
	['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8',
	['9'] = '9', [':'] = ':', [';'] = ';', ['<'] = '<', ['='] = '=',
	['>'] = '>', ['?'] = '?', ['@'] = '@',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
	['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
	['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
	['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
	['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
	['Z'] = 'z', ['['] = '[', ['\\'] = '\\', [']'] = ']', ['^'] = '^',
	['_'] = '_', ['`'] = '`',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
	['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
	['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
	['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
	['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
	['z'] = 'z', ['{'] = '{', ['|'] = '|', ['}'] = '}', ['~'] = '~',
};

/* Makes room for 'need' bytes of text (plus the NUL) and of map. Returns
 * 1, or 0 and sets c->oom. Grows by doubling: once warm, no allocation. */
/* Grows the text and map of 'o' to hold 'need' bytes plus two spare
 * (see s_words()) and the NUL. 0, or -1 out of memory: each array grown
 * is kept, and 'cap' rises only once all three hold it. */
static int
s_grow(mf_norm_t *o, size_t need)
{
	size_t	 cap;
	void	*p;

	if (need + 2 < o->cap)
		return 0;
	cap = o->cap ? o->cap : 256;
	while (cap <= need + 2)
		cap *= 2;
	if ((p = mf_realloc(o->text, cap)) == NULL)
		return -1;
	o->text = p;
	if ((p = mf_realloc(o->ostart, cap * sizeof(size_t))) == NULL)
		return -1;
	o->ostart = p;
	if ((p = mf_realloc(o->oend, cap * sizeof(size_t))) == NULL)
		return -1;
	o->oend = p;
	o->cap = cap;
	return 0;
}

static int
s_reserve(mf__nctx_t *c, size_t need)
{
	if (need + 2 < c->out->cap)
		return 1;
	if (c->oom || s_grow(c->out, need) == -1) {
		c->oom = 1;
		return 0;
	}
	return 1;
}

static inline void
s_put(mf_norm_t *o, char ch, size_t oa, size_t ob)
{
	o->text[o->len] = ch;
	o->ostart[o->len] = oa;
	o->oend[o->len] = ob;
	o->len++;
}

/* A byte that may belong to a word, for deciding whether an invalid byte
 * sits inside one. */
static int
s_wordbyte(unsigned ch)
{
	return ch >= 0x80 || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* The emoji that mark mockery or disbelief: face with tears of joy,
 * rolling on the floor laughing, face with rolling eyes, clown face,
 * face palm, smirking face, upside-down face. */
static int
s_expressive(uint32_t cp)
{
	return cp == 0x1F602 || cp == 0x1F923 || cp == 0x1F644 ||
	    cp == 0x1F921 || cp == 0x1F926 || cp == 0x1F60F ||
	    cp == 0x1F643;
}

/* The emoji that stand for a word of a health claim, and the word they
 * become: the syringe for the shot, the microbe for the virus. Both
 * words are the same in the four languages' lexicons (rules/lexicon.rules),
 * so "el 💉" reads as "el vaccine" to es-vaccine as to en-vaccine. */
static const char *
s_emoji_word(uint32_t cp)
{
	switch (cp) {
	case 0x1F489:
		return "vaccine";
	case 0x1F9A0:
		return "virus";
	}
	return NULL;
}

/* What the symbol 'cp' reads as in normalized text, as a word of its own:
 * its word, or its own UTF-8 in 'u' (an emoji of mockery); *len set.
 * NULL when it is a space, as every other symbol is. */
static const char *
s_symbol_reads(uint32_t cp, char u[4], size_t *len)
{
	const char *w = s_emoji_word(cp);

	if (w != NULL) {
		*len = strlen(w);
		return w;
	}
	if (s_expressive(cp)) {
		*len = mf__utf8_enc(cp, u);
		return u;
	}
	return NULL;
}

/*
 * Folds the code point starting at p[i] (p[i] >= 0x80) of the piece p[..b)
 * and returns the index after it. 'lit' pieces map every byte to
 * [oa, ob); raw ones map to their own offsets.
 */
static size_t
s_fold_nonascii(mf__nctx_t *c, const unsigned char *p, size_t i, size_t b,
    int lit, size_t oa, size_t ob)
{
	mf_norm_t	*o = c->out;
	mf__fold_t	 f;
	uint32_t	 cp;
	size_t		 k = mf__utf8_dec(p + i, b - i, &cp), j, n;
	char		 u[4];
	const char	*w;

	if (!s_reserve(c, o->len + MF__FOLD_MAX + (b - i)))
		return b;
	if (k == 0) {
		/* A run of invalid bytes is one U+FFFD; inside a word (a
		 * letter or digit on each side) it is dropped instead, so a
		 * stray byte cannot hide a word. */
		j = i + 1;
		while (j < b && p[j] >= 0x80 && mf__utf8_dec(p + j, b - j,
		    &cp) == 0)
			j++;
		o->flags |= MF_NORMF_INVALID_UTF8;
		if (o->len > 0 && s_wordbyte((unsigned char)
		    o->text[o->len - 1]) && j < b && s_wordbyte(p[j])) {
			if (!lit)
				o->oend[o->len - 1] = j;
			return j;
		}
		if (!lit) {
			oa = i;
			ob = j;
		}
		s_put(o, '\xEF', oa, ob);
		s_put(o, '\xBF', oa, ob);
		s_put(o, '\xBD', oa, ob);
		return j;
	}
	j = i + k;
	if (!lit) {
		oa = i;
		ob = j;
	}
	mf__fold_cp(cp, &f);
	if (f.kind == MF__FOLD_SYMBOL && (w = s_symbol_reads(cp, u, &n))) {
		/* A few emoji say how a post is meant (mockery, eye-rolling):
		 * they stay, as a word of their own, for the sarcasm lists.
		 * A few others stand for a word, and become it. Both fit in
		 * the MF__FOLD_MAX reserved above. */
		if (o->len > 0 && o->text[o->len - 1] != ' ')
			s_put(o, ' ', oa, ob);
		for (size_t q = 0; q < n; q++)
			s_put(o, w[q], oa, ob);
		s_put(o, ' ', oa, ob);
		/* The blanks after it are the one it ends with: "the 💉
		 * kills" reads "the vaccine kills", as a pattern's one blank
		 * expects. */
		while (j < b && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (!lit)
			o->oend[o->len - 1] = j;
		c->symsp = o->len;
		return j;
	}
	if (f.kind == MF__FOLD_SYMBOL) {
		/* Emoji and symbols become one space per run. */
		if (c->symsp == o->len && o->len > 0)
			o->oend[o->len - 1] = ob;
		else {
			s_put(o, ' ', oa, ob);
			c->symsp = o->len;
		}
		return j;
	}
	if (f.len == 0 && o->len > 0 && o->oend[o->len - 1] < ob) {
		/* A dropped mark or format character belongs to the
		 * character before it: "e" + U+0301 maps to both. */
		o->oend[o->len - 1] = ob;
		return j;
	}
	for (size_t q = 0; q < f.len; q++)
		s_put(o, f.s[q], oa, ob);
	return j;
}

/*
 * Links are sources, not text: the rules do not see them (a debunk's link
 * to ".../laetrile-pdq" must not complete a laetrile rule), and match.c
 * scores them against the source lists from the original body. Returns
 * the end of the link that starts at i ("http://", "https://", "www."
 * at a word start), or i when none does.
 */
static size_t
s_link_end(const unsigned char *p, size_t a, size_t i, size_t b)
{
	size_t e;

	/* Most 'h' and 'w' start words ("the", "with"): look at the next
	 * letter before comparing prefixes. */
	if (i + 4 >= b || ((p[i + 1] | 0x20) != 't' && (p[i + 1] | 0x20) !=
	    'w'))
		return i;
	if (i > a && (isalnum(p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '/'))
		return i;
	if (b - i >= 8 && strncasecmp((const char *)p + i, "https://", 8) == 0)
		e = i + 8;
	else if (b - i >= 7 && strncasecmp((const char *)p + i, "http://", 7)
	    == 0)
		e = i + 7;
	else if (b - i >= 5 && strncasecmp((const char *)p + i, "www.", 4) ==
	    0 && isalnum(p[i + 4]))
		e = i + 4;
	else
		return i;
	while (e < b && p[e] > ' ' && p[e] != 0x7f && strchr("\"'<>()[]{}|`",
	    p[e]) == NULL)
		e++;
	/* Sentence punctuation after a link belongs to the sentence. */
	while (e > i && strchr(".,;:!?", p[e - 1]) != NULL)
		e--;
	return e;
}

static void s_norm_raw(mf__nctx_t *c, size_t a, size_t b);

void
mf__norm_raw(mf__nctx_t *c, size_t a, size_t b)
{
	const unsigned char	*p = c->body;
	size_t			 i = a, from = a, e;

	/* Only 'h' and 'w' can start a link. */
	for (; i < b; i++) {
		if ((p[i] | 0x20) != 'h' && (p[i] | 0x20) != 'w')
			continue;
		if ((e = s_link_end(p, a, i, b)) == i)
			continue;
		s_norm_raw(c, from, i);
		if (s_reserve(c, c->out->len + 1))
			s_put(c->out, ' ', i, e);
		from = i = e;
		i--;
	}
	s_norm_raw(c, from, b);
}

static void
s_norm_raw(mf__nctx_t *c, size_t a, size_t b)
{
	const unsigned char	*p = c->body;
	mf_norm_t		*o = c->out;
	size_t			 i = a, n;
	char			*t;
	size_t			*os, *oe;

	if (a >= b || !s_reserve(c, o->len + (b - a)))
		return;
	/* Every ASCII byte yields at most one byte, so the room reserved
	 * above (and again after each non-ASCII code point) suffices. */
	for (;;) {
		t = o->text;
		os = o->ostart;
		oe = o->oend;
		n = o->len;
#if defined(__SSE2__)
		/* 16 bytes of printable ASCII or newlines at a time. */
		while (i + 16 <= b) {
			__m128i	v = _mm_loadu_si128((const __m128i *)(p + i));
			__m128i	up, bad;

			bad = _mm_andnot_si128(_mm_cmpeq_epi8(v,
			    _mm_set1_epi8('\n')), _mm_cmplt_epi8(v,
			    _mm_set1_epi8(0x20)));
			bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v,
			    _mm_set1_epi8(0x7f)));
			if (_mm_movemask_epi8(bad) != 0)
				break;
			up = _mm_and_si128(_mm_cmpgt_epi8(v,
			    _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v,
			    _mm_set1_epi8('Z' + 1)));
			v = _mm_add_epi8(v, _mm_and_si128(up,
			    _mm_set1_epi8(0x20)));
			_mm_storeu_si128((__m128i *)(t + n), v);
			for (size_t k = 0; k < 16; k++) {
				os[n + k] = i + k;
				oe[n + k] = i + k + 1;
			}
			n += 16;
			i += 16;
		}
#endif
		while (i < b && p[i] < 0x80) {
			unsigned char ch = s_ascii[p[i]];

			if (ch != 0) {
				t[n] = (char)ch;
				os[n] = i;
				oe[n] = i + 1;
				n++;
			}
			i++;
		}
		o->len = n;
		if (i >= b || c->oom)
			break;
		i = s_fold_nonascii(c, p, i, b, 0, 0, 0);
	}
}

void
mf__norm_lit(mf__nctx_t *c, const char *s, size_t n, size_t oa, size_t ob)
{
	const unsigned char	*p = (const unsigned char *)s;
	mf_norm_t		*o = c->out;
	size_t			 i = 0;

	while (i < n && !c->oom) {
		if (p[i] < 0x80) {
			if (!s_reserve(c, o->len + 1))
				return;
			if (s_ascii[p[i]] != 0)
				s_put(o, (char)s_ascii[p[i]], oa, ob);
			i++;
		} else
			i = s_fold_nonascii(c, p, i, n, 1, oa, ob);
	}
}

void
mf__norm_break(mf__nctx_t *c, size_t oa, size_t ob)
{
	if (s_reserve(c, c->out->len + 1))
		s_put(c->out, '\n', oa, ob);
}

/* ---- stage 3: words ------------------------------------------------------ */

/*
 * Stage 3 rewrites out->text in place: the write index w never passes the
 * read index r, because every rewrite keeps or shortens the text (a
 * look-alike letter of 2-3 bytes becomes 1; separators between spaced-out
 * letters go). A "chunk" is a run of non-space bytes; a "word" is a run
 * of letters, digits and leet characters inside a chunk.
 */
#define S_WMAX		64	/* longer words are left alone */

enum {
	S_ALPHA = 1,	/* a-z */
	S_DIGIT = 2,	/* 0-9 */
	S_SYM = 4,	/* @ $ ! ( : symbols with a letter reading */
	S_SPACE = 8,	/* white space: ends a chunk */
	S_JSEP = 16	/* may separate spaced-out letters */
};

static const uint8_t s_cls[128] = {
	['\t'] = S_SPACE, ['\n'] = S_SPACE, ['\v'] = S_SPACE,
	['\f'] = S_SPACE, ['\r'] = S_SPACE, [' '] = S_SPACE | S_JSEP,
	['.'] = S_JSEP, ['-'] = S_JSEP, ['_'] = S_JSEP, ['*'] = S_JSEP,
	['~'] = S_JSEP, ['+'] = S_JSEP, ['|'] = S_JSEP, ['/'] = S_JSEP,
	['@'] = S_SYM, ['$'] = S_SYM, ['!'] = S_SYM, ['('] = S_SYM,
	['0'] = S_DIGIT, ['1'] = S_DIGIT, ['2'] = S_DIGIT, ['3'] = S_DIGIT,
	['4'] = S_DIGIT, ['5'] = S_DIGIT, ['6'] = S_DIGIT, ['7'] = S_DIGIT,
	['8'] = S_DIGIT, ['9'] = S_DIGIT,
	['a'] = S_ALPHA, ['b'] = S_ALPHA, ['c'] = S_ALPHA, ['d'] = S_ALPHA,
	['e'] = S_ALPHA, ['f'] = S_ALPHA, ['g'] = S_ALPHA, ['h'] = S_ALPHA,
	['i'] = S_ALPHA, ['j'] = S_ALPHA, ['k'] = S_ALPHA, ['l'] = S_ALPHA,
	['m'] = S_ALPHA, ['n'] = S_ALPHA, ['o'] = S_ALPHA, ['p'] = S_ALPHA,
	['q'] = S_ALPHA, ['r'] = S_ALPHA, ['s'] = S_ALPHA, ['t'] = S_ALPHA,
	['u'] = S_ALPHA, ['v'] = S_ALPHA, ['w'] = S_ALPHA, ['x'] = S_ALPHA,
	['y'] = S_ALPHA, ['z'] = S_ALPHA,
};

/* The letter that a leet character stands for, or 0. */
static const char s_leet[128] = {
	['0'] = 'o', ['1'] = 'i', ['!'] = 'i', ['3'] = 'e', ['4'] = 'a',
	['@'] = 'a', ['5'] = 's', ['$'] = 's', ['7'] = 't', ['('] = 'c',
};

/* Identifiers with a digit between letters that read as leet but are
 * not: kept as written. */
static const char *const s_keep_words[] = {
	"a1c", "hba1c", "ba1", "g6pd", "c4d", "h5n1", "h1n1", "h7n9", "n95",
	"kn95", "ffp2", "ffp3", "p4", "t4", "k2", "b1", "b3", "b5", "b7",
};

/* One code point of a word under repair. */
typedef struct s_item {
	size_t		pos;	/* in out->text */
	uint32_t	cp;
	uint8_t		len;	/* bytes */
	uint8_t		letter;	/* a letter (ASCII or not) */
	char		to;	/* replacement ASCII letter, or 0 */
} s_item_t;

typedef struct s_wctx {
	mf_norm_t	*o;
	size_t		 w;	/* write index */
	size_t		 n;	/* length of the folded text */
	int		 leet;	/* leet and spacing repair enabled */
} s_wctx_t;

static inline unsigned
s_cls_at(const s_wctx_t *x, size_t i)
{
	unsigned char ch = (unsigned char)x->o->text[i];

	return ch < 0x80 ? s_cls[ch] : 0;
}

/* Decodes the folded text at i (valid UTF-8 by construction). */
static size_t
s_cp_at(const s_wctx_t *x, size_t i, uint32_t *cp)
{
	size_t k = mf__utf8_dec((const unsigned char *)x->o->text + i,
	    x->n - i, cp);

	if (k == 0) {
		*cp = 0xFFFD;
		k = 1;
	}
	return k;
}

/* Non-zero when the code point at i is a letter, digit, '@' or '$': what
 * a word is made of. */
static int
s_wordch_at(const s_wctx_t *x, size_t i)
{
	unsigned char	ch;
	uint32_t	cp;

	if (i >= x->n)
		return 0;
	ch = (unsigned char)x->o->text[i];
	if (ch < 0x80)
		return (s_cls[ch] & (S_ALPHA | S_DIGIT)) || ch == '@' ||
		    ch == '$';
	s_cp_at(x, i, &cp);
	return mf__is_letter(cp);
}

/* Copies the folded bytes [a, b) to the write index (a >= w). */
static inline void
s_move(s_wctx_t *x, size_t a, size_t b)
{
	mf_norm_t	*o = x->o;
	size_t		 w = x->w;

	if (w == a) {
		x->w = b;
		return;
	}
	for (; a < b; a++, w++) {
		o->text[w] = o->text[a];
		o->ostart[w] = o->ostart[a];
		o->oend[w] = o->oend[a];
	}
	x->w = w;
}

static void
s_emit_items(s_wctx_t *x, const s_item_t *it, size_t n)
{
	mf_norm_t *o = x->o;

	for (size_t k = 0; k < n; k++) {
		if (it[k].to != 0) {
			size_t oa = o->ostart[it[k].pos];
			size_t ob = o->oend[it[k].pos + it[k].len - 1];

			o->text[x->w] = it[k].to;
			o->ostart[x->w] = oa;
			o->oend[x->w] = ob;
			x->w++;
		} else
			s_move(x, it[k].pos, it[k].pos + it[k].len);
	}
}

/* Fills one item for the code point at i; returns its length. */
static size_t
s_item_at(const s_wctx_t *x, size_t i, s_item_t *it)
{
	size_t k = s_cp_at(x, i, &it->cp);

	it->pos = i;
	it->len = (uint8_t)k;
	it->to = 0;
	it->letter = it->cp < 0x80 ? (s_cls[it->cp] & S_ALPHA) != 0 :
	    mf__is_letter(it->cp);
	return k;
}

static int
s_is_keep_word(const s_item_t *it, size_t n)
{
	char	w[8];

	if (n >= sizeof(w))
		return 0;
	for (size_t k = 0; k < n; k++) {
		if (it[k].cp >= 0x80)
			return 0;
		w[k] = (char)it[k].cp;
	}
	w[n] = '\0';
	for (size_t k = 0; k < sizeof(s_keep_words) / sizeof(*s_keep_words);
	    k++)
		if (strcmp(w, s_keep_words[k]) == 0)
			return 1;
	return 0;
}

/* Non-zero when a character that is not a letter sits between two letters
 * of it[0 .. n). */
static int
s_inner_leet(const s_item_t *it, size_t n)
{
	size_t	k = 0, last = n;

	while (k < n && !it[k].letter)
		k++;
	while (last > k && !it[last - 1].letter)
		last--;
	for (; k < last; k++)
		if (!it[k].letter)
			return 1;
	return 0;
}

/*
 * Decides the replacements of a word's items: look-alike letters of
 * other scripts folded when the word also holds Latin letters (a wholly
 * Cyrillic word is Russian, not a disguise), then leetspeak when the word
 * reads as letters with leet characters between them. 'paren' is
 * non-zero when a ')' follows in the chunk (then '(' is punctuation).
 */
static void
s_plan(const s_wctx_t *x, s_item_t *it, size_t n, int paren)
{
	size_t	letters = 0, ascii = 0, other = 0, leetc = 0, run = 0;
	size_t	maxrun = 0, fl = n, ll = 0;
	int	interior;

	for (size_t k = 0; k < n; k++) {
		if (it[k].letter) {
			letters++;
			if (it[k].cp < 0x80)
				ascii++;
			else
				other++;
			if (fl == n)
				fl = k;
			ll = k;
		}
		if (it[k].cp >= '0' && it[k].cp <= '9') {
			if (++run > maxrun)
				maxrun = run;
		} else
			run = 0;
		if (!it[k].letter)
			leetc++;
	}
	if (letters == 0)
		return;
	interior = s_inner_leet(it, n);
	if (other > 0 && (ascii > 0 || (x->leet && interior)))
		for (size_t k = 0; k < n; k++)
			if (it[k].cp >= 0x80 && it[k].letter)
				it[k].to = (char)mf__confusable(it[k].cp);
	if (!x->leet || leetc == 0 || !interior || letters < 2 ||
	    maxrun >= 3)
		return;
	/* Every character between the first and last letter must have a
	 * letter reading: "a2b", "x(y)" are not leetspeak. */
	for (size_t k = fl; k < ll; k++) {
		uint32_t cp = it[k].cp;

		if (it[k].letter)
			continue;
		if (cp >= 0x80 || s_leet[cp] == 0 || (cp == '(' && paren))
			return;
	}
	/* Two letters and a final digit: an identifier (h1n1, b2b1). */
	if (letters == 2 && it[n - 1].cp >= '0' && it[n - 1].cp <= '9')
		return;
	if (s_is_keep_word(it, n))
		return;
	for (size_t k = fl; k < ll; k++)
		if (!it[k].letter)
			it[k].to = s_leet[it[k].cp];
	/* Leading leet (at most two, never a mention's '@') and one
	 * trailing leet character go with a word that has interior leet. */
	if (fl > 0 && fl <= 2 && it[0].cp != '@') {
		int ok = 1;

		for (size_t k = 0; k < fl; k++)
			if (it[k].cp >= 0x80 || s_leet[it[k].cp] == 0 ||
			    it[k].cp == '(')
				ok = 0;
		for (size_t k = 0; ok && k < fl; k++)
			it[k].to = s_leet[it[k].cp];
	}
	if (ll + 2 == n && it[n - 1].cp < 0x80 && s_leet[it[n - 1].cp] != 0)
		it[n - 1].to = s_leet[it[n - 1].cp];
}

/* The length of it[0 .. n) once trailing '@', '!', '(' are cut: they are
 * punctuation ("mail me @", "wow!"), but a final '@' right after the last
 * letter of a word that already has leet between its letters is an 'a':
 * "c0r0n@", "v@cun@". */
static size_t
s_cut_trailing(const s_item_t *it, size_t n)
{
	if (n >= 3 && it[n - 1].cp == '@' && it[n - 2].letter &&
	    s_inner_leet(it, n - 1))
		return n;
	while (n > 0 && (it[n - 1].cp == '@' || it[n - 1].cp == '!' ||
	    it[n - 1].cp == '('))
		n--;
	return n;
}

/* Non-zero when the chunk [a, b) holds a URL or an e-mail address, which
 * are left exactly as written. */
static int
s_chunk_verbatim(const char *s, size_t n)
{
	const char	*at, *dot, *slash;

	if (n < 4)
		return 0;
	if (mf__memmem(s, n, "://", 3) != NULL || strncmp(s, "www.", 4) == 0)
		return 1;
	if ((at = memchr(s, '@', n)) != NULL && at > s &&
	    (dot = memchr(at, '.', n - (size_t)(at - s))) != NULL &&
	    dot + 1 < s + n && s_wordbyte((unsigned char)dot[1]))
		return 1;
	/* host.tld/path */
	if ((slash = memchr(s, '/', n)) != NULL && slash > s &&
	    (dot = memchr(s, '.', (size_t)(slash - s))) != NULL && dot > s &&
	    s_wordbyte((unsigned char)dot[-1]) &&
	    s_wordbyte((unsigned char)dot[1]))
		return 1;
	return 0;
}

/* A single-character unit of a spaced-out word: a letter, a digit, '@'
 * or '$'. */
static int
s_unit(const s_item_t *it)
{
	return it->letter || (it->cp < 0x80 && (s_cls[it->cp] & S_DIGIT)) ||
	    it->cp == '@' || it->cp == '$';
}

/*
 * Tries to join spaced or dotted-out letters starting at r ("v a c c i n
 * e", "m.m.s."): at least three single units with the same one-byte
 * separator, at least three of them letters and more letters than not.
 * Returns the index after the last unit, or r when there is none.
 */
static size_t
s_try_join(s_wctx_t *x, size_t r)
{
	s_item_t	it[S_WMAX];
	size_t		n = 0, p, letters = 0;
	unsigned char	sep;

	p = r + s_item_at(x, r, &it[0]);
	if (p + 1 >= x->n || !(s_cls_at(x, p) & S_JSEP) || !s_unit(&it[0]))
		return r;
	sep = (unsigned char)x->o->text[p];
	letters = it[0].letter;
	n = 1;
	while (n < S_WMAX && p + 1 < x->n &&
	    (unsigned char)x->o->text[p] == sep) {
		size_t q = p + 1, k = s_item_at(x, q, &it[n]);

		if (!s_unit(&it[n]) || s_wordch_at(x, q + k))
			break;
		letters += it[n].letter;
		n++;
		p = q + k;
	}
	if (n < 3 || letters < 3 || letters * 2 <= n)
		return r;
	s_plan(x, it, n, 0);
	s_emit_items(x, it, n);
	return p;
}

/*
 * Repairs the word starting at r (a word character) and returns the index
 * after it.
 */
static size_t
s_word(s_wctx_t *x, size_t r)
{
	const unsigned char	*t = (const unsigned char *)x->o->text;
	s_item_t		 it[S_WMAX];
	size_t			 e = r, n = 0;
	int			 plain = 1, paren = 0;

	/* Fast path: a run of ASCII letters needs nothing. */
	while (e < x->n && t[e] < 0x80 && (s_cls[t[e]] & S_ALPHA))
		e++;
	if (e >= x->n || (t[e] < 0x80 && !(s_cls[t[e]] & (S_DIGIT | S_SYM))))
		goto plain;
	/* Words wholly in another script: nothing below changes them. */
	for (e = r; e < x->n && t[e] >= 0x80;) {
		uint32_t	cp;
		size_t		k = s_cp_at(x, e, &cp);

		if (!mf__is_letter(cp))
			break;
		e += k;
	}
	if (e > r && (e >= x->n || (t[e] < 0x80 &&
	    !(s_cls[t[e]] & (S_ALPHA | S_DIGIT | S_SYM)))))
		goto plain;
	/* Slow path: collect the word's code points. */
	e = r;
	while (e < x->n && n < S_WMAX) {
		unsigned char	ch = t[e];
		size_t		k;

		if (ch < 0x80) {
			if (!(s_cls[ch] & (S_ALPHA | S_DIGIT | S_SYM)))
				break;
			/* '!' and '(' only inside a word */
			if ((ch == '!' || ch == '(') && !s_wordch_at(x, e + 1)
			    && !(e + 1 < x->n && (t[e + 1] == '!' ||
			    t[e + 1] == '(')))
				break;
			if (!(s_cls[ch] & S_ALPHA))
				plain = 0;
		}
		k = s_item_at(x, e, &it[n]);
		if (ch >= 0x80) {
			if (!it[n].letter)
				break;
			plain = 0;
		}
		n++;
		e += k;
	}
	if (n == S_WMAX) {
		/* Too long to be a disguised word: copy it through. */
		while (e < x->n && s_wordch_at(x, e))
			e += s_cp_at(x, e, &it[0].cp);
		goto plain;
	}
	n = s_cut_trailing(it, n);
	if (n == 0) {
		e = r + it[0].len;
		goto plain;
	}
	e = it[n - 1].pos + it[n - 1].len;
	if (plain)
		goto plain;
	/* A ')' later on the line makes '(' a parenthesis: f(x, y). */
	for (size_t k = e; k < x->n && k < e + 80 && t[k] != '\n'; k++)
		if (t[k] == ')') {
			paren = 1;
			break;
		}
	s_plan(x, it, n, paren);
	s_emit_items(x, it, n);
	return e;
plain:
	s_move(x, r, e);
	return e;
}

/* At a word character r: URLs and addresses stay as written, spaced-out
 * letters are joined, other words repaired. Returns the index after. */
static size_t
s_word_at(s_wctx_t *x, size_t r, size_t cs, size_t *cend, int *verbatim)
{
	const unsigned char	*t = (const unsigned char *)x->o->text;
	size_t			 k;

	if (!x->leet)
		return s_word(x, r);
	if (r >= *cend) {
		for (*cend = r; *cend < x->n && !(t[*cend] < 0x80 &&
		    (s_cls[t[*cend]] & S_SPACE)); (*cend)++)
			;
		*verbatim = s_chunk_verbatim((const char *)t + cs, *cend - cs);
	}
	if (*verbatim) {
		s_move(x, r, *cend);
		return *cend;
	}
	if ((k = s_try_join(x, r)) != r)
		return k;
	return s_word(x, r);
}

/*
 * Returns the first index at or after r that may hold something for the
 * slow path, looking at 16 bytes at a time: a digit, a byte >= 0x80, a
 * control character, '@ $ ! (' or a rare separator, or a separator
 * repeated two bytes on (spaced-out letters). Near the end it returns r.
 * Keeps *cs, the start of the current chunk, up to date. Reads up to
 * t[n + 1], which s_words() zeroes.
 */
static size_t
s_skip_plain(const unsigned char *t, size_t r, size_t n, size_t *cs)
{
#if defined(__SSE2__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static const char syms[] = "@$!(_*~+|/";

	while (r + 16 <= n) {
		__m128i	v = _mm_loadu_si128((const __m128i *)(t + r));
		__m128i	v1 = _mm_loadu_si128((const __m128i *)(t + r + 1));
		__m128i	v2 = _mm_loadu_si128((const __m128i *)(t + r + 2));
		__m128i	bad, sep;
		int	m, sp;

		/* bytes < 0x20 or >= 0x80 here or next (signed compare) */
		bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
		    _mm_cmplt_epi8(v1, _mm_set1_epi8(0)));
		bad = _mm_or_si128(bad, _mm_and_si128(
		    _mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
		    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
		for (size_t k = 0; k < sizeof(syms) - 1; k++)
			bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v,
			    _mm_set1_epi8(syms[k])));
		sep = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
		bad = _mm_or_si128(bad, _mm_and_si128(sep,
		    _mm_cmpeq_epi8(v, v2)));
		m = _mm_movemask_epi8(bad);
		sp = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
		if (m != 0)
			sp &= (1 << __builtin_ctz((unsigned)m)) - 1;
		if (sp != 0)
			*cs = r + (size_t)(32 - __builtin_clz((unsigned)sp));
		if (m != 0)
			return r + (size_t)__builtin_ctz((unsigned)m);
		r += 16;
	}
#else
	(void)t;
	(void)n;
	(void)cs;
#endif
	return r;
}

/*
 * Stage 3 over the whole folded text. Most of a post is plain: ASCII
 * letters, blanks and punctuation that no rule below changes.
 * s_skip_plain() passes over such bytes 16 at a time (spaced-out letters
 * are spotted there too: a separator, a letter, the same separator);
 * then one byte is looked at closely, and plain text is copied in bulk,
 * and leaves the rest to the slow path, which starts at the beginning of
 * the word holding the interesting byte.
 */
static void
s_words(mf__nctx_t *c, int leet)
{
	s_wctx_t		 x = { c->out, 0, c->out->len, leet };
	unsigned char		*t = (unsigned char *)c->out->text;
	size_t			 n = x.n, r = 0, done = 0, cs = 0, cend = 0;
	size_t			 skip = SIZE_MAX, ws, e;
	int			 verbatim = 0;
	uint32_t		 cp;

	t[n] = t[n + 1] = '\0';	/* room kept by s_reserve() */
	while (r < n) {
		unsigned	ch, cls, p1, p2;
		int		cand;

		if ((r = s_skip_plain(t, r, n, &cs)) >= n)
			break;
		ch = t[r];
		cls = ch < 0x80 ? s_cls[ch] : S_DIGIT;
		p1 = r >= 1 ? t[r - 1] : 0;
		p2 = r >= 2 ? t[r - 2] : 0;
		cand = leet && (cls & S_JSEP) && p1 < 0x80 &&
		    (s_cls[p1] & S_ALPHA) && (t[r + 2] == ch ||
		    t[r + 1] >= 0x80) && p2 < 0x80 &&
		    !(s_cls[p2] & (S_ALPHA | S_DIGIT)) && r != skip;
		if (!cand && !(cls & (S_DIGIT | S_SYM))) {
			if (cls & S_SPACE)
				cs = r + 1;
			r++;
			continue;
		}
		/* Slow path: back to the start of the word. */
		if (cand)
			ws = r - 1;
		else
			for (ws = r; ws > done && t[ws - 1] < 0x80 &&
			    (s_cls[t[ws - 1]] & S_ALPHA); ws--)
				;
		s_move(&x, done, ws);
		if (s_wordch_at(&x, ws))
			e = s_word_at(&x, ws, cs, &cend, &verbatim);
		else {
			e = ws + s_cp_at(&x, ws, &cp);
			s_move(&x, ws, e);
		}
		done = r = e;
		skip = e;
	}
	s_move(&x, done, n);
	c->out->len = x.w;
}

/* ---- API ----------------------------------------------------------------- */

int
mf_normalize(mf_norm_t *out, const char *body, size_t len, mf_format_t fmt,
    unsigned opts, mf_err_t *err)
{
	mf__nctx_t	c;

	assert(out != NULL);
	assert(body != NULL || len == 0);
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.body = (const unsigned char *)(body ? body : "");
	c.blen = len;
	c.opts = opts;
	c.symsp = SIZE_MAX;
	out->len = 0;
	out->flags = 0;
	out->head_len = out->body_at = out->agreed = 0;
	if (!s_reserve(&c, len + 16))
		goto oom;
	mf__markup_reduce(&c, fmt);
	if (c.oom)
		goto oom;
	s_words(&c, !(opts & MF_NORM_NO_LEET));
	out->text[out->len] = '\0';
	return 0;
oom:
	out->len = 0;
	if (out->text != NULL && out->cap > 0)
		out->text[0] = '\0';
	return mf_err_set(err, MF_ENOMEM, "normalize",
	    "out of memory normalizing a %zu-byte body", len);
}

void
mf_norm_free(mf_norm_t *self)
{
	if (self == NULL)
		return;
	mf_free(self->text);
	mf_free(self->ostart);
	mf_free(self->oend);
	mf_free(self->scratch);
	memset(self, 0, sizeof(*self));
}

int
mf_norm_join(mf_norm_t *self, const mf_norm_t *head, size_t head_len,
    mf_err_t *err)
{
	size_t	 k = head->len + 2, base = head_len + 2, need;

	assert(self != NULL && head != NULL && self->body_at == 0);
	need = self->len + k;
	if (s_grow(self, need) == -1)
		return mf_err_set(err, MF_ENOMEM, "normalize", "out of memory "
		    "joining a %zu-byte title to the body", head_len);
	memmove(self->text + k, self->text, self->len);
	memmove(self->ostart + k, self->ostart, self->len * sizeof(size_t));
	memmove(self->oend + k, self->oend, self->len * sizeof(size_t));
	for (size_t i = k; i < need; i++) {
		self->ostart[i] += base;
		self->oend[i] += base;
	}
	memcpy(self->text, head->text, head->len);
	memcpy(self->ostart, head->ostart, head->len * sizeof(size_t));
	memcpy(self->oend, head->oend, head->len * sizeof(size_t));
	for (size_t i = 0; i < 2; i++) {
		self->text[head->len + i] = '\n';
		self->ostart[head->len + i] = head_len + i;
		self->oend[head->len + i] = head_len + i + 1;
	}
	self->len = need;
	self->text[need] = '\0';
	self->flags |= head->flags;
	self->head_len = head_len;
	self->body_at = base;
	return 0;
}

void
mf_norm_span(const mf_norm_t *self, size_t a, size_t b, size_t *ostart,
    size_t *oend)
{
	size_t	pos;

	assert(self != NULL && ostart != NULL && oend != NULL);
	if (b > self->len)
		b = self->len;
	if (a < b) {
		*ostart = self->ostart[a];
		*oend = self->oend[b - 1];
		return;
	}
	/* An empty span sits where byte a starts (or after the last). */
	if (a < self->len)
		pos = self->ostart[a];
	else
		pos = self->len > 0 ? self->oend[self->len - 1] : 0;
	*ostart = *oend = pos;
}

const char *
mf_normalize_dead_symbol(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, len;
	uint32_t		 cp;
	mf__fold_t		 f;
	char			 u[4];

	while (i < n) {
		if (p[i] < 0x80 || (k = mf__utf8_dec(p + i, n - i, &cp)) == 0) {
			i++;
			continue;
		}
		mf__fold_cp(cp, &f);
		if (f.kind == MF__FOLD_SYMBOL && s_symbol_reads(cp, u, &len) ==
		    NULL)
			return s + i;
		i += k;
	}
	return NULL;
}

char *
mf_normalize_pattern(const char *pattern, mf_err_t *err)
{
	const unsigned char	*p = (const unsigned char *)pattern;
	mf_buf_t		 b = { 0 };
	size_t			 n, i = 0, len;
	char			 u[4];

	assert(pattern != NULL);
	n = strlen(pattern);
	if (mf_buf_reserve(&b, n + 1) != 0)
		goto oom;
	b.data[0] = '\0';
	while (i < n) {
		size_t		k = i;
		uint32_t	cp;
		mf__fold_t	f;

		while (k < n && p[k] < 0x80)
			k++;
		if (k > i && mf_buf_append(&b, p + i, k - i) != 0)
			goto oom;
		if ((i = k) >= n)
			break;
		if ((k = mf__utf8_dec(p + i, n - i, &cp)) == 0) {
			if (mf_buf_append(&b, "\xEF\xBF\xBD", 3) != 0)
				goto oom;
			i++;
			continue;
		}
		mf__fold_cp(cp, &f);
		if (f.kind == MF__FOLD_SYMBOL) {
			/* A symbol reads in a pattern as in the text (a word,
			 * or itself), and one that is a space in the text
			 * stays as written: `rules check` warns of it. */
			const char	*w = s_symbol_reads(cp, u, &len);

			if (w == NULL) {
				w = u;
				len = mf__utf8_enc(cp, u);
			}
			if (mf_buf_append(&b, w, len) != 0)
				goto oom;
		} else if (f.len > 0 && mf_buf_append(&b, f.s, f.len) != 0)
			goto oom;
		i += k;
	}
	return b.data;
oom:
	mf_buf_free(&b);
	mf_err_set(err, MF_ENOMEM, "normalize", "out of memory normalizing "
	    "a pattern");
	return NULL;
}
