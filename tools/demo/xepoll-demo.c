// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-demo: show, in plain words, that xepoll works end to end.
 *
 * make run boots a kernel with the module loaded and runs this program in
 * the guest; it also runs on any machine where the module is loaded. Each
 * step says what it does and what happened, and the exit status is
 * non-zero if anything did not behave as epoll would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/xepoll.h>
#include <xepoll.h>

#define XEPOLL_PATH "/dev/" XEPOLL_DEVICE_NAME

static int failures;

/* Print a step's outcome: "ok" or "FAILED", then the sentence. */
static void step(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("  %s ", ok ? "ok    " : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

/* Wait up to @ms for one event; returns its count (0 or 1) or -1. */
static int wait_one(int epfd, struct epoll_event *ev, int ms)
{
	return xepoll_wait(epfd, ev, 1, ms);
}

static void show_device(void)
{
	struct stat st;
	int ok = stat(XEPOLL_PATH, &st) == 0;

	step(ok && S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0666,
	     "%s is a character device (%u:%u) that any user may open (mode %04o).",
	     XEPOLL_PATH, ok ? major(st.st_rdev) : 0, ok ? minor(st.st_rdev) : 0,
	     ok ? (unsigned int)(st.st_mode & 07777) : 0);
}

static void show_level_and_edge(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xfeedULL };
	int epfd = xepoll_create1(EPOLL_CLOEXEC);
	int p[2];
	char c;

	step(epfd >= 0, "Created an xepoll instance: descriptor %d.", epfd);
	if (epfd < 0 || pipe(p))
		return;

	step(xepoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev) == 0,
	     "Added the read end of a pipe, level-triggered, with data 0xfeed.");
	step(wait_one(epfd, &ev, 0) == 0, "An empty pipe reports nothing.");
	step(write(p[1], "ab", 2) == 2, "Wrote two bytes into the pipe.");
	step(wait_one(epfd, &ev, 1000) == 1 && ev.events == EPOLLIN &&
	     ev.data.u64 == 0xfeed,
	     "The wait reported EPOLLIN with our data 0x%llx.",
	     (unsigned long long)ev.data.u64);
	step(wait_one(epfd, &ev, 0) == 1,
	     "Level-triggered: still readable, so reported again.");

	ev.events = EPOLLIN | EPOLLET;
	step(xepoll_ctl(epfd, EPOLL_CTL_MOD, p[0], &ev) == 0 &&
	     wait_one(epfd, &ev, 0) == 1 && wait_one(epfd, &ev, 0) == 0,
	     "Switched to edge-triggered: reported once, then not again.");
	step(read(p[0], &c, 1) == 1 && write(p[1], "c", 1) == 1 &&
	     wait_one(epfd, &ev, 1000) == 1,
	     "A new write is a new edge, and is reported.");

	step(xepoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST,
	     "Adding the pipe twice fails with EEXIST, as with epoll.");
	step(xepoll_ctl(epfd, EPOLL_CTL_DEL, p[0], NULL) == 0 &&
	     wait_one(epfd, &ev, 0) == 0,
	     "Deleted it: nothing is reported any more.");

	close(p[0]);
	close(p[1]);
	close(epfd);
}

static void show_nesting(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int inner = xepoll_create1(0), outer = xepoll_create1(0);
	struct pollfd pfd = { .fd = inner, .events = POLLIN };
	int efd[2];

	if (inner < 0 || outer < 0 || pipe(efd)) {
		step(0, "Could not create two instances and a pipe.");
		return;
	}

	xepoll_ctl(inner, EPOLL_CTL_ADD, efd[0], &ev);
	step(xepoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev) == 0,
	     "One instance watches another.");
	step(write(efd[1], "x", 1) == 1 && poll(&pfd, 1, 1000) == 1 &&
	     wait_one(outer, &ev, 1000) == 1,
	     "An event in the inner one makes it readable to poll() and to the outer one.");
	step(xepoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev) == -1 && errno == ELOOP,
	     "Making them watch each other fails with ELOOP, as with epoll.");

	close(efd[0]);
	close(efd[1]);
	close(outer);
	close(inner);
}

static void show_close(void)
{
	struct epoll_event ev = { .events = EPOLLOUT }, out;
	int epfd = xepoll_create1(0);
	int sv[2];
	char c;

	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		step(0, "Could not create an instance and a socket pair.");
		return;
	}

	step(xepoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev) == 0 &&
	     xepoll_wait(epfd, &out, 1, 0) == 1,
	     "Watched a socket for EPOLLOUT: it is reported, always ready.");
	step(close(sv[0]) == 0 && read(sv[1], &c, 1) == 0,
	     "Closed it with close(): its peer sees end-of-file at once.");
	step(xepoll_wait(epfd, &out, 1, 0) == 0,
	     "Its registration went with it: nothing is reported, as with epoll.");

	close(sv[1]);
	close(epfd);
}

static void show_unprivileged(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct epoll_event ev = { .events = EPOLLOUT };
		int epfd, p[2];

		if (setgid(65534) || setuid(65534))
			_exit(2);
		epfd = xepoll_create1(0);
		if (epfd < 0 || pipe(p) ||
		    xepoll_ctl(epfd, EPOLL_CTL_ADD, p[1], &ev) ||
		    wait_one(epfd, &ev, 1000) != 1)
			_exit(1);
		_exit(0);
	}
	step(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	     WEXITSTATUS(status) == 0,
	     "An unprivileged user (uid 65534) created an instance and got an event.");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("xepoll demonstration: epoll's semantics through /dev/xepoll\n\n");
	show_device();
	show_level_and_edge();
	show_nesting();
	show_close();
	show_unprivileged();
	printf("\n%s\n", failures ? "Something did not behave as epoll would: see FAILED above."
				  : "Everything behaved as epoll would.");
	return failures ? 1 : 0;
}
