/*
 * store_test.c - workers/store.c against a real redis-server: URL parsing,
 * AUTH and SELECT, source lists with their version, the verdict journal
 * and its replay across a medflagd restart.
 *
 * Starts a private redis-server on a unix socket in a fresh mkdtemp
 * directory with persistence off; skips (77) if redis-server is missing.
 * SPDX-License-Identifier: MIT
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store.h"

/* ---- a private redis-server ------------------------------------------ */

static char	s_dir[256];
static pid_t	s_redis;

static void
s_redis_stop(void)
{
	char	cmd[300];

	if (s_redis > 0) {
		kill(s_redis, SIGKILL);
		waitpid(s_redis, NULL, 0);
		s_redis = 0;
	}
	if (s_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", s_dir);
		s_dir[0] = '\0';
	}
}

/* Starts redis-server (extra args: "--requirepass", "pw" ...) and fills
 * 'cfg' to reach it. */
static void
s_redis_start(mf_config_t *cfg, const char *pass)
{
	char		 sock[300];
	const char	*tmp = getenv("TMPDIR");
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };

	if (system("command -v redis-server >/dev/null 2>&1") != 0)
		mf_test_skip("redis-server not found (apt-get install "
		    "redis-server)");
	snprintf(s_dir, sizeof(s_dir), "%s/mfstore.XXXXXX", tmp ? tmp :
	    "/tmp");
	MF_ASSERT_NOT_NULL(mkdtemp(s_dir));
	atexit(s_redis_stop);
	snprintf(sock, sizeof(sock), "%s/redis.sock", s_dir);
	if ((s_redis = fork()) == 0) {
		const char *argv[16];
		int	    n = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		argv[n++] = "redis-server";
		argv[n++] = "--port";		argv[n++] = "0";
		argv[n++] = "--unixsocket";	argv[n++] = sock;
		argv[n++] = "--save";		argv[n++] = "";
		argv[n++] = "--appendonly";	argv[n++] = "no";
		argv[n++] = "--dir";		argv[n++] = s_dir;
		if (pass != NULL) {
			argv[n++] = "--requirepass";
			argv[n++] = pass;
		}
		argv[n] = NULL;
		freopen("/dev/null", "w", stdout);
		execvp("redis-server", (char **)argv);
		_exit(127);
	}
	MF_ASSERT(s_redis > 0);
	mf_config_defaults(cfg);
	snprintf(cfg->redis, sizeof(cfg->redis), "unix://%s", sock);
	snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "t:");
	if (pass != NULL)
		snprintf(cfg->redis_password, sizeof(cfg->redis_password),
		    "%s", pass);
	for (int i = 0; i < 500; i++) {
		struct stat st;

		if (stat(sock, &st) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	mf__test_fail(__FILE__, __LINE__, "redis-server did not start");
}

static mf_store_t *
s_connect(const mf_config_t *cfg)
{
	char		 err[512];
	mf_store_t	*s = NULL;

	/* The socket may exist a moment before redis answers. */
	for (int i = 0; i < 200 && s == NULL; i++) {
		if ((s = mf_store_connect(cfg, 500, err, sizeof(err))) == NULL)
			usleep(10000);
	}
	if (s == NULL)
		mf__test_fail(__FILE__, __LINE__, "connect: %s", err);
	return s;
}

/* ---- tests --------------------------------------------------------------- */

MF_TEST(store_parse_url)
{
	char	host[256], pw[64], err[256];
	int	port, db;

	MF_ASSERT_EQ(0, mf_store_parse_url("redis://127.0.0.1:6380/3", host,
	    sizeof(host), &port, &db, pw, sizeof(pw), err, sizeof(err)));
	MF_ASSERT_STR_EQ("127.0.0.1", host);
	MF_ASSERT_EQ(6380, port);
	MF_ASSERT_EQ(3, db);
	MF_ASSERT_STR_EQ("", pw);
	MF_ASSERT_EQ(0, mf_store_parse_url("redis://:s3cr@t@db.lan", host,
	    sizeof(host), &port, &db, pw, sizeof(pw), err, sizeof(err)));
	MF_ASSERT_STR_EQ("db.lan", host);
	MF_ASSERT_STR_EQ("s3cr@t", pw);
	MF_ASSERT_EQ(6379, port);
	MF_ASSERT_EQ(0, db);
	MF_ASSERT_EQ(0, mf_store_parse_url("unix:///run/r.sock?db=2", host,
	    sizeof(host), &port, &db, pw, sizeof(pw), err, sizeof(err)));
	MF_ASSERT_STR_EQ("/run/r.sock", host);
	MF_ASSERT_EQ(0, port);
	MF_ASSERT_EQ(2, db);
	MF_ASSERT_EQ(-1, mf_store_parse_url("http://x", host, sizeof(host),
	    &port, &db, pw, sizeof(pw), err, sizeof(err)));
	MF_ASSERT_STR_CONTAINS(err, "expected redis://");
	MF_ASSERT_EQ(-1, mf_store_parse_url("redis://h:99999/0", host,
	    sizeof(host), &port, &db, pw, sizeof(pw), err, sizeof(err)));
	MF_ASSERT_STR_CONTAINS(err, "bad port");
	MF_ASSERT_EQ(-1, mf_store_parse_url("unix://rel/path", host,
	    sizeof(host), &port, &db, pw, sizeof(pw), err, sizeof(err)));
}

MF_TEST(store_connect_refused_names_host_and_hint)
{
	mf_config_t	 cfg;
	char		 err[512];

	mf_config_defaults(&cfg);
	snprintf(cfg.redis, sizeof(cfg.redis), "unix:///nonexistent/r.sock");
	MF_ASSERT_NULL(mf_store_connect(&cfg, 200, err, sizeof(err)));
	MF_ASSERT_STR_CONTAINS(err, "redis unix:/nonexistent/r.sock: ");
	MF_ASSERT_STR_CONTAINS(err, "redis-server running");
}

MF_TEST(store_auth)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	char		 err[512];
	long long	 v = -1;

	s_redis_start(&cfg, "hunter2");
	s = s_connect(&cfg);
	MF_ASSERT_EQ(0, mf_store_sources_version(s, &v));
	MF_ASSERT_EQ(0, v);
	mf_store_destroy(&s);
	mf_store_destroy(&s);	/* safe twice */
	snprintf(cfg.redis_password, sizeof(cfg.redis_password), "wrong");
	MF_ASSERT_NULL(mf_store_connect(&cfg, 500, err, sizeof(err)));
	MF_ASSERT_STR_CONTAINS(err, "AUTH");
	MF_ASSERT_STR_CONTAINS(err, "redis_password");
	cfg.redis_password[0] = '\0';
	MF_ASSERT_NULL(mf_store_connect(&cfg, 500, err, sizeof(err)));
	MF_ASSERT_STR_CONTAINS(err, "NOAUTH");
	s_redis_stop();
}

