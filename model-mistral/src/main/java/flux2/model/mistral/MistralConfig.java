package flux2.model.mistral;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.tensor.io.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hyperparameters of the Mistral text decoder, read from a Hugging Face {@code config.json} (the
 * {@code text_config} of Mistral3 or a plain Mistral config) or from a golden file's metadata.
 *
 * @param headDim      explicit per-head width (128 for Mistral-Small-3, not hidden / heads)
 * @param outputLayers hidden-state indices FLUX.2 concatenates (10, 20, 30 for FLUX.2-dev)
 */
public record MistralConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                            int intermediateSize, double rmsNormEps, double ropeTheta, int[] outputLayers, int padTokenId) {

    /** The text model of Mistral-Small-3.1/3.2-24B as FLUX.2-dev uses it. */
    public static MistralConfig mistralSmall3() {
        return new MistralConfig(131072, 5120, 40, 32, 8, 128, 32768, 1e-5, 1e9, new int[]{10, 20, 30}, 11);
    }

    public MistralConfig {
        List<String> bad = new ArrayList<>();
        if (vocabSize <= 0) bad.add("vocab_size must be positive, got " + vocabSize);
        if (hiddenSize <= 0) bad.add("hidden_size must be positive, got " + hiddenSize);
        if (numLayers <= 0) bad.add("num_hidden_layers must be positive, got " + numLayers);
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0)
            bad.add("num_attention_heads (" + numHeads + ") must be a positive multiple of num_key_value_heads (" + numKvHeads + ")");
        if (headDim <= 0 || headDim % 2 != 0) bad.add("head_dim must be positive and even, got " + headDim);
        if (intermediateSize <= 0) bad.add("intermediate_size must be positive, got " + intermediateSize);
        if (!(rmsNormEps > 0)) bad.add("rms_norm_eps must be positive, got " + rmsNormEps);
        if (!(ropeTheta > 0)) bad.add("rope_theta must be positive, got " + ropeTheta);
        if (outputLayers == null || outputLayers.length == 0) bad.add("output_layers must name at least one hidden state");
        else for (int k : outputLayers)
            if (k < 0 || k > numLayers) bad.add("output layer " + k + " is outside 0.." + numLayers);
        if (padTokenId < 0 || padTokenId >= vocabSize) bad.add("pad_token_id " + padTokenId + " is outside the vocabulary");
        if (!bad.isEmpty()) throw new IllegalArgumentException("bad Mistral config: " + String.join("; ", bad));
        outputLayers = outputLayers.clone();
    }

    @Override public int[] outputLayers() { return outputLayers.clone(); }

    /** Width of the FLUX.2 prompt embedding: one hidden state per output layer. */
    public int embedWidth() { return outputLayers.length * hiddenSize; }

    /** Decoder layers needed to produce every output layer. */
    public int layersNeeded() {
        int m = 0;
        for (int k : outputLayers) m = Math.max(m, k);
        return m;
    }

    /** The same model with other output layers. */
    public MistralConfig withOutputLayers(int... layers) {
        return new MistralConfig(vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize,
                rmsNormEps, ropeTheta, layers, padTokenId);
    }

    /** Reads a {@code config.json} file. */
    public static MistralConfig read(Path configJson) throws IOException {
        try {
            return parse(Files.readString(configJson));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses config JSON: a Mistral3 config (its {@code text_config} is used), a plain Mistral config, or golden
     * metadata. {@code output_layers} and {@code pad_token_id} default to FLUX.2-dev's choice (10, 20, 30; 11)
     * where absent; a missing {@code head_dim} means hidden / heads as in transformers.
     */
    public static MistralConfig parse(String json) {
        JsonNode root;
        try {
            root = StrictJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("config: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? StrictJson.describe(j) : e.getMessage()), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("config must be a JSON object");
        JsonNode c = root.has("text_config") ? root.get("text_config") : root;
        List<String> missing = new ArrayList<>();
        int vocab = intField(c, "vocab_size", missing), hidden = intField(c, "hidden_size", missing);
        int layers = intField(c, "num_hidden_layers", missing), heads = intField(c, "num_attention_heads", missing);
        int kv = c.hasNonNull("num_key_value_heads") ? c.get("num_key_value_heads").asInt() : heads;
        int inter = intField(c, "intermediate_size", missing);
        double eps = c.hasNonNull("rms_norm_eps") ? c.get("rms_norm_eps").asDouble() : 1e-6;
        double theta = ropeTheta(c, missing);
        if (!missing.isEmpty()) throw new IllegalArgumentException("config lacks " + String.join(", ", missing));
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
        int[] out = {10, 20, 30};
        JsonNode ol = c.hasNonNull("output_layers") ? c.get("output_layers") : root.get("output_layers");
        if (ol != null && ol.isArray()) {
            out = new int[ol.size()];
            for (int i = 0; i < out.length; i++) out[i] = ol.get(i).asInt();
        }
        int pad = c.hasNonNull("pad_token_id") ? c.get("pad_token_id").asInt() : 11;
        return new MistralConfig(vocab, hidden, layers, heads, kv, headDim, inter, eps, theta, out, pad);
    }

    private static int intField(JsonNode c, String name, List<String> missing) {
        if (!c.hasNonNull(name)) {
            missing.add(name);
            return 0;
        }
        return c.get(name).asInt();
    }

    /** rope_theta at top level (transformers < 5) or in rope_parameters; only the default RoPE type exists here. */
    private static double ropeTheta(JsonNode c, List<String> missing) {
        JsonNode rp = c.hasNonNull("rope_parameters") ? c.get("rope_parameters") : c.get("rope_scaling");
        if (rp != null && rp.isObject()) {
            String type = rp.has("rope_type") ? rp.get("rope_type").asText() : rp.path("type").asText("default");
            if (!type.equals("default"))
                throw new IllegalArgumentException("rope type '" + type + "' is not supported (only the default RoPE)");
            if (rp.hasNonNull("rope_theta")) return rp.get("rope_theta").asDouble();
        }
        if (c.hasNonNull("rope_theta")) return c.get("rope_theta").asDouble();
        missing.add("rope_theta");
        return 0;
    }
}
