package flux2.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingDataTest {
    @TempDir Path work;

    @Test
    void configToBatchesEndToEnd() throws IOException {
        Path model = work.resolve("model");
        for (String part : List.of("transformer", "vae", "text_encoder")) {
            Files.createDirectories(model.resolve(part));
            Files.writeString(model.resolve(part).resolve("model.safetensors"), "");
        }
        Files.createDirectories(model.resolve("tokenizer"));
        Files.writeString(model.resolve("tokenizer/tokenizer.json"), "{}");
        Path data = work.resolve("data");
        for (int i = 0; i < 4; i++) DataTestSupport.image(data, "img_" + i + ".png", 40 + 8 * i, 32);
        Files.writeString(work.resolve("backends.json"), """
                [{"id": "d", "type": "local", "instance_data_dir": "data", "resolution": 32, "resolution_type": "pixel",
                  "crop": true, "crop_aspect": "square", "crop_style": "random", "caption_strategy": "filename", "repeats": 1},
                 {"id": "t", "type": "local", "dataset_type": "text_embeds", "default": true}]""");
        Files.writeString(work.resolve("config.json"), """
                {"model_type": "lora", "model_family": "flux2", "model_flavour": "dev", "pretrained_model_name_or_path": "model",
                 "output_dir": "out", "data_backend_config": "backends.json", "train_batch_size": 2, "seed": 3}""");
        TrainConfig c = new ConfigLoader(work, Map.of()).load(work.resolve("config.json"), List.of());
        List<String> log = new ArrayList<>();
        TrainingData td = TrainingData.open(c, c.seed(), log::add);
        assertTrue(log.getLast().contains("4 images"), log.toString());
        assertEquals(4, td.sampler().batchesPerEpoch()); // 4 images x 2 passes / batch 2
        Batch b = td.sampler().next();
        assertEquals(32, b.width());
        assertEquals(32, b.height());
        for (Sample s : b.samples()) {
            CropPlan p = s.image().plan();
            assertTrue(p.cropLeft() >= 0 && p.cropLeft() + 32 <= p.resizeWidth(), p.toString());
            assertTrue(s.caption().startsWith("img "), s.caption());
        }
    }
}
