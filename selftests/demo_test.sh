#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The make run demonstration as a test case: xepoll-demo exits non-zero
# when anything it shows does not behave as epoll would, and it exercises
# the path make check would otherwise only see at unload (items freed
# after a grace period, the unload waiting for them). Runs as root, since
# the demonstration drops to an unprivileged user itself.
echo "TAP version 13"
echo "1..1"
out=$(xepoll-demo 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc -eq 0 ]; then
	echo "ok 1 xepoll-demo"
else
	echo "not ok 1 xepoll-demo (exit $rc)"
fi
