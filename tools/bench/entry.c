// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-entry [--rounds N] [--calls N] [--only OP,...]
 * xepoll-entry --spin SECONDS OP
 *
 * The price of one call on each way into the kernel that an
 * epoll-compatible call can take, measured in one process: native
 * epoll_ctl(MOD), epoll_wait() with timeout 0 on an empty set, and
 * epoll_ctl() of a descriptor that is not open (EBADF, epoll's first
 * failure after the epfd's); the same three through the xepoll ioctls
 * (MOD with the event inline and, as libxepoll passes it, by address);
 * an ioctl that xepoll's dispatch refuses (ENOTTY, the price of the ioctl
 * entry alone); MOD and the wait through libxepoll; and a null system call
 * (getppid()) as the floor.
 *
 * Each op is a loop of --calls calls (2000), timed; the ops take turns in
 * --rounds rounds (61), the first op changing each round, so that drift
 * in the machine touches all of them alike. Reported per op: the fastest
 * round, which noise from other work on the machine can only slow, and the
 * median round, each in ns per call and as a ratio to native epoll's op of
 * the same kind; and the fastest round over the null call's.
 *
 * --spin runs one op for SECONDS and nothing else, for perf record.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/xepoll.h>

#include "xepoll.h"

#define MAX_ROUNDS	201

static int epfd, xfd, efd, badfd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "xepoll-entry: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int op_null(void)
{
	return syscall(SYS_getppid) > 0 ? 0 : -1;
}

static int op_epoll_mod(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, efd, &ev);
}

static int op_epoll_wait0(void)
{
	struct epoll_event ev;

	return epoll_wait(epfd, &ev, 1, 0);
}

static int op_epoll_ebadf(void)
{
	struct epoll_event ev = { .events = EPOLLIN };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, badfd, &ev) < 0 && errno == EBADF ? 0 : -1;
}

static int op_ioctl_mod(void)
{
	struct xepoll_ctl ctl = {
		.op = XEPOLL_CTL_MOD, .fd = efd, .events = EPOLLIN, .data = 1,
	};

	return ioctl(xfd, XEPOLL_IOC_CTL, &ctl);
}

/* As libxepoll passes it: the event by address, read as epoll reads it. */
static int op_ioctl_mod_addr(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	struct xepoll_ctl ctl = {
		.op = XEPOLL_CTL_MOD, .fd = efd, .flags = XEPOLL_CTL_EVENT_ADDR,
		.data = (uint64_t)(uintptr_t)&ev,
	};

	return ioctl(xfd, XEPOLL_IOC_CTL, &ctl);
}

static int op_ioctl_wait0(void)
{
	struct epoll_event ev;
	struct xepoll_wait w = {
		.events = (uint64_t)(uintptr_t)&ev, .maxevents = 1,
		.event_size = sizeof(ev),
	};

	return ioctl(xfd, XEPOLL_IOC_WAIT, &w);
}

static int op_ioctl_ebadf(void)
{
	struct xepoll_ctl ctl = {
		.op = XEPOLL_CTL_MOD, .fd = badfd, .events = EPOLLIN,
	};

	return ioctl(xfd, XEPOLL_IOC_CTL, &ctl) < 0 && errno == EBADF ? 0 : -1;
}

/* Refused by xepoll's dispatch: a number it does not know. */
static int op_ioctl_enotty(void)
{
	return ioctl(xfd, _IOW(XEPOLL_IOC_MAGIC, 0x7f, struct xepoll_ctl), NULL) < 0 &&
	       errno == ENOTTY ? 0 : -1;
}

static int op_lib_mod(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	return xepoll_ctl(xfd, EPOLL_CTL_MOD, efd, &ev);
}

static int op_lib_wait0(void)
{
	struct epoll_event ev;

	return xepoll_wait(xfd, &ev, 1, 0);
}


struct op {
	const char *name;
	const char *kind;	/* the native epoll op it compares with */
	int (*fn)(void);
	double ns[MAX_ROUNDS];
	double min, med;
};

