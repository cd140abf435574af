// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory per watch: the growth of the unreclaimable slab
 * (/proc/meminfo's SUnreclaim, with the per-CPU counters folded in first
 * through /proc/sys/vm/stat_refresh, which needs root) when N fds are
 * added to a set, divided by N. The time, per add, comes with it.
 *
 * Registrations of the sets before are freed after an RCU grace period,
 * and epoll's in kfree_rcu() batches that may wait seconds, so the
 * baseline is taken once the slab has stopped shrinking.
 */
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static void stat_refresh(void)
{
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (!f)
		return;
	fputs("1\n", f);
	fclose(f);
}

/* The unreclaimable slab's size in bytes. */
static long slab_bytes(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	stat_refresh();
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo: cannot read");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		die("/proc/meminfo has no SUnreclaim line");
	return kb * 1024;
}

/* The slab's size once deferred frees are done: steady for a second. */
static long slab_settled(void)
{
	long now = slab_bytes(), last;
	int steady = 0, i;

	for (i = 0; i < 60 && steady < 4; i++) {
		usleep(250000);
		last = now;
		now = slab_bytes();
		steady = now >= last ? steady + 1 : 0;
	}
	return now;
}

static bool memory_run(const struct mech *m, const void *arg, struct sample *out)
{
	unsigned long n = (unsigned long)(uintptr_t)arg, i;
	const int *fds = fd_pool(n);
	struct evset *set = m->open((unsigned int)n);
	uint64_t t0;
	long before;
	bool ok = false;

	if (!set)
		return false;
	before = slab_settled();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (m->add(set, fds[i], EPOLLIN, i))
			goto out;
	if (m->flush(set))
		goto out;
	out->ns = (double)(now_ns() - t0) / (double)n;
	out->extra = (double)(slab_bytes() - before) / (double)n;
	ok = true;
out:
	m->close(set);
	return ok;
}

void memory_cases(case_sink add)
{
	unsigned long n = opts.max_n < 100000 ? opts.max_n : 100000;
	struct bench_case c = {
		.workload = "memory",
		.unit = "watch",
		.extra_name = "bytes_per_watch",
		.caps = CAP_WATCH,
		.memory = true,
		.run = memory_run,
		.arg = (const void *)(uintptr_t)n,
	};

	snprintf(c.params, sizeof(c.params), "n=%lu", n);
	add(&c);
}
