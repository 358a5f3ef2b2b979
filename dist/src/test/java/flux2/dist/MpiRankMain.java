package flux2.dist;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.collective.CollectiveException;
import flux2.tensor.collective.CollectiveLibraries;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.RankEnv;
import flux2.tensor.collective.Reduction;
import java.util.Arrays;

/**
 * One rank of the MPI tests, started by mpirun: "ops" checks every operation against its expected result and prints
 * "rank R ok"; "hang" has rank 1 stop answering before the second operation; "die" has rank 1 exit there.
 */
public final class MpiRankMain {
    private MpiRankMain() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Collectives c = CollectiveLibraries.join(RankEnv.detect(), Backends.cpu(), "mpi");
        int r = c.rank(), w = c.worldSize();
        System.out.println("rank " + r + ": " + c.describe());
        try {
            Tensor t = Tensor.of(new float[] {r + 1, 0.1f * r, 1e7f + r}, 3);
            c.allReduce(t, Reduction.SUM);
            float[] want = new float[3];
            for (int k = 0; k < w; k++) {
                want[0] += k + 1;
                want[1] += 0.1f * k;
                want[2] += 1e7f + k;
            }
            check(r, "F32 sum", want, t.toFloatArray());
            if (mode.equals("hang") && r == 1) Thread.sleep(60_000);
            if (mode.equals("die") && r == 1) Runtime.getRuntime().halt(7);
            Tensor avg = Tensor.of(new float[] {2f * r, 5f}, 2);
            c.allReduce(avg, Reduction.AVG);
            check(r, "F32 average", new float[] {w - 1, 5f}, avg.toFloatArray());
            Tensor bf = Tensor.of(new float[] {r + 0.5f, -1f}, 2).to(DType.BF16);
            c.allReduce(bf, Reduction.SUM);
            check(r, "BF16 sum", new float[] {w * (w - 1) / 2f + 0.5f * w, -w}, bf.toFloatArray());
            Tensor longs = Tensor.ofLongs(new long[] {r, Long.MIN_VALUE + r}, 2);
            c.broadcast(longs, w - 1);
            if (!Arrays.equals(longs.toLongArray(), new long[] {w - 1, Long.MIN_VALUE + w - 1})) fail(r, "broadcast " + Arrays.toString(longs.toLongArray()));
            Tensor all = Tensor.zeros(DType.I64, w);
            c.allGather(Tensor.ofLongs(new long[] {100L * r}, 1), all);
            long[] g = all.toLongArray();
            for (int k = 0; k < w; k++) if (g[k] != 100L * k) fail(r, "all-gather " + Arrays.toString(g));
            c.barrier();
            System.out.println("rank " + r + " ok");
            c.close();
        } catch (CollectiveException e) {
            System.out.println("error: " + e.getMessage());
            System.out.flush();
            c.abort(e.getMessage());
        }
    }

    private static void check(int r, String what, float[] want, float[] got) {
        if (!Arrays.equals(want, got)) fail(r, what + ": want " + Arrays.toString(want) + ", got " + Arrays.toString(got));
    }

    private static void fail(int r, String what) {
        System.out.println("rank " + r + " FAILED " + what);
        System.out.flush();
        Runtime.getRuntime().halt(3);
    }
}
