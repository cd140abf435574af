// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user watch limit: /sys/kernel/xepoll/max_user_watches against
 * epoll's /proc/sys/fs/epoll/max_user_watches.
 *
 * The `limit` cases run on both backends: each sets its backend's limit
 * low, then proves when an ADD fails with ENOSPC and when charges come
 * back, by counting how many ADDs a fresh instance still gets (a probe that
 * reads the same on epoll, whose counts are not visible otherwise). They
 * need root to set the limit; the root run also forks children that drop to
 * nobody (uid 65534), so the unprivileged side is covered there. The knob
 * cases check the sysfs file itself, as root and as nobody.
 *
 * main() saves both limits before any case and restores them after the
 * last, and every `limit` case restores them in its teardown, so the
 * tests that run later in tests.list see the defaults.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "backend.h"
#include "sysfs_util.h"

/*
 * The most one watch allocates (admin-guide.rst): its struct xep_item, and
 * for the first watch of a file and of an inode, the struct xep_file, the
 * struct xep_mark and fsnotify's connector: 384 bytes on Debian's 6.1,
 * 376 on its 6.12. Other builds (the debug kernel's lockdep and KASAN
 * grow the locks inside) have their own sizes.
 */
#define XEP_WATCH_COST_61	384
#define XEP_WATCH_COST_612	376

#define L		8	/* the limit the `limit` cases set */
#define PROBE_MAX	64

static long saved_xep = -1, saved_ep = -1;

static void restore_limits(void)
{
	if (geteuid())
		return;
	if (saved_xep >= 0 && read_long(XEP_KNOB) != saved_xep)
		write_long(XEP_KNOB, saved_xep);
	if (saved_ep >= 0 && read_long(EP_KNOB) != saved_ep)
		write_long(EP_KNOB, saved_ep);
}

static const char *knob_of(const struct backend *be)
{
	return be == &backend_xepoll ? XEP_KNOB : EP_KNOB;
}

