/*
 * match.c - run a rule set over a post and decide the verdict.
 *
 * The per-post pipeline, in order:
 *   1. cut the body to the policy's size limit (flag "truncated");
 *   2. normalize (markup, quotes, Unicode, confusables, leetspeak) with an
 *      offset map back to the original bytes;
 *   3. prefilter: the literal automaton names the candidate rules;
 *   4. each candidate rule: every `match` must hit, within `near` bytes if
 *      set; no `unless` may hit in the sentences of the match; a hit in a
 *      sentence that asks is a question hit, scaled down (a shared
 *      pattern is searched once per span of the post, one with start
 *      literals only where they stand, one PCRE2 would try at every
 *      position as its parts: s_find_memo());
 *   5. sources: URLs in the original body, registrable domain, list;
 *   6. score: per claim the best enforced hit, claims add up, sources add
 *      their policy scores; score -> action; a rule that hit a PCRE2 limit
 *      or a spent time budget raises the action to at least the policy's
 *      limit action, never a silent pass.
 * Invariants: (1) every span is inside the original body and start <= end;
 * (2) a verdict names exactly one rule-set hash; (3) shadow hits add 0;
 * (4) what the memo, the start literals and the parts give a rule is what
 * s_find() over the same span gives (equiv_test.c).
 *
 * Not responsible for decoding posts (wire.c) or the text transform
 * (normalize.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "alloc.h"
#include "clock.h"
#include "learn.h"
#include "match.h"
#include "normalize_internal.h"
#include "prefilter_internal.h"
#include "ruleset_internal.h"
#include "sentence.h"

#define MF_MAX_OCC	32	/* occurrences of one pattern considered */
#define MF_MAX_PAT	16	/* `match` lines per rule (rules_parse.c) */

typedef struct s_occ {
	size_t	start, end;
} s_occ_t;

/* Where a start literal (startlit.c) begins in the text. */
typedef struct s_start {
	size_t		 at;
	uint32_t	 lit;
} s_start_t;

/*
 * What one pattern found in one span of the post being judged. The same
 * shared pattern runs many times on one post: a lexicon is the `match`
 * of dozens of candidate rules, and @en-negation is the `unless` of most
 * of them, tested on the same clause for each. The first search is kept
 * (its occurrences in the scanner's arena) and the others read it. Valid
 * while 'epoch' is the scanner's: each new text starts a new one.
 */
#define S_MEMO_SLOTS	1024	/* a power of two */
#define S_MEMO_MAX	512	/* then no more are kept for this text */

typedef struct s_memo {
	const void	*code;
	size_t		 from, to, max;
	size_t		 first;	/* in the arena */
	int		 n;
	unsigned	 epoch;
} s_memo_t;

struct mf_scanner {
	pcre2_match_data	*md;
	pcre2_jit_stack		*jit;
	pcre2_match_context	*mctx;	/* ours, with the JIT stack */
	pcre2_match_context	*mctx_at; /* the same, and an offset limit
					   * (s_find_starts) */
	unsigned long		 mctx_of; /* serial of the rule set whose
					   * limits it holds */
	mf_norm_t		 norm;
	mf_norm_t		 tnorm;	/* the title, before it joins 'norm' */
	mf_feats_t		 feats;	/* the model's, of 'norm' */
	mf_pfscratch_t		 pf;
	size_t			*cand;
	size_t			 capcand;
	double			*claim_best;	/* per claim, zero between posts */
	int			 pf_ran;	/* the prefilter ran on this post */
	/* The model vetoing the post and model-veto-local set; the
	 * model's probability of the last window s_local_claim() judged
	 * in it: text[lss, lse), or none when lse is 0. */
	int			 veto_local;
	size_t			 lss, lse;
	double			 lp;
	/* The words of 'norm' counted so far (s_post_few_words()): 'fw_n'
	 * of them before byte 'fw_at', 'fw_in' inside one. */
	size_t			 fw_at, fw_n;
	int			 fw_in;
	size_t			*claims_hit;	/* indexes set in claim_best */
	size_t			 capclaims;
	s_occ_t			 occ[MF_MAX_PAT][MF_MAX_OCC];
	size_t			 nocc[MF_MAX_PAT];
	size_t			 rules_run;
	int			 rhetorical;	/* this post: its questions
						 * assert (model-asserts) */
	s_memo_t		*memo;	/* S_MEMO_SLOTS */
	size_t			 nmemo;
	unsigned		 epoch;
	s_occ_t			*arena;
	size_t			 narena, caparena;
	const mf_ruleset_t	*rs;	/* of mctx_of */
	/* The start literals in the text (s_starts()), by position, and
	 * whether they stand for the patterns in it: -1 not told yet. */
	s_start_t		*starts;
	size_t			 nstarts, capstarts;
	int			 starts_oom;
	int			 plain;
	int			 no_starts;	/* MF_SCAN_NO_STARTS */
	int64_t			 t0_ns;	/* when the scan began */
	unsigned		 budget_ms;
	mf_scan_stats_t		*stats;	/* BORROWS: or NULL */
};

/* The outcome of one rule on one text. */
typedef struct s_result {
	int		hit;
	int		question;
	const char	*limit;		/* PCRE2 limit hit, or NULL */
	s_occ_t		spans[MF_MAX_PAT];
	/* No hit, but a window an `unless` cancelled: which one (index
	 * + 1; 0 for none), where it stood, and the window. */
	size_t		cancel;
	s_occ_t		cancel_at;
	s_occ_t		cancel_spans[MF_MAX_PAT];
} s_result_t;

mf_scanner_t *
mf_scanner_new(mf_err_t *err)
{
	mf_scanner_t *self;

	if ((self = mf_calloc(1, sizeof(*self))) == NULL)
		goto oom;
	/* One pair is enough: only the whole match is used; a pattern with
	 * groups returns 0 ("ovector too small") and still sets pair 0. */
	if ((self->md = pcre2_match_data_create(1, NULL)) == NULL)
		goto oom;
	/* Big enough for a 64 KiB post through bounded-gap patterns. */
	if ((self->jit = pcre2_jit_stack_create(64 * 1024, 2 * 1024 * 1024,
	    NULL)) == NULL)
		goto oom;
	if ((self->memo = mf_calloc(S_MEMO_SLOTS, sizeof(*self->memo))) ==
	    NULL)
		goto oom;
	self->epoch = 1;
	/* The Unicode tables of normalization, built here rather than in
	 * the middle of the first post that needs them. */
	mf__fold_warm();
	return self;
oom:
	mf_scanner_destroy(&self);
	mf_err_set(err, MF_ENOMEM, "scanner", "out of memory");
	return NULL;
}

void
mf_scanner_destroy(mf_scanner_t **self_p)
{
	mf_scanner_t *self;

	if (self_p == NULL || (self = *self_p) == NULL)
		return;
	pcre2_match_data_free(self->md);
	pcre2_jit_stack_free(self->jit);
	pcre2_match_context_free(self->mctx);
	pcre2_match_context_free(self->mctx_at);
	mf_norm_free(&self->norm);
	mf_norm_free(&self->tnorm);
	mf_feats_free(&self->feats);
	mf_pfscratch_free(&self->pf);
	mf_free(self->cand);
	mf_free(self->claim_best);
	mf_free(self->claims_hit);
	mf_free(self->memo);
	mf_free(self->arena);
	mf_free(self->starts);
	mf_free(self);
	*self_p = NULL;
}

const mf_norm_t *
mf_scanner_norm(const mf_scanner_t *self)
{
	return &self->norm;
}

size_t
mf_scanner_rules_run(const mf_scanner_t *self)
{
	return self->rules_run;
}

void
mf_scanner_stats(mf_scanner_t *self, mf_scan_stats_t *stats)
{
	self->stats = stats;
}

void
mf_scan_stats_add(mf_scan_stats_t *into, const mf_scan_stats_t *from)
{
	into->posts += from->posts;
	into->rules += from->rules;
	into->candidates += from->candidates;
	into->rules_run += from->rules_run;
	into->ns_normalize += from->ns_normalize;
	into->ns_litscan += from->ns_litscan;
	into->ns_pcre += from->ns_pcre;
	into->ns_model += from->ns_model;
	into->ns_other += from->ns_other;
	for (size_t i = 0; into->runs && from->runs && i < into->nruns &&
	    i < from->nruns; i++)
		into->runs[i] += from->runs[i];
	for (size_t i = 0; into->ns && from->ns && i < into->nruns &&
	    i < from->nruns; i++)
		into->ns[i] += from->ns[i];
}

/*
 * The language a post is written in, from its most common short words
 * (normalized: lower case, no accents), for the rules that carry a `lang`:
 * a French rule does not judge a Spanish post. Words shared by two of the
 * languages ("la", "que", "es", "de") are left out, and so are words
 * of the others that one of ours uses too ("lui", "alle", "com", "dit",
 * "nie"). NULL when the post is too short or too mixed to tell (then
 * every rule runs).
 *
 * The rules and the model read en, fr, es and de (S_LANGS_OURS). Italian,
 * Portuguese, Dutch, Polish, Swedish, Romanian, Turkish and Czech are told
 * so that a post in one of them is known for one medflag does not read: rules match its words by chance
 * ("il vaccino causa l'autismo" reads like the English and French rules),
 * and the model, which never learned it, would veto or add at random.
 */
#define S_LANGS		12
#define S_LANGS_OURS	4
static const char *const s_lang_names[S_LANGS] = { "en", "fr", "es", "de",
	"it", "pt", "nl", "pl", "sv", "ro", "tr", "cs" };
static const char *const s_lang_words[S_LANGS] = {
	" the and is are of to that it this with my was you for have they but"
	" what just not ",
	" le les et est des une je il elle ce qui dans pour sur avec mais mon"
	" ma vous nous du au sont pas ",
	" el los las y una por con pero mi se lo del para esta como muy tiene"
	" son su ",
	" der die das und ist nicht ich mit ein eine zu auf den dem sie wir"
	" aber auch mein sich von hat sind ",
	" che sono gli della delle dello degli anche mio miei ho nel nella"
	" dalla dopo io lei ogni tutto molto sul sulla tutti tutte cosi stato"
	" stata sia gia piu poi agli hanno detto nulla loro suo ci sta ecco"
	" bene noi voi senza questo questa quello perche niente ancora quindi"
	" stesso essere adesso invece figlio anni fatto volta giorno grazie"
	" ciao sapete avete siamo ",
	" nao uma ele ela isso isto meu minha voce pra sao foi seu sua pela"
	" esse essa estou tenho fiz ao aos tem muito entao agora ainda num"
	" numa dele dela onde quem mesmo coisa pois vai vou estao bem mae"
	" filho filha disse fazer depois tambem nenhum voces vacina tive fico"
	" tava ",
	" het een van niet ik zijn maar ook mijn heb geen naar bij nog wel"
	" omdat sinds heeft werd uit jij hij zij wij deze dat wat voor zo kan"
	" toen hebt zou moet veel goed waar hoe weet dus zelf mij hebben"
	" worden alleen kunnen gewoon zonder dokter vaak iemand altijd krijg"
	" gehad gaat ",
	" jest tak jak mnie moj czy juz dla tylko przez ktory tego jego moze"
	" wiem byl bo sobie kiedy gdzie ktora ona oni gdy wiec tez jej mowi"
	" bylo byla tym tej jestem bardzo jestes teraz zawsze troche dzieki"
	" mozna trzeba potem jednak dzis ktos moja moje jakis jakie przy albo"
	" lub oraz czyli kto jako lekarz takze bedzie mogl mial miala zeby"
	" dzien ",
	" och att det som ett jag inte har av om mitt vi ska nar eller bara"
	" mycket efter sedan hade inga ingen vad hur sig mig sjuk ",
	" sunt pentru cu pe din asta acest fost ea ei mult foarte dupa despre"
	" sau doar iar acum fiul mea ceva nimic cineva unde daca cand totul"
	" niste ",
	" bir bu yok ama daha gibi icin cok degil olan oldu kadar sonra sey"
	" bunu benim bence neden hem veya simdi annem babam ki"
	" nasil hic diye olarak ",
	" jsem jsou ktery jen uz jsme nebo jeho ktera kdyz proc taky"
	" tady muj dite lekar davka jste bych muze neni jak tak moje bylo byl"
	" jako ",
};

