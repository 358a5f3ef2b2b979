package flux2.trainer.data;

/** Where a {@link DataSampler} is: the epoch and the index of the next batch in it (saved with checkpoints). */
public record SamplerState(long epoch, int nextBatch) {}
