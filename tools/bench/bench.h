/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xepoll-bench: the same event-loop workloads on xepoll, native epoll,
 * poll(2) and io_uring, timed in one process so that their ratios mean
 * something.
 *
 * A mechanism (mech.c, mech_ring.c, mech_uring.c) is reached through struct mech: an
 * event set that files are added to, modified in and deleted from, and that
 * is waited on for struct epoll_event records. A workload (floor.c,
 * churn.c, batch.c, sparse.c, pingpong.c, fanout.c, echo.c, memory.c,
 * close.c, errors.c, perfbench.c) describes its cases; the runner (main.c)
 * measures each case on every mechanism that can run it, repeating the
 * round robin over mechanisms so that drift in the machine touches all of
 * them alike, and reports medians, the ratio to native epoll, a table and JSON records.
 */
#ifndef XEPOLL_BENCH_H
#define XEPOLL_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <linux/xepoll.h>

enum mech_id {
	MECH_EPOLL,
	MECH_XEPOLL,
	MECH_RING,
	MECH_POLL,
	MECH_URING,
	MECH_NR,
};

/* What a mechanism can do; a case names what it needs. */
#define CAP_LEVEL	(1U << 0)	/* level-triggered readiness */
#define CAP_EDGE	(1U << 1)	/* a report per new readiness (EPOLLET) */
#define CAP_SHARED	(1U << 2)	/* threads can wait on one set */
#define CAP_EXCLUSIVE	(1U << 3)	/* EPOLLEXCLUSIVE */
#define CAP_WATCH	(1U << 4)	/* registrations live in the kernel */
#define CAP_MINWAIT	(1U << 5)	/* waits for a minimum batch of events */
#define CAP_CLOSE_ENDS	(1U << 6)	/* a file's last close ends its watches */
#define CAP_EPOLL_API	(1U << 7)	/* epoll's calls, on any descriptor */
#define CAP_PRELOAD	(1U << 8)	/* runs unmodified epoll programs */

struct evset;

/*
 * struct mech - one event notification mechanism
 * @add, @mod, @del: change the interest list; @events are epoll's bits
 *	(EPOLLIN, EPOLLOUT, EPOLLET, EPOLLEXCLUSIVE); 0 or -errno
 * @flush: make every change so far take effect (io_uring queues them)
 * @apply: make @nr changes (op, fd, events, data of each entry) take
 *	effect, in one call where the mechanism has one; 0 or -errno
 * @wait: at most @max events into @ev, waiting at most @timeout_ms (-1:
 *	for ever); the count, or -errno
 * @wait_min: with CAP_MINWAIT, @wait that returns once @min_events are
 *	ready or @min_wait_ns after the first was
 * @max_pending: the most events it can hold before they are waited for,
 *	or 0 for no limit
 * @create1, @ctl, @wait_on: with CAP_EPOLL_API, the mechanism's
 *	epoll_create1(), epoll_ctl() and epoll_wait() on whatever descriptor
 *	the caller names (a closed one, a socket), with epoll's returns: -1
 *	and errno on error
 */
struct mech {
	const char *name;
	unsigned int caps;
	unsigned long max_pending;
	struct evset *(*open)(unsigned int size_hint);
	void (*close)(struct evset *set);
	int (*add)(struct evset *set, int fd, uint32_t events, uint64_t data);
	int (*mod)(struct evset *set, int fd, uint32_t events, uint64_t data);
	int (*del)(struct evset *set, int fd);
	int (*flush)(struct evset *set);
	int (*apply)(struct evset *set, struct xepoll_change *changes,
		     unsigned int nr);
	int (*wait)(struct evset *set, struct epoll_event *ev, int max,
		    int timeout_ms);
	int (*wait_min)(struct evset *set, struct epoll_event *ev, int max,
			int min_events, uint64_t min_wait_ns);
	int (*create1)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *event);
	int (*wait_on)(int epfd, struct epoll_event *events, int maxevents,
		       int timeout);
};

