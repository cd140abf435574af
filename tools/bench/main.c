// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll-bench [--quick] [--repeats N] [--min-ms MS] [--max-n N]
 *              [--only WORKLOAD,...] [--mechs MECHANISM,...] [--json FILE]
 *              [--phase unloaded]
 *
 * The runner: gathers every workload's cases, runs each on every mechanism
 * that can run it, a round robin repeated --repeats times (the first
 * mechanism of a round changes from round to round) after one round that
 * is not counted, and prints a line per case while it goes: the median per
 * mechanism and its ratio to native epoll's. --json writes one record per
 * case and mechanism.
 *
 * --only takes workloads, each alone (all its cases) or as WORKLOAD:WORD,
 * the cases whose parameters hold WORD ("perf-wait:mode=nested").
 *
 * --phase unloaded runs, of the cases chosen, only those also measured
 * without the module (close), and refuses to run while it is loaded; the
 * test guest runs it before insmod. With no such case chosen it writes an
 * empty list of records and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_CASES	128
#define MAX_REPEATS	31

struct bench_opts opts = {
	.repeats = 5,
	.min_sample_ms = 40,
	.max_n = 100000,
};

static struct bench_case cases[MAX_CASES];
static unsigned int nr_cases;

/*
 * Whether @entry, one item of --only's list (up to @len characters), is
 * @workload, alone or as "WORKLOAD:WORD"; with a WORD, @params must hold
 * it as one of its words ("perf-wait:mode=nested"), unless @params is
 * NULL (any case of the workload).
 */
static bool entry_matches(const char *entry, size_t len, const char *workload,
			  const char *params)
{
	size_t name_len = strlen(workload), word_len;
	const char *word, *p;

	if (len < name_len || strncmp(entry, workload, name_len))
		return false;
	if (len == name_len)
		return true;
	if (entry[name_len] != ':')
		return false;
	if (!params)
		return true;
	word = entry + name_len + 1;
	word_len = len - name_len - 1;
	for (p = params; *p; p++) {
		if ((p == params || p[-1] == ' ') && !strncmp(p, word, word_len) &&
		    (p[word_len] == ' ' || !p[word_len]))
			return true;
	}
	return false;
}

/*
 * Whether @name is in the comma-separated @list; everything is in none.
 * With @params, an entry may also be "NAME:WORD" (entry_matches()).
 */
static bool listed_case(const char *list, const char *name, const char *params)
{
	const char *p = list, *end;

	if (!p)
		return true;
	while (*p) {
		end = strchrnul(p, ',');
		if (entry_matches(p, (size_t)(end - p), name, params))
			return true;
		if (!*end)
			break;
		p = end + 1;
	}
	return false;
}

static bool listed(const char *list, const char *name)
{
	return listed_case(list, name, "");
}

bool workload_wanted(const char *workload)
{
	return !opts.unloaded && listed_case(opts.only, workload, NULL);
}

static void add_case(const struct bench_case *c)
{
	if (!listed_case(opts.only, c->workload, c->params) ||
	    (opts.unloaded && !c->unloaded))
		return;
	if (nr_cases == MAX_CASES)
		die("more than %d cases", MAX_CASES);
	cases[nr_cases++] = *c;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What one case measured on one mechanism. */
struct result {
	bool ran;
	int n;
	double ns[MAX_REPEATS], extra[MAX_REPEATS];
	double med_ns, med_extra;
};

static bool can_run(const struct bench_case *c, const struct mech *m, bool avail)
{
	if (!avail || (m->max_pending && c->pending > m->max_pending))
		return false;
	if ((m->caps & c->caps) != c->caps)
		return c->epoll_baseline && m == &mech_epoll;
	return true;
}

/* "n=100 mode=edge" as JSON members: numbers bare, words quoted. */
static void json_params(FILE *f, const char *params)
{
	char buf[sizeof(((struct bench_case *)0)->params)], *tok, *save, *eq, *end;

	snprintf(buf, sizeof(buf), "%s", params);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		strtod(eq, &end);
		if (*eq && !*end)
			fprintf(f, ", \"%s\": %s", tok, eq);
		else
			fprintf(f, ", \"%s\": \"%s\"", tok, eq);
	}
}

static void json_num(FILE *f, double v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, v < 100 ? "%.3f" : "%.1f", v);
}

