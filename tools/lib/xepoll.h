/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxepoll: epoll's API over /dev/xepoll.
 *
 * Each function has the signature, the semantics and the errno values of
 * its epoll counterpart (epoll_create(2), epoll_ctl(2), epoll_wait(2)), so a
 * program switches by renaming its calls, or not at all with the LD_PRELOAD
 * interposer (tools/preload). The library keeps no state of its own: an
 * instance is its file descriptor, as with epoll.
 *
 * One call has no epoll counterpart. xepoll holds a reference to every file
 * it watches (a module cannot hook the release of a file, as epoll does),
 * so close(2) of the last descriptor of a watched file leaves the file open
 * until its registrations go. xepoll_close() closes the descriptor and
 * drops those registrations when nothing else holds the file, which is what
 * close(2) does to an epoll registration. See Documentation/userspace-api.rst.
 */
#ifndef XEPOLL_H
#define XEPOLL_H

#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* epoll_create(2): @size must be positive, and is otherwise ignored. */
int xepoll_create(int size);

/* epoll_create1(2): @flags is 0 or EPOLL_CLOEXEC. */
int xepoll_create1(int flags);

/* epoll_ctl(2). */
int xepoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

/* epoll_wait(2), epoll_pwait(2), epoll_pwait2(2). */
int xepoll_wait(int epfd, struct epoll_event *events, int maxevents,
		int timeout);
int xepoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		 int timeout, const sigset_t *sigmask);
int xepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask);

/*
 * close(2) of @fd, through the xepoll instance @epfd (any instance will do):
 * if no descriptor refers to @fd's file any more, its registrations in every
 * instance are removed and the file is released at once, as with epoll.
 * Returns close(2)'s result and errno.
 */
int xepoll_close(int epfd, int fd);

#ifdef __cplusplus
}
#endif

#endif /* XEPOLL_H */
