// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll-preload.so: run an unmodified epoll program on xepoll.
 *
 *	LD_PRELOAD=libxepoll-preload.so program ...
 *
 * epoll_create(), epoll_create1(), epoll_ctl(), epoll_wait(), epoll_pwait(),
 * epoll_pwait2() and their syscall(SYS_epoll_*, ...) forms go to libxepoll
 * (compiled in), and so do ioctl(epfd, EPIOCSPARAMS or EPIOCGPARAMS, ...)
 * (6.12's busy-poll parameters) and their syscall(SYS_ioctl, ...) form,
 * which become XEPOLL_IOC_SET_PARAMS and XEPOLL_IOC_GET_PARAMS. Every other
 * ioctl and syscall() goes to the real one, and nothing else is
 * interposed: a watched file's registrations go at its
 * last close, whichever way it is closed (close(), dup2(), close_range(),
 * exit, execve() of close-on-exec descriptors, fclose(), a raw system
 * call, ...), because the kernel tells xepoll of the final close itself,
 * as it tells epoll.
 *
 * An instance comes from libxepoll's xepoll_create1(), which opens
 * /dev/xepoll for that call only and returns the lowest free descriptor,
 * as epoll_create1() would: the interposer keeps no descriptor of its own.
 *
 * Without /dev/xepoll the first epoll_create*() prints why on stderr and
 * aborts the program, so that a run that was meant to test xepoll cannot
 * pass on native epoll (libevent, for one, would silently fall back to
 * poll()). XEPOLL_PRELOAD_FALLBACK=1 makes it use native epoll instead.
 *
 * Edge-triggered and one-shot programs reap without system calls: at the
 * first EPOLLET or EPOLLONESHOT registration an instance gets, the
 * interposer gives it a shared ready ring (XEPOLL_IOC_RING_SETUP, of
 * XEPOLL_PRELOAD_RING entries, 4096 by default, 0 for none) and maps it;
 * the waits on that instance then take its events from the ring first, and
 * enter the kernel only for events that wait there or to sleep. See "The
 * rings" below.
 *
 * The state is the mode and the table of rings. See README.md for what is
 * not covered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/xepoll.h>

#include "ring.h"
#include "xepoll.h"

#define XEPOLL_PATH	"/dev/" XEPOLL_DEVICE_NAME
#define PRELOAD_NAME	"libxepoll-preload.so"

/* The kernel's sigset_t, which the raw epoll_pwait*() take with its size. */
#define KERNEL_SIGSET_SIZE	(_NSIG / 8)

/*
 * 6.12's <linux/eventpoll.h> numbers, which Debian bookworm's headers do
 * not have yet; struct epoll_params has struct xepoll_params' layout.
 */
#define PRELOAD_EPIOCSPARAMS	_IOW(0x8A, 0x01, struct xepoll_params)
#define PRELOAD_EPIOCGPARAMS	_IOR(0x8A, 0x02, struct xepoll_params)
#ifdef EPIOCSPARAMS
_Static_assert(EPIOCSPARAMS == PRELOAD_EPIOCSPARAMS &&
	       EPIOCGPARAMS == PRELOAD_EPIOCGPARAMS, "epoll's ioctl numbers");
#endif

/* Where the process's epoll instances live. */
enum { MODE_UNDECIDED, MODE_XEPOLL, MODE_NATIVE };

static atomic_int mode = MODE_UNDECIDED;

/* The functions this library stands in for. */
static long (*real_syscall)(long, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_epoll_create)(int);
static int (*real_epoll_create1)(int);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_epoll_pwait2)(int, struct epoll_event *, int,
				const struct timespec *, const sigset_t *);

