/*
 * cli.c - helpers the subcommands share: the global options and the
 * dispatch to a subcommand, diagnostics, reading input, finding and
 * loading the rules.
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "hash.h"
#include "local.h"

static const char	*s_config;	/* -c FILE of `medflag`, or NULL */

void
mf_cli_set_config(const char *path)
{
	s_config = path;
}

static void
s_usage(FILE *fp, const char *prog, const mf_cli_cmd_t *cmds, size_t ncmds)
{
	fprintf(fp, "usage: %s [-c FILE] SUBCOMMAND [ARGS]\n\n", prog);
	for (size_t i = 0; i < ncmds; i++)
		if (cmds[i].fn)
			fprintf(fp, "  %s %s\n", prog, cmds[i].usage);
	fprintf(fp, "\n  -c FILE    configuration file (default "
	    "$MEDFLAG_CONF, else %s)\n"
	    "  --help     this, or '%s SUBCOMMAND --help'\n"
	    "  --version  the version\n", MF_CONFIG_SYSTEM, prog);
}

/* --help or --version among the arguments of subcommand 'cmd' (before
 * "--"): answered at once, exit 0. Returns -1 when there is none. */
static int
s_sub_help(const char *prog, const mf_cli_cmd_t *cmd, const mf_cli_cmd_t *cmds,
    size_t ncmds, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", prog, MF_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") != 0 &&
		    strcmp(argv[i], "-h") != 0)
			continue;
		if (cmd->help != NULL)
			fputs(cmd->help, stdout);
		else
			s_usage(stdout, prog, cmds, ncmds);
		return 0;
	}
	return -1;
}

int
mf_cli_main(const char *prog, const mf_cli_cmd_t *cmds, size_t ncmds,
    int argc, char **argv)
{
	mf_cli_t	 cli = { .prog = prog };
	int		 i = 1, rc;

	cli.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cli.config = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			s_usage(stdout, prog, cmds, ncmds);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", prog, MF_VERSION);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog,
			    argv[i]);
			s_usage(stderr, prog, cmds, ncmds);
			return 2;
		}
	}
	if (i == argc || strcmp(argv[i], "help") == 0) {
		s_usage(i == argc ? stderr : stdout, prog, cmds, ncmds);
		return i == argc ? 2 : 0;
	}
	mf_cli_set_config(cli.config);
	for (size_t k = 0; k < ncmds; k++) {
		if (strcmp(cmds[k].name, argv[i]) != 0)
			continue;
		if ((cmds[k].help == NULL || cmds[k].help[0] != '\0') &&
		    (rc = s_sub_help(prog, &cmds[k], cmds, ncmds, argc - i,
		    argv + i)) != -1)
			return rc;
		if (cmds[k].fn == NULL) {
			fprintf(stderr, "%s: %s: not part of this build\n",
			    prog, argv[i]);
			return 2;
		}
		return cmds[k].fn(argc - i, argv + i, &cli);
	}
	fprintf(stderr, "%s: unknown subcommand '%s'; see '%s help'\n", prog,
	    argv[i], prog);
	return 2;
}

void
mf_cli_print_diags(FILE *fp, const mf_diags_t *d)
{
	static const char *const sev[] = { "error", "warning", "note" };

	for (size_t i = 0; i < d->n; i++) {
		const mf_diag_t *x = &d->v[i];

		fprintf(fp, "%s%s%s: %s\n", x->where, x->where[0] ? ": " : "",
		    sev[x->severity], x->msg);
		if (x->hint[0])
			fprintf(fp, "  hint: %s\n", x->hint);
	}
}

mf_verdict_t *
mf_cli_too_big(const char *post_id)
{
	mf_verdict_t	*v = mf_verdict_new(post_id);

	if (v != NULL && mf_verdict_set_error(v, MF_STATUS_ERROR, "%s",
	    MF_WIRE_TOO_BIG) == -1)
		mf_verdict_destroy(&v);
	return v;
}

