package flux2.trainer.train;

import java.nio.file.Path;

/**
 * Whether a checkpoint can be resumed with this run's processes. The data order, the noise and the timesteps of a run
 * follow its global batch (num_processes x train_batch_size), not its number of processes, so a checkpoint continues
 * exactly on any number of processes with the same global batch (its batches are re-sharded); another global batch is
 * refused when either run is data-parallel. A checkpoint that does not record its batching was written by one process.
 */
final class ResumeBatching {
    private ResumeBatching() {}

    /** Why {@code checkpoint} cannot be resumed by a run with batching {@code now}, or null when it can. */
    static String refusal(Path checkpoint, TrainingState.Batching saved, TrainingState.Batching now) {
        if (saved == null) {
            if (now.processes() == 1) return null;
            return checkpoint + " was written by one process and does not record its train_batch_size, so " + now.processes()
                    + " processes cannot continue its data order: resume it with one process (num_processes 1), or start afresh with resume_from_checkpoint \"none\"";
        }
        if (saved.processes() == 1 && now.processes() == 1) return null;
        if (saved.globalBatch() == now.globalBatch()) return null;
        return checkpoint + " was written by " + describe(saved) + "; this run has " + describe(now) + ". A resumed run keeps the global batch "
                + "(num_processes x train_batch_size = " + saved.globalBatch() + ") so that it continues the same data order: choose num_processes and "
                + "train_batch_size whose product is " + saved.globalBatch() + ", or start afresh with resume_from_checkpoint \"none\"";
    }

    /** A line saying that the checkpoint's batches are re-sharded over another number of processes, or null when nothing changes. */
    static String note(Path checkpoint, TrainingState.Batching saved, TrainingState.Batching now) {
        if (saved == null || saved.processes() == now.processes()) return null;
        return "resuming " + checkpoint.getFileName() + " of " + describe(saved) + " on " + describe(now) + ": the global batch of " + now.globalBatch()
                + " is the same, so the run continues exactly";
    }

    private static String describe(TrainingState.Batching b) {
        return b.processes() + (b.processes() == 1 ? " process" : " processes") + " x train_batch_size " + b.batchSize() + " (global batch " + b.globalBatch() + ")";
    }
}
