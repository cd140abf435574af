// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll: an alternative to epoll, as a loadable module.
 *
 * Module start-up is a short chain of steps; a failure unwinds the steps
 * already taken, in reverse, and unload does the same.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include <linux/xepoll.h>

#include "device.h"

static int __init xepoll_init(void)
{
	int ret;

	ret = xep_device_init();
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", XEPOLL_DEVICE_NAME, ret);
		return ret;
	}

	pr_info("loaded, /dev/%s ready\n", XEPOLL_DEVICE_NAME);
	return 0;
}

static void __exit xepoll_exit(void)
{
	xep_device_exit();
	pr_info("unloaded\n");
}

module_init(xepoll_init);
module_exit(xepoll_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xepoll: an alternative to epoll");
MODULE_AUTHOR("The xepoll developers");
