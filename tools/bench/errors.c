// SPDX-License-Identifier: GPL-2.0
/*
 * The error paths: epoll_ctl() and epoll_wait() calls that fail because
 * epfd is closed or is not an instance, or because fd is closed, as event
 * loops make them (stress-ng's epoll stressor makes several per loop). An
 * operation is one call, which must fail with the errno epoll gives. A
 * case's parameters:
 *
 *   call=	ctl (ADD of an eventfd with a valid event) or wait (one
 *		event, timeout 0)
 *   epfd=	what the call gets as epfd: closed (a number just closed),
 *		negative (-1), socket (a TCP socket), eventfd, or instance
 *		(one of the mechanism's own)
 *   fd=	with epfd=instance: closed (the number of a closed file) or
 *		self (the instance itself, EINVAL)
 *   maxevents=	with epfd=instance: 0 (EINVAL)
 *
 * Native epoll fails each in one system call. libxepoll's ioctl cannot
 * tell epoll's answer where epfd is no instance, which it then has to
 * find: tools/lib/xepoll.c says how, and Documentation/benchmarks.rst
 * what it costs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define ERR_CALLS	100

enum err_call { EC_CTL, EC_WAIT };
enum err_epfd { EE_CLOSED, EE_NEGATIVE, EE_SOCKET, EE_EVENTFD, EE_INSTANCE };
enum err_fd { EF_EVENTFD, EF_CLOSED, EF_SELF };

static const char *const epfd_names[] = {
	"closed", "negative", "socket", "eventfd", "instance",
};

struct err_arg {
	enum err_call call;
	enum err_epfd epfd;
	enum err_fd fd;		/* ctl's fd */
	int maxevents;		/* a wait's */
	int want;		/* the errno epoll gives */
};

struct err_run {
	const struct mech *m;
	const struct err_arg *a;
	int epfd, fd;
	struct epoll_event ev;
};

/* A descriptor number that is not open: a dup, closed. */
static int closed_fd(void)
{
	int fd = dup(STDERR_FILENO);

	if (fd < 0 || close(fd))
		die("dup: %s", strerror(errno));
	return fd;
}

static double err_step(void *ctx)
{
	struct err_run *r = ctx;
	struct epoll_event out;
	uint64_t t0 = now_ns();
	int i, ret;

	for (i = 0; i < ERR_CALLS; i++) {
		if (r->a->call == EC_CTL)
			ret = r->m->ctl(r->epfd, EPOLL_CTL_ADD, r->fd, &r->ev);
		else
			ret = r->m->wait_on(r->epfd, &out, r->a->maxevents, 0);
		if (ret != -1 || errno != r->a->want) {
			warnx_bench("%s: %s on epfd=%s returned %d (%s), not %s",
				    r->m->name, r->a->call == EC_CTL ? "ctl" : "wait",
				    epfd_names[r->a->epfd], ret,
				    ret < 0 ? strerror(errno) : "success",
				    strerror(r->a->want));
			return -1;
		}
	}
	return (double)(now_ns() - t0) / ERR_CALLS;
}

static bool err_run(const struct mech *m, const void *arg, struct sample *out)
{
	const struct err_arg *a = arg;
	struct err_run r = {
		.m = m,
		.a = a,
		.fd = fd_pool(1)[0],
		.ev = { .events = EPOLLIN },
	};
	int opened = -1;

	switch (a->epfd) {
	case EE_CLOSED:
		r.epfd = closed_fd();
		break;
	case EE_NEGATIVE:
		r.epfd = -1;
		break;
	case EE_SOCKET:
		opened = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case EE_EVENTFD:
		opened = eventfd(0, EFD_CLOEXEC);
		break;
	case EE_INSTANCE:
		opened = m->create1(EPOLL_CLOEXEC);
		break;
	}
	if (a->epfd >= EE_SOCKET) {
		if (opened < 0) {
			warnx_bench("epfd=%s: %s", epfd_names[a->epfd], strerror(errno));
			return false;
		}
		r.epfd = opened;
	}
	if (a->fd == EF_CLOSED)
		r.fd = closed_fd();
	else if (a->fd == EF_SELF)
		r.fd = r.epfd;
	out->ns = timed_loop(err_step, &r, 10);
	if (opened >= 0)
		close(opened);
	return out->ns >= 0;
}

void errors_cases(case_sink add)
{
	static const struct err_arg args[] = {
		{ EC_CTL, EE_CLOSED, EF_EVENTFD, 1, EBADF },
		{ EC_CTL, EE_NEGATIVE, EF_EVENTFD, 1, EBADF },
		{ EC_CTL, EE_SOCKET, EF_EVENTFD, 1, EINVAL },
		{ EC_CTL, EE_EVENTFD, EF_EVENTFD, 1, EINVAL },
		{ EC_CTL, EE_INSTANCE, EF_CLOSED, 1, EBADF },
		{ EC_CTL, EE_INSTANCE, EF_SELF, 1, EINVAL },
		{ EC_WAIT, EE_CLOSED, EF_EVENTFD, 1, EBADF },
		{ EC_WAIT, EE_SOCKET, EF_EVENTFD, 1, EINVAL },
		{ EC_WAIT, EE_INSTANCE, EF_EVENTFD, 0, EINVAL },
	};
	struct bench_case c = {
		.workload = "errors",
		.unit = "call",
		.caps = CAP_EPOLL_API,
		.run = err_run,
	};
	unsigned int i;

	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		const struct err_arg *a = &args[i];

		snprintf(c.params, sizeof(c.params), "call=%s epfd=%s%s%s",
			 a->call == EC_CTL ? "ctl" : "wait", epfd_names[a->epfd],
			 a->fd == EF_CLOSED ? " fd=closed" :
			 a->fd == EF_SELF ? " fd=self" : "",
			 a->maxevents ? "" : " maxevents=0");
		c.arg = a;
		add(&c);
	}
}
