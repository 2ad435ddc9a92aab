/*
 * ruleset.c - the rule compiler: reads rule files and policy.conf, links
 * rules to claims, compiles every pattern with PCRE2 (caseless, UTF, UCP,
 * JIT) under explicit limits, builds the literal prefilter, and hashes the
 * content. All or nothing: any error and nothing is loaded.
 *
 * Not responsible for matching (match.c) or reading rule syntax
 * (rules_parse.c).
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "alloc.h"
#include "altsplit.h"
#include "buf.h"
#include "confline.h"
#include "hash.h"
#include "learn.h"
#include "normalize.h"
#include "prefilter_internal.h"
#include "ruleset_internal.h"

/* ---- policy ------------------------------------------------------------ */

void
mf_policy_defaults(mf_policy_t *p)
{
	memset(p, 0, sizeof(*p));
	p->annotate = 2;
	p->flag = 5;
	p->hold = 9;
	p->block = -1;
	p->source_unreliable = 3;
	p->source_vetted = -1;
	p->question_scale = 0.4;
	p->sarcasm_scale = 1;
	p->rebuttal_scale = 1;
	p->max_body = 65536;
	p->max_hits = 64;
	p->match_limit = 1000000;
	p->depth_limit = 5000;
	p->heap_limit_kib = 20480;
	p->budget_ms = 50;
	p->judge_quotes = 0;
	p->judge_agreed_quotes = 0;
	p->limit_action = MF_ACT_FLAG;
	p->other_lang_max = MF_ACT_ANNOTATE;
	p->other_lang_action = MF_ACT_NONE;
	p->model_mode = MF_MODE_SHADOW;
	p->model_weight = 2;
	p->model_veto = -1;
	p->model_veto_scale = 0.4;
	p->model_veto_short = -1;
	p->model_veto_words = MF_VETO_WORDS;
	p->model_learn_rate = 4;
	p->model_review_question = -1;
	p->model_hint_question = -1;
	p->model_asserts = -1;
	p->model_min = -5;
	p->model_max = 5;
	p->model_max_off_topic = -1;
	p->model_near = -1;
	p->model_veto_local = -1;
	p->model_veto_local_min = -1;
	p->model_review = -1;
}

mf_action_t
mf_policy_action(const mf_policy_t *p, double score)
{
	if (p->block >= 0 && score >= p->block)
		return MF_ACT_BLOCK;
	if (p->hold >= 0 && score >= p->hold)
		return MF_ACT_HOLD;
	if (p->flag >= 0 && score >= p->flag)
		return MF_ACT_FLAG;
	if (p->annotate >= 0 && score >= p->annotate)
		return MF_ACT_ANNOTATE;
	return MF_ACT_NONE;
}

enum { S_NUM, S_THRESH, S_SIZE, S_BOOL, S_ACTION, S_MODE };

/* Every policy directive: name, type, bounds, where it goes, what it is. */
static const struct s_pdir {
	const char	*name;
	int		 type;
	double		 min, max;
	size_t		 off;
	const char	*help;
} s_pdirs[] = {
	{ "annotate", S_THRESH, 0, 1000, offsetof(mf_policy_t, annotate),
	    "lowest score that earns 'annotate' (or off)" },
	{ "flag", S_THRESH, 0, 1000, offsetof(mf_policy_t, flag),
	    "lowest score that earns 'flag' (or off)" },
	{ "hold", S_THRESH, 0, 1000, offsetof(mf_policy_t, hold),
	    "lowest score that earns 'hold' (or off)" },
	{ "block", S_THRESH, 0, 1000, offsetof(mf_policy_t, block),
	    "lowest score that earns 'block' (or off)" },
	{ "source-unreliable", S_NUM, -100, 100,
	    offsetof(mf_policy_t, source_unreliable),
	    "added once per unreliable domain cited" },
	{ "source-vetted", S_NUM, -100, 100,
	    offsetof(mf_policy_t, source_vetted),
	    "added once per vetted domain cited" },
	{ "question-scale", S_NUM, 0, 1, offsetof(mf_policy_t, question_scale),
	    "multiplier for a hit in a sentence that asks" },
	{ "source-unreliable-topic", S_NUM, -100, 100,
	    offsetof(mf_policy_t, source_unreliable_topic),
	    "added once when an unreliable domain is cited in a post whose "
	    "text matches the named pattern health-topic" },
	{ "sarcasm-scale", S_NUM, 0, 1, offsetof(mf_policy_t, sarcasm_scale),
	    "multiplier for every hit of a post that the named pattern "
	    "post-sarcasm matches" },
	{ "rebuttal-scale", S_NUM, 0, 1, offsetof(mf_policy_t, rebuttal_scale),
	    "multiplier for every hit of a post that the named pattern "
	    "post-rebuttal matches" },
	{ "max-body-bytes", S_SIZE, 256, 16777216,
	    offsetof(mf_policy_t, max_body), "bytes of a body judged" },
	{ "max-hits", S_SIZE, 1, 4096, offsetof(mf_policy_t, max_hits),
	    "hits reported per verdict" },
	{ "match-limit", S_SIZE, 1000, 100000000,
	    offsetof(mf_policy_t, match_limit), "PCRE2 match limit" },
	{ "depth-limit", S_SIZE, 100, 10000000,
	    offsetof(mf_policy_t, depth_limit), "PCRE2 depth limit" },
	{ "heap-limit-kib", S_SIZE, 64, 1048576,
	    offsetof(mf_policy_t, heap_limit_kib), "PCRE2 heap limit (KiB)" },
	{ "budget-ms", S_SIZE, 1, 60000, offsetof(mf_policy_t, budget_ms),
	    "time budget per post" },
	{ "judge-quotes", S_BOOL, 0, 1, offsetof(mf_policy_t, judge_quotes),
	    "yes: quoted material is judged too" },
	{ "judge-agreed-quotes", S_BOOL, 0, 1,
	    offsetof(mf_policy_t, judge_agreed_quotes),
	    "yes: quoted material a reply opens agreeing with is judged as "
	    "the writer's" },
	{ "limit-action", S_ACTION, 0, 0, offsetof(mf_policy_t, limit_action),
	    "least action when a rule hits a PCRE2 limit" },
	{ "other-lang-max", S_ACTION, 0, 0,
	    offsetof(mf_policy_t, other_lang_max),
	    "most action for a post in a language the rules do not cover "
	    "(more than that gives flag review)" },
	{ "other-lang-action", S_ACTION, 0, 0,
	    offsetof(mf_policy_t, other_lang_action),
	    "least action for a post in a language the rules do not cover, "
	    "with flag review (none: only what its words earn)" },
	{ "model", S_MODE, 0, 0, offsetof(mf_policy_t, model_mode),
	    "enforce: the model's score counts; shadow: it is reported only" },
	{ "model-veto", S_THRESH, 0, 1, offsetof(mf_policy_t, model_veto),
	    "probability below which asserting rule hits are scaled by "
	    "model-veto-scale (or off)" },
	{ "model-veto-short", S_THRESH, 0, 1,
	    offsetof(mf_policy_t, model_veto_short),
	    "model-veto for a post of fewer than model-veto-words words (or "
	    "off: the same as model-veto)" },
	{ "model-veto-words", S_SIZE, 1, 10000,
	    offsetof(mf_policy_t, model_veto_words),
	    "how many words make a post long enough for model-veto (fewer: "
	    "model-veto-short)" },
	{ "model-veto-local", S_THRESH, 1, 100000,
	    offsetof(mf_policy_t, model_veto_local),
	    "in a post of this many words or more, a rule hit the veto would "
	    "cancel stands where the model finds its sentence and the next "
	    "like a claim (or off)" },
	{ "model-veto-local-min", S_THRESH, 0, 1,
	    offsetof(mf_policy_t, model_veto_local_min),
	    "the least probability of the whole post at which "
	    "model-veto-local keeps a hit; below it the veto holds in every "
	    "sentence (or off)" },
	{ "model-veto-scale", S_NUM, 0, 1,
	    offsetof(mf_policy_t, model_veto_scale),
	    "multiplier for asserting rule hits the model finds unlike a "
	    "claim" },
	{ "model-weight", S_NUM, 0, 100, offsetof(mf_policy_t, model_weight),
	    "score per unit of the model's log-odds" },
	{ "model-min", S_NUM, -100, 0, offsetof(mf_policy_t, model_min),
	    "the least the model adds (a negative score lowers rule hits)" },
	{ "model-max", S_NUM, 0, 100, offsetof(mf_policy_t, model_max),
	    "the most the model adds" },
	{ "model-max-off-topic", S_THRESH, 0, 100,
	    offsetof(mf_policy_t, model_max_off_topic),
	    "the most the model adds alone to a post that lacks the words of "
	    "every rule of its claim, all their parts but one (or off)" },
	{ "model-near", S_THRESH, 0, 1000,
	    offsetof(mf_policy_t, model_near),
	    "alone, the model acts only on a post this near a claim family "
	    "(the model's family hint), or off" },
	{ "model-learn-rate", S_NUM, 0, 100,
	    offsetof(mf_policy_t, model_learn_rate),
	    "how far one moderator's outcome moves the model on its post "
	    "(log-odds)" },
	{ "model-review-question", S_THRESH, 0, 1,
	    offsetof(mf_policy_t, model_review_question),
	    "the same for a post that asks (a sincere question gets the "
	    "evidence), or off" },
	{ "model-asserts", S_THRESH, 0, 1,
	    offsetof(mf_policy_t, model_asserts),
	    "probability from which a sentence that asks counts as asserting "
	    "(a rhetorical question: question-scale does not apply), or off" },
	{ "model-hint-question", S_THRESH, 0, 1000,
	    offsetof(mf_policy_t, model_hint_question),
	    "a post that asks and is this near a claim family (the model's "
	    "family hint) gets the evidence, or off" },
	{ "model-review", S_THRESH, 0, 1, offsetof(mf_policy_t, model_review),
	    "probability from which a post reaches the review queue (or off)"
	},
};

