/*
 * backtest.c - `medflag rules backtest`: what a rules change would change.
 * Judges every post of a corpus with the current rules and with the
 * candidate ones, and reports the posts whose action or hits differ, how
 * actions move, the rules whose hit counts move, and, where the corpus is
 * labelled, which changes are fixes and which are regressions.
 *
 *   medflag rules backtest [--rules DIR] [--all] [--fail-on-regression]
 *       NEW_DIR FILE.jsonl...
 *
 * Posts are named by post_id and line, never quoted: a corpus of real
 * forum posts is personal data. Not responsible for precision and recall
 * of one rule set (`rules eval`, rules.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rulehits.h"

#define S_SHOWN		20	/* changed posts listed without --all */

/* One side: a rule set, its sources and hit counts per rule. */
typedef struct s_side {
	const char	*dir;
	mf_ruleset_t	*rs;
	mf_sources_t	*src;
	mf_rulehits_t	 hits;		/* per rule id ('hits' only) */
	size_t		 flagged;
} s_side_t;

typedef struct s_bt {
	s_side_t	 old, new;
	mf_scanner_t	*sc;
	const char	*file;
	int		 all;
	size_t		 posts, changed, shown;
	size_t		 moves[5][5];	/* old action x new action */
	size_t		 fixed, lost, new_fp, cleared_fp, labelled;
} s_bt_t;

/* Counts the hits of 'v' against the rules of 's'. */
static void
s_count(s_side_t *s, const mf_verdict_t *v)
{
	for (size_t h = 0; h < v->nhits; h++)
		(void)mf_rulehits_add(&s->hits, v->hits[h].rule,
		    strlen(v->hits[h].rule), 1, 0);
}

static int
s_has(const mf_verdict_t *v, const char *rule)
{
	for (size_t h = 0; h < v->nhits; h++)
		if (strcmp(v->hits[h].rule, rule) == 0)
			return 1;
	return 0;
}

/* Whether the two verdicts differ in action or in the rules hit. */
static int
s_differ(const mf_verdict_t *a, const mf_verdict_t *b)
{
	if (a->action != b->action || a->nhits != b->nhits)
		return 1;
	for (size_t h = 0; h < a->nhits; h++)
		if (!s_has(b, a->hits[h].rule))
			return 1;
	return 0;
}

static int
s_post(const mf_cli_line_t *l, void *arg)
{
	s_bt_t		*bt = arg;
	mf_verdict_t	*a = NULL, *b = NULL;
	int		 fa, fb, rc = 0;

	/* No time budget: a post over it on a loaded machine would differ
	 * between two runs of the same rules. */
	if (mf_scan(bt->sc, bt->old.rs, bt->old.src, l->post,
	    MF_SCAN_NO_BUDGET, &a, NULL) == -1 ||
	    mf_scan(bt->sc, bt->new.rs, bt->new.src, l->post,
	    MF_SCAN_NO_BUDGET, &b, NULL) == -1) {
		fprintf(stderr, "medflag: out of memory\n");
		rc = -1;
		goto out;
	}
	bt->posts++;
	s_count(&bt->old, a);
	s_count(&bt->new, b);
	fa = a->action >= MF_ACT_FLAG;
	fb = b->action >= MF_ACT_FLAG;
	bt->old.flagged += fa;
	bt->new.flagged += fb;
	if (l->label != NULL) {
		int	mis = strcmp(l->label, "misinfo") == 0;

		bt->labelled++;
		bt->fixed += mis && !fa && fb;
		bt->lost += mis && fa && !fb;
		bt->new_fp += !mis && !fa && fb;
		bt->cleared_fp += !mis && fa && !fb;
	}
	if (!s_differ(a, b))
		goto out;
	bt->changed++;
	bt->moves[a->action][b->action]++;
	if (!bt->all && bt->shown >= S_SHOWN)
		goto out;
	if (bt->shown++ == 0)
		printf("changed posts%s:\n", bt->all ? "" : " (the first 20; "
		    "--all for every one)");
	printf("  %s:%zu %-16s %-8s -> %-8s score %5.1f -> %5.1f",
	    bt->file, l->lineno, l->id, mf_action_name(a->action),
	    mf_action_name(b->action), a->score, b->score);
	for (size_t h = 0; h < b->nhits; h++)
		if (!s_has(a, b->hits[h].rule))
			printf(" +%s", b->hits[h].rule);
	for (size_t h = 0; h < a->nhits; h++)
		if (!s_has(b, a->hits[h].rule))
			printf(" -%s", a->hits[h].rule);
	if (l->label != NULL && fa != fb)
		printf("  [%s: %s]", l->label, strcmp(l->label, "misinfo") ==
		    0 ? (fb ? "fixed" : "LOST") : (fb ? "NEW FALSE POSITIVE" :
		    "false positive cleared"));
	putchar('\n');
out:
	mf_verdict_destroy(&a);
	mf_verdict_destroy(&b);
	return rc;
}

static int
s_load(s_side_t *s)
{
	return (s->rs = mf_cli_load_rules(s->dir, &s->src, MF_CLI_QUIET)) == NULL ? -1 :
	    0;
}

