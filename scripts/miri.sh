#!/usr/bin/env bash
# The guest-memory accessor's unit tests under Miri (needs a nightly toolchain with the
# miri component: `rustup component add miri --toolchain nightly`). Not part of CI: Miri
# needs nightly. Tests that race on purpose (a scribbler thread against the copying mode:
# racy byte copies are how shared guest memory is read, as in wasmtime) are skipped there.
set -euo pipefail
cd "$(dirname "$0")/miri"
exec cargo +nightly miri test "$@"
