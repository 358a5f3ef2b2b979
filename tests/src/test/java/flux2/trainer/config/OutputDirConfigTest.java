package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.*;

import flux2.examples.TinyProject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputDirConfigTest {
    @TempDir Path dir;

    private ConfigException load(Path cfg, String... overrides) {
        return assertThrows(ConfigException.class, () -> new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides)));
    }

    @Test
    void anEmptyOutputDirIsRefusedRatherThanWritingIntoTheWorkingFolder() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("output_dir", ""));
        String m = load(cfg).getMessage();
        assertTrue(m.contains(cfg + ": output_dir: is empty, which would write checkpoints, caches and the LoRA into the working folder " + dir.toAbsolutePath()), m);
        assertTrue(m.contains("name a folder for the run's outputs (created when missing)"), m);
        assertTrue(load(cfg, "--output_dir", "  ").getMessage().contains("output_dir: is empty"));
    }

    @Test
    void anOutputDirThatIsAFileSaysSo() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        Files.writeString(dir.resolve("taken"), "a file");
        String m = load(cfg, "--output_dir", "taken").getMessage();
        assertTrue(m.contains(cfg + ": output_dir: 'taken' (" + dir.toAbsolutePath().resolve("taken") + ") is a file, not a folder"), m);
    }

    @Test
    void aMissingOrExistingFolderIsFine() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        ConfigLoader loader = new ConfigLoader(dir, Map.of());
        assertEquals(dir.toAbsolutePath().resolve("new/run"), loader.load(cfg, List.of("--output_dir", "new/run")).outputDir());
        assertEquals(dir.toAbsolutePath(), loader.load(cfg, List.of("--output_dir", ".")).outputDir(), "the working folder, when asked for by name");
    }
}
