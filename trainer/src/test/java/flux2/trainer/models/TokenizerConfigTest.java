package flux2.trainer.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.ModelLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer_config.json: read for model_max_length, its problems named with the file. */
class TokenizerConfigTest {
    @TempDir Path dir;

    private ModelLocation at(Path tokenizer) {
        return new ModelLocation("test", dir, dir, dir, tokenizer);
    }

    @Test
    void brokenFilesAreNamed() throws IOException {
        Path f = dir.resolve(ModelParts.TOKENIZER_CONFIG);
        Files.writeString(f, "{\"model_max_length\": 48}");
        assertEquals(48, ModelParts.promptLength(at(dir)));
        Files.writeString(f, "{\"model_max_length\": 48");
        var e = assertThrows(IOException.class, () -> ModelParts.promptLength(at(dir)));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON at line 1, column"), e.getMessage());
        Files.writeString(f, "[48]");
        e = assertThrows(IOException.class, () -> ModelParts.promptLength(at(dir)));
        assertTrue(e.getMessage().startsWith(f + ": expected a JSON object"), e.getMessage());
        Files.write(f, new byte[]{(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0});
        e = assertThrows(IOException.class, () -> ModelParts.promptLength(at(dir)));
        assertTrue(e.getMessage().contains("UTF-16"), e.getMessage());
    }
}
