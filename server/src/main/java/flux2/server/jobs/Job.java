package flux2.server.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.Bodies;
import flux2.trainer.events.EventLog;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One training job: its record, its events, and its trainer process, either a child of this server (exit code
 * known) or, after a server restart, found again by process id and start time. Its state is worked out afresh on
 * every look, from the process and the events: a process that is gone without a "finished" event is failed, never
 * running.
 */
public final class Job {
    private final JobRecord record;
    private final Path dir;
    private final JobEvents events;
    private volatile Process process;

    Job(JobRecord record, Path dir) {
        this.record = record;
        this.dir = dir;
        this.events = new JobEvents(record.outputDir.resolve(EventLog.FILE_NAME), record.eventsOffset, record.pid == null ? -1 : record.pid);
    }

    public String id() { return record.id; }

    public String env() { return record.env; }

    public Path outputDir() { return record.outputDir; }

    JobRecord record() { return record; }

    Path recordFile() { return dir.resolve("job.json"); }

    /** The trainer's output, stdout and stderr together. */
    public Path logFile() { return dir.resolve("train.log"); }

    /** The trainer process, started by this server. */
    void attach(Process p) {
        record.pid = p.pid();
        record.pidStart = p.info().startInstant().orElse(null);
        events.pid(p.pid());
        this.process = p;
    }

    /** True when this server started the trainer process (and so owns it). */
    boolean ownProcess() { return process != null; }

    /** The trainer process when it is alive. */
    Optional<ProcessHandle> handle() {
        Process p = process;
        if (p != null) return p.isAlive() ? Optional.of(p.toHandle()) : Optional.empty();
        if (record.pid == null) return Optional.empty();
        // a process with this id that started at another time is not ours (ids are reused)
        return ProcessHandle.of(record.pid).filter(ProcessHandle::isAlive)
                .filter(h -> record.pidStart == null || h.info().startInstant().map(s -> Math.abs(s.toEpochMilli() - record.pidStart.toEpochMilli()) < 2000).orElse(true));
    }

    /** The state now (reads new events first). */
    public synchronized JobState state() {
        boolean alive = handle().isPresent();
        events.refresh(); // after the liveness check: a process seen dead has written all it will write
        if (events.finishedStatus != null) return events.finishedStatus.equals("failed") ? JobState.FAILED : JobState.FINISHED;
        if (alive) return record.stopRequested != null ? JobState.STOPPING : events.started ? JobState.RUNNING : JobState.QUEUED;
        return JobState.FAILED;
    }

    /** The exit code, when the server saw the process end. */
    Integer exitCode() {
        Process p = process;
        if (p != null && !p.isAlive()) return p.exitValue();
        return record.exitCode;
    }

    /** Events from index {@code since} on. */
    public List<ObjectNode> events(long since) {
        events.refresh();
        return events.from(since);
    }

    /** The job as the API shows it. */
    public synchronized ObjectNode view(boolean withLog) {
        JobState state = state();
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.put("id", record.id).put("env", record.env).put("state", state.key());
        n.put("phase", state.active() ? events.phase : null);
        n.put("step", events.step).put("total", events.total);
        putNumber(n, "loss", events.loss);
        putNumber(n, "learning_rate", events.learningRate);
        putNumber(n, "grad_norm", events.gradNorm);
        putNumber(n, "seconds_per_step", state.active() ? events.secondsPerStep : null);
        putNumber(n, "eta_seconds", state.active() ? events.etaSeconds : null);
        n.put("stopped", "stopped".equals(events.finishedStatus));
        n.put("output", events.output);
        n.put("created", record.created.toString());
        n.put("ended", record.ended == null ? null : record.ended.toString());
        n.put("pid", record.pid);
        Integer code = exitCode();
        if (code != null) n.put("exit_code", code);
        else n.putNull("exit_code");
        n.put("events", events.count());
        n.put("error", error(state, code));
        n.set("overrides", record.overrides);
        if (withLog || state == JobState.FAILED) {
            var lines = n.putArray("log_tail");
            for (String l : logTail(40)) lines.add(l);
        }
        return n;
    }

    private String error(JobState state, Integer code) {
        if (state != JobState.FAILED) return null;
        if (record.launchError != null) return "the trainer could not be started: " + record.launchError;
        if (events.error != null) return events.error;
        String how = record.killed != null ? record.killed : code != null ? "the trainer exited with code " + code : "the trainer process ended";
        return how + (events.finishedStatus == null ? " without finishing (no \"finished\" event); see the end of its log" : "");
    }

    /** The last {@code n} lines of the log (progress bars redraw with carriage returns: each redraw counts as a line). */
    public List<String> logTail(int n) {
        Path f = logFile();
        if (!Files.isRegularFile(f)) return List.of();
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            long len = r.length(), from = Math.max(0, len - 64 * 1024);
            byte[] b = new byte[(int) (len - from)];
            r.seek(from);
            r.readFully(b);
            List<String> lines = new ArrayList<>(Arrays.stream(new String(b, StandardCharsets.UTF_8).split("[\r\n]+")).filter(l -> !l.isBlank()).toList());
            if (from > 0 && !lines.isEmpty()) lines.removeFirst(); // cut mid-line
            return lines.subList(Math.max(0, lines.size() - n), lines.size());
        } catch (IOException e) {
            return List.of("(cannot read " + f + ": " + e.getMessage() + ")");
        }
    }

    void save() throws IOException {
        record.save(recordFile());
    }

    /** Records the process's end as the server saw it. */
    void ended(int code) {
        record.exitCode = code;
        record.ended = Instant.now();
        try {
            save();
        } catch (IOException ignored) {
            // the exit code stays known to this server; a restarted one shows the job failed without it
        }
    }

    private static void putNumber(ObjectNode n, String key, Double v) {
        if (v == null || !Double.isFinite(v)) n.putNull(key);
        else n.put(key, v);
    }
}