/*
 * The words above in a table: a word of up to 6 letters is a number in
 * base 27 (27^6 fits in 32 bits), and its slot holds that number and its
 * language + 1 (0: free). Built once; a strstr() per language and word of
 * every post cost more than the rules' literal scan. The table is kept
 * two thirds empty, so that a word of no list (most words) finds a free
 * slot after a probe or two.
 */
#define S_LW_SLOTS	1024

static uint32_t	s_lw_key[S_LW_SLOTS];
static uint8_t	s_lw_lang[S_LW_SLOTS];
static pthread_once_t s_lw_once = PTHREAD_ONCE_INIT;

static unsigned
s_lw_slot(uint32_t key)
{
	return (key * 0x9e3779b1u) >> 22;
}

static void
s_lw_build(void)
{
	for (uint8_t l = 0; l < S_LANGS; l++)
		for (const char *p = s_lang_words[l]; *p; ) {
			uint32_t	key = 0;
			unsigned	k;

			for (; *p == ' '; p++)
				;
			for (; *p >= 'a' && *p <= 'z'; p++)
				key = key * 27 + (uint32_t)(*p - 'a' + 1);
			if (key == 0)
				continue;
			for (k = s_lw_slot(key); s_lw_lang[k] != 0;
			    k = (k + 1) % S_LW_SLOTS)
				;
			s_lw_key[k] = key;
			s_lw_lang[k] = l + 1;
		}
}

/* The letter of ours a two-byte letter that normalization keeps (it has
 * no accent to take off) reads as here: the Polish "ł" an "l" ("był"),
 * the Turkish dotless "ı" an "i" ("aşı"); 0 for any other byte. */
static inline unsigned char
s_lw_kept(const char *t, size_t i, size_t len)
{
	const unsigned char *u = (const unsigned char *)t;

	if (i + 1 >= len || (u[i] != 0xc5 && u[i] != 0xc4))
		return 0;
	return u[i] == 0xc5 && u[i + 1] == 0x82 ? 'l' :
	    u[i] == 0xc4 && u[i + 1] == 0xb1 ? 'i' : 0;
}

/* The other language with the most words in 'n'. */
static size_t
s_best_other(const size_t *n)
{
	size_t b = S_LANGS_OURS;

	for (size_t l = S_LANGS_OURS + 1; l < S_LANGS; l++)
		if (n[l] > n[b])
			b = l;
	return b;
}

static const char *
s_guess_lang(const char *t, size_t len)
{
	size_t	n[S_LANGS] = { 0 }, best = 0, second = 0, b = 0;
	size_t	ours = 0, others = 0;

	(void)pthread_once(&s_lw_once, s_lw_build);
	for (size_t i = 0; i < len; ) {
		uint32_t	key = 0;
		size_t		k = 0;

		while (i < len && !(t[i] >= 'a' && t[i] <= 'z') &&
		    s_lw_kept(t, i, len) == 0)
			i++;
		for (;;) {
			unsigned char	c;

			if (i < len && t[i] >= 'a' && t[i] <= 'z')
				c = (unsigned char)t[i++];
			else if ((c = s_lw_kept(t, i, len)) != 0)
				i += 2;
			else
				break;
			if (k < 6)
				key = key * 27 + (uint32_t)(c - 'a' + 1);
			k++;
		}
		if (k < 1 || k > 6)
			continue;
		for (unsigned s = s_lw_slot(key); s_lw_lang[s] != 0;
		    s = (s + 1) % S_LW_SLOTS)
			if (s_lw_key[s] == key) {
				n[s_lw_lang[s] - 1]++;
				break;
			}
	}
	for (size_t l = 0; l < S_LANGS; l++)
		if (n[l] > best) {
			second = best;
			best = n[l];
			b = l;
		} else if (n[l] > second)
			second = n[l];
	/* One of ours by twice the next. Else the other languages, their
	 * words counted together, by half as much again as the best of
	 * ours: Italian and Portuguese share many short words with Spanish
	 * and French ("il", "una", "con", "lo"), Czech with Polish ("jak",
	 * "tak"), and a post of ours that leads with other languages' words
	 * at all is not one (on every corpus here, none does). */
	if (best >= 3 && b < S_LANGS_OURS)
		return best >= 2 * second ? s_lang_names[b] : NULL;
	for (size_t l = 0; l < S_LANGS; l++)
		if (l < S_LANGS_OURS) {
			if (n[l] > ours)
				ours = n[l];
		} else
			others += n[l];
	if (others < 3 || 2 * others < 3 * ours)
		return NULL;
	return s_lang_names[b >= S_LANGS_OURS ? b : s_best_other(n)];
}

/* The primary subtag of a BCP 47 tag ("en" of "en-GB", "pt" of "pt_BR"),
 * or its three-letter code ("eng", "fra", "fre", "spa", "deu", "ger"),
 * when it is one of ours: its name in s_lang_names, else NULL. */
static const char *
s_lang_tag_ours(const char *tag)
{
	static const char *const three[S_LANGS_OURS][2] = {
		{ "eng", "eng" }, { "fra", "fre" }, { "spa", "spa" },
		{ "deu", "ger" },
	};
	size_t n = strcspn(tag, "-_");

	for (size_t l = 0; l < S_LANGS_OURS; l++)
		if ((n == 2 && strncasecmp(tag, s_lang_names[l], 2) == 0) ||
		    (n == 3 && (strncasecmp(tag, three[l][0], 3) == 0 ||
		    strncasecmp(tag, three[l][1], 3) == 0)))
			return s_lang_names[l];
	return NULL;
}

/* "" (not told) counts as one of ours: such a post is judged by every
 * rule. */
int
mf_lang_ours(const char *lang)
{
	if (*lang == '\0')
		return 1;
	for (size_t l = 0; l < S_LANGS_OURS; l++)
		if (strcmp(lang, s_lang_names[l]) == 0)
			return 1;
	return 0;
}

/*
 * The post's language: its lang field when that is one of ours (its
 * primary subtag), else the guess from its words; "" when it cannot be
 * told. A field that names another language ("it", "ja") is taken at its
 * word unless the words clearly are one of ours (a site's locale is not
 * every post's language): the field itself is returned then.
 */
static const char *
s_post_lang(const mf_post_t *post, const mf_norm_t *norm)
{
	const char *g, *ours;

	if (post->lang && (ours = s_lang_tag_ours(post->lang)) != NULL)
		return ours;
	g = s_guess_lang(norm->text, norm->len);
	if (post->lang && mf_lang_primary(post->lang,
	    strlen(post->lang)) > 0 && (g == NULL || !mf_lang_ours(g)))
		return post->lang;
	return g ? g : "";
}

/* Tells the post's language once, into '*lang' (s_post_lang()): 1 when
 * it is one medflag does not read (not one of ours, and no rule of 'rs'
 * is written for it), else 0. */
static int
s_tell_lang(const mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_post_t *post, const char **lang)
{
	*lang = s_post_lang(post, &self->norm);
	return !mf_lang_ours(*lang) && !mf_ruleset_reads(rs, *lang);
}

/* Prepares the match context for 'rs' (limits) with our JIT stack. */
static int
s_prepare(mf_scanner_t *self, const mf_ruleset_t *rs)
{
	/* By serial, not address: a reload may free the old rule set and
	 * place the new one, with other limits, where it was. */
	if (self->mctx_of == rs->serial && self->mctx)
		return 0;
	pcre2_match_context_free(self->mctx);
	pcre2_match_context_free(self->mctx_at);
	self->mctx_at = NULL;
	if ((self->mctx = pcre2_match_context_copy(rs->mctx)) == NULL ||
	    (self->mctx_at = pcre2_match_context_copy(rs->mctx)) == NULL)
		return -1;
	pcre2_jit_stack_assign(self->mctx, NULL, self->jit);
	pcre2_jit_stack_assign(self->mctx_at, NULL, self->jit);
	self->mctx_of = rs->serial;
	self->rs = rs;
	return 0;
}

static unsigned
s_elapsed_ms(const mf_scanner_t *self)
{
	return (unsigned)((mf_now_ns() - self->t0_ns) / 1000000);
}

static const char *
s_limit_name(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:	return "match limit";
	case PCRE2_ERROR_DEPTHLIMIT:	return "depth limit";
	case PCRE2_ERROR_HEAPLIMIT:	return "heap limit";
	case PCRE2_ERROR_JIT_STACKLIMIT: return "JIT stack limit";
	case PCRE2_ERROR_NOMEMORY:	return "out of memory";
	}
	return "match error";
}

/* Keeps the match 'ov' as occ[*n] and returns where the next search
 * starts: after it, or one UTF-8 character on when it was empty. */
static size_t
s_take(s_occ_t *occ, size_t *n, const PCRE2_SIZE *ov, const char *text,
    size_t to)
{
	size_t at = ov[1] + 1;

	occ[*n].start = ov[0];
	occ[*n].end = ov[1];
	(*n)++;
	if (ov[1] > ov[0])
		return ov[1];
	while (at < to && ((unsigned char)text[at] & 0xC0) == 0x80)
		at++;
	return at;
}

/*
 * Finds up to MF_MAX_OCC occurrences of 'code' in text[from, to).
 * Returns the count, or -1 with *limit set when PCRE2 gives up.
 */
static int
s_find(mf_scanner_t *self, const pcre2_code *code, const char *text,
    size_t from, size_t to, s_occ_t *occ, size_t max, const char **limit)
{
	size_t		 n = 0, at = from;
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(self->md);

	while (n < max && at <= to) {
		int rc = pcre2_match(code, (PCRE2_SPTR)text, to, at, 0,
		    self->md, self->mctx);

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			*limit = s_limit_name(rc);
			return -1;
		}
		at = s_take(occ, &n, ov, text, to);
	}
	return (int)n;
}

/* A new text: what was kept of the previous one is forgotten. */
static void
s_memo_reset(mf_scanner_t *self)
{
	if (++self->epoch == 0) {
		memset(self->memo, 0, S_MEMO_SLOTS * sizeof(*self->memo));
		self->epoch = 1;
	}
	self->nmemo = 0;
	self->narena = 0;
	self->plain = -1;
}

typedef struct s_starts_ctx {
	mf_scanner_t	*self;
	const size_t	*len;	/* per literal */
} s_starts_ctx_t;

static void
s_on_start(void *ctx, uint32_t lit, size_t end)
{
	s_starts_ctx_t	*c = ctx;
	mf_scanner_t	*self = c->self;

	if (self->nstarts == self->capstarts) {
		size_t		 cap = self->capstarts ? 2 * self->capstarts :
				    64;
		s_start_t	*p;

		if (self->starts_oom || (p = mf_realloc(self->starts, cap *
		    sizeof(*p))) == NULL) {
			self->starts_oom = 1;
			return;
		}
		self->starts = p;
		self->capstarts = cap;
	}
	self->starts[self->nstarts].at = end - c->len[lit];
	self->starts[self->nstarts++].lit = lit;
}

/*
 * Whether the start literals stand for the patterns in the normalized
 * text, told once per text; they are then found in it, in one pass, and
 * sorted by position. Patterns are caseless: a literal 'k' also matches
 * 'K' and U+212A KELVIN SIGN, 's' U+017F LONG S, and 'i' may match
 * U+0130 and U+0131. Normalization folds all of these, so a text that
 * still holds one (or an ASCII capital) is searched the usual way.
 */
