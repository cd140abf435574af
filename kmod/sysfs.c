// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/xepoll/: the administrator's view (Documentation/ABI).
 *
 *   max_user_watches  the per-user limit; readable by all, writable by
 *                     root: the file's mode (EACCES at open) and the
 *                     writer's euid at each write (EPERM), as epoll's
 *                     sysctl. A value that is not a number from 0 to
 *                     LONG_MAX is refused with EINVAL. Lowering it
 *                     below current use removes nothing; it only
 *                     refuses new watches.
 *   instances         live instances
 *   watches           live registrations, in all instances
 *   pinned            live registrations that hold their file open, for
 *                     want of a close notification (compat.h)
 *   events            events delivered to user space since load
 *   wakeups           wake-up callbacks run since load
 *   releases          registrations removed by their file's last close
 *                     since load
 *   busy_polls        busy loops run by waits before sleeping since load
 *   ring_cells        ring cells the kernel filled since load (ring.c)
 *   ring_overflows    ring events that found no free cell and went to
 *                     the ready list instead, since load
 *   users             one line per user with an instance:
 *                     "<uid> <instances> <watches>"; every user's
 *                     only to an opener with CAP_SYS_ADMIN, else the
 *                     opener's own (users_read())
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "stats.h"
#include "sysfs.h"
#include "user.h"

DEFINE_PER_CPU(struct xep_stats, xep_stats);

u64 xep_stat_sum(size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(&xep_stats, cpu) + offset);
	return sum;
}

static struct kobject *xep_kobj;

static ssize_t max_user_watches_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", READ_ONCE(xep_max_user_watches));
}

static ssize_t max_user_watches_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	long val;

	/*
	 * The file's mode is checked at open only. epoll's sysctl checks
	 * the writer again at every write (EPERM), so that a descriptor
	 * root opened and handed on, or kept across setuid(), writes
	 * nothing for anyone else: so does this.
	 */
	if (!uid_eq(current_euid(), GLOBAL_ROOT_UID))
		return -EPERM;
	if (kstrtol(buf, 10, &val) || val < 0)
		return -EINVAL;
	WRITE_ONCE(xep_max_user_watches, val);
	return count;
}

static ssize_t instances_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct xep_user_totals t;

	xep_user_totals(&t);
	return sysfs_emit(buf, "%lu\n", t.instances);
}

static ssize_t watches_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct xep_user_totals t;

	xep_user_totals(&t);
	return sysfs_emit(buf, "%lu\n", t.watches);
}

static ssize_t pinned_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct xep_user_totals t;

	xep_user_totals(&t);
	return sysfs_emit(buf, "%lu\n", t.pins);
}

/*
 * The counters of struct xep_stats, one read-only file each: one show()
 * for all, which finds the counter's offset beside the attribute.
 */
struct xep_stat_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t xep_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	const struct xep_stat_attr *sa =
		container_of(attr, struct xep_stat_attr, attr);

	return sysfs_emit(buf, "%llu\n", xep_stat_sum(sa->offset));
}

#define XEP_STAT_ATTR(_name)						\
	static struct xep_stat_attr xep_stat_##_name = {		\
		.attr = {						\
			.attr = { .name = #_name, .mode = 0444 },	\
			.show = xep_stat_show,				\
		},							\
		.offset = offsetof(struct xep_stats, _name),		\
	}

XEP_STAT_ATTR(events);
XEP_STAT_ATTR(wakeups);
XEP_STAT_ATTR(releases);
XEP_STAT_ATTR(busy_polls);
XEP_STAT_ATTR(ring_cells);
XEP_STAT_ATTR(ring_overflows);

/*
 * users: how many instances and watches each user has is that user's
 * business. An opener with CAP_SYS_ADMIN in the initial user namespace
 * sees every user's line, any other opener only its own: quotactl() shows
 * a user's own usage to anyone and another user's only with CAP_SYS_ADMIN
 * (check_quotactl_permission()), and the users are the whole system's.
 *
 * The opener's credentials decide, not the reader's, as /proc/kallsyms
 * and /sys/module/<name>/sections/ do (kallsyms_show_value(file->f_cred)):
 * a privileged program reading a descriptor an unprivileged one opened
 * gets no more than that opener could see, and a descriptor root opened
 * and handed on shows every line to its holder, as any file root opens
 * and hands on does (the check is audited, as file_ns_capable()'s are).
 * A show() callback is not given the file, so this is a binary attribute,
 * whose read() is; each read(2) formats the text again (one read of a
 * page is a snapshot).
 */
static ssize_t users_read(struct file *file, struct kobject *kobj,
			  struct bin_attribute *attr, char *buf, loff_t pos,
			  size_t count)
{
	bool all = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	ssize_t len;
	char *text;

	text = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	len = xep_user_show(text, PAGE_SIZE, file->f_cred, all);
	if (pos >= len) {
		count = 0;
	} else {
		count = min_t(size_t, count, len - pos);
		memcpy(buf, text + pos, count);
	}
	kfree(text);
	return count;
}

static struct kobj_attribute max_user_watches_attr = __ATTR_RW(max_user_watches);
static struct kobj_attribute instances_attr = __ATTR_RO(instances);
static struct kobj_attribute watches_attr = __ATTR_RO(watches);
static struct kobj_attribute pinned_attr = __ATTR_RO(pinned);
static BIN_ATTR_RO(users, 0);

static struct attribute *xep_attrs[] = {
	&max_user_watches_attr.attr,
	&instances_attr.attr,
	&watches_attr.attr,
	&pinned_attr.attr,
	&xep_stat_events.attr.attr,
	&xep_stat_wakeups.attr.attr,
	&xep_stat_releases.attr.attr,
	&xep_stat_busy_polls.attr.attr,
	&xep_stat_ring_cells.attr.attr,
	&xep_stat_ring_overflows.attr.attr,
	NULL,
};

static struct bin_attribute *xep_bin_attrs[] = {
	&bin_attr_users,
	NULL,
};

static const struct attribute_group xep_attr_group = {
	.attrs = xep_attrs,
	.bin_attrs = xep_bin_attrs,
};

int xep_sysfs_init(void)
{
	int ret;

	xep_kobj = kobject_create_and_add("xepoll", kernel_kobj);
	if (!xep_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(xep_kobj, &xep_attr_group);
	if (ret)
		kobject_put(xep_kobj);
	return ret;
}

void xep_sysfs_exit(void)
{
	sysfs_remove_group(xep_kobj, &xep_attr_group);
	kobject_put(xep_kobj);
}
