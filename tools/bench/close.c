// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of close(2): of an eventfd and of a socket (one end of a unix
 * stream socketpair), each a file's last reference, so that the close
 * releases it. xepoll learns of a watched file's last close from an
 * fsnotify mark on the file's inode; eventfds share one anonymous inode,
 * sockets have one each. A case's parameters:
 *
 *   sets=N	the closed file is watched by N sets, one registration in
 *		each, which the close removes; with 0, one set is open and
 *		does not watch it.
 *   other=1	another file of the same kind is watched by the set: for
 *		xepoll, an eventfd's close then passes the shared inode's
 *		mark, a socket's does not.
 *   module=	whether the module was loaded. The guest runs these cases
 *		before insmod too (--phase unloaded): sets=0 other=0 without
 *		the module against the same with it is what loading it costs
 *		a close.
 *
 * A step opens 64 files (and adds them), then times their closes; the
 * time is per close. Where a close does not end a watch (io_uring: the
 * poll request holds its file, so the close only drops the descriptor),
 * the timed part also removes the watches, submitted at once, which is
 * what lets the files go. On xepoll the 64 watched eventfds of a step
 * share the anonymous inode's one mark, which goes with the last of them;
 * each watched socket has a mark of its own, made at its ADD and destroyed
 * at its close.
 *
 * The second figure is the context switches of the closing thread per
 * close, within the timed part: work that a close hands to a kernel
 * thread (fsnotify frees a mark's connector from a worker) shows there
 * when the worker runs at once, as it does on one CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define CLOSE_BATCH	64
#define MAX_SETS	2

enum close_file { CF_EVENTFD, CF_SOCKET };
enum close_watch { CW_NONE, CW_OTHER, CW_SELF };

static const char *const file_names[] = { "eventfd", "socket" };

struct close_arg {
	enum close_file file;
	enum close_watch watch;
	int sets;
};

struct closer {
	const struct mech *m;
	const struct close_arg *a;
	struct evset *set[MAX_SETS];
	int fd[CLOSE_BATCH], peer[CLOSE_BATCH];
	long switches;		/* in the timed parts */
	unsigned long closes;
};

/* The calling thread's context switches so far, both kinds. */
static long close_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		die("getrusage: %s", strerror(errno));
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* A new file of the kind; @peer is the socket's other end, or -1. */
static int close_open(enum close_file file, int *peer)
{
	int sv[2];

	*peer = -1;
	if (file == CF_EVENTFD) {
		sv[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sv[0] < 0)
			die("eventfd: %s", strerror(errno));
		return sv[0];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	*peer = sv[1];
	return sv[0];
}

static int close_watch_all(struct closer *c)
{
	const struct mech *m = c->m;
	int s, i;

	for (s = 0; s < c->a->sets; s++) {
		for (i = 0; i < CLOSE_BATCH; i++)
			if (m->add(c->set[s], c->fd[i], EPOLLIN, (uint64_t)i))
				return -1;
		if (m->flush(c->set[s]))
			return -1;
	}
	return 0;
}

/* What a mechanism whose watch outlives the close needs to be done. */
static int close_unwatch_all(struct closer *c)
{
	const struct mech *m = c->m;
	int s, i;

	for (s = 0; s < c->a->sets; s++) {
		for (i = 0; i < CLOSE_BATCH; i++)
			if (m->del(c->set[s], c->fd[i]))
				return -1;
		if (m->flush(c->set[s]))
			return -1;
	}
	return 0;
}

static double close_step(void *ctx)
{
	struct closer *c = ctx;
	bool self = c->a->watch == CW_SELF;
	uint64_t t0;
	long sw0;
	double ns;
	int i;

	for (i = 0; i < CLOSE_BATCH; i++)
		c->fd[i] = close_open(c->a->file, &c->peer[i]);
	if (self && close_watch_all(c))
		return -1;
	sw0 = close_switches();
	t0 = now_ns();
	for (i = 0; i < CLOSE_BATCH; i++)
		if (close(c->fd[i]))
			return -1;
	if (self && !(c->m->caps & CAP_CLOSE_ENDS) && close_unwatch_all(c))
		return -1;
	ns = (double)(now_ns() - t0) / CLOSE_BATCH;
	c->switches += close_switches() - sw0;
	c->closes += CLOSE_BATCH;
	for (i = 0; i < CLOSE_BATCH; i++)
		if (c->peer[i] >= 0)
			close(c->peer[i]);
	return ns;
}

static bool close_run(const struct mech *m, const void *arg, struct sample *out)
{
	struct closer c = { .m = m, .a = arg };
	int other = -1, other_peer = -1, s;
	bool ok = false;

	for (s = 0; s < c.a->sets; s++) {
		c.set[s] = m->open(CLOSE_BATCH);
		if (!c.set[s])
			goto out;
	}
	if (c.a->watch == CW_OTHER) {
		other = close_open(c.a->file, &other_peer);
		if (m->add(c.set[0], other, EPOLLIN, CLOSE_BATCH) || m->flush(c.set[0]))
			goto out;
	}
	out->ns = timed_loop(close_step, &c, 3);
	ok = out->ns >= 0;
	if (ok)
		out->extra = (double)c.switches / (double)c.closes;
out:
	for (s = 0; s < c.a->sets; s++)
		if (c.set[s])
			m->close(c.set[s]);
	if (other >= 0)
		close(other);
	if (other_peer >= 0)
		close(other_peer);
	return ok;
}

void close_cases(case_sink add)
{
	static const struct close_arg args[] = {
		{ CF_EVENTFD, CW_NONE, 1 },
		{ CF_EVENTFD, CW_OTHER, 1 },
		{ CF_EVENTFD, CW_SELF, 1 },
		{ CF_EVENTFD, CW_SELF, 2 },
		{ CF_SOCKET, CW_NONE, 1 },
		{ CF_SOCKET, CW_OTHER, 1 },
		{ CF_SOCKET, CW_SELF, 1 },
		{ CF_SOCKET, CW_SELF, 2 },
	};
	struct bench_case c = {
		.workload = "close",
		.unit = "close",
		.extra_name = "switches_per_close",
		.caps = CAP_WATCH,
		.unloaded = true,
		.run = close_run,
	};
	const char *module = xepoll_loaded() ? "yes" : "no";
	unsigned int i;

	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		const struct close_arg *a = &args[i];

		c.arg = a;
		snprintf(c.params, sizeof(c.params), "file=%s sets=%d other=%d module=%s",
			 file_names[a->file], a->watch == CW_SELF ? a->sets : 0,
			 a->watch == CW_OTHER, module);
		add(&c);
	}
}