static int
s_starts(mf_scanner_t *self)
{
	const unsigned char	*t = (const unsigned char *)self->norm.text;
	size_t			 n = self->norm.len;
	s_starts_ctx_t		 ctx = { self, self->rs->startlen };

	if (self->plain >= 0)
		return self->plain;
	self->plain = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] >= 'A' && t[i] <= 'Z')
			return 0;
		if (t[i] < 0xC4)
			continue;
		if ((t[i] == 0xC4 && i + 1 < n && (t[i + 1] == 0xB0 ||
		    t[i + 1] == 0xB1)) || (t[i] == 0xC5 && i + 1 < n &&
		    t[i + 1] == 0xBF) || (t[i] == 0xE2 && i + 2 < n &&
		    t[i + 1] == 0x84 && t[i + 2] == 0xAA))
			return 0;
	}
	self->nstarts = 0;
	self->starts_oom = 0;
	mf__ls_scan(self->rs->starts, self->norm.text, n, s_on_start, &ctx);
	if (self->starts_oom)
		return 0;	/* searched the usual way */
	/* Reported by their end: nearly in order already. */
	for (size_t i = 1; i < self->nstarts; i++) {
		s_start_t	x = self->starts[i];
		size_t		k = i;

		while (k > 0 && self->starts[k - 1].at > x.at) {
			self->starts[k] = self->starts[k - 1];
			k--;
		}
		self->starts[k] = x;
	}
	self->plain = 1;
	return 1;
}

/*
 * s_find() for a pattern whose every match starts with one of its start
 * literals (startlit.c): the pattern is tried where one of them
 * lies in text[from, to), from the left, with an offset limit there (a
 * match that starts there or none). The leftmost match at or after
 * 'at' starts at one of them, so the first that matches is the one
 * s_find() finds; then the search goes on from its end, as there.
 */
static int
s_find_starts(mf_scanner_t *self, const mf_code_t *c, const char *text,
    size_t from, size_t to, s_occ_t *occ, size_t max, const char **limit)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(self->md);
	size_t		 n = 0, at = from, lo = 0, hi = self->nstarts, last;
	const size_t	*len = self->rs->startlen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (self->starts[mid].at < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	last = (size_t)-1;
	for (size_t k = lo; k < self->nstarts && n < max; k++) {
		const s_start_t	*st = &self->starts[k];
		int		 rc;

		if (st->at >= to)
			break;
		if (st->at < at || st->at == last || st->at + len[st->lit] >
		    to || !(c->smask[st->lit / 64] >> (st->lit % 64) & 1))
			continue;
		last = st->at;
		(void)pcre2_set_offset_limit(self->mctx_at, st->at);
		rc = pcre2_jit_match(c->code, (PCRE2_SPTR)text, to, st->at, 0,
		    self->md, self->mctx_at);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0) {
			*limit = s_limit_name(rc);
			return -1;
		}
		at = s_take(occ, &n, ov, text, to);
	}
	return (int)n;
}

/*
 * s_find() for a code with parts (ruleset_internal.h): each part's
 * leftmost match at or after 'at' is found once and kept while it still
 * lies ahead; the leftmost of them, the first part's on a tie, is the
 * match the whole pattern makes there (PCRE2 tries its branches in
 * order at each position, and a part is a run of them). Then the search
 * goes on from its end, as there.
 */
static int
s_find_parts(mf_scanner_t *self, const mf_code_t *c, const char *text,
    size_t from, size_t to, s_occ_t *occ, size_t max, const char **limit)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(self->md);
	PCRE2_SIZE	 next[MF_PARTS_MAX][2];
	int		 state[MF_PARTS_MAX] = {0};	/* 1 found, 2 none */
	size_t		 n = 0, at = from;

	assert(c->nparts <= MF_PARTS_MAX);
	while (n < max && at <= to) {
		size_t best = c->nparts;

		for (size_t k = 0; k < c->nparts; k++) {
			if (state[k] == 1 && next[k][0] < at)
				state[k] = 0;
			if (state[k] == 0) {
				int rc = pcre2_match(c->parts[k],
				    (PCRE2_SPTR)text, to, at, 0, self->md,
				    self->mctx);

				if (rc == PCRE2_ERROR_NOMATCH)
					state[k] = 2;
				else if (rc < 0) {
					*limit = s_limit_name(rc);
					return -1;
				} else {
					state[k] = 1;
					next[k][0] = ov[0];
					next[k][1] = ov[1];
				}
			}
			if (state[k] == 1 && (best == c->nparts ||
			    next[k][0] < next[best][0]))
				best = k;
		}
		if (best == c->nparts)
			break;
		state[best] = 0;
		at = s_take(occ, &n, next[best], text, to);
	}
	return (int)n;
}

/* s_find() through the memo: the same answer, computed once per text.
 * A PCRE2 limit is not kept (it is found again, and reported again). */
static int
s_find_memo(mf_scanner_t *self, const pcre2_code *code, const char *text,
    size_t from, size_t to, s_occ_t *occ, size_t max, const char **limit)
{
	s_memo_t	*m;
	const mf_code_t	*c;
	size_t		 i;
	int		 n;

	i = (size_t)(((uintptr_t)code >> 4) * 0x9E3779B97F4A7C15ull ^
	    from * 0xC2B2AE3D27D4EB4Full ^ to * 0x165667B19E3779F9ull ^ max);
	i = (i ^ (i >> 29)) & (S_MEMO_SLOTS - 1);
	for (;;) {
		m = &self->memo[i];
		if (m->epoch != self->epoch)
			break;
		if (m->code == code && m->from == from && m->to == to &&
		    m->max == max) {
			if (m->n > 0)
				memcpy(occ, self->arena + m->first,
				    (size_t)m->n * sizeof(*occ));
			return m->n;
		}
		i = (i + 1) & (S_MEMO_SLOTS - 1);
	}
	c = self->rs ? mf__ruleset_code(self->rs, code) : NULL;
	if (c && c->starts && !self->no_starts && text == self->norm.text &&
	    s_starts(self))
		n = s_find_starts(self, c, text, from, to, occ, max, limit);
	else if (c && c->nparts && !self->no_starts)
		n = s_find_parts(self, c, text, from, to, occ, max, limit);
	else
		n = s_find(self, code, text, from, to, occ, max, limit);
	if (n < 0 || self->nmemo >= S_MEMO_MAX)
		return n;
	if (self->narena + (size_t)n > self->caparena) {
		size_t	 cap = self->caparena ? 2 * self->caparena : 256;
		s_occ_t	*p;

		while (cap < self->narena + (size_t)n)
			cap *= 2;
		if ((p = mf_realloc(self->arena, cap * sizeof(*p))) == NULL)
			return n;	/* not kept: found again next time */
		self->arena = p;
		self->caparena = cap;
	}
	if (n > 0)	/* the arena may not exist yet */
		memcpy(self->arena + self->narena, occ, (size_t)n *
		    sizeof(*occ));
	*m = (s_memo_t){ code, from, to, max, self->narena, n, self->epoch };
	self->narena += (size_t)n;
	self->nmemo++;
	return n;
}

/* Words that open a new clause: what stands before them in the sentence
 * is about something else ("I'm not a doctor, but the jab gave him
 * autism"). Normalized text: lower case, no accents. */
static const char *const s_clause_marks[] = {
	"; ", " but ", " however ", " yet ", " although ",
	" though ", " mais ", " pourtant ", " pero ", " sin embargo ", " aber ",
	" doch ", " jedoch ", NULL
};

/* Where the clause holding byte 'lo' begins, no earlier than 's' (the
 * sentence's start): an `unless` word is looked for from there to the end
 * of the sentence, so a negation before "but" does not cancel the claim
 * after it, while "X, but that is a myth" still does. */
static size_t
s_clause_start(const char *t, size_t s, size_t lo)
{
	for (size_t i = lo; i > s; i--) {
		if (t[i - 1] != ' ')
			continue;	/* every mark ends with one */
		for (size_t k = 0; s_clause_marks[k]; k++) {
			size_t n = strlen(s_clause_marks[k]);

			if (i - s >= n && i <= lo &&
			    memcmp(t + i - n, s_clause_marks[k], n) == 0)
				return i;
		}
	}
	return s;
}

/* The bytes mf__sentence_end() may take for an end: the walk to a
 * sentence's end looks up every byte of the sentence (every byte of the
 * post, for the model's s_post_asks()), and most are none of these. */
static const unsigned char s_may_end[256] = {
	['\n'] = 1, ['!'] = 1, ['.'] = 1, ['?'] = 1, ['|'] = 1
};

/* The sentence(s) around [a, b): *s is just after the previous boundary,
 * *e just after the terminating one (or the end of the text). */
static void
s_sentence(const char *t, size_t len, size_t a, size_t b, size_t *s,
    size_t *e)
{
	size_t i = a;

	while (i > 0 && !mf__sentence_end(t, len, i - 1))
		i--;
	*s = i;
	i = b > a ? b - 1 : b;
	while (i < len && (!s_may_end[(unsigned char)t[i]] ||
	    !mf__sentence_end(t, len, i)))
		i++;
	/* Include a run of terminators ("?!", "..."). */
	while (i < len && (t[i] == '.' || t[i] == '!' || t[i] == '?'))
		i++;
	*e = i;
}

