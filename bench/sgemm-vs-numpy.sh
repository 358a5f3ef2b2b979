#!/usr/bin/env bash
# Compares the engine's CPU sgemm (bin/flux2 bench matmul, a[M,K] x W.t()) with numpy/OpenBLAS sgemm on this
# machine, and with PyTorch's CPU matmul where a python with torch is found, interleaved in one run: each round
# runs, for every size and thread count, numpy, torch and then the engine with F32 and BF16 weights. The best
# GFLOP/s of each over the rounds is kept (the least disturbed by other load), with the largest peak RSS of its
# processes and, for the engine, the tensor arenas' peak; a Markdown table with the ratios is printed. The load
# average before each round goes to stderr.
#
# Usage: bench/sgemm-vs-numpy.sh [rounds]      (default 3; needs python3 with numpy; SIZES="1024 2048" by default)
#   TORCH_PYTHON=/path/to/python3 picks the interpreter that has torch (default /usr/bin/python3, Debian's
#   python3-torch); the torch column is left out when it cannot import torch.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
read -r -a sizes <<<"${SIZES:-1024 2048}"
thread_counts=(1 2)
torch_python=${TORCH_PYTHON:-/usr/bin/python3}
declare -A best rss

# Best of 5 calls after warm-up of `a @ w.T`, printed as "GFLOP/s peak-RSS-MiB". OPENBLAS_CORETYPE /
# OPENBLAS_L2_SIZE are unset for this command only, so OpenBLAS picks its kernel and blocking from the CPU as it
# does by default. $1 = interpreter, $2 = numpy or torch, $3 = size, $4 = threads.
python_gflops() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$4" OMP_NUM_THREADS="$4" "$1" - "$2" "$3" "$4" <<'PY'
import resource, sys, time
lib, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if lib == "torch":
    import torch
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    a, w = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    mul = lambda: torch.matmul(a, w.t())
else:
    import numpy as np
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    w = rng.standard_normal((n, n), dtype=np.float32)
    mul = lambda: a @ w.T
for _ in range(3):
    mul()
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    mul()
    best = min(best, time.perf_counter() - t)
print(f"{2 * n ** 3 / best / 1e9:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
PY
}

# "GFLOP/s peak-RSS-MiB arena-peak-MiB" of one engine run.
java_gflops() {
  "$root/bin/flux2" bench matmul --size "$1" --threads "$2" --dtype "$3" --warmup 3 --runs 5 2>/dev/null \
    | sed -n 's/.*"gflops":\([0-9.]*\).*"peak_rss_mib":\([0-9.]*\).*"arena_peak_mib":\([0-9.]*\).*/\1 \2 \3/p'
}

keep() { # key "gflops rss [arena]"
  local g r a
  read -r g r a <<<"$2"
  best[$1]=$(awk -v a="${best[$1]:-0}" -v b="$g" 'BEGIN { print (b > a ? b : a) }')
  rss[$1]=$(awk -v a="${rss[$1]:-0}" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  [ -z "${a:-}" ] || best[$1,arena]=$a
}

"$root/bin/flux2" --version >/dev/null  # builds the jar first if the sources changed, outside the timings
has_torch=0
"$torch_python" -c 'import torch' 2>/dev/null && has_torch=1
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
jdk=$("$("$root/bin/find-jdk")/bin/java" -version 2>&1 | head -1)
blas=$(python3 -c 'import numpy as np; print("numpy", np.__version__, np.show_config(mode="dicts")["Build Dependencies"]["blas"]["openblas configuration"])')
echo "machine: $cpu, $(nproc) CPUs; $jdk; $blas" >&2
if [ "$has_torch" = 1 ]; then
  echo "torch: $("$torch_python" -c 'import torch, re; print(torch.__version__, re.findall(r"BLAS_INFO=[^,]*", torch.__config__.show()))') with $("$torch_python" -c 'import torch; print(" ".join(sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l})))')" >&2
fi
for r in $(seq "$rounds"); do
  echo "round $r of $rounds: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for s in "${sizes[@]}"; do
    for t in "${thread_counts[@]}"; do
      keep "numpy,$s,$t" "$(python_gflops python3 numpy "$s" "$t")"
      [ "$has_torch" = 0 ] || keep "torch,$s,$t" "$(python_gflops "$torch_python" torch "$s" "$t")"
      sleep 0.3  # let the OpenBLAS threads go idle before the JVM starts
      for d in f32 bf16; do keep "$d,$s,$t" "$(java_gflops "$s" "$t" "$d")"; done
    done
  done
done
echo "after the last round: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
torch_head="" torch_ratio="" torch_rule=""
[ "$has_torch" = 0 ] || { torch_head=" torch GFLOP/s |"; torch_ratio=" F32 / torch |"; torch_rule="---|---|"; }
echo "| size (M=N=K) | threads | numpy GFLOP/s |$torch_head Java F32 GFLOP/s | F32 / numpy |$torch_ratio Java BF16-weight GFLOP/s | BF16 / numpy | BF16 / F32 | peak RSS MiB numpy$([ "$has_torch" = 0 ] || echo " / torch") / F32 / BF16 | arena peak MiB F32 / BF16 |"
echo "|---|---|---|$torch_rule---|---|---|---|---|---|---|"
for s in "${sizes[@]}"; do
  for t in "${thread_counts[@]}"; do
    np=${best[numpy,$s,$t]} f=${best[f32,$s,$t]} h=${best[bf16,$s,$t]}
    torch_cell="" torch_ratio="" torch_rss=""
    if [ "$has_torch" = 1 ]; then
      tc=${best[torch,$s,$t]}
      torch_cell=" $tc |" torch_ratio=" $(ratio "$f" "$tc") |" torch_rss=" / ${rss[torch,$s,$t]}"
    fi
    echo "| $s | $t | $np |$torch_cell $f | $(ratio "$f" "$np") |$torch_ratio $h | $(ratio "$h" "$np") | $(ratio "$h" "$f") | ${rss[numpy,$s,$t]}$torch_rss / ${rss[f32,$s,$t]} / ${rss[bf16,$s,$t]} | ${best[f32,$s,$t,arena]} / ${best[bf16,$s,$t,arena]} |"
  done
done
