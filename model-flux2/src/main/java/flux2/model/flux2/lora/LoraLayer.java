package flux2.model.flux2.lora;

import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.BatchSlice;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * A LoRA adapter on one Linear: adds (alpha / rank) B(A(dropout(x))) to its output, with A [rank, in] and
 * B [out, rank] (parameters {@code lora_A.weight}, {@code lora_B.weight}, F32). Dropout masks come from
 * (seed, step), so a checkpointed block recomputes exactly the mask its forward used; a data-parallel rank whose
 * forward holds a slice of the step's batch draws that slice's rows of the whole batch's mask.
 */
public final class LoraLayer extends Module implements Linear.LinearAdapter {
    public final int rank;
    public final double alpha, scale, dropout;
    public final Linear a, b;
    private final long seed;
    private long step;
    private BatchSlice batch;
    private boolean training = true;

    public LoraLayer(int in, int out, int rank, double alpha, double dropout, long seed, TensorArena arena) {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be > 0, got " + rank);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        this.rank = rank;
        this.alpha = alpha;
        this.scale = alpha / rank;
        this.dropout = dropout;
        this.seed = seed;
        a = child("lora_A", new Linear(in, rank, false, DType.F32, arena));
        b = child("lora_B", new Linear(rank, out, false, DType.F32, arena));
    }

    /** PEFT's default: A ~ Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)); B = 0. */
    public void reset(Rng rng) {
        double bound = 1 / Math.sqrt(a.in);
        rng.fillUniform(a.weight.value(), -bound, bound);
        b.weight.value().fill(0);
    }

    /** Selects the dropout masks of a training step (same step, same masks). */
    public void setStep(long step) { this.step = step; }

    /**
     * The samples of the step's whole batch that the forwards hold (null: the whole batch). A forward whose first axis
     * is not that many samples (a group of a batch) draws its own mask.
     */
    public void setBatch(BatchSlice slice) { this.batch = slice; }

    /** Dropout applies only while training. */
    public void setTraining(boolean on) { training = on; }

    @Override
    public Var apply(Var x) {
        Var in = x;
        if (dropout > 0 && training) {
            Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + step);
            Tensor u = batch != null && !batch.isWhole() && x.size(0) == batch.count() ? rng.uniform(0, 1, batch, x.shape()) : rng.uniform(0, 1, x.shape());
            // keep where u >= p, scaled by 1/(1-p): (sign(u - p) + 1) / 2 is 1 or 0
            Tensor keep = u.sub(dropout).sign().add(1).mul(0.5 / (1 - dropout));
            in = x.mul(Var.constant(keep.to(x.data().backend())));  // the mask is drawn on the host
        }
        return b.forward(a.forward(in)).mul(scale);
    }
}
