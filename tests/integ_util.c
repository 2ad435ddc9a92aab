/*
 * integ_util.c - shared helpers of the integration tests: a private
 * redis-server and medflagd in a mkdtemp directory, always cleaned up.
 * SPDX-License-Identifier: MIT
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <zmq.h>

#include "harness.h"
#include "integ_util.h"
#include "mpack.h"

static mf_integ_t	*s_cur;	/* what the exit and alarm handlers clean */

static void
s_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
mf_integ_ms(int ms)
{
	const char	*m = getenv("MF_TEST_TIMEOUT_MULT");
	double		 x = m ? atof(m) : 0;

	return x > 1 ? (int)(ms * x) : ms;
}

const char *
mf_integ_bin(const char *name, char *buf, size_t cap)
{
	const char	*b = getenv("MF_BUILD");
	const char	*top = mf_test_top();

	if (b == NULL || *b == '\0')
		b = "build";
	if (b[0] == '/')
		snprintf(buf, cap, "%s/%s", b, name);
	else
		snprintf(buf, cap, "%s/%s/%s", top ? top : ".", b, name);
	return buf;
}

static void
s_kill_wait(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		(void)waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

void
mf_integ_teardown(mf_integ_t *t)
{
	char	cmd[400];

	if (t == NULL)
		return;
	s_kill_wait(&t->medflagd_pid);
	s_kill_wait(&t->redis_pid);
	if (t->zctx != NULL) {
		void	*ctx = t->zctx;

		t->zctx = NULL;
		zmq_ctx_shutdown(ctx);
	}
	if (t->dir[0] != '\0') {
		if (getenv("MF_KEEP_TMP") == NULL) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
			if (system(cmd) != 0)
				fprintf(stderr, "cannot remove %s\n", t->dir);
		} else
			fprintf(stderr, "kept %s\n", t->dir);
		t->dir[0] = '\0';
	}
	if (s_cur == t)
		s_cur = NULL;
}

static void
s_atexit(void)
{
	if (s_cur != NULL) {
		/* Show medflagd's log when a test fails: it says why. */
		if (s_cur->log[0] && getenv("MF_QUIET") == NULL) {
			char	cmd[400];

			snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' 1>&2",
			    s_cur->log);
			(void)!system(cmd);
		}
		mf_integ_teardown(s_cur);
	}
}

static void
s_on_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "integ: timed out; cleaning up\n");
	s_atexit();
	_exit(1);
}

