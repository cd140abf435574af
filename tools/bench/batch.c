// SPDX-License-Identifier: GPL-2.0
/*
 * Batched changes: the churn of churn.c, in batches of B changes (B ADDs,
 * then B MODs, then B DELs of B eventfds), each batch made to take effect
 * at once: one XEPOLL_IOC_SUBMIT on xepoll, B epoll_ctl() calls on epoll,
 * one submission of B queued requests on io_uring, B edits of the array
 * on poll. The time is per change.
 */
#include <stdio.h>

#include "bench.h"
#include "xepoll.h"

#define MAX_BATCH	XEPOLL_SUBMIT_MAX_CHANGES

struct batch {
	const struct mech *m;
	struct evset *set;
	unsigned int nr;
	struct xepoll_change add[MAX_BATCH], mod[MAX_BATCH], del[MAX_BATCH];
};

static double batch_cycle(void *ctx)
{
	struct batch *b = ctx;
	uint64_t t0 = now_ns();

	if (b->m->apply(b->set, b->add, b->nr) ||
	    b->m->apply(b->set, b->mod, b->nr) ||
	    b->m->apply(b->set, b->del, b->nr))
		return -1;
	return (double)(now_ns() - t0) / (3.0 * b->nr);
}

static bool batch_run(const struct mech *m, const void *arg, struct sample *out)
{
	static struct batch b;
	const int *fds;
	unsigned int i;

	b.m = m;
	b.nr = (unsigned int)(uintptr_t)arg;
	fds = fd_pool(b.nr);
	for (i = 0; i < b.nr; i++) {
		xepoll_change_set(&b.add[i], EPOLL_CTL_ADD, fds[i], EPOLLIN, i);
		xepoll_change_set(&b.mod[i], EPOLL_CTL_MOD, fds[i],
				  EPOLLIN | EPOLLOUT, i + b.nr);
		xepoll_change_set(&b.del[i], EPOLL_CTL_DEL, fds[i], 0, 0);
	}
	b.set = m->open(b.nr);
	if (!b.set)
		return false;
	out->ns = timed_loop(batch_cycle, &b, 3);
	m->close(b.set);
	return out->ns >= 0;
}

void batch_cases(case_sink add)
{
	static const unsigned int sizes[] = { 64, MAX_BATCH };
	struct bench_case c = {
		.workload = "batch",
		.unit = "change",
		.run = batch_run,
	};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > opts.max_n)
			break;
		c.arg = (const void *)(uintptr_t)sizes[i];
		snprintf(c.params, sizeof(c.params), "changes=%u", sizes[i]);
		add(&c);
	}
}
