/*
 * learn_test.c - the classifier: it learns, it is deterministic, its file
 * is checked, it explains itself, and the scanner uses it as policy says.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "hash.h"
#include "medflag.h"
#include "ruleset_internal.h"

static const char *const s_claims[] = {
	"garlic cures the flu, my whole family took it and nobody got sick",
	"raw garlic cures flu faster than any pill",
	"just eat garlic, it cures the flu every time",
	"magnets heal arthritis, wear the bracelet day and night",
	"my magnet bracelet healed my arthritis in a week",
	"copper magnets heal arthritis pain for good",
};
static const char *const s_other[] = {
	"the flu shot is offered at the pharmacy this week",
	"garlic bread recipe for the family dinner tonight",
	"does anyone know a good physiotherapist for arthritis",
	"my doctor changed my arthritis medication and it helps",
	"we had the flu last winter and stayed home for a week",
	"the weather is cold, wear a warm coat",
};

static mf_model_t *
s_train(mf_learn_opts_t *o)
{
	mf_learner_t	*l = mf_learner_new(o);
	mf_model_t	*m;
	mf_err_t	 err;

	MF_ASSERT_NOT_NULL(l);
	for (size_t i = 0; i < 6; i++) {
		MF_ASSERT_EQ(0, mf_learner_add(l, s_claims[i],
		    strlen(s_claims[i]), "en", 1, i < 3 ? "garlic-flu" :
		    "magnet-arthritis", 1));
		MF_ASSERT_EQ(0, mf_learner_add(l, s_other[i],
		    strlen(s_other[i]), "en", 0, NULL, 1));
	}
	MF_ASSERT_EQ(12, mf_learner_count(l));
	m = mf_learner_train(l, &err);
	mf_learner_destroy(&l);
	return m;
}

static mf_model_t *
s_small(void)
{
	mf_learn_opts_t o;

	mf_learn_defaults(&o);
	o.bits = 16;
	o.epochs = 20;
	o.hint_per_class = 50;
	return s_train(&o);
}

static double
s_p(const mf_model_t *m, const char *t)
{
	return mf_model_prob(m, t, strlen(t), "en");
}

MF_TEST(learn_separates_claims)
{
	mf_model_t *m = s_small();

	MF_ASSERT_NOT_NULL(m);
	for (size_t i = 0; i < 6; i++) {
		MF_ASSERT(s_p(m, s_claims[i]) > 0.5);
		MF_ASSERT(s_p(m, s_other[i]) < 0.5);
	}
	/* Unseen phrasings lean the right way. */
	MF_ASSERT(s_p(m, "garlic cures flu!!") > s_p(m, "garlic bread"));
	MF_ASSERT(s_p(m, "these magnets heal arthritis") >
	    s_p(m, "a physiotherapist for my arthritis"));
	mf_model_destroy(&m);
}

/* A word or two is little evidence: it leans to the bias, less than a
 * whole claim in the same words. */
MF_TEST(learn_short_posts_say_little)
{
	mf_model_t	*m = s_small();
	double		 one = s_p(m, "garlic"), all = s_p(m, s_claims[1]);

	MF_ASSERT(fabs(one - 0.5) < fabs(all - 0.5));
	MF_ASSERT(one > 0.1 && one < 0.9);
	mf_model_destroy(&m);
}

MF_TEST(learn_is_deterministic)
{
	mf_model_t	*a = s_small(), *b = s_small();
	unsigned char	*ba, *bb;
	size_t		 la, lb;

	MF_ASSERT_EQ(0, mf_model_encode(a, &ba, &la));
	MF_ASSERT_EQ(0, mf_model_encode(b, &bb, &lb));
	MF_ASSERT_EQ(la, lb);
	MF_ASSERT(memcmp(ba, bb, la) == 0);
	MF_ASSERT_STR_EQ(mf_model_hash(a), mf_model_hash(b));
	mf_free(ba);
	mf_free(bb);
	mf_model_destroy(&a);
	mf_model_destroy(&b);
}

/* Runs in other orders, averaged: another model, as able; no runs, or
 * more than the limit, is a bad option. */
