// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own epoll benchmarks, `perf bench epoll wait` and `perf
 * bench epoll ctl` (Debian's linux-perf), unmodified: run natively for
 * epoll and with LD_PRELOAD=libxepoll-preload.so for xepoll, so that the
 * interposer's whole path, an unmodified program's calls through libxepoll
 * to the module, is measured against the epoll it stands in for.
 *
 *   perf-wait	`perf bench epoll wait`: worker threads each wait for one
 *		event at a time on a set of eventfds that a writer thread
 *		keeps making readable, and read it; an operation is one
 *		epoll_wait() and its read() (and the re-ADD of an edge-
 *		triggered fd that perf does). mode=level (perf's default),
 *		edge (-E), multiq (-m: one instance per worker) and nested
 *		(-N: the set holds a chain of N empty instances).
 *   perf-ctl	`perf bench epoll ctl`: each thread adds, modifies and
 *		deletes its eventfds in turn, then sleeps 250 ns; an
 *		operation is one epoll_ctl().
 *
 * A case's parameters are perf's options: t= worker threads (-t), f= fds
 * per thread (-f), N= the nesting (-N), r= seconds (-r). perf runs for a
 * fixed time, so the sample is its throughput: the ops per second of all
 * its worker threads together, as perf prints them (the sum of its
 * per-thread lines; for ctl, whose lines give counts, their sum over the
 * seconds asked for), kept as sample.extra; sample.ns is its inverse, the
 * time per operation, which the runner compares like every other time.
 *
 * A run that was not what it says fails: the interposed run must have
 * made all of perf's instances anon_inode:[xepoll] and none
 * anon_inode:[eventpoll] (perf's descriptors are looked at while it
 * runs), and, for wait, /sys/kernel/xepoll/events and ring_cells together
 * must have grown by at least the operations perf counted; the native run the reverse, so a
 * silent fallback to epoll cannot pass for xepoll.
 *
 * perf is found in PATH, or at XEPOLL_BENCH_PERF; the interposer at
 * XEPOLL_PRELOAD (/lib/libxepoll-preload.so, where the test guest has
 * it). Without perf the cases are left out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define PERF_MAX_ARGS	16
#define PERF_OUT_MAX	(64 * 1024)
#define PERF_THREADS	1
#define PERF_FDS	64
#define PERF_SECS	2
#define DEFAULT_PRELOAD	"/lib/libxepoll-preload.so"
#define EVENTS_FILE	"/sys/kernel/xepoll/events"
#define RING_CELLS_FILE	"/sys/kernel/xepoll/ring_cells"

enum perf_bench { PB_WAIT, PB_CTL };

struct perf_arg {
	enum perf_bench bench;
	const char *mode;	/* the wait's option: "-E", "-m", "-N" or NULL */
	unsigned int nested;	/* -N's level */
	unsigned int threads, fds, secs;
};

static const char *perf_path(void)
{
	const char *p = getenv("XEPOLL_BENCH_PERF");

	return p && *p ? p : "perf";
}

static const char *preload_path(void)
{
	const char *p = getenv("XEPOLL_PRELOAD");

	return p && *p ? p : DEFAULT_PRELOAD;
}

/* Whether @prog names an executable, itself or found in PATH. */
static bool executable(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];
	const char *p, *end;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (p = path ? path : "/bin:/usr/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, prog);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* The instances perf makes: one per worker with -m, each with its chain. */
static unsigned int perf_instances(const struct perf_arg *a)
{
	bool multiq = a->mode && !strcmp(a->mode, "-m");

	return (multiq ? a->threads : 1) * (1 + a->nested);
}

/* Of @pid's descriptors, how many are xepoll and how many epoll instances. */
static void fd_kinds(pid_t pid, unsigned int *xep, unsigned int *ep)
{
	char dir[64], link[64];
	struct dirent *d;
	DIR *dp;
	ssize_t n;

	*xep = *ep = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dp), d->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:[xepoll]"))
			(*xep)++;
		else if (!strcmp(link, "anon_inode:[eventpoll]"))
			(*ep)++;
	}
	closedir(dp);
}

/* A counter of /sys/kernel/xepoll, or -1 without it. */
static long long xepoll_counter(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * xepoll's count of events delivered, or -1 without the module: those a
 * wait reported, and the ring's cells, which the interposer reaps from an
 * edge-triggered registration's ring without a wait of the kernel's.
 */
static long long xepoll_events(void)
{
	long long ev = xepoll_counter(EVENTS_FILE);
	long long cells = xepoll_counter(RING_CELLS_FILE);

	return ev < 0 ? -1 : ev + (cells < 0 ? 0 : cells);
}

/* The number after the first @key in @text (skipping blanks), or -1. */
static double number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char *end;
	double v;

	if (!p)
		return -1;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? -1 : v;
}

/* The number that ends just before @at (blanks skipped), or -1. */
static double number_before(const char *start, const char *at)
{
	const char *p = at;

	while (p > start && p[-1] == ' ')
		p--;
	while (p > start && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == at || *p < '0' || *p > '9')
		return -1;
	return strtod(p, NULL);
}

/*
 * The wait's throughput, all workers together: the sum of its per-thread
 * lines, "[thread  0] fdmap: ... [ 12345 ops/sec ]", which should be as
 * many as the threads it announced ("Run summary [PID n]: T threads
 * ..."); their average, "Averaged N operations/sec", must agree. -1 if
 * the output is not of that form.
 */
static double parse_wait(const char *out, unsigned int threads, double *ops)
{
	const char *line, *end, *p;
	double sum = 0, v, avg;
	unsigned int lines = 0;

	for (line = out; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (strncmp(line, "[thread", 7))
			continue;
		p = strstr(line, " ops/sec");
		if (!p || p > end)
			continue;
		v = number_before(line, p);
		if (v < 0)
			return -1;
		sum += v;
		lines++;
	}
	avg = number_after(out, "Averaged ");
	v = number_after(out, "total secs =");
	if (lines != threads || avg < 0 || v < 1 || !strstr(out, "operations/sec"))
		return -1;
	/* perf's average is of integers, and printed as one. */
	if (sum / threads - avg > 1 || avg - sum / threads > 1)
		return -1;
	*ops = sum * v;
	return sum;
}

/*
 * The ctl's throughput: "Averaged N ADD operations", MOD and DEL, each
 * the count per thread over the run, times the threads, over the @secs
 * it ran for.
 */
static double parse_ctl(const char *out, const struct perf_arg *a,
			unsigned int secs, double *ops)
{
	static const char *const keys[] = { "ADD operations", "MOD operations",
					    "DEL operations" };
	double sum = 0, v;
	const char *p;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		p = strstr(out, keys[i]);
		if (!p)
			return -1;
		v = number_before(out, p);
		if (v < 0)
			return -1;
		sum += v;
	}
	*ops = sum * a->threads;
	return sum * a->threads / secs;
}

/*
 * Run perf with @argv, on xepoll through the interposer or natively, for
 * about @secs seconds; its output into @out; what its descriptors showed
 * into @xep and @ep (the most of each kind seen while it ran, looked at
 * until @want of either kind were seen). perf's exit status, or -1.
 */
static int perf_exec(char *const *argv, bool interpose, unsigned int secs,
		     unsigned int want, char *out, size_t size,
		     unsigned int *xep, unsigned int *ep)
{
	/* perf's own time, twice, and a minute more for a slow machine. */
	uint64_t deadline = now_ns() + (60 + 2 * (uint64_t)secs) * 1000000000ULL;
	int pipefd[2], status;
	char scratch[512];
	unsigned int x, e;
	struct pollfd pfd;
	size_t len = 0;
	pid_t pid;
	ssize_t n;

	*xep = *ep = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		unsetenv("XEPOLL_PRELOAD_FALLBACK");
		if (interpose)
			setenv("LD_PRELOAD", preload_path(), 1);
		else
			unsetenv("LD_PRELOAD");
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	for (;;) {
		n = poll(&pfd, 1, 200);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (n > 0) {
			/* What does not fit is read and dropped. */
			if (len < size - 1)
				n = read(pipefd[0], out + len, size - 1 - len);
			else
				n = read(pipefd[0], scratch, sizeof(scratch));
			if (!n)
				break;
			if (n < 0 && errno != EINTR)
				die("read: %s", strerror(errno));
			if (n > 0 && len < size - 1)
				len += (size_t)n;
		}
		if (*xep < want && *ep < want) {
			fd_kinds(pid, &x, &e);
			if (x > *xep)
				*xep = x;
			if (e > *ep)
				*ep = e;
		}
		if (now_ns() > deadline) {
			warnx_bench("%s ran for more than %u s: killed", argv[0],
				    60 + 2 * secs);
			kill(pid, SIGKILL);
			break;
		}
	}
	out[len] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool perf_run(const struct mech *m, const void *arg, struct sample *s)
{
	const struct perf_arg *a = arg;
	bool interpose = m == &mech_xepoll;
	unsigned int want = perf_instances(a), secs = opts.quick ? 1 : a->secs;
	char t[16], f[16], nest[16], r[16], *argv[PERF_MAX_ARGS] = { 0 };
	unsigned int xep, ep, i = 0;
	long long ev0, ev1;
	double rate, ops = 0;
	char *out;
	int rc;

	if (interpose && access(preload_path(), R_OK)) {
		warnx_bench("no interposer at %s (XEPOLL_PRELOAD): %s",
			    preload_path(), strerror(errno));
		return false;
	}
	snprintf(t, sizeof(t), "%u", a->threads);
	snprintf(f, sizeof(f), "%u", a->fds);
	snprintf(nest, sizeof(nest), "%u", a->nested);
	snprintf(r, sizeof(r), "%u", secs);
	argv[i++] = (char *)perf_path();
	argv[i++] = "bench";
	argv[i++] = "epoll";
	argv[i++] = a->bench == PB_WAIT ? "wait" : "ctl";
	argv[i++] = "-t";
	argv[i++] = t;
	argv[i++] = "-f";
	argv[i++] = f;
	argv[i++] = "-r";
	argv[i++] = r;
	if (a->mode)
		argv[i++] = (char *)a->mode;
	if (a->nested)
		argv[i++] = nest;

	out = malloc(PERF_OUT_MAX);
	if (!out)
		die("out of memory");
	ev0 = xepoll_events();
	rc = perf_exec(argv, interpose, secs, want, out, PERF_OUT_MAX, &xep, &ep);
	ev1 = xepoll_events();
	if (rc) {
		warnx_bench("perf bench epoll %s exited with %d:\n%s", argv[3], rc, out);
		goto fail;
	}
	rate = a->bench == PB_WAIT ? parse_wait(out, a->threads, &ops)
				   : parse_ctl(out, a, secs, &ops);
	if (rate <= 0) {
		warnx_bench("perf bench epoll %s: no throughput in its output:\n%s",
			    argv[3], out);
		goto fail;
	}
	if (interpose ? ep || xep < want : xep || ep < want) {
		warnx_bench("perf bench epoll %s %s: %u xepoll and %u epoll instances seen, %u %s ones expected",
			    argv[3], interpose ? "through the interposer" : "natively",
			    xep, ep, want, interpose ? "xepoll" : "epoll");
		goto fail;
	}
	if (interpose && a->bench == PB_WAIT && (ev0 < 0 || ev1 - ev0 < ops)) {
		warnx_bench("perf bench epoll wait through the interposer: %s grew by %lld for %.0f operations",
			    EVENTS_FILE, ev0 < 0 ? -1 : ev1 - ev0, ops);
		goto fail;
	}
	s->extra = rate;
	s->ns = 1e9 / rate;
	free(out);
	return true;
fail:
	free(out);
	return false;
}

void perf_cases(case_sink add)
{
	static const struct perf_arg waits[] = {
		{ PB_WAIT, NULL, 0, PERF_THREADS, PERF_FDS, PERF_SECS },
		{ PB_WAIT, "-E", 0, PERF_THREADS, PERF_FDS, PERF_SECS },
		{ PB_WAIT, "-m", 0, PERF_THREADS, PERF_FDS, PERF_SECS },
		{ PB_WAIT, "-N", 2, PERF_THREADS, PERF_FDS, PERF_SECS },
	};
	static const char *const modes[] = { "level", "edge", "multiq", "nested" };
	static const struct perf_arg ctl = {
		PB_CTL, NULL, 0, PERF_THREADS, PERF_FDS, PERF_SECS,
	};
	struct bench_case c = {
		.unit = "op",
		.extra_name = "ops_per_sec",
		.caps = CAP_PRELOAD,
		.throughput = true,
		.run = perf_run,
	};
	unsigned int i;

	if (!executable(perf_path())) {
		if (workload_wanted("perf-wait") || workload_wanted("perf-ctl"))
			printf("xepoll-bench: no %s here (Debian's linux-perf); the perf-wait and perf-ctl cases are left out\n",
			       perf_path());
		return;
	}
	c.workload = "perf-wait";
	for (i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		const struct perf_arg *a = &waits[i];

		if (a->nested)
			snprintf(c.params, sizeof(c.params), "mode=%s N=%u t=%u f=%u r=%u",
				 modes[i], a->nested, a->threads, a->fds,
				 opts.quick ? 1 : a->secs);
		else
			snprintf(c.params, sizeof(c.params), "mode=%s t=%u f=%u r=%u",
				 modes[i], a->threads, a->fds,
				 opts.quick ? 1 : a->secs);
		c.arg = a;
		add(&c);
	}
	c.workload = "perf-ctl";
	snprintf(c.params, sizeof(c.params), "t=%u f=%u r=%u", ctl.threads,
		 ctl.fds, opts.quick ? 1 : ctl.secs);
	c.arg = &ctl;
	add(&c);
}
