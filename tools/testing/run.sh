#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh run|shell: boot the default kernel with xepoll loaded and either
# run the demonstration (make run) or hand over a shell (make shell).
#
# The default kernel is Debian's 6.1; XEPOLL_KERNEL=6.12 (a series) or a
# full release string picks another.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-run}
T=$XEPOLL_TOP/tools/testing
B=$XEPOLL_TOP/build

v=$(xep_kernel_pick 6.1)
[ -n "$v" ] || xep_die "no ${XEPOLL_KERNEL:-6.1} kernel with headers installed (tools/testing/deps.sh check)"

xep_say "building xepoll for $v"
rc=0
"$T/kbuild.sh" "/lib/modules/$v/build" "$B/kmod-$v" || rc=$?
[ $rc -ne 1 ] || xep_die "the module does not build; see $B/kmod-$v/build.log"
out=$B/$mode-$v
"$T/initramfs.sh" -o "$out/initrd.cpio.gz" -k "$B/kmod-$v/kmod/xepoll.ko" \
	-t "$XEPOLL_TOP/selftests" -b "$XEPOLL_TOP/tools/demo/xepoll-demo" -b "$XEPOLL_TOP/tools/stat/xepoll-stat"

xep_say "booting $v in QEMU (the console log goes to ${out#"$XEPOLL_TOP"/}/console.log)"
echo
"$T/qemu-run.sh" -k "/boot/vmlinuz-$v" -i "$out/initrd.cpio.gz" -m "$mode" \
	-o "$out" -T 600
echo
if [ "$mode" = shell ]; then
	exit 0
fi
if "$T/verdict.sh" "$out" >"$out/verdict.txt"; then
	demo=$(sed -n 's/^XEPOLL demo //p' "$out/results.log" | tr -d '\r')
	if [ "$demo" = 0 ]; then
		xep_say "the demonstration ran, and the module loaded and unloaded cleanly"
		exit 0
	fi
	xep_say "the demonstration failed (exit $demo)"
	exit 1
fi
sed 's/^/  /' "$out/verdict.txt"
xep_say "the guest run was not clean"
exit 1
