package flux2.trainer.config;

import flux2.autograd.optim.LrSchedule;

/**
 * How the weights are trained, by concern: batches, run length, optimizer, learning-rate schedule, gradient clipping
 * and loss; gradientCheckpointing recomputes activations in the backward pass instead of keeping them.
 */
public record Training(Batches batches, Length length, Optimizer optimizer, Schedule schedule, Clipping clipping, Loss loss,
                       boolean gradientCheckpointing) {

    /**
     * train_batch_size samples per forward on each process, gradient_accumulation_steps forwards per optimizer
     * update, and num_processes data-parallel processes that train on a global batch of processes x size.
     */
    public record Batches(int size, int accumulationSteps, int processes) {}

    /** max_train_steps (0: num_train_epochs decides) and num_train_epochs. */
    public record Length(long maxTrainSteps, int numTrainEpochs) {}

    /** The optimizer and its hyper-parameters (optimizer, learning_rate, optimizer_beta1/2, and the algorithm's defaults). */
    public record Optimizer(OptimizerName name, double learningRate, double beta1, double beta2, double weightDecay, double epsilon) {}

    /** lr_scheduler with lr_warmup_steps; lr_end and lr_power shape the polynomial schedule. */
    public record Schedule(Scheduler scheduler, int warmupSteps, double lrEnd, double power) {}

    /** grad_clip_method and max_grad_norm (0 or less: no clipping). */
    public record Clipping(ClipMethod method, double maxGradNorm) {}

    /** loss_type, and caption_dropout_probability: the share of samples trained on the empty caption. */
    public record Loss(LossType type, double captionDropout) {}

    /** optimizer: the optimizers this trainer implements (adamw_bf16 and optimi-adamw run as ADAMW). */
    public enum OptimizerName { ADAMW }

    /** lr_scheduler: the schedules this trainer implements, each one of diffusers' (see {@link LrSchedule}). */
    public enum Scheduler {
        CONSTANT, CONSTANT_WITH_WARMUP, LINEAR, COSINE, POLYNOMIAL;

        /** The schedule that computes this one. */
        public LrSchedule.Kind kind() { return LrSchedule.Kind.valueOf(name()); }
    }

    /** grad_clip_method: each gradient element clamped to max_grad_norm, or all gradients scaled to that global norm. */
    public enum ClipMethod { VALUE, NORM }

    /** loss_type: the losses this trainer implements. */
    public enum LossType { L2 }
}
