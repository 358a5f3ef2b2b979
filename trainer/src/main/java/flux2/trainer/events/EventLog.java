package flux2.trainer.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The events file of a run, {@code <output_dir>/events.jsonl}: one JSON object per line, appended and never
 * rewritten, so that a reader (the web UI) sees what happened after any restart. The objects use the vocabulary of
 * SimpleTuner's callback events ({@code type}: training.status, lifecycle.stage, training.progress,
 * training.checkpoint, validation.image, error; with {@code timestamp}, {@code severity} and the payloads
 * {@code data}, {@code stage}, {@code progress}, {@code checkpoint}, {@code images}). Paths are relative to the output
 * folder. docs/server.md describes every field. A file that cannot be written costs one warning, never the run.
 */
public final class EventLog implements TrainingEvents, Closeable {
    /** The file name inside the output folder. */
    public static final String FILE_NAME = "events.jsonl";
    /** Event types. */
    public static final String STATUS = "training.status", STAGE = "lifecycle.stage", PROGRESS = "training.progress",
            CHECKPOINT = "training.checkpoint", VALIDATION_IMAGE = "validation.image", ERROR = "error";
    /** The status of the first event of every run. */
    public static final String STARTED = "started";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Consumer<String> warn;
    private FileChannel channel;
    private Phase phase;
    private long lastStep;

    private EventLog(Path dir, FileChannel channel, Consumer<String> warn) {
        this.dir = dir;
        this.channel = channel;
        this.warn = warn;
    }

    /**
     * Opens (or creates) the events file of output folder {@code dir} for appending and writes the run's first event,
     * a training.status "started" with this process's id; {@code warn} receives a line if the file cannot be written.
     */
    public static EventLog open(Path dir, Consumer<String> warn) {
        Path file = dir.resolve(FILE_NAME);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            // a run killed while writing can leave half a line: start ours on a line of its own
            if (ch.size() > 0 && lastByte(file) != '\n') ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
        } catch (IOException e) {
            warn.accept("warning: cannot write the events file " + file + ": " + e.getMessage() + "; the run goes on without it");
            ch = null;
        }
        EventLog log = new EventLog(dir, ch, warn);
        ObjectNode e = log.event(STATUS, "info");
        e.putObject("data").put("status", STARTED).put("pid", ProcessHandle.current().pid());
        log.write(e);
        return log;
    }

    /** The file being written. */
    public Path file() { return dir.resolve(FILE_NAME); }

    /** The last optimizer step reported, 0 before the first. */
    public synchronized long lastStep() { return lastStep; }

    @Override
    public synchronized void phase(Phase p) {
        if (p == phase) return;
        phase = p;
        ObjectNode e = event(STAGE, "info");
        e.putObject("stage").put("key", p.key()).put("label", p.label()).put("status", "running");
        write(e);
    }

    @Override
    public synchronized void progress(long step, long total, double loss, double learningRate, double gradNorm, double secondsPerStep) {
        phase(Phase.TRAINING); // a step after validating or saving is training again
        lastStep = step;
        ObjectNode e = event(PROGRESS, "info");
        ObjectNode p = e.putObject("progress");
        p.put("label", Phase.TRAINING.label()).put("current", step).put("total", total)
                .put("percent", total > 0 ? 100.0 * step / total : 0);
        if (Double.isFinite(secondsPerStep)) p.put("eta_seconds", secondsPerStep * Math.max(0, total - step));
        ObjectNode m = p.putObject("metrics");
        m.put("loss", loss).put("learning_rate", learningRate).put("grad_norm", gradNorm);
        if (Double.isFinite(secondsPerStep)) m.put("seconds_per_step", secondsPerStep);
        write(e);
    }

    @Override
    public synchronized void checkpoint(long step, Path folder, boolean isFinal) {
        ObjectNode e = event(CHECKPOINT, "info");
        e.putObject("checkpoint").put("path", relative(folder)).put("label", "checkpoint saved after step " + step).put("is_final", isFinal);
        e.putObject("data").put("step", step);
        write(e);
    }

    @Override
    public synchronized void validationImage(long step, String shortname, int index, String resolution, Path file) {
        ObjectNode e = event(VALIDATION_IMAGE, "info");
        e.putArray("images").add(relative(file));
        e.putObject("data").put("step", step).put("shortname", shortname).put("index", index).put("resolution", resolution);
        write(e);
    }

    @Override
    public synchronized void finished(Outcome outcome, long step, Path output, String message) {
        if (outcome == Outcome.FAILED && message != null) {
            ObjectNode err = event(ERROR, "error");
            err.put("message", message);
            write(err);
        }
        ObjectNode e = event(STATUS, outcome == Outcome.FAILED ? "error" : "info");
        if (message != null) e.put("message", message);
        ObjectNode d = e.putObject("data").put("status", outcome.key()).put("step", step);
        if (output != null) d.put("output", relative(output));
        write(e);
        force();
    }

    @Override
    public synchronized void close() {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to write
        }
        channel = null;
    }

    private ObjectNode event(String type, String severity) {
        ObjectNode e = JSON.createObjectNode();
        e.put("type", type).put("timestamp", Instant.now().toString()).put("severity", severity);
        return e;
    }

    /** A path below the output folder as a relative path with '/', any other as it is. */
    private String relative(Path p) {
        Path abs = p.toAbsolutePath().normalize(), base = dir.toAbsolutePath().normalize();
        return abs.startsWith(base) ? base.relativize(abs).toString().replace('\\', '/') : abs.toString();
    }

    /** Appends one line in a single write, so that a reader never sees two events interleaved. */
    private void write(ObjectNode e) {
        if (channel == null) return;
        try {
            ByteBuffer b = ByteBuffer.wrap((JSON.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) channel.write(b);
        } catch (IOException ex) {
            warn.accept("warning: cannot write the events file " + file() + ": " + ex.getMessage() + "; the run goes on without it");
            close();
        }
    }

    private void force() {
        if (channel == null) return;
        try {
            channel.force(false);
        } catch (IOException ignored) {
            // the line is written; only its durability across a power loss is at stake
        }
    }

    private static int lastByte(Path file) throws IOException {
        try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            r.read(one, r.size() - 1);
            return one.get(0);
        }
    }
}
