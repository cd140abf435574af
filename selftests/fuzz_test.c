// SPDX-License-Identifier: GPL-2.0
/*
 * An ioctl fuzzer with an oracle: random commands (xepoll's magic with
 * random number, direction and size, and other magics), random argument
 * sizes (smaller, exact, larger with zero or non-zero tails), random
 * flags, ops, masks and reserved fields, and good and bad pointers (NULL,
 * unmapped, kernel, misaligned, read-only, straddling into a guard page),
 * on the device, on an instance and on other descriptors. Every call's
 * result is compared with what the ABI (uapi/linux/xepoll.h) and epoll's
 * rules say it must be: the precise errno where it is determined, a small
 * set where it depends on readiness.
 *
 * The fuzzer is the only user of its instance, so the interest list is
 * modelled exactly; and of XEPOLL_IOC_RING_SETUP's result on it (a ring
 * or none).
 *
 * Ring mode: a second instance, with a ring of a random size that the
 * fuzzer maps (mmap() itself fuzzed: lengths, offsets, flags), carries
 * random registrations (edge-triggered, one-shot, level-triggered) of
 * eventfds that are written, read, modified, deleted and closed while
 * they have events in the ring, and is reaped by the cell protocol, by
 * waits, and by consumers that break the protocol; and random writes
 * land in the mapping between calls. While the mapping holds only what
 * the protocol wrote, every event reaped, from the ring or by a wait, must
 * be a registered one's, with its current data, never one deleted or
 * closed, and no wait may report one registration twice; after garbage,
 * only the bounds hold (the count, nothing written past it, the call
 * returns), until the instance is made again.
 *
 * Bounded by XEPOLL_FUZZ_SECONDS (default 10) and
 * XEPOLL_FUZZ_ITERATIONS (default 200000); seeded by XEPOLL_FUZZ_SEED,
 * else the clock, and the seed is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/utsname.h>

#include <linux/time_types.h>
#include <linux/xepoll.h>

#include "kselftest_harness.h"
#include "xepoll.h"
#include "xstats.h"

#define KADDR1		0xffff800000000000ULL
#define KADDR2		0xffffffff81000000ULL
#define REGION_PAGES	8
#define EXCL_OK		(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
			 EPOLLET | EPOLLEXCLUSIVE)
#define PRIVATE_BITS	(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

/* Descriptors CTL is pointed at. */
enum tgt { T_EFD, T_PIPE_R, T_PIPE_W, T_NEST, T_SELF, T_DEV, T_NULL, T_CLOSED, T_NEG, T_NR };

#define RING_FDS	8
#define RING_DEAD	64

/**
 * struct rfuzz - the ring instance of ring mode
 * @ep:		the instance
 * @s:		its ring's geometry
 * @map:	the fuzzer's mapping of it, or NULL
 * @maplen:	its length
 * @clean:	nothing but the protocol has written to the ring since @ep
 *		was made: the exact oracle holds
 * @efd:	eventfds registered (or not) in @ep
 * @reg:	whether each is
 * @events:	its mask
 * @data:	its data
 * @dead:	data of registrations deleted or closed: never to be seen
 * @ndead:	how many (a ring buffer of them)
 */
struct rfuzz {
	int ep;
	struct xepoll_ring_setup s;
	unsigned char *map;
	size_t maplen;
	bool clean;
	int efd[RING_FDS];
	bool reg[RING_FDS];
	uint32_t events[RING_FDS];
	uint64_t data[RING_FDS];
	uint64_t dead[RING_DEAD];
	unsigned int ndead;
};

struct fuzz {
	uint64_t rnd;
	long page;
	char *region;		/* REGION_PAGES read-write, then a guard page */
	char *guard;		/* PROT_NONE */
	char *ro;		/* a read-only page of zeros */
	char *unmapped;
	int dev, ep, fds[T_NR];
	bool registered[T_NR], excl[T_NR];
	uint64_t data[T_NR];
	unsigned long calls, by_errno[256];
	/* XEPOLL_IOC_RING_SETUP on @ep: the entries of its ring, or 0. */
	unsigned int ring_entries;
	struct rfuzz r;
	unsigned long ring_ops, ring_reaped, ring_waited, ring_garbage;
	struct __test_metadata *md;
};

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The result as 0..n or -errno. */
static long xioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * A bad address for an argument struct of @size bytes, and the errno
 * reading it must give. Returns 0 for "use a good address".
 */
static uint64_t bad_addr(struct fuzz *f, size_t size)
{
	switch (xep_rand_below(&f->rnd, 6)) {
	case 0:
		return 0;	/* NULL */
	case 1:
		return (uint64_t)(uintptr_t)f->unmapped + xep_rand_below(&f->rnd, 64);
	case 2:
		return KADDR1 + xep_rand_below(&f->rnd, 4096);
	case 3:
		return KADDR2;
	case 4:
		/* straddles the guard page: the start is mapped, not the end */
		if (size > 1024)
			return (uint64_t)(uintptr_t)f->unmapped;
		return (uint64_t)(uintptr_t)f->guard - 1 - xep_rand_below(&f->rnd, size - 1 ? size - 1 : 1);
	default:
		return ~0ULL - xep_rand_below(&f->rnd, 16);
	}
}

/*
 * Where good arguments go: a slot of the region (perhaps misaligned) or of
 * the read-only page, so that the struct, its timespec, its signal mask
 * and its event never overlap. The region's last page stays zero.
 */
enum slot { S_STRUCT, S_TIMESPEC, S_SIGSET, S_EPEV };

static uint64_t place(struct fuzz *f, enum slot slot, const void *src, size_t len,
		      size_t room, bool allow_ro)
{
	static const size_t at[] = { 0, 6 * 4096 + 1024, 6 * 4096 + 2048, 6 * 4096 + 3072 };
	char *p;

	if (allow_ro && room <= 512 && !xep_rand_below(&f->rnd, 4)) {
		p = f->ro + slot * 1024 + xep_rand_below(&f->rnd, 64);
		mprotect(f->ro, f->page, PROT_READ | PROT_WRITE);
		memset(p, 0, room);
		memcpy(p, src, len);
		mprotect(f->ro, f->page, PROT_READ);
		return (uint64_t)(uintptr_t)p;
	}
	p = f->region + at[slot] + xep_rand_below(&f->rnd, 8);
	memset(p, 0, room);
	memcpy(p, src, len);
	return (uint64_t)(uintptr_t)p;
}

/*
 * Where an ioctl's argument struct @src (@len bytes, seen as @usize) goes:
 * one time in ten a bad address, which makes the call EFAULT (*@want),
 * whatever else is wrong with it; else a slot, where with @tail_nonzero
 * one byte of the part past @len is made non-zero.
 */
static uint64_t place_arg(struct fuzz *f, const void *src, size_t len,
			  size_t usize, bool tail_nonzero, long *want)
{
	uint64_t arg = xep_rand_below(&f->rnd, 10) ? 0 : bad_addr(f, usize);

	if (arg) {
		*want = -EFAULT;
		return arg;
	}
	arg = place(f, S_STRUCT, src, len, usize, !tail_nonzero);
	if (tail_nonzero)
		((char *)(uintptr_t)arg)[usize - 1 - xep_rand_below(&f->rnd, usize - len)] = 1;
	return arg;
}

static const char *errname(long e)
{
	static char buf[32];

	if (e >= 0) {
		snprintf(buf, sizeof(buf), "%ld", e);
		return buf;
	}
	return strerrorname_np((int)-e) ?: "?";
}

#define CHECK(f, cond, fmt, ...) do {						\
	struct __test_metadata *_metadata = (f)->md;				\
	ASSERT_TRUE(cond) TH_LOG("call %lu: " fmt, (f)->calls, ##__VA_ARGS__);	\
} while (0)

static void count(struct fuzz *f, long ret)
{
	f->calls++;
	f->by_errno[ret < 0 && -ret < 256 ? -ret : 0]++;
}

