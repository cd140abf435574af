#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh DESTDIR: make check's checks of the installation, on the host.
#
#   - make install-user into DESTDIR (emptied first), and every file it
#     should install is there: the library (versioned shared, with its
#     symlinks, and static), the headers, libxepoll.pc, the interposer, the
#     tools, the man pages, the udev rule and the disabled modules-load.d
#     entry;
#   - examples/ builds against the installed libxepoll.pc (pkgconf's
#     sysroot), links libxepoll.so.1 with its symbol versions, and is
#     copied to DESTDIR/examples for the guest (selftests/install_test.sh
#     runs it there, with the installed module and library);
#   - a second install, then make uninstall, leaves no file behind (with
#     the module too when KO, a module built for KDIR, is given);
#   - every installed man page renders with man --warnings without a word
#     on stderr;
#   - the documentation builds with sphinx-build -W (any warning fails).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dest=$(realpath -m "$1")
top=$XEPOLL_TOP
prefix=/usr/local
failed=0

fail()
{
	echo "FAILED: $*"
	failed=1
}

echo "== make install-user DESTDIR=$dest"
rm -rf "$dest"
make -s -C "$top" install-user DESTDIR="$dest" PREFIX=$prefix

echo "== the installed files"
lib=$dest$prefix/lib
want=(
	"$dest$prefix/bin/xepoll-stat" "$dest$prefix/bin/xepoll-demo"
	"$dest$prefix/bin/xepoll-bench"
	"$lib/libxepoll.a" "$lib/libxepoll.so.1.3" "$lib/libxepoll-preload.so"
	"$lib/pkgconfig/libxepoll.pc"
	"$dest$prefix/include/xepoll.h" "$dest$prefix/include/linux/xepoll.h"
	"$dest/lib/udev/rules.d/60-xepoll.rules"
	"$dest/etc/modules-load.d/xepoll.conf"
)
for m in "$top"/man/man[1-8]/*.[1-8]; do
	want+=("$dest$prefix/share/man/${m#"$top"/man/}")
done
for f in "${want[@]}"; do
	[ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
[ "$(readlink "$lib/libxepoll.so.1")" = libxepoll.so.1.3 ] || fail "libxepoll.so.1 -> libxepoll.so.1.3"
[ "$(readlink "$lib/libxepoll.so")" = libxepoll.so.1 ] || fail "libxepoll.so -> libxepoll.so.1"
soname=$(readelf -d "$lib/libxepoll.so.1.3" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libxepoll.so.1 ] || fail "SONAME is '$soname'"
# Read whole before grep -q stops early: with pipefail, nm's SIGPIPE would fail the check.
syms=$(nm "$lib/libxepoll.a")
for sym in xepoll_create1 xepoll_ring_setup; do
	grep -q " T $sym\$" <<<"$syms" || fail "libxepoll.a lacks $sym"
done
# The library's newest call, under the newest symbol version.
dsyms=$(objdump -T "$lib/libxepoll.so.1.3")
grep -q ' XEPOLL_1\.3 *xepoll_ring_setup$' <<<"$dsyms" ||
	fail "libxepoll.so.1.3 does not export xepoll_ring_setup at XEPOLL_1.3"
# The module is not loaded at boot unless the administrator says so.
if grep -v '^#' "$dest/etc/modules-load.d/xepoll.conf" | grep -q '[^[:space:]]'; then
	fail "modules-load.d/xepoll.conf enables the module"
fi
grep -q '^SUBSYSTEM=="misc", KERNEL=="xepoll", MODE="0666"$' \
	"$dest/lib/udev/rules.d/60-xepoll.rules" || fail "the udev rule"
echo "installed: $(find "$dest" -type f -o -type l | wc -l) files"

echo "== examples/ against the installed libxepoll.pc"
export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$lib/pkgconfig
v=$(pkg-config --modversion libxepoll) || fail "pkg-config: no libxepoll"
echo "pkg-config: libxepoll $v: $(pkg-config --cflags --libs libxepoll)"
ex=$(mktemp -d)
trap 'rm -rf "$ex"' EXIT
# Built from a copy: the tree stays clean, and nothing but the installed
# headers and library can be found.
cp "$top"/examples/Makefile "$top"/examples/*.c "$ex/"
make -s -C "$ex" || fail "examples/ did not build against the installed library"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
for p in echo-server echo-client; do
	[ -x "$ex/$p" ] || continue
	readelf -d "$ex/$p" | grep -q 'NEEDED.*\[libxepoll.so.1\]' ||
		fail "$p does not link libxepoll.so.1"
	install -D -m 0755 "$ex/$p" "$dest/examples/$p"
done
objdump -T "$ex/echo-client" | grep -q '(XEPOLL_1.1) *xepoll_ctl_batch$' ||
	fail "echo-client does not bind xepoll_ctl_batch@XEPOLL_1.1"

echo "== make install, then make uninstall, leaves nothing"
un=$(mktemp -d)
if [ -n "${KO:-}" ]; then
	make -s -C "$top" install KO="$KO" KDIR="$KDIR" DESTDIR="$un" PREFIX=$prefix >/dev/null
	[ -f "$un/lib/modules/$(xep_kdir_release "$KDIR")/updates/xepoll.ko" ] ||
		fail "make install: no module"
else
	make -s -C "$top" install-user DESTDIR="$un" PREFIX=$prefix >/dev/null
fi
n=$(find "$un" -type f -o -type l | wc -l)
make -s -C "$top" uninstall ${KDIR:+KDIR="$KDIR"} DESTDIR="$un" PREFIX=$prefix >/dev/null
left=$(find "$un" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "installed $n files, uninstalled all"
rm -rf "$un"

echo "== man pages"
n=0
cd "$dest$prefix/share/man"
for m in man[1-8]/*.[1-8]; do
	err=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
	if [ -n "$err" ]; then
		fail "$m: $err"
	elif [ "$(MANWIDTH=80 man -l "$m" 2>/dev/null | wc -l)" -lt 5 ]; then
		fail "$m: rendered nearly empty"
	fi
	n=$((n + 1))
done
cd - >/dev/null
echo "$n pages rendered without a warning"

echo "== Documentation/ with sphinx-build -W"
rm -rf "$XEPOLL_TOP/build/docs"
sphinx-build -q -W -b html "$top/Documentation" "$XEPOLL_TOP/build/docs" ||
	fail "sphinx-build"

[ $failed -eq 0 ] && echo "install: all good"
exit $failed
