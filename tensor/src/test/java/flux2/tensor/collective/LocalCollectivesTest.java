package flux2.tensor.collective;

import static org.junit.jupiter.api.Assertions.*;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The in-JVM collectives, one thread per rank: sums and averages of F32 and BF16 that are bit-identical on every
 * rank, broadcasts and gathers of any dtype, and a rank that does not come named in the error of the others.
 */
class LocalCollectivesTest {
    /** Runs body on every rank of a new group of n, each on its own thread, and returns what each returned. */
    static <T> List<T> onRanks(int n, Duration timeout, Function<Collectives, T> body) throws Exception {
        List<Collectives> ranks = LocalCollectives.group(n, timeout);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> f = new ArrayList<>();
            for (Collectives c : ranks) f.add(pool.submit(() -> body.apply(c)));
            List<T> out = new ArrayList<>();
            for (Future<T> x : f) out.add(x.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void allReduceSumsAndAveragesInRankOrderOnEveryRank() throws Exception {
        List<float[]> sums = onRanks(3, Duration.ofSeconds(20), c -> {
            Tensor t = Tensor.of(new float[] {c.rank() + 0.1f, 1e8f * (c.rank() == 1 ? 1 : 0), 1f / (c.rank() + 1)}, 3);
            c.allReduce(t, Reduction.SUM);
            return t.toFloatArray();
        });
        float[] want = {0.1f + 1.1f + 2.1f, 1e8f, 1f + 0.5f + 1f / 3};
        for (float[] s : sums) assertArrayEquals(sums.getFirst(), s, 0f);
        assertArrayEquals(want, sums.getFirst(), 1e-6f);
        List<float[]> avg = onRanks(2, Duration.ofSeconds(20), c -> {
            Tensor t = Tensor.of(new float[] {c.rank() * 2f, 3f}, 2).to(DType.BF16);
            c.allReduce(t, Reduction.AVG);
            assertEquals(DType.BF16, t.dtype());
            return t.toFloatArray();
        });
        assertArrayEquals(new float[] {1f, 3f}, avg.get(0));
        assertArrayEquals(new float[] {1f, 3f}, avg.get(1));
    }

    @Test
    void broadcastAndAllGatherMoveEveryDtype() throws Exception {
        List<long[]> got = onRanks(3, Duration.ofSeconds(20), c -> {
            Tensor t = Tensor.ofLongs(new long[] {c.rank(), -c.rank() * 1000L}, 2);
            c.broadcast(t, 2);
            Tensor all = Tensor.zeros(DType.I64, 3, 2);
            c.allGather(Tensor.ofLongs(new long[] {c.rank() * 7L, Long.MAX_VALUE - c.rank()}, 2), all);
            c.barrier();
            long[] b = t.toLongArray(), g = all.toLongArray();
            long[] out = new long[b.length + g.length];
            System.arraycopy(b, 0, out, 0, b.length);
            System.arraycopy(g, 0, out, b.length, g.length);
            return out;
        });
        for (long[] g : got)
            assertArrayEquals(new long[] {2, -2000, 0, Long.MAX_VALUE, 7, Long.MAX_VALUE - 1, 14, Long.MAX_VALUE - 2}, g);
    }

    @Test
    void aRankThatDoesNotComeIsNamedWithTheLastOperationItReached() throws Exception {
        List<String> errors = onRanks(3, Duration.ofMillis(500), c -> {
            Tensor t = Tensor.of(new float[] {1}, 1);
            c.allReduce(t, Reduction.SUM);
            if (c.rank() == 1) return "rank 1 left";
            try {
                c.allReduce(t, Reduction.SUM);
                return "no error";
            } catch (CollectiveException e) {
                return e.getMessage();
            }
        });
        assertEquals("rank 0: all-reduce #2 did not complete within 0.5 s: rank 1 (last at #1) did not reach it", errors.get(0));
        assertEquals("rank 2: all-reduce #2 did not complete within 0.5 s: rank 1 (last at #1) did not reach it", errors.get(2));
    }

    @Test
    void anAbortEndsTheOtherRanksWaitsWithItsMessage() throws Exception {
        List<String> errors = onRanks(2, Duration.ofSeconds(20), c -> {
            if (c.rank() == 0) {
                c.abort("the loss is NaN");
                return "aborted";
            }
            try {
                c.barrier();
                return "no error";
            } catch (CollectiveException e) {
                return e.getMessage();
            }
        });
        assertEquals("rank 0 ended the job: the loss is NaN", errors.get(1));
    }

    @Test
    void argumentsAreChecked() {
        Collectives one = new SingleProcess();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.allReduce(Tensor.ofLongs(new long[] {1}, 1), Reduction.SUM));
        assertEquals("all-reduce: I64 tensors cannot be reduced; F32 and BF16 can", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> one.allGather(Tensor.zeros(DType.F32, 2), Tensor.zeros(DType.F32, 3)));
        assertEquals("all-gather: the output has 3 elements, a world of 1 ranks of 2 needs 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> one.broadcast(Tensor.zeros(DType.F32, 2), 1));
        assertEquals("broadcast root 1 is not a rank of a world of 1", e.getMessage());
    }
}