/* A random event mask, biased towards meaningful ones. */
static uint32_t rand_events(struct fuzz *f)
{
	static const uint32_t bits[] = { EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
		EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLERR, EPOLLHUP };
	uint32_t ev = 0;
	unsigned int i;

	if (!xep_rand_below(&f->rnd, 8))
		return (uint32_t)xep_rand(&f->rnd);
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!xep_rand_below(&f->rnd, i < 2 ? 2 : 5))
			ev |= bits[i];
	return ev;
}

/* What XEPOLL_IOC_CTL must return for @c, following epoll_ctl()'s order. */
static long ctl_expect(struct fuzz *f, const struct xepoll_ctl *c, int t,
		       bool evbad, uint32_t *events)
{
	bool has_event = c->op != XEPOLL_CTL_DEL;

	if (c->flags & ~XEPOLL_CTL_EVENT_ADDR)
		return -EINVAL;
	if (c->flags & XEPOLL_CTL_EVENT_ADDR) {
		if (c->events)
			return -EINVAL;
		if (has_event && evbad)
			return -EFAULT;
	}
	if (t == T_CLOSED || t == T_NEG)
		return -EBADF;
	if (t == T_DEV || t == T_NULL)
		return -EPERM;
	if (t == T_SELF)
		return -EINVAL;
	if (has_event && (*events & EPOLLEXCLUSIVE)) {
		if (c->op == XEPOLL_CTL_MOD)
			return -EINVAL;
		if (c->op == XEPOLL_CTL_ADD && (t == T_NEST || (*events & ~EXCL_OK)))
			return -EINVAL;
	}
	switch (c->op) {
	case XEPOLL_CTL_ADD:
		return f->registered[t] ? -EEXIST : 0;
	case XEPOLL_CTL_DEL:
		return f->registered[t] ? 0 : -ENOENT;
	case XEPOLL_CTL_MOD:
		if (!f->registered[t])
			return -ENOENT;
		return f->excl[t] ? -EINVAL : 0;
	}
	return -EINVAL;
}

static void fuzz_ctl(struct fuzz *f, unsigned long cmd, size_t usize, bool tail_nonzero)
{
	static const uint32_t ops[] = { 0, XEPOLL_CTL_ADD, XEPOLL_CTL_DEL, XEPOLL_CTL_MOD, 4 };
	struct xepoll_ctl c = { 0 };
	struct epoll_event ev;
	uint64_t arg;
	uint32_t events;
	bool evbad = false;
	long ret, want;
	int t = xep_rand_below(&f->rnd, T_NR);

	c.op = xep_rand_below(&f->rnd, 16) ? ops[xep_rand_below(&f->rnd, 5)] :
					       (uint32_t)xep_rand(&f->rnd);
	c.fd = f->fds[t];
	events = rand_events(f);
	if (xep_rand_below(&f->rnd, 2)) {
		c.flags = XEPOLL_CTL_EVENT_ADDR;
		ev.events = events;
		ev.data.u64 = xep_rand(&f->rnd);
		evbad = !xep_rand_below(&f->rnd, 5);
		if (evbad)
			c.data = bad_addr(f, sizeof(ev));
		else
			c.data = place(f, S_EPEV, &ev, sizeof(ev), sizeof(ev), true);
		if (!xep_rand_below(&f->rnd, 16))
			c.events = (uint32_t)xep_rand(&f->rnd) | 1;
	} else {
		c.events = events;
		c.data = xep_rand(&f->rnd);
		ev.data.u64 = c.data;
	}
	if (!xep_rand_below(&f->rnd, 16))
		c.flags |= 2U << xep_rand_below(&f->rnd, 31);	/* an undefined flag */

	want = ctl_expect(f, &c, t, evbad, &events);
	if (tail_nonzero)
		want = -E2BIG;

	arg = place_arg(f, &c, sizeof(c), usize, tail_nonzero, &want);
	ret = xioctl(f->ep, cmd, arg);
	count(f, ret);
	CHECK(f, ret == want, "CTL op %u fd %d (target %d) events %#x flags %#x data %#llx size %zu arg %#llx: %s, expected %s",
	      c.op, c.fd, t, events, c.flags, (unsigned long long)c.data, usize,
	      (unsigned long long)arg, errname(ret), errname(want));
	if (ret)
		return;
	if (c.op == XEPOLL_CTL_ADD) {
		f->registered[t] = true;
		f->excl[t] = events & EPOLLEXCLUSIVE;
		f->data[t] = ev.data.u64;
	} else if (c.op == XEPOLL_CTL_MOD) {
		f->data[t] = ev.data.u64;
	} else {
		f->registered[t] = false;
	}
}

static uint64_t timespec_addr(struct fuzz *f, long *want_err)
{
	struct __kernel_timespec ts = { 0 };

	switch (xep_rand_below(&f->rnd, 8)) {
	case 0:
		*want_err = -EFAULT;
		return bad_addr(f, sizeof(ts)) ?: KADDR1;
	case 1:
		ts.tv_sec = -1 - (long long)xep_rand_below(&f->rnd, 1000);
		*want_err = -EINVAL;
		break;
	case 2:
		ts.tv_nsec = xep_rand_below(&f->rnd, 2) ? -1 : 1000000000LL + xep_rand_below(&f->rnd, 1000);
		*want_err = -EINVAL;
		break;
	default:
		ts.tv_nsec = xep_rand_below(&f->rnd, 3000000);
		*want_err = 0;
	}
	return place(f, S_TIMESPEC, &ts, sizeof(ts), sizeof(ts), true);
}

