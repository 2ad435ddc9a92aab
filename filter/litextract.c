/*
 * litextract.c - derives, from the source of a PCRE2 pattern, a set of
 * literals at least one of which every match contains
 * (mf_prefilter_extract).
 *
 * A recursive-descent reader of the PCRE2 syntax that rules use computes,
 * for every node, two facts (after RE2's prefilter and Russ Cox's trigram
 * index):
 *
 *   exact  the node matches only the strings of a small set 'ex'
 *          ("" for anchors and lookarounds, {"s", "z"} for [sz]);
 *   req    every match of the node contains one of the strings of 'req'.
 *
 * A concatenation joins adjacent exact parts by cross product (so that
 * (vaccin|vacin)e gives {vaccine, vacine}) and keeps the best required set
 * of its parts, the best being the rarest in health text (litfreq.c); an
 * alternation is the union of its branches (none if one branch has none),
 * each part of it the union of a part of every branch, again the rarest; an optional part contributes nothing; x+ and x{m,}
 * keep x's requirement. Whatever it does not know it treats as "matches
 * anything" (a class, a dot, a backreference), which can only weaken the
 * result, never make it wrong; syntax it cannot follow at all makes the
 * whole pattern 'always'.
 *
 * Literals are compared with the normalized, case-folded post text, so
 * they are folded the same way (ASCII lower case; other letters through
 * utf8proc's case folding).
 *
 * Not responsible for compiling or checking the pattern (ruleset.c does,
 * with PCRE2) nor for the automaton (ahocorasick.c).
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "alloc.h"
#include "hash.h"
#include "litfreq.h"
#include "normalize_internal.h"
#include "prefilter.h"
#include "prefilter_internal.h"

#define S_MAXSET	16	/* strings in an exact set */
#define S_MAXREQ	256	/* strings in a required set */
#define S_MAXLIT	64	/* bytes in one exact string */
#define S_MAXREP	4	/* x{m,n} expanded when n <= this */
#define S_MAXDEPTH	200	/* nested groups */
#define S_MAXCLASS	4	/* [abc] expanded up to this many chars */
#define S_MAXPARTS	16	/* required parts of the top concatenation */
#define S_MAXITEMS	64	/* items of a branch whose lengths are kept */
#define S_INF		SIZE_MAX	/* no bound on a length */
#define S_CHAR		4	/* bytes of one character of UTF-8, at most */

typedef struct s_str {
	const char	*p;
	size_t		 n;
} s_str_t;

/* Where a part of a branch stands: its items [first, last]. */
typedef struct s_span {
	size_t	first, last;
} s_span_t;

/* An immutable set of strings in the arena. */
typedef struct s_set {
	s_str_t	*v;
	size_t	 n;
} s_set_t;

typedef struct s_info {
	int	exact;	/* 'ex' lists every string the node matches */
	s_set_t	ex;
	int	hasreq;	/* every match contains a member of 'req' */
	s_set_t	req;
	int	haslead;	/* not exact, but every match starts with */
	s_set_t	lead;		/* a member of 'lead' (x+ starts with x) */
	/* Sets every match contains a member of, each (AND), 'req'
	 * among them or not; in the arena. A branch, a group or an
	 * alternation of them: /a.*b|b.*a/ needs {a} and {b}. */
	const s_set_t	*parts;
	size_t		 nparts;
	/* The most bytes of text a match spans; S_INF if unbounded. */
	size_t		 maxlen;
	/* A branch's own: where each part stands (parallel to 'parts')
	 * and the most bytes each item spans, so that the prefilter can
	 * ask for the parts in their order and near enough. NULL when the
	 * node is not one branch or has over S_MAXITEMS items. */
	const s_span_t	*spans;
	const size_t	*itemmax;
	size_t		 nitems;
} s_info_t;

typedef struct s_block {
	struct s_block	*next;
	size_t		 used, cap;
	char		 data[];
} s_block_t;

/* Reader state. */
typedef struct s_px {
	const char	*p, *end;
	int		 ext;		/* 0, 1 (x) or 2 (xx) */
	int		 inquote;	/* inside \Q...\E */
	int		 depth;
	int		 fail;		/* give up: the pattern runs always */
	int		 nomem;
	int		 saw_backref, saw_alt_none;
	/* The sets every match needs (AND), of the top node; s_also()
	 * picks the best few as 'also' sets. */
	const s_set_t	*parts;
	size_t		 nparts;
	const s_span_t	*spans;		/* of the top branch, or NULL */
	const size_t	*itemmax;
	size_t		 nitems;
	char		 why[128];
	s_block_t	*arena;
} s_px_t;

static void	s_alt(s_px_t *px, s_info_t *out);

/* ---- arena and sets ------------------------------------------------- */

static void *
s_alloc(s_px_t *px, size_t n)
{
	s_block_t	*b = px->arena;
	void		*r;

	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > 8192 ? n : 8192;

		if ((b = mf_malloc(sizeof(*b) + cap)) == NULL) {
			px->nomem = 1;
			return NULL;
		}
		b->next = px->arena;
		b->used = 0;
		b->cap = cap;
		px->arena = b;
	}
	r = b->data + b->used;
	b->used += n;
	return r;
}

static void
s_arena_free(s_px_t *px)
{
	s_block_t *b, *next;

	for (b = px->arena; b != NULL; b = next) {
		next = b->next;
		mf_free(b);
	}
	px->arena = NULL;
}

static void
s_failf(s_px_t *px, const char *fmt, ...)
{
	va_list ap;

	if (px->fail)
		return;
	px->fail = 1;
	va_start(ap, fmt);
	vsnprintf(px->why, sizeof(px->why), fmt, ap);
	va_end(ap);
}

static int
s_set_new(s_px_t *px, s_set_t *s, size_t n)
{
	s->n = 0;
	s->v = s_alloc(px, (n ? n : 1) * sizeof(*s->v));
	return s->v == NULL ? -1 : 0;
}

/* {a} */
static int
s_set_one(s_px_t *px, s_set_t *s, const char *a, size_t n)
{
	char *p;

	if (s_set_new(px, s, 1) < 0 || (p = s_alloc(px, n + 1)) == NULL)
		return -1;
	memcpy(p, a, n);
	p[n] = '\0';
	s->v[0].p = p;
	s->v[0].n = n;
	s->n = 1;
	return 0;
}

static int
s_set_has(const s_set_t *s, const char *a, size_t n)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].n == n && memcmp(s->v[i].p, a, n) == 0)
			return 1;
	return 0;
}

