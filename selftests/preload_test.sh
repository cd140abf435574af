#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified programs from Debian's archive, with their own clients, on
# native epoll and then through the LD_PRELOAD interposer: the results must
# match, and the interposed run must really use xepoll (each server's epoll
# instances are anon_inode:[xepoll], none is anon_inode:[eventpoll]).
#
#   redis-server with redis-cli and redis-benchmark (redis's ae loop)
#   memcached, a libevent program, with busybox nc
#
# Closing is checked through the programs too: after QUIT, or CLIENT KILL
# from another client, the server closes the connection with its C
# library's close(), which the interposer does not see, and the client must
# see EOF at once, not when its own input ends: the kernel releases the
# watched socket at its last close, as with epoll.
#
# Output is TAP. Runs as root or as an unprivileged user (busybox sh).

PRELOAD=${XEPOLL_PRELOAD:-/lib/libxepoll-preload.so}
N=${PRELOAD_TEST_REQUESTS:-500}
if [ "$(id -u)" -eq 0 ]; then
	PORT=17000
else
	PORT=18000
fi

n=0
ok()
{
	n=$((n + 1))
	echo "ok $n $*"
}
not_ok()
{
	n=$((n + 1))
	echo "not ok $n $*"
}
# check DESCRIPTION COMMAND...: one test case from a command's status.
check()
{
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip()
{
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

work=$(mktemp -d /tmp/preload_test.XXXXXX)
pids=
cleanup()
{
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# Centiseconds since boot.
now()
{
	read -r u _ </proc/uptime
	echo "${u%.*}${u#*.}"
}

# epoll_kinds PID: "xepoll=N eventpoll=M", the process's epoll instances.
epoll_kinds()
{
	x=0 e=0
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		'anon_inode:[xepoll]') x=$((x + 1)) ;;
		'anon_inode:[eventpoll]') e=$((e + 1)) ;;
		esac
	done
	echo "xepoll=$x eventpoll=$e"
}

# uses_backend MODE PID: the process's instances are all of MODE's kind.
uses_backend()
{
	k=$(epoll_kinds "$2")
	echo "# $3 pid $2: $k"
	case $1:$k in
	epoll:'xepoll=0 eventpoll='[1-9]*) return 0 ;;
	xepoll:xepoll=[1-9]*' eventpoll=0') return 0 ;;
	esac
	return 1
}