static void fuzz_wait(struct fuzz *f, unsigned long cmd, size_t usize, bool tail_nonzero)
{
	struct xepoll_wait w = { 0 };
	uint64_t sigset, arg;
	long ret, want = 0, terr = 0;
	bool forever = false, outbad = false, outkernel = false;
	char *out;
	int i, n;

	w.event_size = xep_rand_below(&f->rnd, 8) ? (xep_rand_below(&f->rnd, 2) ? 16U : 12U) :
						  xep_rand_below(&f->rnd, 64);
	w.maxevents = xep_rand_below(&f->rnd, 10) ? 1 + (int)xep_rand_below(&f->rnd, 16) :
		      (int)(xep_rand(&f->rnd) >> xep_rand_below(&f->rnd, 64));
	if (!xep_rand_below(&f->rnd, 16))
		w.flags = 1U << xep_rand_below(&f->rnd, 32);
	else if (xep_rand_below(&f->rnd, 3) == 0)
		w.flags = XEPOLL_WAIT_TIMESPEC;

	if (w.flags == XEPOLL_WAIT_TIMESPEC) {
		if (!xep_rand_below(&f->rnd, 8)) {
			w.timeout = 0;
			forever = true;
		} else {
			w.timeout = timespec_addr(f, &terr);
		}
		if (!xep_rand_below(&f->rnd, 12))
			w.timeout_ms = 1 + xep_rand_below(&f->rnd, 5);
	} else {
		switch (xep_rand_below(&f->rnd, 8)) {
		case 0:
			w.timeout_ms = -1 - (int64_t)xep_rand_below(&f->rnd, 3);
			forever = true;
			break;
		case 1:
			w.timeout_ms = 0;
			break;
		default:
			w.timeout_ms = xep_rand_below(&f->rnd, 3);
		}
		/* Unused without the flag, so it must be zero: EINVAL. */
		if (!xep_rand_below(&f->rnd, 12))
			w.timeout = xep_rand_below(&f->rnd, 2) ? timespec_addr(f, &terr) :
				    xep_rand(&f->rnd) | 1;
	}

	if (xep_rand_below(&f->rnd, 3) == 0) {
		/* Never SIGALRM, which ends the waits that have no timeout. */
		sigset = xep_rand(&f->rnd) & ~(1ULL << (SIGALRM - 1));
		w.sigmask_size = xep_rand_below(&f->rnd, 6) ? 8 : xep_rand_below(&f->rnd, 130);
		w.sigmask = xep_rand_below(&f->rnd, 8) ? place(f, S_SIGSET, &sigset, 8, 8, true) : bad_addr(f, 8) ?: KADDR2;
	} else if (!xep_rand_below(&f->rnd, 16)) {
		/* Without a mask its size is unused and must be zero: EINVAL. */
		w.sigmask_size = xep_rand_below(&f->rnd, 2) ? 8 : (uint32_t)xep_rand(&f->rnd);
	}

	out = f->region + 4096 * 5 + xep_rand_below(&f->rnd, 8);
	switch (xep_rand_below(&f->rnd, 8)) {
	case 0:
		w.events = bad_addr(f, 16);
		outbad = true;
		outkernel = w.events >= KADDR1;
		break;
	case 1:
		w.events = (uint64_t)(uintptr_t)f->ro;
		outbad = true;
		break;
	default:
		memset(out, 0xa5, 4096);
		w.events = (uint64_t)(uintptr_t)out;
	}

	/* The expected error, in the kernel's order of checks. */
	if (w.flags & ~XEPOLL_WAIT_TIMESPEC)
		want = -EINVAL;
	else if (w.event_size != 12 && w.event_size != 16)
		want = -EINVAL;
	else if (w.flags && w.timeout_ms)
		want = -EINVAL;
	else if (!w.flags && w.timeout)
		want = -EINVAL;	/* a timespec address without the flag */
	else if (w.flags && w.timeout && terr)
		want = terr;
	else if (!w.sigmask && w.sigmask_size)
		want = -EINVAL;	/* a mask size without a mask */
	else if (w.sigmask && w.sigmask_size != 8)
		want = -EINVAL;
	else if (w.sigmask && (w.sigmask < 4096 || w.sigmask >= KADDR1 ||
			       (w.sigmask >= (uint64_t)(uintptr_t)f->unmapped &&
				w.sigmask < (uint64_t)(uintptr_t)f->unmapped + 4096) ||
			       (w.sigmask >= (uint64_t)(uintptr_t)f->guard - 8 &&
				w.sigmask < (uint64_t)(uintptr_t)f->guard + 4096)))
		want = -EFAULT;
	else if (w.maxevents <= 0 || w.maxevents > INT_MAX / (int)w.event_size)
		want = -EINVAL;
	else if (outkernel || w.events + (uint64_t)w.maxevents * w.event_size < w.events)
		want = -EFAULT;
	else
		want = 1;	/* a wait: checked below */

	if (tail_nonzero)
		want = -E2BIG;
	arg = place_arg(f, &w, sizeof(w), usize, tail_nonzero, &want);

	/*
	 * A wait with no timeout ends with the next event or SIGALRM, which
	 * repeats, in case the first one comes before the wait begins.
	 */
	if (want == 1 && forever)
		setitimer(ITIMER_REAL, &(struct itimerval){ .it_value.tv_usec = 20000,
						  .it_interval.tv_usec = 20000 }, NULL);
	ret = xioctl(f->ep, cmd, arg);
	if (want == 1 && forever)
		setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	count(f, ret);
	/* Events written before the guard page: the region's end stays zero. */
	memset(f->guard - f->page, 0, f->page);

	if (want != 1) {
		CHECK(f, ret == want, "WAIT flags %#x size %u max %d tmo %lld ts %#llx sig %#llx/%u ev %#llx usize %zu arg %#llx: %s, expected %s",
		      w.flags, w.event_size, w.maxevents, (long long)w.timeout_ms,
		      (unsigned long long)w.timeout, (unsigned long long)w.sigmask,
		      w.sigmask_size, (unsigned long long)w.events, usize,
		      (unsigned long long)arg, errname(ret), errname(want));
		return;
	}
	/* Readiness is not modelled: some events, none, or EFAULT/EINTR. */
	CHECK(f, (ret >= 0 && ret <= w.maxevents) || (outbad && ret == -EFAULT) ||
		 (forever && ret == -EINTR),
	      "WAIT size %u max %d forever %d outbad %d: %s", w.event_size,
	      w.maxevents, forever, outbad, errname(ret));
	CHECK(f, !(forever && ret == 0), "a wait without timeout returned 0");
	if (ret <= 0 || outbad)
		return;
	n = (int)ret;
	for (i = 0; i < n; i++) {
		char *e = out + (size_t)i * w.event_size;
		uint32_t events, pad = 0;
		uint64_t data, other;
		bool known = false;
		int t, j;

		memcpy(&events, e, 4);
		if (w.event_size == 16) {
			memcpy(&pad, e + 4, 4);
			memcpy(&data, e + 8, 8);
		} else {
			memcpy(&data, e + 4, 8);
		}
		for (t = 0; t < T_NR; t++)
			known |= f->registered[t] && f->data[t] == data;
		CHECK(f, known, "event %d data %#llx was never registered", i,
		      (unsigned long long)data);
		CHECK(f, events && !(events & PRIVATE_BITS) && !pad,
		      "event %d: events %#x pad %#x", i, events, pad);
		/* One wait reports a registration once. */
		for (j = 0; j < i; j++) {
			memcpy(&other, out + (size_t)j * w.event_size +
			       (w.event_size == 16 ? 8 : 4), 8);
			CHECK(f, other != data, "events %d and %d: data %#llx twice",
			      j, i, (unsigned long long)data);
		}
	}
	/* Nothing written past the events returned. */
	for (i = n * w.event_size; i < (int)(w.maxevents * w.event_size) && i < 4096; i++)
		CHECK(f, (unsigned char)out[i] == 0xa5, "byte %d after %d events written", i, n);
}

static void fuzz_create(struct fuzz *f, unsigned long cmd, size_t usize, bool tail_nonzero)
{
	struct xepoll_create c = { 0 };
	uint64_t arg;
	long ret, want = 0;
	int fl;

	c.flags = xep_rand_below(&f->rnd, 2) ? XEPOLL_CLOEXEC : 0;
	if (!xep_rand_below(&f->rnd, 8))
		c.flags |= 2U << xep_rand_below(&f->rnd, 31);	/* an undefined flag */
	if (!xep_rand_below(&f->rnd, 8))
		c.__reserved = (uint32_t)xep_rand(&f->rnd) | 1;
	if (c.__reserved || (c.flags & ~XEPOLL_CLOEXEC))
		want = -EINVAL;
	if (tail_nonzero)
		want = -E2BIG;
	arg = place_arg(f, &c, sizeof(c), usize, tail_nonzero, &want);
	ret = xioctl(f->dev, cmd, arg);
	count(f, ret);
	if (want == 0) {
		CHECK(f, ret >= 0, "CREATE flags %#x: %s", c.flags, errname(ret));
		fl = fcntl((int)ret, F_GETFD);
		CHECK(f, fl == (c.flags ? FD_CLOEXEC : 0), "CREATE flags %#x: fd flags %d", c.flags, fl);
		close((int)ret);
		return;
	}
	if (ret >= 0)
		close((int)ret);
	CHECK(f, ret == want, "CREATE flags %#x reserved %#x size %zu arg %#llx: %s, expected %s",
	      c.flags, c.__reserved, usize, (unsigned long long)arg, errname(ret), errname(want));
}

/*
 * CLOSE, deprecated and now a plain close: on a bad descriptor, or on a
 * sacrificial one, perhaps watched, perhaps with a dup that keeps its file
 * (and so its watch) until the dup's own plain close.
 */
