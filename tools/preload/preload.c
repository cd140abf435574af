// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll-preload.so: run an unmodified epoll program on xepoll.
 *
 *	LD_PRELOAD=libxepoll-preload.so program ...
 *
 * epoll_create(), epoll_create1(), epoll_ctl(), epoll_wait(), epoll_pwait(),
 * epoll_pwait2() and their syscall(SYS_epoll_*, ...) forms go to libxepoll
 * (compiled in). Every other syscall() number goes to the real syscall().
 *
 * Closing. xepoll holds a reference to each file it watches, so a plain
 * close() of a watched descriptor would leave the file open and
 * registered. Once the process has created an xepoll instance, close(),
 * the implicit close of dup2()/dup3() onto an open descriptor,
 * close_range(), closefrom() and syscall(SYS_close, ...) go through
 * XEPOLL_IOC_CLOSE, which closes as close(2) does and then releases the
 * file at once if only xepoll still held it, as epoll would.
 *
 * The ioctl is issued on a cached descriptor of /dev/xepoll, opened
 * O_CLOEXEC and moved high (F_DUPFD_CLOEXEC) so that it does not take a
 * number the program expects to get from open(). The program cannot close
 * it through us (it never opened it: EBADF, as without us); a dup2()/dup3()
 * onto its number moves the cache out of the way first; a close_range()
 * over it drops it. If it is closed behind our back (a raw system call),
 * the next ioctl fails with EBADF or ENOTTY, which is noticed: the cache is
 * dropped, never closed (the number may be the program's by then), and
 * the device reopened.
 *
 * Without /dev/xepoll the first epoll_create*() prints why on stderr and
 * aborts the program, so that a run that was meant to test xepoll cannot
 * pass on native epoll (libevent, for one, would silently fall back to
 * poll()). XEPOLL_PRELOAD_FALLBACK=1 makes it use native epoll instead.
 *
 * The close paths use nothing but atomics and system calls, so close()
 * stays async-signal-safe and thread-safe. The state is three integers.
 * See README.md for what is not covered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <linux/xepoll.h>

#include "xepoll.h"

#define XEPOLL_PATH	"/dev/" XEPOLL_DEVICE_NAME
#define PRELOAD_NAME	"libxepoll-preload.so"

/* The kernel's sigset_t, which the raw epoll_pwait*() take with its size. */
#define KERNEL_SIGSET_SIZE	(_NSIG / 8)

/* Where the process's epoll instances live. */
enum { MODE_UNDECIDED, MODE_XEPOLL, MODE_NATIVE };

static atomic_int mode = MODE_UNDECIDED;
/* The cached /dev/xepoll descriptor, or -1. */
static atomic_int dev_fd = -1;
/* Its device number, to tell it from a program's file at the same number. */
static atomic_ulong dev_rdev;

/* The functions this library stands in for. */
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_close_range)(unsigned int, unsigned int, int);
static void (*real_closefrom)(int);
static long (*real_syscall)(long, ...);
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
 * A constructor of another library that closes a descriptor before this one
 * runs finds them through the same function.
 */
#define RESOLVE(fn) do { if (!real_##fn) real_##fn = next_symbol(#fn); } while (0)

__attribute__((constructor))
static void preload_init(void)
{
	RESOLVE(close);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(close_range);
	RESOLVE(closefrom);
	RESOLVE(syscall);
	RESOLVE(epoll_create);
	RESOLVE(epoll_create1);
	RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait);
	RESOLVE(epoll_pwait);
	RESOLVE(epoll_pwait2);
}

static long next_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	RESOLVE(syscall);
	return real_syscall(nr, a0, a1, a2, a3, a4, a5);
}

static int next_close(int fd)
{
	RESOLVE(close);
	return real_close(fd);
}

static int xepoll_active(void)
{
	return atomic_load_explicit(&mode, memory_order_acquire) == MODE_XEPOLL;
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
 * Move @fd to a high number, out of the range open() hands out first: the
 * top of the first 1024, or as high as the soft limit allows.
 */
static int move_high(int fd)
{
	struct rlimit rl;
	long top = 1024;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)top)
		top = (long)rl.rlim_cur;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, (int)(top - 1));
	if (hi < 0 && top > 64)
		hi = fcntl(fd, F_DUPFD_CLOEXEC, (int)(top / 2));
	if (hi < 0)
		return fd;
	next_close(fd);
	return hi;
}

