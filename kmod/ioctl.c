// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch.
 *
 * Commands are looked up by number in xep_ioctls[]; adding one is a table
 * row and its handler. CTL, WAIT and SUBMIT on an instance, in the sizes
 * of this module's header, skip the lookup, whose checks their numbers
 * answer: they are the calls that must cost no more than epoll's. The
 * size of the caller's argument struct comes from the command (_IOC_SIZE)
 * and is checked against the first version's here; each handler copies
 * the struct in with xep_ioc_copy(), which gives the uapi header's growth
 * rule: a smaller (older) struct zero-extended, a larger (newer) one
 * accepted only if the part this module does not know is zero (E2BIG
 * otherwise).
 */
#include <linux/file.h>
#include <linux/uaccess.h>

#include <linux/xepoll.h>

#include "busypoll.h"
#include "compat.h"
#include "ctl.h"
#include "instance.h"
#include "ioctl.h"
#include "ring.h"
#include "submit.h"
#include "wait.h"

/*
 * The first version of each struct: the sizes are ABI and never change;
 * a struct grows only by adding fields after these.
 */
static_assert(sizeof(struct xepoll_create) == XEPOLL_CREATE_SIZE_VER0);
static_assert(sizeof(struct xepoll_ctl) == XEPOLL_CTL_SIZE_VER0);
static_assert(sizeof(struct xepoll_event) == XEPOLL_EVENT_SIZE);
static_assert(sizeof(struct xepoll_wait) >= XEPOLL_WAIT_SIZE_VER0);
static_assert(offsetof(struct xepoll_wait, min_events) == XEPOLL_WAIT_SIZE_VER0);
static_assert(sizeof(struct xepoll_wait) == XEPOLL_WAIT_SIZE_VER1);
static_assert(sizeof(struct xepoll_submit) == XEPOLL_SUBMIT_SIZE_VER0);
static_assert(sizeof(struct xepoll_params) == XEPOLL_PARAMS_SIZE_VER0);
static_assert(offsetof(struct xepoll_ring_setup, tail_off) ==
	      XEPOLL_RING_SETUP_SIZE_VER0);
static_assert(sizeof(struct xepoll_ring_setup) == XEPOLL_RING_SETUP_SIZE_VER1);

/**
 * struct xep_ioc_def - one ioctl command
 * @targets:	the files it is valid on (enum xep_ioc_target)
 * @dir:	_IOC_DIR of the command: _IOC_WRITE with an argument struct,
 *		_IOC_READ | _IOC_WRITE with one the handler writes back to,
 *		_IOC_READ with one the handler only writes, _IOC_NONE with
 *		a plain value
 * @min_size:	the argument struct's size in its first version: smaller is
 *		EINVAL
 * @handler:	the handler; @arg is the address of the caller's struct, of
 *		@usize bytes, or with @dir _IOC_NONE the value itself
 */
struct xep_ioc_def {
	unsigned int targets;
	unsigned int dir;
	size_t min_size;
	long (*handler)(struct file *file, unsigned long arg, size_t usize);
};

/*
 * Copy the caller's @usize-byte struct at @arg into @karg, of @ksize
 * bytes, by the growth rule: on success all of @karg is written, so the
 * handlers' structs need no zeroing first (__uninitialized). Inlined into
 * each handler, so that @ksize is a constant.
 *
 * The usual case, a caller built with this very header, is @ksize / 8
 * word loads in one user-access window (every argument struct is a whole
 * number of 64-bit words). copy_from_user() of the same constant size
 * would skip hardened usercopy's check as well (check_object_size() does
 * nothing for a size known at compile time); what the loads save is its
 * out-of-line call and string move, rep movsb on CPUs with ERMS: 0.07 to
 * 0.12 us of an empty wait's 1.25 us on 6.12 under QEMU's TCG, nothing
 * measurable on 6.1 (tools/bench/entry.c). Any other size is read by
 * copy_struct_from_user(), whose variable size is checked.
 */
