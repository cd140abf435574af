/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit suites (xepoll_kunit.ko, the *_kunit.c files) share:
 * pollable files the test controls, real instances, and the calls the
 * module makes under ep->mtx, made the same way. Everything a helper
 * creates is released when the test ends, pass or fail.
 */
#ifndef _XEPOLL_KUNIT_HELPERS_H
#define _XEPOLL_KUNIT_HELPERS_H

#include <kunit/test.h>
#include <linux/poll.h>
#include <linux/wait.h>

#include <linux/xepoll.h>

#include "instance.h"

/**
 * struct xkt_file - a real file whose readiness the test sets
 * @wq:		its one wait queue, which ->poll() names
 * @mask:	what ->poll() reports
 * @polls:	how many times ->poll() ran
 * @on_poll:	if set, run by ->poll() (with @on_poll_arg), once: to make
 *		something happen in the middle of a scan, which polls
 * @on_poll_arg: its argument
 * @file:	the file; freed with the struct when its last reference goes
 */
struct xkt_file {
	wait_queue_head_t wq;
	__poll_t mask;
	unsigned int polls;
	void (*on_poll)(void *arg);
	void *on_poll_arg;
	struct file *file;
};

/* An event mask as a number, to compare with what user space sees. */
static inline u32 xkt_ev(__poll_t events)
{
	return (__force u32)events;
}

struct xkt_file *xkt_file_new(struct kunit *test);
void xkt_file_close(struct kunit *test, struct xkt_file *tf);
void xkt_file_wake(struct xkt_file *tf, __poll_t mask, __poll_t key);
bool xkt_hooked(struct xkt_file *tf);

struct xep_instance *xkt_instance_new(struct kunit *test);
void xkt_instance_release(struct kunit *test, struct xep_instance *ep);

int xkt_add(struct xep_instance *ep, struct file *file, int fd,
	    __poll_t events, u64 data);
int xkt_mod(struct xep_instance *ep, struct file *file, int fd,
	    __poll_t events, u64 data);
int xkt_del(struct xep_instance *ep, struct file *file, int fd);
struct xep_item *xkt_find(struct xep_instance *ep, struct file *file, int fd);
bool xkt_queued(struct xep_instance *ep, struct xep_item *item);
unsigned int xkt_ready_count(struct xep_instance *ep);

void __user *xkt_user_buf(struct kunit *test, unsigned long prot);
int xkt_transfer(struct kunit *test, struct xep_instance *ep,
		 struct xepoll_event *out, int maxevents);

#endif /* _XEPOLL_KUNIT_HELPERS_H */
