package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.optim.AdamW;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import flux2.trainer.data.SamplerState;
import flux2.examples.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    @TempDir Path dir;

    @Test
    void keepsTheNewestCheckpointsIgnoresUnfinishedOnesAndRestoresState() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
            Lora lora = Lora.attach(m, flux2.model.flux2.lora.LoraTargets.preset("tiny"), new Lora.Config(2, 2, 0, 1), new Rng(1), a);
            for (var p : lora.namedParameters().values()) new Rng(5).fillNormal(p.value(), 0, 1);
            AdamW opt = new AdamW(lora.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01, a);
            CheckpointStore store = new CheckpointStore(dir, 2);
            LoraWriter.Options o = LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32);
            for (long s = 1; s <= 3; s++) store.save(new TrainingState(s * 10, 0, new SamplerState(1, (int) s), 7, s, 2 * s, s, 1e-3), lora, o, opt);
            assertEquals(List.of(dir.resolve("checkpoint-20"), dir.resolve("checkpoint-30")), store.list());
            // a save killed half-way leaves a hidden temporary folder, never a checkpoint-<step> one
            Files.createDirectories(dir.resolve(".checkpoint-40.tmp"));
            assertEquals(dir.resolve("checkpoint-30"), store.find("latest"));
            assertEquals(dir.resolve("checkpoint-20"), store.find("checkpoint-20"));
            assertNull(store.find("none"));
            assertThrows(java.io.IOException.class, () -> store.find("checkpoint-99"));

            float[] saved = lora.namedParameters().values().iterator().next().value().toFloatArray();
            for (var p : lora.namedParameters().values()) p.value().fill(0);
            TrainingState st = CheckpointStore.restore(dir.resolve("checkpoint-30"), lora, opt);
            assertEquals(30, st.globalStep());
            assertEquals(new SamplerState(1, 3), st.sampler());
            assertEquals(6, st.sigmaRngCalls());
            assertArrayEquals(saved, lora.namedParameters().values().iterator().next().value().toFloatArray());
        }
    }

    @Test
    void emptyOutputFolderHasNothingToResume() throws Exception {
        assertNull(new CheckpointStore(dir.resolve("absent"), 5).find("latest"));
    }

    /** A LoRA, its optimizer and a store with warnings collected, for the tests below. */
    private record Run(Lora lora, AdamW opt, CheckpointStore store, List<String> warnings) {
        Path save(long step, boolean good) throws Exception {
            TrainingState st = new TrainingState(step, 0, new SamplerState(0, (int) step), 7, step, step, step, 1e-3)
                    .checked(new CheckpointVerdict(good, good ? "" : "the largest |weight| is 1e+09", good ? 0.5 : 1e9, 0.3), CheckHistory.start(0.5));
            return store.save(st, lora, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32), opt);
        }
    }

    private Run run(TensorArena a, int limit) {
        Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
        Lora lora = Lora.attach(m, flux2.model.flux2.lora.LoraTargets.preset("tiny"), new Lora.Config(2, 2, 0, 1), new Rng(1), a);
        List<String> warnings = new java.util.ArrayList<>();
        return new Run(lora, new AdamW(lora.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01, a), new CheckpointStore(dir, limit, warnings::add), warnings);
    }

    @Test
    void latestSkipsCheckpointsThatFailedTheCheckAndPruningKeepsTheNewestGoodOne() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            Run r = run(a, 1);
            r.save(10, true);
            r.save(20, false);
            r.save(30, false);
            assertEquals(List.of(dir.resolve("checkpoint-10"), dir.resolve("checkpoint-30")), r.store().list(),
                    "checkpoints_total_limit 1 keeps the newest, and the newest good one besides");
            assertEquals(dir.resolve("checkpoint-10"), r.store().find("latest"));
            assertEquals(1, r.warnings().size(), r.warnings().toString());
            assertTrue(r.warnings().getFirst().contains("skipping " + dir.resolve("checkpoint-30") + ": its numbers failed the check when it was saved (the largest |weight| is 1e+09)"),
                    r.warnings().toString());
            r.warnings().clear();
            assertEquals(dir.resolve("checkpoint-30"), r.store().find("checkpoint-30"), "named explicitly, a bad checkpoint is used");
            assertTrue(r.warnings().getFirst().contains("although its numbers failed the check"), r.warnings().toString());
            r.save(40, true);
            assertEquals(List.of(dir.resolve("checkpoint-40")), r.store().list(), "a newer good checkpoint lets the old one go");
        }
    }

    @Test
    void aDamagedNewestCheckpointFallsBackToTheNewestIntactOne() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            Run r = run(a, 5);
            r.save(1, true);
            r.save(2, true);
            r.save(3, true);
            Path opt = dir.resolve("checkpoint-3/optimizer.safetensors");
            byte[] b = Files.readAllBytes(opt);
            Files.write(opt, java.util.Arrays.copyOf(b, b.length - 16)); // a disk that filled up
            Path state = dir.resolve("checkpoint-2/training_state.json");
            Files.writeString(state, Files.readString(state).substring(0, 40)); // cut short
            assertEquals(dir.resolve("checkpoint-1"), r.store().find("latest"));
            assertEquals(2, r.warnings().size(), r.warnings().toString());
            assertTrue(r.warnings().get(0).startsWith("warning: skipping " + dir.resolve("checkpoint-3") + ": " + opt), r.warnings().toString());
            assertTrue(r.warnings().get(0).contains("truncated"), r.warnings().toString());
            assertTrue(r.warnings().get(1).startsWith("warning: skipping " + dir.resolve("checkpoint-2") + ": " + state + ": not valid JSON"),
                    r.warnings().toString());
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> r.store().find("checkpoint-2"));
            assertTrue(e.getMessage().contains(state + ": not valid JSON"), e.getMessage());
            java.io.IOException full = assertThrows(java.io.IOException.class, () -> r.store().find("checkpoint-1", CheckpointStore.FULL_PARAMS));
            assertTrue(full.getMessage().contains("transformer_parameters.safetensors is missing (the checkpoint is of a LoRA run)"), full.getMessage());
        }
    }

    @Test
    void aStepNumberBeyondALongIsIgnoredWithAWarning() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            Run r = run(a, 5);
            r.save(5, true);
            Path huge = Files.createDirectories(dir.resolve("checkpoint-99999999999999999999"));
            Files.copy(dir.resolve("checkpoint-5/training_state.json"), huge.resolve("training_state.json"));
            assertEquals(List.of(dir.resolve("checkpoint-5")), r.store().list());
            assertEquals(dir.resolve("checkpoint-5"), r.store().find("latest"));
            assertEquals(List.of("warning: ignoring " + huge + ": its step number does not fit a 64-bit integer"), r.warnings());
            r.save(6, true);
            assertTrue(Files.isDirectory(huge), "never pruned either");
        }
    }

    @Test
    void removesTheRemainsOfAnInterruptedDeleteOnly() throws Exception {
        Files.createDirectories(dir.resolve("checkpoint-7"));
        Files.writeString(dir.resolve("checkpoint-7/lora_parameters.safetensors"), "x"); // training_state.json already deleted
        Files.createDirectories(dir.resolve("checkpoint-8"));
        Files.writeString(dir.resolve("checkpoint-8/notes.txt"), "the user's");
        List<String> done = new CheckpointStore(dir, 5).removeRemains();
        assertEquals(List.of("removed " + dir.resolve("checkpoint-7") + "/ (an incomplete checkpoint without training_state.json)"), done);
        assertFalse(Files.exists(dir.resolve("checkpoint-7")));
        assertTrue(Files.exists(dir.resolve("checkpoint-8/notes.txt")));
    }
}
