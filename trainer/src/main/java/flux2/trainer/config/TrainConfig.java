package flux2.trainer.config;

import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraTargets;
import flux2.tensor.DType;
import flux2.tensor.DeviceSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A validated training configuration: config.json, its datasets and its prompt library, with SimpleTuner's defaults.
 * Every closed set of choices is an enum whose constants are the values the key tables allow ({@link ConfigKeys}).
 */
public record TrainConfig(Path configFile, Path outputDir, Long seed, Model model, Training training, Flow flow, Lora lora,
                          Checkpoints checkpoints, Validation validation, List<DatasetConfig> datasets,
                          List<PromptEntry> promptLibrary, List<ConfigProblem> warnings, Conditioning conditioning) {

    /**
     * Training-only model inputs: TREAD routes ({@code tread_config}, null when off) and how several reference datasets
     * of one image dataset are used per step ({@code conditioning_multidataset_sampling}).
     */
    public record Conditioning(flux2.model.flux2.tread.TreadConfig tread, MultidatasetSampling multidatasetSampling) {}

    /** conditioning_multidataset_sampling: one reference dataset drawn per batch, or all of them in every sample. */
    public enum MultidatasetSampling { RANDOM, COMBINED }

    /**
     * The base model: where its weights are, how they are held, what is trained (a LoRA or every weight) and the
     * device (cpu, opencl:N, cuda:N) it runs on.
     */
    public record Model(ModelFamily family, ModelFlavour flavour, ModelLocation location, WeightPrecision baseModelPrecision,
                        WeightPrecision textEncoderPrecision, DefaultDtype defaultDtype, MixedPrecision mixedPrecision, ModelType type,
                        DeviceSpec device) {
        /** True when every transformer weight is trained (model_type "full") rather than a LoRA. */
        public boolean full() { return type == ModelType.FULL; }
    }

    /** model_family: the model families this trainer implements. */
    public enum ModelFamily { FLUX2 }

    /** model_flavour: the FLUX.2 variants this trainer implements. */
    public enum ModelFlavour { DEV }

    /** model_type: a LoRA on the frozen base model, or every transformer weight. */
    public enum ModelType { LORA, FULL }

    /** mixed_precision: BF16 compute, or none. */
    public enum MixedPrecision { BF16, NO }

    /** base_model_default_dtype: the type weights are loaded in when the checkpoint does not say. */
    public enum DefaultDtype {
        BF16, FP32;

        /** The tensor type of this setting. */
        public DType dtype() { return this == BF16 ? DType.BF16 : DType.F32; }
    }

    /** Flow-matching sigma sampling and the guidance fed to the dev transformer. */
    public record Flow(double sigmoidScale, double scheduleShift, boolean autoShift, boolean uniformSchedule,
                       boolean betaSchedule, double betaAlpha, double betaBeta, GuidanceMode guidanceMode, double guidanceValue,
                       double guidanceMin, double guidanceMax) {}

    /** flux_guidance_mode: flux_guidance_value for every sample, or uniform in [flux_guidance_min, flux_guidance_max]. */
    public enum GuidanceMode implements ConfigChoice {
        CONSTANT, RANDOM_RANGE;

        @Override
        public String configName() { return this == CONSTANT ? "constant" : "random-range"; }
    }

    /** LoRA hyper-parameters; targetModules is null unless peft_lora_target_modules was given. */
    public record Lora(int rank, double alpha, double dropout, LoraInitType initType, LoraTargetPreset targetPreset,
                       List<String> targetModules, LoraFormat format) {}

    /** lora_type: the adapter kinds this trainer implements. */
    public enum LoraType { STANDARD }

    /** lora_init_type: PEFT's default init (A Kaiming-uniform, B zero), or gaussian (A ~ N(0, 1/r), B zero). */
    public enum LoraInitType { DEFAULT, GAUSSIAN }

    /** flux_lora_target: the presets of the transformer's Linear modules a LoRA adapts. */
    public enum LoraTargetPreset {
        ALL, ATTENTION, MLP, TINY;

        /** The preset's module names (see {@link LoraTargets.Preset}). */
        public List<String> targets() { return LoraTargets.Preset.valueOf(name()).targets(); }
    }

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
