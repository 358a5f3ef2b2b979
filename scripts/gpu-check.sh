#!/usr/bin/env bash
# GPU check: on a machine with an NVIDIA GPU, run the backend parity suite on cuda:0 and opencl:0 and print
# benchmark JSON lines (BF16 GEMM at 8192^3 next to PyTorch's torch.matmul when python3 has torch, fused
# attention forward/backward, the bench-config LoRA training step). Every step has its own timeout; the
# whole run stays under 8 minutes.
#
#   scripts/gpu-check.sh            run the check (uses target/gpu-check if it exists, else builds with Maven)
#   scripts/gpu-check.sh --bundle   on a build machine: write target/gpu-check for a GPU machine without a JDK
#
# Getting a JDK 25 onto the GPU machine. NVIDIA's CUDA images ship no JDK and the machine may have no
# network, so --bundle writes everything the check needs into target/gpu-check (about 45 MB):
#   jdk.tar.gz   a jlinked JDK 25 runtime (java.base, jdk.incubator.vector, java.management, jdk.management,
#                java.logging, java.xml, java.sql, jdk.unsupported; --compress=zip-9
#                --strip-debug), whose java already carries --add-modules jdk.incubator.vector and
#                --enable-native-access=ALL-UNNAMED;
#   flux2-trainer.jar, the test classes of the gpu, gpu-cuda and tests modules, JUnit's launcher jars, and
#   the golden cases the device tests read.
# Copy the repository with target/gpu-check to the GPU machine (64 MB fit the carry limit of the lent
# machines: `run` with carry ["target/gpu-check"]) and run scripts/gpu-check.sh there. Nothing there needs a
# display, so the runtime leaves out java.desktop (PNG writing is not part of the check).
# Where a JDK 25 and Maven with a filled repository exist on the GPU machine, no bundle is needed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$root/target/gpu-check
deadline=$((SECONDS + 470))    # 7 min 50 s for every step together

log() { printf '# %s\n' "$*" >&2; }

# Runs a step under its own timeout, never past the overall deadline.
step() {
  local limit=$1 name=$2; shift 2
  local left=$((deadline - SECONDS))
  if [ "$left" -le 5 ]; then log "$name: skipped, the 8-minute budget is spent"; return 124; fi
  [ "$limit" -gt "$left" ] && limit=$left
  log "$name (at most ${limit}s)"
  local t0=$SECONDS
  timeout --kill-after=5 "$limit" "$@"
  local rc=$?
  log "$name: exit $rc after $((SECONDS - t0))s"
  return $rc
}

