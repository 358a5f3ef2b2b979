package flux2.trainer.events;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.examples.TinyProject;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.train.Metrics;
import flux2.trainer.train.StopRequest;
import flux2.trainer.train.Trainer;
import flux2.trainer.train.TrainingStopped;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The events file a real training run writes beside its outputs, and the stop request it honours. */
class TrainingEventsTest {
    @TempDir Path dir;

    private TrainConfig config(Map<String, Object> settings, String... overrides) throws Exception {
        Path cfg = TinyProject.write(dir, settings);
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    private static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream()); }

    private List<JsonNode> events() throws Exception {
        return EventReader.read(dir.resolve("output").resolve(EventLog.FILE_NAME), 0).events();
    }

    private static List<JsonNode> ofType(List<JsonNode> events, String type) {
        return events.stream().filter(e -> e.get("type").asText().equals(type)).toList();
    }

    @Test
    void aRunReportsItsPhasesStepsCheckpointsImagesAndEnd() throws Exception {
        TrainConfig c = config(Map.of("checkpoint_step_interval", 1), "--max_train_steps", "2");
        new Trainer(c, quiet()).run();
        List<JsonNode> e = events();
        assertEquals("started", e.getFirst().get("data").get("status").asText());
        assertEquals(List.of("caching_latents", "caching_text", "training", "saving", "training", "saving", "validating"),
                ofType(e, EventLog.STAGE).stream().map(n -> n.get("stage").get("key").asText()).toList());
        List<JsonNode> progress = ofType(e, EventLog.PROGRESS);
        List<Metrics.Line> metrics = Metrics.read(dir.resolve("output/metrics.jsonl"));
        assertEquals(2, progress.size());
        for (int i = 0; i < 2; i++) {
            JsonNode p = progress.get(i).get("progress");
            assertEquals(i + 1, p.get("current").asLong());
            assertEquals(2, p.get("total").asLong());
            assertEquals(metrics.get(i).loss(), p.get("metrics").get("loss").asDouble(), "the loss metrics.jsonl has");
            assertEquals(metrics.get(i).lr(), p.get("metrics").get("learning_rate").asDouble());
            assertEquals(metrics.get(i).gradNorm(), p.get("metrics").get("grad_norm").asDouble());
            assertTrue(p.get("metrics").get("seconds_per_step").asDouble() > 0);
        }
        assertEquals(List.of("checkpoint-1", "checkpoint-2"), ofType(e, EventLog.CHECKPOINT).stream().map(n -> n.get("checkpoint").get("path").asText()).toList());
        assertEquals(List.of(false, true), ofType(e, EventLog.CHECKPOINT).stream().map(n -> n.get("checkpoint").get("is_final").asBoolean()).toList());
        List<JsonNode> images = ofType(e, EventLog.VALIDATION_IMAGE);
        assertEquals(List.of("validation_images/step_2_validation_0_32x32.png", "validation_images/step_2_redsq_0_32x32.png"),
                images.stream().map(n -> n.get("images").get(0).asText()).toList());
        for (JsonNode i : images) assertTrue(Files.isRegularFile(dir.resolve("output").resolve(i.get("images").get(0).asText())));
        JsonNode end = e.getLast();
        assertEquals(EventLog.STATUS, end.get("type").asText());
        assertEquals("completed", end.get("data").get("status").asText());
        assertEquals(2, end.get("data").get("step").asLong());
        assertEquals("pytorch_lora_weights.safetensors", end.get("data").get("output").asText());
    }

    @Test
    void aStopRequestEndsTheRunAfterTheStepWithACheckpoint() throws Exception {
        TrainConfig c = config(Map.of(), "--max_train_steps", "50");
        Files.createDirectories(c.outputDir());
        StopRequest.request(c.outputDir());
        Trainer.Result r = new Trainer(c, quiet()).run();
        assertEquals(1, r.steps());
        assertNull(r.loraFile(), "no final LoRA: the run was stopped");
        assertTrue(Files.isRegularFile(dir.resolve("output/checkpoint-1/training_state.json")));
        assertFalse(Files.exists(c.outputDir().resolve(StopRequest.FILE_NAME)), "the request is consumed");
        JsonNode end = events().getLast();
        assertEquals("stopped", end.get("data").get("status").asText());
        assertEquals(1, end.get("data").get("step").asLong());
        assertEquals("checkpoint-1", ofType(events(), EventLog.CHECKPOINT).getLast().get("checkpoint").get("path").asText());
    }

    @Test
    void aRunThatFailsSaysWhyInItsEvents() throws Exception {
        TrainConfig c = config(Map.of("learning_rate", 1e30, "max_grad_norm", 0.0), "--max_train_steps", "20");
        assertThrows(TrainingStopped.class, () -> new Trainer(c, quiet()).run());
        List<JsonNode> e = events();
        JsonNode error = ofType(e, EventLog.ERROR).getFirst();
        assertTrue(error.get("message").asText().contains("stopped without saving"), error.toString());
        assertEquals("failed", e.getLast().get("data").get("status").asText());
        assertEquals(error.get("message"), e.getLast().get("message"));
    }
}
