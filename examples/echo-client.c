// SPDX-License-Identifier: GPL-2.0
/*
 * echo-client: many connections to an echo server, checked, on libxepoll.
 *
 *   echo-client PORT CONNECTIONS ROUNDS
 *
 * Opens CONNECTIONS connections to 127.0.0.1:PORT, registers them all with
 * one xepoll_ctl_batch() call (one system call for the lot, where epoll
 * takes one epoll_ctl() each), then ROUNDS times sends a line on every
 * connection and waits, with xepoll_wait_min(), until every reply is back
 * and is what was sent. Exits 0 if every reply was right.
 * Build it with: cc echo-client.c $(pkg-config --cflags --libs libxepoll)
 */
#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xepoll.h>

#define MAX_CONNS 1024

int main(int argc, char **argv)
{
	static struct xepoll_change changes[MAX_CONNS];
	static struct epoll_event events[MAX_CONNS];
	static int fds[MAX_CONNS];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timespec timeout = { .tv_sec = 10 };
	int conns, rounds, epfd, done;

	if (argc != 4)
		errx(2, "usage: echo-client PORT CONNECTIONS ROUNDS");
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conns = atoi(argv[2]);
	rounds = atoi(argv[3]);
	if (conns < 1 || conns > MAX_CONNS || rounds < 1)
		errx(2, "CONNECTIONS is 1 to %d, ROUNDS at least 1", MAX_CONNS);

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		err(1, "xepoll_create1 (is the xepoll module loaded?)");

	/* Connect, and describe each registration: its data is its index. */
	for (int i = 0; i < conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&addr, sizeof(addr)))
			err(1, "connection %d", i);
		xepoll_change_set(&changes[i], EPOLL_CTL_ADD, fds[i], EPOLLIN,
				  (uint64_t)i);
	}
	/* All of them in one call, with a result for each. */
	done = xepoll_ctl_batch(epfd, changes, (unsigned int)conns,
				XEPOLL_SUBMIT_STOP_ON_ERROR);
	if (done < 0)
		err(1, "xepoll_ctl_batch");
	if (done != conns || changes[conns - 1].result)
		errx(1, "registration %d failed: %s", done - 1,
		     strerror(-changes[done - 1].result));

	for (int r = 0; r < rounds; r++) {
		int pending = conns;

		for (int i = 0; i < conns; i++) {
			char line[64];
			int len = snprintf(line, sizeof(line), "round %d, connection %d\n", r, i);

			if (write(fds[i], line, (size_t)len) != len)
				err(1, "write");
		}
		/* Wake up once every reply is in, or 1 ms after the first. */
		while (pending > 0) {
			int n = xepoll_wait_min(epfd, events, conns, pending,
						1000000, &timeout, NULL);

			if (n <= 0)
				err(1, "round %d: %d replies missing", r, pending);
			for (int k = 0; k < n; k++) {
				int i = (int)events[k].data.u64;
				char want[64], got[64];
				int len = snprintf(want, sizeof(want),
						   "round %d, connection %d\n", r, i);

				/* The line is short: it comes back whole. */
				if (read(fds[i], got, sizeof(got)) != len ||
				    memcmp(got, want, (size_t)len))
					errx(1, "round %d: connection %d: wrong reply", r, i);
				pending--;
			}
		}
	}
	printf("%d connections, %d rounds: every reply was right\n", conns, rounds);
	for (int i = 0; i < conns; i++)
		close(fds[i]);
	close(epfd);
	return 0;
}
