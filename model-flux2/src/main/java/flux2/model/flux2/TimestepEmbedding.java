package flux2.model.flux2;

import flux2.tensor.Tensor;

/**
 * The 256 sinusoidal values of a timestep or guidance scale s: u = 1000 s, f_k = exp(-ln(10000) k / 128),
 * [cos(u f) | sin(u f)]. Evaluated in double: at guidance 4 the angles reach 4000 rad, where FP32 rounding
 * alone moves the outputs beyond the reference tolerance.
 */
public final class TimestepEmbedding {
    public static final int DIM = 256;

    private TimestepEmbedding() {}

    /** values [B] (F32) to [B, 256]. */
    public static Tensor of(Tensor values) {
        float[] s = values.contiguous().toFloatArray();
        int half = DIM / 2;
        float[] out = new float[s.length * DIM];
        for (int b = 0; b < s.length; b++) {
            double u = 1000.0 * s[b];
            for (int k = 0; k < half; k++) {
                double angle = u * Math.exp(-Math.log(10000.0) * k / half);
                out[b * DIM + k] = (float) Math.cos(angle);
                out[b * DIM + half + k] = (float) Math.sin(angle);
            }
        }
        return Tensor.of(out, s.length, DIM).to(values.backend());
    }
}
