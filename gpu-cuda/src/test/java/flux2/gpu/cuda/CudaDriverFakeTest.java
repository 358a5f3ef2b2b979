package flux2.gpu.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.gpu.KernelArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FFM bindings and CudaDevice against src/test/c/fake_libcuda.c, a driver stand-in with cuda.h's
 * signatures whose "device" memory is host memory (built with the C compiler when there is one): every
 * argument of allocation, transfers, module loading, kernel lookup and launch reaches the driver where the C
 * API has it, and driver errors come back named.
 */
class CudaDriverFakeTest {
    @TempDir Path dir;

    private Path buildFake() throws Exception {
        Path so = dir.resolve("libcuda-fake.so");
        Process p = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-o", so.toString(), "src/test/c/fake_libcuda.c")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "no C compiler: " + out);
        return so;
    }

    private static boolean hasCc() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":"))
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "cc"))) return true;
        return false;
    }

    @Test
    void deviceRunsAKernelThroughTheBindings() throws Throwable {
        Assumptions.assumeTrue(hasCc(), "no C compiler");
        Path so = buildFake();
        CudaDriver cu = CudaDriver.load(so.toString());
        SymbolLookup fake = SymbolLookup.libraryLookup(so, Arena.global());
        MethodHandle grid = Linker.nativeLinker().downcallHandle(fake.find("fake_last_grid").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        MethodHandle block = Linker.nativeLinker().downcallHandle(fake.find("fake_last_block").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        MethodHandle live = Linker.nativeLinker().downcallHandle(fake.find("fake_live_allocations").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));

        CudaDevice dev = new CudaDevice(cu, 0);
        assertEquals("cuda:0", dev.name());
        assertEquals("Fake GPU, sm_86, 84 SMs, CUDA driver 12.4", dev.description());
        assertEquals(3L << 30, dev.memoryBytes());
        assertTrue(dev.hasBf16TensorCores());

        int n = 1000;
        float[] x = new float[n], y = new float[n], want = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 0.5f;
            y[i] = 1 - i;
            want[i] = y[i] + 3f * x[i];
        }
        long bx = dev.allocate(4L * n), by = dev.allocate(4L * n), bz = dev.allocate(4L * n);
        assertEquals(3, (int) live.invokeExact());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment hx = a.allocateFrom(JAVA_FLOAT, x), hy = a.allocateFrom(JAVA_FLOAT, y);
            dev.upload(hx, 0, bx, 0, 4L * n);
            dev.upload(MemorySegment.ofArray(y), 0, by, 0, 4L * n);  // a heap segment goes through a native copy
            dev.copy(by, 0, bz, 0, 4L * n);
            float ms = dev.timeMillis(() -> dev.launch(dev.kernel("fake_axpy"), new long[] {1024}, new long[] {128},
                    new KernelArgs().buffer(bz).buffer(bx).f(3f).i(n)));
            assertEquals(1.5f, ms);
            assertEquals(8, (int) grid.invokeExact(0), "1024 / 128 blocks");
            assertEquals(128, (int) block.invokeExact(0));
            assertEquals(1, (int) grid.invokeExact(1));
            float[] got = new float[n];
            dev.download(bz, 0, MemorySegment.ofArray(got), 0, 4L * n);
            assertArrayEquals(want, got);
            // byte offsets on both sides of a transfer
            MemorySegment part = a.allocate(16);
            dev.download(bz, 8, part, 4, 8);
            assertEquals(want[2], part.get(JAVA_FLOAT, 4));
            assertEquals(want[3], part.get(JAVA_FLOAT, 8));
            dev.upload(hy, 0, bz, 4, 4);
            dev.download(bz, 0, MemorySegment.ofArray(got), 0, 8);
            assertEquals(y[0], got[1]);
        }
        dev.launch(dev.kernel("fake_axpy"), new long[] {64, 3}, null, new KernelArgs().buffer(bz).buffer(bx).f(0f).i(0));
        assertEquals(16, (int) block.invokeExact(0), "default 2-D block 16 x 16");
        assertEquals(4, (int) grid.invokeExact(0));
        assertEquals(1, (int) grid.invokeExact(1));

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> dev.kernel("no_such_kernel"));
        assertTrue(missing.getMessage().contains("no_such_kernel"), missing.getMessage());
        CudaException bad = assertThrows(CudaException.class, () -> cu.loadModule("broken.ptx", "bogus".getBytes()));
        assertEquals("cuModuleLoadData(broken.ptx): ptxas application ptx input, line 1; error: bogus failed: CUDA_ERROR_INVALID_PTX (218)",
                bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.launch(dev.kernel("fake_axpy"), new long[] {100}, new long[] {64},
                new KernelArgs()), "global not a multiple of local");

        // a collectives library enqueues on the device's stream and polls it while waiting with a timeout
        MethodHandle busy = Linker.nativeLinker().downcallHandle(fake.find("fake_set_stream_busy").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT));
        CudaBackend backend = new CudaBackend(dev);
        assertEquals(0x5L, (long) backend.withNativeQueue(MemorySegment::address), "the stream cuStreamCreate gave");
        busy.invokeExact(2);
        assertFalse(backend.isIdle(), "cuStreamQuery: CUDA_ERROR_NOT_READY");
        assertFalse(backend.isIdle());
        assertTrue(backend.isIdle(), "cuStreamQuery: CUDA_SUCCESS");

        dev.free(bx);
        assertEquals(2, (int) live.invokeExact());
        dev.close();
        assertEquals(0, (int) live.invokeExact(), "close frees what is left");
        IllegalArgumentException noDev = assertThrows(IllegalArgumentException.class, () -> new CudaDevice(cu, 1));
        assertEquals("cuda:1 does not exist (this machine has 1 CUDA device)", noDev.getMessage());
    }

    @Test
    void aMissingLibraryIsOneLine() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaDriver.load(dir.resolve("nothing-here.so").toString()));
        assertTrue(e.getMessage().startsWith("no NVIDIA driver (") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