static struct op ops[] = {
	{ .name = "null", .kind = NULL, .fn = op_null },
	{ .name = "epoll_mod", .kind = "epoll_mod", .fn = op_epoll_mod },
	{ .name = "epoll_wait0", .kind = "epoll_wait0", .fn = op_epoll_wait0 },
	{ .name = "epoll_ebadf", .kind = "epoll_ebadf", .fn = op_epoll_ebadf },
	{ .name = "ioctl_mod", .kind = "epoll_mod", .fn = op_ioctl_mod },
	{ .name = "ioctl_mod_addr", .kind = "epoll_mod", .fn = op_ioctl_mod_addr },
	{ .name = "ioctl_wait0", .kind = "epoll_wait0", .fn = op_ioctl_wait0 },
	{ .name = "ioctl_ebadf", .kind = "epoll_ebadf", .fn = op_ioctl_ebadf },
	{ .name = "ioctl_enotty", .kind = "epoll_ebadf", .fn = op_ioctl_enotty },
	{ .name = "lib_mod", .kind = "epoll_mod", .fn = op_lib_mod },
	{ .name = "lib_wait0", .kind = "epoll_wait0", .fn = op_lib_wait0 },
};

#define NR_OPS	(sizeof(ops) / sizeof(ops[0]))

static struct op *op_find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_OPS; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

static double time_op(struct op *op, unsigned long calls)
{
	uint64_t t0 = now_ns();
	unsigned long i;

	for (i = 0; i < calls; i++)
		if (op->fn() < 0)
			fail(op->name);
	return (double)(now_ns() - t0) / (double)calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void setup(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	xfd = xepoll_create1(EPOLL_CLOEXEC);
	if (efd < 0 || epfd < 0 || xfd < 0)
		fail("setup");
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) ||
	    xepoll_ctl(xfd, EPOLL_CTL_ADD, efd, &ev))
		fail("add");
	/* A descriptor number that is not open. */
	badfd = dup(efd);
	if (badfd < 0 || close(badfd))
		fail("badfd");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "spin", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long calls = 2000, i, r;
	const char *only = NULL;
	double spin = 0;
	int rounds = 61, opt;
	bool run[NR_OPS];

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'c':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			only = optarg;
			break;
		case 's':
			spin = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !calls ||
	    (spin > 0) != (optind == argc - 1) || (!spin && optind != argc))
		goto usage;
	setup();

	if (spin > 0) {
		struct op *op = op_find(argv[optind]);
		uint64_t end = now_ns() + (uint64_t)(spin * 1e9);

		if (!op)
			goto usage;
		while (now_ns() < end)
			time_op(op, 1000);
		return 0;
	}

	for (i = 0; i < NR_OPS; i++) {
		char key[64];

		snprintf(key, sizeof(key), ",%s,", ops[i].name);
		run[i] = true;
		if (only) {
			char list[512];

			snprintf(list, sizeof(list), ",%s,", only);
			run[i] = strstr(list, key) != NULL;
		}
		if (run[i])
			time_op(&ops[i], calls / 10 + 1);	/* warm up */
	}
	for (r = 0; r < (unsigned long)rounds; r++)
		for (i = 0; i < NR_OPS; i++) {
			struct op *op = &ops[(i + r) % NR_OPS];

			if (run[op - ops])
				op->ns[r] = time_op(op, calls);
		}

	printf("%-16s %9s %8s %8s %9s %8s\n", "op", "min ns", "x epoll", "x null",
	       "median", "x epoll");
	for (i = 0; i < NR_OPS; i++) {
		double tmp[MAX_ROUNDS];

		if (!run[i])
			continue;
		memcpy(tmp, ops[i].ns, sizeof(tmp));
		qsort(tmp, (size_t)rounds, sizeof(double), cmp_double);
		ops[i].min = tmp[0];
		ops[i].med = tmp[rounds / 2];
	}
	for (i = 0; i < NR_OPS; i++) {
		struct op *base = ops[i].kind ? op_find(ops[i].kind) : NULL;
		struct op *null = &ops[0];

		if (!run[i])
			continue;
		printf("%-16s %9.1f", ops[i].name, ops[i].min);
		if (base && run[base - ops])
			printf(" %8.3f", ops[i].min / base->min);
		else
			printf(" %8s", "-");
		if (run[0])
			printf(" %8.3f", ops[i].min / null->min);
		else
			printf(" %8s", "-");
		printf(" %9.1f", ops[i].med);
		if (base && run[base - ops])
			printf(" %8.3f", ops[i].med / base->med);
		putchar('\n');
	}
	return 0;

usage:
	fputs("usage: xepoll-entry [--rounds N] [--calls N] [--only OP,...]\n"
	      "       xepoll-entry --spin SECONDS OP\n", stderr);
	return 2;
}