/* Sets one directive of a line of policy.conf (mf_confline_spec_t). */
static void
s_policy_apply(void *ctx, const void *entry, const mf_confline_t *l,
    mf_diags_t *diags)
{
	const struct s_pdir	*d = entry;
	const char		*v = l->value;
	char			*base = ctx, *e;
	double			 x;

	if (*v == '\0') {
		mf_diags_add(diags, MF_DIAG_ERROR, l->path, l->lineno,
		    l->key_col, d->help, "'%s' needs a value", l->key);
		return;
	}
	switch (d->type) {
	case S_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			goto bad;
		*(int *)(base + d->off) = strcmp(v, "yes") == 0;
		return;
	case S_ACTION: {
		mf_action_t a;

		if (mf_action_parse(v, &a) == -1)
			goto bad;
		*(mf_action_t *)(base + d->off) = a;
		return;
	}
	case S_MODE: {
		mf_mode_t m;

		if (mf_mode_parse(v, &m) == -1)
			goto bad;
		*(mf_mode_t *)(base + d->off) = m;
		return;
	}
	case S_THRESH:
		if (strcmp(v, "off") == 0) {
			*(double *)(base + d->off) = -1;
			return;
		}
		break;
	}
	x = strtod(v, &e);
	if (*e != '\0' || e == v || x < d->min || x > d->max)
		goto bad;
	if (d->type == S_SIZE) {
		if (x != (double)(size_t)x)
			goto bad;
		if (d->off == offsetof(mf_policy_t, max_body) ||
		    d->off == offsetof(mf_policy_t, max_hits))
			*(size_t *)(base + d->off) = (size_t)x;
		else
			*(unsigned *)(base + d->off) = (unsigned)x;
	} else
		*(double *)(base + d->off) = x;
	return;
bad:
	mf_diags_add(diags, MF_DIAG_ERROR, l->path, l->lineno, l->value_col,
	    d->help, "bad value '%s' for '%s'%s", v, l->key,
	    d->type == S_BOOL ? " (yes or no)" : d->type == S_ACTION ?
	    " (none, annotate, flag, hold, block)" : d->type == S_MODE ?
	    " (enforce, shadow, off)" : "");
}

static const mf_confline_spec_t	s_policy_spec = {
	s_pdirs, sizeof(s_pdirs) / sizeof(*s_pdirs), sizeof(*s_pdirs),
	"directive", "docs/rules.md", "see docs/rules.md for the policy "
	"directives", s_policy_apply
};

int
mf_policy_load(mf_policy_t *pol, const char *path, mf_diags_t *diags)
{
	char	*text;
	size_t	 len = 0;
	int	 errors;

	if ((text = mf_confline_read(path, &len, "check the path",
	    diags)) == NULL)
		return 1;
	errors = mf_confline_parse(&s_policy_spec, path, text, len, pol,
	    diags);
	mf_free(text);
	if (errors == 0) {
		double a = pol->annotate, f = pol->flag, h = pol->hold;

		if ((a >= 0 && f >= 0 && a > f) || (f >= 0 && h >= 0 &&
		    f > h) || (h >= 0 && pol->block >= 0 && h > pol->block)) {
			mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0,
			    "thresholds must rise: annotate <= flag <= hold "
			    "<= block", "thresholds out of order");
			errors++;
		}
	}
	return errors;
}

/* ---- the rule set ------------------------------------------------------ */

static void
s_hash_bytes(mf_ruleset_t *rs, const void *p, size_t n)
{
	rs->hstate = mf_fnv64(rs->hstate, p, n);
}

static mf_ruleset_t *
s_new(const mf_policy_t *policy, unsigned opts)
{
	static atomic_ulong	 serial;
	mf_ruleset_t		*rs = mf_calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	rs->serial = atomic_fetch_add(&serial, 1) + 1;
	if (policy)
		rs->policy = *policy;
	else
		mf_policy_defaults(&rs->policy);
	rs->opts = opts;
	rs->hstate = MF_FNV64_INIT;
	return rs;
}

