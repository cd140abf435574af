#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--publish | --profile] [XEPOLL-BENCH ARGUMENTS...]: make bench.
#
# Builds xepoll, xepoll-bench and the interposer, boots one Debian kernel
# in QEMU (6.12 by default; XEPOLL_KERNEL=6.1 picks the other), runs every
# workload there on xepoll (with and without its ring), native epoll, poll
# and io_uring in that one boot (the close workload also before the module
# is loaded; the kernel's own perf bench epoll natively and through the
# interposer), and writes under bench/: results.json (one record per
# workload case and mechanism), results.txt (the table the run printed),
# results.rst (the same for the documentation), ratio.png and scaling.png,
# and command.txt (what made them, and how long the build, boot and run
# took). A run with a kernel splat or without its records fails.
#
# --publish then copies those files to Documentation/bench/, where the
# newest results are kept. --profile runs the workloads under perf record
# instead (cpu-clock sampling: QEMU's TCG has no PMU) and writes perf's
# report, kernel and user symbols together, to bench/profile.txt; its
# times are disturbed and kept nowhere. Arguments after either go to
# xepoll-bench (for example --quick, --only churn,sparse or --mechs
# xepoll).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

publish= profile=
case ${1:-} in
--publish) publish=1; shift ;;
--profile) profile=1; shift ;;
esac
args=("$@")

T=$XEPOLL_TOP/tools/testing
B=$XEPOLL_TOP/build
R=$XEPOLL_TOP/bench

# One vCPU by default: under TCG a wake-up across vCPUs costs what the
# host's scheduler makes it cost, which swamps the mechanisms' own.
cpus=${XEPOLL_BENCH_CPUS:-1}
# XEPOLL_BENCH_ICOUNT=SHIFT: the guest's clock counts its instructions
# (QEMU's -icount, 2^SHIFT ns each; qemu-run.sh -I), so that a host busy
# with other work does not show in the times; a shift of 2
# (4 ns an instruction) is about the host's speed of emulation.
icount=()
[ -z "${XEPOLL_BENCH_ICOUNT:-}" ] || icount=(-I "$XEPOLL_BENCH_ICOUNT")
v=$(xep_kernel_pick 6.12)
[ -n "$v" ] || xep_die "no ${XEPOLL_KERNEL:-6.12} kernel with headers installed (tools/testing/deps.sh check bench)"

xep_say "building xepoll for $v and xepoll-bench"
rc=0
"$T/kbuild.sh" "/lib/modules/$v/build" "$B/kmod-$v" || rc=$?
[ $rc -ne 1 ] || xep_die "the module does not build; see $B/kmod-$v/build.log"
make -s -C "$XEPOLL_TOP/tools/bench" >/dev/null
make -s -C "$XEPOLL_TOP/tools" preload/libxepoll-preload.so >/dev/null
out=$B/bench-$v
# perf runs the perf-wait and perf-ctl workloads (perf bench epoll), and
# records the profile of --profile.
perf=$(command -v perf) || xep_die "no perf: tools/testing/deps.sh bench"
kargs=
[ -z "$profile" ] || kargs=xepoll_profile=1
"$T/initramfs.sh" -o "$out/initrd.cpio.gz" -k "$B/kmod-$v/kmod/xepoll.ko" \
	-b "$XEPOLL_TOP/tools/bench/xepoll-bench" -b "$perf" \
	-l "$XEPOLL_TOP/tools/preload/libxepoll-preload.so"

# The guest's command line carries the arguments with + for spaces.
guest_args=$(IFS=+; echo "${args[*]}")
case $guest_args in
*' '*) xep_die "xepoll-bench arguments cannot hold spaces" ;;
esac
xep_say "booting $v in QEMU: the workloads run there (the console log goes to ${out#"$XEPOLL_TOP"/}/console.log)"
echo
"$T/qemu-run.sh" -k "/boot/vmlinuz-$v" -i "$out/initrd.cpio.gz" -m bench \
	-o "$out" -T "${XEPOLL_TIMEOUT:-5400}" -A "xepoll_bench=$guest_args $kargs" \
	-c "$cpus" "${icount[@]}"
echo

if ! "$T/verdict.sh" "$out" >"$out/verdict.txt"; then
	sed 's/^/  /' "$out/verdict.txt"
	xep_die "the guest run was not clean: no results are kept"
fi
status=$(tr -d '\r' <"$out/results.log" | sed -n 's/^XEPOLL bench //p')
[ "$status" = 0 ] || xep_die "xepoll-bench failed in the guest (exit ${status:-none})"
status=$(tr -d '\r' <"$out/results.log" | sed -n 's/^XEPOLL bench-unloaded //p')
[ "${status:-0}" = 0 ] || xep_die "xepoll-bench --phase unloaded failed in the guest (exit $status)"

mkdir -p "$R"
if [ -n "$profile" ]; then
	tr -d '\r' <"$out/results.log" | sed '/^XEPOLL bench-json-begin/,$d' |
		sed -n '/^XEPOLL bench /,$p' | sed 1d >"$R/profile.txt"
	xep_say "perf's report is in ${R#"$XEPOLL_TOP"/}/profile.txt"
	exit 0
fi
tr -d '\r' <"$out/results.log" |
	sed -n '/^XEPOLL bench-json-begin/,/^XEPOLL bench-json-end/{/^XEPOLL /d;p}' >"$out/raw.json"
tr -d '\r' <"$out/results.log" |
	sed '/^XEPOLL bench-json-begin/,$d;/^XEPOLL /d' >"$R/results.txt"
cat >"$R/command.txt" <<EOT
make bench${args[*]:+ BENCH_ARGS=\"${args[*]}\"}
kernel: Debian $v, in QEMU ($(cat "$out/accel"), $cpus vCPU, 1 GiB), one boot
host: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)
date: $(date -u '+%Y-%m-%d %H:%M UTC')
commit: $(git -C "$XEPOLL_TOP" describe --always --dirty 2>/dev/null || echo unknown)
time: $(xep_elapsed) (m:ss), building, booting and running
EOT
/usr/bin/python3 "$XEPOLL_TOP/tools/bench/report.py" --kernel "$v" --accel "$(cat "$out/accel")" \
	"$out/raw.json" "$R"
xep_say "results in ${R#"$XEPOLL_TOP"/}/: results.json, results.txt, results.rst, ratio.png, scaling.png"

if [ -n "$publish" ]; then
	mkdir -p "$XEPOLL_TOP/Documentation/bench"
	cp "$R"/{results.json,results.txt,results.rst,ratio.png,scaling.png,command.txt} \
		"$XEPOLL_TOP/Documentation/bench/"
	xep_say "copied to Documentation/bench/"
fi
