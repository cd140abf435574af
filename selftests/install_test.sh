#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What make install installed, used as a user would, in the guest: make
# check stages an installation (tools/testing/install.sh, then make
# install-module for this kernel) and copies it into the guest's root, and
# the guest's module is that installed file. This test
#   1. finds the module where make install put it, for the running kernel;
#   2. unloads the module, runs depmod and loads it with modprobe, by name,
#      and sees /dev/xepoll (mode 0666) and /sys/kernel/xepoll come back;
#   3. runs the examples, built against the installed libxepoll.pc and
#      dynamically linked with the installed libxepoll.so.1: echo-server,
#      and echo-client checking every reply over 32 connections;
#   4. runs the installed xepoll-stat.
# The module is left loaded, for the tests that follow. Root only.
PREFIX=/usr/local
KVER=$(uname -r)
KO=/lib/modules/$KVER/updates/xepoll.ko
LIBDIR=$PREFIX/lib
PORT=7777

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..1"
	echo "ok 1 install # SKIP loading modules needs root"
	exit 0
fi
echo "1..4"
failed=0

result()
{
	if [ "$1" -eq 0 ]; then
		echo "ok $2"
	else
		echo "not ok $2"
		failed=1
	fi
}

# wait_for PATH: up to 10 s for PATH to appear.
wait_for()
{
	i=0
	while [ $i -lt 100 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

[ -f "$KO" ]
result $? "1 the installed module is at $KO"

modprobe_test()
{
	rmmod xepoll || { echo "# rmmod failed"; return 1; }
	depmod || { echo "# depmod failed"; return 1; }
	grep -q "^updates/xepoll.ko:" "/lib/modules/$KVER/modules.dep" ||
		{ echo "# modules.dep does not name updates/xepoll.ko"; return 1; }
	modprobe xepoll || { echo "# modprobe xepoll failed"; return 1; }
	wait_for /dev/xepoll || { echo "# no /dev/xepoll"; return 1; }
	[ -e /sys/kernel/xepoll/max_user_watches ] || { echo "# no /sys/kernel/xepoll"; return 1; }
	mode=$(stat -c %a /dev/xepoll)
	[ "$mode" = 666 ] || { echo "# /dev/xepoll has mode $mode"; return 1; }
	return 0
}
out=$(modprobe_test 2>&1)
rc=$?
[ -n "$out" ] && echo "$out" | sed 's/^\([^#]\)/# \1/'
# Whatever happened, leave the module loaded.
[ -e /sys/module/xepoll ] || insmod "$KO" 2>/dev/null || insmod /lib/xepoll/xepoll.ko
result $rc "2 depmod and modprobe xepoll load the installed module"

example_test()
{
	# The loader must take libxepoll.so.1 from the installation.
	/lib64/ld-linux-x86-64.so.2 --library-path $LIBDIR --list /examples/echo-client |
		grep -q "libxepoll.so.1 => $LIBDIR/libxepoll.so.1 " ||
		{ echo "# echo-client does not load $LIBDIR/libxepoll.so.1"; return 1; }
	LD_LIBRARY_PATH=$LIBDIR /examples/echo-server $PORT 32 &
	server=$!
	# Listening: 127.0.0.1:PORT in state 0A (LISTEN) in /proc/net/tcp.
	hex=$(printf '%04X' $PORT)
	i=0
	while ! grep -q "0100007F:$hex 00000000:0000 0A" /proc/net/tcp; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "# echo-server is not listening"; kill $server; return 1; }
		sleep 0.1
	done
	LD_LIBRARY_PATH=$LIBDIR /examples/echo-client $PORT 32 50
	rc=$?
	[ $rc -eq 0 ] || { echo "# echo-client exit $rc"; kill $server; return 1; }
	# The server exits by itself once the 32 connections are gone.
	i=0
	while kill -0 $server 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "# echo-server did not exit"; kill $server; return 1; }
		sleep 0.1
	done
	wait $server || { echo "# echo-server failed"; return 1; }
	return 0
}
out=$(example_test 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
result $rc "3 the examples, built against the installed libxepoll, echo over 32 connections"

out=$($PREFIX/bin/xepoll-stat 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
result $rc "4 the installed xepoll-stat"
exit $failed
