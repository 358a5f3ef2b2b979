package flux2.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.server.jobs.Job;
import flux2.server.jobs.JobManager;
import flux2.trainer.Version;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.router.EndpointNotFound;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The web UI's server: the JSON API, the event streams of jobs and the static pages, on Javalin (Jetty), over a
 * project folder. Every error is a JSON object {@code {"error": "one line"}} with a 4xx status for bad requests.
 * {@link #close} stops the jobs it runs (each gets the stop deadline), then the HTTP server; nothing it started is
 * left running.
 */
public final class TrainerServer implements AutoCloseable {
    private final ServerSettings settings;
    private final String token;
    private final ProjectRoot root;
    private final JobManager jobs;
    private final Javalin app;
    private final AtomicBoolean closing = new AtomicBoolean();

    private TrainerServer(ServerSettings s) throws IOException {
        this.settings = s;
        this.token = Access.tokenFor(s.host(), s.token());
        this.root = new ProjectRoot(s.root());
        Environments envs = new Environments(root);
        EnvironmentEditor editor = new EnvironmentEditor(root, envs, System.getenv());
        this.jobs = new JobManager(root, envs, editor, s.launcher(), s.stopDeadline(), s.log());
        Bodies bodies = new Bodies(s.maxBodyBytes());
        Access access = new Access(token, Access.isLoopback(s.host()));
        EnvRoutes envRoutes = new EnvRoutes(root, envs, editor, jobs, bodies);
        JobRoutes jobRoutes = new JobRoutes(root, jobs, bodies, closing::get);
        this.app = Javalin.create(cfg -> {
            cfg.jetty.host = s.host();
            cfg.jetty.port = s.port();
            cfg.http.maxRequestSize = s.maxBodyBytes();
            cfg.http.compressionStrategy = CompressionStrategy.NONE; // server-sent events must not wait in a compressor
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.startup.startupWatcherEnabled = false; // a thread of its own that outlives a quick start and close
            cfg.routes.before(access::check);
            cfg.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.details()));
            cfg.routes.exception(EndpointNotFound.class, (e, ctx) -> error(ctx, 404, "no such page or endpoint: " + ctx.method() + " " + ctx.path(), null));
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), null));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                s.log().accept("error: " + ctx.method() + " " + ctx.path() + ": " + e);
                error(ctx, 500, "internal error: " + (e.getMessage() != null ? e.getMessage().lines().findFirst().orElse("") : e.toString()), null);
            });
            cfg.routes.get("/", ctx -> Assets.own(ctx, "index.html"));
            cfg.routes.get("/assets/uplot/{name}", ctx -> Assets.uplot(ctx, ctx.pathParam("name")));
            cfg.routes.get("/assets/{name}", ctx -> Assets.own(ctx, ctx.pathParam("name")));
            cfg.routes.get("/api/health", ctx -> json(ctx, 200, Bodies.JSON.createObjectNode().put("status", "ok").put("version", Version.get())));
            cfg.routes.get("/api/system", ctx -> json(ctx, 200, Bodies.JSON.valueToTree(SystemInfo.describe())));
            envRoutes.register(cfg.routes);
            jobRoutes.register(cfg.routes);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            jobs.close();
            throw new IOException("cannot listen on " + s.host() + ":" + s.port() + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /** Starts a server; it listens when this returns. */
    public static TrainerServer start(ServerSettings settings) throws IOException {
        return new TrainerServer(settings);
    }

    /** The port it listens on (the one picked when the settings said 0). */
    public int port() { return app.port(); }

    /** The address to open, with the token when there is one. */
    public String url() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        if (host.equals("0.0.0.0") || host.equals("[::]")) host = "127.0.0.1";
        return "http://" + host + ":" + port() + "/" + (token == null ? "" : "?token=" + token);
    }

    /** The token requests need, or null when there is none. */
    public String token() { return token; }

    /** The project folder. */
    public Path root() { return root.dir(); }

    /** The jobs. */
    public JobManager jobs() { return jobs; }

    /** Starts the training of environment {@code env}, as {@code POST /api/jobs} does. */
    public Job startJob(String env, JsonNode overrides) throws IOException {
        return jobs.start(env, overrides);
    }

    @Override
    public void close() {
        if (closing.getAndSet(true)) return;
        jobs.close();
        app.stop();
    }

    static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(Bodies.JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(Context ctx, int status, String message, Object details) {
        ObjectNode n = Bodies.JSON.createObjectNode();
        n.put("error", message == null ? "error " + status : message.lines().findFirst().orElse(""));
        if (details != null) n.set("problems", Bodies.JSON.valueToTree(details));
        json(ctx, status, n);
    }

    /** Sends a file (checked by the caller), as a download when {@code attachment}. */
    static void sendFile(Context ctx, Path f, boolean attachment) throws IOException {
        ctx.contentType(Assets.type(f.getFileName().toString()));
        ctx.header("Content-Length", Long.toString(Files.size(f)));
        if (attachment) ctx.header("Content-Disposition", "attachment; filename=\"" + f.getFileName().toString().replace("\"", "") + "\"");
        InputStream in = Files.newInputStream(f);
        ctx.result(in);
    }
}
