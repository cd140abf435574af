#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh GROUP...: install the Debian packages a make target needs.
#
# Idempotent and silent when everything is already installed. The 6.12
# kernel is named through Debian's versioned meta-packages
# (linux-image-6.12-amd64), which always point at the newest 6.12 build
# the archive offers, so no point release is hard-coded here.
#
# Groups:
#   build   the module and the tools, for the default kernel
#   debug   building the debug kernel (debug-kernel.sh)
#   check   everything make check, make lint and make run use, including
#           the unmodified epoll programs preload_test.sh runs in the guest,
#           and what checks the installation: pkg-config, man, Sphinx;
#           and perf, whose perf bench epoll bench_test.sh runs
#   dkms    make dkms-install
#   bench   make bench: make check's packages (perf among them), the
#           plotting library
set -euo pipefail

pkgs_build=(gcc make libc6-dev kmod linux-headers-amd64 liburing-dev)
pkgs_check=("${pkgs_build[@]}"
	linux-image-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.12
	qemu-system-x86 busybox-static cpio gzip xz-utils
	sparse
	redis-server redis-tools memcached
	pkgconf man-db groff-base python3-sphinx
	linux-perf)
pkgs_debug=(linux-source-6.12 gcc make flex bison bc libelf-dev libssl-dev
	ccache xz-utils)
pkgs_check+=("${pkgs_debug[@]}")
pkgs_dkms=("${pkgs_build[@]}" dkms)
pkgs_bench=("${pkgs_check[@]}" python3 python3-matplotlib)

want=()
for group in "$@"; do
	case $group in
	build)	want+=("${pkgs_build[@]}") ;;
	debug)	want+=("${pkgs_debug[@]}") ;;
	check)	want+=("${pkgs_check[@]}") ;;
	bench)	want+=("${pkgs_bench[@]}") ;;
	dkms)	want+=("${pkgs_dkms[@]}") ;;
	*)	echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Deduplicate, keeping order, so the message names each package once.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
	command -v sudo >/dev/null ||
		{ echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
else
	SUDO=
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A stale or empty package list cannot find the kernel meta-packages.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done"