/* What a case compares: bytes for memory, else the time. */
static double figure(const struct bench_case *c, const struct result *r)
{
	return c->memory ? r->med_extra : r->med_ns;
}

/* @r's figure over native epoll's (@base), or -1 without one. */
static double ratio_vs(const struct bench_case *c, const struct result *r,
		       const struct result *base)
{
	if (!base->ran || figure(c, base) <= 0)
		return -1;
	return figure(c, r) / figure(c, base);
}

static void json_record(FILE *f, const struct bench_case *c, const struct mech *m,
			const struct result *r, const struct result *base)
{
	static bool first = true;
	double ratio = ratio_vs(c, r, base);
	int i;

	fprintf(f, "%s\n  {\"workload\": \"%s\", \"mechanism\": \"%s\", \"params\": \"%s\"",
		first ? "" : ",", c->workload, m->name, c->params);
	first = false;
	json_params(f, c->params);
	fprintf(f, ", \"unit\": \"%s\", \"median_ns\": ", c->unit);
	json_num(f, c->memory ? -1 : r->med_ns);
	fputs(", \"ratio_vs_epoll\": ", f);
	if (ratio < 0)
		fputs("null", f);
	else
		fprintf(f, "%.3f", ratio);
	if (c->extra_name) {
		fprintf(f, ", \"%s\": ", c->extra_name);
		json_num(f, r->med_extra);
	}
	if (c->throughput) {
		fputs(", \"throughput_vs_epoll\": ", f);
		if (base->ran && base->med_extra > 0)
			fprintf(f, "%.3f", r->med_extra / base->med_extra);
		else
			fputs("null", f);
	}
	fputs(", \"samples\": [", f);
	for (i = 0; i < r->n; i++)
		fprintf(f, "%s%.1f", i ? ", " : "", c->memory ? r->extra[i] : r->ns[i]);
	fputs("]}", f);
}

/* One case on every mechanism; a line of the table. */
static void run_case(unsigned int idx, const bool *avail, FILE *json)
{
	const struct bench_case *c = &cases[idx];
	struct result res[MECH_NR] = { 0 };
	struct sample s;
	int rep, k, id;
	double v;

	printf("[%2u/%u] %-9s %-38s", idx + 1, nr_cases, c->workload, c->params);
	fflush(stdout);
	/*
	 * A round first that counts for nothing: the emulator translates
	 * code the first time it runs, and caches fill, which would weigh on
	 * whichever mechanism came first.
	 */
	for (id = 0; id < MECH_NR && !opts.quick; id++)
		if (can_run(c, mechs[id], avail[id]) && !c->run(mechs[id], c->arg, &s))
			die("%s %s on %s failed", c->workload, c->params,
			    mechs[id]->name);
	for (rep = 0; rep < opts.repeats; rep++) {
		for (k = 0; k < MECH_NR; k++) {
			id = (k + rep) % MECH_NR;
			if (!can_run(c, mechs[id], avail[id]))
				continue;
			s.ns = -1;
			s.extra = -1;
			if (!c->run(mechs[id], c->arg, &s))
				die("%s %s on %s failed", c->workload, c->params,
				    mechs[id]->name);
			res[id].ns[res[id].n] = s.ns;
			res[id].extra[res[id].n] = s.extra;
			res[id].n++;
			res[id].ran = true;
		}
	}
	for (id = 0; id < MECH_NR; id++) {
		double tmp[MAX_REPEATS];

		if (!res[id].ran)
			continue;
		memcpy(tmp, res[id].ns, sizeof(tmp));
		res[id].med_ns = median(tmp, res[id].n);
		memcpy(tmp, res[id].extra, sizeof(tmp));
		res[id].med_extra = median(tmp, res[id].n);
	}
	for (id = 0; id < MECH_NR; id++) {
		if (!res[id].ran) {
			printf(" %10s %6s", "-", "");
			continue;
		}
		v = ratio_vs(c, &res[id], &res[MECH_EPOLL]);
		if (id == MECH_EPOLL || v < 0)
			printf(" %10.0f %6s", figure(c, &res[id]), "");
		else
			printf(" %10.0f x%-5.2f", figure(c, &res[id]), v);
	}
	printf("  %s\n", c->memory ? "bytes per watch" : c->unit);
	if (c->extra_name && !c->memory) {
		printf("%55s", c->extra_name);
		for (id = 0; id < MECH_NR; id++)
			if (!res[id].ran)
				printf(" %10s %6s", "-", "");
			else if (!c->throughput)
				printf(" %10.2f %6s", res[id].med_extra, "");
			else if (id == MECH_EPOLL || !res[MECH_EPOLL].ran)
				printf(" %10.0f %6s", res[id].med_extra, "");
			else
				printf(" %10.0f x%-5.2f", res[id].med_extra,
				       res[id].med_extra / res[MECH_EPOLL].med_extra);
		putchar('\n');
	}
	fflush(stdout);
	if (!json)
		return;
	for (id = 0; id < MECH_NR; id++)
		if (res[id].ran)
			json_record(json, c, mechs[id], &res[id], &res[MECH_EPOLL]);
	fflush(json);
}

