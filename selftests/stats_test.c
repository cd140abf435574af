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
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pwd.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "backend.h"
#include "sysfs_util.h"

#define INSTANCES	XEP_SYSFS "/instances"
#define WATCHES		XEP_SYSFS "/watches"
#define EVENTS		XEP_SYSFS "/events"
#define WAKEUPS		XEP_SYSFS "/wakeups"
#define RING_CELLS	XEP_SYSFS "/ring_cells"
#define RING_OVERFLOWS	XEP_SYSFS "/ring_overflows"
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
		"busy_polls", "releases", "pinned", "ring_cells",
		"ring_overflows",
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
 * A ring of two cells and three edge-triggered eventfds: the first two
 * events fill the cells, the third finds none and goes to the ready list.
 * An edge of a registration whose cell is unconsumed coalesces into it,
 * and one of a registration already on the ready list goes nowhere new:
 * neither counts.
 */
TEST(ring_cells_and_overflows_count)
{
	struct xepoll_ring_setup s = { .entries = 2 };
	long cells, overflows;
	struct epoll_event evs[4];
	int epfd, e[3], i;
	uint64_t one = 1;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s))
		TH_LOG("ring setup: %s", strerror(errno));
	ASSERT_EQ(2, s.entries);
	for (i = 0; i < 3; i++) {
		e[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, e[i]);
		ASSERT_EQ(0, add(epfd, e[i], EPOLLIN | EPOLLET));
	}
	cells = read_long(RING_CELLS);
	overflows = read_long(RING_OVERFLOWS);
	ASSERT_LE(0, cells);
	ASSERT_LE(0, overflows);

	for (i = 0; i < 3; i++)
		ASSERT_EQ(sizeof(one), write(e[i], &one, sizeof(one)));
	EXPECT_EQ(cells + 2, read_long(RING_CELLS));
	EXPECT_EQ(overflows + 1, read_long(RING_OVERFLOWS));

	/* Coalesced into its cell; already on the ready list: no count. */
	ASSERT_EQ(sizeof(one), write(e[0], &one, sizeof(one)));
	ASSERT_EQ(sizeof(one), write(e[2], &one, sizeof(one)));
	EXPECT_EQ(cells + 2, read_long(RING_CELLS));
	EXPECT_EQ(overflows + 1, read_long(RING_OVERFLOWS));

	/* All three reported, once each: the wait reaps the ring too. */
	EXPECT_EQ(3, xepoll_wait(epfd, evs, 4, 0));
	EXPECT_EQ(0, xepoll_wait(epfd, evs, 4, 0));
	/* The cells are free again: a new edge takes one. */
	ASSERT_EQ(sizeof(one), write(e[1], &one, sizeof(one)));
	EXPECT_EQ(cells + 3, read_long(RING_CELLS));
	EXPECT_EQ(overflows + 1, read_long(RING_OVERFLOWS));
	EXPECT_EQ(1, xepoll_wait(epfd, evs, 4, 0));

	/* Level-triggered registrations do not use the ring. */
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_DEL, e[0], NULL));
	ASSERT_EQ(0, add(epfd, e[0], EPOLLIN));
	EXPECT_EQ(cells + 3, read_long(RING_CELLS));
	EXPECT_EQ(overflows + 1, read_long(RING_OVERFLOWS));
	for (i = 0; i < 3; i++)
		close(e[i]);
	close(epfd);
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

/*
 * Who sees which lines of /sys/kernel/xepoll/users: an opener with
 * CAP_SYS_ADMIN sees every user's, any other opener only its own (its real
 * uid's, which its instances are charged to), as quotactl() shows another
 * user's usage only with CAP_SYS_ADMIN. The opener's credentials count, not
 * the reader's, as for /proc/kallsyms. Another user's instance needs root:
 * the root run forks the unprivileged readers; the nobody run skips.
 */
#define OTHER_UID	4242

/* The whole of @fd from offset 0 into @buf (NUL-terminated); bytes, or -errno. */
static ssize_t pread_all(int fd, char *buf, size_t size)
{
	ssize_t len, n;

	for (len = 0; len < (ssize_t)size - 1; len += n) {
		n = pread(fd, buf + len, size - 1 - len, len);
		if (n < 0)
			return -errno;
		if (!n)
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Whether @buf, the text of the users file, has a line for @uid. */
static int users_has(const char *buf, unsigned int uid)
{
	const char *p = buf;
	unsigned int u;

	for (; *p; p = strchr(p, '\n') + 1) {
		if (sscanf(p, "%u ", &u) == 1 && u == uid)
			return 1;
		if (!strchr(p, '\n'))
			break;
	}
	return 0;
}

static int users_lines(const char *buf)
{
	int n = 0;

	for (; *buf; buf++)
		n += *buf == '\n';
	return n;
}

/* Create an instance charged to @uid, coming back to root; -1 on failure. */
static int instance_as(unsigned int uid)
{
	int fd, saved;

	if (setresuid(uid, uid, 0))
		return -1;
	fd = xepoll_create1(EPOLL_CLOEXEC);
	saved = errno;
	if (setresuid(0, 0, 0))
		return -1;
	errno = saved;
	return fd;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY_UID) || setuid(NOBODY_UID))
		return -1;
	return geteuid() == NOBODY_UID ? 0 : -1;
}