static int add(const struct backend *be, int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return be->ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int del(const struct backend *be, int epfd, int fd)
{
	return be->ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/*
 * ADD fresh eventfds to @epfd until one fails or @max succeeded; their
 * descriptors go to @fds. Returns the number added; *err is the failing
 * ADD's errno, or 0.
 */
static int fill(const struct backend *be, int epfd, int *fds, int max, int *err)
{
	int n;

	*err = 0;
	for (n = 0; n < max; n++) {
		fds[n] = eventfd(0, EFD_CLOEXEC);
		if (fds[n] < 0) {
			*err = -errno;
			return n;
		}
		if (add(be, epfd, fds[n])) {
			*err = errno;
			close(fds[n]);
			return n;
		}
	}
	return n;
}

static void close_all(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

/*
 * How many watches the caller's user may still add: fill a fresh instance
 * until ENOSPC, then let it all go. -1 if anything but ENOSPC stopped it.
 */
static int probe_free(const struct backend *be)
{
	int fds[PROBE_MAX], n, err;
	int epfd = be->create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return -1;
	n = fill(be, epfd, fds, PROBE_MAX, &err);
	close(epfd);
	close_all(fds, n);
	return err == ENOSPC ? n : -1;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY_UID) || setuid(NOBODY_UID))
		return -1;
	return geteuid() == NOBODY_UID ? 0 : -1;
}

/*
 * Run @fn in a child that has dropped to nobody; its result (0..254) or
 * 255 on any failure to get there.
 */
static int as_nobody(int (*fn)(const struct backend *be, int arg),
		     const struct backend *be, int arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 255;
	if (!pid) {
		int ret;

		if (drop_to_nobody())
			_exit(255);
		ret = fn(be, arg);
		_exit(ret < 0 || ret > 254 ? 255 : ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

static int nobody_probe(const struct backend *be, int arg)
{
	(void)arg;
	return probe_free(be);
}

/*
 * Descriptors a parent opened before forking a child that watches them: the
 * files outlive the child, so its watches stay (epoll would drop a watch
 * whose file the child's exit released).
 */
static int inherited_fds[PROBE_MAX];

/* ADD inherited_fds to the inherited instance @epfd until ENOSPC. */
static int nobody_fill_inherited(const struct backend *be, int epfd)
{
	int n;

	for (n = 0; n < PROBE_MAX; n++)
		if (add(be, epfd, inherited_fds[n]))
			return errno == ENOSPC ? n : -1;
	return -1;
}

FIXTURE(limit) {
	int epfd;
	int fds[PROBE_MAX];
	int n;
};
FIXTURE_VARIANT(limit) { const struct backend *be; };
BACKEND_VARIANTS(limit);

FIXTURE_SETUP(limit)
{
	self->epfd = -1;
	self->n = 0;
	if (geteuid())
		SKIP(return, "setting %s needs root; the root run covers it",
		     knob_of(variant->be));
	ASSERT_EQ(0, write_long(knob_of(variant->be), L));
	ASSERT_EQ(L, read_long(knob_of(variant->be)));
	/* Nothing else of root's is charged: the whole limit is free. */
	ASSERT_EQ(L, probe_free(variant->be));
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
}

FIXTURE_TEARDOWN(limit)
{
	if (self->epfd >= 0)
		close(self->epfd);
	close_all(self->fds, self->n);
	restore_limits();
}

TEST_F(limit, enospc_at_limit_binds_root)
{
	const struct backend *be = variant->be;
	int err;

	self->n = fill(be, self->epfd, self->fds, PROBE_MAX, &err);
	EXPECT_EQ(L, self->n);
	EXPECT_EQ(ENOSPC, err);
	/* And stays refused. */
	self->fds[self->n] = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->fds[self->n]);
	errno = 0;
	EXPECT_EQ(-1, add(be, self->epfd, self->fds[self->n]));
	EXPECT_EQ(ENOSPC, errno);
	/* One DEL makes room for one ADD. */
	EXPECT_EQ(0, del(be, self->epfd, self->fds[0]));
	EXPECT_EQ(0, add(be, self->epfd, self->fds[self->n]));
	self->n++;
	errno = 0;
	EXPECT_EQ(-1, add(be, self->epfd, self->fds[0]));
	EXPECT_EQ(ENOSPC, errno);
}

/* A batch of ADDs is charged entry by entry, as the same ADDs one by one. */
TEST_F(limit, batched_adds_charged_each)
{
	const struct backend *be = variant->be;
	struct xepoll_change c[L + 3];
	int i;

	for (i = 0; i < L + 3; i++) {
		self->fds[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, self->fds[i]);
		self->n = i + 1;
		xepoll_change_set(&c[i], EPOLL_CTL_ADD, self->fds[i], EPOLLIN, i);
	}
	/* Room comes back in the middle of the batch: the DEL frees one. */
	xepoll_change_set(&c[L + 1], EPOLL_CTL_DEL, self->fds[0], 0, 0);
	EXPECT_EQ(L + 3, be->ctl_batch(self->epfd, c, L + 3, 0));
	for (i = 0; i < L; i++)
		EXPECT_EQ(0, c[i].result) TH_LOG("entry %d", i);
	EXPECT_EQ(-ENOSPC, c[L].result);
	EXPECT_EQ(0, c[L + 1].result);
	EXPECT_EQ(0, c[L + 2].result);
	EXPECT_EQ(0, probe_free(be));
}

TEST_F(limit, zero_refuses_every_add)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_long(knob_of(variant->be), 0));
	errno = 0;
	EXPECT_EQ(-1, add(variant->be, self->epfd, fd));
	EXPECT_EQ(ENOSPC, errno);
	close(fd);
}

TEST_F(limit, binds_unprivileged_user)
{
	EXPECT_EQ(L, as_nobody(nobody_probe, variant->be, 0));
}

TEST_F(limit, per_user_across_instances)
{
	const struct backend *be = variant->be;
	int epfd2 = be->create1(EPOLL_CLOEXEC), i, fd;

	ASSERT_LE(0, epfd2);
	for (i = 0; i < L; i++) {
		fd = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, fd);
		self->fds[self->n++] = fd;
		EXPECT_EQ(0, add(be, i % 2 ? epfd2 : self->epfd, fd));
	}
	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fd);
	self->fds[self->n++] = fd;
	errno = 0;
	EXPECT_EQ(-1, add(be, self->epfd, fd));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, add(be, epfd2, fd));
	EXPECT_EQ(ENOSPC, errno);
	/* A third instance is no way around it either. */
	EXPECT_EQ(0, probe_free(be));
	/* The second instance's charges go with it. */
	close(epfd2);
	EXPECT_EQ(L / 2, probe_free(be));
}

