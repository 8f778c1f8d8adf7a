#!/usr/bin/env bash
# Builds every DIR/*.c into DIR/<name>.o with clang's BPF target; the
# build.sh of examples/bpf and tests/bpf call it with their include flags.
# Warnings are errors. The output does not depend on where the checkout
# lives: clang runs inside DIR on relative file names, and
# -fdebug-prefix-map rewrites the compilation directory that -g would
# record in DWARF. Running it twice gives the same bytes (--check).
#
#   build-bpf.sh DIR [CFLAG...] --              build into DIR
#   build-bpf.sh DIR [CFLAG...] -- --out OUT    build into OUT (created if missing)
#   build-bpf.sh DIR [CFLAG...] -- --check      build twice into temporary folders, compare
#
# Env: CLANG=clang-NN to pick a compiler.
set -euo pipefail

here="$(cd "$1" && pwd)"
shift
extra=()
while (($#)) && [[ "$1" != "--" ]]; do
	extra+=("$1")
	shift
done
[[ "${1:-}" == "--" ]] && shift

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
	"${extra[@]}"
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
