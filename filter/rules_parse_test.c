/*
 * rules_parse_test.c - selftest of the rule reader and compiler: each
 * class of error is reported at its file:line:col, every problem of a file
 * in one pass, and a file with any error loads nothing. Also the OOM loop.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "medflag.h"

#define CLAIM "claim c\n title t\n fact f\n evidence https://who.int/a\n" \
    " tier harmful\nend\n"

/* Loads 'text'; expects failure with a diagnostic at 'where' whose message
 * contains 'msg'. */
static void
s_expect_error(const char *text, const char *where, const char *msg)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", text, NULL,
	    NULL, 0, &d);
	int		 found = 0;

	MF_ASSERT_NULL(rs);
	MF_ASSERT(d.errors >= 1);
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.v[i].where, where) == 0 &&
		    strstr(d.v[i].msg, msg) && d.v[i].hint[0])
			found = 1;
	if (!found)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "got %s: %s\n", d.v[i].where,
			    d.v[i].msg);
	MF_ASSERT(found);
	mf_diags_free(&d);
}

/* Loads 'text', which must load and pass every expect line. */
static mf_ruleset_t *
s_load_passing(const char *text)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", text, NULL,
	    NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, mf_ruleset_test(rs, sc, &d));
	mf_scanner_destroy(&sc);
	mf_diags_free(&d);
	return rs;
}

MF_TEST(parse_good_file_loads)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.r  # a comment\n  score 6.5\n  match /\\bx#y\\b/ # c\n"
	    "  near 40\n  mode shadow\n  lang en\n"
	    "  expect match \"x#y \\\"q\\\"\"\nend\n", NULL, NULL, 0, &d);
	const mf_rule_t *r;

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, d.errors);
	MF_ASSERT_EQ(1, mf_ruleset_size(rs));
	r = mf_ruleset_rule(rs, 0);
	MF_ASSERT_STR_EQ("c.r", r->id);
	MF_ASSERT_STR_EQ("c", r->claim->id);
	MF_ASSERT(r->score == 6.5);
	MF_ASSERT_EQ(40, r->near);
	MF_ASSERT_EQ(MF_MODE_SHADOW, r->mode);
	MF_ASSERT_STR_EQ("\\bx#y\\b", r->match[0].source);
	MF_ASSERT_STR_EQ("x#y \"q\"", r->expect[0].text);
	MF_ASSERT_STR_EQ("x", mf_ruleset_claim(rs, "c")->category);
	MF_ASSERT_EQ(16, strlen(mf_ruleset_hash(rs)));
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

MF_TEST(parse_error_classes_are_located)
{
	s_expect_error(CLAIM "rule c.r\n score 1\n match /(/\nend\n",
	    "x.rules:9:10", "bad pattern");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/q\nend\n",
	    "x.rules:9:11", "unknown pattern flag 'q'");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /abc\nend\n",
	    "x.rules:9:8", "unterminated pattern");
	s_expect_error(CLAIM "rule c.r\n scor 1\n match /a/\nend\n",
	    "x.rules:8:2", "unknown keyword 'scor'");
	s_expect_error(CLAIM "rule c.r\n score lots\n match /a/\nend\n",
	    "x.rules:8:8", "invalid score");
	s_expect_error(CLAIM "rule c.r\n score 1\nend\n",
	    "x.rules:9:1", "has no 'match' line");
	s_expect_error("claim c\n title t\n fact f\n tier harmful\nend\n",
	    "x.rules:5:1", "has no 'evidence' line");
	s_expect_error(CLAIM "rule d.r\n score 1\n match /a/\nend\n",
	    "x.rules:7:1", "unknown claim 'd'");
	s_expect_error(CLAIM CLAIM, "x.rules:7:1", "also defined");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/\n",
	    "x.rules:7:1", "never ends");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/\n expect maybe "
	    "\"x\"\nend\n", "x.rules:10:9", "unknown expectation");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/\n expect match "
	    "\"x\nend\n", "x.rules:10:15", "unterminated string");
	s_expect_error("claim Bad_Id\n", "x.rules:1:7", "invalid claim id");
	s_expect_error("claim c\n title t\n fact f\n evidence ftp://x\n tier "
	    "harmful\nend\n", "x.rules:4:11", "http(s) link");
	s_expect_error("claim c\n title t\n fact f\n evidence https://who.int"
	    "\n tier awful\nend\n", "x.rules:5:7", "unknown tier");
	s_expect_error("match /a/\n", "x.rules:1:1", "outside a block");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/\n near -3\nend\n",
	    "x.rules:10:7", "invalid distance");
}