void
mf_ruleset_destroy(mf_ruleset_t **self_p)
{
	mf_ruleset_t *rs;

	if (self_p == NULL || (rs = *self_p) == NULL)
		return;
	for (size_t i = 0; i < rs->nrules; i++) {
		mf_rule_t *r = rs->rules[i];

		mf__rule_free(r);
	}
	for (size_t i = 0; i < rs->nclaims; i++)
		mf__claim_free(rs->claims[i]);
	mf_free(rs->rules);
	mf_free(rs->claims);
	mf_free(rs->rules_by_id);
	mf_free(rs->claims_by_id);
	for (size_t i = 0; i < rs->noverrides; i++) {
		mf_free(rs->overrides[i].rule);
		mf_free(rs->overrides[i].file);
	}
	mf_free(rs->overrides);
	for (size_t i = 0; i < rs->ndefines; i++) {
		mf_define_t *d = &rs->defines[i];

		mf_free(d->name);
		mf_free(d->source);
		mf_free(d->file);
		mf_free(d->lang);
		for (size_t k = 0; k < d->nexpect; k++)
			mf_free(d->expect[k].text);
		mf_free(d->expect);
		mf_free(d->test.source);
		mf_free(d->test.flags);
	}
	mf_free(rs->defines);
	for (int k = 0; k < 3; k++) {
		mf_pattern_t *c = k == 2 ? &rs->rebuttal : k ? &rs->sarcasm :
		    &rs->topic;

		mf_free(c->source);
		mf_free(c->flags);
	}
	for (size_t i = 0; i < rs->ncodes; i++) {
		mf_code_t *c = &rs->codes[i];

		mf_free(c->key);
		mf_free(c->src);
		pcre2_code_free(c->code);
		for (size_t k = 0; c->slit && k < c->nslit; k++)
			mf_free(c->slit[k]);
		mf_free(c->slit);
		mf_free(c->smask);
		if (c->req)
			mf_litreq_free(c->req);
		mf_free(c->req);
		for (size_t k = 0; k < c->nparts; k++)
			pcre2_code_free(c->parts[k]);
		mf_free(c->parts);
	}
	pcre2_code_free(rs->sarcasm_half[0]);
	pcre2_code_free(rs->sarcasm_half[1]);
	if (rs->sarcasm_req != NULL)
		mf_litreq_free(rs->sarcasm_req);
	mf_free(rs->sarcasm_req);
	mf_free(rs->codes);
	mf_free(rs->slots);
	mf__ls_destroy(&rs->starts);
	mf_free(rs->startlen);
	mf_prefilter_destroy(&rs->pf);
	pcre2_match_context_free(rs->mctx);
	mf_model_destroy(&rs->model);
	mf_free(rs);
	*self_p = NULL;
}

static char *
s_slurp(const char *path, size_t *len, mf_diags_t *diags)
{
	FILE		*fp;
	char		*buf = NULL;
	struct stat	 st;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) == -1) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, "check the "
		    "path and its permissions", "cannot read: %s",
		    strerror(errno));
		if (fp)
			fclose(fp);
		return NULL;
	}
	if (st.st_size > 16 * 1024 * 1024) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, "split it "
		    "into files of one claim family each", "rule file over "
		    "16 MiB");
	} else if ((buf = mf_malloc((size_t)st.st_size + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)st.st_size, fp);
		buf[*len] = '\0';
	}
	fclose(fp);
	return buf;
}

static int
s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
s_expand(const mf_ruleset_t *rs, const char *src, mf_buf_t *out, int depth,
    char *why, size_t whylen)
{
	const char *p = src, *o, *c;

	while ((o = strstr(p, "{{")) != NULL) {
		const mf_define_t	*d = NULL;
		size_t			 n;

		if ((c = strstr(o + 2, "}}")) == NULL)
			break;
		n = (size_t)(c - o - 2);
		for (size_t i = 0; i < rs->ndefines; i++)
			if (strlen(rs->defines[i].name) == n &&
			    memcmp(rs->defines[i].name, o + 2, n) == 0)
				d = &rs->defines[i];
		if (d == NULL) {
			snprintf(why, whylen, "unknown pattern name '%.*s'",
			    (int)n, o + 2);
			return -1;
		}
		if (depth >= 8) {
			snprintf(why, whylen, "'%s' refers to itself or nests "
			    "more than 8 deep", d->name);
			return -1;
		}
		if (mf_buf_append(out, p, (size_t)(o - p)) == -1 ||
		    mf_buf_puts(out, "(?:") == -1 ||
		    s_expand(rs, d->source, out, depth + 1, why, whylen) ==
		    -1 || mf_buf_puts(out, ")") == -1)
			return -1;
		p = c + 2;
	}
	return mf_buf_puts(out, p);
}

char *
mf__define_expand(const mf_ruleset_t *rs, const char *src, char *why,
    size_t whylen)
{
	mf_buf_t out = {0};

	snprintf(why, whylen, "out of memory");
	if (s_expand(rs, src, &out, 0, why, whylen) == -1) {
		mf_buf_free(&out);
		return NULL;
	}
	return out.data ? out.data : mf_strdup("");
}

/* The shared code whose key is 'key', or NULL. */
static mf_code_t *
s_code_find(const mf_ruleset_t *rs, const char *key, uint64_t h)
{
	if (rs->nslots == 0)
		return NULL;
	for (size_t i = h & (rs->nslots - 1); rs->slots[i];
	    i = (i + 1) & (rs->nslots - 1))
		if (strcmp(rs->codes[rs->slots[i] - 1].key, key) == 0)
			return &rs->codes[rs->slots[i] - 1];
	return NULL;
}

/* Adds code 'code' compiled from 'key' as 'src'. TAKES 'key', 'src' and
 * 'code' (freed here on failure). 0, or -1 on ENOMEM. */
static int
s_code_add(mf_ruleset_t *rs, char *key, char *src, void *code)
{
	size_t	 i;

	if (rs->ncodes == rs->capcodes) {
		size_t		 cap = rs->capcodes ? 2 * rs->capcodes : 64;
		mf_code_t	*p = mf_realloc(rs->codes, cap * sizeof(*p));

		if (p == NULL)
			goto oom;
		rs->codes = p;
		rs->capcodes = cap;
	}
	/* At most half full: rehash into twice the slots. */
	if (2 * (rs->ncodes + 1) > rs->nslots) {
		size_t	 n = rs->nslots ? 2 * rs->nslots : 128;
		size_t	*sl = mf_calloc(n, sizeof(*sl));

		if (sl == NULL)
			goto oom;
		for (size_t k = 0; k < rs->ncodes; k++) {
			const char *kk = rs->codes[k].key;

			for (i = mf_fnv64(MF_FNV64_INIT, kk, strlen(kk)) &
			    (n - 1); sl[i]; i = (i + 1) & (n - 1))
				;
			sl[i] = k + 1;
		}
		mf_free(rs->slots);
		rs->slots = sl;
		rs->nslots = n;
	}
	for (i = mf_fnv64(MF_FNV64_INIT, key, strlen(key)) &
	    (rs->nslots - 1); rs->slots[i]; i = (i + 1) & (rs->nslots - 1))
		;
	rs->codes[rs->ncodes] = (mf_code_t){ key, src, code, NULL, NULL, 0,
	    NULL, 0, NULL, 0 };
	rs->slots[i] = ++rs->ncodes;
	return 0;
oom:
	mf_free(key);
	mf_free(src);
	pcre2_code_free(code);
	return -1;
}

/* Frees 'n' start literals 'lits'. */
static void
s_lits_free(char **lits, size_t n)
{
	for (size_t i = 0; lits && i < n; i++)
		mf_free(lits[i]);
	mf_free(lits);
}

/*
 * Where every match of 'c' starts with one of a few literals, the means
 * for match.c to try it only there: the literals 'lits' (TAKEN; numbered
 * with those of every other code by s_starts()). The code was compiled
 * with PCRE2_USE_OFFSET_LIMIT: an offset limit equal to the start offset
 * lets a match start there and nowhere else, in JIT code (PCRE2_ANCHORED
 * at match time would leave JIT), without a second, anchored copy of
 * every pattern (that copy cost 24 MB for 5,000 rules). Nothing is set
 * when the code was not JIT compiled.
 */
