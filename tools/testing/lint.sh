#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh [checkpatch | KERNEL-SERIES...]: the kernel side's lint.
#
# checkpatch.pl --strict over kmod/ and uapi/ (from Debian's linux-source),
# then a W=1 build with sparse (kbuild.sh) against each series' kernel,
# 6.1 and 6.12 by default. Any message fails it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

checkpatch()
{
	local ksrc files

	ksrc=$("$XEPOLL_TOP/tools/testing/ksrc.sh")
	# Our sources, not what kbuild generates beside them (*.mod.c).
	mapfile -t files < <(cd "$XEPOLL_TOP" &&
		ls kmod/*.[ch] uapi/linux/*.h | grep -v '\.mod\.c$')
	cd "$XEPOLL_TOP" &&
		"$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
			-f "${files[@]}"
}

status=0
if [ $# -eq 0 ] || [ "$1" = checkpatch ]; then
	xep_say "checkpatch --strict kmod/ uapi/"
	if out=$(checkpatch 2>&1) && ! grep -q -E 'ERROR|WARNING|CHECK' <<<"$out"; then
		xep_say "checkpatch: clean"
	else
		printf '%s\n' "$out"
		xep_say "checkpatch: FAILED"
		status=1
	fi
	[ "${1:-}" = checkpatch ] && exit $status
fi

# The stock kernels: the debug kernel is checked by make check's own build.
for series in ${*:-$XEPOLL_SERIES}; do
	[ "$series" = debug ] && continue
	v=$(xep_kernel_version "$series")
	if [ -z "$v" ]; then
		xep_say "$series: no kernel installed (tools/testing/deps.sh check)"
		status=1
		continue
	fi
	xep_say "$v: W=1 build with sparse"
	if "$XEPOLL_TOP/tools/testing/kbuild.sh" "/lib/modules/$v/build" \
		"$XEPOLL_TOP/build/kmod-$v"; then
		xep_say "$v: clean"
	else
		xep_say "$v: FAILED"
		status=1
	fi
done
exit $status