static __always_inline int xep_ioc_copy(void *karg, size_t ksize,
					unsigned long arg, size_t usize)
{
	const u64 __user *uarg = u64_to_user_ptr((u64)arg);
	u64 *dst = karg;
	size_t i;

	BUILD_BUG_ON(ksize % sizeof(u64));
	if (unlikely(usize != ksize))
		return copy_struct_from_user(karg, ksize, uarg, usize);

	if (!user_access_begin(uarg, ksize))
		return -EFAULT;
	for (i = 0; i < ksize / sizeof(u64); i++)
		unsafe_get_user(dst[i], &uarg[i], efault);
	user_access_end();
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

/*
 * The other way: write @karg, @ksize bytes, to the caller's @usize-byte
 * struct at @arg: only the fields an older caller's smaller struct has
 * (never smaller than the first version: the table refuses that), and
 * zeroes over the rest of a larger one (a caller built with a newer
 * header), so that no field it names is left as it was.
 */
static int xep_ioc_copy_out(unsigned long arg, size_t usize,
			    const void *karg, size_t ksize)
{
	void __user *uarg = u64_to_user_ptr((u64)arg);

	if (copy_to_user(uarg, karg, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static long xep_ioc_create(struct file *file, unsigned long arg, size_t usize)
{
	struct xepoll_create create __uninitialized;
	int ret = xep_ioc_copy(&create, sizeof(create), arg, usize);

	if (ret)
		return ret;
	if (create.__reserved)
		return -EINVAL;
	return xep_instance_create(create.flags);
}

/*
 * XEPOLL_IOC_CLOSE, deprecated: close(2) of the descriptor @arg, for
 * binaries built when it also released the file's registrations. The
 * file's last close does that now, however the file goes (files.c).
 */
static long xep_ioc_close(struct file *file, unsigned long arg, size_t usize)
{
	struct file *closed;
	int ret;

	if (arg > INT_MAX)
		return -EBADF;
	closed = xep_file_close_fd(arg);
	if (!closed)
		return -EBADF;
	ret = filp_close(closed, current->files);

	/* close(2) cannot be restarted: the descriptor is gone. */
	if (unlikely(ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
		     ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK))
		ret = -EINTR;
	return ret;
}

static long xep_ioc_ctl(struct file *file, unsigned long arg, size_t usize)
{
	struct xepoll_ctl ctl __uninitialized;
	int ret = xep_ioc_copy(&ctl, sizeof(ctl), arg, usize);

	if (ret)
		return ret;
	return xep_ctl(file->private_data, &ctl);
}

static long xep_ioc_wait(struct file *file, unsigned long arg, size_t usize)
{
	struct xepoll_wait wait __uninitialized;
	int ret = xep_ioc_copy(&wait, sizeof(wait), arg, usize);

	if (ret)
		return ret;
	return xep_wait(file->private_data, &wait);
}

static long xep_ioc_submit(struct file *file, unsigned long arg, size_t usize)
{
	struct xepoll_submit submit __uninitialized;
	int ret = xep_ioc_copy(&submit, sizeof(submit), arg, usize);

	if (ret)
		return ret;
	return xep_submit(file->private_data, &submit, u64_to_user_ptr((u64)arg));
}

static long xep_ioc_set_params(struct file *file, unsigned long arg,
			       size_t usize)
{
	struct xepoll_params params __uninitialized;
	int ret = xep_ioc_copy(&params, sizeof(params), arg, usize);

	if (ret)
		return ret;
	return xep_busy_poll_set_params(file->private_data, &params);
}

/* XEPOLL_IOC_GET_PARAMS: the parameters out, by xep_ioc_copy_out(). */
static long xep_ioc_get_params(struct file *file, unsigned long arg,
			       size_t usize)
{
	struct xepoll_params params;
	long ret;

	ret = xep_busy_poll_get_params(file->private_data, &params);
	if (ret)
		return ret;
	return xep_ioc_copy_out(arg, usize, &params, sizeof(params));
}

/* XEPOLL_IOC_RING_SETUP: the caller's request in, the ring's geometry out. */
static long xep_ioc_ring_setup(struct file *file, unsigned long arg,
			       size_t usize)
{
	struct xepoll_ring_setup setup;
	int ret = xep_ioc_copy(&setup, sizeof(setup), arg, usize);

	if (ret)
		return ret;
	ret = xep_ring_setup(file->private_data, &setup);
	if (ret)
		return ret;
	/* The ring stays: a caller can ask for this again (entries 0). */
	return xep_ioc_copy_out(arg, usize, &setup, sizeof(setup));
}

#define XEP_IOC_STRUCT(first_size)	\
	.dir = _IOC_WRITE, .min_size = (first_size)
#define XEP_IOC_STRUCT_RW(first_size)	\
	.dir = _IOC_READ | _IOC_WRITE, .min_size = (first_size)
#define XEP_IOC_STRUCT_R(first_size)	\
	.dir = _IOC_READ, .min_size = (first_size)

static const struct xep_ioc_def xep_ioctls[] = {
	[_IOC_NR(XEPOLL_IOC_CREATE)] = {
		.targets = XEP_IOC_DEVICE,
		XEP_IOC_STRUCT(XEPOLL_CREATE_SIZE_VER0),
		.handler = xep_ioc_create,
	},
	[_IOC_NR(XEPOLL_IOC_CLOSE)] = {
		.targets = XEP_IOC_DEVICE | XEP_IOC_INSTANCE,
		.dir = _IOC_NONE,
		.handler = xep_ioc_close,
	},
	[_IOC_NR(XEPOLL_IOC_CTL)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT(XEPOLL_CTL_SIZE_VER0),
		.handler = xep_ioc_ctl,
	},
	[_IOC_NR(XEPOLL_IOC_WAIT)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT(XEPOLL_WAIT_SIZE_VER0),
		.handler = xep_ioc_wait,
	},
	[_IOC_NR(XEPOLL_IOC_SUBMIT)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT_RW(XEPOLL_SUBMIT_SIZE_VER0),
		.handler = xep_ioc_submit,
	},
	/* Only where the kernel's epoll has EPIOCSPARAMS (compat.h). */
	[_IOC_NR(XEPOLL_IOC_SET_PARAMS)] = {
		.targets = XEP_HAS_BUSY_POLL_PARAMS ? XEP_IOC_INSTANCE : 0,
		XEP_IOC_STRUCT(XEPOLL_PARAMS_SIZE_VER0),
		.handler = xep_ioc_set_params,
	},
	[_IOC_NR(XEPOLL_IOC_GET_PARAMS)] = {
		.targets = XEP_HAS_BUSY_POLL_PARAMS ? XEP_IOC_INSTANCE : 0,
		XEP_IOC_STRUCT_R(XEPOLL_PARAMS_SIZE_VER0),
		.handler = xep_ioc_get_params,
	},
	[_IOC_NR(XEPOLL_IOC_RING_SETUP)] = {
		.targets = XEP_IOC_INSTANCE,
		XEP_IOC_STRUCT_RW(XEPOLL_RING_SETUP_SIZE_VER0),
		.handler = xep_ioc_ring_setup,
	},
};

long xep_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
	       enum xep_ioc_target target)
{
	const struct xep_ioc_def *def;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd);

	/*
	 * The commands of the epoll-compatible calls and of batches, in the
	 * size of this header's structs, go straight to their handlers: the
	 * number alone answers every check of the table, and a direct call
	 * saves the indirect one (a retpoline on Debian's kernels).
	 */
	if (likely(target == XEP_IOC_INSTANCE)) {
		switch (cmd) {
		case XEPOLL_IOC_WAIT:
			return xep_ioc_wait(file, arg, sizeof(struct xepoll_wait));
		case XEPOLL_IOC_CTL:
			return xep_ioc_ctl(file, arg, sizeof(struct xepoll_ctl));
		case XEPOLL_IOC_SUBMIT:
			return xep_ioc_submit(file, arg, sizeof(struct xepoll_submit));
		}
	}

	if (_IOC_TYPE(cmd) != XEPOLL_IOC_MAGIC || nr >= ARRAY_SIZE(xep_ioctls))
		return -ENOTTY;
	def = &xep_ioctls[nr];
	if (!def->handler || !(def->targets & target) || _IOC_DIR(cmd) != def->dir)
		return -ENOTTY;

	if (def->dir != _IOC_NONE && usize < def->min_size)
		return -EINVAL;
	return def->handler(file, arg, usize);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ioctl);