MF_TEST(learn_runs_averaged)
{
	mf_learn_opts_t	 o;
	mf_model_t	*one, *four;

	mf_learn_defaults(&o);
	MF_ASSERT_EQ(4, o.runs);
	o.bits = 16;
	o.epochs = 20;
	o.hint_per_class = 50;
	four = s_train(&o);
	o.runs = 1;
	one = s_train(&o);
	MF_ASSERT_NOT_NULL(one);
	MF_ASSERT_NOT_NULL(four);
	MF_ASSERT(strcmp(mf_model_hash(one), mf_model_hash(four)) != 0);
	for (size_t i = 0; i < 6; i++) {
		MF_ASSERT(s_p(four, s_claims[i]) > 0.5);
		MF_ASSERT(s_p(four, s_other[i]) < 0.5);
	}
	o.runs = 0;
	MF_ASSERT_NULL(mf_learner_new(&o));
	o.runs = 65;
	MF_ASSERT_NULL(mf_learner_new(&o));
	mf_model_destroy(&one);
	mf_model_destroy(&four);
}

/* The family hint keeps the words most of a family's claims share, not
 * the rare ones of two posts each: eight claims of one family name
 * "magnets" (two of the other family's do too) and each pair of them has
 * words of its own; with a table of 40 features a family, "magnets"
 * alone must still name its family. Chosen by log-odds alone, the pairs'
 * words (never seen elsewhere) filled the table and it named none. */
MF_TEST(learn_hint_keeps_shared_words)
{
	static const char *const rare[] = { "tuesday pebbles", "violet "
	    "harbour", "crimson lantern", "quiet meadow" };
	mf_learn_opts_t	 o;
	mf_learner_t	*l;
	mf_model_t	*m;
	mf_err_t	 err;
	char		 t[128];
	double		 near = 0;
	long		 c;

	mf_learn_defaults(&o);
	o.bits = 16;
	o.epochs = 5;
	o.runs = 1;
	o.hint_per_class = 40;
	MF_ASSERT_NOT_NULL(l = mf_learner_new(&o));
	for (size_t i = 0; i < 8; i++) {
		snprintf(t, sizeof(t), "magnets %s", rare[i / 2]);
		MF_ASSERT_EQ(0, mf_learner_add(l, t, strlen(t), "en", 1,
		    "magnet-arthritis", 1));
		snprintf(t, sizeof(t), "%sgarlic cures flu %zu",
		    i < 2 ? "magnets and " : "", i);
		MF_ASSERT_EQ(0, mf_learner_add(l, t, strlen(t), "en", 1,
		    "garlic-flu", 1));
	}
	MF_ASSERT_NOT_NULL(m = mf_learner_train(l, &err));
	mf_learner_destroy(&l);
	c = mf_model_hint(m, "magnets", 7, "en", &near);
	MF_ASSERT(c >= 0);
	MF_ASSERT_STR_EQ("magnet-arthritis", mf_model_class(m, (size_t)c));
	MF_ASSERT(near > 0);
	mf_model_destroy(&m);
}

/* More families than the hint keeps its sums for on the stack (256): the
 * same answer from sums on the heap. */
MF_TEST(learn_hint_many_families)
{
	mf_learn_opts_t	 o;
	mf_learner_t	*l;
	mf_model_t	*m;
	mf_err_t	 err;
	char		 t[64], id[32];
	long		 c;

	mf_learn_defaults(&o);
	o.bits = 16;
	o.epochs = 1;
	o.runs = 1;
	MF_ASSERT_NOT_NULL(l = mf_learner_new(&o));
	for (size_t i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "family-%zu", i);
		for (size_t k = 0; k < 2; k++) {
			snprintf(t, sizeof(t), "zq%zux cures it %zu", i, k);
			MF_ASSERT_EQ(0, mf_learner_add(l, t, strlen(t), "en",
			    1, id, 1));
		}
	}
	MF_ASSERT_NOT_NULL(m = mf_learner_train(l, &err));
	mf_learner_destroy(&l);
	MF_ASSERT_EQ(300, mf_model_nclass(m));
	c = mf_model_hint(m, "zq287x", 6, "en", NULL);
	MF_ASSERT(c >= 0);
	MF_ASSERT_STR_EQ("family-287", mf_model_class(m, (size_t)c));
	mf_model_destroy(&m);
}

