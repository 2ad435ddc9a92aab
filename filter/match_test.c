/*
 * match_test.c - selftest of the matcher and scorer: AND, near, unless in
 * the sentence, quotes, shadow, questions, spans into the original text,
 * multibyte text, limits, sources. Doubles as the usage example of
 * mf_scan().
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "alloc.h"
#include "harness.h"
#include "medflag.h"
#include "ruleset_internal.h"

static const char *s_rules =
    "claim vaccines-autism\n"
    "  title Vaccines cause autism\n"
    "  fact Large studies found no link.\n"
    "  evidence https://www.who.int/x\n"
    "  tier harmful\n"
    "end\n"
    "rule vaccines-autism.causal\n"
    "  score 6\n"
    "  match /\\b(vacc?in\\w*|mmr|jabs?)\\b/\n"
    "  match /\\bautis\\w*/\n"
    "  near 60\n"
    "  unless /\\b(no|not|never|myth|debunk\\w*)\\b/\n"
    "end\n"
    "claim mms-cures\n"
    "  title MMS cures disease\n"
    "  fact Drinking chlorine dioxide is poisoning.\n"
    "  evidence https://www.fda.gov/y\n"
    "  evidence https://www.who.int/x\n"
    "  tier dangerous\n"
    "end\n"
    "rule mms-cures.drink\n"
    "  score 10\n"
    "  match /\\b(mms|chlorine dioxide)\\b/\n"
    "  match /\\b(cure[sd]?|heal\\w*)\\b/\n"
    "end\n"
    "rule mms-cures.shadowed\n"
    "  score 4\n"
    "  mode shadow\n"
    "  match /\\bbleach\\b/\n"
    "end\n";

static mf_ruleset_t *
s_load(void)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("test.rules", s_rules,
	    NULL, NULL, 0, &d);

	if (rs == NULL)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s: %s\n", d.v[i].where, d.v[i].msg);
	mf_diags_free(&d);
	return rs;
}

/* Judges a post of 'text' (and 'title', may be NULL) in format 'fmt'. */
static mf_verdict_t *
s_judge_post(const char *title, const char *text, mf_format_t fmt,
    const mf_sources_t *src)
{
	mf_ruleset_t	*rs = s_load();
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p = mf_post_new("p-1", text);
	mf_verdict_t	*v = NULL;

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_NOT_NULL(sc);
	p->body_format = fmt;
	p->title = title ? mf_strdup(title) : NULL;
	MF_ASSERT_EQ(0, mf_scan(sc, rs, src, p, 0, &v, NULL));
	MF_ASSERT_STR_EQ(mf_ruleset_hash(rs), v->ruleset);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	return v;
}

static mf_verdict_t *
s_judge(const char *text, mf_format_t fmt, const mf_sources_t *src)
{
	return s_judge_post(NULL, text, fmt, src);
}

static const mf_hit_t *
s_hit(const mf_verdict_t *v, const char *rule)
{
	for (size_t i = 0; i < v->nhits; i++)
		if (strcmp(v->hits[i].rule, rule) == 0)
			return &v->hits[i];
	return NULL;
}