static void fuzz_close(struct fuzz *f, int on, unsigned long cmd)
{
	static const unsigned long bad[] = { ~0UL, (unsigned long)INT_MAX + 1, INT_MAX, 4000, 0x100000000UL };
	struct xep_counts before, after;
	struct epoll_event ev = { .events = EPOLLIN };
	long ret;
	int fd, dupfd = -1, watched = 0;

	if (xep_rand_below(&f->rnd, 2)) {
		unsigned long a = bad[xep_rand_below(&f->rnd, 5)];

		ret = xioctl(on, cmd, a);
		count(f, ret);
		CHECK(f, ret == -EBADF, "CLOSE %#lx: %s", a, errname(ret));
		return;
	}
	/* An eventfd, or an instance, which may be asked to close itself. */
	if (xep_rand_below(&f->rnd, 2)) {
		fd = eventfd(1, EFD_CLOEXEC);
	} else {
		fd = xepoll_create1(EPOLL_CLOEXEC);
		if (on == f->ep && xep_rand_below(&f->rnd, 2))
			on = fd;
	}
	CHECK(f, fd >= 0, "eventfd or instance: %m");
	if (xep_rand_below(&f->rnd, 2)) {
		CHECK(f, xepoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) == 0, "ADD: %m");
		watched = 1;
		if (!xep_rand_below(&f->rnd, 4))
			dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	}
	xep_counts_read(getuid(), &before);
	ret = xioctl(on, cmd, fd);
	count(f, ret);
	CHECK(f, ret == 0, "CLOSE %d: %s", fd, errname(ret));
	CHECK(f, fcntl(fd, F_GETFD) < 0 && errno == EBADF, "fd %d still open after CLOSE", fd);
	xep_counts_read(getuid(), &after);
	CHECK(f, after.watches == before.watches - (watched && dupfd < 0),
	      "CLOSE of a watched file%s: watches %ld -> %ld",
	      dupfd < 0 ? "" : " with a dup", before.watches, after.watches);
	if (dupfd < 0)
		return;
	/* The file's last reference: a plain close drops the watch. */
	xep_counts_read(getuid(), &before);
	CHECK(f, close(dupfd) == 0, "close of the dup: %m");
	xep_counts_read(getuid(), &after);
	CHECK(f, after.watches == before.watches - 1,
	      "last close of a watched file: watches %ld -> %ld", before.watches, after.watches);
}

/*
 * XEPOLL_IOC_SUBMIT with changes that leave the modelled interest list
 * alone: each entry is refused on its own (an undefined flag, a non-zero
 * reserved field, a closed descriptor, a change by data that matches
 * nothing), so only the call's checks and the results are at stake. Waits
 * are fuzzed through XEPOLL_IOC_WAIT, whose checks a submit shares.
 */
static void fuzz_submit(struct fuzz *f, unsigned long cmd, size_t usize, bool tail_nonzero)
{
	struct xepoll_change c[4] = { 0 }, *uc;
	struct xepoll_submit sub = { 0 };
	long want, wres[4];
	bool cbad = false;
	uint64_t arg;
	long ret;
	unsigned int i;

	sub.nr_changes = xep_rand_below(&f->rnd, 16) ? xep_rand_below(&f->rnd, 5) :
			 (uint32_t)xep_rand(&f->rnd);
	sub.change_size = xep_rand_below(&f->rnd, 8) ? sizeof(c[0]) : xep_rand_below(&f->rnd, 32);
	if (!xep_rand_below(&f->rnd, 16))
		sub.flags = 1U << xep_rand_below(&f->rnd, 32);
	if (!xep_rand_below(&f->rnd, 32))
		sub.__reserved = 1;
	if (!xep_rand_below(&f->rnd, 32))
		sub.wait_size = 48 + xep_rand_below(&f->rnd, 32);	/* without a wait */
	for (i = 0; i < 4; i++) {
		c[i].op = xep_rand_below(&f->rnd, 4);
		c[i].fd = f->fds[T_CLOSED];
		c[i].events = rand_events(f);
		wres[i] = -EBADF;
		switch (xep_rand_below(&f->rnd, 4)) {
		case 0:
			c[i].flags = 4U << xep_rand_below(&f->rnd, 30);
			wres[i] = -EINVAL;
			break;
		case 1:
			c[i].__reserved = 1 + xep_rand_below(&f->rnd, 8);
			wres[i] = -EINVAL;
			break;
		case 2:
			/* By data: the model never uses data 0x5ab0 + i. */
			c[i].flags = XEPOLL_CTL_BY_DATA;
			c[i].fd = -1;
			c[i].op = XEPOLL_CTL_DEL;
			c[i].data = 0x5ab0 + i;
			wres[i] = -ENOENT;
			break;
		}
		c[i].result = (int32_t)xep_rand(&f->rnd);
	}
	/* Past the struct's slot, even at its largest size (16 KiB + 8). */
	uc = (struct xepoll_change *)(f->region + 4096 * 4 + 64);
	if (!xep_rand_below(&f->rnd, 8)) {
		/* Bad for the entries the call reads, however many. */
		sub.changes = bad_addr(f, sizeof(c[0]) * (sub.nr_changes && sub.nr_changes < 4 ?
							  sub.nr_changes : 4)) ?: KADDR1;
		cbad = true;
	} else {
		memcpy(uc, c, sizeof(c));
		sub.changes = (uint64_t)(uintptr_t)uc;
	}

	/* The expected result, in the kernel's order of checks. */
	if ((sub.flags & ~XEPOLL_SUBMIT_STOP_ON_ERROR) || sub.__reserved ||
	    sub.nr_changes > XEPOLL_SUBMIT_MAX_CHANGES ||
	    (sub.nr_changes && sub.change_size < sizeof(c[0])) || sub.wait_size)
		want = -EINVAL;
	else
		want = sub.nr_changes;	/* a full struct slot in r/w memory */
	if (tail_nonzero)
		want = -E2BIG;
	arg = place_arg(f, &sub, sizeof(sub), usize, tail_nonzero, &want);
	/* nr_done cannot be written in the read-only page. */
	if (want >= 0 && arg >= (uintptr_t)f->ro && arg < (uintptr_t)f->ro + f->page)
		want = -EFAULT;
	else if (want > 0 && cbad)
		want = -EFAULT;
	else if (want > 0 && (sub.flags & XEPOLL_SUBMIT_STOP_ON_ERROR))
		want = 1;	/* every entry fails: the first stops the batch */

	ret = xioctl(f->ep, cmd, arg);
	count(f, ret);
	CHECK(f, ret == want, "SUBMIT nr %u size %u flags %#x rsv %u wsize %u changes %#llx usize %zu arg %#llx: %s, expected %s",
	      sub.nr_changes, sub.change_size, sub.flags, sub.__reserved, sub.wait_size,
	      (unsigned long long)sub.changes, usize, (unsigned long long)arg,
	      errname(ret), errname(want));
	if (ret <= 0 || cbad)
		return;
	CHECK(f, ((struct xepoll_submit *)(uintptr_t)arg)->nr_done == (uint32_t)ret,
	      "SUBMIT nr_done %u, returned %ld",
	      ((struct xepoll_submit *)(uintptr_t)arg)->nr_done, ret);
	for (i = 0; i < sub.nr_changes && i < 4; i++)
		CHECK(f, uc[i].result == (i < (unsigned int)ret ? wres[i] : -ECANCELED),
		      "SUBMIT entry %u: result %d, expected %ld", i, uc[i].result,
		      i < (unsigned int)ret ? wres[i] : -ECANCELED);
}

/* The geometry a ring of @entries asked for must have. */
static void ring_geometry_check(struct fuzz *f, const struct xepoll_ring_setup *s,
				unsigned int entries, size_t usize)
{
	unsigned int want = 2;

	while (want < entries)
		want <<= 1;
	CHECK(f, s->entries == want && s->mask == want - 1 && !s->flags,
	      "ring of %u: entries %u mask %#x flags %#x", entries, s->entries,
	      s->mask, s->flags);
	CHECK(f, s->size % f->page == 0 &&
	      s->cells_off + (size_t)want * sizeof(struct xepoll_ring_cell) <= s->size &&
	      s->size - s->cells_off - (size_t)want * sizeof(struct xepoll_ring_cell) < (size_t)f->page,
	      "ring of %u: size %u cells at %u", want, s->size, s->cells_off);
	CHECK(f, s->head_off + 4 <= s->cells_off && s->kready_off + 4 <= s->cells_off &&
	      s->flags_off + 4 <= s->cells_off && s->head_off != s->kready_off &&
	      s->head_off != s->flags_off && s->kready_off != s->flags_off &&
	      !(s->head_off % 4) && !(s->kready_off % 4) && !(s->flags_off % 4) &&
	      !(s->cells_off % 8),
	      "ring offsets: head %u kready %u flags %u cells %u", s->head_off,
	      s->kready_off, s->flags_off, s->cells_off);
	/* The second version's fields, to a caller that has them. */
	if (usize < XEPOLL_RING_SETUP_SIZE_VER1)
		return;
	CHECK(f, s->tail_off && s->tail_off + 4 <= s->cells_off && !(s->tail_off % 4) &&
	      s->tail_off != s->head_off && s->tail_off != s->kready_off &&
	      s->tail_off != s->flags_off && !s->__reserved,
	      "ring tail at %u, reserved %#x", s->tail_off, s->__reserved);
}

