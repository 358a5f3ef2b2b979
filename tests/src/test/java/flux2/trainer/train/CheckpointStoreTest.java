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
}