MF_TEST(store_sources_roundtrip)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	mf_sources_t	*src, *got;
	long long	 v0 = -1, v1 = -1;
	const char	*entry = NULL;

	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	MF_ASSERT_NOT_NULL(src = mf_sources_new("x"));
	MF_ASSERT_EQ(0, mf_sources_add(src, "who.int", MF_LIST_VETTED, NULL));
	MF_ASSERT_EQ(0, mf_sources_add(src, "nih.gov", MF_LIST_VETTED, NULL));
	MF_ASSERT_EQ(0, mf_sources_add(src, "naturalnews.com",
	    MF_LIST_UNRELIABLE, NULL));
	MF_ASSERT_EQ(0, mf_store_sources_replace(s, src, NULL));
	mf_sources_destroy(&src);
	MF_ASSERT_EQ(0, mf_store_sources_version(s, &v0));
	MF_ASSERT(v0 >= 1);

	MF_ASSERT_NOT_NULL(got = mf_store_sources_fetch(s));
	MF_ASSERT_EQ(2, mf_sources_count(got, MF_LIST_VETTED));
	MF_ASSERT_EQ(1, mf_sources_count(got, MF_LIST_UNRELIABLE));
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup_entry(got,
	    "pubmed.ncbi.nlm.nih.gov", &entry));
	MF_ASSERT_STR_EQ("nih.gov", entry);
	mf_sources_destroy(&got);

	/* add moves between lists and bumps the version */
	MF_ASSERT_EQ(0, mf_store_sources_add(s, "WWW.NIH.gov",
	    MF_LIST_UNRELIABLE));
	MF_ASSERT_EQ(0, mf_store_sources_version(s, &v1));
	MF_ASSERT(v1 > v0);
	MF_ASSERT_NOT_NULL(got = mf_store_sources_fetch(s));
	MF_ASSERT_EQ(1, mf_sources_count(got, MF_LIST_VETTED));
	MF_ASSERT_EQ(MF_LIST_UNRELIABLE, mf_sources_lookup(got, "nih.gov"));
	{
		char want[32];

		snprintf(want, sizeof(want), "%lld", v1);
		MF_ASSERT_STR_EQ(want, mf_sources_version(got));
	}
	mf_sources_destroy(&got);

	MF_ASSERT_EQ(0, mf_store_sources_remove(s, "nih.gov"));
	MF_ASSERT_EQ(1, mf_store_sources_remove(s, "nih.gov"));
	MF_ASSERT_EQ(-1, mf_store_sources_add(s, "not a domain",
	    MF_LIST_VETTED));
	MF_ASSERT_STR_CONTAINS(mf_store_error(s), "not a valid domain");
	MF_ASSERT(!mf_store_broken(s));
	MF_ASSERT_NOT_NULL(got = mf_store_sources_fetch(s));
	MF_ASSERT_EQ(MF_LIST_UNKNOWN, mf_sources_lookup(got, "nih.gov"));
	mf_sources_destroy(&got);
	mf_store_destroy(&s);
	s_redis_stop();
}

