/*
 * cli.h - what the subcommands of `medflag` share: the global options and
 * small output helpers. One file per subcommand; each exports one
 * mf_cmd_<name>() that returns the process exit status.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CLI_H
#define MF_CLI_H

#include <stdio.h>

#include "medflag.h"

typedef struct mf_cli {
	const char	*prog;		/* "medflag" */
	const char	*config;	/* -c FILE, or NULL for the default */
	int		 color;		/* highlight with ANSI colours */
} mf_cli_t;

/* argv[0] is the subcommand name; returns the exit status. */
typedef int mf_cmd_fn(int argc, char **argv, const mf_cli_t *cli);

/* Offline (tools/scan.c, explain.c, rules.c, learn.c). */
mf_cmd_fn	mf_cmd_scan, mf_cmd_explain, mf_cmd_rules, mf_cmd_learn,
		mf_cmd_config;
/* Service clients: sources (tools/sources.c), in `medflag`; the others
 * (push.c, check.c, tail.c, stats.c ...) speak ZeroMQ and are
 * `medflag-ctl`'s, declared weak in medflag-ctl.c so that a build
 * without one still links. */
mf_cmd_fn	mf_cmd_push, mf_cmd_check, mf_cmd_tail, mf_cmd_stats,
		mf_cmd_top, mf_cmd_reload, mf_cmd_sources, mf_cmd_feedback,
		mf_cmd_keygen;
/* The servers of `medflag-gateway` (tools/gateways/http.c, discourse.c,
 * mediawiki.c), which `medflag` runs for these subcommands. */
mf_cmd_fn	mf_cmd_http, mf_cmd_discourse, mf_cmd_mediawiki;

/*
 * A program made of subcommands (`medflag`, `medflag-ctl`,
 * `medflag-gateway`): each with its line of the program's usage and its
 * --help text, NULL for the usage itself, or MF_CLI_OWN_HELP when the
 * subcommand answers --help and --version itself (it runs another
 * program that does). 'fn' NULL: not part of this build.
 */
#define MF_CLI_OWN_HELP	""
typedef struct mf_cli_cmd {
	const char	*name;
	mf_cmd_fn	*fn;
	const char	*usage;
	const char	*help;
} mf_cli_cmd_t;

/* The main() of such a program named 'prog': the global options (-c
 * FILE, --help, --version), then the subcommand of 'cmds' that argv
 * names. Returns the exit status. */
int		mf_cli_main(const char *prog, const mf_cli_cmd_t *cmds,
		    size_t ncmds, int argc, char **argv);

/* Prints every diagnostic as "where: severity: msg\n  hint: ..." to 'fp'. */
void		mf_cli_print_diags(FILE *fp, const mf_diags_t *d);
/* The error verdict of a post over MF_WIRE_MAX_MSG, as JSON text or as
 * msgpack: status error, MF_WIRE_TOO_BIG, the same from check, push, scan
 * and HTTP as from medflagd. 'post_id' may be NULL. OWNS: caller. NULL if
 * out of memory. */
mf_verdict_t	*mf_cli_too_big(const char *post_id);
/* 1 if 'post' is over MF_WIRE_MAX_MSG once encoded as msgpack, the form
 * medflagd takes; 0 if not; -1 out of memory. */
int		 mf_cli_post_too_big(const mf_post_t *post);
/* Reads all of 'path' ("-" = stdin). OWNS: caller (free). NULL on error
 * with a message printed. */
char		*mf_cli_slurp(const char *path, size_t *len);
/* A time option of a service subcommand ('prog' "medflag http", 'opt'
 * "--timeout") from 'arg': milliseconds, 10 to 600000, into '*ms'. 0, or
 * -1 with a message on stderr saying what to give. */
int		 mf_cli_ms(const char *prog, const char *opt, const char *arg,
		    int *ms);
/* One verdict as a readable table row (post, action, score, claims,
 * first evidence link); mf_cli_table_head() prints the header. */
void		mf_cli_table_head(FILE *fp);
void		mf_cli_table_row(FILE *fp, const mf_verdict_t *v);

/* The rules directory of the offline subcommands when --rules is not
 * given: $MEDFLAG_RULES, else the `rules` of the configuration (-c FILE,
 * $MEDFLAG_CONF or $sysconfdir/medflag/medflag.conf; config.h), else the
 * installed $datadir/medflag/rules. Prints the problems of a configuration
 * that does not read and exits 1. BORROWS: static storage. */
