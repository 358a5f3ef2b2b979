package flux2.model.flux2;

import flux2.tensor.Tensor;

/**
 * Position ids (t, h, w, l) of FLUX.2 tokens, as F32 [B, L, 4]: target image tokens (0, i, j, 0) row-major,
 * reference image r (0-based) at t = 10 + 10 r on its own grid, text token k at (0, 0, 0, k).
 */
public final class TokenIds {
    private TokenIds() {}

    /** Ids of an h x w latent grid at time coordinate t, repeated for a batch of b. */
    public static Tensor image(int b, int h, int w, int t) {
        float[] ids = new float[b * h * w * 4];
        for (int n = 0, o = 0; n < b; n++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++, o += 4) {
                    ids[o] = t;
                    ids[o + 1] = i;
                    ids[o + 2] = j;
                }
        return Tensor.of(ids, b, h * w, 4);
    }

    /** Ids of the target image. */
    public static Tensor image(int b, int h, int w) { return image(b, h, w, 0); }

    /** Ids of reference image {@code index} (0-based): t = 10, 20, 30, ... */
    public static Tensor reference(int b, int index, int h, int w) { return image(b, h, w, 10 + 10 * index); }

    /** Ids of {@code length} text tokens (padding positions included). */
    public static Tensor text(int b, int length) {
        float[] ids = new float[b * length * 4];
        for (int n = 0; n < b; n++)
            for (int k = 0; k < length; k++) ids[(n * length + k) * 4 + 3] = k;
        return Tensor.of(ids, b, length, 4);
    }
}
