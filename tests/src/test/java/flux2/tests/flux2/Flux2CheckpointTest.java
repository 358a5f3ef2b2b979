package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Checkpoint;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import flux2.tests.GoldenCases;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading edge cases on a golden weight file: the prefixed official layout, and one error listing every problem. */
class Flux2CheckpointTest {
    @TempDir Path tmp;

    /** The first flux2_forward case that has the weight file {@code layout} picks; skips with a message if none has. */
    private static GoldenCases.Case anyCase(Function<GoldenCases.Case, Path> layout, String what) {
        var found = GoldenCases.of("flux2_forward").stream().filter(c -> layout.apply(c) != null).findFirst();
        Assumptions.assumeTrue(found.isPresent(), "skipped: no flux2_forward case with a " + what + " file in " + GoldenCases.dir());
        return found.get();
    }

    private static Map<String, Tensor> read(TensorSource src) throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : src.names()) m.put(n, src.tensor(n));
        return m;
    }

    @Test
    void prefixedOfficialFileLoadsAsMappedViews() throws Exception {
        GoldenCases.Case c = anyCase(GoldenCases.Case::model, ".model.safetensors");
        Path prefixed = tmp.resolve("prefixed.safetensors");
        try (TensorSource src = Checkpoints.open(c.model()); TensorArena a = TensorArena.open("t")) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            read(src).forEach((k, v) -> m.put(Flux2Checkpoint.OFFICIAL_PREFIX + k, v));
            SafetensorsWriter.write(prefixed, m);
        }
        try (TensorSource io = Checkpoints.open(c.io()); TensorSource src = Checkpoints.open(prefixed); TensorArena p = TensorArena.create("p")) {
            Flux2Transformer model = new Flux2Transformer(Flux2Config.fromOfficialJson(io.metadata().get("config")), DType.BF16, p);
            assertEquals(Flux2Checkpoint.Layout.OFFICIAL, Flux2Checkpoint.load(model, src, p, false));
            Tensor w = model.imgIn.weight.value();
            assertEquals(DType.BF16, w.dtype());
            assertTrue(w.storage().readOnly(), "weights stay views of the mapped file");
        }
    }

    @Test
    void missingUnexpectedAndMisshapedKeysAreReportedTogether() throws Exception {
        GoldenCases.Case c = anyCase(GoldenCases.Case::diffusers, ".diffusers.safetensors");
        Path broken = tmp.resolve("broken.safetensors");
        try (TensorSource src = Checkpoints.open(c.diffusers()); TensorArena a = TensorArena.open("t")) {
            Map<String, Tensor> m = read(src);
            m.remove("context_embedder.weight");  // present at every depth
            m.put("transformer_blocks.0.attn.bogus.weight", Tensor.zeros(DType.F32, 2));
            m.put("proj_out.weight", Tensor.zeros(DType.BF16, 3, 3));
            SafetensorsWriter.write(broken, m);
        }
        try (TensorSource io = Checkpoints.open(c.io()); TensorSource src = Checkpoints.open(broken); TensorArena p = TensorArena.create("p")) {
            Flux2Transformer model = new Flux2Transformer(Flux2Config.fromOfficialJson(io.metadata().get("config")), DType.BF16, p);
            var e = assertThrows(IllegalArgumentException.class, () -> Flux2Checkpoint.load(model, src, p, false));
            String msg = e.getMessage();
            assertTrue(msg.contains("diffusers layout"), msg);
            assertTrue(msg.contains("missing keys (1): context_embedder.weight"), msg);
            assertTrue(msg.contains("unexpected keys (1): transformer_blocks.0.attn.bogus.weight"), msg);
            assertTrue(msg.contains("wrong shapes (1): proj_out.weight (expected"), msg);
        }
    }
}
