package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyProject;
import flux2.trainer.models.ModelParts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FullTrainingTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    private static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream()); }

    private Path project(int steps) throws Exception {
        return TinyProject.write(dir, Map.of("model_type", "full", "max_train_steps", steps, "learning_rate", 1e-3,
                "checkpoint_step_interval", 100, "validation_step_interval", 100));
    }

    @Test
    void lossFallsAndTheWrittenTransformerReloadsWithTheTrainedWeights() throws Exception {
        Path cfg = project(24);
        TrainConfig c = load(cfg);
        Trainer.Result r = new Trainer(c, quiet()).run();
        Path folder = dir.resolve("output/transformer");
        assertEquals(folder, r.loraFile());
        assertTrue(Files.isRegularFile(folder.resolve("config.json")));
        List<Metrics.Line> m = Metrics.read(dir.resolve("output/metrics.jsonl"));
        double first = m.subList(0, 6).stream().mapToDouble(Metrics.Line::loss).average().orElseThrow();
        double last = m.subList(18, 24).stream().mapToDouble(Metrics.Line::loss).average().orElseThrow();
        assertTrue(last < 0.8 * first, "mean loss of steps 1-6 " + first + ", of steps 19-24 " + last);

        ModelLocation trained = new ModelLocation("trained", folder, c.model().location().vae(), c.model().location().textEncoder(),
                c.model().location().tokenizer());
        try (TensorArena a = TensorArena.open("t");
             ModelParts.Transformer base = ModelParts.transformer(c.model().location());
             ModelParts.Transformer reloaded = ModelParts.transformer(trained);
             TensorSource master = Checkpoints.open(dir.resolve("output/checkpoint-24/" + CheckpointStore.FULL_PARAMS));
             TensorSource bf16 = Checkpoints.open(folder.resolve("diffusion_pytorch_model.safetensors"))) {
            for (String n : bf16.names()) assertEquals(DType.BF16, bf16.info(n).dtype(), n);
            int changed = 0;
            for (var e : reloaded.model().namedParameters().entrySet()) {
                Tensor f32 = master.tensor(e.getKey());
                assertEquals(DType.F32, f32.dtype(), "master weights are F32");
                // the folder holds the final F32 master weights rounded to BF16
                assertArrayEquals(f32.to(DType.BF16).toFloatArray(), e.getValue().value().toFloatArray(), e.getKey());
                Parameter before = base.model().namedParameters().get(e.getKey());
                if (!java.util.Arrays.equals(before.value().toFloatArray(), e.getValue().value().toFloatArray())) changed++;
            }
            assertEquals(reloaded.model().namedParameters().size(), changed, "every weight was trained");
        }
    }

    @Test
    void resumedFullRunEqualsStraightRun() throws Exception {
        Path cfg = project(4);
        new Trainer(load(cfg, "--output_dir", dir.resolve("straight").toString()), quiet()).run();
        Trainer.Result half = new Trainer(load(cfg, "--output_dir", dir.resolve("resumed").toString()), quiet()).stopAfter(2).run();
        assertEquals(2, half.steps());
        assertTrue(Files.isDirectory(dir.resolve("resumed/checkpoint-2/transformer")), "each checkpoint holds a loadable transformer");
        new Trainer(load(cfg, "--output_dir", dir.resolve("resumed").toString()), quiet()).run();
        for (String f : List.of("checkpoint-4/" + CheckpointStore.FULL_PARAMS, "checkpoint-4/optimizer.safetensors",
                "transformer/diffusion_pytorch_model.safetensors"))
            try (TensorSource x = Checkpoints.open(dir.resolve("straight/" + f)); TensorSource y = Checkpoints.open(dir.resolve("resumed/" + f))) {
                assertEquals(x.names(), y.names());
                for (String n : x.names()) assertArrayEquals(x.tensor(n).toFloatArray(), y.tensor(n).toFloatArray(), f + " " + n);
            }
    }

    @Test
    void fullTrainingRejectsAQuantizedBase() throws Exception {
        Path cfg = project(2);
        ConfigException e = assertThrows(ConfigException.class, () -> load(cfg, "--base_model_precision", "int8-quanto"));
        assertTrue(e.getMessage().contains("base_model_precision") && e.getMessage().contains("no_change"), e.getMessage());
    }
}