# wait_for CMD...: retry a command for up to 10 s.
wait_for()
{
	i=0
	while [ $i -lt 50 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# eof_after PORT INPUT OUT: send INPUT (printf format) to PORT and keep the
# connection's input open for 10 s; succeed if the server closes the
# connection (nc sees EOF) within 5 s. The reply is appended to OUT.
eof_after()
{
	t0=$(now)
	# shellcheck disable=SC2059
	(printf "$2"; sleep 10) |
		(nc 127.0.0.1 "$1" >>"$3"; echo "$(($(now) - t0))" >"$work/eof.cs")
	t=$(cat "$work/eof.cs")
	echo "# connection closed by the server after ${t}0 ms"
	[ "$t" -lt 500 ]
}

# The interposer's preconditions: the device, and the library itself.
check "the interposer is in place" test -r "$PRELOAD" -a -c /dev/xepoll

# ---------------------------------------------------------------- redis

# redis_pass MODE: start redis-server on MODE, drive it with its clients,
# record what they answer in $work/redis-MODE.out.
redis_pass()
{
	mode=$1
	port=$((PORT + 1))
	pre=
	[ "$mode" = xepoll ] && pre="env LD_PRELOAD=$PRELOAD"
	[ "$mode" = xepoll ] && port=$((PORT + 2))
	out=$work/redis-$mode.out
	cli="$pre redis-cli -p $port"

	$pre redis-server --bind 127.0.0.1 --port "$port" --save '' \
		--appendonly no --dir "$work" --logfile "$work/redis-$mode.log" \
		--daemonize no &
	rpid=$!
	pids="$pids $rpid"
	# shellcheck disable=SC2086 # $cli is a command line
	if ! wait_for $cli ping; then
		not_ok "redis ($mode): redis-server answers"
		sed 's/^/# /' "$work/redis-$mode.log"
		return
	fi
	ok "redis ($mode): redis-server answers"
	check "redis ($mode): redis-server's instances are $mode's" \
		uses_backend "$mode" "$rpid" redis-server

	# A scripted session through redis-cli, run under the same backend.
	printf '%s\n' 'SET greeting hello' 'GET greeting' 'APPEND greeting ", world"' \
		'GET greeting' 'RPUSH list a b c d' 'LRANGE list 0 -1' 'LPOP list' \
		'SADD set x y z' 'SCARD set' 'HSET h f1 v1 f2 v2' 'HGETALL h' \
		'MSET k1 1 k2 2 k3 3' 'MGET k1 k2 k3 nokey' 'DEL k1 k2' 'DBSIZE' \
		'EXPIRE greeting 100' 'TYPE list' 'FLUSHALL' 'DBSIZE' |
		$cli >"$out" 2>&1
	i=0
	while [ $i -lt 100 ]; do
		echo "INCR counter"
		i=$((i + 1))
	done | $cli >/dev/null 2>&1
	$cli GET counter >>"$out" 2>&1
	check "redis ($mode): redis-cli session" grep -qx 100 "$out"

	# Server-side close: QUIT, then CLIENT KILL of an idle connection.
	check "redis ($mode): QUIT closes the connection at once" \
		eof_after "$port" 'PING\r\nQUIT\r\n' "$out"
	sleep 10 | (nc 127.0.0.1 "$port" >/dev/null; now >"$work/killed.cs") &
	wait_for sh -c "$cli CLIENT LIST | grep -q 'cmd=NULL'"
	t0=$(now)
	$cli CLIENT KILL TYPE normal SKIPME yes >>"$out" 2>&1
	wait_for test -s "$work/killed.cs"
	t=$(($(cat "$work/killed.cs" 2>/dev/null || echo 100000) - t0))
	rm -f "$work/killed.cs"
	echo "# killed connection saw EOF after ${t}0 ms"
	check "redis ($mode): CLIENT KILL closes the connection at once" [ "$t" -lt 500 ]
	$cli INFO clients | grep connected_clients | tr -d '\r' >>"$out"

	# redis-benchmark, also on MODE: every request must complete.
	$pre redis-benchmark -p "$port" -n "$N" -c 8 -t set,get,incr,lpush,lpop \
		--csv >"$work/bench-$mode.csv" 2>&1
	rc=$?
	sed 's/^/# /' "$work/bench-$mode.csv"
	check "redis ($mode): redis-benchmark completes" \
		[ $rc -eq 0 -a "$(grep -c '^"[A-Z]*","[0-9]' "$work/bench-$mode.csv")" -eq 5 ]
	$cli DBSIZE >>"$out" 2>&1

	$cli SHUTDOWN NOSAVE >/dev/null 2>&1
	wait "$rpid"
	check "redis ($mode): redis-server shuts down cleanly" [ $? -eq 0 ]
	events_moved "$mode" "redis ($mode)" "$N"
}

# events_moved MODE WHAT MIN: xepoll's event counter moved by MIN or more
# since the last call on xepoll, and did not move on epoll.
events_moved()
{
	e=$(cat /sys/kernel/xepoll/events)
	d=$((e - events0))
	events0=$e
	echo "# $2: xepoll delivered $d events"
	if [ "$1" = xepoll ]; then
		check "$2: xepoll's event counter moved" [ "$d" -ge "$3" ]
	else
		check "$2: xepoll's event counter did not move" [ "$d" -eq 0 ]
	fi
}
events0=$(cat /sys/kernel/xepoll/events)

# ---------------------------------------------------------------- memcached

memcached_pass()
{
	mode=$1
	port=$((PORT + 3))
	pre=
	[ "$mode" = xepoll ] && pre="env LD_PRELOAD=$PRELOAD"
	[ "$mode" = xepoll ] && port=$((PORT + 4))
	out=$work/memcached-$mode.out
	: >"$out"
	user=
	[ "$(id -u)" -eq 0 ] && user="-u root"

	# shellcheck disable=SC2086
	$pre memcached -l 127.0.0.1 -p "$port" -U 0 -t 2 -c 64 $user \
		>"$work/memcached-$mode.log" 2>&1 &
	mpid=$!
	pids="$pids $mpid"
	if ! wait_for sh -c "printf 'version\r\n' | nc 127.0.0.1 $port | grep -q VERSION"; then
		not_ok "memcached ($mode): memcached answers"
		sed 's/^/# /' "$work/memcached-$mode.log"
		return
	fi
	ok "memcached ($mode): memcached answers"
	check "memcached ($mode): memcached's instances are $mode's" \
		uses_backend "$mode" "$mpid" memcached

	# A session that ends with quit: the server closes, nc sees EOF.
	check "memcached ($mode): session, quit closes the connection at once" \
		eof_after "$port" 'set a 0 0 5\r\nhello\r\nget a\r\nappend a 0 0 3\r\nxyz\r\nget a\r\nset n 0 0 1\r\n5\r\nincr n 10\r\ndecr n 3\r\ndelete a\r\nget a\r\nquit\r\n' \
		"$out"
	i=0
	while [ $i -lt 30 ]; do
		printf 'set key%d 0 0 2\r\n%02d\r\nquit\r\n' $i $i | nc 127.0.0.1 "$port" >/dev/null
		i=$((i + 1))
	done
	printf 'get key7 key29\r\nstats\r\nquit\r\n' | nc 127.0.0.1 "$port" |
		grep -E '^(VALUE|[0-9]|STAT (curr_items|curr_connections|cmd_set|get_hits)) ' |
		tr -d '\r' >>"$out"
	check "memcached ($mode): 30 short connections, all closed" \
		grep -qx 'STAT curr_connections 1' "$out"

	kill "$mpid"
	wait "$mpid"
	check "memcached ($mode): memcached exits on SIGTERM" [ $? -eq 0 ]
	events_moved "$mode" "memcached ($mode)" 30
}

for mode in epoll xepoll; do
	redis_pass $mode
done
echo "# redis-cli on epoll and on xepoll:"
diff "$work/redis-epoll.out" "$work/redis-xepoll.out" | sed 's/^/# /'
check "redis: the same answers on epoll and xepoll" \
	cmp -s "$work/redis-epoll.out" "$work/redis-xepoll.out"
for t in SET GET INCR LPUSH LPOP; do
	e=$(grep "^\"$t\"" "$work/bench-epoll.csv" | cut -d, -f2 | tr -d '"')
	x=$(grep "^\"$t\"" "$work/bench-xepoll.csv" | cut -d, -f2 | tr -d '"')
	echo "# redis-benchmark $t requests/s: epoll $e, xepoll $x"
done

for mode in epoll xepoll; do
	memcached_pass $mode
done
diff "$work/memcached-epoll.out" "$work/memcached-xepoll.out" | sed 's/^/# /'
check "memcached: the same answers on epoll and xepoll" \
	cmp -s "$work/memcached-epoll.out" "$work/memcached-xepoll.out"

# Without /dev/xepoll (hidden in a mount namespace): abort with a message,
# or native epoll with XEPOLL_PRELOAD_FALLBACK=1.
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip "no device: abort with a message" "needs root for a mount namespace"
	skip "no device: XEPOLL_PRELOAD_FALLBACK=1 uses epoll" "needs root for a mount namespace"
else
	port=$((PORT + 5))
	unshare -m sh -c "mount -t tmpfs none /dev &&
		exec timeout 20 env -u XEPOLL_PRELOAD_FALLBACK LD_PRELOAD=$PRELOAD memcached -u root -l 127.0.0.1 -p $port" \
		>"$work/nodev.log" 2>&1
	rc=$?
	sed 's/^/# /' "$work/nodev.log"
	check "no device: abort with a message" \
		[ $rc -ne 0 -a -n "$(grep 'cannot create an instance on /dev/xepoll' "$work/nodev.log")" ]
	unshare -m sh -c "mount -t tmpfs none /dev &&
		exec env XEPOLL_PRELOAD_FALLBACK=1 LD_PRELOAD=$PRELOAD \
			memcached -u root -l 127.0.0.1 -p $port" \
		>"$work/fallback.log" 2>&1 &
	fpid=$!
	pids="$pids $fpid"
	wait_for sh -c "printf 'version\r\n' | nc 127.0.0.1 $port | grep -q VERSION"
	check "no device: XEPOLL_PRELOAD_FALLBACK=1 uses epoll" \
		uses_backend epoll "$fpid" "memcached (fallback)"
	kill "$fpid"
	wait "$fpid"
fi

echo "1..$n"
