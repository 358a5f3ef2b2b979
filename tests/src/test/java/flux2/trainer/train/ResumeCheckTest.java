package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from a checkpoint saved after the run's last step is refused before any work, and nothing is written. */
class ResumeCheckTest {
    @TempDir Path dir;

    TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    @Test
    void aCheckpointBeyondMaxTrainStepsIsRefusedAndTheLoraKept() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 2, "validation_step_interval", 100, "max_train_steps", 4));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        assertEquals(4, new Trainer(load(cfg), quiet).run().steps());
        Path out = dir.resolve("output"), lora = out.resolve("pytorch_lora_weights.safetensors");
        byte[] before = Files.readAllBytes(lora);
        long modified = Files.getLastModifiedTime(lora).toMillis();

        RunRefused e = assertThrows(RunRefused.class, () -> new Trainer(load(cfg, "--max_train_steps", "3"), quiet).run());
        String m = e.getMessage();
        assertTrue(m.contains("resume_from_checkpoint \"latest\" picks " + out.resolve("checkpoint-4") + ", saved at step 4, beyond this run's max_train_steps 3"), m);
        assertTrue(m.contains("Set max_train_steps above 4 to train further, or resume_from_checkpoint \"none\" (or another output_dir)"), m);
        assertArrayEquals(before, Files.readAllBytes(lora), "the LoRA is untouched");
        assertEquals(modified, Files.getLastModifiedTime(lora).toMillis());
        assertEquals(4, Metrics.read(out.resolve("metrics.jsonl")).size(), "the metrics too");

        // a checkpoint named by path is checked the same way; one at or below the last step resumes as before
        RunRefused named = assertThrows(RunRefused.class,
                () -> new Trainer(load(cfg, "--max_train_steps", "1", "--resume_from_checkpoint", "checkpoint-2"), quiet).run());
        assertTrue(named.getMessage().contains("picks " + out.resolve("checkpoint-2") + ", saved at step 2, beyond this run's max_train_steps 1"), named.getMessage());
        assertEquals(5, new Trainer(load(cfg, "--max_train_steps", "5"), quiet).run().steps());
    }

    @Test
    void epochCountedRunsSayHowManyStepsTheyHave() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 100, "validation_step_interval", 100, "max_train_steps", 8));
        new Trainer(load(cfg), new PrintStream(new ByteArrayOutputStream())).run();
        // 4 images, batch 1: one epoch is 4 steps
        RunRefused e = assertThrows(RunRefused.class, () -> new Trainer(load(cfg, "--max_train_steps", "0", "--num_train_epochs", "1"),
                new PrintStream(new ByteArrayOutputStream())).run());
        assertTrue(e.getMessage().contains("saved at step 8, beyond this run's 4 steps (num_train_epochs 1; max_train_steps is not set)"), e.getMessage());
    }
}
