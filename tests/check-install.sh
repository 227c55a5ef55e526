#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs weft into a scratch DESTDIR and builds samples/outside/ against it, as another project.
#
# Usage: tests/check-install.sh WORKDIR TWIN [RUNNER...] [-- MAKEFLAG...]
#   WORKDIR   scratch directory (emptied): WORKDIR/root is the DESTDIR, WORKDIR/project
#             a copy of samples/outside/
#   TWIN      the same program built in the tree (samples/outside/hello, under O= if any)
#   RUNNER    a command to run the programs under (qemu-user); none runs them natively
#   MAKEFLAG  the ARCH=, O=, CC=, CROSS_COMPILE= ... of the build under test, given to
#             `make install` as they were to the build; its CC= builds the project too,
#             and its STRIP= strips both programs (default $STRIP, else strip)
# Environment: WEFT_MAKE (the make to run, default make). `make check` runs it once for
# its ARCH, `make check-all` once for each architecture (the Makefile's INSTALL_CHECKS).
#
# One TAP line each: `make install DESTDIR=... PREFIX=/usr`; the project builds with
# its own three-line Makefile, the pkg-config line and nothing else; it runs and prints
# what its in-tree twin prints; stripped, it is byte for byte the twin (the Makefile links
# the twin in the same order, crt0.o after the program); it has no tracer, and
# WEFT_TRACE=1 makes it say what to link instead; linked with `pkg-config --libs
# weft-trace` it traces; linking it without crt0.o, or with glibc, fails at link
# time with weft's message (lib/start-file.h); `make uninstall` leaves nothing behind.
# A SKIP says why: the glibc link where the compiler has no C library for the
# architecture (the cross compilers come without one), the stripping ones without the
# architecture's strip.

set -u

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR TWIN [RUNNER...] [-- MAKEFLAG...]" >&2; exit 2; }
work=$1 twin=$2
shift 2
runner=() makeflags=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	runner+=("$1")
	shift
done
[ $# -gt 0 ] && shift
makeflags=("$@")
make=${WEFT_MAKE:-make}
top=$(cd "$(dirname "$0")/.." && pwd)
root=$work/root project=$work/project
cc=${CC:-gcc} strip_cmd=${STRIP:-strip}
for flag in "${makeflags[@]}"; do
	case "$flag" in
	CC=*) cc=${flag#CC=} ;;
	STRIP=*) strip_cmd=${flag#STRIP=} ;;
	esac
done
# Another architecture's programs need that architecture's strip: binutils' strip reads
# only the host's ELF. Without it the two checks that strip skip and say what to install.
no_strip=""
if ! command -v "$strip_cmd" >/dev/null 2>&1; then
	case "$strip_cmd" in
	llvm-strip) package=llvm ;;
	*-strip) package=binutils-${strip_cmd%-strip} ;;
	*) package=binutils ;;
	esac
	no_strip="$strip_cmd not found: apt-get install -y $package (or make deps)"
fi

echo "TAP version 13"
echo "1..9"
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1${2:+ # $2}"; }
not_ok() { n=$((n + 1)) fail=1; echo "not ok $n $1${2:+ # $2}"; }
skip_rest()
{
	while [ "$n" -lt 9 ]; do
		n=$((n + 1))
		echo "ok $n ${1} # SKIP $2"
	done
	exit "$fail"
}
# show FILE: a command's output as diagnostics.
show() { sed 's/^/# /' "$1"; }

rm -rf "$work"
mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd) root=$work/root project=$work/project

if $make -C "$top" --no-print-directory -s "${makeflags[@]}" install DESTDIR="$root" \
	PREFIX=/usr >"$work/install.log" 2>&1 && [ -f "$root/usr/lib/pkgconfig/weft.pc" ]; then
	ok "install"
else
	show "$work/install.log"
	not_ok "install"
	skip_rest "outside" "nothing installed"
fi

if ! command -v pkg-config >/dev/null 2>&1; then
	skip_rest "outside" "pkg-config not installed (apt-get install -y pkgconf, or make deps)"