/* Whether @fd is (still) the cached device file, not a program's file. */
static int is_cached_device(int fd)
{
	struct stat st;

	return fd >= 0 && fd == atomic_load(&dev_fd) && fstat(fd, &st) == 0 &&
	       S_ISCHR(st.st_mode) && st.st_rdev == (dev_t)atomic_load(&dev_rdev);
}

/* The cached device descriptor, opened on first use; -1 and errno if none. */
static int device(void)
{
	struct stat st;
	int fd, cached = atomic_load(&dev_fd);

	if (cached >= 0)
		return cached;
	fd = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0)
		atomic_store(&dev_rdev, (unsigned long)st.st_rdev);
	fd = move_high(fd);
	cached = -1;
	if (!atomic_compare_exchange_strong(&dev_fd, &cached, fd)) {
		/* Another thread was first: use its descriptor. */
		next_close(fd);
		return cached;
	}
	return fd;
}

/*
 * Forget the cached descriptor @fd without closing it: it was closed
 * behind our back and its number may be the program's now.
 */
static void device_forget(int fd)
{
	atomic_compare_exchange_strong(&dev_fd, &fd, -1);
}

/*
 * The program is about to put a file at @fd (dup2, dup3): if that is the
 * cached descriptor, move the cache out of the way first.
 */
static void device_evict(int fd)
{
	int hi;

	if (fd < 0 || fd != atomic_load(&dev_fd))
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
	if (hi < 0)
		hi = fcntl(fd, F_DUPFD_CLOEXEC, fd / 2);
	if (hi < 0 || !atomic_compare_exchange_strong(&dev_fd, &fd, hi)) {
		if (hi >= 0)
			next_close(hi);
		device_forget(fd);
	}
	/* The old number is the program's to reuse; dup2() replaces it. */
}

/*
 * close(2) of @fd through XEPOLL_IOC_CLOSE. Falls back to a plain close()
 * only if the device cannot be opened.
 */
static int xclose(int fd)
{
	int tries, dev, ret, err;

	for (tries = 0; tries < 3; tries++) {
		dev = device();
		if (dev < 0)
			break;
		if (fd == dev) {
			if (is_cached_device(fd)) {
				/* Not the program's: it never opened it. */
				errno = EBADF;
				return -1;
			}
			device_forget(dev);
			continue;
		}
		ret = ioctl(dev, XEPOLL_IOC_CLOSE, (unsigned long)fd);
		if (ret == 0)
			return 0;
		err = errno;
		if (err == ENOTTY || err == EINVAL ||
		    (err == EBADF && fcntl(dev, F_GETFD) < 0)) {
			/* dev is not ours any more. */
			device_forget(dev);
			continue;
		}
		errno = err;
		return -1;
	}
	return next_close(fd);
}

int close(int fd)
{
	if (!xepoll_active())
		return next_close(fd);
	return xclose(fd);
}

/*
 * dup2() and dup3() close @newfd first when it is open. The old file is
 * held by a temporary descriptor across the (atomic) replacement and
 * closed through xepoll afterwards, so that it is released at once if it
 * was its last descriptor, and no other thread ever sees @newfd free.
 */
static int xdup(int oldfd, int newfd, int flags, int three)
{
	int ret, err, hold = -1;

	if (xepoll_active() && oldfd != newfd) {
		if (is_cached_device(oldfd)) {
			errno = EBADF;
			return -1;
		}
		device_evict(newfd);
		hold = fcntl(newfd, F_DUPFD_CLOEXEC, 0);
	}
	if (three) {
		RESOLVE(dup3);
		ret = real_dup3(oldfd, newfd, flags);
	} else {
		RESOLVE(dup2);
		ret = real_dup2(oldfd, newfd);
	}
	err = errno;
	if (hold >= 0)
		xclose(hold);
	errno = err;
	return ret;
}

int dup2(int oldfd, int newfd)
{
	return xdup(oldfd, newfd, 0, 0);
}

int dup3(int oldfd, int newfd, int flags)
{
	return xdup(oldfd, newfd, flags, 1);
}

