package flux2.trainer.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Refuses, before any work, to resume from a checkpoint saved after the run's last step: the run would stop at
 * once and write the final LoRA (or transformer) over with the checkpoint's weights, as if it had trained.
 */
final class ResumeCheck {
    private ResumeCheck() {}

    /** Throws {@link RunRefused} when resume_from_checkpoint picks a checkpoint beyond {@code totalSteps}. */
    static void beforeTraining(flux2.trainer.config.TrainConfig c, Path outDir, long totalSteps) throws IOException {
        Path cp = new CheckpointStore(outDir, c.checkpoints().totalLimit()).find(c.checkpoints().resumeFrom());
        if (cp == null) return;
        long step = TrainingState.read(cp.resolve(CheckpointStore.STATE)).globalStep();
        if (step <= totalSteps) return;
        long max = c.training().maxTrainSteps();
        String limit = max > 0 ? "max_train_steps " + max
                : totalSteps + " steps (num_train_epochs " + c.training().numTrainEpochs() + "; max_train_steps is not set)";
        throw new RunRefused("resume_from_checkpoint \"" + c.checkpoints().resumeFrom() + "\" picks " + cp + ", saved at step " + step
                + ", beyond this run's " + limit + ": resuming would end at once and write the final weights over with the checkpoint's. "
                + "Set max_train_steps above " + step + " to train further, or resume_from_checkpoint \"none\" (or another output_dir) "
                + "to train from step 0. Nothing was written.");
    }
}
