package flux2.tensor.collective;

import flux2.tensor.Tensor;
import java.time.Duration;

/** The collectives of a job of one rank: every reduction and broadcast leaves the tensor as it is. */
public final class SingleProcess implements Collectives {
    @Override public int rank() { return 0; }

    @Override public int worldSize() { return 1; }

    @Override public String describe() { return "a single process"; }

    @Override public Duration timeout() { return Duration.ZERO; }

    @Override
    public void allReduce(Tensor t, Reduction op) {
        Checks.reducible("all-reduce", t);
    }

    @Override
    public void broadcast(Tensor t, int root) {
        Checks.root(root, 1);
    }

    @Override
    public void allGather(Tensor in, Tensor out) {
        Checks.gather(in, out, 1);
        out.copyFrom(in.reshape(out.shape()));
    }

    @Override public void barrier(Duration timeout) {}

    @Override public void abort(String message) {}

    @Override public void close() {}
}
