package flux2.examples.pretrain;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.vae.AutoEncoder;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.examples.cli.ExampleCommand;
import picocli.CommandLine;
import flux2.trainer.models.ModelParts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainTest {
    @TempDir Path dir;

    @Test
    void everyStageRunsAndTheModelFolderLoads() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Pretrain.Options o = new Pretrain.Options(24, 2, 2, 2e-3, 2, 2, 1e-3, 1, 0.5, 0);
        Path model = Pretrain.run(dir, o, new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("VAE reconstruction MSE") && text.contains("training the full transformer"), text);
        assertEquals(24, Files.list(dir.resolve("data")).filter(p -> p.toString().endsWith(".png")).count());
        assertEquals(MiniModel.transformerConfig(), ModelParts.transformerConfig(model.resolve("transformer")));
        MiniModel.writeInitialTransformer(MiniModel.transformerConfig(), dir.resolve("init"), Pretrain.initSeed(o));
        try (TensorSource init = Checkpoints.open(dir.resolve("init"));
             TensorSource done = Checkpoints.open(model.resolve("transformer"))) {
            // adaLN-zero: only the output projection gets a gradient in the first step, the blocks once the gates open
            String w = "proj_out.weight";
            assertFalse(java.util.Arrays.equals(init.tensor(w).toFloatArray(), done.tensor(w).toFloatArray()), "the final transformer is the trained one");
        }
        try (AutoEncoder ae = AutoEncoder.load(model.resolve("vae"))) {
            assertEquals(MiniModel.vaeConfig(), ae.config());
        }
        assertTrue(Files.isRegularFile(model.resolve("text_encoder/model.safetensors")));
        assertTrue(Files.isRegularFile(model.resolve("tokenizer/tokenizer_config.json")));
    }

    @Test
    void continuingKeepsTheVaeAndTrainsTheTransformerFurther() throws Exception {
        Pretrain.Options o = new Pretrain.Options(24, 2, 2, 2e-3, 2, 2, 1e-3, 1, 0, 0);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path first = Pretrain.run(dir.resolve("first"), o, quiet);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path second = Pretrain.run(dir.resolve("second"), new Pretrain.Options(24, 2, 2, 2e-3, 2, 2, 1e-3, 1, 0.5, 0), first,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("VAE reconstruction MSE"), "no VAE training: " + text);
        assertTrue(text.contains("continuing from " + first), text);
        assertArrayEquals(Files.readAllBytes(first.resolve("vae/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(second.resolve("vae/diffusion_pytorch_model.safetensors")), "the VAE is kept");
        try (TensorSource a = Checkpoints.open(first.resolve("transformer"));
             TensorSource b = Checkpoints.open(second.resolve("transformer"))) {
            String w = "proj_out.weight";
            assertFalse(java.util.Arrays.equals(a.tensor(w).toFloatArray(), b.tensor(w).toFloatArray()), "the transformer trained further");
        }
        assertTrue(Files.readString(dir.resolve("second/config.json")).contains("\"caption_dropout_probability\" : 0.5"));
        assertEquals(2, new CommandLine(new ExampleCommand()).execute("pretrain", "--out", dir.resolve("m").toString(), "--continue-from", dir.resolve("nothing").toString()));
    }

    @Test
    void decoderTrainingKeepsTheEncoderTheStatisticsAndTheTransformer() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path first = Pretrain.run(dir.resolve("first"), new Pretrain.Options(24, 2, 2, 2e-3, 2, 2, 1e-3, 1, 0, 0), quiet);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path second = Pretrain.run(dir.resolve("second"), new Pretrain.Options(24, 2, 2, 2e-3, 0, 2, 1e-3, 1, 0, 3), first,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("VAE decoder reconstruction MSE") && text.contains("transformer unchanged"), text);
        assertArrayEquals(Files.readAllBytes(first.resolve("transformer/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(second.resolve("transformer/diffusion_pytorch_model.safetensors")));
        int changed = 0;
        try (TensorSource a = Checkpoints.open(first.resolve("vae")); TensorSource b = Checkpoints.open(second.resolve("vae"))) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) {
                boolean same = java.util.Arrays.equals(a.tensor(n).toFloatArray(), b.tensor(n).toFloatArray());
                if (n.startsWith("encoder.") || n.startsWith("quant_conv.") || n.startsWith("bn.")) assertTrue(same, n + " is kept");
                else if (!same) changed++;
            }
        }
        assertTrue(changed > 10, "the decoder trained: " + changed + " tensors changed");
        assertEquals(2, new CommandLine(new ExampleCommand()).execute("pretrain", "--out", dir.resolve("m").toString(), "--steps", "0"), "--steps 0 needs --continue-from");
    }

    @Test
    void commandRejectsBadSizes() {
        assertEquals(2, new CommandLine(new ExampleCommand()).execute("pretrain", "--out", dir.resolve("m").toString(), "--images", "3"));
        assertFalse(Files.exists(dir.resolve("m")));
    }
}
