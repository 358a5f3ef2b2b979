package flux2.trainer.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A complete training setup in a folder: the {@link TinyModel} under model/, four 64x64 PNG images with textfile
 * captions under data/, multidatabackend.json, user_prompt_library.json and a config.json (LoRA rank 4, 64 px
 * center crops, batch 1, validation at 32x32 with 2 steps) whose keys {@code overrides} replace or add.
 */
public final class TinyProject {
    private TinyProject() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes everything under {@code root} and returns the config.json path. */
    public static Path write(Path root, Map<String, Object> overrides) throws IOException {
        TinyModel.write(root.resolve("model"), 7);
        Path data = Files.createDirectories(root.resolve("data"));
        Color[] colors = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE};
        String[] captions = {"a red square", "a green square", "a blue square", "an orange square"};
        for (int i = 0; i < colors.length; i++) {
            BufferedImage img = new BufferedImage(64 + 16 * i, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), 64);
            g.setColor(colors[i]);
            g.fillRect(8 + 4 * i, 12, 32, 32);
            g.dispose();
            ImageIO.write(img, "png", data.resolve("img" + i + ".png").toFile());
            Files.writeString(data.resolve("img" + i + ".txt"), captions[i]);
        }
        ArrayNode backends = JSON.createArrayNode();
        ObjectNode ds = backends.addObject();
        ds.put("id", "squares");
        ds.put("type", "local");
        ds.put("instance_data_dir", data.toString());
        ds.put("caption_strategy", "textfile");
        ds.put("resolution", 64);
        ds.put("resolution_type", "pixel");
        ds.put("crop", true);
        ds.put("crop_style", "center");
        ds.put("crop_aspect", "square");
        ds.put("cache_dir_vae", root.resolve("cache/vae").toString());
        ObjectNode te = backends.addObject();
        te.put("id", "text-embeds");
        te.put("type", "local");
        te.put("dataset_type", "text_embeds");
        te.put("default", true);
        te.put("cache_dir", root.resolve("cache/text").toString());
        JSON.writerWithDefaultPrettyPrinter().writeValue(root.resolve("multidatabackend.json").toFile(), backends);
        ObjectNode lib = JSON.createObjectNode();
        lib.put("redsq", "a red square on white");
        JSON.writerWithDefaultPrettyPrinter().writeValue(root.resolve("user_prompt_library.json").toFile(), lib);

        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "lora");
        c.put("model_family", "flux2");
        c.put("model_flavour", "dev");
        c.put("pretrained_model_name_or_path", root.resolve("model").toString());
        c.put("output_dir", root.resolve("output").toString());
        c.put("data_backend_config", root.resolve("multidatabackend.json").toString());
        c.put("user_prompt_library", root.resolve("user_prompt_library.json").toString());
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
        overrides.forEach((k, v) -> c.set(k, JSON.valueToTree(v)));
        Path cfg = root.resolve("config.json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(cfg.toFile(), c);
        return cfg;
    }
}
