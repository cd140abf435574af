#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench's program, kept working: each workload of xepoll-bench, in
# its --quick form (tiny sizes, one sample), must run to its end on xepoll
# and native epoll alike. The workloads check what they receive (every
# event for an fd made ready, no other), so this is also a test of
# xepoll under their patterns; the times mean nothing here. perf-wait and
# perf-ctl run the kernel's perf bench epoll natively and through the
# interposer, for a second each, and check that the interposed run was
# xepoll's (perf is in the guest, guest-files.list).
echo "TAP version 13"
echo "1..12"
i=0
for w in floor churn batch sparse pingpong fanout echo memory close errors \
	perf-wait perf-ctl; do
	i=$((i + 1))
	out=$(xepoll-bench --quick --only "$w" --json /tmp/bench_test.json 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc -ne 0 ]; then
		echo "not ok $i $w (exit $rc)"
	elif ! grep -q "\"workload\": \"$w\", \"mechanism\": \"xepoll\"" /tmp/bench_test.json ||
	     ! grep -q "\"workload\": \"$w\", \"mechanism\": \"epoll\"" /tmp/bench_test.json; then
		echo "not ok $i $w (no record for xepoll or for epoll)"
	# xepoll with its ring runs some case of each of these workloads.
	elif case $w in floor|churn|batch|sparse|pingpong|fanout|echo|memory|close) true ;; *) false ;; esac &&
	     ! grep -q "\"workload\": \"$w\", \"mechanism\": \"xepoll-ring\"" /tmp/bench_test.json; then
		echo "not ok $i $w (no record for xepoll-ring)"
	else
		echo "ok $i $w"
	fi
done
rm -f /tmp/bench_test.json
