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
import flux2.model.flux2.lora.LoraLayer;
import flux2.model.flux2.lora.LoraWeights;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.Backend;
import flux2.tensor.BatchSlice;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.MemoryStats;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.cache.Caches;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.config.Training;
import flux2.trainer.data.Batch;
import flux2.trainer.data.Sample;
import flux2.trainer.data.TrainingData;
import flux2.trainer.events.Phase;
import flux2.trainer.events.TrainingEvents;
import flux2.trainer.folders.OutputFolder;
import flux2.trainer.models.ModelParts;
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
 * One training run with its model loaded: the trained parameters, the optimizer and schedule, the seeded noise and
 * sigma streams, checkpoints, metrics and validation images, and the steps {@link Trainer} calls in order (resume,
 * optimizer steps, checkpoints and validation between them, the final files).
 */
final class TrainingRun implements AutoCloseable {
    private final TrainConfig config;
    private final Training t;
    private final PrintStream out;
    private final Path outDir;
    private final DataParallel dp;
    private final TrainingEvents events;
    private final long seed;
    private final TrainingData data;
    private final Caches caches;
    private final boolean full;
    private final Path loraFile;
    private final long total;
    private final Backend device;
    private final TensorArena loraArena = TensorArena.create("lora"), optArena = TensorArena.create("optimizer"),
            deviceArena = TensorArena.create("device");
    private final Flux2Transformer model;
    private final Lora lora;
    private final TreadRouting tread;
    private final Map<String, Parameter> params;
    private final AdamW opt;
    private final LrSchedule schedule;
    private final Rng noiseRng, sigmaRng;
    private final SigmaSampler sigmas;
    private final CaptionDropout dropout;
    private final LoraWriter.Options loraOptions;
    private final String paramsFile;
    private final Validator validator;
    private final CheckpointStore store;
    private final Metrics metrics;
    private final List<Path> images = new ArrayList<>();
    private CheckpointCheck check;
    private ProgressLine bar;
    private long step;
    private double lastLoss = Double.NaN;