int
mf_cli_post_too_big(const mf_post_t *post)
{
	mf_buf_t	b = {0};
	mf_err_t	err;
	int		rc;

	const char	*f[] = { post->post_id, post->revision, post->instance,
			    post->thread_id, post->title, post->lang,
			    post->url };
	size_t		 sum = post->body_len + post->author.len +
			    post->ext.len + 512;	/* keys, headers */

	/* Cheap bounds first: the body alone, or every part together. */
	if (post->body_len > MF_WIRE_MAX_MSG)
		return 1;
	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
		sum += f[i] ? strlen(f[i]) : 0;
	if (sum <= MF_WIRE_MAX_MSG)
		return 0;
	if (mf_wire_encode_post(post, &b, &err) == -1)
		rc = err.code == MF_ENOMEM ? -1 : 1;
	else
		rc = b.len > MF_WIRE_MAX_MSG;
	mf_buf_free(&b);
	return rc;
}

int
mf_cli_ms(const char *prog, const char *opt, const char *arg, int *ms)
{
	char	*end;
	long	 v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 10 || v > 600000) {
		fprintf(stderr, "%s: %s %s: give milliseconds, 10 to 600000\n",
		    prog, opt, arg);
		return -1;
	}
	*ms = (int)v;
	return 0;
}

char *
mf_cli_slurp(const char *path, size_t *len)
{
	FILE	*fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	*buf = NULL, *p;
	size_t	 n = 0, cap = 0, r;

	if (fp == NULL) {
		fprintf(stderr, "medflag: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 65536 * 2;
			if ((p = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "medflag: %s: out of memory\n",
				    path);
				free(buf);
				buf = NULL;
				goto out;
			}
			buf = p;
		}
		r = fread(buf + n, 1, 65536, fp);
		n += r;
	} while (r > 0);
	buf[n] = '\0';
	*len = n;
out:
	if (fp != stdin)
		fclose(fp);
	return buf;
}

/* The configuration read by mf_cli_rules_dir(): its local.d/ applies to
 * its own rules directory, not to one given with --rules. */
static mf_config_t	s_cfg;

const char *
mf_cli_rules_dir(void)
{
	mf_diags_t		 d = {0};
	const char		*e = getenv("MEDFLAG_RULES");
	const char		*path = s_config ? s_config :
				    mf_config_default_path();
	int			 errors;

	if (e && *e)
		return e;
	errors = mf_config_read(&s_cfg, path, &d);
	mf_cli_print_diags(stderr, &d);
	mf_diags_free(&d);
	if (errors) {
		fprintf(stderr, "medflag: %s: %d error%s in the configuration"
		    "\n", path, errors, errors == 1 ? "" : "s");
		exit(1);
	}
	return s_cfg.rules;
}

mf_ruleset_t *
mf_cli_load_rules_diags(const char *dir, mf_sources_t *src, unsigned opts,
    mf_diags_t *d)
{
	return mf_local_ruleset_load(dir, strcmp(dir, s_cfg.rules) == 0 ?
	    s_cfg.local : NULL, src, opts, d);
}

mf_ruleset_t *
mf_cli_load_rules(const char *dir, mf_sources_t **sources, unsigned flags)
{
	mf_diags_t	 d = {0};
	mf_sources_t	*src = mf_sources_new("files");
	mf_ruleset_t	*rs = NULL;

	if (src == NULL) {
		fprintf(stderr, "medflag: out of memory\n");
		return NULL;
	}
	rs = mf_cli_load_rules_diags(dir, src, flags & MF_CLI_NO_MODEL ?
	    MF_LOAD_NO_MODEL : 0, &d);
	if (rs == NULL || !(flags & MF_CLI_QUIET))
		mf_cli_print_diags(stderr, &d);
	if (rs == NULL)
		fprintf(stderr, "medflag: %s: %zu errors; nothing was "
		    "loaded\n", dir, d.errors);
	mf_diags_free(&d);
	if (rs && sources)
		*sources = src;
	else
		mf_sources_destroy(&src);
	return rs;
}

