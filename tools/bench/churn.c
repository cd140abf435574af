// SPDX-License-Identifier: GPL-2.0
/*
 * Interest-list churn: add N fds to a set, modify each, delete each. The
 * time is per change, the mean over the three kinds; io_uring's queued
 * changes are submitted within the time.
 */
#include <stdio.h>

#include "bench.h"

struct churn {
	const struct mech *m;
	struct evset *set;
	const int *fds;
	unsigned long n;
};

static double churn_cycle(void *ctx)
{
	struct churn *c = ctx;
	const struct mech *m = c->m;
	uint64_t t0 = now_ns();
	unsigned long i;

	for (i = 0; i < c->n; i++)
		if (m->add(c->set, c->fds[i], EPOLLIN, i))
			return -1;
	if (m->flush(c->set))
		return -1;
	for (i = 0; i < c->n; i++)
		if (m->mod(c->set, c->fds[i], EPOLLIN | EPOLLOUT, i + c->n))
			return -1;
	if (m->flush(c->set))
		return -1;
	for (i = 0; i < c->n; i++)
		if (m->del(c->set, c->fds[i]))
			return -1;
	if (m->flush(c->set))
		return -1;
	return (double)(now_ns() - t0) / (3.0 * (double)c->n);
}

static bool churn_run(const struct mech *m, const void *arg, struct sample *out)
{
	struct churn c = {
		.m = m,
		.n = (unsigned long)(uintptr_t)arg,
	};

	c.fds = fd_pool(c.n);
	c.set = m->open((unsigned int)c.n);
	if (!c.set)
		return false;
	out->ns = timed_loop(churn_cycle, &c, 1);
	m->close(c.set);
	return out->ns >= 0;
}

void churn_cases(case_sink add)
{
	static const unsigned long sizes[] = { 100, 1000, 10000, 100000 };
	struct bench_case c = {
		.workload = "churn",
		.unit = "change",
		.run = churn_run,
	};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > opts.max_n)
			break;
		c.n = sizes[i];
		c.arg = (const void *)(uintptr_t)sizes[i];
		snprintf(c.params, sizeof(c.params), "n=%lu", sizes[i]);
		add(&c);
	}
}
