/*
 * learn_test.c - the classifier: it learns, it is deterministic, its file
 * is checked, it explains itself.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "harness.h"
#include "hash.h"
#include "learn.h"

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
	    "en")));
	MF_ASSERT_STR_EQ("garlic-flu", mf_model_class(m,
	    (size_t)mf_model_hint(m, "raw garlic and the flu", 22, "en")));
	MF_ASSERT_EQ(-1, mf_model_hint(m, "zzz qqq", 7, "en"));
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
