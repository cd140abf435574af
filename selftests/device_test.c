// SPDX-License-Identifier: GPL-2.0
/*
 * The device node: /dev/xepoll exists while the module is loaded, is a misc
 * character device any user may open, and refuses what it does not offer.
 *
 * tests.list runs this file as root and as an unprivileged user.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/xepoll.h>

#include "kselftest_harness.h"

#define XEPOLL_PATH "/dev/" XEPOLL_DEVICE_NAME
#define MISC_MAJOR 10

TEST(node_is_misc_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(XEPOLL_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
}

TEST(node_mode_is_0666)
{
	struct stat st;

	ASSERT_EQ(0, stat(XEPOLL_PATH, &st));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST(open_read_write)
{
	int fd = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", XEPOLL_PATH, strerror(errno));
	EXPECT_EQ(0, close(fd));
}

TEST(unknown_ioctl_is_enotty)
{
	int fd = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, _IO('x', 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(read_and_write_are_refused)
{
	char buf[8] = { 0 };
	int fd = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