static void
s_code_starts(mf_code_t *c, char **lits, size_t n)
{
	size_t jit = 0;

	if (lits == NULL)
		return;
	if (pcre2_pattern_info(c->code, PCRE2_INFO_JITSIZE, &jit) != 0 ||
	    jit == 0) {
		s_lits_free(lits, n);
		return;
	}
	c->slit = lits;
	c->nslit = n;
	c->starts = 1;
}

/* Whether PCRE2 tries 'code' at every position: it knows no first
 * character, no start bitmap and no anchor. */
static int
s_everywhere(const pcre2_code *code)
{
	uint32_t	 first = 0, all = 0;
	const uint8_t	*bits = NULL;

	return pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &first) ==
	    0 && first == 0 && pcre2_pattern_info(code,
	    PCRE2_INFO_FIRSTBITMAP, &bits) == 0 && bits == NULL &&
	    pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &all) == 0 &&
	    !(all & PCRE2_ANCHORED);
}

/*
 * Gives code 'c' its parts (mf_code_t) when PCRE2 would try it at every
 * position and some of its top-level branches need not be: "(?:^|\s)/s\b"
 * beside twenty words makes the words be tried at every byte, not only
 * where a word can start. 0 (with no parts when it would not help), or
 * -1 on ENOMEM.
 */
static int
s_code_parts(const mf_ruleset_t *rs, mf_code_t *c)
{
	mf_altspan_t	 v[MF_ALT_MAX];
	int		 any[MF_ALT_MAX];
	size_t		 n = 0, np = 0, nany = 0;
	uint32_t	 opts;
	int		 ec;
	PCRE2_SIZE	 eo;

	if (c->starts || c->src == NULL || (rs->opts & MF_LOAD_NO_JIT) ||
	    !s_everywhere(c->code) || pcre2_pattern_info(c->code,
	    PCRE2_INFO_ARGOPTIONS, &opts) != 0 || (opts & PCRE2_EXTENDED) ||
	    mf__alt_split_top(c->src, strlen(c->src), v, MF_ALT_MAX, &n) ==
	    -1 || n < 2 || n > MF_PARTS_MAX)
		return 0;
	for (size_t k = 0; k < n; k++) {
		pcre2_code *b = pcre2_compile((PCRE2_SPTR)c->src + v[k].off,
		    v[k].len, opts, &ec, &eo, NULL);

		if (b == NULL)
			return 0;	/* a branch alone is no pattern */
		any[k] = s_everywhere(b);
		pcre2_code_free(b);
		nany += any[k];
		/* A run of branches that may start anywhere is one part. */
		np += !(any[k] && k > 0 && any[k - 1]);
	}
	if (nany == n || (c->parts = mf_calloc(np, sizeof(*c->parts))) ==
	    NULL)
		return nany == n ? 0 : -1;
	for (size_t k = 0; k < n; c->nparts++) {
		size_t	 j = k + 1;
		void	*code;

		while (any[k] && j < n && any[j])
			j++;
		code = pcre2_compile((PCRE2_SPTR)c->src + v[k].off,
		    v[j - 1].off + v[j - 1].len - v[k].off, opts, &ec, &eo,
		    NULL);
		if (code == NULL) {	/* the branches clash: keep it whole */
			while (c->nparts > 0)
				pcre2_code_free(c->parts[--c->nparts]);
			mf_free(c->parts);
			c->parts = NULL;
			return 0;
		}
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
		c->parts[c->nparts] = code;
		k = j;
	}
	return 0;
}

static int
s_cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Numbers the start literals of all codes (one scanner finds them in a
 * post), gives each code the bitmap of its own, and drops the strings.
 * 0, -1 on ENOMEM. */
static int
s_starts(mf_ruleset_t *rs)
{
	char	**all = NULL;
	size_t	  n = 0, u = 0, words;
	int	  rc = -1;

	for (size_t i = 0; i < rs->ncodes; i++)
		n += rs->codes[i].nslit;
	if (n == 0)
		return 0;
	if ((all = mf_malloc(n * sizeof(*all))) == NULL)
		return -1;
	n = 0;
	for (size_t i = 0; i < rs->ncodes; i++)
		for (size_t k = 0; k < rs->codes[i].nslit; k++)
			all[n++] = rs->codes[i].slit[k];
	qsort(all, n, sizeof(*all), s_cmp_strp);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(all[u - 1], all[i]) != 0)
			all[u++] = all[i];
	if ((rs->startlen = mf_malloc(u * sizeof(*rs->startlen))) == NULL)
		goto out;
	for (size_t i = 0; i < u; i++)
		rs->startlen[i] = strlen(all[i]);
	words = (u + 63) / 64;
	for (size_t i = 0; i < rs->ncodes; i++) {
		mf_code_t *c = &rs->codes[i];

		if (c->nslit == 0)
			continue;
		if ((c->smask = mf_calloc(words, sizeof(*c->smask))) == NULL)
			goto out;
		for (size_t k = 0; k < c->nslit; k++) {
			char	**f = bsearch(&c->slit[k], all, u, sizeof(*all),
			    s_cmp_strp);
			size_t	  id = (size_t)(f - all);

			assert(f != NULL);
			c->smask[id / 64] |= (uint64_t)1 << (id % 64);
		}
	}
	if ((rs->starts = mf__ls_build((const char *const *)all,
	    rs->startlen, u, NULL)) == NULL)
		goto out;
	rc = 0;
out:
	mf_free(all);
	/* The strings are in the scanner now (or the load fails). */
	for (size_t i = 0; i < rs->ncodes; i++) {
		mf_code_t *c = &rs->codes[i];

		for (size_t k = 0; k < c->nslit; k++)
			mf_free(c->slit[k]);
		mf_free(c->slit);
		c->slit = NULL;
		c->nslit = 0;
	}
	return rc;
}

