package flux2.tensor.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flux2.tensor.Half;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** BF16 sums of gathered ranks: accumulated in F32 in rank order and rounded once, as the collectives promise. */
class HostBuffersTest {
    @Test
    void bf16IsSummedInF32AndRoundedOnce() {
        try (Arena a = Arena.ofConfined()) {
            // three ranks of two values: 1 + 2^-8 + 2^-8 = 1 + 2^-7 exactly, but 1 + 2^-8 alone rounds back to 1 in BF16
            float[][] ranks = {{1f, 3f}, {0x1p-8f, -1f}, {0x1p-8f, 0.5f}};
            MemorySegment gathered = a.allocate(2L * 6), out = a.allocate(2L * 2);
            for (int r = 0; r < 3; r++)
                for (int i = 0; i < 2; i++) gathered.setAtIndex(ValueLayout.JAVA_SHORT, r * 2 + i, Half.floatToBf16(ranks[r][i]));
            HostBuffers.reduceBf16(gathered, 3, 2, out, Reduction.SUM);
            assertEquals(1f + 0x1p-7f, Half.bf16ToFloat(out.getAtIndex(ValueLayout.JAVA_SHORT, 0)));
            assertEquals(2.5f, Half.bf16ToFloat(out.getAtIndex(ValueLayout.JAVA_SHORT, 1)));
            HostBuffers.reduceBf16(gathered, 3, 2, out, Reduction.AVG);
            assertEquals(Half.bf16ToFloat(Half.floatToBf16((1f + 0x1p-7f) / 3)), Half.bf16ToFloat(out.getAtIndex(ValueLayout.JAVA_SHORT, 0)));
        }
    }
}
