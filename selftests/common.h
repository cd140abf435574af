/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the multi-threaded and multi-process selftests. Nothing
 * here asserts: threads and children report what they saw, and the test's
 * main thread asserts on it.
 */
#ifndef XEPOLL_SELFTESTS_COMMON_H
#define XEPOLL_SELFTESTS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sleep @ms milliseconds, restarting after signals. */
static inline void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The scheduler state letter of task @tid (a thread or a child), or 0. */
static inline char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait, at most @max_ms, until thread @tid sleeps interruptibly (as it does
 * once it is blocked in a wait). Returns whether it does.
 */
static inline bool wait_task_sleeping(pid_t tid, long max_ms)
{
	long long end = now_ms() + max_ms;

	do {
		if (task_state(tid) == 'S')
			return true;
		msleep(5);
	} while (now_ms() < end);
	return false;
}

/*
 * waitpid() for @pid, at most @max_ms; kills and reaps it if it is still
 * running then. Returns its wait status, or -1 if it had to be killed.
 */
static inline int reap_child(pid_t pid, long max_ms)
{
	long long end = now_ms() + max_ms;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		msleep(10);
	} while (now_ms() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Send descriptor @fd over the unix socket @sock. */
static inline int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receive a descriptor sent with send_fd(), or -1. */
static inline int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* One byte on a pipe or socket, to step two processes in lock-step. */
static inline int sync_send(int fd)
{
	char c = 'S';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Wait for sync_send() on @fd, at most @max_ms; 0 when it came. */
static inline int sync_recv(int fd, int max_ms)
{
	struct timeval tv = { max_ms / 1000, (max_ms % 1000) * 1000 };
	fd_set set;
	char c;

	FD_ZERO(&set);
	FD_SET(fd, &set);
	if (select(fd + 1, &set, NULL, NULL, &tv) != 1)
		return -1;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/*
 * How many registrations instance @epfd has: the "tfd:" lines of its
 * fdinfo, which epoll and xepoll both print, one per registration.
 * -1 if the fdinfo cannot be read.
 */
static inline int count_registrations(int epfd)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "tfd:", 4))
			n++;
	fclose(f);
	return n;
}

#endif /* XEPOLL_SELFTESTS_COMMON_H */
