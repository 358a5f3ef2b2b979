package flux2.autograd;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckpointTest {
    /** A pre-norm MLP block with a residual: x + W2 gelu(W1 norm(x)). */
    static final class Block extends Module {
        final Linear up, down;

        Block(int d, TensorArena a, long seed) {
            up = child("up", new Linear(d, 4 * d, true, DType.F32, a));
            down = child("down", new Linear(4 * d, d, true, DType.F32, a));
            new Rng(seed).fillNormal(up.weight.value(), 0, 0.05);
            new Rng(seed + 1).fillNormal(down.weight.value(), 0, 0.05);
        }

        Var forward(Var x) { return x.add(down.forward(up.forward(F.layerNorm(x, null, null, 1e-6)).gelu())); }
    }

    record Run(List<float[]> grads, float loss, long peak) {}

    static Run run(boolean checkpoint, boolean inputNeedsGrad) {
        int d = 64, tokens = 256, depth = 4;
        try (TensorArena params = TensorArena.open("params")) {
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < depth; i++) blocks.add(new Block(d, params, 10L * i));
            Tensor x0 = new Rng(1).normal(0, 1, tokens, d);
            Tensor target = new Rng(2).normal(0, 1, tokens, d);
            MemoryStats.resetPeak();
            long base = MemoryStats.liveBytes();
            Var xin = inputNeedsGrad ? Var.leaf(x0, params) : Var.constant(x0);
            float loss;
            try (TensorArena step = TensorArena.open("step")) {
                Var x = xin;
                for (Block b : blocks) x = checkpoint ? Checkpoint.apply(v -> b.forward(v[0]), x) : b.forward(x);
                Var l = F.mseLoss(x, Var.constant(target));
                loss = (float) l.data().item();
                l.backward();
            }
            long peak = MemoryStats.peakBytes() - base;
            List<float[]> grads = new ArrayList<>();
            for (Block b : blocks) for (Parameter p : b.namedParameters().values()) grads.add(p.grad().toFloatArray());
            if (inputNeedsGrad) grads.add(xin.grad().toFloatArray());
            return new Run(grads, loss, peak);
        }
    }

    @Test
    void gradientsAreIdenticalAndActivationMemoryIsSaved() {
        Run plain = run(false, true), ckpt = run(true, true);
        assertEquals(plain.loss(), ckpt.loss());
        assertEquals(plain.grads().size(), ckpt.grads().size());
        for (int i = 0; i < plain.grads().size(); i++) assertArrayEquals(plain.grads().get(i), ckpt.grads().get(i), "gradient " + i);
        System.out.printf("checkpointing 4 MLP blocks (256 tokens x 64): peak %.2f MiB without, %.2f MiB with%n",
                plain.peak() / 1048576.0, ckpt.peak() / 1048576.0);
        assertTrue(ckpt.peak() < 0.6 * plain.peak(), "peak with checkpointing " + ckpt.peak() + " vs " + plain.peak());
    }

    @Test
    void trainableWeightsInsideACheckpointGetGradientsEvenFromAConstantInput() {
        Run plain = run(false, false), ckpt = run(true, false);
        for (int i = 0; i < plain.grads().size(); i++) assertArrayEquals(plain.grads().get(i), ckpt.grads().get(i));
    }

    /** Two outputs of different shapes from shared inputs: a [4, 3] product and a [3] reduction of it. */
    private static Var[] twoOutputs(Var[] in) {
        Var h = in[0].matmul(in[1]).tanh();
        return new Var[]{h.mul(in[2]), h.mean(0).sigmoid()};
    }

    @Test
    void severalOutputsMatchFiniteDifferencesThroughOneRecomputation() {
        Rng rng = new Rng(5);
        Tensor a = rng.normal(0, 1, 4, 5), b = rng.normal(0, 0.5, 5, 3), c = rng.normal(0, 1, 4, 3);
        GradCheck.check("checkpoint with two outputs", v -> {
            Var[] ys = Checkpoint.applyAll(CheckpointTest::twoOutputs, v);
            return F.concat(0, ys[0].reshape(-1), ys[1].reshape(-1));
        }, a, b, c);
        // only the second output feeds the loss: the first one's part of the gradient is zero
        GradCheck.check("checkpoint with an unused output", v -> Checkpoint.applyAll(CheckpointTest::twoOutputs, v)[1], a, b, c);
    }

    @Test
    void severalOutputsGiveTheGradientsOfTheUncheckpointedComputation() {
        Rng rng = new Rng(6);
        Tensor a = rng.normal(0, 1, 4, 5), b = rng.normal(0, 0.5, 5, 3), c = rng.normal(0, 1, 4, 3);
        Tensor r0 = rng.normal(0, 1, 4, 3), r1 = rng.normal(0, 1, 3);
        float[][] plain = gradients(a, b, c, r0, r1, false), ckpt = gradients(a, b, c, r0, r1, true);
        for (int i = 0; i < plain.length; i++) assertArrayEquals(plain[i], ckpt[i], "gradient " + i);
    }

    private static float[][] gradients(Tensor a, Tensor b, Tensor c, Tensor r0, Tensor r1, boolean checkpoint) {
        try (TensorArena t = TensorArena.open("grads")) {
            Var[] in = {Var.leaf(a.copyTo(t), t), Var.leaf(b.copyTo(t), t), Var.leaf(c.copyTo(t), t)};
            Var[] ys = checkpoint ? Checkpoint.applyAll(CheckpointTest::twoOutputs, in) : twoOutputs(in);
            ys[0].mul(Var.constant(r0)).sum().add(ys[1].mul(Var.constant(r1)).sum()).backward();
            return new float[][]{in[0].grad().toFloatArray(), in[1].grad().toFloatArray(), in[2].grad().toFloatArray()};
        }
    }

    @Test
    void outputsOfDifferentDtypesAreRefused() {
        try (TensorArena t = TensorArena.open("dtypes")) {
            Var x = Var.leaf(new Rng(7).normal(0, 1, 3), t);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.applyAll(in -> new Var[]{in[0].exp(), Var.constant(in[0].data().to(DType.BF16))}, x));
            assertTrue(e.getMessage().contains("F32") && e.getMessage().contains("BF16"), e.getMessage());
        }
    }
}
