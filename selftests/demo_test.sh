#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The make run demonstration as a test case: xepoll-demo exits non-zero
# when anything it shows does not behave as epoll would, and it exercises
# the path make check would otherwise only see at unload (items freed
# after a grace period, the unload waiting for them). Runs as root, since
# the demonstration drops to an unprivileged user itself.
#
# The steps beyond epoll print what they measured, and the figures are
# checked here too, from the output, against what the demonstration set
# up: the per-entry results of the batch and the events of the entries
# that applied; a minimum-batch wait for 4 events 50 ms apart that
# returned 4 at once and no sooner than the last could come; and the
# ring's waits, system calls and the calls saved (waits - system calls),
# which the kernel's own count of the events it delivered confirms.
echo "TAP version 13"
echo "1..4"
out=$(xepoll-demo 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc -eq 0 ]; then
	echo "ok 1 xepoll-demo"
else
	echo "not ok 1 xepoll-demo (exit $rc)"
fi

# The first "ok" line matching the extended regex $1, or nothing.
line()
{
	echo "$out" | grep -E "^  ok +$1" | head -n 1
}

# The batch: the duplicate ADD alone failed, with EEXIST, and the other
# three registrations report their data (1, 2, 4).
if line 'One xepoll_ctl_batch\(\) call, 4 ADDs.*: results 0, 0, EEXIST, 0\.$' | grep -q . &&
   line 'The other 3 applied: 3 events, with data 1 2 4\.$' | grep -q .; then
	echo "ok 2 batch: per-entry results, the others applied"
else
	echo "not ok 2 batch: per-entry results, the others applied"
fi

# The minimum batch: 4 events in one return, after at least the three
# gaps (150 ms) between the first and the last.
l=$(line 'Events 50 ms apart: ')
n=$(echo "$l" | sed -n 's/.*one xepoll_wait_min(4) returned \([0-9]*\), after \([0-9]*\) ms\.$/\1/p')
ms=$(echo "$l" | sed -n 's/.*one xepoll_wait_min(4) returned \([0-9]*\), after \([0-9]*\) ms\.$/\2/p')
if [ "$n" = 4 ] && [ -n "$ms" ] && [ "$ms" -ge 150 ]; then
	echo "ok 3 minimum batch: $n events in one return after $ms ms"
else
	echo "not ok 3 minimum batch (events '${n:-none}', ms '${ms:-none}')"
fi

# The ring: 101 waits (100 edges from the ring, one level-triggered event
# from the kernel), 1 system call, 100 saved, and the kernel delivered
# that one event alone.
l=$(line 'xepoll_ring_stats\(\): ')
# shellcheck disable=SC2046 # four numbers, split into $1 to $4 on purpose
set -- $(echo "$l" | sed -n 's/.*: \([0-9]*\) waits, \([0-9]*\) entered the kernel, \([0-9]*\) events reaped: \([0-9]*\) system calls saved\.$/\1 \2 \3 \4/p')
k=$(line 'The kernel delivered [0-9]+ of those events itself' |
    sed -n 's/.*delivered \([0-9]*\) of those.*/\1/p')
if [ $# -eq 4 ] && [ "$1" = 101 ] && [ "$2" = 1 ] && [ "$3" = 100 ] &&
   [ "$4" = $(($1 - $2)) ] && [ "$k" = 1 ] &&
   line '100 edge-triggered events came through the ring' | grep -q .; then
	echo "ok 4 ring: $4 system calls saved in $1 waits"
else
	echo "not ok 4 ring (waits, syscalls, reaped, saved: '$*'; kernel events '${k:-none}')"
fi