MF_TEST(learn_file_round_trip_and_damage)
{
	mf_model_t	*m = s_small(), *d;
	unsigned char	*b;
	size_t		 n;
	mf_err_t	 err;
	const char	*t = "garlic cures the flu";

	MF_ASSERT_EQ(0, mf_model_encode(m, &b, &n));
	d = mf_model_decode(b, n, "m", &err);
	MF_ASSERT_NOT_NULL(d);
	MF_ASSERT_STR_EQ(mf_model_hash(m), mf_model_hash(d));
	MF_ASSERT(fabs(s_p(m, t) - s_p(d, t)) < 1e-12);
	MF_ASSERT_EQ(2, mf_model_nclass(d));
	MF_ASSERT_STR_EQ("garlic-flu", mf_model_class(d, 0));
	mf_model_destroy(&d);
	/* One byte changed anywhere: the checksum says so. */
	b[n / 2] ^= 1;
	MF_ASSERT_NULL(mf_model_decode(b, n, "m", &err));
	MF_ASSERT_EQ(MF_EWIRE, err.code);
	MF_ASSERT_STR_CONTAINS(err.msg, "checksum");
	b[n / 2] ^= 1;
	/* Cut short, or not a model at all. */
	for (size_t k = 0; k < n; k += n / 7 + 1)
		MF_ASSERT_NULL(mf_model_decode(b, k, "m", &err));
	MF_ASSERT_NULL(mf_model_decode("# rules\n", 8, "m", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "not a medflag model");
	/* Another version, checksum made right: refused by version. */
	b[8] = 9;
	{
		uint64_t sum = mf_fnv64(MF_FNV64_INIT, b, n - 8);

		for (int i = 0; i < 8; i++)
			b[n - 8 + (size_t)i] = (unsigned char)(sum >> (8 * i));
	}
	MF_ASSERT_NULL(mf_model_decode(b, n, "m", &err));
	MF_ASSERT_STR_CONTAINS(err.msg, "version");
	mf_free(b);
	mf_model_destroy(&m);
}

MF_TEST(learn_explains_and_hints)
{
	mf_model_t	*m = s_small();
	mf_feat_span_t	 fs[3];
	double		 near = -1;
	const char	*t = "the weather is cold but garlic cures the flu";
	size_t		 n = mf_model_explain(m, t, strlen(t), "en", fs, 3);
	int		 named = 0;

	MF_ASSERT(n >= 1 && n <= 3);
	for (size_t i = 0; i < n; i++) {
		MF_ASSERT(fs[i].weight > 0);
		MF_ASSERT(i == 0 || fs[i].weight <= fs[i - 1].weight);
		named |= strncmp(t + fs[i].start, "cures",
		    fs[i].end - fs[i].start) == 0 ||
		    strncmp(t + fs[i].start, "garlic",
		    fs[i].end - fs[i].start) == 0;
	}
	MF_ASSERT(named);
	MF_ASSERT_STR_EQ("magnet-arthritis", mf_model_class(m,
	    (size_t)mf_model_hint(m, "magnet bracelet for arthritis", 29,
	    "en", &near)));
	MF_ASSERT(near > 0);
	MF_ASSERT_STR_EQ("garlic-flu", mf_model_class(m,
	    (size_t)mf_model_hint(m, "raw garlic and the flu", 22, "en",
	    NULL)));
	MF_ASSERT_EQ(-1, mf_model_hint(m, "zzz qqq", 7, "en", &near));
	MF_ASSERT(near == 0);
	mf_model_destroy(&m);
}

MF_TEST(learn_oom_loop)
{
	mf_learn_opts_t	o;
	int		done = 0;

	mf_learn_defaults(&o);
	o.bits = 12;
	o.epochs = 2;
	for (size_t n = 1; !done && n < 2000; n++) {
		mf_learner_t	*l;
		mf_model_t	*m = NULL;

		mf_alloc_fail_after(n, 0);
		if ((l = mf_learner_new(&o)) != NULL &&
		    mf_learner_add(l, s_claims[0], strlen(s_claims[0]), "en",
		    1, "garlic-flu", 1) == 0 &&
		    mf_learner_add(l, s_other[0], strlen(s_other[0]), "en",
		    0, NULL, 1) == 0)
			m = mf_learner_train(l, NULL);
		done = !mf_alloc_failed();
		mf_alloc_fail_after(0, 0);
		if (done)
			MF_ASSERT_NOT_NULL(m);
		mf_model_destroy(&m);
		mf_learner_destroy(&l);
	}
	MF_ASSERT(done);
}

/* The scanner: bands, review, veto, and never a hold from the model. */
static mf_verdict_t *
s_scan(mf_ruleset_t *rs, const char *text)
{
	mf_scanner_t	*sc = mf_scanner_new(NULL);
	mf_post_t	*p = mf_post_new("p1", text);
	mf_verdict_t	*v = NULL;

	MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p, 0, &v, NULL));
	mf_post_destroy(&p);
	mf_scanner_destroy(&sc);
	return v;
}

