/*
 * normalize_test.c - selftests of the normalizer (normalize.h): obfuscated
 * claims generated from plain ones, each trick alone and combined, must
 * normalize to the plain words and map back to exactly the disguised
 * words; numbers, URLs and code stay readable; quotes are cut in every
 * format; the offset map holds its invariants on random bytes.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "harness.h"
#include "normalize.h"
#include "normalize_internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Normalizes 's' (NUL-terminated) as 'fmt' with 'opts'; returns the text
 * (valid until the next call). */
static const char *
s_norm(mf_norm_t *n, const char *s, mf_format_t fmt, unsigned opts)
{
	mf_err_t err = { 0 };

	MF_ASSERT_EQ(0, mf_normalize(n, s, strlen(s), fmt, opts, &err));
	return n->text;
}

static int
s_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Finds 'word' as a whole word in n->text at or after *from; returns its
 * start or -1, and moves *from past it. */
static long
s_find_word(const mf_norm_t *n, const char *word, size_t *from)
{
	size_t		 wl = strlen(word);
	const char	*p = n->text + *from;

	while ((p = strstr(p, word)) != NULL) {
		size_t a = (size_t)(p - n->text), b = a + wl;

		if ((a == 0 || !s_alnum((unsigned char)n->text[a - 1])) &&
		    (b >= n->len || !s_alnum((unsigned char)n->text[b]))) {
			*from = b;
			return (long)a;
		}
		p++;
	}
	return -1;
}

/* Checks the offset map and the text of 'n' for an original of 'len'
 * bytes: in bounds, monotone, non-empty ranges, valid UTF-8, no NUL. */
static void
s_check_map(const mf_norm_t *n, size_t len)
{
	MF_ASSERT_NOT_NULL(n->text);
	MF_ASSERT_EQ(n->len, strlen(n->text));
	for (size_t i = 0; i < n->len; i++) {
		MF_ASSERT(n->ostart[i] < n->oend[i]);
		MF_ASSERT(n->oend[i] <= len);
		if (i > 0) {
			MF_ASSERT(n->ostart[i - 1] <= n->ostart[i]);
			MF_ASSERT(n->oend[i - 1] <= n->oend[i]);
		}
	}
	for (size_t i = 0; i < n->len;) {
		unsigned char	c = (unsigned char)n->text[i];
		size_t		k = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ?
		    2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;

		MF_ASSERT(k > 0 && i + k <= n->len);
		for (size_t j = 1; j < k; j++)
			MF_ASSERT(((unsigned char)n->text[i + j] & 0xC0) ==
			    0x80);
		i += k;
	}
}

/* ---- the obfuscation matrix ---------------------------------------------- */

static const char *const s_claims[] = {
	"vaccines cause autism",
	"bleach cures autism",
	"drink mms daily",
	"ivermectin cures covid",
	"masks cause hypoxia",
	"vitamin cures cancer",
	"garlic cures influenza",
	"fluoride lowers intelligence",
	"vaccines contain microchips",
	"hydroxychloroquine prevents covid",
	"turmeric cures diabetes",
	"homeopathy cures measles",
	"colloidal silver kills viruses",
	"apricot seeds cure cancer",
	"sunscreen causes cancer",
};

enum {
	O_LEETD = 1 << 0,	/* interior digits: v4cc1nes */
	O_LEETS = 1 << 1,	/* interior symbols: v@cc!nes */
	O_SPACED = 1 << 2,	/* v a c c i n e s */
	O_DOTTED = 1 << 3,	/* v.a.c.c.i.n.e.s */
	O_DASHED = 1 << 4,	/* v-a-c-c-i-n-e-s */
	O_ZWSP = 1 << 5,	/* U+200B between letters */
	O_SHY = 1 << 6,		/* soft hyphens between letters */
	O_CYR = 1 << 7,		/* Cyrillic look-alikes */
	O_GREEK = 1 << 8,	/* Greek look-alikes */
	O_FULL = 1 << 9,	/* fullwidth forms */
	O_CAPS = 1 << 10,	/* ALL CAPS */
	O_ACC = 1 << 11,	/* precomposed accents on vowels */
	O_COMB = 1 << 12,	/* combining accents on vowels */
	O_EMOJI = 1 << 13,	/* emoji between words */
	O_MD = 1 << 14,		/* **word** in markdown */
	O_BB = 1 << 15,		/* [b]word[/b] in BBCode */
	O_HTML = 1 << 16,	/* <b>word</b> and an entity in HTML */
	O_WIKI = 1 << 17,	/* '''word''' in wikitext */
	O_ENT = 1 << 18		/* one letter as a numeric entity */
};

