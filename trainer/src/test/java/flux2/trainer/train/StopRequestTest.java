package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StopRequestTest {
    @TempDir Path dir;

    @Test
    void aRequestMadeAfterTheProcessStartedIsHonouredAndCleared() throws Exception {
        StopRequest stop = StopRequest.in(dir);
        assertFalse(stop.requested());
        StopRequest.request(dir);
        assertTrue(stop.requested());
        stop.clear();
        assertFalse(Files.exists(dir.resolve(StopRequest.FILE_NAME)));
        assertFalse(stop.requested());
    }

    @Test
    void aRequestLeftOverFromBeforeThisProcessIsIgnored() throws Exception {
        StopRequest.request(dir);
        Instant started = ProcessHandle.current().info().startInstant().orElseThrow();
        Files.setLastModifiedTime(dir.resolve(StopRequest.FILE_NAME), FileTime.from(started.minusSeconds(60)));
        assertFalse(StopRequest.in(dir).requested());
    }
}
