// SPDX-License-Identifier: GPL-2.0
/*
 * EPOLLWAKEUP: a registration that asks for it, made by a task with
 * CAP_BLOCK_SUSPEND on a kernel with CONFIG_PM_SLEEP, gets a wakeup source
 * of its own, and its instance one for the whole instance; the item's is
 * active from the arrival of an event until a wait takes the event (and,
 * level-triggered, until the wait after that finds it gone), the
 * instance's while that wait processes it. MOD adds and removes the item's
 * source, DEL and the file's last close destroy it, the instance's release
 * destroys the instance's. Without the capability the flag is silently
 * dropped (fdinfo shows it gone) and no source is made. epoll(7),
 * epoll_ctl(2).
 *
 * Every case runs against native epoll and against xepoll (backend.h).
 * The sources are seen through /sys/class/wakeup/wakeupN (one directory a
 * source, readable by anyone) and /sys/kernel/debug/wakeup_sources (root).
 * Their names are the one thing xepoll does differently, on purpose: epoll
 * names an instance's source "eventpoll" and an item's after its file's
 * dentry ("[eventfd]"); xepoll says "xepoll" and "xepoll:[eventfd]", so
 * that an administrator can tell who holds off a suspend.
 *
 * tests.list runs this file as root and as an unprivileged user; the cases
 * that need CAP_BLOCK_SUSPEND skip in the unprivileged run, and the
 * unprivileged case drops the capability when run as root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"

#define WS_CLASS	"/sys/class/wakeup"
#define WS_DEBUGFS	"/sys/kernel/debug/wakeup_sources"
#define WS_MAX		1024

/* The wakeup sources that exist now, by the N of /sys/class/wakeup/wakeupN. */
struct ws_set {
	int n;
	int id[WS_MAX];
};

static int ws_snapshot(struct ws_set *s)
{
	struct dirent *de;
	DIR *d = opendir(WS_CLASS);
	int id;

	s->n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "wakeup%d", &id) == 1 && s->n < WS_MAX)
			s->id[s->n++] = id;
	closedir(d);
	return 0;
}

static bool ws_in(const struct ws_set *s, int id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return true;
	return false;
}

/* Reads /sys/class/wakeup/wakeup@id/@attr into @buf; -1 if it is gone. */
static int ws_read(int id, const char *attr, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), WS_CLASS "/wakeup%d/%s", id, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long ws_attr(int id, const char *attr)
{
	char buf[64];

	return ws_read(id, attr, buf, sizeof(buf)) ? -1 : atol(buf);
}

/* Whether source @id still exists and is still called @name. */
static bool ws_alive(int id, const char *name)
{
	char buf[256];

	return !ws_read(id, "name", buf, sizeof(buf)) && !strcmp(buf, name);
}

/*
 * The sources made since @before whose name is @name: how many, and the
 * id of the last one found in @id.
 */
static int ws_new_named(const struct ws_set *before, const char *name, int *id)
{
	struct ws_set now;
	int i, found = 0;

	if (ws_snapshot(&now))
		return -1;
	for (i = 0; i < now.n; i++) {
		if (ws_in(before, now.id[i]) || !ws_alive(now.id[i], name))
			continue;
		found++;
		if (id)
			*id = now.id[i];
	}
	return found;
}

/* All sources made since @before, whatever their names. */
static int ws_new_any(const struct ws_set *before)
{
	struct ws_set now;
	int i, found = 0;

	if (ws_snapshot(&now))
		return -1;
	for (i = 0; i < now.n; i++)
		found += !ws_in(before, now.id[i]);
	return found;
}

/*
 * debugfs's table: how many sources are called @name, and how many of
 * those are active (active_since, in ms, above zero). -1 without the file.
 */
static int dbg_count(const char *name, int *active)
{
	char line[512], n[256];
	long long since;
	unsigned long c[4];
	int lines = 0;
	FILE *f;

	*active = 0;
	f = fopen(WS_DEBUGFS, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %lu %lu %lu %lu %lld", n, &c[0], &c[1],
			   &c[2], &c[3], &since) != 6 || strcmp(n, name))
			continue;
		lines++;
		*active += since > 0;
	}
	fclose(f);
	return lines;
}