static const unsigned s_tricks[] = {
	0, O_LEETD, O_LEETS, O_SPACED, O_DOTTED, O_DASHED, O_ZWSP, O_SHY,
	O_CYR, O_GREEK, O_FULL, O_CAPS, O_ACC, O_COMB, O_EMOJI, O_MD, O_BB,
	O_HTML, O_HTML | O_ENT, O_WIKI, O_WIKI | O_ENT,
	O_LEETD | O_CAPS, O_LEETS | O_CYR, O_SPACED | O_LEETD,
	O_DOTTED | O_CAPS, O_ZWSP | O_CYR, O_SHY | O_LEETD, O_GREEK | O_CAPS,
	O_FULL | O_CAPS, O_ACC | O_CAPS, O_ACC | O_LEETS,
	O_EMOJI | O_CYR | O_CAPS, O_MD | O_LEETD, O_BB | O_CYR,
	O_HTML | O_ZWSP, O_WIKI | O_ACC, O_SPACED | O_CYR, O_FULL | O_LEETD,
	O_DASHED | O_GREEK, O_COMB | O_CAPS | O_ZWSP, O_BB | O_LEETS | O_CAPS,
	O_MD | O_SPACED, O_HTML | O_ENT | O_CYR, O_DOTTED | O_FULL,
};

typedef struct s_out {
	char	b[4096];
	size_t	n;
} s_out_t;

static void
s_cat(s_out_t *o, const char *s)
{
	size_t n = strlen(s);

	MF_ASSERT(o->n + n < sizeof(o->b));
	memcpy(o->b + o->n, s, n);
	o->n += n;
	o->b[o->n] = '\0';
}

static void
s_cp(s_out_t *o, uint32_t cp)
{
	char u[5] = { 0 };

	if (cp < 0x80)
		u[0] = (char)cp;
	else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
	}
	s_cat(o, u);
}

static uint32_t
s_lookalike(const char *from, const uint32_t *to, int ch)
{
	const char *p = strchr(from, ch);

	return p != NULL && ch != 0 ? to[p - from] : 0;
}

/* Appends 'word' disguised with the tricks 'o'. */
static void
s_disguise(s_out_t *out, const char *word, unsigned o)
{
	static const uint32_t cyr[] = { 0x0430, 0x0441, 0x0435, 0x043E,
	    0x0440, 0x0445, 0x0443, 0x0456, 0x0455 };
	static const uint32_t cyr_up[] = { 0x0410, 0x0421, 0x0415, 0x041E,
	    0x0420, 0x0425, 0x0423, 0x0406, 0x0405 };
	static const uint32_t greek[] = { 0x03BF, 0x03B1, 0x03BD, 0x03B9 };
	static const uint32_t acc[] = { 0xE1, 0xE9, 0xED, 0xF3, 0xFA };
	static const uint32_t acc_up[] = { 0xC1, 0xC9, 0xCD, 0xD3, 0xDA };
	size_t len = strlen(word);

	for (size_t k = 0; k < len; k++) {
		int		ch = word[k], up = ch - 'a' + 'A';
		int		odd = k % 2 == 1 && k + 1 < len;
		uint32_t	cp = 0;
		const char	*sub;

		if (odd && (o & O_LEETD) && (sub = strchr("oieast", ch))) {
			char d = "013457"[sub - "oieast"];

			if (o & O_FULL)
				cp = 0xFF10 + (uint32_t)(d - '0');
			else
				cp = (uint32_t)d;
		} else if (odd && (o & O_LEETS) && strchr("asic", ch))
			cp = (uint32_t)"@$!("[strchr("asic", ch) - "asic"];
		else if (k > 0 && (o & O_CYR) && (cp = s_lookalike("aceopxyis",
		    (o & O_CAPS) ? cyr_up : cyr, ch)) != 0)
			;
		else if (k > 0 && (o & O_GREEK) && (cp = s_lookalike("oavi",
		    greek, ch)) != 0)
			;
		else if ((o & O_ACC) && (cp = s_lookalike("aeiou",
		    (o & O_CAPS) ? acc_up : acc, ch)) != 0)
			;
		else if ((o & O_ENT) && k == len / 2) {
			char e[16];

			snprintf(e, sizeof(e), "&#%d;", (o & O_CAPS) ? up : ch);
			s_cat(out, e);
		} else if (o & O_FULL)
			cp = ((o & O_CAPS) ? 0xFF21 : 0xFF41) +
			    (uint32_t)(ch - 'a');
		else
			cp = (uint32_t)((o & O_CAPS) ? up : ch);
		if (cp != 0)
			s_cp(out, cp);
		if ((o & O_COMB) && strchr("aeiou", ch))
			s_cp(out, 0x0301);
		if (k + 1 < len) {
			if (o & O_SPACED)
				s_cat(out, " ");
			else if (o & O_DOTTED)
				s_cat(out, ".");
			else if (o & O_DASHED)
				s_cat(out, "-");
			if (o & O_ZWSP)
				s_cp(out, 0x200B);
			if (o & O_SHY)
				s_cp(out, 0x00AD);
		}
	}
}

