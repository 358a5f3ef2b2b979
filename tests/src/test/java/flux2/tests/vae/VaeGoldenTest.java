package flux2.tests.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.vae.AutoEncoder;
import flux2.model.vae.VaeConfig;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.tests.GoldenCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code flux2_vae} golden case, with the official and the diffusers weight files: latent = encode(image),
 * decoded = decode(z_in), reconstructed = decode(encode(image)). Also once with one-row bands, so that the
 * banded convolutions are checked against the reference too.
 */
class VaeGoldenTest {
    private static final double TOLERANCE = 1e-4;

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.of("flux2_vae")) {
            if (c.model() != null) {
                tests.add(DynamicTest.dynamicTest(c.name() + " official weights", () -> check(c, c.model(), AutoEncoder.DEFAULT_TILE_BYTES)));
                tests.add(DynamicTest.dynamicTest(c.name() + " official weights, one-row bands", () -> check(c, c.model(), 1)));
            }
            if (c.diffusers() != null)
                tests.add(DynamicTest.dynamicTest(c.name() + " diffusers weights", () -> check(c, c.diffusers(), AutoEncoder.DEFAULT_TILE_BYTES)));
            if (c.model() == null && c.diffusers() == null) tests.add(DynamicTest.dynamicTest(c.name(), () -> GoldenCases.model(c)));
        }
        return tests.stream();
    }

    private static void check(GoldenCases.Case c, Path weights, long tileBytes) throws Exception {
        try (TensorSource io = Checkpoints.open(c.io()); TensorArena arena = TensorArena.open("vae-golden")) {
            VaeConfig config = VaeConfig.fromOfficialJson(io.metadata().get("config"));
            try (AutoEncoder vae = AutoEncoder.load(weights, config, tileBytes)) {
                Tensor latent = vae.encode(io.tensor("image"));
                Tensor decoded = vae.decode(io.tensor("z_in"));
                Tensor reconstructed = vae.decode(latent);
                double eLatent = compare(io, "latent", latent), eDecoded = compare(io, "decoded", decoded);
                double eRecon = compare(io, "reconstructed", reconstructed);
                System.out.printf("flux2_vae %s (%s, tile %d B): latent %.3g, decoded %.3g, reconstructed %.3g%n",
                        c.name(), weights.getFileName(), tileBytes, eLatent, eDecoded, eRecon);
                assertTrue(eLatent < TOLERANCE, "latent relative L2 " + eLatent);
                assertTrue(eDecoded < TOLERANCE, "decoded relative L2 " + eDecoded);
                assertTrue(eRecon < TOLERANCE, "reconstructed relative L2 " + eRecon);
            }
        }
    }

    private static double compare(TensorSource io, String name, Tensor actual) throws Exception {
        Tensor expected = io.tensor(name);
        assertArrayEquals(expected.shape(), actual.shape(), name + " shape");
        return GoldenCases.relL2(actual.toFloatArray(), expected.toFloatArray());
    }
}
