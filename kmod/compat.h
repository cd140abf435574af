/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shims for the kernel versions xepoll builds against (Debian's 6.1 and
 * 6.12). Every version test in the module lives here and nowhere else.
 */
#ifndef _XEPOLL_COMPAT_H
#define _XEPOLL_COMPAT_H

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/mm.h>
#include <linux/sched/user.h>

#ifndef CONFIG_FSNOTIFY
#error "xepoll learns of a watched file's last close from fsnotify: CONFIG_FSNOTIFY is needed"
#endif

/*
 * EXPORT_SYMBOL_IF_KUNIT(): the KUnit suites (xepoll_kunit.ko) reach the
 * module's internals through exports that exist only in kernels built with
 * KUnit. Both kernels xepoll builds against have the header (Debian's 6.1
 * too); without CONFIG_KUNIT the macro is empty.
 */
#include <kunit/visibility.h>

/*
 * Features are probed in kmod/Kbuild from the headers of the kernel being
 * built against (XEP_HAVE_*), rather than guessed from its version, so
 * that distribution kernels with backports build too.
 */

/*
 * Take @fd out of the caller's descriptor table and return its file with
 * the table's reference, or NULL if @fd is not open. close_fd_get_file()
 * was renamed file_close_fd() in 6.8.
 */
static inline struct file *xep_file_close_fd(unsigned int fd)
{
#ifdef XEP_HAVE_FILE_CLOSE_FD
	return file_close_fd(fd);
#else
	return close_fd_get_file(fd);
#endif
}

/*
 * The file of a struct fd (fdget()): fd_file() from 6.12 on, when the
 * struct became one tagged word; a field before.
 */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/*
 * Whether the kernel announces @file's last close through fsnotify
 * (fsnotify_close() in __fput()), which is how xepoll learns that a
 * watched file is gone (notify.c). The one place that decides, so that a
 * kernel that changes the rule needs one change here.
 *
 * fsnotify_file() skips FMODE_PATH files (which cannot be polled anyway)
 * and FMODE_NONOTIFY ones: on 6.1 every /dev/ptmx master ("a shared
 * resource", ptmx_open()), and on both kernels the descriptors fanotify
 * opens itself, its group's own among them. 6.12 grew
 * FMODE_NONOTIFY_PERM, and FMODE_FSNOTIFY_NONE() tests the combination
 * that means "no event at all"; a 6.12 ptmx master has both bits and is
 * announced. A registration of a file that is not announced holds a
 * reference to it instead, within the owner's RLIMIT_NOFILE (item.c):
 * none of these files can hold a reference to another file, so no cycle
 * can form. Mainline since 6.14 also sets FMODE_NONOTIFY on every pseudo
 * file but pipes and sockets (alloc_file_pseudo()), io_uring's among
 * them, which can: a port to it must refuse those here.
 */
static inline bool xep_file_close_notified(const struct file *file)
{
	if (file->f_mode & FMODE_PATH)
		return false;
#ifdef FMODE_FSNOTIFY_NONE
	return !FMODE_FSNOTIFY_NONE(file->f_mode);
#else
	return !(file->f_mode & FMODE_NONOTIFY);
#endif
}

/*
 * xepoll's mark on @inode with a reference, or NULL: 6.12 takes the
 * object and its type, 6.1 the inode's connector pointer.
 */
static inline struct fsnotify_mark *xep_find_inode_mark(struct inode *inode,
							struct fsnotify_group *group)
{
#ifdef XEP_HAVE_FSNOTIFY_FIND_INODE_MARK
	return fsnotify_find_inode_mark(inode, group);
#else
	return fsnotify_find_mark(&inode->i_fsnotify_marks, group);
#endif
}

/*
 * A reference to @file unless its count already reached zero (its last
 * close is under way); the caller keeps the memory valid under RCU.
 */
static inline bool xep_file_tryget(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}

/*
 * Busy-poll parameters (XEPOLL_IOC_SET_PARAMS, XEPOLL_IOC_GET_PARAMS)
 * exist where the kernel's own epoll has them: EPIOCSPARAMS came in 6.9
 * (probed from <uapi/linux/eventpoll.h>). Elsewhere (6.1) the ioctls are
 * not in the table and answer ENOTTY, as EPIOCSPARAMS does on that
 * kernel's epoll. The busy loop itself, driven by net.core.busy_poll,
 * needs only napi_busy_loop() and sock_from_file(), exported by both.
 */
#ifdef XEP_HAVE_EPOLL_PARAMS
#define XEP_HAS_BUSY_POLL_PARAMS	1
#else
#define XEP_HAS_BUSY_POLL_PARAMS	0
#endif

/*
 * Set @flags on a mapping being made (the ring's, ring.c): vm_flags
 * became read-only, behind vm_flags_set(), in 6.3.
 */
static inline void xep_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
#ifdef XEP_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * The locked memory charged to @user, against RLIMIT_MEMLOCK: the count
 * io_uring charges its registered buffers to. It exists when networking,
 * io_uring or a few drivers are built in, which every kernel xepoll
 * builds for has (its busy polling needs networking too).
 */
#if !defined(CONFIG_NET) && !defined(CONFIG_IO_URING)
#error "xepoll charges its rings to user_struct.locked_vm: CONFIG_NET or CONFIG_IO_URING is needed"
#endif
static inline atomic_long_t *xep_user_locked_vm(struct user_struct *user)
{
	return &user->locked_vm;
}

#endif /* _XEPOLL_COMPAT_H */
