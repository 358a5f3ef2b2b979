#!/usr/bin/env bash
# Builds the PTX that the CUDA backend ships in its jar, from the OpenCL C kernel sources, with Debian's
# clang-15 and libclc-15 (apt-get install clang-15 libclc-15). No NVIDIA toolkit is needed.
#
#   scripts/build-ptx.sh [OUT_DIR]    (default: gpu-cuda/src/main/resources/flux2/gpu/cuda/ptx)
#
# kernels.ptx   the shared kernel program (the files of flux2.gpu.KernelSources.FILES, in that order),
#               built for sm_60 so that any GPU from Pascal on can load it;
# gemm_bf16.ptx the tensor-core GEMMs (inline mma.sync PTX), built for sm_80.
# -fgnu89-inline: a plain `inline` helper that clang decides not to inline still gets a body (C99 rules
# would leave an unresolved extern, which ptxas rejects).
# clang-15 writes PTX ISA 7.5, which drivers from CUDA 11.5 on can JIT. Run it after editing a kernel and
# commit the result: GpuPtxTest checks that the committed PTX is what this script writes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/gpu-cuda/src/main/resources/flux2/gpu/cuda/ptx}
clang=${CLANG:-clang-15}
libclc=${LIBCLC:-/usr/lib/clc/nvptx64--nvidiacl.bc}
src=$root/gpu/src/main/resources/flux2/gpu/kernels
list=$root/gpu/src/main/java/flux2/gpu/KernelSources.java

command -v "$clang" >/dev/null || { echo "build-ptx: $clang is not installed (apt-get install clang-15)" >&2; exit 2; }
[ -f "$libclc" ] || { echo "build-ptx: $libclc is missing (apt-get install libclc-15)" >&2; exit 2; }

# The program order is the one KernelSources.FILES declares (common helpers first).
files=$(sed -n '/FILES = List.of(/,/);/p' "$list" | grep -o '"[A-Za-z0-9_]*\.cl"' | tr -d '"')
[ -n "$files" ] || { echo "build-ptx: no kernel file list found in $list" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $files; do
  printf '// ---- %s\n' "$f"
  cat "$src/$f"
  printf '\n'
done > "$tmp/kernels.cl"

compile() { # source, target file, architecture
  "$clang" -x cl -cl-std=CL1.2 --target=nvptx64-nvidia-cuda -march="$3" -O2 -fgnu89-inline -Wno-linker-warnings \
    -Xclang -finclude-default-header -Xclang -mlink-builtin-bitcode -Xclang "$libclc" \
    -S "$1" -o "$tmp/out.ptx"
  mkdir -p "$(dirname "$2")"
  mv "$tmp/out.ptx" "$2"
  echo "build-ptx: $2 ($(grep -c '^\.visible \.entry' "$2") kernels)"
}
compile "$tmp/kernels.cl" "$out/kernels.ptx" sm_60
compile "$root/gpu-cuda/src/main/cl/gemm_bf16.cl" "$out/gemm_bf16.ptx" sm_80