/* Random entries for a ring: mostly small, sometimes any size, or bad. */
static uint32_t ring_entries_rand(struct fuzz *f)
{
	switch (xep_rand_below(&f->rnd, 8)) {
	case 0:
		return XEPOLL_RING_MAX_ENTRIES + 1 + xep_rand_below(&f->rnd, 1000);
	case 1:
		return (uint32_t)xep_rand(&f->rnd);
	case 2:
		return 1 + xep_rand_below(&f->rnd, XEPOLL_RING_MAX_ENTRIES);
	default:
		return 1 + xep_rand_below(&f->rnd, 64);
	}
}

/*
 * XEPOLL_IOC_RING_SETUP on the fuzzed instance: a question (entries 0),
 * a setup, bad flags or entries; the struct's output fields are ignored
 * on the way in. A setup that succeeds stays even when writing the
 * geometry back faults (a read-only argument).
 */
static void fuzz_ring_setup(struct fuzz *f, unsigned long cmd, size_t usize, bool tail_nonzero)
{
	struct xepoll_ring_setup s = { 0 }, *out;
	uint64_t arg;
	long ret, want;
	bool ro;

	s.entries = xep_rand_below(&f->rnd, 4) ? ring_entries_rand(f) : 0;
	if (!xep_rand_below(&f->rnd, 12))
		s.flags = 1U << xep_rand_below(&f->rnd, 32);
	if (!xep_rand_below(&f->rnd, 4)) {
		s.size = (uint32_t)xep_rand(&f->rnd);
		s.mask = (uint32_t)xep_rand(&f->rnd);
		s.cells_off = (uint32_t)xep_rand(&f->rnd);
		s.tail_off = (uint32_t)xep_rand(&f->rnd);
	}
	/* Reserved: in the part of the struct the caller passes. */
	if (usize >= XEPOLL_RING_SETUP_SIZE_VER1 && !xep_rand_below(&f->rnd, 12))
		s.__reserved = (uint32_t)xep_rand(&f->rnd) | 1;

	if (s.flags || s.__reserved || s.entries > XEPOLL_RING_MAX_ENTRIES)
		want = -EINVAL;
	else if (!s.entries)
		want = f->ring_entries ? 0 : -ENODEV;
	else
		want = f->ring_entries ? -EBUSY : 0;
	if (tail_nonzero)
		want = -E2BIG;
	arg = place_arg(f, &s, sizeof(s), usize, tail_nonzero, &want);
	ro = arg >= (uintptr_t)f->ro && arg < (uintptr_t)f->ro + f->page;
	ret = xioctl(f->ep, cmd, arg);
	count(f, ret);
	if (want == 0 && s.entries && ret == -ENOMEM && geteuid()) {
		/* RLIMIT_MEMLOCK: only a setup may meet it, and not as root. */
		return;
	}
	/* A setup that worked, and a question, then write the geometry back. */
	if (want == 0 && s.entries && (ret == 0 || (ro && ret == -EFAULT))) {
		unsigned int e = 2;

		while (e < s.entries)
			e <<= 1;
		f->ring_entries = e;
	}
	if (want == 0 && ro)
		want = -EFAULT;
	CHECK(f, ret == want, "RING_SETUP entries %u flags %#x size %zu arg %#llx: %s, expected %s",
	      s.entries, s.flags, usize, (unsigned long long)arg, errname(ret), errname(want));
	if (ret)
		return;
	out = (struct xepoll_ring_setup *)(uintptr_t)arg;
	ring_geometry_check(f, out, f->ring_entries, usize);
	CHECK(f, out->entries == f->ring_entries, "RING_SETUP: %u entries, the ring has %u",
	      out->entries, f->ring_entries);
}

/*
 * Ring mode's descriptors stay far above the others, so that none takes
 * the number of T_CLOSED, which must stay closed.
 */
static int fd_high(int fd)
{
	int high;

	if (fd < 0)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 512);
	close(fd);
	return high;
}

/*
 * Ring mode's mappings go to places of their own, at most 2 MiB each
 * (the largest ring is 1 MiB and a page): mmap(NULL) would fill the hole
 * at f->unmapped, which must stay unmapped.
 */
#define RING_MAP_BASE	0x300000000000ULL
#define RING_MAP_SLOT	(2ULL << 20)

static void *ring_mmap(unsigned int slot, size_t len, int prot, int flags, int fd, off_t off)
{
	void *at = (void *)(uintptr_t)(RING_MAP_BASE + slot * RING_MAP_SLOT);

	return mmap(at, len, prot, flags | MAP_FIXED_NOREPLACE, fd, off);
}

/* Ring mode (see the top): the ring instance's words, by the protocol. */
static uint32_t *ring_u32(struct rfuzz *r, uint32_t off)
{
	return (uint32_t *)(r->map + off);
}

static struct xepoll_ring_cell *ring_cell(struct rfuzz *r, uint32_t pos)
{
	return (struct xepoll_ring_cell *)(r->map + r->s.cells_off) + (pos & r->s.mask);
}

/* Whether @data, reaped from the ring instance, may be reported now. */
static void ring_data_check(struct fuzz *f, uint64_t data, uint32_t events, const char *how)
{
	struct rfuzz *r = &f->r;
	bool known = false;
	unsigned int i;

	if (!r->clean)
		return;
	for (i = 0; i < RING_FDS; i++)
		if (r->reg[i] && r->data[i] == data) {
			known = true;
			CHECK(f, events && !(events & PRIVATE_BITS) &&
			      !(events & ~(r->events[i] | EPOLLERR | EPOLLHUP)),
			      "%s: events %#x of a registration with mask %#x", how,
			      events, r->events[i]);
		}
	CHECK(f, known, "%s: data %#llx is no registration's", how,
	      (unsigned long long)data);
	for (i = 0; i < RING_DEAD && i < r->ndead; i++)
		CHECK(f, r->dead[i] != data, "%s: data %#llx of a deleted or closed registration",
		      how, (unsigned long long)data);
}

static void ring_unmap(struct rfuzz *r)
{
	if (r->map)
		munmap(r->map, r->maplen);
	r->map = NULL;
}

/*
 * A new ring instance, with a ring of random size, mapped; the old one
 * closes with its registrations, some with events in its ring.
 */
static void ring_remake(struct fuzz *f)
{
	struct rfuzz *r = &f->r;
	uint32_t entries;
	unsigned int i;
	long ret;

	ring_unmap(r);
	if (r->ep >= 0)
		close(r->ep);
	for (i = 0; i < RING_FDS; i++)
		r->reg[i] = false;
	r->ep = fd_high(xepoll_create1(EPOLL_CLOEXEC));
	CHECK(f, r->ep >= 0, "ring instance: %m");
	do
		entries = ring_entries_rand(f);
	while (entries > XEPOLL_RING_MAX_ENTRIES);
	/* Mostly small: a full ring is what is worth fuzzing. */
	if (xep_rand_below(&f->rnd, 4))
		entries = 1 + xep_rand_below(&f->rnd, 8);
	r->s = (struct xepoll_ring_setup){ .entries = entries };
	ret = xioctl(r->ep, XEPOLL_IOC_RING_SETUP, (uintptr_t)&r->s);
	count(f, ret);
	if (ret == -ENOMEM && geteuid()) {
		/* RLIMIT_MEMLOCK, as an unprivileged user: the smallest ring. */
		entries = 2;
		r->s = (struct xepoll_ring_setup){ .entries = entries };
		ret = xioctl(r->ep, XEPOLL_IOC_RING_SETUP, (uintptr_t)&r->s);
		count(f, ret);
	}
	CHECK(f, ret == 0, "ring setup of %u: %s", entries, errname(ret));
	ring_geometry_check(f, &r->s, entries, sizeof(r->s));
	r->maplen = r->s.size;
	r->map = ring_mmap(0, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, r->ep, 0);
	CHECK(f, r->map != MAP_FAILED, "mmap of the ring: %m");
	CHECK(f, !*ring_u32(r, r->s.head_off) && !*ring_u32(r, r->s.kready_off) &&
	      !*ring_u32(r, r->s.flags_off), "a new ring's words are not zero");
	r->clean = true;
}

