#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh -k VMLINUZ -i INITRD -m check|run|bench|shell -o OUTDIR
#             [-T SECONDS] [-A KERNEL-ARGS] [-c CPUS] [-I SHIFT]
#
# Boot a kernel with the test guest's initramfs. The console goes to
# OUTDIR/console.log and the guest's result channel (its second serial
# port) to OUTDIR/results.log; verdict.sh reads both. In run and bench
# modes the guest's words are shown as they arrive; in shell mode the
# console is this terminal.
#
# KVM is used only where a probe shows it really works (on some hosts
# /dev/kvm exists but a guest hangs in it); otherwise QEMU emulates (TCG).
# XEPOLL_ACCEL=kvm|tcg overrides the probe.
#
# -I SHIFT runs TCG with -icount shift=SHIFT,sleep=off: the guest's clock
# then advances 2^SHIFT ns per instruction it executes (and jumps over its
# idle time), not with the host's, so that what the guest times does not
# depend on what else the host runs. The accelerator is then recorded as
# tcg-icount<SHIFT>. Not with KVM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel= initrd= mode= out= timeout=900 extra= cpus=2 icount=
while getopts k:i:m:o:T:A:c:I: opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	m) mode=$OPTARG ;;
	o) out=$OPTARG ;;
	T) timeout=$OPTARG ;;
	A) extra=$OPTARG ;;
	c) cpus=$OPTARG ;;
	I) icount=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$mode" ] && [ -n "$out" ] ||
	xep_die "usage: qemu-run.sh -k VMLINUZ -i INITRD -m check|run|bench|shell -o OUTDIR [-T SECONDS]"

# Does a guest really run under KVM here? Boot the kernel with an init that
# only says so, and give it a few seconds. The answer is kept until the host
# reboots.
kvm_works()
{
	local boot_id probe dir verdict=tcg

	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	probe=$XEPOLL_CACHE/kvm-probe-$boot_id
	if [ ! -e "$probe" ]; then
		mkdir -p "$XEPOLL_CACHE"
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			dir=$(mktemp -d)
			mkdir -p "$dir/root/bin" "$dir/root/dev"
			cp /bin/busybox "$dir/root/bin/"
			printf '#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs d /dev\necho kvm-ok >/dev/ttyS1\n/bin/busybox poweroff -f\n' \
				>"$dir/root/init"
			chmod +x "$dir/root/init"
			(cd "$dir/root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$dir/initrd"
			timeout -s KILL 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
				-display none -monitor none -no-reboot \
				-kernel "$kernel" -initrd "$dir/initrd" \
				-append "console=ttyS0 panic=-1" \
				-serial null -serial "file:$dir/out" >/dev/null 2>&1 || true
			grep -q kvm-ok "$dir/out" 2>/dev/null && verdict=kvm
			rm -rf "$dir"
		fi
		echo "$verdict" >"$probe"
	fi
	[ "$(cat "$probe")" = kvm ]
}

accel=${XEPOLL_ACCEL:-}
[ -z "$icount" ] || [ "$accel" != kvm ] || xep_die "-I (icount) needs TCG, not KVM"
[ -z "$icount" ] || [[ $icount =~ ^[0-9]+$ ]] || xep_die "-I takes a shift, a number (-icount shift=N)"
[ -z "$icount" ] || accel=tcg
if [ -z "$accel" ]; then
	if kvm_works; then accel=kvm; else accel=tcg; fi
fi
case $accel in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) xep_die "XEPOLL_ACCEL must be kvm or tcg" ;;
esac

mkdir -p "$out"
: >"$out/console.log"
: >"$out/results.log"
echo "$accel${icount:+-icount$icount}" >"$out/accel"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "$cpus" -m 1G
	${icount:+-icount "shift=$icount,sleep=off"}
	-no-reboot -display none -monitor none
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 xepoll_mode=$mode $extra")

case $mode in
check)
	timeout -s KILL "$timeout" "${qemu[@]}" \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		</dev/null >"$out/qemu.log" 2>&1 || echo "qemu exit $?" >>"$out/qemu.log"
	;;
run|bench)
	timeout -s KILL "$timeout" "${qemu[@]}" \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		</dev/null >"$out/qemu.log" 2>&1 &
	qpid=$!
	# Show the guest's own words as they arrive; protocol lines and the
	# kernel log stay in the file for the verdict.
	tail -n +1 -s 0.2 -f --pid=$qpid "$out/results.log" |
		awk '{ sub(/\r$/, "") }
		     /^XEPOLL (dmesg|bench-json)-begin/ { quiet = 1 }
		     !quiet && !/^XEPOLL / { print; fflush() }
		     /^XEPOLL (dmesg|bench-json)-end/ { quiet = 0 }'
	wait $qpid || echo "qemu exit $?" >>"$out/qemu.log"
	;;
shell)
	"${qemu[@]}" -serial mon:stdio -serial "file:$out/results.log" ||
		echo "qemu exit $?" >>"$out/qemu.log"
	;;
*)
	xep_die "unknown mode $mode"
	;;
esac
