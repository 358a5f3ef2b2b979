package flux2.tests.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.trainer.train.Metrics;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server with the real trainer on the embedded example: a short run streamed to its end, a restarted server
 * showing it, a stop whose checkpoint resumes bit for bit, and a killed trainer shown as failed.
 */
class ServerTrainingEndToEndTest {
    @TempDir Path root;

    /** Few validation steps keep the runs short; the example's 32x32 images and prompts are kept. */
    static final String SHORT = "\"validation_num_inference_steps\": 2";

    @Test
    void aRunStreamsItsProgressToTheEndListsItsLoraAndARestartedServerShowsIt() throws Exception {
        JsonNode finished;
        try (LiveServer s = new LiveServer(root)) {
            s.post("/api/envs", "{\"name\": \"tiny\", \"example\": true}", 201);
            String id = s.start("tiny", "{\"max_train_steps\": 4, \"checkpoint_step_interval\": 2, \"validation_step_interval\": 2, " + SHORT + "}");
            HttpResponse<Stream<String>> r = LiveServer.HTTP.send(s.request("/api/jobs/" + id + "/events").header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofLines());
            List<JsonNode> progress = new ArrayList<>(), images = new ArrayList<>();
            String last = null;
            try (Stream<String> lines = r.body()) {
                String event = null;
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.startsWith("event: ")) event = line.substring(7);
                    else if (line.startsWith("data: ")) {
                        JsonNode d = LiveServer.JSON.readTree(line.substring(6));
                        if ("training.progress".equals(event)) progress.add(d);
                        if ("validation.image".equals(event)) images.add(d);
                        last = event;
                    }
                }
            }
            assertEquals("end", last, "the stream ends with the job");
            Path out = root.resolve("output/tiny");
            List<Metrics.Line> metrics = Metrics.read(out.resolve("metrics.jsonl"));
            assertEquals(List.of(1L, 2L, 3L, 4L), progress.stream().map(p -> p.get("progress").get("current").asLong()).toList());
            for (int i = 0; i < 4; i++) assertEquals(metrics.get(i).loss(), progress.get(i).get("progress").get("metrics").get("loss").asDouble());
            // validation_on_startup, then steps 2 and 4: three prompts, two images each
            assertEquals(18, images.size());
            String image = images.getLast().get("images").get(0).asText();
            HttpResponse<byte[]> png = LiveServer.HTTP.send(s.request("/api/jobs/" + id + "/files/" + image).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(Files.readAllBytes(out.resolve(image)), png.body());

            finished = s.awaitEnd(id, 60);
            assertEquals("finished", finished.get("state").asText(), finished.toString());
            assertEquals(4, finished.get("step").asInt());
            assertEquals(4, finished.get("total").asInt());
            assertEquals(metrics.getLast().loss(), finished.get("loss").asDouble());
            assertEquals(0, finished.get("exit_code").asInt());
            JsonNode files = s.get("/api/jobs/" + id + "/files");
            assertEquals("pytorch_lora_weights.safetensors", files.get("lora").get(0).get("path").asText());
            assertEquals(List.of("checkpoint-2", "checkpoint-4"), files.get("checkpoints").findValuesAsText("name"));
            HttpResponse<byte[]> lora = LiveServer.HTTP.send(s.request("/api/jobs/" + id + "/files/pytorch_lora_weights.safetensors").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("attachment; filename=\"pytorch_lora_weights.safetensors\"", lora.headers().firstValue("Content-Disposition").orElse(""));
            assertArrayEquals(Files.readAllBytes(out.resolve("pytorch_lora_weights.safetensors")), lora.body());
        }
        try (LiveServer again = new LiveServer(root)) {
            assertEquals(finished, again.get("/api/jobs/" + finished.get("id").asText()), "the same state after a restart");
            assertEquals(18, again.get("/api/jobs/" + finished.get("id").asText() + "/files").get("images").size());
        }
    }