/* A u B without duplicates; 1 if it fits in 'max', 0 if not, -1 ENOMEM. */
static int
s_set_union(s_px_t *px, const s_set_t *a, const s_set_t *b, size_t max,
    s_set_t *out)
{
	if (a->n + b->n > max * 2 + 2)
		return 0;
	if (s_set_new(px, out, a->n + b->n) < 0)
		return -1;
	for (size_t k = 0; k < 2; k++) {
		const s_set_t *s = k == 0 ? a : b;

		for (size_t i = 0; i < s->n; i++) {
			if (s_set_has(out, s->v[i].p, s->v[i].n))
				continue;
			if (out->n == max)
				return 0;
			out->v[out->n++] = s->v[i];
		}
	}
	return 1;
}

/* { x y : x in A, y in B }; 1 if it fits, 0 if not, -1 ENOMEM. */
static int
s_set_cross(s_px_t *px, const s_set_t *a, const s_set_t *b, s_set_t *out)
{
	if (a->n * b->n > S_MAXSET)
		return 0;
	if (s_set_new(px, out, a->n * b->n) < 0)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < b->n; j++) {
			size_t	 n = a->v[i].n + b->v[j].n;
			char	*p;

			if (n > S_MAXLIT)
				return 0;
			if ((p = s_alloc(px, n + 1)) == NULL)
				return -1;
			memcpy(p, a->v[i].p, a->v[i].n);
			memcpy(p + a->v[i].n, b->v[j].p, b->v[j].n);
			p[n] = '\0';
			if (!s_set_has(out, p, n)) {
				out->v[out->n].p = p;
				out->v[out->n++].n = n;
			}
		}
	}
	return 1;
}

static size_t
s_set_minlen(const s_set_t *s)
{
	size_t m = SIZE_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].n < m)
			m = s->v[i].n;
	return s->n ? m : 0;
}

/* Index + 1 of the first member of 's' equal to a[0, n) in the table
 * 'tab' of 'cap' slots (a power of two), or 0. */
static size_t
s_tab_find(const s_set_t *s, const size_t *tab, size_t cap, const char *a,
    size_t n)
{
	for (size_t i = mf_fnv64(MF_FNV64_INIT, a, n) & (cap - 1); tab[i];
	    i = (i + 1) & (cap - 1))
		if (s->v[tab[i] - 1].n == n &&
		    memcmp(s->v[tab[i] - 1].p, a, n) == 0)
			return tab[i];
	return 0;
}

/*
 * The required set an exact set implies: the set itself, less every
 * string that contains another member (a text holding "foobar" holds
 * "bar") and every repeat of an earlier one. 0 if it has the empty
 * string (no requirement), 1 if done.
 *
 * A lexicon's alternation makes sets of up to S_MAXREQ strings, reduced
 * again for every branch it adds (s_alt_parts()), so comparing every
 * pair was most of the time a rule set took to load. Instead the
 * members go into a hash table, and each member's substrings of the
 * lengths some member has are looked up in it: a few dozen lookups for
 * a word, whatever the size of the set.
 */
static int
s_req_of(s_px_t *px, const s_set_t *ex, s_set_t *out)
{
	/* Per first byte, the lengths (bit n, 1 to 63) of the members that
	 * start with it; bit 0: one of 64 bytes or more starts with it. */
	uint64_t	 first[256];
	size_t		 cap = 16, *tab;

	if (ex->n == 0 || s_set_minlen(ex) == 0)
		return 0;
	if (s_set_new(px, out, ex->n) < 0)
		return -1;
	while (cap < 2 * ex->n)
		cap *= 2;
	if ((tab = s_alloc(px, cap * sizeof(*tab))) == NULL)
		return -1;
	memset(tab, 0, cap * sizeof(*tab));
	memset(first, 0, sizeof(first));
	for (size_t i = 0; i < ex->n; i++) {
		const s_str_t	*a = &ex->v[i];
		size_t		 k;

		first[(unsigned char)a->p[0]] |= (uint64_t)1 << (a->n < 64 ?
		    a->n : 0);
		if (s_tab_find(ex, tab, cap, a->p, a->n))
			continue;	/* the first of equal strings stays */
		for (k = mf_fnv64(MF_FNV64_INIT, a->p, a->n) & (cap - 1);
		    tab[k]; k = (k + 1) & (cap - 1))
			;
		tab[k] = i + 1;
	}
	for (size_t i = 0; i < ex->n; i++) {
		const s_str_t	*a = &ex->v[i];
		int		 absorbed = s_tab_find(ex, tab, cap, a->p, a->n) <
				    i + 1;

		/* Any shorter member inside it: only a member that starts
		 * with the byte at 'off' can start there. */
		for (size_t off = 0; off < a->n && !absorbed; off++) {
			uint64_t m = first[(unsigned char)a->p[off]];

			if (m == 0)
				continue;
			for (size_t len = 1; off + len <= a->n && len < a->n &&
			    !absorbed; len++) {
				if (len < 64 && !(m & ((uint64_t)1 << len)) &&
				    !(m & 1))
					continue;
				absorbed = s_tab_find(ex, tab, cap, a->p + off,
				    len) != 0;
			}
		}
		if (!absorbed)
			out->v[out->n++] = ex->v[i];
	}
	return 1;
}

static int
s_contains(const s_str_t *hay, const s_str_t *needle)
{
	/* Short strings: mf__memmem() looks for the first byte with
	 * memchr(), where glibc's memmem() spends its time setting up. */
	return mf__memmem(hay->p, hay->n, needle->p, needle->n) != NULL;
}

/*
 * s_set_union(a, b, S_MAXREQ) reduced by s_req_of(), when 'a' is itself
 * an output of s_req_of(): no member of 'a' holds another and none
 * repeats, so only a pair with a member of 'b' can drop one. This is
 * what an alternation does once per branch with its parts so far (up to
 * S_MAXREQ strings) and the branch's few. 1 with the set in 'out', 0 if
 * it does not fit or requires nothing, -1 ENOMEM.
 */
static int
s_req_union(s_px_t *px, const s_set_t *a, const s_set_t *b, s_set_t *out)
{
	s_set_t	u;

	if (a->n + b->n > S_MAXREQ * 2 + 2 || a->n > S_MAXREQ)
		return 0;
	if (s_set_new(px, &u, a->n + b->n) < 0)
		return -1;
	memcpy(u.v, a->v, a->n * sizeof(*u.v));
	u.n = a->n;
	for (size_t i = 0; i < b->n; i++) {
		if (s_set_has(&u, b->v[i].p, b->v[i].n))
			continue;
		if (u.n == S_MAXREQ)
			return 0;
		u.v[u.n++] = b->v[i];
	}
	if (u.n == 0 || s_set_minlen(&u) == 0)
		return 0;
	if (s_set_new(px, out, u.n) < 0)
		return -1;
	for (size_t i = 0; i < u.n; i++) {
		int absorbed = 0;

		for (size_t j = i < a->n ? a->n : 0; j < u.n && !absorbed;
		    j++)
			absorbed = j != i && s_contains(&u.v[i], &u.v[j]) &&
			    (u.v[i].n > u.v[j].n || j < i);
		if (!absorbed)
			out->v[out->n++] = u.v[i];
	}
	return 1;
}

