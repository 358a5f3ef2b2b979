package flux2.trainer.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.mistral.MistralConfig;
import flux2.model.mistral.tokenizer.Tokenizers;
import flux2.model.vae.VaeConfig;
import flux2.trainer.config.ModelLocation;
import flux2.examples.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model's JSON files with content after their JSON value are refused naming the file; every JSON reader is strict. */
class StrictJsonFilesTest {
    @TempDir Path dir;

    static void appendTo(Path file, String tail) throws Exception {
        Files.writeString(file, Files.readString(file) + tail);
    }

    static void assertNamed(Exception e, Path file) {
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("content after the JSON value"), e.getMessage());
    }

    @Test
    void modelConfigAndTokenizerFilesWithTrailingContentAreRefused() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        ModelLocation loc = new ModelLocation(model.toString(), model.resolve("transformer"), model.resolve("vae"), model.resolve("text_encoder"),
                model.resolve("tokenizer"));
        assertEquals(TinyModel.transformerConfig(), ModelParts.transformerConfig(loc.transformer()));
        Path tr = model.resolve("transformer/config.json"), vae = model.resolve("vae/config.json"), te = model.resolve("text_encoder/config.json");
        Path tok = ModelParts.tokenizerFile(loc), tokCfg = model.resolve("tokenizer/" + ModelParts.TOKENIZER_CONFIG);
        Files.writeString(tokCfg, "{\"model_max_length\": 48}");
        assertEquals(48, ModelParts.promptLength(loc));
        for (Path f : List.of(tr, vae, te, tok, tokCfg)) appendTo(f, " {\"num_layers\": 1}");
        assertNamed(assertThrows(IllegalArgumentException.class, () -> ModelParts.transformerConfig(loc.transformer())), tr);
        assertNamed(assertThrows(IllegalArgumentException.class, () -> VaeConfig.forCheckpoint(loc.vae())), vae);
        assertNamed(assertThrows(IllegalArgumentException.class, () -> MistralConfig.read(te)), te);
        assertNamed(assertThrows(java.io.IOException.class, () -> Tokenizers.read(tok)), tok);
        assertNamed(assertThrows(java.io.IOException.class, () -> ModelParts.promptLength(loc)), tokCfg);
    }

    /** A source file that parses JSON goes through StrictJson (or enables FAIL_ON_TRAILING_TOKENS itself). */
    @Test
    void everyJsonReaderOfTheProgramRefusesTrailingContent() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> lax = new ArrayList<>();
        int readers = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/java/")).toList()) {
                String text = Files.readString(p);
                if (!text.contains("readTree(") && !text.contains("readValue(")) continue;
                readers++;
                if (!text.contains("StrictJson") && !text.contains("ConfigJson") && !text.contains("FAIL_ON_TRAILING_TOKENS"))
                    lax.add(root.relativize(p).toString());
            }
        }
        assertTrue(readers >= 10, "found the readers: " + readers);
        assertEquals(List.of(), lax, "JSON readers that would ignore content after the value");
    }
}