static pid_t
s_spawn(const char *const *argv, const char *log)
{
	pid_t	pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (log != NULL) {
			int	fd = open(log, O_WRONLY | O_CREAT | O_APPEND,
			    0600);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int
mf_integ_redis_start(mf_integ_t *t)
{
	char		 rlog[340];
	const char	*argv[] = { "redis-server", "--port", "0",
	    "--unixsocket", t->redis_sock, "--save", "", "--appendonly", "no",
	    "--dir", t->dir, NULL };
	int64_t		 deadline;

	snprintf(rlog, sizeof(rlog), "%s/redis.log", t->dir);
	unlink(t->redis_sock);
	t->redis_pid = s_spawn(argv, rlog);
	MF_ASSERT(t->redis_pid > 0);
	deadline = mf_now_ms() + mf_integ_ms(5000);
	while (access(t->redis_sock, F_OK) != 0) {
		if (mf_now_ms() > deadline)
			return -1;
		s_sleep_ms(10);
	}
	return 0;
}

void
mf_integ_redis_stop(mf_integ_t *t)
{
	s_kill_wait(&t->redis_pid);
	unlink(t->redis_sock);
}

void
mf_integ_setup(mf_integ_t *t, int workers, const char *extra)
{
	const char	*tmp = getenv("TMPDIR");
	FILE		*fp;
	const char	*top = mf_test_top();

	memset(t, 0, sizeof(*t));
	if (system("command -v redis-server >/dev/null 2>&1") != 0)
		mf_test_skip("redis-server not found (apt-get install "
		    "redis-server)");
	snprintf(t->dir, sizeof(t->dir), "%s/mfinteg.XXXXXX", tmp ? tmp :
	    "/tmp");
	MF_ASSERT_NOT_NULL(mkdtemp(t->dir));
	s_cur = t;
	atexit(s_atexit);
	signal(SIGALRM, s_on_alarm);
	signal(SIGPIPE, SIG_IGN);
	snprintf(t->redis_sock, sizeof(t->redis_sock), "%s/redis.sock",
	    t->dir);
	snprintf(t->conf, sizeof(t->conf), "%s/medflag.conf", t->dir);
	snprintf(t->log, sizeof(t->log), "%s/medflagd.log", t->dir);
	snprintf(t->ingest, sizeof(t->ingest), "ipc://%s/ingest", t->dir);
	snprintf(t->check, sizeof(t->check), "ipc://%s/check", t->dir);
	snprintf(t->verdicts, sizeof(t->verdicts), "ipc://%s/verdicts",
	    t->dir);
	snprintf(t->control, sizeof(t->control), "ipc://%s/control", t->dir);
	snprintf(t->backend, sizeof(t->backend), "ipc://%s/backend", t->dir);
	MF_ASSERT_EQ(0, mf_integ_redis_start(t));
	fp = fopen(t->conf, "w");
	MF_ASSERT_NOT_NULL(fp);
	fprintf(fp, "# written by tests/integ_util.c\n"
	    "ingest %s\ncheck %s\nverdicts %s\ncontrol %s\nbackend %s\n"
	    "rules %s/rules\nredis unix://%s\nworkers %d\n"
	    "heartbeat_ms 200\nworker_timeout_ms %d\n%s\n",
	    t->ingest, t->check, t->verdicts, t->control, t->backend,
	    top ? top : ".", t->redis_sock, workers, mf_integ_ms(1500),
	    extra ? extra : "");
	fclose(fp);
	t->zctx = zmq_ctx_new();
	MF_ASSERT_NOT_NULL(t->zctx);
}

void
mf_integ_medflagd_start(mf_integ_t *t, int workers, int ms)
{
	char		 bin[600];
	const char	*argv[] = { bin, "-d", "-c", t->conf, NULL };

	mf_integ_bin("medflagd", bin, sizeof(bin));
	if (access(bin, X_OK) != 0)
		mf_test_skip("%s is not built", bin);
	t->medflagd_pid = s_spawn(argv, t->log);
	MF_ASSERT(t->medflagd_pid > 0);
	if (mf_integ_wait_workers(t, workers, ms) != 0)
		mf__test_fail(__FILE__, __LINE__, "medflagd did not report %d "
		    "workers within %d ms (log: %s)", workers, mf_integ_ms(ms),
		    t->log);
}

int
mf_integ_medflagd_stop(mf_integ_t *t, int sig, int ms)
{
	int64_t	deadline = mf_now_ms() + mf_integ_ms(ms);
	int	status;

	if (t->medflagd_pid <= 0)
		return -1;
	kill(t->medflagd_pid, sig);
	while (mf_now_ms() < deadline) {
		pid_t	r = waitpid(t->medflagd_pid, &status, WNOHANG);

		if (r == t->medflagd_pid) {
			t->medflagd_pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		}
		s_sleep_ms(10);
	}
	s_kill_wait(&t->medflagd_pid);
	return -1;
}

void *
mf_integ_control(mf_integ_t *t, const char *cmd, size_t *len, int ms)
{
	void		*s = zmq_socket(t->zctx, ZMQ_DEALER);
	int		 linger = 0;
	zmq_pollitem_t	 it;
	void		*out = NULL;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(s, t->control) != 0 ||
	    zmq_send(s, cmd, strlen(cmd), 0) < 0)
		goto out;
	it = (zmq_pollitem_t){ s, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&it, 1, mf_integ_ms(ms)) == 1) {
		zmq_msg_t	m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) >= 0) {
			*len = zmq_msg_size(&m);
			out = malloc(*len + 1);
			if (out != NULL)
				memcpy(out, zmq_msg_data(&m), *len);
		}
		zmq_msg_close(&m);
	}
out:
	zmq_close(s);
	return out;
}

/* Finds dotted path 'path' ("workers.0.id") in msgpack message 'msg'
 * and points 'o' at its value: 0, or -1 when the message is malformed
 * or has no such path. */
