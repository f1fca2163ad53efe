#!/usr/bin/env bash
# Builds Debian's dash with wasix-libc (../shared/wasix-libc) and asyncifies it, for the tests
# in tests/suite/dash.rs. Prints the path of the resulting dash.wasm as its last line.
#
#   scripts/build-dash.sh
#     DASH_VERSION   Debian source version (default 0.5.12-2, bookworm's)
#     Result: ${XDG_CACHE_HOME:-~/.cache}/wasix-compat/dash/VERSION/dash.wasm; when it exists
#     (built by this recipe: this script and scripts/dash/*.c, hashed into .recipe beside it)
#     nothing else is done. Nothing is written into the repository.
#
# Steps (docs/processes-design.md §4): a deb-src entry mirroring debian.sources, `apt-get
# source dash`, configure in cross mode with a compiler wrapper around wasix-libc's cc.sh
# (the helpers mkinit/mksyntax/mknodes/mksignames are built with the host's cc), two build
# fixes for Debian's patches, a working sigsuspend (scripts/dash/sigsuspend.c says why), make,
# `wasm-opt --asyncify` (fork, vfork, setjmp/longjmp).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBC="$(cd "$HERE/../../shared/wasix-libc" 2>/dev/null && pwd)" || {
    echo "error: $HERE/../../shared/wasix-libc is absent" >&2
    exit 2
}
VERSION="${DASH_VERSION:-0.5.12-2}"
UPSTREAM="${VERSION%-*}"
REV=34178a6
LLVM=/usr/lib/llvm-22/bin
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/wasix-compat/dash/$VERSION"
OUT="$CACHE/dash.wasm"
RECIPE="$(cat "$HERE/build-dash.sh" "$HERE"/dash/*.c | sha256sum | cut -c1-16)"
built() { [ -f "$OUT" ] && [ "$(cat "$CACHE/.recipe" 2>/dev/null)" = "$RECIPE" ]; }
built && { echo "$OUT"; exit 0; }

mkdir -p "$CACHE"
# Test processes (and engineers) may run this at the same time: one builds, the others wait.
exec 9>"$CACHE/.lock"
flock 9
built && { echo "$OUT"; exit 0; }
rm -f "$OUT" "$CACHE/.recipe"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
apt_install() {
    echo "installing: $*" >&2
    $SUDO apt-get update -q >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# The wasix-libc sysroot (and clang-22, lld-22, make: build.sh installs what it lacks).
SYSROOT="$(bash "$LIBC/build.sh" "$REV" | tail -1)"
need=()
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
command -v wasm-opt >/dev/null || need+=(binaryen)
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# Source packages: the same archives as debian.sources, as deb-src, in a file of our own.
SRC_LIST=/etc/apt/sources.list.d/wasix-compat-src.sources
want="$(awk '
    /^#/ { next }
    /^Types:/ { print "Types: deb-src"; next }
    { print }
' /etc/apt/sources.list.d/debian.sources)"
if [ ! -f "$SRC_LIST" ] || [ "$(cat "$SRC_LIST")" != "$want" ]; then
    printf '%s\n' "$want" | $SUDO tee "$SRC_LIST" >/dev/null
    $SUDO apt-get update -q >&2
elif ! apt-cache showsrc dash 2>/dev/null | grep -qx "Version: $VERSION"; then
    $SUDO apt-get update -q >&2
fi

BUILD="$CACHE/build"
rm -rf "$BUILD"
mkdir -p "$BUILD/bin"
cd "$BUILD"
log="$BUILD/build.log"
echo "building dash $VERSION (log: $log)" >&2
apt-get source -q "dash=$VERSION" >"$log" 2>&1 || {
    echo "error: apt-get source dash=$VERSION failed:" >&2; tail -20 "$log" >&2; exit 1
}
SRC="$BUILD/dash-$UPSTREAM"

# autoconf runs `$CC conftest.c` without -o, which cc.sh refuses, and compiles with -c:
# compile-only steps go to clang with cc.sh's flags, links to cc.sh (-o a.out by default).
# --no-wasm-opt: clang would otherwise run binaryen's wasm-opt after an optimised link.
cat >"$BUILD/bin/wcc" <<WRAP
#!/bin/bash
cfl=(--target=wasm32-wasi --sysroot=$SYSROOT -Wno-deprecated -matomics -mbulk-memory
    -mmutable-globals -pthread -mthread-model posix -ftls-model=local-exec -fno-trapping-math
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS)
for a in "\$@"; do
    case "\$a" in -c|-E|-S|-M|-MM) exec $LLVM/clang "\${cfl[@]}" "\$@" ;; esac
done
for a in "\$@"; do
    [ "\$a" = -o ] && exec bash $LIBC/cc.sh --sysroot $SYSROOT --no-wasm-opt "\$@"
done
exec bash $LIBC/cc.sh --sysroot $SYSROOT --no-wasm-opt -o a.out "\$@"
WRAP
chmod +x "$BUILD/bin/wcc"

cd "$SRC"
# Fix 1: Debian's patch 9002 adds priv.c to src/Makefile.am only; add its object to the
# generated Makefile.in too (else the link misses setprivileged, uid and gid).
grep -q 'priv\.\$(OBJEXT)' src/Makefile.in ||
    sed -i 's/options\.\$(OBJEXT) \\/options.$(OBJEXT) priv.$(OBJEXT) \\/' src/Makefile.in
grep -q 'priv\.\$(OBJEXT)' src/Makefile.in || { echo "error: could not add priv.o" >&2; exit 1; }
# Fix 2: the patches leave configure.ac and Makefile.am newer than what autotools generated
# from them, so make would rerun aclocal-1.16/automake. Make the generated files newer again.
touch aclocal.m4
sleep 1
touch configure Makefile.in src/Makefile.in config.h.in
# Our sigsuspend comes before libc.a on the link line, so libc's stub is never pulled in.
{
    "$BUILD/bin/wcc" -O2 -c "$HERE/dash/sigsuspend.c" -o "$BUILD/sigsuspend.o" &&
        CC="$BUILD/bin/wcc" CC_FOR_BUILD=cc CFLAGS=-O2 \
            ./configure --host=wasm32-unknown-wasi --build="$(cc -dumpmachine)" &&
        make -j "${JOBS:-2}" LIBS="$BUILD/sigsuspend.o"
} >>"$log" 2>&1 || {
    echo "error: dash failed to build; tail of $log:" >&2; tail -20 "$log" >&2; exit 1
}
wasm-opt --asyncify src/dash -o "$CACHE/dash.wasm.tmp"
mv "$CACHE/dash.wasm.tmp" "$OUT"
echo "$RECIPE" >"$CACHE/.recipe"
cd "$CACHE"
rm -rf "$BUILD"
echo "$OUT"
