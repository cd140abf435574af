#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ksrc.sh: print the directory holding the files xepoll takes from Debian's
# linux-source package (checkpatch.pl and its data, kselftest_harness.h),
# extracting them into the cache first if needed.
#
# They are dependencies, not part of the repository: the cache is keyed by
# the package's version, so an upgrade of linux-source brings new copies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || xep_die "no /usr/src/linux-source-*.tar.xz: run tools/testing/deps.sh check"

pkg=$(basename "$tarball" .tar.xz)
version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || stat -c %Y "$tarball")
dir=$XEPOLL_CACHE/ksrc/$pkg-${version//[^A-Za-z0-9.+-]/_}

files=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
)

mkdir -p "$XEPOLL_CACHE/ksrc"
exec 9>"$XEPOLL_CACHE/ksrc/.lock"
flock 9
if [ ! -e "$dir/.complete" ]; then
	echo "ksrc.sh: extracting checkpatch and kselftest headers from $pkg $version" >&2
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 "${files[@]/#/$pkg/}"
	touch "$dir/.complete"
fi
printf '%s\n' "$dir"