MF_TEST(parse_reports_every_problem_in_one_pass)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.a\n score x\n match /(/\nend\n"
	    "rule c.b\n bogus 1\n match /a/\nend\n", NULL, NULL, 0, &d);

	MF_ASSERT_NULL(rs);
	/* The bad score, the bad pattern and the unknown keyword are all
	 * found in the same pass; the missing score of c.b, a consequence
	 * of the unknown keyword, is not reported again. */
	MF_ASSERT_EQ(3, d.errors);
	mf_diags_free(&d);
}

MF_TEST(parse_evidence_must_be_vetted)
{
	mf_sources_t	*src = mf_sources_new(NULL);
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;

	MF_ASSERT_EQ(0, mf_sources_add(src, "who.int", MF_LIST_VETTED, NULL));
	rs = mf_ruleset_load_string("x.rules", CLAIM "claim e\n title t\n "
	    "fact f\n evidence https://www.naturalnews.com/a\n tier harmful\n"
	    "end\n", NULL, src, 0, &d);
	MF_ASSERT_NULL(rs);
	MF_ASSERT_EQ(1, d.errors);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "not on a vetted domain");
	MF_ASSERT_STR_EQ("x.rules:7:1", d.v[0].where);
	mf_diags_free(&d);
	mf_sources_destroy(&src);
}

MF_TEST(parse_accented_pattern_matches_stripped_text)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.r\n score 6\n match /\\bmédicament\\b/\nend\n", NULL,
	    NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	int		 hit = 0, q = 0;

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, mf_scan_rule(sc, rs, mf_ruleset_rule(rs, 0),
	    "ce MEDICAMENT tue", &hit, &q, NULL));
	MF_ASSERT_EQ(1, hit);
	MF_ASSERT_EQ(0, mf_scan_rule(sc, rs, mf_ruleset_rule(rs, 0),
	    "ce médicament tue", &hit, &q, NULL));
	MF_ASSERT_EQ(1, hit);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
}

MF_TEST(parse_warns_of_a_symbol_that_never_matches)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.r\n score 6\n match /\\bvaccin\\w*|\xF0\x9F\x94\xA5/\n"
	    "end\nrule c.s\n score 6\n match /\\b\xF0\x9F\x92\x89\\b|"
	    "\xF0\x9F\xA4\xA3/\nend\n", NULL, NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	int		 hit = 0, q = 0;

	/* The fire emoji is a space in normalized text: a warning at it.
	 * The syringe reads "vaccine" in patterns as in text; a laugh
	 * stays as written in both. */
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, d.errors);
	MF_ASSERT_EQ(3, d.warnings);	/* and two rules without expect */
	MF_ASSERT_STR_EQ("x.rules:9:21", d.v[0].where);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "never matches");
	MF_ASSERT(strstr(d.v[1].msg, "never matches") == NULL);
	MF_ASSERT(strstr(d.v[2].msg, "never matches") == NULL);
	MF_ASSERT_EQ(0, mf_scan_rule(sc, rs, mf_ruleset_rule(rs, 1),
	    "le \xF0\x9F\x92\x89 tue", &hit, &q, NULL));
	MF_ASSERT_EQ(1, hit);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

