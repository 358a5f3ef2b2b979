package flux2.model.vae;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * GroupNorm(x) produced band by band: the per-group statistics are taken over the whole of x first (two
 * passes, one group at a time), then each band is normalised on its own.
 */
final class GroupNormRows implements Rows {
    private final Tensor x, mean, scale, shift;

    /** Statistics of x [N, C, H, W] for {@code groups} groups; weight and bias [C] F32. */
    GroupNormRows(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        this.x = x;
        int n = x.size(0), c = x.size(1), per = c / groups;
        float[] means = new float[n * c], scales = new float[n * c];
        float[] w = weight.toFloatArray();
        for (int g = 0; g < groups; g++) {
            float[] m, v;
            try (var tmp = TensorArena.open("vae-norm-stats")) {
                Tensor xg = x.narrow(1, g * per, per);
                Tensor mg = xg.mean(1, 2, 3);
                m = mg.toFloatArray();
                v = xg.sub(mg.reshape(n, 1, 1, 1)).square().mean(1, 2, 3).toFloatArray();
            }
            for (int i = 0; i < n; i++) {
                double rstd = 1 / Math.sqrt(v[i] + eps);
                for (int ch = g * per; ch < (g + 1) * per; ch++) {
                    means[i * c + ch] = m[i];
                    scales[i * c + ch] = (float) (rstd * w[ch]);
                }
            }
        }
        mean = Tensor.of(means, n, c, 1, 1);
        scale = Tensor.of(scales, n, c, 1, 1);
        shift = bias.reshape(1, c, 1, 1);
    }

    @Override public int[] shape() { return x.shape(); }

    @Override
    public Tensor rows(int from, int to) {
        return x.narrow(2, from, to - from).sub(mean).mul(scale).add(shift);
    }
}