fi
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig
unset PKG_CONFIG_PATH
cp -r "$top/samples/outside" "$project" && rm -f "$project/hello" "$project"/*.o
# Only its own Makefile: no variable from this build but the compiler.
if env -u MAKEFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS -u LDLIBS \
	make -C "$project" --no-print-directory CC="$cc" >"$work/build.log" 2>&1; then
	ok "outside.build" "$(pkg-config --cflags --libs weft | sed "s|$root|DESTDIR|g")"
else
	show "$work/build.log"
	not_ok "outside.build"
	skip_rest "outside" "the project did not build"
fi

want=$(timeout -k 5 60 "${runner[@]}" "$twin" 2>&1)
got=$(timeout -k 5 60 "${runner[@]}" "$project/hello" 2>&1)
status=$?
if [ "$status" -eq 0 ] && [ "$got" = "$want" ] && [ -n "$got" ]; then
	ok "outside.runs"
else
	printf '%s\n' "$got" | sed 's/^/# outside: /'
	printf '%s\n' "$want" | sed 's/^/# in-tree: /'
	not_ok "outside.runs" "exit status $status, or not the in-tree twin's output"
fi

[ -z "$no_strip" ] && "$strip_cmd" -o "$work/hello.stripped" "$project/hello" &&
	"$strip_cmd" -o "$work/twin.stripped" "$twin"
size=$(stat -c %s "$work/hello.stripped" 2>/dev/null || echo 0)
twin_size=$(stat -c %s "$work/twin.stripped" 2>/dev/null || echo 0)
if [ -n "$no_strip" ]; then
	ok "outside.size" "SKIP $no_strip"
elif [ "$size" -gt 0 ] && cmp -s "$work/hello.stripped" "$work/twin.stripped"; then
	ok "outside.size" "$size bytes stripped, byte for byte the in-tree twin"
else
	not_ok "outside.size" "$size bytes stripped, in the tree $twin_size"
fi

# The tracer is a link-time option: without it, WEFT_TRACE gets one line of advice.
read -r -a cflags <<<"$(pkg-config --cflags weft)"
read -r -a libs <<<"$(pkg-config --libs weft)"
"$cc" "${cflags[@]}" -c -o "$work/hello.o" "$project/hello.c"
advice="weft: WEFT_TRACE is set but this program was linked without the tracer; link with"
advice+=" \`pkg-config --libs weft-trace\` (or -Wl,-u,weft_trace_start) to use it"
got=$(WEFT_TRACE=1 timeout -k 5 60 "${runner[@]}" "$project/hello" 2>&1 >/dev/null)
if [ "$got" = "$advice" ]; then
	ok "outside.no-tracer" "WEFT_TRACE=1: one line of advice"
else
	printf '%s\n' "$got" | sed 's/^/# stderr: /'
	not_ok "outside.no-tracer" "WEFT_TRACE=1 did not print the advice alone"
fi

read -r -a trace_libs <<<"$(pkg-config --libs weft-trace)"
got=""
if "$cc" -o "$work/hello-trace" "$work/hello.o" "${trace_libs[@]}" >"$work/link.log" 2>&1; then
	got=$(WEFT_TRACE=1 timeout -k 5 60 "${runner[@]}" "$work/hello-trace" 2>&1 >/dev/null)
else
	show "$work/link.log"
fi
if [[ $got == *"(why: main thread TLS block + TCB)"* && $got == *"exit_group(0) = ?"* ]]; then
	if [ -n "$no_strip" ]; then
		ok "outside.trace" "with pkg-config --libs weft-trace"
	else
		"$strip_cmd" -o "$work/hello-trace.stripped" "$work/hello-trace"
		ok "outside.trace" "with pkg-config --libs weft-trace: $(stat -c %s \
			"$work/hello-trace.stripped" 2>/dev/null) bytes stripped"
	fi
else
	printf '%s\n' "$got" | tail -5 | sed 's/^/# stderr: /'
	not_ok "outside.trace" "linked with weft-trace, WEFT_TRACE=1 shows no trace"
fi

# The two mistakes, each from the pkg-config line with one thing changed.
no_crt0=()
for flag in "${libs[@]}"; do
	[[ $flag == -l:weft/crt0.o ]] || no_crt0+=("$flag")
done
if "$cc" -o "$work/no-crt0" "$work/hello.o" "${no_crt0[@]}" >"$work/link.log" 2>&1; then
	not_ok "link.without-crt0" "linked"
elif grep -q 'put_crt0_o_first_on_the_link_line' "$work/link.log"; then
	ok "link.without-crt0"
else
	show "$work/link.log"
	not_ok "link.without-crt0" "failed, but without weft's message"
fi

# glibc's way: its start files and libc, with weft's crt0.o and library. Under the same
# --target as the build (clang for another architecture), which has no C library here.
target=()
for flag in "${cflags[@]}"; do
	[[ $flag == --target=* ]] && target+=("$flag")
done
if [ "$("$cc" "${target[@]}" -print-file-name=crt1.o)" = crt1.o ]; then
	ok "link.with-libc" "SKIP $cc${target:+ ${target[*]}} has no C library to mix in"
elif "$cc" -no-pie -o "$work/with-libc" "$root/usr/lib/weft/crt0.o" "$work/hello.o" \
	"$root/usr/lib/libweft.a" >"$work/link.log" 2>&1; then
	not_ok "link.with-libc" "linked"
elif grep -q "glibc's start file is linked too" "$work/link.log"; then
	ok "link.with-libc"
else
	show "$work/link.log"
	not_ok "link.with-libc" "failed, but without weft's message"
fi

if $make -C "$top" --no-print-directory -s "${makeflags[@]}" uninstall DESTDIR="$root" \
	PREFIX=/usr >"$work/uninstall.log" 2>&1 &&
   [ -z "$(find "$root" -type f)" ]; then
	ok "uninstall"
else
	show "$work/uninstall.log"
	find "$root" -type f | sed 's/^/# left: /'
	not_ok "uninstall"
fi
exit "$fail"
