package flux2.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.trainer.events.EventLog;
import flux2.trainer.events.EventReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of one job, read from its trainer's events file as it grows (from the byte offset the file had when the
 * job started), numbered from 0, with what they add up to: phase, last step and metrics, the trainer's end. Lines of
 * any other process writing to the same file (another run on the same output folder) are left out: a job's events
 * are those after the "started" event that names its process.
 */
final class JobEvents {
    private final Path file;
    private long pid;
    private long offset;
    private boolean ours;
    private final List<ObjectNode> events = new ArrayList<>();

    boolean started;
    String phase;
    long step, total;
    Double loss, learningRate, gradNorm, secondsPerStep, etaSeconds;
    /** The trainer's training.status at its end (completed, stopped, failed), or null while it has none. */
    String finishedStatus;
    String finishedMessage, output, error;

    JobEvents(Path file, long offset, long pid) {
        this.file = file;
        this.offset = offset;
        this.pid = pid;
    }

    /** The trainer's process id, once it is known. */
    synchronized void pid(long pid) {
        this.pid = pid;
    }

    /** Reads what the trainer appended since the last call. */
    synchronized void refresh() {
        EventReader.Chunk c;
        try {
            c = EventReader.read(file, offset);
        } catch (IOException e) {
            return; // unreadable for now (being replaced, permissions): the next call tries again
        }
        offset = c.nextOffset();
        for (JsonNode e : c.events()) accept((ObjectNode) e);
    }

    /** The events from index {@code since} on (each with its "index"). */
    synchronized List<ObjectNode> from(long since) {
        if (since >= events.size()) return List.of();
        return List.copyOf(events.subList((int) Math.max(0, since), events.size()));
    }

    synchronized int count() { return events.size(); }

    private void accept(ObjectNode e) {
        String type = e.path("type").asText();
        JsonNode data = e.path("data");
        if (type.equals(EventLog.STATUS) && data.path("status").asText().equals(EventLog.STARTED)) {
            ours = data.path("pid").asLong() == pid;
            if (ours) started = true;
        }
        if (!ours) return;
        e.put("index", events.size());
        events.add(e);
        switch (type) {
            case EventLog.STAGE -> phase = e.path("stage").path("key").asText(null);
            case EventLog.PROGRESS -> {
                JsonNode p = e.path("progress"), m = p.path("metrics");
                phase = "training";
                step = p.path("current").asLong();
                total = p.path("total").asLong();
                loss = number(m, "loss");
                learningRate = number(m, "learning_rate");
                gradNorm = number(m, "grad_norm");
                secondsPerStep = number(m, "seconds_per_step");
                etaSeconds = number(p, "eta_seconds");
            }
            case EventLog.ERROR -> error = e.path("message").asText(null);
            case EventLog.STATUS -> {
                String status = data.path("status").asText();
                if (!status.equals(EventLog.STARTED)) {
                    finishedStatus = status;
                    finishedMessage = e.path("message").asText(null);
                    output = data.path("output").asText(null);
                    if (data.has("step")) step = data.path("step").asLong();
                }
            }
            default -> { }
        }
    }

    private static Double number(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isNumber() ? v.asDouble() : null;
    }
}