MF_TEST(parse_policy_file_errors)
{
	char		 path[] = "/tmp/mfpolicyXXXXXX";
	int		 fd = mkstemp(path);
	FILE		*fp = fdopen(fd, "w");
	mf_policy_t	 p;
	mf_diags_t	 d = {0};

	fputs("annotate 2\nflag five\nhold 9\nwhatever 1\njudge-quotes "
	    "maybe\nblock off\n", fp);
	fclose(fp);
	mf_policy_defaults(&p);
	MF_ASSERT_EQ(3, mf_policy_load(&p, path, &d));
	MF_ASSERT_STR_EQ(strcat(strcpy((char[64]){0}, path), ":2:6"),
	    d.v[0].where);
	MF_ASSERT_STR_CONTAINS(d.v[1].msg, "unknown directive 'whatever'");
	MF_ASSERT(p.block < 0);
	MF_ASSERT_EQ(MF_ACT_HOLD, mf_policy_action(&p, 9));
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, mf_policy_action(&p, 2));
	MF_ASSERT_EQ(MF_ACT_NONE, mf_policy_action(&p, 1.9));
	unlink(path);
	mf_diags_free(&d);
}

MF_TEST(parse_out_of_memory_fails_cleanly)
{
	const char *text = CLAIM "rule c.r\n score 6\n match /\\bvacc\\w+/\n"
	    " match /autism/\n unless /\\bno\\b/\n expect match \"vaccs "
	    "autism\"\nend\n";

	/* SQLite's OOM loop: fail the Nth allocation until loading works;
	 * each failure must be a clean NULL with a diagnostic. */
	for (size_t n = 1; n < 5000; n++) {
		mf_diags_t	 d = {0};
		mf_ruleset_t	*rs;

		mf_alloc_fail_after(n, 0);
		rs = mf_ruleset_load_string("x.rules", text, NULL, NULL, 0,
		    &d);
		if (!mf_alloc_failed()) {
			mf_alloc_fail_after(0, 0);
			MF_ASSERT_NOT_NULL(rs);
			mf_ruleset_destroy(&rs);
			mf_diags_free(&d);
			return;
		}
		mf_alloc_fail_after(0, 0);
		if (rs != NULL)		/* the failure was absorbed */
			mf_ruleset_destroy(&rs);
		mf_diags_free(&d);
	}
	MF_ASSERT(!"allocation loop did not converge");
}

MF_TEST(parse_defines_are_shared_patterns)
{
	mf_ruleset_t	*rs = s_load_passing(
	    "define vax /vacc?in\\w*|jabs?|mmr/\n"
	    "define neg /\\b(?:no|not|never)\\b/\n"
	    "define vaxword /\\b(?:{{vax}})\\b/\n"
	    CLAIM "rule c.r\n score 6\n match @vaxword\n"
	    " match /\\b{{vax}}\\b.{0,30}\\bautis\\w*/\n unless @neg\n"
	    " expect match \"the mmr jab gave him autism\"\n"
	    " expect nomatch \"the mmr jab did not give him autism\"\nend\n");

	MF_ASSERT_STR_EQ("(?:\\b(?:(?:vacc?in\\w*|jabs?|mmr))\\b)",
	    mf_ruleset_rule(rs, 0)->match[0].source);
	mf_ruleset_destroy(&rs);
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a{{nope}}/\nend\n",
	    "x.rules:9:9", "unknown pattern name 'nope'");
	s_expect_error("define a /x/\ndefine a /y/\n", "x.rules:2:8",
	    "already defined");
	s_expect_error("define a /{{b}}/\ndefine b /{{a}}/\n" CLAIM
	    "rule c.r\n score 1\n match @a\nend\n", "x.rules:11:8",
	    "more than 8 deep");
	s_expect_error("define a /x/m\n", "x.rules:1:1", "flags on a define");
}