    @Test
    void aStoppedRunLeavesACheckpointThatResumesBitForBit() throws Exception {
        String run = "{\"max_train_steps\": 24, \"checkpoint_step_interval\": 1000, \"validation_step_interval\": 1000, "
                + "\"validation_on_startup\": false, \"validation_num_inference_steps\": 1, \"num_validation_images\": 1";
        try (LiveServer s = new LiveServer(root)) {
            s.post("/api/envs", "{\"name\": \"stopped\", \"example\": true}", 201);
            s.post("/api/envs", "{\"name\": \"straight\", \"copy_of\": \"stopped\"}", 201);
            // the run without a stop reads the caches the first run builds (they are filled once, then only read)
            Path backends = root.resolve("config/straight/multidatabackend.json");
            Files.writeString(backends, Files.readString(backends).replace("output/straight/cache", "output/stopped/cache"));
            String id = s.start("stopped", run + "}");
            s.await(id, 120, j -> j.get("step").asInt() >= 2);
            s.post("/api/jobs/" + id + "/stop", "", 202);
            JsonNode stopped = s.awaitEnd(id, 60);
            assertEquals("finished", stopped.get("state").asText(), stopped.toString());
            assertTrue(stopped.get("stopped").asBoolean());
            int step = stopped.get("step").asInt();
            assertTrue(step >= 2 && step < 24, "stopped at step " + step + " of 24");
            Path out = root.resolve("output/stopped");
            assertTrue(Files.isRegularFile(out.resolve("checkpoint-" + step + "/training_state.json")));
            assertFalse(Files.exists(out.resolve("pytorch_lora_weights.safetensors")), "a stopped run writes no final LoRA");
            assertEquals(List.of("checkpoint-" + step), s.get("/api/jobs/" + id + "/files").get("checkpoints").findValuesAsText("name"));

            String resumed = s.start("stopped", run + ", \"resume_from_checkpoint\": \"latest\"}");
            assertEquals("finished", s.awaitEnd(resumed, 180).get("state").asText());
            assertTrue(String.join("\n", s.server.jobs().get(resumed).logTail(200)).contains("resumed from " + out.resolve("checkpoint-" + step)));
            String straight = s.start("straight", run + "}");
            assertEquals("finished", s.awaitEnd(straight, 180).get("state").asText());

            Path other = root.resolve("output/straight");
            assertArrayEquals(Files.readAllBytes(other.resolve("pytorch_lora_weights.safetensors")), Files.readAllBytes(out.resolve("pytorch_lora_weights.safetensors")),
                    "stopped at step " + step + " and resumed: the same LoRA as without the stop");
            List<Metrics.Line> a = Metrics.read(out.resolve("metrics.jsonl")), b = Metrics.read(other.resolve("metrics.jsonl"));
            assertEquals(b.stream().map(Metrics.Line::loss).toList(), a.stream().map(Metrics.Line::loss).toList());
        }
    }

    @Test
    void aKilledTrainerIsShownFailedWithItsExitCodeAndLog() throws Exception {
        try (LiveServer s = new LiveServer(root)) {
            s.post("/api/envs", "{\"name\": \"tiny\", \"example\": true}", 201);
            String id = s.start("tiny", "{\"max_train_steps\": 3000, \"validation_on_startup\": false}");
            JsonNode running = s.await(id, 120, j -> j.get("step").asInt() >= 1);
            assertEquals("running", running.get("state").asText());
            ProcessHandle.of(running.get("pid").asLong()).orElseThrow().destroyForcibly();
            JsonNode failed = s.awaitEnd(id, 60);
            assertEquals("failed", failed.get("state").asText(), failed.toString());
            assertEquals(137, failed.get("exit_code").asInt());
            assertTrue(failed.get("error").asText().contains("exited with code 137 without finishing"), failed.toString());
            assertTrue(failed.get("log_tail").toString().contains("training 22 LoRA modules"), failed.toString());
            try (LiveServer again = new LiveServer(root)) {
                assertEquals("failed", again.get("/api/jobs/" + id).get("state").asText(), "never shown running");
            }
        }
    }
}
