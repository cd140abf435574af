// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: a wait that finds nothing and does not block (timeout 0), on
 * a set watching one unready eventfd. It is what any wait costs before it
 * does anything, the system call and the mechanism's entry, and what a
 * ratio of the other workloads is made of when they do little else.
 */
#include <stdio.h>

#include "bench.h"

struct floor {
	const struct mech *m;
	struct evset *set;
};

static double floor_step(void *ctx)
{
	struct floor *f = ctx;
	struct epoll_event ev;
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < 100; i++)
		if (f->m->wait(f->set, &ev, 1, 0) != 0)
			return -1;
	return (double)(now_ns() - t0) / 100;
}

static bool floor_run(const struct mech *m, const void *arg, struct sample *out)
{
	struct floor f = { .m = m };
	const int *fds = fd_pool(1);

	(void)arg;
	f.set = m->open(1);
	if (!f.set)
		return false;
	if (m->add(f.set, fds[0], EPOLLIN, 0) || m->flush(f.set)) {
		m->close(f.set);
		return false;
	}
	out->ns = timed_loop(floor_step, &f, 10);
	m->close(f.set);
	return out->ns >= 0;
}

void floor_cases(case_sink add)
{
	struct bench_case c = {
		.workload = "floor",
		.unit = "empty wait",
		.run = floor_run,
	};

	snprintf(c.params, sizeof(c.params), "timeout=0");
	add(&c);
}