/* Builds the disguised claim; records where each word went. Returns the
 * body format. */
static mf_format_t
s_build(s_out_t *out, const char *claim, unsigned o, char words[][32],
    size_t *ws, size_t *we, size_t *nw)
{
	mf_format_t	fmt = (o & O_MD) ? MF_FMT_MARKDOWN : (o & O_BB) ?
	    MF_FMT_BBCODE : (o & O_HTML) ? MF_FMT_HTML : (o & O_WIKI) ?
	    MF_FMT_WIKITEXT : MF_FMT_TEXT;
	const char	*p = claim;

	out->n = 0;
	out->b[0] = '\0';
	*nw = 0;
	s_cat(out, fmt == MF_FMT_HTML ? "<p>Note: " : "Note: ");
	while (*p) {
		size_t l = strcspn(p, " ");

		MF_ASSERT(l < 32 && *nw < 8);
		memcpy(words[*nw], p, l);
		words[*nw][l] = '\0';
		if (*nw > 0)
			s_cat(out, (o & O_EMOJI) ? "\xF0\x9F\x94\xA5" :
			    (o & O_SPACED) ? "   " : " ");
		s_cat(out, (o & O_MD) ? "**" : (o & O_BB) ? "[b]" :
		    (o & O_HTML) ? "<b>" : (o & O_WIKI) ? "'''" : "");
		ws[*nw] = out->n;
		s_disguise(out, words[*nw], o);
		we[*nw] = out->n;
		s_cat(out, (o & O_MD) ? "**" : (o & O_BB) ? "[/b]" :
		    (o & O_HTML) ? "</b>" : (o & O_WIKI) ? "'''" : "");
		(*nw)++;
		p += l;
		while (*p == ' ')
			p++;
	}
	s_cat(out, fmt == MF_FMT_HTML ? ".</p>" : ".");
	return fmt;
}

MF_TEST(normalize_obfuscated_claims)
{
	mf_norm_t	n = { 0 };
	s_out_t		out;
	char		words[8][32];
	size_t		ws[8], we[8], nw, variants = 0;

	for (size_t c = 0; c < sizeof(s_claims) / sizeof(*s_claims); c++) {
		for (size_t t = 0; t < sizeof(s_tricks) / sizeof(*s_tricks);
		    t++) {
			mf_format_t	fmt = s_build(&out, s_claims[c],
			    s_tricks[t], words, ws, we, &nw);
			size_t		from = 0;
			mf_err_t	err = { 0 };

			MF_ASSERT_EQ(0, mf_normalize(&n, out.b, out.n, fmt, 0,
			    &err));
			s_check_map(&n, out.n);
			for (size_t w = 0; w < nw; w++) {
				long	a = s_find_word(&n, words[w], &from);
				size_t	os, oe;

				if (a < 0)
					mf__test_fail(__FILE__, __LINE__,
					    "trick %#x: \"%s\" not in \"%s\" "
					    "(from \"%s\")", s_tricks[t],
					    words[w], n.text, out.b);
				mf_norm_span(&n, (size_t)a, (size_t)a +
				    strlen(words[w]), &os, &oe);
				if (os != ws[w] || oe != we[w])
					mf__test_fail(__FILE__, __LINE__,
					    "trick %#x: \"%s\" maps to "
					    "\"%.*s\", not \"%.*s\"",
					    s_tricks[t], words[w],
					    (int)(oe - os), out.b + os,
					    (int)(we[w] - ws[w]),
					    out.b + ws[w]);
			}
			variants++;
		}
	}
	MF_ASSERT(variants >= 200);
	mf_norm_free(&n);
}

/* ---- single behaviours --------------------------------------------------- */

