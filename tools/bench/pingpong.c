// SPDX-License-Identifier: GPL-2.0
/*
 * Ping-pong latency: two threads, each waiting on its own set for its end
 * of a channel (an eventfd pair, a pipe pair, a unix stream socket pair),
 * pass a token back and forth; the time is per round trip, two wake-ups.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

enum channel { CH_EVENTFD, CH_PIPE, CH_UNIX };

static const char *const channel_names[] = { "eventfd", "pipe", "unix" };

/* One side: waits on rx, answers on tx. */
struct side {
	const struct mech *m;
	struct evset *set;
	int rx, tx;
	enum channel ch;
};

#define TOKEN	1
#define STOP	2

static void send_token(const struct side *s, uint8_t v)
{
	uint64_t e = v;
	ssize_t ret;

	if (s->ch == CH_EVENTFD)
		ret = write(s->tx, &e, sizeof(e)) == sizeof(e) ? 1 : -1;
	else
		ret = write(s->tx, &v, 1);
	if (ret != 1)
		die("pingpong: write: %s", strerror(errno));
}

/* Wait for the token and take it; its value. */
static int recv_token(const struct side *s)
{
	struct epoll_event ev;
	uint64_t e;
	uint8_t v;
	int ret;

	do
		ret = s->m->wait(s->set, &ev, 1, -1);
	while (ret == 0 || ret == -EINTR);
	if (ret < 0)
		return -1;
	if (s->ch == CH_EVENTFD) {
		if (read(s->rx, &e, sizeof(e)) != sizeof(e))
			return -1;
		return (int)e;
	}
	if (read(s->rx, &v, 1) != 1)
		return -1;
	return v;
}

static void *echo_side(void *arg)
{
	struct side *s = arg;
	int v;

	while ((v = recv_token(s)) == TOKEN)
		send_token(s, TOKEN);
	return v == STOP ? NULL : s;
}

static double round_trip(void *ctx)
{
	struct side *s = ctx;
	uint64_t t0 = now_ns();

	send_token(s, TOKEN);
	if (recv_token(s) != TOKEN)
		return -1;
	return (double)(now_ns() - t0);
}

/* Two one-way channels: a[0] -> a[1] and b[0] -> b[1]. */
static void channel_open(enum channel ch, int *a, int *b)
{
	int sv[2];

	switch (ch) {
	case CH_EVENTFD:
		a[0] = a[1] = eventfd(0, EFD_CLOEXEC);
		b[0] = b[1] = eventfd(0, EFD_CLOEXEC);
		if (a[0] < 0 || b[0] < 0)
			die("eventfd: %s", strerror(errno));
		return;
	case CH_PIPE:
		if (pipe(sv) || (a[1] = sv[0], a[0] = sv[1], pipe(sv)))
			die("pipe: %s", strerror(errno));
		b[1] = sv[0];
		b[0] = sv[1];
		return;
	case CH_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair: %s", strerror(errno));
		a[0] = b[1] = sv[0];
		a[1] = b[0] = sv[1];
		return;
	}
	die("no channel %d", (int)ch);
}

static void channel_close(enum channel ch, int *a, int *b)
{
	close(a[0]);
	close(b[0]);
	if (ch == CH_PIPE) {
		close(a[1]);
		close(b[1]);
	}
}

static bool pingpong_run(const struct mech *m, const void *arg, struct sample *out)
{
	enum channel ch = (enum channel)(uintptr_t)arg;
	struct side me = { .m = m, .ch = ch }, peer = { .m = m, .ch = ch };
	int a[2] = { -1, -1 }, b[2] = { -1, -1 };
	pthread_t t;
	void *failed;
	bool ok = false;

	channel_open(ch, a, b);
	/* a carries ping to the peer, b the answer back. */
	me.tx = a[0];
	peer.rx = a[1];
	peer.tx = b[0];
	me.rx = b[1];
	me.set = m->open(1);
	peer.set = m->open(1);
	if (!me.set || !peer.set)
		goto out;
	if (m->add(me.set, me.rx, EPOLLIN, 0) || m->add(peer.set, peer.rx, EPOLLIN, 0) ||
	    m->flush(me.set) || m->flush(peer.set))
		goto out;
	if (pthread_create(&t, NULL, echo_side, &peer))
		die("pthread_create");
	out->ns = timed_loop(round_trip, &me, 10);
	send_token(&me, STOP);
	pthread_join(t, &failed);
	ok = out->ns >= 0 && !failed;
out:
	if (me.set)
		m->close(me.set);
	if (peer.set)
		m->close(peer.set);
	channel_close(ch, a, b);
	return ok;
}

void pingpong_cases(case_sink add)
{
	struct bench_case c = {
		.workload = "pingpong",
		.unit = "round trip",
		.run = pingpong_run,
	};
	unsigned int ch;

	for (ch = CH_EVENTFD; ch <= CH_UNIX; ch++) {
		c.arg = (const void *)(uintptr_t)ch;
		snprintf(c.params, sizeof(c.params), "channel=%s", channel_names[ch]);
		add(&c);
	}
}