/* The node's required set, from 'req' or from 'ex'. 1, 0 (none), -1. */
static int
s_info_req(s_px_t *px, const s_info_t *in, s_set_t *out)
{
	if (in->hasreq) {
		*out = in->req;
		return 1;
	}
	if (in->exact)
		return s_req_of(px, &in->ex, out);
	return 0;
}

/* Whether a string is too short to look for: under MF__PF_MINLIT
 * bytes, and not a byte rare in health text. */
static int
s_str_short(const s_str_t *v)
{
	return v->n < MF__PF_MINLIT && (v->n == 0 ||
	    mf__litfreq(v->p, 1) >= MF__PF_RARE1);
}

/* Whether a string of the set is (s_str_short()). */
static int
s_set_short(const s_set_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s_str_short(&s->v[i]))
			return 1;
	return 0;
}

/* How many health posts in 100,000 may hold one of the set's strings,
 * summed (litfreq.c): the estimate of how often a rule needing the set
 * gets past it. */
static uint64_t
s_set_cost(const s_set_t *s)
{
	uint64_t c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += mf__litfreq(s->v[i].p, s->v[i].n);
	return c;
}

/* 1 if a rule needing 'a' would run on fewer posts than one needing 'b'
 * (costs 'ca' and 'cb'), by rarity in health text, then by the length of
 * the shortest string, then by the number of strings: of "(covid|corona)
 * written (on|as)" and "(pusieron|colgaron ...)", the verbs. */
static int
s_better_at(const s_set_t *a, uint64_t ca, const s_set_t *b, uint64_t cb)
{
	size_t ma, mb;

	if (ca != cb)
		return ca < cb;
	ma = s_set_minlen(a);
	mb = s_set_minlen(b);
	if (ma != mb)
		return ma > mb;
	return a->n < b->n;
}

static void
s_info_unknown(s_info_t *out)
{
	memset(out, 0, sizeof(*out));
	out->maxlen = S_INF;
}

static size_t
s_len_add(size_t a, size_t b)
{
	return a > S_INF - b ? S_INF : a + b;
}

static int
s_info_empty(s_px_t *px, s_info_t *out)
{
	s_info_unknown(out);
	out->maxlen = 0;
	out->exact = 1;
	return s_set_one(px, &out->ex, "", 0);
}

/* ---- characters ----------------------------------------------------- */

/* An exact one-character node for code point 'cp' as it appears in
 * folded text. NUL and what cannot be encoded become unknown. */
static void
s_info_char(s_px_t *px, int32_t cp, s_info_t *out)
{
	utf8proc_uint8_t	 buf[64];
	utf8proc_int32_t	 cps[8];
	utf8proc_ssize_t	 n;
	int			 last = 0;

	s_info_unknown(out);
	out->maxlen = S_CHAR;	/* one code point of the text, caseless */
	if (cp <= 0 || cp > 0x10ffff)
		return;
	if (cp < 0x80) {
		char c = (char)tolower((unsigned char)cp);

		out->exact = 1;
		s_set_one(px, &out->ex, &c, 1);
		return;
	}
	/* The text is case-folded with NFKC; fold the letter the same way,
	 * so that a pattern written with 'É' finds the text's 'é'. */
	n = utf8proc_decompose_char(cp, cps, 8, UTF8PROC_DECOMPOSE |
	    UTF8PROC_CASEFOLD | UTF8PROC_COMPAT, &last);
	if (n <= 0 || n > 8)
		return;
	n = utf8proc_normalize_utf32(cps, n, UTF8PROC_COMPOSE |
	    UTF8PROC_STABLE);
	if (n <= 0) {
		return;
	} else {
		size_t len = 0;

		for (utf8proc_ssize_t i = 0; i < n; i++) {
			if (cps[i] == 0)
				return;
			len += (size_t)utf8proc_encode_char(cps[i], buf + len);
		}
		out->exact = 1;
		s_set_one(px, &out->ex, (const char *)buf, len);
	}
}

/* Reads one UTF-8 character at px->p; U+FFFD-like -1 on a bad byte. */
static int32_t
s_utf8(s_px_t *px)
{
	utf8proc_int32_t	cp;
	utf8proc_ssize_t	n;

	n = utf8proc_iterate((const utf8proc_uint8_t *)px->p,
	    px->end - px->p, &cp);
	if (n <= 0) {
		px->p++;
		return -1;
	}
	px->p += n;
	return cp;
}

static int
s_ishex(int c)
{
	return isxdigit((unsigned char)c);
}

