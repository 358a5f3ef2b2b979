package flux2.trainer.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/limits.md lists every integer key of both configuration files with the range the loader enforces. */
class LimitsDocTest {
    @Test
    void everyIntegerKeysRangeIsDocumented() throws Exception {
        Path doc = Path.of("").toAbsolutePath().getParent().resolve("docs/limits.md");
        String text = Files.readString(doc);
        for (KeyTable t : List.of(ConfigKeys.TABLE, DatasetKeys.TABLE))
            for (KeyDef d : t.defs())
                if (d.kind() == KeyDef.Kind.INT) {
                    String row = "| `" + d.name() + "` | " + KeyDef.format(d.min()) + " | " + KeyDef.format(d.max()) + " |";
                    assertTrue(text.contains(row), doc + " lacks the row «" + row + "»");
                }
    }
}
