package flux2.model.mistral.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken tokenizer files: every message names the file and what is wrong where. */
class TokenizerFilesTest {
    @TempDir Path dir;

    private static final String TEKKEN = """
            {"config": {"pattern": "[a-z]+| ", "default_vocab_size": 259, "default_num_special_tokens": 3},
             "vocab": [%s]}""";

    private Path tekken(String vocab) throws IOException {
        StringBuilder v = new StringBuilder();
        for (int b = 0; b < 256; b++)
            v.append(b == 0 ? "" : ",").append("{\"rank\": ").append(b).append(", \"token_bytes\": \"")
                    .append(java.util.Base64.getEncoder().encodeToString(new byte[]{(byte) b})).append("\"}");
        Path f = dir.resolve("tekken.json");
        Files.writeString(f, TEKKEN.formatted(vocab == null ? v : vocab));
        return f;
    }

    private static void assertNames(Exception e, Path f, String... parts) {
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void aValidFileReads() throws IOException {
        assertEquals(259, Tokenizers.read(tekken(null)).vocabSize());
    }

    @Test
    void syntaxErrorsGiveTheFileLineAndColumn() throws IOException {
        Path f = tekken(null);
        Files.writeString(f, Files.readString(f).substring(0, 300));
        assertNames(assertThrows(IOException.class, () -> Tokenizers.read(f)), f, "not valid JSON at line 2, column 205");
        Files.writeString(f, "");
        assertNames(assertThrows(IOException.class, () -> Tokenizers.read(f)), f, "empty file");
        Path cfg = dir.resolve("tokenizer_config.json");
        Files.writeString(cfg, "{\"model_max_length\": 48,}");
        assertNames(assertThrows(IOException.class, () -> TokenizerFiles.readJson(cfg)), cfg, "not valid JSON at line 1, column 25");
        assertNames(assertThrows(IOException.class, () -> TokenizerFiles.readJson(dir.resolve("none.json"))), dir.resolve("none.json"), "no such file");
    }

    @Test
    void otherEncodingsAreNamed() throws IOException {
        Path f = tekken(null);
        Files.write(f, ("\uFEFF" + Files.readString(f)).getBytes(StandardCharsets.UTF_16LE));
        assertNames(assertThrows(IOException.class, () -> Tokenizers.read(f)), f, "UTF-16", "save the file as UTF-8");
        Files.write(f, "{\"config\": {\"pattern\": \"caf\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1));
        assertNames(assertThrows(IOException.class, () -> Tokenizers.read(f)), f, "0xE9 at offset 27 (line 1, column 28)", "Latin-1");
    }

    @Test
    void wrongStructureNamesTheField() throws IOException {
        Path f = tekken("{\"rank\": 0, \"token_bytes\": \"!!\"}");
        assertNames(assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(f)), f, "vocab entry 0 token_bytes is not base64");
        Path hf = dir.resolve("tokenizer.json");
        Files.writeString(hf, "{\"model\": {\"type\": \"BPE\", \"ignore_merges\": true, \"merges\": []}, \"added_tokens\": []}");
        assertNames(assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(hf)), hf, "'model.vocab' must be a JSON object, it is missing");
        Files.writeString(hf, "{\"model\": [], \"added_tokens\": []}");
        assertNames(assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(hf)), hf, "'model' must be a JSON object, got array");
        Files.writeString(hf, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"added_tokens\": [{\"id\": \"x\"}]}");
        assertNames(assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(hf)), hf, "added_tokens entry", "'id'");
        Files.writeString(hf, "[1, 2]");
        assertNames(assertThrows(IllegalArgumentException.class, () -> Tokenizers.read(hf)), hf, "expected a JSON object, got array");
    }
}
