#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks each binary is what weft promises: static, no interpreter, no libc, nothing writable+exec.
#
# Usage: tests/check-elf.sh BINARY...
#
# A toolchain default (a stray -lc, a PIE link, a missing .note.GNU-stack in an
# assembly file) can undo any of these without a build error; only the ELF
# file shows it. One TAP line per binary.

set -u

# glibc's internals have these prefixes; none may appear in a weft binary.
glibc_prefixes='__libc_|_IO_|GLIBC_|_dl_|__GI_'
# libc's public names weft deliberately does not define (it does define memcpy,
# memmove, memset and memcmp, which compilers call even in freestanding code).
libc_names='printf|fprintf|sprintf|snprintf|puts|malloc|calloc|realloc|free|exit|abort'
libc_names="^($libc_names|pthread_create|pthread_join|__errno_location)\$"

# Prints one line per thing wrong with $1.
problems()
{
	local binary=$1 header segments sections stack symbols libc

	[ -f "$binary" ] || { echo "missing"; return; }
	header=$(readelf -hW "$binary" 2>/dev/null) || { echo "not an ELF file"; return; }
	grep -q 'Type: *EXEC' <<<"$header" || echo "not ET_EXEC (a PIE or a shared object)"
	segments=$(readelf -lW "$binary")
	sections=$(readelf -SW "$binary")
	grep -qE '^ *INTERP ' <<<"$segments" && echo "has PT_INTERP"
	grep -qE '^ *DYNAMIC ' <<<"$segments" && echo "has PT_DYNAMIC"
	grep -q ' \.dynamic ' <<<"$sections" && echo "has a .dynamic section"
	# glibc's crt1.o brings this note; it survives stripping, symbols do not.
	grep -q ' \.note\.ABI-tag ' <<<"$sections" && echo "has glibc's .note.ABI-tag"

	# The flags are the columns between MemSiz and Align: "RW", or "RWE" if executable.
	stack=$(awk '$1 == "GNU_STACK" { f = ""; for (i = 7; i < NF; i++) f = f $i; print f }' \
		<<<"$segments")
	[ "$stack" = RW ] || echo "GNU_STACK is '${stack:-absent}', not RW"
	# No LOAD segment may be both writable and executable: GNU ld for riscv64 makes one
	# when small data sits next to .bss (the Makefile's -msmall-data-limit=0 prevents it).
	awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i; if (f ~ /W/ && f ~ /E/)
		print "a LOAD segment is writable and executable (" f ")" }' <<<"$segments"

	symbols=$(nm "$binary" 2>/dev/null)
	[ -z "$symbols" ] && echo "no symbol table to check (stripped?)"
	libc=$(awk -v pre="$glibc_prefixes" -v names="$libc_names" '
		$NF ~ pre || (NF == 3 && $2 != "U" && $2 != "w" && $NF ~ names) { print $NF }' \
		<<<"$symbols" | sort -u | head -n 5 | tr '\n' ' ')
	[ -n "$libc" ] && echo "libc symbols: ${libc% }"
	return 0
}

echo "TAP version 13"
echo "1..$#"

missing=""
for tool in readelf nm; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done

n=0
fail=0
for binary in "$@"; do
	n=$((n + 1))
	name="check-elf.$binary"
	if [ -n "$missing" ]; then
		echo "ok $n $name # SKIP$missing not installed (apt-get install -y binutils)"
		continue
	fi
	why=$(problems "$binary" | paste -sd ';' | sed 's/;/; /g')
	if [ -z "$why" ]; then
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name # $why"
	fi
done
[ "$fail" -eq 0 ]
