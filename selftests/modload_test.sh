#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unload and load the module again and again, using it in between: each
# cycle asserts that rmmod refuses while a descriptor of the device is
# open, and while a process that holds no descriptor of xepoll keeps an
# instance's ring mapped (the ring's file holds the module, whose code
# releases it), that rmmod then succeeds though another process keeps
# open files whose watches it deleted (their inodes' idle marks hold
# nothing of the module, and go at unload; the files close after it) and leaves neither /sys/module/xepoll nor
# /dev/xepoll behind, that insmod succeeds and brings both back, and that
# the module then works (a one-second stress_test run, which also checks
# that the counters go back to zero). The module is loaded at the end,
# for the tests that follow and for the guest's own final rmmod.
#
# XEPOLL_MODLOAD_CYCLES cycles (default 8); KO is the guest's module.
# Root only.
KO=${XEPOLL_KO:-/lib/xepoll/xepoll.ko}
N=${XEPOLL_MODLOAD_CYCLES:-8}

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..1"
	echo "ok 1 modload # SKIP loading modules needs root"
	exit 0
fi
echo "1..$((N + 1))"

failed=0

# wait_gone PATH: up to 10 s for PATH to disappear (1) or appear (0)
wait_path()
{
	i=0
	while [ $i -lt 100 ]; do
		if [ "$2" = gone ]; then [ -e "$1" ] || return 0
		else [ -e "$1" ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# hold HELPER ARG: HELPER ARG in the background, until it says it is
# ready; its pid in $hold.
hold()
{
	out=/tmp/modload-hold.$$
	"$1" "$2" >"$out" 2>&1 &
	hold=$!
	i=0
	while [ $i -lt 100 ]; do
		grep -q '^ready$' "$out" 2>/dev/null && { rm -f "$out"; return 0; }
		kill -0 $hold 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/# /' "$out"
	rm -f "$out"
	kill $hold 2>/dev/null
	wait $hold 2>/dev/null
	return 1
}

cycle_body()
{
	# Files whose watches were deleted hold nothing of the module (their
	# inodes' idle marks go with it), and close without it afterwards.
	hold ./release_test --hold-idle-mark || { echo "# no process holding idle marks"; return 1; }
	idle=$hold

	# A ring mapped, with the instance closed, holds the module.
	hold ./ring_abuse_test --hold-ring || { echo "# no process holding a ring mapping"; return 1; }
	if rmmod xepoll 2>/dev/null; then
		kill $hold
		wait $hold 2>/dev/null
		echo "# rmmod succeeded with a ring mapped"
		return 1
	fi
	# Its exit unmaps the ring, and lets the module go.
	kill $hold
	wait $hold 2>/dev/null
	[ -e /sys/module/xepoll ] || { echo "# the module went though a ring was mapped"; return 1; }

	# An open descriptor holds the module.
	exec 9</dev/xepoll || { echo "# open /dev/xepoll failed"; return 1; }
	if rmmod xepoll 2>/dev/null; then
		exec 9<&-
		echo "# rmmod succeeded with /dev/xepoll open"
		return 1
	fi
	exec 9<&-
	[ -e /sys/module/xepoll ] || { echo "# the module went though busy"; return 1; }

	rmmod xepoll || { echo "# rmmod failed"; return 1; }
	wait_path /sys/module/xepoll gone || { echo "# /sys/module/xepoll remains"; return 1; }
	wait_path /dev/xepoll gone || { echo "# /dev/xepoll remains"; return 1; }
	# The idle marks' files close with no module left.
	kill $idle
	wait $idle 2>/dev/null
	idle=

	insmod "$KO" || { echo "# insmod $KO failed"; return 1; }
	wait_path /dev/xepoll there || { echo "# no /dev/xepoll after insmod"; return 1; }
	[ -e /sys/kernel/xepoll/users ] || { echo "# no /sys/kernel/xepoll after insmod"; return 1; }

	out=$(XEPOLL_STRESS_SECONDS=1 XEPOLL_STRESS_ITERATIONS=3000 ./stress_test 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$out" | sed 's/^/#   /'
		echo "# stress_test exit $rc"
		return 1
	fi
	return 0
}

# cycle: cycle_body, and the idle marks' holder gone whatever happened.
cycle()
{
	idle=
	cycle_body
	rc=$?
	if [ -n "$idle" ]; then
		kill $idle 2>/dev/null
		wait $idle 2>/dev/null
	fi
	return $rc
}

i=1
while [ $i -le $N ]; do
	if msg=$(cycle 2>&1); then
		echo "ok $i unload, load and use, cycle $i"
	else
		echo "$msg" | sed 's/^\([^#]\)/# \1/'
		echo "not ok $i unload, load and use, cycle $i"
		failed=1
		# Leave the module loaded for the next cycle.
		[ -e /sys/module/xepoll ] || insmod "$KO" 2>/dev/null
	fi
	i=$((i + 1))
done

[ -e /sys/module/xepoll ] || insmod "$KO"
if [ -e /sys/module/xepoll ] && wait_path /dev/xepoll there; then
	echo "ok $((N + 1)) the module is loaded at the end"
else
	echo "not ok $((N + 1)) the module is loaded at the end"
	failed=1
fi
exit $failed