/* A byte of a word: a letter or digit, or part of a non-ASCII letter. */
static int
s_word_byte(char c)
{
	return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/*
 * A list of openings and, a bit each, the bytes they begin with: most
 * sentences begin with none of a list's, and one bit tells. s_asks()
 * holds five lists to every sentence of every post the model judges
 * (s_post_asks()): s_opens() took 1,900 instructions a tweet comparing
 * first bytes one by one, 800 with the bits. They are set once, at the
 * first use.
 */
typedef struct s_openings {
	const char *const	*v;
	uint64_t		 first[4];
	int			 whole;	/* an opening that ends in a letter
					 * or digit is a whole word */
} s_openings_t;

static pthread_once_t	s_openings_once = PTHREAD_ONCE_INIT;
static void		s_openings_build(void);

/* Openings of a sentence that asks (normalized: lower case, no accents).
 * Not "do", "can", "will" on their own: in forums they open commands and
 * assertions ("Do your research", "Can confirm") as often as questions,
 * which end with '?' anyway. */
static const char *const s_ask_openings[] = {
	"is it true", "is it safe", "isn't it", "is this true", "is that true",
	"does ", "could ", "should ", "would ", "are ", "is ", "has anyone",
	"have you", "any evidence", "do you ", "do i ", "do we ", "can you ",
	"can i ", "can we ", "can a ", "can the ",
	"anyone know", "does anyone", "how do", "how does", "what do you",
	"est-ce ", "est ce ", "c'est vrai", "vrai que", "peut-on", "faut-il",
	"es verdad", "es cierto", "alguien sabe", "sera que", "funciona ",
	"stimmt es", "ist es wahr", "ist es ", "kann ", "hilft ", "weiss jemand",
	"gibt es", NULL
};
static s_openings_t s_op_ask = { s_ask_openings, { 0 }, 0 };

/* Openings that ask only in a sentence without a full stop or '!': a
 * search-box question ("will mms cure covid") rather than a statement
 * ("What they hide is that ..."). Whole words: "quelacion" (chelation)
 * and "cualquier" do not ask. */
static const char *const s_ask_bare[] = {
	"will ", "may ", "can ", "do ", "what ", "who ", "why ", "which ",
	"how ", "where ", "when ", "whats ", "what's ", "hows ", "how's ",
	"quel ", "quelle ", "quels ", "quelles ",
	"quoi ", "comment ", "pourquoi ", "que ", "cual ", "cuales ", "como ",
	"por que ", "quien ", "quienes ", "was ", "wie ", "warum ", "wer ",
	"welche ", "welcher ", "welches ", "welchen ", "welchem ", NULL
};
static s_openings_t s_op_bare = { s_ask_bare, { 0 }, 0 };

/* A search-box question may open with what it asks about and turn to
 * its verb after: "if infected with covid can you survive it", "since
 * covid came out has it scared you". In a sentence without a full stop
 * or '!' that opens with one of s_lead_openings, an auxiliary before its
 * subject (s_inversions) asks; "if you take it you can survive" does
 * not invert and does not ask. */
static const char *const s_lead_openings[] = {
	"if ", "since ", "when ", "once ", "after ", "before ", "while ",
	"for ", "with ", "during ", NULL
};
static s_openings_t s_op_lead = { s_lead_openings, { 0 }, 0 };
static const char *const s_inversions[] = {
	" can you ", " can i ", " can we ", " can it ", " could you ",
	" could it ", " will you ", " will i ", " will it ", " will we ",
	" would you ", " would it ", " should i ", " should we ",
	" do you ", " do i ", " do we ", " does it ", " did you ",
	" is it ", " is there ", " are you ", " are we ", " are there ",
	" has it ", " have you ", " has anyone ", NULL
};

/* Openings of a rhetorical question: it asserts the claim, it does not ask
 * ("Why do you think they hide it???"). */
static const char *const s_rhetorical[] = {
	"why do you think", "why else", "why would they", "why do they",
	"why are they", "why did they", "why is nobody", "why is no one",
	"why isn't anyone", "how come", "who needs", "ever wonder why",
	"ask yourself", "wake up", "pourquoi ils ", "pourquoi on nous",
	"pourquoi croyez-vous", "pourquoi vous croyez", "pourquoi tu crois",
	"pourquoi crois-tu", "pourquoi vous pensez", "pourquoi personne",
	"por que crees", "por que creen", "por que creeis", "por que piensan",
	"por que nadie", "por que nos ", "por que lo ", "por que nunca",
	"warum wohl", "warum verschweigen", "warum sagt ", "warum glaubt",
	"warum glaubst", "warum denkt", "warum redet niemand",
	"warum spricht niemand", "wieso wohl", "wer braucht", "wozu ",
	"qui a besoin", "a quoi bon", "quien necesita", "para que ", NULL
};
static s_openings_t s_op_rhetorical = { s_rhetorical, { 0 }, 0 };

/* Past U+00BF INVERTED QUESTION MARK, which opens a Spanish question. */
static size_t
s_past_inverted(const char *t, size_t s, size_t e)
{
	return e - s >= 2 && (unsigned char)t[s] == 0xC2 &&
	    (unsigned char)t[s + 1] == 0xBF ? s + 2 : s;
}

/* The length of the first of 'o' that [s, e) opens with, or 0. */
static size_t
s_opens(const char *t, size_t s, size_t e, const s_openings_t *o)
{
	const char *const	*v = o->v;
	unsigned char		 c;

	if (e <= s)
		return 0;
	(void)pthread_once(&s_openings_once, s_openings_build);
	c = (unsigned char)t[s];
	if (!(o->first[c >> 6] >> (c & 63) & 1))
		return 0;
	/* The rest of an opening compared where it is, not measured with
	 * strlen() and then compared: they share the first byte with the
	 * sentence and are short. */
	for (size_t k = 0; v[k]; k++) {
		size_t j = 1;

		if (v[k][0] != t[s])
			continue;	/* most openings differ at once */
		while (v[k][j] != '\0' && s + j < e && t[s + j] == v[k][j])
			j++;
		if (v[k][j] != '\0')
			continue;
		if (o->whole && s + j < e && s_word_byte(v[k][j - 1]) &&
		    s_word_byte(t[s + j]))
			continue;	/* "yes" of "yesterday" */
		return j;
	}
	return 0;
}

/* A conditional one: "If vaccines worked, why ...?", "Si les vaccins
 * marchaient, pourquoi ...?", "Wenn ..., warum ...?". It argues from its
 * premise; it does not ask. (Whether it argues for a claim or against one,
 * "If the jab caused cancer, why no rise in the registries?", is for the
 * rules and the model to tell, as in any assertion.) */
static const char *const s_if_openings[] = {
	"if ", "si ", "wenn ", "falls ", NULL
};
static s_openings_t s_op_if = { s_if_openings, { 0 }, 0 };
static const char *const s_if_why[] = {
	" why ", " how come ", " pourquoi ", " por que ", " porque ",
	" para que ", " warum ", " wieso ", " weshalb ", NULL
};

/* Whether [s, e) opens with one of 'open' and holds one of 'then' after:
 * "if ... why" (s_if_openings, s_if_why), "since ... has it"
 * (s_lead_openings, s_inversions). */
static int
s_opens_then(const char *t, size_t s, size_t e, const s_openings_t *open,
    const char *const *then)
{
	if (!s_opens(t, s, e, open))
		return 0;
	for (size_t k = 0; then[k]; k++)
		if (mf__memmem(t + s, e - s, then[k], strlen(then[k])))
			return 1;
	return 0;
}

static int
s_asks(const char *t, size_t s, size_t e)
{
	size_t	i = e;
	int	qmark, inverted;

	while (i > s && (t[i - 1] == ' ' || t[i - 1] == '\n' ||
	    t[i - 1] == '"' || t[i - 1] == ')'))
		i--;
	while (s < e && (t[s] == ' ' || t[s] == '\n' || t[s] == '"' ||
	    t[s] == '*' || t[s] == '-' || t[s] == '('))
		s++;
	qmark = 0;
	for (size_t k = i; k > s && (t[k - 1] == '?' || t[k - 1] == '!'); k--)
		qmark |= t[k - 1] == '?';
	inverted = s_past_inverted(t, s, e) != s;
	s = s_past_inverted(t, s, e);
	if (s_opens(t, s, e, &s_op_rhetorical) ||
	    s_opens_then(t, s, e, &s_op_if, s_if_why))
		return 0;
	return qmark || inverted || s_opens(t, s, e, &s_op_ask) ||
	    (i > s && t[i - 1] != '.' && t[i - 1] != '!' &&
	    (s_opens(t, s, e, &s_op_bare) ||
	    s_opens_then(t, s, i, &s_op_lead, s_inversions)));
}

/* Whether [s, e) holds a letter or digit (a sentence, not a run of
 * punctuation or emoji). */
static int
s_word_byte_at(const char *t, size_t s, size_t e)
{
	for (; s < e; s++)
		if (s_word_byte(t[s]))
			return 1;
	return 0;
}

/* Whether a sentence ending at 'e' is quoted material the reply agrees with
 * ("> can the flu shot give you flu?" / "yes, ..."): it is asserted, a
 * question answered yes. */
static int
s_agreed(const mf_norm_t *norm, size_t e)
{
	return norm->agreed > 0 && e <= norm->agreed;
}

/* The post's sentences that ask, in one walk: '*any' one of them does,
 * '*all' every one does (the post is a question). */
static void
s_post_asks(const mf_norm_t *norm, int *any, int *all)
{
	const char	*t = norm->text;
	size_t		 len = norm->len, i = 0, s, e;

	*any = 0;
	*all = 1;
	while (i < len) {
		s_sentence(t, len, i, i, &s, &e);
		if (e <= i)
			e = i + 1;
		while (s < e && (t[s] == ' ' || t[s] == '\n'))
			s++;
		if (e > s && s_word_byte_at(t, s, e)) {
			if (s_asks(t, s, e) && !s_agreed(norm, e))
				*any = 1;
			else
				*all = 0;
		}
		i = e;
	}
	*all = *all && *any;
}

/* A short question that asks about what the sentence next to it says:
 * "My aunt says turmeric cures cancer. Is that true?" asks, it does not
 * claim. Normalized text: lower case, no accents. */
static const char *const s_ask_back[] = {
	"is that true", "is this true", "is it true", "is that real",
	"is this real", "any truth", "true or false", "fact or fiction",
	"is that legit", "is this legit", "does that work", "does this work",
	"does it work", "does it really", "is that right", "is this right",
	"should i", "what do you think", "thoughts", "anyone know",
	"anyone tried", "is there any", "can this be", "could this be",
	"c'est vrai", "vrai ou faux", "est-ce vrai", "est ce vrai",
	"est-ce que c'est", "ca marche", "qu'en pensez", "vous en pensez",
	"info ou intox", "es verdad", "es cierto", "sera verdad", "sera cierto",
	"que opinan", "funciona", "alguien sabe", "es real", "stimmt das",
	"stimmt es", "ist das wahr", "ist da was dran", "was haltet ihr",
	"wirkt das", "kann das sein", "hilft das", NULL
};
static s_openings_t s_op_ask_back = { s_ask_back, { 0 }, 0 };

/*
 * Openings of a reply that agrees with what it quotes ("> chemo kills
 * more than it cures" / "Exactly. ..."), normalized: lower case, no
 * accents; whole words (s_op_agree.whole). Not "sure", "totally", "oh
 * yes", "claro", "genau,": openers of mock agreement as often
 * (post-sarcasm reads them); not "yes, but" and its kin
 * (s_concessions), which go on to disagree.
 */
static const char *const s_agree_openings[] = {
	"yes", "yep", "yeah", "yup", "exactly", "so true", "very true",
	"true.", "true!", "agreed", "i agree", "absolutely", "100%", "100 %",
	"correct", "i knew it", "knew it", "finally someone", "spot on",
	"i can confirm", "can confirm", "i confirm", "this is so true",
	"you're right", "you are right", "that's right", "thats right",
	"that's true", "thats true", "definitely", "of course",
	"oui", "exactement", "tout a fait", "je confirme", "je le savais",
	"entierement d'accord", "tout a fait d'accord", "d'accord avec",
	"100% vrai", "100 % vrai", "c'est vrai", "c'est exact", "ben oui",
	"eh oui", "bien sur", "absolument", "enfin quelqu'un", "voila",
	"si.", "si,", "si!", "exacto", "exactamente", "confirmo", "asi es",
	"claro que si", "efectivamente", "por supuesto", "cierto", "lo sabia",
	"por fin alguien", "eso mismo", "tal cual", "obviamente",
	"toda la razon", "tienes razon", "totalmente de acuerdo",
	"ja", "jap", "jawohl", "genau so", "genau das", "stimmt", "richtig",
	"absolut", "endlich sagt", "endlich mal einer", "kann ich bestatigen",
	"bestatige", "so ist es", "sag ich doch", "wusste ich", "leider ja",
	"volle zustimmung", "definitiv", "auf jeden fall", "eben!", "eben.",
	NULL
};
static s_openings_t s_op_agree = { s_agree_openings, { 0 }, 1 };

/* A reply that opens agreeing and turns: "yes, but ...", "oui, mais". */
static const char *const s_concessions[] = {
	" but ", " mais ", " pero ", " aber ", " however", " cependant",
	" sin embargo", " allerdings", NULL
};

/* Whether the reply 't' opens agreeing with what it quoted. */
static int
s_agrees(const char *t, size_t len)
{
	size_t	s = 0, n, e;

	while (s < len && (t[s] == ' ' || t[s] == '\n' || t[s] == '*' ||
	    t[s] == '-' || t[s] == '"'))
		s++;
	if ((n = s_opens(t, s, len, &s_op_agree)) == 0)
		return 0;
	e = s + n + 40 < len ? s + n + 40 : len;
	for (size_t j = 0; s_concessions[j]; j++)
		if (mf__memmem(t + s, e - s, s_concessions[j],
		    strlen(s_concessions[j])))
			return 0;
	return 1;
}

static void
s_openings_build(void)
{
	s_openings_t *all[] = { &s_op_ask, &s_op_bare, &s_op_lead,
	    &s_op_rhetorical, &s_op_if, &s_op_ask_back, &s_op_agree };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (size_t k = 0; all[i]->v[k]; k++) {
			unsigned char c = (unsigned char)all[i]->v[k][0];

			all[i]->first[c >> 6] |= 1ULL << (c & 63);
		}
}

/* Whether the sentence around byte 'a' is such a question. */
static int
s_asks_back(const char *t, size_t len, size_t a)
{
	size_t s, e;

	s_sentence(t, len, a, a, &s, &e);
	while (s < e && (t[s] == ' ' || t[s] == '\n' || t[s] == '"'))
		s++;
	return e > s && e - s <= 80 && s_asks(t, s, e) &&
	    s_opens(t, s_past_inverted(t, s, e), e, &s_op_ask_back);
}

/*
 * Runs one rule over the normalized text. Candidate windows are tried from
 * the left: each occurrence of any pattern may open a window, closed by the
 * nearest following occurrence of every other pattern; the first window
 * that fits `near` and is not cancelled by an `unless` in its sentences is
 * the hit.
 */
static int
s_run_rule(mf_scanner_t *self, const mf_rule_t *r, const char *t,
    size_t len, s_result_t *res)
{
	size_t	np = r->nmatch;
	s_occ_t	qw[MF_MAX_PAT];
	int	asked = 0;

	memset(res, 0, sizeof(*res));
	self->rules_run++;
	for (size_t j = 0; j < np; j++) {
		int n = s_find_memo(self, r->match[j].code, t, 0, len,
		    self->occ[j], MF_MAX_OCC, &res->limit);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		self->nocc[j] = (size_t)n;
	}
	for (size_t j0 = 0; j0 < np; j0++) {
		for (size_t k0 = 0; k0 < self->nocc[j0]; k0++) {
			s_occ_t	 w[MF_MAX_PAT];
			size_t	 lo = self->occ[j0][k0].start, hi = 0, ss, se;
			size_t	 cs;
			int	 ok = 1, cancelled = 0, asks;

			for (size_t j = 0; j < np && ok; j++) {
				const s_occ_t	*best = NULL;

				if (j == j0) {
					w[j] = self->occ[j0][k0];
					continue;
				}
				for (size_t k = 0; k < self->nocc[j]; k++) {
					const s_occ_t *o = &self->occ[j][k];

					if (o->start < lo || (o->start == lo &&
					    j < j0))
						continue;
					if (best == NULL || o->end < best->end)
						best = o;
				}
				if (best == NULL)
					ok = 0;
				else
					w[j] = *best;
			}
			if (!ok)
				continue;
			for (size_t j = 0; j < np; j++)
				if (w[j].end > hi)
					hi = w[j].end;
			if (r->near && hi - lo > r->near)
				continue;
			if (r->near_sentence &&
			    mf__sentence_crosses(t, len, lo, hi))
				continue;
			s_sentence(t, len, lo, hi, &ss, &se);
			cs = s_clause_start(t, ss, lo);
			for (size_t u = 0; u < r->nunless && !cancelled; u++) {
				s_occ_t	o;
				int	n = s_find_memo(self, r->unless[u].code, t,
				    cs, se, &o, 1, &res->limit);

				if (n < 0)
					return -1;
				cancelled = n > 0;
				if (cancelled && res->cancel == 0) {
					res->cancel = u + 1;
					res->cancel_at = o;
					memcpy(res->cancel_spans, w,
					    np * sizeof(*w));
				}
			}
			if (cancelled && asked)
				continue;
			asks = !s_agreed(&self->norm, se) &&
			    (s_asks(t, ss, se) ||
			    (se < len && s_asks_back(t, len, se)) ||
			    (ss > 0 && s_asks_back(t, len, ss - 1)));
			/* "My aunt says X. Is that true?": the reported claim is
			 * cancelled, the question about it still deserves the
			 * evidence (a question hit), unless a claim follows. */
			if (cancelled && asks) {
				asked = 1;
				memcpy(qw, w, np * sizeof(*w));
			}
			if (cancelled)
				continue;
			res->hit = 1;
			res->question = asks;
			memcpy(res->spans, w, np * sizeof(*w));
			return 0;
		}
	}
	if (asked) {
		res->hit = 1;
		res->question = 1;
		memcpy(res->spans, qw, np * sizeof(*qw));
	}
	return 0;
}

/* The normalized span [a, b) of 'norm' as bytes of the original field it
 * came from. A span that starts in the title ends there (a pattern that
 * crosses the blank line between title and body keeps its title part). */
static void
s_span(const mf_norm_t *norm, size_t a, size_t b, mf_span_t *out)
{
	size_t	s, e;

	mf_norm_span(norm, a, b, &s, &e);
	if (norm->body_at > 0 && s < norm->head_len) {
		*out = (mf_span_t){ s, e < norm->head_len ? e :
		    norm->head_len, MF_FIELD_TITLE };
		return;
	}
	s = s >= norm->body_at ? s - norm->body_at : 0;
	e = e >= norm->body_at ? e - norm->body_at : 0;
	*out = (mf_span_t){ s, e < s ? s : e, MF_FIELD_BODY };
}

/* Adds the hit of 'r' to 'v' (to its suppressed hits when an `unless`
 * cancelled it); spans mapped to the original title or body. */
static int
s_add_hit(mf_verdict_t *v, const mf_rule_t *r, const mf_norm_t *norm,
    const s_result_t *res, double score)
{
	int		 supp = !res->hit && res->cancel > 0;
	const s_occ_t	*sp = supp ? res->cancel_spans : res->spans;
	mf_hit_t	*h = supp ? mf_verdict_add_suppressed(v) :
			    mf_verdict_add_hit(v);

	if (h == NULL)
		return -1;
	h->mode = r->mode;
	h->question = res->question;
	h->score = score;
	if (mf_verdict_set_str(&h->rule, r->id) == -1 ||
	    mf_verdict_set_str(&h->claim, r->claim->id) == -1 ||
	    mf_verdict_set_str(&h->category, r->claim->category) == -1 ||
	    mf_verdict_set_str(&h->tier, mf_tier_name(r->claim->tier)) == -1 ||
	    (res->limit && mf_verdict_set_str(&h->error, res->limit) == -1))
		return -1;
	if (supp) {
		if (mf_verdict_set_str(&h->unless,
		    r->unless[res->cancel - 1].source) == -1)
			return -1;
		s_span(norm, res->cancel_at.start, res->cancel_at.end,
		    &h->unless_span);
	} else if (!res->hit)
		return 0;
	if ((h->spans = mf_calloc(r->nmatch, sizeof(*h->spans))) == NULL)
		return -1;
	h->nspans = r->nmatch;
	for (size_t j = 0; j < r->nmatch; j++)
		s_span(norm, sp[j].start, sp[j].end, &h->spans[j]);
	return 0;
}

/* URLs in the original body: http(s)://... and www.... */
static int
s_sources(mf_verdict_t *v, const mf_sources_t *src, const mf_policy_t *pol,
    const char *body, size_t len, double *score)
{
	size_t i = 0;

	while (i < len) {
		const char	*p = body + i, *u;
		size_t		 n = 0, k;
		char		 host[256], domain[256], *url;
		mf_list_t	 list;
		int		 dup = 0;

		/* Only "ht" and "ww" can start a link: go to the next h, H,
		 * w or W 8 bytes at a time (the lowest flagged byte of the
		 * zero-byte test is always a true one). */
		if (len - i >= 8) {
			uint64_t x, h, w, m;

			memcpy(&x, p, 8);
			x |= 0x2020202020202020ull;
			h = x ^ 0x6868686868686868ull;
			w = x ^ 0x7777777777777777ull;
			m = (((h - 0x0101010101010101ull) & ~h) |
			    ((w - 0x0101010101010101ull) & ~w)) &
			    0x8080808080808080ull;
			if (m == 0) {
				i += 8;
				continue;
			}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			if (__builtin_ctzll(m) >= 8) {
				i += (size_t)__builtin_ctzll(m) / 8;
				continue;
			}
#endif
		}
		if (len - i < 5 || !(((*p | 0x20) == 'h' && (p[1] | 0x20) ==
		    't') || ((*p | 0x20) == 'w' && (p[1] | 0x20) == 'w'))) {
			i++;
			continue;
		}
		if ((len - i >= 7 && strncasecmp(p, "http://", 7) == 0) ||
		    (len - i >= 8 && strncasecmp(p, "https://", 8) == 0) ||
		    (len - i >= 4 && strncasecmp(p, "www.", 4) == 0 &&
		    (i == 0 || !isalnum((unsigned char)p[-1])))) {
			u = p;
			while (i + n < len && !isspace((unsigned char)u[n]) &&
			    strchr("\"'<>()[]{}|\\^`", u[n]) == NULL)
				n++;
			while (n > 0 && strchr(".,;:!?", u[n - 1]))
				n--;
		} else {
			i++;
			continue;
		}
		i += n ? n : 1;
		if (mf_url_host(u, n, host, sizeof(host)) == -1 ||
		    mf_host_domain(host, domain, sizeof(domain)) == -1)
			continue;
		for (k = 0; k < v->nsources; k++)
			if (strcmp(v->sources[k].domain, domain) == 0)
				dup = 1;
		if (dup || v->nsources >= 64)
			continue;
		list = src ? mf_sources_lookup(src, host) : MF_LIST_UNKNOWN;
		if ((url = mf_strndup(u, n)) == NULL)
			return -1;
		if (mf_verdict_add_source(v, url, domain, list) == -1) {
			mf_free(url);
			return -1;
		}
		mf_free(url);
		if (list == MF_LIST_UNRELIABLE)
			*score += pol->source_unreliable;
		else if (list == MF_LIST_VETTED)
			*score += pol->source_vetted;
	}
	return 0;
}

/* Whether 'code' (may be NULL: no) occurs in the normalized post. A PCRE2
 * limit counts as no. */
static int
s_present(mf_scanner_t *self, const pcre2_code *code)
{
	const char	*lim = NULL;
	s_occ_t		 o;

	return code != NULL && s_find(self, code, self->norm.text, 0,
	    self->norm.len, &o, 1, &lim) > 0;
}

/* An unreliable source cited in a post on a health topic (the named
 * pattern health-topic, in the text around the links) adds
 * source-unreliable-topic once: a bare link to a misinformation host with
 * "read this about the jab" is a claim made by linking. */
static int
s_source_topic(mf_scanner_t *self, const mf_ruleset_t *rs, mf_verdict_t *v,
    double *score)
{
	int		 unreliable = 0;

	if (rs->policy.source_unreliable_topic == 0)
		return 0;
	for (size_t k = 0; k < v->nsources; k++)
		unreliable |= v->sources[k].list == MF_LIST_UNRELIABLE;
	if (unreliable && s_present(self, rs->topic.code)) {
		*score += rs->policy.source_unreliable_topic *
		    (v->flags & MF_VF_SARCASM ? rs->policy.sarcasm_scale :
		    v->flags & MF_VF_REBUTTAL ? rs->policy.rebuttal_scale : 1);
		v->flags |= MF_VF_UNRELIABLE_TOPIC;
	}
	return 0;
}

/* Cuts 'len' to at most 'max' bytes on a UTF-8 character boundary. */
/*
 * The model beside the rules: adds model_weight x its log-odds, within
 * [model_min, model_max], to '*mscore' (enforce), and reports a hit named
 * "model" with its probability, the words that weighed most as spans and,
 * when no rule named a claim, the nearest claim family with its evidence.
 * What it takes away it takes only from asserting rule hits ('asserted',
 * already scaled when the model vetoed them: 'vetoed'):
 * a question still earns its annotation, a cited source its score. What it
 * adds is scaled like the hits by the post's context ('scale': sarcasm),
 * and by question-scale in a post that only asks.
 * The hit is reported when the model leans to a claim or when it lowered
 * the rules' score.
 */
#define S_MODEL_SPANS	4
#define S_MODEL_WORDS	5	/* fewer, and the model alone says nothing */

/*
 * Whether the post ('norm') has fewer than 'min' words (runs of letters,
 * digits or other than ASCII; an apostrophe inside one, "I'm", "don't",
 * does not end it). The policy asks it of every post up to four times
 * (model-veto-words, model-veto-local, model-asserts, S_MODEL_WORDS), so
 * the words are counted once, as far as the largest 'min' asked so far:
 * 3,100 instructions a tweet were 1,000.
 */
static int
s_post_few_words(mf_scanner_t *self, size_t min)
{
	const char	*text = self->norm.text;
	size_t		 len = self->norm.len, i = self->fw_at, n = self->fw_n;
	int		 in = self->fw_in;

	for (; i < len && n < min; i++) {
		int w = s_word_byte(text[i]);

		if (!w && text[i] == '\'' && in && i + 1 < len &&
		    s_word_byte(text[i + 1]))
			continue;
		n += w && !in;
		in = w;
	}
	self->fw_at = i;
	self->fw_n = n;
	self->fw_in = in;
	return n < min;
}

/* The probability below which the model vetoes the post's asserting
 * hits: model-veto-short for a post of a few words, if set, and for a
 * reply agreeing with a quote, whose claim is in the quote the model
 * does not read: what it reads can still tell a joke ("Stimmt. The
 * virus finds no parking in a smoker's lungs"). */
static double
s_veto_at(mf_scanner_t *self, const mf_policy_t *pol)
{
	if (pol->model_veto_short >= 0 && (self->norm.agreed ||
	    s_post_few_words(self, pol->model_veto_words)))
		return pol->model_veto_short;
	return pol->model_veto;
}

/*
 * In a long post the model weighs a claim against everything around it:
 * a story, a ramble, the chat before and after. A hit the veto would
 * cancel stands when the model finds the hit's sentence and the next one
 * like a claim (model-veto-local): the next one, because a debunk or a
 * joke answers a claim there ("Garlic cures the flu. Said no doctor
 * ever."). Not in a post of fewer words, whose sentences are most of it.
 */
static int
s_local_claim(mf_scanner_t *self, const mf_model_t *m, const mf_policy_t *pol,
    const mf_rule_t *r, const s_result_t *res, const char *lang)
{
	const char	*t = self->norm.text;
	size_t		 len = self->norm.len, lo = SIZE_MAX, hi = 0, ss, se;

	/* Counted here, not when the model vetoed: most posts it vetoes
	 * have no hit to keep. */
	if (!self->veto_local || s_post_few_words(self,
	    (size_t)pol->model_veto_local))
		return 0;
	for (size_t k = 0; k < r->nmatch; k++) {
		if (res->spans[k].start < lo)
			lo = res->spans[k].start;
		if (res->spans[k].end > hi)
			hi = res->spans[k].end;
	}
	if (lo >= hi)
		return 0;
	s_sentence(t, len, lo, hi, &ss, &se);
	if (se + 1 < len) {
		size_t a;

		s_sentence(t, len, se + 1, se + 1, &a, &se);
	}
	if (self->lse == 0 || self->lss != ss || self->lse != se) {
		self->lss = ss;
		self->lse = se;
		self->lp = mf_model_prob(m, t + ss, se - ss, lang && *lang ?
		    lang : NULL);
	}
	return self->lp >= pol->model_veto;
}

/* "Why do you think they need boosters?": the model, which learned that
 * sincere questions are not claims, is sure this one is (model-asserts).
 * Not in a post of a few words: a one-line question gives it a handful
 * of features to go on, as for the veto. */
static int
s_rhetorical_by_model(mf_scanner_t *self, const mf_policy_t *pol, double p)
{
	return pol->model_mode == MF_MODE_ENFORCE && pol->model_asserts >= 0 &&
	    p >= pol->model_asserts && !s_post_few_words(self, MF_VETO_WORDS);
}

/*
 * Does the post hold the words of claim 'cl': the parts a rule of it
 * needs, all but one (the one of a rule of one part), by the prefilter's
 * scan of the post? A post the prefilter did not scan is taken to hold
 * them (nothing to tell by).
 */
static int
s_on_topic(const mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_claim_t *cl)
{
	if (cl == NULL)
		return 0;
	if (rs->pf == NULL || !self->pf_ran)
		return 1;
	for (size_t i = 0; i < rs->nrules; i++) {
		unsigned found, need;

		if (rs->rules[i]->claim_index != cl->index)
			continue;
		need = mf_prefilter_rule_parts(rs->pf, &self->pf, i, &found);
		if (need > 0 && found >= (need > 1 ? need - 1 : 1))
			return 1;
	}
	return 0;
}

static int
s_model(mf_scanner_t *self, const mf_ruleset_t *rs, const mf_model_t *m,
    mf_verdict_t *v, double p, double asserted,
    double scale, int vetoed, double *mscore)
{
	const mf_policy_t	*pol = &rs->policy;
	const mf_claim_t	*cl = NULL;
	mf_feat_span_t		 fs[S_MODEL_SPANS];
	const char		*mt;
	double			 add;
	size_t			 nfs, mlen;
	mf_hit_t		*h;
	int			 ruled = 0, any = 0, all = 0, asks;
	int			 hinted = 0;
	double			 lean = 0.5;	/* leans to a claim */
	double			 near = 0;	/* the hint's score */
	long			 c = -2;	/* the hint, -2: not asked yet */

	/* Sentences that ask matter only from there on: the walk is skipped
	 * for most posts. */
	if (p >= 0.5 || (pol->model_review_question >= 0 &&
	    p >= pol->model_review_question) || pol->model_hint_question >= 0)
		s_post_asks(&self->norm, &any, &all);
	/* A post that asks about a claim medflag knows gets the evidence
	 * from a lower probability (model-review-question), or whatever
	 * its probability when its words are near enough a claim family's
	 * (model-hint-question): the model learned that a question is not
	 * a claim, the family hint still knows what it is about. */
	asks = pol->model_review_question >= 0 && any;
	if (asks && pol->model_review_question < lean)
		lean = pol->model_review_question;
	if (any && pol->model_hint_question >= 0 &&
	    !(v->flags & MF_VF_QUOTES_SKIPPED)) {
		c = mf_model_hint_feats(m, &self->feats, &near);
		hinted = c >= 0 && near >= pol->model_hint_question;
	}
	add = p <= 0 ? pol->model_min : p >= 1 ? pol->model_max :
	    pol->model_weight * log(p / (1 - p));
	if (add < pol->model_min)
		add = pol->model_min;
	if (add > pol->model_max)
		add = pol->model_max;
	if (add > 0)
		add *= scale * (all && !self->rhetorical ?
		    pol->question_scale : 1);
	else if (add < -asserted)
		add = -asserted;
	add = round(add * 100) / 100;
	for (size_t i = 0; i < v->nhits && !ruled; i++)
		ruled = v->hits[i].mode == MF_MODE_ENFORCE &&
		    v->hits[i].score > 0;
	if (p < lean && add == 0 && !vetoed && !hinted)
		return 0;
	/* "hello", "plain words", "thanks, see you tomorrow": a post of a
	 * few words is no evidence the model alone may act on (what it
	 * learned of such words came from the chat around claims). */
	if (!ruled && !vetoed && s_post_few_words(self, S_MODEL_WORDS))
		return 0;
	/* Nor is a post on no health topic (the named pattern health-topic)
	 * whose words lie near no claim family either (model-near): a
	 * router that drops, a lasagne, "good night all". The model reads
	 * the voice of a claim ("the old recipes are the best ❤️"), the
	 * hint what it is about. Not a reply to a quote, which is not
	 * judged: the reply alone says little of its topic. */
	if (!ruled && !vetoed && pol->model_near >= 0 &&
	    !(v->flags & MF_VF_QUOTES_SKIPPED)) {
		if (c == -2)
			c = mf_model_hint_feats(m, &self->feats, &near);
		if (near < pol->model_near && !s_present(self, rs->topic.code))
			return 0;
	}
	if (pol->model_mode == MF_MODE_ENFORCE)
		*mscore = add;
	/* The claim it is about: the first rule hit's, else, when the model
	 * leans to a claim, the nearest family by its words. */
	for (size_t i = 0; cl == NULL && i < v->nhits; i++)
		if (v->hits[i].mode == MF_MODE_ENFORCE && v->hits[i].claim)
			cl = mf_ruleset_claim(rs, v->hits[i].claim);
	if (cl == NULL && (p >= lean || hinted)) {
		if (c == -2)
			c = mf_model_hint_feats(m, &self->feats, &near);
		if (c >= 0)
			cl = mf_ruleset_claim(rs, mf_model_class(m,
			    (size_t)c));
	}
	/* Alone, the model adds at most model-max-off-topic to a post
	 * that lacks the words of the claim it names (s_on_topic()): a post
	 * in the pandemic's words that names no remedy, no harm and no plot
	 * reaches the review queue, not the flags. */
	if (!ruled && pol->model_max_off_topic >= 0 &&
	    add > pol->model_max_off_topic && !s_on_topic(self, rs, cl)) {
		add = pol->model_max_off_topic;
		if (pol->model_mode == MF_MODE_ENFORCE) {
			*mscore = add;
			v->flags |= MF_VF_OFF_TOPIC;
		}
	}
	if ((h = mf_verdict_add_hit(v)) == NULL ||
	    mf_verdict_set_str(&h->rule, "model") == -1 ||
	    mf_verdict_set_str(&h->claim, cl ? cl->id : "") == -1 ||
	    (cl && (mf_verdict_set_str(&h->category, cl->category) == -1 ||
	    mf_verdict_set_str(&h->tier, mf_tier_name(cl->tier)) == -1)))
		return -1;
	h->mode = pol->model_mode;
	h->score = pol->model_mode == MF_MODE_ENFORCE ? add : 0;
	h->probability = round(p * 1000) / 1000;
	if (h->probability <= 0)
		h->probability = 0.001;
	if (p < lean && !hinted)
		return 0;
	/* The review queue, for a post about a claim medflag knows; not on
	 * the model's word alone for a post marked as mockery or as a
	 * rebuttal ('scale' < 1): its words are a claim's, its stance is
	 * not. */
	if (pol->model_mode == MF_MODE_ENFORCE && cl && scale >= 1 &&
	    ((pol->model_review >= 0 && p >= pol->model_review) ||
	    (asks && p >= pol->model_review_question) || hinted))
		v->flags |= MF_VF_REVIEW;
	/* No rule named a claim: the evidence of the nearest one. */
	for (size_t e = 0; cl && !ruled && e < cl->nevidence; e++)
		if (mf_verdict_add_evidence(v, cl->evidence[e]) == -1)
			return -1;
	mt = mf_scan_model_text(&self->norm, &mlen);
	nfs = mf_model_explain_feats(m, &self->feats, mt, mlen, fs,
	    S_MODEL_SPANS);
	if (nfs == (size_t)-1)
		return -1;
	for (size_t j = 0; j < nfs; j++) {
		fs[j].start += self->norm.agreed;
		fs[j].end += self->norm.agreed;
	}
	if (nfs && (h->spans = mf_calloc(nfs, sizeof(*h->spans))) == NULL)
		return -1;
	h->nspans = nfs;
	for (size_t j = 0; j < nfs; j++)
		s_span(&self->norm, fs[j].start, fs[j].end, &h->spans[j]);
	return 0;
}

/* Grows the per-rule and per-claim scratch space for 'rs' (once). */
static int
s_grow(mf_scanner_t *self, const mf_ruleset_t *rs)
{
	size_t	 n = rs->nrules + 1, c = rs->nclaims + 1;
	void	*p;

	if (n > self->capcand) {
		if ((p = mf_realloc(self->cand, n * sizeof(size_t))) == NULL)
			return -1;
		self->cand = p;
		self->capcand = n;
	}
	if (c > self->capclaims) {
		if ((p = mf_realloc(self->claims_hit, c * sizeof(size_t))) ==
		    NULL)
			return -1;
		self->claims_hit = p;
		mf_free(self->claim_best);
		if ((self->claim_best = mf_calloc(c, sizeof(double))) == NULL) {
			self->capclaims = 0;
			return -1;
		}
		self->capclaims = c;
	}
	return 0;
}

/* Adds the time since '*mark' to '*into' and moves the mark (statistics
 * only: a scan without them reads no clock for this). */
static void
s_lap(uint64_t *into, int64_t *mark)
{
	int64_t now = mf_now_ns();

	*into += (uint64_t)(now - *mark);
	*mark = now;
}

/* 1 if bit 'i' of the caller's shadow bitmap is set. */
static int
s_shadowed(const mf_scan_opts_t *so, size_t i)
{
	return so != NULL && so->shadow != NULL && i < so->nshadow &&
	    (so->shadow[i / 8] >> (i % 8)) & 1;
}

/*
 * A reply that opens agreeing with the quoted material before it: the
 * quote is what the writer says too, and is judged with the reply
 * ('norm' becomes the text with the quote kept, 'agreed' its length).
 * Only when the quote is all at the start and the rest is the reply as
 * judged without it. 'spare' is work space.
 */
static int
s_agreed_quote(mf_norm_t *norm, mf_norm_t *spare, const char *body,
    size_t len, mf_format_t fmt, unsigned nopts, mf_err_t *err)
{
	mf_norm_t	t;
	size_t		r = 0, n, q;

	if ((nopts & MF_NORM_KEEP_QUOTES) ||
	    !(norm->flags & MF_NORMF_QUOTES_CUT) ||
	    !s_agrees(norm->text, norm->len))
		return 0;
	if (mf_normalize(spare, body, len, fmt, nopts | MF_NORM_KEEP_QUOTES,
	    err) == -1)
		return -1;
	/* The reply as judged without the quote, less the blank lines the
	 * cut left before it. */
	while (r < norm->len && (norm->text[r] == '\n' ||
	    norm->text[r] == ' '))
		r++;
	n = norm->len - r;
	if (n == 0 || spare->len <= n || memcmp(spare->text + spare->len - n,
	    norm->text + r, n) != 0)
		return 0;
	q = spare->len - n;
	t = *norm;
	*norm = *spare;
	*spare = t;
	norm->agreed = q;
	return 0;
}

/*
 * The post's text as rules see it: the body cut at max-body-bytes and
 * reduced from its format; a title (plain text, cut at the same limit)
 * before it, joined by a blank line so that each is its own sentence.
 * Only the body's links are read for sources (s_sources()).
 */
static int
s_post_text(mf_norm_t *norm, mf_norm_t *tnorm, const mf_policy_t *pol,
    const mf_post_t *post, unsigned opts, mf_err_t *err)
{
	unsigned	nopts = 0;
	size_t		blen, tlen;
	int		titled = post->title != NULL && *post->title != '\0';

	if (pol->judge_quotes || (opts & MF_SCAN_KEEP_QUOTES))
		nopts |= MF_NORM_KEEP_QUOTES;
	blen = mf_utf8_cut(post->body, post->body_len, pol->max_body);
	if (mf_normalize(norm, post->body, blen, post->body_format, nopts,
	    err) == -1)
		return -1;
	/* A reply agreeing with a quote (not under a title: a first post
	 * quotes no one). */
	if (pol->judge_agreed_quotes && !titled &&
	    s_agreed_quote(norm, tnorm, post->body, blen, post->body_format,
	    nopts, err) == -1)
		return -1;
	if (!titled)
		return 0;
	tlen = mf_utf8_cut(post->title, strlen(post->title), pol->max_body);
	/* A title quotes no one: a leading '>' is part of it. */
	if (mf_normalize(tnorm, post->title, tlen, MF_FMT_TEXT,
	    nopts | MF_NORM_KEEP_QUOTES, err) == -1)
		return -1;
	return tnorm->len == 0 ? 0 : mf_norm_join(norm, tnorm, tlen, err);
}

int
mf_scan_text(mf_norm_t *norm, const mf_policy_t *pol, const mf_post_t *post,
    unsigned opts, mf_err_t *err)
{
	mf_norm_t	tnorm = { 0 };
	int		rc;

	rc = s_post_text(norm, &tnorm, pol, post, opts, err);
	mf_norm_free(&tnorm);
	return rc;
}

const char *
mf_post_lang(const mf_post_t *post, const mf_norm_t *norm)
{
	return s_post_lang(post, norm);
}

static int
s_norm_post(mf_scanner_t *self, const mf_ruleset_t *rs, const mf_post_t *post,
    unsigned opts, mf_err_t *err)
{
	return s_post_text(&self->norm, &self->tnorm, &rs->policy, post, opts,
	    err);
}

const mf_norm_t *
mf_scan_norm(mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_post_t *post, const char **lang, mf_err_t *err)
{
	if (post->body == NULL) {
		mf_err_set(err, MF_EFIELD, post->post_id, "body: missing");
		return NULL;
	}
	if (s_norm_post(self, rs, post, 0, err) == -1)
		return NULL;
	*lang = s_post_lang(post, &self->norm);
	return &self->norm;
}

int
mf_scan(mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_sources_t *sources, const mf_post_t *post, unsigned opts,
    mf_verdict_t **out, mf_err_t *err)
{
	mf_scan_opts_t	so = { opts, NULL, 0, 0, NULL };

	return mf_scan_opts(self, rs, sources, post, &so, out, err);
}

int
mf_scan_opts(mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_sources_t *sources, const mf_post_t *post, mf_scan_opts_t *so,
    mf_verdict_t **out, mf_err_t *err)
{
	const mf_policy_t	*pol = &rs->policy;
	unsigned		 opts = so->flags;
	/* Timing per rule only when the caller overrides modes. */
	int			 track = so->shadow != NULL;
	int64_t			 slow_ns = -1, shadow_ns = 0, t_rule = 0;
	size_t			 slow_idx = MF_SCAN_NO_RULE;
	mf_verdict_t		*v;
	size_t			 len, mlen, ncand, nhits = 0;
	const char		*mt;
	double			 score = 0;
	size_t			 nclaims_hit = 0;
	int			 asserts = 0;	/* an asserting hit */
	mf_action_t		 least = MF_ACT_NONE;
	int			 timed_out = 0, sarc_may;
	double			 ctx_scale = 1, qbest = 0, mscore = 0;
	double			 prob = -1, veto_scale = 1;
	const mf_model_t	*model = so->model ? so->model : rs->model;
	double			 asserted;	/* what asserting hits add */
	const char		*lang = NULL;	/* "" once told: unknown */
	int			 foreign = -1;	/* in a language medflag
						 * does not read; -1: not
						 * told yet */
	mf_scan_stats_t		*st = self->stats;
	int64_t			 mark;

	*out = NULL;
	so->culprit = MF_SCAN_NO_RULE;
	mark = self->t0_ns = mf_now_ns();
	self->rules_run = 0;
	if ((v = mf_verdict_for(post)) == NULL)
		goto oom;
	if (mf_verdict_set_str(&v->ruleset, rs->hash) == -1 ||
	    (sources && mf_verdict_set_str(&v->sources_version,
	    mf_sources_version(sources)) == -1))
		goto oom;
	if (post->body == NULL) {
		if (mf_verdict_set_error(v, MF_STATUS_ERROR, "body: missing")
		    == -1)
			goto oom;
		*out = v;
		return 0;
	}
	len = mf_utf8_cut(post->body, post->body_len, pol->max_body);
	if (len < post->body_len)
		v->flags |= MF_VF_TRUNCATED;
	if (s_prepare(self, rs) == -1 ||
	    s_norm_post(self, rs, post, opts, err) == -1 ||
	    s_grow(self, rs) == -1)
		goto oom;
	if (st)
		s_lap(&st->ns_normalize, &mark);
	s_memo_reset(self);
	self->pf_ran = 0;
	self->veto_local = 0;
	self->fw_at = self->norm.agreed;	/* the words the model reads */
	self->fw_n = 0;
	self->fw_in = 0;
	self->lse = 0;
	self->no_starts = (opts & MF_SCAN_NO_STARTS) != 0;
	if (self->norm.flags & MF_NORMF_INVALID_UTF8)
		v->flags |= MF_VF_INVALID_UTF8;
	if (self->norm.flags & MF_NORMF_QUOTES_CUT)
		v->flags |= MF_VF_QUOTES_SKIPPED;
	if (self->norm.agreed)
		v->flags |= MF_VF_QUOTE_AGREED;
	/* The rules that may match, and whether post-sarcasm's branches
	 * searched through the post may (the prefilter's last rule,
	 * s_gate() in ruleset.c). */
	sarc_may = 1;
	if (rs->pf && !(opts & MF_SCAN_NO_PREFILTER)) {
		if (st)
			s_lap(&st->ns_other, &mark);
		ncand = mf_prefilter_scan(rs->pf, &self->pf, self->norm.text,
		    self->norm.len, self->cand);
		if (ncand == (size_t)-1)
			goto oom;
		self->pf_ran = 1;
		if (rs->sarcasm_req != NULL) {
			sarc_may = ncand > 0 &&
			    self->cand[ncand - 1] == rs->nrules;
			ncand -= sarc_may;
		}
		if (st)
			s_lap(&st->ns_litscan, &mark);
	} else {
		for (size_t i = 0; i < rs->nrules; i++)
			self->cand[i] = i;
		ncand = rs->nrules;
	}
	/* The post's context: sarcasm anywhere scales every hit, and so
	 * does a post that opens by quoting a claim to answer it (one
	 * scale, not both: each says the post does not mean the claim). */
	if (pol->sarcasm_scale < 1 && (rs->sarcasm_half[0] != NULL ?
	    s_present(self, rs->sarcasm_half[0]) ||
	    (sarc_may && s_present(self, rs->sarcasm_half[1])) :
	    s_present(self, rs->sarcasm.code))) {
		ctx_scale = pol->sarcasm_scale;
		v->flags |= MF_VF_SARCASM;
	} else if (pol->rebuttal_scale < 1 &&
	    s_present(self, rs->rebuttal.code)) {
		ctx_scale = pol->rebuttal_scale;
		v->flags |= MF_VF_REBUTTAL;
	}
	/* The model's view, told before the rules run: a post it finds
	 * unlike a claim has its asserting hits scaled by model-veto-scale
	 * (debunks, reports and stories of harm share a claim's words).
	 * Only in a language it learned: a post in one that only the
	 * forum's own rules read (`lang it`) is theirs alone. */
	self->rhetorical = 0;
	if (model && pol->model_mode != MF_MODE_OFF && self->norm.len &&
	    !(opts & MF_SCAN_NO_MODEL) &&
	    !(foreign = s_tell_lang(self, rs, post, &lang)) &&
	    mf_lang_ours(lang)) {
		if (st)
			s_lap(&st->ns_other, &mark);
		mt = mf_scan_model_text(&self->norm, &mlen);
		if (mf_model_feats(mt, mlen, lang, &self->feats) == -1)
			goto oom;
		prob = mf_model_prob_feats(model, &self->feats);
		if (st)
			s_lap(&st->ns_model, &mark);
		if (pol->model_mode == MF_MODE_ENFORCE &&
		    prob < s_veto_at(self, pol)) {
			veto_scale = pol->model_veto_scale;
			/* A post the model finds wholly unlike a claim
			 * (model-veto-local-min) keeps the veto in every
			 * sentence, however like a claim one of them reads:
			 * the long story, debunk or report that tells the
			 * myth it is about. */
			self->veto_local = pol->model_veto_local >= 0 &&
			    (pol->model_veto_local_min < 0 ||
			    prob >= pol->model_veto_local_min);
		}
		self->rhetorical = s_rhetorical_by_model(self, pol, prob);
	}
	for (size_t c = 0; c < ncand; c++) {
		size_t		 idx = self->cand[c];
		const mf_rule_t	*r = rs->rules[idx];
		s_result_t	 res;
		double		 s;
		size_t		 ci, had = v->nhits;
		double		 local = 0;
		int		 autosh = s_shadowed(so, idx);
		mf_mode_t	 mode = autosh && r->mode == MF_MODE_ENFORCE ?
				    MF_MODE_SHADOW : r->mode;

		if (mode == MF_MODE_OFF)
			continue;
		/* Told once, and only for a post that has a candidate rule
		 * with a language. */
		if (r->lang && foreign < 0)
			foreign = s_tell_lang(self, rs, post, &lang);
		if (r->lang && *lang && !foreign && !mf_lang_is(lang, r->lang))
			continue;
		/* Time spent in rules the caller shadowed does not count
		 * against the budget; once it is spent they are skipped. */
		if (!(opts & MF_SCAN_NO_BUDGET) && (track ?
		    (mf_now_ns() - shadow_ns - self->t0_ns) / 1000000 >
		    (int64_t)pol->budget_ms : (c & 15) == 15 &&
		    s_elapsed_ms(self) > pol->budget_ms)) {
			if (autosh)
				continue;
			timed_out = 1;
			break;
		}
		if (track || (st && st->ns))
			t_rule = mf_now_ns();
		(void)s_run_rule(self, r, self->norm.text, self->norm.len,
		    &res);
		if (st && st->runs && idx < st->nruns)
			st->runs[idx]++;
		if (st && st->ns && idx < st->nruns)
			st->ns[idx] += (uint64_t)(mf_now_ns() - t_rule);
		if (track) {
			int64_t	d = mf_now_ns() - t_rule;

			if (autosh)
				shadow_ns += d;
			else if (d > slow_ns) {
				slow_ns = d;
				slow_idx = idx;
			}
		}
		if (!res.hit && res.limit == NULL) {
			if (res.cancel > 0 && (opts & MF_SCAN_EXPLAIN) &&
			    v->nsuppressed < pol->max_hits &&
			    s_add_hit(v, r, &self->norm, &res, 0) == -1)
				goto oom;
			continue;
		}
		if (res.limit) {
			v->flags |= MF_VF_RULE_LIMIT;
			if (!autosh) {
				least = pol->limit_action;
				if (so->culprit == MF_SCAN_NO_RULE)
					so->culprit = idx;
			}
		}
		s = 0;
		if (res.hit && mode == MF_MODE_ENFORCE) {
			if (self->rhetorical)
				res.question = 0;
			s = (res.question ? r->score * pol->question_scale :
			    r->score * veto_scale) * ctx_scale;
			if (!res.question && veto_scale < 1 &&
			    s_local_claim(self, model, pol, r, &res, lang)) {
				s = r->score * ctx_scale;
				local = self->lp;
			}
			ci = r->claim_index;
			if (res.question) {
				/* A question is asked once, however many
				 * myths it names: questions do not add up. */
				if (s > qbest)
					qbest = s;
			} else {
				/* Once per claim, and only what scores: a hit
				 * the model vetoed to 0 (model-veto-scale 0)
				 * may repeat for every rule of the post. */
				asserts = 1;
				if (s > 0 && self->claim_best[ci] == 0)
					self->claims_hit[nclaims_hit++] = ci;
				if (s > self->claim_best[ci])
					self->claim_best[ci] = s;
			}
			for (size_t e = 0; e < r->claim->nevidence; e++)
				if (mf_verdict_add_evidence(v,
				    r->claim->evidence[e]) == -1)
					goto oom;
		}
		s = round(s * 100) / 100;
		if (nhits++ < pol->max_hits &&
		    s_add_hit(v, r, &self->norm, &res, s) == -1)
			goto oom;
		if (local > 0 && v->nhits > had)
			v->hits[v->nhits - 1].local = round(local * 1000) /
			    1000;
		if (autosh && v->nhits > had)
			v->hits[v->nhits - 1].mode = mode;
	}
	if (st)
		s_lap(&st->ns_pcre, &mark);
	/* Per claim the best hit; claims add up, the best question counts
	 * once and only in a post that asserts nothing. Reset for the next
	 * post. */
	for (size_t k = 0; k < nclaims_hit; k++) {
		score += self->claim_best[self->claims_hit[k]];
		self->claim_best[self->claims_hit[k]] = 0;
	}
	asserted = score;
	if (!asserts)
		score += qbest;
	nclaims_hit = 0;
	if (s_sources(v, sources, pol, post->body, len, &score) == -1 ||
	    s_source_topic(self, rs, v, &score) == -1)
		goto oom;
	if (prob >= 0) {
		if (st)
			s_lap(&st->ns_other, &mark);
		if (s_model(self, rs, model, v, prob, asserted,
		    ctx_scale, veto_scale < 1 && asserts, &mscore) == -1)
			goto oom;
		if (st)
			s_lap(&st->ns_model, &mark);
	}
	/* Hundredths: 6 x 0.4 reads 2.4, not 2.4000000000000004. */
	v->score = round((score + mscore) * 100) / 100;
	v->action = mf_policy_action(pol, score + mscore);
	/* The model alone never holds or blocks: what it adds may raise
	 * the action up to flag, no further. */
	if (mscore > 0 && v->action > MF_ACT_FLAG) {
		mf_action_t rules_only = mf_policy_action(pol, score);

		v->action = rules_only > MF_ACT_FLAG ? rules_only :
		    MF_ACT_FLAG;
	}
	if ((v->flags & MF_VF_REVIEW) && v->action < MF_ACT_ANNOTATE)
		v->action = MF_ACT_ANNOTATE;
	/* A post in a language medflag does not read: every rule ran, as
	 * for a post whose language cannot be told, and the model stayed
	 * out (it never learned the language: its doubt would cancel the
	 * rules at random). What the rules found in its words brings it to
	 * the review queue, no further (other-lang-max): their negation,
	 * reporting and sarcasm words are not the post's. */
	if (foreign < 0)
		foreign = s_tell_lang(self, rs, post, &lang);
	if (foreign) {
		v->flags |= MF_VF_LANG_UNSUPPORTED;
		if (v->action > pol->other_lang_max) {
			v->action = pol->other_lang_max;
			if (v->action >= MF_ACT_ANNOTATE)
				v->flags |= MF_VF_REVIEW;
		}
		/* A forum that reads every post it cannot judge itself
		 * (other-lang-action): at least that, to review. */
		if (v->action < pol->other_lang_action) {
			v->action = pol->other_lang_action;
			v->flags |= MF_VF_REVIEW;
		}
	}
	if (timed_out) {
		if (mf_verdict_set_error(v, MF_STATUS_TIMEOUT, "time budget "
		    "of %u ms spent after %zu of %zu candidate rules; sent "
		    "to a moderator", pol->budget_ms, self->rules_run, ncand)
		    == -1)
			goto oom;
		if (least < pol->limit_action)
			least = pol->limit_action;
		if (so->culprit == MF_SCAN_NO_RULE)
			so->culprit = slow_idx;
	}
	if (v->action < least)
		v->action = least;
	if (v->hits == NULL && v->sources == NULL && self->norm.len == 0 &&
	    v->status == MF_STATUS_OK)
		v->status = MF_STATUS_SKIPPED;
	if (st) {
		s_lap(&st->ns_other, &mark);
		st->posts++;
		st->rules += rs->nrules;
		st->candidates += ncand;
		st->rules_run += self->rules_run;
	}
	*out = v;
	return 0;
oom:
	for (size_t k = 0; k < nclaims_hit; k++)
		self->claim_best[self->claims_hit[k]] = 0;
	mf_verdict_destroy(&v);
	return mf_err_set(err, MF_ENOMEM, post->post_id, "out of memory "
	    "while judging the post");
}

int
mf_scan_rule(mf_scanner_t *self, const mf_ruleset_t *rs,
    const mf_rule_t *rule, const char *text, int *hit, int *question,
    mf_err_t *err)
{
	s_result_t res;

	if (s_prepare(self, rs) == -1 ||
	    mf_normalize(&self->norm, text, strlen(text), MF_FMT_TEXT, 0,
	    err) == -1)
		return mf_err_set(err, MF_ENOMEM, rule->id, "out of memory");
	self->t0_ns = mf_now_ns();
	s_memo_reset(self);
	self->no_starts = 0;
	if (s_run_rule(self, rule, self->norm.text, self->norm.len, &res) ==
	    -1)
		return mf_err_set(err, MF_EREGEX, rule->id, "%s", res.limit);
	*hit = res.hit;
	*question = res.question;
	return 0;
}

/* The expect lines of every lexicon: a word of the class must (or must
 * not) stand in the normalized example as a whole word. */
static int
s_lexicon_test(const mf_ruleset_t *rs, mf_scanner_t *self, mf_diags_t *diags)
{
	int failed = 0;

	for (size_t i = 0; i < rs->ndefines; i++) {
		const mf_define_t *d = &rs->defines[i];

		for (size_t k = 0; d->lexicon && k < d->nexpect; k++) {
			const mf_expect_t	*ex = &d->expect[k];
			int			 n;

			if (mf_normalize(&self->norm, ex->text,
			    strlen(ex->text), MF_FMT_TEXT, 0, NULL) == -1)
				return -1;
			n = s_present(self, d->test.code);
			if (n == (ex->kind == MF_EXPECT_MATCH))
				continue;
			failed++;
			mf_diags_add(diags, MF_DIAG_ERROR, d->file, ex->line,
			    ex->col, n > 0 ? "narrow the words, or choose "
			    "another example" : "add the word to a 'words' "
			    "line", "lexicon %s: expect %s failed: %s",
			    d->name, ex->kind == MF_EXPECT_MATCH ? "match" :
			    "nomatch", n > 0 ? "a word of it is there" :
			    "no word of it is there");
		}
	}
	return failed;
}

int
mf_rule_test(const mf_ruleset_t *rs, mf_scanner_t *self, const mf_rule_t *r,
    mf_diags_t *diags)
{
	int failed = 0;

	for (size_t k = 0; k < r->nexpect; k++) {
		const mf_expect_t	*ex = &r->expect[k];
		int			 hit = 0, q = 0, ok;
		mf_err_t		 err = {0};

		if (mf_scan_rule(self, rs, r, ex->text, &hit, &q, &err) == -1) {
			if (err.code == MF_ENOMEM)
				return -1;
			mf_diags_add(diags, MF_DIAG_ERROR, r->file, ex->line,
			    ex->col, "simplify the pattern (bounded gaps, "
			    "fewer nested repeats)", "rule %s: %s on this "
			    "example", r->id, err.msg);
			failed++;
			continue;
		}
		switch (ex->kind) {
		case MF_EXPECT_MATCH:
			ok = hit && !q;
			break;
		case MF_EXPECT_NOMATCH:
			ok = !hit || q;
			break;
		default:
			ok = hit && q;
			break;
		}
		if (ok)
			continue;
		failed++;
		mf_diags_add(diags, MF_DIAG_ERROR, r->file, ex->line, ex->col,
		    ex->kind == MF_EXPECT_NOMATCH ?
		    "tighten a 'match', add an 'unless', or lower 'near'; "
		    "'medflag explain' shows what matched" :
		    ex->kind == MF_EXPECT_MATCH && hit ?
		    "the sentence reads as a question; rephrase the example "
		    "or expect question" :
		    "widen a 'match' or check the 'unless' lines; 'medflag "
		    "explain' shows what matched",
		    "rule %s: expect %s failed: %s", r->id,
		    ex->kind == MF_EXPECT_MATCH ? "match" :
		    ex->kind == MF_EXPECT_NOMATCH ? "nomatch" : "question",
		    hit ? (q ? "it hit as a question" : "it hit") :
		    "it did not hit");
	}
	return failed;
}

int
mf_ruleset_test(const mf_ruleset_t *rs, mf_scanner_t *self,
    mf_diags_t *diags)
{
	int failed, n;

	if (s_prepare(self, rs) == -1 ||
	    (failed = s_lexicon_test(rs, self, diags)) == -1)
		return -1;
	for (size_t i = 0; i < rs->nrules; i++) {
		if ((n = mf_rule_test(rs, self, rs->rules[i], diags)) == -1)
			return -1;
		failed += n;
	}
	return failed;
}
