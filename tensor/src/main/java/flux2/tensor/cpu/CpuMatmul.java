package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;

/** Reference matmul over strided operands (to be replaced by the blocked Vector API kernel). */
final class CpuMatmul {
    private CpuMatmul() {}

    static void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate) {
        int r = out.rank();
        int m = out.size(-2), n = out.size(-1), k = a.size(-1);
        if (a.dtype() != DType.F32) throw new IllegalArgumentException("matmul: a must be F32, got " + a.dtype());
        int[] batchShape = java.util.Arrays.copyOf(out.shape(), r - 2);
        long batches = 1;
        for (int d : batchShape) batches *= d;
        long total = batches * m;
        Parallel.forRange(total, 1, (w, s, e) -> {
            for (long row = s; row < e; row++) {
                long bi = row / m;
                int i = (int) (row % m);
                int[] idx = new int[r];
                long rem = bi;
                for (int d = r - 3; d >= 0; d--) { idx[d] = (int) (rem % batchShape[d]); rem /= batchShape[d]; }
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        idx[r - 2] = i; idx[r - 1] = p;
                        double av = a.get(idx);
                        idx[r - 2] = p; idx[r - 1] = j;
                        acc += av * b.get(idx);
                    }
                    idx[r - 2] = i; idx[r - 1] = j;
                    out.set(accumulate ? out.get(idx) + acc : acc, idx);
                }
            }
        });
    }
}