TEST_F(limit, users_counted_separately)
{
	const struct backend *be = variant->be;
	int err;

	self->n = fill(be, self->epfd, self->fds, PROBE_MAX, &err);
	ASSERT_EQ(L, self->n);
	/* Root is full; nobody still has the whole limit. */
	EXPECT_EQ(L, as_nobody(nobody_probe, be, 0));
	EXPECT_EQ(0, probe_free(be));
}

TEST_F(limit, charged_to_instance_owner)
{
	const struct backend *be = variant->be;

	for (self->n = 0; self->n < PROBE_MAX; self->n++) {
		inherited_fds[self->n] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, inherited_fds[self->n]);
		self->fds[self->n] = inherited_fds[self->n];
	}
	/*
	 * nobody adds to root's instance (inherited across fork): the
	 * watches are root's, so nobody gets exactly root's limit there...
	 */
	EXPECT_EQ(L, as_nobody(nobody_fill_inherited, be, self->epfd));
	/* ...root has none left, while nobody's own quota is untouched. */
	EXPECT_EQ(0, probe_free(be));
	EXPECT_EQ(L, as_nobody(nobody_probe, be, 0));
	close(self->epfd);
	self->epfd = -1;
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, lowering_below_use_removes_nothing)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[PROBE_MAX];
	uint64_t one = 1;
	int i, fd, err;

	self->n = fill(be, self->epfd, self->fds, 6, &err);
	ASSERT_EQ(6, self->n);
	ASSERT_EQ(0, write_long(knob_of(be), 4));

	/* All six still report. */
	for (i = 0; i < self->n; i++)
		ASSERT_EQ(sizeof(one), write(self->fds[i], &one, sizeof(one)));
	EXPECT_EQ(6, be->wait(self->epfd, evs, PROBE_MAX, 0));

	fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fd);
	self->fds[self->n++] = fd;
	errno = 0;
	EXPECT_EQ(-1, add(be, self->epfd, fd));
	EXPECT_EQ(ENOSPC, errno);

	/* Down to three in use: one more fits, then no more. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, del(be, self->epfd, self->fds[i]));
	EXPECT_EQ(0, add(be, self->epfd, fd));
	errno = 0;
	EXPECT_EQ(-1, add(be, self->epfd, self->fds[0]));
	EXPECT_EQ(ENOSPC, errno);
}

TEST_F(limit, returned_after_del)
{
	const struct backend *be = variant->be;
	int i, err;

	self->n = fill(be, self->epfd, self->fds, L, &err);
	ASSERT_EQ(L, self->n);
	EXPECT_EQ(0, probe_free(be));
	for (i = 0; i < L; i++)
		EXPECT_EQ(0, del(be, self->epfd, self->fds[i]));
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, returned_after_closing_watched_files)
{
	const struct backend *be = variant->be;
	int i, err;

	self->n = fill(be, self->epfd, self->fds, L, &err);
	ASSERT_EQ(L, self->n);
	EXPECT_EQ(0, probe_free(be));
	for (i = 0; i < L; i++)
		EXPECT_EQ(0, close(self->fds[i]));
	self->n = 0;
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, returned_after_instance_close)
{
	const struct backend *be = variant->be;
	int err;

	self->n = fill(be, self->epfd, self->fds, L, &err);
	ASSERT_EQ(L, self->n);
	EXPECT_EQ(0, probe_free(be));
	close(self->epfd);
	self->epfd = -1;
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, returned_after_dup_then_close)
{
	const struct backend *be = variant->be;
	int err, dupfd;

	self->n = fill(be, self->epfd, self->fds, L, &err);
	ASSERT_EQ(L, self->n);
	dupfd = dup(self->epfd);
	ASSERT_LE(0, dupfd);
	close(self->epfd);
	self->epfd = -1;
	/* The duplicate keeps the instance, and its charges. */
	EXPECT_EQ(0, probe_free(be));
	close(dupfd);
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, watched_dup_then_close)
{
	const struct backend *be = variant->be;
	int err, dupfd;

	self->n = fill(be, self->epfd, self->fds, 1, &err);
	ASSERT_EQ(1, self->n);
	dupfd = dup(self->fds[0]);
	ASSERT_LE(0, dupfd);
	/* The file lives on in the duplicate: so does its watch. */
	EXPECT_EQ(0, close(self->fds[0]));
	self->n = 0;
	EXPECT_EQ(L - 1, probe_free(be));
	EXPECT_EQ(0, close(dupfd));
	EXPECT_EQ(L, probe_free(be));
}

