// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-demo: show, in plain words, that xepoll works end to end.
 *
 * make run boots a kernel with the module loaded and runs this program in
 * the guest; it also runs on any machine where the module is loaded. Each
 * step says what it does and what happened, and the exit status is
 * non-zero if anything did not behave as epoll would, or if a call beyond
 * epoll did not do what it promises. The steps beyond epoll print their
 * figures (results, counts, system calls) as measured, so that
 * selftests/demo_test.sh can check them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
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

/* An errno value's name ("EEXIST"), or "0" for success. */
static const char *err_name(int result)
{
	const char *name;

	if (!result)
		return "0";
	name = strerrorname_np(-result);
	return name ? name : "?";
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* @n eventfds, non-blocking; 0, or -1 with those made closed again. */
static int eventfds(int *efd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd[i] < 0) {
			while (i--)
				close(efd[i]);
			return -1;
		}
	}
	return 0;
}

static void close_all(int *fd, int n)
{
	while (n--)
		close(fd[n]);
}

static void signal_efd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		step(0, "Could not write to an eventfd: %s.", strerror(errno));
}

static void drain_efd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		step(0, "Could not read an eventfd: %s.", strerror(errno));
}

/*
 * A batch: four changes in one call, the third an ADD of a descriptor the
 * first added already. Each entry gets its own result, and the failed one
 * does not stop the others (no XEPOLL_SUBMIT_STOP_ON_ERROR).
 */
static void show_batch(void)
{
	static const uint64_t data[4] = { 1, 2, 3, 4 };
	struct xepoll_change c[4];
	struct epoll_event ev[4];
	int epfd = xepoll_create1(0), efd[3], done, n, i, ok;
	uint64_t got = 0;
	char seen[32] = "";

	if (epfd < 0 || eventfds(efd, 3)) {
		step(0, "Could not create an instance and three eventfds.");
		if (epfd >= 0)
			close(epfd);
		return;
	}
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, efd[0], EPOLLIN, data[0]);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, efd[1], EPOLLIN, data[1]);
	xepoll_change_set(&c[2], EPOLL_CTL_ADD, efd[0], EPOLLIN, data[2]);
	xepoll_change_set(&c[3], EPOLL_CTL_ADD, efd[2], EPOLLIN, data[3]);
	done = xepoll_ctl_batch(epfd, c, 4, 0);
	step(done == 4 && !c[0].result && !c[1].result && c[2].result == -EEXIST &&
	     !c[3].result,
	     "One xepoll_ctl_batch() call, 4 ADDs (the 3rd a duplicate): results %s, %s, %s, %s.",
	     err_name(c[0].result), err_name(c[1].result), err_name(c[2].result),
	     err_name(c[3].result));

	for (i = 0; i < 3; i++)
		signal_efd(efd[i]);
	n = xepoll_wait(epfd, ev, 4, 1000);
	for (i = 0; i < n; i++)
		got |= 1ULL << (ev[i].data.u64 & 63);
	for (i = 0; i < 64; i++)
		if (got & 1ULL << i)
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
				 "%s%d", *seen ? " " : "", i);
	ok = n == 3 && got == (1ULL << data[0] | 1ULL << data[1] | 1ULL << data[3]);
	step(ok, "The other 3 applied: %d events, with data %s.", n < 0 ? 0 : n, seen);

	close_all(efd, 3);
	close(epfd);
}

#define MINWAIT_EVENTS	4
#define MINWAIT_GAP_US	50000

/*
 * A child makes @efd readable one by one, MINWAIT_GAP_US apart, and exits;
 * the pid, or -1.
 */
static pid_t trickle(const int *efd)
{
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	for (i = 0; i < MINWAIT_EVENTS; i++) {
		usleep(MINWAIT_GAP_US);
		signal_efd(efd[i]);
	}
	_exit(0);
}

/*
 * A minimum batch: the same four events, arriving 50 ms apart, gathered
 * by epoll_wait() (a return per event, or so) and by one
 * xepoll_wait_min() for four.
 */
static void show_min_wait(void)
{
	struct timespec limit = { .tv_sec = 5 };
	struct epoll_event ev = { .events = EPOLLIN }, evs[8];
	int efd[MINWAIT_EVENTS], ep = epoll_create1(0), xep = xepoll_create1(0);
	int i, n, got = 0, returns = 0, status;
	double t0, ms;
	pid_t pid;

	if (ep < 0 || xep < 0 || eventfds(efd, MINWAIT_EVENTS)) {
		step(0, "Could not create the instances and eventfds.");
		if (ep >= 0)
			close(ep);
		if (xep >= 0)
			close(xep);
		return;
	}
	for (i = 0; i < MINWAIT_EVENTS; i++) {
		ev.data.u64 = (uint64_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, efd[i], &ev) ||
		    xepoll_ctl(xep, EPOLL_CTL_ADD, efd[i], &ev))
			step(0, "Could not watch eventfd %d: %s.", i, strerror(errno));
	}

	pid = trickle(efd);
	while (pid > 0 && got < MINWAIT_EVENTS) {
		n = epoll_wait(ep, evs, 8, 5000);
		if (n <= 0)
			break;
		returns++;
		for (i = 0; i < n; i++)
			drain_efd(efd[evs[i].data.u64]);
		got += n;
	}
	waitpid(pid, &status, 0);

	pid = trickle(efd);
	t0 = now_ms();
	n = pid > 0 ? xepoll_wait_min(xep, evs, 8, MINWAIT_EVENTS, 0, &limit, NULL) : -1;
	ms = now_ms() - t0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	/* The first event comes a gap after the fork, the last 3 gaps later. */
	step(n == MINWAIT_EVENTS && ms >= 3 * MINWAIT_GAP_US / 1000,
	     "Events 50 ms apart: epoll_wait() returned %d times for %d events; one xepoll_wait_min(%d) returned %d, after %.0f ms.",
	     returns, got, MINWAIT_EVENTS, n < 0 ? 0 : n, ms);

	close_all(efd, MINWAIT_EVENTS);
	close(ep);
	close(xep);
}

