#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build (or find in the cache) the debug kernel, and print
# the directory that holds it: bzImage, and a tree to build modules against.
#
# The kernel is Debian's linux-source-6.12 configured from tinyconfig, the
# kernel's kvm_guest.config and tools/testing/debug/debug.config (KUnit,
# KASAN, lockdep, kmemleak, UBSAN, failslab...). It is cached under
# $XEPOLL_CACHE/debug-kernel/<source version>-<config hash>/, built with
# ccache, so a warm run costs nothing and a changed fragment rebuilds only
# what changed. Progress goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

frag=$XEPOLL_TOP/tools/testing/debug/debug.config
tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || xep_die "no linux-source-6.12: run tools/testing/deps.sh debug"

version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$tarball")
hash=$( (cat "$frag"; echo "$version") | sha256sum | cut -c1-12)
src=$XEPOLL_CACHE/debug-kernel/src-${version//[^A-Za-z0-9.+-]/_}
out=$XEPOLL_CACHE/debug-kernel/${version//[^A-Za-z0-9.+-]/_}-$hash

say() { xep_say "debug kernel: $*" >&2; }

mkdir -p "$XEPOLL_CACHE/debug-kernel"
exec 9>"$XEPOLL_CACHE/debug-kernel/.lock"
flock 9

if [ -e "$out/.complete" ]; then
	printf '%s\n' "$out"
	exit 0
fi

if [ ! -e "$src/.complete" ]; then
	say "extracting $(basename "$tarball") (once per source version)"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.complete"
fi

export CCACHE_DIR=$XEPOLL_CACHE/ccache
export CCACHE_MAXSIZE=5G
# Paths inside the objects must not defeat the cache across directories.
export CCACHE_BASEDIR=$XEPOLL_CACHE
export KBUILD_BUILD_TIMESTAMP=xepoll KBUILD_BUILD_USER=xepoll KBUILD_BUILD_HOST=xepoll
kmake=(make -C "$src" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")

say "configuring (tinyconfig + kvm_guest.config + debug.config)"
mkdir -p "$out"
"${kmake[@]}" tinyconfig >"$out/config.log" 2>&1
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "$src/kernel/configs/kvm_guest.config" "$frag" >>"$out/config.log" 2>&1
"${kmake[@]}" olddefconfig >>"$out/config.log" 2>&1

# Every option of the fragment must have survived olddefconfig.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r line; do
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$out/.config" && echo "$line"
	else
		grep -qx "$line" "$out/.config" || echo "$line"
	fi
done)
[ -z "$missing" ] || xep_die "debug kernel: options the configuration did not take: $missing"

say "building (log: $out/build.log)"
"${kmake[@]}" bzImage modules >"$out/build.log" 2>&1 &
pid=$!
# A progress line a minute: how many files have been compiled so far.
ticks=0
while kill -0 "$pid" 2>/dev/null; do
	sleep 5
	ticks=$((ticks + 1))
	if [ $((ticks % 12)) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
		say "building: $(grep -c '^  CC ' "$out/build.log" || true) files compiled"
	fi
done
if ! wait $pid; then
	tail -n 30 "$out/build.log" >&2
	xep_die "debug kernel: the build failed"
fi
touch "$out/.complete"
say "ready: $out/arch/x86/boot/bzImage"
printf '%s\n' "$out"
