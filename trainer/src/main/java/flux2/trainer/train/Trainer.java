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
import flux2.trainer.events.EventLog;
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
 * The training run of a validated config: caches, then optimizer steps of flow matching on the frozen
 * transformer with LoRA adapters, or on every transformer weight (F32 master copies) for model_type "full"
 * (gradient accumulation, clipping, AdamW with the LR schedule), metrics, checkpoints, validation images, the
 * final LoRA file (or BF16 transformer folder) and the loss curve. All randomness comes from seeded
 * generators whose positions are checkpointed, so a resumed run continues exactly. As one rank of a data-parallel
 * job ({@link #parallel}) it trains on its share of each global batch and sums the gradients with the other ranks;
 * rank 0 alone writes files.
 */
public final class Trainer {
    /** What a run produced: {@code loraFile} is the LoRA file, or for full training the transformer folder. */
    public record Result(long steps, Path loraFile, double lastLoss, List<Path> validationImages) {}

    /** The folder under output_dir (and in each checkpoint) that full training writes the transformer to. */
    public static final String TRANSFORMER_DIR = "transformer";

    private final TrainConfig config;
    private PrintStream out;
    private DataParallel parallel;
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

    /**
     * Trains as one rank of a data-parallel job; ranks other than 0 print nothing but their errors. Without it the run
     * is a single process on the config's device.
     */
    public Trainer parallel(DataParallel p) {
        this.parallel = p;
        if (!p.isRankZero()) this.out = new PrintStream(java.io.OutputStream.nullOutputStream());
        return this;
    }

    /** The optimizer steps of a run: max_train_steps, else num_train_epochs full passes. */
    public static long totalSteps(TrainConfig c, int batchesPerEpoch) {
        if (c.training().length().maxTrainSteps() > 0) return c.training().length().maxTrainSteps();
        long perEpoch = Math.max(1, (batchesPerEpoch + c.training().batches().accumulationSteps() - 1) / c.training().batches().accumulationSteps());
        return perEpoch * c.training().length().numTrainEpochs();
    }

    /**
     * Trains with output_dir locked against other runs for the whole run (and cleaned of what interrupted runs left),
     * writing the run's events to {@code <output_dir>/events.jsonl} ({@link EventLog}) and stopping after the current
     * step, with a checkpoint, when {@link StopRequest} asks. In a data-parallel job rank 0 holds the lock, writes the
     * events and reads the stop request for every rank.
     */
    public Result run() throws IOException {
        DataParallel dp = parallel != null ? parallel : DataParallel.single(null, config.training().batches().size());
        if (!dp.isRankZero()) return train(config.outputDir(), dp, TrainingEvents.NONE, StopRequest.in(config.outputDir()));
        try (OutputFolder folder = OutputFolder.claim(config.outputDir(), "train", out::println);
             EventLog events = EventLog.open(folder.dir(), out::println)) {
            try {
                Result r = train(folder.dir(), dp, events, StopRequest.in(folder.dir()));
                events.finished(r.loraFile() == null ? TrainingEvents.Outcome.STOPPED : TrainingEvents.Outcome.COMPLETED, r.steps(), r.loraFile(), null);
                return r;
            } catch (IOException | RuntimeException | Error e) {
                events.finished(TrainingEvents.Outcome.FAILED, events.lastStep(), null, e.getMessage() != null ? e.getMessage() : e.toString());
                throw e;
            }
        }
    }

    private Result train(Path outDir, DataParallel dp, TrainingEvents events, StopRequest stopRequest) throws IOException {
        Training t = config.training();
        long seed = config.seed() != null ? config.seed() : System.nanoTime();
        boolean full = config.model().full();
        Path loraFile = full ? outDir.resolve(TRANSFORMER_DIR) : outDir.resolve(LoraFiles.FILE_NAME);
        out.println("output folder: " + outDir);
        out.println((full ? "  transformer: " : "  LoRA: ") + (full ? loraFile : loraFile + " (diffusers), " + outDir.resolve(LoraFiles.COMFYUI_FILE_NAME) + " (ComfyUI)") + "; metrics: " + outDir.resolve("metrics.jsonl") + "; checkpoints: "
                + outDir.resolve("checkpoint-<step>") + "; validation images: " + outDir.resolve("validation_images"));
        if (config.seed() == null) out.println("no seed configured: using " + seed);

        TrainingData scanned = TrainingData.open(config, seed, dp.worldSize(), out::println);
        MemoryCheck.beforeTraining(config, scanned, dp.localWorldSize()); // the local ranks share this machine's memory
        ResumeCheck.beforeTraining(config, outDir, totalSteps(config, scanned.sampler().batchesPerEpoch()));
        Caches caches = Caches.of(config, scanned);
        // rank 0 builds the caches; the others then take the data as the caches hold it (less images that cannot be decoded)
        TrainingData built = dp.rankZeroOnly("building the caches",
                () -> caches.build(config, scanned, textsBesideCaptions(config), out, events));
        TrainingData data = dp.isRankZero() ? built : caches.cached(scanned);
        events.phase(Phase.TRAINING);
        CaptionDropout dropout = new CaptionDropout(t.loss().captionDropout(), seed);

        long total = totalSteps(config, data.sampler().batchesPerEpoch());
        Validator validator = new Validator(config, caches.text(), seed).reportingTo(events);
        CheckpointStore store = new CheckpointStore(outDir, config.checkpoints().totalLimit(), out::println);
        if (dp.isRankZero()) for (String d : store.removeRemains()) out.println("cleaned up after an interrupted run: " + d);
        Metrics metrics = new Metrics(outDir.resolve("metrics.jsonl"));
        List<Path> images = new ArrayList<>();
        Backend device = dp.device() != null ? dp.device() : config.model().device().open();
        // full training copies the weights into F32 parameters (the master weights); LoRA keeps them mapped
        try (ModelParts.Transformer tr = ModelParts.transformer(config.model().location(), full, config.model().baseModelPrecision().precision());
             TensorArena loraArena = TensorArena.create("lora"); TensorArena optArena = TensorArena.create("optimizer");
             TensorArena deviceArena = TensorArena.create("device")) {
            Flux2Transformer model = tr.model();
            int quantized = tr.quantized().size();
            if (quantized > 0) out.println("base model: " + quantized + " Linear layers quantized (" + config.model().baseModelPrecision().configName() + ")");
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
            Training.Optimizer o = t.optimizer();
            AdamW opt = new AdamW(params, o.learningRate(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay(), optArena);
            LrSchedule schedule = schedule(t, total);
            Rng noiseRng = new Rng(seed ^ 0x6E6F697365L), sigmaRng = new Rng(seed ^ 0x7369676D61L);
            LoraWriter.Options loraOptions = LoraWriter.Options.of(config.lora().format(), DType.F32);
            SigmaSampler sigmas = new SigmaSampler(config.flow());
            String paramsFile = full ? CheckpointStore.FULL_PARAMS : CheckpointStore.PARAMS;

            long step = 0;
            // rank 0 chooses the checkpoint; every rank restores it (the output folder is shared)
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
            CheckpointCheck check = history != null ? CheckpointCheck.resume(history) : CheckpointCheck.start(params.values());
            Saver saver = st -> {
                events.phase(Phase.SAVING);
                TrainingState checked = st.checked(check.judge(params, opt), check.history());
                Path cp = full
                        ? store.save(checked, params, paramsFile, d -> TransformerFolder.write(model, d.resolve(TRANSFORMER_DIR), DType.BF16), opt)
                        : store.save(checked, lora, weights(lora), stepped(loraOptions, st.globalStep()), opt);
                if (!checked.verdict().good())
                    out.println(System.lineSeparator() + "warning: " + cp + " failed the check of its numbers: " + checked.verdict().reason()
                            + ". It is kept, but resume_from_checkpoint \"latest\" skips it; " + goodCheckpoint(store, paramsFile));
                events.checkpoint(st.globalStep(), cp, st.globalStep() == total);
                return cp;
            };
            out.println("training " + (full ? "the full transformer" : lora.layers().size() + " LoRA modules") + " (" + count(params) + " parameters) for " + total
                    + " steps, batch " + t.batches().size() + (dp.distributed() ? " on each of " + dp.worldSize() + " processes" : "") + " x "
                    + t.batches().accumulationSteps() + " accumulation");

            // the base model's images at step 0, to compare the trained ones with
            if (step == 0 && config.validation().onStartup()) images.addAll(validate(dp, validator, 0, model, lora));
            ProgressLine bar = new ProgressLine(out, "train", total, step, 1000);
            double lastLoss = Double.NaN;
            while (step < total) {
                long started = System.nanoTime();
                double lr = o.learningRate() * schedule.factor(step);
                opt.setLr(lr);
                double loss = 0;
                Batch batch = null;
                for (int micro = 0; micro < t.batches().accumulationSteps(); micro++) {
                    long microIndex = step * t.batches().accumulationSteps() + micro;
                    if (lora != null) lora.setStep(microIndex);
                    batch = data.sampler().next();
                    DataParallel.Shard shard = dp.shard(batch, dropout.captions(batch, microIndex));
                    if (lora != null) lora.setBatch(shard.slice());
                    // one plan per micro-step: a backend that captures launches records the step once and replays it
                    try (var a = TensorArena.open("step"); var plan = device.plan("micro_step")) {
                        if (shard.slice().isEmpty()) {
                            skipDraws(shard.slice(), sigmas, noiseRng, sigmaRng); // a short batch left this rank nothing
                            continue;
                        }
                        Batch mine = shard.batch();
                        Var l = microStep(model, caches, mine, shard.captions(), shard.slice(), sigmas, noiseRng, sigmaRng,
                                ReferenceTokens.of(mine, data.referencesOf(mine.datasetId()), caches, config.conditioning().multidatasetSampling(), seed),
                                tread == null ? null : tread.router(microIndex, shard.slice()), device);
                        double v = l.data().item();
                        if (!Double.isFinite(v) && !dp.distributed())
                            throw new TrainingStopped("loss is " + v + " at step " + (step + 1) + " (batch " + batch.index() + " of epoch "
                                    + batch.epoch() + "); stopped without saving. " + resumeAdvice(store, paramsFile));
                        // a rank's bad loss reaches every rank through the summed loss below
                        if (Double.isFinite(v)) l.mul(shard.weight() / t.batches().accumulationSteps()).backward();
                        loss += v * shard.weight() / t.batches().accumulationSteps();
                    }
                }
                try (var r = TensorArena.open("reduce")) {
                    loss = dp.sumGradients(params, loss, optArena);
                }
                if (!Double.isFinite(loss))
                    throw new TrainingStopped("loss is " + loss + " at step " + (step + 1) + " (batch " + batch.index() + " of epoch "
                            + batch.epoch() + ", on at least one of the " + dp.worldSize() + " processes); stopped without saving. " + resumeAdvice(store, paramsFile));
                double norm;
                // the update's temporaries (clipped gradients) die with it: nothing of a step may outlive the step
                try (var u = TensorArena.open("update")) {
                    norm = GradClip.globalNorm(params.values());
                    if (!Double.isFinite(norm))
                        throw new TrainingStopped("gradient norm is " + norm + " at step " + (step + 1)
                                + "; stopped without saving. " + resumeAdvice(store, paramsFile));
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
                boolean save = step % config.checkpoints().stepInterval() == 0 && step < total;
                // rank 0 reads the stop request for every rank, so that all of them stop after the same step
                boolean asked = dp.fromRankZero(dp.isRankZero() && stopRequest.requested());
                boolean stop = (step == stopAfter || asked) && step < total;
                if (dp.distributed() && (save || stop || step % DataParallel.CHECKSUM_INTERVAL == 0)) sameWeights(dp, params, step, store, paramsFile);
                if (save) {
                    long at = step;
                    Path cp = dp.rankZeroOnly("saving checkpoint-" + at, () -> {
                        try (var c = TensorArena.open("checkpoint")) {
                            return saver.save(state(at, data, seed, noiseRng, sigmaRng, opt, dp));
                        }
                    });
                    out.println();
                    out.println("saved " + cp);
                }
                if (step % config.validation().stepInterval() == 0 && step < total) {
                    try (var v = TensorArena.open("validation")) {
                        images.addAll(validate(dp, validator, step, model, lora));
                    }
                }
                if (stop) {
                    long at = step;
                    Path cp = dp.rankZeroOnly("saving checkpoint-" + at, () -> {
                        Path saved = saver.save(state(at, data, seed, noiseRng, sigmaRng, opt, dp));
                        stopRequest.clear();
                        return saved;
                    });
                    out.println();
                    out.println("stopped after step " + step + "; resume from " + cp);
                    return new Result(step, null, lastLoss, images);
                }
            }
            bar.finish(step, Double.isNaN(lastLoss) ? "" : String.format(Locale.ROOT, "loss %.4f", lastLoss));
            if (dp.distributed()) sameWeights(dp, params, step, store, paramsFile);
            long last = step;
            dp.rankZeroOnly("writing the " + (full ? "transformer" : "LoRA") + ", the last checkpoint, validation images and the loss curve", () -> {
                events.phase(Phase.SAVING);
                if (full) TransformerFolder.write(model, loraFile, DType.BF16);
                else LoraFiles.saveForClients(outDir, weights(lora), stepped(loraOptions, last));
                Path cp = saver.save(state(last, data, seed, noiseRng, sigmaRng, opt, dp));
                out.println("saved " + (full ? loraFile : loraFile + ", " + outDir.resolve(LoraFiles.COMFYUI_FILE_NAME)) + " and " + cp);
                images.addAll(validator.run(last, model, lora));
                if (!images.isEmpty()) out.println("validation images: " + outDir.resolve(OutputFolder.VALIDATION_IMAGES));
                LossCurve.write(Metrics.read(metrics.file()), outDir.resolve("loss_curve.png"));
                out.println("loss curve: " + outDir.resolve("loss_curve.png"));
                if (!full) LoraFiles.whereEachGoes(outDir, loraOptions.format(), lora.layers().keySet()).forEach(out::println);
                return null;
            });
            return new Result(step, loraFile, lastLoss, images);
        }
    }

    /**
     * The texts a run encodes besides its captions: the validation prompts, the negative prompt when validation uses
     * classifier-free guidance, and the empty prompt when captions are dropped.
     */
    public static List<String> textsBesideCaptions(TrainConfig config) {
        List<String> texts = new ArrayList<>(Validator.texts(config));
        if (config.training().loss().captionDropout() > 0) texts.add(CaptionDropout.EMPTY);
        return texts;
    }

    /** The validation images of {@code step}, made by rank 0 while the other ranks wait (none on those ranks). */
    private static List<Path> validate(DataParallel dp, Validator validator, long step, Flux2Transformer model, Lora lora) throws IOException {
        List<Path> made = dp.rankZeroOnly("validating at step " + step, () -> validator.run(step, model, lora));
        return made == null ? List.of() : made;
    }

    /** Stops the run when the ranks' weights are no longer the same (they would train different models). */
    private static void sameWeights(DataParallel dp, Map<String, Parameter> params, long step, CheckpointStore store, String paramsFile) throws IOException {
        String diff = dp.weightDifference(params);
        if (diff != null) throw new TrainingStopped("after step " + step + " " + diff + "; stopped without saving. " + resumeAdvice(store, paramsFile));
    }

    private static String pathOrNull(Path p) { return p == null ? null : p.toString(); }

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
    /** The LoRA file options with the step the weights were saved at, as SimpleTuner records it. */
    private static LoraWriter.Options stepped(LoraWriter.Options options, long step) {
        return options.withMetadata(Map.of("global_step", Long.toString(step)));
    }

    private LoraWeights weights(Lora lora) {
        LoraWeights w = LoraWeights.of(lora);
        return config.lora().initType() == TrainConfig.LoraInitType.GAUSSIAN ? w.withInit("gaussian") : w;
    }

    private Lora attachLora(Flux2Transformer model, long seed, TensorArena arena) {
        TrainConfig.Lora c = config.lora();
        List<String> targets = c.targetModules() != null ? c.targetModules() : c.targetPreset().targets();
        Lora lora = Lora.attach(model, targets, new Lora.Config(c.rank(), c.alpha(), c.dropout(), seed), new Rng(seed), arena);
        if (c.initType() == TrainConfig.LoraInitType.GAUSSIAN) {
            // PEFT's gaussian init: A ~ N(0, 1/r), B = 0 (B is already zero)
            Rng rng = new Rng(seed ^ 0x6761757373L);
            for (LoraLayer l : lora.layers().values()) rng.fillNormal(l.a.weight.value(), 0, 1.0 / c.rank());
        }
        return lora;
    }

    /**
     * The flow-matching loss of one batch with these captions (with its reference tokens, or null, and a TREAD router, or
     * null); {@code slice} says which samples of the whole micro-batch these are, whose noise and timesteps are drawn.
     */
    private Var microStep(Flux2Transformer model, Caches caches, Batch batch, List<String> captions, BatchSlice slice, SigmaSampler sigmas,
                          Rng noiseRng, Rng sigmaRng, List<ReferenceTokens> refs, flux2.model.flux2.tread.TreadRouter router, Backend device) {
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
    private static void skipDraws(BatchSlice empty, SigmaSampler sigmas, Rng noiseRng, Rng sigmaRng) {
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

    private static TrainingState state(long step, TrainingData data, long seed, Rng noise, Rng sigma, AdamW opt, DataParallel dp) {
        var s = data.sampler().state();
        return new TrainingState(step, s.epoch(), s, seed, noise.calls(), sigma.calls(), opt.stepCount(), opt.lr()).withBatching(dp.batching());
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
