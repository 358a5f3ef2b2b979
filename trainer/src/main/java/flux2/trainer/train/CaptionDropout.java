package flux2.trainer.train;

import flux2.trainer.data.Batch;
import flux2.trainer.data.Sample;
import java.util.ArrayList;
import java.util.List;

/**
 * caption_dropout_probability: each sample is trained on the empty caption with this probability, so that the model
 * also learns the unconditional prediction that classifier-free guidance subtracts. The choice is a pure function of
 * the run's seed, the micro-step and the sample's place in the batch, so a resumed run drops the same captions.
 */
public final class CaptionDropout {
    /** The caption a dropped sample is trained on. */
    public static final String EMPTY = "";

    private final double probability;
    private final long seed;

    public CaptionDropout(double probability, long seed) {
        if (!(probability >= 0 && probability <= 1))
            throw new IllegalArgumentException("caption dropout probability must be in [0, 1], got " + probability);
        this.probability = probability;
        this.seed = seed;
    }

    /** The captions the samples of {@code batch} are trained on at micro-step {@code microIndex}. */
    public List<String> captions(Batch batch, long microIndex) {
        List<Sample> samples = batch.samples();
        List<String> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) out.add(dropped(microIndex, i) ? EMPTY : samples.get(i).caption());
        return out;
    }

    /** Whether sample {@code index} of micro-step {@code microIndex} loses its caption. */
    boolean dropped(long microIndex, int index) {
        if (probability <= 0) return false;
        long h = mix(mix(seed ^ 0x63617074696F6EL) + microIndex * 0x9E3779B97F4A7C15L + index);
        return (h >>> 11) * 0x1.0p-53 < probability;
    }

    /** SplitMix64's finalizer: a well-spread 64-bit hash. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
