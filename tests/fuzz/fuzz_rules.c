/*
 * fuzz_rules.c - libFuzzer target for the rule reader and compiler: any
 * bytes as a rules file must load or be refused with located diagnostics,
 * never crash, hang or leak; a set that loads must run its own expect
 * lines and judge a post: as it comes, and with the language of its first
 * rule as the post's lang field, which the set then reads (no
 * lang_unsupported).
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "medflag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Judges 'p' ('size' bytes of body): every span inside the body; when
 * 'read', the post is in a language the set reads. */
static void
s_judge(mf_scanner_t *sc, const mf_ruleset_t *rs, mf_post_t *p,
    size_t size, int read)
{
	mf_verdict_t *v = NULL;

	if (mf_scan(sc, rs, NULL, p, 0, &v, NULL) != 0)
		return;
	for (size_t i = 0; i < v->nhits; i++)
		for (size_t j = 0; j < v->hits[i].nspans; j++)
			if (v->hits[i].spans[j].end > size ||
			    v->hits[i].spans[j].start >
			    v->hits[i].spans[j].end)
				abort();
	if (read && (v->flags & MF_VF_LANG_UNSUPPORTED))
		abort();
	mf_verdict_destroy(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text;
	mf_diags_t	 d = {0};
	mf_ruleset_t	*rs;

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rs = mf_ruleset_load_string("fuzz.rules", text, NULL, NULL,
	    MF_LOAD_NO_JIT, &d);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].where[0] == '\0' && d.v[i].severity ==
		    MF_DIAG_ERROR && strstr(d.v[i].msg, "memory") == NULL)
			abort();	/* every error names its place */
	if (rs != NULL) {
		mf_scanner_t	*sc = mf_scanner_new(NULL);
		mf_post_t	*p = mf_post_new_len("f", text, size);
		const char	*l = mf_ruleset_size(rs) > 0 ?
				    mf_ruleset_rule(rs, 0)->lang : NULL;

		if (sc && p) {
			(void)mf_ruleset_test(rs, sc, &d);
			s_judge(sc, rs, p, size, 0);
			if (l != NULL && (p->lang = mf_strdup(l)) != NULL)
				s_judge(sc, rs, p, size,
				    mf_ruleset_reads(rs, p->lang));
		}
		mf_post_destroy(&p);
		mf_scanner_destroy(&sc);
		mf_ruleset_destroy(&rs);
	}
	mf_diags_free(&d);
	free(text);
	return 0;
}