/* debugfs's table, mounting debugfs first if need be (root only). */
static bool dbg_available(void)
{
	if (!access(WS_DEBUGFS, R_OK))
		return true;
	if (!geteuid())
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return !access(WS_DEBUGFS, R_OK);
}

static bool has_cap_block_suspend(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(CAP_BLOCK_SUSPEND)].effective &
	       CAP_TO_MASK(CAP_BLOCK_SUSPEND);
}

static int drop_cap_block_suspend(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(CAP_BLOCK_SUSPEND)].effective &=
		~CAP_TO_MASK(CAP_BLOCK_SUSPEND);
	return syscall(SYS_capset, &h, d);
}

/* Why wakeup sources cannot be seen here, or NULL if they can. */
static const char *ws_unavailable(void)
{
	if (access("/sys/power/wakeup_count", F_OK))
		return "kernel without CONFIG_PM_SLEEP (no /sys/power/wakeup_count): "
		       "EPOLLWAKEUP is dropped and no wakeup source exists";
	if (access(WS_CLASS, R_OK))
		return "no " WS_CLASS " to see wakeup sources in";
	return NULL;
}

/* The events of @fd's line in @epfd's fdinfo, or ~0 if it has none. */
static unsigned int fdinfo_events(int epfd, int fd)
{
	char path[64], buf[8192], key[32], *p;
	unsigned int events;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return ~0U;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		return ~0U;
	buf[n] = '\0';
	snprintf(key, sizeof(key), "tfd: %8d ", fd);
	p = strstr(buf, key);
	if (!p || sscanf(p + strlen(key), "events: %x", &events) != 1)
		return ~0U;
	return events;
}

FIXTURE(wakeup) {
	int epfd;
	int efd;
	const char *ep_name;	/* the instance's source */
	const char *item_name;	/* an eventfd's item's source */
	struct ws_set before;	/* the sources before the case */
};

FIXTURE_VARIANT(wakeup) {
	const struct backend *be;
};

BACKEND_VARIANTS(wakeup);

FIXTURE_SETUP(wakeup)
{
	const bool xep = !strcmp(variant->be->name, "xepoll");

	self->ep_name = xep ? "xepoll" : "eventpoll";
	self->item_name = xep ? "xepoll:[eventfd]" : "[eventfd]";
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd) TH_LOG("%s create1: %s", variant->be->name,
					 strerror(errno));
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ws_snapshot(&self->before);
}

FIXTURE_TEARDOWN(wakeup)
{
	if (self->epfd >= 0)
		close(self->epfd);
	if (self->efd >= 0)
		close(self->efd);
}

/* Every case but the unprivileged one needs sources and the capability. */
#define NEED_SOURCES() do {						\
	const char *why = ws_unavailable();				\
									\
	if (why)							\
		SKIP(return, "%s", why);				\
	if (!has_cap_block_suspend())					\
		SKIP(return, "needs CAP_BLOCK_SUSPEND (uid %u has none; "\
		     "the root run covers it, unprivileged_dropped this run)",\
		     geteuid());					\
} while (0)

static int ctl(const struct backend *be, int epfd, int op, int fd,
	       uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return be->ctl(epfd, op, fd, &ev);
}

static int wait_now(const struct backend *be, int epfd)
{
	struct epoll_event evs[8];

	return be->wait(epfd, evs, 8, 0);
}

