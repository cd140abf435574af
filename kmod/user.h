/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-user accounting of watches, as epoll's max_user_watches: every
 * registration is charged to the user owning its instance, across all of
 * that user's instances, and a registration beyond the limit is refused.
 */
#ifndef _XEPOLL_USER_H
#define _XEPOLL_USER_H

#include <linux/uidgid.h>

struct cred;
struct xep_user;

extern long xep_max_user_watches;

/**
 * struct xep_user_totals - sums over all users
 * @instances:	live instances
 * @watches:	live registrations
 * @pins:	live registrations holding their file open (compat.h)
 */
struct xep_user_totals {
	unsigned long instances;
	unsigned long watches;
	unsigned long pins;
};

void xep_user_totals(struct xep_user_totals *totals);
ssize_t xep_user_show(char *buf, size_t size, const struct cred *cred, bool all);

struct xep_user *xep_user_get(kuid_t uid);
void xep_user_put(struct xep_user *user);
int xep_user_charge(struct xep_user *user);
void xep_user_uncharge(struct xep_user *user);
int xep_user_pin(struct xep_user *user);
void xep_user_unpin(struct xep_user *user);

int xep_user_init(void);
void xep_user_exit(void);

#endif /* _XEPOLL_USER_H */
