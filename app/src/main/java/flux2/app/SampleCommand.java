package flux2.app;

import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.ModelLocator;
import flux2.trainer.config.Problems;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.sample.ImageSampler;
import flux2.trainer.sample.SampleNames;
import flux2.trainer.train.MemoryCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates images from prompts with the base model and optional LoRA files. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Generate PNGs from prompts with a FLUX.2 model (diffusers folder or Hugging Face cache) and optional LoRA files.",
                "With --config the model, size, steps, guidance and seed default to the config's model and validation settings.",
                "--out DIR writes --count images per prompt (seeds N, N+1, ...) named <prompt-slug>_seed<N>.png; "
                        + "without it one image goes to --output."})
public final class SampleCommand implements Callable<Integer> {
    static final String DEFAULT_MODEL = "black-forest-labs/FLUX.2-dev";

    @Option(names = "--config", paramLabel = "FILE", description = "A SimpleTuner config.json: its pretrained model, base_model_precision, "
            + "text_encoder_1_precision and validation_resolution (the first), validation_num_inference_steps, validation_guidance and validation_seed.")
    Path config;

    @Option(names = "--model", paramLabel = "PATH", description = "Model folder (transformer/, vae/, text_encoder/, tokenizer/) or hub id in the "
            + "local cache; replaces the config's model (default without --config: " + DEFAULT_MODEL + ").")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt; repeat for several (with --out).")
    List<String> prompts;

    @Option(names = "--lora", paramLabel = "FILE", description = "A LoRA file (diffusers, ComfyUI or kohya layout); repeat to combine several.")
    List<Path> loras = new ArrayList<>();

    @Option(names = "--lora-scale", paramLabel = "S", defaultValue = "1.0", description = "Strength of every LoRA (default: ${DEFAULT-VALUE}).")
    double loraScale;

    @Option(names = "--width", description = "Width in pixels, a multiple of 16 (default: the config's validation width, else 1024).")
    Integer width;

    @Option(names = "--height", description = "Height in pixels, a multiple of 16 (default: the config's validation height, else 1024).")
    Integer height;

    @Option(names = "--steps", description = "Sampling steps (default: the config's validation steps, else 50).")
    Integer steps;

    @Option(names = "--guidance", description = "Embedded guidance (default: the config's validation guidance, else 4.0).")
    Double guidance;

    @Option(names = "--guidance-real", paramLabel = "S", description = "Classifier-free guidance scale; above 1 each step also runs the "
            + "negative prompt, from the config's validation_no_cfg_until_timestep on, else from the first step "
            + "(default: the config's validation_guidance_real, else 1.0: off).")
    Double guidanceReal;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "Negative prompt of classifier-free guidance "
            + "(default: the config's validation_negative_prompt, else the empty prompt).")
    String negativePrompt;

    @Option(names = "--seed", description = "Noise seed of the first image (default: the config's validation_seed, else 0).")
    Long seed;

    @Option(names = "--count", paramLabel = "K", defaultValue = "1", description = "Images per prompt, seeds N, N+1, ... (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the images, named <prompt-slug>_seed<N>.png.")
    Path outDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "PNG of a single image (one prompt, --count 1; default sample.png).")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be at least 1, got " + count);
        if (outDir != null && output != null) throw new IllegalArgumentException("give either --out DIR (a folder of images) or --output FILE (one image), not both");
        if (outDir == null && (count > 1 || prompts.size() > 1))
            throw new IllegalArgumentException("--count above 1 and several --prompt need --out DIR; --output names a single image");
        TrainConfig cfg = config == null ? null : loadConfig(config);
        TrainConfig.Validation v = cfg == null ? null : cfg.validation();
        TrainConfig.Size size = v == null || v.resolutions().isEmpty() ? null : v.resolutions().getFirst();
        ImageSampler.Settings settings = new ImageSampler.Settings(
                width != null ? width : size != null ? size.width() : 1024,
                height != null ? height : size != null ? size.height() : 1024,
                steps != null ? steps : v != null ? v.numInferenceSteps() : 50,
                guidance != null ? guidance : v != null ? v.guidance() : 4.0,
                guidanceReal != null ? guidanceReal : v != null ? v.guidanceReal() : 1.0,
                negativePrompt != null ? negativePrompt : v != null ? v.negativePrompt() : "",
                v != null ? v.noCfgUntilTimestep() : 0);
        List<String> encoded = ImageSampler.texts(prompts, settings);
        long first = seed != null ? seed : v != null && v.seed() != null ? v.seed() : 0;
        ModelLocation loc = location(cfg);
        String basePrecision = cfg == null ? "no_change" : cfg.model().baseModelPrecision();
        String textPrecision = cfg == null ? "no_change" : cfg.model().textEncoderPrecision();
        MemoryCheck.beforeSampling(loc, basePrecision, settings.width(), settings.height());
        try (ImageSampler sampler = ImageSampler.open(loc, encoded, loras, loraScale, basePrecision, textPrecision)) {
            for (String p : prompts) {
                for (int k = 0; k < count; k++) {
                    long s = first + k;
                    Path file = outDir != null ? outDir.resolve(SampleNames.png(p, s)) : output != null ? output : Path.of("sample.png");
                    sampler.write(p, s, settings, file);
                    System.out.println("wrote " + file.toAbsolutePath());
                }
            }
        }
        return 0;
    }

    private ModelLocation location(TrainConfig cfg) {
        if (model == null && cfg != null) return cfg.model().location();
        Problems problems = new Problems();
        ModelLocation loc = new ModelLocator(Path.of("").toAbsolutePath(), System.getenv())
                .locate("--model", model != null ? model : DEFAULT_MODEL, null, null, null, problems);
        if (problems.hasErrors()) throw new ConfigException(problems.errors());
        return loc;
    }

    private static TrainConfig loadConfig(Path file) {
        TrainConfig c = ConfigLoader.standard().load(file, List.of());
        for (ConfigProblem w : c.warnings()) System.err.println("warning: " + w);
        return c;
    }
}
