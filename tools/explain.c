/*
 * explain.c - `medflag explain`: one post, the matches highlighted in the
 * original text, the score broken down by rule and source, each claim's
 * fact and evidence. What a moderator reads to see why a rule fired.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Prints 'text' with the spans of every hit marked: bold red on a
 * terminal, [[...]] otherwise. */
static void
s_highlight(const char *text, size_t len, const mf_verdict_t *v, int color)
{
	unsigned char *mark = calloc(len + 1, 1);

	if (mark == NULL)
		return;
	for (size_t i = 0; i < v->nhits; i++)
		for (size_t j = 0; j < v->hits[i].nspans; j++)
			for (size_t k = v->hits[i].spans[j].start;
			    v->hits[i].spans[j].field == MF_FIELD_BODY &&
			    k < v->hits[i].spans[j].end && k < len; k++)
				mark[k] = 1;
	for (size_t i = 0; i < len; i++) {
		if (mark[i] && (i == 0 || !mark[i - 1]))
			fputs(color ? "\033[1;31m" : "[[", stdout);
		fputc(text[i] == '\0' ? ' ' : text[i], stdout);
		if (mark[i] && !mark[i + 1])
			fputs(color ? "\033[0m" : "]]", stdout);
	}
	fputc('\n', stdout);
	free(mark);
}

/* The family hint's answer, to choose model-hint-question by. */
static void
s_print_hint(const mf_post_t *post, const mf_ruleset_t *rs,
    const mf_scanner_t *sc)
{
	const mf_model_t	*m = mf_ruleset_model(rs);
	const mf_norm_t		*n = mf_scanner_norm(sc);
	const char		*mt;
	double			 near;
	size_t			 mlen;
	long			 c;

	if (m == NULL || n->len == 0)
		return;
	mt = mf_scan_model_text(n, &mlen);
	c = mf_model_hint(m, mt, mlen, mf_post_lang(post, n), &near);
	if (c >= 0)
		printf("\nnearest claim family: %s (%.1f; model-hint-question "
		    "%g)\n", mf_model_class(m, (size_t)c), near,
		    mf_ruleset_policy(rs)->model_hint_question);
}

static void
s_print(const mf_post_t *post, const mf_verdict_t *v, const mf_ruleset_t *rs,
    const mf_scanner_t *sc, int normalized, int color)
{
	const mf_policy_t *pol = mf_ruleset_policy(rs);
	const char	  *lang = mf_post_lang(post, mf_scanner_norm(sc));

	printf("text:     ");
	s_highlight(post->body, post->body_len, v, color);
	if (normalized)
		printf("matched:  %s\n", mf_scanner_norm(sc)->text);
	printf("verdict:  %s (score %.1f; annotate >= %g, flag >= %g, "
	    "hold >= %g)\n", mf_action_name(v->action), v->score,
	    pol->annotate, pol->flag, pol->hold);
	if (v->status != MF_STATUS_OK)
		printf("status:   %s: %s\n", mf_status_name(v->status),
		    v->error ? v->error : "");
	for (unsigned b = 1; b < (1u << MF_VF_COUNT); b <<= 1)
		if (v->flags & b)
			printf("flag:     %s\n", mf_vflag_name(b));
	if (v->flags & MF_VF_LANG_UNSUPPORTED)
		printf("language: %s, which the rules and the model do not "
		    "read: every rule ran, the model did not, and the action "
		    "stops at %s (other-lang-max)\n", lang,
		    mf_action_name(pol->other_lang_max));
	else if (!mf_lang_ours(lang))
		printf("language: %s, read by the rules written for it (and "
		    "those without a language); the model, which never "
		    "learned it, did not run\n", lang);
	for (size_t i = 0; i < v->nhits; i++) {
		const mf_hit_t		*h = &v->hits[i];
		const mf_claim_t	*c = h->claim ?
					    mf_ruleset_claim(rs, h->claim) : NULL;

		printf("\nrule %s  (%s%s, %s, %+.1f)\n", h->rule,
		    mf_mode_name(h->mode), h->question ? ", question" : "",
		    h->tier ? h->tier : "no claim", h->score);
		if (h->probability > 0)
			printf("  probability %.3f that the post makes a claim"
			    "%s\n", h->probability, h->nspans ? "; the words "
			    "that weighed most:" : "");
		if (h->local > 0)
			printf("  stands though the model doubts the post: it "
			    "finds this sentence and the next like a claim "
			    "(probability %.3f; model-veto-local)\n",
			    h->local);
		if (h->probability > 0 && (v->flags & MF_VF_OFF_TOPIC))
			printf("  held below flag (model-max-off-topic): the "
			    "post lacks the words of every rule of its "
			    "claim\n");
		if (h->error)
			printf("  stopped: %s\n", h->error);
		for (size_t j = 0; j < h->nspans; j++) {
			const mf_span_t	*sp = &h->spans[j];
			size_t		 flen;
			const char	*f = mf_post_field(post, sp->field,
					    &flen);

			printf("  %s %zu: %s bytes %zu-%zu \"%.*s\"\n",
			    h->probability > 0 ? "word" : "match", j + 1,
			    mf_field_name(sp->field), sp->start, sp->end,
			    sp->end <= flen ? (int)(sp->end - sp->start) : 0,
			    sp->end <= flen ? f + sp->start : "");
		}
		if (c) {
			printf("  claim:    %s\n", c->title);
			printf("  fact:     %s\n", c->fact);
			for (size_t e = 0; e < c->nevidence; e++)
				printf("  evidence: %s\n", c->evidence[e]);
		}
	}
	for (size_t i = 0; i < v->nsources; i++) {
		const mf_srcref_t *s = &v->sources[i];
		double add = s->list == MF_LIST_UNRELIABLE ?
		    pol->source_unreliable : s->list == MF_LIST_VETTED ?
		    pol->source_vetted : 0;

		printf("%ssource %s  (%s, %+.1f)  %s\n", i == 0 ? "\n" : "",
		    s->domain, mf_list_name(s->list), add, s->url);
	}
	for (size_t i = 0; i < v->nsuppressed; i++) {
		const mf_hit_t	*h = &v->suppressed[i];

		printf("%srule %s  suppressed: unless /%.60s%s/ at bytes "
		    "%zu-%zu \"%.*s\"\n", i == 0 ? "\n" : "", h->rule,
		    h->unless, strlen(h->unless) > 60 ? "..." : "",
		    h->unless_span.start, h->unless_span.end,
		    (int)(h->unless_span.end - h->unless_span.start),
		    post->body + h->unless_span.start);
	}
	if (v->nhits == 0 && v->nsources == 0)
		printf("\nno rule matched.\n");
	s_print_hint(post, rs, sc);
}

