#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where the bytes of a linked weft program go: .text, .rodata and .data per object file.
#
# Usage: bench/size-breakdown.sh MAPFILE   (a link map: -Wl,-Map=MAPFILE)
#
# Reads the input sections the linker kept after --gc-sections. A section line is
# " .text.name 0xADDR 0xSIZE file", or the name alone with the rest on the next line.

set -eu

declare -A bytes
objects=()
section=""
in_map=0
while read -r first second third fourth _; do
	[ "$first" = "Linker" ] && [ "$second" = "script" ] && in_map=1
	[ "$in_map" = 1 ] || continue
	case "$first" in
	.text*|.rodata*|.data*) ;;
	0x*) [ -n "$section" ] || continue
	     fourth=$third third=$second second=$first first=$section ;;
	*) section=""; continue ;;
	esac
	if [ -z "$second" ]; then
		section=$first
		continue
	fi
	section=""
	case "$second" in 0x*) ;; *) continue ;; esac
	case "$third" in 0x*) ;; *) continue ;; esac
	[ -n "$fourth" ] || continue
	size=$((16#${third#0x}))
	[ "$size" -gt 0 ] || continue
	object=${fourth##*/}
	object=${object%)}
	object=${object##*(}
	kind=${first#.}
	kind=${kind%%.*}
	[ -n "${bytes[$object text]+x}" ] || {
		objects+=("$object")
		bytes[$object text]=0 bytes[$object rodata]=0 bytes[$object data]=0
	}
	bytes[$object $kind]=$((bytes[$object $kind] + size))
done <"$1"

printf '%-24s %7s %7s %7s\n' object text rodata data
for object in "${objects[@]}"; do
	printf '%-24s %7d %7d %7d\n' "$object" "${bytes[$object text]}" \
		"${bytes[$object rodata]}" "${bytes[$object data]}"
done | sort -k2,2nr