static void
s_free(s_side_t *s)
{
	mf_rulehits_free(&s->hits);
	mf_ruleset_destroy(&s->rs);
	mf_sources_destroy(&s->src);
}

/* Hits of rule 'id' on side 's', or -1 if the side has no such rule. */
static long
s_hits_of(const s_side_t *s, const char *id)
{
	const mf_rulehit_t *h = mf_rulehits_get(&s->hits, id);

	if (mf_ruleset_find(s->rs, id) == NULL)
		return -1;
	return h != NULL ? (long)h->hits : 0;
}

static void
s_report(const s_bt_t *bt)
{
	int	any = 0;

	printf("%sold rules %s (%s, %zu rules), new rules %s (%s, %zu "
	    "rules)\n", bt->shown ? "\n" : "", bt->old.dir,
	    mf_ruleset_hash(bt->old.rs), mf_ruleset_size(bt->old.rs),
	    bt->new.dir, mf_ruleset_hash(bt->new.rs),
	    mf_ruleset_size(bt->new.rs));
	printf("posts %zu: %zu changed (%.1f%%); flagged (flag, hold or "
	    "block) %zu -> %zu\n", bt->posts, bt->changed, bt->posts ?
	    100.0 * (double)bt->changed / (double)bt->posts : 0,
	    bt->old.flagged, bt->new.flagged);
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 5; k++)
			if (bt->moves[i][k] > 0)
				printf("  %-8s -> %-8s %6zu\n",
				    mf_action_name((mf_action_t)i),
				    mf_action_name((mf_action_t)k),
				    bt->moves[i][k]);
	if (bt->labelled > 0)
		printf("labelled posts %zu: fixed %zu (misinfo now flagged), "
		    "lost %zu (misinfo no longer flagged), new false "
		    "positives %zu, false positives cleared %zu\n",
		    bt->labelled, bt->fixed, bt->lost, bt->new_fp,
		    bt->cleared_fp);
	/* Rules whose hits moved, in the new set's order, then the gone. */
	for (size_t i = 0; i < mf_ruleset_size(bt->new.rs); i++) {
		const char	*id = mf_ruleset_rule(bt->new.rs, i)->id;
		long		 o = s_hits_of(&bt->old, id);
		long		 n = s_hits_of(&bt->new, id);

		if (o == n)
			continue;
		if (!any++)
			printf("rules whose hits changed (old -> new):\n");
		printf("  %-44s %6ld -> %6ld%s\n", id, o < 0 ? 0 : o, n,
		    o < 0 ? "  (new rule)" : "");
	}
	for (size_t i = 0; i < mf_ruleset_size(bt->old.rs); i++) {
		const char	*id = mf_ruleset_rule(bt->old.rs, i)->id;

		if (s_hits_of(&bt->new, id) >= 0)
			continue;
		if (!any++)
			printf("rules whose hits changed (old -> new):\n");
		printf("  %-44s %6ld -> %6d  (rule removed)\n", id,
		    s_hits_of(&bt->old, id), 0);
	}
	if (!any)
		printf("no rule's hits changed\n");
}

int
mf_cli_rules_backtest(int argc, char **argv)
{
	s_bt_t		 bt;
	size_t		 bad = 0;
	int		 rc = 0, fail_reg = 0, nfiles = 0;
	const char	*usage = "usage: medflag rules backtest [--rules DIR] "
	    "[--all] [--fail-on-regression] NEW_DIR FILE.jsonl...\n";

	memset(&bt, 0, sizeof(bt));
	bt.old.dir = mf_cli_rules_dir();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			bt.old.dir = argv[++i];
		else if (strcmp(argv[i], "--all") == 0)
			bt.all = 1;
		else if (strcmp(argv[i], "--fail-on-regression") == 0)
			fail_reg = 1;
		else if (argv[i][0] == '-') {
			fputs(usage, stderr);
			return 2;
		} else if (bt.new.dir == NULL)
			bt.new.dir = argv[i];
		else
			nfiles++;
	}
	if (bt.new.dir == NULL || nfiles == 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (s_load(&bt.old) != 0 || s_load(&bt.new) != 0 ||
	    (bt.sc = mf_scanner_new(NULL)) == NULL) {
		rc = 1;
		goto out;
	}
	for (int i = 1, seen_new = 0; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (!seen_new++)
			continue;	/* NEW_DIR */
		bt.file = argv[i];
		if (mf_cli_each_post(argv[i], 0, s_post, &bt, &bad) != 0) {
			rc = 1;
			goto out;
		}
	}
	s_report(&bt);
	if (bad > 0) {
		printf("FAIL: %zu lines could not be read\n", bad);
		rc = 1;
	}
	if (fail_reg && bt.lost + bt.new_fp > 0) {
		printf("FAIL: %zu misinfo posts lost and %zu new false "
		    "positives (--fail-on-regression)\n", bt.lost, bt.new_fp);
		rc = 1;
	}
out:
	mf_scanner_destroy(&bt.sc);
	s_free(&bt.old);
	s_free(&bt.new);
	return rc;
}