MF_TEST(store_sources_replace_keeps_local_additions)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	mf_sources_t	*src, *got;
	long long	 kept[2] = { -1, -1 };

	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	MF_ASSERT_NOT_NULL(src = mf_sources_new(NULL));
	MF_ASSERT_EQ(0, mf_sources_add(src, "who.int", MF_LIST_VETTED, NULL));
	MF_ASSERT_EQ(0, mf_sources_add(src, "cdc.gov", MF_LIST_VETTED, NULL));
	MF_ASSERT_EQ(0, mf_store_sources_replace(s, src, kept));
	MF_ASSERT(kept[0] == 0 && kept[1] == 0);
	/* Added at run time: one new, one moved off the files' list, one
	 * added and removed again. */
	MF_ASSERT_EQ(0, mf_store_sources_add(s, "forum-doctors.example",
	    MF_LIST_VETTED));
	MF_ASSERT_EQ(0, mf_store_sources_add(s, "cdc.gov",
	    MF_LIST_UNRELIABLE));
	MF_ASSERT_EQ(0, mf_store_sources_add(s, "gone.example",
	    MF_LIST_VETTED));
	MF_ASSERT_EQ(0, mf_store_sources_remove(s, "gone.example"));
	/* The files again: the additions stay, the removal too. */
	MF_ASSERT_EQ(0, mf_store_sources_replace(s, src, kept));
	MF_ASSERT(kept[0] == 1 && kept[1] == 1);
	MF_ASSERT_NOT_NULL(got = mf_store_sources_fetch(s));
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup(got,
	    "forum-doctors.example"));
	MF_ASSERT_EQ(MF_LIST_UNRELIABLE, mf_sources_lookup(got, "cdc.gov"));
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup(got, "who.int"));
	MF_ASSERT_EQ(MF_LIST_UNKNOWN, mf_sources_lookup(got, "gone.example"));
	MF_ASSERT_EQ(2, mf_sources_count(got, MF_LIST_VETTED));
	mf_sources_destroy(&got);
	mf_sources_destroy(&src);
	mf_store_destroy(&s);
	s_redis_stop();
}

MF_TEST(store_sources_replace_many)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	mf_sources_t	*src, *got;
	char		 d[64];

	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	MF_ASSERT_NOT_NULL(src = mf_sources_new(NULL));
	for (int i = 0; i < 3000; i++) {
		snprintf(d, sizeof(d), "site%d.example", i);
		MF_ASSERT_EQ(0, mf_sources_add(src, d, i % 3 ? MF_LIST_VETTED :
		    MF_LIST_UNRELIABLE, NULL));
	}
	MF_ASSERT_EQ(0, mf_store_sources_replace(s, src, NULL));
	MF_ASSERT_NOT_NULL(got = mf_store_sources_fetch(s));
	MF_ASSERT_EQ(2000, mf_sources_count(got, MF_LIST_VETTED));
	MF_ASSERT_EQ(1000, mf_sources_count(got, MF_LIST_UNRELIABLE));
	mf_sources_destroy(&got);
	mf_sources_destroy(&src);
	mf_store_destroy(&s);
	s_redis_stop();
}

typedef struct {
	uint64_t	seq[4096];
	size_t		n;
	int		bad;
} s_seen_t;

