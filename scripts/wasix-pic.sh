#!/usr/bin/env bash
# Position-independent WASIX programs, as wasmer's dynamic linker expects them, with a PIC
# build of ../shared/wasix-libc (the same snapshot, compiled with -fPIC).
#
#   wasix-pic.sh sysroot                         builds the PIC sysroot once, prints its path
#   wasix-pic.sh main -o OUT.wasm FILE.c... [-L DIR -lNAME...]
#        a main module (-pie): all of libc linked in and exported, so that side modules
#        import what they use from it
#   wasix-pic.sh side -o OUT.so FILE.c... [-L DIR -lNAME...]
#   (other -FLAGS, e.g. -IDIR or -DNAME, go to the compiler; --asyncify runs binaryen's
#   `wasm-opt --asyncify` on the result, which fork and setjmp need)
#        a side module (-shared): undefined symbols are imported, -lNAME are needed libraries
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARED="${WASIX_LIBC_DIR:-$HERE/../../shared/wasix-libc}"
REV=34178a6
DEST="${XDG_CACHE_HOME:-$HOME/.cache}/wasix-compat/sysroot-$REV-pic"
LLVM=/usr/lib/llvm-22/bin

sysroot() {
    # build.sh honours PIC=yes through make (`PIC ?= no` in wasix-libc's Makefile).
    PIC=yes "$SHARED/build.sh" "$REV" "$DEST" | tail -1
}

kind="${1:-}"; shift || true
case "$kind" in
    sysroot) sysroot; exit 0 ;;
    main|side) ;;
    *) echo "usage: wasix-pic.sh sysroot | main|side -o OUT FILE.c... [-L DIR -lNAME...]" >&2; exit 2 ;;
esac
out="" srcs=() libs=() extra=() asyncify=0
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out="$2"; shift ;;
        --asyncify) asyncify=1 ;;
        -L*|-l*) libs+=("$1") ;;
        -*) extra+=("$1") ;;
        *) srcs+=("$1") ;;
    esac
    shift
done
[ -n "$out" ] && [ ${#srcs[@]} -gt 0 ] || { echo "wasix-pic.sh: need -o OUT and sources" >&2; exit 2; }
S="$(sysroot)"
cfl=(--target=wasm32-wasi --sysroot="$S" -Wno-deprecated -matomics -mbulk-memory
    -mmutable-globals -pthread -mthread-model posix -ftls-model=local-exec -fno-trapping-math
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -O2 -fPIC
    -fvisibility=default)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
objs=()
for s in "${srcs[@]}"; do
    o="$tmp/$(basename "$s").o"
    "$LLVM/clang" "${cfl[@]}" "${extra[@]}" -c "$s" -o "$o"
    objs+=("$o")
done
common=(--extra-features=atomics,bulk-memory,mutable-globals --shared-memory --experimental-pic
    --export=__wasm_call_ctors --export-if-defined=__wasm_apply_data_relocs)
if [ "$kind" = main ]; then
    "$LLVM/wasm-ld" "${common[@]}" -pie --import-memory --max-memory=4294967296 \
        -L"$S/lib/wasm32-wasi" "${libs[@]}" --whole-archive --export-all "${objs[@]}" \
        "$S/lib/wasm32-wasi/crt1.o" -lc -lresolv -lrt -lm -lpthread -lwasi-emulated-mman \
        --no-whole-archive /usr/lib/llvm-22/lib/clang/22/lib/wasi/libclang_rt.builtins-wasm32.a \
        --export=__wasm_signal --export=__tls_size --export=__tls_align --export=__tls_base \
        -o "$out"
else
    "$LLVM/wasm-ld" "${common[@]}" -shared --unresolved-symbols=import-dynamic \
        "${libs[@]}" "${objs[@]}" -o "$out"
fi
if [ "$asyncify" = 1 ]; then
    # Waits for the package lock rather than failing when another build installs at once.
    command -v wasm-opt >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -q >&2;
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q binaryen >&2; }
    wasm-opt --asyncify "$out" -o "$out.async"
    mv "$out.async" "$out"
fi
