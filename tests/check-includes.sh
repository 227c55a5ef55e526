#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails if weft's sources include any <...> header but freestanding C and Linux UAPI ones.
#
# weft has no libc underneath it: a <stdio.h> or <pthread.h> would either not
# build or, worse, quietly link glibc's. What a freestanding compiler provides
# (C11 §4 ¶6) and the kernel's own UAPI headers are all a file may include;
# weft's own headers are included with quotes ("weft/thread.h", found through -Iinclude),
# so that every <...> include names a header the compiler or the kernel provides.

set -u
cd "$(dirname "$0")/.." || exit 1

freestanding='stddef|stdint|stdbool|stdarg|stdatomic|limits|stdalign|stdnoreturn|float|iso646'
allowed="^<(($freestanding)\\.h|(linux|asm|asm-generic)/[^>]+)>"
include='^[^:]*:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*(<[^>]*>)'

echo "TAP version 13"
echo "1..1"
bad=$(find arch kernel-abi lib include tests samples \
	   -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -print0 2>/dev/null |
	sort -z |
	xargs -0 -r grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' |
	while IFS= read -r line; do
		# file:line:#include <header>
		[[ $line =~ $include && ${BASH_REMATCH[1]} =~ $allowed ]] || printf '%s\n' "$line"
	done)

if [ -n "$bad" ]; then
	printf '%s\n' "$bad" | sed 's/^/# not freestanding: /'
	echo "not ok 1 check-includes"
	exit 1
fi
echo "ok 1 check-includes"
