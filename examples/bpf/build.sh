#!/usr/bin/env bash
# Builds every examples/bpf/*.c into examples/bpf/<name>.o with clang's BPF
# target, against the project's own headers (user-bindings/include: no
# libbpf, no kernel headers needed). Warnings are errors. The output does
# not depend on where the checkout lives: clang runs inside this folder on
# relative file names (the include folder too), and -fdebug-prefix-map
# rewrites the compilation directory that -g would record in DWARF.
# Running it twice gives the same bytes (checked by build.sh --check).
#
#   build.sh             build into examples/bpf
#   build.sh --out DIR   build into DIR instead (created if missing)
#   build.sh --check     build twice into temporary folders, compare
#
# Needs: clang (14 or newer).
# Env: CLANG=clang-NN to pick a compiler.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

out=""
check=0
while (($#)); do
	case "$1" in
	--out)
		[[ $# -ge 2 ]] || { echo "build.sh: --out needs a folder" >&2; exit 2; }
		mkdir -p "$2"
		out="$(cd "$2" && pwd)"
		shift 2
		;;
	--check) check=1; shift ;;
	*) echo "usage: build.sh [--out DIR | --check]" >&2; exit 2 ;;
	esac
done

cd "$here"

CLANG="${CLANG:-clang}"

CFLAGS=(
	-target bpf
	-O2 -g
	-D__TARGET_ARCH_x86
	-I../../user-bindings/include
	-Wall -Werror
	-fdebug-prefix-map="$here"=.
	-fno-ident
)

build_all() {
	local out="$1" src name
	for src in *.c; do
		name="${src%.c}"
		"$CLANG" "${CFLAGS[@]}" -c "$src" -o "$out/$name.o"
	done
}

if ((check)); then
	tmp1="$(mktemp -d)"; tmp2="$(mktemp -d)"
	trap 'rm -rf "$tmp1" "$tmp2"' EXIT
	build_all "$tmp1"
	build_all "$tmp2"
	for o in "$tmp1"/*.o; do
		cmp "$o" "$tmp2/$(basename "$o")"
		# a different clang legitimately gives other bytes: only say so
		[[ ! -e "$(basename "$o")" ]] || cmp -s "$o" "$(basename "$o")" \
			|| echo "build.sh: note: $(basename "$o") differs from the one in $here" >&2
	done
	echo "build.sh: two builds are byte-identical"
	exit 0
fi

if [[ -n "$out" ]]; then
	build_all "$out"
	ls -1 "$out"/*.o
else
	build_all .
	ls -1 *.o
fi
