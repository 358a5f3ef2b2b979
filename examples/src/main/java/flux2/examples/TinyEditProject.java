package flux2.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An edit (reference-conditioned) training setup in a folder: {@link TinyEditImages} pairs under data/edit (training
 * images with captions) and data/reference (a reference_strict conditioning dataset paired by file name),
 * held-out validation references under validation/, multidatabackend.json, user_prompt_library.json (entries with
 * "path" reference images) and config.json. The model is not copied: the config names a model folder (the tiny
 * example's). Paths are written as {@code root.resolve(...)} prints them, relative to the working directory.
 */
public final class TinyEditProject {
    private TinyEditProject() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The embedded edit example (examples/tiny-edit): 8 pairs, LoRA rank 8, 100 steps with checkpoints every 25 and
     * validation every 50 at 32x32 on two held-out references. Returns the config.json path.
     */
    public static Path writeExample(Path root, Path model, Path outputDir) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("train_batch_size", 1);
        c.put("gradient_accumulation_steps", 1);
        c.put("learning_rate", 1e-3);
        c.put("lr_scheduler", "constant_with_warmup");
        c.put("lr_warmup_steps", 5);
        c.put("max_train_steps", 100);
        c.put("max_grad_norm", 1.0);
        c.put("lora_rank", 8);
        c.put("lora_alpha", 8);
        c.put("flux_lora_target", "all");
        c.put("seed", 42);
        c.put("checkpoint_step_interval", 25);
        c.put("checkpoints_total_limit", 2);
        c.put("validation_step_interval", 50);
        c.put("validation_resolution", "32x32");
        c.put("validation_num_inference_steps", 8);
        c.put("validation_guidance", 4.0);
        c.put("validation_seed", 3);
        return write(root, 8, model, outputDir, c);
    }

    /**
     * A small edit project for tests (4 pairs, LoRA rank 4, 2 steps, validation at 32x32 with 2 steps, the tiny model
     * written to model/, outputs and caches inside {@code root}) whose config keys {@code overrides} replace or add.
     */
    public static Path write(Path root, Map<String, Object> overrides) throws IOException {
        TinyModel.write(root.resolve("model"), 7);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("train_batch_size", 1);
        c.put("learning_rate", 1e-3);
        c.put("lr_scheduler", "constant");
        c.put("max_train_steps", 2);
        c.put("lora_rank", 4);
        c.put("lora_alpha", 4);
        c.put("seed", 42);
        c.put("checkpoint_step_interval", 100);
        c.put("validation_step_interval", 100);
        c.put("validation_resolution", "32x32");
        c.put("validation_num_inference_steps", 2);
        c.put("validation_guidance", 4.0);
        c.put("validation_seed", 3);
        c.putAll(overrides);
        return write(root, 4, root.resolve("model"), root.resolve("output"), c);
    }

    private static Path write(Path root, int pairs, Path model, Path outputDir, Map<String, Object> settings) throws IOException {
        Path edit = root.resolve("data").resolve("edit"), reference = root.resolve("data").resolve("reference");
        TinyEditImages.writePairs(edit, reference, pairs);
        Path valSquare = root.resolve("validation").resolve("magenta-square.png"), valCircle = root.resolve("validation").resolve("magenta-circle.png");
        TinyEditImages.writeValidationReference(valSquare, 0);
        TinyEditImages.writeValidationReference(valCircle, 1);
        Path cache = outputDir.resolve("cache");

        ArrayNode backends = JSON.createArrayNode();
        ObjectNode ds = backends.addObject();
        ds.put("id", "edits");
        ds.put("type", "local");
        ds.put("instance_data_dir", edit.toString());
        ds.put("caption_strategy", "textfile");
        ds.put("resolution", 32);
        ds.put("resolution_type", "pixel");
        ds.put("crop", true);
        ds.put("crop_style", "center");
        ds.put("crop_aspect", "square");
        ds.put("cache_dir_vae", cache.resolve("vae").resolve("edits").toString());
        ds.put("conditioning_data", "references");
        ObjectNode ref = backends.addObject();
        ref.put("id", "references");
        ref.put("type", "local");
        ref.put("dataset_type", "conditioning");
        ref.put("conditioning_type", "reference_strict");
        ref.put("instance_data_dir", reference.toString());
        ref.put("cache_dir_vae", cache.resolve("vae").resolve("references").toString());
        ObjectNode te = backends.addObject();
        te.put("id", "text-embeds");
        te.put("type", "local");
        te.put("dataset_type", "text_embeds");
        te.put("default", true);
        te.put("cache_dir", cache.resolve("text").toString());
        JSON.writeValue(root.resolve("multidatabackend.json").toFile(), backends);

        ObjectNode library = JSON.createObjectNode();
        library.putObject("magentasq").put("prompt", TinyEditImages.CAPTION).put("path", valSquare.toString());
        library.putObject("magentacirc").put("prompt", TinyEditImages.CAPTION).put("path", valCircle.toString());
        JSON.writeValue(root.resolve("user_prompt_library.json").toFile(), library);

        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "lora");
        c.put("model_family", "flux2");
        c.put("model_flavour", "dev");
        c.put("pretrained_model_name_or_path", model.toString());
        c.put("output_dir", outputDir.toString());
        c.put("data_backend_config", root.resolve("multidatabackend.json").toString());
        c.put("user_prompt_library", root.resolve("user_prompt_library.json").toString());
        c.put("conditioning_multidataset_sampling", "combined");
        settings.forEach((k, v) -> c.set(k, JSON.valueToTree(v)));
        Path cfg = root.resolve("config.json");
        JSON.writeValue(cfg.toFile(), c);
        return cfg;
    }
}
