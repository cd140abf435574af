// SPDX-License-Identifier: GPL-2.0
/*
 * Wake-up fan-out: M threads wait for one eventfd, level-triggered, and the
 * main thread makes it readable once per event and waits until one of them
 * has read it. On epoll and xepoll the threads share one set, without and
 * with EPOLLEXCLUSIVE; on poll and io_uring each thread has its own (they
 * have no exclusive wake-up). The time is per event, and the second figure
 * is the wake-ups per event: the waits that returned the event, of which
 * all but one found it already taken.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

#define MAX_THREADS	16

struct fanout_arg {
	int threads;
	bool exclusive;
};

enum { DATA_EVENT, DATA_STOP };

struct fanout {
	const struct mech *m;
	const struct fanout_arg *a;
	struct evset *shared;
	struct evset *own[MAX_THREADS];
	int efd;		/* the event */
	int stop;		/* readable when the threads must go */
	int done;		/* each event's reader signals it here */
	atomic_ulong wakeups;
	unsigned long events;
};

struct worker {
	struct fanout *f;
	struct evset *set;
};

static void *fanout_worker(void *arg)
{
	struct worker *w = arg;
	struct fanout *f = w->f;
	struct epoll_event ev;
	uint64_t v;
	int ret;

	for (;;) {
		ret = f->m->wait(w->set, &ev, 1, -1);
		if (ret == -EINTR || ret == 0)
			continue;
		if (ret < 0)
			return w;
		if (ev.data.u64 == DATA_STOP)
			return NULL;
		atomic_fetch_add_explicit(&f->wakeups, 1, memory_order_relaxed);
		if (read(f->efd, &v, sizeof(v)) == sizeof(v))
			efd_signal(f->done);
	}
}

static double fanout_event(void *ctx)
{
	struct fanout *f = ctx;
	uint64_t t0 = now_ns(), v;

	efd_signal(f->efd);
	if (read(f->done, &v, sizeof(v)) != sizeof(v))
		return -1;
	f->events++;
	return (double)(now_ns() - t0);
}

static bool fanout_watch(struct fanout *f, struct evset *set)
{
	const struct mech *m = f->m;
	uint32_t excl = f->a->exclusive ? EPOLLEXCLUSIVE : 0;

	return !m->add(set, f->efd, EPOLLIN | excl, DATA_EVENT) &&
	       !m->add(set, f->stop, EPOLLIN, DATA_STOP) && !m->flush(set);
}

static bool fanout_run(const struct mech *m, const void *arg, struct sample *out)
{
	const struct fanout_arg *a = arg;
	struct fanout f = { .m = m, .a = a };
	struct worker w[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	bool ok = true, shared = m->caps & CAP_SHARED;
	unsigned long before;
	void *failed;
	int i;

	f.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f.stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f.done = eventfd(0, EFD_CLOEXEC);
	if (f.efd < 0 || f.stop < 0 || f.done < 0)
		die("eventfd: %s", strerror(errno));
	if (shared) {
		f.shared = m->open(2);
		if (!f.shared || !fanout_watch(&f, f.shared))
			return false;
	}
	for (i = 0; i < a->threads; i++) {
		w[i].f = &f;
		w[i].set = f.shared;
		if (!shared) {
			f.own[i] = m->open(2);
			if (!f.own[i] || !fanout_watch(&f, f.own[i]))
				return false;
			w[i].set = f.own[i];
		}
		if (pthread_create(&t[i], NULL, fanout_worker, &w[i]))
			die("pthread_create");
	}
	/* Let them all reach their wait before the first event. */
	usleep(20000);
	before = atomic_load(&f.wakeups);
	out->ns = timed_loop(fanout_event, &f, 20);
	out->extra = (double)(atomic_load(&f.wakeups) - before) /
		     (double)(f.events ? f.events : 1);
	efd_signal(f.stop);
	for (i = 0; i < a->threads; i++) {
		pthread_join(t[i], &failed);
		ok = ok && !failed;
		if (!shared)
			m->close(f.own[i]);
	}
	if (shared)
		m->close(f.shared);
	close(f.efd);
	close(f.stop);
	close(f.done);
	return ok && out->ns >= 0;
}

void fanout_cases(case_sink add)
{
	static const struct fanout_arg args[] = {
		{ .threads = 4, .exclusive = false },
		{ .threads = 4, .exclusive = true },
		{ .threads = 16, .exclusive = false },
		{ .threads = 16, .exclusive = true },
	};
	struct bench_case c = {
		.workload = "fanout",
		.unit = "event",
		.extra_name = "wakeups_per_event",
		.run = fanout_run,
	};
	unsigned int i;

	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		c.arg = &args[i];
		c.caps = args[i].exclusive ? CAP_EXCLUSIVE : 0;
		snprintf(c.params, sizeof(c.params), "threads=%d exclusive=%s",
			 args[i].threads, args[i].exclusive ? "yes" : "no");
		add(&c);
	}
}

