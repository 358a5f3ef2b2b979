package flux2.app;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import flux2.server.ApiError;
import flux2.server.ServerSettings;
import flux2.server.TrainerServer;
import flux2.server.jobs.JavaLauncher;
import flux2.server.jobs.Job;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Serves the web UI that sets up, starts, watches and stops trainings of a project folder. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Serve the web UI (http://127.0.0.1:8001/) to edit environments, start, watch and stop trainings of the project folder. "
                + "Binds 127.0.0.1 by default; any other --host needs a token (--token, or one generated and printed once). "
                + "Ctrl-C stops the server, and its running jobs after their current step, with a checkpoint.")
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = ServerSettings.DEFAULT_HOST, description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8001", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--token", paramLabel = "T", description = "Token every request must carry (Authorization: Bearer T, or open ?token=T once).")
    String token;

    @Option(names = "--env", paramLabel = "NAME", description = "Start this environment's training (config/NAME/config.json) once the server is up.")
    String env;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = ".", description = "The project folder (default: the working folder); nothing outside it is read or written.")
    Path root;

    @Option(names = "--stop-deadline", paramLabel = "SECONDS", defaultValue = "60", description = "How long a stopping job may take before it is killed (default ${DEFAULT-VALUE}).")
    long stopDeadline;

    @Override
    public Integer call() throws Exception {
        if (stopDeadline < 1) throw new IllegalArgumentException("--stop-deadline must be at least 1 second, not " + stopDeadline);
        ServerSettings s = ServerSettings.defaults(root, JavaLauncher.sameJvm(Main.class.getName()))
                .withHost(host).withPort(port).withToken(token).withStopDeadline(Duration.ofSeconds(stopDeadline));
        TrainerServer server = TrainerServer.start(s);
        System.out.println("flux2-trainer server on " + server.url() + " (project folder " + server.root() + ")");
        if (server.token() != null && token == null)
            System.out.println("token (shown once): " + server.token() + "; requests need it as Authorization: Bearer <token> or open the link above");
        if (env != null) {
            try {
                Job j = server.startJob(env, JsonNodeFactory.instance.objectNode());
                System.out.println("started job " + j.id() + " of environment " + env);
            } catch (ApiError e) {
                System.err.println("error: cannot start environment " + env + ": " + e.getMessage());
                server.close();
                return 2;
            }
        }
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            closed.countDown();
        }, "flux2-server-shutdown"));
        closed.await();
        return 0;
    }
}
