// SPDX-License-Identifier: GPL-2.0
/* Clocks, descriptors and other small things every workload uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void vwarn_bench(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("xepoll-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_bench(fmt, ap);
	va_end(ap);
	exit(1);
}

void warnx_bench(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_bench(fmt, ap);
	va_end(ap);
}

/*
 * The eventfds the workloads watch, shared by all of them: created once, as
 * many as the largest case needs, and always left unreadable.
 */
int *fd_pool(unsigned long n)
{
	static int *pool;
	static unsigned long nr;

	if (n <= nr)
		return pool;
	raise_nofile(n + 4096);
	pool = realloc(pool, n * sizeof(*pool));
	if (!pool)
		die("out of memory");
	for (; nr < n; nr++) {
		pool[nr] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (pool[nr] < 0)
			die("eventfd #%lu: %s", nr, strerror(errno));
	}
	return pool;
}

/* Room for @n more descriptors than a process starts with. */
void raise_nofile(unsigned long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= n + 64)
		return;
	rl.rlim_cur = n + 64;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("cannot allow %lu descriptors: %s", n + 64, strerror(errno));
}

/* xorshift64*: the same sequence on every mechanism. */
uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void efd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		die("eventfd write: %s", strerror(errno));
}

void efd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		die("eventfd read: %s", strerror(errno));
}

/* Whether the module is loaded: its directory in /sys/module. */
bool xepoll_loaded(void)
{
	return access("/sys/module/xepoll", F_OK) == 0;
}

double timed_loop(double (*step)(void *ctx), void *ctx, unsigned long min_iters)
{
	uint64_t t0 = now_ns(), min_ns = (uint64_t)(opts.min_sample_ms * 1e6);
	unsigned long iters = 0;
	double counted = 0, ns;

	while (iters < min_iters || now_ns() - t0 < min_ns) {
		ns = step(ctx);
		if (ns < 0)
			return -1;
		counted += ns;
		iters++;
	}
	return counted / (double)iters;
}
