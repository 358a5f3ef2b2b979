package flux2.trainer.events;

import java.nio.file.Path;

/**
 * What a training run reports while it goes: its phase, each optimizer step, checkpoints, validation images and how
 * it ended. {@link EventLog} writes them to {@code events.jsonl} beside the outputs; {@link #NONE} drops them.
 */
public interface TrainingEvents {
    /** How a run ended: all its steps done, stopped on request after a checkpoint, or failed. */
    enum Outcome {
        COMPLETED, STOPPED, FAILED;

        /** The status word written to the events file. */
        public String key() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** The run entered {@code phase}. */
    void phase(Phase phase);

    /** Optimizer step {@code step} of {@code total} is done. */
    void progress(long step, long total, double loss, double learningRate, double gradNorm, double secondsPerStep);

    /** A checkpoint folder (or, {@code isFinal}, the one written with the final LoRA) was saved after {@code step}. */
    void checkpoint(long step, Path folder, boolean isFinal);

    /** A validation image of prompt {@code shortname} was written. */
    void validationImage(long step, String shortname, int index, String resolution, Path file);

    /** The run ended after {@code step}; {@code output} is the LoRA file or transformer folder (null unless completed). */
    void finished(Outcome outcome, long step, Path output, String message);

    /** Drops every event. */
    TrainingEvents NONE = new TrainingEvents() {
        @Override public void phase(Phase phase) {}
        @Override public void progress(long step, long total, double loss, double learningRate, double gradNorm, double secondsPerStep) {}
        @Override public void checkpoint(long step, Path folder, boolean isFinal) {}
        @Override public void validationImage(long step, String shortname, int index, String resolution, Path file) {}
        @Override public void finished(Outcome outcome, long step, Path output, String message) {}
    };
}
