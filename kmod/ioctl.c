// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch.
 *
 * Commands are looked up by number in xep_ioctls[]; adding one is a table
 * row and its handler. The argument struct is copied in here, once, for
 * every command: its size comes from the command (_IOC_SIZE), and
 * copy_struct_from_user() gives the uapi header's growth rule, a smaller
 * (older) struct zero-extended, a larger (newer) one accepted only if the
 * part this module does not know is zero (E2BIG otherwise).
 */
#include <linux/uaccess.h>

#include <linux/xepoll.h>

#include "compat.h"
#include "ctl.h"
#include "files.h"
#include "instance.h"
#include "ioctl.h"
#include "submit.h"
#include "wait.h"

/*
 * The first version of each struct: the sizes are ABI and never change;
 * a struct grows only by adding fields after these.
 */
static_assert(sizeof(struct xepoll_create) == 8);
static_assert(sizeof(struct xepoll_ctl) == 24);
static_assert(sizeof(struct xepoll_event) == XEPOLL_EVENT_SIZE);
static_assert(sizeof(struct xepoll_wait) >= XEPOLL_WAIT_SIZE_VER0);
static_assert(offsetof(struct xepoll_wait, min_events) == XEPOLL_WAIT_SIZE_VER0);
static_assert(sizeof(struct xepoll_wait) == XEPOLL_WAIT_SIZE_VER1);
static_assert(sizeof(struct xepoll_submit) == 40);

/* Every argument struct, so that one buffer on the stack fits any. */
union xep_ioc_arg {
	struct xepoll_create create;
	struct xepoll_ctl ctl;
	struct xepoll_wait wait;
	struct xepoll_submit submit;
};

/**
 * struct xep_ioc_def - one ioctl command
 * @targets:	the files it is valid on (enum xep_ioc_target)
 * @dir:	_IOC_DIR of the command: _IOC_WRITE with an argument struct,
 *		_IOC_READ | _IOC_WRITE with one the handler writes back to,
 *		_IOC_NONE with a plain value
 * @size:	the argument struct's size in this module (0 for a value)
 * @min_size:	its size in its first version: smaller is EINVAL
 * @handler:	the handler; @karg is the copied struct, or NULL with @dir
 *		_IOC_NONE, when @arg is the value
 */
struct xep_ioc_def {
	unsigned int targets;
	unsigned int dir;
	size_t size;
	size_t min_size;
	long (*handler)(struct file *file, void *karg, unsigned long arg);
};

static long xep_ioc_create(struct file *file, void *karg, unsigned long arg)
{
	const struct xepoll_create *create = karg;

	if (create->__reserved)
		return -EINVAL;
	return xep_instance_create(create->flags);
}

static long xep_ioc_close(struct file *file, void *karg, unsigned long arg)
{
	if (arg > INT_MAX)
		return -EBADF;
	return xep_files_close(arg);
}

static long xep_ioc_ctl(struct file *file, void *karg, unsigned long arg)
{
	return xep_ctl(file->private_data, karg);
}

static long xep_ioc_wait(struct file *file, void *karg, unsigned long arg)
{
	return xep_wait(file->private_data, karg);
}

static long xep_ioc_submit(struct file *file, void *karg, unsigned long arg)
{
	return xep_submit(file->private_data, karg, u64_to_user_ptr((u64)arg));
}

#define XEP_IOC_STRUCT(type, first_size)	\
	.dir = _IOC_WRITE, .size = sizeof(type), .min_size = (first_size)
#define XEP_IOC_STRUCT_RW(type, first_size)	\
	.dir = _IOC_READ | _IOC_WRITE, .size = sizeof(type), .min_size = (first_size)

static const struct xep_ioc_def xep_ioctls[] = {
	[_IOC_NR(XEPOLL_IOC_CREATE)] = {
		.targets = XEP_IOC_DEVICE,
		XEP_IOC_STRUCT(struct xepoll_create, 8),
		.handler = xep_ioc_create,
	},
	[_IOC_NR(XEPOLL_IOC_CLOSE)] = {
		.targets = XEP_IOC_DEVICE | XEP_IOC_INSTANCE,
		.dir = _IOC_NONE,
		.handler = xep_ioc_close,
	},
	[_IOC_NR(XEPOLL_IOC_CTL)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT(struct xepoll_ctl, 24),
		.handler = xep_ioc_ctl,
	},
	[_IOC_NR(XEPOLL_IOC_WAIT)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT(struct xepoll_wait, XEPOLL_WAIT_SIZE_VER0),
		.handler = xep_ioc_wait,
	},
	[_IOC_NR(XEPOLL_IOC_SUBMIT)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT_RW(struct xepoll_submit, 40),
		.handler = xep_ioc_submit,
	},
};

long xep_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
	       enum xep_ioc_target target)
{
	const struct xep_ioc_def *def;
	union xep_ioc_arg karg;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != XEPOLL_IOC_MAGIC || nr >= ARRAY_SIZE(xep_ioctls))
		return -ENOTTY;
	def = &xep_ioctls[nr];
	if (!def->handler || !(def->targets & target) || _IOC_DIR(cmd) != def->dir)
		return -ENOTTY;

	if (def->dir == _IOC_NONE)
		return def->handler(file, NULL, arg);

	if (usize < def->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&karg, def->size, u64_to_user_ptr((u64)arg), usize);
	if (ret)
		return ret;
	return def->handler(file, &karg, arg);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ioctl);
