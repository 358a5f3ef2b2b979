package flux2.trainer.folders;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeftoversTest {
    @TempDir Path dir;

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void file(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "x");
    }

    @Test
    void removesWhatInterruptedWritesLeaveAndNothingElse() throws Exception {
        file(".pytorch_lora_weights.safetensors.3fa9c01d2b7e.tmp"); // a kill during the final LoRA write
        file(".checkpoint-8.tmp/optimizer.safetensors");            // a kill while saving a checkpoint
        file(".trash-checkpoint-7.1c2d/lora_parameters.safetensors"); // a kill while pruning
        file(".transformer.tmp/config.json");
        file("transformer/config.json");
        file(".transformer.old/config.json");                       // the replaced folder, its successor in place
        file("checkpoint-4/training_state.json");
        file("pytorch_lora_weights.safetensors");
        file("metrics.jsonl");
        file(".flux2.lock");
        file(".user-notes");
        List<String> done = Leftovers.clean(dir);
        assertEquals(5, done.size(), done.toString());
        assertTrue(done.stream().allMatch(d -> d.startsWith("removed " + dir)), done.toString());
        assertEquals(List.of(".flux2.lock", ".user-notes", "checkpoint-4", "metrics.jsonl", "pytorch_lora_weights.safetensors", "transformer"), names());
        assertEquals(List.of(), Leftovers.clean(dir), "a clean folder stays as it is");
    }

    @Test
    void restoresAReplacedFolderWhoseSuccessorNeverArrived() throws Exception {
        // TransformerFolder moved the old folder aside and was killed before moving the new one in
        file(".transformer.old/diffusion_pytorch_model.safetensors");
        List<String> done = Leftovers.clean(dir);
        assertEquals(1, done.size(), done.toString());
        assertTrue(done.getFirst().startsWith("restored " + dir.resolve("transformer")), done.toString());
        assertEquals(List.of("transformer"), names());
        assertTrue(Files.isRegularFile(dir.resolve("transformer/diffusion_pytorch_model.safetensors")));
    }

    @Test
    void aDeletionCutOffHalfWayLeavesNoHalfCheckpointUnderItsName() throws Exception {
        file("checkpoint-7/lora_parameters.safetensors");
        file("checkpoint-7/optimizer.safetensors");
        file("checkpoint-7/training_state.json");
        // the deletion removes one file and is then killed
        assertThrows(java.io.IOException.class, () -> Leftovers.discard(dir.resolve("checkpoint-7"), p -> {
            try (Stream<Path> s = Files.list(p)) {
                Files.delete(s.sorted().findFirst().orElseThrow());
            }
            throw new java.io.IOException("killed");
        }));
        List<String> left = names();
        assertEquals(1, left.size(), left.toString());
        assertTrue(left.getFirst().startsWith(".trash-checkpoint-7."), left.toString());
        assertEquals(1, Leftovers.clean(dir).size());
        assertEquals(List.of(), names());
        file("checkpoint-8/training_state.json");
        Leftovers.discard(dir.resolve("checkpoint-8"));
        assertEquals(List.of(), names());
    }
}
