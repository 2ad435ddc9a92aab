/*
 * check.c - `medflag check TEXT|-`: one post through medflagd's check
 * endpoint, the verdict printed for a person (or as JSON with --json).
 *
 * Not responsible for judging offline: `medflag explain` does that
 * without a service.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

typedef struct s_check {
	const mf_post_t	*post;
	int		 json, color, done;
	mf_action_t	 action;	/* of the verdict, once done */
	int		 shadow;	/* it is flagged shadow */
} s_check_t;

/* Prints body[start, end) on one line, at most 100 bytes, control
 * characters shown as spaces. */
static void
s_excerpt(FILE *fp, const mf_post_t *post, const mf_span_t *sp)
{
	size_t		 s = sp->start, e = sp->end, len;
	const char	*text;

	if (post == NULL)
		return;
	text = mf_post_field(post, sp->field, &len);
	if (s >= e || e > len)
		return;
	if (e - s > 100)
		e = s + 100;
	fputc('"', fp);
	for (size_t i = s; i < e; i++) {
		unsigned char c = (unsigned char)text[i];

		fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
	}
	fputs(e < sp->end ? "...\"" : "\"", fp);
}

static const char *
s_action_color(mf_action_t a)
{
	switch (a) {
	case MF_ACT_BLOCK:
	case MF_ACT_HOLD:	return "\033[1;31m";
	case MF_ACT_FLAG:	return "\033[1;33m";
	case MF_ACT_ANNOTATE:	return "\033[1;36m";
	default:		return "\033[1;32m";
	}
}

/* The readable form of a verdict; 'post' (may be NULL) supplies the text
 * of the matched spans. */
static void
s_print(FILE *fp, const mf_verdict_t *v, const mf_post_t *post, int color)
{
	fprintf(fp, "post %s: %s%s%s  score %.1f  status %s\n",
	    v->post_id ? v->post_id : "?", color ? s_action_color(v->action) :
	    "", mf_action_name(v->action), color ? "\033[0m" : "", v->score,
	    mf_status_name(v->status));
	if (v->error != NULL)
		fprintf(fp, "  error: %s\n", v->error);
	for (size_t i = 0; i < v->nhits; i++) {
		const mf_hit_t *h = &v->hits[i];

		fprintf(fp, "  claim %s  rule %s  (%s%s%s, +%.1f%s)\n",
		    h->claim ? h->claim : "?", h->rule ? h->rule : "?",
		    h->tier ? h->tier : "", h->tier ? ", " : "",
		    mf_mode_name(h->mode), h->score,
		    h->question ? ", asked as a question" : "");
		if (h->error != NULL)
			fprintf(fp, "    limit: %s\n", h->error);
		for (size_t j = 0; j < h->nspans; j++) {
			fprintf(fp, "    matched %s[%zu,%zu) ",
			    h->spans[j].field == MF_FIELD_TITLE ? "title " :
			    "", h->spans[j].start, h->spans[j].end);
			s_excerpt(fp, post, &h->spans[j]);
			fputc('\n', fp);
		}
	}
	for (size_t i = 0; i < v->nsources; i++)
		fprintf(fp, "  source %s (%s): %s\n", v->sources[i].url,
		    v->sources[i].domain ? v->sources[i].domain : "?",
		    mf_list_name(v->sources[i].list));
	for (size_t i = 0; i < v->nevidence; i++)
		fprintf(fp, "  evidence %s\n", v->evidence[i]);
	fprintf(fp, "  ruleset %s  sources v%s  worker %s  %llu us",
	    v->ruleset ? v->ruleset : "-",
	    v->sources_version ? v->sources_version : "-",
	    v->worker ? v->worker : "-", (unsigned long long)v->latency_us);
	for (unsigned b = 1; b < (1u << MF_VF_COUNT); b <<= 1)
		if ((v->flags & b) && mf_vflag_name(b) != NULL)
			fprintf(fp, "  [%s]", mf_vflag_name(b));
	fputc('\n', fp);
}

