#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KDIR OUTDIR: build the module for one kernel, from a fresh copy
# of the sources in OUTDIR, with W=1 and sparse (C=2), so that one build is
# both the module under test and its lint.
#
# Kbuild writes objects beside the sources of an external module, so each
# kernel gets its own copy. The full log is OUTDIR/build.log; the warnings
# (compiler's and sparse's) are printed.
#
# Exit: 0 built without a warning, 1 the build failed, 3 built with warnings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1
out=$(realpath -m "$2")
[ -d "$kdir" ] || xep_die "no kernel build tree at $kdir"

rm -rf "$out"
mkdir -p "$out"
cp -r "$XEPOLL_TOP/Kbuild" "$XEPOLL_TOP/kmod" "$XEPOLL_TOP/uapi" "$out/"
# Whatever an in-tree build left behind must not be taken for fresh output.
find "$out" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
	-o -name modules.order -o -name Module.symvers \) -delete

command -v sparse >/dev/null || xep_die "sparse is not installed: run tools/testing/deps.sh check"

if ! make -C "$kdir" M="$out" W=1 C=2 modules >"$out/build.log" 2>&1; then
	grep -E 'error|warning' "$out/build.log" | head -n 40 >&2 || tail -n 40 "$out/build.log" >&2
	exit 1
fi

if grep -E -q 'warning:|error:' "$out/build.log"; then
	grep -E 'warning:|error:' "$out/build.log" >&2
	exit 3
fi
exit 0
