package flux2.trainer.train;

import flux2.autograd.Var;
import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.autograd.optim.GradClip;
import flux2.autograd.optim.LrSchedule;
import flux2.model.flux2.FlowMatching;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.Latents;
import flux2.model.flux2.TokenIds;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraLayer;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.flux2.lora.LoraWeights;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.MemoryStats;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.cache.Caches;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.Batch;
import flux2.trainer.data.Sample;
import flux2.trainer.data.TrainingData;
import flux2.trainer.events.EventLog;
import flux2.trainer.events.Phase;
import flux2.trainer.events.TrainingEvents;
import flux2.trainer.folders.OutputFolder;
import flux2.trainer.models.ModelParts;
import flux2.trainer.plan.MemoryPlan;
import flux2.trainer.plan.MemoryPlanner;
import flux2.trainer.plan.PlanReport;
import flux2.trainer.plan.PlanSources;
import flux2.tensor.ByteSize;
import flux2.trainer.models.TransformerFolder;
import flux2.trainer.progress.ProgressLine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training run of a validated config: caches, then optimizer steps of flow matching on the frozen
 * transformer with LoRA adapters, or on every transformer weight (F32 master copies) for model_type "full"
 * (gradient accumulation, clipping, AdamW with the LR schedule), metrics, checkpoints, validation images, the
 * final LoRA file (or BF16 transformer folder) and the loss curve. All randomness comes from seeded
 * generators whose positions are checkpointed, so a resumed run continues exactly.
 */
public final class Trainer {
    /** What a run produced: {@code loraFile} is the LoRA file, or for full training the transformer folder. */
    public record Result(long steps, Path loraFile, double lastLoss, List<Path> validationImages) {}

    /** The folder under output_dir (and in each checkpoint) that full training writes the transformer to. */
    public static final String TRANSFORMER_DIR = "transformer";

    private final TrainConfig config;
    private final PrintStream out;
    private long stopAfter = Long.MAX_VALUE;

