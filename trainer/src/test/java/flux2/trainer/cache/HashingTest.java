package flux2.trainer.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity of model files seen through a link to their folder. */
class HashingTest {
    @TempDir Path dir;

    @Test
    void aLinkedModelFolderHasItsContentsIdentity() throws Exception {
        Path real = Files.createDirectories(dir.resolve("store/vae"));
        Files.writeString(real.resolve("config.json"), "{\"a\": 1}");
        Path link = Files.createSymbolicLink(dir.resolve("vae"), real);
        String id = Hashing.modelIdentity(real);
        assertEquals(id, Hashing.modelIdentity(link));
        Files.writeString(real.resolve("config.json"), "{\"a\": 2}");
        assertNotEquals(id, Hashing.modelIdentity(link), "other weights behind the link give another identity");
    }
}
