// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints (kmod/trace.h) fire and read as documented in
 * Documentation/admin-guide.rst: through ftrace, in a tracefs instance of
 * its own (so the global buffer is left alone), and through perf, counting
 * a tracepoint with perf_event_open() as `perf stat -e xepoll:...` does.
 *
 * tracefs and perf's tracepoints are root's: the nobody run skips, saying
 * so, and the root run covers it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "backend.h"
#include "sysfs_util.h"

#define INSTANCE	"xepoll_selftest"
static const char *const events[] = {
	"xepoll_ctl", "xepoll_wait_enter", "xepoll_wait_exit", "xepoll_wake",
	"xepoll_busy_poll",
};

static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	return NULL;
}

FIXTURE(ftrace) {
	char dir[256];
	char *buf;
};

FIXTURE_SETUP(ftrace)
{
	const char *fs;
	char path[384];

	self->dir[0] = '\0';
	self->buf = NULL;
	if (geteuid())
		SKIP(return, "tracefs is root's; the root run covers it");
	fs = tracefs();
	ASSERT_NE(NULL, fs) TH_LOG("no tracefs mounted");
	snprintf(self->dir, sizeof(self->dir), "%s/instances/" INSTANCE, fs);
	rmdir(self->dir);
	ASSERT_EQ(0, mkdir(self->dir, 0755)) TH_LOG("%s: %s", self->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/events/xepoll/enable", self->dir);
	ASSERT_EQ(0, write_str(path, "1"));
	self->buf = malloc(1 << 20);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(ftrace)
{
	char path[384];

	if (self->dir[0]) {
		snprintf(path, sizeof(path), "%s/events/xepoll/enable", self->dir);
		write_str(path, "0");
		rmdir(self->dir);
	}
	free(self->buf);
}

TEST_F(ftrace, events_are_listed)
{
	char path[384];
	unsigned int i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/xepoll/%s/format",
			 self->dir, events[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	}
}

/* Find a line holding every one of @needles; NULL-terminated list. */
static int has_line(const char *buf, const char *const *needles)
{
	const char *p = buf, *nl;
	char line[512];
	int i, ok;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if ((size_t)(nl - p) >= sizeof(line))
			continue;
		memcpy(line, p, nl - p);
		line[nl - p] = '\0';
		for (ok = 1, i = 0; needles[i]; i++)
			ok &= !!strstr(line, needles[i]);
		if (ok)
			return 1;
	}
	return 0;
}

TEST_F(ftrace, ctl_wait_and_wake_are_traced)
{
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xfeed };
	char fd_s[32], path[384];
	uint64_t one = 1;

	ASSERT_LE(0, epfd);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, e, &ev));
	errno = 0;
	ASSERT_EQ(-1, xepoll_ctl(epfd, EPOLL_CTL_ADD, e, &ev));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(sizeof(one), write(e, &one, sizeof(one)));
	ASSERT_EQ(1, xepoll_wait(epfd, &ev, 7, 1000));
	/* Still readable (level-triggered): a zero-timeout wait gets it again. */
	ASSERT_EQ(1, xepoll_wait(epfd, &ev, 3, 0));

	snprintf(path, sizeof(path), "%s/trace", self->dir);
	ASSERT_LT(0, read_file(path, self->buf, 1 << 20));
	TH_LOG("trace:\n%s", self->buf);
	snprintf(fd_s, sizeof(fd_s), " fd=%d ", e);
	{
		const char *add_ok[] = { "xepoll_ctl:", "op=ADD", fd_s,
					 "events=0x1 ", "data=0xfeed", "ret=0", NULL };
		const char *add_eexist[] = { "xepoll_ctl:", "op=ADD", fd_s,
					     "ret=-17", NULL };
		const char *wake[] = { "xepoll_wake:", fd_s, NULL };
		const char *enter[] = { "xepoll_wait_enter:", "maxevents=7",
					"timeout=set", NULL };
		const char *enter0[] = { "xepoll_wait_enter:", "maxevents=3",
					 "timeout=none", NULL };
		const char *exit1[] = { "xepoll_wait_exit:", "ret=1", NULL };

		EXPECT_TRUE(has_line(self->buf, add_ok));
		EXPECT_TRUE(has_line(self->buf, add_eexist));
		EXPECT_TRUE(has_line(self->buf, wake));
		EXPECT_TRUE(has_line(self->buf, enter));
		EXPECT_TRUE(has_line(self->buf, enter0));
		EXPECT_TRUE(has_line(self->buf, exit1));
	}
	close(epfd);
	close(e);
}

TEST_F(ftrace, disabled_events_stay_silent)
{
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	char path[384];
	int i;

	ASSERT_LE(0, epfd);
	snprintf(path, sizeof(path), "%s/events/xepoll/enable", self->dir);
	ASSERT_EQ(0, write_str(path, "0"));
	snprintf(path, sizeof(path), "%s/trace", self->dir);
	i = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, i);
	close(i);
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, e, &ev));
	ASSERT_LE(0, read_file(path, self->buf, 1 << 20));
	EXPECT_EQ(NULL, strstr(self->buf, "xepoll_ctl:"));
	close(epfd);
	close(e);
}

/* perf: count xepoll:xepoll_ctl for this task. */
TEST(perf_counts_tracepoint)
{
	struct perf_event_attr attr;
	struct epoll_event ev = { .events = EPOLLIN };
	const char *fs = tracefs();
	char path[256];
	long long count = -1;
	int pfd, epfd, e, i;
	long id;

	if (geteuid())
		SKIP(return, "tracepoint events are root's; the root run covers it");
	ASSERT_NE(NULL, fs);
	snprintf(path, sizeof(path), "%s/events/xepoll/xepoll_ctl/id", fs);
	id = read_long(path);
	ASSERT_LT(0, id) TH_LOG("%s", path);

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.disabled = 1;
	attr.exclude_kernel = 0;
	pfd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	ASSERT_LE(0, pfd) TH_LOG("perf_event_open: %s", strerror(errno));

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	e = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, e, &ev));
		EXPECT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_DEL, e, NULL));
	}
	ASSERT_EQ(0, ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0));
	ASSERT_EQ(sizeof(count), read(pfd, &count, sizeof(count)));
	EXPECT_EQ(6, count);
	close(pfd);
	close(epfd);
	close(e);
}

TEST_HARNESS_MAIN