MF_TEST(normalize_span_is_the_disguised_word)
{
	mf_norm_t	 n = { 0 };
	const char	*body = "the v@cc1ne caused";
	size_t		 from = 0, os, oe;
	long		 a;

	s_norm(&n, body, MF_FMT_TEXT, 0);
	MF_ASSERT_STR_EQ("the vaccine caused", n.text);
	a = s_find_word(&n, "vaccine", &from);
	MF_ASSERT_EQ(4, a);
	mf_norm_span(&n, 4, 11, &os, &oe);
	MF_ASSERT_EQ(4, os);
	MF_ASSERT_EQ(11, oe);
	/* empty spans and spans past the end stay in bounds */
	mf_norm_span(&n, 3, 3, &os, &oe);
	MF_ASSERT(os == oe && os == 3);
	mf_norm_span(&n, 100, 200, &os, &oe);
	MF_ASSERT(os == oe && os == strlen(body));
	mf_norm_free(&n);
}

MF_TEST(normalize_numbers_urls_code_survive)
{
	mf_norm_t	 n = { 0 };
	size_t		 os, oe;
	const char	*link = "Read https://x.org/vaccines-cause-autism now";

	MF_ASSERT_STR_EQ("take 5 mg twice daily since 2021 (covid-19), "
	    "1.5 ml, 10mg b12 and h1n1; 3rd dose 4th week 2nd; v1.2.3 ipv4 "
	    "mp3 hba1c a1c 24h 5g; mail x@y.com or bob@example.org, pay $5, "
	    "see   and   or example.org/b3st4; printf(x, y); a != b; "
	    "2021-03-04 10:30",
	    s_norm(&n, "Take 5 mg twice daily since 2021 (COVID-19), 1.5 ml,"
	    " 10mg B12 and H1N1; 3rd dose 4th week 2nd; v1.2.3 IPv4 mp3 "
	    "HbA1c A1C 24h 5G; mail x@y.com or bob@example.org, pay $5, see "
	    "http://example.org/a1b2 and www.x.org/p4ge or example.org/b3st4;"
	    " printf(x, y); a != b; 2021-03-04 10:30", MF_FMT_TEXT, 0));
	/* Links are sources, not text: one blank that maps to the link. */
	MF_ASSERT_STR_EQ("read   now", s_norm(&n, link, MF_FMT_TEXT, 0));
	mf_norm_span(&n, 5, 6, &os, &oe);
	MF_ASSERT_EQ(5, os);
	MF_ASSERT_EQ(strlen(link) - 4, oe);
	MF_ASSERT_STR_EQ("see  .", s_norm(&n, "See www.who.int.", MF_FMT_TEXT,
	    0));
	/* sentence punctuation and lines stay */
	MF_ASSERT_STR_EQ("is it true? yes! it is.\nno.",
	    s_norm(&n, "Is it true? Yes! It is.\nNo.", MF_FMT_TEXT, 0));
	/* two letters with dots stay apart; three and more join */
	MF_ASSERT_STR_EQ("the u.s. and e.g. and mms. and usa",
	    s_norm(&n, "the U.S. and e.g. and M.M.S. and U.S.A", MF_FMT_TEXT,
	    0));
	mf_norm_free(&n);
}

MF_TEST(normalize_leet_inside_words)
{
	mf_norm_t n = { 0 };

	MF_ASSERT_STR_EQ("vaccine vaccine covid shot virus cause",
	    s_norm(&n, "va((ine v@ccine c0vid 5h0t v!rus cau$e", MF_FMT_TEXT,
	    0));
	/* a final '@' is an 'a' in a word with leet between its letters */
	MF_ASSERT_STR_EQ("el corona y la vacuna",
	    s_norm(&n, "el c0r0n@ y la v@cun@", MF_FMT_TEXT, 0));
	/* not in words: mentions, money, prices, punctuation */
	MF_ASSERT_STR_EQ("@dr_who $100 wow! (see) f(x) mail me @ coron@",
	    s_norm(&n, "@dr_who $100 wow! (see) f(x) mail me @ coron@",
	    MF_FMT_TEXT, 0));
	/* MF_NORM_NO_LEET leaves leet and spacing alone */
	MF_ASSERT_STR_EQ("v@ccine v a c c i n e",
	    s_norm(&n, "v@ccine v a c c i n e", MF_FMT_TEXT, MF_NORM_NO_LEET));
	mf_norm_free(&n);
}

