package flux2.autograd.optim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void warmupThenShapes() {
        LrSchedule c = LrSchedule.of("constant", 10, 100);
        assertEquals(1, c.factor(0));
        LrSchedule cw = LrSchedule.of("constant_with_warmup", 10, 100);
        assertEquals(0, cw.factor(0));
        assertEquals(0.5, cw.factor(5), 1e-12);
        assertEquals(1, cw.factor(50));
        LrSchedule lin = LrSchedule.of("linear", 10, 110);
        assertEquals(1, lin.factor(10), 1e-12);
        assertEquals(0.5, lin.factor(60), 1e-12);
        assertEquals(0, lin.factor(110), 1e-12);
        LrSchedule cos = LrSchedule.of("cosine", 0, 100);
        assertEquals(1, cos.factor(0), 1e-12);
        assertEquals(0.5, cos.factor(50), 1e-12);
        assertEquals(0, cos.factor(100), 1e-12);
        LrSchedule poly = LrSchedule.parse("polynomial", 0, 100, 0, 2, 0.1);
        assertEquals(1, poly.factor(0), 1e-12);
        assertEquals(0.9 * 0.25 + 0.1, poly.factor(50), 1e-12);
        assertEquals(0.1, poly.factor(200), 1e-12);
        LrSchedule restarts = LrSchedule.parse("cosine_with_restarts", 0, 100, 2, 1, 0);
        assertEquals(1, restarts.factor(50), 1e-12);
    }

    @Test
    void unknownNameListsTheAllowedOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.of("sine", 0, 10));
        assertTrue(e.getMessage().contains("sine") && e.getMessage().contains("polynomial"));
    }
}
