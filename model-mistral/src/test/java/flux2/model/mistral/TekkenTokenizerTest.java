package flux2.model.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.mistral.tokenizer.TekkenTokenizer;
import flux2.model.mistral.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tekken BPE on a small hand-made vocabulary: rank order, Unicode whitespace, specials, truncation and padding. */
class TekkenTokenizerTest {
    @TempDir Path dir;

    private static final String PATTERN = "[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?[\\\\p{Lu}\\\\p{Lt}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]*[\\\\p{Ll}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]+"
            + "|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?[\\\\p{Lu}\\\\p{Lt}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]+[\\\\p{Ll}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]*|\\\\p{N}"
            + "| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n/]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";

    /** A compact-form file with 256 byte ranks, then the given merged tokens, and 20 special ids. */
    private TekkenTokenizer tokenizer(String... merged) throws Exception {
        byte[][] b = new byte[merged.length][];
        for (int i = 0; i < b.length; i++) b[i] = merged[i].getBytes(StandardCharsets.UTF_8);
        return tokenizer(b);
    }

    private TekkenTokenizer tokenizer(byte[]... merged) throws Exception {
        List<String> ranks = new ArrayList<>();
        for (int b = 0; b < 256; b++) ranks.add(Base64.getEncoder().encodeToString(new byte[]{(byte) b}));
        for (byte[] m : merged) ranks.add(Base64.getEncoder().encodeToString(m));
        String json = "{\"config\": {\"pattern\": \"" + PATTERN + "\", \"default_vocab_size\": " + (ranks.size() + 20)
                + ", \"default_num_special_tokens\": 20, \"version\": \"v3\"}, \"bpe_ranks\": \"! 0 " + String.join(" ", ranks) + "\"}";
        Path f = dir.resolve("t.json");
        Files.writeString(f, json);
        return Tokenizers.read(f);
    }

    @Test
    void mergesByRankAndKeepsWholeTokens() throws Exception {
        // ranks after the bytes: 256 "ab", 257 "bc", 258 "abc", 259 " a"; id = rank + 20
        TekkenTokenizer t = tokenizer("ab", "bc", "abc", " a");
        int ab = 20 + 256, abc = 20 + 258;
        assertArrayEquals(new int[]{abc}, t.encode("abc", false));
        assertArrayEquals(new int[]{ab, 20 + 'b'}, t.encode("abb", false));
        // "ab" (rank 256) merges before " a" (rank 259), and " ab" is no token.
        assertArrayEquals(new int[]{20 + ' ', ab}, t.encode(" ab", false));
        assertEquals(" ab", t.decode(t.encode(" ab", false)));
    }

    @Test
    void unicodeWhitespaceAndDigitsSplitLikeTheReference() throws Exception {
        // U+3000 (ideographic space, UTF-8 E3 80 80) is \s to the reference regex engines, so "a\u3000\u3000b" splits
        // as "a", "\u3000", "\u3000b"; with Java's ASCII-only \s it would split as "a", "\u3000\u3000", "b".
        byte e3 = (byte) 0xE3, x80 = (byte) 0x80;
        TekkenTokenizer t = tokenizer(new byte[]{e3, x80}, new byte[]{e3, x80, x80}, new byte[]{e3, x80, x80, 'b'});
        int space = 20 + 257, spaceB = 20 + 258;
        assertArrayEquals(new int[]{20 + 'a', space, spaceB}, t.encode("a\u3000\u3000b", false));
        // Digits are split one per piece.
        assertArrayEquals(new int[]{20 + ' ', 20 + '1', 20 + '2'}, t.encode(" 12", false));
    }

    @Test
    void specialsParsedOnlyWhenAsked() throws Exception {
        TekkenTokenizer t = tokenizer(new String[0]);
        assertArrayEquals(new int[]{20 + 'x', 3, 20 + 'y'}, t.encode("x[INST]y", true));
        assertTrue(t.encode("x[INST]y", false).length > 3);
        assertEquals(11, t.specialId("<pad>"));
        assertThrows(IllegalArgumentException.class, () -> t.specialId("[NOPE]"));
    }

    @Test
    void fluxRenderingTruncatesAndLeftPads() throws Exception {
        TekkenTokenizer t = tokenizer(new String[0]);
        var flux = new FluxPromptTokenizer(t, 200);
        var tok = flux.tokenize(List.of("hi [IMG]there", "z".repeat(300)));
        int[] a = tok.ids()[0];
        int real = 0;
        for (int m : tok.attentionMask()[0]) real += m;
        assertEquals(11, a[0]);
        assertEquals(1, a[200 - real]);   // <s> right after the pads
        assertEquals(4, a[199]);          // [/INST] last
        assertEquals(t.encode(FluxPromptTokenizer.render("hi there"), true).length, real);
        // The long prompt is cut to the first 200 ids: no padding, <s> first, [/INST] lost.
        assertEquals(1, tok.ids()[1][0]);
        assertEquals(20 + 'z', tok.ids()[1][199]);
        for (int m : tok.attentionMask()[1]) assertEquals(1, m);
    }

    @Test
    void badFilesSayWhy() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"config\": {\"pattern\": \"x\", \"default_vocab_size\": 5000, \"default_num_special_tokens\": 1000}, \"bpe_ranks\": \"! 0 AA==\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(f));
        assertTrue(e.getMessage().contains("needs 4000 ranks, the file holds 1"), e.getMessage());
        Files.writeString(f, "{\"something\": 1}");
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(f));
        assertTrue(e.getMessage().contains("not a tekken.json or tokenizer.json"), e.getMessage());
    }
}
