package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.autograd.F;
import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.optim.AdamW;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Flops;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.TokenIds;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.flux2.tread.TreadConfig;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.Parallel;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times the FLUX.2 transformer on a small random configuration: forward, and a LoRA training step
 * (forward + backward + AdamW) with and without gradient checkpointing, with achieved GFLOP/s as a fraction of
 * an sgemm measured in the same run, and the step's peak memory. One JSON line per figure. With
 * {@code --tread-ratio R} the training steps are also timed routing the fraction R of the image tokens around blocks 2..-2 (TREAD).
 */
@Command(name = "flux2", mixinStandardHelpOptions = true,
        description = "Time the FLUX.2 transformer forward and a LoRA training step on a small random model; JSON lines.")
public final class BenchFlux2Command implements Callable<Integer> {
    @Option(names = "--hidden", defaultValue = "512", description = "Hidden size (default ${DEFAULT-VALUE}).") int hidden;
    @Option(names = "--heads", defaultValue = "8", description = "Heads (default ${DEFAULT-VALUE}); head dim is split over 4 RoPE axes.") int heads;
    @Option(names = "--double", defaultValue = "2", description = "Double-stream blocks (default ${DEFAULT-VALUE}).") int depth;
    @Option(names = "--single", defaultValue = "4", description = "Single-stream blocks (default ${DEFAULT-VALUE}).") int single;
    @Option(names = "--context", defaultValue = "768", description = "Text feature size (default ${DEFAULT-VALUE}).") int context;
    @Option(names = "--grid", defaultValue = "16", description = "Image tokens form a grid x grid latent (default ${DEFAULT-VALUE}).") int grid;
    @Option(names = "--image-tokens", description = "Image tokens (default: grid x grid); laid out on the squarest h x w grid.") Integer imageTokens;
    @Option(names = "--tread-ratio", defaultValue = "0", description = "TREAD: fraction of image tokens routed around blocks 2..-2 in the training steps (default ${DEFAULT-VALUE}: no routing).") double treadRatio;
    @Option(names = "--text-tokens", defaultValue = "64", description = "Text tokens (default ${DEFAULT-VALUE}).") int textTokens;
    @Option(names = "--batch", defaultValue = "1", description = "Batch (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE}).") int rank;
    @Option(names = "--targets", defaultValue = "all", description = "LoRA target preset (default ${DEFAULT-VALUE}).") String targets;
    @Option(names = "--dtype", defaultValue = "bf16", description = "Base weight dtype, f32 or bf16 (default ${DEFAULT-VALUE}).") String dtype;
    @Option(names = "--threads", description = "Threads (default: the engine's thread count).") Integer threads;
    @Option(names = "--runs", defaultValue = "3", description = "Timed runs; the best counts (default ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds (default ${DEFAULT-VALUE}).") double warmup;
    @Mixin DeviceOption device;

