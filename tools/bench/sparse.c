// SPDX-License-Identifier: GPL-2.0
/*
 * Sparse readiness: N fds watched, K of them (chosen at random, the same
 * on every mechanism) made readable each round; the time is that of the
 * wait calls that return the K events, per round. Each fd is read as soon
 * as its event arrives, outside the time, as an event loop would handle
 * it. Level-triggered on epoll, xepoll and poll; edge-triggered on epoll,
 * xepoll and io_uring.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct sparse_arg {
	unsigned long n, k;
	bool edge;
};

struct sparse {
	const struct mech *m;
	const struct sparse_arg *a;
	struct evset *set;
	const int *fds;
	unsigned long *perm;	/* a permutation of 0..n-1; its head is a round's K */
	uint32_t *seen;		/* round in which each fd's event came */
	uint32_t round;
	struct epoll_event *ev;
	uint64_t rng;
};

static double sparse_round(void *ctx)
{
	struct sparse *s = ctx;
	unsigned long n = s->a->n, k = s->a->k, i, j, tmp, got = 0;
	uint64_t t0, ns = 0;
	int ret, e;

	s->round++;
	/* The first k entries of a random permutation: a partial shuffle. */
	for (i = 0; i < k && k < n; i++) {
		j = i + rng_next(&s->rng) % (n - i);
		tmp = s->perm[i];
		s->perm[i] = s->perm[j];
		s->perm[j] = tmp;
	}
	for (i = 0; i < k; i++)
		efd_signal(s->fds[s->perm[i]]);
	while (got < k) {
		t0 = now_ns();
		ret = s->m->wait(s->set, s->ev, (int)n, -1);
		ns += now_ns() - t0;
		if (ret <= 0) {
			warnx_bench("sparse: wait gave %d", ret);
			return -1;
		}
		for (e = 0; e < ret; e++) {
			uint64_t d = s->ev[e].data.u64;

			if (d >= n || s->seen[d] == s->round) {
				warnx_bench("sparse: an event for fd #%llu, not made ready",
					    (unsigned long long)d);
				return -1;
			}
			s->seen[d] = s->round;
			efd_drain(s->fds[d]);
			got++;
		}
	}
	return (double)ns;
}

static bool sparse_run(const struct mech *m, const void *arg, struct sample *out)
{
	const struct sparse_arg *a = arg;
	struct sparse s = {
		.m = m,
		.a = a,
		.rng = 0x9e3779b97f4a7c15ULL,
	};
	unsigned long i;
	bool ok = false;

	s.fds = fd_pool(a->n);
	s.perm = malloc(a->n * sizeof(*s.perm));
	s.seen = calloc(a->n, sizeof(*s.seen));
	s.ev = malloc(a->n * sizeof(*s.ev));
	if (!s.perm || !s.seen || !s.ev)
		die("out of memory");
	for (i = 0; i < a->n; i++)
		s.perm[i] = i;
	s.set = m->open((unsigned int)a->n);
	if (!s.set)
		goto out;
	for (i = 0; i < a->n; i++)
		if (m->add(s.set, s.fds[i], EPOLLIN | (a->edge ? EPOLLET : 0), i))
			goto out_close;
	if (m->flush(s.set))
		goto out_close;
	/* One round untimed: the first wait after the adds is not the same. */
	if (sparse_round(&s) < 0)
		goto out_close;
	out->ns = timed_loop(sparse_round, &s, 3);
	ok = out->ns >= 0;
out_close:
	m->close(s.set);
out:
	free(s.perm);
	free(s.seen);
	free(s.ev);
	return ok;
}

void sparse_cases(case_sink add)
{
	static const unsigned long sizes[] = { 100, 10000, 100000 };
	static struct sparse_arg args[2 * 3 * 3];
	struct bench_case c = {
		.workload = "sparse",
		.unit = "round",
		.run = sparse_run,
	};
	unsigned long ks[3];
	unsigned int i, j, mode, nr = 0;

	for (mode = 0; mode < 2; mode++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (sizes[i] > opts.max_n)
				break;
			ks[0] = 1;
			ks[1] = sizes[i] / 100;
			ks[2] = sizes[i];
			for (j = 0; j < 3; j++) {
				/* 1 % of 100 is 1: one case, not two. */
				if (j && ks[j] <= ks[j - 1])
					continue;
				args[nr] = (struct sparse_arg){
					.n = sizes[i], .k = ks[j], .edge = mode,
				};
				c.arg = &args[nr++];
				c.n = j == 0 ? sizes[i] : 0;
				c.pending = ks[j];
				c.caps = mode ? CAP_EDGE : CAP_LEVEL;
				snprintf(c.params, sizeof(c.params), "n=%lu k=%lu mode=%s",
					 sizes[i], ks[j], mode ? "edge" : "level");
				add(&c);
			}
		}
	}
}
