package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraReader;
import flux2.model.flux2.lora.LoraWeights;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.app.Main;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    private static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream()); }

    @Test
    void trainCommandWritesLoraMetricsCheckpointValidationAndCurve() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 2, "validation_step_interval", 2));
        assertEquals(0, Main.run("train", "--config", cfg.toString(), "--max_train_steps", "3"));
        Path out = dir.resolve("output");
        try (TensorArena a = TensorArena.open("t")) {
            LoraWeights w = LoraReader.read(out.resolve("pytorch_lora_weights.safetensors"), a);
            assertEquals(10, w.adapters().size(), "preset all on 1 double + 1 single block: qkv, proj, mlp 0/2 per stream, linear1/2");
        }
        List<Metrics.Line> m = Metrics.read(out.resolve("metrics.jsonl"));
        assertEquals(List.of(1L, 2L, 3L), m.stream().map(Metrics.Line::step).toList());
        for (Metrics.Line l : m) assertTrue(Double.isFinite(l.loss()) && l.loss() > 0 && l.gradNorm() > 0 && l.peakMemoryBytes() > 0, l.toString());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")) && Files.isDirectory(out.resolve("checkpoint-3")));
        for (String f : List.of("step_2_validation_0_32x32.png", "step_2_redsq_0_32x32.png", "step_3_validation_0_32x32.png", "step_3_redsq_0_32x32.png")) {
            var img = ImageIO.read(out.resolve("validation_images").resolve(f).toFile());
            assertEquals(32, img.getWidth(), f);
        }
        assertEquals(800, ImageIO.read(out.resolve("loss_curve.png").toFile()).getWidth());
    }

    @Test
    void trainingEndsWithAFileForEachClientAndSaysWhichGoesWhere() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 2, "validation_step_interval", 100, "lora_dropout", 0.1));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(load(cfg, "--max_train_steps", "2"), new PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8)).run();
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        Path out = dir.resolve("output"), diffusers = out.resolve(LoraFiles.FILE_NAME), comfy = out.resolve(LoraFiles.COMFYUI_FILE_NAME);
        List<String> tail = text.lines().toList().subList(text.lines().toList().size() - 2, text.lines().toList().size());
        assertEquals(List.of("LoRA for diffusers (pipe.load_lora_weights): " + diffusers,
                "LoRA for ComfyUI (copy it into ComfyUI/models/loras/; diffusers loads it fully too): " + comfy), tail, text);
        try (TensorArena a = TensorArena.open("t"); TensorSource src = Checkpoints.open(comfy)) {
            assertTrue(src.names().stream().allMatch(n -> n.startsWith("diffusion_model.") && !n.endsWith(".alpha")), src.names().toString());
            assertEquals("2", src.metadata().get("global_step"));
            LoraWeights d = LoraReader.read(diffusers, a), c = LoraReader.read(comfy, a);
            assertEquals(d.adapters().keySet(), c.adapters().keySet());
            // the same update, the scale baked into B (alpha = rank)
            d.adapters().forEach((name, ad) -> {
                LoraWeights.Adapter u = c.adapters().get(name);
                assertEquals(u.rank(), u.alpha(), 0, name);
                float[] want = ad.b().toFloatArray(), got = u.b().toFloatArray();
                for (int i = 0; i < want.length; i++) assertEquals(want[i] * ad.scale(), got[i], 1e-6 * Math.abs(want[i] * ad.scale()) + 1e-30, name);
            });
            // the exported PEFT config is for inference; training used lora_dropout 0.1
            try (TensorSource s = Checkpoints.open(diffusers)) {
                String peft = s.metadata().get("lora_adapter_metadata");
                assertEquals(0.0, new com.fasterxml.jackson.databind.ObjectMapper().readTree(peft).get("transformer.lora_dropout").asDouble(-1), peft);
            }
        }
        for (String f : List.of(LoraFiles.FILE_NAME, LoraFiles.COMFYUI_FILE_NAME, CheckpointStore.PARAMS))
            assertTrue(Files.isRegularFile(out.resolve("checkpoint-2").resolve(f)), f);
        assertFalse(Files.exists(out.resolve("checkpoint-2").resolve(CheckpointStore.LEGACY_PARAMS)));
    }

    @Test
    void validationOnStartupDrawsTheBaseModelAtStepZero() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("validation_on_startup", true, "max_train_steps", 1));
        assertEquals(0, Main.run("train", "--config", cfg.toString()));
        Path before = dir.resolve("output/validation_images/step_0_validation_0_32x32.png");
        assertTrue(Files.isRegularFile(dir.resolve("output/validation_images/step_0_redsq_0_32x32.png")));
        // the LoRA starts at zero, so step 0 is the base model: what sample draws with the config's validation settings
        Path base = dir.resolve("base.png");
        assertEquals(0, Main.run("sample", "--config", cfg.toString(), "--prompt", "a square", "-o", base.toString()));
        var a = ImageIO.read(before.toFile());
        var b = ImageIO.read(base.toFile());
        assertArrayEquals(a.getRGB(0, 0, 32, 32, null, 0, 32), b.getRGB(0, 0, 32, 32, null, 0, 32));
    }

    @Test
    void validationWithClassifierFreeGuidanceDrawsWhatSampleDraws() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("validation_on_startup", true, "max_train_steps", 1, "validation_guidance_real", 3.0,
                "validation_negative_prompt", "", "validation_no_cfg_until_timestep", 1));
        assertEquals(0, Main.run("train", "--config", cfg.toString()));
        Path before = dir.resolve("output/validation_images/step_0_validation_0_32x32.png");
        Path guided = dir.resolve("guided.png"), plain = dir.resolve("plain.png");
        assertEquals(0, Main.run("sample", "--config", cfg.toString(), "--prompt", "a square", "-o", guided.toString()));
        assertEquals(0, Main.run("sample", "--config", cfg.toString(), "--prompt", "a square", "--guidance-real", "1", "-o", plain.toString()));
        int[] v = ImageIO.read(before.toFile()).getRGB(0, 0, 32, 32, null, 0, 32);
        assertArrayEquals(v, ImageIO.read(guided.toFile()).getRGB(0, 0, 32, 32, null, 0, 32));
        assertFalse(java.util.Arrays.equals(v, ImageIO.read(plain.toFile()).getRGB(0, 0, 32, 32, null, 0, 32)),
                "validation used the guidance");
    }

    @Test
    void longerRunsKeepNoMoreMemory() throws Exception {
        // every step's tensors (forward, backward, clipping, update) must die with the step: a run of 6 steps may
        // leave no more in the never-closed global arena than a run of 2
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 100, "validation_step_interval", 100,
                "max_grad_norm", 0.5, "grad_clip_method", "value"));
        long before = TensorArena.global().bytes();
        new Trainer(load(cfg, "--output_dir", dir.resolve("two").toString(), "--max_train_steps", "2"), quiet()).run();
        long two = TensorArena.global().bytes() - before;
        new Trainer(load(cfg, "--output_dir", dir.resolve("six").toString(), "--max_train_steps", "6"), quiet()).run();
        long six = TensorArena.global().bytes() - before - two;
        assertEquals(two, six, "global-arena bytes left by a 2-step and a 6-step run");
    }

    @Test
    void resumedRunEqualsStraightRunBitForBit() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("lr_scheduler", "linear", "lr_warmup_steps", 1, "gradient_accumulation_steps", 2,
                "checkpoint_step_interval", 100, "validation_step_interval", 100, "max_train_steps", 4));
        new Trainer(load(cfg, "--output_dir", dir.resolve("straight").toString()), quiet()).run();
        Trainer.Result half = new Trainer(load(cfg, "--output_dir", dir.resolve("resumed").toString()), quiet()).stopAfter(2).run();
        assertEquals(2, half.steps());
        assertFalse(Files.exists(dir.resolve("resumed/pytorch_lora_weights.safetensors")));
        Trainer.Result rest = new Trainer(load(cfg, "--output_dir", dir.resolve("resumed").toString()), quiet()).run();
        assertEquals(4, rest.steps());
        assertTensorsIdentical(dir.resolve("straight/checkpoint-4/" + CheckpointStore.PARAMS), dir.resolve("resumed/checkpoint-4/" + CheckpointStore.PARAMS));
        assertTensorsIdentical(dir.resolve("straight/checkpoint-4/optimizer.safetensors"), dir.resolve("resumed/checkpoint-4/optimizer.safetensors"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("straight/pytorch_lora_weights.safetensors")),
                Files.readAllBytes(dir.resolve("resumed/pytorch_lora_weights.safetensors")));
        List<Metrics.Line> a = Metrics.read(dir.resolve("straight/metrics.jsonl")), b = Metrics.read(dir.resolve("resumed/metrics.jsonl"));
        assertEquals(a.stream().map(Metrics.Line::loss).toList(), b.stream().map(Metrics.Line::loss).toList());
    }

    @Test
    void gradientCheckpointingAndFileFormatDoNotChangeTraining() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "validation_step_interval", 100, "train_batch_size", 2,
                "flow_use_beta_schedule", true, "flux_guidance_mode", "random-range"));
        new Trainer(load(cfg, "--output_dir", dir.resolve("a").toString()), quiet()).run();
        new Trainer(load(cfg, "--output_dir", dir.resolve("b").toString(), "--gradient_checkpointing", "false", "--lora_format", "comfyui"), quiet()).run();
        assertTensorsIdentical(dir.resolve("a/checkpoint-2/" + CheckpointStore.PARAMS), dir.resolve("b/checkpoint-2/" + CheckpointStore.PARAMS));
        try (TensorSource comfy = Checkpoints.open(dir.resolve("b/pytorch_lora_weights.safetensors"))) {
            assertTrue(comfy.names().stream().allMatch(n -> n.startsWith("diffusion_model.")), comfy.names().toString());
        }
        try (TensorSource diffusers = Checkpoints.open(dir.resolve("a/pytorch_lora_weights.safetensors"))) {
            assertTrue(diffusers.names().stream().allMatch(n -> n.startsWith("transformer.")), diffusers.names().toString());
            assertTrue(diffusers.names().contains("transformer.transformer_blocks.0.attn.to_q.lora_B.weight"));
        }
    }

    @Test
    void int8BaseAndTextEncoderTrain() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "validation_step_interval", 100, "checkpoint_step_interval", 100,
                "base_model_precision", "int8-quanto", "text_encoder_1_precision", "int8-quanto"));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Trainer.Result r = new Trainer(load(cfg, "--output_dir", dir.resolve("q").toString()), new java.io.PrintStream(log, true)).run();
        assertEquals(2, r.steps());
        String text = log.toString();
        assertTrue(text.contains("base model: ") && text.contains("Linear layers quantized (int8-quanto)"), text);
        assertTrue(text.contains("text encoder: "), text);
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
    }

    @Test
    void fp8BaseAndTextEncoderTrainUnderSimpleTunersNames() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "validation_step_interval", 100, "checkpoint_step_interval", 100,
                "base_model_precision", "fp8-native", "text_encoder_1_precision", "fp8-quanto"));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Trainer.Result r = new Trainer(load(cfg, "--output_dir", dir.resolve("f").toString()), new java.io.PrintStream(log, true)).run();
        assertEquals(2, r.steps());
        String text = log.toString();
        assertTrue(text.contains("Linear layers quantized (fp8-native)"), text);
        assertTrue(text.contains("base weights, fp8 e4m3 with F32 row scales"), text);
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
    }

    @Test
    void epochsBecomeStepsWhenMaxTrainStepsIsUnset() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 0, "num_train_epochs", 3, "gradient_accumulation_steps", 3,
                "disable_bucket_pruning", true));
        TrainConfig c = load(cfg);
        int batches = flux2.trainer.data.TrainingData.open(c, 42, s -> {}).sampler().batchesPerEpoch();
        assertEquals(4, batches);
        assertEquals(3 * 2, Trainer.totalSteps(c, batches), "ceil(4 batches / 3 accumulation) = 2 steps per epoch");
        assertEquals(7, Trainer.totalSteps(load(cfg, "--max_train_steps", "7"), batches));
    }

    @Test
    void divergenceStopsNamingTheStepAndKeepsTheLastCheckpoint() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("learning_rate", 1e30, "max_grad_norm", 0, "checkpoint_step_interval", 1,
                "validation_step_interval", 100, "max_train_steps", 6));
        Trainer trainer = new Trainer(load(cfg), quiet());
        TrainingStopped e = assertThrows(TrainingStopped.class, trainer::run);
        assertTrue(e.getMessage().matches("(?s).*(loss|gradient norm) is (NaN|Infinity|-Infinity) at step \\d.*"), e.getMessage());
        Path out = dir.resolve("output");
        assertFalse(Files.exists(out.resolve("pytorch_lora_weights.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-1/training_state.json")));
        int failed = Integer.parseInt(e.getMessage().replaceAll("(?s).* at step (\\d+).*", "$1"));
        assertFalse(Files.exists(out.resolve("checkpoint-" + failed)), "nothing saved for the failed step");
    }

    private static void assertTensorsIdentical(Path a, Path b) throws Exception {
        try (TensorSource x = Checkpoints.open(a); TensorSource y = Checkpoints.open(b)) {
            assertEquals(x.names(), y.names());
            for (String n : x.names()) assertArrayEquals(x.tensor(n).toFloatArray(), y.tensor(n).toFloatArray(), n);
        }
    }
}
