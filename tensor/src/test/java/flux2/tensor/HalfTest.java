package flux2.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfTest {
    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, Half.floatToBf16(1.0f));
        // exactly halfway between 0x3f80 and 0x3f81: ties go to the even one
        assertEquals((short) 0x3f80, Half.floatToBf16(Float.intBitsToFloat(0x3f808000)));
        assertEquals((short) 0x3f82, Half.floatToBf16(Float.intBitsToFloat(0x3f818000)));
        // just above halfway rounds up
        assertEquals((short) 0x3f81, Half.floatToBf16(Float.intBitsToFloat(0x3f808001)));
        // overflow to infinity, NaN stays NaN, signed zero kept
        assertEquals((short) 0x7f80, Half.floatToBf16(Float.MAX_VALUE));
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(Float.NaN))));
        assertEquals((short) 0x8000, Half.floatToBf16(-0.0f));
    }

    @Test
    void bf16IsTheNearestRepresentable() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt() & 0x7f7fffff | (r.nextBoolean() ? 0x80000000 : 0));
            short h = Half.floatToBf16(f);
            float back = Half.bf16ToFloat(h);
            if (Float.isInfinite(back)) continue;
            BigDecimal err = new BigDecimal(back).subtract(new BigDecimal(f)).abs();
            for (int d : new int[]{-1, 1}) {
                float other = Half.bf16ToFloat((short) (h + d));
                if (Float.isInfinite(other) || Float.isNaN(other)) continue;
                BigDecimal e2 = new BigDecimal(other).subtract(new BigDecimal(f)).abs();
                assertTrue(err.compareTo(e2) <= 0, () -> "not nearest for " + f);
            }
        }
    }

    @Test
    void bf16RoundTripIsExact() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Half.bf16ToFloat((short) bits);
            if (Float.isNaN(f)) continue;
            assertEquals((short) bits, Half.floatToBf16(f));
        }
    }

    @Test
    void f16RoundTripIsExact() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Half.f16ToFloat((short) bits);
            if (Float.isNaN(f)) continue;
            assertEquals((short) bits, Half.floatToF16(f));
        }
        assertEquals(Float.POSITIVE_INFINITY, Half.f16ToFloat(Half.floatToF16(70000f)));
    }

    @Test
    void tensorConversionUsesTheSameRounding() {
        Tensor t = Tensor.of(new float[]{1f, Float.intBitsToFloat(0x3f808000), 3.14159f, -2.5e-3f}, 4);
        Tensor b = t.to(DType.BF16);
        for (int i = 0; i < 4; i++)
            assertEquals(Half.bf16ToFloat(Half.floatToBf16((float) t.get(i))), b.get(i));
        Tensor h = t.to(DType.F16);
        for (int i = 0; i < 4; i++)
            assertEquals(Half.f16ToFloat(Half.floatToF16((float) t.get(i))), h.get(i));
    }
}
