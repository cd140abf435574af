// SPDX-License-Identifier: GPL-2.0
/*
 * echo-server: a TCP echo server on libxepoll.
 *
 *   echo-server PORT [CONNECTIONS]
 *
 * Listens on 127.0.0.1:PORT and sends back whatever each client sends. With
 * CONNECTIONS, it exits once that many connections have come and gone.
 *
 * It is an epoll program with xepoll_ in front of each epoll call, and
 * nothing else changed: a watched socket is closed with close(), which
 * drops its registration at the socket's last close, as with epoll.
 * Build it with: cc echo-server.c $(pkg-config --cflags --libs libxepoll)
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xepoll.h>

#define MAX_EVENTS 64

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct epoll_event ev, events[MAX_EVENTS];
	long to_serve = argc > 2 ? atol(argv[2]) : -1;
	int epfd, lfd, one = 1;

	if (argc < 2 || argc > 3)
		errx(2, "usage: echo-server PORT [CONNECTIONS]");
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		err(1, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 128))
		err(1, "bind or listen on port %s", argv[1]);

	/* An xepoll instance, watching the listening socket. */
	epfd = xepoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		err(1, "xepoll_create1 (is the xepoll module loaded?)");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (xepoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev))
		err(1, "xepoll_ctl");

	while (to_serve != 0) {
		int n = xepoll_wait(epfd, events, MAX_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err(1, "xepoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			char buf[4096];
			ssize_t len;

			if (fd == lfd) {
				/* A new client: watch it for input. */
				int cfd = accept4(lfd, NULL, NULL,
						  SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (cfd < 0)
					continue;
				ev.events = EPOLLIN;
				ev.data.fd = cfd;
				if (xepoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev))
					err(1, "xepoll_ctl");
				continue;
			}
			/* Input, or the end of it: echo what came. */
			len = read(fd, buf, sizeof(buf));
			if (len > 0) {
				/* Short replies; a real server would queue the rest. */
				if (write(fd, buf, (size_t)len) != len)
					warnx("short write to a client");
				continue;
			}
			if (len < 0 && errno == EAGAIN)
				continue;
			/* The client is gone: close, and forget it. */
			if (close(fd))
				warn("close");
			if (to_serve > 0)
				to_serve--;
		}
	}
	close(epfd);
	close(lfd);
	return 0;
}
