/*
 * markup.c - stage 1 of the normalizer: reduces a post body to its text
 * for the body format (text, markdown, BBCode, HTML, wikitext), and cuts
 * quoted material unless MF_NORM_KEEP_QUOTES.
 *
 * Markup is dropped, block boundaries become "\n" (so sentences do not
 * run across them), entities are decoded, link text is kept and link
 * targets are dropped. Everything is handed to stage 2 (normalize.c) as
 * raw ranges of the body or as short literals mapped to the markup they
 * replace, in order, so the offset map stays monotone. A cut quote is
 * one "\n" mapped to all of it.
 *
 * This is a reducer for matching, not a renderer: it is linear, bounded
 * in its look-ahead, and it never fails on malformed markup (what it
 * cannot read as markup is text).
 * Not responsible for URL extraction (match.c reads the original body).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "normalize_internal.h"

#define S_LOOKAHEAD	1024	/* bytes searched for the end of a link */

typedef struct s_scan {
	mf__nctx_t		*c;
	const unsigned char	*p;	/* the body */
	size_t			 n;
	size_t			 run;	/* start of the pending raw range */
	int			 keep;	/* MF_NORM_KEEP_QUOTES */
} s_scan_t;

/* Hands the pending raw range [run, i) to stage 2. */
static void
s_flush(s_scan_t *s, size_t i)
{
	if (i > s->run)
		mf__norm_raw(s->c, s->run, i);
	if (i > s->run)
		s->run = i;
}

/* Drops the markup [i, j): flushes the text before it. */
static void
s_drop(s_scan_t *s, size_t i, size_t j)
{
	s_flush(s, i);
	s->run = j;
}

/* Replaces the markup [i, j) by a block boundary "\n". */
static void
s_block(s_scan_t *s, size_t i, size_t j)
{
	s_flush(s, i);
	mf__norm_break(s->c, i, j);
	s->run = j;
}

/* Cuts the quoted material [i, j). */
static void
s_cut(s_scan_t *s, size_t i, size_t j)
{
	s_block(s, i, j);
	s->c->out->flags |= MF_NORMF_QUOTES_CUT;
}

static size_t
s_line_end(const s_scan_t *s, size_t i)
{
	const unsigned char *nl = memchr(s->p + i, '\n', s->n - i);

	return nl ? (size_t)(nl - s->p) : s->n;
}

static int
s_isalnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch >= 0x80;
}

static int
s_isalpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Case-insensitive: does the body hold 'w' at i? */
static int
s_at(const s_scan_t *s, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i + n <= s->n && strncasecmp((const char *)s->p + i, w, n) == 0;
}

/* Index after up to 3 spaces or tabs at i. */
static size_t
s_indent(const s_scan_t *s, size_t i)
{
	for (int k = 0; k < 3 && i < s->n && (s->p[i] == ' ' ||
	    s->p[i] == '\t'); k++)
		i++;
	return i;
}

/* ---- entities ------------------------------------------------------------ */