int
mf_cli_explain_json(mf_scanner_t *sc, const mf_ruleset_t *rs,
    const mf_sources_t *src, const mf_post_t *post, unsigned opts,
    mf_buf_t *out, mf_err_t *err)
{
	mf_verdict_t	*v = NULL;
	int		 rc;

	if (mf_scan(sc, rs, src, post, opts | MF_SCAN_EXPLAIN, &v, err) == -1)
		return -1;
	rc = mf_wire_encode_verdict_json(v, out, err);
	mf_verdict_destroy(&v);
	return rc;
}

int
mf_cmd_explain(int argc, char **argv, const mf_cli_t *cli)
{
	const char	*dir = NULL, *arg = NULL;
	int		 json = 0, normalized = 0, rc = 1, quotes = 0;
	unsigned	 opts;
	mf_format_t	 fmt = MF_FMT_TEXT;
	mf_ruleset_t	*rs = NULL;
	mf_sources_t	*src = NULL;
	mf_scanner_t	*sc = NULL;
	mf_post_t	*post = NULL;
	mf_verdict_t	*v = NULL;
	mf_err_t	 err = {0};
	char		*text = NULL;
	size_t		 len = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--normalized") == 0)
			normalized = 1;
		else if (strcmp(argv[i], "--quotes") == 0)
			quotes = 1;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (mf_format_parse(argv[++i], &fmt) == -1) {
				fprintf(stderr, "medflag explain: unknown "
				    "format '%s' (text, markdown, bbcode, "
				    "html, wikitext)\n", argv[i]);
				return 2;
			}
		} else if (arg == NULL && (argv[i][0] != '-' ||
		    strcmp(argv[i], "-") == 0))
			arg = argv[i];
		else {
			fprintf(stderr, "usage: medflag explain [--rules DIR] "
			    "[--json] [--normalized] [--quotes] [--format F] "
			    "TEXT|-\n");
			return 2;
		}
	}
	if (arg == NULL) {
		fprintf(stderr, "usage: medflag explain [--rules DIR] [--json] "
		    "[--normalized] [--format F] TEXT|-\n");
		return 2;
	}
	if (dir == NULL)
		dir = mf_cli_rules_dir();
	if (strcmp(arg, "-") == 0) {
		if ((text = mf_cli_slurp("-", &len)) == NULL)
			return 1;
	} else if ((text = strdup(arg)) != NULL)
		len = strlen(text);
	if (text == NULL || (rs = mf_cli_load_rules(dir, &src,
	    MF_CLI_QUIET)) == NULL ||
	    (sc = mf_scanner_new(&err)) == NULL ||
	    (post = mf_post_new_len("explain", text, len)) == NULL)
		goto out;
	post->body_format = fmt;
	opts = quotes ? MF_SCAN_KEEP_QUOTES : 0;
	if (json) {
		mf_buf_t out = {0};

		if (mf_cli_explain_json(sc, rs, src, post, opts, &out,
		    &err) == 0)
			printf("%s\n", out.data);
		mf_buf_free(&out);
		if (err.code != 0) {
			fprintf(stderr, "medflag explain: %s\n", err.msg);
			goto out;
		}
	} else if (mf_scan(sc, rs, src, post, opts | MF_SCAN_EXPLAIN, &v,
	    &err) == -1) {
		fprintf(stderr, "medflag explain: %s\n", err.msg);
		goto out;
	} else
		s_print(post, v, rs, sc, normalized, cli->color);
	rc = 0;
out:
	mf_verdict_destroy(&v);
	mf_post_destroy(&post);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	free(text);
	return rc;
}
