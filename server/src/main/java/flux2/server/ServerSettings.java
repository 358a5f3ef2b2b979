package flux2.server;

import flux2.server.jobs.JobLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * How a server runs: the address it binds (127.0.0.1 unless told), its port (0 picks a free one), its token (null:
 * none on a loopback address, generated on any other), the project folder, how long a stopping job may take before
 * it is killed, the largest request body, how trainer children are launched, and where its own messages go.
 */
public record ServerSettings(String host, int port, String token, Path root, Duration stopDeadline, long maxBodyBytes,
                             JobLauncher launcher, Consumer<String> log) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8001;
    public static final Duration DEFAULT_STOP_DEADLINE = Duration.ofSeconds(60);
    public static final long DEFAULT_MAX_BODY = 4L << 20;

    /** The defaults for {@code root} and {@code launcher}: 127.0.0.1:8001, no token, 60 s, 4 MiB, messages to stderr. */
    public static ServerSettings defaults(Path root, JobLauncher launcher) {
        return new ServerSettings(DEFAULT_HOST, DEFAULT_PORT, null, root, DEFAULT_STOP_DEADLINE, DEFAULT_MAX_BODY, launcher, System.err::println);
    }

    public ServerSettings withHost(String h) { return new ServerSettings(h, port, token, root, stopDeadline, maxBodyBytes, launcher, log); }

    public ServerSettings withPort(int p) { return new ServerSettings(host, p, token, root, stopDeadline, maxBodyBytes, launcher, log); }

    public ServerSettings withToken(String t) { return new ServerSettings(host, port, t, root, stopDeadline, maxBodyBytes, launcher, log); }

    public ServerSettings withStopDeadline(Duration d) { return new ServerSettings(host, port, token, root, d, maxBodyBytes, launcher, log); }

    public ServerSettings withMaxBodyBytes(long b) { return new ServerSettings(host, port, token, root, stopDeadline, b, launcher, log); }

    public ServerSettings withLog(Consumer<String> l) { return new ServerSettings(host, port, token, root, stopDeadline, maxBodyBytes, launcher, l); }
}