MF_TEST(parse_lexicons_are_tested_word_classes)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules",
	    "lexicon en-jab\n lang en\n words /vacc?in\\w*|jabs?/\n"
	    " words /the needle/\n"
	    " expect match \"they pushed THE NEEDLE on us\"\n"
	    " expect match \"got the jab\"\n"
	    " expect nomatch \"a jabbing pain\"\n"
	    " expect nomatch \"got my shots\"\nend\n"
	    CLAIM "rule c.r\n score 6\n match /\\b{{en-jab}}\\b/\n"
	    " match /\\bautis\\w*/\n near sentence\n"
	    " expect match \"the jab gave him autism\"\n"
	    " expect nomatch \"I had the jab. My son has autism.\"\nend\n",
	    NULL, NULL, 0, &d);
	mf_scanner_t	*sc = mf_scanner_new(NULL);

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT(mf_ruleset_rule(rs, 0)->near_sentence);
	/* "got my shots" has no word of the class: the expectation holds;
	 * none fails. */
	MF_ASSERT_EQ(0, mf_ruleset_test(rs, sc, &d));
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
	rs = mf_ruleset_load_string("x.rules", "lexicon en-jab\n"
	    " words /jabs?/\n expect nomatch \"the jab\"\n"
	    " expect match \"a shot\"\nend\n", NULL, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(2, mf_ruleset_test(rs, sc, &d));
	MF_ASSERT_STR_EQ("x.rules:3:9", d.v[0].where);
	MF_ASSERT_STR_CONTAINS(d.v[0].msg, "lexicon en-jab: expect nomatch");
	MF_ASSERT_STR_EQ("x.rules:4:9", d.v[1].where);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
	s_expect_error("lexicon a\n expect question \"x\"\nend\n",
	    "x.rules:2:9", "unknown expectation 'question'");
	s_expect_error("lexicon a\n lang en\nend\n", "x.rules:3:1",
	    "lexicon a has no 'words' line");
	s_expect_error("lexicon a\n words /x/\n", "x.rules:1:1",
	    "lexicon block never ends");
	s_expect_error("lexicon a\n match /x/\nend\n", "x.rules:2:2",
	    "unknown keyword 'match' in a lexicon");
	s_expect_error("define a /x/\nlexicon a\n words /y/\nend\n",
	    "x.rules:2:9", "already defined");
	s_expect_error(CLAIM "rule c.r\n score 1\n match /a/\n near far\n"
	    "end\n", "x.rules:10:7", "invalid distance");
}

MF_TEST(parse_overrides_change_a_rule_by_id)
{
	mf_diags_t		 d = {0};
	mf_ruleset_t		*rs, *plain;
	const mf_override_t	*o;

	rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.a\n score 6\n match /a/\nend\n"
	    "rule c.b\n score 5\n match /b/\nend\n"
	    "override c.a score 0.5   # a comment\n"
	    "override c.b mode shadow\n"
	    "override c.b off\n", NULL, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT_EQ(0, d.errors);
	MF_ASSERT(mf_ruleset_find(rs, "c.a")->score == 0.5);
	MF_ASSERT_EQ(MF_MODE_OFF, mf_ruleset_find(rs, "c.b")->mode);
	MF_ASSERT_EQ(3, mf_ruleset_noverrides(rs));
	o = mf_ruleset_override(rs, 0);
	MF_ASSERT_STR_EQ("c.a", o->rule);
	MF_ASSERT(o->sets_score && o->was_score == 6 && o->score == 0.5);
	MF_ASSERT_STR_EQ("x.rules", o->file);
	MF_ASSERT_EQ(15, o->line);
	/* In order: the second sees the first's mode. */
	MF_ASSERT_EQ(MF_MODE_SHADOW, mf_ruleset_override(rs, 2)->was_mode);
	MF_ASSERT_NULL(mf_ruleset_override(rs, 3));
	/* The overrides are part of what the hash covers. */
	plain = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.a\n score 6\n match /a/\nend\n"
	    "rule c.b\n score 5\n match /b/\nend\n", NULL, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(plain);
	MF_ASSERT(strcmp(mf_ruleset_hash(rs), mf_ruleset_hash(plain)) != 0);
	mf_ruleset_destroy(&plain);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
}

