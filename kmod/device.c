// SPDX-License-Identifier: GPL-2.0
/*
 * The misc device /dev/xepoll.
 *
 * Any user may open the device (mode 0666): what an open file can make the
 * kernel do is bounded by the per-user limits, not by the device's mode.
 * Its ioctls create instances (XEPOLL_IOC_CREATE) and, for binaries of
 * the first ABI, close descriptors (XEPOLL_IOC_CLOSE, deprecated); see
 * ioctl.c.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/xepoll.h>

#include "device.h"
#include "ioctl.h"

static long xep_device_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return xep_ioctl(file, cmd, arg, XEP_IOC_DEVICE);
}

static const struct file_operations xep_device_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= xep_device_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
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
