package flux2.bench.cli;

import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.ops.MatmulDims;

/** The reference rate other figures are given against: a 1024^3 F32 sgemm a x W.t() timed in the same process. */
final class SgemmRate {
    static final int SIZE = 1024;

    private SgemmRate() {}

    /** GFLOP/s of the sgemm on dev, best of {@code runs} after {@code warmup} seconds. */
    static double gflops(Backend dev, double warmup, int runs) {
        Rng r = new Rng(2);
        Tensor a = r.normal(0, 1, SIZE, SIZE).to(dev), w = r.normal(0, 1, SIZE, SIZE).to(dev);
        Tensor out = Tensor.zeros(DType.F32, SIZE, SIZE).to(dev);
        Tensor b = w.t();
        MatmulDims dims = MatmulDims.of(a, b);
        double s = new BenchTimer(warmup, runs, 0.05).bestSecondsPerCall(() -> {
            dev.matmul(dims, a, b, out, false);
            DeviceOption.sync(dev);
        });
        return 2.0 * SIZE * SIZE * SIZE / s / 1e9;
    }
}