MF_TEST(parse_override_errors_are_located)
{
	s_expect_error(CLAIM "rule c.a\n score 6\n match /a/\nend\n"
	    "override c.z off\n", "x.rules:11:1", "no rule 'c.z'");
	s_expect_error(CLAIM "override c.a score 200\n", "x.rules:7:20",
	    "invalid score");
	s_expect_error(CLAIM "override c.a mode loud\n", "x.rules:7:19",
	    "unknown mode 'loud'");
	s_expect_error(CLAIM "override c.a weight 2\n", "x.rules:7:14",
	    "what to change?");
	s_expect_error(CLAIM "override c.a off now\n", "x.rules:7:14",
	    "what to change?");
	s_expect_error(CLAIM "override\n", "x.rules:7:1",
	    "needs a rule id");
	s_expect_error(CLAIM "rule c.a\n score 6\n match /a/\n override c.a "
	    "off\nend\n", "x.rules:10:2", "unknown keyword 'override'");
}

/* A `lang` line names a language by its code; "pt-BR" and a forum's own
 * "it" are codes, "english" and "und" are not. */
MF_TEST(parse_lang_must_be_a_language_code)
{
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs = mf_ruleset_load_string("x.rules", CLAIM
	    "rule c.a\n score 6\n lang pt-BR\n match /a/\nend\n"
	    "rule c.b\n score 6\n lang it\n match /b/\nend\n"
	    "lexicon fil-w\n lang fil\n words /c/\nend\n", NULL, NULL, 0,
	    &d);

	MF_ASSERT_NOT_NULL(rs);
	MF_ASSERT(mf_ruleset_reads(rs, "pt"));
	MF_ASSERT(mf_ruleset_reads(rs, "IT-ch"));
	MF_ASSERT(!mf_ruleset_reads(rs, "en"));
	mf_ruleset_destroy(&rs);
	mf_diags_free(&d);
	s_expect_error(CLAIM "rule c.a\n score 6\n lang english\n"
	    " match /a/\nend\n", "x.rules:9:7", "'english' is not a "
	    "language code");
	s_expect_error(CLAIM "rule c.a\n score 6\n lang und\n"
	    " match /a/\nend\n", "x.rules:9:7", "'und' is not");
	s_expect_error(CLAIM "lexicon w\n lang e n\n words /c/\nend\n",
	    "x.rules:8:7", "'e n' is not");
}

MF_TEST(parse_every_lang_unless_goes_to_that_languages_rules)
{
	mf_ruleset_t	*rs = s_load_passing(
	    "define mock /\\bi.m sure\\b/\n" CLAIM
	    "rule c.en\n score 6\n lang en\n match /\\bjab\\b.{0,20}autism/\n"
	    " unless /\\bnot\\b/\n"
	    " expect match \"the jab gave him autism\"\n"
	    " expect nomatch \"the jab gave him autism, I'm sure\"\nend\n"
	    "rule c.fr\n score 6\n lang fr\n match /\\bvaccin\\b.{0,20}autisme/\n"
	    " expect match \"le vaccin donne l'autisme, I'm sure\"\nend\n"
	    "every en unless @mock\n");

	/* After the rule's own, below the rule or above it. */
	MF_ASSERT_EQ(2, mf_ruleset_rule(rs, 0)->nunless);
	MF_ASSERT_EQ(0, mf_ruleset_rule(rs, 1)->nunless);
	mf_ruleset_destroy(&rs);
	s_expect_error("every en @mock\n", "x.rules:1:1", "bad 'every' line");
	s_expect_error("every unless /x/\n", "x.rules:1:1",
	    "bad 'every' line");
	s_expect_error("every en unless x\n", "x.rules:1:17",
	    "expected a /pattern/");
}