static void fire(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void drain(int efd)
{
	uint64_t v;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		abort();
}

/*
 * ADD with EPOLLWAKEUP keeps the flag (fdinfo) and makes two sources, the
 * instance's and the item's; a second item makes one more; an item without
 * the flag makes none.
 */
TEST_F(wakeup, add_makes_sources)
{
	const struct backend *be = variant->be;
	int ep_id = -1, item_id = -1, efd2, efd3, lines, active, dbg_before;
	bool dbg = dbg_available();

	NEED_SOURCES();
	dbg_before = dbg ? dbg_count(self->item_name, &active) : 0;

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	EXPECT_EQ(EPOLLIN | EPOLLWAKEUP | EPOLLERR | EPOLLHUP,
		  fdinfo_events(self->epfd, self->efd));
	EXPECT_EQ(2, ws_new_any(&self->before));
	EXPECT_EQ(1, ws_new_named(&self->before, self->ep_name, &ep_id));
	EXPECT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));
	EXPECT_EQ(0, ws_attr(item_id, "active_count"));
	EXPECT_EQ(0, ws_attr(item_id, "event_count"));
	EXPECT_EQ(0, ws_attr(ep_id, "active_count"));
	if (dbg) {
		lines = dbg_count(self->item_name, &active);
		EXPECT_EQ(dbg_before + 1, lines);
		EXPECT_LE(1, dbg_count(self->ep_name, &active));
	} else {
		TH_LOG("no %s: checked through %s only", WS_DEBUGFS, WS_CLASS);
	}

	efd2 = eventfd(0, EFD_CLOEXEC);
	efd3 = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd2);
	ASSERT_LE(0, efd3);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd2,
			 EPOLLIN | EPOLLET | EPOLLWAKEUP, 2));
	EXPECT_EQ(3, ws_new_any(&self->before));
	EXPECT_EQ(2, ws_new_named(&self->before, self->item_name, NULL));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd3, EPOLLIN, 3));
	EXPECT_EQ(3, ws_new_any(&self->before));
	EXPECT_EQ(EPOLLIN | EPOLLERR | EPOLLHUP, fdinfo_events(self->epfd, efd3));
	close(efd2);
	close(efd3);
	EXPECT_EQ(2, ws_new_any(&self->before));
}

/*
 * Level-triggered: the item's source is active from the event's arrival;
 * a wait that reports it relaxes it and, the item going back on the ready
 * list, holds it again, while the instance's is held for the transfer; the
 * wait after the event is consumed finds nothing and relaxes it.
 */
TEST_F(wakeup, level_held_until_next_wait)
{
	const struct backend *be = variant->be;
	int ep_id = -1, item_id = -1, active;
	bool dbg = dbg_available();

	NEED_SOURCES();
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	ASSERT_EQ(1, ws_new_named(&self->before, self->ep_name, &ep_id));
	ASSERT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));

	/* Nothing pending: nothing held. */
	EXPECT_EQ(0, wait_now(be, self->epfd));
	EXPECT_EQ(0, ws_attr(item_id, "active_count"));
	EXPECT_EQ(0, ws_attr(ep_id, "active_count"));

	fire(self->efd);
	msleep(30);
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));
	EXPECT_EQ(1, ws_attr(item_id, "event_count"));
	EXPECT_LT(0, ws_attr(item_id, "active_time_ms"));
	EXPECT_EQ(0, ws_attr(ep_id, "active_count"));
	if (dbg) {
		EXPECT_EQ(1, dbg_count(self->item_name, &active));
		EXPECT_EQ(1, active);
	}

	/* Reported, and held again until the next wait. */
	EXPECT_EQ(1, wait_now(be, self->epfd));
	EXPECT_EQ(2, ws_attr(item_id, "active_count"));
	EXPECT_EQ(2, ws_attr(item_id, "event_count"));
	EXPECT_EQ(1, ws_attr(ep_id, "active_count"));
	EXPECT_EQ(0, ws_attr(ep_id, "active_time_ms"));
	msleep(30);
	EXPECT_LT(0, ws_attr(item_id, "active_time_ms"));

	/* Still ready: reported and held again. */
	EXPECT_EQ(1, wait_now(be, self->epfd));
	EXPECT_EQ(3, ws_attr(item_id, "active_count"));
	EXPECT_EQ(2, ws_attr(ep_id, "active_count"));

	/* Consumed: the next wait finds nothing and lets go. */
	drain(self->efd);
	EXPECT_EQ(0, wait_now(be, self->epfd));
	EXPECT_EQ(3, ws_attr(item_id, "active_count"));
	EXPECT_EQ(0, ws_attr(item_id, "active_time_ms"));
	EXPECT_EQ(3, ws_attr(ep_id, "active_count"));
	EXPECT_EQ(0, ws_attr(ep_id, "active_time_ms"));
	if (dbg) {
		EXPECT_EQ(1, dbg_count(self->item_name, &active));
		EXPECT_EQ(0, active);
	}
}

