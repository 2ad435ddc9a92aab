/*
 * supervise.c - medflagd starts `workers` local medflag-worker processes
 * and restarts a crashed one with backoff (100 ms doubling to 5 s; back to
 * 100 ms once a worker has run for 10 s).
 *
 * A local worker that dispatch.c declares dead while its process lives
 * (silent, or holding posts without verdicts: stopped, or blocked in a
 * send) is killed here, and so restarted like a crashed one.
 *
 * The worker binary is the one next to medflagd's own executable. Not
 * responsible for the posts a dead worker held (dispatch.c re-dispatches
 * them when the death is reaped here or a heartbeat is missed).
 * SPDX-License-Identifier: MIT
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"

#define S_BACKOFF_MIN	100
#define S_BACKOFF_MAX	5000
#define S_STABLE_MS	10000

static char	s_worker_bin[PATH_MAX + 32];

int
mf_supervise_init(mf_broker_t *b)
{
	char	self[PATH_MAX];
	ssize_t	n;
	char	*slash;

	b->nslots = (size_t)b->cfg.workers;
	if (b->nslots == 0)
		return 0;
	b->slots = calloc(b->nslots, sizeof(*b->slots));
	if (b->slots == NULL)
		return -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 32);
	if (n <= 0) {
		mf_log_warn("cannot find my own executable");
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		slash[1] = '\0';
	snprintf(s_worker_bin, sizeof(s_worker_bin), "%smedflag-worker", self);
	if (access(s_worker_bin, X_OK) != 0) {
		mf_log_warn("%s", s_worker_bin);
		return -1;
	}
	return 0;
}

static void
s_start(mf_broker_t *b, size_t i, int64_t now)
{
	mf_slot_t	*s = &b->slots[i];
	char		 idx[24];
	pid_t		 ppid = getpid(), pid;

	snprintf(idx, sizeof(idx), "%zu", i + 1);
	pid = fork();
	if (pid < 0) {
		mf_log_warn("worker slot %zu: fork", i + 1);
		s->next_start_ms = now + s->backoff_ms;
		return;
	}
	if (pid == 0) {
		char	*argv[12];
		int	 k = 0;
		sigset_t all;

		/* Die with medflagd, even when it is killed with SIGKILL. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != ppid)
			_exit(1);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		argv[k++] = s_worker_bin;
		if (b->cfg.path[0]) {
			argv[k++] = (char *)"-c";
			argv[k++] = b->cfg.path;
		}
		argv[k++] = (char *)"-b";
		argv[k++] = b->backend_ep;
		argv[k++] = (char *)"-i";
		argv[k++] = idx;
		argv[k] = NULL;
		execv(s_worker_bin, argv);
		fprintf(stderr, "medflagd: exec %s: %s\n", s_worker_bin,
		    strerror(errno));
		_exit(127);
	}
	s->pid = pid;
	s->started_ms = now;
	mf_log_debug("worker slot %zu started (pid %ld)", i + 1, (long)pid);
}

void
mf_supervise_tick(mf_broker_t *b, int64_t now)
{
	if (b->draining)
		return;
	for (size_t i = 0; i < b->nslots; i++)
		if (b->slots[i].pid == 0 && now >= b->slots[i].next_start_ms)
			s_start(b, i, now);
}

int64_t
mf_supervise_next_ms(const mf_broker_t *b)
{
	int64_t	next = INT64_MAX;

	for (size_t i = 0; i < b->nslots; i++)
		if (b->slots[i].pid == 0 && b->slots[i].next_start_ms < next)
			next = b->slots[i].next_start_ms;
	return next;
}

int
mf_supervise_backoff(mf_slot_t *s, int64_t now, int draining)
{
	if (!draining && now - s->started_ms >= S_STABLE_MS)
		s->backoff_ms = 0;
	s->backoff_ms = s->backoff_ms == 0 ? S_BACKOFF_MIN :
	    s->backoff_ms * 2;
	if (s->backoff_ms > S_BACKOFF_MAX)
		s->backoff_ms = S_BACKOFF_MAX;
	s->pid = 0;
	s->restarts++;
	s->next_start_ms = now + s->backoff_ms;
	return s->backoff_ms;
}

void
mf_supervise_reap(mf_broker_t *b)
{
	int	status;
	pid_t	pid;
	int64_t	now = mf_now_ms();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t	i;
		char	why[64];

		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "died (signal %d)",
			    WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "exited with status %d",
			    WEXITSTATUS(status));
		for (size_t w = 0; w < b->disp.nw; w++)
			if (b->disp.w[w].used && b->disp.w[w].pid == pid &&
			    strcmp(b->disp.w[w].host, b->hostname) == 0)
				mf_broker_worker_dead(b, w, why);
		mf_broker_reload_exited(b, pid, why);
		for (i = 0; i < b->nslots; i++)
			if (b->slots[i].pid == pid)
				break;
		if (i == b->nslots)
			continue;
		(void)mf_supervise_backoff(&b->slots[i], now, b->draining);
		if (!b->draining)
			mf_log_warnx("worker slot %zu (pid %ld) %s; restarting "
			    "in %d ms", i + 1, (long)pid, why,
			    b->slots[i].backoff_ms);
	}
}

void
mf_supervise_kill(mf_broker_t *b, const mf_wrec_t *w)
{
	if (w->pid <= 0 || strcmp(w->host, b->hostname) != 0)
		return;
	for (size_t i = 0; i < b->nslots; i++)
		if (b->slots[i].pid == w->pid) {
			mf_log_warnx("worker slot %zu (pid %ld) is alive but "
			    "not working; killing it", i + 1, (long)w->pid);
			(void)kill(w->pid, SIGKILL);
			return;
		}
}

/* Waits up to 'grace_ms' for every local worker to exit, then kills the
 * rest with SIGKILL. */
void
mf_supervise_stop(mf_broker_t *b, int grace_ms)
{
	int64_t	deadline = mf_now_ms() + grace_ms;
	int	left;

	do {
		mf_supervise_reap(b);
		left = 0;
		for (size_t i = 0; i < b->nslots; i++)
			left += b->slots[i].pid != 0;
		if (left == 0)
			return;
		usleep(10000);
	} while (mf_now_ms() < deadline);
	for (size_t i = 0; i < b->nslots; i++)
		if (b->slots[i].pid != 0) {
			mf_log_warnx("worker slot %zu (pid %ld) did not exit; "
			    "killing it", i + 1, (long)b->slots[i].pid);
			kill(b->slots[i].pid, SIGKILL);
			(void)waitpid(b->slots[i].pid, NULL, 0);
			b->slots[i].pid = 0;
		}
}
