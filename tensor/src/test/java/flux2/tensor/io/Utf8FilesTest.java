package flux2.tensor.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Utf8FilesTest {
    @TempDir Path dir;

    @Test
    void readsUtf8AndSkipsItsByteOrderMark() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "café ✓\nzwei");
        assertEquals("café ✓\nzwei", Utf8Files.read(f));
        Files.write(f, ("\uFEFF" + "{\"a\": 1}").getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\": 1}", Utf8Files.read(f));
        Files.write(f, new byte[0]);
        assertEquals("", Utf8Files.read(f));
    }

    @Test
    void latin1IsNamedWithOffsetLineAndColumn() throws IOException {
        Path f = dir.resolve("caption.txt");
        Files.write(f, "a red cat\nin a caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        NotUtf8Exception e = assertThrows(NotUtf8Exception.class, () -> Utf8Files.read(f));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        for (String s : new String[]{"0xE9 at offset 18", "line 2, column 9", "Latin-1", "save the file as UTF-8"})
            assertTrue(e.problem().contains(s), "'" + s + "' not in " + e.problem());
    }

    @Test
    void wideEncodingsAreNamed() throws IOException {
        Path f = dir.resolve("config.json");
        record Case(Charset charset, boolean bom, String expected) {}
        for (Case c : new Case[]{
                new Case(StandardCharsets.UTF_16LE, true, "UTF-16 (little-endian, with a byte-order mark)"),
                new Case(StandardCharsets.UTF_16BE, true, "UTF-16 (big-endian, with a byte-order mark)"),
                new Case(StandardCharsets.UTF_16LE, false, "UTF-16 (little-endian: a zero byte after each character)"),
                new Case(StandardCharsets.UTF_16BE, false, "UTF-16 (big-endian: a zero byte before each character)"),
                new Case(Charset.forName("UTF-32LE"), true, "UTF-32 (little-endian, with a byte-order mark)"),
                new Case(Charset.forName("UTF-32BE"), true, "UTF-32 (big-endian, with a byte-order mark)")}) {
            Files.write(f, ((c.bom() ? "\uFEFF" : "") + "{\"model_type\": \"lora\"}").getBytes(c.charset()));
            NotUtf8Exception e = assertThrows(NotUtf8Exception.class, () -> Utf8Files.read(f));
            assertTrue(e.problem().contains(c.expected()) && e.problem().contains("only UTF-8 is read"), e.problem());
        }
    }

    @Test
    void truncatedMultiByteSequenceAtTheEnd() {
        byte[] cut = new byte[]{'o', 'k', (byte) 0xE2, (byte) 0x9C};
        String p = Utf8Files.problem(cut);
        assertTrue(p != null && p.contains("at offset 2") && p.contains("0xE2 0x9C"), p);
    }
}
