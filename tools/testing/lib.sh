# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the scripts in tools/testing: where the cache lives,
# which Debian kernels are installed, and progress lines with elapsed time.
# Sourced, never run.

XEPOLL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XEPOLL_CACHE=${XEPOLL_CACHE:-${HOME:-/var/tmp}/.cache/xepoll}
XEPOLL_T0=${XEPOLL_T0:-$(date +%s)}
export XEPOLL_TOP XEPOLL_CACHE XEPOLL_T0

# The kernels make check targets: Debian's stock 6.1 and 6.12, and "debug",
# a 6.12 built with KUnit and the checkers (debug-kernel.sh).
XEPOLL_SERIES=${XEPOLL_SERIES:-"6.1 6.12 debug"}

xep_elapsed()
{
	local s=$(($(date +%s) - XEPOLL_T0))

	printf '%d:%02d' $((s / 60)) $((s % 60))
}

# A progress line: "[m:ss] what".
xep_say()
{
	printf '[%s] %s\n' "$(xep_elapsed)" "$*"
}

xep_die()
{
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# The newest installed Debian kernel of a series (6.1, 6.12) that has both
# an image in /boot and a build tree for modules; empty when none does.
# Only the generic amd64 flavour counts: not -cloud, not -rt.
xep_kernel_version()
{
	local series=$1 re v best=

	re="^${series//./\\.}\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-amd64\$"
	for v in $(cd /lib/modules 2>/dev/null && ls -d -- * 2>/dev/null); do
		[[ $v =~ $re ]] || continue
		[ -r "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/build" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n 1)
	done
	printf '%s\n' "$best"
}

# The kernel a guest of make run or make bench boots: $XEPOLL_KERNEL, a
# series (6.1, 6.12) or a full release string, else the series given;
# empty when it is not installed with its headers.
xep_kernel_pick()
{
	local want=${XEPOLL_KERNEL:-$1}

	if [ -r "/boot/vmlinuz-$want" ] && [ -d "/lib/modules/$want/build" ]; then
		printf '%s\n' "$want"
	else
		xep_kernel_version "$want"
	fi
}

# The kernel build tree that "make" builds against by default: the running
# kernel's when it exists, else the newest Debian 6.1 headers.
xep_default_kdir()
{
	local v

	if [ -d "/lib/modules/$(uname -r)/build" ]; then
		printf '%s\n' "/lib/modules/$(uname -r)/build"
		return
	fi
	v=$(xep_kernel_version 6.1)
	[ -n "$v" ] && printf '%s\n' "/lib/modules/$v/build"
}

# The release string (uname -r) of the kernel a build tree is for.
xep_kdir_release()
{
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null
}
