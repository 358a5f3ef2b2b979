package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.LocalCollectives;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Gradient sums over two ranks (threads): every element of every parameter's gradient, across buffers split at the
 * bucket limit, comes back as the sum over the ranks, the losses are summed beside them, and a parameter without a
 * gradient on one rank gets the other rank's.
 */
class GradientBucketsTest {
    /** Parameters of 3, 5 and 2 elements with gradients rank + index (the last has none on rank 1). */
    static List<Parameter> params(int rank, TensorArena arena) {
        List<Parameter> out = new ArrayList<>();
        int[][] shapes = {{3}, {5}, {1, 2}};
        int k = 0;
        for (int i = 0; i < shapes.length; i++) {
            Parameter p = new Parameter(Tensor.zeros(flux2.tensor.DType.F32, shapes[i]), true, arena);
            int n = (int) Tensor.zeros(flux2.tensor.DType.F32, shapes[i]).numel();
            float[] g = new float[n];
            for (int j = 0; j < n; j++) g[j] = 100 * rank + k++;
            if (!(rank == 1 && i == 2)) p.var().setGrad(Tensor.of(g, shapes[i]));
            out.add(p);
        }
        return out;
    }

    @Test
    void everyGradientBecomesItsSumOverTheRanks() throws Exception {
        List<Collectives> group = LocalCollectives.group(2, Duration.ofSeconds(20));
        // a thread per rank (the common pool may have one thread on a small machine)
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<CompletableFuture<float[]>> f = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int rank = r;
            f.add(CompletableFuture.supplyAsync(() -> {
                try (TensorArena a = TensorArena.create("bucket-test")) {
                    List<Parameter> ps = params(rank, a);
                    GradientBuckets b = new GradientBuckets(ps, a, 6);
                    assertEquals(3, b.count(), "3 + 5 elements do not fit 6, so three buffers");
                    double loss = b.sum(group.get(rank), 0.25 + rank);
                    assertEquals(1.5, loss, 1e-7);
                    List<Float> all = new ArrayList<>();
                    for (Parameter p : ps) for (float x : p.grad().toFloatArray()) all.add(x);
                    float[] out = new float[all.size()];
                    for (int i = 0; i < out.length; i++) out[i] = all.get(i);
                    return out;
                }
            }, pool));
        }
        pool.shutdown();
        float[] want = {100, 102, 104, 106, 108, 110, 112, 114, 8, 9};
        assertArrayEquals(want, f.get(0).get());
        assertArrayEquals(want, f.get(1).get(), "rank 1 had no gradient for the last parameter and receives rank 0's");
    }
}
