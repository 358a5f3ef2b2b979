package flux2.dist.nccl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

import flux2.dist.NativeLibraries;
import flux2.dist.Ranks;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.Reduction;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NCCL bindings and {@link NcclCollectives} against src/test/c/fake_libnccl.c, a stand-in with nccl.h's signatures
 * whose ranks are threads of this JVM and whose "device" memory is host memory (built with the C compiler when there
 * is one): the unique id travels from rank 0 through the TCP rendezvous and reaches ncclCommInitRank by value, every
 * operation's arguments reach the library as nccl.h has them, and NCCL's errors come back named.
 */
class NcclFakeTest {
    @TempDir static Path dir;
    static Path so;

    @BeforeAll
    static void build() throws Exception {
        boolean cc = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) cc |= !d.isEmpty() && Files.isExecutable(Path.of(d, "cc"));
        Assumptions.assumeTrue(cc, "no C compiler: the NCCL stand-in cannot be built");
        so = dir.resolve("libnccl-fake.so");
        Process p = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-o", so.toString(), "src/test/c/fake_libnccl.c", "-lpthread")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "the NCCL stand-in does not build: " + out);
    }

    private static MethodHandle hook(String name, FunctionDescriptor d) {
        SymbolLookup fake = SymbolLookup.libraryLookup(so, Arena.global());
        return Linker.nativeLinker().downcallHandle(fake.find(name).orElseThrow(), d);
    }

    @Test
    void threeRanksMeetAtTheRendezvousAndEveryOperationGivesItsResult() throws Throwable {
        Nccl nccl = Nccl.load(so.toString());
        assertEquals(22304, nccl.version());
        List<String> results = Ranks.run(3, Duration.ofSeconds(30), env -> {
            try (Collectives c = NcclCollectives.join(nccl, env, Backends.cpu())) {
                int r = c.rank();
                assertTrue(c.describe().startsWith("NCCL 2.23.4 (" + so + ") on cpu, started by RANK/WORLD_SIZE"), c.describe());
                Tensor t = Tensor.of(new float[] {r, 1.5f, 1e5f + r}, 3);
                c.allReduce(t, Reduction.SUM);
                assertArrayEquals(new float[] {3, 4.5f, 3e5f + 3}, t.toFloatArray());
                Tensor a = Tensor.of(new float[] {3f * r}, 1);
                c.allReduce(a, Reduction.AVG);
                assertArrayEquals(new float[] {3}, a.toFloatArray());
                Tensor b = Tensor.of(new float[] {r + 0.25f}, 1).to(DType.BF16);
                c.allReduce(b, Reduction.SUM);
                assertArrayEquals(new float[] {3.75f}, b.toFloatArray());
                Tensor l = Tensor.ofLongs(new long[] {r, -r}, 2);
                c.broadcast(l, 1);
                assertArrayEquals(new long[] {1, -1}, l.toLongArray());
                Tensor all = Tensor.zeros(DType.I64, 3);
                c.allGather(Tensor.ofLongs(new long[] {10L * r + 1}, 1), all);
                assertArrayEquals(new long[] {1, 11, 21}, all.toLongArray());
                c.barrier();
                return "rank " + r + " ok";
            }
        });
        assertEquals(List.of("rank 0 ok", "rank 1 ok", "rank 2 ok"), results);
        MethodHandle live = hook("fake_live_comms", FunctionDescriptor.of(JAVA_INT));
        assertEquals(0, (int) live.invokeExact(), "close destroys each communicator");
        MethodHandle stream = hook("fake_last_stream", FunctionDescriptor.of(ADDRESS));
        assertEquals(0, ((MemorySegment) stream.invokeExact()).address(), "a host backend's queue is NULL (the default stream)");
    }

    @Test
    void anAsynchronousErrorEndsTheOperationWithNcclsTextAndAbortsTheCommunicator() throws Throwable {
        Nccl nccl = Nccl.load(so.toString());
        MethodHandle set = hook("fake_set_async_error", FunctionDescriptor.ofVoid(JAVA_INT));
        MethodHandle live = hook("fake_live_comms", FunctionDescriptor.of(JAVA_INT));
        Collectives c = NcclCollectives.join(nccl, Ranks.env(0, 1, 0, Duration.ofSeconds(5)), Backends.cpu());
        assertEquals(1, (int) live.invokeExact());
        set.invokeExact(6);
        try {
            NcclException e = assertThrows(NcclException.class, () -> c.allReduce(Tensor.of(new float[] {1}, 1), Reduction.SUM));
            assertEquals("rank 0: all-reduce #1 failed: remote process exited or there was a network error", e.getMessage());
        } finally {
            set.invokeExact(0);
        }
        assertEquals(0, (int) live.invokeExact(), "ncclCommAbort");
        assertThrows(IllegalStateException.class, () -> c.barrier(), "the aborted communicator takes no more operations");
    }

    @Test
    void aTensorOfAnotherDeviceAndAWrongLibraryAreRefusedByName() throws Exception {
        Nccl nccl = Nccl.load(so.toString());
        try (Collectives c = NcclCollectives.join(nccl, Ranks.env(0, 1, 0, Duration.ofSeconds(5)), Backends.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.allReduce(Tensor.ofLongs(new long[] {1}, 1), Reduction.SUM));
            assertEquals("all-reduce: I64 tensors cannot be reduced; F32 and BF16 can", e.getMessage());
        }
        NativeLibraries.Unavailable u = assertThrows(NativeLibraries.Unavailable.class, () -> Nccl.load(dir.resolve("none.so").toString()));
        assertTrue(u.getMessage().endsWith("none.so cannot be loaded (not found by the dynamic linker)"), u.getMessage());
        NativeLibraries.Unavailable notNccl = assertThrows(NativeLibraries.Unavailable.class, () -> Nccl.load("libc.so.6"));
        assertEquals("libc.so.6 is not NCCL 2.10 or newer: missing ncclGetVersion", notNccl.getMessage());
        assertFalse(Arrays.asList(new NcclProvider().serves(Backends.cpu())).contains(true), "NCCL serves CUDA devices only");
    }
}
