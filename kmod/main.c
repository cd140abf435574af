// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll: an alternative to epoll, as a loadable module.
 *
 * Module start-up is a short chain of steps; a failure unwinds the steps
 * already taken, in reverse, and unload does the same. The device comes
 * last: once it is registered, user space may call in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include <linux/xepoll.h>

#include "device.h"
#include "files.h"
#include "item.h"
#include "notify.h"
#include "sysfs.h"
#include "user.h"

static int __init xepoll_init(void)
{
	int ret;

	ret = xep_user_init();
	if (ret)
		return ret;
	ret = xep_item_init();
	if (ret)
		goto err_user;
	ret = xep_files_init();
	if (ret)
		goto err_item;
	ret = xep_notify_init();
	if (ret)
		goto err_files;
	ret = xep_sysfs_init();
	if (ret)
		goto err_notify;
	ret = xep_device_init();
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", XEPOLL_DEVICE_NAME, ret);
		goto err_sysfs;
	}

	pr_info("loaded, /dev/%s ready, max_user_watches %ld\n",
		XEPOLL_DEVICE_NAME, xep_max_user_watches);
	return 0;

err_sysfs:
	xep_sysfs_exit();
err_notify:
	xep_notify_exit();
err_files:
	xep_files_exit();
err_item:
	xep_item_exit();
err_user:
	xep_user_exit();
	return ret;
}

static void __exit xepoll_exit(void)
{
	xep_device_exit();
	xep_sysfs_exit();
	xep_notify_exit();
	xep_files_exit();
	xep_item_exit();
	xep_user_exit();
	pr_info("unloaded\n");
}

module_init(xepoll_init);
module_exit(xepoll_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xepoll: an alternative to epoll");
MODULE_AUTHOR("The xepoll developers");
