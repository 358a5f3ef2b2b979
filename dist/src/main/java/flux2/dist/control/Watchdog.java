package flux2.dist.control;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Guards a blocking collective call, which cannot be interrupted: a daemon thread watches the deadline and the
 * control channel, and when the call has not returned in time (or a rank's process has ended) it prints the message
 * naming the rank, passes it to the other ranks and ends this process, so that the launcher ends the job.
 */
public final class Watchdog {
    private final ControlChannel channel;
    private volatile long armedSeq, deadline;
    private volatile String armedWhat;
    private volatile Duration armedTimeout;
    private Thread thread;

    public Watchdog(ControlChannel channel) { this.channel = channel; }

    /** A guarded call; closing it says the call returned. */
    public interface Armed extends AutoCloseable {
        @Override void close();
    }

    /** Guards operation {@code seq} ({@code what}) for {@code timeout}. */
    public synchronized Armed arm(long seq, String what, Duration timeout) {
        armedWhat = what;
        armedTimeout = timeout;
        deadline = System.nanoTime() + timeout.toNanos();
        armedSeq = seq;
        if (thread == null) {
            thread = new Thread(this::watch, "flux2-collective-watchdog");
            thread.setDaemon(true);
            thread.start();
        }
        return () -> armedSeq = 0;
    }

    private void watch() {
        while (true) {
            LockSupport.parkNanos(20_000_000);
            long seq = armedSeq;
            if (seq == 0) continue;
            String failure = channel.failure();
            String message = null;
            if (failure != null) {
                message = "rank " + channel.rank() + ": " + armedWhat + " #" + seq + " cannot complete: " + failure;
            } else if (System.nanoTime() > deadline) {
                message = CollectiveWait.timeoutMessage(() -> armedSeq != seq, channel, seq, armedWhat, armedTimeout);
                if (message == null) continue;
                channel.abort(message);
            }
            if (message == null || armedSeq != seq) continue;
            System.out.flush();
            System.err.println("error: " + message);
            System.err.flush();
            LockSupport.parkNanos(300_000_000); // let the abort reach the other ranks
            Runtime.getRuntime().halt(1);
        }
    }
}
