/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters of what xepoll does, shown under /sys/kernel/xepoll/ (sysfs.c).
 * Per-CPU, so that the hot paths (the wake-up callback, event transfer)
 * pay one local add; a read sums the CPUs.
 */
#ifndef _XEPOLL_STATS_H
#define _XEPOLL_STATS_H

#include <linux/percpu.h>

/**
 * struct xep_stats - one CPU's counters, since the module loaded
 * @events:	events delivered to user space
 * @wakeups:	wake-up callbacks run on watched files
 * @releases:	registrations removed by their file's last close
 * @busy_polls:	busy loops run by waits before sleeping (busypoll.c)
 * @ring_cells:	ring cells filled (ring.c), each an event user space can
 *		reap without a system call
 * @ring_overflows: ring events that found no free cell and went to the
 *		ready list instead
 */
struct xep_stats {
	u64 events;
	u64 wakeups;
	u64 releases;
	u64 busy_polls;
	u64 ring_cells;
	u64 ring_overflows;
};

DECLARE_PER_CPU(struct xep_stats, xep_stats);

#define xep_stat_add(field, n)	this_cpu_add(xep_stats.field, (n))

/* The sum over all CPUs of the counter at @offset in struct xep_stats. */
u64 xep_stat_sum(size_t offset);

#endif /* _XEPOLL_STATS_H */