MF_TEST(normalize_unicode_folding)
{
	mf_norm_t n = { 0 };

	MF_ASSERT_STR_EQ("vacuna medicament vaccine strasse fi",
	    s_norm(&n, "Vacúna me\xCC\x81" "dicament \xEF\xBC\xB6\xEF\xBC\xA1"
	    "\xEF\xBC\xA3\xEF\xBC\xA3\xEF\xBC\xA9\xEF\xBC\xAE\xEF\xBC\xA5 "
	    "Straße \xEF\xAC\x81", MF_FMT_TEXT, 0));
	/* the ligatures read as their two letters, as they are often
	 * typed: "cœur" is "coeur", "Œuf" "oeuf", "æquo" "aequo" */
	MF_ASSERT_STR_EQ("coeur soeur oeuf ex aequo coeur",
	    s_norm(&n, "c\xC5\x93ur S\xC5\x93ur \xC5\x92uf ex \xC3\xA6quo coeur",
	    MF_FMT_TEXT, 0));
	/* a relation struck through keeps its negation: "covid ≠ flu"
	 * is not "covid = flu" (the accent of "é" goes, the stroke of
	 * "≠" stays as "!"); "∉" reads "!∈" */
	{
		static const char ne[] = "Covid \xE2\x89\xA0 flu, x "
		    "\xE2\x88\x89 y, caf\xC3\xA9";

		MF_ASSERT_STR_EQ("covid != flu, x !\xE2\x88\x88 y, cafe",
		    s_norm(&n, ne, MF_FMT_TEXT, 0));
		MF_ASSERT(n.ostart[6] == 6 && n.oend[7] == 9);
		s_check_map(&n, strlen(ne));
	}
	/* format characters and NUL go */
	MF_ASSERT_STR_EQ("vaccine", s_norm(&n, "v\xE2\x80\x8B" "a\xE2\x80\x8C"
	    "c\xE2\x80\x8D" "c\xE2\x81\xA0" "i\xC2\xAD" "n\xE2\x80\xAE"
	    "e\xEF\xBB\xBF\xE2\x81\xA6\xEF\xB8\x8F", MF_FMT_TEXT, 0));
	{
		mf_err_t err = { 0 };

		MF_ASSERT_EQ(0, mf_normalize(&n, "vac\0cine", 8, MF_FMT_TEXT, 0,
		    &err));
		MF_ASSERT_STR_EQ("vaccine", n.text);
	}
	/* Cyrillic and Greek look-alikes fold inside Latin words only */
	MF_ASSERT_STR_EQ("vaccine covid vaccine вакцина",
	    s_norm(&n, "v\xD0\xB0\xD1\x81\xD1\x81\xD1\x96n\xD0\xB5 "
	    "c\xCE\xBF\xCE\xBD\xCE\xB9" "d V\xD0\x90\xD0\xA1\xD0\xA1INE "
	    "ВАКЦИНА", MF_FMT_TEXT, 0));
	/* emoji and symbols between words are one space */
	MF_ASSERT_STR_EQ("vaccines cause autism",
	    s_norm(&n, "vaccines\xF0\x9F\x94\xA5\xF0\x9F\x94\xA5" "cause"
	    "\xE2\x98\xA0" "autism", MF_FMT_TEXT, 0));
	/* ... the syringe and the microbe stand for words, and become
	 * them: the same word in every language's lexicon */
	MF_ASSERT_STR_EQ("el vaccine vaccine causa autismo",
	    s_norm(&n, "El \xF0\x9F\x92\x89\xF0\x9F\x92\x89 causa autismo",
	    MF_FMT_TEXT, 0));
	/* ... with one blank after the word, the blanks written after
	 * the emoji inside it: a pattern's "vaccine causa" holds */
	MF_ASSERT_STR_EQ("the vaccine kills",
	    s_norm(&n, "the \xF0\x9F\x92\x89  kills", MF_FMT_TEXT, 0));
	MF_ASSERT(n.ostart[11] == 4 && n.oend[11] == 10);
	s_check_map(&n, 15);
	MF_ASSERT_STR_EQ("the virus rides 5g",
	    s_norm(&n, "the\xF0\x9F\xA6\xA0rides 5G", MF_FMT_TEXT, 0));
	/* ... but an eye roll or a laugh stays, as a word of its own */
	MF_ASSERT_STR_EQ("sure \xF0\x9F\x99\x84 jan \xF0\x9F\x98\x82 ",
	    s_norm(&n, "sure\xF0\x9F\x99\x84jan\xF0\x9F\x98\x82",
	    MF_FMT_TEXT, 0));
	MF_ASSERT_STR_EQ("all fine \xF0\x9F\x99\x83 ",
	    s_norm(&n, "All fine\xF0\x9F\x99\x83", MF_FMT_TEXT, 0));
	mf_norm_free(&n);
}

