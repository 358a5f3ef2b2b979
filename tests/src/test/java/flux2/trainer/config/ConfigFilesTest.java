package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.examples.TinyProject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config files in other encodings than UTF-8, and the max_image_pixels key. */
class ConfigFilesTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    private String error(Path cfg) {
        return assertThrows(ConfigException.class, () -> load(cfg)).getMessage();
    }

    @Test
    void utf16AndLatin1ConfigsAreNamedNotInputLength() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        String json = Files.readString(cfg);
        Files.write(cfg, ("\uFEFF" + json).getBytes(StandardCharsets.UTF_16LE));
        String m = error(cfg);
        assertTrue(m.contains(cfg.toString()) && m.contains("UTF-16 (little-endian, with a byte-order mark)") && m.contains("save the file as UTF-8"), m);
        Files.write(cfg, json.replace("\"a square\"", "\"un carr\u00e9\"").getBytes(StandardCharsets.ISO_8859_1));
        m = error(cfg);
        assertTrue(m.contains(cfg.toString()) && m.contains("not UTF-8 text: byte 0xE9") && m.contains("Latin-1"), m);
        // a UTF-8 byte-order mark (Windows editors write one) is read
        Files.write(cfg, ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8));
        assertEquals("a square", load(cfg).validation().prompt());
        // the dataset list is read the same way
        Path backends = dir.resolve("multidatabackend.json");
        Files.write(backends, Files.readString(backends).getBytes(StandardCharsets.UTF_16BE));
        m = error(cfg);
        assertTrue(m.contains(backends.toString()) && m.contains("UTF-16 (big-endian: a zero byte before each character)"), m);
    }

    @Test
    void maxImagePixelsDefaultsToPillowsLimitAndIsChecked() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        assertEquals(178_956_970L, load(cfg).imageDatasets().getFirst().maxImagePixels());
        assertEquals(4096L, load(cfg, "--max_image_pixels", "4096").imageDatasets().getFirst().maxImagePixels());
        String m = assertThrows(ConfigException.class, () -> load(cfg, "--max_image_pixels", "0")).getMessage();
        assertTrue(m.contains("max_image_pixels"), m);
    }
}