static int
s_compile_one(mf_ruleset_t *rs, const mf_rule_t *r, mf_pattern_t *pat,
    mf_diags_t *diags)
{
	uint32_t	 flags = PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
			    PCRE2_MATCH_INVALID_UTF;
	int		 ec;
	PCRE2_SIZE	 eo;
	char		*src, *key = NULL, *copy, **slit = NULL;
	size_t		 nslit = 0;
	const mf_code_t	*c;
	uint64_t	 h;
	void		*code;
	mf_err_t	 err = {0};
	mf_buf_t	 kb = {0};

	if (strchr(pat->flags, 'x'))
		flags |= PCRE2_EXTENDED;
	if (strchr(pat->flags, 's'))
		flags |= PCRE2_DOTALL;
	if (strchr(pat->flags, 'm'))
		flags |= PCRE2_MULTILINE;
	if (strstr(pat->source, "{{")) {
		char why[256], *x = mf__define_expand(rs, pat->source, why,
		    sizeof(why));

		if (x == NULL) {
			mf_diags_add(diags, MF_DIAG_ERROR, r->file, pat->line,
			    pat->col, "define it at the top level: define "
			    "NAME /pattern/", "rule %s: %s", r->id, why);
			return -1;
		}
		mf_free(pat->source);
		pat->source = x;
	}
	/* The same source with the same flags is compiled once. */
	if (mf_buf_printf(&kb, "%08x", (unsigned)flags) == -1 ||
	    mf_buf_puts(&kb, pat->source) == -1)
		goto oom;
	key = kb.data;
	h = mf_fnv64(MF_FNV64_INIT, key, strlen(key));
	if ((c = s_code_find(rs, key, h)) != NULL) {
		mf_free(key);
		if ((copy = mf_strdup(c->src)) == NULL)
			goto oom;
		mf_free(pat->source);
		pat->source = copy;
		pat->code = c->code;
		return 0;
	}
	/* The text is normalized (folded, accents stripped): so is the
	 * pattern, so that "médicament" in a rule matches "medicament". */
	if ((src = mf_normalize_pattern(pat->source, &err)) == NULL) {
		mf_free(key);
		mf_diags_add(diags, MF_DIAG_ERROR, r->file, pat->line,
		    pat->col, NULL, "%s", err.msg[0] ? err.msg :
		    "out of memory");
		return -1;
	}
	/* Start literals (startlit.c) ask for an offset limit at match
	 * time, which JIT code supports only when compiled for it. */
	if (!(flags & PCRE2_EXTENDED) && !(rs->opts & MF_LOAD_NO_JIT) &&
	    mf__start_lits(src, &slit, &nslit) == -1) {
		mf_free(key);
		mf_free(src);
		goto oom;
	}
	code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    flags | (slit ? PCRE2_USE_OFFSET_LIMIT | PCRE2_NO_START_OPTIMIZE :
	    0), &ec, &eo, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		s_lits_free(slit, nslit);

		pcre2_get_error_message(ec, msg, sizeof(msg));
		mf_diags_add(diags, MF_DIAG_ERROR, r->file, pat->line,
		    pat->col + (eo <= strlen(pat->source) ? eo : 0),
		    "see PCRE2 syntax in docs/rules.md; test it with "
		    "'medflag rules test'", "rule %s: bad pattern: %s", r->id,
		    (char *)msg);
		mf_free(key);
		mf_free(src);
		return -1;
	}
	if (!(rs->opts & MF_LOAD_NO_JIT))
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	if ((copy = mf_strdup(src)) == NULL) {
		mf_free(key);
		mf_free(src);
		pcre2_code_free(code);
		s_lits_free(slit, nslit);
		goto oom;
	}
	if (s_code_add(rs, key, copy, code) == -1) {
		mf_free(src);
		s_lits_free(slit, nslit);
		goto oom;
	}
	s_code_starts(&rs->codes[rs->ncodes - 1], slit, nslit);
	/* The pattern as compiled is what the prefilter must reason about. */
	mf_free(pat->source);
	pat->source = src;
	pat->code = code;
	if (s_code_parts(rs, &rs->codes[rs->ncodes - 1]) == -1)
		goto oom;
	return 0;
oom:
	mf_diags_add(diags, MF_DIAG_ERROR, r->file, pat->line, pat->col, NULL,
	    "out of memory");
	return -1;
}

/* Compiles the named pattern 'd' into 'pat', as whole words where 'words'
 * is set (a lexicon's test). Returns 0, -1 on a bad pattern (in 'diags'), -2 on ENOMEM. */
static int
s_compile_named(mf_ruleset_t *rs, const mf_define_t *d, int words,
    mf_pattern_t *pat, mf_diags_t *diags)
{
	mf_rule_t	where = { .id = d->name, .file = d->file };
	mf_buf_t	b = {0};

	if (mf_buf_printf(&b, "%s{{%s}}%s", words ? "\\b(?:" : "", d->name,
	    words ? ")\\b" : "") == -1 ||
	    (pat->flags = mf_strdup("")) == NULL) {
		mf_buf_free(&b);
		return -2;
	}
	pat->source = b.data;
	pat->line = d->line;
	pat->col = 1;
	return s_compile_one(rs, &where, pat, diags);
}

/*
 * The literals one of which every match of 'src' holds (litextract.c),
 * into '*req', or NULL when a match may hold none. post-sarcasm's
 * branches that are searched through the whole post start with a
 * punctuation mark, "/", "#" or an emoji ("[.!?,;:]\s*(?:by that
 * logic|...)"), which PCRE2 tries at every one of them in every post;
 * but each holds words ("by that logic", "/s", "what could go wrong")
 * that most posts lack. The rule prefilter looks for them in the same
 * pass as the rules' (s_finish()). 0, or -1 on ENOMEM.
 */
static int
s_gate(const char *src, mf_litreq_t **req)
{
	if ((*req = mf_calloc(1, sizeof(**req))) == NULL ||
	    mf_prefilter_extract(src, 0, *req) == -1) {
		mf_free(*req);
		*req = NULL;
		return -1;
	}
	if ((*req)->always) {
		mf_litreq_free(*req);
		mf_free(*req);
		*req = NULL;
	}
	return 0;
}

/* The branches of 'src' in 'v' whose anchored bit is 'anchored', as one
 * pattern "(?:a)|(?:b)" compiled with 'opts'; NULL when there are none
 * (or on ENOMEM, *oom set). The literals of its matches go to '*gate'
 * when 'gate' is not NULL (s_gate()). */
static pcre2_code *
s_half(const char *src, const mf_altspan_t *v, const int *anch, size_t n,
    int anchored, uint32_t opts, int jit, mf_litreq_t **gate, int *oom)
{
	mf_buf_t	 b = {0};
	pcre2_code	*code = NULL;
	int		 ec;
	PCRE2_SIZE	 eo;

	for (size_t k = 0; k < n; k++)
		if (anch[k] == anchored && mf_buf_printf(&b, "%s(?:%.*s)",
		    b.len ? "|" : "", (int)v[k].len, src + v[k].off) == -1) {
			*oom = 1;
			goto out;
		}
	if (b.len == 0)
		goto out;
	if ((code = pcre2_compile((PCRE2_SPTR)b.data, b.len, opts, &ec, &eo,
	    NULL)) != NULL && jit)
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	if (code != NULL && gate != NULL && s_gate(b.data, gate) == -1)
		*oom = 1;
out:
	mf_buf_free(&b);
	return code;
}

/*
 * Splits the whole-post pattern 'pat' into the branches PCRE2 anchors at
 * the start of the text and the rest (altsplit.c), into half[0] and
 * half[1], and the literals of the rest into '*gate' (s_gate()); leaves
 * all three NULL when it cannot be or would not help (no anchored
 * branch, or nothing else). Returns 0, or -1 on ENOMEM.
 */
