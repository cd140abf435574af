// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics under /sys/kernel/xepoll/ move as documented
 * (Documentation/ABI/testing/sysfs-kernel-xepoll), and xepoll-stat shows
 * them. xepoll only: epoll has no such counters. The guest runs no other
 * xepoll user while a test runs, so the deltas are exact.
 *
 * tests.list runs this file as root and as nobody.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pwd.h>

#include "kselftest_harness.h"
#include "backend.h"
#include "sysfs_util.h"

#define INSTANCES	XEP_SYSFS "/instances"
#define WATCHES		XEP_SYSFS "/watches"
#define EVENTS		XEP_SYSFS "/events"
#define WAKEUPS		XEP_SYSFS "/wakeups"
#define XEPOLL_STAT	"/bin/xepoll-stat"

static int add(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return xepoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

TEST(files_are_read_only_and_readable)
{
	static const char * const names[] = {
		"instances", "watches", "events", "wakeups", "users",
		"busy_polls",
	};
	char path[128];
	struct stat st;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), XEP_SYSFS "/%s", names[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(0444, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(-EACCES, write_str(path, "0\n")) TH_LOG("%s", path);
	}
}

TEST(instances_count)
{
	long before = read_long(INSTANCES);
	int a, b;

	ASSERT_LE(0, before);
	a = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, a);
	EXPECT_EQ(before + 1, read_long(INSTANCES));
	b = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, b);
	EXPECT_EQ(before + 2, read_long(INSTANCES));
	close(a);
	EXPECT_EQ(before + 1, read_long(INSTANCES));
	close(b);
	EXPECT_EQ(before, read_long(INSTANCES));
}

TEST(watches_and_users_count)
{
	unsigned int uid = getuid(), inst;
	long before = read_long(WATCHES), w;
	int epfd, e1, e2, e3;

	ASSERT_LE(0, before);
	/* No instance of ours yet: no line for us. */
	ASSERT_EQ(0, xep_user_use(uid, &inst, &w));
	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	e3 = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, e1);
	ASSERT_LE(0, e2);
	ASSERT_LE(0, e3);
	ASSERT_EQ(1, xep_user_use(uid, &inst, &w));
	EXPECT_EQ(1, inst);
	EXPECT_EQ(0, w);

	ASSERT_EQ(0, add(epfd, e1, EPOLLIN));
	ASSERT_EQ(0, add(epfd, e2, EPOLLIN));
	ASSERT_EQ(0, add(epfd, e3, EPOLLIN));
	EXPECT_EQ(before + 3, read_long(WATCHES));
	ASSERT_EQ(1, xep_user_use(uid, &inst, &w));
	EXPECT_EQ(3, w);

	/* A refused ADD charges nothing. */
	errno = 0;
	EXPECT_EQ(-1, add(epfd, e1, EPOLLIN));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(3, xep_user_watches(uid));

	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_DEL, e1, NULL));
	EXPECT_EQ(before + 2, read_long(WATCHES));
	EXPECT_EQ(2, xep_user_watches(uid));

	/* Closing a watched file's last descriptor removes its watch. */
	ASSERT_EQ(0, close(e2));
	EXPECT_EQ(before + 1, read_long(WATCHES));
	EXPECT_EQ(1, xep_user_watches(uid));

	close(epfd);
	EXPECT_EQ(before, read_long(WATCHES));
	EXPECT_EQ(0, xep_user_use(uid, &inst, &w));
	close(e1);
	close(e3);
}

TEST(users_line_per_user_after_fork)
{
	unsigned int uid = getuid(), inst;
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e = eventfd(0, EFD_CLOEXEC);
	int go[2], status;
	char c = 0;
	pid_t pid;
	long w;

	ASSERT_LE(0, epfd);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, add(epfd, e, EPOLLIN));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	close(epfd);
	/* The child's copy holds the instance and its charge. */
	ASSERT_EQ(1, xep_user_use(uid, &inst, &w));
	EXPECT_EQ(1, inst);
	EXPECT_EQ(1, w);
	ASSERT_EQ(1, write(go[1], &c, 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, xep_user_use(uid, &inst, &w));
	close(e);
}

TEST(events_count_deliveries)
{
	long before = read_long(EVENTS);
	struct epoll_event evs[4];
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e1, e2;
	uint64_t one = 1;

	ASSERT_LE(0, before);
	ASSERT_LE(0, epfd);
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, add(epfd, e1, EPOLLIN));
	ASSERT_EQ(0, add(epfd, e2, EPOLLIN));
	/* Nothing ready: nothing delivered. */
	EXPECT_EQ(0, xepoll_wait(epfd, evs, 4, 0));
	EXPECT_EQ(before, read_long(EVENTS));
	ASSERT_EQ(sizeof(one), write(e1, &one, sizeof(one)));
	ASSERT_EQ(sizeof(one), write(e2, &one, sizeof(one)));
	EXPECT_EQ(2, xepoll_wait(epfd, evs, 4, 0));
	EXPECT_EQ(before + 2, read_long(EVENTS));
	/* Level-triggered: delivered again, one at a time here. */
	EXPECT_EQ(1, xepoll_wait(epfd, evs, 1, 0));
	EXPECT_EQ(before + 3, read_long(EVENTS));
	/* epoll does not count. */
	close(epfd);
	close(e1);
	close(e2);
}

