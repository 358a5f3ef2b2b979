package flux2.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** {@code metrics.jsonl}: one JSON object per optimizer step (step, loss, lr, grad_norm, seconds, peak_memory_bytes). */
public final class Metrics {
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();
    private final Path file;

    /** One line of the file. */
    public record Line(long step, double loss, double lr, double gradNorm, double seconds, long peakMemoryBytes) {}

    public Metrics(Path file) { this.file = file; }

    public Path file() { return file; }

    /** Drops lines after {@code step} (a resumed run rewrites what followed its checkpoint). */
    public void truncateAfter(long step) throws IOException {
        if (!Files.isRegularFile(file)) return;
        List<String> keep = new ArrayList<>();
        for (String l : Files.readAllLines(file)) if (!l.isBlank() && JSON.readTree(l).path("step").asLong() <= step) keep.add(l);
        Files.write(file, keep);
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

    /** Every line of a metrics file. */
    public static List<Line> read(Path file) throws IOException {
        List<Line> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) return out;
        for (String l : Files.readAllLines(file)) {
            if (l.isBlank()) continue;
            JsonNode n = JSON.readTree(l);
            out.add(new Line(n.path("step").asLong(), n.path("loss").asDouble(), n.path("lr").asDouble(), n.path("grad_norm").asDouble(),
                    n.path("seconds").asDouble(), n.path("peak_memory_bytes").asLong()));
        }
        return out;
    }
}