/* @apply for a mechanism without batches: one change at a time. */
int apply_each(const struct mech *m, struct evset *set,
	       struct xepoll_change *changes, unsigned int nr);

extern const struct mech mech_epoll, mech_xepoll, mech_ring, mech_poll,
	mech_uring;
extern const struct mech *const mechs[MECH_NR];

/* Whether a mechanism works on this machine (/dev/xepoll, io_uring). */
bool mech_available(const struct mech *m);

/*
 * A sample: what one timed run of a case on one mechanism measured. @ns
 * is the time per operation (the case says what an operation is), @extra
 * a second figure some cases report (wake-ups per event, bytes per
 * watch) or a negative value.
 */
struct sample {
	double ns;
	double extra;
};

/*
 * struct bench_case - one row of the results
 * @workload:	the workload's name, as in the JSON records
 * @params:	what distinguishes the case ("n=10000 k=1 mode=edge")
 * @unit:	what @ns is per ("op", "round trip", "request", ...)
 * @extra_name:	the name of sample.extra in the records, or NULL
 * @caps:	what a mechanism needs to run it
 * @memory:	the case measures bytes (sample.extra), not time
 * @throughput:	sample.extra is a rate (operations per second) that a
 *		program reported, whose ratio to epoll's the records and the
 *		table give too; sample.ns is its inverse
 * @n:		the scale (fds watched) when the case is one of a series
 *		plotted against it, else 0
 * @pending:	the events it lets pile up before waiting for them
 * @epoll_baseline: a mechanism without @caps does not run it, but epoll,
 *	which runs its plain form as the ratios' reference
 * @unloaded:	it is measured without the module too (--phase unloaded)
 * @run:	one timed run; false if the run failed (a message printed)
 * @arg:	the case's own parameters, for @run
 */
struct bench_case {
	const char *workload;
	char params[64];
	const char *unit;
	const char *extra_name;
	unsigned int caps;
	bool memory;
	bool throughput;
	unsigned long n;
	unsigned long pending;
	bool epoll_baseline;
	bool unloaded;
	bool (*run)(const struct mech *m, const void *arg, struct sample *out);
	const void *arg;
};

/* The runner's settings, from the command line. */
struct bench_opts {
	bool quick;		/* tiny sizes: a smoke test, not a measurement */
	int repeats;		/* samples per case and mechanism */
	double min_sample_ms;	/* a timed loop runs at least this long */
	unsigned long max_n;	/* the largest interest list */
	const char *only;	/* run only the workloads named (comma list) */
	bool unloaded;		/* --phase unloaded: the module is not loaded */
};

extern struct bench_opts opts;

/* Each workload hands the runner its cases. */
typedef void (*case_sink)(const struct bench_case *c);
void churn_cases(case_sink add);
void sparse_cases(case_sink add);
void pingpong_cases(case_sink add);
void fanout_cases(case_sink add);
void echo_cases(case_sink add);
void memory_cases(case_sink add);
void batch_cases(case_sink add);
void floor_cases(case_sink add);
void close_cases(case_sink add);
void errors_cases(case_sink add);
void perf_cases(case_sink add);

/* Whether --only (and --phase) let any case of @workload run. */
bool workload_wanted(const char *workload);

/* util.c */
uint64_t now_ns(void);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warnx_bench(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int *fd_pool(unsigned long n);
void raise_nofile(unsigned long n);
uint64_t rng_next(uint64_t *state);
void efd_signal(int fd);
void efd_drain(int fd);
bool xepoll_loaded(void);

/*
 * A timed loop: call step() until at least opts.min_sample_ms has passed
 * and at least @min_iters steps ran; the mean time per step in ns. Each
 * step reports the ns it wants counted (a step may time only part of
 * itself), or a negative value on failure, which ends the loop.
 */
double timed_loop(double (*step)(void *ctx), void *ctx, unsigned long min_iters);

#endif /* XEPOLL_BENCH_H */
