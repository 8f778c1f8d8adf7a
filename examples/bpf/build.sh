#!/usr/bin/env bash
# Builds every examples/bpf/*.c into examples/bpf/<name>.o against the
# project's own headers (user-bindings/include: no libbpf, no kernel headers
# needed), reproducibly; see scripts/build-bpf.sh.
#
#   build.sh             build into examples/bpf
#   build.sh --out DIR   build into DIR instead (created if missing)
#   build.sh --check     build twice into temporary folders, compare
#
# Needs: clang (14 or newer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../scripts/build-bpf.sh" "$here" -I../../user-bindings/include -- "$@"
