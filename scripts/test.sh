#!/usr/bin/env bash
# The whole test suite, as CI runs it: toolchain set-up, formatting, lints, every test,
# and the staleness check of the generated compat-matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
scripts/setup.sh
cargo fmt --all -- --check
# The library without the reference engine (what embedders get with default-features = false).
cargo check --lib --no-default-features
# Each test's runs record the imports they call here; the matrix check below reads them.
rm -rf target/import-evidence
# The runs the suite records for the corpus replay below (stale ones would be replayed too).
rm -rf target/diff-corpus
cargo test --all-targets -- --test-threads=2
# `diff --engines ours,wasmer-wasix` over every run the suite just recorded (target/diff-corpus):
# each must be identical or differ exactly as the compat-matrix lists.
cargo test --test corpus_diff -- --ignored --test-threads=1
cargo run --quiet -- matrix --check
