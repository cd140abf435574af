// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-demo: show, in plain words, that xepoll works end to end.
 *
 * make run boots a kernel with the module loaded and runs this program in
 * the guest; it also runs on any machine where the module is loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/xepoll.h>

#define XEPOLL_PATH "/dev/" XEPOLL_DEVICE_NAME

static int failures;

static void say(const char *what)
{
	printf("  %s\n", what);
}

static void fail(const char *what)
{
	printf("  FAILED: %s: %s\n", what, strerror(errno));
	failures++;
}

static void show_module(void)
{
	char state[32] = "";
	FILE *f = fopen("/sys/module/xepoll/initstate", "r");

	if (!f) {
		fail("the xepoll module is not loaded (/sys/module/xepoll)");
		return;
	}
	if (fgets(state, sizeof(state), f))
		state[strcspn(state, "\n")] = '\0';
	fclose(f);
	printf("  The xepoll module is loaded (its state is \"%s\").\n", state);
}

static void show_node(void)
{
	struct stat st;

	if (stat(XEPOLL_PATH, &st)) {
		fail("stat " XEPOLL_PATH);
		return;
	}
	printf("  %s is a %s, number %u:%u, mode %04o.\n", XEPOLL_PATH,
	       S_ISCHR(st.st_mode) ? "character device" : "file of the wrong type",
	       major(st.st_rdev), minor(st.st_rdev),
	       (unsigned int)(st.st_mode & 07777));
}

/* Open the device as @uid (after dropping to it, if not root). */
static void open_as(uid_t uid)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		fail("fork");
		return;
	}
	if (pid == 0) {
		int fd;

		if (uid && (setgid(uid) || setuid(uid)))
			_exit(2);
		fd = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		printf("  A process with uid %u opened %s: it got fd %d.\n",
		       (unsigned int)uid, XEPOLL_PATH, fd);
		errno = 0;
		if (ioctl(fd, _IO('x', 0xff), 0) == -1 && errno == ENOTTY)
			printf("  An ioctl the device does not know was refused with ENOTTY.\n");
		else
			_exit(3);
		close(fd);
		_exit(0);
	}
	fflush(stdout);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		errno = EACCES;
		fail("a process with that uid could not use the device");
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("xepoll demonstration\n\n");
	show_module();
	show_node();
	open_as(0);
	open_as(65534);
	say("");
	say("This is the foundation: the device and its test loop. Instances,");
	say("interest lists and waits come with the core.");
	printf("\n%s\n", failures ? "Something did not work; see FAILED above."
				  : "Everything shown worked.");
	return failures ? 1 : 0;
}
