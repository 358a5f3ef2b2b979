package flux2.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The golden reference cases in the folder named by the system property {@code flux2.golden.dir}: every
 * {@code <case>.io.safetensors} whose metadata {@code kind} matches, with its weight files beside it.
 */
public final class GoldenCases {
    private GoldenCases() {}

    /** One case: its name (file name without extensions), the io file and the weight files if present. */
    public record Case(String name, Path io, Path model, Path diffusers) {
        @Override public String toString() { return name; }
    }

    public static Path dir() {
        String d = System.getProperty("flux2.golden.dir");
        assertTrue(d != null, "system property flux2.golden.dir is not set (it names the golden reference folder)");
        Path p = Path.of(d);
        assertTrue(Files.isDirectory(p), "flux2.golden.dir=" + d + " is not a folder");
        return p;
    }

    /** Cases of the given kind, sorted by name; empty when the folder holds none. */
    public static List<Case> of(String kind) {
        Path dir = dir();
        List<Case> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path io : files.filter(f -> f.getFileName().toString().endsWith(".io.safetensors")).sorted().toList()) {
                String k;
                try (TensorSource src = Checkpoints.open(io)) {
                    k = src.metadata().get("kind");
                }
                if (!kind.equals(k)) continue;
                String name = io.getFileName().toString().replace(".io.safetensors", "");
                Path model = dir.resolve(name + ".model.safetensors");
                Path diff = dir.resolve(name + ".diffusers.safetensors");
                out.add(new Case(name, io, Files.exists(model) ? model : null, Files.exists(diff) ? diff : null));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The case's official-layout weight file; skips the calling test with a message when the folder lacks it. */
    public static Path model(Case c) {
        Assumptions.assumeTrue(c.model() != null, c.name() + ": skipped, no " + c.name() + ".model.safetensors beside " + c.io().getFileName());
        return c.model();
    }

    /**
     * The weight file that the metadata entry {@code key} of a case names (for example {@code base_model}), beside
     * its io file; skips the calling test with a message when the entry or the file is absent.
     */
    public static Path named(Case c, String key, String value) {
        Assumptions.assumeTrue(value != null && !value.isBlank(), c.name() + ": skipped, its metadata has no '" + key + "'");
        Path p = c.io().resolveSibling(value);
        Assumptions.assumeTrue(Files.isRegularFile(p), c.name() + ": skipped, its " + key + " " + value + " is not in " + c.io().getParent());
        return p;
    }

    /** Relative L2 error ||a - b|| / ||b||, accumulated in double. */
    public static double relL2(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        double d = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            double x = (double) a[i] - b[i];
            d += x * x;
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
    }
}