/* Edge-triggered and one-shot: the wait that reports the event lets go. */
TEST_F(wakeup, edge_and_oneshot_relaxed_by_wait)
{
	const struct backend *be = variant->be;
	int item_id = -1, efd2, item2_id = -1;
	struct ws_set mid;

	NEED_SOURCES();
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLET | EPOLLWAKEUP, 1));
	ASSERT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));

	fire(self->efd);
	msleep(30);
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));
	EXPECT_LT(0, ws_attr(item_id, "active_time_ms"));
	EXPECT_EQ(1, wait_now(be, self->epfd));
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));
	EXPECT_EQ(0, ws_attr(item_id, "active_time_ms"));
	/* Still readable, but no new edge: nothing is held. */
	EXPECT_EQ(0, wait_now(be, self->epfd));
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));

	ws_snapshot(&mid);
	efd2 = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, efd2);
	/* Ready at ADD: queued, and so held, at once. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd2,
			 EPOLLIN | EPOLLONESHOT | EPOLLWAKEUP, 2));
	ASSERT_EQ(1, ws_new_named(&mid, self->item_name, &item2_id));
	EXPECT_EQ(1, ws_attr(item2_id, "active_count"));
	EXPECT_EQ(1, wait_now(be, self->epfd));
	EXPECT_EQ(0, ws_attr(item2_id, "active_time_ms"));
	EXPECT_EQ(0, wait_now(be, self->epfd));
	EXPECT_EQ(1, ws_attr(item2_id, "active_count"));
	/* Re-armed by MOD while ready: held again. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, efd2,
			 EPOLLIN | EPOLLONESHOT | EPOLLWAKEUP, 2));
	EXPECT_EQ(2, ws_attr(item2_id, "active_count"));
	close(efd2);
	EXPECT_FALSE(ws_alive(item2_id, self->item_name));
}

/*
 * MOD adding EPOLLWAKEUP makes the sources (the instance's too, if it had
 * none); MOD taking it away destroys the item's, even while it is active,
 * and keeps the instance's.
 */
TEST_F(wakeup, mod_adds_and_removes)
{
	const struct backend *be = variant->be;
	int ep_id = -1, item_id = -1, item2_id = -1;
	struct ws_set mid;

	NEED_SOURCES();
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd, EPOLLIN, 1));
	EXPECT_EQ(0, ws_new_any(&self->before));

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	EXPECT_EQ(EPOLLIN | EPOLLWAKEUP | EPOLLERR | EPOLLHUP,
		  fdinfo_events(self->epfd, self->efd));
	EXPECT_EQ(2, ws_new_any(&self->before));
	ASSERT_EQ(1, ws_new_named(&self->before, self->ep_name, &ep_id));
	ASSERT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));

	/* Again: the same source, no new one. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 2));
	EXPECT_EQ(2, ws_new_any(&self->before));
	EXPECT_TRUE(ws_alive(item_id, self->item_name));

	fire(self->efd);
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->efd, EPOLLIN, 3));
	EXPECT_EQ(EPOLLIN | EPOLLERR | EPOLLHUP,
		  fdinfo_events(self->epfd, self->efd));
	EXPECT_FALSE(ws_alive(item_id, self->item_name));
	EXPECT_TRUE(ws_alive(ep_id, self->ep_name));
	EXPECT_EQ(1, ws_new_any(&self->before));
	/* Still ready, reported, and no source left to hold. */
	EXPECT_EQ(1, wait_now(be, self->epfd));

	/*
	 * And back: a new item source. The item is still on the ready list
	 * (level-triggered, re-queued by that wait), so MOD does not queue
	 * it and nothing holds the new source yet; the next wait's re-queue
	 * does, as epoll's ep_modify() and ep_send_events() do.
	 */
	ws_snapshot(&mid);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 4));
	ASSERT_EQ(1, ws_new_named(&mid, self->item_name, &item2_id));
	EXPECT_EQ(0, ws_new_named(&mid, self->ep_name, NULL));
	EXPECT_EQ(0, ws_attr(item2_id, "active_count"));
	EXPECT_EQ(1, wait_now(be, self->epfd));
	EXPECT_EQ(1, ws_attr(item2_id, "active_count"));
}