/* Pattern_White_Space outside ASCII, skipped in extended mode. */
static size_t
s_uspace(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t left = (size_t)(end - p);

	if (left >= 2 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0x8e || u[2] == 0x8f || u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

/*
 * Skips what matches nothing and has no effect on what follows: white
 * space and # comments in extended mode, (?#...) comments, \E, and the
 * boundaries of \Q...\E.
 */
static void
s_skip(s_px_t *px)
{
	for (;;) {
		const char *p = px->p;
		size_t n;

		if (p >= px->end)
			return;
		if (px->inquote) {
			if (p + 1 < px->end && p[0] == '\\' && p[1] == 'E') {
				px->inquote = 0;
				px->p += 2;
				continue;
			}
			return;
		}
		if (p + 1 < px->end && p[0] == '\\' &&
		    (p[1] == 'E' || p[1] == 'Q')) {
			px->inquote = p[1] == 'Q';
			px->p += 2;
			continue;
		}
		if (p + 2 < px->end && p[0] == '(' && p[1] == '?' &&
		    p[2] == '#') {
			const char *e = memchr(p, ')', px->end - p);

			if (e == NULL) {
				s_failf(px, "unterminated (?# comment");
				px->p = px->end;
				return;
			}
			px->p = e + 1;
			continue;
		}
		if (px->ext) {
			if (*p == ' ' || *p == '\t' || *p == '\n' ||
			    *p == '\r' || *p == '\f' || *p == '\v') {
				px->p++;
				continue;
			}
			if ((n = s_uspace(p, px->end)) > 0) {
				px->p += n;
				continue;
			}
			if (*p == '#') {
				while (px->p < px->end && *px->p != '\n')
					px->p++;
				continue;
			}
		}
		return;
	}
}

/* Reads digits in 'base' up to 'max' of them into *v; how many read. */
static size_t
s_number(s_px_t *px, int base, size_t max, long *v)
{
	size_t n = 0;

	*v = 0;
	while (px->p < px->end && n < max) {
		int c = (unsigned char)*px->p, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && s_ishex(c))
			d = tolower(c) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (*v < 0x1000000)
			*v = *v * base + d;
		px->p++;
		n++;
	}
	return n;
}

/* Skips a {...}, <...> or '...' name after \g, \k, \p, \N. */
static int
s_skip_delim(s_px_t *px, char open)
{
	char close = open == '{' ? '}' : open == '<' ? '>' : '\'';
	const char *e;

	if (px->p >= px->end || *px->p != open)
		return -1;
	if ((e = memchr(px->p + 1, close, px->end - px->p - 1)) == NULL)
		return -1;
	px->p = e + 1;
	return 0;
}

/*
 * Reads the escape after a backslash (px->p is past it) that yields one
 * character, in a class or outside: \xhh \x{h..} \o{..} \0oo \n \t ...
 * Returns the code point, or -1 if this is not a one-character escape
 * (px->p unchanged then).
 */
static int32_t
s_char_escape(s_px_t *px, int inclass)
{
	const char	*save = px->p;
	long		 v;
	int		 c;

	if (px->p >= px->end)
		return -1;
	c = (unsigned char)*px->p++;
	switch (c) {
	case 'a': return 7;
	case 'e': return 27;
	case 'f': return 12;
	case 'n': return 10;
	case 'r': return 13;
	case 't': return 9;
	case 'b':
		if (inclass)
			return 8;
		break;
	case 'c':
		if (px->p < px->end && (unsigned char)*px->p < 0x80) {
			c = toupper((unsigned char)*px->p++);
			return c ^ 0x40;
		}
		break;
	case 'x':
		if (px->p < px->end && *px->p == '{') {
			px->p++;
			s_number(px, 16, 8, &v);
			if (px->p < px->end && *px->p == '}') {
				px->p++;
				return (int32_t)v;
			}
			break;
		}
		s_number(px, 16, 2, &v);
		return (int32_t)v;
	case 'o':
		if (px->p < px->end && *px->p == '{') {
			px->p++;
			s_number(px, 8, 11, &v);
			if (px->p < px->end && *px->p == '}') {
				px->p++;
				return (int32_t)v;
			}
		}
		break;
	case '0':
		s_number(px, 8, 2, &v);
		return (int32_t)v;
	default:
		if (c >= 0x80) {
			px->p--;
			return s_utf8(px);
		}
		if (!isalnum(c))
			return c;
		break;
	}
	px->p = save;
	return -1;
}

/* ---- atoms ---------------------------------------------------------- */

/* Escape outside a class; px->p is past the backslash. */
static void
s_escape(s_px_t *px, s_info_t *out)
{
	int32_t cp;
	int	c;

	s_info_unknown(out);
	if (px->p >= px->end) {
		s_failf(px, "pattern ends with a backslash");
		return;
	}
	c = (unsigned char)*px->p;
	switch (c) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		px->p++;
		s_info_empty(px, out);	/* assertions match the empty string */
		return;
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
	case 'h': case 'H': case 'v': case 'V': case 'R': case 'X':
	case 'C':
		px->p++;
		/* One character; \R may be \r\n; \X a whole cluster. */
		out->maxlen = c == 'X' ? S_INF : c == 'R' ? 2 * S_CHAR :
		    S_CHAR;
		return;
	case 'N':
		px->p++;
		out->maxlen = S_CHAR;
		if (px->p < px->end && *px->p == '{')
			s_skip_delim(px, '{');
		return;
	case 'p': case 'P':
		px->p++;
		out->maxlen = S_CHAR;
		if (px->p < px->end && *px->p == '{') {
			if (s_skip_delim(px, '{') < 0)
				s_failf(px, "malformed \\p{...}");
		} else if (px->p < px->end) {
			px->p++;
		}
		return;
	case 'g': case 'k':
		/* Backreference or subroutine call: matches who knows. */
		px->p++;
		px->saw_backref = 1;
		if (px->p < px->end && (*px->p == '{' || *px->p == '<' ||
		    *px->p == '\'')) {
			if (s_skip_delim(px, *px->p) < 0)
				s_failf(px, "malformed \\%c reference", c);
		} else {
			long v;

			if (px->p < px->end && (*px->p == '+' || *px->p == '-'))
				px->p++;
			if (s_number(px, 10, 10, &v) == 0)
				s_failf(px, "malformed \\%c reference", c);
		}
		return;
	default:
		break;
	}
	if (c >= '1' && c <= '9') {
		long v;

		/* A backreference, or an octal escape when there are not
		 * that many groups: either way, unknown. */
		s_number(px, 10, 10, &v);
		px->saw_backref = 1;
		return;
	}
	if ((cp = s_char_escape(px, 0)) < 0) {
		s_failf(px, "unsupported escape \\%c", c);
		px->p++;
		return;
	}
	s_info_char(px, cp, out);
}

/*
 * A character class; px->p is past '['. Small classes of plain ASCII
 * characters ([sz], [-.]) become exact sets; anything else is one
 * unknown character.
 */
static void
s_class(s_px_t *px, s_info_t *out)
{
	char	 chars[S_MAXCLASS];
	size_t	 nchars = 0;
	int	 plain = 1, first = 1, quote = 0;
	int32_t	 prev = -1;	/* last single character, for ranges */

	s_info_unknown(out);
	out->maxlen = S_CHAR;
	if (px->p < px->end && *px->p == '^') {
		plain = 0;
		px->p++;
	}
	for (;;) {
		int32_t	cp = -1;
		int	c;

		if (px->p >= px->end) {
			s_failf(px, "unterminated character class");
			return;
		}
		c = (unsigned char)*px->p;
		if (quote) {
			if (c == '\\' && px->p + 1 < px->end &&
			    px->p[1] == 'E') {
				quote = 0;
				px->p += 2;
				continue;
			}
			cp = s_utf8(px);
			goto single;
		}
		if (c == ']' && !first) {
			px->p++;
			break;
		}
		first = 0;
		if (px->ext == 2 && (c == ' ' || c == '\t')) {
			px->p++;
			continue;
		}
		if (c == '[' && px->p + 1 < px->end &&
		    (px->p[1] == ':' || px->p[1] == '.' || px->p[1] == '=')) {
			const char *e = px->p + 2;

			while (e + 1 < px->end && !(e[0] == px->p[1] &&
			    e[1] == ']'))
				e++;
			if (e + 1 >= px->end) {
				s_failf(px, "unterminated POSIX class");
				return;
			}
			px->p = e + 2;
			plain = 0;
			prev = -1;
			continue;
		}
		if (c == '\\') {
			px->p++;
			if (px->p >= px->end) {
				s_failf(px, "unterminated character class");
				return;
			}
			if (*px->p == 'Q') {
				quote = 1;
				px->p++;
				continue;
			}
			if (*px->p == 'E') {
				px->p++;
				continue;
			}
			if ((cp = s_char_escape(px, 1)) < 0) {
				/* \d \w \p{..} and the like */
				c = (unsigned char)*px->p++;
				if ((c == 'p' || c == 'P') && px->p < px->end) {
					if (*px->p == '{')
						s_skip_delim(px, '{');
					else
						px->p++;
				}
				plain = 0;
				prev = -1;
				continue;
			}
			goto single;
		}
		if (c == '-' && prev >= 0 && px->p + 1 < px->end &&
		    px->p[1] != ']') {
			int32_t hi;

			px->p++;
			if (*px->p == '\\') {
				px->p++;
				if ((hi = s_char_escape(px, 1)) < 0) {
					plain = 0;
					px->p++;
					prev = -1;
					continue;
				}
			} else if (*px->p == '[') {
				/* "a-[:digit:]" is an error or a literal '-';
				 * either way give up on exactness. */
				plain = 0;
				prev = -1;
				continue;
			} else {
				hi = s_utf8(px);
			}
			if (hi < prev || hi >= 0x80 || hi - prev > S_MAXCLASS) {
				plain = 0;
			} else {
				for (int32_t k = prev + 1; k <= hi && plain;
				    k++) {
					char l = (char)tolower((int)k);

					if (memchr(chars, l, nchars))
						continue;
					if (nchars == S_MAXCLASS)
						plain = 0;
					else
						chars[nchars++] = l;
				}
			}
			prev = -1;
			continue;
		}
		cp = s_utf8(px);
single:
		prev = cp;
		if (cp <= 0 || cp >= 0x80) {
			plain = 0;
			continue;
		}
		{
			char l = (char)tolower((int)cp);

			if (memchr(chars, l, nchars))
				continue;
			if (nchars == S_MAXCLASS)
				plain = 0;
			else
				chars[nchars++] = l;
		}
	}
	if (!plain || nchars == 0)
		return;
	if (s_set_new(px, &out->ex, nchars) < 0)
		return;
	for (size_t i = 0; i < nchars; i++) {
		char *p = s_alloc(px, 2);

		if (p == NULL)
			return;
		p[0] = chars[i];
		p[1] = '\0';
		out->ex.v[i].p = p;
		out->ex.v[i].n = 1;
	}
	out->ex.n = nchars;
	out->exact = 1;
}

