package flux2.dist.control;

import flux2.tensor.collective.CollectiveException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for a collective operation that a library runs in the background (an MPI request, a CUDA stream), polling
 * it until it completes, the control channel reports that the job cannot go on, or the timeout passes. Open MPI
 * moves a non-blocking collective's data only while it is polled, so the first seconds poll without pause (a
 * transfer of hundreds of MB completes there); a longer wait (the other ranks waiting while rank 0 validates) sleeps
 * between polls, growing to 10 ms. A timeout names the ranks known not to have reached the operation and aborts the
 * job, so that the other ranks stop with the same message.
 */
public final class CollectiveWait {
    /** Whether the operation has completed; polling also drives the library's progress. */
    @FunctionalInterface
    public interface Poll {
        boolean done();
    }

    /** How long a wait polls without pause before it sleeps between polls. */
    static final long SPIN_NANOS = 2_000_000_000L;

    private CollectiveWait() {}

    /** Waits for operation {@code seq} (named {@code what}); throws {@link CollectiveException} when it cannot complete. */
    public static void await(Poll poll, ControlChannel channel, long seq, String what, Duration timeout) {
        long start = System.nanoTime(), deadline = start + timeout.toNanos();
        long pause = 0;
        while (!poll.done()) {
            String failure = channel.failure();
            if (failure != null) throw new CollectiveException("rank " + channel.rank() + ": " + what + " #" + seq + " cannot complete: " + failure);
            long now = System.nanoTime();
            if (now > deadline) {
                CollectiveException e = timedOut(poll, channel, seq, what, timeout);
                if (e == null) return;
                throw e;
            }
            if (now - start > SPIN_NANOS) {
                pause = Math.min(10_000_000, Math.max(50_000, pause * 2));
                LockSupport.parkNanos(pause);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** The error of a timeout (after telling the other ranks), or null when the operation completed after all. */
    private static CollectiveException timedOut(Poll poll, ControlChannel channel, long seq, String what, Duration timeout) {
        String message = timeoutMessage(poll, channel, seq, what, timeout);
        if (message == null) return null;
        if (channel.failure() == null || !channel.failure().equals(message)) channel.abort(message);
        return new CollectiveException(message);
    }

    /**
     * What to say when operation {@code seq} has not completed within {@code timeout}: the ranks known not to have
     * reached it. A rank other than 0 first waits a moment for rank 0's abort, which names them; null when the
     * operation completed during that moment.
     */
    static String timeoutMessage(Poll poll, ControlChannel channel, long seq, String what, Duration timeout) {
        String head = "rank " + channel.rank() + ": " + what + " #" + seq + " did not complete within " + ControlChannel.seconds(timeout) + ": ";
        String missing = channel.missing(seq);
        if (missing == null && channel.rank() != 0) {
            long until = System.nanoTime() + Math.min(timeout.toNanos(), 5_000_000_000L);
            while (channel.failure() == null && System.nanoTime() < until) {
                if (poll.done()) return null;
                LockSupport.parkNanos(1_000_000);
            }
            if (channel.failure() != null) return "rank " + channel.rank() + ": " + what + " #" + seq + " cannot complete: " + channel.failure();
        }
        return head + (missing != null ? missing + " did not reach it" : "rank 0 reached it, so another rank did not (rank 0 names it)");
    }
}