static int next_close_range(unsigned int first, unsigned int last, int flags)
{
	RESOLVE(close_range);
	if (real_close_range)
		return real_close_range(first, last, flags);
	return (int)next_syscall(SYS_close_range, first, last, flags, 0, 0, 0);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * close_range() without CLOSE_RANGE_CLOEXEC: each open descriptor in the
 * range, found in /proc/self/fd, is closed through xepoll. Without /proc it
 * is the real close_range().
 */
static int xclose_range(unsigned int first, unsigned int last, int flags)
{
	char buf[2048] __attribute__((aligned(8)));
	int dir, dev;
	long n, off;

	if (!xepoll_active() || first > last ||
	    (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) ||
	    (flags & CLOSE_RANGE_CLOEXEC))
		return next_close_range(first, last, flags);
	if ((flags & CLOSE_RANGE_UNSHARE) &&
	    next_syscall(SYS_unshare, CLONE_FILES, 0, 0, 0, 0, 0) < 0)
		return -1;
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return next_close_range(first, last, 0);
	while ((n = next_syscall(SYS_getdents64, dir, (long)buf, sizeof(buf), 0, 0, 0)) > 0) {
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			unsigned long fd = 0;
			const char *p = d->d_name;

			off += d->d_reclen;
			if (*p < '0' || *p > '9')
				continue;
			while (*p >= '0' && *p <= '9')
				fd = fd * 10 + (unsigned long)(*p++ - '0');
			if (fd < first || fd > last || (int)fd == dir)
				continue;
			/* The cache is skipped (EBADF) and dealt with below. */
			xclose((int)fd);
		}
	}
	next_close(dir);
	dev = atomic_load(&dev_fd);
	/* The range covers the cache: the program expects nothing open there. */
	if (dev >= 0 && (unsigned int)dev >= first && (unsigned int)dev <= last &&
	    atomic_compare_exchange_strong(&dev_fd, &dev, -1))
		next_close(dev);
	return 0;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	return xclose_range(first, last, flags);
}

void closefrom(int lowfd)
{
	RESOLVE(closefrom);
	if (!xepoll_active() && real_closefrom) {
		real_closefrom(lowfd);
		return;
	}
	/* As glibc's: a negative lowfd is 0. */
	if (lowfd < 0)
		lowfd = 0;
	xclose_range((unsigned int)lowfd, ~0U, 0);
}

/*
 * Decide, at the first instance, whether xepoll is there. Returns the
 * device descriptor, or -1 with errno set when this call must fail or,
 * with *native set, go to native epoll.
 */
static int create_device(int *native)
{
	const char *fallback;
	int dev, err, expected;

	*native = atomic_load(&mode) == MODE_NATIVE;
	if (*native)
		return -1;
	dev = device();
	if (dev >= 0)
		return dev;
	err = errno;
	/* What epoll_create() itself could fail with is passed on. */
	if (err == EMFILE || err == ENFILE || err == ENOMEM || err == EINTR ||
	    atomic_load(&mode) == MODE_XEPOLL) {
		errno = err;
		return -1;
	}
	fallback = getenv("XEPOLL_PRELOAD_FALLBACK");
	if (fallback && !strcmp(fallback, "1")) {
		expected = MODE_UNDECIDED;
		atomic_compare_exchange_strong(&mode, &expected, MODE_NATIVE);
		*native = atomic_load(&mode) == MODE_NATIVE;
		errno = err;
		return -1;
	}
	say("cannot open " XEPOLL_PATH ": ", strerror(err),
	    " (is the xepoll module loaded?); aborting. "
	    "Set XEPOLL_PRELOAD_FALLBACK=1 to use native epoll instead.");
	abort();
}

