package flux2.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.nio.file.Path;

/** Comparisons of the tensors of two safetensors files. */
public final class TensorFiles {
    private TensorFiles() {}

    /**
     * The same tensor names, and every tensor of b within {@code rel} of a's: the L2 norm of their difference at most rel
     * times a's L2 norm (F32 sums in another order differ in the last bits, which AdamW's normalisation carries into the
     * weights). A tensor of zeros is an error: nothing was trained.
     */
    public static void assertClose(Path a, Path b, double rel) throws Exception {
        try (TensorSource x = Checkpoints.open(a); TensorSource y = Checkpoints.open(b)) {
            assertEquals(x.names(), y.names());
            for (String n : x.names()) {
                float[] u = x.tensor(n).toFloatArray(), v = y.tensor(n).toFloatArray();
                double max = 0, diff = 0, sq = 0, dsq = 0;
                for (int i = 0; i < u.length; i++) {
                    max = Math.max(max, Math.abs(u[i]));
                    diff = Math.max(diff, Math.abs(u[i] - v[i]));
                    sq += (double) u[i] * u[i];
                    dsq += (double) (u[i] - v[i]) * (u[i] - v[i]);
                }
                assertTrue(max > 0, n + " is all zeros: nothing was trained");
                assertTrue(Math.sqrt(dsq) <= rel * Math.sqrt(sq), n + ": relative L2 difference " + Math.sqrt(dsq / sq) + " (largest element difference "
                        + diff + ", largest magnitude " + max + ")");
            }
        }
    }
}
