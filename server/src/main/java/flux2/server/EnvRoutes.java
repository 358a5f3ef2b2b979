package flux2.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.jobs.Job;
import flux2.server.jobs.JobManager;
import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigProblem;
import flux2.trainer.config.TrainConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The environment and dataset routes: listing, creating and copying environments, their files, their datasets. */
final class EnvRoutes {
    private final ProjectRoot root;
    private final Environments envs;
    private final EnvironmentEditor editor;
    private final DatasetCatalog datasets;
    private final JobManager jobs;
    private final Bodies bodies;

    EnvRoutes(ProjectRoot root, Environments envs, EnvironmentEditor editor, JobManager jobs, Bodies bodies) {
        this.root = root;
        this.envs = envs;
        this.editor = editor;
        this.datasets = new DatasetCatalog(root);
        this.jobs = jobs;
        this.bodies = bodies;
    }

    void register(RoutesConfig r) {
        r.get("/api/envs", this::list);
        r.post("/api/envs", this::create);
        r.get("/api/envs/{env}", this::describe);
        r.get("/api/envs/{env}/files/{file}", this::readFile);
        r.put("/api/envs/{env}/files/{file}", this::saveFile);
        r.get("/api/envs/{env}/datasets", this::datasets);
        r.get("/api/envs/{env}/datasets/{id}/images/<path>", this::image);
        r.put("/api/envs/{env}/datasets/{id}/captions/<path>", this::caption);
    }

    private void list(Context ctx) throws IOException {
        ArrayNode list = Bodies.JSON.createArrayNode();
        for (Environments.Env e : envs.list()) list.add(summary(e));
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.set("envs", list);
        TrainerServer.json(ctx, 200, n);
    }

    private ObjectNode summary(Environments.Env e) {
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.put("name", e.name()).put("config", root.display(e.config()));
        Job j = jobs.latest(e.name());
        if (j == null) n.putNull("job");
        else n.putObject("job").put("id", j.id()).put("state", j.state().key());
        return n;
    }

    private void create(Context ctx) throws IOException {
        JsonNode body = bodies.object(ctx);
        String name = body.path("name").asText(null);
        if (name == null) throw ApiError.badRequest("give the new environment's \"name\", and \"example\": true or \"copy_of\": \"<environment>\"");
        Environments.Env env;
        if (body.hasNonNull("copy_of")) env = editor.copy(body.get("copy_of").asText(), name);
        else if (body.path("example").asBoolean(false)) env = editor.createFromExample(name);
        else throw ApiError.badRequest("say what the environment starts from: \"example\": true (the embedded example) or \"copy_of\": \"<environment>\"");
        TrainerServer.json(ctx, 201, summary(env));
    }

    private void describe(Context ctx) {
        Environments.Env e = envs.get(ctx.pathParam("env"));
        ObjectNode n = summary(e);
        ObjectNode files = n.putObject("files");
        for (String f : Environments.FILES) {
            Path p = envs.file(e, f);
            files.putObject(f).put("path", root.display(p)).put("exists", Files.isRegularFile(p));
        }
        List<ConfigProblem> problems;
        boolean valid = true;
        try {
            TrainConfig c = editor.load(e, List.of());
            problems = c.warnings();
            n.put("output_dir", root.display(c.outputDir()));
        } catch (ConfigException ex) {
            problems = ex.problems();
            valid = false;
        }
        n.put("valid", valid);
        n.set("problems", Bodies.JSON.valueToTree(EnvironmentEditor.problemList(problems)));
        TrainerServer.json(ctx, 200, n);
    }

    private void readFile(Context ctx) throws IOException {
        Environments.Env e = envs.get(ctx.pathParam("env"));
        ctx.contentType("application/json; charset=utf-8").result(editor.read(e, ctx.pathParam("file")));
    }

    private void saveFile(Context ctx) throws IOException {
        Environments.Env e = envs.get(ctx.pathParam("env"));
        Bodies.requireJson(ctx);
        String content = bodies.text(ctx);
        EnvironmentEditor.Saved saved = editor.save(e, ctx.pathParam("file"), content);
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.put("saved", root.display(saved.file()));
        ArrayNode w = n.putArray("warnings");
        for (ConfigProblem p : saved.warnings()) w.add(p.toString());
        TrainerServer.json(ctx, 200, n);
    }

    private TrainConfig config(Context ctx) {
        Environments.Env e = envs.get(ctx.pathParam("env"));
        try {
            return editor.load(e, List.of());
        } catch (ConfigException ex) {
            throw EnvironmentEditor.invalid(ex);
        }
    }

    private void datasets(Context ctx) {
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.set("datasets", Bodies.JSON.valueToTree(datasets.describe(config(ctx))));
        TrainerServer.json(ctx, 200, n);
    }

    private void image(Context ctx) throws IOException {
        Path f = datasets.image(config(ctx), ctx.pathParam("id"), ctx.pathParam("path"));
        String thumb = ctx.queryParam("thumb");
        if (thumb != null) {
            int edge;
            try {
                edge = Integer.parseInt(thumb);
            } catch (NumberFormatException ex) {
                edge = -1;
            }
            if (edge < 16 || edge > Thumbnails.MAX) throw ApiError.badRequest("thumb must be an edge in pixels from 16 to " + Thumbnails.MAX + ", not '" + thumb + "'");
            byte[] png = Thumbnails.png(f, edge);
            if (png != null) {
                ctx.contentType("image/png").result(png);
                return;
            }
        }
        TrainerServer.sendFile(ctx, f, false);
    }

    private void caption(Context ctx) throws IOException {
        TrainConfig c = config(ctx);
        JsonNode body = bodies.object(ctx);
        if (!body.path("caption").isTextual()) throw ApiError.badRequest("send {\"caption\": \"the new caption\"}");
        Path txt = datasets.setCaption(c, ctx.pathParam("id"), ctx.pathParam("path"), body.get("caption").textValue());
        TrainerServer.json(ctx, 200, Bodies.JSON.createObjectNode().put("saved", root.display(txt)));
    }
}