MF_TEST(normalize_invalid_utf8)
{
	mf_norm_t n = { 0 };

	s_norm(&n, "vacc\xFFines cause autism", MF_FMT_TEXT, 0);
	MF_ASSERT_STR_EQ("vaccines cause autism", n.text);
	MF_ASSERT(n.flags & MF_NORMF_INVALID_UTF8);
	s_check_map(&n, 22);
	s_norm(&n, "bad \xC3 \xE2\x82 \xED\xA0\x80 \xF8\x88\x80\x80 \xC0\xAF "
	    "end", MF_FMT_TEXT, 0);
	MF_ASSERT(n.flags & MF_NORMF_INVALID_UTF8);
	MF_ASSERT_STR_CONTAINS(n.text, "bad \xEF\xBF\xBD \xEF\xBF\xBD");
	MF_ASSERT_STR_CONTAINS(n.text, " end");
	s_norm(&n, "fine", MF_FMT_TEXT, 0);
	MF_ASSERT_EQ(0, n.flags);
	mf_norm_free(&n);
}

/* ---- markup and quotes --------------------------------------------------- */

MF_TEST(normalize_markup_to_text)
{
	mf_norm_t n = { 0 };

	MF_ASSERT_STR_EQ("title\nsee the study and pic, code here.\nitem\n"
	    "one\n& e",
	    s_norm(&n, "# Title\nSee [the **study**](http://x.org/a) and "
	    "![pic](a.png), `code` _here_.\n- item\n1. one\n&amp; &eacute;",
	    MF_FMT_MARKDOWN, 0));
	MF_ASSERT_STR_EQ("\nmy reply bold link text\n\na\nb\n",
	    s_norm(&n, "[quote=bob]x[/quote]my reply [b]bold[/b] "
	    "[url=http://x]link text[/url][list][*]a[*]b[/list]",
	    MF_FMT_BBCODE, 0));
	MF_ASSERT_STR_EQ("\nhello world\n\nafter ete end",
	    s_norm(&n, "<p>Hello&nbsp;<b>wor</b>ld</p><div>after<script>x"
	    "</script> &#233;&#x200B;t&eacute; <!-- c -->end",
	    MF_FMT_HTML, 0));
	MF_ASSERT_STR_EQ("head \nbold text vaccines cause autism  label here"
	    "  \nlist",
	    s_norm(&n, "== Head ==\n'''Bold''' text [[Vaccine|vaccines]] "
	    "cause [[autism]] {{cite web|url=x}} [http://x.org label here] "
	    "<ref>ref text</ref> [[File:x.png]]\n* list", MF_FMT_WIKITEXT, 0));
	/* markup in plain text is text */
	MF_ASSERT_STR_EQ("<b>x</b> [b]y[/b] &amp;",
	    s_norm(&n, "<b>x</b> [b]y[/b] &amp;", MF_FMT_TEXT, 0));
	mf_norm_free(&n);
}

MF_TEST(normalize_quotes_cut)
{
	static const struct {
		mf_format_t	 fmt;
		const char	*body, *cut, *kept;
	} cases[] = {
		{ MF_FMT_TEXT, "> vaccines cause autism\n>more\nno, they don't",
		    "\n\nno, they don't", "> vaccines cause autism\n>more\n"
		    "no, they don't" },
		{ MF_FMT_MARKDOWN, "mine\n  > vaccines cause autism\n> > more"
		    "\nno", "mine\n\n\nno", "mine\nvaccines cause autism\nmore"
		    "\nno" },
		{ MF_FMT_BBCODE, "[quote]vaccines [quote=\"bob\"]cause"
		    "[/quote] autism[/quote]no", "\nno",
		    "\nvaccines \ncause\n autism\nno" },
		{ MF_FMT_BBCODE, "no[QUOTE=x]vaccines cause autism", "no\n",
		    "no\nvaccines cause autism" },
		{ MF_FMT_HTML, "<blockquote>vaccines <blockquote>cause"
		    "</blockquote> autism</blockquote>no", "\nno",
		    "\nvaccines \ncause\n autism\nno" },
		{ MF_FMT_HTML, "no<BLOCKQUOTE class=\"q\">vaccines cause",
		    "no\n", "no\nvaccines cause" },
		{ MF_FMT_WIKITEXT, "no {{Quote|vaccines cause autism}} yes",
		    "no \n yes", "no \nvaccines cause autism\n yes" },
		{ MF_FMT_WIKITEXT, "no <blockquote>vaccines</blockquote> yes",
		    "no \n yes", "no \nvaccines\n yes" },
	};
	mf_norm_t n = { 0 };

	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		s_norm(&n, cases[k].body, cases[k].fmt, 0);
		if (strcmp(n.text, cases[k].cut) != 0)
			mf__test_fail(__FILE__, __LINE__,
			    "case %zu: cut \"%s\"", k, n.text);
		MF_ASSERT(n.flags & MF_NORMF_QUOTES_CUT);
		s_check_map(&n, strlen(cases[k].body));
		s_norm(&n, cases[k].body, cases[k].fmt, MF_NORM_KEEP_QUOTES);
		if (strcmp(n.text, cases[k].kept) != 0)
			mf__test_fail(__FILE__, __LINE__,
			    "case %zu: kept \"%s\"", k, n.text);
		MF_ASSERT(!(n.flags & MF_NORMF_QUOTES_CUT));
	}
	/* the "\n" of a cut quote maps to all of it */
	s_norm(&n, "a [quote]b[/quote] c", MF_FMT_BBCODE, 0);
	MF_ASSERT_STR_EQ("a \n c", n.text);
	MF_ASSERT_EQ(2, n.ostart[2]);
	MF_ASSERT_EQ(18, n.oend[2]);
	mf_norm_free(&n);
}

