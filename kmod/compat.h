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

#endif /* _XEPOLL_COMPAT_H */
