package flux2.trainer.config;

import flux2.tensor.DeviceSpec;
import java.nio.file.Path;
import java.util.List;

/** A validated training configuration: config.json, its datasets and its prompt library, with SimpleTuner's defaults. */
public record TrainConfig(Path configFile, Path outputDir, Long seed, Model model, Training training, Flow flow, Lora lora,
                          Checkpoints checkpoints, Validation validation, List<DatasetConfig> datasets,
                          List<PromptEntry> promptLibrary, List<ConfigProblem> warnings, Conditioning conditioning) {

    /**
     * Training-only model inputs: TREAD routes ({@code tread_config}, null when off) and how several reference datasets
     * of one image dataset are used per step ({@code conditioning_multidataset_sampling}: random or combined).
     */
    public record Conditioning(flux2.model.flux2.tread.TreadConfig tread, String multidatasetSampling) {}

    /**
     * The base model: where its weights are, how they are held, what is trained (type "lora" or "full") and the
     * device (cpu, opencl:N, cuda:N) it runs on.
     */
    public record Model(String family, String flavour, ModelLocation location, String baseModelPrecision,
                        String textEncoderPrecision, String defaultDtype, String mixedPrecision, String type, DeviceSpec device) {
        /** True when every transformer weight is trained (model_type "full") rather than a LoRA. */
        public boolean full() { return "full".equals(type); }
    }

    /**
     * Optimisation settings; maxTrainSteps 0 means "use numTrainEpochs". captionDropout is the probability that a sample
     * is trained on the empty caption instead of its own, which teaches the unconditional prediction that
     * classifier-free guidance needs. batchSize is per process; numProcesses data-parallel processes (num_processes)
     * train on a global batch of numProcesses x batchSize.
     */
    public record Training(int batchSize, int gradientAccumulationSteps, boolean gradientCheckpointing, double learningRate,
                           String lrScheduler, int lrWarmupSteps, double lrEnd, double lrPower, long maxTrainSteps,
                           int numTrainEpochs, double maxGradNorm, String gradClipMethod, String optimizer, double beta1,
                           double beta2, double weightDecay, double epsilon, String lossType, double captionDropout, int numProcesses) {}

    /** Flow-matching sigma sampling (spec section 2.2) and the guidance fed to the dev transformer (2.4). */
    public record Flow(double sigmoidScale, double scheduleShift, boolean autoShift, boolean uniformSchedule,
                       boolean betaSchedule, double betaAlpha, double betaBeta, String guidanceMode, double guidanceValue,
                       double guidanceMin, double guidanceMax) {}

    /** LoRA hyper-parameters; targetModules is null unless peft_lora_target_modules was given. */
    public record Lora(int rank, double alpha, double dropout, String initType, String targetPreset,
                       List<String> targetModules, String format) {}

    /** When checkpoints are written and which one a run resumes from ("latest", a path, or "" for none). */
    public record Checkpoints(int stepInterval, int totalLimit, String resumeFrom) {}

    /**
     * Validation image settings. guidanceReal above 1 turns on classifier-free guidance with the negative prompt, from
     * sampling step noCfgUntilTimestep on (the embedded guidance is used either way).
     */
    public record Validation(int stepInterval, String prompt, List<Size> resolutions, int numInferenceSteps, double guidance,
                             Long seed, String negativePrompt, int numImages, boolean onStartup, double guidanceReal,
                             int noCfgUntilTimestep) {
        /** True when sampling runs a second, negative-prompt forward per step. */
        public boolean realCfg() { return guidanceReal > 1; }
    }

    /** A width and height in pixels. */
    public record Size(int width, int height) {
        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    /** The image datasets (dataset_type image) in file order. */
    public List<DatasetConfig> imageDatasets() {
        return datasets.stream().filter(d -> d.datasetType() == DatasetConfig.DatasetType.IMAGE).toList();
    }

    /** The conditioning datasets (dataset_type conditioning) in file order. */
    public List<DatasetConfig> conditioningDatasets() {
        return datasets.stream().filter(d -> d.datasetType() == DatasetConfig.DatasetType.CONDITIONING).toList();
    }

    /** The text-embedding cache dataset marked default (or the only one), or null when none is configured. */
    public DatasetConfig textEmbedDataset() {
        List<DatasetConfig> t = datasets.stream().filter(d -> d.datasetType() == DatasetConfig.DatasetType.TEXT_EMBEDS).toList();
        return t.stream().filter(DatasetConfig::isDefault).findFirst().orElse(t.isEmpty() ? null : t.getFirst());
    }
}