make_bundle() {
  local jdk=${JAVA_HOME:-$("$root/bin/find-jdk")}
  rm -rf "$bundle" && mkdir -p "$bundle/classes" "$bundle/lib" "$bundle/golden"
  (cd "$root" && bin/mvn -q -B -o -DskipTests package && bin/mvn -q -B -o -pl gpu,gpu-cuda,tests -am test-compile) || exit 1
  cp "$root/app/target/flux2-trainer.jar" "$bundle/"
  for m in gpu gpu-cuda tests tensor; do
    [ -d "$root/$m/target/test-classes" ] && cp -r "$root/$m/target/test-classes/." "$bundle/classes/"
  done
  local repo=$HOME/.m2/repository
  for j in org/junit/platform/junit-platform-launcher/1.14.4 org/junit/platform/junit-platform-engine/1.14.4 \
           org/junit/platform/junit-platform-commons/1.14.4 org/junit/jupiter/junit-jupiter-api/5.14.4 \
           org/junit/jupiter/junit-jupiter-engine/5.14.4 org/junit/jupiter/junit-jupiter-params/5.14.4 \
           org/opentest4j/opentest4j/1.3.0 org/apiguardian/apiguardian-api/1.1.2; do
    cp "$repo/$j"/*.jar "$bundle/lib/"
  done
  # the device golden test reads the first FLUX.2 forward and LoRA training cases (the folder is 7 MB)
  cp -r "$root"/tests/golden/. "$bundle/golden/"
  "$jdk/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.management,jdk.management,java.logging,java.xml,java.sql,jdk.unsupported \
    --compress=zip-9 --strip-debug --no-header-files --no-man-pages \
    --add-options="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
    --output "$bundle/jdk" || exit 1
  tar -C "$bundle" -czf "$bundle/jdk.tar.gz" jdk && rm -rf "$bundle/jdk"
  log "bundle: $(du -sh "$bundle" | cut -f1) in $bundle"
}

if [ "${1:-}" = "--bundle" ]; then make_bundle; exit 0; fi

# ---- the JDK, jar and test classpath
if [ -f "$bundle/jdk.tar.gz" ]; then
  [ -x "$bundle/jdk/bin/java" ] || tar -C "$bundle" -xzf "$bundle/jdk.tar.gz"
  java=$bundle/jdk/bin/java
  jar=$bundle/flux2-trainer.jar
  cp_tests=$bundle/classes:$(ls "$bundle"/lib/*.jar | tr '\n' ':')$jar
  golden=$bundle/golden
else
  log "no bundle in $bundle: building with Maven"
  jdk=$("$root/bin/find-jdk") || { log "no JDK 25 here; make a bundle elsewhere with --bundle"; exit 2; }
  (cd "$root" && step 300 build bin/mvn -q -B -o -DskipTests package && bin/mvn -q -B -o -pl gpu,gpu-cuda,tests -am test-compile) || exit 2
  java=$jdk/bin/java
  jar=$root/app/target/flux2-trainer.jar
  cp_tests=$root/gpu/target/test-classes:$root/gpu-cuda/target/test-classes:$root/tests/target/test-classes:$root/tensor/target/test-classes
  cp_tests=$cp_tests:$(find "$HOME/.m2/repository/org/junit" "$HOME/.m2/repository/org/opentest4j" "$HOME/.m2/repository/org/apiguardian" \
    -name '*.jar' \( -path '*1.14.4*' -o -path '*5.14.4*' -o -path '*1.3.0*' -o -path '*1.1.2*' \) | tr '\n' ':')$jar
  golden=$root/tests/golden
fi
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)
flux2=("$java" "${jvm[@]}" -jar "$jar")

log "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi absent')"
step 30 doctor "${flux2[@]}" doctor

# ---- parity: every op against the CPU backend, the golden FLUX.2 forward and LoRA step, the tensor-core GEMMs
step 200 parity "$java" "${jvm[@]}" -Xss4m -Dflux2.golden.dir="$golden" -cp "$cp_tests" flux2.gpu.cuda.TestRunner \
  flux2.gpu.BackendParityTest flux2.gpu.KernelVariantTest flux2.gpu.cuda.CudaProbeTest flux2.gpu.cuda.CudaDeviceSpecTest \
  flux2.gpu.cuda.CudaGemmGpuTest flux2.tests.flux2.Flux2DeviceGoldenTest

# ---- BF16 GEMM at 8192^3: tensor cores, the x2 split, and PyTorch on the same GPU
step 60 gemm-bf16 "${flux2[@]}" bench matmul --device cuda:0 --dtype bf16 --size 8192 --runs 3 --warmup 1
step 60 gemm-bf16x2 "$java" "${jvm[@]}" -Dflux2.cuda.gemm=bf16x2 -jar "$jar" bench matmul --device cuda:0 --dtype bf16 --size 8192 --runs 3 --warmup 1
if command -v python3 >/dev/null && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  step 60 torch-matmul python3 - <<'PY'
import json, torch
n = 8192
a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
for _ in range(3): torch.matmul(a, b)
torch.cuda.synchronize()
best = float("inf")
for _ in range(5):
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); torch.matmul(a, b); e.record(); torch.cuda.synchronize()
    best = min(best, s.elapsed_time(e) / 1e3)
print(json.dumps({"bench": "torch_matmul", "size": n, "dtype": "bf16", "device": torch.cuda.get_device_name(0),
                  "torch": torch.__version__, "gflops": round(2 * n ** 3 / best / 1e9, 1)}))
PY
else
  log "torch-matmul: skipped (no python3 with a CUDA torch)"
fi
step 30 gemm-f32 "${flux2[@]}" bench matmul --device cuda:0 --dtype f32 --size 4096 --runs 3 --warmup 1

# ---- fused attention (FLUX.2-dev head size 128; 4096 image + 512 text tokens, 24 heads of 128 = 3072 wide)
step 60 attention "${flux2[@]}" bench attention --device cuda:0 --heads 24 --tokens 4608 --head-dim 128 --runs 3 --warmup 1
step 40 attention-opencl "${flux2[@]}" bench attention --device opencl:0 --heads 24 --tokens 1024 --head-dim 128 --runs 2 --warmup 1

# ---- the bench-config LoRA training step (bench flux2 defaults)
step 90 lora-step "${flux2[@]}" bench flux2 --device cuda:0 --runs 3 --warmup 2
log "done in ${SECONDS}s"
