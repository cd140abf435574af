#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: make check, the one command that says the project is healthy.
#
# Installs what is missing, builds the tools and selftests, runs checkpatch,
# checks the installation (install.sh: make install into a staged DESTDIR,
# the examples built against its pkg-config file, make uninstall, the man
# pages, the Sphinx documentation), then for each target kernel (Debian's stock 6.1 and 6.12, and the debug
# kernel debug-kernel.sh builds and caches): builds the module with W=1 and
# sparse, installs it into the staged DESTDIR, boots the kernel in QEMU with
# the staged installation, its module as the module, and the selftests (and,
# on the debug kernel, the KUnit suites), and judges the run (verdict.sh). Prints a progress line per
# stage, a summary table per kernel and, last, "N passed, N failed, N skipped":
# test cases, where a failed stage also counts as one failure.
#
# Environment: XEPOLL_SERIES="6.1 6.12 debug" picks kernels; XEPOLL_ACCEL=kvm|tcg
# overrides the KVM probe; XEPOLL_TIMEOUT caps one guest run (seconds);
# XEPOLL_TESTS=REGEX runs only the selftests whose tests.list label matches
# the extended regex (grep -E; "kunit" names the KUnit suites).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

T=$XEPOLL_TOP/tools/testing
B=$XEPOLL_TOP/build
passed=0 failed=0 skipped=0
table=

# stage NAME CMD...: run one stage with its output in a log, time it, and
# show the log's tail when it fails. Sets stage_time; returns the status.
stage()
{
	local name=$1 t0 rc log

	shift
	t0=$(date +%s)
	log=$B/log/$(tr -c 'A-Za-z0-9.+-' '_' <<<"$name").log
	mkdir -p "$B/log"
	xep_say "$name ..."
	"$@" >"$log" 2>&1
	rc=$?
	stage_time=$(($(date +%s) - t0))
	if [ $rc -eq 0 ]; then
		xep_say "$name: ok (${stage_time}s)"
	else
		tail -n 40 "$log" | sed 's/^/    | /'
		xep_say "$name: FAILED (${stage_time}s; log: ${log#"$XEPOLL_TOP"/})"
	fi
	return $rc
}

# row WHAT STATUS SECONDS [NOTE]: one line of the summary table; a status
# other than 0 is a failure and is counted.
row()
{
	local verdict=ok

	if [ "$2" -ne 0 ]; then
		verdict=FAILED
		failed=$((failed + 1))
	fi
	table+=$(printf '  %-24s %-7s %6s  %s' "$1" "$verdict" "${3:+${3}s}" "${4:-}")$'\n'
}

# vget KEY FILE: a value from verdict.sh's key=value file.
vget()
{
	sed -n "s/^$1=//p" "$2"
}

# XEPOLL_TESTS: checked against the labels of tests.list (and "kunit")
# before anything else, so that a typo fails at once instead of booting
# every kernel for nothing or for everything. The guest gets it in its
# initramfs (initramfs.sh -f): a regex need not survive the command line.
filter=()
if [ -n "${XEPOLL_TESTS:-}" ]; then
	labels=$({ grep -v '^#' "$XEPOLL_TOP/selftests/tests.list" |
		awk 'NF >= 3 { print $2 }'; echo kunit; } | sort -u)
	matched=$(grep -E -e "$XEPOLL_TESTS" <<<"$labels" 2>/dev/null)
	rc=$?
	case $rc in
	0) note="matches $(tr '\n' ' ' <<<"$matched" | sed 's/ $//')" ;;
	1) note="matches no label of selftests/tests.list" ;;
	*) note="not an extended regex" ;;
	esac
	xep_say "XEPOLL_TESTS='$XEPOLL_TESTS': $note"
	if [ $rc -ne 0 ]; then
		printf '0 passed, 1 failed, 0 skipped\n'
		exit 1
	fi
	row "XEPOLL_TESTS filter" 0 "" "$note"
	filter=(-f "$XEPOLL_TESTS")
fi

stage "dependencies" "$T/deps.sh" check
row "dependencies" $? "$stage_time"
stage "tools and selftests" make -C "$XEPOLL_TOP" tools selftests
tools_rc=$?
row "tools and selftests" $tools_rc "$stage_time"
stage "checkpatch --strict" "$T/lint.sh" checkpatch
row "checkpatch --strict" $? "$stage_time"
stage "install, examples, man, docs" "$T/install.sh" "$B/destdir"
install_rc=$?
row "install, man, docs" $install_rc "$stage_time"

table=$'all kernels\n'$table

# install_module KDIR KO: make install-module of KO into the staged DESTDIR,
# and into a scratch one that make uninstall must then leave empty.
install_module()
{
	local un left

	make -C "$XEPOLL_TOP" install-module KDIR="$1" KO="$2" DESTDIR="$B/destdir" || return
	un=$(mktemp -d)
	make -C "$XEPOLL_TOP" install-module KDIR="$1" KO="$2" DESTDIR="$un" &&
		make -C "$XEPOLL_TOP" uninstall KDIR="$1" DESTDIR="$un" &&
		left=$(find "$un" -type f -o -type l) && rm -rf "$un" &&
		{ [ -z "$left" ] || { echo "make uninstall left: $left"; false; }; }
}

