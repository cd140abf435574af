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
 * The state is one integer, the mode. See README.md for what is not
 * covered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/xepoll.h>

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
		fd = xepoll_create1(flags);
		if (fd >= 0) {
			atomic_compare_exchange_strong(&mode, &expected, MODE_XEPOLL);
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
	case SYS_ioctl: {
		int ret;

		if (params_ioctl((int)a[0], (unsigned long)a[1], (void *)a[2], &ret))
			return ret;
		break;
	}
	}
	return next_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
