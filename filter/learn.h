/*
 * learn.h - a linear classifier beside the rules: how likely a post is to
 * make a misinformation claim, and which claim family it is nearest.
 *
 * Features are hashed from the normalized text (see normalize.h), so
 * obfuscation, case and accents are already undone: character 4- and
 * 5-grams across word boundaries (inflections, compounds, misspellings), words and
 * word pairs, and the post's language. The model is logistic regression
 * with its weights quantized to one byte each; the family hint is a
 * sparse table of the words that set each family apart.
 *
 * Pure: no I/O. The model file's bytes are decoded and encoded here and
 * read or written by the caller. Inference allocates nothing.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_LEARN_H
#define MF_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The version names the features as well as the layout: a model trained
 * on other features would load and answer nonsense. 2: character 5-grams
 * only (1 had 4-grams too); 3: the bias counts in a short post's share;
 * 4: the post's opening word with the mark after it. */
#define MF_MODEL_VERSION	4
#define MF_MODEL_MAGIC		"MFMODEL\n"

typedef struct mf_model mf_model_t;

/* ---- a trained model ---------------------------------------------------- */

/*
 * Decodes a model file. Checks the magic, the version, every size and the
 * checksum; 'name' is used in the error. NULL with 'err' set (MF_EWIRE for
 * a damaged or foreign file, MF_ENOMEM). OWNS: caller (mf_model_destroy).
 */
mf_model_t	*mf_model_decode(const void *buf, size_t len, const char *name,
		    mf_err_t *err);
/* The file's bytes. OWNS: *out (mf_free). 0, or -1 on ENOMEM. */
int		 mf_model_encode(const mf_model_t *self, unsigned char **out,
		    size_t *len);
void		 mf_model_destroy(mf_model_t **self_p);

/* BORROWS: 16 hex digits of the file's checksum. */
const char	*mf_model_hash(const mf_model_t *self);
unsigned	 mf_model_bits(const mf_model_t *self);
size_t		 mf_model_nclass(const mf_model_t *self);
/* BORROWS: the claim id of family 'i'. */
const char	*mf_model_class(const mf_model_t *self, size_t i);

/* The probability that 'text' (normalized, 'len' bytes) in language
 * 'lang' ("en", ...; NULL or "" when unknown) makes a claim. */
double		 mf_model_prob(const mf_model_t *self, const char *text,
		    size_t len, const char *lang);

/* The words that weigh most towards a claim, heaviest first: at most 'max'
 * spans of 'text' (byte offsets into the normalized text) with what each
 * added to the log-odds. Returns how many; (size_t)-1 on ENOMEM. */
typedef struct mf_feat_span {
	size_t	start, end;
	double	weight;
} mf_feat_span_t;

size_t		 mf_model_explain(const mf_model_t *self, const char *text,
		    size_t len, const char *lang, mf_feat_span_t *out,
		    size_t max);

/* The claim family 'text' is nearest to (an index for mf_model_class),
 * or -1 when no family's words are there; '*score' (may be NULL) how near:
 * the sum of that family's word weights found in 'text' (0 for none; a
 * post about the family scores in the tens, others mostly near 0). */
long		 mf_model_hint(const mf_model_t *self, const char *text,
		    size_t len, const char *lang, double *score);

/*
 * A post's features, taken once and read by each call below: a scanner
 * asks the probability of every post, and of some the family hint and
 * the explanation, of one text. The same answers as the calls above on
 * the text the features were taken from (the explanation reads 'text'
 * for its words). Zeroed to start; reused from post to post.
 */
typedef struct mf_feat {
	uint64_t	h;
	uint32_t	start, end;
} mf_feat_t;

typedef struct mf_feats {
	mf_feat_t	*v;
	size_t		 n, cap;
	size_t		 count;		/* features, as the model counts */
} mf_feats_t;

/* The features of 'text' into 'out'. 0, or -1 on ENOMEM or a text of
 * 512 MB or more. */
int		 mf_model_feats(const char *text, size_t len, const char *lang,
		    mf_feats_t *out);
void		 mf_feats_free(mf_feats_t *f);
double		 mf_model_prob_feats(const mf_model_t *self,
		    const mf_feats_t *f);
long		 mf_model_hint_feats(const mf_model_t *self,
		    const mf_feats_t *f, double *score);
size_t		 mf_model_explain_feats(const mf_model_t *self,
		    const mf_feats_t *f, const char *text, size_t len,
		    mf_feat_span_t *out, size_t max);

/* ---- learning from outcomes ---------------------------------------------- */

/* A change to one weight. */
typedef struct mf_model_delta {
	uint32_t	bucket;
	float		delta;
} mf_model_delta_t;

/*
 * One step towards 'label' on 'text' (a moderator's outcome): the weight
 * changes, one per bucket the text touches, that move the model's log-odds
 * on this text by about rate x (label - p), where p (into '*p' when not
 * NULL) is what the model said before. Only bucket numbers and amounts
 * come out; the text is not kept. OWNS: *out (mf_free). Returns how many,
 * or (size_t)-1 on ENOMEM.
 */
size_t		 mf_model_step(const mf_model_t *self, const char *text,
		    size_t len, const char *lang, int label, double rate,
		    mf_model_delta_t **out, double *p);

/* A copy of 'self' with the changes added, each weight kept within its
 * byte. The copy's hash is the original's: it is the same model taught.
 * OWNS: caller. NULL on ENOMEM or a bucket out of range. */
mf_model_t	*mf_model_with(const mf_model_t *self,
		    const mf_model_delta_t *d, size_t n);
/* In 'self', a copy of 'base' (mf_model_with), sets the weights of the
 * buckets of 'd' to base's plus d's amount (the sum taught so far): a
 * new lesson changes only the weights it touches. 0, or -1 for a bucket
 * out of range (nothing changed). */
int		 mf_model_retaught(mf_model_t *self, const mf_model_t *base,
		    const mf_model_delta_t *d, size_t n);

/* ---- training ----------------------------------------------------------- */

typedef struct mf_learn_opts {
	unsigned	bits;		/* log2 of the weight table (16..24) */
	unsigned	epochs;
	double		rate;		/* AdaGrad's step */
	double		l2;
	uint64_t	seed;		/* the order examples are shown in */
	unsigned	runs;		/* orders learnt in, weights averaged */
	unsigned	hint_per_class;	/* words kept per family */
} mf_learn_opts_t;

void		 mf_learn_defaults(mf_learn_opts_t *o);

typedef struct mf_learner mf_learner_t;

/* OWNS: caller (mf_learner_destroy). NULL on ENOMEM or bad options. */
mf_learner_t	*mf_learner_new(const mf_learn_opts_t *o);
void		 mf_learner_destroy(mf_learner_t **self_p);

/* One example: normalized 'text', 1 for a claim, 0 for anything else,
 * the claim id a claim belongs to (NULL: unknown) and how much it counts.
 * The text itself is not kept, only its hashed features. 0, or -1. */
int		 mf_learner_add(mf_learner_t *self, const char *text,
		    size_t len, const char *lang, int label,
		    const char *claim, double weight);
size_t		 mf_learner_count(const mf_learner_t *self);

/* Trains on every example added, deterministically (same examples, same
 * options: the same bytes). OWNS: caller. NULL on ENOMEM. */
mf_model_t	*mf_learner_train(mf_learner_t *self, mf_err_t *err);

#endif