/* ---- patterns ------------------------------------------------------------ */

MF_TEST(normalize_pattern_folds_only_non_ascii)
{
	char	ascii[128], *p;

	for (int k = 1; k < 128; k++)
		ascii[k - 1] = (char)k;
	ascii[127] = '\0';
	MF_ASSERT_NOT_NULL(p = mf_normalize_pattern(ascii, NULL));
	MF_ASSERT_STR_EQ(ascii, p);
	mf_free(p);
	MF_ASSERT_NOT_NULL(p = mf_normalize_pattern("\\bVac[úu]na\\b "
	    "M\xC3\x89" "DICAMENT \xEF\xBC\xA1 Stra\xC3\x9F" "e caf\xC3\xA9s?"
	    " вакцина \xF0\x9F\x92\x89", NULL));
	MF_ASSERT_STR_EQ("\\bVac[uu]na\\b MeDICAMENT a Strasse cafes? "
	    "вакцина vaccine", p);
	mf_free(p);
	MF_ASSERT_NOT_NULL(p = mf_normalize_pattern("", NULL));
	MF_ASSERT_STR_EQ("", p);
	mf_free(p);
}

/* ---- memory -------------------------------------------------------------- */

MF_TEST(normalize_no_allocation_once_warm)
{
	mf_norm_t	 n = { 0 };
	mf_err_t	 err = { 0 };
	const char	*body = "Th3 v@cc1ne c4used <b>autism</b> "
	    "\xF0\x9F\x92\x89 in my k\xC3\xAF" "ds &amp; > quoted";

	for (int f = MF_FMT_TEXT; f <= MF_FMT_WIKITEXT; f++)
		MF_ASSERT_EQ(0, mf_normalize(&n, body, strlen(body),
		    (mf_format_t)f, 0, &err));
	mf_alloc_fail_after(1, 1);
	for (int f = MF_FMT_TEXT; f <= MF_FMT_WIKITEXT; f++)
		MF_ASSERT_EQ(0, mf_normalize(&n, body, strlen(body),
		    (mf_format_t)f, 0, &err));
	MF_ASSERT(!mf_alloc_failed());
	mf_alloc_fail_after(0, 0);
	mf_norm_free(&n);
}

MF_TEST(normalize_out_of_memory)
{
	for (size_t k = 1; k <= 4; k++) {
		mf_norm_t	 n = { 0 };
		mf_err_t	 err = { 0 };
		char		*p;
		int		 rc;

		mf_alloc_fail_after(k, 0);
		rc = mf_normalize(&n, "some text", 9, MF_FMT_TEXT, 0, &err);
		if (mf_alloc_failed()) {
			MF_ASSERT_EQ(-1, rc);
			MF_ASSERT_EQ(MF_ENOMEM, err.code);
		}
		mf_alloc_fail_after(k, 0);
		p = mf_normalize_pattern("caf\xC3\xA9", &err);
		MF_ASSERT(mf_alloc_failed() ? p == NULL : p != NULL);
		mf_alloc_fail_after(0, 0);
		mf_free(p);
		mf_norm_free(&n);
		mf_norm_free(&n);	/* safe twice */
	}
}

/* ---- invariants on random input ------------------------------------------ */