/*
 * DEL and the file's last close destroy the item's source, pending event
 * or not; the instance's goes with the instance.
 */
TEST_F(wakeup, del_close_release_destroy)
{
	const struct backend *be = variant->be;
	int ep_id = -1, item_id = -1, efd2, active;
	bool dbg = dbg_available();
	struct ws_set mid;

	NEED_SOURCES();
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	ASSERT_EQ(1, ws_new_named(&self->before, self->ep_name, &ep_id));
	ASSERT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));
	fire(self->efd);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_DEL, self->efd, 0, 0));
	EXPECT_FALSE(ws_alive(item_id, self->item_name));
	EXPECT_TRUE(ws_alive(ep_id, self->ep_name));
	EXPECT_EQ(1, ws_new_any(&self->before));

	/* The last close of a watched file, with its event pending. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	ASSERT_EQ(1, ws_new_named(&self->before, self->item_name, &item_id));
	EXPECT_EQ(1, ws_attr(item_id, "active_count"));
	close(self->efd);
	self->efd = -1;
	EXPECT_FALSE(ws_alive(item_id, self->item_name));
	EXPECT_EQ(1, ws_new_any(&self->before));

	/* A file a dup keeps open keeps its source. */
	ws_snapshot(&mid);
	efd2 = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd2,
			 EPOLLIN | EPOLLWAKEUP, 2));
	ASSERT_EQ(1, ws_new_named(&mid, self->item_name, &item_id));
	self->efd = dup(efd2);
	close(efd2);
	EXPECT_TRUE(ws_alive(item_id, self->item_name));

	/* The instance's release takes both, the pending one too. */
	close(self->epfd);
	self->epfd = -1;
	EXPECT_FALSE(ws_alive(item_id, self->item_name));
	EXPECT_FALSE(ws_alive(ep_id, self->ep_name));
	EXPECT_EQ(0, ws_new_any(&self->before));
	if (dbg) {
		/* None of ours left active. */
		dbg_count(self->item_name, &active);
		EXPECT_EQ(0, active);
		dbg_count(self->ep_name, &active);
		EXPECT_EQ(0, active);
	}
}

/*
 * Without CAP_BLOCK_SUSPEND, EPOLLWAKEUP is dropped silently, at ADD and at
 * MOD: no error, fdinfo shows the mask without it, no source is made. As
 * root the case drops the capability itself (the harness runs each case
 * in a process of its own).
 */
TEST_F(wakeup, unprivileged_dropped)
{
	const struct backend *be = variant->be;
	const char *why = ws_unavailable();

	if (has_cap_block_suspend())
		ASSERT_EQ(0, drop_cap_block_suspend());
	ASSERT_FALSE(has_cap_block_suspend());

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLWAKEUP, 1));
	EXPECT_EQ(EPOLLIN | EPOLLERR | EPOLLHUP,
		  fdinfo_events(self->epfd, self->efd));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->efd,
			 EPOLLIN | EPOLLET | EPOLLWAKEUP, 2));
	EXPECT_EQ(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP,
		  fdinfo_events(self->epfd, self->efd));
	fire(self->efd);
	EXPECT_EQ(1, wait_now(be, self->epfd));
	if (why) {
		TH_LOG("%s: only fdinfo checked", why);
		return;
	}
	EXPECT_EQ(0, ws_new_any(&self->before));
}

TEST_HARNESS_MAIN
