package flux2.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.server.jobs.JavaLauncher;
import flux2.server.jobs.JobLauncher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real server on an ephemeral port over a temporary project folder, with {@link FakeTrainer} children, and an HTTP client for it. */
final class ServerFixture implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path root;
    /** The first argument of the fake trainer of the next job (see {@link FakeTrainer}). */
    volatile String mode = "run";
    final List<String> log = new ArrayList<>();
    TrainerServer server;
    String token;

    ServerFixture(Path root) {
        this.root = root;
    }

    JobLauncher launcher() {
        JavaLauncher java = JavaLauncher.sameJvm(FakeTrainer.class.getName());
        return args -> {
            List<String> all = new ArrayList<>(List.of(mode));
            all.addAll(args);
            List<String> cmd = new ArrayList<>(java.command(all));
            cmd.add(1, "-XX:TieredStopAtLevel=1"); // a stand-in that starts fast
            return cmd;
        };
    }

    ServerSettings settings() {
        return ServerSettings.defaults(root, launcher()).withPort(0).withStopDeadline(Duration.ofSeconds(20)).withMaxBodyBytes(64 * 1024)
                .withLog(l -> { synchronized (log) { log.add(l); } });
    }

    ServerFixture start() throws IOException {
        return start(settings());
    }

    ServerFixture start(ServerSettings s) throws IOException {
        server = TrainerServer.start(s);
        token = server.token();
        return this;
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    HttpResponse<String> put(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** The JSON of a response that must have {@code status}. */
    static JsonNode json(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.request().method() + " " + r.uri() + ": " + r.body());
        return Bodies.JSON.readTree(r.body());
    }

    /** Creates environment {@code name} from the embedded example. */
    void example(String name) throws IOException, InterruptedException {
        json(post("/api/envs", "{\"name\": \"" + name + "\", \"example\": true}"), 201);
    }

    /** Polls the job until {@code done} holds for its view, or fails after {@code seconds}. */
    JsonNode awaitJob(String id, int seconds, java.util.function.Predicate<JsonNode> done) throws Exception {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode j = null;
        while (System.nanoTime() < until) {
            j = json(get("/api/jobs/" + id), 200);
            if (done.test(j)) return j;
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not get there in " + seconds + " s: " + j);
    }

    @Override
    public void close() {
        if (server != null) server.close();
    }
}
