package flux2.trainer.models;

import flux2.autograd.nn.Module;
import flux2.model.flux2.Flux2Checkpoint;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.mistral.FluxPromptTokenizer;
import flux2.model.mistral.FluxTextEmbedder;
import flux2.model.mistral.MistralCheckpoint;
import flux2.model.mistral.MistralConfig;
import flux2.model.mistral.MistralModel;
import flux2.model.mistral.tokenizer.TokenizerFiles;
import flux2.model.mistral.tokenizer.Tokenizers;
import flux2.model.vae.AutoEncoder;
import flux2.quant.Precision;
import flux2.quant.QuantScheme;
import flux2.quant.Quantizer;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.trainer.config.ModelLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Opens the parts of a located base model: the transformer, the VAE and the text embedder (Mistral + tokenizer). */
public final class ModelParts {
    private ModelParts() {}

    /**
     * A transformer over a mapped checkpoint, with the Linear layers quantized by its precision (by name; empty when
     * none); closing it unmaps the file and frees its arena.
     */
    public record Transformer(Flux2Transformer model, TensorSource source, TensorArena arena, Map<String, QuantScheme> quantized)
            implements AutoCloseable {
        @Override
        public void close() {
            arena.close();
            source.close();
        }
    }

    /** A text embedder with its Mistral model and its quantized layers (by name; empty when none); closing frees all. */
    public record TextEncoder(FluxTextEmbedder embedder, MistralModel model, TensorArena quantArena, Map<String, QuantScheme> quantized)
            implements AutoCloseable {
        @Override
        public void close() {
            embedder.close();
            model.close();
            quantArena.close();
        }
    }

    /** The transformer config of a diffusers folder's config.json, else FLUX.2-dev's (official single files carry none). */
    public static Flux2Config transformerConfig(Path transformer) throws IOException {
        Path json = Files.isDirectory(transformer) ? transformer.resolve("config.json") : null;
        if (json == null || !Files.isRegularFile(json)) return Flux2Config.dev();
        try {
            return Flux2Config.fromDiffusersJson(Files.readString(json));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(json + ": " + e.getMessage(), e);
        }
    }

    /** Loads the transformer, its weights staying views of the mapped file. */
    public static Transformer transformer(ModelLocation loc) throws IOException {
        return transformer(loc, false);
    }

    /** Loads the transformer; with {@code copy} its weights are copied into the model's own F32 parameters (for training them). */
    public static Transformer transformer(ModelLocation loc, boolean copy) throws IOException {
        return transformer(loc, copy, "no_change");
    }

    /**
     * Loads the transformer and applies {@code precision} (base_model_precision: int8 and int4 quantize every Linear
     * layer). Weights holding NaN or infinity are refused naming the file and the tensor; each is checked where it is
     * read anyway (in place when it stays mapped, after copying, or row by row while quantized), so a mapped
     * checkpoint is read once.
     */
    public static Transformer transformer(ModelLocation loc, boolean copy, String precision) throws IOException {
        Flux2Config c = transformerConfig(loc.transformer());
        TensorSource src = Checkpoints.open(loc.transformer());
        TensorArena arena = TensorArena.create("transformer");
        try {
            Flux2Transformer m = new Flux2Transformer(c, DType.F32, arena);
            Set<String> quantizedLater = new HashSet<>();
            if (Precision.parse(precision).quantized())
                for (String layer : Quantizer.linears(m).keySet()) quantizedLater.add(layer + ".weight");
            Flux2Checkpoint.load(m, src, arena, copy, quantizedLater::contains);
            return new Transformer(m, src, arena, quantize(precision, m, arena, src.describe()));
        } catch (RuntimeException e) {
            arena.close();
            src.close();
            throw e;
        }
    }

    /** Quantizes every Linear layer of {@code model} as {@code precision} says, naming {@code file} in a refusal. */
    private static Map<String, QuantScheme> quantize(String precision, Module model, TensorArena arena, String file) {
        try {
            return Precision.apply(precision, model, name -> true, arena);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Maps the VAE. */
    public static AutoEncoder vae(ModelLocation loc) throws IOException {
        return AutoEncoder.load(loc.vae());
    }

    /** The Mistral config of the text encoder folder (config.json; a Mistral3 config's text_config is used). */
    public static MistralConfig textConfig(ModelLocation loc) throws IOException {
        Path json = Files.isDirectory(loc.textEncoder()) ? loc.textEncoder().resolve("config.json") : null;
        if (json == null || !Files.isRegularFile(json))
            throw new IOException("no config.json next to the text encoder weights at " + loc.textEncoder());
        return MistralConfig.read(json);
    }

    /** The tokenizer file of a tokenizer folder: tekken.json, else tokenizer.json. */
    public static Path tokenizerFile(ModelLocation loc) throws IOException {
        for (String n : new String[]{"tekken.json", "tokenizer.json"}) {
            Path p = loc.tokenizer().resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IOException("no tekken.json or tokenizer.json in " + loc.tokenizer());
    }

    /** The tokenizer folder's optional Hugging Face settings file, read for model_max_length. */
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    /**
     * The prompt length: FLUX.2's 512, or the tokenizer's model_max_length when that is smaller (a miniature model
     * with short prompts; Mistral's own files give a huge value, so the real model keeps 512).
     */
    public static int promptLength(ModelLocation loc) throws IOException {
        Path f = loc.tokenizer().resolve(TOKENIZER_CONFIG);
        if (!Files.isRegularFile(f)) return FluxPromptTokenizer.LENGTH;
        var root = TokenizerFiles.readJson(f);
        if (!root.isObject()) throw new IOException(f + ": expected a JSON object of tokenizer settings");
        var n = root.get("model_max_length");
        if (n == null || n.isNull()) return FluxPromptTokenizer.LENGTH;
        if (!n.isNumber() || n.asDouble() < 1)
            throw new IOException(f + ": model_max_length must be a positive number, got " + n);
        return n.asDouble() < FluxPromptTokenizer.LENGTH ? n.asInt() : FluxPromptTokenizer.LENGTH;
    }

    /** Loads the layers of the text encoder the FLUX.2 embedding needs, and the tokenizer. */
    public static TextEncoder textEncoder(ModelLocation loc) throws IOException {
        return textEncoder(loc, "no_change");
    }

    /**
     * Loads the text encoder with {@code precision} applied (text_encoder_1_precision); weights holding NaN or infinity
     * are refused naming the file and the tensor, each checked where it is read anyway (see {@link #transformer}).
     */
    public static TextEncoder textEncoder(ModelLocation loc, String precision) throws IOException {
        MistralConfig c = textConfig(loc);
        FluxPromptTokenizer tok = new FluxPromptTokenizer(Tokenizers.read(tokenizerFile(loc)), promptLength(loc));
        boolean quantized = Precision.parse(precision).quantized();
        MistralModel m = MistralCheckpoint.load(loc.textEncoder(), c, quantized ? MistralCheckpoint.PROJECTIONS : name -> false);
        TensorArena q = TensorArena.create("text-encoder-quantized");
        try {
            return new TextEncoder(new FluxTextEmbedder(m, tok), m, q, quantize(precision, m, q, loc.textEncoder().toString()));
        } catch (RuntimeException e) {
            q.close();
            m.close();
            throw e;
        }
    }
}
