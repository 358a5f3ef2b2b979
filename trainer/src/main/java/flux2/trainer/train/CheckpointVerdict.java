package flux2.trainer.train;

/**
 * Whether a checkpoint passed {@link CheckpointCheck} when it was saved ({@code verdict} in training_state.json):
 * {@code reason} says what failed (empty when good), with the largest absolute weight and the mean loss of the
 * recent steps it was judged on.
 */
public record CheckpointVerdict(boolean good, String reason, double maxAbsWeight, double recentLoss) {
    /** A checkpoint without a verdict (written before checkpoints were checked) counts as good. */
    public static boolean isGood(CheckpointVerdict v) {
        return v == null || v.good();
    }
}
