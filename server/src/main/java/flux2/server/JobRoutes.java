package flux2.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.jobs.Job;
import flux2.server.jobs.JobManager;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/** The job routes: start, list, state, stop, the event stream, the log and the output files. */
final class JobRoutes {
    private final ProjectRoot root;
    private final JobManager jobs;
    private final Bodies bodies;
    private final BooleanSupplier closing;

    JobRoutes(ProjectRoot root, JobManager jobs, Bodies bodies, BooleanSupplier closing) {
        this.root = root;
        this.jobs = jobs;
        this.bodies = bodies;
        this.closing = closing;
    }

    void register(RoutesConfig r) {
        r.get("/api/jobs", this::list);
        r.post("/api/jobs", this::start);
        r.get("/api/jobs/{id}", ctx -> TrainerServer.json(ctx, 200, jobs.get(ctx.pathParam("id")).view(false)));
        r.post("/api/jobs/{id}/stop", ctx -> TrainerServer.json(ctx, 202, jobs.stop(ctx.pathParam("id")).view(false)));
        r.get("/api/jobs/{id}/events", ctx -> EventStream.serve(ctx, jobs.get(ctx.pathParam("id")), closing));
        r.get("/api/jobs/{id}/log", this::log);
        r.get("/api/jobs/{id}/files", ctx -> TrainerServer.json(ctx, 200, Bodies.JSON.valueToTree(JobFiles.list(root, jobs.get(ctx.pathParam("id"))))));
        r.get("/api/jobs/{id}/files/<path>", ctx -> {
            String path = ctx.pathParam("path");
            TrainerServer.sendFile(ctx, JobFiles.file(root, jobs.get(ctx.pathParam("id")), path), path.endsWith(".safetensors"));
        });
    }

    private void list(Context ctx) {
        ArrayNode list = Bodies.JSON.createArrayNode();
        for (Job j : jobs.list()) list.add(j.view(false));
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.set("jobs", list);
        TrainerServer.json(ctx, 200, n);
    }

    private void start(Context ctx) throws IOException {
        JsonNode body = bodies.object(ctx);
        if (!body.path("env").isTextual()) throw ApiError.badRequest("give the \"env\" to train, and optionally \"overrides\": {\"max_train_steps\": 20}");
        Job j = jobs.start(body.get("env").asText(), body.get("overrides"));
        TrainerServer.json(ctx, 201, j.view(false));
    }

    private void log(Context ctx) {
        Job j = jobs.get(ctx.pathParam("id"));
        int lines;
        try {
            lines = ctx.queryParam("lines") == null ? 200 : Integer.parseInt(ctx.queryParam("lines"));
        } catch (NumberFormatException e) {
            lines = -1;
        }
        if (lines < 1 || lines > 5000) throw ApiError.badRequest("lines must be from 1 to 5000, not '" + ctx.queryParam("lines") + "'");
        ctx.contentType("text/plain; charset=utf-8").result(String.join("\n", j.logTail(lines)) + "\n");
    }
}