static void *next_symbol(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/*
 * Resolved once, at load time, so that no dlsym() runs in a signal handler.
 * A constructor of another library that calls one of them before this one
 * runs finds them through the same function.
 */
#define RESOLVE(fn) do { if (!real_##fn) real_##fn = next_symbol(#fn); } while (0)

static void ring_init(void);

__attribute__((constructor))
static void preload_init(void)
{
	RESOLVE(syscall);
	RESOLVE(ioctl);
	RESOLVE(epoll_create);
	RESOLVE(epoll_create1);
	RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait);
	RESOLVE(epoll_pwait);
	RESOLVE(epoll_pwait2);
	ring_init();
}

/*
 * The C library's syscall(). libxepoll, compiled in, makes its calls to
 * the kernel's epoll through it (XEPOLL_NATIVE_SYSCALL, tools/Makefile),
 * where its own syscall() would bring them back to libxepoll.
 */
__attribute__((visibility("hidden")))
long next_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	RESOLVE(syscall);
	return real_syscall(nr, a0, a1, a2, a3, a4, a5);
}

static int xepoll_active(void)
{
	return atomic_load_explicit(&mode, memory_order_acquire) == MODE_XEPOLL;
}

/*
 * The rings
 * ---------
 *
 * A ring is set up lazily, when epoll_ctl() ADD or MOD with EPOLLET or
 * EPOLLONESHOT (without EPOLLWAKEUP, which the ring does not carry)
 * succeeds on an instance that has no ring yet, and mapped into the slot
 * of the instance's descriptor in a table indexed by descriptor. A
 * failed setup (RLIMIT_MEMLOCK, to which the ring's pages are charged)
 * leaves the instance without a ring, silently, and the slot remembers
 * not to ask again. The setup maps the ring an instance has already (one
 * inherited across execve(), or set up by the program itself) instead of
 * failing.
 *
 * A wait on a descriptor whose slot holds a ring reaps the ring first,
 * then, if the kernel's word says events wait there too, fetches those
 * without sleeping; it enters the kernel with the caller's own arguments
 * (signal mask, timeout) only when the ring had nothing: to fetch the
 * kernel's events, or to sleep, which the kernel's wait does reaping the
 * ring too, so no event is missed. With events in the ring the call
 * returns them without installing the signal mask: epoll installs it,
 * but a wait that returns events delivers no signal through it.
 *
 * Nothing tells the interposer that a descriptor was closed (close() is
 * not interposed). A ring whose instance is gone says so in its mapping
 * (XEPOLL_RING_DEAD): the slot is dropped when a wait meets it, at every
 * epoll_create*() (which sweeps the table), and when epoll_create*()
 * returns the slot's number for a new instance. A slot whose instance
 * lives on elsewhere while its number names another file (dup2() onto it,
 * or close() and a new descriptor taking the number, with a dup or
 * another process keeping the instance) is stale: README.md says what
 * that costs.
 *
 * The table is lock-free and async-signal-safe, waits above all: it is
 * indexed by descriptor in chunks that are mmap()ed once and never freed,
 * and each slot has one atomic word, of flags and a count of the waits
 * reading its ring. A wait takes its ring only while the slot is
 * SLOT_LIVE; a drop makes it SLOT_DOOMED, and whoever leaves it with no
 * reader (the dropper or the last wait) unmaps it, which no other slot
 * can delay. Setting up and unmapping hold SLOT_BUSY, so a slot is never
 * mapped twice; whoever finds another holder busy does nothing, which at
 * worst leaves an instance without a ring until its next ctl. A fork()
 * inherits the table and the mappings, which the processes then reap
 * together (the consumers are lock-free across processes too); a slot
 * another thread held at the fork() stays held in the child, where that
 * number then gets no new ring, or keeps its old mapping: nothing worse.
 */
#define RING_DEFAULT_ENTRIES	4096

/* Entries per ring; 0 sets none up (XEPOLL_PRELOAD_RING=0). */
static unsigned int ring_entries = RING_DEFAULT_ENTRIES;

