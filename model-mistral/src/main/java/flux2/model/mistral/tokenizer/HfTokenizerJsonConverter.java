package flux2.model.mistral.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.io.StrictJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a Tekken vocabulary to the Hugging Face {@code tokenizer.json} form by the rules of the transformers
 * Tekken converter: GPT-2 byte-level strings, id = rank + specials, every split of a token into two tokens as a
 * merge (grouped by the token's rank, within a token by the ranks of its halves), the control tokens as special
 * added tokens, and the Tekken regex as a Split pre-tokenizer.
 */
public final class HfTokenizerJsonConverter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private HfTokenizerJsonConverter() {}

    /** The tokenizer.json tree of a tekken.json file (full or the npm compact form). */
    public static ObjectNode fromTekken(Path tekkenFile) throws IOException {
        JsonNode root = TokenizerFiles.readJson(tekkenFile);
        try {
            return convert(Tokenizers.vocab(root));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tekkenFile + ": " + e.getMessage(), e);
        }
    }

    static ObjectNode convert(TekkenVocab v) {
        String[] specials = v.specials();
        byte[][] ranks = v.ranks();
        int n = specials.length;
        Map<Bpe.ByteKey, Integer> rankOf = new HashMap<>(ranks.length * 2);
        for (int r = 0; r < ranks.length; r++) {
            Integer before = rankOf.putIfAbsent(new Bpe.ByteKey(ranks[r]), r);
            if (before != null) throw new IllegalArgumentException("ranks " + before + " and " + r + " hold the same bytes; tokenizer.json cannot map both");
        }
        char[] byteToChar = ByteLevel.byteToChar();
        String[] text = new String[ranks.length];
        for (int r = 0; r < ranks.length; r++) text[r] = ByteLevel.encode(ranks[r], byteToChar);

        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < n; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", v.pattern());
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);

        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < n; i++) vocab.put(specials[i], i);
        for (int r = 0; r < ranks.length; r++) {
            if (vocab.has(text[r])) throw new IllegalArgumentException("rank " + r + " (" + text[r] + ") has the name of a control token");
            vocab.put(text[r], r + n);
        }
        ArrayNode merges = model.putArray("merges");
        for (int r = 0; r < ranks.length; r++) {
            for (long lr : splits(ranks[r], rankOf)) merges.addArray().add(text[(int) (lr >>> 32)]).add(text[(int) lr]);
        }
        return root;
    }

    /** Every split of a token into two tokens, as (left rank << 32 | right rank), ordered by left then right rank. */
    private static long[] splits(byte[] token, Map<Bpe.ByteKey, Integer> rankOf) {
        List<Long> out = new ArrayList<>();
        for (int s = 1; s < token.length; s++) {
            Integer l = rankOf.get(new Bpe.ByteKey(Arrays.copyOfRange(token, 0, s)));
            if (l == null) continue;
            Integer r = rankOf.get(new Bpe.ByteKey(Arrays.copyOfRange(token, s, token.length)));
            if (r != null) out.add(((long) l << 32) | r);
        }
        long[] a = out.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);  // ranks are non-negative ints, so the packed order is (left, right)
        return a;
    }
}