    TrainingRun(TrainConfig config, PrintStream out, Path outDir, DataParallel dp, Backend device, TrainingEvents events, long seed,
                TrainingData data, Caches caches, ModelParts.Transformer tr) throws IOException {
        try {
            this.config = config;
            this.t = config.training();
            this.out = out;
            this.outDir = outDir;
            this.dp = dp;
            this.events = events;
            this.seed = seed;
            this.data = data;
            this.caches = caches;
            this.full = config.model().full();
            this.loraFile = full ? outDir.resolve(Trainer.TRANSFORMER_DIR) : outDir.resolve(LoraFiles.FILE_NAME);
            this.total = Trainer.totalSteps(config, data.sampler().batchesPerEpoch());
            this.dropout = new CaptionDropout(t.loss().captionDropout(), seed);
            this.validator = new Validator(config, caches.text(), seed).reportingTo(events);
            this.store = new CheckpointStore(outDir, config.checkpoints().totalLimit(), out::println);
            if (dp.isRankZero()) for (String d : store.removeRemains()) out.println("cleaned up after an interrupted run: " + d);
            this.metrics = new Metrics(outDir.resolve("metrics.jsonl"));
            this.device = device;

            this.model = tr.model();
            int quantized = tr.quantized().size();
            if (quantized > 0) out.println("base model: " + quantized + " Linear layers quantized (" + config.model().baseModelPrecision().configName() + ")");
            model.setGradientCheckpointing(t.gradientCheckpointing());
            this.lora = full ? null : attachLora();
            if (full) model.setTrainable(true);
            this.tread = TreadRouting.of(config, model, seed, out);
            if (!config.model().device().isCpu()) {
                // weights and adapters move once; the optimizer state is then allocated next to them
                model.to(device, deviceArena);
                if (lora != null) lora.to(device, deviceArena);
                out.println("model on " + device.name() + ": " + mib(device.deviceBytesInUse()) + " of device memory");
            }
            this.params = full ? model.namedParameters() : lora.namedParameters();
            Training.Optimizer o = t.optimizer();
            this.opt = new AdamW(params, o.learningRate(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay(), optArena);
            this.schedule = schedule(t, total);
            this.noiseRng = new Rng(seed ^ 0x6E6F697365L);
            this.sigmaRng = new Rng(seed ^ 0x7369676D61L);
            this.loraOptions = LoraWriter.Options.of(config.lora().format(), DType.F32);
            this.sigmas = new SigmaSampler(config.flow());
            this.paramsFile = full ? CheckpointStore.FULL_PARAMS : CheckpointStore.PARAMS;
        } catch (IOException | RuntimeException | Error e) {
            close(); // the arenas of a run that could not start
            throw e;
        }
    }

    /** Restores the checkpoint resume_from_checkpoint names (rank 0 chooses it, every rank restores it), or starts fresh. */
    void resume() throws IOException {
        String chosen = dp.fromRankZero(dp.isRankZero() ? pathOrNull(store.find(config.checkpoints().resumeFrom(), paramsFile)) : null);
        Path resume = chosen == null ? null : Path.of(chosen);
        CheckHistory history = null;
        if (resume != null) {
            TrainingState st = full ? CheckpointStore.restore(resume, params, CheckpointStore.FULL_PARAMS, opt)
                    : CheckpointStore.restore(resume, lora, opt);
            String refused = ResumeBatching.refusal(resume, st.batching(), dp.batching());
            if (refused != null) throw new IllegalArgumentException(refused);
            String note = ResumeBatching.note(resume, st.batching(), dp.batching());
            if (note != null) out.println(note);
            if (st.seed() != seed)
                out.println("warning: " + resume + " was made with seed " + st.seed() + ", this run has seed " + seed);
            data.sampler().restore(st.sampler());
            noiseRng.setCalls(st.noiseRngCalls());
            sigmaRng.setCalls(st.sigmaRngCalls());
            step = st.globalStep();
            history = st.history();
            if (dp.isRankZero()) metrics.resumeAfter(step, out::println);
            out.println("resumed from " + resume + " at step " + step);
        } else if (dp.isRankZero()) {
            Path aside = metrics.startFresh();
            if (aside != null) out.println("this run starts at step 0: the metrics of an earlier run in this folder were moved to " + aside);
        }
        check = history != null ? CheckpointCheck.resume(history) : CheckpointCheck.start(params.values());
        out.println("training " + (full ? "the full transformer" : lora.layers().size() + " LoRA modules") + " (" + count(params) + " parameters) for " + total
                + " steps, batch " + t.batches().size() + (dp.distributed() ? " on each of " + dp.worldSize() + " processes" : "") + " x "
                + t.batches().accumulationSteps() + " accumulation");
    }

    /** The base model's images at step 0, to compare the trained ones with; then the progress line starts. */
    void validateAtStart() throws IOException {
        if (step == 0 && config.validation().onStartup()) images.addAll(validate(0));
        bar = new ProgressLine(out, "train", total, step, 1000);
    }

    boolean done() { return step >= total; }

    /**
     * One optimizer step: gradient_accumulation_steps micro-batches (this rank's share of each), the gradients summed
     * over the ranks, clipped, and AdamW at the scheduled learning rate; then the metrics of the step.
     */
    void optimizerStep() throws IOException {
        long started = System.nanoTime();
        double lr = t.optimizer().learningRate() * schedule.factor(step);
        opt.setLr(lr);
        double loss = 0;
        Batch batch = null;
        int accumulation = t.batches().accumulationSteps();
        for (int micro = 0; micro < accumulation; micro++) {
            long microIndex = step * accumulation + micro;
            if (lora != null) lora.setStep(microIndex);
            batch = data.sampler().next();
            DataParallel.Shard shard = dp.shard(batch, dropout.captions(batch, microIndex));
            if (lora != null) lora.setBatch(shard.slice());
            // one plan per micro-step: a backend that captures launches records the step once and replays it
            try (var a = TensorArena.open("step"); var plan = device.plan("micro_step")) {
                if (shard.slice().isEmpty()) {
                    skipDraws(shard.slice()); // a short batch left this rank nothing
                    continue;
                }
                Batch mine = shard.batch();
                Var l = microStep(mine, shard.captions(), shard.slice(),
                        ReferenceTokens.of(mine, data.referencesOf(mine.datasetId()), caches, config.conditioning().multidatasetSampling(), seed),
                        tread == null ? null : tread.router(microIndex, shard.slice()));
                double v = l.data().item();
                if (!Double.isFinite(v) && !dp.distributed())
                    throw new TrainingStopped("loss is " + v + " at step " + (step + 1) + " (batch " + batch.index() + " of epoch "
                            + batch.epoch() + "); stopped without saving. " + resumeAdvice());
                // a rank's bad loss reaches every rank through the summed loss below
                if (Double.isFinite(v)) l.mul(shard.weight() / accumulation).backward();
                loss += v * shard.weight() / accumulation;
            }
        }
        try (var r = TensorArena.open("reduce")) {
            loss = dp.sumGradients(params, loss, optArena);
        }
        if (!Double.isFinite(loss))
            throw new TrainingStopped("loss is " + loss + " at step " + (step + 1) + " (batch " + batch.index() + " of epoch "
                    + batch.epoch() + ", on at least one of the " + dp.worldSize() + " processes); stopped without saving. " + resumeAdvice());
        double norm;
        // the update's temporaries (clipped gradients) die with it: nothing of a step may outlive the step
        try (var u = TensorArena.open("update")) {
            norm = GradClip.globalNorm(params.values());
            if (!Double.isFinite(norm))
                throw new TrainingStopped("gradient norm is " + norm + " at step " + (step + 1) + "; stopped without saving. " + resumeAdvice());
            clip(params, t.clipping());
            opt.step();
            opt.zeroGrad();
        }
        step++;
        lastLoss = loss;
        check.record(loss);
        double seconds = (System.nanoTime() - started) / 1e9;
        if (dp.isRankZero()) metrics.append(new Metrics.Line(step, loss, lr, norm, seconds, MemoryStats.peakBytes()));
        bar.update(step, String.format(Locale.ROOT, "loss %.4f lr %.2e", loss, lr));
        events.progress(step, total, loss, lr, norm, bar.secondsPerUnit(step));
    }

    /**
     * After a step: the checkpoint and the validation images their intervals ask for, and whether the run stops here
     * (at {@code stopAfter}, or when rank 0 sees the stop request), with a checkpoint to resume from.
     */
    boolean checkpointAndValidate(long stopAfter, StopRequest stopRequest) throws IOException {
        boolean save = step % config.checkpoints().stepInterval() == 0 && step < total;
        // rank 0 reads the stop request for every rank, so that all of them stop after the same step
        boolean asked = dp.fromRankZero(dp.isRankZero() && stopRequest.requested());
        boolean stop = (step == stopAfter || asked) && step < total;
        if (dp.distributed() && (save || stop || step % DataParallel.CHECKSUM_INTERVAL == 0)) sameWeights();
        if (save) {
            Path cp = dp.rankZeroOnly("saving checkpoint-" + step, () -> {
                try (var c = TensorArena.open("checkpoint")) {
                    return save(state());
                }
            });
            out.println();
            out.println("saved " + cp);
        }
        if (step % config.validation().stepInterval() == 0 && step < total) {
            try (var v = TensorArena.open("validation")) {
                images.addAll(validate(step));
            }
        }
        if (!stop) return false;
        Path cp = dp.rankZeroOnly("saving checkpoint-" + step, () -> {
            Path saved = save(state());
            stopRequest.clear();
            return saved;
        });
        out.println();
        out.println("stopped after step " + step + "; resume from " + cp);
        return true;
    }

    /** What a run that stopped early produced: no final files. */
    Trainer.Result stopped() { return new Trainer.Result(step, null, lastLoss, images); }

    /** The LoRA files (or the transformer folder), the last checkpoint, validation images and the loss curve. */
    Trainer.Result finish() throws IOException {
        bar.finish(step, Double.isNaN(lastLoss) ? "" : String.format(Locale.ROOT, "loss %.4f", lastLoss));
        if (dp.distributed()) sameWeights();
        dp.rankZeroOnly("writing the " + (full ? "transformer" : "LoRA") + ", the last checkpoint, validation images and the loss curve", () -> {
            events.phase(Phase.SAVING);
            if (full) TransformerFolder.write(model, loraFile, DType.BF16);
            else LoraFiles.saveForClients(outDir, weights(), stepped(loraOptions, step));
            Path cp = save(state());
            out.println("saved " + (full ? loraFile : loraFile + ", " + outDir.resolve(LoraFiles.COMFYUI_FILE_NAME)) + " and " + cp);
            images.addAll(validator.run(step, model, lora));
            if (!images.isEmpty()) out.println("validation images: " + outDir.resolve(OutputFolder.VALIDATION_IMAGES));
            LossCurve.write(Metrics.read(metrics.file()), outDir.resolve("loss_curve.png"));
            out.println("loss curve: " + outDir.resolve("loss_curve.png"));
            if (!full) LoraFiles.whereEachGoes(outDir, loraOptions.format(), lora.layers().keySet()).forEach(out::println);
            return null;
        });
        return new Trainer.Result(step, loraFile, lastLoss, images);
    }

    @Override
    public void close() {
        deviceArena.close();
        optArena.close();
        loraArena.close();
    }

    /** Writes a checkpoint of {@code st}, judged by the check of its numbers. */
    private Path save(TrainingState st) throws IOException {
        events.phase(Phase.SAVING);
        TrainingState checked = st.checked(check.judge(params, opt), check.history());
        Path cp = full
                ? store.save(checked, params, paramsFile, d -> TransformerFolder.write(model, d.resolve(Trainer.TRANSFORMER_DIR), DType.BF16), opt)
                : store.save(checked, lora, weights(), stepped(loraOptions, st.globalStep()), opt);
        if (!checked.verdict().good())
            out.println(System.lineSeparator() + "warning: " + cp + " failed the check of its numbers: " + checked.verdict().reason()
                    + ". It is kept, but resume_from_checkpoint \"latest\" skips it; " + goodCheckpoint());
        events.checkpoint(st.globalStep(), cp, st.globalStep() == total);
        return cp;
    }

    private TrainingState state() {
        var s = data.sampler().state();
        return new TrainingState(step, s.epoch(), s, seed, noiseRng.calls(), sigmaRng.calls(), opt.stepCount(), opt.lr()).withBatching(dp.batching());
    }

    /** The validation images of {@code at}, made by rank 0 while the other ranks wait (none on those ranks). */
    private List<Path> validate(long at) throws IOException {
        List<Path> made = dp.rankZeroOnly("validating at step " + at, () -> validator.run(at, model, lora));
        return made == null ? List.of() : made;
    }

    /** Stops the run when the ranks' weights are no longer the same (they would train different models). */
    private void sameWeights() throws IOException {
        String diff = dp.weightDifference(params);
        if (diff != null) throw new TrainingStopped("after step " + step + " " + diff + "; stopped without saving. " + resumeAdvice());
    }

    /** Where the newest good checkpoint is, for a message. */
    private String goodCheckpoint() throws IOException {
        Path good = store.newestUsable(paramsFile);
        return good == null ? "no checkpoint of this run has passed it yet" : "the newest good checkpoint is " + good;
    }

    /** Which checkpoint to resume from after training stopped on bad numbers. */
    private String resumeAdvice() throws IOException {
        Path good = store.newestUsable(paramsFile);
        if (good == null)
            return "No checkpoint of this run passed the check of its numbers: start again (resume_from_checkpoint \"none\") with a lower learning_rate or max_grad_norm";
        return "The newest good checkpoint, " + good + ", is untouched: resume from it with resume_from_checkpoint \"" + good.getFileName()
                + "\" (\"latest\" picks it too) and a lower learning_rate or max_grad_norm";
    }

    /** The LoRA file options with the step the weights were saved at, as SimpleTuner records it. */
    private static LoraWriter.Options stepped(LoraWriter.Options options, long step) {
        return options.withMetadata(Map.of("global_step", Long.toString(step)));
    }

    /** The LoRA's weights, recording a gaussian init the way PEFT does. */
    private LoraWeights weights() {
        LoraWeights w = LoraWeights.of(lora);
        return config.lora().initType() == TrainConfig.LoraInitType.GAUSSIAN ? w.withInit("gaussian") : w;
    }

    private Lora attachLora() {
        TrainConfig.Lora c = config.lora();
        List<String> targets = c.targetModules() != null ? c.targetModules() : c.targetPreset().targets();
        Lora attached = Lora.attach(model, targets, new Lora.Config(c.rank(), c.alpha(), c.dropout(), seed), new Rng(seed), loraArena);
        if (c.initType() == TrainConfig.LoraInitType.GAUSSIAN) {
            // PEFT's gaussian init: A ~ N(0, 1/r), B = 0 (B is already zero)
            Rng rng = new Rng(seed ^ 0x6761757373L);
            for (LoraLayer l : attached.layers().values()) rng.fillNormal(l.a.weight.value(), 0, 1.0 / c.rank());
        }
        return attached;
    }

    /**
     * The flow-matching loss of one batch with these captions (with its reference tokens, or null, and a TREAD router, or
     * null); {@code slice} says which samples of the whole micro-batch these are, whose noise and timesteps are drawn.
     */
    private Var microStep(Batch batch, List<String> captions, BatchSlice slice, List<ReferenceTokens> refs,
                          flux2.model.flux2.tread.TreadRouter router) {
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
        Tensor noise = noiseRng.normal(0, 1, slice, x0.shape());
        Tensor sigma = floats(sigmas.sample(slice, h * w, sigmaRng));
        Tensor guidance = floats(sigmas.guidance(slice, sigmaRng));
        Tensor xt = FlowMatching.noisy(x0, noise, sigma);
        // the batch is made on the host from the caches and moved to the model's device (a no-op on the CPU)
        return StepLoss.of(model, xt.to(device), TokenIds.image(b, h, w).to(device), ctx.to(device),
                TokenIds.text(b, ctx.size(1)).to(device), sigma.to(device), guidance.to(device),
                FlowMatching.target(x0, noise).to(device), refs, router);
    }

    /** Advances the noise and sigma streams as a micro-step does, for a rank whose share of the batch is empty. */
    private void skipDraws(BatchSlice empty) {
        noiseRng.normal(0, 1, empty, 0);
        sigmas.sample(empty, 1, sigmaRng);
        sigmas.guidance(empty, sigmaRng);
    }

    /** lr_scheduler over {@code total} steps; polynomial decays to lr_end (as a share of learning_rate). */
    private static LrSchedule schedule(Training t, long total) {
        Training.Schedule s = t.schedule();
        double lr = t.optimizer().learningRate();
        return LrSchedule.of(s.scheduler().kind(), s.warmupSteps(), total, 0.5, s.power(), lr > 0 ? s.lrEnd() / lr : 0);
    }

    /** max_grad_norm: element-wise clamp (value) or global-norm scaling (norm); 0 disables clipping. */
    private static void clip(Map<String, Parameter> params, Training.Clipping c) {
        double max = c.maxGradNorm();
        if (!(max > 0)) return;
        if (c.method() == Training.ClipMethod.NORM) {
            GradClip.clipGlobalNorm(params.values(), max);
            return;
        }
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            if (g != null) g.copyFrom(g.clamp(-max, max));
        }
    }

    private static Tensor floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, v.length);
    }

    private static String pathOrNull(Path p) { return p == null ? null : p.toString(); }

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