    public Trainer(TrainConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    /**
     * Ends the run after optimizer step {@code step} as an interruption would (no final LoRA, validation or curve),
     * after writing a checkpoint there so that it can be resumed.
     */
    public Trainer stopAfter(long step) {
        this.stopAfter = step;
        return this;
    }

    /** The optimizer steps of a run: max_train_steps, else num_train_epochs full passes. */
    public static long totalSteps(TrainConfig c, int batchesPerEpoch) {
        if (c.training().maxTrainSteps() > 0) return c.training().maxTrainSteps();
        long perEpoch = Math.max(1, (batchesPerEpoch + c.training().gradientAccumulationSteps() - 1) / c.training().gradientAccumulationSteps());
        return perEpoch * c.training().numTrainEpochs();
    }

    /**
     * Trains with output_dir locked against other runs for the whole run (and cleaned of what interrupted runs left),
     * writing the run's events to {@code <output_dir>/events.jsonl} ({@link EventLog}) and stopping after the current
     * step, with a checkpoint, when {@link StopRequest} asks.
     */
    public Result run() throws IOException {
        try (OutputFolder folder = OutputFolder.claim(config.outputDir(), "train", out::println);
             EventLog events = EventLog.open(folder.dir(), out::println)) {
            try {
                Result r = train(folder.dir(), events, StopRequest.in(folder.dir()));
                events.finished(r.loraFile() == null ? TrainingEvents.Outcome.STOPPED : TrainingEvents.Outcome.COMPLETED, r.steps(), r.loraFile(), null);
                return r;
            } catch (IOException | RuntimeException | Error e) {
                events.finished(TrainingEvents.Outcome.FAILED, events.lastStep(), null, e.getMessage() != null ? e.getMessage() : e.toString());
                throw e;
            }
        }
    }

    private Result train(Path outDir, TrainingEvents events, StopRequest stop) throws IOException {
        TrainConfig.Training t = config.training();
        long seed = config.seed() != null ? config.seed() : System.nanoTime();
        boolean full = config.model().full();
        Path loraFile = full ? outDir.resolve(TRANSFORMER_DIR) : outDir.resolve(LoraFiles.FILE_NAME);
        out.println("output folder: " + outDir);
        out.println((full ? "  transformer: " : "  LoRA: ") + loraFile + "; metrics: " + outDir.resolve("metrics.jsonl") + "; checkpoints: "
                + outDir.resolve("checkpoint-<step>") + "; validation images: " + outDir.resolve("validation_images"));
        if (config.seed() == null) out.println("no seed configured: using " + seed);

        TrainingData scanned = TrainingData.open(config, seed, out::println);
        MemoryCheck.beforeTraining(config, scanned);
        Backend device = config.model().device().open();
        MemoryPlan memoryPlan = MemoryPlanner.plan(PlanSources.of(config, scanned, device));
        out.print(PlanReport.table(memoryPlan));
        // a GPU run that cannot hold its plan stops here, before caches are built or weights loaded; a CPU run is
        // checked by MemoryCheck, which leaves out the mapped weights the OS pages in and out
        if (!device.isHost() && !memoryPlan.fits())
            throw new RunRefused("this training run needs " + ByteSize.format(memoryPlan.deviceTotal()) + " on " + device.name() + ", which holds "
                    + ByteSize.format(memoryPlan.settings().deviceMemory()) + " (no model was loaded; flux2-trainer plan shows the same table)"
                    + (memoryPlan.fixes().isEmpty() ? "; no precision, checkpointing or batch size makes it fit: lower the datasets' resolution"
                    : "; settings that fit: " + String.join("; ", memoryPlan.fixes())));
        ResumeCheck.beforeTraining(config, outDir, totalSteps(config, scanned.sampler().batchesPerEpoch()));
        Caches caches = Caches.of(config, scanned);
        TrainingData data = caches.build(config, scanned, textsBesideCaptions(config), out, events); // less images that cannot be decoded
        events.phase(Phase.TRAINING);
        CaptionDropout dropout = new CaptionDropout(t.captionDropout(), seed);

        long total = totalSteps(config, data.sampler().batchesPerEpoch());
        Validator validator = new Validator(config, caches.text(), seed).reportingTo(events);
        CheckpointStore store = new CheckpointStore(outDir, config.checkpoints().totalLimit(), out::println);
        for (String d : store.removeRemains()) out.println("cleaned up after an interrupted run: " + d);
        Metrics metrics = new Metrics(outDir.resolve("metrics.jsonl"));
        List<Path> images = new ArrayList<>();
        // full training copies the weights into F32 parameters (the master weights); LoRA keeps them mapped
        try (ModelParts.Transformer tr = ModelParts.transformer(config.model().location(), full, config.model().baseModelPrecision());
             TensorArena loraArena = TensorArena.create("lora"); TensorArena optArena = TensorArena.create("optimizer");
             TensorArena deviceArena = TensorArena.create("device")) {
            Flux2Transformer model = tr.model();
            int quantized = tr.quantized().size();
            if (quantized > 0) out.println("base model: " + quantized + " Linear layers quantized (" + config.model().baseModelPrecision() + ")");
            model.setGradientCheckpointing(t.gradientCheckpointing());
            Lora lora = full ? null : attachLora(model, seed, loraArena);
            if (full) model.setTrainable(true);
            TreadRouting tread = TreadRouting.of(config, model, seed, out);
            if (!config.model().device().isCpu()) {
                // weights and adapters move once; the optimizer state is then allocated next to them
                model.to(device, deviceArena);
                if (lora != null) lora.to(device, deviceArena);
                out.println("model on " + device.name() + ": " + mib(device.deviceBytesInUse()) + " of device memory");
            }
            Map<String, Parameter> params = full ? model.namedParameters() : lora.namedParameters();
            AdamW opt = new AdamW(params, t.learningRate(), t.beta1(), t.beta2(), t.epsilon(), t.weightDecay(), optArena);
            LrSchedule schedule = LrSchedule.parse(t.lrScheduler(), t.lrWarmupSteps(), total, 0.5, t.lrPower(),
                    t.learningRate() > 0 ? t.lrEnd() / t.learningRate() : 0);
            Rng noiseRng = new Rng(seed ^ 0x6E6F697365L), sigmaRng = new Rng(seed ^ 0x7369676D61L);
            LoraWriter.Options loraOptions = LoraWriter.Options.of(LoraFormat.parse(config.lora().format()), DType.F32);
            SigmaSampler sigmas = new SigmaSampler(config.flow());
            String paramsFile = full ? CheckpointStore.FULL_PARAMS : CheckpointStore.PARAMS;

            long step = 0;
            Path resume = store.find(config.checkpoints().resumeFrom(), paramsFile);
            CheckHistory history = null;
            if (resume != null) {
                TrainingState st = full ? CheckpointStore.restore(resume, params, CheckpointStore.FULL_PARAMS, opt)
                        : CheckpointStore.restore(resume, lora, opt);
                if (st.seed() != seed)
                    out.println("warning: " + resume + " was made with seed " + st.seed() + ", this run has seed " + seed);
                data.sampler().restore(st.sampler());
                noiseRng.setCalls(st.noiseRngCalls());
                sigmaRng.setCalls(st.sigmaRngCalls());
                step = st.globalStep();
                history = st.history();
                metrics.resumeAfter(step, out::println);
                out.println("resumed from " + resume + " at step " + step);
            } else {
                Path aside = metrics.startFresh();
                if (aside != null) out.println("this run starts at step 0: the metrics of an earlier run in this folder were moved to " + aside);
            }
            CheckpointCheck check = history != null ? CheckpointCheck.resume(history) : CheckpointCheck.start(params.values());
            Saver saver = st -> {
                events.phase(Phase.SAVING);
                TrainingState checked = st.checked(check.judge(params, opt), check.history());
                Path cp = full
                        ? store.save(checked, params, paramsFile, d -> TransformerFolder.write(model, d.resolve(TRANSFORMER_DIR), DType.BF16), opt)
                        : store.save(checked, lora, loraOptions, opt);
                if (!checked.verdict().good())
                    out.println(System.lineSeparator() + "warning: " + cp + " failed the check of its numbers: " + checked.verdict().reason()
                            + ". It is kept, but resume_from_checkpoint \"latest\" skips it; " + goodCheckpoint(store, paramsFile));
                events.checkpoint(st.globalStep(), cp, st.globalStep() == total);
                return cp;
            };
            out.println("training " + (full ? "the full transformer" : lora.layers().size() + " LoRA modules") + " (" + count(params) + " parameters) for " + total
                    + " steps, batch " + t.batchSize() + " x " + t.gradientAccumulationSteps() + " accumulation");

            // the base model's images at step 0, to compare the trained ones with
            if (step == 0 && config.validation().onStartup()) images.addAll(validator.run(0, model, lora));
            ProgressLine bar = new ProgressLine(out, "train", total, step, 1000);
            double lastLoss = Double.NaN;
            while (step < total) {
                long started = System.nanoTime();
                double lr = t.learningRate() * schedule.factor(step);
                opt.setLr(lr);
                double loss = 0;
                for (int micro = 0; micro < t.gradientAccumulationSteps(); micro++) {
                    if (lora != null) lora.setStep(step * t.gradientAccumulationSteps() + micro);
                    Batch batch = data.sampler().next();
                    // one plan per micro-step: a backend that captures launches records the step once and replays it
                    try (var a = TensorArena.open("step"); var plan = device.plan("micro_step")) {
                        long microIndex = step * t.gradientAccumulationSteps() + micro;
                        Var l = microStep(model, caches, batch, dropout.captions(batch, microIndex), sigmas, noiseRng, sigmaRng,
                                ReferenceTokens.of(batch, data.referencesOf(batch.datasetId()), caches, config.conditioning().multidatasetSampling(), seed),
                                tread == null ? null : tread.router(microIndex), device);
                        double v = l.data().item();
                        if (!Double.isFinite(v))
                            throw new TrainingStopped("loss is " + v + " at step " + (step + 1) + " (batch " + batch.index() + " of epoch "
                                    + batch.epoch() + "); stopped without saving. " + resumeAdvice(store, paramsFile));
                        l.mul(1.0 / t.gradientAccumulationSteps()).backward();
                        loss += v / t.gradientAccumulationSteps();
                    }
                }
                double norm;
                // the update's temporaries (clipped gradients) die with it: nothing of a step may outlive the step
                try (var u = TensorArena.open("update")) {
                    norm = GradClip.globalNorm(params.values());
                    if (!Double.isFinite(norm))
                        throw new TrainingStopped("gradient norm is " + norm + " at step " + (step + 1)
                                + "; stopped without saving. " + resumeAdvice(store, paramsFile));
                    clip(params, t);
                    opt.step();
                    opt.zeroGrad();
                }
                step++;
                lastLoss = loss;
                check.record(loss);
                double seconds = (System.nanoTime() - started) / 1e9;
                metrics.append(new Metrics.Line(step, loss, lr, norm, seconds, MemoryStats.peakBytes()));
                bar.update(step, String.format(Locale.ROOT, "loss %.4f lr %.2e", loss, lr));
                events.progress(step, total, loss, lr, norm, bar.secondsPerUnit(step));
                if (step % config.checkpoints().stepInterval() == 0 && step < total) {
                    Path cp;
                    try (var c = TensorArena.open("checkpoint")) {
                        cp = saver.save(state(step, data, seed, noiseRng, sigmaRng, opt));
                    }
                    out.println();
                    out.println("saved " + cp);
                }
                if (step % config.validation().stepInterval() == 0 && step < total) {
                    try (var v = TensorArena.open("validation")) {
                        images.addAll(validator.run(step, model, lora));
                    }
                }
                if ((step == stopAfter || stop.requested()) && step < total) {
                    Path cp = saver.save(state(step, data, seed, noiseRng, sigmaRng, opt));
                    stop.clear();
                    out.println();
                    out.println("stopped after step " + step + "; resume from " + cp);
                    return new Result(step, null, lastLoss, images);
                }
            }
            bar.finish(step, Double.isNaN(lastLoss) ? "" : String.format(Locale.ROOT, "loss %.4f", lastLoss));
            events.phase(Phase.SAVING);
            if (full) TransformerFolder.write(model, loraFile, DType.BF16);
            else LoraWriter.write(loraFile, weights(lora), loraOptions.withMetadata(Map.of("global_step", Long.toString(step))));
            Path cp = saver.save(state(step, data, seed, noiseRng, sigmaRng, opt));
            out.println("saved " + loraFile + " and " + cp);
            images.addAll(validator.run(step, model, lora));
            if (!images.isEmpty()) out.println("validation images: " + outDir.resolve(OutputFolder.VALIDATION_IMAGES));
            LossCurve.write(Metrics.read(metrics.file()), outDir.resolve("loss_curve.png"));
            out.println("loss curve: " + outDir.resolve("loss_curve.png"));
            return new Result(step, loraFile, lastLoss, images);
        }
    }

    /**
     * The texts a run encodes besides its captions: the validation prompts, the negative prompt when validation uses
     * classifier-free guidance, and the empty prompt when captions are dropped.
     */
    public static List<String> textsBesideCaptions(TrainConfig config) {
        List<String> texts = new ArrayList<>(Validator.texts(config));
        if (config.training().captionDropout() > 0) texts.add(CaptionDropout.EMPTY);
        return texts;
    }

    /** Where the newest good checkpoint is, for a message. */
    private static String goodCheckpoint(CheckpointStore store, String paramsFile) throws IOException {
        Path good = store.newestUsable(paramsFile);
        return good == null ? "no checkpoint of this run has passed it yet" : "the newest good checkpoint is " + good;
    }

    /** Which checkpoint to resume from after training stopped on bad numbers. */
    private static String resumeAdvice(CheckpointStore store, String paramsFile) throws IOException {
        Path good = store.newestUsable(paramsFile);
        if (good == null)
            return "No checkpoint of this run passed the check of its numbers: start again (resume_from_checkpoint \"none\") with a lower learning_rate or max_grad_norm";
        return "The newest good checkpoint, " + good + ", is untouched: resume from it with resume_from_checkpoint \"" + good.getFileName()
                + "\" (\"latest\" picks it too) and a lower learning_rate or max_grad_norm";
    }

    /** Writes a checkpoint of the run's state. */
    @FunctionalInterface
    private interface Saver {
        Path save(TrainingState state) throws IOException;
    }

    /** The LoRA's weights, recording a gaussian init the way PEFT does. */
    private LoraWeights weights(Lora lora) {
        LoraWeights w = LoraWeights.of(lora);
        return "gaussian".equals(config.lora().initType()) ? w.withInit("gaussian") : w;
    }

    private Lora attachLora(Flux2Transformer model, long seed, TensorArena arena) {
        TrainConfig.Lora c = config.lora();
        List<String> targets = c.targetModules() != null ? c.targetModules() : LoraTargets.preset(c.targetPreset());
        Lora lora = Lora.attach(model, targets, new Lora.Config(c.rank(), c.alpha(), c.dropout(), seed), new Rng(seed), arena);
        if ("gaussian".equals(c.initType())) {
            // PEFT's gaussian init: A ~ N(0, 1/r), B = 0 (B is already zero)
            Rng rng = new Rng(seed ^ 0x6761757373L);
            for (LoraLayer l : lora.layers().values()) rng.fillNormal(l.a.weight.value(), 0, 1.0 / c.rank());
        }
        return lora;
    }

    /** The flow-matching loss of one batch with these captions (with its reference tokens, or null, and a TREAD router, or null). */
    private Var microStep(Flux2Transformer model, Caches caches, Batch batch, List<String> captions, SigmaSampler sigmas, Rng noiseRng, Rng sigmaRng,
                          List<ReferenceTokens> refs, flux2.model.flux2.tread.TreadRouter router, Backend device) {
        List<Sample> samples = batch.samples();
        int b = samples.size();
        Tensor[] lat = new Tensor[b], txt = new Tensor[b];
        for (int i = 0; i < b; i++) {
            Sample s = samples.get(i);
            lat[i] = caches.latents(s.datasetId()).get(s.image()).unsqueeze(0);
            txt[i] = caches.text().get(captions.get(i)).unsqueeze(0);
        }
        Tensor grid = Layouts.concat(0, lat);
        int h = grid.size(2), w = grid.size(3);
        Tensor x0 = Latents.pack(grid);
        Tensor ctx = Layouts.concat(0, txt);
        Tensor noise = noiseRng.normal(0, 1, x0.shape());
        Tensor sigma = floats(sigmas.sample(b, h * w, sigmaRng));
        Tensor guidance = floats(sigmas.guidance(b, sigmaRng));
        Tensor xt = FlowMatching.noisy(x0, noise, sigma);
        // the batch is made on the host from the caches and moved to the model's device (a no-op on the CPU)
        return StepLoss.of(model, xt.to(device), TokenIds.image(b, h, w).to(device), ctx.to(device),
                TokenIds.text(b, ctx.size(1)).to(device), sigma.to(device), guidance.to(device),
                FlowMatching.target(x0, noise).to(device), refs, router);
    }

    /** max_grad_norm: element-wise clamp (value) or global-norm scaling (norm); 0 disables clipping. */
    private static void clip(Map<String, Parameter> params, TrainConfig.Training t) {
        double max = t.maxGradNorm();
        if (!(max > 0)) return;
        if (t.gradClipMethod().equals("norm")) {
            GradClip.clipGlobalNorm(params.values(), max);
            return;
        }
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            if (g != null) g.copyFrom(g.clamp(-max, max));
        }
    }

    private static TrainingState state(long step, TrainingData data, long seed, Rng noise, Rng sigma, AdamW opt) {
        var s = data.sampler().state();
        return new TrainingState(step, s.epoch(), s, seed, noise.calls(), sigma.calls(), opt.stepCount(), opt.lr());
    }

    private static Tensor floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, v.length);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static long count(Map<String, Parameter> params) {
        long n = 0;
        for (Parameter p : params.values()) {
            long k = 1;
            for (int d : p.shape()) k *= d;
            n += k;
        }
        return n;
    }
}
