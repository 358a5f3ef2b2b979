#!/usr/bin/env bash
# Compares the engine's CPU sgemm (bin/flux2 bench matmul, a[M,K] x W.t()) with numpy/OpenBLAS sgemm on this
# machine, interleaved in one run: each round runs, for every size and thread count, numpy and then the engine
# with F32 and BF16 weights. The best GFLOP/s of each over the rounds is kept (the least disturbed by other
# load), and a Markdown table with the ratios is printed.
#
# Usage: bench/sgemm-vs-numpy.sh [rounds]      (default 3; needs python3 with numpy)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
sizes=(1024 2048)
thread_counts=(1 2)
declare -A best

# numpy's best of 5 after warm-up. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for this command only, so
# OpenBLAS picks its kernel and blocking from the CPU as it does by default.
numpy_gflops() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$2" python3 - "$1" <<'PY'
import sys, time
import numpy as np
n = int(sys.argv[1])
rng = np.random.default_rng(1)
a = rng.standard_normal((n, n), dtype=np.float32)
w = rng.standard_normal((n, n), dtype=np.float32)
for _ in range(3):
    a @ w.T
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    a @ w.T
    best = min(best, time.perf_counter() - t)
print(f"{2 * n ** 3 / best / 1e9:.2f}")
PY
}

java_gflops() {
  "$root/bin/flux2" bench matmul --size "$1" --threads "$2" --dtype "$3" --warmup 3 --runs 5 2>/dev/null \
    | sed -n 's/.*"gflops":\([0-9.]*\).*/\1/p'
}

keep_best() { # key value
  best[$1]=$(awk -v a="${best[$1]:-0}" -v b="$2" 'BEGIN { print (b > a ? b : a) }')
}

"$root/bin/flux2" --version >/dev/null  # builds the jar first if the sources changed, outside the timings
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
jdk=$("$("$root/bin/find-jdk")/bin/java" -version 2>&1 | head -1)
blas=$(python3 -c 'import numpy as np; print("numpy", np.__version__, np.show_config(mode="dicts")["Build Dependencies"]["blas"]["openblas configuration"])')
echo "machine: $cpu, $(nproc) CPUs; $jdk; $blas" >&2
for r in $(seq "$rounds"); do
  for s in "${sizes[@]}"; do
    for t in "${thread_counts[@]}"; do
      keep_best "numpy,$s,$t" "$(numpy_gflops "$s" "$t")"
      sleep 0.3  # let the OpenBLAS threads go idle before the JVM starts
      for d in f32 bf16; do keep_best "$d,$s,$t" "$(java_gflops "$s" "$t" "$d")"; done
    done
  done
  echo "round $r of $rounds done" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "| size (M=N=K) | threads | numpy GFLOP/s | Java F32 GFLOP/s | F32 / numpy | Java BF16-weight GFLOP/s | BF16 / numpy | BF16 / F32 |"
echo "|---|---|---|---|---|---|---|---|"
for s in "${sizes[@]}"; do
  for t in "${thread_counts[@]}"; do
    np=${best[numpy,$s,$t]} f=${best[f32,$s,$t]} h=${best[bf16,$s,$t]}
    echo "| $s | $t | $np | $f | $(ratio "$f" "$np") | $h | $(ratio "$h" "$np") | $(ratio "$h" "$f") |"
  done
done