static int
s_halves(const mf_ruleset_t *rs, const mf_pattern_t *pat, void **half,
    mf_litreq_t **gate)
{
	mf_altspan_t	*v;
	int		*anch;
	size_t		 n = 0, na = 0;
	uint32_t	 opts, all;
	int		 oom = 0, ec, rc = 0, jit;
	PCRE2_SIZE	 eo;

	half[0] = half[1] = NULL;
	*gate = NULL;
	if (pat->code == NULL || pat->source == NULL ||
	    pcre2_pattern_info(pat->code, PCRE2_INFO_ARGOPTIONS, &opts) != 0)
		return 0;
	v = mf_malloc(MF_ALT_MAX * sizeof(*v));
	anch = mf_malloc(MF_ALT_MAX * sizeof(*anch));
	if (v == NULL || anch == NULL) {
		rc = -1;
		goto out;
	}
	if (mf__alt_split(pat->source, strlen(pat->source), v, MF_ALT_MAX,
	    &n) == -1 || n < 2)
		goto out;
	for (size_t k = 0; k < n; k++) {
		pcre2_code *c = pcre2_compile((PCRE2_SPTR)pat->source +
		    v[k].off, v[k].len, opts, &ec, &eo, NULL);

		if (c == NULL)
			goto out;	/* a branch alone is no pattern */
		anch[k] = pcre2_pattern_info(c, PCRE2_INFO_ALLOPTIONS,
		    &all) == 0 && (all & PCRE2_ANCHORED);
		na += anch[k] != 0;
		pcre2_code_free(c);
	}
	if (na == 0 || na == n)
		goto out;
	jit = !(rs->opts & MF_LOAD_NO_JIT);
	half[0] = s_half(pat->source, v, anch, n, 1, opts, jit, NULL, &oom);
	half[1] = s_half(pat->source, v, anch, n, 0, opts, jit,
	    rs->opts & MF_LOAD_NO_PREFILTER ? NULL : gate, &oom);
	if (half[0] == NULL || half[1] == NULL || oom) {
		pcre2_code_free(half[0]);
		pcre2_code_free(half[1]);
		half[0] = half[1] = NULL;
		if (*gate != NULL)
			mf_litreq_free(*gate);
		mf_free(*gate);
		*gate = NULL;
		rc = oom ? -1 : 0;
	}
out:
	mf_free(v);
	mf_free(anch);
	return rc;
}

