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
# Language toolchains for component guests (Python via componentize-py from PyPI,
# JavaScript via componentize-js from npm), pinned in lang-tools.env and installed under
# $WASIX_COMPAT_TOOLS (default ~/.cache/wasix-compat/tools), one directory per version.
# A directory counts as installed once its `.installed` marker exists; a lock keeps
# concurrent test runs from installing the same tool twice.
. "$(dirname "$0")/lang-tools.env"
tools="${WASIX_COMPAT_TOOLS:-$HOME/.cache/wasix-compat/tools}"
py="$tools/componentize-py-$COMPONENTIZE_PY_VERSION"
js="$tools/componentize-js-$COMPONENTIZE_JS_VERSION"
# npm installs exactly what scripts/js-tools/package-lock.json lists (`npm ci`); the
# installed copy of the lock tells whether it is still the one in the repo.
jslock="$(dirname "$0")/js-tools"
grep -q "\"@bytecodealliance/componentize-js\": \"$COMPONENTIZE_JS_VERSION\"" "$jslock/package.json" || {
  echo "setup.sh: scripts/js-tools/package.json does not pin componentize-js $COMPONENTIZE_JS_VERSION" >&2
  exit 1
}
js_current() { [ -f "$js/.installed" ] && cmp -s "$jslock/package-lock.json" "$js/package-lock.json"; }
if [ ! -f "$py/.installed" ] || ! js_current; then
  need=()
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  mkdir -p "$tools"
  exec 9>"$tools/.lock"
  flock 9
  if [ ! -f "$py/.installed" ]; then
    # A venv cannot be moved (its scripts name their interpreter by path): install in
    # place and mark it done last, so an interrupted install is redone from scratch.
    rm -rf "$py"
    python3 -m venv "$py"
    "$py/bin/pip" install -q --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
    touch "$py/.installed"
  fi
  if ! js_current; then
    rm -rf "$js"
    mkdir -p "$js"
    cp "$jslock/package.json" "$jslock/package-lock.json" "$js/"
    npm ci --prefix "$js" --no-fund --no-audit --loglevel=error >/dev/null
    touch "$js/.installed"
  fi
  exec 9>&-
fi