static const mf_hit_t *
s_model_hit(const mf_verdict_t *v)
{
	for (size_t i = 0; i < v->nhits; i++)
		if (strcmp(v->hits[i].rule, "model") == 0)
			return &v->hits[i];
	return NULL;
}

/* Two claims, and a rule of one part for the first. */
#define S_RULES \
	"claim garlic-flu\n  title Garlic cures the flu\n" \
	"  fact It does not.\n  evidence https://www.cdc.gov/flu/\n" \
	"  tier harmful\nend\n" \
	"claim magnet-arthritis\n  title Magnets heal arthritis\n" \
	"  fact They do not.\n  evidence https://www.nccih.nih.gov/\n" \
	"  tier misleading\nend\n" \
	"rule garlic-flu.weather\n  score 6\n  match /weather/\nend\n"

static mf_ruleset_t *
s_rules(mf_mode_t mode, double hold)
{
	static const char text[] = S_RULES;
	mf_policy_t	 pol;
	mf_diags_t	 d = { 0 };
	mf_ruleset_t	*rs;

	mf_policy_defaults(&pol);
	pol.model_mode = mode;
	pol.model_review = 0.5;
	pol.model_veto = 0.3;
	pol.model_max = 9;
	pol.hold = hold;
	rs = mf_ruleset_load_string("t.rules", text, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	rs->model = s_small();
	MF_ASSERT_NOT_NULL(rs->model);
	mf_diags_free(&d);
	return rs;
}

MF_TEST(learn_in_the_verdict)
{
	mf_ruleset_t	*rs = s_rules(MF_MODE_ENFORCE, 5.5);
	mf_verdict_t	*v;
	const mf_hit_t	*h;
	const char	*t = "raw garlic cures flu, take it every day";

	/* No rule names it: the model's hit carries the family, its
	 * evidence, the words that weighed most; review. It may flag but
	 * not hold, though its score is past the hold bar. */
	v = s_scan(rs, t);
	h = s_model_hit(v);
	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT(h->probability > 0.5 && h->probability <= 1);
	MF_ASSERT(h->score > 0);
	MF_ASSERT_STR_EQ("garlic-flu", h->claim);
	MF_ASSERT(h->nspans >= 1);
	MF_ASSERT(h->spans[0].end <= strlen(t));
	MF_ASSERT(v->flags & MF_VF_REVIEW);
	MF_ASSERT(v->action >= MF_ACT_ANNOTATE);
	MF_ASSERT(v->action <= MF_ACT_FLAG);
	MF_ASSERT_EQ(1, v->nevidence);
	mf_verdict_destroy(&v);
	/* A few words are no evidence for the model alone, however it
	 * leans on them. */
	MF_ASSERT(s_p(rs->model, "garlic cures flu") > 0.5);
	v = s_scan(rs, "garlic cures flu");
	MF_ASSERT_NULL(s_model_hit(v));
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	/* A rule hit in a post the model finds unlike a claim: vetoed
	 * (score 6 x 0.4), and the model's hit says so. */
	v = s_scan(rs, "the weather is cold, wear a warm coat");
	MF_ASSERT_NOT_NULL(s_model_hit(v));
	MF_ASSERT(s_model_hit(v)->probability < 0.3);
	MF_ASSERT(v->score < 2.4 + 1e-9);
	MF_ASSERT(v->action < MF_ACT_FLAG);
	mf_verdict_destroy(&v);
	/* Vetoed to nothing (model-veto-scale 0): the rule's hit stays
	 * with score 0, and the model's hit says why. */
	rs->policy.model_veto_scale = 0;
	v = s_scan(rs, "the weather is cold, wear a warm coat");
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT(v->score == 0);
	MF_ASSERT_NOT_NULL(s_model_hit(v));
	MF_ASSERT(s_model_hit(v)->probability < 0.3);
	MF_ASSERT_STR_EQ("garlic-flu", s_model_hit(v)->claim);
	mf_verdict_destroy(&v);
	/* A post of a few words vetoes from model-veto-short: at 0 the
	 * rule's hit stands (with model-min 0, as in rules/: the model
	 * takes nothing away); the same words at length are still vetoed. */
	rs->policy.model_veto_short = 0;
	rs->policy.model_min = 0;
	v = s_scan(rs, "the weather is cold, wear a warm coat");
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	MF_ASSERT(v->score >= 6);
	mf_verdict_destroy(&v);
	v = s_scan(rs, "the weather is cold, wear a warm coat, and the "
	    "weather will be cold all week, wear a warm coat");
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT_NOT_NULL(s_model_hit(v));
	MF_ASSERT(s_model_hit(v)->probability < 0.3);
	mf_verdict_destroy(&v);
	/* model-veto-words moves what counts as a few words: at 21, the
	 * same 20 words are a short post and the rule's hit stands. */
	rs->policy.model_veto_words = 21;
	v = s_scan(rs, "the weather is cold, wear a warm coat, and the "
	    "weather will be cold all week, wear a warm coat");
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	mf_verdict_destroy(&v);
	rs->policy.model_veto_words = MF_VETO_WORDS;
	rs->policy.model_veto_short = -1;
	rs->policy.model_min = -5;
	mf_ruleset_destroy(&rs);
	/* Shadow: reported with score 0, nothing changes. */
	rs = s_rules(MF_MODE_SHADOW, 9);
	v = s_scan(rs, t);
	h = s_model_hit(v);
	MF_ASSERT_NOT_NULL(h);
	MF_ASSERT_EQ(MF_MODE_SHADOW, h->mode);
	MF_ASSERT(h->score == 0);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT(!(v->flags & MF_VF_REVIEW));
	mf_verdict_destroy(&v);
	v = s_scan(rs, "the weather is cold, wear a warm coat");
	MF_ASSERT(v->score == 6);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
}

/* model-veto-local: in a long post, a rule hit the veto would cancel
 * stands where the model finds its sentence and the next like a claim. */
MF_TEST(learn_veto_local)
{
	mf_ruleset_t	*rs = s_rules(MF_MODE_ENFORCE, 9);
	mf_verdict_t	*v;
	const char	*t = "the flu shot is offered at the pharmacy this "
			    "week. does anyone know a good physiotherapist "
			    "for arthritis. my doctor changed my arthritis "
			    "medication and it helps. garlic cures the flu "
			    "in this weather, eat raw garlic every day.";
	const char	*w = "garlic cures the flu in this weather, eat raw "
			    "garlic every day.";

	rs->policy.model_veto_scale = 0;
	rs->policy.model_min = 0;	/* as in rules/ */
	MF_ASSERT(s_p(rs->model, t) < rs->policy.model_veto);
	MF_ASSERT(s_p(rs->model, w) >= rs->policy.model_veto);
	/* Off: the post's view vetoes the rule's hit. */
	v = s_scan(rs, t);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	/* On, from 10 words: the hit's sentence reads like a claim. */
	rs->policy.model_veto_local = 10;
	v = s_scan(rs, t);
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	MF_ASSERT(v->score >= 6);
	MF_ASSERT_STR_EQ("garlic-flu.weather", v->hits[0].rule);
	MF_ASSERT(v->hits[0].local >= rs->policy.model_veto);
	mf_verdict_destroy(&v);
	/* model-veto-local-min: a post the model finds less like a claim
	 * than that keeps the veto in every sentence; above it, the
	 * sentence's view stands as before. */
	rs->policy.model_veto_local_min = s_p(rs->model, t) + 0.001;
	v = s_scan(rs, t);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	rs->policy.model_veto_local_min = s_p(rs->model, t) - 0.001;
	MF_ASSERT(rs->policy.model_veto_local_min > 0);
	v = s_scan(rs, t);
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	mf_verdict_destroy(&v);
	rs->policy.model_veto_local_min = -1;
	/* A post shorter than that keeps the post's view. */
	rs->policy.model_veto_local = 100;
	v = s_scan(rs, t);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
}

/* 'text' with the small model enforcing, from p 0.5 to review, weight 4:
 * the model flags a post alone. */
static mf_ruleset_t *
s_rules_alone(const char *text)
{
	mf_policy_t	 pol;
	mf_diags_t	 d = { 0 };
	mf_ruleset_t	*rs;

	mf_policy_defaults(&pol);
	pol.model_mode = MF_MODE_ENFORCE;
	pol.model_review = 0.5;
	pol.model_weight = 4;
	rs = mf_ruleset_load_string("t.rules", text, &pol, NULL, 0, &d);
	MF_ASSERT_NOT_NULL(rs);
	mf_diags_free(&d);
	rs->model = s_small();
	MF_ASSERT_NOT_NULL(rs->model);
	return rs;
}

/* model-max-off-topic: alone, the model flags a post that holds the
 * words of the claim it names (all the parts of a rule of it but one),
 * and only sends to review one that does not. */
MF_TEST(learn_off_topic_reaches_review)
{
	static const char text[] = S_RULES
	    "rule magnet-arthritis.heal\n  score 6\n  match /magnet/\n"
	    "  match /arthritis/\n  match /for good/\nend\n";
	const char	*off = "raw garlic cures flu, take it every day";
	const char	*on = "my magnet bracelet healed my arthritis, wear "
			    "it day and night";
	mf_ruleset_t	*rs = s_rules_alone(text);
	mf_verdict_t	*v;

	/* Off: the model flags both alone. */
	v = s_scan(rs, off);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_STR_EQ("garlic-flu", s_model_hit(v)->claim);
	mf_verdict_destroy(&v);
	v = s_scan(rs, on);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_STR_EQ("magnet-arthritis", s_model_hit(v)->claim);
	MF_ASSERT_EQ(1, v->nhits);	/* no rule hit: two parts of three */
	mf_verdict_destroy(&v);
	/* On: the post without "weather", the one part of garlic-flu's
	 * rule, goes to review; the one with two parts of three flags. */
	rs->policy.model_max_off_topic = 4.9;
	v = s_scan(rs, off);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT(v->flags & MF_VF_REVIEW);
	MF_ASSERT(v->flags & MF_VF_OFF_TOPIC);
	MF_ASSERT(s_model_hit(v)->score == 4.9);
	MF_ASSERT_STR_EQ("garlic-flu", s_model_hit(v)->claim);
	MF_ASSERT_EQ(1, v->nevidence);
	mf_verdict_destroy(&v);
	v = s_scan(rs, on);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT(!(v->flags & MF_VF_OFF_TOPIC));
	mf_verdict_destroy(&v);
	/* Without the prefilter there is nothing to tell by: no cap. */
	{
		mf_scanner_t	*sc = mf_scanner_new(NULL);
		mf_post_t	*p = mf_post_new("p1", off);

		MF_ASSERT_EQ(0, mf_scan(sc, rs, NULL, p,
		    MF_SCAN_NO_PREFILTER, &v, NULL));
		MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
		mf_verdict_destroy(&v);
		mf_post_destroy(&p);
		mf_scanner_destroy(&sc);
	}
	mf_ruleset_destroy(&rs);
}

/* A question the model finds unlike a claim, about a claim family's
 * words: with model-hint-question it gets that family's evidence and the
 * review flag, without a score; a question about nothing it knows, and a
 * post that asks nothing, do not. */
MF_TEST(learn_hint_answers_questions)
{
	mf_ruleset_t	*rs = s_rules(MF_MODE_ENFORCE, 9);
	mf_verdict_t	*v;
	const char	*q = "does anyone know if magnets help arthritis?";

	rs->policy.model_review = -1;
	v = s_scan(rs, q);
	MF_ASSERT(s_model_hit(v) == NULL ||
	    s_model_hit(v)->probability < 0.5);
	MF_ASSERT(!(v->flags & MF_VF_REVIEW));
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	rs->policy.model_hint_question = 30;
	v = s_scan(rs, q);
	MF_ASSERT_NOT_NULL(s_model_hit(v));
	MF_ASSERT_STR_EQ("magnet-arthritis", s_model_hit(v)->claim);
	MF_ASSERT(s_model_hit(v)->score == 0);
	MF_ASSERT(v->flags & MF_VF_REVIEW);
	MF_ASSERT_EQ(MF_ACT_ANNOTATE, v->action);
	MF_ASSERT_EQ(1, v->nevidence);
	mf_verdict_destroy(&v);
	v = s_scan(rs, "copper magnets are on sale at the market.");
	MF_ASSERT(!(v->flags & MF_VF_REVIEW));
	mf_verdict_destroy(&v);
	v = s_scan(rs, "what time does the market open?");
	MF_ASSERT(!(v->flags & MF_VF_REVIEW));
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
}

/* model-near: alone, the model acts on a post that names a health topic
 * (the named pattern health-topic) or lies near a claim family by its
 * words; not on one in the voice of a claim about nothing it knows. A
 * reply to a quote is exempt: the reply alone says little of its topic. */
MF_TEST(learn_near_needs_a_topic)
{
	static const char text[] = S_RULES "define health-topic /\\bsick\\b/\n";
	const char	*voice = "wear it day and night, faster than any pill, "
			    "for good";
	const char	*topic = "took it every day and night, nobody got sick";
	const char	*near = "raw garlic cures flu, take it every day";
	const char	*reply = "> what do you take?\n\nwear it day and "
			    "night, faster than any pill, for good";
	mf_ruleset_t	*rs = s_rules_alone(text);
	mf_verdict_t	*v;

	/* Off: the model flags all four alone. */
	v = s_scan(rs, voice);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	mf_verdict_destroy(&v);
	rs->policy.model_near = 20;
	v = s_scan(rs, voice);
	MF_ASSERT_EQ(MF_ACT_NONE, v->action);
	MF_ASSERT(s_model_hit(v) == NULL);
	MF_ASSERT(!(v->flags & MF_VF_REVIEW));
	mf_verdict_destroy(&v);
	v = s_scan(rs, topic);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_NOT_NULL(s_model_hit(v));
	mf_verdict_destroy(&v);
	v = s_scan(rs, near);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	MF_ASSERT_STR_EQ("garlic-flu", s_model_hit(v)->claim);
	mf_verdict_destroy(&v);
	v = s_scan(rs, reply);
	MF_ASSERT(v->flags & MF_VF_QUOTES_SKIPPED);
	MF_ASSERT_EQ(MF_ACT_FLAG, v->action);
	mf_verdict_destroy(&v);
	/* A rule's hit is not the model alone: the cap does not apply. */
	v = s_scan(rs, "wear it in any weather, faster than any pill");
	MF_ASSERT(v->action >= MF_ACT_FLAG);
	mf_verdict_destroy(&v);
	mf_ruleset_destroy(&rs);
}
