package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
    @TempDir Path dir;

    private Metrics withSteps(int n) throws IOException {
        Metrics m = new Metrics(dir.resolve("metrics.jsonl"));
        for (int s = 1; s <= n; s++) m.append(new Metrics.Line(s, 1.0 / s, 1e-3, 0.5, 0.1, 1000));
        return m;
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void resumingDropsTheLaterStepsInANewFileNeverInPlace() throws Exception {
        Metrics m = withSteps(6);
        List<String> lines = Files.readAllLines(m.file());
        Object before = Files.readAttributes(m.file(), BasicFileAttributes.class).fileKey();
        m.resumeAfter(4, w -> fail(w));
        assertEquals(lines.subList(0, 4), Files.readAllLines(m.file()));
        assertNotEquals(before, Files.readAttributes(m.file(), BasicFileAttributes.class).fileKey(),
                "the kept lines went to a new file renamed over the old one");
        assertEquals(List.of("metrics.jsonl"), names(), "no temporary file is left");
        Object kept = Files.readAttributes(m.file(), BasicFileAttributes.class).fileKey();
        m.resumeAfter(4, w -> fail(w));
        assertEquals(kept, Files.readAttributes(m.file(), BasicFileAttributes.class).fileKey(), "nothing to drop: the file is not rewritten");
    }

    @Test
    void aLastLineCutShortIsDroppedWithAWarningNamingTheFile() throws Exception {
        Metrics m = withSteps(3);
        Files.writeString(m.file(), "{\"step\":4,\"loss\":0.2", java.nio.file.StandardOpenOption.APPEND); // killed while appending
        List<String> warnings = new ArrayList<>();
        assertEquals(3, Metrics.read(m.file(), warnings::add).size());
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains(m.file() + " line 4 is incomplete"), warnings.toString());
        warnings.clear();
        m.resumeAfter(3, warnings::add);
        assertEquals(1, warnings.size(), warnings.toString());
        m.append(new Metrics.Line(4, 0.25, 1e-3, 0.5, 0.1, 1000));
        assertEquals(List.of(1L, 2L, 3L, 4L), Metrics.read(m.file(), w -> fail(w)).stream().map(Metrics.Line::step).toList());
    }

    @Test
    void aDamagedLineBeforeTheLastIsAnErrorNamingFileAndLine() throws Exception {
        Metrics m = withSteps(3);
        List<String> lines = new ArrayList<>(Files.readAllLines(m.file()));
        lines.set(1, "{\"step\":2,\"lo\u0000\u0000");
        Files.write(m.file(), lines);
        IOException e = assertThrows(IOException.class, () -> m.resumeAfter(3, w -> {}));
        assertTrue(e.getMessage().startsWith(m.file() + " line 2 is not a metrics record"), e.getMessage());
        assertEquals(lines, Files.readAllLines(m.file()), "the file is left as it was");
    }

    @Test
    void aNewRunKeepsAnEarlierHistoryAside() throws Exception {
        Metrics m = withSteps(5);
        byte[] history = Files.readAllBytes(m.file());
        Path aside = m.startFresh();
        assertNotNull(aside);
        assertTrue(aside.getFileName().toString().matches("metrics-\\d{8}T\\d{6}Z\\.jsonl"), aside.toString());
        assertArrayEquals(history, Files.readAllBytes(aside));
        assertFalse(Files.exists(m.file()));
        assertNull(m.startFresh(), "nothing to keep");
    }
}
