package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs with a stand-in trainer child ({@link FakeTrainer}), for what the server itself must get right: one job per
 * environment, the event stream and its resumption, stop, the deadline kill, a crashed or killed trainer shown as
 * failed with its exit code and log, and a restarted server showing the same jobs.
 */
class JobLifecycleTest {
    @TempDir Path root;

    /** The lines of a finished job's event stream (the stream ends by itself). */
    static List<String> stream(ServerFixture s, String id, String query) throws Exception {
        HttpResponse<Stream<String>> r = ServerFixture.HTTP.send(s.request("/api/jobs/" + id + "/events" + query).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        try (Stream<String> lines = r.body()) {
            return lines.toList();
        }
    }

    static List<JsonNode> data(List<String> lines, String event) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i++)
            if (lines.get(i).equals("event: " + event)) out.add(Bodies.JSON.readTree(lines.get(i + 1).substring("data: ".length())));
        return out;
    }

    @Test
    void aJobStreamsItsEventsToTheEndAndOnlyOneRunsPerEnvironment() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            String id = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 12}}"), 201).get("id").asText();
            JsonNode second = json(s.post("/api/jobs", "{\"env\": \"tiny\"}"), 409);
            assertTrue(second.get("error").asText().contains("one job per environment"), second.toString());

            List<String> lines = stream(s, id, "");
            List<JsonNode> progress = data(lines, "training.progress");
            assertEquals(12, progress.size(), lines.toString());
            for (int i = 0; i < 12; i++) {
                assertEquals(i + 1, progress.get(i).get("progress").get("current").asInt());
                assertEquals(12, progress.get(i).get("progress").get("total").asInt());
            }
            assertEquals(List.of("caching_text", "caching_latents", "training"), data(lines, "lifecycle.stage").stream().map(e -> e.get("stage").get("key").asText()).toList());
            JsonNode end = data(lines, "training.status").getLast();
            assertEquals("completed", end.get("data").get("status").asText());
            assertEquals("{\"state\":\"finished\"}", data(lines, "end").getFirst().toString());
            JsonNode job = json(s.get("/api/jobs/" + id), 200);
            assertEquals("finished", job.get("state").asText());
            assertEquals(12, job.get("step").asInt());
            assertEquals(1.0 / 12, job.get("loss").asDouble(), 1e-12);
            JsonNode files = json(s.get("/api/jobs/" + id + "/files"), 200);
            assertEquals("pytorch_lora_weights.safetensors", files.get("lora").get(0).get("path").asText());
            assertEquals("fake lora", s.get("/api/jobs/" + id + "/files/pytorch_lora_weights.safetensors").body());
            assertTrue(s.get("/api/jobs/" + id + "/log").body().contains("fake step 12"));

            // a client that reconnects or polls gets what follows the index it has, then the end
            int count = job.get("events").asInt();
            List<String> tail = stream(s, id, "?since=" + (count - 1));
            assertEquals(List.of(count - 1), data(tail, "training.status").stream().map(e -> e.get("index").asInt()).toList());
            assertTrue(tail.contains("id: " + (count - 1)), tail.toString());
            assertEquals(1, data(tail, "end").size());
            assertEquals(400, s.get("/api/jobs/" + id + "/events?since=-2").statusCode());

            // the next job of the environment reads only its own events from the same file
            String next = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 3}}"), 201).get("id").asText();
            assertEquals(3, data(stream(s, next, ""), "training.progress").size());
        }
    }

    @Test
    void stopEndsAfterTheCurrentStepWithACheckpoint() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            String id = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
            s.awaitJob(id, 30, j -> j.get("step").asInt() >= 2);
            JsonNode stopping = json(s.post("/api/jobs/" + id + "/stop", ""), 202);
            assertTrue(List.of("stopping", "finished").contains(stopping.get("state").asText()), stopping.toString());
            JsonNode done = s.awaitJob(id, 30, j -> !j.get("state").asText().equals("stopping"));
            assertEquals("finished", done.get("state").asText(), done.toString());
            assertTrue(done.get("stopped").asBoolean());
            int step = done.get("step").asInt();
            assertTrue(step >= 2 && step < 600, done.toString());
            JsonNode files = json(s.get("/api/jobs/" + id + "/files"), 200);
            assertEquals("checkpoint-" + step, files.get("checkpoints").get(0).get("name").asText(), files.toString());
            assertFalse(Files.exists(root.resolve("output/tiny/stop.request")), "the request is consumed");
            assertEquals(409, s.post("/api/jobs/" + id + "/stop", "").statusCode(), "a finished job cannot be stopped");
        }
    }

    @Test
    void aTrainerThatIgnoresStopIsKilledAtTheDeadlineAndShownFailed() throws Exception {
        try (ServerFixture s = new ServerFixture(root)) {
            s.start(s.settings().withStopDeadline(Duration.ofSeconds(1)));
            s.example("tiny");
            s.mode = "hang";
            String id = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
            s.awaitJob(id, 30, j -> j.get("step").asInt() >= 1);
            json(s.post("/api/jobs/" + id + "/stop", ""), 202);
            JsonNode failed = s.awaitJob(id, 30, j -> !j.get("state").asText().equals("stopping") && !j.get("exit_code").isNull());
            assertEquals("failed", failed.get("state").asText(), failed.toString());
            assertTrue(failed.get("error").asText().startsWith("killed: it did not stop within 1 s"), failed.toString());
            assertEquals(137, failed.get("exit_code").asInt(), "SIGKILL");
        }
    }

    @Test
    void aCrashedOrKilledTrainerIsFailedWithItsExitCodeAndLogNeverRunning() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            s.mode = "crash:3";
            String crashed = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
            JsonNode c = s.awaitJob(crashed, 30, j -> j.get("state").asText().equals("failed") && !j.get("exit_code").isNull());
            assertEquals(7, c.get("exit_code").asInt());
            assertEquals(2, c.get("step").asInt());
            assertTrue(c.get("error").asText().contains("exited with code 7 without finishing"), c.toString());
            assertEquals("fake trainer crashes at step 3", c.get("log_tail").get(c.get("log_tail").size() - 1).asText(), c.toString());
            assertEquals("failed", data(stream(s, crashed, ""), "end").getFirst().get("state").asText());

            s.mode = "run";
            String killed = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
            JsonNode running = s.awaitJob(killed, 30, j -> j.get("step").asInt() >= 1);
            assertEquals("running", running.get("state").asText());
            ProcessHandle.of(running.get("pid").asLong()).orElseThrow().destroyForcibly();
            JsonNode k = s.awaitJob(killed, 30, j -> !j.get("state").asText().equals("running") && !j.get("exit_code").isNull());
            assertEquals("failed", k.get("state").asText());
            assertEquals(137, k.get("exit_code").asInt());
            assertTrue(k.get("log_tail").toString().contains("fake step"), k.toString());
        }
    }

    @Test
    void aRestartedServerShowsTheJobsAsTheyWere() throws Exception {
        JsonNode finished, failed;
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            String id = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 4}}"), 201).get("id").asText();
            finished = s.awaitJob(id, 30, j -> j.get("state").asText().equals("finished") && !j.get("exit_code").isNull());
            s.mode = "crash:2";
            String other = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 4}}"), 201).get("id").asText();
            failed = s.awaitJob(other, 30, j -> j.get("state").asText().equals("failed") && !j.get("exit_code").isNull());
        }
        try (ServerFixture s = new ServerFixture(root).start()) {
            assertEquals(finished, json(s.get("/api/jobs/" + finished.get("id").asText()), 200));
            JsonNode again = json(s.get("/api/jobs/" + failed.get("id").asText()), 200);
            assertEquals(failed.get("exit_code"), again.get("exit_code"));
            assertEquals(failed.get("error"), again.get("error"));
            assertEquals(failed.get("log_tail"), again.get("log_tail"));
            JsonNode list = json(s.get("/api/jobs"), 200).get("jobs");
            assertEquals(List.of(failed.get("id").asText(), finished.get("id").asText()), list.findValuesAsText("id"), "newest first");
            assertEquals(failed.get("id").asText(), json(s.get("/api/envs"), 200).get("envs").get(0).get("job").get("id").asText());
        }
    }

    @Test
    void aJobOfAnotherServerProcessIsFoundRunningAndCanBeStopped() throws Exception {
        try (ServerFixture first = new ServerFixture(root).start()) {
            first.example("tiny");
            String id = json(first.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
            first.awaitJob(id, 30, j -> j.get("step").asInt() >= 1);
            // a second server on the folder (as after a crash of the first): the trainer is not its child
            try (ServerFixture second = new ServerFixture(root).start()) {
                JsonNode seen = second.awaitJob(id, 30, j -> j.get("step").asInt() >= 3);
                assertEquals("running", seen.get("state").asText(), seen.toString());
                assertEquals(409, second.post("/api/jobs", "{\"env\": \"tiny\"}").statusCode(), "still one job per environment");
                json(second.post("/api/jobs/" + id + "/stop", ""), 202);
                JsonNode stopped = second.awaitJob(id, 30, j -> !j.get("state").asText().equals("stopping"));
                assertEquals("finished", stopped.get("state").asText(), stopped.toString());
                assertTrue(stopped.get("stopped").asBoolean());
            }
            assertEquals("finished", first.awaitJob(id, 30, j -> !j.get("exit_code").isNull()).get("state").asText());
        }
    }
}
