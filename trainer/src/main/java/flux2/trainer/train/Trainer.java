package flux2.trainer.train;

import flux2.model.flux2.lora.LoraFiles;
import flux2.tensor.Backend;
import flux2.tensor.ByteSize;
import flux2.trainer.cache.Caches;
import flux2.trainer.config.TrainConfig;
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
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** A run from its data to its files: announce, scan and check, build the caches, load the model, then step. */
    private Result train(Path outDir, DataParallel dp, TrainingEvents events, StopRequest stopRequest) throws IOException {
        long seed = config.seed() != null ? config.seed() : System.nanoTime();
        announce(outDir, seed);
        TrainingData scanned = TrainingData.open(config, seed, dp.worldSize(), out::println);
        MemoryCheck.beforeTraining(config, scanned, dp.localWorldSize()); // the local ranks share this machine's memory
        Backend device = dp.device() != null ? dp.device() : config.model().device().open();
        refuseWhatDoesNotFit(MemoryPlanner.plan(PlanSources.of(config, scanned, device)), device);
        ResumeCheck.beforeTraining(config, outDir, totalSteps(config, scanned.sampler().batchesPerEpoch()));
        Caches caches = Caches.of(config, scanned);
        // rank 0 builds the caches; the others then take the data as the caches hold it (less images that cannot be decoded)
        TrainingData built = dp.rankZeroOnly("building the caches",
                () -> caches.build(config, scanned, textsBesideCaptions(config), out, events));
        TrainingData data = dp.isRankZero() ? built : caches.cached(scanned);
        events.phase(Phase.TRAINING);

        boolean full = config.model().full();
        // full training copies the weights into F32 parameters (the master weights); LoRA keeps them mapped
        try (ModelParts.Transformer tr = ModelParts.transformer(config.model().location(), full, config.model().baseModelPrecision().precision());
             TrainingRun run = new TrainingRun(config, out, outDir, dp, device, events, seed, data, caches, tr)) {
            run.resume();
            run.validateAtStart();
            while (!run.done()) {
                run.optimizerStep();
                if (run.checkpointAndValidate(stopAfter, stopRequest)) return run.stopped();
            }
            return run.finish();
        }
    }

    /**
     * Prints the memory plan; a GPU run that cannot hold it stops here, before caches are built or weights loaded. A CPU
     * run is checked by MemoryCheck, which leaves out the mapped weights the OS pages in and out.
     */
    private void refuseWhatDoesNotFit(MemoryPlan plan, Backend device) {
        out.print(PlanReport.table(plan));
        if (!device.isHost() && !plan.fits())
            throw new RunRefused("this training run needs " + ByteSize.format(plan.deviceTotal()) + " on " + device.name() + ", which holds "
                    + ByteSize.format(plan.settings().deviceMemory()) + " (no model was loaded; flux2-trainer plan shows the same table)"
                    + (plan.fixes().isEmpty() ? "; no precision, checkpointing or batch size makes it fit: lower the datasets' resolution"
                    : "; settings that fit: " + String.join("; ", plan.fixes())));
    }

    /** Where the run's files go, and the seed when none was configured. */
    private void announce(Path outDir, long seed) {
        boolean full = config.model().full();
        Path loraFile = full ? outDir.resolve(TRANSFORMER_DIR) : outDir.resolve(LoraFiles.FILE_NAME);
        out.println("output folder: " + outDir);
        out.println((full ? "  transformer: " : "  LoRA: ") + (full ? loraFile : loraFile + " (diffusers), " + outDir.resolve(LoraFiles.COMFYUI_FILE_NAME) + " (ComfyUI)") + "; metrics: " + outDir.resolve("metrics.jsonl") + "; checkpoints: "
                + outDir.resolve("checkpoint-<step>") + "; validation images: " + outDir.resolve("validation_images"));
        if (config.seed() == null) out.println("no seed configured: using " + seed);
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
}
