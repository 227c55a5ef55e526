#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails if a file includes or calls into a layer above its own (Documentation/layers.rst).
#
# Usage: tests/check-layers.sh [OBJDIR]
#   OBJDIR  where the build put lib/*.o, kernel-abi/*.o and arch/<arch>/*.o (default: .,
#           the tree itself; the Makefile passes its O=). ARCH picks the arch/ directory
#           whose objects are read (default x86_64).
#
# The layer of every file is the table in Documentation/layers.rst (the lines of the
# block after "check-layers.sh reads"). Three checks, in TAP:
#   1. every source file of arch/, kernel-abi/, lib/ and include/weft/ has a layer;
#   2. includes: public headers include only public ones; an internal header is
#      included by its path from the top ("lib/thread.h"), an arch header by its bare
#      name ("tp_arch.h"); nothing includes a header of a higher layer;
#   3. calls, from the built objects (nm): a symbol a file uses is resolved to the
#      file that defines it, which must not be in a higher layer, unless the name is
#      declared in lib/hooks.h, the registration interface. A weak reference ("w")
#      is allowed only to a name declared there, and no library object defines a
#      weak symbol (a hook's definition must not see its weak declaration).

set -u
cd "$(dirname "$0")/.." || exit 1
objdir=${1:-.}
arch=${ARCH:-x86_64}
shopt -s nullglob

declare -A layer=()
while read -r n globs; do
	for g in $globs; do
		for f in $g; do
			layer[$f]=$n
		done
	done
done < <(awk '/check-layers.sh reads/ { on = 1; next }
	      on && /^\t[0-9]+ / { print; seen = 1; next }
	      on && seen && !/^[[:space:]]*$/ { exit }' Documentation/layers.rst)

# Names a lower layer may call in a higher one: declared in the registration interface.
declare -A hook=()
for name in $(sed -n 's/^\(WEFT_[A-Z]*_\?\(HOOK\|STEP\) \)\?[a-z_0-9 ]*[ *]\(weft_[a-z_0-9]*\)(.*/\3/p' \
	     lib/hooks.h); do
	hook[$name]=1
done

echo "TAP version 13"
echo "1..3"
failed=0
result() {		# result N NAME PROBLEMS
	if [ -n "$3" ]; then
		printf '%s\n' "$3" | sed 's/^/# /'
		echo "not ok $1 $2"
		failed=1
	else
		echo "ok $1 $2"
	fi
}

sources=(arch/*/*.[chS] kernel-abi/*.[ch] lib/*.[ch] include/weft/*.h)

# 1. Every file has a layer.
bad=""
[ ${#layer[@]} -gt 0 ] || bad="no layer table found in Documentation/layers.rst"
for f in "${sources[@]}"; do
	[ -n "${layer[$f]:-}" ] || bad+="$f: no layer in Documentation/layers.rst"$'\n'
done
result 1 "every file has a layer" "${bad%$'\n'}"

# 2. Includes.
bad=""
for f in "${sources[@]}"; do
	[ -n "${layer[$f]:-}" ] || continue
	while IFS=: read -r line inc; do
		case $inc in
		weft/*) target=include/$inc ;;
		*/*)
			target=$inc
			case $f in include/weft/*)
				bad+="$f:$line: public header includes internal \"$inc\""$'\n'
				continue ;;
			esac ;;
		*_arch.h)
			# Found through -Iarch/$(ARCH): the includer's own arch, or ARCH.
			a=$arch
			[[ $f == arch/* ]] && { a=${f#arch/}; a=${a%%/*}; }
			target=arch/$a/$inc ;;
		*)
			bad+="$f:$line: \"$inc\": an internal header is included by its path"$'\n'
			continue ;;
		esac
		if [ -z "${layer[$target]:-}" ]; then
			bad+="$f:$line: \"$inc\" is no file with a layer"$'\n'
		elif [ "${layer[$target]}" -gt "${layer[$f]}" ]; then
			bad+="$f:$line: layer ${layer[$f]} includes \"$inc\" of layer ${layer[$target]}"$'\n'
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		 sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done
result 2 "includes go down, internal headers by path" "${bad%$'\n'}"

# 3. Calls, from the objects of the selected architecture.
bad=""
declare -A def=() src_of=()
objs=()
for f in "${!layer[@]}"; do
	case $f in *.c|*.S) ;; *) continue ;; esac
	case $f in arch/*) [[ $f == arch/$arch/* ]] || continue ;; esac
	[[ $f == */crt0.S ]] && continue	# built as lib/crt0.o, outside the library
	o=$objdir/${f%.*}.o
	[ -f "$o" ] || { bad+="$o: not built (make lib first)"$'\n'; continue; }
	objs+=("$o")
	src_of[$o]=$f
done
if [ -z "$bad" ]; then
	nm_out=$(nm -A "${objs[@]}" 2>&1) || bad+="nm failed: $nm_out"$'\n'
fi
if [ -z "$bad" ]; then
	while read -r o type name; do
		case $type in
		[TDBRC]) def[$name]=${src_of[$o]} ;;
		[WV]) bad+="${src_of[$o]}: defines $name weak (does it include lib/hooks.h?)"$'\n' ;;
		esac
	done < <(printf '%s\n' "$nm_out" | awk '{ split($1, o, ":"); print o[1], $2, $3 }')
	while read -r o type name; do
		f=${src_of[$o]}
		to=${def[$name]:-}
		if [ "$type" = w ] && [ -z "${hook[$name]:-}" ] && [ -n "$to" ]; then
			bad+="$f: weak reference to $name, which lib/hooks.h does not declare"$'\n'
		fi
		[ -n "$to" ] || continue
		[ "${layer[$to]}" -gt "${layer[$f]}" ] || continue
		[ -n "${hook[$name]:-}" ] && continue
		bad+="$f (layer ${layer[$f]}) calls $name in $to (layer ${layer[$to]})"$'\n'
	done < <(printf '%s\n' "$nm_out" |
		 awk '$2 == "U" || $2 == "w" { split($1, o, ":"); print o[1], $2, $3 }')
fi
result 3 "calls go down, or through lib/hooks.h" "$(printf '%s' "$bad" | sort -u)"
exit $failed