/* Bits of a slot's state; the low bits count the waits reading its ring. */
#define SLOT_LIVE	0x80000000U	/* ring mapped, for the instance at this number */
#define SLOT_DOOMED	0x40000000U	/* dropped; unmapped by the last reader */
#define SLOT_BUSY	0x20000000U	/* being mapped or unmapped */
#define SLOT_NONE	0x10000000U	/* the instance got no ring: do not ask again */
#define SLOT_FLAGS	0xf0000000U
#define SLOT_READERS	0x0fffffffU

/**
 * struct slot - the ring of the instance at one descriptor number
 * @state:	SLOT_* and the readers
 * @ring:	the mapping, while SLOT_LIVE or SLOT_DOOMED
 */
struct slot {
	_Alignas(64) atomic_uint state;
	struct xepoll_ring ring;
};

/* Descriptors below 2^20 (fs.nr_open's default), in chunks of 256 slots. */
#define SLOT_SHIFT	8
#define CHUNK_SLOTS	(1U << SLOT_SHIFT)
#define MAX_RING_FDS	(1U << 20)
#define NR_CHUNKS	(MAX_RING_FDS >> SLOT_SHIFT)

static _Atomic(struct slot *) chunks[NR_CHUNKS];
/* One more than the highest chunk allocated, for the sweep. */
static atomic_uint chunks_used;
/* Slots SLOT_LIVE: the sweep has nothing to do without. */
static atomic_uint live_slots;

/* epoll's bound on maxevents, above which the kernel answers EINVAL. */
#define MAX_EVENTS	((int)(INT_MAX / sizeof(struct epoll_event)))

static struct slot *slot_find(int fd)
{
	struct slot *chunk;

	if (fd < 0 || (unsigned int)fd >= MAX_RING_FDS)
		return NULL;
	chunk = atomic_load_explicit(&chunks[fd >> SLOT_SHIFT], memory_order_acquire);
	return chunk ? &chunk[fd & (CHUNK_SLOTS - 1)] : NULL;
}

/* @fd's slot, allocating its chunk (mmap(), never freed); NULL if none. */
static struct slot *slot_make(int fd)
{
	struct slot *chunk, *none = NULL;
	unsigned int i = (unsigned int)fd >> SLOT_SHIFT, used;
	struct slot *found = slot_find(fd);