static int
s_lookup(const void *msg, size_t len, const char *path, mf__mp_obj_t *o)
{
	char	key[64];

	if (mf__mp_open(o, msg, len, len, 0, "message", NULL) == -1)
		return -1;
	while (*path) {
		const char	*dot = strchr(path, '.');
		size_t		 n = dot ? (size_t)(dot - path) : strlen(path);
		mf__mp_obj_t	 next;

		if (n >= sizeof(key))
			return -1;
		memcpy(key, path, n);
		key[n] = '\0';
		if (mf__mp_obj_type(o) == MF__MP_ARRAY && n > 0 &&
		    strspn(key, "0123456789") == n) {
			unsigned long	i = strtoul(key, NULL, 10);
			mf__mp_iter_t	it;

			if (i >= mf__mp_obj_len(o) ||
			    mf__mp_iter_init(&it, o, MF__MP_ARRAY) == -1)
				return -1;
			do
				if (mf__mp_iter_next(&it, NULL, &next) != 1)
					return -1;
			while (i-- > 0);
		} else if (mf__mp_get(o, key, &next) == -1)
			return -1;
		*o = next;
		path += n + (dot ? 1 : 0);
	}
	return 0;
}

static long long
s_num(const void *msg, size_t len, const char *path)
{
	mf__mp_obj_t	o;
	mf__mp_val_t	v;

	if (s_lookup(msg, len, path, &o) == -1 || mf__mp_obj_val(&o, &v) == -1)
		return -1;
	if (v.type == MF__MP_UINT)
		return (long long)v.u;
	if (v.type == MF__MP_BOOL)
		return v.b;
	if (v.type == MF__MP_ARRAY)
		return (long long)v.len;
	return -1;
}

static const char *
s_str(const void *msg, size_t len, const char *path, char *buf, size_t cap)
{
	mf__mp_obj_t	 o;
	const char	*p;
	size_t		 n;

	buf[0] = '\0';
	if (s_lookup(msg, len, path, &o) == 0 &&
	    mf__mp_obj_str(&o, &p, &n) == 0)
		snprintf(buf, cap, "%.*s", (int)n, p);
	return buf;
}

long long
mf_integ_stat(mf_integ_t *t, const char *path)
{
	size_t		 len = 0;
	void		*m = mf_integ_control(t, "stats", &len, 2000);
	long long	 v;

	if (m == NULL)
		return -1;
	v = s_num(m, len, path);
	free(m);
	return v;
}

const char *
mf_integ_stat_str(mf_integ_t *t, const char *path, char *buf, size_t cap)
{
	size_t	 len = 0;
	void	*m = mf_integ_control(t, "stats", &len, 2000);

	buf[0] = '\0';
	if (m != NULL)
		s_str(m, len, path, buf, cap);
	free(m);
	return buf;
}

int
mf_integ_wait_workers(mf_integ_t *t, int workers, int ms)
{
	int64_t	deadline = mf_now_ms() + mf_integ_ms(ms);

	while (mf_now_ms() < deadline) {
		size_t	 len = 0;
		void	*m = mf_integ_control(t, "health", &len, 300);

		if (m != NULL) {
			long long	n = s_num(m, len, "workers_alive");

			free(m);
			if (n >= workers)
				return 0;
		}
		s_sleep_ms(20);
	}
	return -1;
}

size_t
mf_integ_post(char *out, size_t cap, const char *post_id, const char *body)
{
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
	size_t		n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "v", 1);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str(&pk, 7);
	msgpack_pack_str_body(&pk, "post_id", 7);
	msgpack_pack_str(&pk, strlen(post_id));
	msgpack_pack_str_body(&pk, post_id, strlen(post_id));
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "body", 4);
	msgpack_pack_str(&pk, strlen(body));
	msgpack_pack_str_body(&pk, body, strlen(body));
	n = sb.size <= cap ? sb.size : 0;
	if (n)
		memcpy(out, sb.data, n);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

const char *
mf_integ_field(const void *msg, size_t len, const char *key, char *buf,
    size_t cap)
{
	return s_str(msg, len, key, buf, cap);
}

long long
mf_integ_field_u(const void *msg, size_t len, const char *key)
{
	return s_num(msg, len, key);
}

int
mf_integ_has_flag(const void *msg, size_t len, const char *flag)
{
	mf__mp_obj_t	o, e;
	mf__mp_iter_t	it;

	if (s_lookup(msg, len, "flags", &o) == -1 ||
	    mf__mp_iter_init(&it, &o, MF__MP_ARRAY) == -1)
		return 0;
	while (mf__mp_iter_next(&it, NULL, &e) == 1)
		if (mf__mp_obj_streq(&e, flag))
			return 1;
	return 0;
}
