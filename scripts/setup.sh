#!/usr/bin/env bash
# Installs what a fresh machine lacks to build guest programs: Debian's clang, lld,
# wasi-libc and the wasm32 compiler-rt. Idempotent: does nothing when all are present.
set -euo pipefail
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v wasm-ld >/dev/null 2>&1 || need+=(lld)
[ -f /usr/include/wasm32-wasi/wasi/api.h ] || need+=(wasi-libc)
ls /usr/lib/llvm-14/lib/clang/14*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev-wasm32)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Rust guests: wasm32-wasip1 programs, std::thread programs on wasi-threads, and
# wasm32-wasip2 programs (WASI 0.2 components).
if command -v rustup >/dev/null 2>&1; then
  have=$(rustup target list --installed)
  for t in wasm32-wasip1 wasm32-wasip1-threads wasm32-wasip2; do
    grep -qx "$t" <<<"$have" || rustup target add "$t" >/dev/null
  done
fi
