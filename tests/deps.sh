#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what `make check` needs beyond a compiler (qemu-user, spin, the kernel's UAPI
# headers), on Debian as root. Extra package names given as arguments are installed too
# when the command of the same name is missing (.ci/run asks for clang).
#
# Never fails the build: if something cannot be installed it says what, and
# `make check` then reports the tests that need it (qemu tests fail, the spin
# model check is skipped), so nothing passes by accident.

set -u

qemu=${QEMU_USER:-qemu-x86_64}
packages=()
command -v "$qemu" >/dev/null 2>&1 || packages+=(qemu-user)
command -v spin >/dev/null 2>&1 || packages+=(spin)
# <linux/futex.h> and <asm/unistd.h> come from linux-libc-dev (usually there with gcc).
[ -e /usr/include/linux/futex.h ] || packages+=(linux-libc-dev)
# musl-gcc (Debian's musl-tools) builds the musl side of `make bench`.
command -v musl-gcc >/dev/null 2>&1 || packages+=(musl-tools)
for extra in "$@"; do
	command -v "$extra" >/dev/null 2>&1 || packages+=("$extra")
done
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; then
		exit 0
	fi
	echo "deps: apt-get could not install ${packages[*]}" >&2
fi
echo "deps: missing ${packages[*]}; install with: apt-get install -y ${packages[*]}" >&2
exit 0