/* Option letters after "(?": updates px->ext. Returns the char that ends
 * them (')' or ':') or 0 when they are not option letters. */
static int
s_options(s_px_t *px)
{
	const char	*p = px->p;
	int		 on = 1, x = px->ext, nx = 0;

	for (; p < px->end; p++) {
		switch (*p) {
		case '^':
			x = 0;
			break;
		case '-':
			on = 0;
			break;
		case 'x':
			if (on)
				x = ++nx >= 2 ? 2 : 1;
			else
				x = 0;
			break;
		case 'i': case 'm': case 'n': case 's': case 'J': case 'U':
			break;
		case ')': case ':':
			px->p = p + 1;
			px->ext = x;
			return *p;
		default:
			return 0;
		}
	}
	return 0;
}

/* Group after '('; px->p is past it. */
static void
s_group(s_px_t *px, s_info_t *out)
{
	int	saved_ext = px->ext, look = 0, c;

	s_info_unknown(out);
	if (++px->depth > S_MAXDEPTH) {
		s_failf(px, "groups nested too deeply");
		return;
	}
	if (px->p < px->end && *px->p == '*') {
		s_failf(px, "backtracking verb or (*...) group");
		goto out;
	}
	if (px->p < px->end && *px->p == '?') {
		px->p++;
		if (px->p >= px->end) {
			s_failf(px, "unterminated group");
			goto out;
		}
		c = (unsigned char)*px->p;
		if (c == ':' || c == '|' || c == '>') {
			px->p++;
		} else if (c == '=' || c == '!') {
			px->p++;
			look = 1;
		} else if (c == '<' && px->p + 1 < px->end &&
		    (px->p[1] == '=' || px->p[1] == '!')) {
			px->p += 2;
			look = 1;
		} else if (c == '<' || c == '\'' || (c == 'P' &&
		    px->p + 1 < px->end && px->p[1] == '<')) {
			if (c == 'P')
				px->p++;
			if (s_skip_delim(px, *px->p) < 0) {
				s_failf(px, "malformed group name");
				goto out;
			}
		} else if (c == 'P' || c == '&' || c == 'R' || c == '+' ||
		    c == '-' || (c >= '0' && c <= '9')) {
			const char *e;

			if (c == '-' && px->p + 1 < px->end &&
			    !isdigit((unsigned char)px->p[1]))
				goto options;
			/* (?P=name) (?P>name) (?&name) (?R) (?1): a
			 * backreference or a recursion, unknown. */
			if ((e = memchr(px->p, ')', px->end - px->p)) == NULL) {
				s_failf(px, "unterminated group");
				goto out;
			}
			px->saw_backref = 1;
			px->p = e + 1;
			goto out;
		} else if (c == 'C') {
			const char *e = memchr(px->p, ')', px->end - px->p);

			if (e == NULL) {
				s_failf(px, "unterminated callout");
				goto out;
			}
			px->p = e + 1;
			s_info_empty(px, out);
			goto out;
		} else if (c == '(') {
			s_failf(px, "conditional group");
			goto out;
		} else {
options:
			switch (s_options(px)) {
			case ')':
				/* Sets options for the rest of the enclosing
				 * group: keep px->ext, match empty. */
				px->depth--;
				s_info_empty(px, out);
				return;
			case ':':
				break;
			default:
				s_failf(px, "unsupported group syntax (?%c",
				    c);
				goto out;
			}
		}
	}
	s_alt(px, out);
	if (px->fail)
		goto out;
	if (px->p >= px->end || *px->p != ')') {
		s_failf(px, "missing )");
		goto out;
	}
	px->p++;
	if (look) {
		/* A lookaround matches the empty string where it stands. */
		s_info_empty(px, out);
	}
out:
	px->ext = saved_ext;
	px->depth--;
}

/* ---- quantifiers ---------------------------------------------------- */

/* Parses a quantifier at px->p into [*lo, *hi] (hi < 0: unbounded).
 * 0 if there is none; -1 (fail set) on a '{' that PCRE2 versions read
 * differently. */
static int
s_quant(s_px_t *px, long *lo, long *hi)
{
	const char	*p = px->p;
	long		 v;

	if (px->inquote || p >= px->end)
		return 0;
	switch (*p) {
	case '?': *lo = 0; *hi = 1; px->p++; break;
	case '*': *lo = 0; *hi = -1; px->p++; break;
	case '+': *lo = 1; *hi = -1; px->p++; break;
	case '{':
		px->p++;
		if (s_number(px, 10, 6, &v) == 0) {
			/* "{,n}" is {0,n} in PCRE2 10.43 and a literal
			 * before; reading it as {0,n} is the weaker. */
			if (px->p < px->end && *px->p == ',') {
				v = 0;
			} else {
				px->p = p;
				s_failf(px, "'{' that is not a quantifier");
				return -1;
			}
		}
		*lo = v;
		*hi = v;
		if (px->p < px->end && *px->p == ',') {
			px->p++;
			if (s_number(px, 10, 6, &v) == 0)
				*hi = -1;
			else
				*hi = v;
		}
		if (px->p >= px->end || *px->p != '}') {
			px->p = p;
			s_failf(px, "'{' that is not a quantifier");
			return -1;
		}
		px->p++;
		break;
	default:
		return 0;
	}
	/* Lazy and possessive forms match the same strings. */
	if (px->p < px->end && (*px->p == '?' || *px->p == '+'))
		px->p++;
	return 1;
}