static const struct s_ent {
	const char	*name;
	unsigned	 cp;
} s_ents[] = {
	{"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
	{"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4},
	{"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7},
	{"Dagger", 0x2021}, {"Delta", 0x394}, {"ETH", 0xD0},
	{"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Egrave", 0xC8},
	{"Epsilon", 0x395}, {"Eta", 0x397}, {"Euml", 0xCB}, {"Gamma", 0x393},
	{"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC}, {"Iota", 0x399},
	{"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B}, {"Mu", 0x39C},
	{"Ntilde", 0xD1}, {"Nu", 0x39D}, {"OElig", 0x152}, {"Oacute", 0xD3},
	{"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
	{"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5},
	{"Ouml", 0xD6}, {"Phi", 0x3A6}, {"Pi", 0x3A0}, {"Prime", 0x2033},
	{"Psi", 0x3A8}, {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3},
	{"THORN", 0xDE}, {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA},
	{"Ucirc", 0xDB}, {"Ugrave", 0xD9}, {"Upsilon", 0x3A5},
	{"Uuml", 0xDC}, {"Xi", 0x39E}, {"Yacute", 0xDD}, {"Yuml", 0x178},
	{"Zeta", 0x396}, {"aacute", 0xE1}, {"acirc", 0xE2}, {"acute", 0xB4},
	{"aelig", 0xE6}, {"agrave", 0xE0}, {"alefsym", 0x2135},
	{"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227}, {"ang", 0x2220},
	{"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248}, {"atilde", 0xE3},
	{"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2}, {"brvbar", 0xA6},
	{"bull", 0x2022}, {"cap", 0x2229}, {"ccedil", 0xE7}, {"cedil", 0xB8},
	{"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6}, {"clubs", 0x2663},
	{"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5}, {"cup", 0x222A},
	{"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020},
	{"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
	{"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA},
	{"egrave", 0xE8}, {"empty", 0x2205}, {"emsp", 0x2003},
	{"ensp", 0x2002}, {"epsilon", 0x3B5}, {"equiv", 0x2261},
	{"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB}, {"euro", 0x20AC},
	{"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200},
	{"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE},
	{"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E},
	{"hArr", 0x21D4}, {"harr", 0x2194}, {"hearts", 0x2665},
	{"hellip", 0x2026}, {"iacute", 0xED}, {"icirc", 0xEE},
	{"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111},
	{"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9},
	{"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA},
	{"lArr", 0x21D0}, {"lambda", 0x3BB}, {"lang", 0x2329},
	{"laquo", 0xAB}, {"larr", 0x2190}, {"lceil", 0x2308},
	{"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
	{"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E},
	{"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x3C}, {"macr", 0xAF},
	{"mdash", 0x2014}, {"micro", 0xB5}, {"middot", 0xB7},
	{"minus", 0x2212}, {"mu", 0x3BC}, {"nabla", 0x2207}, {"nbsp", 0xA0},
	{"ndash", 0x2013}, {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC},
	{"notin", 0x2209}, {"nsub", 0x2284}, {"ntilde", 0xF1}, {"nu", 0x3BD},
	{"oacute", 0xF3}, {"ocirc", 0xF4}, {"oelig", 0x153},
	{"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9},
	{"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228},
	{"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5},
	{"otimes", 0x2297}, {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202},
	{"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0},
	{"piv", 0x3D6}, {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032},
	{"prod", 0x220F}, {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22},
	{"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A},
	{"raquo", 0xBB}, {"rarr", 0x2192}, {"rceil", 0x2309},
	{"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE},
	{"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F},
	{"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
	{"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD},
	{"sigma", 0x3C3}, {"sigmaf", 0x3C2}, {"sim", 0x223C},
	{"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286},
	{"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9}, {"sup2", 0xB2},
	{"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4},
	{"there4", 0x2234}, {"theta", 0x3B8}, {"thetasym", 0x3D1},
	{"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC},
	{"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1},
	{"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB},
	{"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2},
	{"upsilon", 0x3C5}, {"uuml", 0xFC}, {"weierp", 0x2118},
	{"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5}, {"yuml", 0xFF},
	{"zeta", 0x3B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

static int
s_ent_cmp(const void *key, const void *elt)
{
	return strcmp(key, ((const struct s_ent *)elt)->name);
}

/* At '&': decodes an HTML entity ("&amp;", "&#233;", "&#xE9;") and returns
 * the index after it, or i when there is none. */
static size_t
s_entity(s_scan_t *s, size_t i)
{
	const unsigned char	*p = s->p;
	char			 name[12], u[4];
	unsigned long		 cp = 0;
	size_t			 j = i + 1, k = 0;

	if (j < s->n && p[j] == '#') {
		int hex = j + 1 < s->n && (p[j + 1] == 'x' || p[j + 1] == 'X');

		j += hex ? 2 : 1;
		for (; j < s->n && k < 8; j++, k++) {
			int ch = p[j], d;

			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (hex && ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (hex && ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (k == 0 || j >= s->n || p[j] != ';')
			return i;
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
	} else {
		const struct s_ent *e;

		for (; j < s->n && k < sizeof(name) - 1 && s_isalnum(p[j]) &&
		    p[j] < 0x80; j++, k++)
			name[k] = (char)p[j];
		name[k] = '\0';
		if (k == 0 || j >= s->n || p[j] != ';')
			return i;
		e = bsearch(name, s_ents, sizeof(s_ents) / sizeof(*s_ents),
		    sizeof(*s_ents), s_ent_cmp);
		if (e == NULL)
			return i;
		cp = e->cp;
	}
	j++;
	s_flush(s, i);
	mf__norm_lit(s->c, u, mf__utf8_enc((uint32_t)cp, u), i, j);
	s->run = j;
	return j;
}

/* ---- HTML tags (HTML, and inside markdown and wikitext) ------------------ */

static const char *const s_html_blocks[] = {
	"address", "article", "aside", "blockquote", "br", "caption",
	"center", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
	"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
	"h5", "h6", "header", "hr", "li", "main", "nav", "ol", "option", "p",
	"pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
	"thead", "tr", "ul",
};

static int
s_in(const char *w, const char *const *set, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(w, set[k]) == 0)
			return 1;
	return 0;
}

/* Parses a tag at '<': sets its lower-case name (truncated), whether it
 * closes, and returns the index after its '>', or 0 when it is not a
 * tag. Quoted attribute values may hold '>'. */
static size_t
s_tag(const s_scan_t *s, size_t i, char *name, size_t nsz, int *close)
{
	const unsigned char	*p = s->p;
	size_t			 j = i + 1, k = 0;
	int			 q = 0;

	*close = 0;
	if (j < s->n && p[j] == '/') {
		*close = 1;
		j++;
	}
	if (j >= s->n || !s_isalpha(p[j]))
		return 0;
	for (; j < s->n && (s_isalpha(p[j]) || (p[j] >= '0' && p[j] <= '9'));
	    j++)
		if (k + 1 < nsz)
			name[k++] = (char)(p[j] | 0x20);
	name[k] = '\0';
	if (j >= s->n || !(p[j] == '>' || p[j] == '/' || p[j] == ' ' ||
	    p[j] == '\t' || p[j] == '\n' || p[j] == '\r'))
		return 0;
	for (; j < s->n && j - i < S_LOOKAHEAD; j++) {
		if (q) {
			if (p[j] == q)
				q = 0;
		} else if (p[j] == '"' || p[j] == '\'')
			q = p[j];
		else if (p[j] == '>')
			return j + 1;
		else if (p[j] == '<')
			return 0;
	}
	return 0;
}

/* From j, the index after the '>' of the close tag that matches an open
 * 'name' tag (nesting-aware when 'nest'), or the end of the body. */
static size_t
s_tag_close(const s_scan_t *s, size_t j, const char *name, int nest)
{
	char	nm[16];
	int	depth = 1, close;

	while (j < s->n) {
		const unsigned char *lt = memchr(s->p + j, '<', s->n - j);
		size_t e;

		if (lt == NULL)
			break;
		j = (size_t)(lt - s->p);
		e = s_tag(s, j, nm, sizeof(nm), &close);
		if (e == 0 || strcmp(nm, name) != 0) {
			j++;
			continue;
		}
		if (close) {
			if (--depth == 0)
				return e;
		} else if (nest && s->p[e - 2] != '/')
			depth++;
		j = e;
	}
	return s->n;
}

/* At '<': handles a comment, a tag or a whole element to drop, and
 * returns the index after it, or i when it is not markup. */
static size_t
s_html(s_scan_t *s, size_t i, int wiki)
{
	char	name[16];
	int	close;
	size_t	e;

	if (s_at(s, i, "<!--")) {
		const unsigned char *m = mf__memmem(s->p + i + 4, s->n - i - 4,
		    "-->", 3);

		e = m ? (size_t)(m - s->p) + 3 : s->n;
		s_drop(s, i, e);
		return e;
	}
	if (i + 1 < s->n && (s->p[i + 1] == '!' || s->p[i + 1] == '?')) {
		const unsigned char *m = memchr(s->p + i, '>', s->n - i);

		if (m == NULL)
			return i;
		e = (size_t)(m - s->p) + 1;
		s_drop(s, i, e);
		return e;
	}
	if ((e = s_tag(s, i, name, sizeof(name), &close)) == 0)
		return i;
	if (!close && strcmp(name, "blockquote") == 0 && !s->keep) {
		size_t end = s_tag_close(s, e, name, 1);

		s_cut(s, i, end);
		return end;
	}
	if (!close && (strcmp(name, "script") == 0 ||
	    strcmp(name, "style") == 0 || (wiki && strcmp(name, "ref") == 0 &&
	    s->p[e - 2] != '/'))) {
		size_t end = s_tag_close(s, e, name, 0);

		s_drop(s, i, end);
		return end;
	}
	if (s_in(name, s_html_blocks, sizeof(s_html_blocks) /
	    sizeof(*s_html_blocks)))
		s_block(s, i, e);
	else
		s_drop(s, i, e);
	return e;
}

/* ---- text ---------------------------------------------------------------- */

/* Non-zero when the line at i is quoted: '>' after up to 3 spaces. */
static int
s_quote_line(const s_scan_t *s, size_t i)
{
	i = s_indent(s, i);
	return i < s->n && s->p[i] == '>';
}

/* At the start of a quoted line: cuts the block of quoted lines and
 * returns the index of the '\n' that ends it (or the end). */
static size_t
s_cut_quote_lines(s_scan_t *s, size_t i)
{
	size_t qs = i, qe;

	for (;;) {
		qe = s_line_end(s, i);
		if (qe >= s->n || !s_quote_line(s, qe + 1))
			break;
		i = qe + 1;
	}
	s_cut(s, qs, qe);
	return qe;
}

static void
s_text(s_scan_t *s)
{
	size_t i = 0;

	if (s->keep) {
		s_flush(s, s->n);
		return;
	}
	while (i < s->n) {
		if (s_quote_line(s, i))
			i = s_cut_quote_lines(s, i);
		else
			i = s_line_end(s, i);
		i++;	/* past the '\n', which stays text */
	}
	s_flush(s, s->n);
}

/* ---- markdown ------------------------------------------------------------ */

/* Non-zero when the line [i, le) is a rule or a setext underline: only
 * - = * _ | : and blanks, with at least three of - = * _. */
static int
s_md_rule(const s_scan_t *s, size_t i, size_t le)
{
	size_t marks = 0;

	for (; i < le; i++) {
		int ch = s->p[i];

		if (ch == '-' || ch == '=' || ch == '*' || ch == '_')
			marks++;
		else if (ch != '|' && ch != ':' && ch != ' ' && ch != '\t' &&
		    ch != '\r')
			return 0;
	}
	return marks >= 3;
}

/* At a line start of markdown outside code fences: drops block markers
 * (quote markers when quotes are kept, headings, list bullets) and
 * returns where the inline text starts, or the line end when the whole
 * line was handled. */
static size_t
s_md_line(s_scan_t *s, size_t i, int *fence)
{
	size_t	le = s_line_end(s, i), j = s_indent(s, i), k;

	if (s_at(s, j, "```") || s_at(s, j, "~~~")) {
		*fence = !*fence;
		s_block(s, i, le);
		return le;
	}
	if (*fence)
		return le;	/* code: kept as it is */
	if (j < s->n && s->p[j] == '>') {
		if (!s->keep)
			return s_cut_quote_lines(s, i);
		while (j < le && (s->p[j] == '>' || s->p[j] == ' '))
			j++;
		s_drop(s, i, j);
		i = j;
		j = s_indent(s, i);
	}
	if (s_md_rule(s, j, le)) {
		s_block(s, i, le);
		return le;
	}
	if (j < le && s->p[j] == '#') {
		for (k = j; k < le && s->p[k] == '#'; k++)
			;
		if (k - j <= 6 && (k == le || s->p[k] == ' ')) {
			while (k < le && s->p[k] == ' ')
				k++;
			s_drop(s, i, k);
			return k;
		}
	}
	if (j + 1 < le && (s->p[j] == '-' || s->p[j] == '*' ||
	    s->p[j] == '+') && s->p[j + 1] == ' ') {
		s_drop(s, i, j + 2);
		return j + 2;
	}
	for (k = j; k < le && k - j < 9 && s->p[k] >= '0' && s->p[k] <= '9';
	    k++)
		;
	if (k > j && k + 1 < le && (s->p[k] == '.' || s->p[k] == ')') &&
	    s->p[k + 1] == ' ') {
		s_drop(s, i, k + 2);
		return k + 2;
	}
	return j > i ? j : i;
}

/* At '[' in markdown: a link "[text](url)" or "[text][ref]" keeps its
 * text. Returns the index of the ']' and sets *after to the index after
 * the target, or returns 0. */
static size_t
s_md_link(const s_scan_t *s, size_t i, size_t *after)
{
	size_t	le = s_line_end(s, i), j, k;
	int	depth = 0;

	if (le - i > S_LOOKAHEAD)
		le = i + S_LOOKAHEAD;
	for (j = i + 1; j < le; j++) {
		if (s->p[j] == '[')
			depth++;
		else if (s->p[j] == ']' && depth-- == 0)
			break;
	}
	if (j + 1 >= le)
		return 0;
	if (s->p[j + 1] == '(' || s->p[j + 1] == '[') {
		int open = s->p[j + 1], shut = open == '(' ? ')' : ']';

		depth = 0;
		for (k = j + 2; k < le; k++) {
			if (s->p[k] == open)
				depth++;
			else if (s->p[k] == shut && depth-- == 0) {
				*after = k + 1;
				return j;
			}
		}
	}
	return 0;
}

/* Bytes where markdown inline syntax may start. */
static const uint8_t s_md_special[256] = {
	['\n'] = 1, ['\\'] = 1, ['*'] = 1, ['`'] = 1, ['~'] = 1, ['_'] = 1,
	['!'] = 1, ['['] = 1, ['<'] = 1, ['&'] = 1,
};

static void
s_markdown(s_scan_t *s)
{
	const unsigned char	*p = s->p;
	size_t			 i = 0, bol = 0, close[8], after[8];
	int			 nlink = 0, fence = 0;

	while (i < s->n) {
		int ch;

		if (i == bol) {
			i = s_md_line(s, i, &fence);
			nlink = 0;
			bol = SIZE_MAX;
			if (fence)
				i = s_line_end(s, i);
			if (i >= s->n)
				break;
		}
		/* Skip text that holds no markup, up to a pending link end. */
		{
			size_t lim = nlink > 0 ? close[nlink - 1] : s->n;

			while (i < lim && !s_md_special[p[i]])
				i++;
			if (i >= s->n)
				break;
		}
		ch = p[i];
		if (ch == '\n') {
			bol = ++i;
			continue;
		}
		if (nlink > 0 && i == close[nlink - 1]) {
			nlink--;
			s_drop(s, i, after[nlink]);
			i = after[nlink];
			continue;
		}
		switch (ch) {
		case '\\':
			if (i + 1 < s->n && p[i + 1] < 0x80 &&
			    p[i + 1] > ' ' && !s_isalnum(p[i + 1])) {
				s_drop(s, i, i + 1);
				i += 2;
				continue;
			}
			break;
		case '*':
		case '`':
		case '~': {
			size_t j = i;

			while (j < s->n && p[j] == ch)
				j++;
			if (ch != '~' || j - i >= 2) {
				s_drop(s, i, j);
				i = j;
				continue;
			}
			break;
		}
		case '_':
			if (!(i > 0 && s_isalnum(p[i - 1]) && i + 1 < s->n &&
			    s_isalnum(p[i + 1]))) {
				s_drop(s, i, i + 1);
				i++;
				continue;
			}
			break;
		case '!':
		case '[': {
			size_t b = ch == '!' ? i + 1 : i, c, a;

			if (b >= s->n || p[b] != '[' || nlink == 8 ||
			    (c = s_md_link(s, b, &a)) == 0)
				break;
			close[nlink] = c;
			after[nlink++] = a;
			s_drop(s, i, b + 1);
			i = b + 1;
			continue;
		}
		case '<': {
			size_t e = i + 1, le = s_line_end(s, i);

			/* autolink <scheme:...> or <user@host> */
			while (e < le && p[e] != '>' && p[e] != ' ' &&
			    p[e] != '<')
				e++;
			if (e < le && p[e] == '>' && e > i + 1 &&
			    (memchr(p + i, ':', e - i) ||
			    memchr(p + i, '@', e - i))) {
				s_drop(s, i, i + 1);
				s_flush(s, e);
				s_drop(s, e, e + 1);
				i = e + 1;
				continue;
			}
			if ((e = s_html(s, i, 0)) != i) {
				i = e;
				continue;
			}
			break;
		}
		case '&': {
			size_t e = s_entity(s, i);

			if (e != i) {
				i = e;
				continue;
			}
			break;
		}
		default:
			break;
		}
		i++;
	}
	s_flush(s, s->n);
}

/* ---- BBCode -------------------------------------------------------------- */

static const char *const s_bb_blocks[] = {
	"*", "center", "code", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
	"indent", "justify", "left", "li", "list", "ol", "pre", "quote",
	"right", "spoiler", "table", "td", "th", "tr", "ul", "br",
};
static const char *const s_bb_inline[] = {
	"b", "color", "email", "font", "i", "img", "s", "size", "strike",
	"sub", "sup", "u", "url", "youtube", "video", "highlight", "tt",
	"noparse", "abbr", "acronym", "user", "mention", "icode",
};

/* Parses a BBCode tag at '[': its lower-case name and whether it closes;
 * returns the index after its ']', or 0. */
static size_t
s_bb_tag(const s_scan_t *s, size_t i, char *name, size_t nsz, int *close)
{
	const unsigned char	*p = s->p;
	size_t			 j = i + 1, k = 0;

	*close = 0;
	if (j < s->n && p[j] == '/') {
		*close = 1;
		j++;
	}
	for (; j < s->n && (s_isalpha(p[j]) || p[j] == '*' ||
	    (k > 0 && p[j] >= '0' && p[j] <= '9')); j++) {
		if (k + 1 >= nsz)
			return 0;
		name[k++] = (char)(p[j] == '*' ? '*' : (p[j] | 0x20));
	}
	name[k] = '\0';
	if (k == 0 || j >= s->n)
		return 0;
	if (p[j] != ']') {
		if (*close || (p[j] != '=' && p[j] != ' '))
			return 0;
		for (; j < s->n && j - i < S_LOOKAHEAD && p[j] != ']'; j++)
			if (p[j] == '\n' || p[j] == '[')
				return 0;
		if (j >= s->n || p[j] != ']')
			return 0;
	}
	return j + 1;
}

/* From j, the index after the [/quote] that closes an open [quote],
 * nesting-aware, or the end of the body. */
static size_t
s_bb_quote_end(const s_scan_t *s, size_t j)
{
	char	nm[8];
	int	depth = 1, close;

	while (j < s->n) {
		const unsigned char *lb = memchr(s->p + j, '[', s->n - j);
		size_t e;

		if (lb == NULL)
			break;
		j = (size_t)(lb - s->p);
		e = s_bb_tag(s, j, nm, sizeof(nm), &close);
		if (e == 0 || strcmp(nm, "quote") != 0) {
			j++;
			continue;
		}
		if (close && --depth == 0)
			return e;
		if (!close)
			depth++;
		j = e;
	}
	return s->n;
}

static void
s_bbcode(s_scan_t *s)
{
	size_t i = 0;

	while (i < s->n) {
		const unsigned char	*m;
		char			 name[12];
		int			 close;
		size_t			 e;

		/* Only '[' and '&' matter: skip to the next of them. */
		for (m = s->p + i; m < s->p + s->n && *m != '[' && *m != '&';
		    m++)
			;
		if ((i = (size_t)(m - s->p)) >= s->n)
			break;
		if (*m == '&') {
			e = s_entity(s, i);
			i = e != i ? e : i + 1;
			continue;
		}
		if ((e = s_bb_tag(s, i, name, sizeof(name), &close)) == 0) {
			i++;
			continue;
		}
		if (!close && strcmp(name, "quote") == 0 && !s->keep) {
			size_t end = s_bb_quote_end(s, e);

			s_cut(s, i, end);
			i = end;
		} else if (s_in(name, s_bb_blocks, sizeof(s_bb_blocks) /
		    sizeof(*s_bb_blocks))) {
			s_block(s, i, e);
			i = e;
		} else if (s_in(name, s_bb_inline, sizeof(s_bb_inline) /
		    sizeof(*s_bb_inline))) {
			s_drop(s, i, e);
			i = e;
		} else
			i++;
	}
	s_flush(s, s->n);
}

/* ---- HTML ---------------------------------------------------------------- */

static void
s_htmldoc(s_scan_t *s)
{
	size_t i = 0;

	while (i < s->n) {
		const unsigned char	*m;
		size_t			 e;

		for (m = s->p + i; m < s->p + s->n && *m != '<' && *m != '&';
		    m++)
			;
		if ((i = (size_t)(m - s->p)) >= s->n)
			break;
		e = *m == '&' ? s_entity(s, i) : s_html(s, i, 0);
		i = e != i ? e : i + 1;
	}
	s_flush(s, s->n);
}

/* ---- wikitext ------------------------------------------------------------ */

static const char *const s_wiki_quotes[] = {
	"quote", "cquote", "quotation", "blockquote", "rquote", "quote box",
	"talk quote", "talkquote",
};

/* At "{{": the index after the matching "}}" (nesting-aware) or the end. */
static size_t
s_wiki_template_end(const s_scan_t *s, size_t i)
{
	int depth = 0;

	for (size_t j = i; j + 1 < s->n; j++) {
		if (s->p[j] == '{' && s->p[j + 1] == '{') {
			depth++;
			j++;
		} else if (s->p[j] == '}' && s->p[j + 1] == '}') {
			if (--depth == 0)
				return j + 2;
			j++;
		}
	}
	return s->n;
}

/* At "{{": a template is dropped, a quotation template cut (or its
 * parameters kept as text with MF_NORM_KEEP_QUOTES). */
static size_t
s_wiki_template(s_scan_t *s, size_t i)
{
	size_t	end = s_wiki_template_end(s, i), j = i + 2, k = 0;
	char	name[16];

	while (j < end && s->p[j] == ' ')
		j++;
	for (; j < end && s->p[j] != '|' && s->p[j] != '}' && k + 1 <
	    sizeof(name); j++)
		name[k++] = (char)(s->p[j] < 0x80 ? s->p[j] | 0x20 : s->p[j]);
	while (k > 0 && name[k - 1] == ' ')
		k--;
	name[k] = '\0';
	if (!s_in(name, s_wiki_quotes, sizeof(s_wiki_quotes) /
	    sizeof(*s_wiki_quotes))) {
		s_drop(s, i, end);
		return end;
	}
	if (!s->keep) {
		s_cut(s, i, end);
		return end;
	}
	while (j < end && s->p[j] != '|')
		j++;
	s_block(s, i, j < end ? j + 1 : end);
	if (j < end && end >= 2) {
		s_flush(s, end - 2);
		s_block(s, end - 2, end);
	}
	return end;
}

/* At "[[": an internal link keeps its label (after the last '|') or its
 * target; files and categories are dropped. */
static size_t
s_wiki_link(s_scan_t *s, size_t i)
{
	size_t			 le = s_line_end(s, i), j, bar = 0;
	const unsigned char	*m;

	if (le - i > S_LOOKAHEAD)
		le = i + S_LOOKAHEAD;
	m = mf__memmem(s->p + i + 2, le - i - 2, "]]", 2);
	if (m == NULL)
		return i;
	j = (size_t)(m - s->p);
	if (s_at(s, i + 2, "file:") || s_at(s, i + 2, "image:") ||
	    s_at(s, i + 2, "category:") || s_at(s, i + 2, "media:")) {
		s_drop(s, i, j + 2);
		return j + 2;
	}
	for (size_t k = i + 2; k < j; k++)
		if (s->p[k] == '|')
			bar = k;
	s_drop(s, i, bar ? bar + 1 : i + 2);
	s_flush(s, j);
	s_drop(s, j, j + 2);
	return j + 2;
}

/* At '[' of an external link "[http://x label]": keeps the label. */
static size_t
s_wiki_extlink(s_scan_t *s, size_t i)
{
	size_t le = s_line_end(s, i), j, sp;

	if (!(s_at(s, i + 1, "http://") || s_at(s, i + 1, "https://") ||
	    s_at(s, i + 1, "//") || s_at(s, i + 1, "ftp://") ||
	    s_at(s, i + 1, "mailto:")))
		return i;
	if (le - i > S_LOOKAHEAD)
		le = i + S_LOOKAHEAD;
	for (j = i + 1; j < le && s->p[j] != ']'; j++)
		;
	if (j >= le)
		return i;
	for (sp = i + 1; sp < j && s->p[sp] != ' '; sp++)
		;
	s_drop(s, i, sp < j ? sp + 1 : j);
	s_flush(s, j);
	s_drop(s, j, j + 1);
	return j + 1;
}

/* At a wikitext line start: drops list, indent and heading markers,
 * turns rules and table syntax into boundaries. Returns where the
 * text starts. */
static size_t
s_wiki_line(s_scan_t *s, size_t i)
{
	size_t le = s_line_end(s, i), j = i;

	if (s_at(s, i, "----") || s_at(s, i, "{|") || s_at(s, i, "|}") ||
	    s_at(s, i, "|-")) {
		s_block(s, i, le);
		return le;
	}
	while (j < le && (s->p[j] == '*' || s->p[j] == '#' ||
	    s->p[j] == ':' || s->p[j] == ';' || s->p[j] == '=' ||
	    s->p[j] == '|' || s->p[j] == '!'))
		j++;
	while (j < le && s->p[j] == ' ')
		j++;
	if (j > i)
		s_drop(s, i, j);
	return j;
}

/* Bytes where wikitext inline syntax may start. */
static const uint8_t s_wiki_special[256] = {
	['\n'] = 1, ['\''] = 1, ['='] = 1, ['['] = 1, ['{'] = 1, ['<'] = 1,
	['&'] = 1, ['_'] = 1,
};

static void
s_wikitext(s_scan_t *s)
{
	const unsigned char	*p = s->p;
	size_t			 i = 0, e;

	while (i < s->n) {
		if (i == 0 || p[i - 1] == '\n') {
			i = s_wiki_line(s, i);
			if (i >= s->n)
				break;
			if (p[i] == '\n') {
				i++;
				continue;
			}
		}
		while (i < s->n && !s_wiki_special[p[i]])
			i++;
		if (i >= s->n)
			break;
		if (p[i] == '\n') {
			i++;
			continue;
		}
		e = i;
		switch (p[i]) {
		case '\'':
		case '=': {
			size_t j = i;

			while (j < s->n && p[j] == p[i])
				j++;
			if (j - i >= 2) {
				s_drop(s, i, j);
				e = j;
			}
			break;
		}
		case '[':
			if (i + 1 < s->n && p[i + 1] == '[')
				e = s_wiki_link(s, i);
			else
				e = s_wiki_extlink(s, i);
			break;
		case '{':
			if (i + 1 < s->n && p[i + 1] == '{')
				e = s_wiki_template(s, i);
			break;
		case '<':
			e = s_html(s, i, 1);
			break;
		case '&':
			e = s_entity(s, i);
			break;
		case '_':
			if (s_at(s, i, "__") && i + 2 < s->n &&
			    p[i + 2] >= 'A' && p[i + 2] <= 'Z') {
				/* magic word: __NOTOC__ */
				size_t j = i + 2;

				while (j < s->n && p[j] >= 'A' && p[j] <= 'Z')
					j++;
				if (s_at(s, j, "__")) {
					s_drop(s, i, j + 2);
					e = j + 2;
				}
			}
			break;
		default:
			break;
		}
		i = e != i ? e : i + 1;
	}
	s_flush(s, s->n);
}

void
mf__markup_reduce(mf__nctx_t *c, mf_format_t fmt)
{
	s_scan_t s = { c, c->body, c->blen, 0,
	    (c->opts & MF_NORM_KEEP_QUOTES) != 0 };

	switch (fmt) {
	case MF_FMT_MARKDOWN:
		s_markdown(&s);
		break;
	case MF_FMT_BBCODE:
		s_bbcode(&s);
		break;
	case MF_FMT_HTML:
		s_htmldoc(&s);
		break;
	case MF_FMT_WIKITEXT:
		s_wikitext(&s);
		break;
	case MF_FMT_TEXT:
	default:
		s_text(&s);
		break;
	}
}