    private Backend dev;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (heads <= 0 || hidden % heads != 0 || (hidden / heads) % 8 != 0)
            throw new IllegalArgumentException("--hidden must be a multiple of --heads with a head dim divisible by 8 (4 RoPE axes of even size); got "
                    + hidden + " / " + heads);
        DType wt = DType.parse(dtype);
        if (wt != DType.F32 && wt != DType.BF16) throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        int axis = hidden / heads / 4;
        Flux2Config c = new Flux2Config(128, context, hidden, heads, depth, single, new int[]{axis, axis, axis, axis}, 2000, 3.0, true);
        dev = device.open();
        int saved = Parallel.threads();
        int t = threads != null ? threads : saved;
        Parallel.setThreads(t);
        try (TensorArena params = TensorArena.create("bench-flux2-params"); TensorArena data = TensorArena.open("bench-flux2")) {
            double sgemm = SgemmRate.gflops(dev, warmup, runs);
            Map<String, Object> head = new LinkedHashMap<>();
            head.put("bench", "flux2");
            head.put("what", "sgemm");
            head.put("size", 1024);
            head.put("threads", t);
            if (!dev.isHost()) head.put("device", dev.name());
            head.put("gflops", round(sgemm));
            BenchMemory.addTo(head);
            print(head);

            Flux2Transformer model = new Flux2Transformer(c, wt, params);
            Rng rng = new Rng(1);
            model.namedParameters().forEach((n, p) -> {
                if (!n.endsWith(".scale")) p.value().copyFrom(rng.normal(0, 0.02, p.value().shape()));
            });
            Lora lora = Lora.attach(model, LoraTargets.preset(targets), new Lora.Config(rank, rank, 0, 0), rng, params);
            // B = 0 would make the adapters' inputs' gradients trivially zero; any values time the same
            lora.namedParameters().values().forEach(p -> rng.fillNormal(p.value(), 0, 0.01));
            if (!dev.isHost()) {
                model.to(dev, params);
                lora.to(dev, params);
            }
            int li = imageTokens != null ? imageTokens : grid * grid;
            if (li <= 0) throw new IllegalArgumentException("--image-tokens must be > 0, got " + li);
            int gh = (int) Math.sqrt(li);
            while (li % gh != 0) gh--;
            Tensor x = rng.normal(0, 1, batch, li, 128).to(dev), ids = TokenIds.image(batch, gh, li / gh).to(dev);
            TreadConfig tread = treadRatio != 0 ? new TreadConfig(List.of(new TreadConfig.Route(treadRatio, 2, -2))) : null;
            if (tread != null) tread.resolve(depth + single);
            Tensor ctx = rng.normal(0, 1, batch, textTokens, context).to(dev), ctxIds = TokenIds.text(batch, textTokens).to(dev);
            Tensor ts = Tensor.full(DType.F32, 0.5, batch).to(dev), g = Tensor.full(DType.F32, 1.0, batch).to(dev);
            Tensor target = rng.normal(0, 1, batch, li, 128).to(dev);
            Map<String, Linear> adapted = new LinkedHashMap<>();
            Map<String, Linear> all = LoraTargets.linears(model);
            for (String n : lora.layers().keySet()) adapted.put(n, all.get(n));
            double loraTok = Flux2Flops.loraInOutTokens(adapted, li, textTokens);

            BenchTimer timer = new BenchTimer(warmup, runs, 0);
            double fwd = timer.bestSecondsPerCall(() -> {
                try (TensorArena s = TensorArena.open("fwd"); GradMode.Scope off = GradMode.off()) {
                    model.forward(x, ids, ctx, ctxIds, ts, g);
                    DeviceOption.sync(dev);
                }
            });
            double fwdFlops = Flux2Flops.forward(c, batch, li, textTokens, rank, loraTok);
            print(figure("forward", fwd, fwdFlops, sgemm, null, null, li));

            AdamW opt = new AdamW(lora.namedParameters(), 1e-4, 0.9, 0.999, 1e-8, 0.01, params);
            double stepFlops = Flux2Flops.trainingStep(c, batch, li, textTokens, rank, loraTok);
            // with TREAD, the dense step is timed next to the routed one in the same process, so that both see the same load
            TreadRouter[] routers = tread == null ? new TreadRouter[]{null} : new TreadRouter[]{null, new TreadRouter(tread, 3)};
            for (boolean ckpt : new boolean[]{false, true}) {
                model.setGradientCheckpointing(ckpt);
                for (TreadRouter router : routers) {
                    Runnable step = () -> {
                        try (TensorArena s = TensorArena.open("step")) {
                            opt.zeroGrad();
                            Var loss = F.mseLoss(model.forward(Var.constant(x), ids, Var.constant(ctx), ctxIds, ts, g, router), Var.constant(target));
                            loss.backward();
                            opt.step();
                            DeviceOption.sync(dev);
                        }
                    };
                    double sec = timer.bestSecondsPerCall(step);
                    long before = MemoryStats.liveBytes();
                    MemoryStats.resetPeak();
                    step.run();
                    long peak = MemoryStats.peakBytes() - before;
                    // routed steps do less work than the dense FLOP count, so no throughput figures for them
                    Map<String, Object> f = figure("lora_train_step", sec, router == null ? stepFlops : Double.NaN, sgemm, ckpt, peak, li);
                    if (router != null) f.put("tread_ratio", treadRatio);
                    print(f);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
        return 0;
    }

    private Map<String, Object> figure(String what, double seconds, double flops, double sgemm, Boolean ckpt, Long peakBytes, int li) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", "flux2");
        m.put("what", what);
        if (!dev.isHost()) m.put("device", dev.name());
        m.put("image_tokens", li);
        if (ckpt != null) m.put("checkpointing", ckpt);
        m.put("ms", round(seconds * 1e3));
        if (!Double.isNaN(flops)) {
            m.put("gflop", round(flops / 1e9));
            m.put("gflops", round(flops / seconds / 1e9));
            m.put("of_sgemm", round(flops / seconds / 1e9 / sgemm));
        }
        if (peakBytes != null) m.put("step_peak_mib", round(peakBytes / 1048576.0));
        BenchMemory.addTo(m);
        return m;
    }

    private static double round(double v) { return new BigDecimal(v).round(new MathContext(4)).doubleValue(); }

    private void print(Map<String, Object> m) throws Exception { System.out.println(json.writeValueAsString(m)); }
}
