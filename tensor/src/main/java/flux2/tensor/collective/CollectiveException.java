package flux2.tensor.collective;

/**
 * A collective operation that cannot complete: a rank died, hung past the timeout, or aborted the job. The message
 * names the rank and the operation; the job cannot go on (its ranks no longer agree on what comes next).
 */
public class CollectiveException extends RuntimeException {
    public CollectiveException(String message) { super(message); }

    public CollectiveException(String message, Throwable cause) { super(message, cause); }
}