static void usage(void)
{
	fputs("usage: xepoll-bench [--quick] [--repeats N] [--min-ms MS] [--max-n N]\n"
	      "                    [--only WORKLOAD,...] [--mechs MECHANISM,...] [--json FILE]\n"
	      "                    [--phase unloaded]\n"
	      "workloads: floor churn batch sparse pingpong fanout echo memory close errors\n"
	      "           perf-wait perf-ctl (an --only entry WORKLOAD:WORD picks the\n"
	      "           cases whose parameters hold WORD, e.g. perf-wait:mode=nested)\n"
	      "mechanisms: epoll xepoll xepoll-ring poll io_uring\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "min-ms", required_argument, NULL, 'm' },
		{ "max-n", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "mechs", required_argument, NULL, 'M' },
		{ "json", required_argument, NULL, 'j' },
		{ "phase", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	bool avail[MECH_NR];
	const char *json_path = NULL, *mech_list = NULL;
	FILE *json = NULL;
	unsigned int i;
	int opt, id;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			opts.quick = true;
			opts.repeats = 1;
			opts.min_sample_ms = 1;
			opts.max_n = 1000;
			break;
		case 'r':
			opts.repeats = atoi(optarg);
			break;
		case 'm':
			opts.min_sample_ms = atof(optarg);
			break;
		case 'n':
			opts.max_n = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			opts.only = optarg;
			break;
		case 'M':
			mech_list = optarg;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'p':
			if (!strcmp(optarg, "unloaded"))
				opts.unloaded = true;
			else if (strcmp(optarg, "loaded"))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opts.repeats < 1 || opts.repeats > MAX_REPEATS ||
	    opts.min_sample_ms < 0 || opts.max_n < 100)
		usage();

	floor_cases(add_case);
	churn_cases(add_case);
	batch_cases(add_case);
	sparse_cases(add_case);
	pingpong_cases(add_case);
	fanout_cases(add_case);
	echo_cases(add_case);
	memory_cases(add_case);
	close_cases(add_case);
	errors_cases(add_case);
	perf_cases(add_case);
	if (opts.unloaded && xepoll_loaded())
		die("--phase unloaded: the xepoll module is loaded");
	if (!nr_cases && !opts.unloaded)
		usage();

	for (id = 0; id < MECH_NR && nr_cases; id++) {
		if (!listed(mech_list, mechs[id]->name)) {
			avail[id] = false;
			continue;
		}
		avail[id] = mech_available(mechs[id]);
		if (!avail[id])
			printf("xepoll-bench: %s is not available here; its cases are left out\n",
			       mechs[id]->name);
	}
	if (nr_cases) {
		printf("xepoll-bench: %u cases%s, %d samples each; the median per mechanism in ns\n"
		       "per operation (bytes for memory), x: its ratio to native epoll's median\n\n",
		       nr_cases, opts.unloaded ? " without the module" : "", opts.repeats);
		printf("%-55s", "");
		/* A column is 18 wide: room for a name of 11 ("xepoll-ring"). */
		for (id = 0; id < MECH_NR; id++)
			printf(" %11s %5s", mechs[id]->name, "");
		putchar('\n');
	}
	if (json_path) {
		json = fopen(json_path, "w");
		if (!json)
			die("%s: %s", json_path, strerror(errno));
		fputc('[', json);
	}
	for (i = 0; i < nr_cases; i++)
		run_case(i, avail, json);
	if (json) {
		fputs("\n]\n", json);
		if (fclose(json))
			die("%s: %s", json_path, strerror(errno));
	}
	return 0;
}