static int
s_cmp_claim(const void *a, const void *b)
{
	const mf_claim_t *x = *(mf_claim_t *const *)a;
	const mf_claim_t *y = *(mf_claim_t *const *)b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static int
s_cmp_rule(const void *a, const void *b)
{
	const mf_rule_t *x = *(mf_rule_t *const *)a;
	const mf_rule_t *y = *(mf_rule_t *const *)b;
	int c = strcmp(x->id, y->id);

	/* Equal ids keep file order, so the later one is the duplicate. */
	return c ? c : x < y ? -1 : x > y;
}

/* Sorted indexes of claims and rules by id (lookups in O(log n) and
 * duplicate ids found in one pass, so 5,000 rules load fast). */
static int
s_index(mf_ruleset_t *rs, mf_diags_t *diags, int *errors)
{
	rs->claims_by_id = mf_calloc(rs->nclaims + 1, sizeof(mf_claim_t *));
	rs->rules_by_id = mf_calloc(rs->nrules + 1, sizeof(mf_rule_t *));
	if (rs->claims_by_id == NULL || rs->rules_by_id == NULL)
		return -1;
	for (size_t i = 0; i < rs->nclaims; i++) {
		rs->claims[i]->index = i;
		rs->claims_by_id[i] = rs->claims[i];
	}
	for (size_t i = 0; i < rs->nrules; i++)
		rs->rules_by_id[i] = rs->rules[i];
	qsort(rs->claims_by_id, rs->nclaims, sizeof(mf_claim_t *),
	    s_cmp_claim);
	qsort(rs->rules_by_id, rs->nrules, sizeof(mf_rule_t *), s_cmp_rule);
	for (size_t i = 1; i < rs->nclaims; i++) {
		const mf_claim_t *a = rs->claims_by_id[i - 1];
		const mf_claim_t *c = rs->claims_by_id[i];

		if (strcmp(a->id, c->id) != 0)
			continue;
		mf_diags_add(diags, MF_DIAG_ERROR, c->file, c->line, 1,
		    "rename one of them", "claim %s is also defined at %s:%zu",
		    c->id, a->file, a->line);
		(*errors)++;
	}
	for (size_t i = 1; i < rs->nrules; i++) {
		const mf_rule_t *a = rs->rules_by_id[i - 1];
		const mf_rule_t *r = rs->rules_by_id[i];

		if (strcmp(a->id, r->id) != 0)
			continue;
		mf_diags_add(diags, MF_DIAG_ERROR, r->file, r->line, 1,
		    "rename one of them", "rule %s is also defined at %s:%zu",
		    r->id, a->file, a->line);
		(*errors)++;
	}
	return 0;
}

static int
s_cmp_code(const void *a, const void *b)
{
	const mf_code_t *x = a, *y = b;

	return (uintptr_t)x->code < (uintptr_t)y->code ? -1 :
	    (uintptr_t)x->code > (uintptr_t)y->code;
}

const mf_code_t *
mf__ruleset_code(const mf_ruleset_t *rs, const void *code)
{
	mf_code_t k = { .code = (void *)code };

	return code == NULL || rs->ncodes == 0 ? NULL : bsearch(&k, rs->codes,
	    rs->ncodes, sizeof(k), s_cmp_code);
}

/* The literals of compiled pattern 'pat' into '*out' (a shallow copy:
 * they belong to its shared code, extracted from it once). The codes
 * are sorted by address by then (the key table is no longer needed).
 * 0, -1 on ENOMEM. */
static int
s_code_req(mf_ruleset_t *rs, const mf_pattern_t *pat, mf_litreq_t *out)
{
	mf_code_t	 k = { .code = pat->code }, *c;

	c = bsearch(&k, rs->codes, rs->ncodes, sizeof(*c), s_cmp_code);
	assert(c != NULL);
	if (c->req == NULL) {
		if ((c->req = mf_calloc(1, sizeof(*c->req))) == NULL)
			return -1;
		if (mf_prefilter_extract(c->src, strchr(pat->flags, 'x') !=
		    NULL, c->req) == -1)
			return -1;
	}
	*out = *c->req;
	return 0;
}

/* Links rules to claims, checks ids and evidence, compiles, builds the
 * prefilter. Runs even after reading errors ('errors' so far), so that one
 * pass reports every problem; builds nothing then. Returns the number of
 * errors, including those. */
/*
 * Applies the `override` lines in the order they were read; an override
 * of a rule that is not there (renamed or dropped by an upgrade, a typo)
 * is an error, so that what the operator wrote is never silently lost.
 * Returns the number of errors.
 */
static int
s_apply_overrides(mf_ruleset_t *rs, mf_diags_t *diags)
{
	int	errors = 0;

	for (size_t i = 0; i < rs->noverrides; i++) {
		mf_override_t	*o = &rs->overrides[i];
		mf_rule_t	*r = (mf_rule_t *)mf_ruleset_find(rs, o->rule);

		if (r == NULL) {
			mf_diags_add(diags, MF_DIAG_ERROR, o->file, o->line, 1,
			    "check the id with `medflag explain` or the rules "
			    "directory (an upgrade may have renamed the rule), "
			    "or remove the line", "override: no rule '%s'",
			    o->rule);
			errors++;
			continue;
		}
		o->was_score = r->score;
		o->was_mode = r->mode;
		if (o->sets_score)
			r->score = o->score;
		else
			r->mode = o->mode;
	}
	return errors;
}

/* Notes the language of a rule (its `lang`, checked when read: its
 * primary subtag, "it" of "it-IT") once. One past MF_RULESET_LANGS
 * reads no post. */
static void
s_note_lang(mf_ruleset_t *rs, const char *lang)
{
	size_t n = mf_lang_primary(lang, strlen(lang));

	if (n == 0 || rs->nlangs == MF_RULESET_LANGS ||
	    mf_ruleset_reads(rs, lang))
		return;
	for (size_t i = 0; i < n; i++)
		rs->langs[rs->nlangs][i] = (char)tolower((unsigned char)lang[i]);
	rs->langs[rs->nlangs++][n] = '\0';
}

static int
s_finish(mf_ruleset_t *rs, const mf_sources_t *vetted, int errors,
    mf_diags_t *diags)
{
	char		 today[11];
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (s_index(rs, diags, &errors) == -1)
		goto oom;
	errors += s_apply_overrides(rs, diags);
	for (size_t i = 0; i < rs->nclaims; i++) {
		mf_claim_t *c = rs->claims[i];

		for (size_t j = 0; vetted && j < c->nevidence; j++) {
			char host[256];

			if (mf_url_host(c->evidence[j], strlen(c->evidence[j]),
			    host, sizeof(host)) == -1 ||
			    mf_sources_lookup(vetted, host) != MF_LIST_VETTED) {
				mf_diags_add(diags, MF_DIAG_ERROR, c->file,
				    c->line, 1, "cite a page on a vetted "
				    "domain (rules/sources/vetted*.list), or "
				    "add the domain there after review",
				    "claim %s: evidence %s is not on a vetted "
				    "domain", c->id, c->evidence[j]);
				errors++;
			}
		}
		if (c->review_by[0] && strcmp(c->review_by, today) < 0)
			mf_diags_add(diags, MF_DIAG_WARNING, c->file, c->line,
			    1, "check the fact and evidence, then move "
			    "review-by forward", "claim %s was due for "
			    "review on %s", c->id, c->review_by);
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		mf_rule_t *r = rs->rules[i];

		if (r->claim_id == NULL) {
			mf_diags_add(diags, MF_DIAG_ERROR, r->file, r->line, 1,
			    "name it 'CLAIM.NAME' or add a 'claim' line",
			    "rule %s names no claim", r->id);
			errors++;
		} else if ((r->claim = mf_ruleset_claim(rs, r->claim_id)) ==
		    NULL) {
			mf_diags_add(diags, MF_DIAG_ERROR, r->file, r->line, 1,
			    "define 'claim ID ... end' in a rules file, or "
			    "fix the name", "rule %s: unknown claim '%s'",
			    r->id, r->claim_id);
			errors++;
		}
		if (r->claim)
			r->claim_index = r->claim->index;
		if (r->nexpect == 0)
			mf_diags_add(diags, MF_DIAG_WARNING, r->file, r->line,
			    1, "add 'expect match \"...\"' and 'expect "
			    "nomatch \"...\"' examples", "rule %s has no "
			    "expect lines", r->id);
		if (r->nmatch > rs->max_match)
			rs->max_match = r->nmatch;
		if (r->lang)
			s_note_lang(rs, r->lang);
		for (size_t j = 0; j < r->nmatch; j++)
			if (s_compile_one(rs, r, &r->match[j], diags) == -1)
				errors++;
		for (size_t j = 0; j < r->nunless; j++)
			if (s_compile_one(rs, r, &r->unless[j], diags) == -1)
				errors++;
	}
	for (size_t i = 0; i < rs->ndefines; i++) {
		mf_define_t *d = &rs->defines[i];
		int rc = 0;

		if (d->lexicon)
			rc = s_compile_named(rs, d, 1, &d->test, diags);
		if (rc == 0 && strcmp(d->name, "health-topic") == 0)
			rc = s_compile_named(rs, d, 0, &rs->topic, diags);
		if (rc == 0 && strcmp(d->name, "post-sarcasm") == 0 &&
		    (rc = s_compile_named(rs, d, 0, &rs->sarcasm, diags)) ==
		    0 && s_halves(rs, &rs->sarcasm, rs->sarcasm_half,
		    &rs->sarcasm_req) == -1)
			rc = -2;
		if (rc == 0 && strcmp(d->name, "post-rebuttal") == 0)
			rc = s_compile_named(rs, d, 0, &rs->rebuttal, diags);
		if (rc == -2)
			goto oom;
		errors += rc == -1;
	}
	if (errors)
		return errors;
	/* By address from here on (s_code_req(), mf__ruleset_code()): the
	 * slots are stale, dropped. */
	if (rs->ncodes > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(rs->codes, rs->ncodes, sizeof(*rs->codes), s_cmp_code);
	mf_free(rs->slots);
	rs->slots = NULL;
	rs->nslots = 0;
	if (s_starts(rs) == -1)
		goto oom;
	if ((rs->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto oom;
	pcre2_set_match_limit(rs->mctx, rs->policy.match_limit);
	pcre2_set_depth_limit(rs->mctx, rs->policy.depth_limit);
	pcre2_set_heap_limit(rs->mctx, rs->policy.heap_limit_kib);
	if (!(rs->opts & MF_LOAD_NO_PREFILTER)) {
		mf_err_t	 err = {0};
		mf_litreq_t	*reqs;

		/* One more rule: post-sarcasm's searched half (s_gate()). */
		if ((rs->pf = mf_prefilter_new(rs->nrules +
		    (rs->sarcasm_req != NULL))) == NULL)
			goto oom;
		if ((reqs = mf_calloc(rs->max_match + 1, sizeof(*reqs))) ==
		    NULL)
			goto oom;

		for (size_t i = 0; i < rs->nrules; i++) {
			mf_rule_t	*r = rs->rules[i];
			int		 rc = 0;

			for (size_t j = 0; j < r->nmatch && rc == 0; j++)
				rc = s_code_req(rs, &r->match[j], &reqs[j]);
			if (rc == 0)
				rc = mf_prefilter_add_near(rs->pf, i, reqs,
				    r->nmatch, r->near_sentence ?
				    MF_PF_NEAR_SENTENCE : r->near);
			if (rc == -1) {
				mf_free(reqs);
				goto oom;
			}
		}
		mf_free(reqs);
		if (rs->sarcasm_req != NULL && mf_prefilter_add(rs->pf,
		    rs->nrules, rs->sarcasm_req, 1) == -1)
			goto oom;
		if (mf_prefilter_build(rs->pf, &err) == -1)
			goto oom;
	}
	s_hash_bytes(rs, &rs->policy, sizeof(rs->policy));
	snprintf(rs->hash, sizeof(rs->hash), "%016llx",
	    (unsigned long long)rs->hstate);
	return 0;
oom:
	mf_diags_add(diags, MF_DIAG_ERROR, "", 0, 0, NULL, "out of memory "
	    "while compiling the rule set");
	return 1;
}

/* The file's name without its folder: the hash takes the name, not
 * the path, so the same rules read as "rules" or "/etc/medflag/rules"
 * are one rule set. */
static const char *
s_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

mf_ruleset_t *
mf_ruleset_load_files(const char *const *files, size_t nfiles,
    const char *policy, const mf_sources_t *vetted, unsigned opts,
    mf_diags_t *diags)
{
	mf_ruleset_t	*rs;
	int		 errors = 0;

	if ((rs = s_new(NULL, opts)) == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, "", 0, 0, NULL,
		    "out of memory");
		return NULL;
	}
	if (policy)
		errors += mf_policy_load(&rs->policy, policy, diags);
	for (size_t i = 0; i < nfiles; i++) {
		size_t	 len = 0;
		char	*text = s_slurp(files[i], &len, diags);

		if (text == NULL) {
			errors++;
			continue;
		}
		s_hash_bytes(rs, s_basename(files[i]),
		    strlen(s_basename(files[i])) + 1);
		s_hash_bytes(rs, text, len);
		errors += mf__rules_parse(rs, files[i], text, len, diags);
		mf_free(text);
	}
	if (errors == 0 && rs->nrules == 0)
		mf_diags_add(diags, MF_DIAG_WARNING, "", 0, 0, "add *.rules "
		    "files", "no rules loaded");
	errors = s_finish(rs, vetted, errors, diags);
	if (errors) {
		mf_ruleset_destroy(&rs);
		return NULL;
	}
	return rs;
}

/* The model beside the rules: read, checked, and part of the hash. */
static int
s_load_model(mf_ruleset_t *rs, const char *path, mf_diags_t *diags)
{
	size_t	 len = 0;
	char	*bytes = s_slurp(path, &len, diags);
	mf_err_t err;

	if (bytes == NULL)
		return -1;
	rs->model = mf_model_decode(bytes, len, path, &err);
	mf_free(bytes);
	if (rs->model == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0, "train it again "
		    "with `medflag learn train`, or remove it", "%s",
		    err.msg);
		return -1;
	}
	s_hash_bytes(rs, mf_model_hash(rs->model), 16);
	snprintf(rs->hash, sizeof(rs->hash), "%016llx",
	    (unsigned long long)rs->hstate);
	return 0;
}

/*
 * Appends DIR/ *.rules, sorted by name, to '*files'. A missing DIR is
 * fine when 'optional'. Returns 0, or -1 with the problem in 'diags'.
 */
static int
s_list_rules(const char *dir, int optional, char ***files, size_t *n,
    mf_diags_t *diags)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];
	size_t		 n0 = *n;

	if ((d = opendir(dir)) == NULL) {
		if (optional && errno == ENOENT)
			return 0;
		mf_diags_add(diags, MF_DIAG_ERROR, dir, 0, 0, "give the "
		    "rules directory (the one holding *.rules and "
		    "policy.conf)", "cannot open directory: %s",
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t	 len = strlen(de->d_name);
		char	**p;

		if (len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0 ||
		    de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((p = mf_realloc(*files, (*n + 1) * sizeof(*p))) == NULL)
			goto oom;
		*files = p;
		if (((*files)[*n] = mf_strdup(path)) == NULL)
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n > n0)
		qsort(*files + n0, *n - n0, sizeof(**files), s_cmp_str);
	return 0;
oom:
	closedir(d);
	mf_diags_add(diags, MF_DIAG_ERROR, dir, 0, 0, NULL, "out of memory");
	return -1;
}

mf_ruleset_t *
mf_ruleset_load(const char *dir, const mf_sources_t *vetted, unsigned opts,
    mf_diags_t *diags)
{
	return mf_ruleset_load_local(dir, NULL, vetted, opts, diags);
}

mf_ruleset_t *
mf_ruleset_load_local(const char *dir, const char *local,
    const mf_sources_t *vetted, unsigned opts, mf_diags_t *diags)
{
	char		**files = NULL, path[4096], *policy = NULL;
	size_t		 n = 0;
	struct stat	 st;
	mf_ruleset_t	*rs = NULL;

	if (s_list_rules(dir, 0, &files, &n, diags) == -1 ||
	    (local != NULL && s_list_rules(local, 1, &files, &n, diags) == -1))
		goto out;
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	if (stat(path, &st) == 0)
		policy = path;
	rs = mf_ruleset_load_files((const char *const *)files, n, policy,
	    vetted, opts, diags);
	snprintf(path, sizeof(path), "%s/medflag.model", dir);
	if (rs && !(opts & MF_LOAD_NO_MODEL) && stat(path, &st) == 0 &&
	    s_load_model(rs, path, diags) == -1)
		mf_ruleset_destroy(&rs);
out:
	for (size_t i = 0; i < n; i++)
		mf_free(files[i]);
	mf_free(files);
	return rs;
}

mf_ruleset_t *
mf_ruleset_load_string(const char *name, const char *text,
    const mf_policy_t *policy, const mf_sources_t *vetted, unsigned opts,
    mf_diags_t *diags)
{
	mf_ruleset_t	*rs;
	int		 errors;

	if ((rs = s_new(policy, opts)) == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, name, 0, 0, NULL,
		    "out of memory");
		return NULL;
	}
	s_hash_bytes(rs, text, strlen(text));
	errors = mf__rules_parse(rs, name, text, strlen(text), diags);
	errors = s_finish(rs, vetted, errors, diags);
	if (errors)
		mf_ruleset_destroy(&rs);
	return rs;
}

const char *
mf_ruleset_hash(const mf_ruleset_t *self)
{
	return self->hash;
}

size_t
mf_lang_primary(const char *tag, size_t n)
{
	size_t i = 0;

	while (i < n && i < 4 && ((tag[i] >= 'a' && tag[i] <= 'z') ||
	    (tag[i] >= 'A' && tag[i] <= 'Z')))
		i++;
	if (i < 2 || i > 3 || (i < n && tag[i] != '-' && tag[i] != '_'))
		return 0;
	if (i == 3 && (strncasecmp(tag, "und", 3) == 0 ||
	    strncasecmp(tag, "mul", 3) == 0 || strncasecmp(tag, "zxx", 3) ==
	    0 || strncasecmp(tag, "mis", 3) == 0))
		return 0;
	return i;
}

int
mf_lang_is(const char *lang, const char *tag)
{
	size_t n = strcspn(lang, "-_");

	return strlen(tag) == n && strncasecmp(lang, tag, n) == 0;
}

int
mf_ruleset_reads(const mf_ruleset_t *self, const char *lang)
{
	for (size_t i = 0; i < self->nlangs; i++)
		if (mf_lang_is(lang, self->langs[i]))
			return 1;
	return 0;
}

const struct mf_model *
mf_ruleset_model(const mf_ruleset_t *self)
{
	return self->model;
}

const mf_policy_t *
mf_ruleset_policy(const mf_ruleset_t *self)
{
	return &self->policy;
}

size_t
mf_ruleset_size(const mf_ruleset_t *self)
{
	return self->nrules;
}

const mf_rule_t *
mf_ruleset_rule(const mf_ruleset_t *self, size_t i)
{
	return i < self->nrules ? self->rules[i] : NULL;
}

size_t
mf_ruleset_nclaims(const mf_ruleset_t *self)
{
	return self->nclaims;
}

const mf_claim_t *
mf_ruleset_claim_at(const mf_ruleset_t *self, size_t i)
{
	return i < self->nclaims ? self->claims[i] : NULL;
}

const mf_claim_t *
mf_ruleset_claim(const mf_ruleset_t *self, const char *id)
{
	size_t lo = 0, hi = self->nclaims;

	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;
		int	c = strcmp(self->claims_by_id[mid]->id, id);

		if (c == 0)
			return self->claims_by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const mf_rule_t *
mf_ruleset_find(const mf_ruleset_t *self, const char *id)
{
	size_t lo = 0, hi = self->nrules;

	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;
		int	c = strcmp(self->rules_by_id[mid]->id, id);

		if (c == 0)
			return self->rules_by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
mf_ruleset_noverrides(const mf_ruleset_t *self)
{
	return self->noverrides;
}

const mf_override_t *
mf_ruleset_override(const mf_ruleset_t *self, size_t i)
{
	return i < self->noverrides ? &self->overrides[i] : NULL;
}

const struct mf_prefilter *
mf_ruleset_prefilter(const mf_ruleset_t *self)
{
	return self->pf;
}

const char *
mf_tier_name(mf_tier_t t)
{
	switch (t) {
	case MF_TIER_DANGEROUS:	return "dangerous";
	case MF_TIER_HARMFUL:	return "harmful";
	case MF_TIER_MISLEADING: return "misleading";
	}
	return "misleading";
}
