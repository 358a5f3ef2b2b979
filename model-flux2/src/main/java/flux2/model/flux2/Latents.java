package flux2.model.flux2;

import flux2.tensor.Tensor;

/** Latent grids [B, C, h, w] to token sequences [B, h*w, C] (token i*w + j is column (i, j)) and back. */
public final class Latents {
    private Latents() {}

    public static Tensor pack(Tensor latents) {
        if (latents.rank() != 4) throw new IllegalArgumentException("latents must be [B, C, h, w], got " + java.util.Arrays.toString(latents.shape()));
        int b = latents.size(0), c = latents.size(1), h = latents.size(2), w = latents.size(3);
        return latents.reshape(b, c, h * w).transpose(1, 2).contiguous();
    }

    public static Tensor unpack(Tensor tokens, int h, int w) {
        if (tokens.rank() != 3 || tokens.size(1) != h * w)
            throw new IllegalArgumentException("tokens must be [B, " + h * w + ", C] for a " + h + "x" + w + " grid, got " + java.util.Arrays.toString(tokens.shape()));
        int b = tokens.size(0), c = tokens.size(2);
        return tokens.transpose(1, 2).contiguous().reshape(b, c, h, w);
    }
}
