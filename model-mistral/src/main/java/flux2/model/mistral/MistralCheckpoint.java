package flux2.model.mistral;

import flux2.tensor.Tensor;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.FiniteCheck;
import flux2.tensor.io.KeyMatch;
import flux2.tensor.io.TensorInfo;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Opens the text model of a Hugging Face Mistral3 or Mistral checkpoint (one file, a sharded
 * {@code model.safetensors.index.json} or a folder). Vision tower, projector and LM head are skipped by prefix,
 * and layers beyond those requested are never touched, so their bytes are not read; weights stay memory-mapped.
 */
public final class MistralCheckpoint {
    private MistralCheckpoint() {}

    /** The layers and final norm that {@code config.outputLayers()} need. */
    public static MistralModel load(Path path, MistralConfig config) throws IOException {
        int layers = config.layersNeeded();
        return load(path, config, layers, layers == config.numLayers());
    }

    /** The weights of the projections (q, k, v, o, gate, up, down): the Linear layers a quantized text encoder converts. */
    public static final Predicate<String> PROJECTIONS = name -> name.endsWith("_proj.weight");

    /**
     * The layers and final norm that {@code config.outputLayers()} need; weights {@code convertedLater} accepts (by
     * text-model name, e.g. {@link #PROJECTIONS} before quantizing) are left to be checked by their conversion.
     */
    public static MistralModel load(Path path, MistralConfig config, Predicate<String> convertedLater) throws IOException {
        int layers = config.layersNeeded();
        return load(path, config, layers, layers == config.numLayers(), convertedLater);
    }

    /** The embedding, the first {@code layers} decoder layers and, if asked, the final norm. */
    public static MistralModel load(Path path, MistralConfig config, int layers, boolean finalNorm) throws IOException {
        return load(path, config, layers, finalNorm, name -> false);
    }

    /**
     * The embedding, the first {@code layers} decoder layers and, if asked, the final norm. Weights holding NaN or
     * infinity are refused, naming the file and the tensors: each mapped weight is scanned in place (its bytes are
     * read once, here) unless {@code convertedLater} accepts its name, as for weights a quantization reads next.
     */
    public static MistralModel load(Path path, MistralConfig config, int layers, boolean finalNorm, Predicate<String> convertedLater) throws IOException {
        if (layers < 0 || layers > config.numLayers())
            throw new IllegalArgumentException("cannot load " + layers + " layers of a " + config.numLayers() + "-layer model");
        TensorSource src = Checkpoints.open(path);
        try {
            Weights w = select(src, config, layers, finalNorm, convertedLater);
            return new MistralModel(config, w, layers, finalNorm, src);
        } catch (RuntimeException | IOException e) {
            src.close();
            throw e;
        }
    }

    private static Weights select(TensorSource src, MistralConfig c, int layers, boolean finalNorm, Predicate<String> convertedLater) throws IOException {
        Map<String, int[]> expected = MistralKeys.expected(c, layers, finalNorm);
        Map<String, String> keyOf = new HashMap<>();
        KeyMatch match = new KeyMatch();
        for (String key : src.names()) {
            String name = MistralKeys.textName(key);
            if (name == null || !name.isEmpty() && !known(name, c)) {
                match.unexpected(key);
                continue;
            }
            if (name.isEmpty()) continue;
            String other = keyOf.putIfAbsent(name, key);
            if (other != null) match.givenTwice(key, other);
        }
        Map<String, Tensor> out = new HashMap<>();
        for (var e : expected.entrySet()) {
            String key = keyOf.get(e.getKey());
            if (key == null) {
                match.missing(e.getKey());
                continue;
            }
            TensorInfo info = src.info(key);
            match.checkShape(key, e.getValue(), Arrays.stream(info.shape()).mapToInt(Math::toIntExact).toArray());
            if (!info.dtype().isFloating()) match.add("unsupported dtypes (floating point only)", key + " (" + info.dtype() + ")");
        }
        match.check("checkpoint " + src.describe() + " does not hold the Mistral text model of the config");
        List<String> nonFinite = new ArrayList<>();
        for (String name : expected.keySet()) {
            Tensor t = src.tensor(keyOf.get(name));
            String bad = convertedLater.test(name) ? null : FiniteCheck.problem(t);
            if (bad != null) nonFinite.add(keyOf.get(name) + ": " + bad);
            out.put(name, t);
        }
        if (!nonFinite.isEmpty())
            throw new IllegalArgumentException(src.describe() + " holds text encoder weights that are not finite numbers (" + nonFinite.size()
                    + " tensors):\n  " + String.join("\n  ", nonFinite));
        return new Weights(out);
    }

    /** Whether a text-model name belongs to the architecture the config describes (any layer, loaded or not). */
    private static boolean known(String name, MistralConfig c) {
        if (name.equals("embed_tokens.weight") || name.equals("norm.weight")) return true;
        int layer = MistralKeys.layerOf(name);
        if (layer < 0 || layer >= c.numLayers()) return false;
        String suffix = name.substring(name.indexOf('.', 7) + 1);
        return Arrays.asList(MistralKeys.LAYER_SUFFIXES).contains(suffix);
    }
}
