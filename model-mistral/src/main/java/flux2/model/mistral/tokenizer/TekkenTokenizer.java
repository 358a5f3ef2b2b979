package flux2.model.mistral.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Tekken tokenizer of Mistral models: ids 0..specials-1 are control tokens, the rest byte-level BPE tokens.
 * Text is split by the Tekken regex (Unicode classes) and each piece is BPE-encoded. With special handling on,
 * special-token strings in the text are matched first (longest at the leftmost position), as the Hugging Face
 * tokenizer matches its added tokens.
 */
public final class TekkenTokenizer {
    private final String[] specials;
    private final Map<String, Integer> specialIds = new HashMap<>();
    private final byte[][] tokenBytes;  // by id; null for specials
    private final Pattern split;
    private final Map<Character, String[]> specialsByFirstChar = new HashMap<>();  // longest first
    private final Bpe bpe;

    TekkenTokenizer(String[] specials, byte[][] tokenBytes, String pattern, Bpe bpe) {
        this.specials = specials.clone();
        this.tokenBytes = tokenBytes;
        this.bpe = bpe;
        for (int i = 0; i < specials.length; i++) specialIds.putIfAbsent(specials[i], i);
        // Java's \s, \w and friends are ASCII-only unless UNICODE_CHARACTER_CLASS is set; the reference regexes
        // (Rust regex / tiktoken) use Unicode classes.
        this.split = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
        // Candidates grouped by first character, so scanning text costs one map probe per character.
        String[] sorted = specials.clone();
        Arrays.sort(sorted, Comparator.comparingInt(String::length).reversed());
        Map<Character, List<String>> groups = new HashMap<>();
        for (String s : sorted) if (!s.isEmpty()) groups.computeIfAbsent(s.charAt(0), k -> new ArrayList<>()).add(s);
        groups.forEach((c, list) -> specialsByFirstChar.put(c, list.toArray(String[]::new)));
    }

    /** Number of ids (control tokens included). */
    public int vocabSize() { return tokenBytes.length; }

    public int numSpecialTokens() { return specials.length; }

    /** Id of a control token such as {@code <s>} or {@code [INST]}. */
    public int specialId(String name) {
        Integer id = specialIds.get(name);
        if (id == null) throw new IllegalArgumentException("no special token " + name + " in this vocabulary");
        return id;
    }

    /** The pre-tokenizer regex. */
    public String pattern() { return split.pattern(); }

    /**
     * Token ids of text; with {@code parseSpecials}, special-token strings become their control ids, otherwise they
     * are plain text.
     */
    public int[] encode(String text, boolean parseSpecials) {
        Bpe.IntList out = new Bpe.IntList();
        if (!parseSpecials) {
            encodeOrdinary(text, out);
            return out.toArray();
        }
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            String[] candidates = specialsByFirstChar.get(text.charAt(i));
            if (candidates == null) continue;
            for (String s : candidates) {
                if (text.startsWith(s, i)) {
                    encodeOrdinary(text.substring(from, i), out);
                    out.add(specialIds.get(s));
                    from = i + s.length();
                    i = from - 1;
                    break;
                }
            }
        }
        encodeOrdinary(text.substring(from), out);
        return out.toArray();
    }

    /** Regex split (text between matches kept as pieces too) and BPE of each piece. */
    private void encodeOrdinary(String text, Bpe.IntList out) {
        if (text.isEmpty()) return;
        Matcher m = split.matcher(text);
        int from = 0;
        while (m.find()) {
            if (m.start() > from) bpe.encode(text.substring(from, m.start()).getBytes(StandardCharsets.UTF_8), out);
            if (m.end() > m.start()) bpe.encode(m.group().getBytes(StandardCharsets.UTF_8), out);
            from = m.end();
        }
        if (from < text.length()) bpe.encode(text.substring(from).getBytes(StandardCharsets.UTF_8), out);
    }

    /** Text of ids: control tokens by name, the rest as UTF-8 bytes (invalid sequences replaced). */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokenBytes.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary");
            if (id < specials.length) {
                sb.append(bytes.toString(StandardCharsets.UTF_8)).append(specials[id]);
                bytes.reset();
            } else {
                bytes.writeBytes(tokenBytes[id]);
            }
        }
        return sb.append(bytes.toString(StandardCharsets.UTF_8)).toString();
    }
}