TEST_F(limit, returned_after_fork)
{
	const struct backend *be = variant->be;
	int err, go[2], status;
	char c = 0;
	pid_t pid;

	self->n = fill(be, self->epfd, self->fds, L, &err);
	ASSERT_EQ(L, self->n);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Hold the inherited instance until told to go. */
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	close(self->epfd);
	self->epfd = -1;
	/* The child's copy keeps the instance and its charges. */
	EXPECT_EQ(0, probe_free(be));
	ASSERT_EQ(1, write(go[1], &c, 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(L, probe_free(be));
}

/*
 * A descriptor root opened for writing, used after dropping to nobody:
 * epoll's sysctl checks the writer at the write (EPERM); so does xepoll.
 */
FIXTURE(knob) { long before; };
FIXTURE_VARIANT(knob) { const struct backend *be; };
BACKEND_VARIANTS(knob);

FIXTURE_SETUP(knob)
{
	self->before = read_long(knob_of(variant->be));
	ASSERT_LE(0, self->before);
}

FIXTURE_TEARDOWN(knob)
{
	restore_limits();
}

static int knob_fd = -1;

static int nobody_write_open_knob(const struct backend *be, int arg)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", arg);

	(void)be;
	if (write(knob_fd, buf, len) >= 0)
		return 1;
	return errno == EPERM ? 0 : 2;
}

TEST_F(knob, write_checks_writer_not_opener)
{
	if (geteuid())
		SKIP(return, "opening %s for writing needs root; the root run covers it",
		     knob_of(variant->be));
	knob_fd = open(knob_of(variant->be), O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, knob_fd);
	EXPECT_EQ(0, as_nobody(nobody_write_open_knob, variant->be,
			       (int)(self->before / 2 + 1)));
	close(knob_fd);
	EXPECT_EQ(self->before, read_long(knob_of(variant->be)));
}

/* The knob itself (xepoll's sysfs file). */

TEST(knob_readable_by_all_writable_by_root)
{
	struct stat st;

	ASSERT_EQ(0, stat(XEP_KNOB, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_LE(0, read_long(XEP_KNOB));
}

static int nobody_write_knob(const struct backend *be, int arg)
{
	int ret = write_long(XEP_KNOB, arg);

	(void)be;
	return ret == -EACCES || ret == -EPERM ? 0 : 1;
}

TEST(unprivileged_write_refused)
{
	long before = read_long(XEP_KNOB);
	int ret;

	ASSERT_LE(0, before);
	if (geteuid()) {
		ret = write_long(XEP_KNOB, before + 1);
		EXPECT_TRUE(ret == -EACCES || ret == -EPERM)
			TH_LOG("write as uid %u: %s", geteuid(), strerror(-ret));
	} else {
		EXPECT_EQ(0, as_nobody(nobody_write_knob, NULL, (int)(before / 2 + 1)));
	}
	EXPECT_EQ(before, read_long(XEP_KNOB));
}

TEST(root_changes_knob)
{
	long before = read_long(XEP_KNOB);

	if (geteuid())
		SKIP(return, "writing %s needs root; the root run covers it", XEP_KNOB);
	ASSERT_LE(0, before);
	EXPECT_EQ(0, write_str(XEP_KNOB, "12345\n"));
	EXPECT_EQ(12345, read_long(XEP_KNOB));
	EXPECT_EQ(0, write_str(XEP_KNOB, "54321"));
	EXPECT_EQ(54321, read_long(XEP_KNOB));
	/* The module parameter is the same value. */
	EXPECT_EQ(54321, read_long("/sys/module/xepoll/parameters/max_user_watches"));
	EXPECT_EQ(0, write_str(XEP_KNOB, "9223372036854775807"));
	EXPECT_EQ(0x7fffffffffffffffL, read_long(XEP_KNOB));
	EXPECT_EQ(0, write_long(XEP_KNOB, before));
	EXPECT_EQ(before, read_long(XEP_KNOB));
}

TEST(malformed_writes_refused)
{
	static const char * const bad[] = {
		"\n", "abc", "-1", "-9223372036854775808", "12abc", "1.5",
		"0x10", " 5", "1 2", "9223372036854775808",
		"99999999999999999999999", "5\n6",
	};
	long before = read_long(XEP_KNOB);
	unsigned int i;

	if (geteuid())
		SKIP(return, "writing %s needs root; the root run covers it", XEP_KNOB);
	ASSERT_LE(0, before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, write_str(XEP_KNOB, bad[i]))
			TH_LOG("write of \"%s\" was not refused with EINVAL", bad[i]);
		EXPECT_EQ(before, read_long(XEP_KNOB))
			TH_LOG("write of \"%s\" changed the limit", bad[i]);
	}
	restore_limits();
}

/*
 * The module parameter, by reloading the module in the guest (nothing else
 * holds it while this program runs): max_user_watches=N sets the limit, a
 * negative value or none gives the default. The module is loaded again,
 * without parameters, whatever happens.
 */
#define GUEST_KO	"/lib/xepoll/xepoll.ko"
#define PARAM		"/sys/module/xepoll/parameters/max_user_watches"

static int reload(const char *params)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rmmod xepoll && insmod " GUEST_KO " %s",
		 params);
	return system(cmd);
}