const char	*mf_cli_rules_dir(void);
/* Records the -c FILE given to `medflag` for mf_cli_rules_dir(). */
void		 mf_cli_set_config(const char *path);
/* Loads DIR/sources/ *.list into 'src', then the rules of 'dir' (evidence
 * checked against the vetted list when there is one), with the local.d/
 * of the configuration when 'dir' is its rules (local.h); every problem
 * goes to 'd'. NULL on error. */
mf_ruleset_t	*mf_cli_load_rules_diags(const char *dir, mf_sources_t *src,
		    unsigned opts, mf_diags_t *d);
/* Loads rules and sources from 'dir'; prints diagnostics (the errors
 * only with MF_CLI_QUIET); NULL on error. MF_CLI_NO_MODEL: without the
 * folder's model (`learn train` makes a new one). */
#define MF_CLI_QUIET	0x01u
#define MF_CLI_NO_MODEL	0x02u
mf_ruleset_t	*mf_cli_load_rules(const char *dir, mf_sources_t **sources,
		    unsigned flags);

/*
 * A labelled or plain corpus in JSON Lines: one object per line with
 * "body" (or "text"), and optionally "post_id" (or "id"), "body_format",
 * "label", "kind", "family", "lang". mf_cli_each_post() calls 'fn' for each such line with
 * the post and the line's fields; a line that is not one (or has no
 * "label" when 'need_label') is reported as "FILE:LINE: error: ..." on
 * stderr and counted in '*bad'. Blank lines are skipped. Returns 0, or -1
 * when the file cannot be read, memory runs out, or 'fn' returns -1.
 */
typedef struct mf_cli_line {
	const mf_post_t	*post;
	const char	*id;		/* post_id, or "?" */
	const char	*text;		/* the body as given */
	const char	*label;		/* NULL if none */
	const char	*kind;		/* NULL if none */
	const char	*family;	/* the claim family ("family"), or NULL */
	const char	*lang;		/* "lang", or NULL */
	size_t		 lineno;
} mf_cli_line_t;
typedef int	 mf_cli_post_fn(const mf_cli_line_t *line, void *arg);
int		 mf_cli_each_post(const char *path, int need_label,
		    mf_cli_post_fn *fn, void *arg, size_t *bad);

/*
 * Labels given by a file of ids (`--labels FILE`): "id<TAB>label" lines,
 * '#' comments. The public corpora are labelled by topic; such a file
 * relabels them by stance without copying their text. A label "claim" is
 * misinformation; every other label (debunk, news, question ...) is not.
 */
typedef struct mf_cli_labels {
	struct mf_cli_label	*v;	/* sorted by id */
	size_t			 n;
} mf_cli_labels_t;

int		 mf_cli_labels_load(mf_cli_labels_t *self, const char *path);
/* BORROWS: the label of 'id', or NULL. */
const char	*mf_cli_labels_find(const mf_cli_labels_t *self,
		    const char *id);
void		 mf_cli_labels_free(mf_cli_labels_t *self);

/*
 * `--part I/K`: the posts whose id hashes to part I of K (FNV-1a of the id
 * mod K), so that one half of a corpus can teach and the other judge.
 * Zeroed: every post.
 */
typedef struct mf_cli_part {
	unsigned	 i, k;
} mf_cli_part_t;

/* Parses "I/K" (0 <= I < K) or "all"; -1 with a message on stderr. */
int		 mf_cli_part_parse(mf_cli_part_t *self, const char *s);
int		 mf_cli_part_has(const mf_cli_part_t *self, const char *id);

/* Reads and checks the model file 'path' (learn.h). NULL with why in
 * 'why' (it cannot be read, or it is damaged). OWNS: caller
 * (mf_model_destroy). */
mf_model_t	*mf_cli_model_load(const char *path, char *why, size_t cap);

/* What `medflag explain --json` prints for 'post' (explain.c): its
 * verdict as JSON, with the hits an `unless` suppressed, into 'out'. The
 * gateway's POST /v1/try answers the same. 0, or -1 with 'err' set. */
int		 mf_cli_explain_json(mf_scanner_t *sc, const mf_ruleset_t *rs,
		    const mf_sources_t *src, const mf_post_t *post,
		    unsigned opts, mf_buf_t *out, mf_err_t *err);

/* `medflag rules backtest` (backtest.c); argv[0] is "backtest". */
int		 mf_cli_rules_backtest(int argc, char **argv);

#endif
