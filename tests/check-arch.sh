#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that x86_64 knowledge stays in arch/x86_64/: no x86 register, arch_prctl or x86-only call elsewhere.
#
# Usage: tests/check-arch.sh [FILE...]   (default: every C, header and assembly file
#        outside arch/ and bench/, where bench/ holds x86-only comparisons)
#
# Shared code reaches the architecture through arch/<arch>/*_arch.h and kernel-abi/
# (Documentation/porting.rst). What is genuinely x86_64-only outside arch/ sits in a
# block guarded by `#ifdef __x86_64__` or by the call's own number (`#ifdef
# __NR_arch_prctl`, `__NR_dup2`, `__NR_alarm`): those lines are allowed, and so is the
# `#else` side's absence. One TAP line per file.

set -u
cd "$(dirname "$0")/.." || exit 1

if [ $# -eq 0 ]; then
	mapfile -t files < <(find lib include kernel-abi tests samples arch \
		-path arch/x86_64 -prune -o \( -name '*.[chS]' -print \) | sort)
else
	files=("$@")
fi

# x86 registers as compilers and assemblers spell them, the segment-based thread
# pointer, and the calls asm-generic tables (aarch64, riscv64) do not have.
regs='%(([re]?(ax|bx|cx|dx|si|di|bp|sp))|r(8|9|1[0-5])[dwb]?)\>|\<([re](ax|bx|cx|dx|si|di|bp|sp)|r(8|9|1[0-5])[dwb]?|[xyz]mm[0-9]+|rflags)\>'
tp='%[fg]s\>|\<(arch_prctl|ARCH_[SG]ET_[FG]S)\>'
calls='\<(__NR_|sys_)(dup2|alarm|fork|vfork|open|pipe|poll|getdents|pause)\>'
pattern="$regs|$tp|$calls"

echo "TAP version 13"
echo "1..${#files[@]}"
n=0
fail=0
for f in "${files[@]}"; do
	n=$((n + 1))
	hits=$(awk '
		# guard[d]: 1 while inside an x86_64-only #if branch at depth d.
		function guarded(   i) { for (i = 1; i <= depth; i++) if (guard[i]) return 1; return 0 }
		/^[ \t]*#[ \t]*if/ {
			depth++
			guard[depth] = ($0 ~ /__x86_64__|__NR_(arch_prctl|dup2|alarm)/ && $0 !~ /!/ \
				&& $0 !~ /ifndef/)
			next
		}
		/^[ \t]*#[ \t]*el/ { guard[depth] = 0; next }
		/^[ \t]*#[ \t]*endif/ { if (depth) depth--; next }
		!guarded() { printf "%d: %s\n", FNR, $0 }
	' "$f" | grep -E "$pattern" | head -n 3)
	if [ -n "$hits" ]; then
		echo "not ok $n check-arch.$f"
		sed 's/^/#   /' <<<"$hits"
		fail=1
	else
		echo "ok $n check-arch.$f"
	fi
done
exit $fail
