/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers for the tests that read and write /sys/kernel/xepoll/ and
 * /proc/sys/fs/epoll/: whole-file reads, one-shot writes, the per-user line
 * of /sys/kernel/xepoll/users.
 */
#ifndef XEPOLL_SELFTESTS_SYSFS_UTIL_H
#define XEPOLL_SELFTESTS_SYSFS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XEP_SYSFS		"/sys/kernel/xepoll"
#define XEP_KNOB		XEP_SYSFS "/max_user_watches"
#define EP_KNOB			"/proc/sys/fs/epoll/max_user_watches"
#define NOBODY_UID		65534

/* Read @path into @buf (NUL-terminated); bytes read, or -errno. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t len, n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (len = 0; len < (ssize_t)size - 1; len += n) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* The number in @path, or LONG_MIN if it cannot be read. */
static inline long read_long(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -0x7fffffffffffffffL - 1;
	return strtol(buf, NULL, 10);
}

/* One write(2) of @str to @path: 0, or -errno of open() or write(). */
static inline int write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, str, strlen(str)) != (ssize_t)strlen(str))
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

static inline int write_long(const char *path, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", val);
	return write_str(path, buf);
}

/*
 * @uid's line of /sys/kernel/xepoll/users: 1 and its counts if there is
 * one, 0 if there is none, -errno if the file cannot be read.
 */
static inline int xep_user_use(unsigned int uid, unsigned int *instances,
			       long *watches)
{
	char buf[4096], *line, *save = NULL;
	unsigned int u, i;
	ssize_t len;
	long w;

	len = read_file(XEP_SYSFS "/users", buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %ld", &u, &i, &w) == 3 && u == uid) {
			*instances = i;
			*watches = w;
			return 1;
		}
	}
	*instances = 0;
	*watches = 0;
	return 0;
}

/* @uid's watches per /sys/kernel/xepoll/users (0 without a line). */
static inline long xep_user_watches(unsigned int uid)
{
	unsigned int instances;
	long watches;

	if (xep_user_use(uid, &instances, &watches) < 0)
		return -1;
	return watches;
}

#endif /* XEPOLL_SELFTESTS_SYSFS_UTIL_H */