/* mmap() of the ring instance with random arguments, and its oracle. */
static void ring_mmap_fuzz(struct fuzz *f)
{
	struct rfuzz *r = &f->r;
	size_t len = r->s.size;
	off_t off = 0;
	int flags = MAP_SHARED, prot = PROT_READ | PROT_WRITE, fd = r->ep;
	void *p;
	long want = 0;

	switch (xep_rand_below(&f->rnd, 6)) {
	case 0:
		len = r->s.size + f->page * (1 + xep_rand_below(&f->rnd, 4));
		want = -EINVAL;
		break;
	case 1:
		off = f->page * (1 + xep_rand_below(&f->rnd, 4));
		len = f->page;
		want = -EINVAL;
		break;
	case 2:
		flags = MAP_PRIVATE;
		want = -EINVAL;
		break;
	case 3:
		len = f->page * (1 + xep_rand_below(&f->rnd, r->s.size / f->page));
		prot = xep_rand_below(&f->rnd, 2) ? PROT_READ : PROT_WRITE;
		break;
	case 4:
		/* An instance with no ring, or a file with no mmap at all. */
		fd = xep_rand_below(&f->rnd, 2) ? f->fds[T_NEST] : f->fds[T_EFD];
		want = -ENODEV;
		len = f->page;
		break;
	}
	p = ring_mmap(1, len, prot, flags, fd, off);
	count(f, p == MAP_FAILED ? -errno : 0);
	CHECK(f, want ? p == MAP_FAILED && -errno == want : p != MAP_FAILED,
	      "mmap of fd %d len %zu off %lld flags %#x: %s, expected %s", fd, len,
	      (long long)off, flags, p == MAP_FAILED ? errname(-errno) : "ok",
	      errname(want));
	if (p == MAP_FAILED)
		return;
	/* The same pages as the fuzzer's own mapping. */
	if (prot & PROT_READ)
		CHECK(f, !memcmp(p, r->map, len < r->maplen ? len : r->maplen),
		      "a second mapping shows other words");
	munmap(p, len);
}

/* Take up to @max events by the cell protocol, and check each. */
static void ring_reap(struct fuzz *f, int max)
{
	struct rfuzz *r = &f->r;
	uint32_t *head = ring_u32(r, r->s.head_off);
	unsigned int looks = 2 * r->s.entries;
	int n = 0;

	while (n < max && looks--) {
		uint32_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
		struct xepoll_ring_cell *c = ring_cell(r, h);
		uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE), got;
		uint64_t data;

		if (seq != h + 1) {
			if ((int32_t)(seq - (h + 1)) < 0)
				break;
			continue;
		}
		if (!__atomic_compare_exchange_n(head, &h, h + 1, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		got = __atomic_exchange_n(&c->events, 0, __ATOMIC_ACQ_REL);
		data = c->data;
		__atomic_store_n(&c->seq, h + r->s.entries, __ATOMIC_RELEASE);
		if (!got)
			continue;
		ring_data_check(f, data, got, "ring reap");
		n++;
		f->ring_reaped++;
	}
	/* A clean ring that the protocol emptied is empty for the kernel too. */
	if (r->clean && n < max) {
		struct pollfd pfd = { .fd = r->ep, .events = POLLIN };

		CHECK(f, poll(&pfd, 1, 0) >= 0, "poll of the ring instance: %m");
	}
}

/* A wait on the ring instance: the kernel reaps the ring too. */
static void ring_wait(struct fuzz *f)
{
	struct rfuzz *r = &f->r;
	struct epoll_event ev[2 * RING_FDS + 1];
	int max = 1 + xep_rand_below(&f->rnd, 2 * RING_FDS + 1);
	int n, i, j;

	memset(ev, 0xa5, sizeof(ev));
	n = xepoll_wait(r->ep, ev, max, 0);
	count(f, n < 0 ? -errno : n);
	CHECK(f, n >= 0 && n <= max, "wait on the ring instance for %d: %d (%m)", max, n);
	f->ring_waited += n > 0 ? n : 0;
	for (i = 0; i < n; i++) {
		ring_data_check(f, ev[i].data.u64, ev[i].events, "ring wait");
		for (j = 0; j < i && r->clean; j++)
			CHECK(f, ev[j].data.u64 != ev[i].data.u64,
			      "ring wait: events %d and %d: data %#llx twice", j, i,
			      (unsigned long long)ev[i].data.u64);
	}
	for (i = n; i < max; i++)
		CHECK(f, ev[i].events == 0xa5a5a5a5U, "ring wait: slot %d written after %d", i, n);
}

/* Random words in the mapping: the kernel must go on, its oracle weakens. */
static void ring_garbage(struct fuzz *f)
{
	struct rfuzz *r = &f->r;
	unsigned int i, n = 1 + xep_rand_below(&f->rnd, 16);
	uint32_t off, v;

	for (i = 0; i < n; i++) {
		off = xep_rand_below(&f->rnd, r->maplen / 4) * 4;
		switch (xep_rand_below(&f->rnd, 4)) {
		case 0:
			v = (uint32_t)xep_rand(&f->rnd);
			break;
		case 1:
			/* Near the head: the values the protocol compares. */
			v = *ring_u32(r, r->s.head_off) + xep_rand_below(&f->rnd, 2 * r->s.entries + 2) - 1;
			break;
		case 2:
			off = r->s.head_off;
			v = *ring_u32(r, off) + xep_rand_below(&f->rnd, 3) - 1;
			break;
		default:
			v = xep_rand_below(&f->rnd, 4);
		}
		*ring_u32(r, off) = v;
	}
	r->clean = false;
	f->ring_garbage++;
}

/*
 * A consumer that breaks the protocol: it claims a cell and never frees
 * it, frees a cell it did not claim, or moves the head past filled cells.
 */
static void ring_bad_consumer(struct fuzz *f)
{
	struct rfuzz *r = &f->r;
	uint32_t *head = ring_u32(r, r->s.head_off), h = *head;

	switch (xep_rand_below(&f->rnd, 3)) {
	case 0:
		__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&ring_cell(r, h)->events, 0, __ATOMIC_RELAXED);
		break;
	case 1:
		__atomic_store_n(&ring_cell(r, h + 1)->seq, h + 1 + r->s.entries, __ATOMIC_RELEASE);
		break;
	default:
		__atomic_store_n(head, h + xep_rand_below(&f->rnd, r->s.entries + 1), __ATOMIC_RELEASE);
	}
	r->clean = false;
	f->ring_garbage++;
}

/* A registration's data goes where it can never be reported again. */
static void ring_bury(struct rfuzz *r, unsigned int i)
{
	r->dead[r->ndead++ % RING_DEAD] = r->data[i];
	r->reg[i] = false;
}