MF_TEST(match_and_of_all_patterns)
{
	mf_verdict_t *v = s_judge("The MMR jab gave my son autism.",
	    MF_FMT_TEXT, NULL);

	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT(v->score == 6);
	MF_ASSERT_EQ(1, v->nevidence);
	MF_ASSERT_STR_EQ("https://www.who.int/x", v->evidence[0]);
	mf_verdict_destroy(&v);
	v = s_judge("The MMR jab gave my son a fever.", MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
}

/* A '|' between spaces ends a sentence, as a title and a body joined by
 * it read: the body's "not" is not about the title's claim. A '|' that
 * is not between spaces ends nothing. */
MF_TEST(match_pipe_between_spaces_ends_a_sentence)
{
	mf_verdict_t *v = s_judge("The MMR jab gave my son autism | I do not "
	    "trust them anymore", MF_FMT_TEXT, NULL);

	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	mf_verdict_destroy(&v);
	v = s_judge("The MMR jab gave my son autism|I do not trust them "
	    "anymore", MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
}

MF_TEST(match_spans_point_into_original_text)
{
	const char	*t = "Honestly the MMR jab gave my son autism.";
	mf_verdict_t	*v = s_judge(t, MF_FMT_TEXT, NULL);
	const mf_hit_t	*h = s_hit(v, "vaccines-autism.causal");

	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(2, h->nspans);
	MF_ASSERT_EQ(0, strncmp(t + h->spans[0].start, "MMR", 3));
	MF_ASSERT_EQ(3, h->spans[0].end - h->spans[0].start);
	MF_ASSERT_EQ(0, strncmp(t + h->spans[1].start, "autism", 6));
	mf_verdict_destroy(&v);
}

/* The title is judged with the body, as its own sentence; spans say
 * which field they point into, and a title moves no span of the body. */
static mf_verdict_t *
s_judge_titled(const char *title, const char *body)
{
	return s_judge_post(title, body, MF_FMT_MARKDOWN, NULL);
}

MF_TEST(match_title_judged_with_body)
{
	const char	*t = "> The MMR jab gave my son autism";
	const char	*b = "Hello, *MMS* cures it all.";
	mf_verdict_t	*v = s_judge_titled(t, "hello");
	const mf_hit_t	*h;
	mf_span_t	 body_only[2];

	MF_ASSERT_NOT_NULL(h = s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(2, h->nspans);
	for (size_t j = 0; j < 2; j++)
		MF_ASSERT_EQ(MF_FIELD_TITLE, h->spans[j].field);
	/* A title is plain text: its '>' quotes nothing. */
	MF_ASSERT_EQ(0, memcmp(t + h->spans[0].start, "MMR", 3));
	MF_ASSERT_EQ(6, h->spans[1].end - h->spans[1].start);
	MF_ASSERT_EQ(0, memcmp(t + h->spans[1].start, "autism", 6));
	mf_verdict_destroy(&v);

	v = s_judge_titled(NULL, b);
	MF_ASSERT_NOT_NULL(h = s_hit(v, "mms-cures.drink"));
	memcpy(body_only, h->spans, sizeof(body_only));
	mf_verdict_destroy(&v);
	v = s_judge_titled("My jab and autism: a question", b);
	MF_ASSERT_NOT_NULL(h = s_hit(v, "mms-cures.drink"));
	for (size_t j = 0; j < 2; j++) {
		MF_ASSERT_EQ(MF_FIELD_BODY, h->spans[j].field);
		MF_ASSERT_EQ(body_only[j].start, h->spans[j].start);
		MF_ASSERT_EQ(body_only[j].end, h->spans[j].end);
	}
	/* A sentence of the body does not cancel the title's claim, nor
	 * the title's the body's. */
	mf_verdict_destroy(&v);
	v = s_judge_titled("The MMR jab gave my son autism",
	    "It is not a myth.");
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	v = s_judge_titled("", "hello");
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
}

MF_TEST(match_spans_with_multibyte_text)
{
	/* Accented and non-Latin text before the match shifts bytes. */
	const char	*t = "Ça, c'est sûr — 日本語 — l'MMR donne l'autisme.";
	mf_verdict_t	*v = s_judge(t, MF_FMT_TEXT, NULL);
	const mf_hit_t	*h = s_hit(v, "vaccines-autism.causal");

	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(0, strncmp(t + h->spans[0].start, "MMR", 3));
	MF_ASSERT_EQ(0, strncmp(t + h->spans[1].start, "autisme", 7));
	MF_ASSERT(h->spans[1].end <= strlen(t));
	mf_verdict_destroy(&v);
}

MF_TEST(match_near_bounds_the_window)
{
	mf_verdict_t *v = s_judge("My kid had the MMR jab last spring and "
	    "then we went on a long holiday by the sea and the mountains "
	    "and he is fine; the neighbours' boy has autism.", MF_FMT_TEXT,
	    NULL);

	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
}

MF_TEST(match_explain_names_the_unless_that_suppressed)
{
	const char	*t = "There is no link between the MMR jab and autism.";
	mf_ruleset_t	*rs = s_load();
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p = mf_post_new("p-1", t);
	mf_verdict_t	*v = NULL, *d;
	const mf_hit_t	*h;

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT_EQ(0, v->nsuppressed);	/* only when asked */
	mf_verdict_destroy(&v);
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, MF_SCAN_EXPLAIN, &v, NULL));
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(1, v->nsuppressed);
	h = &v->suppressed[0];
	MF_ASSERT_STR_EQ("vaccines-autism.causal", h->rule);
	MF_ASSERT_STR_EQ("\\b(no|not|never|myth|debunk\\w*)\\b", h->unless);
	MF_ASSERT_EQ(0, strncmp(t + h->unless_span.start, "no ", 3));
	MF_ASSERT_EQ(2, h->unless_span.end - h->unless_span.start);
	MF_ASSERT_EQ(2, h->nspans);
	MF_ASSERT_EQ(0, strncmp(t + h->spans[0].start, "MMR", 3));
	MF_ASSERT_EQ(0, strncmp(t + h->spans[1].start, "autism", 6));
	MF_ASSERT_NOT_NULL(d = mf_verdict_dup(v));
	MF_ASSERT_STR_EQ(h->unless, d->suppressed[0].unless);
	mf_verdict_destroy(&d);
	mf_verdict_destroy(&v);
	/* A rule that hits is not suppressed, though a window was. */
	mf_post_destroy(&p);
	p = mf_post_new("p-2", "Vaccines do not cause autism, they said. "
	    "Well the MMR jab gave my son autism!");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, MF_SCAN_EXPLAIN, &v, NULL));
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT_EQ(0, v->nsuppressed);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
}

