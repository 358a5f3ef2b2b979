package flux2.trainer.folders;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFolderTest {
    @TempDir Path dir;

    @Test
    void anEmptyPathOrAFileIsRefusedNamingTheKey() throws Exception {
        IOException empty = assertThrows(IOException.class, () -> OutputFolder.claim(Path.of(""), "train", n -> {}));
        assertTrue(empty.getMessage().startsWith("output_dir is empty"), empty.getMessage());
        Path file = Files.writeString(dir.resolve("out"), "x");
        IOException f = assertThrows(IOException.class, () -> OutputFolder.claim(file, "train", n -> {}));
        assertEquals("output_dir " + file + " is a file, not a folder: name a folder (it is created when missing)", f.getMessage());
        IOException under = assertThrows(IOException.class, () -> OutputFolder.claim(file.resolve("run"), "train", n -> {}));
        assertTrue(under.getMessage().startsWith("output_dir " + file.resolve("run") + ": cannot create the folder"), under.getMessage());
    }

    @Test
    void holdsTheFolderForOneRunAndCleansWhatInterruptedRunsLeft() throws Exception {
        Path out = dir.resolve("out");
        Files.createDirectories(out.resolve("validation_images"));
        Files.writeString(out.resolve(".pytorch_lora_weights.safetensors.0badc0de.tmp"), "half");
        Files.writeString(out.resolve("validation_images/.step_2_a_0_32x32.png.77.tmp"), "half");
        List<String> printed = new ArrayList<>();
        try (OutputFolder held = OutputFolder.claim(out, "train", printed::add)) {
            assertEquals(List.of("cleaned up after an interrupted run: removed " + out.resolve(".pytorch_lora_weights.safetensors.0badc0de.tmp"),
                    "cleaned up after an interrupted run: removed " + out.resolve("validation_images/.step_2_a_0_32x32.png.77.tmp")), printed);
            FolderBusyException busy = assertThrows(FolderBusyException.class, () -> OutputFolder.claim(out, "train", n -> {}));
            assertTrue(busy.getMessage().contains("pid " + ProcessHandle.current().pid()), busy.getMessage());
        }
        try (OutputFolder again = OutputFolder.claim(out, "train", n -> fail(n))) {
            assertEquals(out, again.dir());
        }
    }
}
