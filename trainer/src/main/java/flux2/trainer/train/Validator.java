package flux2.trainer.train;

import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.image.ImageFiles;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.cache.TextEmbedCache;
import flux2.trainer.config.PromptEntry;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.events.Phase;
import flux2.trainer.events.TrainingEvents;
import flux2.trainer.models.ModelParts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Validation images: for each prompt (validation_prompt as "validation", then the user prompt library), each
 * validation resolution and each of num_validation_images, an image generated with the current LoRA, written to
 * {@code <output_dir>/validation_images/step_<N>_<shortname>_<idx>_<WxH>.png}. The noise comes from a generator
 * seeded with validation_seed (else seed, else 0) at every validation, so that images of different steps compare.
 * A prompt library entry with reference images ("path") is generated with their tokens appended (edit LoRAs). With
 * validation_guidance_real above 1, every step from validation_no_cfg_until_timestep on also runs
 * validation_negative_prompt (classifier-free guidance).
 */
public final class Validator {
    private final TrainConfig config;
    private final TextEmbedCache text;
    private final long seed;
    private TrainingEvents events = TrainingEvents.NONE;

    public Validator(TrainConfig config, TextEmbedCache text, long runSeed) {
        this.config = config;
        this.text = text;
        TrainConfig.Validation v = config.validation();
        this.seed = v.seed() != null ? v.seed() : config.seed() != null ? runSeed : 0;
    }

    /** Reports the validating phase and each image written to {@code events}. */
    public Validator reportingTo(TrainingEvents events) {
        this.events = events;
        return this;
    }

    /** The (shortname, prompt) pairs validated; empty when none is configured. */
    public static List<PromptEntry> prompts(TrainConfig config) {
        List<PromptEntry> out = new ArrayList<>();
        if (config.validation().prompt() != null && !config.validation().prompt().isBlank())
            out.add(new PromptEntry("validation", config.validation().prompt()));
        out.addAll(config.promptLibrary());
        return out;
    }

    /** The texts validation encodes: the prompts, and the negative prompt when classifier-free guidance is on. */
    public static List<String> texts(TrainConfig config) {
        List<String> out = new ArrayList<>(prompts(config).stream().map(PromptEntry::prompt).toList());
        if (config.validation().realCfg()) out.add(config.validation().negativePrompt());
        return out;
    }

    /** Writes the images of {@code step} and returns their paths. */
    public List<Path> run(long step, Flux2Transformer model, Lora lora) throws IOException {
        List<PromptEntry> prompts = prompts(config);
        List<Path> written = new ArrayList<>();
        if (prompts.isEmpty()) return written;
        events.phase(Phase.VALIDATING);
        Path dir = Files.createDirectories(config.outputDir().resolve("validation_images"));
        if (lora != null) lora.setTraining(false);
        try (AutoEncoder vae = ModelParts.vae(config.model().location()); var run = TensorArena.open("validation-run")) {
            Generator gen = new Generator(model, vae);
            Rng noise = new Rng(seed);
            TrainConfig.Validation v = config.validation();
            // one negative prompt for every image
            Generator.RealCfg cfg = v.realCfg()
                    ? new Generator.RealCfg(text.get(v.negativePrompt()).unsqueeze(0), v.guidanceReal(), v.noCfgUntilTimestep()) : null;
            for (PromptEntry p : prompts) {
                for (int idx = 0; idx < v.numImages(); idx++) {
                    for (TrainConfig.Size size : v.resolutions()) {
                        try (var a = TensorArena.open("validation")) {
                            Tensor ctx = text.get(p.prompt()).unsqueeze(0);
                            Tensor[] refs = ValidationReferences.encode(vae, p.referenceImages());
                            Tensor img = gen.generate(ctx, refs == null ? null : refs[0], refs == null ? null : refs[1], size.width(), size.height(),
                                    v.numInferenceSteps(), v.guidance(), cfg, noise);
                            Path file = dir.resolve("step_" + step + "_" + p.shortname() + "_" + idx + "_" + size + ".png");
                            ImageFiles.writePng(img, file);
                            written.add(file);
                            events.validationImage(step, p.shortname(), idx, size.toString(), file);
                        }
                    }
                }
            }
        } finally {
            if (lora != null) lora.setTraining(true);
        }
        return written;
    }
}
