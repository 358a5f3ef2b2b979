package flux2.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code metrics.jsonl}: one JSON object per optimizer step (step, loss, lr, grad_norm, seconds, peak_memory_bytes),
 * appended as the run goes. The file is never rewritten in place: a resumed run that drops the lines after its
 * checkpoint writes the kept lines to a new file that replaces the old one in one rename, and a new run in a folder
 * with an old file moves that file aside. A last line cut short (a crash or a full disk while appending) is dropped
 * with a warning; a damaged line before the last is an error naming the file and the line.
 */
public final class Metrics {
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private final Path file;

    /** One line of the file. */
    public record Line(long step, double loss, double lr, double gradNorm, double seconds, long peakMemoryBytes) {}

    public Metrics(Path file) { this.file = file; }

    public Path file() { return file; }

    /**
     * Prepares the file for a run resumed after {@code step}: the lines of later steps (what a run went on to train
     * after the checkpoint, which this run trains again) and a cut-short last line are dropped, atomically.
     */
    public void resumeAfter(long step, Consumer<String> warn) throws IOException {
        if (!Files.isRegularFile(file)) return;
        Parsed p = parse(file, warn);
        List<String> keep = new ArrayList<>();
        for (int i = 0; i < p.lines().size(); i++) if (p.lines().get(i).step() <= step) keep.add(p.texts().get(i));
        if (keep.size() == p.lines().size() && p.clean()) return;
        AtomicFiles.writeStream(file, out -> {
            for (String l : keep) out.write((l + "\n").getBytes(StandardCharsets.UTF_8));
        });
    }

    /**
     * Prepares the file for a run that starts at step 0: an existing file with lines is another run's history,
     * which is kept under {@code metrics-<UTC time>.jsonl} next to it; returns that name, or null when there was none.
     */
    public Path startFresh() throws IOException {
        if (!Files.isRegularFile(file)) return null;
        if (Files.size(file) == 0) return null;
        String name = file.getFileName().toString();
        String base = name.endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(STAMP);
        Path aside = file.resolveSibling(base + "-" + stamp + ".jsonl");
        for (int i = 2; Files.exists(aside); i++) aside = file.resolveSibling(base + "-" + stamp + "-" + i + ".jsonl");
        AtomicFiles.move(file, aside);
        return aside;
    }

    public void append(Line l) throws IOException {
        var n = JSON.createObjectNode();
        n.put("step", l.step());
        n.put("loss", l.loss());
        n.put("lr", l.lr());
        n.put("grad_norm", l.gradNorm());
        n.put("seconds", l.seconds());
        n.put("peak_memory_bytes", l.peakMemoryBytes());
        Files.writeString(file, JSON.writeValueAsString(n) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Every line of a metrics file (a cut-short last line is left out silently). */
    public static List<Line> read(Path file) throws IOException {
        return read(file, w -> {});
    }

    /** Every line of a metrics file; {@code warn} hears of a cut-short last line, which is left out. */
    public static List<Line> read(Path file, Consumer<String> warn) throws IOException {
        if (!Files.isRegularFile(file)) return new ArrayList<>();
        return parse(file, warn).lines();
    }

    /** The lines, their texts, and whether the file ends cleanly (with a line break, nothing dropped). */
    private record Parsed(List<Line> lines, List<String> texts, boolean clean) {}

    private static Parsed parse(Path file, Consumer<String> warn) throws IOException {
        List<Line> lines = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String l; (l = r.readLine()) != null; ) raw.add(l);
        } catch (java.nio.charset.MalformedInputException e) {
            raw = readLenient(file);
        }
        boolean clean = endsWithLineBreak(file);
        int last = raw.size() - 1;
        while (last >= 0 && raw.get(last).isBlank()) last--;
        for (int i = 0; i <= last; i++) {
            String l = raw.get(i);
            if (l.isBlank()) continue;
            Line parsed = parseLine(l);
            if (parsed == null) {
                if (i == last) {
                    warn.accept("warning: " + file + " line " + (i + 1) + " is incomplete (cut short by a crash or a full disk?); dropping it: "
                            + abbreviate(l));
                    clean = false;
                    continue;
                }
                throw new IOException(file + " line " + (i + 1) + " is not a metrics record (a JSON object with a whole-number 'step'): "
                        + abbreviate(l) + "; fix or remove that line, or move the file aside to start a new one");
            }
            lines.add(parsed);
            texts.add(l);
        }
        return new Parsed(lines, texts, clean);
    }

    private static Line parseLine(String l) {
        JsonNode n;
        try {
            n = JSON.readTree(l);
        } catch (IOException e) {
            return null;
        }
        if (n == null || !n.isObject() || !n.path("step").isIntegralNumber()) return null;
        return new Line(n.get("step").asLong(), n.path("loss").asDouble(), n.path("lr").asDouble(), n.path("grad_norm").asDouble(),
                n.path("seconds").asDouble(), n.path("peak_memory_bytes").asLong());
    }

    private static boolean endsWithLineBreak(Path file) throws IOException {
        long size = Files.size(file);
        if (size == 0) return true;
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
            var b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, size - 1);
            return b.get(0) == '\n';
        }
    }

    /** The lines of a file with bytes that are not UTF-8 (a torn write), undecodable bytes replaced. */
    private static List<String> readLenient(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
    }

    private static String abbreviate(String l) {
        String s = l.length() > 80 ? l.substring(0, 80) + "..." : l;
        return "'" + s.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
