#!/usr/bin/env bash
# The fused kernels' logic without a GPU: compiles the marked parts of kernels/fuse_v1.cu, fuse_v2.cu and fuse_v3.cu
# for the host with the stand-ins of tests/fuse_emulation/ and runs them against the CPU pass (see
# driver.cpp). Skips (77) without a C++ compiler.  usage: fuse_emulation.sh SOURCE_DIR librl_core.a
set -u
src=${1:?usage: fuse_emulation.sh SOURCE_DIR librl_core.a}
core=${2:?usage: fuse_emulation.sh SOURCE_DIR librl_core.a}
cxx=${CXX:-c++}
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
command -v "$cxx" >/dev/null || skip "no C++ compiler ($cxx)"
for v in v1 v2 v3; do
  sed -n '/^\/\/ ---- from here to the end marker/,/^\/\/ ---- end of the host-emulated part/p' "$src/kernels/fuse_$v.cu" \
    | sed 's/extern __shared__ __align__(16) unsigned char smem\[\];/unsigned char *smem = emu_smem;/' > "$tmp/kernel_$v.inc"
  grep -q 'fuse_kernel' "$tmp/kernel_$v.inc" || { bad "the markers in kernels/fuse_$v.cu are missing"; finish; }
done
# (-Wno-unknown-pragmas: the kernel's #pragma unroll; -Wno-clobbered: getcontext returns twice, by design)
# a sanitizer build's library needs the sanitizer runtimes in the program too
san=()
if nm "$core" 2>/dev/null | grep -q '__asan_'; then san=("-fsanitize=address,undefined"); fi
build() {
  cc -O2 "${san[@]}" -ffp-contract=off -c -I "$src/core/engine" -I "$src/kernels" "$src/kernels/stub.c" -o "$tmp/stub.o" || return 1
  cc -O2 "${san[@]}" -c -I "$src/core/engine" "$src/core/engine/interrupt.c" -o "$tmp/interrupt.o" || return 1
  "$cxx" -std=c++17 -O2 "${san[@]}" -ffp-contract=off -Wall -Wextra -Wno-unknown-pragmas -Wno-clobbered -I "$tmp" -I "$src/tests/fuse_emulation" -I "$src/core/engine" \
    -I "$src/kernels" "$src/tests/fuse_emulation/driver.cpp" "$core" "$tmp/stub.o" "$tmp/interrupt.o" -lpthread -lm \
    -o "$tmp/emulate"
}
build || { bad "the emulation does not build"; finish; }
"$tmp/emulate"
