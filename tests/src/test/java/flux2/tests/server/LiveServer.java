package flux2.tests.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.server.ServerSettings;
import flux2.server.TrainerServer;
import flux2.server.jobs.JavaLauncher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/** A real server on an ephemeral port whose jobs run the real trainer (flux2.app.Main on this JVM's class path), and a client for it. */
final class LiveServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final TrainerServer server;

    LiveServer(Path root) throws IOException {
        server = TrainerServer.start(ServerSettings.defaults(root, JavaLauncher.sameJvm(flux2.app.Main.class.getName())).withPort(0)
                .withStopDeadline(Duration.ofSeconds(60)));
    }

    String base() { return "http://127.0.0.1:" + server.port(); }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
    }

    JsonNode get(String path) throws Exception {
        return json(HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString()), 200);
    }

    JsonNode post(String path, String body, int status) throws Exception {
        return json(HTTP.send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()), status);
    }

    static JsonNode json(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.request().method() + " " + r.uri() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** Starts a job of {@code env} with these overrides (a JSON object) and returns its id. */
    String start(String env, String overrides) throws Exception {
        return post("/api/jobs", "{\"env\": \"" + env + "\", \"overrides\": " + overrides + "}", 201).get("id").asText();
    }

    JsonNode await(String id, int seconds, Predicate<JsonNode> done) throws Exception {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode j = null;
        while (System.nanoTime() < until) {
            j = get("/api/jobs/" + id);
            if (done.test(j)) return j;
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not get there in " + seconds + " s: " + j + "\n" + String.join("\n", server.jobs().get(id).logTail(30)));
    }

    /** Waits for the job's end (a state that is no longer active, and the process's exit seen). */
    JsonNode awaitEnd(String id, int seconds) throws Exception {
        return await(id, seconds, j -> (j.get("state").asText().equals("finished") || j.get("state").asText().equals("failed")) && !j.get("exit_code").isNull());
    }

    @Override
    public void close() {
        server.close();
    }
}