/* x{lo,hi} of node 'in' into 'out'. */
static void
s_repeat(s_px_t *px, const s_info_t *in, long lo, long hi, s_info_t *out)
{
	s_set_t	 acc, pow, tmp;
	int	 ok = 1;

	s_info_unknown(out);
	if (in->maxlen == 0)
		out->maxlen = 0;
	else if (hi >= 0 && in->maxlen <= S_INF / ((size_t)hi + 1))
		out->maxlen = in->maxlen * (size_t)hi;
	if (in->exact && hi >= 0 && hi <= S_MAXREP) {
		/* x? and friends: the union of x^lo .. x^hi. */
		if (s_set_one(px, &pow, "", 0) < 0)
			return;
		acc.n = 0;
		acc.v = NULL;
		for (long k = 0; k <= hi && ok == 1; k++) {
			if (k > 0 && (ok = s_set_cross(px, &pow, &in->ex,
			    &tmp)) == 1)
				pow = tmp;
			if (ok == 1 && k >= lo) {
				ok = s_set_union(px, &acc, &pow, S_MAXSET,
				    &tmp);
				if (ok == 1)
					acc = tmp;
			}
		}
		if (ok == 1) {
			out->exact = 1;
			out->ex = acc;
			return;
		}
	}
	if (lo == 0)
		return;		/* optional: no requirement */
	/* x+ and x{m,}: x^m is in every match; else x's requirement. */
	if (in->exact) {
		ok = s_set_one(px, &pow, "", 0) < 0 ? -1 : 1;
		for (long k = 0; k < lo && ok == 1; k++)
			if ((ok = s_set_cross(px, &pow, &in->ex, &tmp)) == 1)
				pow = tmp;
		if (ok == 1 && s_req_of(px, &pow, &out->req) == 1) {
			out->hasreq = 1;
			out->haslead = 1;
			out->lead = pow;
			return;
		}
	}
	if (s_info_req(px, in, &out->req) == 1)
		out->hasreq = 1;
}

/* ---- sequences and alternation ---------------------------------------- */

/* Concatenation state: the exact run being joined and the best set;
 * where each part stands, in items (one atom with its quantifiers). */
typedef struct s_seq {
	s_set_t		run;
	size_t		run_first;	/* its first item; S_INF: empty */
	int		allexact;
	s_set_t		best;
	uint64_t	bestcost;	/* s_set_cost(&best) */
	int		hasbest;
	s_set_t		parts[S_MAXPARTS];
	s_span_t	spans[S_MAXPARTS];
	size_t		nparts;
	size_t		item;		/* the item being added */
	size_t		itemmax[S_MAXITEMS];
	size_t		maxlen;		/* of the items so far */
} s_seq_t;

/* Offers 'req', required by the items [first, last]. */
static void
s_seq_offer(s_seq_t *sq, const s_set_t *req, size_t first, size_t last)
{
	uint64_t cost;

	if (req->n == 0 || s_set_minlen(req) == 0)
		return;
	if (sq->nparts < S_MAXPARTS) {
		sq->spans[sq->nparts].first = first;
		sq->spans[sq->nparts].last = last;
		sq->parts[sq->nparts++] = *req;
	}
	cost = s_set_cost(req);
	if (!sq->hasbest || s_better_at(req, cost, &sq->best, sq->bestcost)) {
		sq->best = *req;
		sq->bestcost = cost;
		sq->hasbest = 1;
	}
}

/* Offers the run, which ends with item 'last', and starts a new one. */
static void
s_seq_flush(s_px_t *px, s_seq_t *sq, size_t last)
{
	s_set_t req;

	if (sq->run_first != S_INF && s_req_of(px, &sq->run, &req) == 1)
		s_seq_offer(sq, &req, sq->run_first, last);
	s_set_one(px, &sq->run, "", 0);
	sq->run_first = S_INF;
}

static void
s_seq_add(s_px_t *px, s_seq_t *sq, const s_info_t *it)
{
	s_set_t joined, req;
	size_t	i = sq->item;
	int	ok;

	if (i < S_MAXITEMS)
		sq->itemmax[i] = it->maxlen;
	sq->maxlen = s_len_add(sq->maxlen, it->maxlen);
	sq->item++;
	if (it->exact) {
		if ((ok = s_set_cross(px, &sq->run, &it->ex, &joined)) == 1) {
			sq->run = joined;
			if (sq->run_first == S_INF)
				sq->run_first = i;
			return;
		}
		/* Too many or too long: keep what we have, start again. */
		sq->allexact = 0;
		s_seq_flush(px, sq, i - 1);
		sq->run = it->ex;
		sq->run_first = i;
		return;
	}
	sq->allexact = 0;
	if (it->haslead) {
		/* x+ is x x*: x joins what precedes it. */
		if ((ok = s_set_cross(px, &sq->run, &it->lead, &joined)) ==
		    1) {
			sq->run = joined;
			if (sq->run_first == S_INF)
				sq->run_first = i;
			s_seq_flush(px, sq, i);
		} else {
			s_seq_offer(sq, &it->req, i, i);
			s_seq_flush(px, sq, i - 1);
		}
		return;
	}
	s_seq_flush(px, sq, i - 1);
	if (s_info_req(px, it, &req) == 1)
		s_seq_offer(sq, &req, i, i);
	for (size_t k = 0; k < it->nparts; k++)
		s_seq_offer(sq, &it->parts[k], i, i);
}

