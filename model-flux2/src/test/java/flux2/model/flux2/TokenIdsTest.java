package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flux2.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Ids and token packing follow the reference layout. */
class TokenIdsTest {
    @Test
    void imageReferenceAndTextIds() {
        Tensor img = TokenIds.image(2, 2, 3);
        assertArrayEquals(new int[]{2, 6, 4}, img.shape());
        assertArrayEquals(new float[]{0, 1, 2, 0}, img.select(0, 1).select(0, 5).toFloatArray());
        Tensor ref = TokenIds.reference(1, 1, 2, 2);
        assertArrayEquals(new float[]{20, 1, 0, 0}, ref.select(0, 0).select(0, 2).toFloatArray());
        Tensor txt = TokenIds.text(1, 5);
        assertArrayEquals(new float[]{0, 0, 0, 4}, txt.select(0, 0).select(0, 4).toFloatArray());
    }

    @Test
    void packIsRowMajorAndUnpackInvertsIt() {
        float[] v = new float[2 * 3 * 2 * 4];
        for (int i = 0; i < v.length; i++) v[i] = i;
        Tensor lat = Tensor.of(v, 2, 3, 2, 4);
        Tensor tok = Latents.pack(lat);
        assertArrayEquals(new int[]{2, 8, 3}, tok.shape());
        // token i*w + j of batch 1, channel c = lat[1, c, i, j]
        assertEquals(lat.get(1, 2, 1, 3), tok.get(1, 1 * 4 + 3, 2));
        assertArrayEquals(v, Latents.unpack(tok, 2, 4).toFloatArray());
    }
}
