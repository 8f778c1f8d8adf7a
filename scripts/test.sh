#!/usr/bin/env bash
# The test command. On a fresh machine it first installs what the tests need
# (clang for BPF programs, libclang for bindgen, the Linux uapi headers,
# libbpf's headers, a C compiler, and for the C library musl-gcc, the
# riscv64 cross compiler and qemu-riscv64), then checks the no_std crates
# and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v clang >/dev/null 2>&1 || need+=(clang)
[ -e /usr/include/linux/bpf.h ] || need+=(linux-libc-dev)
# libbpf's headers, which the test objects in tests/bpf are written against.
[ -e /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
# The C library is built with rCore's userland libc and for its main
# architecture, whose programs run under qemu's user mode.
command -v musl-gcc >/dev/null 2>&1 || need+=(musl-tools)
command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-riscv64-linux-gnu)
command -v qemu-riscv64 >/dev/null 2>&1 || need+=(qemu-user)
# bindgen loads libclang's C API (libclang.so); libclang-cpp alone is not it.
if command -v dpkg >/dev/null 2>&1; then
  dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
else
  compgen -G "/usr/lib/llvm-*/lib/libclang.so" >/dev/null || compgen -G "/usr/lib*/libclang.so" >/dev/null || need+=(libclang-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# abi, kernel-bpf and the low-level layer of user-bindings are no_std: they
# build with std off, and no crate in their dependency tree turns std on.
cargo build -q -p abi -p kernel-bpf -p user-bindings --no-default-features
if cargo tree -q -p abi -p kernel-bpf -p user-bindings -e normal,features,no-proc-macro --no-default-features | grep -F 'feature "std"'; then
  echo "test.sh: a dependency of a no_std crate enables std" >&2
  exit 1
fi

cargo test --workspace "$@"

# Every link in the documentation resolves, and none names a private item.
RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps

# The whole suite again under AddressSanitizer with leak detection, which
# needs a nightly toolchain: a leak (objects keeping each other alive), a
# use after free or an overflow fails the run.
if cargo +nightly --version >/dev/null 2>&1; then
  echo "test.sh: the test suite under AddressSanitizer (cargo +nightly)"
  host=$(rustc -vV | sed -n 's/^host: //p')
  ASAN_OPTIONS=detect_leaks=1 RUSTFLAGS=-Zsanitizer=address RUSTDOCFLAGS=-Zsanitizer=address \
    CARGO_TARGET_DIR="$PWD/target/asan" cargo +nightly test -q --workspace --target "$host" "$@"
  # Every public item of the user bindings has a runnable example (rustdoc's
  # lint for it is unstable, hence nightly).
  echo "test.sh: every public item of user-bindings has an example (cargo +nightly rustdoc)"
  cargo +nightly rustdoc -q -p user-bindings --target-dir "$PWD/target/nightly-doc" -- \
    -Z unstable-options -Z crate-attr='feature(rustdoc_missing_doc_code_examples)' \
    -D rustdoc::missing_doc_code_examples
else
  echo "test.sh: SKIP the AddressSanitizer run: no nightly toolchain here (rustup toolchain install nightly)"
fi