/* Clear CAP_SYS_ADMIN from the effective set, staying uid 0. */
static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * What a child that ran @prepare (with @fd, -1 for none) sees: it reads
 * the users file through @fd, or else opens it itself, holding an instance
 * of its own meanwhile if @own_instance; its text is copied into @view.
 * The parent reads @parent_view, as root, while the child still holds its
 * instance. 0, or -1 if the child could not get there.
 */
static int child_view(int (*prepare)(void), int fd, int own_instance,
		      char *view, size_t size, char *parent_view)
{
	int to_parent[2], to_child[2], status;
	ssize_t len = 0, n;
	char c = 0;
	pid_t pid;

	if (pipe2(to_parent, O_CLOEXEC) || pipe2(to_child, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char buf[4096];
		int ep = -1, ufd = fd;

		close(to_parent[0]);
		close(to_child[1]);
		if (prepare())
			_exit(2);
		if (own_instance) {
			ep = xepoll_create1(EPOLL_CLOEXEC);
			if (ep < 0)
				_exit(3);
		}
		if (ufd < 0)
			ufd = open(XEP_SYSFS "/users", O_RDONLY | O_CLOEXEC);
		if (ufd < 0 || pread_all(ufd, buf, sizeof(buf)) < 0)
			_exit(4);
		if (write(to_parent[1], buf, strlen(buf)) != (ssize_t)strlen(buf))
			_exit(5);
		close(to_parent[1]);
		/* Hold the instance until the parent has looked. */
		if (read(to_child[0], &c, 1) < 0)
			_exit(6);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	while (len < (ssize_t)size - 1 &&
	       (n = read(to_parent[0], view + len, size - 1 - len)) > 0)
		len += n;
	view[len] = '\0';
	close(to_parent[0]);
	if (parent_view && read_file(XEP_SYSFS "/users", parent_view, 4096) < 0)
		parent_view[0] = '\0';
	close(to_child[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return 0;
}

TEST(users_unprivileged_reader_sees_its_own_line_only)
{
	char view[4096], root_view[4096];
	int mine, other;

	if (geteuid())
		SKIP(return, "another user's instance needs root; the root run forks a nobody reader");
	mine = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, mine);
	other = instance_as(OTHER_UID);
	ASSERT_LE(0, other) TH_LOG("an instance as uid %u: %s", OTHER_UID, strerror(errno));

	ASSERT_EQ(0, child_view(drop_to_nobody, -1, 1, view, sizeof(view), root_view));
	TH_LOG("nobody reads:\n%s", view);
	TH_LOG("root reads meanwhile:\n%s", root_view);
	/* nobody: its own line, that of its one instance, and nothing else. */
	EXPECT_EQ(1, users_lines(view));
	EXPECT_TRUE(users_has(view, NOBODY_UID));
	EXPECT_NE(NULL, strstr(view, "65534 1 0\n"));
	EXPECT_FALSE(users_has(view, 0));
	EXPECT_FALSE(users_has(view, OTHER_UID));
	/* root: every user's. */
	EXPECT_TRUE(users_has(root_view, 0));
	EXPECT_TRUE(users_has(root_view, OTHER_UID));
	EXPECT_TRUE(users_has(root_view, NOBODY_UID));

	/* An unprivileged user with no instance sees nothing at all. */
	ASSERT_EQ(0, child_view(drop_to_nobody, -1, 0, view, sizeof(view), NULL));
	EXPECT_STREQ("", view);
	close(mine);
	close(other);
}

/* It is CAP_SYS_ADMIN that shows every line, not uid 0. */
TEST(users_root_without_cap_sys_admin_sees_its_own_line_only)
{
	char view[4096];
	int mine, other;

	if (geteuid())
		SKIP(return, "dropping CAP_SYS_ADMIN as uid 0 needs root");
	mine = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, mine);
	other = instance_as(OTHER_UID);
	ASSERT_LE(0, other);

	ASSERT_EQ(0, child_view(drop_cap_sys_admin, -1, 0, view, sizeof(view), NULL));
	TH_LOG("uid 0 without CAP_SYS_ADMIN reads:\n%s", view);
	EXPECT_EQ(1, users_lines(view));
	EXPECT_TRUE(users_has(view, 0));
	EXPECT_FALSE(users_has(view, OTHER_UID));
	close(mine);
	close(other);
}

/*
 * The opener's credentials decide, whoever reads: a descriptor nobody
 * opened shows root only nobody's line, and one root opened and handed to
 * nobody shows it every line, as a descriptor of /proc/kallsyms does.
 */
TEST(users_shows_what_its_opener_may_see)
{
	char buf[4096], view[4096];
	int mine, other, fd, saved;

	if (geteuid())
		SKIP(return, "another user's instance needs root; the root run covers it");
	mine = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, mine);

	/* Opened as nobody, with an instance of nobody's, read as root. */
	ASSERT_EQ(0, setresuid(NOBODY_UID, NOBODY_UID, 0));
	other = xepoll_create1(EPOLL_CLOEXEC);
	fd = open(XEP_SYSFS "/users", O_RDONLY | O_CLOEXEC);
	saved = errno;
	ASSERT_EQ(0, setresuid(0, 0, 0));
	ASSERT_LE(0, other);
	ASSERT_LE(0, fd) TH_LOG("open as nobody: %s", strerror(saved));
	ASSERT_LE(0, pread_all(fd, buf, sizeof(buf)));
	TH_LOG("opened by nobody, read by root:\n%s", buf);
	EXPECT_EQ(1, users_lines(buf));
	EXPECT_TRUE(users_has(buf, NOBODY_UID));
	EXPECT_FALSE(users_has(buf, 0));
	close(fd);

	/* Opened as root, read by a child that dropped to nobody. */
	fd = open(XEP_SYSFS "/users", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, child_view(drop_to_nobody, fd, 0, view, sizeof(view), NULL));
	TH_LOG("opened by root, read by nobody:\n%s", view);
	EXPECT_TRUE(users_has(view, 0));
	EXPECT_TRUE(users_has(view, NOBODY_UID));
	close(fd);
	close(mine);
	close(other);
}

/*
 * What "xepoll-stat <this process>" prints, NUL-terminated, in a buffer
 * to free(); NULL if it could not be run or did not exit with 0.
 */
static char *xepoll_stat_of_self(void)
{
	char cmd[128], *out;
	size_t len = 0, n;
	FILE *f;

	if (access(XEPOLL_STAT, X_OK))
		return NULL;
	snprintf(cmd, sizeof(cmd), XEPOLL_STAT " %d", getpid());
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	out = calloc(1, 65536);
	while (out && len < 65535 && (n = fread(out + len, 1, 65535 - len, f)))
		len += n;
	if (pclose(f) && out) {
		free(out);
		out = NULL;
	}
	return out;
}

/* xepoll-stat's table lists the limit, the user and a process's instance. */
TEST(xepoll_stat_shows_limit_user_and_instance)
{
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e1, e2;
	struct passwd *pw = getpwuid(getuid());
	char *out, want[128];
	long limit;

	ASSERT_NE(NULL, pw);
	ASSERT_LE(0, epfd);
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, add(epfd, e1, EPOLLIN));
	ASSERT_EQ(0, add(epfd, e2, EPOLLOUT));
	limit = read_long(XEP_KNOB);
	ASSERT_LE(0, limit);

	out = xepoll_stat_of_self();
	ASSERT_NE(NULL, out) TH_LOG("%s did not run: %s", XEPOLL_STAT, strerror(errno));
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
	/* Without a ring, no ring line. */
	EXPECT_EQ(NULL, strstr(out, "ring of"));
	/* The ring counters are there, whatever they say. */
	EXPECT_NE(NULL, strstr(out, "ring cells filled since load"));
	EXPECT_NE(NULL, strstr(out, "ring overflows since load"));
	free(out);
	close(epfd);
	close(e1);
	close(e2);
}

/* xepoll-stat shows an instance's ring, and how many cells it filled. */
TEST(xepoll_stat_shows_the_ring)
{
	struct xepoll_ring_setup s = { .entries = 8 };
	int epfd = xepoll_create1(EPOLL_CLOEXEC), e;
	char *out, want[128];
	uint64_t one = 1;

	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, add(epfd, e, EPOLLIN | EPOLLET));
	ASSERT_EQ(sizeof(one), write(e, &one, sizeof(one)));

	out = xepoll_stat_of_self();
	ASSERT_NE(NULL, out) TH_LOG("%s did not run: %s", XEPOLL_STAT, strerror(errno));
	TH_LOG("xepoll-stat's output:\n%s", out);
	snprintf(want, sizeof(want), "instance fd %-5d 1 registration\n"
		 "    ring of 8 entries, 1 cell filled\n", epfd);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no \"%s\"", want);
	free(out);
	close(e);
	close(epfd);
}

TEST_HARNESS_MAIN