for series in $XEPOLL_SERIES; do
	kos=()
	if [ "$series" = debug ]; then
		# Built once and cached (debug-kernel.sh), which prints its
		# progress here: a cold build takes a while.
		t0=$(date +%s)
		xep_say "debug kernel: build or cache ..."
		kdir=$("$T/debug-kernel.sh")
		rc=$?
		stage_time=$(($(date +%s) - t0))
		xep_say "debug kernel: $([ $rc -eq 0 ] && echo ok || echo FAILED) (${stage_time}s)"
		table+=$'\n'"kernel debug (KUnit, KASAN, lockdep, kmemleak, UBSAN, failslab)"$'\n'
		row "kernel build or cache" $rc "$stage_time"
		[ $rc -eq 0 ] || continue
		v=debug
		vmlinuz=$kdir/arch/x86/boot/bzImage
		timeout=${XEPOLL_TIMEOUT:-2400}
		# Several times slower: each test runs once, as root.
		guest_args=xepoll_users=root
	else
		v=$(xep_kernel_version "$series")
		if [ -z "$v" ]; then
			xep_say "$series: no kernel with headers installed"
			table+=$'\n'"kernel $series"$'\n'
			row "installed" 1 0 "no image with headers"
			continue
		fi
		table+=$'\n'"kernel $v"$'\n'
		kdir=/lib/modules/$v/build
		vmlinuz=/boot/vmlinuz-$v
		timeout=${XEPOLL_TIMEOUT:-900}
		guest_args=
	fi
	out=$B/check-$v

	stage "$v: build, W=1, sparse" "$T/kbuild.sh" "$kdir" "$B/kmod-$v"
	rc=$?
	row "build, W=1, sparse" $rc "$stage_time" "$([ $rc -eq 3 ] && echo warnings)"
	[ $rc -eq 1 ] || [ $tools_rc -ne 0 ] && continue
	# The KUnit suites, built where the kernel has KUnit.
	[ -e "$B/kmod-$v/kmod/xepoll_kunit.ko" ] && kos=(-K "$B/kmod-$v/kmod/xepoll_kunit.ko")
	# The veth driver, which selftests/busypoll_test.c loads itself from
	# /lib/xepoll/veth.ko for its NAPI contexts (Debian's 6.12 ships it
	# xz-compressed; busybox's insmod and finit_module() take it plain).
	# The debug kernel has none, and the test says so.
	vko=$(find "/lib/modules/$v/kernel/drivers/net" -maxdepth 1 -name 'veth.ko*' 2>/dev/null | head -n 1)
	if [ -n "$vko" ]; then
		mkdir -p "$out"
		case $vko in
		*.xz) xz -dc "$vko" >"$out/veth.ko" ;;
		*.zst) zstd -dqc "$vko" >"$out/veth.ko" ;;
		*) cp "$vko" "$out/veth.ko" ;;
		esac && kos+=(-K "$out/veth.ko")
	fi

	# The guest's module is the installed one, in the staged installation
	# the guest gets (selftests/install_test.sh uses it as a user would).
	# Without it, the guest still runs, and install_test fails there.
	ko=$B/kmod-$v/kmod/xepoll.ko
	staged=()
	if [ $install_rc -eq 0 ]; then
		stage "$v: make install" install_module "$kdir" "$ko"
		rc=$?
		row "make install, uninstall" $rc "$stage_time"
		if [ $rc -eq 0 ]; then
			ko=$B/destdir/lib/modules/$(xep_kdir_release "$kdir")/updates/xepoll.ko
			staged=(-r "$B/destdir")
		fi
	fi

	stage "$v: initramfs" "$T/initramfs.sh" -o "$out/initrd.cpio.gz" \
		-k "$ko" "${kos[@]}" -t "$XEPOLL_TOP/selftests" "${filter[@]}" "${staged[@]}" \
		-b "$XEPOLL_TOP/tools/demo/xepoll-demo" -b "$XEPOLL_TOP/tools/stat/xepoll-stat"
	rc=$?
	row "initramfs" $rc "$stage_time"
	[ $rc -eq 0 ] || continue

	stage "$v: boot, insmod, selftests, rmmod" "$T/qemu-run.sh" \
		-k "$vmlinuz" -i "$out/initrd.cpio.gz" -m check -o "$out" \
		-T "$timeout" -A "$guest_args"
	boot_time=$stage_time

	# The verdict's problems are printed here and counted below.
	"$T/verdict.sh" "$out" | sed 's/^/    | /'
	p=$(vget passed "$out/verdict")
	f=$(vget failed "$out/verdict")
	s=$(vget skipped "$out/verdict")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	xep_say "$v: $p passed, $f failed, $s skipped ($(cat "$out/accel"))"

	[ "$(vget finished "$out/verdict")" = yes ]
	row "guest ran to its end" $? "$boot_time" "$(cat "$out/accel")"
	# Failed cases are already counted; a run with no case at all has
	# failed elsewhere (the guest, the module), so this row only shows it.
	table+=$(printf '  %-24s %-7s %6s  %s' "selftests" \
		"$([ "$f" -eq 0 ] && [ $((p + s)) -gt 0 ] && echo ok || echo FAILED)" "" \
		"$p passed, $f failed, $s skipped")$'\n'
	[ "$(vget insmod "$out/verdict")" = ok ]
	row "insmod" $? ""
	[ "$(vget rmmod "$out/verdict")" = ok ]
	row "rmmod" $? ""
	[ "$(vget splats "$out/verdict")" -eq 0 ]
	row "no kernel splat" $? "" "$(vget splats "$out/verdict") splat lines"
done

printf '\nsummary (%s elapsed)\n%s\n' "$(xep_elapsed)" "$table"
printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
