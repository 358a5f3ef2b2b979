package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import java.util.Collection;

/** A 64-bit hash of the exact bits of parameters' values, in their order: equal on ranks that hold the same weights. */
final class WeightChecksum {
    private WeightChecksum() {}

    static long of(Collection<Parameter> params) {
        long h = 0xCBF29CE484222325L;
        for (Parameter p : params) {
            float[] v = p.value().toFloatArray();
            h = (h ^ v.length) * 0x100000001B3L;
            for (float x : v) h = (h ^ Float.floatToRawIntBits(x)) * 0x100000001B3L;
        }
        return h;
    }
}
