package flux2.trainer.train;

/** A run refused before it started, having written nothing: the message says why and which settings to change. */
public final class RunRefused extends RuntimeException {
    public RunRefused(String message) { super(message); }
}
