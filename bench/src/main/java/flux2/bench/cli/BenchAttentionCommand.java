package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.AttentionDims;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times the fused attention kernels, forward (with the log-sum-exp) and backward, on q, k, v [B, H, L, D] and
 * prints one JSON line per pass and one for both together, each with its rate as a fraction of a 1024^3 sgemm
 * timed in the same process ({@code of_sgemm}) and the memory figures of every bench line. FLOPs count the two
 * products of each pass: 4 B H L^2 D forward and 10 B H L^2 D backward (the score recompute, dV, dP, dQ and dK),
 * the convention of the FlashAttention papers; with {@code --causal} only the L (L + 1) / 2 query-key pairs the
 * mask leaves count.
 */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Time fused attention forward and backward on q, k, v [B, H, L, D]; one JSON line per pass, with the rate as a fraction of a 1024^3 sgemm timed in the same run.")
public final class BenchAttentionCommand implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "1", description = "B (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--heads", defaultValue = "8", description = "H (default ${DEFAULT-VALUE}).") int heads;
    @Option(names = "--tokens", defaultValue = "1024", description = "L, queries and keys (default ${DEFAULT-VALUE}).") int tokens;
    @Option(names = "--head-dim", defaultValue = "128", description = "D (default ${DEFAULT-VALUE}).") int headDim;
    @Option(names = "--causal", description = "Causal mask, as a decoder's self-attention (FLOPs count the pairs it leaves).") boolean causal;
    @Option(names = "--threads", description = "Threads (default: the engine's thread count).") Integer threads;
    @Option(names = "--runs", defaultValue = "3", description = "Timed runs; the best counts (default ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--warmup", defaultValue = "1", description = "Warm-up seconds (default ${DEFAULT-VALUE}).") double warmup;
    @Mixin DeviceOption device;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || heads < 1 || tokens < 1 || headDim < 1)
            throw new IllegalArgumentException("attention sizes must be positive, got batch=" + batch + " heads=" + heads
                    + " tokens=" + tokens + " head-dim=" + headDim);
        Backend dev = device.open();
        int saved = Parallel.threads();
        int t = threads != null ? threads : saved;
        Parallel.setThreads(t);
        try (TensorArena arena = TensorArena.open("bench-attention")) {
            double sgemm = SgemmRate.gflops(dev, warmup, runs);
            Rng r = new Rng(1);
            int[] shape = {batch, heads, tokens, headDim};
            Tensor q = r.normal(0, 1, shape).to(dev), k = r.normal(0, 1, shape).to(dev), v = r.normal(0, 1, shape).to(dev);
            Tensor dOut = r.normal(0, 1, shape).to(dev);
            Tensor out = Tensor.allocate(dev, DType.F32, shape, arena);
            Tensor lse = Tensor.allocate(dev, DType.F32, new int[] {batch, heads, tokens}, arena);
            Tensor dq = Tensor.allocate(dev, DType.F32, shape, arena), dk = Tensor.allocate(dev, DType.F32, shape, arena);
            Tensor dv = Tensor.allocate(dev, DType.F32, shape, arena);
            AttentionSpec spec = AttentionSpec.of(headDim).withCausal(causal);
            AttentionDims fwdDims = AttentionDims.forward(spec, q, k, v, null);
            AttentionDims bwdDims = AttentionDims.backward(spec, q, k, v, null, out, lse, dOut);
            BenchTimer timer = new BenchTimer(warmup, runs, 0.05);
            double fwd = timer.bestSecondsPerCall(() -> {
                dev.attention(fwdDims, q, k, v, null, out, lse);
                DeviceOption.sync(dev);
            });
            double bwd = timer.bestSecondsPerCall(() -> {
                dev.attentionBackward(bwdDims, q, k, v, null, out, lse, dOut, dq, dk, dv);
                DeviceOption.sync(dev);
            });
            double pairs = causal ? tokens * (tokens + 1.0) / 2 : (double) tokens * tokens;
            double unit = batch * heads * pairs * headDim;
            print(dev, t, "forward", fwd, 4 * unit, sgemm);
            print(dev, t, "backward", bwd, 10 * unit, sgemm);
            print(dev, t, "forward_backward", fwd + bwd, 14 * unit, sgemm);
        } finally {
            Parallel.setThreads(saved);
        }
        return 0;
    }

    private void print(Backend dev, int t, String pass, double seconds, double flops, double sgemm) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", "attention");
        json.put("pass", pass);
        if (!dev.isHost()) json.put("device", dev.name());
        else json.put("threads", t);
        json.put("batch", batch);
        json.put("heads", heads);
        json.put("tokens", tokens);
        json.put("head_dim", headDim);
        if (causal) json.put("causal", true);
        json.put("ms", round(seconds * 1e3));
        json.put("gflops", round(flops / seconds / 1e9));
        json.put("sgemm_gflops", round(sgemm));
        json.put("of_sgemm", round(flops / seconds / 1e9 / sgemm));
        BenchMemory.addTo(json);
        System.out.println(new ObjectMapper().writeValueAsString(json));
    }

    private static double round(double v) { return new BigDecimal(v).round(new MathContext(4)).doubleValue(); }
}