void
mf_cli_table_head(FILE *fp)
{
	fprintf(fp, "%-12s %-8s %5s  %-34s %s\n", "post", "action", "score",
	    "claims", "evidence");
	fprintf(fp, "%-12s %-8s %5s  %-34s %s\n", "----", "------", "-----",
	    "------", "--------");
}

void
mf_cli_table_row(FILE *fp, const mf_verdict_t *v)
{
	char	 claims[256] = "";
	size_t	 n = 0;

	for (size_t i = 0; i < v->nhits && n < sizeof(claims) - 1; i++) {
		const mf_hit_t *h = &v->hits[i];

		if (h->mode != MF_MODE_ENFORCE || h->claim == NULL ||
		    strstr(claims, h->claim))
			continue;
		n += (size_t)snprintf(claims + n, sizeof(claims) - n, "%s%s%s",
		    n ? "," : "", h->claim, h->question ? "?" : "");
	}
	if (v->status != MF_STATUS_OK && v->status != MF_STATUS_SKIPPED)
		snprintf(claims, sizeof(claims), "%s: %.60s",
		    mf_status_name(v->status), v->error ? v->error : "");
	else if (n == 0 && v->nsources)
		snprintf(claims, sizeof(claims), "(source %s: %s)",
		    v->sources[0].domain, mf_list_name(v->sources[0].list));
	fprintf(fp, "%-12s %-8s %5.1f  %-34s %s\n",
	    v->post_id ? v->post_id : "-", mf_action_name(v->action), v->score,
	    claims[0] ? claims : "-", v->nevidence ? v->evidence[0] : "");
}

static const char *
s_jstr(json_t *o, const char *a, const char *b)
{
	json_t	*v = json_object_get(o, a);

	if (!json_is_string(v) && b)
		v = json_object_get(o, b);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
mf_cli_each_post(const char *path, int need_label, mf_cli_post_fn *fn,
    void *arg, size_t *bad)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0;
	int	 rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, fp) != -1) {
		json_error_t	 je;
		json_t		*o;
		mf_cli_line_t	 l = { 0 };
		mf_post_t	*post;
		const char	*f;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if ((o = json_loads(line, 0, &je)) == NULL ||
		    (l.text = s_jstr(o, "body", "text")) == NULL ||
		    ((l.label = s_jstr(o, "label", NULL)) == NULL &&
		    need_label)) {
			fprintf(stderr, "%s:%zu: error: need a JSON object with "
			    "body (or text)%s\n", path, lineno, need_label ?
			    " and label" : "");
			json_decref(o);
			(*bad)++;
			continue;
		}
		l.id = s_jstr(o, "post_id", "id");
		if (l.id == NULL)
			l.id = "?";
		l.kind = s_jstr(o, "kind", NULL);
		l.family = s_jstr(o, "family", NULL);
		l.lang = s_jstr(o, "lang", NULL);
		l.lineno = lineno;
		if ((post = mf_post_new(l.id, l.text)) == NULL) {
			fprintf(stderr, "medflag: out of memory\n");
			rc = -1;
		} else {
			if ((f = s_jstr(o, "body_format", NULL)) != NULL)
				(void)mf_format_parse(f, &post->body_format);
			l.post = post;
			rc = fn(&l, arg);
		}
		mf_post_destroy(&post);
		json_decref(o);
	}
	free(line);
	fclose(fp);
	return rc;
}

/* ---- labels by id, parts of a corpus ---------------------------------- */

struct mf_cli_label {
	char	*id, *label;
};

static int
s_cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct mf_cli_label *)a)->id,
	    ((const struct mf_cli_label *)b)->id);
}

