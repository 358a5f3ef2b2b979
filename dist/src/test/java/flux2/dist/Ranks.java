package flux2.dist;

import flux2.tensor.collective.RankEnv;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Ranks as threads of the test JVM, meeting on loopback at a free port. */
public final class Ranks {
    private Ranks() {}

    /** What one rank does. */
    @FunctionalInterface
    public interface Body<T> {
        T run(RankEnv env) throws Exception;
    }

    /** A port no one listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** torchrun-style environments of a world of n on 127.0.0.1:port. */
    public static RankEnv env(int rank, int n, int port, Duration timeout) {
        return new RankEnv(rank, n, rank, n, RankEnv.Launcher.TORCHRUN, "127.0.0.1", port, timeout, timeout);
    }

    /** Runs body on n ranks (threads) and returns their results in rank order; the first failure is rethrown. */
    public static <T> List<T> run(int n, Duration timeout, Body<T> body) throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> f = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                RankEnv e = env(r, n, port, timeout);
                f.add(pool.submit(() -> body.run(e)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> x : f) out.add(x.get(120, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