static int
s_collect(uint64_t seq, const void *msg, size_t len, void *arg)
{
	s_seen_t	*seen = arg;
	char		 want[32];

	snprintf(want, sizeof(want), "v\x01%llu", (unsigned long long)seq);
	if (len != strlen(want) + 1 || memcmp(msg, want, len) != 0)
		seen->bad++;
	if (seen->n < 4096)
		seen->seq[seen->n++] = seq;
	return 0;
}

static void
s_append(mf_store_t *s, uint64_t seq, size_t max)
{
	char	msg[32];

	/* binary: an embedded \x01 and the trailing NUL are part of it */
	snprintf(msg, sizeof(msg), "v\x01%llu", (unsigned long long)seq);
	MF_ASSERT_EQ(0, mf_store_journal_append(s, seq, msg, strlen(msg) + 1,
	    max));
}

MF_TEST(store_journal_since)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	static s_seen_t	 seen;
	uint64_t	 last = 99;

	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	MF_ASSERT_EQ(0, mf_store_journal_last(s, &last));
	MF_ASSERT_EQ(0, last);
	MF_ASSERT_EQ(0, mf_store_journal_since(s, 0, 0, s_collect, &seen));
	for (uint64_t i = 1; i <= 1500; i++)
		s_append(s, i, 100000);
	MF_ASSERT_EQ(0, mf_store_journal_last(s, &last));
	MF_ASSERT_EQ(1500, last);

	MF_ASSERT_EQ(1500, mf_store_journal_since(s, 0, 0, s_collect, &seen));
	MF_ASSERT_EQ(0, seen.bad);
	for (size_t i = 0; i < seen.n; i++)
		MF_ASSERT_EQ(i + 1, seen.seq[i]);

	seen.n = 0;
	MF_ASSERT_EQ(501, mf_store_journal_since(s, 1000, 0, s_collect,
	    &seen));
	MF_ASSERT_EQ(1000, seen.seq[0]);
	MF_ASSERT_EQ(1500, seen.seq[500]);

	seen.n = 0;
	MF_ASSERT_EQ(10, mf_store_journal_since(s, 1000, 10, s_collect,
	    &seen));
	MF_ASSERT_EQ(1009, seen.seq[9]);
	seen.n = 0;
	MF_ASSERT_EQ(0, mf_store_journal_since(s, 1501, 0, s_collect, &seen));

	/* medflagd restarts and numbers from 1: only the new run replays */
	for (uint64_t i = 1; i <= 5; i++)
		s_append(s, i, 100000);
	seen.n = 0;
	MF_ASSERT_EQ(5, mf_store_journal_since(s, 0, 0, s_collect, &seen));
	MF_ASSERT_EQ(1, seen.seq[0]);
	MF_ASSERT_EQ(5, seen.seq[4]);
	seen.n = 0;
	MF_ASSERT_EQ(2, mf_store_journal_since(s, 4, 0, s_collect, &seen));
	MF_ASSERT_EQ(0, seen.bad);
	mf_store_destroy(&s);
	s_redis_stop();
}

MF_TEST(store_journal_bounded)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	static s_seen_t	 seen;
	long long	 n;

	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	for (uint64_t i = 1; i <= 3000; i++)
		s_append(s, i, 500);
	n = mf_store_journal_since(s, 0, 0, s_collect, &seen);
	/* MAXLEN ~ trims whole nodes: about 500, never all 3000 */
	MF_ASSERT(n >= 500 && n < 1500);
	MF_ASSERT_EQ(3000, seen.seq[seen.n - 1]);
	mf_store_destroy(&s);
	s_redis_stop();
}

MF_TEST(store_broken_after_server_dies)
{
	mf_config_t	 cfg;
	mf_store_t	*s;
	long long	 v;

	signal(SIGPIPE, SIG_IGN);	/* as the daemons and the CLI do */
	s_redis_start(&cfg, NULL);
	s = s_connect(&cfg);
	kill(s_redis, SIGKILL);
	waitpid(s_redis, NULL, 0);
	s_redis = 0;
	MF_ASSERT_EQ(-1, mf_store_sources_version(s, &v));
	MF_ASSERT(mf_store_broken(s));
	MF_ASSERT_STR_CONTAINS(mf_store_error(s), "redis unix:");
	MF_ASSERT_EQ(-1, mf_store_journal_append(s, 1, "x", 1, 10));
	mf_store_destroy(&s);
	s_redis_stop();
}