/* One branch: items up to '|', ')' or the end. */
static void
s_seq(s_px_t *px, s_info_t *out)
{
	s_seq_t	 sq;
	s_set_t	*parts;
	void	*p;

	memset(&sq, 0, sizeof(sq));
	s_info_unknown(out);
	if (s_set_one(px, &sq.run, "", 0) < 0)
		return;
	sq.run_first = S_INF;
	sq.allexact = 1;
	for (;;) {
		s_info_t	 it, rep;
		long		 lo, hi;
		int		 c, q;

		s_skip(px);
		if (px->fail || px->nomem || px->p >= px->end)
			break;
		c = (unsigned char)*px->p;
		if (px->inquote) {
			s_info_char(px, s_utf8(px), &it);
		} else if (c == '|' || c == ')') {
			break;
		} else {
			switch (c) {
			case '(':
				px->p++;
				s_group(px, &it);
				break;
			case '[':
				px->p++;
				s_class(px, &it);
				break;
			case '\\':
				px->p++;
				s_escape(px, &it);
				break;
			case '.':
				px->p++;
				s_info_unknown(&it);
				it.maxlen = S_CHAR;
				break;
			case '^': case '$':
				px->p++;
				s_info_empty(px, &it);
				break;
			case '*': case '+': case '?': case '{':
				s_failf(px, "quantifier '%c' with nothing to "
				    "repeat", c);
				break;
			default:
				s_info_char(px, s_utf8(px), &it);
				break;
			}
		}
		if (px->fail || px->nomem)
			break;
		/* Quantifiers, each applying to what precedes it. */
		for (;;) {
			s_skip(px);
			if ((q = s_quant(px, &lo, &hi)) <= 0)
				break;
			if (hi >= 0 && hi < lo) {
				s_failf(px, "quantifier {%ld,%ld} out of order",
				    lo, hi);
				break;
			}
			s_repeat(px, &it, lo, hi, &rep);
			it = rep;
		}
		if (px->fail || px->nomem)
			break;
		s_seq_add(px, &sq, &it);
	}
	if (px->fail || px->nomem)
		return;
	out->maxlen = sq.maxlen;
	if (sq.allexact) {
		out->exact = 1;
		out->ex = sq.run;
		return;
	}
	s_seq_flush(px, &sq, sq.item - 1);
	if (sq.hasbest) {
		out->hasreq = 1;
		out->req = sq.best;
	}
	if (sq.nparts > 0 && (parts = s_alloc(px, sq.nparts *
	    sizeof(*parts))) != NULL) {
		memcpy(parts, sq.parts, sq.nparts * sizeof(*parts));
		out->parts = parts;
		out->nparts = sq.nparts;
		if (sq.item <= S_MAXITEMS && (p = s_alloc(px, sq.nparts *
		    sizeof(*sq.spans))) != NULL) {
			memcpy(p, sq.spans, sq.nparts * sizeof(*sq.spans));
			out->spans = p;
			if ((p = s_alloc(px, sq.item * sizeof(size_t))) !=
			    NULL) {
				memcpy(p, sq.itemmax, sq.item * sizeof(size_t));
				out->itemmax = p;
				out->nitems = sq.item;
			} else {
				out->spans = NULL;
			}
		}
	}
}

/* The sets every match of 'in' needs, into 'v' (S_MAXPARTS); how many. */
static size_t
s_branch_parts(s_px_t *px, const s_info_t *in, s_set_t *v)
{
	size_t n = 0;

	if (in->nparts > 0) {
		for (; n < in->nparts && n < S_MAXPARTS; n++)
			v[n] = in->parts[n];
		return n;
	}
	return s_info_req(px, in, &v[0]) == 1 ? 1 : 0;
}

/*
 * The parts of an alternation: a match is a match of one branch, so it
 * contains a member of the union of any one part of every branch.
 * Unions of pairs of parts ('p' so far, 'q' of the next branch) become
 * the new parts, the best S_MAXPARTS of them. How many.
 */
static size_t
s_alt_parts(s_px_t *px, s_set_t *p, size_t np, const s_set_t *q, size_t nq,
    int reduced)
{
	s_set_t	 all[S_MAXPARTS * S_MAXPARTS], u, r;
	uint64_t cost[S_MAXPARTS * S_MAXPARTS];
	size_t	 n = 0, k = 0;

	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < nq; j++)
			if (reduced ? s_req_union(px, &p[i], &q[j], &r) == 1 :
			    s_set_union(px, &p[i], &q[j], S_MAXREQ, &u) == 1 &&
			    s_req_of(px, &u, &r) == 1) {
				cost[n] = s_set_cost(&r);
				all[n++] = r;
			}
	/* Selection of the best (s_better_at). */
	for (; k < S_MAXPARTS && k < n; k++) {
		size_t	 best = k;
		s_set_t	 t;
		uint64_t c;

		for (size_t i = k + 1; i < n; i++)
			if (s_better_at(&all[i], cost[i], &all[best],
			    cost[best]))
				best = i;
		t = all[k];
		c = cost[k];
		p[k] = all[k] = all[best];
		cost[k] = cost[best];
		all[best] = t;
		cost[best] = c;
	}
	return k;
}

/* Branches separated by '|', up to ')' or the end. */
static void
s_alt(s_px_t *px, s_info_t *out)
{
	s_info_t	acc, br;
	s_set_t		ra, rb, tmp, pp[S_MAXPARTS], qp[S_MAXPARTS], *parts;
	size_t		np, nq, maxlen;
	int		hasreq, exact, ok, reduced = 0;

	s_seq(px, &acc);
	if (px->fail || px->nomem)
		return;
	if (px->p >= px->end || *px->p != '|') {
		*out = acc;
		return;
	}
	exact = acc.exact;
	maxlen = acc.maxlen;
	hasreq = s_info_req(px, &acc, &ra) == 1;
	np = s_branch_parts(px, &acc, pp);
	while (px->p < px->end && *px->p == '|') {
		px->p++;
		s_seq(px, &br);
		if (px->fail || px->nomem)
			return;
		nq = s_branch_parts(px, &br, qp);
		if (br.maxlen > maxlen)
			maxlen = br.maxlen;
		/* After the first pass the parts are outputs of s_req_of(). */
		np = nq == 0 ? 0 : s_alt_parts(px, pp, np, qp, nq, reduced);
		reduced = 1;
		if (exact && br.exact && (ok = s_set_union(px, &acc.ex,
		    &br.ex, S_MAXSET, &tmp)) == 1)
			acc.ex = tmp;
		else
			exact = 0;
		if (hasreq && s_info_req(px, &br, &rb) == 1 &&
		    (ok = s_set_union(px, &ra, &rb, S_MAXREQ, &tmp)) == 1) {
			ra = tmp;
		} else {
			if (hasreq)
				px->saw_alt_none = 1;
			hasreq = 0;
		}
	}
	s_info_unknown(out);
	out->maxlen = maxlen;
	if (exact) {
		out->exact = 1;
		out->ex = acc.ex;
	}
	if (hasreq && s_req_of(px, &ra, &out->req) == 1)
		out->hasreq = 1;
	if (!exact && np > 0 && (parts = s_alloc(px, np *
	    sizeof(*parts))) != NULL) {
		memcpy(parts, pp, np * sizeof(*parts));
		out->parts = parts;
		out->nparts = np;
	}
}

/* ---- the API ---------------------------------------------------------- */

void
mf_litreq_free(mf_litreq_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nlits; i++)
		mf_free(r->lits[i]);
	mf_free(r->lits);
	r->lits = NULL;
	r->nlits = 0;
	for (size_t k = 0; k < r->nalso; k++) {
		for (size_t i = 0; i < r->also[k].nlits; i++)
			mf_free(r->also[k].lits[i]);
		mf_free(r->also[k].lits);
	}
	mf_free(r->also);
	r->also = NULL;
	r->nalso = 0;
	mf_free(r->gaps);
	r->gaps = NULL;
	r->ngaps = 0;
}

