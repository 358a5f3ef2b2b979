package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting and closing the server again and again, with a job each time, leaves no thread and no process behind. */
class NoLeakTest {
    @TempDir Path root;

    @Test
    void repeatedStartsAndClosesLeaveNoThreadsOrProcesses() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny"); // warms up what the JVM keeps once for good (class data, the HTTP client's selector)
        }
        Set<String> before = threads();
        for (int i = 0; i < 3; i++) {
            try (ServerFixture s = new ServerFixture(root).start()) {
                assertEquals("ok", json(s.get("/api/health"), 200).get("status").asText());
                String id = json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"max_train_steps\": 600}}"), 201).get("id").asText();
                s.awaitJob(id, 30, j -> j.get("step").asInt() >= 1);
                // closing with a job running stops it (stop request, checkpoint) before the server goes
            }
            assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList(),
                    "no trainer process left after close " + i);
        }
        try (ServerFixture s = new ServerFixture(root).start()) {
            assertTrue(json(s.get("/api/jobs"), 200).get("jobs").findValuesAsText("state").stream().allMatch("finished"::equals),
                    "each job stopped on close, with its checkpoint");
        }
        Thread.sleep(200);
        Set<String> after = threads();
        after.removeAll(before);
        // the JDK's process reaper, the common pool and this test's HTTP client come and go on their own
        after.removeIf(n -> n.startsWith("process reaper") || n.startsWith("ForkJoinPool.commonPool") || n.startsWith("HttpClient-"));
        assertEquals(Set.of(), after, "threads left by the servers");
    }

    private static Set<String> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).collect(Collectors.toSet());
    }
}
