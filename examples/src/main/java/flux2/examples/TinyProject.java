package flux2.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import flux2.examples.pretrain.MiniModel;
import flux2.examples.shapes.Shape;
import flux2.examples.shapes.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A complete training setup in a folder: a model under model/, captioned images under data/, multidatabackend.json,
 * user_prompt_library.json and a config.json (center crops, batch 1): the unit tests' project with the random
 * {@link TinyModel} and {@link TinyImages}, or the embedded example for the pretrained miniature.
 * Paths inside the files are written as {@code root.resolve(...)} prints them, so a relative root gives paths
 * relative to the working directory, as SimpleTuner reads them.
 */
public final class TinyProject {
    private TinyProject() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

    /**
     * The small project of the unit tests (4 images, LoRA rank 4, 4 steps, validation at 32x32 with 2 steps, outputs
     * and caches inside {@code root}) whose config keys {@code overrides} replace or add; returns the config.json path.
     */
    public static Path write(Path root, Map<String, Object> overrides) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("train_batch_size", 1);
        c.put("learning_rate", 1e-3);
        c.put("lr_scheduler", "constant");
        c.put("max_train_steps", 4);
        c.put("lora_rank", 4);
        c.put("lora_alpha", 4);
        c.put("seed", 42);
        c.put("checkpoint_step_interval", 100);
        c.put("validation_step_interval", 100);
        c.put("validation_prompt", "a square");
        c.put("validation_resolution", "32x32");
        c.put("validation_num_inference_steps", 2);
        c.put("validation_guidance", 4.0);
        c.put("validation_seed", 3);
        c.putAll(overrides);
        return write(root, 4, root.resolve("output"), root.resolve("cache"), Map.of("redsq", "a red square on white"), c);
    }

    /**
     * Pictures in the example's dataset: of the new concept; of each ordinary colour/shape pair once, so that the other
     * prompts keep their meaning; and of stars in every colour (prior preservation: a zorblax is a kind of star, and
     * without them the LoRA bleeds its purple and yellow into the ordinary stars).
     */
    public static final int ZORBLAX_IMAGES = 24, KEEP_IMAGES = 24, STARS_PER_COLOUR = 4;

    /**
     * The embedded example (examples/tiny): a LoRA that teaches the pretrained miniature the new word "zorblax" (a
     * purple star with a yellow outline) from {@link #ZORBLAX_IMAGES} captioned 32x32 pictures, mixed with
     * {@link #KEEP_IMAGES} base-data pictures (one of each colour/shape pair) and {@link #STARS_PER_COLOUR} stars of
     * each colour. LoRA rank 16, 3000 steps at learning rate 1e-3 with the pretraining's sigma shift and guidance
     * range; sampling uses classifier-free guidance 1.5 against the empty prompt, which the pretraining's caption
     * dropout taught. Validation draws the new word and two held-out colour/shape prompts before training
     * (validation_on_startup), at step 1500 and after it. Of the model it writes the text encoder and tokenizer; the
     * transformer and the VAE are the pretrained miniature's, which {@code flux2 example pretrain} writes. Outputs and
     * caches go under {@code outputDir}. Returns the config.json path.
     */
    public static Path writeExample(Path root, Path outputDir) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("train_batch_size", 1);
        c.put("gradient_accumulation_steps", 1);
        c.put("learning_rate", 1e-3);
        c.put("lr_scheduler", "constant_with_warmup");
        c.put("lr_warmup_steps", 20);
        c.put("max_train_steps", 3000);
        c.put("max_grad_norm", 1.0);
        c.put("lora_rank", 16);
        c.put("lora_alpha", 16);
        c.put("flux_lora_target", "all");
        c.put("seed", 42);
        // the sigmas and guidance values of the pretraining
        c.put("flow_schedule_auto_shift", true);
        c.put("flow_schedule_shift", 0.0);
        c.put("flux_guidance_mode", "random-range");
        c.put("flux_guidance_min", 1.0);
        c.put("flux_guidance_max", 5.0);
        c.put("checkpoint_step_interval", 1500);
        c.put("checkpoints_total_limit", 2);
        c.put("validation_step_interval", 1500);
        c.put("validation_on_startup", true);
        c.put("validation_prompt", Shapes.newWordPrompt());
        c.put("validation_resolution", MiniModel.IMAGE_SIZE + "x" + MiniModel.IMAGE_SIZE);
        c.put("validation_num_inference_steps", 20);
        c.put("validation_guidance", 4.0);
        // the miniature is no guidance-distilled model: classifier-free guidance against the empty prompt sharpens it
        c.put("validation_guidance_real", 1.5);
        c.put("validation_negative_prompt", "");
        c.put("validation_no_cfg_until_timestep", 2);
        c.put("validation_seed", 3);
        c.put("num_validation_images", 2);
        Map<String, String> library = new LinkedHashMap<>();
        library.put("blue_triangle", "a blue triangle on a white background");
        library.put("green_circle", "a green circle on a white background");
        Path model = root.resolve("model");
        try (TensorArena a = TensorArena.open("tiny-example")) {
            TinyModel.writeTextEncoder(model.resolve("text_encoder"), new Rng(TinyModel.TEXT_ENCODER_SEED));
            TinyModel.writeTokenizer(model.resolve("tokenizer"));
        }
        Path data = root.resolve("data");
        Shapes.write(data, Shapes.NEW_WORD, Shapes.zorblaxScenes(EXAMPLE_DATA_SEED, ZORBLAX_IMAGES), MiniModel.IMAGE_SIZE);
        Shapes.write(data, "shape", Shapes.scenes(EXAMPLE_DATA_SEED + 1, KEEP_IMAGES), MiniModel.IMAGE_SIZE);
        Shapes.write(data, "star", Shapes.classScenes(Shape.STAR, EXAMPLE_DATA_SEED + 2, STARS_PER_COLOUR), MiniModel.IMAGE_SIZE);
        return writeConfigs(root, MiniModel.IMAGE_SIZE, outputDir, outputDir.resolve("cache"), library, c);
    }

    /** The seed of the example's images. */
    static final long EXAMPLE_DATA_SEED = 11;

    private static Path write(Path root, int images, Path outputDir, Path cacheDir, Map<String, String> library,
                              Map<String, Object> settings) throws IOException {
        TinyModel.write(root.resolve("model"), 7);
        TinyImages.write(root.resolve("data"), images);
        return writeConfigs(root, 64, outputDir, cacheDir, library, settings);
    }

    /** Writes the configs of a project whose model/ and data/ are in place. */
    private static Path writeConfigs(Path root, int resolution, Path outputDir, Path cacheDir, Map<String, String> library,
                                     Map<String, Object> settings) throws IOException {
        Path data = root.resolve("data");

        ArrayNode backends = JSON.createArrayNode();
        ObjectNode ds = backends.addObject();
        ds.put("id", "shapes");
        ds.put("type", "local");
        ds.put("instance_data_dir", data.toString());
        ds.put("caption_strategy", "textfile");
        ds.put("resolution", resolution);
        ds.put("resolution_type", "pixel");
        ds.put("crop", true);
        ds.put("crop_style", "center");
        ds.put("crop_aspect", "square");
        ds.put("cache_dir_vae", cacheDir.resolve("vae").toString());
        ObjectNode te = backends.addObject();
        te.put("id", "text-embeds");
        te.put("type", "local");
        te.put("dataset_type", "text_embeds");
        te.put("default", true);
        te.put("cache_dir", cacheDir.resolve("text").toString());
        JSON.writeValue(root.resolve("multidatabackend.json").toFile(), backends);
        JSON.writeValue(root.resolve("user_prompt_library.json").toFile(), JSON.valueToTree(library));

        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "lora");
        c.put("model_family", "flux2");
        c.put("model_flavour", "dev");
        c.put("pretrained_model_name_or_path", root.resolve("model").toString());
        c.put("output_dir", outputDir.toString());
        c.put("data_backend_config", root.resolve("multidatabackend.json").toString());
        c.put("user_prompt_library", root.resolve("user_prompt_library.json").toString());
        settings.forEach((k, v) -> c.set(k, JSON.valueToTree(v)));
        Path cfg = root.resolve("config.json");
        JSON.writeValue(cfg.toFile(), c);
        return cfg;
    }
}