TEST(module_parameter_sets_limit_at_load)
{
	long with_param, negative, plain;

	if (geteuid())
		SKIP(return, "reloading the module needs root; the root run covers it");
	if (access(GUEST_KO, R_OK))
		SKIP(return, "no %s: not in the test guest", GUEST_KO);

	with_param = reload("max_user_watches=1234") ? -2 : read_long(XEP_KNOB);
	negative = reload("max_user_watches=-1") ? -2 : read_long(XEP_KNOB);
	plain = reload("") ? -2 : read_long(XEP_KNOB);
	if (access(XEP_KNOB, F_OK))
		system("insmod " GUEST_KO);

	EXPECT_EQ(1234, with_param);
	EXPECT_EQ(saved_xep, negative);
	EXPECT_EQ(saved_xep, plain);
	EXPECT_EQ(saved_xep, read_long(PARAM));
}

/* The documented cost of a watch on this kernel, or 0 if none is. */
static long watch_cost(void)
{
	struct utsname u;
	size_t len;

	if (uname(&u))
		return 0;
	len = strlen(u.release);
	/* Debian's stock builds: "6.1.0-57-amd64", "6.12.117+deb12-amd64". */
	if (len < 6 || strcmp(u.release + len - 6, "-amd64"))
		return 0;
	if (!strncmp(u.release, "6.1.", 4))
		return XEP_WATCH_COST_61;
	if (!strncmp(u.release, "6.12.", 5))
		return XEP_WATCH_COST_612;
	return 0;
}

/*
 * The value the module computed at load, and epoll's at boot. On a kernel
 * whose cost of a watch is not documented, the cost the default implies
 * must at least be the smallest documented one.
 */
TEST(default_is_epolls_formula)
{
	char buf[4096], *p;
	unsigned long long kb, pages, budget;
	long expect, cost = watch_cost();

	ASSERT_LT(0, read_file("/proc/meminfo", buf, sizeof(buf)));
	p = strstr(buf, "MemTotal:");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(1, sscanf(p, "MemTotal: %llu kB", &kb));
	pages = kb / (sysconf(_SC_PAGESIZE) / 1024);
	budget = (pages / 25) * sysconf(_SC_PAGESIZE);
	ASSERT_LT(0, saved_xep);
	if (!cost) {
		TH_LOG("MemTotal %llu kB: xepoll's default %ld implies %llu bytes a watch on this build; epoll's %ld",
		       kb, saved_xep, budget / saved_xep, saved_ep);
		EXPECT_LE(XEP_WATCH_COST_612, (long)(budget / saved_xep));
		return;
	}
	expect = (long)(budget / cost);
	TH_LOG("MemTotal %llu kB: xepoll's default %ld (expected %ld, %ld bytes a watch), epoll's %ld",
	       kb, saved_xep, expect, cost, saved_ep);
	EXPECT_EQ(expect, saved_xep);
}

int main(int argc, char **argv)
{
	int ret;

	saved_xep = read_long(XEP_KNOB);
	saved_ep = read_long(EP_KNOB);
	ret = test_harness_run(argc, argv);
	restore_limits();
	return ret;
}
