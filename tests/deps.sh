#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what `make check` needs beyond a compiler (qemu-user, spin, pkg-config, Sphinx,
# the UAPI headers), on Debian as root. Extra package names given as arguments are installed too
# when the command of the same name is missing (.ci/run asks for clang).
#
# ARCHS (default x86_64) lists the architectures to test: each needs its qemu-user binary,
# and one that is not the host's needs its UAPI headers (linux-libc-dev-<arch>-cross) and
# a way to build: lld and llvm-strip for clang (CC_IS_CLANG=1), else the GNU cross compiler.
#
# Never fails the build: if something cannot be installed it says what, and
# `make check` then reports the tests that need it (qemu tests fail, the spin
# model check is skipped), so nothing passes by accident.

set -u

packages=()
host=$(uname -m)
for arch in ${ARCHS:-x86_64}; do
	command -v "qemu-$arch" >/dev/null 2>&1 || packages+=(qemu-user)
	[ "$arch" = "$host" ] && continue
	case "$arch" in
	aarch64) debarch=arm64 ;;
	*) debarch=$arch ;;
	esac
	[ -e "/usr/$arch-linux-gnu/include/asm/unistd.h" ] ||
		packages+=("linux-libc-dev-$debarch-cross")
	if [ "${CC_IS_CLANG:-}" = 1 ]; then
		command -v ld.lld >/dev/null 2>&1 || packages+=(lld)
		# The install check strips the port's programs: binutils' strip reads only
		# the host's ELF, llvm-strip any (the GNU cross compiler brings its own).
		command -v llvm-strip >/dev/null 2>&1 || packages+=(llvm)
	else
		command -v "$arch-linux-gnu-gcc" >/dev/null 2>&1 || packages+=("gcc-$arch-linux-gnu")
	fi
done
command -v spin >/dev/null 2>&1 || packages+=(spin)
# The install check builds samples/outside/ with pkg-config, as another project would.
command -v pkg-config >/dev/null 2>&1 || packages+=(pkg-config)
# `make htmldocs`, which `make check` runs with warnings as errors.
command -v sphinx-build >/dev/null 2>&1 || packages+=(python3-sphinx)
# <linux/futex.h> and <asm/unistd.h> come from linux-libc-dev (usually there with gcc).
[ -e /usr/include/linux/futex.h ] || packages+=(linux-libc-dev)
# musl-gcc (Debian's musl-tools) builds the musl side of `make bench`.
command -v musl-gcc >/dev/null 2>&1 || packages+=(musl-tools)
for extra in "$@"; do
	command -v "$extra" >/dev/null 2>&1 || packages+=("$extra")
done
[ ${#packages[@]} -eq 0 ] && exit 0
# Once each: every architecture asks for qemu-user, and clang's ports for llvm.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# --no-install-recommends: gcc-<arch>-linux-gnu would pull a cross libc's headers.
	if apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
		exit 0
	fi
	echo "deps: apt-get could not install ${packages[*]}" >&2
fi
echo "deps: missing ${packages[*]}; install with: apt-get install -y ${packages[*]}" >&2
exit 0