TEST(wakeups_count_callbacks)
{
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev;
	uint64_t one = 1;
	long before;

	ASSERT_LE(0, epfd);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, add(epfd, e, EPOLLIN));
	before = read_long(WAKEUPS);
	ASSERT_LE(0, before);
	/* One write to a watched eventfd: one callback on its one queue. */
	ASSERT_EQ(sizeof(one), write(e, &one, sizeof(one)));
	EXPECT_EQ(before + 1, read_long(WAKEUPS));
	ASSERT_EQ(sizeof(one), write(e, &one, sizeof(one)));
	EXPECT_EQ(before + 2, read_long(WAKEUPS));
	EXPECT_EQ(1, xepoll_wait(epfd, &ev, 1, 0));
	/* An unwatched file's wake-up is not ours. */
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_DEL, e, NULL));
	before = read_long(WAKEUPS);
	ASSERT_EQ(sizeof(one), write(e, &one, sizeof(one)));
	EXPECT_EQ(before, read_long(WAKEUPS));
	close(epfd);
	close(e);
}

/*
 * More users than one page holds: /sys/kernel/xepoll/users must still end
 * on a whole line, or its last would read as some other user's. The test
 * takes uids of six and ten digits in turn and creates an instance as
 * each, so that it holds one instance of every user.
 */
#define MANY_USERS	320
#define BIG_UID		4000000000U
#define MID_UID		100000U

/* Lines of two lengths, so that a page does not end on one by chance. */
static unsigned int many_uid(int i)
{
	return i % 2 ? BIG_UID + i : MID_UID + i;
}

TEST(users_file_ends_on_a_whole_line)
{
	int fds[MANY_USERS], i, lines = 0;
	char *buf, *p;
	ssize_t len;

	if (geteuid())
		SKIP(return, "taking other uids needs root; the root run covers it");
	/*
	 * The instance is charged to the real uid. Taking each uid with the
	 * saved uid left 0 lets the test come back to root without a fork per
	 * user, which a KASAN guest could not afford within the harness's
	 * timeout.
	 */
	for (i = 0; i < MANY_USERS; i++) {
		int saved;

		ASSERT_EQ(0, setresuid(many_uid(i), many_uid(i), 0));
		fds[i] = xepoll_create1(EPOLL_CLOEXEC);
		saved = errno;
		ASSERT_EQ(0, setresuid(0, 0, 0));
		ASSERT_LE(0, fds[i]) TH_LOG("uid %u: %s", many_uid(i), strerror(saved));
	}

	buf = malloc(2 * 4096);
	ASSERT_NE(NULL, buf);
	len = read_file(XEP_SYSFS "/users", buf, 2 * 4096);
	ASSERT_LT(0, len);
	TH_LOG("users: %zd bytes", len);
	EXPECT_GT(4096, len);
	EXPECT_EQ('\n', buf[len - 1]);
	for (p = buf; *p; lines++) {
		unsigned int uid, inst;
		long w;
		int n = -1;

		if (sscanf(p, "%u %u %ld%n", &uid, &inst, &w, &n) != 3 || p[n] != '\n') {
			EXPECT_TRUE(0) TH_LOG("bad line at byte %td: \"%.40s\"", p - buf, p);
			break;
		}
		if (uid >= MID_UID) {
			EXPECT_EQ(uid, many_uid(uid >= BIG_UID ? uid - BIG_UID : uid - MID_UID));
			EXPECT_EQ(1, inst);
			EXPECT_EQ(0, w);
		}
		p += n + 1;
	}
	/* As many whole lines as fit; at least most of them. */
	EXPECT_LT(200, lines);
	for (i = 0; i < MANY_USERS; i++)
		close(fds[i]);
	free(buf);
}

/* xepoll-stat's table lists the limit, the user and a process's instance. */
TEST(xepoll_stat_shows_limit_user_and_instance)
{
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e1, e2;
	struct passwd *pw = getpwuid(getuid());
	char cmd[128], *out, want[128];
	size_t len = 0;
	long limit;
	FILE *f;

	ASSERT_NE(NULL, pw);
	ASSERT_LE(0, epfd);
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, add(epfd, e1, EPOLLIN));
	ASSERT_EQ(0, add(epfd, e2, EPOLLOUT));
	limit = read_long(XEP_KNOB);
	ASSERT_LE(0, limit);

	ASSERT_EQ(0, access(XEPOLL_STAT, X_OK)) TH_LOG("%s: %s", XEPOLL_STAT, strerror(errno));
	snprintf(cmd, sizeof(cmd), XEPOLL_STAT " %d", getpid());
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	out = calloc(1, 65536);
	ASSERT_NE(NULL, out);
	while (len < 65535) {
		size_t n = fread(out + len, 1, 65535 - len, f);

		if (!n)
			break;
		len += n;
	}
	EXPECT_EQ(0, pclose(f));
	TH_LOG("xepoll-stat's output:\n%s", out);

	snprintf(want, sizeof(want), "watch limit per user");
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), " %ld\n", limit);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no limit %ld", limit);
	/* The user's row: uid, name, one instance, two watches. */
	snprintf(want, sizeof(want), "%-8u %-16s %10u %10ld", getuid(),
		 pw->pw_name, 1, 2L);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no row \"%s\"", want);
	/* The process and its instance with both registrations. */
	snprintf(want, sizeof(want), "process %d\n", getpid());
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), "instance fd %-5d 2 registrations", epfd);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no \"%s\"", want);
	snprintf(want, sizeof(want), "%8d %#10x", e2, EPOLLOUT | EPOLLERR | EPOLLHUP);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no \"%s\"", want);
	free(out);
	close(epfd);
	close(e1);
	close(e2);
}

TEST_HARNESS_MAIN
