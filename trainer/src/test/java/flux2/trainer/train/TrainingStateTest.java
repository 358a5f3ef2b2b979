package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.data.SamplerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingStateTest {
    @TempDir Path dir;

    private static TrainingState state() {
        CheckHistory h = CheckHistory.start(0.25).plus(0.5).plus(0.4);
        return new TrainingState(12, 1, new SamplerState(1, 3), 7, 30, 31, 12, 1e-4)
                .checked(new CheckpointVerdict(false, "the largest |weight| is 3e9", 3e9, 0.45), h);
    }

    @Test
    void roundTripsWithItsVerdictAndHistory() throws Exception {
        Path f = dir.resolve("training_state.json");
        state().write(f);
        TrainingState back = TrainingState.read(f);
        assertEquals(state(), back);
        assertFalse(back.verdict().good());
        assertEquals(Double.POSITIVE_INFINITY, back.history().bestLossEma(), "fewer steps than the window: no best yet");
        assertArrayEquals(new double[]{0.5, 0.4}, back.history().recentLosses());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "written through a temporary file that is renamed into place");
        }
    }

    @Test
    void aTruncatedFileIsNamedWithWhatIsWrong() throws Exception {
        Path f = dir.resolve("training_state.json");
        state().write(f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length / 2));
        IOException e = assertThrows(IOException.class, () -> TrainingState.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON (Unexpected end-of-input"), e.getMessage());
        assertTrue(e.getMessage().contains("at line "), e.getMessage());

        Files.writeString(f, "");
        assertTrue(assertThrows(IOException.class, () -> TrainingState.read(f)).getMessage().startsWith(f + ": expected a JSON object"));
        Files.writeString(f, "{\"global_step\": \"twelve\", \"sampler\": {}, \"rng\": {}}");
        assertEquals(f + ": 'global_step' must be a whole number, found \"twelve\"", assertThrows(IOException.class, () -> TrainingState.read(f)).getMessage());
    }
}
