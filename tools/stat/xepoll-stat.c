// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-stat: what xepoll is doing, in readable tables.
 *
 *   xepoll-stat            the limit, the totals and each user's use
 *   xepoll-stat PID...     also the instances each process holds, with
 *                          their rings and registrations (from fdinfo)
 *
 * It reads /sys/kernel/xepoll/ and /proc; it needs no privilege beyond
 * what reading another process's /proc/PID/fd takes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYSFS_DIR "/sys/kernel/xepoll"

/* Read one line of a small file into @buf; 0 on success, -1 on error. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

static void show_value(const char *label, const char *name)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), SYSFS_DIR "/%s", name);
	if (read_line(path, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "? (%s)", strerror(errno));
	printf("  %-34s %s\n", label, buf);
}

static const char *user_name(unsigned int uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : "?";
}

static int show_system(void)
{
	unsigned int uid, instances;
	long watches, limit = -1;
	char buf[64];
	FILE *f;

	if (access(SYSFS_DIR, F_OK)) {
		fprintf(stderr, "xepoll-stat: %s: %s (is the module loaded?)\n",
			SYSFS_DIR, strerror(errno));
		return -1;
	}
	if (!read_line(SYSFS_DIR "/max_user_watches", buf, sizeof(buf)))
		limit = strtol(buf, NULL, 10);

	printf("xepoll\n");
	show_value("watch limit per user", "max_user_watches");
	show_value("live instances", "instances");
	show_value("live watches", "watches");
	show_value("events delivered since load", "events");
	show_value("wake-up callbacks since load", "wakeups");
	show_value("ring cells filled since load", "ring_cells");
	show_value("ring overflows since load", "ring_overflows");

	printf("\nper user\n  %-8s %-16s %10s %10s %8s\n",
	       "uid", "user", "instances", "watches", "of limit");
	f = fopen(SYSFS_DIR "/users", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%u %u %ld", &uid, &instances, &watches) == 3)
		printf("  %-8u %-16s %10u %10ld %7.1f%%\n", uid, user_name(uid),
		       instances, watches,
		       limit > 0 ? 100.0 * (double)watches / (double)limit : 0.0);
	fclose(f);
	return 0;
}

/*
 * One instance: its fdinfo's "ring:" line, if it has a ring, and its
 * registrations, the "tfd:" lines.
 */
static void show_instance(const char *pid, const char *fd)
{
	char path[PATH_MAX], line[256];
	int tfd, n = 0, ring = 0;
	unsigned int events, entries = 0;
	unsigned long long data, filled = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		n += !strncmp(line, "tfd:", 4);
		if (sscanf(line, "ring: entries: %u filled: %llu", &entries,
			   &filled) == 2)
			ring = 1;
	}
	printf("  instance fd %-5s %d registration%s\n", fd, n, n == 1 ? "" : "s");
	if (ring)
		printf("    ring of %u entries, %llu cell%s filled\n", entries,
		       filled, filled == 1 ? "" : "s");
	if (n) {
		rewind(f);
		printf("    %8s %10s %18s\n", "fd", "events", "data");
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "tfd: %d events: %x data: %llx",
				   &tfd, &events, &data) == 3)
				printf("    %8d %#10x %#18llx\n", tfd, events, data);
	}
	fclose(f);
}

static int show_process(const char *pid)
{
	char dir[PATH_MAX], target[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "xepoll-stat: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	printf("\nprocess %s\n", pid);
	while ((de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[xepoll]"))
			continue;
		show_instance(pid, de->d_name);
		found++;
	}
	closedir(d);
	if (!found)
		printf("  no xepoll instance\n");
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: xepoll-stat [PID...]\n");
		return 0;
	}
	if (show_system())
		ret = 1;
	for (int i = 1; i < argc; i++)
		if (show_process(argv[i]))
			ret = 1;
	return ret;
}
