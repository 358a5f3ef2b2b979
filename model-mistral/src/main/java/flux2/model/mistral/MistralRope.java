package flux2.model.mistral;

import flux2.tensor.Tensor;

/** Rotary tables for absolute positions: angle[p][j] = p / theta^(2j / headDim), j < headDim / 2. */
final class MistralRope {
    private MistralRope() {}

    /** cos and sin [length, headDim/2] for positions start .. start + length - 1. */
    static Tensor[] tables(int start, int length, int headDim, double theta) {
        int half = headDim / 2;
        float[] cos = new float[length * half], sin = new float[length * half];
        for (int j = 0; j < half; j++) {
            double invFreq = 1.0 / Math.pow(theta, 2.0 * j / headDim);
            for (int p = 0; p < length; p++) {
                double a = (start + p) * invFreq;
                cos[p * half + j] = (float) Math.cos(a);
                sin[p * half + j] = (float) Math.sin(a);
            }
        }
        return new Tensor[]{Tensor.of(cos, length, half), Tensor.of(sin, length, half)};
    }
}
