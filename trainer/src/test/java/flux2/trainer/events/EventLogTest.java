package flux2.trainer.events;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
    @TempDir Path dir;

    @Test
    void writesOneJsonObjectPerEventAndAppendsAcrossRuns() throws Exception {
        try (EventLog log = EventLog.open(dir, w -> fail(w))) {
            log.phase(Phase.CACHING_TEXT);
            log.phase(Phase.CACHING_TEXT); // the same phase again is no new event
            log.progress(1, 4, 0.5, 1e-3, 0.25, 2.0);
            log.checkpoint(1, dir.resolve("checkpoint-1"), false);
            log.validationImage(1, "validation", 0, "32x32", dir.resolve("validation_images/step_1_validation_0_32x32.png"));
            log.finished(TrainingEvents.Outcome.STOPPED, 1, null, null);
            assertEquals(1, log.lastStep());
        }
        try (EventLog log = EventLog.open(dir, w -> fail(w))) {
            log.finished(TrainingEvents.Outcome.FAILED, 0, null, "loss is NaN at step 1");
        }
        List<JsonNode> e = EventReader.read(dir.resolve(EventLog.FILE_NAME), 0).events();
        List<String> types = new ArrayList<>();
        for (JsonNode n : e) types.add(n.get("type").asText());
        assertEquals(List.of("training.status", "lifecycle.stage", "lifecycle.stage", "training.progress", "training.checkpoint", "validation.image",
                "training.status", "training.status", "error", "training.status"), types, "the progress event marks the return to training");
        assertEquals(ProcessHandle.current().pid(), e.get(0).get("data").get("pid").asLong());
        assertEquals("started", e.get(0).get("data").get("status").asText());
        assertEquals("caching_text", e.get(1).get("stage").get("key").asText());
        assertEquals("training", e.get(2).get("stage").get("key").asText());
        JsonNode p = e.get(3).get("progress");
        assertEquals(1, p.get("current").asLong());
        assertEquals(4, p.get("total").asLong());
        assertEquals(25.0, p.get("percent").asDouble());
        assertEquals(6.0, p.get("eta_seconds").asDouble(), "2 s a step, 3 steps to go");
        assertEquals(0.5, p.get("metrics").get("loss").asDouble());
        assertEquals(1e-3, p.get("metrics").get("learning_rate").asDouble());
        assertEquals(0.25, p.get("metrics").get("grad_norm").asDouble());
        assertEquals("checkpoint-1", e.get(4).get("checkpoint").get("path").asText(), "paths relative to the output folder");
        assertEquals("validation_images/step_1_validation_0_32x32.png", e.get(5).get("images").get(0).asText());
        assertEquals("validation", e.get(5).get("data").get("shortname").asText());
        assertEquals("stopped", e.get(6).get("data").get("status").asText());
        assertEquals("loss is NaN at step 1", e.get(8).get("message").asText());
        assertEquals("error", e.get(9).get("severity").asText());
        assertEquals("failed", e.get(9).get("data").get("status").asText());
        for (JsonNode n : e) assertTrue(n.get("timestamp").asText().endsWith("Z"), n.toString());
    }

    @Test
    void aReaderGetsCompleteLinesOnlyAndSkipsHalfALineLeftByAKilledRun() throws Exception {
        Path f = dir.resolve(EventLog.FILE_NAME);
        try (EventLog log = EventLog.open(dir, w -> fail(w))) {
            log.progress(1, 2, 1, 1, 1, Double.NaN);
        }
        EventReader.Chunk first = EventReader.read(f, 0);
        assertEquals(3, first.events().size(), "started, the training stage, the step");
        assertFalse(first.events().get(2).get("progress").has("eta_seconds"), "no rate yet, no ETA");
        assertEquals(Files.size(f), first.nextOffset());
        // a line being written (or cut by a kill) is not returned...
        Files.writeString(f, "{\"type\": \"training.prog", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        EventReader.Chunk partial = EventReader.read(f, first.nextOffset());
        assertEquals(List.of(), partial.events());
        assertEquals(first.nextOffset(), partial.nextOffset());
        // ...and the next run starts on a fresh line, so the cut one is skipped, not glued to it
        try (EventLog log = EventLog.open(dir, w -> fail(w))) {
            log.progress(2, 2, 1, 1, 1, 1);
        }
        EventReader.Chunk rest = EventReader.read(f, partial.nextOffset());
        assertEquals(List.of("training.status", "lifecycle.stage", "training.progress"), rest.events().stream().map(n -> n.get("type").asText()).toList());
        assertEquals(List.of(), EventReader.read(dir.resolve("absent.jsonl"), 0).events());
    }

    @Test
    void aFileThatCannotBeWrittenCostsOneWarningNotTheRun() throws Exception {
        Files.createDirectories(dir.resolve(EventLog.FILE_NAME)); // a folder where the file should be
        List<String> warnings = new ArrayList<>();
        try (EventLog log = EventLog.open(dir, warnings::add)) {
            log.progress(1, 1, 1, 1, 1, 1);
            log.finished(TrainingEvents.Outcome.COMPLETED, 1, null, null);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("cannot write the events file"), warnings.toString());
    }
}