MF_TEST(match_unless_only_in_the_sentence)
{
	mf_verdict_t *v;

	v = s_judge("There is no link between the MMR jab and autism.",
	    MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* The negation is in another sentence: the claim stands. */
	v = s_judge("No doctor will tell you this. The MMR jab causes "
	    "autism.", MF_FMT_TEXT, NULL);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* A debunk first, then the assertion: the later window counts. */
	v = s_judge("Vaccines do not cause autism, they said. Well the MMR "
	    "jab gave my son autism!", MF_FMT_TEXT, NULL);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* An abbreviation's full stop ends no sentence: the negation
	 * before "Dr." and "U.S." still reads the claim after them. */
	v = s_judge("There is no proof, says Dr. Smith, that the MMR jab "
	    "causes autism.", MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	v = s_judge("No U.S. study found that the MMR jab causes autism.",
	    MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* A letter's full stop after a word does end one ("vitamin C."). */
	v = s_judge("Nobody sells vitamin C. The MMR jab causes autism.",
	    MF_FMT_TEXT, NULL);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
}

MF_TEST(match_question_earns_annotate)
{
	mf_verdict_t	*v = s_judge("Is it true that the MMR jab causes "
	    "autism?", MF_FMT_TEXT, NULL);
	const mf_hit_t	*h = s_hit(v, "vaccines-autism.causal");

	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(1, h->question);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT_EQ(1, v->nevidence);
	mf_verdict_destroy(&v);
}

MF_TEST(match_quotes_are_not_judged)
{
	mf_verdict_t *v;

	v = s_judge("> the MMR jab causes autism\n\nThat is false, see the "
	    "WHO.", MF_FMT_MARKDOWN, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT(v->flags & MF_VF_QUOTES_SKIPPED);
	mf_verdict_destroy(&v);
	v = s_judge("[quote=bob]the MMR jab causes autism[/quote] Nonsense.",
	    MF_FMT_BBCODE, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	v = s_judge("<blockquote>the MMR jab causes autism</blockquote><p>No."
	    "</p>", MF_FMT_HTML, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
}

/* Judges 'text' (format 'fmt', title 'title' or none) with
 * judge-agreed-quotes on. */
static mf_verdict_t *
s_judge_agreed(const char *title, const char *text, mf_format_t fmt)
{
	mf_policy_t	 pol;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p = mf_post_new("p-1", text);
	mf_verdict_t	*v = NULL;

	mf_policy_defaults(&pol);
	pol.judge_agreed_quotes = 1;
	rs = mf_ruleset_load_string("t.rules", s_rules, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_NOT_NULL(sc);
	p->body_format = fmt;
	p->title = title ? mf_strdup(title) : NULL;
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	return v;
}

MF_TEST(match_reply_agreeing_with_a_quote_makes_it)
{
	static const char *agree[] = {
		"> does the MMR jab cause autism?\nyes, it did to my son",
		"> the MMR jab causes autism\n\nExactly. Nobody listens.",
		"> le vaccin ROR cause l'autisme\nJe confirme, mon fils.",
		"> la vacuna MMR causa autismo\nSí, por supuesto.",
		"> Die MMR-Impfung verursacht Autismus\nStimmt leider.",
	};
	static const char *not_agree[] = {
		"> does the MMR jab cause autism?\nNo. Large studies say so.",
		"> the MMR jab causes autism\nYes, but only in the fraud's "
		    "paper: it was retracted.",
		"> the MMR jab causes autism\nyesterday I read otherwise",
		"Exactly.\n> the MMR jab causes autism\nIt doesn't.",
	};
	const char	*body = agree[0];
	mf_verdict_t	*v;
	const mf_hit_t	*h;

	/* The quoted question answered yes is asserted: a claim, not a
	 * question, its span in the quote of the original body. */
	v = s_judge_agreed(NULL, body, MF_FMT_MARKDOWN);
	h = s_hit(v, "vaccines-autism.causal");
	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(0, h->question);
	MF_ASSERT(v->flags & MF_VF_QUOTE_AGREED);
	MF_ASSERT(!(v->flags & MF_VF_QUOTES_SKIPPED));
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(0, strncmp(body + h->spans[0].start, "MMR",
	    h->spans[0].end - h->spans[0].start));
	mf_verdict_destroy(&v);
	for (size_t i = 1; i < sizeof(agree) / sizeof(agree[0]); i++) {
		v = s_judge_agreed(NULL, agree[i], MF_FMT_MARKDOWN);
		MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
		MF_ASSERT(v->flags & MF_VF_QUOTE_AGREED);
		mf_verdict_destroy(&v);
	}
	/* BBCode and HTML quotes too. */
	v = s_judge_agreed(NULL, "[quote=bob]the MMR jab causes autism"
	    "[/quote] Absolutely, I saw it.", MF_FMT_BBCODE);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	v = s_judge_agreed(NULL, "<blockquote>the MMR jab causes autism"
	    "</blockquote><p>So true.</p>", MF_FMT_HTML);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* A reply that disagrees, concedes, only starts with the letters
	 * of "yes", or a quote not at the start: the quote stays out. */
	for (size_t i = 0; i < sizeof(not_agree) / sizeof(not_agree[0]);
	    i++) {
		v = s_judge_agreed(NULL, not_agree[i], MF_FMT_MARKDOWN);
		MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
		MF_ASSERT(!(v->flags & MF_VF_QUOTE_AGREED));
		MF_ASSERT(v->flags & MF_VF_QUOTES_SKIPPED);
		mf_verdict_destroy(&v);
	}
	/* Under a title (a thread's first post) or with the policy off. */
	v = s_judge_agreed("Autism", agree[1], MF_FMT_MARKDOWN);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	v = s_judge(agree[1], MF_FMT_MARKDOWN, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT(!(v->flags & MF_VF_QUOTE_AGREED));
	mf_verdict_destroy(&v);
}

MF_TEST(match_shadow_reported_not_scored)
{
	mf_verdict_t	*v = s_judge("I clean with bleach every day.",
	    MF_FMT_TEXT, NULL);
	const mf_hit_t	*h = s_hit(v, "mms-cures.shadowed");

	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(MF_MODE_SHADOW, h->mode);
	MF_ASSERT(h->score == 0);
	MF_ASSERT(v->score == 0);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT_EQ(0, v->nevidence);
	mf_verdict_destroy(&v);
}

MF_TEST(match_claims_add_rules_of_one_claim_do_not)
{
	mf_verdict_t *v = s_judge("MMS cures everything. The MMR jab "
	    "caused his autism.", MF_FMT_TEXT, NULL);

	MF_ASSERT(v->score == 16);
	MF_ASSERT_EQ(MF_ACT_HOLD, v->action);
	/* Evidence of both claims, without duplicates. */
	MF_ASSERT_EQ(2, v->nevidence);
	mf_verdict_destroy(&v);
}

MF_TEST(match_sources_scored_by_list)
{
	mf_sources_t	*src = mf_sources_new("7");
	mf_verdict_t	*v;

	MF_ASSERT_EQ(0, mf_sources_add(src, "naturalnews.com",
	    MF_LIST_UNRELIABLE, NULL));
	MF_ASSERT_EQ(0, mf_sources_add(src, "who.int", MF_LIST_VETTED, NULL));
	v = s_judge("Read https://www.naturalnews.com/2020/x.html and "
	    "http://www.who.int/a, also https://naturalnews.com/b.", 
	    MF_FMT_TEXT, src);
	MF_ASSERT_EQ(2, v->nsources);
	MF_ASSERT_STR_EQ("naturalnews.com", v->sources[0].domain);
	MF_ASSERT_EQ(MF_LIST_UNRELIABLE, v->sources[0].list);
	MF_ASSERT_EQ(MF_LIST_VETTED, v->sources[1].list);
	MF_ASSERT(v->score == 2);	/* +3 unreliable, -1 vetted */
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT_STR_EQ("7", v->sources_version);
	mf_verdict_destroy(&v);
	mf_sources_destroy(&src);
}

MF_TEST(match_invalid_utf8_does_not_hide_a_match)
{
	mf_verdict_t	*v = s_judge("\xff\xfe the MMR jab \xc3 caused "
	    "autism \x80", MF_FMT_TEXT, NULL);

	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	MF_ASSERT(v->flags & MF_VF_INVALID_UTF8);
	mf_verdict_destroy(&v);
}

/* The claim every rule of the slow-pattern tests below names. */
#define S_CLAIM_C "claim c\n title t\n fact f\n evidence https://who.int/\n" \
	" tier misleading\nend\n"

/* A post of 'n' letters a and one 'last': slow for /(a|aa)+$/ and kin. */
static mf_post_t *
s_run_of_a(size_t n, char last)
{
	char		*body = mf_malloc(n + 2);
	mf_post_t	*p;

	MF_ASSERT_NOT_NULL(body);
	memset(body, 'a', n);
	body[n] = last;
	body[n + 1] = '\0';
	p = mf_post_new("p", body);
	mf_free(body);
	return p;
}

MF_TEST(match_limit_is_reported_and_flagged)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.slow\n score 1\n match /(a|aa)+$/\nend\n";
	mf_policy_t	 pol;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p;
	mf_verdict_t	*v = NULL;

	mf_policy_defaults(&pol);
	pol.match_limit = 1000;
	rs = mf_ruleset_load_string("slow.rules", rules, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	p = s_run_of_a(4094, 'b');
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT(v->flags & MF_VF_RULE_LIMIT);
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	MF_ASSERT_EQ(1, v->nhits);
	MF_ASSERT_NOT_NULL(v->hits[0].error);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/* The time budget cuts a slow post short; measurements (rules eval,
 * backtest) turn it off, so that their figures do not depend on the
 * machine's load. */
MF_TEST(match_budget_and_no_budget)
{
	char		 rules[8192];
	size_t		 len = 0;
	mf_policy_t	 pol;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p;
	mf_verdict_t	*v = NULL;
	const unsigned	 opts = MF_SCAN_NO_PREFILTER | MF_SCAN_NO_STARTS;

	len += (size_t)snprintf(rules + len, sizeof(rules) - len,
	    S_CLAIM_C);
	/* 32 rules that each backtrack for a while, none alike. */
	for (int k = 1; k <= 32; k++)
		len += (size_t)snprintf(rules + len, sizeof(rules) - len,
		    "rule c.slow%d\n score 1\n match /(a|aa){%d,}$/\nend\n",
		    k, k);
	mf_policy_defaults(&pol);
	pol.match_limit = 100000000;
	pol.budget_ms = 1;
	rs = mf_ruleset_load_string("slow.rules", rules, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	p = s_run_of_a(28, 'c');
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, opts, &v, NULL));
	MF_ASSERT_EQ(MF_STATUS_TIMEOUT, v->status);
	mf_verdict_destroy(&v);
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, opts | MF_SCAN_NO_BUDGET, &v,
	    NULL));
	MF_ASSERT_EQ(MF_STATUS_OK, v->status);
	MF_ASSERT_EQ(32, mf_scanner_rules_run(sc));
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/* One scanner, rule sets loaded and freed in turn with other limits: each
 * new one may land where the last one was, and its limits must hold
 * (the scanner once kept the old ones, known by address). */
MF_TEST(match_limits_follow_a_reloaded_rule_set)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.slow\n score 1\n match /(a|aa)+$/\nend\n";
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p;

	/* About 10^5 steps to fail: past 100, well within 10^8. */
	p = s_run_of_a(24, 'b');
	for (int i = 0; i < 12; i++) {
		mf_policy_t	 pol;
		mf_diags_t	 d = {0};
		mf_ruleset_t	*rs;
		mf_verdict_t	*v = NULL;

		mf_policy_defaults(&pol);
		pol.match_limit = i % 2 ? 100 : 100000000;
		rs = mf_ruleset_load_string("slow.rules", rules, &pol, NULL,
		    0, &d);
		MF_ASSERT_NOT_NULL(rs);
		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, MF_SCAN_NO_PREFILTER,
		    &v, NULL));
		MF_ASSERT_EQ(i % 2 ? MF_VF_RULE_LIMIT : 0u,
		    v->flags & MF_VF_RULE_LIMIT);
		mf_verdict_destroy(&v);
		mf_ruleset_destroy(&rs);
		mf_diags_free(&d);
	}
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
}

MF_TEST(match_truncates_at_the_size_limit)
{
	mf_policy_t	 pol;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p;
	mf_verdict_t	*v = NULL;
	char		 body[1200];

	mf_policy_defaults(&pol);
	pol.max_body = 256;
	rs = mf_ruleset_load_string("t.rules", s_rules, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	memset(body, 'x', sizeof(body));
	strcpy(body + 900, " the MMR jab causes autism");
	p = mf_post_new("p", body);
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT(v->flags & MF_VF_TRUNCATED);
	MF_ASSERT_EQ(0, v->nhits);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
}

MF_TEST(match_expect_lines_run)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.r\n score 5\n match /\\bgarlic\\b.{0,20}\\bflu\\b/\n"
	    " expect match \"garlic cures the flu\"\n"
	    " expect nomatch \"garlic is tasty\"\n"
	    " expect question \"does garlic cure the flu?\"\n"
	    " expect nomatch \"does garlic stop the flu?\"\n"
	    " expect match \"onions cure the flu\"\n"
	    "end\n";
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("e.rules", rules, NULL,
	    NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(1, mf_ruleset_test(rs, sc, &d));
	MF_ASSERT_EQ(1, d.errors);
	MF_ASSERT_STR_EQ("e.rules:14:9", d.v[d.n - 1].where);
	MF_ASSERT_STR_CONTAINS(d.v[d.n - 1].msg, "expect match failed");
	mf_diags_free(&d);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
}

MF_TEST(match_empty_body_is_skipped)
{
	mf_verdict_t *v = s_judge("", MF_FMT_TEXT, NULL);

	MF_ASSERT_EQ(MF_STATUS_SKIPPED, v->status);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
}

/* The score and flags of 'text' judged with 'rs'. */
static double
s_score_of(mf_scanner_t *sc, const mf_ruleset_t *rs, const char *text,
    unsigned *flags)
{
	mf_post_t	*p = mf_post_new("c", text);
	mf_verdict_t	*v = NULL;
	double		 score = -1;

	if (p && mf_scan(sc, rs, NULL, p, 0, &v, NULL) == 0) {
		score = v->score;
		*flags = v->flags;
	}
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	return score;
}

MF_TEST(match_post_context_sarcasm_rebuttal_and_linked_topic)
{
	const char	*rules =
	    "define post-sarcasm /(?:^|\\s)\\/s\\b/\n"
	    "define post-rebuttal /^\"[^\"\\n]{8,160}\":/\n"
	    "define health-topic /\\b(?:vaccines?|cures?)\\b/\n"
	    S_CLAIM_C
	    "rule c.r\n score 6\n match /\\bgarlic\\b.{0,20}\\bflu\\b/\nend\n";
	mf_policy_t	 pol;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_sources_t	*src = mf_sources_new("1");
	mf_post_t	*p;
	mf_verdict_t	*v = NULL;
	unsigned	 f = 0;

	mf_policy_defaults(&pol);
	pol.sarcasm_scale = 0.5;
	pol.rebuttal_scale = 0.25;
	pol.source_unreliable_topic = 2;
	rs = mf_ruleset_load_string("c.rules", rules, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, mf_sources_add(src, "naturalnews.com",
	    MF_LIST_UNRELIABLE, NULL));
	/* "/s" as its own sentence, away from the claim, halves it. */
	p = mf_post_new("1", "Garlic cures the flu. Trust me.\n/s");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, src, p, 0, &v, NULL));
	MF_ASSERT(v->score == 3);
	MF_ASSERT(v->flags & MF_VF_SARCASM);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	/* The claim quoted to open a post, then answered: a quarter. */
	MF_ASSERT(s_score_of(sc, rs, "\"Garlic cures the flu\": no, it does "
	    "not.", &f) == 1.5);
	MF_ASSERT((f & (MF_VF_REBUTTAL | MF_VF_SARCASM)) == MF_VF_REBUTTAL);
	/* Sarcasm and a rebuttal: one scale, sarcasm's. */
	MF_ASSERT(s_score_of(sc, rs, "\"Garlic cures the flu\": sure it does "
	    "/s", &f) == 3);
	MF_ASSERT((f & (MF_VF_REBUTTAL | MF_VF_SARCASM)) == MF_VF_SARCASM);
	/* The same words said, not quoted: in full. */
	MF_ASSERT(s_score_of(sc, rs, "Garlic cures the flu: trust me.", &f)
	    == 6);
	MF_ASSERT(!(f & MF_VF_REBUTTAL));
	/* A misinformation host linked on a health topic: 3 + 2 = flag. */
	p = mf_post_new("2", "the truth about the vaccine "
	    "https://www.naturalnews.com/x.html");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, src, p, 0, &v, NULL));
	MF_ASSERT(v->score == 5);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT(v->flags & MF_VF_UNRELIABLE_TOPIC);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	/* The same host on something else: the source alone (annotate);
	 * words of the link itself are not the topic. */
	p = mf_post_new("3", "nice recipe "
	    "https://www.naturalnews.com/vaccine-cures.html");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, src, p, 0, &v, NULL));
	MF_ASSERT(v->score == 3);
	MF_ASSERT(!(v->flags & MF_VF_UNRELIABLE_TOPIC));
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_sources_destroy(&src);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}


