// SPDX-License-Identifier: GPL-2.0
/*
 * The misc device /dev/xepoll.
 *
 * Any user may open the device (mode 0666): what an open file can make the
 * kernel do is bounded by the per-user limits, not by the device's mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/xepoll.h>

#include "device.h"

static const struct file_operations xep_device_fops = {
	.owner		= THIS_MODULE,
	.llseek		= noop_llseek,
};

static struct miscdevice xep_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= XEPOLL_DEVICE_NAME,
	.fops		= &xep_device_fops,
	.mode		= 0666,
};

int xep_device_init(void)
{
	return misc_register(&xep_miscdev);
}

void xep_device_exit(void)
{
	misc_deregister(&xep_miscdev);
}