/* One operation of ring mode. */
static void fuzz_ring(struct fuzz *f)
{
	static const uint32_t modes[] = { EPOLLET, EPOLLONESHOT, 0, EPOLLET | EPOLLONESHOT };
	struct rfuzz *r = &f->r;
	unsigned int i = xep_rand_below(&f->rnd, RING_FDS);
	struct epoll_event ev;
	unsigned int op;
	uint64_t v = 1;
	long ret;

	f->ring_ops++;
	/* Remade now and then; soon after garbage, so that most runs are exact. */
	if (r->ep < 0 || !xep_rand_below(&f->rnd, r->clean ? 300 : 20)) {
		ring_remake(f);
		return;
	}
	op = xep_rand_below(&f->rnd, 64);
	if (op < 8) {
		/* ADD, or MOD of one with events perhaps in the ring. */
		ev.events = (xep_rand_below(&f->rnd, 4) ? EPOLLIN : 0) |
			    (xep_rand_below(&f->rnd, 3) ? 0 : EPOLLOUT) |
			    modes[xep_rand_below(&f->rnd, 4)];
		ev.data.u64 = xep_rand(&f->rnd);
		ret = xepoll_ctl(r->ep, r->reg[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, r->efd[i], &ev);
		count(f, ret ? -errno : 0);
		CHECK(f, ret == 0, "ring %s of fd %u: %m", r->reg[i] ? "MOD" : "ADD", i);
		if (r->reg[i])
			ring_bury(r, i);
		r->reg[i] = true;
		r->events[i] = ev.events;
		r->data[i] = ev.data.u64;
	} else if (op < 10) {
		ret = xepoll_ctl(r->ep, EPOLL_CTL_DEL, r->efd[i], NULL);
		count(f, ret ? -errno : 0);
		CHECK(f, r->reg[i] ? ret == 0 : ret == -1 && errno == ENOENT,
		      "ring DEL of fd %u (registered %d): %m", i, r->reg[i]);
		if (r->reg[i])
			ring_bury(r, i);
	} else if (op < 12) {
		/* The last close of a registered file, maybe published. */
		if (r->reg[i])
			ring_bury(r, i);
		close(r->efd[i]);
		r->efd[i] = fd_high(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
		CHECK(f, r->efd[i] >= 0, "eventfd: %m");
	} else if (op < 26) {
		CHECK(f, write(r->efd[i], &v, sizeof(v)) == sizeof(v), "write: %m");
	} else if (op < 30) {
		if (read(r->efd[i], &v, sizeof(v)) < 0)
			CHECK(f, errno == EAGAIN, "read: %m");
	} else if (op < 42) {
		ring_reap(f, 1 + xep_rand_below(&f->rnd, 2 * RING_FDS));
	} else if (op < 54) {
		ring_wait(f);
	} else if (op < 57) {
		ring_mmap_fuzz(f);
	} else if (op < 58) {
		ring_garbage(f);
	} else if (op < 59) {
		ring_bad_consumer(f);
	} else {
		/* The fuzzer's mapping goes and comes back, maybe shorter. */
		ring_unmap(r);
		r->maplen = f->page * (1 + xep_rand_below(&f->rnd, r->s.size / f->page));
		r->map = ring_mmap(0, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, r->ep, 0);
		CHECK(f, r->map != MAP_FAILED, "mmap of %zu: %m", r->maplen);
		/* The head and the kernel's words are in its first page. */
		CHECK(f, !r->clean || !(*ring_u32(r, r->s.flags_off) & XEPOLL_RING_DEAD),
		      "a live instance's ring says it is dead");
		if (r->maplen < r->s.size) {
			ring_unmap(r);
			r->maplen = r->s.size;
			r->map = ring_mmap(0, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
					   r->ep, 0);
			CHECK(f, r->map != MAP_FAILED, "mmap of %zu: %m", r->maplen);
		}
	}
}

static bool other_magic_ok(unsigned int magic)
{
	/* Magics of the ioctls the VFS answers for every file (do_vfs_ioctl). */
	return magic != 0 && magic != 0x12 && magic != 0x15 && magic != 'T' &&
	       magic != 'f' && magic != 'X' && magic != 0x94 && magic != XEPOLL_IOC_MAGIC;
}

static void fuzz_one(struct fuzz *f)
{
	static const unsigned int nrs[] = { 1, 2, 0x10, 0x11, 0x12, 0x16 };
	/* Each struct's size now, and its first version's (smaller: EINVAL). */
	static const size_t ksize[] = { [1] = 8, [0x10] = 24, [0x11] = 64, [0x12] = 40,
					[0x16] = 40 };
	static const size_t kmin[] = { [1] = 8, [0x10] = 24, [0x11] = 48, [0x12] = 40,
				       [0x16] = 32 };
	unsigned int nr, dir, magic;
	size_t usize;
	unsigned long cmd;
	bool tail_nonzero = false, on_dev;
	int on, which;
	long ret;

	/* Other magics: nothing but ENOTTY, on the device and on instances. */
	if (!xep_rand_below(&f->rnd, 10)) {
		do
			magic = xep_rand_below(&f->rnd, 256);
		while (!other_magic_ok(magic));
		cmd = _IOC(xep_rand_below(&f->rnd, 4), magic, xep_rand_below(&f->rnd, 256),
			   xep_rand_below(&f->rnd, 1 << 14));
		on = xep_rand_below(&f->rnd, 2) ? f->dev : f->ep;
		ret = xioctl(on, cmd, xep_rand(&f->rnd));
		count(f, ret);
		CHECK(f, ret == -ENOTTY, "cmd %#lx: %s", cmd, errname(ret));
		return;
	}

	/* Ring mode, one time in eight. */
	if (!xep_rand_below(&f->rnd, 8)) {
		fuzz_ring(f);
		return;
	}

	nr = xep_rand_below(&f->rnd, 4) ? nrs[xep_rand_below(&f->rnd, 6)] : xep_rand_below(&f->rnd, 256);
	dir = xep_rand_below(&f->rnd, 4) ? (nr == 2 ? _IOC_NONE : nr == 0x12 || nr == 0x16 ?
					    _IOC_READ | _IOC_WRITE : _IOC_WRITE) :
		xep_rand_below(&f->rnd, 4);
	usize = nr < sizeof(ksize) / sizeof(ksize[0]) ? ksize[nr] : 0;
	switch (xep_rand_below(&f->rnd, 6)) {
	case 0:
		usize = xep_rand_below(&f->rnd, usize + 1);	/* smaller */
		break;
	case 1:
		usize += 1 + xep_rand_below(&f->rnd, 64);	/* larger, zero tail */
		break;
	case 2:
		usize += 1 + xep_rand_below(&f->rnd, 64);	/* larger, non-zero tail */
		tail_nonzero = true;
		break;
	case 3:
		usize += xep_rand_below(&f->rnd, 2) ? 4096 : (1 << 14) - 1 - usize;
		break;
	}
	cmd = _IOC(dir, XEPOLL_IOC_MAGIC, nr, usize);

	/* Which file: the device, the instance, or another descriptor. */
	which = xep_rand_below(&f->rnd, 10);
	if (which >= 8) {
		static const int others[] = { T_EFD, T_PIPE_R, T_NULL, T_CLOSED, T_NEG };
		int t = others[xep_rand_below(&f->rnd, 5)];

		on = f->fds[t];
		ret = xioctl(on, cmd, (unsigned long)xep_rand(&f->rnd));
		count(f, ret);
		CHECK(f, ret == ((t == T_CLOSED || t == T_NEG) ? -EBADF : -ENOTTY),
		      "cmd %#lx on fd %d: %s", cmd, on, errname(ret));
		return;
	}
	on_dev = which < 4;
	on = on_dev ? f->dev : f->ep;

	if (nr == 2 && dir == _IOC_NONE) {
		fuzz_close(f, on, cmd);
		return;
	}
	/*
	 * The busy-poll parameters (0x13 set, 0x14 get): only on instances,
	 * only where the kernel's epoll has them (6.9 on); a first version
	 * of 8 bytes. Their values are another test's (busypoll_test): any
	 * of their errors will do, and a get writes only to the region.
	 */
	if (!on_dev && ((nr == 0x13 && dir == _IOC_WRITE) ||
			(nr == 0x14 && dir == _IOC_READ))) {
		struct utsname u;
		int ma = 0, mi = 0;

		uname(&u);
		sscanf(u.release, "%d.%d", &ma, &mi);
		ret = xioctl(on, cmd, xep_rand_below(&f->rnd, 2) ? (uintptr_t)f->region : 0);
		count(f, ret);
		if (ma < 6 || (ma == 6 && mi < 9))
			CHECK(f, ret == -ENOTTY, "cmd %#lx before 6.9: %s", cmd, errname(ret));
		else if (usize < 8)
			CHECK(f, ret == -EINVAL, "cmd %#lx size %zu: %s", cmd, usize, errname(ret));
		else
			CHECK(f, ret == 0 || ret == -EFAULT || ret == -EINVAL || ret == -E2BIG ||
			      ret == -EPERM || ret == -EOPNOTSUPP, "cmd %#lx: %s", cmd, errname(ret));
		return;
	}
	if (!((nr == 1 && on_dev) ||
	      ((nr == 0x10 || nr == 0x11 || nr == 0x12 || nr == 0x16) && !on_dev)) ||
	    dir != (nr == 0x12 || nr == 0x16 ? _IOC_READ | _IOC_WRITE : _IOC_WRITE)) {
		/* Unknown number, wrong file or wrong direction. */
		uint64_t a = xep_rand_below(&f->rnd, 2) ? xep_rand(&f->rnd) : 0;

		ret = xioctl(on, cmd, a);
		count(f, ret);
		CHECK(f, ret == -ENOTTY, "cmd %#lx on %s: %s", cmd, on_dev ? "device" : "instance",
		      errname(ret));
		return;
	}
	if (usize < kmin[nr]) {
		ret = xioctl(on, cmd, xep_rand_below(&f->rnd, 2) ? (uintptr_t)f->region : 0);
		count(f, ret);
		CHECK(f, ret == -EINVAL, "cmd %#lx size %zu: %s", cmd, usize, errname(ret));
		return;
	}
	/* Between the first version and now: a short struct, zero-extended. */
	if (usize <= ksize[nr])
		tail_nonzero = false;
	if (nr == 1)
		fuzz_create(f, cmd, usize, tail_nonzero);
	else if (nr == 0x10)
		fuzz_ctl(f, cmd, usize, tail_nonzero);
	else if (nr == 0x11)
		fuzz_wait(f, cmd, usize, tail_nonzero);
	else if (nr == 0x12)
		fuzz_submit(f, cmd, usize, tail_nonzero);
	else
		fuzz_ring_setup(f, cmd, usize, tail_nonzero);
}

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

/* Time-bounded by XEPOLL_FUZZ_SECONDS; the harness allows much more. */
TEST_F_TIMEOUT(fuzz, ioctl, 300)
{
	unsigned long long secs = xep_env_ull("XEPOLL_FUZZ_SECONDS", 10);
	unsigned long long iters = xep_env_ull("XEPOLL_FUZZ_ITERATIONS", 200000);
	struct sigaction sa = { .sa_handler = on_alarm };
	struct xep_counts base, now;
	struct fuzz *f;
	double end;
	int p[2], t;

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	f->md = _metadata;
	f->rnd = xep_seed("XEPOLL_FUZZ_SEED");
	TH_LOG("seed %llu (XEPOLL_FUZZ_SEED), %llu s, at most %llu calls",
	       (unsigned long long)f->rnd, secs, iters);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, xep_counts_read(getuid(), &base));

	f->page = sysconf(_SC_PAGESIZE);
	f->region = mmap(NULL, (REGION_PAGES + 1) * f->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->region);
	f->guard = f->region + REGION_PAGES * f->page;
	ASSERT_EQ(0, mprotect(f->guard, f->page, PROT_NONE));
	f->ro = mmap(NULL, f->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->ro);
	f->unmapped = mmap(NULL, f->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->unmapped);
	ASSERT_EQ(0, munmap(f->unmapped, f->page));

	f->dev = open("/dev/xepoll", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->dev);
	f->ep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, f->ep);
	f->fds[T_EFD] = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, f->fds[T_EFD]);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(1, write(p[1], "x", 1));
	f->fds[T_PIPE_R] = p[0];
	f->fds[T_PIPE_W] = p[1];
	f->fds[T_NEST] = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, f->fds[T_NEST]);
	f->fds[T_SELF] = f->ep;
	f->fds[T_DEV] = f->dev;
	f->fds[T_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->fds[T_NULL]);
	f->fds[T_CLOSED] = dup(f->fds[T_NULL]);
	ASSERT_LE(0, f->fds[T_CLOSED]);
	close(f->fds[T_CLOSED]);
	f->fds[T_NEG] = -1 - (int)xep_rand_below(&f->rnd, 100);
	/* Something is ready in the nested instance, so it is readable. */
	ASSERT_EQ(0, xepoll_ctl(f->fds[T_NEST], EPOLL_CTL_ADD, f->fds[T_EFD],
				&(struct epoll_event){ .events = EPOLLIN }));
	f->r.ep = -1;
	for (t = 0; t < RING_FDS; t++) {
		f->r.efd[t] = fd_high(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
		ASSERT_LE(0, f->r.efd[t]);
	}

	end = xep_now() + secs;
	while (f->calls < iters && !(f->calls % 64 == 0 && xep_now() > end))
		fuzz_one(f);

	TH_LOG("%lu calls; ok %lu, ENOTTY %lu, EINVAL %lu, EFAULT %lu, E2BIG %lu, EBADF %lu, EPERM %lu, ENOENT %lu, EEXIST %lu, EINTR %lu, EBUSY %lu, ENODEV %lu",
	       f->calls, f->by_errno[0], f->by_errno[ENOTTY], f->by_errno[EINVAL],
	       f->by_errno[EFAULT], f->by_errno[E2BIG], f->by_errno[EBADF],
	       f->by_errno[EPERM], f->by_errno[ENOENT], f->by_errno[EEXIST],
	       f->by_errno[EINTR], f->by_errno[EBUSY], f->by_errno[ENODEV]);
	TH_LOG("ring mode: %lu operations, %lu events reaped by the protocol, %lu by waits, %lu garbage writes",
	       f->ring_ops, f->ring_reaped, f->ring_waited, f->ring_garbage);
	/* Ring mode reached its oracle's exact part. */
	ASSERT_LT(0, f->ring_reaped);
	/* Every outcome the oracle knows was reached at least once. */
	ASSERT_LT(0, f->by_errno[0]);
	ASSERT_LT(0, f->by_errno[ENOTTY]);
	ASSERT_LT(0, f->by_errno[EINVAL]);
	ASSERT_LT(0, f->by_errno[EFAULT]);
	ASSERT_LT(0, f->by_errno[E2BIG]);
	ASSERT_LT(0, f->by_errno[EBADF]);

	/* Still consistent: DEL what the model says is there, then nothing. */
	for (t = 0; t < T_NR; t++) {
		if (!f->registered[t])
			continue;
		ASSERT_EQ(0, xepoll_ctl(f->ep, EPOLL_CTL_DEL, f->fds[t], NULL)) TH_LOG("target %d", t);
	}
	for (t = 0; t < T_NR; t++) {
		if (t == T_SELF || t == T_DEV || t == T_NULL || t == T_CLOSED || t == T_NEG)
			continue;
		ASSERT_EQ(-1, xepoll_ctl(f->ep, EPOLL_CTL_DEL, f->fds[t], NULL)) TH_LOG("target %d", t);
		ASSERT_EQ(ENOENT, errno);
	}
	ASSERT_EQ(0, xepoll_wait(f->ep, (struct epoll_event[1]){}, 1, 0));

	/* Ring mode's instance goes, its registrations and ring with it. */
	ring_unmap(&f->r);
	if (f->r.ep >= 0)
		close(f->r.ep);
	for (t = 0; t < RING_FDS; t++)
		close(f->r.efd[t]);
	close(f->fds[T_NEST]);
	close(p[0]);
	close(p[1]);
	close(f->fds[T_EFD]);
	close(f->fds[T_NULL]);
	close(f->ep);
	close(f->dev);
	ASSERT_EQ(0, xep_counts_settle(getuid(), &base, &now, 10))
		TH_LOG("instances %ld -> %ld, watches %ld -> %ld", base.instances,
		       now.instances, base.watches, now.watches);
	free(f);
}

TEST_HARNESS_MAIN