static void
s_on_verdict(const mf_verdict_t *v, const void *msg, size_t len, void *tag,
    void *arg)
{
	s_check_t	*c = arg;
	mf_buf_t	 out = {0};
	mf_err_t	 err;

	(void)msg;
	(void)len;
	(void)tag;
	c->done = 1;
	if (v == NULL) {
		fprintf(stderr, "medflag check: the verdict did not decode\n");
		c->done = -1;
		return;
	}
	if (c->json) {
		if (mf_wire_encode_verdict_json(v, &out, &err) == 0)
			printf("%s\n", out.data);
		mf_buf_free(&out);
	} else {
		s_print(stdout, v, c->post, c->color);
	}
	c->action = v->action;
	c->shadow = (v->flags & MF_VF_SHADOW) != 0;
	if (c->shadow && v->action > MF_ACT_NONE)
		fprintf(stderr, "medflag check: mode shadow (detect only): "
		    "%s is what would be done; exit 0\n",
		    mf_action_name(v->action));
	if (v->status == MF_STATUS_ERROR || v->status == MF_STATUS_TIMEOUT)
		c->done = -1;
}

int
mf_cmd_check(int argc, char **argv, const mf_cli_t *cli)
{
	mf_config_t	 cfg;
	mf_client_t	 cl = {0};
	s_check_t	 c = {0};
	mf_checker_t	*ck = NULL;
	mf_post_t	*post = NULL;
	mf_buf_t	 msg = {0};
	mf_err_t	 err;
	const char	*text = NULL, *format = NULL;
	char		*body = NULL, id[64], *e;
	size_t		 len;
	int		 rc = 2, resend_ms = 2000;
	long		 wait_ms = 30000;
	int64_t		 end;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			wait_ms = strtol(argv[++i], &e, 10);
			if (*e || wait_ms < 1) {
				fprintf(stderr, "medflag check: --timeout: "
				    "milliseconds\n");
				return 2;
			}
		} else if (text == NULL && (argv[i][0] != '-' ||
		    strcmp(argv[i], "-") == 0))
			text = argv[i];
		else
			text = NULL, i = argc;
	}
	if (text == NULL) {
		fprintf(stderr, "usage: medflag check [--json] [--format F] "
		    "[--timeout MS] TEXT|-\n");
		return 2;
	}
	if (mf_client_config(cli, &cfg) == -1 ||
	    mf_client_init(&cl, &cfg) == -1)
		return 2;
	mf_client_catch_signals();
	c.color = cli->color && !c.json;
	if (strcmp(text, "-") == 0) {
		if ((body = mf_cli_slurp("-", &len)) == NULL) {
			mf_client_term(&cl);
			return 2;
		}
	} else {
		len = strlen(text);
	}
	snprintf(id, sizeof(id), "cli-%ld", (long)getpid());
	if ((post = mf_post_new_len(id, body ? body : text, len)) == NULL)
		goto out;
	if (format != NULL && mf_format_parse(format, &post->body_format)) {
		fprintf(stderr, "medflag check: --format: text, markdown, "
		    "bbcode, html or wikitext\n");
		rc = 2;
		goto out;
	}
	if (mf_wire_encode_post(post, &msg, &err) == -1) {
		fprintf(stderr, "medflag check: %s\n", err.msg);
		goto out;
	}
	c.post = post;
	if (msg.len > MF_WIRE_MAX_MSG) {
		/* medflagd would refuse it (or, over 2 MiB, drop the
		 * connection and leave us waiting): its verdict, now. */
		mf_verdict_t	*v = mf_cli_too_big(post->post_id);

		if (v != NULL)
			s_on_verdict(v, NULL, 0, NULL, &c);
		mf_verdict_destroy(&v);
		goto out;
	}
	if ((ck = mf_checker_new(&cl, cfg.check, 1, resend_ms)) == NULL ||
	    mf_checker_send(ck, post, msg.data, msg.len, NULL) == -1)
		goto out;
	end = mf_now_ms() + wait_ms;
	while (!c.done && mf_now_ms() < end) {
		if (mf_checker_poll(ck, 100, s_on_verdict, &c) == -1)
			break;
		if (!c.done)
			mf_checker_report(ck, "medflag check");
	}
	if (c.done)
		mf_checker_report(ck, "medflag check");	/* answers again */
	else
		fprintf(stderr, "medflag check: no verdict from %s within "
		    "%ld ms (%llu resends)\n  hint: is medflagd running? "
		    "`medflag stats` asks it\n", cfg.check, wait_ms,
		    (unsigned long long)mf_checker_stats(ck)->resent);
	/* As spamc -c: 0 nothing to do, 1 for a moderator, 2 trouble. */
	/* Detect only: a hook acting on the status acts on nothing. */
	rc = c.done != 1 ? 2 : c.action >= MF_ACT_ANNOTATE && !c.shadow ? 1 :
	    0;
out:
	mf_checker_destroy(&ck);
	mf_post_destroy(&post);
	mf_buf_free(&msg);
	free(body);
	mf_client_term(&cl);
	return rc;
}