/* /sys/kernel/xepoll/events: the events the kernel delivered; -1 if unread. */
static long long kernel_events(void)
{
	FILE *f = fopen("/sys/kernel/xepoll/events", "re");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#define RING_FDS	8
#define RING_ROUNDS	100

/*
 * The ring: edge-triggered events reaped from shared memory. Each round
 * makes one of eight eventfds readable (its write publishes the event in
 * the ring) and waits for it with xepoll_ring_wait(), which finds it in
 * the ring and makes no system call; then one level-triggered pipe, whose
 * event stays in the kernel, takes the one wait that enters it.
 * libxepoll's counts say how many system calls the waits saved, and the
 * kernel's count of the events it delivered says the same from the other
 * side.
 */
static void show_ring(void)
{
	struct epoll_event ev = { 0 }, out[RING_FDS];
	int epfd = xepoll_create1(0), efd[RING_FDS], p[2], i, n, right = 0;
	struct xepoll_ring_stats st;
	struct xepoll_ring *ring;
	long long k0, k1;

	if (epfd < 0 || eventfds(efd, RING_FDS)) {
		step(0, "Could not create an instance and eventfds.");
		if (epfd >= 0)
			close(epfd);
		return;
	}
	ring = xepoll_ring_setup(epfd, 64);
	step(ring != NULL, "Gave an instance a shared ready ring (xepoll_ring_setup(), 64 cells)%s%s.",
	     ring ? "" : ": ", ring ? "" : strerror(errno));
	if (!ring || pipe(p)) {
		close_all(efd, RING_FDS);
		close(epfd);
		return;
	}
	ev.events = EPOLLIN | EPOLLET;
	for (i = 0; i < RING_FDS; i++) {
		ev.data.u64 = (uint64_t)i;
		if (xepoll_ctl(epfd, EPOLL_CTL_ADD, efd[i], &ev))
			step(0, "Could not watch eventfd %d: %s.", i, strerror(errno));
	}
	ev.events = EPOLLIN;
	ev.data.u64 = RING_FDS;
	if (xepoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev))
		step(0, "Could not watch a pipe: %s.", strerror(errno));

	k0 = kernel_events();
	for (i = 0; i < RING_ROUNDS; i++) {
		signal_efd(efd[i % RING_FDS]);
		n = xepoll_ring_wait(ring, out, RING_FDS, 1000);
		if (n == 1 && out[0].data.u64 == (uint64_t)(i % RING_FDS) &&
		    out[0].events == EPOLLIN)
			right++;
		drain_efd(efd[i % RING_FDS]);
	}
	if (write(p[1], "x", 1) != 1)
		step(0, "Could not write to the pipe.");
	n = xepoll_ring_wait(ring, out, RING_FDS, 1000);
	k1 = kernel_events();
	xepoll_ring_stats(ring, &st);

	step(right == RING_ROUNDS && n == 1 && out[0].data.u64 == RING_FDS,
	     "%d edge-triggered events came through the ring, then 1 level-triggered one through the kernel.",
	     right);
	step(st.reaped == RING_ROUNDS && st.waits == RING_ROUNDS + 1 && st.syscalls == 1,
	     "xepoll_ring_stats(): %llu waits, %llu entered the kernel, %llu events reaped: %llu system calls saved.",
	     st.waits, st.syscalls, st.reaped, st.waits - st.syscalls);
	if (k0 >= 0 && k1 >= 0)
		step(k1 - k0 == 1,
		     "The kernel delivered %lld of those events itself (/sys/kernel/xepoll/events).",
		     k1 - k0);

	xepoll_ring_free(ring);
	close(p[0]);
	close(p[1]);
	close_all(efd, RING_FDS);
	close(epfd);
}

int main(void)
{
	int before;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("xepoll demonstration: epoll's semantics through /dev/xepoll\n\n");
	show_device();
	show_level_and_edge();
	show_nesting();
	show_close();
	show_unprivileged();
	before = failures;
	printf("\nBeyond epoll:\n\n");
	show_batch();
	show_min_wait();
	show_ring();
	if (!failures)
		printf("\nEverything behaved as epoll would, and the calls beyond it did what they promise.\n");
	else if (!before)
		printf("\nEverything behaved as epoll would, but a call beyond it did not: see FAILED above.\n");
	else
		printf("\nSomething did not behave as epoll would: see FAILED above.\n");
	return failures ? 1 : 0;
}
