/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/<pid>/fdinfo/<fd> of an instance, in epoll's format.
 */
#ifndef _XEPOLL_FDINFO_H
#define _XEPOLL_FDINFO_H

#include <linux/fs.h>
#include <linux/seq_file.h>

void xep_show_fdinfo(struct seq_file *m, struct file *file);

#endif /* _XEPOLL_FDINFO_H */
