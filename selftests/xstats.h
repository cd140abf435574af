/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the stress, fuzz and fault-injection selftests: the
 * per-user counters of /sys/kernel/xepoll/users, a seeded PRNG, and the
 * bounds (time, iterations) of a randomized run taken from the
 * environment.
 */
#ifndef XEPOLL_SELFTESTS_XSTATS_H
#define XEPOLL_SELFTESTS_XSTATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define XEP_SYSFS_USERS	"/sys/kernel/xepoll/users"

/* One user's line of /sys/kernel/xepoll/users; no line is 0 and 0. */
struct xep_counts {
	long instances;
	long watches;
};

/* 0 on success, -1 if the file cannot be read. */
static inline int xep_counts_read(uid_t uid, struct xep_counts *c)
{
	unsigned int u, inst;
	long watches;
	FILE *f = fopen(XEP_SYSFS_USERS, "re");

	c->instances = 0;
	c->watches = 0;
	if (!f)
		return -1;
	while (fscanf(f, "%u %u %ld", &u, &inst, &watches) == 3) {
		if (u == uid) {
			c->instances = inst;
			c->watches = watches;
		}
	}
	fclose(f);
	return 0;
}

static inline double xep_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The counters may lag the last close() a little: a file whose last
 * reference goes in an exiting task is released by a worker. Wait up to
 * @secs for them to equal @base; 0 if they do, -1 (with @now filled) if not.
 */
static inline int xep_counts_settle(uid_t uid, const struct xep_counts *base,
				    struct xep_counts *now, double secs)
{
	double end = xep_now() + secs;

	for (;;) {
		if (xep_counts_read(uid, now))
			return -1;
		if (now->instances == base->instances && now->watches == base->watches)
			return 0;
		if (xep_now() > end)
			return -1;
		usleep(20000);
	}
}

/* xorshift64*: small, seedable, and private to each thread or process. */
static inline uint64_t xep_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint32_t xep_rand_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((xep_rand(s) >> 32) % n);
}

/* An environment variable as a number, or @def. */
static inline unsigned long long xep_env_ull(const char *name,
					     unsigned long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* The seed: $<name> if set, else from the clock and pid; never 0. */
static inline uint64_t xep_seed(const char *name)
{
	struct timespec ts;
	uint64_t seed = xep_env_ull(name, 0);

	if (!seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
	}
	return seed ? seed : 1;
}

#endif /* XEPOLL_SELFTESTS_XSTATS_H */