static int xcreate1(int flags, int size, int legacy)
{
	struct xepoll_create args = { .flags = (uint32_t)flags };
	int tries, dev, fd, native, expected;

	/* Arguments first, as epoll checks them before anything. */
	if ((legacy && size <= 0) || (flags & ~EPOLL_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < 3; tries++) {
		dev = create_device(&native);
		if (native) {
			if (legacy) {
				RESOLVE(epoll_create);
				return real_epoll_create(size);
			}
			RESOLVE(epoll_create1);
			return real_epoll_create1(flags);
		}
		if (dev < 0)
			return -1;
		fd = ioctl(dev, XEPOLL_IOC_CREATE, &args);
		if (fd >= 0) {
			expected = MODE_UNDECIDED;
			atomic_compare_exchange_strong(&mode, &expected, MODE_XEPOLL);
			return fd;
		}
		if (errno != ENOTTY && errno != EINVAL && errno != EBADF)
			return -1;
		device_forget(dev);
	}
	return -1;
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
 * EINVAL, and then xepoll is asked, which also makes this process's closes
 * go through xepoll from then on.
 */
static int inherited(int ret, int epfd)
{
	int err = errno, expected = MODE_UNDECIDED;

	if (ret >= 0 || err != EINVAL || atomic_load(&mode) != MODE_UNDECIDED)
		return 0;
	if (ioctl(epfd, XEPOLL_IOC_CLOSE, -1) == 0 || errno != EBADF) {
		errno = err;
		return 0;
	}
	atomic_compare_exchange_strong(&mode, &expected, MODE_XEPOLL);
	return 1;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int ret;

	if (xepoll_active())
		return xepoll_ctl(epfd, op, fd, event);
	RESOLVE(epoll_ctl);
	ret = real_epoll_ctl(epfd, op, fd, event);
	return inherited(ret, epfd) ? xepoll_ctl(epfd, op, fd, event) : ret;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	int ret;

	if (xepoll_active())
		return xepoll_wait(epfd, events, maxevents, timeout);
	RESOLVE(epoll_wait);
	ret = real_epoll_wait(epfd, events, maxevents, timeout);
	return inherited(ret, epfd) ? xepoll_wait(epfd, events, maxevents, timeout) : ret;
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		const sigset_t *sigmask)
{
	int ret;

	if (xepoll_active())
		return xepoll_pwait(epfd, events, maxevents, timeout, sigmask);
	RESOLVE(epoll_pwait);
	ret = real_epoll_pwait(epfd, events, maxevents, timeout, sigmask);
	return inherited(ret, epfd) ?
		xepoll_pwait(epfd, events, maxevents, timeout, sigmask) : ret;
}

int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		 const struct timespec *timeout, const sigset_t *sigmask)
{
	int ret;

	if (xepoll_active())
		return xepoll_pwait2(epfd, events, maxevents, timeout, sigmask);
	RESOLVE(epoll_pwait2);
	if (real_epoll_pwait2)
		ret = real_epoll_pwait2(epfd, events, maxevents, timeout, sigmask);
	else
		ret = (int)next_syscall(SYS_epoll_pwait2, epfd, (long)events, maxevents,
					(long)timeout, (long)sigmask, KERNEL_SIGSET_SIZE);
	return inherited(ret, epfd) ?
		xepoll_pwait2(epfd, events, maxevents, timeout, sigmask) : ret;
}

/* The raw epoll_pwait*() check the mask's size, when there is a mask. */
static int bad_sigset(long sigmask, long size)
{
	if (sigmask && size != KERNEL_SIGSET_SIZE) {
		errno = EINVAL;
		return 1;
	}
	return 0;
}

/*
 * syscall(): the epoll and close numbers as above, everything else to the
 * real one. glibc's syscall() reads six arguments whatever the number, and
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
			return xepoll_ctl((int)a[0], (int)a[1], (int)a[2], (void *)a[3]);
		break;
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
		if (xepoll_active())
			return xepoll_wait((int)a[0], (void *)a[1], (int)a[2], (int)a[3]);
		break;
#endif
	case SYS_epoll_pwait:
		if (xepoll_active())
			return bad_sigset(a[4], a[5]) ? -1 :
				xepoll_pwait((int)a[0], (void *)a[1], (int)a[2], (int)a[3],
					     (void *)a[4]);
		break;
	case SYS_epoll_pwait2:
		if (xepoll_active())
			return bad_sigset(a[4], a[5]) ? -1 :
				xepoll_pwait2((int)a[0], (void *)a[1], (int)a[2],
					      (void *)a[3], (void *)a[4]);
		break;
	case SYS_close:
		if (xepoll_active())
			return xclose((int)a[0]);
		break;
#ifdef SYS_dup2
	case SYS_dup2:
		if (xepoll_active())
			return xdup((int)a[0], (int)a[1], 0, 0);
		break;
#endif
	case SYS_dup3:
		if (xepoll_active())
			return xdup((int)a[0], (int)a[1], (int)a[2], 1);
		break;
	case SYS_close_range:
		if (xepoll_active())
			return xclose_range((unsigned int)a[0], (unsigned int)a[1], (int)a[2]);
		break;
	}
	return next_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
