package flux2.model.vae;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.io.FiniteCheck;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The autoencoder's tensors by official name, taken from either checkpoint layout. Matrices stay as given (a
 * mapped BF16 file stays mapped and BF16); vectors (norms, biases, batch-norm statistics) are widened to F32
 * in the current arena, since they are tiny and feed elementwise math.
 */
public final class VaeWeights {
    private final VaeConfig config;
    private final Map<String, Tensor> tensors;

    private VaeWeights(VaeConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    public VaeConfig config() { return config; }

    /** The tensor of an official name (it exists: loading checked every name the config needs). */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no VAE weight '" + name + "'");
        return t;
    }

    /** The tensors by official name, in the reference's order. */
    public Map<String, Tensor> tensors() { return java.util.Collections.unmodifiableMap(tensors); }

    /**
     * Random F32 weights in the current arena for benchmarks and memory checks: convolutions normal with std
     * 1/sqrt(fan-in), norms identity, biases zero, batch-norm statistics mean 0 and variance 1.
     */
    public static VaeWeights random(VaeConfig config, Rng rng) {
        AutoEncoder ae = new AutoEncoder(config, TensorArena.current()).initialize(rng, 1);
        return of(ae.stateDict(), config);
    }

    /**
     * Reads every tensor of a checkpoint file or folder in either layout (see {@link #of}); tensors holding NaN or
     * infinity are refused, naming the file and the tensors (each mapped tensor is scanned in place, once).
     */
    public static VaeWeights load(TensorSource source, VaeConfig config) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        List<String> nonFinite = new ArrayList<>();
        try {
            for (String n : source.names()) {
                Tensor t = source.tensor(n);
                String bad = FiniteCheck.problem(t);
                if (bad != null) nonFinite.add(n + ": " + bad);
                named.put(n, t);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read VAE weights from " + source.describe() + ": " + e.getMessage(), e);
        }
        if (!nonFinite.isEmpty())
            throw new IllegalArgumentException(source.describe() + " holds VAE weights that are not finite numbers (" + nonFinite.size()
                    + " tensors):\n  " + String.join("\n  ", nonFinite));
        try {
            return of(named, config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Weights from named tensors with official ({@code ae.safetensors}) or diffusers ({@code vae/}) names, F32,
     * BF16 or F16. Every problem (missing, unexpected, duplicate or mis-shaped names, unsupported dtypes) is
     * reported in one exception.
     */
    public static VaeWeights of(Map<String, Tensor> named, VaeConfig config) {
        Map<String, int[]> expected = VaeKeys.official(config);
        Map<String, Tensor> found = new LinkedHashMap<>();
        Map<String, String> origin = new HashMap<>();
        KeyMatch match = new KeyMatch();
        for (var e : named.entrySet()) {
            String given = e.getKey();
            if (given.equals(VaeKeys.BN_COUNTER)) continue;
            String name = VaeKeys.fromDiffusers(given, config.levels());
            Tensor t = e.getValue();
            int[] want = expected.get(name);
            if (want == null) {
                match.unexpected(given);
                continue;
            }
            String other = origin.putIfAbsent(name, given);
            if (other != null) {
                match.givenTwice(given, other);
                continue;
            }
            // diffusers stores the attention's 1x1 convolutions as Linear weights [C, C].
            if (want.length == 4 && t.rank() == 2 && t.size(0) == want[0] && t.size(1) == want[1] && want[2] == 1 && want[3] == 1)
                t = t.reshape(want);
            if (!match.checkShape(given, want, t.shape())) continue;
            if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
                match.add("unsupported dtypes (F32, BF16 or F16 only)", given + " (" + t.dtype() + ")");
                continue;
            }
            found.put(name, t.rank() == 1 ? t.to(DType.F32) : t);
        }
        for (String n : expected.keySet()) if (!origin.containsKey(n)) match.missing(n);
        match.check("VAE weights do not match " + config);
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (String n : expected.keySet()) ordered.put(n, found.get(n));
        return new VaeWeights(config, ordered);
    }
}