MF_TEST(match_search_questions_and_rhetorical_ones)
{
	static const struct { const char *text; int question; } c[] = {
		/* A search-box question has no '?' and no full stop. */
		{ "will mms cure autism", 1 },
		{ "what vaccine causes autism", 1 },
		/* The same opening in a statement. */
		{ "What they hide is that MMS cures autism.", 0 },
		/* A whole word opens it, not its first letters ("cual",
		 * "quel" in "cualquiera", "quelation"). */
		{ "cualquiera knows MMS cures autism", 0 },
		{ "cual es la verdad, MMS cures autism", 1 },
		{ "Do your research, MMS cures autism!", 0 },
		/* A rhetorical question asserts the claim. */
		{ "Why do you think they hide that MMS cures autism???", 0 },
		{ "How come nobody says the MMR jab gave kids autism?", 0 },
		{ "does MMS cure autism??", 1 },
		/* "Who needs", "what for" in the other languages. */
		{ "Wozu impfen, wenn MMS autism cures?", 0 },
		{ "A quoi bon l'orthophonie si MMS cures autism ?", 0 },
		/* A conditional one argues from its premise. */
		{ "If MMS cures autism, why is it banned?", 0 },
		{ "If I take MMS, does it cure autism?", 1 },
		/* What it asks about first, then its verb, still unpunctuated;
		 * the same lead without the inversion states. */
		{ "if i give my son mms can it cure his autism", 1 },
		{ "since he had the mmr jab has it caused his autism", 1 },
		{ "if you give mms it cures autism", 0 },
		{ "whats the link between the mmr jab and autism", 1 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mf_verdict_t	*v = s_judge(c[i].text, MF_FMT_TEXT, NULL);

		MF_ASSERT(v->nhits >= 1);
		MF_ASSERT_EQ(c[i].question, v->hits[0].question);
		mf_verdict_destroy(&v);
	}
}

MF_TEST(match_unless_scoped_to_the_claims_clause)
{
	mf_verdict_t	*v;

	/* The negation is about something else, before "but". */
	v = s_judge("I'm not a doctor, but the MMR jab gave my son autism.",
	    MF_FMT_TEXT, NULL);
	MF_ASSERT_NOT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* After the claim it still cancels it. */
	v = s_judge("The MMR jab gave him autism, but that is a myth.",
	    MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
	/* "Myth: ..." labels the claim; a colon opens no new clause. */
	v = s_judge("Myth: the MMR jab gives kids autism.", MF_FMT_TEXT, NULL);
	MF_ASSERT_NULL(s_hit(v, "vaccines-autism.causal"));
	mf_verdict_destroy(&v);
}

MF_TEST(match_question_about_the_sentence_next_to_it)
{
	static const struct { const char *text; int question; } c[] = {
		{ "The MMR jab gives kids autism. Is that true?", 1 },
		{ "Is this true? The MMR jab gives kids autism.", 1 },
		/* A rhetorical "coincidence?" asks nothing. */
		{ "The MMR jab gave my son autism. Coincidence?", 0 },
		/* A reported claim is cancelled; asked about, it still
		 * earns the evidence. */
		{ "My doctor says the MMR jab never gives autism. Is that "
		    "right?", 1 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mf_verdict_t	*v = s_judge(c[i].text, MF_FMT_TEXT, NULL);

		MF_ASSERT(v->nhits >= 1);
		MF_ASSERT_EQ(c[i].question, v->hits[0].question);
		MF_ASSERT_EQ(c[i].question ? MF_ACT_ANNOTATE : MF_ACT_FLAG,
		    v->action);
		mf_verdict_destroy(&v);
	}
}

MF_TEST(match_questions_do_not_add_up)
{
	/* Two myths asked about in one question: still one question. */
	mf_verdict_t *v = s_judge("Does MMS cure autism, and does the MMR jab "
	    "cause autism?", MF_FMT_TEXT, NULL);

	MF_ASSERT_EQ(2, v->nhits);
	MF_ASSERT(v->hits[0].question && v->hits[1].question);
	MF_ASSERT(v->score == 4);	/* the better of 10 x 0.4, 6 x 0.4 */
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	mf_verdict_destroy(&v);
}

MF_TEST(match_rules_of_another_language_stand_aside)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.fr\n score 6\n lang fr\n match /\\bcure\\b/\nend\n"
	    "rule c.any\n score 5\n match /\\bcure\\b/\nend\n";
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("l.rules", rules, NULL,
	    NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p;
	mf_verdict_t	*v = NULL;

	MF_ASSERT_NOT_NULL(rs);
	/* An English post: the French rule stands aside. */
	p = mf_post_new("1", "The cure is in the garden and it is cheap.");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT_EQ(1, v->nhits);
	MF_ASSERT_STR_EQ("c.any", v->hits[0].rule);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	/* A French post: both run. */
	p = mf_post_new("2", "Le cure est dans le jardin et il est pas cher.");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT_EQ(2, v->nhits);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	/* Too short to tell: every rule runs; the post's own lang decides. */
	p = mf_post_new("3", "cure");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT_EQ(2, v->nhits);
	mf_verdict_destroy(&v);
	p->lang = mf_strdup("en");
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	MF_ASSERT_EQ(1, v->nhits);
	mf_verdict_destroy(&v);
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/* Judges 'text' with lang field 'lang' (may be NULL) under 'rs'. */
static mf_verdict_t *
s_judge_lang(const mf_ruleset_t *rs, const char *text, const char *lang)
{
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p = mf_post_new("1", text);
	mf_verdict_t	*v = NULL;

	MF_ASSERT_NOT_NULL(sc);
	p->lang = lang ? mf_strdup(lang) : NULL;
	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	return v;
}

/*
 * A post in a language medflag does not read: every rule runs (a French
 * rule too), and what they find brings it to review, no further
 * (other-lang-max); the verdict says why. Told by its words or by its
 * lang field; a field's region ("en-GB") does not hide one of ours, and a
 * field naming another language yields to words that are clearly ours.
 */
MF_TEST(match_other_language_reaches_review_not_a_flag)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.fr\n score 6\n lang fr\n match /\\bcure\\b/\nend\n";
	const char	*it = "Il bicarbonato cure tutto, anche il cancro: mio "
			    "zio lo ha detto e sono sicuro che sia vero.";
	const char	*en = "The cure is in the garden and it is cheap.";
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("l.rules", rules, NULL,
	    NULL, 0, &d);
	mf_verdict_t	*v;

	MF_ASSERT_NOT_NULL(rs);
	/* Italian by its words: the French rule runs, the flag it would
	 * earn is held at annotate, with review. */
	v = s_judge_lang(rs, it, NULL);
	MF_ASSERT_EQ(1, v->nhits);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT(v->flags & MF_VF_LANG_UNSUPPORTED);
	MF_ASSERT(v->flags & MF_VF_REVIEW);
	mf_verdict_destroy(&v);
	/* By the field alone, in a post too short to tell. */
	v = s_judge_lang(rs, "cure", "pt-BR");
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT(v->flags & MF_VF_LANG_UNSUPPORTED);
	mf_verdict_destroy(&v);
	/* No language at all ("und"): judged as before. */
	v = s_judge_lang(rs, "cure", "und");
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(0, v->flags & MF_VF_LANG_UNSUPPORTED);
	mf_verdict_destroy(&v);
	/* An English post is English whatever the site's locale says; the
	 * French rule stands aside. */
	v = s_judge_lang(rs, en, "it");
	MF_ASSERT_EQ(0, v->nhits);
	MF_ASSERT_EQ(0, v->flags & MF_VF_LANG_UNSUPPORTED);
	mf_verdict_destroy(&v);
	v = s_judge_lang(rs, "Le cure est dans le jardin.", "FR-be");
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	mf_verdict_destroy(&v);
	v = s_judge_lang(rs, "cure", "fre");
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(0, v->flags & MF_VF_LANG_UNSUPPORTED);
	mf_verdict_destroy(&v);
	/* other-lang-max none: the flag says why, no action and no review. */
	rs->policy.other_lang_max = MF_ACT_NONE;
	v = s_judge_lang(rs, it, NULL);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT_EQ(MF_VF_LANG_UNSUPPORTED, v->flags);
	mf_verdict_destroy(&v);
	/* hold: judged as any post (without the model). */
	rs->policy.other_lang_max = MF_ACT_HOLD;
	v = s_judge_lang(rs, it, NULL);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(MF_VF_LANG_UNSUPPORTED, v->flags);
	mf_verdict_destroy(&v);
	/* other-lang-action annotate: every such post to review, one that
	 * no rule matched too; a post of ours is not touched. */
	rs->policy.other_lang_max = MF_ACT_ANNOTATE;
	rs->policy.other_lang_action = MF_ACT_ANNOTATE;
	v = s_judge_lang(rs, "Ciao a tutti, sono nuovo qui e sono molto "
	    "contento di essere nel gruppo.", NULL);
	MF_ASSERT_EQ(0, v->nhits);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT_EQ(MF_VF_LANG_UNSUPPORTED | MF_VF_REVIEW, v->flags);
	mf_verdict_destroy(&v);
	v = s_judge_lang(rs, "Hello everyone, I am new here and glad to be "
	    "in the group.", NULL);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT_EQ(0, v->flags);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/*
 * A forum that writes rules for its own language (`lang it`) has its
 * posts in that language read by those rules alone (and the rules
 * without a language), judged as any post: no cap, no flag
 * lang_unsupported. The model, which never learned the language, stays
 * out. A language no rule is written for is still another language.
 */
MF_TEST(match_a_forums_own_language_is_read_by_its_rules)
{
	const char	*rules =
	    S_CLAIM_C
	    "rule c.it\n score 6\n lang IT\n match /\\bcura\\b/\n"
	    " unless /\\bnon\\b/\nend\n"
	    "rule c.fr\n score 6\n lang fr\n match /\\bcure\\b/\nend\n"
	    "rule c.any\n score 1\n match /\\bcancro\\b/\nend\n";
	const char	*it = "Il bicarbonato cura tutto, anche il cancro: mio "
			    "zio lo ha detto e sono sicuro che sia vero.";
	const char	*itneg = "Il bicarbonato non cura il cancro, lo dice "
			    "anche il mio medico e sono d'accordo.";
	const char	*pt = "O bicarbonato cura tudo, até o cancro: o meu "
			    "tio disse isso e eu também acho que não é "
			    "mentira.";
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("l.rules", rules, NULL,
	    NULL, 0, &d);
	mf_verdict_t	*v;

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT(mf_ruleset_reads(rs, "it-IT"));
	MF_ASSERT(!mf_ruleset_reads(rs, "pt"));
	/* Italian by its words: its rule and the one without a language;
	 * the French rule stands aside. A flag, as for any post. */
	v = s_judge_lang(rs, it, NULL);
	MF_ASSERT_EQ(2, v->nhits);
	MF_ASSERT_STR_EQ("c.it", v->hits[0].rule);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_EQ(0, v->flags & (MF_VF_LANG_UNSUPPORTED | MF_VF_REVIEW));
	mf_verdict_destroy(&v);
	/* Its own negation words cancel it. */
	v = s_judge_lang(rs, itneg, NULL);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	/* By the field alone, with a region, in a post too short to tell. */
	v = s_judge_lang(rs, "cura cure", "it-IT");
	MF_ASSERT_EQ(1, v->nhits);
	MF_ASSERT_STR_EQ("c.it", v->hits[0].rule);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	mf_verdict_destroy(&v);
	/* Portuguese has no rules of its own: every rule runs, and what
	 * they find goes to review, no further. */
	v = s_judge_lang(rs, pt, NULL);
	MF_ASSERT(v->flags & MF_VF_LANG_UNSUPPORTED);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

/* A scanner remembers what each shared pattern found only for the text
 * at hand: posts of the same length, whose clauses span the same bytes,
 * are judged in a row exactly as by fresh scanners. */
MF_TEST(match_one_scanner_judges_like_fresh_ones)
{
	static const char *texts[] = {
		"The mmr jab gave him autism, we saw it.",
		"The mmr jab ,not him autism, we saw it.",
		"The mmr jab gave him autism, we saw it.",
		"MMS cures it and the mmr jab gave autism",
		"MMS heals it and the mmr jab ,no autism.",
	};
	mf_ruleset_t	*rs = s_load();
	mf_scanner_t	*sc = mf_scanner_new(NULL);

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_NOT_NULL(sc);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		mf_post_t	*p = mf_post_new("p-1", texts[i]);
		mf_verdict_t	*v = NULL, *w = s_judge(texts[i],
		    MF_FMT_TEXT, NULL);

		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
		MF_ASSERT_EQ(w->action, v->action);
		MF_ASSERT(w->score == v->score);
		MF_ASSERT_EQ(w->nhits, v->nhits);
		for (size_t k = 0; k < v->nhits; k++)
			MF_ASSERT_STR_EQ(w->hits[k].rule, v->hits[k].rule);
		MF_ASSERT_EQ(i == 1 || i == 4 ? 0 : 1,
		    s_hit(v, "vaccines-autism.causal") != NULL &&
		    s_hit(v, "vaccines-autism.causal")->spans != NULL);
		mf_verdict_destroy(&v);
		mf_verdict_destroy(&w);
		mf_post_destroy(&p);
	}
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
}
