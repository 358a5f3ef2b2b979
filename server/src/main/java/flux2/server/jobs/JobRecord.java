package flux2.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.AtomicFiles;
import flux2.server.Bodies;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the server keeps of a job in {@code <root>/.flux2/jobs/<id>/job.json} (written atomically on every change),
 * so that a restarted server knows its jobs: the environment, the command, the output folder and where the job's
 * events start in its events file, the process (id and start time, to tell it from a later process with the same
 * id), and what the server saw: stop asked, killed, exit code.
 */
final class JobRecord {
    final String id, env;
    final Path config, outputDir;
    final long eventsOffset;
    final List<String> command;
    final JsonNode overrides;
    final Instant created;
    Long pid;
    Instant pidStart, stopRequested, ended;
    Integer exitCode;
    String killed, launchError;

    JobRecord(String id, String env, Path config, Path outputDir, long eventsOffset, List<String> command, JsonNode overrides, Instant created) {
        this.id = id;
        this.env = env;
        this.config = config;
        this.outputDir = outputDir;
        this.eventsOffset = eventsOffset;
        this.command = List.copyOf(command);
        this.overrides = overrides;
        this.created = created;
    }

    ObjectNode toJson() {
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.put("id", id).put("env", env).put("config", config.toString()).put("output_dir", outputDir.toString()).put("events_offset", eventsOffset);
        ArrayNode c = n.putArray("command");
        command.forEach(c::add);
        n.set("overrides", overrides);
        n.put("created", created.toString());
        if (pid != null) n.put("pid", pid);
        putTime(n, "pid_start", pidStart);
        putTime(n, "stop_requested", stopRequested);
        putTime(n, "ended", ended);
        if (exitCode != null) n.put("exit_code", exitCode);
        if (killed != null) n.put("killed", killed);
        if (launchError != null) n.put("launch_error", launchError);
        return n;
    }

    static JobRecord fromJson(JsonNode n) {
        List<String> cmd = new ArrayList<>();
        n.path("command").forEach(e -> cmd.add(e.asText()));
        JobRecord r = new JobRecord(n.get("id").asText(), n.get("env").asText(), Path.of(n.get("config").asText()), Path.of(n.get("output_dir").asText()),
                n.path("events_offset").asLong(), cmd, n.path("overrides"), Instant.parse(n.get("created").asText()));
        if (n.hasNonNull("pid")) r.pid = n.get("pid").asLong();
        r.pidStart = time(n, "pid_start");
        r.stopRequested = time(n, "stop_requested");
        r.ended = time(n, "ended");
        if (n.hasNonNull("exit_code")) r.exitCode = n.get("exit_code").asInt();
        r.killed = n.hasNonNull("killed") ? n.get("killed").asText() : null;
        r.launchError = n.hasNonNull("launch_error") ? n.get("launch_error").asText() : null;
        return r;
    }

    synchronized void save(Path file) throws IOException {
        AtomicFiles.write(file, Bodies.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    private static void putTime(ObjectNode n, String key, Instant t) {
        if (t != null) n.put(key, t.toString());
    }

    private static Instant time(JsonNode n, String key) {
        return n.hasNonNull(key) ? Instant.parse(n.get(key).asText()) : null;
    }
}
