package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.mistral.FluxPromptTokenizer;
import flux2.model.mistral.FluxTextEmbedder;
import flux2.model.mistral.MistralConfig;
import flux2.model.mistral.MistralModel;
import flux2.model.mistral.tokenizer.TekkenTokenizer;
import flux2.model.mistral.tokenizer.Tokenizers;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times the FLUX.2 text embedding of one prompt on a reduced-depth, full-width Mistral-Small-3 (random BF16
 * weights), per real token, and optionally the Tekken tokenizer's speed; prints one JSON line.
 */
@Command(name = "mistral", mixinStandardHelpOptions = true,
        description = "Time the FLUX.2 text embedder on a reduced-depth full-width Mistral (random weights) and print one JSON line.")
public final class BenchMistralCommand implements Callable<Integer> {
    @Option(names = "--layers", description = "Decoder layers of the real width (default ${DEFAULT-VALUE}).", defaultValue = "4")
    int layers;
    @Option(names = "--real-tokens", description = "Real (non-pad) tokens of the prompt, template included (default ${DEFAULT-VALUE}).", defaultValue = "64")
    int realTokens;
    @Option(names = "--runs", description = "Timed encodes after the first; the best counts (default ${DEFAULT-VALUE}).", defaultValue = "2")
    int runs;
    @Option(names = "--tokenizer", description = "A tekken.json / tokenizer.json to time the tokenizer with (optional).")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        if (layers < 1 || realTokens < 1 || realTokens > FluxPromptTokenizer.LENGTH || runs < 1)
            throw new IllegalArgumentException("--layers and --runs must be positive and --real-tokens within 1.." + FluxPromptTokenizer.LENGTH);
        MistralConfig full = MistralConfig.mistralSmall3();
        int[] outputs = {Math.max(1, layers / 3), Math.max(1, 2 * layers / 3), layers};
        MistralConfig cfg = new MistralConfig(full.vocabSize(), full.hiddenSize(), layers, full.numHeads(), full.numKvHeads(),
                full.headDim(), full.intermediateSize(), full.rmsNormEps(), full.ropeTheta(), outputs, full.padTokenId());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", "mistral");
        json.put("layers", layers);
        json.put("hidden", cfg.hiddenSize());
        json.put("real_tokens", realTokens);
        try (TensorArena weights = TensorArena.open("bench-mistral-weights")) {
            long t0 = System.nanoTime();
            MistralModel model = MistralModel.of(cfg, randomWeights(cfg), layers, false);
            json.put("weights_s", round((System.nanoTime() - t0) / 1e9));
            int l = FluxPromptTokenizer.LENGTH;
            long[] ids = new long[l], mask = new long[l];
            for (int i = 0; i < l; i++) {
                boolean real = i >= l - realTokens;
                ids[i] = real ? 1000 + (i * 7919L) % 100000 : cfg.padTokenId();
                mask[i] = real ? 1 : 0;
            }
            try (FluxTextEmbedder embedder = new FluxTextEmbedder(model)) {
                Tensor idt = Tensor.ofLongs(ids, 1, l), mt = Tensor.ofLongs(mask, 1, l);
                double first = time(() -> embedder.embed(idt, mt));
                double best = Double.POSITIVE_INFINITY;
                for (int r = 0; r < runs; r++) best = Math.min(best, time(() -> embedder.embed(idt, mt)));
                json.put("first_encode_s", round(first));
                json.put("encode_s", round(best));
                json.put("ms_per_real_token", round(best * 1000 / realTokens));
                json.put("ms_per_real_token_per_layer", round(best * 1000 / realTokens / layers));
            }
        }
        if (tokenizer != null) tokenizerSpeed(json);
        System.out.println(new ObjectMapper().writeValueAsString(json));
        return 0;
    }

    private static double time(Runnable r) {
        try (TensorArena a = TensorArena.open("bench-mistral-step")) {
            long t0 = System.nanoTime();
            r.run();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** Tokens per second of the FLUX.2 prompt path over a mixed-script text. */
    private void tokenizerSpeed(Map<String, Object> json) throws Exception {
        long t0 = System.nanoTime();
        TekkenTokenizer t = Tokenizers.read(tokenizer);
        json.put("tokenizer_load_s", round((System.nanoTime() - t0) / 1e9));
        String text = ("A cinematic shot of Zürich at night — neon signs read \"ÖFFNUNGSZEITEN 24/7\", rain, 35mm film grain. "
                + "two cats\nsitting on a windowsill looking at 3 birds; 日本の桜の木の下で本を読む少女、水彩画 🦊 ").repeat(20);
        int tokens = 0;
        long end = System.nanoTime() + 2_000_000_000L, start = System.nanoTime();
        do tokens += t.encode(text, true).length; while (System.nanoTime() < end);
        json.put("tokenizer_tokens_per_s", Math.round(tokens / ((System.nanoTime() - start) / 1e9)));
    }

    /** BF16 weights uniform in +-1/sqrt(fan-in) (norm weights near 1), filled without an F32 copy. */
    private static Map<String, Tensor> randomWeights(MistralConfig c) {
        Map<String, Tensor> out = new HashMap<>();
        long seed = 42;
        for (String name : names(c)) {
            int[] shape = shape(c, name);
            Tensor t = Tensor.zeros(DType.BF16, shape);
            double scale = shape.length == 1 ? 0.1 : 1 / Math.sqrt(shape[1]);
            double offset = shape.length == 1 ? 1 : 0;
            long n = t.numel(), x = seed++ * 0x9E3779B97F4A7C15L + 1;
            var seg = t.segment();
            for (long i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                float v = (float) (offset + scale * ((x >>> 40) / (double) (1L << 24) * 2 - 1));
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
            out.put(name, t);
        }
        return out;
    }

    private static List<String> names(MistralConfig c) {
        List<String> out = new java.util.ArrayList<>(List.of("embed_tokens.weight"));
        for (int i = 0; i < c.numLayers(); i++)
            for (String s : List.of("input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                    "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"))
                out.add("layers." + i + "." + s);
        return out;
    }

    private static int[] shape(MistralConfig c, String name) {
        int h = c.hiddenSize(), q = c.numHeads() * c.headDim(), kv = c.numKvHeads() * c.headDim(), f = c.intermediateSize();
        if (name.equals("embed_tokens.weight")) return new int[]{c.vocabSize(), h};
        if (name.endsWith("norm.weight")) return new int[]{h};
        if (name.endsWith("q_proj.weight")) return new int[]{q, h};
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) return new int[]{kv, h};
        if (name.endsWith("o_proj.weight")) return new int[]{h, q};
        if (name.endsWith("down_proj.weight")) return new int[]{h, f};
        return new int[]{f, h};
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }
}
