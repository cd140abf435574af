/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The global table of watched files: which items, in any instance, watch
 * a given file. It stands in for the file->f_ep list epoll keeps in struct
 * file, and answers two questions: is a file now held by nothing but
 * xepoll's registrations (XEPOLL_IOC_CLOSE), and which instances watch an
 * instance (the loop checks, nest.c).
 */
#ifndef _XEPOLL_FILES_H
#define _XEPOLL_FILES_H

#include <linux/rhashtable.h>

#include "instance.h"

int xep_files_add(struct xep_item *item);
void xep_files_del(struct xep_item *item);
struct rhlist_head *xep_files_lookup(struct file *file);

long xep_files_close(unsigned int fd);

int xep_files_init(void);
void xep_files_exit(void);

#endif /* _XEPOLL_FILES_H */
