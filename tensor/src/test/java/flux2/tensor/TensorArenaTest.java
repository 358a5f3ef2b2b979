package flux2.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TensorArenaTest {
    @Test
    void resultsGoToTheCurrentArenaAndAreFreedWithIt() {
        long before = MemoryStats.liveBytes();
        Tensor inside;
        try (TensorArena step = TensorArena.open("step")) {
            assertSame(step, TensorArena.current());
            inside = Tensor.zeros(DType.F32, 256, 4);
            Tensor copy = inside.t().contiguous();
            assertEquals(2L * 256 * 4 * 4, step.bytes());
            assertEquals(before + step.bytes(), MemoryStats.liveBytes());
            assertTrue(MemoryStats.peakBytes() >= MemoryStats.liveBytes());
            assertNotNull(copy);
        }
        assertEquals(before, MemoryStats.liveBytes());
        assertThrows(IllegalStateException.class, () -> inside.get(0, 0), "memory of a closed arena must not be readable");
        assertNotEquals("step", TensorArena.current().name());
    }

    @Test
    void nestedArenasAndExplicitScopes() {
        try (TensorArena params = TensorArena.create("params")) {
            Tensor w;
            try (TensorArena.Scope s = params.enter()) {
                w = Tensor.full(DType.F32, 2.0, 8);
            }
            try (TensorArena step = TensorArena.open("step")) {
                long paramsBefore = params.bytes();
                Tensor y = w.mul(3.0).copyTo(params);
                assertEquals(32, step.bytes(), "the product lives in the current arena");
                assertEquals(paramsBefore + 32, params.bytes(), "copyTo allocates in the named arena");
                Tensor z = Tensor.zeros(DType.F32, 3);
                assertEquals(44, step.bytes());
                assertEquals(6.0, y.get(5));
                assertNotNull(z);
            }
            assertEquals(2.0, w.get(7));
            assertEquals(64, params.bytes());
            assertEquals(32, w.numel() * 4);
        }
    }

    @Test
    void peakIsObservable() {
        MemoryStats.resetPeak();
        long base = MemoryStats.peakBytes();
        try (TensorArena a = TensorArena.open("a")) {
            Tensor.zeros(DType.F32, 1 << 20);
        }
        try (TensorArena b = TensorArena.open("b")) {
            Tensor.zeros(DType.F32, 1 << 18);
        }
        assertEquals(base + (4L << 20), MemoryStats.peakBytes());
    }

    @Test
    void globalArenaCannotBeClosed() {
        assertThrows(IllegalStateException.class, () -> TensorArena.global().close());
    }
}