int
mf_cli_labels_load(mf_cli_labels_t *self, const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*line = NULL, *tab;
	size_t	 cap = 0, lineno = 0;
	int	 rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, fp) != -1) {
		struct mf_cli_label *nv;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((tab = strchr(line, '\t')) == NULL || tab[1] == '\0') {
			fprintf(stderr, "%s:%zu: error: need \"id<TAB>label\"\n"
			    "  hint: label is claim, debunk, news, question, "
			    "off-topic ...\n", path, lineno);
			continue;
		}
		*tab = '\0';
		if ((nv = realloc(self->v, (self->n + 1) * sizeof(*nv))) ==
		    NULL) {
			rc = -1;
			break;
		}
		self->v = nv;
		nv[self->n].id = strdup(line);
		nv[self->n].label = strdup(tab + 1);
		if (nv[self->n].id == NULL || nv[self->n].label == NULL) {
			free(nv[self->n].id);
			free(nv[self->n].label);
			rc = -1;
			break;
		}
		self->n++;
	}
	if (rc == -1)
		fprintf(stderr, "%s: out of memory\n", path);
	free(line);
	fclose(fp);
	if (self->n)
		qsort(self->v, self->n, sizeof(*self->v), s_cmp_label);
	return rc;
}

const char *
mf_cli_labels_find(const mf_cli_labels_t *self, const char *id)
{
	struct mf_cli_label key = { .id = (char *)id }, *r;

	if (self->n == 0)
		return NULL;
	r = bsearch(&key, self->v, self->n, sizeof(key), s_cmp_label);
	return r ? r->label : NULL;
}

void
mf_cli_labels_free(mf_cli_labels_t *self)
{
	for (size_t k = 0; k < self->n; k++) {
		free(self->v[k].id);
		free(self->v[k].label);
	}
	free(self->v);
	self->v = NULL;
	self->n = 0;
}

int
mf_cli_part_parse(mf_cli_part_t *self, const char *s)
{
	unsigned	i, k;
	char		c;

	if (strcmp(s, "all") == 0) {
		self->i = self->k = 0;
		return 0;
	}
	if (sscanf(s, "%u/%u%c", &i, &k, &c) != 2 || k == 0 || i >= k) {
		fprintf(stderr, "medflag: --part %s: give I/K with 0 <= I < K "
		    "(e.g. 1/2), or all\n", s);
		return -1;
	}
	self->i = i;
	self->k = k;
	return 0;
}

int
mf_cli_part_has(const mf_cli_part_t *self, const char *id)
{
	return self->k == 0 ||
	    mf_fnv64(MF_FNV64_INIT, id, strlen(id)) % self->k == self->i;
}

mf_model_t *
mf_cli_model_load(const char *path, char *why, size_t cap)
{
	FILE		*fp = fopen(path, "rb");
	char		*buf = NULL;
	size_t		 len = 0, got;
	mf_model_t	*m = NULL;
	mf_err_t	 err;

	if (fp == NULL) {
		snprintf(why, cap, "%.1000s: %s", path, strerror(errno));
		return NULL;
	}
	/* A model is 256 KiB and a little; 64 MiB bounds a wrong file. */
	if (fseek(fp, 0, SEEK_END) == 0 && ftell(fp) > 0 &&
	    ftell(fp) < (64L << 20)) {
		len = (size_t)ftell(fp);
		rewind(fp);
		if ((buf = malloc(len)) != NULL &&
		    (got = fread(buf, 1, len, fp)) == len)
			m = mf_model_decode(buf, len, path, &err);
		else
			snprintf(err.msg, sizeof(err.msg), "cannot read it");
	} else
		snprintf(err.msg, sizeof(err.msg), "empty or over 64 MiB: "
		    "not a model");
	fclose(fp);
	free(buf);
	if (m == NULL)
		snprintf(why, cap, "%.1000s: %.300s", path, err.msg);
	return m;
}
