#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh -o OUT.cpio.gz -k xepoll.ko [-K MODULE.ko]... [-t TESTDIR]
#               [-f REGEX] [-b FILE]... [-l FILE]... [-r DESTDIR]
#
# Build the test guest's root: busybox, guest-init as /init, the module as
# /lib/xepoll/xepoll.ko, each -K module (the KUnit suites) beside it, TESTDIR's tests.list and test programs (*_test,
# *_test.sh) under /selftests, each -b FILE in /bin and each -l FILE in
# /lib, and every shared library those programs load (found with ldd), at
# the paths they load from. TESTDIR's guest-files.list, if there is one,
# names more files for /bin and /lib ("bin PATH", "lib PATH" lines; a
# relative PATH is relative to the top of the tree). -r DESTDIR copies a
# staged make install (DESTDIR=...) into the root as it is, for
# selftests/install_test.sh. -f REGEX goes to /selftests/tests.filter: the
# guest then runs only the tests whose label matches it (grep -E), so that
# a regex with any character in it need not survive the kernel command line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out= ko= testdir= destdir= filter=
bins=() libs=() kos=()
while getopts o:k:K:t:f:b:l:r: opt; do
	case $opt in
	o) out=$OPTARG ;;
	k) ko=$OPTARG ;;
	K) kos+=("$OPTARG") ;;
	t) testdir=$OPTARG ;;
	f) filter=$OPTARG ;;
	b) bins+=("$OPTARG") ;;
	l) libs+=("$OPTARG") ;;
	r) destdir=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$ko" ] || xep_die "usage: initramfs.sh -o OUT -k KO [-t TESTDIR] [-b FILE]... [-l FILE]... [-r DESTDIR]"
[ -r "$ko" ] || xep_die "no module at $ko"

root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,root,etc,lib/xepoll,selftests}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# The staged installation first: what follows is the guest's own.
if [ -n "$destdir" ]; then
	[ -d "$destdir" ] || xep_die "no staged installation at $destdir"
	cp -a "$destdir/." "$root/"
fi
install -m 0755 "$XEPOLL_TOP/tools/testing/guest-init" "$root/init"
install -m 0644 "$ko" "$root/lib/xepoll/xepoll.ko"
for f in "${kos[@]}"; do
	install -m 0644 "$f" "$root/lib/xepoll/"
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF

elves=()
if [ -n "$testdir" ] && [ -r "$testdir/guest-files.list" ]; then
	while read -r kind path; do
		case $kind in
		''|'#'*) continue ;;
		esac
		case $path in
		/*) ;;
		*) path=$XEPOLL_TOP/$path ;;
		esac
		[ -r "$path" ] || xep_die "guest-files.list: no $path"
		case $kind in
		bin) bins+=("$path") ;;
		lib) libs+=("$path") ;;
		*) xep_die "guest-files.list: unknown kind '$kind'" ;;
		esac
	done <"$testdir/guest-files.list"
fi
if [ -n "$testdir" ]; then
	install -m 0644 "$testdir/tests.list" "$root/selftests/tests.list"
	[ -z "$filter" ] || printf '%s\n' "$filter" >"$root/selftests/tests.filter"
	for f in "$testdir"/*_test "$testdir"/*_test.sh; do
		[ -x "$f" ] || continue
		install -m 0755 "$f" "$root/selftests/"
		[ "${f%.sh}" = "$f" ] && elves+=("$f")
	done
fi
for f in "${bins[@]}"; do
	install -m 0755 "$f" "$root/bin/"
	elves+=("$f")
done
for f in "${libs[@]}"; do
	install -m 0755 "$f" "$root/lib/"
	elves+=("$f")
done

# The shared libraries (and the dynamic loader) the programs need, at the
# same absolute paths, so the guest resolves them as the host does.
for f in "${elves[@]}"; do
	{ ldd "$f" 2>/dev/null || true; } | awk '/=> \// { print $3 } /^\t\// { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