static int
s_set_same(const s_set_t *a, const s_set_t *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!s_set_has(b, a->v[i].p, a->v[i].n))
			return 0;
	return 1;
}

/* Copies 'set' into 'out' (NUL-terminated strings). 0 or -1. */
static int
s_export(const s_set_t *set, char ***lits, size_t *nlits)
{
	*nlits = 0;
	if ((*lits = mf_calloc(set->n, sizeof(**lits))) == NULL)
		return -1;
	for (size_t i = 0; i < set->n; i++) {
		if (((*lits)[i] = mf_strndup(set->v[i].p, set->v[i].n)) ==
		    NULL)
			return -1;
		(*nlits)++;
	}
	return 0;
}

/*
 * Every other required part of the top-level concatenation becomes an
 * 'also' set: /vaccin.{0,40}cause.{0,20}autism/ needs "autism" and
 * "cause" besides "vaccin", so a post that only speaks of vaccines does
 * not run it. All of them, not the best few: a lexicon's part of many
 * words may be the one a post lacks, and the prefilter, not this reader,
 * knows which part is rare in text (prefilter.c). Parts with a literal
 * too short to look for are left out (s_set_short()): every post has
 * one.
 */
static int
s_also(s_px_t *px, const s_set_t *primary, mf_litreq_t *out,
    const s_set_t **pick)
{
	size_t		 npick = 0;

	for (size_t i = 0; i < px->nparts && npick < S_MAXPARTS; i++) {
		const s_set_t	*c = &px->parts[i];
		int		 dup = s_set_same(c, primary);

		for (size_t k = 0; k < npick && !dup; k++)
			dup = s_set_same(c, pick[k]);
		if (dup || s_set_short(c))
			continue;
		pick[npick++] = c;
	}
	if (npick == 0)
		return 0;
	if ((out->also = mf_calloc(npick, sizeof(*out->also))) == NULL)
		return -1;
	for (size_t k = 0; k < npick; k++) {
		out->nalso++;
		if (s_export(pick[k], &out->also[k].lits,
		    &out->also[k].nlits) < 0)
			return -1;
	}
	return 0;
}

/* The set number (0 the main set, k + 1 also[k]) of part 'c', or -1. */
static int
s_set_number(const s_set_t *c, const s_set_t *primary,
    const s_set_t *const *pick, size_t npick)
{
	if (s_set_same(c, primary))
		return 0;
	for (size_t k = 0; k < npick; k++)
		if (s_set_same(c, pick[k]))
			return (int)k + 1;
	return -1;
}

/*
 * The order and distance of the parts of the top branch: each part
 * stands in its items, so a match holds its literal there; a part whose
 * items all come before another's has its literal end before the
 * other's starts, by at most the bytes all items from the first's to the
 * second's can span (S_INF: order alone). Each part the prefilter
 * gets is tied to the nearest such part wholly after it.
 */
static int
s_gaps(s_px_t *px, const s_set_t *primary, const s_set_t *const *pick,
    size_t npick, mf_litreq_t *out)
{
	int num[S_MAXPARTS];

	if (px->spans == NULL || px->nparts < 2)
		return 0;
	for (size_t i = 0; i < px->nparts; i++)
		num[i] = s_set_number(&px->parts[i], primary, pick, npick);
	if ((out->gaps = mf_calloc(px->nparts, sizeof(*out->gaps))) == NULL)
		return -1;
	for (size_t i = 0; i < px->nparts; i++) {
		const s_span_t	*si = &px->spans[i];
		size_t		 next = px->nparts, max = 0;

		if (num[i] < 0)
			continue;
		for (size_t j = 0; j < px->nparts; j++)
			if (num[j] >= 0 && px->spans[j].first > si->last &&
			    (next == px->nparts || px->spans[j].first <
			    px->spans[next].first))
				next = j;
		if (next == px->nparts)
			continue;
		for (size_t k = si->first; k <= px->spans[next].last &&
		    k < px->nitems; k++)
			max = s_len_add(max, px->itemmax[k]);
		out->gaps[out->ngaps].a = (uint32_t)num[i];
		out->gaps[out->ngaps].b = (uint32_t)num[next];
		out->gaps[out->ngaps++].max = max >= MF_LITGAP_ANY ?
		    MF_LITGAP_ANY : (uint32_t)max;
	}
	return 0;
}

static void
s_always(mf_litreq_t *out, const char *why)
{
	out->always = 1;
	snprintf(out->why, sizeof(out->why), "%s", why);
}

int
mf_prefilter_extract(const char *pattern, int extended, mf_litreq_t *out)
{
	s_px_t		px;
	s_info_t	top;
	s_set_t		req;
	const s_set_t	*pick[S_MAXPARTS];
	int		rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&px, 0, sizeof(px));
	if (pattern == NULL) {
		s_always(out, "no pattern");
		return 0;
	}
	px.p = pattern;
	px.end = pattern + strlen(pattern);
	px.ext = extended ? 1 : 0;
	s_alt(&px, &top);
	if (px.nomem)
		goto out;
	if (!px.fail && px.p < px.end)
		s_failf(&px, "unmatched )");
	if (px.fail) {
		s_always(out, px.why);
		rc = 0;
		goto out;
	}
	switch (s_info_req(&px, &top, &req)) {
	case -1:
		goto out;
	case 0:
		if (px.saw_alt_none)
			s_always(out, "an alternative has no literal text");
		else if (px.saw_backref)
			s_always(out, "no literal text outside a "
			    "backreference");
		else
			s_always(out, "no literal text (only classes, "
			    "wildcards or optional parts)");
		rc = 0;
		goto out;
	default:
		break;
	}
	if (s_set_short(&req)) {
		for (size_t i = 0; i < req.n; i++) {
			if (!s_str_short(&req.v[i]))
				continue;
			snprintf(out->why, sizeof(out->why), "no literal of "
			    "%d+ bytes (shortest required text: \"%.*s\")",
			    MF__PF_MINLIT, (int)req.v[i].n, req.v[i].p);
			break;
		}
		out->always = 1;
		rc = 0;
		goto out;
	}
	if (s_export(&req, &out->lits, &out->nlits) < 0)
		goto out;
	px.parts = top.parts;
	px.nparts = top.nparts;
	px.spans = top.spans;
	px.itemmax = top.itemmax;
	px.nitems = top.nitems;
	if (!top.exact && (s_also(&px, &req, out, pick) < 0 ||
	    s_gaps(&px, &req, pick, out->nalso, out) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0)
		mf_litreq_free(out);
	s_arena_free(&px);
	return rc;
}
