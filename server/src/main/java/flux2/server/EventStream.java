package flux2.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.jobs.Job;
import flux2.server.jobs.JobState;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /api/jobs/{id}/events}: the job's events as server-sent events, from index {@code ?since=N} (or the
 * browser's Last-Event-ID + 1 on a reconnect) on. Each trainer event is sent with its index as id and its type as
 * event name; a "state" event carries the job's view whenever its state changes; when the job has ended and every
 * event is sent, an "end" event closes the stream. So a client that polls gets what is new and the end, and one
 * that stays connected gets everything as it happens.
 */
final class EventStream {
    private static final long POLL_MILLIS = 200, HEARTBEAT_MILLIS = 15_000;

    private EventStream() {}

    static void serve(Context ctx, Job job, BooleanSupplier closing) throws IOException {
        long next = since(ctx);
        var res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        ServletOutputStream out = res.getOutputStream();
        String lastState = null;
        long lastWrite = System.currentTimeMillis();
        try {
            while (!closing.getAsBoolean()) {
                JobState state = job.state();
                List<ObjectNode> events = job.events(next);
                for (ObjectNode e : events) {
                    send(out, e.path("index").asText(), e.path("type").asText(), e.toString());
                    next = e.path("index").asLong() + 1;
                }
                if (!state.key().equals(lastState)) {
                    send(out, null, "state", job.view(false).toString());
                    lastState = state.key();
                }
                boolean done = !state.active() && job.events(next).isEmpty();
                if (done) {
                    send(out, null, "end", "{\"state\":\"" + state.key() + "\"}");
                    return;
                }
                if (!events.isEmpty()) lastWrite = System.currentTimeMillis();
                else if (System.currentTimeMillis() - lastWrite > HEARTBEAT_MILLIS) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    lastWrite = System.currentTimeMillis();
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // the client went away
        }
    }

    private static long since(Context ctx) {
        String q = ctx.queryParam("since");
        String last = ctx.header("Last-Event-ID");
        try {
            if (last != null && !last.isBlank()) return Long.parseLong(last.strip()) + 1;
            if (q == null || q.isBlank()) return 0;
            long v = Long.parseLong(q.strip());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("since must be an event index (0 or more), not '" + (last != null ? last : q) + "'");
        }
    }

    private static void send(ServletOutputStream out, String id, String event, String data) throws IOException {
        StringBuilder sb = new StringBuilder();
        if (id != null) sb.append("id: ").append(id).append('\n');
        sb.append("event: ").append(event).append('\n');
        for (String line : data.split("\n", -1)) sb.append("data: ").append(line).append('\n');
        sb.append('\n');
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
