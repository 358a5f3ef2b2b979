package flux2.model.mistral.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.util.HashMap;
import java.util.Map;

/**
 * The Hugging Face {@code tokenizer.json} form of Tekken: a byte-level BPE model (GPT-2 byte-to-character map,
 * merges by priority), the control tokens as added tokens with the lowest ids, and a Split(regex) + ByteLevel
 * pre-tokenizer.
 */
final class HfTokenizerJson {
    private HfTokenizerJson() {}

    static TekkenTokenizer parse(JsonNode root) {
        JsonNode model = field(root, "model", JsonNodeType.OBJECT, "");
        JsonNode vocab = field(model, "vocab", JsonNodeType.OBJECT, "model.");
        JsonNode merges = field(model, "merges", JsonNodeType.ARRAY, "model.");
        JsonNode addedTokens = field(root, "added_tokens", JsonNodeType.ARRAY, "");
        for (var it = vocab.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber() || e.getValue().asInt() < 0)
                throw new IllegalArgumentException("model.vocab entry " + e.getKey() + " has id " + e.getValue() + ", expected a non-negative integer");
        }
        for (JsonNode a : addedTokens)
            if (!a.path("id").isIntegralNumber() || !a.path("id").canConvertToInt() || a.path("id").asInt() < 0 || !a.path("content").isTextual())
                throw new IllegalArgumentException("added_tokens entry " + a + " needs a non-negative integer 'id' and a string 'content'");
        if (!"BPE".equals(model.path("type").asText()))
            throw new IllegalArgumentException("tokenizer.json model type is " + model.path("type").asText() + ", only BPE is supported");
        if (!model.path("ignore_merges").asBoolean(false))
            throw new IllegalArgumentException("tokenizer.json BPE without ignore_merges is not the Tekken form");
        String pattern = splitPattern(root.get("pre_tokenizer"));
        int size = 0;
        for (var it = vocab.fields(); it.hasNext(); ) size = Math.max(size, it.next().getValue().asInt() + 1);
        for (JsonNode a : addedTokens) size = Math.max(size, a.get("id").asInt() + 1);
        // Control tokens: the special added tokens, which must be ids 0..n-1.
        Map<Integer, String> added = new HashMap<>();
        for (JsonNode a : addedTokens) if (a.path("special").asBoolean()) added.put(a.get("id").asInt(), a.get("content").asText());
        int n = 0;
        while (added.containsKey(n)) n++;
        if (n != added.size()) throw new IllegalArgumentException("special added tokens must take ids 0.." + (added.size() - 1) + " (Tekken layout)");
        String[] specials = new String[n];
        for (int i = 0; i < n; i++) specials[i] = added.get(i);

        int[] charToByte = ByteLevel.charToByte();
        byte[][] bytes = new byte[size][];
        Map<Bpe.ByteKey, Integer> idOf = new HashMap<>(size * 2);
        Map<String, Integer> idOfString = new HashMap<>(size * 2);
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt();
            idOfString.put(e.getKey(), id);
            if (id < n) continue;
            bytes[id] = ByteLevel.decode(e.getKey(), charToByte);
            idOf.putIfAbsent(new Bpe.ByteKey(bytes[id]), id);
        }
        Map<Long, long[]> pairs = new HashMap<>(merges.size() * 2);
        int priority = 0;
        for (JsonNode m : merges) {
            String l, r;
            if (m.isArray() && m.size() == 2) {
                l = m.get(0).asText();
                r = m.get(1).asText();
            } else {
                String[] lr = m.asText().split(" ", 2);
                if (!m.isTextual() || lr.length != 2)
                    throw new IllegalArgumentException("merge " + priority + " is " + m + ", expected \"left right\" or [left, right]");
                l = lr[0];
                r = lr[1];
            }
            Integer li = idOfString.get(l), ri = idOfString.get(r), mi = idOfString.get(l + r);
            if (li == null || ri == null || mi == null)
                throw new IllegalArgumentException("merge " + priority + " (" + l + " " + r + ") names a token missing from the vocab");
            pairs.putIfAbsent(Bpe.pairKey(li, ri), new long[]{priority, mi});
            priority++;
        }
        for (int i = n; i < size; i++) if (bytes[i] == null) throw new IllegalArgumentException("no vocab entry for id " + i);
        return new TekkenTokenizer(specials, bytes, pattern, new Bpe(idOf, pairs));
    }

    /** The field of a JSON object, of the given kind, or an error naming it ({@code where} is the path of the object). */
    private static JsonNode field(JsonNode parent, String name, JsonNodeType kind, String where) {
        JsonNode n = parent.get(name);
        if (n == null || n.getNodeType() != kind)
            throw new IllegalArgumentException("tokenizer.json '" + where + name + "' must be a JSON " + kind.name().toLowerCase(java.util.Locale.ROOT)
                    + (n == null ? ", it is missing" : ", got " + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        return n;
    }

    /** The regex of the Split pre-tokenizer; its ByteLevel step must not add a regex or a prefix space of its own. */
    private static String splitPattern(JsonNode pre) {
        if (pre == null) throw new IllegalArgumentException("tokenizer.json has no pre_tokenizer");
        Iterable<JsonNode> steps = "Sequence".equals(pre.path("type").asText()) ? field(pre, "pretokenizers", JsonNodeType.ARRAY, "pre_tokenizer.") : java.util.List.of(pre);
        String pattern = null;
        for (JsonNode s : steps) {
            switch (s.path("type").asText()) {
                case "Split" -> {
                    if (!"Isolated".equals(s.path("behavior").asText()) || s.path("invert").asBoolean())
                        throw new IllegalArgumentException("only a non-inverted Isolated Split pre-tokenizer is supported");
                    pattern = s.path("pattern").path("Regex").asText(null);
                }
                case "ByteLevel" -> {
                    if (s.path("use_regex").asBoolean(true) || s.path("add_prefix_space").asBoolean(false))
                        throw new IllegalArgumentException("ByteLevel pre-tokenizer with its own regex or prefix space is not the Tekken form");
                }
                default -> throw new IllegalArgumentException("unsupported pre-tokenizer " + s.path("type").asText());
            }
        }
        if (pattern == null) throw new IllegalArgumentException("tokenizer.json pre_tokenizer has no Split regex");
        return pattern;
    }
}