MF_TEST(normalize_map_invariants_random)
{
	static const char *const atoms[] = {
		"a", "V", "0", "1", "@", "$", "!", "(", ")", " ", ".", "-",
		"\n",
		">", "<", "/", "[", "]", "=", "'", "{", "}", "|", "&", ";", "#",
		"*", "_", "`", "~", "<b>", "</b>", "[quote]", "[/quote]",
		"<blockquote>", "</blockquote>", "&amp;", "&#233;", "&#x;",
		"{{", "}}", "[[", "]]", "''", "```", "> ", "\xC3\xA9",
		"\xD0\xB0",
		"\xE2\x80\x8B", "\xF0\x9F\x92\x89", "\xCC\x81", "\xFF", "\xC3",
		"\xE2\x82", "\xED\xA0\x80", "\0", "\xEF\xB7\xBA", "\xC2\x85",
		"\xE2\x80\xA8", "\xEA\xB0\x80",
	};
	size_t		 natoms = sizeof(atoms) / sizeof(*atoms);
	mf_norm_t	 n = { 0 };
	unsigned	 seed = 12345;
	char		 buf[600];

	for (int round = 0; round < 3000; round++) {
		size_t len = 0, want;

		seed = seed * 1103515245u + 12345u;
		want = (seed >> 8) % 120;
		while (len < want) {
			const char *a;
			size_t al;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 20) % 4 == 0) {
				buf[len++] = (char)(seed >> 8);
				continue;
			}
			a = atoms[(seed >> 8) % natoms];
			al = a[0] == '\0' ? 1 : strlen(a);
			if (len + al > sizeof(buf))
				break;
			memcpy(buf + len, a, al);
			len += al;
		}
		for (int f = MF_FMT_TEXT; f <= MF_FMT_WIKITEXT; f++) {
			for (unsigned o = 0; o < 4; o++) {
				mf_err_t err = { 0 };

				MF_ASSERT_EQ(0, mf_normalize(&n, buf, len,
				    (mf_format_t)f, o, &err));
				s_check_map(&n, len);
			}
		}
	}
	mf_norm_free(&n);
}

/* Plain text is skipped in blocks; disguises must be found at every
 * position relative to those blocks. */
MF_TEST(normalize_disguise_at_every_offset)
{
	static const char *const disguises[] = {
		"v a c c i n e s", "v.a.c.c.i.n.e.s", "v@cc1nes", "va((ines",
		"v\xD0\xB0\xD1\x81\xD1\x81ines",
		"v \xD0\xB0 \xD1\x81 c i n e s",
		("vac\xE2\x80\x8B" "cines"), "VACCINES", "vacc\xFFines",
	};
	mf_norm_t	n = { 0 };
	char		body[256];

	for (size_t d = 0; d < sizeof(disguises) / sizeof(*disguises); d++) {
		for (int off = 0; off < 40; off++) {
			size_t	from = 0, os, oe, len;
			long	a;
			int	pre = snprintf(body, sizeof(body), "%.*s ", off,
			    "========================================");

			len = (size_t)snprintf(body + pre, sizeof(body) -
			    (size_t)pre, "%s cause harm in plain words here",
			    disguises[d]) + (size_t)pre;
			s_norm(&n, body, MF_FMT_TEXT, 0);
			s_check_map(&n, len);
			a = s_find_word(&n, "vaccines", &from);
			if (a < 0)
				mf__test_fail(__FILE__, __LINE__,
				    "\"%s\" at %d: \"%s\"", disguises[d],
				    off, n.text);
			mf_norm_span(&n, (size_t)a, (size_t)a + 8, &os, &oe);
			MF_ASSERT_EQ(pre, os);
			MF_ASSERT_EQ(pre + (int)strlen(disguises[d]), oe);
		}
	}
	mf_norm_free(&n);
}

/* mf__memmem() looks for the needle's rarest byte first: it must still
 * find the leftmost occurrence, at the very start and end too. */
MF_TEST(normalize_memmem_leftmost)
{
	static const char	 abc[] = "the ,.xq";
	unsigned		 seed = 777;
	char			 hay[40], nd[6];

	for (int round = 0; round < 20000; round++) {
		size_t		 n, m;
		const char	*want = NULL, *got;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 8) % sizeof(hay);
		m = (seed >> 16) % sizeof(nd);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			hay[i] = abc[(seed >> 12) % (sizeof(abc) - 1)];
		}
		for (size_t i = 0; i < m; i++) {
			seed = seed * 1103515245u + 12345u;
			nd[i] = abc[(seed >> 12) % (sizeof(abc) - 1)];
		}
		for (size_t i = 0; m <= n && i <= n - m && want == NULL; i++)
			if (memcmp(hay + i, nd, m) == 0)
				want = hay + i;
		got = mf__memmem(hay, n, nd, m);
		if (got != want)
			mf__test_fail(__FILE__, __LINE__, "\"%.*s\" in \"%.*s\": "
			    "%ld, not %ld", (int)m, nd, (int)n, hay,
			    got ? (long)(got - hay) : -1L,
			    want ? (long)(want - hay) : -1L);
	}
}
