// SPDX-License-Identifier: GPL-2.0
/*
 * Loopback TCP echo: a server thread and a client thread, each an event
 * loop on the mechanism measured, over C connections. Every connection
 * keeps one 64-byte request in flight: the client sends it, the server
 * echoes it, the client sends the next when the answer is whole. The time
 * is per request; the second figure is the server's wake-ups per request,
 * the times its thread went to sleep and was woken (its voluntary context
 * switches): fewer means more requests handled per wake-up.
 *
 * With min_events, the server waits for a minimum batch (CAP_MINWAIT:
 * xepoll's xepoll_wait_min()): at least min_events events, or min_wait
 * after the first. epoll, which has no such wait, runs the same load with
 * its plain wait as the reference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MSG		64
#define DATA_STOP	UINT32_MAX

struct echo_arg {
	int conns;
	int min_events;
	unsigned int min_wait_us;
};

struct echo {
	const struct mech *m;
	const struct echo_arg *a;
	int conns;
	int *srv, *cli;		/* the two ends of each connection */
	int stop;		/* tells the server to go */
	long server_wakeups;
};

static void nonblock_nodelay(int fd)
{
	int one = 1;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("socket options: %s", strerror(errno));
}

/* C connected pairs over 127.0.0.1. */
static void echo_connect(struct echo *e)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd, i;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4096) || getsockname(lfd, (struct sockaddr *)&sin, &len))
		die("listen: %s", strerror(errno));
	for (i = 0; i < e->conns; i++) {
		e->cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (e->cli[i] < 0 ||
		    connect(e->cli[i], (struct sockaddr *)&sin, sizeof(sin)))
			die("connect: %s", strerror(errno));
		e->srv[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (e->srv[i] < 0)
			die("accept: %s", strerror(errno));
		nonblock_nodelay(e->cli[i]);
		nonblock_nodelay(e->srv[i]);
	}
	close(lfd);
}

static void *echo_server(void *arg)
{
	struct echo *e = arg;
	struct epoll_event *ev = malloc((size_t)e->conns * sizeof(*ev) + sizeof(*ev));
	struct evset *set = e->m->open((unsigned int)e->conns + 1);
	struct rusage r0, r1;
	char buf[4096];
	ssize_t r;
	int i, n, fd;

	if (!ev || !set)
		return e;
	for (i = 0; i < e->conns; i++)
		if (e->m->add(set, e->srv[i], EPOLLIN, (uint64_t)i))
			return e;
	if (e->m->add(set, e->stop, EPOLLIN, DATA_STOP) || e->m->flush(set))
		return e;
	getrusage(RUSAGE_THREAD, &r0);
	for (;;) {
		if (e->a->min_events > 1 && (e->m->caps & CAP_MINWAIT))
			n = e->m->wait_min(set, ev, e->conns + 1, e->a->min_events,
					   e->a->min_wait_us * 1000ULL);
		else
			n = e->m->wait(set, ev, e->conns + 1, -1);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return e;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == DATA_STOP) {
				getrusage(RUSAGE_THREAD, &r1);
				e->server_wakeups = r1.ru_nvcsw - r0.ru_nvcsw;
				e->m->close(set);
				free(ev);
				return NULL;
			}
			fd = e->srv[ev[i].data.u64];
			/* Echo all there is: the set may report edges only. */
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				if (write(fd, buf, (size_t)r) != r)
					return e;
		}
	}
}

/*
 * The client: a request in flight on every connection, until the time is
 * up; the requests answered.
 */
static long echo_client(struct echo *e, uint64_t ns)
{
	struct epoll_event *ev = malloc((size_t)e->conns * sizeof(*ev));
	struct evset *set = e->m->open((unsigned int)e->conns);
	int *have = calloc((size_t)e->conns, sizeof(*have));
	char msg[MSG] = "xepoll-bench echo request", buf[4096];
	uint64_t t0 = now_ns();
	long done = 0;
	ssize_t r;
	int i, n;

	if (!ev || !set || !have)
		die("out of memory");
	for (i = 0; i < e->conns; i++)
		if (e->m->add(set, e->cli[i], EPOLLIN, (uint64_t)i))
			return -1;
	if (e->m->flush(set))
		return -1;
	for (i = 0; i < e->conns; i++)
		if (write(e->cli[i], msg, MSG) != MSG)
			return -1;
	while (now_ns() - t0 < ns || done < 4L * e->conns) {
		n = e->m->wait(set, ev, e->conns, -1);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++) {
			int c = (int)ev[i].data.u64;

			while ((r = read(e->cli[c], buf, sizeof(buf))) > 0)
				have[c] += (int)r;
			if (have[c] < MSG)
				continue;
			if (have[c] > MSG)
				die("echo: more than one answer in flight");
			have[c] = 0;
			done++;
			if (write(e->cli[c], msg, MSG) != MSG)
				return -1;
		}
	}
	e->m->close(set);
	free(ev);
	free(have);
	return done;
}

static bool echo_run(const struct mech *m, const void *arg, struct sample *out)
{
	const struct echo_arg *a = arg;
	struct echo e = { .m = m, .a = a, .conns = a->conns };
	uint64_t t0, ns = (uint64_t)(opts.min_sample_ms * 1e6) * 4;
	pthread_t t;
	void *failed;
	long done;
	int i;

	e.srv = malloc((size_t)e.conns * sizeof(int));
	e.cli = malloc((size_t)e.conns * sizeof(int));
	e.stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!e.srv || !e.cli || e.stop < 0)
		die("out of memory or descriptors");
	raise_nofile(2UL * (unsigned long)e.conns + 4096);
	echo_connect(&e);
	if (pthread_create(&t, NULL, echo_server, &e))
		die("pthread_create");
	t0 = now_ns();
	done = echo_client(&e, ns);
	out->ns = done > 0 ? (double)(now_ns() - t0) / (double)done : -1;
	efd_signal(e.stop);
	pthread_join(t, &failed);
	out->extra = done > 0 ? (double)e.server_wakeups / (double)done : -1;
	for (i = 0; i < e.conns; i++) {
		close(e.srv[i]);
		close(e.cli[i]);
	}
	close(e.stop);
	free(e.srv);
	free(e.cli);
	return done > 0 && !failed;
}

void echo_cases(case_sink add)
{
	static const struct echo_arg args[] = {
		{ .conns = 10 },
		{ .conns = 100 },
		{ .conns = 100, .min_events = 16, .min_wait_us = 200 },
		{ .conns = 1000 },
	};
	struct bench_case c = {
		.workload = "echo",
		.unit = "request",
		.extra_name = "server_wakeups_per_request",
		.run = echo_run,
	};
	unsigned int i;

	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		if ((unsigned long)args[i].conns > opts.max_n)
			continue;
		c.arg = &args[i];
		c.caps = args[i].min_events ? CAP_MINWAIT : 0;
		c.epoll_baseline = args[i].min_events;
		if (args[i].min_events)
			snprintf(c.params, sizeof(c.params),
				 "conns=%d min_events=%d min_wait_us=%u",
				 args[i].conns, args[i].min_events, args[i].min_wait_us);
		else
			snprintf(c.params, sizeof(c.params), "conns=%d", args[i].conns);
		add(&c);
	}
}