	if (found || fd < 0 || (unsigned int)fd >= MAX_RING_FDS)
		return found;
	chunk = mmap(NULL, CHUNK_SLOTS * sizeof(*chunk), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunk == MAP_FAILED)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&chunks[i], &none, chunk,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		munmap(chunk, CHUNK_SLOTS * sizeof(*chunk));
		chunk = none;
	}
	used = atomic_load_explicit(&chunks_used, memory_order_relaxed);
	while (used <= i &&
	       !atomic_compare_exchange_weak_explicit(&chunks_used, &used, i + 1,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
	return &chunk[fd & (CHUNK_SLOTS - 1)];
}

/* Unmap a doomed slot's ring if no wait reads it any more. */
static void slot_unmap(struct slot *slot)
{
	unsigned int st = atomic_load_explicit(&slot->state, memory_order_relaxed);

	do {
		if (!(st & SLOT_DOOMED) || (st & SLOT_READERS))
			return;
	} while (!atomic_compare_exchange_weak_explicit(&slot->state, &st,
							(st & ~SLOT_DOOMED) | SLOT_BUSY,
							memory_order_acquire,
							memory_order_relaxed));
	xepoll_ring_unmap(&slot->ring);
	atomic_fetch_and_explicit(&slot->state, ~SLOT_BUSY, memory_order_release);
}

/* A reader of @slot's ring, or false if it has none. */
static int slot_hold(struct slot *slot)
{
	if (!(atomic_load_explicit(&slot->state, memory_order_relaxed) & SLOT_LIVE))
		return 0;
	/* Pairs with the release that made it live. */
	if (atomic_fetch_add_explicit(&slot->state, 1, memory_order_acquire) & SLOT_LIVE)
		return 1;
	/* Dropped meanwhile: let go, and unmap if last. */
	if ((atomic_fetch_sub_explicit(&slot->state, 1, memory_order_acq_rel) &
	     (SLOT_DOOMED | SLOT_READERS)) == (SLOT_DOOMED | 1))
		slot_unmap(slot);
	return 0;
}

static void slot_release(struct slot *slot)
{
	/* Pairs with the acquire of slot_unmap(): the reads come first. */
	if ((atomic_fetch_sub_explicit(&slot->state, 1, memory_order_acq_rel) &
	     (SLOT_DOOMED | SLOT_READERS)) == (SLOT_DOOMED | 1))
		slot_unmap(slot);
}

/* Drop @slot's ring: no new reader takes it, the last one unmaps it. */
static void slot_drop(struct slot *slot)
{
	unsigned int st = atomic_load_explicit(&slot->state, memory_order_relaxed);

	do {
		if (!(st & SLOT_LIVE))
			return;
	} while (!atomic_compare_exchange_weak_explicit(&slot->state, &st,
							(st & ~SLOT_LIVE) | SLOT_DOOMED,
							memory_order_relaxed,
							memory_order_relaxed));
	atomic_fetch_sub_explicit(&live_slots, 1, memory_order_relaxed);
	slot_unmap(slot);
}

/*
 * Give the instance @epfd a ring of @entries, or with @entries 0 map the
 * one it has. Once a setup failed, @epfd's slot asks no more (until a new
 * instance takes the number); a failed look for an existing ring asks
 * again later.
 */
static void ring_attach(int epfd, unsigned int entries)
{
	struct slot *slot;
	unsigned int st;
	int err = errno;

	slot = slot_make(epfd);
	if (!slot)
		goto out;
	st = atomic_load_explicit(&slot->state, memory_order_relaxed);
	do {
		if (st & SLOT_FLAGS)
			goto out;
	} while (!atomic_compare_exchange_weak_explicit(&slot->state, &st, st | SLOT_BUSY,
							memory_order_acquire,
							memory_order_relaxed));
	if (!xepoll_ring_map(&slot->ring, epfd, entries)) {
		atomic_fetch_add_explicit(&live_slots, 1, memory_order_relaxed);
		/* Pairs with the acquire of slot_hold(): the geometry first. */
		atomic_fetch_xor_explicit(&slot->state, SLOT_BUSY | SLOT_LIVE,
					  memory_order_release);
	} else {
		atomic_fetch_xor_explicit(&slot->state,
					  SLOT_BUSY | (entries ? SLOT_NONE : 0),
					  memory_order_release);
	}
out:
	errno = err;
}

/* After a ctl that succeeded: a ring, if the registration is one it carries. */
static void ring_note_ctl(int epfd, int op, const struct epoll_event *event)
{
	struct slot *slot;

	if (!ring_entries || (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD) ||
	    !(event->events & (EPOLLET | EPOLLONESHOT)) || (event->events & EPOLLWAKEUP))
		return;
	slot = slot_find(epfd);
	if (slot && (atomic_load_explicit(&slot->state, memory_order_relaxed) & SLOT_FLAGS))
		return;
	ring_attach(epfd, ring_entries);
}

/* A new instance at @epfd: whatever its slot held was another's. */
static void ring_forget(int epfd)
{
	struct slot *slot = slot_find(epfd);
	unsigned int st;

	if (!slot)
		return;
	slot_drop(slot);
	st = atomic_load_explicit(&slot->state, memory_order_relaxed);
	while ((st & SLOT_NONE) &&
	       !atomic_compare_exchange_weak_explicit(&slot->state, &st, st & ~SLOT_NONE,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

/* Drop every ring whose instance is gone (at each epoll_create*()). */
static void ring_sweep(void)
{
	unsigned int i, j, n;
	struct slot *chunk;

	if (!atomic_load_explicit(&live_slots, memory_order_relaxed))
		return;
	n = atomic_load_explicit(&chunks_used, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		chunk = atomic_load_explicit(&chunks[i], memory_order_acquire);
		for (j = 0; chunk && j < CHUNK_SLOTS; j++) {
			if (!slot_hold(&chunk[j]))
				continue;
			if (xepoll_ring_dead(&chunk[j].ring))
				slot_drop(&chunk[j]);
			slot_release(&chunk[j]);
		}
	}
}

/*
 * A wait on @epfd answered from its ring, with a timeout of @timeout_ms,
 * or with @use_ts of *@ts (NULL: none): the number of events, or -1 when
 * the kernel must answer it. Arguments the kernel would refuse go there,
 * so that it refuses them before any event is taken; the signal mask is
 * the kernel's to check, and is not looked at.
 */
static int ring_wait(int epfd, struct epoll_event *events, int maxevents,
		     int timeout_ms, const struct timespec *ts, int use_ts)
{
	struct slot *slot;
	int n = -1, zero, err = errno;

	if (maxevents <= 0 || maxevents > MAX_EVENTS || !events)
		return -1;
	slot = slot_find(epfd);
	if (!slot || !slot_hold(slot))
		return -1;
	if (xepoll_ring_dead(&slot->ring)) {
		slot_drop(slot);
		goto out;
	}
	zero = !timeout_ms;
	if (use_ts) {
		if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L))
			goto out;
		zero = ts && !ts->tv_sec && !ts->tv_nsec;
	}
	n = xepoll_ring_gather(&slot->ring, events, maxevents);
	if (!n && !zero)
		n = -1;
out:
	slot_release(slot);
	errno = err;
	return n;
}

/* epoll_wait() and epoll_pwait() on xepoll. */
static int wait_ms(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask)
{
	int n = ring_wait(epfd, events, maxevents, timeout, NULL, 0);

	if (n >= 0)
		return n;
	n = xepoll_pwait(epfd, events, maxevents, timeout, sigmask);
	/* Not open: whatever ring its number had is not its. */
	if (n < 0 && errno == EBADF)
		ring_forget(epfd);
	return n;
}

/* epoll_pwait2() on xepoll. */
static int wait_ts(int epfd, struct epoll_event *events, int maxevents,
		   const struct timespec *timeout, const sigset_t *sigmask)
{
	int n = ring_wait(epfd, events, maxevents, -1, timeout, 1);

	if (n >= 0)
		return n;
	n = xepoll_pwait2(epfd, events, maxevents, timeout, sigmask);
	if (n < 0 && errno == EBADF)
		ring_forget(epfd);
	return n;
}

/* epoll_ctl() on xepoll. */
static int ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int ret = xepoll_ctl(epfd, op, fd, event);

	if (!ret)
		ring_note_ctl(epfd, op, event);
	return ret;
}

/* XEPOLL_PRELOAD_RING: a number of entries, 0 for none. */
static void ring_init(void)
{
	const char *v = getenv("XEPOLL_PRELOAD_RING");
	unsigned long n;
	char *end;
	int err = errno;

	if (v && *v >= '0' && *v <= '9') {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (!*end)
			ring_entries = errno || n > XEPOLL_RING_MAX_ENTRIES ?
				XEPOLL_RING_MAX_ENTRIES : (unsigned int)n;
	}
	errno = err;
}

/* A message on stderr, with write(2) only. */
static void say(const char *a, const char *b, const char *c)
{
	const char *parts[] = { PRELOAD_NAME ": ", a, b, c, "\n" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0)
			return;
}

/*
 * epoll_create1() when xepoll_create1() failed with @err: what epoll_create()
 * itself could fail with, and any failure once the process is on xepoll, is
 * passed on (-1). The first failure to reach xepoll at all goes to native
 * epoll with XEPOLL_PRELOAD_FALLBACK=1 (1), or else aborts the program.
 */
static int create_failed(int err)
{
	const char *fallback;
	int expected = MODE_UNDECIDED;

	if (err == EMFILE || err == ENFILE || err == ENOMEM || err == EINTR ||
	    atomic_load(&mode) == MODE_XEPOLL) {
		errno = err;
		return -1;
	}
	fallback = getenv("XEPOLL_PRELOAD_FALLBACK");
	if (fallback && !strcmp(fallback, "1")) {
		atomic_compare_exchange_strong(&mode, &expected, MODE_NATIVE);
		if (atomic_load(&mode) == MODE_NATIVE)
			return 1;
		errno = err;
		return -1;
	}
	say("cannot create an instance on " XEPOLL_PATH ": ", strerror(err),
	    " (is the xepoll module loaded?); aborting. "
	    "Set XEPOLL_PRELOAD_FALLBACK=1 to use native epoll instead.");
	abort();
}

static int xcreate1(int flags, int size, int legacy)
{
	int fd, expected = MODE_UNDECIDED;

	/* Arguments first, as epoll checks them before anything. */
	if ((legacy && size <= 0) || (flags & ~EPOLL_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	if (atomic_load(&mode) != MODE_NATIVE) {
		ring_sweep();
		fd = xepoll_create1(flags);
		if (fd >= 0) {
			atomic_compare_exchange_strong(&mode, &expected, MODE_XEPOLL);
			ring_forget(fd);
			return fd;
		}
		if (create_failed(errno) < 0)
			return -1;
	}
	if (legacy) {
		RESOLVE(epoll_create);
		return real_epoll_create(size);
	}
	RESOLVE(epoll_create1);
	return real_epoll_create1(flags);
}

int epoll_create(int size)
{
	return xcreate1(0, size, 1);
}

int epoll_create1(int flags)
{
	return xcreate1(flags, 1, 0);
}

/*
 * Before the first instance of its own, a process may still hold xepoll
 * instances it inherited across execve(): native epoll refuses them with
 * EINVAL, and then xepoll is asked, and the process's calls go there from
 * then on. The probe is a wait whose argument address is 0: an instance
 * answers EFAULT, before it looks at anything, and changes nothing; any
 * other file answers ENOTTY (the device too: waits are for instances).
 * The instance may have a ring already, set up before the execve(): it is
 * mapped, for the waits to come.
 */
static int inherited(int ret, int epfd)
{
	int err = errno, expected = MODE_UNDECIDED;

	if (ret >= 0 || err != EINVAL || atomic_load(&mode) != MODE_UNDECIDED)
		return 0;
	if (ioctl(epfd, XEPOLL_IOC_WAIT, 0UL) == 0 || errno != EFAULT) {
		errno = err;
		return 0;
	}
	atomic_compare_exchange_strong(&mode, &expected, MODE_XEPOLL);
	if (ring_entries)
		ring_attach(epfd, 0);
	return 1;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int ret;

	if (xepoll_active())
		return ctl(epfd, op, fd, event);
	RESOLVE(epoll_ctl);
	ret = real_epoll_ctl(epfd, op, fd, event);
	return inherited(ret, epfd) ? ctl(epfd, op, fd, event) : ret;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	int ret;

	if (xepoll_active())
		return wait_ms(epfd, events, maxevents, timeout, NULL);
	RESOLVE(epoll_wait);
	ret = real_epoll_wait(epfd, events, maxevents, timeout);
	return inherited(ret, epfd) ? wait_ms(epfd, events, maxevents, timeout, NULL) : ret;
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		const sigset_t *sigmask)
{
	int ret;

	if (xepoll_active())
		return wait_ms(epfd, events, maxevents, timeout, sigmask);
	RESOLVE(epoll_pwait);
	ret = real_epoll_pwait(epfd, events, maxevents, timeout, sigmask);
	return inherited(ret, epfd) ?
		wait_ms(epfd, events, maxevents, timeout, sigmask) : ret;
}

int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		 const struct timespec *timeout, const sigset_t *sigmask)
{
	int ret;

	if (xepoll_active())
		return wait_ts(epfd, events, maxevents, timeout, sigmask);
	RESOLVE(epoll_pwait2);
	if (real_epoll_pwait2)
		ret = real_epoll_pwait2(epfd, events, maxevents, timeout, sigmask);
	else
		ret = (int)next_syscall(SYS_epoll_pwait2, epfd, (long)events, maxevents,
					(long)timeout, (long)sigmask, KERNEL_SIGSET_SIZE);
	return inherited(ret, epfd) ?
		wait_ts(epfd, events, maxevents, timeout, sigmask) : ret;
}

/*
 * epoll's busy-poll ioctls on an instance of an interposed process: the
 * xepoll ioctls, with the caller's struct (the same layout). Returns 1 and
 * sets *@ret if they answered; 0 to pass the call on as it came, as when
 * @fd is no instance (ENOTTY), which the file then answers itself, or the
 * kernel's epoll has no such ioctls (ENOTTY on 6.1 too).
 */
static int params_ioctl(int fd, unsigned long request, void *arg, int *ret)
{
	int err = errno;

	if ((request != PRELOAD_EPIOCSPARAMS && request != PRELOAD_EPIOCGPARAMS) ||
	    !xepoll_active())
		return 0;
	*ret = request == PRELOAD_EPIOCSPARAMS ? xepoll_set_params(fd, arg) :
						 xepoll_get_params(fd, arg);
	if (*ret == 0 || errno != ENOTTY)
		return 1;
	errno = err;
	return 0;
}

/*
 * ioctl(): only EPIOCSPARAMS and EPIOCGPARAMS, as above. glibc's ioctl()
 * takes one argument after the request, and so does this; libxepoll's own
 * ioctls come through here too, and go on at the first comparison.
 */
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (params_ioctl(fd, request, arg, &ret))
		return ret;
	RESOLVE(ioctl);
	return real_ioctl(fd, request, arg);
}

/*
 * The raw epoll_pwait*() check the mask's size when there is a mask, and
 * ignore it without one; libxepoll then passes the kernel a size of 0,
 * which struct xepoll_wait requires.
 */
static int bad_sigset(long sigmask, long size)
{
	if (sigmask && size != KERNEL_SIGSET_SIZE) {
		errno = EINVAL;
		return 1;
	}
	return 0;
}

/*
 * syscall(): the epoll numbers as above, everything else to the real one. glibc's syscall() reads six arguments whatever the number, and
 * so does this.
 */
long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (nr) {
#ifdef SYS_epoll_create
	case SYS_epoll_create:
		if (atomic_load(&mode) != MODE_NATIVE)
			return epoll_create((int)a[0]);
		break;
#endif
	case SYS_epoll_create1:
		if (atomic_load(&mode) != MODE_NATIVE)
			return epoll_create1((int)a[0]);
		break;
	case SYS_epoll_ctl:
		if (xepoll_active())
			return ctl((int)a[0], (int)a[1], (int)a[2], (void *)a[3]);
		break;
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
		if (xepoll_active())
			return wait_ms((int)a[0], (void *)a[1], (int)a[2], (int)a[3], NULL);
		break;
#endif
	case SYS_epoll_pwait:
		if (xepoll_active())
			return bad_sigset(a[4], a[5]) ? -1 :
				wait_ms((int)a[0], (void *)a[1], (int)a[2], (int)a[3],
					(void *)a[4]);
		break;
	case SYS_epoll_pwait2:
		if (xepoll_active())
			return bad_sigset(a[4], a[5]) ? -1 :
				wait_ts((int)a[0], (void *)a[1], (int)a[2],
					(void *)a[3], (void *)a[4]);
		break;
	case SYS_ioctl: {
		int ret;

		if (params_ioctl((int)a[0], (unsigned long)a[1], (void *)a[2], &ret))
			return ret;
		break;
	}
	}
	return next_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
