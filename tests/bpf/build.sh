#!/usr/bin/env bash
# Builds every tests/bpf/*.c into tests/bpf/<name>.o the way libbpf-based
# projects do (against libbpf's and Linux's headers), reproducibly; see
# scripts/build-bpf.sh.
#
#   build.sh             build into tests/bpf
#   build.sh --out DIR   build into DIR instead (created if missing)
#   build.sh --check     build twice into temporary folders, compare
#
# Needs: clang (14 or newer), libbpf-dev (bpf/*.h), linux-libc-dev.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
multiarch="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
exec bash "$here/../../scripts/build-bpf.sh" "$here" -I"/usr/include/$multiarch" -- "$@"
