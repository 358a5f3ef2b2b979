package flux2.trainer.train;

/** Training stopped on purpose (a non-finite loss or gradient): the message names the step; nothing was saved over good files. */
public final class TrainingStopped extends RuntimeException {
    public TrainingStopped(String message) { super(message); }
}
